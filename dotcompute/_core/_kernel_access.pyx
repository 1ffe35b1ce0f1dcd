# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The one way into the kernel table (see _kernel_access.pxd)."""
from cpython.pycapsule cimport PyCapsule_GetPointer

from dotcompute._core._threads cimport threads_for as _threads_for, threads_add_probe
from dotcompute._core._dtypes cimport type_size, DC_COST_EXPENSIVE, DC_T_F4, DC_T_F8

from dotcompute._core import _dispatch
from dotcompute._core._opspec import (BINARY, UNARY, BINARY_INDEX, UNARY_INDEX, CHEAP,
                                      MEDIUM, SERIAL_THRESHOLD)

cdef dc_kernel_table *K = <dc_kernel_table *>PyCapsule_GetPointer(
    _dispatch.kernels.kernel_table(), b"dotcompute.kernels")

ISA = _dispatch.build

# Serial thresholds. The table's values (opspec.SERIAL_THRESHOLD of each operation's cost
# class) only name the class: the thread policy (_threads) maps each class to the chunk size
# derived from the fork/join, wake-up and per-element costs it measures in this process.
# It measures those costs on these kernels (the cheapest of a class decides).
cdef Py_ssize_t _cost_threshold[3]


def _register():
    cdef int cost, t
    for cost in range(DC_COST_EXPENSIVE + 1):
        _cost_threshold[cost] = SERIAL_THRESHOLD[cost]
    for name, cost in (("add", CHEAP), ("true_divide", MEDIUM)):
        for t, size in ((DC_T_F4, 4), (DC_T_F8, 8)):
            threads_add_probe(cost, 1, <void *>K.binary[BINARY_INDEX[name]][t], size)
    for name in ("sqrt", "exp", "sin"):
        for t, size in ((DC_T_F4, 4), (DC_T_F8, 8)):
            threads_add_probe(UNARY[UNARY_INDEX[name]][3], 0,
                              <void *>K.unary[UNARY_INDEX[name]][t], size)

_register()


cdef dc_kernel_table *kernel_table() noexcept nogil:
    return K


cdef int threads_for(Py_ssize_t n, Py_ssize_t threshold) noexcept nogil:
    return _threads_for(n, <int>(threshold if threshold < (1 << 30) else (1 << 30)))


cdef Py_ssize_t cost_threshold(int cost) noexcept nogil:
    return _cost_threshold[cost]


def serial_threshold(int cost):
    """The serial threshold naming cost class `cost` (_opspec.CHEAP/MEDIUM/EXPENSIVE) to
    threads_for (the table's value for the class; _threads maps it to measured sizes)."""
    if cost < 0 or cost > DC_COST_EXPENSIVE:
        raise ValueError(f"unknown cost class {cost}")
    return _cost_threshold[cost]


def kernel_isa():
    """Name of the kernel build the table comes from."""
    return K.isa.decode()


cdef void run_unary(dc_unary_fn f, int threshold, const char *a, Py_ssize_t sa, char *o,
                    Py_ssize_t so, Py_ssize_t n) noexcept:
    cdef int nt = threads_for(n, threshold)
    if n < NOGIL_MIN:
        K.run_unary(f, threshold, a, sa, o, so, n, nt)
    else:
        with nogil:
            K.run_unary(f, threshold, a, sa, o, so, n, nt)


cdef void run_binary(dc_binary_fn f, int threshold, const char *a, Py_ssize_t sa,
                     const char *b, Py_ssize_t sb, char *o, Py_ssize_t so,
                     Py_ssize_t n) noexcept:
    cdef int nt = threads_for(n, threshold)
    if n < NOGIL_MIN:
        K.run_binary(f, threshold, a, sa, b, sb, o, so, n, nt)
    else:
        with nogil:
            K.run_binary(f, threshold, a, sa, b, sb, o, so, n, nt)


cdef void run_reduce(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa,
                     Py_ssize_t n, char *out) noexcept:
    cdef int nt = threads_for(n, K.reduce_threshold)
    if n < NOGIL_MIN:
        K.run_reduce(f, c, a, sa, n, out, nt)
    else:
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
