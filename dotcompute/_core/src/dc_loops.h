/* Loop skeletons shared by every generated kernel (dc_kernels_gen.h instantiates them per
 * operation and dtype). Each skeleton takes an element function or expression and builds:
 *   - a contiguous loop over restrict pointers the compiler vectorizes,
 *   - scalar-operand loops (stride 0: broadcast scalar, the common `a + 1.0`),
 *   - a strided loop for any strides (negative, zero, unaligned, partially overlapping).
 * All loops are serial; threading is done by the Cython drivers (_kernels_body.pxi). */
#ifndef DC_LOOPS_H
#define DC_LOOPS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#define DC_RESTRICT __restrict__

/* True when an output of no bytes at o cannot partially overlap an input at a of na bytes:
 * either the same start (element-wise in-place is safe) or disjoint ranges. */
static inline int dc_no_partial_overlap(const char *a, ptrdiff_t na, const char *o,
                                        ptrdiff_t no) {
    return a == o || a + na <= o || o + no <= a;
}

/* SIMD(a, sa, b, sb, o, n): an explicit vector loop over the leading elements (sa, sb: 1
 * for an array, 0 for a broadcast scalar); returns how many it did, the loop does the rest.
 * VS(a, b, o, n) may run the whole `array <op> scalar` loop itself (returns 1) or leave it
 * to the loop (returns 0): integer division by one divisor (dc_scalar.h). */
#define DC_NO_SIMD(a, sa, b, sb, o, n) 0
#define DC_NO_VS(a, b, o, n) 0

/* Vector width of the compiler-vectorized binary loops in the AVX-512 build. On the
 * Sapphire Rapids Xeon VM a bare C float32 `a + b` whose operands stream from L2 ran
 * 8-15 % faster with 256-bit vectors than with 512-bit ones (3e4: 3.0-3.3 against 3.5-3.8
 * us; 1e5: 12.4 against 14.3 us), while operands in L1 ran faster with 512 bits (4000
 * elements: 0.14 against 0.20 us) and DRAM-bound ones alike. So a call (or a threaded
 * region's block, >= 4096 elements) of DC_W256_MIN bytes an operand and up runs a copy of
 * the loop built for 256-bit vectors (not inlined: inlined into the 512-bit caller, gcc
 * dropped the width). Through dc.add(out=) on one thread, alternating processes of the
 * two builds: float32 `a + b` 3-8 % faster at 1e4-1e5, `a * 2.5` up to 5 %, float64
 * 1-3 %; equal elsewhere. */
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define DC_W256_ATTR __attribute__((noinline, target("prefer-vector-width=256")))
#define DC_W256_MIN 16384
#define DC_W256(bytes) ((bytes) >= DC_W256_MIN)
#else
#define DC_W256_ATTR
#define DC_W256(bytes) 0
#endif
/* Elements before o reaches a 64-byte boundary, for a contiguous loop of n elements of
 * `size` bytes to run its vectors on whole cache lines of the output (0: aligned already,
 * short, or o not a multiple of the size). NumPy's allocator leaves its large arrays at
 * 16 bytes past a line (malloc's mmap header), its operands usually alike: with the head
 * peeled, loads and stores all fall on whole lines. The loops align the wider side: the
 * output when its elements are at least the inputs' size, else the first array input (a
 * comparison's bool output takes an eighth of a float64 loop's bytes). On such views, one
 * thread, the Intel Xeon: float64 `a + b` at n = 3e4 7.15 us before, 6.42 after, 6.46 on
 * aligned memory; float64 `a < b` at 3e4 4.47 us against 3.47 aligned before. */
#define DC_PEEL_MIN 256
static inline ptrdiff_t dc_peel(const void *o, ptrdiff_t size, ptrdiff_t n) {
    ptrdiff_t m = (ptrdiff_t)((uintptr_t)o & 63);
    if (m == 0 || n < DC_PEEL_MIN || m % size)
        return 0;
    return (64 - m) / size;
}
/* Branch-free select of a float by a condition (0 / 1) through the bits: maximum, minimum,
 * fmax and fmin as `c ? a : b` let gcc branch on the compare in the strided loop (a
 * transposed operand), mispredicting every other element on random data (3x NumPy's time);
 * this form stays a mask in the strided loop and vectorizes in the contiguous ones. */
#define DC_SEL(NAME, T, U)                                                                \
static inline T NAME(int c, T a, T b) {                                                   \
    U ia, ib, m = -(U)c, r;                                                               \
    T f;                                                                                  \
    memcpy(&ia, &a, sizeof(T)); memcpy(&ib, &b, sizeof(T));                               \
    r = (ia & m) | (ib & ~m);                                                             \
    memcpy(&f, &r, sizeof(T));                                                            \
    return f;                                                                             \
}
DC_SEL(dc_sel_f4, float, uint32_t)
DC_SEL(dc_sel_f8, double, uint64_t)
static inline uint8_t dc_signbit_f4(float a) {
    uint32_t i; memcpy(&i, &a, sizeof(i)); return (uint8_t)(i >> 31);
}
static inline uint8_t dc_signbit_f8(double a) {
    uint64_t i; memcpy(&i, &a, sizeof(i)); return (uint8_t)(i >> 63);
}

#define DC_BINARY_LOOP(NAME, T, OUT, ELEM) DC_BINARY_LOOP_X(NAME, T, OUT, ELEM, DC_NO_SIMD, DC_NO_VS, 0)
#define DC_BINARY_LOOP_SIMD(NAME, T, OUT, ELEM, SIMD) DC_BINARY_LOOP_X(NAME, T, OUT, ELEM, SIMD, DC_NO_VS, 0)
#define DC_BINARY_LOOP_VS(NAME, T, OUT, ELEM, VS) DC_BINARY_LOOP_X(NAME, T, OUT, ELEM, DC_NO_SIMD, VS, 0)
/* The strided case in blocks: gathered into stack buffers, the contiguous loop, scattered
 * back. For float maximum/minimum/fmax/fmin: their scalar form (a compare into a bit mask,
 * dc_sel_f4) is a setcc into a partial register, a dependency from element to element in
 * the strided loop (a transposed operand: 2.2 ns an element, 3x NumPy's gathers); the
 * contiguous loop vectorizes. */
#define DC_STRIDED_BLOCK 256
#define DC_BINARY_LOOP_BLOCKED(NAME, T, OUT, ELEM) DC_BINARY_LOOP_X(NAME, T, OUT, ELEM, DC_NO_SIMD, DC_NO_VS, 1)
#define DC_BINARY_CONTIG(NAME, T, OUT, ELEM, SIMD, VS, ATTR)                              \
static ATTR void NAME##_vv(const T *DC_RESTRICT a, const T *DC_RESTRICT b,                \
                           OUT *DC_RESTRICT o, ptrdiff_t n) {                             \
    ptrdiff_t i = SIMD(a, 1, b, 1, o, n);                                                 \
    for (; i < n; i++) o[i] = (OUT)ELEM(a[i], b[i]);                                       \
}                                                                                         \
static ATTR void NAME##_vs(const T *DC_RESTRICT a, T b, OUT *DC_RESTRICT o, ptrdiff_t n) { \
    if (VS(a, b, o, n)) return;                                                           \
    ptrdiff_t i = SIMD(a, 1, &b, 0, o, n);                                                \
    for (; i < n; i++) o[i] = (OUT)ELEM(a[i], b);                                          \
}                                                                                         \
static ATTR void NAME##_sv(T a, const T *DC_RESTRICT b, OUT *DC_RESTRICT o, ptrdiff_t n) { \
    ptrdiff_t i = SIMD(&a, 0, b, 1, o, n);                                                \
    for (; i < n; i++) o[i] = (OUT)ELEM(a, b[i]);                                          \
}
#define DC_BINARY_LOOP_X(NAME, T, OUT, ELEM, SIMD, VS, BLOCKED)                           \
DC_BINARY_CONTIG(NAME, T, OUT, ELEM, SIMD, VS, )                                          \
DC_BINARY_CONTIG(NAME##_w256, T, OUT, ELEM, SIMD, VS, DC_W256_ATTR)                       \
static void NAME(const char *pa, ptrdiff_t sa, const char *pb, ptrdiff_t sb, char *po,    \
                 ptrdiff_t so, ptrdiff_t n) {                                             \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T), SO = (ptrdiff_t)sizeof(OUT);                \
    if (so == SO && ((void *)pa != (void *)po || SO == S)                                 \
                 && ((void *)pb != (void *)po || SO == S)) {                              \
        int oka = sa == 0 || (sa == S && dc_no_partial_overlap(pa, n * S, po, n * SO));   \
        int okb = sb == 0 || (sb == S && dc_no_partial_overlap(pb, n * S, po, n * SO));   \
        const int w = DC_W256(n * S);                                                      \
        const ptrdiff_t h = SO >= S ? dc_peel(po, SO, n)                                  \
                                    : dc_peel(sa == S ? pa : pb, S, n);                   \
        const T *A = (const T *)pa, *B = (const T *)pb;                                   \
        OUT *O = (OUT *)po;                                                               \
        if (oka && okb && sa == S && sb == S) {                                           \
            if (h) NAME##_vv(A, B, O, h);                                                 \
            if (w) NAME##_w256_vv(A + h, B + h, O + h, n - h);                            \
            else NAME##_vv(A + h, B + h, O + h, n - h);                                   \
            return;                                                                       \
        }                                                                                 \
        if (oka && okb && sa == S && sb == 0) {                                           \
            T bv; memcpy(&bv, pb, sizeof(T));                                             \
            if (h) NAME##_vs(A, bv, O, h);                                                \
            if (w) NAME##_w256_vs(A + h, bv, O + h, n - h);                               \
            else NAME##_vs(A + h, bv, O + h, n - h);                                      \
            return;                                                                       \
        }                                                                                 \
        if (oka && okb && sa == 0 && sb == S) {                                           \
            T av; memcpy(&av, pa, sizeof(T));                                             \
            if (h) NAME##_sv(av, B, O, h);                                                \
            if (w) NAME##_w256_sv(av, B + h, O + h, n - h);                               \
            else NAME##_sv(av, B + h, O + h, n - h);                                      \
            return;                                                                       \
        }                                                                                 \
    }                                                                                     \
    if (BLOCKED) {                                                                        \
        T ba[DC_STRIDED_BLOCK], bb[DC_STRIDED_BLOCK];                                     \
        OUT bo[DC_STRIDED_BLOCK];                                                         \
        for (ptrdiff_t s = 0; s < n; s += DC_STRIDED_BLOCK) {                             \
            const ptrdiff_t m = n - s < DC_STRIDED_BLOCK ? n - s : DC_STRIDED_BLOCK;      \
            for (ptrdiff_t i = 0; i < m; i++) {                                           \
                memcpy(&ba[i], pa + (s + i) * sa, sizeof(T));                             \
                memcpy(&bb[i], pb + (s + i) * sb, sizeof(T));                             \
            }                                                                             \
            NAME##_vv(ba, bb, bo, m);                                                     \
            for (ptrdiff_t i = 0; i < m; i++)                                             \
                memcpy(po + (s + i) * so, &bo[i], sizeof(OUT));                           \
        }                                                                                 \
        return;                                                                           \
    }                                                                                     \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T x, y; OUT r;                                                                    \
        memcpy(&x, pa + i * sa, sizeof(T)); memcpy(&y, pb + i * sb, sizeof(T));           \
        r = (OUT)ELEM(x, y); memcpy(po + i * so, &r, sizeof(OUT));                        \
    }                                                                                     \
}

/* o = ELEM3(a, b, c) over three operands of one type T (a fused pair of operations):
 * contiguous loops for every mix of arrays and broadcast scalars (stride 0), else a strided
 * loop. The output may be one of the inputs (element-wise in place) but not partially
 * overlap any. */
#define DC_T3_CASE(NAME, T, ELEM3, IA, IB, IC)                                            \
static void NAME##_##IA##IB##IC(const T *DC_RESTRICT a, const T *DC_RESTRICT b,           \
                                const T *DC_RESTRICT c, T *DC_RESTRICT o, ptrdiff_t n) {  \
    const T a0 = a[0], b0 = b[0], c0 = c[0];                                              \
    (void)a0; (void)b0; (void)c0;                                                         \
    for (ptrdiff_t i = 0; i < n; i++)                                                     \
        o[i] = ELEM3((IA ? a[i] : a0), (IB ? b[i] : b0), (IC ? c[i] : c0));               \
}
#define DC_TERNARY_LOOP(NAME, T, ELEM3)                                                   \
DC_T3_CASE(NAME, T, ELEM3, 0, 0, 0) DC_T3_CASE(NAME, T, ELEM3, 0, 0, 1)                   \
DC_T3_CASE(NAME, T, ELEM3, 0, 1, 0) DC_T3_CASE(NAME, T, ELEM3, 0, 1, 1)                   \
DC_T3_CASE(NAME, T, ELEM3, 1, 0, 0) DC_T3_CASE(NAME, T, ELEM3, 1, 0, 1)                   \
DC_T3_CASE(NAME, T, ELEM3, 1, 1, 0) DC_T3_CASE(NAME, T, ELEM3, 1, 1, 1)                   \
static void NAME(const char *pa, ptrdiff_t sa, const char *pb, ptrdiff_t sb,              \
                 const char *pc, ptrdiff_t sc, char *po, ptrdiff_t so, ptrdiff_t n) {     \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T);                                             \
    if (n <= 0) return;                                                                   \
    if (so == S && (sa == 0 || (sa == S && dc_no_partial_overlap(pa, n * S, po, n * S)))  \
                && (sb == 0 || (sb == S && dc_no_partial_overlap(pb, n * S, po, n * S)))  \
                && (sc == 0 || (sc == S && dc_no_partial_overlap(pc, n * S, po, n * S)))) { \
        const T *a = (const T *)pa, *b = (const T *)pb, *c = (const T *)pc;               \
        T *o = (T *)po;                                                                   \
        switch ((sa != 0) * 4 + (sb != 0) * 2 + (sc != 0)) {                              \
        case 0: NAME##_000(a, b, c, o, n); return;                                        \
        case 1: NAME##_001(a, b, c, o, n); return;                                        \
        case 2: NAME##_010(a, b, c, o, n); return;                                        \
        case 3: NAME##_011(a, b, c, o, n); return;                                        \
        case 4: NAME##_100(a, b, c, o, n); return;                                        \
        case 5: NAME##_101(a, b, c, o, n); return;                                        \
        case 6: NAME##_110(a, b, c, o, n); return;                                        \
        default: NAME##_111(a, b, c, o, n); return;                                       \
        }                                                                                 \
    }                                                                                     \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T x, y, z, r;                                                                     \
        memcpy(&x, pa + i * sa, sizeof(T)); memcpy(&y, pb + i * sb, sizeof(T));           \
        memcpy(&z, pc + i * sc, sizeof(T));                                               \
        r = ELEM3(x, y, z); memcpy(po + i * so, &r, sizeof(T));                           \
    }                                                                                     \
}

/* The same pair in type T whose array operands are of the narrower type TI, widened as
 * they are loaded, and whose broadcast scalars (stride 0) are of type T: float32 arrays in
 * a float64 pair (NumPy's promotion with a float64 scalar). The output must not overlap an
 * input (it is wider). */
#define DC_T3M_CASE(NAME, TI, T, ELEM3, IA, IB, IC)                                       \
static void NAME##_##IA##IB##IC(const char *pa, const char *pb, const char *pc,           \
                                T *DC_RESTRICT o, ptrdiff_t n) {                          \
    const TI *DC_RESTRICT a = (const TI *)pa, *DC_RESTRICT b = (const TI *)pb;            \
    const TI *DC_RESTRICT c = (const TI *)pc;                                             \
    T a0 = 0, b0 = 0, c0 = 0;                                                             \
    if (!IA) memcpy(&a0, pa, sizeof(T));                                                  \
    if (!IB) memcpy(&b0, pb, sizeof(T));                                                  \
    if (!IC) memcpy(&c0, pc, sizeof(T));                                                  \
    for (ptrdiff_t i = 0; i < n; i++)                                                     \
        o[i] = ELEM3((IA ? (T)a[i] : a0), (IB ? (T)b[i] : b0), (IC ? (T)c[i] : c0));      \
}
#define DC_TERNARY_MIXED_LOOP(NAME, TI, T, ELEM3)                                         \
DC_T3M_CASE(NAME, TI, T, ELEM3, 0, 0, 1) DC_T3M_CASE(NAME, TI, T, ELEM3, 0, 1, 0)         \
DC_T3M_CASE(NAME, TI, T, ELEM3, 0, 1, 1) DC_T3M_CASE(NAME, TI, T, ELEM3, 1, 0, 0)         \
DC_T3M_CASE(NAME, TI, T, ELEM3, 1, 0, 1) DC_T3M_CASE(NAME, TI, T, ELEM3, 1, 1, 0)         \
DC_T3M_CASE(NAME, TI, T, ELEM3, 1, 1, 1)                                                  \
static void NAME(const char *pa, ptrdiff_t sa, const char *pb, ptrdiff_t sb,              \
                 const char *pc, ptrdiff_t sc, char *po, ptrdiff_t so, ptrdiff_t n) {     \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T), SI = (ptrdiff_t)sizeof(TI);                 \
    if (n <= 0) return;                                                                   \
    if (so == S && (sa == 0 || sa == SI) && (sb == 0 || sb == SI) && (sc == 0 || sc == SI) \
            && (sa | sb | sc) != 0) {                                                     \
        T *o = (T *)po;                                                                   \
        switch ((sa != 0) * 4 + (sb != 0) * 2 + (sc != 0)) {                              \
        case 1: NAME##_001(pa, pb, pc, o, n); return;                                     \
        case 2: NAME##_010(pa, pb, pc, o, n); return;                                     \
        case 3: NAME##_011(pa, pb, pc, o, n); return;                                     \
        case 4: NAME##_100(pa, pb, pc, o, n); return;                                     \
        case 5: NAME##_101(pa, pb, pc, o, n); return;                                     \
        case 6: NAME##_110(pa, pb, pc, o, n); return;                                     \
        default: NAME##_111(pa, pb, pc, o, n); return;                                    \
        }                                                                                 \
    }                                                                                     \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T x, y, z, r;                                                                     \
        TI xi, yi, zi;                                                                    \
        if (sa) { memcpy(&xi, pa + i * sa, sizeof(TI)); x = (T)xi; } else memcpy(&x, pa, sizeof(T)); \
        if (sb) { memcpy(&yi, pb + i * sb, sizeof(TI)); y = (T)yi; } else memcpy(&y, pb, sizeof(T)); \
        if (sc) { memcpy(&zi, pc + i * sc, sizeof(TI)); z = (T)zi; } else memcpy(&z, pc, sizeof(T)); \
        r = ELEM3(x, y, z); memcpy(po + i * so, &r, sizeof(T));                           \
    }                                                                                     \
}

#define DC_UNARY_LOOP(NAME, T, OUT, ELEM) DC_UNARY_LOOP_ATTR(NAME, T, OUT, ELEM, )
/* The same, its contiguous loop compiled without trapping math: gcc vectorizes floor, ceil
 * and trunc (vrndscaleps, vroundps: imm bit 3 suppresses the inexact flag; invalid only
 * for a signaling NaN, as the scalar instruction) only then; with it they ran one scalar
 * round a call, 0.17-0.6x NumPy's SIMD loops on float32 and float64. */
#if defined(__GNUC__) && !defined(__clang__)
#define DC_NO_TRAPPING_ATTR __attribute__((optimize("no-trapping-math")))
#else
#define DC_NO_TRAPPING_ATTR
#endif
#define DC_UNARY_LOOP_ROUNDING(NAME, T, OUT, ELEM)                                        \
    DC_UNARY_LOOP_ATTR(NAME, T, OUT, ELEM, DC_NO_TRAPPING_ATTR)
#define DC_UNARY_LOOP_ATTR(NAME, T, OUT, ELEM, ATTR)                                      \
static ATTR void NAME##_v(const T *DC_RESTRICT a, OUT *DC_RESTRICT o, ptrdiff_t n) {      \
    for (ptrdiff_t i = 0; i < n; i++) o[i] = (OUT)ELEM(a[i]);                              \
}                                                                                         \
DC_UNARY_DRIVER(NAME, T, OUT, ELEM)
/* The same with the contiguous loop VF(a, o, n) of the caller's own. */
#define DC_UNARY_LOOP_VF(NAME, T, OUT, ELEM, VF)                                          \
static void NAME##_v(const T *DC_RESTRICT a, OUT *DC_RESTRICT o, ptrdiff_t n) {           \
    VF(a, o, n);                                                                          \
}                                                                                         \
DC_UNARY_DRIVER(NAME, T, OUT, ELEM)
#define DC_UNARY_DRIVER(NAME, T, OUT, ELEM)                                               \
static void NAME(const char *pa, ptrdiff_t sa, char *po, ptrdiff_t so, ptrdiff_t n) {     \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T), SO = (ptrdiff_t)sizeof(OUT);                \
    if (sa == S && so == SO && (((void *)pa != (void *)po) || S == SO)                    \
            && dc_no_partial_overlap(pa, n * S, po, n * SO)) {                            \
        const ptrdiff_t h = SO >= S ? dc_peel(po, SO, n) : dc_peel(pa, S, n);            \
        if (h) NAME##_v((const T *)pa, (OUT *)po, h);                                     \
        NAME##_v((const T *)pa + h, (OUT *)po + h, n - h); return;                        \
    }                                                                                     \
    if (sa == 0 && so == SO) {                                                            \
        T x; OUT r; memcpy(&x, pa, sizeof(T)); r = (OUT)ELEM(x);                          \
        for (ptrdiff_t i = 0; i < n; i++) memcpy(po + i * so, &r, sizeof(OUT));           \
        return;                                                                           \
    }                                                                                     \
    for (ptrdiff_t i = 0; i < n; i++) {                                                   \
        T x; OUT r; memcpy(&x, pa + i * sa, sizeof(T)); r = (OUT)ELEM(x);                  \
        memcpy(po + i * so, &r, sizeof(OUT));                                             \
    }                                                                                     \
}

/* Software prefetch: every 64-byte line of the span at p, DC_PF_DIST bytes ahead
 * (prefetches never fault past the end). NumPy's AVX-512 max/min loops prefetch; a bare
 * max loop at n = 1e7 float64 on the Intel Xeon with AVX-512 FP16 read 9.1-9.6 GB/s
 * without, 11.2-13.1 with 4 KiB ahead (4-16 KiB level, 32 KiB less). Measured against the
 * same kernel without, one thread: min/max and their arg forms in partials of
 * DC_PF_MIN_BYTES and up (a reduction's partials of 32768 elements or more: their total
 * is what streams from memory) 1.27-1.48x at n = 1e7, level at 1e6; float comparisons in
 * runs of DC_PF_MIN_RUN and up 1.03-1.14x at 1e7. Not the sums and dot products: level at
 * 1e7 (NumPy's pairwise sum prefetches as well). At 1e5 the A/B processes differed by up
 * to 2x with the same build, so nothing is claimed there; the comparisons' threshold stays
 * at 2 MiB, out of L2. */
#define DC_PF_DIST 4096
#define DC_PF_MIN_BYTES ((ptrdiff_t)1 << 17)
#define DC_PF_MIN_RUN ((ptrdiff_t)1 << 21)
/* Whether the loops prefetch at all: on an AMD EPYC (Zen 4) every distance lost instead
 * (max of 1e7 float64 on one thread: 32 GB/s without, 20-28 GB/s with 512 B to 8 KiB
 * ahead; 0.79x NumPy's max with 4 KiB): the hardware prefetcher alone streams faster
 * there. Set once per build at import (dc_fill_kernel_table: on for Intel CPUs, where it
 * was measured to gain, off for others); the table's `prefetch` points here so the
 * runtime can report and switch it. */
static int dc_pf_on = 0;
static inline int dc_pf_default(void) {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(DC_SCALAR)
    __builtin_cpu_init();                    /* as dc_cpu.h's feature tests */
    return __builtin_cpu_is("intel") != 0;
#else
    return 0;
#endif
}
#define DC_PREFETCH_SPAN(p, bytes)                                                        \
    for (int q_ = 0; q_ < (bytes); q_ += 64)                                              \
        __builtin_prefetch((const char *)(p) + DC_PF_DIST + q_, 0, 3)

/* float64 sqrt with AVX-512: vsqrtpd retires one element every ~1.3 ns on the Intel Xeon
 * (every width), NumPy's loop as well; this one 0.5 ns in a bare loop, 0.74 through the
 * kernel driver (n = 1e5, one thread). rsqrt14 (relative error 2^-14),
 * one Newton step for 1/sqrt(x), then y = x r and g = r/2 refined together (Goldschmidt)
 * and two corrections y + (x - y^2) g with the residual exact by FMA: Markstein's final
 * step (the IA-64 sqrt), correctly rounded -- NumPy's bits. For 2^-960 <= x < 2^1000 (the
 * residual neither underflows nor overflows); a vector with any other lane (0, negative,
 * subnormal, huge, inf, NaN) takes vsqrtpd, with its flags. 3.2e8 inputs (all exponents,
 * and squares of random values +-2 ulp) matched vsqrtpd bit for bit. */
#if defined(__AVX512F__) && !defined(DC_SCALAR)
#include <immintrin.h>
static inline __m512d dc__sqrt8_nr(__m512d x) {
    const __m512d h = _mm512_set1_pd(0.5), t = _mm512_set1_pd(1.5);
    __m512d r = _mm512_rsqrt14_pd(x);
    r = _mm512_mul_pd(r, _mm512_fnmadd_pd(_mm512_mul_pd(h, x), _mm512_mul_pd(r, r), t));
    __m512d y = _mm512_mul_pd(x, r), g = _mm512_mul_pd(h, r);
    __m512d e = _mm512_fnmadd_pd(g, y, h);                 /* 1/2 - g y */
    y = _mm512_fmadd_pd(y, e, y);
    g = _mm512_fmadd_pd(g, e, g);
    y = _mm512_fmadd_pd(_mm512_fnmadd_pd(y, y, x), g, y);
    return _mm512_fmadd_pd(_mm512_fnmadd_pd(y, y, x), g, y);
}
static inline __m512d dc__sqrt8(__m512d x) {
    const __m512i lo = _mm512_set1_epi64(0x03f0000000000000ll);        /* 2^-960 */
    const __m512i span = _mm512_set1_epi64(0x7e70000000000000ll - 0x03f0000000000000ll);
    __mmask8 ok = _mm512_cmp_epu64_mask(_mm512_sub_epi64(_mm512_castpd_si512(x), lo), span,
                                        _MM_CMPINT_LT);
    if (ok == 0xff)
        return dc__sqrt8_nr(x);
    /* +-0 and negative lanes of an in-range magnitude (data with negatives or zeros: every
     * vector had one, and vsqrtpd alone ran at 0.88-0.95x NumPy): Newton on |x|, +-0 kept,
     * and for the negative ones the default NaN with invalid, as vsqrtpd gives, from
     * inf - inf (the inf hidden from constant folding, which would drop the flag) */
    __m512i a = _mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(0x7fffffffffffffffll));
    __mmask8 zero = _mm512_testn_epi64_mask(a, a);              /* +-0: itself, no flag */
    a = _mm512_mask_mov_epi64(a, zero, _mm512_castpd_si512(_mm512_set1_pd(1.0)));
    if (_mm512_cmp_epu64_mask(_mm512_sub_epi64(a, lo), span, _MM_CMPINT_LT) == 0xff) {
        __m512d inf = _mm512_set1_pd(INFINITY);
        __asm__("" : "+v"(inf));
        __m512d r = _mm512_mask_mov_pd(dc__sqrt8_nr(_mm512_castsi512_pd(a)), zero, x);
        return _mm512_mask_sub_pd(r, (__mmask8)~(ok | zero), inf, inf);
    }
    return _mm512_sqrt_pd(x);
}
/* The divider (vsqrtpd) and the FMA ports work in parallel: a step of 24 elements sends 8
 * to vsqrtpd and 16 through the Newton sequence, 0.30 ns an element in a bare loop at
 * n = 1e5 against 0.37 for Newton alone (1:1 0.44, 1:3 0.30). */
static inline void dc_sqrt_f64_v(const double *a, double *o, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 24 <= n; i += 24) {
        _mm512_storeu_pd(o + i, _mm512_sqrt_pd(_mm512_loadu_pd(a + i)));
        _mm512_storeu_pd(o + i + 8, dc__sqrt8(_mm512_loadu_pd(a + i + 8)));
        _mm512_storeu_pd(o + i + 16, dc__sqrt8(_mm512_loadu_pd(a + i + 16)));
    }
    for (; i + 8 <= n; i += 8)
        _mm512_storeu_pd(o + i, dc__sqrt8(_mm512_loadu_pd(a + i)));
    if (i < n) {
        __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        __m512d x = _mm512_mask_loadu_pd(_mm512_set1_pd(1.0), m, a + i);
        _mm512_mask_storeu_pd(o + i, m, dc__sqrt8(x));
    }
}
#define DC_HAVE_SQRT_F64_V 1

/* float32 sqrt the same way (vsqrtps: 0.33 ns an element in a bare loop at n = 1e5 on the
 * Intel Xeon, this one 0.19): rsqrt14, y = x r and g = r/2 refined together by one
 * Goldschmidt step, then one Markstein correction y + (x - y^2) g with the residual exact
 * by FMA. Correctly rounded -- NumPy's bits -- on every float32 of the range, checked
 * exhaustively against vsqrtps (tools/check_sqrt_f32.py; the check rests on this CPU's
 * rsqrt14, whose results Intel specifies bit for bit: run it on another vendor's CPU).
 * For 2^-64 <= x < 2^126 (the residual neither underflows nor overflows); a vector with
 * any other lane (0, negative, subnormal, huge, inf, NaN) takes vsqrtps, with its flags. */
static inline __m512 dc__sqrt16_nr(__m512 x) {
    const __m512 h = _mm512_set1_ps(0.5f);
    __m512 r = _mm512_rsqrt14_ps(x);
    __m512 y = _mm512_mul_ps(x, r), g = _mm512_mul_ps(h, r);
    __m512 e = _mm512_fnmadd_ps(g, y, h);                  /* 1/2 - g y */
    y = _mm512_fmadd_ps(y, e, y);
    g = _mm512_fmadd_ps(g, e, g);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(y, y, x), g, y);
}
static inline __m512 dc__sqrt16(__m512 x) {
    const __m512i lo = _mm512_set1_epi32(0x1f800000);                   /* 2^-64 */
    const __m512i span = _mm512_set1_epi32(0x7e800000 - 0x1f800000);    /* to 2^126 */
    __mmask16 ok = _mm512_cmp_epu32_mask(_mm512_sub_epi32(_mm512_castps_si512(x), lo), span,
                                         _MM_CMPINT_LT);
    if (ok == 0xffff)
        return dc__sqrt16_nr(x);
    /* +-0 and negative lanes of an in-range magnitude: as float64's */
    __m512i a = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff));
    __mmask16 zero = _mm512_testn_epi32_mask(a, a);
    a = _mm512_mask_mov_epi32(a, zero, _mm512_castps_si512(_mm512_set1_ps(1.0f)));
    if (_mm512_cmp_epu32_mask(_mm512_sub_epi32(a, lo), span, _MM_CMPINT_LT) == 0xffff) {
        __m512 inf = _mm512_set1_ps(INFINITY);
        __asm__("" : "+v"(inf));
        __m512 r = _mm512_mask_mov_ps(dc__sqrt16_nr(_mm512_castsi512_ps(a)), zero, x);
        return _mm512_mask_sub_ps(r, (__mmask16)~(ok | zero), inf, inf);
    }
    return _mm512_sqrt_ps(x);
}
/* As for float64, the divider and the FMA ports in parallel: a step of 32 elements sends
 * 16 to vsqrtps and 16 through Newton, 0.11 ns an element in a bare loop at n = 1e5
 * against 0.14-0.16 for Newton alone. */
static inline void dc_sqrt_f32_v(const float *a, float *o, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm512_storeu_ps(o + i, _mm512_sqrt_ps(_mm512_loadu_ps(a + i)));
        _mm512_storeu_ps(o + i + 16, dc__sqrt16(_mm512_loadu_ps(a + i + 16)));
    }
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(o + i, dc__sqrt16(_mm512_loadu_ps(a + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 x = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), m, a + i);
        _mm512_mask_storeu_ps(o + i, m, dc__sqrt16(x));
    }
}
#define DC_HAVE_SQRT_F32_V 1
#endif

/* Float comparisons into bool with AVX2: 32 results a step, the masks narrowed by packs
 * (each followed by the lane fix-up permute). gcc's own vectorization of
 * `o[i] = a[i] < b[i]` for double shuffles more and ran 10-13 % behind NumPy's loop at
 * n = 1e5..1e6 on the AMD EPYC machine; this one runs level with it. The predicates are
 * the quiet ones with NumPy's NaN results (false, `!=` true). */
#if defined(__AVX512BW__) && defined(__AVX512DQ__)
/* AVX-512: 64 results a step, the comparison masks joined into one 64-bit mask that selects
 * bytes of 1 (NumPy's AVX-512 loop does the same); the AVX2 packing below ran 10-12 %
 * behind NumPy's loop at n = 1e5 on the Intel Xeon. */
#include <immintrin.h>
#define DC_CMP512_KERNEL(SUF, T, VT, W, LOADU, SET1, CMP)                                 \
static inline __attribute__((always_inline)) ptrdiff_t                                    \
dc_cmp_##SUF(const T *a, ptrdiff_t sa, const T *b, ptrdiff_t sb, uint8_t *o, ptrdiff_t n, \
             const int pred) {                                                            \
    const __m512i one = _mm512_set1_epi8(1);                                              \
    ptrdiff_t i = 0;                                                                      \
    int k;                                                                                \
    /* long runs: each input's next lines prefetched (DC_PREFETCH_SPAN; `<` of 1e7       \
     * float64 at one thread ran 0.94x NumPy's loop without); the loop-invariant test is  \
     * unswitched out of the loop */                                                      \
    const int pf = dc_pf_on && n * (ptrdiff_t)sizeof(T) >= DC_PF_MIN_RUN;                \
    for (; i + 64 <= n; i += 64) {                                                        \
        uint64_t m = 0;                                                                   \
        if (pf)                                                                           \
            for (k = 0; k < 64 * (int)sizeof(T); k += 64) {                               \
                if (sa) __builtin_prefetch((const char *)(a + i) + DC_PF_DIST + k, 0, 3); \
                if (sb) __builtin_prefetch((const char *)(b + i) + DC_PF_DIST + k, 0, 3); \
            }                                                                             \
        for (k = 0; k < 64 / W; k++) {                                                    \
            VT x = sa ? LOADU(a + i + W * k) : SET1(a[0]);                                \
            VT y = sb ? LOADU(b + i + W * k) : SET1(b[0]);                                \
            m |= (uint64_t)CMP(x, y, pred) << (W * k);                                    \
        }                                                                                 \
        _mm512_storeu_si512((void *)(o + i), _mm512_maskz_mov_epi8((__mmask64)m, one));   \
    }                                                                                     \
    return i;                                                                             \
}
DC_CMP512_KERNEL(f8, double, __m512d, 8, _mm512_loadu_pd, _mm512_set1_pd, _mm512_cmp_pd_mask)
DC_CMP512_KERNEL(f4, float, __m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_cmp_ps_mask)
#define DC_CMP_AVX512 1
#endif

#if defined(__AVX2__)
#include <immintrin.h>
#define DC_PK32(x, y) _mm256_permute4x64_epi64(_mm256_packs_epi32(x, y), 0xD8)
#define DC_PK16(x, y) _mm256_permute4x64_epi64(_mm256_packs_epi16(x, y), 0xD8)
/* NV vectors of W elements (32 in all) compared, then narrowed to 32 bytes by NARROW(m). */
#define DC_CMP_KERNEL(SUF, T, VT, W, NV, LOADU, SET1, CMP, CASTI, NARROW)                  \
static inline __attribute__((always_inline)) ptrdiff_t                                    \
dc_cmp_##SUF(const T *a, ptrdiff_t sa, const T *b, ptrdiff_t sb, uint8_t *o, ptrdiff_t n, \
             const int pred) {                                                            \
    const __m256i one = _mm256_set1_epi8(1);                                              \
    ptrdiff_t i = 0;                                                                      \
    int k;                                                                                \
    for (; i + 32 <= n; i += 32) {                                                        \
        __m256i m[NV];                                                                    \
        for (k = 0; k < NV; k++) {                                                        \
            VT x = sa ? LOADU(a + i + W * k) : SET1(a[0]);                                \
            VT y = sb ? LOADU(b + i + W * k) : SET1(b[0]);                                \
            m[k] = CASTI(CMP(x, y, pred));                                                \
        }                                                                                 \
        _mm256_storeu_si256((__m256i *)(o + i), _mm256_and_si256(NARROW(m), one));        \
    }                                                                                     \
    return i;                                                                             \
}
#define DC_NARROW_8(m) DC_PK16(DC_PK32(DC_PK32(m[0], m[1]), DC_PK32(m[2], m[3])),         \
                               DC_PK32(DC_PK32(m[4], m[5]), DC_PK32(m[6], m[7])))
#define DC_NARROW_4(m) DC_PK16(DC_PK32(m[0], m[1]), DC_PK32(m[2], m[3]))
#if !defined(DC_CMP_AVX512)
DC_CMP_KERNEL(f8, double, __m256d, 4, 8, _mm256_loadu_pd, _mm256_set1_pd, _mm256_cmp_pd,
              _mm256_castpd_si256, DC_NARROW_8)
DC_CMP_KERNEL(f4, float, __m256, 8, 4, _mm256_loadu_ps, _mm256_set1_ps, _mm256_cmp_ps,
              _mm256_castps_si256, DC_NARROW_4)
#endif
#define DC_CMP_PRED_equal _CMP_EQ_OQ
#define DC_CMP_PRED_not_equal _CMP_NEQ_UQ
#define DC_CMP_PRED_less _CMP_LT_OQ
#define DC_CMP_PRED_less_equal _CMP_LE_OQ
#define DC_CMP_PRED_greater _CMP_GT_OQ
#define DC_CMP_PRED_greater_equal _CMP_GE_OQ
#define DC_SIMD_CMP(T, OP) DC_SIMD_CMP_##T##_##OP
#define DC_CMP_FN(T, OP)                                                                  \
    static inline ptrdiff_t DC_SIMD_CMP_##T##_##OP(const void *a, ptrdiff_t sa,           \
                                                  const void *b, ptrdiff_t sb, void *o,   \
                                                  ptrdiff_t n) {                          \
        return dc_cmp_##T((const void *)a, sa, (const void *)b, sb, (uint8_t *)o, n,     \
                          DC_CMP_PRED_##OP);                                              \
    }
#else
#define DC_SIMD_CMP(T, OP) DC_NO_SIMD
#define DC_CMP_FN(T, OP)
#endif

/* Non-temporal copy of nbytes (a multiple of 16) to a 16-byte aligned dst: the result of a
 * call larger than the last-level cache is written around the caches (no read for
 * ownership of each line, the inputs stay cached). The drivers compute a block into an L1
 * buffer, then stream it out; dc_stream_fence() orders the stores before the result is
 * used. The scalar build and non-x86 targets copy plainly (DC_HAVE_STREAM 0). */
#if defined(__SSE2__) && !defined(DC_SCALAR)
#include <immintrin.h>
#define DC_HAVE_STREAM 1
static inline void dc_stream_copy(char *dst, const char *src, ptrdiff_t nbytes) {
    ptrdiff_t i = 0;
#if defined(__AVX__)
    if (((uintptr_t)dst & 31) == 0)     /* 32-byte stores where the block allows them */
        for (; i + 32 <= nbytes; i += 32)
            _mm256_stream_si256((__m256i *)(void *)(dst + i),
                                _mm256_loadu_si256((const __m256i *)(const void *)(src + i)));
#endif
    for (; i < nbytes; i += 16)
        _mm_stream_si128((__m128i *)(void *)(dst + i),
                         _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
}
static inline void dc_stream_fence(void) { _mm_sfence(); }
#else
#define DC_HAVE_STREAM 0
static inline void dc_stream_copy(char *dst, const char *src, ptrdiff_t nbytes) {
    memcpy(dst, src, (size_t)nbytes);
}
static inline void dc_stream_fence(void) {}
#endif

/* Unary loop over an array function VFN(const T *x, T *y, n, sa, so) of dc_vmath.h:
 * contiguous runs call it directly; other layouts go through a cache-sized stack buffer
 * (sa and so: the operands' own strides, for its pass-2 hook). */
#define DC_BLOCK 512
#define DC_UNARY_VLOOP(NAME, T, VFN)                                                      \
static void NAME(const char *pa, ptrdiff_t sa, char *po, ptrdiff_t so, ptrdiff_t n) {     \
    const ptrdiff_t S = (ptrdiff_t)sizeof(T);                                             \
    T buf[DC_BLOCK];                                                                      \
    if (sa == S && so == S && dc_no_partial_overlap(pa, n * S, po, n * S)) {              \
        VFN((const T *)pa, (T *)po, n, S, S); return;                                     \
    }                                                                                     \
    for (ptrdiff_t i0 = 0; i0 < n; i0 += DC_BLOCK) {                                      \
        ptrdiff_t m = n - i0 < DC_BLOCK ? n - i0 : DC_BLOCK;                              \
        for (ptrdiff_t i = 0; i < m; i++) memcpy(&buf[i], pa + (i0 + i) * sa, sizeof(T)); \
        VFN(buf, buf, m, sa, so);                                                         \
        for (ptrdiff_t i = 0; i < m; i++) memcpy(po + (i0 + i) * so, &buf[i], sizeof(T)); \
    }                                                                                     \
}

#endif
