"""Timing helpers shared by `python -m dotcompute`, `tools/` and the benchmark scripts.

Medians of batched calls: tiny calls are repeated in a batch long enough to beat the timer's
resolution, and several backends are timed in interleaved batches so that a change in the
machine's load touches all of them alike. Ratios from one run are what to compare.
"""
import time

__all__ = ["batch_size", "batch_median", "median_time", "min_time", "interleaved_samples",
           "interleaved_medians", "interleaved_minimums"]


def batch_size(f, batch_seconds=0.002):
    """How many calls of f fill about `batch_seconds` (at least 1); calls f twice."""
    f()
    t0 = time.perf_counter()
    f()
    return max(1, int(batch_seconds / max(time.perf_counter() - t0, 1e-7)))


def batch_median(f, number, repeat):
    """Median seconds per call of f over `repeat` batches of `number` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            f()
        times.append((time.perf_counter() - t0) / number)
    times.sort()
    return times[len(times) // 2]


def median_time(f, budget=0.15, min_repeat=5, max_repeat=200, batch_seconds=0.002):
    """Median seconds per call of f within about `budget` seconds."""
    inner = batch_size(f, batch_seconds)
    t0 = time.perf_counter()
    f()
    one = max(time.perf_counter() - t0, 1e-7)
    repeat = int(min(max_repeat, max(min_repeat, budget / (one * inner))))
    return batch_median(f, inner, repeat)


def min_time(f, repeat):
    """Seconds of the fastest of `repeat` single calls of f (for long calls, where a batch
    would take too long and the fastest run is the least disturbed one)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def interleaved_samples(fns, repeat, batch_seconds=0.01, setup=None):
    """Seconds per call of each function in the dict `fns` in each of `repeat` interleaved
    batches: {name: [seconds, ...]}. `setup` maps a name to a function run before each of
    its batches (untimed)."""
    setup = setup or {}
    inner = {}
    for name, f in fns.items():
        if name in setup:
            setup[name]()
        inner[name] = batch_size(f, batch_seconds)
    samples = {name: [] for name in fns}
    for _ in range(repeat):
        for name, f in fns.items():
            if name in setup:
                setup[name]()
            k = inner[name]
            t0 = time.perf_counter()
            for _ in range(k):
                f()
            samples[name].append((time.perf_counter() - t0) / k)
    return samples


def interleaved_medians(fns, repeat, batch_seconds=0.01, setup=None):
    """Median seconds per call of each function in the dict `fns`, timed in interleaved
    batches. `setup` maps a name to a function run before each of its batches (untimed)."""
    samples = interleaved_samples(fns, repeat, batch_seconds, setup)
    return {name: sorted(s)[len(s) // 2] for name, s in samples.items()}


def interleaved_minimums(fns, repeat, batch_seconds=0.01, setup=None):
    """As interleaved_medians, the fastest batch of each function: on a machine that other
    processes load, the batch least disturbed (per-call costs of microseconds)."""
    samples = interleaved_samples(fns, repeat, batch_seconds, setup)
    return {name: min(s) for name, s in samples.items()}
