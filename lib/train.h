/* train.h - the one training driver of senti-pretrain and senti-train
 * (docs/train.md): epochs, the seeded shuffle, minibatches, validation and
 * early stopping with patience, the learning-rate schedule, momentum and
 * weight decay, divergence detection, progress, the TSV log, checkpoints
 * and --resume.  What is trained supplies a train_task: a step on one
 * minibatch and a figure on a set of lines; a denoising-autoencoder layer
 * (dae_task, lib/dae) and a supervised network (net_task, lib/net) do.
 *
 * Every epoch e (1-based):
 *   order = 0..N-1, shuffled by the driver's generator (seed, stream 1):
 *   the order of an epoch depends only on the generator's state, which
 *   checkpoints keep, so a resumed run replays nothing;
 *   minibatches of `batch` rows in that order (the last may be shorter);
 *   learning rate lr / (1 + decay (e - 1)).
 * Data-parallel (under mpirun, lib/dist; docs/scale.md): every rank holds
 * all the rows and shuffles them the same way; a minibatch of `batch` rows
 * is shared out between the ranks, each stepping on its part with its own
 * generators, and the driver's one hook, train_sync, averages the ranks'
 * parameters every sync_every steps and at the end of every epoch, so that
 * every rank goes on from the same parameters (with sync_every 1 that is
 * a step on the whole minibatch's mean gradient, up to float rounding).
 *
 * Like lib/cli, the driver belongs to the programs' own layer: it writes
 * the log and checkpoints through lib/cli and ends the process with one
 * line on stderr when a write fails, when training diverges or when a
 * checkpoint does not fit the run.
 */
#ifndef SENTI_TRAIN_H
#define SENTI_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "params.h"
#include "rng.h"
#include "sparse.h"

#define TRAIN_MAX_COLS 64

/* What is trained. */
typedef struct train_task {
    void *self;
    params *par;      /* the parameter block (views with PARAM_FIXED are never changed) */
    /* One minibatch: rows[0..n) of the training data.  g == NULL: an SGD
     * step of rate lr on the batch's mean objective, in place (the fused
     * backward and update).  g != NULL: the gradient of that mean objective
     * is added into g (par's layout) and the parameters stay.  Returns the
     * batch's summed objective (>= 0, not finite once training diverged),
     * or -1 when out of memory; adds the batch's statistics into
     * acc[0..nacc). */
    double (*step)(void *self, const size_t *rows, size_t n, float lr, params *g, double *acc);
    /* The validation figure of the current parameters on data (lower is
     * better; what early stopping minimises), < 0 when out of memory. */
    double (*valid)(void *self, const sparse_csr *data);
    /* Called before each epoch (may be NULL): e.g. which layers train. */
    void (*epoch_begin)(void *self, long epoch);
    /* The log columns: after train_loss come npre columns, then the
     * validation figure (named valid_name), then npost columns;
     * columns() turns an epoch's accumulators into their values. */
    int nacc, npre, npost;
    const char *pre[TRAIN_MAX_COLS], *post[TRAIN_MAX_COLS];
    const char *valid_name;   /* the log column, e.g. "valid_rmse" */
    const char *valid_label;  /* in messages, e.g. "validation RMSE" */
    void (*columns)(void *self, const double *acc, size_t rows, size_t batches, double *pre, double *post);
    /* 1 when a step changes only the rows of the first view (the input
     * layer's weights) of the inputs present in its data rows (so that
     * --sync-rows may send only those); 0 when it may change others
     * (salt-and-pepper or Gaussian corruption adds inputs). */
    int input_rows;
    /* The generators the steps draw from, saved in checkpoints. */
    int nrng;
    rng_t *rng[4];
    const char *rng_name[4];
} train_task;

/* The trainer's options.  The programs keep their common options here
 * (their option tables point into it), so that what the command line says
 * is what the driver gets. */
typedef struct train_opts {
    const char *program;   /* "senti-pretrain": messages, checkpoints */
    long epochs;
    long batch;
    double lr, decay;
    double momentum;       /* > 0: v = momentum v + g, p -= lr v */
    double weight_decay;   /* > 0: g += weight_decay w on PARAM_WEIGHT views */
    long patience;         /* with valid data: stop after that many epochs without a better figure; 0: never */
    int keep_best;         /* with valid data: end with the best epoch's parameters */
    unsigned long long seed;
    const char *log;       /* TSV log path, or NULL */
    const char *checkpoint;/* checkpoint path, or NULL */
    int resume;
    long stop_after;       /* end after this many epochs of this run, checkpoint kept (0: off) */
    /* settings: the option table whose OPT_SETTING values must match on
     * --resume, and key=value lines of derived ones (e.g. the digests of
     * the --init layers), or NULL */
    const opt_prog *prog;
    const char *extra_settings;
    /* data-parallel (several ranks): average the parameters every
     * sync_every steps (>= 1); with sync_rows, of the input layer's
     * weights (the block's first view) only the rows of the inputs the
     * ranks' steps used since the last average are sent */
    long sync_every;
    int sync_rows;
} train_opts;

typedef struct train_result {
    long epochs;       /* epochs done in all */
    long best_epoch;   /* with valid data: the epoch of the best figure */
    double best;       /* that figure (NAN without valid data) */
    int interrupted;   /* --stop-after ended the run: write no model */
} train_result;

/* Defaults: 10 epochs, batch 10, lr 0.01, no decay, momentum or weight
 * decay, patience 0, seed 1, one process. */
void train_opts_default(train_opts *o);

/* Train t on `train` (rows as CSR; the task knows it too), with valid
 * (may be NULL: no validation) as the held-out set.  At the end the
 * task's parameters are the result (the best epoch's with keep_best and
 * valid data).  Dies with a message on the errors above. */
void train_run(const train_task *t, const sparse_csr *train, const sparse_csr *valid, const train_opts *o,
               train_result *res);

/* What training data must be: */
typedef struct train_input {
    uint32_t dim;       /* largest input dimension (0: any) */
    const char *vocab;  /* the vocabulary digest every header must have (NULL/"": any) */
    const char *what;   /* who sets them, in messages ("the model", "the training data") */
    int labeled;        /* every row must carry a label */
    unsigned flags;     /* reader flags (SPARSE_ZERO_BASED) */
    const char *labels; /* label map "name=number,..." (sparse_reader_labels), NULL for none */
    int keep_comments;  /* keep '#' lines in the matrix (sparse_csr.keep_comments) */
    int may_be_empty;   /* a stream without rows is a matrix without rows, not an error */
    /* one more test of every row (NULL: none): NULL when the row is good,
     * else the reason it is refused, written into msg[0..size) and
     * reported at the row's file:line */
    const char *(*check)(const sparse_row *row, const void *ctx, char *msg, size_t size);
    const void *check_ctx;
} train_input;

/* Read sparse lines from paths[0..n) ("-" = stdin) into one matrix, for
 * training and for every program that needs its input whole (lib/cf):
 * the files are one stream (their headers must agree, lib/sparse) held to
 * *in; the stream's vocabulary digest (or "") goes to vocab; a matrix
 * without rows is refused with the files' name unless in->may_be_empty.
 * The matrix's dim is the header's dim= when larger than its largest
 * column + 1.  Dies with file:line on bad input. */
sparse_csr *train_read(const char *const *paths, int n, const train_input *in, char vocab[17]);

/* Writes m to path as a whole (a temporary file renamed into place,
 * cli_out_open); dies on an error.  m stays the caller's. */
void train_save_model(const char *path, model *m);

/* FNV-1a 64 of a matrix's rows, columns, values and labels: what a
 * checkpoint remembers of its data. */
uint64_t train_data_digest(const sparse_csr *m);

#endif
