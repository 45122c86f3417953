/* lines.c - the line reader (read(2) blocks, gzip through zlib, BOM
 * skipping, the LINES_MAX bound), its messages, and the blank bitmap of a
 * token line (lines.h). */
#include "lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------------
 * block line reader */

#define LINES_BLOCK (1u << 20) /* the largest read */
#define LINES_FIRST (1u << 16) /* the first read */

void lines_init(lines_reader *r, FILE *f)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->fd = f ? fileno(f) : -1; /* -1 for a memory stream */
}

void lines_free(lines_reader *r)
{
    if (r->z) inflateEnd(r->z);
    free(r->z);
    free(r->zin);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Up to n bytes of the stream as they come: read(2) returns what is
 * there (a line typed or piped is seen at once); a memory stream has no
 * descriptor and is read with fread.  0 at the end, -1 on an error. */
static long raw_read(lines_reader *r, char *dst, size_t n)
{
    if (r->fd >= 0) {
        ssize_t k;
        do k = read(r->fd, dst, n);
        while (k < 0 && errno == EINTR);
        return k < 0 ? -1 : (long)k;
    }
    size_t got = fread(dst, 1, n, r->f);
    return got == 0 && ferror(r->f) ? -1 : (long)got;
}

#define GZ_IN (1u << 16)

/* gzip data: the first got bytes (already read) become the inflater's
 * input; -1 (errno ENOMEM) when out of memory. */
static int start_gzip(lines_reader *r, const char *first, size_t got)
{
    z_stream *z = calloc(1, sizeof *z);
    unsigned char *in = malloc(got > GZ_IN ? got : GZ_IN);
    if (!z || !in || inflateInit2(z, 16 + MAX_WBITS) != Z_OK) {
        free(z);
        free(in);
        errno = ENOMEM;
        return -1;
    }
    memcpy(in, first, got);
    r->z = z;
    r->zin = in;
    r->zin_cap = got > GZ_IN ? got : GZ_IN;
    z->next_in = in;
    z->avail_in = (uInt)got;
    r->gzip = 1;
    return 0;
}

/* Up to n bytes of the inflated stream; several gzip members one after
 * the other are one stream (as gzip -d gives them).  0 at the end,
 * LINES_ERR_READ on a read error, LINES_ERR_GZIP on data that is not gzip
 * or ends early. */
static long inflate_some(lines_reader *r, char *dst, size_t n)
{
    z_stream *z = r->z;
    if (n > (uInt)-1) n = (uInt)-1;
    z->next_out = (unsigned char *)dst;
    z->avail_out = (uInt)n;
    for (;;) {
        if (!z->avail_in && !r->zeof) {
            long k = raw_read(r, (char *)r->zin, r->zin_cap);
            if (k < 0) return LINES_ERR_READ;
            if (k == 0) r->zeof = 1;
            z->next_in = r->zin;
            z->avail_in = (uInt)k;
        }
        if (r->zend) { /* between members: more data starts another */
            if (!z->avail_in) return r->zeof ? 0 : (long)(n - z->avail_out);
            if (inflateReset(z) != Z_OK) return LINES_ERR_GZIP;
            r->zend = 0;
        }
        if (!z->avail_in && r->zeof) return LINES_ERR_GZIP; /* ends inside a member */
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) r->zend = 1;
        else if (rc != Z_OK && rc != Z_BUF_ERROR) return LINES_ERR_GZIP;
        size_t out = n - z->avail_out;
        if (out) return (long)out;
    }
}

/* A UTF-8 byte-order mark (EF BB BF) at the start of the stream is not
 * part of the first line. */
static void skip_bom(lines_reader *r, char **line, size_t *len)
{
    if (r->lines++ == 0 && *len >= 3 && memcmp(*line, "\xef\xbb\xbf", 3) == 0) {
        *line += 3;
        *len -= 3;
    }
}

int lines_next(lines_reader *r, char **line, size_t *len)
{
    if (!r->buf) { /* first call (no arithmetic on a NULL buffer) */
        r->buf = malloc(LINES_FIRST + LINES_PAD);
        if (!r->buf) {
            errno = ENOMEM;
            return LINES_ERR_READ;
        }
        r->cap = r->block = LINES_FIRST;
        memset(r->buf, 0, LINES_PAD);
    }
    for (;;) {
        char *b = r->buf + r->at;
        size_t have = r->end - r->at;
        char *nl = have > r->scanned ? memchr(b + r->scanned, '\n', have - r->scanned) : NULL;
        if (nl) {
            if ((size_t)(nl - b) > LINES_MAX) return LINES_ERR_LONG;
            *line = b;
            *len = (size_t)(nl - b);
            r->at += *len + 1;
            r->scanned = 0;
            skip_bom(r, line, len);
            return 1;
        }
        r->scanned = have;
        if (have > LINES_MAX) return LINES_ERR_LONG;
        if (r->eof) {
            if (!have) return 0;
            memset(b + have, 0, LINES_PAD);
            *line = b;
            *len = have;
            r->at = r->end;
            r->scanned = 0;
            skip_bom(r, line, len);
            return 1;
        }
        /* move the partial line to the front, grow when it fills the buffer */
        if (r->at) {
            memmove(r->buf, b, have);
            r->at = 0;
            r->end = have;
        }
        if (r->cap - r->end < r->block / 2) {
            size_t cap = r->cap * 2;
            while (cap - r->end < r->block / 2) cap *= 2;
            char *nb = realloc(r->buf, cap + LINES_PAD);
            if (!nb) {
                errno = ENOMEM;
                return LINES_ERR_READ;
            }
            r->buf = nb;
            r->cap = cap;
        }
        long got = r->z ? inflate_some(r, r->buf + r->end, r->cap - r->end)
                        : raw_read(r, r->buf + r->end, r->cap - r->end);
        if (got < 0) return (int)got;
        if ((size_t)got == r->cap - r->end && r->block < LINES_BLOCK) r->block *= 2;
        if (!r->sniffed) { /* the first bytes tell whether the stream is gzip data */
            r->sniffed = 1;
            if (got >= 2 && (unsigned char)r->buf[r->end] == 0x1f && (unsigned char)r->buf[r->end + 1] == 0x8b) {
                if (start_gzip(r, r->buf + r->end, (size_t)got) < 0) return LINES_ERR_READ;
                continue;
            }
        }
        r->end += (size_t)got;
        if (got == 0) r->eof = 1;
        /* the bytes after the data are readable; keep them defined */
        memset(r->buf + r->end, 0, LINES_PAD);
    }
}

const char *lines_error(int rc, int err)
{
    static char msg[160];
    switch (rc) {
    case LINES_ERR_LONG:
        snprintf(msg, sizeof msg, "line longer than %zu bytes (the limit)", LINES_MAX);
        break;
    case LINES_ERR_GZIP:
        snprintf(msg, sizeof msg, "gzip data is corrupt or ends early");
        break;
    default:
        if (err == ENOMEM) snprintf(msg, sizeof msg, "out of memory");
        else snprintf(msg, sizeof msg, "read error: %s", strerror(err ? err : EIO));
        break;
    }
    return msg;
}

void lines_error_at(char *buf, size_t n, int rc, int err, const char *name, long line)
{
    if (rc == LINES_ERR_READ) snprintf(buf, n, "%s: %s", name, lines_error(rc, err));
    else snprintf(buf, n, "%s:%ld: %s", name, line, lines_error(rc, err));
}

/* ------------------------------------------------------------------------
 * blank bitmap */

void lines_blank_bits(const char *s, size_t n, uint64_t *bits)
{
    size_t nw = n / 64 + 1; /* words that hold bits below n (and maybe past) */
    for (size_t w = 0; w < nw; w++) {
        const char *p = s + w * 64;
        uint64_t m = 0;
#ifdef __SSE2__
        const __m128i sp = _mm_set1_epi8(' '), tb = _mm_set1_epi8('\t');
        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
            __m128i e = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tb));
            m |= (uint64_t)(uint16_t)_mm_movemask_epi8(e) << (16 * k);
        }
#else
        for (int k = 0; k < 64; k++) m |= (uint64_t)(p[k] == ' ' || p[k] == '\t') << k;
#endif
        bits[w] = m;
    }
    /* everything from n on is blank */
    size_t r = n & 63;
    bits[n / 64] |= ~0ULL << r;
    bits[nw] = ~0ULL;
}

void lines_blank_bits_naive(const char *s, size_t n, uint64_t *bits)
{
    size_t nw = lines_blank_words(n);
    for (size_t w = 0; w < nw; w++) bits[w] = ~0ULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') bits[i / 64] &= ~(1ULL << (i % 64));
}
