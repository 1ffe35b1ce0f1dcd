"""`DeviceView`: the minimal description of GPU memory seen as an N-d array.

The kernels of this package read five things from an array: ``data_ptr``, ``shape``,
``strides`` (bytes), ``dtype`` and ``device_id``, plus ``_owner`` to keep the memory alive.
``DeviceView`` is that, and nothing more: the package's own result type below the array
layer (the backend wraps results as ``dotcompute.ndarray`` through the device seam).
Metadata-only operations (basic indexing, transpose, reshape of contiguous data) reuse
NumPy's own rules on a stand-in array with the same strides, so shapes and errors are
NumPy's.
"""
from ._driver import DeviceView  # noqa: F401  (a cdef class: built in C on the fast path)


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


