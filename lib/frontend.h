/* frontend.h - the text front end of a model: from a review's raw text to
 * the sparse row the network reads, as senti-tokenize | senti-bow do it.
 *
 * A front end is the tokenizer's settings and stop words, the vocabulary
 * (the bytes of its file) and the bag-of-words setting (--counts).  It is
 * kept in the "extra" blob of a network model (docs/model-format.md), which
 * is then a whole model from text to rating (senti-bundle writes it,
 * senti-predict reads text with it).  The blob is a list of records
 *
 *     key<SP>length<LF>value<LF>
 *
 * with the keys, in this order: "senti-frontend" (value "1", the version),
 * pattern (absent for the default), punct, html, stem (absent for none),
 * negate, ngrams, min_len, strict, no_fold, counts, stopwords (the file's
 * bytes, absent for none), vocab (the file's bytes), digest (FNV-1a 64 of
 * every byte before this record, 16 hex digits).
 *
 * frontend_row gives, for the text of one review, exactly the columns and
 * values that senti-bow writes for the tokens senti-tokenize makes of it
 * with the same settings, so that a bundle predicts the same bytes as the
 * pipeline of its parts. */
#ifndef SENTI_FRONTEND_H
#define SENTI_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "text.h"
#include "vocab.h"

typedef struct frontend {
    text_opts o;            /* pattern and stem point into owned copies */
    int counts;             /* values are counts instead of 1 */
    char *stopwords;        /* stop-word file bytes, NULL for none */
    size_t stopwords_len;
    char *vocab_bytes;      /* vocabulary file bytes */
    size_t vocab_len;
    /* compiled */
    text_tok *tok;
    vocab *v;
    buf_t toks;          /* tokens of the current text */
    uint32_t *ranks;        /* scratch: ranks of the current text's tokens */
    size_t ranks_cap;
    uint32_t *cols;         /* the row: 0-based columns, increasing */
    float *vals;
    size_t ncols;
} frontend;

/* A front end from settings, stop-word bytes (NULL for none) and
 * vocabulary bytes (all copied), compiled: NULL with "reason" in err on
 * a bad setting, stop-word file or vocabulary (the names in the messages
 * are stop_name and vocab_name). */
frontend *frontend_new(const text_opts *o, int counts, const char *stop, size_t stop_len, const char *stop_name,
                       const char *vocab_bytes, size_t vocab_len, const char *vocab_name, char *err, size_t errlen);
void frontend_free(frontend *f);

/* The records of f appended to b (see above); -1 when out of memory. */
int frontend_encode(const frontend *f, buf_t *b);
/* Is this blob a front end (does it start with the version record)? */
int frontend_is(const unsigned char *p, size_t n);
/* The front end kept in p[0..n): NULL with the reason in err (bad record,
 * unknown key, digest mismatch, and what frontend_new refuses). */
frontend *frontend_decode(const unsigned char *p, size_t n, char *err, size_t errlen);

/* The front end of a network model (its extra blob): 0 with *out NULL
 * when it has none, 0 with *out set, or -1 with the reason in err (a bad
 * blob, or a vocabulary whose digest or size differs from the network's
 * inputs). */
struct model;
int frontend_from_model(const struct model *m, frontend **out, char *err, size_t errlen);

/* The row of one text (any bytes, no newline): f->cols[0..ncols),
 * f->vals, f->ncols.  0, or -1 with the reason in err (what
 * text_tokenize refuses). */
int frontend_row(frontend *f, const char *text, size_t len, char *err, size_t errlen);

/* The settings in words, for senti-inspect: "ngrams 2, negate, stem
 * english, 5000 terms, ..." into out. */
void frontend_describe(const frontend *f, char *out, size_t outlen);

/* ------------------------------------------------------------------------
 * The tokenizer's options, shared by senti-tokenize and senti-bundle so
 * that a bundle takes its settings as the tokenizer does (same letters,
 * same defaults, same checks).  Put FRONTEND_TOKEN_SHORTOPTS in the short
 * options and FRONTEND_TOKEN_LONGOPTS in the struct option array; pass each
 * option to frontend_token_option, which returns 1 when it was one of
 * them (a bad value is a usage error).  -s list is left to the caller. */
#define FRONTEND_TOKEN_SHORTOPTS "p:PHs:ng:m:S:"
enum { FRONTEND_OPT_STRICT = 300, FRONTEND_OPT_NO_FOLD, FRONTEND_OPT_PCRE_ONLY };
#define FRONTEND_TOKEN_LONGOPTS                                                                        \
    {"pattern", required_argument, NULL, 'p'}, {"punct", no_argument, NULL, 'P'},                       \
        {"html", no_argument, NULL, 'H'}, {"stem", required_argument, NULL, 's'},                       \
        {"negate", no_argument, NULL, 'n'}, {"ngrams", required_argument, NULL, 'g'},                   \
        {"min-len", required_argument, NULL, 'm'}, {"stopwords", required_argument, NULL, 'S'},         \
        {"strict", no_argument, NULL, FRONTEND_OPT_STRICT}, {"no-fold", no_argument, NULL, FRONTEND_OPT_NO_FOLD}, \
        {"pcre-only", no_argument, NULL, FRONTEND_OPT_PCRE_ONLY}

/* The tokenizer's defaults: ngrams 1, min_len 1, the rest off. */
void frontend_token_defaults(text_opts *o);
int frontend_token_option(int c, const char *arg, text_opts *o, const char **stopwords);
/* After the options: refuses combinations (--punct with --pattern). */
void frontend_token_check(const text_opts *o);
/* The option lines of --help, with the current values as defaults. */
void frontend_token_usage(const text_opts *o, const char *stopwords);

#endif
