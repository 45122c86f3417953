/* stack.c - the deep autoencoder of stacked layers (see stack.h): forward,
 * the sparse loss, backward through decoders and encoders, SGD through the
 * training driver.  Dense products go through kern_sgemm, the sparse input
 * layer through kern_spmm / kern_spmm_tn, and the output layer under
 * observed-only only over the known entries. */
#include "stack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"

/* g' of a reconstruction's output function, through its value */
#define g_out dae_recon_out

static inline float g_grad(int recon, float r)
{
    switch (recon) {
    case DAE_RECON_SIGMOID_CE: return r * (1 - r);
    case DAE_RECON_LINEAR_SE: return 1;
    case DAE_RECON_SOFTPLUS_SE: return -expm1f(-r);
    default: return r > 0 ? 1.0f : 0.0f;
    }
}

/* ------------------------------------------------------------------------
 * construction */

#define NV 5 /* views per layer: W, b, c, s (scale, fixed), D (decoder) */

static int layout(stack *s, char *err, size_t errlen)
{
    params *p = &s->par;
    for (int l = 0; l < s->L; l++) {
        const dae_config *c = &s->layer[l]->cfg;
        char nm[5][16];
        const char *base[5] = {"W", "b", "c", "s", "D"};
        for (int k = 0; k < 5; k++) snprintf(nm[k], 16, "%s%d", base[k], l + 1);
        if (params_add(p, nm[0], c->in_dim, c->hidden, PARAM_WEIGHT) < 0 || params_add(p, nm[1], 1, c->hidden, 0) < 0 ||
            params_add(p, nm[2], 1, c->in_dim, 0) < 0 || params_add(p, nm[3], 1, c->hidden, PARAM_FIXED) < 0 ||
            params_add(p, nm[4], c->in_dim, c->hidden, PARAM_WEIGHT) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    if (params_alloc(p) < 0) {
        snprintf(err, errlen, "out of memory for the stack's parameters");
        return -1;
    }
    for (int l = 0; l < s->L; l++) {
        dae *d = s->layer[l];
        d->W = params_at(p, NV * l);
        d->b = params_at(p, NV * l + 1);
        d->c = params_at(p, NV * l + 2);
        d->scale = params_at(p, NV * l + 3);
        d->Wd = params_at(p, NV * l + 4);
    }
    return 0;
}

static stack *alloc_stack(int L, const dae_config *const *cfgs, const dae_config *cfg, char *err, size_t errlen)
{
    if (L < 1 || L > 64) {
        snprintf(err, errlen, "a stack has 1 to 64 layers, not %d", L);
        return NULL;
    }
    for (int l = 0; l < L; l++) {
        if (cfgs[l]->tied) {
            snprintf(err, errlen, "layer %d is tied; a stack needs decoders of its own", l + 1);
            return NULL;
        }
        if (l > 0 && cfgs[l]->in_dim != cfgs[l - 1]->hidden) {
            snprintf(err, errlen, "layer %d takes %u inputs, layer %d has %u units", l + 1, cfgs[l]->in_dim, l,
                     cfgs[l - 1]->hidden);
            return NULL;
        }
    }
    stack *s = calloc(1, sizeof *s);
    if (!s || !(s->layer = calloc((size_t)L, sizeof *s->layer))) goto oom;
    s->L = L;
    for (int l = 0; l < L; l++) {
        if (!(s->layer[l] = calloc(1, sizeof **s->layer))) goto oom;
        s->layer[l]->cfg = *cfgs[l];
        s->layer[l]->in_scale = 1;
    }
    s->cfg = *cfg;
    s->cfg.in_dim = cfgs[0]->in_dim;
    s->cfg.hidden = cfgs[0]->hidden;
    s->cfg.recon = cfgs[0]->recon;
    s->cfg.tied = 0;
    s->cfg.sample_zeros = 0;
    if (layout(s, err, errlen) < 0) {
        stack_free(s);
        return NULL;
    }
    return s;
oom:
    snprintf(err, errlen, "out of memory");
    stack_free(s);
    return NULL;
}

stack *stack_new(dae *const *layers, int L, const dae_config *cfg, char *err, size_t errlen)
{
    const dae_config *cfgs[64] = {0};
    if (L < 1 || L > 64) {
        snprintf(err, errlen, "a stack has 1 to 64 layers, not %d", L);
        return NULL;
    }
    for (int l = 0; l < L; l++) cfgs[l] = &layers[l]->cfg;
    stack *s = alloc_stack(L, cfgs, cfg, err, errlen);
    if (!s) return NULL;
    for (int l = 0; l < L; l++) {
        const dae *src = layers[l];
        dae *d = s->layer[l];
        size_t VH = (size_t)d->cfg.in_dim * d->cfg.hidden;
        /* the input scale of a layer is folded into its encoder */
        for (size_t i = 0; i < VH; i++) d->W[i] = src->W[i] * src->in_scale;
        memcpy(d->Wd, src->Wd, VH * sizeof(float));
        memcpy(d->b, src->b, d->cfg.hidden * sizeof(float));
        memcpy(d->c, src->c, d->cfg.in_dim * sizeof(float));
        for (uint32_t k = 0; k < d->cfg.hidden; k++) d->scale[k] = 1;
    }
    memcpy(s->vocab, layers[0]->vocab, sizeof s->vocab);
    return s;
}

void stack_free(stack *s)
{
    if (!s) return;
    for (int l = 0; s->layer && l < s->L; l++) free(s->layer[l]);
    free(s->layer);
    params_free(&s->par);
    free(s);
}

model *stack_to_model(const stack *s, const char *cmdline)
{
    model *m = model_new(MODEL_KIND_STACK);
    if (!m || model_set_cmdline(m, cmdline) < 0 || model_set_vocab(m, s->vocab) < 0) goto fail;
    for (int l = 0; l < s->L; l++) {
        const dae *d = s->layer[l];
        model_layer ls;
        memset(&ls, 0, sizeof ls);
        ls.in_dim = d->cfg.in_dim;
        ls.out_dim = d->cfg.hidden;
        ls.act = (uint32_t)d->cfg.act;
        ls.recon = (uint32_t)d->cfg.recon;
        /* the fine-tuning's noise and loss settings, on the outer layer */
        const dae_config *c = l == 0 ? &s->cfg : &d->cfg;
        ls.noise = (uint32_t)c->noise;
        ls.noise_level = c->noise_level;
        ls.emph_a = c->emph_a;
        ls.emph_b = c->emph_b;
        ls.l1 = c->l1;
        ls.flags = c->observed_only ? MODEL_FLAG_OBSERVED_ONLY : 0;
        ls.in_scale = 1;
        model_layer *ml = model_add_layer(m, &ls);
        uint32_t V = d->cfg.in_dim, H = d->cfg.hidden;
        if (!ml || model_add_tensor_ref(ml, "W", V, H, d->W) < 0 || model_add_tensor_ref(ml, "b", 1, H, d->b) < 0 ||
            model_add_tensor_ref(ml, "c", 1, V, d->c) < 0 || model_add_tensor_ref(ml, "scale", 1, H, d->scale) < 0 ||
            model_add_tensor_ref(ml, "Wd", V, H, d->Wd) < 0)
            goto fail;
    }
    return m;
fail:
    model_free(m);
    return NULL;
}

stack *stack_from_model(const model *m, char *err, size_t errlen)
{
    if (m->kind != MODEL_KIND_STACK) {
        snprintf(err, errlen, "a %s model, not a stack", model_kind_name(m->kind));
        return NULL;
    }
    int L = (int)m->nlayers;
    if (L < 1 || L > 64) {
        snprintf(err, errlen, "a stack of %d layers", L);
        return NULL;
    }
    dae_config cf[64];
    const dae_config *cfgs[64] = {0};
    for (int l = 0; l < L; l++) {
        const model_layer *ml = &m->layers[l];
        dae_config *c = &cf[l];
        memset(c, 0, sizeof *c);
        c->in_dim = ml->in_dim;
        c->hidden = ml->out_dim;
        c->act = (int)ml->act;
        c->recon = (int)ml->recon;
        c->noise = (int)ml->noise;
        c->noise_level = ml->noise_level;
        c->emph_a = ml->emph_a;
        c->emph_b = ml->emph_b;
        c->l1 = ml->l1;
        c->observed_only = (ml->flags & MODEL_FLAG_OBSERVED_ONLY) != 0;
        c->tied = (ml->flags & MODEL_FLAG_TIED) != 0;
        const char *why = dae_config_check(c);
        if (why) {
            snprintf(err, errlen, "layer %d: %s", l + 1, why);
            return NULL;
        }
        const model_tensor *W = model_find(ml, "W");
        if (!W || W->rows != c->in_dim || W->cols != c->hidden) {
            snprintf(err, errlen, "layer %d: tensor W missing or not %u x %u", l + 1, c->in_dim, c->hidden);
            return NULL;
        }
        cfgs[l] = c;
    }
    stack *s = alloc_stack(L, cfgs, cfgs[0], err, errlen);
    if (!s) return NULL;
    for (int l = 0; l < L; l++) {
        char pfx[8];
        params one = {0};
        /* the layer's five views, as a layer model names them */
        const char *names[5] = {"W", "b", "c", "scale", "Wd"};
        for (int k = 0; k < 5; k++) {
            const param_view *v = &s->par.v[NV * l + k];
            params_add(&one, names[k], v->rows, v->cols, v->flags);
        }
        int rc = params_alloc(&one);
        if (rc == 0) rc = params_from_layer(&one, &m->layers[l], NULL, 1, err, errlen);
        if (rc == 0)
            for (int k = 0; k < 5; k++)
                memcpy(params_at(&s->par, NV * l + k), params_at(&one, k),
                       (size_t)one.v[k].rows * one.v[k].cols * sizeof(float));
        params_free(&one);
        (void)pfx;
        if (rc < 0) {
            char keep[MODEL_ERR_LEN];
            snprintf(keep, sizeof keep, "%s", err);
            snprintf(err, errlen, "layer %d: %s", l + 1, keep);
            stack_free(s);
            return NULL;
        }
    }
    memcpy(s->vocab, m->vocab, sizeof s->vocab);
    return s;
}

/* ------------------------------------------------------------------------
 * workspace */

struct stack_ws {
    size_t maxb;
    float **h;       /* layer l's code (maxb, H_l) */
    float **r;       /* decoder outputs r_l, l = 2..L: (maxb, in_l), index l-1 */
    float **dh, **dr;
    float *o;        /* (maxb, V) full outputs */
    float *tg, *wt;  /* (maxb, V) targets and weights, full reconstruction */
    kern_csc csc;
    uint32_t *cwork;
    size_t *xptr;    /* the (corrupted) input batch */
    uint32_t *xcol;
    float *xval;
    size_t xcap;
    int L;
    dae cor_d;       /* layer 1's shape with the stack's noise, for cor */
    dae_trainer *cor;/* corruption of the input */
    const sparse_csr *src; /* the data cor was made for */
};

stack_ws *stack_ws_new(const stack *s, size_t maxb)
{
    stack_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    int L = s->L;
    w->maxb = maxb;
    w->L = L;
    w->h = calloc((size_t)L, sizeof *w->h);
    w->dh = calloc((size_t)L, sizeof *w->dh);
    w->r = calloc((size_t)L, sizeof *w->r);
    w->dr = calloc((size_t)L, sizeof *w->dr);
    if (!w->h || !w->dh || !w->r || !w->dr) goto fail;
    for (int l = 0; l < L; l++) {
        size_t H = s->layer[l]->cfg.hidden, in = s->layer[l]->cfg.in_dim;
        if (!(w->h[l] = kern_alloc(maxb * H)) || !(w->dh[l] = kern_alloc(maxb * H))) goto fail;
        if (l > 0 && (!(w->r[l] = kern_alloc(maxb * in)) || !(w->dr[l] = kern_alloc(maxb * in)))) goto fail;
    }
    size_t V = s->cfg.in_dim;
    if (!(w->o = kern_alloc(maxb * V)) || !(w->tg = kern_alloc(maxb * V)) || !(w->wt = kern_alloc(maxb * V)) ||
        !(w->cwork = calloc(V, sizeof *w->cwork)) || !(w->xptr = calloc(maxb + 1, sizeof *w->xptr)))
        goto fail;
    return w;
fail:
    stack_ws_free(w);
    return NULL;
}

void stack_ws_free(stack_ws *w)
{
    if (!w) return;
    for (int l = 0; l < w->L; l++) {
        if (w->h) kern_free(w->h[l]);
        if (w->dh) kern_free(w->dh[l]);
        if (w->r) kern_free(w->r[l]);
        if (w->dr) kern_free(w->dr[l]);
    }
    free(w->h);
    free(w->dh);
    free(w->r);
    free(w->dr);
    kern_free(w->o);
    kern_free(w->tg);
    kern_free(w->wt);
    kern_csc_free(&w->csc);
    free(w->cwork);
    free(w->xptr);
    free(w->xcol);
    free(w->xval);
    dae_trainer_free(w->cor);
    free(w);
}

/* Encoders then decoders for the R rows of w->x*: w->h[l], w->r[l] (r_2
 * ends in w->r[1]; with one layer the output reads h_1). */
static void forward(const stack *s, stack_ws *w, size_t R)
{
    int L = s->L;
    for (int l = 0; l < L; l++) {
        const dae *d = s->layer[l];
        size_t H = d->cfg.hidden, in = d->cfg.in_dim;
        float *h = w->h[l];
        for (size_t b = 0; b < R; b++) memcpy(h + b * H, d->b, H * sizeof(float));
        if (l == 0)
            kern_spmm(R, w->xptr, w->xcol, w->xval, d->W, H, h);
        else
            kern_sgemm(0, 0, (int)R, (int)H, (int)in, 1, w->h[l - 1], (int)in, d->W, (int)H, 1, h, (int)H);
        act_vec(d->cfg.act, h, R * H);
    }
    for (int l = L - 1; l >= 1; l--) {
        const dae *d = s->layer[l];
        size_t H = d->cfg.hidden, in = d->cfg.in_dim;
        const float *top = l == L - 1 ? w->h[l] : w->r[l + 1];
        float *r = w->r[l];
        for (size_t b = 0; b < R; b++) memcpy(r + b * in, d->c, in * sizeof(float));
        kern_sgemm(0, 1, (int)R, (int)in, (int)H, 1, top, (int)H, d->Wd, (int)H, 1, r, (int)in);
        for (size_t i = 0; i < R * in; i++) r[i] = g_out(d->cfg.recon, r[i]);
    }
}

/* the code that feeds the output layer (r_2, or h_1 for one layer) */
static const float *top_code(const stack *s, const stack_ws *w) { return s->L > 1 ? w->r[1] : w->h[0]; }

static int load_rows(stack_ws *w, const sparse_csr *data, const size_t *rows, size_t R)
{
    size_t nnz = 0;
    for (size_t b = 0; b < R; b++) nnz += data->rowptr[rows[b] + 1] - data->rowptr[rows[b]];
    if (nnz > w->xcap) {
        uint32_t *c = realloc(w->xcol, nnz * sizeof *c);
        if (!c) return -1;
        w->xcol = c;
        float *v = realloc(w->xval, nnz * sizeof *v);
        if (!v) return -1;
        w->xval = v;
        w->xcap = nnz;
    }
    w->xptr[0] = 0;
    for (size_t b = 0; b < R; b++) {
        size_t a = data->rowptr[rows[b]], e = data->rowptr[rows[b] + 1];
        memcpy(w->xcol + w->xptr[b], data->col + a, (e - a) * sizeof *w->xcol);
        memcpy(w->xval + w->xptr[b], data->val + a, (e - a) * sizeof *w->xval);
        w->xptr[b + 1] = w->xptr[b] + (e - a);
    }
    return 0;
}

int stack_predict(const stack *s, stack_ws *w, size_t R, const size_t *ptr, const uint32_t *col, const float *val,
                  const size_t *wptr, const uint32_t *want, float *out)
{
    size_t nnz = ptr[R] - ptr[0];
    if (nnz > w->xcap) {
        uint32_t *c = realloc(w->xcol, nnz * sizeof *c);
        if (!c) return -1;
        w->xcol = c;
        float *v = realloc(w->xval, nnz * sizeof *v);
        if (!v) return -1;
        w->xval = v;
        w->xcap = nnz;
    }
    for (size_t b = 0; b <= R; b++) w->xptr[b] = ptr[b] - ptr[0];
    memcpy(w->xcol, col + ptr[0], nnz * sizeof *col);
    memcpy(w->xval, val + ptr[0], nnz * sizeof *val);
    forward(s, w, R);
    const dae *d = s->layer[0];
    size_t H = d->cfg.hidden;
    const float *top = top_code(s, w);
    for (size_t b = 0; b < R; b++)
        for (size_t e = wptr[b]; e < wptr[b + 1]; e++)
            out[e - wptr[0]] = d->c[want[e]] + kern_dot(H, d->Wd + (size_t)want[e] * H, top + b * H);
    return 0;
}

/* ------------------------------------------------------------------------
 * objective and gradient */

/* The output layer for the batch in w->x* (clean rows of data at rows[]
 * give the targets; J, the corrupted positions, come from the corruption
 * view): fills w->dr[0]-like gradient dtop (R, H_1), adds the output
 * layer's gradient into g's D1, c1; returns the data term. */
static double output_layer(stack *s, stack_ws *w, const sparse_csr *data, const size_t *rows, size_t R, int noisy,
                           params *g, float scale, float *dtop)
{
    const dae *d = s->layer[0];
    const dae_config *c = &s->cfg;
    size_t V = d->cfg.in_dim, H = d->cfg.hidden;
    const float *top = top_code(s, w);
    float *gD = g ? params_at(g, 4) : NULL, *gc = g ? params_at(g, 2) : NULL;
    memset(dtop, 0, R * H * sizeof *dtop);
    double loss = 0;
    if (c->observed_only) {
        /* the known entries only: a row of Wd_1 per entry */
        for (size_t b = 0; b < R; b++) {
            dae_example_view v = {0};
            if (noisy) dae_batch_view(w->cor, b, &v);
            size_t e0 = data->rowptr[rows[b]], e1 = data->rowptr[rows[b] + 1], q = 0;
            const float *hb = top + b * H;
            float *db = dtop + b * H;
            for (size_t e = e0; e < e1; e++) {
                uint32_t j = data->col[e];
                float x = data->val[e];
                while (q < v.nj && v.jcol[q] < j) q++;
                float wgt = q < v.nj && v.jcol[q] == j ? c->emph_a : c->emph_b;
                float o = d->c[j] + kern_dot(H, d->Wd + (size_t)j * H, hb), dl;
                loss += (double)wgt * dae_recon_point(c->recon, o, x, &dl);
                if (g) kern_axpy(H, wgt * dl, d->Wd + (size_t)j * H, db);
            }
        }
        if (!g) return loss;
        /* the updates after every dtop has read the rows */
        for (size_t b = 0; b < R; b++) {
            dae_example_view v = {0};
            if (noisy) dae_batch_view(w->cor, b, &v);
            size_t e0 = data->rowptr[rows[b]], e1 = data->rowptr[rows[b] + 1], q = 0;
            const float *hb = top + b * H;
            for (size_t e = e0; e < e1; e++) {
                uint32_t j = data->col[e];
                float x = data->val[e];
                while (q < v.nj && v.jcol[q] < j) q++;
                float wgt = q < v.nj && v.jcol[q] == j ? c->emph_a : c->emph_b;
                float o = d->c[j] + kern_dot(H, d->Wd + (size_t)j * H, hb), dl;
                (void)dae_recon_point(c->recon, o, x, &dl);
                kern_axpy(H, scale * wgt * dl, hb, gD + (size_t)j * H);
                gc[j] += scale * wgt * dl;
            }
        }
        return loss;
    }
    /* full reconstruction: dense products */
    float *o = w->o, *tg = w->tg, *wt = w->wt;
    for (size_t b = 0; b < R; b++) memcpy(o + b * V, d->c, V * sizeof(float));
    kern_sgemm(0, 1, (int)R, (int)V, (int)H, 1, top, (int)H, d->Wd, (int)H, 1, o, (int)V);
    memset(tg, 0, R * V * sizeof *tg);
    for (size_t i = 0; i < R * V; i++) wt[i] = c->emph_b;
    for (size_t b = 0; b < R; b++) {
        for (size_t e = data->rowptr[rows[b]]; e < data->rowptr[rows[b] + 1]; e++)
            tg[b * V + data->col[e]] = data->val[e];
        if (noisy) {
            dae_example_view v;
            dae_batch_view(w->cor, b, &v);
            for (size_t q = 0; q < v.nj; q++) wt[b * V + v.jcol[q]] = c->emph_a;
        }
    }
    for (size_t i = 0; i < R * V; i++) {
        float dl;
        loss += (double)wt[i] * dae_recon_point(c->recon, o[i], tg[i], &dl);
        o[i] = wt[i] * dl; /* dO */
    }
    if (!g) return loss;
    kern_sgemm(0, 0, (int)R, (int)H, (int)V, 1, o, (int)V, d->Wd, (int)H, 0, dtop, (int)H);
    kern_sgemm(1, 0, (int)V, (int)H, (int)R, scale, o, (int)V, top, (int)H, 1, gD, (int)H);
    for (size_t b = 0; b < R; b++) kern_axpy(V, scale, o + b * V, gc);
    return loss;
}

/* The L1 term of the codes of the last forward pass. */
static double l1_term(const stack *s, const stack_ws *w, size_t R)
{
    double pen = 0;
    for (int l = 0; l < s->L; l++)
        for (size_t i = 0; i < R * s->layer[l]->cfg.hidden; i++) pen += fabsf(w->h[l][i]);
    return s->cfg.l1 * pen;
}

/* g NULL: the objective only */
static double objective(stack *s, stack_ws *w, const sparse_csr *data, const size_t *rows, size_t R, rng_t *noise,
                        params *g, float scale)
{
    int L = s->L;
    if (R > w->maxb) R = w->maxb;
    if (noise) {
        if (!w->cor || w->src != data) {
            char err[128];
            dae_trainer_free(w->cor);
            memset(&w->cor_d, 0, sizeof w->cor_d);
            w->cor_d.cfg = s->cfg;
            w->cor = dae_trainer_new(&w->cor_d, data, w->maxb, err, sizeof err);
            w->src = data;
            if (!w->cor) return -1;
        }
        if (dae_batch_corrupt(w->cor, rows, R, noise) != 0) return -1;
        /* the corrupted rows as the input batch */
        size_t nnz = 0;
        for (size_t b = 0; b < R; b++) {
            dae_example_view v;
            dae_batch_view(w->cor, b, &v);
            nnz += v.nxt;
        }
        if (nnz > w->xcap) {
            uint32_t *c = realloc(w->xcol, nnz * sizeof *c);
            if (!c) return -1;
            w->xcol = c;
            float *vv = realloc(w->xval, nnz * sizeof *vv);
            if (!vv) return -1;
            w->xval = vv;
            w->xcap = nnz;
        }
        w->xptr[0] = 0;
        for (size_t b = 0; b < R; b++) {
            dae_example_view v;
            dae_batch_view(w->cor, b, &v);
            memcpy(w->xcol + w->xptr[b], v.xtcol, v.nxt * sizeof *w->xcol);
            memcpy(w->xval + w->xptr[b], v.xtval, v.nxt * sizeof *w->xval);
            w->xptr[b + 1] = w->xptr[b] + v.nxt;
        }
    } else if (load_rows(w, data, rows, R) < 0) {
        return -1;
    }
    forward(s, w, R);
    /* output layer: gradient of the code that feeds it */
    size_t H1 = s->layer[0]->cfg.hidden;
    float *dtop = L > 1 ? w->dr[1] : w->dh[0];
    double loss = output_layer(s, w, data, rows, R, noise != NULL, g, scale, dtop) + l1_term(s, w, R);
    (void)H1;
    if (!g) return loss;
    /* decoders l = 2..L (index l-1): r_l = g_l(top Wd_l^T + c_l) */
    for (int l = 1; l < L; l++) {
        const dae *d = s->layer[l];
        size_t H = d->cfg.hidden, in = d->cfg.in_dim;
        float *dz = w->dr[l];
        const float *r = w->r[l];
        const float *top = l == L - 1 ? w->h[l] : w->r[l + 1];
        float *dtop2 = l == L - 1 ? w->dh[l] : w->dr[l + 1];
        for (size_t i = 0; i < R * in; i++) dz[i] *= g_grad(d->cfg.recon, r[i]);
        /* the gradient below, before Wd_l changes */
        kern_sgemm(0, 0, (int)R, (int)H, (int)in, 1, dz, (int)in, d->Wd, (int)H, 0, dtop2, (int)H);
        kern_sgemm(1, 0, (int)in, (int)H, (int)R, scale, dz, (int)in, top, (int)H, 1, params_at(g, NV * l + 4), (int)H);
        float *gc = params_at(g, NV * l + 2);
        for (size_t b = 0; b < R; b++) kern_axpy(in, scale, dz + b * in, gc);
    }
    /* encoders l = L..1 */
    float l1 = s->cfg.l1;
    for (int l = L - 1; l >= 0; l--) {
        const dae *d = s->layer[l];
        size_t H = d->cfg.hidden, in = d->cfg.in_dim;
        float *da = w->dh[l];
        const float *h = w->h[l];
        for (size_t i = 0; i < R * H; i++) {
            float hk = h[i], sg = hk > 0 ? 1.0f : hk < 0 ? -1.0f : 0.0f;
            da[i] = (da[i] + l1 * sg) * act_grad(d->cfg.act, hk);
        }
        float *gb = params_at(g, NV * l + 1);
        for (size_t b = 0; b < R; b++) kern_axpy(H, scale, da + b * H, gb);
        if (l > 0) {
            /* into the code below (which feeds encoder l only), before W_l
             * changes */
            kern_sgemm(0, 1, (int)R, (int)in, (int)H, 1, da, (int)H, d->W, (int)H, 0, w->dh[l - 1], (int)in);
            kern_sgemm(1, 0, (int)in, (int)H, (int)R, scale, w->h[l - 1], (int)in, da, (int)H, 1, params_at(g, NV * l),
                       (int)H);
        } else {
            if (kern_csc_build(&w->csc, R, w->xptr, w->xcol, w->xval, (uint32_t)in, w->cwork) != 0) return -1;
            kern_spmm_tn(&w->csc, scale, da, H, params_at(g, 0));
        }
    }
    return loss;
}

double stack_grad(stack *s, stack_ws *w, const sparse_csr *data, const size_t *rows, size_t R, rng_t *noise,
                  params *g, float scale)
{
    return objective(s, w, data, rows, R, noise, g, scale);
}

double stack_loss(stack *s, stack_ws *w, const sparse_csr *data)
{
    size_t idx[1024];
    size_t maxb = w->maxb < 1024 ? w->maxb : 1024;
    double loss = 0;
    for (size_t r0 = 0; r0 < data->rows; r0 += maxb) {
        size_t R = data->rows - r0 < maxb ? data->rows - r0 : maxb;
        for (size_t i = 0; i < R; i++) idx[i] = r0 + i;
        double l = objective(s, w, data, idx, R, NULL, NULL, 0.0f);
        if (l < 0) return -1;
        loss += l;
    }
    return data->rows ? loss / (double)data->rows : 0;
}

/* ------------------------------------------------------------------------
 * the training task */

struct stack_trainer {
    stack *s;
    stack_ws *w, *wv;
    const sparse_csr *data;
    rng_t noise;
};

stack_trainer *stack_trainer_new(stack *s, const sparse_csr *data, size_t maxb, uint64_t seed)
{
    stack_trainer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->s = s;
    t->data = data;
    t->w = stack_ws_new(s, maxb);
    t->wv = stack_ws_new(s, 256);
    rng_seed(&t->noise, seed, 2);
    if (!t->w || !t->wv) {
        stack_trainer_free(t);
        return NULL;
    }
    return t;
}

void stack_trainer_free(stack_trainer *t)
{
    if (!t) return;
    stack_ws_free(t->w);
    stack_ws_free(t->wv);
    free(t);
}

static double task_step(void *self, const size_t *rows, size_t n, float lr, params *g, double *acc)
{
    stack_trainer *t = self;
    (void)acc;
    return g ? stack_grad(t->s, t->w, t->data, rows, n, &t->noise, g, 1.0f / (float)n)
             : stack_grad(t->s, t->w, t->data, rows, n, &t->noise, &t->s->par, -lr / (float)n);
}

static double task_valid(void *self, const sparse_csr *data)
{
    stack_trainer *t = self;
    return stack_loss(t->s, t->wv, data);
}

void stack_task(stack_trainer *t, train_task *task)
{
    memset(task, 0, sizeof *task);
    task->self = t;
    task->par = &t->s->par;
    task->step = task_step;
    task->valid = task_valid;
    task->valid_name = "valid_loss";
    task->valid_label = "validation loss";
    task->input_rows = t->s->cfg.noise == DAE_NOISE_NONE || t->s->cfg.noise == DAE_NOISE_MASK;
    task->nrng = 1;
    task->rng[0] = &t->noise;
    task->rng_name[0] = "noise";
}
