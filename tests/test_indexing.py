"""Indexing, element assignment, iteration and the thin per-call paths, against NumPy.

Basic keys (ints, NumPy ints, slices, None, Ellipsis) are computed in C
(`dotcompute._core._indexing`) and give views built directly or NumPy scalars; the rest runs
NumPy's indexing. Every case is compared with NumPy: values, dtype, shape, strides, view
semantics (writes through a view reach the parent, `.base`, flags) and exception types.
CI reruns this file under each forced kernel build (DOTCOMPUTE_CPU_CAPABILITY).
"""
import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core._indexing import index_layout

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


# ----------------------------------------------------------------- strategies

def _entry():
    small = st.integers(-7, 7)
    bound = st.one_of(st.none(), st.integers(-8, 8))
    return st.one_of(
        small,
        small.map(np.int32),
        small.map(np.intp),
        st.builds(slice, bound, bound, st.sampled_from([None, 1, 2, 3, -1, -2])),
        st.none(),
        st.just(Ellipsis),
        # keys that are not basic: NumPy's path (and its errors)
        st.sampled_from([True, False]),
        st.lists(st.integers(-3, 3), min_size=0, max_size=3),
        st.just(np.array(1)),
    )


keys = st.one_of(_entry(), st.lists(_entry(), max_size=5).map(tuple))


@st.composite
def arrays(draw):
    """(numpy array, dc array with the same layout: values, shape and strides)."""
    nd = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=nd, max_size=nd)))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int8, np.uint16,
                                  np.complex128, np.bool_]))
    n = int(np.prod(shape))
    flat = (np.arange(2 * n) % 7).astype(dtype)
    step = draw(st.sampled_from([1, 2]))
    a = flat[: n * step : step].reshape(shape) if nd else flat[:1].reshape(())
    d = dc.asarray(np.ascontiguousarray(flat))
    d = d[: n * step : step].reshape(shape) if nd else d[:1].reshape(())
    if nd >= 2 and draw(st.booleans()):
        a, d = a.T, d.T
    if nd >= 1 and draw(st.booleans()):
        a, d = a[::-1], d[::-1]
    return a, d


def _run(f):
    try:
        return f(), None
    except Exception as e:     # the exception itself is compared
        return None, e


def _same_result(got, ref):
    if isinstance(ref, np.ndarray):
        assert isinstance(got, dc.ndarray), type(got)
        assert got.dtype == ref.dtype and got.shape == ref.shape
        np.testing.assert_array_equal(np.asarray(got), ref)
        if ref.size > 1:
            for e, s1, s2 in zip(ref.shape, got.strides, ref.strides):
                assert e <= 1 or s1 == s2, (got.strides, ref.strides)
        assert got.flags.c_contiguous == ref.flags.c_contiguous
        assert got.flags.f_contiguous == ref.flags.f_contiguous
        assert got.flags.writeable == ref.flags.writeable
    else:
        assert type(got) is type(ref), (type(got), type(ref))
        assert got == ref or (got != got and ref != ref)


# ----------------------------------------------------------------- getitem

@settings(max_examples=600, deadline=None)
@given(arrays(), keys)
def test_getitem_matches_numpy(pair, key):
    a, d = pair
    ref, ref_exc = _run(lambda: a[key])
    got, exc = _run(lambda: d[key])
    if ref_exc is not None:
        assert exc is not None and type(exc) is type(ref_exc), (key, exc, ref_exc)
        if isinstance(ref_exc, IndexError):
            assert str(exc) == str(ref_exc)
        return
    assert exc is None, (key, exc)
    _same_result(got, ref)


@settings(max_examples=300, deadline=None)
@given(arrays(), keys)
def test_basic_views_write_through_and_base(pair, key):
    a, d = pair
    ref, ref_exc = _run(lambda: a[key])
    if ref_exc is not None or not isinstance(ref, np.ndarray) or ref.size == 0:
        return
    if index_layout(d.shape, d.strides, key) is None:
        return                                  # advanced indexing: a copy, as NumPy's
    v = d[key]
    root = d if d.base is None else d.base
    assert v.base is root
    assert np.shares_memory(np.asarray(v), np.asarray(d))
    value = np.asarray(v).flat[0]
    v[(0,) * v.ndim] = 1 if value == 0 else 0
    ref[(0,) * ref.ndim] = 1 if value == 0 else 0
    np.testing.assert_array_equal(np.asarray(d), a)


def test_index_layout_matches_numpy():
    rng = np.random.default_rng(0)
    base = np.arange(4 * 5 * 3 * 2.0).reshape(4, 5, 3, 2)
    choices = [0, 1, -1, 3, -4, np.int64(2), slice(None), slice(1, None, 2),
               slice(None, None, -1), slice(5, -9, -2), None, Ellipsis]
    for a in (base, base.T, base[::2, :, ::-1]):
        for _ in range(2000):
            n = rng.integers(0, 6)
            key = tuple(choices[i] for i in rng.integers(0, len(choices), n))
            try:
                ref = a[key]
            except IndexError as e:
                with pytest.raises(IndexError, match=str(e).replace("(", r"\(").replace(
                        ")", r"\)").replace(".", r"\.")):
                    index_layout(a.shape, a.strides, key)
                continue
            m = index_layout(a.shape, a.strides, key)
            assert m is not None
            scalar, off, shape, strides = m
            if scalar:
                assert not isinstance(ref, np.ndarray)
                assert base.reshape(-1)[(a.ctypes.data + off - base.ctypes.data) // 8] == ref
            else:
                assert ref.shape == shape
                if ref.size:
                    assert ref.ctypes.data - a.ctypes.data == off
                    for e, s1, s2 in zip(shape, ref.strides, strides):
                        assert e <= 1 or s1 == s2


def test_scalar_results_are_numpy_scalars():
    for dt in (np.float64, np.float32, np.int8, np.uint64, np.complex64, np.bool_,
               np.dtype(">f8"), np.dtype("M8[s]"), np.dtype("S3"), np.dtype("U2")):
        a = np.zeros((3, 4), dt)
        if a.dtype.kind in "SU":
            a[1, 2] = "ab"
        elif a.dtype.kind == "M":
            a[1, 2] = np.datetime64(7, "s")
        else:
            a[1, 2] = 1
        d = dc.asarray(a)
        for key in ((1, 2), (-2, -2), (np.int16(1), 2)):
            got, ref = d[key], a[key]
            assert type(got) is type(ref) and got == ref
        assert type(d[1][2]) is type(a[1][2]) and d[1][2] == a[1][2]


def test_structured_scalars_view_like_numpy():
    dt = np.dtype([("x", "f8"), ("n", "i4")])
    a = np.zeros(4, dt)
    d = dc.asarray(a.copy())
    assert type(d[1]) is type(a[1])
    d[1]["x"] = 2.5                     # a void scalar views the array, as NumPy's
    a[1]["x"] = 2.5
    assert d.tolist() == a.tolist()
    assert [tuple(r) for r in d] == [tuple(r) for r in a]


def test_views_of_read_only_arrays_are_read_only():
    d = dc.arange(12.0).reshape(3, 4)
    d.setflags(write=False)
    for key in (1, (slice(None), 2), (None, Ellipsis)):
        assert not d[key].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        d[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        d[0] = 1.0


# ----------------------------------------------------------------- setitem

_VALUES = [1.5, -2, True, 3 + 0j, np.float32(0.25), np.int8(-3), np.float64(7.0), 300,
           -1, [1, 2, 3, 4], np.arange(4.0), "x"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int8, np.uint8,
                                   np.complex128, np.bool_])
@pytest.mark.parametrize("key", [(1, 2), -1, (slice(None), 1), (Ellipsis, 0), (0, None),
                                 (slice(1, None, -1),), ([0, 2], 1),
                                 (np.array([True, False, True]),)])
def test_setitem_matches_numpy(dtype, key):
    import warnings
    for value in _VALUES:
        a = np.arange(12).reshape(3, 4).astype(dtype)
        d = dc.asarray(a.copy())
        with warnings.catch_warnings(record=True) as w_ref:
            warnings.simplefilter("always")
            _, ref_exc = _run(lambda: a.__setitem__(key, value))
        with warnings.catch_warnings(record=True) as w_got:
            warnings.simplefilter("always")
            _, exc = _run(lambda: d.__setitem__(key, value))
        if ref_exc is not None:
            assert exc is not None and type(exc) is type(ref_exc), (key, value, exc)
            continue
        assert exc is None, (key, value, exc)
        assert [type(x.message) for x in w_got] == [type(x.message) for x in w_ref]
        np.testing.assert_array_equal(np.asarray(d), a)
        assert d.dtype == a.dtype


def test_setitem_from_dc_arrays_and_overlap():
    a = np.arange(10.0)
    d = dc.asarray(a.copy())
    a[1:] = a[:-1]
    d[1:] = d[:-1]                           # overlapping: NumPy copies first
    np.testing.assert_array_equal(np.asarray(d), a)
    a[3] = np.array(9.0)
    d[3] = dc.asarray(np.array(9.0))
    np.testing.assert_array_equal(np.asarray(d), a)
    L = np.zeros((5, 5))
    Lc = dc.zeros((5, 5))
    L[2:, 1] = np.arange(3.0)
    Lc[2:, 1] = dc.arange(3.0)               # strided column assignment
    np.testing.assert_array_equal(np.asarray(Lc), L)


_REGION_KEYS = [slice(0, 3), slice(None, None, -1), (slice(1, None), 2), (1,), (Ellipsis, 1),
                (slice(None), slice(None, None, 2)), (slice(2, 0, -1), slice(1, 3)),
                (None, 0), (slice(0, 0),), (0, slice(None))]


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(_REGION_KEYS),
       dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int16, np.uint8,
                              np.bool_]),
       source=st.sampled_from(["py_float", "py_int", "np_scalar", "zero_d", "row", "same",
                               "self_reversed", "self_shifted", "self_T", "other_dtype",
                               "numpy_array", "column", "list"]),
       order=st.sampled_from("CF"))
def test_region_assignment_as_numpy(key, dtype, source, order):
    """a[region] = value through the copy kernel (scalars converted once as NumPy does,
    arrays of a's dtype broadcast to the region, views of a itself) against NumPy."""
    a = np.asarray(np.arange(20).reshape(4, 5) % 7, dtype=dtype, order=order)
    d = dc.asarray(a.copy(order="K"))
    region = a[key]

    def value(xp, arr):
        if source == "py_float":
            return 2.75
        if source == "py_int":
            return 3
        if source == "np_scalar":
            return np.float32(-1.5)
        if source == "zero_d":
            return xp.asarray(np.array(5, dtype))
        if source == "row":
            return xp.asarray(np.arange(region.shape[-1] if region.ndim else 1, dtype=dtype))
        if source == "same":
            return xp.asarray(np.full(region.shape, 4, dtype))
        if source == "self_reversed":
            return arr[::-1][key]
        if source == "self_shifted":
            return arr[1:][key] if region.ndim and region.shape[0] < 4 else arr[key]
        if source == "self_T":
            return arr.T.T[key]
        if source == "other_dtype":
            return xp.asarray(np.ones(region.shape, np.float64) * 1.5)
        if source == "numpy_array":
            return np.full(region.shape, 6, dtype)
        if source == "column":
            return xp.asarray(np.arange(region.shape[0] if region.ndim else 1,
                                        dtype=dtype)[:, None]) if region.ndim == 2 else 1
        return [1] * (region.shape[-1] if region.ndim else 1)

    _, ref_exc = _run(lambda: a.__setitem__(key, value(np, a)))
    _, exc = _run(lambda: d.__setitem__(key, value(dc, d)))
    assert type(exc) is type(ref_exc), (exc, ref_exc)
    np.testing.assert_array_equal(np.asarray(d), a)
    assert d.dtype == a.dtype and d.strides == a.strides


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, np.complex128])
@pytest.mark.parametrize("key", [(1, 2), (-1, -5), (2, 4), (3, 0), (0, -6), (True, 1),
                                 (np.int64(1), 2), (1, 2, 0), (2 ** 70, 0)])
@pytest.mark.parametrize("value", [1.25, np.float64(-2.5), 7, np.float32(3.5), 1000, "x"])
def test_setitem_of_an_integer_tuple_as_numpy(dtype, key, value):
    """a[i, j] = v through the integer-tuple fast path: NumPy's element, conversion and
    exception type (out of bounds, too many indices, values that do not fit)."""
    a = np.zeros((3, 5), dtype)
    d = dc.asarray(a.copy())
    _, ref_exc = _run(lambda: a.__setitem__(key, value))
    _, exc = _run(lambda: d.__setitem__(key, value))
    assert type(exc) is type(ref_exc), (exc, ref_exc)
    np.testing.assert_array_equal(np.asarray(d), a)


def test_setitem_errors_match_numpy():
    a = np.zeros((3, 4), np.int8)
    d = dc.zeros((3, 4), np.int8)
    for key, value in (((5, 0), 1), ((0, 0, 0), 1), ((0, 0), 1000), ((0, 0), "x"),
                       ((0, 0), [1, 2]), (slice(None), [1, 2, 3]), ((0, 0), None)):
        _, ref_exc = _run(lambda: a.__setitem__(key, value))
        _, exc = _run(lambda: d.__setitem__(key, value))
        assert ref_exc is not None
        assert type(exc) is type(ref_exc), (key, value, exc, ref_exc)


# ----------------------------------------------------------------- iteration

@pytest.mark.parametrize("shape", [(5,), (4, 2), (3, 2, 2), (0,), (0, 3)])
def test_iteration_matches_numpy(shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    d = dc.asarray(a.copy())
    got, ref = list(d), list(a)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        _same_result(g, r)
    if len(shape) == 2 and shape[0]:
        x, y = d[1]                           # tuple unpacking
        assert (x, y) == tuple(a[1]) and type(x) is np.float64
        row = next(iter(d))
        assert row.base is d
        row[0] = 42.0                         # rows are views
        assert d[0, 0] == 42.0
    with pytest.raises(TypeError):
        iter(dc.asarray(np.float64(1.0)))


def test_len_shape_float():
    a = np.arange(6.0).reshape(3, 2)
    d = dc.asarray(a)
    assert len(d) == len(a) and d.shape == a.shape and d.strides == a.strides
    assert float(d[1, 0]) == float(a[1, 0]) and float(d[1][0]) == float(a[1][0])
    with pytest.raises(TypeError):
        len(dc.asarray(np.float64(1.0)))


# ----------------------------------------------------------------- matmul and the fallback

@pytest.mark.parametrize("n", [2, 7, 100, 1000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.complex128])
def test_matmul_slices(n, dtype):
    rng = np.random.default_rng(n)
    L = (rng.uniform(size=(n + 1, n + 1)) * 10).astype(dtype)
    x = (rng.uniform(size=n + 1) * 10).astype(dtype)
    Ld, xd = dc.asarray(L), dc.asarray(x)
    for got, ref in ((Ld[n, :n] @ xd[:n], L[n, :n] @ x[:n]),
                     (Ld[:n, :n] @ xd[:n], L[:n, :n] @ x[:n]),
                     (xd[:n] @ Ld[:n, :n], x[:n] @ L[:n, :n]),
                     (Ld[::2, :n][:, ::-1] @ xd[:n], L[::2, :n][:, ::-1] @ x[:n])):
        assert np.asarray(got).dtype == np.asarray(ref).dtype
        assert type(got) is (dc.ndarray if isinstance(ref, np.ndarray) else type(ref))
        np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-5 if dtype == np.float32
                                   else 1e-12)
    with pytest.raises(ValueError):
        Ld[n, :n] @ xd[: n - 1]
    with pytest.raises(ValueError):
        Ld[n, 0] @ xd[:n]


@pytest.mark.parametrize("n", [10, 100000])
def test_fallback_results_small_and_large(n):
    """Small inputs run NumPy with its own allocator, large ones through the pool: same
    results, dc arrays either way, `out=` returned as given."""
    a = np.linspace(0, 1, n)
    d = dc.asarray(a)
    arctan2 = lambda x: np.arctan2(x, 1.5)          # noqa: E731
    for f in (np.cumsum, np.sort, np.diff, lambda x: np.concatenate([x, x]),
              lambda x: np.outer(x[:10], x[:10]), arctan2,
              lambda x: np.add.accumulate(x), lambda x: np.median(x),
              lambda x: np.divmod(x, 0.3)):
        got, ref = f(d), f(a)
        if f is arctan2:
            # a transcendental: our kernel, and NumPy's loop is SVML on AVX-512 machines
            assert isinstance(got, dc.ndarray) and np.asarray(got).dtype == ref.dtype
            np.testing.assert_array_max_ulp(np.asarray(got), ref, maxulp=4)
            continue
        if isinstance(ref, tuple):
            for g, r in zip(got, ref):
                assert isinstance(g, dc.ndarray)
                np.testing.assert_array_equal(np.asarray(g), r)
        else:
            assert isinstance(got, dc.ndarray) or type(got) is type(ref)
            np.testing.assert_array_equal(np.asarray(got), ref)
    out = dc.empty(n)
    assert np.cumsum(d, out=out) is out
    np.testing.assert_array_equal(np.asarray(out), np.cumsum(a))
    assert np.sqrt(d, out=out) is out
    np.testing.assert_array_equal(np.asarray(out), np.sqrt(a))


def test_numpy_scalar_through_dc_ufunc():
    s = np.float64(2.25)
    assert type(dc.sqrt(s)) is type(np.sqrt(s)) and dc.sqrt(s) == np.sqrt(s)
    assert type(dc.add(s, 1)) is type(np.add(s, 1))


def test_small_creation_matches_numpy():
    for obj in ([1.0, 2.0], [1, 2], [True, False], [1 + 2j, 3.0], [np.float32(1.0), 2.0],
                [np.float64(1.5), np.float64(2.5)], [], [[1.0, 2.0], [3.0, 4.0]]):
        for f in (dc.array, dc.asarray):
            got, ref = f(obj), np.array(obj)
            assert isinstance(got, dc.ndarray)
            assert got.dtype == ref.dtype and got.shape == ref.shape
            np.testing.assert_array_equal(np.asarray(got), ref)
            got[...] = 0 if got.size else got      # writable, own memory
    with pytest.raises(TypeError):
        dc.array([1, "a", None])


@pytest.mark.parametrize("dtype", ["f8", "f4", "i4", "i2", "u1", "?", "c16", "c8"])
@pytest.mark.parametrize("kind", ["random", "runs", "rows"])
def test_mask_fill_with_a_scalar_as_numpy(dtype, kind):
    """`x[mask] = scalar` (the whole shape's mask or the first axis's): NumPy's values on
    random masks (mixed words, a bit select per element), runs (all-true and all-false
    words), odd lengths and complex values into complex arrays; NaN payloads of the
    untouched elements kept."""
    rng = np.random.default_rng(3)
    shape = (37, 29)
    x = (rng.standard_normal(shape) * 5).astype(dtype) if dtype != "?" else \
        rng.random(shape) < 0.5
    if dtype in ("c16", "c8"):
        x = x + 1j * rng.standard_normal(shape).astype(dtype)
    if kind == "random":
        m = rng.random(shape) < 0.4
    elif kind == "runs":
        m = np.zeros(shape, bool)
        m[3:20, 4:27] = True
        m[30] = True
    else:
        m = rng.random(shape[0]) < 0.5
    values = [3, True, -0.0] + ([1.5, float("nan")] if dtype[0] in "fc" else []) \
        + ([2 - 1j] if dtype[0] == "c" else [])
    for v in values:
        e, d = x.copy(), dc.asarray(x.copy())
        e[m] = v
        d[dc.asarray(m)] = v
        got = np.asarray(d)
        assert got.dtype == e.dtype
        np.testing.assert_array_equal(got.view(np.uint8), e.view(np.uint8))


@pytest.mark.parametrize("dtype", ["f4", "i4", "f8", "i8", "c8", "c16", "i2", "u1"])
@pytest.mark.parametrize("row", [None, 1, 2, 3])
def test_mask_gather_and_scatter_as_numpy(dtype, row):
    """`x[mask]` and `x[mask] = values` (values of the selected shape): NumPy's results
    for masks of every length around the 8-entry words (tails), densities from none to
    all (all-false words, runs of all-true words, mixed words: compress / expand in the
    AVX-512 build, bit selects in the others), masks of the first axis with rows of 1-3
    elements (rows of 4, 8, 16 bytes and others), and bool bytes other than 1 (a uint8
    array viewed as bool: any nonzero byte is true, as NumPy reads it)."""
    rng = np.random.default_rng(11)
    for n in list(range(0, 26)) + [63, 64, 65, 200, 1001]:
        for p in (0.0, 0.1, 0.5, 0.9, 1.0):
            shape = (n,) if row is None else (n, row)
            x = (rng.standard_normal(shape) * 9).astype(dtype)
            if dtype[0] == "c":
                x = x + 1j * rng.standard_normal(shape).astype(dtype)
            raw = (rng.random(n) < p).astype(np.uint8)
            raw[raw == 1] = rng.choice(np.array([1, 2, 255], np.uint8), int(raw.sum()))
            m = raw.view(bool)
            d, dm = dc.asarray(x), dc.asarray(m)
            got = d[dm]
            ref = x[m]
            assert got.dtype == ref.dtype and got.shape == ref.shape
            np.testing.assert_array_equal(np.asarray(got).view(np.uint8), ref.view(np.uint8))
            v = (rng.standard_normal(ref.shape) * 3).astype(dtype)
            e = x.copy()
            e[m] = v
            d2 = dc.asarray(x.copy())
            d2[dm] = dc.asarray(v)
            np.testing.assert_array_equal(np.asarray(d2).view(np.uint8), e.view(np.uint8))


@pytest.mark.parametrize("dtype", [bool, np.int8, np.uint16, np.float32, np.int64, np.float64,
                                   np.complex128, np.float16])
def test_scalar_into_strided_slices_as_numpy(dtype):
    """A scalar assigned to a 1-d strided slice (typed stores for 1-8 byte items, a copy
    per element otherwise): NumPy's array after each, for steps forward and backward,
    starts past the end, 2-d rows and columns, and NumPy's conversion errors."""
    n = 1001
    e = np.zeros(n, dtype)
    g = dc.asarray(np.zeros(n, dtype))
    for key, v in ((slice(4, None, 2), 1), (slice(None, None, 7), True), (slice(9, None, 3), 0),
                   (slice(None, None, -5), 3), (slice(2000, None, 3), 1), (slice(1, -1, 999), 1),
                   (slice(None, 10, 4), 2.5 if np.dtype(dtype).kind in "fc" else 2)):
        e[key] = v
        g[key] = v
        np.testing.assert_array_equal(np.asarray(g), e)
    m = np.zeros((30, 40), dtype)
    dm = dc.asarray(m.copy())
    for key in ((slice(None), 3), (5, slice(None, None, 3)), (slice(1, None, 4), 7)):
        m[key] = 1
        dm[key] = 1
        np.testing.assert_array_equal(np.asarray(dm), m)
    if np.dtype(dtype).kind in "iu":
        with pytest.raises(OverflowError):
            np.zeros(10, dtype)[::2] = 1 << 70
        with pytest.raises(OverflowError):
            dc.zeros(10, dtype)[::2] = 1 << 70
