"""Array routines on GPU arrays: shape manipulation, joining, indexing, matmul.

Metadata-only operations (basic indexing, transpose, reshape of C-contiguous data) return
views; everything else runs the element-wise copy kernel (strided source, strided or
contiguous destination) or a gather kernel.  Results and errors follow NumPy: shapes and
index errors are computed by NumPy on host-side stand-ins (index arrays, shapes), never on
the data.  matmul calls cuBLAS (``nvidia-cublas`` wheel, loaded at run time).
"""
import ctypes
import operator
import threading

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from . import _compile, _driver
from ._array import DeviceView
from ._elementwise import THREADS, _blocks, astype, copy, fill, where
from ._transfer import empty, from_host


def reshape(x, shape, order="C"):
    if order not in ("C", "A"):
        raise NotImplementedError("only order='C' reshapes are implemented on the GPU")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(operator.index(s) for s in shape)
    src = x if x.c_contiguous else copy(x)
    return src.reshape_view(shape)      # NumPy's stand-in raises ValueError on bad shapes


def transpose(x, axes=None):
    return x.transpose(*(() if axes is None else axes))


def ravel(x):
    return reshape(x, (-1,))


def concatenate(arrays, axis=0, dtype=None):
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    _same_device(arrays)
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    nd = arrays[0].ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis_index(operator.index(axis), nd)
    for a in arrays:
        if a.ndim != nd:
            raise ValueError("all the input array dimensions except for the concatenation "
                             "axis must match exactly, but along dimension 0, the array at "
                             "index 0 has %d dimension(s) and another has %d" % (nd, a.ndim))
        for d in range(nd):
            if d != axis and a.shape[d] != arrays[0].shape[d]:
                raise ValueError("all the input array dimensions except for the "
                                 "concatenation axis must match exactly, but along "
                                 f"dimension {d} they differ ({arrays[0].shape[d]} and "
                                 f"{a.shape[d]})")
    out_dtype = np.dtype(dtype) if dtype is not None else np.result_type(
        *[np.empty(0, a.dtype) for a in arrays])
    shape = list(arrays[0].shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    out = empty(tuple(shape), out_dtype, arrays[0].device_id)
    start = 0
    for a in arrays:
        k = a.shape[axis]
        if k:
            key = (slice(None),) * axis + (slice(start, start + k),)
            astype(a, out_dtype, out=out.basic_index(key))
        start += k
    return out


def stack(arrays, axis=0):
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    nd = arrays[0].ndim + 1
    axis = normalize_axis_index(operator.index(axis), nd)
    key = (slice(None),) * axis + (None,)
    return concatenate([a.basic_index(key) for a in arrays], axis=axis)


def _same_device(arrays):
    devs = {a.device_id for a in arrays}
    if len(devs) > 1:
        a, b = sorted(devs)[:2]
        raise ValueError(f"arrays are on different devices: cuda:{a} and cuda:{b}")


# --- indexing --------------------------------------------------------------------------

_GATHER = r"""
extern "C" __global__ void dc_gather(const char* __restrict__ src, const long long* __restrict__ idx,
        char* __restrict__ out, long long n_out, long long inner_bytes, long long src_stride) {
    // out row i (inner_bytes, contiguous) = src row idx[i] (src rows src_stride apart)
    long long total = n_out * inner_bytes;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        long long i = t / inner_bytes, b = t - i * inner_bytes;
        out[t] = src[idx[i] * src_stride + b];
    }
}
"""


_SCATTER = r"""
extern "C" __global__ void dc_scatter(const char* __restrict__ src, const long long* __restrict__ idx,
        char* __restrict__ dst, long long n_src, long long inner_bytes, long long dst_stride) {
    // dst row idx[i] (dst rows dst_stride apart) = src row i (inner_bytes, contiguous)
    long long total = n_src * inner_bytes;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        long long i = t / inner_bytes, b = t - i * inner_bytes;
        dst[idx[i] * dst_stride + b] = src[t];
    }
}
"""


def _scatter_rows(x, idx, value):
    """x[idx] = value along axis 0 of x (idx: host int64 array, checked, non-negative;
    value a GPU array or scalar, broadcast to idx.shape + x.shape[1:] and cast to x's
    dtype as NumPy's assignment casts). A repeated index takes one of its values."""
    inner_shape = x.shape[1:]
    rows_shape = (idx.size,) + inner_shape
    if isinstance(value, DeviceView):
        if value.device_id != x.device_id:
            raise ValueError(f"value is on cuda:{value.device_id}, the array on "
                             f"cuda:{x.device_id}")
        try:
            np.broadcast_shapes(value.shape, rows_shape)
        except ValueError:
            raise ValueError(f"shape mismatch: value array of shape {value.shape} could not "
                             f"be broadcast to indexing result of shape {rows_shape}"
                             ) from None
        src = astype(value, x.dtype, out=empty(rows_shape, x.dtype, x.device_id))
    else:
        src = empty(rows_shape, x.dtype, x.device_id)
        fill(src, value)
    dst = x if x.c_contiguous else copy(x)
    inner_bytes = int(np.prod(inner_shape, dtype=np.int64)) * x.dtype.itemsize
    total = idx.size * inner_bytes
    if total:
        didx = from_host(np.ascontiguousarray(idx, np.int64).ravel(), x.device_id)
        f = _compile.get_function(_SCATTER, "dc_scatter", x.device_id)
        _driver.launch1d(f, _blocks(total, x.device_id), THREADS,
                         (src.data_ptr, didx.data_ptr, dst.data_ptr, idx.size, inner_bytes,
                          inner_bytes))
    if dst is not x:
        copy(dst, out=x)


def _gather_rows(x, idx):
    """x[idx] along axis 0 (idx: host int64 array, already checked and made non-negative)."""
    src = x if x.c_contiguous else copy(x)
    inner_shape = src.shape[1:]
    inner_bytes = int(np.prod(inner_shape, dtype=np.int64)) * src.dtype.itemsize
    out = empty(idx.shape + inner_shape, src.dtype, src.device_id)
    total = idx.size * inner_bytes
    if total:
        didx = from_host(np.ascontiguousarray(idx, np.int64).ravel())
        f = _compile.get_function(_GATHER, "dc_gather", src.device_id)
        _driver.launch1d(f, _blocks(total, src.device_id), THREADS,
                         (src.data_ptr, didx.data_ptr, out.data_ptr, idx.size, inner_bytes,
                          inner_bytes))
    return out


def _host_index(key, x):
    """An index array (GPU array or sequence) as host int64 / bool (a device->host copy of
    the index only: its values decide the result's shape, as in CuPy)."""
    if isinstance(key, DeviceView):
        return key.get()
    return np.asarray(key)


def _rows_of(x, key):
    """(x as rows, host int64 row indices) for an advanced key of one integer or boolean
    array (x[idx], x[mask]): the rows are x itself (integer index) or x with the mask's
    dimensions flattened; IndexError as NumPy's."""
    k = key[0] if isinstance(key, tuple) and len(key) == 1 else key
    if isinstance(k, tuple):
        raise NotImplementedError("dotcompute: advanced indexing on GPU arrays supports one "
                                  "integer or boolean array (x[idx], x[mask])")
    ik = _host_index(k, x)
    if ik.dtype == bool:
        if ik.shape != x.shape[:ik.ndim]:
            raise IndexError(f"boolean index did not match indexed array along axis 0; "
                             f"size of axis is {x.shape[0] if x.ndim else 0} but size of "
                             f"corresponding boolean axis is {ik.shape[0] if ik.ndim else 0}")
        rows = x.reshape_view((-1,) + x.shape[ik.ndim:]) if x.c_contiguous else None
        return rows, np.flatnonzero(ik), ik
    if ik.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    if x.ndim == 0:
        raise IndexError("too many indices for array: array is 0-dimensional, but 1 were "
                         "indexed")
    n = x.shape[0]
    ik = ik.astype(np.int64)
    bad = (ik >= n) | (ik < -n)
    if bad.any():
        raise IndexError(f"index {int(ik[bad][0])} is out of bounds for axis 0 with size {n}")
    return (x if x.c_contiguous else None), np.where(ik < 0, ik + n, ik), None


def getitem(x, key):
    v = x.basic_index(key)
    if v is not None:
        return v
    rows, idx, mask = _rows_of(x, key)
    if rows is None:        # strided data (_gather_rows copies it)
        rows = x if mask is None else reshape(x, (-1,) + x.shape[mask.ndim:])
    return _gather_rows(rows, idx)


def setitem(x, key, value):
    if isinstance(value, np.ndarray) and value.ndim > 0:
        raise ValueError("value is on the cpu, the array on cuda: move it with "
                         "x.to_device(...) first")
    v = x.basic_index(key)
    if v is None:
        rows, idx, mask = _rows_of(x, key)
        if mask is not None and mask.shape == x.shape and not isinstance(value, DeviceView):
            # x[mask] = scalar: one where() pass, no index array
            tmp = where(from_host(mask, x.device_id), _as_scalar(value, x.dtype), x)
            astype(tmp, x.dtype, out=x)
        elif rows is None:              # a strided x: scatter into a contiguous copy
            tmp = copy(x)
            setitem(tmp, key, value)
            copy(tmp, out=x)
        else:
            _scatter_rows(rows, idx, value)
        return
    if isinstance(value, DeviceView):
        if value.device_id != x.device_id:
            raise ValueError(f"value is on cuda:{value.device_id}, the array on "
                             f"cuda:{x.device_id}")
        astype(value, x.dtype, out=v)
    else:
        fill(v, value)


def _as_scalar(value, dtype):
    return np.asarray(value).astype(dtype, casting="unsafe")[()]


# --- matmul through cuBLAS -------------------------------------------------------------

_cublas = None
_handles = {}
_cublas_lock = threading.Lock()


def _load_cublas():
    global _cublas
    if _cublas is not None:
        return _cublas
    with _cublas_lock:
        if _cublas is not None:
            return _cublas
        path = None
        try:
            from cuda.pathfinder import load_nvidia_dynamic_lib
            path = load_nvidia_dynamic_lib("cublas").abs_path
        except Exception:   # noqa: BLE001 - fall back to the loader's path
            path = None
        lib = None
        for name in ([path] if path else []) + ["libcublas.so.13", "libcublas.so.12",
                                                "libcublas.so"]:
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is None:
            raise TypeError("dotcompute: numpy.matmul on GPU arrays needs cuBLAS: install "
                            "the nvidia-cublas wheel")
        for fn in ("cublasCreate_v2", "cublasSetStream_v2", "cublasDgemm_v2",
                   "cublasSgemm_v2", "cublasDgemmStridedBatched", "cublasSgemmStridedBatched"):
            getattr(lib, fn).restype = ctypes.c_int
        _cublas = lib
    return _cublas


def _handle(dev):
    h = _handles.get((dev, threading.get_ident()))
    if h is None:
        lib = _load_cublas()
        h = ctypes.c_void_p()
        rc = lib.cublasCreate_v2(ctypes.byref(h))
        if rc:
            raise RuntimeError(f"cublasCreate failed ({rc})")
        _handles[(dev, threading.get_ident())] = h
    return h


def matmul(a, b):
    """a @ b for float32/float64 GPU arrays of any number of dimensions (row-major through
    cuBLAS; stacks of matrices broadcast as NumPy's, one strided-batched gemm)."""
    _same_device([a, b])
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    dt = np.result_type(np.empty(0, a.dtype), np.empty(0, b.dtype))
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dotcompute: numpy.matmul of {dt} is not implemented for arrays on "
                        f"cuda:{a.device_id}")
    a2 = a.basic_index((None, slice(None))) if a.ndim == 1 else a
    b2 = b.basic_index((slice(None), None)) if b.ndim == 1 else b
    m, k = a2.shape[-2:]
    k2, n = b2.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, "
                         f"with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {k2} is "
                         f"different from {k})")
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {a.shape}->{a2.shape} "
                         f"{b.shape}->{b2.shape}") from None
    count = int(np.prod(batch, dtype=np.int64))

    def operand(x, rows, cols):
        # (contiguous x of dtype dt, batch stride in elements): 0 for one shared matrix,
        # else x broadcast to the full batch
        if x.ndim == 2 or int(np.prod(x.shape[:-2], dtype=np.int64)) == 1:
            if not (x.c_contiguous and x.dtype == dt):
                x = astype(x, dt)
            return x.reshape_view((rows, cols)), 0
        if x.shape[:-2] != batch or x.dtype != dt or not x.c_contiguous:
            x = astype(x, dt, out=empty(batch + (rows, cols), dt, x.device_id))
        return x, rows * cols

    a2, sa = operand(a2, m, k)
    b2, sb = operand(b2, k, n)
    out = empty(batch + (m, n), dt, a.device_id)
    if m and n and count:
        if k == 0:
            fill(out, 0)
        else:
            _gemm(a2, b2, out, m, n, k, sa, sb, count, dt, a.device_id)
    shape = batch + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
    return out if shape == out.shape else out.reshape_view(shape)


def _gemm(a2, b2, out, m, n, k, sa, sb, count, dt, dev):
    lib = _load_cublas()
    h = _handle(dev)
    lib.cublasSetStream_v2(h, ctypes.c_void_p(_driver.current_stream_ptr()))
    ctype = ctypes.c_float if dt == np.float32 else ctypes.c_double
    one, zero = ctype(1), ctype(0)
    A, B, C = (ctypes.c_void_p(x.data_ptr) for x in (a2, b2, out))
    # row-major C = A B is column-major C^T = B^T A^T
    if count == 1:
        gemm = lib.cublasSgemm_v2 if dt == np.float32 else lib.cublasDgemm_v2
        rc = gemm(h, 0, 0, n, m, k, ctypes.byref(one), B, n, A, k, ctypes.byref(zero), C, n)
    else:
        gemm = (lib.cublasSgemmStridedBatched if dt == np.float32
                else lib.cublasDgemmStridedBatched)
        ll = ctypes.c_longlong
        rc = gemm(h, 0, 0, n, m, k, ctypes.byref(one), B, n, ll(sb), A, k, ll(sa),
                  ctypes.byref(zero), C, n, ll(m * n), count)
    if rc:
        raise RuntimeError(f"cuBLAS gemm failed ({rc})")
