/* lines.h - reading lines: the one line reader of senti (read(2) in big
 * blocks, gzip inflated as it is read, a UTF-8 byte-order mark skipped, a
 * bound on the line length), its error messages, and the blank bitmap and
 * token iterator over a line of blank-separated tokens.
 *
 * Every program and library part that reads lines goes through
 * lines_reader (lib/cli's cli_lines adds the file name and line numbers
 * and dies on errors; lib/sparse, lib/vocab and lib/text use it
 * directly).  The library never exits: functions return codes and the
 * caller prints lines_error's text.
 */
#ifndef SENTI_LINES_H
#define SENTI_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Longest line any senti program reads: 256 MiB (docs/limits.md).  A
 * longer line, or a stream without newlines such as a binary file, is an
 * error instead of unbounded memory use. */
#define LINES_MAX ((size_t)1 << 28)

/* Readable bytes after every line lines_next returns (for word-sized and
 * vector loads); the blank bitmap and the padded lookups rely on them. */
#define LINES_PAD 64

/* Reading lines in big blocks (read(2) of up to 1 MiB, so that a line from
 * a pipe or a terminal comes as soon as it is written; memchr for '\n'): each
 * line is returned in place, without its '\n', and is followed by at
 * least LINES_PAD readable bytes.  A UTF-8 byte-order mark at the start of
 * the stream is skipped (files saved by Windows editors and
 * spreadsheets).  A stream that starts with the gzip magic (1f 8b) is
 * inflated as it is read (zlib; members one after the other are one
 * stream).  A stream with no descriptor (fmemopen) is read with fread.
 * Set up with lines_init; free with lines_free.  The reader reads the
 * descriptor itself: nothing may have been read from f through stdio
 * before. */
typedef struct lines_reader {
    FILE *f;
    char *buf;
    size_t cap;          /* usable bytes (LINES_PAD more are allocated) */
    size_t block;        /* the free space a read asks for: 64 KiB at first, doubling
                          * up to 1 MiB while reads fill it (a small input stays small) */
    size_t at, end;      /* unread data is buf[at..end) */
    size_t scanned;      /* buf[at..at+scanned) has no '\n' */
    int eof;
    size_t lines;        /* lines returned so far */
    int fd;              /* read(2) from it when >= 0 (the stream is not used), else fread */
    int sniffed;         /* the first bytes were looked at */
    int gzip;            /* the stream is gzip data, inflated as it is read */
    struct z_stream_s *z;
    unsigned char *zin;  /* compressed input */
    size_t zin_cap;
    int zeof, zend;      /* no more compressed input; a member ended */
} lines_reader;

/* Return codes of lines_next besides 1 (a line) and 0 (the end). */
#define LINES_ERR_READ (-1)  /* errno says why; ENOMEM when out of memory */
#define LINES_ERR_LONG (-2)  /* a line longer than LINES_MAX bytes */
#define LINES_ERR_GZIP (-3)  /* gzip data is corrupt or ends early */

void lines_init(lines_reader *r, FILE *f);
/* 1 and the next line in *line, *len (valid until the next call; may be
 * modified in place, including line[len], the '\n' or padding); 0 at the
 * end; or one of the LINES_ERR_ codes.  After an error the reader is only
 * fit for lines_free. */
int lines_next(lines_reader *r, char **line, size_t *len);
void lines_free(lines_reader *r);

/* The reason for an error code of lines_next, as every reader reports it:
 * "line longer than 268435456 bytes (the limit)", "gzip data is corrupt or
 * ends early", "out of memory" or "read error: <strerror(err)>" (err: the
 * errno of the failed call).  The text lives in a static buffer, valid
 * until the next call. */
const char *lines_error(int rc, int err);
/* The same as a reader of a named file reports it, into buf[n]:
 * "name: <reason>" for LINES_ERR_READ (a read error is no line's), else
 * "name:line: <reason>" (line: the number of the line being read). */
void lines_error_at(char *buf, size_t n, int rc, int err, const char *name, long line);

/* ------------------------------------------------------------------------
 * blank-separated tokens of a line (token lines, sparse lines) */

/* Blank bitmap of a line: bit i of bits[i / 64] is set when s[i] is a
 * space or a TAB, or when i >= n.  bits needs lines_blank_words(n) words;
 * s must be followed by LINES_PAD readable bytes (as lines_next leaves
 * it).  SSE2 where there is SSE2; lines_blank_bits_naive is the reference
 * (byte by byte, no padding needed). */
static inline size_t lines_blank_words(size_t n)
{
    return n / 64 + 2;
}
void lines_blank_bits(const char *s, size_t n, uint64_t *bits);
void lines_blank_bits_naive(const char *s, size_t n, uint64_t *bits);

/* First i >= from with s[i] blank (or i >= n). */
static inline size_t lines_bits_next_set(const uint64_t *bits, size_t from)
{
    size_t w = from >> 6;
    uint64_t x = bits[w] >> (from & 63);
    if (x) return from + (size_t)__builtin_ctzll(x);
    for (;;) {
        x = bits[++w];
        if (x) return w * 64 + (size_t)__builtin_ctzll(x);
    }
}

/* Iterating the tokens (maximal runs of non-blank bytes) of a blank bitmap
 * a word of starts at a time, in order:
 *     lines_tokens it; lines_tokens_init(&it, bits, n);
 *     while (lines_tokens_next(&it, &a, &e)) ... s[a..e) ... */
typedef struct lines_tokens {
    const uint64_t *bits;
    size_t w, nw;
    uint64_t starts; /* token starts left in word w */
    uint64_t carry;  /* the top bit of word w (is its last byte blank) */
} lines_tokens;

static inline void lines_tokens_init(lines_tokens *it, const uint64_t *bits, size_t n)
{
    it->bits = bits;
    it->w = 0;
    it->nw = n / 64 + 1;
    it->starts = ~bits[0] & (bits[0] << 1 | 1); /* the byte before s counts as blank */
    it->carry = bits[0] >> 63;
}

static inline int lines_tokens_next(lines_tokens *it, size_t *a, size_t *e)
{
    while (!it->starts) {
        if (++it->w >= it->nw) return 0;
        uint64_t b = it->bits[it->w];
        it->starts = ~b & (b << 1 | it->carry);
        it->carry = b >> 63;
    }
    size_t s = it->w * 64 + (size_t)__builtin_ctzll(it->starts);
    it->starts &= it->starts - 1;
    *a = s;
    *e = lines_bits_next_set(it->bits, s);
    return 1;
}

#endif
