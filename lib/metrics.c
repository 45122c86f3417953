/* metrics.c - rating-prediction metrics (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The largest |gold - pred|: the scale that keeps the sums of squares
 * finite for any finite inputs (the sum of (d / scale)^2 is at
 * most n). */
static double max_abs_diff(const double *gold, const double *pred, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(gold[i] - pred[i]);
        if (d > m) m = d;
    }
    return m;
}

double metrics_rmse(const double *gold, const double *pred, size_t n)
{
    if (!n) return 0;
    double m = max_abs_diff(gold, pred, n);
    if (m == 0 || !isfinite(m)) return m;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (gold[i] - pred[i]) / m;
        s += d * d;
    }
    return m * sqrt(s / (double)n);
}

double metrics_mae(const double *gold, const double *pred, size_t n)
{
    if (!n) return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs(gold[i] - pred[i]) / (double)n;
    return s;
}

size_t metrics_nearest(const double *classes, size_t k, double v)
{
    /* beyond the ends the end classes are nearest; inside, the differences
     * are exact enough to compare */
    if (v <= classes[0]) return 0;
    if (v >= classes[k - 1]) return k - 1;
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (fabs(classes[c] - v) < fabs(classes[best] - v)) best = c;
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t metrics_classes(const double *v, size_t n, double *out)
{
    if (out != v) memcpy(out, v, n * sizeof *out);
    qsort(out, n, sizeof *out, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i]) out[k++] = out[i];
    return k;
}

int metrics_bootstrap_rmse(const double *gold, const double *pred, const double *other, size_t n, size_t reps,
                           double level, rng_t *g, double *lo, double *hi)
{
    *lo = *hi = 0;
    if (!n || !reps) return 0;
    double *r = malloc(reps * sizeof *r);
    if (!r) return -1;
    /* sums of squares scaled as in metrics_rmse (1 when all are exact) */
    double m = max_abs_diff(gold, pred, n), mo = other ? max_abs_diff(gold, other, n) : 0;
    if (m == 0) m = 1;
    if (mo == 0) mo = 1;
    for (size_t b = 0; b < reps; b++) {
        double s = 0, so = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)rng_below(g, n);
            double d = (gold[j] - pred[j]) / m;
            s += d * d;
            if (other) {
                double e = (gold[j] - other[j]) / mo;
                so += e * e;
            }
        }
        r[b] = m * sqrt(s / (double)n) - (other ? mo * sqrt(so / (double)n) : 0);
    }
    qsort(r, reps, sizeof *r, cmp_double);
    double a = (1 - level) / 2;
    size_t il = (size_t)floor(a * (double)(reps - 1) + 0.5);
    size_t ih = (size_t)floor((1 - a) * (double)(reps - 1) + 0.5);
    *lo = r[il];
    *hi = r[ih];
    free(r);
    return 0;
}
