/* vocab.h - vocabularies: a string hash table, term counting with bounded
 * memory (sorted runs spilled to a temporary file and merged), vocabulary
 * files (term<TAB>df<TAB>cf, one term a line, rank = line number) and the
 * vocabulary digest.
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

/* ------------------------------------------------------------------------
 * hashing and the digest */

/* 64-bit hash of n bytes (not cryptographic; used for the tables). */
uint64_t vocab_hash(const char *s, size_t n);

#define VOCAB_DIGEST_INIT 0xcbf29ce484222325ULL
/* FNV-1a 64 of the n bytes of term and then '\n', continuing from h. */
uint64_t vocab_digest_add(uint64_t h, const char *term, size_t n);
/* 16 lowercase hex digits and a NUL into out[17]. */
void vocab_digest_hex(uint64_t h, char out[17]);

/* ------------------------------------------------------------------------
 * string table: interned byte strings with a few counters each */

typedef struct vocab_term {
    uint64_t hash;
    uint64_t off;     /* offset of the bytes in the table's arena */
    uint32_t len;     /* length in bytes */
    uint32_t rank;    /* free for the user (vocabularies: 1-based rank) */
    uint64_t df, cf;  /* document and collection frequency */
    uint64_t last;    /* last document counted (+1), 0 = none */
} vocab_term;

typedef struct vocab_table {
    uint64_t *slots;     /* high 32 bits: hash bits; low 32: index+1; 0 empty */
    size_t mask;         /* number of slots - 1 (0 before the first add) */
    vocab_term *terms;   /* n terms in insertion order */
    size_t n, cap;
    char *arena;         /* term bytes, each followed by a NUL */
    size_t alen, acap;
} vocab_table;

/* A zeroed vocab_table is an empty table; vocab_table_free releases it
 * (and leaves it empty and usable). */
void vocab_table_free(vocab_table *t);
/* Empty the table but keep its memory. */
void vocab_table_clear(vocab_table *t);
/* The term with these bytes, or NULL. */
vocab_term *vocab_table_find(const vocab_table *t, const char *s, size_t n, uint64_t hash);
/* The term with these bytes, added (zero counters) when missing; *added
 * says which.  NULL on allocation failure or more than 2^32-2 terms.
 * Pointers into the table are invalidated by the next add. */
vocab_term *vocab_table_add(vocab_table *t, const char *s, size_t n, uint64_t hash, int *added);
/* NUL-terminated bytes of a term. */
static inline const char *vocab_table_str(const vocab_table *t, const vocab_term *e)
{
    return t->arena + e->off;
}
/* Bytes of memory the table holds (its arrays at their capacity). */
size_t vocab_table_bytes(const vocab_table *t);

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

typedef struct vocab {
    vocab_table tab;    /* each term's rank field is its 1-based rank */
    uint32_t dim;       /* number of terms */
    char digest[17];    /* 16 hex digits */
} vocab;

/* Read a vocabulary file: one term a line, the term up to the first TAB
 * (what follows is ignored here), rank = line number.  An empty term, a
 * duplicate term or an empty file is an error: NULL with "name:line:
 * reason" in err. */
vocab *vocab_load(FILE *f, const char *name, char *err, size_t errlen);
void vocab_free(vocab *v);
/* 1-based rank of a term, 0 when absent. */
uint32_t vocab_lookup(const vocab *v, const char *s, size_t n);

/* Parse one vocabulary line (no newline; a trailing '\r' is dropped)
 * "term<TAB>df<TAB>cf" into its parts.  Returns 0, or -1 with a reason in
 * *why. */
int vocab_parse_line(const char *line, size_t len, size_t *term_len,
                     uint64_t *df, uint64_t *cf, const char **why);

#endif
