"""The memory pool of a device: `get_default_memory_pool`, `memory_stats` and
`memory_summary` with `device=` (None or "cpu": dotcompute's pool, `_memory`; another
device: the pool its backend gives, with CuPy's method names)."""
from . import _memory
from ._device import CPU, as_device, backend

__all__ = ["get_default_memory_pool", "memory_stats", "memory_summary"]


def get_default_memory_pool(device=None):
    """The pool new arrays on `device` come from (default: the cpu's)."""
    dev = as_device(device)
    if dev is CPU:
        return _memory.get_default_memory_pool()
    return backend(dev).memory_pool()


def _of_pool(pool, device, cpu_function, method):
    """cpu_function(pool) for a cpu pool, else pool.method(); pool defaults to the pool of
    `device` (the cpu's when both are None)."""
    if pool is None and device is not None:
        pool = get_default_memory_pool(device)
    if pool is None or isinstance(pool, _memory.MemoryPool):
        return cpu_function(pool)
    return getattr(pool, method)()


def memory_stats(pool=None, *, device=None):
    """Counters of `pool` (default: the pool of `device`) in PyTorch's conventions."""
    return _of_pool(pool, device, _memory.memory_stats, "memory_stats")


def memory_summary(pool=None, *, device=None):
    """Readable table of `memory_stats` for `pool` (default: the pool of `device`)."""
    return _of_pool(pool, device, _memory.memory_summary, "memory_summary")
