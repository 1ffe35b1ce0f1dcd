"""Per-call cost of the statements that the losing corpus programs spend their time in,
NumPy vs dotcompute, in microseconds (one process, interleaved medians).

    PYTHONPATH=. python tools/bench_calls.py [--threads 2] [--quick] [--only PROGRAM]

Each statement is compiled into a function of its own (`def f(): return <statement>`) with
the same names bound to NumPy arrays or to dotcompute arrays of the same values, so both
sides pay the same Python overhead. The statements are grouped by the corpus program
(asv_benchmarks/benchmarks/programs.py) they come from.
"""
import argparse
import sys

import numpy as np

from dotcompute._timing import interleaved_medians

# program -> statements taken from it (names: see _inputs)
CALLS = {
    "path_length": ["p[5]", "p[5] - p[4]", "tuple(p[5])", "p[5][0]", "float(p[5, 0])"],
    "rotate_points": ["next(iter(p))", "np.array([1.0, 2.0])", "np.array([s, s])",
                      "v2 + 1.0", "out2.__setitem__(5, v2)"],
    "qam_demodulate": ["E[3]", "E[3] - sym", "abs(sym)", "sym ** 2", "np.argmin(r32)"],
    "nbody": ["pos - pos[3]", "r24[:, None]", "pos * r24[:, None]", "(pos * pos).sum(axis=1)",
              "r24 ** 1.5"],
    "laplace_edges": ["4 * img[1:-1, 1:-1]", "img[:-2, 1:-1] - img[2:, 1:-1]", "abs(img)",
                      "img.sum(axis=2)"],
    "syrk_rows": ["C[60, :61]", "A[:61, 5]", "A[60, 5]", "A[:61, 5] * 1.5",
                  "A[:61, 5] * A[60, 5]", "1.5 * A[:61, 5] * A[60, 5]",
                  "C[60, :61].__iadd__(A[:61, 5])"],
    "triangular_solve": ["L[500, :500]", "x[:500]", "L[500, :500] @ x[:500]",
                         "np.vdot(L[500, :500], x[:500])", "x[:100] / L[500, 500]",
                         "x.__setitem__(500, 1.25)"],
    "cholesky_columns": ["np.sqrt(s)", "L[501:, :500] @ L[500, :500]",
                         "Lc.__setitem__((slice(501, None), 500), x[501:])"],
    "softmax": ["lg.max(axis=1, keepdims=True)", "lg.sum(axis=1, keepdims=True)",
                "lg - m", "np.exp(lg)"],
    "distance_matrix": ["X[:, None, :] - X[None, :, :]", "big.min(axis=1)",
                        "np.argmin(big, axis=1)", "big.max()"],
    # the per-call path of issue 13 part 3: indexing, iteration, conversions, the NumPy
    # fallback, `@` on slices, small creation
    "per_call": ["L[500, 7]", "L[5, :200]", "x[1:-1]", "L[..., 3]", "x[idx]", "r32[m32]",
                 "x.__setitem__(idx, 0.5)", "r32.__setitem__(m32, 0.5)",
                 "L.__setitem__((500, 7), s)", "x.__setitem__(slice(0, 100), s)",
                 "len(x)", "x.shape", "float(x[0])", "list(v2)", "list(pos)",
                 "np.cumsum(r32)", "np.arctan2(r32, 1.5)", "np.concatenate([r32, r32])",
                 "L[:100, :100] @ x[:100]", "x[:2] @ x[2:4]", "np.dot(L[500, :500], x[:500])",
                 "np.asarray([1.0, 2.0])", "np.array([1, 2, 3])", "np.empty(1000)",
                 "np.zeros(1000)", "np.ones(100)", "np.full(100, 2.5)", "np.empty((10, 3))"],
}


def _inputs(xp):
    rng = np.random.default_rng(0)
    d = {
        "L": np.tril(rng.uniform(size=(1000, 1000))) + 1000 * np.eye(1000),
        "x": rng.uniform(size=1000),
        "A": rng.normal(size=(110, 82)), "C": rng.normal(size=(110, 110)),
        "img": rng.uniform(size=(500, 500, 3)), "p": rng.normal(size=(12000, 2)),
        "pos": rng.normal(size=(24, 3)), "r24": rng.uniform(1, 2, 24),
        "E": rng.normal(size=100) + 1j * rng.normal(size=100),
        "sym": rng.normal(size=32) + 1j * rng.normal(size=32), "r32": rng.uniform(size=32),
        "lg": rng.normal(size=(4000, 500)).astype(np.float32),
        "m": rng.normal(size=(4000, 1)).astype(np.float32),
        "X": rng.normal(size=(500, 3)), "big": rng.normal(size=(500, 500)),
        "v2": np.array([0.5, 0.25]), "out2": np.zeros((100, 2)), "Lc": np.zeros((1000, 1000)),
    }
    d = {k: xp.asarray(v) for k, v in d.items()}
    d.update(np=xp, s=np.float64(1.5), idx=xp.asarray(rng.integers(0, 1000, 20)),
             m32=xp.asarray(np.asarray(d["r32"]) > 0.5))
    return d


def _function(statement, scope):
    code = compile(f"def f():\n    return {statement}\n", statement, "exec")
    exec(code, scope)
    return scope.pop("f")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="dotcompute threads (2)")
    parser.add_argument("--quick", action="store_true", help="5 batches instead of 15")
    parser.add_argument("--only", action="append", metavar="PROGRAM",
                        help=f"only the statements of this program ({', '.join(CALLS)})")
    args = parser.parse_args(argv)
    import dotcompute as dc

    dc.set_num_threads(args.threads)
    scopes = {"numpy": _inputs(np), "dotcompute": _inputs(dc)}
    repeat = 5 if args.quick else 15
    print(f"dotcompute threads: {dc.get_num_threads()}; us per call (median)\n")
    print("| program | statement | NumPy us | dotcompute us | NumPy / dotcompute |")
    print("|---|---|---:|---:|---:|")
    for prog, statements in CALLS.items():
        if args.only and prog not in args.only:
            continue
        for st in statements:
            fns = {k: _function(st, scope) for k, scope in scopes.items()}
            med = interleaved_medians(fns, repeat, batch_seconds=0.005)
            print(f"| {prog} | `{st}` | {med['numpy'] * 1e6:.2f} | "
                  f"{med['dotcompute'] * 1e6:.2f} | {med['numpy'] / med['dotcompute']:.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
