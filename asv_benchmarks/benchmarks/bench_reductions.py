"""Reductions: whole-array (op x dtype x n x backend), vdot, and along one axis of a 2-D
array."""
from .common import Benchmark, PEER_BACKENDS, SIZES, call_on, module_of, numba_function, \
    random_array, to_backend

DTYPES = ["float64", "float32", "int64"]
# name -> (torch function name, numexpr expression or None)
REDUCTIONS = {
    "sum": ("sum", "sum(a)"),
    "max": ("max", "max(a)"),
    "argmax": ("argmax", None),
}


class Reduce(Benchmark):
    """`op(a)` over a 1-D array (numexpr's reductions are single-threaded; it has no argmax)."""

    params = [list(REDUCTIONS), DTYPES, SIZES, PEER_BACKENDS]
    param_names = ["op", "dtype", "n", "backend"]

    def setup(self, op, dtype, n, backend):
        (a,) = to_backend(backend, random_array(n, dtype, seed=3))
        self.f = call_on(backend, a, op, *REDUCTIONS[op])
        self.f()

    def time_reduce(self, op, dtype, n, backend):
        self.f()


class Vdot(Benchmark):
    """`vdot(a, b)` of two 1-D float arrays (torch: `dot`; numexpr: `sum(a * b)`, one thread
    in its reduction; numba: `np.sum(a * b)` fused by its parallel array expressions)."""

    params = [["float64", "float32"], SIZES, PEER_BACKENDS]
    param_names = ["dtype", "n", "backend"]

    def setup(self, dtype, n, backend):
        a, b = to_backend(backend, random_array(n, dtype, seed=3), random_array(n, dtype, seed=4))
        if backend == "numba":
            fn = numba_function("np.sum(a * b)", "a, b")
            self.f = lambda: fn(a, b)  # noqa: E731
        elif backend == "numexpr":
            ne = module_of("numexpr")
            env = {"a": a, "b": b}
            self.f = lambda: ne.evaluate("sum(a * b)", local_dict=env)  # noqa: E731
        elif backend == "torch":
            dot = module_of("torch").dot
            self.f = lambda: dot(a, b)  # noqa: E731
        else:
            vdot = module_of(backend).vdot
            self.f = lambda: vdot(a, b)  # noqa: E731
        self.f()

    def time_vdot(self, dtype, n, backend):
        self.f()


class ReduceAxis(Benchmark):
    """`a.sum(axis=k)` of a C-ordered float64 2-D array (axis 0: across rows, strided;
    axis 1: along rows, contiguous)."""

    params = [[(1000, 1000), (100, 100_000), (100_000, 100)], [0, 1],
              ["dotcompute", "numpy", "torch"]]
    param_names = ["shape", "axis", "backend"]

    def setup(self, shape, axis, backend):
        rows, cols = shape
        (a,) = to_backend(backend, random_array(rows * cols, "float64", seed=4).reshape(shape))
        if backend == "torch":
            self.f = lambda: a.sum(dim=axis)  # noqa: E731
        else:
            self.f = lambda: a.sum(axis=axis)  # noqa: E731
        self.f()

    def time_sum_axis(self, shape, axis, backend):
        self.f()
