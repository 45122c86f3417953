/* test_vocab.c - lib/vocab: FNV-1a digest against its published test
 * vectors, counting against a naive count with and without spilling (many
 * runs, multi-pass merges), vocabulary files (the string table itself is
 * tests/unit/test_strtab.c). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "vocab.h"

static void test_digest(void)
{
    /* FNV-1a 64 of "a" is af63dc4c8601ec8c; our digest adds '\n' per term:
     * compare with the byte-wise definition */
    uint64_t h = VOCAB_DIGEST_INIT;
    h ^= 'a';
    h *= 0x100000001b3ULL;
    CHECK(h == 0xaf63dc4c8601ec8cULL, "FNV-1a test vector");
    h ^= '\n';
    h *= 0x100000001b3ULL;
    CHECK(vocab_digest_add(VOCAB_DIGEST_INIT, "a", 1) == h, "digest of one term");
    char hex[17];
    vocab_digest_hex(0x00ab000000000001ULL, hex);
    CHECK(strcmp(hex, "00ab000000000001") == 0, "hex %s", hex);
}

/* naive reference: arrays indexed by term id */
#define NT 700
typedef struct out_rec {
    char term[16];
    uint64_t df, cf;
} out_rec;
typedef struct sink {
    out_rec *r;
    size_t n;
} sink;

static int collect(void *arg, const char *term, size_t n, uint64_t df, uint64_t cf)
{
    sink *s = arg;
    if (n >= 16) return -1;
    memcpy(s->r[s->n].term, term, n);
    s->r[s->n].term[n] = '\0';
    s->r[s->n].df = df;
    s->r[s->n].cf = cf;
    s->n++;
    return 0;
}

static int ref_cmp(const void *a, const void *b)
{
    const out_rec *x = a, *y = b;
    if (x->df != y->df) return x->df > y->df ? -1 : 1;
    return strcmp(x->term, y->term);
}

static void test_counter(size_t limit, uint64_t k, uint64_t min_df, const char *what)
{
    static uint64_t df[NT], cf[NT];
    memset(df, 0, sizeof df);
    memset(cf, 0, sizeof cf);
    vocab_counter *c = vocab_counter_new(limit, NULL);
    rng_t r;
    rng_seed(&r, 3, 0);
    char doc[4096];
    int err = 0;
    for (int d = 0; d < 600; d++) {
        size_t len = 0;
        int seen[NT] = {0};
        int ntok = (int)rng_below(&r, 30);
        for (int i = 0; i < ntok; i++) {
            int id = (int)(rng_below(&r, NT) * rng_below(&r, NT) / NT);
            len += (size_t)snprintf(doc + len, sizeof doc - len, "%st%d", i ? (i % 3 ? " " : "\t ") : "", id);
            cf[id]++;
            if (!seen[id]++) df[id]++;
        }
        if (vocab_counter_doc(c, doc, len) < 0) err = 1;
    }
    CHECK(!err, "%s: counting", what);
    out_rec ref[NT];
    size_t m = 0;
    for (int i = 0; i < NT; i++)
        if (df[i] >= (min_df ? min_df : 1)) {
            snprintf(ref[m].term, sizeof ref[m].term, "t%d", i);
            ref[m].df = df[i];
            ref[m].cf = cf[i];
            m++;
        }
    qsort(ref, m, sizeof ref[0], ref_cmp);
    if (k && k < m) m = k;
    sink s = {calloc(NT, sizeof(out_rec)), 0};
    int rc = vocab_counter_finish(c, k, min_df, collect, &s);
    CHECK(rc == 0, "%s: finish: %s", what, vocab_counter_error(c));
    int same = s.n == m;
    for (size_t i = 0; same && i < m; i++)
        same = strcmp(s.r[i].term, ref[i].term) == 0 && s.r[i].df == ref[i].df && s.r[i].cf == ref[i].cf;
    CHECK(same, "%s: %zu terms, want %zu, identical to the naive count", what, s.n, m);
    if (limit < 100000) CHECK(vocab_counter_runs(c) > 64, "%s: spilled %zu runs", what, vocab_counter_runs(c));
    free(s.r);
    vocab_counter_free(c);
}

static void test_load(void)
{
    char err[256];
    FILE *f = tmpfile();
    fputs("good\t5\t9\nbad\t3\t3\r\nplot\n", f);
    rewind(f);
    vocab *v = vocab_load(f, "v", err, sizeof err);
    CHECK(v != NULL, "load: %s", err);
    if (v) {
        CHECK(v->dim == 3, "dim");
        CHECK(vocab_lookup(v, "good", 4) == 1 && vocab_lookup(v, "bad", 3) == 2 &&
              vocab_lookup(v, "plot", 4) == 3 && vocab_lookup(v, "goo", 3) == 0, "ranks");
        uint64_t h = vocab_digest_add(vocab_digest_add(vocab_digest_add(VOCAB_DIGEST_INIT, "good", 4), "bad", 3), "plot", 4);
        char hex[17];
        vocab_digest_hex(h, hex);
        CHECK(strcmp(v->digest, hex) == 0, "digest");
    }
    vocab_free(v);
    fclose(f);
    f = tmpfile();
    fputs("a\t1\t1\nb\t1\t1\na\t1\t1\n", f);
    rewind(f);
    CHECK(vocab_load(f, "v", err, sizeof err) == NULL && strstr(err, "v:3: duplicate"), "duplicate: %s", err);
    fclose(f);

    size_t tl;
    uint64_t df, cf;
    const char *why;
    CHECK(vocab_parse_line("x\t2\t3", 5, &tl, &df, &cf, &why) == 0 && tl == 1 && df == 2 && cf == 3, "parse");
    CHECK(vocab_parse_line("x\t2", 3, &tl, &df, &cf, &why) < 0, "2 fields");
    CHECK(vocab_parse_line("x\t2\t1", 5, &tl, &df, &cf, &why) < 0, "cf < df");
    CHECK(vocab_parse_line("x\t2\t3\t4", 7, &tl, &df, &cf, &why) < 0, "4 fields");
    CHECK(vocab_parse_line("\t2\t3", 4, &tl, &df, &cf, &why) < 0, "empty term");
    CHECK(vocab_parse_line("x\t99999999999999999999\t3", 25, &tl, &df, &cf, &why) < 0, "overflow");
}

int main(void)
{
    test_digest();
    test_counter(1 << 30, 0, 0, "in memory, all");
    test_counter(1 << 30, 25, 0, "in memory, top 25");
    test_counter(1 << 30, 0, 4, "in memory, min_df 4");
    test_counter(1024, 0, 0, "spilled, all");
    test_counter(1024, 40, 2, "spilled, top 40, min_df 2");
    test_load();
    return check_report();
}
