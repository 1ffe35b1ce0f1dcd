"""Shared pieces of the benchmarks: deterministic data, the backends compared, a base class.

Backends:
- "dotcompute": `dc` functions and operators on `dc.ndarray` operands (copied into the pool
  in setup);
- "numpy": the same calls on NumPy arrays;
- "numexpr", "torch": peers, measured only where installed; otherwise setup raises
  NotImplementedError and asv reports the case as skipped (n/a);
- "numba" (element-wise, fused, reduction and transcendental areas, `PEER_BACKENDS`): the
  same expression as a `numba.njit(parallel=True)` function of NumPy arrays (compiled in
  setup), skipped where numba is not installed.

Every backend runs with its own default thread count (dotcompute, numba, numexpr and torch
use the available cores, NumPy one thread). Data come from fixed seeds, so every run, commit and
backend sees the same values.
"""
import importlib
import importlib.util

import numpy as np

import dotcompute as dc

SEED = 20240607
BACKENDS = ["dotcompute", "numpy", "numexpr", "torch"]
PEER_BACKENDS = BACKENDS + ["numba"]
SIZES = [10 ** 3, 10 ** 5, 10 ** 6, 10 ** 7]


def require(backend):
    """The module of `backend`, imported on first use (torch takes seconds to import, and
    asv imports the suite once per measured case); NotImplementedError (asv: skip) when it
    is not installed here."""
    if backend == "dotcompute":
        return dc
    if backend == "numpy":
        return np
    if backend not in PEER_BACKENDS:
        raise ValueError(f"unknown backend {backend!r}")
    if importlib.util.find_spec(backend) is None:
        raise NotImplementedError(f"{backend} is not installed")
    return importlib.import_module(backend)


def random_array(n, dtype="float64", low=0.5, high=2.0, seed=0):
    """n deterministic values of `dtype` in [low, high) (integers: [1, 100); bool: half True).

    Floats avoid zero by default so divisions and logarithms stay on the fast path."""
    rng = np.random.default_rng(SEED + seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(n) < 0.5
    if dtype.kind in "iu":
        return rng.integers(1, 100, n, dtype=dtype)
    return rng.uniform(low, high, n).astype(dtype)


def to_backend(backend, *arrays):
    """The NumPy `arrays` as operands of `backend` (dotcompute and torch arrays own or share
    the same values; numexpr and numpy take NumPy arrays)."""
    xp = require(backend)
    if backend == "dotcompute":
        return [dc.array(x) for x in arrays]       # pool memory, as dc creation makes it
    if backend == "torch":
        return [xp.from_numpy(np.ascontiguousarray(x)) for x in arrays]
    return list(arrays)


module_of = require

_NUMBA_FUNCTIONS = {}


def numba_function(expression, args="a"):
    """`def f(args): return expression` (NumPy names as `np.`) compiled by
    `numba.njit(parallel=True)`, one per expression; NotImplementedError (asv: skip) where
    numba is not installed. Compiles on its first call: call it once in setup."""
    key = (expression, args)
    if key not in _NUMBA_FUNCTIONS:
        numba = require("numba")
        scope = {"np": np}
        exec(f"def f({args}):\n    return {expression}\n", scope)
        _NUMBA_FUNCTIONS[key] = numba.njit(parallel=True)(scope["f"])
    return _NUMBA_FUNCTIONS[key]


def empty_like(backend, x):
    """An uninitialised output of x's shape and dtype for `backend` (for out= benchmarks)."""
    if backend == "dotcompute":
        return dc.empty(x.shape, dtype=x.dtype)
    if backend == "torch":
        return require("torch").empty_like(x)
    return np.empty_like(x)


class Benchmark:
    """Base of the benchmark classes: generous timeout (1e7-element cases with four
    backends), results reported per parameter combination."""

    timeout = 300


def call_on(backend, a, name, torch_name, numexpr_expr):
    """A no-argument function applying the backend's `name` to a: numexpr evaluates
    `numexpr_expr` (NotImplementedError when None), torch calls `torch_name`, numba
    compiles `np.name(a)`."""
    if backend == "numba":
        fn = numba_function(f"np.{name}(a)")
        return lambda: fn(a)
    if backend == "numexpr":
        if numexpr_expr is None:
            raise NotImplementedError(f"numexpr has no {name}")
        ne = module_of("numexpr")
        env = {"a": a}
        return lambda: ne.evaluate(numexpr_expr, local_dict=env)
    if backend == "torch":
        fn = getattr(module_of("torch"), torch_name)
    else:
        fn = getattr(module_of(backend), name)
    return lambda: fn(a)
