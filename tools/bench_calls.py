"""Per-call cost of the statements that the losing corpus programs spend their time in,
NumPy vs dotcompute, in microseconds (one process, interleaved batches).

    PYTHONPATH=. python tools/bench_calls.py [--threads 2] [--quick] [--only GROUP]
                                             [--stat min|median] [--large]

Each statement is compiled into a function of its own (`def f(): return <statement>`, or
the statement itself as the body when it assigns) with the same names bound to NumPy
arrays or to dotcompute arrays of the same values, so both sides pay the same Python
overhead. The statements are grouped by the corpus program
(asv_benchmarks/benchmarks/programs.py) they come from, then issue 13's part-3 table,
creation at several sizes, NumPy functions run on our arrays (`__array_function__`
fallbacks; the `added` column is dotcompute's time minus NumPy's), NumPy functions
programs call in loops (`functions`: `np.f` through the namespace, `onp.f` NumPy's own
function on our arrays, through its protocol), fancy indexing and F-ordered operands
(`layout`).
`--stat min` (the default) reports the fastest batch of each side: on a machine that
other processes load, the least disturbed one. `--large` times creation of 1e5..3e7
elements alone and with a first touch (NumPy's own `v += 1` on the result for both).
"""
import argparse
import sys

import numpy as np

from dotcompute._timing import interleaved_medians, interleaved_minimums, min_time

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
    # issue 13, part 3: the table of per-call costs, iteration, unpacking, conversions
    "part3": ["x[5]", "L[5, 7]", "L[5, :200]", "x[1:-1]",
              "C[60, :61] += 1.5 * A[:61, 5] * A[60, 5]", "L[500, :200] @ x[:200]",
              "np.array([1.0, 2.0])", "x[:100] * np.float64(1.5)", "x[:100] * 1.5",
              "for v in p[:100]: pass", "dx, dy = p[5] - p[4]", "x[5] = 0.25",
              "float(x[0])", "len(x)", "x.shape"],
    "creation": [f"np.{f}" for n in (10, 100, 1000) for f in (
        f"empty({n})", f"zeros({n})", f"ones({n})", f"full({n}, 2.5)", f"arange({n})",
        f"empty_like(x[:{n}])", f"zeros_like(x[:{n}])", f"ones_like(x[:{n}])",
        f"full_like(x[:{n}], 2.5)")] + [
        "np.array([1.0, 2.0])", "np.array([1, 2, 3])", "np.array([0.5] * 32)",
        "np.asarray([1.0, 2.0])", "np.zeros((10, 3))", "np.ones((32, 32), np.float32)",
        "np.arange(0.0, 1.0, 0.01)",
        # a NumPy array in (n32, nF: NumPy arrays on both sides): NumPy's asarray returns it
        # as it is, dotcompute's views its memory; array copies on both sides
        "np.array(n32)", "np.asarray(n32)", "np.array(nF)", "np.asarray(n32, dtype=float)"],
    # reductions with dtype= (float32 and int32 data, 1000 elements)
    "dtype_reductions": ["f1k.sum(dtype=np.float64)", "f1k.mean(dtype=np.float64)",
                         "np.sum(f1k, dtype=np.float64)", "i1k.sum(dtype=np.int64)",
                         "x.sum(dtype=np.float64)", "f1k.prod(dtype=np.float64)",
                         "f1k.cumsum(dtype=np.float64)"],
    "fallback": [f"np.{f}" for v in ("r32", "x") for f in (
        f"median({v})", f"unique({v})", f"diff({v})", f"percentile({v}, 30)",
        f"histogram({v})", f"pad({v}, 2)", f"roll({v}, 3)", f"linalg.norm({v})",
        f"flip({v})", f"round({v}, 2)", f"cumsum({v})")],
    # NumPy functions called in loops on small arrays, through the namespace
    # (`np.f`, np bound to dotcompute) and through NumPy's protocol (`onp.f`, onp is NumPy
    # itself on both sides: on dotcompute arrays it runs __array_function__)
    "functions": [f"{mod}.{f}" for f in (
        "flip(r32)", "flip(pos, 1)", "diff(r32)", "diff(x)", "diff(pos, axis=0)",
        "concatenate([r32, r32])", "stack([r32, r32])", "where(m32, r32, 0.0)",
        "where(m32)", "clip(r32, 0.2, 0.8)", "roll(r32, 3)", "pad(r32, 2)",
        "unique(r32)", "sort(r32)", "argsort(r32)", "linspace(0.0, 1.0, 50)",
        "meshgrid(r32, r32)", "tile(r32, 2)", "repeat(r32, 2)", "cumsum(pos, axis=0)",
        "einsum('i,i->', r32, r32)", "linalg.norm(r32)", "linalg.norm(pos, axis=1)",
        "outer(r32, r32)", "cross(pos[0], pos[1])", "allclose(r32, r32)",
        "isclose(r32, r32)", "reshape(r32, (4, 8))", "transpose(pos)", "ravel(pos)",
        "expand_dims(r32, 0)", "copy(r32)", "searchsorted(x32, 0.5)",
        "interp(0.5, x32, r32)", "argmax(r32)", "mean(pos, axis=0)", "dot(r32, r32)",
        "fliplr(pos)", "flipud(pos)") for mod in ("np", "onp")],
    "fancy": ["x[idx]", "r32[m32]", "x[x > 0.5]", "x[idx] = 0.5", "r32[m32] = 0.5",
              "x[idx] += 1", "pos[i3]", "pos[m24]"],
    # element-wise results keep the operands' layout (order='K'): F-ordered operands run
    # as one contiguous loop; the results are F-ordered, as NumPy's
    "layout": ["F + F", "F * 2.5", "np.sqrt(F)", "F < 0.5", "F.T - 1.0", "F[::-1] * F[::-1]",
               "F + F[:, :1]", "f30 + f30", "np.sqrt(f30)"],
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
        "F": np.asfortranarray(rng.uniform(size=(300, 400))),
        "f30": np.asfortranarray(rng.uniform(size=(30, 30))),
        "f1k": rng.normal(size=1000).astype(np.float32),
        "i1k": rng.integers(-1000, 1000, 1000).astype(np.int32),
    }
    d = {k: xp.array(v) for k, v in d.items()}      # copies: pool memory for dotcompute
    own = np.random.default_rng(1)
    d.update(n32=own.uniform(size=32), nF=np.asfortranarray(own.uniform(size=(30, 30))))
    d.update(np=xp, onp=np, s=np.float64(1.5), x32=xp.asarray(np.linspace(0, 1, 32)), idx=xp.asarray(rng.integers(0, 1000, 20)),
             m32=xp.asarray(np.asarray(d["r32"]) > 0.5), i3=xp.asarray([0, 5, 7]),
             m24=xp.asarray(np.asarray(d["r24"]) > 1.5))
    return d


def _function(statement, scope):
    assigns = statement.startswith("for ") or any(
        op in statement.split("(")[0] for op in (" = ", " += "))
    body = statement if assigns else f"return {statement}"
    code = compile(f"def f():\n    {body}\n", statement, "exec")
    exec(code, scope)
    return scope.pop("f")


def _touch(z):
    v = np.asarray(z)
    v += 1            # NumPy's own loop on either side's memory: only creation differs


def large_creation(repeat):
    """Creation of n elements alone and with a first touch, NumPy vs dotcompute (fastest
    of `repeat` calls each, interleaved)."""
    import dotcompute as dc
    print("\n| n | call | NumPy us | dotcompute us | dotcompute / NumPy |")
    print("|---:|---|---:|---:|---:|")
    for n in (10**5, 10**6, 10**7, 3 * 10**7):
        for name, make in (("zeros(n)", lambda xp: xp.zeros(n)),
                           ("zeros(n) + touch", lambda xp: _touch(xp.zeros(n))),
                           ("empty(n) + touch", lambda xp: _touch(xp.empty(n))),
                           ("ones(n)", lambda xp: xp.ones(n)),
                           ("full(n, 2.5)", lambda xp: xp.full(n, 2.5))):
            best = {"numpy": float("inf"), "dotcompute": float("inf")}
            for xp in (np, dc):
                # untimed: the allocator's first use of a size (NumPy's heap, our pool)
                # and the thread policy's one-time calibration are not what is compared
                make(xp)
                make(xp)
            for _ in range(repeat):
                for key, xp in (("numpy", np), ("dotcompute", dc)):
                    best[key] = min(best[key], min_time(lambda: make(xp), 1))
            print(f"| {n:.0e} | `{name}` | {best['numpy'] * 1e6:.1f} | "
                  f"{best['dotcompute'] * 1e6:.1f} | "
                  f"{best['dotcompute'] / best['numpy']:.2f} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="dotcompute threads (2)")
    parser.add_argument("--quick", action="store_true", help="5 batches instead of 15")
    parser.add_argument("--only", action="append", metavar="GROUP",
                        help=f"only the statements of this group ({', '.join(CALLS)})")
    parser.add_argument("--stat", choices=("min", "median"), default="min",
                        help="fastest batch (default) or median batch of each side")
    parser.add_argument("--large", action="store_true",
                        help="also time creation of 1e5..3e7 elements with first touch")
    args = parser.parse_args(argv)
    import dotcompute as dc

    dc.set_num_threads(args.threads)
    scopes = {"numpy": _inputs(np), "dotcompute": _inputs(dc)}
    repeat = 5 if args.quick else 15
    timer = interleaved_minimums if args.stat == "min" else interleaved_medians
    print(f"dotcompute threads: {dc.get_num_threads()}; us per call ({args.stat} of "
          f"{repeat} interleaved batches)\n")
    print("| group | statement | NumPy us | dotcompute us | NumPy / dotcompute | added us |")
    print("|---|---|---:|---:|---:|---:|")
    for prog, statements in CALLS.items():
        if args.only and prog not in args.only:
            continue
        for st in statements:
            fns = {k: _function(st, scope) for k, scope in scopes.items()}
            t = timer(fns, repeat, batch_seconds=0.005)
            print(f"| {prog} | `{st}` | {t['numpy'] * 1e6:.2f} | "
                  f"{t['dotcompute'] * 1e6:.2f} | {t['numpy'] / t['dotcompute']:.2f} | "
                  f"{(t['dotcompute'] - t['numpy']) * 1e6:+.2f} |", flush=True)
    if args.large:
        large_creation(3 if args.quick else 7)
    return 0


if __name__ == "__main__":
    sys.exit(main())
