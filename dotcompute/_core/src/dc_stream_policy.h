/* When a large element-wise call writes its result with non-temporal stores (see
 * dc_stream_class in dc_kernel_table.h): measured per size class on the machine that runs
 * the program, not fixed. Whether streamed stores win depends on the machine and on its
 * load that day: on the shared AMD EPYC VM of 2026-12-02 they gained 1.3-1.5x for a + b at
 * 1e6-2e6 float64 one day and lost 1-8 % at 1e7 another (other processes kept the memory
 * busy). Classes are per loop (an expensive exp and a cheap add of one size must not
 * be compared with each other). A class alternates the two ways until each has DC_STREAM_SAMPLES timings (seconds
 * per byte), keeps the faster (streamed only when its median is DC_STREAM_MARGIN lower:
 * a tie keeps the caches' way) and measures again after `interval` of its calls, doubling
 * the interval while the choice holds (at most DC_STREAM_INTERVAL_MAX): at most
 * DC_STREAM_SAMPLES calls of every exploration run the slower way. Updates are not
 * atomic: two threads calling at once may lose a sample, never corrupt the state. */
#ifndef DC_STREAM_POLICY_H
#define DC_STREAM_POLICY_H
#include <string.h>
#include "dc_kernel_table.h"

#define DC_STREAM_MARGIN 0.03
#define DC_STREAM_INTERVAL_MIN 32
#define DC_STREAM_INTERVAL_MAX 4096

/* The class of a call of loop fn over `bytes` (>= t->stream_auto_min) bytes on `nthreads`
 * threads: its slot of the table, taken over (measured afresh) when another class held it. */
static inline dc_stream_class *dc_stream_class_of(dc_kernel_table *t, const void *fn,
                                                  ptrdiff_t bytes, int nthreads) {
    int size = 0, multi = nthreads > 1;
    ptrdiff_t lim = t->stream_auto_min;
    while (size < DC_STREAM_SIZES - 1 && bytes >= 2 * lim) {
        lim *= 2;
        size++;
    }
    uint64_t h = ((uint64_t)(uintptr_t)fn >> 4) * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(size * 2 + multi) * 0xC2B2AE3D27D4EB4FULL;
    dc_stream_class *c = &t->stream_cls[(h >> 32) % DC_STREAM_SLOTS];
    if (c->fn != fn || c->size != size || c->multi != multi) {
        memset(c, 0, sizeof *c);
        c->fn = fn;
        c->size = size;
        c->multi = multi;
    }
    return c;
}

/* Which way the next call of class c writes: 1 streamed, 0 direct. */
static inline int dc_stream_pick(dc_stream_class *c) {
    if (c->explore || c->interval == 0) {
        int n0 = c->n[0], n1 = c->n[1];
        return n1 < n0;                 /* alternate, direct first */
    }
    return c->choice;
}

static double dc_stream_median(double *v, int n) {
    for (int i = 1; i < n; i++)         /* insertion sort of <= DC_STREAM_SAMPLES values */
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j]; v[j] = v[j - 1]; v[j - 1] = x;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Record a call of class c that ran way v (as dc_stream_pick said) in `seconds`. */
static inline void dc_stream_note(dc_stream_class *c, int v, double seconds,
                                  ptrdiff_t bytes) {
    c->calls[v]++;
    if (!c->explore && c->interval != 0) {
        if (--c->left <= 0) {           /* measure again */
            c->n[0] = c->n[1] = 0;
            c->explore = 1;
        }
        return;
    }
    if (c->interval == 0) {             /* the class's first call */
        c->interval = DC_STREAM_INTERVAL_MIN;
        c->explore = 1;
    }
    int i = c->n[v];
    if (i >= DC_STREAM_SAMPLES || bytes <= 0) return;
    c->t[v][i] = seconds / (double)bytes;
    c->n[v] = i + 1;
    if (c->n[0] >= DC_STREAM_SAMPLES && c->n[1] >= DC_STREAM_SAMPLES) {
        double d = dc_stream_median(c->t[0], DC_STREAM_SAMPLES);
        double s = dc_stream_median(c->t[1], DC_STREAM_SAMPLES);
        int choice = s < d * (1.0 - DC_STREAM_MARGIN);
        if (c->decided[0] + c->decided[1] > 0) {
            if (choice == c->choice) {
                if (c->interval < DC_STREAM_INTERVAL_MAX) c->interval *= 2;
            } else {
                c->interval = DC_STREAM_INTERVAL_MIN;
            }
        }
        c->choice = choice;
        c->decided[choice]++;
        c->left = c->interval;
        c->explore = 0;
    }
}
#endif
