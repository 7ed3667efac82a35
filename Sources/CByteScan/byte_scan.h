#ifndef ATOM_BYTE_SCAN_H
#define ATOM_BYTE_SCAN_H
/*
 * Sixteen bytes at a time with SSE2, which every x86-64 processor has: Swift's SIMD types
 * compile byte comparisons to one scalar step per lane, so this one loop lives in C.
 * Elsewhere the plain C loop below serves.
 *
 * A byte "needs a look" when JSON string escaping must treat it: a control byte (below 0x20),
 * '"', '\\', or a byte of a multi-byte UTF-8 sequence (0x80 and above), which must be checked.
 *
 * Most fields are shorter than 16 bytes, so the last step loads 16 bytes even when fewer
 * remain, if that load stays inside one 4 KiB page (it cannot fault then), and ignores the
 * bytes past the end. The copying variant also stores 16 bytes there: its caller leaves room.
 */
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>

/* The bytes of v that need a look, one bit each. */
static inline unsigned atom_look_mask(__m128i v) {
    const __m128i quote = _mm_set1_epi8(0x22);
    const __m128i backslash = _mm_set1_epi8(0x5C);
    const __m128i space = _mm_set1_epi8(0x20);
    /* As signed bytes, 0x80 and above are negative: one "less than 0x20" takes both ends. */
    __m128i look = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                _mm_cmplt_epi8(v, space));
    return (unsigned)_mm_movemask_epi8(look);
}

/* Whether 16 bytes from p lie in one page. */
static inline int atom_in_one_page(const uint8_t *p) {
    return ((uintptr_t)p & 4095) <= 4096 - 16;
}
#endif

static inline int atom_needs_look(uint8_t b) {
    return b < 0x20 || b == 0x22 || b == 0x5C || b >= 0x80;
}

/* How many bytes at the start of src[0..<n] need no look. */
static inline size_t atom_plain_run(const uint8_t *src, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        unsigned mask = atom_look_mask(_mm_loadu_si128((const __m128i *)(src + i)));
        if (mask != 0) return i + (size_t)__builtin_ctz(mask);
    }
    if (i < n && atom_in_one_page(src + i)) {
        unsigned mask = atom_look_mask(_mm_loadu_si128((const __m128i *)(src + i)));
        mask |= 0xFFFFu << (n - i);  /* the bytes past the end stop the run */
        return i + (size_t)__builtin_ctz(mask);
    }
#endif
    while (i < n && !atom_needs_look(src[i])) i++;
    return i;
}

/*
 * Copies the bytes of src[0..<n] that need no look to dst, up to the first that does, and
 * returns how many it copied. dst must have room for n + 16 bytes; what it holds past the
 * returned count is undefined.
 */
static inline size_t atom_copy_plain_run(const uint8_t *src, size_t n, uint8_t *dst) {
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        _mm_storeu_si128((__m128i *)(dst + i), v);
        unsigned mask = atom_look_mask(v);
        if (mask != 0) return i + (size_t)__builtin_ctz(mask);
    }
    if (i < n && atom_in_one_page(src + i)) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        _mm_storeu_si128((__m128i *)(dst + i), v);
        unsigned mask = atom_look_mask(v) | (0xFFFFu << (n - i));
        return i + (size_t)__builtin_ctz(mask);
    }
#endif
    while (i < n && !atom_needs_look(src[i])) {
        dst[i] = src[i];
        i++;
    }
    return i;
}

/*
 * How many '"', '\\' and control bytes src[0..<n] holds: what escaping valid JSON text (whose
 * only control bytes are whitespace) as a JSON string adds to its length.
 */
static inline size_t atom_json_special_count(const uint8_t *src, size_t n) {
    size_t i = 0, count = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8(0x22);
    const __m128i backslash = _mm_set1_epi8(0x5C);
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i minus_one = _mm_set1_epi8(-1);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        /* Control bytes: below 0x20 and above -1 as signed bytes (so not 0x80 and above). */
        __m128i control = _mm_and_si128(_mm_cmplt_epi8(v, space), _mm_cmpgt_epi8(v, minus_one));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
        count += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(hit));
    }
#endif
    for (; i < n; i++) {
        uint8_t b = src[i];
        if (b < 0x20 || b == 0x22 || b == 0x5C) count++;
    }
    return count;
}
#endif
