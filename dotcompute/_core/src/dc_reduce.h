/* Reduction kernels, instantiated per dtype by dc_kernels_gen.h (DC_REDUCE_KERNELS).
 *
 * Each reduces a strided run to one partial of DC_PARTIAL_BYTES: the value (in the
 * accumulator type) and, for arg-reductions, an int64 index. The Cython driver cuts the
 * input into partials by its length only (a float sum: into the nodes of NumPy's tree),
 * runs them on however many threads the thread policy allows and combines them in order:
 * results do not depend on the thread count.
 *
 * Vector code uses GCC/Clang vector extensions at the build's native width (DC_VBYTES: 16
 * bytes on SSE2/NEON, 32 on AVX2, 64 on AVX-512). A wider generic vector than the ISA has
 * is lowered to scalar compares, branches and stack spills (gcc 12 on AVX2 made max 10-50x
 * slower than NumPy that way): never declare one. The scalar build (DC_SCALAR) keeps plain
 * loops; its vector branches are dead code.
 *
 * Float sums follow NumPy's own pairwise order (DC_NPSUM: its bits in every build). Float
 * dot products must give bit-identical results in every build too, so their lane layout
 * does not depend on the vector width: DC_SUM_LANES(T) lanes, lane j takes the products
 * j, j + LANES, ... of a block of DC_SUM_ROWS rows; the lanes of blocks are combined
 * pairwise (lane by lane, binary-counter order), then the lanes as a tree (DC_FDOT; NumPy's
 * dot is BLAS's order, which no kernel here follows). Every lane is a pairwise sum with at
 * most DC_SUM_ROWS sequential additions at the bottom (NumPy's pairwise sum has 16): the
 * error bound is NumPy's or better. Float products use DC_PROD_LANES(A) lanes the same way.
 * min/max/argmin/argmax/any/all do not depend on the order of elements, except for NaN
 * (propagates; arg-reductions return the first NaN) and ties (the first occurrence wins). */
#ifndef DC_REDUCE_H
#define DC_REDUCE_H
#include "dc_loops.h"

#if defined(DC_SCALAR)
#define DC_VBYTES 0
#elif defined(__AVX512F__)
#define DC_VBYTES 64
#elif defined(__AVX__)
#define DC_VBYTES 32
#else
#define DC_VBYTES 16
#endif
/* Width of the vector types declared (the scalar build declares 16-byte ones it never runs). */
#define DC_VB (DC_VBYTES ? DC_VBYTES : 16)
/* A vector load from an element pointer (the vector types are declared with the element's
 * alignment and may_alias). Not memcpy into a vector variable: gcc 12 copies 32 bytes as two
 * 16-byte stores and reloads them, a store-forwarding stall on every load (20x slower). */
#define DC_VLOAD(VT, ptr) (*(const VT *)(const void *)(ptr))

/* Accumulator arrays stay in registers only when the loops over them are unrolled. */
#define DC_UNROLL _Pragma("GCC unroll 16")
/* The rows of a pairwise block are read in address order, one at a time: unrolled, gcc
 * interleaved the 8 rows (each accumulator pair over all rows, a 256-byte stride through
 * the 2 KiB block), which ran 15-20 % slower than NumPy's sum from DRAM on one thread
 * (AMD EPYC; the hardware prefetcher follows an ascending stream, not that order). */
#define DC_ROWS_IN_ORDER _Pragma("GCC unroll 1")

#define DC_SUM_LANES(T) ((int)(256 / sizeof(T)))     /* 32 double lanes, 64 float lanes */
#define DC_SUM_ROWS 8
#define DC_PROD_LANES(A) ((int)(128 / sizeof(A)))    /* 16 lanes of 8 bytes, 32 of 4 */
/* Arg-reductions find the block (of this many bytes) holding the extreme in one vector
 * pass, then scan that block for its first occurrence. */
#define DC_ARG_BLOCK_BYTES 8192
#define DC_ANY_BLOCK 4096                            /* any/all stop early between blocks */

typedef struct { union { double f8; float f4; int64_t i8; uint64_t u8; uint8_t b1;
                         int32_t i4; int16_t i2; int8_t i1; uint32_t u4; uint16_t u2;
                         uint8_t u1; } v;
                 int64_t index; } dc_partial;

/* acc' = (v > acc) ? v : acc (gt) or (v < acc) ? v : acc for native float vectors: exactly
 * what maxpd/minpd (maxps/minps) compute with v as the first operand (equal or unordered:
 * the second, acc), one instruction where the compare and blend were two on the running
 * value's dependency chain (max of 1e5 float64 in L2 ran at the chain's latency). Other
 * element types, and the scalar build, keep the compare and select. */
#if !defined(DC_SCALAR) && defined(__AVX512F__)
#include <immintrin.h>
#define DC_VMAXD(v, a) ((__typeof__(v))_mm512_max_pd((__m512d)(v), (__m512d)(a)))
#define DC_VMIND(v, a) ((__typeof__(v))_mm512_min_pd((__m512d)(v), (__m512d)(a)))
#define DC_VMAXF(v, a) ((__typeof__(v))_mm512_max_ps((__m512)(v), (__m512)(a)))
#define DC_VMINF(v, a) ((__typeof__(v))_mm512_min_ps((__m512)(v), (__m512)(a)))
#define DC_HAVE_VMAX 1
#elif !defined(DC_SCALAR) && defined(__AVX__)
#include <immintrin.h>
#define DC_VMAXD(v, a) ((__typeof__(v))_mm256_max_pd((__m256d)(v), (__m256d)(a)))
#define DC_VMIND(v, a) ((__typeof__(v))_mm256_min_pd((__m256d)(v), (__m256d)(a)))
#define DC_VMAXF(v, a) ((__typeof__(v))_mm256_max_ps((__m256)(v), (__m256)(a)))
#define DC_VMINF(v, a) ((__typeof__(v))_mm256_min_ps((__m256)(v), (__m256)(a)))
#define DC_HAVE_VMAX 1
#elif !defined(DC_SCALAR) && defined(__SSE2__)
#include <emmintrin.h>
#define DC_VMAXD(v, a) ((__typeof__(v))_mm_max_pd((__m128d)(v), (__m128d)(a)))
#define DC_VMIND(v, a) ((__typeof__(v))_mm_min_pd((__m128d)(v), (__m128d)(a)))
#define DC_VMAXF(v, a) ((__typeof__(v))_mm_max_ps((__m128)(v), (__m128)(a)))
#define DC_VMINF(v, a) ((__typeof__(v))_mm_min_ps((__m128)(v), (__m128)(a)))
#define DC_HAVE_VMAX 1
#else
#define DC_HAVE_VMAX 0
#define DC_VMAXD(v, a) (a)
#define DC_VMIND(v, a) (a)
#define DC_VMAXF(v, a) (a)
#define DC_VMINF(v, a) (a)
#endif
/* Which form an element type takes: 2 double, 1 float, 0 compare and select. */
#define DC_VMAX_KIND(T) (DC_HAVE_VMAX ? _Generic((T)0, double: 2, float: 1, default: 0) : 0)
#define DC_VEXTREME(T, gt, v, a)                                                         \
    (DC_VMAX_KIND(T) == 2 ? ((gt) ? DC_VMAXD(v, a) : DC_VMIND(v, a))                     \
                          : ((gt) ? DC_VMAXF(v, a) : DC_VMINF(v, a)))

#define DC_ISNAN_F(x) ((x) != (x))
#define DC_ISNAN_I(x) 0
#define DC_SETNAN_F(m) ((m) = NAN)
#define DC_SETNAN_I(m) ((void)0)

/* ------------------------------------------------------------------------------- sums */

/* Float dot product of one block of n <= LANES * ROWS element pairs into the lanes
 * r[0 .. LANES). */
#define DC_FDOT(NAME, T)                                                                 \
static void NAME##_block(const char *p, ptrdiff_t s, ptrdiff_t n, const char *q,         \
                         ptrdiff_t sq, T *r) {                                           \
    typedef T VT __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));     \
    enum { LANES = DC_SUM_LANES(T), L = (int)(DC_VB / sizeof(T)), NV = LANES / L };      \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T);                                            \
    ptrdiff_t i = 0;                                                                     \
    for (int j = 0; j < LANES; j++) r[j] = 0;                                            \
    if (s == S && sq == S) {                                                             \
        const T *a = (const T *)p, *b = (const T *)q;                                    \
        if (DC_VBYTES && n >= LANES) {                                                   \
            VT acc[NV];                                                                  \
            DC_UNROLL for (int k = 0; k < NV; k++) acc[k] = (VT){0};                     \
            for (; i + LANES <= n; i += LANES)                                           \
                DC_UNROLL for (int k = 0; k < NV; k++)                                   \
                    acc[k] += DC_VLOAD(VT, a + i + k * L) * DC_VLOAD(VT, b + i + k * L); \
            memcpy(r, acc, sizeof acc);                                                  \
        }                                                                                \
        for (; i + LANES <= n; i += LANES)                                               \
            for (int j = 0; j < LANES; j++) r[j] += a[i + j] * b[i + j];                 \
        for (; i < n; i++) r[i % LANES] += a[i] * b[i];                                  \
    } else {                                                                             \
        for (; i < n; i++) {                                                             \
            T x, y; memcpy(&x, p + i * s, sizeof(T)); memcpy(&y, q + i * sq, sizeof(T)); \
            r[i % LANES] += x * y;                                                       \
        }                                                                                \
    }                                                                                    \
}                                                                                        \
/* Pairwise dot product of n >= 0 element pairs over blocks of LANES * ROWS: the block    \
 * lanes are merged as a binary counter does (block b + 1 closes every subtree of 2^k     \
 * blocks it completes), with a stack of lane sets; the lanes are then summed as a tree.  \
 * The tree depends on n only. Contiguous full blocks keep their accumulators in          \
 * registers; a recursive split into halves (the former form: a call, a zeroed lane array \
 * and a copy per block) ran 0.84x NumPy's sum at n = 1e7 float64 on one thread,          \
 * memory-bound, and this form level. */                                                \
static T NAME##_pairwise(const char *p, ptrdiff_t s, ptrdiff_t n, const char *q,         \
                         ptrdiff_t sq) {                                                 \
    typedef T VT __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));     \
    enum { LANES = DC_SUM_LANES(T), L = (int)(DC_VB / sizeof(T)), NV = LANES / L,        \
           B = DC_SUM_LANES(T) * DC_SUM_ROWS, LEVELS = 64 };                             \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T);                                            \
    T st[LEVELS][LANES], r[LANES];                                                       \
    ptrdiff_t b, nb = (n + B - 1) / B;                                                   \
    int top = 0;                                                                         \
    for (b = 0; b < nb; b++) {                                                           \
        ptrdiff_t m = n - b * B < B ? n - b * B : B;                                     \
        if (DC_VBYTES && m == B && s == S && sq == S) {                                  \
            const T *x = (const T *)(p + b * B * S), *y = (const T *)(q + b * B * S);    \
            VT acc[NV];                                                                  \
            DC_UNROLL for (int k = 0; k < NV; k++) acc[k] = (VT){0};                     \
            DC_ROWS_IN_ORDER for (int i = 0; i < B; i += LANES)                          \
                DC_UNROLL for (int k = 0; k < NV; k++)                                   \
                    acc[k] += DC_VLOAD(VT, x + i + k * L) * DC_VLOAD(VT, y + i + k * L); \
            for (ptrdiff_t c = b + 1; (c & 1) == 0; c >>= 1) {                           \
                top--;                                                                   \
                DC_UNROLL for (int k = 0; k < NV; k++)                                   \
                    acc[k] = DC_VLOAD(VT, st[top] + k * L) + acc[k];                     \
            }                                                                            \
            memcpy(st[top++], acc, sizeof acc);                                          \
            continue;                                                                    \
        }                                                                                \
        NAME##_block(p + b * B * s, s, m, q + b * B * sq, sq, r);                        \
        for (ptrdiff_t c = b + 1; (c & 1) == 0; c >>= 1) {                               \
            top--;                                                                       \
            for (int j = 0; j < LANES; j++) r[j] = st[top][j] + r[j];                    \
        }                                                                                \
        memcpy(st[top++], r, sizeof r);                                                  \
    }                                                                                    \
    if (top == 0) {                                                                      \
        for (int j = 0; j < LANES; j++) r[j] = 0;                                        \
    } else {                                                                             \
        memcpy(r, st[--top], sizeof r);                                                  \
        while (top > 0) {                                                                \
            top--;                                                                       \
            for (int j = 0; j < LANES; j++) r[j] = st[top][j] + r[j];                    \
        }                                                                                \
    }                                                                                    \
    for (int w = LANES / 2; w >= 1; w /= 2)                                              \
        for (int j = 0; j < w; j++) r[j] = r[j] + r[j + w];                              \
    return r[0];                                                                         \
}

/* NumPy's pairwise sum (numpy/_core/src/umath/loops_utils.h.src, read, not copied), in its
 * order, so a float sum has NumPy's bits: below 8 elements one running sum from -0.0; up to
 * 128 (a leaf), eight running sums over the index mod 8, started by the first eight
 * elements, joined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the rest one by one; longer
 * runs split at half rounded down to a multiple of 8 (dc_np_split) and add the halves.
 * NumPy 2.4 calls it once on a whole contiguous (or 1-d strided) run -- no chunks -- and
 * adds the result to the identity 0 (dc_k_sum). The eight sums of a leaf are one native
 * vector (two or four below AVX-512 for doubles): each lane's additions stay in order, so
 * every build gives the same bits. Two sibling leaves run interleaved (two dependency
 * chains; one leaf's 16 additions are latency-bound): 1e5 float64 in L2 on one thread 5.3
 * us, against 6.7 us for leaves one at a time and 5.0 us for the former 32-lane kernel
 * (float32: 4.4 / 5.7 / 2.9 us). Four leaves interleaved gained nothing. From DRAM the
 * interleaved loads (two ascending streams 1 KiB apart, alternating) defeat the AMD EPYC
 * (Zen 4) prefetcher: 1e7 float64 on one thread ran at 14 GB/s, 0.45x NumPy's sum, against
 * 29-31 GB/s for NumPy's order of loads. A float64 run of more than dc_sum_far_bytes
 * (past L2) therefore takes its leaves one at a time (seq; same additions, same bits):
 * 31-32 GB/s there, and 2.2 ms against 2.9 ms for the two leaves in program order one
 * after the other (the pair's loops, from Python, on NumPy's arrays). float32's pairs of
 * 512-byte leaves kept up from DRAM (1.1 ms for 1e7, 1.4 ms one at a time): they stay. */
#define DC_NPSUM_SEQ_BYTES (1 << 20)
/* The threshold in force (the table's sum_far_bytes points here; set to the L2's size at
 * import): run_reduce picks dc_r_sumfar_f8 for a whole run past it, and a single run past
 * it (a row of an axis sum) takes leaves one at a time in dc_npsum_f8_np. */
static ptrdiff_t dc_sum_far_bytes = DC_NPSUM_SEQ_BYTES;
static inline ptrdiff_t dc_np_split(ptrdiff_t n) { ptrdiff_t h = n / 2; return h - h % 8; }

/* Start of node j of the v = 2^d nodes at depth d of the tree over n elements (j = v: n);
 * every node above depth d must be longer than a leaf. */
static inline ptrdiff_t dc_np_tree_start(ptrdiff_t n, int v, int j) {
    ptrdiff_t s = 0;
    if (j >= v) return n;
    for (int b = v / 2; b >= 1; b /= 2) {
        ptrdiff_t h = dc_np_split(n);
        if (j & b) { s += h; n -= h; } else n = h;
    }
    return s;
}

#define DC_NPSUM(NAME, T, FS, FV)                                                        \
static T NAME##_leaf(const char *p, ptrdiff_t s, ptrdiff_t n) {                          \
    T r[8], res;                                                                         \
    ptrdiff_t i;                                                                         \
    if (n < 8) {                                                                         \
        res = -0.0;                                                                      \
        for (i = 0; i < n; i++) { T v; memcpy(&v, p + i * s, sizeof v); res += FS(v); }  \
        return res;                                                                      \
    }                                                                                    \
    for (int j = 0; j < 8; j++) { memcpy(&r[j], p + j * s, sizeof(T)); r[j] = FS(r[j]); } \
    for (i = 8; i < n - (n % 8); i += 8)                                                 \
        for (int j = 0; j < 8; j++) { T v; memcpy(&v, p + (i + j) * s, sizeof v); r[j] += FS(v); } \
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));             \
    for (; i < n; i++) { T v; memcpy(&v, p + i * s, sizeof v); res += FS(v); }           \
    return res;                                                                          \
}                                                                                        \
static inline T NAME##_join8(const T *r, const T *x, ptrdiff_t j, ptrdiff_t n) {         \
    T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));           \
    for (; j < n; j++) res += FS(x[j]);                                                  \
    return res;                                                                          \
}                                                                                        \
/* Two contiguous sibling leaves of 8 <= n1, n2 <= 128 elements, interleaved. */         \
static T NAME##_leaf2(const T *x, ptrdiff_t n1, const T *y, ptrdiff_t n2) {              \
    enum { VW = DC_VB / sizeof(T) < 8 ? DC_VB / sizeof(T) : 8, NV = 8 / VW };            \
    typedef T VT __attribute__((vector_size(VW * sizeof(T)), aligned(sizeof(T)), may_alias)); \
    VT a[NV], b[NV];                                                                     \
    ptrdiff_t e1 = n1 - n1 % 8, e2 = n2 - n2 % 8, e = e1 < e2 ? e1 : e2, i, j;           \
    T r[8], u;                                                                           \
    DC_UNROLL for (int k = 0; k < NV; k++) {                                             \
        a[k] = FV(DC_VLOAD(VT, x + k * VW)); b[k] = FV(DC_VLOAD(VT, y + k * VW));        \
    }                                                                                    \
    for (i = 8; i < e; i += 8)                                                           \
        DC_UNROLL for (int k = 0; k < NV; k++) {                                         \
            a[k] += FV(DC_VLOAD(VT, x + i + k * VW)); b[k] += FV(DC_VLOAD(VT, y + i + k * VW)); \
        }                                                                                \
    for (j = i; j < e1; j += 8)                                                          \
        DC_UNROLL for (int k = 0; k < NV; k++) a[k] += FV(DC_VLOAD(VT, x + j + k * VW)); \
    for (j = i; j < e2; j += 8)                                                          \
        DC_UNROLL for (int k = 0; k < NV; k++) b[k] += FV(DC_VLOAD(VT, y + j + k * VW)); \
    memcpy(r, a, sizeof r);                                                              \
    u = NAME##_join8(r, x, e1, n1);                                                      \
    memcpy(r, b, sizeof r);                                                              \
    return u + NAME##_join8(r, y, e2, n2);                                               \
}                                                                                        \
/* One contiguous leaf of 8 <= n <= 128 elements. */                                    \
static T NAME##_leaf1(const T *x, ptrdiff_t n) {                                         \
    enum { VW = DC_VB / sizeof(T) < 8 ? DC_VB / sizeof(T) : 8, NV = 8 / VW };            \
    typedef T VT __attribute__((vector_size(VW * sizeof(T)), aligned(sizeof(T)), may_alias)); \
    VT a[NV];                                                                            \
    ptrdiff_t e = n - n % 8, i;                                                          \
    T r[8];                                                                              \
    DC_UNROLL for (int k = 0; k < NV; k++) a[k] = FV(DC_VLOAD(VT, x + k * VW));          \
    for (i = 8; i < e; i += 8)                                                           \
        DC_UNROLL for (int k = 0; k < NV; k++) a[k] += FV(DC_VLOAD(VT, x + i + k * VW)); \
    memcpy(r, a, sizeof r);                                                              \
    return NAME##_join8(r, x, e, n);                                                     \
}                                                                                        \
static T NAME##_rec(const char *p, ptrdiff_t s, ptrdiff_t n, int seq) {                  \
    ptrdiff_t h;                                                                         \
    T a;                                                                                 \
    if (n <= 128) {                                                                      \
        if (DC_VBYTES && s == (ptrdiff_t)sizeof(T) && n >= 8)                            \
            return NAME##_leaf1((const T *)p, n);                                        \
        return NAME##_leaf(p, s, n);                                                     \
    }                                                                                    \
    h = dc_np_split(n);                                                                  \
    if (!seq && DC_VBYTES && s == (ptrdiff_t)sizeof(T) && h <= 128 && n - h <= 128)      \
        return NAME##_leaf2((const T *)p, h, (const T *)p + h, n - h);                   \
    a = NAME##_rec(p, s, h, seq);                                                        \
    return a + NAME##_rec(p + h * s, s, n - h, seq);                                     \
}                                                                                        \
static T NAME##_np(const char *p, ptrdiff_t s, ptrdiff_t n) {                            \
    return NAME##_rec(p, s, n, sizeof(T) == 8 && n * (ptrdiff_t)sizeof(T) > dc_sum_far_bytes); \
}

/* Loads as they are (sum), or NaN as +0.0 (nansum: NumPy's nansum sums a copy whose NaNs
 * were set to 0, so the same additions in the same order give its bits). */
#define DC_AS_IS(v) (v)
#define DC_NAN_ZERO(v) ((v) == (v) ? (v) : 0)
#define DC_NAN_ZERO_V(v) ((__typeof__(v))((__typeof__((v) == (v)))(v) & ((v) == (v))))

#define DC_SUM_F(t, T, A, at)                                                            \
DC_FDOT(dc_dotl_##t, T)                                                                   \
DC_NPSUM(dc_npsum_##t, T, DC_AS_IS, DC_AS_IS)                                            \
DC_NPSUM(dc_npnansum_##t, T, DC_NAN_ZERO, DC_NAN_ZERO_V)                                 \
/* nansum's partials: the sum with NaN as +0.0 in NumPy's pairwise order, and in the      \
 * partial's index how many elements are not NaN (nanmean's count; the node is in cache). */ \
static ptrdiff_t dc_notnan_##t(const char *a, ptrdiff_t s, ptrdiff_t n) {                \
    ptrdiff_t c = 0;                                                                     \
    if (s == (ptrdiff_t)sizeof(T)) {                                                     \
        const T *x = (const T *)a;                                                       \
        for (ptrdiff_t i = 0; i < n; i++) c += x[i] == x[i];                             \
    } else {                                                                             \
        for (ptrdiff_t i = 0; i < n; i++) { T v; memcpy(&v, a + i * s, sizeof v); c += v == v; } \
    }                                                                                    \
    return c;                                                                            \
}                                                                                        \
static void dc_r_nansum_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start,    \
                            char *p) {                                                   \
    (void)start;                                                                         \
    ((dc_partial *)p)->v.t = dc_npnansum_##t##_np(a, s, n);                              \
    ((dc_partial *)p)->index = dc_notnan_##t(a, s, n);                                   \
}                                                                                        \
static void dc_r_nansumfar_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, \
                               char *p) {                                                \
    (void)start;                                                                         \
    ((dc_partial *)p)->v.t = dc_npnansum_##t##_rec(a, s, n, 1);                          \
    ((dc_partial *)p)->index = dc_notnan_##t(a, s, n);                                   \
}                                                                                        \
static void dc_r_sum_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, char *p) { \
    (void)start; ((dc_partial *)p)->v.t = dc_npsum_##t##_np(a, s, n);                    \
}                                                                                        \
/* The same for the partials of a sum whose whole run streams from past L2 (run_reduce    \
 * picks it by the run's size: its partials are small, the access pattern is not). */     \
static void dc_r_sumfar_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start,    \
                            char *p) {                                                   \
    (void)start; ((dc_partial *)p)->v.t = dc_npsum_##t##_rec(a, s, n, 1);                 \
}                                                                                        \
static void dc_dot_##t(const char *a, ptrdiff_t sa, const char *b, ptrdiff_t sb,         \
                       ptrdiff_t n, ptrdiff_t start, char *p) {                          \
    (void)start; ((dc_partial *)p)->v.t = dc_dotl_##t##_pairwise(a, sa, n, b, sb);        \
}

/* Integer sums wrap (exact in any order). Types of 1 and 2 bytes add blocks of 4096 into
 * 32-bit lanes (no overflow: 4096 * 65535 < 2^31) -- the vectorizer widens them cheaply --
 * wider types add into 4 native vectors of accumulator lanes. */
#define DC_SUM_I(t, T, A, at)                                                             \
static void dc_r_sum_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, char *p) { \
    enum { R = (int)(4 * DC_VB / sizeof(A)) };                                            \
    A r[R];                                                                               \
    ptrdiff_t i = 0;                                                                      \
    (void)start;                                                                          \
    for (int j = 0; j < R; j++) r[j] = 0;                                                 \
    if (s == (ptrdiff_t)sizeof(T) && sizeof(T) <= 2) {                                    \
        const T *x = (const T *)a;                                                        \
        for (; i < n; i += 4096) {                                                        \
            ptrdiff_t e = n - i < 4096 ? n : i + 4096;                                    \
            int32_t b = 0;                                                                \
            for (ptrdiff_t k = i; k < e; k++) b += (int32_t)x[k];                         \
            r[0] += (A)b;                                                                 \
        }                                                                                 \
    } else if (s == (ptrdiff_t)sizeof(T)) {                                               \
        const T *x = (const T *)a;                                                        \
        for (; i + R <= n; i += R)                                                        \
            for (int j = 0; j < R; j++) r[j] += (A)x[i + j];                              \
    }                                                                                     \
    for (; i < n; i++) { T x; memcpy(&x, a + i * s, sizeof x); r[0] += (A)x; }            \
    for (int j = 1; j < R; j++) r[0] += r[j];                                             \
    ((dc_partial *)p)->v.at = r[0];                                                       \
}

/* nansum's combine (after DC_REDUCE_KERNELS: it uses the sum's): the values as the sum's
 * tree, then to the identity 0; after them (at offset 8) the count of elements that are
 * not NaN, an int64. */
#define DC_NANSUM_COMBINE(t)                                                             \
static void dc_k_nansum_##t(const char *ps, int k, char *out) {                          \
    const dc_partial *p = (const dc_partial *)ps;                                        \
    int64_t c = 0;                                                                       \
    dc_k_sum_##t(ps, k, out);                                                            \
    for (int j = 0; j < k; j++) c += p[j].index;                                         \
    memcpy(out + 8, &c, sizeof c);                                                       \
}

/* ----------------------------------------------------------------- the other kernels */


/* One vector v = *p of dc_extreme into accumulator k: the native max/min instruction
 * (NaN never enters acc: a compare with NaN keeps acc, see DC_VEXTREME) or a
 * compare-select, and the NaN mask. */
#define DC__EXT_STEP_V(T, p, k)                                                           \
    do { VT v_ = DC_VLOAD(VT, p);                                                        \
         acc[k] = DC_VEXTREME(T, gt, v_, acc[k]); nm[k] |= (VI)(v_ != v_); } while (0)
#define DC__EXT_STEP_S(p, k, CMP)                                                        \
    do { VT v_ = DC_VLOAD(VT, p); VI c_ = (VI)(v_ CMP acc[k]);                           \
         acc[k] = (VT)(((VI)v_ & c_) | ((VI)acc[k] & ~c_)); nm[k] |= (VI)(v_ != v_); } while (0)

/* Every reduction but sum of dtype t: C type T, IT the signed integer of T's width (vector
 * masks), A / at the accumulator C type / short name of prod, K F (float) or I (integer). */
#define DC_REDUCE_KERNELS(t, T, IT, A, at, K)                                            \
static A dc_k_sum_tree_##t(const dc_partial *p, int k) {                                 \
    if (k == 1) return p[0].v.at;                                                        \
    A h = dc_k_sum_tree_##t(p, k / 2);                                                   \
    return h + dc_k_sum_tree_##t(p + k / 2, k - k / 2);                                  \
}                                                                                        \
/* Sum partials: the halves added as a tree (a float sum's 2^d partials are the nodes at   \
 * depth d of NumPy's pairwise tree, run_reduce), then to the identity 0 as NumPy's       \
 * add.reduce does (a sum of -0.0 is +0.0). */                                           \
static void dc_k_sum_##t(const char *ps, int k, char *out) {                             \
    A r = (A)0 + dc_k_sum_tree_##t((const dc_partial *)ps, k);                           \
    memcpy(out, &r, sizeof r);                                                           \
}                                                                                        \
static void dc_r_prod_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, char *p) { \
    enum { P = DC_PROD_LANES(A) };                                                       \
    A r[P];                                                                              \
    ptrdiff_t i = 0;                                                                     \
    (void)start;                                                                         \
    for (int j = 0; j < P; j++) r[j] = 1;                                                \
    if (s == (ptrdiff_t)sizeof(T)) {                                                     \
        const T *x = (const T *)a;                                                       \
        for (; i + P <= n; i += P)                                                       \
            for (int j = 0; j < P; j++) r[j] *= (A)x[i + j];                             \
    }                                                                                    \
    for (; i < n; i++) { T x; memcpy(&x, a + i * s, sizeof x); r[0] *= (A)x; }           \
    for (int w = P / 2; w >= 1; w /= 2)                                                  \
        for (int j = 0; j < w; j++) r[j] = r[j] * r[j + w];                              \
    ((dc_partial *)p)->v.at = r[0];                                                      \
}                                                                                        \
static void dc_k_prod_##t(const char *ps, int k, char *out) {                            \
    const dc_partial *p = (const dc_partial *)ps;                                        \
    A r = p[0].v.at;                                                                     \
    for (int j = 1; j < k; j++) r *= p[j].v.at;                                          \
    memcpy(out, &r, sizeof r);                                                           \
}                                                                                        \
/* Extreme (max when gt, else min) of n >= 1 elements and whether one is NaN: four native \
 * vectors of compare-select (NaN never enters them, a compare with NaN is false) and a  \
 * NaN mask, then the remainder. */                                                      \
static inline T dc_extreme_##t(const char *pa, ptrdiff_t s, ptrdiff_t n, int gt, int *has_nan, \
                                int pf) {                                                 \
    typedef T VT __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));     \
    typedef IT VI __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));    \
    enum { L = (int)(DC_VB / sizeof(T)), U = 4 };                                        \
    ptrdiff_t i = 0;                                                                     \
    int nan = 0;                                                                         \
    T m; memcpy(&m, pa, sizeof m);                                                       \
    if (DC_VBYTES && s == (ptrdiff_t)sizeof(T) && n >= L                                 \
            && ((uintptr_t)pa % sizeof(T)) == 0) {                                       \
        const T *x = (const T *)pa;                                                      \
        VT acc[U]; VI nm[U];                                                             \
        VT b0 = (VT){0};                                                                 \
        for (int j = 0; j < L; j++) b0[j] = m;                                           \
        DC_UNROLL for (int k = 0; k < U; k++) { acc[k] = b0; nm[k] = (VI){0}; }          \
        /* U vectors a step, then one a step, then the last L elements as one vector     \
         * overlapping the ones before (max/min and the NaN mask are idempotent): no     \
         * scalar remainder (rows of 500 float32 left 52 elements to it); pf: a long run,  \
         * the U-vector steps prefetch (DC_PREFETCH_SPAN; gcc unswitches the loop on pf: \
         * no test inside either copy) */                                                \
        if (DC_VMAX_KIND(T)) {                       /* gt is a constant per caller */   \
            for (; i + U * L <= n; i += U * L) {                                         \
                if (pf) DC_PREFETCH_SPAN(x + i, U * DC_VB);                              \
                DC_UNROLL for (int k = 0; k < U; k++)                                    \
                    DC__EXT_STEP_V(T, x + i + k * L, k);                                 \
            }                                                                            \
            for (; i + L <= n; i += L) DC__EXT_STEP_V(T, x + i, 0);                         \
            if (i < n) { DC__EXT_STEP_V(T, x + n - L, 1); i = n; }                          \
        } else if (gt) {                                                                 \
            for (; i + U * L <= n; i += U * L) {                                         \
                if (pf) DC_PREFETCH_SPAN(x + i, U * DC_VB);                              \
                DC_UNROLL for (int k = 0; k < U; k++)                                    \
                    DC__EXT_STEP_S(x + i + k * L, k, >);                                 \
            }                                                                            \
            for (; i + L <= n; i += L) DC__EXT_STEP_S(x + i, 0, >);                      \
            if (i < n) { DC__EXT_STEP_S(x + n - L, 1, >); i = n; }                       \
        } else {                                                                         \
            for (; i + U * L <= n; i += U * L) {                                         \
                if (pf) DC_PREFETCH_SPAN(x + i, U * DC_VB);                              \
                DC_UNROLL for (int k = 0; k < U; k++)                                    \
                    DC__EXT_STEP_S(x + i + k * L, k, <);                                 \
            }                                                                            \
            for (; i + L <= n; i += L) DC__EXT_STEP_S(x + i, 0, <);                      \
            if (i < n) { DC__EXT_STEP_S(x + n - L, 1, <); i = n; }                       \
        }                                                                                \
        /* the accumulators hold no NaN unless the data did (then nm says so) */          \
        if (gt) {                                                                        \
            for (int k = 1; k < U; k++) {                                                \
                VI c = (VI)(acc[k] > acc[0]);                                            \
                acc[0] = (VT)(((VI)acc[k] & c) | ((VI)acc[0] & ~c));                     \
            }                                                                            \
            for (int j = 0; j < L; j++) { if (acc[0][j] > m) m = acc[0][j]; }            \
        } else {                                                                         \
            for (int k = 1; k < U; k++) {                                                \
                VI c = (VI)(acc[k] < acc[0]);                                            \
                acc[0] = (VT)(((VI)acc[k] & c) | ((VI)acc[0] & ~c));                     \
            }                                                                            \
            for (int j = 0; j < L; j++) { if (acc[0][j] < m) m = acc[0][j]; }            \
        }                                                                                \
        for (int k = 1; k < U; k++) nm[0] |= nm[k];                                      \
        for (int j = 0; j < L; j++) nan |= nm[0][j] != 0;                                \
    }                                                                                    \
    if (gt) {                                                                            \
        for (; i < n; i++) {                                                             \
            T v; memcpy(&v, pa + i * s, sizeof v);                                       \
            m = (v > m) ? v : m; nan |= DC_ISNAN_##K(v);                                 \
        }                                                                                \
    } else {                                                                             \
        for (; i < n; i++) {                                                             \
            T v; memcpy(&v, pa + i * s, sizeof v);                                       \
            m = (v < m) ? v : m; nan |= DC_ISNAN_##K(v);                                 \
        }                                                                                \
    }                                                                                    \
    *has_nan = nan;                                                                      \
    return m;                                                                            \
}                                                                                        \
/* Index of the first element equal to m (the first NaN when nan) in n elements (n if     \
 * none): native-vector compares count the matches of 64 elements at a time (subtracting  \
 * -1 masks, which gcc keeps vector on SSE2 where it lowers OR-ed masks per lane) to find  \
 * the group, then a scalar scan. */                                                     \
static ptrdiff_t dc_find_##t(const char *pa, ptrdiff_t s, ptrdiff_t n, T m, int nan) {   \
    typedef T VT __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));     \
    typedef IT VI __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));    \
    enum { L = (int)(DC_VB / sizeof(T)), G = 64 > L ? 64 : L };                          \
    ptrdiff_t i = 0;                                                                     \
    if (DC_VBYTES && s == (ptrdiff_t)sizeof(T) && ((uintptr_t)pa % sizeof(T)) == 0) {    \
        const T *x = (const T *)pa;                                                      \
        VT mv = (VT){0};                                                                 \
        for (int j = 0; j < L; j++) mv[j] = m;                                           \
        for (; i + G <= n; i += G) {                                                     \
            VI h = (VI){0};                                                              \
            int hit = 0;                                                                 \
            if (nan) {                                                                   \
                DC_UNROLL for (int k = 0; k < G / L; k++) {                              \
                    VT v = DC_VLOAD(VT, x + i + k * L); h -= (VI)(v != v);               \
                }                                                                        \
            } else {                                                                     \
                DC_UNROLL for (int k = 0; k < G / L; k++)                                \
                    h -= (VI)(DC_VLOAD(VT, x + i + k * L) == mv);                        \
            }                                                                            \
            for (int j = 0; j < L; j++) hit |= h[j] != 0;                                \
            if (hit) break;                                                              \
        }                                                                                \
    }                                                                                    \
    for (; i < n; i++) {                                                                 \
        T v; memcpy(&v, pa + i * s, sizeof v);                                           \
        if (nan ? DC_ISNAN_##K(v) : (v == m)) break;                                     \
    }                                                                                    \
    return i;                                                                            \
}                                                                                        \
/* Arg-extreme: the block of DC_ARG_BLOCK_BYTES whose extreme first beats the running one \
 * (or first holds a NaN: the scan stops there), then the first occurrence inside it. */ \
static inline void dc_argextreme_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, \
                                     char *p, int gt) {                                  \
    const ptrdiff_t B = DC_ARG_BLOCK_BYTES / (ptrdiff_t)sizeof(T);                       \
    ptrdiff_t at = 0, i0, m;                                                             \
    int nan = 0, pf = dc_pf_on && n * (ptrdiff_t)sizeof(T) >= DC_PF_MIN_BYTES;           \
    T best; memcpy(&best, a, sizeof best);                                               \
    for (i0 = 0; i0 < n; i0 += B) {                                                      \
        T v = dc_extreme_##t(a + i0 * s, s, n - i0 < B ? n - i0 : B, gt, &nan, pf);      \
        if (nan) { at = i0; break; }                                                     \
        if (gt ? (v > best) : (v < best)) { best = v; at = i0; }                         \
    }                                                                                    \
    m = n - at < B ? n - at : B;                                                         \
    at += dc_find_##t(a + at * s, s, m, best, nan);                                      \
    if (nan) DC_SETNAN_##K(best);                                                        \
    ((dc_partial *)p)->v.t = best;                                                       \
    ((dc_partial *)p)->index = (int64_t)(start + at);                                    \
}                                                                                        \
DC_EXTREME_KIND(t, T, K, min, 0, <)                                                      \
DC_EXTREME_KIND(t, T, K, max, 1, >)                                                      \
DC_ANYALL(t, T, IT)

#define DC_EXTREME_KIND(t, T, K, kind, GT, CMP)                                          \
static void dc_r_##kind##_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, char *p) { \
    int nan; T m = dc_extreme_##t(a, s, n, GT, &nan,                                     \
                                  dc_pf_on && n * (ptrdiff_t)sizeof(T) >= DC_PF_MIN_BYTES); \
    (void)start;                                                                         \
    if (nan) DC_SETNAN_##K(m);                                                           \
    ((dc_partial *)p)->v.t = m;                                                          \
}                                                                                        \
static void dc_k_##kind##_##t(const char *ps, int k, char *out) {                        \
    const dc_partial *p = (const dc_partial *)ps;                                        \
    T r = p[0].v.t;                                                                      \
    for (int j = 1; j < k; j++) {                                                        \
        T v = p[j].v.t;                                                                  \
        if (DC_ISNAN_##K(r)) break;                                                      \
        if (DC_ISNAN_##K(v) || (v CMP r)) r = v;                                         \
    }                                                                                    \
    memcpy(out, &r, sizeof r);                                                           \
}                                                                                        \
static void dc_r_arg##kind##_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, \
                                 char *p) {                                              \
    dc_argextreme_##t(a, s, n, start, p, GT);                                            \
}                                                                                        \
static void dc_k_arg##kind##_##t(const char *ps, int k, char *out) {                     \
    const dc_partial *p = (const dc_partial *)ps;                                        \
    T r = p[0].v.t; int64_t idx = p[0].index;                                            \
    for (int j = 1; j < k; j++) {                                                        \
        T v = p[j].v.t;                                                                  \
        if (DC_ISNAN_##K(r)) break;                                                      \
        if (DC_ISNAN_##K(v) || (v CMP r)) { r = v; idx = p[j].index; }                   \
    }                                                                                    \
    memcpy(out, &idx, sizeof idx);                                                       \
}

/* any / all: lane masks of (x != 0) (NaN counts as true, -0.0 as false) OR-ed / AND-ed in
 * native vectors, checked between blocks of DC_ANY_BLOCK elements to stop early. */
#define DC_ANYALL(t, T, IT)                                                              \
static int dc_anyall_##t(const char *pa, ptrdiff_t s, ptrdiff_t n, int all) {            \
    typedef T VT __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));     \
    typedef IT VI __attribute__((vector_size(DC_VB), aligned(sizeof(T)), may_alias));    \
    enum { L = (int)(DC_VB / sizeof(T)), U = 4 };                                        \
    ptrdiff_t i = 0;                                                                     \
    if (DC_VBYTES && s == (ptrdiff_t)sizeof(T) && ((uintptr_t)pa % sizeof(T)) == 0) {    \
        const T *x = (const T *)pa;                                                      \
        const VT z = (VT){0};                                                            \
        while (i + U * L <= n) {                                                         \
            ptrdiff_t e = n - i < DC_ANY_BLOCK ? n : i + DC_ANY_BLOCK;                   \
            VI acc[U];                                                                   \
            int hit = 0;                                                                 \
            DC_UNROLL for (int k = 0; k < U; k++) acc[k] = all ? ~(VI){0} : (VI){0};     \
            if (all) {                                                                   \
                for (; i + U * L <= e; i += U * L)                                       \
                    DC_UNROLL for (int k = 0; k < U; k++) {                              \
                        acc[k] &= (VI)(DC_VLOAD(VT, x + i + k * L) != z);                \
                    }                                                                    \
                for (int k = 1; k < U; k++) acc[0] &= acc[k];                            \
                for (int j = 0; j < L; j++) hit |= acc[0][j] == 0;                       \
            } else {                                                                     \
                for (; i + U * L <= e; i += U * L)                                       \
                    DC_UNROLL for (int k = 0; k < U; k++) {                              \
                        acc[k] |= (VI)(DC_VLOAD(VT, x + i + k * L) != z);                \
                    }                                                                    \
                for (int k = 1; k < U; k++) acc[0] |= acc[k];                            \
                for (int j = 0; j < L; j++) hit |= acc[0][j] != 0;                       \
            }                                                                            \
            if (hit) return !all;                                                        \
        }                                                                                \
    }                                                                                    \
    for (; i < n; i++) {                                                                 \
        T v; memcpy(&v, pa + i * s, sizeof v);                                           \
        if (all ? (v == 0) : (v != 0)) return !all;                                      \
    }                                                                                    \
    return all;                                                                          \
}                                                                                        \
static void dc_r_any_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, char *p) { \
    (void)start; ((dc_partial *)p)->v.b1 = (uint8_t)dc_anyall_##t(a, s, n, 0);           \
}                                                                                        \
static void dc_r_all_##t(const char *a, ptrdiff_t s, ptrdiff_t n, ptrdiff_t start, char *p) { \
    (void)start; ((dc_partial *)p)->v.b1 = (uint8_t)dc_anyall_##t(a, s, n, 1);           \
}                                                                                        \
static void dc_k_any_##t(const char *ps, int k, char *out) {                             \
    const dc_partial *p = (const dc_partial *)ps;                                        \
    uint8_t r = 0;                                                                       \
    for (int j = 0; j < k; j++) r |= p[j].v.b1;                                          \
    *out = r;                                                                            \
}                                                                                        \
static void dc_k_all_##t(const char *ps, int k, char *out) {                             \
    const dc_partial *p = (const dc_partial *)ps;                                        \
    uint8_t r = 1;                                                                       \
    for (int j = 0; j < k; j++) r &= p[j].v.b1;                                          \
    *out = r;                                                                            \
}


/* --------------------------------------------------------------- cumulative sums, products */

/* Scan n rows (strides sa / so along the scanned axis) of m lanes (strides ia / io across)
 * of T into the accumulator type A: o[0] = a[0], o[i] = o[i - 1] OP a[i] for every lane, in
 * order, as NumPy's add/multiply.accumulate (the same roundings: results are NumPy's
 * bits). Lanes that are contiguous in a and o run as one vectorized loop per row; one lane
 * keeps its running value in a register. o may be a (same layout, in place). */
#define DC_SCAN_KIND(t, T, A, kind, OP)                                                  \
static void dc_scan_##kind##_##t(const char *a, ptrdiff_t sa, ptrdiff_t ia, char *o,     \
                                 ptrdiff_t so, ptrdiff_t io, ptrdiff_t n, ptrdiff_t m) { \
    if (n <= 0 || m <= 0) return;                                                        \
    if (m == 1) {                                                                        \
        T x; A r;                                                                        \
        memcpy(&x, a, sizeof x); r = (A)x; memcpy(o, &r, sizeof r);                      \
        for (ptrdiff_t i = 1; i < n; i++) {                                              \
            memcpy(&x, a + i * sa, sizeof x); r = r OP (A)x;                             \
            memcpy(o + i * so, &r, sizeof r);                                            \
        }                                                                                \
        return;                                                                          \
    }                                                                                    \
    if (m == 2) {              /* two lanes (a complex number's parts): two registers */ \
        T x0, x1; A r0, r1;                                                              \
        memcpy(&x0, a, sizeof x0); memcpy(&x1, a + ia, sizeof x1);                       \
        r0 = (A)x0; r1 = (A)x1;                                                          \
        memcpy(o, &r0, sizeof r0); memcpy(o + io, &r1, sizeof r1);                       \
        for (ptrdiff_t i = 1; i < n; i++) {                                              \
            memcpy(&x0, a + i * sa, sizeof x0); memcpy(&x1, a + i * sa + ia, sizeof x1); \
            r0 = r0 OP (A)x0; r1 = r1 OP (A)x1;                                          \
            memcpy(o + i * so, &r0, sizeof r0); memcpy(o + i * so + io, &r1, sizeof r1); \
        }                                                                                \
        return;                                                                          \
    }                                                                                    \
    if (ia == (ptrdiff_t)sizeof(T) && io == (ptrdiff_t)sizeof(A)                         \
            && ((uintptr_t)a % sizeof(T)) == 0 && ((uintptr_t)o % sizeof(A)) == 0        \
            && (sa % (ptrdiff_t)sizeof(T)) == 0 && (so % (ptrdiff_t)sizeof(A)) == 0) {   \
        for (ptrdiff_t j = 0; j < m; j++)                                                \
            ((A *)o)[j] = (A)((const T *)a)[j];                                          \
        for (ptrdiff_t i = 1; i < n; i++) {                                              \
            const T *x = (const T *)(a + i * sa);                                        \
            const A *prev = (const A *)(o + (i - 1) * so);                               \
            A *cur = (A *)(o + i * so);                                                  \
            for (ptrdiff_t j = 0; j < m; j++) cur[j] = prev[j] OP (A)x[j];               \
        }                                                                                \
        return;                                                                          \
    }                                                                                    \
    for (ptrdiff_t i = 0; i < n; i++) {                                                  \
        for (ptrdiff_t j = 0; j < m; j++) {                                              \
            T x; A r;                                                                    \
            memcpy(&x, a + i * sa + j * ia, sizeof x);                                   \
            r = (A)x;                                                                    \
            if (i) { A p; memcpy(&p, o + (i - 1) * so + j * io, sizeof p); r = p OP r; } \
            memcpy(o + i * so + j * io, &r, sizeof r);                                   \
        }                                                                                \
    }                                                                                    \
}
#define DC_SCAN(t, T, A)                                                                 \
DC_SCAN_KIND(t, T, A, sum, +)                                                            \
DC_SCAN_KIND(t, T, A, prod, *)

#endif
