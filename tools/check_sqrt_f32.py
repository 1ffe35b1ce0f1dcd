#!/usr/bin/env python3
"""Exhaustive check of the AVX-512 float32 sqrt (dc_sqrt_f32_v in
dotcompute/_core/src/dc_loops.h): every one of the 2^32 float32 bit patterns through the
array function, bit for bit against vsqrtps (correctly rounded, as NumPy's sqrt; any NaN
equals any NaN), and every float of the fast path's range through the fast path alone.
Compiles a small C driver with gcc -march=x86-64-v4; needs an AVX-512 CPU (~40 s).

    python tools/check_sqrt_f32.py
"""
import os
import subprocess
import sys
import tempfile

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dotcompute", "_core",
                   "src")

DRIVER = r"""
#include <stdio.h>
#include <string.h>
#include "dc_loops.h"
int main(void) {
    enum { B = 1 << 20 };
    static float x[B], y[B], z[B];
    unsigned long long bad = 0, bad2 = 0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) { printf("no AVX-512 here\n"); return 2; }
    for (unsigned long long base = 0; base < (1ull << 32); base += B) {
        for (unsigned i = 0; i < B; i++) { unsigned u = (unsigned)(base + i); memcpy(&x[i], &u, 4); }
        dc_sqrt_f32_v(x, y, B);
        for (unsigned i = 0; i < B; i += 16)
            _mm512_storeu_ps(z + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
        for (unsigned i = 0; i < B; i++)
            if (memcmp(&y[i], &z[i], 4) && !(y[i] != y[i] && z[i] != z[i])) {
                if (bad++ < 5) printf("x=%a got %a want %a\n", x[i], y[i], z[i]);
            }
    }
    for (unsigned u = 0x1f800000u; u < 0x7e800000u; u += 16) {
        __m512 xs = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_set1_epi32((int)u),
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
        __mmask16 ne = _mm512_cmp_epi32_mask(_mm512_castps_si512(dc__sqrt16_nr(xs)),
                                             _mm512_castps_si512(_mm512_sqrt_ps(xs)),
                                             _MM_CMPINT_NE);
        if (ne && bad2 < 5) printf("fast path differs at 0x%08x + lanes %04x\n", u, ne);
        bad2 += (unsigned long long)__builtin_popcount(ne);
    }
    printf("mismatches: array function %llu, fast path %llu\n", bad, bad2);
    return bad || bad2;
}
"""


def main():
    with tempfile.TemporaryDirectory(prefix="check_sqrt_f32_") as tmp:
        c, exe = os.path.join(tmp, "drv.c"), os.path.join(tmp, "drv")
        with open(c, "w") as f:
            f.write(DRIVER)
        subprocess.run(["gcc", "-O2", "-march=x86-64-v4", "-I", SRC, c, "-o", exe, "-lm"],
                       check=True)
        return subprocess.run([exe]).returncode


if __name__ == "__main__":
    sys.exit(main())
