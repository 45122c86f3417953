/* text.h - turning review text into tokens: UTF-8 repair, optional HTML
 * stripping, Unicode normalisation and case folding (utf8proc), a token
 * pattern (PCRE2 with JIT), stop words, stemming (libstemmer), negation
 * marking and n-grams.  See docs/text.md for the exact rules.
 *
 * The library never exits: constructors return NULL and text_tokenize -1,
 * with a message for the caller to print.
 */
#ifndef SENTI_TEXT_H
#define SENTI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A growable byte buffer (zeroed = empty); free with text_buf_free. */
typedef struct text_buf {
    char *p;
    size_t len, cap;
} text_buf;

void text_buf_free(text_buf *b);
/* Make room for n more bytes; -1 on allocation failure. */
int text_buf_reserve(text_buf *b, size_t n);

/* Longest line any senti program reads: 256 MiB (docs/limits.md).  A
 * longer line, or a stream without newlines such as a binary file, is an
 * error instead of unbounded memory use. */
#define TEXT_MAX_LINE ((size_t)1 << 28)

/* getline() with the TEXT_MAX_LINE bound: reads one line into *buf
 * (grown as needed, *cap its size), with its '\n' when there is one, NUL
 * bytes kept, and a NUL after it.  Returns the length, -1 at the end of
 * input or on a read error (check ferror), -2 when the line is longer than
 * TEXT_MAX_LINE bytes without its newline (or memory ran out: errno
 * ENOMEM); the rest of that line is left unread. */
long text_getline(char **buf, size_t *cap, FILE *f);

/* Reading lines in big blocks (read(2) of up to 1 MiB, so that a line from
 * a pipe or a terminal comes as soon as it is written; memchr for '\n'): each
 * line is returned in place, without its '\n', and is followed by at
 * least TEXT_PAD readable bytes (for word-sized and vector loads).  A
 * UTF-8 byte-order mark at the start of the stream is skipped (files saved
 * by Windows editors and spreadsheets).  A stream that starts with the gzip
 * magic (1f 8b) is inflated as it is read (zlib; members one after the
 * other are one stream).  Zero it with
 * text_lines_init; free with text_lines_free. */
#define TEXT_PAD 64

typedef struct text_lines {
    FILE *f;
    char *buf;
    size_t cap;          /* usable bytes (TEXT_PAD more are allocated) */
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
} text_lines;

void text_lines_init(text_lines *r, FILE *f);
/* 1 and the next line in *line, *len (valid until the next call; may be
 * modified in place); 0 at the end; -1 on a read error (errno says why;
 * ENOMEM when out of memory); -2 when the line is longer than
 * TEXT_MAX_LINE bytes; -3 when gzip data is corrupt or ends early. */
int text_lines_next(text_lines *r, char **line, size_t *len);
void text_lines_free(text_lines *r);

/* Blank bitmap of a token line: bit i of bits[i / 64] is set when s[i] is
 * a space or a TAB, or when i >= n.  bits needs text_blank_words(n) words;
 * s must be followed by TEXT_PAD readable bytes. */
static inline size_t text_blank_words(size_t n)
{
    return n / 64 + 2;
}
void text_blank_bits(const char *s, size_t n, uint64_t *bits);

/* First i >= from with s[i] not blank, or n when there is none. */
static inline size_t text_bits_next_clear(const uint64_t *bits, size_t from, size_t n)
{
    size_t w = from >> 6;
    uint64_t x = ~bits[w] >> (from & 63);
    if (x) return from + (size_t)__builtin_ctzll(x);
    for (;;) {
        w++;
        if (w * 64 >= n) return n;
        x = ~bits[w];
        if (x) return w * 64 + (size_t)__builtin_ctzll(x);
    }
}

/* First i >= from with s[i] blank (or i >= n). */
static inline size_t text_bits_next_set(const uint64_t *bits, size_t from)
{
    size_t w = from >> 6;
    uint64_t x = bits[w] >> (from & 63);
    if (x) return from + (size_t)__builtin_ctzll(x);
    for (;;) {
        x = bits[++w];
        if (x) return w * 64 + (size_t)__builtin_ctzll(x);
    }
}

/* Iterating the tokens of a blank bitmap (text_blank_bits) a word of
 * starts at a time:
 *     text_tokens it; text_tokens_init(&it, bits, n);
 *     while (text_tokens_next(&it, &a, &e)) ... s[a..e) ... */
typedef struct text_tokens {
    const uint64_t *bits;
    size_t w, nw;
    uint64_t starts; /* token starts left in word w */
} text_tokens;

static inline void text_tokens_init(text_tokens *it, const uint64_t *bits, size_t n)
{
    it->bits = bits;
    it->w = 0;
    it->nw = n / 64 + 1;
    it->starts = ~bits[0] & (bits[0] << 1 | 1);
}

static inline int text_tokens_next(text_tokens *it, size_t *a, size_t *e)
{
    while (!it->starts) {
        if (++it->w >= it->nw) return 0;
        uint64_t b = it->bits[it->w];
        it->starts = ~b & (b << 1 | it->bits[it->w - 1] >> 63);
    }
    size_t s = it->w * 64 + (size_t)__builtin_ctzll(it->starts);
    it->starts &= it->starts - 1;
    *a = s;
    *e = text_bits_next_set(it->bits, s);
    return 1;
}

typedef struct text_opts {
    const char *pattern; /* PCRE2 token pattern; NULL = the default */
    int punct;           /* default pattern: also '!', '?', emoticons, emoji */
    int html;            /* strip tags, decode entities */
    const char *stem;    /* libstemmer language, NULL = no stemming */
    int negate;          /* mark tokens after a negation word: NOT_x */
    int ngrams;          /* add 2..ngrams-grams joined by '_' (<= 1: none) */
    int min_len;         /* drop tokens shorter than this (code points) */
    int strict;          /* invalid UTF-8 is an error instead of U+FFFD */
    int no_fold;         /* skip normalisation and case folding */
    int pcre_only;       /* no hand-coded ASCII fast path (for tests) */
} text_opts;

/* The default token pattern (without and with opts.punct), for --help and
 * docs.  Applied to normalised, case-folded text in PCRE2 UTF+UCP mode. */
const char *text_default_pattern(int punct);

typedef struct text_tok text_tok;

/* Compile a tokenizer.  NULL with a message in err on a bad pattern or an
 * unknown stemmer language (or out of memory). */
text_tok *text_new(const text_opts *o, char *err, size_t errlen);
void text_free(text_tok *t);

/* Add stop words: one a line, '#' starts a comment line, blank lines and
 * surrounding blanks ignored; each is normalised like the text.  Tokens
 * equal to a stop word (before stemming) are dropped.  0, or -1 with a
 * message in err. */
int text_add_stopwords(text_tok *t, FILE *f, const char *name, char *err, size_t errlen);

/* Characters that Unicode folding may add to a run of non-ASCII text
 * beyond its number of bytes (see text_tokenize). */
#define TEXT_FOLD_SLACK 4096

/* Tokenize len bytes of text (any bytes; no newline expected) and append the
 * tokens to out, separated by single spaces.  Returns the number of tokens,
 * or -1 (text_error says why: invalid UTF-8 under strict, match limits,
 * text that folds to more characters than its bytes plus TEXT_FOLD_SLACK,
 * tokens and n-grams longer than TEXT_MAX_LINE bytes in all, out of
 * memory).  Tokens never contain spaces, tabs or control bytes. */
long text_tokenize(text_tok *t, const char *s, size_t len, text_buf *out);
const char *text_error(const text_tok *t);
/* Number of invalid UTF-8 sequences replaced so far. */
unsigned long text_replaced(const text_tok *t);

/* NULL-terminated list of the stemmer languages (libstemmer's names). */
const char **text_stem_languages(void);

/* The rating field of an input line: "?" (unlabeled: *has_label = 0) or a
 * finite decimal number without surrounding blanks.  0, or -1 when it is
 * neither. */
int text_parse_rating(const char *s, size_t n, int *has_label, double *v);

/* Low-level steps, exposed for tests. */
/* Append s with each maximal invalid UTF-8 subpart replaced by U+FFFD;
 * returns the number replaced, or -1 on allocation failure. */
long text_utf8_repair(const char *s, size_t len, text_buf *out);
/* 1 when s is valid UTF-8 (RFC 3629: no overlongs, surrogates or values
 * above U+10FFFF). */
int text_utf8_valid(const char *s, size_t len);
/* Append s with tags removed (each replaced by a space) and character
 * references decoded.  -1 on allocation failure. */
int text_html_strip(const char *s, size_t len, text_buf *out);
/* 1 when the token is a negation word (not, no, never, ..., *n't). */
int text_is_negation(const char *s, size_t len);

#endif
