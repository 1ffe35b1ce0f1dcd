"""The dotcompute namespace: NumPy's public names, returning dotcompute arrays.

- Creation functions (empty/zeros/ones/full/*_like/asarray/array/arange/...) take
  `device=` and allocate from the pool (cpu) or through the device's backend; every other NumPy function runs NumPy's code on zero-copy views, with its
  allocations served by the pool, and array results wrapped without a copy.
- Every NumPy ufunc appears as a `dotcompute.ufunc` of the same name: calls use our kernels
  when the operands allow it and NumPy's loops otherwise; its methods (reduce, accumulate,
  reduceat, outer, at) go through the same protocol.
- dtypes, constants and submodules are NumPy's own objects.
"""
import functools
import types

import numpy as np

from ._core import _routines_creation, _routines_function
from ._core._ndarray import ndarray
from ._core._routines_elementwise import ufunc
from ._core._routines_creation import asarray
from ._core._device import CPU, as_device



def _wrap_function(f):
    """NumPy function f returning dotcompute arrays (zero-copy views in, results wrapped;
    see `_routines_function.call_numpy`); past NumPy's dispatch when no argument could
    override f (`call_numpy_function`). A C-level callable (`numpy_function`): the call
    reaches NumPy's implementation without a Python frame, tuple or dict of ours."""
    return _routines_function.numpy_function(f)


_KDLCUDA = 2


def from_dlpack(x, /, *, device=None, copy=None):
    """Array from a DLPack producer; memory is shared (no copy) unless copy=True
    (copy=False raises BufferError where sharing is impossible): CPU tensors give cpu
    arrays, CUDA tensors (torch, CuPy, ...) arrays on cuda:N. `device=` places the result
    (ValueError for an unknown device)."""
    target = as_device(device)
    dev = getattr(x, "__dlpack_device__", None)
    if dev is not None and device is None and copy is not True:
        kind, index = dev()
        if kind == _KDLCUDA:
            from ._core._device import Device, backend
            return backend(Device("cuda", int(index))).from_dlpack(x)
    if target is CPU:
        arr = np.from_dlpack(x, device=None if device is None else "cpu", copy=copy)
    else:
        arr = np.from_dlpack(x, copy=copy)
    r = asarray(arr, copy=False)
    return r if target is CPU else r.to_device(target)


def asnumpy(x, stream=None):
    """A NumPy array of x: a host copy for arrays on another device (CuPy's name)."""
    if isinstance(x, ndarray) and str(x.device) != "cpu":
        return x.get(stream=stream)
    return np.asarray(x)


# Functions we implement (creation with device=, accelerated or array-returning routines);
# every other NumPy function is wrapped.
_OWN = {
    "ndarray": ndarray, "from_dlpack": from_dlpack, "asnumpy": asnumpy,
    **{name: getattr(_routines_creation, name) for name in (
        "asarray", "array", "empty", "zeros", "ones", "full", "empty_like", "zeros_like",
        "ones_like", "full_like", "asanyarray", "ascontiguousarray", "arange", "linspace",
        "eye", "identity")},
    **{name: getattr(_routines_function, name) for name in (
        "sum", "prod", "min", "max", "amin", "amax", "any", "all", "argmin", "argmax",
        "mean", "cumsum", "cumprod", "dot", "vdot", "clip", "where", "concatenate",
        "flip", "fliplr", "flipud", "diff", "reshape", "ravel", "transpose",
        "copy", "repeat", "stack", "outer", "median", "std", "var", "quantile",
        "percentile", "unique", "searchsorted", "digitize", "nanmedian", "histogram",
        "interp", "bincount", "nonzero", "argwhere", "flatnonzero", "isin", "polyval",
        "lexsort", "nansum", "nanmean", "nanvar", "nanstd", "roll", "cross", "convolve",
        "correlate", "einsum", "angle", "unwrap")},
}

# Names whose NumPy objects are returned unchanged (no array results to wrap).
_PASSTHROUGH_TYPES = (type, np.dtype, types.ModuleType, int, float, bool, dict, tuple,
                      type(None), str)


def _wrap_module(module, name):
    """A module of the same functions returning dotcompute arrays (np.random, np.linalg,
    np.fft); classes and constants are NumPy's."""
    wrapped = types.ModuleType(f"dotcompute.{name}", module.__doc__)
    for attr in dir(module):
        if attr.startswith("_"):
            continue
        obj = getattr(module, attr)
        if callable(obj) and not isinstance(obj, type):
            setattr(wrapped, attr, _wrap_function(obj))
        else:
            setattr(wrapped, attr, obj)
    from . import _standard          # the standard's call accepted as well (fftfreq, ...)
    for attr, f in _standard.SUBMODULE_OWN.get(name, {}).items():
        setattr(wrapped, attr, f)
    return wrapped


_WRAPPED_MODULES = ("random", "linalg", "fft")


_SKIP = ("ndarray", "matrix", "test", "show_config", "show_runtime")
_ENTRIES = {}        # name -> its dotcompute object (made once, shared by every caller)


def _public_names():
    return [name for name in dir(np) if not name.startswith("_") and name not in _SKIP]


def entry(name):
    """The dotcompute object for NumPy's public name `name` (made once)."""
    try:
        return _ENTRIES[name]
    except KeyError:
        pass
    from . import _standard          # sort/argsort with the standard's descending=
    if name in _standard.OWN:
        obj = _standard.OWN[name]
    elif name in _OWN:
        obj = _OWN[name]
    else:
        obj = getattr(np, name)
        if name in _WRAPPED_MODULES:
            obj = _wrap_module(obj, name)
        elif isinstance(obj, np.ufunc):
            obj = ufunc(obj)
        elif isinstance(obj, _PASSTHROUGH_TYPES) or not callable(obj) or isinstance(obj, type):
            pass
        else:
            obj = _wrap_function(obj)
    _ENTRIES[name] = obj
    return obj


def eager_namespace():
    """(names -> objects for every name NumPy has already loaded, the set of the other
    public names). The others are NumPy's lazily imported submodules (f2py, testing, ma,
    polynomial, random, fft, ...): the package resolves them on first use through its
    module `__getattr__` (see `entry`), so `import dotcompute` does not import them."""
    ns, lazy = {}, set()
    for name in _public_names():
        if name in np.__dict__ or name in _OWN:
            ns[name] = entry(name)
        else:
            lazy.add(name)
    for name in _OWN:
        ns[name] = entry(name)
    return ns, lazy


@functools.lru_cache(maxsize=None)
def build_namespace():
    """Dict of every public NumPy name mapped to its dotcompute counterpart (built once:
    the package and the dask hooks share its objects)."""
    ns = {name: entry(name) for name in _public_names()}
    ns.update(_OWN)
    return ns
