# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The one way into the kernel table (see _kernel_access.pxd)."""
import os

from cpython.pycapsule cimport PyCapsule_GetPointer

from dotcompute._core._cpu cimport effective_num_threads
from dotcompute._core._dtypes cimport type_size, DC_COST_EXPENSIVE

from dotcompute._core import _dispatch
from dotcompute._core._opspec import BINARY, UNARY, SERIAL_THRESHOLD

cdef dc_kernel_table *K = <dc_kernel_table *>PyCapsule_GetPointer(
    _dispatch.kernels.kernel_table(), b"dotcompute.kernels")

ISA = _dispatch.build

# Serial thresholds. The table's values assume workers that spin between parallel regions
# (a fork/join of ~1 us). dotcompute's default OMP_WAIT_POLICY=PASSIVE lets them sleep --
# steady on a shared, oversubscribed machine -- and waking them costs ~10-20 us, measured
# here: 2 threads then only pay off from ~4x larger inputs, so the thresholds scale by 4.
# Operators, reductions and fused programs all read the scaled values.
cdef int SCALE = 4 if os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE" else 1
cdef Py_ssize_t _cost_threshold[3]


def _scale_thresholds():
    cdef int i, cost
    for i in range(len(BINARY)):
        K.binary_threshold[i] *= SCALE
    for i in range(len(UNARY)):
        K.unary_threshold[i] *= SCALE
    K.reduce_threshold *= SCALE
    for cost in range(DC_COST_EXPENSIVE + 1):
        _cost_threshold[cost] = SERIAL_THRESHOLD[cost] * SCALE

_scale_thresholds()


cdef dc_kernel_table *kernel_table() noexcept nogil:
    return K


cdef int threads_for(Py_ssize_t n, Py_ssize_t threshold) noexcept nogil:
    if n < threshold:
        return 1
    return effective_num_threads()


cdef Py_ssize_t cost_threshold(int cost) noexcept nogil:
    return _cost_threshold[cost]


def serial_threshold(int cost):
    """Elements below which work of cost class `cost` (_opspec.CHEAP/MEDIUM/EXPENSIVE)
    runs on one thread (scaled as the kernel table's thresholds are)."""
    if cost < 0 or cost > DC_COST_EXPENSIVE:
        raise ValueError(f"unknown cost class {cost}")
    return _cost_threshold[cost]


def kernel_isa():
    """Name of the kernel build the table comes from."""
    return K.isa.decode()


cdef void run_unary(dc_unary_fn f, int threshold, const char *a, Py_ssize_t sa, char *o,
                    Py_ssize_t so, Py_ssize_t n) noexcept:
    cdef int nt
    if n < NOGIL_MIN:
        K.run_unary(f, threshold, a, sa, o, so, n, 1)
    else:
        nt = threads_for(n, threshold)
        with nogil:
            K.run_unary(f, threshold, a, sa, o, so, n, nt)


cdef void run_binary(dc_binary_fn f, int threshold, const char *a, Py_ssize_t sa,
                     const char *b, Py_ssize_t sb, char *o, Py_ssize_t so,
                     Py_ssize_t n) noexcept:
    cdef int nt
    if n < NOGIL_MIN:
        K.run_binary(f, threshold, a, sa, b, sb, o, so, n, 1)
    else:
        nt = threads_for(n, threshold)
        with nogil:
            K.run_binary(f, threshold, a, sa, b, sb, o, so, n, nt)


cdef void run_reduce(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa,
                     Py_ssize_t n, char *out) noexcept:
    cdef int nt
    if n < NOGIL_MIN:
        K.run_reduce(f, c, a, sa, n, out, 1)
    else:
        nt = threads_for(n, K.reduce_threshold)
        with nogil:
            K.run_reduce(f, c, a, sa, n, out, nt)


cdef void run_where(dc_where_fn f, const char *c, const char *x, const char *y, char *o,
                    Py_ssize_t itemsize, Py_ssize_t n) noexcept:
    if n < NOGIL_MIN:
        f(c, 1, x, itemsize, y, itemsize, o, itemsize, n)
    else:
        with nogil:
            f(c, 1, x, itemsize, y, itemsize, o, itemsize, n)


cdef inline void _extent(const Operand *a, char **lo, char **hi) noexcept:
    cdef Py_ssize_t l = 0, h = 0, x
    cdef int d
    for d in range(a.ndim):
        if a.shape[d] == 0:
            lo[0] = a.data
            hi[0] = a.data
            return
        x = (a.shape[d] - 1) * a.strides[d]
        if x < 0:
            l += x
        else:
            h += x
    lo[0] = a.data + l
    hi[0] = a.data + h + type_size(a.t)


cdef bint unsafe_overlap(const Operand *a, const Operand *o, int nd,
                         const Py_ssize_t *shape) noexcept:
    cdef char *alo
    cdef char *ahi
    cdef char *olo
    cdef char *ohi
    cdef int d, k
    cdef Py_ssize_t sa
    if a.data == a.value:
        return False                 # a Python scalar copied into the operand
    _extent(a, &alo, &ahi)
    _extent(o, &olo, &ohi)
    if ahi <= olo or ohi <= alo or alo == ahi or olo == ohi:
        return False
    if a.data != o.data or a.t != o.t:
        return True
    for d in range(nd):
        if shape[d] == 1:
            continue
        k = d - (nd - a.ndim)
        sa = a.strides[k] if k >= 0 and a.shape[k] != 1 else 0
        if sa != o.strides[d]:
            return True
    return False


cdef bint same_shape(const Operand *a, const Operand *b) noexcept:
    cdef int i
    if a.ndim != b.ndim:
        return False
    for i in range(a.ndim):
        if a.shape[i] != b.shape[i]:
            return False
    return True
