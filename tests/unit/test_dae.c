/* test_dae.c - the DAE layer against a naive double-precision reference:
 * the objective and finite-difference gradients for every activation x
 * reconstruction x noise combination, with and without emphasis, L1,
 * observed-only and reconstruction sampling, tied and untied, both decoder
 * kernels and 1 or 2 threads; unbiasedness of sampled gradients; encoding;
 * model round trip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "dae.h"
#include "kern.h"
#include "rng.h"
#include "sparse.h"

/* ------------------------------------------------------------------------
 * a small CSR built by hand */

static sparse_csr *make_data(size_t rows, uint32_t V, int unit, uint64_t seed)
{
    sparse_csr *m = calloc(1, sizeof *m);
    m->rowptr = calloc(rows + 1, sizeof *m->rowptr);
    m->col = calloc(rows * V, sizeof *m->col);
    m->val = calloc(rows * V, sizeof *m->val);
    m->label = calloc(rows, sizeof *m->label);
    m->has_label = calloc(rows, 1);
    rng_t r;
    rng_seed(&r, seed, 9);
    size_t nnz = 0;
    for (size_t i = 0; i < rows; i++) {
        for (uint32_t j = 0; j < V; j++)
            if (rng_uniform(&r) < 0.3) {
                m->col[nnz] = j;
                /* binary ones and a few fractions; outside [0,1] if !unit */
                float v = rng_uniform(&r) < 0.7 ? 1.0f : 0.25f + 0.5f * rng_uniformf(&r);
                if (!unit) v = 3 * v - 1.2f;
                if (v == 0) v = 0.5f;
                m->val[nnz++] = v;
            }
        m->rowptr[i + 1] = nnz;
    }
    m->rows = rows;
    m->nnz = nnz;
    m->dim = V;
    return m;
}

/* ------------------------------------------------------------------------
 * naive reference objective in double */

typedef struct refp {
    uint32_t V, H;
    int tied;
    double *W, *Wd, *b, *c;  /* Wd == W when tied */
} refp;

static void ref_from(refp *p, const dae *d)
{
    p->V = d->cfg.in_dim;
    p->H = d->cfg.hidden;
    p->tied = d->cfg.tied;
    size_t VH = (size_t)p->V * p->H;
    p->W = malloc(VH * sizeof(double));
    p->Wd = p->tied ? p->W : malloc(VH * sizeof(double));
    p->b = malloc(p->H * sizeof(double));
    p->c = malloc(p->V * sizeof(double));
    for (size_t i = 0; i < VH; i++) p->W[i] = d->W[i];
    if (!p->tied)
        for (size_t i = 0; i < VH; i++) p->Wd[i] = d->Wd[i];
    for (size_t i = 0; i < p->H; i++) p->b[i] = d->b[i];
    for (size_t i = 0; i < p->V; i++) p->c[i] = d->c[i];
}

static void ref_free(refp *p)
{
    if (!p->tied) free(p->Wd);
    free(p->W);
    free(p->b);
    free(p->c);
}

static double sp(double a) { return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)); }
static double sg(double a) { return 1 / (1 + exp(-a)); }

static double ref_act(int act, double a)
{
    switch (act) {
    case ACT_RELU: return a > 0 ? a : 0;
    case ACT_SOFTPLUS: return sp(a);
    case ACT_TANH: return tanh(a);
    default: return sg(a);
    }
}

static double ref_rl(int recon, double o, double x)
{
    switch (recon) {
    case DAE_RECON_SIGMOID_CE: return -(x * log(sg(o)) + (1 - x) * log(1 - sg(o)));
    case DAE_RECON_LINEAR_SE: return (o - x) * (o - x);
    case DAE_RECON_SOFTPLUS_SE: return (sp(o) - x) * (sp(o) - x);
    default: {
        double z = o > 0 ? o : 0;
        return (z - x) * (z - x);
    }
    }
}

static int in_list(uint32_t j, const uint32_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == j) return 1;
    return 0;
}

/* Objective of the trainer's current batch at parameters p. */
static double ref_objective(const refp *p, const dae_config *c, const dae_trainer *t, size_t n)
{
    uint32_t V = p->V, H = p->H;
    double *x = calloc(V, sizeof *x), *xt = calloc(V, sizeof *xt), *h = calloc(H, sizeof *h);
    double total = 0;
    for (size_t e = 0; e < n; e++) {
        dae_example_view v;
        dae_batch_view(t, e, &v);
        memset(x, 0, V * sizeof *x);
        memset(xt, 0, V * sizeof *xt);
        for (size_t i = 0; i < v.nx; i++) x[v.xcol[i]] = v.xval[i];
        for (size_t i = 0; i < v.nxt; i++) xt[v.xtcol[i]] = v.xtval[i];
        for (uint32_t k = 0; k < H; k++) {
            double a = p->b[k];
            for (uint32_t j = 0; j < V; j++) a += xt[j] * p->W[(size_t)j * H + k];
            if (v.code_noise) a += v.code_noise[k];
            h[k] = ref_act(c->act, a);
            total += c->l1 * fabs(h[k]);
        }
        for (uint32_t j = 0; j < V; j++) {
            int corrupted = in_list(j, v.jcol, v.nj);
            double w = corrupted ? c->emph_a : c->emph_b;
            if (c->observed_only && !in_list(j, v.xcol, v.nx)) w = 0;
            if (c->sample_zeros && !c->observed_only) {
                int in_d = x[j] != 0 || xt[j] != 0 || (corrupted && c->emph_a != c->emph_b);
                if (!in_d) {
                    w = 0;
                    for (size_t s = 0; s < v.ns; s++)
                        if (v.scol[s] == j) w = c->emph_b * v.sw[s];
                }
            }
            if (w == 0) continue;
            double o = p->c[j];
            for (uint32_t k = 0; k < H; k++) o += p->Wd[(size_t)j * H + k] * h[k];
            total += w * ref_rl(c->recon, o, x[j]);
        }
    }
    free(x);
    free(xt);
    free(h);
    return total;
}

/* ------------------------------------------------------------------------
 * gradient check of one configuration */

static int n_configs;

static void random_params(dae *d, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed, 0);
    dae_init(d, &r);
    /* larger weights than the init so that every unit type is exercised */
    size_t VH = (size_t)d->cfg.in_dim * d->cfg.hidden;
    for (size_t i = 0; i < VH; i++) d->W[i] *= 2;
    if (!d->cfg.tied)
        for (size_t i = 0; i < VH; i++) d->Wd[i] *= 2;
    for (uint32_t k = 0; k < d->cfg.hidden; k++) d->b[k] = 0.3f * (2 * rng_uniformf(&r) - 1);
    for (uint32_t j = 0; j < d->cfg.in_dim; j++) d->c[j] = 0.3f * (2 * rng_uniformf(&r) - 1);
}

static double *param_ptr(refp *p, int which, size_t i)
{
    switch (which) {
    case 0: return &p->W[i];
    case 1: return &p->Wd[i];
    case 2: return &p->b[i];
    default: return &p->c[i];
    }
}

static float grad_of(const dae *g, int which, size_t i)
{
    switch (which) {
    case 0: return g->W[i];
    case 1: return g->Wd[i];
    case 2: return g->b[i];
    default: return g->c[i];
    }
}

/* Central differences of the reference objective (first n examples of the
 * batch) on every wstep-th weight and every bstep-th bias, against the
 * analytic gradient g: the number of entries off by more than 2e-3
 * (relative to the larger of the two, at least 1); the first is printed. */
static int fd_grid(refp *p, const dae_config *c, const dae_trainer *t, size_t n, const dae *g, size_t wstep,
                   size_t bstep, const char *what)
{
    int bad = 0;
    for (int which = 0; which < 4; which++) {
        if (which == 1 && c->tied) continue;
        size_t count = which <= 1 ? (size_t)p->V * p->H : which == 2 ? p->H : p->V;
        for (size_t i = 0; i < count; i += which <= 1 ? wstep : bstep) {
            double *q = param_ptr(p, which, i), keep = *q;
            *q = keep + 1e-6;
            double up = ref_objective(p, c, t, n);
            *q = keep - 1e-6;
            double dn = ref_objective(p, c, t, n);
            *q = keep;
            double fd = (up - dn) / 2e-6, an = grad_of(g, which, i);
            if (fabs(fd - an) / fmax(1.0, fmax(fabs(fd), fabs(an))) > 2e-3) {
                if (!bad) fprintf(stderr, "  %s: param %d[%zu] analytic %.7g fd %.7g\n", what, which, i, an, fd);
                bad++;
            }
        }
    }
    return bad;
}

static void gradcheck(const dae_config *cfg, int unit, int kernel, uint64_t seed, const char *what)
{
    char err[256];
    uint32_t V = cfg->in_dim, H = cfg->hidden;
    sparse_csr *data = make_data(6, V, unit, seed);
    dae *d = dae_new(cfg, err, sizeof err);
    CHECK(d != NULL, "%s: dae_new: %s", what, err);
    if (!d) return;
    random_params(d, seed + 1);
    dae_trainer *t = dae_trainer_new(d, data, 4, err, sizeof err);
    CHECK(t != NULL, "%s: trainer: %s", what, err);
    if (!t) return;
    dae_trainer_kernel(t, kernel);
    size_t rows[4] = {0, 2, 3, 5};
    rng_t noise, samp;
    rng_seed(&noise, seed, 2);
    rng_seed(&samp, seed, 3);
    CHECK(dae_batch_corrupt(t, rows, 4, &noise) == 0, "%s: corrupt", what);
    CHECK(dae_batch_sample(t, &samp) == 0, "%s: sample", what);
    dae *g = dae_new_like(d);
    double loss = dae_batch_grad(t, g, 1.0f);
    refp p;
    ref_from(&p, d);
    double ref = ref_objective(&p, cfg, t, 4);
    CHECK_NEAR(loss, ref, 2e-5, "%s: objective %.9g vs reference %.9g", what, loss, ref);
    /* central differences in double on a spread of parameters */
    rng_t pick;
    rng_seed(&pick, seed, 7);
    double worst = 0;
    int bad = 0;
    for (int which = 0; which < 4; which++) {
        if (which == 1 && cfg->tied) continue;
        size_t count = which <= 1 ? (size_t)V * H : which == 2 ? H : V;
        for (int s = 0; s < 10; s++) {
            size_t i = (size_t)rng_below(&pick, count);
            double *q = param_ptr(&p, which, i), keep = *q, eps = 1e-6;
            *q = keep + eps;
            double up = ref_objective(&p, cfg, t, 4);
            *q = keep - eps;
            double dn = ref_objective(&p, cfg, t, 4);
            *q = keep;
            double fd = (up - dn) / (2 * eps), an = grad_of(g, which, i);
            double errv = fabs(fd - an) / fmax(1.0, fmax(fabs(fd), fabs(an)));
            if (errv > worst) worst = errv;
            if (errv > 2e-3) {
                if (!bad)
                    fprintf(stderr, "  %s: param %d[%zu] analytic %.7g fd %.7g\n", what, which, i,
                            an, fd);
                bad++;
            }
        }
    }
    CHECK(bad == 0, "%s: %d gradient entries off (worst rel err %.3g)", what, bad, worst);
    n_configs++;
    ref_free(&p);
    dae_free(g);
    dae_trainer_free(t);
    dae_free(d);
    sparse_csr_free(data);
}

static void test_gradients(void)
{
    const int noises[] = {DAE_NOISE_NONE, DAE_NOISE_SP, DAE_NOISE_MASK, DAE_NOISE_GAUSS};
    const float levels[] = {0, 0.3f, 0.3f, 0.2f};
    char what[160];
    uint64_t seed = 100;
    for (int act = 1; act <= 4; act++)
        for (int recon = 1; recon <= 4; recon++)
            for (int ni = 0; ni < 4; ni++)
                for (int variant = 0; variant < 7; variant++) {
                    dae_config c;
                    dae_config_default(&c, 11, 7);
                    c.act = act;
                    c.recon = recon;
                    c.noise = noises[ni];
                    c.noise_level = levels[ni];
                    c.tied = (int)(seed % 2);
                    int kernel = DAE_KERNEL_AUTO;
                    const char *vname = "plain";
                    if (variant == 1) c.emph_a = 1.7f, c.emph_b = 0.4f, vname = "emphasis";
                    if (variant == 2) c.l1 = 0.05f, kernel = DAE_KERNEL_ROWS, vname = "l1+rows";
                    if (variant == 3) c.sample_zeros = 3, c.emph_a = 1.3f, c.emph_b = 0.6f,
                                      vname = "sampling+emphasis";
                    if (variant == 4) c.observed_only = 1, c.l1 = 0.02f, c.emph_a = 2,
                                      vname = "observed-only";
                    if (variant == 5) c.sample_zeros = 2, c.l1 = 0.03f, vname = "sampling+l1";
                    if (variant == 6) c.code_noise = 0.7f, c.l1 = 0.01f, vname = "code-noise";
                    kern_threads(seed % 3 == 0 ? 2 : 1);
                    snprintf(what, sizeof what, "%s/%s/%s/%s%s", act_name(act),
                             dae_recon_name(recon), dae_noise_name(c.noise), vname,
                             c.tied ? "/tied" : "");
                    /* sigmoid-ce needs [0,1] data; others get wider values */
                    gradcheck(&c, recon == DAE_RECON_SIGMOID_CE, kernel, seed, what);
                    seed++;
                }
    kern_threads(1);
}

/* The sgemm decoder walks each thread's output rows in blocks of 256: an
 * input dimension of 600 gives several blocks per thread and a short last
 * block; 2 and 3 threads split the rows unevenly. */
static void test_gemm_blocks(void)
{
    char what[160];
    uint64_t seed = 900;
    for (int recon = 1; recon <= 4; recon++)
        for (int variant = 0; variant < 2; variant++) {
            dae_config c;
            dae_config_default(&c, 600, 5);
            c.recon = recon;
            c.tied = variant;
            c.noise = variant ? DAE_NOISE_MASK : DAE_NOISE_SP;
            c.noise_level = 0.05f;
            if (variant) c.emph_a = 1.6f, c.emph_b = 0.3f, c.l1 = 0.02f, c.act = ACT_SOFTPLUS;
            kern_threads(2 + variant);
            snprintf(what, sizeof what, "gemm blocks/%s/%s/%d threads", act_name(c.act),
                     dae_recon_name(recon), 2 + variant);
            gradcheck(&c, recon == DAE_RECON_SIGMOID_CE, DAE_KERNEL_GEMM, seed++, what);
        }
    kern_threads(1);
}

static void free_case(refp *p, dae *g1, dae *g2, dae_trainer *t, dae *d, sparse_csr *data)
{
    ref_free(p);
    dae_free(g1);
    dae_free(g2);
    dae_trainer_free(t);
    dae_free(d);
    sparse_csr_free(data);
}

/* A batch for the row kernel: these rows, corrupted and sampled with the
 * generators of this seed. */
static void rows_batch(dae_trainer *t, const size_t *rows, size_t n, uint64_t seed)
{
    dae_trainer_kernel(t, DAE_KERNEL_ROWS);
    rng_t noise, samp;
    rng_seed(&noise, seed, 2);
    rng_seed(&samp, seed, 3);
    dae_batch_corrupt(t, rows, n, &noise);
    dae_batch_sample(t, &samp);
}

/* The row kernel takes the gathered path for the sparse hidden rows of
 * rectifier layers: a strong negative bias makes most units exactly 0.
 * Every activation is checked (the others have no such path: tanh can be
 * exactly 0 with a derivative of 1), with and without sampling, tied and
 * untied, and a mixed batch where two examples with large inputs have dense
 * hidden rows.  70 outputs span three groups of output rows. */
static void test_sparse_hidden(void)
{
    const uint32_t V = 70, H = 40;
    int cases = 0;
    for (int act = 1; act <= 4; act++)
        for (int tied = 0; tied <= 1; tied++)
            for (int K = 0; K <= 4; K += 4)
                for (int mixed = 0; mixed <= 1; mixed++) {
                    if (mixed && act != ACT_RELU) continue;
                    dae_config c;
                    dae_config_default(&c, V, H);
                    c.act = act;
                    c.sample_zeros = (uint32_t)K;
                    c.tied = tied;
                    c.l1 = 0.01f;
                    if (mixed) c.recon = DAE_RECON_LINEAR_SE;
                    char err[256], what[96];
                    snprintf(what, sizeof what, "sparse hidden %s K=%d tied=%d%s", act_name(act), K,
                             tied, mixed ? " mixed" : "");
                    sparse_csr *data = make_data(6, V, 1, 55 + (uint64_t)K);
                    if (mixed)
                        for (size_t r = 0; r < 3; r += 2)
                            for (size_t e = data->rowptr[r]; e < data->rowptr[r + 1]; e++) data->val[e] *= 20;
                    dae *d = dae_new(&c, err, sizeof err);
                    random_params(d, 77);
                    for (uint32_t k = 0; k < H; k++) d->b[k] = k % 9 == 0 ? 0.5f : -3;
                    dae_trainer *t = dae_trainer_new(d, data, 4, err, sizeof err);
                    size_t rows[4] = {0, 1, 2, 4};
                    rows_batch(t, rows, 4, 5);
                    dae *g1 = dae_new_like(d), *g2 = dae_new_like(d);
                    kern_threads(2);
                    double l1 = dae_batch_grad(t, g1, 1);
                    double zf = dae_batch_zero_frac(t);
                    if (act == ACT_RELU)
                        CHECK(mixed ? zf > 0.3 && zf < 5.0 / 6 : zf > 5.0 / 6, "%s: zero fraction %g", what, zf);
                    refp p;
                    ref_from(&p, d);
                    double ref = ref_objective(&p, &c, t, 4);
                    CHECK_NEAR(l1, ref, 2e-5, "%s: objective %.9g vs %.9g", what, l1, ref);
                    /* finite differences on every kind of parameter, the
                     * weights of active and inactive units */
                    int bad = fd_grid(&p, &c, t, 4, g1, 37, 3, what);
                    CHECK(bad == 0, "%s: %d gradients off", what, bad);
                    /* same gradient on 1 thread, up to summation order */
                    kern_threads(1);
                    dae_batch_grad(t, g2, 1);
                    double md = 0, mg = 1;
                    for (size_t i = 0; i < (size_t)V * H; i++) {
                        md = fmax(md, fabs(g1->W[i] - g2->W[i]));
                        mg = fmax(mg, fabs(g1->W[i]));
                    }
                    CHECK(md < 1e-5 * mg, "%s: 1 vs 2 threads differ by %g (largest %g)", what, md, mg);
                    cases++;
                    free_case(&p, g1, g2, t, d, data);
                }
    CHECK(cases == 20, "sparse hidden: %d cases", cases);
}

/* ------------------------------------------------------------------------
 * reconstruction sampling is unbiased: with the corruption fixed, the mean
 * of many sampled gradients approaches the full gradient, and dropping the
 * importance weights does not. */
static void test_sampling_unbiased(void)
{
    dae_config c;
    dae_config_default(&c, 48, 5);
    c.noise_level = 0.05f;
    c.l1 = 0.01f;
    char err[256];
    sparse_csr *data = make_data(4, 48, 1, 31);
    /* sparser rows: keep 4 entries each */
    dae *d = dae_new(&c, err, sizeof err);
    random_params(d, 32);
    dae_trainer *t = dae_trainer_new(d, data, 4, err, sizeof err);
    size_t rows[4] = {0, 1, 2, 3};
    rng_t noise, samp;
    rng_seed(&noise, 8, 2);
    rng_seed(&samp, 8, 3);
    dae_batch_corrupt(t, rows, 4, &noise);
    dae *full = dae_new_like(d), *mean = dae_new_like(d), *one = dae_new_like(d);
    d->cfg.sample_zeros = 0;
    dae_batch_sample(t, &samp);
    double lfull = dae_batch_grad(t, full, 1);
    d->cfg.sample_zeros = 4;
    const int M = 3000;
    double lmean = 0;
    size_t VH = 48 * 5;
    double *acc = calloc(VH * 2, sizeof *acc);
    int checked_weights = 0;
    for (int m = 0; m < M; m++) {
        dae_batch_sample(t, &samp);
        if (m == 0) {
            /* samples avoid D and their weights sum to |R| */
            for (size_t e = 0; e < 4; e++) {
                dae_example_view v;
                dae_batch_view(t, e, &v);
                int nd = 0, clash = 0;
                for (uint32_t j = 0; j < 48; j++) {
                    int in_d = in_list(j, v.xcol, v.nx) || in_list(j, v.xtcol, v.nxt);
                    nd += in_d;
                    if (in_d && in_list(j, v.scol, v.ns)) clash++;
                }
                double sw = 0;
                for (size_t s = 0; s < v.ns; s++) sw += v.sw[s];
                CHECK(clash == 0, "sampled outputs overlap D");
                CHECK_NEAR(sw, 48 - nd, 1e-5, "sample weights sum to |R|");
                checked_weights++;
            }
        }
        memset(one->W, 0, VH * sizeof(float));
        memset(one->Wd, 0, VH * sizeof(float));
        memset(one->b, 0, 5 * sizeof(float));
        memset(one->c, 0, 48 * sizeof(float));
        lmean += dae_batch_grad(t, one, 1) / M;
        for (size_t i = 0; i < VH; i++) acc[i] += one->W[i], acc[VH + i] += one->Wd[i];
    }
    double num = 0, den = 0, scale = 0;
    for (size_t i = 0; i < VH; i++) {
        double a = acc[i] / M - full->W[i], b = acc[VH + i] / M - full->Wd[i];
        num += a * a + b * b;
        den += (double)full->W[i] * full->W[i] + (double)full->Wd[i] * full->Wd[i];
    }
    scale = sqrt(num / den);
    CHECK(scale < 0.05, "mean sampled gradient vs full: relative error %.4f", scale);
    CHECK_NEAR(lmean, lfull, 0.03, "mean sampled objective %.5g vs full %.5g", lmean, lfull);
    CHECK(checked_weights == 4, "sample views checked");
    /* without importance weights the estimate is biased far beyond that */
    double biased = 0;
    {
        memset(acc, 0, VH * 2 * sizeof *acc);
        for (int m = 0; m < 300; m++) {
            dae_batch_sample(t, &samp);
            for (size_t e = 0; e < 4; e++) {
                dae_example_view v;
                dae_batch_view(t, e, &v);
                for (size_t s = 0; s < v.ns; s++) ((float *)v.sw)[s] = 1;  /* drop weights */
            }
            memset(one->W, 0, VH * sizeof(float));
            memset(one->Wd, 0, VH * sizeof(float));
            dae_batch_grad(t, one, 1);
            for (size_t i = 0; i < VH; i++) acc[i] += one->W[i], acc[VH + i] += one->Wd[i];
        }
        num = 0;
        for (size_t i = 0; i < VH; i++) {
            double a = acc[i] / 300 - full->W[i], b = acc[VH + i] / 300 - full->Wd[i];
            num += a * a + b * b;
        }
        biased = sqrt(num / den);
    }
    CHECK(biased > 4 * scale && biased > 0.1, "unweighted samples are biased (%.3f vs %.3f)", biased,
          scale);
    free(acc);
    dae_free(full);
    dae_free(mean);
    dae_free(one);
    dae_trainer_free(t);
    dae_free(d);
    sparse_csr_free(data);
}

/* The row kernel on a wider layer than the gradient checks: 150 hidden
 * units (vector code with tails), a batch of 12 with sampling so that rows
 * carry from 1 to 12 pairs (the four-example passes and their remainders),
 * rectifier units dense for some examples and sparse for others, on 1 and
 * 2 threads; the objective against the reference and finite differences. */
static void test_wide_rows(void)
{
    const uint32_t V = 40, H = 150;
    for (int variant = 0; variant < 4; variant++) {
        dae_config c;
        dae_config_default(&c, V, H);
        c.sample_zeros = 6;
        c.l1 = 0.01f;
        c.recon = DAE_RECON_LINEAR_SE; /* inputs up to 30 */
        c.tied = variant & 1;
        if (variant >= 2) c.act = ACT_SOFTPLUS, c.emph_a = 1.5f, c.emph_b = 0.5f;
        char err[256], what[96];
        snprintf(what, sizeof what, "wide rows %s tied=%d", act_name(c.act), c.tied);
        sparse_csr *data = make_data(14, V, 1, 300 + (uint64_t)variant);
        /* examples 0..6 with large inputs: dense rectifier rows */
        for (size_t r = 0; r < 7; r++)
            for (size_t e = data->rowptr[r]; e < data->rowptr[r + 1]; e++) data->val[e] *= 30;
        dae *d = dae_new(&c, err, sizeof err);
        random_params(d, 301);
        for (uint32_t k = 0; k < H; k++) d->b[k] = k % 11 == 0 ? 0.4f : -4;
        dae_trainer *t = dae_trainer_new(d, data, 12, err, sizeof err);
        CHECK(t != NULL, "%s: trainer: %s", what, err);
        if (!t) return;
        size_t rows[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13};
        rows_batch(t, rows, 12, 6);
        dae *g1 = dae_new_like(d), *g2 = dae_new_like(d);
        kern_threads(1);
        double l1 = dae_batch_grad(t, g1, 1);
        kern_threads(2);
        double l2 = dae_batch_grad(t, g2, 1);
        kern_threads(1);
        refp p;
        ref_from(&p, d);
        double ref = ref_objective(&p, &c, t, 12);
        CHECK_NEAR(l1, ref, 1e-4, "%s: objective %.9g vs %.9g", what, l1, ref);
        CHECK_NEAR(l2, ref, 1e-4, "%s, 2 threads: objective %.9g vs %.9g", what, l2, ref);
        /* the partial dH of the threads are summed in another order:
         * equal up to float rounding, relative to the largest entry */
        double md = 0, big = 1;
        for (size_t i = 0; i < (size_t)V * H; i++) {
            md = fmax(md, fmax(fabs(g1->W[i] - g2->W[i]), c.tied ? 0 : fabs(g1->Wd[i] - g2->Wd[i])));
            big = fmax(big, fmax(fabs(g1->W[i]), fabs(g1->Wd[i])));
        }
        CHECK(md < 1e-5 * big, "%s: 1 and 2 threads differ by %g (largest entry %g)", what, md, big);
        /* every bias, every 7th weight */
        int bad = fd_grid(&p, &c, t, 12, g1, 7, 1, what);
        CHECK(bad == 0, "%s: %d gradient entries off", what, bad);
        free_case(&p, g1, g2, t, d, data);
    }
}

/* ------------------------------------------------------------------------
 * the two decoder kernels agree on full reconstruction; training lowers the
 * loss; determinism; encoding; model round trip */

static void test_kernels_agree(void)
{
    /* 2 outputs on 3 threads: one thread has no output rows */
    const uint32_t dims[3] = {30, 700, 2};
    const int threads[3] = {1, 2, 3};
    for (int v = 0; v < 3; v++) {
        uint32_t V = dims[v];
        dae_config c;
        dae_config_default(&c, V, 9);
        c.l1 = 0.01f;
        c.emph_a = 1.5f;
        char err[256];
        sparse_csr *data = make_data(8, V, 1, 71);
        dae *d = dae_new(&c, err, sizeof err);
        random_params(d, 72);
        dae_trainer *t = dae_trainer_new(d, data, 8, err, sizeof err);
        size_t rows[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        rng_t noise;
        rng_seed(&noise, 3, 2);
        dae_batch_corrupt(t, rows, 8, &noise);
        kern_threads(threads[v]);
        dae *g1 = dae_new_like(d), *g2 = dae_new_like(d), *g3 = dae_new_like(d);
        dae_trainer_kernel(t, DAE_KERNEL_GEMM);
        double l1 = dae_batch_grad(t, g1, 1);
        double l3 = dae_batch_grad(t, g3, 1);
        dae_trainer_kernel(t, DAE_KERNEL_ROWS);
        double l2 = dae_batch_grad(t, g2, 1);
        CHECK_NEAR(l1, l2, 1e-5, "V=%u: gemm and rows objectives", V);
        double md = 0;
        for (size_t i = 0; i < (size_t)V * 9; i++)
            md = fmax(md, fmax(fabs(g1->W[i] - g2->W[i]), fabs(g1->Wd[i] - g2->Wd[i])));
        for (size_t i = 0; i < V; i++) md = fmax(md, fabs(g1->c[i] - g2->c[i]));
        for (size_t i = 0; i < 9; i++) md = fmax(md, fabs(g1->b[i] - g2->b[i]));
        CHECK(md < 1e-4, "V=%u: gemm and rows gradients differ by %g", V, md);
        /* the same batch twice: the same bytes */
        CHECK(l1 == l3 && memcmp(g1->W, g3->W, (size_t)V * 9 * sizeof(float)) == 0 &&
                  memcmp(g1->Wd, g3->Wd, (size_t)V * 9 * sizeof(float)) == 0 &&
                  memcmp(g1->c, g3->c, V * sizeof(float)) == 0,
              "V=%u: gemm gradient repeats bit for bit", V);
        kern_threads(1);
        dae_free(g1);
        dae_free(g2);
        dae_free(g3);
        dae_trainer_free(t);
        dae_free(d);
        sparse_csr_free(data);
    }
}

static void test_training(void)
{
    for (int K = 0; K <= 6; K += 6) {
        dae_config c;
        dae_config_default(&c, 40, 16);
        c.sample_zeros = (uint32_t)K;
        c.l1 = 0.001f;
        char err[256];
        sparse_csr *data = make_data(60, 40, 1, 90);
        dae *d = dae_new(&c, err, sizeof err);
        dae *d2 = dae_new(&c, err, sizeof err);
        rng_t r;
        rng_seed(&r, 1, 0);
        dae_init(d, &r);
        dae_copy(d2, d);
        double before = dae_recon_loss(d, data, NULL);
        dae_trainer *t = dae_trainer_new(d, data, 10, err, sizeof err);
        /* 15 epochs through the training driver, the log kept to read the
         * per-epoch objective */
        train_task task;
        dae_task(t, 42, &task);
        train_opts o;
        train_opts_default(&o);
        o.epochs = 15;
        o.lr = 0.1;
        o.seed = 42;
        char logp[] = "/tmp/senti-test-dae-log-XXXXXX";
        int fd = mkstemp(logp);
        close(fd);
        o.log = logp;
        train_result res;
        train_run(&task, data, NULL, &o, &res);
        double first = 0, loss = 0;
        FILE *lf = fopen(logp, "r");
        char line[256];
        int e = 0;
        while (lf && fgets(line, sizeof line, lf))
            if (e++ > 0) {
                double l = strtod(strchr(strchr(line, '\t') + 1, '\t') + 1, NULL);
                if (e == 2) first = l;
                loss = l;
            }
        if (lf) fclose(lf);
        unlink(logp);
        double after = dae_recon_loss(d, data, NULL);
        CHECK(after < 0.8 * before, "K=%d: clean loss %.4g -> %.4g", K, before, after);
        CHECK(e == 16 && loss < first, "K=%d: training objective %.4g -> %.4g (%d log lines)", K, first, loss, e);
        CHECK(res.epochs == 15 && !res.interrupted, "epoch count");
        /* same seed, same threads: same parameters bit for bit */
        dae_trainer *t2 = dae_trainer_new(d2, data, 10, err, sizeof err);
        train_task task2;
        dae_task(t2, 42, &task2);
        o.log = NULL;
        train_run(&task2, data, NULL, &o, &res);
        CHECK(memcmp(d->W, d2->W, 40 * 16 * sizeof(float)) == 0, "K=%d: repeatable", K);
        dae_trainer_free(t);
        dae_trainer_free(t2);
        dae_free(d);
        dae_free(d2);
        sparse_csr_free(data);
    }
}

/* The output scale: units reach 1 on the data, except a nearly silent one
 * (largest activation under DAE_SCALE_FLOOR times the median), which is
 * divided by that floor instead of being stretched to 1. */
static void test_scale_floor(void)
{
    enum { R = 40, V = 30, H = 9 };
    dae_config c;
    dae_config_default(&c, V, H);
    char err[256];
    sparse_csr *data = make_data(R, V, 1, 11);
    dae *d = dae_new(&c, err, sizeof err);
    random_params(d, 12);
    for (uint32_t k = 0; k < H; k++) d->b[k] = 0.5f; /* every unit active somewhere */
    for (uint32_t j = 0; j < V; j++) d->W[j * H + 0] *= 1e-4f;
    d->b[0] = 1e-4f;
    float raw[R * H], out[R * H];
    dae_forward(d, R, data->rowptr, data->col, data->val, raw, 0);
    double mx[H] = {0}, sorted[H];
    for (int i = 0; i < R * H; i++) mx[i % H] = fmax(mx[i % H], raw[i]);
    memcpy(sorted, mx, sizeof mx);
    for (int a = 0; a < H; a++) /* insertion sort: the median by hand */
        for (int b = a; b > 0 && sorted[b] < sorted[b - 1]; b--) {
            double t = sorted[b];
            sorted[b] = sorted[b - 1], sorted[b - 1] = t;
        }
    double floor_ = DAE_SCALE_FLOOR * sorted[H / 2];
    CHECK(mx[0] > 0 && mx[0] < floor_, "unit 0 is nearly silent (max %g, floor %g)", mx[0], floor_);
    CHECK(dae_compute_scale(d, data) == 0, "scale");
    dae_forward(d, R, data->rowptr, data->col, data->val, out, 1);
    double smx[H] = {0};
    for (int i = 0; i < R * H; i++) smx[i % H] = fmax(smx[i % H], out[i]);
    CHECK(fabs(d->scale[0] - 1 / floor_) < 1e-4 / floor_, "silent unit: scale %g = 1 / floor %g", d->scale[0],
          1 / floor_);
    CHECK(fabs(smx[0] - mx[0] / floor_) < 1e-5, "silent unit: scaled max %g = max / floor %g", smx[0],
          mx[0] / floor_);
    int reach = 0;
    for (int k = 1; k < H; k++) reach += fabs(smx[k] - 1) < 1e-5;
    CHECK(reach == H - 1, "the other units reach 1 (%d of %d)", reach, H - 1);
    dae_free(d);
    sparse_csr_free(data);
}

static void test_encode_and_model(void)
{
    dae_config c;
    dae_config_default(&c, 20, 6);
    char err[256];
    sparse_csr *data = make_data(10, 20, 1, 5);
    dae *d = dae_new(&c, err, sizeof err);
    random_params(d, 6);
    CHECK(dae_compute_scale(d, data) == 0, "scale");
    float out[10 * 6], raw[10 * 6];
    dae_forward(d, 10, data->rowptr, data->col, data->val, raw, 0);
    dae_forward(d, 10, data->rowptr, data->col, data->val, out, 1);
    double mx[6] = {0};
    int bad = 0;
    for (int r = 0; r < 10; r++)
        for (int k = 0; k < 6; k++) {
            /* raw = relu(b + x W), by hand */
            double a = d->b[k];
            for (size_t e = data->rowptr[r]; e < data->rowptr[r + 1]; e++)
                a += data->val[e] * d->W[data->col[e] * 6 + (size_t)k];
            if (fabs((a > 0 ? a : 0) - raw[r * 6 + k]) > 1e-5) bad++;
            if (out[r * 6 + k] < 0 || out[r * 6 + k] > 1) bad++;
            mx[k] = fmax(mx[k], out[r * 6 + k]);
        }
    CHECK(bad == 0, "encoding: %d bad values", bad);
    /* every unit reaches 1, but those under the floor, which share the
     * largest scale 1 / floor (test_scale_floor) */
    float top = 0;
    for (int k = 0; k < 6; k++) top = fmaxf(top, d->scale[k]);
    for (int k = 0; k < 6; k++)
        CHECK(mx[k] == 0 || fabs(mx[k] - 1) < 1e-6 || (mx[k] < 1 && d->scale[k] == top), "unit %d scaled max %g",
              k, mx[k]);
    /* dense forward agrees with sparse */
    float *X = calloc(10 * 20, sizeof *X), dense[10 * 6];
    for (int r = 0; r < 10; r++)
        for (size_t e = data->rowptr[r]; e < data->rowptr[r + 1]; e++) X[r * 20 + data->col[e]] = data->val[e];
    dae_forward_dense(d, 10, X, dense, 1);
    double md = 0;
    for (int i = 0; i < 60; i++) md = fmax(md, fabs(dense[i] - out[i]));
    CHECK(md < 1e-5, "dense forward differs by %g", md);
    free(X);
    /* round trip through the container */
    strcpy(d->vocab, "00000000000000ab");
    model *wm = dae_to_model(d, "senti-pretrain --hidden 6");
    FILE *f = tmpfile();
    CHECK(wm && model_write(f, wm) == 0, "write");
    CHECK(wm && wm->layers[0].ntensors == 5 && wm->layers[0].tensors[0].data == d->W, "the model borrows the block");
    model_free(wm);
    rewind(f);
    model *m = model_read(f, MODEL_KIND_LAYER, "t", err, sizeof err);
    fclose(f);
    CHECK(m != NULL, "read back: %s", err);
    uint64_t cs = m ? m->checksum : 0;
    dae *e = m ? dae_from_model(m, err, sizeof err) : NULL;
    CHECK(e != NULL, "dae_from_model: %s", err);
    if (e) {
        CHECK(memcmp(e->W, d->W, 20 * 6 * sizeof(float)) == 0 && memcmp(e->scale, d->scale, 24) == 0,
              "parameters survive");
        CHECK(e->cfg.act == c.act && e->cfg.noise == c.noise && e->cfg.hidden == 6, "settings survive");
        CHECK(strcmp(e->vocab, d->vocab) == 0 && e->checksum == cs && cs != 0, "digest and checksum kept");
        dae_free(e);
    }
    /* other training settings on the same layer; another shape refused */
    dae_config c2 = c;
    c2.noise = DAE_NOISE_MASK, c2.noise_level = 0.3f, c2.sample_zeros = 7, c2.l1 = 0.5f;
    CHECK(dae_set_config(d, &c2, err, sizeof err) == 0, "set_config: %s", err);
    model *sm = dae_to_model(d, "");
    CHECK(sm && sm->layers[0].noise == DAE_NOISE_MASK && sm->layers[0].sample_zeros == 7 &&
              sm->layers[0].l1 == 0.5f && d->cfg.noise_level == 0.3f && sm->layers[0].ntensors == 5,
          "set_config reaches the model");
    c2.hidden = 7;
    CHECK(dae_set_config(d, &c2, err, sizeof err) < 0 && strstr(err, "20 -> 6 relu"), "set_config shape: %s", err);
    c2.hidden = 6, c2.act = ACT_TANH;
    CHECK(dae_set_config(d, &c2, err, sizeof err) < 0, "set_config activation");
    /* a model missing a tensor is refused */
    model *bad_m = model_new(MODEL_KIND_LAYER);
    model_layer s = sm->layers[0];
    model_layer *l = model_add_layer(bad_m, &s);
    model_add_tensor(l, "W", 20, 6);
    CHECK(dae_from_model(bad_m, err, sizeof err) == NULL && strstr(err, "missing tensor"),
          "missing tensor refused: %s", err);
    model_free(bad_m);
    model_free(sm);
    dae_free(d);
    sparse_csr_free(data);
}

static void test_parse(void)
{
    int n;
    float lv;
    CHECK(dae_noise_parse("sp:0.1", &n, &lv) == 0 && n == DAE_NOISE_SP && fabsf(lv - 0.1f) < 1e-7, "sp");
    CHECK(dae_noise_parse("mask:0.25", &n, &lv) == 0 && n == DAE_NOISE_MASK, "mask");
    CHECK(dae_noise_parse("gauss:2", &n, &lv) == 0 && n == DAE_NOISE_GAUSS, "gauss");
    CHECK(dae_noise_parse("none", &n, &lv) == 0 && n == DAE_NOISE_NONE, "none");
    CHECK(dae_noise_parse("sp:1.5", &n, &lv) < 0, "sp above 1");
    CHECK(dae_noise_parse("sp:", &n, &lv) < 0, "sp empty");
    CHECK(dae_noise_parse("salt:0.1", &n, &lv) < 0, "unknown noise");
    CHECK(act_parse("relu") == ACT_RELU && act_parse("x") < 0, "act names");
    CHECK(dae_recon_parse("sigmoid-ce") == DAE_RECON_SIGMOID_CE && dae_recon_parse("relu") == DAE_RECON_RELU_SE,
          "recon names");
}

/* The driver's momentum and weight decay against the same rule written
 * out here: its shuffle (generator (seed, 1), reset then shuffled every
 * epoch), the task's generators, v = mu v + g + wd w on the weights, v = mu
 * v + g on the biases, p -= lr v, and the scale never touched. */
static void test_momentum(void)
{
    enum { R = 23, V = 17, H = 5, B = 4, E = 3 };
    const float mu = 0.8f, wd = 0.01f, lr = 0.05f;
    dae_config c;
    dae_config_default(&c, V, H);
    c.act = ACT_TANH, c.recon = DAE_RECON_LINEAR_SE, c.noise = DAE_NOISE_MASK, c.noise_level = 0.25f;
    char err[256];
    sparse_csr *data = make_data(R, V, 0, 77);
    dae *d = dae_new(&c, err, sizeof err), *d2 = dae_new(&c, err, sizeof err);
    rng_t r;
    rng_seed(&r, 5, 0);
    dae_init(d, &r);
    dae_copy(d2, d);
    /* the driver */
    dae_trainer *t = dae_trainer_new(d, data, B, err, sizeof err);
    train_task task;
    dae_task(t, 9, &task);
    train_opts o;
    train_opts_default(&o);
    o.epochs = E, o.batch = B, o.lr = lr, o.momentum = mu, o.weight_decay = wd, o.seed = 9;
    train_result res;
    train_run(&task, data, NULL, &o, &res);
    /* by hand */
    dae_trainer *t2 = dae_trainer_new(d2, data, B, err, sizeof err);
    dae *g = dae_new_like(d2), *v = dae_new_like(d2);
    rng_t shuf, noise, samp;
    rng_seed(&shuf, 9, 1);
    rng_seed(&noise, 9, 2);
    rng_seed(&samp, 9, 3);
    size_t order[R];
    for (int e = 0; e < E; e++) {
        for (size_t i = 0; i < R; i++) order[i] = i;
        rng_shuffle_size(&shuf, order, R);
        for (size_t s0 = 0; s0 < R; s0 += B) {
            size_t n = R - s0 < B ? R - s0 : B;
            dae_batch_corrupt(t2, order + s0, n, &noise);
            dae_batch_sample(t2, &samp);
            params_zero(&g->par);
            dae_batch_grad(t2, g, 1.0f / (float)n);
            for (int k = 0; k < d2->par.nv; k++) {
                const param_view *pv = &d2->par.v[k];
                if (pv->flags & PARAM_FIXED) continue;
                float *p = params_at(&d2->par, k), *gv = params_at(&g->par, k), *vv = params_at(&v->par, k);
                float w = (pv->flags & PARAM_WEIGHT) ? wd : 0.0f;
                for (size_t i = 0; i < (size_t)pv->rows * pv->cols; i++) {
                    vv[i] = mu * vv[i] + gv[i] + w * p[i];
                    p[i] -= lr * vv[i];
                }
            }
        }
    }
    CHECK(memcmp(d->par.p, d2->par.p, d->par.n * sizeof(float)) == 0,
          "momentum %g and weight decay %g through the driver = the rule by hand, bit for bit", mu, wd);
    int ones = 1;
    for (int k = 0; k < H; k++) ones = ones && d->scale[k] == 1;
    CHECK(ones, "the scale is not trained");
    dae_trainer_free(t);
    dae_trainer_free(t2);
    dae_free(d);
    dae_free(d2);
    dae_free(g);
    dae_free(v);
    sparse_csr_free(data);
}

int main(void)
{
    cli_quiet = 1;
    test_momentum();
    test_parse();
    test_gradients();
    test_gemm_blocks();
    printf("gradient checks: %d configurations\n", n_configs);
    test_sparse_hidden();
    test_wide_rows();
    test_sampling_unbiased();
    test_kernels_agree();
    test_training();
    test_scale_floor();
    test_encode_and_model();
    return check_report();
}
