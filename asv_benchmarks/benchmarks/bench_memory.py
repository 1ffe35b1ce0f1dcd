"""asv benchmarks of the memory pool (dotcompute._core._memory)."""
import numpy as np

import dotcompute as dc
import dotcompute._core._memory as m

SIZES = [0, 8 << 10, 1 << 20, 8 << 20, 80_000_000]


class MallocFree:
    """Allocate + release one block, steady state (pool warm)."""

    params = [SIZES]
    param_names = ["nbytes"]

    def setup(self, nbytes):
        self.pool = m.MemoryPool()
        self.malloc = self.pool.malloc
        self.malloc(nbytes)
        self.n = nbytes // 8

    def time_pool_malloc_free(self, nbytes):
        self.malloc(nbytes)

    def time_numpy_empty(self, nbytes):
        np.empty(self.n)



class NumpyEmptyPooled:
    """np.empty + release with NumPy's data routed through the pool (handler set in setup)."""

    params = [SIZES]
    param_names = ["nbytes"]

    def setup(self, nbytes):
        self.pool = m.MemoryPool()
        self.handle = m.use_for_numpy(self.pool)
        self.n = nbytes // 8
        np.empty(self.n)

    def teardown(self, nbytes):
        self.handle.restore()

    def time_numpy_empty_pooled(self, nbytes):
        np.empty(self.n)


class AllocateFill:
    """Fresh float64 result, filled: pool vs glibc vs a preallocated block vs dc.empty."""

    params = [[10_000, 1_000_000, 10_000_000]]
    param_names = ["n"]

    def setup(self, n):
        self.pool = m.MemoryPool()
        self.pre = np.empty(n)
        self.pre.fill(0.0)
        self.pool.malloc(8 * n)

    def time_fill_preallocated(self, n):
        self.pre.fill(1.0)

    def time_numpy_empty_fill(self, n):
        np.empty(n).fill(1.0)

    def time_pool_fill(self, n):
        np.frombuffer(self.pool.malloc(8 * n), dtype=np.float64).fill(1.0)

    def time_dc_empty_fill(self, n):
        dc.empty(n).fill(1.0)

    def time_numpy_pooled_fill(self, n):
        with m.use_for_numpy(self.pool):
            np.empty(n).fill(1.0)


class HitRate:
    """Pool hit rate of a loop over a few recurring array sizes."""

    def setup(self):
        self.xs = [np.random.default_rng(0).random(k) for k in (1000, 100_000, 1_000_000)]

    def track_pool_hit_rate(self):
        pool = m.MemoryPool()
        with m.use_for_numpy(pool):
            for _ in range(100):
                for x in self.xs:
                    y = 2.0 * x + 1.0
                    del y
                blocks = [pool.malloc(k) for k in (512, 40_000, 3 << 20)]
                del blocks
        return 100.0 * m.pool_info(pool)["hit_rate"]

    track_pool_hit_rate.unit = "%"

    def track_reserved_mib(self):
        pool = m.MemoryPool()
        for _ in range(100):
            blocks = [pool.malloc(k) for k in (512, 40_000, 3 << 20, 80_000_000)]
            del blocks
        return pool.total_bytes() / 2 ** 20

    track_reserved_mib.unit = "MiB"
