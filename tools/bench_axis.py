"""Axis reductions on several layouts: NumPy vs dotcompute, one process, interleaved.

    PYTHONPATH=. python tools/bench_axis.py [--repeat 7] [--sweep] [--worst 40]

Prints NumPy time / dotcompute time per case (> 1: dotcompute faster). The cases are the
shapes real programs reduce: an image over its channels, rows and columns of a matrix, its
transpose, reversed and sliced views, several axes at once, arg-reductions and cumsum.
--sweep times the grid instead: every reduction method (sum, mean, max, min, argmax,
argmin, prod, cumsum, std, any, all) along each axis of (1000, 1000), (10, 100000),
(100000, 10) and (300, 3000) arrays of float64, float32, int64, int32, uint8 and bool,
and prints the --worst cells (lowest ratio first) and how many are below 1.
"""
import argparse
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from bench_headline import machine_lines  # noqa: E402
from dotcompute._timing import interleaved_medians  # noqa: E402


def cases(rng):
    img = rng.random((500, 500, 3))
    m = rng.standard_normal((1000, 1000))
    m4 = m.astype(np.float32)
    pts = rng.standard_normal((100000, 2))
    cube = rng.standard_normal((64, 128, 96))
    mi = rng.integers(0, 1000, (1000, 1000)).astype(np.int32)
    return [
        ("img.sum(axis=2)", img, lambda a: a.sum(axis=2)),
        ("img.mean(axis=2)", img, lambda a: a.mean(axis=2)),
        ("img.max(axis=2)", img, lambda a: a.max(axis=2)),
        ("img.sum(axis=(0, 1))", img, lambda a: a.sum(axis=(0, 1))),
        ("m.sum(axis=0)", m, lambda a: a.sum(axis=0)),
        ("m.sum(axis=1)", m, lambda a: a.sum(axis=1)),
        ("m.T.sum(axis=1)", m, lambda a: a.T.sum(axis=1)),
        ("m[::-1].max(axis=0)", m, lambda a: a[::-1].max(axis=0)),
        ("m[:, 1:-1].min(axis=1)", m, lambda a: a[:, 1:-1].min(axis=1)),
        ("m.mean(axis=0)", m, lambda a: a.mean(axis=0)),
        ("m.argmax(axis=1)", m, lambda a: a.argmax(axis=1)),
        ("m.argmin(axis=0)", m, lambda a: a.argmin(axis=0)),
        ("(m > 0).any(axis=1)", m, lambda a: (a > 3).any(axis=1)),
        ("(m > 0).all(axis=0)", m, lambda a: (a > -3).all(axis=0)),
        ("m.cumsum(axis=0)", m, lambda a: a.cumsum(axis=0)),
        ("m4.max(axis=1)", m4, lambda a: a.max(axis=1)),
        ("m4.sum(axis=0)", m4, lambda a: a.sum(axis=0)),
        ("pts.sum(axis=1)", pts, lambda a: a.sum(axis=1)),
        ("pts.min(axis=0)", pts, lambda a: a.min(axis=0)),
        ("cube.sum(axis=(0, 2))", cube, lambda a: a.sum(axis=(0, 2))),
        ("cube.max(axis=1)", cube, lambda a: a.max(axis=1)),
        ("mi.sum(axis=1)", mi, lambda a: a.sum(axis=1)),
        ("mi.max(axis=0)", mi, lambda a: a.max(axis=0)),
    ]


SWEEP_SHAPES = [(1000, 1000), (10, 100000), (100000, 10), (300, 3000)]
SWEEP_DTYPES = [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_]
SWEEP_OPS = ["sum", "mean", "max", "min", "argmax", "argmin", "prod", "cumsum", "std",
             "any", "all"]


def sweep(dc, rng, repeat, worst):
    """The grid (see the module doc): its lowest ratios and a count of the cells below 1."""
    rows = []
    for shape in SWEEP_SHAPES:
        for dt in SWEEP_DTYPES:
            x = (rng.random(shape) > 0.5 if dt is np.bool_
                 else (rng.random(shape) * 100).astype(dt))
            d = dc.asarray(x)
            for op in SWEEP_OPS:
                for axis in (0, 1):
                    def f_np(op=op, axis=axis):
                        return getattr(x, op)(axis=axis)

                    def f_dc(op=op, axis=axis):
                        return getattr(d, op)(axis=axis)
                    with np.errstate(all="ignore"):
                        np.testing.assert_allclose(np.asarray(f_dc()), f_np(), rtol=1e-5)
                        med = interleaved_medians({"numpy": f_np, "dc": f_dc}, repeat,
                                                  batch_seconds=0.002)
                    rows.append((med["numpy"] / med["dc"], shape, np.dtype(dt).name, op,
                                 axis, med["numpy"], med["dc"]))
    rows.sort()
    lines = ["| shape | dtype | call | NumPy | dotcompute | NumPy / dotcompute |",
             "|---|---|---|---:|---:|---:|"]
    for r, shape, dt, op, axis, t_np, t_dc in rows[:worst]:
        lines.append(f"| {shape} | {dt} | `.{op}(axis={axis})` | {t_np * 1e6:.1f} us | "
                     f"{t_dc * 1e6:.1f} us | {r:.2f} |")
    ratios = [r[0] for r in rows]
    geo = float(np.exp(np.mean(np.log(ratios))))
    lines.append(f"\n{len(rows)} cells; geometric mean {geo:.2f}; "
                 f"{sum(r < 1 for r in ratios)} below 1, {sum(r < 0.9 for r in ratios)} "
                 f"below 0.9; worst {min(ratios):.2f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="batches per variant (median)")
    parser.add_argument("--sweep", action="store_true", help="the grid (see above)")
    parser.add_argument("--worst", type=int, default=40, help="cells the sweep prints")
    args = parser.parse_args(argv)

    import dotcompute as dc
    if args.sweep:
        lines = ["### Machine", ""] + machine_lines(dc) + [
            f"- command: python tools/bench_axis.py {' '.join(argv or sys.argv[1:])}", ""]
        print("\n".join(lines + sweep(dc, np.random.default_rng(13), args.repeat,
                                        args.worst)))
        return 0

    rng = np.random.default_rng(13)
    lines = ["### Machine", ""] + machine_lines(dc) + [
        f"- command: python tools/bench_axis.py {' '.join(argv or sys.argv[1:])}", "",
        "| case | NumPy | dotcompute | NumPy / dotcompute |", "|---|---:|---:|---:|"]
    ratios = []
    for name, x, f in cases(rng):
        d = dc.array(x)
        exp, got = f(x), f(d)
        np.testing.assert_allclose(np.asarray(got), exp, rtol=1e-5)
        med = interleaved_medians({"numpy": lambda: f(x), "dc": lambda: f(d)}, args.repeat)
        ratios.append(med["numpy"] / med["dc"])
        lines.append(f"| `{name}` | {med['numpy'] * 1e6:.1f} us | {med['dc'] * 1e6:.1f} us | "
                     f"{ratios[-1]:.2f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    geo = float(np.exp(np.mean(np.log(ratios))))
    lines.append(f"\ngeometric mean {geo:.2f}; worst {min(ratios):.2f}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
