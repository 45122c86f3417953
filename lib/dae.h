/* dae.h - one denoising-autoencoder layer over sparse input (docs/dae.md):
 * encoder h = act(x~ W + b), decoder z = rec(h Wd^T + c), trained by
 * minibatch SGD on a weighted reconstruction loss plus an L1 penalty on h.
 *
 * Shapes: V inputs, H hidden units.  W is (V,H): row j holds the weights
 * from input j to every hidden unit, so a sparse input touches only the
 * rows of its active columns.  Wd is (V,H) too (row j feeds output j);
 * with tied weights Wd is W.  b is (H), c is (V), scale is (H).
 *
 * Objective of one example (Vincent 2010, Glorot 2011 sec. 4.1):
 *   sum_j w_j loss(o_j, x_j) + l1 * sum_k |h_k|,   o = h Wd^T + c
 *   w_j = emph_a if input j was corrupted, emph_b otherwise;
 *         0 under observed-only for the outputs whose input is absent
 *         from the line (known entries: the ones present, explicit zeros
 *         included);
 *   with reconstruction sampling, outputs outside D = nz(x) u nz(x~) u J
 *   are a uniform sample of K with weight emph_b * count * |R| / K
 *   (J, the corrupted positions, joins D only when emph_a != emph_b).
 * The library never exits; functions return -1/NULL with a message.
 */
#ifndef SENTI_DAE_H
#define SENTI_DAE_H

#include <stddef.h>
#include <stdint.h>

#include "act.h"
#include "model.h"
#include "params.h"
#include "rng.h"
#include "sparse.h"
#include "train.h"

/* Codes stored in model files: never renumber (activations: act.h). */
enum { DAE_RECON_SIGMOID_CE = 1, DAE_RECON_LINEAR_SE = 2, DAE_RECON_SOFTPLUS_SE = 3,
       DAE_RECON_RELU_SE = 4 };
enum { DAE_NOISE_NONE = 0, DAE_NOISE_SP = 1, DAE_NOISE_MASK = 2, DAE_NOISE_GAUSS = 3 };

typedef struct dae_config {
    uint32_t in_dim;       /* V */
    uint32_t hidden;       /* H */
    int act;               /* ACT_* (act.h) */
    int recon;             /* DAE_RECON_* */
    int noise;             /* DAE_NOISE_* */
    float noise_level;     /* P for sp/mask (fraction of all inputs), sigma for gauss */
    float emph_a, emph_b;  /* loss weight of corrupted / untouched inputs */
    float l1;              /* L1 penalty on hidden activations */
    int tied;              /* decoder weights = encoder weights */
    int observed_only;     /* loss only on the entries present in each line (the known
                              ratings of a rating matrix; an explicit 0 is known) */
    uint32_t sample_zeros; /* K > 0: reconstruction sampling */
    float code_noise;      /* training only: Gaussian noise of this deviation added to the
                              hidden pre-activations (pushes sigmoid units towards 0/1,
                              as in semantic hashing); not stored in the model */
} dae_config;

/* Defaults: relu, sigmoid-CE, sp:0.1, emphasis 1,1, l1 0, untied, full. */
void dae_config_default(dae_config *c, uint32_t in_dim, uint32_t hidden);
/* NULL if c is usable, else a message saying what is wrong. */
const char *dae_config_check(const dae_config *c);

/* The loss of one output: loss(o, x) of reconstruction `recon` at the
 * pre-activation o and target x, with d loss / d o in *d; and the output
 * value g(o) a reconstruction gives (sigmoid, identity, softplus, relu),
 * for decoders stacked on decoders (lib/stack). */
float dae_recon_point(int recon, float o, float x, float *d);
float dae_recon_out(int recon, float o);

/* Names <-> codes for options and messages ("sigmoid-ce", "sp", ...;
 * activations: act_name/act_parse).  Parsers return -1 on an unknown name. */
const char *dae_recon_name(int recon);
const char *dae_noise_name(int noise);
int dae_recon_parse(const char *s);
/* "sp:P", "mask:P", "gauss:S", "none" -> noise code and level; -1 if bad. */
int dae_noise_parse(const char *s, int *noise, float *level);

typedef struct dae {
    dae_config cfg;
    params par;       /* the parameter block: views W, b, c, scale, [Wd] */
    float *W;         /* (V,H) encoder */
    float *Wd;        /* (V,H) decoder; == W when tied */
    float *b;         /* (H) hidden bias */
    float *c;         /* (V) reconstruction bias */
    float *scale;     /* (H) per-unit scale applied by encoding (1 = none); fixed in training */
    float in_scale;   /* inputs are multiplied by this (1 for pretrained layers) */
    char vocab[17];   /* digest of the input it was trained on ("" if unknown) */
    uint64_t checksum;/* checksum of the model file it was read from (0 for a new layer) */
} dae;

/* New layer with zero parameters and scale 1; NULL on bad config (message
 * in err) or no memory. */
dae *dae_new(const dae_config *cfg, char *err, size_t errlen);
void dae_free(dae *d);
/* A layer of the same shape and tying with zero parameters (gradients). */
dae *dae_new_like(const dae *d);
/* Glorot-uniform weights in +-sqrt(6/(V+H)), zero biases. */
void dae_init(dae *d, rng_t *r);
/* Copy all parameters of src into dst (same shape). */
void dae_copy(dae *dst, const dae *src);

/* Wrap a loaded model (kind layer, one layer): checks codes, tensors and
 * shapes, copies the parameters into the layer's block, keeps the vocabulary
 * digest and the file's checksum.  Frees m on success only. */
dae *dae_from_model(model *m, char *err, size_t errlen);
/* The layer as a model of kind layer whose tensors borrow d's block (valid
 * while d lives): the training command line and d's vocabulary digest are
 * recorded.  NULL when out of memory. */
model *dae_to_model(const dae *d, const char *cmdline);
/* Give a layer other training settings (noise, reconstruction, emphasis,
 * L1, observed-only, sampling).  The input dimension, hidden size,
 * activation and tying must stay and the input scale must be 1; -1 with a
 * message otherwise. */
int dae_set_config(dae *d, const dae_config *c, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * encoding (also what a network trainer calls to stack layers) */

/* Hidden activations of R sparse rows (entries ptr[r]..ptr[r+1] of col/val,
 * columns < V): out (R,H).  scaled: multiply by the per-unit scale and
 * clip to [0,1] for rectifier/softplus units (what stacking uses). */
void dae_forward(const dae *d, size_t R, const size_t *ptr, const uint32_t *col,
                 const float *val, float *out, int scaled);
/* The same for dense input X (R,V). */
void dae_forward_dense(const dae *d, size_t R, const float *X, float *out, int scaled);

/* Per-unit scale = 1 / (largest activation over data), for rectifier and
 * softplus units (1 for others or units never active); the largest
 * activation counts as at least DAE_SCALE_FLOOR times the median of the
 * units' largest activations, so that nearly silent units are not stretched
 * to 1.  Returns -1 on no memory. */
#define DAE_SCALE_FLOOR 0.1f
int dae_compute_scale(dae *d, const sparse_csr *data);

/* Reconstruction loss of clean (uncorrupted) rows, full reconstruction,
 * unit weights (observed-only honoured), no L1: the sum over rows.
 * zero_frac (may be NULL) gets the fraction of exactly-zero hidden units.
 * -1 when out of memory. */
double dae_recon_loss(const dae *d, const sparse_csr *data, double *zero_frac);

/* ------------------------------------------------------------------------
 * training */

typedef struct dae_trainer dae_trainer;

/* Decoder kernels: sgemm over blocks of output rows (full reconstruction
 * only), or the row kernel (per output row: the examples that reconstruct
 * it).  AUTO: sgemm for full reconstruction of batches of 10 or more, rows
 * otherwise (small batches, sampling, observed-only). */
enum { DAE_KERNEL_AUTO = 0, DAE_KERNEL_GEMM = 1, DAE_KERNEL_ROWS = 2 };

/* A trainer over data (kept by reference) for batches of at most batch
 * rows.  Noise ranges: 0/1 when every value lies in [0,1], else each
 * column's [min(0,min), max(0,max)].  NULL with a message on failure
 * (sigmoid-ce needs targets in [0,1]). */
dae_trainer *dae_trainer_new(dae *d, const sparse_csr *data, size_t batch, char *err,
                             size_t errlen);
void dae_trainer_free(dae_trainer *t);
void dae_trainer_kernel(dae_trainer *t, int kernel);

/* Batch steps, for the epoch loop and for tests:
 * 1. corrupt n rows of the data (row numbers rows[]) with noise (and draw
 *    the code noise, from the same generator);
 * 2. draw the reconstruction sample (no-op unless sample_zeros);
 * 3. objective and gradient at d's parameters: target += scale * gradient
 *    of the summed objective (target == d for an SGD step with
 *    scale = -lr/n; a zeroed dae_new_like(d) with scale 1 for the plain
 *    gradient).  Returns the summed objective (>= 0; inf or NaN once training
 *    has diverged), or -1 when out of memory. */
int dae_batch_corrupt(dae_trainer *t, const size_t *rows, size_t n, rng_t *noise);
int dae_batch_sample(dae_trainer *t, rng_t *samp);
double dae_batch_grad(dae_trainer *t, dae *target, float scale);

/* What the last batch used, for tests: example i's clean and corrupted
 * rows, corrupted positions J, sampled outputs with their weights
 * (count * |R| / K, before emphasis), and the noise added to its hidden
 * pre-activations (H values, NULL without code noise). */
typedef struct dae_example_view {
    size_t nx;
    const uint32_t *xcol;
    const float *xval;
    size_t nxt;
    const uint32_t *xtcol;
    const float *xtval;
    size_t nj;
    const uint32_t *jcol;
    size_t ns;
    const uint32_t *scol;
    const float *sw;
    const float *code_noise;
} dae_example_view;
void dae_batch_view(const dae_trainer *t, size_t i, dae_example_view *v);
/* Fraction of exactly-zero hidden activations in the last dae_batch_grad. */
double dae_batch_zero_frac(const dae_trainer *t);

/* The layer as what the training driver trains (lib/train): steps of the
 * trainer's batch size on its data, the noise and sampling generators
 * seeded from (seed, 2) and (seed, 3), the mean reconstruction loss as the
 * validation figure, the fraction of zero hidden units as a log column.
 * *task stays valid while t lives. */
void dae_task(dae_trainer *t, uint64_t seed, train_task *task);

#endif
