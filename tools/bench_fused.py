"""Fused expressions against NumPy and numexpr, measured in one run.

    python tools/bench_fused.py [--sizes 1e3,1e5,1e6,1e7] [--threads 2] [--rounds 7]

For each size and expression the three implementations run interleaved, round after
round (so a noisy neighbour hurts all of them alike); the table shows the median time per
call and the ratios NumPy / dotcompute and numexpr / dotcompute (higher is better for
dotcompute), from medians and, in brackets, from the best rounds. Inputs are float64 NumPy
arrays; NumPy allocates its temporaries and result, numexpr and dotcompute their result.
numexpr is optional (pip install numexpr).
"""
import argparse
import statistics

import numpy as np

import dotcompute as dc
from dotcompute._timing import batch_median, batch_size

try:
    import numexpr as ne
except ImportError:       # the comparison is optional
    ne = None

EXPRESSIONS = [
    ("2*a + 3*b*b - c", lambda a, b, c: 2*a + 3*b*b - c),
    ("where(a > b, a - c, b * c)", lambda a, b, c: np.where(a > b, a - c, b * c)),
    ("sin(a) * exp(b)", lambda a, b, c: np.sin(a) * np.exp(b)),
    ("sum(a * b + c)", lambda a, b, c: np.sum(a * b + c)),
]


def per_call(f, budget):
    """Seconds per call of f over one batch of about `budget` seconds."""
    return batch_median(f, min(100000, batch_size(f, budget)), 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1e3,1e5,1e6,1e7")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--budget", type=float, default=0.05, help="seconds per measurement")
    p.add_argument("--only-first", action="store_true", help="only 2*a + 3*b*b - c")
    args = p.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    dc.set_num_threads(args.threads)
    if ne is not None:
        ne.set_num_threads(args.threads)
    exprs = EXPRESSIONS[:1] if args.only_first else EXPRESSIONS
    print(f"dotcompute {dc.__version__} ({dc.get_cpu_capability()} build), numpy "
          f"{np.__version__}, numexpr {ne.__version__ if ne else 'not installed'}; "
          f"{args.threads} threads for dotcompute and numexpr, NumPy single-threaded")
    print(f"{'expression':28} {'n':>9} {'numpy us':>10} {'numexpr us':>10} {'dc us':>9} "
          f"{'x numpy':>14} {'x numexpr':>14}")
    rng = np.random.default_rng(0)
    for n in sizes:
        a, b, c = (rng.random(n) for _ in range(3))
        env = {"a": a, "b": b, "c": c}
        for text, npf in exprs:
            impls = {"numpy": lambda: npf(a, b, c),
                     "dc": lambda: dc.evaluate(text, local_dict=env)}
            if ne is not None:
                impls["numexpr"] = lambda: ne.evaluate(text, local_dict=env)
            # check once that dotcompute agrees with NumPy
            want = npf(a, b, c)
            got = np.asarray(dc.evaluate(text, local_dict=env))
            if not np.allclose(got, want, rtol=1e-12, atol=0):
                raise SystemExit(f"dotcompute disagrees with NumPy on {text!r}")
            times = {k: [] for k in impls}
            for _ in range(args.rounds):
                for k, f in impls.items():
                    times[k].append(per_call(f, args.budget))
            med = {k: statistics.median(v) for k, v in times.items()}
            best = {k: min(v) for k, v in times.items()}

            def ratio(k):
                if k not in med:
                    return "-"
                return f"{med[k] / med['dc']:5.2f} ({best[k] / best['dc']:5.2f})"
            print(f"{text:28} {n:>9} {med['numpy'] * 1e6:10.1f} "
                  f"{med.get('numexpr', float('nan')) * 1e6:10.1f} {med['dc'] * 1e6:9.2f} "
                  f"{ratio('numpy'):>14} {ratio('numexpr'):>14}")


if __name__ == "__main__":
    main()
