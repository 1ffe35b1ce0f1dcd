"""The dask example pipeline of tests/test_dask.py and the dask benchmarks
(tools/bench_dask.py, asv_benchmarks/benchmarks/bench_dask.py): ``2*a + 3*b*b - c`` over
three arrays of uniform doubles generated on the workers, then its sum, min and max.
"""


def _uniform_block(seed, xp, block_info=None):
    """One chunk of uniform [0, 1) doubles, made where the task runs (nothing shipped):
    NumPy's PCG64 seeded by (seed, chunk index) writes into an `xp` array in place, so
    NumPy- and dotcompute-chunked arrays of the same chunking hold the same values."""
    import numpy as np
    info = block_info[None]
    out = xp.empty(info["chunk-shape"], dtype=np.float64)
    rng = np.random.default_rng([seed, *info["chunk-location"]])
    rng.random(out=np.asarray(out))
    return out


def uniform(shape, chunks, seed, xp=None):
    """dask array of uniform [0, 1) doubles with chunks of type `xp.ndarray` (default
    dotcompute), generated on the workers."""
    import numpy as np
    import dask.array as da
    if xp is None:
        import dotcompute as xp
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    chunks = da.core.normalize_chunks(chunks, shape, dtype=np.float64)
    return da.map_blocks(_uniform_block, seed, xp, chunks=chunks, dtype=np.float64,
                         meta=xp.empty((0,) * len(shape)))


def example_pipeline(n, chunk, xp=None, seed=0):
    """The pipeline of tests/test_dask.py and the benchmarks: ``2*a + 3*b*b - c`` over
    three generated arrays of n doubles in chunks of `chunk`, then its sum, min and max
    (dask arrays; compute them together)."""
    a, b, c = (uniform(n, chunk, seed + k, xp) for k in range(3))
    e = 2 * a + 3 * b * b - c
    return e.sum(), e.min(), e.max()
