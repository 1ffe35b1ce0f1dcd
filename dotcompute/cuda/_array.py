"""`DeviceView`: the minimal description of GPU memory seen as an N-d array.

The kernels of this package read five things from an array: ``data_ptr``, ``shape``,
``strides`` (bytes), ``dtype`` and ``device_id``, plus ``_owner`` to keep the memory alive.
``DeviceView`` is that, and nothing more: the package's own result type below the array
layer (the backend wraps results as ``dotcompute.ndarray`` through the device seam).
Metadata-only operations (basic indexing, transpose, reshape of contiguous data) reuse
NumPy's own rules on a stand-in array with the same strides, so shapes and errors are
NumPy's.
"""
import numpy as np

from . import _driver


def c_strides(shape, itemsize):
    strides = []
    s = itemsize
    for n in reversed(shape):
        strides.append(s)
        s *= max(n, 1)
    return tuple(reversed(strides))


def is_c_contiguous(shape, strides, itemsize):
    s = itemsize
    for n, st in zip(reversed(shape), reversed(strides)):
        if n == 0:
            return True
        if n != 1 and st != s:
            return False
        s *= n
    return True


class DeviceView:
    """GPU memory as an N-d array (pointer, shape, byte strides, dtype, owner)."""

    __slots__ = ("_owner", "data_ptr", "shape", "strides", "dtype", "device_id", "size",
                 "c_contiguous", "__weakref__")

    def __init__(self, owner, ptr, shape, strides, dtype, device_id=0):
        self._owner = owner
        self.data_ptr = ptr
        self.shape = shape
        self.strides = strides
        self.dtype = dtype
        self.device_id = device_id
        n = 1
        for d in shape:
            n *= d
        self.size = n
        self.c_contiguous = is_c_contiguous(shape, strides, dtype.itemsize)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def device(self):
        return f"cuda:{self.device_id}"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self):
        return (f"<DeviceView shape={self.shape} dtype={self.dtype} on cuda:{self.device_id} "
                f"at 0x{self.data_ptr:x}>")

    def __array__(self, dtype=None, copy=None):
        raise TypeError("implicit conversion of a GPU array to a NumPy array is not allowed: "
                        "use x.get(), dotcompute.asnumpy(x) or x.to_device('cpu')")

    @property
    def __cuda_array_interface__(self):
        strides = None if self.c_contiguous else self.strides
        return {"shape": self.shape, "typestr": self.dtype.str, "descr": [("", self.dtype.str)],
                "data": (self.data_ptr, False), "strides": strides, "version": 3,
                "stream": _driver.current_stream_ptr() or None}

    def get(self, stream=None, out=None):
        """Copy to a new NumPy array (C order) on the host."""
        from ._transfer import to_host
        return to_host(self, out=out, stream=stream)

    # --- metadata-only views (NumPy's rules on a stand-in array) -----------------------

    def _stand_in(self):
        base = np.empty(1, self.dtype)
        return base, np.lib.stride_tricks.as_strided(base, self.shape, self.strides)

    def _view_like(self, base, v):
        off = v.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return DeviceView(self._owner, self.data_ptr + off, v.shape, v.strides, self.dtype,
                          self.device_id)

    def basic_index(self, key):
        """View for a basic-indexing key (ints, slices, None, Ellipsis); None if the key is
        not basic (the caller then runs a gather kernel)."""
        if not isinstance(key, tuple):
            key = (key,)
        for k in key:
            if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
                    ) or isinstance(k, (bool, np.bool_)):
                return None
        base, fake = self._stand_in()
        return self._view_like(base, fake[key])

    def transpose(self, *axes):
        base, fake = self._stand_in()
        return self._view_like(base, fake.transpose(*axes))

    @property
    def T(self):
        return self.transpose()

    def reshape_view(self, shape):
        """A view with the new shape when the data is C-contiguous, else None."""
        if not self.c_contiguous:
            return None
        base, fake = self._stand_in()
        return self._view_like(base, fake.reshape(shape))
