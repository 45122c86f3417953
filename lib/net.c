/* net.c - supervised network: forward, loss, backward and SGD for the
 * expected-star softmax and the linear output over sparse input, with
 * random or pretrained hidden layers (see net.h). */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"

#define act_f(act, z) act_apply((int)(act), z)

/* ------------------------------------------------------------------------
 * construction: one parameter block with, for hidden layer l (1-based),
 * the views Wl (in,out), bl (out) and sl (out, the fixed output scale; 1
 * unless a pretrained layer brings one), then Wo (H,K) and bo (K) */

static void uniform_fill(float *w, size_t n, float r, rng_t *g)
{
    for (size_t i = 0; i < n; i++) w[i] = (2.0f * rng_uniformf(g) - 1.0f) * r;
}

/* the block's views for n's shape; the layers' pointers into it */
static int layout(net *n)
{
    params *p = &n->par;
    int *w = calloc((size_t)(n->nhidden > 0 ? n->nhidden : 1) * 3, sizeof *w);
    if (!w) return -1;
    uint32_t in = n->in_dim;
    int bad = 0;
    for (int l = 0; l < n->nhidden && !bad; l++) {
        char nm[16];
        snprintf(nm, sizeof nm, "W%d", l + 1);
        w[3 * l] = params_add(p, nm, in, n->hidden[l].out, PARAM_WEIGHT);
        snprintf(nm, sizeof nm, "b%d", l + 1);
        w[3 * l + 1] = params_add(p, nm, 1, n->hidden[l].out, 0);
        snprintf(nm, sizeof nm, "s%d", l + 1);
        w[3 * l + 2] = params_add(p, nm, 1, n->hidden[l].out, PARAM_FIXED);
        bad = w[3 * l] < 0 || w[3 * l + 1] < 0 || w[3 * l + 2] < 0;
        in = n->hidden[l].out;
    }
    int wo = bad ? -1 : params_add(p, "Wo", in, n->nclass, PARAM_WEIGHT);
    int bo = bad ? -1 : params_add(p, "bo", 1, n->nclass, 0);
    if (wo < 0 || bo < 0 || params_alloc(p) < 0) {
        free(w);
        return -1;
    }
    in = n->in_dim;
    for (int l = 0; l < n->nhidden; l++) {
        net_layer *L = &n->hidden[l];
        L->in = in;
        L->W = params_at(p, w[3 * l]);
        L->b = params_at(p, w[3 * l + 1]);
        L->svec = params_at(p, w[3 * l + 2]);
        for (uint32_t u = 0; u < L->out; u++) L->svec[u] = 1;
        L->scale = NULL;
        in = L->out;
    }
    n->Wo = params_at(p, wo);
    n->bo = params_at(p, bo);
    free(w);
    return 0;
}

net *net_new(uint32_t in_dim, int nhidden, const uint32_t *sizes, const uint32_t *acts, int output,
             uint32_t nclass, const double *classes, float l1, rng_t *g)
{
    for (int l = 0; l < nhidden; l++)
        if (!act_valid((int)acts[l])) return NULL;
    net *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->in_dim = in_dim;
    n->nhidden = nhidden;
    n->output = output;
    n->nclass = output == NET_OUT_LINEAR ? 1 : nclass;
    n->l1 = l1;
    n->hidden = calloc((size_t)(nhidden > 0 ? nhidden : 1), sizeof *n->hidden);
    n->classes = calloc(n->nclass, sizeof *n->classes);
    if (!n->hidden || !n->classes) goto fail;
    if (output == NET_OUT_SOFTMAX)
        for (uint32_t k = 0; k < n->nclass; k++) n->classes[k] = classes[k];
    for (int l = 0; l < nhidden; l++) {
        n->hidden[l].out = sizes[l];
        n->hidden[l].act = acts[l];
    }
    if (layout(n) < 0) goto fail;
    if (g) {
        for (int l = 0; l < nhidden; l++) {
            net_layer *L = &n->hidden[l];
            uniform_fill(L->W, (size_t)L->in * L->out, sqrtf(6.0f / (float)(L->in + L->out)), g);
        }
        uint32_t in = nhidden ? n->hidden[nhidden - 1].out : in_dim;
        uniform_fill(n->Wo, (size_t)in * n->nclass, sqrtf(6.0f / (float)(in + n->nclass)), g);
    }
    return n;
fail:
    net_free(n);
    return NULL;
}

void net_free(net *n)
{
    if (!n) return;
    params_free(&n->par);
    free(n->hidden);
    free(n->classes);
    free(n);
}

net *net_clone_zero(const net *n)
{
    uint32_t sizes[MODEL_MAX_LAYERS], acts[MODEL_MAX_LAYERS];
    for (int l = 0; l < n->nhidden; l++) {
        sizes[l] = n->hidden[l].out;
        acts[l] = n->hidden[l].act;
    }
    net *z = net_new(n->in_dim, n->nhidden, sizes, acts, n->output, n->nclass, n->classes, n->l1, NULL);
    if (!z) return NULL;
    params_zero(&z->par);
    for (int l = 0; l < n->nhidden; l++) {
        z->hidden[l].frozen = n->hidden[l].frozen;
        if (n->hidden[l].scale) z->hidden[l].scale = z->hidden[l].svec;
    }
    memcpy(z->vocab, n->vocab, sizeof z->vocab);
    return z;
}

void net_copy(net *dst, const net *src)
{
    params_copy(&dst->par, &src->par);
    for (int l = 0; l < src->nhidden; l++) dst->hidden[l].scale = src->hidden[l].scale ? dst->hidden[l].svec : NULL;
}

int net_load_layer(net *n, int l, const model_layer *ml, char *err, size_t errlen)
{
    net_layer *L = &n->hidden[l];
    const model_tensor *W = model_find(ml, "W"), *b = model_find(ml, "b"), *s = model_find(ml, "scale");
    if (!act_valid((int)ml->act)) {
        snprintf(err, errlen, "unknown activation code %u", ml->act);
        return -1;
    }
    if (!W || !b) {
        snprintf(err, errlen, "layer has no W or b tensor");
        return -1;
    }
    if (W->rows != L->in || W->cols != L->out || b->rows * b->cols != L->out) {
        snprintf(err, errlen, "layer is %ux%u, the network needs %ux%u here", W->rows, W->cols, L->in, L->out);
        return -1;
    }
    if (s && s->rows * s->cols != L->out) {
        snprintf(err, errlen, "scale has %u entries, the layer %u units", s->rows * s->cols, L->out);
        return -1;
    }
    /* a layer that scales its inputs: fold the factor into W */
    float f = (ml->in_scale != 0.0f) ? ml->in_scale : 1.0f;
    for (size_t i = 0; i < (size_t)L->in * L->out; i++) L->W[i] = W->data[i] * f;
    memcpy(L->b, b->data, L->out * sizeof(float));
    L->act = ml->act;
    L->scale = NULL;
    for (uint32_t u = 0; u < L->out; u++) L->svec[u] = 1;
    if (s) {
        int fold = L->act == ACT_RELU;
        for (uint32_t u = 0; u < L->out && fold; u++) fold = s->data[u] > 0 && isfinite(s->data[u]);
        if (fold) {
            /* relu(z) * s = relu(s * z) for s > 0: the scale goes into W
             * and b.  The function is the same, but fine-tuning then moves
             * every unit at the same pace: a factor kept outside multiplies
             * a unit's change per step by s^2, and a nearly silent unit of
             * a pretrained layer (s in the thousands) makes SGD diverge. */
            for (size_t i = 0; i < L->in; i++)
                for (uint32_t u = 0; u < L->out; u++) L->W[i * L->out + u] *= s->data[u];
            for (uint32_t u = 0; u < L->out; u++) L->b[u] *= s->data[u];
            return 0;
        }
        memcpy(L->svec, s->data, L->out * sizeof(float));
        L->scale = L->svec;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * workspace */

static float *falloc(size_t n) { return kern_alloc(n ? n : 1); }

net_ws *net_ws_new(const net *n, size_t maxb)
{
    net_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->maxb = maxb;
    int nh = n->nhidden > 0 ? n->nhidden : 1;
    ws->Z = calloc((size_t)nh, sizeof *ws->Z);
    ws->H = calloc((size_t)nh, sizeof *ws->H);
    ws->dH = calloc((size_t)nh, sizeof *ws->dH);
    ws->M = calloc((size_t)nh, sizeof *ws->M);
    ws->dptr = calloc(maxb + 1, sizeof *ws->dptr);
    if (!ws->Z || !ws->H || !ws->dH || !ws->M || !ws->dptr) goto fail;
    for (int l = 0; l < n->nhidden; l++) {
        size_t sz = maxb * n->hidden[l].out;
        ws->Z[l] = falloc(sz);
        ws->H[l] = falloc(sz);
        ws->dH[l] = falloc(sz);
        ws->M[l] = falloc(sz);
        if (!ws->Z[l] || !ws->H[l] || !ws->dH[l] || !ws->M[l]) goto fail;
    }
    ws->O = falloc(maxb * n->nclass);
    ws->dO = falloc(maxb * n->nclass);
    ws->work = calloc(n->in_dim ? n->in_dim : 1, sizeof *ws->work);
    if (!ws->O || !ws->dO || !ws->work) goto fail;
    ws->nh = n->nhidden;
    return ws;
fail:
    ws->nh = n->nhidden;
    net_ws_free(ws);
    return NULL;
}

void net_ws_free(net_ws *ws)
{
    if (!ws) return;
    for (int l = 0; l < ws->nh; l++) {
        if (ws->Z) kern_free(ws->Z[l]);
        if (ws->H) kern_free(ws->H[l]);
        if (ws->dH) kern_free(ws->dH[l]);
        if (ws->M) kern_free(ws->M[l]);
    }
    free(ws->M);
    free(ws->dptr);
    free(ws->dcol);
    free(ws->dval);
    free(ws->Z);
    free(ws->H);
    free(ws->dH);
    kern_free(ws->O);
    kern_free(ws->dO);
    free(ws->work);
    kern_csc_free(&ws->csc);
    free(ws);
}

/* ------------------------------------------------------------------------
 * forward */

static void fill_bias(float *Y, size_t B, uint32_t out, const float *b)
{
    for (size_t i = 0; i < B; i++) memcpy(Y + i * out, b, out * sizeof *Y);
}

/* Input dropout: the kept non-zeros of the batch, scaled, into ws->d*.
 * Returns -1 when out of memory. */
static int drop_input(net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val, float p,
                      rng_t *g)
{
    size_t nnz = ptr[B] - ptr[0];
    if (nnz > ws->dcap) {
        uint32_t *c = realloc(ws->dcol, nnz * sizeof *c);
        if (!c) return -1;
        ws->dcol = c;
        float *v = realloc(ws->dval, nnz * sizeof *v);
        if (!v) return -1;
        ws->dval = v;
        ws->dcap = nnz;
    }
    float keep = 1.0f / (1.0f - p);
    size_t k = 0;
    ws->dptr[0] = 0;
    for (size_t i = 0; i < B; i++) {
        for (size_t e = ptr[i]; e < ptr[i + 1]; e++)
            if (rng_uniformf(g) >= p) {
                ws->dcol[k] = col[e];
                ws->dval[k++] = val[e] * keep;
            }
        ws->dptr[i + 1] = k;
    }
    return 0;
}

/* Y (B,N) += X (B,K) W (K,N) of an upper layer.  Prediction (cfg NULL)
 * goes row by row (kern_gemm_rows), so that a row's prediction has the same
 * bytes whatever the batch size and thread count (senti-predict -b, -t,
 * --line-buffered; the validation RMSE senti-train reports); training
 * batches take sgemm. */
static int dense_rows(const net_train_cfg *cfg, size_t B, uint32_t K, const float *X, const float *W, uint32_t N,
                      float *Y)
{
    if (!cfg) return kern_gemm_rows(B, K, X, W, N, Y);
    kern_sgemm(0, 0, (int)B, (int)N, (int)K, 1.0f, X, (int)K, W, (int)N, 1.0f, Y, (int)N);
    return 0;
}

/* The forward pass; with cfg, the training pass with its dropout masks
 * (the input after dropout is then in ws->dptr, dcol, dval).  Returns -1
 * when out of memory. */
static int forward(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                   const net_train_cfg *cfg, double *pred)
{
    if (cfg && cfg->in_drop > 0) {
        if (drop_input(ws, B, ptr, col, val, cfg->in_drop, cfg->rng) < 0) return -1;
        ptr = ws->dptr;
        col = ws->dcol;
        val = ws->dval;
    }
    float hdrop = cfg ? cfg->drop : 0.0f;
    const float *Hprev = NULL;
    uint32_t in = n->in_dim;
    for (int l = 0; l < n->nhidden; l++) {
        const net_layer *L = &n->hidden[l];
        float *Z = ws->Z[l], *H = ws->H[l];
        fill_bias(Z, B, L->out, L->b);
        if (l == 0)
            kern_spmm(B, ptr, col, val, L->W, L->out, Z);
        else if (dense_rows(cfg, B, in, Hprev, L->W, L->out, Z) < 0)
            return -1;
        for (size_t i = 0; i < B; i++)
            for (uint32_t u = 0; u < L->out; u++) {
                float h = act_f(L->act, Z[i * L->out + u]);
                H[i * L->out + u] = L->scale ? h * L->scale[u] : h;
            }
        if (hdrop > 0) {
            float *M = ws->M[l], keep = 1.0f / (1.0f - hdrop);
            for (size_t j = 0; j < B * L->out; j++) {
                M[j] = rng_uniformf(cfg->rng) >= hdrop ? keep : 0.0f;
                H[j] *= M[j];
            }
        }
        Hprev = H;
        in = L->out;
    }
    uint32_t K = n->nclass;
    float *O = ws->O;
    fill_bias(O, B, K, n->bo);
    if (n->nhidden == 0)
        kern_spmm(B, ptr, col, val, n->Wo, K, O);
    else if (dense_rows(cfg, B, in, Hprev, n->Wo, K, O) < 0)
        return -1;
    for (size_t i = 0; i < B; i++) {
        float *o = O + i * K;
        if (n->output == NET_OUT_LINEAR) {
            if (pred) pred[i] = o[0];
            continue;
        }
        float m = o[0];
        for (uint32_t k = 1; k < K; k++)
            if (o[k] > m) m = o[k];
        double s = 0;
        for (uint32_t k = 0; k < K; k++) {
            o[k] = expf(o[k] - m);
            s += o[k];
        }
        double e = 0;
        for (uint32_t k = 0; k < K; k++) {
            o[k] = (float)(o[k] / s);
            e += o[k] * n->classes[k];
        }
        if (pred) pred[i] = e;
    }
    return 0;
}

int net_forward(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                double *pred)
{
    return forward(n, ws, B, ptr, col, val, NULL, pred);
}

static uint32_t class_of(const net *n, double y)
{
    uint32_t best = 0;
    for (uint32_t k = 1; k < n->nclass; k++)
        if (fabs(n->classes[k] - y) < fabs(n->classes[best] - y)) best = k;
    return best;
}

/* Summed loss of the last forward pass: data term + L1 term. */
static double batch_loss(const net *n, const net_ws *ws, size_t B, const double *y, const float *cw)
{
    double loss = 0;
    uint32_t K = n->nclass;
    for (size_t i = 0; i < B; i++) {
        if (n->output == NET_OUT_LINEAR) {
            double d = ws->O[i] - y[i];
            loss += 0.5 * d * d;
        } else {
            uint32_t c = class_of(n, y[i]);
            float p = ws->O[i * K + c];
            loss -= (cw ? (double)cw[c] : 1.0) * log(p > 1e-30f ? (double)p : 1e-30);
        }
    }
    if (n->l1 > 0)
        for (int l = 0; l < n->nhidden; l++) {
            const net_layer *L = &n->hidden[l];
            const float *Z = ws->Z[l];
            double s = 0;
            for (size_t i = 0; i < B; i++)
                for (uint32_t u = 0; u < L->out; u++) {
                    float h = act_f(L->act, Z[i * L->out + u]);
                    s += fabsf(L->scale ? h * L->scale[u] : h);
                }
            loss += n->l1 * s;
        }
    return loss;
}

static double sumsq(const float *w, size_t m)
{
    double s = 0;
    for (size_t j = 0; j < m; j++) s += (double)w[j] * w[j];
    return s;
}

/* Does training change the input layer's weights (then ws->csc holds the
 * batch's active inputs)? */
static int input_trained(const net *n)
{
    return n->nhidden == 0 || !n->hidden[0].frozen;
}

/* 0.5 * sum of the squared trained weights, input layer rows only for the
 * active inputs of ws->csc (see net.h). */
static double l2_term(const net *n, const net_ws *ws)
{
    double s = 0;
    if (input_trained(n)) {
        const float *W = n->nhidden ? n->hidden[0].W : n->Wo;
        uint32_t out = n->nhidden ? n->hidden[0].out : n->nclass;
        for (size_t k = 0; k < ws->csc.ncols; k++) s += sumsq(W + (size_t)ws->csc.cols[k] * out, out);
    }
    for (int l = 1; l < n->nhidden; l++)
        if (!n->hidden[l].frozen) s += sumsq(n->hidden[l].W, (size_t)n->hidden[l].in * n->hidden[l].out);
    if (n->nhidden) s += sumsq(n->Wo, (size_t)n->hidden[n->nhidden - 1].out * n->nclass);
    return 0.5 * s;
}

/* The training pass shared by net_train_batch and net_objective: forward
 * with masks, the column-grouped input when needed, the objective. */
static double train_forward(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col,
                            const float *val, const double *y, const net_train_cfg *cfg, int need_csc)
{
    if (forward(n, ws, B, ptr, col, val, cfg, NULL) < 0) return -1;
    if (cfg->in_drop > 0) {
        ptr = ws->dptr;
        col = ws->dcol;
        val = ws->dval;
    }
    if ((need_csc || cfg->l2 > 0) && input_trained(n) &&
        kern_csc_build(&ws->csc, B, ptr, col, val, n->in_dim, ws->work) < 0)
        return -1;
    double loss = batch_loss(n, ws, B, y, cfg->class_weight);
    if (cfg->l2 > 0) loss += (double)B * cfg->l2 * l2_term(n, ws);
    return loss;
}

double net_objective(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col,
                     const float *val, const double *y, const net_train_cfg *cfg)
{
    return train_forward(n, ws, B, ptr, col, val, y, cfg, 0);
}

double net_loss(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                const double *y)
{
    net_forward(n, ws, B, ptr, col, val, NULL);
    return batch_loss(n, ws, B, y, NULL);
}

double net_zero_fraction(const net *n, const net_ws *ws, int l, size_t B)
{
    size_t m = B * n->hidden[l].out, z = 0;
    for (size_t j = 0; j < m; j++) z += act_f(n->hidden[l].act, ws->Z[l][j]) == 0.0f;
    return m ? (double)z / (double)m : 0.0;
}

/* ------------------------------------------------------------------------
 * backward + update
 *
 * In update mode (grad == NULL) parameters move by -lr * gradient; in
 * gradient mode the gradient is added into grad.  Each gradient that flows
 * down is computed before the weights it flows through are changed. */

/* W (m floats) moves by -lr * l2 * W (update mode) or its gradient
 * l2 * W is added into G (gradient mode). */
static void decay(float *W, float *G, size_t m, float l2, float lr, int grad_mode)
{
    if (l2 <= 0) return;
    if (grad_mode)
        for (size_t j = 0; j < m; j++) G[j] += l2 * W[j];
    else {
        float f = 1.0f - lr * l2;
        for (size_t j = 0; j < m; j++) W[j] *= f;
    }
}

/* decay of the input layer's rows of the active inputs */
static void decay_rows(const kern_csc *c, float *W, float *G, uint32_t out, float l2, float lr, int grad_mode)
{
    if (l2 <= 0) return;
    for (size_t k = 0; k < c->ncols; k++) {
        size_t o = (size_t)c->cols[k] * out;
        decay(W + o, G ? G + o : NULL, out, l2, lr, grad_mode);
    }
}

double net_train_batch(net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                       const double *y, const net_train_cfg *cfg, net *grad)
{
    double loss = train_forward(n, ws, B, ptr, col, val, y, cfg, 1);
    if (loss < 0) return loss;
    uint32_t K = n->nclass;
    float inv = 1.0f / (float)B;
    float lr = cfg->lr, l2 = cfg->l2;
    int gm = grad != NULL;
    float alpha = gm ? 1.0f : -lr;
    float *dO = ws->dO;
    for (size_t i = 0; i < B; i++) {
        if (n->output == NET_OUT_LINEAR) {
            dO[i] = (ws->O[i] - (float)y[i]) * inv;
        } else {
            uint32_t c = class_of(n, y[i]);
            float w = cfg->class_weight ? cfg->class_weight[c] * inv : inv;
            for (uint32_t k = 0; k < K; k++) dO[i * K + k] = (ws->O[i * K + k] - (k == c ? 1.0f : 0.0f)) * w;
        }
    }

    /* output layer */
    float *Wo_dst = gm ? grad->Wo : n->Wo, *bo_dst = gm ? grad->bo : n->bo;
    if (n->nhidden == 0) {
        decay_rows(&ws->csc, n->Wo, Wo_dst, K, l2, lr, gm);
        kern_spmm_tn(&ws->csc, alpha, dO, K, Wo_dst);
    } else {
        int top = n->nhidden - 1;
        uint32_t H = n->hidden[top].out;
        /* dH_top = dO Wo^T, before Wo changes */
        kern_sgemm(0, 1, (int)B, (int)H, (int)K, 1.0f, dO, (int)K, n->Wo, (int)K, 0.0f, ws->dH[top], (int)H);
        decay(n->Wo, Wo_dst, (size_t)H * K, l2, lr, gm);
        kern_sgemm(1, 0, (int)H, (int)K, (int)B, alpha, ws->H[top], (int)H, dO, (int)K, 1.0f, Wo_dst, (int)K);
    }
    for (size_t i = 0; i < B; i++)
        for (uint32_t k = 0; k < K; k++) bo_dst[k] += alpha * dO[i * K + k];

    /* hidden layers, top down; dH[l] (the gradient of the layer's output
     * after dropout) becomes dZ[l] in place */
    for (int l = n->nhidden - 1; l >= 0; l--) {
        net_layer *L = &n->hidden[l];
        float *dZ = ws->dH[l];
        const float *Z = ws->Z[l], *M = cfg->drop > 0 ? ws->M[l] : NULL;
        float l1 = n->l1 * inv;
        for (size_t i = 0; i < B; i++)
            for (uint32_t u = 0; u < L->out; u++) {
                size_t j = i * L->out + u;
                float a = act_f(L->act, Z[j]);
                float s = L->scale ? L->scale[u] : 1.0f;
                float h = a * s; /* the activation before dropout */
                float d = M ? dZ[j] * M[j] : dZ[j];
                if (l1 > 0) d += h > 0 ? l1 : (h < 0 ? -l1 : 0.0f);
                dZ[j] = d * act_grad((int)L->act, a) * s;
            }
        if (l > 0) {
            net_layer *P = &n->hidden[l - 1];
            kern_sgemm(0, 1, (int)B, (int)P->out, (int)L->out, 1.0f, dZ, (int)L->out, L->W, (int)L->out, 0.0f,
                       ws->dH[l - 1], (int)P->out);
        }
        if (L->frozen) continue;
        net_layer *G = gm ? &grad->hidden[l] : L;
        if (l > 0) {
            decay(L->W, G->W, (size_t)L->in * L->out, l2, lr, gm);
            kern_sgemm(1, 0, (int)L->in, (int)L->out, (int)B, alpha, ws->H[l - 1], (int)L->in, dZ, (int)L->out, 1.0f,
                       G->W, (int)L->out);
        } else {
            decay_rows(&ws->csc, L->W, G->W, L->out, l2, lr, gm);
            kern_spmm_tn(&ws->csc, alpha, dZ, L->out, G->W);
        }
        for (size_t i = 0; i < B; i++)
            for (uint32_t u = 0; u < L->out; u++) G->b[u] += alpha * dZ[i * L->out + u];
    }
    return loss;
}

/* ------------------------------------------------------------------------
 * model files */

model *net_to_model(const net *n, const char *cmdline)
{
    model *m = model_new(MODEL_KIND_NETWORK);
    if (!m) return NULL;
    if (model_set_cmdline(m, cmdline ? cmdline : "") < 0 || model_set_vocab(m, n->vocab) < 0) goto fail;
    for (int l = 0; l < n->nhidden; l++) {
        const net_layer *L = &n->hidden[l];
        model_layer s;
        memset(&s, 0, sizeof s);
        s.in_dim = L->in;
        s.out_dim = L->out;
        s.act = L->act;
        s.l1 = n->l1;
        s.in_scale = 1.0f;
        model_layer *ml = model_add_layer(m, &s);
        if (!ml || model_add_tensor_ref(ml, "W", L->in, L->out, L->W) < 0 ||
            model_add_tensor_ref(ml, "b", 1, L->out, L->b) < 0 ||
            (L->scale && model_add_tensor_ref(ml, "scale", 1, L->out, L->scale) < 0))
            goto fail;
    }
    uint32_t H = n->nhidden ? n->hidden[n->nhidden - 1].out : n->in_dim;
    model_layer s;
    memset(&s, 0, sizeof s);
    s.in_dim = H;
    s.out_dim = n->nclass;
    s.recon = (uint32_t)n->output;
    s.l1 = n->l1;
    s.in_scale = 1.0f;
    model_layer *ml = model_add_layer(m, &s);
    if (!ml || model_add_tensor_ref(ml, "W", H, n->nclass, n->Wo) < 0 ||
        model_add_tensor_ref(ml, "b", 1, n->nclass, n->bo) < 0)
        goto fail;
    float *c = model_add_tensor(ml, "classes", 1, n->nclass);
    if (!c) goto fail;
    for (uint32_t k = 0; k < n->nclass; k++) c[k] = (float)n->classes[k];
    return m;
fail:
    model_free(m);
    return NULL;
}

net *net_from_model(const model *m, char *err, size_t errlen)
{
    if (m->kind != MODEL_KIND_NETWORK) {
        snprintf(err, errlen, "a %s model, not a network", model_kind_name(m->kind));
        return NULL;
    }
    if (m->nlayers < 1) {
        snprintf(err, errlen, "network without an output layer");
        return NULL;
    }
    int nh = (int)m->nlayers - 1;
    const model_layer *out = &m->layers[nh];
    if (out->recon != NET_OUT_SOFTMAX && out->recon != NET_OUT_LINEAR) {
        snprintf(err, errlen, "unknown output kind %u", out->recon);
        return NULL;
    }
    uint32_t sizes[MODEL_MAX_LAYERS], acts[MODEL_MAX_LAYERS];
    for (int l = 0; l < nh; l++) {
        sizes[l] = m->layers[l].out_dim;
        acts[l] = m->layers[l].act;
        if (!act_valid((int)acts[l])) {
            snprintf(err, errlen, "layer %d: unknown activation code %u", l + 1, acts[l]);
            return NULL;
        }
        /* shapes first: the allocation below must not trust the layer
         * header (the tensors' sizes are bounded by the file's) */
        const model_tensor *W = model_find(&m->layers[l], "W"), *b = model_find(&m->layers[l], "b");
        if (!W || !b || W->rows != m->layers[l].in_dim || W->cols != sizes[l] ||
            (uint64_t)b->rows * b->cols != sizes[l]) {
            snprintf(err, errlen, "layer %d: tensors W, b missing or of the wrong shape", l + 1);
            return NULL;
        }
        if (l > 0 && m->layers[l].in_dim != m->layers[l - 1].out_dim) {
            snprintf(err, errlen, "layer %d input %u does not match layer %d output %u", l + 1,
                     m->layers[l].in_dim, l, m->layers[l - 1].out_dim);
            return NULL;
        }
    }
    uint32_t in_dim = nh ? m->layers[0].in_dim : out->in_dim;
    uint32_t H = nh ? sizes[nh - 1] : in_dim;
    if (out->in_dim != H) {
        snprintf(err, errlen, "output layer input %u does not match %u", out->in_dim, H);
        return NULL;
    }
    const model_tensor *W = model_find(out, "W"), *b = model_find(out, "b"), *c = model_find(out, "classes");
    if (!W || !b || !c || W->rows != H || W->cols != out->out_dim || b->rows * b->cols != out->out_dim ||
        c->rows * c->cols != out->out_dim) {
        snprintf(err, errlen, "output layer tensors missing or of the wrong shape");
        return NULL;
    }
    uint32_t K = out->out_dim;
    if (out->recon == NET_OUT_LINEAR && K != 1) {
        snprintf(err, errlen, "a linear output layer has 1 unit, this one %u", K);
        return NULL;
    }
    double *classes = K ? malloc(K * sizeof *classes) : NULL;
    if (!classes) {
        snprintf(err, errlen, K ? "out of memory" : "no output classes");
        return NULL;
    }
    for (uint32_t k = 0; k < K; k++) classes[k] = c->data[k];
    net *n = net_new(in_dim, nh, sizes, acts, (int)out->recon, K, classes, out->l1, NULL);
    free(classes);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int l = 0; l < nh; l++)
        if (net_load_layer(n, l, &m->layers[l], err, errlen) < 0) {
            net_free(n);
            return NULL;
        }
    memcpy(n->Wo, W->data, (size_t)H * K * sizeof(float));
    memcpy(n->bo, b->data, K * sizeof(float));
    memcpy(n->vocab, m->vocab, sizeof n->vocab);
    return n;
}

/* ------------------------------------------------------------------------
 * labels, output biases, RMSE */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

uint32_t net_classes(const double *y, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = (double)(float)y[i];
    qsort(out, n, sizeof *out, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i]) out[k++] = out[i];
    return (uint32_t)k;
}

void net_init_output(net *n, const double *y, size_t rows)
{
    if (n->output == NET_OUT_LINEAR) {
        double mean = 0;
        for (size_t i = 0; i < rows; i++) mean += y[i];
        n->bo[0] = (float)(mean / (double)rows);
        return;
    }
    size_t *cnt = calloc(n->nclass, sizeof *cnt);
    if (!cnt) return;
    for (size_t i = 0; i < rows; i++) cnt[class_of(n, y[i])]++;
    for (uint32_t k = 0; k < n->nclass; k++)
        n->bo[k] = cnt[k] ? (float)log((double)cnt[k] / (double)rows) : -30.0f;
    free(cnt);
}

double net_rmse(const net *n, net_ws *ws, const sparse_csr *data, sparse_csr *batch, double *pred)
{
    size_t idx[1024];
    size_t maxb = ws->maxb < 1024 ? ws->maxb : 1024;
    double se = 0;
    for (size_t s = 0; s < data->rows; s += maxb) {
        size_t B = data->rows - s < maxb ? data->rows - s : maxb;
        for (size_t i = 0; i < B; i++) idx[i] = s + i;
        if (sparse_csr_gather(batch, data, idx, B) < 0) return -1;
        if (net_forward(n, ws, B, batch->rowptr, batch->col, batch->val, pred) < 0) return -1;
        for (size_t i = 0; i < B; i++) se += (pred[i] - batch->label[i]) * (pred[i] - batch->label[i]);
    }
    return sqrt(se / (double)data->rows);
}

/* ------------------------------------------------------------------------
 * the training task */

#define EVAL_BATCH 256

struct net_trainer {
    net *n;
    const sparse_csr *data;
    net_ws *ws, *wse;
    sparse_csr *batch;
    double *pred;
    net_train_opts o;
    rng_t drop;
    net grad;              /* a network viewing the driver's gradient block */
};

net_trainer *net_trainer_new(net *n, const sparse_csr *data, size_t batch, const net_train_opts *o, uint64_t seed)
{
    net_trainer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->n = n;
    t->data = data;
    t->o = *o;
    t->ws = net_ws_new(n, batch);
    t->wse = net_ws_new(n, EVAL_BATCH);
    t->batch = sparse_csr_new();
    t->pred = malloc(EVAL_BATCH * sizeof *t->pred);
    t->grad.hidden = calloc((size_t)(n->nhidden > 0 ? n->nhidden : 1), sizeof *t->grad.hidden);
    rng_seed(&t->drop, seed, 2);
    t->o.cfg.rng = &t->drop;
    if (!t->ws || !t->wse || !t->batch || !t->pred || !t->grad.hidden) {
        net_trainer_free(t);
        return NULL;
    }
    return t;
}

void net_trainer_free(net_trainer *t)
{
    if (!t) return;
    net_ws_free(t->ws);
    net_ws_free(t->wse);
    sparse_csr_free(t->batch);
    free(t->pred);
    free(t->grad.hidden);
    free(t);
}

/* the network shape of n over the block g (n's layout) */
static net *grad_view(net_trainer *t, params *g)
{
    net *n = t->n, *v = &t->grad;
    net_layer *keep = v->hidden;
    *v = *n;
    v->hidden = keep;
    v->par = *g;
    int k = 0;
    for (int l = 0; l < n->nhidden; l++, k += 3) {
        v->hidden[l] = n->hidden[l];
        v->hidden[l].W = params_at(g, k);
        v->hidden[l].b = params_at(g, k + 1);
        v->hidden[l].svec = params_at(g, k + 2);
        v->hidden[l].scale = n->hidden[l].scale ? v->hidden[l].svec : NULL;
    }
    v->Wo = params_at(g, k);
    v->bo = params_at(g, k + 1);
    return v;
}

static double task_step(void *self, const size_t *rows, size_t n, float lr, params *g, double *acc)
{
    net_trainer *t = self;
    net *N = t->n;
    if (sparse_csr_gather(t->batch, t->data, rows, n) < 0) return -1;
    net_train_cfg cfg = t->o.cfg;
    cfg.lr = lr;
    if (!N->nhidden) cfg.drop = 0;
    const sparse_csr *b = t->batch;
    double loss = net_train_batch(N, t->ws, n, b->rowptr, b->col, b->val, b->label, &cfg, g ? grad_view(t, g) : NULL);
    if (loss < 0) return loss;
    /* squared errors of the forward pass that preceded the update */
    uint32_t K = N->nclass;
    for (size_t i = 0; i < n; i++) {
        double p = 0;
        if (N->output == NET_OUT_LINEAR) p = t->ws->O[i];
        else
            for (uint32_t k = 0; k < K; k++) p += t->ws->O[i * K + k] * N->classes[k];
        acc[0] += (p - b->label[i]) * (p - b->label[i]);
    }
    for (int l = 0; l < N->nhidden; l++) acc[1 + l] += net_zero_fraction(N, t->ws, l, n);
    return loss;
}

static double task_valid(void *self, const sparse_csr *data)
{
    net_trainer *t = self;
    return net_rmse(t->n, t->wse, data, t->batch, t->pred);
}

static void task_epoch(void *self, long epoch)
{
    net_trainer *t = self;
    /* --freeze: the pretrained layers never train; --warm: not yet, so that
     * a new output layer learns on the pretrained features before its
     * first gradients reach and disturb them */
    int k = 0;
    for (int l = 0; l < t->n->nhidden; l++, k += 3) {
        int fz = l < t->o.ninit && (t->o.freeze || epoch <= t->o.warm);
        t->n->hidden[l].frozen = fz;
        for (int j = 0; j < 2; j++)
            t->n->par.v[k + j].flags = fz ? t->n->par.v[k + j].flags | PARAM_FIXED
                                          : t->n->par.v[k + j].flags & ~PARAM_FIXED;
    }
}

static void task_columns(void *self, const double *acc, size_t rows, size_t batches, double *pre, double *post)
{
    net_trainer *t = self;
    pre[0] = rows ? sqrt(acc[0] / (double)rows) : 0;
    for (int l = 0; l < t->n->nhidden && l < TRAIN_MAX_COLS; l++) post[l] = batches ? acc[1 + l] / (double)batches : 0;
}

void net_task(net_trainer *t, train_task *task)
{
    static const char *const zf[] = {"zero_frac_1", "zero_frac_2", "zero_frac_3", "zero_frac_4",
                                     "zero_frac_5", "zero_frac_6", "zero_frac_7", "zero_frac_8"};
    static char more[TRAIN_MAX_COLS][24];
    memset(task, 0, sizeof *task);
    task->self = t;
    task->par = &t->n->par;
    task->step = task_step;
    task->valid = task_valid;
    task->epoch_begin = task_epoch;
    task->nacc = 1 + t->n->nhidden;
    task->npre = 1;
    task->pre[0] = "train_rmse";
    task->npost = t->n->nhidden < TRAIN_MAX_COLS ? t->n->nhidden : TRAIN_MAX_COLS;
    for (int l = 0; l < task->npost; l++) {
        if (l < 8) {
            task->post[l] = zf[l];
        } else {
            snprintf(more[l], sizeof more[l], "zero_frac_%d", l + 1);
            task->post[l] = more[l];
        }
    }
    task->valid_name = "valid_rmse";
    task->valid_label = "validation RMSE";
    task->columns = task_columns;
    task->input_rows = 1;
    task->nrng = 1;
    task->rng[0] = &t->drop;
    task->rng_name[0] = "drop";
}
