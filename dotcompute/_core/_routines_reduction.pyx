# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Reductions (see _routines_reduction.pxd).

A whole C-contiguous array reduces with one threaded kernel call; one axis of a C-contiguous
array with the 1-D kernel per row (last axis) or by accumulating slabs with the matching
element-wise kernel (other axes). Everything else is NumPy's method on a zero-copy view.
"""
cimport numpy as cnp
from libc.string cimport memcpy

from dotcompute._core._kernel_table cimport *
from dotcompute._core._dtypes cimport *
from dotcompute._core._kernel_access cimport (Operand, MAX_ITEM, kernel_table, run_binary,
                                              run_reduce)
from dotcompute._core._ndarray cimport (ndarray, operand_of, wrap_numpy, wrap_result,
                                        to_numpy, device_function)
from dotcompute._core._routines_creation cimport empty_array, pooled

import numpy as np

from dotcompute._core._memory import use_for_numpy as numpy_in_pool

cnp.import_array()

# Float dot products shorter than this run our kernel, longer ones NumPy's BLAS.
DEF DOT_OURS_BELOW = 131072

cdef dc_kernel_table *K = kernel_table()

cdef object _BOOL = np.dtype(bool)
cdef object _INTP = np.dtype(np.intp)
cdef dict _REDUCE_UFUNC = {np.add: DC_R_SUM, np.multiply: DC_R_PROD, np.minimum: DC_R_MIN,
                           np.maximum: DC_R_MAX, np.logical_or: DC_R_ANY,
                           np.logical_and: DC_R_ALL}
cdef dict _NP_REDUCE_NAME = {DC_R_SUM: "sum", DC_R_PROD: "prod", DC_R_MIN: "min",
                             DC_R_MAX: "max", DC_R_ANY: "any", DC_R_ALL: "all"}


cdef int reduce_kind(object ufunc):
    cdef object k = _REDUCE_UFUNC.get(ufunc)
    return -1 if k is None else <int>k


cdef object _result_dtype(int kind, int t):
    if kind == DC_R_SUM or kind == DC_R_PROD:
        if is_float(t):
            return type_dtype(t)
        if is_unsigned(t):
            return type_dtype(DC_T_U8)
        return type_dtype(DC_T_I8)
    if kind == DC_R_ANY or kind == DC_R_ALL:
        return _BOOL
    if kind == DC_R_ARGMIN or kind == DC_R_ARGMAX:
        return _INTP
    return type_dtype(t)


cdef extern from "numpy/arrayobject.h":
    object PyArray_Scalar(void *data, cnp.dtype descr, object base)


cdef inline object _scalar_from(char *value, object dtype):
    """NumPy scalar of `dtype` holding the bytes at value."""
    return PyArray_Scalar(value, <cnp.dtype>dtype, None)


cdef object _reduce_full(int kind, ndarray a):
    """Reduce all of a (C-contiguous, size >= 1) with our kernel; returns a numpy scalar."""
    cdef char out[MAX_ITEM]
    cdef int t = a._t
    run_reduce(K.reduce[kind][t], K.combine[kind][t], a._data, a._itemsize, a._size, out)
    return _scalar_from(out, _result_dtype(kind, t))


cdef object reduction(object ufunc, int kind, ndarray a, object axis, object dtype,
                       object out, object keepdims, object initial, object where):
    cdef int t = a._t
    if not a._host:
        return _on_device(a, _NP_REDUCE_NAME[kind], kind, axis, dtype, out, keepdims,
                          initial, where)
    if (t >= 0 and dtype is None and out is None and initial is np._NoValue
            and where is True and a._c_contig and a._size > 0
            and (axis is None or (a._ndim == 1 and axis in (0, -1, (0,), (-1,))))):
        r = _reduce_full(kind, a)
        if keepdims:
            return wrap_numpy(pooled(np.full, ((1,) * a._ndim, r), {}))
        return r
    if (t >= 0 and dtype is None and out is None and initial is np._NoValue
            and where is True and a._c_contig and a._size > 0 and a._ndim >= 2
            and (type(axis) is int or (type(axis) is tuple and len(axis) == 1
                                        and type(axis[0]) is int))):
        r = _reduce_axis(kind, a, axis if type(axis) is int else axis[0], keepdims)
        if r is not None:
            return r
    kw = {"axis": axis, "dtype": dtype, "out": out, "keepdims": keepdims}
    if initial is not np._NoValue:
        kw["initial"] = initial
    if where is not True:
        kw["where"] = where
    if kind in (DC_R_MIN, DC_R_MAX, DC_R_ANY, DC_R_ALL):
        kw.pop("dtype")
    if kind in (DC_R_ANY, DC_R_ALL):
        kw.pop("initial", None)
    return _numpy_method(a, _NP_REDUCE_NAME[kind], kw)


# The element-wise kernel that accumulates one slab into another, per reduction.
cdef dict _ROW_OP = {DC_R_SUM: DC_B_ADD, DC_R_PROD: DC_B_MULTIPLY, DC_R_MIN: DC_B_MINIMUM,
                     DC_R_MAX: DC_B_MAXIMUM}


cdef object _reduce_axis(int kind, ndarray a, int axis, object keepdims):
    """Reduce a C-contiguous array (ndim >= 2) over one axis with our kernels, or None.

    Last axis: the 1-D reduction kernel per row. Other axes: the result starts as the
    first slab and the matching element-wise kernel (add, multiply, minimum, maximum)
    accumulates each further slab into it -- contiguous, vectorized, NumPy's order."""
    cdef int nd = a._ndim, t = a._t, i
    cdef Py_ssize_t outer = 1, inner = 1, nk, o, j, isz = a._itemsize, rsz
    cdef ndarray r
    cdef dc_reduce_fn f = K.reduce[kind][t]
    cdef dc_combine_fn c = K.combine[kind][t]
    cdef dc_binary_fn g
    cdef char *src
    cdef char *dst
    cdef int thr
    if axis < -nd or axis >= nd:
        return None                      # NumPy raises AxisError
    if axis < 0:
        axis += nd
    nk = a._shape[axis]
    if nk == 0:
        return None
    for i in range(axis):
        outer *= a._shape[i]
    for i in range(axis + 1, nd):
        inner *= a._shape[i]
    rd = _result_dtype(kind, t)
    shape = list(a.shape)
    if keepdims:
        shape[axis] = 1
    else:
        del shape[axis]
    if inner == 1:
        r = empty_array(tuple(shape), rd, "C")
        rsz = r._itemsize
        for o in range(outer):
            src = a._data + o * nk * isz
            dst = r._data + o * rsz
            run_reduce(f, c, src, isz, nk, dst)
        return r
    if kind not in _ROW_OP or rd != a._dtype:
        return None
    g = K.binary[<int>_ROW_OP[kind]][t]
    if g == NULL:
        return None
    thr = K.binary_threshold[<int>_ROW_OP[kind]]
    r = empty_array(tuple(shape), rd, "C")
    for o in range(outer):
        src = a._data + o * nk * inner * isz
        dst = r._data + o * inner * isz
        memcpy(dst, src, inner * isz)
        for j in range(1, nk):
            run_binary(g, thr, dst, isz, src + j * inner * isz, isz, dst, isz, inner)
    return r


cdef object _numpy_method(ndarray a, str name, dict kw):
    out = kw.get("out")
    if out is not None:
        kw["out"] = to_numpy(out)
    if "where" in kw:
        kw["where"] = to_numpy(kw["where"])
    with numpy_in_pool():
        r = getattr(a._np(), name)(**kw)
    if out is not None:
        return out
    return wrap_result(r)


cdef object argreduction(int kind, str name, ndarray a, object axis, object out,
                          object keepdims):
    if not a._host:
        return device_function(a, getattr(np, name), (a,),
                               {"axis": axis, "out": out, "keepdims": keepdims})
    if a._t >= 0 and out is None and a._c_contig and a._size > 0 and (
            axis is None or (a._ndim == 1 and axis in (0, -1))):
        r = _reduce_full(kind, a)
        if keepdims:
            return wrap_numpy(pooled(np.full, ((1,) * a._ndim, r), {}))
        return r
    return _numpy_method(a, name, {"axis": axis, "out": out, "keepdims": keepdims})


cdef object dot(object x, object y, object out):
    cdef Operand A, B
    cdef char res[MAX_ITEM]
    cdef dc_dot_fn f
    # Small float dot products run our kernel on one thread (a BLAS call costs more than the
    # work); from DOT_OURS_BELOW on NumPy's BLAS dot runs at the memory limit on its own
    # threads (and ours would compete with BLAS threads still spinning from a previous call).
    if (out is None and operand_of(x, &A, False) and operand_of(y, &B, False) and A.t == B.t
            and is_float(A.t) and A.ndim == 1 and B.ndim == 1
            and A.shape[0] == B.shape[0] and 0 < A.shape[0] < DOT_OURS_BELOW):
        f = K.dot[A.t]
        with nogil:
            K.run_dot(f, K.combine[<int>DC_R_SUM][A.t], A.data, A.strides[0], B.data,
                      B.strides[0], A.shape[0], res, 1)
        return _scalar_from(res, type_dtype(A.t))
    with numpy_in_pool():
        r = np.dot(to_numpy(x), to_numpy(y), out=to_numpy(out))
    return out if out is not None else wrap_result(r)



cdef object _on_device(ndarray a, str name, int kind, object axis, object dtype, object out,
                       object keepdims, object initial, object where):
    """A reduction of an array on another device: its backend's."""
    kw = {"axis": axis, "out": out, "keepdims": keepdims}
    if kind not in (DC_R_MIN, DC_R_MAX, DC_R_ANY, DC_R_ALL):
        kw["dtype"] = dtype
    if initial is not np._NoValue:
        kw["initial"] = initial
    if where is not True:
        kw["where"] = where
    return device_function(a, getattr(np, name), (a,), kw)
