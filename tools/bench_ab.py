"""A/B timing of two dotcompute trees (e.g. main's build and a branch's) on the same calls.

    python tools/bench_ab.py A_TREE B_TREE [--ops exp,log,sin] [--sizes 1000,100000,1000000]
                             [--dtype float64] [--rounds 7] [--threads N]

A tree is imported in its own subprocess (two builds cannot share one process). The rounds
alternate A, B, A, B, ...; each round times every (op, n) with `median_time` of
dotcompute/_timing.py, and the table reports the median over the rounds and the ratio
B / A (> 1: B is slower). Alternating rounds spread a shared machine's load over both.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys
import numpy as np
import dotcompute as dc
from dotcompute._timing import median_time
ops, sizes, dtype = sys.argv[1].split(","), [int(s) for s in sys.argv[2].split(",")], sys.argv[3]
if int(sys.argv[4]):
    dc.set_num_threads(int(sys.argv[4]))
rng = np.random.default_rng(1)
out = {}
for n in sizes:
    a = dc.array(rng.uniform(0.1, 2.0, n).astype(dtype))
    for op in ops:
        f = getattr(dc, op)
        f(a)
        out[f"{op} {n}"] = median_time(lambda: f(a), budget=0.3)
print(json.dumps({"file": dc.__file__, "times": out}))
"""


def run(tree, ops, sizes, dtype, threads):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    res = subprocess.run([sys.executable, "-c", CHILD, ops, sizes, dtype, str(threads)],
                         env=env, cwd="/",
                         capture_output=True, text=True, check=True)
    data = json.loads(res.stdout.strip().splitlines()[-1])
    if not data["file"].startswith(os.path.abspath(tree)):
        raise SystemExit(f"{tree}: imported {data['file']}")
    return data["times"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--ops", default="exp,log,sin")
    p.add_argument("--sizes", default="1000,100000,1000000")
    p.add_argument("--dtype", default="float64")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--threads", type=int, default=0, help="0: dotcompute's default")
    args = p.parse_args()
    times = {"a": [], "b": []}
    for _ in range(args.rounds):
        for k in ("a", "b"):
            times[k].append(run(getattr(args, k), args.ops, args.sizes, args.dtype,
                                args.threads))
    print(f"A = {args.a}\nB = {args.b}\n{args.dtype}, threads {args.threads or 'default'}, "
          f"DOTCOMPUTE_CPU_CAPABILITY={os.environ.get('DOTCOMPUTE_CPU_CAPABILITY', '')!r}, "
          f"median of {args.rounds} alternating rounds\n")
    print("| op | n | A µs | B µs | B / A |\n|---|---:|---:|---:|---:|")
    for key in times["a"][0]:
        ta = statistics.median(r[key] for r in times["a"]) * 1e6
        tb = statistics.median(r[key] for r in times["b"]) * 1e6
        op, n = key.split()
        print(f"| {op} | {n} | {ta:.2f} | {tb:.2f} | {tb / ta:.3f} |")


if __name__ == "__main__":
    main()
