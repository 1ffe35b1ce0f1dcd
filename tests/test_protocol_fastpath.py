"""NumPy's own functions on dotcompute arrays through ndarray.__array_function__ (the
per-function decision cache and the positional-only call of NumPy's implementation), and
a NumPy scalar on the left of an operator (ndarray.__array_ufunc__): every result is
compared with NumPy's on NumPy arrays of the same values."""
import numpy as onp
import pytest

import dotcompute as dc


def _pair(a):
    return onp.asarray(a), dc.asarray(a)


def _same(got, want, rtol=0):
    """got is NumPy's result want with dotcompute arrays for its arrays: same type,
    dtype, shape and values (to rtol: our own kernels' sums and powers may round the
    last bit otherwise than NumPy's loops)."""
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, rtol)
        return
    if isinstance(want, onp.ndarray):
        assert type(got) is dc.ndarray
        g = onp.asarray(got)
        assert g.dtype == want.dtype and g.shape == want.shape
    else:
        assert type(got) is type(want)
        g = got
    if rtol:
        onp.testing.assert_allclose(g, want, rtol=rtol)
    else:
        onp.testing.assert_array_equal(g, want)


rng = onp.random.default_rng(7)
R = rng.uniform(size=32)
M = R > 0.5
P = rng.normal(size=(6, 4))
I = rng.integers(0, 10, size=20)

# (numpy function, positional arguments: arrays as ("R" etc.) names, other values as they
# are); the fallback path (NumPy's implementation on views) and overrides alike
CASES = [
    (onp.expand_dims, ("R", 0)), (onp.tile, ("R", 2)), (onp.tile, ("P", (2, 1))),
    (onp.where, ("M",)), (onp.where, ("M", "R", 0.0)), (onp.interp, (0.5, "X", "R")),
    (onp.einsum, ("i,i->", "R", "R")), (onp.einsum, ("ij->j", "P")),
    (onp.unique, ("I",)), (onp.roll, ("R", 3)), (onp.roll, ("P", 1, 0)),
    (onp.meshgrid, ("R", "R")), (onp.linalg.norm, ("P",)), (onp.linalg.norm, ("P", 2, 1)),
    (onp.atleast_2d, ("R",)), (onp.squeeze, ("P",)), (onp.swapaxes, ("P", 0, 1)),
    (onp.moveaxis, ("P", 0, -1)), (onp.broadcast_to, ("R", (3, 32))), (onp.round, ("R", 2)),
    (onp.sum, ("P",)), (onp.cumsum, ("I",)), (onp.searchsorted, ("X", 0.5)),
    (onp.histogram, ("R",)), (onp.median, ("P",)), (onp.nonzero, ("M",)),
    (onp.argwhere, ("M",)), (onp.diag, ("P",)), (onp.trace, ("P",)),
    (onp.isclose, ("R", "R")), (onp.allclose, ("R", "R")), (onp.cross, ("V", "V2")),
    (onp.polyval, ("R", 0.5)), (onp.split, ("R", 4)), (onp.array_split, ("R", 3)),
]
OWN_SUMS = {onp.sum, onp.einsum}          # our reductions' order of summation
ARRAYS = {"R": R, "M": M, "P": P, "I": I, "X": onp.linspace(0, 1, 32),
          "V": onp.array([1.0, 2.0, 3.0]), "V2": onp.array([0.5, -1.0, 2.0])}


def _args(spec, as_dc):
    return tuple((dc.asarray(ARRAYS[a]) if as_dc else ARRAYS[a]) if isinstance(a, str)
                 and a in ARRAYS else a for a in spec)


@pytest.mark.parametrize("f, spec", CASES, ids=[f"{f.__name__}-{i}"
                                               for i, (f, _) in enumerate(CASES)])
def test_numpy_function_on_dc_arrays(f, spec):
    want = f(*_args(spec, False))
    for _ in range(3):                       # first call decides, later ones hit the slot
        _same(f(*_args(spec, True)), want, 1e-13 if f in OWN_SUMS else 0)


def test_many_functions_alternating():
    """More functions than the decision cache's slots, called in turns: every call still
    runs its own function (slots taken over by others are decided again)."""
    fns = [getattr(onp, n) for n in sorted(dir(onp)) if callable(getattr(onp, n, None))
           and hasattr(getattr(onp, n), "_implementation")]
    assert len(fns) > 128
    x = dc.asarray(R)
    for _ in range(2):
        for f, spec in CASES:
            _same(f(*_args(spec, True)), f(*_args(spec, False)),
                  1e-13 if f in OWN_SUMS else 0)
        # names resolve to their own functions (a collision would run another's code)
        _same(onp.flip(x), onp.flip(R))
        _same(onp.atleast_1d(x), onp.atleast_1d(R))


@pytest.mark.parametrize("f, spec", [
    (onp.expand_dims, ("R", 0)), (onp.atleast_2d, ("R",)), (onp.squeeze, ("P",)),
    (onp.swapaxes, ("P", 0, 1)), (onp.moveaxis, ("P", 0, -1)), (onp.diagonal, ("P",)),
    (onp.split, ("R", 4)),
])
def test_views_share_memory(f, spec):
    """A NumPy function returning a view of its input returns a dc array over the same
    memory: writes through the original show in the result, as NumPy's."""
    args_np, args_dc = _args(spec, False), _args(spec, True)
    src_np = args_np[0].copy()
    src_dc = dc.asarray(src_np.copy())
    got = f(src_dc, *args_dc[1:])
    want = f(src_np, *args_np[1:])
    first_got = got[0] if isinstance(got, list) else got
    first_want = want[0] if isinstance(want, list) else want
    assert onp.shares_memory(onp.asarray(first_got), onp.asarray(src_dc)) == \
        onp.shares_memory(first_want, src_np)
    onp.asarray(src_dc)[...] += 1.0
    src_np[...] += 1.0
    _same(got, want)


@pytest.mark.parametrize("f, args", [
    (onp.expand_dims, ("R", 5)), (onp.tile, ("R", "x")), (onp.roll, ("R", 1, 3)),
    (onp.interp, (0.5, "R", "P")), (onp.einsum, ("ij->", "R")), (onp.swapaxes, ("R", 0, 2)),
])
def test_errors_match_numpy(f, args):
    with pytest.raises(Exception) as want:
        f(*_args(args, False))
    with pytest.raises(type(want.value)):
        f(*_args(args, True))


def test_large_inputs_and_many_arguments():
    """Inputs past the small size (the pool's allocator) and more positional arguments
    than the stack holds (the general path): NumPy's results."""
    big = rng.uniform(size=20000)
    _same(onp.tile(dc.asarray(big), 2), onp.tile(big, 2))
    _same(onp.expand_dims(dc.asarray(big), 1), onp.expand_dims(big, 1))
    xs = [rng.uniform(size=4) for _ in range(10)]
    _same(onp.broadcast_arrays(*[dc.asarray(v) for v in xs]), onp.broadcast_arrays(*xs))
    _same(onp.ix_(*[dc.asarray(v) for v in xs[:3]]), onp.ix_(*xs[:3]))


def test_list_and_keyword_arguments_take_the_general_path():
    x = dc.asarray(R)
    _same(onp.vstack([x, x]), onp.vstack([R, R]))
    _same(onp.meshgrid([x, x][0], x, indexing="ij"), onp.meshgrid(R, R, indexing="ij"))
    _same(onp.roll(x, shift=2), onp.roll(R, shift=2))
    _same(onp.linalg.norm(dc.asarray(P), axis=1), onp.linalg.norm(P, axis=1))
    out = dc.empty(32)
    assert onp.round(x, 2, out=out) is out
    onp.testing.assert_array_equal(onp.asarray(out), onp.round(R, 2))


@pytest.mark.parametrize("scalar", [onp.float64(2.5), onp.float32(1.5), onp.int64(3),
                                    onp.complex128(1 - 2j), onp.bool_(True),
                                    onp.uint8(7)])
@pytest.mark.parametrize("op", ["-", "+", "*", "/", "**", "<", "==", "//", "%"])
def test_numpy_scalar_on_the_left(scalar, op):
    """`numpy scalar op dc array` goes through NumPy's ufunc into __array_ufunc__: the
    result (value, dtype, shape, errors) is NumPy's."""
    for a in (R[:7], P, I[:5], onp.array(1.25)):
        b = dc.asarray(a)
        try:
            with onp.errstate(all="ignore"):
                want = eval(f"scalar {op} a")
        except Exception as e:
            with pytest.raises(type(e)):
                with onp.errstate(all="ignore"):
                    eval(f"scalar {op} b")
            continue
        with onp.errstate(all="ignore"):
            got = eval(f"scalar {op} b")
        rtol = 4e-16 if op == "**" else 0       # our power kernel's last bit
        if isinstance(want, onp.ndarray):
            _same(got, want, rtol)
        else:                                  # 0-d operands give NumPy's scalars
            g = onp.asarray(got)
            assert g.dtype == onp.asarray(want).dtype
            onp.testing.assert_allclose(g, want, rtol=rtol)


def test_array_ufunc_called_directly():
    """ndarray.__array_ufunc__ as an attribute: bound to the array, NumPy's protocol
    signature (ufunc, method, *inputs, **kwargs)."""
    x = dc.asarray(R)
    _same(x.__array_ufunc__(onp.subtract, "__call__", onp.float64(2.5), x),
          onp.subtract(onp.float64(2.5), R))
    _same(x.__array_ufunc__(onp.add, "reduce", x), onp.add.reduce(R))
    out = dc.empty(32)
    assert x.__array_ufunc__(onp.multiply, "__call__", x, 2.0, out=(out,)) is out
    _same(out, R * 2.0)
    _same(dc.ndarray.__array_ufunc__(x, onp.negative, "__call__", x), -R)


_SMALL = onp.random.default_rng(7).random(32)
_SORTED = onp.sort(_SMALL)
_INTS = onp.random.default_rng(8).integers(0, 10, 32)


@pytest.mark.parametrize("call", [
    lambda m, r, s, i: m.unique(r),
    lambda m, r, s, i: m.unique(i, return_counts=True),
    lambda m, r, s, i: m.unique(i, False, True, False, None),
    lambda m, r, s, i: m.unique(onp.append(r, [onp.nan, onp.nan]) if m is onp
                                else m.asarray(onp.append(r.__array__(), [onp.nan, onp.nan])),
                                equal_nan=False),
    lambda m, r, s, i: m.unique(i, sorted=False),
    lambda m, r, s, i: m.isin(i, [1, 2]),
    lambda m, r, s, i: m.isin(i, [1, 2], False, True),
    lambda m, r, s, i: m.isin(i, [1, 2], kind="table"),
    lambda m, r, s, i: m.histogram(r),
    lambda m, r, s, i: m.histogram(r, 5, (0, 1)),
    lambda m, r, s, i: m.histogram(r, 10, None, True),
    lambda m, r, s, i: m.interp(0.5, s, r),
    lambda m, r, s, i: m.interp(r, s, r, -1.0),
    lambda m, r, s, i: m.interp(r, s, r, None, 2.0),
    lambda m, r, s, i: m.interp(r, s, r, period=0.5),
    lambda m, r, s, i: m.searchsorted(s, r),
    lambda m, r, s, i: m.searchsorted(s, 0.5, "right"),
    lambda m, r, s, i: m.searchsorted(s, r, "left", m.argsort(s)),
    lambda m, r, s, i: m.digitize(r, s),
    lambda m, r, s, i: m.digitize(r, s, True),
    lambda m, r, s, i: m.bincount(i),
    lambda m, r, s, i: m.bincount(i, None, 20),
    lambda m, r, s, i: m.bincount(i, r),
    lambda m, r, s, i: m.lexsort((r, s)),
    lambda m, r, s, i: m.lexsort(m.stack([r, s]), 0),
    lambda m, r, s, i: m.std(r),
    lambda m, r, s, i: m.var(r, ddof=1),
    lambda m, r, s, i: m.std(m.reshape(r, (4, 8)), 1),
])
def test_small_input_fallbacks_are_numpys(call):
    """Below our kernels' sizes the overrides run NumPy's code on views, passing the call
    without its trailing default arguments (defaults given explicitly, and values other
    than the defaults, must still reach it): NumPy's values, dtypes and shapes."""
    expected = call(onp, _SMALL, _SORTED, _INTS)
    got = call(dc, dc.asarray(_SMALL), dc.asarray(_SORTED), dc.asarray(_INTS))
    if not isinstance(expected, tuple):
        expected, got = (expected,), (got,)
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        g = onp.asarray(g)
        assert g.dtype == e.dtype and g.shape == e.shape
        onp.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("call", [
    lambda m, s, r: m.interp(0.5, s, None),
    lambda m, s, r: m.searchsorted(s, r, "middle"),
    lambda m, s, r: m.bincount(m.asarray([-1, 2]) if m is dc else onp.asarray([-1, 2])),
    lambda m, s, r: m.lexsort((r, s), 3),
    lambda m, s, r: m.unique(r, axis=2),
])
def test_small_input_fallback_errors_are_numpys(call):
    with pytest.raises(Exception) as e_np:
        call(onp, _SORTED, _SMALL)
    with pytest.raises(type(e_np.value)):
        call(dc, dc.asarray(_SORTED), dc.asarray(_SMALL))
