"""dask integration: dotcompute arrays as dask.array chunks, sized and serialized for
dask.distributed.

dotcompute never imports dask. `install()` (run when dotcompute is imported) registers
*lazy* hooks with dask's dispatchers, keyed on the top-level module name "dotcompute"
(dask's own mechanism for CuPy and sparse): they run the first time dask meets a
dotcompute array. If dask has not been imported yet, a post-import hook on sys.meta_path
adds the lazy registrations when the dask modules holding the dispatchers are imported,
and removes itself once all of them have been seen.

What is registered:
- dask.array.dispatch: concatenate, take, tensordot, einsum, empty, divide, percentile,
  numel/nannumel, to_numpy -- dotcompute implementations, so chunk results stay
  dotcompute arrays;
- dask.sizeof: an array's size is its nbytes (not the few bytes of the Python object);
- distributed's "dask" serializer family: header + one zero-copy frame of the data
  (distributed's NumPy serializer on a zero-copy view), rebuilt without a copy.
"""
import importlib.abc
import sys
import threading

_TOPLEVEL = "dotcompute"
_lock = threading.Lock()


def _dc():
    """The dotcompute namespace (without importing the package from below it)."""
    import types
    from ._namespace import build_namespace
    return types.SimpleNamespace(**build_namespace())


# --------------------------------------------------------------- registrations

def _register_array():
    """Called by dask.array's dispatchers the first time they see a dotcompute array."""
    import numpy as np
    from dask.array import dispatch as d
    dc = _dc()

    nd = dc.ndarray
    d.concatenate_lookup.register(nd, dc.concatenate)
    d.take_lookup.register(nd, dc.take)
    d.tensordot_lookup.register(nd, dc.tensordot)
    d.einsum_lookup.register(nd, dc.einsum)
    d.empty_lookup.register(nd, dc.empty)

    @d.divide_lookup.register(nd)
    def _divide(x1, x2, out=None, dtype=None):
        r = dc.divide(x1, x2, out=out)
        return r if dtype is None else r.astype(dtype, copy=False)

    # numel, nannumel and percentile: NumPy's implementations (as dask registered them)
    # on zero-copy views, with array results wrapped back.
    import dask.array.backends  # noqa: F401  (registers the NumPy implementations)

    # Chunks on a GPU: numel reads the shape only and nannumel is ufuncs and a sum, so
    # dask's generic code runs on the chunk itself; NumPy results go to its device
    # (percentile has no GPU implementation: NumPy's conversion raises TypeError).
    from ._core._device import CPU

    def on_numpy(lookup, generic):
        numpy_impl = lookup.dispatch(np.ndarray)

        def impl(x, *args, **kwargs):
            if generic and x.device is not CPU:
                r = numpy_impl(x, *args, **kwargs)
                return dc.asarray(r, device=x.device) if isinstance(r, np.ndarray) else r
            return _wrap(numpy_impl(np.asarray(x), *args, **kwargs))
        lookup.register(nd, impl)

    for lookup, generic in ((d.numel_lookup, True), (d.nannumel_lookup, True),
                            (d.percentile_lookup, False)):
        on_numpy(lookup, generic)

    @d.to_numpy_dispatch.register(nd)
    def _to_numpy(x, **kwargs):
        return np.asarray(x if x.device is CPU else x.to_device("cpu"), **kwargs)

    def _wrap(r):
        if isinstance(r, tuple):
            return tuple(_wrap(v) for v in r)
        return dc.asarray(r, copy=False) if type(r) is np.ndarray else r


def _register_sizeof():
    from dask.sizeof import sizeof
    from ._core._ndarray import ndarray

    @sizeof.register(ndarray)
    def _sizeof(x):
        if 0 in x.strides:
            x = x[tuple(slice(None) if s != 0 else slice(1) for s in x.strides)]
        return int(x.nbytes)


def _register_serialization():
    import numpy as np
    from ._core._ndarray import ndarray
    from ._core._routines_creation import asarray
    from distributed.protocol.numpy import (deserialize_numpy_ndarray,
                                            serialize_numpy_ndarray)
    from distributed.protocol.serialize import dask_deserialize, dask_serialize

    @dask_serialize.register(ndarray)
    def _serialize(x, context=None):
        # A zero-copy NumPy view: one frame over our memory (non-contiguous arrays are
        # made contiguous first, as for NumPy arrays).
        return serialize_numpy_ndarray(np.asarray(x), context)

    @dask_deserialize.register(ndarray)
    def _deserialize(header, frames):
        return asarray(deserialize_numpy_ndarray(header, frames), copy=False)


class _Once:
    """A registration run at most once, however many dispatchers trigger it."""

    def __init__(self, f):
        self.f = f
        self.ran = False

    def __call__(self):
        if not self.ran:
            self.ran = True
            self.f()


# module whose import brings dispatchers -> (their getter, registration run once)
def _array_dispatchers():
    from dask.array import dispatch as d
    return [d.concatenate_lookup, d.take_lookup, d.tensordot_lookup, d.einsum_lookup,
            d.empty_lookup, d.divide_lookup, d.percentile_lookup, d.numel_lookup,
            d.nannumel_lookup, d.to_numpy_dispatch]


def _sizeof_dispatchers():
    from dask.sizeof import sizeof
    return [sizeof]


def _serialize_dispatchers():
    from distributed.protocol.serialize import dask_deserialize, dask_serialize
    return [dask_serialize, dask_deserialize]


_HOOKS = {
    "dask.array.dispatch": (_array_dispatchers, _Once(_register_array)),
    "dask.sizeof": (_sizeof_dispatchers, _Once(_register_sizeof)),
    "distributed.protocol.serialize": (_serialize_dispatchers,
                                       _Once(_register_serialization)),
}
_done = set()


def _register_lazy(modname):
    """Register the lazy hooks for the dispatchers of an (already imported) module."""
    with _lock:
        if modname in _done:
            return
        _done.add(modname)
    getter, once = _HOOKS[modname]
    for dispatcher in getter():
        dispatcher.register_lazy(_TOPLEVEL, once)


# ------------------------------------------------------------- post-import hook

class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for the watched dask modules it asks the other finders and
    wraps the loader so that our lazy hooks are added right after the module runs."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in _HOOKS or fullname in _done:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_hook(module):
            exec_module(module)
            try:
                _register_lazy(fullname)
            finally:
                _maybe_uninstall()

        try:
            spec.loader.exec_module = exec_then_hook
        except (AttributeError, TypeError):
            return spec
        return spec


_finder = None


def _maybe_uninstall():
    global _finder
    if _finder is not None and _done >= set(_HOOKS):
        try:
            sys.meta_path.remove(_finder)
        except ValueError:
            pass
        _finder = None


def install():
    """Hook dotcompute into dask without importing dask: modules already imported are
    registered now, the others when they are imported."""
    global _finder
    for modname in _HOOKS:
        if modname in sys.modules:
            _register_lazy(modname)
    if _done >= set(_HOOKS) or _finder is not None:
        return
    _finder = _PostImportFinder()
    sys.meta_path.insert(0, _finder)


def register():
    """Register everything now (imports dask and, if installed, distributed)."""
    import dask.array.dispatch  # noqa: F401
    import dask.sizeof  # noqa: F401
    mods = ["dask.array.dispatch", "dask.sizeof"]
    try:
        import distributed.protocol.serialize  # noqa: F401
        mods.append("distributed.protocol.serialize")
    except ImportError:
        pass
    for modname in mods:
        _register_lazy(modname)
        _HOOKS[modname][1]()
