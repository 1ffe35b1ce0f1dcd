"""The program corpus (asv_benchmarks/benchmarks/programs.py) under NumPy and dotcompute, in
one process, as a Markdown table.

    PYTHONPATH=. python tools/bench_programs.py [--threads 2] [--only NAME] [--quick]
                                                [--repeat 7] [--png ratios.png]

Each program runs unchanged with `np` bound to NumPy and to dotcompute, on the same inputs
(converted with `np.asarray` before timing). The two are timed in interleaved batches and
each reports its median (dotcompute/_timing.py), so load changes hit both alike; the ratio is
NumPy time / dotcompute time (> 1: dotcompute is faster), and the last row is the geometric
mean of the ratios. Prints the machine, date, load average and thread count first.
`--png` writes a bar chart of the ratios (needs matplotlib; otherwise says it was skipped).
"""
import argparse
import math
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(_HERE))
sys.path.insert(0, _HERE)

from asv_benchmarks.benchmarks.programs import PROGRAMS, prepare  # noqa: E402
from bench_headline import machine_lines  # noqa: E402
from dotcompute._timing import interleaved_medians  # noqa: E402


def measure(dc, names, repeat, size_of):
    """{name: (numpy seconds, dotcompute seconds)} of each program at size_of(program)."""
    out = {}
    for name in names:
        prog = PROGRAMS[name]
        size = size_of(prog)
        args_np = prepare(prog, np, size)
        args_dc = prepare(prog, dc, size)
        fns = {"numpy": lambda: prog.func(np, *args_np),
               "dotcompute": lambda: prog.func(dc, *args_dc)}
        med = interleaved_medians(fns, repeat, batch_seconds=0.0)
        out[name] = (med["numpy"], med["dotcompute"])
        print(f"  {name}: numpy {med['numpy'] * 1e3:.2f} ms, dotcompute "
              f"{med['dotcompute'] * 1e3:.2f} ms", file=sys.stderr, flush=True)
    return out


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def table(results):
    lines = ["| program | kind | NumPy ms | dotcompute ms | NumPy / dotcompute |",
             "|---|---|---:|---:|---:|"]
    for name, (t_np, t_dc) in results.items():
        lines.append(f"| `{name}` | {PROGRAMS[name].kind} | {t_np * 1e3:.2f} | "
                     f"{t_dc * 1e3:.2f} | {t_np / t_dc:.2f}x |")
    ratios = [t_np / t_dc for t_np, t_dc in results.values()]
    below = sum(r < 0.95 for r in ratios)
    lines.append(f"| **geometric mean** ({len(ratios)} programs, {below} below 0.95x) | | | | "
                 f"**{geometric_mean(ratios):.2f}x** |")
    return lines


def write_png(path, results, title):
    """Bar chart of the ratios (log scale, 1 = NumPy); False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = sorted(results, key=lambda k: results[k][0] / results[k][1])
    ratios = [results[k][0] / results[k][1] for k in names]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(names) + 1.5))
    colors = ["tab:red" if r < 0.95 else "tab:green" if r >= 1.05 else "tab:gray"
              for r in ratios]
    ax.barh(names, ratios, color=colors)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16)
             if min(ratios) / 2 <= t <= max(ratios) * 2]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("NumPy time / dotcompute time (> 1: dotcompute faster)")
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="dotcompute threads (2)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this program (repeatable)")
    parser.add_argument("--quick", action="store_true",
                        help="3 batches per backend instead of --repeat")
    parser.add_argument("--repeat", type=int, default=7, help="batches per backend (median)")
    parser.add_argument("--png", metavar="PATH", help="write a bar chart of the ratios")
    args = parser.parse_args(argv)
    names = args.only or list(PROGRAMS)
    unknown = [n for n in names if n not in PROGRAMS]
    if unknown:
        parser.error(f"unknown program(s) {unknown}; known: {', '.join(PROGRAMS)}")
    repeat = 3 if args.quick else args.repeat

    import dotcompute as dc

    saved = dc.get_num_threads()
    dc.set_num_threads(args.threads)
    try:
        head = machine_lines(dc) + [
            f"- dotcompute threads: {dc.get_num_threads()} (asked {args.threads}); NumPy runs "
            f"its own single-threaded loops",
            f"- command: python tools/bench_programs.py {' '.join(argv or sys.argv[1:])}",
        ]
        results = measure(dc, names, repeat, lambda p: p.full)
    finally:
        dc.set_num_threads(saved)
    print("\n".join(["### Machine", ""] + head + ["", "### Programs", ""] + table(results)))
    if args.png:
        title = f"{len(results)} programs, {args.threads} threads, " + head[0][2:]
        if write_png(args.png, results, title):
            print(f"\nchart written to {args.png}")
        else:
            print("\nchart skipped: matplotlib is not installed (pip install matplotlib)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
