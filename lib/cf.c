/* cf.c - the rating normalisation of collaborative filtering (cf.h). */
#include "cf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cf_scale_parse(const char *arg, cf_scale *s)
{
    char *end;
    double lo = strtod(arg, &end);
    if (end == arg || *end != ',') return -1;
    const char *b = end + 1;
    double hi = strtod(b, &end);
    if (end == b || *end || !isfinite(lo) || !isfinite(hi) || !(lo < hi)) return -1;
    s->lo = lo;
    s->hi = hi;
    return 0;
}

double cf_norm(const cf_scale *s, double r)
{
    double mid = (s->lo + s->hi) / 2, half = (s->hi - s->lo) / 2;
    return (r - mid) / half;
}

double cf_denorm(const cf_scale *s, double x)
{
    double mid = (s->lo + s->hi) / 2, half = (s->hi - s->lo) / 2;
    double r = x * half + mid;
    if (!(r >= s->lo)) r = s->lo; /* NaN too */
    if (r > s->hi) r = s->hi;
    return r;
}

size_t cf_normalize(sparse_csr *m, const cf_scale *s, int center, double *mean)
{
    size_t bad = 0;
    for (size_t i = 0; i < m->rows; i++) {
        size_t e0 = m->rowptr[i], e1 = m->rowptr[i + 1];
        double sum = 0;
        for (size_t e = e0; e < e1; e++) {
            double r = m->val[e];
            bad += !(r >= s->lo && r <= s->hi);
            sum += cf_norm(s, r);
        }
        double mu = center && e1 > e0 ? sum / (double)(e1 - e0) : 0;
        for (size_t e = e0; e < e1; e++) m->val[e] = (float)(cf_norm(s, m->val[e]) - mu);
        if (mean) mean[i] = mu;
    }
    return bad;
}

sparse_csr *cf_read(const char *const *paths, int n, const cf_scale *s, int keep_comments)
{
    sparse_csr *m = sparse_csr_new();
    if (!m) die("out of memory");
    m->keep_comments = keep_comments;
    sparse_reader *r = NULL;
    for (int i = 0; i < n; i++) {
        const char *name = cli_name(paths[i]);
        FILE *f = xfopen(paths[i], "r");
        if (!r) {
            if (!(r = sparse_reader_new(f, name))) die("out of memory");
        } else if (sparse_reader_next_file(r, f, name) < 0) {
            die("out of memory");
        }
        sparse_row row;
        int k;
        while ((k = sparse_next(r, &row)) == 1) {
            for (size_t e = 0; s && e < row.n; e++)
                if (!(row.val[e] >= s->lo && row.val[e] <= s->hi)) {
                    char v[32];
                    sparse_format_float(v, row.val[e]);
                    die_at(name, sparse_reader_line(r), "rating %s (index %u) outside the scale [%g, %g]", v,
                           row.col[e] + 1, s->lo, s->hi);
                }
            if (sparse_csr_append(m, &row) < 0) die("out of memory");
        }
        if (k < 0) die("%s", sparse_reader_error(r));
        xfclose(f, paths[i]);
    }
    const sparse_header *h = sparse_reader_header(r);
    if (h->dim > m->dim) m->dim = h->dim;
    m->header = *h;
    sparse_reader_free(r);
    return m;
}
