/* test_kern.c - every kernel of lib/kern against its naive loop: sgemm in
 * all four transpose cases with alpha/beta, the vector kernels (AVX2 and
 * generic code, odd lengths), sparse products and their column-grouped
 * forms on 1 and 2 threads, and the work split. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kern.h"
#include "rng.h"

static rng_t r;

static void fill(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 2 * rng_uniformf(&r) - 1;
}

static double maxdiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static void test_sgemm(void)
{
    const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 31, 5}, {10, 100, 70}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++) {
                int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
                size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb,
                       nc = (size_t)M * ldc;
                float *A = malloc(na * 4), *B = malloc(nb * 4), *C1 = malloc(nc * 4), *C2 = malloc(nc * 4);
                fill(A, na);
                fill(B, nb);
                fill(C1, nc);
                memcpy(C2, C1, nc * 4);
                kern_sgemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, -0.5f, C1, ldc);
                kern_sgemm_naive(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, -0.5f, C2, ldc);
                double d = maxdiff(C1, C2, nc);
                CHECK(d < 1e-4 * (1 + K), "sgemm %dx%dx%d ta=%d tb=%d: diff %g", M, N, K, ta, tb, d);
                /* beta 0 ignores C */
                for (size_t i = 0; i < nc; i++) C1[i] = NAN, C2[i] = 0;
                kern_sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C1, ldc);
                kern_sgemm_naive(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C2, ldc);
                int ok = 1;
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                        if (!(fabs(C1[i * ldc + j] - C2[i * ldc + j]) < 1e-4 * (1 + K))) ok = 0;
                CHECK(ok, "sgemm beta=0 %dx%dx%d ta=%d tb=%d", M, N, K, ta, tb);
                free(A), free(B), free(C1), free(C2);
            }
}

static void test_vectors(int generic)
{
    kern_force_generic(generic);
    const char *isa = kern_isa();
    const size_t lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1001};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        float *x = malloc((n + 1) * 4), *y = malloc((n + 1) * 4), *z = malloc((n + 1) * 4);
        float *ys[4], *w = malloc((n + 1) * 4), *w2 = malloc((n + 1) * 4);
        for (int k = 0; k < 4; k++) ys[k] = malloc((n + 1) * 4), fill(ys[k], n);
        fill(x, n);
        fill(y, n);
        memcpy(z, y, n * 4);
        double tol = 1e-5 * (1 + (double)n);
        CHECK_NEAR(kern_dot(n, x, y), kern_dot_naive(n, x, y), tol, "%s dot n=%zu", isa, n);
        kern_axpy(n, 0.3f, x, y);
        kern_axpy_naive(n, 0.3f, x, z);
        CHECK(maxdiff(y, z, n) < 1e-6, "%s axpy n=%zu", isa, n);
        float out[4];
        const float *cy[4] = {ys[0], ys[1], ys[2], ys[3]};
        kern_dot4(n, x, cy, out);
        for (int k = 0; k < 4; k++)
            CHECK_NEAR(out[k], kern_dot_naive(n, x, ys[k]), tol, "%s dot4[%d] n=%zu", isa, k, n);
        fill(w, n);
        memcpy(w2, w, n * 4);
        float a[4] = {0.5f, -1, 0.25f, 2};
        kern_axpy4(n, a, cy, w);
        for (int k = 0; k < 4; k++) kern_axpy_naive(n, a[k], ys[k], w2);
        CHECK(maxdiff(w, w2, n) < 1e-5, "%s axpy4 n=%zu", isa, n);
        /* gathered forms over a random index subset */
        uint32_t *idx = malloc((n + 1) * 4);
        float *val = malloc((n + 1) * 4);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (rng_uniform(&r) < 0.4) idx[m] = (uint32_t)i, val[m++] = 2 * rng_uniformf(&r) - 1;
        double ref = 0;
        for (size_t i = 0; i < m; i++) ref += (double)val[i] * x[idx[i]];
        CHECK_NEAR(kern_dot_gather(m, idx, val, x), ref, tol, "%s dot_gather n=%zu", isa, n);
        memcpy(w2, w, n * 4);
        kern_axpy_scatter(m, 0.7f, idx, val, w);
        for (size_t i = 0; i < m; i++) w2[idx[i]] += 0.7f * val[i];
        CHECK(maxdiff(w, w2, n) < 1e-6, "%s axpy_scatter n=%zu", isa, n);
        free(idx), free(val);
        for (int k = 0; k < 4; k++) free(ys[k]);
        free(x), free(y), free(z), free(w), free(w2);
    }
    kern_force_generic(0);
}

/* a random sparse (R,V) matrix with some empty rows and repeated columns */
static void sparse(size_t R, uint32_t V, double p, size_t **ptr, uint32_t **col, float **val)
{
    *ptr = calloc(R + 1, sizeof **ptr);
    *col = malloc(R * V * sizeof **col + 4);
    *val = malloc(R * V * sizeof **val + 4);
    size_t n = 0;
    for (size_t i = 0; i < R; i++) {
        if (i % 5 != 3)
            for (uint32_t j = 0; j < V; j++)
                if (rng_uniform(&r) < p) (*col)[n] = j, (*val)[n++] = 2 * rng_uniformf(&r) - 1;
        (*ptr)[i + 1] = n;
    }
}

static void test_sparse_products(int threads)
{
    kern_threads(threads);
    const size_t R = 13, H = 37;
    const uint32_t V = 50;
    for (int dense_cols = 0; dense_cols <= 1; dense_cols++) {
        size_t *ptr;
        uint32_t *col;
        float *val;
        sparse(R, V, dense_cols ? 0.6 : 0.05, &ptr, &col, &val);
        float *W = malloc(V * H * 4), *Y1 = malloc(R * H * 4), *Y2 = malloc(R * H * 4),
              *Y3 = malloc(R * H * 4);
        fill(W, V * H);
        fill(Y1, R * H);
        memcpy(Y2, Y1, R * H * 4);
        memcpy(Y3, Y1, R * H * 4);
        kern_spmm(R, ptr, col, val, W, H, Y1);
        kern_spmm_naive(R, ptr, col, val, V, W, H, Y2);
        CHECK(maxdiff(Y1, Y2, R * H) < 1e-5, "spmm (%d threads)", threads);
        kern_csc c;
        memset(&c, 0, sizeof c);
        uint32_t *work = calloc(V, sizeof *work);
        CHECK(kern_csc_build(&c, R, ptr, col, val, V, work) == 0, "csc build");
        int zero = 1;
        for (uint32_t j = 0; j < V; j++) zero &= work[j] == 0;
        CHECK(zero, "csc work array left zeroed");
        CHECK(c.nnz == ptr[R], "csc nnz");
        int sorted = 1;
        for (size_t k = 0; k + 1 < c.ncols; k++) sorted &= c.cols[k] < c.cols[k + 1];
        for (size_t k = 0; k < c.ncols; k++)
            for (size_t e = c.cptr[k]; e + 1 < c.cptr[k + 1]; e++) sorted &= c.rows[e] < c.rows[e + 1];
        CHECK(sorted, "csc columns and rows increasing");
        kern_spmm_csc(&c, W, H, Y3);
        CHECK(maxdiff(Y3, Y2, R * H) < 1e-5, "spmm_csc (%d threads)", threads);
        float *D = malloc(R * H * 4), *W2 = malloc(V * H * 4);
        fill(D, R * H);
        memcpy(W2, W, V * H * 4);
        kern_spmm_tn(&c, -0.3f, D, H, W);
        kern_spmm_tn_naive(R, ptr, col, val, -0.3f, D, H, W2);
        CHECK(maxdiff(W, W2, V * H) < 1e-5, "spmm_tn (%d threads)", threads);
        kern_csc_free(&c);
        free(work), free(D), free(W2), free(W), free(Y1), free(Y2), free(Y3);
        free(ptr), free(col), free(val);
    }
    kern_threads(1);
}

/* kern_parallel_blas: each part multiplies its own block of rows with
 * sgemm; together they give the whole product */
typedef struct {
    int M, N, K;
    const float *A, *B;
    float *C;
} blas_job;

/* Dense rows through kern_gemm_rows: the naive sgemm's values, and each
 * row's bytes the same whatever the number of rows and threads. */
static void test_gemm_rows(void)
{
    enum { R = 37, K = 53, N = 41 };
    float *X = calloc(R * K, sizeof *X), *W = calloc(K * N, sizeof *W), *Y = calloc(R * N, sizeof *Y),
          *Y2 = calloc(R * N, sizeof *Y2), *Y3 = calloc(R * N, sizeof *Y3);
    fill(X, R * K);
    fill(W, K * N);
    for (size_t i = 0; i < R * K; i += 3) X[i] = 0; /* zeros, as a rectifier's */
    int bad = 0;
    for (int th = 1; th <= 2; th++) {
        kern_threads(th);
        memset(Y, 0, R * N * sizeof *Y);
        CHECK(kern_gemm_rows(R, K, X, W, N, Y) == 0, "gemm_rows");
        float *ref = calloc(R * N, sizeof *ref);
        kern_sgemm_naive(0, 0, R, N, K, 1, X, K, W, N, 0, ref, N);
        CHECK(maxdiff(Y, ref, R * N) < 1e-4, "gemm_rows = naive (threads %d): %g", th, maxdiff(Y, ref, R * N));
        free(ref);
        /* one row at a time, and in batches of 5 */
        for (size_t q = 0; q < R; q += 5) {
            size_t n = R - q < 5 ? R - q : 5;
            memset(Y3 + q * N, 0, n * N * sizeof *Y3);
            kern_gemm_rows(n, K, X + q * K, W, N, Y3 + q * N);
        }
        bad += memcmp(Y, Y3, R * N * sizeof *Y) != 0;
        memset(Y3, 0, R * N * sizeof *Y3);
        for (size_t q = 0; q < R; q++) kern_gemm_rows(1, K, X + q * K, W, N, Y3 + q * N);
        bad += memcmp(Y, Y3, R * N * sizeof *Y) != 0;
        if (th == 1) memcpy(Y2, Y, R * N * sizeof *Y);
        else bad += memcmp(Y, Y2, R * N * sizeof *Y) != 0;
    }
    CHECK(bad == 0, "gemm_rows: the same bytes for 1 row, 5 rows or all at once, on 1 and 2 threads");
    kern_threads(1);
    free(X);
    free(W);
    free(Y);
    free(Y2);
    free(Y3);
}

static void blas_part(void *p, int t, int n)
{
    blas_job *j = p;
    int m0 = j->M * t / n, m1 = j->M * (t + 1) / n;
    kern_sgemm(0, 1, m1 - m0, j->N, j->K, 1, j->A + (size_t)m0 * j->K, j->K, j->B, j->K, 0,
               j->C + (size_t)m0 * j->N, j->N);
}

static void test_parallel_blas(void)
{
    for (int threads = 1; threads <= 3; threads++) {
        kern_threads(threads);
        int M = 67, N = 300, K = 129;
        float *A = malloc((size_t)M * K * 4), *B = malloc((size_t)N * K * 4);
        float *C1 = malloc((size_t)M * N * 4), *C2 = malloc((size_t)M * N * 4);
        fill(A, (size_t)M * K);
        fill(B, (size_t)N * K);
        blas_job j = {M, N, K, A, B, C1};
        for (int rep = 0; rep < 20; rep++) kern_parallel_blas(blas_part, &j);
        kern_sgemm_naive(0, 1, M, N, K, 1, A, K, B, K, 0, C2, N);
        CHECK(maxdiff(C1, C2, (size_t)M * N) < 1e-4 * K, "parallel_blas on %d threads", threads);
        /* a plain call afterwards */
        kern_sgemm(0, 1, M, N, K, 1, A, K, B, K, 0, C1, N);
        CHECK(maxdiff(C1, C2, (size_t)M * N) < 1e-4 * K, "sgemm after parallel_blas (%d)", threads);
        free(A), free(B), free(C1), free(C2);
    }
    kern_threads(1);
}

/* the loss pass against double precision, over a wide range of inputs */
static void test_sigmoid_ce(int generic)
{
    kern_force_generic(generic);
    const size_t n = 203;
    float o[203], o2[203], c[203], x[203], w[203];
    const float special[] = {-100, -87.5f, -40, -17, -3, -1e-3f, 0, 1e-3f, 0.5f, 3, 17, 40, 90};
    for (size_t i = 0; i < n; i++) {
        o[i] = i < 13 ? special[i] : 12 * (2 * rng_uniformf(&r) - 1);
        c[i] = i < 13 ? 0 : 0.5f * (2 * rng_uniformf(&r) - 1);
        x[i] = i % 3 == 0 ? 1 : i % 3 == 1 ? 0 : rng_uniformf(&r);
        w[i] = i % 7 == 0 ? 0 : i % 5 == 0 ? 1.7f : 1;
        o2[i] = o[i];
    }
    double l = kern_sigmoid_ce(n, o, c, x, w), l2 = kern_sigmoid_ce_naive(n, o2, c, x, w);
    CHECK_NEAR(l, l2, 1e-6, "%s sigmoid_ce loss %.9g vs %.9g", kern_isa(), l, l2);
    double md = 0;
    for (size_t i = 0; i < n; i++) md = fmax(md, fabs((double)o[i] - o2[i]));
    CHECK(md < 1e-6, "%s sigmoid_ce gradient differs by %g", kern_isa(), md);
    /* per element, relative: target 0 makes loss = softplus(a) and
     * gradient = sigmoid(a), both positive */
    int bad = 0;
    double worst_l = 0, worst_g = 0;
    for (size_t i = 0; i < n; i++) {
        /* eight lanes so that the vector code runs; only lane 0 weighs */
        float a1[8] = {0}, a2[8] = {0}, z[8] = {0}, wt[8] = {1, 0, 0, 0, 0, 0, 0, 0};
        a1[0] = a2[0] = i < 13 ? special[i] : 12 * (2 * rng_uniformf(&r) - 1);
        double la = kern_sigmoid_ce(8, a1, z, z, wt), lb = kern_sigmoid_ce_naive(8, a2, z, z, wt);
        /* below 1e-30 the float results are denormal: absolute there */
        double el = fabs(la - lb) / fmax(fabs(lb), 1e-30);
        double eg = fabs((double)a1[0] - a2[0]) / fmax(fabs(a2[0]), 1e-30);
        worst_l = fmax(worst_l, el), worst_g = fmax(worst_g, eg);
        if (el > 1e-6 || eg > 1e-6) bad++;
    }
    if (bad) fprintf(stderr, "  worst relative error: loss %.3g gradient %.3g\n", worst_l, worst_g);
    CHECK(bad == 0, "%s sigmoid_ce per element: %d off", kern_isa(), bad);
    kern_force_generic(0);
}

static int hits[8];
static void count_part(void *p, int t, int n)
{
    (void)p;
    if (t < 8 && n <= 8) hits[t]++;
}

static void test_pool_and_split(void)
{
    kern_threads(3);
    memset(hits, 0, sizeof hits);
    for (int i = 0; i < 100; i++) kern_parallel(count_part, NULL);
    CHECK(hits[0] == 100 && hits[1] == 100 && hits[2] == 100 && hits[3] == 0, "pool runs every part once");
    kern_threads(1);
    size_t pre[] = {0, 10, 10, 11, 30, 31, 40};
    size_t b[4];
    kern_split(6, pre, 3, b);
    CHECK(b[0] == 0 && b[3] == 6 && b[1] <= b[2], "split bounds");
    CHECK(pre[b[1]] >= 13 && pre[b[2]] >= 26, "split by cost (%zu %zu)", b[1], b[2]);
    float *p = kern_alloc(13);
    CHECK(p && ((uintptr_t)p % 64) == 0 && p[12] == 0, "aligned zeroed alloc");
    kern_free(p);
}

int main(void)
{
    test_gemm_rows();
    rng_seed(&r, 1, 0);
    test_sgemm();
    test_vectors(0);
    test_vectors(1);
    test_sparse_products(1);
    test_sparse_products(2);
    test_pool_and_split();
    test_parallel_blas();
    test_sigmoid_ce(0);
    test_sigmoid_ce(1);
    printf("vector code: %s\n", kern_isa());
    return check_report();
}
