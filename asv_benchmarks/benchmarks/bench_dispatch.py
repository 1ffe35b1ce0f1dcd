"""Per-call overhead at small n, where the kernel's work is negligible: argument checks,
dtype resolution, table lookup, result allocation. To beat NumPy at n = 1e3 a call must
cost under ~0.8 us (PERF.md)."""
import numpy as np

from .common import Benchmark, BACKENDS, module_of, random_array, to_backend, \
    empty_like

CALLS = ["a + b", "add(a, b, out=c)", "a * 2.5", "a < b", "exp(a)", "a.sum()", "a[::2] + 1.0"]


class SmallCall(Benchmark):
    """One call of each kind at n = 1, 16, 256 and 1000 float64 elements."""

    params = [CALLS, [1, 16, 256, 1000], BACKENDS]
    param_names = ["call", "n", "backend"]

    def setup(self, call, n, backend):
        a, b = to_backend(backend, random_array(n, seed=20), random_array(n, seed=21))
        c = empty_like(backend, a)
        if backend == "numexpr":
            ne = module_of("numexpr")
            expr = {"a + b": "a + b", "add(a, b, out=c)": "a + b", "a * 2.5": "a * 2.5",
                    "a < b": "a < b", "exp(a)": "exp(a)", "a.sum()": "sum(a)"}.get(call)
            if expr is None:
                raise NotImplementedError(f"numexpr has no equivalent of {call}")
            env = {"a": a, "b": b}
            out = c if call.startswith("add") else None
            self.f = lambda: ne.evaluate(expr, local_dict=env, out=out)  # noqa: E731
        else:
            xp = module_of(backend)
            self.f = {
                "a + b": lambda: a + b,
                "add(a, b, out=c)": lambda: xp.add(a, b, out=c),
                "a * 2.5": lambda: a * 2.5,
                "a < b": lambda: a < b,
                "exp(a)": lambda: xp.exp(a),
                "a.sum()": lambda: a.sum(),
                "a[::2] + 1.0": lambda: a[::2] + 1.0,
            }[call]
        self.f()

    def time_call(self, call, n, backend):
        self.f()


class Creation(Benchmark):
    """Array creation at small n: empty, zeros, and conversion of a NumPy array."""

    params = [["empty", "zeros", "asarray"], [1, 1000], ["dotcompute", "numpy"]]
    param_names = ["function", "n", "backend"]

    def setup(self, function, n, backend):
        xp = module_of(backend)
        x = np.ones(n)
        self.f = {"empty": lambda: xp.empty(n), "zeros": lambda: xp.zeros(n),
                  "asarray": lambda: xp.asarray(x)}[function]
        self.f()

    def time_create(self, function, n, backend):
        self.f()
