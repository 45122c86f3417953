/* kern.h - numeric kernels: one row-major sgemm wrapper over cblas
 * (OpenBLAS), vector kernels (dot, axpy, gathered and scattered forms) with
 * an AVX2+FMA version picked at run time, sparse-times-dense products over
 * the active columns of a sparse matrix, a small deterministic thread pool,
 * and naive reference loops for the tests.
 *
 * Shapes are written (rows, cols), all matrices row-major float32.
 * Threading: kern_threads(n) sets both OpenBLAS's thread count and the pool
 * size.  Pool work is always split into n fixed parts that depend only on
 * the data and n, never on timing, so results repeat for a given n.
 */
#ifndef SENTI_KERN_H
#define SENTI_KERN_H

#include <stddef.h>
#include <stdint.h>

/* 64-byte aligned float buffer of n floats (zeroed); NULL on failure.
 * Free with kern_free (NULL is fine). */
float *kern_alloc(size_t n);
void kern_free(void *p);

/* Set the thread count for OpenBLAS and for kern_parallel (n >= 1). */
void kern_threads(int n);
int kern_nthreads(void);

/* Run fn(arg, t, n) for t = 0..n-1 on the pool (n = kern_nthreads()) and
 * wait for all.  Part t runs on pool thread t (t = 0 on the caller). */
typedef void (*kern_fn)(void *arg, int t, int n);
void kern_parallel(kern_fn fn, void *arg);
/* The same with OpenBLAS on one thread while the parts run, so that each
 * part may call kern_sgemm on its own share of a product without nesting
 * BLAS threads inside the pool (n pool threads, never n*n). */
void kern_parallel_blas(kern_fn fn, void *arg);

/* Name of the vector code in use ("avx2+fma" or "generic"). */
const char *kern_isa(void);
/* Force the generic code (tests compare both); returns the previous state. */
int kern_force_generic(int on);

/* ------------------------------------------------------------------------
 * dense: C = alpha * op(A) op(B) + beta * C, row-major.
 * op(A) is (M,K), op(B) is (K,N), C is (M,N); ta/tb nonzero = transposed. */
void kern_sgemm(int ta, int tb, int M, int N, int K, float alpha,
                const float *A, int lda, const float *B, int ldb,
                float beta, float *C, int ldc);
/* The same as three plain loops (double accumulation): test reference. */
void kern_sgemm_naive(int ta, int tb, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb,
                      float beta, float *C, int ldc);

/* ------------------------------------------------------------------------
 * vectors (n elements) */

/* sum_i x[i] * y[i] */
float kern_dot(size_t n, const float *x, const float *y);
/* y += a * x */
void kern_axpy(size_t n, float a, const float *x, float *y);
/* out[r] = sum_i x[i] * y_r[i] for four vectors at once (y0..y3) */
void kern_dot4(size_t n, const float *x, const float *const y[4], float out[4]);
/* y += a0*x0 + a1*x1 + a2*x2 + a3*x3 */
void kern_axpy4(size_t n, const float a[4], const float *const x[4], float *y);
/* sum_i val[i] * row[idx[i]] */
float kern_dot_gather(size_t n, const uint32_t *idx, const float *val, const float *row);
/* row[idx[i]] += a * val[i] */
void kern_axpy_scatter(size_t n, float a, const uint32_t *idx, const float *val, float *row);

/* Sigmoid cross-entropy loss pass over n outputs with pre-activations
 * a_i = o[i] + c[i], targets x[i] and weights w[i]:
 *   returns sum_i w_i (softplus(a_i) - x_i a_i), and
 *   o[i] = w_i (sigmoid(a_i) - x_i)   (the gradient, in place).
 * The vector code computes exp and log by polynomials (a few float ulps);
 * the generic code calls libm. */
double kern_sigmoid_ce(size_t n, float *o, const float *c, const float *x, const float *w);
double kern_sigmoid_ce_naive(size_t n, float *o, const float *c, const float *x, const float *w);

/* Naive references for the above. */
float kern_dot_naive(size_t n, const float *x, const float *y);
void kern_axpy_naive(size_t n, float a, const float *x, float *y);

/* ------------------------------------------------------------------------
 * sparse x dense.  A sparse matrix with rows r has entries
 * col[ptr[r]..ptr[r+1]) and val[...]; W is (V,H) with row j = column j. */

/* Y (R,H) += X (R,V) * W (V,H), touching only the rows of W named in X.
 * Rows of Y are split across the pool. */
void kern_spmm(size_t R, const size_t *ptr, const uint32_t *col, const float *val,
               const float *W, size_t H, float *Y);
void kern_spmm_naive(size_t R, const size_t *ptr, const uint32_t *col, const float *val,
                     size_t V, const float *W, size_t H, float *Y);

/* Y (R,N) += X (R,K) * W (K,N) for dense X, row by row: each row of Y is
 * the sum over the non-zeros of its row of X, in increasing k (the
 * arithmetic of kern_spmm), so its bytes depend neither on R nor on the
 * thread count; exact zeros of X (rectifier units) cost nothing.  Rows are
 * split across the pool.  Returns -1 when out of memory. */
int kern_gemm_rows(size_t R, size_t K, const float *X, const float *W, size_t N, float *Y);

/* Column-grouped form of a sparse (R,V) matrix (its transpose in CSR):
 * for the k-th active column cols[k], entries cptr[k]..cptr[k+1] give the
 * row numbers rows[] (increasing) and values vals[]. */
typedef struct kern_csc {
    size_t ncols, nnz, nrows;
    uint32_t *cols;
    size_t *cptr;
    uint32_t *rows;
    float *vals;
    size_t cap_cols, cap_nnz;
} kern_csc;
/* Build the column-grouped form of X (R rows over V columns); work holds V
 * counters (zeroed on return).  Returns -1 on allocation failure. */
int kern_csc_build(kern_csc *c, size_t R, const size_t *ptr, const uint32_t *col,
                   const float *val, uint32_t V, uint32_t *work);
void kern_csc_free(kern_csc *c);

/* Y (R,H) += X (R,V) * W (V,H) from the column-grouped form: the active
 * columns are taken in groups of 32, each row of W is read once for all
 * rows of X that use it, and each row of Y once per group (up to four rows
 * of W added per pass).  The hidden range is split across the pool, so the
 * result does not depend on the thread count.  Y rows are R of length H
 * (row r at Y + r*H). */
void kern_spmm_csc(const kern_csc *X, const float *W, size_t H, float *Y);

/* W[j,:] += alpha * sum_r X[r,j] * D[r,:] for every active column j of X
 * (D is (R,H)).  Columns are split across the pool by entry count; each
 * row of W is summed in increasing r, so the result does not depend on the
 * thread count. */
void kern_spmm_tn(const kern_csc *X, float alpha, const float *D, size_t H, float *W);
void kern_spmm_tn_naive(size_t R, const size_t *ptr, const uint32_t *col, const float *val,
                        float alpha, const float *D, size_t H, float *W);

/* Split items 0..n-1 with costs cost(i) (given as a prefix array pre[0..n],
 * pre[0] = 0) into parts contiguous ranges of near-equal cost:
 * part t is [bounds[t], bounds[t+1]). */
void kern_split(size_t n, const size_t *pre, int parts, size_t *bounds);

#endif
