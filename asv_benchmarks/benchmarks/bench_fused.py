"""Fused expressions: one pass over the inputs instead of one pass (and one temporary) per
operator.

Backends: "dc.evaluate" (dotcompute's expression compiler: skipped while
`dotcompute.evaluate` does not exist), "dotcompute" and "numpy" (the unfused operator
expression, one temporary per step), "numexpr" and "numba" (`njit(parallel=True)` of the
expression, which numba fuses; both where installed). dc.evaluate is called as
numexpr is: `evaluate(expression, local_dict={...})`.
"""
import re

import numpy as np

import dotcompute as dc

from .common import Benchmark, numba_function, random_array, require, to_backend

EXPRESSIONS = ["2*a + 3*b*b - c", "a*b + c", "sqrt(a*a + b*b)", "exp(-a) * sin(b)"]
BACKENDS = ["dc.evaluate", "dotcompute", "numpy", "numexpr", "numba"]
_FUNCS = ("sqrt", "exp", "sin")


def make_expression(expression, backend, n):
    """A no-argument function evaluating `expression` over deterministic a, b, c of size n."""
    data = [random_array(n, "float64", seed=10 + i) for i in range(3)]
    if backend == "dc.evaluate":
        if not hasattr(dc, "evaluate"):
            raise NotImplementedError("dotcompute.evaluate does not exist in this version")
        env = dict(zip("abc", to_backend("dotcompute", *data)))
        return lambda: dc.evaluate(expression, local_dict=env)
    if backend == "numba":
        fn = numba_function("".join(f"np.{t}" if t in _FUNCS else t
                                    for t in re.split(r"(\w+)", expression)), "a, b, c")
        return lambda: fn(*data)
    if backend == "numexpr":
        ne = require("numexpr")
        env = dict(zip("abc", data))
        return lambda: ne.evaluate(expression, local_dict=env)
    xp = dc if backend == "dotcompute" else np
    env = dict(zip("abc", to_backend(backend, *data)))
    env.update({name: getattr(xp, name) for name in _FUNCS})
    code = compile(expression, "<expression>", "eval")
    return lambda: eval(code, env)


class Fused(Benchmark):
    """Time of the whole expression, fresh result."""

    params = [EXPRESSIONS, [10 ** 3, 10 ** 5, 10 ** 6, 10 ** 7], BACKENDS]
    param_names = ["expression", "n", "backend"]

    def setup(self, expression, n, backend):
        self.f = make_expression(expression, backend, n)
        self.f()

    def time_expression(self, expression, n, backend):
        self.f()


class FusedMemory(Benchmark):
    """Peak RSS of the process while evaluating the expression at n = 1e7 (80 MB per
    array; the three inputs, 240 MB, are included)."""

    params = [["2*a + 3*b*b - c", "exp(-a) * sin(b)"], BACKENDS]
    param_names = ["expression", "backend"]
    n = 10 ** 7

    def setup(self, expression, backend):
        self.f = make_expression(expression, backend, self.n)

    def peakmem_expression(self, expression, backend):
        self.f()


class FusedTemporaries(Benchmark):
    """dotcompute's pool peak of allocated bytes beyond the inputs while evaluating the
    expression, in units of one array: 1 means the result alone, no temporaries."""

    params = [["2*a + 3*b*b - c", "exp(-a) * sin(b)"], ["dc.evaluate", "dotcompute"]]
    param_names = ["expression", "backend"]
    n = 10 ** 6

    def setup(self, expression, backend):
        self.f = make_expression(expression, backend, self.n)

    def track_pool_arrays_at_peak(self, expression, backend):
        before = dc.memory_stats()["allocated_bytes.all.current"]
        dc.reset_peak_memory_stats()
        self.f()
        peak = dc.memory_stats()["allocated_bytes.all.peak"]
        return (peak - before) / (8 * self.n)

    track_pool_arrays_at_peak.unit = "arrays"


class Overhead(Benchmark):
    """Per-call cost of a cached fused expression and a cached ElementwiseKernel on 1,000
    elements."""

    def setup(self):
        self.a = np.ones(1000)
        self.k = dc.ElementwiseKernel("T x", "T z", "z = 2 * x + 1", "affine")
        dc.evaluate("2 * a + 1", local_dict={"a": self.a})

    def time_evaluate(self):
        dc.evaluate("2 * a + 1", local_dict={"a": self.a})

    def time_elementwise_kernel(self):
        self.k(self.a)
