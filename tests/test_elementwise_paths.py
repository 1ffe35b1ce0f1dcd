"""The general element-wise path against NumPy: broadcasting on either side (any ndim,
stride-0 dimensions), N-d strided views (negative steps, transposes; dimensions merged),
mixed dtypes (NumPy's promotion, casts block by block), NumPy scalars and 0-d arrays
(strong under NEP 50), complex operands, NumPy's fast scalar powers, `where`, `clip`, and
`out=` that overlaps an input (the result as if the inputs were copied first).

Results must equal NumPy's exactly (value, dtype, shape), or both raise the same type;
transcendentals within test_fuzz.ULP_TRANSCENDENTAL. Complex operations run NumPy's own
loops and so match exactly.
"""
import operator

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import dotcompute as dc  # noqa: E402
from test_fuzz import (_fill, _ulps, assert_same_value, run_both,  # noqa: E402
                       ZERO_SIGN_FREE)
from test_fuzz import assert_same_outcome as _same_outcome  # noqa: E402

REAL = [np.dtype(c) for c in "?bhilqBHILQfd"]
COMPLEX = [np.dtype("F"), np.dtype("D")]
ALL = REAL + COMPLEX
NP_SCALAR_TYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                   np.uint32, np.uint64, np.float32, np.float64, np.complex64,
                   np.complex128]


def assert_same_outcome(expected, got, ulps=0, zero_sign=True):
    """test_fuzz's comparison; complex results compare their real and imaginary parts."""
    (ek, ev), (gk, gv) = expected, got
    if ek == "ok" and gk == "ok" and np.asarray(ev).dtype.kind == "c":
        e, g = np.asarray(ev), np.asarray(gv)
        assert isinstance(gv, dc.ndarray) == isinstance(ev, np.ndarray), type(gv)
        assert g.dtype == e.dtype and g.shape == e.shape, (g.dtype, g.shape, e.dtype, e.shape)
        for part in (np.real, np.imag):
            assert_same_value(np.ascontiguousarray(part(e)),
                              dc.asarray(np.ascontiguousarray(part(g))), ulps, zero_sign)
        return
    _same_outcome(expected, got, ulps, zero_sign)


def _values(dtype, n, seed):
    if dtype.kind == "c":
        part = np.float32 if dtype.itemsize == 8 else np.float64
        re = _fill(np.dtype(part), n, seed)
        im = _fill(np.dtype(part), n, seed + 1)
        return (re + 1j * im).astype(dtype)
    return _fill(dtype, n, seed)


@st.composite
def strided(draw, shape, dtype):
    """(numpy, dotcompute) arrays of `shape` with equal values, possibly a strided view
    (steps of 1, 2, -1, -2 per axis) or a transpose of a larger base."""
    kind = draw(st.sampled_from(["contig", "slice", "T"]))
    seed = draw(st.integers(0, 2 ** 31))
    if kind == "slice":
        steps = [draw(st.sampled_from([1, 2, -1, -2])) for _ in shape]
        base_shape = tuple(n * abs(s) for n, s in zip(shape, steps))
        base = _values(dtype, int(np.prod(base_shape)), seed).reshape(base_shape)
        key = tuple(slice(None, None, s) for s in steps)
        a_np = base[key]
        a_dc = dc.asarray(base)[key]
    elif kind == "T" and len(shape) >= 2:
        perm = draw(st.permutations(range(len(shape))))
        inv = np.argsort(perm)
        base_shape = tuple(shape[i] for i in inv)
        base = _values(dtype, int(np.prod(base_shape)), seed).reshape(base_shape)
        a_np = base.transpose(perm)
        a_dc = dc.asarray(base).transpose(perm)
    else:
        a_np = _values(dtype, int(np.prod(shape)), seed).reshape(shape)
        a_dc = dc.asarray(a_np)
    assert a_np.shape == tuple(shape) and (a_dc.strides == a_np.strides or not a_np.size)
    return a_np, a_dc


@st.composite
def scalar_operand(draw, dtype):
    """A Python scalar, a NumPy scalar of any type, or a 0-d array."""
    kind = draw(st.sampled_from(["py", "np", "zero_d"]))
    if kind == "py":
        return draw(st.one_of(st.integers(-300, 300), st.floats(-1e6, 1e6), st.booleans(),
                              st.complex_numbers(max_magnitude=1e3)))
    t = draw(st.sampled_from(NP_SCALAR_TYPES))
    v = _values(np.dtype(t), 1, draw(st.integers(0, 2 ** 31)))[0]
    return v if kind == "np" else np.array(v)


@st.composite
def binary_case(draw, dtypes=ALL, arrays=None):
    """((x_np, y_np), (x_dc, y_dc)): arrays of mutually broadcastable shapes (size-1 and
    missing dimensions on either side, or equal shapes), any two dtypes, or an array and a
    scalar; `arrays(shape, dtype)` draws each array (default: strided)."""
    arrays = arrays or strided
    tx = draw(st.sampled_from(dtypes))
    ty = draw(st.sampled_from(dtypes)) if draw(st.booleans()) else tx
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                    min_side=0, max_side=6))
    sx, sy = shapes.input_shapes
    if draw(st.integers(0, 3)) == 0:
        sy = sx
    if draw(st.integers(0, 6)) == 0:       # large enough for threads and several blocks
        sx, sy = draw(st.sampled_from([((300, 1, 3), (1, 70, 3)), ((70000,), ()),
                                       ((2, 40000), (40000,)), ((3, 1), (1, 30000))]))
    x_np, x_dc = draw(arrays(sx, tx))
    if draw(st.integers(0, 3)) == 0:
        y = draw(scalar_operand(ty))
        y_np, y_dc = y, (dc.asarray(y) if isinstance(y, np.ndarray) else y)
    else:
        y_np, y_dc = draw(arrays(sy, ty))
    if draw(st.booleans()):
        return (y_np, x_np), (y_dc, x_dc)
    return (x_np, y_np), (x_dc, y_dc)


BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "maximum",
          "minimum", "equal", "not_equal", "less", "greater_equal", "logical_and",
          "bitwise_and", "power", "arctan2", "copysign"]
UNARY = ["negative", "absolute", "sqrt", "exp", "square", "conjugate", "isnan", "sign",
         "logical_not", "reciprocal", "floor", "sin"]
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul,
             "/": operator.truediv, "<": operator.lt, "==": operator.eq,
             "**": operator.pow}


@given(name=st.sampled_from(BINARY), ops=binary_case())
def test_binary_general(name, ops):
    (x_np, y_np), (x_dc, y_dc) = ops
    expected, got = run_both(lambda x, y, m: getattr(m, name)(x, y), (x_np, y_np, np),
                             (x_dc, y_dc, dc))
    assert_same_outcome(expected, got, _ulps(name), name not in ZERO_SIGN_FREE)


@given(name=st.sampled_from(list(OPERATORS)), ops=binary_case())
def test_operator_general(name, ops):
    (x_np, y_np), (x_dc, y_dc) = ops
    f = OPERATORS[name]
    expected, got = run_both(f, (x_np, y_np), (x_dc, y_dc))
    assert_same_outcome(expected, got, _ulps("power" if name == "**" else name))


@given(name=st.sampled_from(UNARY), dtype=st.sampled_from(ALL), data=st.data())
def test_unary_general(name, dtype, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    x_np, x_dc = data.draw(strided(shape, dtype))
    expected, got = run_both(lambda x, m: getattr(m, name)(x), (x_np, np), (x_dc, dc))
    assert_same_outcome(expected, got, _ulps(name, x_np))


@given(exponent=st.sampled_from([2, -1, 0.5, 1, 0, 2.0, 3, -1.0, np.float64(0.5),
                                 np.int64(2)]),
       dtype=st.sampled_from(ALL), data=st.data())
def test_power_operator_fast_paths(exponent, dtype, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    x_np, x_dc = data.draw(strided(shape, dtype))
    expected, got = run_both(lambda x: x ** exponent, (x_np,), (x_dc,))
    assert_same_outcome(expected, got, _ulps("power"))


def test_power_operator_integers_raise_as_numpy():
    a = np.arange(1, 5, dtype=np.int32)
    with pytest.raises(ValueError):
        a ** -1
    with pytest.raises(ValueError):
        dc.asarray(a) ** -1
    assert (dc.asarray([True, False]) ** 2).dtype == (np.array([True, False]) ** 2).dtype


@given(ops=binary_case(dtypes=REAL), data=st.data())
def test_where_general(ops, data):
    (x_np, y_np), (x_dc, y_dc) = ops
    shape = np.broadcast_shapes(np.shape(x_np), np.shape(y_np))
    cshape = shape[data.draw(st.integers(0, len(shape))):]
    cdt = data.draw(st.sampled_from([np.dtype("?"), np.dtype("i4"), np.dtype("f8")]))
    c_np, c_dc = data.draw(strided(cshape, cdt))
    expected, got = run_both(lambda c, x, y, m: m.where(c, x, y),
                             (c_np, x_np, y_np, np), (c_dc, x_dc, y_dc, dc))
    assert_same_outcome(expected, got, 0, zero_sign=False)


@given(dtype=st.sampled_from(REAL), data=st.data())
def test_clip_general(dtype, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    x_np, x_dc = data.draw(strided(shape, dtype))
    lo = data.draw(scalar_operand(dtype))
    hi = data.draw(scalar_operand(dtype))
    lo_dc = dc.asarray(lo) if isinstance(lo, np.ndarray) else lo
    hi_dc = dc.asarray(hi) if isinstance(hi, np.ndarray) else hi
    expected, got = run_both(lambda x, lo, hi, m: m.clip(x, lo, hi),
                             (x_np, lo, hi, np), (x_dc, lo_dc, hi_dc, dc))
    assert_same_outcome(expected, got, 0, zero_sign=False)


@given(name=st.sampled_from(["add", "multiply", "subtract", "less", "true_divide"]),
       dtype=st.sampled_from(ALL), alias=st.sampled_from(["same", "reversed", "shifted",
                                                         "transposed"]),
       other=st.sampled_from(REAL + COMPLEX), data=st.data())
def test_overlapping_out(name, dtype, alias, other, data):
    """out= overlapping an input: NumPy's result as if the inputs were copied first."""
    n = data.draw(st.integers(2, 9))
    base = _values(dtype, n * n, data.draw(st.integers(0, 2 ** 31))).reshape(n, n)
    y = _values(other, n, data.draw(st.integers(0, 2 ** 31)))
    a_np, a_dc = base.copy(), dc.asarray(base)
    if alias == "same":
        fx = lambda a: (a, a)                        # noqa: E731
    elif alias == "reversed":
        fx = lambda a: (a[::-1], a)                  # noqa: E731
    elif alias == "shifted":
        fx = lambda a: (a[:-1], a[1:])               # noqa: E731
    else:
        fx = lambda a: (a.T, a)                      # noqa: E731

    def call(m, a, y):
        x, out = fx(a)
        r = getattr(m, name)(x, y, out=out)
        assert r is out
        return r

    expected, got = run_both(call, (np, a_np, y), (dc, a_dc, dc.asarray(y)))
    assert_same_outcome(expected, got)
    if expected[0] == "ok":
        assert_same_outcome(("ok", a_np), ("ok", a_dc))


def test_numpy_scalars_are_strong():
    x32 = np.linspace(0, 1, 7, dtype=np.float32)
    x64 = np.linspace(0, 1, 7)
    for s, x in [(np.float64(2.5), x32), (np.float32(2.5), x64), (np.int64(3), x32),
                 (np.int8(-3), np.arange(5, dtype=np.uint8)), (np.bool_(True), x32),
                 (np.complex64(1 + 2j), x64), (np.array(2.5), x32)]:
        for f in (operator.mul, operator.add, operator.truediv, operator.lt):
            for args in ((s, x), (x, s)):
                with np.errstate(all="ignore"):
                    e = f(*args)
                    g = f(*[dc.asarray(a) if isinstance(a, np.ndarray) else a
                            for a in args])
                assert_same_outcome(("ok", e), ("ok", g))


@pytest.mark.parametrize("stype", [np.bool_, np.int8, np.uint8, np.int16, np.uint16,
                                   np.int32, np.uint32, np.int64, np.uint64, np.longlong,
                                   np.ulonglong, np.float16, np.float32, np.float64,
                                   np.complex64, np.complex128], ids=lambda t: t.__name__)
def test_every_numpy_scalar_type_as_an_operand(stype):
    """A NumPy scalar's value is read in place from its object (_scalar_copy): every
    scalar type, the aliases np.longlong / np.ulonglong included, on either side of an
    array of every kernel dtype gives NumPy's values, dtype and errors."""
    s = stype(3)
    for dt in ("bool", "int8", "uint8", "int16", "int32", "int64", "uint64", "float16",
               "float32", "float64", "complex64", "complex128"):
        x = (np.arange(7) % 3 + 1).astype(dt)
        for f in (operator.add, operator.mul, operator.sub, operator.lt):
            for args in ((s, x), (x, s)):
                expected, got = run_both(f, args,
                                         [dc.asarray(a) if isinstance(a, np.ndarray) else a
                                          for a in args])
                assert_same_outcome(expected, got)


def test_coalesced_views_match_numpy():
    img = np.random.default_rng(1).random((50, 60, 3))
    d = dc.asarray(img)
    e = abs(4 * img[1:-1, 1:-1] - img[:-2, 1:-1] - img[2:, 1:-1] - img[1:-1, :-2])
    g = abs(4 * d[1:-1, 1:-1] - d[:-2, 1:-1] - d[2:, 1:-1] - d[1:-1, :-2])
    assert_same_value(e, g)
    pos = np.random.default_rng(2).random((24, 3))
    r = np.random.default_rng(3).random(24)
    assert_same_value(pos - pos[3], dc.asarray(pos) - dc.asarray(pos)[3])
    assert_same_value(pos * r[:, None], dc.asarray(pos) * dc.asarray(r)[:, None])
    x = np.arange(5.0)
    assert_same_value(x[:, None] - x[None, :], dc.asarray(x)[:, None] - dc.asarray(x)[None, :])


@given(name=st.sampled_from(UNARY + BINARY), data=st.data())
def test_scalar_only_calls(name, data):
    """dc.<ufunc> of NumPy or Python scalars only: NumPy's scalar result (type and value)."""
    uf = getattr(np, name)
    args = [data.draw(scalar_operand(np.dtype("f8"))) for _ in range(uf.nin)]
    args = [a[()] if isinstance(a, np.ndarray) else a for a in args]
    # NumPy's first call of a ufunc on a complex scalar can round differently from its
    # later ones (np.square(np.complex128(-374.18+183.41j)): the real part 1 ulp apart in
    # a fresh process); the reference is NumPy's steady result
    run_both(lambda m, *a: getattr(m, name)(*a), (np, *args), (np, *args))
    expected, got = run_both(lambda m, *a: getattr(m, name)(*a), (np, *args), (dc, *args))
    if expected[0] == "ok" and got[0] == "ok":
        assert type(got[1]) is type(expected[1])
        e, g = np.asarray(expected[1]), np.asarray(got[1])
        assert e.dtype == g.dtype and (e == g or (e != e and g != g)), (e, g)
    else:
        assert expected[0] == got[0], (expected, got)


@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("s", [2.3e-138, -1e-300, 7e-46, 0.0, float("nan"), 1e300])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_logical_ops_take_a_python_float_by_its_truth(op, s, dtype):
    """logical_and(float32 array, 2.3e-138): NumPy takes the Python float's truth
    (True), although it is 0 in float32 (hypothesis found our False)."""
    x = np.array([0.0, 1e-45, 1.0, -2.0, np.inf], dtype=dtype)
    with np.errstate(all="ignore"):
        for args in ((x, s), (s, x)):
            want = getattr(np, op)(*args)
            got = getattr(dc, op)(*[dc.asarray(a) if isinstance(a, np.ndarray) else a
                                    for a in args])
            assert np.asarray(got).dtype == want.dtype
            np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("name, dtype", [("signbit", "f4"), ("isnan", "f8"), ("signbit", "i2"),
                                         ("isfinite", "f4"), ("negative", "f4")])
def test_output_overlapping_an_input_gives_the_result_of_copies(name, dtype):
    """An output that partially overlaps an input (rows reversed, a negative inner
    stride) gets the result computed from a copy, as NumPy documents; NumPy's own loop with
    a buffered cast output breaks that for bool-result ufuncs (results vary by run), so the
    fallback hands it copies of such inputs."""
    base = (np.random.default_rng(4).standard_normal((2, 8192)) * 100).astype(dtype)
    t = base.copy()[:, ::-1]
    want = getattr(np, name)(t[::-1].copy()).astype(dtype)
    for _ in range(3):
        d = dc.array(base)[:, ::-1]
        r = getattr(dc, name)(d[::-1], out=d)
        assert r is d
        np.testing.assert_array_equal(np.asarray(d), want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.complex128])
def test_loops_on_views_at_every_cache_line_offset(dtype):
    """Contiguous loops peel a head to bring the output to a cache-line boundary: views
    starting at every element offset of a line (as NumPy's own arrays start 16 bytes past
    one), with the inputs at the output's offset and at others, and in place, equal
    NumPy's results (values, dtype) for array-array, array-scalar, scalar-array and unary
    loops (comparisons and casts, whose outputs are narrower or wider, among them), at
    lengths around the peeling threshold and one thread's block sizes."""
    rng = np.random.default_rng(3)
    per_line = 64 // np.dtype(dtype).itemsize
    for n in (255, 256, 257, 1000, 5003):
        base = (rng.uniform(1, 2, 3 * n + 3 * per_line) * 8).astype(dtype)
        for off in range(per_line):
            for other in (off, (off + 1) % per_line, 0):
                a = base[off:off + n]
                b = base[n + per_line + other:2 * n + per_line + other]
                for f, g in ((lambda m, x, y: m.add(x, y), None),
                             (lambda m, x, y: m.multiply(x, 3), None),
                             (lambda m, x, y: m.subtract(7, y), None),
                             (lambda m, x, y: m.negative(x), None),
                             (lambda m, x, y: m.absolute(y), None),
                             (lambda m, x, y: m.less(x, y), None),
                             (lambda m, x, y: m.greater_equal(3, y), None),
                             (lambda m, x, y: m.equal(x, 9), None),
                             (lambda m, x, y: m.isfinite(x), None),
                             (lambda m, x, y: x.astype(np.complex128 if x.dtype.kind == "c"
                                                       else np.float64), None)):
                    want = f(np, a, b)
                    got = f(dc, dc.asarray(a), dc.asarray(b))
                    assert got.dtype == want.dtype
                    np.testing.assert_array_equal(np.asarray(got), want)
                # out= at an offset of its own, and in place
                o = np.empty(n + per_line, dtype)[other:other + n]
                dc.add(dc.asarray(a), dc.asarray(b), out=dc.asarray(o))
                np.testing.assert_array_equal(o, a + b)
                buf = base.copy()
                c = buf[off:off + n]
                cc = dc.asarray(c)
                dc.multiply(cc, 2, out=cc)
                np.testing.assert_array_equal(c, a * 2)
                np.testing.assert_array_equal(buf[:off], base[:off])      # nothing else
                np.testing.assert_array_equal(buf[off + n:], base[off + n:])
