"""dotcompute: a Cython-accelerated, NumPy-compatible array runtime for multicore CPUs."""
__version__ = "0.1.0"

from ._core import _cpu
from ._core._dispatch import build as _build
from ._runtime import (get_cpu_capability, get_num_threads, runtime_info, set_num_threads,
                       show_runtime)

__cpu_features__ = _cpu.cpu_features()
