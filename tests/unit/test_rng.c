/* test_rng.c - the seeded generator: reproducibility, independent streams,
 * uniformity of rng_below, moments of the uniform and normal deviates,
 * and shuffles that are permutations. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"

int main(void)
{
    rng_t a, b;
    rng_seed(&a, 123, 0);
    rng_seed(&b, 123, 0);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= rng_next(&a) == rng_next(&b);
    CHECK(same, "same seed gives the same sequence");

    rng_seed(&a, 123, 0);
    rng_seed(&b, 124, 0);
    int diff = 0;
    for (int i = 0; i < 100; i++) diff += rng_next(&a) != rng_next(&b);
    CHECK(diff > 95, "seeds 123 and 124 differ (%d/100)", diff);

    /* stream k is the main stream jumped k times */
    rng_seed(&a, 5, 2);
    rng_seed(&b, 5, 0);
    rng_jump(&b);
    rng_jump(&b);
    CHECK(memcmp(&a, &b, sizeof a) == 0, "stream 2 = two jumps");
    rng_seed(&a, 5, 1);
    rng_seed(&b, 5, 0);
    diff = 0;
    for (int i = 0; i < 100; i++) diff += rng_next(&a) != rng_next(&b);
    CHECK(diff > 95, "streams 0 and 1 differ");

    /* the seed 0 must not give the all-zero state */
    rng_seed(&a, 0, 0);
    CHECK((a.s[0] | a.s[1] | a.s[2] | a.s[3]) != 0, "seed 0 state non-zero");

    /* moments */
    rng_seed(&a, 99, 0);
    double s1 = 0, s2 = 0, n1 = 0, n2 = 0;
    float flo = 1, fhi = 0;
    const int N = 400000;
    for (int i = 0; i < N; i++) {
        double u = rng_uniform(&a);
        s1 += u;
        s2 += u * u;
        double z = rng_normal(&a);
        n1 += z;
        n2 += z * z;
        float f = rng_uniformf(&a);
        if (f < flo) flo = f;
        if (f > fhi) fhi = f;
    }
    CHECK_NEAR(s1 / N, 0.5, 0.005, "uniform mean");
    CHECK_NEAR(s2 / N - (s1 / N) * (s1 / N), 1.0 / 12, 0.005, "uniform variance");
    CHECK_NEAR(n1 / N, 0.0, 0.01, "normal mean");
    CHECK_NEAR(n2 / N, 1.0, 0.01, "normal variance");
    CHECK(flo >= 0 && fhi < 1, "uniformf in [0,1)");

    /* rng_below: chi-square over 7 cells (df 6; 99.9% quantile 22.5) */
    long cnt[7] = {0};
    for (int i = 0; i < 70000; i++) cnt[rng_below(&a, 7)]++;
    double chi = 0;
    for (int k = 0; k < 7; k++) chi += (double)(cnt[k] - 10000) * (double)(cnt[k] - 10000) / 10000.0;
    CHECK(chi < 22.5, "rng_below(7) uniform (chi2 %.2f)", chi);
    int inrange = 1;
    for (int i = 0; i < 10000; i++) inrange &= rng_below(&a, 3) < 3;
    CHECK(inrange, "rng_below in range");
    CHECK(rng_below(&a, 1) == 0, "rng_below(1) is 0");

    /* shuffle is a permutation, and every position gets every value */
    size_t idx[10];
    long pos[10][10];
    memset(pos, 0, sizeof pos);
    for (int t = 0; t < 20000; t++) {
        for (size_t i = 0; i < 10; i++) idx[i] = i;
        rng_shuffle_size(&a, idx, 10);
        int seen = 0;
        for (size_t i = 0; i < 10; i++) {
            seen |= 1 << idx[i];
            pos[i][idx[i]]++;
        }
        if (seen != 0x3ff) {
            CHECK(0, "shuffle lost an element");
            break;
        }
    }
    long pmin = 1 << 30, pmax = 0;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            if (pos[i][j] < pmin) pmin = pos[i][j];
            if (pos[i][j] > pmax) pmax = pos[i][j];
        }
    CHECK(pmin > 1800 && pmax < 2200, "shuffle positions uniform (%ld..%ld, expect 2000)", pmin, pmax);
    return check_report();
}
