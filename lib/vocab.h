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
 * string table: interned byte strings with a few counters each
 *
 * Open addressing with linear probing; each slot is one 64-byte term that
 * holds the first 16 bytes of its string (zero padded) as the key, so a
 * lookup of a term of up to 16 bytes reads one cache line.  The full bytes
 * are also kept, NUL-terminated, in an arena. */

typedef struct vocab_term {
    uint64_t key[2];  /* the first 16 bytes, zero padded */
    uint64_t hash;    /* vocab_hash of the bytes */
    uint64_t off;     /* offset of the bytes in the arena; 0 = empty slot */
    uint32_t len;     /* length in bytes */
    uint32_t rank;    /* free for the user (vocabularies: 1-based rank) */
    uint64_t df, cf;  /* document and collection frequency */
    uint64_t last;    /* last document counted (+1), 0 = none */
} vocab_term;

typedef struct vocab_table {
    vocab_term *slots;   /* mask + 1 slots, 64-byte aligned */
    size_t mask;         /* number of slots - 1 (0 before the first add) */
    size_t n;            /* number of terms */
    char *arena;         /* term bytes, each followed by a NUL (offset 0 unused) */
    size_t alen, acap;
} vocab_table;

/* A zeroed vocab_table is an empty table; vocab_table_free releases it
 * (and leaves it empty and usable). */
void vocab_table_free(vocab_table *t);
/* Empty the table but keep its memory. */
void vocab_table_clear(vocab_table *t);
/* The term with these bytes, or NULL.  hash = vocab_hash(s, n). */
vocab_term *vocab_table_find(const vocab_table *t, const char *s, size_t n, uint64_t hash);
/* The term with these bytes, added (zero counters) when missing; *added
 * says which.  NULL on allocation failure or more than 2^31 terms.
 * Pointers into the table are invalidated by the next add. */
vocab_term *vocab_table_add(vocab_table *t, const char *s, size_t n, uint64_t hash, int *added);
/* NUL-terminated bytes of a term. */
static inline const char *vocab_table_str(const vocab_table *t, const vocab_term *e)
{
    return t->arena + e->off;
}
/* Bytes of memory the table holds (its arrays at their capacity). */
size_t vocab_table_bytes(const vocab_table *t);

/* Fast paths for callers that scan big buffers: the key of n bytes at s
 * where at least 16 bytes from s are readable (s + 16 <= end; bytes past n
 * are ignored), and lookups by key.  vocab_key_hash(k) == vocab_hash(s, n). */
typedef struct vocab_key {
    uint64_t w0, w1, hash;
    const char *s;
    size_t n;
} vocab_key;
/* The key of any n bytes (no reads past s + n). */
void vocab_key_make(vocab_key *k, const char *s, size_t n);
uint64_t vocab_hash_tail(const char *s, size_t n);

static inline uint64_t vocab_mum_(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t vocab_key_hash_(uint64_t w0, uint64_t w1, uint64_t n)
{
    return vocab_mum_(w0 ^ 0xa0761d6478bd642fULL, w1 ^ 0xe7037ed1a0b428dbULL ^ (n << 56));
}

static const uint64_t vocab_mask_[17][2] = {
    {0x0ULL, 0x0ULL},
    {0xffULL, 0x0ULL},
    {0xffffULL, 0x0ULL},
    {0xffffffULL, 0x0ULL},
    {0xffffffffULL, 0x0ULL},
    {0xffffffffffULL, 0x0ULL},
    {0xffffffffffffULL, 0x0ULL},
    {0xffffffffffffffULL, 0x0ULL},
    {0xffffffffffffffffULL, 0x0ULL},
    {0xffffffffffffffffULL, 0xffULL},
    {0xffffffffffffffffULL, 0xffffULL},
    {0xffffffffffffffffULL, 0xffffffULL},
    {0xffffffffffffffffULL, 0xffffffffULL},
    {0xffffffffffffffffULL, 0xffffffffffULL},
    {0xffffffffffffffffULL, 0xffffffffffffULL},
    {0xffffffffffffffffULL, 0xffffffffffffffULL},
    {0xffffffffffffffffULL, 0xffffffffffffffffULL},
};

/* Key of n bytes at s, reading 16 bytes from s (the caller guarantees
 * they are readable). */
static inline void vocab_key_padded(vocab_key *k, const char *s, size_t n)
{
    uint64_t w0, w1;
    __builtin_memcpy(&w0, s, 8);
    __builtin_memcpy(&w1, s + 8, 8);
    size_t c = n < 16 ? n : 16;
    w0 &= vocab_mask_[c][0];
    w1 &= vocab_mask_[c][1];
    k->w0 = w0;
    k->w1 = w1;
    k->s = s;
    k->n = n;
    uint64_t h = vocab_key_hash_(w0, w1, n);
    if (__builtin_expect(n > 16, 0)) h ^= vocab_hash_tail(s + 16, n - 16);
    k->hash = h;
}

static inline int vocab_key_eq_(const vocab_table *t, const vocab_term *e, const vocab_key *k)
{
    return e->key[0] == k->w0 && e->key[1] == k->w1 && e->len == k->n &&
           (k->n <= 16 || __builtin_memcmp(t->arena + e->off + 16, k->s + 16, k->n - 16) == 0);
}

/* The term with this key, or NULL. */
static inline vocab_term *vocab_table_find_key(const vocab_table *t, const vocab_key *k)
{
    if (!t->slots) return NULL;
    size_t i = (size_t)k->hash & t->mask;
    for (;;) {
        vocab_term *e = &t->slots[i];
        if (!e->off) return NULL;
        if (vocab_key_eq_(t, e, k)) return e;
        i = (i + 1) & t->mask;
    }
}

/* Slow path of vocab_table_add_key (growth, insertion). */
vocab_term *vocab_table_insert_(vocab_table *t, const vocab_key *k, int *added);

/* The term with this key, added when missing (as vocab_table_add). */
static inline vocab_term *vocab_table_add_key(vocab_table *t, const vocab_key *k, int *added)
{
    if (t->slots) {
        size_t i = (size_t)k->hash & t->mask;
        for (;;) {
            vocab_term *e = &t->slots[i];
            if (!e->off) break;
            if (vocab_key_eq_(t, e, k)) {
                *added = 0;
                return e;
            }
            i = (i + 1) & t->mask;
        }
    }
    return vocab_table_insert_(t, k, added);
}

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
/* Same, for text followed by at least TEXT_PAD (64, text.h) readable
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
    vocab_table tab;    /* each term's rank field is its 1-based rank */
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
 * in err. */
vocab *vocab_load(FILE *f, const char *name, char *err, size_t errlen);
void vocab_free(vocab *v);
/* 1-based rank of a term, 0 when absent. */
uint32_t vocab_lookup(const vocab *v, const char *s, size_t n);
/* Same, for bytes followed by at least 16 readable bytes (faster). */
static inline uint32_t vocab_lookup_padded(const vocab *v, const char *s, size_t n)
{
    vocab_key k;
    vocab_key_padded(&k, s, n);
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
