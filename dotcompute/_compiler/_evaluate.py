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
from ._lower import Builder, lower, kernel_dtype, weak

# Compiled programs of this process's kernel build (the ISA is chosen once at import, so
# one dict per process is one dict per ISA build): (expression, casting, out dtype,
# variable types...) -> (program, post-processing or None). Bounded: cleared when full (Python scalar variables
# are part of the key, so a loop over many scalar values must not grow it forever).
MAX_CACHE = 4096
_programs = {}
_trees = {}            # expression -> (tree, names)
_stats = {"hits": 0, "misses": 0}
_ISA = _fused.ISA
_ndarray_t = np.ndarray
_getframe = sys._getframe


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
    names = got[1]
    if local_dict is None or global_dict is None:
        frame = _getframe(1)
        if local_dict is None:
            local_dict = frame.f_locals if names else {}
        if global_dict is None:
            global_dict = frame.f_globals
        del frame
    # The cache key: expression, casting, out dtype, then per variable its dtype or, for
    # a Python scalar, its type and value (weak scalars are folded into the program).
    key = [ex, casting, None if out is None else out.dtype]
    args = []
    scalars = False
    for name in names:
        if name in local_dict:
            v = local_dict[name]
        elif name in global_dict:
            v = global_dict[name]
        else:
            raise KeyError(f"variable {name!r} is not defined")
        t = type(v)
        if t is _ndarray_t or t is _dcarray:
            key.append(v.dtype)
            args.append(v)
        elif t is float or t is int or t is bool:
            key.append(t)
            key.append(v)
            args.append(None)
            scalars = True
        else:
            if t is complex:
                raise NotImplementedError("complex numbers are not supported")
            v = v if isinstance(v, (_ndarray_t, _dcarray)) else np.asarray(v)
            key.append(v.dtype)
            args.append(v)
    key = tuple(key)
    entry = _programs.get(key)
    if entry is None:
        entry = _compile(got[0], names, key[3:], key[2], casting, ex)
        if len(_programs) >= MAX_CACHE:
            _programs.clear()
        _programs[key] = entry
        _stats["misses"] += 1
    else:
        _stats["hits"] += 1
    prog, post = entry
    if scalars:
        args = [a for a in args if a is not None]
    if post is not None:
        return post(prog, args, out)
    if out is None:
        return prog.run(args)[0]
    if type(out) is not _dcarray and not isinstance(out, _ndarray_t):
        raise TypeError("out must be an array")
    prog.run(args, [out])
    return out


def _compile(tree, names, keys, out_dt, casting, ex):
    """Type and lower one expression for variables of the given type keys."""
    b = Builder()
    env = {}
    keys = list(keys)
    for name in names:
        k = keys.pop(0)
        if type(k) is type:
            env[name] = weak(keys.pop(0))
        else:
            if kernel_dtype(k) is None:
                raise NotImplementedError(
                    f"variable {name!r} has dtype {k}, which the fused kernels do not "
                    "support (bool, int8-64, uint8-64, float32, float64)")
            env[name] = b.input(k)
    if tree[0] == "reduce":
        _, kind, body, axis = tree
        v, b = lower(body, env, b)
        if axis is None:
            if out_dt is not None:
                raise NotImplementedError("out= with a full reduction")
            prog, _ = b.program(reduce=(kind, v), source=ex)
            return prog, _full_reduce
        # Reduction along an axis: fuse the element-wise part, reduce with dotcompute.
        prog, _ = b.program(outputs=[(v, _val_dtype(v))], source=ex)
        return prog, _axis_reducer(kind, axis)
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
    return prog, None


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
