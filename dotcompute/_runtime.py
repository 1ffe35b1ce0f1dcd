"""Threads and the runtime report."""
import os
import sys

import numpy as np

from ._core import _cpu
from ._core import _dispatch


def _cgroup_cpu_limit():
    """CPUs allowed by a cgroup CPU quota (v2 cpu.max or v1 cfs files), or None."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        if quota > 0 and period > 0:
            return max(1, -(-quota // period))
    except (OSError, ValueError):
        pass
    return None


def available_cpus():
    """CPUs this process may use: affinity mask, lowered by a cgroup quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    return min(n, limit) if limit else n


MAX_THREADS = 4096     # what set_num_threads accepts


def _initial_threads():
    for var in ("DOTCOMPUTE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                n = int(value.split(",")[0])   # OMP_NUM_THREADS may be a nesting list
                if 1 <= n <= MAX_THREADS:
                    return n
            except ValueError:
                pass
            import warnings
            warnings.warn(f"ignoring {var}={value!r}: not an integer in [1, {MAX_THREADS}]",
                          RuntimeWarning)
    return available_cpus()


set_num_threads = _cpu.set_num_threads
get_num_threads = _cpu.get_num_threads
set_num_threads(_initial_threads())


def get_cpu_capability():
    """Name of the kernel build in use: "scalar", "baseline", "avx2" or "avx512"."""
    return _dispatch.build


def _openmp_runtime():
    """Name and path of the OpenMP library loaded in this process (from /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                name = os.path.basename(path)
                if name.startswith(("libgomp", "libomp", "libiomp")):
                    return path
    except OSError:
        pass
    return "unknown"


def runtime_info():
    """The runtime report as a dict (what `show_runtime()` prints)."""
    from ._version import __version__

    features = _cpu.cpu_features()
    info = {
        "dotcompute": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "architecture": _cpu.ARCH,
        "build": _dispatch.build,
        "builds_available": _dispatch.builds_available(),
        "builds_supported": _dispatch.builds_supported(),
        "cpu_features_found": sorted(k for k, v in features.items() if v),
        "cpu_features_missing": sorted(k for k, v in features.items() if not v),
        "num_threads": get_num_threads(),
        "available_cpus": available_cpus(),
        "openmp_runtime": _openmp_runtime(),
    }
    from ._core import _memory, _numpy_loops
    info["memory_pool"] = _memory.pool_info()
    choices = _numpy_loops.numpy_loop_choices()
    info["numpy_loops_borrowed"] = sorted(f"{name}[{ch}]" for (name, ch), who
                                          in choices.items() if who == "numpy")
    return info


def show_runtime():
    """Print the runtime report."""
    info = runtime_info()
    width = max(len(k) for k in info)
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = " ".join(map(str, value)) or "-"
        print(f"{key:<{width}}  {value}")
