"""Fork and thread safety.

Fork: a process whose threads ran OpenMP kernels and used the pool (one thread still
allocating while the fork happens) forks; the child must allocate and compute, with
OpenMP threads, and exit. Each scenario runs in a subprocess that forks, so a deadlocked
child fails the test by timeout instead of hanging the suite.

Threads: many Python threads share arrays read-only and compute on them (kernels with and
without the GIL released, the pool from every thread); results equal NumPy's.
"""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import dotcompute as dc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

# The forking process: warms up OpenMP teams from several threads, keeps one thread
# allocating and computing during the forks, then forks CHILDREN times; every child
# allocates, computes on 2 kernel threads, checks its results and exits 0. A child that
# does not finish within CHILD_TIMEOUT seconds is killed and reported as deadlocked.
FORKER = r"""
import os, sys, threading, time, warnings
import numpy as np
import dotcompute as dc

warnings.simplefilter("ignore", DeprecationWarning)   # 3.12+: fork with threads
CHILDREN = int(sys.argv[1])
CHILD_TIMEOUT = float(sys.argv[2])
dc.set_num_threads(2)
n = 1 << 20
x = dc.arange(n, dtype=np.float64)

def kernels():
    s = float((x * 2.0 + 1.0).sum())
    assert s == 2.0 * (n - 1) * n / 2 + n, s
    assert float(dc.sin(x[:4096])[1]) == float(np.sin(1.0))

threads = [threading.Thread(target=kernels) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
kernels()                                        # main thread's OpenMP team too

stop = threading.Event()
def churn():                                     # the pool's lock taken all the time
    while not stop.is_set():
        a = dc.empty(int(np.random.randint(1, 1 << 16)))
        b = dc.sqrt(dc.ones(1 << 15)) + 1.0
        with dc.use_for_numpy():
            c = np.ones(1000)
        del a, b, c
busy = [threading.Thread(target=churn, daemon=True) for _ in range(2)]
for t in busy: t.start()

def child():
    try:
        pool = dc.get_default_memory_pool()
        a = dc.arange(n, dtype=np.float64)       # pool after fork
        b = dc.empty(3 << 20, np.uint8); b[...] = 7
        s = float((a * 2.0 + 1.0).sum())         # OpenMP after fork (2 threads)
        assert s == 2.0 * (n - 1) * n / 2 + n, s
        assert float(dc.exp(a[:100000] * 0.0).sum()) == 100000.0
        with dc.use_for_numpy():
            c = np.sort(np.arange(100000.0)[::-1])
        assert c[0] == 0.0 and int(b.sum()) == 7 * (3 << 20)
        res = []                                 # Python threads in the child
        ts = [threading.Thread(target=lambda: res.append(float((a + 1.0).sum())))
              for _ in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
        assert res == [float(n) * (n + 1) / 2] * 3, res
        del a, b, c
        assert pool.used_bytes() >= 0
        os._exit(0)
    except BaseException as e:
        print("child failed:", repr(e), file=sys.stderr, flush=True)
        os._exit(3)

failures = []
for i in range(CHILDREN):
    time.sleep(0.01)
    pid = os.fork()
    if pid == 0:
        child()
    deadline = time.monotonic() + CHILD_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            status = None
            break
        time.sleep(0.01)
    if status is None:
        failures.append(f"child {i} deadlocked")
    elif status != 0:
        failures.append(f"child {i} exit status {status}")
stop.set()
for t in busy: t.join()
print("failures:", failures)
sys.exit(1 if failures else 0)
"""


def _run_forker(children, child_timeout, env=None):
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", FORKER, str(children), str(child_timeout)],
                          env=full_env, capture_output=True, text=True,
                          timeout=60 + children * (child_timeout + 2))


def test_fork_child_allocates_and_computes():
    r = _run_forker(children=12, child_timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr


def test_fork_child_with_one_kernel_thread():
    r = _run_forker(children=3, child_timeout=20, env={"DOTCOMPUTE_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stdout + r.stderr


def test_pool_usable_after_fork_during_allocation():
    # Many forks while two threads hammer the pool: one of them would hit the moment
    # another thread holds the pool's mutex (inherited locked without the atfork hooks).
    r = _run_forker(children=40, child_timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr


# --------------------------------------------------------------------------- threads

def run_threads(work, n):
    """Run work(k) in n threads k = 0..n-1; fail if one hangs."""
    threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"


def test_threads_share_read_only_arrays():
    rng = np.random.default_rng(7)
    n = 1 << 18
    base_np = rng.standard_normal(n)
    ints_np = rng.integers(-1000, 1000, n)
    base = dc.asarray(base_np)
    ints = dc.asarray(ints_np)
    base.flags.writeable = False
    ints.flags.writeable = False
    expected = {
        "add": base_np + 1.5, "mul": base_np * base_np, "sin": np.sin(base_np),
        "strided": base_np[::3][:-1] - base_np[1::3][:base_np[::3].size - 1],
        "cmp": base_np > 0.25, "imax": np.maximum(ints_np, 17), "isum": ints_np.sum(),
        "max": base_np.max(), "argmin": ints_np.argmin(), "where": np.where(
            base_np > 0, base_np, 0.0), "cumsum": np.cumsum(ints_np),
    }
    tasks = {
        "add": lambda: base + 1.5, "mul": lambda: base * base, "sin": lambda: dc.sin(base),
        "strided": lambda: base[::3][:-1] - base[1::3][:base[::3].size - 1],
        "cmp": lambda: base > 0.25, "imax": lambda: dc.maximum(ints, 17),
        "isum": lambda: ints.sum(), "max": lambda: base.max(),
        "argmin": lambda: ints.argmin(), "where": lambda: dc.where(base > 0, base, 0.0),
        "cumsum": lambda: dc.cumsum(ints),
    }
    errors = []
    barrier = threading.Barrier(8)

    def work(k):
        try:
            barrier.wait()
            names = list(tasks)
            for i in range(60):
                name = names[(i + k) % len(names)]
                got = tasks[name]()
                exp = expected[name]
                if name == "sin":
                    ok = np.allclose(np.asarray(got), exp, rtol=1e-15, atol=0)
                else:
                    ok = np.array_equal(np.asarray(got), exp)
                if not ok:
                    errors.append(f"thread {k}: {name} differs")
        except Exception as e:   # noqa: BLE001
            errors.append(f"thread {k}: {e!r}")

    old = dc.get_num_threads()
    try:
        dc.set_num_threads(2)
        run_threads(work, 8)
    finally:
        dc.set_num_threads(old)
    assert not errors, errors[:5]
    np.testing.assert_array_equal(np.asarray(base), base_np)   # nobody wrote
    assert not base.flags.writeable


def test_threads_private_inplace_and_pool_balance():
    pool = dc.get_default_memory_pool()
    import gc
    gc.collect()
    before = pool.used_bytes()
    errors = []

    def work(k):
        try:
            a = dc.full(1 << 17, float(k))
            for _ in range(50):
                a += 1.0
                a *= 1.0
                b = dc.empty(int(np.random.randint(0, 1 << 16)), np.uint8)
                del b
            if float(a[0]) != k + 50.0 or float(a.sum()) != (k + 50.0) * (1 << 17):
                errors.append(f"thread {k}: {float(a[0])}")
        except Exception as e:   # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    gc.collect()
    assert pool.used_bytes() == before


def test_threads_share_a_small_program_cache():
    """Threads evaluate expressions with changing Python scalars while a small cache
    bound keeps evicting programs (some of them running in other threads)."""
    from dotcompute._compiler import set_cache_limit, cache_info, clear_cache
    rng = np.random.default_rng(11)
    a = rng.standard_normal(50_000)
    b = rng.integers(-100, 100, 50_000)
    exprs = [("a*s + 2.5", lambda s: a * s + 2.5), ("where(a > s, a, s)",
                                                    lambda s: np.where(a > s, a, s)),
             ("b * (s + 1)", lambda s: b * (s + 1)), ("sum(a - s)", lambda s: np.sum(a - s))]
    errors = []
    barrier = threading.Barrier(6)

    def work(k):
        try:
            barrier.wait()
            for i in range(120):
                text, ref = exprs[(i + k) % len(exprs)]
                s = float(i % 7) - 3 if "b" not in text else i % 5
                env = {"a": a, "b": b, "s": s}
                got = np.asarray(dc.evaluate(text + " " * (i % 9), local_dict=env))
                if not np.allclose(got, ref(s), rtol=1e-12, atol=1e-9):
                    errors.append(f"thread {k}: {text} with s={s} differs")
        except Exception as e:   # noqa: BLE001
            errors.append(f"thread {k}: {e!r}")

    old = set_cache_limit(60_000)
    try:
        run_threads(work, 6)
        info = cache_info()
        assert info.evictions > 0 and info.nbytes <= info.max_bytes
    finally:
        set_cache_limit(old)
        clear_cache()
    assert not errors, errors[:5]
