"""Transcendental functions (dc_vmath.h kernels): function x float dtype x n x backend."""
from .common import Benchmark, BACKENDS, PEER_BACKENDS, call_on, module_of, random_array, to_backend

# name -> (torch function name, numexpr expression, input range)
FUNCTIONS = {
    "exp": ("exp", "exp(a)", (-20.0, 20.0)),
    "log": ("log", "log(a)", (1e-3, 1e3)),
    "sin": ("sin", "sin(a)", (-100.0, 100.0)),
    "cos": ("cos", "cos(a)", (-100.0, 100.0)),
    "tanh": ("tanh", "tanh(a)", (-5.0, 5.0)),
    "arctan": ("atan", "arctan(a)", (-10.0, 10.0)),
}


class Transcendental(Benchmark):
    """`f(a)` with a fresh result; inputs spread over each function's usual range."""

    params = [list(FUNCTIONS), ["float64", "float32"], [10 ** 3, 10 ** 5, 10 ** 6],
              PEER_BACKENDS]
    param_names = ["function", "dtype", "n", "backend"]

    def setup(self, function, dtype, n, backend):
        torch_name, expr, (low, high) = FUNCTIONS[function]
        (a,) = to_backend(backend, random_array(n, dtype, low, high, seed=5))
        self.f = call_on(backend, a, function, torch_name, expr)
        self.f()

    def time_function(self, function, dtype, n, backend):
        self.f()


class Power(Benchmark):
    """`a ** b` of two float arrays (power is an expensive kernel, not a dc_vmath one)."""

    params = [["float64", "float32"], [10 ** 3, 10 ** 6], BACKENDS]
    param_names = ["dtype", "n", "backend"]

    def setup(self, dtype, n, backend):
        a, b = to_backend(backend, random_array(n, dtype, 0.5, 2.0, seed=6),
                          random_array(n, dtype, -3.0, 3.0, seed=7))
        if backend == "numexpr":
            ne = module_of("numexpr")
            env = {"a": a, "b": b}
            self.f = lambda: ne.evaluate("a ** b", local_dict=env)  # noqa: E731
        else:
            self.f = lambda: a ** b  # noqa: E731
        self.f()

    def time_power(self, dtype, n, backend):
        self.f()
