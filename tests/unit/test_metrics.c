/* test_metrics.c - lib/metrics against naive formulas in long double, and
 * at the edges of the double range: huge finite differences give finite
 * figures, far predictions round to the end classes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "metrics.h"
#include "rng.h"

static long double naive_rmse(const double *g, const double *p, size_t n)
{
    long double s = 0;
    for (size_t i = 0; i < n; i++) s += ((long double)g[i] - p[i]) * ((long double)g[i] - p[i]);
    return sqrtl(s / n);
}

static size_t naive_nearest(const double *c, size_t k, double v)
{
    size_t best = 0;
    for (size_t i = 1; i < k; i++)
        if (fabsl((long double)c[i] - v) < fabsl((long double)c[best] - v)) best = i;
    return best;
}

int main(void)
{
    rng_t g;
    rng_seed(&g, 7, 0);
    enum { N = 1000 };
    double gold[N], pred[N];
    for (int t = 0; t < 20; t++) {
        size_t n = 1 + (size_t)rng_below(&g, N);
        double scale = t < 10 ? 1 : pow(10, 10 * t); /* up to 1e190 */
        for (size_t i = 0; i < n; i++) {
            gold[i] = 1 + (double)rng_below(&g, 5);
            pred[i] = (rng_uniform(&g) * 6 - 0.5) * scale;
        }
        CHECK_NEAR(metrics_rmse(gold, pred, n) / scale, (double)(naive_rmse(gold, pred, n) / scale), 1e-12,
                   "rmse = naive, n %zu, scale %g", n, scale);
        long double m = 0;
        for (size_t i = 0; i < n; i++) m += fabsl((long double)gold[i] - pred[i]);
        CHECK_NEAR(metrics_mae(gold, pred, n) / scale, (double)(m / n / scale), 1e-12, "mae = naive, scale %g", scale);
    }
    /* differences whose squares overflow a double */
    double hg[2] = {5, 1}, hp[2] = {4, 1e300}, hq[2] = {5, -1e300};
    double r = metrics_rmse(hg, hp, 2);
    CHECK(isfinite(r) && fabs(r / (1e300 / sqrt(2)) - 1) < 1e-12, "rmse of a 1e300 miss: %g", r);
    r = metrics_rmse(hp, hq, 2);
    CHECK(isfinite(r) && fabs(r / (2e300 / sqrt(2)) - 1) < 1e-12, "rmse of a 2e300 miss: %g", r);
    CHECK(isfinite(metrics_mae(hp, hq, 2)), "mae of a 2e300 miss is finite");
    double lo, hi;
    rng_t b;
    rng_seed(&b, 1, 0);
    CHECK(metrics_bootstrap_rmse(hg, hp, hq, 2, 200, 0.95, &b, &lo, &hi) == 0 && isfinite(lo) && isfinite(hi) && lo <= hi,
          "paired bootstrap of huge misses is finite: [%g, %g]", lo, hi);
    double zg[3] = {1, 2, 3};
    CHECK(metrics_rmse(zg, zg, 3) == 0 && metrics_mae(zg, zg, 3) == 0, "exact predictions: 0");
    rng_seed(&b, 1, 0);
    CHECK(metrics_bootstrap_rmse(zg, zg, NULL, 3, 50, 0.95, &b, &lo, &hi) == 0 && lo == 0 && hi == 0,
          "bootstrap of exact predictions: [0, 0]");

    /* the nearest class */
    double cl[5] = {1, 2, 3, 4, 5};
    int bad = 0;
    for (int t = 0; t < 10000; t++) {
        double v = rng_uniform(&g) * 8 - 1.5;
        if (metrics_nearest(cl, 5, v) != naive_nearest(cl, 5, v)) bad++;
    }
    CHECK(bad == 0, "nearest class = naive on 10000 values (%d differ)", bad);
    CHECK(metrics_nearest(cl, 5, 1e17) == 4, "1e17 rounds to the top class");
    CHECK(metrics_nearest(cl, 5, -1e17) == 0, "-1e17 rounds to the bottom class");
    CHECK(metrics_nearest(cl, 5, DBL_MAX) == 4 && metrics_nearest(cl, 5, 2.5) == 1, "DBL_MAX; a tie goes low");
    return check_report();
}
