/* test_net.c - the supervised network: finite-difference gradient checks of
 * the softmax and linear outputs with no hidden layer, one random layer and
 * a two-layer stack of "pretrained" layers with output scales and L1; the
 * SGD step equals -lr times the gradient (sparse updates included); the
 * forward pass against a naive loop; model round trip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dae.h"
#include "kern.h"
#include "model.h"
#include "net.h"
#include "rng.h"

enum { V = 9, B = 5 };

static size_t ptr[B + 1];
static uint32_t col[B * V];
static float val[B * V];
static double y[B];

static void make_batch(rng_t *g, const double *classes, uint32_t K)
{
    size_t nnz = 0;
    ptr[0] = 0;
    for (int i = 0; i < B; i++) {
        for (uint32_t j = 0; j < V; j++)
            if (rng_uniform(g) < 0.4) {
                col[nnz] = j;
                val[nnz] = (j % 2) ? 1.0f : (float)(0.5 + rng_uniform(g));
                nnz++;
            }
        ptr[i + 1] = nnz;
        y[i] = classes[rng_below(g, K)];
    }
}

/* every parameter array of a net, in a fixed order */
static int param_list(net *n, float **p, size_t *len)
{
    int k = 0;
    for (int l = 0; l < n->nhidden; l++) {
        p[k] = n->hidden[l].W;
        len[k++] = (size_t)n->hidden[l].in * n->hidden[l].out;
        p[k] = n->hidden[l].b;
        len[k++] = n->hidden[l].out;
    }
    uint32_t H = n->nhidden ? n->hidden[n->nhidden - 1].out : n->in_dim;
    p[k] = n->Wo;
    len[k++] = (size_t)H * n->nclass;
    p[k] = n->bo;
    len[k++] = n->nclass;
    return k;
}

/* Signs of every pre-activation and activation of the last forward pass:
 * a finite difference that changes them straddles a kink (relu, |h|). */
static uint64_t kink_signature(const net *n, const net_ws *ws)
{
    uint64_t h = 1469598103934665603ull;
    for (int l = 0; l < n->nhidden; l++)
        for (size_t j = 0; j < (size_t)B * n->hidden[l].out; j++) {
            int s = (ws->Z[l][j] > 0) * 1 + (ws->H[l][j] > 0) * 2 + (ws->H[l][j] < 0) * 4;
            h = (h ^ (uint64_t)s) * 1099511628211ull;
        }
    return h;
}

/* The regularisers of the current checks (all off by default); every
 * evaluation restarts the dropout generator from the same state, so the
 * masks stay fixed while parameters move. */
static float cur_l2, cur_in_drop, cur_drop;
static const float *cur_cw; /* class weights, NULL = none */
static rng_t drop_state, drop_rng;

static net_train_cfg cfg_of(float lr)
{
    drop_rng = drop_state;
    net_train_cfg c = {lr, cur_l2, cur_in_drop, cur_drop, &drop_rng, cur_cw};
    return c;
}

static double objective(net *n, net_ws *ws)
{
    net_train_cfg c = cfg_of(0.0f);
    return net_objective(n, ws, B, ptr, col, val, y, &c);
}

static void train_step(net *n, net_ws *ws, float lr, net *g)
{
    net_train_cfg c = cfg_of(lr);
    double v = net_train_batch(n, ws, B, ptr, col, val, y, &c, g);
    CHECK(v >= 0, "training step ran");
}

/* Central differences of the mean batch objective against
 * net_train_batch's gradient, for every parameter. */
static void gradcheck(net *n, const char *what)
{
    net_ws *ws = net_ws_new(n, B);
    net *g = net_clone_zero(n);
    train_step(n, ws, 0.0f, g);
    float *pn[16], *pg[16];
    size_t len[16], len2[16];
    int np = param_list(n, pn, len);
    param_list(g, pg, len2);
    int bad = 0, checked = 0, skipped = 0;
    double worst = 0;
    const float eps = 1e-2f;
    for (int k = 0; k < np; k++)
        for (size_t i = 0; i < len[k]; i++) {
            float keep = pn[k][i];
            pn[k][i] = keep + eps;
            double lp = objective(n, ws);
            uint64_t sp = kink_signature(n, ws);
            pn[k][i] = keep - eps;
            double lm = objective(n, ws);
            uint64_t sm = kink_signature(n, ws);
            pn[k][i] = keep;
            if (sp != sm) {
                skipped++;
                continue;
            }
            double fd = (lp - lm) / (2.0 * eps) / B;
            double an = pg[k][i];
            double err = fabs(fd - an) / fmax(1e-2, fabs(fd) + fabs(an));
            if (err > worst) worst = err;
            if (err > 2e-2) {
                if (bad < 5) fprintf(stderr, "  %s: param %d[%zu]: fd %.6g analytic %.6g\n", what, k, i, fd, an);
                bad++;
            }
            checked++;
        }
    CHECK(bad == 0, "%s: %d of %d gradients off (worst rel. err %.3g)", what, bad, checked, worst);
    CHECK(skipped * 5 <= checked, "%s: %d differences straddle a kink, too many to trust the check", what, skipped);
    net_free(g);
    net_ws_free(ws);
}

/* One SGD step moves every trainable parameter by -lr * gradient. */
static void stepcheck(net *n, const char *what)
{
    net_ws *ws = net_ws_new(n, B);
    net *g = net_clone_zero(n);
    train_step(n, ws, 0.0f, g);
    float *pn[16], *pg[16];
    size_t len[16];
    int np = param_list(n, pn, len);
    param_list(g, pg, len);
    float *before[16];
    for (int k = 0; k < np; k++) {
        before[k] = malloc(len[k] * sizeof(float));
        memcpy(before[k], pn[k], len[k] * sizeof(float));
    }
    const float lr = 0.05f;
    train_step(n, ws, lr, NULL);
    int bad = 0;
    for (int k = 0; k < np; k++) {
        for (size_t i = 0; i < len[k]; i++) {
            double want = before[k][i] - lr * pg[k][i];
            if (fabs(pn[k][i] - want) > 1e-5 * fmax(1.0, fabs(want))) bad++;
        }
        memcpy(pn[k], before[k], len[k] * sizeof(float));
        free(before[k]);
    }
    CHECK(bad == 0, "%s: %d parameters moved other than -lr * gradient", what, bad);
    net_free(g);
    net_ws_free(ws);
}

/* A pretrained rectifier layer's output scale is folded into W and b on
 * loading (relu(z) s = relu(s z)); the layer computes relu(x W + b) * s of
 * the stored tensors, scales in the thousands included. */
static void relu_fold_check(rng_t *g)
{
    const uint32_t H = 5;
    uint32_t sizes[1] = {H}, acts[1] = {ACT_RELU};
    double cls[3] = {1, 2, 3};
    net *n = net_new(V, 1, sizes, acts, NET_OUT_SOFTMAX, 3, cls, 0, g);
    model *pm = model_new(MODEL_KIND_LAYER);
    model_layer set;
    memset(&set, 0, sizeof set);
    set.in_dim = V;
    set.out_dim = H;
    set.act = ACT_RELU;
    model_layer *ml = model_add_layer(pm, &set);
    float *W = model_add_tensor(ml, "W", V, H), *b = model_add_tensor(ml, "b", 1, H);
    float *sc = model_add_tensor(ml, "scale", 1, H);
    for (size_t i = 0; i < (size_t)V * H; i++) W[i] = (2 * rng_uniformf(g) - 1) * 0.8f;
    for (uint32_t u = 0; u < H; u++) {
        b[u] = (2 * rng_uniformf(g) - 1) * 0.3f;
        sc[u] = u == 0 ? 12000.0f : 0.2f + rng_uniformf(g);
    }
    char err[256];
    CHECK(net_load_layer(n, 0, ml, err, sizeof err) == 0, "load a scaled relu layer: %s", err);
    CHECK(n->hidden[0].scale == NULL, "a relu layer's scale is folded into its weights");
    net_ws *ws = net_ws_new(n, B);
    net_forward(n, ws, B, ptr, col, val, NULL);
    double worst = 0;
    for (int i = 0; i < B; i++)
        for (uint32_t u = 0; u < H; u++) {
            double z = b[u];
            for (size_t e = ptr[i]; e < ptr[i + 1]; e++) z += val[e] * W[(size_t)col[e] * H + u];
            double want = (z > 0 ? z : 0) * sc[u], got = ws->H[0][(size_t)i * H + u];
            double d = fabs(got - want) / (1 + fabs(want));
            if (d > worst) worst = d;
        }
    CHECK(worst < 1e-5, "folded relu layer = relu(x W + b) * scale (worst relative error %.2g)", worst);
    net_ws_free(ws);
    model_free(pm);
    net_free(n);
}

/* forward against a direct loop over the definition */
static void forwardcheck(net *n, const char *what)
{
    net_ws *ws = net_ws_new(n, B);
    double pred[B];
    net_forward(n, ws, B, ptr, col, val, pred);
    int bad = 0;
    for (int i = 0; i < B; i++) {
        double x[64] = {0}, h[64];
        uint32_t in = n->in_dim;
        for (size_t e = ptr[i]; e < ptr[i + 1]; e++) x[col[e]] = val[e];
        for (int l = 0; l < n->nhidden; l++) {
            const net_layer *L = &n->hidden[l];
            for (uint32_t u = 0; u < L->out; u++) {
                double z = L->b[u];
                for (uint32_t j = 0; j < in; j++) z += x[j] * L->W[j * L->out + u];
                double a = L->act == ACT_RELU ? (z > 0 ? z : 0)
                         : L->act == ACT_TANH ? tanh(z)
                         : L->act == ACT_SIGMOID ? 1 / (1 + exp(-z))
                                                     : log1p(exp(z));
                h[u] = a * (L->scale ? L->scale[u] : 1.0);
            }
            memcpy(x, h, L->out * sizeof(double));
            in = L->out;
        }
        double o[8], m = -1e300, s = 0, e = 0;
        for (uint32_t k = 0; k < n->nclass; k++) {
            o[k] = n->bo[k];
            for (uint32_t j = 0; j < in; j++) o[k] += x[j] * n->Wo[j * n->nclass + k];
            if (o[k] > m) m = o[k];
        }
        if (n->output == NET_OUT_LINEAR) {
            e = o[0];
        } else {
            for (uint32_t k = 0; k < n->nclass; k++) s += exp(o[k] - m);
            for (uint32_t k = 0; k < n->nclass; k++) e += exp(o[k] - m) / s * n->classes[k];
        }
        if (fabs(e - pred[i]) > 1e-4 * fmax(1.0, fabs(e))) bad++;
    }
    CHECK(bad == 0, "%s: forward differs from the naive loop on %d rows", what, bad);
    net_ws_free(ws);
}

static void randomize(net *n, rng_t *g, float r)
{
    float *p[16];
    size_t len[16];
    int np = param_list(n, p, len);
    for (int k = 0; k < np; k++)
        for (size_t i = 0; i < len[k]; i++) p[k][i] = (2 * rng_uniformf(g) - 1) * r;
}

static void all_checks(net *n, const char *what)
{
    forwardcheck(n, what);
    gradcheck(n, what);
    stepcheck(n, what);
}

int main(void)
{
    rng_t g;
    rng_seed(&g, 11, 0);
    const double classes[3] = {1, 2, 5};
    make_batch(&g, classes, 3);
    kern_threads(1);

    /* no hidden layer: softmax and linear */
    net *n = net_new(V, 0, NULL, NULL, NET_OUT_SOFTMAX, 3, classes, 0, &g);
    randomize(n, &g, 0.5f);
    all_checks(n, "softmax, no hidden layer");
    net_free(n);
    n = net_new(V, 0, NULL, NULL, NET_OUT_LINEAR, 0, NULL, 0, &g);
    randomize(n, &g, 0.5f);
    all_checks(n, "linear, no hidden layer");
    net_free(n);

    /* one random hidden layer of each activation, with and without L1 */
    uint32_t acts[4] = {ACT_RELU, ACT_SOFTPLUS, ACT_TANH, ACT_SIGMOID};
    const char *names[4] = {"relu", "softplus", "tanh", "sigmoid"};
    for (int a = 0; a < 4; a++)
        for (int l1 = 0; l1 < 2; l1++)
            for (int out = 0; out < 2; out++) {
                uint32_t sz[1] = {6};
                net *m = net_new(V, 1, sz, &acts[a], out ? NET_OUT_LINEAR : NET_OUT_SOFTMAX, 3, classes,
                                 l1 ? 0.01f : 0.0f, &g);
                randomize(m, &g, 0.7f);
                char what[96];
                snprintf(what, sizeof what, "%s, one %s layer%s", out ? "linear" : "softmax", names[a],
                         l1 ? ", L1" : "");
                all_checks(m, what);
                net_free(m);
            }

    /* a fine-tuned stack of two pretrained layers (with output scales),
     * loaded through model tensors as senti-train --init does */
    model *pm = model_new(MODEL_KIND_LAYER);
    uint32_t st_sizes[2] = {6, 4}, st_acts[2] = {ACT_SOFTPLUS, ACT_TANH};
    net *s = net_new(V, 2, st_sizes, st_acts, NET_OUT_SOFTMAX, 3, classes, 0.005f, &g);
    uint32_t in = V;
    for (int l = 0; l < 2; l++) {
        model_layer set;
        memset(&set, 0, sizeof set);
        set.in_dim = in;
        set.out_dim = st_sizes[l];
        set.act = st_acts[l];
        model_layer *ml = model_add_layer(pm, &set);
        float *W = model_add_tensor(ml, "W", in, st_sizes[l]);
        float *b = model_add_tensor(ml, "b", 1, st_sizes[l]);
        float *sc = model_add_tensor(ml, "scale", 1, st_sizes[l]);
        for (size_t i = 0; i < (size_t)in * st_sizes[l]; i++) W[i] = (2 * rng_uniformf(&g) - 1) * 0.8f;
        for (uint32_t u = 0; u < st_sizes[l]; u++) {
            b[u] = (2 * rng_uniformf(&g) - 1) * 0.3f;
            sc[u] = 0.5f + rng_uniformf(&g);
        }
        char err[256];
        CHECK(net_load_layer(s, l, ml, err, sizeof err) == 0, "load layer %d: %s", l, err);
        in = st_sizes[l];
    }
    CHECK(s->hidden[0].scale && s->hidden[1].scale, "scales loaded");
    all_checks(s, "softmax over a two-layer pretrained stack with scales and L1");
    relu_fold_check(&g);

    /* the training regularisers: L2 (lazy on the input layer), input
     * dropout, hidden dropout, alone and together, with fixed masks */
    rng_seed(&drop_state, 5, 0);
    const float regs[4][3] = {{0.3f, 0, 0}, {0, 0.3f, 0}, {0, 0, 0.4f}, {0.2f, 0.25f, 0.3f}};
    for (int r = 0; r < 4; r++) {
        cur_l2 = regs[r][0];
        cur_in_drop = regs[r][1];
        cur_drop = regs[r][2];
        char what[128];
        snprintf(what, sizeof what, "l2 %g, in-drop %g, drop %g", cur_l2, cur_in_drop, cur_drop);
        char w2[160];
        if (cur_drop == 0) {
            net *m0 = net_new(V, 0, NULL, NULL, NET_OUT_SOFTMAX, 3, classes, 0, &g);
            randomize(m0, &g, 0.5f);
            snprintf(w2, sizeof w2, "softmax, no hidden layer, %s", what);
            gradcheck(m0, w2);
            stepcheck(m0, w2);
            net_free(m0);
        }
        uint32_t sz[1] = {6};
        net *m1 = net_new(V, 1, sz, &acts[0], NET_OUT_SOFTMAX, 3, classes, 0.01f, &g);
        randomize(m1, &g, 0.7f);
        snprintf(w2, sizeof w2, "softmax, one relu layer, L1, %s", what);
        gradcheck(m1, w2);
        stepcheck(m1, w2);
        net_free(m1);
        snprintf(w2, sizeof w2, "two-layer pretrained stack, %s", what);
        gradcheck(s, w2);
        stepcheck(s, w2);
    }
    /* class weights: the gradient of the weighted loss, and the loss is the
     * per-class weighted sum of the unweighted one's terms */
    {
        static const float cw[3] = {0.5f, 2.0f, 1.3f};
        float keep_l2 = cur_l2, keep_in = cur_in_drop, keep_drop = cur_drop;
        cur_l2 = cur_in_drop = cur_drop = 0;
        cur_cw = cw;
        uint32_t sz[1] = {6};
        net *m1 = net_new(V, 1, sz, &acts[0], NET_OUT_SOFTMAX, 3, classes, 0, &g);
        randomize(m1, &g, 0.7f);
        gradcheck(m1, "softmax, one relu layer, class weights 0.5,2,1.3");
        stepcheck(m1, "softmax, one relu layer, class weights 0.5,2,1.3");
        net_ws *wc = net_ws_new(m1, B);
        double weighted = objective(m1, wc);
        double want = 0;
        for (size_t i = 0; i < B; i++) {
            uint32_t c = 0;
            for (uint32_t k = 1; k < 3; k++)
                if (fabs(classes[k] - y[i]) < fabs(classes[c] - y[i])) c = k;
            want -= cw[c] * log((double)wc->O[i * 3 + c]);
        }
        CHECK_NEAR(weighted, want, 1e-6, "weighted loss = sum of w[class] * -log p (naive loop)");
        cur_cw = NULL;
        cur_l2 = keep_l2;
        cur_in_drop = keep_in;
        cur_drop = keep_drop;
        net_ws_free(wc);
        net_free(m1);
    }
    /* dropout changes the objective; the same generator state repeats it;
     * the L2 term adds exactly 0.5 * l2 * (the squared weights counted) */
    {
        net_ws *wd = net_ws_new(s, B);
        double clean = net_loss(s, wd, B, ptr, col, val, y);
        double o1 = objective(s, wd), o2 = objective(s, wd);
        CHECK(o1 == o2, "same dropout state, same objective (%g, %g)", o1, o2);
        CHECK(fabs(o1 - clean) > 1e-6, "dropout changes the objective (%g vs %g)", o1, clean);
        cur_in_drop = cur_drop = 0;
        cur_l2 = 0.5f;
        double pen = objective(s, wd) - clean;
        double want = 0;
        int seen[V] = {0};
        for (size_t e = 0; e < ptr[B]; e++) seen[col[e]] = 1;
        for (uint32_t j = 0; j < V; j++)
            for (uint32_t u = 0; seen[j] && u < s->hidden[0].out; u++)
                want += s->hidden[0].W[j * s->hidden[0].out + u] * s->hidden[0].W[j * s->hidden[0].out + u];
        for (size_t i = 0; i < (size_t)s->hidden[1].in * s->hidden[1].out; i++) want += s->hidden[1].W[i] * s->hidden[1].W[i];
        for (size_t i = 0; i < (size_t)s->hidden[1].out * s->nclass; i++) want += s->Wo[i] * s->Wo[i];
        want *= 0.5 * 0.5 * B;
        CHECK_NEAR(pen, want, 1e-4 * want, "L2 term of the objective");
        cur_l2 = 0;
        net_ws_free(wd);
    }

    /* frozen layers do not move */
    s->hidden[0].frozen = s->hidden[1].frozen = 1;
    float w0 = s->hidden[0].W[3], w1 = s->hidden[1].W[2], wo = s->Wo[1];
    net_ws *ws = net_ws_new(s, B);
    train_step(s, ws, 0.1f, NULL);
    CHECK(s->hidden[0].W[3] == w0 && s->hidden[1].W[2] == w1, "frozen layers unchanged");
    CHECK(s->Wo[1] != wo, "output layer trained under --freeze");
    s->hidden[0].frozen = s->hidden[1].frozen = 0;

    /* a wrong-shaped layer is refused */
    char err[256];
    CHECK(net_load_layer(s, 1, &pm->layers[0], err, sizeof err) < 0, "wrong-shaped layer refused (%s)", err);

    /* model round trip: same predictions */
    double p1[B], p2[B];
    net_forward(s, ws, B, ptr, col, val, p1);
    strcpy(s->vocab, "0123456789abcdef");
    model *nm = net_to_model(s, "senti-train test");
    FILE *f = tmpfile();
    CHECK(model_write(f, nm) == 0, "network written");
    rewind(f);
    model *back = model_read(f, MODEL_KIND_NETWORK, "tmp", err, sizeof err);
    CHECK(back != NULL, "network read back: %s", err);
    net *s2 = back ? net_from_model(back, err, sizeof err) : NULL;
    CHECK(s2 != NULL, "network rebuilt: %s", err);
    if (s2) {
        net_ws *ws2 = net_ws_new(s2, B);
        net_forward(s2, ws2, B, ptr, col, val, p2);
        int same = 1;
        for (int i = 0; i < B; i++) same &= p1[i] == p2[i];
        CHECK(same, "predictions identical after the round trip");
        CHECK(strcmp(s2->vocab, "0123456789abcdef") == 0, "vocabulary digest kept");
        net_ws_free(ws2);
        net_free(s2);
    }
    model *lm = model_new(MODEL_KIND_LAYER);
    CHECK(net_from_model(lm, err, sizeof err) == NULL && strstr(err, "not a network"), "layer model refused: %s", err);
    model_free(lm);
    model_free(back);
    model_free(nm);
    fclose(f);
    net_ws_free(ws);
    net_free(s);
    model_free(pm);
    return check_report();
}
