"""Element-wise operations: each op class x dtype x n x backend.

Op classes follow the kernel cost classes of `_opspec.py`: one-pass arithmetic (add,
multiply), a comparison (less: bool output), a division (true_divide), cheap unary ops,
an array-scalar operation, and a binary op into a preallocated output; axpy with a NumPy
scalar (`np.float64(2.5) * x + y`, as a reduction's result is). Transcendentals have their
own module.
"""
import numpy as np

from .common import Benchmark, PEER_BACKENDS, SIZES, module_of, numba_function, \
    random_array, to_backend, empty_like

DTYPES = ["float64", "float32", "int64"]

# name -> (torch function name, numexpr expression)
BINARY = {
    "add": ("add", "a + b"),
    "multiply": ("mul", "a * b"),
    "true_divide": ("true_divide", "a / b"),
    "less": ("lt", "a < b"),
}
UNARY = {
    "negative": ("neg", "-a"),
    "absolute": ("abs", "abs(a)"),
    "sqrt": ("sqrt", "sqrt(a)"),
}


def _checked(backend, f, what):
    """Run f once; a peer that cannot do `what` is skipped (NotImplementedError) instead of
    failing. dotcompute and NumPy errors propagate."""
    try:
        f()
    except Exception as exc:
        if backend in ("numexpr", "torch", "numba"):
            raise NotImplementedError(f"{backend} cannot run {what}: {exc}") from exc
        raise
    return f


class Binary(Benchmark):
    """`op(a, b)` with a fresh result."""

    params = [list(BINARY), DTYPES, SIZES, PEER_BACKENDS]
    param_names = ["op", "dtype", "n", "backend"]

    def setup(self, op, dtype, n, backend):
        a, b = to_backend(backend, random_array(n, dtype, seed=1), random_array(n, dtype, seed=2))
        torch_name, expr = BINARY[op]
        if backend == "numba":
            fn = numba_function(f"np.{op}(a, b)", "a, b")
            f = lambda: fn(a, b)  # noqa: E731
        elif backend == "numexpr":
            ne = module_of("numexpr")
            env = {"a": a, "b": b}
            f = lambda: ne.evaluate(expr, local_dict=env)  # noqa: E731
        elif backend == "torch":
            fn = getattr(module_of("torch"), torch_name)
            f = lambda: fn(a, b)  # noqa: E731
        else:
            fn = getattr(module_of(backend), op)
            f = lambda: fn(a, b)  # noqa: E731
        self.f = _checked(backend, f, f"{op} on {dtype}")

    def time_binary(self, op, dtype, n, backend):
        self.f()


class Unary(Benchmark):
    """`op(a)` with a fresh result (sqrt of integers gives float64, as in NumPy)."""

    params = [list(UNARY), DTYPES, SIZES, PEER_BACKENDS]
    param_names = ["op", "dtype", "n", "backend"]

    def setup(self, op, dtype, n, backend):
        (a,) = to_backend(backend, random_array(n, dtype, seed=1))
        torch_name, expr = UNARY[op]
        if backend == "numba":
            fn = numba_function(f"np.{op}(a)")
            f = lambda: fn(a)  # noqa: E731
        elif backend == "numexpr":
            ne = module_of("numexpr")
            env = {"a": a}
            f = lambda: ne.evaluate(expr, local_dict=env)  # noqa: E731
        elif backend == "torch":
            fn = getattr(module_of("torch"), torch_name)
            f = lambda: fn(a)  # noqa: E731
        else:
            fn = getattr(module_of(backend), op)
            f = lambda: fn(a)  # noqa: E731
        self.f = _checked(backend, f, f"{op} on {dtype}")

    def time_unary(self, op, dtype, n, backend):
        self.f()


class ScalarOperand(Benchmark):
    """`a * s` with a Python scalar (2.5 for floats, 3 for integers): NumPy's weak scalar
    promotion keeps a's dtype."""

    params = [DTYPES, SIZES, PEER_BACKENDS]
    param_names = ["dtype", "n", "backend"]

    def setup(self, dtype, n, backend):
        (a,) = to_backend(backend, random_array(n, dtype, seed=1))
        s = 3 if dtype.startswith("int") else 2.5
        if backend == "numba":
            fn = numba_function(f"a * {s}")
            f = lambda: fn(a)  # noqa: E731
        elif backend == "numexpr":
            ne = module_of("numexpr")
            env = {"a": a}
            expr = f"a * {s}"
            f = lambda: ne.evaluate(expr, local_dict=env)  # noqa: E731
        else:
            f = lambda: a * s  # noqa: E731
        self.f = _checked(backend, f, f"array * scalar on {dtype}")

    def time_multiply_scalar(self, dtype, n, backend):
        self.f()


class AddOut(Benchmark):
    """`add(a, b, out=c)`: no allocation, the pure kernel (plus call overhead)."""

    params = [DTYPES, SIZES, PEER_BACKENDS]
    param_names = ["dtype", "n", "backend"]

    def setup(self, dtype, n, backend):
        a, b = to_backend(backend, random_array(n, dtype, seed=1), random_array(n, dtype, seed=2))
        c = empty_like(backend, a)
        if backend == "numba":
            fn = numba_function("np.add(a, b, c)", "a, b, c")
            f = lambda: fn(a, b, c)  # noqa: E731
        elif backend == "numexpr":
            ne = module_of("numexpr")
            env = {"a": a, "b": b}
            f = lambda: ne.evaluate("a + b", local_dict=env, out=c)  # noqa: E731
        else:
            fn = module_of(backend).add
            f = lambda: fn(a, b, out=c)  # noqa: E731
        self.f = _checked(backend, f, f"add into out= on {dtype}")

    def time_add_out(self, dtype, n, backend):
        self.f()


class Axpy(Benchmark):
    """`s * x + y` with a NumPy scalar s = np.float64(2.5) (NumPy 2: a float64 scalar with
    float32 arrays gives float64, as NEP 50 says)."""

    params = [["float64", "float32"], SIZES, PEER_BACKENDS]
    param_names = ["dtype", "n", "backend"]

    def setup(self, dtype, n, backend):
        x, y = to_backend(backend, random_array(n, dtype, seed=1), random_array(n, dtype, seed=2))
        s = np.float64(2.5)
        if backend == "numba":
            fn = numba_function("s * x + y", "s, x, y")
            f = lambda: fn(s, x, y)  # noqa: E731
        elif backend == "numexpr":
            ne = module_of("numexpr")
            env = {"s": s, "x": x, "y": y}
            f = lambda: ne.evaluate("s * x + y", local_dict=env)  # noqa: E731
        elif backend == "torch":
            # torch takes the np.float64 as a weak Python float and stays in float32 (half
            # NumPy's work): the same result (float64) wants x in float64 (no copy for
            # float64 arrays)
            f64 = module_of("torch").float64
            f = lambda: s * x.to(f64) + y  # noqa: E731
        else:
            f = lambda: s * x + y  # noqa: E731
        self.f = _checked(backend, f, f"axpy on {dtype}")

    def time_axpy(self, dtype, n, backend):
        self.f()
