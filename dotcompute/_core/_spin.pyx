# cython: language_level=3
"""How long one spin of a waiting OpenMP worker takes, measured before the OpenMP runtime
starts (this module does not link it): `_runtime` turns a spin window in seconds into the
GOMP_SPINCOUNT that libgomp reads once, when it is loaded.

libgomp's workers spin GOMP_SPINCOUNT pause instructions after a region, then sleep. A
pause costs 13 ns on the Sapphire Rapids Xeon VM and 40-50 ns on the AMD EPYC one, so one
count gave windows of 10 and 38 us.
"""
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

cdef extern from *:
    """
    #if defined(__x86_64__) || defined(__i386__)
    #include <immintrin.h>
    static inline void dc_spin_pause(void) { _mm_pause(); }
    #elif defined(__aarch64__)
    static inline void dc_spin_pause(void) { __asm__ __volatile__("yield" ::: "memory"); }
    #else
    static inline void dc_spin_pause(void) { __asm__ __volatile__("" ::: "memory"); }
    #endif
    """
    void dc_spin_pause() nogil


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


def pause_seconds(int count=2000, int rounds=5):
    """Seconds one pause instruction takes: the least of `rounds` rounds of `count` (a
    round another process interrupted is slower, never faster)."""
    cdef double best = 0, t0, d
    cdef int i, j
    if count < 1 or rounds < 1:
        raise ValueError("count and rounds must be at least 1")
    with nogil:
        for i in range(rounds):
            t0 = _now()
            for j in range(count):
                dc_spin_pause()
            d = (_now() - t0) / count
            if i == 0 or d < best:
                best = d
    return best
