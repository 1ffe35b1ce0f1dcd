"""The thread policy (_core/_threads) and the OpenMP wait settings (_runtime).

No timing is asserted: thresholds come from costs measured in this process, so the tests
check their invariants, the cap, the guard's reaction to regions reported slow, that the
user's wait settings win, and that results do not depend on the thread count.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _threads
from dotcompute._core import _routines_elementwise as _ew
from dotcompute._core._opspec import CHEAP, EXPENSIVE, MEDIUM, SERIAL_THRESHOLD


def _run(code, **env):
    e = {k: v for k, v in os.environ.items()
         if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_DISPLAY_ENV")}
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=e, timeout=300)


@pytest.fixture
def two_threads():
    old = dc.set_num_threads(2)
    try:
        yield dc.get_num_threads()
    finally:
        dc.set_num_threads(old)


@pytest.fixture
def threads_always():
    """Thread every call the cap allows (exercises the parallel paths deterministically)."""
    old = _threads.set_mode("always")
    try:
        yield
    finally:
        _threads.set_mode(old)


@pytest.fixture
def quiet():
    """The load sampler reads no other process (the policy's answers do not depend on
    what else runs on the machine while the tests do)."""
    old = _threads.set_foreign_load(0.0)
    try:
        yield
    finally:
        _threads.set_foreign_load(old)


# ---------------------------------------------------------------- thresholds

def test_thresholds_positive_and_ordered(two_threads):
    if two_threads < 2:
        pytest.skip("one CPU: nothing threads, nothing is measured")
    thr = _threads.thresholds()
    info = _threads.policy_info()
    assert info["calibrated"]
    for key in ("fork_join_us", "wake_us", "pause_ns", "ns_per_element_cheap",
                "ns_per_element_medium", "ns_per_element_expensive"):
        assert info[key] > 0, key
    assert info["wake_us"] >= info["fork_join_us"]
    for cls in (CHEAP, MEDIUM, EXPENSIVE):
        spinning, asleep = thr[cls]
        assert 0 < spinning <= asleep
    # expensive operations thread at sizes no larger than medium, medium than cheap
    assert thr[EXPENSIVE][0] <= thr[MEDIUM][0] <= thr[CHEAP][0]
    assert thr[EXPENSIVE][1] <= thr[MEDIUM][1] <= thr[CHEAP][1]


def test_expensive_ops_thread_no_later_than_cheap(two_threads, quiet):
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    _threads.reset_guard()
    for n in (10**k for k in range(3, 12)):
        # each call on its own (a call's answer depends on the calls before it: a stream
        # of calls that do not pay a wake-up alone threads once its savings do)
        _threads.reset_guard()
        cheap = _threads.chunks(n, SERIAL_THRESHOLD[CHEAP], 2)
        _threads.reset_guard()
        expensive = _threads.chunks(n, SERIAL_THRESHOLD[EXPENSIVE], 2)
        assert expensive >= cheap or cheap == 1
    _threads.reset_guard()


def test_chunks_never_exceed_cap(two_threads):
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    for cap in (1, 2, 3, 8):
        for n in (0, 1, 100, 1000, 10**4, 10**5, 10**6, 10**8, 2**40):
            for thr in (1, 1024, 8192, 32768, 10**6):
                k = _threads.chunks(n, thr, cap)
                assert 1 <= k <= cap


def test_set_num_threads_is_a_cap_for_kernels(threads_always, rng):
    x = dc.asarray(rng.standard_normal(200001))
    y = dc.asarray(rng.standard_normal(200001))
    old = dc.set_num_threads(1)
    try:
        _threads.stats(reset=True)
        dc.exp(x), x + y, x.sum(), dc.evaluate("2*a + 3*b*b", local_dict={"a": x, "b": y})
        assert _threads.stats()["max_chunks"] <= 1
        dc.set_num_threads(2)
        _threads.stats(reset=True)
        dc.exp(x), x + y, x.sum(), dc.evaluate("2*a + 3*b*b", local_dict={"a": x, "b": y})
        st = _threads.stats()
        assert st["max_chunks"] == dc.get_num_threads()
        assert st["parallel_regions"] >= (4 if dc.get_num_threads() > 1 else 0)
    finally:
        dc.set_num_threads(old)


def test_threadpoolctl_limit_lowers_the_cap(threads_always, two_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = dc.asarray(np.linspace(0.1, 2, 300000))
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        _threads.stats(reset=True)
        dc.sqrt(x)
        assert _threads.stats()["max_chunks"] <= 1


def _fixed_costs():
    """A fork/join (= wake-up: no sleeping-worker rule) that makes the smallest cheap
    chunk ~20000 elements."""
    _threads.calibrate()
    return 20000 * _threads.policy_info()["ns_per_element_cheap"] * 1e-9 / 2


def _regions(f, fj):
    """f()'s result and the most chunks a region of it used, under fork/join = wake-up
    = fj, set again for each call (a serial call may measure them again: a fork/join
    above 4 us looks like one measured under load)."""
    _threads.set_costs(fork_join=fj, wake=fj)
    _threads.reset_guard()
    _threads.stats(reset=True)
    r = f()
    return r, _threads.stats()["max_chunks"]


def test_float_sums_and_dots_thread_by_their_cost(two_threads, quiet):
    """A float sum's element costs the policy a third of the cheap probe's (an add's), a
    dot's two thirds (_kernel_access.SUM_WEIGHT, DOT_WEIGHT): at 3x the cheap class's
    smallest chunk, where an add threads, a float32 sum and dot run serially; from 8x
    (sum) and 4x (dot) they thread. Float sums give the same bits either way. (The
    serial costs learned by size are off: the cost model alone is under test.)"""
    if two_threads < 2:
        pytest.skip("one CPU")
    fj = _fixed_costs()
    old = _threads.set_costs(fork_join=fj, wake=fj)
    old_tiers = _threads.set_serial_tiers(False)
    try:
        e = _threads.thresholds()[CHEAP][0]

        def regions(f):
            return _regions(f, fj)

        rng = np.random.default_rng(3)
        x = rng.standard_normal(int(8.5 * e)).astype(np.float32)
        y = rng.standard_normal(int(8.5 * e)).astype(np.float32)
        small, big = int(3 * e), int(8.5 * e)
        a, b = dc.asarray(x[:small]), dc.asarray(y[:small])
        assert regions(lambda: dc.add(a, b))[1] == 2
        s_small, k = regions(lambda: a.sum())
        assert k <= 1
        assert regions(lambda: dc.vdot(a, b))[1] <= 1
        a, b = dc.asarray(x[:big]), dc.asarray(y[:big])
        s_big, k = regions(lambda: a.sum())
        assert k == 2
        assert regions(lambda: dc.vdot(a[:int(4.5 * e)], b[:int(4.5 * e)]))[1] == 2
        old_mode = _threads.set_mode("never")
        try:
            assert a.sum() == s_big and dc.asarray(x[:small]).sum() == s_small
        finally:
            _threads.set_mode(old_mode)
        np.testing.assert_allclose(float(s_big), x[:big].sum(dtype=np.float64), rtol=1e-5)
    finally:
        _threads.set_serial_tiers(old_tiers)
        _threads.set_costs(*old)
        _threads.reset_guard()


def test_cheap_element_wise_calls_thread_by_the_bytes_they_move(two_threads, quiet):
    """A cheap call counts its elements by the bytes it moves against the cheap probe's
    `a + b` (_kernel_access._by_bytes): at 3x the smallest cheap chunk, where float32
    `a + b` (12 bytes an element) threads, `a < 0.5` (5 bytes) and `-a` (8) run
    serially; at 6x, `a < 0.5` threads. Results are NumPy's either way."""
    if two_threads < 2:
        pytest.skip("one CPU")
    fj = _fixed_costs()
    old = _threads.set_costs(fork_join=fj, wake=fj)
    old_tiers = _threads.set_serial_tiers(False)
    try:
        e = _threads.thresholds()[CHEAP][0]

        def regions(f):
            return _regions(f, fj)

        rng = np.random.default_rng(4)
        x = rng.random(int(6.2 * e)).astype(np.float32)
        y = rng.random(int(6.2 * e)).astype(np.float32)
        small = int(2.9 * e)
        a, b = dc.asarray(x[:small]), dc.asarray(y[:small])
        r, k = regions(lambda: a + b)
        assert k == 2
        np.testing.assert_array_equal(np.asarray(r), x[:small] + y[:small])
        r, k = regions(lambda: a < 0.5)
        assert k <= 1
        np.testing.assert_array_equal(np.asarray(r), x[:small] < 0.5)
        r, k = regions(lambda: -a)
        assert k <= 1
        np.testing.assert_array_equal(np.asarray(r), -x[:small])
        a = dc.asarray(x)
        r, k = regions(lambda: a < 0.5)
        assert k == 2
        np.testing.assert_array_equal(np.asarray(r), x < 0.5)
    finally:
        _threads.set_costs(*old)
        _threads.set_serial_tiers(old_tiers)
        _threads.reset_guard()


# ---------------------------------------------------------------------- guard

def _report_slow_region():
    # two chunks of 10 us each, in a region that took 1 ms: a worker started late
    t0 = _threads.now() + 10.0      # in the future: the back-off lasts past the asserts
    _threads.observe(2, t0, t0 + 1e-3, [t0, t0 + 1e-5, t0 + 9.9e-4, t0 + 1e-3])


def test_recent_regions_report_the_late_start_and_the_early_end():
    """recent_regions() gives, per region, the latest chunk start after the entry and the
    exit after the earliest chunk end (diagnostics of a region's imbalance)."""
    _threads.calibrate()
    t0 = _threads.now() + 20.0      # in the future, as above: no back-off now
    try:
        # chunk 0 runs [t0, t0 + 0.6 ms], chunk 1 starts 0.2 ms late and ends at 0.99 ms
        _threads.observe(2, t0, t0 + 1e-3, [t0, t0 + 6e-4, t0 + 2e-4, t0 + 9.9e-4])
        r = _threads.recent_regions()[-1]
        assert len(r) == 9
        assert r[0] == t0 and r[1] == pytest.approx(1e-3)
        assert r[2] == pytest.approx(6e-4 + 7.9e-4)         # summed chunk work
        assert r[7] == pytest.approx(2e-4)                  # latest start after entry
        assert r[8] == pytest.approx(4e-4)                  # exit after earliest end
    finally:
        _threads.reset_guard()


def test_guard_drops_to_one_thread_after_slow_regions(two_threads, quiet):
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    # a quiet machine's costs: the regions below are late by far more than their allowance
    old = _threads.set_costs(fork_join=1e-6, wake=10e-6)
    _threads.reset_guard()
    huge = 2 ** 40
    try:
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 2
        trips = _threads.stats()["guard_trips"]
        _report_slow_region()
        _report_slow_region()
        assert _threads.stats()["guard_trips"] == trips + 1
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 1
        assert _threads.chunks(huge, SERIAL_THRESHOLD[EXPENSIVE], 2) == 1
        assert "one thread" in _threads.policy_info()["guard"]
    finally:
        _threads.reset_guard()
    try:
        # after the back-off the next call probes with threads again
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 2
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


def test_guard_ignores_regions_that_paid(two_threads):
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    _threads.reset_guard()
    trips = _threads.stats()["guard_trips"]
    t0 = _threads.now()
    for _ in range(8):     # two chunks of 1 ms in a 1.01 ms region: a speedup near 2
        _threads.observe(2, t0, t0 + 1.01e-3, [t0, t0 + 1e-3, t0 + 5e-6, t0 + 1.005e-3])
    assert _threads.stats()["guard_trips"] == trips


def test_guard_pays_small_late_starts_from_credit(two_threads, quiet):
    """With balanced chunks a worker that starts late costs about a fork/join, not a
    chunk: a region within two fork/joins of its work is no loss, and a few regions later
    than that (tens of microseconds: a VM's host taking a vCPU for a moment) are paid from
    what the regions before them saved, without a trip. A worker descheduled for a time
    slice spends all of it: the guard trips."""
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    old = _threads.set_costs(fork_join=1e-6, wake=10e-6)
    try:
        _threads.reset_guard()
        t = _threads.now() + 10.0

        def region(late, chunk=100e-6):
            # the main thread's chunk then the worker's, `late` after the entry
            nonlocal t
            _threads.observe(2, t, t + late + chunk,
                             [t, t + chunk, t + late, t + late + chunk])
            t += late + chunk + 3e-6

        for _ in range(50):              # regions that paid: 2 x 100 us in ~105 us
            region(5e-6)
        lost, trips = _threads.stats()["regions_lost"], _threads.stats()["guard_trips"]
        region(101e-6)                   # 1 us beyond the work: within two fork/joins
        assert _threads.stats()["regions_lost"] == lost
        for _ in range(3):               # 25 us beyond it, three in a row: losses ...
            region(125e-6)
        assert _threads.stats()["regions_lost"] == lost + 3
        assert _threads.stats()["guard_trips"] == trips      # ... paid from the credit
        assert _threads.chunks(2 ** 40, SERIAL_THRESHOLD[CHEAP], 2) == 2
        region(3e-3)                     # a worker descheduled for 3 ms
        assert _threads.stats()["guard_trips"] == trips + 1
        assert "one thread" in _threads.policy_info()["guard"]
        # without credit the first two late regions trip it
        _threads.reset_guard()
        old_credit = _threads.set_guard_credit(0.0)
        try:
            for _ in range(50):
                region(5e-6)
            region(125e-6)
            region(125e-6)
            assert _threads.stats()["guard_trips"] == trips + 2
        finally:
            assert _threads.set_guard_credit(old_credit) == 0.0
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


# ------------------------------------------------ serial costs by operand size

@pytest.fixture
def tiers_clean():
    _threads.reset_serial_tiers()
    old = _threads.set_serial_tiers(True)
    try:
        yield
    finally:
        _threads.set_serial_tiers(old)
        _threads.reset_serial_tiers()
        _threads.reset_guard()


@pytest.fixture
def one_chunk_call(two_threads):
    """(n, threshold hint, model seconds) of a float64 call one smallest chunk long,
    serial by the model, leaving the caches (n * 8 >= 128 KiB): a fork/join cost the
    policy takes as a quiet machine's (not measured again) and a threshold hint above the
    cheap class's (still cheap) that puts the smallest chunk near 2^20 elements."""
    _threads.calibrate()
    fj = 4e-6
    old = _threads.set_costs(fork_join=fj, wake=fj)
    try:
        e1 = _threads.thresholds()[CHEAP][0]
        thr = SERIAL_THRESHOLD[CHEAP] * max(1, int(2 ** 20 // e1))
        e = e1 * thr / SERIAL_THRESHOLD[CHEAP]
        w = _threads.wide_ratios()[CHEAP]
        n = int(e / w)                   # weighed: e elements, one chunk's worth
        assert n * 8 >= 131072
        yield n, thr, n * w * 2 * fj / e     # serial time by the model: MARGIN x fj / e
    finally:
        _threads.set_costs(*old)


def test_slow_serial_calls_of_a_size_make_that_size_thread(two_threads, quiet, tiers_clean,
                                                           one_chunk_call):
    """Element-wise calls whose serial runs took several times the cache-resident model
    (operands out of the core's caches) thread from a smaller size; other sizes, calls
    too small to leave the caches and the other cost classes are left as they were, and
    faster calls bring the learned cost down quickly."""
    if two_threads < 2:
        pytest.skip("one CPU")
    n, thr, model = one_chunk_call
    try:
        _threads.reset_guard()
        assert _threads.chunks(n, thr, 2, itemsize=8) == 1
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8) == 1
        assert _threads.note_serial(n, thr, 8, 4 * model) is True
        for _ in range(40):
            _threads.note_serial(n, thr, 8, 4 * model)
        tiers = _threads.serial_tiers()
        assert list(tiers["cheap"].values()) == [pytest.approx(4.0, rel=0.05)]
        assert tiers["medium"] == {} and tiers["expensive"] == {}
        _threads.reset_guard()
        assert _threads.chunks(n, thr, 2, itemsize=8) == 1     # the flat model: serial
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8) == 2              # weighed: two threads
        # a quarter of the size is another size class, not learned
        _threads.reset_guard()
        assert _threads.chunks_ew(n // 4, thr, 8) == 1
        # too small to leave the caches: not timed, not learned
        assert _threads.note_serial(1024, thr, 8, 1.0) is False
        assert len(_threads.serial_tiers()["cheap"]) == 1
        # the switch for A/B measurements
        _threads.set_serial_tiers(False)
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8) == 1
        _threads.set_serial_tiers(True)
        # calls at the model's cost bring it down within a few calls
        for _ in range(6):
            _threads.note_serial(n, thr, 8, model)
        assert list(_threads.serial_tiers()["cheap"].values())[0] < 1.1
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8) == 1
    finally:
        _threads.reset_guard()


def test_reductions_learn_serial_costs_in_a_row_of_their_own(two_threads, quiet,
                                                            tiers_clean, one_chunk_call):
    """A slow serial reduction moves the reductions' row only (one read stream costs
    differently from an element-wise call's three), and makes that size thread."""
    if two_threads < 2:
        pytest.skip("one CPU")
    n, thr, model = one_chunk_call
    try:
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8, reduction=True) == 1
        for _ in range(40):
            _threads.note_serial(n, thr, 8, 4 * model, reduction=True)
        tiers = _threads.serial_tiers()
        assert list(tiers["reduction"].values()) == [pytest.approx(4.0, rel=0.05)]
        assert tiers["cheap"] == {}
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8, reduction=True) == 2
        _threads.reset_guard()
        assert _threads.chunks_ew(n, thr, 8) == 1              # element-wise: its own row
    finally:
        _threads.reset_guard()


def test_reduction_results_do_not_depend_on_learned_costs(two_threads, rng, tiers_clean):
    """Whether a sum or a dot product threads (learned costs or not), its partials are
    fixed by n: the same bits as NumPy-checked values on one thread."""
    x = rng.uniform(-1, 1, 300001)
    y = rng.uniform(-1, 1, 300001)
    a, b = dc.asarray(x), dc.asarray(y)
    old = _threads.set_mode("never")
    try:
        s1, d1 = float(a.sum()), float(dc.vdot(a, b))
    finally:
        _threads.set_mode(old)
    for _ in range(50):                  # serial calls timed and learned, then threaded
        s, d = float(a.sum()), float(dc.vdot(a, b))
        assert s == s1 and d == d1
    np.testing.assert_allclose(s1, x.sum(), rtol=1e-9)
    np.testing.assert_allclose(d1, np.vdot(x, y), rtol=1e-9)


def test_a_descheduled_serial_call_moves_the_learned_cost_little(two_threads, quiet,
                                                                 tiers_clean):
    """One serial call that took 100x the model (the host took its vCPU) moves the learned
    cost by at most 16 ** 0.125 (the ratio is bounded, and slower calls weigh 1/8)."""
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    thr = SERIAL_THRESHOLD[CHEAP]
    n = 1 << 20
    _threads.note_serial(n, thr, 8, 100.0)
    (ratio,) = _threads.serial_tiers()["cheap"].values()
    assert 1.0 < ratio <= 16 ** 0.125 + 1e-6


def test_learned_serial_costs_shown(two_threads, tiers_clean):
    _threads.calibrate()
    _threads.note_serial(1 << 20, SERIAL_THRESHOLD[CHEAP], 8, 1.0)
    info = _threads.policy_info()
    assert "8M" in info["serial_cost_by_size"]["cheap"]


# ------------------------------------------------------------------ results

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1000, 30000, 300001])
def test_results_identical_across_thread_counts(threads_always, rng, dtype, n):
    a = (rng.standard_normal(n) * 3).astype(dtype)
    b = (rng.uniform(0.5, 2, n)).astype(dtype)
    x, y = dc.asarray(a), dc.asarray(b)
    cases = {
        "add": lambda: x + y,
        "mul": lambda: x * 2.5,
        "less": lambda: x < y,
        "sqrt": lambda: dc.sqrt(y),
        "exp": lambda: dc.exp(x),
        "sin": lambda: dc.sin(x),
        "tanh": lambda: dc.tanh(x),
        "log": lambda: dc.log(y),
        "sum": lambda: x.sum(),
        "max": lambda: x.max(),
        "argmin": lambda: x.argmin(),
        "fused": lambda: dc.evaluate("2*a + 3*b*b - a", local_dict={"a": x, "b": y}),
        "fused_sum": lambda: dc.evaluate("sum(a*b)", local_dict={"a": x, "b": y}),
    }
    reference = {"add": a + b, "mul": a * dtype(2.5), "less": a < b, "sqrt": np.sqrt(b),
                 "exp": np.exp(a), "sin": np.sin(a), "tanh": np.tanh(a), "log": np.log(b),
                 "sum": a.sum(), "max": a.max(), "argmin": a.argmin(),
                 "fused": 2 * a + 3 * b * b - a, "fused_sum": (a * b).sum()}
    old = dc.get_num_threads()
    try:
        results = {}
        for nt in (1, 2):
            dc.set_num_threads(nt)
            results[nt] = {k: np.asarray(f()).copy() for k, f in cases.items()}
    finally:
        dc.set_num_threads(old)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for k in cases:
        np.testing.assert_array_equal(results[1][k], results[2][k], err_msg=k)
        assert results[1][k].dtype == np.asarray(reference[k]).dtype, k
        np.testing.assert_allclose(results[1][k], reference[k], rtol=rtol,
                                   atol=rtol * n ** 0.5 if k.endswith("sum") else 0,
                                   err_msg=k)


@pytest.fixture
def kernel_module():
    """The kernel build in use (its drivers' block setting is restored afterwards)."""
    import importlib
    from dotcompute._core import _kernel_access
    km = importlib.import_module("dotcompute._core._kernels_" + _kernel_access.kernel_isa())
    old = km.set_blocks_per_chunk(16)
    km.set_blocks_per_chunk(old)
    try:
        yield km
    finally:
        km.set_blocks_per_chunk(old)


def _strided_add(a, b, rows):
    w = a[:rows * 7].reshape(rows, 7).copy()
    w[:, ::2] += b[:rows].reshape(rows, 1)
    return w


@pytest.mark.parametrize("n", [8193, 70001, 300001])
def test_balanced_blocks_compute_every_element_once(threads_always, two_threads,
                                                     kernel_module, rng, n):
    """Element-wise regions cut each thread's chunk into blocks that a thread done with its
    own takes from the others: every element is computed exactly once (in place, a second
    pass would show), the result and the flags are NumPy's and the same as a static
    split's, whoever computes which block. The fused executor balances its runs of blocks
    the same way, and so do the N-d walk (strided and broadcast operands) and operator
    chains (all compared with NumPy's results); reductions hand out their
    partials the same way (fixed by n: the sums are the static split's bit for bit)."""
    a = rng.uniform(-2, 2, n)
    a[-1] = -1.0                      # sqrt: invalid in the last block only
    b = rng.uniform(0.5, 2, n)
    results = {}
    for blocks in (1, 16, 64):
        kernel_module.set_blocks_per_chunk(blocks)
        x, y = dc.array(a), dc.array(b)
        dc.add(x, 1.0, out=x)                       # in place: once per element
        dc.sqrt(y, out=y)
        with pytest.warns(RuntimeWarning, match="invalid value encountered in sqrt"):
            s = dc.sqrt(dc.array(a))
        z = dc.array(a)
        dc.evaluate("z * 2 + 1", local_dict={"z": z}, out=z)  # fused, in place
        rows = n // 7                                        # N-d walk: strided, broadcast
        w = dc.array(a[:rows * 7].reshape(rows, 7))
        dc.add(w[:, ::2], dc.array(b[:rows].reshape(rows, 1)), out=w[:, ::2])
        outer = dc.array(a[:400])[:, None] - dc.array(b[:300])[None, :]
        chains = _ew.fused_chains()
        chain = 2 * x + 3 * y * y - x                        # an operator chain, one pass
        assert _ew.fused_chains() == chains + 1
        got = {"chain": chain, "add_inplace": x, "sqrt_inplace": y, "sqrt": s, "exp": dc.exp(x),
               "fused_inplace": z, "fused_sum": dc.evaluate("sum(z * y)"),
               "sum": x.sum(), "vdot": dc.vdot(x, y), "walk_inplace": w, "outer": outer,
               "sin": dc.sin(x.astype(np.float32)), "pair": x * 2.5 + y,
               "where": dc.where(x > 1.0, x, y)}
        results[blocks] = {k: np.asarray(v).copy() for k, v in got.items()}
    with np.errstate(invalid="ignore"):
        ref = {"chain": 2 * (a + 1.0) + 3 * np.sqrt(b) * np.sqrt(b) - (a + 1.0),
               "add_inplace": a + 1.0, "sqrt_inplace": np.sqrt(b), "sqrt": np.sqrt(a),
               "fused_inplace": a * 2 + 1, "fused_sum": ((a * 2 + 1) * np.sqrt(b)).sum(),
               "sum": (a + 1.0).sum(), "vdot": np.vdot(a + 1.0, np.sqrt(b)),
               "walk_inplace": _strided_add(a, b, n // 7),
               "outer": a[:400][:, None] - b[:300][None, :],
               "exp": np.exp(a + 1.0), "sin": np.sin((a + 1.0).astype(np.float32)),
               "pair": (a + 1.0) * 2.5 + np.sqrt(b),
               "where": np.where(a + 1.0 > 1.0, a + 1.0, np.sqrt(b))}
    for k, want in ref.items():
        for blocks in (16, 64):
            np.testing.assert_array_equal(results[blocks][k], results[1][k], err_msg=k)
        if k in ("exp", "sin", "fused_sum", "sum", "vdot"):
            np.testing.assert_allclose(results[1][k], want, rtol=1e-6, err_msg=k)
        else:
            np.testing.assert_array_equal(results[1][k], want, err_msg=k)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_balanced_blocks_with_both_threads_on_one_core():
    """Two threads sharing one core (the process pinned to one CPU): one runs while the
    other waits for its time slice, so the first takes the other's blocks. Every element
    is still computed once and the results are NumPy's, whoever computed which block."""
    code = """
import os
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import numpy as np, dotcompute as dc
from dotcompute._core import _threads
dc.set_num_threads(2)
_threads.set_mode("always")
rng = np.random.default_rng(1)
for n in (70001, 300001, 1000003):
    a = rng.uniform(0.5, 2.0, n)
    dc.set_num_threads(1)
    one = (np.asarray(dc.exp(dc.asarray(a))), float(dc.asarray(a).sum()))
    dc.set_num_threads(2)
    for _ in range(3):
        x = dc.array(a)
        dc.add(x, 1.0, out=x)                    # in place: a second pass would show
        dc.sqrt(x, out=x)
        assert np.array_equal(np.asarray(x), np.sqrt(a + 1.0)), n
        assert np.array_equal(np.asarray(dc.exp(dc.asarray(a))), one[0]), n
        assert float(dc.asarray(a).sum()) == one[1], n
print("ok", _threads.stats()["max_chunks"])
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ok", "2"]


def test_set_blocks_per_chunk_returns_the_previous_value(kernel_module):
    old = kernel_module.set_blocks_per_chunk(3)
    assert kernel_module.set_blocks_per_chunk(0) == 3
    assert kernel_module.set_blocks_per_chunk(old) == 1


# ------------------------------------------------------------ wait settings

_REPORT = ("import os, dotcompute as dc; w = dc._runtime.wait_settings(); "
           "print(w['source'], w['applied'], w['spincount'], "
           "os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))")


def test_default_wait_settings_reach_openmp_not_children():
    r = _run(_REPORT + "; import subprocess, sys; print(subprocess.run([sys.executable, '-c', "
             "'import os; print(os.environ.get(\"GOMP_SPINCOUNT\"))'], capture_output=True, "
             "text=True).stdout.strip())", OMP_DISPLAY_ENV="VERBOSE")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    from dotcompute._runtime import MAX_SPINCOUNT, MIN_SPINCOUNT
    assert lines[:2] == ["dotcompute", "True"] and lines[3:5] == ["None", "None"]
    count = int(lines[2])              # the spin window's count on this CPU
    assert MIN_SPINCOUNT <= count <= MAX_SPINCOUNT
    assert lines[5] == "None"          # a child process does not inherit our setting
    # libgomp itself read it (OMP_DISPLAY_ENV=VERBOSE prints its settings at start-up)
    assert f"GOMP_SPINCOUNT = '{count}'" in r.stderr


def test_default_spin_count_makes_the_spin_window():
    """The count is the window over one pause, measured before OpenMP loads, within its
    bounds; measuring does not load the OpenMP runtime."""
    from dotcompute._runtime import (MAX_SPINCOUNT, MIN_SPINCOUNT, SPIN_WINDOW,
                                     default_spincount)
    assert default_spincount(SPIN_WINDOW / 3000) == 3000
    assert default_spincount(SPIN_WINDOW / 10) == MIN_SPINCOUNT        # a slow pause
    assert default_spincount(SPIN_WINDOW / 1e9) == MAX_SPINCOUNT       # an absurdly fast one
    assert default_spincount(0.0) == MIN_SPINCOUNT
    assert MIN_SPINCOUNT <= default_spincount() <= MAX_SPINCOUNT
    import dotcompute._core._spin as spin
    assert spin.pause_seconds(count=100, rounds=2) > 0
    with pytest.raises(ValueError):
        spin.pause_seconds(count=0)
    # it links no OpenMP runtime (a NEEDED entry would name it in the library's strings)
    with open(spin.__file__, "rb") as f:
        image = f.read()
    assert not any(name in image for name in (b"libgomp.so", b"libomp.so", b"libiomp5.so"))


@pytest.mark.parametrize("env,spin", [({"GOMP_SPINCOUNT": "12345"}, "12345"),
                                      ({"GOMP_SPINCOUNT": "2k"}, "2000"),
                                      ({"OMP_WAIT_POLICY": "PASSIVE"}, "0"),
                                      ({"OMP_WAIT_POLICY": "active"}, "30000000000")])
def test_user_wait_settings_win(env, spin):
    r = _run(_REPORT, OMP_DISPLAY_ENV="VERBOSE", **env)
    assert r.returncode == 0, r.stderr
    source, applied, count, gomp, policy = r.stdout.split()
    assert (source, applied) == ("user", "True")
    assert float(count) == float(spin)
    assert gomp == env.get("GOMP_SPINCOUNT", "None")          # left as the user set it
    assert policy == env.get("OMP_WAIT_POLICY", "None")
    assert f"GOMP_SPINCOUNT = '{spin}'" in r.stderr           # what libgomp uses


def test_wait_settings_report_openmp_started_first():
    code = ("import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library('gomp') "
            "or 'libgomp.so.1'); import dotcompute as dc; w = dc._runtime.wait_settings(); "
            "print(w['applied']); dc.show_runtime()")
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "False"
    assert "NOT APPLIED" in r.stdout and "started before dotcompute" in r.stdout


def test_show_runtime_reports_costs_and_thresholds(capsys, two_threads):
    dc.show_runtime()
    out = capsys.readouterr().out
    assert "openmp_wait" in out and "thread_policy" in out
    if two_threads >= 2:
        for key in ("fork_join_us=", "wake_us=", "spin_window_us=", "ns_per_element_cheap=",
                    "min_chunk_cheap=", "min_chunk_expensive_asleep=", "guard="):
            assert key in out, key


# ------------------------------------------------------------ other processes

def test_other_processes_take_cores(two_threads):
    """A core another process keeps busy is not ours: the sampler's reading caps the
    policy's answer; a lightly used one still is."""
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    _threads.reset_guard()
    huge = 2 ** 40
    old = _threads.set_foreign_load(0.0)
    try:
        _threads.set_cpus([0, 1])
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 2
        assert _threads.load_cap() == (2, 0.0)
        _threads.set_foreign_load(0.2)          # a little: both cores still ours
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 2
        _threads.set_foreign_load(1.0)          # `python -c "while True: pass"`
        before = _threads.stats()["load_capped"]
        for thr in (SERIAL_THRESHOLD[CHEAP], SERIAL_THRESHOLD[EXPENSIVE]):
            assert _threads.chunks(huge, thr, 2) == 1
        assert _threads.stats()["load_capped"] == before + 2
        _threads.set_foreign_load(2.0)          # more busy than we have: still one thread
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 1
        _threads.set_cpus(range(8))             # 8 CPUs, 3 of them busy: 5 left
        _threads.set_foreign_load(2.9)
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 8) == 5
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 4) == 4     # the cap holds
        info = _threads.policy_info()["other_processes"]
        assert "2.90 of 8 cores busy" in info and "threads left 5" in info
        # a VM's CPU that the host took more than half of is not ours either; steal is
        # not read as other processes' use
        _threads.set_foreign_load(2.9, stolen_cpus=1)
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 8) == 4
        _threads.set_cpus([0, 1])
        _threads.set_foreign_load(0.0, stolen_cpus=1)
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 1
        _threads.set_foreign_load(0.0, stolen_cpus=2)     # never fewer than one thread
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 1
        _threads.set_foreign_load(0.0)
        assert _threads.chunks(huge, SERIAL_THRESHOLD[CHEAP], 2) == 2
    finally:
        _threads.set_foreign_load(old)
        from dotcompute._runtime import _sampled_cpus
        _threads.set_cpus(_sampled_cpus())


def test_sampler_reads_this_machine():
    """Without a forced reading, the sampler reads /proc/stat where there is one."""
    from dotcompute._runtime import _sampled_cpus
    cpus = _sampled_cpus()
    _threads.set_cpus(cpus)
    left, foreign = _threads.load_cap()
    assert foreign >= 0
    if cpus and os.path.exists("/proc/stat"):
        import time
        time.sleep(0.15)                        # one sampling period
        left, foreign = _threads.load_cap()
        assert 1 <= left <= len(cpus)
        assert 0 <= foreign <= len(cpus) + 0.5  # tick granularity


def test_slow_regions_do_not_raise_the_fork_join_estimate(two_threads):
    """A region a descheduled worker made slow is the guard's business: the measured
    fork/join cost stays what the machine's regions cost."""
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.calibrate()
    before = _threads.policy_info()["fork_join_us"]
    try:
        t0 = _threads.now()
        for _ in range(16):      # entered with workers spinning, 100x late
            _threads.observe(2, t0, t0 + 1e-1, [t0, t0 + 1e-3, t0 + 0.099, t0 + 0.1])
        assert _threads.policy_info()["fork_join_us"] == before
    finally:
        _threads.reset_guard()


# ------------------------------------------------------- sleeping workers, streams

def test_stream_of_long_calls_wakes_the_workers(two_threads, quiet):
    """With the workers asleep, a call too small to pay the wake-up alone runs serially;
    the next one threads if it starts within 250 us of when the previous one would end run
    serially (n x its measured cost), even when that is long after the previous one started
    (a 1e5-element float32 exp takes ~200 us: counted from its start, no stream ever formed
    and mid-size transcendentals never threaded). Decided at given times on the policy's
    clock, from given costs: no timing involved."""
    if two_threads < 2:
        pytest.skip("one CPU")
    exp_thr = SERIAL_THRESHOLD[EXPENSIVE]
    old = _threads.set_costs(fork_join=1e-6, wake=1e-3)
    _threads.reset_guard()
    try:
        e, e_asleep = _threads.thresholds()[EXPENSIVE]
        assert e_asleep == pytest.approx(1000 * e)
        n = int(1500 * e)           # serially: n x cost = 1500 x 2 x fork_join = 3 ms
        t0 = _threads.now() + 100.0
        assert _threads.chunks(n, exp_thr, 2, at=t0) == 1              # asleep, alone
        assert _threads.chunks(n, exp_thr, 2, at=t0 + 0.5e-3) == 2     # a stream
        assert _threads.chunks(n, exp_thr, 2, at=t0 + 1.0) == 1        # a second later: not
        assert _threads.chunks(int(2100 * e), exp_thr, 2, at=t0 + 2.0) == 2  # pays the wake
        # a region that ended just now leaves the workers spinning: the next call threads
        t1 = t0 + 3.0
        _threads.observe(2, t1 - 1.01e-3, t1, [t1 - 1.01e-3, t1 - 1e-5, t1 - 1e-3, t1])
        assert _threads.chunks(n, exp_thr, 2, at=t1 + 1e-6) == 2
        assert _threads.chunks(int(1.5 * e), exp_thr, 2, at=t1 + 2e-6) == 1   # below 2 chunks
        # the predicted end uses the cache-resident cost; a DRAM-bound call (fresh a + b at
        # 1e6 float64) runs several times longer: up to 8x the prediction the next call
        # still belongs to the stream, well beyond it not
        t2 = t0 + 10.0
        _threads.reset_guard()
        assert _threads.chunks(n, exp_thr, 2, at=t2) == 1
        assert _threads.chunks(n, exp_thr, 2, at=t2 + 15e-3) == 2      # 5x late: a stream
        t3 = t0 + 20.0
        _threads.reset_guard()
        assert _threads.chunks(n, exp_thr, 2, at=t3) == 1
        assert _threads.chunks(n, exp_thr, 2, at=t3 + 40e-3) == 1      # 13x: not
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


def test_costs_measured_under_load_are_measured_again(two_threads):
    """A fork/join cost that looks like a loaded machine's (50 us) is measured again for a
    call that would thread on a quiet machine, once the gap since the last measurement has
    passed, also while other processes keep a core busy (the measurement keeps its
    quietest round; waiting for a quiet reading kept such a cost for as long as any other
    process ran). Within the gap it is measured again only when the sampler leaves more
    threads than when it was measured (the load went), and not sooner than 0.1 s after the
    last measurement. The gap after a measurement is 0.1 s when it found a quiet cost and
    doubles (to 1.6 s at most) while it stays high."""
    if two_threads < 2:
        pytest.skip("one CPU")
    exp_thr = SERIAL_THRESHOLD[EXPENSIVE]
    old_load = _threads.set_foreign_load(1.0)
    _threads.reset_guard()
    old = _threads.set_costs(fork_join=50e-6, wake=50e-6, remeasure_gap=0.8)
    try:
        e = _threads.thresholds()[EXPENSIVE][0]
        n = int(e)                   # below 2 chunks at 50 us, 25x above them at 1 us
        t0 = _threads.now() + 100.0
        before = _threads.stats()["remeasured"]
        assert _threads.chunks(n, exp_thr, 2, at=t0) == 1
        assert _threads.stats()["remeasured"] == before + 1      # busy machine: measured
        # measured high under load again, the sampler still reads one core busy: not
        # within the gap
        _threads.set_costs(fork_join=50e-6, wake=50e-6, remeasure_gap=0.8)
        assert _threads.chunks(n, exp_thr, 2, at=t0 + 0.2) == 1
        assert _threads.stats()["remeasured"] == before + 1
        # the load goes: measured again 0.1 s after the last measurement, within the gap
        _threads.set_foreign_load(0.0)
        _threads.chunks(n, exp_thr, 2, at=t0 + 0.05)
        assert _threads.stats()["remeasured"] == before + 1      # not sooner than 0.1 s
        _threads.chunks(n, exp_thr, 2, at=t0 + 0.25)
        assert _threads.stats()["remeasured"] == before + 2
        fj = _threads.policy_info()["fork_join_us"] * 1e-6
        gap = _threads.policy_info()["remeasure_gap_ms"] * 1e-3
        # what was measured decides the next gap: quiet 0.1 s, still high (this machine
        # busy) doubled, to 1.6 s at most
        assert gap == pytest.approx(0.1 if fj <= 4e-6 else 1.6)
        # measured high on a quiet reading: the sampler leaves no more threads than then,
        # so the next measurement waits for the gap
        _threads.set_costs(fork_join=50e-6, wake=50e-6, remeasure_gap=0.8)
        _threads.chunks(n, exp_thr, 2, at=t0 + 0.25 + 0.4)
        assert _threads.stats()["remeasured"] == before + 2
        _threads.chunks(n, exp_thr, 2, at=t0 + 0.25 + 0.9)
        assert _threads.stats()["remeasured"] == before + 3
        # a cost that is not high is never measured again
        _threads.set_costs(fork_join=1e-6, wake=10e-6)
        _threads.chunks(int(_threads.thresholds()[EXPENSIVE][0]), exp_thr, 2, at=t0 + 50)
        assert _threads.stats()["remeasured"] == before + 3
    finally:
        _threads.set_costs(*old)
        _threads.set_foreign_load(old_load)
        _threads.reset_guard()


def test_other_threads_of_this_process_count_as_load(two_threads):
    """A thread of this process that is not one of our compute threads (as NumPy's
    OpenBLAS pool spinning after a BLAS call) keeps a core busy: the sampler counts it as
    load, as it counts another process, and leaves the calls one thread fewer; the calling
    thread's own CPU time is never load."""
    import threading
    import time
    if two_threads < 2 or _threads.policy_info().get("other_processes", "").startswith("off"):
        pytest.skip("one CPU or no /proc/stat sampler")
    stop = threading.Event()

    def spin():
        x = 0
        while not stop.is_set():
            x += 1

    th = threading.Thread(target=spin, daemon=True)
    time.sleep(0.11)                         # past the sampler's period: the next call
    _threads.load_cap()                      # reads, and the window starts there
    th.start()
    try:
        time.sleep(0.3)
        cap, foreign = _threads.load_cap()
    finally:
        stop.set()
        th.join()
    assert foreign >= 0.6, foreign
    assert cap is not None and cap <= two_threads - 1
    # our own work is not load: the caller spinning itself adds nothing to what other
    # processes load (read over the same length of window just before: on a machine other
    # processes keep busy, that is not zero)
    time.sleep(0.11)
    _threads.load_cap()
    time.sleep(0.3)
    _, before = _threads.load_cap()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.3:
        pass
    cap, foreign = _threads.load_cap()
    assert foreign < before + 0.6, (foreign, before)


def test_sampler_sees_a_spinning_thread_from_import_on(two_threads):
    """NumPy's OpenBLAS worker busy-yields for ~0.1 s after `import numpy`: the sampler's
    baseline is taken at `import dotcompute`, so a reading 40 ms later already sees such a
    thread (here a NumPy sort in a loop) and leaves the calls one thread fewer. With the
    baseline at the first call that would thread, nothing saw it for 0.1 s, and the first
    regions shared a core with it."""
    if two_threads < 2 or _threads.policy_info().get("other_processes", "").startswith("off"):
        pytest.skip("one CPU or no /proc/stat sampler")
    code = """
import threading, time
import numpy as np
stop = threading.Event()
def spin():
    x = np.random.default_rng(0).random(100000)
    while not stop.is_set():
        np.sort(x)
th = threading.Thread(target=spin, daemon=True)
th.start()
time.sleep(0.05)
import dotcompute as dc
from dotcompute._core import _threads
time.sleep(0.04)
cap, foreign = _threads.load_cap()
stop.set()
th.join()
print(cap, foreign, dc._runtime.available_cpus())
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    cap, foreign, ncpu = r.stdout.split()
    assert float(foreign) >= 0.4, r.stdout
    assert int(cap) <= int(ncpu) - 1, r.stdout


def test_costs_are_measured_after_the_samplers_first_reading():
    """The thread policy measures its costs only once the sampler has read the machine
    over a window (LOAD_FIRST after its baseline) and found a core free: a call before
    that runs on one thread and measures nothing (right after `import numpy` its OpenBLAS
    worker spins on a core, and a measurement then read fork/join at ~100 us)."""
    if _threads.policy_info().get("other_processes", "").startswith("off"):
        pytest.skip("no /proc/stat sampler")
    code = """
import os, time
import dotcompute as dc
from dotcompute._core import _threads
from dotcompute import _runtime
dc.set_num_threads(2)
time.sleep(0.3)                                   # past OpenBLAS's spin after import
_threads.set_cpus(sorted(os.sched_getaffinity(0)))   # a new baseline: no reading yet
k0 = _threads.chunks(10 ** 7, 0)
c0 = _threads.policy_info()["calibrated"]
time.sleep(0.05)
k1 = _threads.chunks(10 ** 7, 0)
cap = _threads.load_cap()[0]
c1 = _threads.policy_info()["calibrated"]
print(k0, c0, k1, c1, cap, _runtime.available_cpus())
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    k0, c0, k1, c1, cap, ncpu = r.stdout.split()
    assert k0 == "1" and c0 == "False", r.stdout
    if int(ncpu) >= 2 and int(cap) >= 2:           # a core free besides ours: measured
        assert c1 == "True" and int(k1) >= 2, r.stdout


def test_sampler_reading_after_a_pause_is_confirmed_soon():
    """A reading of /proc/stat over a long window (the process paused) that found other
    processes busy holds only until a reading 50 ms later (the load it averages may be
    over); regular readings come every 0.1 s. Checked through the policy's next-reading
    time, not through timing."""
    if (_threads.policy_info().get("other_processes", "").startswith("off")
            or len(os.sched_getaffinity(0)) < 2):
        pytest.skip("no /proc/stat sampler here, or one CPU")
    old = _threads.set_foreign_load(None)
    try:
        _threads.load_cap()                       # a reading now (or within 0.1 s)
        assert _threads.next_load_reading() - _threads.now() <= 0.1 + 1e-3
        # the last reading 1 s ago, and other processes kept 2 more cores busy since
        _threads.age_load_reading(1.0, others=2.0)
        assert _threads.now() >= _threads.next_load_reading()    # due now
        cap, foreign = _threads.load_cap()
        assert cap == 1 and foreign >= 1.5
        nxt = _threads.next_load_reading() - _threads.now()
        assert 0 < nxt <= 0.05 + 1e-3                           # confirmed soon
        # a regular window (shorter than 0.3 s) is not re-read early, whatever it found
        _threads.age_load_reading(0.2, others=2.0)
        cap, foreign = _threads.load_cap()
        assert cap == 1
        nxt = _threads.next_load_reading() - _threads.now()
        assert 0.05 + 1e-3 < nxt <= 0.1 + 1e-3
    finally:
        _threads.set_foreign_load(old)


@pytest.mark.parametrize("cls", [CHEAP, MEDIUM, EXPENSIVE])
def test_eight_byte_elements_thread_no_later(two_threads, quiet, cls):
    """A call on 8-byte elements weighs the measured cost ratio to 4-byte ones (at least 1,
    bounded): it threads at no larger n than the same call on 4-byte elements; 1-byte
    elements of a cheap op count as a quarter of a 4-byte one (they thread at 4x the n),
    of the other classes as one."""
    if two_threads < 2:
        pytest.skip("one CPU")
    _threads.reset_guard()
    ratio = _threads.wide_ratios()[cls]
    assert 1.0 <= ratio <= 3.0
    thr = SERIAL_THRESHOLD[cls]
    for n in (2 ** k for k in range(8, 24)):
        _threads.reset_guard()
        k4 = _threads.chunks(n, thr, 2, itemsize=4)
        _threads.reset_guard()
        k8 = _threads.chunks(n, thr, 2, itemsize=8)
        _threads.reset_guard()
        k1 = _threads.chunks(n, thr, 2, itemsize=1)
        assert k8 >= k4
        if cls == CHEAP:
            _threads.reset_guard()
            assert k1 == _threads.chunks(n // 4, thr, 2, itemsize=4)
        else:
            assert k1 == k4


def _late_region(t0, late):
    """Report a region of two chunks of 10 us whose worker's starts `late` after the
    region's entry at t0; returns its end."""
    _threads.observe(2, t0, t0 + late + 1e-5, [t0, t0 + 1e-5, t0 + late, t0 + late + 1e-5])
    return t0 + late + 1e-5


def test_guard_allows_a_wake_up_to_regions_entered_asleep(two_threads, quiet):
    """A region entered with the workers asleep (the policy chose to pay the wake-up) whose
    worker starts a wake-up late did pay what was predicted: it is not a loss; the same
    lateness with the workers spinning is one, and so is an asleep region late by far
    more than the measured wake-up."""
    if two_threads < 2:
        pytest.skip("one CPU")
    old = _threads.set_costs(fork_join=1e-6, wake=50e-6)
    region = _late_region
    try:
        _threads.reset_guard()
        t0 = _threads.now() + 10.0
        for i in range(2):     # the first regions after a long idle are cold (see below)
            region(t0 - 2e-3 + i * 40e-6, 0.0)
        lost = _threads.stats()["regions_lost"]
        region(t0, 60e-6)                      # asleep (1.9 ms after the last): allowed
        assert _threads.stats()["regions_lost"] == lost
        region(t0 + 80e-6, 60e-6)             # right after it: workers spinning, a loss
        assert _threads.stats()["regions_lost"] == lost + 1
        _threads.reset_guard()
        region(t0 + 1.0, 400e-6)              # asleep (and cold), 8x the wake-up late: a loss
        assert _threads.stats()["regions_lost"] == lost + 2
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


def test_first_regions_after_a_long_idle_are_allowed_a_cold_start(two_threads, quiet):
    """The first two regions after the workers idled for more than 2 ms (idle CPUs and
    caches cold: ~170 us and ~100 us late on the 2-core VM) are allowed 300 us of
    lateness: they neither count as losses nor trip the guard; a third late region right
    after them does count, and a region later than the allowance counts even when cold.
    Workers idle for less are judged as before."""
    if two_threads < 2:
        pytest.skip("one CPU")
    old = _threads.set_costs(fork_join=1e-6, wake=10e-6)
    region = _late_region
    try:
        _threads.reset_guard()
        lost = _threads.stats()["regions_lost"]
        trips = _threads.stats()["guard_trips"]
        t = _threads.now() + 10.0
        t = region(t, 170e-6)                 # cold: allowed
        t = region(t + 5e-6, 100e-6)          # the second after the idle: allowed
        assert _threads.stats()["regions_lost"] == lost
        t = region(t + 5e-6, 100e-6)          # the third: warm, a loss
        assert _threads.stats()["regions_lost"] == lost + 1
        assert _threads.stats()["guard_trips"] == trips
        t = region(t + 5e-3, 400e-6)          # cold again, but later than the allowance
        assert _threads.stats()["regions_lost"] == lost + 2
        assert _threads.stats()["guard_trips"] == trips + 1
        _threads.reset_guard()
        t = region(t + 10.0, 0.0)             # two cold regions that paid
        t = region(t + 5e-6, 0.0)
        t = region(t + 1e-3, 100e-6)          # idle 1 ms (not cold), 10x the wake-up late
        assert _threads.stats()["regions_lost"] == lost + 3
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


def test_back_off_restarts_short_for_a_new_episode(two_threads, quiet):
    """A guard trip right after a back-off ended (its probe lost again) doubles the back-off;
    a trip long after it starts again at 20 ms (a burst of calls after a pause, whose first
    regions lose, does not inherit the last episode's length)."""
    if two_threads < 2:
        pytest.skip("one CPU")
    huge = 2 ** 40
    cheap = SERIAL_THRESHOLD[CHEAP]

    def trip(t):
        # two slow regions (a worker 1 ms late), back to back after one that paid: the
        # workers were spinning, so the lateness is no wake-up (regions entered asleep are
        # allowed what such regions cost, see test_wake_up_learned_by_idle)
        e = _late_region(t, 0.0)
        e = _late_region(e + 5e-6, 1e-3)
        return _late_region(e + 5e-6, 1e-3)   # when the back-off started

    # the costs pinned as in the tests above: a wake-up calibrated on an idle VM (halted
    # vCPUs: hundreds of us) allows the 1 ms lateness and nothing trips
    old = _threads.set_costs(fork_join=1e-6, wake=10e-6)
    _threads.reset_guard()
    try:
        t = _threads.now() + 10.0
        start = trip(t)
        assert _threads.chunks(huge, cheap, 2, at=start + 0.015) == 1
        assert _threads.chunks(huge, cheap, 2, at=start + 0.025) == 2       # 20 ms
        start = trip(start + 0.021)           # right after it: 40 ms
        assert _threads.chunks(huge, cheap, 2, at=start + 0.035) == 1
        assert _threads.chunks(huge, cheap, 2, at=start + 0.045) == 2
        start = trip(start + 5.0)             # long after: 20 ms again
        assert _threads.chunks(huge, cheap, 2, at=start + 0.015) == 1
        assert _threads.chunks(huge, cheap, 2, at=start + 0.025) == 2
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


@pytest.fixture
def set_costs_1us_10us(two_threads, quiet):
    """Fork/join 1 us, wake-up 10 us, the guard and learned wake-ups forgotten; yields the
    workers' spin window (seconds), restores the measured costs after."""
    if two_threads < 2:
        pytest.skip("one CPU")
    old = _threads.set_costs(fork_join=1e-6, wake=10e-6)
    _threads.reset_guard()
    try:
        yield _threads.policy_info()["spin_window_us"] * 1e-6
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()


def test_wake_up_learned_by_idle(set_costs_1us_10us):
    """Regions entered after the workers idled a while teach the policy what such a wake-up
    costs (a VM's vCPU halted past the host's polling window: ~140 us on the 2-core VM,
    against a measured wake-up of ~19 us): a call after as long an idle threads only
    when it pays that; a shorter idle keeps the measured cost; the learned excess decays,
    so the policy tries again about a second later; and a stream of calls that each do
    not pay it threads once what it would have saved reaches it."""
    spin = set_costs_1us_10us
    if spin >= 0.5e-3:
        pytest.skip("workers spin for longer than the idle this test reports")
    cheap = SERIAL_THRESHOLD[CHEAP]
    e = _threads.thresholds()[CHEAP][0]
    t = _threads.now() + 10.0
    for _ in range(12):                 # after 1 ms idle each, a worker 140 us late
        t = _late_region(t + 1e-3, 140e-6)
    learned = _threads.wake_cost(1e-3, at=t)
    assert 100e-6 < learned < 160e-6
    assert _threads.wake_cost(3e-3, at=t) >= learned     # a longer idle: no cheaper
    if 1.5 * spin < 60e-6:
        assert _threads.wake_cost(max(1.5 * spin, 33e-6), at=t) == pytest.approx(10e-6)
    assert any(v > 100 for v in _threads.wake_after_idle(at=t).values())
    mid = int(2 * e * 20)               # pays 20 us of wake-up, not 140
    big = int(2 * e * 400)
    assert _threads.chunks(mid, cheap, 2, at=t + 1e-3) == 1
    assert _threads.chunks(big, cheap, 2, at=t + 2.0) == 2
    # a stream of `mid` calls (40 us saved each) after 1 ms idle: serial until the
    # savings reach the wake-up (the rule before threaded its second call)
    _threads.reset_guard()
    for _ in range(12):
        t = _late_region(t + 1e-3, 140e-6)
    got = [_threads.chunks(mid, cheap, 2, at=t + 1e-3 + i * 10e-6) for i in range(4)]
    assert got == [1, 1, 1, 2]
    # ten half-lives later the learned cost has decayed to the measured one
    assert _threads.wake_cost(1e-3, at=t + 10.0) < 11e-6
    assert _threads.chunks(mid, cheap, 2, at=t + 10.0) == 2    # pays 20 us alone


def test_stream_wake_up_price_falls_back_once_workers_are_found_spinning(set_costs_1us_10us):
    """A stream of calls that each do not pay a wake-up buys one once its savings reach
    it, four times dearer after each purchase whose next call found the workers asleep
    again; calls that find them spinning bring the price back down, a quarter per call.
    (It stayed up for the rest of the stream: three pauses of a tight loop longer than
    the spin window left it serial for seconds.)"""
    spin = set_costs_1us_10us
    if spin > 150e-6:
        pytest.skip("workers spin for longer than the gaps of one stream")
    cheap = SERIAL_THRESHOLD[CHEAP]
    n = int(4 * _threads.thresholds()[CHEAP][0])   # saves 4 us of a 10 us wake-up
    gap = spin + 20e-6                  # the workers asleep, the stream unbroken

    def region(t):                      # a purchased region, 10 us long
        _threads.observe(1, t, t + 10e-6, [t, t + 10e-6])
        return t + 10e-6

    def calls_to_buy(t):
        k = 0
        while k < 1000:
            k += 1
            t += gap
            if _threads.chunks(n, cheap, 2, at=t) == 2:
                return k, region(t)
        return k, t

    t = _threads.now() + 10.0
    counts = []
    for _ in range(4):
        k, t = calls_to_buy(t)
        counts.append(k)
    assert counts[1] > counts[0] and counts[3] > 8 * counts[1]
    for _ in range(3):                  # found spinning: threads, the price falls
        t += 1e-6
        assert _threads.chunks(n, cheap, 2, at=t) == 2
        t = region(t)
    k, t = calls_to_buy(t)
    assert k == counts[0]


def test_regions_run_every_chunk_on_a_smaller_team():
    """The drivers ask OpenMP for one thread a chunk; a team smaller than that
    (OMP_THREAD_LIMIT) runs the chunks left over on the threads it has: every driver
    (unary, binary, fused pair, chain, reduction, dot, N-d walk, rows, evaluate) gives
    NumPy's values with 4 chunks on a team of 1."""
    code = (
        "import numpy as np, dotcompute as dc\n"
        "from dotcompute._core import _threads as T\n"
        "T.set_mode('always'); dc.set_num_threads(4)\n"
        "rng = np.random.default_rng(5)\n"
        "a = rng.random(300_001); b = rng.random(300_001); c = rng.random(300_001)\n"
        "M = rng.random((600, 501)); da, db, dc_, dM = map(dc.asarray, (a, b, c, M))\n"
        "T.stats(reset=True)\n"
        "pairs = [(da + db, a + b), (dc.exp(da), np.exp(a)), (da * 2.5 + db, a * 2.5 + b),\n"
        "         (2*da + 3*db*db - dc_, 2*a + 3*b*b - c), (dM[:, ::2] + 1.0, M[:, ::2] + 1.0),\n"
        "         (dM.sum(axis=1), M.sum(axis=1)),\n"
        "         (dc.evaluate('2*a + 3*b*b - c', local_dict={'a': da, 'b': db, 'c': dc_}),\n"
        "          2*a + 3*b*b - c)]\n"
        "ok = [np.allclose(np.asarray(x), y, rtol=1e-13, atol=0) for x, y in pairs]\n"
        "ok += [np.isclose(float(da.sum()), a.sum(), rtol=1e-12),\n"
        "       np.isclose(float(dc.vdot(da, db)), np.vdot(a, b), rtol=1e-12)]\n"
        "print(all(ok), ok, T.stats()['max_chunks'])\n")
    r = _run(code, OMP_THREAD_LIMIT="1")
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] == "True", r.stdout
    assert int(out[-1]) >= 2, r.stdout        # the drivers did cut calls into chunks


def test_nd_walk_regions_reach_the_policy(two_threads, threads_always, quiet):
    """A threaded N-d walk (NumPy's complex abs on a copy of a strided view) reports its region to
    the policy as the kernels' drivers do, and its values are NumPy's on every thread
    (the loop is NumPy's, element by element)."""
    rng = np.random.default_rng(7)
    z = (rng.normal(size=(300, 400)) + 1j * rng.normal(size=(300, 400)))[:, ::2]
    d = dc.array(z)                   # a contiguous copy: the walk's chunks thread
    _threads.stats(reset=True)
    got = abs(d)
    assert _threads.stats()["parallel_regions"] >= 1
    np.testing.assert_array_equal(np.asarray(got), np.abs(z))
    for dtype in (np.complex64, np.complex128):
        x = z.astype(dtype)
        np.testing.assert_array_equal(np.asarray(abs(dc.asarray(x))), np.abs(x))


def test_costly_numpy_loops_are_weighed_by_their_cost(two_threads, quiet):
    """NumPy's complex abs (hypot) is measured once at its first call of 4096 elements or
    more, and weighed by that cost: it costs several of the cheap class's elements (the
    class absolute belongs to), which the policy would otherwise count it as."""
    z = dc.asarray(np.random.default_rng(8).normal(size=(200, 200)) * (1 + 1j))
    np.testing.assert_array_equal(np.asarray(abs(z)), np.abs(np.asarray(z)))
    costs = _ew.numpy_unary_costs()
    assert costs[("absolute", "D")] > 0
    cheap = _threads.policy_info()["ns_per_element_cheap"] * 1e-9
    assert costs[("absolute", "D")] > 2 * cheap


def test_calls_just_below_their_threshold_thread_after_a_related_region(two_threads, quiet):
    """_sticky: a call below its class's threshold (down to a quarter of it) threads while
    the workers still spin from a call that met its own threshold (at most 100 us before,
    at most 4x its size): the data that region split between the cores stays split (a
    chain `1.0 / (1.0 + np.exp(-z))` at 1e4 mixed serial and threaded calls and lost up
    to 2x). A sticky call does not make the next one sticky; a smaller call, a later
    one, one far below its threshold and `set_sticky(False)` run serially. Decided at
    given times on the policy's clock, from given costs: no timing involved."""
    if two_threads < 2:
        pytest.skip("one CPU")
    cheap, exp_thr = SERIAL_THRESHOLD[CHEAP], SERIAL_THRESHOLD[EXPENSIVE]
    old = _threads.set_costs(fork_join=1e-6, wake=1e-3)
    _threads.reset_guard()
    try:
        e_c = _threads.thresholds()[CHEAP][0]
        e_x = _threads.thresholds()[EXPENSIVE][0]
        n = int(e_c)                    # below 2 chunks of the cheap class
        t0 = _threads.now() + 100.0
        assert _threads.chunks(n, cheap, 2, at=t0) == 1                  # nothing before
        _threads.observe(2, t0 + 1e-6, t0 + 5e-6, [t0 + 1e-6, t0 + 4e-6, t0 + 1e-6, t0 + 5e-6])
        assert _threads.chunks(n, cheap, 2, at=t0 + 6e-6) == 1           # no real call yet
        assert _threads.chunks(int(4 * e_x), exp_thr, 2, at=t0 + 7e-6) == 2   # a real one
        t1 = t0 + 20e-6
        _threads.observe(2, t0 + 8e-6, t1, [t0 + 8e-6, t1 - 1e-6, t0 + 8e-6, t1])
        assert _threads.chunks(n, cheap, 2, at=t1 + 1e-6) == 2           # sticky
        assert _threads.chunks(int(0.4 * e_c), cheap, 2, at=t1 + 2e-6) == 1   # far below
        assert _threads.chunks(int(4 * e_x) // 5, cheap, 2, at=t1 + 3e-6) == 1  # 5x smaller
        old_sticky = _threads.set_sticky(False)
        try:
            assert _threads.chunks(n, cheap, 2, at=t1 + 4e-6) == 1
        finally:
            _threads.set_sticky(old_sticky)
        t2 = t0 + 150e-6                 # spinning, but the real call was 143 us ago
        _threads.observe(2, t2 - 4e-6, t2, [t2 - 4e-6, t2 - 1e-6, t2 - 4e-6, t2])
        assert _threads.chunks(n, cheap, 2, at=t2 + 1e-6) == 1
        t3 = t0 + 10e-3                  # the workers asleep
        assert _threads.chunks(int(4 * e_x), exp_thr, 2, at=t3) >= 1
        assert _threads.chunks(n, cheap, 2, at=t3 + 1.0) == 1
    finally:
        _threads.set_costs(*old)
        _threads.reset_guard()
