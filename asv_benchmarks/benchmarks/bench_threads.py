"""Thread scaling of dotcompute: the same call with 1 and with 2 kernel threads.

Memory-bound ops at 1e7 gain what the second core adds to DRAM bandwidth (PERF.md:
1.5-1.9x); transcendentals are compute-bound and should scale close to 2x. NumPy (one
thread) is measured alongside as the fixed reference.
"""
import numpy as np

import dotcompute as dc

from .common import Benchmark, random_array, to_backend

CASES = {
    # name -> (n, function of (namespace, a, b, c, out))
    "add(a, b, out=) 1e7": (10 ** 7, lambda xp, a, b, c, out: xp.add(a, b, out=out)),
    "a + b 1e7": (10 ** 7, lambda xp, a, b, c, out: a + b),
    "2*a + 3*b*b - c 1e6": (10 ** 6, lambda xp, a, b, c, out: 2 * a + 3 * b * b - c),
    "exp(a, out=) 1e6": (10 ** 6, lambda xp, a, b, c, out: xp.exp(a, out=out)),
    "sin(a, out=) 1e6": (10 ** 6, lambda xp, a, b, c, out: xp.sin(a, out=out)),
    "a.sum() 1e7": (10 ** 7, lambda xp, a, b, c, out: a.sum()),
}


class ThreadScaling(Benchmark):
    params = [list(CASES), [1, 2], ["dotcompute", "numpy"]]
    param_names = ["case", "threads", "backend"]

    def setup(self, case, threads, backend):
        self.saved = dc.get_num_threads()   # teardown runs even when setup skips
        if backend == "numpy" and threads != 1:
            raise NotImplementedError("NumPy's element-wise loops are single-threaded")
        if threads > dc.runtime_info()["available_cpus"]:
            raise NotImplementedError(f"fewer than {threads} CPUs available")
        n, fn = CASES[case]
        a, b, c = to_backend(backend, *(random_array(n, seed=30 + i) for i in range(3)))
        out = dc.empty(n) if backend == "dotcompute" else np.empty(n)
        xp = dc if backend == "dotcompute" else np
        dc.set_num_threads(threads)
        self.f = lambda: fn(xp, a, b, c, out)  # noqa: E731
        self.f()

    def teardown(self, case, threads, backend):
        dc.set_num_threads(self.saved)

    def time_threads(self, case, threads, backend):
        self.f()
