# Typing of the dotcompute namespace. At run time the package builds NumPy's namespace over
# dotcompute arrays (dotcompute._namespace): the names dotcompute implements itself are
# typed here; every other NumPy name (wrapped functions, ufuncs, dtypes, constants,
# submodules) is Any to a type checker (the module-level __getattr__ below).
from typing import Any

from ._compiler import ElementwiseKernel as ElementwiseKernel, evaluate as evaluate
from ._core._array_api import __array_namespace_info__ as __array_namespace_info__
from ._core._memory import (DeviceMemory as DeviceMemory, MemoryPool as MemoryPool,
                            OutOfMemoryError as OutOfMemoryError,
                            pool_info as pool_info,
                            reset_accumulated_memory_stats as reset_accumulated_memory_stats,
                            reset_peak_memory_stats as reset_peak_memory_stats,
                            size_histogram as size_histogram, use_for_numpy as use_for_numpy)
from ._core._ndarray import ndarray as ndarray
from ._core._pools import (get_default_memory_pool as get_default_memory_pool,
                           memory_stats as memory_stats, memory_summary as memory_summary)
from ._core._routines_creation import (arange as arange, array as array, asanyarray as asanyarray,
                                       asarray as asarray,
                                       ascontiguousarray as ascontiguousarray, empty as empty,
                                       empty_like as empty_like, eye as eye, full as full,
                                       full_like as full_like, identity as identity,
                                       linspace as linspace, ones as ones, ones_like as ones_like,
                                       zeros as zeros, zeros_like as zeros_like)
from ._core._routines_elementwise import ufunc as ufunc
from ._core._routines_function import (all as all, amax as amax, amin as amin, any as any,
                                       argmax as argmax, argmin as argmin, clip as clip,
                                       cumprod as cumprod, cumsum as cumsum, dot as dot, max as max, mean as mean, min as min,
                                       prod as prod, sum as sum, vdot as vdot, where as where)
from ._runtime import (get_cpu_capability as get_cpu_capability,
                       get_num_threads as get_num_threads, runtime_info as runtime_info,
                       set_num_threads as set_num_threads, show_runtime as show_runtime)
from ._standard import argsort as argsort, sort as sort

__version__: str
__cpu_features__: dict[str, bool]

def from_dlpack(x: Any, /, *, device: Any = ..., copy: bool | None = ...) -> ndarray: ...

__array_api_version__: str

def __getattr__(name: str) -> Any: ...
