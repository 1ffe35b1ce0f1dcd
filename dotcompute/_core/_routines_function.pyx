# cython: language_level=3
"""NumPy functions on dotcompute arrays: the `__array_function__` protocol.

`OVERRIDES` maps a NumPy function to the routine that implements it here (np.sum(x) runs
`sum` below, which runs x.sum(...)): the routines own the table, the namespace only
publishes the same functions. Any other NumPy function runs NumPy's code on zero-copy views
with its results from the pool, wrapped as dotcompute arrays.
"""
from dotcompute._core._ndarray cimport (ndarray, wrap_result, to_numpy, to_numpy_nested,
                                        SMALL_BYTES, device_function)
from dotcompute._core._routines_creation cimport as_array
from dotcompute._core cimport _routines_elementwise as _ew

import builtins

import numpy as np

from dotcompute._core._memory import use_for_numpy as numpy_in_pool


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
    return as_array(a).dot(as_array(b) if builtins.isinstance(b, (list, tuple)) else b,
                           out=out)


def vdot(a, b, /):
    a, b = as_array(a), as_array(b)
    if a.ndim == 1 and b.ndim == 1 and a.dtype.kind == "f" and a.dtype == b.dtype:
        return a.dot(b)
    with numpy_in_pool():
        return wrap_result(np.vdot(to_numpy(a), to_numpy(b)))


def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kwargs):
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    return as_array(a).clip(lo, hi, out=out, **kwargs)


def where(condition, x=None, y=None, /):
    """numpy.where; our kernel for a bool condition and two arrays of one accelerated
    dtype, all of the same shape and C-contiguous (else NumPy's)."""
    return _ew.where(condition, x, y)


amin, amax = min, max

# numpy function -> our implementation (same signature), for ndarray.__array_function__.
OVERRIDES = {
    np.sum: sum, np.prod: prod, np.min: min, np.max: max, np.amin: amin, np.amax: amax,
    np.any: any, np.all: all, np.argmin: argmin, np.argmax: argmax, np.mean: mean,
    np.cumsum: cumsum, np.cumprod: cumprod,
    np.dot: dot, np.vdot: vdot, np.clip: clip, np.where: where,
}
cdef dict _OVERRIDES = OVERRIDES


cdef dict _IMPLEMENTATION = {}     # numpy function -> its implementation (no dispatch)
cdef set _NUMPY_TYPES = {ndarray, np.ndarray}


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
    dispatch: the dispatch decisions are cached per function and per type)."""
    cdef object tp
    impl = _OVERRIDES.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    for tp in types:
        if tp not in _NUMPY_TYPES:
            if tp is not ndarray and not issubclass(tp, np.ndarray):
                return NotImplemented
            _NUMPY_TYPES.add(tp)
    run = _IMPLEMENTATION.get(func)
    if run is None:
        # the function past its own __array_function__ dispatch (the arguments are numpy
        # arrays now); functions without one (C functions) are called as they are
        run = getattr(func, "_implementation", func)
        _IMPLEMENTATION[func] = run
    return call_numpy(run, args, kwargs)


cpdef object call_numpy(object f, tuple args, dict kwargs):
    """f(*args, **kwargs) with the dc arrays among them (also inside lists and tuples) as
    zero-copy numpy views, array results wrapped as dc arrays (`out=` returned as given);
    with a dc array on another device among them, that device's backend runs f (or
    raises TypeError naming it): never a hidden copy to the host.
    Small inputs keep NumPy's allocator: the pool's handler swap costs more than such a
    call; larger ones allocate from the pool."""
    cdef Py_ssize_t nbytes = 0
    cdef object x
    cdef list np_args = []
    cdef object d
    for x in args:
        if type(x) is ndarray:
            if not (<ndarray>x)._host:         # arrays on a GPU: that device's routines
                return device_function(<ndarray>x, f, args, kwargs)
            nbytes += (<ndarray>x)._size * (<ndarray>x)._itemsize
            np_args.append((<ndarray>x)._np())
        elif type(x) is list or type(x) is tuple:
            d = _nested_device(x)
            if d is not None:
                return device_function(<ndarray>d, f, args, kwargs)
            nbytes += _nested_bytes(x)
            np_args.append(to_numpy_nested(x))
        else:
            np_args.append(x)
    out = None
    if kwargs:
        for v in kwargs.values():
            d = _nested_device(v)
            if d is not None:
                return device_function(<ndarray>d, f, args, kwargs)
        np_kwargs = {}
        for k, v in kwargs.items():
            nbytes += _nested_bytes(v)
            np_kwargs[k] = to_numpy_nested(v)
        out = kwargs.get("out")
    else:
        np_kwargs = kwargs
    if nbytes < SMALL_BYTES:
        r = f(*np_args, **np_kwargs)
    else:
        with numpy_in_pool():
            r = f(*np_args, **np_kwargs)
    if out is not None and r is np_kwargs.get("out"):
        return out
    return wrap_result(r)
