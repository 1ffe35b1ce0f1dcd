# cython: language_level=3
"""C-level view of dotcompute.ndarray for other Cython modules."""
cimport numpy as cnp

cdef class ndarray:
    cdef object _mem              # owner of the memory: DeviceMemory or any buffer owner
    cdef char *_data              # first element
    cdef object _dtype            # numpy.dtype
    cdef int _t                   # kernel table type index, -1 when not accelerated
    cdef int _ndim
    cdef Py_ssize_t *_shape       # _ndim extents followed by _ndim byte strides
    cdef Py_ssize_t *_strides
    cdef Py_ssize_t _size
    cdef Py_ssize_t _itemsize
    cdef bint _c_contig
    cdef bint _f_contig
    cdef bint _writeable
    cdef object _base             # the dc array this is a view of (NumPy's .base), or None
    cdef object _npview           # cached zero-copy numpy.ndarray over the same memory
    cdef bytes _format            # buffer-protocol format string

    cdef _set_layout(self, tuple shape, tuple strides)
    cdef _adopt(self, ndarray other)
    cdef object _np(self)
    cdef dict _interface(self)


# New C-order array of kernel type t with the given (already validated) extents, in pool
# memory: the allocation fast path of the element-wise kernels and the fused evaluator.
cdef ndarray _empty_c(int nd, const Py_ssize_t *shape, int t)

# Kernel table type index of a numpy array's elements, or -1 when our kernels cannot take
# it (dtype not accelerated, byte-swapped, or misaligned data or strides).
cdef int numpy_kernel_type(cnp.ndarray n) noexcept
