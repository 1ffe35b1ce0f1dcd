"""Import-time choice of the kernel build.

The best build the CPU can run is chosen once, when dotcompute is imported;
DOTCOMPUTE_CPU_CAPABILITY may only lower it. A build is imported only after the CPU has
been checked for every instruction it may use (by `_cpu`, a baseline module), because
importing a module built for an ISA the CPU lacks dies by SIGILL, which nothing can catch.
"""
import importlib
import importlib.util
import os
import warnings

from . import _cpu

ENV_VAR = "DOTCOMPUTE_CPU_CAPABILITY"


def builds_available():
    """Kernel builds present in this installation, lowest first (found without importing)."""
    return [b for b in _cpu.BUILDS
            if importlib.util.find_spec(f"dotcompute._core._kernels_{b}") is not None]


def builds_supported():
    """Builds present that this CPU can execute, lowest first."""
    return [b for b in builds_available() if _cpu.cpu_supports_build(b)]


def choose_build(requested=None):
    """Name of the build to use, warning (RuntimeWarning) when `requested` cannot be had."""
    supported = builds_supported()
    if not supported:
        raise ImportError("dotcompute: no kernel build of this installation can run here "
                          f"(built: {builds_available() or 'none'}); reinstall dotcompute")
    best = supported[-1]
    if requested is None:
        requested = os.environ.get(ENV_VAR, "")
    requested = requested.strip().lower()
    if not requested or requested == best:
        return best
    if requested not in _cpu.BUILDS:
        reason = f"is not a build of this architecture (builds: {', '.join(_cpu.BUILDS)})"
    elif requested not in builds_available():
        reason = "was not built in this installation"
    elif requested not in supported:
        reason = "needs CPU features this CPU lacks"
    else:
        return requested
    warnings.warn(f"{ENV_VAR}={requested!r} {reason}; using the {best!r} build instead",
                  RuntimeWarning, stacklevel=3)
    return best


build = choose_build()
kernels = importlib.import_module(f"dotcompute._core._kernels_{build}")
