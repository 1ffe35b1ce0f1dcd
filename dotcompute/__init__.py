"""dotcompute: a Cython-accelerated, NumPy-compatible array runtime for multicore CPUs.

`import dotcompute as dc` gives NumPy's namespace over dotcompute arrays: results live in a
memory pool, element-wise operations and reductions run on kernels compiled for this
CPU's instruction set and spread over its cores; what is not accelerated runs NumPy's code
on zero-copy views.
"""
import os as _os
import sys as _sys


def _built_copy():
    """Where this package's compiled modules are when this copy has none: a source tree
    shadowing the installed package (`pip install . && python -m dotcompute` run in a
    fresh clone's root puts the clone's `dotcompute/`, unbuilt, first on the path). The
    first other `dotcompute` on sys.path whose `_core` holds the compiled modules, else
    None (this copy is built, or nothing is: the import then fails as before)."""
    def built(pkg):
        core = _os.path.join(pkg, "_core")
        try:
            return any(f.startswith("_cpu.") and f.endswith((".so", ".pyd"))
                       for f in _os.listdir(core))
        except OSError:
            return False
    here = _os.path.dirname(_os.path.abspath(__file__))
    if built(here):
        return None
    for entry in _sys.path:
        pkg = _os.path.join(_os.path.abspath(entry or _os.curdir), "dotcompute")
        if _os.path.realpath(pkg) != _os.path.realpath(here) and built(pkg):
            return pkg
    return None


_other = _built_copy()
if _other is not None:
    __path__[:] = [_other]          # every submodule (and __main__) from the built copy
del _other, _built_copy, _os, _sys

from ._version import __version__  # noqa: E402

# First: the OpenMP wait settings must be in place before the OpenMP runtime loads (with the
# first compiled module); _runtime sets them, then imports the core (see _runtime.py).
from . import _runtime as _rt
from ._core import _cpu
from ._core._dispatch import build as _build
from ._runtime import (get_cpu_capability, get_num_threads, runtime_info, set_num_threads,
                       show_runtime)
from ._core._memory import (DeviceMemory, MemoryPool, OutOfMemoryError, pool_info,
                            reset_accumulated_memory_stats, reset_peak_memory_stats,
                            size_histogram, use_for_numpy)
from ._core._pools import get_default_memory_pool, memory_stats, memory_summary
from . import _namespace

__cpu_features__ = _cpu.cpu_features()

# NumPy's names; those of NumPy's lazily imported submodules (f2py, testing, ma, random,
# fft, ...) are made on first use by __getattr__ below, so importing us does not import them.
_eager, _LAZY = _namespace.eager_namespace()
globals().update(_eager)
del _eager


def __getattr__(name):
    if name in _LAZY:
        obj = _namespace.entry(name)
        globals()[name] = obj
        return obj
    # dotcompute.cuda on first use of `dc.cuda` (it imports no CUDA package either: the
    # driver is opened when a GPU is first asked for)
    if name == "cuda":
        import importlib
        return importlib.import_module(".cuda", __name__)
    raise AttributeError(f"module 'dotcompute' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)


# The Array API standard's inspection surface (_core/_array_api.py).
from ._core._array_api import API_VERSION as __array_api_version__
from ._core._array_api import __array_namespace_info__

# The kernel compiler (fused expressions, user-defined kernels) sits above the array layer.
from ._compiler import ElementwiseKernel, evaluate

# dask integration, registered lazily: dask is never imported here (see _dask.py).
from . import _dask
_dask.install()
