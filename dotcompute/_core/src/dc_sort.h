/* Sorting a contiguous row of floats or integers in place: LSD radix sort, 8-bit digits,
 * on nt OpenMP threads (np.sort's values; _kernel_access.run_sort).
 *
 * NumPy's np.sort of 1e6 float64 took 53 ms on the AMD EPYC (Zen 4), 32 ms for float32:
 * its scalar introsort (the SIMD sorts are not used on that CPU), ~50 ns an element. Here
 * each element becomes an unsigned key that orders as the value does (floats: the sign
 * bit set for positives, every bit flipped for negatives; signed integers: the sign bit
 * flipped), and each pass scatters by one byte of the key, least significant first: a
 * counting pass (each thread its chunk's histogram), offsets by digit then by thread, a
 * scatter pass (stable: each thread's chunk keeps its order within a digit); a pass whose
 * digit is the same for every element is skipped (integers of a small range). The sorted
 * values are the ones a comparison sort gives; only zeros of either sign, equal as values,
 * come out -0.0 first (NumPy's quicksort leaves them in an order of its own) and NaNs go
 * last in their input order (NumPy: last, in an order of its own).
 *
 * dc_sort_<t>(a, n, tmp, nt, stamps): tmp holds n elements; stamps (2 nt doubles, or
 * NULL) get each thread's start and end (CLOCK_MONOTONIC seconds) for the thread policy's
 * guard. */
#ifndef DC_SORT_H
#define DC_SORT_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DC_SORT_MAX_THREADS 64

static inline double dc_sort_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline uint64_t dc_key_f8(uint64_t b)
{
    return b ^ ((uint64_t)((int64_t)b >> 63) | 0x8000000000000000ULL);
}
static inline uint64_t dc_unkey_f8(uint64_t k)
{
    return k ^ (((k >> 63) - 1) | 0x8000000000000000ULL);
}
static inline uint32_t dc_key_f4(uint32_t b)
{
    return b ^ ((uint32_t)((int32_t)b >> 31) | 0x80000000u);
}
static inline uint32_t dc_unkey_f4(uint32_t k)
{
    return k ^ (((k >> 31) - 1) | 0x80000000u);
}
static inline uint64_t dc_key_i8(uint64_t b) { return b ^ 0x8000000000000000ULL; }
static inline uint64_t dc_unkey_i8(uint64_t k) { return k ^ 0x8000000000000000ULL; }
static inline uint32_t dc_key_i4(uint32_t b) { return b ^ 0x80000000u; }
static inline uint32_t dc_unkey_i4(uint32_t k) { return k ^ 0x80000000u; }
static inline uint64_t dc_key_u8(uint64_t b) { return b; }
static inline uint64_t dc_unkey_u8(uint64_t k) { return k; }
static inline uint32_t dc_key_u4(uint32_t b) { return b; }
static inline uint32_t dc_unkey_u4(uint32_t k) { return k; }

/* NaNs of a float row moved to its end in their order, the others before them in theirs
 * (through tmp); returns the count of the others. */
#define DC_SORT_NANS(SUF, F)                                                              \
static ptrdiff_t dc_sort_nans_##SUF(F *a, ptrdiff_t n, F *tmp)                            \
{                                                                                         \
    ptrdiff_t i, m = 0, q = 0, nan = 0;                                                   \
    for (i = 0; i < n; i++)                                                               \
        nan += a[i] != a[i];                                                              \
    if (nan == 0)                                                                         \
        return n;                                                                         \
    for (i = 0; i < n; i++) {                                                             \
        if (a[i] == a[i]) a[m++] = a[i];                                                  \
        else tmp[q++] = a[i];                                                             \
    }                                                                                     \
    memcpy(a + m, tmp, (size_t)q * sizeof(F));                                            \
    return m;                                                                             \
}
DC_SORT_NANS(f8, double)
DC_SORT_NANS(f4, float)

#ifdef _OPENMP
#define DC_SORT_OMP_ID(t, w) do { t = omp_get_thread_num(); w = omp_get_num_threads(); } while (0)
#else
#define DC_SORT_OMP_ID(t, w) do { t = 0; w = 1; } while (0)
#endif

#define DC_SORT_DEFINE(SUF, U, NBYTES, NANS)                                              \
static void dc_sort_##SUF(void *data, ptrdiff_t n, void *tmpv, int nt, double *stamps)    \
{                                                                                         \
    U *a = (U *)data, *tmp = (U *)tmpv;                                                   \
    ptrdiff_t m = n;                                                                      \
    ptrdiff_t (*cnt)[256];                                                                \
    if (n < 2)                                                                            \
        return;                                                                           \
    if (nt < 1) nt = 1;                                                                   \
    if (nt > DC_SORT_MAX_THREADS) nt = DC_SORT_MAX_THREADS;                               \
    if (NANS)                                                                             \
        m = NBYTES == 8 ? dc_sort_nans_f8((double *)data, n, (double *)tmpv)              \
                        : dc_sort_nans_f4((float *)data, n, (float *)tmpv);               \
    if (m < 2)                                                                            \
        return;                                                                           \
    /* counts (rows 0..nt-1) and offsets (rows nt..2 nt-1), a row per thread */           \
    cnt = (ptrdiff_t (*)[256])malloc(sizeof(ptrdiff_t) * 512 * (size_t)nt);               \
    if (cnt == NULL)                                                                      \
        nt = 0;                          /* no memory: one thread, rows on the stack */   \
    {                                                                                     \
        ptrdiff_t one[2][256];                                                            \
        int team = nt > 0 ? nt : 1;                                                       \
        ptrdiff_t (*c)[256] = cnt != NULL ? cnt : one;                                    \
        ptrdiff_t (*o)[256] = c + team;                                                   \
        _Pragma("omp parallel num_threads(team)")                                         \
        {                                                                                 \
            int t = 0, w = 1, pass, d;                                                    \
            U *src = a, *dst = tmp, *sw;                                                  \
            ptrdiff_t i, s, e, run;                                                       \
            DC_SORT_OMP_ID(t, w);                                                         \
            if (stamps) stamps[2 * t] = dc_sort_now();                                    \
            s = m * t / w;                                                                \
            e = m * (t + 1) / w;                                                          \
            for (i = s; i < e; i++)                                                       \
                a[i] = dc_key_##SUF(a[i]);                                                \
            for (pass = 0; pass < NBYTES; pass++) {                                       \
                int sh = 8 * pass, same = 0;                                              \
                memset(c[t], 0, sizeof c[t]);                                             \
                for (i = s; i < e; i++)                                                   \
                    c[t][(src[i] >> sh) & 0xFF]++;                                        \
                _Pragma("omp barrier")                                                    \
                /* offsets: by digit, then by thread (each thread computes its own) */    \
                run = 0;                                                                  \
                for (d = 0; d < 256; d++) {                                               \
                    ptrdiff_t all = 0, mine = 0;                                          \
                    int u;                                                                \
                    for (u = 0; u < w; u++) {                                             \
                        if (u == t) mine = run + all;                                     \
                        all += c[u][d];                                                   \
                    }                                                                     \
                    if (all == m) same = 1;                                               \
                    o[t][d] = mine;                                                       \
                    run += all;                                                           \
                }                                                                         \
                _Pragma("omp barrier")           /* all counts read before the next */    \
                if (same) {                      /* every key has this digit: no move */  \
                    continue;                                                             \
                }                                                                         \
                for (i = s; i < e; i++) {                                                 \
                    U k = src[i];                                                         \
                    dst[o[t][(k >> sh) & 0xFF]++] = k;                                    \
                }                                                                         \
                _Pragma("omp barrier")                                                    \
                sw = src; src = dst; dst = sw;                                            \
            }                                                                             \
            _Pragma("omp barrier")                                                        \
            for (i = s; i < e; i++)                                                       \
                a[i] = dc_unkey_##SUF(src[i]);                                            \
            if (stamps) stamps[2 * t + 1] = dc_sort_now();                                \
        }                                                                                 \
    }                                                                                     \
    free(cnt);                                                                            \
}

DC_SORT_DEFINE(f8, uint64_t, 8, 1)
DC_SORT_DEFINE(f4, uint32_t, 4, 1)
DC_SORT_DEFINE(i8, uint64_t, 8, 0)
DC_SORT_DEFINE(i4, uint32_t, 4, 0)
DC_SORT_DEFINE(u8, uint64_t, 8, 0)
DC_SORT_DEFINE(u4, uint32_t, 4, 0)
#endif
