/* test_stack.c - the deep autoencoder (lib/stack): the objective and its
 * gradient against a naive double-precision reference and its central
 * differences (1 to 3 layers, full and observed-only loss, every
 * activation, linear and sigmoid reconstructions, L1); a one-layer stack
 * with masking noise and emphasis against the layer's own gradient
 * (dae_batch_grad on the same corruption); the loss falls through the
 * training driver; the model file round trip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "dae.h"
#include "kern.h"
#include "stack.h"

static sparse_csr *make_data(size_t R, uint32_t V, int unit, uint64_t seed)
{
    rng_t g;
    rng_seed(&g, seed, 0);
    sparse_csr *m = sparse_csr_new();
    uint32_t *col = malloc(V * sizeof *col);
    float *val = malloc(V * sizeof *val);
    for (size_t r = 0; r < R; r++) {
        size_t n = 0;
        for (uint32_t j = 0; j < V; j++)
            if (rng_uniform(&g) < 0.35) {
                col[n] = j;
                /* an explicit 0 now and then: a known entry under observed-only */
                val[n++] = unit ? (rng_uniform(&g) < 0.5 ? 1.0f : 0.0f) : (float)(2 * rng_uniform(&g) - 1);
            }
        sparse_row row = {1, 1.0, n, col, val, NULL};
        sparse_csr_append(m, &row);
    }
    m->dim = V;
    free(col);
    free(val);
    return m;
}

/* ------------------------------------------------------------------------
 * the reference: every parameter in double, plain loops */

typedef struct {
    int L;
    int act[4], recon[4];
    uint32_t in[4], H[4];
    double *W[4], *b[4], *c[4], *Wd[4];
} ref_t;

static double ract(int a, double z)
{
    switch (a) {
    case ACT_RELU: return z > 0 ? z : 0;
    case ACT_SOFTPLUS: return z > 30 ? z : log1p(exp(z));
    case ACT_TANH: return tanh(z);
    default: return 1 / (1 + exp(-z));
    }
}

static double rout(int r, double z)
{
    switch (r) {
    case DAE_RECON_SIGMOID_CE: return 1 / (1 + exp(-z));
    case DAE_RECON_LINEAR_SE: return z;
    case DAE_RECON_SOFTPLUS_SE: return z > 30 ? z : log1p(exp(z));
    default: return z > 0 ? z : 0;
    }
}

static double rloss(int r, double o, double x)
{
    switch (r) {
    case DAE_RECON_SIGMOID_CE: {
        double sp = o > 30 ? o : log1p(exp(o));
        return sp - x * o;
    }
    case DAE_RECON_LINEAR_SE: return (o - x) * (o - x);
    case DAE_RECON_SOFTPLUS_SE: {
        double z = rout(r, o);
        return (z - x) * (z - x);
    }
    default: {
        double z = o > 0 ? o : 0;
        return (z - x) * (z - x);
    }
    }
}

static double *dcopy(const float *p, size_t n)
{
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = p[i];
    return d;
}

static void ref_from(ref_t *r, const stack *s)
{
    r->L = s->L;
    for (int l = 0; l < s->L; l++) {
        const dae *d = s->layer[l];
        r->act[l] = d->cfg.act;
        r->recon[l] = d->cfg.recon;
        r->in[l] = d->cfg.in_dim;
        r->H[l] = d->cfg.hidden;
        size_t VH = (size_t)r->in[l] * r->H[l];
        r->W[l] = dcopy(d->W, VH);
        r->Wd[l] = dcopy(d->Wd, VH);
        r->b[l] = dcopy(d->b, r->H[l]);
        r->c[l] = dcopy(d->c, r->in[l]);
    }
}

static void ref_free(ref_t *r)
{
    for (int l = 0; l < r->L; l++) free(r->W[l]), free(r->Wd[l]), free(r->b[l]), free(r->c[l]);
}

/* the objective of rows[0..n) without noise */
static double ref_objective(const ref_t *r, const sparse_csr *data, const size_t *rows, size_t n, int observed,
                            double emph_b, double l1)
{
    double total = 0;
    double *h[5] = {0}, *rr[5] = {0};
    for (int l = 0; l <= r->L; l++) {
        h[l] = calloc(l < r->L ? r->H[l] : 1, sizeof(double));
        rr[l] = calloc(l < r->L ? r->in[l] : 1, sizeof(double));
    }
    double *x = calloc(r->in[0], sizeof *x);
    char *known = calloc(r->in[0], 1);
    for (size_t e = 0; e < n; e++) {
        memset(x, 0, r->in[0] * sizeof *x);
        memset(known, 0, r->in[0]);
        for (size_t k = data->rowptr[rows[e]]; k < data->rowptr[rows[e] + 1]; k++)
            x[data->col[k]] = data->val[k], known[data->col[k]] = 1;
        const double *below = x;
        for (int l = 0; l < r->L; l++) {
            for (uint32_t k = 0; k < r->H[l]; k++) {
                double a = r->b[l][k];
                for (uint32_t i = 0; i < r->in[l]; i++) a += below[i] * r->W[l][(size_t)i * r->H[l] + k];
                h[l][k] = ract(r->act[l], a);
                total += l1 * fabs(h[l][k]);
            }
            below = h[l];
        }
        const double *top = h[r->L - 1];
        for (int l = r->L - 1; l >= 1; l--) {
            for (uint32_t j = 0; j < r->in[l]; j++) {
                double z = r->c[l][j];
                for (uint32_t k = 0; k < r->H[l]; k++) z += r->Wd[l][(size_t)j * r->H[l] + k] * top[k];
                rr[l][j] = rout(r->recon[l], z);
            }
            top = rr[l];
        }
        for (uint32_t j = 0; j < r->in[0]; j++) {
            if (observed && !known[j]) continue;
            double o = r->c[0][j];
            for (uint32_t k = 0; k < r->H[0]; k++) o += r->Wd[0][(size_t)j * r->H[0] + k] * top[k];
            total += emph_b * rloss(r->recon[0], o, x[j]);
        }
    }
    for (int l = 0; l <= r->L; l++) free(h[l]), free(rr[l]);
    free(x);
    free(known);
    return total;
}

static double *ref_param(ref_t *r, int l, int which, size_t i)
{
    switch (which) {
    case 0: return &r->W[l][i];
    case 1: return &r->b[l][i];
    case 2: return &r->c[l][i];
    default: return &r->Wd[l][i];
    }
}

static float grad_at(const params *g, int l, int which, size_t i)
{
    static const int view[4] = {0, 1, 2, 4};
    return params_at(g, 5 * l + view[which])[i];
}

static dae *make_layer(uint32_t in, uint32_t H, int act, int recon, uint64_t seed)
{
    dae_config c;
    dae_config_default(&c, in, H);
    c.act = act;
    c.recon = recon;
    char err[128];
    dae *d = dae_new(&c, err, sizeof err);
    rng_t g;
    rng_seed(&g, seed, 0);
    dae_init(d, &g);
    size_t VH = (size_t)in * H;
    for (size_t i = 0; i < VH; i++) d->W[i] *= 2, d->Wd[i] *= 2;
    for (uint32_t k = 0; k < H; k++) d->b[k] = 0.3f * (2 * rng_uniformf(&g) - 1);
    for (uint32_t j = 0; j < in; j++) d->c[j] = 0.3f * (2 * rng_uniformf(&g) - 1);
    return d;
}

static int ncases;

static void gradcheck(int L, int observed, int act, int recon, float l1, uint64_t seed)
{
    const uint32_t dims[4] = {13, 7, 5, 4};
    dae *layers[3];
    for (int l = 0; l < L; l++)
        layers[l] = make_layer(dims[l], dims[l + 1], act, l == 0 ? recon : DAE_RECON_LINEAR_SE, seed + (uint64_t)l);
    dae_config cfg = layers[0]->cfg;
    cfg.observed_only = observed;
    cfg.l1 = l1;
    cfg.noise = DAE_NOISE_NONE;
    char err[128];
    stack *s = stack_new(layers, L, &cfg, err, sizeof err);
    CHECK(s != NULL, "stack_new: %s", err);
    sparse_csr *data = make_data(6, dims[0], recon == DAE_RECON_SIGMOID_CE, seed);
    stack_ws *w = stack_ws_new(s, 4);
    params g;
    params_like(&g, &s->par);
    size_t rows[4] = {0, 2, 3, 5};
    double loss = stack_grad(s, w, data, rows, 4, NULL, &g, 1.0f);
    ref_t r;
    ref_from(&r, s);
    double want = ref_objective(&r, data, rows, 4, observed, cfg.emph_b, l1);
    char what[128];
    snprintf(what, sizeof what, "L=%d %s %s %s l1=%g", L, observed ? "observed-only" : "full", act_name(act),
             dae_recon_name(recon), (double)l1);
    CHECK_NEAR(loss, want, 1e-4, "%s: objective %.9g vs reference %.9g", what, loss, want);
    int bad = 0;
    double worst = 0;
    for (int l = 0; l < L; l++)
        for (int which = 0; which < 4; which++) {
            size_t count = which == 0 || which == 3 ? (size_t)dims[l] * dims[l + 1] : which == 1 ? dims[l + 1] : dims[l];
            for (size_t i = 0; i < count; i += 1 + count / 9) {
                double *q = ref_param(&r, l, which, i), keep = *q;
                *q = keep + 1e-6;
                double up = ref_objective(&r, data, rows, 4, observed, cfg.emph_b, l1);
                *q = keep - 1e-6;
                double dn = ref_objective(&r, data, rows, 4, observed, cfg.emph_b, l1);
                *q = keep;
                double fd = (up - dn) / 2e-6, an = grad_at(&g, l, which, i);
                double e = fabs(fd - an) / fmax(1.0, fmax(fabs(fd), fabs(an)));
                if (e > worst) worst = e;
                if (e > 2e-3) {
                    if (!bad) fprintf(stderr, "  %s: layer %d param %d[%zu] analytic %.7g fd %.7g\n", what, l + 1, which, i, an, fd);
                    bad++;
                }
            }
        }
    CHECK(bad == 0, "%s: %d gradient entries off (worst %.3g)", what, bad, worst);
    ncases++;
    ref_free(&r);
    params_free(&g);
    stack_ws_free(w);
    stack_free(s);
    for (int l = 0; l < L; l++) dae_free(layers[l]);
    sparse_csr_free(data);
}

/* A one-layer stack is the layer: the same objective and gradient on the
 * same corruption (masking noise, emphasis, observed-only or not). */
static void test_one_layer(int observed)
{
    const uint32_t V = 17, H = 6;
    dae *d = make_layer(V, H, ACT_TANH, DAE_RECON_LINEAR_SE, 31);
    dae_config c = d->cfg;
    c.noise = DAE_NOISE_MASK, c.noise_level = 0.3f, c.emph_a = 1.5f, c.emph_b = 0.5f, c.observed_only = observed;
    char err[128];
    CHECK(dae_set_config(d, &c, err, sizeof err) == 0, "set_config");
    stack *s = stack_new(&d, 1, &c, err, sizeof err);
    sparse_csr *data = make_data(9, V, 0, 5);
    size_t rows[5] = {8, 1, 4, 0, 6};
    /* the layer */
    dae_trainer *t = dae_trainer_new(d, data, 5, err, sizeof err);
    dae_trainer_kernel(t, DAE_KERNEL_ROWS);
    rng_t n1, n2;
    rng_seed(&n1, 3, 2);
    n2 = n1;
    dae_batch_corrupt(t, rows, 5, &n1);
    dae_batch_sample(t, &n1);
    dae *gd = dae_new_like(d);
    double l1 = dae_batch_grad(t, gd, 1.0f);
    /* the stack */
    stack_ws *w = stack_ws_new(s, 5);
    params g;
    params_like(&g, &s->par);
    double l2 = stack_grad(s, w, data, rows, 5, &n2, &g, 1.0f);
    CHECK_NEAR(l1, l2, 1e-5, "one layer (%s): objective %.9g = the layer's %.9g", observed ? "observed-only" : "full",
               l2, l1);
    double md = 0;
    const float *a[4] = {gd->W, gd->b, gd->c, gd->Wd}, *b[4] = {params_at(&g, 0), params_at(&g, 1), params_at(&g, 2),
                                                             params_at(&g, 4)};
    size_t n[4] = {V * H, H, V, V * H};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < n[k]; i++) md = fmax(md, fabs(a[k][i] - b[k][i]) / fmax(1.0, fabs(a[k][i])));
    CHECK(md < 1e-4, "one layer (%s): gradient = the layer's (largest difference %g)", observed ? "observed-only" : "full",
          md);
    params_free(&g);
    stack_ws_free(w);
    stack_free(s);
    dae_free(gd);
    dae_trainer_free(t);
    dae_free(d);
    sparse_csr_free(data);
}

/* Low-rank data: a two-layer stack trained through the driver brings the
 * clean loss down; the model file round trip keeps every parameter. */
static void test_training_and_file(void)
{
    enum { R = 120, V = 30 };
    rng_t g;
    rng_seed(&g, 11, 0);
    float u[R][2], v[V][2];
    for (int i = 0; i < R; i++) u[i][0] = (float)rng_normal(&g), u[i][1] = (float)rng_normal(&g);
    for (int j = 0; j < V; j++) v[j][0] = (float)rng_normal(&g), v[j][1] = (float)rng_normal(&g);
    sparse_csr *data = sparse_csr_new();
    uint32_t col[V];
    float val[V];
    for (int i = 0; i < R; i++) {
        size_t n = 0;
        for (int j = 0; j < V; j++)
            if (rng_uniform(&g) < 0.5) col[n] = (uint32_t)j, val[n++] = tanhf(0.5f * (u[i][0] * v[j][0] + u[i][1] * v[j][1]));
        sparse_row row = {1, 1, n, col, val, NULL};
        sparse_csr_append(data, &row);
    }
    data->dim = V;
    dae *l[2] = {make_layer(V, 12, ACT_TANH, DAE_RECON_LINEAR_SE, 1), make_layer(12, 6, ACT_TANH, DAE_RECON_LINEAR_SE, 2)};
    for (int k = 0; k < 2; k++) {
        size_t VH = (size_t)l[k]->cfg.in_dim * l[k]->cfg.hidden;
        for (size_t i = 0; i < VH; i++) l[k]->W[i] *= 0.5f, l[k]->Wd[i] *= 0.5f;
    }
    dae_config c = l[0]->cfg;
    c.observed_only = 1, c.noise = DAE_NOISE_MASK, c.noise_level = 0.2f, c.emph_a = 1, c.emph_b = 1;
    char err[128];
    stack *s = stack_new(l, 2, &c, err, sizeof err);
    stack_trainer *t = stack_trainer_new(s, data, 20, 7);
    train_task task;
    stack_task(t, &task);
    double before = task.valid(task.self, data);
    train_opts o;
    train_opts_default(&o);
    o.epochs = 60, o.batch = 20, o.lr = 0.05, o.momentum = 0.8, o.weight_decay = 1e-4, o.seed = 7;
    train_result res;
    train_run(&task, data, NULL, &o, &res);
    double after = task.valid(task.self, data);
    CHECK(after < 0.5 * before, "two-layer stack through the driver: clean loss %.4g -> %.4g", before, after);
    model *m = stack_to_model(s, "senti-pretrain --stack");
    FILE *f = tmpfile();
    CHECK(m && model_write(f, m) == 0, "write the stack");
    model_free(m);
    rewind(f);
    model *back = model_read(f, MODEL_KIND_STACK, "t", err, sizeof err);
    fclose(f);
    CHECK(back != NULL, "read back: %s", err);
    stack *s2 = back ? stack_from_model(back, err, sizeof err) : NULL;
    CHECK(s2 && s2->L == 2 && s2->par.n == s->par.n && memcmp(s2->par.p, s->par.p, s->par.n * sizeof(float)) == 0 &&
              s2->cfg.observed_only && s2->cfg.noise == DAE_NOISE_MASK,
          "the stack's parameters and settings survive the file: %s", s2 ? "" : err);
    model_free(back);
    stack_free(s2);
    /* the shapes must chain */
    dae *bad[2] = {l[1], l[0]};
    CHECK(stack_new(bad, 2, &c, err, sizeof err) == NULL && strstr(err, "takes"), "layers that do not chain: %s", err);
    stack_trainer_free(t);
    stack_free(s);
    dae_free(l[0]);
    dae_free(l[1]);
    sparse_csr_free(data);
}

int main(void)
{
    cli_quiet = 1;
    uint64_t seed = 40;
    for (int L = 1; L <= 3; L++)
        for (int observed = 0; observed <= 1; observed++)
            for (int act = ACT_RELU; act <= ACT_SIGMOID; act++)
                for (int rk = 0; rk < 2; rk++) {
                    kern_threads(seed % 3 == 0 ? 2 : 1);
                    gradcheck(L, observed, act, rk ? DAE_RECON_SIGMOID_CE : DAE_RECON_LINEAR_SE,
                              seed % 2 ? 0.01f : 0.0f, seed);
                    seed++;
                }
    kern_threads(1);
    printf("gradient checks: %d configurations\n", ncases);
    test_one_layer(0);
    test_one_layer(1);
    test_training_and_file();
    return check_report();
}
