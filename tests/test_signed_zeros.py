"""maximum/minimum/fmax/fmin and max()/min() reductions on signed zeros and NaN give NumPy's
results bit for bit (the sign of a zero compared with np.signbit, NaN positions), for
arrays of several lengths (vector blocks and tails), scalar operands, full and axis
reductions. CI runs this file under every forced kernel build.
"""
import itertools

import numpy as np
import pytest

import dotcompute as dc

SPECIALS = [0.0, -0.0, np.nan, 1.0, -1.0, np.inf, -np.inf]


def assert_bits(got, expected):
    g, e = np.asarray(got), np.asarray(expected)
    assert g.dtype == e.dtype and g.shape == e.shape
    assert (np.isnan(g) == np.isnan(e)).all(), (g, e)
    ok = np.isnan(e) | ((g == e) & (np.signbit(g) == np.signbit(e)))
    assert ok.all(), (g[~ok][:4], e[~ok][:4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
@pytest.mark.parametrize("repeat", [1, 3, 40])
def test_elementwise_extremes_on_signed_zeros_and_nan(dtype, name, repeat):
    pairs = list(itertools.product(SPECIALS, SPECIALS))
    a = np.resize(np.array([p[0] for p in pairs], dtype), repeat * len(pairs))
    b = np.resize(np.array([p[1] for p in pairs], dtype), repeat * len(pairs))
    f, g = getattr(np, name), getattr(dc, name)
    assert_bits(g(dc.asarray(a), dc.asarray(b)), f(a, b))
    assert_bits(g(dc.asarray(a)[::-2], dc.asarray(b)[::-2]), f(a[::-2], b[::-2]))
    for s in (0.0, -0.0, np.nan):
        assert_bits(g(dc.asarray(a), dtype(s)), f(a, dtype(s)))
        assert_bits(g(dtype(s), dc.asarray(a)), f(dtype(s), a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 16, 17, 33, 100, 1000, 40000])
def test_max_min_reductions_on_signed_zeros_and_nan(dtype, n):
    rng = np.random.default_rng(n)
    cases = []
    for fill, special in itertools.product((0.0, -0.0), (None, 0.0, -0.0, np.nan, 1.0)):
        for pos in sorted({0, n // 2, n - 1}):
            x = np.full(n, fill, dtype)
            if special is not None:
                x[pos] = special
            cases.append(x)
    cases.append(rng.choice(np.array([0.0, -0.0], dtype), size=n))
    cases.append(rng.choice(np.array([0.0, -0.0, -1.0], dtype), size=n))
    for x in cases:
        d = dc.asarray(x)
        for name in ("max", "min"):
            e, g = getattr(x, name)(), getattr(d, name)()
            assert type(g) is type(e)
            assert_bits(g, e)
            assert_bits(getattr(np, name)(d), e)
            assert_bits(getattr(dc.maximum if name == "max" else dc.minimum, "reduce")(d), e)
            if n % 8 == 0:
                for axis in (0, 1):
                    x2 = x.reshape(8, -1)
                    assert_bits(getattr(dc.asarray(x2), name)(axis=axis),
                                getattr(x2, name)(axis=axis))
