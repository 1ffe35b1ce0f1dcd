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

DC_SMALL_MATMUL(dc_small_matmul_f8, double)
DC_SMALL_MATMUL(dc_small_matmul_f4, float)

#endif
