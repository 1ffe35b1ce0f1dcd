/* Selection of the k-th smallest element of a float row, in place (median, quantiles).
 *
 * After dc_select_{f8,f4}(a, n, k): a[k] is the element a full sort would put there,
 * every a[i < k] <= a[k] and every a[i > k] >= a[k] -- NumPy's partition contract. A row
 * holding a NaN is not selected: a NaN is swapped to a[k] instead (NumPy orders NaNs last,
 * so its median or quantile of such a row is NaN; the callers read that from a[k..]).
 * Quickselect with a median-of-three pivot and a partition without branches on the data
 * (every element stored to both sides, the counts advanced by the comparison: a random
 * row's comparisons mispredict half the time, and Hoare's scans ran at ~10 ns an element,
 * as slow as NumPy's introselect); a pivot that is the least of its part splits off the
 * elements equal to it (many equal values); insertion sort below 16 elements, and heapsort
 * of the part left once 2 log2(n) + 8 partitions have not narrowed it (an adversarial
 * row: O(n log n) at worst). The buffer for one side: DC_SELECT_STACK elements on the
 * stack, malloc beyond (heapsort if that fails). The value at k is the k-th order statistic whatever the order
 * the algorithm leaves behind; only zeros of either sign, equal as values, may swap
 * places with NumPy's (its own SIMD and scalar selections differ there too).
 *
 * NumPy's np.partition of a float64 row of 4000 took 33 us on the AMD EPYC (Zen 4), where
 * its SIMD selection is not used: 8 ns an element. */
#ifndef DC_SELECT_H
#define DC_SELECT_H
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define DC_SELECT_STACK 4096            /* elements of the partition buffer on the stack */

/* the median of three values (no NaN: the rows holding one are not selected) */
#define DC_MED3(T, A, B, C) __extension__ ({ T a_ = (A), b_ = (B), c_ = (C);               \
    a_ < b_ ? (b_ < c_ ? b_ : (a_ < c_ ? c_ : a_)) : (a_ < c_ ? a_ : (b_ < c_ ? c_ : b_)); })

#define DC_SELECT_RUNS_MIN 4096        /* parts this long test their runs (below: none) */

#define DC_SELECT_DEFINE(SUF, T)                                                          \
/* Whether the elements sit in long runs on either side of p: fewer than 1 in 16 of the */\
/* neighbours in four windows of 64 (start, quarters, end) cross it. */                   \
static int dc_select_runs_##SUF(const T *a, ptrdiff_t m, T p)                             \
{                                                                                         \
    ptrdiff_t w, j, c = 0;                                                                \
    for (w = 0; w < 4; w++) {                                                             \
        const T *s = a + (m - 64) * w / 3;                                                \
        for (j = 0; j < 63; j++)                                                          \
            c += (s[j] < p) != (s[j + 1] < p);                                            \
    }                                                                                     \
    return c < 4 * 63 / 16;                                                               \
}                                                                                         \
                                                                                          \
static void dc_heapsort_##SUF(T *a, ptrdiff_t n)                                          \
{                                                                                         \
    ptrdiff_t i, r, c, end;                                                               \
    T t;                                                                                  \
    for (i = n / 2 - 1; i >= 0; i--)                                                      \
        for (r = i; (c = 2 * r + 1) < n; r = c) {                                         \
            if (c + 1 < n && a[c + 1] > a[c]) c++;                                        \
            if (!(a[c] > a[r])) break;                                                    \
            t = a[r]; a[r] = a[c]; a[c] = t;                                              \
        }                                                                                 \
    for (end = n - 1; end > 0; end--) {                                                   \
        t = a[0]; a[0] = a[end]; a[end] = t;                                              \
        for (r = 0; (c = 2 * r + 1) < end; r = c) {                                       \
            if (c + 1 < end && a[c + 1] > a[c]) c++;                                      \
            if (!(a[c] > a[r])) break;                                                    \
            t = a[r]; a[r] = a[c]; a[c] = t;                                              \
        }                                                                                 \
    }                                                                                     \
}                                                                                         \
                                                                                          \
static void dc_select_##SUF(T *a, ptrdiff_t n, ptrdiff_t k)                               \
{                                                                                         \
    T small[DC_SELECT_STACK];                                                             \
    T *buf;                                                                               \
    ptrdiff_t lo = 0, hi = n - 1, i, j, m, nl, ng;                                        \
    int depth = 8;                                                                        \
    T p, t, x0, x1, x2;                                                                   \
    if (n <= 0 || k < 0 || k >= n) return;                                                \
    for (i = 0; i < n; i++)                                                               \
        if (a[i] != a[i]) {              /* a NaN: the row's answer is NaN */             \
            t = a[k]; a[k] = a[i]; a[i] = t;                                              \
            return;                                                                       \
        }                                                                                 \
    buf = n <= DC_SELECT_STACK ? small : (T *)malloc((size_t)n * sizeof(T));              \
    for (i = n; i > 1; i >>= 1) depth += 2;                                               \
    while (hi - lo >= 16) {                                                               \
        if (depth-- == 0 || buf == NULL) {                                                \
            dc_heapsort_##SUF(a + lo, hi - lo + 1);                                       \
            lo = hi;                     /* sorted: nothing left to order */              \
            break;                                                                        \
        }                                                                                 \
        /* the pivot: the median of three at the quartiles, of nine (medians of three) */ \
        /* at the tenths from 1024 elements; not the ends, which a random walk or a */    \
        /* trend makes extreme (a walk of 2e5 took 7 ms: splits of a few elements each) */\
        m = hi - lo + 1;                                                                  \
        if (m >= 1024) {                                                                  \
            ptrdiff_t s = m / 10;                                                         \
            x0 = DC_MED3(T, a[lo + s], a[lo + 2 * s], a[lo + 3 * s]);                     \
            x1 = DC_MED3(T, a[lo + 4 * s], a[lo + 5 * s], a[lo + 6 * s]);                 \
            x2 = DC_MED3(T, a[lo + 7 * s], a[lo + 8 * s], a[lo + 9 * s]);                 \
        } else {                                                                          \
            x0 = a[lo + m / 4]; x1 = a[lo + m / 2]; x2 = a[lo + 3 * m / 4];               \
        }                                                                                 \
        p = DC_MED3(T, x0, x1, x2);                                                       \
        /* the elements below p packed in place from lo (a write never passes the */      \
        /* read), the others into buf: both stores every time, no branch on the data */   \
        nl = ng = 0;                                                                      \
        if (m >= DC_SELECT_RUNS_MIN && dc_select_runs_##SUF(a + lo, m, p)) {             \
            /* long runs on one side of p (a smooth signal, a random walk): a branch */   \
            /* per element predicts well there and stores once */                        \
            for (j = 0; j < m; j++) {                                                     \
                T x = a[lo + j];                                                          \
                if (x < p) a[lo + nl++] = x;                                              \
                else buf[ng++] = x;                                                       \
            }                                                                             \
        } else                                                                            \
        for (j = 0; j < m; j++) {                                                         \
            T x = a[lo + j];                                                              \
            ptrdiff_t below = x < p;                                                      \
            a[lo + nl] = x;                                                               \
            buf[ng] = x;                                                                  \
            nl += below;                                                                  \
            ng += 1 - below;                                                              \
        }                                                                                 \
        if (nl > 0) {                                                                     \
            memcpy(a + lo + nl, buf, (size_t)ng * sizeof(T));                             \
            if (k < lo + nl) hi = lo + nl - 1;                                            \
            else lo += nl;                                                                \
            continue;                                                                     \
        }                                                                                 \
        /* p is the least (all m in buf): the elements equal to it from lo, the greater */\
        /* ones from hi down (the two free slots meet at the last element) */             \
        nl = ng = 0;                                                                      \
        for (j = 0; j < m; j++) {                                                         \
            T x = buf[j];                                                                 \
            ptrdiff_t above = p < x;                                                      \
            a[lo + nl] = x;                                                               \
            a[hi - ng] = x;                                                               \
            nl += 1 - above;                                                              \
            ng += above;                                                                  \
        }                                                                                 \
        if (k < lo + nl) {               /* a[k] == p, the smaller before, none below */  \
            lo = hi;                                                                      \
            break;                                                                        \
        }                                                                                 \
        lo += nl;                                                                         \
    }                                                                                     \
    for (i = lo + 1; i <= hi; i++) {     /* insertion sort of the last part */            \
        t = a[i];                                                                         \
        for (j = i - 1; j >= lo && a[j] > t; j--) a[j + 1] = a[j];                        \
        a[j + 1] = t;                                                                     \
    }                                                                                     \
    if (buf != small) free(buf);                                                          \
}

DC_SELECT_DEFINE(f8, double)
DC_SELECT_DEFINE(f4, float)
#endif
