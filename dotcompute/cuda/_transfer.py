"""Host <-> device copies through page-locked host-pool memory.

Page-locked (pinned) host memory moves at the link's speed (about 55 GB/s each way on the
H200 machine) where pageable memory moves at 7-12 GB/s and a fresh NumPy array at 3 GB/s
(page faults).  Rather than allocating pinned memory per transfer (``cudaHostAlloc``: 0.5 s
per GiB), blocks of dotcompute's host pool are registered (``cuMemHostRegister``: 26 ms per
GiB, once) and stay registered while the pool keeps them mapped:

* a host array whose memory is a block of a host pool (``dotcompute`` arrays) is registered
  on its first transfer; later transfers from or to that block are pinned copies;
* ``to_host`` results (1 MiB and larger) are allocated from the staging pool, a host
  ``MemoryPool`` of this package whose blocks are all registered;
* before a host pool hands segments back to the OS (``free_all_blocks``, or its retry after
  a failed allocation) it calls our release hook, which unregisters that pool's ranges.

Smaller copies stay pageable: their cost is latency, not bandwidth.
"""
import bisect
import threading

import numpy as np

from dotcompute._core import _memory

from . import _driver
from ._array import DeviceView, c_strides

PIN_MIN = 1 << 20
PAGE = 4096

_lock = threading.Lock()
_starts = []            # sorted start addresses of registered ranges
_ranges = {}            # start -> (end, pool)
_stats = {"registrations": 0, "registered_bytes": 0, "unregistrations": 0,
          "pinned_copies": 0, "pageable_copies": 0, "bytes_h2d": 0, "bytes_d2h": 0}
_staging = None


def staging_pool():
    """The host pool whose blocks are registered on first use (page-aligned blocks)."""
    global _staging
    if _staging is None:
        _staging = _memory.MemoryPool(alignment=PAGE)
    return _staging


def _covered(p, n):
    i = bisect.bisect_right(_starts, p) - 1
    if i < 0:
        return False
    end, _ = _ranges[_starts[i]]
    return p + n <= end


def _host_block(arr):
    """The host-pool block (DeviceMemory) under a NumPy array, or None."""
    b = arr
    while b is not None:
        if isinstance(b, _memory.DeviceMemory):
            while b.base is not None:
                b = b.base
            return b
        if isinstance(b, memoryview):
            b = b.obj
        elif getattr(b, "_owner", None) is not None:     # dotcompute.ndarray
            b = b._owner
        else:
            b = getattr(b, "base", None)
    return None


def ensure_pinned(arr):
    """Register the host-pool block under `arr` (1 MiB and larger).  True when `arr` can be
    copied as pinned memory."""
    ptr = arr.__array_interface__["data"][0]
    n = arr.nbytes
    if n < PIN_MIN:
        return False
    with _lock:
        if _covered(ptr, n):
            return True
        block = _host_block(arr)
        if block is None:
            return False
        start = block.ptr & ~(PAGE - 1)
        end = (block.ptr + block.nbytes + PAGE - 1) & ~(PAGE - 1)
        if not (start <= ptr and ptr + n <= end):
            return False
        if not _driver.host_register(start, end - start):
            return False     # overlaps a registration made elsewhere: stay pageable
        bisect.insort(_starts, start)
        _ranges[start] = (end, block.pool)
        _stats["registrations"] += 1
        _stats["registered_bytes"] += end - start
        return True


def _release_hook(pool):
    """Called by a host pool before it unmaps cached segments: unregister its ranges."""
    if not _driver.is_loaded():
        return
    with _lock:
        gone = [s for s in _starts if _ranges[s][1] is pool]
        if not gone:
            return
        _driver.synchronize()
        for s in gone:
            end, _ = _ranges.pop(s)
            _driver.host_unregister(s)
            _stats["unregistrations"] += 1
            _stats["registered_bytes"] -= end - s
        _starts[:] = [s for s in _starts if s in _ranges]


_memory.add_release_hook(_release_hook)


def host_empty(shape, dtype):
    """A C-ordered host array from the staging pool (pinned once registered)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if n < PIN_MIN:
        return np.empty(shape, dtype)
    block = staging_pool().malloc(n)
    return np.frombuffer(block, dtype=np.uint8, count=n).view(dtype).reshape(shape)


def empty(shape, dtype, device_id=0):
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in shape)
    n = 1
    for s in shape:
        if s < 0:
            raise ValueError("negative dimensions are not allowed")
        n *= s
    mem = _driver.alloc(n * dtype.itemsize, device_id)
    return DeviceView(mem, mem.ptr, shape, c_strides(shape, dtype.itemsize), dtype, device_id)


def from_host(arr, device_id=0, stream=None, sync=True):
    """Copy a NumPy array (any layout) to a new C-contiguous GPU array."""
    arr = np.ascontiguousarray(arr)
    out = empty(arr.shape, arr.dtype, device_id)
    if arr.nbytes:
        pinned = ensure_pinned(arr)
        _stats["pinned_copies" if pinned else "pageable_copies"] += 1
        _stats["bytes_h2d"] += arr.nbytes
        _driver.memcpy_htod(out.data_ptr, arr.__array_interface__["data"][0], arr.nbytes,
                            stream, sync)
    return out


def to_host(x, out=None, stream=None, sync=True):
    """Copy a GPU array to the host (a new C-ordered array from the staging pool, or `out`)."""
    if not x.c_contiguous:
        from ._elementwise import copy as _copy
        x = _copy(x)
    if out is None:
        out = host_empty(x.shape, x.dtype)
    elif out.shape != x.shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous array of the same shape and dtype")
    if x.nbytes:
        pinned = ensure_pinned(out)
        _stats["pinned_copies" if pinned else "pageable_copies"] += 1
        _stats["bytes_d2h"] += x.nbytes
        _driver.memcpy_dtoh(out.__array_interface__["data"][0], x.data_ptr, x.nbytes,
                            stream, sync)
    return out


def transfer_stats():
    return dict(_stats, registered_ranges=len(_starts))
