"""Kernels for what real programs do, against NumPy: integer division and remainder by one
divisor (magic-number multiplications), temporary elision in operator chains, cumulative
sums and products on any axis and layout, integer means, and N-d walks whose innermost
dimension is tiny.

Every result must equal NumPy's in dtype and shape and in value (exactly, except where a
test says why not), or both must raise the same exception type.
"""
import contextlib
import gc
import sys
from builtins import min as builtins_min
import warnings

import numpy as np
import pytest

import dotcompute as dc

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@contextlib.contextmanager
def _thread_mode(mode):
    """The thread policy "never" on one thread, or "always" on two (spans over both),
    restored after."""
    from dotcompute._core import _threads
    old_mode = _threads.set_mode(mode)
    old = dc.get_num_threads()
    try:
        dc.set_num_threads(1 if mode == "never" else 2)
        yield
    finally:
        dc.set_num_threads(old)
        _threads.set_mode(old_mode)


def _same_any(expected, got):
    """_same for an array or, element by element, a tuple of them."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for e, g in zip(expected, got):
            _same(e, g)
    else:
        _same(expected, got)


def _same(expected, got):
    g = np.asarray(got)
    e = np.asarray(expected)
    assert g.dtype == e.dtype, (g.dtype, e.dtype)
    assert g.shape == e.shape, (g.shape, e.shape)
    np.testing.assert_array_equal(g, e)


# ------------------------------------------------------- division by one divisor

@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_division_by_every_divisor_8bit(dtype):
    info = np.iinfo(dtype)
    a = np.arange(info.min, info.max + 1).astype(dtype)
    d = dc.asarray(a)
    for b in range(info.min, info.max + 1):
        if b == 0:
            continue
        with np.errstate(all="ignore"):
            _same(a // dtype(b), d // dtype(b))
            _same(a % dtype(b), d % dtype(b))


@pytest.mark.parametrize("dtype", [np.int16, np.uint16])
def test_division_16bit_all_dividends(dtype):
    info = np.iinfo(dtype)
    a = np.arange(info.min, info.max + 1).astype(dtype)
    d = dc.asarray(a)
    divisors = [2, 3, 5, 7, 10, 255, 256, 257, 1000, 4096, info.max, info.max - 1]
    if info.min < 0:
        divisors += [-2, -3, -7, -256, -1000, info.min, info.min + 1]
    for b in divisors:
        with np.errstate(all="ignore"):
            _same(a // dtype(b), d // dtype(b))
            _same(a % dtype(b), d % dtype(b))


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int64, np.uint64])
def test_division_wide_types(dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(7)
    edges = [info.min, info.max, 0, 1, 2, 3, info.max - 1, info.min + 1]
    if info.min < 0:
        edges += [-1, -2, -3]
    a = np.concatenate([rng.integers(info.min, info.max, 5000, dtype=dtype, endpoint=True),
                        np.array(edges, dtype=dtype)])
    d = dc.asarray(a)
    divisors = list(rng.integers(info.min, info.max, 60, dtype=dtype, endpoint=True))
    divisors += [2, 3, 7, 10, 1 << 20, info.max, info.max // 2, info.max // 2 + 1]
    if info.min < 0:
        divisors += [-2, -3, -7, info.min, info.min + 1]
    for b in divisors:
        b = dtype(b)
        if b == 0:
            continue
        with np.errstate(all="ignore"):
            _same(a // b, d // b)
            _same(a % b, d % b)
            _same(np.floor_divide(a[::-3], b), np.floor_divide(d[::-3], b))


@pytest.mark.parametrize("b", [0, 1, -1, 3, -3])
def test_division_special_divisors_flags(b):
    a = np.array([-7, -1, 0, 1, 7, np.iinfo(np.int64).min], dtype=np.int64)
    d = dc.asarray(a)
    for op in (np.floor_divide, np.remainder):
        with np.errstate(all="raise"):
            try:
                e = ("ok", op(a, b))
            except FloatingPointError:
                e = ("raise", None)
            try:
                g = ("ok", op(d, b))
            except FloatingPointError:
                g = ("raise", None)
        assert e[0] == g[0], (op, b)
        if e[0] == "ok":
            _same(e[1], g[1])


@given(dtype=st.sampled_from(INTS), data=st.data())
def test_division_python_int_divisors(dtype, data):
    info = np.iinfo(dtype)
    a = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)))
    b = data.draw(st.integers(min_value=max(info.min, -10 ** 6),
                              max_value=min(info.max, 10 ** 6)).filter(lambda v: v != 0))
    with np.errstate(all="ignore"):
        _same(a // b, dc.asarray(a) // b)
        _same(a % b, dc.asarray(a) % b)


# ------------------------------------------------------------- temporary elision

def _allocations():
    return dc.memory_stats()["allocation.all.allocated"]


N_ELIDE = 100_000          # 800 KB of float64: above the elision threshold


def _chains_on():
    from dotcompute._core import _routines_elementwise as R
    return R.fusion_supported() and N_ELIDE >= 4096


def test_elision_reuses_the_temporary():
    x = dc.asarray(np.arange(N_ELIDE, dtype=np.float64))
    y = dc.asarray(np.linspace(0, 1, N_ELIDE))
    xn, yn = np.asarray(x).copy(), np.asarray(y).copy()
    for expr in ("x * 2 + 1", "1 + x * 2", "(x - y) ** 2", "-(x * 3)", "x * 2 * y * y",
                 "(x + y) / (x + 1)", "2.5 * x + y"):
        a0 = _allocations()
        got = eval(expr)
        used = _allocations() - a0
        expected = eval(expr, {"x": xn, "y": yn})
        _same(expected, got)
        # two temporaries where operator chains are off (one pass into one array where on)
        two = 1 if _chains_on() else 2
        assert used == (1 if expr != "(x + y) / (x + 1)" else two), (expr, used)
    _same(xn, x)
    _same(yn, y)


def test_no_elision_when_the_temporary_is_seen():
    x = dc.asarray(np.arange(N_ELIDE, dtype=np.float64))
    t = x * 2
    u = t + 1                                    # t is a named variable
    _same(np.arange(N_ELIDE) * 2.0, t)
    _same(np.arange(N_ELIDE) * 2.0 + 1, u)

    def held_by_numpy_view():
        v = x * 3
        n = np.asarray(v)                        # a numpy view of v's memory
        w = v.__add__(1)                         # not the interpreter's operator
        return n, w

    n, w = held_by_numpy_view()
    _same(np.arange(N_ELIDE) * 3.0, n)

    def view_then_operator():
        v = x * 4
        s = v[::2]
        del v
        return s, s * 1 + 0                      # a view: never written in place

    s, r = view_then_operator()
    _same(np.arange(0, N_ELIDE, 2) * 4.0, s)
    m = x * 5
    mv = memoryview(m)
    r = m + 1                                    # m is named; its export too
    assert np.frombuffer(mv, dtype=np.float64)[1] == 5.0
    _same(np.arange(N_ELIDE) * 5.0, m)
    _same(np.arange(N_ELIDE) * 5.0 + 1, r)
    base = np.arange(N_ELIDE, dtype=np.float64)
    r = dc.asarray(base) * 1 + 1                 # dc.asarray shares base: the product is new
    _same(np.arange(N_ELIDE, dtype=np.float64), base)


def test_elision_keeps_dtype_shape_and_broadcasting():
    x = dc.asarray(np.arange(N_ELIDE, dtype=np.float32).reshape(1000, 100))
    xn = np.asarray(x).copy()
    for expr in ("x * 2 + np.float64(1)", "x * 2 + 1.5", "(x * 2)[:, :50] + 1",
                 "x * 2 + x[0]", "x * 2 > 3", "(x * 2).astype(np.int32) // 3",
                 "x * 2 + np.ones((5, 1000, 100), np.float32)", "x * 2 + 1j"):
        expected = eval(expr, {"x": xn, "np": np})
        got = eval(expr, {"x": x, "np": np})
        _same(expected, got)
    _same(xn, x)


def test_elision_with_errors_reports_and_leaves_no_partial_result():
    x = dc.asarray(np.arange(N_ELIDE, dtype=np.int8))
    with pytest.raises(OverflowError):
        x * 1 + 1000                             # NEP 50: 1000 does not fit int8
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            (x * 1.0) / 0.0


def test_elision_in_loops_matches_numpy():
    def horner(mod, x):
        y = mod.zeros_like(x)
        for c in (0.3, -1.2, 0.5, 2.0, -0.7):
            y = y * x + c
        return y

    xn = np.random.default_rng(3).uniform(-1, 1, N_ELIDE)
    _same(horner(np, xn), horner(dc, dc.asarray(xn)))
    gc.collect()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="elision needs the 3.11 frame API")
def test_elision_happens_in_functions():
    def f(a, b):
        return a * b + 1.0

    x = dc.asarray(np.ones(N_ELIDE))
    a0 = _allocations()
    r = f(x, x)
    assert _allocations() - a0 == 1
    _same(np.full(N_ELIDE, 2.0), r)


# ---------------------------------------------------- cumulative sums and products

SCAN_DTYPES = [np.dtype(c) for c in "?bhilqBHILQfdFD"]


def _scan_values(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype.kind == "c":
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)
    if dtype.kind == "f":
        return rng.normal(scale=3, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape,
                        endpoint=True).astype(dtype)


@st.composite
def scan_case(draw):
    dtype = draw(st.sampled_from(SCAN_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    a = _scan_values(dtype, shape, draw(st.integers(0, 2 ** 16)))
    view = draw(st.sampled_from(["contig", "reversed", "T", "step"]))
    if view == "reversed" and a.ndim:
        a = a[::-1]
    elif view == "T":
        a = a.T
    elif view == "step" and a.ndim:
        a = np.repeat(a, 2, axis=-1)[..., ::2]
    axis = draw(st.sampled_from([None] + list(range(-a.ndim, a.ndim))))
    return a, axis


def _outcome(f):
    try:
        return "ok", f()
    except Exception as e:                               # noqa: BLE001
        return type(e), None


@given(case=scan_case(), func=st.sampled_from(["cumsum", "cumprod"]))
@settings(max_examples=300, deadline=None)
def test_cumulative_matches_numpy(case, func):
    a, axis = case
    base = dc.asarray(np.ascontiguousarray(a) if a.flags.c_contiguous else a)
    with np.errstate(all="ignore"):
        e = _outcome(lambda: getattr(np, func)(a, axis=axis))
        g = _outcome(lambda: getattr(np, func)(base, axis=axis))
        g2 = _outcome(lambda: getattr(base, func)(axis=axis))
        g3 = _outcome(lambda: getattr(dc, func)(base, axis=axis))
    for got in (g, g2, g3):
        assert got[0] == e[0]
        if e[0] != "ok":
            continue
        assert isinstance(got[1], dc.ndarray)
        if func == "cumprod" and a.dtype.kind == "c":
            # NumPy's own loop on both sides; its complex multiply takes a SIMD (FMA) or
            # a scalar path by the memory's alignment, so the last bits may differ
            assert np.asarray(got[1]).dtype == e[1].dtype and got[1].shape == e[1].shape
            np.testing.assert_allclose(np.asarray(got[1]), e[1],
                                       rtol=1e-5 if a.dtype.itemsize == 8 else 1e-13)
        else:
            _same(e[1], got[1])                  # NumPy's order of additions: its bits


def test_cumulative_strided_views_and_dtypes():
    x = np.random.default_rng(2).normal(size=(40, 30, 5))
    d = dc.asarray(x)
    for sl in [np.s_[::-1], np.s_[:, ::-2], np.s_[5:30, :, 1:4], np.s_[..., ::-1]]:
        for axis in (None, 0, 1, 2, -1):
            _same(np.cumsum(x[sl], axis=axis), np.cumsum(d[sl], axis=axis))
            _same(np.cumprod(x[sl] / 2, axis=axis), np.cumprod(d[sl] / 2, axis=axis))
    _same(np.cumsum(x, axis=1, dtype=np.float32), np.cumsum(d, axis=1, dtype=np.float32))
    i8 = np.arange(-50, 50, dtype=np.int8)
    _same(np.cumsum(i8), np.cumsum(dc.asarray(i8)))   # int64 accumulation, no wrap at 127
    _same(np.cumsum(i8, dtype=np.int8), np.cumsum(dc.asarray(i8), dtype=np.int8))


def test_cumulative_out_and_overlap():
    x = np.arange(24, dtype=np.float64).reshape(4, 6)
    d = dc.asarray(x.copy())
    out = dc.empty((4, 6))
    r = np.cumsum(d, axis=0, out=out)
    assert r is out
    _same(np.cumsum(x, axis=0), out)
    r = np.cumsum(d, axis=1, out=d)                  # in place: same layout
    assert r is d
    _same(np.cumsum(x, axis=1), d)
    y = np.arange(10.0)
    dy = dc.asarray(y.copy())
    e = y.copy()
    np.cumsum(e[:-1], out=e[1:])                     # partial overlap: as NumPy
    np.cumsum(dy[:-1], out=dy[1:])
    _same(e, dy)
    with pytest.raises(np.exceptions.AxisError):
        np.cumsum(d, axis=2)


def test_cumulative_float_errors_reported():
    big = dc.asarray(np.array([1e308, 1e308]))
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            np.cumsum(big)


# ----------------------------------------------------------------- integer means

@given(dtype=st.sampled_from([np.bool_, np.int8, np.int16, np.int32, np.uint8, np.uint16,
                              np.uint32, np.int64, np.uint64]),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=7), data=st.data())
@settings(max_examples=200, deadline=None)
def test_integer_mean_matches_numpy(dtype, shape, data):
    a = hnp.arrays(dtype, shape)
    x = data.draw(a)
    axis = data.draw(st.sampled_from([None, 0, -1, (0, -1)]))
    keepdims = data.draw(st.booleans())
    e = _outcome(lambda: np.mean(x, axis=axis, keepdims=keepdims))
    g = _outcome(lambda: np.mean(dc.asarray(x), axis=axis, keepdims=keepdims))
    assert g[0] == e[0]                          # repeated axes: NumPy's ValueError
    if e[0] != "ok":
        return
    e, g = e[1], g[1]
    assert np.asarray(g).dtype == np.asarray(e).dtype
    assert np.shape(g) == np.shape(e)
    # NumPy sums in float64 (exact below 2**53); ours sums exactly: equal up to its rounding
    np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-15, atol=0)
    if x.dtype.itemsize < 8:
        s = x.astype(np.int64).sum(axis=axis, keepdims=keepdims)
        if np.all(np.abs(s) < 2 ** 53):
            _same(e, g)                              # no rounding in NumPy's sum: the same bits


def test_integer_mean_values():
    x = np.arange(1000, dtype=np.int32).reshape(10, 100)
    d = dc.asarray(x)
    _same(np.mean(x), np.mean(d))
    assert type(np.mean(d)) is np.float64
    _same(x.mean(axis=0), d.mean(axis=0))
    _same(x.mean(axis=1, keepdims=True), d.mean(axis=1, keepdims=True))
    _same(x[::-1, ::3].mean(axis=1), d[::-1, ::3].mean(axis=1))
    b = np.array([True, False, True])
    _same(b.mean(), dc.asarray(b).mean())


# -------------------------------------------------- walks with a tiny innermost dimension

_TINY_LAYOUTS = {            # (first operand, second operand) views of one (outer, mid, inner)
    "outer": (lambda x: x[:, None, 0, :], lambda x: x[None, :, 0, :]),   # X[:, None] - X[None]
    "step": (lambda x: x[:-1:2], lambda x: x[1::2]),
    "reversed": (lambda x: x[::-1, :, ::-1], lambda x: x),
    "T": (lambda x: x.T[::-1], lambda x: x.T),
}


@given(inner=st.integers(1, 7), outer=st.integers(32, 300), mid=st.integers(1, 4),
       op=st.sampled_from(["add", "subtract", "multiply", "less", "maximum"]),
       dtype=st.sampled_from([np.float64, np.float32, np.int32, np.int8, np.complex128]),
       other=st.sampled_from([np.float64, np.int16, np.float32]),
       layout=st.sampled_from(sorted(_TINY_LAYOUTS)), seed=st.integers(0, 99))
@settings(max_examples=150, deadline=None)
def test_tiny_inner_dimension_walks(inner, outer, mid, op, dtype, other, layout, seed):
    rng = np.random.default_rng(seed)
    base = (rng.normal(size=(outer, mid, inner)) * 10).astype(dtype)
    base2 = (rng.normal(size=(outer, mid, inner)) * 10).astype(other)
    va, vb = _TINY_LAYOUTS[layout]
    f = getattr(np, op)
    with np.errstate(all="ignore"):
        e = f(va(base), vb(base2))
        g = f(va(dc.asarray(base)), vb(dc.asarray(base2)))
    _same(e, g)


def test_tiny_inner_dimension_where_clip_and_out():
    img = np.random.default_rng(5).normal(size=(120, 90, 3))
    d = dc.asarray(img)
    _same(np.where(img[:, ::2] > 0, img[:, ::2], 0.0), np.where(d[:, ::2] > 0, d[:, ::2], 0.0))
    _same(np.clip(img[::-1, ::3], -0.5, 0.5), np.clip(d[::-1, ::3], -0.5, 0.5))
    out = dc.empty((120, 45, 3))
    np.multiply(d[:, ::2], 2.0, out=out)
    _same(img[:, ::2] * 2.0, out)
    e = img.copy()
    g = dc.asarray(img.copy())
    e[:, :, :2] += e[:, :, 1:]                  # overlapping in place: as NumPy
    g[:, :, :2] += g[:, :, 1:]
    _same(e, g)


# ----------------------------------------------------------------- float -> int casts

@pytest.mark.skipif(__import__("platform").machine() not in ("x86_64", "AMD64"),
                    reason="out-of-range conversions are the CPU's: checked where NumPy's "
                           "x86 values are known")
@pytest.mark.parametrize("src", [np.float32, np.float64])
@pytest.mark.parametrize("dst", [np.int8, np.int16, np.int32, np.uint8, np.uint16])
def test_float_to_int_casts_match_numpy_out_of_range(src, dst):
    # targets converted through int32 by every build (scalar cvttsd2si and the vector
    # forms agree); uint32/int64/uint64 of NaN or out-of-range values differ between
    # NumPy's own scalar and vector loops, as between our builds
    vals = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2.0 ** 31, -2.0 ** 31, 2 ** 31 - 0.5,
                     4294967551.0, 255.9, -1.5, 0.0, -0.0, 1e20, 2.0 ** 63, -2.0 ** 63, 300.0,
                     -129.5, 65535.9, 70000.0] * 30).astype(src)
    with np.errstate(all="ignore"):
        _same(vals.astype(dst), dc.asarray(vals).astype(dst))
        _same(vals[::-1].astype(dst), dc.asarray(vals)[::-1].astype(dst))


# ------------------------------------------------------ transposed (Fortran-order) inputs

@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=9),
       dtype=st.sampled_from([np.float64, np.float32, np.int16, np.complex128]),
       case=st.sampled_from(["x.T - y.T", "x.T * 2", "x.T - x.T[..., :1]", "-x.T",
                             "np.sqrt(abs(x.T))", "x.T + y[::-1].T", "x.T < y.T",
                             "x.T + np.float32(1)", "x.T - x.T[:1]"]),
       seed=st.integers(0, 99))
@settings(max_examples=150, deadline=None)
def test_transposed_inputs_values_and_order(shape, dtype, case, seed):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=shape) * 10).astype(dtype)
    y = (rng.normal(size=shape) * 10).astype(dtype)
    with np.errstate(all="ignore"):
        e = eval(case, {"x": x, "y": y, "np": np})
        g = eval(case, {"x": dc.asarray(x), "y": dc.asarray(y), "np": np})
    _same(e, g)
    if e.ndim >= 2 and e.flags.f_contiguous and not e.flags.c_contiguous and (
            "[::-1]" not in case):                   # (reversed: NumPy's general 'K' order)
        assert g.flags.f_contiguous                  # NumPy's order 'K': memory in order


def test_transposed_inputs_with_out_and_overlap():
    x = np.arange(60.0).reshape(6, 10)
    d = dc.asarray(x.copy())
    out = dc.empty((10, 6))
    np.subtract(d.T, d.T[:, :1], out=out)
    _same(x.T - x.T[:, :1], out)
    e = x.copy()
    e.T[...] = e.T * 2 + 1
    g = dc.asarray(x.copy())
    g.T[...] = g.T * 2 + 1
    _same(e, g)


# ------------------------------------------------------- median by one selection

def _median_case(data, dtype, nan_every):
    x = data.astype(dtype)
    if x.size > 3:
        x.flat[::7] = np.round(x.flat[::7])          # ties among the middle values
    if nan_every:
        x.flat[::nan_every] = np.nan
    return x


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
       dtype=st.sampled_from([np.float32, np.float64]),
       nan_every=st.sampled_from([0, 0, 3, 11]), keepdims=st.booleans(),
       transposed=st.booleans(), seed=st.integers(0, 2 ** 16))
@settings(max_examples=120, deadline=None)
def test_median_on_every_axis_as_numpy(shape, dtype, nan_every, keepdims, transposed, seed):
    """Values, dtype, shape and scalar type of np.median and dc.median against NumPy's, on
    every axis and None, with ties, NaNs, keepdims and a transposed (non-contiguous) view;
    the input is left as it was."""
    x = _median_case(np.random.default_rng(seed).normal(size=shape), dtype, nan_every)
    if transposed:
        x = x.T
    d = dc.asarray(x)
    before = x.copy()
    for axis in [None] + list(range(-x.ndim, x.ndim)):
        expected = np.median(x, axis=axis, keepdims=keepdims)
        for got in (dc.median(d, axis=axis, keepdims=keepdims),
                    np.median(d, axis=axis, keepdims=keepdims)):
            if np.ndim(expected) == 0:
                assert type(got) is type(expected), (type(got), type(expected))
            else:
                assert isinstance(got, dc.ndarray)
            _same(expected, got)
    np.testing.assert_array_equal(np.asarray(d), before)


def test_median_large_slices_as_numpy():
    """Slices long enough for NumPy's vectorized selection (4000 x 200 along either axis,
    both dtypes, even and odd counts)."""
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        for shape in ((4000, 200), (3999, 201)):
            x = _median_case(rng.normal(size=shape), dtype, 0)
            d = dc.asarray(x)
            for axis in (0, 1, None):
                _same(np.median(x, axis=axis), dc.median(d, axis=axis))


def _selection_rows(n, rng):
    """Rows that stress a quickselect: random, sorted, reversed, organ pipe, all equal, two
    values, few distinct, signed zeros with infinities, a NaN among them."""
    r = rng.normal(size=n)
    ramp = np.arange(n, dtype=float)
    rows = [r, np.sort(r), np.sort(r)[::-1], np.concatenate([ramp[: n // 2], ramp[n // 2:][::-1]]),
            np.full(n, 2.5), np.where(rng.random(n) < 0.5, 1.0, -1.0),
            rng.integers(0, 3, n).astype(float),
            rng.choice(np.array([0.0, -0.0, np.inf, -np.inf, 1.0]), n)]
    nan = r.copy()
    nan[rng.integers(0, n)] = np.nan
    return rows + [nan]


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # NumPy's lerp of infs
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 15, 16, 17, 33, 100, 4095, 4096, 4097, 20001])
def test_median_and_quantiles_of_hard_rows_as_numpy(dtype, n):
    """The selection (dc_select.h: branchless partition, the equal-to-least split, the
    heapsort fallback, the buffer on the stack up to 4096 elements and from malloc above)
    gives NumPy's order statistics on rows that stress it: np.median and np.quantile (at
    0, 1 and positions between) of each row alone and of the rows stacked along either
    axis, on one and two threads."""
    rng = np.random.default_rng(n)
    rows = [v.astype(dtype) for v in _selection_rows(n, rng)]
    stacked = np.stack(rows)
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            for x in rows + [stacked, stacked.T.copy()]:
                d = dc.asarray(x)
                axes = [None] if x.ndim == 1 else [None, 0, 1]
                for axis in axes:
                    _same(np.median(x, axis=axis), dc.median(d, axis=axis))
                    if x.size >= 4096:
                        q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
                        _same(np.quantile(x, q, axis=axis), dc.quantile(d, q, axis=axis))
                np.testing.assert_array_equal(np.asarray(d), x)       # input unchanged
    finally:
        dc.set_num_threads(old)


@pytest.mark.parametrize("case", ["out", "empty", "int", "axis_tuple", "bad_axis", "0d"])
def test_median_other_calls_as_numpy(case):
    """What the selection path leaves to NumPy's code gives NumPy's results, warnings and
    exceptions."""
    x = np.arange(24.0).reshape(4, 6)
    kwargs = {}
    if case == "out":
        kwargs = {"axis": 0, "out": np.empty(6)}
    elif case == "empty":
        x = np.empty((0, 3))
        kwargs = {"axis": 1}
    elif case == "int":
        x = np.arange(24).reshape(4, 6)
        kwargs = {"axis": 1}
    elif case == "axis_tuple":
        kwargs = {"axis": (0, 1)}
    elif case == "bad_axis":
        kwargs = {"axis": 2}
    elif case == "0d":
        x = np.float64(2.5)
    d = dc.asarray(x)
    dkw = dict(kwargs)
    if "out" in dkw:
        dkw["out"] = dc.empty(6)
    with warnings.catch_warnings(record=True) as expected_warnings:
        warnings.simplefilter("always")
        try:
            expected = np.median(x, **kwargs)
        except Exception as exc:
            with pytest.raises(type(exc)):
                dc.median(d, **dkw)
            return
    with warnings.catch_warnings(record=True) as got_warnings:
        warnings.simplefilter("always")
        got = dc.median(d, **dkw)
    assert ([w.category for w in got_warnings]
            == [w.category for w in expected_warnings])
    _same(expected, got)
    if case == "out":
        assert got is dkw["out"]
        # by position as well (NumPy's signature: a, axis, out)
        assert dc.median(d, 0, dkw["out"]) is dkw["out"]
        assert np.median(d, 0, dkw["out"]) is dkw["out"]


# ------------------------------------------------------- var and std through our kernels

@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
       dtype=st.sampled_from([np.float32, np.float64]), ddof=st.sampled_from([0, 1, 2]),
       keepdims=st.booleans(), transposed=st.booleans(), seed=st.integers(0, 2 ** 16))
@settings(max_examples=100, deadline=None)
def test_var_and_std_as_numpy(shape, dtype, ddof, keepdims, transposed, seed):
    """np.var / np.std and the methods against NumPy's: dtype, shape and scalar type
    exactly; values to the rounding of the sums (a full float sum adds in another order
    than NumPy's, with the same error bound); exceptions and warnings as NumPy's (ddof
    at or above the count, duplicate axes)."""
    x = (np.random.default_rng(seed).normal(size=shape) * 3 + 5).astype(dtype)
    if transposed:
        x = x.T
    d = dc.asarray(x)
    rtol = 1e-12 if dtype == np.float64 else 4e-6
    axes = [None] + list(range(-x.ndim, x.ndim)) + [(0, -1)]
    for axis in axes:
        for name in ("var", "std"):
            with warnings.catch_warnings(record=True) as expected_warnings:
                warnings.simplefilter("always")
                try:
                    expected = getattr(np, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
                except Exception as exc:
                    with pytest.raises(type(exc)):
                        getattr(dc, name)(d, axis=axis, ddof=ddof, keepdims=keepdims)
                    continue
            for call in (lambda: getattr(dc, name)(d, axis=axis, ddof=ddof,
                                                   keepdims=keepdims),
                         lambda: getattr(np, name)(d, axis=axis, ddof=ddof,
                                                   keepdims=keepdims),
                         lambda: getattr(d, name)(axis, ddof=ddof, keepdims=keepdims)):
                with warnings.catch_warnings(record=True) as got_warnings:
                    warnings.simplefilter("always")
                    got = call()
                assert ([w.category for w in got_warnings]
                        == [w.category for w in expected_warnings])
                if np.ndim(expected) == 0 and not isinstance(expected, np.ndarray):
                    assert type(got) is type(expected), (type(got), type(expected))
                else:
                    assert isinstance(got, dc.ndarray)
                g, e = np.asarray(got), np.asarray(expected)
                assert g.dtype == e.dtype and g.shape == e.shape, (g.dtype, e.dtype,
                                                                   g.shape, e.shape)
                np.testing.assert_allclose(g, e, rtol=rtol, atol=0)


def test_var_exact_along_axis_zero():
    """Along axis 0 of a C-contiguous table each column sums in row order, as NumPy's:
    the same bits (the kernels' exact steps, no reassociation)."""
    x = np.random.default_rng(4).normal(size=(500, 30)) * 2 + 7
    d = dc.asarray(x)
    for ddof in (0, 1):
        np.testing.assert_array_equal(np.asarray(dc.var(d, axis=0, ddof=ddof)),
                                      np.var(x, axis=0, ddof=ddof))
        np.testing.assert_array_equal(np.asarray(d.std(axis=0, ddof=ddof)),
                                      x.std(axis=0, ddof=ddof))


@pytest.mark.parametrize("kwargs", [{"dtype": np.float64}, {"where": np.array([True, False, True])},
                                    {"mean": np.zeros((1, 3))}, {"correction": 1},
                                    {"ddof": 1.5}])
def test_var_other_arguments_run_numpys_code(kwargs):
    x = np.arange(12, dtype=np.float32).reshape(4, 3) * 1.5
    d = dc.asarray(x)
    for name in ("var", "std"):
        expected = getattr(np, name)(x, axis=0, **kwargs)
        got = getattr(dc, name)(d, axis=0, **kwargs)
        assert np.asarray(got).dtype == expected.dtype
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_outer_axis_one_pass_as_numpy(dtype):
    """The one-pass squared deviations over axis 0 (2-D and 3-D, C order): NumPy's bits;
    values that overflow or hold NaN take the step-by-step path, with NumPy's warnings."""
    rng = np.random.default_rng(9)
    for shape in ((300, 40), (50, 6, 7)):
        x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
        d = dc.asarray(x)
        for ddof in (0, 1):
            np.testing.assert_array_equal(np.asarray(d.var(axis=0, ddof=ddof)),
                                          x.var(axis=0, ddof=ddof))
            np.testing.assert_array_equal(np.asarray(dc.std(d, axis=0, keepdims=True)),
                                          np.std(x, axis=0, keepdims=True))
    big = np.finfo(dtype).max / 4
    x = rng.normal(size=(300, 40)).astype(dtype)
    x[::7, 3] = big
    x[5, 9] = np.nan
    d = dc.asarray(x)
    with warnings.catch_warnings(record=True) as expected_warnings:
        warnings.simplefilter("always")
        expected = x.var(axis=0)
    with warnings.catch_warnings(record=True) as got_warnings:
        warnings.simplefilter("always")
        got = np.asarray(d.var(axis=0))
    assert ([(w.category, str(w.message)) for w in got_warnings]
            == [(w.category, str(w.message)) for w in expected_warnings])
    np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------- quantile and percentile

@given(shape=st.sampled_from([(4096,), (5000,), (100, 60), (30, 20, 9), (9, 500)]),
       dtype=st.sampled_from([np.float32, np.float64]),
       q=st.sampled_from([0.3, 0, 1, 0.5, [0.1, 0.9], (0.25, 0.5, 0.75), 0.999999,
                          [1.0, 0.0, 0.5]]),
       nan_every=st.sampled_from([0, 0, 97]), keepdims=st.booleans(),
       seed=st.integers(0, 2 ** 16))
@settings(max_examples=60, deadline=None)
def test_quantile_as_numpy(shape, dtype, q, nan_every, keepdims, seed):
    """np.quantile / np.percentile and ours on every axis and None: NumPy's values bit
    for bit, dtype, shape and scalar type, with ties, NaNs and keepdims."""
    x = _median_case(np.random.default_rng(seed).normal(size=shape), dtype, nan_every)
    d = dc.asarray(x)
    p = [100 * v for v in q] if isinstance(q, (list, tuple)) else 100 * q
    for axis in [None] + list(range(-x.ndim, x.ndim)):
        for name, arg in (("quantile", q), ("percentile", p)):
            expected = getattr(np, name)(x, arg, axis=axis, keepdims=keepdims)
            for got in (getattr(dc, name)(d, arg, axis=axis, keepdims=keepdims),
                        getattr(np, name)(d, arg, axis=axis, keepdims=keepdims)):
                if isinstance(expected, np.ndarray):
                    assert isinstance(got, dc.ndarray)
                else:
                    assert type(got) is type(expected), (type(got), type(expected))
                _same(expected, got)
    np.testing.assert_array_equal(np.asarray(d), x)          # the input is left as it was


@pytest.mark.parametrize("case", ["ints", "out", "weights", "method", "bad_q", "q_int",
                                  "small", "axis_tuple", "many_q"])
def test_quantile_other_calls_as_numpy(case):
    """What the selection path leaves to NumPy's code: NumPy's results and exceptions."""
    x = np.random.default_rng(5).normal(size=(80, 60))
    args, kwargs = (0.3,), {"axis": 0}
    if case == "ints":
        x = np.arange(4800).reshape(80, 60) % 97
    elif case == "out":
        kwargs["out"] = np.empty(60)
    elif case == "weights":
        kwargs.update(method="inverted_cdf", weights=np.ones(80))
    elif case == "method":
        kwargs["method"] = "nearest"
    elif case == "bad_q":
        args = (1.5,)
    elif case == "q_int":
        args = ([0, 1],)
    elif case == "small":
        x = x[:10, :10]
    elif case == "axis_tuple":
        kwargs["axis"] = (0, 1)
    elif case == "many_q":
        args = (np.linspace(0, 1, 21),)
    d = dc.asarray(x)
    dkw = dict(kwargs)
    if "out" in dkw:
        dkw["out"] = dc.empty(60)
    try:
        expected = np.quantile(x, *args, **kwargs)
    except Exception as exc:
        with pytest.raises(type(exc)):
            dc.quantile(d, *args, **dkw)
        return
    got = dc.quantile(d, *args, **dkw)
    _same(expected, got)
    if case == "out":
        assert got is dkw["out"]


# ------------------------------------------------------- sort and unique by radix sort

def _sort_rows(n, dtype, rng):
    """Rows for a sort: random with duplicates, sorted, reversed, all equal, and for
    floats NaNs, zeros of both signs and infinities among them."""
    if np.dtype(dtype).kind == "f":
        r = (rng.normal(size=n) * 1e3).astype(dtype)
        r[rng.integers(0, n, n // 50 + 1)] = np.nan
        r[rng.integers(0, n, 5)] = -0.0
        r[rng.integers(0, n, 5)] = 0.0
        r[rng.integers(0, n, 3)] = np.inf
        r[rng.integers(0, n, 3)] = -np.inf
    else:
        info = np.iinfo(dtype)
        r = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        r[: n // 3] = rng.integers(-3 if info.min < 0 else 0, 4, n // 3).astype(dtype)
        r[: 4] = [info.min, info.max, 0, 1]
    few = rng.integers(0, 3, n).astype(dtype)
    return [r, np.sort(r), np.sort(r)[::-1].copy(), np.full(n, r[0]), few]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint64,
                                   np.uint32])
@pytest.mark.parametrize("n", [4095, 4096, 4097, 20000, 100001])
def test_sort_and_unique_as_numpy(dtype, n):
    """np.sort (last axis and axis=None), ndarray.sort in place and np.unique of dc arrays
    give NumPy's values, dtype and shape (our radix sort from 4096 elements a row, on 1
    and 2 threads; NumPy's below), NaNs last and once in unique with equal_nan."""
    rng = np.random.default_rng(n)
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            rows = _sort_rows(n, dtype, rng)
            for x in rows + [np.stack(rows[:3]), np.stack(rows[:3], axis=1),
                             np.stack(rows[:4], axis=1).reshape(2, n, 2)]:
                d = dc.asarray(x)
                _same(np.sort(x), np.sort(d))
                for axis in range(-x.ndim, x.ndim):
                    e, g = np.sort(x, axis=axis), np.sort(d, axis=axis)
                    _same(e, g)
                    assert np.asarray(g).flags.c_contiguous == e.flags.c_contiguous
                _same(np.sort(x, axis=None), np.sort(d, axis=None))
                _same(np.sort(x, kind="quicksort"), dc.sort(d, kind="quicksort"))
                e, g = x.copy(), d.copy()
                e.sort()
                g.sort()
                _same(e, g)
                g = d.copy()
                g.sort(-1, "quicksort")
                _same(e, g)
                for equal_nan in (True, False):
                    _same(np.unique(x, equal_nan=equal_nan),
                          np.unique(d, equal_nan=equal_nan))
                np.testing.assert_array_equal(np.asarray(d), x)     # input unchanged
    finally:
        dc.set_num_threads(old)


def test_sort_calls_left_to_numpy_as_numpy():
    """What the radix sort leaves to NumPy's code gives NumPy's results and errors: a
    stable float sort (zeros of either sign keep their input order: bit for bit), an
    axis of fewer than 4096 elements, unique with counts, a read-only array's in-place
    sort."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 5000))
    x[:, ::7] = -0.0
    x[:, 3::7] = 0.0
    d = dc.asarray(x)
    for kwargs in ({"kind": "stable"}, {"stable": True}, {"axis": 0}, {"kind": "mergesort"}):
        e, g = np.sort(x, **kwargs), np.sort(d, **kwargs)
        assert np.asarray(g).dtype == e.dtype
        np.testing.assert_array_equal(np.asarray(g).view(np.uint8), e.view(np.uint8))
    ev, ec = np.unique(x, return_counts=True)
    gv, gc = np.unique(d, return_counts=True)
    _same(ev, gv)
    _same(ec, gc)
    r = dc.asarray(x[0].copy())
    r.flags.writeable = False
    with pytest.raises(ValueError):
        r.sort()


# ------------------------------------------------------- argsort and unique's indices

def _argsort_rows(n, dtype, rng):
    """Rows for argsort: distinct values (random, sorted, reversed), few values (ties),
    and for floats zeros of either sign and NaNs of either sign among ties."""
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    if np.dtype(dtype).kind == "f":
        distinct = rng.permutation(n).astype(dtype) * dtype(0.5) - dtype(n // 4)
        few = rng.integers(-3, 4, n).astype(dtype)
        few[few == 0] = np.where(rng.random(int((few == 0).sum())) < 0.5, -0.0, 0.0)
        few[::97] = np.nan
        few[1::101] = -np.nan
        few[2::89] = np.inf
        few[3::83] = -np.inf
    else:
        distinct = rng.permutation(n).astype(dtype)
        distinct[:2] = [info.min, info.max]
        few = rng.integers(0, 5, n).astype(dtype)
        few[::50] = info.max
        few[1::50] = info.min
        perm = rng.permutation(n).astype(dtype)
        # narrow ranges at the type's ends (the repeat bitmap's offset from the lowest)
        ends = [dtype(info.max) - perm, dtype(info.min) + perm,
                dtype(info.max) - perm // dtype(2)]
        return [distinct, np.sort(distinct), np.sort(distinct)[::-1].copy(), few,
                np.full(n, few[0])] + ends
    return [distinct, np.sort(distinct), np.sort(distinct)[::-1].copy(), few,
            np.full(n, few[0])]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint64,
                                   np.uint32])
@pytest.mark.parametrize("n", [4095, 4096, 5003, 8192, 70001])
def test_argsort_as_numpy(dtype, n):
    """np.argsort / dc.argsort / ndarray.argsort of dc arrays give NumPy's indices exactly:
    stable kinds (equal values by position; -0.0 and 0.0 alike, NaNs of either sign last
    and alike) by our radix argsort from 4096 elements a row; the default kind by ours
    where the row has no equal values and by NumPy's code where it has (NumPy's order
    among them); last axis of 2-d and F-ordered arrays, axis=None, other axes (of
    C-ordered arrays through a copy with the axis last); 1 and 2 threads."""
    rng = np.random.default_rng(n)
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            rows = _argsort_rows(n, dtype, rng)
            for x in rows + [np.stack(rows[:2]), np.asfortranarray(np.stack(rows[:3])),
                             np.stack(rows[:3], axis=1),
                             np.stack(rows[:4], axis=1).reshape(2, n, 2)]:
                d = dc.asarray(x)
                for kw in ({}, {"kind": "stable"}, {"kind": "mergesort"}, {"stable": True},
                           {"kind": "quicksort"}, {"stable": False}, {"axis": None},
                           {"axis": None, "kind": "stable"}, {"axis": 0},
                           {"axis": 0, "kind": "stable"}, {"axis": -x.ndim},
                           {"axis": x.ndim // 2, "stable": True}):
                    e = np.argsort(x, **kw)
                    _same(e, np.argsort(d, **kw))
                    _same(e, dc.argsort(d, **kw))
                    _same(e, d.argsort(**kw))
                np.testing.assert_array_equal(np.asarray(d), x)     # input unchanged
    finally:
        dc.set_num_threads(old)


def _bits(a):
    """The bytes of a's elements in C order (signed zeros and NaN payloads count)."""
    return np.ascontiguousarray(np.asarray(a)).tobytes()


@pytest.mark.parametrize("mode", ["never", "always"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.int16,
                                   np.uint8, np.float16, np.complex128, np.bool_])
def test_sort_rows_by_numpy_loops_as_numpy(dtype, mode):
    """Rows too short for the radix sort (and argsort rows with equal values) run NumPy's
    own loop for the dtype and kind on our threads: np.sort / np.argsort / dc.sort /
    dc.argsort / ndarray.sort / ndarray.argsort give NumPy's results bit for bit (ties,
    NaNs, zeros of either sign) for every kind, on one thread and split over two; other
    axes, Fortran order and heapsort run NumPy's code."""
    rng = np.random.default_rng(17)
    x = (rng.integers(0, 20, (300, 150)) * (rng.random((300, 150)) + 0.5)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[::7, ::5] = np.nan
        x[1::7, ::3] = -0.0
    with _thread_mode(mode):
        for a in (x, x.reshape(30, 10, 150), np.asfortranarray(x)):
            d = dc.asarray(a)
            for kw in ({}, {"kind": "stable"}, {"kind": "mergesort"}, {"stable": True},
                       {"stable": False}, {"kind": "heapsort"}, {"axis": 0}):
                for fn in ("sort", "argsort"):
                    e = getattr(np, fn)(a, **kw)
                    for g in (getattr(np, fn)(d, **kw), getattr(dc, fn)(d, **kw)):
                        _same(e, g)
                        assert _bits(g) == _bits(e)
                e = a.argsort(**kw)
                _same(e, d.argsort(**kw))
                e, g = a.copy(), d.copy()
                e.sort(**kw)
                g.sort(**kw)
                assert _bits(g) == _bits(e)


def test_argsort_calls_left_to_numpy_as_numpy():
    """order=, bad kinds, kind and stable together, bad axes and small rows keep NumPy's
    code: its results and errors."""
    x = np.random.default_rng(3).normal(size=(2, 5000))
    d = dc.asarray(x)
    _same(np.argsort(x[:, :100]), np.argsort(d[:, :100]))
    _same(np.argsort(x, kind="heapsort"), d.argsort(kind="heapsort"))
    for call in (lambda a: np.argsort(a, kind="bogus"), lambda a: np.argsort(a, axis=2),
                 lambda a: np.argsort(a, kind="stable", stable=True),
                 lambda a: a.argsort(axis=-3)):
        with pytest.raises(Exception) as e_np:
            call(x)
        with pytest.raises(type(e_np.value)):
            call(d)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint64,
                                   np.uint32])
def test_unique_indices_as_numpy(dtype):
    """np.unique / dc.unique of dc arrays with return_index, return_inverse and
    return_counts in every combination (NumPy's steps on our stable argsort, or on our
    sort for counts alone) give NumPy's values, indices, inverse (the input's shape) and
    counts, with NaNs equal or not, on 1 and 2 threads."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 300, (40, 250)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[::7, ::3] = np.nan
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            for a in (x, x.ravel(), x[:, ::2]):
                d = dc.asarray(a)
                for ri in (False, True):
                    for rv in (False, True):
                        for rc in (False, True):
                            for en in (True, False):
                                kw = dict(return_index=ri, return_inverse=rv,
                                          return_counts=rc, equal_nan=en)
                                e = np.unique(a, **kw)
                                for g in (np.unique(d, **kw), dc.unique(d, **kw)):
                                    _same_any(e, g)
    finally:
        dc.set_num_threads(old)


def _same_layout(expected, got):
    """Values, dtype, shape and strides (NumPy's layout of nonzero's columns, argwhere's
    transpose), for an array or a tuple of them."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for e, g in zip(expected, got):
            _same_layout(e, g)
        return
    _same(expected, got)
    assert np.asarray(got).strides == expected.strides, (np.asarray(got).strides,
                                                         expected.strides)


@pytest.mark.parametrize("mode", ["never", "always"])
@pytest.mark.parametrize("shape", [(5000,), (100, 70), (7, 30, 40), (3, 4, 5, 6, 20),
                                   (1, 5000), (5000, 1), (300001,), (1001, 999)])
def test_nonzero_as_numpy(shape, mode):
    """np.nonzero / where(cond) / argwhere / flatnonzero and ndarray.nonzero of dc arrays
    (bool, float with -0.0 and NaN, int16; C, Fortran and reversed layouts) give NumPy's
    indices in NumPy's layout (nonzero's columns of one (count, ndim) block, argwhere's
    F-ordered transpose), for masks empty, sparse, half and full, on one thread and split
    into spans over two (each span's entries written where the ones before end)."""
    rng = np.random.default_rng(sum(shape))
    with _thread_mode(mode):
        for p in (0.0, 0.003, 0.5, 1.0):
            m = rng.random(shape) < p
            f = m * rng.choice([-1.5, 2.0, np.nan, -0.0], size=shape)
            for x in (m, f, m.astype(np.int16), np.asfortranarray(m), m[..., ::-1]):
                d = dc.asarray(x)
                for fn in (np.nonzero, np.argwhere, np.flatnonzero, np.where):
                    e = fn(x)
                    _same_layout(e, fn(d))
                    _same_layout(e, getattr(dc, fn.__name__)(d))
                _same_layout(x.nonzero(), d.nonzero())


def test_nonzero_calls_left_to_numpy_as_numpy():
    """0-d arrays (NumPy's ValueError; argwhere's (1, 0) or (0, 0) result) and small
    arrays keep NumPy's code."""
    for v in (True, False, 0.0, 3):
        x, d = np.array(v), dc.asarray(np.array(v))
        with pytest.raises(ValueError):
            np.nonzero(x)
        with pytest.raises(ValueError):
            dc.nonzero(d)
        _same(np.argwhere(x), dc.argwhere(d))
        _same(np.flatnonzero(x), dc.flatnonzero(d))
    x = np.array([0, 1, 0, 2])
    _same_layout(np.nonzero(x), dc.nonzero(dc.asarray(x)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint64,
                                   np.uint32])
def test_isin_as_numpy(dtype):
    """np.isin / dc.isin of dc arrays give NumPy's result (dtype, shape, values; invert
    too): the test set sorted and searched (floats with NaN and zeros of either sign;
    integers of a wide range or kind="sort"), NumPy's table for integers of a narrow range,
    2-d elements and test sets, values below and above the whole set, a one-value set;
    mixed dtypes and small arrays by NumPy's code."""
    rng = np.random.default_rng(7)
    floats = np.dtype(dtype).kind == "f"
    hi = 10**6 if floats else np.iinfo(dtype).max // 2
    b = rng.integers(0, hi, 3000).astype(dtype)
    a = rng.integers(0, hi, (90, 70)).astype(dtype)
    a.ravel()[:1500] = b[:1500]
    a.ravel()[1500:1510] = np.iinfo(dtype).max if not floats else np.inf
    if floats:
        b[:3] = [np.nan, -0.0, np.inf]
        a.ravel()[1510:1530] = np.nan
        a.ravel()[1530:1540] = 0.0
    narrow_a = rng.integers(0, 50, 9000).astype(dtype)
    narrow_b = rng.integers(10, 40, 30).astype(dtype)
    cases = [(a, b), (a, b.reshape(30, 100)), (a.T, b[::-1]), (a, b[:1]),
             (narrow_a, narrow_b), (a[:10], b),
             (a, b.astype(np.float64) if not floats else b[3:].astype(np.int64))]
    for x, y in cases:
        dx, dy = dc.asarray(x), dc.asarray(y)
        for invert in (False, True):
            for kind in (None, "sort"):
                e = np.isin(x, y, invert=invert, kind=kind)
                _same(e, np.isin(dx, dy, invert=invert, kind=kind))
                _same(e, dc.isin(dx, dy, invert=invert, kind=kind))
    with pytest.raises(ValueError):
        dc.isin(dc.asarray(a), dc.asarray(b), kind="bogus")


def test_polyval_as_numpy():
    """np.polyval / dc.polyval of a dc array x give NumPy's values, dtype, shape and
    layout: coefficient lists and arrays of every kind (the first step's promotion with
    x, then in place), empty and one-coefficient polynomials, float32, int32, strided
    and Fortran-ordered x, NaN and overflow (NumPy's warnings); poly1d and small x by
    NumPy's code."""
    rng = np.random.default_rng(11)
    x = rng.uniform(-3, 3, 6000)
    x[::97] = np.nan
    xs = [x, x.astype(np.float32), (x[~np.isnan(x)] * 100).astype(np.int32), x[::-2],
          np.asfortranarray(x.reshape(60, 100)), x[:100]]
    ps = [[0.3, -1.2, 0.5, 2.0, -0.7, 0.1, 1.0], np.array([1, 2, 3]), [],
          np.array([1.5, 2.5], dtype=np.float32), [2], np.array([1 + 2j, 3]),
          np.array([1e300, 1e300, 1e300]), np.poly1d([1.0, 2.0])]
    for p in ps:
        for a in xs:
            with warnings.catch_warnings(record=True) as we:
                warnings.simplefilter("always")
                e = np.polyval(p, a)
            with warnings.catch_warnings(record=True) as wg:
                warnings.simplefilter("always")
                g = dc.polyval(p, dc.asarray(a))
            assert [w.category for w in wg] == [w.category for w in we]
            if isinstance(p, np.poly1d):
                np.testing.assert_array_equal(np.asarray(g), e)
                continue
            _same_layout(e, g)
            _same(e, np.polyval(p, dc.asarray(a)))


def test_lexsort_as_numpy():
    """np.lexsort / dc.lexsort of dc keys give NumPy's indices (its stable order: ties of
    every key by position; NaNs last and alike, -0.0 as 0.0): tuples and lists of keys of
    mixed dtypes, the rows of a 2-d array, axis 0 of 1-d keys, one key; short keys, other
    dtypes and keys of different lengths by NumPy's code (its ValueError)."""
    rng = np.random.default_rng(13)
    n = 20000
    a = rng.integers(0, 7, n)
    b = np.round(rng.normal(size=n), 1)
    b[::31] = np.nan
    b[1::37] = -0.0
    b[2::41] = 0.0
    c = rng.integers(0, 50, n).astype(np.uint32)
    f = rng.integers(0, 9, n).astype(np.float32)
    cases = [(b, a), [c, a], (b, c, a), (f, b), (a,), np.stack([a, c.astype(np.int64)]),
             (b[:100], a[:100]), (a.astype(np.int16), c)]
    for keys in cases:
        dk = (dc.asarray(keys) if isinstance(keys, np.ndarray)
              else type(keys)(dc.asarray(k) for k in keys))
        e = np.lexsort(keys)
        _same(e, np.lexsort(dk))
        _same(e, dc.lexsort(dk))
    _same(np.lexsort((b, a), axis=0), dc.lexsort((dc.asarray(b), dc.asarray(a)), axis=0))
    with pytest.raises(ValueError):
        dc.lexsort((dc.asarray(a), dc.asarray(b[:-1])))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16, np.int32,
                                   np.uint32, np.bool_, np.int64])
def test_sum_mean_of_short_integer_rows_as_numpy(dtype):
    """sum / mean / np.sum / np.mean over a short last axis (an image's channels: 1-7
    elements) of bool and integer dc arrays give NumPy's dtype (int64 / uint64 sums,
    float64 means), shape (keepdims too) and values, at the types' extremes; strided
    inputs by the other paths."""
    rng = np.random.default_rng(19)
    for shape in [(200, 150, 3), (1000, 7), (100, 100, 1), (64, 5), (3000, 2)]:
        if dtype is np.bool_:
            x = rng.integers(0, 2, shape).astype(dtype)
        else:
            info = np.iinfo(dtype)
            x = rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
        for a in (x, x[::2]):
            d = dc.asarray(a)
            for kw in ({"axis": -1}, {"axis": -1, "keepdims": True}):
                _same(a.sum(**kw), d.sum(**kw))
                _same(a.mean(**kw), d.mean(**kw))
                _same(np.sum(a, **kw), dc.sum(d, **kw))
                _same(np.mean(a, **kw), np.mean(d, **kw))


def test_unique_rows_as_numpy():
    """np.unique / dc.unique(a, axis=0) of 2-d bool and integer dc arrays whose rows fit
    in 64 bits (rows packed into one key, our stable argsort) give NumPy's rows, first
    indices, inverse and counts in every combination: uint8 colours, signed columns at
    the types' extremes (the sign bit's order), one column, a strided view, axis=-2;
    wider rows, floats and other axes by NumPy's code."""
    rng = np.random.default_rng(23)
    i32 = np.iinfo(np.int32)
    cases = [rng.integers(0, 256, (20000, 3)).astype(np.uint8),
             rng.integers(-3, 3, (10000, 4)).astype(np.int8),
             rng.integers(i32.min, i32.max, (9000, 2), endpoint=True, dtype=np.int32),
             rng.integers(0, 2, (8000, 5)).astype(np.bool_),
             rng.integers(-50, 50, (9000, 1)).astype(np.int64),
             rng.integers(-2**15, 2**15, (9000, 4)).astype(np.int16)[:, ::2],
             rng.integers(0, 4, (9000, 3)).astype(np.int64),
             rng.integers(0, 4, (9000, 3)).astype(np.float64)]
    cases[2][:5] = [[i32.min, i32.max], [i32.max, i32.min], [-1, 0], [0, -1], [i32.min, -1]]
    for x in cases:
        d = dc.asarray(x)
        for ri in (False, True):
            for rv in (False, True):
                for rc in (False, True):
                    for axis in (0, -2):
                        kw = dict(axis=axis, return_index=ri, return_inverse=rv,
                                  return_counts=rc)
                        e = np.unique(x, **kw)
                        for g in (dc.unique(d, **kw), np.unique(d, **kw)):
                            _same_any(e, g)
    _same(np.unique(cases[0], axis=1), dc.unique(dc.asarray(cases[0]), axis=1))


@pytest.mark.parametrize("mode", ["never", "always"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.int16,
                                   np.int8, np.uint64, np.uint32, np.uint16, np.uint8])
def test_extreme_accumulate_as_numpy(dtype, mode):
    """np.maximum.accumulate / np.minimum.accumulate (and dc.maximum / dc.minimum's) of
    1-d dc arrays give NumPy's values bit for bit: ties go to the later operand (-0.0
    after 0.0 and the reverse), the first NaN stays (its payload), the types' extremes;
    on one thread and in spans over two (each span's scan combined with the ones before);
    no warning on NaN; axis, dtype and out= and 2-d arrays by NumPy's code."""
    rng = np.random.default_rng(29)
    n = 20011
    if np.dtype(dtype).kind == "f":
        x = rng.integers(-3, 4, n).astype(dtype) * rng.choice([-1, 1], n).astype(dtype)
        zero = x == 0
        x[zero] = np.where(rng.random(int(zero.sum())) < 0.5, -0.0, 0.0).astype(dtype)
        y = x.copy()
        at = rng.integers(0, n, 6)
        y[at] = np.nan
        y.view(np.uint64 if dtype is np.float64 else np.uint32)[at[::2]] |= 1
        xs = [x, y]
    else:
        info = np.iinfo(dtype)
        xs = [rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype),
              rng.integers(0, 3, n).astype(dtype)]
    with _thread_mode(mode):
        for x in xs:
            d = dc.asarray(x)
            for name in ("maximum", "minimum"):
                e = getattr(np, name).accumulate(x)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    for g in (getattr(np, name).accumulate(d),
                              getattr(dc, name).accumulate(d)):
                        _same(e, g)
                        assert np.asarray(g).tobytes() == e.tobytes()
                _same(getattr(np, name).accumulate(x, dtype=np.float64),
                      getattr(dc, name).accumulate(d, dtype=np.float64))
                X = x[:20000].reshape(100, 200)
                _same(getattr(np, name).accumulate(X, axis=1),
                      getattr(dc, name).accumulate(dc.asarray(X), axis=1))


def test_namespace_reaches_every_override():
    """`import dotcompute as np; np.f(...)` runs our routine for every NumPy function we
    override (not NumPy's code on views): the namespace's object is the routine (or the
    standard's wrapper of it)."""
    from dotcompute import _standard
    from dotcompute._core._routines_function import OVERRIDES
    for f, impl in OVERRIDES.items():
        name = f.__name__
        if getattr(np, name, None) is not f:
            continue                      # a submodule's function
        obj = getattr(dc, name)
        assert obj is impl or obj is _standard.OWN.get(name), name


# ------------------------------------------------------- searchsorted and digitize

@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint64,
                                   np.uint32])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, 1000])
def test_searchsorted_and_digitize_as_numpy(dtype, n):
    """np.searchsorted (both sides, the method too) and np.digitize (increasing and
    decreasing bins, right or not) of dc arrays give NumPy's indices for sorted rows with
    repeated values, -inf and NaNs at the end, keys equal to row values, NaN and -0.0
    keys, and 63 to 5000 keys (8 searched in step, the rest one by one; below 64 keys
    NumPy's code), on 1 and 2 threads."""
    rng = np.random.default_rng(n)
    floats = np.dtype(dtype).kind == "f"
    a = np.sort((rng.normal(size=n) * 50).astype(dtype))
    if n > 2:
        a[1] = a[2]                                        # a repeated value
    if floats and n > 3:
        a[0] = -np.inf
        a[-2:] = np.nan
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            for m in (63, 64, 71, 5000):
                v = (rng.normal(size=m) * 60).astype(dtype)
                if floats:
                    v[::17] = np.nan
                    v[1::17] = -0.0
                if n:
                    v[2::5] = a[rng.integers(0, n, v[2::5].size)]
                ad, vd = dc.asarray(a), dc.asarray(v)
                for side in ("left", "right"):
                    e = np.searchsorted(a, v, side)
                    _same(e, np.searchsorted(ad, vd, side))
                    _same(e, ad.searchsorted(vd, side=side))
                    _same(e.reshape(-1, 1)[: m // 2 * 1], np.searchsorted(
                        ad, vd[: m // 2].reshape(-1, 1), side))
                bins = np.unique(a[~np.isnan(a)]) if floats else np.unique(a)
                if bins.size > 1 and np.dtype(dtype).kind != "u":
                    for b in (bins, bins[::-1].copy()):
                        for right in (False, True):
                            _same(np.digitize(v, b, right), np.digitize(vd, dc.asarray(b), right))
    finally:
        dc.set_num_threads(old)


def test_searchsorted_calls_left_to_numpy_as_numpy():
    """Scalars, mixed dtypes, sorters and bad sides keep NumPy's code: its results and its
    errors."""
    a = np.sort(np.random.default_rng(1).normal(size=100))
    v = np.linspace(-2, 2, 500)
    ad, vd = dc.asarray(a), dc.asarray(v)
    assert np.searchsorted(ad, 0.5) == np.searchsorted(a, 0.5)
    _same(np.searchsorted(a, v.astype(np.float32)), np.searchsorted(ad, vd.astype(np.float32)))
    order = np.argsort(a[::-1])
    _same(np.searchsorted(a[::-1], v, sorter=order),
          np.searchsorted(dc.asarray(a[::-1].copy()), vd, sorter=dc.asarray(order)))
    with pytest.raises(ValueError):
        np.searchsorted(a, v, side="middle")
    with pytest.raises(ValueError):
        np.searchsorted(ad, vd, side="middle")
    with pytest.raises(ValueError):
        np.digitize(vd, dc.asarray(np.array([1.0, 0.0, 2.0])))


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")   # n = 1: on both sides
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 1001, 100000])
def test_nanmedian_as_numpy(dtype, n):
    """np.nanmedian of dc arrays (whole array: the non-NaN values' median; other axes,
    keepdims and all-NaN slices by NumPy's code, its warning) gives NumPy's value and
    type."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=n).astype(dtype)
    x[::7] = np.nan
    d = dc.asarray(x)
    e, g = np.nanmedian(x), np.nanmedian(d)
    assert type(g) is type(e)
    np.testing.assert_array_equal(g, e)
    _same(np.nanmedian(x, keepdims=True), np.nanmedian(d, keepdims=True))
    X = x[: n - n % 2].reshape(2, -1) if n >= 2 else x.reshape(1, 1)
    _same(np.nanmedian(X, axis=1), np.nanmedian(dc.asarray(X), axis=1))
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        g = np.nanmedian(dc.asarray(np.full(5, np.nan, dtype)))
    assert np.isnan(g)


# ------------------------------------------------------- histogram of equal bins

@pytest.mark.parametrize("n", [8191, 8192, 100003])
def test_histogram_as_numpy(n):
    """np.histogram of float64 dc arrays: NumPy's counts (dtype too) and edges for values
    on the edges, at the extremes and outside a given range, for bin counts from 1 to
    1000 and NumPy's estimators, ranges given, empty-width and reversed (its ValueError),
    2-d and strided inputs, 1 and 2 threads; weights, density and NaN ranges (its
    ValueError) as NumPy's code gives them."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    x[:50] = np.linspace(-1, 1, 50)
    x[50:60] = x.max()
    x[60:70] = x.min()
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            for v in (x, x[: n - n % 4].reshape(-1, 4), x[::2]):
                d = dc.asarray(v) if v.flags.c_contiguous else dc.asarray(x)[::2]
                for bins in (1, 2, 10, 37, 1000, "auto", "fd"):
                    for r in (None, (-1.0, 1.0), (0.0, 0.0), (-3.5, 2.25)):
                        e, ee = np.histogram(v, bins, r)
                        g, ge = np.histogram(d, bins, r)
                        _same(e, g)
                        _same(ee, ge)
                with pytest.raises(ValueError):
                    np.histogram(d, 10, (2.0, 1.0))
        w = rng.random(n)
        for kwargs in ({"weights": w}, {"density": True}):
            e = np.histogram(x, 20, **kwargs)
            g = np.histogram(dc.asarray(x), 20,
                             **{k: (dc.asarray(v) if k == "weights" else v)
                                for k, v in kwargs.items()})
            _same(e[0], g[0])
            _same(e[1], g[1])
        xn = x.copy()
        xn[5] = np.nan
        with pytest.raises(ValueError):
            np.histogram(dc.asarray(xn))
    finally:
        dc.set_num_threads(old)


# ------------------------------------------------------- interp on a sorted grid

@pytest.mark.parametrize("n", [1, 2, 3, 5, 1000])
def test_interp_as_numpy(n):
    """np.interp of float64 dc arrays (8192 values and more) gives NumPy's values: on a grid
    with a repeated point and an infinite value, values on grid points, outside it, left
    and right given, random and sorted values (sorted blocks walk the grid), 2-d values,
    dc or NumPy grids, 1 and 2 threads; NaN values, unsorted grids, periods, complex
    values and short inputs by NumPy's code."""
    rng = np.random.default_rng(n)
    xp = np.sort(rng.normal(size=n))
    if n > 3:
        xp[2] = xp[1]
    fp = rng.normal(size=n)
    if n > 4:
        fp[3] = np.inf
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            r = rng.normal(size=9000) * 1.5
            r[:n] = xp
            cases = [r, np.sort(r), np.repeat(np.sort(r[:900]), 10), r.reshape(90, 100)]
            for x in cases:
                d = dc.asarray(x)
                for lr in ((None, None), (-7.0, 9.0), (0, 1)):
                    e = np.interp(x, xp, fp, *lr)
                    _same(e, np.interp(d, dc.asarray(xp), dc.asarray(fp), *lr))
                    _same(e, np.interp(d, xp, fp, *lr))
            xn = r.copy()
            xn[::11] = np.nan
            _same(np.interp(xn, xp, fp), np.interp(dc.asarray(xn), xp, fp))
            if n > 2:
                shuffled = xp[::-1].copy()
                _same(np.interp(r, shuffled, fp), np.interp(dc.asarray(r), shuffled, fp))
            _same(np.interp(r, xp, fp, period=3.0), np.interp(dc.asarray(r), xp, fp, period=3.0))
            fc = fp + 1j
            _same(np.interp(r, xp, fc), np.interp(dc.asarray(r), xp, fc))
    finally:
        dc.set_num_threads(old)


# ------------------------------------------------------- bincount

@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint32, np.int16, np.uint16,
                                   np.int8, np.uint8, np.bool_])
@pytest.mark.parametrize("n", [16383, 16384, 100000])
def test_bincount_as_numpy(dtype, n):
    """np.bincount of bool and integer dc arrays (int8-int64, uint8-uint32) gives NumPy's
    counts and dtype for dense and sparse values, minlength below and above the largest
    value, 1 and 2 threads; a negative value's ValueError, weights, strided and 2-d input
    by NumPy's code."""
    rng = np.random.default_rng(n)
    hi_max = 2 if dtype is np.bool_ else int(builtins_min(np.iinfo(dtype).max + 1, 10 ** 6))
    old = dc.get_num_threads()
    try:
        for threads in (1, 2):
            dc.set_num_threads(threads)
            for hi in sorted({builtins_min(h, hi_max) for h in (1, 2, 7, 1000, 10 ** 6)}):
                x = rng.integers(0, hi, n).astype(dtype)
                d = dc.asarray(x)
                for minlength in (0, 5, 2 * hi + 3):
                    _same(np.bincount(x, minlength=minlength),
                          np.bincount(d, minlength=minlength))
            w = rng.random(n)
            _same(np.bincount(x, weights=w), np.bincount(d, weights=dc.asarray(w)))
            _same(np.bincount(x[::2]), np.bincount(d[::2]))
            if np.dtype(dtype).kind == "i":
                neg = x.copy()
                neg[n // 2] = -1
                with pytest.raises(ValueError):
                    np.bincount(dc.asarray(neg))
            with pytest.raises(ValueError):
                np.bincount(d, minlength=-1)
    finally:
        dc.set_num_threads(old)


# ------------------------------------------------------------------ nansum / nanmean

def _same_scalar(expected, got):
    assert type(got) is type(expected), (type(got), type(expected))
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == expected and np.signbit(got) == np.signbit(expected), (got, expected)


def _nan_case(dtype, n, frac, seed, scale=1e3):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(n) * scale).astype(dtype)
    a[rng.random(n) < frac] = np.nan
    return a


@pytest.mark.parametrize("mode", ["auto", "always", "never"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 1000, 4097, 100003, 1_000_003])
@pytest.mark.parametrize("frac", [0.0, 0.03, 0.5, 1.0])
def test_nansum_nanmean_bits_as_numpy(mode, dtype, n, frac):
    """NumPy's nansum sums a copy whose NaNs are 0 in its pairwise order; ours reads NaN
    as +0.0 in that order on any number of threads: the same bits, and nanmean's count
    and division give NumPy's value (all NaN: its warning and nan)."""
    a = _nan_case(dtype, n, frac, n)
    d = dc.asarray(a)
    with _thread_mode(mode):
        _same_scalar(np.nansum(a), dc.nansum(d))
        _same_scalar(np.nansum(a), np.nansum(d))          # through the protocol
        expected, w_np = _recording(lambda: np.nanmean(a))
        got, w_dc = _recording(lambda: dc.nanmean(d))
        _same_scalar(expected, got)
        assert [str(w.message) for w in w_dc] == [str(w.message) for w in w_np]


def _recording(f):
    """f() and the warnings it gave."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = f()
    return r, list(w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("values", [
    [-0.0], [-0.0, np.nan], [np.nan, -0.0, -0.0], [np.inf, -np.inf, 1.0], [np.inf, np.nan],
    [1e38, 1e38, 1e38, np.nan], [3.0e38] * 20 + [np.nan], [-np.inf, np.nan, 2.0],
])
def test_nansum_special_values_and_reports_as_numpy(dtype, values):
    """Signed zeros, infinities, overflow: NumPy's values and its RuntimeWarnings."""
    a = np.array(values, dtype=dtype)
    for f in ("nansum", "nanmean"):
        with warnings.catch_warnings(record=True) as w_np:
            warnings.simplefilter("always")
            expected = getattr(np, f)(a)
        with warnings.catch_warnings(record=True) as w_dc:
            warnings.simplefilter("always")
            got = getattr(dc, f)(dc.asarray(a))
        _same_scalar(expected, got)
        assert sorted(str(w.message) for w in w_dc) == sorted(str(w.message) for w in w_np)


@pytest.mark.parametrize("call", [
    lambda m, a: m.nansum(a),
    lambda m, a: m.nanmean(a),
    lambda m, a: m.nansum(a, axis=0),
    lambda m, a: m.nanmean(a, axis=1),
    lambda m, a: m.nansum(a, keepdims=True),
    lambda m, a: m.nanmean(a, axis=(0, 1), keepdims=True),
    lambda m, a: m.nansum(a, dtype=np.float32),
    lambda m, a: m.nanmean(a, dtype=np.float64),
    lambda m, a: m.nansum(a, initial=5.0),
    lambda m, a: m.nansum(a, where=a > 0.5),
    lambda m, a: m.nanmean(a, where=a > 0.5),
    lambda m, a: m.nansum(a.T),
    lambda m, a: m.nanmean(a[::2, 1:]),
    lambda m, a: m.nansum(a[0]),
    lambda m, a: m.nanmean(a[1], 0),
    lambda m, a: m.nansum(a[1], -1),
    lambda m, a: m.nansum(a.astype(np.int32) if m is np else a.astype(np.int32)),
    lambda m, a: m.nanmean(a.astype(np.complex128)),
    lambda m, a: m.nansum(a[:0]),
    lambda m, a: m.nanmean(a[2, 3]),
])
def test_nansum_nanmean_calls_as_numpy(call):
    """Every form of the call: ours for a whole float array, NumPy's code for the rest
    (axes, keepdims, dtype, initial, where, views, other dtypes, empty); NumPy's values,
    dtypes and shapes."""
    rng = np.random.default_rng(3)
    a = rng.random((6, 9))
    a[rng.random((6, 9)) < 0.2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = call(np, a)
        got = call(dc, dc.asarray(a))
    g = np.asarray(got)
    e = np.asarray(expected)
    assert g.dtype == e.dtype and g.shape == e.shape
    np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("call", [
    lambda m, a: m.nansum(a, axis=2),
    lambda m, a: m.nanmean(a, axis=5),
    lambda m, a: m.nanmean(a, dtype=np.int64),
    lambda m, a: m.nansum(a, out=np.zeros(3)),
])
def test_nansum_nanmean_errors_as_numpy(call):
    a = np.random.default_rng(4).random((3, 4))
    with pytest.raises(Exception) as e_np:
        call(np, a)
    with pytest.raises(type(e_np.value)):
        call(dc, dc.asarray(a))


@pytest.mark.parametrize("mode", ["auto", "always", "never"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5, 7), (1000, 300), (300, 1000), (7, 1), (4, 5, 6),
                                   (2000, 3), (3, 2000)])
def test_nansum_nanmean_axes_as_numpy(mode, dtype, shape):
    """Over axes and with keepdims: NumPy's steps on our kernels (its copy with NaN as 0
    in one pass, our sums, its division and its warning for an all-NaN slice): its bits,
    dtypes, shapes and warnings."""
    rng = np.random.default_rng(len(shape) * 1000 + shape[0])
    a = (rng.standard_normal(shape) * 100).astype(dtype)
    a[rng.random(shape) < 0.2] = np.nan
    a[0] = np.nan                                  # an all-NaN slice along the other axes
    d = dc.asarray(a)
    axes = [0, 1, -1, (0, 1), None] + ([2, (0, 2)] if len(shape) == 3 else [])
    with _thread_mode(mode):
        for axis in axes:
            for kw in ({}, {"keepdims": True}, {"keepdims": False}):
                for f in ("nansum", "nanmean"):
                    expected, got, w_np, w_dc = _both_with_warnings(f, a, d, axis, kw)
                    if isinstance(expected, np.ndarray):
                        assert isinstance(got, dc.ndarray)
                        g = np.asarray(got)
                        assert g.dtype == expected.dtype and g.shape == expected.shape
                        np.testing.assert_array_equal(g, expected)
                    else:
                        _same_scalar(expected, got)
                    assert w_dc == w_np, (f, axis, kw)


def _both_with_warnings(f, a, d, axis, kw):
    """NumPy's f(a, axis, **kw) and ours on d, each with the messages of its warnings."""
    out = []
    for m, x in ((np, a), (dc, d)):
        r, w = _recording(lambda: getattr(m, f)(x, axis=axis, **kw))
        out += [r, [str(v.message) for v in w]]
    return out[0], out[2], out[1], out[3]


@pytest.mark.parametrize("mode", ["auto", "always", "never"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                                   np.uint32, np.int64, np.uint64, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1000, 1000), (10, 100000), (300, 3000), (5, 9),
                                   (3, 4, 2050), (7, 8, 9)])
def test_integer_sums_along_outer_axes_as_numpy(mode, dtype, shape):
    """Integer and bool sums and products along an axis less contiguous than a kept one
    accumulate rows into 64-bit column results (NumPy's int64 / uint64, wrapping), any /
    all of other types test each row != 0 into bools: NumPy's values and dtypes over C,
    sliced, reversed and transposed layouts (floats with NaN, -0.0 and 0)."""
    rng = np.random.default_rng(shape[0] * 7 + shape[-1])
    if dtype is np.bool_:
        x = rng.random(shape) > 0.5
    elif np.dtype(dtype).kind == "f":
        x = rng.random(shape).astype(dtype)
        x[rng.random(shape) < 0.3] = 0
        x[rng.random(shape) < 0.05] = np.nan
        x[rng.random(shape) < 0.05] = -0.0
    else:
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        x[rng.random(shape) < 0.2] = 0
    ops = ("any", "all") if np.dtype(dtype).kind == "f" else ("sum", "prod", "any", "all")
    _reductions_over_views(x, mode, ops, list(range(x.ndim)))
    for xn, xd in _layout_views(x):
        expected = np.sum(xn, axis=0, keepdims=True)
        got = np.asarray(dc.sum(xd, axis=0, keepdims=True))
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


def _layout_views(x):
    """(numpy, dotcompute) views of x: as it is, every other row, reversed last axis, the
    first and last axes swapped."""
    d = dc.asarray(x)
    for view in (lambda v: v, lambda v: v[::2], lambda v: v[..., ::-1],
                 lambda v: v.swapaxes(0, -1)):
        yield view(x), view(d)


def _reductions_over_views(x, mode, ops, axes):
    """Each reduction method in ops along each of axes of each layout view of x, ours
    against NumPy's: values, dtypes, shapes."""
    with _thread_mode(mode):
        for xn, xd in _layout_views(x):
            for axis in axes:
                for op in ops:
                    with np.errstate(over="ignore"):
                        expected = np.asarray(getattr(xn, op)(axis=axis))
                        got = np.asarray(getattr(xd, op)(axis=axis))
                    assert got.dtype == expected.dtype and got.shape == expected.shape
                    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("mode", ["auto", "always", "never"])
@pytest.mark.parametrize("shape", [(10, 100000), (300, 3000), (5, 9), (3, 4, 2050), (7, 8, 100),
                                   (100000,), (64,), (1, 70), (40000, 3)])
@pytest.mark.parametrize("p", [0.0, 1e-5, 0.01, 0.5, 0.99, 1.0])
def test_bool_scans_as_numpy(mode, shape, p):
    """any / all / max / min / argmax / argmin of bool arrays stop at the deciding element
    of a contiguous run, and arg-reductions along a long outer axis run on a copy with the
    axis last: NumPy's values, dtypes and shapes over layouts, axes and densities."""
    rng = np.random.default_rng(int(p * 1e6) + shape[0])
    x = rng.random(shape) < p
    _reductions_over_views(x, mode, ("any", "all", "max", "min", "argmax", "argmin"),
                           list(range(x.ndim)) + [None])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("shape", [(100000, 10), (300, 3000), (20000, 40), (40, 20000)])
def test_arg_reductions_along_outer_axes_as_numpy(dtype, shape):
    """argmax / argmin along an outer axis (a copy with the axis last when it is long):
    NumPy's first occurrences, NaN first, over layouts."""
    rng = np.random.default_rng(shape[0])
    x = (rng.random(shape) * 50).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[rng.random(shape) < 0.001] = np.nan
    d = dc.asarray(x)
    for view in (lambda v: v, lambda v: v[::3], lambda v: v.T, lambda v: v[:, ::-1]):
        xn, xd = view(x), view(d)
        for axis in (0, 1, -1):
            for op in ("argmax", "argmin", "max", "min"):
                expected = getattr(xn, op)(axis=axis)
                got = np.asarray(getattr(xd, op)(axis=axis))
                assert got.dtype == expected.dtype and got.shape == expected.shape
                np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
@pytest.mark.parametrize("layout", ["C", "T", "F-C", "slice", "scalar"])
def test_extremes_branch_free_select_as_numpy(dtype, name, layout):
    """maximum / minimum / fmax / fmin select through the bits (branch-free in the strided
    loop of a transposed operand): NumPy's values, NaN propagation and signed zeros (ties
    of 0.0 and -0.0 give NumPy's operand) over layouts."""
    rng = np.random.default_rng(11)
    vals = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -1.0, 2.5], dtype=dtype)
    a = rng.choice(vals, (64, 48)).astype(dtype)
    b = rng.choice(vals, (64, 48)).astype(dtype)
    ad, bd = dc.asarray(a), dc.asarray(b)
    if layout == "T":
        a, b, ad, bd = a[:48, :48].T, b[:48, :48], ad[:48, :48].T, bd[:48, :48]
    elif layout == "F-C":
        a, ad = np.asfortranarray(a), dc.asarray(np.asfortranarray(a))
    elif layout == "slice":
        a, b, ad, bd = a[::2, ::-3], b[::2, 1::3], ad[::2, ::-3], bd[::2, 1::3]
    elif layout == "scalar":
        b, bd = dtype(-0.0), dtype(-0.0)
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(a, b)
    got = np.asarray(getattr(dc, name)(ad, bd))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("layout", ["C", "T", "slice", "reversed"])
def test_clip_layouts_as_numpy(dtype, layout):
    """clip's kernel (branch-free for floats) over layouts: NumPy's values, NaN and signed
    zeros, strides."""
    rng = np.random.default_rng(12)
    if np.dtype(dtype).kind == "f":
        vals = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -1.0, 2.5, -0.5, 0.25])
        a = rng.choice(vals, (60, 60)).astype(dtype)
        lo, hi = dtype(-0.5), dtype(1.0)
    else:
        a = rng.integers(0, 100, (60, 60)).astype(dtype)
        lo, hi = 20, 80
    ad = dc.asarray(a)
    view = {"C": lambda v: v, "T": lambda v: v.T, "slice": lambda v: v[::2, 1::3],
            "reversed": lambda v: v[::-1, ::-2]}[layout]
    expected = np.clip(view(a), lo, hi)
    got = dc.clip(view(ad), lo, hi)
    assert got.strides == expected.strides
    g = np.asarray(got)
    assert g.dtype == expected.dtype and g.shape == expected.shape
    np.testing.assert_array_equal(g, expected)
    if np.dtype(dtype).kind == "f":
        np.testing.assert_array_equal(np.signbit(g), np.signbit(expected))


@pytest.mark.parametrize("mode", ["auto", "never"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5, 7), (1000, 300), (7, 1), (4, 5, 6), (3, 2000), (100,)])
def test_nanvar_nanstd_as_numpy(mode, dtype, shape):
    """nanvar / nanstd by NumPy's steps on our kernels: its bits, dtypes, shapes and
    warnings (an all-NaN slice's degrees of freedom, inf - inf in the deviations), over
    axes, ddof and keepdims."""
    rng = np.random.default_rng(shape[0] * 31 + len(shape))
    a = (rng.standard_normal(shape) * 100 + 50).astype(dtype)
    a[rng.random(shape) < 0.2] = np.nan
    a[0] = np.nan
    if len(shape) >= 2 and shape[1] >= 3:
        a[1, 0], a[2, 1], a[2, 2] = np.inf, -np.inf, np.inf
    d = dc.asarray(a)
    axes = [None, 0, -1] + ([1, (0, 1)] if len(shape) >= 2 else [])
    with _thread_mode(mode):
        for axis in axes:
            for kw in ({}, {"keepdims": True}, {"ddof": 1}, {"ddof": 3, "keepdims": False}):
                for f in ("nanvar", "nanstd"):
                    expected, got, w_np, w_dc = _both_with_warnings(f, a, d, axis, kw)
                    g, e = np.asarray(got), np.asarray(expected)
                    assert g.dtype == e.dtype and g.shape == e.shape
                    np.testing.assert_array_equal(g, e)
                    assert sorted(w_dc) == sorted(w_np), (f, axis, kw)


@pytest.mark.parametrize("src", [np.float32, np.float64, np.int32, np.uint8, np.bool_,
                                 np.complex128])
@pytest.mark.parametrize("to", [np.float64, "f4", "int16", np.dtype(np.uint8), float, bool,
                                np.complex64])
@pytest.mark.parametrize("n", [10, 1000, 100000])
@pytest.mark.parametrize("layout", ["C", "F", "slice"])
def test_astype_as_numpy(src, to, n, layout):
    """astype by type objects and strings (their dtypes remembered), small results by
    NumPy's own astype: NumPy's values, dtypes, layouts and ComplexWarning."""
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((n // 10 or 1, 10)) * 50).astype(src)
    if layout == "F":
        x = np.asfortranarray(x)
    d = dc.asarray(x)
    if layout == "slice":
        x, d = x[::2, 1:], d[::2, 1:]
    expected, w_np = _recording(lambda: x.astype(to))
    got, w_dc = _recording(lambda: d.astype(to))
    g = np.asarray(got)
    assert g.dtype == expected.dtype and g.shape == expected.shape
    assert g.flags.c_contiguous == expected.flags.c_contiguous
    assert g.flags.f_contiguous == expected.flags.f_contiguous
    np.testing.assert_array_equal(g, expected)
    assert ([type(w.message) for w in w_dc] == [type(w.message) for w in w_np])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.int32, np.uint16])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_extreme_accumulate_of_misaligned_data_as_numpy(dtype, name):
    """A view at an odd byte offset (found by test_namespace_functions: int16 at an odd
    address gave values read from the address rounded down): NumPy's values."""
    n = 20000
    buf = np.zeros(n * np.dtype(dtype).itemsize + 1, np.uint8)
    x = buf[1:].view(dtype)
    x[:] = (np.random.default_rng(5).random(n) * 100 - 50).astype(dtype)
    assert not x.flags.aligned
    expected = getattr(np, name).accumulate(x)
    got = np.asarray(getattr(dc, name).accumulate(dc.asarray(x)))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.int8, np.complex128])
@pytest.mark.parametrize("n", [100, 300, 2047, 5000])
def test_copies_at_every_page_offset_as_numpy(dtype, n):
    """Same-type copies (slice assignment, copy(), concatenate) where the destination lies
    a few bytes above the source modulo 4096 (a stencil's `u[1:-1] = t`) run our own copy
    loop instead of memmove (dc_copy.h): NumPy's values at every offset, overlapping
    assignments included (those stay NumPy's)."""
    rng = np.random.default_rng(n)
    base = (rng.random(n + 80) * 100).astype(dtype)
    for k in range(0, 70, 3):
        x, d = base.copy(), dc.asarray(base).copy()
        t = (rng.random(n) * 10).astype(dtype)
        x[k:k + n] = t
        d[k:k + n] = dc.asarray(t).copy()            # pool memory: page offsets that match
        np.testing.assert_array_equal(np.asarray(d), x)
        x[k + 1:k + n] = x[k:k + n - 1]                  # overlapping: memmove semantics
        d[k + 1:k + n] = d[k:k + n - 1]
        np.testing.assert_array_equal(np.asarray(d), x)
        c = d[k:k + n].copy()
        assert c.dtype == x.dtype
        np.testing.assert_array_equal(np.asarray(c), x[k:k + n])
        got = dc.concatenate([d[k:], d[:k]])
        np.testing.assert_array_equal(np.asarray(got), np.concatenate([x[k:], x[:k]]))


@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.complex64, np.uint16, np.bool_])
@pytest.mark.parametrize("shape", [(7,), (5, 6), (3, 4, 5), (1, 9), (4, 1), (0, 3), ()])
def test_roll_as_numpy(dtype, shape):
    """np.roll / dc.roll: our block copies for C-contiguous arrays (one integer shift, one
    axis or none), NumPy's code for the rest (sequences, other layouts, 0-d, empty):
    values, dtype, shape, a new array, NumPy's errors."""
    rng = np.random.default_rng(len(shape))
    a = (rng.random(shape) * 100).astype(dtype)
    layouts = [(a, dc.asarray(a))]
    if a.ndim >= 2:
        layouts.append((a.T, dc.asarray(a).T))              # F order: NumPy's code
        layouts.append((a[::2], dc.asarray(a)[::2]))        # strided
    for x, d in layouts:
        for ax in [None] + list(range(-x.ndim, x.ndim)):
            for s in [-13, -1, 0, 1, 2, 5, np.int64(3), np.int32(-2)]:
                for r in (dc.roll(d, s, ax), np.roll(d, s, axis=ax)):
                    e = np.roll(x, s, ax)
                    assert type(r) is dc.ndarray
                    assert r.shape == e.shape and r.dtype == e.dtype
                    np.testing.assert_array_equal(np.asarray(r), e)
                    assert not np.shares_memory(np.asarray(r), np.asarray(d))
        if x.ndim >= 2:
            np.testing.assert_array_equal(np.asarray(np.roll(d, (1, -2), axis=(0, 1))),
                                          np.roll(x, (1, -2), axis=(0, 1)))
    with pytest.raises(np.exceptions.AxisError):
        dc.roll(dc.asarray(a), 1, a.ndim)
    for s in (1.5, [1, 2], "x"):                  # NumPy's code: its value or its error
        try:
            e = np.roll(a, s)
        except Exception as exc:
            with pytest.raises(type(exc)):
                np.roll(dc.asarray(a), s)
        else:
            np.testing.assert_array_equal(np.asarray(np.roll(dc.asarray(a), s)), e)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("pattern", ["walk", "sorted", "reversed", "organ", "saw", "equal",
                                     "runs"])
def test_quantiles_of_structured_series_as_numpy(dtype, pattern):
    """Selection (dc_select.h) on series with structure: a random walk (its ends extreme:
    the pivot comes from interior samples), trends, organ pipes, sawtooth, constant runs
    (the branchy partition for long runs): NumPy's medians and quantiles."""
    n = 30011
    rng = np.random.default_rng(7)
    i = np.arange(n)
    x = {"walk": np.cumsum(rng.normal(size=n)), "sorted": i * 1.0, "reversed": -i * 1.0,
         "organ": np.minimum(i, n - i) * 1.0, "saw": (i % 997) * 1.0,
         "equal": np.full(n, 3.0), "runs": np.repeat(rng.normal(size=n // 500 + 1), 500)[:n]
         }[pattern].astype(dtype)
    d = dc.asarray(x)
    for q in (0.0, 0.05, 0.5, 0.95, 1.0, [0.05, 0.5, 0.95], [0.3, 0.31, 0.99]):
        e = np.quantile(x, q)
        g = np.asarray(np.quantile(d, q))
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)
    np.testing.assert_array_equal(np.asarray(np.median(d)), np.median(x))
    np.testing.assert_array_equal(np.asarray(np.percentile(d, [5, 50, 95])),
                                  np.percentile(x, [5, 50, 95]))
    x2 = np.stack([x, x[::-1]])
    np.testing.assert_array_equal(np.asarray(np.median(dc.asarray(x2), axis=1)),
                                  np.median(x2, axis=1))


def _value_and_warnings(f):
    """f()'s value, or its exception's type; with the warnings' messages."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = f()
        except Exception as exc:             # the type is what is compared
            r = type(exc)
    return r, sorted(str(x.message) for x in w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.complex128])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((5, 3), (5, 3)), ((3,), (4, 3)),
                                    ((2, 1, 3), (4, 3)), ((0, 3), (3,)), ((2,), (3,)),
                                    ((4,), (3,)), ((5, 3), (4, 3))])
def test_cross_as_numpy(dtype, shapes):
    """np.cross / dc.cross: one pair of float 3-vectors computed directly, arrays of them
    by NumPy's steps on our ufuncs, the rest NumPy's code: values, dtype, shape, errors
    and warnings (2-vectors' deprecation, overflow) as NumPy's, on strided views too."""
    rng = np.random.default_rng(len(shapes[0]) + 7 * len(shapes[1]))
    a = (rng.normal(size=shapes[0]) * 10).astype(dtype)
    b = (rng.normal(size=shapes[1]) * 10).astype(dtype)
    pairs = [(a, b, dc.asarray(a), dc.asarray(b))]
    if a.ndim == 1 and a.shape[0] == 3:
        big = (rng.normal(size=9) * 10).astype(dtype)
        pairs.append((big[::3], b, dc.asarray(big)[::3], dc.asarray(b)))   # strided
    for x, y, dx, dy in pairs:
        e, we = _value_and_warnings(lambda: np.cross(x, y))
        for f in (lambda: np.cross(dx, dy), lambda: dc.cross(dx, dy)):
            g, wg = _value_and_warnings(f)
            assert wg == we
            if isinstance(e, type):
                assert g is e
                continue
            assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_array_equal(np.asarray(g), e)
    if a.shape[-1] == 3 and b.shape[-1] == 3 and a.ndim == b.ndim == 2:
        for kw in ({"axisa": 0}, {"axis": -1}, {"axisc": 0}):
            e, we = _value_and_warnings(lambda: np.cross(a, b, **kw))
            g, wg = _value_and_warnings(lambda: np.cross(dc.asarray(a), dc.asarray(b), **kw))
            assert wg == we
            if isinstance(e, type):
                assert g is e
            else:
                np.testing.assert_array_equal(np.asarray(g), e)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_of_non_finite_products_as_numpy(dtype):
    big = np.finfo(dtype).max
    for a, b in (([big, big, 1], [big, -big, 2]), ([np.nan, 1, 2], [1, 2, 3]),
                 ([np.inf, 0, 1], [0, 1, 0])):
        x, y = np.array(a, dtype), np.array(b, dtype)
        e, we = _value_and_warnings(lambda: np.cross(x, y))
        g, wg = _value_and_warnings(lambda: np.cross(dc.asarray(x), dc.asarray(y)))
        assert wg == we
        np.testing.assert_array_equal(np.asarray(g), e)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint32, np.complex64,
                                   np.int16, np.bool_])
def test_repeat_by_counts_as_numpy(dtype):
    """np.repeat / dc.repeat with an array of counts (run-length decoding): block writes
    for 4- and 8-byte elements, NumPy's method for the rest: values, dtype and shape,
    counts of zero and long runs, and NumPy's errors for bad counts."""
    rng = np.random.default_rng(3)
    for n in (1, 63, 64, 1000, 5000):
        x = (rng.random(n) * 100).astype(dtype)
        d = dc.asarray(x)
        for counts in (rng.integers(0, 20, n), rng.integers(0, 3, n).astype(np.uint8),
                       np.zeros(n, np.int64), rng.integers(15, 40, n).astype(np.int32)):
            for c in (counts, dc.asarray(counts)):
                for f in (np.repeat, dc.repeat):
                    g = f(d, c)
                    e = np.repeat(x, counts)
                    assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
                    np.testing.assert_array_equal(np.asarray(g), e)
        x2 = x[: n // 2 * 2].reshape(-1, 2) if n >= 2 else x.reshape(1, 1)
        d2 = dc.asarray(x2)
        for axis in (None, 0, 1, -1):
            if axis is not None and axis >= x2.ndim:
                continue
            k = x2.size if axis is None else x2.shape[axis]
            counts = rng.integers(0, 5, k)
            np.testing.assert_array_equal(np.asarray(np.repeat(d2, counts, axis=axis)),
                                          np.repeat(x2, counts, axis=axis))
    x = np.arange(100.0).astype(dtype)
    for bad in (np.full(100, -1), np.ones(99, np.int64), np.ones(100) * 1.5, [1, 2]):
        try:
            np.repeat(x, bad)
        except Exception as exc:
            with pytest.raises(type(exc)):
                np.repeat(dc.asarray(x), bad)
        else:
            raise AssertionError("NumPy accepted a bad count")


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.complex128])
def test_linalg_norm_as_numpy(dtype):
    """np.linalg.norm / dc.linalg.norm: the default ord and axis of float arrays by NumPy's
    own steps on the view (its BLAS bits, its scalar type), every other call NumPy's
    code: the same values (bit for bit), types and errors, on any layout."""
    rng = np.random.default_rng(11)
    arrays = [rng.normal(size=3), rng.normal(size=(40, 7)), rng.normal(size=(40, 7)).T,
              rng.normal(size=1000), rng.normal(size=(5, 5))[::2, 1:], np.array([]),
              np.array(3.0), np.array([np.inf, 1.0]), np.array([np.nan, 1.0])]
    for a in arrays:
        a = (a * 10).astype(dtype) if dtype is not np.complex128 else a * (1 + 2j)
        d = dc.asarray(a)
        for kw in ({}, {"ord": 2} if a.ndim == 1 else {"ord": "fro"}, {"axis": 0},
                   {"keepdims": True}, {"ord": 1, "axis": -1}, {"axis": -1, "keepdims": True},
                   {"axis": 5}, {"axis": (0,)}, {"axis": 0, "keepdims": 1}):
            try:
                e = np.linalg.norm(a, **kw)
            except Exception as exc:
                for f in (np.linalg.norm, dc.linalg.norm):
                    with pytest.raises(type(exc)):
                        f(d, **kw)
                continue
            for f in (np.linalg.norm, dc.linalg.norm):
                g = f(d, **kw)
                if isinstance(e, np.ndarray):
                    assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
                    np.testing.assert_array_equal(np.asarray(g), e)
                else:
                    assert type(g) is type(e)
                    np.testing.assert_array_equal(g, e)


@given(dtype=st.sampled_from([np.float64, np.float32, np.int8, np.int64, np.complex128,
                              np.uint16, np.bool_]),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=9),
       data=st.data())
@settings(max_examples=300, deadline=None)
def test_roll_repeat_cross_fuzz_as_numpy(dtype, shape, data):
    """Random shapes, shifts, axes, counts and views (reversed, strided) for roll, repeat
    by counts and cross: NumPy's values, dtypes, shapes and exception types."""
    a = data.draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(
        np.dtype(dtype), allow_nan=False, allow_infinity=False, min_value=-100,
        max_value=100) if np.dtype(dtype).kind in "fc" else None))
    d = dc.asarray(a)
    view = data.draw(st.sampled_from(["base", "reversed", "strided"]))
    if view == "reversed":
        a, d = a[::-1], d[::-1]
    elif view == "strided":
        a, d = a[::2], d[::2]

    def check(f):
        try:
            e = f(np, a)
        except Exception as exc:
            with pytest.raises(type(exc)):
                f(dc, d)
            return
        g = f(dc, d)
        assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(np.asarray(g), e)

    shift = data.draw(st.integers(-20, 20))
    axis = data.draw(st.sampled_from([None] + list(range(-a.ndim, a.ndim))))
    check(lambda xp, x: xp.roll(x, shift, axis))
    counts = np.asarray(data.draw(st.lists(st.integers(0, 20), min_size=a.size,
                                           max_size=a.size)), dtype=np.int64)
    check(lambda xp, x: xp.repeat(x, counts))
    if a.ndim >= 1 and a.shape[-1] == 3:
        b = np.array([2, 1, 0]).astype(a.dtype)
        check(lambda xp, x: xp.cross(x, xp.asarray(b)))


# ------------------------------------------------------------------ small matrix products

def _product_operands(shapes, dtype, seed, *calls):
    """Random x, y of the shapes; None when x @ y raises NumPy's ValueError (each call on
    our arrays then raises it too)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shapes[0]).astype(dtype)
    y = rng.standard_normal(shapes[1]).astype(dtype)
    try:
        x @ y
    except ValueError:
        for call in calls:
            with pytest.raises(ValueError):
                call(dc.asarray(x), dc.asarray(y))
        return None
    return x, y


def _product_tol(dtype):
    return dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)


def _views(x):
    """x and strided / transposed / reversed views holding the same values."""
    yield x
    yield np.asfortranarray(x)
    big = np.zeros(tuple(2 * s + 1 for s in x.shape), x.dtype)
    sl = tuple(slice(1, None, 2) for _ in x.shape)
    big[sl] = x
    yield big[sl]
    if x.ndim:
        r = np.ascontiguousarray(x[::-1])
        yield r[::-1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", [((4, 4), (4, 4)), ((4, 4), (4,)), ((4,), (4, 4)),
                                    ((2, 4), (4, 3)), ((1, 1), (1, 1)), ((3, 0), (0, 2)),
                                    ((0, 3), (3, 2)), ((3, 2), (2, 0)), ((45, 45), (45,)),
                                    ((7,), (7, 1)), ((12, 12), (12, 12)), ((8, 16), (16, 16)),
                                    ((33, 33), (33, 33)), ((6,), (6,)), ((5, 3), (4, 2)),
                                    ((3,), (4,)), ((2048, 1), (1, 1)), ((1, 9), (9,)), ((0,), (0,)),
                                    ((0,), (0, 3)), ((3, 0), (0,))])
def test_small_matmul_as_numpy(dtype, shapes):
    """x @ y, matmul and dot of small float matrices and vectors (our loop up to 2048
    multiply-adds, in order from +0.0): NumPy's dtype, shape and values (up to rounding:
    BLAS may group the sums otherwise), on contiguous, Fortran, strided and reversed
    views; shape errors as NumPy's."""
    ops = _product_operands(shapes, dtype, 11, lambda a, b: a @ b, dc.matmul, dc.dot)
    if ops is None:
        return
    x, y = ops
    e = x @ y
    tol = _product_tol(dtype)
    for xv in _views(x):
        for yv in _views(y):
            dx, dy = dc.asarray(xv), dc.asarray(yv)
            for g in (dx @ dy, dc.matmul(dx, dy), np.matmul(dx, dy), dc.dot(dx, dy),
                      dx.dot(dy), np.dot(dx, dy)):
                g = np.asarray(g) if isinstance(g, dc.ndarray) else g
                assert np.asarray(g).dtype == e.dtype and np.shape(g) == e.shape
                np.testing.assert_allclose(g, e, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_matmul_special_values_as_numpy(dtype):
    """NaN, inf and signed zeros through small products: NumPy's values (0 * inf is NaN,
    a sum of -0.0 products from +0.0 is +0.0), exact integer-valued products, and NumPy's
    warnings ("overflow encountered in matmul", "invalid value ...")."""
    inf, nan = np.inf, np.nan
    cases = [([[1.0, inf], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]),
             ([[nan, 1.0]], [[1.0], [2.0]]), ([[-1.0]], [[0.0]]), ([[-0.0, -0.0]], [[1.0], [1.0]]),
             ([[inf, -inf]], [[1.0], [1.0]]), ([[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0]),
             ([[1e300, 1e300]], [[1e300], [1.0]]), ([[np.inf, 1.0]], [[0.0], [1.0]]),
             ([[1e30, 1e30], [1.0, 2.0]], [[1e30, 1.0], [1.0, 1e10]])]
    for a, b in cases:
        with np.errstate(all="ignore"):
            x, y = np.array(a, dtype), np.array(b, dtype)
        with warnings.catch_warnings(record=True) as we:
            warnings.simplefilter("always")
            e = x @ y
        with warnings.catch_warnings(record=True) as wd:
            warnings.simplefilter("always")
            g = np.asarray(dc.asarray(x) @ dc.asarray(y))
        assert [str(w.message) for w in wd] == [str(w.message) for w in we]
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e))


def test_matmul_other_operands_as_numpy():
    """Products our small loop does not take (mixed dtypes, integers, complex, 0-d,
    stacks, NumPy operands) keep NumPy's results and errors."""
    rng = np.random.default_rng(12)
    f8 = rng.standard_normal((3, 3))
    cases = [(f8, f8.astype(np.float32)), (f8.astype(np.int64), f8.astype(np.int64)),
             (f8 + 1j, f8), (rng.standard_normal((2, 3, 3)), f8), (f8, np.float64(2.0)),
             (np.arange(3), f8), (f8.astype(np.float16), f8.astype(np.float16))]
    for x, y in cases:
        try:
            e = x @ y
        except Exception as exc:
            with pytest.raises(type(exc)):
                dc.asarray(x) @ dc.asarray(y)
            continue
        for g in (dc.asarray(x) @ dc.asarray(y), dc.matmul(dc.asarray(x), dc.asarray(y)),
                  dc.asarray(x) @ y, x @ dc.asarray(y)):
            g = np.asarray(g)
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=1e-3 if e.dtype == np.float16 else 1e-6)


# ------------------------------------------------------------------ ufunc.at (scatter)

def _at_cases():
    rng = np.random.default_rng(13)
    i = rng.integers(-12, 12, 500)
    j = rng.integers(0, 7, 500)
    k3 = rng.integers(0, 3, 500)
    for dt in (np.float64, np.float32, np.int64, np.int32):
        vals = (rng.standard_normal(500) * 10).astype(dt)
        rows = (rng.standard_normal((500, 7)) * 10).astype(dt)
        yield dt, (12, 7), (i, j), vals
        yield dt, (12, 7), (i, j), dt(3) if dt in (np.float64, np.float32) else 3
        yield dt, (12, 7), (i.astype(np.int32), j.astype(np.int32)), vals
        yield dt, (12, 7), i, rows
        yield dt, (12, 7), i, rows[0]
        yield dt, (12, 7), i, 2
        yield dt, (12, 7, 3), (i, j, k3), vals
        yield dt, (12, 7, 3), i, np.repeat(rows[:, :, None], 3, axis=2)
        yield dt, (12, 7), (i, j), vals[:-1]                        # wrong length
        yield dt, (12, 7), (i + 20, j), vals                        # out of bounds
        yield dt, (12, 7), (i, j), 2.5                              # a float into ints
        yield dt, (12, 7), (i, j), vals.astype(np.float64)          # another dtype
        yield dt, (12,), i, vals                                    # 1-d: NumPy's path
        yield dt, (12, 7), (i,), rows                               # a 1-tuple
        yield dt, (12, 7), (i, j), vals.reshape(20, 25)             # values of another shape
        yield dt, (12, 7), (i > 0, j), vals                         # a boolean index


@pytest.mark.parametrize("case", list(_at_cases()), ids=lambda c: f"{np.dtype(c[0])}-{c[1]}")
@pytest.mark.parametrize("name", ["add", "subtract"])
def test_ufunc_at_as_numpy(case, name):
    """np.add.at / np.subtract.at and dc's own (tuples of index arrays, rows by one index
    array, values per index, per row or one): NumPy's final array bit for bit (duplicates
    accumulate in order; integers wrap), its errors and its untouched array on an error."""
    dt, shape, idx, vals = case
    rng = np.random.default_rng(14)
    base = (rng.standard_normal(shape) * 100).astype(dt)
    e, g1, g2 = base.copy(), dc.asarray(base.copy()), dc.asarray(base.copy())
    uf = getattr(np, name)
    try:
        uf.at(e, idx, vals)
        err = None
    except Exception as exc:  # noqa: BLE001 - compared with NumPy's
        err = type(exc)
        e = base.copy()
        try:
            uf.at(e, idx, vals)                  # NumPy's partial state at its error
        except Exception:  # noqa: BLE001
            pass
    didx = tuple(dc.asarray(x) for x in idx) if type(idx) is tuple else dc.asarray(idx)
    dvals = dc.asarray(vals) if isinstance(vals, np.ndarray) else vals
    for g, call in ((g1, lambda: uf.at(g1, didx, dvals)),
                    (g2, lambda: getattr(dc, name).at(g2, didx, dvals))):
        if err is None:
            call()
        else:
            with pytest.raises(err):
                call()
        assert np.asarray(g).tobytes() == e.tobytes()


def test_ufunc_at_overflow_and_aliasing_as_numpy():
    """A float32 scatter that overflows reports as NumPy's; values that alias the target
    are read as NumPy's at reads them."""
    a = np.full((3, 3), 3e38, np.float32)
    idx = (np.array([0, 0, 1]), np.array([1, 1, 2]))
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        np.add.at(a, idx, np.float32(3e38))
    d = dc.asarray(np.full((3, 3), 3e38, np.float32))
    with warnings.catch_warnings(record=True) as wd:
        warnings.simplefilter("always")
        np.add.at(d, idx, np.float32(3e38))
    assert np.asarray(d).tobytes() == a.tobytes()
    assert [str(w.message) for w in wd] == [str(w.message) for w in we]
    b = np.arange(12.0).reshape(4, 3)
    db = dc.asarray(b.copy())
    rows = np.array([0, 1, 0, 3])
    np.add.at(b, rows, b[1])
    np.add.at(db, dc.asarray(rows), db[1])
    assert np.asarray(db).tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", [((50, 3, 3), (50, 3, 3)), ((50, 3, 3), (3, 3)),
                                    ((3, 3), (50, 3, 3)), ((50, 3, 3), (3,)),
                                    ((50, 3, 3), (50, 3, 1)), ((2, 5, 4, 4), (2, 5, 4, 4)),
                                    ((2, 5, 2, 4), (2, 5, 4, 3)), ((7, 2, 2), (7, 2, 2)),
                                    ((2, 1, 3, 3), (1, 4, 3, 3)), ((0, 3, 3), (0, 3, 3)),
                                    ((50, 3, 3), (40, 3, 3)), ((50, 3, 4), (50, 3, 4)),
                                    ((6, 9, 9), (6, 9, 9)), ((6, 5, 7), (7, 2)), ((3,), (6, 3, 3)),
                                    ((4, 3, 3), (2, 4, 3, 3))])
def test_stacked_small_matmul_as_numpy(dtype, shapes):
    """Stacks of small matrices (and a matrix or vector against a stack): NumPy's shape,
    dtype and values (up to rounding), on contiguous, transposed and strided views;
    broadcasting we leave to NumPy and its errors stay NumPy's."""
    ops = _product_operands(shapes, dtype, 15, lambda a, b: a @ b)
    if ops is None:
        return
    x, y = ops
    tol = _product_tol(dtype)
    views = [(x, y)]
    if x.ndim >= 2 and y.ndim >= 2 and x.shape[-1] == x.shape[-2] and y.shape[-1] == y.shape[-2]:
        views.append((np.swapaxes(x, -1, -2), np.swapaxes(y, -1, -2)))
    big_x = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), dtype)
    big_x[..., ::2] = x
    views.append((big_x[..., ::2], y))
    for xv, yv in views:
        want = xv @ yv
        for g in (dc.asarray(xv) @ dc.asarray(yv), dc.matmul(dc.asarray(xv), dc.asarray(yv)),
                  np.matmul(dc.asarray(xv), dc.asarray(yv))):
            g = np.asarray(g)
            assert g.dtype == want.dtype and g.shape == want.shape
            np.testing.assert_allclose(g, want, **tol)


def test_fixed_size_products_match_the_general_loop_bits():
    """2..4-sized products (unrolled) give the bits of the same product computed inside a
    larger call of the general loop (each element summed from +0.0 in k order)."""
    rng = np.random.default_rng(16)
    for m in (2, 3, 4):
        for k in (2, 3, 4):
            for n in (2, 3, 4):
                a = rng.standard_normal((m, k))
                b = rng.standard_normal((k, n))
                fixed = np.asarray(dc.asarray(a) @ dc.asarray(b))
                pad = np.zeros((m, k + 5))
                pad[:, :k] = a
                padb = np.zeros((k + 5, n + 5))
                padb[:k, :n] = b
                general = np.asarray(dc.asarray(pad) @ dc.asarray(padb))[:, :n]
                assert fixed.tobytes() == np.ascontiguousarray(general).tobytes(), (m, k, n)


# ------------------------------------------------------------ small linear algebra

def _linalg_outcome(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", f(*args)
        except Exception as exc:  # noqa: BLE001 - compared with NumPy's
            return "raise", type(exc)


def _close_to(g, e, a):
    """g is NumPy's result e up to LU rounding (bounded by the condition number of a)."""
    g, e = np.asarray(g), np.asarray(e)
    assert g.dtype == e.dtype and g.shape == e.shape
    eps = np.finfo(e.dtype).eps if e.dtype == np.float32 else np.finfo(np.float64).eps
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(np.asarray(a, np.float64)).max() if np.size(a) else 1.0
    if not cond * eps < 1e-3:
        np.testing.assert_array_equal(g, e)          # (NumPy's own code ran)
        return
    np.testing.assert_allclose(g, e, rtol=64 * a.shape[-1] * eps * max(cond, 1.0),
                               atol=1e-300)


def _same_linalg_outcome(g, e, a):
    """Our outcome g is NumPy's e: the same exception type, or its result (up to LU
    rounding where the inputs and result are finite, else exactly)."""
    assert g[0] == e[0], (g, e, a)
    if e[0] == "raise":
        assert g[1] is e[1]
    elif np.all(np.isfinite(e[1])) and np.all(np.isfinite(a)):
        _close_to(g[1], e[1], a)
    else:
        np.testing.assert_array_equal(np.asarray(g[1]), e[1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_det_inv_solve_as_numpy(dtype):
    """np.linalg.det / inv / solve (ours and through NumPy's functions) of small matrices
    and stacks: NumPy's dtype, shape and values up to LU rounding; singular, nearly
    singular and non-finite matrices, bad shapes and other dtypes exactly NumPy's
    results and exceptions (its own code runs for them)."""
    rng = np.random.default_rng(17)
    mats = [rng.standard_normal((n, n)) for n in range(1, 10)]
    mats += [rng.standard_normal((4, 3, 3)), rng.standard_normal((2, 3, 2, 2)),
             rng.standard_normal((3, 3)).T, rng.standard_normal((6, 6))[::2, ::2],
             np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]),
             np.zeros((3, 3)), np.array([[np.nan, 1.0], [1.0, 2.0]]),
             np.array([[np.inf, 1.0], [1.0, 2.0]]), np.ones((2, 3)), np.zeros((0, 0)),
             np.array([[1e-300, 0.0], [0.0, 1e-300]]), np.array([[1e200, 1.0], [1.0, 1e200]]),
             np.stack([np.eye(3), np.ones((3, 3))])]
    for a in mats:
        with np.errstate(all="ignore"):
            a = a.astype(dtype)
        da = dc.asarray(a)
        for name in ("det", "inv"):
            e = _linalg_outcome(getattr(np.linalg, name), a)
            for g in (_linalg_outcome(getattr(dc.linalg, name), da),
                      _linalg_outcome(getattr(np.linalg, name), da)):
                _same_linalg_outcome(g, e, a)
        if a.ndim == 2:
            for b in (rng.standard_normal(a.shape[0]), rng.standard_normal((a.shape[0], 2)),
                      rng.standard_normal(a.shape[0] + 1)):
                b = b.astype(dtype)
                e = _linalg_outcome(np.linalg.solve, a, b)
                for g in (_linalg_outcome(dc.linalg.solve, da, dc.asarray(b)),
                          _linalg_outcome(np.linalg.solve, da, dc.asarray(b))):
                    _same_linalg_outcome(g, e, a)


def test_small_det_of_exact_matrices_is_numpys_value():
    """Integer-valued, triangular and permutation matrices: NumPy's det (its
    sign * exp(sum log|u_ii|), not the product) to the last bits NumPy's steps give."""
    for a in (np.diag([2.0, 3.0, 4.0]), np.eye(4)[[1, 0, 3, 2]], np.triu(np.full((5, 5), 2.0)),
              np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[2.0, 1.0], [1.0, 3.0]])):
        e = np.linalg.det(a)
        g = dc.linalg.det(dc.asarray(a))
        assert type(g) is type(e)
        np.testing.assert_allclose(g, e, rtol=4e-16, atol=0)


# ------------------------------------------------------------------ convolve, correlate

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_convolve_correlate_as_numpy(dtype, name):
    """np.convolve / np.correlate of 1-d float arrays (our kernel, threaded): NumPy's
    dtype, shape and values (up to the rounding of its dot per output) in every mode, for
    kernels shorter and longer than the signal, strided views, NumPy kernels, NaN and
    inf; other dtypes, shapes and modes and their errors as NumPy's."""
    rng = np.random.default_rng(18)
    f, df = getattr(np, name), getattr(dc, name)
    for n1, n2 in ((1, 1), (5, 3), (3, 5), (10, 10), (1000, 1), (1000, 7), (7, 1000),
                   (5000, 64), (300001, 21), (2, 3)):
        a = rng.standard_normal(n1).astype(dtype)
        v = rng.standard_normal(n2).astype(dtype)
        for mode in ("full", "same", "valid"):
            e = f(a, v, mode)
            eps = np.finfo(dtype).eps
            bound = 4 * eps * np.convolve(np.abs(a).astype(np.float64),
                                          np.abs(v).astype(np.float64), "full").max() \
                * max(n2, 1) if name == "convolve" else None
            for g in (df(dc.asarray(a), dc.asarray(v), mode), f(dc.asarray(a), dc.asarray(v), mode),
                      df(dc.asarray(a), v, mode)):
                g = np.asarray(g)
                assert g.dtype == e.dtype and g.shape == e.shape, (n1, n2, mode)
                tol = bound if bound is not None else 4 * eps * (np.abs(a).sum() * np.abs(v).max() + 1)
                np.testing.assert_allclose(g, e, rtol=0, atol=tol)
    a = rng.standard_normal(50).astype(dtype)
    v = rng.standard_normal(7).astype(dtype)
    a_nan = a.copy()
    a_nan[[3, 30]] = [np.nan, np.inf]
    for x, y, mode in ((a[::3], v[::-1], "same"), (a_nan, v, "full"), (a, v, "bad"),
                       (a, np.array([], dtype), "full"), (a.reshape(5, 10), v, "full"),
                       (a, v.astype(np.float32 if dtype == np.float64 else np.float64), "same"),
                       (a.astype(np.int64), v.astype(np.int64), "full"),
                       (a + 1j * a, v, "valid"), (a, v, 1)):
        try:
            e = f(x, y, mode)
        except Exception as exc:  # noqa: BLE001 - compared with NumPy's
            with pytest.raises(type(exc)):
                df(dc.asarray(x), dc.asarray(y), mode)
            continue
        g = np.asarray(df(dc.asarray(x), dc.asarray(y), mode))
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5 if e.dtype in (np.float32, np.complex64)
                                   else 1e-12, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8, bool,
                                   np.int16])
def test_small_unique_as_numpy(dtype):
    """np.unique of small arrays (NumPy's sort of a flat copy, runs kept in C): NumPy's
    values bit for bit (signed zeros, one NaN for all), dtype and shape, for 1-d and 2-d
    inputs and views; the options still as NumPy's."""
    rng = np.random.default_rng(19)
    cases = [rng.integers(0, 5, 1), rng.integers(-3, 3, 40), rng.standard_normal(33) * 3,
             rng.integers(0, 4, (6, 7)), np.array([0.0, -0.0, 0.0, 1.0, -0.0]),
             np.array([np.nan, 1.0, np.nan, -np.inf, np.inf, 1.0]), np.array([np.nan] * 5),
             rng.integers(0, 100, 4095), np.arange(20)[::-3]]
    for x in cases:
        with np.errstate(all="ignore"):
            x = np.asarray(x).astype(dtype)
        for view in (x, x.T if x.ndim == 2 else x[::-1]):
            e = np.unique(view)
            for g in (dc.unique(dc.asarray(view)), np.unique(dc.asarray(view))):
                g = np.asarray(g)
                assert g.dtype == e.dtype and g.shape == e.shape
                assert g.tobytes() == e.tobytes()
            e2 = np.unique(view, return_counts=True)
            g2 = dc.unique(dc.asarray(view), return_counts=True)
            for u, v in zip(g2, e2):
                np.testing.assert_array_equal(np.asarray(u), v)


# ------------------------------------------------------------------------- einsum

EINSUM_CASES = [("ij,jk->ik", (20, 30), (30, 10)), ("ij,kj->ik", (5, 3), (4, 3)),
                ("ji,jk->ik", (3, 5), (3, 4)), ("ij,jk->ki", (5, 6), (6, 7)),
                ("ij,j->i", (40, 30), (30,)), ("j,jk->k", (30,), (30, 40)), ("i,i->", (30,), (30,)),
                ("nij,nj->ni", (200, 3, 3), (200, 3)), ("bij,bjk->bik", (50, 4, 5), (50, 5, 6)),
                ("bij,bkj->bki", (50, 4, 5), (50, 6, 5)), ("ij,ij->i", (10, 3), (10, 3)),
                ("ii,i->i", (3, 3), (3,)), ("ij,jk", (3, 4), (4, 5)), ("nj,nji->ni", (5, 3), (5, 3, 4)),
                ("ij,jk->ik", (3, 4), (5, 6)), ("ij,jk->ijk", (3, 4), (4, 5)),
                ("abij,abjk->abik", (2, 3, 4, 5), (2, 3, 5, 2)), ("bij,cjk->bik", (2, 3, 4), (2, 4, 5)),
                ("...ij,...jk->...ik", (2, 3, 4), (2, 4, 5)), ("i j , j k -> i k", (3, 4), (4, 5)),
                ("ij,jk->ik", (1, 1), (1, 1)), ("bij,bjk->bik", (1, 4, 5), (3, 5, 6))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", EINSUM_CASES, ids=lambda c: c[0])
def test_einsum_as_numpy(dtype, case):
    """np.einsum (ours and NumPy's function on our arrays): a matrix product's subscripts
    by matmul, everything else by NumPy's einsum: NumPy's result type, shape and values
    (up to rounding), on contiguous and transposed operands, and its errors; keywords,
    mixed dtypes and integers stay NumPy's."""
    spec, s1, s2 = case
    rng = np.random.default_rng(20)
    a = rng.standard_normal(s1).astype(dtype)
    b = rng.standard_normal(s2).astype(dtype)
    tol = _product_tol(dtype)
    for x, y in ((a, b), (np.ascontiguousarray(a.T).T, np.asfortranarray(b))):
        try:
            e = np.einsum(spec, x, y)
        except Exception as exc:  # noqa: BLE001 - compared with NumPy's
            with pytest.raises(type(exc)):
                dc.einsum(spec, dc.asarray(x), dc.asarray(y))
            continue
        for g in (dc.einsum(spec, dc.asarray(x), dc.asarray(y)),
                  np.einsum(spec, dc.asarray(x), dc.asarray(y))):
            assert type(g) is (dc.ndarray if isinstance(e, np.ndarray) else type(e))
            g = np.asarray(g)
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_allclose(g, e, **tol)
    da, db = dc.asarray(a), dc.asarray(b)
    for kw in ({"optimize": True}, {"dtype": np.float64}):
        try:
            e = np.einsum(spec, a, b, **kw)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)):
                dc.einsum(spec, da, db, **kw)
            continue
        np.testing.assert_allclose(np.asarray(dc.einsum(spec, da, db, **kw)), e, **tol)
    try:
        e = np.einsum(spec, a.astype(np.int64), b)
    except Exception:  # noqa: BLE001
        return
    np.testing.assert_allclose(np.asarray(dc.einsum(spec, dc.asarray(a.astype(np.int64)), db)),
                               e, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_einsum_of_three_operands_as_numpy(dtype):
    """Three or more operands: large ones by NumPy's contraction order (optimize=True),
    small ones and mixed dtypes by its plain loop -- NumPy's result type, shape and values
    (up to rounding) either way."""
    rng = np.random.default_rng(21)
    D = rng.standard_normal((8, 8)).astype(dtype)
    blocks = rng.standard_normal((32, 8, 40, 8)).astype(dtype).transpose(0, 2, 1, 3)
    v = rng.standard_normal((30000, 3)).astype(dtype)
    M = rng.standard_normal((30000, 3, 3)).astype(dtype)
    s = rng.standard_normal((4, 4)).astype(dtype)
    for spec, ops in (("ij,abjk,lk->abil", (D, blocks, D)), ("ni,nij,nj->n", (v, M, v)),
                      ("ij,jk,kl->il", (s, s, s)), ("ij,jk,kl", (s, s, s)),
                      ("ij,abjk,lk->abil", (D, blocks, D.astype(np.float64))),
                      ("ij,jk,kl,lm->im", (s, s, s, s))):
        e = np.einsum(spec, *ops)
        for g in (dc.einsum(spec, *[dc.asarray(x) for x in ops]),
                  np.einsum(spec, *[dc.asarray(x) for x in ops])):
            g = np.asarray(g)
            assert g.dtype == e.dtype and g.shape == e.shape
            scale = max(np.abs(e).max(), 1.0)
            np.testing.assert_allclose(g, e, rtol=0,
                                       atol=scale * (1e-4 if e.dtype == np.float32 else 1e-12))
