"""dotcompute.ndarray and the namespace against NumPy: each test body runs once with numpy
and once with dotcompute (`xp`), and the results must agree in values, dtype, shape and
exception type."""
import copy
import functools
import inspect
import pickle

import numpy as np
import pytest

import dotcompute as dc


def numpy_cupy_equal(func):
    """Run func(xp=np) and func(xp=dc); compare results (or the exception type raised)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        results = {}
        for xp in (np, dc):
            try:
                results[xp] = ("ok", func(*args, xp=xp, **kwargs))
            except Exception as e:      # compared below
                results[xp] = ("err", e)
        (kn, rn), (kd, rd) = results[np], results[dc]
        assert kn == kd, (results[np], results[dc])
        if kn == "err":
            assert type(rn) is type(rd), (rn, rd)
            return
        _compare(rn, rd)
    sig = inspect.signature(func)
    wrapper.__signature__ = sig.replace(
        parameters=[p for n, p in sig.parameters.items() if n != "xp"])
    return wrapper


def _compare(a, b):
    if isinstance(a, np.ndarray):
        assert isinstance(b, dc.ndarray), type(b)
        b = np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _compare(x, y)
    else:
        assert type(a) is type(b), (a, b)
        assert a == b or (a != a and b != b), (a, b)


DTYPES = ["bool", "int8", "uint8", "int32", "int64", "uint64", "float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@numpy_cupy_equal
def test_operators_all_dtypes(dtype, xp):
    a = xp.asarray(np.arange(-6, 6).astype(dtype))
    b = xp.asarray(np.arange(6, -6, -1).astype(dtype))
    out = []
    for f in (lambda: a + b, lambda: a * b, lambda: a == b, lambda: a < 3, lambda: a & b,
              lambda: a | b, lambda: a ^ b, lambda: ~a, lambda: -a, lambda: abs(a),
              lambda: a - b, lambda: a // 3, lambda: a % 5, lambda: a / 2, lambda: a ** 2,
              lambda: 2 + a, lambda: 1.5 * a, lambda: a << 1, lambda: a >> 1):
        try:
            with np.errstate(all="ignore"):
                out.append(f())
        except TypeError as e:
            out.append(type(e).__name__)
    return tuple(out)


@numpy_cupy_equal
def test_weak_scalar_promotion(xp):
    a = xp.asarray(np.arange(5, dtype=np.float32))
    i = xp.asarray(np.arange(5, dtype=np.uint8))
    return (a + 1.0, a * 3, i + 1, i * 2.5, i + True, a > 2.0, i == 3)


@numpy_cupy_equal
def test_integer_scalar_out_of_bounds(xp):
    return xp.asarray(np.arange(5, dtype=np.uint8)) + 300


@numpy_cupy_equal
def test_broadcasting_and_mixed(xp):
    a = xp.asarray(np.arange(12.0).reshape(3, 4))
    b = xp.asarray(np.arange(4.0))
    c = xp.asarray(np.arange(3.0).reshape(3, 1))
    return a + b, a * c, b - c, a + np.ones(4), a.T + 1, a[:, ::-1] * a[::-1]


@numpy_cupy_equal
def test_broadcast_mismatch_raises(xp):
    return xp.asarray(np.ones(3)) + xp.asarray(np.ones(4))


@numpy_cupy_equal
def test_inplace_operators(xp):
    a = xp.asarray(np.arange(10.0))
    a += 1
    a *= a
    a[2:5] -= 1
    b = xp.asarray(np.arange(10))
    b //= 3
    a[1:] += a[:-1]            # overlapping in-place: NumPy's buffered semantics
    return a, b


@numpy_cupy_equal
def test_inplace_casting_error(xp):
    b = xp.asarray(np.arange(10))
    b += 1.5


@numpy_cupy_equal
def test_indexing(xp):
    a = xp.asarray(np.arange(60).reshape(3, 4, 5))
    return (a[1], a[1, 2], a[..., 1], a[:, None, 1:3], a[::-1, ::2], a[[0, 2]],
            a[a > 30], a[1, 2, 3], a[-1], a[np.array([True, False, True])])


@numpy_cupy_equal
def test_index_errors(xp):
    a = xp.asarray(np.arange(10))
    errors = []
    for key in (10, (1, 2), "x", 1.5):
        try:
            a[key]
        except Exception as e:
            errors.append(type(e).__name__)
    return tuple(errors)


@numpy_cupy_equal
def test_setitem(xp):
    a = xp.zeros((3, 4))
    a[1] = 5
    a[:, 2] = xp.asarray(np.arange(3.0))
    a[a > 4] = -1
    a[0, :2] = [7, 8]
    return a


def test_views_share_memory():
    a = dc.arange(10.0)
    v = a[2:5]
    assert v.base is a and isinstance(v, dc.ndarray)
    v[0] = 100
    assert a[2] == 100
    r = a.reshape(2, 5)
    assert r.base is a
    n = np.asarray(a)
    n[0] = -1
    assert a[0] == -1
    assert n.ctypes.data == a.__array_interface__["data"][0]


def test_asarray_zero_copy_and_array_protocols():
    a = dc.arange(6.0).reshape(2, 3)
    assert np.shares_memory(np.asarray(a), np.asarray(a))
    assert np.asarray(a).__array_interface__["data"][0] == a.__array_interface__["data"][0]
    with pytest.raises(ValueError):
        a.__array__(dtype=np.float32, copy=False)
    assert a.__array__(copy=True).ctypes.data != a.__array_interface__["data"][0]
    m = memoryview(a)
    assert m.shape == (2, 3) and m.format == "d"
    assert a.__array_namespace__() is dc
    b = dc.from_dlpack(a)
    assert isinstance(b, dc.ndarray)
    np.testing.assert_array_equal(np.from_dlpack(a), np.asarray(a))


def test_read_only_views():
    a = dc.arange(5.0)
    a.flags.writeable = False
    with pytest.raises(ValueError):
        a[0] = 1
    with pytest.raises(ValueError):
        np.asarray(a)[0] = 1


@numpy_cupy_equal
def test_attributes(xp):
    a = xp.asarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4))[:, ::2]
    return (a.shape, a.strides, a.ndim, a.size, a.itemsize, a.nbytes,
            a.flags.c_contiguous, a.flags.f_contiguous, a.T.shape, len(a),
            str(a.dtype), a.real, a.imag)


@numpy_cupy_equal
def test_scalar_conversions(xp):
    a = xp.asarray(np.array([3.5]))
    return float(a), int(a), bool(a), xp.asarray(np.array(2)).__index__()


@numpy_cupy_equal
def test_zero_d_and_empty(xp):
    z = xp.asarray(np.array(3.0))
    e = xp.asarray(np.zeros((0, 3)))
    return z + 1, z * z, e + 1, e.sum(), e.sum(axis=0), xp.exp(e), z.shape


@numpy_cupy_equal
def test_empty_reduction_errors(xp):
    return xp.asarray(np.zeros(0)).max()


@pytest.mark.parametrize("dtype", ["int32", "float64", "bool", "uint8"])
@numpy_cupy_equal
def test_methods(dtype, xp):
    a = xp.asarray((np.arange(24) % 7).astype(dtype).reshape(4, 6))
    return (a.sum(), a.sum(axis=0), a.sum(axis=1, keepdims=True), a.prod(axis=1),
            a.min(), a.max(axis=0), a.argmin(), a.argmax(axis=1), a.any(), a.all(axis=0),
            a.mean(), a.std(), a.var(axis=0), a.cumsum(), a.cumprod(axis=0),
            a.astype(np.float32), a.copy(), a.ravel(), a.flatten(), a.transpose(),
            a.swapaxes(0, 1), a.reshape(6, 4), a.squeeze(), a.clip(1, 4), a.round(),
            a.nonzero(), np.sort(a, axis=1), a.argsort(axis=0), a.tolist(), a.item(3),
            a.tobytes(), a.view(np.uint8) if dtype == "uint8" else a.view())


@numpy_cupy_equal
def test_method_errors(xp):
    a = xp.asarray(np.arange(6))
    errs = []
    for f in (lambda: a.reshape(4), lambda: a.sum(axis=3), lambda: a.astype("x9")):
        try:
            f()
        except Exception as e:
            errs.append(type(e).__name__)
    return tuple(errs)


@numpy_cupy_equal
def test_namespace_functions(xp):
    a = xp.asarray(np.arange(12.0).reshape(3, 4))
    return (xp.concatenate([a, a]), xp.stack([a, a]), xp.hstack([a, a]),
            xp.vstack([a, a]), xp.split(a, 2, axis=1)[1], xp.broadcast_to(a[0], (2, 4)),
            xp.expand_dims(a, 0), xp.moveaxis(a, 0, 1), xp.where(a > 3, a, -a),
            xp.take(a, [0, 2]), xp.repeat(a, 2), xp.tile(a, 2), xp.flip(a),
            xp.matmul(a, a.T), xp.dot(a[0], a[1]), xp.vdot(a[0], a[1]),
            xp.linspace(0, 1, 5), xp.eye(3), xp.identity(2), xp.arange(5),
            xp.zeros_like(a), xp.ones_like(a), xp.full_like(a, 7), xp.empty_like(a).shape,
            xp.full((2, 2), 3), xp.frombuffer(b"\x00\x01", dtype=np.uint8),
            xp.broadcast_arrays(a, a[0])[1], xp.sqrt(a), xp.add.reduce(a, axis=1),
            xp.add.accumulate(a), xp.multiply.outer(a[0], a[1]), xp.sum(a),
            xp.add.reduceat(a[0], [0, 2]), xp.pi, xp.e, xp.newaxis, xp.float32)


def test_ufunc_at_and_out():
    a = dc.zeros(5)
    dc.add.at(a, [0, 0, 1], 1)
    np.testing.assert_array_equal(np.asarray(a), [2, 1, 0, 0, 0])
    out = dc.empty(5)
    r = np.add(a, 1, out=out)
    assert r is out
    np.testing.assert_array_equal(np.asarray(out), [3, 2, 1, 1, 1])


def test_numpy_functions_accept_dc_arrays_and_return_dc():
    a = dc.arange(10.0)
    for f in (np.sum, np.mean, np.cumsum, np.sort, np.exp, np.concatenate):
        r = f([a, a]) if f is np.concatenate else f(a)
        assert isinstance(r, (dc.ndarray, np.floating)), f
    assert isinstance(np.arange(3) + dc.ones(3), dc.ndarray)
    assert isinstance(np.add(np.arange(3.0), dc.ones(3)), dc.ndarray)


def test_every_public_numpy_name_exists():
    missing = [n for n in dir(np) if not n.startswith("_") and not hasattr(dc, n)
               and n not in ("matrix", "test", "show_config")]
    assert not missing, missing


def test_repr_uses_class_name():
    assert repr(dc.arange(3)) == "ndarray([0, 1, 2])"
    assert str(dc.arange(3.0)) == str(np.arange(3.0))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_and_copy(protocol):
    a = dc.asarray(np.arange(12.0).reshape(3, 4))[:, 1:]
    b = pickle.loads(pickle.dumps(a, protocol=protocol))
    assert isinstance(b, dc.ndarray)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    c, d = copy.copy(a), copy.deepcopy(a)
    np.testing.assert_array_equal(np.asarray(c), np.asarray(d))


def test_pickle5_out_of_band():
    a = dc.arange(1000.0)
    buffers = []
    data = pickle.dumps(a, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1 and len(data) < 1000
    b = pickle.loads(data, buffers=buffers)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_named_tuple_results_are_wrapped():
    x = dc.asarray(np.arange(12.0).reshape(4, 3) ** 1.5)
    q, r = np.linalg.qr(x)
    res = np.linalg.qr(x)
    assert type(res).__name__ == "QRResult" and isinstance(res.Q, dc.ndarray)
    assert isinstance(q, dc.ndarray) and isinstance(r, dc.ndarray)
    assert isinstance(np.linalg.svd(x).U, dc.ndarray)
    np.testing.assert_allclose(np.asarray(q @ r), np.asarray(x), atol=1e-12)


def _same_memory(a, b):
    return np.shares_memory(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("layout", ["C", "F", "strided", "0d", "empty", "f32"])
def test_pickle5_out_of_band_no_copy(layout):
    base = np.arange(60.0).reshape(6, 10)
    x = {"C": dc.asarray(base), "F": dc.asarray(base, order="F"),
         "strided": dc.asarray(base)[:, ::3], "0d": dc.asarray(np.float64(2.5)),
         "empty": dc.empty((0, 4)), "f32": dc.asarray(base, dtype=np.float32)}[layout]
    buffers = []
    data = pickle.dumps(x, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1 and len(data) < 200
    # the receiving side gets plain writable memory (as from a socket)
    received = [bytearray(b.raw()) for b in buffers]
    y = pickle.loads(data, buffers=received)
    assert isinstance(y, dc.ndarray) and y.shape == x.shape and y.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x))
    if x.size:
        assert np.shares_memory(np.asarray(y), np.frombuffer(received[0], np.uint8))
    assert y.flags.writeable
    y[...] = 1     # and it is usable


def test_pickle5_read_only_buffer_gives_read_only_array_like_numpy():
    def roundtrip(x):
        buffers = []
        data = pickle.dumps(x, protocol=5, buffer_callback=buffers.append)
        return pickle.loads(data, buffers=[bytes(b.raw()) for b in buffers])
    y, yn = roundtrip(dc.arange(10.0)), roundtrip(np.arange(10.0))
    assert isinstance(y, dc.ndarray)
    assert y.flags.writeable == yn.flags.writeable == False  # noqa: E712
    np.testing.assert_array_equal(np.asarray(y), yn)


def test_pickle_in_band_still_copies_to_writable():
    x = dc.arange(10.0)
    for protocol in (2, 4, 5):
        y = pickle.loads(pickle.dumps(x, protocol=protocol))
        assert y.flags.writeable and not _same_memory(x, y)


def test_results_in_pool_and_returned():
    pool = dc.get_default_memory_pool()
    a = dc.ones(100000)
    used = pool.used_bytes()
    b = a + a
    assert pool.used_bytes() >= used + b.nbytes
    del b
    assert pool.used_bytes() == used
    c = np.cumsum(a)                 # NumPy fallback: result allocated by the pool too
    assert isinstance(c, dc.ndarray)
    assert pool.used_bytes() >= used + c.nbytes


def test_bad_shapes():
    with pytest.raises(ValueError):
        dc.empty(-1)
    with pytest.raises(ValueError):
        dc.empty((2 ** 40, 2 ** 40))
    for shape in (2 ** 63, (3, 2 ** 70)):     # beyond intp: NumPy's ValueError too
        with pytest.raises(ValueError, match="Maximum allowed dimension exceeded"):
            dc.zeros(shape)
    with pytest.raises(TypeError):
        dc.empty("x")
    with pytest.raises(TypeError):
        dc.asarray([object()])


def test_submodules_return_dc_arrays():
    np.random.seed(0)
    a = np.random.rand(3, 3) + np.eye(3) * 3
    dc_a = dc.asarray(a)
    inv = dc.linalg.inv(dc_a)
    assert isinstance(inv, dc.ndarray)
    np.testing.assert_allclose(np.asarray(inv), np.linalg.inv(a))
    f = dc.fft.fft(dc.ones(4))
    assert isinstance(f, dc.ndarray) and f.dtype == np.complex128
    np.random.seed(1)
    expected = np.random.rand(5)
    dc.random.seed(1)           # the same global generator as NumPy's
    np.testing.assert_array_equal(np.asarray(dc.random.rand(5)), expected)
    with pytest.raises(np.linalg.LinAlgError):
        dc.linalg.inv(dc.zeros((2, 2)))


EMPTY_SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0)]


@pytest.mark.parametrize("shape", EMPTY_SHAPES)
@pytest.mark.parametrize("make", [
    lambda m, s: m.empty(s), lambda m, s: m.empty(s, order="F"),
    lambda m, s: m.zeros(s, dtype="f4"), lambda m, s: m.ones(s, dtype="int8"),
    lambda m, s: m.full(s, 2.0), lambda m, s: m.empty_like(m.ones(s)),
    lambda m, s: m.zeros_like(m.ones((4,) + s[1:])[:0]),
    lambda m, s: m.ones((4,) + s[1:])[:0].copy(), lambda m, s: m.ones(s).astype("f4"),
    lambda m, s: m.ones(s) + 1.0, lambda m, s: m.exp(m.ones(s)), lambda m, s: m.ones(s).T,
], ids=["empty", "empty-F", "zeros", "ones", "full", "empty_like", "zeros_like-of-view",
        "copy-of-view", "astype", "add", "exp", "T"])
def test_new_empty_arrays_have_numpys_strides(make, shape):
    """A new array of no elements has zero strides in NumPy 2 (a view of one keeps its
    base's); the same arrays of ours, which stay usable (reshape, transpose, NumPy)."""
    want, got = make(np, shape), make(dc, shape)
    assert got.strides == want.strides and got.shape == want.shape
    assert (got.flags.c_contiguous, got.flags.f_contiguous) == \
        (want.flags.c_contiguous, want.flags.f_contiguous)
    assert np.asarray(got).strides == want.strides
    assert got.reshape(-1).shape == (0,) and got.T.strides == want.T.strides
    np.testing.assert_array_equal(np.asarray(got.sum(axis=-1)), want.sum(axis=-1))


def test_views_of_empty_arrays_keep_numpys_strides():
    for m in (np, dc):
        a = m.ones((4, 3))
        assert a[:0].strides == (24, 8) and a[:, :0].strides == (24, 8)
        assert m.ones(0).reshape(0, 3).strides == (24, 8)


_INNER = np.dtype({"names": ["p"], "formats": ["i4"], "itemsize": 8})


@pytest.mark.parametrize("dtype", [
    np.dtype({"names": ["a"], "formats": ["i4"], "itemsize": 12}),
    np.dtype({"names": ["a", "b"], "formats": ["i1", "f8"], "offsets": [0, 8], "itemsize": 24}),
    np.dtype({"names": ["a", "b"], "formats": ["i4", "i4"], "offsets": [4, 12], "itemsize": 20}),
    np.dtype([("a", "i1"), ("b", "f8")], align=True),
    np.dtype([("a", "i1"), ("b", "f8")]),
    np.dtype([("x", _INNER), ("y", "i4")]),
    np.dtype([("x", _INNER, (3,)), ("y", "i8")]),
    np.dtype([("x", [("p", "u1"), ("q", "f4")], (2,)), ("y", "<i2")], align=True),
    np.dtype([("a", "i1"), ("b", ">i8"), ("c", "U2")], align=True),
    np.dtype({"names": ["a"], "formats": ["V3"], "itemsize": 5}),
], ids=lambda d: str(d.descr))
def test_structured_dtypes_with_padding_round_trip(dtype):
    """Padded structured dtypes (trailing padding, nested, aligned): np.asarray of a dc
    array -- through the buffer protocol -- gives the same dtype and values."""
    x = np.zeros(5, dtype)
    x.view(np.uint8)[:] = np.arange(x.nbytes, dtype=np.uint64) % 251
    a = dc.asarray(x)
    got = np.asarray(a)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, x)        # field by field (padding bytes aside)
    assert np.shares_memory(got, np.asarray(a))
    m = memoryview(a)
    assert m.itemsize == dtype.itemsize and m.nbytes == x.nbytes
    assert np.asarray(dc.zeros(3, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize("axes", [
    (), (None,), ((1, 0, 2),), ([2, 0, 1],), ((np.int64(2), 1, 0),),
    (np.array([1, 2, 0]),), (np.array([2, 1, 0], dtype=np.int32),), (1, 2, 0),
    (np.int64(0), np.int64(2), np.int64(1)),
    # bad: NumPy's exception types
    ((0, 1),), ((0, 0, 1),), ((0, 1, 3),), (np.array([[1, 0, 2]]),), ((0.0, 1, 2),),
])
def test_transpose_argument_forms_match_numpy(axes):
    """ndarray.transpose takes what NumPy's does: nothing, None, a tuple or list, a NumPy
    integer array, or the axes as separate (NumPy) integers; bad axes raise NumPy's type."""
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    d = dc.asarray(a)
    try:
        want = a.transpose(*axes)
    except Exception as e:            # noqa: BLE001 - compare the exception type
        with pytest.raises(type(e)):
            d.transpose(*axes)
        return
    got = d.transpose(*axes)
    assert got.shape == want.shape and got.strides == want.strides
    np.testing.assert_array_equal(np.asarray(got), want)
    got[0, 0, 0] = -1.0                 # a view: element [0, 0, 0] is d's first
    assert float(d[0, 0, 0]) == -1.0


@pytest.mark.parametrize("dtype", ["c16", "c8", ">c16", "<c8", "f8", "i4", "f4"])
def test_real_imag_conj_and_T_views_match_numpy(dtype):
    # .real / .imag of complex arrays and .T are dc views built directly: NumPy's dtype
    # (byte order kept), shape, strides, contiguity flags and writeability; writes reach
    # the parent. A real array's .real is the array itself, as NumPy's; conj(out) returns
    # out; conj of a real array returns the array itself.
    z0 = (np.arange(24) * (1 + 2j) if np.dtype(dtype).kind == "c"
          else np.arange(24)).astype(dtype).reshape(4, 6)
    views = [lambda a: a, lambda a: a[::-1, 1::2], lambda a: a.T, lambda a: a[1],
             lambda a: a[0, 0, ...], lambda a: a[:0], lambda a: np.asfortranarray(a)
             if isinstance(a, np.ndarray) else dc.asfortranarray(a)]
    for view in views:
        z = view(z0.copy())
        d = view(dc.asarray(z0))
        for attr in ("real", "imag", "T"):
            e, g = getattr(z, attr), getattr(d, attr)
            assert type(g) is dc.ndarray, attr
            assert g.dtype == e.dtype and g.shape == e.shape and g.strides == e.strides, attr
            for flag in ("C_CONTIGUOUS", "F_CONTIGUOUS", "WRITEABLE"):
                assert g.flags[flag] == e.flags[flag], (attr, flag)
            np.testing.assert_array_equal(np.asarray(g), e)
        assert (d.real is d) == (z.real is z)
        c, ce = d.conj(), z.conj()
        assert c.dtype == ce.dtype and c.shape == ce.shape
        np.testing.assert_array_equal(np.asarray(c), ce)
        assert (d.conjugate() is d) == (z.conjugate() is z)
        out, oute = dc.empty(d.shape, d.dtype), np.empty(z.shape, z.dtype)
        assert d.conj(out) is out and z.conj(oute) is oute
        np.testing.assert_array_equal(np.asarray(out), oute)
    d = dc.asarray(z0)
    z = z0.copy()
    if z.dtype.kind == "c":
        d.real[1:3] = 7.0
        d.imag[:, 2] = -1.0
        z.real[1:3] = 7.0
        z.imag[:, 2] = -1.0
        d.T[0, 1] = 3 + 4j
        z.T[0, 1] = 3 + 4j
    else:
        d.T[0, 1] = 3
        z.T[0, 1] = 3
    np.testing.assert_array_equal(np.asarray(d), z)
    assert d.real.base is d if z.dtype.kind == "c" else d.real is d
