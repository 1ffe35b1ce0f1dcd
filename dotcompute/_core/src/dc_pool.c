/* dc_pool: thread-safe caching allocator for host memory.  See dc_pool.h for the design. */
#define _GNU_SOURCE
#include "dc_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer (DOTCOMPUTE_SANITIZE=address) the pool poisons every byte no live
 * block asked for: free chunks, and the rounding tail of a live chunk past its requested
 * size, so a kernel reading or writing past the end of an array is reported even though
 * the memory is mapped.  Memory is unpoisoned before it goes back to the OS. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define DC_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define DC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define DC_POISON(p, n) ((void)(p), (void)(n))
#define DC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define HUGE_PAGE ((size_t)2 << 20)
#define LAZY_ZERO_MIN ((size_t)32 << 20)
#define LARGE_SLACK ((size_t)16 << 20) /* a large request may leave this much of a cached chunk */
#define RAW_MAGIC 0x6463706f6f6c6d6dULL
/* Small-block cache: freed small chunks of up to CACHE_CLASSES units are kept whole in a
 * LIFO stack per size (at most CACHE_DEPTH each, CACHE_BYTES in all) and handed out again
 * without the free index (no best-fit search, split or merge).  A cached chunk counts as
 * freed in every statistic; any reader of the pool's state (statistics, n_free_blocks,
 * free_all_blocks, a request the index cannot serve) first merges the cache back, so what
 * it sees is the state of a pool without the cache. */
#define CACHE_CLASSES 64
#define CACHE_DEPTH 8
#define CACHE_BYTES ((size_t)1 << 20)

struct dc_pool {
    int lock;             /* 0 free, 1 held: see lock_acquire */
    struct dc_pool *next_pool;  /* registry of live pools (for the fork handlers) */
    size_t alignment;     /* configured alignment */
    size_t small_unit;    /* rounding unit of the small pool: max(512, alignment) */
    int small_shift;      /* log2(small_unit) (a power of two: no division per call) */
    size_t limit;         /* DC_NO_LIMIT or maximum reserved bytes */
    dc_chunk *free_tree[2];  /* [0] small pool, [1] large pool */
    dc_chunk *spare;      /* recycled dc_chunk structs, linked through ->next */
    size_t n_spare;
    uint64_t rng;
    dc_stats st;
    dc_chunk *cache[CACHE_CLASSES][CACHE_DEPTH];  /* [size / small_unit - 1][depth] */
    uint8_t n_cached[CACHE_CLASSES];
    size_t cached_bytes;
    unsigned next_color;  /* round robin of the colors of new large chunks */
};

/* ------------------------------------------------------------------ the lock */
/* Critical sections are a few dozen instructions (a cache pop, an index search, counters;
 * munmap runs outside): an uncontended take is one atomic exchange and a release one
 * plain store, where a pthread mutex costs two locked instructions and two calls -- a
 * tenth of a small array's creation.  A waiter spins briefly, then yields its time
 * slice (a holder that lost its CPU is not spun on). */
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

static inline void lock_acquire(int *l) {
    if (!__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) return;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (!__atomic_load_n(l, __ATOMIC_RELAXED) && !__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
                return;
            CPU_RELAX();
        }
        sched_yield();
    }
}

static inline void lock_release(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* ------------------------------------------------------------------ fork safety */
/* A fork while another thread holds a pool's lock would leave it locked forever in the
 * child.  The pthread_atfork handlers take every pool's lock before fork (after any
 * operation in progress finished) and release them in the parent and in the child, so
 * the child inherits consistent, unlocked pools.  Lock order: registry, then the pools in
 * registry order; pool operations never take the registry lock. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static dc_pool *registry = NULL;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void) {
    pthread_mutex_lock(&registry_lock);
    for (dc_pool *p = registry; p; p = p->next_pool) lock_acquire(&p->lock);
}

static void fork_release(void) {
    for (dc_pool *p = registry; p; p = p->next_pool) lock_release(&p->lock);
    pthread_mutex_unlock(&registry_lock);
}

static void install_atfork(void) { pthread_atfork(fork_prepare, fork_release, fork_release); }

static void registry_add(dc_pool *p) {
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&registry_lock);
    p->next_pool = registry;
    registry = p;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(dc_pool *p) {
    pthread_mutex_lock(&registry_lock);
    for (dc_pool **q = &registry; *q; q = &(*q)->next_pool) {
        if (*q == p) {
            *q = p->next_pool;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
}

/* ------------------------------------------------------------------ helpers */

static size_t round_up(size_t n, size_t unit) { return (n + unit - 1) & ~(unit - 1); }

static uint32_t next_prio(dc_pool *p) {
    /* xorshift64* */
    uint64_t x = p->rng;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    p->rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

static void stat_add(dc_pool *p, int type, int large, int64_t delta) {
    dc_stat *s[2] = {&p->st.stat[type][DC_POOL_ALL],
                     &p->st.stat[type][large ? DC_POOL_LARGE : DC_POOL_SMALL]};
    for (int i = 0; i < 2; i++) {
        s[i]->current += delta;
        if (delta >= 0) {
            s[i]->allocated += delta;
            if (s[i]->current > s[i]->peak) s[i]->peak = s[i]->current;
        } else {
            s[i]->freed -= delta;
        }
    }
}

static dc_chunk *chunk_new(dc_pool *p) {
    dc_chunk *c = p->spare;
    if (c) {
        p->spare = c->next;
        p->n_spare--;
    } else {
        c = (dc_chunk *)malloc(sizeof(dc_chunk));
        if (!c) return NULL;
    }
    memset(c, 0, sizeof(*c));
    return c;
}

static void chunk_recycle(dc_pool *p, dc_chunk *c) {
    c->next = p->spare;
    p->spare = c;
    p->n_spare++;
}

/* ------------------------------------------------------- free index (treap) */
/* Keyed by (size, address); a node's priority is >= its children's. */

static int key_less(const dc_chunk *a, const dc_chunk *b) {
    return a->size < b->size || (a->size == b->size && a->ptr < b->ptr);
}

/* Split t into nodes with key < key(k) (-> *l) and the rest (-> *r). */
static void treap_split(dc_chunk *t, const dc_chunk *k, dc_chunk **l, dc_chunk **r) {
    while (t) {
        if (key_less(t, k)) {
            *l = t;
            l = &t->right;
            t = t->right;
        } else {
            *r = t;
            r = &t->left;
            t = t->left;
        }
    }
    *l = NULL;
    *r = NULL;
}

/* Merge two treaps, every key of a below every key of b. */
static dc_chunk *treap_merge(dc_chunk *a, dc_chunk *b) {
    dc_chunk *root = NULL, **link = &root;
    while (a && b) {
        if (a->prio >= b->prio) {
            *link = a;
            link = &a->right;
            a = a->right;
        } else {
            *link = b;
            link = &b->left;
            b = b->left;
        }
    }
    *link = a ? a : b;
    return root;
}

static void tree_insert(dc_pool *p, dc_chunk *c) {
    dc_chunk **t = &p->free_tree[c->is_large];
    c->prio = next_prio(p);
    while (*t && (*t)->prio >= c->prio) t = key_less(c, *t) ? &(*t)->left : &(*t)->right;
    treap_split(*t, c, &c->left, &c->right);
    *t = c;
    p->st.n_free_blocks++;
}

static void tree_remove(dc_pool *p, dc_chunk *c) {
    dc_chunk **t = &p->free_tree[c->is_large];
    while (*t != c) t = key_less(c, *t) ? &(*t)->left : &(*t)->right;
    *t = treap_merge(c->left, c->right);
    c->left = c->right = NULL;
    p->st.n_free_blocks--;
}

/* Smallest free chunk with size >= n. */
static dc_chunk *tree_best_fit(dc_chunk *t, size_t n) {
    dc_chunk *best = NULL;
    while (t) {
        if (t->size >= n) {
            best = t;
            t = t->left;
        } else {
            t = t->right;
        }
    }
    return best;
}

/* Color of a new chunk (see DC_COLORS): round robin for large chunks of pools aligned to
 * at most the color unit, 0 otherwise. */
static uint8_t new_color(dc_pool *p, int large) {
    if (!large || p->alignment > DC_COLOR_UNIT) return 0;
    return (uint8_t)(p->next_color++ % DC_COLORS);
}

/* ------------------------------------------------------------ OS segments */

static char *os_map(size_t size) {
    if (size >= HUGE_PAGE && size <= SIZE_MAX - HUGE_PAGE) {
        /* over-map to place the segment on a 2 MiB boundary, then trim */
        size_t span = size + HUGE_PAGE;
        char *raw = (char *)mmap(NULL, span, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) return NULL;
        char *a = (char *)round_up((size_t)(uintptr_t)raw, HUGE_PAGE);
        size_t head = (size_t)(a - raw), tail = span - head - size;
        if (head) munmap(raw, head);
        if (tail) munmap(a + size, tail);
#ifdef MADV_HUGEPAGE
        madvise(a, size, MADV_HUGEPAGE);
#endif
        return a;
    }
    char *q = (char *)mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
    return q == MAP_FAILED ? NULL : q;
}

/* Map a new segment of seg_size bytes (multiple of 4 KiB) as one free chunk that is NOT in
 * the free index.  Called with the lock held. */
static int new_segment(dc_pool *p, int large, size_t seg_size, dc_chunk **out) {
    size_t reserved = (size_t)p->st.stat[DC_STAT_RESERVED_BYTES][DC_POOL_ALL].current;
    if (p->limit != DC_NO_LIMIT && (seg_size > p->limit || reserved > p->limit - seg_size))
        return DC_ERR_LIMIT;
    dc_chunk *c = chunk_new(p);
    if (!c) return DC_ERR_NOMEM;
    char *mem = os_map(seg_size);
    if (!mem) {
        chunk_recycle(p, c);
        return DC_ERR_NOMEM;
    }
    DC_POISON(mem, seg_size);
    c->ptr = mem;
    c->size = seg_size;
    c->is_free = 1;
    c->is_large = (uint8_t)large;
    c->is_zero = 1;  /* fresh anonymous pages read as zero */
    c->color = new_color(p, large);
    p->st.num_os_alloc++;
    stat_add(p, DC_STAT_SEGMENT, large, 1);
    stat_add(p, DC_STAT_RESERVED_BYTES, large, (int64_t)seg_size);
    *out = c;
    return DC_OK;
}

/* ------------------------------------------------- free chunks, small cache */

/* a (free) takes over its free address neighbour b = a->next, already out of the index. */
static void join_next(dc_pool *p, dc_chunk *a, dc_chunk *b) {
    a->size += b->size;
    a->is_zero &= b->is_zero;
    a->next = b->next;
    if (b->next) b->next->prev = a;
    chunk_recycle(p, b);
}

/* Put a free chunk (is_free set, statistics done) into the free index, merged with its
 * free address neighbours.  Called with the lock held. */
static void merge_insert(dc_pool *p, dc_chunk *c) {
    if (c->prev && c->prev->is_free) {
        dc_chunk *q = c->prev;
        tree_remove(p, q);
        join_next(p, q, c);
        c = q;
    }
    if (c->next && c->next->is_free) {
        tree_remove(p, c->next);
        join_next(p, c, c->next);
    }
    tree_insert(p, c);
}

/* Cache class of a small chunk of `size` bytes, -1 when it is not cached. */
static int cache_class(const dc_pool *p, size_t size) {
    size_t k = size >> p->small_shift;
    return (k >= 1 && k <= CACHE_CLASSES) ? (int)(k - 1) : -1;
}

/* Merge every cached chunk back into the free index.  Called with the lock held. */
static void cache_flush(dc_pool *p) {
    if (!p->cached_bytes) return;
    for (int k = 0; k < CACHE_CLASSES; k++) {
        while (p->n_cached[k]) {
            dc_chunk *c = p->cache[k][--p->n_cached[k]];
            c->is_free = 1;
            merge_insert(p, c);
        }
    }
    p->cached_bytes = 0;
}

/* ------------------------------------------------------------- public API */

dc_pool *dc_pool_create(size_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) || alignment > DC_MAX_ALIGNMENT)
        return NULL;
    dc_pool *p = (dc_pool *)calloc(1, sizeof(dc_pool));
    if (!p) return NULL;
    p->alignment = alignment;
    p->small_unit = alignment > DC_SMALL_UNIT ? alignment : DC_SMALL_UNIT;
    p->small_shift = __builtin_ctzll((unsigned long long)p->small_unit);
    p->limit = DC_NO_LIMIT;
    p->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)p;
    registry_add(p);
    return p;
}

static void unmap_tree(dc_chunk *t) {
    while (t) {
        unmap_tree(t->left);
        dc_chunk *r = t->right;
        /* with no live chunk, every free chunk spans a whole segment */
        DC_UNPOISON(t->ptr, t->size);
        munmap(t->ptr, t->size);
        free(t);
        t = r;
    }
}

void dc_pool_destroy(dc_pool *p) {
    if (!p) return;
    cache_flush(p);
    if (p->st.stat[DC_STAT_ALLOCATION][DC_POOL_ALL].current != 0) {
        /* live blocks still point into the segments: leak rather than unmap under them
         * (the pool stays registered: its lock still guards those blocks) */
        return;
    }
    registry_remove(p);
    unmap_tree(p->free_tree[0]);
    unmap_tree(p->free_tree[1]);
    while (p->spare) {
        dc_chunk *n = p->spare->next;
        free(p->spare);
        p->spare = n;
    }
    free(p);
}

size_t dc_pool_alignment(const dc_pool *p) { return p->alignment; }

int dc_pool_malloc(dc_pool *p, size_t nbytes, dc_chunk **out) {
    int large = nbytes >= DC_SMALL_LIMIT;
    size_t unit = large ? DC_LARGE_UNIT : p->small_unit;
    if (nbytes > (SIZE_MAX >> 2)) {  /* absurd: rounding would overflow */
        *out = NULL;
        return DC_ERR_NOMEM;
    }
    size_t rounded = nbytes == 0 ? unit : round_up(nbytes, unit);
    int bucket = nbytes <= 1 ? 0 : 64 - __builtin_clzll((unsigned long long)(nbytes - 1));

    lock_acquire(&p->lock);
    p->st.size_hist[bucket]++;
    dc_chunk *c;
    int k = large ? -1 : cache_class(p, rounded);
    if (k >= 0 && p->n_cached[k]) {  /* a cached chunk of exactly this size */
        c = p->cache[k][--p->n_cached[k]];
        p->cached_bytes -= c->size;
        p->st.pool_hits++;
        goto hand_out;
    }
    c = tree_best_fit(p->free_tree[large], rounded);
    size_t slack_max = rounded > LARGE_SLACK ? rounded : LARGE_SLACK;
    if (c && large && c->size - rounded > slack_max) c = NULL;  /* keep big cached chunks whole */
    if (c) {
        tree_remove(p, c);
        p->st.pool_hits++;
    } else {
        int rc = new_segment(p, large, large ? rounded : DC_SMALL_SEGMENT, &c);
        if (rc != DC_OK && !large)  /* near the limit: a small segment of just this size */
            rc = new_segment(p, 0, round_up(rounded, DC_LARGE_UNIT), &c);
        if (rc == DC_OK) {
            p->st.pool_misses++;
        } else {
            /* last resort before failing: any cached chunk, however big (the small-block
             * cache merged back first) */
            if (!large) cache_flush(p);
            c = tree_best_fit(p->free_tree[large], rounded);
            if (!c) {
                lock_release(&p->lock);
                *out = NULL;
                return rc;
            }
            tree_remove(p, c);
            p->st.pool_hits++;
        }
    }
    if (c->size - rounded >= unit) {
        dc_chunk *rest = chunk_new(p);
        if (rest) {  /* if the struct cannot be had, hand out the whole chunk */
            rest->ptr = c->ptr + rounded;
            rest->size = c->size - rounded;
            rest->is_free = 1;
            rest->is_large = c->is_large;
            rest->is_zero = c->is_zero;
            rest->color = new_color(p, rest->is_large);
            rest->prev = c;
            rest->next = c->next;
            if (c->next) c->next->prev = rest;
            c->next = rest;
            c->size = rounded;
            tree_insert(p, rest);
        }
    }
hand_out:
    c->is_free = 0;
    c->requested = nbytes;
    DC_UNPOISON(dc_chunk_data(c), nbytes);
    stat_add(p, DC_STAT_ALLOCATION, large, 1);
    stat_add(p, DC_STAT_ALLOCATED_BYTES, large, (int64_t)c->size);
    stat_add(p, DC_STAT_ACTIVE_BYTES, large, (int64_t)c->size);
    stat_add(p, DC_STAT_REQUESTED_BYTES, large, (int64_t)nbytes);
    lock_release(&p->lock);
    *out = c;
    return DC_OK;
}

void dc_pool_free(dc_pool *p, dc_chunk *c) {
    if (!c) return;
    lock_acquire(&p->lock);
    int large = c->is_large;
    stat_add(p, DC_STAT_ALLOCATION, large, -1);
    stat_add(p, DC_STAT_ALLOCATED_BYTES, large, -(int64_t)c->size);
    stat_add(p, DC_STAT_ACTIVE_BYTES, large, -(int64_t)c->size);
    stat_add(p, DC_STAT_REQUESTED_BYTES, large, -(int64_t)c->requested);
    c->requested = 0;
    c->is_zero = 0;  /* the owner may have written to it */
    DC_POISON(c->ptr, c->size);
    int k = large ? -1 : cache_class(p, c->size);
    if (k >= 0 && p->n_cached[k] < CACHE_DEPTH && p->cached_bytes + c->size <= CACHE_BYTES) {
        /* kept whole (is_free stays 0: no neighbour merges into it while cached) */
        p->cache[k][p->n_cached[k]++] = c;
        p->cached_bytes += c->size;
    } else {
        c->is_free = 1;
        merge_insert(p, c);
    }
    lock_release(&p->lock);
}

/* Whether the first or the last page of a page-aligned range is in memory (a page not in
 * memory may still hold data, swapped out: only a hint for how to clear it). */
static int resident(char *ptr, size_t size) {
    unsigned char v = 0, w = 0;
    size_t page = 4096;
    if (mincore(ptr, page, &v) != 0 || mincore(ptr + size - page, page, &w) != 0) return 1;
    return (v | w) & 1;
}

int dc_pool_malloc_zeroed_by_caller(dc_pool *p, size_t nbytes, dc_chunk **out, int *dirty) {
    int rc = dc_pool_malloc(p, nbytes, out);
    *dirty = 0;
    if (rc != DC_OK) return rc;
    dc_chunk *c = *out;  /* ours now: no lock needed to read or clear it */
    if (c->is_zero) return DC_OK;
    if (c->is_large && (c->size >= LAZY_ZERO_MIN || !resident(c->ptr, c->size))) {
        /* untouched pages (whole 4 KiB pages: large chunks are page multiples at page
         * offsets of page-aligned segments): dropping them costs a syscall and gives
         * zero pages at first touch, as the untouched memory calloc hands NumPy, where
         * clearing would fault every page in now; pages in memory are cleared (by the
         * caller), as calloc clears recycled heap memory: on this VM a fault costs ~2 us
         * per 4 KiB page and ~0.4 ms per 2 MiB huge page, clearing 8 MB in memory
         * ~0.3-0.5 ms on one thread */
        if (madvise(c->ptr, c->size, MADV_DONTNEED) == 0) return DC_OK;
    }
    *dirty = 1;
    return DC_OK;
}

int dc_pool_malloc_zeroed(dc_pool *p, size_t nbytes, dc_chunk **out) {
    int dirty;
    int rc = dc_pool_malloc_zeroed_by_caller(p, nbytes, out, &dirty);
    if (rc == DC_OK && dirty) memset(dc_chunk_data(*out), 0, nbytes);
    return rc;
}

/* Chain every whole-segment free chunk of a treap into *list through ->prev (which is NULL
 * for such chunks, and not used by the walk). */
static void collect_segments(dc_chunk *t, dc_chunk **list) {
    while (t) {
        collect_segments(t->left, list);
        if (!t->prev && !t->next) {
            t->prev = *list;
            *list = t;
        }
        t = t->right;
    }
}

void dc_pool_release_cached(dc_pool *p) {
    dc_chunk *unmap = NULL;
    lock_acquire(&p->lock);
    cache_flush(p);
    for (int large = 0; large < 2; large++) {
        dc_chunk *found = NULL;
        collect_segments(p->free_tree[large], &found);
        while (found) {
            dc_chunk *c = found;
            found = c->prev;
            c->prev = NULL;
            tree_remove(p, c);
            p->st.num_os_free++;
            stat_add(p, DC_STAT_SEGMENT, large, -1);
            stat_add(p, DC_STAT_RESERVED_BYTES, large, -(int64_t)c->size);
            c->next = unmap;
            unmap = c;
        }
    }
    dc_chunk *spare = p->spare;  /* drop recycled structs too */
    p->spare = NULL;
    p->n_spare = 0;
    lock_release(&p->lock);
    while (unmap) {  /* unmapping touched memory is slow: do it without the lock */
        dc_chunk *n = unmap->next;
        DC_UNPOISON(unmap->ptr, unmap->size);
        munmap(unmap->ptr, unmap->size);
        free(unmap);
        unmap = n;
    }
    while (spare) {
        dc_chunk *n = spare->next;
        free(spare);
        spare = n;
    }
}

/* ------------------------------------------------------ raw pointer interface */

static size_t raw_header(const dc_pool *p) { return p->alignment > 64 ? p->alignment : 64; }

static void *raw_alloc(dc_pool *p, size_t nbytes, int zeroed) {
    size_t h = raw_header(p);
    dc_chunk *c;
    int (*alloc)(dc_pool *, size_t, dc_chunk **) = zeroed ? dc_pool_malloc_zeroed : dc_pool_malloc;
    if (nbytes > (SIZE_MAX >> 2)) return NULL;
    if (alloc(p, nbytes + h, &c) != DC_OK) {
        dc_pool_release_cached(p);
        dc_pool_note_retry(p);
        if (alloc(p, nbytes + h, &c) != DC_OK) {
            dc_pool_note_oom(p);
            return NULL;
        }
    }
    char *user = dc_chunk_data(c) + h;
    ((uint64_t *)user)[-2] = RAW_MAGIC;
    ((dc_chunk **)user)[-1] = c;
    return user;
}

void *dc_pool_raw_malloc(dc_pool *p, size_t nbytes) { return raw_alloc(p, nbytes, 0); }

static dc_chunk *raw_chunk(void *ptr) {
    char *user = (char *)ptr;
    if (((uint64_t *)user)[-2] != RAW_MAGIC) {
        fprintf(stderr, "dc_pool: pointer %p was not allocated by this pool (or freed twice)\n",
                ptr);
        abort();
    }
    return ((dc_chunk **)user)[-1];
}

void dc_pool_raw_free(dc_pool *p, void *ptr) {
    if (!ptr) return;
    dc_chunk *c = raw_chunk(ptr);
    ((uint64_t *)ptr)[-2] = 0;
    dc_pool_free(p, c);
}

void *dc_pool_raw_calloc(dc_pool *p, size_t nelem, size_t elsize) {
    if (elsize && nelem > SIZE_MAX / elsize) return NULL;
    return raw_alloc(p, nelem * elsize, 1);
}

void *dc_pool_raw_realloc(dc_pool *p, void *ptr, size_t nbytes) {
    if (!ptr) return dc_pool_raw_malloc(p, nbytes);
    size_t h = raw_header(p);
    dc_chunk *c = raw_chunk(ptr);
    size_t old = c->requested - h;
    dc_chunk resized = *c;  /* the data may not move: the same offset with the new size */
    resized.requested = nbytes + h;
    if (nbytes <= (SIZE_MAX >> 2) && nbytes + h <= c->size && 2 * (nbytes + h) >= c->size
            && dc_chunk_data(&resized) == dc_chunk_data(c)) {
        lock_acquire(&p->lock);  /* fits in place: only the requested count changes */
        stat_add(p, DC_STAT_REQUESTED_BYTES, c->is_large, (int64_t)(nbytes + h) - (int64_t)c->requested);
        c->requested = nbytes + h;
        DC_POISON(c->ptr, c->size);
        DC_UNPOISON(dc_chunk_data(c), nbytes + h);
        lock_release(&p->lock);
        return ptr;
    }
    void *q = dc_pool_raw_malloc(p, nbytes);
    if (!q) return NULL;  /* the old block stays valid, as realloc requires */
    memcpy(q, ptr, old < nbytes ? old : nbytes);
    dc_pool_raw_free(p, ptr);
    return q;
}

/* ------------------------------------------------------------- accounting */

void dc_pool_set_limit(dc_pool *p, size_t limit) {
    lock_acquire(&p->lock);
    p->limit = limit;
    lock_release(&p->lock);
}

size_t dc_pool_get_limit(dc_pool *p) {
    lock_acquire(&p->lock);
    size_t v = p->limit;
    lock_release(&p->lock);
    return v;
}

static size_t read_current(dc_pool *p, int type) {
    lock_acquire(&p->lock);
    size_t v = (size_t)p->st.stat[type][DC_POOL_ALL].current;
    lock_release(&p->lock);
    return v;
}

size_t dc_pool_used_bytes(dc_pool *p) { return read_current(p, DC_STAT_ALLOCATED_BYTES); }
size_t dc_pool_total_bytes(dc_pool *p) { return read_current(p, DC_STAT_RESERVED_BYTES); }

size_t dc_pool_free_bytes(dc_pool *p) {
    lock_acquire(&p->lock);
    size_t v = (size_t)(p->st.stat[DC_STAT_RESERVED_BYTES][DC_POOL_ALL].current -
                        p->st.stat[DC_STAT_ALLOCATED_BYTES][DC_POOL_ALL].current);
    lock_release(&p->lock);
    return v;
}

size_t dc_pool_n_free_blocks(dc_pool *p) {
    lock_acquire(&p->lock);
    cache_flush(p);
    size_t v = (size_t)p->st.n_free_blocks;
    lock_release(&p->lock);
    return v;
}

void dc_pool_get_stats(dc_pool *p, dc_stats *out) {
    lock_acquire(&p->lock);
    cache_flush(p);
    *out = p->st;
    lock_release(&p->lock);
}

void dc_pool_reset_peak(dc_pool *p) {
    lock_acquire(&p->lock);
    for (int t = 0; t < DC_N_STAT_TYPES; t++)
        for (int k = 0; k < 3; k++) p->st.stat[t][k].peak = p->st.stat[t][k].current;
    lock_release(&p->lock);
}

void dc_pool_reset_accumulated(dc_pool *p) {
    lock_acquire(&p->lock);
    for (int t = 0; t < DC_N_STAT_TYPES; t++)
        for (int k = 0; k < 3; k++) p->st.stat[t][k].allocated = p->st.stat[t][k].freed = 0;
    p->st.num_alloc_retries = p->st.num_ooms = 0;
    p->st.num_os_alloc = p->st.num_os_free = 0;
    p->st.pool_hits = p->st.pool_misses = 0;
    memset(p->st.size_hist, 0, sizeof(p->st.size_hist));
    lock_release(&p->lock);
}

void dc_pool_note_retry(dc_pool *p) {
    lock_acquire(&p->lock);
    p->st.num_alloc_retries++;
    lock_release(&p->lock);
}

void dc_pool_note_oom(dc_pool *p) {
    lock_acquire(&p->lock);
    p->st.num_ooms++;
    lock_release(&p->lock);
}
