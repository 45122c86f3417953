/* test_cf.c - the rating normalisation of lib/cf: cf_normalize against a
 * naive loop (with and without centring, empty lines), cf_denorm undoing
 * it and clipping to the scale, and --scale parsing. */
#include <math.h>
#include <stdlib.h>

#include "cf.h"
#include "check.h"
#include "rng.h"
#include "sparse.h"

int main(void)
{
    cf_scale s;
    CHECK(cf_scale_parse("0.5,5", &s) == 0 && s.lo == 0.5 && s.hi == 5, "0.5,5 parses");
    CHECK(cf_scale_parse("5,1", &s) != 0, "MIN above MAX refused");
    CHECK(cf_scale_parse("1,1", &s) != 0, "empty scale refused");
    CHECK(cf_scale_parse("1,", &s) != 0 && cf_scale_parse("1", &s) != 0 && cf_scale_parse("1,5x", &s) != 0,
          "malformed scales refused");
    CHECK(cf_scale_parse("1,inf", &s) != 0 && cf_scale_parse("nan,5", &s) != 0, "non-finite scales refused");

    cf_scale sc = {1, 5};
    CHECK(cf_norm(&sc, 1) == -1 && cf_norm(&sc, 5) == 1 && cf_norm(&sc, 3) == 0, "the scale maps to [-1, 1]");
    CHECK(cf_denorm(&sc, 2) == 5 && cf_denorm(&sc, -7) == 1 && cf_denorm(&sc, NAN) == 1, "denorm clips");

    /* a random matrix of 40 lines, some empty */
    rng_t g;
    rng_seed(&g, 9, 0);
    for (int center = 0; center <= 1; center++) {
        sparse_csr *m = sparse_csr_new();
        uint32_t col[30];
        float val[30];
        for (int i = 0; i < 40; i++) {
            size_t n = i % 7 == 0 ? 0 : (size_t)rng_below(&g, 30) + 1, k = 0;
            for (uint32_t j = 0; j < 30 && k < n; j++)
                if (rng_uniform(&g) < 0.6) col[k] = j, val[k++] = (float)(1 + (double)rng_below(&g, 9) / 2);
            sparse_row r = {0, 0, k, col, val, NULL};
            CHECK(sparse_csr_append(m, &r) == 0, "append");
        }
        float *raw = malloc(m->nnz * sizeof *raw);
        for (size_t e = 0; e < m->nnz; e++) raw[e] = m->val[e];
        double mean[40];
        CHECK(cf_normalize(m, &sc, center, mean) == 0, "no rating outside the scale");
        int ok = 1, undo = 1;
        for (size_t i = 0; i < m->rows; i++) {
            size_t e0 = m->rowptr[i], e1 = m->rowptr[i + 1];
            double mu = 0;
            for (size_t e = e0; e < e1; e++) mu += (raw[e] - 3.0) / 2.0;
            mu = center && e1 > e0 ? mu / (double)(e1 - e0) : 0;
            ok &= fabs(mean[i] - mu) < 1e-12;
            for (size_t e = e0; e < e1; e++) {
                ok &= m->val[e] == (float)((raw[e] - 3.0) / 2.0 - mu);
                undo &= fabs(cf_denorm(&sc, (double)m->val[e] + mean[i]) - raw[e]) < 1e-6;
            }
        }
        CHECK(ok, "cf_normalize = the naive loop (center %d)", center);
        CHECK(undo, "cf_denorm(x + mean) gives the ratings back (center %d)", center);
        cf_scale narrow = {2, 4};
        for (size_t e = 0; e < m->nnz; e++) m->val[e] = raw[e];
        size_t bad = 0;
        for (size_t e = 0; e < m->nnz; e++) bad += raw[e] < 2 || raw[e] > 4;
        CHECK(cf_normalize(m, &narrow, center, NULL) == bad, "ratings outside the scale counted (%zu)", bad);
        free(raw);
        sparse_csr_free(m);
    }
    return check_report();
}
