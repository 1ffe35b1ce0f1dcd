"""dotcompute on NVIDIA GPUs (CUDA).

Importing this package never needs CUDA: the driver (``libcuda``) is opened on first use,
NVRTC (from ``cuda-bindings``) is imported when the first kernel is compiled.
``is_available()`` never raises; other entry points raise ``CUDAUnavailable`` naming what is
missing (cuda-bindings not installed, no driver, no GPU).

Install the optional dependencies with ``pip install "dotcompute[cuda]"``.
"""
from ._driver import (CUDAError, CUDAUnavailable, DeviceAllocation, DevicePool, Event,
                      Stream, get_current_stream, get_elapsed_time)

__all__ = ["is_available", "unavailable_reason", "device_count", "synchronize", "Stream",
           "Event", "get_current_stream", "get_elapsed_time", "CUDAError",
           "CUDAUnavailable", "DevicePool", "DeviceAllocation", "get_default_memory_pool",
           "memory_stats", "memory_summary", "unified", "UnifiedBuffer", "runtime_info",
           "compile_cache_info", "set_device", "current_device"]


def unavailable_reason():
    """None when CUDA can be used here, else the reason (a string).  Never raises."""
    try:
        from . import _driver
        _driver.load()
    except Exception as e:   # noqa: BLE001 - the point is to report any failure
        return str(e)
    try:
        import cuda.bindings.nvrtc  # noqa: F401
    except Exception as e:   # noqa: BLE001
        return (f"cuda-bindings is not installed (NVRTC is needed to compile kernels): {e}; "
                "pip install 'dotcompute[cuda]'")
    return None


def is_available():
    """True when a GPU, its driver and cuda-bindings are usable.  Never raises."""
    return unavailable_reason() is None


def require():
    """Raise ``CUDAUnavailable`` naming what is missing, unless CUDA is usable."""
    reason = unavailable_reason()
    if reason is not None:
        raise CUDAUnavailable(reason)


def device_count():
    """Number of GPUs (0 when CUDA is unavailable)."""
    from . import _driver
    try:
        return _driver.device_count()
    except CUDAUnavailable:
        return 0


def synchronize(device=None):
    """Wait for all queued work on a device (the current one by default)."""
    from . import _driver
    _driver.synchronize(-1 if device is None else int(device))


def set_device(device):
    from . import _driver
    _driver.set_device_id(int(device))


def current_device():
    from . import _driver
    return _driver.get_device_id()


def get_default_memory_pool(device=None):
    """The GPU memory pool of a device (CuPy's method names)."""
    from . import _driver
    return _driver.get_pool(-1 if device is None else int(device))


def memory_stats(device=None):
    return get_default_memory_pool(device).memory_stats()


def memory_summary(device=None):
    return get_default_memory_pool(device).memory_summary()


def unified(data, device=None):
    """``UnifiedBuffer`` holding a pinned host copy of `data` and a device copy."""
    from ._unified import unified as _unified
    return _unified(data, device)


def __getattr__(name):
    if name == "UnifiedBuffer":
        from ._unified import UnifiedBuffer
        return UnifiedBuffer
    raise AttributeError(f"module 'dotcompute.cuda' has no attribute {name!r}")


def compile_cache_info():
    from . import _compile
    return _compile.cache_info()


def runtime_info():
    """GPUs, driver and CUDA versions, or why CUDA is unavailable."""
    reason = unavailable_reason()
    if reason is not None:
        return {"available": False, "reason": reason}
    from . import _compile, _driver
    v = _driver.driver_version()
    info = {"available": True, "driver_cuda_version": f"{v // 1000}.{(v % 1000) // 10}",
            "devices": [_driver.device_properties(i) for i in range(_driver.device_count())]}
    try:
        info["nvrtc_version"] = "%d.%d" % _compile.nvrtc_version()
    except Exception as e:  # noqa: BLE001
        info["nvrtc_version"] = f"unavailable: {e}"
    return info


def evaluate(ex, local_dict=None, global_dict=None, out=None):
    """``dotcompute.evaluate`` for GPU arrays: the expression's typed program (same parser,
    whitelist, NumPy typing and cache as ``evaluate``) compiled into one CUDA kernel."""
    from .._compiler._cuda import evaluate as _evaluate
    return _evaluate(ex, local_dict, global_dict, out, _frame_depth=2)
