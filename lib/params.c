/* params.c - the parameter block and its views (see params.h). */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS 16 /* 64 bytes */

static int good_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MODEL_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

int params_find(const params *ps, const char *name)
{
    for (int i = 0; i < ps->nv; i++)
        if (strcmp(ps->v[i].name, name) == 0) return i;
    return -1;
}

int params_add(params *ps, const char *name, uint32_t rows, uint32_t cols, unsigned flags)
{
    if (ps->p || !good_name(name) || params_find(ps, name) >= 0) return -1;
    size_t size = (size_t)rows * cols;
    if (cols && size / cols != rows) return -1;
    size_t off = (ps->n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    if (off < ps->n || off + size < off) return -1;
    param_view *v = realloc(ps->v, (size_t)(ps->nv + 1) * sizeof *v);
    if (!v) return -1;
    ps->v = v;
    param_view *w = &v[ps->nv];
    memset(w, 0, sizeof *w);
    strcpy(w->name, name);
    w->off = off;
    w->rows = rows;
    w->cols = cols;
    w->flags = flags;
    ps->n = off + size;
    return ps->nv++;
}

int params_alloc(params *ps)
{
    if (ps->p) return 0;
    size_t n = ps->n ? ps->n : 1;
    if (n > (SIZE_MAX - 63) / sizeof(float)) return -1;
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) return -1;
    memset(p, 0, bytes);
    ps->p = p;
    return 0;
}

void params_free(params *ps)
{
    if (!ps) return;
    free(ps->p);
    free(ps->v);
    memset(ps, 0, sizeof *ps);
}

int params_like(params *dst, const params *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->nv) {
        dst->v = malloc((size_t)src->nv * sizeof *dst->v);
        if (!dst->v) return -1;
        memcpy(dst->v, src->v, (size_t)src->nv * sizeof *dst->v);
    }
    dst->nv = src->nv;
    dst->n = src->n;
    if (params_alloc(dst) < 0) {
        params_free(dst);
        return -1;
    }
    return 0;
}

void params_copy(params *dst, const params *src) { memcpy(dst->p, src->p, src->n * sizeof *src->p); }

void params_zero(params *ps) { memset(ps->p, 0, ps->n * sizeof *ps->p); }

uint64_t params_digest(const params *ps) { return model_fnv1a(MODEL_FNV_INIT, ps->p, ps->n * sizeof *ps->p); }

int params_finite(const params *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        if (!isfinite(ps->p[i])) return 0;
    return 1;
}

static void full_name(char *out, const char *prefix, const char *name)
{
    snprintf(out, 2 * MODEL_NAME_MAX + 2, "%s%s", prefix ? prefix : "", name);
}

int params_to_layer(const params *ps, model_layer *l, const char *prefix)
{
    for (int i = 0; i < ps->nv; i++) {
        char nm[2 * MODEL_NAME_MAX + 2];
        full_name(nm, prefix, ps->v[i].name);
        if (model_add_tensor_ref(l, nm, ps->v[i].rows, ps->v[i].cols, params_at(ps, i)) < 0) return -1;
    }
    return 0;
}

int params_from_layer(params *ps, const model_layer *l, const char *prefix, int exact, char *err,
                      size_t errlen)
{
    for (int i = 0; i < ps->nv; i++) {
        const param_view *v = &ps->v[i];
        char nm[2 * MODEL_NAME_MAX + 2];
        full_name(nm, prefix, v->name);
        const model_tensor *t = model_find(l, nm);
        if (!t) {
            snprintf(err, errlen, "missing tensor %s", nm);
            return -1;
        }
        if (t->rows != v->rows || t->cols != v->cols) {
            snprintf(err, errlen, "tensor %s is %u x %u, expected %u x %u", nm, t->rows, t->cols, v->rows,
                     v->cols);
            return -1;
        }
        memcpy(params_at(ps, i), t->data, (size_t)v->rows * v->cols * sizeof(float));
    }
    if (exact && l->ntensors != (uint32_t)ps->nv) {
        snprintf(err, errlen, "%u tensors, expected %d", l->ntensors, ps->nv);
        return -1;
    }
    return 0;
}
