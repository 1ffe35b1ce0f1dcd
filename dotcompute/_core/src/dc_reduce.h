/* Reduction skeletons (instantiated per dtype by dc_kernels_gen.h).
 *
 * Each reduces a strided run to one partial of DC_PARTIAL_BYTES: the value (in the
 * accumulator type) and, for arg-reductions, an int64 index. The Cython driver cuts the
 * input into partials by its length only, runs them on however many threads the thread
 * policy allows and combines them in order: results do not depend on the thread count.
 *
 * Float sums are pairwise over blocks of DC_SUM_BLOCK elements, each block summed into
 * DC_SUM_LANES independent accumulators (vector registers once vectorized) then combined
 * as a tree: the error bound is that of NumPy's pairwise sum (sequential additions per
 * accumulator: DC_SUM_BLOCK / DC_SUM_LANES = 16, as NumPy's 16). Blocks of 512 rather
 * than 256 halve the cost of folding the lanes: 0.25 ns per float64 element on AVX2 in
 * cache, against 0.35 (NumPy: 0.28). */
#ifndef DC_REDUCE_H
#define DC_REDUCE_H
#include "dc_loops.h"

#define DC_SUM_LANES 32
#define DC_SUM_BLOCK 512

typedef struct { union { double f8; float f4; int64_t i8; uint64_t u8; uint8_t b1;
                         int32_t i4; int16_t i2; int8_t i1; uint32_t u4; uint16_t u2;
                         uint8_t u1; } v;
                 int64_t index; } dc_partial;

/* Explicit SIMD (GCC/Clang vector extensions, lowered to whatever the -march offers) for
 * the reductions the auto-vectorizer handles poorly; the scalar build (DC_SCALAR) keeps
 * plain loops. Vectors are loaded through these under-aligned, may_alias types, never by
 * memcpy into a vector: GCC expands that memcpy as 16-byte pieces stored to the stack and
 * reloaded whole, a store-forwarding stall per load (max ran at 7 ns per float64 element,
 * 0.2 ns this way). Lane assignment is the same in both, so float results are bit-identical
 * across builds. */
#if defined(DC_SCALAR)
#define DC_SIMD 0
#else
#define DC_SIMD 1
#endif
/* Vectors of the build's native width: wider generic vectors are lowered piecewise, and
 * their compares and selects badly (max ran at 3 ns per element with 64-byte vectors on
 * AVX2, 0.2 ns with 32-byte ones). The lane layout (DC_SUM_LANES accumulators) does not
 * depend on the width, so results stay bit-identical across builds. */
#if defined(__AVX512F__)
#define DC_VBYTES 64
#elif defined(__AVX__)
#define DC_VBYTES 32
#else
#define DC_VBYTES 16
#endif
typedef double dc_vf8 __attribute__((vector_size(DC_VBYTES), aligned(8), may_alias));
typedef float dc_vf4 __attribute__((vector_size(DC_VBYTES), aligned(4), may_alias));

/* Pairwise float sum (or dot product when q != NULL): each block of DC_SUM_BLOCK elements
 * goes into DC_SUM_LANES accumulators (lane j takes elements j, j + LANES, ...), combined
 * as a tree; blocks are combined pairwise. */
#define DC_FSUM(NAME, T, VT)                                                              \
static T NAME##_block(const char *p, ptrdiff_t s, ptrdiff_t n, const char *q, ptrdiff_t sq) { \
    T r[DC_SUM_LANES];                                                                    \
    ptrdiff_t i = 0;                                                                      \
    for (int j = 0; j < DC_SUM_LANES; j++) r[j] = 0;                                      \
    if (s == (ptrdiff_t)sizeof(T) && (q == NULL || sq == (ptrdiff_t)sizeof(T))) {         \
        enum { L = (int)(sizeof(VT) / sizeof(T)), NV = DC_SUM_LANES / L };                \
        if (DC_SIMD && n >= DC_SUM_LANES) {                                               \
            VT acc[NV];                                                                   \
            for (int k = 0; k < NV; k++) acc[k] = (VT){0};                                \
            for (; i + DC_SUM_LANES <= n; i += DC_SUM_LANES)                              \
                for (int k = 0; k < NV; k++) {                                            \
                    VT x = *(const VT *)(p + (i + k * L) * (ptrdiff_t)sizeof(T));        \
                    if (q) x = x * *(const VT *)(q + (i + k * L) * (ptrdiff_t)sizeof(T));      \
                    acc[k] += x;                                                          \
                }                                                                         \
            memcpy(r, acc, sizeof acc);                                                   \
        }                                                                                 \
        const T *a = (const T *)p; const T *b = (const T *)q;                             \
        if (q) { for (; i + DC_SUM_LANES <= n; i += DC_SUM_LANES)                         \
                     for (int j = 0; j < DC_SUM_LANES; j++) r[j] += a[i + j] * b[i + j]; } \
        else   { for (; i + DC_SUM_LANES <= n; i += DC_SUM_LANES)                         \
                     for (int j = 0; j < DC_SUM_LANES; j++) r[j] += a[i + j]; }             \
        for (; i < n; i++) r[i % DC_SUM_LANES] += q ? a[i] * b[i] : a[i];                 \
    } else {                                                                              \
        for (; i < n; i++) {                                                              \
            T x, y = 1; memcpy(&x, p + i * s, sizeof(T));                                 \
            if (q) memcpy(&y, q + i * sq, sizeof(T));                                     \
            r[i % DC_SUM_LANES] += x * y;                                                 \
        }                                                                                 \
    }                                                                                     \
    for (int w = DC_SUM_LANES / 2; w >= 1; w /= 2)                                        \
        for (int j = 0; j < w; j++) r[j] = r[j] + r[j + w];                               \
    return r[0];                                                                          \
}                                                                                         \
static T NAME##_pairwise(const char *p, ptrdiff_t s, ptrdiff_t n, const char *q, ptrdiff_t sq) { \
    if (n <= DC_SUM_BLOCK) return NAME##_block(p, s, n, q, sq);                            \
    ptrdiff_t h = (n / 2) / DC_SUM_BLOCK * DC_SUM_BLOCK;                                  \
    if (h == 0) h = DC_SUM_BLOCK;                                                         \
    return NAME##_pairwise(p, s, h, q, sq)                                                \
         + NAME##_pairwise(p + h * s, s, n - h, q ? q + h * sq : q, sq);                  \
}

/* Lane-wise extreme (min when GT is 0, max when 1) of a contiguous run of n >= 1 elements
 * with a NaN flag, in 4 independent native vectors; NaN never enters the accumulators
 * (a compare with NaN is false), the flag reports it. Returns the number of elements
 * consumed (a multiple of 4 vectors); lanes are folded into *m. */
#define DC_VEXTREME(NAME, T, IT)                                                          \
static ptrdiff_t NAME(const T *x, ptrdiff_t n, int gt, T *m, int *nan) {                  \
    typedef T VT __attribute__((vector_size(DC_VBYTES), aligned(sizeof(T)), may_alias)); \
    typedef IT VI __attribute__((vector_size(DC_VBYTES), aligned(sizeof(T)), may_alias));\
    enum { L = (int)(DC_VBYTES / sizeof(T)) };                                                   \
    ptrdiff_t i = 0;                                                                      \
    if (!DC_SIMD || n < 4 * L) return 0;                                                  \
    VT acc[4]; VI nm = (VI){0};                                                           \
    for (int k = 0; k < 4; k++) for (int j = 0; j < L; j++) acc[k][j] = *m;               \
    if (gt) {                                                                             \
        for (; i + 4 * L <= n; i += 4 * L)                                                \
            for (int k = 0; k < 4; k++) {                                                 \
                VT v = *(const VT *)(x + i + k * L);                                   \
                VI c = (VI)(v > acc[k]);                                                  \
                acc[k] = (VT)(((VI)v & c) | ((VI)acc[k] & ~c));                           \
                nm |= (VI)(v != v);                                                       \
            }                                                                             \
    } else {                                                                              \
        for (; i + 4 * L <= n; i += 4 * L)                                                \
            for (int k = 0; k < 4; k++) {                                                 \
                VT v = *(const VT *)(x + i + k * L);                                   \
                VI c = (VI)(v < acc[k]);                                                  \
                acc[k] = (VT)(((VI)v & c) | ((VI)acc[k] & ~c));                           \
                nm |= (VI)(v != v);                                                       \
            }                                                                             \
    }                                                                                     \
    for (int k = 0; k < 4; k++)                                                           \
        for (int j = 0; j < L; j++) {                                                     \
            T v = acc[k][j];                                                              \
            if (gt ? (v > *m) : (v < *m)) *m = v;                                         \
            if (nm[j]) *nan = 1;                                                          \
        }                                                                                 \
    return i;                                                                             \
}


#endif
