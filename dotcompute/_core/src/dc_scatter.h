/* ufunc.at for add and subtract (np.add.at(a, idx, v)): unbuffered scatter of n values, or
 * of n rows of m contiguous elements, at precomputed byte offsets into a; duplicates
 * accumulate in index order, as NumPy's loop does. Values at byte strides: sv between the
 * n updates (0: the same value or row for each), sm between a row's elements. */
#ifndef DC_SCATTER_H
#define DC_SCATTER_H
#include <stddef.h>
#include <stdint.h>

#define DC_SCATTER(NAME, T, OP)                                                           \
static void NAME(char *base, const int64_t *off, ptrdiff_t n, ptrdiff_t m, const char *v,  \
                 ptrdiff_t sv, ptrdiff_t sm) {                                            \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T *d = (T *)(base + off[i]);                                                      \
        const char *s = v + i * sv;                                                       \
        for (ptrdiff_t j = 0; j < m; j++) d[j] = (T)(d[j] OP *(const T *)(s + j * sm));    \
    }                                                                                     \
}

DC_SCATTER(dc_scatter_add_f8, double, +)
DC_SCATTER(dc_scatter_add_f4, float, +)
DC_SCATTER(dc_scatter_sub_f8, double, -)
DC_SCATTER(dc_scatter_sub_f4, float, -)

/* Integer additions wrap, as NumPy's: through unsigned arithmetic (no signed overflow). */
#define DC_SCATTER_WRAP(NAME, U)                                                          \
static void NAME(char *base, const int64_t *off, ptrdiff_t n, ptrdiff_t m, const char *v,  \
                 ptrdiff_t sv, ptrdiff_t sm, int sub) {                                   \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        U *d = (U *)(base + off[i]);                                                      \
        const char *s = v + i * sv;                                                       \
        for (ptrdiff_t j = 0; j < m; j++) {                                               \
            U x = *(const U *)(s + j * sm);                                               \
            d[j] = sub ? (U)(d[j] - x) : (U)(d[j] + x);                                   \
        }                                                                                 \
    }                                                                                     \
}

DC_SCATTER_WRAP(dc_scatter_wrap_i8, uint64_t)
DC_SCATTER_WRAP(dc_scatter_wrap_i4, uint32_t)

/* Add the byte offsets of n indices (int64 or int32 by isz, at byte stride ist) along a
 * dimension of `dim` elements at byte stride `stride` into off; negative indices count from
 * the end. Returns 0, or -1 at the first index out of bounds (off is then incomplete). */
static int dc_scatter_offsets(int64_t *off, const char *ip, ptrdiff_t ist, int isz,
                              ptrdiff_t n, ptrdiff_t dim, ptrdiff_t stride) {
    for (ptrdiff_t i = 0; i < n; i++) {
        int64_t q = isz == 8 ? *(const int64_t *)(ip + i * ist)
                             : (int64_t)*(const int32_t *)(ip + i * ist);
        if (q < 0) q += dim;
        if (q < 0 || q >= dim) return -1;
        off[i] += q * stride;
    }
    return 0;
}

/* The scatter for kernel type code (0 float64, 1 float32, 2 int64, 3 int32), adding or
 * (sub) subtracting. */
static void dc_scatter(int code, int sub, char *base, const int64_t *off, ptrdiff_t n,
                       ptrdiff_t m, const char *v, ptrdiff_t sv, ptrdiff_t sm) {
    switch (code) {
    case 0:
        if (sub) dc_scatter_sub_f8(base, off, n, m, v, sv, sm);
        else dc_scatter_add_f8(base, off, n, m, v, sv, sm);
        return;
    case 1:
        if (sub) dc_scatter_sub_f4(base, off, n, m, v, sv, sm);
        else dc_scatter_add_f4(base, off, n, m, v, sv, sm);
        return;
    case 2: dc_scatter_wrap_i8(base, off, n, m, v, sv, sm, sub); return;
    default: dc_scatter_wrap_i4(base, off, n, m, v, sv, sm, sub); return;
    }
}

#endif
