/* Boolean-mask indexing of a contiguous mask's mixed 8-entry words by AVX-512 compress
 * and expand (x86-64-v4 builds; the kernel table's mask_word / mask_fill are NULL in the
 * others, and _routines_indexing runs its bit-select loops).
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
#include <string.h>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) \
    && defined(__BMI2__)
#include <immintrin.h>
#define DC_HAVE_MASK_WORD 1

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
 * do not overlap. Returns c plus the number of true entries. */
static ptrdiff_t dc_mask_word(char *dst, const char *src, const char *mask, ptrdiff_t j,
                              ptrdiff_t c, int w, int scatter)
{
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

/* A contiguous mask's entries 0..m-1 eight at a time while c < count (the words whole
 * within m): an all-false word skipped, a run of all-true words one copy, a mixed word by
 * dc_mask_word. Rows of w bytes (4, 8 or 16); c and the entries done (a multiple of 8, or
 * m's last multiple of 8: the caller does the rest) are returned through *pc and the
 * result. */
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
        c = dc_mask_word(dst, src, mask + j, j, c, w, scatter);
        j += 8;
    }
    *pc = c;
    return j;
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
#endif
#endif
