"""Run-time compilation of CUDA C with NVRTC (from cuda-bindings), cached in memory and on disk.

A program is compiled once per (source, architecture, NVRTC version, codegen version); the
cubin is kept in ``$DOTCOMPUTE_CUDA_CACHE`` (default ``~/.cache/dotcompute/cuda``), one file
per key named by its SHA-256, written atomically, so a new process loads it instead of
compiling (CuPy's scheme).  Loaded modules are kept per (source, device) in memory.
"""
import hashlib
import os
import tempfile
import threading
import time

from . import _driver
from ._codegen import CODEGEN_VERSION

_lock = threading.Lock()
_modules = {}            # (source, device) -> _driver.Module
_arch = {}               # device -> "sm_XY"
# No FMA contraction by default: a*b + c rounds twice, as NumPy (and dotcompute's CPU
# kernels, built with -ffp-contract=off) computes it; DOTCOMPUTE_CUDA_FMA=1 lets NVRTC
# contract (CuPy's and torch's default).
OPTIONS = [b"--std=c++17", b"-default-device", b"--extra-device-vectorization",
           b"--fmad=true" if os.environ.get("DOTCOMPUTE_CUDA_FMA") == "1" else b"--fmad=false"]
_stats = {"compiled": 0, "disk_hits": 0, "memory_hits": 0, "compile_seconds": 0.0}


def _nvrtc():
    try:
        from cuda.bindings import nvrtc
    except ImportError as e:
        raise _driver.CUDAUnavailable(
            "NVRTC is not available: install cuda-bindings (pip install 'dotcompute[cuda]' "
            f"or pip install cuda-bindings cuda-core); the import failed with: {e}") from None
    return nvrtc


def nvrtc_version():
    nvrtc = _nvrtc()
    err, major, minor = nvrtc.nvrtcVersion()
    _check(nvrtc, err, "nvrtcVersion")
    return major, minor


def _check(nvrtc, err, call, prog=None):
    if err != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        log = ""
        if prog is not None:
            _, size = nvrtc.nvrtcGetProgramLogSize(prog)
            buf = b" " * size
            nvrtc.nvrtcGetProgramLog(prog, buf)
            log = buf.decode(errors="replace").rstrip("\x00 \n")
        raise RuntimeError(f"{call} failed: {err!r}\n{log}")


def arch(device):
    a = _arch.get(device)
    if a is None:
        major, minor = _driver.device_properties(device)["compute_capability"]
        a = _arch[device] = f"sm_{major}{minor}"
    return a


def cache_dir():
    d = os.environ.get("DOTCOMPUTE_CUDA_CACHE")
    if not d:
        d = os.path.join(os.path.expanduser("~"), ".cache", "dotcompute", "cuda")
    return d


def compile_cubin(source, arch_name, name="dotcompute.cu"):
    """Compile CUDA C to a cubin for arch_name ("sm_90"); returns bytes."""
    nvrtc = _nvrtc()
    t0 = time.perf_counter()
    err, prog = nvrtc.nvrtcCreateProgram(source.encode(), name.encode(), 0, [], [])
    _check(nvrtc, err, "nvrtcCreateProgram")
    try:
        opts = [f"--gpu-architecture={arch_name}".encode()] + OPTIONS
        (err,) = nvrtc.nvrtcCompileProgram(prog, len(opts), opts)
        _check(nvrtc, err, "nvrtcCompileProgram", prog)
        err, size = nvrtc.nvrtcGetCUBINSize(prog)
        _check(nvrtc, err, "nvrtcGetCUBINSize")
        buf = b" " * size
        (err,) = nvrtc.nvrtcGetCUBIN(prog, buf)
        _check(nvrtc, err, "nvrtcGetCUBIN")
    finally:
        nvrtc.nvrtcDestroyProgram(prog)
    _stats["compiled"] += 1
    _stats["compile_seconds"] += time.perf_counter() - t0
    return buf


def _key(source, arch_name):
    h = hashlib.sha256()
    h.update(f"{arch_name}|{nvrtc_version()}|{CODEGEN_VERSION}|{OPTIONS}|".encode())
    h.update(source.encode())
    return h.hexdigest()


def get_module(source, device=None):
    """The loaded module of `source` on `device` (compiled or read from the disk cache)."""
    if device is None:
        device = _driver.get_device_id()
    k = (source, device)
    m = _modules.get(k)
    if m is not None:
        _stats["memory_hits"] += 1
        return m
    with _lock:
        m = _modules.get(k)
        if m is not None:
            return m
        a = arch(device)
        path = os.path.join(cache_dir(), _key(source, a) + ".cubin")
        image = None
        try:
            with open(path, "rb") as f:
                image = f.read()
            _stats["disk_hits"] += 1
        except OSError:
            pass
        if image is None:
            image = compile_cubin(source, a)
            _write_atomic(path, image)
        m = _modules[k] = _driver.Module(image, device)
    return m


def _write_atomic(path, data):
    d = os.path.dirname(path)
    try:
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass    # a read-only home: compile again next time


def get_function(source, name, device=None):
    return get_module(source, device).get_function(name)


def cache_info():
    """Counters: programs compiled, disk-cache hits, in-memory hits, seconds compiling."""
    return dict(_stats, loaded_modules=len(_modules), cache_dir=cache_dir())


def clear_memory_cache():
    """Forget loaded modules (the on-disk cache stays): the next use reloads them."""
    _modules.clear()
