/* Small matrix products (x @ y of a few hundred multiply-adds: 4x4 matrices in a Kalman
 * filter's loop, a rotation of a point), where NumPy's matmul spends ~0.9 us in its ufunc
 * and BLAS set-up. c (m x n, C-contiguous) = a (m x k) @ b (k x n), any byte strides.
 * Each element sums its k products in order from +0.0, as NumPy's own loop does (BLAS
 * may group them otherwise: the value is the same up to rounding), except where n == 1
 * (matrix @ vector): there four running sums over k mod 4 are added at the end, so the
 * chain of additions does not bound the speed. */
#ifndef DC_MATMUL_H
#define DC_MATMUL_H
#include <stddef.h>

#define DC_SMALL_MATMUL(NAME, T)                                                          \
static void NAME(const char *a, ptrdiff_t sam, ptrdiff_t sak, const char *b,              \
                 ptrdiff_t sbk, ptrdiff_t sbn, T *c, ptrdiff_t m, ptrdiff_t n,              \
                 ptrdiff_t k) {                                                           \
    for (ptrdiff_t i = 0; i < m; i++) {                                                   \
        const char *ai = a + i * sam;                                                     \
        T *ci = c + i * n;                                                                \
        if (n == 1) {                                                                     \
            T s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                             \
            ptrdiff_t p = 0;                                                              \
            for (; p + 4 <= k; p += 4) {                                                  \
                s0 += *(const T *)(ai + p * sak) * *(const T *)(b + p * sbk);             \
                s1 += *(const T *)(ai + (p + 1) * sak) * *(const T *)(b + (p + 1) * sbk); \
                s2 += *(const T *)(ai + (p + 2) * sak) * *(const T *)(b + (p + 2) * sbk); \
                s3 += *(const T *)(ai + (p + 3) * sak) * *(const T *)(b + (p + 3) * sbk); \
            }                                                                             \
            for (; p < k; p++)                                                            \
                s0 += *(const T *)(ai + p * sak) * *(const T *)(b + p * sbk);             \
            ci[0] = (s0 + s1) + (s2 + s3);                                                \
            continue;                                                                     \
        }                                                                                 \
        for (ptrdiff_t j = 0; j < n; j++) ci[j] = 0;                                      \
        for (ptrdiff_t p = 0; p < k; p++) {                                               \
            const T x = *(const T *)(ai + p * sak);                                       \
            const char *bp = b + p * sbk;                                                 \
            if (sbn == (ptrdiff_t)sizeof(T)) {                                            \
                const T *bq = (const T *)bp;                                              \
                for (ptrdiff_t j = 0; j < n; j++) ci[j] += x * bq[j];                     \
            } else {                                                                      \
                for (ptrdiff_t j = 0; j < n; j++) ci[j] += x * *(const T *)(bp + j * sbn); \
            }                                                                             \
        }                                                                                 \
    }                                                                                     \
}

DC_SMALL_MATMUL(dc_small_matmul_gen_f8, double)
DC_SMALL_MATMUL(dc_small_matmul_gen_f4, float)

/* Fixed sizes (m, k, n each 2..4, n >= 2: 2x2 .. 4x4 matrices, the stacks of geometry and
 * physics code): the loops unrolled by the compiler, each element summed in the same order
 * as the general loop (from +0.0, k in order), so both give the same bits. The general
 * loop's vectorized j loop cost ~50 ns a 3 x 3 product (its set-up for n = 3). */
#define DC_MM_FIXED(T, SUF, M, K, N)                                                      \
static void dc_mm_##SUF##_##M##K##N(const char *a, ptrdiff_t sam, ptrdiff_t sak,            \
                                    const char *b, ptrdiff_t sbk, ptrdiff_t sbn, T *c) {    \
    for (int i = 0; i < M; i++)                                                           \
        for (int j = 0; j < N; j++) {                                                     \
            T s = 0;                                                                      \
            for (int p = 0; p < K; p++)                                                   \
                s += *(const T *)(a + i * sam + p * sak) * *(const T *)(b + p * sbk + j * sbn); \
            c[i * N + j] = s;                                                             \
        }                                                                                 \
}
#define DC_MM_FIXED_K(T, SUF, M, K) \
    DC_MM_FIXED(T, SUF, M, K, 2) DC_MM_FIXED(T, SUF, M, K, 3) DC_MM_FIXED(T, SUF, M, K, 4)
#define DC_MM_FIXED_M(T, SUF, M) \
    DC_MM_FIXED_K(T, SUF, M, 2) DC_MM_FIXED_K(T, SUF, M, 3) DC_MM_FIXED_K(T, SUF, M, 4)
#define DC_MM_FIXED_ALL(T, SUF) \
    DC_MM_FIXED_M(T, SUF, 2) DC_MM_FIXED_M(T, SUF, 3) DC_MM_FIXED_M(T, SUF, 4)

DC_MM_FIXED_ALL(double, f8)
DC_MM_FIXED_ALL(float, f4)

#define DC_MM_CASE(SUF, M, K, N) \
    case (M) * 100 + (K) * 10 + (N): dc_mm_##SUF##_##M##K##N(a, sam, sak, b, sbk, sbn, c); return;
#define DC_MM_CASES_K(SUF, M, K) DC_MM_CASE(SUF, M, K, 2) DC_MM_CASE(SUF, M, K, 3) DC_MM_CASE(SUF, M, K, 4)
#define DC_MM_CASES_M(SUF, M) DC_MM_CASES_K(SUF, M, 2) DC_MM_CASES_K(SUF, M, 3) DC_MM_CASES_K(SUF, M, 4)
#define DC_MM_DISPATCH(NAME, T, SUF)                                                      \
static void NAME(const char *a, ptrdiff_t sam, ptrdiff_t sak, const char *b,              \
                 ptrdiff_t sbk, ptrdiff_t sbn, T *c, ptrdiff_t m, ptrdiff_t n,              \
                 ptrdiff_t k) {                                                           \
    if (m >= 2 && m <= 4 && k >= 2 && k <= 4 && n >= 2 && n <= 4) {                      \
        switch (m * 100 + k * 10 + n) {                                                   \
        DC_MM_CASES_M(SUF, 2) DC_MM_CASES_M(SUF, 3) DC_MM_CASES_M(SUF, 4)                 \
        default: break;                                                                   \
        }                                                                                 \
    }                                                                                     \
    dc_small_matmul_gen_##SUF(a, sam, sak, b, sbk, sbn, c, m, n, k);                      \
}

DC_MM_DISPATCH(dc_small_matmul_f8, double, f8)
DC_MM_DISPATCH(dc_small_matmul_f4, float, f4)

#endif
