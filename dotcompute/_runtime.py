"""Threads, the OpenMP wait settings and the runtime report."""
import os
import sys

import numpy as np

# ----------------------------------------------------------------- OpenMP wait settings
#
# After a parallel region OpenMP workers spin for GOMP_SPINCOUNT pause instructions, then
# sleep. Sleeping workers cost a wake-up (5-200 us on a VM, measured) at the next region;
# spinning ones cost ~1 us, but a worker that spins forever steals its core from other
# processes (and from our own next call when another process owns the other core). So the
# workers spin for SPIN_WINDOW, then sleep. The count that gives that window comes from a
# pause measured here, before the runtime loads (_core/_spin): a pause takes 13 ns on the
# Sapphire Rapids Xeon VM and 40-50 ns on the AMD EPYC one, and the fixed count of 800 used
# before gave 10 us on the Xeon. There a stream of 1e5-element float32 adds (11 us a call
# on two threads, 15 us on one) found the workers asleep after any pause of the program of
# more than 10 us (an interrupt, a page of Python): each such call counted as a new
# wake-up purchase, and the loop ran serially for most of a second at a time. Programs
# that put a few tens of microseconds of Python between array calls hit it as often. The
# thread policy (_core/_threads) knows the window and measures both costs.
#
# libgomp reads its environment once, when it is loaded -- by the first OpenMP module
# imported below. The user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins. What we set is
# removed from os.environ again once the runtime has read it: child processes (subprocess,
# multiprocessing spawn) inherit the user's environment unchanged, and a child that imports
# dotcompute applies the same settings itself.
SPIN_WINDOW = 50e-6
MIN_SPINCOUNT = 800          # the count used before the window was measured (a floor)
MAX_SPINCOUNT = 20000        # a pause measured absurdly short (an emulator) must not spin long
_WAIT_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def default_spincount(pause=None):
    """GOMP_SPINCOUNT for a spin of SPIN_WINDOW, given one pause's seconds (None: measure
    it now; this does not load the OpenMP runtime)."""
    if pause is None:
        from ._core._spin import pause_seconds
        pause = pause_seconds()
    if not pause > 0:
        return MIN_SPINCOUNT
    return int(min(max(round(SPIN_WINDOW / pause), MIN_SPINCOUNT), MAX_SPINCOUNT))


def _openmp_runtime():
    """Path of the OpenMP library loaded in this process (from /proc/self/maps), or None."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                name = os.path.basename(path)
                if name.startswith(("libgomp", "libomp", "libiomp")):
                    return path
    except OSError:
        pass
    return None


def _parse_spincount(value):
    """libgomp's spin count for a GOMP_SPINCOUNT value (None when unparsable)."""
    v = value.strip().lower()
    if v in ("infinite", "infinity"):
        return float("inf")
    mult = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}.get(v[-1:], 1)
    try:
        return float(v[:-1] if mult != 1 else v) * mult
    except ValueError:
        return None


def _spincount_from(env):
    """Spin count libgomp derives from these settings (its documented defaults)."""
    if env.get("GOMP_SPINCOUNT", "").strip():
        return _parse_spincount(env["GOMP_SPINCOUNT"])
    policy = env.get("OMP_WAIT_POLICY", "").strip().upper()
    return {"ACTIVE": 3e10, "PASSIVE": 0}.get(policy, 300000)


def _choose_wait_settings():
    """Set GOMP_SPINCOUNT for the OpenMP runtime about to load; a report of what holds."""
    user = {k: os.environ[k] for k in _WAIT_VARS if os.environ.get(k, "").strip()}
    preloaded = _openmp_runtime()
    report = {"source": "user" if user else "dotcompute", "settings": user, "applied": True,
              "set_by_us": {}}
    if user:
        report["spincount"] = _spincount_from(user)
    elif preloaded:
        report["applied"] = False
        report["reason"] = (f"the OpenMP runtime ({preloaded}) was started before dotcompute "
                            "was imported; its defaults (or its own settings) stay in force")
        report["spincount"] = None
    else:
        count = default_spincount()
        os.environ["GOMP_SPINCOUNT"] = str(count)
        report["set_by_us"] = {"GOMP_SPINCOUNT": str(count)}
        report["settings"] = dict(report["set_by_us"])
        report["spincount"] = count
    return report


_wait = _choose_wait_settings()

from ._core import _cpu            # noqa: E402  (loads the OpenMP runtime: reads the settings)
from ._core import _dispatch       # noqa: E402
from ._core import _threads        # noqa: E402

for _k in _wait["set_by_us"]:
    if os.environ.get(_k) == _wait["set_by_us"][_k]:
        del os.environ[_k]
_threads.set_wait_info(_wait["spincount"])


def wait_settings():
    """The OpenMP wait settings in force: where they came from and whether they applied."""
    return dict(_wait)


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


def _sampled_cpus():
    """CPUs whose load the thread policy reads (/proc/stat): the affinity mask, unless a
    cgroup quota allows fewer CPUs than it holds (their load then says nothing about ours)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []
    limit = _cgroup_cpu_limit()
    return [] if limit and limit < len(cpus) else cpus


_threads.set_cpus(_sampled_cpus())


def get_cpu_capability():
    """Name of the kernel build in use: "scalar", "baseline", "avx2" or "avx512"."""
    return _dispatch.build


def _wait_summary():
    w = _wait
    if not w["applied"]:
        return "NOT APPLIED: " + w["reason"]
    spin = w["spincount"]
    text = ", ".join(f"{k}={v}" for k, v in w["settings"].items())
    text += f" (from {'the environment' if w['source'] == 'user' else 'dotcompute'}"
    if w["set_by_us"]:
        text += "; not passed on to child processes"
    return text + f"; spin count {spin:g})" if spin is not None else text + ")"


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
        "openmp_runtime": _openmp_runtime() or "unknown",
        "openmp_wait": _wait_summary(),
    }
    _threads.calibrate()      # measured at first use; here if no call has threaded yet
    info["thread_policy"] = _threads.policy_info()
    from ._core import _memory, _numpy_loops
    info["memory_pool"] = _memory.pool_info()
    info["numpy_arrays"] = _memory.numpy_alignment()
    choices = _numpy_loops.numpy_loop_choices()
    info["numpy_loops_borrowed"] = sorted(f"{name}[{ch}]" for (name, ch), who
                                          in choices.items() if who == "numpy")
    info["numpy_report_hooks"] = sorted(f"{name}[{ch}]"
                                        for name, ch in _numpy_loops.vm_report_hooks())
    info["result_stores"] = _stream_summary()
    from ._core import _kernel_access
    info["software_prefetch"] = (
        "on (long min/max/arg-reductions and float comparisons; an Intel CPU)"
        if _kernel_access.software_prefetch() else
        "off (on by default only for Intel CPUs, where it gained; it lost on AMD EPYC)")
    info["compiled_chains"] = _jit_summary()
    info["cuda"] = _cuda_summary()
    return info


def _jit_summary():
    """Compiled loops of operator chains (_core/_jit.py): the mode, what was built, where."""
    from ._core import _jit
    j = _jit.info()
    text = (f"{j['mode']}: {j['loops']} loop(s) loaded, {j['compiled']} compiled in this "
            f"process ({j['compile_seconds']:.2f} s); compiler {j['compiler'] or 'none found'}"
            f"; cache {j['cache'] or 'none'}")
    if j["last_error"]:
        text += f"; last error: {j['last_error'].splitlines()[-1][:120]}"
    return text


def _stream_summary():
    """How large results are written: the setting, and what "auto" measured so far."""
    from ._core import _kernel_access as k
    if not k.stream_supported():
        return "direct (this build has no non-temporal stores)"
    setting = k.stream_min_bytes()
    if setting != "auto":
        return (f"streamed from {setting} bytes (DOTCOMPUTE_STREAM_MIN_BYTES)" if setting
                else "direct (DOTCOMPUTE_STREAM_MIN_BYTES=0)")
    classes = "; ".join(f"{r['loop']} {r['threads']} thread(s) >= {r['min_bytes'] >> 20} MiB: "
                        f"{r['choice']}" for r in k.stream_policy())
    return (f"auto: measured from {k.stream_auto_min() >> 20} MiB per size class"
            + (f" ({classes})" if classes else " (no call measured yet)"))


def _cuda_summary():
    """GPUs, driver and NVRTC versions, or why CUDA is unavailable (never raises)."""
    from .cuda import runtime_info as cuda_info
    try:
        c = cuda_info()
    except Exception as e:   # noqa: BLE001 - a report must not fail
        return f"unavailable: {e}"
    if not c["available"]:
        return f"unavailable: {c['reason']}"
    gpus = "; ".join(f"cuda:{i} {d['name']} (sm_{d['compute_capability'][0]}"
                     f"{d['compute_capability'][1]}, {d['multiprocessors']} SMs, "
                     f"{d['total_memory'] / 2**30:.0f} GiB)" for i, d in enumerate(c["devices"]))
    return f"{gpus}; driver CUDA {c['driver_cuda_version']}; NVRTC {c['nvrtc_version']}"


def show_runtime():
    """Print the runtime report."""
    info = runtime_info()
    width = max(len(k) for k in info)
    for key, value in info.items():
        if isinstance(value, dict) and len(value) > 8:      # one line per group of four
            items = [f"{k}={v}" for k, v in value.items()]
            value = ("\n" + " " * (width + 2)).join(
                ", ".join(items[i:i + 4]) for i in range(0, len(items), 4))
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = " ".join(map(str, value)) or "-"
        print(f"{key:<{width}}  {value}")
