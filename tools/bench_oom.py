"""How long a failed pool allocation takes with a large live Python heap.

    python tools/bench_oom.py [--objects 2000000]

Builds `--objects` live container objects (all tracked by the cycle collector), limits a
pool, and times allocations that fail: the first failure of an episode (which runs one
gc.collect()), then later failures of the same episode (which must not), against NumPy's
MemoryError for an impossible request. One run; the machine may be loaded.
"""
import argparse
import time

import numpy as np

from dotcompute._core import _memory
from dotcompute._timing import median_time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--objects", type=int, default=2_000_000)
    args = p.parse_args()
    heap = [[i] for i in range(args.objects)]          # live, gc-tracked objects
    pool = _memory.MemoryPool()
    pool.set_limit(size=1 << 20)

    def fail_pool():
        try:
            pool.malloc(8 << 20)
        except _memory.OutOfMemoryError:
            pass

    def fail_numpy():
        try:
            np.empty(1 << 62, dtype=np.uint8)
        except MemoryError:
            pass

    t0 = time.perf_counter()
    fail_pool()
    first = time.perf_counter() - t0
    later = median_time(fail_pool, budget=0.3)
    npy = median_time(fail_numpy, budget=0.3)
    t0 = time.perf_counter()
    import gc
    gc.collect()
    full_gc = time.perf_counter() - t0
    print(f"{len(heap):,} live objects; one full gc.collect(): {full_gc * 1e3:.1f} ms")
    print(f"first failure of an episode (includes the collection): {first * 1e3:8.2f} ms")
    print(f"later failures (median):                                {later * 1e3:8.4f} ms")
    print(f"NumPy MemoryError (median):                             {npy * 1e3:8.4f} ms")
    print(f"later failure / NumPy: {later / npy:.1f}x; within 20 ms: {later <= 0.020}")


if __name__ == "__main__":
    main()
