"""Whole reductions of a reversed 1-d run (x[::-1]): integer and bool reductions and float
max/min run over memory order (the order cannot change them), float sums and products
keep NumPy's logical order. Values, dtypes and signs of zero are NumPy's."""
import numpy as np
import pytest

import dotcompute as dc


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "int16", "uint8",
                                   "uint64", "bool"])
@pytest.mark.parametrize("n", [2, 3, 17, 1000, 70001])
def test_reversed_whole_reductions(dtype, n):
    rng = np.random.default_rng(n)
    if dtype == "bool":
        x = rng.random(n) > 0.5
    else:
        x = rng.uniform(-50, 50, size=n).astype(dtype)
    if dtype.startswith("float") and n > 10:
        x[::7] = 0.0
        x[3::11] = -0.0
    d = dc.asarray(x)[::-1]
    for name in ("sum", "prod", "max", "min", "mean", "any", "all"):
        with np.errstate(all="ignore"):
            want = getattr(x[::-1], name)()
            got = getattr(d, name)()
        assert np.asarray(got).dtype == np.asarray(want).dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert np.signbit(np.real(got)) == np.signbit(np.real(want)), name


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reversed_float_extremes_with_nan_and_zero_ties(dtype):
    x = np.array([0.0, -0.0, 1.0, -3.0, 0.0], dtype)
    for y in (x, np.array([-0.0, 0.0, -0.0], dtype), np.array([1.0, np.nan, 2.0], dtype)):
        for name in ("max", "min"):
            want = getattr(y[::-1], name)()
            got = getattr(dc.asarray(y)[::-1], name)()
            np.testing.assert_array_equal(got, want)
            assert np.signbit(got) == np.signbit(want)
