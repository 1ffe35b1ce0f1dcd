"""Kernels for what real programs do, against NumPy: integer division and remainder by one
divisor (magic-number multiplications), temporary elision in operator chains, cumulative
sums and products on any axis and layout, integer means, and N-d walks whose innermost
dimension is tiny.

Every result must equal NumPy's in dtype and shape and in value (exactly, except where a
test says why not), or both must raise the same exception type.
"""
import gc
import sys

import numpy as np
import pytest

import dotcompute as dc

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


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
        assert used == 1 if expr != "(x + y) / (x + 1)" else used == 2, (expr, used)
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
