/* The byte-scanning loops of the Cython decoder, declared in _codec_c.pyx under
   `cdef extern from "_scan.h"`: 16 bytes at a time with SSE2 (part of x86-64), elsewhere
   portable 8-byte word code. Every load and store lies inside the bounds the caller passes.

   The generated _codec_c.c includes Python.h first; the includes below only make this file
   stand on its own for C tools (clangd, clang-tidy, a compiler's -fsyntax-only). */
#ifndef SSECODEC_SCAN_H
#define SSECODEC_SCAN_H

#include <Python.h>
#include <string.h>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define SSECODEC_SSE2 1
#endif
#if defined(__GNUC__) || defined(__clang__)
#define SSECODEC_CTZ(x) __builtin_ctz(x)
#endif

/* Length of the leading run of ASCII bytes of p[:n]. */
static inline Py_ssize_t ssecodec_ascii_prefix(const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t i = 0;
#ifdef SSECODEC_SSE2
    while (i + 32 <= n) {
        __m128i a = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(p + i + 16));
        if (_mm_movemask_epi8(_mm_or_si128(a, b)))
            break;
        i += 32;
    }
    while (i + 16 <= n) {
        int mask = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + i)));
        if (mask) {
#ifdef SSECODEC_CTZ
            return i + SSECODEC_CTZ((unsigned int)mask);
#else
            break;
#endif
        }
        i += 16;
    }
#ifdef SSECODEC_CTZ
    if (i < n && n >= 16) {  /* the last 16 bytes, overlapping ASCII already checked */
        int mask = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + n - 16)));
        return mask ? n - 16 + SSECODEC_CTZ((unsigned int)mask) : n;
    }
#endif
#else
    while (i + 8 <= n) {
        unsigned long long word;
        memcpy(&word, p + i, 8);
        if (word & 0x8080808080808080ULL)
            break;
        i += 8;
    }
#endif
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

#ifdef SSECODEC_SSE2
/* Store the 16 bytes of v, widened to code units of `kind` bytes (2 or 4), at out[k:]. */
static inline void ssecodec_widen_block(void *out, int kind, Py_ssize_t k, __m128i v)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i lo = _mm_unpacklo_epi8(v, zero);
    __m128i hi = _mm_unpackhi_epi8(v, zero);
    if (kind == 2) {
        Py_UCS2 *o = (Py_UCS2 *)out + k;
        _mm_storeu_si128((__m128i *)o, lo);
        _mm_storeu_si128((__m128i *)(o + 8), hi);
    } else {
        Py_UCS4 *o = (Py_UCS4 *)out + k;
        _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi16(lo, zero));
        _mm_storeu_si128((__m128i *)(o + 4), _mm_unpackhi_epi16(lo, zero));
        _mm_storeu_si128((__m128i *)(o + 8), _mm_unpacklo_epi16(hi, zero));
        _mm_storeu_si128((__m128i *)(o + 12), _mm_unpackhi_epi16(hi, zero));
    }
}
#endif

/* Widen the leading ASCII run of p[:n] into out (room code units of `kind` bytes, 2 or 4)
   and return its length. Whole 16-byte blocks are stored while they fit both p[:n] and
   out[:room], so entries after the run may be written too: the caller writes them again
   afterwards. The run must fit out (it does: the caller measured the string). `kind` is a
   constant in both wrappers below, so each inlined copy is specialised to one width, as
   CPython's stringlib does with templates. */
static inline Py_ssize_t ssecodec_ascii_widen(void *out, int kind, Py_ssize_t room,
                                              const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t k = 0;
#ifdef SSECODEC_SSE2
    Py_ssize_t lim = n < room ? n : room;
    while (k + 16 <= lim) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + k));
        int mask = _mm_movemask_epi8(v);
        ssecodec_widen_block(out, kind, k, v);
        if (mask) {
#ifdef SSECODEC_CTZ
            return k + SSECODEC_CTZ((unsigned int)mask);
#else
            break;
#endif
        }
        k += 16;
    }
#ifdef SSECODEC_CTZ
    if (k < lim && lim >= 16) {  /* the last whole block, overlapping the run so far */
        __m128i v = _mm_loadu_si128((const __m128i *)(p + lim - 16));
        int mask = _mm_movemask_epi8(v);
        ssecodec_widen_block(out, kind, lim - 16, v);
        if (mask)
            return lim - 16 + SSECODEC_CTZ((unsigned int)mask);
        k = lim;
    }
#endif
#endif
    if (kind == 2) {
        for (; k < n && p[k] < 0x80; k++)
            ((Py_UCS2 *)out)[k] = p[k];
    } else {
        for (; k < n && p[k] < 0x80; k++)
            ((Py_UCS4 *)out)[k] = p[k];
    }
    return k;
}

static inline Py_ssize_t ssecodec_ascii_to_ucs2(Py_UCS2 *out, Py_ssize_t room,
                                                const unsigned char *p, Py_ssize_t n)
{
    return ssecodec_ascii_widen(out, 2, room, p, n);
}

static inline Py_ssize_t ssecodec_ascii_to_ucs4(Py_UCS4 *out, Py_ssize_t room,
                                                const unsigned char *p, Py_ssize_t n)
{
    return ssecodec_ascii_widen(out, 4, room, p, n);
}

#endif /* SSECODEC_SCAN_H */
