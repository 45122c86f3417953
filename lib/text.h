/* text.h - turning review text into tokens: UTF-8 repair, optional HTML
 * stripping, Unicode normalisation and case folding (utf8proc), a token
 * pattern (PCRE2 with JIT), stop words, stemming (libstemmer), negation
 * marking and n-grams.  See docs/text.md for the exact rules.
 *
 * The library never exits: constructors return NULL and text_tokenize -1,
 * with a message for the caller to print.  Output goes into buf_t buffers
 * (buf.h).
 */
#ifndef SENTI_TEXT_H
#define SENTI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

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
 * equal to a stop word (before stemming) are dropped.  f is read with
 * lines_reader (lines.h: gzip data inflated, a byte-order mark skipped).
 * 0, or -1 with a "name:line: reason" message in err. */
int text_add_stopwords(text_tok *t, FILE *f, const char *name, char *err, size_t errlen);

/* Characters that Unicode folding may add to a run of non-ASCII text
 * beyond its number of bytes (see text_tokenize). */
#define TEXT_FOLD_SLACK 4096

/* Tokenize len bytes of text (any bytes; no newline expected) and append the
 * tokens to out, separated by single spaces.  Returns the number of tokens,
 * or -1 (text_error says why: invalid UTF-8 under strict, match limits,
 * text that folds to more characters than its bytes plus TEXT_FOLD_SLACK,
 * tokens and n-grams longer than LINES_MAX bytes (lines.h) in all, out of
 * memory).  Tokens never contain spaces, tabs or control bytes. */
long text_tokenize(text_tok *t, const char *s, size_t len, buf_t *out);
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
long text_utf8_repair(const char *s, size_t len, buf_t *out);
/* 1 when s is valid UTF-8 (RFC 3629: no overlongs, surrogates or values
 * above U+10FFFF). */
int text_utf8_valid(const char *s, size_t len);
/* Append s with tags removed (each replaced by a space) and character
 * references decoded.  -1 on allocation failure. */
int text_html_strip(const char *s, size_t len, buf_t *out);
/* 1 when the token is a negation word (not, no, never, ..., *n't). */
int text_is_negation(const char *s, size_t len);

#endif
