/* metrics.h - rating-prediction metrics: RMSE, MAE, exact and polarity
 * accuracy, confusion matrix, bootstrap confidence interval of the RMSE:
 * what senti-eval reports.  (The trainers' validation RMSE is net_rmse, the
 * same formula over a network's predictions.) */
#ifndef SENTI_METRICS_H
#define SENTI_METRICS_H

#include <stddef.h>

#include "rng.h"

/* sqrt(mean((gold - pred)^2)); 0 when n == 0.  Finite whenever every
 * difference is finite (the squares are summed scaled by the largest). */
double metrics_rmse(const double *gold, const double *pred, size_t n);
/* mean(|gold - pred|); 0 when n == 0. */
double metrics_mae(const double *gold, const double *pred, size_t n);

/* Index of the class nearest to v among the sorted classes[0..k), ties
 * going to the lower class; v below the first or above the last is the
 * first or the last however far it is. */
size_t metrics_nearest(const double *classes, size_t k, double v);

/* The distinct values of v[0..n) in increasing order, written to out
 * (room for n values; out may be v itself).  Returns their number.  The
 * rating classes of a training set or of gold ratings. */
size_t metrics_classes(const double *v, size_t n, double *out);

/* Percentile bootstrap of the RMSE: `reps` resamples of the n pairs with
 * replacement, drawn from g; writes the (1-level)/2 and (1+level)/2
 * quantiles to *lo and *hi.  With `other` (predictions of a second model
 * for the same gold ratings; NULL for none) the statistic is the paired
 * difference rmse(pred) - rmse(other), both on the same resample.
 * Returns -1 on allocation failure. */
int metrics_bootstrap_rmse(const double *gold, const double *pred, const double *other, size_t n, size_t reps,
                           double level, rng_t *g, double *lo, double *hi);

#endif
