"""The size grid of issue 13: element-wise ops and reductions, NumPy vs dotcompute at 1 and 2
threads, over n and dtype, in one process.

    PYTHONPATH=. python tools/bench_grid.py [--quick] [--load] [--repeat 7] [--min]
                                            [--ops add,exp] [--sizes 1e5,1e6]

Ops: add, multiply, a*2.5, <, sqrt, exp, log, sin, tanh, sum, max; n in 1e3 ... 1e7;
float32 and float64. Each cell times NumPy, dotcompute at 1 thread and at 2 threads
(`dotcompute.set_num_threads`) in interleaved batches (dotcompute/_timing.py) and prints
NumPy time / dotcompute time (> 1: dotcompute faster), then the worst cells. `--load` keeps
one core busy with another process (`python -c "while True: pass"`) for the duration of the
run and stops it afterwards: the target is a worst ratio >= 0.95 both ways.

Shared machines: the CPU time other processes used during each cell is read from /proc/stat
(busy time minus this process's own; with --load the spinner counts as other) and printed
with the tables, and apart from it the host's steal (in a VM: time the vCPUs wanted to
run and the host ran another guest). Cells below --rerun-below are timed again alone (--repeat x 3 batches) and
the second timing is reported, marked `*`, with the first one next to it in the worst-cells
table.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from bench_headline import machine_lines  # noqa: E402
from dotcompute._timing import interleaved_medians, interleaved_minimums  # noqa: E402

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


def _cpu_snapshot():
    """(busy CPU seconds of the machine, this process's CPU seconds, wall seconds, the
    host's steal in CPU seconds). Busy time leaves steal out: in a VM steal is time a vCPU
    wanted to run and the host ran another guest, not other processes' use."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        tick = os.sysconf("SC_CLK_TCK")
        busy = (v[0] + v[1] + v[2] + v[5] + v[6]) / tick
        steal = v[7] / tick
    except (OSError, ValueError):
        busy = steal = float("nan")
    r = resource.getrusage(resource.RUSAGE_SELF)
    return busy, r.ru_utime + r.ru_stime, time.monotonic(), steal


def _foreign(a, b):
    """(cores other processes kept busy, cores the host's steal took) between two
    snapshots (nan without /proc/stat)."""
    wall = max(b[2] - a[2], 1e-9)
    return (max(0.0, ((b[0] - a[0]) - (b[1] - a[1])) / wall),
            max(0.0, (b[3] - a[3]) / wall))


def _fmt_n(n):
    return f"{n:.0e}".replace("e+0", "e")


def _cell(dc, op, a, b, da, db, repeat, statistic="median"):
    """(NumPy s, {threads: dotcompute s}, other processes' cores) of one cell."""
    f = OPS[op]
    fns = {"numpy": lambda: f(np, a, b)}
    setup = {}
    for t in THREADS:
        fns[t] = lambda: f(dc, da, db)
        setup[t] = lambda t=t: dc.set_num_threads(t)
    s0 = _cpu_snapshot()
    timed = interleaved_minimums if statistic == "min" else interleaved_medians
    med = timed(fns, repeat, setup=setup)
    return med["numpy"], {t: med[t] for t in THREADS}, _foreign(s0, _cpu_snapshot())


def grid(dc, ops, sizes, repeat, rerun_below=0.0, statistic="median"):
    """[(op, dtype, n, numpy s, {threads: dotcompute s}, (foreign cores, steal cores),
    first ratios or None)]
    for every cell; a cell with a ratio below `rerun_below` is timed again alone."""
    rows = []
    rng = np.random.default_rng(13)
    for dtype in DTYPES:
        for n in sizes:
            a = rng.uniform(0.5, 2.0, n).astype(dtype)
            b = rng.uniform(0.5, 2.0, n).astype(dtype)
            da, db = dc.array(a), dc.array(b)    # pool memory, as dc creation makes it
            for op in ops:
                t_np, t_dc, fl = _cell(dc, op, a, b, da, db, repeat, statistic)
                first = None
                if min(t_np / t_dc[t] for t in THREADS) < rerun_below:
                    first = {t: t_np / t_dc[t] for t in THREADS}
                    t_np, t_dc, fl = _cell(dc, op, a, b, da, db, 3 * repeat, statistic)
                rows.append((op, dtype, n, t_np, t_dc, fl, first))
                print(f"  {op} {dtype} {_fmt_n(n)}: " + ", ".join(
                    f"{t}T {t_np / t_dc[t]:.2f}x" for t in THREADS)
                    + (" (rerun; first " + ", ".join(f"{first[t]:.2f}" for t in THREADS)
                       + ")" if first else "") + f"; others {fl[0]:.2f} cores, "
                    f"steal {fl[1]:.2f}",
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
        for op, dtype, n, t_np, t_dc, _, first in rows:
            cells.setdefault((op, dtype), {})[n] = (f"{t_np / t_dc[t]:.2f}"
                                                    + ("*" if first else ""))
        for (op, dtype), by_n in cells.items():
            lines.append(f"| `{op}` | {dtype} | " + " | ".join(
                by_n.get(n, "") for n in sizes) + " |")
    return lines


def worst(rows, k=10):
    cells = sorted((t_np / t_dc[t], op, dtype, n, t, t_np, t_dc[t], fl,
                    first[t] if first else None)
                   for op, dtype, n, t_np, t_dc, fl, first in rows for t in THREADS)
    lines = ["", f"#### Worst {min(k, len(cells))} cells", "",
             "| ratio | op | dtype | n | threads | NumPy | dotcompute | others (cores) "
             "| host steal (cores) | first timing |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r, op, dtype, n, t, t_np, t_dc, fl, first in cells[:k]:
        lines.append(f"| {r:.2f} | `{op}` | {dtype} | {_fmt_n(n)} | {t} | "
                     f"{t_np * 1e6:.1f} us | {t_dc * 1e6:.1f} us | {fl[0]:.2f} | "
                     f"{fl[1]:.2f} | "
                     + (f"{first:.2f}" if first is not None else "") + " |")
    below = sum(c[0] < 0.95 for c in cells)
    loads = [row[5][0] for row in rows]
    steals = [row[5][1] for row in rows]
    lines.append(f"\nworst ratio {cells[0][0]:.2f}; {below} of {len(cells)} cells below 0.95; "
                 f"{sum(row[6] is not None for row in rows)} cells timed again (`*`); other "
                 f"processes kept {sum(loads) / len(loads):.2f} cores busy on average "
                 f"(max {max(loads):.2f}); the host's steal took {sum(steals) / len(steals):.2f}"
                 f" cores on average (max {max(steals):.2f})")
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
    parser.add_argument("--min", action="store_true",
                        help="fastest batch instead of the median (shared, busy machines)")
    parser.add_argument("--rerun-below", type=float, default=0.95,
                        help="time cells below this ratio again, alone (0: never)")
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
            f"- statistic: {'fastest' if args.min else 'median'} of interleaved batches",
            f"- command: python tools/bench_grid.py {' '.join(argv or sys.argv[1:])}"]
        rows = grid(dc, ops, sizes, repeat, args.rerun_below,
                    "min" if args.min else "median")
    finally:
        dc.set_num_threads(saved)
        if busy is not None:
            busy.kill()
            busy.wait()
    print("\n".join(["### Machine", ""] + head + table(rows, sizes) + worst(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
