/* Element helpers with NumPy's exact semantics where C's differ (floor division and
 * remainder). Type-generic through GCC/Clang statement expressions; used by the rendered
 * kernel header (dc_kernels_gen.h). */
#ifndef DC_SCALAR_H
#define DC_SCALAR_H
#include <math.h>
#include <stdint.h>
#include "dc_fpe.h"
#include "dc_loops.h"

/* Signed floor division as Python/NumPy: rounds toward -inf; x // 0 == 0 and raises the
 * divide-by-zero flag; MIN // -1 wraps to MIN and raises the overflow flag (as NumPy). */
#define dc_floordiv_s(a, b, zero) __extension__({                                     \
    __typeof__(zero) _a = (a), _b = (b), _q;                                             \
    if (_b == 0) { dc_fpe_divbyzero(); _q = (zero); }                                 \
    else if (_b == -1) {                                                              \
        _q = (__typeof__(zero))(0 - _a);                                              \
        if (_a < 0 && _q < 0) dc_fpe_overflow();                                      \
    }                                                                                 \
    else { _q = _a / _b; if ((_a % _b != 0) && ((_a < 0) != (_b < 0))) _q -= 1; }     \
    _q; })

/* Signed remainder with the sign of the divisor; x % 0 == 0 (divide-by-zero flag). */
#define dc_mod_s(a, b, zero) __extension__({                                          \
    __typeof__(zero) _a = (a), _b = (b), _r;                                             \
    if (_b == 0) { dc_fpe_divbyzero(); _r = (zero); }                                 \
    else if (_b == -1) _r = (zero);                                                   \
    else { _r = _a % _b; if (_r != 0 && ((_r < 0) != (_b < 0))) _r += _b; }           \
    _r; })

/* Float divmod as Python's float_divmod (and NumPy's npy_divmod). */
#define DC_DEFINE_FLOAT_DIVMOD(T, SFX)                                                \
static inline T dc_mod_##SFX(T a, T b) {                                              \
    T mod;                                                                            \
    if (a != a || b != b) return a + b;     /* NaN in: NaN out, quietly (NumPy) */    \
    if (b == 0) return fmod##SFX##_fn(a, b);                                          \
    mod = fmod##SFX##_fn(a, b);                                                       \
    /* the fix-ups as selects, not branches: with operands of both signs the branches  \
       mispredicted (0.85x NumPy's loop on one thread) */                             \
    mod += ((b < 0) != (mod < 0)) & (mod != 0) ? b : (T)0;                            \
    return mod != 0 ? mod : copysign##SFX##_fn((T)0, b);                              \
}                                                                                     \
static inline T dc_floordiv_##SFX(T a, T b) {                                         \
    T mod, div, floordiv;                                                             \
    if (a != a || b != b) return a + b;                                               \
    if (b == 0) return a / b;                                                         \
    mod = fmod##SFX##_fn(a, b);                                                       \
    div = (a - mod) / b;                                                              \
    if (mod != 0) { if ((b < 0) != (mod < 0)) div -= (T)1; }                          \
    if (div != 0) {                                                                   \
        floordiv = floor##SFX##_fn(div);                                              \
        if (div - floordiv > (T)0.5) floordiv += (T)1;                                \
    } else {                                                                          \
        floordiv = copysign##SFX##_fn((T)0, a / b);                                   \
    }                                                                                 \
    return floordiv;                                                                  \
}

#define fmodf4_fn fmodf
#define copysignf4_fn copysignf
#define floorf4_fn floorf
#define fmodf8_fn fmod
#define copysignf8_fn copysign
#define floorf8_fn floor
DC_DEFINE_FLOAT_DIVMOD(float, f4)
DC_DEFINE_FLOAT_DIVMOD(double, f8)

#define dc_floordiv_f(a, b) _Generic((a), float: dc_floordiv_f4, double: dc_floordiv_f8)(a, b)
#define dc_mod_f(a, b) _Generic((a), float: dc_mod_f4, double: dc_mod_f8)(a, b)

/* Integer division by one divisor for a whole run (`array // 3`, `array % 7`): the
 * quotient by a multiplication with a magic number (Granlund & Montgomery, "Division by
 * invariant integers using multiplication", 1994, figures 4.1 and 5.1; the method of
 * libdivide, which NumPy's `array // scalar` uses), then NumPy's floor rounding and the
 * remainder with the divisor's sign from it. Every integer type goes through 64 bits.
 * Divisors 0, 1 and -1 keep the element-wise expressions (their flags and wrapping). */
#if defined(__SIZEOF_INT128__)
typedef struct { int64_t m; int sh; } dc_sdiv;
typedef struct { uint64_t m; int sh1, sh2; } dc_udiv;

static inline int dc_ceil_log2_u64(uint64_t d) {          /* d >= 1 */
    return d == 1 ? 0 : 64 - __builtin_clzll(d - 1);
}

/* |d| >= 2 */
static inline dc_sdiv dc_sdiv_init(int64_t d) {
    dc_sdiv p;
    uint64_t ad = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    int l = dc_ceil_log2_u64(ad);
    unsigned __int128 q;
    if (l < 1) l = 1;
    q = ((unsigned __int128)1 << (63 + l)) / ad;
    p.m = (int64_t)(uint64_t)(q + 1);          /* 1 + q - 2^64, modulo 2^64 */
    p.sh = l - 1;
    return p;
}

/* n / d rounded toward zero (d the divisor of p, dsign = d >> 63) */
static inline int64_t dc_sdiv_trunc(int64_t n, dc_sdiv p, int64_t dsign) {
    int64_t hi = (int64_t)(((__int128)p.m * (__int128)n) >> 64);
    int64_t q0 = (int64_t)((uint64_t)n + (uint64_t)hi);
    q0 = (q0 >> p.sh) - (n >> 63);
    return (q0 ^ dsign) - dsign;
}

/* d >= 1 */
static inline dc_udiv dc_udiv_init(uint64_t d) {
    dc_udiv p;
    int l = dc_ceil_log2_u64(d);
    unsigned __int128 top = ((unsigned __int128)1 << l) - d;    /* 2^l - d < d */
    p.m = (uint64_t)((top << 64) / d + 1);
    p.sh1 = l < 1 ? l : 1;
    p.sh2 = l > 1 ? l - 1 : 0;
    return p;
}

static inline uint64_t dc_udiv_q(uint64_t n, dc_udiv p) {
    uint64_t t1 = (uint64_t)(((unsigned __int128)p.m * n) >> 64);
    return (t1 + ((n - t1) >> p.sh1)) >> p.sh2;
}

/* o[i] = a[i] // b (mod == 0) or a[i] % b (mod == 1) for NumPy's signed types; returns 0
 * (nothing written) for the divisors the element-wise expressions keep. */
/* A positive divisor 2 <= d < 2^63 of dividends 0 <= x < 2^63: q = mulhi(x, m) >> sh with
 * m = floor(2^(63+l) / d) + 1, l = ceil(log2 d) (G&M theorem 4.2 with N = 63; m < 2^64). A
 * negative n is floored as ~(~n / d): ~n >= 0 never overflows. */
typedef struct { uint64_t m; int sh; } dc_pdiv;
static inline dc_pdiv dc_pdiv_init(uint64_t d) {
    dc_pdiv p;
    int l = dc_ceil_log2_u64(d);
    p.m = (uint64_t)(((unsigned __int128)1 << (63 + l)) / d + 1);
    p.sh = l - 1;
    return p;
}
static inline int64_t dc_pdiv_floor(int64_t n, dc_pdiv p) {
    int64_t s = n >> 63;
    uint64_t x = (uint64_t)(n ^ s);
    return (int64_t)((uint64_t)(((unsigned __int128)x * p.m) >> 64) >> p.sh) ^ s;
}

#define DC_DEFINE_DIVS_S(t, T)                                                        \
static int dc_divs_##t(const T *DC_RESTRICT a, T b, T *DC_RESTRICT o, ptrdiff_t n,    \
                       int mod) {                                                     \
    const int64_t d = (int64_t)b, ds = d >> 63;                                       \
    if (d == 0 || d == 1 || d == -1) return 0;                                        \
    if (d > 0) {                                                                      \
        dc_pdiv p = dc_pdiv_init((uint64_t)d);                                        \
        if (mod) for (ptrdiff_t i = 0; i < n; i++) {                                  \
            int64_t x = (int64_t)a[i];                                                \
            o[i] = (T)(x - dc_pdiv_floor(x, p) * d);                                  \
        }                                                                             \
        else for (ptrdiff_t i = 0; i < n; i++) o[i] = (T)dc_pdiv_floor((int64_t)a[i], p); \
        return 1;                                                                     \
    }                                                                                 \
    dc_sdiv p = dc_sdiv_init(d);                                                      \
    if (mod) {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) {                                           \
            int64_t x = (int64_t)a[i], q = dc_sdiv_trunc(x, p, ds), r = x - q * d;    \
            o[i] = (T)((r != 0 && ((r ^ d) < 0)) ? r + d : r);                        \
        }                                                                             \
    } else {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                           \
            int64_t x = (int64_t)a[i], q = dc_sdiv_trunc(x, p, ds), r = x - q * d;    \
            o[i] = (T)((r != 0 && ((r ^ d) < 0)) ? q - 1 : q);                        \
        }                                                                             \
    }                                                                                 \
    return 1;                                                                         \
}
#define DC_DEFINE_DIVS_U(t, T)                                                        \
static int dc_divs_##t(const T *DC_RESTRICT a, T b, T *DC_RESTRICT o, ptrdiff_t n,    \
                       int mod) {                                                     \
    const uint64_t d = (uint64_t)b;                                                   \
    dc_udiv p;                                                                        \
    if (d <= 1) return 0;                                                             \
    p = dc_udiv_init(d);                                                              \
    if (mod) {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) {                                           \
            uint64_t x = (uint64_t)a[i];                                              \
            o[i] = (T)(x - dc_udiv_q(x, p) * d);                                      \
        }                                                                             \
    } else {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) o[i] = (T)dc_udiv_q((uint64_t)a[i], p);     \
    }                                                                                 \
    return 1;                                                                         \
}
#else     /* no 128-bit integers: every divisor keeps the element-wise expressions */
#define DC_DEFINE_DIVS_S(t, T)                                                        \
static int dc_divs_##t(const T *a, T b, T *o, ptrdiff_t n, int mod) {                 \
    (void)a; (void)b; (void)o; (void)n; (void)mod; return 0;                          \
}
#define DC_DEFINE_DIVS_U(t, T) DC_DEFINE_DIVS_S(t, T)
#endif

#endif
