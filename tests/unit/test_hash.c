/* test_hash.c - lib/hash: packing against the thresholds, hex text both
 * ways, popcount distance against the bit-by-bit loop on random codes of
 * odd bit counts, refused hex, and multi-index search equal to the scan. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hash.h"
#include "rng.h"

static void random_code(rng_t *g, uint32_t bits, uint64_t *c, double p)
{
    float h[HASH_MAX_BITS];
    for (uint32_t j = 0; j < bits; j++) h[j] = rng_uniform(g) < p ? 0.9f : 0.1f;
    hash_pack(h, bits, 0.5f, c);
}

int main(void)
{
    rng_t g;
    rng_seed(&g, 7, 0);
    static const uint32_t sizes[] = {1, 3, 7, 13, 31, 33, 63, 64, 65, 127, 129, 255, 1001};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        uint32_t B = sizes[s];
        uint64_t a[HASH_MAX_BITS / 64], b[HASH_MAX_BITS / 64], c[HASH_MAX_BITS / 64];
        int bad_pack = 0, bad_dist = 0, bad_hex = 0, bad_pad = 0;
        for (int t = 0; t < 200; t++) {
            float h[HASH_MAX_BITS];
            for (uint32_t j = 0; j < B; j++) h[j] = (float)rng_uniform(&g);
            hash_pack(h, B, 0.5f, a);
            for (uint32_t j = 0; j < B; j++) bad_pack += hash_bit(a, j) != (h[j] > 0.5f);
            if (B % 64) bad_pad += (a[B / 64] >> (B % 64)) != 0;
            random_code(&g, B, b, t % 2 ? 0.5 : 0.1);
            bad_dist += hash_dist(a, b, hash_words(B)) != hash_dist_naive(a, b, B);
            char hex[HASH_MAX_BITS / 4 + 1], err[HASH_ERR_LEN];
            hash_to_hex(a, B, hex);
            bad_hex += strlen(hex) != (B + 3) / 4;
            bad_hex += hash_from_hex(hex, strlen(hex), B, c, err, sizeof err) != 0;
            bad_hex += memcmp(a, c, hash_words(B) * sizeof *a) != 0;
        }
        CHECK(!bad_pack, "B=%u: packed bits are h > 0.5 (%d wrong)", B, bad_pack);
        CHECK(!bad_pad, "B=%u: bits above B stay zero", B);
        CHECK(!bad_dist, "B=%u: popcount distance = bit-by-bit distance (%d wrong)", B, bad_dist);
        CHECK(!bad_hex, "B=%u: hex round trip (%d wrong)", B, bad_hex);
    }
    /* known values */
    {
        float h[6] = {1, 0, 0, 0, 1, 1};
        uint64_t c[1];
        char hex[3];
        hash_pack(h, 6, 0.5f, c);
        hash_to_hex(c, 6, hex);
        CHECK(!strcmp(hex, "8c"), "units 1,5,6 of 6 are hex 8c (got %s)", hex);
        CHECK(c[0] == 0x31, "units 1,5,6 are bits 0,4,5 of the word");
        float e[1] = {0.5f};
        hash_pack(e, 1, 0.5f, c);
        CHECK(c[0] == 0, "0.5 itself is a 0 bit (threshold is strict)");
        uint64_t z[2] = {0, 0}, o[2] = {~0ull, 1};
        CHECK(hash_dist(z, o, 2) == 65 && hash_dist_naive(z, o, 65) == 65, "distance 65 over two words");
    }
    /* refused hex */
    {
        uint64_t c[2];
        char err[HASH_ERR_LEN];
        CHECK(hash_from_hex("8c", 2, 6, c, err, sizeof err) == 0, "8c is 6 bits");
        CHECK(hash_from_hex("8d", 2, 6, c, err, sizeof err) < 0 && strstr(err, "padding"), "padding bit set: %s", err);
        CHECK(hash_from_hex("8", 1, 6, c, err, sizeof err) < 0 && strstr(err, "needs 2"), "too short: %s", err);
        CHECK(hash_from_hex("8cc", 3, 6, c, err, sizeof err) < 0, "too long");
        CHECK(hash_from_hex("8g", 2, 6, c, err, sizeof err) < 0 && strstr(err, "'g'"), "bad digit: %s", err);
        CHECK(hash_from_hex("AC", 2, 8, c, err, sizeof err) == 0 && c[0] == 0x35, "upper case read");
    }
    /* search: multi-index hashing = scan, on clustered and uniform codes */
    static const uint32_t sbits[] = {16, 33, 64, 100};
    for (size_t s = 0; s < sizeof sbits / sizeof *sbits; s++) {
        uint32_t B = sbits[s];
        hash_index *x = hash_index_new(B);
        uint64_t c[4], q[4];
        uint64_t centre[8][4];
        for (int i = 0; i < 8; i++) random_code(&g, B, centre[i], 0.5);
        for (int r = 0; r < 3000; r++) {
            /* rows near one of 8 centres, so that ties and small distances occur */
            memcpy(c, centre[r % 8], sizeof c);
            for (uint32_t j = 0; j < B; j++)
                if (rng_uniform(&g) < 0.05) c[j >> 6] ^= (uint64_t)1 << (j & 63);
            if (r % 10 == 0) random_code(&g, B, c, 0.5);
            hash_index_add(x, c);
        }
        int m_try[] = {0, 1, 3};
        for (int mi = 0; mi < 3; mi++) {
            CHECK(hash_index_build_mih(x, m_try[mi]) == 0, "build B=%u m=%d", B, m_try[mi]);
            int bad = 0;
            size_t ks[] = {1, 10, 100, 5000};
            for (int t = 0; t < 60; t++) {
                memcpy(q, centre[t % 8], sizeof q);
                if (t % 3 == 0) random_code(&g, B, q, 0.5);
                if (t % 5 == 0) q[0] ^= 3;
                size_t k = ks[t % 4];
                hash_hit *h1 = malloc(k * sizeof *h1), *h2 = malloc(k * sizeof *h2);
                size_t n1 = hash_knn_scan(x, q, k, h1), n2 = hash_knn_mih(x, q, k, h2);
                bad += n1 != n2 || n1 != (k < 3000 ? k : 3000) || memcmp(h1, h2, n1 * sizeof *h1);
                for (size_t i = 1; i < n1; i++)
                    bad += h1[i - 1].dist > h1[i].dist || (h1[i - 1].dist == h1[i].dist && h1[i - 1].row >= h1[i].row);
                for (size_t i = 0; i < n1; i++)
                    bad += h1[i].dist != hash_dist_naive(q, x->code + h1[i].row * x->words, B);
                free(h1);
                free(h2);
            }
            CHECK(!bad, "B=%u m=%d (%d substrings): mih = scan, sorted by (distance, row) (%d bad)", B, m_try[mi], x->m,
                  bad);
        }
        hash_index_free(x);
    }
    return check_report();
}
