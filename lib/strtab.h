/* strtab.h - a hash table of byte strings: each string interned once in an
 * arena, with an id and a few counters beside it (vocabulary counting in
 * lib/vocab, stop words in lib/text, the user and item ids of
 * senti-from-ratings), and the string hash it is keyed by.
 *
 * strtab_hash is also what lib/vocab's lookup index is keyed by.  The
 * functions return NULL when out of memory and never exit.
 */
#ifndef SENTI_STRTAB_H
#define SENTI_STRTAB_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of n bytes (not cryptographic): a 64x64->128-bit multiply
 * of the first 16 bytes (zero padded) and the length, xor a multiply-xor
 * chain over the bytes past 16.  The same bytes give the same hash in
 * every run and on every machine of this byte order. */
uint64_t strtab_hash(const char *s, size_t n);

/* ------------------------------------------------------------------------
 * the table
 *
 * Open addressing with linear probing, grown (doubled) at a load of 1/2;
 * each slot is one 64-byte entry that holds the first 16 bytes of its
 * string (zero padded) as the key, so a lookup of a string of up to 16
 * bytes reads one cache line.  The full bytes are also kept,
 * NUL-terminated, in an arena.  Any bytes may be stored, NUL included,
 * and the empty string. */

typedef struct strtab_entry {
    uint64_t key[2];  /* the first 16 bytes, zero padded */
    uint64_t hash;    /* strtab_hash of the bytes */
    uint64_t off;     /* offset of the bytes in the arena; 0 = empty slot */
    uint32_t len;     /* length in bytes */
    uint32_t rank;    /* an id, free for the user (vocabularies: 1-based rank) */
    uint64_t df, cf;  /* counts, free for the user (vocabularies: document and
                         collection frequency) */
    uint64_t last;    /* free for the user (vocabularies: last document counted + 1) */
} strtab_entry;

typedef struct strtab {
    strtab_entry *slots; /* mask + 1 slots, 64-byte aligned */
    size_t mask;         /* number of slots - 1 (0 before the first add) */
    size_t n;            /* number of strings */
    char *arena;         /* string bytes, each followed by a NUL (offset 0 unused) */
    size_t alen, acap;
} strtab;

/* A zeroed strtab is an empty table; strtab_free releases it
 * (and leaves it empty and usable). */
void strtab_free(strtab *t);
/* Empty the table but keep its memory. */
void strtab_clear(strtab *t);
/* The entry with these bytes, or NULL.  hash = strtab_hash(s, n). */
strtab_entry *strtab_find(const strtab *t, const char *s, size_t n, uint64_t hash);
/* The entry with these bytes, added (zero fields) when missing; *added
 * says which.  NULL on allocation failure, more than 2^31 - 1 strings or
 * a string of 2^32 bytes or more.  Pointers into the table are
 * invalidated by the next add (arena offsets stay valid). */
strtab_entry *strtab_add(strtab *t, const char *s, size_t n, uint64_t hash, int *added);
/* NUL-terminated bytes of an entry. */
static inline const char *strtab_str(const strtab *t, const strtab_entry *e)
{
    return t->arena + e->off;
}
/* Bytes of memory the table holds (its arrays at their capacity). */
size_t strtab_bytes(const strtab *t);

/* Fast paths for callers that scan big buffers: the key of n bytes at s
 * where at least 16 bytes from s are readable (s + 16 <= end; bytes past n
 * are ignored), and lookups by key.  k->hash == strtab_hash(s, n). */
typedef struct strtab_key {
    uint64_t w0, w1, hash;
    const char *s;
    size_t n;
} strtab_key;
/* The key of any n bytes (no reads past s + n). */
void strtab_key_make(strtab_key *k, const char *s, size_t n);
uint64_t strtab_hash_tail(const char *s, size_t n);

static inline uint64_t strtab_mum_(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t strtab_key_hash_(uint64_t w0, uint64_t w1, uint64_t n)
{
    return strtab_mum_(w0 ^ 0xa0761d6478bd642fULL, w1 ^ 0xe7037ed1a0b428dbULL ^ (n << 56));
}

static const uint64_t strtab_mask_[17][2] = {
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
static inline void strtab_key_padded(strtab_key *k, const char *s, size_t n)
{
    uint64_t w0, w1;
    __builtin_memcpy(&w0, s, 8);
    __builtin_memcpy(&w1, s + 8, 8);
    size_t c = n < 16 ? n : 16;
    w0 &= strtab_mask_[c][0];
    w1 &= strtab_mask_[c][1];
    k->w0 = w0;
    k->w1 = w1;
    k->s = s;
    k->n = n;
    uint64_t h = strtab_key_hash_(w0, w1, n);
    if (__builtin_expect(n > 16, 0)) h ^= strtab_hash_tail(s + 16, n - 16);
    k->hash = h;
}

static inline int strtab_key_eq_(const strtab *t, const strtab_entry *e, const strtab_key *k)
{
    return e->key[0] == k->w0 && e->key[1] == k->w1 && e->len == k->n &&
           (k->n <= 16 || __builtin_memcmp(t->arena + e->off + 16, k->s + 16, k->n - 16) == 0);
}

/* The entry with this key, or NULL. */
static inline strtab_entry *strtab_find_key(const strtab *t, const strtab_key *k)
{
    if (!t->slots) return NULL;
    size_t i = (size_t)k->hash & t->mask;
    for (;;) {
        strtab_entry *e = &t->slots[i];
        if (!e->off) return NULL;
        if (strtab_key_eq_(t, e, k)) return e;
        i = (i + 1) & t->mask;
    }
}

/* Slow path of strtab_add_key (growth, insertion). */
strtab_entry *strtab_insert_(strtab *t, const strtab_key *k, int *added);

/* The entry with this key, added when missing (as strtab_add). */
static inline strtab_entry *strtab_add_key(strtab *t, const strtab_key *k, int *added)
{
    if (t->slots) {
        size_t i = (size_t)k->hash & t->mask;
        for (;;) {
            strtab_entry *e = &t->slots[i];
            if (!e->off) break;
            if (strtab_key_eq_(t, e, k)) {
                *added = 0;
                return e;
            }
            i = (i + 1) & t->mask;
        }
    }
    return strtab_insert_(t, k, added);
}

#endif
