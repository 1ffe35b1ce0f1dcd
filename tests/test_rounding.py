"""floor, ceil, trunc, rint and signbit on float32/float64: NumPy's bits (signed zeros,
infinities, NaN, values past 2**23 / 2**52, subnormals) and no floating-point report, on
contiguous, strided and in-place calls, under every build (their contiguous loops are
vectorized rounding instructions in the AVX2 and AVX-512 builds)."""
import numpy as np
import pytest

import dotcompute as dc

NAMES = ["floor", "ceil", "trunc", "rint", "signbit"]


def _values(dtype):
    rng = np.random.default_rng(11)
    x = rng.uniform(-4, 4, size=1000).astype(dtype)
    info = np.finfo(dtype)
    special = np.array([0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, np.inf, -np.inf, np.nan,
                        -np.nan, info.max, -info.max, info.tiny, -info.tiny,
                        info.smallest_subnormal, -info.smallest_subnormal,
                        2.0 ** (info.nmant - 1) + 0.5, -(2.0 ** (info.nmant - 1) + 0.5),
                        2.0 ** info.nmant + 1, -(2.0 ** info.nmant + 1), 0.49999997,
                        -0.49999997], dtype=dtype)
    x[: special.size] = special
    x[special.size::7] *= 1e6
    return x


def _same(got, want):
    got = np.asarray(got)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_values_and_no_reports(name, dtype):
    x = _values(dtype)
    with np.errstate(all="raise"):
        want = getattr(np, name)(x)
        for n in (1, 3, 17, 64, 999, 1000):       # the peeled head, the vector body, tails
            _same(getattr(dc, name)(dc.asarray(x[:n])), want[:n])
        _same(getattr(dc, name)(dc.asarray(x)[1:]), want[1:])        # unaligned start
        _same(getattr(dc, name)(dc.asarray(x)[::3]), getattr(np, name)(x[::3]))
        _same(getattr(dc, name)(dc.asarray(x)[::-1]), getattr(np, name)(x[::-1]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "rint"])
def test_in_place_and_threads(name, dtype):
    x = np.tile(_values(dtype), 300)               # 300,000 elements: threaded
    want = getattr(np, name)(x)
    d = dc.asarray(x.copy())
    r = getattr(dc, name)(d, out=d)
    assert r is d
    _same(d, want)
    _same(getattr(dc, name)(dc.asarray(x).reshape(600, 500).T),
          getattr(np, name)(x.reshape(600, 500).T))


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "uint64", "bool"])
@pytest.mark.parametrize("name", ["floor", "ceil", "trunc"])
def test_integer_arrays_keep_their_dtype(name, dtype):
    """NumPy's floor/ceil/trunc of an integer (or bool) array: a copy in its dtype."""
    rng = np.random.default_rng(12)
    x = rng.integers(0, 100, size=(40, 31)).astype(dtype)
    for a, da in ((x, dc.asarray(x)), (x.T, dc.asarray(x).T), (x[::2, 1:], dc.asarray(x)[::2, 1:])):
        want = getattr(np, name)(a)
        got = getattr(dc, name)(da)
        _same(got, want)
        assert np.asarray(got).strides == want.strides
        assert not np.shares_memory(np.asarray(got), np.asarray(da))
    out = dc.zeros((40, 31), dtype)
    assert getattr(dc, name)(dc.asarray(x), out=out) is out
    _same(out, getattr(np, name)(x))
