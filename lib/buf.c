/* buf.c - growable byte buffers and message excerpts (see buf.h). */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_free(buf_t *b)
{
    free(b->p);
    buf_init(b);
}

int buf_reserve(buf_t *b, size_t n)
{
    if (n > SIZE_MAX - 1 - b->len) return -1;
    size_t need = b->len + n + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int buf_add(buf_t *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0) return -1;
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

int buf_puts(buf_t *b, const char *s) { return buf_add(b, s, strlen(s)); }

int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    char small[256];
    int k = vsnprintf(small, sizeof small, fmt, aq);
    va_end(aq);
    if (k < 0) return -1;
    if ((size_t)k < sizeof small) return buf_add(b, small, (size_t)k);
    if (buf_reserve(b, (size_t)k) < 0) return -1;
    vsnprintf(b->p + b->len, (size_t)k + 1, fmt, ap);
    b->len += (size_t)k;
    return 0;
}

int buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

size_t buf_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) k = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) k = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) k = 4, min = 0x10000;
    else return 0;
    if (n < k) return 0;
    unsigned cp = c & (0x7fu >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return k;
}

const char *buf_excerpt(const char *s, size_t n, size_t max)
{
    static char bufs[4][64 * 4 + 8];
    static int next;
    char *out = bufs[next];
    next = (next + 1) & 3;
    if (max > 64) max = 64;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < n && i < max) {
        size_t k = p[i] >= 0x80 ? buf_utf8_len(p + i, n - i) : 0;
        if (k == 3 && p[i] == 0xef && p[i + 1] == 0xbb && p[i + 2] == 0xbf) k = 0; /* U+FEFF shows as bytes */
        if (k && i + k <= max) {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        } else if (p[i] >= 0x20 && p[i] < 0x7f) {
            out[o++] = (char)p[i++];
        } else if (k) {
            break; /* a character that does not fit */
        } else {
            static const char hex[] = "0123456789abcdef";
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 15];
            i++;
        }
    }
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
    return out;
}
