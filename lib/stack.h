/* stack.h - a deep autoencoder made of pretrained layers (lib/dae), fine-
 * tuned as a whole on reconstruction: the stacked denoising autoencoders
 * of collaborative filtering (Strub & Mary 2015, their Figure 1: an outer
 * autoencoder, an inner one trained on the outer's clean codes, then the
 * whole four-layer autoencoder trained with the sparse loss).
 *
 * Layers 1..L (layer l: W_l (in_l, H_l), b_l, Wd_l (in_l, H_l), c_l; the
 * input of layer l + 1 is layer l's hidden code, in_{l+1} = H_l):
 *   encoders   h_1 = act_1(x~ W_1 + b_1), h_l = act_l(h_{l-1} W_l + b_l)
 *   decoders   r_{L+1} = h_L; r_l = g_l(r_{l+1} Wd_l^T + c_l) for l = L..2,
 *              with g_l the output function of layer l's reconstruction
 *              (identity for linear-se, sigmoid for sigmoid-ce, ...)
 *   output     o = r_2 Wd_1^T + c_1, and the loss of layer 1's
 *              reconstruction on the outputs of the loss (all, or the
 *              non-zero inputs under observed-only), each weighted emph_a
 *              when corrupted and emph_b otherwise (dae.h's objective with
 *              full reconstruction), plus l1 * sum |h| over every code.
 * Noise (the corruption x~ of the input) and the loss settings are those of
 * the stack's configuration (the outer layer's, or given).
 *
 * The library never exits; functions return -1 or NULL with a message.
 */
#ifndef SENTI_STACK_H
#define SENTI_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "dae.h"
#include "params.h"
#include "sparse.h"
#include "train.h"

typedef struct stack {
    int L;
    dae **layer;      /* L layers, views into par (each its own W, b, c, scale, Wd) */
    dae_config cfg;   /* noise, emphasis, observed-only, l1 of the fine-tuning;
                         recon = layer 1's */
    params par;       /* one block: layer l's views named W<l>, b<l>, c<l>, s<l>, D<l> */
    char vocab[17];   /* the input's digest */
} stack;

/* A stack of copies of the given layers (in_{l+1} = H_l; untied; every
 * layer's activation and reconstruction kept), fine-tuned with cfg's
 * noise, emphasis, observed-only and l1 (cfg's dimensions are ignored).
 * NULL with a message when the shapes do not chain. */
stack *stack_new(dae *const *layers, int L, const dae_config *cfg, char *err, size_t errlen);
void stack_free(stack *s);

/* As a model of kind stack (MODEL_KIND_STACK): the layers in order, each
 * as in a layer model; tensors borrow s's block.  NULL when out of memory. */
model *stack_to_model(const stack *s, const char *cmdline);
/* From a model of kind stack (copies the parameters; m stays the
 * caller's).  NULL with a message. */
stack *stack_from_model(const model *m, char *err, size_t errlen);

typedef struct stack_ws stack_ws;
/* Buffers for batches of up to maxb rows; NULL when out of memory. */
stack_ws *stack_ws_new(const stack *s, size_t maxb);
void stack_ws_free(stack_ws *w);

/* The reconstruction pre-activations o (and nothing else) of R clean rows
 * (CSR arrays, columns < in_1) at the output columns want[ptr[r]..]: out
 * gets one value per wanted column, g_1 not applied (the rating is
 * read off o for linear-se).  R <= maxb.  0, or -1 when out of memory. */
int stack_predict(const stack *s, stack_ws *w, size_t R, const size_t *ptr, const uint32_t *col, const float *val,
                  const size_t *wptr, const uint32_t *want, float *out);

/* Objective (summed over the rows) and gradient at s's parameters of R
 * rows of data, corrupted with noise drawn from g (its corrupted positions
 * J per row get emph_a): g_out += scale * gradient (g_out has s's layout;
 * g_out == &s->par with scale -lr/R is an SGD step).  Returns the summed
 * objective, -1 when out of memory.  noise may be NULL: no corruption. */
double stack_grad(stack *s, stack_ws *w, const sparse_csr *data, const size_t *rows, size_t R, rng_t *noise,
                  params *g_out, float scale);

/* The mean objective per row of clean data (no corruption), for
 * validation; < 0 when out of memory. */
double stack_loss(stack *s, stack_ws *w, const sparse_csr *data);

/* The stack as a task of the training driver: steps of up to maxb rows of
 * data with noise from (seed, 2), the mean clean loss as the validation
 * figure.  *task stays valid while s and w live. */
typedef struct stack_trainer stack_trainer;
stack_trainer *stack_trainer_new(stack *s, const sparse_csr *data, size_t maxb, uint64_t seed);
void stack_trainer_free(stack_trainer *t);
void stack_task(stack_trainer *t, train_task *task);

#endif
