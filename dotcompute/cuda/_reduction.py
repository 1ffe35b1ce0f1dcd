"""Reductions on GPU arrays: sum, prod, min, max, argmin, argmax, any, all, mean.

Result dtypes are NumPy's defaults (sum/prod of bool and signed ints -> int64, of unsigned
ints -> uint64; mean of ints -> float64; argmin/argmax -> int64; any/all -> bool).  Results
stay on the GPU: a full reduction gives a 0-d GPU array.

* full reduction of C-contiguous data: per-block partials with 16-byte loads (at most
  4 blocks per multiprocessor, grid-stride), then one block reduces the partials;
  other layouts are first copied to C order;
* per-axis: the reduced axes form the inner index space and the kept axes the outer one
  (both collapsed); one warp reduces each output element, or one block when there are few
  outputs and long rows.
"""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from . import _compile, _driver
from ._array import DeviceView
from ._codegen import reduce_out_type, reduce_source
from ._elementwise import THREADS, _geometry, _sms, copy, short
from ._transfer import empty

OPS = ("sum", "prod", "min", "max", "argmin", "argmax", "any", "all", "mean")
_kernels = {}
_NO_IDENTITY = {"min": "minimum", "max": "maximum"}


def _function(op, t, ndo, ndi, group, dev):
    k = (op, t, ndo, ndi, group, dev)
    f = _kernels.get(k)
    if f is None:
        src = reduce_source(op, t, "dc_reduce", ndo, ndi, group)
        f = _kernels[k] = _compile.get_function(src, "dc_reduce", dev)
    return f


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, tuple):
        axis = (axis,)
    out = []
    for a in axis:
        a = normalize_axis_index(operator.index(a), ndim)
        if a in out:
            raise ValueError("duplicate value in 'axis'")
        out.append(a)
    return tuple(sorted(out))


def _geo_bytes(oshape, ost, ishape, ist, ndo, ndi):
    vals = (list(oshape) + [0] * (max(ndo, 1) - len(oshape)) +
            list(ost) + [0] * (max(ndo, 1) - len(ost)) +
            list(ishape) + [0] * (max(ndi, 1) - len(ishape)) +
            list(ist) + [0] * (max(ndi, 1) - len(ist)))
    return np.array(vals, np.int64).tobytes()


def reduce(op, x, axis=None, keepdims=False, dtype=None):
    """`numpy.<op>(x, axis=axis, keepdims=keepdims)` on a GPU array."""
    if op not in OPS:
        raise TypeError(f"dotcompute: numpy.{op} is not implemented for arrays on the GPU")
    if dtype is not None:
        from ._elementwise import astype
        x = astype(x, dtype)
    t = short(x.dtype)
    nd = x.ndim
    if op in ("argmin", "argmax"):
        if axis is not None and isinstance(axis, tuple):
            raise TypeError("'tuple' object cannot be interpreted as an integer")
    axes = _normalize_axis(axis, nd)
    dev = x.device_id
    out_dtype = np.dtype(reduce_out_type(op, t)) if not (op == "mean" and t == "f4") \
        else np.dtype(np.float32)
    kept = [d for d in range(nd) if d not in axes]
    out_shape = tuple(x.shape[d] for d in kept)
    k_count = 1
    for d in axes:
        k_count *= x.shape[d]
    if k_count == 0 and op in ("min", "max", "argmin", "argmax"):
        if op in _NO_IDENTITY:
            raise ValueError(f"zero-size array to reduction operation {_NO_IDENTITY[op]} "
                             f"which has no identity")
        raise ValueError(f"attempt to get {op} of an empty sequence")
    if op in ("argmin", "argmax") and axis is None:
        axes = tuple(range(nd))
    final_shape = (tuple(1 if d in axes else x.shape[d] for d in range(nd))
                   if keepdims else out_shape)
    out = empty(out_shape, out_dtype, dev)
    m_count = out.size
    if m_count == 0:
        return _reshape(out, final_shape)
    if len(kept) == 0:
        _full(op, t, x, out, k_count, dev)
        return _reshape(out, final_shape)
    # outer space: kept axes (strides of x); inner: reduced axes (strides of x)
    oshape, (ost,) = _geometry(out_shape, [(out_shape, tuple(x.strides[d] for d in kept))])
    ishape_full = tuple(x.shape[d] for d in axes)
    if k_count == 0:
        ishape, ist = [0], [0]
    else:
        ishape, (ist,) = _geometry(ishape_full, [(ishape_full, tuple(x.strides[d]
                                                                     for d in axes))])
    group = 256 if (m_count < 4 * _sms(dev) and k_count >= 4096) else 32
    f = _function(op, t, len(oshape), len(ishape), group, dev)
    per_block = THREADS // group
    blocks = max(1, min((m_count + per_block - 1) // per_block, _sms(dev) * 32))
    geo = _geo_bytes(oshape, ost, ishape, ist, len(oshape), len(ishape))
    _driver.launch1d(f, blocks, THREADS, (x.data_ptr, out.data_ptr, 0, 0, k_count,
                                          m_count, k_count, 0, geo))
    return _reshape(out, final_shape)


def _full(op, t, x, out, n, dev):
    if not x.c_contiguous:
        x = copy(x)
    f = _function(op, t, 0, 1, 256, dev)
    geo = _geo_bytes([], [], [], [], 0, 1)
    if n == 0:
        blocks = 1
    else:
        blocks = max(1, min((n + THREADS * 2 - 1) // (THREADS * 2), _sms(dev) * 4))
    arg = op in ("argmin", "argmax")
    acc_itemsize = 8
    partial = _driver.alloc(blocks * acc_itemsize)
    partial_idx = _driver.alloc(blocks * 8) if arg else None
    pi = partial_idx.ptr if arg else 0
    _driver.launch1d(f, blocks, THREADS, (x.data_ptr, out.data_ptr, partial.ptr, pi, n, 1,
                                          n, 1, geo))
    _driver.launch1d(f, 1, THREADS, (x.data_ptr, out.data_ptr, partial.ptr, pi, blocks, 1,
                                     n, 2, geo))
    # partial blocks return to the pool on this stream: stream order keeps them valid


def _reshape(out, shape):
    if out.shape == tuple(shape):
        return out
    v = out.reshape_view(shape)
    return v
