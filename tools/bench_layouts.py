"""Element-wise calls on N-d layouts (a strided slice, a transpose, a broadcast row, reversed
rows), NumPy against dotcompute in one process: median times and their ratio, and whether
the results are NumPy's bits.

    PYTHONPATH=. python tools/bench_layouts.py [--shape 600,600] [--ops arctan2,fmod,...]
                                               [--threads 2] [--budget 0.2]

The ops whose loop is NumPy's on this machine (the borrowed expensive ops where NumPy's
loop is the faster one, and the ufuncs we have no kernel for) run it row by row over the
walk on our threads, so their results are NumPy's bits; our own kernels' results are within
their documented ulp bounds (`bits` says no).
"""
import argparse

import numpy as np

import dotcompute as dc
from dotcompute._timing import median_time

BINARY = ["arctan2", "hypot", "power", "fmod", "logaddexp", "nextafter", "maximum"]
UNARY = ["exp", "sin", "tan", "arctan", "sinh", "log1p", "log10", "cbrt", "degrees"]
LAYOUTS = {
    "slice": (lambda a: a[::2, 1:-1], lambda a: a[::2, 1:-1]),
    "transpose": (lambda a: a.T, lambda a: a),
    "broadcast": (lambda a: a, lambda a: a[0]),
    "rows_reversed": (lambda a: a[::-1], lambda a: a),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default="600,600")
    p.add_argument("--ops", default=",".join(BINARY + UNARY))
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--budget", type=float, default=0.2)
    args = p.parse_args(argv)
    dc.set_num_threads(args.threads)
    shape = tuple(int(s) for s in args.shape.split(","))
    rng = np.random.default_rng(0)
    print(f"shape {shape}, {args.threads} thread(s); times in microseconds (median)")
    print("| op | dtype | layout | NumPy | dotcompute | NumPy / dotcompute | bits |")
    print("|---|---|---|---:|---:|---:|---|")
    ratios = []
    for dtype in args.dtypes.split(","):
        X = rng.uniform(0.1, 2.0, size=shape).astype(dtype)
        Y = rng.uniform(-2.0, 2.0, size=shape).astype(dtype)
        x, y = dc.asarray(X), dc.asarray(Y)
        for op in args.ops.split(","):
            nf, df = getattr(np, op), getattr(dc, op)
            binary = op in BINARY or nf.nin == 2
            for layout, (fa, fb) in LAYOUTS.items():
                if not binary and layout == "broadcast":
                    continue
                if binary:
                    def run_np():
                        return nf(fa(X), fb(Y))

                    def run_dc():
                        return df(fa(x), fb(y))
                else:
                    def run_np():
                        return nf(fa(X))

                    def run_dc():
                        return df(fa(x))
                with np.errstate(all="ignore"):
                    tn = median_time(run_np, budget=args.budget)
                    td = median_time(run_dc, budget=args.budget)
                    want, got = run_np(), np.asarray(run_dc())
                bits = (want.dtype == got.dtype and want.shape == got.shape
                        and np.array_equal(want, got, equal_nan=True))
                ratios.append(tn / td)
                print(f"| `{op}` | {dtype} | {layout} | {tn * 1e6:.1f} | {td * 1e6:.1f} | "
                      f"{tn / td:.2f} | {'yes' if bits else 'no'} |")
    geo = float(np.exp(np.mean(np.log(ratios))))
    print(f"\ngeometric mean {geo:.2f}x over {len(ratios)} cases; worst {min(ratios):.2f}x")


if __name__ == "__main__":
    main()
