/* Reduction skeletons (instantiated per dtype by dc_kernels_gen.h).
 *
 * Each reduces a strided run to one partial of DC_PARTIAL_BYTES: the value (in the
 * accumulator type) and, for arg-reductions, an int64 index. The Cython driver gives each
 * thread one contiguous chunk and combines the partials in order, so results are
 * deterministic for a given thread count.
 *
 * Float sums are pairwise over blocks of DC_SUM_BLOCK elements, each block summed into
 * DC_SUM_LANES independent accumulators (vector registers once vectorized) then combined
 * as a tree: the error bound is that of NumPy's pairwise sum or better (fewer sequential
 * additions per accumulator: DC_SUM_BLOCK / DC_SUM_LANES = 8 against NumPy's 16). */
#ifndef DC_REDUCE_H
#define DC_REDUCE_H
#include "dc_loops.h"

#define DC_SUM_LANES 32
#define DC_SUM_BLOCK 256

typedef struct { union { double f8; float f4; int64_t i8; uint64_t u8; uint8_t b1;
                         int32_t i4; int16_t i2; int8_t i1; uint32_t u4; uint16_t u2;
                         uint8_t u1; } v;
                 int64_t index; } dc_partial;

/* Pairwise float sum: contiguous blocks get the vectorized lane loop. */
#define DC_FSUM(NAME, T, MUL)                                                             \
static T NAME##_block(const char *p, ptrdiff_t s, ptrdiff_t n, const char *q, ptrdiff_t sq) { \
    T r[DC_SUM_LANES];                                                                    \
    ptrdiff_t i = 0;                                                                      \
    for (int j = 0; j < DC_SUM_LANES; j++) r[j] = 0;                                      \
    if (s == (ptrdiff_t)sizeof(T) && (q == NULL || sq == (ptrdiff_t)sizeof(T))) {         \
        const T *a = (const T *)p; const T *b = (const T *)q; (void)b;                             \
        for (; i + DC_SUM_LANES <= n; i += DC_SUM_LANES)                                  \
            for (int j = 0; j < DC_SUM_LANES; j++) r[j] += MUL(a[i + j], b, i + j);         \
        for (; i < n; i++) r[i % DC_SUM_LANES] += MUL(a[i], b, i);                          \
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

#define DC_MUL_NONE(x, b, i) (x)
#define DC_MUL_B(x, b, i) ((x) * (b)[i])

#endif
