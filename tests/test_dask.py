"""dask.array over dotcompute chunks, and dotcompute arrays on a dask.distributed cluster.

dask and distributed are optional (the `dask` extra): without them these tests skip.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import dotcompute as dc

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from dask_pipeline import example_pipeline, uniform  # noqa: E402


@pytest.fixture(autouse=True)
def _sync_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


def _pair(shape=(6, 10), chunks=(4, 3)):
    xn = (np.arange(np.prod(shape), dtype=np.float64).reshape(shape) * 7.0) % 11.0 - 3.0
    return (da.from_array(dc.asarray(xn), chunks=chunks, asarray=False),
            da.from_array(xn, chunks=chunks))


def _check(r, expected):
    if isinstance(expected, np.ndarray):
        assert isinstance(r, dc.ndarray), type(r)
    assert r.dtype == expected.dtype
    np.testing.assert_allclose(np.asarray(r), expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ registration

def test_import_does_not_import_dask():
    code = "import sys, dotcompute; print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ))
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("order", ["dask_first", "dotcompute_first"])
def test_registration_either_import_order(order):
    first, second = (("dask.array", "dotcompute") if order == "dask_first"
                     else ("dotcompute", "dask.array"))
    code = (f"import {first}; import {second}\n"
            "import dotcompute as dc, dask.array as da\n"
            "from dask.array.dispatch import concatenate_lookup\n"
            "from dask.sizeof import sizeof\n"
            "x = dc.ones(1000)\n"
            "assert concatenate_lookup.dispatch(dc.ndarray) is dc.concatenate\n"
            "assert sizeof(x) == 8000, sizeof(x)\n"
            "a = da.from_array(x, chunks=100, asarray=False)\n"
            "r = da.concatenate([a, a]).compute(scheduler='sync')\n"
            "assert type(r) is dc.ndarray and r.shape == (2000,)\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_sizeof_is_nbytes():
    from dask.sizeof import sizeof
    x = dc.zeros((100, 100))
    assert sizeof(x) == x.nbytes
    assert sizeof(x[:, ::2]) == x.nbytes // 2


# --------------------------------------------------------------- dask.array API

def test_from_array_keeps_chunks_and_meta():
    a, _ = _pair()
    assert isinstance(a._meta, dc.ndarray)
    assert a._meta.shape == (0, 0) and a._meta.ndim == 2
    assert a.dtype == np.float64
    chunk = a.blocks[0, 0].compute()
    assert isinstance(chunk, dc.ndarray) and chunk.shape == (4, 3)
    r = a.compute()
    assert isinstance(r, dc.ndarray)


OPS = {
    "fused": lambda a: 2 * a + 3 * a * a - a,
    "divide": lambda a: a / 3,
    "ufunc": lambda a: np.exp(a / 10),
    "astype": lambda a: a.astype(np.float32),
    "astype_kwargs": lambda a: a.astype("i4", casting="unsafe", copy=False),
    "getitem": lambda a: a[1:5, ::2],
    "transpose": lambda a: a.T,
    "where": lambda a: da.where(a > 1, a, 0.0),
    "sum0": lambda a: a.sum(axis=0),
    "sum1_keepdims": lambda a: a.sum(axis=1, keepdims=True),
    "mean1": lambda a: a.mean(axis=1),
    "var_ddof": lambda a: a.var(axis=0, ddof=1),
    "std": lambda a: a.std(axis=1),
    "min0": lambda a: a.min(axis=0),
    "max1": lambda a: a.max(axis=1),
    "prod0": lambda a: (a / 10 + 1).prod(axis=0),
    "argmax0": lambda a: a.argmax(axis=0),
    "argmin1": lambda a: a.argmin(axis=1),
    "nansum0": lambda a: da.nansum(a, axis=0),
    "nanmean1": lambda a: da.nanmean(a, axis=1),
    "cumsum1": lambda a: a.cumsum(axis=1),
    "map_blocks": lambda a: a.map_blocks(lambda b: b * 2 + 1),
    "map_overlap": lambda a: a.map_overlap(lambda b: b + 0, depth=1, boundary="reflect"),
    "rechunk": lambda a: a.rechunk((6, 5)),
    "rechunk_ravel": lambda a: a.ravel().rechunk(7),
    "concatenate": lambda a: da.concatenate([a, a[:2]], axis=0),
    "stack": lambda a: da.stack([a, a]),
    "block": lambda a: da.block([[a, a], [a, a]]),
    "matmul": lambda a: a @ a.T,
    "tensordot": lambda a: da.tensordot(a, a, axes=([1], [1])),
    "einsum": lambda a: da.einsum("ij,ij->i", a, a),
    "percentile": lambda a: da.percentile(a.ravel(), [10, 50, 90]),
    "median": lambda a: da.median(a, axis=0),
    "topk": lambda a: a.ravel().topk(4),
    "histogram": lambda a: da.histogram(a, bins=5, range=(-3, 8))[0],
    "bool_index": lambda a: a[a > 2],
    "take": lambda a: da.take(a, [0, 3, 5], axis=1),
    "pad": lambda a: da.pad(a, 1),
    "zero_size": lambda a: a[:0],
    "qr_r": lambda a: da.linalg.qr(a.rechunk((6, 10)).T)[1],
}


# dask takes an arg-reduction's meta from np.argmin(asarray([1], like=meta)), a NumPy
# scalar for NumPy-like arrays (as with NumPy); boolean-mask indexing and histogram build
# their arrays without a meta (as for CuPy): the meta is NumPy there, the chunks are ours.
NUMPY_META = {"argmax0", "argmin1", "bool_index", "histogram"}


@pytest.mark.parametrize("name", sorted(OPS))
def test_operation_matches_numpy_chunks(name):
    a, an = _pair()
    r = OPS[name](a)
    expected = OPS[name](an).compute()
    if name not in NUMPY_META:
        assert isinstance(r._meta, dc.ndarray), type(r._meta)
    _check(r.compute(), expected)


@pytest.mark.parametrize("name", ["sum", "mean", "min", "max", "std", "argmax"])
def test_full_reduction_is_numpy_scalar_like_numpy(name):
    a, an = _pair()
    r = getattr(a, name)().compute()
    expected = getattr(an, name)().compute()
    assert type(r) is type(expected)
    np.testing.assert_allclose(r, expected, rtol=1e-12)


def test_creation_with_dc_meta():
    r = da.ones((10,), chunks=3, meta=dc.empty(0)).compute()
    assert isinstance(r, dc.ndarray)
    np.testing.assert_array_equal(np.asarray(r), np.ones(10))
    r = da.zeros_like(_pair()[0]).compute()
    assert isinstance(r, dc.ndarray) and not np.asarray(r).any()


def test_uniform_is_backend_independent():
    a = uniform((50, 40), (20, 15), seed=3)
    an = uniform((50, 40), (20, 15), seed=3, xp=np)
    ra, rn = a.compute(), an.compute()
    assert isinstance(a._meta, dc.ndarray) and isinstance(ra, dc.ndarray)
    assert type(rn) is np.ndarray
    np.testing.assert_array_equal(np.asarray(ra), rn)
    assert 0.0 <= rn.min() and rn.max() < 1.0


def test_pipeline_threaded_scheduler():
    # several chunks at once in one process: pool allocation and kernels from dask's threads
    n, chunk = 2_000_000, 100_000
    r = dask.compute(*example_pipeline(n, chunk, xp=dc, seed=5), scheduler="threads",
                     num_workers=4)
    rn = dask.compute(*example_pipeline(n, chunk, xp=np, seed=5), scheduler="sync")
    np.testing.assert_allclose(r, rn, rtol=1e-12)


# ------------------------------------------------------------ distributed serialization

@pytest.mark.parametrize("layout", ["C", "F", "strided", "0d", "empty", "readonly"])
def test_distributed_serialize_roundtrip_zero_copy(layout):
    protocol = pytest.importorskip("distributed.protocol")
    base = np.arange(60.0).reshape(6, 10)
    x = {"C": dc.asarray(base), "F": dc.asarray(base, order="F"),
         "strided": dc.asarray(base)[:, ::3], "0d": dc.asarray(np.float64(2.5)),
         "empty": dc.empty((0, 4)), "readonly": dc.asarray(base)}[layout]
    if layout == "readonly":
        x.setflags(write=False)
    header, frames = protocol.serialize(x)
    assert header["serializer"] == "dask"
    assert len(frames) == 1
    if layout in ("C", "F", "readonly"):
        # the frame is our memory, not a copy
        assert np.shares_memory(np.frombuffer(frames[0], np.uint8), np.asarray(x))
    y = protocol.deserialize(header, frames)
    assert isinstance(y, dc.ndarray) and y.shape == x.shape and y.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x))
    assert y.flags.writeable == (layout != "readonly")
    if layout in ("C", "F"):
        assert np.shares_memory(np.asarray(x), np.asarray(y))
    # over the wire: frames as received (writable bytearrays) are used without a copy
    received = [bytearray(memoryview(f).cast("B")) if not isinstance(f, bytes) else
                bytearray(f) for f in frames]
    z = protocol.deserialize(header, received)
    np.testing.assert_array_equal(np.asarray(z), np.asarray(x))
    if x.size:
        assert np.shares_memory(np.asarray(z), np.frombuffer(received[0], np.uint8))


def test_distributed_pickle_family_out_of_band():
    protocol = pytest.importorskip("distributed.protocol")
    x = dc.arange(1000.0)
    header, frames = protocol.serialize((x, "label"), serializers=["pickle"])
    y, label = protocol.deserialize(header, frames)
    assert label == "label" and isinstance(y, dc.ndarray)
    assert max(len(memoryview(f).cast("B")) for f in frames) >= 8000  # a data frame
    np.testing.assert_array_equal(np.asarray(y), np.arange(1000.0))


# ------------------------------------------------------------------ on a cluster

def _run_pipeline_on_cluster(n, chunk):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None, memory_limit="3GiB") as cluster, \
            distributed.Client(cluster) as client:
        results = {}
        for xp in (dc, np):
            graph = example_pipeline(n, chunk, xp=xp, seed=11)
            futures = client.compute(list(graph))
            results[xp.__name__] = client.gather(futures)
        # a chunk computed on a worker comes back to the client as a dotcompute array
        block = client.compute(uniform(n, chunk, 11).blocks[0]).result()
        assert isinstance(block, dc.ndarray) and block.shape == (chunk,)
    s, lo, hi = results["dotcompute"]
    sn, lon, hin = results["numpy"]
    # sum of n terms: summation order differs (blocked SIMD vs pairwise)
    assert abs(s - sn) <= 1e-12 * n * 5.0 + 1e-9 * abs(sn)
    assert lo == lon and hi == hin
    # 2a + 3b^2 - c with a, b, c uniform in [0, 1): mean 1 + 1 - 0.5 = 1.5
    assert abs(s / n - 1.5) < 0.01
    return results


def test_pipeline_on_local_cluster():
    """2e7 doubles per array (three arrays, 480 MB) in 20 chunks on 2 worker processes;
    the 2e8 version is test_pipeline_on_local_cluster_2e8 (marked slow)."""
    _run_pipeline_on_cluster(20_000_000, 1_000_000)


@pytest.mark.slow
def test_pipeline_on_local_cluster_2e8():
    """2e8 doubles per array (4.8 GB if materialized; streamed here in 20 chunks of 80 MB,
    so each worker holds a few chunks at a time)."""
    _run_pipeline_on_cluster(200_000_000, 10_000_000)
