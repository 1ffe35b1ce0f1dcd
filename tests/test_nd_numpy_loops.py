"""Element-wise calls on N-d walks (slices, transposes, broadcasts, reversed rows) whose loop
is NumPy's: the borrowed loops of the expensive ops where NumPy's is the faster one here,
and the ufuncs we have no kernel for (fmod, logaddexp, nextafter, ...). They run NumPy's
strided loop row by row on our threads; each result is compared with NumPy's call on the
same views (values to the bit, dtype, shape, strides), under every build."""
import warnings

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _numpy_loops

BORROWED_BINARY = ["arctan2", "hypot", "power"]
BORROWED_UNARY = ["tan", "arctan", "arcsin", "sinh", "expm1", "log1p", "cbrt", "log10",
                  "exp2", "log2"]
GENERIC_BINARY = ["fmod", "logaddexp", "logaddexp2", "nextafter", "heaviside"]
GENERIC_UNARY = ["degrees", "radians", "spacing"]


def _views():
    """(name, make) pairs: make(base) -> a view of a (37, 29) base."""
    return [
        ("slice", lambda a: a[::2, 1:-1]),
        ("transpose", lambda a: a.T),
        ("rows_reversed", lambda a: a[::-1]),
        ("inner_reversed", lambda a: a[:, ::-1]),
        ("column", lambda a: a[:, 3:4]),
        ("3d", lambda a: a[:, :28].reshape(37, 4, 7)[:, ::2]),
    ]


def _base(dtype, seed, lo=-2.0, hi=2.0, shape=(37, 29)):
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, size=shape).astype(dtype)
    x.flat[::17] = 0.0
    x.flat[5::23] = -0.0
    return x


@pytest.fixture
def numpy_loops():
    """NumPy's loop for every borrowed op where loops are borrowed (the default build),
    the choices restored after."""
    saved = _numpy_loops.numpy_loop_choices()
    forced = []
    if _numpy_loops._borrow_enabled():
        for name in BORROWED_BINARY + BORROWED_UNARY:
            for char in "fd":
                try:
                    _numpy_loops.set_loop_choice(name, char, "numpy")
                    forced.append((name, char))
                except ValueError:
                    pass
    yield forced
    for name, char in forced:
        who = saved.get((name, char))
        _numpy_loops.set_loop_choice(name, char, {"numpy": "numpy", "dotcompute": "dotcompute"}
                                     .get(who, "auto"))


def _same(got, want, exact):
    got = np.asarray(got)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    if want.ndim and want.size:
        assert got.strides == want.strides
    if exact:
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        return
    special = ~np.isfinite(want) | (want == 0)
    np.testing.assert_array_equal(got[special], want[special])
    np.testing.assert_array_max_ulp(got[~special], want[~special], 4)


def _binary_inputs(name, dtype):
    x = _base(dtype, 1, 0.1 if name == "power" else -2.0, 3.0)
    y = _base(dtype, 2)
    return x, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("view", [v[0] for v in _views()])
@pytest.mark.parametrize("name", BORROWED_BINARY + GENERIC_BINARY)
def test_binary_views(numpy_loops, name, view, dtype):
    make = dict(_views())[view]
    x, y = _binary_inputs(name, dtype)
    # a walk stepping backwards innermost keeps our kernel (NumPy's iterator may flip it)
    exact = name in GENERIC_BINARY or (
        view != "inner_reversed" and (name, "f" if dtype == "float32" else "d") in numpy_loops)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(make(x), make(y))
        got = getattr(dc, name)(make(dc.asarray(x)), make(dc.asarray(y)))
    _same(got, want, exact)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", BORROWED_BINARY + GENERIC_BINARY)
def test_binary_broadcast(numpy_loops, name, dtype):
    x, y = _binary_inputs(name, dtype)
    exact = name in GENERIC_BINARY or (name, "f" if dtype == "float32" else "d") in numpy_loops
    row, col = y[0], y[:, :1]
    for a, b in ((x, row), (x, col), (row, x), (x[::2], row[::-1]), (x.T, y[:, 0]),
                 (x[::2, 1:], 1.5)):
        with np.errstate(all="ignore"):
            want = getattr(np, name)(a, b)
            got = getattr(dc, name)(dc.asarray(a), b if np.ndim(b) == 0 else dc.asarray(b))
        # a walk stepping backwards innermost keeps our kernel
        _same(got, want, exact and (np.ndim(b) == 0 or b.strides[-1] > 0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("view", [v[0] for v in _views()])
@pytest.mark.parametrize("name", BORROWED_UNARY + GENERIC_UNARY)
def test_unary_views(numpy_loops, name, view, dtype):
    make = dict(_views())[view]
    x = _base(dtype, 3, 0.0 if name in ("log10", "log2", "log1p") else -0.9, 0.95)
    exact = name in GENERIC_UNARY or (
        view != "inner_reversed" and (name, "f" if dtype == "float32" else "d") in numpy_loops)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(make(x))
        got = getattr(dc, name)(make(dc.asarray(x)))
    _same(got, want, exact)


@pytest.mark.parametrize("name", ["arctan2", "fmod", "logaddexp"])
def test_out_views(numpy_loops, name):
    x, y = _binary_inputs(name, "float64")
    want_out = np.zeros((29, 37))
    got_out = dc.zeros((29, 37))
    r = getattr(dc, name)(dc.asarray(x).T, dc.asarray(y).T, out=got_out)
    getattr(np, name)(x.T, y.T, out=want_out)
    assert r is got_out
    _same(got_out, want_out, name != "arctan2" or ("arctan2", "d") in numpy_loops)
    # an out that is itself a strided view
    big_w, big_g = np.zeros((74, 29)), dc.zeros((74, 29))
    getattr(np, name)(x, y, out=big_w[::2])
    getattr(dc, name)(dc.asarray(x), dc.asarray(y), out=big_g[::2])
    _same(big_g, big_w, name != "arctan2" or ("arctan2", "d") in numpy_loops)


@pytest.mark.parametrize("name", ["arctan2", "fmod", "power"])
def test_empty_and_0d(name):
    e = np.zeros((0, 5))[:, ::2]
    for a, b in ((e, e), (np.float64(1.5) * np.ones(()), np.full((), 2.0))):
        want = getattr(np, name)(a, b)
        got = getattr(dc, name)(dc.asarray(a), dc.asarray(b))
        assert np.asarray(got).shape == np.asarray(want).shape
        np.testing.assert_array_equal(np.asarray(got), want)


def test_power_exponent_of_stride_zero(numpy_loops):
    """A broadcast exponent array of the base's shape (stride 0): NumPy's power loop takes a
    stride-0 exponent as a scalar (0.5: the square root, so (-inf) ** 0.5 is nan and
    (-0.0) ** 0.5 is -0.0); ours must give NumPy's values."""
    x = np.array([[-np.inf, -0.0, 4.0, 2.0], [9.0, -1.0, 0.25, np.inf]])[:, ::-1]
    for e in (0.5, 2.0, -1.0):
        ex = np.broadcast_to(np.array(e), x.shape)
        with np.errstate(all="ignore"):
            want = np.power(x, ex)
            got = dc.power(dc.asarray(x), dc.broadcast_to(dc.asarray(np.array(e)), x.shape))
        np.testing.assert_array_equal(np.asarray(got), want)
        np.testing.assert_array_equal(np.signbit(np.asarray(got)), np.signbit(want))


def test_power_same_shape_arrays_run_our_path():
    """x ** y of two float arrays of one shape: it reached the kernel path (it fell through
    to NumPy's ufunc on a check of an unset result description) and gives NumPy's values."""
    x = _base("float64", 4, 0.1, 3.0)
    y = _base("float64", 5)
    for a, b in ((x, y), (x[::2], y[::2]), (x.T, y.T)):
        want = a ** b
        got = dc.asarray(a) ** dc.asarray(b)
        np.testing.assert_array_max_ulp(np.asarray(got), want, 1)
    if _numpy_loops._borrow_enabled():
        choices = _numpy_loops.numpy_loop_choices()
        assert ("power", "d") in choices


@pytest.mark.parametrize("name,a,b,category", [
    ("fmod", 1.0, 0.0, "invalid"),
    ("arctan2", np.nan, 1.0, None),
    ("logaddexp", np.inf, -np.inf, None),
    ("power", -1.0, 0.5, "invalid"),
])
def test_floating_point_reports(name, a, b, category):
    """NumPy's warnings and errors for the flags the loop raised on a strided walk."""
    x = np.full((6, 8), a)[::2, ::2]
    y = np.full((6, 8), b)[::2, ::2]
    dx, dy = dc.asarray(np.full((6, 8), a))[::2, ::2], dc.asarray(np.full((6, 8), b))[::2, ::2]
    with warnings.catch_warnings(record=True) as want_w:
        warnings.simplefilter("always")
        want = getattr(np, name)(x, y)
    with warnings.catch_warnings(record=True) as got_w:
        warnings.simplefilter("always")
        got = getattr(dc, name)(dx, dy)
    np.testing.assert_array_equal(np.asarray(got), want)
    assert [type(w.message) for w in got_w] == [type(w.message) for w in want_w]
    assert [str(w.message) for w in got_w] == [str(w.message) for w in want_w]
    if category:
        with np.errstate(**{category: "raise"}):
            with pytest.raises(FloatingPointError):
                getattr(np, name)(x, y)
            with pytest.raises(FloatingPointError):
                getattr(dc, name)(dx, dy)


def test_large_walk_on_threads(numpy_loops):
    """A walk large enough to thread: NumPy's values (the rows split between threads)."""
    x = _base("float64", 6, -3, 3, shape=(700, 500))
    y = _base("float64", 7, -3, 3, shape=(700, 500))
    exact = ("arctan2", "d") in numpy_loops
    want = np.arctan2(x[::2, 1:], y[::2, 1:])
    got = dc.arctan2(dc.asarray(x)[::2, 1:], dc.asarray(y)[::2, 1:])
    _same(got, want, exact)
    want = np.fmod(x.T, y[:, 0])
    got = dc.fmod(dc.asarray(x).T, dc.asarray(y)[:, 0])
    _same(got, want, True)


@pytest.mark.parametrize("itype", ["int8", "int16", "int32", "int64", "uint8", "uint16"])
@pytest.mark.parametrize("name", BORROWED_UNARY + ["arctan2", "hypot"])
def test_integer_inputs(numpy_loops, name, itype):
    """Integer arrays into a float op: converted block by block to NumPy's loop type
    (int8/int16 -> float32, wider -> float64), then NumPy's loop where it is chosen (its
    bits; arcsin of int64 ran our kernel at 0.2x NumPy before), ours elsewhere."""
    rng = np.random.default_rng(12)
    x = rng.integers(-3 if name not in ("log10", "log2", "log1p") else 0, 100,
                     size=(50, 41)).astype(itype)
    y = rng.integers(1, 100, size=(50, 41)).astype(itype)
    with np.errstate(all="ignore"):
        if name in ("arctan2", "hypot"):
            want = getattr(np, name)(x, y)
            got = getattr(dc, name)(dc.asarray(x), dc.asarray(y))
            want_s = getattr(np, name)(x[::2, 1:], y[::2, 1:])
            got_s = getattr(dc, name)(dc.asarray(x)[::2, 1:], dc.asarray(y)[::2, 1:])
        else:
            want = getattr(np, name)(x)
            got = getattr(dc, name)(dc.asarray(x))
            want_s = getattr(np, name)(x[::2, 1:])
            got_s = getattr(dc, name)(dc.asarray(x)[::2, 1:])
    exact = (name, want.dtype.char) in numpy_loops
    _same(got, want, exact)
    _same(got_s, want_s, exact)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_remainder_of_both_signs(dtype):
    """Float remainder (the fix-ups after fmod as selects): NumPy's bits and signs of zero
    for operands of both signs, zeros, infinities and NaN, and its reports."""
    rng = np.random.default_rng(13)
    x = rng.uniform(-5, 5, size=4000).astype(dtype)
    y = rng.uniform(-2, 2, size=4000).astype(dtype)
    x[::7], x[1::11], y[::13] = 0.0, -0.0, 0.0
    x[2::17], y[3::19], x[4::23] = np.inf, -np.inf, np.nan
    x[5::29] = y[5::29] * 3                       # exact multiples: zero remainders
    with np.errstate(all="ignore"):
        want = np.remainder(x, y)
        got = np.asarray(dc.remainder(dc.asarray(x), dc.asarray(y)))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    for s in (1.5, -1.5):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(np.asarray(dc.asarray(x) % s), x % s)
