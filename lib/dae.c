/* dae.c - one denoising-autoencoder layer over sparse input (see dae.h and
 * docs/dae.md): configuration, parameters in a model container, encoding,
 * corruption, reconstruction sampling, and the minibatch gradient with two
 * decoder kernels (single-threaded sgemm over blocks of output rows in each
 * pool thread; a row kernel over the sampled outputs, in groups of rows,
 * that skips the zeros of sparse rectifier rows). */
#include "dae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"

/* ------------------------------------------------------------------------
 * names and configuration */

static const char *const recon_names[] = {NULL, "sigmoid-ce", "linear-se", "softplus-se", "relu-se"};
static const char *const noise_names[] = {"none", "sp", "mask", "gauss"};

const char *dae_recon_name(int r) { return r >= 1 && r <= 4 ? recon_names[r] : "?"; }
const char *dae_noise_name(int n) { return n >= 0 && n <= 3 ? noise_names[n] : "?"; }

int dae_recon_parse(const char *s)
{
    for (int i = 1; i <= 4; i++)
        if (strcmp(s, recon_names[i]) == 0) return i;
    /* short forms */
    if (strcmp(s, "sigmoid") == 0 || strcmp(s, "ce") == 0) return DAE_RECON_SIGMOID_CE;
    if (strcmp(s, "linear") == 0) return DAE_RECON_LINEAR_SE;
    if (strcmp(s, "softplus") == 0) return DAE_RECON_SOFTPLUS_SE;
    if (strcmp(s, "relu") == 0) return DAE_RECON_RELU_SE;
    return -1;
}

int dae_noise_parse(const char *s, int *noise, float *level)
{
    if (strcmp(s, "none") == 0) {
        *noise = DAE_NOISE_NONE;
        *level = 0;
        return 0;
    }
    const char *colon = strchr(s, ':');
    if (!colon) return -1;
    size_t k = (size_t)(colon - s);
    int code = -1;
    for (int i = 1; i <= 3; i++)
        if (strlen(noise_names[i]) == k && strncmp(s, noise_names[i], k) == 0) code = i;
    if (code < 0) return -1;
    char *end;
    double v = strtod(colon + 1, &end);
    if (end == colon + 1 || *end || !isfinite(v) || v < 0) return -1;
    if ((code == DAE_NOISE_SP || code == DAE_NOISE_MASK) && v > 1) return -1;
    *noise = code;
    *level = (float)v;
    return 0;
}

void dae_config_default(dae_config *c, uint32_t in_dim, uint32_t hidden)
{
    memset(c, 0, sizeof *c);
    c->in_dim = in_dim;
    c->hidden = hidden;
    c->act = ACT_RELU;
    c->recon = DAE_RECON_SIGMOID_CE;
    c->noise = DAE_NOISE_SP;
    c->noise_level = 0.1f;
    c->emph_a = 1;
    c->emph_b = 1;
}

const char *dae_config_check(const dae_config *c)
{
    if (c->in_dim == 0) return "input dimension is 0";
    if (c->hidden == 0) return "hidden size is 0";
    if ((uint64_t)c->in_dim * c->hidden > ((uint64_t)1 << 33))
        return "layer too large (input dimension x hidden units above 2^33)";
    if (!act_valid(c->act)) return "unknown activation";
    if (c->recon < 1 || c->recon > 4) return "unknown reconstruction";
    if (c->noise < 0 || c->noise > 3) return "unknown noise";
    if (!isfinite(c->noise_level) || c->noise_level < 0) return "bad noise level";
    if ((c->noise == DAE_NOISE_SP || c->noise == DAE_NOISE_MASK) && c->noise_level > 1)
        return "noise fraction above 1";
    if (!isfinite(c->emph_a) || !isfinite(c->emph_b) || c->emph_a < 0 || c->emph_b < 0)
        return "emphasis weights must be finite and >= 0";
    if (!isfinite(c->l1) || c->l1 < 0) return "L1 penalty must be finite and >= 0";
    if (!isfinite(c->code_noise) || c->code_noise < 0) return "code noise must be finite and >= 0";
    return NULL;
}

/* ------------------------------------------------------------------------
 * activations and losses */

#define softplusf act_softplusf
#define sigmf act_sigmoidf

/* loss(o, x) and d loss / d o for a reconstruction pre-activation o */
static inline float recon_loss(int recon, float o, float x, float *d)
{
    switch (recon) {
    case DAE_RECON_SIGMOID_CE:
        *d = sigmf(o) - x;
        return softplusf(o) - x * o;
    case DAE_RECON_LINEAR_SE:
        *d = 2 * (o - x);
        return (o - x) * (o - x);
    case DAE_RECON_SOFTPLUS_SE: {
        float z = softplusf(o);
        *d = 2 * (z - x) * sigmf(o);
        return (z - x) * (z - x);
    }
    default: {
        float z = o > 0 ? o : 0;
        *d = o > 0 ? 2 * (z - x) : 0;
        return (z - x) * (z - x);
    }
    }
}

float dae_recon_point(int recon, float o, float x, float *d) { return recon_loss(recon, o, x, d); }

float dae_recon_out(int recon, float o)
{
    switch (recon) {
    case DAE_RECON_SIGMOID_CE: return sigmf(o);
    case DAE_RECON_LINEAR_SE: return o;
    case DAE_RECON_SOFTPLUS_SE: return softplusf(o);
    default: return o > 0 ? o : 0;
    }
}

/* ------------------------------------------------------------------------
 * parameters */

/* The block: W (V,H), b (H), c (V), scale (H, fixed in training), Wd
 * (V,H) unless tied; the order of the tensors in layer files. */
static int layout(dae *d)
{
    uint32_t V = d->cfg.in_dim, H = d->cfg.hidden;
    params *p = &d->par;
    int w = params_add(p, "W", V, H, PARAM_WEIGHT), b = params_add(p, "b", 1, H, 0), c = params_add(p, "c", 1, V, 0),
        s = params_add(p, "scale", 1, H, PARAM_FIXED);
    int wd = d->cfg.tied ? w : params_add(p, "Wd", V, H, PARAM_WEIGHT);
    if (w < 0 || b < 0 || c < 0 || s < 0 || wd < 0 || params_alloc(p) < 0) return -1;
    d->W = params_at(p, w);
    d->b = params_at(p, b);
    d->c = params_at(p, c);
    d->scale = params_at(p, s);
    d->Wd = params_at(p, wd);
    return 0;
}

static void settings_of(const dae_config *c, model_layer *s)
{
    memset(s, 0, sizeof *s);
    s->in_dim = c->in_dim;
    s->out_dim = c->hidden;
    s->act = (uint32_t)c->act;
    s->recon = (uint32_t)c->recon;
    s->noise = (uint32_t)c->noise;
    s->noise_level = c->noise_level;
    s->emph_a = c->emph_a;
    s->emph_b = c->emph_b;
    s->l1 = c->l1;
    s->flags = (c->tied ? MODEL_FLAG_TIED : 0) | (c->observed_only ? MODEL_FLAG_OBSERVED_ONLY : 0);
    s->sample_zeros = c->sample_zeros;
    s->in_scale = 1;
}

dae *dae_new(const dae_config *cfg, char *err, size_t errlen)
{
    const char *why = dae_config_check(cfg);
    if (why) {
        snprintf(err, errlen, "%s", why);
        return NULL;
    }
    dae *d = calloc(1, sizeof *d);
    if (!d || (d->cfg = *cfg, d->in_scale = 1, layout(d) < 0)) {
        snprintf(err, errlen, "out of memory for a %u x %u layer", cfg->in_dim, cfg->hidden);
        dae_free(d);
        return NULL;
    }
    for (uint32_t k = 0; k < cfg->hidden; k++) d->scale[k] = 1;
    return d;
}

void dae_free(dae *d)
{
    if (!d) return;
    params_free(&d->par);
    free(d);
}

dae *dae_new_like(const dae *d)
{
    char err[128];
    dae *g = dae_new(&d->cfg, err, sizeof err);
    if (g) memset(g->scale, 0, (size_t)d->cfg.hidden * sizeof(float));
    return g;
}

void dae_copy(dae *dst, const dae *src) { params_copy(&dst->par, &src->par); }

void dae_init(dae *d, rng_t *r)
{
    size_t VH = (size_t)d->cfg.in_dim * d->cfg.hidden;
    float a = (float)sqrt(6.0 / ((double)d->cfg.in_dim + d->cfg.hidden));
    for (size_t i = 0; i < VH; i++) d->W[i] = a * (2 * rng_uniformf(r) - 1);
    if (!d->cfg.tied)
        for (size_t i = 0; i < VH; i++) d->Wd[i] = a * (2 * rng_uniformf(r) - 1);
    memset(d->b, 0, d->cfg.hidden * sizeof(float));
    memset(d->c, 0, d->cfg.in_dim * sizeof(float));
}

dae *dae_from_model(model *m, char *err, size_t errlen)
{
    if (m->nlayers != 1) {
        snprintf(err, errlen, "a layer model has 1 layer, this one has %u", m->nlayers);
        return NULL;
    }
    const model_layer *l = &m->layers[0];
    dae_config c;
    memset(&c, 0, sizeof c);
    c.in_dim = l->in_dim;
    c.hidden = l->out_dim;
    c.act = (int)l->act;
    c.recon = (int)l->recon;
    c.noise = (int)l->noise;
    c.noise_level = l->noise_level;
    c.emph_a = l->emph_a;
    c.emph_b = l->emph_b;
    c.l1 = l->l1;
    c.tied = (l->flags & MODEL_FLAG_TIED) != 0;
    c.observed_only = (l->flags & MODEL_FLAG_OBSERVED_ONLY) != 0;
    c.sample_zeros = l->sample_zeros;
    const char *why = dae_config_check(&c);
    if (why) {
        snprintf(err, errlen, "bad layer settings: %s", why);
        return NULL;
    }
    if (!(l->in_scale > 0)) {
        snprintf(err, errlen, "bad input scale %g", (double)l->in_scale);
        return NULL;
    }
    if (c.tied && model_find(l, "Wd")) {
        snprintf(err, errlen, "tied layer has a decoder tensor Wd");
        return NULL;
    }
    /* the tensors' shapes before the block is allocated from the header */
    const model_tensor *W = model_find(l, "W");
    if (!W || W->rows != c.in_dim || W->cols != c.hidden) {
        snprintf(err, errlen, W ? "tensor W is %u x %u, expected %u x %u" : "missing tensor W", W ? W->rows : 0,
                 W ? W->cols : 0, c.in_dim, c.hidden);
        return NULL;
    }
    dae *d = dae_new(&c, err, errlen);
    if (!d) return NULL;
    if (params_from_layer(&d->par, l, NULL, 1, err, errlen) < 0) {
        dae_free(d);
        return NULL;
    }
    d->in_scale = l->in_scale;
    memcpy(d->vocab, m->vocab, sizeof d->vocab);
    d->checksum = m->checksum;
    model_free(m);
    return d;
}

model *dae_to_model(const dae *d, const char *cmdline)
{
    model *m = model_new(MODEL_KIND_LAYER);
    model_layer s;
    settings_of(&d->cfg, &s);
    s.in_scale = d->in_scale;
    model_layer *l = m ? model_add_layer(m, &s) : NULL;
    if (!l || params_to_layer(&d->par, l, NULL) < 0 || model_set_cmdline(m, cmdline) < 0 ||
        model_set_vocab(m, d->vocab) < 0) {
        model_free(m);
        return NULL;
    }
    return m;
}

int dae_set_config(dae *d, const dae_config *c, char *err, size_t errlen)
{
    const char *why = dae_config_check(c);
    if (why) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    const dae_config *o = &d->cfg;
    if (c->in_dim != o->in_dim || c->hidden != o->hidden || c->act != o->act || c->tied != o->tied ||
        d->in_scale != 1) {
        snprintf(err, errlen, "a %u -> %u %s%s layer%s; this run needs %u -> %u %s%s", o->in_dim,
                 o->hidden, act_name(o->act), o->tied ? " tied" : "",
                 d->in_scale != 1 ? " with an input scale" : "", c->in_dim, c->hidden,
                 act_name(c->act), c->tied ? " tied" : "");
        return -1;
    }
    d->cfg = *c;
    return 0;
}

/* ------------------------------------------------------------------------
 * encoding */

static void activate(const dae *d, size_t R, float *out, int scaled)
{
    size_t H = d->cfg.hidden;
    int act = d->cfg.act;
    int clip = scaled && act_unbounded(act);
    for (size_t r = 0; r < R; r++) {
        float *h = out + r * H;
        for (size_t k = 0; k < H; k++) {
            float v = act_apply(act, h[k]);
            if (scaled) {
                v *= d->scale[k];
                if (clip && v > 1) v = 1;
            }
            h[k] = v;
        }
    }
}

void dae_forward(const dae *d, size_t R, const size_t *ptr, const uint32_t *col,
                 const float *val, float *out, int scaled)
{
    size_t H = d->cfg.hidden;
    for (size_t r = 0; r < R; r++) memcpy(out + r * H, d->b, H * sizeof(float));
    if (d->in_scale == 1) {
        kern_spmm(R, ptr, col, val, d->W, H, out);
    } else {
        for (size_t r = 0; r < R; r++)
            for (size_t e = ptr[r]; e < ptr[r + 1]; e++)
                kern_axpy(H, val[e] * d->in_scale, d->W + (size_t)col[e] * H, out + r * H);
    }
    activate(d, R, out, scaled);
}

void dae_forward_dense(const dae *d, size_t R, const float *X, float *out, int scaled)
{
    size_t H = d->cfg.hidden;
    for (size_t r = 0; r < R; r++) memcpy(out + r * H, d->b, H * sizeof(float));
    kern_sgemm(0, 0, (int)R, (int)H, (int)d->cfg.in_dim, d->in_scale, X, (int)d->cfg.in_dim, d->W,
               (int)H, 1, out, (int)H);
    activate(d, R, out, scaled);
}

#define CHUNK 64
#define DAE_GEMM_MIN_BATCH 10

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int dae_compute_scale(dae *d, const sparse_csr *data)
{
    size_t H = d->cfg.hidden;
    for (size_t k = 0; k < H; k++) d->scale[k] = 1;
    if (!act_unbounded(d->cfg.act)) return 0;
    float *out = kern_alloc(CHUNK * H), *mx = kern_alloc(H);
    if (!out || !mx) {
        kern_free(out);
        kern_free(mx);
        return -1;
    }
    for (size_t r0 = 0; r0 < data->rows; r0 += CHUNK) {
        size_t R = data->rows - r0 < CHUNK ? data->rows - r0 : CHUNK;
        dae_forward(d, R, data->rowptr + r0, data->col, data->val, out, 0);
        for (size_t r = 0; r < R; r++)
            for (size_t k = 0; k < H; k++)
                if (out[r * H + k] > mx[k]) mx[k] = out[r * H + k];
    }
    /* a unit whose largest activation is below DAE_SCALE_FLOOR times the
     * median of the layer's is nearly silent: it is divided by that floor,
     * not stretched to 1 (a stretched near-silent unit of an upper layer
     * reached scales in the thousands and amplified noise) */
    size_t np = 0;
    for (size_t k = 0; k < H; k++)
        if (mx[k] > 0) out[np++] = mx[k];
    float floor_ = 0;
    if (np) {
        qsort(out, np, sizeof *out, cmp_float);
        floor_ = DAE_SCALE_FLOOR * out[np / 2];
    }
    for (size_t k = 0; k < H; k++) d->scale[k] = mx[k] > 0 ? 1 / (mx[k] > floor_ ? mx[k] : floor_) : 1;
    kern_free(out);
    kern_free(mx);
    return 0;
}

double dae_recon_loss(const dae *d, const sparse_csr *data, double *zero_frac)
{
    size_t H = d->cfg.hidden, V = d->cfg.in_dim;
    float *h = kern_alloc(CHUNK * H), *o = kern_alloc(CHUNK * V), *tg = kern_alloc(V);
    double loss = 0, zeros = 0;
    if (!h || !o || !tg) {
        loss = -1;
        goto out;
    }
    for (size_t r0 = 0; r0 < data->rows; r0 += CHUNK) {
        size_t R = data->rows - r0 < CHUNK ? data->rows - r0 : CHUNK;
        dae_forward(d, R, data->rowptr + r0, data->col, data->val, h, 0);
        for (size_t i = 0; i < R * H; i++) zeros += h[i] == 0;
        kern_sgemm(0, 1, (int)R, (int)V, (int)H, 1, h, (int)H, d->Wd, (int)H, 0, o, (int)V);
        for (size_t r = 0; r < R; r++) {
            const float *orow = o + r * V;
            size_t e0 = data->rowptr[r0 + r], e1 = data->rowptr[r0 + r + 1];
            float dd;
            if (d->cfg.observed_only) {
                for (size_t e = e0; e < e1; e++)
                    if (data->col[e] < V)
                        loss += recon_loss(d->cfg.recon, orow[data->col[e]] + d->c[data->col[e]],
                                           data->val[e], &dd);
                continue;
            }
            for (size_t e = e0; e < e1; e++)
                if (data->col[e] < V) tg[data->col[e]] = data->val[e];
            double s = 0;
            for (size_t j = 0; j < V; j++) s += recon_loss(d->cfg.recon, orow[j] + d->c[j], tg[j], &dd);
            loss += s;
            for (size_t e = e0; e < e1; e++)
                if (data->col[e] < V) tg[data->col[e]] = 0;
        }
    }
out:
    if (zero_frac) *zero_frac = data->rows ? zeros / ((double)data->rows * H) : 0;
    kern_free(h);
    kern_free(o);
    kern_free(tg);
    return loss;
}

/* ------------------------------------------------------------------------
 * trainer */

struct dae_trainer {
    dae *d;
    const sparse_csr *data;
    size_t cap;            /* largest batch */
    uint32_t V, H;
    int kernel;
    int unit_range;        /* all values in [0,1]: noise range 0/1 */
    float *lo, *hi;        /* per-column noise range otherwise */
    /* the batch */
    size_t n;
    size_t *rows;
    size_t *xt_ptr;        /* corrupted rows */
    uint32_t *xt_col;
    float *xt_val;
    size_t xt_cap;
    size_t *j_ptr;         /* corrupted positions */
    uint32_t *j_col;
    size_t j_cap;
    size_t *s_ptr;         /* sampled outputs */
    uint32_t *s_col;
    float *s_w;
    size_t s_cap;
    uint32_t *sel;         /* V scratch */
    uint32_t *mark;        /* V stamps */
    uint32_t stamp;
    /* hidden layer */
    float *Hm;             /* (cap,H) activations, then dA */
    uint32_t *hidx;        /* (cap,H) active units of rectifier rows */
    float *hval;           /* (cap,H) their values */
    uint32_t *hcnt;        /* cap */
    unsigned char *hsparse;/* cap: use the active list */
    float *dH;             /* nth x (cap,H) */
    int dH_nth;
    /* gemm path, per thread: output blocks, block targets and weights,
     * cursors into the clean rows and corrupted positions */
    float *gO;             /* nth x (cap, DAE_VBLOCK) */
    float *gtw;            /* nth x 2 DAE_VBLOCK */
    size_t *gcur;          /* nth x 2 cap */
    int g_nth;
    /* rows path: pairs grouped by output row */
    size_t *pj;            /* V+1 */
    uint32_t *pb;
    float *px, *pw, *pg;
    uint32_t *fj;          /* flat per-example lists before grouping */
    float *fx, *fw;
    size_t *fptr;
    size_t p_cap;
    int32_t *ghead;        /* nth x cap: first pair of each example in a group */
    int32_t *gnext;        /* nth x (DAE_ROWS_GROUP cap): next pair, same example */
    uint32_t *growof;      /* nth x (DAE_ROWS_GROUP cap): output row of each pair */
    int r_nth;
    kern_csc csc;
    uint32_t *cwork;       /* V */
    double zero_frac;
    float *cn;             /* (cap,H) code noise of the batch, or NULL */
    /* the driver's view of this trainer (dae_task) */
    rng_t noise, samp;
};

static int grow(void **p, size_t *cap, size_t need, size_t el)
{
    if (need <= *cap && *p) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * el);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* grow two parallel arrays sharing one capacity */
static int grow2(void **a, size_t ela, void **b, size_t elb, size_t *cap, size_t need)
{
    if (need <= *cap && *a && *b) return 0;
    size_t c1 = *cap, c2 = *cap;
    if (grow(a, &c1, need, ela) != 0) return -1;
    if (grow(b, &c2, need, elb) != 0) return -1;
    *cap = c1 < c2 ? c1 : c2;
    return 0;
}

dae_trainer *dae_trainer_new(dae *d, const sparse_csr *data, size_t batch, char *err,
                             size_t errlen)
{
    if (batch == 0) {
        snprintf(err, errlen, "batch size 0");
        return NULL;
    }
    dae_trainer *t = calloc(1, sizeof *t);
    if (!t) goto oom;
    t->d = d;
    t->data = data;
    t->cap = batch;
    t->V = d->cfg.in_dim;
    t->H = d->cfg.hidden;
    size_t V = t->V, H = t->H;
    /* value range of the data */
    int unit = 1;
    for (size_t e = 0; e < data->nnz; e++) {
        if (data->col[e] >= V) {
            snprintf(err, errlen, "data has column %u above the layer's input dimension %zu",
                     data->col[e] + 1, V);
            dae_trainer_free(t);
            return NULL;
        }
        if (!(data->val[e] >= 0 && data->val[e] <= 1)) unit = 0;
    }
    if (!unit && d->cfg.recon == DAE_RECON_SIGMOID_CE) {
        snprintf(err, errlen, "sigmoid-ce reconstruction needs inputs in [0,1]; scale the data "
                              "or choose another --recon");
        dae_trainer_free(t);
        return NULL;
    }
    t->unit_range = unit;
    if (!unit) {
        t->lo = calloc(V, sizeof *t->lo);
        t->hi = calloc(V, sizeof *t->hi);
        if (!t->lo || !t->hi) goto oom;
        for (size_t e = 0; e < data->nnz; e++) {
            uint32_t j = data->col[e];
            if (data->val[e] < t->lo[j]) t->lo[j] = data->val[e];
            if (data->val[e] > t->hi[j]) t->hi[j] = data->val[e];
        }
    }
    t->rows = calloc(batch, sizeof *t->rows);
    t->xt_ptr = calloc(batch + 1, sizeof *t->xt_ptr);
    t->j_ptr = calloc(batch + 1, sizeof *t->j_ptr);
    t->s_ptr = calloc(batch + 1, sizeof *t->s_ptr);
    t->fptr = calloc(batch + 1, sizeof *t->fptr);
    t->sel = calloc(V, sizeof *t->sel);
    t->mark = calloc(V, sizeof *t->mark);
    t->cwork = calloc(V, sizeof *t->cwork);
    t->pj = calloc(V + 1, sizeof *t->pj);
    t->Hm = kern_alloc(batch * H);
    t->hidx = calloc(batch * H, sizeof *t->hidx);
    t->hval = kern_alloc(batch * H);
    t->hcnt = calloc(batch, sizeof *t->hcnt);
    t->hsparse = calloc(batch, 1);
    if (d->cfg.code_noise > 0 && !(t->cn = kern_alloc(batch * H))) goto oom;
    if (!t->rows || !t->xt_ptr || !t->j_ptr || !t->s_ptr || !t->fptr || !t->sel || !t->mark ||
        !t->cwork || !t->pj || !t->Hm || !t->hidx || !t->hval || !t->hcnt || !t->hsparse)
        goto oom;
    return t;
oom:
    snprintf(err, errlen, "out of memory for the trainer");
    dae_trainer_free(t);
    return NULL;
}

void dae_trainer_free(dae_trainer *t)
{
    if (!t) return;
    free(t->lo);
    free(t->hi);
    free(t->rows);
    free(t->xt_ptr);
    free(t->xt_col);
    free(t->xt_val);
    free(t->j_ptr);
    free(t->j_col);
    free(t->s_ptr);
    free(t->s_col);
    free(t->s_w);
    free(t->sel);
    free(t->mark);
    kern_free(t->Hm);
    free(t->hidx);
    kern_free(t->hval);
    free(t->hcnt);
    free(t->hsparse);
    kern_free(t->dH);
    kern_free(t->gO);
    kern_free(t->gtw);
    free(t->gcur);
    free(t->pj);
    free(t->pb);
    free(t->px);
    free(t->pw);
    free(t->pg);
    free(t->fj);
    free(t->fx);
    free(t->fw);
    free(t->fptr);
    free(t->ghead);
    free(t->gnext);
    free(t->growof);
    kern_csc_free(&t->csc);
    free(t->cwork);
    kern_free(t->cn);
    free(t);
}

void dae_trainer_kernel(dae_trainer *t, int kernel) { t->kernel = kernel; }

/* ------------------------------------------------------------------------
 * corruption */

/* Positions of [0,V) each chosen with probability P, in increasing order,
 * drawn by geometric skips (about P*V draws). */
static size_t select_positions(rng_t *r, uint32_t V, double P, uint32_t *out)
{
    if (P <= 0) return 0;
    if (P >= 1) {
        for (uint32_t j = 0; j < V; j++) out[j] = j;
        return V;
    }
    double lq = log1p(-P);
    size_t n = 0;
    double j = -1;
    for (;;) {
        double skip = floor(log1p(-rng_uniform(r)) / lq);
        j += 1 + skip;
        if (j >= V) break;
        out[n++] = (uint32_t)j;
    }
    return n;
}

int dae_batch_corrupt(dae_trainer *t, const size_t *rows, size_t n, rng_t *noise)
{
    if (n > t->cap) n = t->cap;
    const sparse_csr *X = t->data;
    const dae_config *c = &t->d->cfg;
    uint32_t V = t->V;
    t->n = n;
    t->xt_ptr[0] = t->j_ptr[0] = t->s_ptr[0] = 0;
    for (size_t b = 0; b < n; b++) {
        t->rows[b] = rows[b];
        size_t e0 = X->rowptr[rows[b]], nx = X->rowptr[rows[b] + 1] - e0;
        const uint32_t *xc = X->col + e0;
        const float *xv = X->val + e0;
        size_t ns = 0;
        if (c->noise == DAE_NOISE_SP || c->noise == DAE_NOISE_MASK)
            ns = select_positions(noise, V, c->noise_level, t->sel);
        size_t need = c->noise == DAE_NOISE_GAUSS ? V : nx + ns;
        if (grow2((void **)&t->xt_col, sizeof *t->xt_col, (void **)&t->xt_val, sizeof *t->xt_val,
                  &t->xt_cap, t->xt_ptr[b] + need) != 0 ||
            grow((void **)&t->j_col, &t->j_cap, t->j_ptr[b] + ns, sizeof *t->j_col) != 0)
            return -1;
        uint32_t *oc = t->xt_col + t->xt_ptr[b];
        float *ov = t->xt_val + t->xt_ptr[b];
        size_t no = 0;
        if (ns) memcpy(t->j_col + t->j_ptr[b], t->sel, ns * sizeof *t->sel);
        if (c->noise == DAE_NOISE_GAUSS) {
            size_t i = 0;
            for (uint32_t j = 0; j < V; j++) {
                float v = 0;
                if (i < nx && xc[i] == j) v = xv[i++];
                v += c->noise_level * (float)rng_normal(noise);
                if (v != 0) oc[no] = j, ov[no++] = v;
            }
        } else {
            size_t i = 0, k = 0;
            while (i < nx || k < ns) {
                if (k < ns && (i >= nx || t->sel[k] <= xc[i])) {
                    uint32_t j = t->sel[k++];
                    if (i < nx && xc[i] == j) i++;
                    float v = 0;
                    if (c->noise == DAE_NOISE_SP) {
                        int salt = (int)(rng_next(noise) >> 63);
                        v = t->unit_range ? (float)salt : salt ? t->hi[j] : t->lo[j];
                    }
                    if (v != 0) oc[no] = j, ov[no++] = v;
                } else {
                    if (xv[i] != 0) oc[no] = xc[i], ov[no++] = xv[i];
                    i++;
                }
            }
        }
        t->xt_ptr[b + 1] = t->xt_ptr[b] + no;
        t->j_ptr[b + 1] = t->j_ptr[b] + ns;
        t->s_ptr[b + 1] = 0;
    }
    /* no sample until dae_batch_sample */
    for (size_t b = 0; b <= n; b++) t->s_ptr[b] = 0;
    if (t->cn)
        for (size_t i = 0; i < n * t->H; i++) t->cn[i] = c->code_noise * (float)rng_normal(noise);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int dae_batch_sample(dae_trainer *t, rng_t *samp)
{
    const dae_config *c = &t->d->cfg;
    uint32_t V = t->V, K = c->sample_zeros;
    for (size_t b = 0; b <= t->n; b++) t->s_ptr[b] = 0;
    if (K == 0 || c->observed_only) return 0;
    const sparse_csr *X = t->data;
    for (size_t b = 0; b < t->n; b++) {
        if (++t->stamp == 0) {
            memset(t->mark, 0, V * sizeof *t->mark);
            t->stamp = 1;
        }
        uint32_t st = t->stamp;
        size_t nd = 0;
        size_t e0 = X->rowptr[t->rows[b]], e1 = X->rowptr[t->rows[b] + 1];
        for (size_t e = e0; e < e1; e++)
            if (t->mark[X->col[e]] != st) t->mark[X->col[e]] = st, nd++;
        for (size_t e = t->xt_ptr[b]; e < t->xt_ptr[b + 1]; e++)
            if (t->mark[t->xt_col[e]] != st) t->mark[t->xt_col[e]] = st, nd++;
        /* corrupted positions belong to D only when emphasis sets them apart;
         * with equal weights a corrupted zero is just another zero */
        if (c->emph_a != c->emph_b)
            for (size_t e = t->j_ptr[b]; e < t->j_ptr[b + 1]; e++)
                if (t->mark[t->j_col[e]] != st) t->mark[t->j_col[e]] = st, nd++;
        size_t R = V - nd;
        size_t base = t->s_ptr[b];
        if (grow2((void **)&t->s_col, sizeof *t->s_col, (void **)&t->s_w, sizeof *t->s_w, &t->s_cap,
                  base + (R < K ? R : K)) != 0)
            return -1;
        uint32_t *sc = t->s_col + base;
        float *sw = t->s_w + base;
        size_t ns = 0;
        if (R == 0) {
            /* nothing left to sample */
        } else if (R <= K) {
            for (uint32_t j = 0; j < V; j++)
                if (t->mark[j] != st) sc[ns] = j, sw[ns++] = 1;
        } else {
            for (uint32_t k = 0; k < K; k++) {
                uint32_t j;
                do j = (uint32_t)rng_below(samp, V);
                while (t->mark[j] == st);
                sc[k] = j;
            }
            qsort(sc, K, sizeof *sc, cmp_u32);
            float unit = (float)((double)R / K);
            for (uint32_t k = 0; k < K;) {
                uint32_t k2 = k;
                while (k2 < K && sc[k2] == sc[k]) k2++;
                sc[ns] = sc[k];
                sw[ns++] = (float)(k2 - k) * unit;
                k = k2;
            }
        }
        t->s_ptr[b + 1] = base + ns;
    }
    return 0;
}

void dae_batch_view(const dae_trainer *t, size_t i, dae_example_view *v)
{
    const sparse_csr *X = t->data;
    size_t e0 = X->rowptr[t->rows[i]];
    v->nx = X->rowptr[t->rows[i] + 1] - e0;
    v->xcol = X->col + e0;
    v->xval = X->val + e0;
    v->nxt = t->xt_ptr[i + 1] - t->xt_ptr[i];
    v->xtcol = t->xt_col + t->xt_ptr[i];
    v->xtval = t->xt_val + t->xt_ptr[i];
    v->nj = t->j_ptr[i + 1] - t->j_ptr[i];
    v->jcol = t->j_col + t->j_ptr[i];
    v->ns = t->s_ptr[i + 1] - t->s_ptr[i];
    v->scol = t->s_col + t->s_ptr[i];
    v->sw = t->s_w + t->s_ptr[i];
    v->code_noise = t->cn ? t->cn + i * t->H : NULL;
}

double dae_batch_zero_frac(const dae_trainer *t) { return t->zero_frac; }

/* ------------------------------------------------------------------------
 * gradient: encoder */

typedef struct {
    dae_trainer *t;
    double zeros[64];
} enc_job;

static void enc_act_part(void *p, int part, int nparts)
{
    enc_job *j = p;
    dae_trainer *t = j->t;
    size_t H = t->H;
    int act = t->d->cfg.act;
    size_t b0 = t->n * (size_t)part / (size_t)nparts, b1 = t->n * (size_t)(part + 1) / (size_t)nparts;
    double zeros = 0;
    for (size_t b = b0; b < b1; b++) {
        float *h = t->Hm + b * H;
        if (act == ACT_RELU) {
            uint32_t *idx = t->hidx + b * H;
            float *hv = t->hval + b * H;
            uint32_t a = 0;
            for (size_t k = 0; k < H; k++) {
                float v = h[k] > 0 ? h[k] : 0;
                h[k] = v;
                if (v != 0) idx[a] = (uint32_t)k, hv[a++] = v;
            }
            t->hcnt[b] = a;
            /* the gathered kernels pay off below about 1/6 density */
            t->hsparse[b] = (size_t)a * 6 < H;
            zeros += (double)(H - a);
        } else {
            for (size_t k = 0; k < H; k++) {
                h[k] = act_apply(act, h[k]);
                zeros += h[k] == 0;
            }
            t->hsparse[b] = 0;
            t->hcnt[b] = (uint32_t)H;
        }
    }
    j->zeros[part] = zeros;
}

/* ------------------------------------------------------------------------
 * gradient: decoder through sgemm (full reconstruction)
 *
 * Each pool thread owns a contiguous range of output rows (rows of Wd and
 * entries of c) and walks it in blocks of DAE_VBLOCK rows with OpenBLAS on
 * one thread per part: O_blk = H Wd_blk^T, the loss pass over O_blk while it
 * is in cache, dH_part += dZ_blk Wd_blk, Wd_blk += scale dZ_blk^T H.  No
 * thread waits for another until the partial dH are summed in the hidden
 * pass; a block of Wd is read from memory once for its three products. */


#define DAE_VBLOCK 256

static int need_dH(dae_trainer *t, int nth)
{
    if (t->dH && t->dH_nth >= nth) return 0;
    kern_free(t->dH);
    t->dH = kern_alloc((size_t)nth * t->cap * t->H);
    t->dH_nth = t->dH ? nth : 0;
    return t->dH ? 0 : -1;
}

static int need_gemm_work(dae_trainer *t, int nth)
{
    if (t->gO && t->g_nth >= nth) return 0;
    kern_free(t->gO);
    kern_free(t->gtw);
    free(t->gcur);
    t->gO = kern_alloc((size_t)nth * t->cap * DAE_VBLOCK);
    t->gtw = kern_alloc((size_t)nth * 2 * DAE_VBLOCK);
    t->gcur = calloc((size_t)nth * 2 * t->cap, sizeof *t->gcur);
    t->g_nth = nth;
    if (t->gO && t->gtw && t->gcur) {
        for (int p = 0; p < nth; p++)
            for (size_t k = 0; k < DAE_VBLOCK; k++)
                t->gtw[(size_t)p * 2 * DAE_VBLOCK + DAE_VBLOCK + k] = t->d->cfg.emph_b;
        return 0;
    }
    t->g_nth = 0;
    return -1;
}

typedef struct {
    dae_trainer *t;
    dae *tg;
    float scale;
    double loss[64];
} gemm_job;

/* Loss pass over the block O (n, nb) of outputs vb..vb+nb-1: O becomes
 * dZ = w * dloss/do; xc/jc are each example's cursors into its clean row
 * and its corrupted positions, moved past the block. */
static double gemm_block_loss(dae_trainer *t, float *O, size_t vb, size_t nb, float *tgt, float *wt,
                              size_t *xc, size_t *jc)
{
    const dae_config *c = &t->d->cfg;
    const sparse_csr *X = t->data;
    const float *cb = t->d->c + vb;
    uint32_t vend = (uint32_t)(vb + nb);
    double loss = 0;
    for (size_t b = 0; b < t->n; b++) {
        size_t x0 = xc[b], x1 = x0, xe = X->rowptr[t->rows[b] + 1];
        size_t j0 = jc[b], j1 = j0, je = t->j_ptr[b + 1];
        for (; x1 < xe && X->col[x1] < vend; x1++) tgt[X->col[x1] - vb] = X->val[x1];
        for (; j1 < je && t->j_col[j1] < vend; j1++) wt[t->j_col[j1] - vb] = c->emph_a;
        float *o = O + b * nb;
        if (c->recon == DAE_RECON_SIGMOID_CE) {
            loss += kern_sigmoid_ce(nb, o, cb, tgt, wt);
        } else {
            double s = 0;
            for (size_t k = 0; k < nb; k++) {
                float g;
                float l = recon_loss(c->recon, o[k] + cb[k], tgt[k], &g);
                s += wt[k] * l;
                o[k] = wt[k] * g;
            }
            loss += s;
        }
        for (size_t e = x0; e < x1; e++) tgt[X->col[e] - vb] = 0;
        for (size_t e = j0; e < j1; e++) wt[t->j_col[e] - vb] = c->emph_b;
        xc[b] = x1;
        jc[b] = j1;
    }
    return loss;
}

static void gemm_part(void *p, int part, int nparts)
{
    gemm_job *j = p;
    dae_trainer *t = j->t;
    const dae *d = t->d;
    const sparse_csr *X = t->data;
    size_t V = t->V, H = t->H, n = t->n;
    size_t v0 = V * (size_t)part / (size_t)nparts, v1 = V * (size_t)(part + 1) / (size_t)nparts;
    float *O = t->gO + (size_t)part * t->cap * DAE_VBLOCK;
    float *tgt = t->gtw + (size_t)part * 2 * DAE_VBLOCK, *wt = tgt + DAE_VBLOCK;
    size_t *xc = t->gcur + (size_t)part * 2 * t->cap, *jc = xc + t->cap;
    float *dH = t->dH + (size_t)part * t->cap * H;
    /* cursors at the first entry at or after row v0 */
    for (size_t b = 0; b < n; b++) {
        size_t e = X->rowptr[t->rows[b]], xe = X->rowptr[t->rows[b] + 1];
        while (e < xe && X->col[e] < v0) e++;
        xc[b] = e;
        e = t->j_ptr[b];
        while (e < t->j_ptr[b + 1] && t->j_col[e] < v0) e++;
        jc[b] = e;
    }
    if (v0 == v1) memset(dH, 0, n * H * sizeof(float));
    double loss = 0;
    for (size_t vb = v0; vb < v1; vb += DAE_VBLOCK) {
        size_t nb = v1 - vb < DAE_VBLOCK ? v1 - vb : DAE_VBLOCK;
        const float *Wb = d->Wd + vb * H;
        /* O (n,nb) = H Wd_blk^T */
        kern_sgemm(0, 1, (int)n, (int)nb, (int)H, 1, t->Hm, (int)H, Wb, (int)H, 0, O, (int)nb);
        loss += gemm_block_loss(t, O, vb, nb, tgt, wt, xc, jc);
        /* c_blk += scale colsum(dZ), after the block's loss has read c */
        for (size_t b = 0; b < n; b++) kern_axpy(nb, j->scale, O + b * nb, j->tg->c + vb);
        /* dH += dZ_blk Wd_blk, before the block changes */
        kern_sgemm(0, 0, (int)n, (int)H, (int)nb, 1, O, (int)nb, Wb, (int)H, vb == v0 ? 0 : 1, dH,
                   (int)H);
        /* Wd_blk += scale dZ_blk^T H */
        kern_sgemm(1, 0, (int)nb, (int)H, (int)n, j->scale, O, (int)nb, t->Hm, (int)H, 1,
                   j->tg->Wd + vb * H, (int)H);
    }
    j->loss[part] = loss;
}

/* Returns the loss; the nth partial dH are left for the hidden pass. */
static double decode_gemm(dae_trainer *t, dae *tg, float scale, int nth)
{
    if (need_dH(t, nth) != 0 || need_gemm_work(t, nth) != 0) return -1;
    gemm_job j;
    memset(&j, 0, sizeof j);
    j.t = t;
    j.tg = tg;
    j.scale = scale;
    kern_parallel_blas(gemm_part, &j);
    double loss = 0;
    for (int p = 0; p < nth; p++) loss += j.loss[p];
    return loss;
}

/* ------------------------------------------------------------------------
 * gradient: decoder by output rows (sampling, observed-only, or forced) */

/* Per-example output lists (column, target, weight) into fj/fx/fw. */
static int build_outputs(dae_trainer *t)
{
    const dae_config *c = &t->d->cfg;
    const sparse_csr *X = t->data;
    uint32_t V = t->V;
    int full = c->sample_zeros == 0 && !c->observed_only;
    size_t total = 0;
    t->fptr[0] = 0;
    for (size_t b = 0; b < t->n; b++) {
        size_t e0 = X->rowptr[t->rows[b]], e1 = X->rowptr[t->rows[b] + 1];
        size_t bound = full ? V
                       : c->observed_only
                           ? e1 - e0
                           : (e1 - e0) + (t->xt_ptr[b + 1] - t->xt_ptr[b]) +
                                 (t->j_ptr[b + 1] - t->j_ptr[b]) + (t->s_ptr[b + 1] - t->s_ptr[b]);
        size_t c1 = t->p_cap, c2 = t->p_cap, c3 = t->p_cap;
        if (grow((void **)&t->fj, &c1, total + bound, sizeof *t->fj) != 0 ||
            grow((void **)&t->fx, &c2, total + bound, sizeof *t->fx) != 0 ||
            grow((void **)&t->fw, &c3, total + bound, sizeof *t->fw) != 0)
            return -1;
        /* keep the pair arrays in step with the flat ones */
        size_t d1 = t->p_cap, d2 = t->p_cap, d3 = t->p_cap, d4 = t->p_cap;
        if (grow((void **)&t->pb, &d1, total + bound, sizeof *t->pb) != 0 ||
            grow((void **)&t->px, &d2, total + bound, sizeof *t->px) != 0 ||
            grow((void **)&t->pw, &d3, total + bound, sizeof *t->pw) != 0 ||
            grow((void **)&t->pg, &d4, total + bound, sizeof *t->pg) != 0)
            return -1;
        size_t m = c1;
        if (c2 < m) m = c2;
        if (c3 < m) m = c3;
        if (d1 < m) m = d1;
        if (d2 < m) m = d2;
        if (d3 < m) m = d3;
        if (d4 < m) m = d4;
        t->p_cap = m;
        uint32_t *oj = t->fj + total;
        float *ox = t->fx + total, *ow = t->fw + total;
        size_t k = 0;
        const uint32_t *xc = X->col + e0;
        const float *xv = X->val + e0;
        size_t nx = e1 - e0;
        const uint32_t *jc = t->j_col + t->j_ptr[b];
        size_t nj = t->j_ptr[b + 1] - t->j_ptr[b];
        if (full) {
            size_t i = 0, q = 0;
            for (uint32_t j = 0; j < V; j++) {
                float x = 0, w = c->emph_b;
                if (i < nx && xc[i] == j) x = xv[i++];
                if (q < nj && jc[q] == j) w = c->emph_a, q++;
                oj[k] = j, ox[k] = x, ow[k++] = w;
            }
        } else if (c->observed_only) {
            size_t q = 0;
            for (size_t i = 0; i < nx; i++) {
                while (q < nj && jc[q] < xc[i]) q++;
                oj[k] = xc[i], ox[k] = xv[i];
                ow[k++] = q < nj && jc[q] == xc[i] ? c->emph_a : c->emph_b;
            }
        } else {
            /* 4-way merge: nz(x), nz(x~), J (when emphasised), samples */
            if (c->emph_a == c->emph_b) nj = 0;
            const uint32_t *tc = t->xt_col + t->xt_ptr[b];
            size_t nt = t->xt_ptr[b + 1] - t->xt_ptr[b];
            const uint32_t *sc = t->s_col + t->s_ptr[b];
            const float *sw = t->s_w + t->s_ptr[b];
            size_t ns = t->s_ptr[b + 1] - t->s_ptr[b];
            size_t i = 0, u = 0, q = 0, s = 0;
            for (;;) {
                uint32_t j = UINT32_MAX;
                if (i < nx && xc[i] < j) j = xc[i];
                if (u < nt && tc[u] < j) j = tc[u];
                if (q < nj && jc[q] < j) j = jc[q];
                if (s < ns && sc[s] < j) j = sc[s];
                if (j == UINT32_MAX) break;
                float x = 0, w = c->emph_b;
                if (i < nx && xc[i] == j) x = xv[i++];
                if (u < nt && tc[u] == j) u++;
                if (q < nj && jc[q] == j) w = c->emph_a, q++;
                if (s < ns && sc[s] == j) w = c->emph_b * sw[s++];
                oj[k] = j, ox[k] = x, ow[k++] = w;
            }
        }
        total += k;
        t->fptr[b + 1] = total;
    }
    /* group by output row (counting sort, examples in increasing order) */
    memset(t->pj, 0, (V + 1) * sizeof *t->pj);
    for (size_t p = 0; p < total; p++) t->pj[t->fj[p] + 1]++;
    for (uint32_t j = 0; j < V; j++) t->pj[j + 1] += t->pj[j];
    for (size_t b = 0; b < t->n; b++)
        for (size_t p = t->fptr[b]; p < t->fptr[b + 1]; p++) {
            size_t s = t->pj[t->fj[p]]++;
            t->pb[s] = (uint32_t)b, t->px[s] = t->fx[p], t->pw[s] = t->fw[p];
        }
    for (uint32_t j = V; j > 0; j--) t->pj[j] = t->pj[j - 1];
    t->pj[0] = 0;
    return 0;
}

/* The row kernel takes the output rows in groups of DAE_ROWS_GROUP:
 *   forward, by row: o_jb = Wd_j . h_b for the examples b that use row j,
 *     four examples per pass over the row; loss and g_jb = w dloss/do;
 *   backward, by example: dH_b += sum_j g_jb Wd_j over the rows of the
 *     group that b uses (about 32 x 11% of them at batch 100), four rows per
 *     pass over dH_b, with the rows as they were;
 *   update, by row: Wd_j += scale sum_b g_jb h_b, four examples per pass,
 *     and c_j.
 * Each pass reads several vectors for the one it writes, and the group's
 * rows (32 x 20 KB at H = 5000) stay in cache between the three steps.
 * Examples whose rectifier layer is sparse use their active units only. */
#define DAE_ROWS_GROUP 32

static int need_rows_work(dae_trainer *t, int nth)
{
    if (t->ghead && t->r_nth >= nth) return 0;
    free(t->ghead);
    free(t->gnext);
    free(t->growof);
    t->ghead = malloc((size_t)nth * t->cap * sizeof *t->ghead);
    t->gnext = malloc((size_t)nth * DAE_ROWS_GROUP * t->cap * sizeof *t->gnext);
    t->growof = malloc((size_t)nth * DAE_ROWS_GROUP * t->cap * sizeof *t->growof);
    t->r_nth = nth;
    if (!t->ghead || !t->gnext || !t->growof) {
        t->r_nth = 0;
        return -1;
    }
    for (size_t i = 0; i < (size_t)nth * t->cap; i++) t->ghead[i] = -1;
    return 0;
}

typedef struct {
    dae_trainer *t;
    dae *tg;
    float scale;
    size_t bounds[65];
    double loss[64];
} rows_job;

/* forward and loss of output row j: pg[e] = w_e * dloss/do for its pairs */
static double row_forward(dae_trainer *t, size_t j)
{
    const dae *d = t->d;
    int recon = d->cfg.recon;
    size_t H = t->H, p0 = t->pj[j], p1 = t->pj[j + 1];
    const float *row = d->Wd + j * H;
    float cj = d->c[j];
    double loss = 0;
    size_t q[4];
    int nq = 0;
    for (size_t e = p0; e <= p1; e++) {
        if (e < p1) {
            uint32_t b = t->pb[e];
            if (t->hsparse[b]) {
                float o = cj + kern_dot_gather(t->hcnt[b], t->hidx + (size_t)b * H,
                                               t->hval + (size_t)b * H, row);
                float g;
                loss += (double)t->pw[e] * recon_loss(recon, o, t->px[e], &g);
                t->pg[e] = t->pw[e] * g;
                continue;
            }
            q[nq++] = e;
        }
        if (nq == 4 || (e == p1 && nq > 0)) {
            float o[4];
            if (nq == 4) {
                const float *y[4] = {t->Hm + t->pb[q[0]] * H, t->Hm + t->pb[q[1]] * H,
                                     t->Hm + t->pb[q[2]] * H, t->Hm + t->pb[q[3]] * H};
                kern_dot4(H, row, y, o);
            } else {
                for (int i = 0; i < nq; i++) o[i] = kern_dot(H, row, t->Hm + t->pb[q[i]] * H);
            }
            for (int i = 0; i < nq; i++) {
                float g;
                loss += (double)t->pw[q[i]] * recon_loss(recon, o[i] + cj, t->px[q[i]], &g);
                t->pg[q[i]] = t->pw[q[i]] * g;
            }
            nq = 0;
        }
    }
    return loss;
}

/* dH_b += sum_j g_jb Wd_j over the rows j0..j1-1, example by example;
 * head/next/rowof: scratch for the per-example lists */
static void rows_backward(dae_trainer *t, size_t j0, size_t j1, float *dH, int32_t *head,
                          int32_t *next, uint32_t *rowof)
{
    size_t H = t->H, e0 = t->pj[j0];
    const float *Wd = t->d->Wd;
    /* per-example lists of the pairs with g != 0, in increasing row order */
    for (size_t j = j1; j-- > j0;)
        for (size_t e = t->pj[j + 1]; e-- > t->pj[j];) {
            if (t->pg[e] == 0) continue;
            uint32_t b = t->pb[e];
            next[e - e0] = head[b];
            head[b] = (int32_t)(e - e0);
            rowof[e - e0] = (uint32_t)j;
        }
    for (uint32_t b = 0; b < t->n; b++) {
        if (head[b] < 0) continue;
        float *dh = dH + (size_t)b * H;
        if (t->hsparse[b]) {
            const uint32_t *idx = t->hidx + (size_t)b * H;
            for (int32_t q = head[b]; q >= 0; q = next[q]) {
                float g = t->pg[e0 + (size_t)q];
                const float *w = Wd + (size_t)rowof[q] * H;
                for (uint32_t i = 0; i < t->hcnt[b]; i++) dh[idx[i]] += g * w[idx[i]];
            }
            head[b] = -1;
            continue;
        }
        float a[4];
        const float *x[4];
        int na = 0;
        for (int32_t q = head[b]; q >= 0; q = next[q]) {
            a[na] = t->pg[e0 + (size_t)q];
            x[na++] = Wd + (size_t)rowof[q] * H;
            if (na == 4) kern_axpy4(H, a, x, dh), na = 0;
        }
        if (na == 1) {
            kern_axpy(H, a[0], x[0], dh);
        } else if (na > 1) {
            for (int r = na; r < 4; r++) a[r] = 0, x[r] = x[0];  /* zero coefficients */
            kern_axpy4(H, a, x, dh);
        }
        head[b] = -1;
    }
}

/* target row j += scale * sum_b g_b h_b; target c_j += scale * sum_b g_b */
static void row_update(dae_trainer *t, size_t j, dae *tg, float scale)
{
    size_t H = t->H;
    float *trow = tg->Wd + j * H;
    float gs = 0;
    float a[4];
    const float *x[4];
    int na = 0;
    for (size_t e = t->pj[j]; e < t->pj[j + 1]; e++) {
        float g = t->pg[e];
        gs += g;
        if (g == 0) continue;
        uint32_t b = t->pb[e];
        if (t->hsparse[b]) {
            kern_axpy_scatter(t->hcnt[b], scale * g, t->hidx + (size_t)b * H, t->hval + (size_t)b * H,
                              trow);
            continue;
        }
        a[na] = scale * g;
        x[na++] = t->Hm + (size_t)b * H;
        if (na == 4) {
            kern_axpy4(H, a, x, trow);
            na = 0;
        }
    }
    for (int i = 0; i < na; i++) kern_axpy(H, a[i], x[i], trow);
    tg->c[j] += scale * gs;
}

static void rows_part(void *p, int part, int nparts)
{
    (void)nparts;
    rows_job *rj = p;
    dae_trainer *t = rj->t;
    float *dH = t->dH + (size_t)part * t->cap * t->H;
    int32_t *head = t->ghead + (size_t)part * t->cap;
    int32_t *next = t->gnext + (size_t)part * DAE_ROWS_GROUP * t->cap;
    uint32_t *rowof = t->growof + (size_t)part * DAE_ROWS_GROUP * t->cap;
    double loss = 0;
    size_t j1 = rj->bounds[part + 1];
    /* a row is never read after its update in this batch */
    for (size_t j = rj->bounds[part]; j < j1; j += DAE_ROWS_GROUP) {
        size_t je = j1 - j < DAE_ROWS_GROUP ? j1 : j + DAE_ROWS_GROUP;
        for (size_t r = j; r < je; r++) loss += row_forward(t, r);
        rows_backward(t, j, je, dH, head, next, rowof);
        for (size_t r = j; r < je; r++) row_update(t, r, rj->tg, rj->scale);
    }
    rj->loss[part] = loss;
}

/* Returns the loss; the nth partial dH are left for the hidden pass. */
static double decode_rows(dae_trainer *t, dae *tg, float scale, int nth)
{
    if (build_outputs(t) != 0 || need_dH(t, nth) != 0 || need_rows_work(t, nth) != 0) return -1;
    for (int p = 0; p < nth; p++) memset(t->dH + (size_t)p * t->cap * t->H, 0, t->n * t->H * sizeof(float));
    rows_job rj;
    memset(&rj, 0, sizeof rj);
    rj.t = t;
    rj.tg = tg;
    rj.scale = scale;
    /* split output rows by their pair counts plus a fixed cost per row */
    kern_split(t->V, t->pj, nth, rj.bounds);
    if (nth == 1)
        rows_part(&rj, 0, 1);
    else
        kern_parallel(rows_part, &rj);
    double loss = 0;
    for (int p = 0; p < nth; p++) loss += rj.loss[p];
    return loss;
}

/* ------------------------------------------------------------------------
 * gradient: hidden layer and encoder */

typedef struct {
    dae_trainer *t;
    int nparts;            /* partial dH buffers to add (in order) */
    double l1[64];
} hid_job;

/* dA = (dH + l1 sign(h)) act'(h), written into dH (part 0) after adding the
 * decoder's partial dH in part order; the L1 term summed */
static void hidden_part(void *p, int part, int nparts)
{
    hid_job *j = p;
    dae_trainer *t = j->t;
    const dae_config *c = &t->d->cfg;
    size_t H = t->H, stride = t->cap * H;
    float l1 = c->l1;
    size_t b0 = t->n * (size_t)part / (size_t)nparts, b1 = t->n * (size_t)(part + 1) / (size_t)nparts;
    double pen = 0;
    for (size_t b = b0; b < b1; b++) {
        const float *h = t->Hm + b * H;
        float *g = t->dH + b * H;
        for (int q = 1; q < j->nparts; q++) kern_axpy(H, 1, g + (size_t)q * stride, g);
        for (size_t k = 0; k < H; k++) {
            float hk = h[k];
            float s = hk > 0 ? 1.0f : hk < 0 ? -1.0f : 0.0f;
            pen += fabsf(hk);
            g[k] = (g[k] + l1 * s) * act_grad(c->act, hk);
        }
    }
    j->l1[part] = pen * l1;
}

double dae_batch_grad(dae_trainer *t, dae *tg, float scale)
{
    const dae *d = t->d;
    size_t n = t->n, H = t->H;
    if (n == 0) return 0;
    int nth = kern_nthreads();
    if (nth > 64) nth = 64;
    /* encoder: Hm = act(b + X~ W) */
    for (size_t b = 0; b < n; b++) memcpy(t->Hm + b * H, d->b, H * sizeof(float));
    if (kern_csc_build(&t->csc, n, t->xt_ptr, t->xt_col, t->xt_val, t->V, t->cwork) != 0) return -1;
    kern_spmm_csc(&t->csc, d->W, H, t->Hm);
    if (t->cn)
        for (size_t i = 0; i < n * H; i++) t->Hm[i] += t->cn[i];
    enc_job ej;
    memset(&ej, 0, sizeof ej);
    ej.t = t;
    kern_parallel(enc_act_part, &ej);
    double zeros = 0;
    for (int p = 0; p < nth; p++) zeros += ej.zeros[p];
    t->zero_frac = zeros / ((double)n * H);
    /* decoder: sgemm over blocks of output rows for full reconstruction of
     * DAE_GEMM_MIN_BATCH examples or more; below that the sgemm calls are
     * dominated by packing the weights, and the row kernel, which reads
     * each decoder row once for the whole batch, is faster.  Sampled or
     * observed-only outputs always take the row kernel. */
    int full = !d->cfg.sample_zeros && !d->cfg.observed_only;
    int gemm = full && (t->kernel == DAE_KERNEL_GEMM ||
                        (t->kernel == DAE_KERNEL_AUTO && n >= DAE_GEMM_MIN_BATCH));
    double loss = gemm ? decode_gemm(t, tg, scale, nth) : decode_rows(t, tg, scale, nth);
    if (loss < 0) return loss;
    /* hidden */
    hid_job hj;
    memset(&hj, 0, sizeof hj);
    hj.t = t;
    hj.nparts = nth;
    kern_parallel(hidden_part, &hj);
    for (int p = 0; p < nth; p++) loss += hj.l1[p];
    /* b += scale sum_b dA;  W[j,:] += scale sum_b x~_bj dA_b */
    for (size_t b = 0; b < n; b++) kern_axpy(H, scale, t->dH + b * H, tg->b);
    kern_spmm_tn(&t->csc, scale, t->dH, H, tg->W);
    return loss;
}

/* ------------------------------------------------------------------------
 * the layer as a training task (lib/train) */

static double task_step(void *self, const size_t *rows, size_t n, float lr, params *g, double *acc)
{
    dae_trainer *t = self;
    if (dae_batch_corrupt(t, rows, n, &t->noise) != 0 || dae_batch_sample(t, &t->samp) != 0) return -1;
    double l;
    if (g) {
        /* the gradient of the mean objective, into a layer viewing g */
        dae gd = *t->d;
        gd.par = *g;
        gd.W = params_at(g, 0);
        gd.b = params_at(g, 1);
        gd.c = params_at(g, 2);
        gd.scale = params_at(g, 3);
        gd.Wd = t->d->cfg.tied ? gd.W : params_at(g, 4);
        l = dae_batch_grad(t, &gd, 1.0f / (float)n);
    } else {
        l = dae_batch_grad(t, t->d, -lr / (float)n);
    }
    acc[0] += t->zero_frac * (double)n;
    return l;
}

static double task_valid(void *self, const sparse_csr *data)
{
    dae_trainer *t = self;
    double l = dae_recon_loss(t->d, data, NULL);
    return l < 0 ? l : l / (double)data->rows;
}

static void task_columns(void *self, const double *acc, size_t rows, size_t batches, double *pre, double *post)
{
    (void)self, (void)batches, (void)pre;
    post[0] = rows ? acc[0] / (double)rows : 0;
}

void dae_task(dae_trainer *t, uint64_t seed, train_task *task)
{
    memset(task, 0, sizeof *task);
    rng_seed(&t->noise, seed, 2);
    rng_seed(&t->samp, seed, 3);
    task->self = t;
    task->par = &t->d->par;
    task->step = task_step;
    task->valid = task_valid;
    task->nacc = 1;
    task->npost = 1;
    task->post[0] = "zero_frac";
    task->valid_name = "valid_loss";
    task->valid_label = "validation loss";
    task->columns = task_columns;
    task->input_rows = t->d->cfg.noise == DAE_NOISE_NONE || t->d->cfg.noise == DAE_NOISE_MASK;
    task->nrng = 2;
    task->rng[0] = &t->noise;
    task->rng[1] = &t->samp;
    task->rng_name[0] = "noise";
    task->rng_name[1] = "samp";
}
