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
#if defined(__linux__)
#include <sys/mman.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#define DC_SORT_MAX_THREADS 64

/* Scratch for a sort: from 2 MiB on, on a 2 MiB boundary and advised to huge pages (the
 * scatter passes write to random places of it: with 4 KiB pages every pass missed the
 * TLB; the pool advises its segments alike). Freed with free(). */
static void *dc_sort_alloc(size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    void *p = NULL;
    if (bytes >= ((size_t)1 << 21)) {
        if (posix_memalign(&p, (size_t)1 << 21, bytes) != 0)
            return NULL;
        madvise(p, bytes, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes);
}

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

/* Thread t's scatter offsets of a pass (ot[d]: where its first key of digit d goes; by
 * digit, then by thread) from the w threads' counts c; 1 when every one of the n keys has
 * one digit (the pass would move nothing). */
static inline int dc_radix_offsets(ptrdiff_t (*c)[256], ptrdiff_t *ot, int t, int w,
                                   ptrdiff_t n)
{
    ptrdiff_t run = 0;
    int d, u, same = 0;
    for (d = 0; d < 256; d++) {
        ptrdiff_t all = 0, mine = 0;
        for (u = 0; u < w; u++) {
            if (u == t) mine = run + all;
            all += c[u][d];
        }
        if (all == n) same = 1;
        ot[d] = mine;
        run += all;
    }
    return same;
}

/* One pass's digits: thread t counts its keys src[s..e) by the digit at bit sh, then
 * (all counts in) takes its offsets into o[t]; same: the pass would move nothing. Ends on
 * a barrier (every count read before the next pass counts again). */
#define DC_RADIX_DIGITS(c, o, t, w, src, s, e, sh, n, same)                               \
    do {                                                                                  \
        ptrdiff_t q_;                                                                     \
        memset(c[t], 0, sizeof c[t]);                                                     \
        for (q_ = s; q_ < e; q_++)                                                        \
            c[t][(src[q_] >> sh) & 0xFF]++;                                               \
        _Pragma("omp barrier")                                                            \
        same = dc_radix_offsets(c, o[t], t, w, n);                                        \
        _Pragma("omp barrier")                                                            \
    } while (0)

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
            int t = 0, w = 1, pass;                                                       \
            U *src = a, *dst = tmp, *sw;                                                  \
            ptrdiff_t i, s, e;                                                            \
            DC_SORT_OMP_ID(t, w);                                                         \
            if (stamps) stamps[2 * t] = dc_sort_now();                                    \
            s = m * t / w;                                                                \
            e = m * (t + 1) / w;                                                          \
            for (i = s; i < e; i++)                                                       \
                a[i] = dc_key_##SUF(a[i]);                                                \
            for (pass = 0; pass < NBYTES; pass++) {                                       \
                int sh = 8 * pass, same;                                                  \
                DC_RADIX_DIGITS(c, o, t, w, src, s, e, sh, m, same);                      \
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

/* Argsort of a contiguous row: the indices (int64) that order it, by a stable LSD radix
 * sort of (key, index) pairs, 8-bit digits, on nt OpenMP threads (np.argsort;
 * _kernel_access.run_argsort). Float keys are canonical: -0.0 takes +0.0's key and every
 * NaN the largest key, so that equal values (NumPy's comparison: -0.0 == 0.0, NaNs
 * after everything and alike) have one key and keep their input order: NumPy's stable
 * argsort. *ties (when not NULL) is set when two equal keys were found: the order NumPy's
 * unstable kinds give is then their own, and only a result without ties is the one every
 * sort gives. Returns 0, or -1 without scratch memory (out untouched). */
static inline uint64_t dc_akey_f8(uint64_t b)
{
    if ((b & 0x7FFFFFFFFFFFFFFFULL) > 0x7FF0000000000000ULL) return ~(uint64_t)0;
    if (b == 0x8000000000000000ULL) b = 0;
    return dc_key_f8(b);
}
static inline uint32_t dc_akey_f4(uint32_t b)
{
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return ~(uint32_t)0;
    if (b == 0x80000000u) b = 0;
    return dc_key_f4(b);
}
#define dc_akey_i8 dc_key_i8
#define dc_akey_i4 dc_key_i4
#define dc_akey_u8 dc_key_u8
#define dc_akey_u4 dc_key_u4

#define DC_ARGSORT_DEFINE(SUF, U, NBYTES)                                                 \
static int dc_argsort_##SUF(const void *data, ptrdiff_t n, void *outv, int nt,           \
                            double *stamps, int *ties)                                    \
{                                                                                         \
    const U *a = (const U *)data;                                                         \
    int64_t *out = (int64_t *)outv;                                                       \
    U *k0, *k1;                                                                           \
    int64_t *i1;                                                                          \
    ptrdiff_t (*cnt)[256];                                                                \
    int tie[DC_SORT_MAX_THREADS];                                                         \
    int team, u;                                                                          \
    if (ties) *ties = 0;                                                                  \
    if (n < 1)                                                                            \
        return 0;                                                                         \
    if (nt < 1) nt = 1;                                                                   \
    if (nt > DC_SORT_MAX_THREADS) nt = DC_SORT_MAX_THREADS;                               \
    team = nt;                                                                            \
    k0 = (U *)dc_sort_alloc(sizeof(U) * (size_t)n);                                       \
    k1 = (U *)dc_sort_alloc(sizeof(U) * (size_t)n);                                       \
    i1 = (int64_t *)dc_sort_alloc(sizeof(int64_t) * (size_t)n);                           \
    cnt = (ptrdiff_t (*)[256])malloc(sizeof(ptrdiff_t) * 512 * (size_t)team);             \
    if (k0 == NULL || k1 == NULL || i1 == NULL || cnt == NULL) {                          \
        free(k0); free(k1); free(i1); free(cnt);                                          \
        return -1;                                                                        \
    }                                                                                     \
    for (u = 0; u < team; u++) tie[u] = 0;                                                \
    {                                                                                     \
        ptrdiff_t (*c)[256] = cnt;                                                        \
        ptrdiff_t (*o)[256] = c + team;                                                   \
        _Pragma("omp parallel num_threads(team)")                                         \
        {                                                                                 \
            int t = 0, w = 1, pass;                                                       \
            U *src = k0, *dst = k1, *sw;                                                  \
            int64_t *isrc = out, *idst = i1, *isw;                                        \
            ptrdiff_t i, s, e;                                                            \
            DC_SORT_OMP_ID(t, w);                                                         \
            if (stamps) stamps[2 * t] = dc_sort_now();                                    \
            s = n * t / w;                                                                \
            e = n * (t + 1) / w;                                                          \
            for (i = s; i < e; i++) {                                                     \
                k0[i] = dc_akey_##SUF(a[i]);                                              \
                out[i] = i;                                                               \
            }                                                                             \
            for (pass = 0; pass < NBYTES; pass++) {                                       \
                int sh = 8 * pass, same;                                                  \
                DC_RADIX_DIGITS(c, o, t, w, src, s, e, sh, n, same);                      \
                if (same)                                                                 \
                    continue;                                                             \
                for (i = s; i < e; i++) {                                                 \
                    U k = src[i];                                                         \
                    ptrdiff_t q = o[t][(k >> sh) & 0xFF]++;                               \
                    dst[q] = k;                                                           \
                    idst[q] = isrc[i];                                                    \
                }                                                                         \
                _Pragma("omp barrier")                                                    \
                sw = src; src = dst; dst = sw;                                            \
                isw = isrc; isrc = idst; idst = isw;                                      \
            }                                                                             \
            /* the sorted keys: equal neighbours are ties (the last pair of each chunk    \
             * reaches into the next chunk's first key, written before the last barrier) */ \
            for (i = s; i < e && i + 1 < n; i++)                                          \
                if (src[i] == src[i + 1]) { tie[t] = 1; break; }                          \
            if (isrc != out)                                                              \
                memcpy(out + s, isrc + s, sizeof(int64_t) * (size_t)(e - s));             \
            if (stamps) stamps[2 * t + 1] = dc_sort_now();                                \
        }                                                                                 \
    }                                                                                     \
    if (ties)                                                                             \
        for (u = 0; u < team; u++) *ties |= tie[u];                                       \
    free(k0); free(k1); free(i1); free(cnt);                                              \
    return 0;                                                                             \
}

DC_ARGSORT_DEFINE(f8, uint64_t, 8)
DC_ARGSORT_DEFINE(f4, uint32_t, 4)
DC_ARGSORT_DEFINE(i8, uint64_t, 8)
DC_ARGSORT_DEFINE(i4, uint32_t, 4)
DC_ARGSORT_DEFINE(u8, uint64_t, 8)
DC_ARGSORT_DEFINE(u4, uint32_t, 4)

/* Whether a contiguous row of integers holds a value twice, by a bitmap of the values
 * lo..lo+range-1 (every value in it; range > 0; lo as the value's 64 bits, two's
 * complement for a negative one), stopping at the first repeat: 1, 0, or -1 without
 * memory for the bitmap. */
#define DC_HASDUP_DEFINE(SUF, T)                                                          \
static int dc_hasdup_##SUF(const void *data, ptrdiff_t n, uint64_t lo, uint64_t range)    \
{                                                                                         \
    const T *a = (const T *)data;                                                         \
    uint64_t *bits = (uint64_t *)calloc((size_t)(range / 64 + 1), sizeof(uint64_t));      \
    ptrdiff_t i;                                                                          \
    int r = 0;                                                                            \
    if (bits == NULL)                                                                     \
        return -1;                                                                        \
    for (i = 0; i < n; i++) {                                                             \
        uint64_t v = (uint64_t)a[i] - lo, m = (uint64_t)1 << (v & 63);                    \
        if (bits[v >> 6] & m) { r = 1; break; }                                           \
        bits[v >> 6] |= m;                                                                \
    }                                                                                     \
    free(bits);                                                                           \
    return r;                                                                             \
}
DC_HASDUP_DEFINE(i8, int64_t)
DC_HASDUP_DEFINE(i4, int32_t)
DC_HASDUP_DEFINE(u8, uint64_t)
DC_HASDUP_DEFINE(u4, uint32_t)

#endif
