"""Per-call cost of `evaluate` in a loop over a changing Python scalar, against NumPy.

    python tools/bench_scalar_loop.py [--n 1000] [--repeat 15]

Each call evaluates "a*s + b*2.5" with a new float s (and, as a second row, the same s
every call), so a cache keyed on scalar values would compile on every call. Interleaved
medians from one run (dotcompute._timing); the machine may be loaded.
"""
import argparse
import itertools

import numpy as np

import dotcompute as dc
from dotcompute._timing import interleaved_medians


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    a, b = rng.random(args.n), rng.random(args.n)
    counter = itertools.count()

    def dc_changing():
        s = float(next(counter))
        return dc.evaluate("a*s + b*2.5", local_dict={"a": a, "b": b, "s": s})

    def np_changing():
        s = float(next(counter))
        return a * s + b * 2.5

    def dc_fixed():
        return dc.evaluate("a*s + b*2.5", local_dict={"a": a, "b": b, "s": 3.0})

    def np_fixed():
        return a * 3.0 + b * 2.5

    t = interleaved_medians({"dc_changing": dc_changing, "np_changing": np_changing,
                             "dc_fixed": dc_fixed, "np_fixed": np_fixed}, args.repeat)
    print(f"n={args.n}, {dc.get_cpu_capability()} build, {dc.get_num_threads()} threads")
    for kind in ("changing", "fixed"):
        d, n = t[f"dc_{kind}"], t[f"np_{kind}"]
        print(f"s {kind:9}: dotcompute {d * 1e6:7.2f} us  numpy {n * 1e6:7.2f} us  "
              f"x numpy {n / d:5.2f}")


if __name__ == "__main__":
    main()
