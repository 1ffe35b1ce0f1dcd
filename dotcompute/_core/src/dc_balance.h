/* Balanced parallel regions: a thread runs its own chunk block by block (half of what is
 * left at a time), then takes single blocks left in the others' chunks while more than
 * DC_STEAL_LEFT are left (a static split lasts as long as its slower thread).
 * Chunk c of k is [bounds[c], bounds[c + 1]); its counter nxt[c * DC_BALANCE_PAD] (one
 * cache line each) holds the next unclaimed index. A thread takes its chunk's first block
 * without a claim, every later block with an atomic add. Used by the kernels' 1-d drivers
 * (blocks of elements, reductions' partials one at a time), the fused executor (runs of
 * blocks) and the N-d walk (the flat index range). */
#ifndef DC_BALANCE_H
#define DC_BALANCE_H
#include <stddef.h>

#define DC_BALANCE_PAD 8
#define DC_STEAL_LEFT 2           /* blocks of another thread's chunk left to it */

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
        /* Another thread's chunk is taken from only while more than DC_STEAL_LEFT blocks
           of it are left: a thread that finishes a little early (always one does) waits
           for the last block or two instead of moving them to its core, where the owner's
           inputs and output lie in the other core's cache and the next call moves them
           back (a float32 add of 1e5 ran 10.3 us balanced, 8.3 us split statically, on
           the 2-core Xeon; with this 8.4-8.7 us). A slower owner still loses all but its
           last blocks. */
        ptrdiff_t left = end - __atomic_load_n(&nxt[r * DC_BALANCE_PAD], __ATOMIC_RELAXED);
        ptrdiff_t take = blk;
        if (*j > 0 && left <= DC_STEAL_LEFT * blk) {
            (*j)++;
            continue;
        }
        /* In its own chunk a thread takes half of what is left at a time, in whole blocks
           (a claim is a locked instruction after a run of stores: each cost ~0.1 us, 1 us
           of a 9 us float32 add of 1e5 in blocks of 4096); others take single blocks. */
        if (*j == 0 && left / 2 >= 2 * blk)
            take = left / 2 / blk * blk;
        *s = __atomic_fetch_add(&nxt[r * DC_BALANCE_PAD], take, __ATOMIC_RELAXED);
        if (*s < end) {
            *e = *s + take < end ? *s + take : end;
            return 1;
        }
        (*j)++;
    }
    return 0;
}
#endif
