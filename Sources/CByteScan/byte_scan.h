#ifndef ATOM_BYTE_SCAN_H
#define ATOM_BYTE_SCAN_H
/*
 * Sixteen bytes at a time with SSE2, which every x86-64 processor has: Swift's SIMD types
 * compile byte comparisons to one scalar step per lane, so these loops live in C. Elsewhere
 * the plain C loops below serve. Escaping by shuffles needs SSSE3, which the caller checks
 * for at run time (atom_cpu_has_ssse3).
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
#include <string.h>
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
 * Copies the run src[0..<n] to dst. A run up to 16 bytes is one 16-byte load and store when the
 * load stays inside the source (src + 16 <= end) or one page; dst must have room for 16 bytes.
 */
static inline void atom_copy_run(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t *end) {
#if defined(__SSE2__)
    if (n <= 16 && (src + 16 <= end || atom_in_one_page(src))) {
        _mm_storeu_si128((__m128i *)dst, _mm_loadu_si128((const __m128i *)src));
        return;
    }
#endif
    memcpy(dst, src, n);
}

/*
 * Escapes src[0..<n] twice (JSON text inside a JSON string inside a JSON string) into dst, up to
 * the first control byte or byte of 0x80 and above, which the caller escapes or checks. Plain
 * bytes are copied; '"' and '\\' become four bytes each (three backslashes, then the byte).
 *
 * JSON text is dense in quotes (a short run between two): each one copies the run before it
 * with one 16-byte store and writes its four bytes with one 32-bit store (x86-64, so little
 * endian). The loop over a block's quotes still branches on how many there are; the SSSE3
 * kernel below does not. Sets *consumed to the bytes of src taken; returns the bytes written.
 * dst must have room for 4 * n + 16 bytes.
 */
static inline size_t atom_double_escape_run(const uint8_t *src, size_t n, uint8_t *dst, size_t *consumed) {
    const uint8_t *end = src + n;
    uint8_t *out = dst;
    size_t i = 0, from = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8(0x22);
    const __m128i backslash = _mm_set1_epi8(0x5C);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        unsigned look = atom_look_mask(v);
        if (look == 0) continue;
        unsigned special = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                                    _mm_cmpeq_epi8(v, backslash)));
        unsigned other = look & ~special;
        /* Only the specials before the block's first control or high byte are taken here. */
        if (other != 0) special &= (1u << __builtin_ctz(other)) - 1;
        while (special != 0) {
            size_t k = i + (size_t)__builtin_ctz(special);
            /* A run longer than 16 bytes spans blocks with nothing to look at: plain memcpy. */
            atom_copy_run(out, src + from, k - from, end);
            out += k - from;
            uint32_t escape = 0x005C5C5Cu | ((uint32_t)src[k] << 24);
            memcpy(out, &escape, 4);
            out += 4;
            from = k + 1;
            special &= special - 1;
        }
        if (other != 0) {
            i += (size_t)__builtin_ctz(other);
            atom_copy_run(out, src + from, i - from, end);
            out += i - from;
            *consumed = i;
            return (size_t)(out - dst);
        }
    }
#endif
    for (; i < n; i++) {
        uint8_t b = src[i];
        if (b == 0x22 || b == 0x5C) {
            memcpy(out, src + from, i - from);
            out += i - from;
            out[0] = 0x5C; out[1] = 0x5C; out[2] = 0x5C; out[3] = b;
            out += 4;
            from = i + 1;
        } else if (b < 0x20 || b >= 0x80) {
            break;
        }
    }
    memcpy(out, src + from, i - from);
    out += i - from;
    *consumed = i;
    return (size_t)(out - dst);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <tmmintrin.h>

/* Whether the processor has SSSE3 (PSHUFB), which the kernel below needs. */
static inline int atom_cpu_has_ssse3(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSSE3) != 0;
}

/*
 * JSON escaping with PSHUFB, for a processor that has it: eight bytes at a time, each quote or
 * backslash with the backslashes written before it placed by a shuffle looked up by the eight
 * bytes' mask, so no branch depends on where the quotes fall (a branch per quote mispredicts
 * about once per 16-byte block of quote-dense JSON).
 *
 * Takes whole 16-byte blocks of src[0..<n] while they hold no control byte and no byte of 0x80
 * and above; stops before the first block that does, or when fewer than 16 bytes remain. Sets
 * *consumed to the bytes taken; returns the bytes written.
 *
 * shuffles: 256 entries of 32 shuffle indexes, one per mask of eight bits (bit j: byte j is '"'
 * or '\\'): index 8 picks a backslash, 0 to 7 a source byte, 0x80 a zero past the end; lengths:
 * the 256 output lengths (8 plus one or three per set bit, escaping once or twice). dst must
 * have room for 32 bytes more than the output.
 */
__attribute__((target("ssse3")))
static inline size_t atom_escape_blocks_ssse3(const uint8_t *src, size_t n, uint8_t *dst, size_t *consumed,
                                              const uint8_t *shuffles, const uint8_t *lengths) {
    const __m128i quote = _mm_set1_epi8(0x22);
    const __m128i backslash = _mm_set1_epi8(0x5C);
    uint8_t *out = dst;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        unsigned special = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                                    _mm_cmpeq_epi8(v, backslash)));
        if (atom_look_mask(v) != special) break;
        unsigned low = special & 0xFF, high = special >> 8;
        /* Source bytes at indexes 0 to 7, backslashes at 8 to 15. */
        __m128i half = _mm_unpacklo_epi64(v, backslash);
        const __m128i *table = (const __m128i *)(shuffles + low * 32);
        _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(half, _mm_loadu_si128(table)));
        _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(half, _mm_loadu_si128(table + 1)));
        out += lengths[low];
        half = _mm_unpackhi_epi64(v, backslash);
        table = (const __m128i *)(shuffles + high * 32);
        _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(half, _mm_loadu_si128(table)));
        _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(half, _mm_loadu_si128(table + 1)));
        out += lengths[high];
    }
    *consumed = i;
    return (size_t)(out - dst);
}

/*
 * atom_double_escape_run by whole blocks with the tables for escaping twice, then the plain
 * version from the first block it cannot take. dst must have room for 4 * n + 32 bytes.
 */
__attribute__((target("ssse3")))
static inline size_t atom_double_escape_run_ssse3(const uint8_t *src, size_t n, uint8_t *dst, size_t *consumed,
                                                  const uint8_t *shuffles, const uint8_t *lengths) {
    size_t blocks = 0, rest = 0;
    size_t written = atom_escape_blocks_ssse3(src, n, dst, &blocks, shuffles, lengths);
    written += atom_double_escape_run(src + blocks, n - blocks, dst + written, &rest);
    *consumed = blocks + rest;
    return written;
}
#endif

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
