"""The size grid of issue 13: element-wise ops and reductions, NumPy vs dotcompute at 1 and 2
threads, over n and dtype, in one process.

    PYTHONPATH=. python tools/bench_grid.py [--quick] [--load] [--repeat 7]
                                            [--ops add,exp] [--sizes 1e5,1e6]

Ops: add, multiply, a*2.5, <, sqrt, exp, log, sin, tanh, sum, max; n in 1e3 ... 1e7;
float32 and float64. Each cell times NumPy, dotcompute at 1 thread and at 2 threads
(`dotcompute.set_num_threads`) in interleaved batches (dotcompute/_timing.py) and prints
NumPy time / dotcompute time (> 1: dotcompute faster), then the worst cells. `--load` keeps
one core busy with another process (`python -c "while True: pass"`) for the duration of the
run and stops it afterwards: the target is a worst ratio >= 0.95 both ways.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from bench_headline import machine_lines  # noqa: E402
from dotcompute._timing import interleaved_medians  # noqa: E402

OPS = {
    "add": lambda xp, a, b: xp.add(a, b),
    "multiply": lambda xp, a, b: xp.multiply(a, b),
    "a*2.5": lambda xp, a, b: a * 2.5,
    "<": lambda xp, a, b: a < b,
    "sqrt": lambda xp, a, b: xp.sqrt(a),
    "exp": lambda xp, a, b: xp.exp(a),
    "log": lambda xp, a, b: xp.log(a),
    "sin": lambda xp, a, b: xp.sin(a),
    "tanh": lambda xp, a, b: xp.tanh(a),
    "sum": lambda xp, a, b: a.sum(),
    "max": lambda xp, a, b: a.max(),
}
SIZES = [10 ** 3, 10 ** 4, 3 * 10 ** 4, 10 ** 5, 3 * 10 ** 5, 10 ** 6, 10 ** 7]
DTYPES = ["float32", "float64"]
THREADS = [1, 2]


def _fmt_n(n):
    return f"{n:.0e}".replace("e+0", "e")


def grid(dc, ops, sizes, repeat):
    """[(op, dtype, n, numpy s, {threads: dotcompute s})] for every cell."""
    rows = []
    rng = np.random.default_rng(13)
    for dtype in DTYPES:
        for n in sizes:
            a = rng.uniform(0.5, 2.0, n).astype(dtype)
            b = rng.uniform(0.5, 2.0, n).astype(dtype)
            da, db = dc.asarray(a), dc.asarray(b)
            for op in ops:
                f = OPS[op]
                fns = {"numpy": lambda f=f: f(np, a, b)}
                setup = {}
                for t in THREADS:
                    fns[t] = lambda f=f: f(dc, da, db)
                    setup[t] = lambda t=t: dc.set_num_threads(t)
                med = interleaved_medians(fns, repeat, setup=setup)
                rows.append((op, dtype, n, med["numpy"], {t: med[t] for t in THREADS}))
                print(f"  {op} {dtype} {_fmt_n(n)}: " + ", ".join(
                    f"{t}T {med['numpy'] / med[t]:.2f}x" for t in THREADS),
                    file=sys.stderr, flush=True)
    return rows


def table(rows, sizes):
    """One Markdown table per thread count: op x dtype rows, n columns, NumPy/dotcompute."""
    lines = []
    for t in THREADS:
        lines += ["", f"#### {t} thread{'s' if t > 1 else ''}: NumPy time / dotcompute time",
                  "", "| op | dtype | " + " | ".join(_fmt_n(n) for n in sizes) + " |",
                  "|---|---|" + "---:|" * len(sizes)]
        cells = {}
        for op, dtype, n, t_np, t_dc in rows:
            cells.setdefault((op, dtype), {})[n] = t_np / t_dc[t]
        for (op, dtype), by_n in cells.items():
            lines.append(f"| `{op}` | {dtype} | " + " | ".join(
                f"{by_n[n]:.2f}" if n in by_n else "" for n in sizes) + " |")
    return lines


def worst(rows, k=10):
    cells = sorted((t_np / t_dc[t], op, dtype, n, t, t_np, t_dc[t])
                   for op, dtype, n, t_np, t_dc in rows for t in THREADS)
    lines = ["", f"#### Worst {min(k, len(cells))} cells", "",
             "| ratio | op | dtype | n | threads | NumPy | dotcompute |",
             "|---:|---|---|---:|---:|---:|---:|"]
    for r, op, dtype, n, t, t_np, t_dc in cells[:k]:
        lines.append(f"| {r:.2f} | `{op}` | {dtype} | {_fmt_n(n)} | {t} | "
                     f"{t_np * 1e6:.1f} us | {t_dc * 1e6:.1f} us |")
    below = sum(c[0] < 0.95 for c in cells)
    lines.append(f"\nworst ratio {cells[0][0]:.2f}; {below} of {len(cells)} cells below 0.95")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="3 batches per variant instead of --repeat")
    parser.add_argument("--repeat", type=int, default=7, help="batches per variant (median)")
    parser.add_argument("--load", action="store_true",
                        help="keep one core busy with another process during the run")
    parser.add_argument("--ops", help=f"comma-separated subset of {','.join(OPS)}")
    parser.add_argument("--sizes", help="comma-separated subset of n, e.g. 1e5,1e6")
    args = parser.parse_args(argv)
    ops = args.ops.split(",") if args.ops else list(OPS)
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        parser.error(f"unknown op(s) {unknown}; known: {', '.join(OPS)}")
    sizes = [int(float(s)) for s in args.sizes.split(",")] if args.sizes else SIZES
    repeat = 3 if args.quick else args.repeat

    import dotcompute as dc

    busy = None
    if args.load:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    saved = dc.get_num_threads()
    try:
        head = machine_lines(dc) + [
            f"- load: {'one core kept busy by another process (--load)' if busy else 'none added'}",
            f"- command: python tools/bench_grid.py {' '.join(argv or sys.argv[1:])}"]
        rows = grid(dc, ops, sizes, repeat)
    finally:
        dc.set_num_threads(saved)
        if busy is not None:
            busy.kill()
            busy.wait()
    print("\n".join(["### Machine", ""] + head + table(rows, sizes) + worst(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
