"""Selection, sorting, searching and boolean-mask indexing (op x dtype x n x backend):
the functions as a program calls them, `xp.f(...)` with xp the backend's module (numpy, or
dotcompute: radix sort and argsort, branch-free quickselect and search, mask compress /
expand)."""
import numpy as np

from .common import Benchmark, module_of, random_array, to_backend

BACKENDS = ["dotcompute", "numpy"]
SIZES = [10 ** 3, 10 ** 5, 10 ** 6]
OPS = {
    "sort": lambda xp, a, keys, mask: xp.sort(a),
    "argsort": lambda xp, a, keys, mask: xp.argsort(a),
    "argsort_stable": lambda xp, a, keys, mask: xp.argsort(a, kind="stable"),
    "unique": lambda xp, a, keys, mask: xp.unique(a),
    "unique_inverse": lambda xp, a, keys, mask: xp.unique(a, return_inverse=True),
    "median": lambda xp, a, keys, mask: xp.median(a),
    "quantile": lambda xp, a, keys, mask: xp.quantile(a, 0.3),
    "searchsorted": lambda xp, a, keys, mask: xp.searchsorted(keys, a),
    "mask_get": lambda xp, a, keys, mask: a[mask],
    "histogram": lambda xp, a, keys, mask: xp.histogram(a, 50),
    "nonzero_2d": lambda xp, a, keys, mask: xp.nonzero(mask.reshape(10, -1)),
    "isin": lambda xp, a, keys, mask: xp.isin(a, keys),
}


class Selection(Benchmark):
    """`op` over n random values (searchsorted: n keys into 1000 sorted values; mask_get:
    `a[mask]` with a random half-true mask; nonzero_2d: that mask as 10 rows; isin: n
    values in the 1000 keys)."""

    params = [list(OPS), ["float64", "float32"], SIZES, BACKENDS]
    param_names = ["op", "dtype", "n", "backend"]

    def setup(self, op, dtype, n, backend):
        rng = np.random.default_rng(5)
        a = rng.normal(size=n).astype(dtype)
        keys = np.sort(rng.normal(size=1000)).astype(dtype)
        mask = random_array(n, "bool", seed=6)
        a, keys, mask = to_backend(backend, a, keys, mask)
        fn, xp = OPS[op], module_of(backend)
        self.f = lambda: fn(xp, a, keys, mask)  # noqa: E731
        self.f()

    def time_selection(self, op, dtype, n, backend):
        self.f()
