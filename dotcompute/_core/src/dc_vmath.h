/*
 * dc_vmath.h -- branch-free, auto-vectorizable transcendental functions for
 * dotcompute (plain C99, no intrinsics; only <math.h> <stdint.h> <string.h>
 * <stddef.h> and dc_fpe.h for the floating-point status flags; the one
 * exception: with AVX-512, <immintrin.h> block functions for exp and f32 tanh,
 * see "explicit AVX-512 kernels").
 *
 * Public API (T = f32 -> float, f64 -> double):
 *   static inline void dc_v<name>_<T>(const T *x, T *y, ptrdiff_t n,
 *                                      ptrdiff_t sx, ptrdiff_t sy);
 *     name in exp exp2 expm1 log log2 log10 log1p sin cos tan arcsin arccos
 *             arctan sinh cosh tanh arcsinh arccosh arctanh cbrt
 * x and y may be the same buffer (in place); n may be 0.
 *
 * Structure.  Every array function walks the input in blocks of DC_VM_BLK
 * elements, read in place (in-place operation, y == x, copies the block to a
 * local buffer first, so that the fixup pass sees the ORIGINAL input), then
 *   pass 1: y[i] = elem(x[i])  -- branch-free element function that gcc
 *           auto-vectorizes (bit manipulation via memcpy into uint64_t,
 *           selects via bit masks, int<->double conversions via the
 *           1.5*2^52 "magic number" trick so no cvt(t)pd2qq is needed);
 *           the same loop ORs the FX masks (below) of the block's lanes;
 *   pass 2: for the rare lanes the fast path does not handle, and every
 *           lane for which NumPy reports a floating-point error (the FX
 *           masks at "floating-point flags") y[i] = <C library scalar
 *           function>(x[i]).
 * Throughput: the polynomials run by Estrin's scheme and the reductions by
 * FMA (where the build has it): with Horner's 8-10 dependent FMAs per lane
 * the chain's latency, not the FMA units, bounded the loop.
 * The flags pass 1 raises are dropped, so the flags left are pass 2's: those
 * NumPy's own loops raise (see "floating-point flags").
 * f32 functions evaluate the f64 element kernels in double precision and
 * round once to float (the f64 kernels are accurate to ~1-2 ulp of double,
 * so the f32 results are within ~0.5 ulp of float + double rounding), except
 * exp, log, sin, cos and tanh, which have float-arithmetic kernels (twice the
 * lanes) for the blocks whose inputs they cover (see each).
 *
 * Methods (f64 kernels; polynomial coefficients are our own weighted
 * least-squares fits on Chebyshev nodes, see tools/fit_vmath_poly.py):
 *   exp     Cody-Waite x = k ln2 + r (ln2 split hi/lo), |r| <= ln2/2,
 *           exp(r) = 1 + r + r^2 Q(r) (deg 9; the array exp: Estrin), scale 2^k as two exact
 *           power-of-two multiplies (gives correct overflow and gradual
 *           underflow without fixup) -- used inside sinh/cosh.
 *           The array exp uses a single 2^k scale.
 *   exp2    k = rint(x), r = x-k exact, exp(r*ln2) via exp kernel.
 *   expm1   as exp with r = hi - lo plus correction term c,
 *           expm1 = 2^k (p + (1 - 2^-k)), p = expm1(r).
 *   log     x = 2^k m, m in [sqrt2/2, sqrt2), f = m-1, s = f/(2+f),
 *           log(1+f) = f - hf^2/2 + s (hf^2/2 + z L(z)), z = s^2 (deg 7);
 *           (array log: positive normal finite x; the rest is pass 2).
 *   log2/log10  same kernel, k*const split hi/lo.
 *   log1p   u = 1+x (Fast2Sum error e), log(u) + e/u.
 *   sin/cos  x = j pi + r (cos: x = (2j+1) pi/2 + r), pi/2 split in 4
 *           parts (33+33+33+53 bits; exact products for |j| < 2^20),
 *           sin(r) = r + r z S(z), deg 7, on |r| <= pi/2 and the sign of
 *           (-1)^j: one polynomial per lane.  (|x| > 2^20, inf, nan: pass 2)
 *   tan     x = j pi/2 + r, minimax S(z) deg 7 / C(z) deg 6 on |r| <= pi/4,
 *           tan = s/c or -c/s.
 *   arctan  fdlibm-style 5 interval argument reduction with atan(c) hi/lo
 *           table selected branch-free, atan(u) = u + u^3 P(u^2) (deg 11).
 *   arcsin/arccos  |x| <= 1/2: u + u^3 P(u^2) (deg 14); else
 *           pi/2 - 2 asin(sqrt((1-|x|)/2)) (resp. 2 asin(..), pi - 2 asin(..)).
 *   sinh/cosh  via the expm1/exp kernels; large |x| uses exp(|x|)/2
 *           computed with the scaling built into the exp kernel (no
 *           premature overflow).
 *   tanh    t/(t+2), t = expm1(2|x|) = 2^k expm1(r) + (2^k - 1) for |x| < 22.
 *   arcsinh/arccosh/arctanh  fdlibm-style formulas over log1p/log kernels.
 *           (pass 2: asinh non-finite, 0; acosh x < 1, non-finite;
 *           atanh |x| >= 1, nan)
 *   cbrt    exponent / 3 in double arithmetic, cubic initial guess on
 *           [1/2, 4), two Halley steps in correction form.  (0, inf, nan: pass 2)
 *
 * Measured max ULP (tools/check_vmath.py, against long double / correctly
 * rounded references on dense grids incl. hard cases; worst over the 4
 * builds x86-64, x86-64 scalar, x86-64-v3, x86-64-v4):
 *   see DC_VMATH_ULP_TABLE below.
 *
 * DC_VMATH_ULP_TABLE (max ULP, worst of the 4 builds; f32 evaluated in double):
 *   function   f64    f32
 *   exp        1.03   0.98 (float path, |x| <= 87, every float32; else 0.50)
 *   exp2       1.10   0.50
 *   expm1      1.62   0.50
 *   log        1.17   0.97 (float path, normal x; else 0.50)
 *   log2       1.78   0.50
 *   log10      1.82   0.50
 *   log1p      1.44   0.50
 *   sin        2.57   2.16 (float path, |x| <= 128; avx512 128 < |x| <= 2^20: 2.05
 *                           against sin in double over 1e5 inputs; else 0.50)
 *   cos        2.63   2.09 (float path, |x| <= 128; avx512 as sin; else 0.50)
 *   tan        3.35   0.50
 *   arcsin     2.12   0.50
 *   arccos     1.12   0.50
 *   arctan     0.75   0.50
 *   sinh       1.65   0.50
 *   cosh       1.40   0.50
 *   tanh       2.14   1.34 (float path, every float32 |x| <= 11: 1.3303 for the
 *                           element kernel, which the grid had at 1.22; 1.3326 for the
 *                           AVX-512 block's rcp14 quotient)
 *   arcsinh    1.95   0.50
 *   arccosh    2.31   0.50
 *   arctanh    1.76   0.50
 *   cbrt       0.94   0.50
 *
 * Vectorized (xmm on x86-64, ymm on x86-64-v3, zmm on x86-64-v4, checked
 * from the disassembly by tools/check_vmath.py): every function.
 *
 * Selects are built as 64-bit bit masks from integer arithmetic on the bit
 * patterns (DC__ALT/DC__AGT/...): gcc 12 jump-threads plain ternaries with
 * constant arms into control flow (not if-convertible under the default
 * -ftrapping-math) and cannot widen a V2DF compare to 64-bit ints on SSE2.
 */
#ifndef DC_VMATH_H
#define DC_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>
#include "dc_fpe.h"

#ifndef DC_VM_BLK
#define DC_VM_BLK 256
#endif

#ifdef __FMA__
#define DC_FMA(a, b, c) __builtin_fma((a), (b), (c))
#define DC_FMAF(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define DC_FMA(a, b, c) ((a) * (b) + (c))
#define DC_FMAF(a, b, c) ((a) * (b) + (c))
#endif

static inline uint64_t dc__u64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double dc__f64(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

#define DC__MAGIC 0x1.8p52
#define DC__MAGIC_BITS 0x4338000000000000ULL
#define DC__SIGN 0x8000000000000000ULL
#define DC__ABSMASK 0x7fffffffffffffffULL

static inline double dc__fabs(double x) { return dc__f64(dc__u64(x) & DC__ABSMASK); }
/* |r| with the sign bit of s OR-ed in (r must be >= +0 or nan) */
static inline double dc__orsign(double r, double s)
{ return dc__f64(dc__u64(r) | (dc__u64(s) & DC__SIGN)); }
/* 2^k for integer k in [-1022, 1023] given as uint64 two's complement */
static inline double dc__pow2i(uint64_t k) { return dc__f64((k + 1023u) << 52); }
/* branch-free select c ? a : b via a bit mask (plain ternaries with constant
   arms get jump-threaded by gcc into real control flow, which together with
   -ftrapping-math blocks if-conversion and hence vectorization) */
static inline double dc__selm(uint64_t m, double a, double b)
{
    return dc__f64((dc__u64(a) & m) | (dc__u64(b) & ~m));
}
#define dc__sel dc__selm
/* Masks (all ones / all zeros) built with 64-bit integer add/sub/shift only:
   SSE2 has no 64-bit compares and gcc 12 cannot turn a V2DF compare into a
   64-bit integer 0/1 on SSE2, so compares are done on the bit patterns.
   For a, b < 2^63: a < b  <=>  sign bit of (a - b). */
static inline uint64_t dc__mlt(uint64_t a, uint64_t b) { return (uint64_t)0 - ((a - b) >> 63); }
static inline uint64_t dc__ab(double x) { return dc__u64(x) & DC__ABSMASK; }
#define DC__INFBITS 0x7ff0000000000000ULL
#define DC__ALT(x, c) dc__mlt(dc__ab(x), dc__u64(c))   /* |x| <  c (nan: no)  */
#define DC__AGT(x, c) dc__mlt(dc__u64(c), dc__ab(x))   /* |x| >  c (nan: yes) */
#define DC__ALE(x, c) (~DC__AGT(x, c))                 /* |x| <= c (nan: no)  */
#define DC__AGE(x, c) (~DC__ALT(x, c))                 /* |x| >= c (nan: yes) */
#define DC__AEQ(x, c) (~DC__ALT(x, c) & ~DC__AGT(x, c)) /* |x| == c          */
#define DC__NEG(x) ((uint64_t)0 - (dc__u64(x) >> 63))  /* sign bit set       */
#define DC__ISNAN(x) DC__AGT(x, INFINITY)
#define DC__ISZERO(x) dc__mlt(dc__ab(x), 1u)
#define DC__ISPINF(x) (~DC__NEG(x) & DC__AEQ(x, INFINITY))
/* select by the low bit of q (SSE2-friendly: no 64-bit integer compare) */
static inline double dc__selbit(uint64_t q, double a1, double a0)
{
    uint64_t m = 0u - (q & 1u);
    return dc__f64((dc__u64(a1) & m) | (dc__u64(a0) & ~m));
}

/* ---------------- constants ---------------- */
#define DC__LN2HI 0x1.62e42fee00000p-1
#define DC__LN2LO 0x1.a39ef35793c76p-33
#define DC__LN2   0x1.62e42fefa39efp-1
#define DC__LOG2E 0x1.71547652b82fep+0
#define DC__PIO2HI 0x1.921fb54442d18p+0
#define DC__PIO2LO 0x1.1a62633145c07p-54
#define DC__PIHI 0x1.921fb54442d18p+1
#define DC__PILO 0x1.1a62633145c07p-53

/* ================= exp family ================= */
/* exp(r)-1-r = r^2 Q(r), |r| <= ln2/2 */
static inline double dc__expq(double r)
{
    double q = 0x1.ae95c07521e7fp-26;
    q = DC_FMA(q, r, 0x1.2891613cdbab7p-22);
    q = DC_FMA(q, r, 0x1.71de65b5afd60p-19);
    q = DC_FMA(q, r, 0x1.a019b92fe472ep-16);
    q = DC_FMA(q, r, 0x1.a01a01880f8cfp-13);
    q = DC_FMA(q, r, 0x1.6c16c178816c5p-10);
    q = DC_FMA(q, r, 0x1.1111111114d5ap-7);
    q = DC_FMA(q, r, 0x1.5555555553d83p-5);
    q = DC_FMA(q, r, 0x1.555555555554cp-3);
    q = DC_FMA(q, r, 0x1.0000000000001p-1);
    return q;
}

/* p * 2^(k) with k = n (uint64 two's complement, |n| <= ~1100) as two exact
   multiplications: correct overflow and a single rounding into subnormals */
static inline double dc__scale2(double p, uint64_t n)
{
    uint64_t n1 = ((n + 2048u) >> 1) - 1024u;
    uint64_t n2 = n - n1;
    return (p * dc__pow2i(n1)) * dc__pow2i(n2);
}

/* exp(x) * 2^adj, any x (nan propagates, saturates for large |x|) */
static inline double dc__exp_k(double x, uint64_t adj)
{
    double xc = dc__sel(~DC__NEG(x) & DC__AGT(x, 712.0), 712.0, x);
    xc = dc__sel(DC__NEG(xc) & DC__AGT(xc, 746.0), -746.0, xc);
    double kd = xc * DC__LOG2E + DC__MAGIC;
    uint64_t k = dc__u64(kd) - DC__MAGIC_BITS;
    kd -= DC__MAGIC;
    double r = (xc - kd * DC__LN2HI) - kd * DC__LN2LO;
    double p = 1.0 + (r + (r * r) * dc__expq(r));
    return dc__sel(DC__ISNAN(x), x, dc__scale2(p, k + adj));
}

/* Q(r) of dc__expq by Estrin's scheme (the same coefficients): a shorter dependency chain
   than Horner's (4 FMA levels instead of 10), for the array exp, whose throughput the
   chain's latency bounds */
static inline double dc__expq_estrin(double r, double r2)
{
    double r4 = r2 * r2;
    double a0 = DC_FMA(0x1.555555555554cp-3, r, 0x1.0000000000001p-1);
    double a1 = DC_FMA(0x1.1111111114d5ap-7, r, 0x1.5555555553d83p-5);
    double a2 = DC_FMA(0x1.a01a01880f8cfp-13, r, 0x1.6c16c178816c5p-10);
    double a3 = DC_FMA(0x1.71de65b5afd60p-19, r, 0x1.a019b92fe472ep-16);
    double a4 = DC_FMA(0x1.ae95c07521e7fp-26, r, 0x1.2891613cdbab7p-22);
    double b0 = DC_FMA(a1, r2, a0);
    double b1 = DC_FMA(a3, r2, a2);
    double b2 = DC_FMA(a4, r4, b1);
    return DC_FMA(b2, r4, b0);
}

/* array fast path: |x| <= 708 (result normal, single 2^k scale); other
   lanes (overflow/subnormal region, inf, nan) are pass-2 lanes (libm exp).
   kd * LN2HI is exact: the reduction's FMAs round as the separate steps do. */
/* x = k ln2 + r (|x| <= ~710): expm1(r) = r + r^2 Q(r), and k */
static inline double dc__expm1_red(double x, uint64_t *k)
{
    double kd = DC_FMA(x, DC__LOG2E, DC__MAGIC);
    *k = dc__u64(kd) - DC__MAGIC_BITS;
    kd -= DC__MAGIC;
    double r = DC_FMA(kd, -DC__LN2HI, x);
    r = DC_FMA(kd, -DC__LN2LO, r);
    double r2 = r * r;
    return DC_FMA(r2, dc__expq_estrin(r, r2), r);
}

static inline double dc__exp_f64e(double x)
{
    uint64_t k;
    double p = 1.0 + dc__expm1_red(x, &k);
    return p * dc__pow2i(k);
}

static inline double dc__exp2_f64e(double x)
{
    double xc = dc__sel(~DC__NEG(x) & DC__AGT(x, 1030.0), 1030.0, x);
    xc = dc__sel(DC__NEG(xc) & DC__AGT(xc, 1080.0), -1080.0, xc);
    double kd = xc + DC__MAGIC;
    uint64_t k = dc__u64(kd) - DC__MAGIC_BITS;
    kd -= DC__MAGIC;
    double t = xc - kd; /* exact, |t| <= 1/2 */
    double r = t * DC__LN2HI + t * DC__LN2LO;
    double p = 1.0 + (r + (r * r) * dc__expq(r));
    return dc__sel(DC__ISNAN(x), x, dc__scale2(p, k));
}

static inline double dc__expm1_f64e(double x)
{
    double xc = dc__sel(~DC__NEG(x) & DC__AGT(x, 712.0), 712.0, x);
    xc = dc__sel(DC__NEG(xc) & DC__AGT(xc, 50.0), -50.0, xc);
    double kd = xc * DC__LOG2E + DC__MAGIC;
    uint64_t k = dc__u64(kd) - DC__MAGIC_BITS;
    kd -= DC__MAGIC;
    double hi = xc - kd * DC__LN2HI;
    double lo = kd * DC__LN2LO;
    double r = hi - lo;
    double c = (hi - r) - lo;
    double p = r + (c + (r * r) * dc__expq(r)); /* expm1(r + c) */
    /* 1 - 2^-k, with k limited to 100 (beyond that 1 - 2^-k == 1) */
    double kk = 0.5 * ((kd + 100.0) - dc__fabs(kd - 100.0)); /* min(kd,100), exact */
    uint64_t kki = dc__u64(kk + DC__MAGIC) - DC__MAGIC_BITS;
    double om = 1.0 - dc__pow2i(0u - kki);
    double y = dc__scale2(p + om, k);
    y = dc__sel(DC__ISNAN(x), x, y);
    return dc__sel(DC__ISZERO(x), x, y);
}

/* ================= log family ================= */
/* x positive normal finite: x = 2^k (1+f); returns k (as double) and f, and
   lm = log(1+f) */
static inline double dc__log_parts(double x, double *kdo)
{
    uint64_t iy = dc__u64(x) - 0x3fe6a09e667f3bcdULL;
    uint64_t k = ((iy + DC__SIGN) >> 52) - 2048u;
    *kdo = dc__f64(DC__MAGIC_BITS + k) - DC__MAGIC;
    double m = dc__f64((iy & 0x000fffffffffffffULL) + 0x3fe6a09e667f3bcdULL);
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double z2 = z * z;                       /* L(z) by Estrin's scheme */
    double z4 = z2 * z2;
    double a0 = DC_FMA(0x1.9999999999a37p-2, z, 0x1.5555555555555p-1);
    double a1 = DC_FMA(0x1.c71c720152441p-3, z, 0x1.2492492476d18p-2);
    double a2 = DC_FMA(0x1.3b1c34f61694ap-3, z, 0x1.745cf906db5f1p-3);
    double a3 = DC_FMA(0x1.0c0359023cf4cp-3, z, 0x1.0fbe9e27e4261p-3);
    double L = DC_FMA(DC_FMA(a3, z2, a2), z4, DC_FMA(a1, z2, a0));
    double R = z * L;
    double hfsq = 0.5 * f * f;
    return f - (hfsq - s * (hfsq + R));
}

/* log(x) for x positive normal finite */
static inline double dc__log_core(double x)
{
    double kd;
    double lm = dc__log_parts(x, &kd);
    return kd * DC__LN2HI + (lm + kd * DC__LN2LO);
}

/* handles subnormals; returns log value for x > 0 finite */
#define DC__LOG_PRESCALE(x, xs, kadj) \
    uint64_t dc__sub = DC__ALT(x, 0x1p-1022); \
    double xs = dc__sel(dc__sub, (x) * 0x1p52, (x)); \
    double kadj = dc__sel(dc__sub, -52.0, 0.0)

static inline double dc__log_special(double x, double y)
{
    y = dc__sel(DC__NEG(x), NAN, y);
    y = dc__sel(DC__ISZERO(x), -INFINITY, y);
    y = dc__sel(DC__ISPINF(x), x, y);
    y = dc__sel(DC__ISNAN(x), x, y);
    return y;
}

/* array fast path: positive normal finite x; other lanes (<= 0,
   subnormal, inf, nan) are pass-2 lanes (libm log) */
static inline double dc__log_f64e(double x) { return dc__log_core(x); }

static inline double dc__log2_f64e(double x)
{
    DC__LOG_PRESCALE(x, xs, kadj);
    double kd;
    double lm = dc__log_parts(xs, &kd);
    kd += kadj;
    double y = kd + (lm * 0x1.7154765200000p+0 + lm * 0x1.705fc2eefa200p-33);
    return dc__log_special(x, y);
}

static inline double dc__log10_f64e(double x)
{
    DC__LOG_PRESCALE(x, xs, kadj);
    double kd;
    double lm = dc__log_parts(xs, &kd);
    kd += kadj;
    double y = kd * 0x1.3441350800000p-2 +
               (kd * 0x1.f79fef311f12bp-34 +
                (lm * 0x1.bcb7b15200000p-2 + lm * 0x1.b9438ca9aadd5p-36));
    return dc__log_special(x, y);
}

/* log(u + e) for u positive normal finite, |e| << u */
static inline double dc__log_corr(double u, double e)
{
    return dc__log_core(u) + e / u;
}

/* log1p(x) for x > -1 finite (no sign-of-zero handling) */
static inline double dc__log1p_core(double x)
{
    double u = 1.0 + x;
    double e = dc__sel(DC__ALE(x, 1.0), x - (u - 1.0), 1.0 - (u - x));
    return dc__log_corr(u, e);
}

static inline double dc__log1p_f64e(double x)
{
    double xc = dc__sel(DC__NEG(x) & DC__AGT(x, 1.0), 0.0, x);
    double y = dc__log1p_core(xc);
    y = dc__sel(DC__NEG(x) & DC__AEQ(x, 1.0), -INFINITY, y);
    y = dc__sel(DC__NEG(x) & DC__AGT(x, 1.0), NAN, y);
    y = dc__sel(DC__ISPINF(x), x, y);
    y = dc__sel(DC__ISNAN(x), x, y);
    y = dc__sel(DC__ISZERO(x), x, y);
    return y;
}

/* ================= trigonometric ================= */
#define DC__P1 0x1.921fb54400000p+0
#define DC__P2 0x1.0b4611a600000p-34
#define DC__P3 0x1.3198a2e000000p-69
#define DC__P4 0x1.b839a252049c1p-104
#define DC__TRIG_LIMIT 0x1p20

/* tan: x = j pi/2 + r, |r| <= ~pi/4; valid (accurate) for |x| <= 2^20; S and C by Horner
   (tan divides one by the other: Estrin's rounding took its error to 3.8 ulp) */
static inline double dc__trig_red(double x, uint64_t *q)
{
    double jd = x * 0x1.45f306dc9c883p-1 + DC__MAGIC;
    *q = dc__u64(jd);
    jd -= DC__MAGIC;
    return (((x - jd * DC__P1) - jd * DC__P2) - jd * DC__P3) - jd * DC__P4;
}

static inline double dc__sin_poly(double r, double z)
{
    double S = 0x1.9241e33572e3cp-49;
    S = DC_FMA(S, z, -0x1.ae7c51fd61e12p-41);
    S = DC_FMA(S, z, 0x1.61245fb382e2dp-33);
    S = DC_FMA(S, z, -0x1.ae64567e71debp-26);
    S = DC_FMA(S, z, 0x1.71de3a556c2c0p-19);
    S = DC_FMA(S, z, -0x1.a01a01a01a019p-13);
    S = DC_FMA(S, z, 0x1.1111111111111p-7);
    S = DC_FMA(S, z, -0x1.5555555555555p-3);
    return r + (r * z) * S;
}

static inline double dc__cos_poly(double z)
{
    double C = 0x1.ab77a80577d16p-45;
    C = DC_FMA(C, z, -0x1.9394b8c78b0b3p-37);
    C = DC_FMA(C, z, 0x1.1eed8deaba027p-29);
    C = DC_FMA(C, z, -0x1.27e4fb77124b2p-22);
    C = DC_FMA(C, z, 0x1.a01a01a019d05p-16);
    C = DC_FMA(C, z, -0x1.6c16c16c16c16p-10);
    C = DC_FMA(C, z, 0x1.5555555555555p-5);
    double hz = 0.5 * z;
    double w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * z) * C);
}

/* sin(r) = r + r z S(z), z = r^2, on |r| <= pi/2: one polynomial for sin and cos (no
   second polynomial and select), S of degree 7 (own weighted least-squares fit, relative
   error 7.6e-17), by Estrin's scheme */
static inline double dc__sin_half(double r)
{
    double z = r * r;
    double z2 = z * z;
    double z4 = z2 * z2;
    double a0 = DC_FMA(0x1.1111111111107p-7, z, -0x1.5555555555555p-3);
    double a1 = DC_FMA(0x1.71de3a544ee56p-19, z, -0x1.a01a01a0189e6p-13);
    double a2 = DC_FMA(0x1.6124001009675p-33, z, -0x1.ae64559d7ab97p-26);
    double a3 = DC_FMA(0x1.89993af2d6407p-49, z, -0x1.ae50d72c26302p-41);
    double S = DC_FMA(DC_FMA(a3, z2, a2), z4, DC_FMA(a1, z2, a0));
    return DC_FMA(r * z, S, r);
}

/* x - jd pi/2 (jd integral, |jd| < 2^20) with pi/2 in the four parts of dc__trig_red */
static inline double dc__sub_jpio2(double x, double jd)
{
    double r = DC_FMA(jd, -DC__P1, x);
    r = DC_FMA(jd, -DC__P2, r);
    r = DC_FMA(jd, -DC__P3, r);
    return DC_FMA(jd, -DC__P4, r);
}

/* sin: x = j pi + r, |r| <= pi/2, sin x = (-1)^j sin r */
static inline double dc__sin_f64e(double x)
{
    double kd = DC_FMA(x, 0x1.45f306dc9c883p-2, DC__MAGIC);
    uint64_t q = dc__u64(kd);
    kd -= DC__MAGIC;
    double r = dc__sub_jpio2(x, kd + kd);
    double y = dc__f64(dc__u64(dc__sin_half(r)) ^ (q << 63));
    return dc__sel(DC__ISZERO(x), x, y);
}

/* cos: x = (2j+1) pi/2 + r, |r| <= pi/2, cos x = (-1)^(j+1) sin r */
static inline double dc__cos_f64e(double x)
{
    double kd = DC_FMA(x, 0x1.45f306dc9c883p-2, -0.5) + DC__MAGIC;
    uint64_t q = dc__u64(kd);
    kd -= DC__MAGIC;
    double r = dc__sub_jpio2(x, (kd + kd) + 1.0);
    return dc__f64(dc__u64(dc__sin_half(r)) ^ ((q ^ 1u) << 63));
}

static inline double dc__tan_f64e(double x)
{
    uint64_t q;
    double r = dc__trig_red(x, &q);
    double z = r * r;
    double s = dc__sin_poly(r, z);
    double c = dc__cos_poly(z);
    double num = dc__selbit(q, -c, s);
    double den = dc__selbit(q, s, c);
    double y = num / den;
    return dc__sel(DC__ISZERO(x), x, y);
}

/* ================= inverse trigonometric ================= */
/* atan(u) - u = u^3 P(u^2), |u| <= 7/16 */
static inline double dc__atan_poly(double u)
{
    double z = u * u;
    double P = 0x1.e3d7706a6f398p-7;
    P = DC_FMA(P, z, -0x1.0f521ae2a9059p-5);
    P = DC_FMA(P, z, 0x1.6ff9ecc17bbcfp-5);
    P = DC_FMA(P, z, -0x1.ab57bff343838p-5);
    P = DC_FMA(P, z, 0x1.e1702ffa17dedp-5);
    P = DC_FMA(P, z, -0x1.110c98c9689e3p-4);
    P = DC_FMA(P, z, 0x1.3b137588aba11p-4);
    P = DC_FMA(P, z, -0x1.745d1549a55a7p-4);
    P = DC_FMA(P, z, 0x1.c71c71bd19d66p-4);
    P = DC_FMA(P, z, -0x1.2492492485343p-3);
    P = DC_FMA(P, z, 0x1.99999999998c3p-3);
    P = DC_FMA(P, z, -0x1.5555555555555p-2);
    return (u * z) * P;
}

/* atan(a) for a >= 0 or nan (result >= 0) */
static inline double dc__atan_pos(double a)
{
    uint64_t i1 = DC__AGE(a, 0x1.cp-2);  /* 7/16 */
    uint64_t i2 = DC__AGE(a, 0x1.6p-1);  /* 11/16 */
    uint64_t i3 = DC__AGE(a, 0x1.3p+0);  /* 19/16 */
    uint64_t i4 = DC__AGE(a, 0x1.38p+1); /* 39/16, and nan */
    double c = dc__sel(i3, 1.5, dc__sel(i2, 1.0, dc__sel(i1, 0.5, 0.0)));
    double hi = dc__sel(i3, 0x1.f730bd281f69bp-1, dc__sel(i2, 0x1.921fb54442d18p-1, dc__sel(i1, 0x1.dac670561bb4fp-2, 0.0)));
    double lo = dc__sel(i3, 0x1.007887af0cbbdp-56, dc__sel(i2, 0x1.1a62633145c07p-55, dc__sel(i1, 0x1.a2b7f222f65e2p-56, 0.0)));
    double num = a - c;
    double den = 1.0 + c * a;
    num = dc__sel(i4, -1.0, num);
    den = dc__sel(i4, a, den);
    hi = dc__sel(i4, DC__PIO2HI, hi);
    lo = dc__sel(i4, DC__PIO2LO, lo);
    double u = num / den;
    return hi + (u + (dc__atan_poly(u) + lo));
}

static inline double dc__atan_f64e(double x)
{
    return dc__orsign(dc__atan_pos(dc__fabs(x)), x);
}

/* asin(u) - u = u^3 P(u^2), |u| <= 1/2 */
static inline double dc__asin_poly(double u)
{
    double z = u * u;
    double P = 0x1.f7688d4af791ep-6;
    P = DC_FMA(P, z, -0x1.89bf494da1778p-6);
    P = DC_FMA(P, z, 0x1.71ab16a2ab308p-6);
    P = DC_FMA(P, z, 0x1.8af50f6950e2ep-12);
    P = DC_FMA(P, z, 0x1.203c544d62dddp-7);
    P = DC_FMA(P, z, 0x1.0a96263f32f89p-7);
    P = DC_FMA(P, z, 0x1.40e3dbb12be1bp-7);
    P = DC_FMA(P, z, 0x1.7a70bac2c9479p-7);
    P = DC_FMA(P, z, 0x1.c99aff06a2606p-7);
    P = DC_FMA(P, z, 0x1.1c4ebd73da495p-6);
    P = DC_FMA(P, z, 0x1.6e8ba31cb81edp-6);
    P = DC_FMA(P, z, 0x1.f1c71c70edd8ep-6);
    P = DC_FMA(P, z, 0x1.6db6db6db7c89p-5);
    P = DC_FMA(P, z, 0x1.333333333332dp-4);
    P = DC_FMA(P, z, 0x1.5555555555555p-3);
    return u + (u * z) * P;
}

static inline double dc__asin_f64e(double x)
{
    double a = dc__fabs(x);
    uint64_t small = DC__ALE(a, 0.5);
    double s = sqrt((1.0 - a) * 0.5);
    double u = dc__sel(small, a, s);
    double p = dc__asin_poly(u);
    double y = dc__sel(small, p, DC__PIO2HI - (2.0 * p - DC__PIO2LO));
    return dc__orsign(y, x);
}

static inline double dc__acos_f64e(double x)
{
    double a = dc__fabs(x);
    uint64_t small = DC__ALE(a, 0.5);
    double s = sqrt((1.0 - a) * 0.5);
    double u = dc__sel(small, x, s);
    double p = dc__asin_poly(u);
    double y = dc__sel(small, DC__PIO2HI - (p - DC__PIO2LO),
                       dc__sel(~DC__NEG(x), 2.0 * p, DC__PIHI - (2.0 * p - DC__PILO)));
    return y;
}

/* ================= hyperbolic ================= */
static inline double dc__sinh_f64e(double x)
{
    double a = dc__fabs(x);
    double ac = dc__sel(DC__AGT(a, 30.0), 30.0, a);
    double t = dc__expm1_f64e(ac);
    double ys = 0.5 * (t + t / (t + 1.0));
    double yl = dc__exp_k(a, (uint64_t)-1); /* exp(a)/2 */
    double y = dc__sel(DC__ALT(a, 22.0), ys, yl);
    return dc__orsign(y, x);
}

static inline double dc__cosh_f64e(double x)
{
    double a = dc__fabs(x);
    double ac = dc__sel(DC__AGT(a, 30.0), 30.0, a);
    double e = dc__exp_k(ac, 0);
    double ys = 0.5 * e + 0.5 / e;
    double yl = dc__exp_k(a, (uint64_t)-1);
    return dc__sel(DC__ALT(a, 22.0), ys, yl);
}

/* tanh(x) = t / (t + 2), t = expm1(2|x|), |x| < 22 (1 beyond); expm1(u) for 0 <= u < 44
   as 2^k expm1(r) + (2^k - 1), u = k ln2 + r (2^k - 1 exact: k <= 64), expm1(r) by the
   exp kernel's Q (Estrin), one FMA for the scaled sum */
static inline double dc__tanh_f64e(double x)
{
    double a = dc__fabs(x);
    double u = 2.0 * dc__sel(DC__AGT(a, 22.0), 22.0, a);   /* nan: 44 (selected away) */
    uint64_t k;
    double p = dc__expm1_red(u, &k);
    double sc = dc__pow2i(k);
    double t = DC_FMA(sc, p, sc - 1.0);
    double y = t / (t + 2.0);
    y = dc__sel(DC__ALT(a, 22.0), y, 1.0);
    y = dc__sel(DC__ISNAN(a), a, y);
    return dc__orsign(y, x);
}

/* ================= inverse hyperbolic ================= */
/* log1p(w) for w >= 0 finite, expressed as log(u) + e/u */
static inline double dc__asinh_f64e(double x)
{
    double a = dc__fabs(x);
    double ac = dc__sel(DC__AGT(a, 0x1p28), 0x1p28, a);
    double q = ac * ac;
    double sq = sqrt(q + 1.0);
    /* small: log1p(a + a^2/(1+sqrt(1+a^2))) */
    double w = ac + q / (1.0 + sq);
    double u1 = 1.0 + w;
    double e1 = dc__sel(DC__ALE(w, 1.0), w - (u1 - 1.0), 1.0 - (u1 - w));
    /* mid: log(2a + 1/(sqrt(a^2+1)+a)) */
    double u2 = 2.0 * ac + 1.0 / (sq + ac);
    uint64_t big = DC__AGT(a, 0x1p28), mid = DC__AGT(a, 2.0);
    double u = dc__sel(big, a, dc__sel(mid, u2, u1));
    double e = dc__sel(mid, 0.0, e1);
    double y = dc__log_corr(u, e) + dc__sel(big, DC__LN2, 0.0);
    return dc__orsign(y, x);
}

static inline double dc__acosh_f64e(double x)
{
    double xc = dc__sel(DC__AGT(x, 0x1p28), 0x1p28, dc__sel(DC__ALT(x, 1.0), 1.0, x));
    double t = xc - 1.0;
    double w = t + sqrt(2.0 * t + t * t);
    double u1 = 1.0 + w;
    double e1 = dc__sel(DC__ALE(w, 1.0), w - (u1 - 1.0), 1.0 - (u1 - w));
    double u2 = 2.0 * xc - 1.0 / (xc + sqrt(xc * xc - 1.0));
    uint64_t big = DC__AGT(x, 0x1p28), mid = DC__AGT(x, 2.0);
    double u = dc__sel(big, x, dc__sel(mid, u2, u1));
    double e = dc__sel(mid, 0.0, e1);
    return dc__log_corr(u, e) + dc__sel(big, DC__LN2, 0.0);
}

static inline double dc__atanh_f64e(double x)
{
    double a = dc__fabs(x);
    double ac = dc__sel(DC__ALT(a, 1.0), a, 0.0);
    double om = 1.0 - ac;
    double w = dc__sel(DC__ALT(ac, 0.5), 2.0 * ac + 2.0 * ac * ac / om, 2.0 * ac / om);
    double u = 1.0 + w;
    double e = dc__sel(DC__ALE(w, 1.0), w - (u - 1.0), 1.0 - (u - w));
    double y = 0.5 * dc__log_corr(u, e);
    return dc__orsign(y, x);
}

/* ================= cbrt ================= */
static inline double dc__cbrt_f64e(double x)
{
    double a = dc__fabs(x);
    uint64_t sub = DC__ALT(a, 0x1p-1022);
    double as = dc__sel(sub, a * 0x1p54, a);
    uint64_t ia = dc__u64(as);
    double ed = dc__f64(DC__MAGIC_BITS + (ia >> 52)) - DC__MAGIC - 1023.0;
    double m = dc__f64((ia & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    double qd = (ed * (1.0 / 3.0) + DC__MAGIC) - DC__MAGIC;
    double rd = ed - 3.0 * qd; /* -1, 0, 1 */
    double v = m * dc__pow2i(dc__u64(rd + DC__MAGIC) - DC__MAGIC_BITS);
    double y = 0x1.8eeaa3a137fd9p-7;
    y = y * v + -0x1.e7b7fd09b6676p-4;
    y = y * v + 0x1.1462f717f83dcp-1;
    y = y * v + 0x1.202638d80721dp-1;
    double t = y * y * y;
    y = y - y * (t - v) / (2.0 * t + v);
    t = y * y * y;
    y = y - y * (t - v) / (2.0 * t + v);
    double qa = qd - dc__sel(sub, 18.0, 0.0);
    uint64_t qi = dc__u64(qa + DC__MAGIC) - DC__MAGIC_BITS;
    return dc__orsign(y * dc__pow2i(qi), x);
}

/* ================= floating-point flags ================= */
/* NumPy reports the IEEE flags its loops raise (np.errstate).  Here those
   loops are the C library's functions (glibc: every f64 function, and the
   f32 ones but exp, log, sin, cos, which are NumPy's own SIMD code, as is
   tanh, which raises nothing).
   Pass 1 raises flags in intermediate steps that are not its result's (a
   compare with a NaN, r*r underflowing for a tiny r, the 2^k scale of a lane
   that pass 2 recomputes): the driver drops every flag pass 1 raised.  Every
   input for which NumPy reports a flag is a pass-2 lane (the FX masks below
   are supersets of those inputs): pass 2 calls the C library function NumPy
   calls, which raises what NumPy's loop raises, and for NumPy's SIMD f32
   functions reproduces their flags (dc__*_f32np).  What is left is NumPy's
   report, per lane, for every build (no flag depends on vectorization). */

/* f64 lane masks (all ones / zero), vectorizable on SSE2 */
#define DC__DMAX 0x1.fffffffffffffp1023
#define DC__SUBN(x) (DC__ALT(x, 0x1p-1022) & ~DC__ISZERO(x)) /* subnormal, not 0 */
static inline uint64_t dc__exp_fx(double x) { return DC__AGT(x, 708.0); }
static inline uint64_t dc__exp2_fx(double x) { return DC__AGT(x, 1000.0); }
static inline uint64_t dc__expm1_fx(double x) { return DC__AGT(x, 700.0) | DC__SUBN(x); }
static inline uint64_t dc__log_fx(double x)
{ return DC__NEG(x) | DC__ALT(x, 0x1p-1022) | DC__AGT(x, DC__DMAX); }
static inline uint64_t dc__log1p_fx(double x)
{ return (DC__NEG(x) & DC__AGE(x, 1.0)) | DC__AGT(x, DC__DMAX) | DC__SUBN(x); }
static inline uint64_t dc__sin_fx(double x) { return DC__AGT(x, DC__TRIG_LIMIT) | DC__SUBN(x); }
static inline uint64_t dc__cos_fx(double x) { return DC__AGT(x, DC__TRIG_LIMIT); }
static inline uint64_t dc__asin_fx(double x) { return DC__AGT(x, 1.0) | DC__SUBN(x); }
static inline uint64_t dc__acos_fx(double x) { return DC__AGT(x, 1.0); }
static inline uint64_t dc__atan_fx(double x) { return DC__SUBN(x); }
static inline uint64_t dc__sinh_fx(double x) { return DC__AGT(x, 709.0) | DC__SUBN(x); }
static inline uint64_t dc__cosh_fx(double x) { return DC__AGT(x, 709.0); }
static inline uint64_t dc__asinh_fx(double x)
{ return DC__AGT(x, DC__DMAX) | DC__ALT(x, 0x1p-1022); }
static inline uint64_t dc__acosh_fx(double x)
{ return DC__NEG(x) | DC__ALT(x, 1.0) | DC__AGT(x, DC__DMAX); }
static inline uint64_t dc__atanh_fx(double x) { return DC__AGE(x, 1.0) | DC__SUBN(x); }
static inline uint64_t dc__cbrt_fx(double x) { return DC__AGT(x, DC__DMAX) | DC__ISZERO(x); }
static inline uint64_t dc__none_fx(double x) { (void)x; return 0; }
static inline double dc__noop(double x) { return x; }

/* f32 lane masks (0 / 1) from the bit patterns: signed 32-bit compares (SSE2) */
static inline uint32_t dc__u32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline int32_t dc__ab32(float x) { return (int32_t)(dc__u32(x) & 0x7fffffffu); }
#define DC__FMAX 0x1.fffffep127f
#define DC__FGT(x, c) ((uint32_t)(dc__ab32(x) > (int32_t)dc__u32(c)))  /* |x| > c, nan: yes */
#define DC__FLT(x, c) ((uint32_t)(dc__ab32(x) < (int32_t)dc__u32(c)))  /* |x| < c, nan: no */
#define DC__FGE(x, c) (DC__FLT(x, c) ^ 1u)                              /* nan: yes */
#define DC__FNEG(x) (dc__u32(x) >> 31)
#define DC__FZERO(x) ((uint32_t)(dc__ab32(x) == 0))
#define DC__FSUBN(x) ((uint32_t)(dc__ab32(x) > 0) & DC__FLT(x, 0x1p-126f))
/* |x| <= 0x1.3988ep-62: NumPy's SIMD f32 sin/cos underflow (measured:
   every nonzero float32 up to it, none above) */
#define DC__TRIG32_UNDER 0x1.3988e2p-62f
static inline uint32_t dc__exp_f32fx(float x) { return DC__FGT(x, 87.0f) | DC__FSUBN(x); }
static inline uint32_t dc__exp2_f32fx(float x) { return DC__FGT(x, 120.0f); }
static inline uint32_t dc__expm1_f32fx(float x) { return DC__FGT(x, 80.0f) | DC__FSUBN(x); }
static inline uint32_t dc__log_f32fx(float x)
{ return DC__FNEG(x) | DC__FZERO(x) | DC__FGT(x, DC__FMAX); }
static inline uint32_t dc__log1p_f32fx(float x)
{ return (DC__FNEG(x) & DC__FGE(x, 1.0f)) | DC__FGT(x, DC__FMAX) | DC__FSUBN(x); }
/* f32 sin and cos: a quiet NaN is no pass-2 lane (pass 1 gives a NaN and raises nothing
   kept: a block with 10 % NaN ran the class pass, 0.67x NumPy's loop); a signalling one
   is (invalid) */
#define DC__FQNAN(x) ((uint32_t)(dc__ab32(x) > 0x7f800000) & (dc__u32(x) >> 22))
static inline uint32_t dc__sin_f32fx(float x)
{
    return (DC__FGT(x, 0x1p20f) & (DC__FQNAN(x) ^ 1u))
           | ((DC__FZERO(x) ^ 1u) & DC__FLT(x, DC__TRIG32_UNDER));
}
static inline uint32_t dc__tan_f32fx(float x) { return DC__FGT(x, 0x1p20f) | DC__FSUBN(x); }
static inline uint32_t dc__asin_f32fx(float x) { return DC__FGT(x, 1.0f) | DC__FSUBN(x); }
static inline uint32_t dc__acos_f32fx(float x) { return DC__FGT(x, 1.0f); }
static inline uint32_t dc__atan_f32fx(float x) { return DC__FSUBN(x); }
static inline uint32_t dc__sinh_f32fx(float x) { return DC__FGT(x, 88.0f) | DC__FSUBN(x); }
static inline uint32_t dc__cosh_f32fx(float x) { return DC__FGT(x, 88.0f); }
static inline uint32_t dc__asinh_f32fx(float x)
{ return DC__FGT(x, DC__FMAX) | DC__FLT(x, 0x1p-126f); }
static inline uint32_t dc__acosh_f32fx(float x)
{ return DC__FNEG(x) | DC__FLT(x, 1.0f) | DC__FGT(x, DC__FMAX); }
static inline uint32_t dc__atanh_f32fx(float x) { return DC__FGE(x, 1.0f) | DC__FSUBN(x); }
static inline uint32_t dc__cbrt_f32fx(float x) { return DC__FGT(x, DC__FMAX) | DC__FZERO(x); }
static inline uint32_t dc__none_f32fx(float x) { (void)x; return 0; }

/* f32 pass-2 functions: the value of the C library's double function, rounded
   once (as pass 1: within 0.5 ulp of float, overflow and underflow of the
   result raised by that rounding), and the flags NumPy's loop raises: those of
   the C library's float function (called for them alone: the volatile store
   keeps the call), or for NumPy's SIMD loops, those their code raises. */
#define DC__F32FIX(name, fltf, dblf)                                          \
static inline float dc__##name##_f32fix(float x)                              \
{                                                                             \
    volatile float flags_of = fltf(x);                                        \
    (void)flags_of;                                                           \
    return (float)dblf((double)x);                                            \
}
DC__F32FIX(exp2, exp2f, exp2) DC__F32FIX(expm1, expm1f, expm1)
DC__F32FIX(log2, log2f, log2) DC__F32FIX(log10, log10f, log10)
DC__F32FIX(log1p, log1pf, log1p) DC__F32FIX(tan, tanf, tan)
DC__F32FIX(asin, asinf, asin) DC__F32FIX(acos, acosf, acos)
DC__F32FIX(atan, atanf, atan) DC__F32FIX(sinh, sinhf, sinh)
DC__F32FIX(cosh, coshf, cosh) DC__F32FIX(asinh, asinhf, asinh)
DC__F32FIX(acosh, acoshf, acosh) DC__F32FIX(atanh, atanhf, atanh)
DC__F32FIX(cbrt, cbrtf, cbrt)
static inline void dc__raise_underflow(void) { volatile double t = 0x1p-1022; t = t * t; }
static inline float dc__exp_f32np(float x)
{
    /* NumPy's first step x * log2(e) in float underflows for tiny x */
    if (DC__FSUBN(x)) { volatile float t = x; t = t * 0x1.715476p+0f; }
    return (float)exp((double)x);
}
static inline float dc__log_f32np(float x) { return (float)log((double)x); }
static inline float dc__sin_f32np(float x)
{
    if (DC__FLT(x, DC__TRIG32_UNDER) && !DC__FZERO(x)) dc__raise_underflow();
    return (float)sin((double)x);
}
static inline float dc__cos_f32np(float x)
{
    if (DC__FLT(x, DC__TRIG32_UNDER) && !DC__FZERO(x)) dc__raise_underflow();
    return (float)cos((double)x);
}

/* f32 sin/cos in float arithmetic (twice the lanes of the double path). A block whose
 * inputs all lie in |x| <= 128 runs x = j pi + r (cos: (2j+1) pi/2 + r) with pi/2 split in
 * 4 parts of at most 17 significant bits: every multiple jd * Pk (|jd| <= 83) is exact and
 * each FMA step either exact (Sterbenz: r small) or rounds a value of r's own size;
 * sin(r) = r + r z S(z), S of degree 4 (own fit, relative error 3.3e-8) on |r| <= pi/2,
 * sign (-1)^j. Max error 2.16 ulp of float (tools/check_vmath.py). Blocks with larger,
 * infinite or NaN inputs take the double-precision path. */
static inline float dc__f32(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static inline float dc__trigf(float x, uint32_t shift)
{
    /* sin: x = j pi + r; cos (shift 1): x = (2j+1) pi/2 + r; |r| <= pi/2 */
    float jf = DC_FMAF(x, 0x1.45f306p-2f, shift ? -0.5f : 0.0f) + 0x1.8p23f;
    uint32_t q = dc__u32(jf) ^ shift;
    jf -= 0x1.8p23f;
    jf = jf + jf + (float)shift;                          /* multiple of pi/2, |jf| <= 83 */
    float r = DC_FMAF(jf, -0x1.922p0f, x);
    r = DC_FMAF(jf, 0x1.2aefp-18f, r);
    r = DC_FMAF(jf, -0x1.68c2p-39f, r);
    r = DC_FMAF(jf, -0x1.a62634p-58f, r);
    float z = r * r;
    float z2 = z * z;
    float S = DC_FMAF(DC_FMAF(-0x1.9d989ap-26f, z2, DC_FMAF(0x1.719598p-19f, z, -0x1.a019p-13f)),
                      z2, DC_FMAF(0x1.11111p-7f, z, -0x1.555556p-3f));
    uint32_t y = dc__u32(DC_FMAF(r * z, S, r)) ^ (q << 31);
    uint32_t zero = (uint32_t)0 - (uint32_t)((dc__u32(x) & 0x7fffffffu) == 0 && shift == 0);
    return dc__f32((dc__u32(x) & zero) | (y & ~zero));  /* sin(+-0) = +-0 */
}
static inline float dc__sinf_e(float x) { return dc__trigf(x, 0u); }
static inline float dc__cosf_e(float x) { return dc__trigf(x, 1u); }
/* 128 < |x| <= 2^20: the lanes beyond, inf and NaN included, are pass-2 lanes (FX) */
static inline uint32_t dc__trigf_slow(float x)
{ return DC__FGT(x, 128.0f) & (DC__FGT(x, 0x1p20f) ^ 1u); }

/* f32 exp in float arithmetic for blocks with every |x| <= 87 (results normal, no
 * overflow): x = k ln2 + r with ln2 split hi (15 bits: k * hi exact for |k| <= 126) / lo,
 * |r| <= ln2/2, times 2^k built in the exponent bits. Other blocks take the double path;
 * pass 2 redoes |x| > 87 and subnormal x (flags) either way. */
/* exp(x) for |x| <= 87 in float, Taylor through r^7 (the array exp's kernel until its
 * error was measured on every float32: 1.07 ulp; see dc__expf_e), for f32 tanh */
static inline float dc__expf_core(float x)
{
    float kf = DC_FMAF(x, 0x1.715476p+0f, 0x1.8p23f);
    uint32_t k = dc__u32(kf) - 0x4b400000u;              /* rint(x / ln2), two's complement */
    kf -= 0x1.8p23f;
    float r = DC_FMAF(kf, -0x1.62e4p-1f, x);             /* kf * hi exact */
    r = DC_FMAF(kf, -0x1.7f7d1cp-20f, r);
    float r2 = r * r;                                    /* Estrin: 3 FMA levels */
    float a0 = DC_FMAF(0x1.555556p-3f, r, 0.5f);
    float a1 = DC_FMAF(0x1.111112p-7f, r, 0x1.555556p-5f);
    float a2 = DC_FMAF(0x1.a01a02p-13f, r, 0x1.6c16c2p-10f);
    float q = DC_FMAF(DC_FMAF(a2, r2, a1), r2, a0);
    float p = 1.0f + DC_FMAF(r2, q, r);
    return p * dc__f32((k + 127u) << 23);
}
/* The array exp's kernel: dc__expf_core's reduction with x - k hi exact and the k lo term c
 * kept apart (rounding r = x - k hi - k lo cost up to half an ulp of r, passed on to the
 * result: 1.07 ulp at x = -0x1.78ed36p+2), exp(r) = 1 + r + r^2 Q(r), Q of degree 4 (own
 * weighted least-squares fit: relative error of exp 1.0e-8 on |r| <= ln2/2), summed as
 * (x - k hi) + (c + r^2 Q), and 2^k + 2^k expm1(r) in one rounding (the scale is exact).
 * Max 0.80 ulp over every float32 with |x| <= 87 (the x86-64-v4 build; see the ulp table). */
static inline float dc__expf_e(float x)
{
    float kf = DC_FMAF(x, 0x1.715476p+0f, 0x1.8p23f);
    uint32_t k = dc__u32(kf) - 0x4b400000u;
    kf -= 0x1.8p23f;
    float r1 = DC_FMAF(kf, -0x1.62e4p-1f, x);            /* exact */
    float c = kf * -0x1.7f7d1cp-20f;
    float r = r1 + c;
    float r2 = r * r;
    float a0 = DC_FMAF(0x1.5554dep-3f, r, 0.5f);
    float a1 = DC_FMAF(0x1.120afcp-7f, r, 0x1.5555eap-5f);
    float q = DC_FMAF(DC_FMAF(0x1.6c37ecp-10f, r2, a1), r2, a0);
    float m = r1 + DC_FMAF(r2, q, c);                    /* expm1(r) */
    float s = dc__f32((k + 127u) << 23);
    return DC_FMAF(m, s, s);
}
/* none: every lane dc__expf_e does not cover (|x| > 87, inf and NaN included) is a
   pass-2 lane (dc__exp_f32fx), so the block need not run again by the double path */
static inline uint32_t dc__expf_slow(float x) { (void)x; return 0; }

/* f32 log in float arithmetic for positive normal finite x (subnormal x: the block takes
 * the double path; x <= 0, inf, nan are pass-2 lanes): x = 2^k m, m in [2/3, 4/3) from the
 * bits (offset 0x3f2aaaab), f = m - 1 exact, log(1+f) = f + f^2 P(f) with P of degree 8
 * (own weighted least-squares fit, relative error 5.7e-8 on |f| <= 1/3) by Estrin's
 * scheme, plus k ln2 with ln2 split hi (16 bits: k * hi exact) / lo. */
static inline float dc__logf_e(float x)
{
    uint32_t ix = dc__u32(x) - 0x3f2aaaabu;
    float kf = (float)((int32_t)ix >> 23);
    float f = dc__f32((ix & 0x007fffffu) + 0x3f2aaaabu) - 1.0f;
    float f2 = f * f;
    float f4 = f2 * f2;
    float a0 = DC_FMAF(0x1.55552cp-2f, f, -0.5f);
    float a1 = DC_FMAF(0x1.99bf76p-3f, f, -0x1.fffff2p-3f);
    float a2 = DC_FMAF(0x1.1fdd46p-3f, f, -0x1.556d88p-3f);
    float a3 = DC_FMAF(0x1.19939cp-3f, f, -0x1.f88a8ap-4f);
    float b0 = DC_FMAF(a1, f2, a0);
    float b1 = DC_FMAF(a3, f2, a2);
    float P = DC_FMAF(DC_FMAF(-0x1.f778a8p-4f, f4, b1), f4, b0);
    float p = DC_FMAF(f2, P, f);
    return DC_FMAF(kf, 0x1.62e4p-1f, DC_FMAF(kf, 0x1.7f7d1cp-20f, p));
}
static inline uint32_t dc__logf_slow(float x) { return DC__FSUBN(x); }

/* f32 tanh in float arithmetic: |x| < 5/8: x + x^3 P(x^2), P of degree 5 (own fit,
 * relative error 4.4e-8); otherwise 1 - 2 / (exp(2|x|) + 1) with |x| clamped to 9.5
 * (beyond, the float result is 1) and the sign of x. NaN takes the polynomial. */
static inline float dc__tanhf_e(float x)
{
    uint32_t ua = dc__u32(x) & 0x7fffffffu;
    float a = dc__f32(ua);
    uint32_t clamp = 0u - DC__FGT(x, 9.5f);
    float ac = dc__f32((dc__u32(9.5f) & clamp) | (ua & ~clamp));
    float e = dc__expf_core(ac + ac);
    float yl = 1.0f - 2.0f / (e + 1.0f);
    float z = a * a;
    float z2 = z * z;
    float b0 = DC_FMAF(0x1.1110e8p-3f, z, -0x1.555556p-2f);
    float b1 = DC_FMAF(0x1.64a41p-6f, z, -0x1.ba0866p-5f);
    float b2 = DC_FMAF(0x1.2bfe04p-9f, z, -0x1.114ap-7f);
    float P = DC_FMAF(DC_FMAF(b2, z2, b1), z2, b0);
    float ys = DC_FMAF(a * z, P, a);                     /* >= +0 (tanh(-0) = -0 below) */
    uint32_t small = 0u - (DC__FLT(x, 0.625f) | DC__FGT(x, INFINITY));
    return dc__f32(((dc__u32(ys) & small) | (dc__u32(yl) & ~small)) | (dc__u32(x) & 0x80000000u));
}

#if defined(__GNUC__) || defined(__clang__)
#define DC__RESTRICT __restrict__
#else
#define DC__RESTRICT
#endif


/* ================= array drivers ================= */
#define DC__MIN(a, b) ((a) < (b) ? (a) : (b))

/* One block: pass 1 runs FAST on every lane and, in the same vectorized loop, ORs the
   lane masks FX (a pass-2 lane) and SLOW (a lane FAST does not handle, e.g. f32 sin/cos
   beyond |x| <= 128); where SLOW is set anywhere, the block runs ELEM instead (rare
   inputs: a second pass). Returns FX's OR. x and y do not overlap (restrict: no runtime
   alias check, one loop version). Returns 1 where a lane is a pass-2 lane, else 0 (the
   explicit AVX-512 block functions also set bit 8 + c for a class c whose lanes they
   wrote themselves from cv, for the classes in ok: see "Pass-2 lanes by class"). */
#define DC__BLOCK_FN(NAME, T, MT, ELEM, FAST, SLOW, FX)                               \
static inline MT NAME##_blk(const T *DC__RESTRICT x, T *DC__RESTRICT y, ptrdiff_t m,   \
                            const MT *cv, unsigned ok)                                \
{                                                                                     \
    (void)cv; (void)ok;                                                               \
    MT any = 0, slow = 0;                                                             \
    for (ptrdiff_t i = 0; i < m; i++) {                                               \
        T v = x[i];                                                                   \
        y[i] = FAST(v);                                                               \
        any |= FX(v);                                                                 \
        slow |= SLOW(v);                                                              \
    }                                                                                 \
    if (slow)                                                                         \
        for (ptrdiff_t i = 0; i < m; i++) y[i] = ELEM(x[i]);                          \
    return (MT)(any != 0);                                                            \
}

/* Pass 2 through NumPy's own loop. FIXFN is the C library function NumPy's loop calls on
   most machines; where NumPy's loop is another (AVX-512 SVML on Intel CPUs: no underflow
   for a subnormal input of expm1, log1p, tan, arcsin...), its flags and values differ from
   FIXFN's. Which code NumPy's loop runs depends on the strides it is given: on that CPU
   SVML for strides >= 0, the C library's function where one is negative. _numpy_loops
   compares ours and NumPy's loop on special inputs at import, for several stride
   patterns, and where a report differs installs a hook that runs NumPy's loop on the one
   element, with the strides NumPy's loop would get for this operand layout (fn(self, x,
   y, sx, sy) with pointers to the input and the output element; dc_vm_hook2 likewise for
   a binary loop). */
typedef struct dc_vm_hook {
    void (*fn)(void *self, const void *x, void *y, ptrdiff_t sx, ptrdiff_t sy);
    void *self;
} dc_vm_hook;
typedef struct dc_vm_hook2 {
    void (*fn)(void *self, const void *a, const void *b, void *y, ptrdiff_t sa,
               ptrdiff_t sb, ptrdiff_t sy);
    void *self;
} dc_vm_hook2;

/* The strides NumPy's inner loop gets for operands of strides s[0..k) (the inputs' and
   the output's along the loop): NumPy's iterator negates them all where none is positive
   and one is negative (a negative output stride always takes the iterator; a new output
   is never negative), else NumPy's loop gets them as they are. */
static inline void dc_vm_numpy_steps(ptrdiff_t *s, int k)
{
    int neg = 0;
    for (int i = 0; i < k; i++) {
        if (s[i] > 0) return;
        neg |= s[i] < 0;
    }
    if (neg)
        for (int i = 0; i < k; i++) s[i] = -s[i];
}

/* pass 1 (DC__BLOCK_FN) over blocks of DC_VM_BLK elements, read straight from x (from a
   copy of the block when y is x: pass 2 needs the original input); drop pass 1's flags;
   pass 2: FIXFN (or NAME##_hook, above) on the FX lanes, raising the reported flags (see
   "floating-point flags"). sx and sy: the operands' strides in the caller (x and y here are
   contiguous), for the hook. */
#define DC__UNARY(NAME, T, MT, ELEM, FX, FIXFN)                               \
    DC__UNARY_SELC(NAME, T, MT, ELEM, ELEM, dc__never_##T, FX, FIXFN, dc__gen)
#define DC__UNARY_C(NAME, T, MT, ELEM, FX, FIXFN, CLS)                        \
    DC__UNARY_SELC(NAME, T, MT, ELEM, ELEM, dc__never_##T, FX, FIXFN, CLS)
#define DC__UNARY_SEL(NAME, T, MT, ELEM, FAST, SLOW, FX, FIXFN)               \
    DC__UNARY_SELC(NAME, T, MT, ELEM, FAST, SLOW, FX, FIXFN, dc__gen)
static inline uint64_t dc__never_double(double x) { (void)x; return 0; }
static inline uint32_t dc__never_float(float x) { (void)x; return 0; }
/* Pass-2 lanes by class. CLS(x) (FAM##_cls_T) names a lane's class (0: none, the lane
   runs FIXFN on its own): 1-4 are classes whose lanes all give one result and one set of
   flags, 5-7 classes whose lanes give their input back (x -> x, the flags again one set for
   the class). A class's result and flags come from FIXFN on its representative inputs
   (FAM##_rep_T), once a process (NAME##_ct: the flags saved and restored around it); a
   class whose representatives disagree, or an identity class whose FIXFN does not give
   the input back, runs lane by lane. Pass 2 writes a class's lanes without branches and
   raises its flags once a call. Where NumPy's loop replaces FIXFN (the hook: its result
   may depend on the strides), a class's value and flags come from its first lane in the
   call instead. Lane by lane, the C library (or NumPy's loop through the hook) cost 5-50 ns
   an element and the branch on random classes mispredicted: float32 log at n = 1e5 with
   half the inputs negative took 1.19 ms (NumPy's loop 0.06 ms) before the log classes;
   float32 exp of inputs below -104 (all 0) ran at 0.08x NumPy's loop, float32 sin with
   10 % NaN at 0.15x, before the classes below.
     1, 2  the function's own (dc__log: x below the domain -> NaN with invalid, x at the
           pole -> -inf with divide-by-zero; dc__exp: overflow to inf, underflow to 0)
     3, 4  +inf, -inf
     5     a quiet NaN (IEEE operations return it and raise nothing)
     6     a subnormal x (sin, tan, arcsin... of it is x, with underflow or not)
     7     +-0
   A lane takes a class only where FX marks it a pass-2 lane. */
#define DC__NCLS 8
/* in a block function's ok (beyond the classes' bits): classes 3 (+inf) and 5 (quiet NaN)
   raise no flag (the class table's, set once with it); the block before in the call had
   pass-2 lanes (the driver's) */
#define DC__OK_QUIET 0x100u
#define DC__OK_HOT 0x200u
/* a block function's flags for lanes it computed itself (beyond the classes' bits 8 + c) */
#define DC__BLK_UNDERFLOW 0x10000u
#define DC__BLK_OVERFLOW 0x20000u
/* a block function met pass-2 lanes it resolved without flags (the driver's DC__OK_HOT) */
#define DC__BLK_SEEN 0x40000u
#define DC__CLS_IDENT 5                  /* classes from this on return their input */
static inline int dc__any_cls_double(double x)
{
    uint64_t u = dc__u64(x), a = u & 0x7fffffffffffffffull;
    return (int)((u == 0x7ff0000000000000ull) * 3u | (u == 0xfff0000000000000ull) * 4u
                 | ((a > 0x7ff0000000000000ull) & (unsigned)(u >> 51)) * 5u
                 | ((a != 0) & (a < 0x0010000000000000ull)) * 6u | (a == 0) * 7u);
}
static inline int dc__any_cls_float(float x)
{
    uint32_t u = dc__u32(x), a = u & 0x7fffffffu;
    return (int)((u == 0x7f800000u) * 3u | (u == 0xff800000u) * 4u
                 | ((a > 0x7f800000u) & (u >> 22)) * 5u
                 | ((a != 0) & (a < 0x00800000u)) * 6u | (a == 0) * 7u);
}
/* representatives of the generic classes (n of them into r; 0: none) */
static inline int dc__any_rep_double(int c, double *r)
{
    switch (c) {
    case 3: r[0] = INFINITY; return 1;
    case 4: r[0] = -INFINITY; return 1;
    case 5: r[0] = dc__f64(0x7ff8000000000000ull); r[1] = dc__f64(0xfff8000000000001ull); return 2;
    case 6: r[0] = 0x1p-1070; r[1] = -0x1.8p-1040; return 2;
    case 7: r[0] = 0.0; r[1] = -0.0; return 2;
    default: return 0;
    }
}
static inline int dc__any_rep_float(int c, float *r)
{
    switch (c) {
    case 3: r[0] = INFINITY; return 1;
    case 4: r[0] = -INFINITY; return 1;
    case 5: memcpy(r, &(uint32_t){0x7fc00000u}, 4); memcpy(r + 1, &(uint32_t){0xffc00001u}, 4);
            return 2;
    case 6: r[0] = 0x1p-140f; r[1] = -0x1.8p-130f; return 2;
    case 7: r[0] = 0.0f; r[1] = -0.0f; return 2;
    default: return 0;
    }
}
/* a family: the function's own classes where it has them, else the generic ones */
#define DC__CLS_FAMILY(FAM, T, SPEC, REP1, REP2)                                        \
static inline int FAM##_cls_##T(T x)                                                    \
{ int s = SPEC(x); return s | (dc__any_cls_##T(x) & ((s != 0) - 1)); }                  \
static inline int FAM##_rep_##T(int c, T *r)                                            \
{                                                                                       \
    if (c == 1) { r[0] = (T)(REP1); return 1; }                                         \
    if (c == 2) { r[0] = (T)(REP2); return 1; }                                         \
    return dc__any_rep_##T(c, r);                                                       \
}
static inline int dc__gen_cls_none_double(double x) { (void)x; return 0; }
static inline int dc__gen_cls_none_float(float x) { (void)x; return 0; }
/* on the bits: an ordered compare would raise invalid on a NaN lane */
static inline int dc__log_spec_double(double x)
{
    uint64_t u = dc__u64(x), a = u & 0x7fffffffffffffffull;
    return (int)((u >> 63) & (a != 0) & (a <= 0x7ff0000000000000ull)) | ((a == 0) << 1);
}
static inline int dc__log_spec_float(float x)
{
    uint32_t u = dc__u32(x), a = u & 0x7fffffffu;
    return (int)((u >> 31) & (a != 0) & (a <= 0x7f800000u)) | ((a == 0) << 1);
}
static inline int dc__log1p_spec_double(double x)
{
    uint64_t u = dc__u64(x), a = u & 0x7fffffffffffffffull;
    return (int)((u >> 63) & (a > 0x3ff0000000000000ull) & (a <= 0x7ff0000000000000ull))
           | ((u == 0xbff0000000000000ull) << 1);
}
static inline int dc__log1p_spec_float(float x)
{
    uint32_t u = dc__u32(x), a = u & 0x7fffffffu;
    return (int)((u >> 31) & (a > 0x3f800000u) & (a <= 0x7f800000u)) | ((u == 0xbf800000u) << 1);
}
/* exp: 1 for finite x >= 710 (f32: 89), whose exp overflows to inf; 2 for finite
   x <= -746 (f32: -104), whose exp underflows to 0. The bands between these and the
   fast path's range (subnormal results, the last finite ones) run lane by lane. */
#define DC__EXP_OVER64 0x4086300000000000ull     /* 710 */
#define DC__EXP_UNDER64 0xc087500000000000ull    /* -746 */
#define DC__EXP_OVER32 0x42b20000u               /* 89 */
#define DC__EXP_UNDER32 0xc2d00000u              /* -104 */
static inline int dc__exp_spec_double(double x)
{
    uint64_t u = dc__u64(x);
    return (int)((u >= DC__EXP_OVER64) & (u < 0x7ff0000000000000ull))
           | (((u >= DC__EXP_UNDER64) & (u < 0xfff0000000000000ull)) << 1);
}
static inline int dc__exp_spec_float(float x)
{
    uint32_t u = dc__u32(x);
    return (int)((u >= DC__EXP_OVER32) & (u < 0x7f800000u))
           | (((u >= DC__EXP_UNDER32) & (u < 0xff800000u)) << 1);
}
DC__CLS_FAMILY(dc__gen, double, dc__gen_cls_none_double, 0, 0)
DC__CLS_FAMILY(dc__gen, float, dc__gen_cls_none_float, 0, 0)
DC__CLS_FAMILY(dc__log, double, dc__log_spec_double, -1.0, 0.0)
DC__CLS_FAMILY(dc__log, float, dc__log_spec_float, -1.0f, 0.0f)
DC__CLS_FAMILY(dc__log1p, double, dc__log1p_spec_double, -2.0, -1.0)
DC__CLS_FAMILY(dc__log1p, float, dc__log1p_spec_float, -2.0f, -1.0f)
DC__CLS_FAMILY(dc__exp, double, dc__exp_spec_double, 1000.0, -1000.0)
DC__CLS_FAMILY(dc__exp, float, dc__exp_spec_float, 100.0f, -200.0f)

/* a function's class table (once a process; per build: each build's copy of dc_vmath.h
   has its own) */
#define DC__CTAB(MT) struct { MT val[DC__NCLS]; int flags[DC__NCLS]; unsigned ok; int ready; }

#define DC__UNARY_SELC(NAME, T, MT, ELEM, FAST, SLOW, FX, FIXFN, FAM)         \
DC__BLOCK_FN(NAME, T, MT, ELEM, FAST, SLOW, FX)                               \
DC__UNARY_DRV(NAME, T, MT, FX, FIXFN, FAM)
/* one lane of pass 2 */
#define DC__FIX_LANE(FIXFN, i)                                                \
    do {                                                                      \
        if (hook.fn) hook.fn(hook.self, xb + (i), yb + (i), st[0], st[1]);    \
        else yb[(i)] = FIXFN(xb[(i)]);                                        \
    } while (0)
/* the driver alone, over a NAME##_blk of the caller's (an explicit AVX-512 one) */
#define DC__UNARY_DRV(NAME, T, MT, FX, FIXFN, FAM)                            \
static dc_vm_hook NAME##_hook;                                                \
static DC__CTAB(MT) NAME##_ct;                                                \
static void NAME##_ct_init(void)                                              \
{                                                                             \
    fenv_t env;                                                               \
    unsigned ok = 0;                                                          \
    feholdexcept(&env);                                                       \
    for (int c = 1; c < DC__NCLS; c++) {                                      \
        T r[2];                                                               \
        int nr = FAM##_rep_##T(c, r), good = nr > 0, fl = 0;                  \
        MT v = 0;                                                             \
        for (int j = 0; j < nr && good; j++) {                                \
            MT xv, yv;                                                        \
            volatile T yr;            /* stored before the flags are read */  \
            if (!(FX(r[j]) != 0) || FAM##_cls_##T(r[j]) != c) { good = 0; break; } \
            volatile T xr = r[j];     /* computed now (no constant folding) */ \
            feclearexcept(FE_ALL_EXCEPT);                                     \
            yr = FIXFN(xr);                                                   \
            int f = fetestexcept(DC_FPE_ALL);                                 \
            memcpy(&xv, &r[j], sizeof(T));                                    \
            T ycopy = yr;                                                     \
            memcpy(&yv, &ycopy, sizeof(T));                                   \
            if (c >= DC__CLS_IDENT ? yv != xv : (j > 0 && yv != v)) good = 0; \
            if (j > 0 && f != fl) good = 0;                                   \
            v = yv;                                                           \
            fl = f;                                                           \
        }                                                                     \
        if (good) {                                                           \
            NAME##_ct.val[c] = v;                                             \
            NAME##_ct.flags[c] = fl;                                          \
            ok |= 1u << c;                                                    \
        }                                                                     \
    }                                                                         \
    if ((ok & 0x28u) == 0x28u && !(NAME##_ct.flags[3] | NAME##_ct.flags[5]))  \
        ok |= DC__OK_QUIET;                                                   \
    NAME##_ct.ok = ok;                                                        \
    fesetenv(&env);                                                           \
    __atomic_store_n(&NAME##_ct.ready, 1, __ATOMIC_RELEASE);                  \
}                                                                             \
static inline void NAME(const T *x, T *y, ptrdiff_t n, ptrdiff_t sx,         \
                        ptrdiff_t sy)                                         \
{                                                                             \
    const dc_vm_hook hook = NAME##_hook;                                      \
    T dc_buf[DC_VM_BLK];                                                      \
    ptrdiff_t st[2] = {sx, sy};                                               \
    MT cval[DC__NCLS] = {0};          /* each known class's result (bits) */   \
    int cfl[DC__NCLS] = {0};          /* and flags (table classes) */          \
    MT cb[DC_VM_BLK];                 /* the block's lanes' classes */         \
    unsigned known = 0, lanewise = 1; /* classes with cval; classes run alone */ \
    int raise = 0;                    /* the table classes' flags met */       \
    unsigned hot = 0;                 /* DC__OK_HOT: the last block had pass-2 lanes */ \
    int keep = dc_fpe_test_vec(), now;                                        \
    if (!hook.fn) {                                                           \
        if (!__atomic_load_n(&NAME##_ct.ready, __ATOMIC_ACQUIRE))             \
            NAME##_ct_init();                                                 \
        known = NAME##_ct.ok;                                                 \
        lanewise = 1u | (~known & 0xfeu);                                     \
        memcpy(cval, NAME##_ct.val, sizeof(cval));                            \
        memcpy(cfl, NAME##_ct.flags, sizeof(cfl));                            \
    }                                                                         \
    dc_vm_numpy_steps(st, 2);                                                 \
    for (ptrdiff_t i0 = 0; i0 < n; i0 += DC_VM_BLK) {                         \
        ptrdiff_t m = DC__MIN(n - i0, (ptrdiff_t)DC_VM_BLK);                  \
        const T *xb = x + i0;                                                 \
        T *yb = y + i0;                                                       \
        MT any;                                                               \
        if (xb == yb) {                                                       \
            memcpy(dc_buf, xb, (size_t)m * sizeof(T));                        \
            xb = dc_buf;                                                      \
        }                                                                     \
        any = NAME##_blk(xb, yb, m, cval, (hook.fn ? 0u : known) | hot);      \
        hot = any ? DC__OK_HOT : 0u;                                          \
        if (any > 1) {                        /* classes written by _blk */   \
            for (unsigned c = 1; c < DC__NCLS; c++)                           \
                if ((unsigned)(any >> (8 + c)) & 1u) raise |= cfl[c];         \
            if (any & DC__BLK_UNDERFLOW) raise |= DC_FPE_UNDERFLOW;           \
            if (any & DC__BLK_OVERFLOW) raise |= DC_FPE_OVERFLOW;             \
        }                                                                     \
        if (any & 1) {                                                        \
            /* FIXFN may run: pass 1's flags so far go first (ldmxcsr costs   \
               ~50 cycles: not for blocks whose lanes _blk resolved) */        \
            now = dc_fpe_test_vec();                                          \
            if (now & ~keep) dc_fpe_drop_vec(now & ~keep);                    \
            /* each lane's class (~0: not a pass-2 lane) and which the block  \
               holds, branch-free (vectorized) */                             \
            MT hv = 0;                                                        \
            for (ptrdiff_t i = 0; i < m; i++) {                               \
                MT c = (MT)FAM##_cls_##T(xb[i]) | ((MT)(FX(xb[i]) != 0) - 1); \
                cb[i] = c;                                                    \
                hv |= (MT)1 << (c & (MT)(8 * sizeof(MT) - 1));                \
            }                                                                 \
            unsigned have = (unsigned)hv & 0xffu;                             \
            for (unsigned c = 1; c < DC__NCLS; c++) {                         \
                if (!(have >> c & 1u) || (lanewise >> c & 1u)) continue;      \
                if (!(known >> c & 1u)) {     /* hooked: its first lane */    \
                    ptrdiff_t i = 0;                                          \
                    while (cb[i] != (MT)c) i++;                               \
                    DC__FIX_LANE(FIXFN, i);                                   \
                    MT xv, yv;                                                \
                    memcpy(&xv, xb + i, sizeof(T));                           \
                    memcpy(&yv, yb + i, sizeof(T));                           \
                    if (c >= DC__CLS_IDENT && yv != xv) {                     \
                        lanewise |= 1u << c;                                  \
                        continue;                                             \
                    }                                                         \
                    cval[c] = yv;                                             \
                    known |= 1u << c;                                         \
                }                                                             \
                raise |= cfl[c];                                              \
                const MT v = cval[c];         /* a bit select: vectorizes */  \
                const MT ident = (MT)0 - (MT)(c >= DC__CLS_IDENT);            \
                for (ptrdiff_t i = 0; i < m; i++) {                           \
                    MT k = (MT)0 - (MT)(cb[i] == (MT)c), xv, yv;              \
                    memcpy(&xv, xb + i, sizeof(T));                           \
                    memcpy(&yv, yb + i, sizeof(T));                           \
                    yv = (yv & ~k) | (((xv & ident) | (v & ~ident)) & k);     \
                    memcpy(yb + i, &yv, sizeof(T));                           \
                }                                                             \
            }                                                                 \
            if (have & lanewise)                                              \
                for (ptrdiff_t i = 0; i < m; i++)                             \
                    if (cb[i] < (MT)DC__NCLS && (lanewise >> cb[i] & 1u))     \
                        DC__FIX_LANE(FIXFN, i);                               \
            keep = dc_fpe_test_vec();                                         \
        }                                                                     \
    }                                                                         \
    now = dc_fpe_test_vec();                                                  \
    if (now & ~keep) dc_fpe_drop_vec(now & ~keep);                            \
    dc_fpe_raise(raise);                                                      \
}

/* f32 element wrappers: evaluate in double, round once */
#define DC__F32E(name)                                                        \
static inline float dc__##name##_f32e(float x) { return (float)dc__##name##_f64e((double)x); }
DC__F32E(exp) DC__F32E(exp2) DC__F32E(expm1) DC__F32E(log) DC__F32E(log2)
DC__F32E(log10) DC__F32E(log1p) DC__F32E(sin) DC__F32E(cos) DC__F32E(tan)
DC__F32E(asin) DC__F32E(acos) DC__F32E(atan) DC__F32E(sinh) DC__F32E(cosh)
DC__F32E(tanh) DC__F32E(asinh) DC__F32E(acosh) DC__F32E(atanh) DC__F32E(cbrt)

/* ================= explicit AVX-512 kernels ================= */
/* Where gcc's vectorization of an element kernel above leaves speed behind, the avx512
 * build has a block function of its own with intrinsics (the one exception to "no
 * intrinsics"); the other builds use the element kernels. f32 exp has the element
 * kernel's method and coefficients, and its results bit for bit (vscalef makes the same
 * exact 2^k; checked on every float32 of the f32 fast path); f32 tanh's differ in the last
 * bit where the quotient's rounding does (rcp14 and a Newton step for vdivps); f64 exp is
 * a table method of its own (below), within 0.66 ulp where the element kernel is 1.08.
 * The Intel Xeon of the first of these (one 512-bit FMA port) ran gcc's loops at about
 * one instruction a cycle: every instruction saved counts. Measured
 * in a bare C loop at n = 1e5 (ns an element, element kernels -> these): exp f32 0.50 ->
 * 0.30-0.36, exp f64 1.00 -> 0.70-0.84, tanh f32 0.80 -> 0.60-0.82 (vdivps was half of the
 * loop; the machine was shared, hence the spans). f32 exp's dc__expf_e (one instruction
 * more than the Taylor kernel, a degree fewer) measured level with it: 0.27-0.31. */
#if defined(__AVX512F__) && defined(__AVX512DQ__) && !defined(DC_SCALAR)
#define DC__VM512 1
#include <immintrin.h>
#define DC__PS(c) _mm512_set1_ps(c)

/* dc__expf_core on 16 lanes (|x| <= 87), the 2^k scale by vscalefps */
static inline __m512 dc__expf16_core(__m512 x)
{
    __m512 kf = _mm512_fmadd_ps(x, DC__PS(0x1.715476p+0f), DC__PS(0x1.8p23f));
    kf = _mm512_sub_ps(kf, DC__PS(0x1.8p23f));
    __m512 r = _mm512_fmadd_ps(kf, DC__PS(-0x1.62e4p-1f), x);
    r = _mm512_fmadd_ps(kf, DC__PS(-0x1.7f7d1cp-20f), r);
    __m512 r2 = _mm512_mul_ps(r, r);
    __m512 a0 = _mm512_fmadd_ps(DC__PS(0x1.555556p-3f), r, DC__PS(0.5f));
    __m512 a1 = _mm512_fmadd_ps(DC__PS(0x1.111112p-7f), r, DC__PS(0x1.555556p-5f));
    __m512 a2 = _mm512_fmadd_ps(DC__PS(0x1.a01a02p-13f), r, DC__PS(0x1.6c16c2p-10f));
    __m512 q = _mm512_fmadd_ps(_mm512_fmadd_ps(a2, r2, a1), r2, a0);
    __m512 p = _mm512_add_ps(DC__PS(1.0f), _mm512_fmadd_ps(r2, q, r));
    return _mm512_scalef_ps(p, kf);
}

/* dc__expf_e on 16 lanes (|x| <= 87), 2^k by vscalefps */
static inline __m512 dc__expf16_e(__m512 x)
{
    __m512 kf = _mm512_fmadd_ps(x, DC__PS(0x1.715476p+0f), DC__PS(0x1.8p23f));
    kf = _mm512_sub_ps(kf, DC__PS(0x1.8p23f));
    __m512 r1 = _mm512_fmadd_ps(kf, DC__PS(-0x1.62e4p-1f), x);
    __m512 c = _mm512_mul_ps(kf, DC__PS(-0x1.7f7d1cp-20f));
    __m512 r = _mm512_add_ps(r1, c);
    __m512 r2 = _mm512_mul_ps(r, r);
    __m512 a0 = _mm512_fmadd_ps(DC__PS(0x1.5554dep-3f), r, DC__PS(0.5f));
    __m512 a1 = _mm512_fmadd_ps(DC__PS(0x1.120afcp-7f), r, DC__PS(0x1.5555eap-5f));
    __m512 q = _mm512_fmadd_ps(_mm512_fmadd_ps(DC__PS(0x1.6c37ecp-10f), r2, a1), r2, a0);
    __m512 m = _mm512_add_ps(r1, _mm512_fmadd_ps(r2, q, c));
    __m512 s = _mm512_scalef_ps(DC__PS(1.0f), kf);
    return _mm512_fmadd_ps(m, s, s);
}

/* dc__tanhf_e on 16 lanes, 1 - 2 / (e + 1) with the quotient by rcp14 and one Newton step
 * (vdivps took half of the loop's time) */
static inline __m512 dc__tanhf16(__m512 x)
{
    const __m512i absm = _mm512_set1_epi32(0x7fffffff);
    __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), absm));
    __m512 ac = _mm512_min_ps(a, DC__PS(9.5f));          /* NaN: 9.5 (the small lane wins) */
    __m512 d = _mm512_add_ps(dc__expf16_core(_mm512_add_ps(ac, ac)), DC__PS(1.0f));
    __m512 r = _mm512_rcp14_ps(d);
    r = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, DC__PS(1.0f)), r);
    __m512 yl = _mm512_fnmadd_ps(DC__PS(2.0f), r, DC__PS(1.0f));
    __m512 z = _mm512_mul_ps(a, a);
    __m512 z2 = _mm512_mul_ps(z, z);
    __m512 b0 = _mm512_fmadd_ps(DC__PS(0x1.1110e8p-3f), z, DC__PS(-0x1.555556p-2f));
    __m512 b1 = _mm512_fmadd_ps(DC__PS(0x1.64a41p-6f), z, DC__PS(-0x1.ba0866p-5f));
    __m512 b2 = _mm512_fmadd_ps(DC__PS(0x1.2bfe04p-9f), z, DC__PS(-0x1.114ap-7f));
    __m512 P = _mm512_fmadd_ps(_mm512_fmadd_ps(b2, z2, b1), z2, b0);
    __m512 ys = _mm512_fmadd_ps(_mm512_mul_ps(a, z), P, a);
    __mmask16 small = _mm512_cmp_ps_mask(a, DC__PS(0.625f), _CMP_NGE_UQ);  /* or NaN */
    __m512i y = _mm512_castps_si512(_mm512_mask_blend_ps(small, yl, ys));
    /* | the sign of x: ternary logic (y | (x & ~absm)) */
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(y, _mm512_castps_si512(x), absm, 0xF4));
}

static inline uint32_t dc_vtanh_f32_blk(const float *DC__RESTRICT x, float *DC__RESTRICT y,
                                        ptrdiff_t m, const uint32_t *cv, unsigned ok)
{
    (void)cv; (void)ok;
    ptrdiff_t i = 0;
    for (; i + 16 <= m; i += 16)
        _mm512_storeu_ps(y + i, dc__tanhf16(_mm512_loadu_ps(x + i)));
    if (i < m) {
        __mmask16 k = (__mmask16)((1u << (m - i)) - 1);
        _mm512_mask_storeu_ps(y + i, k, dc__tanhf16(_mm512_maskz_loadu_ps(k, x + i)));
    }
    return 0;
}


/* exp on 8 lanes by a 16-entry table (an AVX-512 form of its own; the element kernel
 * dc__exp_f64e is the other builds'): x/ln2 rounded to a multiple of 1/16 by the
 * 1.5*2^48 shifter, kq = N/16, whose low 4 bits j in the shifted sum's bit pattern index
 * the table 2^(j/16) = TH[j] (1 + TL[j]) held in two register pairs (vpermt2pd); r = x -
 * kq ln2 (ln2 split hi/lo, kq ln2hi exact), |r| <= ln2/32; exp(x) = 2^floor(kq) TH[j]
 * (1 + TL[j] + r P(r)), P of degree 5 (own fit of expm1(r)/r, relative error 7.8e-16),
 * the 2^floor(kq) scale by vscalefpd (which floors). Max error 0.66 ulp over 4e6 inputs
 * against expl (the Cody-Waite kernel it replaced: 1.08), 8-15 % faster in a bare loop
 * (n = 1e5, the Intel Xeon with AVX-512 FP16); results differ from the element kernel's
 * in the last bit where either rounds differently. */
static const double dc__exp_th[16] __attribute__((aligned(64))) = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0};
static const double dc__exp_tl[16] __attribute__((aligned(64))) = {
    0x0.0p+0, 0x1.79aa65d837b6dp-54, -0x1.01b15eaa59348p-55, 0x1.68efde3a8a894p-54,
    0x1.34d754db0abb6p-55, 0x1.59f48a72a4c6dp-55, 0x1.690cebb7aafb0p-56, 0x1.063e1e21c5409p-54,
    -0x1.3b3efbf5e2228p-54, -0x1.b32dcb94da51dp-56, 0x1.db72fc1f0eab4p-55, 0x1.1affc2b91ce27p-56,
    0x1.c1a7792cb3387p-55, 0x1.36eae30af0cb3p-56, 0x1.4a385a63d07a7p-56, -0x1.ff7128fd391f0p-55};
typedef struct { __m512d th0, th1, tl0, tl1; } dc__exp8_tab;
static inline dc__exp8_tab dc__exp8_tables(void)
{
    dc__exp8_tab t = {_mm512_load_pd(dc__exp_th), _mm512_load_pd(dc__exp_th + 8),
                      _mm512_load_pd(dc__exp_tl), _mm512_load_pd(dc__exp_tl + 8)};
    return t;
}
static inline __m512d dc__exp8(__m512d x, const dc__exp8_tab *tab)
{
#define DC__PD(c) _mm512_set1_pd(c)
    __m512d t = _mm512_fmadd_pd(x, DC__PD(DC__LOG2E), DC__PD(0x1.8p48));
    __m512d kq = _mm512_sub_pd(t, DC__PD(0x1.8p48));
    __m512i j = _mm512_castpd_si512(t);
    __m512d r = _mm512_fnmadd_pd(kq, DC__PD(DC__LN2HI), x);
    r = _mm512_fnmadd_pd(kq, DC__PD(DC__LN2LO), r);
    __m512d th = _mm512_permutex2var_pd(tab->th0, j, tab->th1);
    __m512d tl = _mm512_permutex2var_pd(tab->tl0, j, tab->tl1);
    __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
    __m512d a = _mm512_fmadd_pd(DC__PD(0x1.fffffffffffe5p-2), r, DC__PD(0x1.0000000000003p+0));
    __m512d b = _mm512_fmadd_pd(DC__PD(0x1.55555556a73aep-5), r, DC__PD(0x1.555555546b68cp-3));
    __m512d c = _mm512_fmadd_pd(DC__PD(0x1.6c168d6c5c59ap-10), r, DC__PD(0x1.1112490e6a6c9p-7));
    __m512d P = _mm512_fmadd_pd(c, r4, _mm512_fmadd_pd(b, r2, a));
    __m512d p = _mm512_fmadd_pd(r, P, tl);
    return _mm512_scalef_pd(_mm512_fmadd_pd(th, p, th), kq);
#undef DC__PD
}

/* The explicit blocks' pass-2 classes (see "Pass-2 lanes by class"), written in the
 * vector unit by a second pass over a block that has pass-2 lanes (float64 exp and log;
 * float32 exp and log do it in their main loops, below): each vector's classes by
 * vfpclass and ordered compares, their values
 * from cv (a quiet NaN's: the input) by masked moves and one masked store. Returns 1 where a pass-2 lane is left for the driver
 * and bit 8 + c for each class c written (the driver raises its flags); without every
 * class's value in ok, 1 (the driver's pass does it all). The generic pass spent ~50
 * instructions a vector on the lanes' classes (float32 log of negative inputs 0.67 ns an
 * element against 0.24 for positive ones, NumPy's loop 0.34); these ~15. */
static inline uint64_t dc__exp8_fix(const double *x, double *y, ptrdiff_t m,
                                    const uint64_t *cv, unsigned ok)
{
    if ((ok & 0x3eu) != 0x3eu)
        return 1;
    const __m512i v1 = _mm512_set1_epi64((long long)cv[1]), v2 = _mm512_set1_epi64((long long)cv[2]);
    const __m512i v3 = _mm512_set1_epi64((long long)cv[3]), v4 = _mm512_set1_epi64((long long)cv[4]);
    __mmask8 under = 0, over = 0;
    __m512i acc = _mm512_setzero_si512();
    for (ptrdiff_t i = 0; i < m; i += 8) {
        __mmask8 k = m - i >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (m - i)) - 1);
        __m512d v = _mm512_maskz_loadu_pd(k, x + i);
        /* dc__exp_fx: |x| > 708 (inf, NaN too) */
        __mmask8 fx = _mm512_mask_cmp_pd_mask(k, _mm512_abs_pd(v), _mm512_set1_pd(708.0),
                                              _CMP_NLE_UQ);
        if (!fx)
            continue;
        __mmask8 c3 = _mm512_mask_fpclass_pd_mask(fx, v, 0x08);
        __mmask8 c4 = _mm512_mask_fpclass_pd_mask(fx, v, 0x10);
        __mmask8 c5 = _mm512_mask_fpclass_pd_mask(fx, v, 0x01);
        __mmask8 c1 = _mm512_mask_cmp_pd_mask(fx & (__mmask8)~c3, v, _mm512_set1_pd(710.0),
                                              _CMP_GE_OQ);
        __mmask8 c2 = _mm512_mask_cmp_pd_mask(fx & (__mmask8)~c4, v, _mm512_set1_pd(-746.0),
                                              _CMP_LE_OQ);
        __m512i r = _mm512_castpd_si512(v);
        r = _mm512_mask_mov_epi64(r, c1, v1);
        r = _mm512_mask_mov_epi64(r, c2, v2);
        r = _mm512_mask_mov_epi64(r, c3, v3);
        r = _mm512_mask_mov_epi64(r, c4, v4);
        __mmask8 all = c1 | c2 | c3 | c4 | c5;
        /* the bands 708 < |x| < 710, -746 < x < -708: pass 1's results stand (dc__exp8
         * scales by vscalefpd, which rounds a subnormal result once and overflows to inf);
         * NumPy's flags: underflow for a subnormal or zero result, overflow for inf */
        __mmask8 band = fx & (__mmask8)~all;
        band = _mm512_mask_cmp_pd_mask(band, _mm512_abs_pd(v), _mm512_set1_pd(746.0),
                                       _CMP_LT_OQ);
        if (band) {
            __m512d e = _mm512_maskz_loadu_pd(band, y + i);
            r = _mm512_mask_mov_epi64(r, band, _mm512_castpd_si512(e));
            all |= band;
            under |= _mm512_mask_fpclass_pd_mask(band, e, 0x26);
            over |= _mm512_mask_fpclass_pd_mask(band, e, 0x08);
        }
        _mm512_mask_storeu_epi64(y + i, all, r);
        acc = _mm512_mask_or_epi64(acc, c1, acc, _mm512_set1_epi64(1 << 9));
        acc = _mm512_mask_or_epi64(acc, c2, acc, _mm512_set1_epi64(1 << 10));
        acc = _mm512_mask_or_epi64(acc, c3, acc, _mm512_set1_epi64(1 << 11));
        acc = _mm512_mask_or_epi64(acc, c4, acc, _mm512_set1_epi64(1 << 12));
        acc = _mm512_mask_or_epi64(acc, c5, acc, _mm512_set1_epi64(1 << 13));
        acc = _mm512_mask_or_epi64(acc, fx & (__mmask8)~all, acc, _mm512_set1_epi64(1));
    }
    return (uint64_t)_mm512_reduce_or_epi64(acc) | (under ? DC__BLK_UNDERFLOW : 0u)
           | (over ? DC__BLK_OVERFLOW : 0u);
}
/* float64 log: pass-2 lanes (dc__log_fx) by vfpclass 0xff (all but positive normal);
 * classes 1: negative finite or -inf (0x50: not -0, not NaN), 2: +-0 (0x06), 3: +inf,
 * 5: quiet NaN; a positive subnormal by dc__log8_subnormal (no flag; lane by lane through
 * the C library it ran at 0.53x NumPy's loop on one thread, AMD EPYC); left: signalling
 * NaN */
static inline __m512d dc__log8_subnormal(__m512d x);
static inline uint64_t dc__log8_fix(const double *x, double *y, ptrdiff_t m,
                                    const uint64_t *cv, unsigned ok)
{
    if ((ok & 0x2eu) != 0x2eu)
        return 1;
    const __m512i v1 = _mm512_set1_epi64((long long)cv[1]);
    const __m512i v2 = _mm512_set1_epi64((long long)cv[2]);
    const __m512i v3 = _mm512_set1_epi64((long long)cv[3]);
    __m512i acc = _mm512_setzero_si512();
    for (ptrdiff_t i = 0; i < m; i += 8) {
        __mmask8 k = m - i >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (m - i)) - 1);
        __m512d v = _mm512_maskz_loadu_pd(k, x + i);
        __mmask8 fx = _mm512_mask_fpclass_pd_mask(k, v, 0xff);
        if (!fx)
            continue;
        __mmask8 c1 = _mm512_mask_fpclass_pd_mask(fx, v, 0x50);
        __mmask8 c2 = _mm512_mask_fpclass_pd_mask(fx, v, 0x06);
        __mmask8 c3 = _mm512_mask_fpclass_pd_mask(fx, v, 0x08);
        __mmask8 c5 = _mm512_mask_fpclass_pd_mask(fx, v, 0x01);
        __mmask8 sub = _mm512_mask_fpclass_pd_mask(fx, v, 0x20) & (__mmask8)~c1;
        __m512i r = _mm512_castpd_si512(v);
        if (sub)
            r = _mm512_mask_mov_epi64(r, sub, _mm512_castpd_si512(dc__log8_subnormal(v)));
        r = _mm512_mask_mov_epi64(r, c1, v1);
        r = _mm512_mask_mov_epi64(r, c2, v2);
        r = _mm512_mask_mov_epi64(r, c3, v3);
        __mmask8 all = c1 | c2 | c3 | c5 | sub;
        _mm512_mask_storeu_epi64(y + i, all, r);
        acc = _mm512_mask_or_epi64(acc, c1, acc, _mm512_set1_epi64(1 << 9));
        acc = _mm512_mask_or_epi64(acc, c2, acc, _mm512_set1_epi64(1 << 10));
        acc = _mm512_mask_or_epi64(acc, c3, acc, _mm512_set1_epi64(1 << 11));
        acc = _mm512_mask_or_epi64(acc, c5, acc, _mm512_set1_epi64(1 << 13));
        acc = _mm512_mask_or_epi64(acc, fx & (__mmask8)~all, acc, _mm512_set1_epi64(1));
    }
    return (uint64_t)_mm512_reduce_or_epi64(acc);
}

/* exp: the block functions of DC__BLOCK_FN for dc_vexp_f32 and dc_vexp_f64 (the same
 * FAST/SLOW/FX lanes and pass 1 semantics), with the 2^k scale by vscalef and the lane
 * tests kept per block instead of per-lane OR-ed masks: the largest |x| by vrangeps/pd
 * (max of magnitudes, sign cleared: one instruction a vector, compared into a mask at the
 * block's end instead of a horizontal reduction) and, f32, subnormal lanes by vfpclassps
 * into a mask. The AND + integer max + subtract + integer min they replaced cost f32 exp
 * 20 % of its loop (0.34 -> 0.27 ns an element in a bare loop at n = 1e5; 0.26 without
 * any test). A NaN lane does not move vrange's maximum (range(0, NaN) is 0): a NaN input
 * is no pass-2 lane there, and pass 1 gives it back (a signalling NaN's invalid flag is
 * not reported). */
/* 8 float lanes' exp by the double kernel, rounded once to float: a result below 2^-126
 * as the integer nearest e 2^149 (a subnormal float's bits; converting the double into a
 * subnormal float would take a microcode assist), the others by vcvtpd2ps (inf past
 * FLT_MAX); *under gets the subnormal-or-zero lanes of band (from bit sh on) */
static inline __m256 dc__exp8_to_f32(__m256 x, const dc__exp8_tab *tab, __mmask16 *under,
                                     int sh, __mmask16 band)
{
    /* the other lanes clamped into the band: no double underflow (an assist) for them */
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(89.0f)), _mm256_set1_ps(-104.0f));
    __m512d e = dc__exp8(_mm512_cvtps_pd(x), tab);
    __mmask8 small = _mm512_cmp_pd_mask(e, _mm512_set1_pd(0x1p-126), _CMP_LT_OQ);
    __m256 f = _mm512_cvtpd_ps(_mm512_mask_mov_pd(e, small, _mm512_setzero_pd()));
    __m256i b = _mm512_cvtpd_epi32(_mm512_mul_pd(e, _mm512_set1_pd(0x1p149)));
    f = _mm256_mask_mov_ps(f, small, _mm256_castsi256_ps(b));
    *under |= (__mmask16)(((unsigned)small << sh) & band);
    return f;
}
/* the band lanes (87 < |x| < 104) among a vector's pass-2 lanes b, by the double kernel
 * rounded once to float as FIXFN's (float)exp((double)x), their flags as NumPy's (a
 * subnormal or zero result: underflow, bit 16 of acc; inf: overflow, bit 17); returns the
 * lanes left (subnormal x, sNaN) */
static inline __mmask16 dc__exp16_band(__m512 v, __m512 *r, __m512i *acc, __mmask16 b)
{
    const dc__exp8_tab tab = dc__exp8_tables();
    __mmask16 under = 0;
    __mmask16 band = _mm512_mask_cmp_ps_mask(b, _mm512_abs_ps(v), _mm512_set1_ps(104.0f),
                                             _CMP_LT_OQ)
                     & (__mmask16)~_mm512_fpclass_ps_mask(v, 0x20);
    if (!band)
        return b;
    /* a half without band lanes is skipped (inputs spread over [-800, 0] or of sd 1000
     * hold a band lane in one vector in four or five, rarely in both halves) */
    __m512 e = *r;
    if (band & 0xffu)
        e = _mm512_insertf32x8(e, dc__exp8_to_f32(_mm512_castps512_ps256(v), &tab, &under, 0,
                                                  band), 0);
    if (band >> 8)
        e = _mm512_insertf32x8(e, dc__exp8_to_f32(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                                   _mm512_castps_pd(v), 1)), &tab, &under, 8, band), 1);
    *r = _mm512_mask_mov_ps(*r, band, e);
    *acc = _mm512_mask_or_epi32(*acc, under, *acc, _mm512_set1_epi32((int)DC__BLK_UNDERFLOW));
    *acc = _mm512_mask_or_epi32(*acc, _mm512_mask_fpclass_ps_mask(band, e, 0x08), *acc,
                                _mm512_set1_epi32((int)DC__BLK_OVERFLOW));
    return b & (__mmask16)~band;
}
/* a vector's exp classes (its pass-2 lanes b: x >= 89 and +inf give +inf, x <= -104 and
 * -inf give 0), the flags of the finite ones (overflow: bit 9 of acc, underflow: bit 10),
 * and the bands (dc__exp16_band); the lanes left (subnormal x, sNaN) go to rest, for the
 * driver's pass. A NaN is no lane of b (the ordered compare): pass 1 gives it back. Float32
 * exp of 10 % inf ran at 0.63x NumPy's loop with a second pass per block. */
#define DC__EXP16_CLASSES(v, b, r, acc, rest)                                           \
    do {                                                                                \
        __mmask16 ge = _mm512_cmp_ps_mask(v, _mm512_set1_ps(89.0f), _CMP_GE_OQ);         \
        __mmask16 le = _mm512_cmp_ps_mask(v, _mm512_set1_ps(-104.0f), _CMP_LE_OQ);       \
        __mmask16 inf = _mm512_fpclass_ps_mask(v, 0x18);                                \
        r = _mm512_mask_mov_ps(r, ge, _mm512_castsi512_ps(_mm512_set1_epi32(0x7f800000))); \
        r = _mm512_mask_mov_ps(r, le, _mm512_setzero_ps());                             \
        acc = _mm512_mask_or_epi32(acc, ge & (__mmask16)~inf, acc, _mm512_set1_epi32(1 << 9)); \
        acc = _mm512_mask_or_epi32(acc, le & (__mmask16)~inf, acc, _mm512_set1_epi32(1 << 10)); \
        acc = _mm512_mask_or_epi32(acc, b, acc, _mm512_set1_epi32((int)DC__BLK_SEEN));   \
        __mmask16 band_ = b & (__mmask16)~(ge | le);                                    \
        if (band_)                                                                      \
            rest |= dc__exp16_band(v, &r, &acc, band_);                                 \
    } while (0)
static inline uint32_t dc_vexp_f32_blk(const float *DC__RESTRICT x, float *DC__RESTRICT y,
                                       ptrdiff_t m, const uint32_t *cv, unsigned ok)
{
    __m512 amax = _mm512_setzero_ps();
    __mmask16 subn = 0;
    ptrdiff_t i = 0;
    /* the loop by classes takes the classes' values as IEEE gives them (1, 3: +inf; 2, 4:
     * 0), from a table that has them all and where +inf and quiet NaN raise nothing;
     * otherwise the driver's pass does every pass-2 lane */
    const int by_classes = (ok & (0x3eu | DC__OK_QUIET)) == (0x3eu | DC__OK_QUIET)
                           && cv[1] == 0x7f800000u && cv[2] == 0 && cv[3] == 0x7f800000u
                           && cv[4] == 0;
    /* the block before had pass-2 lanes: straight to the loop by classes (the first loop's
     * test is cheaper on ordinary inputs, but a block with pass-2 lanes then runs twice) */
    if (by_classes && (ok & DC__OK_HOT))
        goto classes;
    /* whole vectors unmasked (a mask per step cost 6 % of the loop), then the tail masked:
     * its masked-off lanes load as 0, which moves neither test */
    for (; i + 16 <= m; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        amax = _mm512_range_ps(amax, v, 0x0b);
        subn |= _mm512_fpclass_ps_mask(v, 0x20);                       /* denormal */
        _mm512_storeu_ps(y + i, dc__expf16_e(v));
    }
    if (i < m) {
        __mmask16 k = (__mmask16)((1u << (m - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, x + i);
        amax = _mm512_range_ps(amax, v, 0x0b);
        subn |= _mm512_fpclass_ps_mask(v, 0x20);
        _mm512_mask_storeu_ps(y + i, k, dc__expf16_e(v));
    }
    /* > 87 (inf too): these lanes are all pass-2 lanes (dc__exp_f32fx), so the others'
     * results stand */
    uint32_t big = _mm512_cmp_ps_mask(amax, _mm512_set1_ps(87.0f), _CMP_NLE_UQ) != 0;
    if (!(big | (subn != 0)))
        return 0;
    if (!by_classes)
        return 1;
    /* the block again, a vector with a pass-2 lane by its classes (the test and branch a
     * vector in the first loop cost ordinary inputs 7-11 %: bench_ab at 1e3 and 1e5). Its
     * lanes below -87 clamped (max(-87, x): a NaN stays) make no subnormal intermediates
     * (a microcode assist each: 1e5 inputs spread over [-800, 0] ran 6.4 ns an element,
     * clamped 2.3, before the band's results by integers) */
classes:
    i = 0;
    const __m512 absm = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    __m512i acc = _mm512_setzero_si512();
    __mmask16 rest = 0;
    for (; i + 16 <= m; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i), r;
        __mmask16 b = _mm512_cmp_ps_mask(_mm512_and_ps(v, absm), _mm512_set1_ps(87.0f),
                                         _CMP_GT_OQ) | _mm512_fpclass_ps_mask(v, 0x20);
        if (b) {
            r = dc__expf16_e(_mm512_max_ps(_mm512_set1_ps(-87.0f), v));
            DC__EXP16_CLASSES(v, b, r, acc, rest);
        } else {
            r = dc__expf16_e(v);
        }
        _mm512_storeu_ps(y + i, r);
    }
    if (i < m) {
        __mmask16 k = (__mmask16)((1u << (m - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, x + i);
        __m512 r = dc__expf16_e(_mm512_max_ps(_mm512_set1_ps(-87.0f), v));
        __mmask16 b = _mm512_cmp_ps_mask(_mm512_and_ps(v, absm), _mm512_set1_ps(87.0f),
                                         _CMP_GT_OQ) | _mm512_fpclass_ps_mask(v, 0x20);
        if (b)
            DC__EXP16_CLASSES(v, b, r, acc, rest);
        _mm512_mask_storeu_ps(y + i, k, r);
    }
    return (uint32_t)_mm512_reduce_or_epi32(acc) | (rest != 0);
}


/* the lanes' largest |x| kept by vrangepd (max of magnitudes, sign cleared; a NaN lane
 * does not move it, as for float32): one instruction a vector instead of an AND and an
 * integer max, and a compare into a mask at the end instead of a horizontal reduction */
static inline uint64_t dc_vexp_f64_blk(const double *DC__RESTRICT x, double *DC__RESTRICT y,
                                       ptrdiff_t m, const uint64_t *cv, unsigned ok)
{
    const dc__exp8_tab tab = dc__exp8_tables();
    __m512d amax = _mm512_setzero_pd();
    ptrdiff_t i = 0;
    for (; i + 8 <= m; i += 8) {                  /* whole vectors unmasked, as f32 */
        __m512d v = _mm512_loadu_pd(x + i);
        amax = _mm512_range_pd(amax, v, 0x0b);
        _mm512_storeu_pd(y + i, dc__exp8(v, &tab));
    }
    if (i < m) {
        __mmask8 k = (__mmask8)((1u << (m - i)) - 1);
        __m512d v = _mm512_maskz_loadu_pd(k, x + i);
        amax = _mm512_range_pd(amax, v, 0x0b);
        _mm512_mask_storeu_pd(y + i, k, dc__exp8(v, &tab));
    }
    /* > 708 or NaN (unordered): inf and nan too */
    if (!_mm512_cmp_pd_mask(amax, _mm512_set1_pd(708.0), _CMP_NLE_UQ))
        return 0;
    return dc__exp8_fix(x, y, m, cv, ok);
}

/* dc__log_f64e on 8 lanes with fewer instructions (the same reduction and coefficients):
 * k converted by vcvtqq2pd, R = z L folded into hfsq + R, lm = f + (s (hfsq + R) - hfsq)
 * by one FMA, k ln2 (hi + lo) by two. This CPU ran these loops at about one 512-bit
 * floating-point instruction a cycle, so their count is the loop's time (the division
 * is not the limit: rcp14 and two Newton steps in its place changed nothing): 0.83 ns
 * an element against 1.21 in a bare loop at n = 1e5; max 1.16 ulp against logl over
 * 6e6 inputs (every exponent, near 1, random mantissas), the element kernel 1.23. */
/* from iy = bits(x) - bits(sqrt(2)/2) and the exponent k (kd) it gives: dc__log8's body */
static inline __m512d dc__log8_core(__m512i iy, __m512d kd)
{
#define DC__PD(c) _mm512_set1_pd(c)
#define DC__PI(c) _mm512_set1_epi64((long long)(c))
    __m512d m = _mm512_castsi512_pd(_mm512_add_epi64(
        _mm512_and_si512(iy, DC__PI(0x000fffffffffffffULL)), DC__PI(0x3fe6a09e667f3bcdULL)));
    __m512d f = _mm512_sub_pd(m, DC__PD(1.0));
    __m512d s = _mm512_div_pd(f, _mm512_add_pd(f, DC__PD(2.0)));
    __m512d z = _mm512_mul_pd(s, s), z2 = _mm512_mul_pd(z, z), z4 = _mm512_mul_pd(z2, z2);
    __m512d a0 = _mm512_fmadd_pd(DC__PD(0x1.9999999999a37p-2), z, DC__PD(0x1.5555555555555p-1));
    __m512d a1 = _mm512_fmadd_pd(DC__PD(0x1.c71c720152441p-3), z, DC__PD(0x1.2492492476d18p-2));
    __m512d a2 = _mm512_fmadd_pd(DC__PD(0x1.3b1c34f61694ap-3), z, DC__PD(0x1.745cf906db5f1p-3));
    __m512d a3 = _mm512_fmadd_pd(DC__PD(0x1.0c0359023cf4cp-3), z, DC__PD(0x1.0fbe9e27e4261p-3));
    __m512d L = _mm512_fmadd_pd(_mm512_fmadd_pd(a3, z2, a2), z4, _mm512_fmadd_pd(a1, z2, a0));
    __m512d hfsq = _mm512_mul_pd(_mm512_mul_pd(DC__PD(0.5), f), f);
    __m512d t = _mm512_fmsub_pd(s, _mm512_fmadd_pd(z, L, hfsq), hfsq);
    return _mm512_fmadd_pd(kd, DC__PD(DC__LN2HI),
                           _mm512_fmadd_pd(kd, DC__PD(DC__LN2LO), _mm512_add_pd(f, t)));
#undef DC__PD
#undef DC__PI
}
static inline __m512d dc__log8(__m512d x)
{
    __m512i iy = _mm512_sub_epi64(_mm512_castpd_si512(x),
                                  _mm512_set1_epi64((long long)0x3fe6a09e667f3bcdULL));
    return dc__log8_core(iy, _mm512_cvtepi64_pd(_mm512_srai_epi64(iy, 52)));
}
/* positive subnormal x: x 2^52 (exact, normal) with k - 52, the same operations after */
static inline __m512d dc__log8_subnormal(__m512d x)
{
    __m512i iy = _mm512_sub_epi64(_mm512_castpd_si512(_mm512_mul_pd(x, _mm512_set1_pd(0x1p52))),
                                  _mm512_set1_epi64((long long)0x3fe6a09e667f3bcdULL));
    return dc__log8_core(iy, _mm512_sub_pd(_mm512_cvtepi64_pd(_mm512_srai_epi64(iy, 52)),
                                           _mm512_set1_pd(52.0)));
}

/* the pass-2 lanes of log (dc__log_fx: negative, zero, subnormal, inf, NaN) are exactly
 * vfpclasspd's classes 0xff but "positive normal"; the masked tail's lanes are left out */
static inline uint64_t dc_vlog_f64_blk(const double *DC__RESTRICT x, double *DC__RESTRICT y,
                                       ptrdiff_t m, const uint64_t *cv, unsigned ok)
{
    __mmask8 bad = 0;
    ptrdiff_t i = 0;
    for (; i + 8 <= m; i += 8) {
        __m512d v = _mm512_loadu_pd(x + i);
        bad |= _mm512_fpclass_pd_mask(v, 0xff);
        _mm512_storeu_pd(y + i, dc__log8(v));
    }
    if (i < m) {
        __mmask8 k = (__mmask8)((1u << (m - i)) - 1);
        __m512d v = _mm512_mask_loadu_pd(_mm512_set1_pd(1.0), k, x + i);
        bad |= _mm512_mask_fpclass_pd_mask(k, v, 0xff);
        _mm512_mask_storeu_pd(y + i, k, dc__log8(v));
    }
    if (!bad)
        return 0;
    return dc__log8_fix(x, y, m, cv, ok);
}

/* dc__logf_e on 16 lanes (the same operations in the same order: its results bit for
 * bit), the lane tests by vfpclassps: pass-2 lanes (dc__log_f32fx: negative, zero, inf,
 * NaN) and subnormal ones (the block again by the double path, as DC__BLOCK_FN's SLOW),
 * two instructions a vector where gcc's loop of the element kernel spent eleven on them */
static inline __m512 dc__logf16(__m512 x)
{
#define DC__PS_(c) _mm512_set1_ps(c)
    __m512i ix = _mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(0x3f2aaaab));
    __m512 kf = _mm512_cvtepi32_ps(_mm512_srai_epi32(ix, 23));
    __m512 f = _mm512_sub_ps(_mm512_castsi512_ps(_mm512_add_epi32(
        _mm512_and_si512(ix, _mm512_set1_epi32(0x007fffff)), _mm512_set1_epi32(0x3f2aaaab))),
        DC__PS_(1.0f));
    __m512 f2 = _mm512_mul_ps(f, f), f4 = _mm512_mul_ps(f2, f2);
    __m512 a0 = _mm512_fmadd_ps(DC__PS_(0x1.55552cp-2f), f, DC__PS_(-0.5f));
    __m512 a1 = _mm512_fmadd_ps(DC__PS_(0x1.99bf76p-3f), f, DC__PS_(-0x1.fffff2p-3f));
    __m512 a2 = _mm512_fmadd_ps(DC__PS_(0x1.1fdd46p-3f), f, DC__PS_(-0x1.556d88p-3f));
    __m512 a3 = _mm512_fmadd_ps(DC__PS_(0x1.19939cp-3f), f, DC__PS_(-0x1.f88a8ap-4f));
    __m512 b0 = _mm512_fmadd_ps(a1, f2, a0);
    __m512 b1 = _mm512_fmadd_ps(a3, f2, a2);
    __m512 P = _mm512_fmadd_ps(_mm512_fmadd_ps(DC__PS_(-0x1.f778a8p-4f), f4, b1), f4, b0);
    __m512 p = _mm512_fmadd_ps(f2, P, f);
    return _mm512_fmadd_ps(kf, DC__PS_(0x1.62e4p-1f),
                           _mm512_fmadd_ps(kf, DC__PS_(0x1.7f7d1cp-20f), p));
#undef DC__PS_
}

/* a vector's log classes (dc__log8_fix's) in the main loop, cv1 and cv2 the values of
 * classes 1 and 2: no second pass over the block (float32 log of negative inputs 0.43 ->
 * 0.33 ns an element in a bare loop) */
#define DC__LOG16_CLASSES(v, r, acc, cv1, cv2)                                          \
    do {                                                                                \
        __mmask16 c1 = _mm512_fpclass_ps_mask(v, 0x50), c2 = _mm512_fpclass_ps_mask(v, 0x06); \
        r = _mm512_mask_mov_ps(r, c1, cv1);                                             \
        r = _mm512_mask_mov_ps(r, c2, cv2);                                             \
        r = _mm512_mask_mov_ps(r, _mm512_fpclass_ps_mask(v, 0x09), v);   /* +inf, qNaN */ \
        acc = _mm512_mask_or_epi32(acc, c1, acc, _mm512_set1_epi32(1 << 9));            \
        acc = _mm512_mask_or_epi32(acc, c2, acc, _mm512_set1_epi32(1 << 10));           \
        acc = _mm512_mask_or_epi32(acc, _mm512_fpclass_ps_mask(v, 0x80), acc,           \
                                   _mm512_set1_epi32(1));                  /* sNaN */   \
    } while (0)
static inline uint32_t dc_vlog_f32_blk(const float *DC__RESTRICT x, float *DC__RESTRICT y,
                                       ptrdiff_t m, const uint32_t *cv, unsigned ok)
{
    __mmask16 bad = 0, subn = 0;
    ptrdiff_t i = 0;
    /* +inf and quiet NaN give themselves back with no flag (classes 3 and 5 as the table
     * found them): one select, nothing to track */
    if ((ok & (0x2eu | DC__OK_QUIET)) == (0x2eu | DC__OK_QUIET) && cv[3] == 0x7f800000u) {
        const __m512 cv1 = _mm512_castsi512_ps(_mm512_set1_epi32((int)cv[1]));
        const __m512 cv2 = _mm512_castsi512_ps(_mm512_set1_epi32((int)cv[2]));
        __m512i acc = _mm512_setzero_si512();
        for (; i + 16 <= m; i += 16) {
            __m512 v = _mm512_loadu_ps(x + i);
            __m512 r = dc__logf16(v);
            __mmask16 b = _mm512_fpclass_ps_mask(v, 0xff);   /* all but positive normal */
            if (b) {
                subn |= _mm512_fpclass_ps_mask(v, 0x20);
                DC__LOG16_CLASSES(v, r, acc, cv1, cv2);
            }
            _mm512_storeu_ps(y + i, r);
        }
        if (i < m) {
            __mmask16 k = (__mmask16)((1u << (m - i)) - 1);
            __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), k, x + i);
            __m512 r = dc__logf16(v);
            if (_mm512_fpclass_ps_mask(v, 0xff)) {
                subn |= _mm512_fpclass_ps_mask(v, 0x20);
                DC__LOG16_CLASSES(v, r, acc, cv1, cv2);
            }
            _mm512_mask_storeu_ps(y + i, k, r);
        }
        if (!subn)
            return (uint32_t)_mm512_reduce_or_epi32(acc);
        /* a subnormal input: the block again by the double path, its pass-2 lanes by the
         * driver's pass */
        for (i = 0; i < m; i++) y[i] = dc__log_f32e(x[i]);
        return 1;
    }
    /* without the classes' values (the hook): as before them, the driver's pass does
     * every pass-2 lane */
    for (; i + 16 <= m; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        bad |= _mm512_fpclass_ps_mask(v, 0xdf);          /* all but positive finite */
        subn |= _mm512_fpclass_ps_mask(v, 0x20);         /* denormal */
        _mm512_storeu_ps(y + i, dc__logf16(v));
    }
    if (i < m) {
        __mmask16 k = (__mmask16)((1u << (m - i)) - 1);
        __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), k, x + i);
        bad |= _mm512_mask_fpclass_ps_mask(k, v, 0xdf);
        subn |= _mm512_mask_fpclass_ps_mask(k, v, 0x20);
        _mm512_mask_storeu_ps(y + i, k, dc__logf16(v));
    }
    if (subn)
        for (i = 0; i < m; i++) y[i] = dc__log_f32e(x[i]);
    return bad != 0;
}

/* f32 sin/cos on 16 lanes. A vector within |x| <= 128: dc__trigf's float reduction and
 * polynomial (its operations in its order). A vector with 128 < |x| <= 2^20: the reduction
 * in double (x = j pi + r, cos (2j+1) pi/2 + r, pi/2 split in two doubles: m (pi/2)_hi
 * exact for |m| < 2^21), r rounded to float, then the float polynomial: a signal's phase
 * 2 pi f t runs to thousands of radians, and the double path there (the whole polynomial
 * in 8 lanes) ran at 0.47x NumPy's loop. Up to DC__TRIGF_MID the reduction runs in float
 * (dc__trigf16_mid), beyond in double. Lanes beyond 2^20, sNaN, tiny: pass 2. */
static inline __m512 dc__trigf16_poly(__m512 r, __m512i q)
{
#define DC__PS(c) _mm512_set1_ps(c)
    __m512 z = _mm512_mul_ps(r, r);
    __m512 z2 = _mm512_mul_ps(z, z);
    __m512 S = _mm512_fmadd_ps(
        _mm512_fmadd_ps(DC__PS(-0x1.9d989ap-26f), z2,
                        _mm512_fmadd_ps(DC__PS(0x1.719598p-19f), z, DC__PS(-0x1.a019p-13f))),
        z2, _mm512_fmadd_ps(DC__PS(0x1.11111p-7f), z, DC__PS(-0x1.555556p-3f)));
    __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(r, z), S, r);
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(y),
                                                _mm512_slli_epi32(q, 31)));
#undef DC__PS
}
/* jd = 2j + shift, j = x / pi (sin) or x / pi - 1/2 (cos) rounded; *q: j's parity bit
 * (the sign of the result) in bit 0 */
static inline __m512 dc__trigf16_jd(__m512 x, uint32_t shift, __m512i *q)
{
#define DC__PS(c) _mm512_set1_ps(c)
    __m512 jf = _mm512_add_ps(_mm512_fmadd_ps(x, DC__PS(0x1.45f306p-2f),
                                              DC__PS(shift ? -0.5f : 0.0f)), DC__PS(0x1.8p23f));
    *q = _mm512_xor_si512(_mm512_castps_si512(jf), _mm512_set1_epi32((int)shift));
    jf = _mm512_sub_ps(jf, DC__PS(0x1.8p23f));
    return _mm512_add_ps(_mm512_add_ps(jf, jf), DC__PS((float)shift));
#undef DC__PS
}
static inline __m512 dc__trigf16_small(__m512 x, uint32_t shift)
{
#define DC__PS(c) _mm512_set1_ps(c)
    __m512i q;
    __m512 jf = dc__trigf16_jd(x, shift, &q);
    __m512 r = _mm512_fmadd_ps(jf, DC__PS(-0x1.922p0f), x);
    r = _mm512_fmadd_ps(jf, DC__PS(0x1.2aefp-18f), r);
    r = _mm512_fmadd_ps(jf, DC__PS(-0x1.68c2p-39f), r);
    r = _mm512_fmadd_ps(jf, DC__PS(-0x1.a62634p-58f), r);
    return dc__trigf16_poly(r, q);
#undef DC__PS
}
/* 128 < |x| <= DC__TRIGF_MID in float as well: pi/2 = P1 + P2 + P3 + O(2^-76), P1 = pi/2
 * rounded to float. With |jd| < 2^16 (jd = 2j + shift), x - jd P1 is exact (a multiple of
 * 2^-23 below 2 in magnitude: |x - jd pi/2| <= pi/2 plus jd |pi/2 - P1| < 2^-7) and the
 * two FMA steps after it each round a value of r's own size once; the tail left out is
 * below 2^-59. The double path for these lanes (two 8-lane halves, converted both ways)
 * ran at 0.79-0.84x NumPy's loop on one thread (AMD EPYC, |x| ~ 1000). */
#define DC__TRIGF_MID 65536.0f
static inline __m512 dc__trigf16_mid(__m512 x, uint32_t shift)
{
#define DC__PS(c) _mm512_set1_ps(c)
    __m512i q;
    __m512 jf = dc__trigf16_jd(x, shift, &q);
    __m512 r = _mm512_fnmadd_ps(jf, DC__PS(0x1.921fb6p0f), x);
    r = _mm512_fnmadd_ps(jf, DC__PS(-0x1.777a5cp-25f), r);
    r = _mm512_fnmadd_ps(jf, DC__PS(-0x1.ee59dap-50f), r);
    return dc__trigf16_poly(r, q);
#undef DC__PS
}
static inline __m256 dc__trigf8_reduce(__m256 x, uint32_t shift, __m256i *q)
{
    __m512d xd = _mm512_cvtps_pd(x);
    __m512d jd = _mm512_add_pd(_mm512_fmadd_pd(xd, _mm512_set1_pd(0x1.45f306dc9c883p-2),
                                               _mm512_set1_pd(shift ? -0.5 : 0.0)),
                               _mm512_set1_pd(0x1.8p52));
    *q = _mm256_xor_si256(_mm512_cvtepi64_epi32(_mm512_castpd_si512(jd)),
                          _mm256_set1_epi32((int)shift));
    jd = _mm512_sub_pd(jd, _mm512_set1_pd(0x1.8p52));
    __m512d md = _mm512_add_pd(_mm512_add_pd(jd, jd), _mm512_set1_pd((double)shift));
    __m512d r = _mm512_fnmadd_pd(md, _mm512_set1_pd(0x1.921fb544p0), xd);   /* 33 bits */
    r = _mm512_fnmadd_pd(md, _mm512_set1_pd(0x1.0b4611a626331p-34), r);
    return _mm512_cvtpd_ps(r);
}
static inline __m512 dc__trigf16_big(__m512 x, uint32_t shift)
{
    __m256i qlo, qhi;
    __m256 rlo = dc__trigf8_reduce(_mm512_castps512_ps256(x), shift, &qlo);
    __m256 rhi = dc__trigf8_reduce(
        _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)), shift, &qhi);
    __m512 r = _mm512_insertf32x8(_mm512_castps256_ps512(rlo), rhi, 1);
    __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(qlo), qhi, 1);
    return dc__trigf16_poly(r, q);
}
/* +-inf lanes (classes 3 and 4, when the table has their value: NaN, invalid) are written
 * here and left out of the choice of path: with 10 % inf, four vectors in five held one,
 * took the double path and went to pass 2 (0.75x NumPy's loop on one thread). */
static inline uint32_t dc__trigf16_blk(const float *DC__RESTRICT x, float *DC__RESTRICT y,
                                       ptrdiff_t m, uint32_t shift, const uint32_t *cv,
                                       unsigned ok)
{
    const __m512 absm = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    const __mmask16 infok = (ok & 0x18u) == 0x18u ? (__mmask16)0xffff : 0;
    const __m512 cv3 = _mm512_castsi512_ps(_mm512_set1_epi32((int)cv[3]));
    const __m512 cv4 = _mm512_castsi512_ps(_mm512_set1_epi32((int)cv[4]));
    __mmask16 fx = 0, pinf = 0, ninf = 0;
    for (ptrdiff_t i = 0; i < m; i += 16) {
        __mmask16 k = m - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (m - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, x + i);
        __m512 a = _mm512_and_ps(v, absm);
        /* dc__sin_f32fx: |x| > 2^20 but quiet NaN, or tiny nonzero (+-inf: below) */
        __mmask16 f = (_mm512_mask_cmp_ps_mask(k, a, _mm512_set1_ps(0x1p20f), _CMP_NLE_UQ)
                       & (__mmask16)~_mm512_fpclass_ps_mask(v, 0x01))
                      | (_mm512_mask_cmp_ps_mask(k, a, _mm512_set1_ps(DC__TRIG32_UNDER),
                                                 _CMP_LT_OQ)
                         & (__mmask16)~_mm512_fpclass_ps_mask(v, 0x06));
        __mmask16 far = _mm512_cmp_ps_mask(a, _mm512_set1_ps(128.0f), _CMP_GT_OQ), inf = 0;
        __m512 r;
        if (far) {           /* (the common vector: one compare, as before the classes) */
            inf = _mm512_mask_fpclass_ps_mask(k & infok, v, 0x18);
            f &= (__mmask16)~inf;
            far &= (__mmask16)~inf;
        }
        if (!far)
            r = dc__trigf16_small(v, shift);
        else if (_mm512_mask_cmp_ps_mask(far, a, _mm512_set1_ps(DC__TRIGF_MID), _CMP_GT_OQ))
            r = dc__trigf16_big(v, shift);
        else
            r = dc__trigf16_mid(v, shift);
        if (!shift)                                             /* sin(+-0) = +-0 */
            r = _mm512_mask_mov_ps(r, _mm512_fpclass_ps_mask(v, 0x06), v);
        if (inf) {
            __mmask16 p = inf & _mm512_fpclass_ps_mask(v, 0x08);
            r = _mm512_mask_mov_ps(_mm512_mask_mov_ps(r, p, cv3), inf & (__mmask16)~p, cv4);
            pinf |= p;
            ninf |= inf & (__mmask16)~p;
        }
        fx |= f;
        _mm512_mask_storeu_ps(y + i, k, r);
    }
    return (uint32_t)(fx != 0) | (pinf ? 1u << (8 + 3) : 0u) | (ninf ? 1u << (8 + 4) : 0u);
}
static inline uint32_t dc_vsin_f32_blk(const float *DC__RESTRICT x, float *DC__RESTRICT y,
                                       ptrdiff_t m, const uint32_t *cv, unsigned ok)
{
    return dc__trigf16_blk(x, y, m, 0u, cv, ok);
}
static inline uint32_t dc_vcos_f32_blk(const float *DC__RESTRICT x, float *DC__RESTRICT y,
                                       ptrdiff_t m, const uint32_t *cv, unsigned ok)
{
    return dc__trigf16_blk(x, y, m, 1u, cv, ok);
}
#else
#define DC__VM512 0
#endif

#if DC__VM512
DC__UNARY_DRV(dc_vexp_f64, double, uint64_t, dc__exp_fx, exp, dc__exp)
DC__UNARY_DRV(dc_vexp_f32, float, uint32_t, dc__exp_f32fx, dc__exp_f32np, dc__exp)
#else
DC__UNARY_C(dc_vexp_f64, double, uint64_t, dc__exp_f64e, dc__exp_fx, exp, dc__exp)
DC__UNARY_SELC(dc_vexp_f32, float, uint32_t, dc__exp_f32e, dc__expf_e, dc__expf_slow,
               dc__exp_f32fx, dc__exp_f32np, dc__exp)
#endif
DC__UNARY(dc_vexp2_f64, double, uint64_t, dc__exp2_f64e, dc__exp2_fx, exp2)
DC__UNARY(dc_vexp2_f32, float, uint32_t, dc__exp2_f32e, dc__exp2_f32fx, dc__exp2_f32fix)
DC__UNARY(dc_vexpm1_f64, double, uint64_t, dc__expm1_f64e, dc__expm1_fx, expm1)
DC__UNARY(dc_vexpm1_f32, float, uint32_t, dc__expm1_f32e, dc__expm1_f32fx, dc__expm1_f32fix)
#if DC__VM512
DC__UNARY_DRV(dc_vlog_f64, double, uint64_t, dc__log_fx, log, dc__log)
DC__UNARY_DRV(dc_vlog_f32, float, uint32_t, dc__log_f32fx, dc__log_f32np, dc__log)
#else
DC__UNARY_C(dc_vlog_f64, double, uint64_t, dc__log_f64e, dc__log_fx, log, dc__log)
DC__UNARY_SELC(dc_vlog_f32, float, uint32_t, dc__log_f32e, dc__logf_e, dc__logf_slow,
               dc__log_f32fx, dc__log_f32np, dc__log)
#endif
DC__UNARY_C(dc_vlog2_f64, double, uint64_t, dc__log2_f64e, dc__log_fx, log2, dc__log)
DC__UNARY_C(dc_vlog2_f32, float, uint32_t, dc__log2_f32e, dc__log_f32fx, dc__log2_f32fix,
            dc__log)
DC__UNARY_C(dc_vlog10_f64, double, uint64_t, dc__log10_f64e, dc__log_fx, log10,
            dc__log)
DC__UNARY_C(dc_vlog10_f32, float, uint32_t, dc__log10_f32e, dc__log_f32fx, dc__log10_f32fix,
            dc__log)
DC__UNARY_C(dc_vlog1p_f64, double, uint64_t, dc__log1p_f64e, dc__log1p_fx, log1p,
            dc__log1p)
DC__UNARY_C(dc_vlog1p_f32, float, uint32_t, dc__log1p_f32e, dc__log1p_f32fx, dc__log1p_f32fix,
            dc__log1p)
DC__UNARY(dc_vsin_f64, double, uint64_t, dc__sin_f64e, dc__sin_fx, sin)
#if DC__VM512
DC__UNARY_DRV(dc_vsin_f32, float, uint32_t, dc__sin_f32fx, dc__sin_f32np, dc__gen)
#else
DC__UNARY_SEL(dc_vsin_f32, float, uint32_t, dc__sin_f32e, dc__sinf_e, dc__trigf_slow,
              dc__sin_f32fx, dc__sin_f32np)
#endif
DC__UNARY(dc_vcos_f64, double, uint64_t, dc__cos_f64e, dc__cos_fx, cos)
#if DC__VM512
DC__UNARY_DRV(dc_vcos_f32, float, uint32_t, dc__sin_f32fx, dc__cos_f32np, dc__gen)
#else
DC__UNARY_SEL(dc_vcos_f32, float, uint32_t, dc__cos_f32e, dc__cosf_e, dc__trigf_slow,
              dc__sin_f32fx, dc__cos_f32np)
#endif
DC__UNARY(dc_vtan_f64, double, uint64_t, dc__tan_f64e, dc__sin_fx, tan)
DC__UNARY(dc_vtan_f32, float, uint32_t, dc__tan_f32e, dc__tan_f32fx, dc__tan_f32fix)
DC__UNARY(dc_varcsin_f64, double, uint64_t, dc__asin_f64e, dc__asin_fx, asin)
DC__UNARY(dc_varcsin_f32, float, uint32_t, dc__asin_f32e, dc__asin_f32fx, dc__asin_f32fix)
DC__UNARY(dc_varccos_f64, double, uint64_t, dc__acos_f64e, dc__acos_fx, acos)
DC__UNARY(dc_varccos_f32, float, uint32_t, dc__acos_f32e, dc__acos_f32fx, dc__acos_f32fix)
DC__UNARY(dc_varctan_f64, double, uint64_t, dc__atan_f64e, dc__atan_fx, atan)
DC__UNARY(dc_varctan_f32, float, uint32_t, dc__atan_f32e, dc__atan_f32fx, dc__atan_f32fix)
DC__UNARY(dc_vsinh_f64, double, uint64_t, dc__sinh_f64e, dc__sinh_fx, sinh)
DC__UNARY(dc_vsinh_f32, float, uint32_t, dc__sinh_f32e, dc__sinh_f32fx, dc__sinh_f32fix)
DC__UNARY(dc_vcosh_f64, double, uint64_t, dc__cosh_f64e, dc__cosh_fx, cosh)
DC__UNARY(dc_vcosh_f32, float, uint32_t, dc__cosh_f32e, dc__cosh_f32fx, dc__cosh_f32fix)
DC__UNARY(dc_vtanh_f64, double, uint64_t, dc__tanh_f64e, dc__none_fx, dc__noop)
#if DC__VM512
DC__UNARY_DRV(dc_vtanh_f32, float, uint32_t, dc__none_f32fx, dc__noop, dc__gen)
#else
DC__UNARY_SEL(dc_vtanh_f32, float, uint32_t, dc__tanh_f32e, dc__tanhf_e, dc__never_float,
              dc__none_f32fx, dc__noop)
#endif
DC__UNARY(dc_varcsinh_f64, double, uint64_t, dc__asinh_f64e, dc__asinh_fx, asinh)
DC__UNARY(dc_varcsinh_f32, float, uint32_t, dc__asinh_f32e, dc__asinh_f32fx, dc__asinh_f32fix)
DC__UNARY(dc_varccosh_f64, double, uint64_t, dc__acosh_f64e, dc__acosh_fx, acosh)
DC__UNARY(dc_varccosh_f32, float, uint32_t, dc__acosh_f32e, dc__acosh_f32fx, dc__acosh_f32fix)
DC__UNARY(dc_varctanh_f64, double, uint64_t, dc__atanh_f64e, dc__atanh_fx, atanh)
DC__UNARY(dc_varctanh_f32, float, uint32_t, dc__atanh_f32e, dc__atanh_f32fx, dc__atanh_f32fix)
DC__UNARY(dc_vcbrt_f64, double, uint64_t, dc__cbrt_f64e, dc__cbrt_fx, cbrt)
DC__UNARY(dc_vcbrt_f32, float, uint32_t, dc__cbrt_f32e, dc__cbrt_f32fx, dc__cbrt_f32fix)

#endif /* DC_VMATH_H */
