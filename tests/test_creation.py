"""Creation routines against NumPy: empty / zeros / ones / full / *_like / array of short
lists of scalars / arange (the direct paths that fill the layout in C), the pool they
allocate from, and zeros' lazily zeroed large blocks."""
import gc
import warnings

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _memory as m

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

MiB = 1 << 20


def same_array(r, e):
    """r (dotcompute) is e (numpy) in values, dtype, shape, strides and contiguity."""
    assert type(r) is dc.ndarray
    assert r.dtype == e.dtype and r.shape == e.shape and r.strides == e.strides
    assert r.flags.c_contiguous == e.flags.c_contiguous
    assert r.flags.f_contiguous == e.flags.f_contiguous
    np.testing.assert_array_equal(np.asarray(r), e)


def outcome(f):
    """(result, None) or (None, exception type) of f(), warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return f(), None
        except Exception as e:  # noqa: BLE001 - compared with NumPy's
            return None, type(e)


def same_outcome(make):
    """make(dc) gives make(np)'s array or raises its exception type (a MemoryError for a
    MemoryError; the TypeError of dotcompute arrays for NumPy's object arrays)."""
    e, e_err = outcome(lambda: make(np))
    r, r_err = outcome(lambda: make(dc))
    if e_err is None and e.dtype.hasobject:
        e_err = TypeError
    if e_err is not None and issubclass(e_err, MemoryError):
        assert r_err is not None and issubclass(r_err, MemoryError), r_err
        return
    assert r_err is e_err, (r_err, e_err)
    if e_err is None:
        same_array(r, e)


SHAPES = [0, 1, 7, 1000, (), (0,), (3, 0), (2, 3), (1, 5), (5, 1), (2, 3, 4),
          (2, 1, 3, 1, 2), [4, 2], (np.int64(3), 2), np.int32(6)]
DTYPES = [float, np.float32, np.int8, np.int32, np.int64, np.uint16, bool, np.complex64,
          np.complex128, np.float16, "U3", "S2", np.dtype([("a", "i4"), ("b", "f8")]),
          np.dtype(">f8"), np.dtype(np.longlong)]


@pytest.mark.parametrize("shape", SHAPES, ids=repr)
@pytest.mark.parametrize("order", ["C", "F"])
def test_empty_zeros_ones_shapes_and_layouts(shape, order):
    for name in ("zeros", "ones"):
        same_outcome(lambda xp: getattr(xp, name)(shape, order=order))
    e, r = np.empty(shape, order=order), dc.empty(shape, order=order)
    assert (r.shape, r.strides, r.dtype) == (e.shape, e.strides, e.dtype)
    assert r.flags.f_contiguous == e.flags.f_contiguous


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_creation_dtypes(dtype):
    for make in (lambda xp: xp.zeros((3, 2), dtype), lambda xp: xp.ones(5, dtype),
                 lambda xp: xp.full((2, 2), 1, dtype), lambda xp: xp.empty(0, dtype)):
        same_outcome(make)
    assert dc.empty(4, dtype).dtype == np.empty(4, dtype).dtype
    assert dc.empty(4, dtype).strides == np.empty(4, dtype).strides


DTYPE_ARGS = ["f4", "float32", "<f4", ">f8", "f", "d", "i8", "int", "float", "complex",
              "bool", "U", "S", "U5", "S3", "c", "int32", "uint8", "?", "e",
              "i4,f8", np.float32, np.int16, float, int, complex, bool, str, bytes,
              np.bool_, np.str_, np.bytes_, np.dtype("U"), np.dtype("S"),
              np.dtype("f2"), object, "O", "bogus", "int0", "Float64", 3, None]


@pytest.mark.parametrize("dtype", DTYPE_ARGS, ids=repr)
def test_dtype_argument_forms_as_numpy_on_every_call(dtype):
    """Every form of the dtype argument (a type, a string, a dtype, an unsized string
    dtype, nonsense) resolves as NumPy's creation functions resolve it, or raises NumPy's
    exception type, on the first call and on later ones (the resolution is kept per type
    and string)."""
    for _ in range(3):
        e, e_err = outcome(lambda: np.empty(4, dtype))
        r, r_err = outcome(lambda: dc.empty(4, dtype))
        if e_err is None and e.dtype.hasobject:
            e_err = TypeError
        assert r_err is e_err, (r_err, e_err)
        if e_err is None:
            assert (r.dtype, r.shape, r.strides) == (e.dtype, e.shape, e.strides)
        for make in (lambda xp: xp.zeros((2, 3), dtype), lambda xp: xp.ones(3, dtype=dtype),
                     lambda xp: xp.full(2, 1, dtype),
                     lambda xp: xp.zeros_like(xp.zeros(3, np.int8), dtype)):
            same_outcome(make)


def test_deprecated_dtype_alias_warns_on_every_call():
    """NumPy warns each time the deprecated alias 'a' names a dtype: so do we (its
    resolution is not kept)."""
    for _ in range(3):
        with warnings.catch_warnings(record=True) as e_warn:
            warnings.simplefilter("always")
            e = np.zeros(2, "a")
        with warnings.catch_warnings(record=True) as r_warn:
            warnings.simplefilter("always")
            r = dc.zeros(2, "a")
        assert r.dtype == e.dtype
        assert [w.category for w in r_warn] == [w.category for w in e_warn]
        assert e_warn


@pytest.mark.parametrize("bad", [-1, (2, -3), 2.5, "3", (2, None), (1 << 63,), 1 << 70,
                                 (2,) * 40, (1,) * 70, [[2]], (1 << 40, 1 << 40)])
def test_bad_shapes_raise_numpys_errors(bad):
    for f in (lambda xp: xp.empty(bad), lambda xp: xp.zeros(bad), lambda xp: xp.ones(bad),
              lambda xp: xp.full(bad, 2.0)):
        same_outcome(f)


def test_bad_order_and_object_dtype():
    with pytest.raises(ValueError):
        dc.empty(3, order="X")
    with pytest.raises(ValueError):
        dc.zeros(3, order="K")
    with pytest.raises(TypeError, match="Python objects"):
        dc.zeros(3, dtype=object)
    with pytest.raises(TypeError, match="Python objects"):
        dc.full(3, None)


FILLS = [2.5, -1, 0, 300, 1 << 62, 1 << 63, 1 << 64, True, False, 1 + 2j, float("nan"),
         float("inf"), 1e300, -0.0, np.float64(2.5), np.float32(1.5), np.int8(-3),
         np.uint8(200), "7", np.array(3.0), np.array([1.0, 2.0, 3.0])]
FILL_DTYPES = [None, float, np.float32, np.int8, np.uint8, np.int64, bool, np.complex128,
               "U2"]


@pytest.mark.parametrize("value", FILLS, ids=repr)
@pytest.mark.parametrize("dtype", FILL_DTYPES, ids=str)
def test_full_fill_values_as_numpy(value, dtype):
    """np.full writes with np.copyto(casting='unsafe'): same values, dtype, exception type
    and warnings (raised as errors here) as NumPy."""
    same_outcome(lambda xp: xp.full((2, 3), value, dtype))
    same_outcome(lambda xp: xp.full(0, value, dtype))
    same_outcome(lambda xp: xp.full_like(xp.zeros((2, 3), np.int16), value, dtype))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 31, 32, 33, 1000, 70_000])
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.float32, float, np.complex128,
                                   np.complex64, "U3"])
def test_full_repeats_the_value_at_every_length(n, dtype):
    same_outcome(lambda xp: xp.full(n, 3, dtype))
    same_outcome(lambda xp: xp.ones((n, 2), dtype, order="F"))


def prototypes(xp):
    base = xp.asarray(np.arange(120.0).reshape(4, 5, 6))
    return {
        "c": base, "f": xp.asfortranarray(base), "t": base.transpose(1, 2, 0),
        "slice": base[:, ::2, 1:], "neg": base[::-1, :, ::-2], "col": base[:, 1:2, :],
        "1d": base[0, 0], "0d": base[0, 0, 0], "T2": base[0].T, "step": base[::2, ::3],
        "perm": base.transpose(2, 0, 1)[::2],
    }


@pytest.mark.parametrize("name", ["c", "f", "t", "slice", "neg", "col", "1d", "0d", "T2",
                                  "step", "perm"])
@pytest.mark.parametrize("order", ["K", "A", "C", "F"])
@pytest.mark.parametrize("func", ["empty_like", "zeros_like", "ones_like", "full_like"])
def test_like_layouts_as_numpy(name, order, func):
    e_proto, r_proto = prototypes(np)[name], prototypes(dc)[name]
    extra = (7,) if func == "full_like" else ()
    e = getattr(np, func)(e_proto, *extra, order=order)
    r = getattr(dc, func)(r_proto, *extra, order=order)
    assert (r.shape, r.dtype, r.strides) == (e.shape, e.dtype, e.strides)
    assert r.flags.c_contiguous == e.flags.c_contiguous
    assert r.flags.f_contiguous == e.flags.f_contiguous
    if func != "empty_like":
        np.testing.assert_array_equal(np.asarray(r), e)


@pytest.mark.parametrize("kw", [dict(dtype=np.int32), dict(shape=(3, 2)), dict(shape=7),
                                dict(shape=(4, 5, 6), dtype=bool), dict(shape=(6, 4, 5))])
def test_like_dtype_and_shape_overrides(kw):
    for name in ("f", "t", "c"):
        e = np.zeros_like(prototypes(np)[name], **kw)
        r = dc.zeros_like(prototypes(dc)[name], **kw)
        same_array(r, e)
        assert dc.ones_like(prototypes(dc)[name], **kw).strides == \
            np.ones_like(prototypes(np)[name], **kw).strides


def test_like_bad_order():
    with pytest.raises(ValueError):
        dc.zeros_like(dc.ones(3), order="X")


def test_like_of_other_inputs_as_before():
    same_array(dc.zeros_like([[1, 2], [3, 4]]), np.zeros_like([[1, 2], [3, 4]]))
    same_array(dc.full_like(np.ones(3, np.float32), 2), np.full_like(np.ones(3, np.float32), 2))


# ---------------------------------------------------------------- array of short lists

SHORT = [[1.0, 2.0], [1, 2], [1, 2.5], [2.5, 1], [1 << 62, 1], [1 << 63], [-(1 << 63)],
         [1 << 64, 1.0], [True, 1.0], [True, False], [1.0, np.float32(2)], [np.float64(1)],
         [1.0, 2 + 1j], [0.1] * 32, list(range(33)), [], (1.0, 2.0), (3, 4), [1.0, "a"],
         [(1 << 53) + 1, 0.5], [-0.0, float("nan"), float("inf")],
         [np.float64(1.5), np.float64(-2)], [np.float64(1.5), 2], [3, np.float64(0.5)],
         [np.float64(1), np.float32(2)], [np.float64(1), np.int64(2)], [np.int64(3), 4]]


@pytest.mark.parametrize("lst", SHORT, ids=repr)
def test_array_of_short_lists_as_numpy(lst):
    same_outcome(lambda xp: xp.array(lst))
    same_outcome(lambda xp: xp.asarray(lst))
    same_outcome(lambda xp: xp.array(lst, dtype=np.float32))
    r = dc.array(lst) if len(lst) and np.array(lst).dtype != object else None
    if r is not None:         # a new array of its own memory
        assert r.base is None and r.flags.writeable


def _long(k, *items):
    """A list of k elements cycling through items."""
    return [items[i % len(items)] for i in range(k)]


LONG = [_long(100, 1.5), _long(100, 1, 2.5), _long(1000, 7, -3), _long(50, np.float64(0.25), 3),
        _long(40, 1 << 62), _long(40, 1, 1 << 63), _long(40, 2.0, 1 << 64),
        _long(40, 1.0, (1 << 53) + 1), _long(40, -(1 << 63), 1.0), _long(40, 1.0, True),
        _long(40, 1, False), _long(40, 1.0, np.float32(2)), _long(40, 1.0, 2j),
        _long(40, 1.0, np.int64(3)), _long(40, 1.0, "a"), _long(40, -0.0, float("nan"),
                                                                   float("inf")),
        tuple(_long(64, 3, 4)), _long(40, [1.0, 2.0]), _long(40, (1, 2), [3, 4.5]),
        _long(40, [1, 2, 3]), _long(40, [1, 2], [3]), _long(40, [1.0, 2.0], 3.0),
        _long(40, 3.0, [1.0, 2.0]), _long(40, []), _long(40, [np.float64(1), 1 << 63]),
        _long(40, [True, 1]), _long(40, [1.0, dc.float64(2)]), [[1.0] * 40] * 40,
        _long(40, [1.0, np.array(2.0)]), _long(40, 1.0, np.array(2.0))]


@pytest.mark.parametrize("lst", LONG, ids=lambda v: repr(v)[:40])
def test_array_of_long_lists_as_numpy(lst):
    """Lists and tuples longer than the short path (flat, or of equally long rows) of
    Python floats, np.float64 and int64-range ints are written into the pool directly;
    everything else (bool, other NumPy scalars, complex, big ints, ragged or mixed nesting,
    arrays inside) as NumPy converts it, with its errors."""
    same_outcome(lambda xp: xp.array(lst))
    same_outcome(lambda xp: xp.asarray(lst))
    same_outcome(lambda xp: xp.array(lst, dtype=np.float32))
    same_outcome(lambda xp: xp.array(lst, ndmin=3))
    try:
        e = np.array(lst)
    except Exception:
        return
    if e.dtype.hasobject:
        return                                  # (same_outcome: our TypeError)
    g = dc.array(lst)
    assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
    np.testing.assert_array_equal(np.asarray(g), e)
    u = np.dtype(f"u{e.dtype.itemsize}") if e.dtype.kind in "fiu" else None
    if u is not None:
        np.testing.assert_array_equal(np.asarray(g).view(u), e.view(u))      # -0.0, nan
    assert g.base is None and g.flags.writeable and g.flags.c_contiguous


def test_array_of_python_scalars_comes_from_the_pool():
    pool = dc.get_default_memory_pool()
    used = pool.used_bytes()
    keep = [dc.array([1.0, 2.0]), dc.array([1, 2, 3]), dc.asarray([0.5] * 20)]
    assert pool.used_bytes() >= used + sum(a.nbytes for a in keep)
    assert all(isinstance(a.memory, m.DeviceMemory) for a in keep)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-(1 << 64), 1 << 64), st.booleans()),
                min_size=0, max_size=40))
def test_array_of_scalars_hypothesis(lst):
    same_outcome(lambda xp: xp.array(lst))


# --------------------------------------------------------------------------- arange

ARANGE = [(0,), (5,), (-3,), (2, 9), (9, 2), (1, 10, 3), (10, 1, -3), (0, 1, 0.1),
          (1.5,), (0.5, 3), (0, 1, 1e-3), (-1.0, 1.0, 0.25), (1, 2.5, 0.5), (3, 0.5, -0.7),
          (1 << 51, (1 << 51) + 5), (1 << 60, (1 << 60) + 3), (0, 5, 0), (0.0, 1.0, 0.0),
          (0, float("inf")), (0, float("nan")), (True, 5), (np.int32(3),), (2.0, 1.0),
          (0, 10, 1 << 53)]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange_as_numpy(args):
    same_outcome(lambda xp: xp.arange(*args))
    same_outcome(lambda xp: xp.arange(*args, dtype=np.float32))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-1000, 1000),
                          st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=3))
def test_arange_hypothesis_bit_identical(args):
    n = np.ceil((args[1] - args[0]) / args[2]) if len(args) == 3 and args[2] else 0
    if n > 1e6:
        return                                             # (memory)
    same_outcome(lambda xp: xp.arange(*args))
    e, e_err = outcome(lambda: np.arange(*args))
    if e_err is None:
        assert np.asarray(dc.arange(*args)).tobytes() == e.tobytes()     # bit for bit


# ------------------------------------------------------------------------ the pool

def test_small_creation_comes_from_the_pool_and_goes_back():
    pool = dc.get_default_memory_pool()
    gc.collect()
    used = pool.used_bytes()
    st0 = dc.memory_stats()
    arrays = [f(1000) for f in (dc.empty, dc.zeros, dc.ones)] + [dc.full(10, 2.0),
                                                                 dc.arange(100)]
    assert all(isinstance(a.memory, m.DeviceMemory) for a in arrays)
    assert pool.used_bytes() >= used + sum(a.nbytes for a in arrays)
    st1 = dc.memory_stats()
    assert st1["allocation.all.current"] == st0["allocation.all.current"] + len(arrays)
    del arrays
    assert pool.used_bytes() == used
    assert dc.memory_stats()["allocation.all.current"] == st0["allocation.all.current"]


def test_small_block_cache_is_invisible_to_statistics():
    """Freed small blocks kept for reuse count as freed, and every reader sees them
    merged back (as a pool without the cache)."""
    pool = m.MemoryPool()
    blocks = [pool.malloc(n) for n in (100, 1000, 1000, 5000, 30_000, 100)]
    st = m.memory_stats(pool)
    assert st["allocation.all.current"] == 6
    del blocks
    st = m.memory_stats(pool)
    assert st["allocation.all.current"] == 0 and st["allocated_bytes.all.current"] == 0
    assert st["requested_bytes.all.current"] == 0
    assert pool.n_free_blocks() == 1            # merged back into the one segment
    assert pool.used_bytes() == 0 and pool.free_bytes() == pool.total_bytes()
    again = [pool.malloc(1000) for _ in range(3)]   # reused, no new segment
    st = m.memory_stats(pool)
    assert st["segment.all.current"] == 1 and st["pool_hits"] >= 3
    assert st["pool_hits"] + st["pool_misses"] == st["allocation.all.allocated"]
    del again
    pool.free_all_blocks()
    assert pool.total_bytes() == 0


def test_small_block_cache_reuses_and_keeps_data_apart():
    pool = m.MemoryPool()
    a = pool.malloc(1000)
    pa = a.ptr
    del a
    b = pool.malloc(700)                        # same rounded size: the cached block
    assert b.ptr == pa
    c = pool.malloc(700)
    assert c.ptr != b.ptr
    memoryview(b)[:] = b"\x01" * 700
    memoryview(c)[:] = b"\x02" * 700
    assert bytes(memoryview(b)) == b"\x01" * 700
    del b, c


def test_small_block_cache_gives_way_near_the_limit():
    """Blocks held by the cache are merged back when a request the index cannot serve
    would otherwise fail under the limit."""
    pool = m.MemoryPool()
    pool.set_limit(size=2 * MiB)
    small = [pool.malloc(4096) for _ in range(200)]
    del small                                   # many cached (up to the cache's bound)
    big = pool.malloc(MiB - 4096)                # small pool: needs the merged space
    assert big.nbytes == MiB - 4096
    del big


@pytest.mark.parametrize("n", [10, 1000, 100_000, 200_000, 3_000_000])
def test_zeros_reads_zero_after_the_block_was_dirty(n):
    pool = dc.get_default_memory_pool()
    dirty = dc.full(n, 7.0)
    del dirty
    hits = dc.memory_stats()["pool_hits"]
    total = pool.total_bytes()
    z = dc.zeros(n)
    assert dc.memory_stats()["pool_hits"] == hits + 1     # the same, recycled block
    assert pool.total_bytes() == total
    assert not np.asarray(z).any()
    z += 1                                                # first touch after the drop
    assert np.asarray(z).sum() == n
    zl = dc.zeros_like(z)
    assert not np.asarray(zl).any()


@pytest.mark.parametrize("mode", ["always", "never"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.uint8, bool])
def test_large_zeros_ones_full_on_threads(mode, dtype):
    """Large blocks cleared (a reused block in memory) and filled on the policy's threads
    (forced on / off here): NumPy's values and dtype, byte counts that are no multiple of
    8, the last bytes included."""
    from dotcompute._core import _threads
    old = _threads.set_mode(mode)
    try:
        for n in (40_003, 1_000_003, 2_500_001):
            dirty = dc.full(n, 7, dtype)
            del dirty                                  # the next zeros reuses it, in memory
            z = dc.zeros(n, dtype)
            _assert_same(z, np.zeros(n, dtype))
            for make in (lambda xp: xp.ones(n, dtype), lambda xp: xp.full(n, 3, dtype),
                         lambda xp: xp.full((n, 1), True, dtype, order="F")):
                _assert_same(make(dc), make(np))
    finally:
        _threads.set_mode(old)


def _assert_same(got, exp):
    assert got.dtype == exp.dtype and got.shape == exp.shape
    np.testing.assert_array_equal(np.asarray(got), exp)


def test_zeros_of_a_fresh_large_block():
    pool = m.MemoryPool()
    with m.use_for_numpy(pool):
        a = np.zeros(3 * MiB // 8)                         # calloc through the handler
    assert not a.any()
    a[:] = 5
    del a
    with m.use_for_numpy(pool):
        b = np.zeros(3 * MiB // 8)                         # the same, dirty block
    assert not b.any()
    st = m.memory_stats(pool)
    assert st["segment.all.current"] == 1 and st["pool_hits"] == 1


# ------------------------------------------------------------------ the dtype table

@pytest.mark.parametrize("char", list(np.typecodes["AllInteger"] + np.typecodes["AllFloat"]
                                      + "?"))
def test_every_builtin_dtype_object_has_its_kernel_type(char):
    """Equal dtypes are distinct objects with distinct type numbers (int64 'l' and long
    long 'q'): each maps to the kernel type of its equal in the table, for dtypes, numpy
    arrays and dotcompute arrays alike."""
    from dotcompute._core._dtypes import TYPE_INDEX, kernel_type
    d = np.dtype(char)
    expected = TYPE_INDEX.get(d, -1)
    assert kernel_type(d) == expected
    assert kernel_type(np.zeros(3, d)) == expected
    assert kernel_type(d.newbyteorder()) == (-1 if d.itemsize > 1 else expected)
    r = dc.zeros(3, d)
    assert memoryview(r).format == memoryview(np.zeros(3, d)).format
    same_array(r + r, np.zeros(3, d) + np.zeros(3, d))


@pytest.mark.parametrize("args", [
    (-5e-324, 0, 2), (0, 5e-324, 2), (5e-324, 0, -2), (0, 5e-324, -2), (0.0, 1.0, np.inf),
    (0.0, -1.0, np.inf), (1.0, 0.0, -np.inf), (-1e-320, 1e-320, 1e300), (0, 1e-310, 1e10),
])
def test_arange_underflowing_length_as_numpy(args):
    """NumPy's arange gives one element when (stop - start) / step underflows to +0 (or the
    step is infinite the right way), none when it is -0."""
    want = np.arange(*args)
    got = dc.arange(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("call", [
    lambda xp: xp.empty(4, "(2,)f8"), lambda xp: xp.zeros(4, "(2,3)i4"),
    lambda xp: xp.ones((2, 3), "(2,)f4"), lambda xp: xp.full(3, 1.5, "(2,)f8"),
    lambda xp: xp.empty(4, "(2,)f8", order="F"),
    lambda xp: xp.zeros_like(xp.zeros(3), dtype="(2,)f8")])
def test_subarray_dtypes_append_their_extents(call):
    expected, got = call(np), call(dc)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.strides == expected.strides


@pytest.mark.parametrize("call", [
    lambda xp: xp.zeros(4, "(2,3)i4"), lambda xp: xp.ones((2, 3), "(2,)f4"),
    lambda xp: xp.full(3, 1.5, "(2,)f8"), lambda xp: xp.zeros_like(xp.zeros(3),
                                                                   dtype="(2,)f8")])
def test_subarray_dtypes_fill_as_numpy(call):
    np.testing.assert_array_equal(np.asarray(call(dc)), call(np), strict=True)


@pytest.mark.parametrize("values", [np.array(["2020-01-01", "2021-06-30"], dtype="M8[D]"),
                                    np.array([1, -2, 3], dtype="m8[s]"),
                                    np.array(["2020-01-01T00:00:01"], dtype="M8[ns]")])
def test_datetime_arrays_convert_back_to_numpy(values):
    # no PEP 3118 format for these dtypes: NumPy takes the array interface instead
    got = np.asarray(dc.asarray(values))
    np.testing.assert_array_equal(got, values, strict=True)
    with pytest.raises((BufferError, ValueError)):
        memoryview(dc.asarray(values))
    with pytest.raises((BufferError, ValueError)):
        memoryview(values)


# ---------------------------- asarray / array of a NumPy array (a view where NumPy's is one)

NUMPY_SOURCES = [
    np.arange(6.0), np.arange(12, dtype=np.int8).reshape(3, 4),
    np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.array(2.5), np.empty((0, 3)),
    np.ones((1, 5), np.complex64), np.arange(10, dtype=np.uint16)[::2],
    np.arange(24.0).reshape(2, 3, 4).transpose(1, 0, 2), np.array([True, False]),
    np.arange(4, dtype=">f8"), np.arange(4, dtype=np.float16),
    np.arange(3, dtype=np.longdouble), np.array(["ab", "c"]),
    np.zeros(3, [("a", "i4"), ("b", "f8")]),
]


@pytest.mark.parametrize("src", NUMPY_SOURCES, ids=lambda a: f"{a.dtype}{a.shape}")
@pytest.mark.parametrize("func, kwargs", [
    (f, kw) for f in ("asarray", "array")
    for kw in ({}, {"order": "C"}, {"order": "F"}, {"order": "A"}, {"dtype": "same"},
               {"dtype": "f4"}, {"copy": True}) + (({"ndmin": 1},) if f == "array" else ())])
def test_array_of_a_numpy_array_as_numpy(src, func, kwargs):
    """Values, dtype, shape, strides and contiguity as NumPy's function with the same
    arguments, and its memory shared with the source exactly where NumPy's result shares
    it: writing the source afterwards shows in the result only then."""
    src = src.copy(order="K")
    kwargs = {k: (src.dtype if v == "same" else v) for k, v in kwargs.items()}
    e, e_err = outcome(lambda: getattr(np, func)(src, **kwargs))
    r, r_err = outcome(lambda: getattr(dc, func)(src, **kwargs))
    if e_err is None and e.dtype.hasobject:
        e_err = TypeError
    assert r_err is e_err, (r_err, e_err)
    if e_err is not None:
        return
    same_array(r, e)
    assert r.flags.writeable == e.flags.writeable
    shared = np.shares_memory(e, src)
    assert np.shares_memory(np.asarray(r), src) == shared
    if src.size and src.dtype.kind in "biufc":
        src[...] = 7
        np.testing.assert_array_equal(np.asarray(r), e)


def test_asarray_of_a_read_only_numpy_array_stays_read_only():
    """np.asarray returns a read-only array as it is; so does dc.asarray (a view), and
    writing it raises NumPy's ValueError; dc.array copies, writeable."""
    src = np.arange(5.0)
    src.flags.writeable = False
    r = dc.asarray(src)
    with pytest.raises(ValueError):
        np.asarray(src)[0] = 7.0
    with pytest.raises(ValueError):
        r[0] = 7.0
    c = dc.array(src)
    c[0] = 7.0
    assert src[0] == 0.0 and float(c[0]) == 7.0


def test_asarray_of_a_numpy_array_writes_through():
    """As with NumPy's asarray, the result and the source are one array: a write through
    either shows in the other (an in-place kernel, a setitem, the source itself)."""
    for src in (np.arange(8.0), np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2],
                np.asfortranarray(np.ones((3, 4), np.float32))):
        e_src = src.copy()
        r = dc.asarray(src)
        e = np.asarray(e_src)
        r += 1
        e += 1
        np.testing.assert_array_equal(src, e_src)
        r[0] = 5
        e[0] = 5
        np.testing.assert_array_equal(src, e_src)
        src *= 2
        e_src *= 2
        np.testing.assert_array_equal(np.asarray(r), e)


@given(shape=st.lists(st.integers(0, 4), max_size=4),
       dtype=st.sampled_from(["f8", "f4", "i8", "i2", "u1", "?", "c16", "c8"]),
       fortran=st.booleans())
@settings(max_examples=60, deadline=None)
def test_asarray_of_numpy_arrays_hypothesis(shape, dtype, fortran):
    src = np.asarray(np.random.default_rng(len(shape)).integers(0, 100, size=shape),
                     dtype=dtype, order="F" if fortran else "C")
    same_array(dc.asarray(src), np.asarray(src))        # src itself, as NumPy's
    assert np.shares_memory(np.asarray(dc.asarray(src)), src) or src.size == 0
    same_array(dc.array(src), np.array(src, copy=True))
    assert np.asarray(dc.array(src)).tobytes(order="A") == src.tobytes(order="A")


def test_small_nested_lists_and_eye_as_numpy():
    """np.array of a small matrix written out (a list of lists of Python or NumPy scalars)
    and a small np.eye take NumPy's conversion in its own memory, wrapped: NumPy's dtypes,
    shapes, values, layouts and errors."""
    z = np.complex128(1 + 2j)
    cases = ([[1.0, 2j], [3, 4]], [[1, 2], [3, 4]], ((1, 2), (3, 4)),
             [[np.float32(1), 2]], [[z, np.float64(2)], [np.int8(3), True]],
             [[True, False]], [[]], [[1e400]], [[1, 2], [3]], [1, [2, 3]], [["a", "b"]])
    for a in cases:
        for kw in ({}, {"dtype": np.float32}, {"dtype": complex}):
            try:
                e = np.array(a, **kw)
            except Exception as exc:
                with pytest.raises(type(exc)):
                    dc.array(a, **kw)
                with pytest.raises(type(exc)):
                    dc.asarray(a, **kw)
                continue
            for g in (dc.array(a, **kw), dc.asarray(a, **kw)):
                assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_array_equal(np.asarray(g), e)
    for args, kw in [((2,), {"dtype": complex}), ((3, 4, 1), {}), ((0,), {}),
                     ((5,), {"k": -2, "dtype": np.int8, "order": "F"}), ((32,), {}),
                     ((33,), {}), ((4, 300), {})]:
        e = np.eye(*args, **kw)
        g = dc.eye(*args, **kw)
        assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(np.asarray(g), e)
        assert np.asarray(g).flags.f_contiguous == e.flags.f_contiguous
        assert np.asarray(g).flags.c_contiguous == e.flags.c_contiguous
    for bad in ((-1,), (2, -1), (2.5,)):
        with pytest.raises(Exception) as exc_np:
            np.eye(*bad)
        with pytest.raises(exc_np.type):
            dc.eye(*bad)


@pytest.mark.parametrize("dtype", [float, np.float32, np.float16, np.int8, np.uint16, np.int64,
                                   bool, np.complex64, complex, ">f8", "U2", None])
@pytest.mark.parametrize("order", ["C", "F"])
def test_small_eye_as_numpy(dtype, order):
    """Small eyes written into a zeroed pool array: NumPy's dtype, shape, layout and bits
    for every diagonal offset (inside, on the edges, beyond, huge, negative), rectangular
    shapes and empty ones; other dtypes and arguments as NumPy makes them."""
    for n, m in ((4, None), (1, None), (0, None), (3, 5), (5, 3), (32, 32), (2, 0)):
        cols = n if m is None else m
        for k in (0, 1, -1, cols - 1, -n + 1, cols, -n, cols + 3, -n - 3, 10 ** 20,
                  -(10 ** 20), np.int64(1)):
            e = np.eye(n, m, k, dtype=dtype, order=order)
            g = dc.eye(n, m, k, dtype=dtype, order=order)
            assert type(g) is dc.ndarray and g.dtype == e.dtype and g.shape == e.shape
            gv = np.asarray(g)
            assert gv.flags.c_contiguous == e.flags.c_contiguous
            assert gv.flags.f_contiguous == e.flags.f_contiguous
            np.testing.assert_array_equal(gv, e)
            assert gv.tobytes(order="A") == e.tobytes(order="A")
