/* model.h - the model file container shared by every trained senti model
 * (docs/model-format.md): a pretrained layer, a network (stacked layers +
 * output layer), or a training checkpoint.
 *
 *   magic "SENTIMDL", format version, kind, vocabulary digest, the training
 *   command line, a kind-specific "extra" blob (checkpoints keep the trainer
 *   state there), then layers: each has dimensions, settings and named
 *   float32 tensors; finally an FNV-1a 64 checksum of all bytes before it.
 *
 * All integers little-endian.  The library only builds, writes and reads
 * the container; what the tensors mean belongs to the layer code (dae.h).
 * Readers never exit: they return NULL/-1 and a reason in err.
 */
#ifndef SENTI_MODEL_H
#define SENTI_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MODEL_MAGIC "SENTIMDL"
#define MODEL_VERSION 1u

/* kinds */
#define MODEL_KIND_LAYER 1u       /* one pretrained DAE layer */
#define MODEL_KIND_NETWORK 2u     /* stacked layers + output layer */
#define MODEL_KIND_CHECKPOINT 3u  /* parameter blocks plus the trainer state in extra (lib/train) */
#define MODEL_KIND_NET_CHECKPOINT 4u /* before the common trainer state: refused by name */
#define MODEL_KIND_STACK 5u       /* a deep autoencoder: stacked layers fine-tuned together (lib/stack) */

#define MODEL_NAME_MAX 15         /* tensor names: 1..15 bytes [A-Za-z0-9_] */
#define MODEL_MAX_TENSORS 64
#define MODEL_MAX_LAYERS 256
#define MODEL_ERR_LEN 256

typedef struct model_tensor {
    char name[MODEL_NAME_MAX + 1];
    uint32_t rows, cols;     /* shape; a vector has rows = 1 */
    float *data;             /* rows*cols floats, owned by the model unless borrowed */
    int borrowed;            /* data belongs to the caller (model_add_tensor_ref) */
} model_tensor;

/* Settings of one layer.  Codes are defined by the layer code (dae.h for
 * act/recon/noise; the network code adds its own output codes). */
typedef struct model_layer {
    uint32_t in_dim, out_dim;
    uint32_t act;            /* hidden activation code */
    uint32_t recon;          /* reconstruction / output code */
    uint32_t noise;          /* noise code */
    float noise_level;
    float emph_a, emph_b;    /* emphasis on corrupted / untouched inputs */
    float l1;                /* L1 penalty on activations */
    uint32_t flags;          /* MODEL_FLAG_* */
    uint32_t sample_zeros;   /* reconstruction sampling: zeros per example, 0 = full */
    float in_scale;          /* inputs are multiplied by this before use */
    uint32_t ntensors;
    model_tensor *tensors;
} model_layer;

#define MODEL_FLAG_TIED 1u          /* decoder weights = encoder weights */
#define MODEL_FLAG_OBSERVED_ONLY 2u /* loss only on non-zero inputs */
#define MODEL_FLAG_KNOWN 3u         /* mask of defined flags */

typedef struct model {
    uint32_t kind;
    char vocab[17];          /* 16 lowercase hex digits, or "" */
    char *cmdline;           /* training command line ("" if none) */
    size_t extra_len;
    unsigned char *extra;    /* kind-specific bytes (NULL if extra_len 0) */
    uint32_t nlayers;
    model_layer *layers;
    uint64_t checksum;       /* set by model_write and the readers */
} model;

/* New empty model of a kind; NULL on allocation failure.  Free with
 * model_free (NULL is fine), which frees every tensor, layer and string. */
model *model_new(uint32_t kind);
void model_free(model *m);

/* Set the command line (copied) / vocabulary digest ("" or 16 hex digits,
 * copied) / extra bytes (copied).  Return -1 on bad input or no memory. */
int model_set_cmdline(model *m, const char *cmdline);
int model_set_vocab(model *m, const char *vocab);
int model_set_extra(model *m, const void *p, size_t len);

/* Append a layer (settings copied, no tensors); returns it, NULL on failure. */
model_layer *model_add_layer(model *m, const model_layer *settings);
/* Add a zeroed tensor of shape (rows, cols) to a layer; returns its data
 * (64-byte aligned), NULL on bad name/duplicate/no memory. */
float *model_add_tensor(model_layer *l, const char *name, uint32_t rows, uint32_t cols);
/* Add a tensor whose data stays the caller's (a view into a parameter
 * block, written as it is, not copied and not freed by model_free); the data
 * must outlive the model.  Returns 0, -1 on bad name/duplicate/no memory. */
int model_add_tensor_ref(model_layer *l, const char *name, uint32_t rows, uint32_t cols, float *data);
/* Find a tensor by name, NULL if absent. */
model_tensor *model_find(const model_layer *l, const char *name);

/* Write the whole model to f.  Returns 0, or -1 on a write error. */
int model_write(FILE *f, model *m);  /* also sets m->checksum */
/* Size in bytes model_write produces. */
size_t model_size(const model *m);

/* Parse a model from memory.  want_kind 0 accepts any kind.  Returns the
 * model or NULL with the reason in err ("truncated at byte N ...", "bad
 * magic", "checksum mismatch", "wrong kind: ...").  name prefixes err. */
model *model_parse(const unsigned char *buf, size_t len, uint32_t want_kind,
                   const char *name, char *err, size_t errlen);
/* Read all of f and parse it (f may be a pipe). */
model *model_read(FILE *f, uint32_t want_kind, const char *name, char *err, size_t errlen);
/* Open path ("-" = stdin) and read it. */
model *model_load(const char *path, uint32_t want_kind, char *err, size_t errlen);

/* FNV-1a 64 of a byte range, continuing from h (start with MODEL_FNV_INIT). */
#define MODEL_FNV_INIT 0xcbf29ce484222325ull
uint64_t model_fnv1a(uint64_t h, const void *p, size_t n);

/* Name of a kind ("layer", "network", "checkpoint", "network checkpoint",
 * "unknown"). */
const char *model_kind_name(uint32_t kind);

#endif
