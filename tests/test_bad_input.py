"""Bad input: every case gives a clear error of the exception type NumPy raises for the
same input (or, where dotcompute refuses something NumPy accepts, a documented one), and
never crashes the interpreter. Cases that could crash run in a subprocess."""
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dotcompute as dc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _public(exc_type):
    """NumPy raises private subclasses (_ArrayMemoryError, _UFuncNoLoopError...): compare
    with the first public class of their hierarchy."""
    for t in exc_type.__mro__:
        if not t.__qualname__.startswith("_"):
            return t
    return exc_type


def _outcome(f):
    """(exception type or None, message or result) of calling f()."""
    try:
        return None, f()
    except Exception as e:     # noqa: BLE001 - the type is what we compare
        return type(e), str(e)


def assert_same_error(np_call, dc_call):
    """Both calls raise, and dotcompute raises NumPy's exception type (or a subclass)."""
    np_type, np_msg = _outcome(np_call)
    dc_type, dc_msg = _outcome(dc_call)
    assert np_type is not None, f"NumPy did not raise (returned {np_msg!r})"
    assert dc_type is not None, f"dotcompute did not raise, NumPy raised {np_type.__name__}"
    np_type = _public(np_type)
    assert issubclass(dc_type, np_type), (
        f"NumPy raised {np_type.__name__}: {np_msg}; dotcompute raised "
        f"{dc_type.__name__}: {dc_msg}")
    assert dc_msg, "empty error message"
    return dc_msg


def run_python(code, env=None, timeout=120):
    """Run code in a fresh interpreter with this checkout importable."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def stable_id(value):
    """A test id that is the same in every process (pytest-xdist workers collect on their
    own): repr, or the type's name where repr holds an address."""
    r = repr(value)
    return type(value).__name__ if " at 0x" in r else r


# ------------------------------------------------------------------ shapes and sizes

BAD_SHAPES = [
    -1, (-1,), (2, -3), (0, -1),                    # negative dimensions
    (2 ** 40, 2 ** 40), (2 ** 62, 4), (2 ** 31, 2 ** 31, 4),  # size overflows
    2 ** 63, 2 ** 64, 10 ** 30, (3, 2 ** 70),      # dimensions beyond intp
    1.5, "a", (2, 1.0), [2, "x"], object(),        # not integers
    (1,) * 65,                                     # more than NumPy's 64 dimensions
]


@pytest.mark.parametrize("shape", BAD_SHAPES, ids=stable_id)
@pytest.mark.parametrize("creator", ["empty", "zeros", "ones"])
def test_creation_bad_shape(creator, shape):
    assert_same_error(lambda: getattr(np, creator)(shape),
                      lambda: getattr(dc, creator)(shape))


@pytest.mark.parametrize("shape", [(-1,), (2 ** 40, 2 ** 40), 2 ** 64, (1,) * 65], ids=stable_id)
def test_full_and_ndarray_bad_shape(shape):
    assert_same_error(lambda: np.full(shape, 1.0), lambda: dc.full(shape, 1.0))
    assert_same_error(lambda: np.ndarray(shape), lambda: dc.ndarray(shape))


def test_size_overflow_with_itemsize():
    # The element count fits in intp, the byte count does not.
    shape = (2 ** 61,)
    assert_same_error(lambda: np.empty(shape, np.float64), lambda: dc.empty(shape, np.float64))
    assert_same_error(lambda: np.empty((2 ** 30, 2 ** 30, 2 ** 3), "c16"),
                      lambda: dc.empty((2 ** 30, 2 ** 30, 2 ** 3), "c16"))


@pytest.mark.parametrize("new_shape", [(4,), (-1, -1), (2 ** 63,), 1.5, (2, 2), (2, -1, -1)],
                         ids=stable_id)
def test_reshape_bad(new_shape):
    assert_same_error(lambda: np.arange(3.0).reshape(new_shape),
                      lambda: dc.arange(3.0).reshape(new_shape))


def test_shape_setter_bad():
    def set_shape(mod):
        a = mod.arange(6.0)
        a.shape = (4, 2)
    assert_same_error(lambda: set_shape(np), lambda: set_shape(dc))


def test_absurd_memory_request_raises_memoryerror():
    # Allowed by the size checks but far beyond any machine: MemoryError, not a crash.
    n = 2 ** 55
    assert_same_error(lambda: np.empty(n, np.uint8), lambda: dc.empty(n, np.uint8))


# ------------------------------------------------------------------------- dtypes

@pytest.mark.parametrize("dtype", ["foo", "i3", 3.5, "f16x", "<U-1"], ids=stable_id)
def test_creation_bad_dtype(dtype):
    assert_same_error(lambda: np.zeros(3, dtype), lambda: dc.zeros(3, dtype))
    assert_same_error(lambda: np.ones(3).astype(dtype), lambda: dc.ones(3).astype(dtype))


def test_object_dtype_refused_with_typeerror():
    # dotcompute arrays live in raw pooled memory and cannot hold Python objects.
    for make in (lambda: dc.zeros(3, dtype=object), lambda: dc.asarray([object(), 1]),
                 lambda: dc.array([None, 1], dtype=object), lambda: dc.full(2, object())):
        with pytest.raises(TypeError, match="Python objects"):
            make()


@pytest.mark.parametrize("fill", ["abc", [1, 2, 3, 4], {}], ids=stable_id)
def test_full_bad_fill(fill):
    assert_same_error(lambda: np.full(3, fill, dtype=np.float64),
                      lambda: dc.full(3, fill, dtype=np.float64))


# --------------------------------------------------------------- non-numeric operands

@pytest.mark.parametrize("other", ["x", None, object(), {"a": 1}, b"ab", [1, "a"]],
                         ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("op", ["add", "multiply", "less", "bitwise_and", "power"])
def test_binary_with_non_numeric(op, other):
    a_np = np.arange(3.0)
    a_dc = dc.arange(3.0)
    assert_same_error(lambda: getattr(np, op)(a_np, other),
                      lambda: getattr(dc, op)(a_dc, other))


@pytest.mark.parametrize("expr", ["a + None", "None - a", "a * 'x'", "a < object()",
                                  "a @ 'x'", "a ** None", "a & 1.5", "a << a",
                                  "~a", "a % {}"])
def test_operators_with_non_numeric(expr):
    assert_same_error(lambda: eval(expr, {"a": np.arange(3.0)}),
                      lambda: eval(expr, {"a": dc.arange(3.0)}))


@pytest.mark.parametrize("op", ["sin", "sqrt", "negative", "invert", "isnan"])
def test_unary_on_strings(op):
    assert_same_error(lambda: getattr(np, op)(np.array(["a", "b"])),
                      lambda: getattr(dc, op)(dc.asarray(["a", "b"])))


def test_unary_wrong_kind():
    assert_same_error(lambda: np.invert(np.ones(3)), lambda: dc.invert(dc.ones(3)))
    assert_same_error(lambda: np.left_shift(np.ones(3), 1), lambda: dc.left_shift(dc.ones(3), 1))


@pytest.mark.parametrize("dtype,value", [(np.int8, 300), (np.uint8, -1), (np.int64, 2 ** 64),
                                        (np.uint64, -1), (np.int16, 2 ** 100)])
def test_python_int_out_of_range(dtype, value):
    # NEP 50: a Python int that does not fit the array's integer type is an OverflowError.
    assert_same_error(lambda: np.ones(3, dtype) + value, lambda: dc.ones(3, dtype) + value)
    assert_same_error(lambda: np.add(np.ones(3, dtype), value),
                      lambda: dc.add(dc.ones(3, dtype), value))


def test_huge_int_with_float_array():
    assert_same_error(lambda: np.ones(3) + 2 ** 2000, lambda: dc.ones(3) + 2 ** 2000)
    assert_same_error(lambda: np.ones(3, np.float32) * 10 ** 400,
                      lambda: dc.ones(3, np.float32) * 10 ** 400)


# ------------------------------------------------------------------- broadcasting

@pytest.mark.parametrize("s1,s2", [((3,), (4,)), ((2, 3), (3, 2)), ((2, 1, 3), (4, 2)),
                                   ((0,), (2,)), ((5,), (2, 4))])
@pytest.mark.parametrize("op", ["add", "less", "maximum", "arctan2", "logical_xor"])
def test_broadcast_mismatch(op, s1, s2):
    assert_same_error(lambda: getattr(np, op)(np.ones(s1), np.ones(s2)),
                      lambda: getattr(dc, op)(dc.ones(s1), dc.ones(s2)))


def test_broadcast_mismatch_operators_and_inplace():
    def inplace(mod):
        a = mod.ones((2, 3))
        a += mod.ones((2, 1, 3))
    assert_same_error(lambda: np.ones(3) * np.ones(4), lambda: dc.ones(3) * dc.ones(4))
    assert_same_error(lambda: inplace(np), lambda: inplace(dc))
    assert_same_error(lambda: np.ones(3) @ np.ones(4), lambda: dc.ones(3) @ dc.ones(4))


# ----------------------------------------------------------------------- out=

@pytest.mark.parametrize("out_shape", [(4,), (3, 1), (), (1,)], ids=stable_id)
@pytest.mark.parametrize("op", ["add", "sin", "less", "negative"])
def test_out_wrong_shape(op, out_shape):
    nargs = getattr(np, op).nin

    def call(mod):
        args = [mod.ones(3)] * nargs
        return getattr(mod, op)(*args, out=mod.zeros(out_shape, getattr(mod, op)(*args).dtype))
    assert_same_error(lambda: call(np), lambda: call(dc))


@pytest.mark.parametrize("op,in_dtype,out_dtype", [
    ("add", "f8", "i8"), ("add", "f4", "u8"), ("sin", "f8", "i4"), ("sin", "i8", "i8"),
    ("less", "f8", "M8[s]"), ("true_divide", "i4", "i4"), ("negative", "f4", "i1"),
    ("add", "i8", "?"), ("sqrt", "f8", "i8"),
])
def test_out_wrong_dtype(op, in_dtype, out_dtype):
    nargs = getattr(np, op).nin

    def call(mod):
        args = [mod.ones(3, in_dtype)] * nargs
        return getattr(mod, op)(*args, out=mod.zeros(3, out_dtype))
    assert_same_error(lambda: call(np), lambda: call(dc))


def test_out_not_an_array():
    assert_same_error(lambda: np.add(np.ones(3), 1, out=[0, 0, 0]),
                      lambda: dc.add(dc.ones(3), 1, out=[0, 0, 0]))
    assert_same_error(lambda: np.add(np.ones(3), 1, out=(np.ones(3), np.ones(3))),
                      lambda: dc.add(dc.ones(3), 1, out=(dc.ones(3), dc.ones(3))))


def test_inplace_casting_refused():
    def iadd(mod, dtype, value):
        a = mod.ones(3, dtype)
        a += value
    for dtype, value in [(np.int8, 1.5), (np.int32, np.ones(3)), (np.bool_, 2),
                         (np.uint8, np.ones(3, np.int8))]:
        assert_same_error(lambda: iadd(np, dtype, value), lambda: iadd(dc, dtype, value))


def test_reduction_bad_axis_and_out():
    assert_same_error(lambda: np.ones(3).sum(axis=2), lambda: dc.ones(3).sum(axis=2))
    assert_same_error(lambda: np.ones((2, 3)).max(axis=(0, 0)),
                      lambda: dc.ones((2, 3)).max(axis=(0, 0)))
    assert_same_error(lambda: np.ones((2, 3)).sum(axis=0, out=np.ones(2)),
                      lambda: dc.ones((2, 3)).sum(axis=0, out=dc.ones(2)))
    assert_same_error(lambda: np.ones(0).max(), lambda: dc.ones(0).max())
    assert_same_error(lambda: np.ones(0).argmin(), lambda: dc.ones(0).argmin())
    assert_same_error(lambda: np.ones(3).sum(axis=1.0), lambda: dc.ones(3).sum(axis=1.0))


# ----------------------------------------------------------- read-only arrays

def _readonly(mod):
    a = mod.arange(6.0)
    a.flags.writeable = False
    return a


READONLY_WRITES = {
    "iadd": lambda a, mod: a.__iadd__(1.0),
    "imul-array": lambda a, mod: a.__imul__(mod.ones(6)),
    "setitem": lambda a, mod: a.__setitem__(0, 1.0),
    "setitem-slice": lambda a, mod: a.__setitem__(slice(None), 1.0),
    "fill": lambda a, mod: a.fill(0.0),
    "out-fast": lambda a, mod: mod.add(mod.ones(6), 1.0, out=a),
    "out-unary": lambda a, mod: mod.sin(mod.ones(6), out=a),
    "out-fallback": lambda a, mod: mod.add(mod.ones((1, 6)), mod.ones((6, 1))[:1], out=a),
    "copyto": lambda a, mod: mod.copyto(a, 1.0),
    "sort": lambda a, mod: a.sort(),
    "view-iadd": lambda a, mod: a[1:].__iadd__(1.0),
    "reshape-setitem": lambda a, mod: a.reshape(2, 3).__setitem__((0, 0), 1.0),
}


@pytest.mark.parametrize("name", list(READONLY_WRITES))
def test_write_to_readonly(name):
    f = READONLY_WRITES[name]
    a_np, a_dc = _readonly(np), _readonly(dc)
    assert_same_error(lambda: f(a_np, np), lambda: f(a_dc, dc))
    np.testing.assert_array_equal(np.asarray(a_dc), np.arange(6.0))   # nothing written


def test_write_to_broadcast_view():
    def iadd(mod):
        b = mod.broadcast_to(mod.arange(3.0), (2, 3))
        b += 1
    assert_same_error(lambda: iadd(np), lambda: iadd(dc))


def test_readonly_numpy_source_stays_readonly():
    src = np.arange(4.0)
    src.flags.writeable = False
    a = dc.asarray(src, copy=False)
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        dc.negative(a, out=a)
    assert memoryview(a).readonly
    np.testing.assert_array_equal(src, np.arange(4.0))


def test_setflags_write_back_refused():
    # A read-only array stays read-only (we never know whether its owner allows writes).
    a = _readonly(dc)
    with pytest.raises(ValueError):
        a.setflags(write=True)


# ------------------------------------------------------------------------ indexing

@pytest.mark.parametrize("key", [5, -4, (0, 0), "a", 1.0, (slice(None), None, 2),
                                 [3, 0], np.array([True, False])], ids=stable_id)
def test_bad_index(key):
    assert_same_error(lambda: np.arange(3.0)[key], lambda: dc.arange(3.0)[key])


# ---------------------------------------------------------------------- the pool

@pytest.fixture
def limited_pool():
    """The default pool limited to 64 MiB more than what it holds now."""
    pool = dc.get_default_memory_pool()
    old = pool.get_limit()
    pool.free_all_blocks()
    pool.set_limit(size=pool.total_bytes() + (64 << 20))
    try:
        yield pool
    finally:
        pool.set_limit(size=old)


def test_pool_limit_exceeded_by_array(limited_pool):
    before = dc.memory_stats()["num_ooms"]
    with pytest.raises(dc.OutOfMemoryError) as info:
        dc.empty(128 << 20, np.uint8)
    assert isinstance(info.value, MemoryError)       # NumPy's type for failed allocations
    assert info.value.limit == limited_pool.get_limit()
    assert dc.memory_stats()["num_ooms"] == before + 1
    a = dc.ones(1 << 20)                             # the pool still works
    assert float(a.sum()) == 1 << 20


def test_pool_limit_exceeded_in_numpy_fallback(limited_pool):
    # NumPy's own allocation through the pool's handler fails: NumPy raises MemoryError.
    a = dc.ones(5 << 20)                               # 40 MiB
    with pytest.raises(MemoryError):
        dc.outer(a[:4096], a[:4096])                   # 128 MiB result
    with pytest.raises(MemoryError):
        dc.concatenate([a, a, a])
    assert float(dc.cumsum(a[:10])[-1]) == 10.0


def test_pool_limit_exceeded_by_operation(limited_pool):
    a = dc.ones(2 << 20)                               # 16 MiB
    keep = []
    with pytest.raises(MemoryError):
        for _ in range(8):                             # 8 x 16 MiB > 64 MiB
            keep.append(a * 2.0)
    assert 2 <= len(keep) < 8
    del keep
    assert float((a * 2.0)[-1]) == 2.0                 # freed blocks are usable again


@pytest.mark.parametrize("nbytes,exc", [(-1, ValueError), (1.5, TypeError), ("1", TypeError),
                                        (None, TypeError), (2 ** 64, MemoryError),
                                        (2 ** 62, MemoryError)])
def test_pool_malloc_bad_size(nbytes, exc):
    pool = dc.MemoryPool()
    with pytest.raises(exc):
        pool.malloc(nbytes)
    assert pool.used_bytes() == 0


@pytest.mark.parametrize("kwargs,exc", [({"size": -1}, ValueError), ({"fraction": 2.0}, ValueError),
                                        ({"fraction": -0.1}, ValueError),
                                        ({"size": 1, "fraction": 0.5}, ValueError),
                                        ({"size": 1.5}, TypeError), ({"size": "1G"}, TypeError)])
def test_pool_set_limit_bad(kwargs, exc):
    pool = dc.MemoryPool()
    with pytest.raises(exc):
        pool.set_limit(**kwargs)
    assert pool.get_limit() == 0


@pytest.mark.parametrize("alignment,exc", [(0, ValueError), (3, ValueError), (8192, ValueError),
                                           (-64, ValueError), (64.0, TypeError)])
def test_pool_bad_alignment(alignment, exc):
    with pytest.raises(exc):
        dc.MemoryPool(alignment)


def test_device_memory_not_constructible():
    with pytest.raises(TypeError):
        dc.DeviceMemory()


def test_device_memory_bad_index():
    m = dc.MemoryPool().malloc(16)
    with pytest.raises(IndexError):
        m[16]
    with pytest.raises(IndexError):
        m[-17]
    with pytest.raises(ValueError):
        m[::2]
    with pytest.raises(TypeError):
        m["a"]


# -------------------------------------------------- freed memory through views (subprocess)

def test_device_memory_views_keep_block_alive():
    # Every way to keep a pointer into a block keeps the block: reading through it after the
    # owner is dropped and the pool is asked to release what it caches gives the data back.
    r = run_python("""
        import gc, numpy as np, dotcompute as dc
        pool = dc.MemoryPool()
        m = pool.malloc(1 << 16)
        np.frombuffer(m, np.uint8)[:] = 7
        view = m[100:200]
        mv = memoryview(m)
        arr = np.frombuffer(m[1000:2000], np.uint8)
        sub = view[10:20]
        del m
        gc.collect()
        pool.free_all_blocks()
        assert pool.used_bytes() > 0, "block returned while views are alive"
        assert bytes(view)[:3] == b"\\x07\\x07\\x07"
        assert mv[5] == 7 and arr[999] == 7 and sub[9] == 7
        del view, mv, arr
        gc.collect(); pool.free_all_blocks()
        assert pool.used_bytes() > 0, "block returned while a view of a view is alive"
        assert sub[0] == 7
        del sub
        gc.collect(); pool.free_all_blocks()
        assert pool.used_bytes() == 0 and pool.total_bytes() == 0
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_array_views_keep_memory_alive():
    r = run_python("""
        import gc, numpy as np, dotcompute as dc
        pool = dc.get_default_memory_pool()
        a = dc.arange(1 << 18, dtype=np.float64)
        mem = a.memory
        v = a[::-3]
        n = np.asarray(a[10:20])
        mv = memoryview(a)
        t = a.reshape(512, 512).T
        d = np.from_dlpack(a)
        del a
        gc.collect(); pool.free_all_blocks()
        # write garbage into anything the pool could hand out now
        junk = [dc.full(1 << 18, -1.0) for _ in range(4)]
        assert float(v[0]) == (1 << 18) - 1
        assert n[0] == 10 and mv[5] == 5 and float(t[0, 1]) == 512 and d[7] == 7
        assert np.frombuffer(mem, np.float64)[3] == 3
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_pool_dropped_while_blocks_live():
    # A MemoryPool dropped by the user lives on while a block or NumPy array needs it.
    r = run_python("""
        import gc, numpy as np, dotcompute as dc
        pool = dc.MemoryPool()
        m = pool.malloc(4096)
        with dc.use_for_numpy(pool):
            x = np.ones(1000)
        del pool
        gc.collect()
        np.frombuffer(m, np.uint8)[:] = 1
        x += 1
        assert x.sum() == 2000
        del m, x
        gc.collect()
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


# ------------------------------------------------------------- forced ISA (subprocess)

@pytest.mark.parametrize("value", ["avx9000", "AVX512 ", "neon", "", "scalar;rm -rf /"])
def test_forced_unknown_isa_warns_and_works(value):
    r = run_python("""
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as w:
            import dotcompute as dc
        import numpy as np
        x = dc.arange(100000, dtype=np.float64)
        assert float((x * 2.0).sum()) == 2.0 * 99999 * 100000 / 2
        assert float(dc.sin(x)[1]) == float(np.sin(1.0))
        print(dc.get_cpu_capability(), [str(m.message) for m in w
                                        if issubclass(m.category, RuntimeWarning)])
    """, env={"DOTCOMPUTE_CPU_CAPABILITY": value})
    assert r.returncode == 0, r.stderr
    from dotcompute._core import _dispatch
    best = _dispatch.builds_supported()[-1]
    build, _, warned = r.stdout.strip().partition(" ")
    if value.strip().lower() in ("", best):
        assert build == best and warned == "[]"
    else:
        assert build == best, r.stdout
        assert "DOTCOMPUTE_CPU_CAPABILITY" in warned, r.stdout


def test_forced_isa_error_filter_gives_clean_import_error():
    # With warnings turned into errors, the bad setting stops the import with the warning
    # as the exception: a traceback, not a crash.
    r = run_python("import dotcompute", env={"DOTCOMPUTE_CPU_CAPABILITY": "avx9000",
                                             "PYTHONWARNINGS": "error::RuntimeWarning"})
    assert r.returncode == 1
    assert "RuntimeWarning" in r.stderr and "avx9000" in r.stderr
    assert "Segmentation" not in r.stderr


@pytest.mark.parametrize("value", ["lots", "-5", "1e9999", "200%", "12Q"])
def test_bad_memory_limit_env_warns(value):
    r = run_python("""
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as w:
            import dotcompute as dc
        assert dc.get_default_memory_pool().get_limit() == 0
        print(sum("DOTCOMPUTE_MEMORY_LIMIT" in str(m.message) for m in w))
    """, env={"DOTCOMPUTE_MEMORY_LIMIT": value})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


@pytest.mark.parametrize("value", ["0", "-3", "abc", "99999999999999999999"])
def test_bad_num_threads_env(value):
    r = run_python("""
        import dotcompute as dc, numpy as np
        n = dc.get_num_threads()
        assert n >= 1, n
        x = dc.arange(200000.0)
        assert float(x.sum()) == 199999 * 200000 / 2
        print(n)
    """, env={"DOTCOMPUTE_NUM_THREADS": value})
    assert r.returncode == 0, r.stderr


def test_set_num_threads_bad():
    old = dc.get_num_threads()
    try:
        for bad, exc in [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError)]:
            with pytest.raises(exc):
                dc.set_num_threads(bad)
        assert dc.get_num_threads() == old
    finally:
        dc.set_num_threads(old)
