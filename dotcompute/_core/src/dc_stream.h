/* Streaming (non-temporal) copy for the fused evaluator's large outputs: the block is
 * computed in a cache-resident staging buffer, then written around the caches, which
 * saves the read-for-ownership of every output line (a third of the traffic of a + b).
 * SSE2 is part of x86-64's baseline; elsewhere this is memcpy. */
#ifndef DC_STREAM_H
#define DC_STREAM_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
static inline void dc_stream_copy(char *dst, const char *src, ptrdiff_t n) {
    ptrdiff_t head = (ptrdiff_t)((16 - ((uintptr_t)dst & 15)) & 15);
    if (head > n) head = n;
    memcpy(dst, src, (size_t)head);
    dst += head; src += head; n -= head;
    ptrdiff_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m128i x0 = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i x1 = _mm_loadu_si128((const __m128i *)(src + i + 16));
        __m128i x2 = _mm_loadu_si128((const __m128i *)(src + i + 32));
        __m128i x3 = _mm_loadu_si128((const __m128i *)(src + i + 48));
        _mm_stream_si128((__m128i *)(dst + i), x0);
        _mm_stream_si128((__m128i *)(dst + i + 16), x1);
        _mm_stream_si128((__m128i *)(dst + i + 32), x2);
        _mm_stream_si128((__m128i *)(dst + i + 48), x3);
    }
    for (; i + 16 <= n; i += 16)
        _mm_stream_si128((__m128i *)(dst + i), _mm_loadu_si128((const __m128i *)(src + i)));
    memcpy(dst + i, src + i, (size_t)(n - i));
}
static inline void dc_stream_fence(void) { _mm_sfence(); }
#else
static inline void dc_stream_copy(char *dst, const char *src, ptrdiff_t n) {
    memcpy(dst, src, (size_t)n);
}
static inline void dc_stream_fence(void) {}
#endif
#endif
