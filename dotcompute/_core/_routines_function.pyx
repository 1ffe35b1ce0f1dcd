# cython: language_level=3
"""NumPy functions on dotcompute arrays: the `__array_function__` protocol.

`OVERRIDES` maps a NumPy function to the routine that implements it here (np.sum(x) runs
`sum` below, which runs x.sum(...)): the routines own the table, the namespace only
publishes the same functions. Any other NumPy function runs NumPy's code on zero-copy views
with its results from the pool, wrapped as dotcompute arrays.
"""
from dotcompute._core._ndarray cimport (ndarray, wrap_result, to_numpy, to_numpy_nested,
                                        stack_offset,
                                        SMALL_BYTES, device_function)
from dotcompute._core._routines_creation cimport as_array, new_array
from dotcompute._core cimport _routines_creation as _cr
from dotcompute._core._kernel_access cimport (MAXDIMS, run_select, run_sort, run_search,
                                              run_correlate,
                                              run_argsort, run_hasdup, NonzeroRun,
                                              run_nonzero_count, run_nonzero_fill,
                                              nonzero_parts, run_numpy_rows, np_sort_fn,
                                              np_argsort_fn,
                                              run_hist_f8, run_interp_f8,
                                              interp_inputs_ok, run_bincount)
from libc.string cimport memcpy, memcmp
from libc.math cimport isfinite
from libc.stdint cimport uint16_t, uint32_t, uint64_t, int32_t, int64_t
cdef extern from "dc_copy.h" nogil:
    void dc_copy_bytes(char *dst, const char *src, size_t n)   # memmove, minus Zen's slow offsets
from dotcompute._core cimport _routines_elementwise as _ew
from dotcompute._core cimport _routines_reduction as _red
from dotcompute._core._dtypes cimport (DC_T_F4, DC_T_F8, DC_T_I4, DC_T_I8, DC_T_U4,
                                       DC_T_U8, DC_T_I1, DC_T_I2, DC_T_U1, DC_T_U2,
                                       DC_T_B1)

from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_DECREF
from cpython.tuple cimport PyTuple_GET_SIZE, PyTuple_GET_ITEM
from cpython.long cimport PyLong_CheckExact

cdef extern from "Python.h":
    PyObject *PyDict_GetItemWithError(object d, object key) except? NULL

cimport numpy as cnp

from dotcompute._core._vectorcall cimport (vectorcallfunc, PyVectorcall_NARGS,
                                           enable_vectorcall, vectorcall, vectorcall_dict,
                                           PySequence_Fast_ITEMS)

import builtins
import functools
import types
import warnings

import numpy as np
from numpy.exceptions import AxisError
from numpy.lib.array_utils import normalize_axis_tuple

from dotcompute._core._memory import PoolScope as numpy_in_pool
from dotcompute._core._memory cimport pool_for_numpy, numpy_allocator_back


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
        where=True):
    return as_array(a).sum(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                           initial=initial, where=where)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
         where=True):
    return as_array(a).prod(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                            initial=initial, where=where)


def min(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
    return as_array(a).min(axis=axis, out=out, keepdims=keepdims, initial=initial,
                           where=where)


def max(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
    return as_array(a).max(axis=axis, out=out, keepdims=keepdims, initial=initial,
                           where=where)


def any(a, axis=None, out=None, keepdims=False, *, where=True):
    return as_array(a).any(axis=axis, out=out, keepdims=keepdims, where=where)


def all(a, axis=None, out=None, keepdims=False, *, where=True):
    return as_array(a).all(axis=axis, out=out, keepdims=keepdims, where=where)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return as_array(a).argmin(axis=axis, out=out, keepdims=keepdims)


def argmax(a, axis=None, out=None, *, keepdims=False):
    return as_array(a).argmax(axis=axis, out=out, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    return as_array(a).mean(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                            where=where)


def cumsum(a, axis=None, dtype=None, out=None):
    return as_array(a).cumsum(axis=axis, dtype=dtype, out=out)


def cumprod(a, axis=None, dtype=None, out=None):
    return as_array(a).cumprod(axis=axis, dtype=dtype, out=out)


def dot(a, b, out=None):
    if out is None and type(a) is ndarray and type(b) is ndarray:
        return _red.dot(a, b, None)
    return as_array(a).dot(as_array(b) if builtins.isinstance(b, (list, tuple)) else b,
                           out=out)


def vdot(a, b, /):
    # float arrays of one dtype: our dot kernel (_red.vdot); NumPy's vdot for the rest
    r = _red.vdot(a, b)
    if r is not None:
        return r
    a, b = as_array(a), as_array(b)
    with numpy_in_pool():
        return wrap_result(np.vdot(to_numpy(a), to_numpy(b)))


def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kwargs):
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    return as_array(a).clip(lo, hi, out=out, **kwargs)


def where(condition, x=None, y=None, /):
    """numpy.where; our kernel for a bool condition and two arrays of one accelerated
    dtype, all of the same shape and C-contiguous (else NumPy's); with the condition
    alone nonzero (what NumPy's where runs) of a cpu dc array."""
    if x is None and y is None and _host_array(condition):
        return nonzero(condition)
    return _ew.where(condition, x, y)


DEF NONZERO_MIN = 4096   # elements: below, NumPy's nonzero (a few us; ours adds a pass)
# the NumPy functions our overrides fall back to (module attribute lookups cost ~50 ns a call)
cdef object _F_argsort = np.argsort
cdef object _F_argwhere = np.argwhere
cdef object _F_bincount = np.bincount
cdef object _F_concatenate = np.concatenate
cdef object _F_copy = np.copy
cdef object _F_diff = np.diff
cdef object _F_digitize = np.digitize
cdef object _F_flatnonzero = np.flatnonzero
cdef object _F_flip = np.flip
cdef object _F_histogram = np.histogram
cdef object _F_interp = np.interp
cdef object _F_isin = np.isin
cdef object _F_lexsort = np.lexsort
cdef object _F_median = np.median
cdef object _F_nanmedian = np.nanmedian
cdef object _F_nansum = np.nansum
cdef object _F_nanmean = np.nanmean
cdef object _F_nanvar = np.nanvar
cdef object _F_nanstd = np.nanstd
cdef object _F_nonzero = np.nonzero
cdef object _F_outer = np.outer
cdef object _F_percentile = np.percentile
cdef object _F_polyval = np.polyval
cdef object _F_quantile = np.quantile
cdef object _F_ravel = np.ravel
cdef object _F_repeat = np.repeat
cdef object _F_reshape = np.reshape
cdef object _F_searchsorted = np.searchsorted
cdef object _F_sort = np.sort
cdef object _F_stack = np.stack
cdef object _F_std = np.std
cdef object _F_transpose = np.transpose
cdef object _F_unique = np.unique
cdef object _F_var = np.var


cdef object _REQ = object()       # a required parameter's place in _trim's defaults


cdef tuple _trim(tuple args, tuple defaults):
    """args without its trailing values that are their parameters' defaults (the same
    objects): a fallback passes NumPy's code the call as a program would write it, and
    each argument passed costs (bincount's three: 0.08 us of 0.5)."""
    cdef Py_ssize_t n = PyTuple_GET_SIZE(args)
    while n > 1 and <object>PyTuple_GET_ITEM(args, n - 1) is \
            <object>PyTuple_GET_ITEM(defaults, n - 1):
        n -= 1
    return args if n == PyTuple_GET_SIZE(args) else args[:n]


cdef dict _given(tuple items):
    """{name: value} of the (name, value, default) triples whose value is not the default
    (the same object): the keywords a fallback passes, as _trim its positions."""
    return {k: v for k, v, default in items if v is not default}

cdef object _bool = np.dtype(np.bool_)


cdef ndarray _nonzero_coords(ndarray a, bint argwhere):
    """The coordinates of a's nonzero elements by run_nonzero_* (dc_nonzero.h), in
    NumPy's layout: nonzero's (count, ndim) block (its results are the columns), or
    argwhere's (ndim, count) block (its result is the transpose). None: NumPy's code
    should run (a 0-d or small array, a dtype our != 0 does not take, a 1-d array on one
    thread)."""
    cdef ndarray m, r
    cdef NonzeroRun x
    cdef Py_ssize_t total
    cdef Py_ssize_t sh[2]
    cdef int parts
    if a._ndim == 0 or a._size < NONZERO_MIN or a._t < 0:
        return None
    parts = nonzero_parts(a._size)
    if a._ndim == 1 and parts < 2:
        # NumPy's 1-d loop is as ours, with no count pass (one thread, AMD EPYC, 1e6
        # half true: 0.45 ms against 0.54); ours pays from two threads (0.28 ms)
        return None
    m = a
    if m._dtype is not _bool:
        m = <ndarray?>(a != 0)               # NaN counts as nonzero, -0.0 not (NumPy)
    if not m._c_contig:
        m = _cr.copy(m, "C")
    total = run_nonzero_count(&x, m._data, m._ndim, m._shape, m._size, parts)
    if argwhere:
        sh[0], sh[1] = m._ndim, total
        r = new_array(2, sh, _intp, False, False)
        run_nonzero_fill(&x, r._data, 1, total)
    else:
        sh[0], sh[1] = total, m._ndim
        r = new_array(2, sh, _intp, False, False)
        run_nonzero_fill(&x, r._data, m._ndim, 1)
    return r


cpdef object nonzero(object a):
    """numpy.nonzero: for a cpu dc array of NONZERO_MIN elements or more, its coordinates
    by our two-pass kernel (_nonzero_coords), as NumPy returns them: the columns of one
    (count, ndim) int64 array; else NumPy's code (0-d arrays: its ValueError)."""
    if _host_array(a):
        r = _nonzero_coords(<ndarray>a, False)
        if r is not None:
            return _columns(<ndarray>r)
        return _nonzero(<ndarray>a)
    return call_numpy_function(_F_nonzero, _np_nonzero, (a,), {})


cdef tuple _columns(ndarray r):
    """The columns of a (count, ndim) block as NumPy's nonzero gives them: views of stride
    ndim * 8 (also when count is 0, where the block's own strides are 0)."""
    cdef Py_ssize_t n = r._shape[0], st = r._shape[1] * 8
    cdef int d
    return tuple([r._sub(r._data + d * 8, 1, &n, &st) for d in range(r._shape[1])])


def argwhere(a):
    """numpy.argwhere: for a cpu dc array of NONZERO_MIN elements or more, the transpose
    of an (ndim, count) block of its coordinates (NumPy's transpose(nonzero(a)) layout);
    else NumPy's code."""
    if _host_array(a):
        r = _nonzero_coords(<ndarray>a, True)
        if r is not None:
            return (<ndarray>r).T
    return call_numpy_function(_F_argwhere, _np_argwhere, (a,), {})


def flatnonzero(a):
    """numpy.flatnonzero: nonzero of the flattened array (NumPy's steps)."""
    if _host_array(a):
        return nonzero((<ndarray>a).reshape(-1))[0]
    return call_numpy_function(_F_flatnonzero, _np_flatnonzero, (a,), {})


cdef object _np_nonzero = np.nonzero._implementation
cdef object _np_argwhere = np.argwhere._implementation
cdef object _np_flatnonzero = np.flatnonzero._implementation


cdef object _nonzero(ndarray a):
    """NumPy's nonzero (what its where runs with the condition alone) on a's view, called
    directly (its index arrays wrapped); NumPy's allocator for small results, the pool's
    for larger ones."""
    if a._size * sizeof(Py_ssize_t) < SMALL_BYTES:
        return wrap_result(cnp.PyArray_Nonzero(a._np()))
    with numpy_in_pool():
        return wrap_result(cnp.PyArray_Nonzero(a._np()))


cdef object _concatenate_same(object arrays, object axis):
    """np.concatenate(arrays, axis) of C-contiguous cpu dc arrays of one dtype and ndim
    that agree off the axis: blocks copied into a new C-contiguous array (NumPy's result);
    None for anything else (NumPy's code decides, and raises its errors)."""
    cdef Py_ssize_t n, j, i, k, ax, outer = 1, inner = 1, total = 0, off
    cdef Py_ssize_t sh[MAXDIMS]
    cdef ndarray a, first, r
    cdef int nd, d
    if (type(arrays) is not list and type(arrays) is not tuple) or type(axis) is not int:
        return None
    n = len(arrays)
    if n == 0 or type(arrays[0]) is not ndarray:
        return None
    first = <ndarray>arrays[0]
    nd = first._ndim
    if nd == 0 or not (-nd <= axis < nd):
        return None
    ax = axis + nd if axis < 0 else axis
    for j in range(n):
        if type(arrays[j]) is not ndarray:
            return None
        a = <ndarray>arrays[j]
        # one dtype object (equal dtypes may still promote to another: int64 'l' with
        # long long 'q' gives 'q')
        if not a._host or not a._c_contig or a._ndim != nd or a._dtype is not first._dtype:
            return None
        for d in range(nd):
            if d != ax and a._shape[d] != first._shape[d]:
                return None
        total += a._shape[ax]
    for d in range(nd):
        sh[d] = first._shape[d]
        if d < ax:
            outer *= first._shape[d]
        elif d > ax:
            inner *= first._shape[d]
    sh[ax] = total
    r = new_array(nd, sh, first._dtype, False, False)
    inner *= first._itemsize                  # bytes of one index along the axis
    off = 0
    for i in range(outer):
        for j in range(n):
            a = <ndarray>arrays[j]
            k = a._shape[ax] * inner
            if k:
                dc_copy_bytes(r._data + off, a._data + i * k, k)
                off += k
    return r


def concatenate(arrays, axis=0, out=None, **kwargs):
    """numpy.concatenate: a copy of the blocks for dc arrays of one dtype and layout
    (C-contiguous, agreeing off the axis), else NumPy's code."""
    cdef object r
    if out is None and not kwargs:
        r = _concatenate_same(arrays, axis)
        if r is not None:
            return r
    kwargs["axis"] = axis
    if out is not None:
        kwargs["out"] = out
    return call_numpy_function(_F_concatenate, _np_concatenate, (arrays,), kwargs)


cdef object _np_concatenate = np.concatenate._implementation


# ------------------------------------------------ flips and differences, natively
# Programs call these in loops on small arrays, where NumPy's Python-level code (axis
# normalisation, an index tuple, then basic indexing) is most of the time: the views are
# built here from the layout, the differences run our subtract on two views.

cdef object _np_flip = np.flip._implementation
cdef object _np_fliplr = np.fliplr._implementation
cdef object _np_flipud = np.flipud._implementation
cdef object _np_diff = np.diff._implementation
cdef object _NoValue = np._NoValue


cdef inline bint _native(object m):
    """m is a cpu dc array of at least one dimension (the native paths' operand)."""
    return type(m) is ndarray and (<ndarray>m)._host and (<ndarray>m)._ndim > 0


cdef int _axis_index(object axis, int nd) except -1:
    """An exact int axis normalised for nd dimensions (NumPy's AxisError)."""
    if not -nd <= axis < nd:
        raise AxisError(axis, nd)
    return <int>(axis + nd if axis < 0 else axis)


cdef ndarray _flipped(ndarray a, const bint *axes):
    """The view of a reversed along the axes marked (NumPy's a[..., ::-1, ...]: a view
    with the same base)."""
    cdef Py_ssize_t st[MAXDIMS]
    cdef char *data = a._data
    cdef int d
    for d in range(a._ndim):
        st[d] = a._strides[d]
        if axes[d]:
            if a._shape[d] > 0:
                data += (a._shape[d] - 1) * a._strides[d]
            st[d] = -st[d]
    return a._sub(data, a._ndim, a._shape, st)


def flip(m, axis=None):
    """numpy.flip: a view built from the layout for dc arrays, else NumPy's code."""
    cdef bint axes[MAXDIMS]
    cdef int d, nd
    if not _native(m):
        return call_numpy_function(_F_flip, _np_flip, (m, axis), {})
    nd = (<ndarray>m)._ndim
    for d in range(nd):
        axes[d] = axis is None
    if axis is None:
        pass
    elif PyLong_CheckExact(axis):
        axes[_axis_index(axis, nd)] = True
    else:
        for d in normalize_axis_tuple(axis, nd):    # NumPy's errors for tuples
            axes[d] = True
    return _flipped(<ndarray>m, axes)


cdef object _flip_one(object m, int axis, object public, object impl):
    """m reversed along one axis (fliplr: 1, flipud: 0), a view for dc arrays; NumPy's
    code (public past its dispatch: impl) for anything else."""
    cdef bint axes[MAXDIMS]
    cdef int d
    if not _native(m):
        return call_numpy_function(public, impl, (m,), {})
    if (<ndarray>m)._ndim <= axis:
        raise ValueError(f"Input must be >= {axis + 1}-d.")
    for d in range((<ndarray>m)._ndim):
        axes[d] = d == axis
    return _flipped(<ndarray>m, axes)


cdef object _F_roll = np.roll
cdef object _np_roll = np.roll._implementation


def roll(a, shift, axis=None):
    """numpy.roll of a C-contiguous cpu dc array by one integer shift, along one axis or
    over the flattened array: each block along the axis copied in its two parts to their
    places (dc_copy_bytes; NumPy's roll is Python code around a slice assignment, 5-7 us
    of overhead); other arguments (sequences of shifts and axes, other layouts) run
    NumPy's code."""
    r = _roll_fast(a, shift, axis)
    if r is not None:
        return r
    return call_numpy_function(_F_roll, _np_roll, _trim((a, shift, axis), (_REQ, _REQ, None)),
                               {})


cdef object _roll_fast(object a, object shift, object axis):
    cdef ndarray x, r
    cdef Py_ssize_t n, s, outer = 1, inner, blk, head, tail, o
    cdef int d, ax, nd
    cdef char *src
    cdef char *dst
    if not _native(a) or not (<ndarray>a)._c_contig or (<ndarray>a)._size == 0:
        return None
    if not PyLong_CheckExact(shift):
        if not isinstance(shift, np.integer):
            return None
        shift = int(shift)
    x = <ndarray>a
    nd = x._ndim
    inner = x._itemsize
    if axis is None:
        n = x._size
    elif PyLong_CheckExact(axis):
        ax = _axis_index(axis, nd)
        n = x._shape[ax]
        for d in range(ax):
            outer *= x._shape[d]
        for d in range(ax + 1, nd):
            inner *= x._shape[d]
    else:
        return None
    s = <Py_ssize_t>(shift % n)
    r = new_array(nd, x._shape, x._dtype, False, False)
    blk = n * inner
    tail = s * inner
    head = blk - tail
    with nogil:
        for o in range(outer):
            src = x._data + o * blk
            dst = r._data + o * blk
            dc_copy_bytes(dst + tail, src, head)
            if tail:
                dc_copy_bytes(dst, src + head, tail)
    return r


cdef object _F_cross = np.cross
cdef object _np_cross = np.cross._implementation
cdef object _multiply = np.multiply
cdef object _subtract = np.subtract


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """numpy.cross of two cpu dc arrays of float64 or float32 3-vectors (the same dtype)
    along their last axes (the default axes): one pair computed here directly, arrays of
    them by NumPy's own steps (its nine multiplies and subtractions on the component
    views) on our ufuncs, into a new C-ordered array. NumPy's cross is Python code around
    those calls: 16 us for one pair of vectors. Anything else (other axes, 2-vectors,
    other dtypes, non-finite products, whose warnings NumPy gives) runs NumPy's code."""
    r = _cross_fast(a, b, axisa, axisb, axisc, axis)
    if r is not None:
        return r
    return call_numpy_function(_F_cross, _np_cross,
                               _trim((a, b, axisa, axisb, axisc, axis),
                                     (_REQ, _REQ, -1, -1, -1, None)), {})


cdef inline bint _last_axis(object ax):
    return PyLong_CheckExact(ax) and ax == -1


cdef object _cross_fast(object a, object b, object axisa, object axisb, object axisc,
                        object axis):
    cdef ndarray x, y, r
    if type(a) is not ndarray or type(b) is not ndarray or axis is not None:
        return None
    if not (_last_axis(axisa) and _last_axis(axisb) and _last_axis(axisc)):
        return None
    x, y = <ndarray>a, <ndarray>b
    if (not x._host or not y._host or x._ndim < 1 or y._ndim < 1 or x._t != y._t
            or (x._t != DC_T_F8 and x._t != DC_T_F4)
            or x._shape[x._ndim - 1] != 3 or y._shape[y._ndim - 1] != 3):
        return None
    if x._ndim == 1 and y._ndim == 1:
        if x._t == DC_T_F8:
            return _cross_pair(<double *>NULL, x, y)
        return _cross_pair(<float *>NULL, x, y)
    shape = np.broadcast_shapes(x.shape[:-1], y.shape[:-1]) + (3,)
    r = _cr.empty_array(shape, x._dtype, "C")
    a0, a1, a2 = x[..., 0], x[..., 1], x[..., 2]
    b0, b1, b2 = y[..., 0], y[..., 1], y[..., 2]
    cp0, cp1, cp2 = r[..., 0], r[..., 1], r[..., 2]
    _multiply(a1, b2, out=cp0)
    tmp = _multiply(a2, b1, out=...)
    _subtract(cp0, tmp, out=cp0)
    _multiply(a2, b0, out=cp1)
    _multiply(a0, b2, out=tmp)
    _subtract(cp1, tmp, out=cp1)
    _multiply(a0, b1, out=cp2)
    _multiply(a1, b0, out=tmp)
    _subtract(cp2, tmp, out=cp2)
    return r


ctypedef fused _real_t:
    float
    double


cdef object _cross_pair(_real_t *kind, ndarray x, ndarray y):
    """One pair of 3-vectors of _real_t (`kind` only picks the type): NumPy's products and
    differences, each rounded to the dtype (no contraction: -ffp-contract=off); None where
    one is not finite, for NumPy's code and its warnings."""
    cdef Py_ssize_t three = 3, sx = x._strides[0], sy = y._strides[0]
    cdef _real_t u0 = (<_real_t *>x._data)[0], u1 = (<_real_t *>(x._data + sx))[0]
    cdef _real_t u2 = (<_real_t *>(x._data + 2 * sx))[0]
    cdef _real_t v0 = (<_real_t *>y._data)[0], v1 = (<_real_t *>(y._data + sy))[0]
    cdef _real_t v2 = (<_real_t *>(y._data + 2 * sy))[0]
    cdef _real_t c0 = u1 * v2 - u2 * v1
    cdef _real_t c1 = u2 * v0 - u0 * v2
    cdef _real_t c2 = u0 * v1 - u1 * v0
    if not (isfinite(c0) and isfinite(c1) and isfinite(c2)):
        return None
    cdef ndarray r = new_array(1, &three, x._dtype, False, False)
    (<_real_t *>r._data)[0] = c0
    (<_real_t *>r._data)[1] = c1
    (<_real_t *>r._data)[2] = c2
    return r


cdef object _F_norm = np.linalg.norm
cdef object _np_norm = np.linalg.norm._implementation
cdef object _np_sqrt = np.sqrt
cdef object _np_add_reduce = np.add.reduce


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm of a cpu dc array of float64 or float32 with the default ord:
    NumPy's own steps for it on the NumPy view (over the whole array the flattened array's
    dot with itself, so its BLAS bits; along one axis of a small array the squares summed
    by add.reduce), then the square root; its Python checks around them cost ~0.7 us of a
    3-vector's 1.1. Anything else runs NumPy's code."""
    if (ord is None and type(x) is ndarray and (<ndarray>x)._host
            and ((<ndarray>x)._t == DC_T_F8 or (<ndarray>x)._t == DC_T_F4)):
        if axis is None and keepdims is False:
            v = (<ndarray>x)._np().ravel(order="K")
            return _np_sqrt(v.dot(v))
        if (PyLong_CheckExact(axis) and (<ndarray>x)._ndim > 0
                and (<ndarray>x)._size * (<ndarray>x)._itemsize < SMALL_BYTES):
            # one axis of a small array: NumPy's steps for it, (x.conj() * x).real (x * x
            # for real x) summed along the axis by add.reduce, its sqrt
            v = (<ndarray>x)._np()
            r = _np_sqrt(_np_add_reduce(v * v, axis=axis, keepdims=bool(keepdims)))
            return wrap_result(r) if type(r) is np.ndarray else r
    return call_numpy_function(_F_norm, _np_norm,
                               _trim((x, ord, axis, keepdims), (_REQ, None, None, False)),
                               {})


# ------------------------------------------------------------------------- einsum
# np.einsum of two float arrays of ours whose subscripts name a matrix product: one summed
# index shared by both, at most one free index on each side, any batch indices present in
# both and in the output (`"ij,jk->ik"`, `"ij,kj->ik"`, `"ij,j->i"`, `"nij,nj->ni"`,
# `"bij,bjk->bik"`): both operands as transposed views, then x @ y (our small and stacked
# products, else BLAS) and the output's order as a view. NumPy's einsum without optimize
# runs its own sum-of-products loops (200x200 matrices 1.6 ms, BLAS 0.4); its value up to
# rounding. Anything else (repeated indices, ellipses, sums over one operand, outer
# products, keywords, other dtypes) runs NumPy's einsum.
cdef object _F_einsum = np.einsum
cdef object _np_einsum = np.einsum._implementation


cdef object _einsum_matmul(str spec, ndarray a, ndarray b):
    """a, b contracted as spec says, as a matrix product; None when it is not one."""
    cdef list batch, free_a, free_b, summed
    spec = spec.replace(" ", "")
    if "->" not in spec or "." in spec:
        return None
    lhs, out = spec.split("->")
    parts = lhs.split(",")
    if len(parts) != 2:
        return None
    sa, sb = parts
    if (not (sa + sb + out).isalpha() or len(set(sa)) != len(sa) or len(set(sb)) != len(sb)
            or len(set(out)) != len(out) or len(sa) != a._ndim or len(sb) != b._ndim
            or not set(out) <= set(sa) | set(sb)):
        return None
    batch = [c for c in out if c in sa and c in sb]
    free_a = [c for c in out if c in sa and c not in sb]
    free_b = [c for c in out if c in sb and c not in sa]
    summed = [c for c in sa if c in sb and c not in out]
    if (len(summed) != 1 or len(free_a) > 1 or len(free_b) > 1
            or len(batch) + len(free_a) + len(free_b) != len(out)
            or len(batch) + len(free_a) + 1 != len(sa)
            or len(batch) + len(free_b) + 1 != len(sb)):
        return None
    for c in batch:
        if a._shape[sa.index(c)] != b._shape[sb.index(c)]:
            return None                  # (broadcast or mismatched: NumPy's einsum says)
    if a._shape[sa.index(summed[0])] != b._shape[sb.index(summed[0])]:
        return None
    if batch and not free_a:
        return None                      # (x @ y would take x's rows as vectors)
    x = a.transpose([sa.index(c) for c in batch + free_a + summed])
    y = b.transpose([sb.index(c) for c in batch + summed + free_b])
    if batch and not free_b:
        r = (x @ y[..., None])[..., 0]   # a stack of vectors: matmul takes (..., k, 1)
    else:
        r = x @ y
    got = batch + free_a + free_b
    if got != list(out):
        r = r.transpose([got.index(c) for c in out])
    return r


DEF EINSUM_OPTIMIZE_MIN = 65536     # elements of all operands together


cdef bint _einsum_large(tuple operands):
    """Every operand after the subscripts is a cpu float array of ours, of one dtype, and
    together they hold EINSUM_OPTIMIZE_MIN elements or more."""
    cdef Py_ssize_t total = 0
    cdef int t = -1
    for x in operands[1:]:
        if type(x) is not ndarray or not (<ndarray>x)._host:
            return False
        if t < 0:
            t = (<ndarray>x)._t
        if (<ndarray>x)._t != t or not (t == DC_T_F8 or t == DC_T_F4):
            return False
        total += (<ndarray>x)._size
    return total >= EINSUM_OPTIMIZE_MIN


def einsum(*operands, out=None, optimize=False, **kwargs):
    """numpy.einsum: a matrix product's subscripts on two float arrays of ours by matmul
    (above); everything else NumPy's einsum."""
    cdef ndarray a, b
    if (len(operands) == 3 and out is None and optimize is False and not kwargs
            and type(operands[0]) is str and type(operands[1]) is ndarray
            and type(operands[2]) is ndarray):
        a = <ndarray>operands[1]
        b = <ndarray>operands[2]
        if (a._host and b._host and a._t == b._t and (a._t == DC_T_F8 or a._t == DC_T_F4)
                and a._size and b._size):
            r = _einsum_matmul(<str>operands[0], a, b)
            if r is not None:
                return r
    elif (len(operands) >= 4 and out is None and optimize is False and not kwargs
            and type(operands[0]) is str and _einsum_large(operands)):
        # three or more large float operands: NumPy's contraction order (optimize=True:
        # pairwise products by BLAS) where its plain loop nests every index (a block DCT's
        # "ij,abjk,lk->abil" on 64x64 blocks: 22 -> 3.6 ms); the path search costs ~30 us,
        # 10x a small einsum's time, so small operands keep the plain loop
        return call_numpy_function(_F_einsum, _np_einsum, operands, {"optimize": True})
    kw = dict(kwargs)
    if out is not None:
        kw["out"] = out
    if optimize is not False:
        kw["optimize"] = optimize
    return call_numpy_function(_F_einsum, _np_einsum, operands, kw)


# ------------------------------------------------------------ convolve, correlate
# np.convolve / np.correlate of two 1-d float64 or float32 arrays of one dtype (a moving
# average `np.convolve(x, np.ones(w) / w, mode="valid")`, a smoothing or matched filter):
# our kernel (dc_corr_*) over blocks of outputs, vectorized across them and threaded,
# where NumPy computes each output by a dot of the overlap (~0.65 ns a multiply-add for a
# 21-tap filter). The same terms, summed in tap order (NumPy's dot groups them otherwise:
# its value up to rounding). Other operands, modes and a correlate whose second operand is
# the longer (NumPy reverses its result) run NumPy's code.
cdef object _F_convolve = np.convolve
cdef object _np_convolve = np.convolve._implementation
cdef object _F_correlate = np.correlate
cdef object _np_correlate = np.correlate._implementation


cdef ndarray _contiguous_1d(object x, int t):
    """x (ours or NumPy's) as a C-contiguous 1-d cpu dc array of kernel type t (a copy when
    strided); None when it is not such an array."""
    cdef ndarray d
    if type(x) is cnp.ndarray:
        x = as_array(x)
    if type(x) is not ndarray:
        return None
    d = <ndarray>x
    if not d._host or d._ndim != 1 or d._t != t or d._shape[0] == 0:
        return None
    return d if d._c_contig else d.copy()


cdef object _correlate_fast(object a, object v, object mode, bint conv):
    """np.convolve (conv) / np.correlate of a and v by our kernel; None when it does not
    apply."""
    cdef ndarray x, w, r, tmp
    cdef int t
    cdef Py_ssize_t n1, n2, left, length, i
    if type(a) is not ndarray or type(mode) is not str:
        return None
    t = (<ndarray>a)._t
    if t != DC_T_F8 and t != DC_T_F4:
        return None
    x = _contiguous_1d(a, t)
    w = _contiguous_1d(v, t)
    if x is None or w is None:
        return None
    if conv and w._shape[0] > x._shape[0]:
        x, w = w, x
    n1 = x._shape[0]
    n2 = w._shape[0]
    if n2 > n1:
        return None
    if conv:                                     # convolve = correlate with v reversed
        tmp = w                                  # (w[::-1].copy() costs ~0.6 us more)
        w = new_array(1, &n2, tmp._dtype, False, False)
        for i in range(n2):
            memcpy(w._data + i * w._itemsize, tmp._data + (n2 - 1 - i) * w._itemsize,
                   w._itemsize)
    if mode == "valid":
        left, length = 0, n1 - n2 + 1
    elif mode == "same":
        left, length = n2 // 2, n1
    elif mode == "full":
        left, length = n2 - 1, n1 + n2 - 1
    else:
        return None
    r = new_array(1, &length, x._dtype, False, False)
    if not run_correlate(x._data, n1, w._data, n2, left, r._data, length, t):
        return None
    return r


def convolve(a, v, mode="full"):
    """numpy.convolve: 1-d float arrays of one dtype by our kernel (above)."""
    r = _correlate_fast(a, v, mode, True)
    if r is not None:
        return r
    return call_numpy_function(_F_convolve, _np_convolve,
                               _trim((a, v, mode), (_REQ, _REQ, "full")), {})


def correlate(a, v, mode="valid"):
    """numpy.correlate: 1-d float arrays of one dtype by our kernel (above)."""
    r = _correlate_fast(a, v, mode, False)
    if r is not None:
        return r
    return call_numpy_function(_F_correlate, _np_correlate,
                               _trim((a, v, mode), (_REQ, _REQ, "valid")), {})


# ------------------------------------------------------------ small linear algebra
# np.linalg.det / inv / solve of float64/float32 matrices up to DC_LU_MAX (det and inv also
# of stacks of them): our LU in double precision (dc_lu.h), NumPy's steps after it, the
# result in NumPy's result type (float32 for float32). NumPy's LAPACK gufuncs cost ~3.5 us
# a call for a 2x2 inv (a Kalman filter's loop) and ~135 ns a matrix of a 3x3 stack's det.
# Other operands, singular or nearly singular matrices (NumPy's error or its tiny result
# depends on LAPACK's rounding) and non-finite values run NumPy's code for the whole call.
cdef extern from "dc_lu.h" nogil:
    int DC_LU_MAX
    int dc_lu_load(const char *a, Py_ssize_t sr, Py_ssize_t sc, int f8, int n, double *A,
                   int *piv)
    double dc_lu_det(const double *A, int n, int sign)
    void dc_lu_solve(const double *A, const int *piv, int n, double *x, int k)
    double dc_lu_read(const char *a, Py_ssize_t sr, Py_ssize_t sc, int f8, int rows,
                      int cols, double *A)
    void dc_lu_store(char *o, const double *x, Py_ssize_t n, int f8)

cdef object _F_det = np.linalg.det
cdef object _np_det = np.linalg.det._implementation
cdef object _F_inv = np.linalg.inv
cdef object _np_inv = np.linalg.inv._implementation
cdef object _F_solve = np.linalg.solve
cdef object _np_solve = np.linalg.solve._implementation


cdef bint _small_square(object a, Py_ssize_t *nb, int *n) noexcept:
    """a is a cpu dc array of float64/float32 of shape (..., n, n), 1 <= n <= DC_LU_MAX,
    of nb >= 1 matrices."""
    cdef ndarray x
    cdef int d
    if type(a) is not ndarray:
        return False
    x = <ndarray>a
    if (not x._host or x._ndim < 2 or not (x._t == DC_T_F8 or x._t == DC_T_F4)
            or x._shape[x._ndim - 1] != x._shape[x._ndim - 2]
            or not 1 <= x._shape[x._ndim - 1] <= DC_LU_MAX):
        return False
    n[0] = <int>x._shape[x._ndim - 1]
    nb[0] = 1
    for d in range(x._ndim - 2):
        nb[0] *= x._shape[d]
    return nb[0] >= 1


cdef object _det_or_inv(object a, bint want_inv):
    """det (want_inv False) or inv of a small float matrix or stack of them by our LU, in
    a new array; None when refused (NumPy's code then runs)."""
    cdef Py_ssize_t nb, q, i
    cdef int n, sign
    cdef ndarray x, r
    cdef double A[64]
    cdef double X[64]
    cdef int piv[8]
    cdef bint ok = True, f8
    if not _small_square(a, &nb, &n):
        return None
    x = <ndarray>a
    f8 = x._t == DC_T_F8
    r = new_array(x._ndim if want_inv else x._ndim - 2, x._shape, x._dtype, False, False)
    with nogil:
        for q in range(nb):
            sign = dc_lu_load(x._data + stack_offset(x._shape, x._strides, x._ndim - 2, q),
                              x._strides[x._ndim - 2], x._strides[x._ndim - 1], f8, n, A,
                              piv)
            if sign == 0:
                ok = False
                break
            if not want_inv:
                X[0] = dc_lu_det(A, n, sign)
                dc_lu_store(r._data + q * r._itemsize, X, 1, f8)
                continue
            for i in range(n * n):
                X[i] = 0
            for i in range(n):
                X[i * n + i] = 1
            dc_lu_solve(A, piv, n, X, n)
            dc_lu_store(r._data + q * n * n * r._itemsize, X, n * n, f8)
    if not ok:
        return None
    return r[()] if r._ndim == 0 else r


def det(a):
    """numpy.linalg.det: small float matrices and stacks of them by our LU (above)."""
    r = _det_or_inv(a, False)
    return r if r is not None else call_numpy_function(_F_det, _np_det, (a,), {})


def inv(a):
    """numpy.linalg.inv: small float matrices and stacks of them by our LU (above)."""
    r = _det_or_inv(a, True)
    return r if r is not None else call_numpy_function(_F_inv, _np_inv, (a,), {})


def solve(a, b):
    """numpy.linalg.solve: a small float matrix (2-d) and a vector or matrix of right-hand
    sides of its dtype by our LU (above)."""
    cdef Py_ssize_t nb
    cdef int n, k
    cdef bint f8
    cdef ndarray x, y, r
    cdef double A[64]
    cdef double X[64]
    cdef int piv[8]
    if (_small_square(a, &nb, &n) and (<ndarray>a)._ndim == 2 and type(b) is ndarray
            and (<ndarray>b)._host and (<ndarray>b)._t == (<ndarray>a)._t
            and 1 <= (<ndarray>b)._ndim <= 2 and (<ndarray>b)._shape[0] == n):
        x = <ndarray>a
        y = <ndarray>b
        k = 1 if y._ndim == 1 else <int>y._shape[1]
        if 1 <= k and n * k <= 64:
            f8 = x._t == DC_T_F8
            if (dc_lu_load(x._data, x._strides[0], x._strides[1], f8, n, A, piv) != 0
                    and dc_lu_read(y._data, y._strides[0],
                                   y._strides[1] if y._ndim == 2 else 0, f8, n, k, X) >= 0):
                dc_lu_solve(A, piv, n, X, k)
                r = new_array(y._ndim, y._shape, y._dtype, False, False)
                dc_lu_store(r._data, X, n * k, f8)
                return r
    return call_numpy_function(_F_solve, _np_solve, (a, b), {})


def fliplr(m):
    """numpy.fliplr (m[:, ::-1]): a view for dc arrays."""
    return _flip_one(m, 1, np.fliplr, _np_fliplr)


def flipud(m):
    """numpy.flipud (m[::-1, ...]): a view for dc arrays."""
    return _flip_one(m, 0, np.flipud, _np_flipud)


def diff(a, n=1, axis=-1, prepend=_NoValue, append=_NoValue):
    """numpy.diff: for C-contiguous or 1-d dc arrays (no prepend/append), n rounds of
    our subtract (not_equal for bool) on the two views a[..., 1:, ...] and
    a[..., :-1, ...]; else NumPy's code."""
    cdef Py_ssize_t sh[MAXDIMS]
    cdef Py_ssize_t k, length, step
    cdef int ax, nd
    cdef ndarray x
    cdef object r = a
    if (not _native(a) or not PyLong_CheckExact(n) or not PyLong_CheckExact(axis)
            or n < 0 or prepend is not _NoValue or append is not _NoValue
            or not ((<ndarray>a)._c_contig or (<ndarray>a)._ndim == 1)):
        # (other layouts: NumPy orders the result by the views' strides, order 'K')
        return call_numpy_function(_F_diff, _np_diff, (a, n, axis, prepend, append),
                                   {})
    if n == 0:                                # (NumPy's: before the axis is checked)
        return a
    nd = (<ndarray>a)._ndim
    ax = _axis_index(axis, nd)
    boolean = (<ndarray>a)._dtype.kind == "b"
    for k in range(n):
        x = <ndarray?>r                       # (our operators return dc arrays)
        memcpy(sh, x._shape, nd * sizeof(Py_ssize_t))
        length = x._shape[ax]
        sh[ax] = length - 1 if length > 0 else 0
        step = x._strides[ax] if length > 0 else 0
        hi = x._sub(x._data + step, nd, sh, x._strides)
        lo = x._sub(x._data, nd, sh, x._strides)
        r = (hi != lo) if boolean else (hi - lo)
    return r


cdef object _F_angle = np.angle
cdef object _np_angle = np.angle._implementation


def angle(z, deg=False):
    """numpy.angle: NumPy's steps (arctan2(z.imag, z.real), times 180 / pi with deg) for
    a C-contiguous complex dc array, on its flat views: our arctan2 runs NumPy's loop on
    each part as it lies (NumPy's bits, on our threads); else NumPy's code."""
    cdef ndarray x
    if not _native(z) or (<ndarray>z)._dtype.kind != "c" or not (<ndarray>z)._c_contig:
        return call_numpy_function(_F_angle, _np_angle, (z, deg), {})
    x = <ndarray>z
    flat = x.reshape(-1) if x._ndim != 1 else x
    a = np.arctan2(flat.imag, flat.real)
    if x._ndim != 1:
        a = a.reshape(x.shape)
    if deg:
        a *= 180 / np.pi
    return a


cdef object _F_unwrap = np.unwrap
cdef object _np_unwrap = np.unwrap._implementation


def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """numpy.unwrap: NumPy's steps, on our routines (its mod, cumsum and comparisons run
    2-5x NumPy's; the same operations, so its bits), for float dc arrays of a float result;
    else NumPy's code."""
    if not _native(p) or (<ndarray>p)._dtype.kind != "f":
        return call_numpy_function(_F_unwrap, _np_unwrap, (p, discont, axis),
                                   {"period": period})
    dtype = np.result_type((<ndarray>p)._dtype, period)
    if dtype.kind != "f":
        return call_numpy_function(_F_unwrap, _np_unwrap, (p, discont, axis),
                                   {"period": period})
    nd = (<ndarray>p)._ndim
    dd = diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    slice1 = [slice(None, None)] * nd
    slice1[axis] = slice(1, None)
    slice1 = tuple(slice1)
    interval_high = period / 2
    interval_low = -interval_high
    ddmod = np.mod(dd - interval_low, period) + interval_low
    # abs(dd) == period / 2 made ddmod -period / 2 there: sign(dd) * period / 2 instead
    np.copyto(ddmod, interval_high, where=(ddmod == interval_low) & (dd > 0))
    ph_correct = ddmod - dd
    np.copyto(ph_correct, 0, where=abs(dd) < discont)
    up = p.astype(dtype, order="K", copy=True)
    up[slice1] = p[slice1] + ph_correct.cumsum(axis)
    return up


cdef object _np_reshape = np.reshape._implementation
cdef object _np_ravel = np.ravel._implementation
cdef object _np_transpose = np.transpose._implementation


def reshape(a, /, shape, order="C", *, copy=None):
    """numpy.reshape: the array's method for dc arrays (a view built from the layout
    where NumPy's is a view of a C-contiguous array), else NumPy's code."""
    if type(a) is ndarray:
        return (<ndarray>a).reshape(shape, order=order, copy=copy)
    return call_numpy_function(_F_reshape, _np_reshape, (a, shape, order),
                               {"copy": copy})


def ravel(a, order="C"):
    """numpy.ravel: the array's method for dc arrays, else NumPy's code."""
    if type(a) is ndarray:
        return (<ndarray>a).ravel(order)
    return call_numpy_function(_F_ravel, _np_ravel, (a, order), {})


def transpose(a, axes=None):
    """numpy.transpose: the array's method for dc arrays, else NumPy's code."""
    if type(a) is ndarray:
        return (<ndarray>a).transpose(axes)
    return call_numpy_function(_F_transpose, _np_transpose, (a, axes), {})


cdef object _np_copy = np.copy._implementation


def copy(a, order="K", subok=False):
    """numpy.copy: the array's copy of its one block for contiguous dc arrays (NumPy's
    layout for order 'K'), else NumPy's code."""
    if type(a) is ndarray and ((<ndarray>a)._c_contig or (<ndarray>a)._f_contig):
        return (<ndarray>a).copy(order)
    return call_numpy_function(_F_copy, _np_copy, (a, order, subok), {})


cdef object _np_sort = np.sort._implementation
cdef object _np_argsort = np.argsort._implementation
cdef object _np_repeat = np.repeat._implementation


cdef object _nd_sort = np.ndarray.sort
cdef object _nd_argsort = np.ndarray.argsort
cdef object _nd_repeat = np.ndarray.repeat


cdef inline bint _host_array(object a):
    return type(a) is ndarray and (<ndarray>a)._host


cdef object _view_method(object method, ndarray a, tuple args):
    """NumPy's ndarray method on a's view (args: NumPy objects), the result wrapped;
    NumPy's allocator for small arrays, the pool's for larger ones. The method is called
    by vectorcall (the view and args on the C stack: no argument tuple)."""
    cdef PyObject *stack[STACK_ARGS]
    cdef Py_ssize_t i, n = PyTuple_GET_SIZE(args)
    cdef object v = a._np()
    if n >= STACK_ARGS:
        args = (v,) + args
        n = 0
    else:
        stack[0] = <PyObject *>v                # borrowed: v and args outlive the call
        for i in range(n):
            stack[i + 1] = PyTuple_GET_ITEM(args, i)
        n += 1
    if a._size * a._itemsize < SMALL_BYTES:
        return wrap_result(_vcall(method, args, n, stack, None))
    with numpy_in_pool():
        return wrap_result(_vcall(method, args, n, stack, None))


DEF SORT_MIN = 4096      # elements a row: below, NumPy's sort (one thread, AMD EPYC: float64
                         # rows of 2048 0.90-0.94x NumPy's, of 4096 1.3x; float32 level at
                         # 2048, 1.4-1.5x at 4096)


cdef inline bint _radix_type(int t) noexcept:
    """Whether our radix sorts (run_sort, run_argsort) take kernel type t: float32/64 and
    32/64-bit integers."""
    return (t == DC_T_F8 or t == DC_T_F4 or t == DC_T_I8 or t == DC_T_I4 or t == DC_T_U8
            or t == DC_T_U4)


cdef bint _radix_sortable(ndarray a, object kind, object order, object stable):
    """Whether our radix sort (run_sort) gives NumPy's sorted values for a's dtype and
    these arguments: float32/float64 by NumPy's default (unstable) kind, whose order of
    zeros of either sign is its own (ours: -0.0 first) while a stable sort keeps their
    input order; 32/64-bit integers by any kind (equal integers are alike)."""
    cdef int t = a._t
    if order is not None:
        return False
    if t == DC_T_F8 or t == DC_T_F4:
        return (kind is None or kind == "quicksort") and (stable is None or stable is False)
    return _radix_type(t) and (
        kind is None or kind in ("quicksort", "stable", "mergesort", "heapsort"))


cdef bint sort_rows(ndarray r) except -1:
    """The last-axis rows of C-contiguous r sorted in place by run_sort; False (r as it
    was, or its rows sorted again by the caller's fallback) when run_sort could not."""
    cdef Py_ssize_t n = r._shape[r._ndim - 1] if r._ndim else 1
    if n < SORT_MIN or not r._c_contig or r._size == 0:
        return False
    return run_sort(r._data, r._size // n, n, r._t)


cdef extern from "numpy/arrayobject.h":
    ctypedef struct _ArrFuncs "PyArray_ArrFuncs":
        np_sort_fn sort[3]
        np_argsort_fn argsort[3]
    _ArrFuncs *_arrfuncs "PyDataType_GetArrFuncs"(cnp.PyArray_Descr *descr)

DEF ROWS_MIN = 32768     # elements: below, NumPy's own call (one thread, as ours would be)


cdef int _sort_kind(object kind, object stable):
    """NumPy's sort kind index (0 quicksort, 1 heapsort, 2 stable) for these arguments;
    -1: NumPy's code should read them (its errors)."""
    if stable is not None:
        if kind is not None:
            return -1
        return 2 if stable is True else (0 if stable is False else -1)
    if kind is None or kind == "quicksort":
        return 0
    if kind == "heapsort":
        return 1
    if kind == "stable" or kind == "mergesort":
        return 2
    return -1


cdef object _numpy_rows(ndarray x, object axis, object kind, object order, object stable,
                        bint arg, bint in_place):
    """np.sort / np.argsort / ndarray.sort of a C-contiguous cpu dc array along its last
    axis, two rows or more (ROWS_MIN elements or more): the rows through NumPy's own loop
    for the dtype and kind (ArrFuncs.sort / argsort, as its sort calls it, the GIL
    released) on the thread policy's threads (run_numpy_rows), so NumPy's results, ties
    included. The sorted copy (or x, in_place), the indices, or None: NumPy's code."""
    cdef ndarray r, out
    cdef Py_ssize_t n
    cdef int k
    cdef _ArrFuncs *f
    if (order is not None or not x._host or not x._c_contig or x._ndim < 2 or x._t < 0
            or x._size < ROWS_MIN or not PyLong_CheckExact(axis)
            or not (axis == -1 or axis == x._ndim - 1) or x._dtype.kind not in "biufc"):
        return None
    n = x._shape[x._ndim - 1]
    k = _sort_kind(kind, stable)
    if k < 0 or k == 1 or n < 2:
        return None          # (NumPy's heapsort is no longer its ArrFuncs' heapsort loop)
    f = _arrfuncs(<cnp.PyArray_Descr *>x._dtype)
    if f == NULL or (f.argsort[k] == NULL if arg else f.sort[k] == NULL):
        return None
    if arg:
        out = new_array(x._ndim, x._shape, _intp, False, False)
        v = x._np()
        if not run_numpy_rows(NULL, f.argsort[k], x._data, out._data, x._size // n, n,
                              x._itemsize, <void *>v):
            return None
        return out
    r = x if in_place else _cr.copy(x, "C")
    v = r._np()
    if not run_numpy_rows(f.sort[k], NULL, r._data, NULL, r._size // n, n, r._itemsize,
                          <void *>v):
        return None      # (in place: some rows sorted; NumPy's method sorts them all)
    return r


cdef object argsort_ours(object a, object axis, object kind, object order, object stable):
    if not _host_array(a):
        return None
    r = argsort_fast(a, axis, kind, order, stable)
    if r is None:
        r = _numpy_rows(<ndarray>a, axis, kind, order, stable, True, False)
    return r


cdef bint sort_method(object a, object axis, object kind, object order,
                      object stable) except -1:
    """`a.sort(axis, kind, order, stable=...)` in place by run_sort where np.sort would use
    it (a writeable C-contiguous cpu array, its last axis); False: the caller runs NumPy's
    method (its errors: a read-only array, a bad axis)."""
    cdef ndarray r = <ndarray?>a
    if not (r._host and r._writeable and r._c_contig and r._ndim >= 1
            and r._size >= SORT_MIN and _radix_sortable(r, kind, order, stable)
            and PyLong_CheckExact(axis) and (axis == -1 or axis == r._ndim - 1)):
        return (r._host and r._writeable
                and _numpy_rows(r, axis, kind, order, stable, False, True) is not None)
    return sort_rows(r) or (
        _numpy_rows(r, axis, kind, order, stable, False, True) is not None)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """numpy.sort: for a cpu dc array of float32/64 or 32/64-bit integers sorted along its
    last axis, flattened (axis=None), or along another axis of a C-ordered array, lines of
    SORT_MIN (4096) elements or more: a C-ordered copy with the axis last (from the pool)
    sorted in place by our radix sort on the thread policy's threads
    (run_sort, dc_sort.h; NumPy's scalar introsort took 53 ms for 1e6 float64 on the AMD
    EPYC, where its SIMD sorts are not used). Otherwise, for contiguous arrays along an
    axis, as NumPy's code (a copy in the input's order, sorted in place by the ndarray
    method), the copy made here; else NumPy's code."""
    cdef ndarray r, x
    cdef int nd, ax
    if (_host_array(a) and (<ndarray>a)._size >= SORT_MIN
            and _radix_sortable(<ndarray>a, kind, order, stable)):
        x = <ndarray>a
        nd = x._ndim
        r = None
        back = None
        ax = -1                  # the axis sorted along, when an int in range
        if PyLong_CheckExact(axis) and -nd <= <object>axis < nd:
            ax = <int>axis + nd if <object>axis < 0 else <int>axis
        # lines of SORT_MIN or more (the whole array for axis=None): NumPy's code below
        if axis is None:
            r = _cr.copy(<ndarray>x.reshape(-1), "C")
        elif ax >= 0 and x._shape[ax] >= SORT_MIN:
            if ax == nd - 1:
                r = _cr.copy(x, "C")
            elif x._c_contig:
                # another axis of a C-ordered array: its lines copied as rows (the axis
                # last), sorted, and put back in C order, as NumPy's copy in order K
                # of a C-ordered array is (NumPy sorts the strided lines one by one
                # through a buffer, with its scalar introsort)
                r = _cr.copy(<ndarray>x.transpose(
                    [d for d in range(nd) if d != ax] + [ax]), "C")
                back = list(range(nd - 1))
                back.insert(ax, nd - 1)
        if r is not None and sort_rows(r):
            return r if back is None else _cr.copy(<ndarray>r.transpose(back), "C")
    if _host_array(a):
        r = _numpy_rows(<ndarray>a, axis, kind, order, stable, False, False)
        if r is not None:
            return r
    if _host_array(a) and axis is not None and stable is None and (
            (<ndarray>a)._c_contig or (<ndarray>a)._f_contig):
        r = _cr.copy(<ndarray>a, "K")
        _view_method(_nd_sort, r, (axis, kind, order))
        return r
    return call_numpy_function(_F_sort, _np_sort, (a, axis, kind, order),
                               {"stable": stable})


cdef object _np_unique = np.unique._implementation


ctypedef fused _unique_t:
    double
    float
    int64_t
    int32_t


cdef Py_ssize_t _unique_runs(_unique_t *p, Py_ssize_t n) noexcept nogil:
    """Keep the first of each run of equal values of the sorted p[:n] at its front, the
    NaNs (last in sorted order) as their first one (NumPy's equal_nan); returns how many
    were kept."""
    cdef Py_ssize_t i, k, nan_at = n
    while nan_at > 0 and p[nan_at - 1] != p[nan_at - 1]:
        nan_at -= 1
    k = 1 if nan_at > 0 else 0
    for i in range(1, nan_at):
        if p[i] != p[i - 1]:
            p[k] = p[i]
            k += 1
    if nan_at < n:
        p[k] = p[nan_at]
        k += 1
    return k


cdef object _unique_small(ndarray a):
    """np.unique(a) of a small float32/64 or 32/64-bit integer array (no options): NumPy's
    steps -- its sort of a flat copy, then the first of each run of equal values, NaNs
    as one (equal_nan) -- without its Python code around them (4.5 us of 32 elements'
    unique). None for other dtypes."""
    cdef int t = a._t
    cdef Py_ssize_t n, k
    cdef ndarray r
    cdef cnp.ndarray v
    cdef void *p
    if not (t == DC_T_F8 or t == DC_T_F4 or t == DC_T_I8 or t == DC_T_I4):
        return None
    v = <cnp.ndarray>a._np().flatten()
    v.sort()
    n = cnp.PyArray_SIZE(v)
    p = cnp.PyArray_DATA(v)
    if t == DC_T_F8:
        k = _unique_runs(<double *>p, n)
    elif t == DC_T_F4:
        k = _unique_runs(<float *>p, n)
    elif t == DC_T_I8:
        k = _unique_runs(<int64_t *>p, n)
    else:
        k = _unique_runs(<int32_t *>p, n)
    r = new_array(1, &k, a._dtype, False, False)
    memcpy(r._data, p, k * a._itemsize)
    return r


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, sorted=True):
    """numpy.unique of a cpu dc array, sorted, NumPy's own steps on our sorts: axis None,
    float32/64 or 32/64-bit integers of SORT_MIN elements or more (_unique_sorted); axis
    0 of 2-d bool / integer arrays whose rows fit in 64 bits (_unique_rows). Else NumPy's
    code."""
    cdef bint flags = ((return_index is True or return_index is False)
                       and (return_inverse is True or return_inverse is False)
                       and (return_counts is True or return_counts is False))
    ret = None
    if (_host_array(ar) and axis is None and equal_nan is True and sorted is True
            and return_index is False and return_inverse is False and return_counts is False
            and 0 < (<ndarray>ar)._size < SORT_MIN):
        ret = _unique_small(<ndarray>ar)
    if ret is None and _host_array(ar) and flags and sorted is True:
        if (axis is None and (equal_nan is True or equal_nan is False)
                and (<ndarray>ar)._size >= SORT_MIN
                and _radix_sortable(<ndarray>ar, None, None, None)
                # NaNs not equal, an inverse without return_index: NumPy's quicksort order
                # of the NaNs numbers them in the inverse
                and (return_index is True or return_inverse is False or equal_nan is True
                     or not ((<ndarray>ar)._t == DC_T_F8 or (<ndarray>ar)._t == DC_T_F4))):
            ret = _unique_sorted(<ndarray>ar, return_index, return_inverse, return_counts,
                                 equal_nan)
        elif axis is 0 or axis is -2:
            ret = _unique_rows(<ndarray>ar, return_index, return_inverse, return_counts)
    if ret is not None:
        return ret
    return call_numpy_function(_F_unique, _np_unique,
                               _trim((ar, return_index, return_inverse, return_counts, axis),
                                     (_REQ, False, False, False, None)),
                               _given((("equal_nan", equal_nan, True),
                                       ("sorted", sorted, True))))


cdef object _unique_results(ndarray values, object perm, object mask, bint return_index,
                            bint return_inverse, bint return_counts, object inverse_shape):
    """The end of NumPy's _unique1d: the values kept, and for the options their first
    positions perm[mask], the inverse (each element's run, through perm) in inverse_shape
    and the runs' lengths; one array, or the tuple."""
    if not (return_index or return_inverse or return_counts):
        return values
    ret = (values,)
    with numpy_in_pool():
        if return_index:
            ret += (perm[mask],)
        if return_inverse:
            imask = np.cumsum(mask) - 1
            inv = np.empty(mask.shape, dtype=np.intp)
            inv[perm] = imask
            ret += (inv.reshape(inverse_shape),)
        if return_counts:
            idx = np.concatenate(np.nonzero(mask) + ([mask.size],))
            ret += (np.diff(idx),)
    return wrap_result(ret)


cdef object _unique_sorted(ndarray a, bint return_index, bint return_inverse,
                           bint return_counts, bint equal_nan):
    """np.unique(a, return_...) with axis None: NumPy's own steps (_unique1d: each value
    kept where it differs from the one before in sorted order, NaNs kept once with
    equal_nan) on the values our radix sort sorts (sort_rows), or, with return_index or
    return_inverse, in the order our stable argsort gives (argsort_fast). NumPy orders by
    a stable sort for return_index, as we do; for return_inverse by its quicksort, whose
    order among equal values changes neither the inverse nor the counts. (Of equal
    values, the one kept is the first in our order: of -0.0 and 0.0, or of NaNs, NumPy's
    quicksort may keep another.) None: the sort could not run."""
    cdef ndarray aux = _cr.copy(<ndarray>a.reshape(-1), "C")
    cdef Py_ssize_t first, n = aux._size
    perm = None
    if return_index or return_inverse:
        perm = argsort_fast(aux, None, None, None, True)
        if perm is None:
            return None
        aux = <ndarray?>aux[perm]
    elif not sort_rows(aux):
        return None
    with numpy_in_pool():
        v = aux._np()
        mask = np.empty(n, dtype=np.bool_)
        mask[0] = True
        np.not_equal(v[1:], v[:-1], out=mask[1:])
        if equal_nan and (aux._t == DC_T_F8 or aux._t == DC_T_F4) and v[n - 1] != v[n - 1]:
            # NaNs sort last: the first of them kept, the others not
            first = np.searchsorted(v, v[n - 1], side="left")
            mask[first] = True
            mask[first + 1:] = False
    return _unique_results(<ndarray?>aux[mask], None if perm is None else (<ndarray>perm)._np(),
                           mask, return_index, return_inverse, return_counts, a.shape)


DEF UNIQUE_ROWS_MIN = 4096     # rows: below, NumPy's code


cdef object _unique_rows(ndarray a, bint return_index, bint return_inverse,
                         bint return_counts):
    """np.unique(a, axis=0, return_...) of a 2-d cpu dc array of bool or integers whose
    row fits in 64 bits (e.g. an image's (N, 3) uint8 colours): each row packed into one
    unsigned key that orders as NumPy orders the rows (its structured view compares
    field by field, the first column first; signed columns with the sign bit flipped),
    the keys ordered by our stable argsort, then NumPy's _unique1d steps (the first row
    of each run of equal keys; stable, so return_index is NumPy's first occurrence; the
    inverse and counts do not depend on the order of equal rows). None: NumPy's code."""
    cdef Py_ssize_t n, m, bits, j
    if a._ndim != 2 or a._dtype.kind not in "biu" or a._shape[0] < UNIQUE_ROWS_MIN:
        return None
    n, m = a._shape[0], a._shape[1]
    bits = a._itemsize * 8
    if m < 1 or m * bits > 64:
        return None
    with numpy_in_pool():
        v = a._np()
        key = np.zeros(n, dtype=np.uint64)
        if a._dtype.kind == "i":             # the sign bit flipped: unsigned order
            udt = np.dtype("u%d" % a._itemsize)
            flip = udt.type(-int(np.iinfo(a._dtype).min))
        for j in range(m):
            col = v[:, j]
            if a._dtype.kind == "i":
                col = (col.view(udt) ^ flip).astype(np.uint64)
            else:
                col = col.astype(np.uint64)
            if j:
                key <<= np.uint64(bits)
            key |= col
    perm_a = argsort_fast(_cr.as_array(key), None, None, None, True)
    if perm_a is None:
        return None
    with numpy_in_pool():
        perm = (<ndarray>perm_a)._np()
        sk = key[perm]
        mask = np.empty(n, dtype=np.bool_)
        mask[0] = True
        np.not_equal(sk[1:], sk[:-1], out=mask[1:])
        rows = v[perm[mask]]
    return _unique_results(<ndarray?>wrap_result(rows), perm, mask, return_index,
                           return_inverse, return_counts, (n,))


cdef object _np_lexsort = np.lexsort._implementation
DEF LEXSORT_MIN = 8192   # elements a key: below, NumPy's code


cdef object _lexsort_fast(object keys, object axis):
    """np.lexsort(keys) for 1-d cpu dc arrays of one length (a sequence of them, or the
    rows of a 2-d one), each of float32/64 or 32/64-bit integers, LEXSORT_MIN elements or
    more: stable argsorts from the first key (the least significant) to the last, each of
    the next key taken in the order so far (argsort_fast: NumPy's stable order, equal
    values by position), so NumPy's indices. None: NumPy's code should run."""
    cdef list ks
    cdef ndarray k
    cdef Py_ssize_t n = -1
    if not (axis == -1 or axis == 0) or type(axis) is not int:
        return None
    if type(keys) is tuple or type(keys) is list:
        ks = list(keys)
    elif _host_array(keys) and (<ndarray>keys)._ndim == 2 and axis == -1:
        ks = [keys[i] for i in range((<ndarray>keys)._shape[0])]
    else:
        return None
    if not ks:
        return None
    for x in ks:
        if not _host_array(x):
            return None
        k = <ndarray>x
        if (k._ndim != 1 or k._size < LEXSORT_MIN or (n >= 0 and k._size != n)
                or not _radix_type(k._t)):
            return None
        n = k._size
    perm = argsort_fast(ks[0], None, None, None, True)
    for x in ks[1:]:
        if perm is None:
            return None
        step = argsort_fast((<ndarray>x)[perm], None, None, None, True)
        if step is None:
            return None
        perm = perm[step]
    return perm


def lexsort(keys, axis=-1):
    """numpy.lexsort: _lexsort_fast where it applies, else NumPy's code."""
    r = _lexsort_fast(keys, axis)
    if r is not None:
        return r
    return call_numpy_function(_F_lexsort, _np_lexsort, _trim((keys, axis), (_REQ, -1)), {})


cdef object _np_isin = np.isin._implementation
DEF ISIN_MIN = 4096      # elements: below, NumPy's code


cdef object _isin_fast(object element, object test_elements, object invert, object kind):
    """np.isin(element, test_elements, invert=invert, kind=kind) for cpu dc arrays of one
    dtype (float32/64, 32/64-bit integers), ISIN_MIN elements or more and a non-empty
    test set: the test set sorted (sort_rows), each element's place in it by our search
    (searchsorted_fast), and the element found where the value there equals it (NaN
    never; -0.0 equals 0.0): NumPy's result, as its sorting method's equality gives it.
    Integers that NumPy's default kind looks up in a table of their range (a range of at
    most 6 times the elements) keep NumPy's code, as does anything else (None)."""
    cdef ndarray a, b, bs
    cdef int t
    cdef Py_ssize_t nb
    if not (_host_array(element) and _host_array(test_elements)
            and (invert is True or invert is False) and (kind is None or kind == "sort")):
        return None
    a = <ndarray>element
    b = <ndarray>test_elements
    t = a._t
    if a._size < ISIN_MIN or b._size == 0 or a._dtype != b._dtype or not _radix_type(t):
        return None
    if kind is None and t != DC_T_F8 and t != DC_T_F4:
        lo, hi = int(b.min()), int(b.max())
        if hi - lo <= 6 * (a._size + b._size) and hi - lo <= int(np.iinfo(b._dtype).max):
            return None                          # NumPy's table
    bs = _cr.copy(<ndarray>b.reshape(-1), "C")
    if not sort_rows(bs):
        with numpy_in_pool():
            bs._np().sort()
    nb = bs._size
    a = _cr.copy(<ndarray>a.reshape(-1), "C") if not a._c_contig else <ndarray>a.reshape(-1)
    idx = searchsorted_fast(bs, a, "left", None)
    if idx is None:
        return None
    # a value above every one of the set (its place nb) meets the largest: not equal
    np.minimum(idx, nb - 1, out=idx)
    r = bs[idx] != a if invert else bs[idx] == a
    return r.reshape(element.shape)


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """numpy.isin: _isin_fast where it applies, else NumPy's code."""
    r = _isin_fast(element, test_elements, invert, kind)
    if r is not None:
        return r
    return call_numpy_function(_F_isin, _np_isin,
                               _trim((element, test_elements, assume_unique, invert),
                                     (_REQ, _REQ, False, False)),
                               _given((("kind", kind, None),)))


cdef object _np_polyval = np.polyval._implementation
DEF POLYVAL_MIN = 4096   # elements of x: below, NumPy's code


def polyval(p, x):
    """numpy.polyval: NumPy's steps (y = zeros_like(x), then y = y * x + c for each
    coefficient c of the 1-d coefficient array) on our kernels for a cpu dc array x of
    POLYVAL_MIN elements or more. The first step settles the result's dtype (NumPy's
    promotion of x and the coefficients); the others then run in place on our threaded
    kernels (NumPy makes two new arrays a step). Else NumPy's code."""
    if (_host_array(x) and (<ndarray>x)._size >= POLYVAL_MIN
            and not isinstance(p, np.poly1d)):
        coeffs = np.asarray(p)
        if coeffs.ndim == 1 and coeffs.dtype.kind in "biufc":
            y = _cr._new_like(<ndarray>x, None, None, "K", True)     # zeros_like(x)
            for k in range(coeffs.shape[0]):
                if k == 0:
                    y = y * x + coeffs[0]
                else:
                    y *= x
                    y += coeffs[k]
            return y
    return call_numpy_function(_F_polyval, _np_polyval, (p, x), {})


cdef object _np_searchsorted = np.searchsorted._implementation
cdef object _np_digitize = np.digitize._implementation
cdef object _intp = np.dtype(np.intp)
DEF SEARCH_MIN = 64      # keys: below, NumPy's code (its loop is as fast on a few keys)


cdef object searchsorted_fast(object a, object v, object side, object sorter):
    """np.searchsorted(a, v, side) by run_search (dc_search.h, branch-free, the keys
    spread over the threads) for a 1-d contiguous cpu dc array a and a C-contiguous cpu
    dc array v of SEARCH_MIN keys or more, of one dtype (float32/64, 32/64-bit integers),
    side "left" or "right", no sorter: an intp array of v's shape. None otherwise (NumPy's
    code: casting, scalars, sorters, its errors)."""
    cdef ndarray x, k, r
    if (sorter is not None or not _host_array(a) or not _host_array(v)
            or not (side == "left" or side == "right")):
        return None
    x = <ndarray>a
    k = <ndarray>v
    if (x._ndim != 1 or k._size < SEARCH_MIN or not k._c_contig or x._t != k._t
            or x._t < 0 or (x._size > 1 and x._strides[0] != x._itemsize)
            or x._dtype != k._dtype):
        return None
    r = new_array(k._ndim, k._shape, _intp, False, False)
    if not run_search(x._data, x._size, k._data, k._size, r._data, x._t, side == "right"):
        return None
    return r


def searchsorted(a, v, side="left", sorter=None):
    """numpy.searchsorted: searchsorted_fast where it applies, else NumPy's code."""
    r = searchsorted_fast(a, v, side, sorter)
    if r is not None:
        return r
    return call_numpy_function(_F_searchsorted, _np_searchsorted,
                               _trim((a, v, side, sorter), (_REQ, _REQ, "left", None)), {})


def digitize(x, bins, right=False):
    """numpy.digitize: NumPy's steps (its monotonicity check of the bins, then a search on
    the bins or on the reversed bins) with searchsorted_fast for float or integer cpu dc
    arrays x and 1-d bins of one dtype; else NumPy's code (complex x's TypeError, bins
    not monotonic: its ValueError)."""
    cdef ndarray b
    if (_host_array(x) and _host_array(bins) and (<ndarray>bins)._ndim == 1
            and (<ndarray>x)._dtype == (<ndarray>bins)._dtype
            and (<ndarray>x)._dtype.kind in "fiu" and (right is True or right is False)):
        b = <ndarray>bins
        mono = _np_monotonicity(b._np()) if _np_monotonicity is not None else 0
        if mono != 0:
            side = "left" if right else "right"
            if mono == -1:
                rb = b[::-1].copy()
                r = searchsorted_fast(rb, x, side, None)
                if r is not None:
                    return b._size - r
            else:
                r = searchsorted_fast(b, x, side, None)
                if r is not None:
                    return r
    return call_numpy_function(_F_digitize, _np_digitize,
                               _trim((x, bins, right), (_REQ, _REQ, False)), {})


DEF ARGSORT_MIN_F8 = 8192   # float64 elements a row: below, NumPy's argsort (AMD EPYC, 4096
                            # random values: its stable sort 69 us, ours 83; at 6000 183
                            # against 115, at 6144 level)


cdef object argsort_fast(object a, object axis, object kind, object order, object stable):
    """np.argsort by run_argsort (dc_sort.h: a stable radix sort of (key, index) pairs) for
    a cpu dc array of float32/64 or 32/64-bit integers along its last axis (rows of
    SORT_MIN elements or more, ARGSORT_MIN_F8 of float64; a C-ordered copy when not
    C-contiguous), along another axis of a C-ordered array (through a copy with that
    axis last) or flattened
    (axis=None). A stable sort (kind "stable"/"mergesort", stable=True) orders equal
    values by position, as NumPy's does (-0.0 and 0.0 alike, NaNs last and alike).
    NumPy's unstable kinds (the default "quicksort", "heapsort") order equal values their
    own way, which differs between NumPy's builds and CPUs: without equal values every
    sort gives the same indices, so ours is returned only when the sort found none; not
    tried where equal values are known or likely (float32; integers: a bitmap of their
    range finds any; float64: equal values in a sample of ~4096). None:
    NumPy's code should run (other axes, kinds, dtypes, order=, its errors)."""
    cdef ndarray x, src, r
    cdef Py_ssize_t n, m
    cdef int t, nd, rc, ax
    cdef bint stable_sort
    if not _host_array(a) or order is not None:
        return None
    x = <ndarray>a
    t = x._t
    if x._size < SORT_MIN or not _radix_type(t):
        return None
    if stable is not None:
        if kind is not None or not (stable is True or stable is False):
            return None                     # NumPy's error or reading
        stable_sort = stable is True
    elif kind is None or kind == "quicksort" or kind == "heapsort":
        stable_sort = False
    elif kind == "stable" or kind == "mergesort":
        stable_sort = True
    else:
        return None
    nd = x._ndim
    back = None
    if axis is None:
        src = x if (nd == 1 and x._c_contig) else _cr.copy(<ndarray>x.reshape(-1), "C")
    elif PyLong_CheckExact(axis) and (axis == -1 or axis == nd - 1):
        src = x if x._c_contig else _cr.copy(x, "C")
    elif PyLong_CheckExact(axis) and -nd <= <object>axis < nd and x._c_contig:
        # another axis of a C-ordered array: its lines as rows (the axis last), ordered,
        # and the indices put back in C order (NumPy's result layout), as sort does
        ax = <int>axis + nd if <object>axis < 0 else <int>axis
        src = _cr.copy(<ndarray>x.transpose([d for d in range(nd) if d != ax] + [ax]), "C")
        back = list(range(nd - 1))
        back.insert(ax, nd - 1)
    else:
        return None
    n = src._shape[src._ndim - 1]
    if n < SORT_MIN or (t == DC_T_F8 and n < ARGSORT_MIN_F8):
        return None
    if not stable_sort:
        if t == DC_T_F4:
            # float32 rows of SORT_MIN random values already hold equal ones (~2^24
            # values in [0.5, 1)): the work would be wasted
            return None
        if t != DC_T_F8:
            # integers: fewer possible values than a row's elements, equal values
            # certainly; else a bitmap of the range finds any (or, for a range too wide
            # for one, equal values likely were the values spread evenly over it)
            lo = int(src.min())
            span = int(src.max()) - lo + 1
            if span < n:
                return None
            if span <= 64 * src._size:
                if run_hasdup(src._data, src._size, t, lo & 0xFFFFFFFFFFFFFFFF, span) != 0:
                    return None
            elif <double>src._size * <double>src._size > 0.1 * <double>span:
                return None
        else:
            # float64: equal values among up to 4096 spread over the array (rounded or
            # integral data): more in the whole, likely; NumPy's code then
            sv = np.sort(src._np().reshape(-1)[::builtins.max(16, src._size // 4096)])
            m = sv.shape[0]
            if (sv[1:] == sv[:-1]).any() or sv[m - 2] != sv[m - 2]:
                return None                 # (two NaNs sort last: alike, too)
    r = new_array(src._ndim, src._shape, _intp, False, False)
    rc = run_argsort(src._data, src._size // n, n, t, r._data)
    if rc < 0 or (rc == 1 and not stable_sort):
        return None
    return r if back is None else _cr.copy(<ndarray>r.transpose(back), "C")


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """numpy.argsort: argsort_ours where it applies; else NumPy's method on the view for
    cpu dc arrays, or NumPy's code."""
    r = argsort_ours(a, axis, kind, order, stable)
    if r is not None:
        return r
    if _host_array(a) and stable is None:
        return _view_method(_nd_argsort, <ndarray>a, (axis, kind, order))
    return call_numpy_function(_F_argsort, _np_argsort, (a, axis, kind, order),
                               {"stable": stable})


def repeat(a, repeats, axis=None):
    """numpy.repeat: for a C-contiguous cpu dc array of 4- or 8-byte elements over the
    flattened array (axis None, or the only axis of a 1-d one) with a 1-d array of
    non-negative integer counts, each element written as a block of REP_BLOCK copies
    (the next run overwrites the excess: no branch on random lengths) and the rest of its
    count; NumPy's method copies each element with a memcpy call (1.08 ms for 1e6
    elements out of runs of 1-19, here 0.34); otherwise NumPy's method on the view (its
    errors)."""
    if _host_array(a):
        r = _repeat_fast(<ndarray>a, repeats, axis)
        if r is not None:
            return r
        return _view_method(_nd_repeat, <ndarray>a, (to_numpy(repeats), axis))
    return call_numpy_function(_F_repeat, _np_repeat, (a, repeats, axis), {})


DEF REP_BLOCK = 16      # elements each run writes whole (runs of random length up to it:
                        # no branch on the length; the next run overwrites the excess)


ctypedef fused _rep_t:
    uint32_t
    uint64_t


cdef inline void _repeat_runs(const _rep_t *src, Py_ssize_t n, const Py_ssize_t *cnt,
                              _rep_t *dst, _rep_t *end) noexcept nogil:
    cdef Py_ssize_t i, j, c
    cdef _rep_t v
    for i in range(n):
        c = cnt[i]
        v = src[i]
        if dst + c + REP_BLOCK <= end:
            for j in range(REP_BLOCK):
                dst[j] = v
            j = REP_BLOCK
            while j < c:
                dst[j] = v
                j += 1
        else:
            for j in range(c):
                dst[j] = v
        dst += c


cdef object _repeat_fast(ndarray a, object repeats, object axis):
    cdef Py_ssize_t n = a._size, total = 0, w = a._itemsize
    cdef const Py_ssize_t *cnt
    cdef ndarray r
    if (not a._c_contig or n < 64 or (w != 4 and w != 8) or (<size_t>a._data) % w
            or PyLong_CheckExact(repeats)):
        return None                  # (one count for all: NumPy's method is as fast)
    if not (axis is None or (a._ndim == 1 and PyLong_CheckExact(axis)
                             and (axis == 0 or axis == -1))):
        return None
    counts = to_numpy(repeats)
    if (type(counts) is not np.ndarray or counts.ndim != 1 or counts.shape[0] != n
            or counts.dtype.kind not in "iu"):
        return None
    counts = np.ascontiguousarray(counts, dtype=np.intp)
    if counts.min() < 0:
        return None                  # NumPy's ValueError
    t = int(counts.sum())
    if t > (1 << 40):
        return None
    total = t
    cnt = <const Py_ssize_t *>cnp.PyArray_DATA(counts)
    r = new_array(1, &total, a._dtype, False, False)
    with nogil:
        if w == 8:
            _repeat_runs(<const uint64_t *>a._data, n, cnt, <uint64_t *>r._data,
                         <uint64_t *>r._data + total)
        else:
            _repeat_runs(<const uint32_t *>a._data, n, cnt, <uint32_t *>r._data,
                         <uint32_t *>r._data + total)
    return r


cdef object _np_stack = np.stack._implementation
cdef object _np_outer = np.outer._implementation


cdef ndarray _with_axis(ndarray a, int axis):
    """The view of a with an extent-1 axis inserted before axis `axis` (a[..., None, ...])."""
    cdef Py_ssize_t sh[MAXDIMS]
    cdef Py_ssize_t st[MAXDIMS]
    cdef int d, k = 0
    for d in range(a._ndim + 1):
        if d == axis:
            sh[d], st[d] = 1, 0
        else:
            sh[d], st[d] = a._shape[k], a._strides[k]
            k += 1
    return a._sub(a._data, a._ndim + 1, sh, st)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """numpy.stack: for C-contiguous cpu dc arrays of one dtype and shape, their blocks
    copied along the new axis (as concatenate); else NumPy's code (its errors)."""
    cdef Py_ssize_t j, n
    cdef int nd
    cdef object r
    cdef list views
    if (out is None and dtype is None and (type(arrays) is list or type(arrays) is tuple)
            and len(arrays) and PyLong_CheckExact(axis)
            and _host_array(arrays[0]) and (<ndarray>arrays[0])._ndim < MAXDIMS):
        n = len(arrays)
        nd = (<ndarray>arrays[0])._ndim
        views = []
        for j in range(n):
            x = arrays[j]
            if not _host_array(x) or (<ndarray>x)._ndim != nd or memcmp(
                    (<ndarray>x)._shape, (<ndarray>arrays[0])._shape,
                    nd * sizeof(Py_ssize_t)):
                break
            views.append(x)
        else:
            ax = _axis_index(axis, nd + 1)
            r = _concatenate_same([_with_axis(<ndarray>x, ax) for x in views], ax)
            if r is not None:
                return r
    # the arguments as given (a GPU backend's stack takes arrays and axis only)
    kw = {}
    if out is not None:
        kw["out"] = out
    if dtype is not None:
        kw["dtype"] = dtype
    if casting != "same_kind":
        kw["casting"] = casting
    return call_numpy_function(_F_stack, _np_stack, (arrays, axis), kw)


def outer(a, b, out=None):
    """numpy.outer: our multiply of the raveled operands as a column and a row (NumPy's
    own formula) for real cpu dc arrays; else NumPy's code (complex products: NumPy's
    own result depends on its loop, contiguous or strided, in the last bits and at
    overflow)."""
    cdef ndarray x, y
    cdef Py_ssize_t sh[2]
    cdef Py_ssize_t st[2]
    if (out is None and _host_array(a) and _host_array(b)
            and (<ndarray>a)._dtype.kind != "c" and (<ndarray>b)._dtype.kind != "c"):
        x = <ndarray?>(<ndarray>a).ravel()
        y = <ndarray?>(<ndarray>b).ravel()
        sh[0], sh[1], st[0], st[1] = x._size, 1, x._strides[0], 0
        col = x._sub(x._data, 2, sh, st)
        sh[0], sh[1], st[0], st[1] = 1, y._size, 0, y._strides[0]
        row = y._sub(y._data, 2, sh, st)
        return col * row
    return call_numpy_function(_F_outer, _np_outer, (a, b, out), {})


cdef object _np_std = np.std._implementation
cdef object _np_var = np.var._implementation


DEF VAR_MIN_BYTES = 2048   # below, NumPy's code on the view (the method's kernels would
                           # not run: _routines_reduction.var); its steps on our array
                           # cost 0.9 us more (32 values: 8.9 us against 8.1)


def std(a, *args, **kwargs):
    """numpy.std: NumPy's function, which calls the method of an array that is not
    NumPy's (ours: our kernels for float arrays, as NumPy's _std); else NumPy's code."""
    if (type(a) is ndarray and (<ndarray>a)._host
            and (<ndarray>a)._size * (<ndarray>a)._itemsize >= VAR_MIN_BYTES):
        return _np_std(a, *args, **kwargs)
    return call_numpy_function(_F_std, _np_std, (a,) + args, kwargs)


def var(a, *args, **kwargs):
    """numpy.var: NumPy's function, which calls the method of an array that is not
    NumPy's (ours: our kernels for float arrays, as NumPy's _var); else NumPy's code."""
    if (type(a) is ndarray and (<ndarray>a)._host
            and (<ndarray>a)._size * (<ndarray>a)._itemsize >= VAR_MIN_BYTES):
        return _np_var(a, *args, **kwargs)
    return call_numpy_function(_F_var, _np_var, (a,) + args, kwargs)


cdef object _np_median = np.median._implementation


cdef tuple _slices_last(ndarray x, object axis):
    """(rows, rest, keep) for a median or quantile of x over `axis` (an int or None): a
    C-ordered copy of x from the pool with the axis last, as rows of the slices selected
    in (one per result element), the result's shape (x's without the axis; () for None)
    and its shape with keepdims; None for another axis or an empty x (NumPy's code then
    decides)."""
    cdef int nd = x._ndim, ax
    cdef ndarray c
    if x._size == 0:
        return None
    if axis is None:
        c = <ndarray?>x.reshape(-1).copy()
        rest, keep = (), (1,) * nd
    elif PyLong_CheckExact(axis) and -nd <= <object>axis < nd:
        ax = <int>axis + nd if <object>axis < 0 else <int>axis
        if ax == nd - 1:
            c = <ndarray?>x.copy()
        else:
            c = <ndarray?>x.transpose([d for d in range(nd) if d != ax] + [ax]).copy()
        rest = x.shape[:ax] + x.shape[ax + 1:]
        keep = x.shape[:ax] + (1,) + x.shape[ax + 1:]
    else:
        return None
    return c.reshape(-1, c._shape[c._ndim - 1]), rest, keep


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """numpy.median. A float32 or float64 cpu dc array (axis an int or None, no out=):
    the slices copied with the axis last (from the pool) and partitioned in place at the
    middle (run_select: dc_select.h's branchless quickselect, the slices spread over the
    threads); the lower middle of an even count is the largest element below it, and a
    slice holding a NaN gives NaN, as NumPy's check gives it. NumPy's own median
    partitions at the two middles and at -1 in one call, which takes its scalar
    introselect: 4000 x 200 float64 along axis 0 took 10.2 ms there on the AMD EPYC, 2.0
    ms here on two threads (the copy 0.6 of it; with NumPy's single-position partition,
    as before, 9.4 ms: its SIMD selection is not used on that CPU). The values are NumPy's: the same
    order statistics, averaged as its mean averages them ((lo + hi) / 2 in the array's
    dtype). Else (other dtypes, out=, an axis tuple, fewer than two elements a slice)
    NumPy's code."""
    cdef ndarray c, r, lo, top
    cdef Py_ssize_t n, h
    cdef tuple sl = None
    if (out is None and type(a) is ndarray and (<ndarray>a)._host
            and ((<ndarray>a)._t == DC_T_F8 or (<ndarray>a)._t == DC_T_F4)
            and (keepdims is True or keepdims is False)):
        sl = _slices_last(<ndarray>a, axis)
    if sl is not None and (<ndarray>sl[0])._shape[1] >= 2:
        c, rest, keep = sl
        n = c._shape[1]
        h = n // 2
        run_select(c._data, c._shape[0], n, c._strides[0], h, c._t == DC_T_F8)
        r = <ndarray?>c[:, h]
        if n % 2 == 0:
            lo = <ndarray?>c[:, :h].max(axis=-1)
            r = <ndarray?>((lo + r) / 2)
        else:
            r = <ndarray?>r.copy()
        # NaNs order last: a slice holding one has one at h or after
        top = <ndarray?>c[:, h:].max(axis=-1)
        nan = top != top
        if nan.any():
            r = <ndarray?>where(nan, top, r)
        if keepdims:
            return r.reshape(keep)
        if not rest:
            return r._np()[0]
        return r.reshape(rest)
    return call_numpy_function(_F_median, _np_median,
                               (a, axis, out, overwrite_input, keepdims), {})


cdef object _np_bincount = np.bincount._implementation
DEF BINCOUNT_MIN = 16384     # values: below, NumPy's code


def bincount(x, weights=None, minlength=0):
    """numpy.bincount of a 1-d contiguous cpu dc array of bool or integers NumPy casts to
    intp safely (int8-int64, uint8-uint32; an image's uint8 pixels), BINCOUNT_MIN values
    or more, no weights, minlength a Python int >= 0: its smallest value checked (a
    negative one: NumPy's code and its ValueError), then the values counted on the thread
    policy's threads (run_bincount; integer counts, so NumPy's). Else NumPy's code."""
    cdef ndarray a
    cdef Py_ssize_t L
    cdef int t = (<ndarray>x)._t if _host_array(x) else -1
    if (weights is None and type(minlength) is int and minlength >= 0 and _host_array(x)
            and (t == DC_T_I8 or t == DC_T_I4 or t == DC_T_U4 or t == DC_T_I2
                 or t == DC_T_U2 or t == DC_T_I1 or t == DC_T_U1 or t == DC_T_B1)
            and (<ndarray>x)._ndim == 1 and (<ndarray>x)._size >= BINCOUNT_MIN
            and (<ndarray>x)._strides[0] == (<ndarray>x)._itemsize):
        a = <ndarray>x
        if int(a.min()) >= 0:
            L = builtins.max(int(a.max()) + 1, minlength)
            counts = np.zeros(L, np.intp)
            if run_bincount(a._data, a._size, a._t, <long long *>cnp.PyArray_DATA(counts), L):
                return wrap_result(counts)
    return call_numpy_function(_F_bincount, _np_bincount,
                               _trim((x, weights, minlength), (_REQ, None, 0)), {})


cdef object _np_interp = np.interp._implementation
DEF INTERP_MIN = 8192   # values: below, NumPy's code (AMD EPYC, 10-point grid: 4096 values
                        # 0.95x NumPy's, 16384 1.2x)
DEF INTERP_GRID = 4     # grid points a value at most: the grid's check is not paid for
                        # a few values on a long grid


cdef object _grid(object v):
    """v as a 1-d C-contiguous float64 NumPy array (a view of a dc array, NumPy's own
    array), or None for anything else (lists, other dtypes: NumPy's conversions)."""
    if _host_array(v):
        v = (<ndarray>v)._np()
    if (type(v) is np.ndarray and v.dtype == np.float64 and v.ndim == 1
            and v.flags.c_contiguous):
        return v
    return None


def interp(x, xp, fp, left=None, right=None, period=None):
    """numpy.interp of a float64 cpu dc array x of INTERP_MIN values or more, no NaN among
    them, on a float64 grid xp that is non-decreasing and NaN-free, of at most INTERP_GRID
    points a value, with float64 values fp of its length (dc or NumPy arrays), no period,
    left and right None or Python numbers: NumPy's rules and operations per value
    (run_interp_f8, dc_interp.h), so its values, on the thread policy's threads. Else
    NumPy's code (its conversions, errors, periods, complex values and NaN searches)."""
    cdef ndarray xv, r
    cdef object g, f
    cdef double lval, rval
    if (period is None and _host_array(x) and (<ndarray>x)._t == DC_T_F8
            and (<ndarray>x)._size >= INTERP_MIN
            and (left is None or type(left) is float or type(left) is int)
            and (right is None or type(right) is float or type(right) is int)):
        g, f = _grid(xp), _grid(fp)
        if (g is not None and f is not None and len(g) == len(f) and len(g) >= 1
                and len(g) <= INTERP_GRID * (<ndarray>x)._size):
            lval = <double>f[0] if left is None else <double>left
            rval = <double>f[len(f) - 1] if right is None else <double>right
            xv = <ndarray>x if (<ndarray>x)._c_contig else _cr.copy(<ndarray>x, "C")
            if interp_inputs_ok(<const double *>xv._data, xv._size,
                                <const double *>cnp.PyArray_DATA(g), len(g)):
                r = new_array(xv._ndim, xv._shape, np.dtype(np.float64), False, False)
                run_interp_f8(<const double *>xv._data, xv._size,
                              <const double *>cnp.PyArray_DATA(g),
                              <const double *>cnp.PyArray_DATA(f), len(g), lval, rval,
                              <double *>r._data)
                return r
    return call_numpy_function(_F_interp, _np_interp,
                               _trim((x, xp, fp, left, right, period),
                                     (_REQ, _REQ, _REQ, None, None, None)), {})


cdef object _np_histogram = np.histogram._implementation
try:        # NumPy's own bin edges (and whether they are uniform) for a histogram
    from numpy.lib._histograms_impl import _get_bin_edges as _np_hist_edges
except ImportError:                  # another NumPy: its code
    _np_hist_edges = None
DEF HIST_MIN = 8192     # values: below, NumPy's code


def histogram(a, bins=10, range=None, density=None, weights=None):
    """numpy.histogram of a float64 cpu dc array of HIST_MIN values or more, no weights or
    density: NumPy's own bin edges (its _get_bin_edges: the range, the bins asked for,
    its errors), and where they are equal bins, its uniform-bin steps per value counted
    on the thread policy's threads (run_hist_f8: the same operations, so the same bins);
    else NumPy's code."""
    cdef ndarray x
    cdef object edges, counts
    if (_np_hist_edges is not None and weights is None
            and (density is None or density is False) and _host_array(a)
            and (<ndarray>a)._t == DC_T_F8 and (<ndarray>a)._size >= HIST_MIN):
        x = <ndarray>a if (<ndarray>a)._c_contig else _cr.copy(<ndarray>a, "C")
        xv = x._np().reshape(-1)
        edges, uniform = _np_hist_edges(xv, bins, range, None)
        if uniform is not None and edges.dtype == np.float64 and edges.flags.c_contiguous:
            first, last, nb = uniform
            counts = np.zeros(nb, np.intp)
            if run_hist_f8(<const double *>x._data, x._size, <double>first, <double>last,
                           <double>(last - first), <Py_ssize_t>nb,
                           <const double *>cnp.PyArray_DATA(edges),
                           <long long *>cnp.PyArray_DATA(counts)):
                return wrap_result(counts), wrap_result(edges)
    return call_numpy_function(_F_histogram, _np_histogram,
                               _trim((a, bins, range, density, weights),
                                     (_REQ, 10, None, None, None)), {})


cdef object _np_nansum = np.nansum._implementation
cdef object _np_nanmean = np.nanmean._implementation
cdef object _NOVALUE = np._NoValue


cdef bint _nan_reduce_call(object a, object dtype, object out, object keepdims,
                           object where):
    """A nansum / nanmean call ours take: a cpu dc array, no dtype, out or where, keepdims
    a bool or not given (nan_reduce_full / nan_replaced check the rest)."""
    return (_host_array(a) and dtype is None and out is None and where is _NOVALUE
            and (keepdims is _NOVALUE or keepdims is False or keepdims is True))


cdef inline bint _all_axes(object a, object axis, object keepdims):
    """The whole array into a scalar: axis None (or 0 / -1 of a 1-d array), no keepdims."""
    return ((keepdims is _NOVALUE or keepdims is False)
            and (axis is None or ((<ndarray>a)._ndim == 1 and (axis is 0 or axis is -1))))


cdef object _nan_divide(object x, object count):
    """NumPy's _divide_by_count(x, count): in place for an array (casting='unsafe'),
    errors ignored; a scalar keeps its type."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if type(x) is ndarray:
            return np.divide(x, count, out=x, casting="unsafe")
        return x.dtype.type(x / count)


cdef object _nan_axes(ndarray a, object axis, object keepdims, bint mean):
    """NumPy's nansum / nanmean steps over axes (or with keepdims) on our kernels: its
    _replace_nan in one threaded pass (_red.nan_replaced), then our sums of the copy and,
    for the mean, of the mask of elements that are not NaN (intp counts), divided as its
    _divide_by_count does (in place, casting='unsafe', errors ignored), and its warning
    where a count is 0. Our sums give NumPy's bits over any axes, so these are its values.
    None: NumPy's code."""
    parts = _red.nan_replaced(a)
    if parts is None:
        return None
    arr, m = parts
    kw = {} if keepdims is _NOVALUE else {"keepdims": keepdims}
    tot = sum(arr, axis, **kw)
    if not mean:
        return tot
    cnt = sum(m, axis, dtype=np.intp, **kw)
    avg = _nan_divide(tot, cnt)
    if (cnt == 0).any():
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=3)
    return avg


def nansum(a, axis=None, dtype=None, out=None, keepdims=np._NoValue, initial=np._NoValue,
           where=np._NoValue):
    """numpy.nansum of a float32/float64 C-contiguous cpu dc array: the whole array in one
    threaded pass with NumPy's bits (_red.nan_reduce_full), axes by NumPy's steps on our
    kernels (_nan_axes); else NumPy's code."""
    if initial is _NOVALUE and _nan_reduce_call(a, dtype, out, keepdims, where):
        if _all_axes(a, axis, keepdims):
            r = _red.nan_reduce_full(<ndarray>a, False)
        else:
            r = _nan_axes(<ndarray>a, axis, keepdims, False)
        if r is not None:
            return r
    return call_numpy_function(_F_nansum, _np_nansum,
                               _trim((a, axis, dtype, out, keepdims, initial, where),
                                     (_REQ, None, None, None, _NOVALUE, _NOVALUE, _NOVALUE)),
                               {})


def nanmean(a, axis=None, dtype=None, out=None, keepdims=np._NoValue, *, where=np._NoValue):
    """numpy.nanmean of a float32/float64 C-contiguous cpu dc array: the whole array's sum
    and count in one threaded pass, divided as NumPy divides (_red.nan_reduce_full), axes
    by NumPy's steps on our kernels (_nan_axes); else NumPy's code (a whole array of NaN:
    its warning and nan)."""
    if _nan_reduce_call(a, dtype, out, keepdims, where):
        if _all_axes(a, axis, keepdims):
            r = _red.nan_reduce_full(<ndarray>a, True)
        else:
            r = _nan_axes(<ndarray>a, axis, keepdims, True)
        if r is not None:
            return r
    return call_numpy_function(_F_nanmean, _np_nanmean,
                               _trim((a, axis, dtype, out, keepdims),
                                     (_REQ, None, None, None, _NOVALUE)),
                               _given((("where", where, _NOVALUE),)))


cdef object _np_nanvar = np.nanvar._implementation
cdef object _np_nanstd = np.nanstd._implementation


cdef object _nan_var(ndarray a, object axis, object ddof, object keepdims, bint std):
    """NumPy's nanvar / nanstd steps on our kernels (its _replace_nan in one threaded pass,
    _red.nan_replaced; our sums, which give its bits; its subtraction in place, zeros at
    the NaNs, squares, division by the degrees of freedom and its warning where they are
    <= 0); None: NumPy's code."""
    parts = _red.nan_replaced(a)
    if parts is None:
        return None
    arr, m = parts
    cnt = sum(m, axis, dtype=np.intp, keepdims=True)
    avg = _nan_divide(sum(arr, axis, keepdims=True), cnt)
    np.subtract(arr, avg, out=arr, casting="unsafe")
    with np.errstate(invalid="ignore"):
        # NumPy's copyto(arr, 0, where=mask) (0.9 ms of 2 at 1e6, its loop on a view) as
        # a product by the not-NaN mask: the same zeros' squares (+0.0) where avg is
        # finite; where it is not, the slice's variance is NaN either way (an inf in it:
        # inf - inf) or replaced by NaN (no element: dof <= 0)
        np.multiply(arr, m, out=arr, casting="unsafe")
    sqr = np.multiply(arr, arr, out=arr)
    kw = {} if keepdims is _NOVALUE else {"keepdims": keepdims}
    var = sum(sqr, axis, **kw)
    if np.ndim(var) < cnt.ndim:
        cnt = cnt.squeeze(axis)
    dof = cnt - ddof
    var = _nan_divide(var, dof)
    isbad = dof <= 0
    if np.any(isbad):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=3)
        if type(var) is ndarray:
            np.copyto(var, np.nan, where=isbad)
        else:
            var = var.dtype.type(np.nan)
    if not std:
        return var
    if type(var) is ndarray:
        return np.sqrt(var, out=var)
    return var.dtype.type(np.sqrt(var))


cdef object _nan_var_call(object f, object impl, bint std, object a, object axis,
                          object dtype, object out, object ddof, object keepdims,
                          object where, object mean, object correction):
    """nanvar / nanstd (std): NumPy's steps on our kernels for a float32/float64
    C-contiguous cpu dc array (_nan_var), else NumPy's code."""
    if (mean is _NOVALUE and correction is _NOVALUE and type(ddof) is int
            and _nan_reduce_call(a, dtype, out, keepdims, where)):
        r = _nan_var(<ndarray>a, axis, ddof, keepdims, std)
        if r is not None:
            return r
    return call_numpy_function(f, impl, _trim((a, axis, dtype, out, ddof, keepdims),
                                              (_REQ, None, None, None, 0, _NOVALUE)),
                               _given((("where", where, _NOVALUE), ("mean", mean, _NOVALUE),
                                       ("correction", correction, _NOVALUE))))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=np._NoValue, *,
           where=np._NoValue, mean=np._NoValue, correction=np._NoValue):
    """numpy.nanvar: NumPy's steps on our kernels (_nan_var_call)."""
    return _nan_var_call(_F_nanvar, _np_nanvar, False, a, axis, dtype, out, ddof, keepdims,
                         where, mean, correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=np._NoValue, *,
           where=np._NoValue, mean=np._NoValue, correction=np._NoValue):
    """numpy.nanstd: the square root of nanvar's steps on our kernels (_nan_var_call)."""
    return _nan_var_call(_F_nanstd, _np_nanstd, True, a, axis, dtype, out, ddof, keepdims,
                         where, mean, correction)


cdef object _np_nanmedian = np.nanmedian._implementation


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=np._NoValue):
    """numpy.nanmedian over the whole array (axis None, no out=, keepdims not asked) of a
    float32/float64 cpu dc array: NumPy's steps for one slice (the non-NaN values, then
    their median) with our mask gather and median (its selection), so its value, a NumPy
    scalar; a slice of NaNs only (NumPy's warning), other axes and arguments run NumPy's
    code."""
    cdef ndarray x, valid
    if (axis is None and out is None and (keepdims is np._NoValue or keepdims is False)
            and _host_array(a) and ((<ndarray>a)._t == DC_T_F8 or (<ndarray>a)._t == DC_T_F4)
            and (<ndarray>a)._size >= 2):
        x = <ndarray?>(<ndarray>a).reshape(-1)
        valid = <ndarray?>x[x == x]
        if valid._size > 0:
            return median(valid)
    kw = {} if keepdims is np._NoValue else {"keepdims": keepdims}
    return call_numpy_function(_F_nanmedian, _np_nanmedian,
                               (a, axis, out, overwrite_input), kw)


cdef object _np_quantile = np.quantile._implementation
try:
    from numpy.lib._function_base_impl import _monotonicity as _np_monotonicity
except ImportError:                 # another NumPy: monotonicity by its own digitize
    _np_monotonicity = None
cdef object _np_percentile = np.percentile._implementation
try:        # NumPy's own steps of the linear method, which the selection below feeds
    from numpy.lib._function_base_impl import (_lerp as _np_lerp,
                                               _get_indexes as _np_get_indexes,
                                               _get_gamma as _np_get_gamma,
                                               _QuantileMethods as _np_quantile_methods)
    _np_quantile_methods["linear"]["get_virtual_index"]
except (ImportError, KeyError, TypeError):           # another NumPy: its code
    _np_lerp = None

DEF QUANTILE_MIN = 4096     # elements of the array: below, NumPy's code
DEF QUANTILE_MAX_Q = 8      # quantiles of one call: with more, a selection per position
                            # (each over the part below the last) may cost more than
                            # NumPy's one partition at all of them


cdef object _quantile_fast(ndarray x, object q, bint weak_q, object axis, object keepdims):
    """NumPy's linear quantile (its _quantile with method="linear") of a float32/float64
    cpu dc array, q an ndarray of float64 in [0, 1] (0-d or 1-d), axis an int or None;
    None when NumPy's code should run. NumPy partitions at every position it reads (0,
    -1, the neighbours of each virtual index) in one call, which takes its scalar
    introselect (1e6 float64, q = 0.3: 9.9 ms). Here each slice, copied with the axis
    last, is partitioned at one position at a time (run_select: dc_select.h's branchless
    quickselect, the slices spread over the threads), from the largest down, each on the
    part below the last one;
    a position just below the last partitioned one is the largest of that part. The order
    statistics are the ones NumPy reads, combined by NumPy's own _get_indexes, _get_gamma
    and _lerp, and a slice holding a NaN gives NaN as NumPy's check gives it."""
    cdef ndarray c
    cdef Py_ssize_t n, m, hi, p
    cdef tuple sl = _slices_last(x, axis)
    if sl is None:
        return None
    c, rest, keep = sl
    n = c._shape[1]
    if n < 2:
        return None
    m = c._shape[0]
    cv = c._np()
    vi = np.asanyarray(_np_quantile_methods["linear"]["get_virtual_index"](n, q))
    if vi.dtype != np.float64:
        return None
    prev, nxt = _np_get_indexes(cv, vi, n)
    stats = {}
    hi = n
    for p in sorted({int(v) % n for v in np.concatenate((prev.ravel(), nxt.ravel()))},
                    reverse=True):
        if p == hi - 1:
            stats[p] = np.asarray(c[:, :hi].max(axis=1))
        else:
            run_select(c._data, m, hi, c._strides[0], p, c._t == DC_T_F8)   # in place
            stats[p] = cv[:, p].copy()
            hi = p
    shape = vi.shape + rest
    previous = np.stack([stats[int(v) % n] for v in prev.ravel()]).reshape(shape)
    following = np.stack([stats[int(v) % n] for v in nxt.ravel()]).reshape(shape)
    gamma = _np_get_gamma(vi, prev, _np_quantile_methods["linear"])
    if weak_q:
        gamma = float(gamma)
    else:
        gamma = gamma.reshape(vi.shape + (1,) * len(rest))
    result = _np_lerp(previous, following, gamma)
    top = np.asarray(c.max(axis=1))                  # NaN where the slice holds one
    nans = np.isnan(top)
    if nans.any():
        if np.ndim(result) == 0:
            result = top[0]                          # NumPy's arr[-1]: that NaN
        else:
            np.copyto(result, top.reshape(rest), where=nans.reshape(rest))
    if keepdims:
        result = np.asarray(result).reshape(vi.shape + keep)
    return wrap_result(result) if type(result) is np.ndarray else result


cdef object _quantile_q(object q, bint percent):
    """q as NumPy's quantile/percentile make it (an ndarray: q / 100 for a percentile) when
    it is a float64 0-d or 1-d array in [0, 1] afterwards; else None."""
    if percent:
        q = np.true_divide(q, 100, out=...)
    else:
        q = np.asanyarray(q)
    if (type(q) is not np.ndarray or q.dtype != np.float64 or q.ndim > 1
            or q.size > QUANTILE_MAX_Q):
        return None
    if not (q.size and (q >= 0).all() and (q <= 1).all()):
        return None
    return q


cdef object _quantile_call(object a, object q, object axis, object out,
                           object overwrite_input, object method, object keepdims,
                           object weights, bint percent):
    if (_np_lerp is not None and out is None and weights is None and method == "linear"
            and type(a) is ndarray and (<ndarray>a)._host
            and ((<ndarray>a)._t == DC_T_F8 or (<ndarray>a)._t == DC_T_F4)
            and (<ndarray>a)._size >= QUANTILE_MIN
            and (keepdims is True or keepdims is False)
            and not (type(q) is ndarray or type(q) is list and builtins.any(
                type(v) is ndarray for v in q))):
        qq = _quantile_q(q, percent)
        if qq is not None:
            r = _quantile_fast(<ndarray>a, qq, type(q) in (int, float), axis, keepdims)
            if r is not None:
                return r
    return call_numpy_function(_F_percentile if percent else _F_quantile,
                               _np_percentile if percent else _np_quantile,
                               (a, q, axis, out, overwrite_input, method, keepdims),
                               {} if weights is None else {"weights": weights})


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):
    """numpy.quantile: for a float32/float64 cpu dc array of 4096 elements or more, the
    linear method, no out= or weights, the order statistics by single-position selections
    (see _quantile_fast) combined by NumPy's own steps; else NumPy's code."""
    return _quantile_call(a, q, axis, out, overwrite_input, method, keepdims, weights,
                          False)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """numpy.percentile: quantile of q / 100 as NumPy computes it (see quantile)."""
    return _quantile_call(a, q, axis, out, overwrite_input, method, keepdims, weights,
                          True)


amin, amax = min, max

# numpy function -> our implementation (same signature), for ndarray.__array_function__.
OVERRIDES = {
    np.sum: sum, np.prod: prod, np.min: min, np.max: max, np.amin: amin, np.amax: amax,
    np.any: any, np.all: all, np.argmin: argmin, np.argmax: argmax, np.mean: mean,
    np.cumsum: cumsum, np.cumprod: cumprod,
    np.dot: dot, np.vdot: vdot, np.clip: clip, np.where: where,
    np.concatenate: concatenate, np.flip: flip, np.fliplr: fliplr, np.flipud: flipud,
    np.diff: diff, np.reshape: reshape, np.ravel: ravel, np.transpose: transpose,
    np.copy: copy, np.sort: sort, np.argsort: argsort, np.repeat: repeat,
    np.stack: stack, np.outer: outer, np.median: median, np.std: std, np.var: var,
    np.quantile: quantile, np.percentile: percentile, np.unique: unique,
    np.searchsorted: searchsorted, np.digitize: digitize, np.nanmedian: nanmedian,
    np.nansum: nansum, np.nanmean: nanmean, np.nanvar: nanvar, np.nanstd: nanstd,
    np.histogram: histogram, np.interp: interp, np.bincount: bincount,
    np.nonzero: nonzero, np.argwhere: argwhere, np.flatnonzero: flatnonzero,
    np.isin: isin, np.polyval: polyval, np.lexsort: lexsort, np.roll: roll,
    np.cross: cross, np.linalg.norm: norm, np.linalg.det: det, np.linalg.inv: inv,
    np.linalg.solve: solve, np.convolve: convolve, np.correlate: correlate,
    np.einsum: einsum, np.angle: angle, np.unwrap: unwrap,
}
cdef dict _OVERRIDES = OVERRIDES


# numpy function -> what ndarray.__array_function__ runs for it: (our override, True) or
# (NumPy's implementation past its dispatch, False; functions without one, C functions, map
# to themselves). Filled on a function's first call through the protocol (OVERRIDES is read
# then), it keeps the functions and their callees alive for the slots below.
cdef dict _DECIDED = {}
cdef set _NUMPY_TYPES = {ndarray, np.ndarray}

# The decisions of the functions called last, by the function object's address (a
# direct-mapped cache in front of _DECIDED: a dict lookup keyed by a function costs about
# 100 instructions, a slot 10). Slots are filled by C assignments only, their objects kept
# alive by _DECIDED.
cdef enum:
    DECIDED_SLOTS = 128
cdef PyObject *_slot_func[DECIDED_SLOTS]
cdef PyObject *_slot_impl[DECIDED_SLOTS]
cdef bint _slot_override[DECIDED_SLOTS]


cdef inline Py_ssize_t _slot_of(object func) noexcept:
    return (<size_t><PyObject *>func >> 4) & (DECIDED_SLOTS - 1)


cdef Py_ssize_t _decide(object func) except -1:
    """Fill func's slot with its decision (made once: _DECIDED); the slot's index."""
    cdef Py_ssize_t s = _slot_of(func)
    cdef object impl
    cdef tuple d = _DECIDED.get(func)
    if d is None:
        impl = _OVERRIDES.get(func)
        if impl is not None:
            d = (impl, True)
        else:
            # the function past its own __array_function__ dispatch (the arguments are
            # numpy arrays then); functions without one (C functions) are called as they
            # are
            d = (getattr(func, "_implementation", func), False)
        _DECIDED[func] = d
    _slot_func[s] = NULL
    _slot_impl[s] = PyTuple_GET_ITEM(d, 0)
    _slot_override[s] = d[1] is True
    _slot_func[s] = <PyObject *>func
    return s


cdef Py_ssize_t _nested_bytes(object x):
    """Bytes of the dc arrays in x (also inside lists and tuples)."""
    cdef Py_ssize_t n = 0
    if type(x) is ndarray:
        return (<ndarray>x)._size * (<ndarray>x)._itemsize
    if type(x) is list or type(x) is tuple:
        for v in x:
            n += _nested_bytes(v)
    return n


cdef object _nested_device(object x):
    """The first dc array on another device than the cpu in x (also inside lists and
    tuples), or None."""
    cdef object d
    if type(x) is ndarray:
        return None if (<ndarray>x)._host else x
    if type(x) is list or type(x) is tuple:
        for v in x:
            d = _nested_device(v)
            if d is not None:
                return d
    return None


cdef object array_function(object func, object types, tuple args, dict kwargs):
    """numpy function `func` on dc arrays: our override, else NumPy's own code (past its
    dispatch: the dispatch decisions are cached per function and per type).
    NumPy's protocol hands over a fresh tuple and dict: both go to the callee by
    vectorcall as they are (no copy of the keywords, no tuple re-packed)."""
    cdef Py_ssize_t s = _slot_of(func)
    cdef object tp, fallback
    if _slot_func[s] != <PyObject *>func:
        s = _decide(func)
    if _slot_override[s]:
        return vectorcall_dict(<object>_slot_impl[s], PySequence_Fast_ITEMS(args),
                               PyTuple_GET_SIZE(args),
                               <PyObject *>kwargs if kwargs else NULL)
    fallback = <object>_slot_impl[s]
    for tp in types:
        if tp is not ndarray and tp not in _NUMPY_TYPES:
            if not issubclass(tp, np.ndarray):
                return NotImplemented
            _NUMPY_TYPES.add(tp)
    return call_numpy(fallback, args, kwargs)


# Types whose objects cannot take over a NumPy function (no __array_function__ of their
# own): grown as types are met. numpy.ndarray's own protocol runs the implementation.
cdef set _PLAIN_TYPES = {int, float, complex, bool, str, bytes, type(None), slice,
                         type(Ellipsis), np.ndarray, np.dtype}


cdef bint _plain(object x):
    """No object in x (also inside lists and tuples) but cpu dc arrays could override a
    NumPy function: its dispatcher would run the implementation itself."""
    cdef object tp = type(x)
    if tp is ndarray:
        return (<ndarray>x)._host
    if tp is list or tp is tuple:
        for v in x:
            if not _plain(v):
                return False
        return True
    if tp in _PLAIN_TYPES:
        return True
    if getattr(tp, "__array_function__", None) is None:    # NumPy scalars, dtypes, ...
        _PLAIN_TYPES.add(tp)
        return True
    return False


cpdef object call_numpy_function(object f, object impl, tuple args, dict kwargs):
    """call_numpy(f, args, kwargs) for the namespace's wrapper of NumPy function f: its
    implementation past the dispatch (impl, None for a function without one) when no
    argument could override it -- NumPy's dispatcher, which costs about 0.2 us a call,
    would come to the same call -- else f itself (its dispatcher sees the others)."""
    if impl is not None and _plain(args) and (
            not kwargs or ("like" not in kwargs and _plain(tuple(kwargs.values())))):
        return call_numpy(impl, args, kwargs)
    return call_numpy(f, args, kwargs)




cdef enum:
    STACK_ARGS = 8       # positional arguments converted on the C stack (more: a tuple)


# NumPy functions whose last result on large inputs was no array (a NumPy scalar, a
# Python number): they run without the pool's allocator swap (0.25 us) -- what they
# allocate is temporary.
cdef set _SMALL_RESULTS = set()


cpdef object call_numpy(object f, tuple args, dict kwargs):
    """f(*args, **kwargs) with the dc arrays among them (also inside lists and tuples) as
    zero-copy numpy views, array results wrapped as dc arrays (`out=` returned as given);
    with a dc array on another device among them, that device's backend runs f (or
    raises TypeError naming it): never a hidden copy to the host.
    Small inputs keep NumPy's allocator: the pool's handler swap costs more than such a
    call; larger ones allocate from the pool. The arguments go to f by vectorcall (no
    tuple, and the caller's kwargs dict itself when it holds no dc array)."""
    cdef Py_ssize_t nbytes = 0, n = PyTuple_GET_SIZE(args), i
    cdef PyObject *stack[STACK_ARGS]
    cdef object x, v, r, d, prev
    cdef object out = None
    cdef dict np_kwargs = kwargs
    if n > STACK_ARGS:
        d = _nested_device(args)
        if d is not None:
            return device_function(<ndarray>d, f, args, kwargs)
        for x in args:
            nbytes += _nested_bytes(x)
        n = 0
    if kwargs:
        for k, v in kwargs.items():
            if type(v) is ndarray or type(v) is list or type(v) is tuple:
                break
        else:
            v = None
        if v is not None:                  # some value may hold dc arrays: convert all
            for v in kwargs.values():
                d = _nested_device(v)
                if d is not None:
                    return device_function(<ndarray>d, f, args, kwargs)
            np_kwargs = {}
            for k, v in kwargs.items():
                nbytes += _nested_bytes(v)
                np_kwargs[k] = to_numpy_nested(v)
        out = kwargs.get("out")
    for i in range(n):
        x = <object>PyTuple_GET_ITEM(args, i)
        if type(x) is ndarray:
            if not (<ndarray>x)._host:         # arrays on a GPU: that device's routines
                _release(stack, i)
                return device_function(<ndarray>x, f, args, kwargs)
            nbytes += (<ndarray>x)._size * (<ndarray>x)._itemsize
            v = (<ndarray>x)._np()
        elif type(x) is list or type(x) is tuple:
            d = _nested_device(x)
            if d is not None:
                _release(stack, i)
                return device_function(<ndarray>d, f, args, kwargs)
            nbytes += _nested_bytes(x)
            v = to_numpy_nested(x)
        else:
            v = x
        Py_INCREF(v)
        stack[i] = <PyObject *>v
    if n == 0 and PyTuple_GET_SIZE(args):
        args = <tuple>to_numpy_nested(args)
    try:
        if nbytes < SMALL_BYTES:
            r = _vcall(f, args, n, stack, np_kwargs)
        elif f in _SMALL_RESULTS:
            # its last result on large inputs was small (a reduction, a count): no swap;
            # a large result takes it off the set, the next call swaps again
            r = _vcall(f, args, n, stack, np_kwargs)
            if isinstance(r, np.ndarray) and (<cnp.ndarray>r).nbytes >= SMALL_BYTES:
                _SMALL_RESULTS.discard(f)
        else:
            prev = pool_for_numpy()
            try:
                r = _vcall(f, args, n, stack, np_kwargs)
            finally:
                numpy_allocator_back(prev)
            if not (isinstance(r, (np.ndarray, tuple, list))):
                _SMALL_RESULTS.add(f)
        # an argument returned as it is (`out` given by position, np.asarray(x)): the dc
        # array that was passed, as NumPy returns the array itself
        if type(r) is np.ndarray:
            for i in range(n):
                if stack[i] == <PyObject *>r and type(args[i]) is ndarray:
                    return args[i]
    finally:
        _release(stack, n)
    if out is not None and r is np_kwargs.get("out"):
        return out
    return wrap_result(r)


cdef inline void _release(PyObject **stack, Py_ssize_t n) noexcept:
    """Drop the references call_numpy took to its first n converted arguments."""
    cdef Py_ssize_t i
    for i in range(n):
        Py_DECREF(<object>stack[i])


cdef inline object _vcall_sized(object f, PyObject **stack, Py_ssize_t n,
                                PyObject *kwnames, Py_ssize_t nbytes):
    """f(*stack[:n], keywords kwnames) by vectorcall: NumPy's allocator for inputs of
    fewer than SMALL_BYTES (nbytes), the pool's for larger ones."""
    cdef object prev
    if nbytes < SMALL_BYTES:
        return vectorcall(f, stack, n, kwnames)
    prev = pool_for_numpy()
    try:
        return vectorcall(f, stack, n, kwnames)
    finally:
        numpy_allocator_back(prev)


cdef inline object _vcall(object f, tuple args, Py_ssize_t n, PyObject **stack,
                          dict kwargs):
    """f(*stack[:n], **kwargs), or f(*args, **kwargs) when the arguments were converted
    as a tuple (n == 0 with args)."""
    if n == 0 and PyTuple_GET_SIZE(args):
        return f(*args, **kwargs) if kwargs else f(*args)
    return vectorcall_dict(f, stack, n, <PyObject *>kwargs if kwargs else NULL)


# ------------------------------------------------------------ the namespace's functions

cdef object _LIKE = "like"
cdef object _OUT = "out"
cdef object _NOT_DIRECT = object()      # _call_direct made no call (None is a result)


cdef bint _as_is(object x):
    """x goes to NumPy's implementation unchanged: an object that cannot override a NumPy
    function and holds no dc array (lists and tuples of such objects too)."""
    cdef object tp = type(x)
    if tp is ndarray:
        return False
    if tp is list or tp is tuple:
        for v in x:
            if not _as_is(v):
                return False
        return True
    return _plain(x)


cdef object _call_direct(object f, PyObject **args, Py_ssize_t n, PyObject *kwnames):
    """f(*args[:n], keywords kwnames) with cpu dc arrays as their zero-copy numpy views,
    the result wrapped, when every argument is such an array or goes as it is (_as_is),
    none is named `out` or `like`, and there are at most STACK_ARGS of them; else
    _NOT_DIRECT (before any call)."""
    cdef Py_ssize_t nkw = 0 if kwnames == NULL else PyTuple_GET_SIZE(<tuple>kwnames)
    cdef Py_ssize_t i, m = n + nkw, done = 0, nbytes = 0
    cdef PyObject *stack[STACK_ARGS]
    cdef object x, v, r
    if m > STACK_ARGS:
        return _NOT_DIRECT
    for i in range(nkw):
        x = <object>PyTuple_GET_ITEM(<tuple>kwnames, i)
        if x == _OUT or x == _LIKE:
            return _NOT_DIRECT
    try:
        for i in range(m):
            x = <object>args[i]
            if type(x) is ndarray and (<ndarray>x)._host:
                nbytes += (<ndarray>x)._size * (<ndarray>x)._itemsize
                v = (<ndarray>x)._np()
            elif _as_is(x):
                v = x
            else:
                return _NOT_DIRECT
            Py_INCREF(v)
            stack[i] = <PyObject *>v
            done += 1
        r = _vcall_sized(f, stack, n, kwnames, nbytes)
    finally:
        _release(stack, done)
    return wrap_result(r)


cdef PyObject *_function_vectorcall(PyObject *callable, PyObject **args, size_t nargsf,
                                    PyObject *kwnames) except NULL:
    """The vectorcall entry of numpy_function: NumPy's implementation called by vectorcall
    on the arguments as they came (views for the dc arrays; no argument tuple or keyword
    dict is built) when none could override the function; anything else is
    call_numpy_function, as the class's __call__."""
    cdef numpy_function self = <numpy_function>callable
    cdef Py_ssize_t n = PyVectorcall_NARGS(nargsf), i
    cdef object r = _NOT_DIRECT
    cdef tuple names
    if self._impl is not None:
        r = _call_direct(self._impl, args, n, kwnames)
    if r is _NOT_DIRECT:
        names = () if kwnames == NULL else <tuple>kwnames
        r = call_numpy_function(self.__wrapped_numpy__, self._impl,
                                tuple([<object>args[i] for i in range(n)]),
                                {names[i]: <object>args[n + i] for i in range(len(names))})
    Py_INCREF(r)
    return <PyObject *>r


cdef class numpy_function:
    """A NumPy function returning dotcompute arrays (the namespace's wrapper of each NumPy
    function we do not implement): zero-copy views in, results wrapped (call_numpy), past
    NumPy's dispatch when no argument could override the function (call_numpy_function).
    Called through its vectorcall entry: the arguments go on to NumPy's implementation
    without an argument tuple or keyword dict. Name, docstring, module and __wrapped__ are
    the NumPy function's (functools.update_wrapper)."""
    cdef vectorcallfunc _vectorcall
    cdef readonly object __wrapped_numpy__
    cdef object _impl
    cdef dict __dict__

    def __cinit__(self, *args, **kwargs):
        self._vectorcall = <vectorcallfunc>_function_vectorcall

    def __init__(self, f):
        self.__wrapped_numpy__ = f
        self._impl = getattr(f, "_implementation", None)
        functools.update_wrapper(self, f)

    def __call__(self, *args, **kwargs):
        return call_numpy_function(self.__wrapped_numpy__, self._impl, args, kwargs)

    def __get__(self, obj, objtype):
        # a method when set on a class, as NumPy's functions (and Python's)
        return self if obj is None else types.MethodType(self, obj)

    def __repr__(self):
        return f"<dotcompute function {self.__wrapped_numpy__.__name__}>"

    def __reduce__(self):
        return numpy_function, (self.__wrapped_numpy__,)


cdef void _enable_function_vectorcall():
    """Point numpy_function's type at its instances' _vectorcall field (PEP 590)."""
    cdef numpy_function probe = numpy_function(np.roll)
    enable_vectorcall(numpy_function, probe, &probe._vectorcall)


_enable_function_vectorcall()
