"""Axis reductions on several layouts: NumPy vs dotcompute, one process, interleaved.

    PYTHONPATH=. python tools/bench_axis.py [--repeat 7]

Prints NumPy time / dotcompute time per case (> 1: dotcompute faster). The cases are the
shapes real programs reduce: an image over its channels, rows and columns of a matrix, its
transpose, reversed and sliced views, several axes at once, arg-reductions and cumsum.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="batches per variant (median)")
    args = parser.parse_args(argv)

    import dotcompute as dc

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
