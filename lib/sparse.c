/* sparse.c - reader, writer and CSR matrix for the sparse line format
 * (docs/format.md), and the Vowpal Wabbit and fastText line formats that
 * senti-cat converts from and to.  Every malformed line is rejected with a
 * reason; the rules are listed in docs/format.md and tested in
 * tests/unit/test_sparse.c, tests/sh/sparse.sh and tests/sh/header.sh. */
#include "sparse.h"
#include "buf.h"
#include "lines.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct sparse_reader {
    FILE *f;
    char *name;
    long line;
    lines_reader rd;    /* the lines of f (gzip data inflated) */
    char *cbuf;         /* comment of the last row */
    size_t cbufcap;
    uint32_t *col;      /* row buffers */
    float *val;
    size_t cap;
    unsigned flags;     /* SPARSE_ZERO_BASED */
    int format;         /* SPARSE_FMT_* */
    sparse_lookup_fn lookup;
    void *lookup_arg;
    /* the expectation (sparse_reader_expect) */
    uint32_t limit;     /* 0 = none */
    char expect_vocab[SPARSE_DIGEST_LEN + 1];
    char what[64];
    /* the stream so far, over every file */
    uint32_t maxdim;    /* largest column + 1 seen */
    sparse_header header;
    char *dim_file, *vocab_file; /* where dim= / vocab= were first declared */
    long dim_line, vocab_line;
    char err[512];
    /* the label map (sparse_reader_labels) */
    char **lname;
    double *lval;
    size_t nlabels;
    char *lspec;
};

/* ------------------------------------------------------------------------
 * reader */

sparse_reader *sparse_reader_new(FILE *f, const char *name)
{
    sparse_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->f = f;
    lines_init(&r->rd, f);
    r->name = strdup(name ? name : "(stdin)");
    if (!r->name) {
        free(r);
        return NULL;
    }
    strcpy(r->what, "the model");
    return r;
}

void sparse_reader_free(sparse_reader *r)
{
    if (!r) return;
    free(r->name);
    lines_free(&r->rd);
    free(r->cbuf);
    free(r->col);
    free(r->val);
    free(r->dim_file);
    free(r->vocab_file);
    for (size_t i = 0; i < r->nlabels; i++) free(r->lname[i]);
    free(r->lname);
    free(r->lval);
    free(r->lspec);
    free(r);
}

int sparse_reader_next_file(sparse_reader *r, FILE *f, const char *name)
{
    char *n = strdup(name ? name : "(stdin)");
    if (!n) return -1;
    free(r->name);
    r->name = n;
    r->f = f;
    lines_free(&r->rd);
    lines_init(&r->rd, f);
    r->line = 0;
    return 0;
}

void sparse_reader_expect(sparse_reader *r, uint32_t dim, const char *vocab, const char *what)
{
    r->limit = dim;
    snprintf(r->expect_vocab, sizeof r->expect_vocab, "%s", vocab ? vocab : "");
    snprintf(r->what, sizeof r->what, "%s", what ? what : "the model");
}

void sparse_reader_limit(sparse_reader *r, uint32_t dim)
{
    sparse_reader_expect(r, dim, NULL, "the model");
}

void sparse_reader_flags(sparse_reader *r, unsigned flags)
{
    r->flags = flags;
}

int sparse_reader_labels(sparse_reader *r, const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    if (!*p) {
        snprintf(err, errlen, "empty label map");
        return -1;
    }
    while (*p) {
        const char *c = strchr(p, ',');
        if (!c) c = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(c - p));
        if (!eq || eq == p || eq + 1 == c) {
            snprintf(err, errlen, "label map: '%.*s' is not name=number", (int)(c - p), p);
            return -1;
        }
        size_t nl = (size_t)(eq - p);
        char *name = strndup(p, nl), *e;
        char num[64];
        size_t vl = (size_t)(c - eq - 1);
        if (!name || vl >= sizeof num) {
            free(name);
            snprintf(err, errlen, name ? "label map: value of '%.*s' too long" : "out of memory", (int)nl, p);
            return -1;
        }
        memcpy(num, eq + 1, vl);
        num[vl] = 0;
        double v = strtod(num, &e);
        int bad_name = strcspn(name, " \t\r\n") != nl;
        strtod(name, &e);
        int numeric = *e == 0 || strcmp(name, "?") == 0;
        for (size_t i = 0; i < r->nlabels && !bad_name; i++)
            if (strcmp(r->lname[i], name) == 0) bad_name = 2;
        if (bad_name || numeric || !isfinite(v) || *num == 0 || strtod(num, &e) != v || *e) {
            snprintf(err, errlen, "label map: %s '%s'",
                     bad_name == 2 ? "name given twice:" : bad_name ? "a blank in the name" :
                     numeric ? "a name that is a number (or '?'):" : "bad value for", name);
            free(name);
            return -1;
        }
        r->lname = realloc(r->lname, (r->nlabels + 1) * sizeof *r->lname);
        r->lval = realloc(r->lval, (r->nlabels + 1) * sizeof *r->lval);
        if (!r->lname || !r->lval) {
            free(name);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        r->lname[r->nlabels] = name;
        r->lval[r->nlabels++] = v;
        p = *c ? c + 1 : c;
    }
    free(r->lspec);
    r->lspec = strdup(spec);
    return 0;
}

void sparse_reader_format(sparse_reader *r, int fmt, sparse_lookup_fn lookup, void *arg)
{
    r->format = fmt;
    r->lookup = lookup;
    r->lookup_arg = arg;
}

const char *sparse_reader_error(const sparse_reader *r)
{
    return r->err;
}

long sparse_reader_line(const sparse_reader *r)
{
    return r->line;
}

const sparse_header *sparse_reader_header(const sparse_reader *r)
{
    return &r->header;
}

uint32_t sparse_reader_maxdim(const sparse_reader *r)
{
    return r->maxdim;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(sparse_reader *r, const char *fmt, ...)
{
    int n = snprintf(r->err, sizeof r->err, "%s:%ld: ", r->name, r->line);
    if (n < 0 || (size_t)n >= sizeof r->err) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A bad field quoted in a message: the bytes from s up to the next blank
 * (at most 20), through buf_excerpt (printable ASCII and valid UTF-8 as
 * they are, other bytes as \xNN, "..." when cut). */
static const char *excerpt(const char *s, const char *end)
{
    const char *q = s;
    while (q < end && !is_blank(*q)) q++;
    return buf_excerpt(s, (size_t)(q - s), 20);
}

/* " (a.svm:1)" when the header that declared something was in another
 * file of the stream, "" when it was in this one. */
static const char *declared_at(const sparse_reader *r, const char *file, long line, char out[300])
{
    out[0] = 0;
    if (file && strcmp(file, r->name) != 0)
        snprintf(out, 300, " (%s:%ld)", buf_excerpt(file, strlen(file), 64), line);
    return out;
}

static int grow(sparse_reader *r, size_t need)
{
    if (need <= r->cap) return 0;
    size_t cap = r->cap ? r->cap : 64;
    while (cap < need) cap *= 2;
    uint32_t *c = realloc(r->col, cap * sizeof *c);
    if (!c) return -1;
    r->col = c;
    float *v = realloc(r->val, cap * sizeof *v);
    if (!v) return -1;
    r->val = v;
    r->cap = cap;
    return 0;
}

/* Largest index that may be written: 2^31 - 1 (one-based) or 2^31 - 2
 * (zero-based), so that a dimension always fits SPARSE_MAX_DIM. */
static uint64_t max_index(const sparse_reader *r)
{
    return (r->flags & SPARSE_ZERO_BASED) ? SPARSE_MAX_DIM - 1 : SPARSE_MAX_DIM;
}

/* Column col (0-based) against the declared dim and the expectation;
 * idx is the index as written. */
static int check_col(sparse_reader *r, uint64_t idx, uint32_t col)
{
    int zb = (r->flags & SPARSE_ZERO_BASED) != 0;
    char at[300];
    uint32_t dim = r->header.dim;
    if (dim && col >= dim) {
        declared_at(r, r->dim_file, r->dim_line, at);
        if (zb) return fail(r, "zero-based index %llu not below declared dim=%u%s", (unsigned long long)idx, dim, at);
        return fail(r, "index %llu above declared dim=%u%s", (unsigned long long)idx, dim, at);
    }
    if (r->limit && col >= r->limit) {
        if (zb)
            return fail(r, "zero-based index %llu not below %s's input dimension %u", (unsigned long long)idx, r->what,
                        r->limit);
        return fail(r, "index %llu above %s's input dimension %u", (unsigned long long)idx, r->what, r->limit);
    }
    if (col + 1 > r->maxdim) r->maxdim = col + 1;
    return 0;
}

/* "# senti sparse key=value ..."; other comment lines are ignored.  Known
 * keys are dim= and vocab=, each at most once per line and never empty;
 * unknown key=value fields are ignored (later versions may add some); a
 * field that is not key=value is an error. */
static int parse_header(sparse_reader *r, const char *s, const char *end)
{
    static const char tag[] = "# senti sparse";
    size_t tl = sizeof tag - 1;
    if ((size_t)(end - s) < tl || memcmp(s, tag, tl) != 0) return 0;
    if (s + tl < end && !is_blank(s[tl])) return 0;
    sparse_header h = {0, ""};
    int have_dim = 0, have_vocab = 0;
    const char *p = s + tl;
    while (p < end) {
        while (p < end && is_blank(*p)) p++;
        const char *q = p;
        while (q < end && !is_blank(*q)) q++;
        if (q == p) break;
        const char *eq = memchr(p, '=', (size_t)(q - p));
        if (!eq || eq == p) return fail(r, "bad header field '%s' (fields are key=value)", excerpt(p, q));
        size_t kl = (size_t)(eq - p);
        const char *v = eq + 1;
        size_t vl = (size_t)(q - v);
        if (kl == 3 && memcmp(p, "dim", 3) == 0) {
            if (have_dim) return fail(r, "header field dim= given twice");
            uint64_t d = 0;
            const char *t = v;
            for (; t < q && *t >= '0' && *t <= '9'; t++) {
                d = d * 10 + (uint64_t)(*t - '0');
                if (d > SPARSE_MAX_DIM) break;
            }
            if (vl == 0 || t != q || d == 0 || d > SPARSE_MAX_DIM)
                return fail(r, "bad header field '%s' (dim must be 1..%u)", excerpt(p, q), SPARSE_MAX_DIM);
            h.dim = (uint32_t)d;
            have_dim = 1;
        } else if (kl == 5 && memcmp(p, "vocab", 5) == 0) {
            if (have_vocab) return fail(r, "header field vocab= given twice");
            int okhex = vl == SPARSE_DIGEST_LEN;
            for (size_t i = 0; okhex && i < vl; i++) okhex = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f');
            if (!okhex)
                return fail(r, "bad header field '%s' (vocab must be %d lowercase hex digits)", excerpt(p, q),
                            SPARSE_DIGEST_LEN);
            memcpy(h.vocab, v, vl);
            h.vocab[vl] = 0;
            have_vocab = 1;
        }
        p = q;
    }
    char at[300];
    /* the stream: every header agrees with the earlier ones */
    if (h.dim && r->header.dim && h.dim != r->header.dim)
        return fail(r, "header dim=%u disagrees with earlier dim=%u%s", h.dim, r->header.dim,
                    declared_at(r, r->dim_file, r->dim_line, at));
    if (h.vocab[0] && r->header.vocab[0] && strcmp(h.vocab, r->header.vocab) != 0)
        return fail(r, "header vocab=%s disagrees with earlier vocab=%s%s", h.vocab, r->header.vocab,
                    declared_at(r, r->vocab_file, r->vocab_line, at));
    /* the expectation */
    if (h.dim && r->limit && h.dim > r->limit)
        return fail(r, "header dim=%u does not match %s's input dimension %u", h.dim, r->what, r->limit);
    if (h.vocab[0] && r->expect_vocab[0] && strcmp(h.vocab, r->expect_vocab) != 0)
        return fail(r, "vocabulary digest %s differs from %s's %s", h.vocab, r->what, r->expect_vocab);
    if (h.dim && r->maxdim > h.dim) {
        if (r->flags & SPARSE_ZERO_BASED)
            return fail(r, "header dim=%u is not above zero-based index %u seen earlier", h.dim, r->maxdim - 1);
        return fail(r, "header dim=%u is below index %u seen earlier", h.dim, r->maxdim);
    }
    if (h.dim && !r->header.dim) {
        char *f = strdup(r->name);
        if (!f) return fail(r, "out of memory");
        free(r->dim_file);
        r->dim_file = f;
        r->dim_line = r->line;
        r->header.dim = h.dim;
    }
    if (h.vocab[0] && !r->header.vocab[0]) {
        char *f = strdup(r->name);
        if (!f) return fail(r, "out of memory");
        free(r->vocab_file);
        r->vocab_file = f;
        r->vocab_line = r->line;
        memcpy(r->header.vocab, h.vocab, sizeof h.vocab);
    }
    return 0;
}

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Text where sparse lines were expected: no field of the line starts with
 * digits and ':', and some field starts with two letters.  *upper is set
 * when an ASCII capital shows the text was not through senti-tokenize. */
static int looks_like_text(const char *p, const char *end, int *upper)
{
    int words = 0;
    *upper = 0;
    while (p < end) {
        while (p < end && is_blank(*p)) p++;
        const char *s = p, *d = p;
        while (p < end && !is_blank(*p)) {
            if (*p >= 'A' && *p <= 'Z') *upper = 1;
            p++;
        }
        while (d < p && *d >= '0' && *d <= '9') d++;
        if (d > s && d < p && *d == ':') return 0;
        if (p - s >= 2 && is_letter((unsigned char)s[0]) && is_letter((unsigned char)s[1])) words = 1;
    }
    return words;
}

/* After an error on a data line: name the steps that make sparse lines
 * when the line is text. */
static void text_hint(sparse_reader *r, const char *line, const char *end)
{
    int upper;
    if (!looks_like_text(line, end, &upper)) return;
    size_t n = strlen(r->err);
    snprintf(r->err + n, sizeof r->err - n, "%s",
             upper ? " (text, not sparse lines: run senti-tokenize, then senti-bow -v VOCAB, first)"
                   : " (tokens or text, not sparse lines: run senti-bow -v VOCAB, after senti-tokenize, first)");
}

/* The label field p..q: a number, or '?' (unlabeled). */
static int parse_label(sparse_reader *r, const char *p, const char *q, sparse_row *row)
{
    if (q - p == 1 && *p == '?') return 0;
    char tmp[64];
    size_t n = (size_t)(q - p);
    if (n >= sizeof tmp) return fail(r, "label '%s' longer than 63 characters", excerpt(p, q));
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *e;
    errno = 0;
    double v = strtod(tmp, &e);
    if (e != tmp + n || n == 0) {
        for (size_t i = 0; i < r->nlabels; i++)
            if (strcmp(r->lname[i], tmp) == 0) {
                row->has_label = 1;
                row->label = r->lval[i];
                return 0;
            }
        if (r->nlabels) return fail(r, "label '%s' is neither a number nor a name of the map %s", excerpt(p, q), r->lspec);
        return fail(r, "bad label '%s'", excerpt(p, q));
    }
    if (!isfinite(v)) return fail(r, "label '%s' is not finite", excerpt(p, q));
    row->has_label = 1;
    row->label = v;
    return 0;
}

/* A value p..q (not empty) for the index idx, into *v. */
static int parse_value(sparse_reader *r, const char *p, const char *q, uint64_t idx, float *v)
{
    if (q - p == 1 && *p == '1') {
        *v = 1.0f;
        return 0;
    }
    char tmp[64];
    size_t m = (size_t)(q - p);
    if (m >= sizeof tmp)
        return fail(r, "value '%s' of index %llu longer than 63 characters", excerpt(p, q), (unsigned long long)idx);
    memcpy(tmp, p, m);
    tmp[m] = 0;
    char *e;
    errno = 0;
    float x = strtof(tmp, &e);
    if (e == tmp) return fail(r, "bad value '%s' for index %llu", excerpt(p, q), (unsigned long long)idx);
    if (e != tmp + m)
        return fail(r, "trailing garbage '%s' after value of index %llu", excerpt(p + (e - tmp), q),
                    (unsigned long long)idx);
    if (isnan(x) || isinf(x)) {
        if (errno == ERANGE) return fail(r, "value '%s' out of float range", excerpt(p, q));
        return fail(r, "value '%s' is not finite", excerpt(p, q));
    }
    *v = x;
    return 0;
}

/* Keep the comment p..end of the current row. */
static int keep_comment(sparse_reader *r, const char *p, const char *end, sparse_row *row)
{
    size_t cl = (size_t)(end - p);
    if (cl + 1 > r->cbufcap) {
        char *c = realloc(r->cbuf, cl + 1);
        if (!c) return fail(r, "out of memory");
        r->cbuf = c;
        r->cbufcap = cl + 1;
    }
    memcpy(r->cbuf, p, cl);
    r->cbuf[cl] = 0;
    row->comment = r->cbuf;
    return 0;
}

/* `qid:N` (svmlight ranking files): N decimal digits. */
static int is_qid(const char *p, const char *end)
{
    return end - p >= 4 && memcmp(p, "qid:", 4) == 0;
}

static int parse_qid(sparse_reader *r, const char *p, const char *q)
{
    const char *t = p + 4;
    while (t < q && *t >= '0' && *t <= '9') t++;
    if (t == p + 4 || t != q || q - p > 4 + 19) return fail(r, "bad qid '%s'", excerpt(p, q));
    return 0;
}

/* Our format: label idx:val ... [# comment] */
static int parse_senti(sparse_reader *r, const char *p, const char *end, sparse_row *row)
{
    while (p < end && is_blank(*p)) p++;
    if (p == end) return fail(r, "empty line (write '?' for an unlabeled example without features)");

    /* label: a number or '?', or absent when the first field is idx:val */
    const char *q = p;
    while (q < end && !is_blank(*q) && *q != ':') q++;
    if (q == end || is_blank(*q)) {
        if (*p == '#') return fail(r, "missing label before comment");
        if (parse_label(r, p, q, row) < 0) return -1;
        p = q;
    }

    const int zb = (r->flags & SPARSE_ZERO_BASED) != 0;
    const uint64_t top = max_index(r);
    size_t n = 0;
    uint64_t prev = 0;
    int first = 1;
    for (;;) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        if (*p == '#') {
            p++;
            while (p < end && is_blank(*p)) p++;
            if (keep_comment(r, p, end, row) < 0) return -1;
            break;
        }
        const char *start = p;
        if (first && is_qid(p, end)) { /* svmlight's query id, right after the label: read and dropped */
            q = p;
            while (q < end && !is_blank(*q)) q++;
            if (parse_qid(r, p, q) < 0) return -1;
            p = q;
            first = 0;
            continue;
        }
        first = 0;
        if (*p < '0' || *p > '9') {
            q = p;
            while (q < end && !is_blank(*q) && *q != ':') q++;
            if (q < end && *q == ':') return fail(r, "bad index '%s'", excerpt(start, end));
            return fail(r, "missing ':' in '%s'", excerpt(start, end));
        }
        uint64_t idx = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            idx = idx * 10 + (uint64_t)(*p - '0');
            if (idx > top)
                return fail(r, "index '%s' above the limit %llu", excerpt(start, end), (unsigned long long)top);
            p++;
        }
        if (p == end || is_blank(*p)) return fail(r, "missing ':' after index %llu", (unsigned long long)idx);
        if (*p != ':') return fail(r, "bad index '%s'", excerpt(start, end));
        p++;
        if (p == end || is_blank(*p) || *p == '#')
            return fail(r, "missing value after '%llu:'", (unsigned long long)idx);
        if (idx == 0 && !zb) return fail(r, "index 0 (indices start at 1); a zero-based file? (--zero-based)");
        if (n && idx == prev) return fail(r, "duplicate index %llu", (unsigned long long)idx);
        if (n && idx < prev)
            return fail(r, "index %llu not above previous %llu", (unsigned long long)idx, (unsigned long long)prev);
        uint32_t col = (uint32_t)(zb ? idx : idx - 1);
        if (check_col(r, idx, col) < 0) return -1;
        q = p;
        while (q < end && !is_blank(*q)) q++;
        float v;
        if (parse_value(r, p, q, idx, &v) < 0) return -1;
        p = q;
        if (grow(r, n + 1) < 0) return fail(r, "out of memory");
        r->col[n] = col;
        r->val[n] = v;
        n++;
        prev = idx;
    }
    row->n = n;
    return 1;
}

/* VW and fastText lines name their features in any order: sort the
 * entries by column (insertion sort for the short rows of text, qsort
 * beyond) and add the values of a column named twice. */
typedef struct { uint32_t col; float val; } entry;

static int cmp_entry(const void *a, const void *b)
{
    uint32_t x = ((const entry *)a)->col, y = ((const entry *)b)->col;
    return (x > y) - (x < y);
}

static int finish_unordered(sparse_reader *r, size_t n, sparse_row *row)
{
    entry *e = malloc((n ? n : 1) * sizeof *e);
    if (!e) return fail(r, "out of memory");
    for (size_t i = 0; i < n; i++) e[i] = (entry){r->col[i], r->val[i]};
    qsort(e, n, sizeof *e, cmp_entry);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && e[m - 1].col == e[i].col) {
            e[m - 1].val += e[i].val;
            if (!isfinite(e[m - 1].val)) {
                uint32_t c = e[i].col;
                free(e);
                return fail(r, "values of index %u add up beyond float range", c + 1);
            }
        } else {
            e[m++] = e[i];
        }
    }
    for (size_t i = 0; i < m; i++) {
        r->col[i] = e[i].col;
        r->val[i] = e[i].val;
    }
    free(e);
    row->n = m;
    return 1;
}

/* A feature name p..q: through the lookup, or an index.  1 and the column
 * in *col, 0 when the name is unknown (dropped), -1 on error. */
static int name_col(sparse_reader *r, const char *p, const char *q, uint32_t *col)
{
    if (r->lookup) {
        uint32_t k = r->lookup(r->lookup_arg, p, (size_t)(q - p));
        if (!k) return 0;
        return check_col(r, k, k - 1) < 0 ? -1 : (*col = k - 1, 1);
    }
    const int zb = (r->flags & SPARSE_ZERO_BASED) != 0;
    uint64_t idx = 0;
    const char *t = p;
    for (; t < q && *t >= '0' && *t <= '9'; t++) {
        idx = idx * 10 + (uint64_t)(*t - '0');
        if (idx > max_index(r))
            return fail(r, "index '%s' above the limit %llu", excerpt(p, q), (unsigned long long)max_index(r));
    }
    if (t == p || t != q)
        return fail(r, "feature '%s' is not an index (name the vocabulary that gives names their index: -v VOCAB)",
                    buf_excerpt(p, (size_t)(q - p), 20));
    if (idx == 0 && !zb) return fail(r, "index 0 (indices start at 1); a zero-based file? (--zero-based)");
    *col = (uint32_t)(zb ? idx : idx - 1);
    return check_col(r, idx, *col) < 0 ? -1 : 1;
}

static int add_entry(sparse_reader *r, size_t *n, uint32_t col, float v)
{
    if (grow(r, *n + 1) < 0) return fail(r, "out of memory");
    r->col[*n] = col;
    r->val[*n] = v;
    (*n)++;
    return 0;
}

/* Vowpal Wabbit: [label [importance]] ['tag]|[namespace] name[:value] ...
 * One namespace (its name is ignored); importance 1 only (senti has no
 * example weights); the tag becomes the row's comment. */
static int parse_vw(sparse_reader *r, const char *p, const char *end, sparse_row *row)
{
    const char *bar = memchr(p, '|', (size_t)(end - p));
    if (!bar) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) return fail(r, "empty line");
        return fail(r, "no '|' (VW lines are 'label | features')");
    }
    /* the fields before '|' */
    const char *f[4];
    const char *fe[4];
    int nf = 0;
    const char *s = p;
    while (s < bar) {
        while (s < bar && is_blank(*s)) s++;
        if (s == bar) break;
        const char *t = s;
        while (t < bar && !is_blank(*t)) t++;
        if (nf == 4) return fail(r, "too many fields before '|' in '%s'", excerpt(p, bar));
        f[nf] = s;
        fe[nf++] = t;
        s = t;
    }
    /* a tag is marked with a leading quote, or touches the '|' */
    if (nf && (*f[nf - 1] == '\'' || fe[nf - 1] == bar)) {
        const char *t = f[nf - 1] + (*f[nf - 1] == '\'');
        if (keep_comment(r, t, fe[nf - 1], row) < 0) return -1;
        if (fe[nf - 1] == t) row->comment = NULL;
        nf--;
    }
    if (nf > 2) return fail(r, "too many fields before '|' in '%s' (label, importance, tag)", excerpt(p, bar));
    if (nf >= 1 && parse_label(r, f[0], fe[0], row) < 0) return -1;
    if (nf == 2 && !(fe[1] - f[1] == 1 && *f[1] == '1'))
        return fail(r, "importance weight '%s' (senti has no example weights; 1 only)", excerpt(f[1], fe[1]));
    /* the namespace name touches the '|'; then the features */
    const char *q = bar + 1;
    while (q < end && !is_blank(*q)) q++;
    if (memchr(bar + 1, ':', (size_t)(q - bar - 1)))
        return fail(r, "namespace '%s' has a scale (not supported)", excerpt(bar + 1, q));
    size_t n = 0;
    for (p = q;;) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        if (*p == '|') return fail(r, "a second namespace '%s' (senti reads one)", excerpt(p, end));
        q = p;
        while (q < end && !is_blank(*q) && *q != ':') q++;
        const char *ne = q;
        float v = 1.0f;
        if (q < end && *q == ':') {
            const char *vs = q + 1;
            q = vs;
            while (q < end && !is_blank(*q)) q++;
            if (q == vs) return fail(r, "missing value after '%s'", buf_excerpt(p, (size_t)(vs - p), 20));
            if (ne == p) return fail(r, "feature without a name before ':%s'", excerpt(vs, end));
            if (parse_value(r, vs, q, 0, &v) < 0) return -1;
        }
        uint32_t col;
        int k = name_col(r, p, ne, &col);
        if (k < 0) return -1;
        if (k && add_entry(r, &n, col, v) < 0) return -1;
        p = q;
    }
    return finish_unordered(r, n, row);
}

/* fastText: tokens, those starting with __label__ are the label (one at
 * most); each other token adds 1 to its column. */
static int parse_fasttext(sparse_reader *r, const char *p, const char *end, sparse_row *row)
{
    static const char lab[] = "__label__";
    const size_t ll = sizeof lab - 1;
    size_t n = 0;
    const char *label = NULL, *label_end = NULL;
    while (p < end) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        const char *q = p;
        while (q < end && !is_blank(*q)) q++;
        if ((size_t)(q - p) >= ll && memcmp(p, lab, ll) == 0) {
            if (label)
                return fail(r, "a second label '%s' after '%s' (senti rows have one)", excerpt(p, q),
                            excerpt(label, label_end));
            label = p;
            label_end = q;
            if (parse_label(r, p + ll, q, row) < 0) {
                if (q - p == (long)ll) return fail(r, "empty label '__label__'");
                return fail(r, "label '%s' is not a number", excerpt(p, q));
            }
        } else {
            uint32_t col;
            int k = name_col(r, p, q, &col);
            if (k < 0) return -1;
            if (k && add_entry(r, &n, col, 1.0f) < 0) return -1;
        }
        p = q;
    }
    return finish_unordered(r, n, row);
}

int sparse_parse_line(sparse_reader *r, const char *line, size_t len, sparse_row *row)
{
    const char *nul = memchr(line, 0, len);
    if (nul) return fail(r, "NUL byte at column %zu", (size_t)(nul - line) + 1);
    if (len && line[len - 1] == '\n') len--;
    if (len && line[len - 1] == '\r') len--;
    const char *end = line + len;
    row->has_label = 0;
    row->label = 0;
    row->n = 0;
    row->comment = NULL;
    int k;
    switch (r->format) {
    case SPARSE_FMT_VW: k = parse_vw(r, line, end, row); break;
    case SPARSE_FMT_FASTTEXT: k = parse_fasttext(r, line, end, row); break;
    default:
        if (len && *line == '#') return parse_header(r, line, end) < 0 ? -1 : 0;
        k = parse_senti(r, line, end, row);
        if (k < 0) text_hint(r, line, end);
    }
    row->col = r->col;
    row->val = r->val;
    return k;
}

int sparse_next(sparse_reader *r, sparse_row *row)
{
    for (;;) {
        errno = 0;
        char *line;
        size_t len;
        int got = lines_next(&r->rd, &line, &len);
        if (got == 0) return 0;
        r->line++;
        if (got < 0) return fail(r, "%s", lines_error(got, errno));
        line[len] = 0; /* the '\n', or padding after the last line */
        int k = sparse_parse_line(r, line, len, row);
        if (k != 0) return k;
    }
}

/* ------------------------------------------------------------------------
 * writer */

/* snprintf "%.*g" through a buffer large enough for any double, so the
 * compiler can see no truncation; the result always fits in 32 bytes. */
static int fmt_g(char *buf, int prec, double v)
{
    char tmp[400];
    int n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (n < 0 || n >= 32) n = 31;
    memcpy(buf, tmp, (size_t)n);
    buf[n] = 0;
    return n;
}

/* decimal digits of u ending just before end; returns the first digit */
static inline char *utoa_end(char *end, uint64_t u)
{
    do {
        *--end = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return end;
}

/* "%lld" of x into buf (NUL-terminated); returns the length */
static int fmt_int(char *buf, long long x)
{
    char tmp[24];
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    char *b = utoa_end(tmp + sizeof tmp, u);
    if (x < 0) *--b = '-';
    int n = (int)(tmp + sizeof tmp - b);
    memcpy(buf, b, (size_t)n);
    buf[n] = 0;
    return n;
}

/* Exact powers of ten: 10^k is a double without rounding for k <= 22. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* c * 10^-k as the correctly rounded double (c < 2^53, |k| <= 22) */
static double dec_value(uint64_t c, int k)
{
    return k >= 0 ? (double)c / pow10_exact[k] : (double)c * pow10_exact[-k];
}

/* Fast path of sparse_format_float for 1e-10 <= |v| < 1e7: for p = 1..9
 * digits, c = the p-digit decimal nearest to |v| (what "%.*g" picks),
 * computed in double arithmetic; the first c that reads back as v is
 * written in "%g" style.  The double product d * 10^k has an error below
 * 2^-22 on a result below 10^9, so a rounding decision is exact unless the
 * fraction is within 1e-6 of a tie; the read-back test (c's double rounded
 * to float) is exact unless that double is itself a midpoint between two
 * floats.  Both doubtful cases return 0, and the caller takes the slow
 * path through snprintf and strtof, which it checks against. */
static int fmt_float_fast(char *buf, float v)
{
    double d = fabs((double)v);
    float av = fabsf(v);
    if (!(d >= 1e-10 && d < 1e7)) return 0;
    int e = (int)floor(log10(d)); /* 10^e <= d < 10^(e+1), after the fix-up */
    if (e >= 0 ? d < pow10_exact[e] : d * pow10_exact[-e] < 1.0) e--;
    else if (e + 1 >= 0 ? d >= pow10_exact[e + 1] : d * pow10_exact[-(e + 1)] >= 1.0) e++;
    for (int p = 1; p <= 9; p++) {
        int k = p - 1 - e; /* c ~ d * 10^k */
        double x = k >= 0 ? d * pow10_exact[k] : d / pow10_exact[-k];
        double m = floor(x), f = x - m;
        if (fabs(f - 0.5) < 1e-6) return 0;
        uint64_t c = (uint64_t)m + (f > 0.5);
        int ex = e;
        if ((double)c == pow10_exact[p]) { /* 9.99.. rounded up to 10.0.. */
            c /= 10;
            ex++;
            k--;
        }
        double q = dec_value(c, k);
        float fq = (float)q;
        if ((double)fq != q) {
            float g = nextafterf(fq, q > (double)fq ? INFINITY : 0.0f);
            if (q == ((double)fq + (double)g) / 2) return 0;
        }
        if (fq != av) continue;
        /* digits of c without trailing zeros; ex is the decimal exponent */
        char dig[12];
        int n = 0;
        for (uint64_t t = c; t; t /= 10) dig[n++] = (char)('0' + t % 10);
        int z = 0;
        while (z < n - 1 && dig[z] == '0') z++;
        char *o = buf;
        if (v < 0) *o++ = '-';
        int nd = n - z; /* significant digits, most significant at dig[n-1] */
        if (ex >= -4 && ex < p) {
            if (ex >= 0) {
                for (int i = 0; i <= ex; i++) *o++ = i < nd ? dig[n - 1 - i] : '0';
                if (nd > ex + 1) {
                    *o++ = '.';
                    for (int i = ex + 1; i < nd; i++) *o++ = dig[n - 1 - i];
                }
            } else {
                *o++ = '0';
                *o++ = '.';
                for (int i = 0; i < -ex - 1; i++) *o++ = '0';
                for (int i = 0; i < nd; i++) *o++ = dig[n - 1 - i];
            }
        } else {
            *o++ = dig[n - 1];
            if (nd > 1) {
                *o++ = '.';
                for (int i = 1; i < nd; i++) *o++ = dig[n - 1 - i];
            }
            *o++ = 'e';
            *o++ = ex < 0 ? '-' : '+';
            int ae = ex < 0 ? -ex : ex;
            if (ae >= 10) *o++ = (char)('0' + ae / 10);
            else *o++ = '0';
            *o++ = (char)('0' + ae % 10);
        }
        *o = 0;
        return (int)(o - buf);
    }
    return 0;
}

int sparse_format_float(char *buf, float v)
{
    if (v == 0.0f) return snprintf(buf, 32, signbit(v) ? "-0" : "0");
    if (fabsf(v) < 1e7f && (float)(long)v == v) return fmt_int(buf, (long)v);
    int n = fmt_float_fast(buf, v);
    if (n > 0) return n;
    return sparse_format_float_ref(buf, v);
}

int sparse_format_float_ref(char *buf, float v)
{
    if (v == 0.0f) return snprintf(buf, 32, signbit(v) ? "-0" : "0");
    if (fabsf(v) < 1e7f && (float)(long)v == v) return fmt_int(buf, (long)v);
    /* smallest precision that reads back exactly (9 always does for float) */
    int lo = 1, hi = 9;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        fmt_g(buf, mid, (double)v);
        if (strtof(buf, NULL) == v) hi = mid;
        else lo = mid + 1;
    }
    return fmt_g(buf, lo, (double)v);
}

int sparse_format_double(char *buf, double v)
{
    if (v == 0.0) return snprintf(buf, 32, signbit(v) ? "-0" : "0");
    if (fabs(v) < 1e15 && (double)(long long)v == v) return fmt_int(buf, (long long)v);
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        fmt_g(buf, mid, v);
        if (strtod(buf, NULL) == v) hi = mid;
        else lo = mid + 1;
    }
    return fmt_g(buf, lo, v);
}

int sparse_write_header(FILE *f, uint32_t dim, const char *vocab)
{
    fputs("# senti sparse", f);
    if (dim) fprintf(f, " dim=%u", dim);
    if (vocab && *vocab) fprintf(f, " vocab=%s", vocab);
    putc('\n', f);
    return ferror(f) ? -1 : 0;
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* decimal digits of u at d (no NUL); returns how many */
static inline size_t put_index(char *d, uint64_t u)
{
    if (u < 100) {
        if (u < 10) {
            d[0] = (char)('0' + u);
            return 1;
        }
        memcpy(d, digit_pairs + 2 * u, 2);
        return 2;
    }
    if (u < 10000) {
        uint64_t hi = u / 100, lo = u % 100;
        if (u < 1000) {
            d[0] = (char)('0' + hi);
            memcpy(d + 1, digit_pairs + 2 * lo, 2);
            return 3;
        }
        memcpy(d, digit_pairs + 2 * hi, 2);
        memcpy(d + 2, digit_pairs + 2 * lo, 2);
        return 4;
    }
    char tmp[24];
    char *b = utoa_end(tmp + sizeof tmp, u);
    size_t n = (size_t)(tmp + sizeof tmp - b);
    memcpy(d, b, n);
    return n;
}

/* The row is built in a local buffer and handed to stdio in few fwrites
 * (one for rows up to about 4 KB); the bytes are those of the obvious
 * putc/fputs loop. */
#define ROW_BUF 4096
#define ROW_ITEM 48 /* " " + 10 digits + ":" + a float (< 32) */

int sparse_write_row(FILE *f, int has_label, double label, size_t n, const uint32_t *col, const float *val,
                     const char *comment)
{
    char buf[ROW_BUF];
    size_t k;
    if (has_label) {
        k = (size_t)sparse_format_double(buf, label);
    } else {
        buf[0] = '?';
        k = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (k > ROW_BUF - ROW_ITEM) {
            if (fwrite(buf, 1, k, f) != k) return -1;
            k = 0;
        }
        buf[k++] = ' ';
        k += put_index(buf + k, col[i] + 1ULL);
        buf[k++] = ':';
        if (val[i] == 1.0f) {
            buf[k++] = '1';
        } else {
            k += (size_t)sparse_format_float(buf + k, val[i]);
        }
    }
    if (comment) {
        if (fwrite(buf, 1, k, f) != k) return -1;
        fputs(" # ", f);
        fputs(comment, f);
        k = 0;
    }
    buf[k++] = '\n';
    if (fwrite(buf, 1, k, f) != k) return -1;
    return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * writer of any format */

void sparse_writer_init(sparse_writer *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->format = SPARSE_FMT_SENTI;
}

int sparse_writer_header(sparse_writer *w, uint32_t dim, const char *vocab)
{
    if (w->format != SPARSE_FMT_SENTI || w->no_header) return 0;
    int more = (dim && !w->written.dim) || (vocab && vocab[0] && !w->written.vocab[0]);
    if (!more) return 0;
    if (dim && !w->written.dim) w->written.dim = dim;
    if (vocab && vocab[0] && !w->written.vocab[0])
        snprintf(w->written.vocab, sizeof w->written.vocab, "%s", vocab);
    return sparse_write_header(w->f, w->written.dim, w->written.vocab);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int wfail(sparse_writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    return -2;
}

/* The name of column c in VW or fastText output (1-based index without
 * names); NULL with w->err set when the name would not read back. */
static const char *col_name(sparse_writer *w, uint32_t c, char buf[16])
{
    if (!w->names) {
        snprintf(buf, 16, "%u", c + 1);
        return buf;
    }
    if (c >= w->nnames) {
        wfail(w, "index %u above the vocabulary's %u terms", c + 1, w->nnames);
        return NULL;
    }
    const char *s = w->names[c];
    if (w->format == SPARSE_FMT_VW && strpbrk(s, ":| \t")) {
        wfail(w, "term '%s' (index %u) cannot be a VW feature name (':' or '|'); write indices (no -v)",
              buf_excerpt(s, strlen(s), 20), c + 1);
        return NULL;
    }
    if (w->format == SPARSE_FMT_FASTTEXT && strncmp(s, "__label__", 9) == 0) {
        wfail(w, "term '%s' (index %u) would read as a fastText label; write indices (no -v)",
              buf_excerpt(s, strlen(s), 20), c + 1);
        return NULL;
    }
    return s;
}

/* Largest count written as repeated fastText tokens. */
#define FASTTEXT_MAX_COUNT 1000

int sparse_writer_row(sparse_writer *w, const sparse_row *row)
{
    int has = row->has_label;
    double label = row->label;
    if (!has && w->unlabeled_as_set) {
        has = 1;
        label = w->unlabeled_as;
    }
    if (w->format == SPARSE_FMT_SENTI)
        return sparse_write_row(w->f, has, label, row->n, row->col, row->val, row->comment);
    FILE *f = w->f;
    char lb[32], nb[16], vb[32];
    if (has) sparse_format_double(lb, label);
    if (w->format == SPARSE_FMT_VW) {
        /* label ['tag] | name[:value] ... */
        int sp = 0;
        if (has) fputs(lb, f), sp = 1;
        if (row->comment && row->comment[0]) {
            if (sp) putc(' ', f);
            putc('\'', f);
            for (const char *c = row->comment; *c; c++) putc(*c == ' ' || *c == '\t' || *c == '|' ? '_' : *c, f);
            sp = 1;
        }
        fputs(sp ? " |" : "|", f);
        for (size_t i = 0; i < row->n; i++) {
            const char *nm = col_name(w, row->col[i], nb);
            if (!nm) return -2;
            putc(' ', f);
            fputs(nm, f);
            if (row->val[i] != 1.0f) {
                sparse_format_float(vb, row->val[i]);
                putc(':', f);
                fputs(vb, f);
            }
        }
    } else {
        /* __label__X tok tok ...: each token as many times as its count */
        for (size_t i = 0; i < row->n; i++) {
            float v = row->val[i];
            if (!(v >= 1.0f && v <= FASTTEXT_MAX_COUNT && v == floorf(v))) {
                sparse_format_float(vb, v);
                return wfail(w, "value %s of index %u is not a count of 1..%d (fastText lines hold tokens)", vb,
                             row->col[i] + 1, FASTTEXT_MAX_COUNT);
            }
        }
        int sp = 0;
        if (has) fputs("__label__", f), fputs(lb, f), sp = 1;
        for (size_t i = 0; i < row->n; i++) {
            const char *nm = col_name(w, row->col[i], nb);
            if (!nm) return -2;
            for (int k = 0; k < (int)row->val[i]; k++) {
                if (sp) putc(' ', f);
                fputs(nm, f);
                sp = 1;
            }
        }
    }
    putc('\n', f);
    return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * CSR */

sparse_csr *sparse_csr_new(void)
{
    sparse_csr *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rowptr = calloc(1, sizeof *m->rowptr);
    if (!m->rowptr) {
        free(m);
        return NULL;
    }
    return m;
}

void sparse_csr_free(sparse_csr *m)
{
    if (!m) return;
    free(m->rowptr);
    free(m->col);
    free(m->val);
    free(m->label);
    free(m->has_label);
    free(m->cstart);
    free(m->ctext);
    free(m);
}

int sparse_csr_append(sparse_csr *m, const sparse_row *row)
{
    if (m->rows + 1 > m->cap_rows) {
        size_t cap = m->cap_rows ? m->cap_rows * 2 : 256;
        size_t *rp = realloc(m->rowptr, (cap + 1) * sizeof *rp);
        if (!rp) return -1;
        m->rowptr = rp;
        double *lb = realloc(m->label, cap * sizeof *lb);
        if (!lb) return -1;
        m->label = lb;
        unsigned char *hl = realloc(m->has_label, cap);
        if (!hl) return -1;
        m->has_label = hl;
        if (m->keep_comments) {
            size_t *cs = realloc(m->cstart, cap * sizeof *cs);
            if (!cs) return -1;
            m->cstart = cs;
        }
        m->cap_rows = cap;
    }
    if (m->nnz + row->n > m->cap_nnz) {
        size_t cap = m->cap_nnz ? m->cap_nnz : 4096;
        while (cap < m->nnz + row->n) cap *= 2;
        uint32_t *c = realloc(m->col, cap * sizeof *c);
        if (!c) return -1;
        m->col = c;
        float *v = realloc(m->val, cap * sizeof *v);
        if (!v) return -1;
        m->val = v;
        m->cap_nnz = cap;
    }
    if (m->keep_comments) {
        if (!m->cstart) { /* keep_comments set after rows were added */
            size_t *cs = malloc(m->cap_rows * sizeof *cs);
            if (!cs) return -1;
            for (size_t i = 0; i < m->rows; i++) cs[i] = SIZE_MAX;
            m->cstart = cs;
        }
        if (row->comment) {
            size_t cl = strlen(row->comment) + 1;
            if (m->clen + cl > m->ccap) {
                size_t cap = m->ccap ? m->ccap : 1024;
                while (cap < m->clen + cl) cap *= 2;
                char *t = realloc(m->ctext, cap);
                if (!t) return -1;
                m->ctext = t;
                m->ccap = cap;
            }
            memcpy(m->ctext + m->clen, row->comment, cl);
            m->cstart[m->rows] = m->clen;
            m->clen += cl;
        } else {
            m->cstart[m->rows] = SIZE_MAX;
        }
    }
    if (row->n) {
        memcpy(m->col + m->nnz, row->col, row->n * sizeof *m->col);
        memcpy(m->val + m->nnz, row->val, row->n * sizeof *m->val);
        uint32_t last = row->col[row->n - 1] + 1;
        if (last > m->dim) m->dim = last;
    }
    m->nnz += row->n;
    m->label[m->rows] = row->has_label ? row->label : 0.0;
    m->has_label[m->rows] = (unsigned char)(row->has_label != 0);
    m->rows++;
    m->rowptr[m->rows] = m->nnz;
    return 0;
}

int sparse_csr_read(sparse_csr *m, sparse_reader *r)
{
    sparse_row row;
    int k;
    while ((k = sparse_next(r, &row)) == 1)
        if (sparse_csr_append(m, &row) < 0) return fail(r, "out of memory");
    m->header = r->header;
    if (m->header.dim > m->dim) m->dim = m->header.dim;
    return k;
}

void sparse_csr_row(const sparse_csr *m, size_t i, sparse_row *row)
{
    size_t a = m->rowptr[i], b = m->rowptr[i + 1];
    row->has_label = m->has_label[i];
    row->label = m->label[i];
    row->n = b - a;
    row->col = m->col ? m->col + a : NULL; /* NULL while no row has entries */
    row->val = m->val ? m->val + a : NULL;
    row->comment = m->keep_comments && m->cstart && m->cstart[i] != SIZE_MAX ? m->ctext + m->cstart[i] : NULL;
}

void sparse_csr_clear(sparse_csr *m)
{
    m->rows = m->nnz = 0;
    m->clen = 0;
    m->dim = 0;
    if (m->rowptr) m->rowptr[0] = 0;
}

int sparse_csr_gather(sparse_csr *dst, const sparse_csr *src, const size_t *idx, size_t n)
{
    sparse_csr_clear(dst);
    for (size_t i = 0; i < n; i++) {
        sparse_row row;
        sparse_csr_row(src, idx[i], &row);
        if (sparse_csr_append(dst, &row) < 0) return -1;
    }
    dst->dim = src->dim;
    return 0;
}
