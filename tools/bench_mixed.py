"""Chains that mix cheap and expensive calls at mid sizes, under each thread mode, in one
process (interleaved rounds, best of each): what the policy's choices cost when one call
of a chain threads and its neighbours do not.

    PYTHONPATH=. python tools/bench_mixed.py [--sizes 5e3,1e4,2e4,3e4] [--rounds 5]

Columns (microseconds a call): `never` and `always` (every call on one thread or on all),
`auto` (the policy), `auto-nosticky` (the policy without _threads._sticky: a call below
its threshold runs serially even right after a threaded neighbour). `sticky/nosticky`
below 1: the sticky rule gains; `auto/best` is auto against the better fixed mode.
"""
import argparse
import time

import numpy as np

import dotcompute as dc
from dotcompute._core import _threads

EXPRS = ["dc.exp(-z)", "1.0 / (1.0 + dc.exp(-z))", "dc.sqrt(z*z + y*y)",
         "dc.sin(z) * 2.0 + y", "dc.log(dc.abs(z) + 1.0)", "-z", "z + y", "dc.exp(z)"]
MODES = (("never", True), ("always", True), ("auto", True), ("auto", False))


def _best(f, k, reps=3):
    best = 1e9
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(k):
            f()
        best = min(best, (time.perf_counter() - t0) / k)
    return best * 1e6


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="5e3,1e4,2e4,3e4")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    rng = np.random.default_rng(44)
    time.sleep(0.3)                       # NumPy's OpenBLAS spin after import
    print("| n | expression | never | always | auto | auto-nosticky | sticky/nosticky "
          "| auto/best |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    old_mode, old_sticky = _threads.set_mode("auto"), _threads.set_sticky(True)
    try:
        for n in [int(float(s)) for s in args.sizes.split(",")]:
            z, y = dc.asarray(rng.normal(size=n) * 3), dc.asarray(rng.normal(size=n))
            k = max(20, int(1e6 / n))
            for e in EXPRS:
                f = eval("lambda: " + e, {"dc": dc, "z": z, "y": y})
                res = [1e9] * len(MODES)
                for _ in range(args.rounds):
                    for i, (mode, sticky) in enumerate(MODES):
                        _threads.set_mode(mode)
                        _threads.set_sticky(sticky)
                        f()
                        res[i] = min(res[i], _best(f, k))
                print(f"| {n} | `{e}` | " + " | ".join(f"{r:.2f}" for r in res)
                      + f" | {res[2] / res[3]:.2f} | {res[2] / min(res[:2]):.2f} |",
                      flush=True)
    finally:
        _threads.set_mode(old_mode)
        _threads.set_sticky(old_sticky)


if __name__ == "__main__":
    main()
