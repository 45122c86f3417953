/* kern.c - numeric kernels (see kern.h): sgemm wrapper over cblas, vector
 * kernels with an AVX2+FMA path chosen at run time, sparse products over
 * active columns, a fixed-partition thread pool, naive references. */
#include "kern.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KERN_X86 1
#else
#define KERN_X86 0
#endif

/* OpenBLAS extension, declared in its cblas.h; repeated here so that a
 * plain cblas.h also compiles. */
void openblas_set_num_threads(int num_threads);

/* ------------------------------------------------------------------------
 * memory */

float *kern_alloc(size_t n)
{
    void *p = NULL;
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    if (n > SIZE_MAX / sizeof(float) - 64) return NULL;
    if (posix_memalign(&p, 64, bytes) != 0) return NULL;
    memset(p, 0, bytes);
    return p;
}

void kern_free(void *p) { free(p); }

/* ------------------------------------------------------------------------
 * thread pool: workers 1..n-1 wait for a new generation, run their part,
 * and count down; part 0 runs on the caller. */

#define KERN_MAX_THREADS 64

static struct {
    int n;                 /* parts per kern_parallel call */
    int started;           /* worker threads running */
    pthread_t tid[KERN_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;
    int pending;
    kern_fn fn;
    void *arg;
    unsigned long born[KERN_MAX_THREADS]; /* gen when worker t was created */
} pool = {1, 0, {0}, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 0, 0, NULL, NULL, {0}};

static void *worker(void *p)
{
    int t = (int)(intptr_t)p;
    /* a worker created after earlier jobs must not run the last of them
     * again (its argument is gone): it waits for the next generation */
    pthread_mutex_lock(&pool.mu);
    unsigned long seen = pool.born[t];
    pthread_mutex_unlock(&pool.mu);
    for (;;) {
        pthread_mutex_lock(&pool.mu);
        while (pool.gen == seen) pthread_cond_wait(&pool.go, &pool.mu);
        seen = pool.gen;
        kern_fn fn = pool.fn;
        void *arg = pool.arg;
        int n = pool.n;
        pthread_mutex_unlock(&pool.mu);
        if (t < n) fn(arg, t, n);
        pthread_mutex_lock(&pool.mu);
        if (--pool.pending == 0) pthread_cond_signal(&pool.done);
        pthread_mutex_unlock(&pool.mu);
    }
    return NULL;
}

void kern_threads(int n)
{
    if (n < 1) n = 1;
    if (n > KERN_MAX_THREADS) n = KERN_MAX_THREADS;
    openblas_set_num_threads(n);
    pthread_mutex_lock(&pool.mu);
    while (pool.started < n - 1) {
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pool.born[pool.started + 1] = pool.gen;
        if (pthread_create(&pool.tid[pool.started + 1], &at, worker,
                           (void *)(intptr_t)(pool.started + 1)) != 0) {
            pthread_attr_destroy(&at);
            break;  /* fewer workers: the caller runs the missing parts */
        }
        pthread_attr_destroy(&at);
        pool.started++;
    }
    pool.n = n;
    pthread_mutex_unlock(&pool.mu);
}

int kern_nthreads(void) { return pool.n; }

void kern_parallel(kern_fn fn, void *arg)
{
    int n = pool.n;
    if (n <= 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool.mu);
    pool.fn = fn;
    pool.arg = arg;
    pool.pending = pool.started;
    pool.gen++;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.mu);
    fn(arg, 0, n);
    /* parts with no worker (thread creation failed) run here */
    for (int t = pool.started + 1; t < n; t++) fn(arg, t, n);
    pthread_mutex_lock(&pool.mu);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

void kern_parallel_blas(kern_fn fn, void *arg)
{
    int n = pool.n;
    if (n <= 1) {
        fn(arg, 0, 1);
        return;
    }
    openblas_set_num_threads(1);
    kern_parallel(fn, arg);
    openblas_set_num_threads(n);
}

void kern_split(size_t n, const size_t *pre, int parts, size_t *bounds)
{
    size_t total = pre[n];
    size_t i = 0;
    bounds[0] = 0;
    for (int t = 1; t < parts; t++) {
        size_t goal = (size_t)((double)total * t / parts);
        while (i < n && pre[i] < goal) i++;
        bounds[t] = i;
    }
    bounds[parts] = n;
}

/* ------------------------------------------------------------------------
 * run-time choice of the vector code */

static int use_avx2 = -1;

static int have_avx2(void)
{
    if (use_avx2 < 0) {
#if KERN_X86
        __builtin_cpu_init();
        use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        use_avx2 = 0;
#endif
    }
    return use_avx2;
}

const char *kern_isa(void) { return have_avx2() ? "avx2+fma" : "generic"; }

int kern_force_generic(int on)
{
    int was = !have_avx2();
    if (on)
        use_avx2 = 0;
    else
        use_avx2 = -1, have_avx2();
    return was;
}

/* ------------------------------------------------------------------------
 * dense products */

void kern_sgemm(int ta, int tb, int M, int N, int K, float alpha,
                const float *A, int lda, const float *B, int ldb,
                float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                beta, C, ldc);
}

void kern_sgemm_naive(int ta, int tb, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb,
                      float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                float a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                float b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += (double)a * b;
            }
            float *c = &C[(size_t)i * ldc + j];
            *c = (float)(alpha * s + (beta == 0 ? 0.0 : (double)beta * *c));
        }
}

/* ------------------------------------------------------------------------
 * vector kernels: generic C */

float kern_dot_naive(size_t n, const float *x, const float *y)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * y[i];
    return (float)s;
}

void kern_axpy_naive(size_t n, float a, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

static float dot_c(size_t n, const float *x, const float *y)
{
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += x[i + k] * y[i + k];
    float t = 0;
    for (; i < n; i++) t += x[i] * y[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + t;
}

static void axpy_c(size_t n, float a, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

static void dot4_c(size_t n, const float *x, const float *const y[4], float out[4])
{
    for (int r = 0; r < 4; r++) out[r] = dot_c(n, x, y[r]);
}

static void axpy4_c(size_t n, const float a[4], const float *const x[4], float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] += (a[0] * x[0][i] + a[1] * x[1][i]) + (a[2] * x[2][i] + a[3] * x[3][i]);
}

/* ------------------------------------------------------------------------
 * vector kernels: AVX2 + FMA */

#if KERN_X86
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static float hsum8(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

AVX2 static float dot_avx2(size_t n, const float *x, const float *y)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    float t = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) t += x[i] * y[i];
    return t;
}

AVX2 static void axpy_avx2(size_t n, float a, const float *x, float *y)
{
    __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 y0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
        __m256 y1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8));
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

AVX2 static void dot4_avx2(size_t n, const float *x, const float *const y[4], float out[4])
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
    __m256 t2 = _mm256_setzero_ps(), t3 = _mm256_setzero_ps();
    const float *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        s0 = _mm256_fmadd_ps(a, _mm256_loadu_ps(y0 + i), s0);
        s1 = _mm256_fmadd_ps(a, _mm256_loadu_ps(y1 + i), s1);
        s2 = _mm256_fmadd_ps(a, _mm256_loadu_ps(y2 + i), s2);
        s3 = _mm256_fmadd_ps(a, _mm256_loadu_ps(y3 + i), s3);
        t0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(y0 + i + 8), t0);
        t1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(y1 + i + 8), t1);
        t2 = _mm256_fmadd_ps(b, _mm256_loadu_ps(y2 + i + 8), t2);
        t3 = _mm256_fmadd_ps(b, _mm256_loadu_ps(y3 + i + 8), t3);
    }
    float r0 = hsum8(_mm256_add_ps(s0, t0)), r1 = hsum8(_mm256_add_ps(s1, t1));
    float r2 = hsum8(_mm256_add_ps(s2, t2)), r3 = hsum8(_mm256_add_ps(s3, t3));
    for (; i < n; i++) {
        r0 += x[i] * y0[i];
        r1 += x[i] * y1[i];
        r2 += x[i] * y2[i];
        r3 += x[i] * y3[i];
    }
    out[0] = r0, out[1] = r1, out[2] = r2, out[3] = r3;
}

AVX2 static void axpy4_avx2(size_t n, const float a[4], const float *const x[4], float *y)
{
    __m256 a0 = _mm256_set1_ps(a[0]), a1 = _mm256_set1_ps(a[1]);
    __m256 a2 = _mm256_set1_ps(a[2]), a3 = _mm256_set1_ps(a[3]);
    const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 u = _mm256_mul_ps(a0, _mm256_loadu_ps(x0 + i));
        __m256 v = _mm256_mul_ps(a2, _mm256_loadu_ps(x2 + i));
        u = _mm256_fmadd_ps(a1, _mm256_loadu_ps(x1 + i), u);
        v = _mm256_fmadd_ps(a3, _mm256_loadu_ps(x3 + i), v);
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_add_ps(u, v)));
    }
    for (; i < n; i++)
        y[i] += (a[0] * x0[i] + a[1] * x1[i]) + (a[2] * x2[i] + a[3] * x3[i]);
}
#endif

/* ------------------------------------------------------------------------
 * dispatch */

float kern_dot(size_t n, const float *x, const float *y)
{
#if KERN_X86
    if (have_avx2()) return dot_avx2(n, x, y);
#endif
    return dot_c(n, x, y);
}

void kern_axpy(size_t n, float a, const float *x, float *y)
{
#if KERN_X86
    if (have_avx2()) {
        axpy_avx2(n, a, x, y);
        return;
    }
#endif
    axpy_c(n, a, x, y);
}

void kern_dot4(size_t n, const float *x, const float *const y[4], float out[4])
{
#if KERN_X86
    if (have_avx2()) {
        dot4_avx2(n, x, y, out);
        return;
    }
#endif
    dot4_c(n, x, y, out);
}

void kern_axpy4(size_t n, const float a[4], const float *const x[4], float *y)
{
#if KERN_X86
    if (have_avx2()) {
        axpy4_avx2(n, a, x, y);
        return;
    }
#endif
    axpy4_c(n, a, x, y);
}

/* Gathers stay scalar: four independent sums hide the load latency. */
float kern_dot_gather(size_t n, const uint32_t *idx, const float *val, const float *row)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += val[i] * row[idx[i]];
        s1 += val[i + 1] * row[idx[i + 1]];
        s2 += val[i + 2] * row[idx[i + 2]];
        s3 += val[i + 3] * row[idx[i + 3]];
    }
    for (; i < n; i++) s0 += val[i] * row[idx[i]];
    return (s0 + s1) + (s2 + s3);
}

void kern_axpy_scatter(size_t n, float a, const uint32_t *idx, const float *val, float *row)
{
    for (size_t i = 0; i < n; i++) row[idx[i]] += a * val[i];
}

/* ------------------------------------------------------------------------
 * sigmoid cross-entropy loss pass */

double kern_sigmoid_ce_naive(size_t n, float *o, const float *c, const float *x, const float *w)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double a = (double)o[i] + c[i];
        double sp = a > 0 ? a + log1p(exp(-a)) : log1p(exp(a));
        s += w[i] * (sp - x[i] * a);
        o[i] = (float)(w[i] * (1 / (1 + exp(-a)) - x[i]));
    }
    return s;
}

static double sigmoid_ce_c(size_t n, float *o, const float *c, const float *x, const float *w)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        float a = o[i] + c[i];
        float e = expf(-fabsf(a));
        float sp = (a > 0 ? a : 0) + log1pf(e);
        float sg = a >= 0 ? 1 / (1 + e) : e / (1 + e);
        s += w[i] * (sp - x[i] * a);
        o[i] = w[i] * (sg - x[i]);
    }
    return s;
}

#if KERN_X86
/* exp(t) for t <= 0 (Cody-Waite reduction, degree-6 polynomial) */
AVX2 static __m256 exp_neg_avx2(__m256 t)
{
    t = _mm256_max_ps(t, _mm256_set1_ps(-87.3f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), t);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* log(u) for u in [1, 2] (degree-9 polynomial around 1) */
AVX2 static __m256 log_1to2_avx2(__m256 u)
{
    __m256 big = _mm256_cmp_ps(u, _mm256_set1_ps(1.41421356237f), _CMP_GT_OQ);
    __m256 m = _mm256_blendv_ps(u, _mm256_mul_ps(u, _mm256_set1_ps(0.5f)), big);
    __m256 k = _mm256_and_ps(big, _mm256_set1_ps(1));
    __m256 f = _mm256_sub_ps(m, _mm256_set1_ps(1));
    __m256 z = _mm256_mul_ps(f, f);
    __m256 y = _mm256_set1_ps(7.0376836292e-2f);
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(-1.1514610310e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(1.1676998740e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(-1.2420140846e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(1.4249322787e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(-1.6668057665e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(2.0000714765e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(-2.4999993993e-1f));
    y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(3.3333331174e-1f));
    y = _mm256_mul_ps(_mm256_mul_ps(y, f), z);
    y = _mm256_fmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
    return _mm256_fmadd_ps(k, _mm256_set1_ps(0.693359375f), _mm256_add_ps(f, y));
}

AVX2 static double sigmoid_ce_avx2(size_t n, float *o, const float *c, const float *x, const float *w)
{
    const __m256 one = _mm256_set1_ps(1), zero = _mm256_setzero_ps();
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_add_ps(_mm256_loadu_ps(o + i), _mm256_loadu_ps(c + i));
        __m256 xv = _mm256_loadu_ps(x + i), wv = _mm256_loadu_ps(w + i);
        __m256 e = exp_neg_avx2(_mm256_or_ps(a, sign));  /* exp(-|a|) */
        __m256 u = _mm256_add_ps(one, e);
        /* log1p(e) = log(u) e / (u - 1), or e where u rounds to 1 */
        __m256 d = _mm256_sub_ps(u, one);
        __m256 l1p = _mm256_mul_ps(log_1to2_avx2(u), _mm256_div_ps(e, _mm256_max_ps(d, _mm256_set1_ps(1e-30f))));
        l1p = _mm256_blendv_ps(l1p, e, _mm256_cmp_ps(d, zero, _CMP_EQ_OQ));
        __m256 sp = _mm256_add_ps(_mm256_max_ps(a, zero), l1p);
        __m256 r = _mm256_div_ps(one, u);
        __m256 sg = _mm256_blendv_ps(_mm256_mul_ps(e, r), r, _mm256_cmp_ps(a, zero, _CMP_GE_OQ));
        __m256 l = _mm256_mul_ps(wv, _mm256_fnmadd_ps(xv, a, sp));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(l)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(l, 1)));
        _mm256_storeu_ps(o + i, _mm256_mul_ps(wv, _mm256_sub_ps(sg, xv)));
    }
    double t[4];
    _mm256_storeu_pd(t, _mm256_add_pd(s0, s1));
    double s = (t[0] + t[1]) + (t[2] + t[3]);
    return s + sigmoid_ce_c(n - i, o + i, c + i, x + i, w + i);
}
#endif

double kern_sigmoid_ce(size_t n, float *o, const float *c, const float *x, const float *w)
{
#if KERN_X86
    if (have_avx2()) return sigmoid_ce_avx2(n, o, c, x, w);
#endif
    return sigmoid_ce_c(n, o, c, x, w);
}

/* ------------------------------------------------------------------------
 * sparse x dense */

typedef struct {
    size_t R, H;
    const size_t *ptr;
    const uint32_t *col;
    const float *val;
    const float *W;
    float *Y;
} spmm_job;

static void spmm_part(void *p, int t, int n)
{
    const spmm_job *j = p;
    size_t r0 = j->R * (size_t)t / (size_t)n, r1 = j->R * (size_t)(t + 1) / (size_t)n;
    for (size_t r = r0; r < r1; r++) {
        float *y = j->Y + r * j->H;
        size_t e = j->ptr[r], end = j->ptr[r + 1];
        for (; e + 4 <= end; e += 4) {
            const float *x[4] = {j->W + (size_t)j->col[e] * j->H, j->W + (size_t)j->col[e + 1] * j->H,
                                 j->W + (size_t)j->col[e + 2] * j->H, j->W + (size_t)j->col[e + 3] * j->H};
            float a[4] = {j->val[e], j->val[e + 1], j->val[e + 2], j->val[e + 3]};
            kern_axpy4(j->H, a, x, y);
        }
        for (; e < end; e++) kern_axpy(j->H, j->val[e], j->W + (size_t)j->col[e] * j->H, y);
    }
}

void kern_spmm(size_t R, const size_t *ptr, const uint32_t *col, const float *val,
               const float *W, size_t H, float *Y)
{
    spmm_job j = {R, H, ptr, col, val, W, Y};
    if (R * H < 65536 || kern_nthreads() == 1)
        spmm_part(&j, 0, 1);
    else
        kern_parallel(spmm_part, &j);
}

typedef struct {
    size_t R, K, N;
    const float *X, *W;
    float *Y;
    uint32_t *idx; /* per part: K column numbers */
    float *val;    /* per part: K values */
    size_t *ptr;   /* per part: 2 offsets */
} gemm_rows_job;

static void gemm_rows_part(void *p, int t, int n)
{
    const gemm_rows_job *j = p;
    size_t r0 = j->R * (size_t)t / (size_t)n, r1 = j->R * (size_t)(t + 1) / (size_t)n;
    uint32_t *idx = j->idx + (size_t)t * j->K;
    float *val = j->val + (size_t)t * j->K;
    size_t *ptr = j->ptr + 2 * (size_t)t;
    for (size_t r = r0; r < r1; r++) {
        const float *x = j->X + r * j->K;
        size_t nz = 0;
        for (size_t k = 0; k < j->K; k++)
            if (x[k] != 0) idx[nz] = (uint32_t)k, val[nz++] = x[k];
        ptr[0] = 0;
        ptr[1] = nz;
        spmm_job s = {1, j->N, ptr, idx, val, j->W, j->Y + r * j->N};
        spmm_part(&s, 0, 1);
    }
}

int kern_gemm_rows(size_t R, size_t K, const float *X, const float *W, size_t N, float *Y)
{
    int nth = R * N * K < 65536 ? 1 : kern_nthreads();
    gemm_rows_job j = {R, K, N, X, W, Y, malloc((size_t)nth * (K ? K : 1) * sizeof(uint32_t)),
                       malloc((size_t)nth * (K ? K : 1) * sizeof(float)), malloc(2 * (size_t)nth * sizeof(size_t))};
    int rc = 0;
    if (!j.idx || !j.val || !j.ptr) rc = -1;
    else if (nth == 1) gemm_rows_part(&j, 0, 1);
    else kern_parallel(gemm_rows_part, &j);
    free(j.idx);
    free(j.val);
    free(j.ptr);
    return rc;
}

void kern_spmm_naive(size_t R, const size_t *ptr, const uint32_t *col, const float *val,
                     size_t V, const float *W, size_t H, float *Y)
{
    /* dense expansion of each row, then the plain triple loop */
    float *x = calloc(V ? V : 1, sizeof *x);
    if (!x) return;
    for (size_t r = 0; r < R; r++) {
        memset(x, 0, V * sizeof *x);
        for (size_t e = ptr[r]; e < ptr[r + 1]; e++) x[col[e]] = val[e];
        for (size_t k = 0; k < H; k++) {
            double s = 0;
            for (size_t v = 0; v < V; v++) s += (double)x[v] * W[v * H + k];
            Y[r * H + k] += (float)s;
        }
    }
    free(x);
}

int kern_csc_build(kern_csc *c, size_t R, const size_t *ptr, const uint32_t *col,
                   const float *val, uint32_t V, uint32_t *work)
{
    size_t nnz = ptr[R] - ptr[0];
    /* count per column; work[] holds counts, then the column's slot */
    size_t ncols = 0;
    for (size_t e = ptr[0]; e < ptr[R]; e++)
        if (work[col[e]]++ == 0) ncols++;
    if (ncols > c->cap_cols) {
        uint32_t *nc = realloc(c->cols, ncols * sizeof *nc);
        if (!nc) goto fail;
        c->cols = nc;
        size_t *np = realloc(c->cptr, (ncols + 1) * sizeof *np);
        if (!np) goto fail;
        c->cptr = np;
        c->cap_cols = ncols;
    }
    if (!c->cptr) {
        c->cptr = malloc(sizeof *c->cptr);
        if (!c->cptr) goto fail;
    }
    if (nnz > c->cap_nnz) {
        uint32_t *nr = realloc(c->rows, nnz * sizeof *nr);
        if (!nr) goto fail;
        c->rows = nr;
        float *nv = realloc(c->vals, nnz * sizeof *nv);
        if (!nv) goto fail;
        c->vals = nv;
        c->cap_nnz = nnz;
    }
    /* active columns in increasing order */
    size_t k = 0;
    if (ncols * 16 < V) {
        /* few columns: collect and sort */
        for (size_t e = ptr[0]; e < ptr[R]; e++)
            if (work[col[e]] != 0 && !(work[col[e]] & 0x80000000u)) {
                c->cols[k++] = col[e];
                work[col[e]] |= 0x80000000u;
            }
        /* insertion sort is fine for the small counts seen here; use qsort
         * when large */
        for (size_t i = 1; i < k; i++) {
            uint32_t x = c->cols[i];
            size_t j = i;
            while (j > 0 && c->cols[j - 1] > x) c->cols[j] = c->cols[j - 1], j--;
            c->cols[j] = x;
        }
        for (size_t i = 0; i < k; i++) work[c->cols[i]] &= 0x7fffffffu;
    } else {
        for (uint32_t j = 0; j < V; j++)
            if (work[j]) c->cols[k++] = j;
    }
    c->ncols = ncols;
    c->nnz = nnz;
    c->nrows = R;
    size_t off = 0;
    for (size_t i = 0; i < ncols; i++) {
        uint32_t j = c->cols[i];
        c->cptr[i] = off;
        off += work[j];
        work[j] = (uint32_t)c->cptr[i];  /* next free slot (fits: nnz < 2^32) */
    }
    c->cptr[ncols] = off;
    for (size_t r = 0; r < R; r++)
        for (size_t e = ptr[r]; e < ptr[r + 1]; e++) {
            uint32_t s = work[col[e]]++;
            c->rows[s] = (uint32_t)r;
            c->vals[s] = val[e];
        }
    for (size_t i = 0; i < ncols; i++) work[c->cols[i]] = 0;
    return 0;
fail:
    for (size_t e = ptr[0]; e < ptr[R]; e++) work[col[e]] = 0;
    return -1;
}

void kern_csc_free(kern_csc *c)
{
    if (!c) return;
    free(c->cols);
    free(c->cptr);
    free(c->rows);
    free(c->vals);
    memset(c, 0, sizeof *c);
}

typedef struct {
    const kern_csc *X;
    const float *W;
    size_t H;
    float *Y;
} spmm_csc_job;

/* Columns in groups of KERN_CSC_GROUP: the rows of X that use a column
 * of the group are visited once per group, adding up to four rows of W per
 * pass over the row of Y (a plain pass reads two vectors for the one it
 * writes, a four-row pass five).  Each row of Y gets its terms in
 * increasing column order whatever the thread count. */
#define KERN_CSC_GROUP 32

static void spmm_csc_range(const kern_csc *X, const float *W, size_t H, float *Y, size_t k0, size_t k1,
                           int32_t *head, int32_t *next, uint32_t *colof)
{
    size_t len = k1 - k0;
    for (size_t c0 = 0; c0 < X->ncols; c0 += KERN_CSC_GROUP) {
        size_t c1 = X->ncols - c0 < KERN_CSC_GROUP ? X->ncols : c0 + KERN_CSC_GROUP;
        size_t e0 = X->cptr[c0];
        /* per-row lists of the group's entries, in increasing column order */
        for (size_t c = c1; c-- > c0;)
            for (size_t e = X->cptr[c + 1]; e-- > X->cptr[c];) {
                next[e - e0] = head[X->rows[e]];
                head[X->rows[e]] = (int32_t)(e - e0);
                colof[e - e0] = X->cols[c];
            }
        for (size_t c = c0; c < c1; c++)
            for (size_t e = X->cptr[c]; e < X->cptr[c + 1]; e++) {
                uint32_t r = X->rows[e];
                if (head[r] < 0) continue;
                float *y = Y + (size_t)r * H + k0;
                float a[4];
                const float *x[4];
                int na = 0;
                for (int32_t q = head[r]; q >= 0; q = next[q]) {
                    a[na] = X->vals[e0 + (size_t)q];
                    x[na++] = W + (size_t)colof[q] * H + k0;
                    if (na == 4) kern_axpy4(len, a, x, y), na = 0;
                }
                if (na == 1) {
                    kern_axpy(len, a[0], x[0], y);
                } else if (na > 1) {
                    for (int i = na; i < 4; i++) a[i] = 0, x[i] = x[0];  /* zero coefficients */
                    kern_axpy4(len, a, x, y);
                }
                head[r] = -1;
            }
    }
}

static void spmm_csc_part(void *p, int t, int n)
{
    const spmm_csc_job *j = p;
    const kern_csc *X = j->X;
    /* hidden range of this part, in multiples of 16 floats */
    size_t blocks = (j->H + 15) / 16;
    size_t k0 = blocks * (size_t)t / (size_t)n * 16, k1 = blocks * (size_t)(t + 1) / (size_t)n * 16;
    if (k1 > j->H) k1 = j->H;
    if (k0 >= k1) return;
    size_t len = k1 - k0;
    /* group scratch: list heads per row of X, links per entry of a group */
    size_t most = 0;
    for (size_t c0 = 0; c0 < X->ncols; c0 += KERN_CSC_GROUP) {
        size_t c1 = X->ncols - c0 < KERN_CSC_GROUP ? X->ncols : c0 + KERN_CSC_GROUP;
        if (X->cptr[c1] - X->cptr[c0] > most) most = X->cptr[c1] - X->cptr[c0];
    }
    int32_t *head = malloc((X->nrows + 1) * sizeof *head), *next = malloc((most + 1) * sizeof *next);
    uint32_t *colof = malloc((most + 1) * sizeof *colof);
    if (head && next && colof) {
        for (size_t r = 0; r < X->nrows; r++) head[r] = -1;
        spmm_csc_range(X, j->W, j->H, j->Y, k0, k1, head, next, colof);
    } else {
        /* no memory for the lists: one column at a time */
        for (size_t c = 0; c < X->ncols; c++) {
            const float *w = j->W + (size_t)X->cols[c] * j->H + k0;
            for (size_t e = X->cptr[c]; e < X->cptr[c + 1]; e++)
                kern_axpy(len, X->vals[e], w, j->Y + (size_t)X->rows[e] * j->H + k0);
        }
    }
    free(head);
    free(next);
    free(colof);
}

void kern_spmm_csc(const kern_csc *X, const float *W, size_t H, float *Y)
{
    spmm_csc_job j = {X, W, H, Y};
    if (X->nnz * H < 65536 || kern_nthreads() == 1)
        spmm_csc_part(&j, 0, 1);
    else
        kern_parallel(spmm_csc_part, &j);
}

typedef struct {
    const kern_csc *X;
    float alpha;
    const float *D;
    size_t H;
    float *W;
    size_t bounds[KERN_MAX_THREADS + 1];
} spmm_tn_job;

static void spmm_tn_part(void *p, int t, int n)
{
    (void)n;
    const spmm_tn_job *j = p;
    const kern_csc *X = j->X;
    for (size_t k = j->bounds[t]; k < j->bounds[t + 1]; k++) {
        float *w = j->W + (size_t)X->cols[k] * j->H;
        size_t e = X->cptr[k], end = X->cptr[k + 1];
        for (; e + 4 <= end; e += 4) {
            const float *d[4] = {j->D + (size_t)X->rows[e] * j->H, j->D + (size_t)X->rows[e + 1] * j->H,
                                 j->D + (size_t)X->rows[e + 2] * j->H, j->D + (size_t)X->rows[e + 3] * j->H};
            float a[4] = {j->alpha * X->vals[e], j->alpha * X->vals[e + 1],
                          j->alpha * X->vals[e + 2], j->alpha * X->vals[e + 3]};
            kern_axpy4(j->H, a, d, w);
        }
        for (; e < end; e++)
            kern_axpy(j->H, j->alpha * X->vals[e], j->D + (size_t)X->rows[e] * j->H, w);
    }
}

void kern_spmm_tn(const kern_csc *X, float alpha, const float *D, size_t H, float *W)
{
    spmm_tn_job j;
    j.X = X, j.alpha = alpha, j.D = D, j.H = H, j.W = W;
    int n = kern_nthreads();
    if (X->nnz * H < 65536) n = 1;
    /* cptr is the prefix array of entry counts: split by it */
    kern_split(X->ncols, X->cptr, n, j.bounds);
    if (n == 1)
        spmm_tn_part(&j, 0, 1);
    else
        kern_parallel(spmm_tn_part, &j);
}

void kern_spmm_tn_naive(size_t R, const size_t *ptr, const uint32_t *col, const float *val,
                        float alpha, const float *D, size_t H, float *W)
{
    for (size_t r = 0; r < R; r++)
        for (size_t e = ptr[r]; e < ptr[r + 1]; e++)
            for (size_t k = 0; k < H; k++)
                W[(size_t)col[e] * H + k] += alpha * val[e] * D[r * H + k];
}
