# cython: language_level=3
"""C-level view of dotcompute.ndarray for the routine modules and the fused programs."""
cimport numpy as cnp
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING

# A fallback call whose array inputs hold fewer bytes than this in all runs NumPy's code
# with NumPy's own allocator (its results wrapped with the numpy array as memory owner,
# outside the pool and its limit): swapping in the pool's handler (1-2 us) costs more than
# such a call. 32 KiB covers n <= 1000 with four float64 operands.
cdef enum:
    SMALL_BYTES = 32768

# Arrays of up to this many dimensions keep shape and strides inside the object (no
# separate allocation per array).
cdef enum:
    INLINE_DIMS = 4

from dotcompute._core._kernel_access cimport Operand
from dotcompute._core._dtypes cimport numpy_kernel_type

cdef class ndarray:
    cdef object _mem              # owner of the memory: DeviceMemory or any buffer owner
    cdef object _dev              # the Device (dotcompute._core._device) holding the memory
    cdef bint _host               # _dev is the cpu: kernels and NumPy may read the memory
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
    cdef Py_ssize_t _layout[2 * INLINE_DIMS]   # _shape's storage when _ndim <= INLINE_DIMS
    cdef object _layout_buf       # ... a bytes object of its own when larger, else None
                                  # (no __dealloc__: Cython's deallocator then saves and
                                  # restores no exception state, ~10 ns of every array)
    cdef object _shape_t          # the shape tuple once asked for (None after a change)

    cdef _set_layout(self, tuple shape, tuple strides)
    cdef int _set_layout_c(self, int nd, const Py_ssize_t *shape,
                           const Py_ssize_t *strides) except -1
    cdef _adopt(self, ndarray other)
    cdef object _np(self)
    cdef object _np_at(self, char *data, int nd, Py_ssize_t *shape, Py_ssize_t *strides)
    cdef ndarray _part(self, Py_ssize_t offset)
    cdef ndarray _reversed_axes(self)
    cdef ndarray _sub(self, char *data, int nd, const Py_ssize_t *shape,
                      const Py_ssize_t *strides)
    cdef object _item_at(self, char *data)
    cdef dict _interface(self)


# An ndarray over memory `ptr` owned by `owner` (kept alive) on `device`.
cpdef ndarray wrap_memory(object owner, size_t ptr, tuple shape, tuple strides, object dtype,
                          object device, bint readonly=*)

# A C-contiguous array of like's shape and device, kernel type t, over `ptr` owned by
# `owner` (a device backend's per-call fast path: no Python calls).
cdef ndarray device_result(ndarray like, object owner, size_t ptr, int t,
                           Py_ssize_t itemsize)

# A dc array over a numpy array's memory (no copy); `base` is the dc array it views.
cdef ndarray wrap_numpy(object arr, object base=*)
# Wrap numpy arrays in (nested tuples/lists of) results as dc arrays.
cdef object wrap_result(object r, ndarray parent=*)
# Python tuple of n extents or strides.
cdef tuple ssize_tuple(const Py_ssize_t *p, int n)
# Zero-copy numpy view of a cpu dc array; anything else unchanged.
cdef object to_numpy(object x)
# As to_numpy, also inside lists and tuples.
cdef object to_numpy_nested(object x)
cdef object key_to_numpy(object key)
cdef tuple args_to_numpy(tuple args, dict kwargs)
cdef bytes format_of(object dtype)
cdef tuple shape_tuple(object shape)
# The device of an operation's operands (CPU when none is a dc array on another device);
# ValueError naming both when they are on different devices.
cdef object common_device(tuple inputs, object out)


cdef inline bint operand_of(object x, Operand *op, bint subclasses) noexcept:
    """Fill op from a cpu dc array or a numpy array (subclasses too when `subclasses`);
    False for anything else."""
    cdef ndarray a
    cdef cnp.ndarray n
    if type(x) is ndarray:
        a = <ndarray>x
        if not a._host:
            return False
        op.data = a._data
        op.t = a._t
        op.ndim = a._ndim
        op.shape = a._shape
        op.strides = a._strides
        op.contig = a._c_contig
        op.is_scalar = False
        return True
    if type(x) is cnp.ndarray or (subclasses and isinstance(x, cnp.ndarray)):
        n = <cnp.ndarray>x
        op.data = <char *>cnp.PyArray_DATA(n)
        op.t = numpy_kernel_type(n)
        op.ndim = cnp.PyArray_NDIM(n)
        op.shape = <Py_ssize_t *>cnp.PyArray_DIMS(n)
        op.strides = <Py_ssize_t *>cnp.PyArray_STRIDES(n)
        op.contig = cnp.PyArray_IS_C_CONTIGUOUS(n)
        op.is_scalar = False
        return True
    return False

cdef inline int alloc_layout(ndarray a, int nd) except -1:
    """Point a._shape / a._strides at room for nd extents and nd strides: inside the
    object up to INLINE_DIMS, else a block of its own (freed with the array)."""
    cdef object buf
    if nd <= INLINE_DIMS:
        a._shape = a._layout
        if a._layout_buf is not None:
            a._layout_buf = None
    else:
        buf = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>sizeof(Py_ssize_t) * 2 * nd)
        a._shape = <Py_ssize_t *>PyBytes_AS_STRING(buf)
        a._layout_buf = buf
    a._strides = a._shape + nd
    a._ndim = nd
    a._shape_t = None
    return 0

# func(*args, **kwargs) by the backend of a's device (a on another device than the cpu).
cdef object device_function(ndarray a, object func, tuple args, dict kwargs)


cdef inline (Py_ssize_t, Py_ssize_t) byte_span(ndarray a) noexcept:
    """First and one-past-last byte address an array's elements touch (size >= 1)."""
    cdef Py_ssize_t lo = <Py_ssize_t>a._data, hi = lo, x
    cdef int i
    for i in range(a._ndim):
        x = (a._shape[i] - 1) * a._strides[i]
        if x < 0:
            lo += x
        else:
            hi += x
    return lo, hi + a._itemsize


cdef inline Py_ssize_t stack_offset(const Py_ssize_t *shape, const Py_ssize_t *strides,
                                    int nbd, Py_ssize_t q) noexcept nogil:
    """Byte offset of item q (C order) of a stack over its nbd leading dimensions (shape,
    strides): the matrix q of a stack of matrices."""
    cdef Py_ssize_t off = 0, idx
    cdef int d
    if nbd == 1:
        return q * strides[0]
    for d in range(nbd - 1, -1, -1):
        idx = q % shape[d]
        q = q // shape[d]
        off += idx * strides[d]
    return off
