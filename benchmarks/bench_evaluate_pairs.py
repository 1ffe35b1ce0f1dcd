"""dc.evaluate against NumPy and numexpr on chains of + - * (fused pairs), one run.

    PYTHONPATH=. python benchmarks/bench_evaluate_pairs.py [--repeat 9] [--sizes ...]

Per expression, dtype, size and thread count the implementations run in interleaved
batches (dotcompute._timing.interleaved_medians); printed: median us per call and the
ratios NumPy / dc and numexpr / dc (above 1: dc faster). `dc.add` / `a+b` compares the
interpreter's one-instruction program with the plain kernel call. With --nofuse the
evaluate programs are also compiled without fused pairs (column `nofuse/dc`).
"""
import argparse

import numpy as np

import dotcompute as dc
from dotcompute._compiler import _lower
from dotcompute._timing import interleaved_medians

try:
    import numexpr as ne
except ImportError:
    ne = None

EXPRS = [("2*a + 3*b*b - c", lambda a, b, c, s: 2 * a + 3 * b * b - c),
         ("s*a + b", lambda a, b, c, s: s * a + b),
         ("a + b", lambda a, b, c, s: a + b)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="1e4,1e5,3e5,1e6")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--batch", type=float, default=0.01)
    p.add_argument("--nofuse", action="store_true")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    print(f"{dc.get_cpu_capability()} build, numexpr {ne.__version__ if ne else '-'}")
    print(f"{'expr':16} {'dtype':8} {'n':>8} {'thr':>3} {'numpy us':>9} {'ne us':>8} "
          f"{'dc us':>8} {'np/dc':>6} {'ne/dc':>6} {'nofuse/dc':>9} {'add/dc':>6}")
    for thr in [int(t) for t in args.threads.split(",")]:
        dc.set_num_threads(thr)
        if ne is not None:
            ne.set_num_threads(thr)
        for dt in args.dtypes.split(","):
            for n in [int(float(x)) for x in args.sizes.split(",")]:
                a, b, c = (rng.random(n).astype(dt) for _ in range(3))
                s = 1.5
                env = {"a": a, "b": b, "c": c, "s": s}
                for text, npf in EXPRS:
                    fns = {"numpy": lambda: npf(a, b, c, s),
                           "dc": lambda: dc.evaluate(text, local_dict=env)}
                    if ne is not None:
                        fns["ne"] = lambda: ne.evaluate(text, local_dict=env)
                    if args.nofuse:
                        t2 = text + " "          # a separate cache entry, compiled unfused
                        _lower.FUSE_PAIRS = False
                        try:
                            dc.evaluate(t2, local_dict=env)
                        finally:
                            _lower.FUSE_PAIRS = True
                        fns["nofuse"] = lambda: dc.evaluate(t2, local_dict=env)
                    if text == "a + b":
                        fns["add"] = lambda: dc.add(a, b)
                    want = npf(a, b, c, s)
                    got = np.asarray(dc.evaluate(text, local_dict=env))
                    assert got.dtype == want.dtype and np.array_equal(got, want), text
                    m = interleaved_medians(fns, args.repeat, args.batch)
                    d = m["dc"]
                    r = lambda k: f"{m[k] / d:.2f}" if k in m else "-"
                    print(f"{text:16} {dt:8} {n:>8} {thr:>3} {m['numpy'] * 1e6:9.1f} "
                          f"{m.get('ne', float('nan')) * 1e6:8.1f} {d * 1e6:8.1f} "
                          f"{r('numpy'):>6} {r('ne'):>6} {r('nofuse'):>9} {r('add'):>6}",
                          flush=True)


if __name__ == "__main__":
    main()
