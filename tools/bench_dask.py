"""dask.array pipeline with dotcompute chunks against NumPy chunks, one run each.

    python tools/bench_dask.py [--n 2e7] [--chunk 1e6] [--scheduler threads,distributed]

The pipeline (tools/dask_pipeline.py): three arrays of n uniform doubles made on
the workers in chunks, ``2*a + 3*b*b - c``, then its sum, min and max. Two timings per
scheduler and backend:

- pipeline: generation + expression + reductions (what a user runs end to end; the
  generation is NumPy's random generator for both backends);
- expression: the three inputs persisted first (in the process, or on the workers), then
  only the expression and the reductions are timed.

Schedulers: `threads` (dask's threaded scheduler, 2 threads, dotcompute's kernels
single-threaded per task so the two levels do not oversubscribe the cores) and
`distributed` (LocalCluster, 2 worker processes x 1 thread; the nanny sets
OMP_NUM_THREADS=1 in the workers, which dotcompute honours).

The ratio printed is NumPy time / dotcompute time (above 1: dotcompute chunks faster).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import dotcompute as dc  # noqa: E402
from dotcompute._timing import min_time  # noqa: E402


def run(n, chunk, scheduler, repeat=1, warmup=True):
    """{(timing, backend): seconds} for one scheduler."""
    import dask
    from dask_pipeline import example_pipeline, uniform

    out = {}
    client = cluster = None
    threads = dc.get_num_threads()
    try:
        if scheduler == "distributed":
            from distributed import Client, LocalCluster
            cluster = LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                   dashboard_address=None)
            client = Client(cluster)

            def compute(*xs):
                return client.gather(client.compute(list(xs)))

            def persist(*xs):
                ys = client.persist(list(xs))
                from distributed import wait
                wait(ys)
                return ys
        else:
            dc.set_num_threads(1)

            def compute(*xs):
                return dask.compute(*xs, scheduler="threads", num_workers=2)

            def persist(*xs):
                return dask.persist(*xs, scheduler="threads", num_workers=2)

        for xp in (dc, np):
            if warmup:
                compute(*example_pipeline(max(n // 10, chunk), chunk, xp=xp))
            out["pipeline", xp.__name__] = min_time(
                lambda: compute(*example_pipeline(n, chunk, xp=xp)), repeat)
            a, b, c = persist(*(uniform(n, chunk, k, xp) for k in range(3)))

            def expression():
                e = 2 * a + 3 * b * b - c
                return compute(e.sum(), e.min(), e.max())
            if warmup:
                expression()
            out["expression", xp.__name__] = min_time(expression, repeat)
            del a, b, c
    finally:
        dc.set_num_threads(threads)
        if client is not None:
            client.close()
            cluster.close()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=float, default=2e7, help="elements per array (2e7)")
    p.add_argument("--chunk", type=float, default=1e6, help="elements per chunk (1e6)")
    p.add_argument("--scheduler", default="threads,distributed")
    p.add_argument("--repeat", type=int, default=1, help="best of this many runs (1)")
    args = p.parse_args(argv)
    try:
        import dask  # noqa: F401
    except ImportError:
        sys.exit("dask is not installed: pip install -e \".[dask]\"")
    n, chunk = int(args.n), int(args.chunk)
    print(f"n={n:.3g} per array, chunk={chunk:.3g}, {os.cpu_count()} CPUs, "
          f"dotcompute build {dc.get_cpu_capability()}")
    print(f"{'scheduler':<12} {'timing':<11} {'numpy s':>9} {'dotcompute s':>13} "
          f"{'ratio':>6}")
    for scheduler in args.scheduler.split(","):
        res = run(n, chunk, scheduler, args.repeat)
        for timing in ("pipeline", "expression"):
            tn, td = res[timing, "numpy"], res[timing, "dotcompute"]
            print(f"{scheduler:<12} {timing:<11} {tn:9.3f} {td:13.3f} {tn / td:6.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
