"""Package build, CPU detection, import-time dispatch, threads and the runtime report."""
import os
import subprocess
import sys

import pytest

import dotcompute as dc
from dotcompute._core import _cpu, _dispatch

X86 = _cpu.ARCH == "x86_64"

# our feature name -> /proc/cpuinfo flag
CPUINFO_NAME = {"sse3": "pni", "sse4_1": "sse4_1", "sse4_2": "sse4_2", "lzcnt": "abm",
                "avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16",
                "avx512fp16": "avx512_fp16"}


def _run(code, **env):
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=e, timeout=300)


@pytest.mark.skipif(not (X86 and os.path.exists("/proc/cpuinfo")), reason="Linux x86 only")
def test_features_agree_with_proc_cpuinfo():
    with open("/proc/cpuinfo") as f:
        flags = set(next(l for l in f if l.startswith("flags")).split(":")[1].split())
    feats = dc.__cpu_features__
    required = {"sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "popcnt", "avx", "avx2", "fma",
                "bmi1", "bmi2", "f16c", "avx512f", "avx512cd", "avx512bw", "avx512dq",
                "avx512vl"}
    assert required <= set(feats)
    for name, has in feats.items():
        flag = CPUINFO_NAME.get(name, name)
        assert has == (flag in flags), (name, has)


def test_selected_build_is_best_supported():
    supported = _dispatch.builds_supported()
    assert dc.get_cpu_capability() == (
        os.environ.get("DOTCOMPUTE_CPU_CAPABILITY") or supported[-1])
    if X86:
        f = dc.__cpu_features__
        if _cpu.cpu_supports_build("avx2"):
            assert f["avx2"] and f["fma"] and f["bmi2"]
        if _cpu.cpu_supports_build("avx512"):
            assert f["avx512f"] and f["avx512bw"] and f["avx512vl"] and f["avx512dq"]
        if not f["avx512f"]:
            assert "avx512" not in supported
    assert dc.runtime_info()["build"] == dc.get_cpu_capability()


@pytest.mark.parametrize("build", _dispatch.builds_supported())
def test_forcing_each_supported_build_imports_it(build):
    r = _run("import dotcompute as dc, numpy as np; print(dc.get_cpu_capability());"
             "print(dc._core._kernel_access.kernel_isa());"
             "a = dc.arange(100.0); assert float((a + a).sum()) == 9900.0",
             DOTCOMPUTE_CPU_CAPABILITY=build)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [build, build]
    assert "RuntimeWarning" not in r.stderr


_FLOAT_REDUCTIONS = """
import numpy as np, dotcompute as dc
rng = np.random.default_rng(5)
out = []
for threads in (1, 2):
    dc.set_num_threads(threads)
    for dt in ("f4", "f8"):
        for n in (1, 31, 32, 33, 255, 257, 1000, 4099, 65537, 300001):
            x = (rng.standard_normal(n + 3) * 10.0 ** rng.integers(-3, 4, n + 3)).astype(dt)
            y = rng.standard_normal(n + 3).astype(dt)
            for a, b in ((x[:n], y[:n]), (x[1:n + 1], y[2:n + 2]), (x[::2], y[::2])):
                d, e = dc.asarray(a), dc.asarray(b)
                p = dc.asarray(np.clip(a[:500], 0.5, 1.5))
                out += [d.sum().tobytes().hex(), dc.dot(d, e).tobytes().hex(),
                        p.prod().tobytes().hex()]
print(" ".join(out))
"""


def test_float_reductions_bit_identical_across_builds():
    # Float sums, dot products and products keep one lane layout in every build
    # (dc_reduce.h): forcing any build the CPU supports gives the same bits.
    builds = _dispatch.builds_supported()
    if len(builds) < 2:
        pytest.skip("one kernel build on this CPU")
    results = {}
    for build in builds:
        r = _run(_FLOAT_REDUCTIONS, DOTCOMPUTE_CPU_CAPABILITY=build)
        assert r.returncode == 0, r.stderr
        results[build] = r.stdout.split()
    first = results[builds[0]]
    assert len(first) == 2 * 2 * 10 * 3 * 3
    for build in builds[1:]:
        diff = [i for i, (u, v) in enumerate(zip(first, results[build])) if u != v]
        assert not diff, (builds[0], build, diff[:5])


@pytest.mark.parametrize("requested", ["avx512", "neon", "sse9", "avx2"])
def test_unsupported_or_unknown_build_warns_and_falls_back(requested):
    if requested in _dispatch.builds_supported():
        pytest.skip(f"{requested} runs on this CPU")
    r = _run("import warnings, dotcompute as dc; print(dc.get_cpu_capability())",
             DOTCOMPUTE_CPU_CAPABILITY=requested)
    assert r.returncode == 0, r.stderr
    assert "RuntimeWarning" in r.stderr and repr(requested) in r.stderr
    assert r.stdout.strip() == _dispatch.builds_supported()[-1]


def test_choose_build_reports_missing_build(monkeypatch):
    monkeypatch.setattr(_dispatch, "builds_available", lambda: ["scalar", "baseline"])
    with pytest.warns(RuntimeWarning, match="was not built"):
        assert _dispatch.choose_build("avx2") == "baseline"


def test_set_num_threads_round_trip():
    old = dc.set_num_threads(1)
    try:
        assert dc.get_num_threads() == 1
        assert dc.set_num_threads(2) == 1
        assert dc.get_num_threads() == min(2, _cpu.openmp_max_threads())
    finally:
        dc.set_num_threads(old)
    with pytest.raises(ValueError):
        dc.set_num_threads(0)
    with pytest.raises(TypeError):
        dc.set_num_threads(1.5)


def test_threadpoolctl_sees_and_limits_openmp():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    old = dc.set_num_threads(2)
    try:
        infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "openmp"]
        assert infos and any(i["num_threads"] == 2 for i in infos)
        with threadpoolctl.threadpool_limits(1, user_api="openmp"):
            assert dc.get_num_threads() == 1
        assert dc.get_num_threads() == 2
    finally:
        dc.set_num_threads(old)


def test_thread_env_vars():
    r = _run("import dotcompute as dc; print(dc.get_num_threads())",
             DOTCOMPUTE_NUM_THREADS="1", OMP_NUM_THREADS="2")
    assert r.stdout.strip() == "1", r.stderr
    r = _run("import dotcompute as dc; print(dc._cpu.openmp_max_threads(),"
             "dc._runtime._initial_threads())", OMP_NUM_THREADS="1",
             DOTCOMPUTE_NUM_THREADS="")
    assert r.stdout.split()[1] == "1", r.stderr
    # out-of-range values warn and are ignored instead of failing the import
    r = _run("import dotcompute as dc; print(dc._runtime._initial_threads() >= 1)",
             DOTCOMPUTE_NUM_THREADS="99999999999999999999", OMP_NUM_THREADS="5000")
    assert r.returncode == 0 and r.stdout.strip() == "True", r.stderr
    assert r.stderr.count("RuntimeWarning") == 2, r.stderr


def test_runtime_info_keys():
    info = dc.runtime_info()
    for key in ("dotcompute", "numpy", "build", "builds_available", "cpu_features_found",
                "cpu_features_missing", "num_threads", "openmp_runtime", "memory_pool"):
        assert key in info
    assert dc.get_cpu_capability() in info["builds_available"]


def test_runtime_reports_result_stores():
    """The report says how large results are written: the fixed setting, or what "auto"
    measured per size class."""
    from dotcompute._core import _kernel_access as k
    old = k.set_stream_min_bytes(0)
    try:
        text = dc.runtime_info()["result_stores"]
        assert text.startswith("direct")
        k.set_stream_min_bytes("auto")
        text = dc.runtime_info()["result_stores"]
        if k.stream_supported():
            assert text.startswith("auto") and str(k.stream_auto_min() >> 20) in text
        else:
            assert text.startswith("direct")
    finally:
        k.set_stream_min_bytes(old)


def test_main_job_runs():
    r = subprocess.run([sys.executable, "-m", "dotcompute", "--sizes", "1000"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "speedup" in r.stdout and dc.get_cpu_capability() in r.stdout


def test_generated_files_not_tracked():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(os.path.join(root, ".git")):
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True,
                           text=True).stdout.split()
    for f in files:
        assert not f.endswith((".so", ".html")), f
        if f.endswith(".c") and f.startswith("dotcompute/"):
            assert "/src/" in f, f      # only hand-written C under _core/src


def test_an_unbuilt_source_tree_first_on_the_path_uses_the_built_copy(tmp_path):
    """`pip install . && python -m dotcompute` in a fresh clone's root: the clone's own
    `dotcompute/` (no compiled modules) comes first on sys.path; the package then loads
    its submodules from the first built copy on the path instead of failing to import."""
    import shutil
    src = os.path.dirname(os.path.abspath(dc.__file__))
    shutil.copytree(src, tmp_path / "dotcompute",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "*.c", "__pycache__"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.path.dirname(src)]))
    code = ("import dotcompute as d, numpy as np; print(d.__path__[0]); "
            "print(float(d.asarray(np.arange(4.0)).sum()))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first, total = out.stdout.split()
    assert os.path.realpath(first) == os.path.realpath(src)
    assert total == "6.0"
