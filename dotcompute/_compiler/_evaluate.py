"""`evaluate(expression)`: numexpr's entry point on the fused interpreter.

The first call of an expression parses it (cached by text); every call then looks its
variables up (in `local_dict`/`global_dict`, else the caller's frame, as numexpr does),
describes their types, and finds the compiled program in a dict keyed by (expression,
types, out dtype, casting, ISA build). Only a miss types and lowers the tree.
"""
import numpy as np

from .._core import _fused
from .._core._ndarray import ndarray as _dcarray
from . import _parser
from ._lower import Builder, lower, kernel_dtype, weak

# Compiled programs of this process's kernel build (the ISA is chosen once at import, so
# one dict per process is one dict per ISA build): (expression, casting, out dtype,
# variable types...) -> (program, post-processing or None). Bounded: cleared when full
# (Python scalar variables are part of the key, so a loop over many scalar values must
# not grow it forever).
MAX_CACHE = 4096
_programs = {}
_trees = {}            # expression -> (tree, names)
_ISA = _fused.ISA


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


def _parse(ex):
    got = _trees.get(ex)
    if got is None:
        tree = _parser.parse(ex)
        got = (tree, tuple(_parser.names(tree)))
        if len(_trees) >= MAX_CACHE:
            _trees.clear()
        _trees[ex] = got
    return got


def _compile_entry(tree, names, key, casting, ex):
    """A cache miss of `evaluate`: compile and remember."""
    entry = _compile(tree, names, key[3:], key[2], casting, ex)
    if len(_programs) >= MAX_CACHE:
        _programs.clear()
    _programs[key] = entry
    return entry


class Evaluate(_fused.Evaluator):
    """evaluate(ex, local_dict=None, global_dict=None, out=None, order="K",
    casting="same_kind")

    Evaluate an element-wise expression in one fused, blocked, parallel pass.

    Compatible with numexpr.evaluate: arithmetic (+ - * / // % **), comparisons, bit and
    logical operators (& | ^ ~ << >>), where(c, x, y), the math functions (sin, exp, log,
    sqrt, abs, arctan2, ...), and sum/prod/min/max(expr[, axis]) as the outermost
    operation. Variables come from local_dict / global_dict, else the caller's frame.
    Types follow NumPy (NEP 50: Python scalars are weak). `out` receives the result under
    the `casting` rule. Returns a dotcompute array (0-d for a full reduction).

    The compiled program is cached per (expression, variable dtypes, out dtype, casting)
    of this process's kernel build; `evaluate.cache_info()` counts hits and misses.
    """

    def cache_info(self):
        """Hits, misses and size of the compiled-program cache (evaluate and
        ElementwiseKernel share it)."""
        return CacheInfo(self.hits, self.misses, len(_programs))

    def cache_clear(self):
        """Forget every compiled program and parsed expression; reset the counters."""
        _programs.clear()
        _trees.clear()
        self.hits = 0
        self.misses = 0

    def __repr__(self):
        return "<dotcompute.evaluate>"


evaluate = Evaluate(_parse, _compile_entry, _trees, _programs)


def cache_info():
    """Hits, misses and size of the compiled-program cache."""
    return evaluate.cache_info()


def clear_cache():
    """Forget every compiled program and parsed expression; reset the counters."""
    evaluate.cache_clear()


def _compile(tree, names, keys, out_dt, casting, ex):
    """Type and lower one expression for variables of the given type keys."""
    b = Builder()
    env = {}
    keys = list(keys)
    for name in names:
        k = keys.pop(0)
        if type(k) is type:
            value = keys.pop(0)
            env[name] = weak(value[0] if type(value) is tuple else value)   # signed zero
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
    from .._core import _routines_function
    f = getattr(_routines_function, kind)

    def post(prog, args, out):
        full = prog.run(args)[0]
        return f(full, axis=axis, out=out)
    return post
