"""The cuda device's backend (the device seam's protocol, see `dotcompute/_core/_device.py`).

A GPU array is a `dotcompute.ndarray` whose device is `cuda:N`; its entry points delegate
here.  Each method reads the arrays as `DeviceView`s (pointer, shape, strides, dtype:
what the kernels take), runs the package's routines, and wraps results with
`wrap_memory` (the GPU allocation stays the owner).  Nothing here copies between host and
device unless asked: `to_host`/`copy_to` do; a function without a GPU implementation
raises TypeError naming it.
"""
import numpy as np

from dotcompute._core._device import CPU, Device
from dotcompute._core._ndarray import ndarray, wrap_memory

from . import _driver, _elementwise as ew, _reduction, _routines
from ._array import DeviceView, c_strides
from ._transfer import empty as _empty, from_host as _from_host, to_host as _to_host

_devices = {}


def _device(i):
    d = _devices.get(i)
    if d is None:
        d = _devices[i] = Device("cuda", i)
    return d


def view(x):
    """The DeviceView of a GPU ndarray (its memory made safe to use on this thread's
    stream: `_driver.ready`)."""
    owner = x._owner
    _driver.ready(owner)
    return DeviceView(owner, x.data_ptr, x.shape, x.strides, x.dtype, x.device.index)


def wrap(v):
    """A GPU ndarray over a DeviceView's memory."""
    return wrap_memory(v._owner, v.data_ptr, v.shape, v.strides, v.dtype, _device(v.device_id))


def _operand(x, dev):
    """An operand of a GPU operation: GPU arrays as views, scalars as they are; host
    arrays are refused (no hidden transfers)."""
    if type(x) is ndarray or isinstance(x, ndarray):
        if x.device == CPU:
            if x.ndim == 0:
                return x.item()
            raise ValueError(f"operands are on different devices: cpu and {dev} "
                             "(move one with x.to_device(...))")
        return view(x)
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return x[()]
        raise ValueError(f"operands are on different devices: cpu and {dev} "
                         "(move one with x.to_device(...))")
    if isinstance(x, (list, tuple)):
        return type(x)(_operand(y, dev) for y in x)
    return x


def _result(r):
    if isinstance(r, DeviceView):
        return wrap(r)
    if isinstance(r, tuple):
        return tuple(_result(y) for y in r)
    if isinstance(r, list):
        return [_result(y) for y in r]
    return r


def _not_implemented(name, dev):
    return TypeError(f"dotcompute: numpy.{name} is not implemented for arrays on {dev}")


_REDUCE_UFUNCS = {"add": "sum", "multiply": "prod", "minimum": "min", "maximum": "max",
                  "logical_or": "any", "logical_and": "all"}


def _reduction_fn(op):
    def f(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        if out is not None or kw:
            raise TypeError(f"dotcompute: numpy.{op} on the GPU takes axis, dtype and "
                            f"keepdims only")
        return _reduction.reduce(op, a, axis=axis, keepdims=keepdims, dtype=dtype)
    return f


def _arg_fn(op):
    def f(a, axis=None, out=None, keepdims=False):
        if out is not None:
            raise TypeError(f"dotcompute: numpy.{op} on the GPU does not take out=")
        return _reduction.reduce(op, a, axis=axis, keepdims=keepdims)
    return f


def _like(kind):
    def f(a, dtype=None, order="K", subok=True, shape=None, **kw):
        shp = a.shape if shape is None else shape
        dt = a.dtype if dtype is None else np.dtype(dtype)
        out = _empty(shp if isinstance(shp, tuple) else (shp,), dt, a.device_id)
        if kind == "zeros":
            ew.fill(out, 0)
        elif kind == "ones":
            ew.fill(out, 1)
        return out
    return f


def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    out = _like("empty")(a, dtype=dtype, shape=shape)
    ew.fill(out, fill_value)
    return out


def _where(cond, x=None, y=None):
    if x is None or y is None:
        raise TypeError("dotcompute: numpy.where with one argument (nonzero) is not "
                        "implemented on the GPU")
    return ew.where(cond, x, y)


def _clip(a, a_min=None, a_max=None, out=None, **kw):
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    if a_min is None and a.dtype.kind in "iub":
        lo = np.iinfo(a.dtype).min if a.dtype.kind != "b" else 0
    if a_max is None and a.dtype.kind in "iub":
        hi = np.iinfo(a.dtype).max if a.dtype.kind != "b" else 1
    return ew.clip(a, lo, hi, out=out)


def _copy(a, order="K", subok=False):
    return ew.copy(a)


def _astype(a, dtype, copy=True):
    return ew.astype(a, dtype)


def _dot(a, b, out=None):
    if out is not None:
        raise TypeError("dotcompute: numpy.dot on the GPU does not take out=")
    return _routines.matmul(a, b)


_FUNCTIONS = {
    "sum": _reduction_fn("sum"), "prod": _reduction_fn("prod"), "min": _reduction_fn("min"),
    "max": _reduction_fn("max"), "amin": _reduction_fn("min"), "amax": _reduction_fn("max"),
    "any": _reduction_fn("any"), "all": _reduction_fn("all"), "mean": _reduction_fn("mean"),
    "argmin": _arg_fn("argmin"), "argmax": _arg_fn("argmax"),
    "where": _where, "clip": _clip, "copy": _copy, "astype": _astype,
    "concatenate": _routines.concatenate, "stack": _routines.stack,
    "reshape": lambda a, shape=None, order="C", **kw: _routines.reshape(
        a, shape if shape is not None else kw.pop("newshape"), order),
    "transpose": lambda a, axes=None: _routines.transpose(a, axes),
    "ravel": lambda a, order="C": _routines.ravel(a),
    "matmul": lambda a, b, **kw: _routines.matmul(a, b), "dot": _dot,
    "empty_like": _like("empty"), "zeros_like": _like("zeros"), "ones_like": _like("ones"),
    "full_like": _full_like,
}


class CudaBackend:
    """Routines of GPU arrays behind the device-backend protocol."""

    kind = "cuda"

    def validate(self, device):
        from . import require
        require()
        n = _driver.device_count()
        if device.index >= n:
            raise RuntimeError(f"{device} does not exist: {n} GPU(s) visible "
                               f"(cuda:0 .. cuda:{n - 1})")

    # --- creation and transfers ----------------------------------------------------------

    def empty(self, shape, dtype, order, device):
        dtype = np.dtype(float if dtype is None else dtype)
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        v = _empty(shape, dtype, device.index)
        if order == "F" and len(shape) > 1:
            strides = c_strides(shape[::-1], dtype.itemsize)[::-1]
            v = DeviceView(v._owner, v.data_ptr, shape, strides, dtype, device.index)
        return wrap(v)

    def full(self, shape, value, dtype, order, device):
        if dtype is None:
            dtype = np.array(value).dtype
        out = self.empty(shape, dtype, order, device)
        ew.fill(view(out), value)
        return out

    def from_host(self, numpy_array, device):
        return wrap(_from_host(np.asarray(numpy_array), device.index))

    def to_host(self, x):
        return _to_host(view(x))

    def copy_to(self, x, device, stream=None):
        """x on another device. With `stream` (a dotcompute Stream, a CUstream handle as an
        int, or an object with CuPy's `ptr` / torch's `cuda_stream`), the allocation and
        the copy are queued on that stream, after the work already there, and the copy
        has finished when this returns."""
        if stream is None:
            return self._copy_to(x, device, None)
        dev = device.index if device != CPU else x.device.index
        s = _as_stream(stream, dev)
        with s:
            return self._copy_to(x, device, s)

    def _copy_to(self, x, device, s):
        if device == CPU:
            host = _to_host(view(x), stream=s)
            owner = host.base if host.base is not None else host
            return wrap_memory(owner, host.__array_interface__["data"][0], host.shape,
                               host.strides, host.dtype, CPU)
        if x.device == CPU:
            return wrap(_from_host(np.asarray(x), device.index, stream=s))
        if x.device == device:
            return wrap(ew.copy(view(x)))
        return wrap(_from_host(_to_host(view(x), stream=s), device.index, stream=s))

    def memory_pool(self):
        return _driver.get_pool()

    # --- interop -----------------------------------------------------------------------

    def dlpack(self, x, stream=None, max_version=None, dl_device=None, copy=None):
        return view(x).__dlpack__(stream=stream, max_version=max_version,
                                  dl_device=dl_device, copy=copy)

    def dlpack_device(self, x):
        return (2, x.device.index)

    def cuda_array_interface(self, x):
        return view(x).__cuda_array_interface__

    def from_dlpack(self, obj):
        return wrap(_driver.from_dlpack(obj))

    # --- operations ----------------------------------------------------------------------

    # the per-call fast path (dc arrays in, contiguous kernel, one launch, all in Cython):
    # the array layer calls it first for operators on arrays of this device
    fast_call = staticmethod(_driver.fast_call)

    def ufunc(self, ufunc, method, inputs, kwargs):
        if method == "__call__" and not kwargs and 0 < len(inputs) < 3:
            r = _driver.fast_call(ufunc, inputs[0], inputs[1] if len(inputs) == 2 else None)
            if r is not None:
                return r
        dev = next(x.device for x in inputs if isinstance(x, ndarray) and x.device != CPU) \
            if any(isinstance(x, ndarray) and x.device != CPU for x in inputs) else None
        if dev is None:
            out = kwargs.get("out")
            dev = (out[0] if isinstance(out, tuple) else out).device
        ops = [_operand(x, dev) for x in inputs]
        out = kwargs.pop("out", None)
        if isinstance(out, tuple):
            if len(out) != 1:
                raise _not_implemented(ufunc.__name__, dev)
            out = out[0]
        if out is not None:
            out = _operand(out, dev)
        if method == "__call__" and ufunc is np.matmul and out is None and not kwargs:
            return _result(_routines.matmul(*ops))
        if method == "__call__":
            for k, v in kwargs.items():
                if not ((k == "casting" and v == "same_kind") or (k == "where" and v is True)
                        or (k in ("dtype", "signature") and v is None) or k == "subok"):
                    raise TypeError(f"dotcompute: numpy.{ufunc.__name__}(..., {k}=...) is "
                                    f"not implemented for arrays on {dev}")
            if ufunc.nout != 1:
                raise _not_implemented(ufunc.__name__, dev)
            return _result(ew.ufunc_call(ufunc, ops, out))
        if method == "reduce" and ufunc.__name__ in _REDUCE_UFUNCS and out is None:
            axis = kwargs.get("axis", 0)
            return _result(_reduction.reduce(_REDUCE_UFUNCS[ufunc.__name__], ops[0],
                                             axis=axis, keepdims=kwargs.get("keepdims",
                                                                            False),
                                             dtype=kwargs.get("dtype")))
        raise _not_implemented(f"{ufunc.__name__}.{method}", dev)

    def array_function(self, func, types, args, kwargs):
        name = func.__name__
        dev = _first_gpu_device(args, kwargs)
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise _not_implemented(name, dev)
        args = tuple(_operand(a, dev) for a in args)
        kwargs = {k: _operand(v, dev) for k, v in kwargs.items()}
        return _result(fn(*args, **kwargs))

    def getitem(self, x, key):
        return _result(_routines.getitem(view(x), _operand_key(key, x.device)))

    def setitem(self, x, key, value):
        _routines.setitem(view(x), _operand_key(key, x.device), _operand(value, x.device))


def _as_stream(stream, device):
    """A dotcompute Stream for a `to_device(..., stream=)` argument."""
    if isinstance(stream, _driver.Stream):
        return stream
    if isinstance(stream, bool):
        raise TypeError(f"stream must be a stream or a CUstream handle, not {stream!r}")
    if isinstance(stream, int):
        ptr = stream
    else:
        ptr = getattr(stream, "ptr", None)             # CuPy
        if ptr is None:
            ptr = getattr(stream, "cuda_stream", None)  # torch
        if not isinstance(ptr, int):
            raise TypeError(f"stream must be a stream or a CUstream handle, not "
                            f"{type(stream).__name__}")
    return _driver.Stream(device=device, ptr=ptr)


def _operand_key(key, dev):
    if isinstance(key, tuple):
        return tuple(_operand_key(k, dev) for k in key)
    if isinstance(key, ndarray):
        return view(key) if key.device != CPU else np.asarray(key)
    return key


def _first_gpu_device(args, kwargs):
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, ndarray) and a.device != CPU:
            return a.device
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, ndarray) and b.device != CPU:
                    return b.device
    return "cuda"


backend = CudaBackend()
