/* sparse.c - reader, writer and CSR matrix for the sparse line format
 * (docs/format.md).  Every malformed line is rejected with a reason; the
 * rules are listed in docs/format.md and tested in tests/unit/test_sparse.c
 * and tests/sh/sparse.sh. */
#include "sparse.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct sparse_reader {
    FILE *f;
    char *name;
    long line;
    char *buf;          /* line buffer (text_getline) */
    char *cbuf;         /* comment of the last row */
    size_t cbufcap;
    size_t bufcap;
    uint32_t *col;      /* row buffers */
    float *val;
    size_t cap;
    uint32_t limit;     /* model dimension, 0 = none */
    uint32_t maxdim;    /* largest column + 1 seen */
    int seen_header;
    sparse_header header;
    char err[512];
};

/* ------------------------------------------------------------------------
 * reader */

sparse_reader *sparse_reader_new(FILE *f, const char *name)
{
    sparse_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->f = f;
    r->name = strdup(name ? name : "(stdin)");
    if (!r->name) {
        free(r);
        return NULL;
    }
    return r;
}

void sparse_reader_free(sparse_reader *r)
{
    if (!r) return;
    free(r->name);
    free(r->buf);
    free(r->cbuf);
    free(r->col);
    free(r->val);
    free(r);
}

void sparse_reader_limit(sparse_reader *r, uint32_t dim)
{
    r->limit = dim;
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

/* Quote at most 20 bytes of a bad field for a message, unprintables as '?'. */
static const char *excerpt(const char *s, const char *end, char out[32])
{
    size_t n = 0;
    while (s < end && !is_blank(*s) && n < 20) {
        unsigned char c = (unsigned char)*s++;
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s < end && !is_blank(*s)) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = 0;
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

/* "# senti sparse dim=N vocab=HEX ..." ; other comment lines are ignored. */
static int parse_header(sparse_reader *r, const char *s, const char *end)
{
    static const char tag[] = "# senti sparse";
    size_t tl = sizeof tag - 1;
    if ((size_t)(end - s) < tl || memcmp(s, tag, tl) != 0) return 0;
    if (s + tl < end && !is_blank(s[tl])) return 0;
    sparse_header h = {0, ""};
    const char *p = s + tl;
    while (p < end) {
        while (p < end && is_blank(*p)) p++;
        const char *q = p;
        while (q < end && !is_blank(*q)) q++;
        if (q == p) break;
        char ex[32];
        if ((size_t)(q - p) > 4 && memcmp(p, "dim=", 4) == 0) {
            uint64_t d = 0;
            const char *t = p + 4;
            for (; t < q && *t >= '0' && *t <= '9'; t++) {
                d = d * 10 + (uint64_t)(*t - '0');
                if (d > SPARSE_MAX_DIM) break;
            }
            if (t != q || d == 0 || d > SPARSE_MAX_DIM)
                return fail(r, "bad header field '%s' (dim must be 1..%u)", excerpt(p, q, ex), SPARSE_MAX_DIM);
            h.dim = (uint32_t)d;
        } else if ((size_t)(q - p) > 6 && memcmp(p, "vocab=", 6) == 0) {
            size_t n = (size_t)(q - p) - 6;
            int okhex = n == SPARSE_DIGEST_LEN;
            for (size_t i = 0; okhex && i < n; i++) {
                char c = p[6 + i];
                okhex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            }
            if (!okhex)
                return fail(r, "bad header field '%s' (vocab must be %d lowercase hex digits)", excerpt(p, q, ex),
                            SPARSE_DIGEST_LEN);
            memcpy(h.vocab, p + 6, n);
            h.vocab[n] = 0;
        } /* unknown fields are ignored, for later versions */
        p = q;
    }
    if (r->seen_header) {
        if (h.dim && r->header.dim && h.dim != r->header.dim)
            return fail(r, "header dim=%u disagrees with earlier dim=%u", h.dim, r->header.dim);
        if (h.vocab[0] && r->header.vocab[0] && strcmp(h.vocab, r->header.vocab) != 0)
            return fail(r, "header vocab=%s disagrees with earlier vocab=%s", h.vocab, r->header.vocab);
    }
    if (h.dim && r->maxdim > h.dim)
        return fail(r, "header dim=%u is below index %u seen earlier", h.dim, r->maxdim);
    if (h.dim && r->limit && h.dim > r->limit)
        return fail(r, "header dim=%u does not match the model's input dimension %u", h.dim, r->limit);
    if (h.dim) r->header.dim = h.dim;
    if (h.vocab[0]) memcpy(r->header.vocab, h.vocab, sizeof h.vocab);
    r->seen_header = 1;
    return 0;
}

int sparse_parse_line(sparse_reader *r, const char *line, size_t len, sparse_row *row)
{
    char ex[32];
    const char *nul = memchr(line, 0, len);
    if (nul) return fail(r, "NUL byte at column %zu", (size_t)(nul - line) + 1);
    if (len && line[len - 1] == '\n') len--;
    if (len && line[len - 1] == '\r') len--;
    const char *p = line, *end = line + len;

    if (p < end && *p == '#') return parse_header(r, p, end) < 0 ? -1 : 0;
    while (p < end && is_blank(*p)) p++;
    if (p == end) return fail(r, "empty line (write '?' for an unlabeled example without features)");

    /* label: a number or '?', or absent when the first field is idx:val */
    const char *q = p;
    while (q < end && !is_blank(*q) && *q != ':') q++;
    row->has_label = 0;
    row->label = 0;
    if (q == end || is_blank(*q)) {
        if (q - p == 1 && *p == '?') {
            /* unlabeled */
        } else if (*p == '#') {
            return fail(r, "missing label before comment");
        } else {
            char tmp[64];
            size_t n = (size_t)(q - p);
            if (n >= sizeof tmp) return fail(r, "label '%s' longer than 63 characters", excerpt(p, q, ex));
            memcpy(tmp, p, n);
            tmp[n] = 0;
            char *e;
            errno = 0;
            double v = strtod(tmp, &e);
            if (e != tmp + n || n == 0) return fail(r, "bad label '%s'", excerpt(p, q, ex));
            if (!isfinite(v)) return fail(r, "label '%s' is not finite", excerpt(p, q, ex));
            row->has_label = 1;
            row->label = v;
        }
        p = q;
    }

    size_t n = 0;
    uint64_t prev = 0;
    uint32_t dim = r->header.dim;
    row->comment = NULL;
    for (;;) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        if (*p == '#') {
            p++;
            while (p < end && is_blank(*p)) p++;
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
            break;
        }
        const char *start = p;
        if (*p < '0' || *p > '9') {
            q = p;
            while (q < end && !is_blank(*q) && *q != ':') q++;
            if (q < end && *q == ':') return fail(r, "bad index '%s'", excerpt(start, end, ex));
            return fail(r, "missing ':' in '%s'", excerpt(start, end, ex));
        }
        uint64_t idx = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            idx = idx * 10 + (uint64_t)(*p - '0');
            if (idx > SPARSE_MAX_DIM) return fail(r, "index '%s' above the limit %u", excerpt(start, end, ex),
                                                  SPARSE_MAX_DIM);
            p++;
        }
        if (p == end || is_blank(*p)) return fail(r, "missing ':' after index %llu", (unsigned long long)idx);
        if (*p != ':') return fail(r, "bad index '%s'", excerpt(start, end, ex));
        p++;
        if (p == end || is_blank(*p) || *p == '#')
            return fail(r, "missing value after '%llu:'", (unsigned long long)idx);
        if (idx == 0) return fail(r, "index 0 (indices start at 1)");
        if (idx == prev) return fail(r, "duplicate index %llu", (unsigned long long)idx);
        if (idx < prev)
            return fail(r, "index %llu not above previous %llu", (unsigned long long)idx, (unsigned long long)prev);
        if (dim && idx > dim) return fail(r, "index %llu above declared dim=%u", (unsigned long long)idx, dim);
        if (r->limit && idx > r->limit)
            return fail(r, "index %llu above the model's input dimension %u", (unsigned long long)idx, r->limit);
        float v;
        const char *vs = p;
        q = p;
        while (q < end && !is_blank(*q)) q++;
        if (q - p == 1 && *p == '1') {
            v = 1.0f;
        } else {
            char tmp[64];
            size_t m = (size_t)(q - p);
            if (m >= sizeof tmp)
                return fail(r, "value '%s' of index %llu longer than 63 characters", excerpt(vs, end, ex),
                            (unsigned long long)idx);
            memcpy(tmp, p, m);
            tmp[m] = 0;
            char *e;
            errno = 0;
            v = strtof(tmp, &e);
            if (e == tmp)
                return fail(r, "bad value '%s' for index %llu", excerpt(vs, end, ex), (unsigned long long)idx);
            if (e != tmp + m)
                return fail(r, "trailing garbage '%s' after value of index %llu", excerpt(vs + (e - tmp), end, ex),
                            (unsigned long long)idx);
            if (isnan(v) || isinf(v)) {
                if (errno == ERANGE) return fail(r, "value '%s' out of float range", excerpt(vs, end, ex));
                return fail(r, "value '%s' is not finite", excerpt(vs, end, ex));
            }
        }
        p = q;
        if (grow(r, n + 1) < 0) return fail(r, "out of memory");
        r->col[n] = (uint32_t)(idx - 1);
        r->val[n] = v;
        n++;
        prev = idx;
        if (idx > r->maxdim) r->maxdim = (uint32_t)idx;
    }
    row->n = n;
    row->col = r->col;
    row->val = r->val;
    return 1;
}

int sparse_next(sparse_reader *r, sparse_row *row)
{
    for (;;) {
        errno = 0;
        long len = text_getline(&r->buf, &r->bufcap, r->f);
        if (len == -2) {
            r->line++;
            if (errno == ENOMEM) return fail(r, "out of memory");
            return fail(r, "line longer than %zu bytes (the limit)", TEXT_MAX_LINE);
        }
        if (len < 0) {
            if (ferror(r->f)) {
                r->line++;
                return fail(r, "read error: %s", strerror(errno ? errno : EIO));
            }
            return 0;
        }
        r->line++;
        int k = sparse_parse_line(r, r->buf, (size_t)len, row);
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
    if (vocab && *vocab) fprintf(f, "# senti sparse dim=%u vocab=%s\n", dim, vocab);
    else fprintf(f, "# senti sparse dim=%u\n", dim);
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
    row->comment = NULL;
}

void sparse_csr_clear(sparse_csr *m)
{
    m->rows = m->nnz = 0;
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
