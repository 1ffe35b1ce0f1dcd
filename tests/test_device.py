"""The device seam: Device, as_device, device= of the creation functions, to_device,
wrap_memory, and the delegation of a non-cpu array's operations to its backend."""
import importlib.util
import pickle
import subprocess
import sys

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _device
from dotcompute._core._device import CPU, Device, as_device, backend
from dotcompute._core._ndarray import wrap_memory

CUDA_INSTALLED = importlib.util.find_spec("dotcompute.cuda") is not None


def test_cpu_device():
    a = dc.zeros(3)
    assert a.device is CPU
    assert str(a.device) == "cpu" and repr(a.device) == "cpu"
    assert a.device.kind == "cpu" and a.device.index == 0
    assert as_device(None) is CPU and as_device("cpu") is CPU and as_device(CPU) is CPU
    assert as_device(Device("cpu")) is CPU
    assert Device("cpu") == CPU and hash(Device("cpu")) == hash(CPU)
    assert Device("cuda", 1) == Device("cuda", 1) != Device("cuda", 0)
    assert str(Device("cuda", 1)) == "cuda:1"
    assert pickle.loads(pickle.dumps(CPU)) == CPU
    with pytest.raises(AttributeError):
        CPU.kind = "cuda"


@pytest.mark.parametrize("spec", ["bogus", "gpu", "cpu:1", "cuda:x", 3, ""])
def test_unknown_device_raises_value_error(spec):
    with pytest.raises(ValueError, match="device"):
        as_device(spec)


@pytest.mark.parametrize("make", [
    lambda: dc.zeros(3, device="bogus"),
    lambda: dc.empty((2, 2), device="bogus"),
    lambda: dc.ones(2, device="bogus"),
    lambda: dc.full(2, 1.0, device="bogus"),
    lambda: dc.asarray([1, 2], device="bogus"),
    lambda: dc.array([1, 2], device="bogus"),
    lambda: dc.arange(3, device="bogus"),
    lambda: dc.linspace(0, 1, 3, device="bogus"),
    lambda: dc.eye(2, device="bogus"),
    lambda: dc.zeros_like(dc.zeros(2), device="bogus"),
    lambda: dc.empty_like(dc.zeros(2), device="bogus"),
    lambda: dc.ones_like(dc.zeros(2), device="bogus"),
    lambda: dc.full_like(dc.zeros(2), 3, device="bogus"),
    lambda: dc.zeros(2).to_device("bogus"),
])
def test_creation_with_unknown_device_raises_value_error(make):
    with pytest.raises(ValueError, match="unknown device 'bogus'"):
        make()


def test_creation_on_cpu_matches_numpy():
    for name, args in [("zeros", (3,)), ("ones", ((2, 2),)), ("empty", (0,)),
                       ("full", (2, 7)), ("arange", (5,)), ("eye", (3,)),
                       ("linspace", (0, 1, 5)), ("identity", (2,))]:
        got = getattr(dc, name)(*args, device="cpu")
        exp = getattr(np, name)(*args)
        assert isinstance(got, dc.ndarray) and got.device is CPU
        assert got.dtype == exp.dtype and got.shape == exp.shape
        if name != "empty":
            np.testing.assert_array_equal(np.asarray(got), exp)
    like = dc.zeros_like(dc.ones((2, 3), dtype=np.int32), device="cpu")
    assert like.dtype == np.int32 and like.shape == (2, 3) and like.device is CPU


def test_to_device_cpu_is_identity():
    a = dc.arange(4.0)
    assert a.to_device("cpu") is a
    assert a.to_device(CPU) is a
    assert a.to_device(Device("cpu"), stream=None) is a


@pytest.mark.skipif(CUDA_INSTALLED, reason="the cuda backend is installed")
def test_cuda_without_backend_is_a_clear_runtime_error():
    for spec in ("cuda", "cuda:0", Device("cuda", 0)):
        with pytest.raises(RuntimeError, match="CUDA support is not installed"):
            as_device(spec)
    with pytest.raises(RuntimeError, match="CUDA support is not installed"):
        dc.zeros(3, device="cuda")


def test_import_does_not_import_cuda():
    code = ("import sys, dotcompute; "
            "assert not any(m.startswith('dotcompute.cuda') for m in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_cpu_backend_protocol():
    b = backend(CPU)
    x = b.full((2, 3), 2.5, np.dtype(np.float32), "C", CPU)
    assert isinstance(x, dc.ndarray) and x.dtype == np.float32
    np.testing.assert_array_equal(b.to_host(x), np.full((2, 3), 2.5, np.float32))
    y = b.from_host(np.arange(3), CPU)
    assert isinstance(y, dc.ndarray) and y.tolist() == [0, 1, 2]
    c = b.copy_to(y, CPU)
    assert c is not y and c.tolist() == [0, 1, 2]
    assert b.memory_pool() is dc.get_default_memory_pool()


def test_wrap_memory_keeps_owner_alive():
    owner = np.arange(6, dtype=np.float64)
    ptr = owner.ctypes.data
    x = wrap_memory(owner, ptr, (2, 3), (24, 8), np.float64, "cpu")
    del owner
    assert x.device is CPU and x.data_ptr == ptr
    assert isinstance(x._owner, np.ndarray)
    np.testing.assert_array_equal(np.asarray(x + 1), np.arange(6.0).reshape(2, 3) + 1)
    r = wrap_memory(x._owner, ptr, (6,), (8,), "f8", CPU, readonly=True)
    with pytest.raises(ValueError):
        r[0] = 1.0


class _HostBackedDevice:
    """A stand-in second device for the tests: arrays on "cuda:0" whose memory is host
    memory, so the delegation of every entry point can be observed."""

    def __init__(self):
        self.calls = []

    def validate(self, device):
        if device.index != 0:
            raise RuntimeError(f"no such device {device}")

    def _on(self, host, device):
        host = np.ascontiguousarray(host)
        return wrap_memory(host, host.ctypes.data, host.shape, host.strides, host.dtype,
                           device)

    def from_host(self, a, device):
        self.calls.append("from_host")
        return self._on(np.array(a, copy=True), device)

    def to_host(self, x):
        self.calls.append("to_host")
        return np.array(x._owner, copy=True).reshape(x.shape)

    def empty(self, shape, dtype, order, device):
        return self._on(np.empty(shape, dtype, order), device)

    def full(self, shape, value, dtype, order, device):
        return self._on(np.full(shape, value, dtype, order), device)

    def ufunc(self, ufunc, method, inputs, kwargs):
        self.calls.append(f"ufunc:{ufunc.__name__}")
        host = [self.to_host(x) if isinstance(x, dc.ndarray) else x for x in inputs]
        return self._on(getattr(ufunc, method)(*host, **kwargs), Device("cuda", 0))

    def array_function(self, func, types, args, kwargs):
        self.calls.append(f"function:{func.__name__}")
        host = [self.to_host(x) if isinstance(x, dc.ndarray) else x for x in args]
        return func(*host, **kwargs)

    def getitem(self, x, key):
        self.calls.append("getitem")
        return self._on(self.to_host(x)[key], x.device)

    def setitem(self, x, key, value):
        self.calls.append("setitem")
        np.asarray(x._owner).reshape(x.shape)[key] = value

    def copy_to(self, x, device):
        self.calls.append(f"copy_to:{device}")
        if device == CPU:
            return dc.asarray(self.to_host(x))
        return self.from_host(np.asarray(x), device)

    def memory_pool(self):
        return None


@pytest.fixture
def fake_cuda():
    saved = dict(_device._backends)
    b = _HostBackedDevice()
    _device.register_backend("cuda", b)
    try:
        yield b
    finally:
        _device._backends.clear()
        _device._backends.update(saved)
        _device.fast_calls.clear()      # the real backend's fast path again


def test_second_device_routes_through_its_backend(fake_cuda):
    g = dc.asarray([1.0, 2.0, 3.0], device="cuda:0")
    assert str(g.device) == "cuda:0" and g.device == Device("cuda", 0)
    assert "from_host" in fake_cuda.calls
    r = g + 1
    assert "ufunc:add" in fake_cuda.calls and str(r.device) == "cuda:0"
    assert r.to_device("cpu").tolist() == [2.0, 3.0, 4.0]
    assert float(g.sum()) == 6.0 and "function:sum" in fake_cuda.calls
    assert np.sin(g).device == Device("cuda", 0)
    g[0] = 5.0
    assert "setitem" in fake_cuda.calls and g.to_device("cpu").tolist() == [5.0, 2.0, 3.0]
    assert g[1:].to_device("cpu").tolist() == [2.0, 3.0]
    assert g.to_device("cuda:0") is g
    with pytest.raises(RuntimeError, match="no such device"):
        dc.zeros(2, device="cuda:3")
    with pytest.raises(BufferError):
        memoryview(g)


def test_mixing_devices_raises_value_error(fake_cuda):
    g = dc.asarray([1.0, 2.0], device="cuda")
    c = dc.asarray([1.0, 2.0])
    with pytest.raises(ValueError, match="different devices.*cpu.*cuda:0|cuda:0.*cpu"):
        np.add(c, g)
    with pytest.raises(ValueError, match="different devices"):
        c + g


def test_memory_pool_of_a_device():
    pool = dc.get_default_memory_pool()
    assert dc.get_default_memory_pool(device="cpu") is pool
    assert dc.get_default_memory_pool(device=CPU) is pool
    with pytest.raises(ValueError, match="unknown device"):
        dc.get_default_memory_pool(device="bogus")
    keep = dc.ones(1000)
    assert dc.memory_stats(device="cpu").keys() == dc.memory_stats().keys()
    assert dc.memory_stats(device="cpu")["allocated_bytes.all.current"] >= keep.nbytes
    assert dc.memory_summary(device="cpu").splitlines()[0] == \
        dc.memory_summary().splitlines()[0]
    with pytest.raises(ValueError, match="unknown device"):
        dc.memory_stats(device="bogus")


def test_memory_pool_of_another_device_is_its_backends(fake_cuda):
    class Pool:
        def memory_stats(self):
            return {"allocated_bytes.all.current": 0}

        def memory_summary(self):
            return "cuda pool"
    fake_cuda.memory_pool = lambda: pool
    pool = Pool()
    assert dc.get_default_memory_pool(device="cuda:0") is pool
    assert dc.memory_stats(device="cuda") == {"allocated_bytes.all.current": 0}
    assert dc.memory_summary(device="cuda:0") == "cuda pool"


def test_a_replaced_backend_never_runs_the_old_fast_path(fake_cuda):
    """The array layer caches each device kind's per-call fast path; registering another
    backend for the kind drops it (a GPU test that ran `g + 1` on the real backend left
    its fast path cached for the fake backend of the next test)."""
    class WithFastPath(_HostBackedDevice):
        def fast_call(self, ufunc, x, y):
            self.calls.append("fast")
            return None                   # declined: the general path runs

    first = WithFastPath()
    _device.register_backend("cuda", first)
    g = dc.asarray([1.0, 2.0], device="cuda:0")
    g + 1
    assert first.calls.count("fast") == 1 and "ufunc:add" in first.calls
    second = _HostBackedDevice()
    _device.register_backend("cuda", second)
    h = dc.asarray([1.0, 2.0], device="cuda:0")
    r = h + 1
    assert first.calls.count("fast") == 1
    assert "ufunc:add" in second.calls and str(r.device) == "cuda:0"
