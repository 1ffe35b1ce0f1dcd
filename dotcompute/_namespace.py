"""The dotcompute namespace: NumPy's public names, returning dotcompute arrays.

- Creation functions we implement (empty/zeros/ones/full/asarray/array) allocate from the
  pool directly; every other NumPy function runs NumPy's code on zero-copy views, with its
  allocations served by the pool, and array results wrapped without a copy.
- Every NumPy ufunc appears as a `dotcompute.ufunc` of the same name: calls use our kernels
  when the operands allow it and NumPy's loops otherwise; its methods (reduce, accumulate,
  reduceat, outer, at) go through the same protocol.
- dtypes, constants and submodules are NumPy's own objects.
"""
import functools
import types

import numpy as np

from ._core import _ndarray
from ._core._ndarray import ndarray, asarray, array, empty, zeros, ones, full

_wrap = _ndarray.wrap_result
_to_numpy = _ndarray.to_numpy


ufunc = _ndarray.ufunc


def _operand(x):
    """Array-likes (lists, tuples) become arrays; arrays and scalars stay as they are."""
    if isinstance(x, (list, tuple)):
        return asarray(x)
    return x


def _wrap_function(f):
    """NumPy function f returning dotcompute arrays."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        np_args = tuple(_to_numpy(a) for a in args)
        np_kwargs = {k: _to_numpy(v) for k, v in kwargs.items()}
        with _ndarray._numpy_in_pool():
            r = f(*np_args, **np_kwargs)
        out = kwargs.get("out")
        if out is not None and r is np_kwargs.get("out"):
            return out
        return _wrap(r)
    wrapper.__wrapped_numpy__ = f
    return wrapper


# Functions whose NumPy versions would give numpy arrays from our inputs, or that we
# accelerate, implemented directly.
def _like(a, dtype, shape):
    a = asarray(a) if not isinstance(a, ndarray) else a
    return (a.dtype if dtype is None else dtype), (a.shape if shape is None else shape)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(prototype, dtype, shape)
    return empty(shape, dtype, "F" if order == "F" else "C")


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(a, dtype, shape)
    return zeros(shape, dtype, "F" if order == "F" else "C")


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(a, dtype, shape)
    return ones(shape, dtype, "F" if order == "F" else "C")


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, fill_value, dtype, "F" if order == "F" else "C")


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return asarray(a, dtype=dtype, order=order, copy=copy)


def ascontiguousarray(a, dtype=None, *, like=None):
    return asarray(a, dtype=dtype, order="C")


def from_dlpack(x, /, *, device=None, copy=None):
    """Array from a DLPack producer; CPU memory is shared (no copy) unless copy=True."""
    arr = np.from_dlpack(x, device=device, copy=copy)
    return asarray(arr, copy=False) if copy is not True else asarray(arr)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
        where=True):
    return _operand_array(a).sum(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                                 initial=initial, where=where)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
         where=True):
    return _operand_array(a).prod(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                                  initial=initial, where=where)


def min(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
    return _operand_array(a).min(axis=axis, out=out, keepdims=keepdims, initial=initial,
                                 where=where)


def max(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
    return _operand_array(a).max(axis=axis, out=out, keepdims=keepdims, initial=initial,
                                 where=where)


def any(a, axis=None, out=None, keepdims=False, *, where=True):
    return _operand_array(a).any(axis=axis, out=out, keepdims=keepdims, where=where)


def all(a, axis=None, out=None, keepdims=False, *, where=True):
    return _operand_array(a).all(axis=axis, out=out, keepdims=keepdims, where=where)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _operand_array(a).argmin(axis=axis, out=out, keepdims=keepdims)


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _operand_array(a).argmax(axis=axis, out=out, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    return _operand_array(a).mean(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                                  where=where)


def dot(a, b, out=None):
    return _operand_array(a).dot(_operand(b), out=out)


def vdot(a, b, /):
    a, b = _operand_array(a), _operand_array(b)
    if a.ndim == 1 and b.ndim == 1 and a.dtype.kind == "f" and a.dtype == b.dtype:
        return a.dot(b)
    with _ndarray._numpy_in_pool():
        return _wrap(np.vdot(_to_numpy(a), _to_numpy(b)))


def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kwargs):
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    return _operand_array(a).clip(lo, hi, out=out, **kwargs)


amin, amax = min, max
where = _ndarray.where


def _operand_array(a):
    return a if isinstance(a, ndarray) else asarray(a)


_OWN = {
    "ndarray": ndarray, "asarray": asarray, "array": array, "empty": empty,
    "zeros": zeros, "ones": ones, "full": full, "empty_like": empty_like,
    "zeros_like": zeros_like, "ones_like": ones_like, "full_like": full_like,
    "asanyarray": asanyarray, "ascontiguousarray": ascontiguousarray,
    "from_dlpack": from_dlpack, "sum": sum, "prod": prod, "min": min, "max": max,
    "amin": amin, "amax": amax, "any": any, "all": all, "argmin": argmin,
    "argmax": argmax, "mean": mean, "dot": dot, "vdot": vdot, "clip": clip,
    "where": where,
}

# np.func -> our implementation, used by ndarray.__array_function__ (np.sum(dc) etc.).
_NUMPY_OVERRIDES = {
    np.sum: sum, np.prod: prod, np.min: min, np.max: max, np.amin: amin, np.amax: amax,
    np.any: any, np.all: all, np.argmin: argmin, np.argmax: argmax, np.mean: mean,
    np.dot: dot, np.vdot: vdot, np.clip: clip, np.where: where,
}

# Names whose NumPy objects are returned unchanged (no array results to wrap).
_PASSTHROUGH_TYPES = (type, np.dtype, types.ModuleType, int, float, bool, dict, tuple,
                      type(None), str)


def _wrap_module(module, name):
    """A module of the same functions returning dotcompute arrays (np.random, np.linalg,
    np.fft); classes and constants are NumPy's."""
    wrapped = types.ModuleType(f"dotcompute.{name}", module.__doc__)
    for attr in dir(module):
        if attr.startswith("_"):
            continue
        obj = getattr(module, attr)
        if callable(obj) and not isinstance(obj, type):
            setattr(wrapped, attr, _wrap_function(obj))
        else:
            setattr(wrapped, attr, obj)
    return wrapped


_WRAPPED_MODULES = ("random", "linalg", "fft")


def build_namespace():
    """Dict of every public NumPy name mapped to its dotcompute counterpart."""
    ns = {}
    for name in dir(np):
        if name.startswith("_") or name in ("ndarray", "matrix", "test", "show_config",
                                            "show_runtime"):
            continue
        obj = getattr(np, name)
        if name in _OWN:
            ns[name] = _OWN[name]
        elif name in _WRAPPED_MODULES:
            ns[name] = _wrap_module(obj, name)
        elif isinstance(obj, np.ufunc):
            ns[name] = ufunc(obj)
        elif isinstance(obj, _PASSTHROUGH_TYPES) or not callable(obj):
            ns[name] = obj
        elif isinstance(obj, type):
            ns[name] = obj
        else:
            ns[name] = _wrap_function(obj)
    ns.update({k: v for k, v in _OWN.items()})
    _ndarray.IMPLEMENTATIONS.update(_NUMPY_OVERRIDES)
    return ns
