/* Element helpers with NumPy's exact semantics where C's differ (floor division and
 * remainder). Type-generic through GCC/Clang statement expressions; used by the rendered
 * kernel header (dc_kernels_gen.h). */
#ifndef DC_SCALAR_H
#define DC_SCALAR_H
#include <math.h>
#include "dc_fpe.h"

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
    if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; }                             \
    else mod = copysign##SFX##_fn((T)0, b);                                           \
    return mod;                                                                       \
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

#endif
