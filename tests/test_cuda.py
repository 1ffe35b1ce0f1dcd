"""GPU paths of dotcompute.cuda, each compared against NumPy on the host.

Skips (the whole module, with the reason) where CUDA is unusable: no cuda-bindings, no
driver or no GPU.  `python -m pytest tests/test_cuda.py -n 8` compiles kernels in parallel;
compiled kernels are cached on disk (DOTCOMPUTE_CUDA_CACHE).
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

dcuda = pytest.importorskip("dotcompute.cuda")
if not dcuda.is_available():
    pytest.skip(f"CUDA unavailable: {dcuda.unavailable_reason()}", allow_module_level=True)

from dotcompute._core import _opspec as spec          # noqa: E402
from dotcompute._core._memory import OutOfMemoryError  # noqa: E402
from dotcompute.cuda import _compile, _driver          # noqa: E402
from dotcompute.cuda._elementwise import astype, clip, copy, ufunc_call, where  # noqa: E402
from dotcompute.cuda._reduction import reduce          # noqa: E402
from dotcompute.cuda._transfer import from_host, to_host, transfer_stats  # noqa: E402

DT = {d[0]: np.dtype(d[2]) for d in spec.DTYPES}
rng = np.random.default_rng(1234)


def data(t, n, kind="any"):
    dt = DT[t]
    if t == "b1":
        return rng.integers(0, 2, n).astype(bool)
    if dt.kind in "iu":
        lo = 0 if dt.kind == "u" else -50
        return rng.integers(lo, 50, n).astype(dt)
    x = rng.standard_normal(n) * 3
    if kind == "positive":
        x = np.abs(x) + 0.1
    if kind == "unit":
        x = np.tanh(x) * 0.95
    return x.astype(dt)


TRANSCENDENTAL = {"power", "arctan2", "hypot", "cbrt", "exp", "exp2", "expm1", "log", "log2",
                  "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
                  "cosh", "tanh", "arcsinh", "arccosh", "arctanh"}


def check(got, want, name=""):
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype.kind == "f" and name in TRANSCENDENTAL | {"mean", "sum", "prod"}:
        rtol = 2e-6 if want.dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True,
                                   err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def check_reduction(got, want, a, op):
    """Sums/products/means of floats: summation order differs from NumPy's, so compare
    within rounding scaled by the sum of magnitudes; everything else exactly."""
    if want.dtype.kind == "f" and op in ("sum", "prod", "mean"):
        assert got.dtype == want.dtype and got.shape == want.shape
        eps = np.finfo(want.dtype).eps
        scale = np.abs(a.astype(np.float64)).sum() / (a.size if op == "mean" else 1)
        tol = 64 * eps * (scale if op != "prod" else np.abs(want).max() * np.sqrt(a.size))
        np.testing.assert_allclose(got, want, rtol=0, atol=tol, equal_nan=True, err_msg=op)
    else:
        check(got, want, op)


BIN_CASES = [(op[0], t) for op in spec.BINARY for t in op[1]]
UN_CASES = [(op[0], t) for op in spec.UNARY for t in op[1]]


@pytest.mark.parametrize("name,t", BIN_CASES)
def test_binary_contiguous(name, t):
    n = 1003   # not a multiple of any vector width: the tail runs too
    a = data(t, n, "positive" if name == "power" else "any")
    b = data(t, n, "any")
    if name in ("left_shift", "right_shift"):
        b = rng.integers(0, spec.BITS_OF[t] + 3, n).astype(DT[t])
    if name == "power":
        b = (b % 3).astype(DT[t])
    uf = getattr(np, name)
    with np.errstate(all="ignore"):
        want = uf(a, b)
    got = ufunc_call(uf, (from_host(a), from_host(b))).get()
    check(got, want, name)


@pytest.mark.parametrize("name,t", UN_CASES)
def test_unary_contiguous(name, t):
    kind = {"log": "positive", "log2": "positive", "log10": "positive", "sqrt": "positive",
            "arcsin": "unit", "arccos": "unit", "arctanh": "unit", "log1p": "positive",
            "arccosh": "positive", "reciprocal": "positive"}.get(name, "any")
    a = data(t, 1001, kind)
    if name == "arccosh":
        a = (a + 1).astype(a.dtype)
    uf = getattr(np, name)
    with np.errstate(all="ignore"):
        want = uf(a)
    got = ufunc_call(uf, (from_host(a),)).get()
    check(got, want, name)


def test_float_special_values():
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5] * 3, np.float64)
    b = np.array([1.0, np.nan, 2.0, -0.0, 0.0, np.inf, -3.0] * 3, np.float64)
    ga, gb = from_host(a), from_host(b)
    for name in ("maximum", "minimum", "fmax", "fmin", "floor_divide", "remainder",
                 "copysign", "less", "equal"):
        uf = getattr(np, name)
        with np.errstate(all="ignore"):
            check(ufunc_call(uf, (ga, gb)).get(), uf(a, b), name)
    for name in ("isnan", "isinf", "isfinite", "signbit", "sign", "floor", "rint"):
        uf = getattr(np, name)
        check(ufunc_call(uf, (ga,)).get(), uf(a), name)


@pytest.mark.parametrize("t1,t2", [("f4", "f8"), ("i4", "f4"), ("u1", "i1"), ("b1", "i8"),
                                   ("i8", "u8"), ("u4", "i2")])
def test_mixed_dtypes(t1, t2):
    a, b = data(t1, 777), data(t2, 777)
    for name in ("add", "multiply", "less", "maximum"):
        uf = getattr(np, name)
        check(ufunc_call(uf, (from_host(a), from_host(b))).get(), uf(a, b), name)
    with np.errstate(all="ignore"):
        check(ufunc_call(np.true_divide, (from_host(a), from_host(b))).get(), a / b,
              "true_divide")


@pytest.mark.parametrize("t", ["f4", "f8", "i4", "u1", "i8"])
def test_python_and_numpy_scalars(t):
    a = data(t, 500)
    ga = from_host(a)
    for s in (3, 2.5, True, np.float32(1.5), np.int16(7), np.float64(-2)):
        for name in ("add", "multiply", "greater"):
            uf = getattr(np, name)
            check(ufunc_call(uf, (ga, s)).get(), uf(a, s), name)
            check(ufunc_call(uf, (s, ga)).get(), uf(s, a), name)


def test_weak_scalar_overflow_is_numpy_error():
    ga = from_host(np.arange(10, dtype=np.int8))
    with pytest.raises(OverflowError):
        np.add(np.arange(10, dtype=np.int8), 1000)
    with pytest.raises(OverflowError):
        ufunc_call(np.add, (ga, 1000))


def test_broadcast_and_strided():
    a = rng.standard_normal((64, 33))
    b = rng.standard_normal((33,))
    c = rng.standard_normal((64, 1))
    ga, gb, gc = from_host(a), from_host(b), from_host(c)
    check(ufunc_call(np.add, (ga, gb)).get(), a + b)
    check(ufunc_call(np.multiply, (ga, gc)).get(), a * c)
    check(ufunc_call(np.subtract, (gb, gc)).get(), b - c)
    # views: slices with steps, negative steps, transposes
    va = ga.basic_index((slice(None, None, 2), slice(None, None, -3)))
    wa = a[::2, ::-3]
    check(va.get(), wa)
    check(ufunc_call(np.sin, (va,)).get(), np.sin(wa), "sin")
    check(ufunc_call(np.add, (ga.T, ga.T)).get(), a.T + a.T)
    x3 = rng.standard_normal((5, 6, 7, 8)).astype(np.float32)
    g3 = from_host(x3)
    v = g3.transpose(2, 0, 3, 1).basic_index((slice(1, None), Ellipsis, slice(None, None, 2)))
    check(v.get(), x3.transpose(2, 0, 3, 1)[1:, ..., ::2])
    check(ufunc_call(np.exp, (v,)).get(), np.exp(x3.transpose(2, 0, 3, 1)[1:, ..., ::2]),
          "exp")


def test_unaligned_views_use_strided_kernel():
    a = rng.standard_normal(1001).astype(np.float32)
    ga = from_host(a)
    v = ga.basic_index(slice(1, None))      # 4-byte offset: no 16-byte vector access
    check(ufunc_call(np.add, (v, v)).get(), a[1:] + a[1:])


def test_mixing_devices_raises():
    ga = from_host(np.arange(10.0))
    with pytest.raises(ValueError, match="different devices"):
        ufunc_call(np.add, (ga, np.arange(10.0)))


def test_not_implemented_names_function():
    gi = from_host(np.arange(10))
    with pytest.raises(TypeError, match="power"):
        ufunc_call(np.power, (gi, gi))
    with pytest.raises(TypeError, match="ldexp"):
        ufunc_call(np.ldexp, (gi, gi))


def test_numpy_type_errors_are_numpy_s():
    gb = from_host(np.array([True, False]))
    with pytest.raises(TypeError):
        np.negative(np.array([True, False]))
    with pytest.raises(TypeError):
        ufunc_call(np.negative, (gb,))


def test_implicit_host_conversion_raises():
    ga = from_host(np.arange(4.0))
    with pytest.raises(TypeError, match=r"x\.get\(\)"):
        np.asarray(ga)


@pytest.mark.parametrize("src,dst", [(s, d) for s in ("b1", "i1", "u2", "i4", "i8", "f4", "f8")
                                     for d in ("b1", "u1", "i4", "u8", "f4", "f8")])
def test_astype(src, dst):
    a = data(src, 301)
    check(astype(from_host(a), DT[dst]).get(), a.astype(DT[dst]))


def test_copy_of_views():
    a = rng.standard_normal((30, 40))
    ga = from_host(a)
    for key in [(slice(None, None, -1),), (slice(3, 20, 4), slice(None, None, 7)), (5,)]:
        v = ga.basic_index(key)
        c = copy(v)
        assert c.c_contiguous
        check(c.get(), a[key])


def test_where_and_clip():
    a = rng.standard_normal(999)
    b = rng.standard_normal(999).astype(np.float32)
    cond = a > 0
    ga, gb, gc = from_host(a), from_host(b), from_host(cond)
    check(where(gc, ga, gb).get(), np.where(cond, a, b))
    check(where(gc, ga, 0.0).get(), np.where(cond, a, 0.0))
    check(where(gc, 1, gb).get(), np.where(cond, 1, b))
    check(clip(ga, -0.5, 0.5).get(), np.clip(a, -0.5, 0.5))
    an = a.copy()
    an[::7] = np.nan
    check(clip(from_host(an), -0.5, 0.5).get(), np.clip(an, -0.5, 0.5))
    ai = rng.integers(-100, 100, 500).astype(np.int16)
    check(clip(from_host(ai), -10, 20).get(), np.clip(ai, -10, 20))


RED_OPS = ["sum", "prod", "min", "max", "argmin", "argmax", "any", "all", "mean"]


@pytest.mark.parametrize("op", RED_OPS)
@pytest.mark.parametrize("t", ["b1", "i1", "i4", "u2", "i8", "u8", "f4", "f8"])
def test_full_reductions(op, t):
    n = 100_003
    a = data(t, n)
    if op == "prod":
        a = data(t, 40) if DT[t].kind != "f" else (1 + data(t, n) * 1e-4).astype(DT[t])
    if op in ("all",):
        a = np.ones(n, DT[t]) if t != "b1" else np.ones(n, bool)
        a[n // 2] = 0
    want = getattr(np, op)(a)
    got = reduce(op, from_host(a))
    assert got.shape == ()
    check_reduction(got.get(), np.asarray(want), a, op)


@pytest.mark.parametrize("op", RED_OPS)
def test_reductions_nan_and_ties(op):
    a = np.array([3.0, 1.0, np.nan, 1.0, 7.0, np.nan, 7.0])
    if op not in ("any", "all"):
        with np.errstate(all="ignore"):
            check(reduce(op, from_host(a)).get(), np.asarray(getattr(np, op)(a)), op)
    b = np.array([5, 1, 9, 1, 9, 2], np.int32)
    check(reduce(op, from_host(b)).get(), np.asarray(getattr(np, op)(b)), op)


@pytest.mark.parametrize("op", RED_OPS)
@pytest.mark.parametrize("shape,axis", [((37, 41), 0), ((37, 41), 1), ((5, 6, 7), 1),
                                        ((5, 6, 7), (0, 2)), ((3, 5000), 1), ((4, 3, 2), -1),
                                        ((1000, 3), 0), ((6, 7), None)])
def test_axis_reductions(op, shape, axis):
    if op in ("argmin", "argmax") and isinstance(axis, tuple):
        pytest.skip("NumPy's argmin/argmax take one axis")
    a = rng.standard_normal(shape)
    if op == "prod":
        a = 1 + a * 1e-3
    ga = from_host(a)
    want = getattr(np, op)(a, axis=axis)
    check_reduction(reduce(op, ga, axis=axis).get(), np.asarray(want), a, op)
    if op not in ("argmin", "argmax"):
        want = getattr(np, op)(a, axis=axis, keepdims=True)
        check_reduction(reduce(op, ga, axis=axis, keepdims=True).get(), want, a, op)
    v = ga.T
    want = getattr(np, op)(a.T, axis=axis if not isinstance(axis, tuple) else axis[:1])
    got = reduce(op, v, axis=axis if not isinstance(axis, tuple) else axis[:1])
    check_reduction(got.get(), np.asarray(want), a, op)


def test_reduction_empty_errors_match_numpy():
    e = from_host(np.zeros(0))
    for op in ("min", "max", "argmin", "argmax"):
        with pytest.raises(ValueError):
            getattr(np, op)(np.zeros(0))
        with pytest.raises(ValueError):
            reduce(op, e)
    check(reduce("sum", e).get(), np.asarray(np.sum(np.zeros(0))), "sum")


def test_large_reduction_and_add():
    n = 10_000_019
    a = rng.standard_normal(n)
    ga = from_host(a)
    np.testing.assert_allclose(reduce("sum", ga).get(), a.sum(), rtol=1e-9)
    assert int(reduce("argmax", ga).get()) == int(a.argmax())
    check(ufunc_call(np.add, (ga, ga)).get(), a + a)


# --- memory --------------------------------------------------------------------------

def test_pool_stats_same_keys_as_host_pool():
    import dotcompute as dc
    pool = dcuda.get_default_memory_pool()
    host_keys = set(dc.memory_stats().keys())
    assert set(pool.memory_stats().keys()) == host_keys
    assert set(dc.memory_stats(pool).keys()) == host_keys
    before = pool.memory_stats()
    a = _driver.alloc(10_000)
    b = _driver.alloc(3 << 20)
    st = pool.memory_stats()
    assert st["allocation.all.current"] == before["allocation.all.current"] + 2
    assert st["requested_bytes.small_pool.current"] - before[
        "requested_bytes.small_pool.current"] == 10_000
    assert st["requested_bytes.large_pool.current"] - before[
        "requested_bytes.large_pool.current"] == 3 << 20
    assert pool.used_bytes() >= (3 << 20) + 10_000
    del a, b
    assert pool.memory_stats()["allocation.all.current"] == before["allocation.all.current"]
    assert "cuda:0" in dc.memory_summary(pool)
    assert "Allocated memory" in pool.memory_summary()


def test_pool_reuse_hits():
    pool = dcuda.get_default_memory_pool()
    pool.reset_accumulated_memory_stats()
    for _ in range(1000):
        a = _driver.alloc(1 << 20)
        del a
    st = pool.memory_stats()
    assert st["pool_hits"] >= 999


def test_pool_limit_and_out_of_memory():
    pool = _driver.DevicePool(0)
    pool.set_limit(size=64 << 20)
    assert pool.get_limit() == 64 << 20
    a = pool.malloc(32 << 20)
    with pytest.raises(OutOfMemoryError):
        pool.malloc(48 << 20)
    assert pool.memory_stats()["num_ooms"] == 1
    del a
    b = pool.malloc(48 << 20)     # the cached 32 MiB block is released to make room
    assert b.size == 48 << 20
    pool.free_all_blocks()
    with pytest.raises(ValueError):
        pool.set_limit(fraction=2.0)


def test_pool_streams_are_separate_arenas():
    pool = _driver.DevicePool(0)
    s = dcuda.Stream(non_blocking=True)
    a = pool.malloc(1 << 20)
    p = a.ptr
    del a
    b = pool.malloc(1 << 20, stream=s)       # not the block freed on the other stream
    assert b.ptr != p
    c = pool.malloc(1 << 20)
    assert c.ptr == p


def test_transfers_round_trip_and_pinned_host_pool():
    import dotcompute as dc
    a = np.arange(3 << 20, dtype=np.float32)
    blk = dc.get_default_memory_pool().malloc(a.nbytes)
    host = np.frombuffer(blk, np.float32)
    host[:] = a
    g = from_host(host)
    np.testing.assert_array_equal(g.get(), a)
    st = transfer_stats()
    assert st["registrations"] >= 1 and st["pinned_copies"] >= 2
    out = to_host(g)
    np.testing.assert_array_equal(out, a)


def test_host_pool_release_unregisters():
    import dotcompute as dc
    pool = dc.get_default_memory_pool()
    blk = pool.malloc(8 << 20)
    arr = np.frombuffer(blk, np.uint8)
    arr[:] = 7
    g = from_host(arr)
    n_reg = transfer_stats()["registrations"]
    del arr, blk
    pool.free_all_blocks()          # runs the release hook: ranges unregistered
    assert transfer_stats()["unregistrations"] >= 1
    blk = pool.malloc(8 << 20)
    arr = np.frombuffer(blk, np.uint8)
    arr[:] = 9
    g2 = from_host(arr)               # registers again, no ALREADY_REGISTERED error
    assert transfer_stats()["registrations"] == n_reg + 1
    assert int(reduce("max", g2).get()) == 9 and int(reduce("min", g).get()) == 7


# --- streams, events, threads ------------------------------------------------------------

def test_stream_event_and_current_stream():
    s = dcuda.Stream(non_blocking=True)
    default = dcuda.get_current_stream()
    assert default.ptr == 2     # per-thread default stream
    a = rng.standard_normal(1 << 20)
    with s:
        assert dcuda.get_current_stream() == s
        ga = from_host(a, stream=s)
        e0 = dcuda.Event().record()
        r = ufunc_call(np.multiply, (ga, 2.0))
        e1 = s.record()
        e1.synchronize()
        assert e1.query() and s.query()
        assert e0.elapsed_time(e1) >= 0
        check(r.get(stream=s), a * 2)
    assert dcuda.get_current_stream() == default


def test_each_thread_has_its_own_current_stream():
    seen = {}
    s = dcuda.Stream()

    def work(i):
        if i == 0:
            s.use()
        a = rng.standard_normal(10000) + i
        ga = from_host(a)
        r = ufunc_call(np.add, (ga, ga)).get()
        seen[i] = (dcuda.get_current_stream().ptr, np.array_equal(r, a + a))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen[0][0] == s.ptr
    assert all(seen[i][0] == 2 for i in range(1, 4))
    assert all(v[1] for v in seen.values())
    assert dcuda.get_current_stream().ptr == 2


# --- compilation cache -------------------------------------------------------------------

def test_disk_cache_reused_by_new_process(tmp_path):
    code = ("import numpy as np, json;"
            "from dotcompute.cuda import _compile;"
            "from dotcompute.cuda._elementwise import ufunc_call;"
            "from dotcompute.cuda._transfer import from_host;"
            "a = from_host(np.arange(100.0));"
            "r = ufunc_call(np.hypot, (a, a)).get();"
            "assert np.allclose(r, np.hypot(np.arange(100.0), np.arange(100.0)));"
            "print(json.dumps(_compile.cache_info()))")
    env = dict(os.environ, DOTCOMPUTE_CUDA_CACHE=str(tmp_path))
    import json
    first = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                      capture_output=True, text=True).stdout)
    second = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    assert first["compiled"] >= 1 and first["disk_hits"] == 0
    assert second["compiled"] == 0 and second["disk_hits"] >= 1


def test_compile_error_reports_log():
    with pytest.raises(RuntimeError, match="nvrtcCompileProgram"):
        _compile.compile_cubin("extern \"C\" __global__ void k() { undefined_x(); }",
                               _compile.arch(0))


# --- unified buffer ----------------------------------------------------------------------

def test_unified_buffer_states_and_counters():
    a = rng.standard_normal(1 << 18)
    u = dcuda.unified(a)
    assert u.state == "host-only"
    np.testing.assert_array_equal(u.host, a)
    d = u.ensure_on_device()
    assert u.state == "synchronized" and u.stats["h2d_transfers"] == 1
    u.ensure_on_device()
    assert u.stats["h2d_transfers"] == 1            # not stale: no copy
    ufunc_call(np.multiply, (d, 3.0), out=d)
    u.mark_device_dirty()
    assert u.state == "device-dirty"
    u.ensure_on_device()
    assert u.stats["h2d_transfers"] == 1
    h = u.ensure_on_host()
    np.testing.assert_array_equal(h, a * 3)
    assert u.state == "synchronized" and u.stats["d2h_transfers"] == 1
    u.ensure_on_host()
    assert u.stats["d2h_transfers"] == 1
    u.host[:10] = -1
    u.mark_host_dirty()
    assert u.state == "host-dirty"
    s = dcuda.Stream()
    u.ensure_on_device_async(s)
    s.synchronize()
    assert u.stats["h2d_transfers"] == 2
    np.testing.assert_array_equal(u.device.get()[:10], -np.ones(10))
    st = u.memory_stats()
    assert st["bytes_h2d"] == 2 * a.nbytes and st["state"] == "synchronized"


def test_unified_from_device_array():
    a = rng.standard_normal(1000)
    u = dcuda.unified(from_host(a))
    assert u.state == "device-only"
    np.testing.assert_array_equal(u.ensure_on_host(), a)
    assert u.state == "synchronized"


# --- interop --------------------------------------------------------------------------

def test_cuda_array_interface_with_cupy():
    cp = pytest.importorskip("cupy")
    a = rng.standard_normal((20, 30))
    ga = from_host(a)
    c = cp.asarray(ga)
    np.testing.assert_array_equal(cp.asnumpy(c), a)
    v = ga.T
    np.testing.assert_array_equal(cp.asnumpy(cp.asarray(v)), a.T)


def test_runtime_info():
    info = dcuda.runtime_info()
    assert info["available"] and info["devices"][0]["multiprocessors"] > 0
    assert dcuda.device_count() >= 1


# --- routines: shapes, joining, indexing, matmul -------------------------------------

from dotcompute.cuda import _routines  # noqa: E402


def test_reshape_transpose_concatenate_stack():
    a = rng.standard_normal((6, 8))
    b = rng.standard_normal((6, 3)).astype(np.float32)
    ga, gb = from_host(a), from_host(b)
    check(_routines.reshape(ga, (4, 12)).get(), a.reshape(4, 12))
    check(_routines.reshape(ga.T, (-1,)).get(), a.T.reshape(-1))
    with pytest.raises(ValueError):
        _routines.reshape(ga, (5, 5))
    check(_routines.transpose(ga).get(), a.T)
    check(_routines.concatenate([ga, gb], axis=1).get(), np.concatenate([a, b], axis=1))
    check(_routines.concatenate([ga, ga.basic_index(slice(1, 3))]).get(),
          np.concatenate([a, a[1:3]]))
    check(_routines.concatenate([ga, gb], axis=None).get(), np.concatenate([a, b], axis=None))
    with pytest.raises(ValueError):
        _routines.concatenate([ga, gb], axis=0)
    check(_routines.stack([ga, ga, ga], axis=1).get(), np.stack([a, a, a], axis=1))
    check(_routines.stack([ga, ga], axis=-1).get(), np.stack([a, a], axis=-1))


def test_getitem_setitem():
    a = rng.standard_normal((10, 7))
    ga = from_host(a)
    idx = np.array([3, -1, 0, 3])
    check(_routines.getitem(ga, idx).get(), a[idx])
    check(_routines.getitem(ga, from_host(idx)).get(), a[idx])
    mask = a[:, 0] > 0
    check(_routines.getitem(ga, mask).get(), a[mask])
    m2 = a > 0
    check(_routines.getitem(ga, m2).get(), a[m2])
    with pytest.raises(IndexError):
        _routines.getitem(ga, np.array([10]))
    with pytest.raises(IndexError):
        a[np.array([10])]
    b = a.copy()
    gb = from_host(b)
    _routines.setitem(gb, (slice(2, 5), slice(None, None, 2)), 7.5)
    b[2:5, ::2] = 7.5
    _routines.setitem(gb, 0, from_host(np.arange(7.0)))
    b[0] = np.arange(7.0)
    _routines.setitem(gb, (slice(None), 1), from_host(np.float32(2.0) * np.ones(1, np.float32)))
    b[:, 1] = 2.0
    _routines.setitem(gb, b > 1, -1.0)
    b[b > 1] = -1.0
    check(gb.get(), b)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_matmul_cublas(dt):
    a = rng.standard_normal((33, 17)).astype(dt)
    b = rng.standard_normal((17, 29)).astype(dt)
    v = rng.standard_normal(17).astype(dt)
    ga, gb, gv = from_host(a), from_host(b), from_host(v)
    tol = 1e-5 if dt == np.float32 else 1e-12
    np.testing.assert_allclose(_routines.matmul(ga, gb).get(), a @ b, rtol=tol, atol=tol)
    np.testing.assert_allclose(_routines.matmul(ga, gv).get(), a @ v, rtol=tol, atol=tol)
    np.testing.assert_allclose(_routines.matmul(gv, gb).get(), v @ b, rtol=tol, atol=tol)
    np.testing.assert_allclose(_routines.matmul(gb.T, ga.T).get(), b.T @ a.T, rtol=tol,
                               atol=tol)
    with pytest.raises(ValueError):
        _routines.matmul(ga, ga)


# --- DLPack and __cuda_array_interface__ ------------------------------------------------

def test_dlpack_with_torch_both_ways():
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((5, 6)).astype(np.float32)
    ga = from_host(a)
    t = torch.from_dlpack(ga)
    assert t.device.type == "cuda" and t.data_ptr() == ga.data_ptr
    np.testing.assert_array_equal(t.cpu().numpy(), a)
    t2 = torch.arange(12, device="cuda", dtype=torch.int64).reshape(3, 4).T
    v = _driver.from_dlpack(t2)
    assert v.data_ptr == t2.data_ptr()
    check(v.get(), np.arange(12).reshape(3, 4).T)
    check(ufunc_call(np.add, (v, v)).get(), 2 * np.arange(12).reshape(3, 4).T)
    with pytest.raises(TypeError):
        _driver.from_dlpack(torch.ones(3))      # a CPU tensor


def test_dlpack_with_cupy_and_cai_import():
    cp = pytest.importorskip("cupy")
    a = rng.standard_normal(100)
    ga = from_host(a)
    c = cp.from_dlpack(ga)
    np.testing.assert_array_equal(cp.asnumpy(c), a)
    c2 = cp.arange(10, dtype=cp.int32)[::2]
    v = _driver.from_cuda_array_interface(c2)
    check(v.get(), np.arange(10, dtype=np.int32)[::2])
    w = _driver.from_dlpack(c2)
    check(w.get(), np.arange(10, dtype=np.int32)[::2])


# --- the array layer on cuda (device seam) -------------------------------------------

def _dc_with_devices():
    pytest.importorskip("dotcompute._core._device")
    import dotcompute as dc
    return dc


def test_device_arrays_compare_with_numpy():
    dc = _dc_with_devices()
    a = rng.standard_normal((40, 30))
    b = rng.standard_normal(30).astype(np.float32)
    x = dc.asarray(a, device="cuda")
    y = dc.asarray(b, device="cuda:0")
    assert str(x.device) == "cuda:0" and isinstance(x, dc.ndarray)
    check((x + y).to_device("cpu").__array__(), a + b)
    check(dc.asnumpy(x * 2 - y) if hasattr(dc, "asnumpy") else (x * 2 - y).get(), a * 2 - b)
    check(np.sin(x).get(), np.sin(a), "sin")
    s = x.sum()
    assert isinstance(s, dc.ndarray) and s.shape == () and str(s.device) == "cuda:0"
    np.testing.assert_allclose(float(s), a.sum(), rtol=1e-12)
    np.testing.assert_allclose(np.sum(x, axis=0).get(), a.sum(axis=0), rtol=1e-12)
    check(np.argmax(x, axis=1).get(), np.argmax(a, axis=1))
    check(x[3:7, ::2].get(), a[3:7, ::2])
    check(x[np.array([1, 5])].get(), a[[1, 5]])
    check(x.T.copy().get(), a.T.copy())
    check(x.astype(np.float32).get(), a.astype(np.float32))
    check(np.concatenate([x, x]).get(), np.concatenate([a, a]))
    check(np.where(x > 0, x, 0.0).get(), np.where(a > 0, a, 0.0))
    np.testing.assert_allclose((x @ x.T).get(), a @ a.T, rtol=1e-12)
    z = dc.zeros((3, 4), device="cuda")
    z[1] = 5.0
    zz = np.zeros((3, 4))
    zz[1] = 5.0
    check(z.get(), zz)


def test_device_errors():
    dc = _dc_with_devices()
    x = dc.asarray(np.arange(5.0), device="cuda")
    with pytest.raises(TypeError, match=r"x\.get\(\)"):
        np.asarray(x)
    with pytest.raises(ValueError, match="different devices"):
        x + dc.asarray(np.arange(5.0))
    with pytest.raises(TypeError, match="fft"):
        np.fft.fft(x)
    with pytest.raises((RuntimeError, ValueError)):
        dc.asarray([1.0], device="cuda:99")


def test_fast_path_matches_general_path():
    a = rng.standard_normal(4099).astype(np.float32)
    b = rng.standard_normal(4099).astype(np.float32)
    ga, gb = from_host(a), from_host(b)
    for _ in range(3):          # first call plans, later calls take the fast path
        check(ufunc_call(np.subtract, (ga, gb)).get(), a - b)
        check(ufunc_call(np.negative, (ga,)).get(), -a)
        check(ufunc_call(np.subtract, (ga.basic_index(slice(1, None)),
                                       gb.basic_index(slice(None, -1)))).get(), a[1:] - b[:-1])
        check(ufunc_call(np.subtract, (ga.basic_index(slice(None, None, 2)),
                                       gb.basic_index(slice(None, None, 2)))).get(),
              a[::2] - b[::2])
        check(ufunc_call(np.subtract, (ga, gb.basic_index(slice(0, 1)))).get(), a - b[0:1])


# --- the compiler's CUDA lowering (evaluate) ------------------------------------------

@pytest.mark.parametrize("ex,types", [
    ("2*a + 3*b*b - c", ("f8", "f8", "f8")),
    ("2*a + 3*b*b - c", ("f4", "f4", "f4")),
    ("where(a > 0, sin(a), b**2)", ("f4", "f8")),
    ("a // 3 + b % 2 - (a << 2)", ("i4", "i8")),
    ("(a < 1) & (b > 0.5) | ~(a == b)", ("f4", "f4")),
    ("a ** 0.5 + b ** 2 + exp(-a) / (1 + b)", ("f8", "f4")),
    ("arctan2(a, b) + hypot(a, b) * 2.5", ("f8", "f8")),
    ("a + 1000", ("i2", "i2")),
])
def test_evaluate_on_gpu_matches_numpy(ex, types):
    import dotcompute as dc
    names = "abc"[:len(types)]
    host = {}
    for n, t in zip(names, types):
        x = data(t, 1001, "positive" if "**" in ex else "any")
        host[n] = x
    dev = {n: from_host(x) for n, x in host.items()}
    with np.errstate(all="ignore"):
        want = dc.evaluate(ex, local_dict=dict(host))
        want = np.asarray(want)
    got = dcuda.evaluate(ex, local_dict=dev).get()
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        tol = 2e-6 if "f4" in types else 1e-13      # float32 math inside: its rounding
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)
    # views and broadcasting take the strided kernel
    dev2 = {n: v.basic_index(slice(None, None, 2)) for n, v in dev.items()}
    host2 = {n: x[::2] for n, x in host.items()}
    with np.errstate(all="ignore"):
        want2 = np.asarray(dc.evaluate(ex, local_dict=host2))
    got2 = dcuda.evaluate(ex, local_dict=dev2).get()
    np.testing.assert_allclose(got2, want2, rtol=2e-6, atol=2e-6, equal_nan=True)


def test_evaluate_reductions_and_frame_lookup():
    a_h = rng.standard_normal(5000)
    b_h = rng.standard_normal(5000)
    a, b = from_host(a_h), from_host(b_h)     # noqa: F841 (found in the frame)
    got = dcuda.evaluate("sum(a * b + 1)").get()
    np.testing.assert_allclose(got, np.sum(a_h * b_h + 1), rtol=1e-12)
    got = dcuda.evaluate("max(where(a > b, a, b))").get()
    assert got == np.max(np.where(a_h > b_h, a_h, b_h))
    with pytest.raises(Exception):
        dcuda.evaluate("a.__class__")            # the same whitelist as evaluate


def test_dc_evaluate_on_cuda_arrays():
    dc = _dc_with_devices()
    a_h = rng.standard_normal(3001)
    b_h = rng.standard_normal(3001)
    a = dc.asarray(a_h, device="cuda")
    b = dc.asarray(b_h, device="cuda")
    r = dc.evaluate("2*a + 3*b*b - 1.5")
    assert isinstance(r, dc.ndarray) and str(r.device) == "cuda:0"
    np.testing.assert_allclose(r.get(), 2 * a_h + 3 * b_h * b_h - 1.5, rtol=1e-14, atol=1e-14)
    s = dc.evaluate("sum(where(a > 0, a, 0))", local_dict={"a": a})
    np.testing.assert_allclose(float(s), np.where(a_h > 0, a_h, 0).sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="different devices"):
        dc.evaluate("a + c", local_dict={"a": a, "c": dc.asarray(b_h)})


# --- the per-call fast path of dc arrays ------------------------------------------------

def test_ndarray_fast_path_matches_numpy():
    dc = _dc_with_devices()
    for t1, t2 in (("f8", "f8"), ("f4", "f4"), ("i4", "f8"), ("u1", "i1"), ("b1", "b1")):
        a, b = data(t1, (7, 129)), data(t2, (7, 129))
        x, y = dc.asarray(a, device="cuda"), dc.asarray(b, device="cuda")
        for _ in range(3):          # the first call plans and registers, later ones are fast
            r = x + y
            assert isinstance(r, dc.ndarray) and str(r.device) == "cuda:0"
            check(r.get(), a + b, "add")
            check(np.multiply(x, y).get(), a * b, "multiply")
            check((x == y).get(), a == b, "equal")
            check((-x).get() if t1 != "b1" else (~x).get(), -a if t1 != "b1" else ~a)
            check(np.absolute(x).get(), np.absolute(a), "absolute")
            # a Python scalar operand (passed by value on the fast path of float loops)
            check((x * 2.5).get(), a * 2.5, "multiply")
            check((2.5 - x).get(), 2.5 - a, "subtract")
            check((x + 3).get(), a + 3, "add")
            check((x > 0.5).get(), a > 0.5, "greater")
            check(np.add(x, y).get(), a + b, "add")
            if t1 in ("i4", "u1"):          # NEP 50: a Python int out of the loop type
                big = 300 if t1 == "u1" else 2 ** 40
                with pytest.raises(OverflowError):
                    a + big
                with pytest.raises(OverflowError):
                    x + big
        # layouts the fast path declines: views, broadcasting, 0-d
        check((x[:, 1:] + y[:, :-1]).get(), a[:, 1:] + b[:, :-1])
        check((x + y[0]).get(), a + b[0])
        check((x.T + y.T).get(), a.T + b.T)
        check((x[0, 0] + y[1, 1]).get(), a[0, 0] + b[1, 1])
    z = dc.asarray(np.ones(0), device="cuda")
    check((z + z).get(), np.ones(0) + np.ones(0))
    # all-integer keys give 0-d views of the element (reads and writes)
    a = data("f8", (4, 5))
    x = dc.asarray(a, device="cuda")
    assert x[1, 2].shape == () and float(x[1, 2]) == a[1, 2]
    x[2, 3] = 7.0
    a[2, 3] = 7.0
    check(x.get(), a)
    x = dc.asarray(np.arange(6.0), device="cuda")
    with pytest.raises(ValueError, match="different devices"):
        x + dc.asarray(np.arange(6.0))
    with pytest.raises(ValueError, match="different devices"):
        dc.asarray(np.arange(6.0)) + x


def test_arrays_made_by_another_thread_are_waited_for():
    # a dask worker thread's result used on another thread (per-thread default streams)
    dc = _dc_with_devices()
    a = rng.standard_normal(1 << 22)
    x = dc.asarray(a, device="cuda")
    for _ in range(3):
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("r", (x * 3.0 + x) * x))
        t.start()
        t.join()
        check((box["r"] - x).get(), (a * 3.0 + a) * a - a)
        del box


# --- ElementwiseKernel on GPU arrays -------------------------------------------------

def test_elementwise_kernel_on_gpu_matches_cpu_kernel():
    dc = _dc_with_devices()
    from dotcompute._compiler import _evaluate
    k = dc.ElementwiseKernel("T x, T y", "T z", "z = x * x + y", "sqsum_gpu")
    for t in ("f4", "f8", "i4", "u2"):
        a, b = data(t, (33, 17)), data(t, (33, 17))
        want = k(a, b)                              # the cpu kernel on host arrays
        ga, gb = dc.asarray(a, device="cuda"), dc.asarray(b, device="cuda")
        got = k(ga, gb)
        assert isinstance(got, dc.ndarray) and str(got.device) == "cuda:0"
        check(got.get(), np.asarray(want), t)
        check(k(ga, 2).get(), np.asarray(k(a, 2)), t)              # Python scalar
        check(k(ga, gb[0]).get(), np.asarray(k(a, b[0])), t)       # broadcasting
    hits = _evaluate.programs.hits
    k(ga, gb)
    assert _evaluate.programs.hits == hits + 1                     # the same cache object


def test_elementwise_kernel_on_gpu_outputs_and_typing():
    dc = _dc_with_devices()
    k = dc.ElementwiseKernel("float32 x, T y", "T z, float64 w",
                             "z = x * y + 1; w = sin(x) / 2", "two_out")
    a = data("f4", 1001)
    b = data("f8", 1001)
    want_z, want_w = k(a, b)
    gz, gw = k(dc.asarray(a, device="cuda"), dc.asarray(b, device="cuda"))
    check(gz.get(), np.asarray(want_z))
    np.testing.assert_allclose(gw.get(), np.asarray(want_w), rtol=1e-6)
    assert gw.dtype == np.float64
    # outputs given: written in place; an output read before assignment reads it
    acc = dc.ElementwiseKernel("T x", "T s", "s = s + 2 * x", "acc_gpu")
    s_h = data("f8", 64)
    x_h = data("f8", 64)
    gs = dc.asarray(s_h, device="cuda")
    r = acc(dc.asarray(x_h, device="cuda"), gs)
    assert r is gs
    check(gs.get(), s_h + 2 * x_h)
    with pytest.raises(ValueError, match="read before"):
        acc(dc.asarray(x_h, device="cuda"))
    with pytest.raises(ValueError, match="different devices"):
        k(dc.asarray(a, device="cuda"), b)
    # NEP 50: an int8 array with a Python int keeps int8 (wrapping), as on the cpu
    k8 = dc.ElementwiseKernel("T x, T y", "T z", "z = x + y", "add8")
    a8 = np.array([100, -100, 7], np.int8)
    check(k8(dc.asarray(a8, device="cuda"), 100).get(), np.asarray(k8(a8, 100)))


# --- indexing assignment with arrays, batched matmul, to_device(stream=) ---------------

def test_setitem_with_array_values():
    dc = _dc_with_devices()
    a = rng.standard_normal((10, 7))
    x = dc.asarray(a, device="cuda")
    m = a > 0
    v = rng.standard_normal(int(m.sum()))
    x[m] = dc.asarray(v, device="cuda")
    b = a.copy()
    b[m] = v
    check(x.get(), b)
    rows = a[:, 0] > 0
    x[rows] = dc.asarray(np.arange(7.0), device="cuda")        # broadcast over rows
    b[rows] = np.arange(7.0)
    check(x.get(), b)
    idx = np.array([1, -1, 4])
    x[idx] = dc.asarray(np.full((3, 7), 2.5, np.float32), device="cuda")   # cast on store
    b[idx] = np.full((3, 7), 2.5, np.float32)
    check(x.get(), b)
    x[dc.asarray(idx, device="cuda")] = 9.0
    b[idx] = 9.0
    check(x.get(), b)
    xt = dc.asarray(a, device="cuda").T                         # a strided target
    bt = a.T.copy()
    mt = bt > 0.5
    xt[mt] = dc.asarray(np.zeros(int(mt.sum())), device="cuda")
    bt[mt] = 0.0
    check(xt.get(), bt)
    with pytest.raises(ValueError):
        x[m] = dc.asarray(np.ones(int(m.sum()) + 1), device="cuda")
    with pytest.raises(IndexError):
        x[np.array([10])] = dc.asarray(np.ones(7), device="cuda")


@pytest.mark.parametrize("sa,sb", [((3, 4, 5), (5, 6)), ((2, 1, 4, 5), (3, 5, 2)),
                                   ((5,), (2, 5, 3)), ((2, 3, 4), (4,)),
                                   ((4, 2, 3), (4, 3, 2)), ((0, 2, 3), (3, 2))])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_batched_matmul(sa, sb, dt):
    dc = _dc_with_devices()
    a = rng.standard_normal(sa).astype(dt)
    b = rng.standard_normal(sb).astype(dt)
    want = a @ b
    got = dc.asarray(a, device="cuda") @ dc.asarray(b, device="cuda")
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if dt == np.float32 else 1e-12
    np.testing.assert_allclose(got.get(), want, rtol=tol, atol=tol)
    with pytest.raises(ValueError):
        dc.asarray(np.ones((2, 3, 4)), device="cuda") @ dc.asarray(np.ones((3, 5, 2)),
                                                                   device="cuda")


def test_to_device_on_a_stream():
    dc = _dc_with_devices()
    a = rng.standard_normal((300, 200))
    s = dcuda.Stream(non_blocking=True)
    x = dc.asarray(a).to_device("cuda", stream=s)
    assert str(x.device) == "cuda:0"
    with s:
        y = x * 2.0                                  # queued on s after the copy
    back = y.to_device("cpu", stream=s)              # copied on s: after the multiply
    check(np.asarray(back), a * 2.0)
    h = dc.asarray(a).to_device("cuda", stream=s.ptr)          # a CUstream handle
    check(h.get(), a)
    with pytest.raises(TypeError):
        dc.asarray(a).to_device("cuda", stream="s")
    torch = pytest.importorskip("torch")
    ts = torch.cuda.Stream()
    check(dc.asarray(a).to_device("cuda", stream=ts).get(), a)


# --- dask.array with GPU chunks -----------------------------------------------------

def test_dask_array_with_gpu_chunks():
    dc = _dc_with_devices()
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    a = rng.standard_normal((600, 400))
    b = rng.standard_normal((600, 400))
    x = da.from_array(dc.asarray(a, device="cuda"), chunks=(128, 100), asarray=False)
    y = da.from_array(dc.asarray(b, device="cuda"), chunks=(128, 100), asarray=False)
    assert isinstance(x._meta, dc.ndarray) and str(x._meta.device) == "cuda:0"
    e = 2 * x + 3 * y * y - 1.0
    for scheduler in ("sync", "threads"):
        with dask.config.set(scheduler=scheduler):
            s, mn, mx, me, col = dask.compute(e.sum(), e.min(), e.max(), e.mean(),
                                              e.sum(axis=0))
        want = 2 * a + 3 * b * b - 1.0
        for got, ref in ((s, want.sum()), (mn, want.min()), (mx, want.max()),
                         (me, want.mean())):
            assert isinstance(got, dc.ndarray) and str(got.device) == "cuda:0", scheduler
            np.testing.assert_allclose(float(got), ref, rtol=1e-10)
        assert str(col.device) == "cuda:0"
        np.testing.assert_allclose(col.get(), want.sum(axis=0), rtol=1e-10)


def test_namespace_functions_never_copy_gpu_arrays_to_the_host():
    dc = _dc_with_devices()
    a = rng.standard_normal((6, 5))
    x = dc.asarray(a, device="cuda")
    r = dc.concatenate([x, x], axis=1)
    assert str(r.device) == "cuda:0"
    check(r.get(), np.concatenate([a, a], axis=1))
    check(dc.stack((x, x)).get(), np.stack((a, a)))
    with pytest.raises(TypeError, match="cumsum"):
        dc.cumsum(x)
    with pytest.raises(TypeError, match="sort"):
        dc.msort(x) if hasattr(np, "msort") else dc.lexsort([x])
