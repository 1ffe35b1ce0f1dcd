/* Loop skeletons shared by every generated kernel (dc_kernels_gen.h instantiates them per
 * operation and dtype). Each skeleton takes an element function or expression and builds:
 *   - a contiguous loop over restrict pointers the compiler vectorizes,
 *   - scalar-operand loops (stride 0: broadcast scalar, the common `a + 1.0`),
 *   - a strided loop for any strides (negative, zero, unaligned, partially overlapping).
 * All loops are serial; threading is done by the Cython drivers (_kernels_body.pxi). */
#ifndef DC_LOOPS_H
#define DC_LOOPS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#define DC_RESTRICT __restrict__

/* True when an output of no bytes at o cannot partially overlap an input at a of na bytes:
 * either the same start (element-wise in-place is safe) or disjoint ranges. */
static inline int dc_no_partial_overlap(const char *a, ptrdiff_t na, const char *o,
                                        ptrdiff_t no) {
    return a == o || a + na <= o || o + no <= a;
}

/* VS(a, b, o, n) may run the whole `array <op> scalar` loop itself (returns 1) or leave it
 * to ELEM (returns 0): integer division by one divisor (dc_scalar.h). */
#define DC_NO_VS(a, b, o, n) 0
#define DC_BINARY_LOOP(NAME, T, OUT, ELEM) DC_BINARY_LOOP_VS(NAME, T, OUT, ELEM, DC_NO_VS)
#define DC_BINARY_LOOP_VS(NAME, T, OUT, ELEM, VS)                                         \
static void NAME##_vv(const T *DC_RESTRICT a, const T *DC_RESTRICT b, OUT *DC_RESTRICT o, \
                      ptrdiff_t n) {                                                     \
    for (ptrdiff_t i = 0; i < n; i++) o[i] = (OUT)ELEM(a[i], b[i]);                        \
}                                                                                         \
static void NAME##_vs(const T *DC_RESTRICT a, T b, OUT *DC_RESTRICT o, ptrdiff_t n) {     \
    if (VS(a, b, o, n)) return;                                                           \
    for (ptrdiff_t i = 0; i < n; i++) o[i] = (OUT)ELEM(a[i], b);                           \
}                                                                                         \
static void NAME##_sv(T a, const T *DC_RESTRICT b, OUT *DC_RESTRICT o, ptrdiff_t n) {     \
    for (ptrdiff_t i = 0; i < n; i++) o[i] = (OUT)ELEM(a, b[i]);                           \
}                                                                                         \
static void NAME(const char *pa, ptrdiff_t sa, const char *pb, ptrdiff_t sb, char *po,    \
                 ptrdiff_t so, ptrdiff_t n) {                                             \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T), SO = (ptrdiff_t)sizeof(OUT);                \
    if (so == SO && ((void *)pa != (void *)po || SO == S)                                 \
                 && ((void *)pb != (void *)po || SO == S)) {                              \
        int oka = sa == 0 || (sa == S && dc_no_partial_overlap(pa, n * S, po, n * SO));   \
        int okb = sb == 0 || (sb == S && dc_no_partial_overlap(pb, n * S, po, n * SO));   \
        if (oka && okb && sa == S && sb == S) {                                           \
            NAME##_vv((const T *)pa, (const T *)pb, (OUT *)po, n); return;                \
        }                                                                                 \
        if (oka && okb && sa == S && sb == 0) {                                           \
            T bv; memcpy(&bv, pb, sizeof(T));                                             \
            NAME##_vs((const T *)pa, bv, (OUT *)po, n); return;                           \
        }                                                                                 \
        if (oka && okb && sa == 0 && sb == S) {                                           \
            T av; memcpy(&av, pa, sizeof(T));                                             \
            NAME##_sv(av, (const T *)pb, (OUT *)po, n); return;                           \
        }                                                                                 \
    }                                                                                     \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T x, y; OUT r;                                                                    \
        memcpy(&x, pa + i * sa, sizeof(T)); memcpy(&y, pb + i * sb, sizeof(T));           \
        r = (OUT)ELEM(x, y); memcpy(po + i * so, &r, sizeof(OUT));                        \
    }                                                                                     \
}

#define DC_UNARY_LOOP(NAME, T, OUT, ELEM)                                                 \
static void NAME##_v(const T *DC_RESTRICT a, OUT *DC_RESTRICT o, ptrdiff_t n) {           \
    for (ptrdiff_t i = 0; i < n; i++) o[i] = (OUT)ELEM(a[i]);                              \
}                                                                                         \
static void NAME(const char *pa, ptrdiff_t sa, char *po, ptrdiff_t so, ptrdiff_t n) {     \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T), SO = (ptrdiff_t)sizeof(OUT);                \
    if (sa == S && so == SO && (((void *)pa != (void *)po) || S == SO)                    \
            && dc_no_partial_overlap(pa, n * S, po, n * SO)) {                            \
        NAME##_v((const T *)pa, (OUT *)po, n); return;                                    \
    }                                                                                     \
    if (sa == 0 && so == SO) {                                                            \
        T x; OUT r; memcpy(&x, pa, sizeof(T)); r = (OUT)ELEM(x);                          \
        for (ptrdiff_t i = 0; i < n; i++) memcpy(po + i * so, &r, sizeof(OUT));           \
        return;                                                                           \
    }                                                                                     \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T x; OUT r; memcpy(&x, pa + i * sa, sizeof(T)); r = (OUT)ELEM(x);                  \
        memcpy(po + i * so, &r, sizeof(OUT));                                             \
    }                                                                                     \
}

/* Unary loop over an array function VFN(const T *x, T *y, n) of dc_vmath.h: contiguous
 * runs call it directly; other layouts go through a cache-sized stack buffer. */
#define DC_BLOCK 512
#define DC_UNARY_VLOOP(NAME, T, VFN)                                                      \
static void NAME(const char *pa, ptrdiff_t sa, char *po, ptrdiff_t so, ptrdiff_t n) {     \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T);                                             \
    T buf[DC_BLOCK];                                                                      \
    if (sa == S && so == S && dc_no_partial_overlap(pa, n * S, po, n * S)) {              \
        VFN((const T *)pa, (T *)po, n); return;                                           \
    }                                                                                     \
    for (ptrdiff_t i0 = 0; i0 < n; i0 += DC_BLOCK) {                                      \
        ptrdiff_t m = n - i0 < DC_BLOCK ? n - i0 : DC_BLOCK;                              \
        for (ptrdiff_t i = 0; i < m; i++) memcpy(&buf[i], pa + (i0 + i) * sa, sizeof(T)); \
        VFN(buf, buf, m);                                                                 \
        for (ptrdiff_t i = 0; i < m; i++) memcpy(po + (i0 + i) * so, &buf[i], sizeof(T)); \
    }                                                                                     \
}

#endif
