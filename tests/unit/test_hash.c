/* test_hash.c - lib/hash: packing against the thresholds, hex text both
 * ways, popcount distance against the bit-by-bit loop on random codes of
 * odd bit counts, refused hex, and every search method (scan, the
 * several-queries scan, multi-index hashing) equal to the brute-force
 * reference on clustered codes. */
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
    /* medians (quickselect = sorting) and per-bit thresholds */
    {
        static const size_t ns[] = {0, 1, 2, 3, 10, 101, 1000};
        enum { HB = 7 };
        float *h = malloc(1000 * HB * sizeof *h), tmp[1000], m1[HB], m2[HB];
        int bad = 0, bad_pack = 0, bad_half = 0;
        for (size_t t = 0; t < sizeof ns / sizeof *ns; t++) {
            size_t n = ns[t];
            for (size_t i = 0; i < n * HB; i++) /* ties: a few values, or saturated sigmoid-like ones */
                h[i] = i % 2 ? (float)(rng_uniform(&g) < 0.5 ? 0.0 : 1.0 - 1e-7 * (double)(i % 5)) : (float)(rng_uniform(&g) * 4) / 4;
            hash_medians(h, n, HB, m1, tmp);
            hash_medians_naive(h, n, HB, m2, tmp);
            bad += memcmp(m1, m2, sizeof m1) != 0;
            for (size_t r = 0; r < n; r++) {
                uint64_t c[1];
                hash_pack_thresh(h + r * HB, HB, m1, c);
                for (uint32_t j = 0; j < HB; j++) bad_pack += hash_bit(c, j) != (h[r * HB + j] > m1[j]);
            }
            for (uint32_t j = 0; j < HB && n; j++) { /* at most half above, at least half at or below */
                size_t above = 0;
                for (size_t r = 0; r < n; r++) above += h[r * HB + j] > m1[j];
                bad_half += above > n / 2;
            }
        }
        CHECK(!bad, "medians by selection = medians by sorting (%d differ)", bad);
        CHECK(!bad_pack, "per-bit thresholds: bit j is h[j] > thresh[j] (%d wrong)", bad_pack);
        CHECK(!bad_half, "at most half the rows above the median (%d units not)", bad_half);
        float e[1];
        hash_medians(h, 0, 1, e, tmp);
        CHECK(e[0] == 0.5f, "no rows: the threshold is 0.5");
        float col[4] = {3, 1, 2, 4};
        hash_medians(col, 4, 1, e, tmp);
        CHECK(e[0] == 2.0f, "median of 3 1 2 4 is the lower middle, 2 (got %g)", (double)e[0]);
        free(h);
    }
    /* the thresholds in the header: written, read back exactly, tampering refused */
    {
        float th[5] = {0.5f, 1e-40f, 0.999132693f, 0.0f, 0.25f};
        FILE *f = tmpfile();
        hash_write_header_thresh(f, 5, "00000000000000aa", th);
        fputs("1\t88\n", f);
        rewind(f);
        hash_reader *r = hash_reader_new(f, "t");
        const uint64_t *c;
        const char *l, *cm;
        CHECK(hash_reader_next(r, &c, &l, &cm) == 1, "a row after the thresholds: %s", hash_reader_error(r));
        const float *got = hash_reader_thresholds(r);
        CHECK(got && !memcmp(got, th, sizeof th), "thresholds read back bit for bit (subnormal included)");
        CHECK(strlen(hash_reader_thresh(r)) == 16, "thresh= digest in the header");
        hash_reader_free(r);
        fclose(f);
        f = tmpfile();
        hash_write_header_thresh(f, 5, "00000000000000aa", th);
        rewind(f);
        char text[512];
        size_t len = fread(text, 1, sizeof text - 1, f);
        text[len] = '\0';
        char *p = strstr(text, " 0.25");
        p[4] = '6'; /* 0.26 */
        fclose(f);
        f = tmpfile();
        fputs(text, f);
        fputs("1\t88\n", f);
        rewind(f);
        r = hash_reader_new(f, "t");
        CHECK(hash_reader_next(r, &c, &l, &cm) < 0 && strstr(hash_reader_error(r), "t:2: thresholds digest"),
              "a changed threshold is refused: %s", hash_reader_error(r));
        hash_reader_free(r);
        fclose(f);
        f = tmpfile();
        fputs("# senti codes bits=5 model=00000000000000aa thresh=0123456789abcdef\n1\t88\n", f);
        rewind(f);
        r = hash_reader_new(f, "t");
        CHECK(hash_reader_next(r, &c, &l, &cm) < 0 && strstr(hash_reader_error(r), "t:2: no '# senti thresholds'"),
              "thresh= without the line is refused: %s", hash_reader_error(r));
        hash_reader_free(r);
        fclose(f);
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
    /* search: every method = the brute-force reference, on clustered and
     * uniform codes; 300 bits takes the scan's path over 255 bits */
    static const uint32_t sbits[] = {16, 33, 64, 100, 128, 255, 300};
    for (size_t s = 0; s < sizeof sbits / sizeof *sbits; s++) {
        uint32_t B = sbits[s];
        hash_index *x = hash_index_new(B);
        enum { NW = 5, N = 3000 };
        uint64_t c[NW], q[HASH_SCAN_QUERIES * NW];
        uint64_t centre[8][NW];
        for (int i = 0; i < 8; i++) random_code(&g, B, centre[i], 0.5);
        for (int r = 0; r < N; r++) {
            /* rows near one of 8 centres, so that ties and small distances occur */
            memcpy(c, centre[r % 8], sizeof c);
            for (uint32_t j = 0; j < B; j++)
                if (rng_uniform(&g) < 0.05) c[j >> 6] ^= (uint64_t)1 << (j & 63);
            if (r % 10 == 0) random_code(&g, B, c, 0.5);
            hash_index_add(x, c);
        }
        size_t W = x->words;
        size_t ks[] = {1, 10, 100, 5000, 2999, 3};
        int bad_scan = 0, bad_many = 0, bad_sort = 0;
        for (int t = 0; t < 60; t++) {
            size_t k = ks[t % 6], nq = 1 + (size_t)t % HASH_SCAN_QUERIES, want = k < N ? k : N;
            for (size_t i = 0; i < nq; i++) {
                uint64_t *qi = q + i * W;
                memcpy(qi, centre[(t + (int)i) % 8], W * sizeof *qi);
                if ((t + i) % 3 == 0) random_code(&g, B, qi, 0.5);
                if ((t + i) % 5 == 0) qi[0] ^= 3;
                if ((t + i) % 7 == 0) memcpy(qi, x->code + (size_t)(t * 37 % N) * W, W * sizeof *qi); /* a row itself */
            }
            hash_hit *ref = malloc(k * sizeof *ref), *h1 = malloc(k * sizeof *h1);
            hash_hit *hm = malloc(nq * k * sizeof *hm);
            for (int simd = 0; simd < 2; simd++) { /* the portable path, then AVX2 if the processor has it */
                hash_simd(simd);
                size_t nm = hash_knn_scan_many(x, q, nq, k, hm);
                bad_many += nm != want;
                for (size_t i = 0; i < nq; i++) {
                    size_t nr = hash_knn_naive(x, q + i * W, k, ref), n1 = hash_knn_scan(x, q + i * W, k, h1);
                    bad_scan += nr != want || n1 != want || memcmp(ref, h1, want * sizeof *ref);
                    bad_many += memcmp(ref, hm + i * k, want * sizeof *ref) != 0;
                    for (size_t j = 1; j < nr; j++)
                        bad_sort += ref[j - 1].dist > ref[j].dist ||
                                    (ref[j - 1].dist == ref[j].dist && ref[j - 1].row >= ref[j].row);
                }
            }
            free(ref);
            free(h1);
            free(hm);
        }
        CHECK(!bad_sort, "B=%u: the reference is sorted by (distance, row) (%d bad)", B, bad_sort);
        CHECK(!bad_scan, "B=%u: scan = reference (%d bad)", B, bad_scan);
        CHECK(!bad_many, "B=%u: scan of 1..%d queries per pass = reference (%d bad)", B, HASH_SCAN_QUERIES, bad_many);
        int m_try[] = {0, 1, 3};
        for (int mi = 0; mi < 3 && B <= 128; mi++) {
            CHECK(hash_index_build_mih(x, m_try[mi]) == 0, "build B=%u m=%d", B, m_try[mi]);
            int bad = 0;
            for (int t = 0; t < 60; t++) {
                memcpy(q, centre[t % 8], W * sizeof *q);
                if (t % 3 == 0) random_code(&g, B, q, 0.5);
                if (t % 5 == 0) q[0] ^= 3;
                size_t k = ks[t % 4];
                hash_hit *h1 = malloc(k * sizeof *h1), *h2 = malloc(k * sizeof *h2);
                size_t n1 = hash_knn_naive(x, q, k, h1), n2 = hash_knn_mih(x, q, k, h2);
                bad += n1 != n2 || n1 != (k < N ? k : N) || memcmp(h1, h2, n1 * sizeof *h1);
                free(h1);
                free(h2);
            }
            CHECK(!bad, "B=%u m=%d (%d substrings): mih = reference (%d bad)", B, m_try[mi], x->m, bad);
        }
        hash_index_free(x);
    }
    /* an index of few distinct codes: the scan reads those and expands them
     * to their rows, = the reference; and the same with the rows read */
    static const uint32_t dbits[] = {16, 40, 64};
    for (size_t s = 0; s < sizeof dbits / sizeof *dbits; s++) {
        uint32_t B = dbits[s];
        enum { N = 3000 };
        hash_index *x = hash_index_new(B);
        uint64_t pool[40], q[HASH_SCAN_QUERIES];
        for (int i = 0; i < 40; i++) random_code(&g, B, &pool[i], i % 4 ? 0.5 : 0.1);
        for (int r = 0; r < N; r++) {
            uint64_t c = pool[(size_t)(rng_uniform(&g) * 40)];
            if (r % 50 == 0) random_code(&g, B, &c, 0.5);
            hash_index_add(x, &c);
        }
        size_t ks[] = {1, 10, 100, 2999, 5000, 77};
        int bad = 0, used = 0, bad_off = 0;
        for (int t = 0; t < 48; t++) {
            size_t k = ks[t % 6], nq = 1 + (size_t)t % HASH_SCAN_QUERIES, want = k < N ? k : N;
            for (size_t i = 0; i < nq; i++) {
                if ((t + i) % 3 == 0) random_code(&g, B, &q[i], 0.5);
                else q[i] = pool[(t * 7 + (int)i) % 40] ^ (t % 2 ? 1 : 0);
            }
            hash_hit *ref = malloc(k * sizeof *ref), *hm = malloc(nq * k * sizeof *hm);
            for (int simd = 0; simd < 2; simd++) {
                hash_simd(simd);
                bad += hash_knn_scan_many(x, q, nq, k, hm) != want;
                used += x->un > 0 && x->un <= 100;
                for (size_t i = 0; i < nq; i++) {
                    hash_knn_naive(x, &q[i], k, ref);
                    bad += memcmp(ref, hm + i * k, want * sizeof *ref) != 0;
                }
            }
            hash_index_dedup(x, 0); /* off until rows are added */
            bad_off += hash_knn_scan_many(x, q, nq, k, hm) != want || x->un != 0;
            for (size_t i = 0; i < nq; i++) {
                hash_knn_naive(x, &q[i], k, ref);
                bad_off += memcmp(ref, hm + i * k, want * sizeof *ref) != 0;
            }
            hash_index_dedup(x, HASH_DEDUP_MOST);
            free(ref);
            free(hm);
        }
        CHECK(used == 96, "B=%u: the scan read the %zu distinct codes of %d rows (%d of 96 passes)", B, x->un, N, used);
        CHECK(!bad, "B=%u, few distinct codes: scan of 1..%d queries = reference (%d bad)", B, HASH_SCAN_QUERIES, bad);
        CHECK(!bad_off, "B=%u, few distinct codes, read row by row: = reference (%d bad)", B, bad_off);
        uint64_t extra = pool[0];
        hash_index_add(x, &extra);
        hash_hit h1[5], h2[5];
        hash_knn_scan_many(x, &extra, 1, 5, h1);
        hash_knn_naive(x, &extra, 5, h2);
        CHECK(x->u_for == N + 1 && !memcmp(h1, h2, sizeof h1), "B=%u: a row added: the distinct codes found again", B);
        hash_index_free(x);
    }
    /* a pass over an index with few rows, and an empty one */
    {
        hash_index *x = hash_index_new(8);
        uint64_t c = 0x0f, q[2] = {0x0f, 0xf0};
        hash_index_add(x, &c);
        hash_hit h[2 * 4];
        CHECK(hash_knn_scan_many(x, q, 2, 4, h) == 1 && h[0].dist == 0 && h[4].dist == 8 && h[4].row == 0,
              "one row, two queries, k=4: one hit each at distance 0 and 8");
        hash_index_free(x);
        x = hash_index_new(8);
        CHECK(hash_knn_scan_many(x, q, 2, 4, h) == 0, "empty index: no hits");
        hash_index_free(x);
    }
    return check_report();
}
