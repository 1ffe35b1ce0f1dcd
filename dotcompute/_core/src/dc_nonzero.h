/* The coordinates of the nonzero bytes of a C-contiguous bool array (np.nonzero,
 * np.argwhere, np.flatnonzero; _kernel_access.run_nonzero_*), in two passes over spans
 * of its flat positions: each span's count, then each span's coordinates from where the
 * spans before it end (the spans may run on different threads).
 *
 * NumPy's nonzero of an (N, M) array walks it with a multi-index per element (6 ns an
 * element on the AMD EPYC, 13 times its 1-d loop). Here a row of the last axis is one loop
 * whose leading coordinates stay in registers: every position writes its coordinates at
 * the next entry and the entry advances by one when the byte is nonzero (no branch on the
 * data), and 8 zero bytes at once are skipped. */
#ifndef DC_NONZERO_H
#define DC_NONZERO_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The nonzero bytes among m[s..e). */
static ptrdiff_t dc_nonzero_count(const uint8_t *m, ptrdiff_t s, ptrdiff_t e)
{
    ptrdiff_t c = 0, i;
    for (i = s; i < e; i++)
        c += m[i] != 0;
    return c;
}

/* The loops of dc_nonzero_fill, with WRITE(o, p, c) storing one entry's coordinates at
 * o (position p of a 1-d array; leading coordinates idx[0..nd-2] and last c otherwise);
 * o advances by ks past each nonzero byte, up to oend. */
#define DC_NZ_BODY(WRITE)                                                                 \
    while (p < e && o < oend) {                                                           \
        int64_t c = idx[nd - 1];                                                          \
        rowend = p + (last - c);                                                          \
        if (rowend > e)                                                                   \
            rowend = e;                                                                   \
        while (p < rowend && o < oend) {                                                  \
            if (p + 8 <= rowend && oend - o >= 8 * ks) {                                  \
                memcpy(&w, m + p, 8);                                                     \
                if (w != 0) {                                                             \
                    for (j = 0; j < 8; j++) {                                             \
                        WRITE(o, p + j, c + j);                                           \
                        o += -(ptrdiff_t)(m[p + j] != 0) & ks;                            \
                    }                                                                     \
                }                                                                         \
                p += 8;                                                                   \
                c += 8;                                                                   \
                continue;                                                                 \
            }                                                                             \
            WRITE(o, p, c);                                                               \
            o += -(ptrdiff_t)(m[p] != 0) & ks;                                            \
            p++;                                                                          \
            c++;                                                                          \
        }                                                                                 \
        idx[nd - 1] = 0;                  /* the next row: carry into the others */       \
        for (d = nd - 2; d >= 0; d--) {                                                   \
            if (++idx[d] < shape[d])                                                      \
                break;                                                                    \
            idx[d] = 0;                                                                   \
        }                                                                                 \
    }
#define DC_NZ_WRITE1(o, p, c) ((o)[0] = (p))
#define DC_NZ_WRITE2(o, p, c) ((o)[0] = idx[0], (o)[ds] = (c))
#define DC_NZ_WRITEN(o, p, c)                                                             \
    do {                                                                                  \
        for (d = 0; d < nd - 1; d++)                                                      \
            (o)[d * ds] = idx[d];                                                         \
        (o)[(nd - 1) * ds] = (c);                                                         \
    } while (0)

/* The coordinates of the nonzero bytes at flat positions s..e-1 of a C-ordered array of
 * nd (>= 1) extents `shape`, entries k..kend-1 (kend - k: the span's count): coordinate d
 * of entry j at out[j * ks + d * ds]. Writes only those entries: 8 positions at a time
 * while 8 entries are left (all 8 written, the entry advancing past the nonzero ones),
 * one at a time near the end. */
static void dc_nonzero_fill(const uint8_t *m, int nd, const ptrdiff_t *shape, ptrdiff_t s,
                            ptrdiff_t e, int64_t *out, ptrdiff_t ks, ptrdiff_t ds,
                            ptrdiff_t k, ptrdiff_t kend)
{
    int64_t idx[64];
    int64_t *o = out + k * ks, *oend = out + kend * ks;
    ptrdiff_t last = shape[nd - 1], p = s, rem = s, rowend;
    int d, j;
    uint64_t w;
    for (d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? rem % shape[d] : 0;
        rem = shape[d] ? rem / shape[d] : 0;
    }
    if (nd == 1 && ks == 1) {
        /* a 1-d array's positions: NumPy's branchless loop, 8 positions while 8 entries
         * are left, 8 zero bytes skipped at once */
        while (p + 8 <= e && oend - o >= 8) {
            memcpy(&w, m + p, 8);
            if (w != 0)
                for (j = 0; j < 8; j++) {
                    o[0] = p + j;
                    o += m[p + j] != 0;
                }
            p += 8;
        }
        for (; p < e && o < oend; p++) {
            o[0] = p;
            o += m[p] != 0;
        }
    } else if (nd == 1) {
        DC_NZ_BODY(DC_NZ_WRITE1)
    } else if (nd == 2) {
        DC_NZ_BODY(DC_NZ_WRITE2)
    } else {
        DC_NZ_BODY(DC_NZ_WRITEN)
    }
}
#undef DC_NZ_BODY
#undef DC_NZ_WRITE1
#undef DC_NZ_WRITE2
#undef DC_NZ_WRITEN
#endif
