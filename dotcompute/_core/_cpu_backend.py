"""The cpu device's backend: dotcompute's own routines (see _device.py for the protocol).

cpu arrays never reach these methods from the array's entry points (those take the cpu
fast paths directly); `_device.backend(CPU)` returns this object for code that works with
any device, and `to_device` uses `copy_to` for copies onto the cpu.
"""
import numpy as np

from . import _memory
from ._device import CPU
from ._ndarray import ndarray, unwrap, wrap
from . import _routines_creation as _creation


class CpuBackend:
    """dotcompute's routines behind the device-backend protocol."""

    def validate(self, device):
        if device != CPU:
            raise ValueError(f"unknown device {str(device)!r} (devices: 'cpu', 'cuda', "
                             "'cuda:N')")

    def empty(self, shape, dtype, order, device):
        return _creation.empty(shape, dtype, order)

    def full(self, shape, value, dtype, order, device):
        return _creation.full(shape, value, dtype, order)

    def from_host(self, numpy_array, device):
        return _creation.array(numpy_array, copy=True)

    def to_host(self, x):
        return np.array(unwrap(x), copy=True)

    def ufunc(self, ufunc, method, inputs, kwargs):
        return getattr(ufunc, method)(*inputs, **kwargs)

    def array_function(self, func, types, args, kwargs):
        return func(*args, **kwargs)

    def getitem(self, x, key):
        return x[key]

    def setitem(self, x, key, value):
        x[key] = value

    def copy_to(self, x, device, stream=None):
        """x (on any device) as a new cpu array (`stream`: ignored on the cpu)."""
        if device != CPU:
            raise ValueError(f"the cpu backend copies to the cpu, not to {device}")
        if isinstance(x, ndarray) and x.device is CPU:
            return x.copy()
        return _creation.array(np.asarray(x), copy=True)

    def memory_pool(self):
        return _memory.get_default_memory_pool()


backend = CpuBackend()
