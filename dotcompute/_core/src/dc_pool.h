/*
 * dc_pool: a thread-safe caching allocator for host memory (plain C, no Python API).
 *
 * Layout (the scheme CuPy and PyTorch use for device memory):
 *   - segments are obtained from the OS with mmap and kept mapped (and touched) when freed;
 *   - a segment is cut into chunks linked to their address neighbours (prev/next);
 *   - free chunks sit in a size-ordered index (a treap keyed by (size, address)) searched
 *     best-fit; a larger free chunk is split, and freed chunks merge with free neighbours;
 *   - requests below DC_SMALL_LIMIT (1 MiB) are served from 2 MiB "small" segments and
 *     rounded to max(512, alignment) bytes; larger ones come from "large" segments of their
 *     own size, rounded to 4 KiB pages (<= 0.4 % rounding waste), and segments of >= 2 MiB
 *     are 2 MiB aligned and advised MADV_HUGEPAGE.  The two pools never share chunks.
 *   - a large request does not split a cached chunk much bigger than itself
 *     (more than max(request, 16 MiB) of slack) unless the OS allocation fails or the
 *     limit would be exceeded.
 *
 *   - freed small chunks of up to 64 units are kept whole in a per-size LIFO cache (at
 *     most 8 per size, 1 MiB in all) and handed out again without touching the index;
 *     they count as freed in every statistic, and every reader of the pool's state
 *     (statistics, n_free_blocks, release_cached, a request the index cannot serve)
 *     merges them back first, so it sees the pool as it would be without the cache.
 *
 * Every entry point takes the pool's lock (a spinlock that yields); none needs the GIL.  A chunk may be freed by
 * another thread than the one that allocated it.  Bookkeeping is one 64-byte dc_chunk per
 * chunk, kept outside the managed memory (<= 1 % of the bytes held for blocks >= 8 KiB).
 */
#ifndef DC_POOL_H
#define DC_POOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DC_SMALL_LIMIT ((size_t)1 << 20)   /* requests below this use the small pool */
#define DC_SMALL_UNIT ((size_t)512)        /* rounding unit of the small pool */
#define DC_LARGE_UNIT ((size_t)4096)       /* rounding unit of the large pool */
#define DC_SMALL_SEGMENT ((size_t)2 << 20) /* size of a small-pool segment */
#define DC_MAX_ALIGNMENT ((size_t)4096)
#define DC_NO_LIMIT ((size_t)0)            /* limit value meaning "unlimited" */

/* return codes */
#define DC_OK 0
#define DC_ERR_NOMEM 1   /* the OS refused (or the size overflows) */
#define DC_ERR_LIMIT 2   /* the pool's limit would be exceeded */

typedef struct dc_pool dc_pool;

typedef struct dc_chunk {
    char *ptr;                     /* first byte */
    size_t size;                   /* bytes of the chunk (a multiple of the pool's unit) */
    size_t requested;              /* bytes asked for by the owner (0 while free) */
    struct dc_chunk *prev, *next;  /* address neighbours inside the segment */
    struct dc_chunk *left, *right; /* free index (treap) children */
    uint32_t prio;                 /* treap priority */
    uint8_t is_free;
    uint8_t is_large;              /* 1: large pool, 0: small pool */
    uint8_t is_zero;               /* every byte reads as zero (fresh pages, never handed
                                      out since they were mapped or dropped) */
    uint8_t color;                 /* data offset in DC_COLOR_UNITs (see dc_chunk_data) */
} dc_chunk;

/* Large chunks hand out their data at one of DC_COLORS offsets inside the page (multiples
 * of DC_COLOR_UNIT, as far as the chunk's rounding slack allows; 0 in pools aligned to more
 * than the unit), assigned round robin to chunks as they are cut and kept when a chunk is
 * reused: the arrays of one computation then do not all start at the same offset in a page.
 * Three page-aligned streams (a + b into c at 1e6 float64, 24 MB) ran 5-10 % slower than
 * streams at offsets 0 / 512 / 1024 bytes on the AMD EPYC machine (set conflicts of loads
 * and stores; NumPy's heap blocks start at scattered offsets). */
#define DC_COLORS 8
#define DC_COLOR_UNIT ((size_t)512)

/* First byte of a live chunk's data (requested bytes from there fit in the chunk). */
static inline char *dc_chunk_data(const dc_chunk *c) {
    size_t room = (c->size - c->requested) / DC_COLOR_UNIT;
    return c->ptr + (c->color < room ? c->color : room) * DC_COLOR_UNIT;
}

/* Statistics in PyTorch's conventions. */
typedef struct {
    int64_t current, peak, allocated, freed;
} dc_stat;

enum { DC_STAT_ALLOCATION = 0, DC_STAT_ALLOCATED_BYTES, DC_STAT_RESERVED_BYTES,
       DC_STAT_ACTIVE_BYTES, DC_STAT_REQUESTED_BYTES, DC_STAT_SEGMENT, DC_N_STAT_TYPES };
enum { DC_POOL_ALL = 0, DC_POOL_SMALL = 1, DC_POOL_LARGE = 2 };
#define DC_N_HIST 65   /* bucket b counts requests n with 2**(b-1) < n <= 2**b (b=0: n <= 1) */

typedef struct {
    dc_stat stat[DC_N_STAT_TYPES][3];
    int64_t num_alloc_retries, num_ooms, num_os_alloc, num_os_free;
    int64_t pool_hits, pool_misses;
    int64_t n_free_blocks;
    int64_t size_hist[DC_N_HIST];
} dc_stats;

/* Create a pool; alignment must be a power of two <= DC_MAX_ALIGNMENT.  NULL on failure. */
dc_pool *dc_pool_create(size_t alignment);
/* Unmap everything.  If blocks are still live the memory is deliberately leaked instead. */
void dc_pool_destroy(dc_pool *pool);
size_t dc_pool_alignment(const dc_pool *pool);

/* Allocate nbytes (0 allowed).  On DC_OK *out is a live chunk whose data
 * (dc_chunk_data: ptr, or a few DC_COLOR_UNITs after it in a large chunk) is aligned. */
int dc_pool_malloc(dc_pool *pool, size_t nbytes, dc_chunk **out);
/* As dc_pool_malloc, the first nbytes reading as zero: fresh pages are used as they are,
 * a reused large chunk whose pages are not in memory has them dropped (MADV_DONTNEED:
 * zero-filled at first touch, as the untouched memory calloc returns), anything else is
 * cleared with memset. */
int dc_pool_malloc_zeroed(dc_pool *pool, size_t nbytes, dc_chunk **out);
/* As dc_pool_malloc_zeroed, but a block that memset would clear (pages in memory) is handed
 * out as it is and *dirty set to 1: the caller clears its first nbytes (on several threads,
 * say). *dirty is 0 when the block already reads as zero. */
int dc_pool_malloc_zeroed_by_caller(dc_pool *pool, size_t nbytes, dc_chunk **out, int *dirty);
/* Give a chunk back (NULL is ignored).  It stays mapped and cached. */
void dc_pool_free(dc_pool *pool, dc_chunk *chunk);
/* Unmap every fully free segment (live chunks and partly used segments stay). */
void dc_pool_release_cached(dc_pool *pool);

/* Raw pointer interface (used for NumPy's data-memory handler): a header in front of the
 * returned pointer records the chunk.  The returned pointer is max(64, alignment) aligned.
 * These retry once after releasing cached segments; NULL on failure. */
void *dc_pool_raw_malloc(dc_pool *pool, size_t nbytes);
void *dc_pool_raw_calloc(dc_pool *pool, size_t nelem, size_t elsize);
void *dc_pool_raw_realloc(dc_pool *pool, void *ptr, size_t nbytes);
void dc_pool_raw_free(dc_pool *pool, void *ptr);

/* Limit on reserved (mapped) bytes; DC_NO_LIMIT means none. */
void dc_pool_set_limit(dc_pool *pool, size_t limit);
size_t dc_pool_get_limit(dc_pool *pool);

size_t dc_pool_used_bytes(dc_pool *pool);    /* bytes of live chunks */
size_t dc_pool_total_bytes(dc_pool *pool);   /* bytes of mapped segments */
size_t dc_pool_free_bytes(dc_pool *pool);    /* total - used */
size_t dc_pool_n_free_blocks(dc_pool *pool);

void dc_pool_get_stats(dc_pool *pool, dc_stats *out);
void dc_pool_reset_peak(dc_pool *pool);
void dc_pool_reset_accumulated(dc_pool *pool);
void dc_pool_note_retry(dc_pool *pool);
void dc_pool_note_oom(dc_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
