/* metrics.c - rating-prediction metrics (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double metrics_rmse(const double *gold, const double *pred, size_t n)
{
    if (!n) return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = gold[i] - pred[i];
        s += d * d;
    }
    return sqrt(s / (double)n);
}

double metrics_mae(const double *gold, const double *pred, size_t n)
{
    if (!n) return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs(gold[i] - pred[i]);
    return s / (double)n;
}

size_t metrics_nearest(const double *classes, size_t k, double v)
{
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
    for (size_t b = 0; b < reps; b++) {
        double s = 0, so = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)rng_below(g, n);
            double d = gold[j] - pred[j];
            s += d * d;
            if (other) {
                double e = gold[j] - other[j];
                so += e * e;
            }
        }
        r[b] = sqrt(s / (double)n) - (other ? sqrt(so / (double)n) : 0);
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
