/* net.h - the supervised network of senti-train / senti-predict: sparse
 * input, zero or more hidden layers (random, or pretrained DAE encoders with
 * their per-unit output scale), and an output layer that is either a
 * softmax over the rating classes, predicting the expected rating
 * sum_k p_k * rating_k (Glorot et al. 2011), or a linear regression.
 *
 * Shapes: the input X is sparse (B,V).  Hidden layer l has W (in,out)
 * stored row-major, so row j holds the weights leaving input j and a sparse
 * input sums rows; b (out); scale (out) or NULL; h = act(x W + b) * scale.
 * The output layer has Wo (H,K) and bo (K), K classes (1 for linear).
 *
 * Loss per example: cross-entropy (softmax) or 0.5 (yhat - y)^2 (linear),
 * plus l1 * sum of |h| over every hidden unit; the batch objective is the
 * mean over the batch plus the L2 penalty 0.5 * l2 * (sum of squared
 * weights), where the weights of the input layer count only for the inputs
 * present in the batch (so that a step touches only those rows: "lazy"
 * decay, the usual form for sparse input).  Biases are not penalised.
 *
 * Training regularisers (net_train_cfg): inverted dropout of the input
 * non-zeros (each kept with probability 1 - in_drop and scaled by
 * 1/(1 - in_drop)) and of every hidden layer's output (likewise with drop);
 * the L1 term always sees the activations before dropout.  Prediction uses
 * no dropout.  Training is minibatch SGD.
 */
#ifndef SENTI_NET_H
#define SENTI_NET_H

#include <stddef.h>
#include <stdint.h>

#include "kern.h"
#include "model.h"
#include "params.h"
#include "rng.h"
#include "sparse.h"
#include "train.h"

/* output kinds, stored as the output layer's `recon` code */
enum { NET_OUT_SOFTMAX = 101, NET_OUT_LINEAR = 102 };

typedef struct net_layer {
    uint32_t in, out;
    uint32_t act;   /* activation code (act.h ACT_*) */
    float *W;       /* (in, out): views into the network's block */
    float *b;       /* (out) */
    float *svec;    /* (out) the layer's scale view (all 1 when unscaled) */
    float *scale;   /* svec when the layer scales its outputs, else NULL */
    int frozen;     /* kept fixed by training */
} net_layer;

typedef struct net {
    uint32_t in_dim;
    int nhidden;
    net_layer *hidden;   /* nhidden layers */
    int output;          /* NET_OUT_SOFTMAX or NET_OUT_LINEAR */
    uint32_t nclass;     /* K (1 for linear) */
    double *classes;     /* K ratings, increasing (softmax) */
    float *Wo, *bo;      /* (H, K), (K) */
    float l1;            /* L1 penalty on hidden activations */
    char vocab[17];      /* digest of the input vocabulary, or "" */
    params par;          /* the parameter block: W1 b1 s1 ... Wo bo */
} net;

/* Buffers for batches of up to maxb examples (no allocation per batch). */
typedef struct net_ws {
    size_t maxb;
    int nh;               /* number of hidden layers the buffers are for */
    float **Z, **H, **dH; /* per hidden layer, (B,out) each */
    float *O, *dO;        /* output logits and their gradient (B,K) */
    float **M;            /* per hidden layer, dropout multipliers (B,out) */
    kern_csc csc;         /* column-grouped batch input, for sparse updates */
    uint32_t *work;       /* in_dim counters for kern_csc_build */
    size_t *dptr;         /* the batch input after input dropout (maxb+1) */
    uint32_t *dcol;
    float *dval;
    size_t dcap;
} net_ws;

/* How one training step regularises and moves the parameters. */
typedef struct net_train_cfg {
    float lr;      /* learning rate */
    float l2;      /* L2 penalty on the weights (not biases) */
    float in_drop; /* dropout probability of each input non-zero */
    float drop;    /* dropout probability of each hidden activation */
    rng_t *rng;    /* source of the dropout masks (needed when a rate > 0) */
    const float *class_weight; /* softmax: weight of each class's examples in the loss (K), NULL = 1 */
} net_train_cfg;

/* A new network with random hidden layers of sizes[l] units and acts[l]
 * activations (nhidden may be 0), Glorot-uniform weights drawn from g, an
 * output layer of the given kind; classes (K ratings, increasing) for
 * softmax.  Returns NULL on allocation failure. */
net *net_new(uint32_t in_dim, int nhidden, const uint32_t *sizes, const uint32_t *acts, int output,
             uint32_t nclass, const double *classes, float l1, rng_t *g);
void net_free(net *n);

/* Replace hidden layer l's parameters with those of a pretrained layer
 * (tensors W (in,out), b (out), optional scale (out)).  A rectifier
 * layer's positive scale is folded into W and b (same function, and no
 * factor that speeds up some units' fine-tuning by its square); other
 * activations keep it.  Returns -1 with a reason in err when the shapes do
 * not fit. */
int net_load_layer(net *n, int l, const model_layer *ml, char *err, size_t errlen);

net_ws *net_ws_new(const net *n, size_t maxb);
void net_ws_free(net_ws *ws);

/* Forward a batch of B <= maxb sparse rows (CSR arrays, 0-based columns
 * < in_dim).  Afterwards ws->O holds the softmax probabilities (softmax) or
 * the predictions (linear), and pred[i] the predicted ratings.  Each row's
 * result has the same bytes whatever B and the thread count.  Returns 0,
 * or -1 when out of memory. */
int net_forward(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                double *pred);

/* Forward (with the dropout masks of cfg), loss and one SGD step of
 * learning rate cfg->lr on a batch with target ratings y (softmax: each y
 * must be one of the classes).  Returns the batch's objective before the
 * step times B (data term + L1 term summed over the rows, plus B times the
 * L2 term; inf or NaN once training has diverged), or -1 when out of
 * memory.  With grad != NULL no parameter
 * changes: the gradient of the objective (mean loss + L2) is added into
 * grad's parameters instead (grad has n's shape; for tests).  Masks are
 * drawn from cfg->rng, so the same generator state gives the same step. */
double net_train_batch(net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                       const double *y, const net_train_cfg *cfg, net *grad);

/* The value net_train_batch would return, without any update (for the
 * gradient checks: the same generator state gives the same masks). */
double net_objective(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col,
                     const float *val, const double *y, const net_train_cfg *cfg);

/* Summed loss of a batch without any update or dropout (data + L1 term). */
double net_loss(const net *n, net_ws *ws, size_t B, const size_t *ptr, const uint32_t *col, const float *val,
                const double *y);

/* Fraction of exactly-zero activations (before dropout) of hidden layer l
 * in the last forward batch of B rows. */
double net_zero_fraction(const net *n, const net_ws *ws, int l, size_t B);

/* Store as / rebuild from a model container (kind MODEL_KIND_NETWORK). */
model *net_to_model(const net *n, const char *cmdline);
net *net_from_model(const model *m, char *err, size_t errlen);

/* A zero-filled network of the same shape (for gradients). */
net *net_clone_zero(const net *n);
/* dst = src for two networks of the same shape. */
void net_copy(net *dst, const net *src);

/* The distinct labels of y[0..n) as float32 values (what the model file
 * stores), increasing, into out (room for n): labels equal as floats are
 * one class.  Returns their number. */
uint32_t net_classes(const double *y, size_t n, double *out);
/* Output biases from the training labels: the log class frequencies
 * (softmax; each label is counted at its nearest class), the mean label
 * (linear). */
void net_init_output(net *n, const double *y, size_t rows);

/* RMSE of n's predictions over every row of data (labels needed), in
 * batches of ws->maxb; batch is scratch. */
double net_rmse(const net *n, net_ws *ws, const sparse_csr *data, sparse_csr *batch, double *pred);

/* ------------------------------------------------------------------------
 * the network as what the training driver trains (lib/train) */

typedef struct net_trainer net_trainer;

/* How senti-train trains: the regularisers of each step (cfg.rng is
 * ignored: the dropout masks come from the generator (seed, 2)), and which
 * of the first `ninit` hidden layers (the pretrained ones) train: none with
 * freeze, none in the first `warm` epochs, all after. */
typedef struct net_train_opts {
    net_train_cfg cfg;
    int ninit;
    int freeze;
    long warm;
} net_train_opts;

/* A trainer of n on the labeled rows of data (kept by reference) for
 * minibatches of at most batch rows; NULL when out of memory. */
net_trainer *net_trainer_new(net *n, const sparse_csr *data, size_t batch, const net_train_opts *o, uint64_t seed);
void net_trainer_free(net_trainer *t);
/* The task: steps with train RMSE and each hidden layer's zero fraction as
 * log columns, the validation RMSE as the figure.  Valid while t lives. */
void net_task(net_trainer *t, train_task *task);

#endif
