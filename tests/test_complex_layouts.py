"""Complex arithmetic on F-contiguous operands (a transpose, the result of a call on one):
one run in memory order, as NumPy's iterator takes it. Values (to the bit), dtype, shape and
strides are NumPy's, under every build; mixed C/F layouts, broadcasts and reversed views
run NumPy's code and give its results too."""
import numpy as np
import pytest

import dotcompute as dc


def _pair(dtype, seed=0, shape=(30, 47)):
    rng = np.random.default_rng(seed)
    z = (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)
    z.flat[::13] = complex(0.0, -0.0)
    z.flat[5::17] = complex(np.inf, 1.0)
    return z


def _same(got, want):
    got = np.asarray(got)
    assert (got.dtype, got.shape, got.strides) == (want.dtype, want.shape, want.strides)
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "c":
        np.testing.assert_array_equal(np.signbit(got.real), np.signbit(want.real))
        np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(want.imag))


CASES = {
    "times_float": lambda xp, a, b: a * 2.5,
    "plus_int": lambda xp, a, b: a + 1,
    "chain": lambda xp, a, b: a * 2.5 + 1,
    "product": lambda xp, a, b: a * b,
    "quotient": lambda xp, a, b: a / b,
    "difference": lambda xp, a, b: b - a,
    "abs": lambda xp, a, b: abs(a),
    "conj": lambda xp, a, b: xp.conjugate(a),
    "exp": lambda xp, a, b: xp.exp(a),
    "square": lambda xp, a, b: xp.square(a),
    "equal": lambda xp, a, b: a == b,
}
LAYOUTS = {
    "F": lambda z: z.T,
    "F_result": lambda z: (z.T * 1.0),
    "C_and_F": lambda z: z[:, :30],     # b is then z.T[:, :30] (F): mixed layouts
    "reversed": lambda z: z[::-1],
}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("case", list(CASES))
def test_complex_layouts(case, layout, dtype):
    z, w = _pair(dtype, 1), _pair(dtype, 2)
    f = CASES[case]
    make = LAYOUTS[layout]
    if layout == "C_and_F":
        a, b = z[:30, :30], w.T[:30, :30]
        da, db = dc.asarray(z)[:30, :30], dc.asarray(w).T[:30, :30]
    else:
        a, b = make(z), make(w)
        da, db = make(dc.asarray(z)), make(dc.asarray(w))
    with np.errstate(all="ignore"):
        want = f(np, a, b)
        got = f(dc, da, db)
    _same(got, want)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_out_of_another_layout(dtype):
    """An F-contiguous operand with a C-contiguous `out`: not one run (NumPy's code), the
    values NumPy's."""
    z = _pair(dtype, 3)
    want = np.empty((47, 30), dtype)
    got = dc.empty((47, 30), dtype)
    np.multiply(z.T, 2.5, out=want)
    r = dc.multiply(dc.asarray(z).T, 2.5, out=got)
    assert r is got
    _same(got, want)
    # a unary call the same way
    want_u = np.empty((47, 30), dtype)
    got_u = dc.empty((47, 30), dtype)
    np.exp(z.T, out=want_u)
    assert dc.exp(dc.asarray(z).T, out=got_u) is got_u
    _same(got_u, want_u)
    # and an F-contiguous out of F-contiguous operands
    want_f = np.empty((30, 47), dtype).T
    got_f = dc.empty((30, 47), dtype).T
    np.add(z.T, z.T, out=want_f)
    dc.add(dc.asarray(z).T, dc.asarray(z).T, out=got_f)
    _same(got_f, want_f)
