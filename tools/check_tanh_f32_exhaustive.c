/* Exhaustive float32 check of dc_vtanh_f32 (dc_vmath.h): every float32 input through the path
 * the build uses (the AVX-512 block with -march=x86-64-v4, the element kernel otherwise),
 * error in ulps of float at the reference (as tools/check_vmath.py) against glibc's double
 * tanh; also exact sign symmetry (tanh(-x) = -tanh(x) bit for bit), NaN -> NaN, tanh(+-0) =
 * +-0, tanh(+-inf) = +-1, and no result above 1. About a minute a build on one core:
 *   for m in x86-64 x86-64-v3 x86-64-v4; do
 *     gcc -O3 -fno-math-errno -ffp-contract=off -march=$m -Idotcompute/_core/src \
 *         tools/check_tanh_f32_exhaustive.c -o /tmp/tanh_exh_$m -lm && /tmp/tanh_exh_$m; done
 * Exit status non-zero on a symmetry, special-value or above-1 failure. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "dc_vmath.h"
#define CH (1 << 20)
static float xs[CH], ys[CH], xn[CH], ynn[CH];
int main(void)
{
    double maxe = 0; uint32_t worst = 0; long bad_sym = 0, bad_special = 0, over1 = 0;
    for (uint64_t base = 0; base < 0x80000000ull; base += CH) {
        for (int i = 0; i < CH; i++) {
            uint32_t u = (uint32_t)(base + i);
            memcpy(&xs[i], &u, 4); u |= 0x80000000u; memcpy(&xn[i], &u, 4);
        }
        dc_vtanh_f32(xs, ys, CH, 4, 4);
        dc_vtanh_f32(xn, ynn, CH, 4, 4);
        for (int i = 0; i < CH; i++) {
            float x = xs[i], y = ys[i];
            uint32_t uy, un; memcpy(&uy, &y, 4); memcpy(&un, &ynn[i], 4);
            if (isnan(x)) { if (!isnan(y) || !isnan(ynn[i])) bad_special++; continue; }
            if ((uy ^ 0x80000000u) != un) bad_sym++;
            if (y > 1.0f) over1++;
            double r = tanh((double)x);
            int e; frexp(r == 0 ? 1.0 : r, &e); e -= 1; if (e < -126) e = -126;
            double err = fabs((double)y - r) / ldexp(1.0, e - 23);
            if (err > maxe) { maxe = err; worst = (uint32_t)(base + i); }
        }
    }
    float inf = INFINITY, t[4] = {0.0f, -0.0f, inf, -inf}, o[4];
    dc_vtanh_f32(t, o, 4, 4, 4);
    uint32_t ob[4]; memcpy(ob, o, 16);
    if (ob[0] != 0u || ob[1] != 0x80000000u || o[2] != 1.0f || o[3] != -1.0f) bad_special++;
    float wx; memcpy(&wx, &worst, 4);
    float wy; dc_vtanh_f32(&wx, &wy, 1, 4, 4);
    printf("max ulp %.4f at x = %a (%.9g): got %a, tanh = %.12g; sym-mismatch %ld special-bad %ld y>1 %ld\n",
           maxe, wx, wx, wy, tanh((double)wx), bad_sym, bad_special, over1);
    return (bad_sym || bad_special || over1) ? 1 : 0;
}
