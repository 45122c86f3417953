/* test_strtab.c - lib/strtab: the hash against a byte-by-byte reference of
 * its definition (and the padded and unpadded key paths against each
 * other), and the table against a naive reference (a linear list of the
 * strings added) over many random strings: short and long, NUL bytes, the
 * empty string, strings that share their first 16 bytes, every string on
 * one hash (all collide), growth from empty, clear and free. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "strtab.h"

/* ------------------------------------------------------------------------
 * the hash */

static uint64_t ref_word(const unsigned char *s, size_t n, size_t from)
{
    uint64_t w = 0;
    for (size_t i = 0; i < 8 && from + i < n; i++) w |= (uint64_t)s[from + i] << (8 * i);
    return w;
}

/* the finaliser of the tail: xor-shift, multiply; twice; a last xor-shift */
static uint64_t ref_mix(uint64_t h)
{
    static const struct {
        int shift;
        uint64_t mul;
    } step[3] = {{31, 0xbf58476d1ce4e5b9ULL}, {29, 0x94d049bb133111ebULL}, {32, 1}};
    for (int i = 0; i < 3; i++) h = (h ^ (h >> step[i].shift)) * step[i].mul;
    return h;
}

/* strtab_hash as strtab.h defines it, one byte at a time */
static uint64_t ref_hash(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t c = n < 16 ? n : 16;
    uint64_t w0 = ref_word(s, c, 0), w1 = ref_word(s, c, 8);
    __uint128_t m = (__uint128_t)(w0 ^ 0xa0761d6478bd642fULL) * (w1 ^ 0xe7037ed1a0b428dbULL ^ ((uint64_t)n << 56));
    uint64_t h = (uint64_t)m ^ (uint64_t)(m >> 64);
    if (n <= 16) return h;
    const unsigned char *t = s + 16;
    size_t k = n - 16;
    uint64_t x = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)k * 0xff51afd7ed558ccdULL);
    size_t i = 0;
    for (; i + 8 <= k; i += 8) {
        x = (x ^ ref_word(t, k, i)) * 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 29;
    }
    if (i < k) x = (x ^ ref_word(t, k, i)) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ ref_mix(x);
}

static void test_hash(rng_t *g)
{
    char s[200], padded[200 + 16];
    int ok = 1, okp = 1, okk = 1;
    for (int it = 0; it < 20000; it++) {
        size_t n = (size_t)rng_below(g, it < 10000 ? 40 : 200);
        for (size_t i = 0; i < n; i++) s[i] = (char)rng_below(g, 256);
        uint64_t h = strtab_hash(s, n);
        if (h != ref_hash(s, n)) ok = 0;
        /* the padded path reads 16 bytes; what follows the n bytes must not count */
        memcpy(padded, s, n);
        for (size_t i = n; i < n + 16; i++) padded[i] = (char)rng_below(g, 256);
        strtab_key k;
        strtab_key_padded(&k, padded, n);
        if (k.hash != h || k.n != n || k.s != padded) okp = 0;
        strtab_key_make(&k, s, n);
        if (k.hash != h || k.n != n || k.s != s) okk = 0;
    }
    CHECK(ok, "strtab_hash matches the byte-by-byte reference (lengths 0-199, any bytes)");
    CHECK(okp, "strtab_key_padded gives strtab_hash, whatever follows the bytes");
    CHECK(okk, "strtab_key_make gives strtab_hash");
    CHECK(strtab_hash("ab", 2) != strtab_hash("ab\0", 3), "the length is hashed (a trailing NUL counts)");
    CHECK(strtab_hash("0123456789abcdefX", 17) != strtab_hash("0123456789abcdefY", 17),
          "bytes past 16 are hashed");
}

/* ------------------------------------------------------------------------
 * the table against a linear list */

typedef struct ref_str {
    char *s;
    size_t n;
    uint64_t off; /* where the table keeps it */
} ref_str;

typedef struct ref_list {
    ref_str *v;
    size_t n, cap;
} ref_list;

/* index of s in the list, or -1 */
static long ref_find(const ref_list *l, const char *s, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].n == n && memcmp(l->v[i].s, s, n) == 0) return (long)i;
    return -1;
}

static void ref_add(ref_list *l, const char *s, size_t n, uint64_t off)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    char *c = malloc(n + 1);
    memcpy(c, s, n);
    l->v[l->n++] = (ref_str){c, n, off};
}

static void ref_free(ref_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i].s);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* A random string: from a small alphabet (many repeats), with NUL bytes,
 * or one of a few 16-byte prefixes and a short random tail (equal keys,
 * different strings). */
static size_t random_string(rng_t *g, char *s)
{
    static const char *const prefix[] = {"0123456789abcdef", "prefix-prefix-pr", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"};
    size_t n;
    switch (rng_below(g, 4)) {
    case 0: /* short, from 3 letters: lots of repeats */
        n = (size_t)rng_below(g, 7);
        for (size_t i = 0; i < n; i++) s[i] = "abc"[rng_below(g, 3)];
        break;
    case 1: /* any bytes, NUL included, lengths around the 8 and 16 of the key */
        n = (size_t)rng_below(g, 25);
        for (size_t i = 0; i < n; i++) s[i] = (char)rng_below(g, 4) ? (char)('a' + rng_below(g, 4)) : '\0';
        break;
    case 2: /* a shared 16-byte prefix and a tail */
        memcpy(s, prefix[rng_below(g, 3)], 16);
        n = 16 + (size_t)rng_below(g, 4);
        for (size_t i = 16; i < n; i++) s[i] = "xy\0"[rng_below(g, 3)];
        break;
    default: /* long */
        n = 17 + (size_t)rng_below(g, 60);
        for (size_t i = 0; i < n; i++) s[i] = (char)('a' + rng_below(g, 2));
        break;
    }
    return n;
}

/* hash_mask 0: the real hash; otherwise the hash is cut to hash_mask, so
 * that strings collide (hash_mask 1: every string in two chains) */
static void table_vs_list(rng_t *g, int ops, uint64_t hash_mask, int use_key, const char *what)
{
    strtab t = {0};
    ref_list l = {0};
    char s[128];
    int ok_add = 1, ok_find = 1, ok_all = 1;
    for (int it = 0; it < ops; it++) {
        size_t n = random_string(g, s);
        uint64_t h = strtab_hash(s, n);
        if (hash_mask) h &= hash_mask;
        long want = ref_find(&l, s, n);
        if (rng_below(g, 3) == 0) { /* a lookup */
            strtab_entry *e;
            if (use_key) {
                strtab_key k;
                strtab_key_make(&k, s, n);
                k.hash = h;
                e = strtab_find_key(&t, &k);
            } else {
                e = strtab_find(&t, s, n, h);
            }
            if (want < 0 ? e != NULL : (!e || e->rank != (uint32_t)want + 1)) ok_find = 0;
            continue;
        }
        int added = -1;
        strtab_entry *e;
        if (use_key) {
            strtab_key k;
            strtab_key_make(&k, s, n);
            k.hash = h;
            e = strtab_add_key(&t, &k, &added);
        } else {
            e = strtab_add(&t, s, n, h, &added);
        }
        if (!e || added != (want < 0)) {
            ok_add = 0;
            continue;
        }
        if (added) {
            e->rank = (uint32_t)l.n + 1;
            e->df = n;
            ref_add(&l, s, n, e->off);
        } else if (e->rank != (uint32_t)want + 1 || e->df != n) {
            ok_add = 0;
        }
        e->cf++;
    }
    CHECK(ok_add, "%s: adds agree with the list (new or present, same entry)", what);
    CHECK(ok_find, "%s: lookups agree with the list", what);
    CHECK(t.n == l.n, "%s: %zu strings, the list has %zu", what, t.n, l.n);
    CHECK(t.mask + 1 >= 2 * t.n && ((t.mask + 1) & t.mask) == 0, "%s: load at most 1/2, power-of-2 slots", what);
    /* every string of the list is found, with its bytes (offsets kept over growth) */
    for (size_t i = 0; i < l.n; i++) {
        uint64_t h = strtab_hash(l.v[i].s, l.v[i].n);
        if (hash_mask) h &= hash_mask;
        const strtab_entry *e = strtab_find(&t, l.v[i].s, l.v[i].n, h);
        if (!e || e->rank != i + 1 || e->len != l.v[i].n || e->off != l.v[i].off ||
            memcmp(strtab_str(&t, e), l.v[i].s, l.v[i].n) != 0 || strtab_str(&t, e)[l.v[i].n] != '\0')
            ok_all = 0;
    }
    CHECK(ok_all, "%s: every string found with its id and bytes", what);
    /* and every occupied slot is a string of the list, once */
    size_t occupied = 0;
    int ok_slots = 1;
    for (size_t i = 0; t.slots && i <= t.mask; i++) {
        const strtab_entry *e = &t.slots[i];
        if (!e->off) continue;
        occupied++;
        long k = ref_find(&l, strtab_str(&t, e), e->len);
        if (k < 0 || e->rank != (uint32_t)k + 1) ok_slots = 0;
    }
    CHECK(ok_slots && occupied == l.n, "%s: the slots hold exactly the list", what);
    CHECK(strtab_bytes(&t) >= (t.mask + 1) * sizeof(strtab_entry), "%s: strtab_bytes counts the slots", what);
    strtab_clear(&t);
    int gone = 1;
    for (size_t i = 0; i < l.n; i++)
        if (strtab_find(&t, l.v[i].s, l.v[i].n, strtab_hash(l.v[i].s, l.v[i].n) & (hash_mask ? hash_mask : ~0ULL)))
            gone = 0;
    CHECK(gone && t.n == 0, "%s: nothing left after strtab_clear", what);
    int added = 0;
    strtab_entry *e = l.n ? strtab_add(&t, l.v[0].s, l.v[0].n, strtab_hash(l.v[0].s, l.v[0].n), &added) : NULL;
    CHECK(!l.n || (e && added && e->rank == 0 && e->df == 0 && t.n == 1), "%s: usable after clear, zero fields", what);
    strtab_free(&t);
    CHECK(t.slots == NULL && t.n == 0 && t.arena == NULL, "%s: strtab_free empties it", what);
    CHECK(strtab_add(&t, "again", 5, strtab_hash("again", 5), &added) && added && t.n == 1, "%s: usable after free",
          what);
    strtab_free(&t);
    ref_free(&l);
}

static void test_growth(void)
{
    /* many distinct strings: the table grows from 256 slots many times */
    strtab t = {0};
    char buf[32];
    int added, ok = 1;
    for (int i = 0; i < 50000; i++) {
        int n = snprintf(buf, sizeof buf, "term%d", i * 7919);
        strtab_entry *e = strtab_add(&t, buf, (size_t)n, strtab_hash(buf, (size_t)n), &added);
        if (!e || !added) ok = 0;
        else e->rank = (uint32_t)i;
    }
    CHECK(ok && t.n == 50000, "50000 distinct adds");
    for (int i = 0; i < 50000; i++) {
        int n = snprintf(buf, sizeof buf, "term%d", i * 7919);
        strtab_entry *e = strtab_find(&t, buf, (size_t)n, strtab_hash(buf, (size_t)n));
        if (!e || e->rank != (uint32_t)i || strcmp(strtab_str(&t, e), buf) != 0) ok = 0;
    }
    CHECK(ok, "all found after growth");
    CHECK(strtab_find(&t, "term1", 5, strtab_hash("term1", 5)) == NULL, "absent string");
    CHECK(strtab_find(&t, "term", 4, strtab_hash("term", 4)) == NULL, "a prefix is absent");
    strtab_add(&t, "", 0, strtab_hash("", 0), &added);
    CHECK(added && strtab_find(&t, "", 0, strtab_hash("", 0)), "the empty string is storable");
    strtab_free(&t);
    CHECK(strtab_find(&t, "x", 1, strtab_hash("x", 1)) == NULL, "lookup in an empty table");
}

int main(void)
{
    rng_t g;
    rng_seed(&g, 20261203, 0);
    test_hash(&g);
    table_vs_list(&g, 30000, 0, 0, "random strings");
    table_vs_list(&g, 30000, 0, 1, "random strings by key");
    table_vs_list(&g, 4000, 1, 0, "all on two hashes");
    table_vs_list(&g, 4000, 0xff, 1, "hashes cut to 8 bits, by key");
    test_growth();
    return check_report();
}
