/* Placeholder until the vectorized implementation lands: correct scalar libm loops. */
#ifndef DC_VMATH_H
#define DC_VMATH_H
#include <math.h>
#include <stddef.h>
#define DC_VM1(name, fn32, fn64) \
static inline void dc_v##name##_f32(const float *x, float *y, ptrdiff_t n) { for (ptrdiff_t i = 0; i < n; i++) y[i] = fn32(x[i]); } \
static inline void dc_v##name##_f64(const double *x, double *y, ptrdiff_t n) { for (ptrdiff_t i = 0; i < n; i++) y[i] = fn64(x[i]); }
DC_VM1(exp, expf, exp) DC_VM1(exp2, exp2f, exp2) DC_VM1(expm1, expm1f, expm1)
DC_VM1(log, logf, log) DC_VM1(log2, log2f, log2) DC_VM1(log10, log10f, log10) DC_VM1(log1p, log1pf, log1p)
DC_VM1(sin, sinf, sin) DC_VM1(cos, cosf, cos) DC_VM1(tan, tanf, tan)
DC_VM1(arcsin, asinf, asin) DC_VM1(arccos, acosf, acos) DC_VM1(arctan, atanf, atan)
DC_VM1(sinh, sinhf, sinh) DC_VM1(cosh, coshf, cosh) DC_VM1(tanh, tanhf, tanh)
DC_VM1(arcsinh, asinhf, asinh) DC_VM1(arccosh, acoshf, acosh) DC_VM1(arctanh, atanhf, atanh)
DC_VM1(cbrt, cbrtf, cbrt)
#endif
