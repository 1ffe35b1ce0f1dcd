/* Balanced parallel regions: a thread runs its own chunk block by block, then takes the
 * blocks left in the others' chunks (a static split lasts as long as its slower thread).
 * Chunk c of k is [bounds[c], bounds[c + 1]); its counter nxt[c * DC_BALANCE_PAD] (one
 * cache line each) holds the next unclaimed index. A thread takes its chunk's first block
 * without a claim, every later block with an atomic add. Used by the kernels' 1-d drivers
 * (blocks of elements, reductions' partials one at a time), the fused executor (runs of
 * blocks) and the N-d walk (the flat index range). */
#ifndef DC_BALANCE_H
#define DC_BALANCE_H
#include <stddef.h>

#define DC_BALANCE_PAD 8

static inline void dc_balance_init(ptrdiff_t *nxt, const ptrdiff_t *bounds, int k,
                                   ptrdiff_t blk)
{
    for (int c = 0; c < k; c++)
        nxt[c * DC_BALANCE_PAD] = bounds[c] + blk;
}

/* Thread c's next block [*s, *e): its chunk's first, its chunk's others, then those left
 * in chunks c+1, c+2, ... of the first `visit` chunks from its own (k: all, 1: its own
 * only, a static split). *j is -1 at the start, then counts the chunks it has emptied.
 * 0 when none is left. */
static inline int dc_balance_next(ptrdiff_t *nxt, const ptrdiff_t *bounds, int k, int visit,
                                  int c, int *j, ptrdiff_t blk, ptrdiff_t *s, ptrdiff_t *e)
{
    ptrdiff_t end;
    if (*j < 0) {
        *j = 0;
        *s = bounds[c];
        end = bounds[c + 1];
        if (*s < end) {
            *e = *s + blk < end ? *s + blk : end;
            return 1;
        }
    }
    while (*j < visit) {
        int r = c + *j;
        if (r >= k)
            r -= k;
        end = bounds[r + 1];
        *s = __atomic_fetch_add(&nxt[r * DC_BALANCE_PAD], blk, __ATOMIC_RELAXED);
        if (*s < end) {
            *e = *s + blk < end ? *s + blk : end;
            return 1;
        }
        (*j)++;
    }
    return 0;
}
#endif
