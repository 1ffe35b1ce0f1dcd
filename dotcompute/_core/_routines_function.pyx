# cython: language_level=3
"""NumPy functions on dotcompute arrays: the `__array_function__` protocol.

`OVERRIDES` maps a NumPy function to the routine that implements it here (np.sum(x) runs
`sum` below, which runs x.sum(...)): the routines own the table, the namespace only
publishes the same functions. Any other NumPy function runs NumPy's code on zero-copy views
with its results from the pool, wrapped as dotcompute arrays.
"""
from dotcompute._core._ndarray cimport ndarray, args_to_numpy, wrap_result, to_numpy
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
    np.dot: dot, np.vdot: vdot, np.clip: clip, np.where: where,
}
cdef dict _OVERRIDES = OVERRIDES


cdef object array_function(object func, object types, tuple args, dict kwargs):
    impl = _OVERRIDES.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    for tp in types:
        if tp is not ndarray and not issubclass(tp, np.ndarray):
            return NotImplemented
    np_args, np_kwargs = args_to_numpy(args, kwargs)
    out = kwargs.get("out")
    with numpy_in_pool():
        r = func(*np_args, **np_kwargs)
    if out is not None and r is np_kwargs.get("out"):
        return out
    return wrap_result(r)
