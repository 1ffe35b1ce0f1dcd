/* Byte copies that avoid glibc's slow case on AMD Zen.
 *
 * For copies from 2 KiB up to its non-temporal threshold glibc's memcpy/memmove use `rep
 * movsb`, which on Zen 4 runs 14-30 times slower when the destination lies 1-63 bytes
 * above the source modulo 4 KiB (measured on an EPYC, 2026-12-06: 8000 bytes at offset 8
 * 2.2 us, at offsets 0 or 64 0.08 us; a plain vector loop 0.08 us at every offset). A
 * stencil's `u[1:-1] = t` meets it every time: the pool gives `t` and `u` page offsets
 * that match, and the slice starts one element in. gcc turns a copy loop into a memmove
 * call, so the loop here is kept from that pattern (loop distribution off). */
#ifndef DC_COPY_H
#define DC_COPY_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DC_COPY_ALIAS_MIN 2048     /* bytes: below this glibc copies with vector moves */

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void dc_copy_forward(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        __builtin_memcpy(dst + i, src + i, 64);
    for (; i < n; i++)
        dst[i] = src[i];
}

/* memmove(dst, src, n), by a forward vector loop where the two do not overlap and dst is
 * 1-63 bytes above src modulo 4096. */
static inline void dc_copy_bytes(char *dst, const char *src, size_t n)
{
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (n >= DC_COPY_ALIAS_MIN && ((d - s) & 4095u) - 1u < 63u && (d >= s + n || s >= d + n))
        dc_copy_forward(dst, src, n);
    else
        memmove(dst, src, n);
}

/* n elements of isz bytes at byte stride s from o, each set to the value at v (a scalar
 * assigned to a strided slice: `sieve[i * i::i] = False`); typed stores for 1-8 bytes,
 * where the general copy loop re-read the value through memcpy for each element (1.1x
 * NumPy's time quiet, 1.6x with another process busy). */
static void dc_fill_strided(char *o, ptrdiff_t n, ptrdiff_t s, const char *v, int isz)
{
    switch (isz) {
    case 1: { uint8_t x; memcpy(&x, v, 1); for (ptrdiff_t i = 0; i < n; i++) *(uint8_t *)(o + i * s) = x; return; }
    case 2: { uint16_t x; memcpy(&x, v, 2); for (ptrdiff_t i = 0; i < n; i++) memcpy(o + i * s, &x, 2); return; }
    case 4: { uint32_t x; memcpy(&x, v, 4); for (ptrdiff_t i = 0; i < n; i++) memcpy(o + i * s, &x, 4); return; }
    case 8: { uint64_t x; memcpy(&x, v, 8); for (ptrdiff_t i = 0; i < n; i++) memcpy(o + i * s, &x, 8); return; }
    default:
        for (ptrdiff_t i = 0; i < n; i++) memcpy(o + i * s, v, (size_t)isz);
    }
}
#endif
