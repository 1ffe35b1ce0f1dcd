# cython: language_level=3, boundscheck=False, wraparound=False
"""Basic indexing computed in C, as NumPy's `prepare_index` does for the same keys.

Integers (Python ints and NumPy integers, not bools), slices, None and Ellipsis give a view
(or one element) whose shape, strides and offset are computed here without building a NumPy
view. Anything else (arrays, lists, booleans) is left to NumPy's advanced indexing.
"""
from cpython.object cimport PyObject
from cpython.long cimport PyLong_CheckExact
from cpython.slice cimport PySlice_Check
from cpython.exc cimport PyErr_Occurred, PyErr_Clear, PyErr_ExceptionMatches

cimport numpy as cnp
import numpy as np

cdef extern from "Python.h":
    int PySlice_Unpack(object slice, Py_ssize_t *start, Py_ssize_t *stop,
                       Py_ssize_t *step) except -1
    Py_ssize_t PySlice_AdjustIndices(Py_ssize_t length, Py_ssize_t *start,
                                     Py_ssize_t *stop, Py_ssize_t step) noexcept
    object PyNumber_Index(object o)
    # -1 with an OverflowError set past Py_ssize_t (checked by the caller, no try block)
    Py_ssize_t ssize_or_error "PyLong_AsSsize_t" (object) noexcept

DEF MAXKEY = 64

cdef object _Ellipsis = Ellipsis
cdef object _np_integer = np.integer


# kinds of index entries
DEF K_INT = 0
DEF K_SLICE = 1
DEF K_NEW = 2
DEF K_ELLIPSIS = 3


cdef inline int _kind(object k, Py_ssize_t *ival) except -2:
    """Kind of one index entry, -1 when it is not a basic index (an integer past
    Py_ssize_t included: NumPy's path raises its IndexError)."""
    if PyLong_CheckExact(k):
        ival[0] = ssize_or_error(k)
    elif PySlice_Check(k):
        return K_SLICE
    elif k is None:
        return K_NEW
    elif k is _Ellipsis:
        return K_ELLIPSIS
    elif isinstance(k, _np_integer):
        ival[0] = ssize_or_error(PyNumber_Index(k))
    else:
        return -1
    if ival[0] == -1 and PyErr_Occurred():
        if not PyErr_ExceptionMatches(OverflowError):
            return -2                     # (propagates the error)
        PyErr_Clear()
        return -1
    return K_INT


cdef int basic_index(int nd, const Py_ssize_t *shape, const Py_ssize_t *strides,
                     object key, IndexResult *r) except -1:
    cdef Py_ssize_t n, i, j, ival, length, start, stop, step
    cdef int kinds[MAXKEY]
    cdef Py_ssize_t ivals[MAXKEY]
    cdef int consumed = 0, ell = -1, axis, out, k, fill
    cdef tuple t
    cdef bint has_slice_like = False
    if PySlice_Check(key) and nd >= 1:    # a[start:stop:step], the commonest slice
        PySlice_Unpack(key, &start, &stop, &step)
        length = PySlice_AdjustIndices(shape[0], &start, &stop, step)
        r.shape[0] = length
        r.strides[0] = strides[0] * step
        r.offset = start * strides[0] if length > 0 else 0
        for j in range(1, nd):
            r.shape[j] = shape[j]
            r.strides[j] = strides[j]
        r.nd = nd
        r.scalar = False
        return 1
    if type(key) is tuple:
        t = <tuple>key
    else:
        t = (key,)
    n = len(t)
    if n > MAXKEY:
        return 0
    for i in range(n):
        k = _kind(t[i], &ivals[i])
        if k < 0:
            return 0
        kinds[i] = k
        if k == K_INT or k == K_SLICE:
            consumed += 1
        elif k == K_ELLIPSIS:
            if ell >= 0:
                raise IndexError("an index can only have a single ellipsis ('...')")
            ell = <int>i
    if consumed > nd:
        raise IndexError(f"too many indices for array: array is {nd}-dimensional, "
                         f"but {consumed} were indexed")
    # walk the key, mapping entries to axes
    r.offset = 0
    out = 0
    axis = 0
    r.scalar = ell < 0
    for i in range(n):
        k = kinds[i]
        if k == K_INT:
            ival = ivals[i]
            length = shape[axis]
            if ival < -length or ival >= length:
                raise IndexError(f"index {ival} is out of bounds for axis {axis} "
                                 f"with size {length}")
            if ival < 0:
                ival += length
            r.offset += ival * strides[axis]
            axis += 1
        elif k == K_SLICE:
            PySlice_Unpack(t[i], &start, &stop, &step)
            length = PySlice_AdjustIndices(shape[axis], &start, &stop, step)
            if out >= INDEX_MAXDIMS:
                return 0
            r.shape[out] = length
            r.strides[out] = strides[axis] * step
            if length > 0:
                r.offset += start * strides[axis]
            out += 1
            axis += 1
            r.scalar = False
        elif k == K_NEW:
            if out >= INDEX_MAXDIMS:
                return 0
            r.shape[out] = 1
            r.strides[out] = 0
            out += 1
            r.scalar = False
        else:                             # Ellipsis: every axis the key leaves untaken
            fill = nd - consumed
            if out + fill > INDEX_MAXDIMS:
                return 0
            for j in range(fill):
                r.shape[out] = shape[axis]
                r.strides[out] = strides[axis]
                out += 1
                axis += 1
    while axis < nd:                      # trailing axes the key does not name
        if out >= INDEX_MAXDIMS:
            return 0
        r.shape[out] = shape[axis]
        r.strides[out] = strides[axis]
        out += 1
        axis += 1
        r.scalar = False
    r.nd = out
    if r.scalar and out != 0:
        r.scalar = False
    return 1


def index_layout(tuple shape, tuple strides, key):
    """(scalar, byte offset, shape, strides) of `key` applied to an array of that shape and
    strides, or None when `key` is not a basic index (NumPy's advanced indexing then runs).
    For tests and inspection; the array class calls `basic_index` from C."""
    cdef Py_ssize_t sh[INDEX_MAXDIMS]
    cdef Py_ssize_t st[INDEX_MAXDIMS]
    cdef IndexResult r
    cdef int i, nd = len(shape)
    if nd > INDEX_MAXDIMS or len(strides) != nd:
        raise ValueError("shape and strides must have the same length (at most 64)")
    for i in range(nd):
        sh[i] = shape[i]
        st[i] = strides[i]
    if not basic_index(nd, sh, st, key, &r):
        return None
    return (bool(r.scalar), r.offset, tuple([r.shape[i] for i in range(r.nd)]),
            tuple([r.strides[i] for i in range(r.nd)]))
