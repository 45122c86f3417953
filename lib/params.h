/* params.h - one parameter block per model (as in llm.c): every float32
 * parameter of a layer or a network lives in one 64-byte aligned
 * allocation, and the named tensors (a weight matrix, a bias) are views
 * into it.  Copying, zeroing, averaging, checkpointing and checksumming
 * the parameters are then each one loop over one array, whatever the
 * model.
 *
 *   params p = {0};
 *   int w = params_add(&p, "W", V, H, PARAM_WEIGHT);   declare the layout
 *   params_alloc(&p);                                  one zeroed block
 *   float *W = params_at(&p, w);                       view w, (V,H) row-major
 *
 * Each view starts on a 64-byte boundary of the block.  The library never
 * exits: functions return -1 (no memory, bad name) or NULL.
 */
#ifndef SENTI_PARAMS_H
#define SENTI_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* view flags */
#define PARAM_WEIGHT 1u  /* a weight matrix: L2 penalties and weight decay apply */
#define PARAM_FIXED 2u   /* kept as it is by training (e.g. a pretrained layer's output scale) */

typedef struct param_view {
    char name[MODEL_NAME_MAX + 1]; /* tensor name in model files */
    size_t off;                    /* first float of the view in the block */
    uint32_t rows, cols;
    unsigned flags;
} param_view;

typedef struct params {
    float *p;       /* n floats (NULL before params_alloc) */
    size_t n;
    param_view *v;  /* nv views, in the order they were added */
    int nv;
} params;

/* Declare a view of rows x cols floats; returns its index, -1 on a bad or
 * duplicate name, an overflowing size or no memory.  Only before
 * params_alloc. */
int params_add(params *ps, const char *name, uint32_t rows, uint32_t cols, unsigned flags);
/* Allocate the zeroed block for the declared views: 0, or -1. */
int params_alloc(params *ps);
/* Free the block and the views; ps is then empty (NULL is fine). */
void params_free(params *ps);
/* A zeroed block of src's layout into dst (empty before): 0 or -1. */
int params_like(params *dst, const params *src);

static inline float *params_at(const params *ps, int view) { return ps->p + ps->v[view].off; }
/* The view of that name, or -1. */
int params_find(const params *ps, const char *name);

/* dst = src (same layout) / all zero / dst = (dst + src) * scale ... */
void params_copy(params *dst, const params *src);
void params_zero(params *ps);
/* FNV-1a 64 of the block's bytes (what a checksum of the parameters is). */
uint64_t params_digest(const params *ps);
/* 1 when every value is finite. */
int params_finite(const params *ps);

/* Add every view of ps to the model layer l as a tensor that borrows the
 * block (written as it is, not copied); the names are the views' names,
 * prefixed by prefix (NULL or "" for none).  0, or -1. */
int params_to_layer(const params *ps, model_layer *l, const char *prefix);
/* Copy the tensors of l named like the views (with the prefix) into the
 * block: every view must be there with its shape, and l must hold nothing
 * else when exact.  0, or -1 with the reason in err. */
int params_from_layer(params *ps, const model_layer *l, const char *prefix, int exact, char *err,
                      size_t errlen);

#endif
