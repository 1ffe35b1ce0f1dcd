"""np.angle and np.unwrap on dc arrays (overrides in _routines_function), and binary ufuncs
NumPy's loop runs on strided vectors (arctan2 of a complex array's parts): dtypes and
shapes against NumPy's, values bit for bit (transcendentals within 4 ulp)."""
import numpy as np
import pytest

import dotcompute as dc


def _same(got, want):
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want), strict=True)


def _close(got, want):
    """A transcendental's result: NumPy's dtype and shape; its special values (zeros with
    their sign, infinities, NaN) exactly; finite values within 4 ulp (float32 atan2f, then
    times 180 / pi; NumPy's own loop runs where it is the faster one, our kernel elsewhere,
    as in a forced build)."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    special = ~np.isfinite(want) | (want == 0)
    np.testing.assert_array_equal(got[special], want[special])
    np.testing.assert_array_equal(np.signbit(got[special]), np.signbit(want[special]))
    np.testing.assert_array_max_ulp(got[~special], want[~special], 4)


def _complex(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    z = z.astype(dtype)
    flat = z.reshape(-1)
    if flat.size >= 8:                       # the axes, zeros of both signs, inf, nan
        flat[:8] = [0, -0.0, 1j, -1j, -1 + 0j, complex(-1, -0.0), complex(np.inf, 1),
                    complex(np.nan, 1)]
    return z


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3001,), (40, 33), (4, 5, 6)])
@pytest.mark.parametrize("deg", [False, True])
def test_angle_is_numpys(dtype, shape, deg):
    z = _complex(shape, dtype)
    _close(np.angle(dc.asarray(z), deg=deg), np.angle(z, deg=deg))
    _close(dc.angle(dc.asarray(z), deg), np.angle(z, deg))


@pytest.mark.parametrize("z", [
    _complex((50, 40), np.complex128)[:, ::3],            # not contiguous: NumPy's code
    np.linspace(-3, 3, 101),                               # real
    np.arange(-5, 5),                                      # integers
    np.array(1 + 1j),                                      # 0-d
])
def test_angle_of_other_inputs_is_numpys(z):
    _close(np.angle(dc.asarray(z)), np.angle(z))
    _close(np.angle(dc.asarray(z), deg=True), np.angle(z, deg=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("step", [1, 2, -1, -3])
def test_arctan2_and_hypot_of_strided_vectors(dtype, step):
    rng = np.random.default_rng(1)
    m = rng.normal(size=(5001, 3)).astype(dtype)
    m[:4, 0] = [0.0, -0.0, np.inf, np.nan]
    y, x = m[::step, 0], m[::step, 2]
    Y, X = (dc.asarray(m)[::step, k] for k in (0, 2))
    for f in (np.arctan2, np.hypot):
        _close(f(Y, X), f(y, x))
        _close(f(Y, dtype(0.5)), f(y, dtype(0.5)))
        _close(f(1.5, X), f(1.5, x))
        _close(f(Y[:1], X), f(y[:1], x))                  # a length-1 vector broadcast
    z = _complex((4001,), np.complex128 if dtype == np.float64 else np.complex64)
    Z = dc.asarray(z)
    _close(np.arctan2(Z.imag, Z.real), np.arctan2(z.imag, z.real))
    with pytest.warns(RuntimeWarning, match="invalid value encountered in fmod"):
        want = np.fmod(z.imag, z.real)                    # fmod(0, 0)
    with pytest.warns(RuntimeWarning, match="invalid value encountered in fmod"):
        got = np.fmod(Z.imag, Z.real)                     # NumPy's loop (no kernel of ours)
    _same(got, want)


def _phase(n, dtype, seed=2):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 40, n)
    return np.angle(np.exp(1j * t ** 1.5) * (1 + 0.1 * rng.normal(size=n))).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 2, 17, 30_000])
def test_unwrap_is_numpys(dtype, n):
    p = _phase(n, dtype)
    _same(np.unwrap(dc.asarray(p)), np.unwrap(p))
    _same(dc.unwrap(dc.asarray(p)), np.unwrap(p))
    _same(np.unwrap(dc.asarray(p), discont=4.0), np.unwrap(p, discont=4.0))
    _same(np.unwrap(dc.asarray(p), period=np.pi), np.unwrap(p, period=np.pi))
    _same(np.unwrap(dc.asarray(p), period=dtype(5.0)), np.unwrap(p, period=dtype(5.0)))


def test_unwrap_on_the_boundary():
    # steps of exactly +-pi (the boundary NumPy's copyto settles by the sign of the step)
    p = np.cumsum([0.0, np.pi, -np.pi, np.pi, np.pi, -3 * np.pi, 2.5, -7.0])
    _same(np.unwrap(dc.asarray(p)), np.unwrap(p))
    q = np.array([0, 5, 10, 0, -5, 12, 7], dtype=np.float64)
    _same(np.unwrap(dc.asarray(q), period=10), np.unwrap(q, period=10))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unwrap_along_an_axis(axis):
    p = _phase(60 * 50, np.float64).reshape(60, 50)
    _same(np.unwrap(dc.asarray(p), axis=axis), np.unwrap(p, axis=axis))
    _same(np.unwrap(dc.asarray(p).T, axis=axis), np.unwrap(p.T, axis=axis))
    _same(np.unwrap(dc.asarray(p)[::2, ::-3], axis=axis), np.unwrap(p[::2, ::-3], axis=axis))


def test_unwrap_of_integers_and_errors_are_numpys():
    q = np.array([0, 5, 10, 0, -5, 12, 7])
    _same(np.unwrap(dc.asarray(q), period=10), np.unwrap(q, period=10))
    _same(np.unwrap(dc.asarray(q), period=10.0), np.unwrap(q, period=10.0))
    p = _phase(100, np.float64).reshape(10, 10)
    with pytest.raises(np.exceptions.AxisError):
        np.unwrap(p, axis=2)
    with pytest.raises(np.exceptions.AxisError):
        np.unwrap(dc.asarray(p), axis=2)
