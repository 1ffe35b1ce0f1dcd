"""Every kernel x dtype x layout against NumPy, in whichever build is selected (CI runs this
file once per build the CPU supports, forcing it with DOTCOMPUTE_CPU_CAPABILITY)."""
import warnings

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _opspec
from test_fp_vmath import outcome as fp_outcome  # noqa: E402

DT = {t: np.dtype(ch) for t, _, ch in _opspec.DTYPES}
EXACT_UNARY = {"negative", "positive", "absolute", "sign", "square", "reciprocal", "sqrt",
               "floor", "ceil", "trunc", "rint", "isnan", "isinf", "isfinite", "signbit",
               "logical_not", "invert"}
# Binary float ops whose NumPy loop may be SVML/SIMD on this CPU: compared within ULPs.
ULP_BINARY = {"arctan2", "hypot", "power"}
N = 1000


def _values(t, n, rng, op=None):
    dt = DT[t]
    if t == "b1":
        return rng.random(n) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = max(info.min, -100), min(info.max, 100)
        v = rng.integers(lo, hi + 1, n, dtype=dt)
        if op in ("left_shift", "right_shift"):
            v = rng.integers(0, info.bits + 2, n).astype(dt)
        return v
    v = (rng.standard_normal(n) * 10).astype(dt)
    v[::17] = 0.0
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.5, -2.5, 1e-40, 3.0], dt)
    v[:min(n, len(specials))] = specials[:n]
    return v


def _assert_same(got, exp, ulps=0):
    got_np = np.asarray(got)
    assert got_np.dtype == np.asarray(exp).dtype
    assert got_np.shape == np.shape(exp)
    if ulps and got_np.dtype.kind == "f":
        exp = np.asarray(exp)
        both_nan = np.isnan(got_np) & np.isnan(exp)
        same = (got_np == exp) | both_nan
        finite = np.isfinite(exp) & ~same
        if finite.any():
            spacing = np.abs(np.spacing(exp[finite].astype(got_np.dtype)))
            err = np.abs(got_np[finite].astype(np.float64) - exp[finite]) / spacing
            assert err.max() <= ulps, err.max()
        assert (same | finite).all(), (got_np[~(same | finite)], exp[~(same | finite)])
    else:
        np.testing.assert_array_equal(got_np, exp)


def _layouts(x, y):
    """(name, x, y) operand pairs in several layouts (numpy arrays)."""
    yield "contiguous", x, y
    yield "strided", x[::2], y[1::2]
    yield "negative", x[::-1], y
    yield "scalar-right", x, y[3]
    yield "zero-d", x, np.array(y[5])
    yield "broadcast-2d", x[:200].reshape(20, 10), y[:10]
    yield "empty", x[:0], y[:0]
    yield "one", x[:1], y[:1]
    xb = np.empty(x.size + 1, x.dtype)[1:]       # unaligned start for wide types
    xb[...] = x
    yield "offset", xb, y


BINARY_CASES = [(op[0], t) for op in _opspec.BINARY for t in op[1]]


@pytest.mark.parametrize("name,t", BINARY_CASES)
def test_binary_matches_numpy(name, t, rng):
    x = _values(t, N, rng, name)
    y = _values(t, N, rng, name)
    if name in ("floor_divide", "remainder") and DT[t].kind in "iu":
        y[y == 0] = 3
    f_np = getattr(np, name)
    f_dc = getattr(dc, name)
    ulps = 4 if name in ULP_BINARY else 0
    for layout, a, b in _layouts(x, y):
        with np.errstate(all="ignore"):
            exp = f_np(a, b)
            got = f_dc(dc.asarray(a) if a.ndim else a, dc.asarray(b) if isinstance(b, np.ndarray) else b)
        _assert_same(got, exp, ulps)


@pytest.mark.parametrize("name,t", BINARY_CASES[::3])
def test_binary_out_and_inplace(name, t, rng):
    x = _values(t, N, rng, name)
    y = _values(t, N, rng, name)
    if name in ("floor_divide", "remainder") and DT[t].kind in "iu":
        y[y == 0] = 3
    with np.errstate(all="ignore"):
        exp = getattr(np, name)(x, y)
        out = dc.empty(N, exp.dtype)
        r = getattr(dc, name)(dc.asarray(x), dc.asarray(y), out=out)
    assert r is out
    _assert_same(out, exp, 4 if name in ULP_BINARY else 0)


UNARY_CASES = [(op[0], t) for op in _opspec.UNARY for t in op[1]]


@pytest.mark.parametrize("name,t", UNARY_CASES)
def test_unary_matches_numpy(name, t, rng):
    x = _values(t, N, rng)
    if name in ("arccosh",):
        x = np.abs(x) + DT[t].type(1)
    ulps = 0 if name in EXACT_UNARY else 4
    f_np = getattr(np, name)
    f_dc = getattr(dc, name)
    for layout, a, _ in _layouts(x, x):
        with np.errstate(all="ignore"):
            exp = f_np(a)
            got = f_dc(dc.asarray(a))
        _assert_same(got, exp, ulps)


@pytest.mark.parametrize("t", ["f4", "f8"])
@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tanh", "expm1", "log1p",
                                  "arctan", "cbrt", "exp2", "log2", "log10", "tan"])
def test_transcendental_dense_grid_ulp(name, t):
    dt = DT[t]
    lo, hi = {"log": (1e-300, 1e300), "log2": (1e-300, 1e300), "log10": (1e-300, 1e300),
              "log1p": (-0.999, 1e10), "exp": (-745, 709.7), "exp2": (-1074, 1023.9),
              "expm1": (-40, 709), "sin": (-1e5, 1e5), "cos": (-1e5, 1e5),
              "tan": (-1e4, 1e4)}.get(name, (-50, 50))
    if t == "f4":
        lo, hi = max(lo, -80 if name.startswith("exp") else -3e4), min(hi, 88 if name.startswith("exp") else 3e4)
        if name.startswith("log") and name != "log1p":
            lo, hi = 1e-37, 3e38
    x = np.linspace(lo, hi, 200001).astype(dt)
    with np.errstate(all="ignore"):
        ref = getattr(np, name)(x.astype(np.longdouble))
        got = np.asarray(getattr(dc, name)(dc.asarray(x)))
    ref_t = ref.astype(dt)
    ok = np.isfinite(ref_t)
    spacing = np.abs(np.spacing(ref_t[ok]))
    err = np.abs(got[ok].astype(np.longdouble) - ref[ok]) / spacing
    assert float(err.max()) <= 4.0


REDUCE_TYPES = [t for t, _, _ in _opspec.DTYPES]


@pytest.mark.parametrize("t", REDUCE_TYPES)
@pytest.mark.parametrize("n", [1, 7, 1000, 100003])
def test_reductions_match_numpy(t, n, rng):
    x = _values(t, n, rng)
    if DT[t].kind == "f":
        x = x[np.isfinite(x)] if n > 1 else x
    d = dc.asarray(x)
    exact = DT[t].kind != "f"
    for name in ("sum", "prod", "min", "max", "argmin", "argmax", "any", "all"):
        if x.size == 0:
            continue
        with np.errstate(all="ignore"):
            exp = getattr(np, name)(x)
            got = getattr(dc, name)(d)
        assert np.asarray(got).dtype == np.asarray(exp).dtype, name
        if exact or name in ("min", "max", "argmin", "argmax", "any", "all"):
            assert got == exp or (np.isnan(got) and np.isnan(exp)), (name, got, exp)
        else:
            np.testing.assert_allclose(got, exp, rtol=1e-4 if t == "f4" else 1e-10,
                                       atol=0 if name == "prod" else
                                       1e-6 * np.abs(x).sum())


@pytest.mark.parametrize("t", ["f4", "f8"])
def test_nan_handling_of_reductions(t):
    x = np.arange(600000, dtype=DT[t])
    x[77777] = np.nan
    x[88888] = np.nan
    d = dc.asarray(x)
    assert np.isnan(d.min()) and np.isnan(d.max()) and np.isnan(d.sum())
    assert d.argmin() == np.argmin(x) == 77777
    assert d.argmax() == np.argmax(x) == 77777


# Positions around the kernels' block borders: vector groups, arg-reduction blocks of 8 KiB,
# any/all blocks of 4096 elements, and the last element.
EDGE_POSITIONS = [0, 1, 15, 16, 63, 64, 127, 511, 512, 1023, 1024, 2047, 2048, 4095, 4096,
                  8191, 8192, 12287, 12288]


@pytest.mark.parametrize("t", REDUCE_TYPES)
def test_extremes_and_any_all_at_block_borders(t):
    n = 12289
    dt = DT[t]
    for pos in EDGE_POSITIONS + [n - 1]:
        for offset in (0, 1):
            base = np.zeros(n + 1, dt)
            base[1 + pos if offset else pos] = 1
            if pos > 0:                                  # a later tie: the first one wins
                base[min(n, (1 + pos if offset else pos) + 3)] = 1
            x = base[offset:offset + n]
            d = dc.asarray(x)
            for name in ("max", "argmax", "any", "all"):
                assert getattr(d, name)() == getattr(x, name)(), (t, pos, offset, name)
            if dt.kind in "iuf":
                y = -x if dt.kind != "u" else (np.iinfo(dt).max - x).astype(dt)
                e = dc.asarray(y)
                for name in ("min", "argmin"):
                    assert getattr(e, name)() == getattr(y, name)(), (t, pos, offset, name)
            z = x == 0 if t == "b1" else (x == 0).astype(dt)
            assert dc.asarray(z).all() == z.all() and dc.asarray(z).any() == z.any()


@pytest.mark.parametrize("t", ["f4", "f8"])
def test_nan_at_block_borders(t):
    n = 12289
    rng = np.random.default_rng(2)
    for pos in EDGE_POSITIONS + [n - 1]:
        x = rng.standard_normal(n).astype(DT[t])
        x[pos] = np.nan
        if pos + 700 < n:
            x[pos + 700] = np.nan
        x[(pos + 5000) % n] = 1e30                     # a larger value after the NaN
        d = dc.asarray(x)
        for name in ("argmax", "argmin"):
            assert getattr(d, name)() == getattr(x, name)() == pos, (pos, name)
        for name in ("max", "min", "sum"):
            assert np.isnan(getattr(d, name)()), (pos, name)
        assert d.any() and d.all() == x.all()


@pytest.mark.parametrize("first,second", [(150000, 450000), (350000, 450000)])
def test_argmin_first_occurrence_across_threads(first, second):
    # 600000 elements: two chunks on two threads (whatever the wait policy's threshold)
    x = np.zeros(600000)
    x[first] = -1
    x[second] = -1
    old = dc.set_num_threads(2)
    try:
        assert dc.asarray(x).argmin() == np.argmin(x) == first
        assert dc.asarray(-x).argmax() == first
    finally:
        dc.set_num_threads(old)


def test_sum_error_no_worse_than_numpy_pairwise(rng):
    import math
    worst_ours = worst_np = 0.0
    for _ in range(20):
        x = rng.standard_normal(1 << 17) * np.exp(rng.uniform(-20, 20, 1 << 17))
        x = np.concatenate([x, -x[::3] * (1 + 1e-9)])
        exact = math.fsum(x)
        scale = np.abs(x).sum()
        worst_np = max(worst_np, abs(float(np.sum(x)) - exact) / scale)
        worst_ours = max(worst_ours, abs(float(dc.asarray(x).sum()) - exact) / scale)
    eps = np.finfo(np.float64).eps
    # NumPy's pairwise bound is ~ (16 + log2(n/128)) eps; ours must meet the same bound
    assert worst_ours <= 26 * eps
    assert worst_ours <= max(worst_np * 2, 4 * eps)


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "less", "sqrt"])
def test_thread_count_does_not_change_exact_results(name, rng):
    x = rng.standard_normal(300001)
    y = rng.standard_normal(300001)
    d, e = dc.asarray(x), dc.asarray(y)
    old = dc.set_num_threads(1)
    try:
        f = getattr(dc, name)
        one = np.asarray(f(d, e) if name != "sqrt" else f(d)).copy()
        dc.set_num_threads(2)
        two = np.asarray(f(d, e) if name != "sqrt" else f(d))
    finally:
        dc.set_num_threads(old)
    np.testing.assert_array_equal(one, two)


def test_reduction_deterministic_for_thread_count(rng):
    x = dc.asarray(rng.standard_normal(1000003))
    assert x.sum() == x.sum()
    old = dc.set_num_threads(1)
    try:
        s1 = x.sum()
        assert s1 == x.sum()
    finally:
        dc.set_num_threads(old)


@pytest.mark.parametrize("src", REDUCE_TYPES)
def test_casts_match_numpy(src, rng):
    x = _values(src, N, rng)
    if DT[src].kind == "f":
        x = np.nan_to_num(x, posinf=100, neginf=-100)
        x = np.clip(x, -100, 100)
    for dst in REDUCE_TYPES:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exp = x.astype(DT[dst])
            got = dc.asarray(x).astype(DT[dst])
        _assert_same(got, exp)


@pytest.mark.parametrize("t", ["i4", "f8", "u1"])
def test_clip_and_where(t, rng):
    x = _values(t, N, rng)
    got = dc.asarray(x).clip(-5, 50)
    _assert_same(got, np.clip(x, -5, 50))
    c = x > 3
    _assert_same(dc.where(dc.asarray(c), dc.asarray(x), dc.asarray(x[::-1].copy())),
                 np.where(c, x, x[::-1]))


@pytest.mark.parametrize("threads", [1, 2])
def test_dot_matches_numpy(rng, threads):
    """Our kernel, and from 2**19 contiguous elements NumPy's BLAS where this process's own
    other threads (NumPy's OpenBLAS pool) keep a core busy: both give NumPy's value and
    dtype (float64 and float32), strided operands included."""
    old = dc.get_num_threads()
    dc.set_num_threads(threads)
    try:
        for n in (1, 100, 100001, (1 << 19) + 3):
            for dtype in (np.float64, np.float32):
                a = rng.standard_normal(2 * n).astype(dtype)
                b = rng.standard_normal(2 * n).astype(dtype)
                tol = 4 * np.finfo(dtype).eps * (np.abs(a.astype(np.float64) * b).sum() + 1)
                for x, y in ((a[:n], b[:n]), (a[::2], b[1::2])):
                    for f, g in ((dc.dot, np.dot), (dc.vdot, np.vdot)):
                        r = f(dc.asarray(x), dc.asarray(y))
                        e = g(x, y)
                        assert np.asarray(r).dtype == e.dtype and np.asarray(r).shape == ()
                        assert abs(float(r) - float(e)) <= tol, (n, dtype, f, r, e)
    finally:
        dc.set_num_threads(old)


def _vdot_check(got, exp, x, y):
    """got (dc.vdot's result) is NumPy's vdot result exp: type, dtype, shape, and the value
    (exact for integers, to the summation bound for floats and complex)."""
    g, e = np.asarray(got), np.asarray(exp)
    assert type(got) is type(exp), (type(got), type(exp))
    assert g.dtype == e.dtype and g.shape == e.shape == ()
    if e.dtype.kind in "fc":
        xa = np.abs(np.asarray(x).astype(np.complex128).ravel())
        ya = np.abs(np.asarray(y).astype(np.complex128).ravel())
        tol = 8 * np.finfo(e.dtype).eps * (float((xa * ya).sum()) + 1)
        assert abs(complex(got) - complex(exp)) <= tol, (got, exp)
    else:
        assert got == exp


@pytest.mark.parametrize("dtype", ["f4", "f8", "c8", "c16", "i4", "i8", "u1", "b1"])
def test_vdot_layouts_and_dtypes_match_numpy(dtype, rng):
    """dc.vdot (and np.vdot on dc arrays) as NumPy's vdot: operands flattened (N-d, 0-d,
    different shapes of one size), strided, reversed and non-contiguous N-d views, empty
    arrays, complex conjugation of the first operand, integer and bool dtypes, NumPy
    arrays and lists as operands; float runs our kernel on 1 and 2 threads (same bits)."""
    dt = np.dtype(dtype)

    def values(shape):
        if dt.kind == "c":
            return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
        if dt.kind == "b":
            return rng.random(shape) < 0.5
        if dt.kind in "iu":
            return rng.integers(0, 50, shape).astype(dt)
        return rng.standard_normal(shape).astype(dt)

    a, b = values((40, 30)), values((40, 30))
    big_a, big_b = values(100003), values(100003)
    da, db, dbig_a, dbig_b = (dc.asarray(v) for v in (a, b, big_a, big_b))
    # each case: a function of the four bases, applied to NumPy's and to dc's (views of
    # dc arrays in every layout)
    cases = {
        "2-d": lambda a, b, A, B: (a, b),
        "2-d, 1-d of one size": lambda a, b, A, B: (a, b.ravel()),
        "3-d": lambda a, b, A, B: (a.reshape(10, 4, 30), b.reshape(10, 4, 30)),
        "0-d": lambda a, b, A, B: (a[3, 4], b[5, 6]),
        "0-d arrays": lambda a, b, A, B: (a[3:4, 4:5].reshape(()), b[5:6, 6:7].reshape(())),
        "1-d strided": lambda a, b, A, B: (a.ravel()[::3], b.ravel()[1::3]),
        "1-d reversed": lambda a, b, A, B: (a.ravel()[::-1], b.ravel()),
        "2-d columns": lambda a, b, A, B: (a[:, ::2], b[:, 1::2]),
        "2-d transposed": lambda a, b, A, B: (a.T, b),
        "2-d reversed rows": lambda a, b, A, B: (a[::-1], b[:, ::-1]),
        "empty": lambda a, b, A, B: (a[:0], b[:0]),
        "empty 2-d": lambda a, b, A, B: (a[:, :0], b[:0, :]),
        "large": lambda a, b, A, B: (A, B),
        "large reversed": lambda a, b, A, B: (A[::-1], B),
    }
    old = dc.get_num_threads()
    try:
        for name, case in cases.items():
            x, y = case(a, b, big_a, big_b)
            dx, dy = case(da, db, dbig_a, dbig_b)
            exp = np.vdot(x, y)
            results = []
            for t in (1, 2):
                dc.set_num_threads(t)
                for got in (dc.vdot(dx, dy), np.vdot(dx, dy), dc.vdot(x, dy),
                            dc.vdot(dx, y), dc.vdot(x, y)):
                    _vdot_check(got, exp, x, y)
                results.append(complex(dc.vdot(dx, dy)))
            if dt.kind == "f":
                assert len(set(results)) == 1, (name, results)     # same bits, any threads
        # conjugation: vdot(x, y) = sum(conj(x) * y)
        x, y = values(7), values(7)
        _vdot_check(dc.vdot(dc.asarray(x), dc.asarray(y)), np.vdot(x, y), x, y)
        _vdot_check(dc.vdot(list(x), list(y)), np.vdot(list(x), list(y)), x, y)
        # mixed dtypes: NumPy's promotion
        z = rng.standard_normal(7)
        _vdot_check(dc.vdot(dc.asarray(x), dc.asarray(z)), np.vdot(x, z), x, z)
        # sizes that differ: NumPy's error
        with pytest.raises(ValueError):
            np.vdot(values(3), values(4))
        with pytest.raises(ValueError):
            dc.vdot(dc.asarray(values(3)), dc.asarray(values(4)))
    finally:
        dc.set_num_threads(old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_matmul_vdot_one_path_for_vectors(dtype, rng):
    """dc.dot, `@` and dc.vdot on two float vectors give the same bits (one kernel), and
    NumPy's value, dtype and scalar type."""
    x = rng.standard_normal(70001).astype(dtype)
    y = rng.standard_normal(70001).astype(dtype)
    dx, dy = dc.asarray(x), dc.asarray(y)
    exp = np.dot(x, y)
    got = [dc.dot(dx, dy), dx @ dy, dc.vdot(dx, dy), np.vdot(dx, dy), np.dot(dx, dy),
           dx.dot(dy)]
    for g in got:
        _vdot_check(g, exp, x, y)
    assert len({float(g) for g in got}) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_min_max_nan_inf_positions_and_layouts(dtype, rng):
    """Float min/max (vector max/min instructions in the SIMD builds) and their arg forms:
    NumPy's value (NaN propagates, the first NaN for arg), at every position of a NaN or
    an infinity, lengths around the vector blocks, strided and reversed views."""
    for n in (1, 3, 16, 31, 32, 33, 64, 100, 1000, 40_001):
        base = rng.standard_normal(2 * n).astype(dtype)
        for pos in (None, 0, 1, n // 2, n - 1):
            for special in (np.nan, np.inf, -np.inf):
                x = base.copy()
                if pos is not None:
                    x[pos] = special
                    x[2 * n - 1 - pos] = special
                d = dc.asarray(x)
                for view in (slice(0, n), slice(None, None, 2), slice(None, None, -1)):
                    xv, dv = x[view], d[view]
                    for name in ("max", "min", "argmax", "argmin"):
                        exp = getattr(xv, name)()
                        got = getattr(dv, name)()
                        assert np.asarray(got).dtype == np.asarray(exp).dtype
                        assert ((np.isnan(exp) and np.isnan(got)) or got == exp), (
                            n, pos, special, view, name, got, exp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_runs_of_min_max_and_comparisons_as_numpy(dtype, rng):
    """Runs longer than 2 MiB (the kernels prefetch ahead there, see DC_PREFETCH_SPAN):
    min/max and their arg forms with a NaN or an infinity near either end, in the middle
    and at the last element, and the float comparisons against an array and a scalar, on
    one and two threads: NumPy's values and dtypes."""
    n = (2 << 20) // np.dtype(dtype).itemsize + 4097
    base = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            for pos in (None, 0, 5000, n // 2, n - 4100, n - 1):
                for special in (np.nan, np.inf, -np.inf):
                    x = base.copy()
                    if pos is not None:
                        x[pos] = special
                    d = dc.asarray(x)
                    for name in ("max", "min", "argmax", "argmin"):
                        exp, got = getattr(x, name)(), getattr(d, name)()
                        assert np.asarray(got).dtype == np.asarray(exp).dtype
                        assert ((np.isnan(exp) and np.isnan(got)) or got == exp), (
                            threads, pos, special, name, got, exp)
                    dy = dc.asarray(y)
                    for op in ("__lt__", "__ge__", "__eq__", "__ne__"):
                        for other, dother in ((y, dy), (y[7], y[7])):
                            exp = getattr(x, op)(other)
                            got = np.asarray(getattr(d, op)(dother))
                            assert got.dtype == exp.dtype
                            np.testing.assert_array_equal(got, exp)
    finally:
        dc.set_num_threads(old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_every_size_layout_and_thread_count(dtype, rng):
    """1-D float dot/vdot run our kernel at every size (no BLAS): NumPy's value to the
    pairwise bound, its dtype, contiguous, strided and reversed views, NaN and inf; the
    same bits on 1 and 2 threads (partials cut by n only)."""
    from dotcompute._core import _threads
    old_threads = dc.get_num_threads()
    old_mode = _threads.set_mode("always")
    eps = np.finfo(dtype).eps
    try:
        for n in (0, 1, 7, 100, 65536 + 5, 300001):
            a = rng.standard_normal(2 * n).astype(dtype)
            b = rng.standard_normal(2 * n).astype(dtype)
            da, db = dc.asarray(a), dc.asarray(b)
            views = {"contiguous": (a[:n], b[:n], da[:n], db[:n]),
                     "strided": (a[::2], b[1::2], da[::2], db[1::2]),
                     "reversed": (a[:n][::-1], b[n:], da[:n][::-1], db[n:])}
            for name, (x, y, dx, dy) in views.items():
                exp = np.vdot(x, y)
                got = {}
                for t in (1, 2):
                    dc.set_num_threads(t)
                    for f in (dc.vdot, dc.dot):
                        r = f(dx, dy)
                        assert np.asarray(r).dtype == exp.dtype, (name, n, f)
                        assert np.asarray(r).shape == (), (name, n, f)
                        tol = 4 * eps * (np.abs(x.astype(np.float64) * y).sum() + 1)
                        assert abs(float(r) - float(exp)) <= tol, (name, n, t, r, exp)
                        got[t, f] = float(r)
                assert got[1, dc.vdot] == got[2, dc.vdot] == got[1, dc.dot] == got[2, dc.dot]
        x = np.ones(100003, dtype)
        for bad, want in ((np.nan, np.nan), (np.inf, np.inf), (-np.inf, -np.inf)):
            y = x.copy()
            y[70000] = bad
            dc.set_num_threads(2)
            r = dc.vdot(dc.asarray(x), dc.asarray(y))
            e = np.vdot(x, y)
            assert np.isnan(r) == np.isnan(e) == np.isnan(want)
            if not np.isnan(want):
                assert r == e
        y = x.copy()
        y[5], y[90000] = np.inf, -np.inf                 # inf - inf
        assert np.isnan(dc.vdot(dc.asarray(x), dc.asarray(y))) and np.isnan(np.vdot(x, y))
        with pytest.raises(ValueError):
            dc.vdot(dc.asarray(x), dc.asarray(x[:-1]))
        with pytest.raises(ValueError):
            np.vdot(x, x[:-1])
    finally:
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)


@pytest.mark.parametrize("dtype", ["f8", "f4", "i4", "u1", "b1", "i8", "u8"])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, (1,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_axis_reductions_match_numpy(dtype, axis, keepdims, rng):
    x = _values(dtype, 7 * 300 * 5, rng).reshape(7, 300, 5)
    if DT[dtype].kind == "f":
        x[np.isinf(x)] = 1.0
    d = dc.asarray(x)
    for name in ("sum", "prod", "min", "max", "any", "all"):
        with np.errstate(all="ignore"):
            exp = getattr(x, name)(axis=axis, keepdims=keepdims)
            got = np.asarray(getattr(d, name)(axis=axis, keepdims=keepdims))
        assert got.dtype == exp.dtype and got.shape == exp.shape, name
        if DT[dtype].kind == "f" and name == "sum":
            scale = np.abs(np.nan_to_num(x)).sum(axis=axis, keepdims=keepdims)
            tol = np.finfo(DT[dtype]).eps * 32 * scale
            ok = (np.abs(got - exp) <= tol) | (np.isnan(got) & np.isnan(exp))
            assert ok.all(), name
        elif DT[dtype].kind == "f" and name == "prod":
            np.testing.assert_allclose(got, exp, rtol=1e-4 if dtype == "f4" else 1e-12)
        else:
            np.testing.assert_array_equal(got, exp)


def _reduction_layouts(x):
    """(name, numpy view, function making the same view of a dotcompute array)."""
    yield "C", x, lambda d: d
    yield "transposed", x.T, lambda d: d.T
    yield "reversed", x[::-1, ..., ::-1], lambda d: d[::-1, ..., ::-1]
    yield "sliced", x[1:, ..., ::2], lambda d: d[1:, ..., ::2]
    yield "moved", np.moveaxis(x, 0, -1), lambda d: dc.moveaxis(d, 0, -1)


AXIS_REDUCTIONS = ["sum", "prod", "min", "max", "mean", "argmin", "argmax", "any", "all",
                   "cumsum"]


@pytest.mark.parametrize("dtype", ["f8", "f4", "i4", "u1", "b1", "i8"])
@pytest.mark.parametrize("shape", [(60, 50, 3), (3, 40, 17), (40, 1, 9), (0, 5, 3)])
def test_axis_reductions_on_any_layout(dtype, shape, rng):
    # Both loop orders of the axis reductions (short reduced axes accumulate slabs, long
    # ones run the 1-D kernel), several axes at once, NaN, keepdims, empty arrays.
    x0 = _values(dtype, int(np.prod(shape)), rng).reshape(shape)
    if DT[dtype].kind == "f":
        x0[np.isinf(x0)] = 1.0
    for lname, x, view in _reduction_layouts(x0):
        d = view(dc.asarray(x0))
        assert d.strides == x.strides or x.size == 0
        axes = [None, 0, 1, -1, (0, 2), (2, 0), (0, 1, 2), (1, -1)]
        for name, axis, keepdims in [(n, a, k) for n in AXIS_REDUCTIONS for a in axes
                                     for k in (False, True)]:
            if (name.startswith("arg") and type(axis) is tuple) or (
                    name == "cumsum" and (type(axis) is tuple or keepdims)) or (
                    name == "mean" and dtype == "b1"):
                continue
            kw = {"axis": axis} if name == "cumsum" else {"axis": axis, "keepdims": keepdims}
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    exp = getattr(x, name)(**kw)
                except Exception as e:          # noqa: BLE001 - dotcompute must raise too
                    with pytest.raises(type(e)):
                        getattr(d, name)(**kw)
                    continue
                got = getattr(d, name)(**kw)
            where = (dtype, shape, lname, name, axis, keepdims)
            assert type(got) is dc.ndarray if isinstance(exp, np.ndarray) else (
                type(got) is type(exp)), where
            g, e = np.asarray(got), np.asarray(exp)
            assert g.dtype == e.dtype and g.shape == e.shape, where
            if e.dtype.kind == "f" and name in ("sum", "prod", "mean", "cumsum"):
                np.testing.assert_allclose(g, e, rtol=1e-4 if dtype == "f4" else 1e-11,
                                           atol=1e-5 if dtype == "f4" else 1e-11,
                                           equal_nan=True, err_msg=str(where))
            else:
                np.testing.assert_array_equal(g, e, err_msg=str(where))


@pytest.mark.parametrize("who", ["numpy", "dotcompute"])
@pytest.mark.parametrize("name,t", [("exp", "f8"), ("log", "f4"), ("sin", "f8"),
                                    ("tanh", "f4"), ("arctan2", "f8"), ("hypot", "f4")])
def test_borrowed_numpy_loops(name, t, who, rng):
    """Whichever loop runs a transcendental (ours or NumPy's own, threaded by us), the
    results stay within the bound; NumPy's loop gives NumPy's bits exactly."""
    from dotcompute._core import _numpy_loops
    if who == "numpy" and not _numpy_loops._borrow_enabled():
        # a forced build runs our kernels only: there is no NumPy loop to select
        with pytest.raises(ValueError):
            _numpy_loops.set_loop_choice(name, DT[t].char, who)
        return
    x = np.abs(_values(t, 200001, rng)) + DT[t].type(0.5)
    x[~np.isfinite(x)] = 2
    f_np, f_dc = getattr(np, name), getattr(dc, name)
    args = (x,) if name not in ("arctan2", "hypot") else (x, x[::-1].copy())
    _numpy_loops.set_loop_choice(name, DT[t].char, who)
    try:
        with np.errstate(all="ignore"):
            exp = f_np(*args)
            got = f_dc(*[dc.asarray(a) for a in args])
    finally:
        _numpy_loops.set_loop_choice(name, DT[t].char, "auto")
    _assert_same(got, exp, 0 if who == "numpy" else 4)


def _unaligned(v):
    """v's values in a numpy array whose data starts one byte past an aligned address."""
    raw = np.zeros(v.nbytes + 1, np.uint8)
    u = raw[1:].view(v.dtype)
    u[...] = v
    return u


@pytest.mark.parametrize("t", ["i4", "f4", "f8"])
def test_unaligned_numpy_operands_of_fused_expressions(t, rng):
    # dc.evaluate and ElementwiseKernel read numpy inputs and outputs directly: misaligned
    # ones must take the same safe path as in the array layer (UBSan-fatal in CI).
    x = _values(t, N, rng)
    if DT[t].kind == "f":
        x[~np.isfinite(x)] = 1
    xu = _unaligned(x)
    assert not xu.flags.aligned
    exp = 2 * x + x * x
    _assert_same(dc.evaluate("2*a + a*a", local_dict={"a": xu}), exp)
    out = _unaligned(np.zeros_like(exp))
    dc.evaluate("2*a + a*a", local_dict={"a": x}, out=out)
    _assert_same(out, exp)
    k = dc.ElementwiseKernel("T a", "T z", "z = 2*a + a*a", "poly")
    _assert_same(k(xu), exp)


@pytest.mark.parametrize("t", [t for t in DT if DT[t].itemsize > 1])
def test_unaligned_operands(t, rng):
    # Misaligned data is undefined behaviour for typed kernel pointers (UBSan reports it,
    # vectorized loads may fault): such arrays must take NumPy's loops and still agree.
    # The sanitizer CI job runs this with UBSan fatal.
    x = _values(t, N, rng)
    y = _values(t, N, rng)
    if DT[t].kind in "iu":
        y[y == 0] = 3
    xu, yu = _unaligned(x), _unaligned(y)
    assert not xu.flags.aligned
    xd, yd = dc.asarray(xu, copy=False), dc.asarray(yu, copy=False)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, types, *_ in _opspec.BINARY:
            if t in types:
                exp = getattr(np, name)(x, y)
                _assert_same(getattr(dc, name)(xd, yd), exp, 4 if name in ULP_BINARY else 0)
                _assert_same(getattr(dc, name)(xd, y[0].item()), getattr(np, name)(x, y[0].item()),
                             4 if name in ULP_BINARY else 0)
                out = _unaligned(np.zeros_like(exp))
                getattr(dc, name)(dc.asarray(x), dc.asarray(y), out=dc.asarray(out, copy=False))
                _assert_same(out, exp, 4 if name in ULP_BINARY else 0)
        for name, types, *_ in _opspec.UNARY:
            if t in types:
                _assert_same(getattr(dc, name)(xd), getattr(np, name)(x),
                             0 if name in EXACT_UNARY else 4)
        for name in ("sum", "max", "argmin", "any"):
            e, g = getattr(x, name)(), getattr(xd, name)()
            assert g == e or (np.isnan(e) and np.isnan(g)) or np.isclose(g, e, rtol=1e-5)
        _assert_same(xd.astype(np.float64), x.astype(np.float64))
        _assert_same(xd.clip(0, 5), x.clip(0, 5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["equal", "not_equal", "less", "less_equal", "greater",
                                  "greater_equal"])
def test_float_comparisons_match_numpy(name, dtype, rng):
    """The vector comparison loops (32 results a step) and their tails: lengths around
    multiples of 32, NaN on either side (False, `!=` True), infinities, equal values, a
    scalar on either side, signed zeros."""
    f, g = getattr(np, name), getattr(dc, name)
    for n in (0, 1, 31, 32, 33, 64, 95, 1000, 4099):
        a = rng.standard_normal(n).astype(dtype)
        b = rng.standard_normal(n).astype(dtype)
        if n > 16:
            b[::5] = a[::5]
            a[3], b[7], a[9], b[11], a[13], b[13] = np.nan, np.nan, np.inf, -np.inf, 0.0, -0.0
        da, db = dc.asarray(a), dc.asarray(b)
        for x, y, dx, dy in ((a, b, da, db), (a, dtype(0.25), da, 0.25),
                             (dtype(-0.5), b, -0.5, db), (a, dtype(np.nan), da, np.nan),
                             (a[1:], b[:-1], da[1:], db[:-1])):
            got = g(dx, dy)
            exp = f(x, y)
            assert np.asarray(got).dtype == exp.dtype
            np.testing.assert_array_equal(np.asarray(got), exp, err_msg=f"{name} n={n}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2])
def test_streamed_results_match_numpy(dtype, threads, rng):
    """Results written with non-temporal stores (forced on for every size here) are the
    ones written directly, and NumPy's: binary, scalar operand, unary (ours and NumPy's
    borrowed loops), casts, in-place, lengths that end inside a block; comparisons (not
    streamed: a bool result) unchanged."""
    from dotcompute._core import _kernel_access, _threads
    old = _kernel_access.stream_min_bytes()
    old_threads = dc.set_num_threads(threads)
    old_mode = _threads.set_mode("always")
    try:
        for n in (0, 1, 511, 512, 513, 4096 + 17, 100003):
            a = (rng.standard_normal(n) * 3).astype(dtype)
            b = rng.uniform(0.5, 2, n).astype(dtype)
            x, y = dc.asarray(a), dc.asarray(b)
            cases = {"add": (lambda: x + y, a + b), "scalar": (lambda: x * 2.5, a * dtype(2.5)),
                     "less": (lambda: x < y, a < b), "sqrt": (lambda: dc.sqrt(y), np.sqrt(b)),
                     "exp": (lambda: dc.exp(x), np.exp(a)), "sin": (lambda: dc.sin(x), np.sin(a)),
                     "cast": (lambda: x.astype(np.float16), a.astype(np.float16)),
                     "views": (lambda: x[1:] - y[:-1], a[1:] - b[:-1])}
            for name, (f, exp) in cases.items():
                _kernel_access.set_stream_min_bytes(1)
                streamed = np.asarray(f()).copy()
                _kernel_access.set_stream_min_bytes(0)
                direct = np.asarray(f())
                np.testing.assert_array_equal(streamed, direct, err_msg=f"{name} n={n}")
                assert streamed.dtype == exp.dtype
                if name in ("exp", "sin"):
                    np.testing.assert_allclose(streamed, exp, rtol=4 * np.finfo(dtype).eps)
                else:
                    np.testing.assert_array_equal(streamed, exp, err_msg=f"{name} n={n}")
            _kernel_access.set_stream_min_bytes(1)
            z = x.copy()
            z += y                           # in place: the output is the first input
            np.testing.assert_array_equal(np.asarray(z), a + b)
    finally:
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)
        _kernel_access.set_stream_min_bytes(old)
    with pytest.raises(ValueError):
        _kernel_access.set_stream_min_bytes(-1)


@pytest.mark.parametrize("threads", [1, 2])
def test_measured_stream_choice_keeps_numpy_results(threads, rng):
    """"auto" (the default) alternates direct and streamed stores per size class until it
    has timed both, then keeps one: every result along the way is NumPy's (binary, scalar
    operand, unary, NumPy's borrowed loops, casts, in place), and both ways ran."""
    from dotcompute._core import _kernel_access, _threads
    old = _kernel_access.set_stream_min_bytes("auto")
    old_min = _kernel_access.set_stream_auto_min(4096)
    old_threads = dc.set_num_threads(threads)
    old_mode = _threads.set_mode("always")
    _kernel_access.reset_stream_policy()
    try:
        for n in (700, 3001, 20000):
            a = (rng.standard_normal(n) * 3).astype(np.float64)
            b = rng.uniform(0.5, 2, n).astype(np.float32)
            x, y = dc.asarray(a), dc.asarray(b)
            for _ in range(14):
                np.testing.assert_array_equal(np.asarray(x + x), a + a)
                np.testing.assert_array_equal(np.asarray(x * 2.5), a * 2.5)
                np.testing.assert_array_equal(np.asarray(dc.sqrt(y)), np.sqrt(b))
                np.testing.assert_allclose(np.asarray(dc.exp(x)), np.exp(a), rtol=4e-16)
                np.testing.assert_array_equal(np.asarray(x.astype(np.float32)),
                                              a.astype(np.float32))
                z = y.copy()
                z += y
                np.testing.assert_array_equal(np.asarray(z), b + b)
        rows = _kernel_access.stream_policy()
        if not _kernel_access.stream_supported():
            assert rows == []                # nothing to choose: every result direct
            return
        assert rows, "no call was measured"
        # a class per loop: add and multiply of one size are not compared with each other
        assert {"add[f8]", "multiply[f8]"} <= {r["loop"] for r in rows}, rows
        # a class alternates from its first call: one called twice or more ran both ways
        # (a class of one call: a call the thread policy ran on another thread count)
        assert all(r["calls_direct"] > 0 and r["calls_streamed"] > 0 for r in rows
                   if r["calls_direct"] + r["calls_streamed"] >= 2), rows
        assert any(r["calls_direct"] + r["calls_streamed"] >= 10 for r in rows), rows
        assert any(r["chose_direct"] + r["chose_streamed"] > 0 for r in rows), rows
        assert all(r["choice"] in ("direct", "streamed", "measuring") for r in rows)
    finally:
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)
        _kernel_access.set_stream_auto_min(old_min)
        _kernel_access.set_stream_min_bytes(old)
        _kernel_access.reset_stream_policy()
    assert _kernel_access.stream_min_bytes() == old
    with pytest.raises(ValueError):
        _kernel_access.set_stream_auto_min(0)


def test_float_sums_identical_in_every_build():
    """Float sums and dot products (the pairwise tree over blocks, binary-counter order)
    give bit-identical results in every kernel build the CPU runs: lengths around block
    and subtree borders, strided input, float32 and float64."""
    import os
    import subprocess
    import sys
    from dotcompute._core import _dispatch
    code = ("import numpy as np, dotcompute as dc\n"
            "rng = np.random.default_rng(5)\nout = []\n"
            "for n in (0, 1, 255, 256, 257, 511, 512, 1000, 4099, 65536, 100003, 10**6):\n"
            "    for dt in (np.float32, np.float64):\n"
            "        a = rng.standard_normal(n).astype(dt)\n"
            "        b = rng.standard_normal(n).astype(dt)\n"
            "        x, y = dc.asarray(a), dc.asarray(b)\n"
            # from 2**19 contiguous elements a dot may be NumPy's BLAS (while NumPy's
            # OpenBLAS pool spins, as after `import numpy`): a strided one is ours at
            # every size
            "        d = dc.dot(x, y) if n < 2**19 else dc.dot(x[::2], y[::2])\n"
            "        out += [float(x.sum()), float(d), float(x[::3].sum())]\n"
            "print(repr(out))\n")
    results = {}
    for build in _dispatch.builds_supported():
        env = dict(os.environ, DOTCOMPUTE_CPU_CAPABILITY=build)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        results[build] = r.stdout
    assert len(set(results.values())) == 1, {k: v[:200] for k, v in results.items()}
    import ast
    values = ast.literal_eval(next(iter(results.values())))
    assert len(values) == 72 and all(np.isfinite(values))


@pytest.mark.parametrize("value,expect", [("", "auto"), ("auto", "auto"), ("0", "0"),
                                          ("1M", "1048576"), ("4x", "llc4"),
                                          ("bogus", "auto")])
def test_stream_setting_from_the_environment(value, expect):
    import os
    import subprocess
    import sys
    code = ("import warnings; warnings.simplefilter('always')\n"
            "from dotcompute._core import _kernel_access as k\n"
            "print(k.stream_min_bytes(), k._last_level_cache_bytes())")
    env = dict(os.environ, DOTCOMPUTE_STREAM_MIN_BYTES=value)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    got, llc = r.stdout.split()
    assert got == (str(4 * int(llc)) if expect == "llc4" else expect)
    assert ("ignoring DOTCOMPUTE_STREAM_MIN_BYTES" in r.stderr) == (value == "bogus")


def _warned(f):
    """(f(), its floating-point warnings) under np.errstate(all="warn")."""
    msgs, _, r = fp_outcome(f, "warn")
    return r, msgs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pattern", [
    [0.0, 1e30, 1e30], [1e30, 1e30, 0.0], [1e-30, 1e-30, 1e30, 1e30], [1e200, 1e200, 0.0],
    [np.inf, 2.0, 0.0], [0.0, 3.0, np.nan], [-0.0, 1e30, 1e30, -1.0], [1e-40, 1e-5, 1e5],
    # an in-order prefix underflows (overflows) where no lane's partial does
    # (long patterns: at n = 40 each lane meets one small and one large value)
    [1e-30, 1e-30, 1e30, 1e30] + [1.0] * 60,
    [1e-200, 1e-200, 1e200, 1e200] + [1.0] * 60, [1e200, 1e200, 1e-200, 1e-200] + [1.0] * 60,
    [1e-300, 1e-300, 1e300, 1e300, -1.0] + [1.0] * 59,
])
@pytest.mark.parametrize("n", [3, 40, 100_003])
@pytest.mark.parametrize("layout", ["contiguous", "reversed", "strided", "axis1", "axis0"])
def test_float_prod_overflow_and_zero_as_numpy_in_order(dtype, pattern, n, layout):
    """NumPy multiplies in order; where our lanes/partials would meet an overflowed
    partial with a zero (0 * inf = nan) or an underflowed one, the product and its
    floating-point warnings are NumPy's."""
    base = np.resize(np.array(pattern, dtype=dtype), n)
    if layout == "contiguous":
        x, f = base, (lambda m, a: a.prod())
    elif layout == "reversed":
        x, f = base[::-1], (lambda m, a: m.prod(a))
    elif layout == "strided":
        x, f = np.resize(base, 2 * n)[::2], (lambda m, a: a.prod())
    elif layout == "axis1":
        x, f = np.resize(base, 4 * n).reshape(4, n), (lambda m, a: a.prod(axis=1))
    else:
        x, f = np.resize(base, 4 * n).reshape(n, 4), (lambda m, a: a.prod(axis=0))
    want, want_w = _warned(lambda: f(np, x))
    got, got_w = _warned(lambda: f(dc, dc.asarray(x)))
    got = np.asarray(got)
    assert got.dtype == np.asarray(want).dtype
    want = np.asarray(want)
    tiny = np.finfo(want.dtype).tiny
    normal = np.isfinite(want) & (np.abs(want) >= tiny)
    # normal products agree to rounding (the order of multiplication differs), the rest
    # (zero, infinite, nan, subnormal) exactly, with their sign
    np.testing.assert_allclose(got[normal], want[normal],
                               rtol=2 * x.shape[-1] * np.finfo(want.dtype).eps)
    np.testing.assert_array_equal(got[~normal], want[~normal])
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert got_w == want_w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("y", [0.5, -0.5, 2.0, 1.0, 0.0, -1.0, 1.5, 3.0])
def test_power_stride_zero_exponent_as_numpy(dtype, y):
    """NumPy's power loop takes an exponent of stride 0 (scalar or broadcast along the
    loop) of -1, 0, 0.5, 1, 2 as 1/x, 1, sqrt, x, x*x: (-inf) ** 0.5 is nan and
    (-0.0) ** 0.5 is -0.0 there, pow's inf and 0 for an exponent array; ours the same."""
    x = np.array([-np.inf, np.inf, -4.0, -0.0, 0.0, np.nan, 4.0, 3.3, -2.5, 1e-40] * 20,
                 dtype=dtype)
    cases = [(x[None, :], np.array([[y]], dtype=dtype)),
             (x[None, ::2], np.array([[y], [y]], dtype=dtype)),
             (x, np.full(x.shape, y, dtype=dtype)), (x, dtype(y))]
    for xs, ys in cases:
        want, want_w = _warned(lambda: np.power(xs, ys))
        got, got_w = _warned(lambda: dc.power(
            dc.asarray(xs), dc.asarray(ys) if isinstance(ys, np.ndarray) else ys))
        got = np.asarray(got)
        assert got.dtype == want.dtype and got.shape == want.shape
        if y in (-1.0, 0.0, 0.5, 1.0, 2.0):
            np.testing.assert_array_equal(got, want)
        else:
            # pow proper: libm and NumPy's own loops (SVML on AVX-512 machines) differ in
            # the last bits between platforms; infinities, zeros and nan still exactly
            np.testing.assert_array_max_ulp(got, want, maxulp=4)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        assert got_w == want_w


@pytest.mark.parametrize("nr", [15, 16, 17, 64, 300, 383, 384])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_row_sums_and_means_as_numpy(nr, dtype):
    """sum/mean along rows (contiguous and reversed): NumPy's bits, dtype and shape,
    keepdims too."""
    x = (np.random.default_rng(nr).uniform(-3, 5, size=(40, nr)) * 7).astype(dtype)
    d = dc.asarray(x)
    for f in (lambda m, a: a.sum(axis=1), lambda m, a: a.mean(axis=1),
              lambda m, a: m.sum(a, axis=-1, keepdims=True),
              lambda m, a: a[:, ::-1].sum(axis=1)):
        want, got = f(np, x), np.asarray(f(dc, d))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["f4", "f8", "i1", "i4", "u8", "b1"])
def test_row_reductions_threaded_and_remainders(dtype, rng):
    # Reductions of many short or mid-length contiguous rows (axis=-1) run whole rows on
    # each thread (run_rows), and the min/max kernel ends a row with one vector overlapping
    # the previous ones: row lengths that leave every remainder of the vector widths, NaN
    # and signed zeros inside that last vector only, 1 and 2 threads, compared with NumPy.
    from dotcompute._core import _threads
    old_mode, old_threads = _threads.set_mode("always"), dc.get_num_threads()
    names = ["min", "max", "argmin", "argmax", "any", "all", "sum"]
    try:
        for nr in (1, 7, 15, 17, 31, 33, 63, 65, 100, 127, 129, 500, 1001):
            rows = max(3, 40000 // nr)
            x = _values(dtype, rows * nr, rng).reshape(rows, nr)
            if DT[dtype].kind == "f":
                x[np.isinf(x)] = 1.0
                x[1, -1] = np.nan                       # NaN in the last element only
                x[2, :] = 0.0
                x[2, -1] = -0.0                         # 0.0 / -0.0 tie at the end
                x[-1, nr // 2:] = np.nan
            cut = 1 if nr > 1 else 0                    # rows starting off alignment
            views = [(x, lambda d: d), (x[:, cut:], lambda d: d[:, cut:]),
                     (x[::-1], lambda d: d[::-1])]
            for xv, view in views:
                d = view(dc.asarray(x))
                for t in (1, 2):
                    dc.set_num_threads(t)
                    for name in names:
                        with np.errstate(all="ignore"):
                            exp = getattr(xv, name)(axis=-1)
                            got = np.asarray(getattr(d, name)(axis=-1))
                        where = (dtype, nr, t, name)
                        assert got.dtype == exp.dtype and got.shape == exp.shape, where
                        if name == "sum" and DT[dtype].kind == "f":
                            tol = np.finfo(DT[dtype]).eps * 8 * np.abs(
                                np.nan_to_num(xv)).sum(axis=-1)
                            ok = (np.abs(got - exp) <= tol) | (np.isnan(got) & np.isnan(exp))
                            assert ok.all(), where
                        else:
                            np.testing.assert_array_equal(got, exp, err_msg=str(where))
                            if name in ("min", "max") and DT[dtype].kind == "f":
                                assert (np.signbit(got) == np.signbit(exp)).all(), where
    finally:
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_row_sums_report_overflow_from_every_thread(dtype):
    # a float overflow inside a row summed on the second thread is reported as NumPy
    # reports it ("overflow encountered in reduce"), and errstate(over="raise") raises
    from dotcompute._core import _threads
    old_mode, old_threads = _threads.set_mode("always"), dc.get_num_threads()
    big = np.finfo(dtype).max
    try:
        for row, nr in ((0, 500), (3999, 500), (3999, 100)):
            x = np.ones((4000, nr), dtype)
            x[row, :3] = big
            d = dc.asarray(x)
            for t in (1, 2):
                dc.set_num_threads(t)
                with pytest.warns(RuntimeWarning, match="overflow encountered in reduce"):
                    exp = x.sum(axis=1)
                with pytest.warns(RuntimeWarning, match="overflow encountered in reduce"):
                    got = np.asarray(d.sum(axis=1))
                np.testing.assert_array_equal(got, exp)
                with np.errstate(over="raise"):
                    with pytest.raises(FloatingPointError):
                        x.sum(axis=1)
                    with pytest.raises(FloatingPointError):
                        d.sum(axis=1)
    finally:
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_short_row_sums_are_numpys_bits(dtype, rng):
    # float rows of 16-383 contiguous elements sum in NumPy's pairwise order (its bits, not
    # just its value), rows of -0.0 give +0.0 as NumPy's, NaN and inf propagate; 1 and 2
    # threads; C rows, rows of a sliced and of a reversed view, keepdims, 3-d
    from dotcompute._core import _threads
    old_mode, old_threads = _threads.set_mode("always"), dc.get_num_threads()
    try:
        for nr in (16, 17, 23, 64, 127, 128, 129, 136, 200, 255, 256, 257, 383):
            x = (rng.standard_normal((300, nr + 3))
                 * 10.0 ** rng.uniform(-6, 6, (300, nr + 3))).astype(dtype)
            x[0] = -0.0
            x[1, 5] = np.nan
            x[2, -1] = np.inf
            x[3, :2] = (np.inf, -np.inf)
            for xv, view in ((x[:, :nr], lambda d: d[:, :nr]),
                             (x[::-1, 3:], lambda d: d[::-1, 3:]),
                             (x[:, :nr].reshape(30, 10, nr),
                              lambda d: d[:, :nr].reshape(30, 10, nr))):
                d = view(dc.asarray(x))
                for t in (1, 2):
                    dc.set_num_threads(t)
                    for keepdims in (False, True):
                        with np.errstate(invalid="ignore"):
                            exp = xv.sum(axis=-1, keepdims=keepdims)
                            got = np.asarray(d.sum(axis=-1, keepdims=keepdims))
                        assert got.dtype == exp.dtype and got.shape == exp.shape
                        assert np.array_equal(got.view(np.uint8), exp.view(np.uint8)), (
                            nr, t, keepdims)
    finally:
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)


def test_float_product_over_several_axes_in_numpys_order():
    """A float product over several axes whose order shows (an overflow meeting a zero):
    NumPy's value on the same layout (C- and Fortran-ordered, transposed, reversed; the
    order, and with it the value, differs between layouts in NumPy as well)."""
    x = np.array([[2.0 ** 512, 0.0], [2.0 ** 512, 0.0]])
    y = np.array([[[1e200, 1e200], [0.0, 1e-300]], [[1e200, 0.0], [1e-300, 1e200]]])
    for base in (x, y, (x * 0 + 2.0 ** 100).astype(np.float32)):
        db = dc.asarray(base)
        for v, d in ((base, db), (np.asfortranarray(base), dc.asarray(np.asfortranarray(base))),
                     (base.T, db.T), (base[::-1], db[::-1]), (base[:, ::-1], db[:, ::-1])):
            axes = [None, tuple(range(v.ndim))] + ([(0, 2), (1, 2)] if v.ndim == 3 else [])
            for axis in axes:
                for keepdims in (False, True):
                    with np.errstate(all="ignore"):
                        want = np.prod(v, axis=axis, keepdims=keepdims)
                        got = np.asarray(d.prod(axis=axis, keepdims=keepdims))
                    assert got.dtype == want.dtype and got.shape == want.shape
                    np.testing.assert_array_equal(got, want)


def _same_bits(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype,
                                                                 got.shape, want.shape)
    u = np.dtype(f"u{want.dtype.itemsize}")
    np.testing.assert_array_equal(np.ascontiguousarray(got).reshape(-1).view(u),
                                  np.ascontiguousarray(want).reshape(-1).view(u))


@pytest.mark.parametrize("src", ["f4", "f8", "i1", "i4", "u2", "i8", "?"])
@pytest.mark.parametrize("to", [np.float32, np.float64, "f8", float])
def test_sums_and_means_in_another_dtype_are_numpys_bits(src, to):
    """a.sum(dtype=...) and a.mean(dtype=...) of whole arrays: NumPy's iterator casts
    buffers of bufsize elements and sums each pairwise; the bits, dtype and warnings are
    NumPy's on every length around the buffer's borders, also with a smaller bufsize."""
    rng = np.random.default_rng(3)
    for n in (1, 7, 128, 129, 1000, 8191, 8192, 8193, 20000, 100003):
        if src == "?":
            x = rng.random(n) < 0.5
        elif src[0] in "iu":
            info = np.iinfo(src)
            x = rng.integers(max(info.min, -1000), min(info.max, 1000), n, dtype=src)
        else:
            x = (rng.standard_normal(n) * 1e4).astype(src)
        d = dc.array(x)
        _same_bits(d.sum(dtype=to), x.sum(dtype=to))
        _same_bits(dc.sum(d, dtype=to), np.sum(x, dtype=to))
        _same_bits(d.mean(dtype=to), x.mean(dtype=to))
        _same_bits(d.sum(axis=0, dtype=to), x.sum(axis=0, dtype=to))
        _same_bits(d.sum(dtype=to, keepdims=True), x.sum(dtype=to, keepdims=True))
    old = np.getbufsize()
    np.setbufsize(1024)
    try:
        x = (rng.standard_normal(20000) * 1e4).astype("f4")
        _same_bits(dc.array(x).sum(dtype=to), x.sum(dtype=to))
    finally:
        np.setbufsize(old)


@pytest.mark.parametrize("src", ["f4", "f8", "i4", "u1"])
@pytest.mark.parametrize("to", [np.float64, np.float32])
def test_scans_in_another_dtype_are_numpys_bits(src, to):
    """cumsum/cumprod(dtype=...) of contiguous arrays, flat and along each axis: the
    elements cast into the result and scanned there, NumPy's bits, dtype, shape and
    warnings."""
    rng = np.random.default_rng(5)
    for shape in ((1,), (13,), (9000,), (40, 7), (3, 5, 8)):
        n = int(np.prod(shape))
        x = ((rng.standard_normal(n) * 50).astype(src) if src[0] == "f"
             else rng.integers(0, 100, n).astype(src)).reshape(shape)
        d = dc.array(x)
        for name in ("cumsum", "cumprod"):
            for axis in (None,) + tuple(range(-x.ndim, x.ndim)):
                with warnings.catch_warnings(record=True) as we:
                    warnings.simplefilter("always")
                    e = getattr(x, name)(axis=axis, dtype=to)
                with warnings.catch_warnings(record=True) as wd:
                    warnings.simplefilter("always")
                    g = getattr(d, name)(axis=axis, dtype=to)
                _same_bits(g, e)
                assert [str(w.message) for w in wd] == [str(w.message) for w in we]


def _same_bits_and_warnings(ours, numpys):
    """ours() gives numpys()'s bits and warns as it does."""
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        e = numpys()
    with warnings.catch_warnings(record=True) as wd:
        warnings.simplefilter("always")
        g = ours()
    _same_bits(g, e)
    assert [str(w.message) for w in wd] == [str(w.message) for w in we]


def test_sums_in_another_dtype_warn_as_numpy():
    """Overflow and invalid values of a cast sum warn as NumPy's do."""
    for x, to in ((np.array([1e300, 1.0]), np.float32), (np.array([np.inf, -np.inf]), "f4"),
                  (np.array([3e38, 3e38], np.float32), np.float32)):
        _same_bits_and_warnings(lambda: dc.array(x).sum(dtype=to), lambda: x.sum(dtype=to))


@pytest.mark.parametrize("src", ["f4", "f8", "i1", "i4", "u2", "i8", "?"])
@pytest.mark.parametrize("to", [np.float32, np.float64, "f8", float])
def test_products_in_another_dtype_as_numpy(src, to):
    """a.prod(dtype=...) of whole arrays (cast, then our float product): NumPy's dtype,
    shape and value (a float product is NumPy's up to rounding: lanes, not in order),
    with and without keepdims, by method and by function, and its warnings."""
    rng = np.random.default_rng(4)
    for n in (1, 7, 128, 1000, 8193, 100003):
        if src == "?":
            x = rng.random(n) < 0.9
        elif src[0] in "iu":
            x = np.where(rng.random(n) < 0.0005, 2, 1).astype(src)     # (no overflow)
            if src[0] == "i":
                x[rng.random(n) < 0.3] *= -1
        else:
            x = rng.uniform(0.9, 1.1, n).astype(src)
        d = dc.array(x)
        for got, want in ((d.prod(dtype=to), x.prod(dtype=to)),
                          (dc.prod(d, dtype=to), np.prod(x, dtype=to)),
                          (d.prod(dtype=to, keepdims=True), x.prod(dtype=to, keepdims=True)),
                          (d.prod(axis=0, dtype=to), x.prod(axis=0, dtype=to))):
            got, want = np.asarray(got), np.asarray(want)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=2e-5 if want.dtype == np.float32
                                       else 1e-12)
    for x, to in ((np.array([1e300, 1.0]), np.float32), (np.array([np.inf, 0.0]), "f4"),
                  (np.array([3e38, 3e38], np.float32), np.float32),
                  (np.array([3e38, 3e38], np.float32), np.float64),
                  (np.array([1e-30, 1e-30, 1e30, 1e30], np.float32), np.float32)):
        _same_bits_and_warnings(lambda: dc.array(x).prod(dtype=to), lambda: x.prod(dtype=to))


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_float_sums_are_numpys_bits(dtype):
    """Float sums give NumPy's bits, not only its value: its pairwise order (leaves of
    128, splits at half rounded down to a multiple of 8) over a whole contiguous, strided
    or reversed run, then added to the identity 0 (-0.0 sums to +0.0); lengths around the
    leaf, the split and the threaded partials' borders; mean too; 1 and 2 threads; runs
    read leaf by leaf (past L2) and in interleaved pairs: sum_far_bytes at 1 byte and at
    its default."""
    from dotcompute._core import _kernel_access, _threads
    rng = np.random.default_rng(11)
    old_mode, old_threads = _threads.set_mode("always"), dc.get_num_threads()
    old_far = _kernel_access.sum_far_bytes()
    try:
        for n in (0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 256, 257, 1000, 1024,
                  4099, 65535, 65536, 65537, 131077, 10**6 + 3):
            x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, n)).astype(dtype)
            d = dc.asarray(x)
            for t, far in ((1, old_far), (2, old_far), (1, 1), (2, 1)):
                dc.set_num_threads(t)
                _kernel_access.set_sum_far_bytes(far)
                _same_bits(d.sum(), x.sum())
                _same_bits(dc.sum(d[::3]), np.sum(x[::3]))
                _same_bits(d[::-1].sum(), x[::-1].sum())
                if n:
                    _same_bits(d.mean(), x.mean())
        _kernel_access.set_sum_far_bytes(old_far)
        z = np.full(20, -0.0, dtype)
        _same_bits(dc.asarray(z).sum(), z.sum())
        _same_bits(dc.asarray(z[:3]).sum(), z[:3].sum())
        w = rng.standard_normal(5000).astype(dtype)
        w[[7, 4000]] = (np.inf, -np.inf)
        with np.errstate(invalid="ignore"):
            _same_bits(dc.asarray(w).sum(), w.sum())
        w[100] = np.nan
        _same_bits(dc.asarray(w).sum(), w.sum())
    finally:
        _kernel_access.set_sum_far_bytes(old_far)
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_float_axis_sums_follow_numpys_iterator(dtype):
    """Sums along axes in NumPy's iterator order, so its bits: reduced axes that form one
    run of memory are one pairwise sum (F-ordered and transposed arrays reduced whole,
    trailing axes of a C array); where a kept axis steps less than the reduced one, rows
    are added in order from 0 (narrow columns too); a short reduced axis that steps least
    is a pairwise sum, not rows in order; columns of -0.0 sum to +0.0."""
    rng = np.random.default_rng(12)
    X = (rng.standard_normal((300, 700)) * 10.0 ** rng.uniform(-4, 4, (300, 700))).astype(dtype)
    D = dc.asarray(X)
    cases = [
        lambda m, a: m.asfortranarray(a).sum(),
        lambda m, a: a.T.sum(),
        lambda m, a: a.T.mean(),
        lambda m, a: a.reshape(30, 10, 700).sum(axis=(1, 2)),
        lambda m, a: a.reshape(30, 10, 700).sum(axis=(1, 2), keepdims=True),
        lambda m, a: a.reshape(10, 700, 30).sum(axis=(0, 1)),
        lambda m, a: a.reshape(30, 10, 700).transpose(2, 1, 0).sum(axis=(1, 2)),
        lambda m, a: a.sum(axis=0),
        lambda m, a: a.sum(axis=1),
        lambda m, a: a[:, ::-1].sum(axis=1),
        lambda m, a: m.asfortranarray(a).sum(axis=0),
        lambda m, a: m.asfortranarray(a).sum(axis=1),
        lambda m, a: m.asfortranarray(a[:10]).sum(axis=0),
        lambda m, a: a.reshape(70000, 3).sum(axis=0),
        lambda m, a: a.reshape(3, 35000, 2).sum(axis=1),
        lambda m, a: a.reshape(1000, 210)[:, :5].sum(axis=0),
        lambda m, a: a.reshape(3, 70000).sum(axis=1),
        lambda m, a: a.reshape(700, 300).mean(axis=0),
    ]
    from dotcompute._core import _kernel_access
    old_far = _kernel_access.sum_far_bytes()
    try:
        for far in (old_far, 1):             # runs in interleaved leaf pairs, leaf by leaf
            _kernel_access.set_sum_far_bytes(far)
            for i, f in enumerate(cases):
                _same_bits(f(dc, D), f(np, X))
    finally:
        _kernel_access.set_sum_far_bytes(old_far)
    Z = np.full((6, 10), -0.0, dtype)
    for f in (lambda a: a.sum(), lambda a: a[:, :3].sum(), lambda a: a.sum(axis=0),
              lambda a: a[:, :3].sum(axis=0),
              lambda a: a.sum(axis=1), lambda a: a.T.sum(axis=1)):
        _same_bits(f(dc.asarray(Z)), f(Z))


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_sums_over_broadcast_axes_are_numpys_bits(dtype):
    """Sums over several axes of which one is broadcast (stride 0): NumPy's association
    (found by test_fuzz: a float32 row [4.94e16, 2**30, 2**30, 2**30] broadcast to (2, 4)
    summed to one ulp less), for sum and mean, whole and over axis pairs, keepdims."""
    row = np.array([4.9412796e16, 2.0 ** 30, 2.0 ** 30, 2.0 ** 30], dtype=dtype)
    rng = np.random.default_rng(14)
    big = (rng.standard_normal(300) * 10.0 ** rng.uniform(-6, 6, 300)).astype(dtype)
    for r in (row, big):
        for shape, axes in (((2, r.size), None), ((5, r.size), (0, 1)), ((3, 2, r.size), None),
                            ((3, 2, r.size), (0, 2)), ((4, 3, r.size), (1, 2))):
            x = np.broadcast_to(r, shape)
            d = dc.broadcast_to(dc.asarray(r), shape)
            for f in (lambda a: a.sum(axis=axes), lambda a: a.mean(axis=axes),
                      lambda a: a.sum(axis=axes, keepdims=True)):
                _same_bits(f(d), f(x))
        col = np.broadcast_to(r[:, None], (r.size, 6))      # the stride-0 axis inner
        _same_bits(dc.broadcast_to(dc.asarray(r)[:, None], (r.size, 6)).sum(), col.sum())


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_whole_sums_of_views_are_numpys_bits(dtype):
    """A float sum of all of a view that is no run of memory, or over its trailing axes,
    follows NumPy's iterator: dimensions by decreasing |stride|, coalesced, buffered in
    chunks of whole inner runs (bufsize // core of them) of an output's block, each chunk
    summed pairwise and added in order; slices, strided, transposed, 3-d, reversed and
    long-row views, keepdims, mean too, and a smaller np.setbufsize."""
    rng = np.random.default_rng(13)
    views = [((300, 700), lambda b: b[:, :500]), ((300, 402), lambda b: b[::2, ::3]),
             ((250, 500), lambda b: b[:, :400].T), ((20, 30, 50), lambda b: b[:, :, :40]),
             ((20, 35, 40), lambda b: b[:, :30, :]), ((10, 25000), lambda b: b[:, :20000]),
             ((300, 700), lambda b: b[::-1]), ((300, 700), lambda b: b[:, ::-1]),
             ((300, 700), lambda b: b[::-1, :500]), ((300, 700), lambda b: b[:, 500:0:-1]),
             ((20, 20), lambda b: b[2:-2, 2:-2]), ((200, 200, 3), lambda b: b[:, :, 0]),
             ((1000, 50), lambda b: b[:, 3:5]), ((4, 1, 9, 1), lambda b: b[:, :, ::2])]
    for shape, view in views:
        base = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-4, 4, shape)).astype(dtype)
        a, d = view(base), view(dc.asarray(base))
        _same_bits(d.sum(), a.sum())
        _same_bits(dc.sum(d, keepdims=True), np.sum(a, keepdims=True))
        _same_bits(d.mean(), a.mean())
    for shape, view, axes in (((30, 10, 700), lambda b: b[:, :, :600], (1, 2)),
                              ((100, 100, 100), lambda b: b[:, 1:-1, 1:-1], (1, 2)),
                              ((8, 100, 90), lambda b: b[:, ::2, :80], (1, 2)),
                              ((1000, 8, 8), lambda b: b[::-1, :4, :4], (1, 2)),
                              ((30, 10, 700), lambda b: b[:, :, :600], (0, 2)),
                              ((30, 10, 700), lambda b: b[:, :, :600], (0, 1)),
                              ((100, 100, 4), lambda b: b[:, :, :3], (0, 1)),
                              ((50, 60, 8), lambda b: b[::2, ::3, :5], (0, 1)),
                              ((20, 30, 17), lambda b: b[::-1, :, :13], (0, 1)),
                              ((43, 53), lambda b: b[::-1, ::-1], None),
                              ((19, 24, 7), lambda b: b[::-1, ::-1, ::-1].transpose(1, 0, 2),
                               None)):
        base = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-4, 4, shape)).astype(dtype)
        a, d = view(base), view(dc.asarray(base))
        _same_bits(d.sum(axis=axes), a.sum(axis=axes))
        _same_bits(d.sum(axis=axes, keepdims=True), a.sum(axis=axes, keepdims=True))
        _same_bits(d.mean(axis=axes), a.mean(axis=axes))
    old = np.getbufsize()
    try:
        np.setbufsize(4096)
        base = rng.standard_normal((300, 700)).astype(dtype)
        _same_bits(dc.asarray(base)[:, :500].sum(), base[:, :500].sum())
    finally:
        np.setbufsize(old)


@pytest.mark.parametrize("dtype", ["f4", "f8", "i4"])
def test_software_prefetch_on_and_off_give_numpys_results(dtype):
    """The loops that prefetch in software (long min/max/arg-reductions and comparisons;
    on by default only for Intel CPUs) give NumPy's results with it on and off: values,
    first-occurrence indices, NaN propagation, 1 and 2 threads."""
    from dotcompute._core import _kernel_access, _threads
    rng = np.random.default_rng(31)
    n = 600_001                                  # runs past DC_PF_MIN_RUN (2 MiB) in f4/f8
    x = (rng.standard_normal(n) * 1000).astype(dtype)
    y = (rng.standard_normal(n) * 1000).astype(dtype)
    x[n // 3] = x.max() + 1 if dtype == "i4" else np.inf
    x[2 * n // 3] = x[n // 3]                    # a tie: the first occurrence wins
    xn = x.copy()
    if dtype != "i4":
        xn[n - 5] = np.nan
    old = _kernel_access.software_prefetch()
    old_mode, old_threads = _threads.set_mode("always"), dc.get_num_threads()
    try:
        for pf in (True, False):
            _kernel_access.set_software_prefetch(pf)
            assert _kernel_access.software_prefetch() is pf
            for t in (1, 2):
                dc.set_num_threads(t)
                for a in (x, xn, x[::-1]):
                    d = dc.asarray(a)
                    for f in ("max", "min", "argmax", "argmin"):
                        np.testing.assert_array_equal(np.asarray(getattr(dc, f)(d)), getattr(np, f)(a))
                    np.testing.assert_array_equal(np.asarray(d < dc.asarray(y)), a < y)
                    np.testing.assert_array_equal(np.asarray(d >= dc.asarray(y)), a >= y)
    finally:
        _kernel_access.set_software_prefetch(old)
        _threads.set_mode(old_mode)
        dc.set_num_threads(old_threads)
    assert "software_prefetch" in dc.runtime_info()
