/* strtab.c - the string hash table and its hash (strtab.h). */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ------------------------------------------------------------------------
 * hashing */

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 32;
    return h;
}

static inline uint64_t load64(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* Bytes past the first 16 (long strings): a multiply-xor chain. */
uint64_t strtab_hash_tail(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        h = (h ^ load64(s)) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    }
    return mix64(h);
}

void strtab_key_make(strtab_key *k, const char *s, size_t n)
{
    char pad[16] = {0};
    memcpy(pad, s, n < 16 ? n : 16);
    strtab_key_padded(k, pad, n < 16 ? n : 16);
    k->s = s;
    k->n = n;
    if (n > 16) k->hash = strtab_key_hash_(k->w0, k->w1, n) ^ strtab_hash_tail(s + 16, n - 16);
}

uint64_t strtab_hash(const char *s, size_t n)
{
    strtab_key k;
    strtab_key_make(&k, s, n);
    return k.hash;
}

/* ------------------------------------------------------------------------
 * the table */

void strtab_free(strtab *t)
{
    free(t->slots);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

void strtab_clear(strtab *t)
{
    if (t->slots) memset(t->slots, 0, (t->mask + 1) * sizeof *t->slots);
    t->n = 0;
    t->alen = 1;
}

size_t strtab_bytes(const strtab *t)
{
    return (t->slots ? (t->mask + 1) * sizeof *t->slots : 0) + t->acap;
}

strtab_entry *strtab_find(const strtab *t, const char *s, size_t n, uint64_t hash)
{
    strtab_key k;
    strtab_key_make(&k, s, n);
    k.hash = hash;
    return strtab_find_key(t, &k);
}

strtab_entry *strtab_add(strtab *t, const char *s, size_t n, uint64_t hash, int *added)
{
    strtab_key k;
    strtab_key_make(&k, s, n);
    k.hash = hash;
    return strtab_add_key(t, &k, added);
}

#define HUGE_PAGE ((size_t)2 << 20)

static int table_rehash(strtab *t, size_t nslots)
{
    if (nslots > ((size_t)1 << 32)) return -1; /* indices are uint32_t */
    size_t bytes = nslots * sizeof(strtab_entry);
    strtab_entry *s;
    if (bytes >= HUGE_PAGE) {
        /* big tables: ask for huge pages (random probes miss the TLB) */
        s = aligned_alloc(HUGE_PAGE, bytes);
        if (s) madvise(s, bytes, MADV_HUGEPAGE);
    } else {
        s = aligned_alloc(64, bytes);
    }
    if (!s) return -1;
    memset(s, 0, bytes);
    size_t mask = nslots - 1;
    for (size_t k = 0; t->slots && k <= t->mask; k++) {
        const strtab_entry *e = &t->slots[k];
        if (!e->off) continue;
        size_t i = (size_t)e->hash & mask;
        while (s[i].off) i = (i + 1) & mask;
        s[i] = *e;
    }
    free(t->slots);
    t->slots = s;
    t->mask = mask;
    return 0;
}

strtab_entry *strtab_insert_(strtab *t, const strtab_key *k, int *added)
{
    *added = 0;
    size_t n = k->n;
    if (t->n >= 0x7fffffffu || n > 0xffffffffu) return NULL;
    /* grow at a load of 1/2 */
    if (!t->slots || (t->n + 1) * 2 > t->mask + 1) {
        if (table_rehash(t, t->slots ? (t->mask + 1) * 2 : 256) < 0) return NULL;
    }
    if (t->alen == 0) t->alen = 1; /* offset 0 marks empty slots */
    if (t->acap < t->alen || t->acap - t->alen < n + 1) {
        size_t cap = t->acap ? t->acap : 4096;
        while (cap < t->alen || cap - t->alen < n + 1) cap *= 2;
        char *na = realloc(t->arena, cap);
        if (!na) return NULL;
        t->arena = na;
        t->acap = cap;
    }
    size_t i = (size_t)k->hash & t->mask;
    while (t->slots[i].off) i = (i + 1) & t->mask;
    strtab_entry *e = &t->slots[i];
    memset(e, 0, sizeof *e);
    e->key[0] = k->w0;
    e->key[1] = k->w1;
    e->hash = k->hash;
    e->off = t->alen;
    e->len = (uint32_t)n;
    if (n) memcpy(t->arena + t->alen, k->s, n);
    t->arena[t->alen + n] = '\0';
    t->alen += n + 1;
    t->n++;
    *added = 1;
    return e;
}
