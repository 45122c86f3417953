/* frontend.c - the text front end of a model (see frontend.h). */
#include "frontend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"

static int ferr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int ferr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return d;
}

void frontend_free(frontend *f)
{
    if (!f) return;
    free((char *)f->o.pattern);
    free((char *)f->o.stem);
    free(f->stopwords);
    free(f->vocab_bytes);
    text_free(f->tok);
    vocab_free(f->v);
    buf_free(&f->toks);
    free(f->ranks);
    free(f->cols);
    free(f->vals);
    free(f);
}

frontend *frontend_new(const text_opts *o, int counts, const char *stop, size_t stop_len, const char *stop_name,
                       const char *vocab_bytes, size_t vocab_len, const char *vocab_name, char *err, size_t errlen)
{
    frontend *f = calloc(1, sizeof *f);
    if (!f) {
        ferr(err, errlen, "out of memory");
        return NULL;
    }
    f->o = *o;
    f->o.pattern = o->pattern ? dup_bytes(o->pattern, strlen(o->pattern)) : NULL;
    f->o.stem = o->stem ? dup_bytes(o->stem, strlen(o->stem)) : NULL;
    f->o.pcre_only = 0; /* a test switch, not a setting */
    f->counts = counts;
    f->stopwords = stop ? dup_bytes(stop, stop_len) : NULL;
    f->stopwords_len = stop ? stop_len : 0;
    f->vocab_bytes = dup_bytes(vocab_bytes, vocab_len);
    f->vocab_len = vocab_len;
    if ((o->pattern && !f->o.pattern) || (o->stem && !f->o.stem) || (stop && !f->stopwords) || !f->vocab_bytes) {
        ferr(err, errlen, "out of memory");
        goto fail;
    }
    f->tok = text_new(&f->o, err, errlen);
    if (!f->tok) goto fail;
    if (f->stopwords_len) {
        FILE *m = fmemopen(f->stopwords, f->stopwords_len, "rb");
        if (!m) {
            ferr(err, errlen, "out of memory");
            goto fail;
        }
        int rc = text_add_stopwords(f->tok, m, stop_name, err, errlen);
        fclose(m);
        if (rc < 0) goto fail;
    }
    FILE *m = vocab_len ? fmemopen(f->vocab_bytes, vocab_len, "rb") : NULL;
    if (!m) {
        ferr(err, errlen, vocab_len ? "out of memory" : "%s: empty vocabulary", vocab_name);
        goto fail;
    }
    f->v = vocab_load(m, vocab_name, err, errlen);
    fclose(m);
    if (!f->v) goto fail;
    f->cols = malloc(((size_t)f->v->dim + 1) * sizeof *f->cols);
    f->vals = malloc(((size_t)f->v->dim + 1) * sizeof *f->vals);
    if (!f->cols || !f->vals) {
        ferr(err, errlen, "out of memory");
        goto fail;
    }
    return f;
fail:
    frontend_free(f);
    return NULL;
}

/* ------------------------------------------------------------------------
 * records */

static int put_rec(buf_t *b, const char *key, const void *p, size_t n)
{
    if (buf_printf(b, "%s %zu\n", key, n) < 0 || buf_add(b, p, n) < 0 || buf_add(b, "\n", 1) < 0) return -1;
    return 0;
}

static int put_int(buf_t *b, const char *key, long v)
{
    char s[32];
    int n = snprintf(s, sizeof s, "%ld", v);
    return put_rec(b, key, s, (size_t)n);
}

int frontend_encode(const frontend *f, buf_t *b)
{
    size_t start = b->len;
    const text_opts *o = &f->o;
    if (put_rec(b, "senti-frontend", "1", 1) < 0) return -1;
    if (o->pattern && put_rec(b, "pattern", o->pattern, strlen(o->pattern)) < 0) return -1;
    if (put_int(b, "punct", o->punct) < 0 || put_int(b, "html", o->html) < 0) return -1;
    if (o->stem && put_rec(b, "stem", o->stem, strlen(o->stem)) < 0) return -1;
    if (put_int(b, "negate", o->negate) < 0 || put_int(b, "ngrams", o->ngrams) < 0 ||
        put_int(b, "min_len", o->min_len) < 0 || put_int(b, "strict", o->strict) < 0 ||
        put_int(b, "no_fold", o->no_fold) < 0 || put_int(b, "counts", f->counts) < 0)
        return -1;
    if (f->stopwords && put_rec(b, "stopwords", f->stopwords, f->stopwords_len) < 0) return -1;
    if (put_rec(b, "vocab", f->vocab_bytes, f->vocab_len) < 0) return -1;
    char d[17];
    snprintf(d, sizeof d, "%016llx", (unsigned long long)model_fnv1a(MODEL_FNV_INIT, b->p + start, b->len - start));
    return put_rec(b, "digest", d, 16);
}

int frontend_is(const unsigned char *p, size_t n)
{
    static const char v[] = "senti-frontend ";
    return n >= sizeof v - 1 && memcmp(p, v, sizeof v - 1) == 0;
}

/* One record at p[*at..n): key (NUL-terminated copy, at most 15 bytes)
 * and value.  0, 1 at the end, -1 on a malformed record. */
static int next_rec(const unsigned char *p, size_t n, size_t *at, char key[16], const unsigned char **val,
                    size_t *vlen)
{
    if (*at == n) return 1;
    size_t i = *at, k = 0;
    while (i < n && p[i] != ' ' && k < 15) key[k++] = (char)p[i++];
    key[k] = 0;
    if (i == n || p[i] != ' ' || !k) return -1;
    i++;
    size_t len = 0, digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 12) len = len * 10 + (size_t)(p[i++] - '0'), digits++;
    if (!digits || i == n || p[i] != '\n') return -1;
    i++;
    if (len > n - i || n - i - len < 1 || p[i + len] != '\n') return -1;
    *val = p + i;
    *vlen = len;
    *at = i + len + 1;
    return 0;
}

static int get_flag(const unsigned char *v, size_t n, long lo, long hi, long *out)
{
    if (!n || n > 6) return -1;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        x = x * 10 + (v[i] - '0');
    }
    if (x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

frontend *frontend_decode(const unsigned char *p, size_t n, char *err, size_t errlen)
{
    /* the keys in their order; bounds of the numeric ones */
    static const struct {
        const char *key;
        int optional, numeric;
        long lo, hi;
    } keys[] = {
        {"senti-frontend", 0, 1, 1, 1}, {"pattern", 1, 0, 0, 0}, {"punct", 0, 1, 0, 1},
        {"html", 0, 1, 0, 1},           {"stem", 1, 0, 0, 0},    {"negate", 0, 1, 0, 1},
        {"ngrams", 0, 1, 1, 16},        {"min_len", 0, 1, 1, 1000}, {"strict", 0, 1, 0, 1},
        {"no_fold", 0, 1, 0, 1},        {"counts", 0, 1, 0, 1},  {"stopwords", 1, 0, 0, 0},
        {"vocab", 0, 0, 0, 0},          {"digest", 0, 0, 0, 0},
    };
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    const unsigned char *val[NKEYS] = {0};
    size_t vlen[NKEYS] = {0};
    long num[NKEYS] = {0};
    size_t at = 0, ki = 0;
    char key[16];
    const unsigned char *v;
    size_t vl;
    int r;
    while ((r = next_rec(p, n, &at, key, &v, &vl)) == 0) {
        size_t here = ki;
        while (here < NKEYS && strcmp(keys[here].key, key) != 0) here++;
        if (here == NKEYS) {
            ferr(err, errlen, "front end: unexpected record '%s' at byte %zu", key, at);
            return NULL;
        }
        for (size_t j = ki; j < here; j++)
            if (!keys[j].optional) {
                ferr(err, errlen, "front end: record '%s' missing", keys[j].key);
                return NULL;
            }
        if (keys[here].numeric && get_flag(v, vl, keys[here].lo, keys[here].hi, &num[here]) < 0) {
            ferr(err, errlen, "front end: bad value of '%s'", key);
            return NULL;
        }
        if ((here == 1 || here == 4) && memchr(v, 0, vl)) { /* pattern, stem: C strings */
            ferr(err, errlen, "front end: NUL byte in '%s'", key);
            return NULL;
        }
        val[here] = v;
        vlen[here] = vl;
        ki = here + 1;
        if (here == NKEYS - 1) break;
    }
    if (r < 0 || !val[NKEYS - 1]) {
        ferr(err, errlen, r < 0 ? "front end: malformed record at byte %zu" : "front end: no digest record", at);
        return NULL;
    }
    if (at != n) {
        ferr(err, errlen, "front end: %zu bytes after the digest", n - at);
        return NULL;
    }
    /* the digest covers every byte before its record */
    size_t digest_at = (size_t)(val[NKEYS - 1] - p) - strlen("digest 16\n");
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)model_fnv1a(MODEL_FNV_INIT, p, digest_at));
    if (vlen[NKEYS - 1] != 16 || memcmp(val[NKEYS - 1], want, 16) != 0) {
        ferr(err, errlen, "front end: digest mismatch (the tokenizer settings or the vocabulary were changed)");
        return NULL;
    }
    text_opts o = {0};
    char *pattern = val[1] ? dup_bytes((const char *)val[1], vlen[1]) : NULL;
    char *stem = val[4] ? dup_bytes((const char *)val[4], vlen[4]) : NULL;
    o.pattern = pattern;
    o.stem = stem;
    o.punct = (int)num[2];
    o.html = (int)num[3];
    o.negate = (int)num[5];
    o.ngrams = (int)num[6];
    o.min_len = (int)num[7];
    o.strict = (int)num[8];
    o.no_fold = (int)num[9];
    frontend *f = NULL;
    if ((val[1] && !pattern) || (val[4] && !stem)) ferr(err, errlen, "out of memory");
    else
        f = frontend_new(&o, (int)num[10], (const char *)val[11], vlen[11], "front end stop words",
                         (const char *)val[12], vlen[12], "front end vocabulary", err, errlen);
    free(pattern);
    free(stem);
    return f;
}

int frontend_from_model(const model *m, frontend **out, char *err, size_t errlen)
{
    *out = NULL;
    if (m->kind != MODEL_KIND_NETWORK || !m->extra_len) return 0;
    if (!frontend_is(m->extra, m->extra_len)) return ferr(err, errlen, "extra bytes that are not a front end");
    frontend *f = frontend_decode(m->extra, m->extra_len, err, errlen);
    if (!f) return -1;
    if (strcmp(f->v->digest, m->vocab) != 0) {
        ferr(err, errlen, "front end vocabulary %s differs from the network's inputs (vocab %s)", f->v->digest,
             m->vocab[0] ? m->vocab : "none");
        frontend_free(f);
        return -1;
    }
    if (!m->nlayers || m->layers[0].in_dim != f->v->dim) {
        ferr(err, errlen, "front end vocabulary of %u terms for a network of %u inputs", f->v->dim,
             m->nlayers ? m->layers[0].in_dim : 0);
        frontend_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

/* ------------------------------------------------------------------------
 * rows */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int frontend_row(frontend *f, const char *text, size_t len, char *err, size_t errlen)
{
    f->toks.len = 0;
    f->ncols = 0;
    long nt = text_tokenize(f->tok, text, len, &f->toks);
    if (nt < 0) return ferr(err, errlen, "%s", text_error(f->tok));
    if ((size_t)nt > f->ranks_cap) {
        size_t cap = (size_t)nt * 2;
        uint32_t *r = realloc(f->ranks, cap * sizeof *r);
        if (!r) return ferr(err, errlen, "out of memory");
        f->ranks = r;
        f->ranks_cap = cap;
    }
    /* tokens are separated by single spaces and hold no blank */
    size_t k = 0;
    const char *s = f->toks.p, *end = f->toks.p + f->toks.len;
    while (s < end) {
        const char *e = memchr(s, ' ', (size_t)(end - s));
        if (!e) e = end;
        uint32_t r = vocab_lookup(f->v, s, (size_t)(e - s));
        if (r) f->ranks[k++] = r;
        s = e + 1;
    }
    qsort(f->ranks, k, sizeof *f->ranks, cmp_u32);
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && f->ranks[j] == f->ranks[i]) j++;
        f->cols[f->ncols] = f->ranks[i] - 1;
        f->vals[f->ncols] = f->counts ? (float)(j - i) : 1.0f;
        f->ncols++;
        i = j;
    }
    return 0;
}

void frontend_describe(const frontend *f, char *out, size_t outlen)
{
    const text_opts *o = &f->o;
    snprintf(out, outlen, "%u terms (vocab %s)%s, pattern %s%s%s%s%s, ngrams %d, min-len %d%s%s%s%s", f->v->dim,
             f->v->digest, f->counts ? ", counts" : "", o->pattern ? "given" : "default",
             o->punct ? " + punct" : "", o->html ? ", html" : "", o->stem ? ", stem " : "", o->stem ? o->stem : "",
             o->ngrams, o->min_len, o->negate ? ", negate" : "", f->stopwords ? ", stop words" : "",
             o->strict ? ", strict" : "", o->no_fold ? ", no-fold" : "");
}

/* ------------------------------------------------------------------------
 * the tokenizer's options */

void frontend_token_defaults(text_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ngrams = 1;
    o->min_len = 1;
}

int frontend_token_option(int c, const char *arg, text_opts *o, const char **stopwords)
{
    switch (c) {
    case 'p': o->pattern = arg; return 1;
    case 'P': o->punct = 1; return 1;
    case 'H': o->html = 1; return 1;
    case 's': o->stem = arg; return 1;
    case 'n': o->negate = 1; return 1;
    case 'g': o->ngrams = (int)cli_parse_long("--ngrams", arg, 1, 16); return 1;
    case 'm': o->min_len = (int)cli_parse_long("--min-len", arg, 1, 1000); return 1;
    case 'S': *stopwords = arg; return 1;
    case FRONTEND_OPT_STRICT: o->strict = 1; return 1;
    case FRONTEND_OPT_NO_FOLD: o->no_fold = 1; return 1;
    case FRONTEND_OPT_PCRE_ONLY: o->pcre_only = 1; return 1;
    default: return 0;
    }
}

void frontend_token_check(const text_opts *o)
{
    if (o->pattern && o->punct) die_usage("--punct applies to the default pattern only, not with --pattern");
}

void frontend_token_usage(const text_opts *o, const char *stopwords)
{
    printf("  -p, --pattern=RE     PCRE2 token pattern, matched on normalised text\n"
           "                       [%s]\n"
           "  -P, --punct          default pattern also yields ! ? emoticons and emoji [%s]\n"
           "  -H, --html           strip HTML tags and decode entities [%s]\n"
           "  -s, --stem=LANG      stem with libstemmer's LANG ('list' lists them) [%s]\n"
           "  -n, --negate         mark tokens after a negation word: not NOT_good [%s]\n"
           "  -g, --ngrams=N       also emit 2..N-grams joined by '_' [%d]\n"
           "  -m, --min-len=N      drop tokens shorter than N characters [%d]\n"
           "  -S, --stopwords=FILE drop the words listed in FILE [%s]\n"
           "      --strict         invalid UTF-8 is an error, not replaced [%s]\n"
           "      --no-fold        no Unicode normalisation or case folding [%s]\n"
           "      --pcre-only      match ASCII lines with PCRE2 too, not the equivalent\n"
           "                       hand-coded scanner of the default pattern [%s]\n",
           o->pattern ? o->pattern : text_default_pattern(o->punct), o->punct ? "on" : "off",
           o->html ? "on" : "off", o->stem ? o->stem : "none", o->negate ? "on" : "off", o->ngrams, o->min_len,
           stopwords ? stopwords : "none", o->strict ? "on" : "off", o->no_fold ? "on" : "off",
           o->pcre_only ? "on" : "off");
}
