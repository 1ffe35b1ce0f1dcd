"""Tests of dotcompute._core._memory: pool, DeviceMemory, statistics, NumPy hook."""
import gc
import os
import queue
import random
import subprocess
import sys
import threading

import numpy as np
import pytest

import dotcompute._core._memory as m

MiB = 1 << 20
SIZES = [0, 1, 63, 64, 511, 512, 513, 4095, 5000, 65537, MiB - 1, MiB, MiB + 1, 3 * MiB + 5]


def fill(mem, value):
    a = np.frombuffer(mem, dtype=np.uint8)
    a[:] = value
    return a


def check(mem, value):
    return bool((np.frombuffer(mem, dtype=np.uint8) == value).all())


def balanced(pool):
    st = m.memory_stats(pool)
    for kind in ("allocation", "allocated_bytes", "active_bytes", "requested_bytes"):
        for p in ("all", "small_pool", "large_pool"):
            assert st[f"{kind}.{p}.current"] == 0, (kind, p, st[f"{kind}.{p}.current"])
    assert st["reserved_bytes.all.current"] == pool.total_bytes()
    assert pool.used_bytes() == 0
    assert pool.free_bytes() == pool.total_bytes()


# ---------------------------------------------------------------------- allocator


@pytest.mark.parametrize("alignment", [1, 64, 256, 1024, 4096])
def test_alignment_and_no_overlap(alignment):
    pool = m.MemoryPool(alignment)
    assert pool.alignment == alignment
    blocks = [pool.malloc(n) for n in SIZES * 3]
    for b, n in zip(blocks, SIZES * 3):
        assert b.ptr % max(alignment, 64) == 0
        assert b.nbytes == n == len(b)
        assert b.alignment == alignment
        assert b.device == "cpu"
    spans = sorted((b.ptr, b.ptr + max(b.nbytes, 1)) for b in blocks)
    for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
        assert e0 <= s1, "live blocks overlap"
    for i, b in enumerate(blocks):
        fill(b, i % 251)
    for i, b in enumerate(blocks):
        assert check(b, i % 251)
    del b
    blocks.clear()
    balanced(pool)


def test_default_pool_alignment_64():
    pool = m.get_default_memory_pool()
    assert pool is m.get_default_memory_pool()
    assert pool.alignment == 64
    for n in (1, 100, 8000, 2 * MiB):
        assert m.malloc(n).ptr % 64 == 0


@pytest.mark.parametrize("bad", [0, -64, 3, 96, 8192, 1 << 20])
def test_bad_alignment(bad):
    with pytest.raises(ValueError):
        m.MemoryPool(bad)


def test_alignment_type():
    with pytest.raises(TypeError):
        m.MemoryPool(64.0)


@pytest.mark.parametrize("n", [MiB, MiB + 1, 5 * MiB + 123, 80_000_000, 33 * MiB - 7])
def test_rounding_waste_large(n):
    pool = m.MemoryPool()
    b = pool.malloc(n)
    assert n <= pool.used_bytes() <= n * 1.01
    st = m.memory_stats(pool)
    assert st["allocation.large_pool.current"] == 1
    assert st["requested_bytes.large_pool.current"] == n
    del b


def test_large_blocks_start_at_staggered_offsets():
    """Large blocks hand their data out at offsets of 512-byte units inside the page, round
    robin over new chunks, within the rounding slack (none for a page multiple), kept when
    a chunk is reused; the data stays inside the block and aligned; pools aligned to more
    than the unit keep offset 0."""
    pool = m.MemoryPool()
    n = 8_000_000                                      # 3584 bytes of slack: every color
    blocks = [pool.malloc(n) for _ in range(8)]
    offsets = [b.ptr % 4096 for b in blocks]
    assert sorted(offsets) == [512 * k for k in range(8)]
    for b in blocks:
        fill(b, 7)                                      # all n bytes writable
        assert check(b, 7)
    ptrs = [b.ptr for b in blocks]
    del blocks, b
    again = [pool.malloc(n) for _ in range(8)]          # the same chunks: the same data
    assert sorted(b.ptr for b in again) == sorted(ptrs)
    assert pool.malloc(4 * MiB).ptr % 4096 == 0        # no slack: offset 0
    assert pool.malloc(4 * MiB - 1000).ptr % 512 == 0
    aligned = m.MemoryPool(4096)
    assert all(aligned.malloc(n).ptr % 4096 == 0 for _ in range(3))


def test_zero_bytes():
    pool = m.MemoryPool()
    a, b = pool.malloc(0), pool.malloc(0)
    assert a.nbytes == 0 and len(memoryview(a)) == 0
    assert a.ptr != 0
    assert m.memory_stats(pool)["allocation.all.current"] == 2
    del a, b
    balanced(pool)


def test_reuse_split_merge():
    pool = m.MemoryPool()
    big = pool.malloc(8 * MiB)
    del big
    total = pool.total_bytes()
    parts = [pool.malloc(MiB) for _ in range(8)]  # split the cached 8 MiB segment
    assert pool.total_bytes() == total
    assert m.memory_stats(pool)["num_os_alloc"] == 1
    del parts[::2]
    parts.clear()
    # neighbours merged back into one whole segment
    assert pool.n_free_blocks() == 1
    again = pool.malloc(8 * MiB)
    assert pool.total_bytes() == total and m.memory_stats(pool)["num_os_alloc"] == 1
    del again
    pool.free_all_blocks()
    assert pool.total_bytes() == 0
    st = m.memory_stats(pool)
    assert st["num_os_free"] == st["num_os_alloc"] == 1


def test_small_and_large_pools_separate():
    pool = m.MemoryPool()
    big = pool.malloc(64 * MiB)
    del big
    small = pool.malloc(1000)  # must not come out of the cached large block
    st = m.memory_stats(pool)
    assert st["segment.small_pool.current"] == 1
    assert st["segment.large_pool.current"] == 1
    mid = pool.malloc(2 * MiB)  # large, but far smaller than the cached 64 MiB block
    assert m.memory_stats(pool)["segment.large_pool.current"] == 2
    assert pool.n_free_blocks() >= 2
    del small, mid


def test_huge_block_split_when_limit_forbids_new_segment():
    pool = m.MemoryPool()
    big = pool.malloc(64 * MiB)
    del big
    pool.set_limit(size=pool.total_bytes())
    mid = pool.malloc(2 * MiB)  # no room for a new segment: split the cached one
    assert pool.total_bytes() == 64 * MiB
    del mid


def test_free_all_blocks_keeps_live():
    pool = m.MemoryPool()
    live = pool.malloc(3 * MiB)
    fill(live, 42)
    dead = pool.malloc(5 * MiB)
    del dead
    assert pool.total_bytes() == 8 * MiB
    pool.free_all_blocks()
    assert pool.total_bytes() == 3 * MiB
    assert pool.used_bytes() == 3 * MiB
    assert check(live, 42)
    del live
    balanced(pool)


def test_pool_hits_recurring_sizes():
    pool = m.MemoryPool()
    sizes = [800, 8000, 80_000, 800_000, 8 * MiB]
    for _ in range(200):
        blocks = [pool.malloc(n) for n in sizes]
        del blocks
    st = m.memory_stats(pool)
    assert st["pool_hits"] / (st["pool_hits"] + st["pool_misses"]) >= 0.99
    info = m.pool_info(pool)
    assert info["hit_rate"] >= 0.99
    assert set(info) == {"used", "free", "total", "limit", "n_free_blocks", "hit_rate"}


# ---------------------------------------------------------------------- bad input, limits


def test_bad_sizes():
    pool = m.MemoryPool()
    with pytest.raises(ValueError, match="-5"):
        pool.malloc(-5)
    for bad in (1.5, "10", None, [1]):
        with pytest.raises(TypeError):
            pool.malloc(bad)
    for absurd in (2 ** 62, 2 ** 70):
        with pytest.raises(m.OutOfMemoryError) as ei:
            pool.malloc(absurd)
        assert ei.value.size == absurd
        assert f"{absurd:,}" in str(ei.value)
        assert isinstance(ei.value, MemoryError)
    assert pool.malloc(np.int64(10)).nbytes == 10
    balanced(pool)


def test_limit_and_oom_with_retry():
    pool = m.MemoryPool()
    pool.set_limit(size=8 * MiB)
    assert pool.get_limit() == 8 * MiB
    a = pool.malloc(5 * MiB)
    fill(a, 9)
    st0 = m.memory_stats(pool)
    with pytest.raises(m.OutOfMemoryError) as ei:
        pool.malloc(4 * MiB)
    e = ei.value
    assert (e.size, e.total, e.limit) == (4 * MiB, 5 * MiB, 8 * MiB)
    for number in (4 * MiB, 5 * MiB, 8 * MiB):
        assert f"{number:,}" in str(e)
    st = m.memory_stats(pool)
    assert st["num_alloc_retries"] == st0["num_alloc_retries"] + 1
    assert st["num_ooms"] == st0["num_ooms"] + 1
    assert check(a, 9) and pool.used_bytes() == 5 * MiB
    b = pool.malloc(3 * MiB)  # still fits
    del b
    pool.set_limit()
    assert pool.get_limit() == 0
    c = pool.malloc(4 * MiB)
    del a, c
    balanced(pool)


def test_limit_below_current_use():
    pool = m.MemoryPool()
    a = pool.malloc(6 * MiB)
    fill(a, 3)
    pool.set_limit(size=MiB)
    with pytest.raises(m.OutOfMemoryError):
        pool.malloc(2 * MiB)
    with pytest.raises(m.OutOfMemoryError):
        pool.malloc(100)
    assert check(a, 3) and pool.used_bytes() == 6 * MiB
    del a
    pool.set_limit(size=0)
    balanced(pool)


def test_oom_retry_runs_gc_collect():
    pool = m.MemoryPool()
    pool.set_limit(size=4 * MiB)
    gc.disable()
    try:
        cycle = [pool.malloc(3 * MiB)]
        cycle.append(cycle)  # only the cycle collector can free this block
        del cycle
        assert pool.used_bytes() == 3 * MiB
        retries = m.memory_stats(pool)["num_alloc_retries"]
        b = pool.malloc(3 * MiB)  # fails first, succeeds after gc.collect()
        assert m.memory_stats(pool)["num_alloc_retries"] == retries + 1
        assert m.memory_stats(pool)["num_ooms"] == 0
        del b
    finally:
        gc.enable()
    balanced(pool)


@pytest.fixture
def gc_calls(monkeypatch):
    """The list of gc.collect() calls made while the test runs (none is run for real)."""
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or 0)
    return calls


def test_failed_allocation_releases_cached_blocks_before_collecting(gc_calls):
    calls = gc_calls
    pool = m.MemoryPool()
    pool.set_limit(size=8 * MiB)
    a = pool.malloc(6 * MiB)
    del a                                  # 6 MiB stay reserved as a cached free block
    assert pool.total_bytes() >= 6 * MiB
    b = pool.malloc(7 * MiB)               # fits only once the cached block is released
    assert calls == [] and b.nbytes == 7 * MiB
    del b
    balanced(pool)


def test_gc_collect_runs_once_per_failure_episode(gc_calls):
    calls = gc_calls
    pool = m.MemoryPool()
    pool.set_limit(size=4 * MiB)
    for _ in range(5):
        with pytest.raises(m.OutOfMemoryError):
            pool.malloc(8 * MiB)
        small = pool.malloc(1000)          # smaller successes do not end the episode
        del small
    assert len(calls) == 1
    with pytest.raises(m.OutOfMemoryError):
        pool.malloc(6 * MiB)               # a smaller failure in the same episode
    assert len(calls) == 1
    pool.set_limit(size=16 * MiB)
    big = pool.malloc(8 * MiB)             # the failed size fits again: episode over
    del big
    pool.free_all_blocks()
    pool.set_limit(size=4 * MiB)
    with pytest.raises(m.OutOfMemoryError):
        pool.malloc(8 * MiB)
    assert len(calls) == 2                 # a new episode collects again
    pool.set_limit()
    balanced(pool)


def test_tiny_limits_are_not_unlimited():
    pool = m.MemoryPool()
    pool.set_limit(fraction=1e-12)         # rounds to 0 bytes: at least one byte instead
    assert pool.get_limit() == 1
    with pytest.raises(m.OutOfMemoryError):
        pool.malloc(64)
    pool.set_limit(fraction=0)             # zero is still "no limit"
    assert pool.get_limit() == 0
    assert m._parse_limit("0.4") == 1
    assert m._parse_limit("0.0000000001%") == 1
    assert m._parse_limit("0") == 0
    balanced(pool)


def test_set_limit_arguments():
    pool = m.MemoryPool()
    pool.set_limit(fraction=0.5)
    assert pool.get_limit() == int(0.5 * m.physical_memory())
    for kwargs in ({"size": -1}, {"fraction": 1.5}, {"fraction": -0.1},
                   {"size": 10, "fraction": 0.1}):
        with pytest.raises(ValueError):
            pool.set_limit(**kwargs)
    with pytest.raises(TypeError):
        pool.set_limit(size=1.5)


# ---------------------------------------------------------------------- DeviceMemory


def test_device_memory_cannot_be_constructed():
    with pytest.raises(TypeError):
        m.DeviceMemory()


def test_slices_share_and_keep_parent_alive():
    pool = m.MemoryPool()
    a = pool.malloc(1000)
    fill(a, 0)
    v = a[100:200]
    assert v.ptr == a.ptr + 100 and v.nbytes == 100 and v.base is a
    w = v[10:]
    assert w.base is a and w.ptr == a.ptr + 110 and w.nbytes == 90
    assert a[-10:].nbytes == 10 and a[-10:].ptr == a.ptr + 990
    assert a[500:2000].nbytes == 500 and a[300:100].nbytes == 0
    with pytest.raises(ValueError):
        a[::2]
    with pytest.raises(ValueError):
        a[10:0:-1]
    fill(w, 5)
    assert a[110] == 5 and a[109] == 0 and a[-1] == 0
    with pytest.raises(IndexError):
        a[1000]
    del a, v
    gc.collect()
    assert pool.used_bytes() > 0  # w still holds the block
    assert check(w, 5)
    del w
    balanced(pool)


def test_buffer_exports_keep_block_alive():
    pool = m.MemoryPool()
    mv = memoryview(pool.malloc(1000))
    assert mv.format == "B" and not mv.readonly and mv.nbytes == 1000 and mv.ndim == 1
    mv[:] = b"x" * 1000
    assert pool.used_bytes() > 0
    mv.release()
    balanced(pool)

    arr = np.frombuffer(pool.malloc(800), dtype=np.float64)
    arr[:] = 1.5
    view_of_view = np.frombuffer(pool.malloc(4096)[1024:2048], dtype=np.uint8)
    assert pool.used_bytes() > 0
    assert m.memory_stats(pool)["allocation.all.current"] == 2
    del arr
    assert m.memory_stats(pool)["allocation.all.current"] == 1
    view_of_view[:] = 1
    del view_of_view
    balanced(pool)


def test_freed_blocks_are_reused_only_after_release():
    pool = m.MemoryPool()
    a = pool.malloc(4096)
    ptr = a.ptr
    arr = np.frombuffer(a, dtype=np.uint8)
    del a
    b = pool.malloc(4096)
    assert b.ptr != ptr  # a is still exported through arr
    del arr
    c = pool.malloc(4096)
    assert c.ptr == ptr  # best fit reuses the freed block
    del b, c
    balanced(pool)


# ---------------------------------------------------------------------- statistics


def test_stats_keys_balance_and_resets():
    pool = m.MemoryPool()
    st = m.memory_stats(pool)
    for kind in ("allocation", "allocated_bytes", "reserved_bytes", "active_bytes",
                 "requested_bytes", "segment"):
        for p in ("all", "small_pool", "large_pool"):
            for metric in ("current", "peak", "allocated", "freed"):
                assert st[f"{kind}.{p}.{metric}"] == 0
    for key in ("num_alloc_retries", "num_ooms", "num_os_alloc", "num_os_free", "pool_hits",
                "pool_misses"):
        assert st[key] == 0
    rng = random.Random(0)
    blocks = [pool.malloc(rng.choice([10, 700, 9000, 300_000, 2 * MiB + 17])) for _ in range(300)]
    requested = sum(b.nbytes for b in blocks)
    st = m.memory_stats(pool)
    assert st["allocation.all.current"] == 300
    assert st["requested_bytes.all.current"] == requested
    assert (st["allocation.small_pool.current"] + st["allocation.large_pool.current"] == 300)
    assert st["allocated_bytes.all.current"] == pool.used_bytes() >= requested
    assert st["reserved_bytes.all.current"] == pool.total_bytes()
    del blocks
    st = m.memory_stats(pool)
    balanced(pool)
    assert st["allocation.all.peak"] == 300
    assert st["allocation.all.allocated"] == st["allocation.all.freed"] == 300
    assert st["requested_bytes.all.freed"] == requested
    m.reset_peak_memory_stats(pool)
    assert m.memory_stats(pool)["allocation.all.peak"] == 0
    m.reset_accumulated_memory_stats(pool)
    st = m.memory_stats(pool)
    assert st["allocation.all.allocated"] == 0 and st["pool_hits"] == 0
    assert m.size_histogram(pool) == {}
    pool.free_all_blocks()
    st = m.memory_stats(pool)
    assert st["segment.all.current"] == 0 and st["reserved_bytes.all.current"] == 0


def test_size_histogram():
    pool = m.MemoryPool()
    keep = [pool.malloc(n) for n in (0, 1, 100, 100, 128, 129, 5000, 3 * MiB)]
    assert m.size_histogram(pool) == {1: 2, 128: 3, 256: 1, 8192: 1, 4 * MiB: 1}
    del keep


def test_memory_summary_and_default_functions():
    pool = m.MemoryPool()
    a, b = pool.malloc(100), pool.malloc(2 * MiB)
    text = m.memory_summary(pool)
    for needle in ("Allocated memory", "Reserved memory", "Allocations", "Segments",
                   "from large pool", "from small pool", "num_alloc_retries"):
        assert needle in text
    assert len(text.splitlines()) > 20
    assert isinstance(m.memory_summary(), str)
    assert isinstance(m.memory_stats(), dict)
    with pytest.raises(TypeError):
        m.memory_stats(pool="default")
    del a, b


# ---------------------------------------------------------------------- threads


def test_threads_malloc_free_consistent():
    pool = m.MemoryPool()
    handoff = queue.Queue()
    errors = []

    def work(seed):
        rng = random.Random(seed)
        live = []
        try:
            for i in range(3000):
                if live and rng.random() < 0.5:
                    blk, val = live.pop(rng.randrange(len(live)))
                    if not check(blk, val):
                        errors.append("corrupted block")
                    if rng.random() < 0.3:
                        handoff.put(blk)  # freed by another thread
                    del blk
                else:
                    n = rng.choice([0, 64, 700, 5000, 70_000, 500_000, MiB + 5, 3 * MiB])
                    blk = pool.malloc(n)
                    val = rng.randrange(256)
                    fill(blk, val)
                    live.append((blk, val))
                while not handoff.empty():
                    try:
                        handoff.get_nowait()
                    except queue.Empty:
                        break
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while not handoff.empty():
        handoff.get()
    assert errors == []
    st = m.memory_stats(pool)
    assert st["allocation.all.allocated"] == st["allocation.all.freed"] > 1000
    assert st["pool_hits"] + st["pool_misses"] == st["allocation.all.allocated"]
    balanced(pool)
    assert pool.n_free_blocks() == st["segment.all.current"]  # everything merged back


# ---------------------------------------------------------------------- NumPy hook


def handler_name(arr):
    return np._core.multiarray.get_handler_name(arr)


def test_use_for_numpy_context_manager():
    pool = m.MemoryPool()
    before = handler_name(np.ones(3))
    with m.use_for_numpy(pool) as h:
        a = np.arange(1000.0)
        b = np.ones((300, 300))
        c = np.empty(10)
        assert h.active
    assert not h.active
    d = np.ones(10)
    assert handler_name(d) == before != "dotcompute_pool"
    for x in (a, b, c):
        assert handler_name(x) == "dotcompute_pool"
        assert x.ctypes.data % 64 == 0
    st = m.memory_stats(pool)
    assert st["allocation.all.current"] == 3
    assert a.sum() == 999 * 1000 / 2 and b.sum() == 90000
    del a, b, c, x  # freed after the handler was removed
    balanced(pool)


def test_numpy_code_on_large_dc_arrays_allocates_from_the_pool_and_restores_the_handler():
    """A NumPy function run on large dc arrays (past SMALL_BYTES) allocates its result
    from the default pool (m.PoolScope, the cheap nested swap) and leaves NumPy's handler
    as it was, also inside a user's use_for_numpy and after an exception."""
    import dotcompute as dc
    original = np._core.multiarray.get_handler_name()
    x = dc.asarray(np.arange(100000.0))
    before = m.memory_stats()["allocated_bytes.all.current"]
    r = np.roll(x, 3)                        # NumPy's code on our array
    assert m.memory_stats()["allocated_bytes.all.current"] >= before + 800000
    assert isinstance(r, dc.ndarray)
    np.testing.assert_array_equal(np.asarray(r), np.roll(np.arange(100000.0), 3))
    assert np._core.multiarray.get_handler_name() == original
    pool = m.MemoryPool()
    with m.use_for_numpy(pool):
        np.roll(x, 3)
        assert handler_name(np.ones(10)) == "dotcompute_pool"
        with m.PoolScope():
            assert handler_name(np.ones(10)) == "dotcompute_pool"
        assert m.memory_stats(pool)["allocation.all.current"] >= 0
    assert np._core.multiarray.get_handler_name() == original
    with pytest.raises(ValueError):
        np.reshape(x, (7, -1))               # NumPy's error, raised inside the swap
    assert np._core.multiarray.get_handler_name() == original


def test_use_for_numpy_plain_call_and_nesting():
    p1, p2 = m.MemoryPool(), m.MemoryPool(4096)
    h1 = m.use_for_numpy(p1)
    try:
        a = np.ones(100)
        with m.use_for_numpy(p2):
            b = np.ones(100)
            assert b.ctypes.data % 4096 == 0
        c = np.ones(100)
    finally:
        h1.restore()
        h1.restore()  # idempotent
    d = np.ones(100)
    assert m.memory_stats(p1)["allocation.all.current"] == 2  # a, c
    assert m.memory_stats(p2)["allocation.all.current"] == 1  # b
    assert handler_name(d) != "dotcompute_pool"
    del a, b, c
    balanced(p1)
    balanced(p2)


def _allocating_pool(pools):
    """Index of the pool NumPy's next allocation comes from (None: not ours)."""
    before = [p.used_bytes() for p in pools]
    x = np.empty(1 << 16)
    grew = [i for i, p in enumerate(pools) if p.used_bytes() > before[i]]
    name = handler_name(x)
    del x
    assert (name == "dotcompute_pool") == bool(grew)
    return grew[0] if grew else None


@pytest.mark.parametrize("order", list(__import__("itertools").permutations(range(3))))
def test_use_for_numpy_restored_in_any_order(order):
    original = np._core.multiarray.get_handler_name()
    pools = [m.MemoryPool() for _ in range(3)]
    handles = [m.use_for_numpy(p) for p in pools]
    assert _allocating_pool(pools) == 2
    restored = set()
    for i in order:
        handles[i].restore()
        restored.add(i)
        left = [j for j in range(3) if j not in restored]
        # the newest handle not yet restored decides; none left: NumPy's own allocator
        assert _allocating_pool(pools) == (max(left) if left else None)
    assert np._core.multiarray.get_handler_name() == original != "dotcompute_pool"
    for p in pools:
        balanced(p)


def test_use_for_numpy_two_handles_out_of_order():
    original = np._core.multiarray.get_handler_name()
    h1 = m.use_for_numpy()
    h2 = m.use_for_numpy()
    h1.restore()
    assert np._core.multiarray.get_handler_name() == "dotcompute_pool"   # h2 still on
    h2.restore()
    # the handler in place before: NumPy's, behind the line-aligning one from the import
    aligned = os.environ.get("DOTCOMPUTE_NUMPY_ALIGN", "1").strip() != "0"
    assert np._core.multiarray.get_handler_name() == original == (
        "dotcompute_line_aligned" if aligned else "default_allocator")


def test_numpy_arrays_outlive_pool_reference():
    def make():
        pool = m.MemoryPool()
        with m.use_for_numpy(pool):
            return [np.full(n, 2.0) for n in (10, 10_000, 300_000)]
    arrays = make()
    gc.collect()
    assert [a.sum() for a in arrays] == [20.0, 20000.0, 600000.0]
    del arrays  # the capsule kept the pool alive until now
    gc.collect()


def test_numpy_calloc_zeroes_reused_memory():
    pool = m.MemoryPool()
    with m.use_for_numpy(pool):
        for n in (100, 100_000, 2_000_000):
            dirty = np.full(n, 7.0)
            del dirty
            hits = m.memory_stats(pool)["pool_hits"]
            z = np.zeros(n)
            assert m.memory_stats(pool)["pool_hits"] == hits + 1  # recycled, dirty memory
            assert not z.any()
            del z


def test_numpy_realloc_preserves_contents():
    pool = m.MemoryPool()
    with m.use_for_numpy(pool):
        a = np.arange(10.0)
        a.resize(100_000, refcheck=False)  # grows through the handler's realloc
        assert handler_name(a) == "dotcompute_pool"
        np.testing.assert_array_equal(a[:10], np.arange(10.0))
        assert not a[10:].any()
        a[:] = np.arange(100_000.0)
        a.resize(50, refcheck=False)  # shrinks
        np.testing.assert_array_equal(a, np.arange(50.0))
        b = np.resize(np.arange(7.0), 20)
        np.testing.assert_array_equal(b, np.tile(np.arange(7.0), 3)[:20])
        g = np.fromiter((float(i) for i in range(100_000)), dtype=np.float64)  # realloc grows
        assert g.sum() == 99_999 * 100_000 / 2
    del a, b, g
    balanced(pool)


# ---------------------------------------------------------------------- environment


@pytest.mark.parametrize("text,expected", [
    ("1000", 1000), ("64K", 64 << 10), ("512M", 512 << 20), ("2G", 2 << 30),
    ("1.5G", int(1.5 * (1 << 30))), ("3 MiB", 3 << 20), ("10kb", 10 << 10),
])
def test_parse_limit(text, expected):
    assert m._parse_limit(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-5M", "12X", "150%", "5 %%"])
def test_parse_limit_rejects(text):
    with pytest.raises(ValueError):
        m._parse_limit(text)


def _run_with_env(value):
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    import dotcompute._core._memory as m\n"
        "print(m.get_default_memory_pool().get_limit(), m.physical_memory(), len(w))\n"
        "print(*[str(x.message) for x in w])\n"
    )
    env = dict(os.environ, DOTCOMPUTE_MEMORY_LIMIT=value)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    limit, phys, nwarn = map(int, out[0].split())
    return limit, phys, nwarn, out[1] if len(out) > 1 else ""


def test_env_limit_subprocess():
    assert _run_with_env("256M")[:1] == (256 << 20,)
    limit, phys, nwarn, _ = _run_with_env("25%")
    assert limit == int(0.25 * phys) and nwarn == 0
    limit, _, nwarn, msg = _run_with_env("lots")
    assert limit == 0 and nwarn == 1 and "DOTCOMPUTE_MEMORY_LIMIT" in msg


def test_env_limit_below_one_byte_is_one_byte_subprocess():
    limit, _, nwarn, _ = _run_with_env("0.4")
    assert limit == 1 and nwarn == 0


def test_env_limit_enforced_subprocess():
    code = (
        "import dotcompute._core._memory as m\n"
        "a = m.malloc(3 << 20)\n"
        "try:\n"
        "    m.malloc(3 << 20)\n"
        "except m.OutOfMemoryError as e:\n"
        "    print('oom', e.limit)\n"
    )
    env = dict(os.environ, DOTCOMPUTE_MEMORY_LIMIT="4M")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["oom", str(4 << 20)]


def _asan_loaded():
    with open("/proc/self/maps") as f:
        return "libasan" in f.read()


@pytest.mark.skipif(not _asan_loaded(), reason="needs a DOTCOMPUTE_SANITIZE=address build "
                                                "run with libasan preloaded")
@pytest.mark.parametrize("where", ["tail", "freed"])
def test_asan_sees_pool_overruns(where):
    # Under ASan the pool poisons bytes no live block asked for: writing one byte past a
    # block's requested size, or into a freed block, is reported (the child dies).
    code = f"""
import ctypes, dotcompute._core._memory as m
pool = m.MemoryPool()
b = pool.malloc(100)
ctypes.memmove(b.ptr + 99, b"x", 1)
print("in bounds ok", flush=True)
if {where!r} == "tail":
    ctypes.memmove(b.ptr + 100, b"x", 1)
else:
    p = b.ptr
    del b
    ctypes.memmove(p, b"x", 1)
print("not detected", flush=True)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert "in bounds ok" in r.stdout
    assert "not detected" not in r.stdout
    assert "use-after-poison" in r.stderr


def test_numpy_functions_with_small_results_on_large_inputs_as_numpy():
    """A NumPy function whose results on large inputs were scalars runs without the pool's
    allocator swap; when it then returns a large array, that array is still NumPy's values
    as a dc array (and the next call swaps again)."""
    import dotcompute as dc
    rng = np.random.default_rng(0)
    a = rng.random((5000, 20)) < 0.5
    d = dc.asarray(a)
    for _ in range(3):
        assert np.count_nonzero(d) == np.count_nonzero(a)
    for axis in (1, 1, None, 1):
        got, want = np.count_nonzero(d, axis=axis), np.count_nonzero(a, axis=axis)
        if axis is None:
            assert got == want
        else:
            assert isinstance(got, dc.ndarray)
            np.testing.assert_array_equal(np.asarray(got), want)
    assert np._core.multiarray.get_handler_name() != "dotcompute_pool"


# --- NumPy's own arrays on cache lines (the handler put in front of NumPy's at import) ---

def test_numpy_arrays_made_after_import_start_on_a_line():
    """NumPy's arrays made after `import dotcompute` start on 64-byte lines (NumPy's malloc
    leaves large ones 16 bytes past one), with NumPy's contents: empty, zeros (calloc),
    ones, copies, results of NumPy's own functions, every size from 0 bytes up."""
    assert np._core.multiarray.get_handler_name() == "dotcompute_line_aligned"
    for n in [0, 1, 2, 3, 7, 15, 16, 17, 100, 127, 128, 129, 1000, 4095, 30000, 10 ** 5,
              10 ** 6, 3 * 10 ** 6]:
        for make in (np.empty, np.zeros, np.ones):
            a = make(n)
            assert a.ctypes.data % 64 == 0, (make, n)
        z = np.zeros(n)
        assert not z.any()
        o = np.ones(n, np.int8)
        assert o.sum() == n
        r = np.arange(n, dtype=np.float32)
        c = r * 2
        assert c.ctypes.data % 64 == 0
        np.testing.assert_array_equal(c, np.arange(0, 2 * n, 2, dtype=np.float32))


def test_numpy_resizes_through_the_aligning_handler():
    """realloc through the handler (ndarray.resize, np.fromiter of unknown length) keeps
    the contents and the line, growing and shrinking across malloc's offsets."""
    rng = np.random.default_rng(0)
    sizes = [1, 5, 16, 100, 1000, 3000, 20000, 150000, 40, 2, 500000, 7]
    a = rng.normal(size=3)
    for n in sizes:
        before = a.copy()
        a.resize(n, refcheck=False)
        k = min(n, before.size)
        np.testing.assert_array_equal(a[:k], before[:k])
        assert a.ctypes.data % 64 == 0
        a[:] = rng.normal(size=n)
    got = np.fromiter((i * 0.5 for i in range(100000)), dtype=np.float64)
    np.testing.assert_array_equal(got, np.array([i * 0.5 for i in range(100000)]))
    s = np.fromiter(("ab" * (i % 5) for i in range(5000)), dtype="U10")
    assert s.tolist() == ["ab" * (i % 5) for i in range(5000)]


def test_numpy_alignment_can_be_left_off_and_switched():
    """DOTCOMPUTE_NUMPY_ALIGN=0 leaves NumPy's handler alone; align_numpy switches it off
    and on, arrays made under either freed whenever (each keeps its handler)."""
    import subprocess
    import sys
    code = ("import numpy as np, dotcompute as dc; "
            "print(np._core.multiarray.get_handler_name()); "
            "print(dc.runtime_info()['numpy_arrays'])")
    env = dict(os.environ, DOTCOMPUTE_NUMPY_ALIGN="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[0] == "default_allocator"
    assert "DOTCOMPUTE_NUMPY_ALIGN=0" in out[1]
    kept = [np.ones(30000)]
    try:
        assert m.align_numpy(False) is False
        assert np._core.multiarray.get_handler_name() == "default_allocator"
        kept.append(np.ones(30000))
    finally:
        assert m.align_numpy(True) is True
    assert np._core.multiarray.get_handler_name() == "dotcompute_line_aligned"
    kept.append(np.ones(30000))
    assert sum(float(k.sum()) for k in kept) == 3 * 30000
    del kept
