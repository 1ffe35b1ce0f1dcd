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


def getitem(x, key):
    v = x.basic_index(key)
    if v is not None:
        return v
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
        flat = reshape(x, (-1,) + x.shape[ik.ndim:])
        return _gather_rows(flat, np.flatnonzero(ik))
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
    return _gather_rows(x, np.where(ik < 0, ik + n, ik))


def setitem(x, key, value):
    v = x.basic_index(key)
    if v is None:
        k = key[0] if isinstance(key, tuple) and len(key) == 1 else key
        ik = _host_index(k, x) if not isinstance(k, tuple) else None
        if ik is not None and ik.dtype == bool and ik.shape == x.shape:
            mask = from_host(ik)
            if isinstance(value, DeviceView):
                raise NotImplementedError("dotcompute: x[mask] = array is not implemented "
                                          "on the GPU (x[mask] = scalar is)")
            else:
                tmp = where(mask, _as_scalar(value, x.dtype), x)
                astype(tmp, x.dtype, out=x)
                return
        raise NotImplementedError("dotcompute: assignment on GPU arrays supports basic "
                                  "indexing and full-shape boolean masks")
    if isinstance(value, DeviceView):
        if value.device_id != x.device_id:
            raise ValueError(f"value is on cuda:{value.device_id}, the array on "
                             f"cuda:{x.device_id}")
        astype(value, x.dtype, out=v)
    elif isinstance(value, np.ndarray) and value.ndim > 0:
        raise ValueError("value is on the cpu, the array on cuda: move it with "
                         "x.to_device(...) first")
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
                   "cublasSgemm_v2"):
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
    """a @ b for 1-D and 2-D float32/float64 GPU arrays (row-major through cuBLAS)."""
    _same_device([a, b])
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if a.ndim > 2 or b.ndim > 2:
        raise TypeError("dotcompute: numpy.matmul of arrays with more than 2 dimensions is "
                        f"not implemented for arrays on cuda:{a.device_id}")
    dt = np.result_type(np.empty(0, a.dtype), np.empty(0, b.dtype))
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dotcompute: numpy.matmul of {dt} is not implemented for arrays on "
                        f"cuda:{a.device_id}")
    a2 = a.basic_index((None, slice(None))) if a.ndim == 1 else a
    b2 = b.basic_index((slice(None), None)) if b.ndim == 1 else b
    m, k = a2.shape
    k2, n = b2.shape
    if k != k2:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, "
                         f"with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {k2} is "
                         f"different from {k})")
    a2 = astype(a2, dt) if (a2.dtype != dt or not a2.c_contiguous) else a2
    b2 = astype(b2, dt) if (b2.dtype != dt or not b2.c_contiguous) else b2
    out = empty((m, n), dt, a.device_id)
    if m and n:
        if k == 0:
            fill(out, 0)
        else:
            lib = _load_cublas()
            h = _handle(a.device_id)
            lib.cublasSetStream_v2(h, ctypes.c_void_p(_driver.current_stream_ptr()))
            ctype = ctypes.c_float if dt == np.float32 else ctypes.c_double
            gemm = lib.cublasSgemm_v2 if dt == np.float32 else lib.cublasDgemm_v2
            one, zero = ctype(1), ctype(0)
            # row-major C = A B is column-major C^T = B^T A^T
            rc = gemm(h, 0, 0, n, m, k, ctypes.byref(one), ctypes.c_void_p(b2.data_ptr), n,
                      ctypes.c_void_p(a2.data_ptr), k, ctypes.byref(zero),
                      ctypes.c_void_p(out.data_ptr), n)
            if rc:
                raise RuntimeError(f"cuBLAS gemm failed ({rc})")
    if a.ndim == 1 and b.ndim == 1:
        return out.reshape_view(())
    if a.ndim == 1:
        return out.reshape_view((n,))
    if b.ndim == 1:
        return out.reshape_view((m,))
    return out
