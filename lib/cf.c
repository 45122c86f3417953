/* cf.c - the rating normalisation of collaborative filtering (cf.h). */
#include "cf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "train.h"

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

/* train_input.check: every value of the row on the scale ctx */
static const char *cf_check_row(const sparse_row *row, const void *ctx, char *msg, size_t size)
{
    const cf_scale *s = ctx;
    for (size_t e = 0; e < row->n; e++)
        if (!(row->val[e] >= s->lo && row->val[e] <= s->hi)) {
            char v[32];
            sparse_format_float(v, row->val[e]);
            snprintf(msg, size, "rating %s (index %u) outside the scale [%g, %g]", v, row->col[e] + 1, s->lo, s->hi);
            return msg;
        }
    return NULL;
}

sparse_csr *cf_read(const char *const *paths, int n, const cf_scale *s, int keep_comments)
{
    train_input in = {.what = "the input", .keep_comments = keep_comments, .may_be_empty = 1,
                      .check = s ? cf_check_row : NULL, .check_ctx = s};
    char vocab[17];
    return train_read(paths, n, &in, vocab);
}
