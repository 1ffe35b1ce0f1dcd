"""`evaluate(expression)`: numexpr's entry point on the fused interpreter.

The first call of an expression parses it (cached by text); every call then looks its
variables up (in `local_dict`/`global_dict`, else the caller's frame, as numexpr does),
describes their types, and finds the compiled program in a dict keyed by (expression,
types, out dtype, casting, ISA build). Only a miss types and lowers the tree.
"""
import sys

import numpy as np

from .._core import _fused
from .._core._ndarray import ndarray as _dcarray
from . import _parser
from ._lower import Builder, lower, kernel_dtype, weak, strong_const

# Compiled programs: (expression, types, out dtype, casting, ISA) -> (program, argument
# numbers, post-processing or None). Bounded: cleared when full (Python scalar variables
# are part of the key, so a loop over many scalar values must not grow it forever).
MAX_CACHE = 4096
_programs = {}
_trees = {}            # expression -> (tree, names)
_stats = {"hits": 0, "misses": 0}
_ISA = _fused.ISA
_ARRAY_TYPES = (_dcarray, np.ndarray)


class CacheInfo(tuple):
    """(hits, misses, size) of the compiled-program cache."""
    __slots__ = ()

    def __new__(cls, hits, misses, size):
        return tuple.__new__(cls, (hits, misses, size))

    hits = property(lambda self: self[0])
    misses = property(lambda self: self[1])
    size = property(lambda self: self[2])

    def __repr__(self):
        return f"CacheInfo(hits={self[0]}, misses={self[1]}, size={self[2]})"


def cache_info():
    """Hits, misses and size of the compiled-program cache (evaluate and
    ElementwiseKernel share it)."""
    return CacheInfo(_stats["hits"], _stats["misses"], len(_programs))


def clear_cache():
    """Forget every compiled program and parsed expression; reset the counters."""
    _programs.clear()
    _trees.clear()
    _stats["hits"] = 0
    _stats["misses"] = 0


def _parse(ex):
    got = _trees.get(ex)
    if got is None:
        tree = _parser.parse(ex)
        got = (tree, tuple(_parser.names(tree)))
        if len(_trees) >= MAX_CACHE:
            _trees.clear()
        _trees[ex] = got
    return got


def _type_key(v):
    """What of a variable the compiled program depends on."""
    t = type(v)
    if t is _dcarray or t is np.ndarray:
        return v.dtype
    if t is int or t is float or t is bool:
        return (t, v)               # weak Python scalar: folded into the program
    if isinstance(v, np.generic):
        return v.dtype
    if isinstance(v, np.ndarray):
        return v.dtype
    if t is complex:
        raise NotImplementedError("complex numbers are not supported")
    return None                     # converted with np.asarray first


def _as_operand(v):
    t = type(v)
    if t is _dcarray or t is np.ndarray:
        return v
    if isinstance(v, np.ndarray):
        return np.asarray(v)
    return np.asarray(v)


def evaluate(ex, local_dict=None, global_dict=None, out=None, order="K",
             casting="same_kind", **kwargs):
    """Evaluate an element-wise expression in one fused, blocked, parallel pass.

    Compatible with numexpr.evaluate: arithmetic (+ - * / // % **), comparisons, bit and
    logical operators (& | ^ ~ << >>), where(c, x, y), the math functions (sin, exp, log,
    sqrt, abs, arctan2, ...), and sum/prod/min/max(expr[, axis]) as the outermost
    operation. Variables come from local_dict / global_dict, else the caller's frame.
    Types follow NumPy (NEP 50). Returns a dotcompute array.
    """
    if kwargs:
        bad = set(kwargs) - {"_frame_depth", "sanitize", "optimization", "truediv"}
        if bad:
            raise TypeError(f"evaluate() got unexpected keyword arguments {sorted(bad)}")
    got = _trees.get(ex)
    if got is None:
        got = _parse(ex)
    tree, names = got
    if names and (local_dict is None or global_dict is None):
        frame = sys._getframe(1)
        if local_dict is None:
            local_dict = frame.f_locals
        if global_dict is None:
            global_dict = frame.f_globals
        del frame
    values = []
    keys = []
    for name in names:
        try:
            v = local_dict[name]
        except KeyError:
            try:
                v = global_dict[name]
            except KeyError:
                raise KeyError(f"variable {name!r} is not defined") from None
        k = _type_key(v)
        if k is None:
            v = np.asarray(v)
            k = v.dtype
        values.append(v)
        keys.append(k)
    out_dt = None if out is None else out.dtype
    key = (ex, tuple(keys), out_dt, casting, _ISA)
    entry = _programs.get(key)
    if entry is None:
        entry = _compile(tree, names, keys, out_dt, casting, ex)
        if len(_programs) >= MAX_CACHE:
            _programs.clear()
        _programs[key] = entry
        _stats["misses"] += 1
    else:
        _stats["hits"] += 1
    prog, arg_index, post = entry
    args = [_as_operand(values[i]) for i in arg_index]
    if post is not None:
        return post(prog, args, out)
    if out is None:
        return prog.run(args)[0]
    if type(out) is not _dcarray and not isinstance(out, np.ndarray):
        raise TypeError("out must be an array")
    prog.run(args, [out])
    return out


def _compile(tree, names, keys, out_dt, casting, ex):
    """Type and lower one expression for variables of the given type keys."""
    b = Builder()
    env = {}
    arg_index = []
    for i, (name, k) in enumerate(zip(names, keys)):
        if type(k) is tuple:
            env[name] = weak(k[1])
        else:
            if kernel_dtype(k) is None:
                raise NotImplementedError(
                    f"variable {name!r} has dtype {k}, which the fused kernels do not "
                    "support (bool, int8-64, uint8-64, float32, float64)")
            env[name] = b.input(k)
            arg_index.append(i)
    if tree[0] == "reduce":
        _, kind, body, axis = tree
        v, b = lower(body, env, b)
        if axis is None:
            if out_dt is not None:
                raise NotImplementedError("out= with a full reduction")
            prog, _ = b.program(reduce=(kind, v), source=ex)
            return prog, arg_index, _full_reduce
        # Reduction along an axis: fuse the element-wise part, reduce with dotcompute.
        prog, _ = b.program(outputs=[(v, _val_dtype(v))], source=ex)
        return prog, arg_index, _axis_reducer(kind, axis)
    v, b = lower(tree, env, b)
    dt = _val_dtype(v)
    if out_dt is not None:
        if not np.can_cast(dt, out_dt, casting):
            raise TypeError(f"Cannot cast the result of {ex!r} from {dt} to {out_dt} with "
                            f"casting rule {casting!r}")
        target = out_dt
    else:
        target = dt
    prog, _ = b.program(outputs=[(v, target)], source=ex)
    return prog, arg_index, None


def _val_dtype(v):
    if v.kind == "weak":
        return np.asarray(v.value).dtype
    return v.dtype


def _full_reduce(prog, args, out):
    if out is not None:
        raise NotImplementedError("out= with a full reduction")
    return prog.run(args)


def _axis_reducer(kind, axis):
    import dotcompute as dc
    f = getattr(dc, kind)

    def post(prog, args, out):
        full = prog.run(args)[0]
        return f(full, axis=axis, out=out)
    return post
