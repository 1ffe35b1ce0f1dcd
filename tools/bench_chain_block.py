"""Operator chains by block size: NumPy time / dotcompute time of `2*a + 3*b*b - c` (a
function of local arrays, so the chain fuses) at each chain block (`set_chain_block`),
with `dotcompute.evaluate` of the same expression, in one process, shuffled rounds,
medians.

    PYTHONPATH=. python tools/bench_chain_block.py [--blocks 512,2048] [--sizes 1e4,1e5]
                                                   [--dtypes f8,f4] [--threads 2]
"""
import argparse
import random
import statistics
import time

import numpy as np

import dotcompute as dc
from dotcompute._core import _kernel_access


def fused(a, b, c):
    return 2*a + 3*b*b - c


def evaluated(a, b, c):
    return dc.evaluate("2*a + 3*b*b - c", local_dict={"a": a, "b": b, "c": c})


def _batch(f, args, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        f(*args)
    return (time.perf_counter() - t0) / reps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--blocks", default="256,512,1024,2048")
    p.add_argument("--sizes", default="1e4,3e4,1e5,3e5,1e6")
    p.add_argument("--dtypes", default="f8,f4")
    p.add_argument("--threads", default="2")
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args(argv)
    blocks = [int(x) for x in args.blocks.split(",")]
    rng = np.random.default_rng(0)
    saved_blk, saved_threads = _kernel_access.set_chain_block(512), dc.get_num_threads()
    try:
        for threads in (int(x) for x in args.threads.split(",")):
            dc.set_num_threads(threads)
            for dt in args.dtypes.split(","):
                for n in (int(float(x)) for x in args.sizes.split(",")):
                    host = [rng.uniform(size=n).astype(dt) for _ in range(3)]
                    ours = [dc.array(v) for v in host]
                    reps = max(5, int(3e6 / n))
                    times = {k: [] for k in ["numpy", "evaluate"] + blocks}
                    for _ in range(args.rounds):
                        for k in random.sample(list(times), len(times)):
                            if k == "numpy":
                                times[k].append(_batch(fused, host, reps))
                            elif k == "evaluate":
                                times[k].append(_batch(evaluated, ours, reps))
                            else:
                                _kernel_access.set_chain_block(k)
                                times[k].append(_batch(fused, ours, reps))
                    m = {k: statistics.median(v) for k, v in times.items()}
                    print(f"{threads}T {dt} n={n:>8}: NumPy {m['numpy'] * 1e6:8.1f} us; "
                          "NumPy / dotcompute: " + "  ".join(
                              f"{k} {m['numpy'] / m[k]:5.2f}" for k in ["evaluate"] + blocks),
                          flush=True)
    finally:
        _kernel_access.set_chain_block(saved_blk)
        dc.set_num_threads(saved_threads)


if __name__ == "__main__":
    main()
