"""The seed's UnifiedBuffer: one array with a host copy and a device copy, moved only when
the side asked for is stale.

States (``u.state``):

=============== ===================================================================
host-only       only the host copy exists (no device memory yet)
device-only     only the device copy exists
synchronized    both exist and hold the same data
host-dirty      both exist; the host copy was written since the last transfer
device-dirty    both exist; the device copy was written since the last transfer
=============== ===================================================================

``ensure_on_device()`` copies host -> device only from host-only / host-dirty,
``ensure_on_host()`` copies device -> host only from device-only / device-dirty; both leave
the buffer synchronized.  The ``*_async(stream)`` variants queue the copy on a stream and
return at once (the state changes immediately: later work on that stream sees the data;
``synchronize()`` waits for the host side).  Writers say what they changed with
``mark_host_dirty()`` / ``mark_device_dirty()``.  The host copy lives in the pinned staging
pool, so transfers run at the link's speed.
"""
import numpy as np

from . import _driver
from ._array import DeviceView
from ._transfer import empty, ensure_pinned, host_empty

HOST_ONLY = "host-only"
DEVICE_ONLY = "device-only"
SYNCHRONIZED = "synchronized"
HOST_DIRTY = "host-dirty"
DEVICE_DIRTY = "device-dirty"


class UnifiedBuffer:
    """Host and device copies of one array (see the module docstring)."""

    def __init__(self, data, device_id=None):
        self.device_id = _driver.get_device_id() if device_id is None else int(device_id)
        self._event = None
        self.stats = {"h2d_transfers": 0, "d2h_transfers": 0, "bytes_h2d": 0, "bytes_d2h": 0,
                      "skipped_h2d": 0, "skipped_d2h": 0}
        if isinstance(data, DeviceView):
            self._host = None
            self._device = data
            self.shape, self.dtype = data.shape, data.dtype
            self.state = DEVICE_ONLY
            return
        data = np.asarray(data)
        self.shape, self.dtype = data.shape, data.dtype
        self._host = host_empty(data.shape, data.dtype)
        self._host[...] = data
        ensure_pinned(self._host)
        self._device = None
        self.state = HOST_ONLY

    @property
    def nbytes(self):
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    @property
    def host(self):
        """The host copy (a NumPy array; allocated on first use when device-only)."""
        if self._host is None:
            self._host = host_empty(self.shape, self.dtype)
            ensure_pinned(self._host)
        return self._host

    @property
    def device(self):
        """The device copy (allocated on first use when host-only)."""
        if self._device is None:
            self._device = empty(self.shape, self.dtype, self.device_id)
        return self._device

    def _h2d(self, stream, sync):
        dev = self.device
        if self.nbytes:
            _driver.memcpy_htod(dev.data_ptr, self._host.__array_interface__["data"][0],
                                self.nbytes, stream, sync)
        self.stats["h2d_transfers"] += 1
        self.stats["bytes_h2d"] += self.nbytes

    def _d2h(self, stream, sync):
        host = self.host
        if self.nbytes:
            _driver.memcpy_dtoh(host.__array_interface__["data"][0], self._device.data_ptr,
                                self.nbytes, stream, sync)
        self.stats["d2h_transfers"] += 1
        self.stats["bytes_d2h"] += self.nbytes

    def ensure_on_device(self):
        """Make the device copy current (copy only if it is stale); returns it."""
        return self.ensure_on_device_async(None, _sync=True)

    def ensure_on_host(self):
        """Make the host copy current (copy only if it is stale); returns it."""
        return self.ensure_on_host_async(None, _sync=True)

    def ensure_on_device_async(self, stream=None, *, _sync=False):
        """Queue the host -> device copy on `stream` if the device copy is stale."""
        self._ensure((HOST_ONLY, HOST_DIRTY), self._h2d, "skipped_h2d", stream, _sync)
        return self.device

    def ensure_on_host_async(self, stream=None, *, _sync=False):
        """Queue the device -> host copy on `stream` if the host copy is stale."""
        self._ensure((DEVICE_ONLY, DEVICE_DIRTY), self._d2h, "skipped_d2h", stream, _sync)
        return self.host

    def _ensure(self, stale, copy, skipped, stream, sync):
        if self.state in stale:
            copy(stream, sync)
            self.state = SYNCHRONIZED
            self._record(stream, sync)
        else:
            self.stats[skipped] += 1

    def _record(self, stream, sync):
        self._event = None if sync else _driver.Event(disable_timing=True).record(stream)

    def synchronize(self):
        """Wait for the last asynchronous transfer."""
        if self._event is not None:
            self._event.synchronize()
            self._event = None

    def mark_host_dirty(self):
        """The host copy was written: the device copy is stale."""
        self.synchronize()
        self.state = HOST_ONLY if self._device is None else HOST_DIRTY

    def mark_device_dirty(self):
        """The device copy was written: the host copy is stale."""
        self.device   # noqa: B018 (allocates when missing)
        self.state = DEVICE_ONLY if self._host is None else DEVICE_DIRTY

    def memory_stats(self):
        return dict(self.stats, state=self.state, nbytes=self.nbytes)

    def __repr__(self):
        return (f"<UnifiedBuffer shape={self.shape} dtype={self.dtype} state={self.state} "
                f"cuda:{self.device_id}>")


def unified(data, device=None):
    """A ``UnifiedBuffer`` over a copy of `data` (host array, or GPU array: device-only)."""
    return UnifiedBuffer(data, device)
