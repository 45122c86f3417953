/* buf.h - growable byte buffers, and excerpts of bytes for messages.
 *
 * A buf_t is zeroed to start empty ({0} or buf_init) and freed with buf_free.
 * p[0..len) are the bytes; after any successful append p[len] is a NUL, so
 * a buf_t of text can be printed as a string.  Functions return -1 when out
 * of memory (the buffer is then unchanged) and never exit.
 */
#ifndef SENTI_BUF_H
#define SENTI_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf_t {
    char *p;
    size_t len, cap;
} buf_t;

static inline void buf_init(buf_t *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
}
void buf_free(buf_t *b);
/* Make room for n more bytes (and the NUL after them): -1 when out of memory
 * or when len + n overflows. */
int buf_reserve(buf_t *b, size_t n);
/* Append n bytes / a string / printf-formatted text. */
int buf_add(buf_t *b, const void *p, size_t n);
int buf_puts(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap);

/* At most max bytes of s[0..n) for a message, so that an error line stays
 * one readable line: printable ASCII and valid UTF-8 as they are, control
 * bytes, invalid UTF-8 and the invisible byte-order mark U+FEFF as \xNN,
 * "..." when cut.  The result lives in
 * one of 4 static buffers used in turn (max is capped at 64). */
const char *buf_excerpt(const char *s, size_t n, size_t max);

/* Length of the valid UTF-8 sequence (RFC 3629: no overlongs, surrogates or
 * values above U+10FFFF) at s, n bytes left; 0 when s[0] does not start
 * one (ASCII included). */
size_t buf_utf8_len(const unsigned char *s, size_t n);

#endif
