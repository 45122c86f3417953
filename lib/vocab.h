/* vocab.h - vocabularies: term counting with bounded memory (sorted runs
 * spilled to a temporary file and merged), vocabulary files
 * (term<TAB>df<TAB>cf, one term a line, rank = line number) and the
 * vocabulary digest.  Terms live in a strtab (strtab.h); files are read
 * with lib/lines.
 *
 * Digest: FNV-1a 64 over the kept terms in rank order, each followed by
 * '\n', printed as 16 lowercase hex digits (docs/text.md).
 *
 * The library never exits: functions return -1 or NULL and leave a message
 * where the caller can print it.
 */
#ifndef SENTI_VOCAB_H
#define SENTI_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "strtab.h"

/* ------------------------------------------------------------------------
 * the digest */

#define VOCAB_DIGEST_INIT 0xcbf29ce484222325ULL
/* FNV-1a 64 of the n bytes of term and then '\n', continuing from h. */
uint64_t vocab_digest_add(uint64_t h, const char *term, size_t n);
/* 16 lowercase hex digits and a NUL into out[17]. */
void vocab_digest_hex(uint64_t h, char out[17]);

/* ------------------------------------------------------------------------
 * counting: exact document and collection frequencies in bounded memory */

typedef struct vocab_counter vocab_counter;

/* mem_limit: bytes the in-memory table may take before it is spilled to a
 * sorted run in a temporary file under tmpdir (NULL: $TMPDIR or /tmp).
 * The file is unlinked at once, so nothing is left behind.  NULL on
 * allocation failure. */
vocab_counter *vocab_counter_new(size_t mem_limit, const char *tmpdir);
void vocab_counter_free(vocab_counter *c);

/* Count one document: tokens separated by spaces or tabs (empty tokens
 * ignored).  Each distinct token adds 1 to df, each occurrence 1 to cf.
 * Returns 0, or -1 (vocab_counter_error says why). */
int vocab_counter_doc(vocab_counter *c, const char *text, size_t len);
/* Same, for text followed by at least LINES_PAD (64, lines.h) readable
 * bytes (faster). */
int vocab_counter_doc_padded(vocab_counter *c, const char *text, size_t len);
/* Add df and cf to a term (merging vocabulary files).  0 or -1. */
int vocab_counter_add(vocab_counter *c, const char *term, size_t n, uint64_t df, uint64_t cf);

/* Called for each kept term, best first; a non-zero return stops. */
typedef int (*vocab_emit_fn)(void *arg, const char *term, size_t n, uint64_t df, uint64_t cf);
/* Sum everything counted, keep the terms with df >= min_df, and call emit
 * for the top k of them (k = 0: all) in order of decreasing df, ties by
 * term bytewise.  Returns 0, -1 on error, or emit's non-zero value.
 * Call once. */
int vocab_counter_finish(vocab_counter *c, uint64_t k, uint64_t min_df, vocab_emit_fn emit, void *arg);

/* Number of runs spilled so far (for tests and --verbose). */
size_t vocab_counter_runs(const vocab_counter *c);
/* Largest number of bytes the in-memory table took. */
size_t vocab_counter_peak(const vocab_counter *c);
const char *vocab_counter_error(const vocab_counter *c);

/* ------------------------------------------------------------------------
 * vocabulary files */

/* The lookup index of a vocabulary: 16-byte slots holding the first 8
 * bytes of the term, its length and rank (rank 0 = empty), so that a
 * lookup of a token of up to 8 bytes reads one slot; longer ones also
 * compare the rest through keys[rank - 1]. */
typedef struct vocab_islot {
    uint64_t w0;
    uint32_t rank, len;
} vocab_islot;

typedef struct vocab_rkey {
    uint64_t w1;        /* bytes 8..15, zero padded */
    const char *s;      /* the full bytes */
} vocab_rkey;

typedef struct vocab {
    strtab tab;         /* each term's rank field is its 1-based rank */
    uint32_t dim;       /* number of terms */
    char digest[17];    /* 16 hex digits */
    vocab_islot *idx;   /* lookup index: mask + 1 slots */
    size_t mask;
    vocab_rkey *keys;   /* keys[rank - 1] */
} vocab;

/* Read a vocabulary file: one term a line, rank = line number; a line is
 * either the term alone or term<TAB>df<TAB>cf (the counts are checked as
 * by vocab_parse_line, then ignored).  An empty term, a duplicate term,
 * bad counts or an empty file is an error: NULL with "name:line: reason"
 * in err.  f is read with lines_reader (gzip data inflated, a byte-order
 * mark skipped; nothing may have been read from it through stdio). */
vocab *vocab_load(FILE *f, const char *name, char *err, size_t errlen);
void vocab_free(vocab *v);
/* 1-based rank of a term, 0 when absent. */
uint32_t vocab_lookup(const vocab *v, const char *s, size_t n);
/* Same, for bytes followed by at least 16 readable bytes (faster). */
static inline uint32_t vocab_lookup_padded(const vocab *v, const char *s, size_t n)
{
    strtab_key k;
    strtab_key_padded(&k, s, n);
    size_t i = (size_t)k.hash & v->mask;
    for (;;) {
        const vocab_islot *e = &v->idx[i];
        if (!e->rank) return 0;
        if (((e->w0 ^ k.w0) | (e->len ^ n)) == 0) {
            if (n <= 8) return e->rank;
            const vocab_rkey *r = &v->keys[e->rank - 1];
            if (r->w1 == k.w1 && (n <= 16 || __builtin_memcmp(r->s + 16, s + 16, n - 16) == 0)) return e->rank;
        }
        i = (i + 1) & v->mask;
    }
}/* Parse one vocabulary line (no newline; a trailing '\r' is dropped)
 * "term<TAB>df<TAB>cf" into its parts.  Returns 0, or -1 with a reason in
 * *why. */
int vocab_parse_line(const char *line, size_t len, size_t *term_len,
                     uint64_t *df, uint64_t *cf, const char **why);

#endif
