/* fuzz_vocab.c - libFuzzer harness of the vocabulary reader and counter
 * (lib/vocab.c).
 *
 * The input is read as a vocabulary file (vocab_load, what senti-bow -v
 * reads): when accepted, every term's lookup (plain and padded) gives its
 * rank and the digest is the FNV-1a of the terms.  Each line also goes
 * through vocab_parse_line (senti-vocab --merge) and, as a document of
 * tokens, through the counter; the counts it emits must add up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uint64_t docs, df_sum, cf_sum, terms;
    int last_ok;
    uint64_t last_df;
} sums;

static int emit(void *arg, const char *term, size_t n, uint64_t df, uint64_t cf)
{
    sums *s = arg;
    if (n == 0 || memchr(term, ' ', n) || memchr(term, '\t', n)) abort();
    if (df == 0 || cf < df || df > s->docs) abort();
    if (s->last_ok && df > s->last_df) abort(); /* decreasing df */
    s->last_ok = 1;
    s->last_df = df;
    s->df_sum += df;
    s->cf_sum += cf;
    s->terms++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size ? size : 1, "r");
    if (!f) return 0;
    if (!size) fgetc(f);
    char err[512];
    vocab *v = vocab_load(f, "fuzz", err, sizeof err);
    fclose(f);
    if (v) {
        uint64_t h = VOCAB_DIGEST_INIT;
        for (uint32_t r = 1; r <= v->dim; r++) {
            const char *t = v->keys[r - 1].s;
            size_t n = strlen(t);
            h = vocab_digest_add(h, t, n);
            if (vocab_lookup(v, t, n) != r) abort();
            char *pad = calloc(n + 16, 1);
            memcpy(pad, t, n);
            if (vocab_lookup_padded(v, pad, n) != r) abort();
            free(pad);
        }
        char hex[17];
        vocab_digest_hex(h, hex);
        if (strcmp(hex, v->digest) != 0) abort();
        vocab_free(v);
    } else if (strncmp(err, "fuzz", 4) != 0) {
        abort();
    }

    /* line by line: --merge parsing, and counting documents of tokens */
    vocab_counter *c = vocab_counter_new((size_t)1 << 26, NULL);
    if (!c) return 0;
    sums s;
    memset(&s, 0, sizeof s);
    const char *p = (const char *)data, *end = p + size;
    uint64_t tokens = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t tl;
        uint64_t df, cf;
        const char *why;
        if (vocab_parse_line(p, n, &tl, &df, &cf, &why) == 0 && (tl == 0 || tl > n)) abort();
        if (vocab_counter_doc(c, p, n) < 0) abort();
        s.docs++;
        for (size_t i = 0; i < n; i++) /* occurrences: token starts */
            if (p[i] != ' ' && p[i] != '\t' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) tokens++;
        p += n + 1;
    }
    if (vocab_counter_finish(c, 0, 1, emit, &s) != 0) abort();
    if (s.cf_sum != tokens) abort();
    vocab_counter_free(c);
    return 0;
}
