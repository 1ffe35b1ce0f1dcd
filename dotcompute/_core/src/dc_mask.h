/* Boolean-mask indexing of a contiguous mask's mixed 8-entry words by AVX-512 compress
 * and expand (x86-64-v4 builds) or AVX2 lane permutations from tables (x86-64-v3 builds,
 * below); the kernel table's mask_copy / mask_fill are NULL in the others, and
 * _routines_indexing runs its bit-select loops.
 *
 * _routines_indexing reads a mask 8 entries at a time: an all-false word is skipped, a run
 * of all-true words is one copy, and a mixed word went row by row, a bit select per row
 * (no branch to mispredict). Here a mixed word is one or two vector operations: its 8
 * entries become a lane mask (a byte compare, so any nonzero byte is true, as the loops
 * read it), a gather compresses the selected rows into a register and stores them with a
 * masked store (vcompress with a memory operand is microcoded on Zen 4: ~140 cycles), a
 * scatter loads the next rows of the source with a masked load (never past the last
 * source row) and expands them into the word's rows of the destination. Rows of 4, 8 or
 * 16 bytes (float32 / int32, float64 / int64 / complex64, complex128); a fill (`x[m] = v`)
 * also rows of 1 and 2 bytes. */
#ifndef DC_MASK_H
#define DC_MASK_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) \
    && defined(__BMI2__)
#include <immintrin.h>
#define DC_HAVE_MASK_COPY 1

static void dc_mask_init(void) {}     /* nothing to make (see the AVX2 build's) */

/* The 8 entries at mask[0..7] as a lane mask (bit i: entry i nonzero). */
static inline unsigned dc_mask8(const char *mask)
{
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)mask);
    return (unsigned)_mm_cmpneq_epi8_mask(v, _mm_setzero_si128()) & 0xFFu;
}

static inline __mmask8 dc_low8(int n) { return (__mmask8)((1u << n) - 1u); }

/* Rows j..j+7 of w bytes (4, 8 or 16) under the entries mask[0..7]. scatter: dst's rows
 * whose entry is true take src's rows c, c+1, ... in order (the others keep their bits);
 * gather: src's rows whose entry is true are packed into dst from row c on. dst and src
 * do not overlap; count, the source rows of a scatter and the destination rows of a
 * gather, bounds what is read or written (here the masked loads and stores stay within
 * it). Returns c plus the number of true entries. */
static ptrdiff_t dc_mask_word(char *dst, const char *src, const char *mask, ptrdiff_t j,
                              ptrdiff_t c, ptrdiff_t count, int w, int scatter)
{
    (void)count;
    unsigned k = dc_mask8(mask);
    int n = __builtin_popcount(k);
    if (w == 8) {
        if (scatter) {
            __m512i s = _mm512_maskz_loadu_epi64(dc_low8(n), src + c * 8);
            __m512i d = _mm512_loadu_si512((const void *)(dst + j * 8));
            _mm512_storeu_si512((void *)(dst + j * 8),
                                _mm512_mask_expand_epi64(d, (__mmask8)k, s));
        } else {
            __m512i s = _mm512_loadu_si512((const void *)(src + j * 8));
            _mm512_mask_storeu_epi64(dst + c * 8, dc_low8(n),
                                     _mm512_maskz_compress_epi64((__mmask8)k, s));
        }
    } else if (w == 4) {
        if (scatter) {
            __m256i s = _mm256_maskz_loadu_epi32(dc_low8(n), src + c * 4);
            __m256i d = _mm256_loadu_si256((const __m256i *)(const void *)(dst + j * 4));
            _mm256_storeu_si256((__m256i *)(void *)(dst + j * 4),
                                _mm256_mask_expand_epi32(d, (__mmask8)k, s));
        } else {
            __m256i s = _mm256_loadu_si256((const __m256i *)(const void *)(src + j * 4));
            _mm256_mask_storeu_epi32(dst + c * 4, dc_low8(n),
                                     _mm256_maskz_compress_epi32((__mmask8)k, s));
        }
    } else {
        /* 16-byte rows: two 8-byte lanes a row, rows j..j+3 in the first vector */
        unsigned kk = _pdep_u32(k, 0x5555u) * 3u;
        __mmask8 klo = (__mmask8)(kk & 0xFFu), khi = (__mmask8)(kk >> 8);
        int nlo = __builtin_popcount(kk & 0xFFu), nhi = __builtin_popcount(kk >> 8);
        if (scatter) {
            const char *s = src + c * 16;
            __m512i s0 = _mm512_maskz_loadu_epi64(dc_low8(nlo), s);
            __m512i s1 = _mm512_maskz_loadu_epi64(dc_low8(nhi), s + nlo * 8);
            __m512i d0 = _mm512_loadu_si512((const void *)(dst + j * 16));
            __m512i d1 = _mm512_loadu_si512((const void *)(dst + j * 16 + 64));
            _mm512_storeu_si512((void *)(dst + j * 16), _mm512_mask_expand_epi64(d0, klo, s0));
            _mm512_storeu_si512((void *)(dst + j * 16 + 64),
                                _mm512_mask_expand_epi64(d1, khi, s1));
        } else {
            char *d = dst + c * 16;
            __m512i s0 = _mm512_loadu_si512((const void *)(src + j * 16));
            __m512i s1 = _mm512_loadu_si512((const void *)(src + j * 16 + 64));
            _mm512_mask_storeu_epi64(d, dc_low8(nlo), _mm512_maskz_compress_epi64(klo, s0));
            _mm512_mask_storeu_epi64(d + nlo * 8, dc_low8(nhi),
                                     _mm512_maskz_compress_epi64(khi, s1));
        }
    }
    return c + n;
}

/* Rows j..j+7 of w bytes (1, 2, 4, 8 or 16) whose entry in mask[0..7] is true become
 * `value` (one row), by masked stores. */
static void dc_mask_fill(char *dst, const char *value, const char *mask, ptrdiff_t j, int w)
{
    unsigned k = dc_mask8(mask);
    if (w == 8) {
        long long v;
        memcpy(&v, value, 8);
        _mm512_mask_storeu_epi64(dst + j * 8, (__mmask8)k, _mm512_set1_epi64(v));
    } else if (w == 4) {
        int v;
        memcpy(&v, value, 4);
        _mm256_mask_storeu_epi32(dst + j * 4, (__mmask8)k, _mm256_set1_epi32(v));
    } else if (w == 16) {
        unsigned kk = _pdep_u32(k, 0x5555u) * 3u;
        __m512i v = _mm512_broadcast_i64x2(_mm_loadu_si128((const __m128i *)(const void *)value));
        _mm512_mask_storeu_epi64(dst + j * 16, (__mmask8)(kk & 0xFFu), v);
        _mm512_mask_storeu_epi64(dst + j * 16 + 64, (__mmask8)(kk >> 8), v);
    } else if (w == 2) {
        short v;
        memcpy(&v, value, 2);
        _mm_mask_storeu_epi16(dst + j * 2, (__mmask8)k, _mm_set1_epi16(v));
    } else {
        _mm_mask_storeu_epi8(dst + j, (__mmask16)k, _mm_set1_epi8(value[0]));
    }
}

#elif defined(__AVX2__)
#include <immintrin.h>
#define DC_HAVE_MASK_COPY 1

/* AVX2 has no compress or expand: a permutation of the 32-bit lanes from a table, by the
 * mask bits of the units a vector holds (rows of 4 bytes: 8 units of one lane; 8 bytes: 4
 * units of two lanes; 16 bytes: 2 units of four lanes). Tables, made once at import
 * (dc_mask_init): pack[u][bits] moves the selected units to the front, spread[u][bits]
 * moves the first ones to the selected units' places, lanes[u][bits] marks the selected
 * units' lanes (-1). A packed vector is stored whole where the destination has room for
 * all its units (the unwritten tail is written again by the next word), else through a
 * buffer; a scatter reads its source units whole under the same rule. */
static int32_t dc_mask_pack[3][256][8], dc_mask_spread[3][256][8], dc_mask_lanes[3][256][8];

static void dc_mask_init(void)
{
    for (int u = 0; u < 3; u++) {
        int lanes = 1 << u, units = 8 >> u;
        for (int bits = 0; bits < (1 << units); bits++) {
            int next = 0;
            for (int i = 0; i < 8; i++) {
                dc_mask_pack[u][bits][i] = i;           /* the rest: anything in range */
                dc_mask_spread[u][bits][i] = i;
                dc_mask_lanes[u][bits][i] = (bits >> (i / lanes)) & 1 ? -1 : 0;
            }
            for (int e = 0; e < units; e++) {
                if (!((bits >> e) & 1))
                    continue;
                for (int l = 0; l < lanes; l++) {
                    dc_mask_pack[u][bits][next * lanes + l] = e * lanes + l;
                    dc_mask_spread[u][bits][e * lanes + l] = next * lanes + l;
                }
                next++;
            }
        }
    }
}

static inline unsigned dc_mask8(const char *mask)
{
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)mask);
    __m128i z = _mm_cmpeq_epi8(v, _mm_setzero_si128());
    return ~(unsigned)_mm_movemask_epi8(z) & 0xFFu;
}

/* dc_mask_word of the AVX-512 build (same contract: count is never read or written
 * past, whole vectors move only where it leaves room). */
static ptrdiff_t dc_mask_word(char *dst, const char *src, const char *mask, ptrdiff_t j,
                              ptrdiff_t c, ptrdiff_t count, int w, int scatter)
{
    unsigned k = dc_mask8(mask);
    int u = w == 4 ? 0 : w == 8 ? 1 : 2, units = 8 >> u, v, nv = 8 / units;
    for (v = 0; v < nv; v++) {
        unsigned bits = (k >> (v * units)) & ((1u << units) - 1);
        int n = __builtin_popcount(bits);
        char *drow = dst + (j + v * units) * w;
        if (n == 0)
            continue;
        if (scatter) {
            __m256i s, d, e;
            if (c + units <= count) {
                s = _mm256_loadu_si256((const __m256i *)(const void *)(src + c * w));
            } else {
                int32_t tmp[8] = {0};
                memcpy(tmp, src + c * w, (size_t)n * (size_t)w);
                s = _mm256_loadu_si256((const __m256i *)(const void *)tmp);
            }
            e = _mm256_permutevar8x32_epi32(
                s, _mm256_loadu_si256((const __m256i *)(const void *)dc_mask_spread[u][bits]));
            d = _mm256_loadu_si256((const __m256i *)(const void *)drow);
            d = _mm256_blendv_epi8(d, e, _mm256_loadu_si256(
                (const __m256i *)(const void *)dc_mask_lanes[u][bits]));
            _mm256_storeu_si256((__m256i *)(void *)drow, d);
        } else {
            const char *srow = src + (j + v * units) * w;
            __m256i s = _mm256_loadu_si256((const __m256i *)(const void *)srow);
            __m256i p = _mm256_permutevar8x32_epi32(
                s, _mm256_loadu_si256((const __m256i *)(const void *)dc_mask_pack[u][bits]));
            if (c + units <= count) {
                _mm256_storeu_si256((__m256i *)(void *)(dst + c * w), p);
            } else {
                int32_t tmp[8];
                _mm256_storeu_si256((__m256i *)(void *)tmp, p);
                memcpy(dst + c * w, tmp, (size_t)n * (size_t)w);
            }
        }
        c += n;
    }
    return c;
}

/* As the AVX-512 build's dc_mask_fill: rows of 4, 8 or 16 bytes by a blend, of 1 and 2
 * bytes by a bit select per row. */
static void dc_mask_fill(char *dst, const char *value, const char *mask, ptrdiff_t j, int w)
{
    unsigned k = dc_mask8(mask);
    if (w == 4 || w == 8 || w == 16) {
        int u = w == 4 ? 0 : w == 8 ? 1 : 2, units = 8 >> u, v, nv = 8 / units;
        int32_t rep[8];
        for (int i = 0; i < 8; i++)
            memcpy(&rep[i], value + (i * 4) % w, 4);
        __m256i val = _mm256_loadu_si256((const __m256i *)(const void *)rep);
        for (v = 0; v < nv; v++) {
            unsigned bits = (k >> (v * units)) & ((1u << units) - 1);
            char *drow = dst + (j + v * units) * w;
            if (bits == 0)
                continue;
            __m256i d = _mm256_loadu_si256((const __m256i *)(const void *)drow);
            d = _mm256_blendv_epi8(d, val, _mm256_loadu_si256(
                (const __m256i *)(const void *)dc_mask_lanes[u][bits]));
            _mm256_storeu_si256((__m256i *)(void *)drow, d);
        }
    } else if (w == 2) {
        uint16_t v2, d2;
        memcpy(&v2, value, 2);
        for (int i = 0; i < 8; i++) {
            uint16_t sel = (uint16_t)(0u - ((k >> i) & 1u));
            memcpy(&d2, dst + (j + i) * 2, 2);
            d2 = (uint16_t)((v2 & sel) | (d2 & (uint16_t)~sel));
            memcpy(dst + (j + i) * 2, &d2, 2);
        }
    } else {
        uint8_t v1 = (uint8_t)value[0];
        for (int i = 0; i < 8; i++) {
            uint8_t sel = (uint8_t)(0u - ((k >> i) & 1u));
            dst[j + i] = (char)((v1 & sel) | ((uint8_t)dst[j + i] & (uint8_t)~sel));
        }
    }
}
#endif

#ifdef DC_HAVE_MASK_COPY
/* A contiguous mask's entries 0..m-1 eight at a time while c < count (the words whole
 * within m): an all-false word skipped, a run of all-true words one copy, a mixed word by
 * the build's dc_mask_word. Rows of w bytes (4, 8 or 16); c and the entries done (a
 * multiple of 8: the caller does the rest) are returned through *pc and the result. */
static ptrdiff_t dc_mask_copy(char *dst, const char *src, const char *mask, ptrdiff_t m,
                              int w, ptrdiff_t *pc, ptrdiff_t count, int scatter)
{
    const unsigned long long ones = 0x0101010101010101ULL;
    unsigned long long word;
    ptrdiff_t j = 0, c = *pc, e;
    while (j + 8 <= m && c < count) {
        memcpy(&word, mask + j, 8);
        if (word == 0) {
            j += 8;
            continue;
        }
        if (word == ones) {
            e = j + 8;
            while (e + 8 <= m) {
                memcpy(&word, mask + e, 8);
                if (word != ones)
                    break;
                e += 8;
            }
            if (scatter)
                memcpy(dst + j * w, src + c * w, (size_t)((e - j) * w));
            else
                memcpy(dst + c * w, src + j * w, (size_t)((e - j) * w));
            c += e - j;
            j = e;
            continue;
        }
        c = dc_mask_word(dst, src, mask + j, j, c, count, w, scatter);
        j += 8;
    }
    *pc = c;
    return j;
}

#endif
#endif
