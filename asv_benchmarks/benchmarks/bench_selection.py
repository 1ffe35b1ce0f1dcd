"""Selection, sorting, searching and boolean-mask indexing (op x dtype x n x backend):
NumPy's functions on NumPy arrays and on dotcompute arrays (dotcompute's overrides:
radix sort, branch-free quickselect and search, mask compress / expand)."""
import numpy as np

from .common import Benchmark, random_array, to_backend

BACKENDS = ["dotcompute", "numpy"]
SIZES = [10 ** 3, 10 ** 5, 10 ** 6]
OPS = {
    "sort": lambda xp, a, keys, mask: np.sort(a),
    "unique": lambda xp, a, keys, mask: np.unique(a),
    "median": lambda xp, a, keys, mask: np.median(a),
    "quantile": lambda xp, a, keys, mask: np.quantile(a, 0.3),
    "searchsorted": lambda xp, a, keys, mask: np.searchsorted(keys, a),
    "mask_get": lambda xp, a, keys, mask: a[mask],
    "histogram": lambda xp, a, keys, mask: np.histogram(a, 50),
}


class Selection(Benchmark):
    """`op` over n random values (searchsorted: n keys into 1000 sorted values; mask_get:
    `a[mask]` with a random half-true mask)."""

    params = [list(OPS), ["float64", "float32"], SIZES, BACKENDS]
    param_names = ["op", "dtype", "n", "backend"]

    def setup(self, op, dtype, n, backend):
        rng = np.random.default_rng(5)
        a = rng.normal(size=n).astype(dtype)
        keys = np.sort(rng.normal(size=1000)).astype(dtype)
        mask = random_array(n, "bool", seed=6)
        a, keys, mask = to_backend(backend, a, keys, mask)
        fn = OPS[op]
        self.f = lambda: fn(None, a, keys, mask)  # noqa: E731
        self.f()

    def time_selection(self, op, dtype, n, backend):
        self.f()
