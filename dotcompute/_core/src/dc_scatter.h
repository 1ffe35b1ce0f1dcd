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
static void dc_scatter_wrap_i8(char *base, const int64_t *off, ptrdiff_t n, ptrdiff_t m,
                               const char *v, ptrdiff_t sv, ptrdiff_t sm, int sub) {
    for (ptrdiff_t i = 0; i < n; i++) {
        uint64_t *d = (uint64_t *)(base + off[i]);
        const char *s = v + i * sv;
        for (ptrdiff_t j = 0; j < m; j++) {
            uint64_t x = *(const uint64_t *)(s + j * sm);
            d[j] = sub ? d[j] - x : d[j] + x;
        }
    }
}

static void dc_scatter_wrap_i4(char *base, const int64_t *off, ptrdiff_t n, ptrdiff_t m,
                               const char *v, ptrdiff_t sv, ptrdiff_t sm, int sub) {
    for (ptrdiff_t i = 0; i < n; i++) {
        uint32_t *d = (uint32_t *)(base + off[i]);
        const char *s = v + i * sv;
        for (ptrdiff_t j = 0; j < m; j++) {
            uint32_t x = *(const uint32_t *)(s + j * sm);
            d[j] = sub ? d[j] - x : d[j] + x;
        }
    }
}

#endif
