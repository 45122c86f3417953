/* model.c - the model file container (see model.h, docs/model-format.md):
 * building a model in memory, writing it with a running FNV-1a 64 checksum,
 * and a bounds-checked parser that names what is wrong with a bad file. */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LAYER_BYTES 52u   /* 13 fields of 4 bytes */
#define TENSOR_HEAD 24u   /* name[16], rows, cols */

uint64_t model_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

const char *model_kind_name(uint32_t kind)
{
    switch (kind) {
    case MODEL_KIND_LAYER: return "layer";
    case MODEL_KIND_NETWORK: return "network";
    case MODEL_KIND_CHECKPOINT: return "checkpoint";
    case MODEL_KIND_NET_CHECKPOINT: return "network checkpoint";
    case MODEL_KIND_STACK: return "stack";
    default: return "unknown";
    }
}

static int host_le(void)
{
    const uint32_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

/* ------------------------------------------------------------------------
 * building */

model *model_new(uint32_t kind)
{
    model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->kind = kind;
    m->cmdline = calloc(1, 1);
    if (!m->cmdline) {
        free(m);
        return NULL;
    }
    return m;
}

void model_free(model *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->nlayers; i++) {
        for (uint32_t t = 0; t < m->layers[i].ntensors; t++)
            if (!m->layers[i].tensors[t].borrowed) free(m->layers[i].tensors[t].data);
        free(m->layers[i].tensors);
    }
    free(m->layers);
    free(m->cmdline);
    free(m->extra);
    free(m);
}

int model_set_cmdline(model *m, const char *cmdline)
{
    char *s = strdup(cmdline ? cmdline : "");
    if (!s) return -1;
    free(m->cmdline);
    m->cmdline = s;
    return 0;
}

static int valid_digest(const char *v)
{
    if (v[0] == 0) return 1;
    for (int i = 0; i < 16; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f'))) return 0;
    return v[16] == 0;
}

int model_set_vocab(model *m, const char *vocab)
{
    if (!vocab) vocab = "";
    if (strlen(vocab) > 16 || !valid_digest(vocab)) return -1;
    strcpy(m->vocab, vocab);
    return 0;
}

int model_set_extra(model *m, const void *p, size_t len)
{
    unsigned char *e = NULL;
    if (len) {
        e = malloc(len);
        if (!e) return -1;
        memcpy(e, p, len);
    }
    free(m->extra);
    m->extra = e;
    m->extra_len = len;
    return 0;
}

model_layer *model_add_layer(model *m, const model_layer *settings)
{
    if (m->nlayers >= MODEL_MAX_LAYERS) return NULL;
    model_layer *nl = realloc(m->layers, (m->nlayers + 1) * sizeof *nl);
    if (!nl) return NULL;
    m->layers = nl;
    model_layer *l = &nl[m->nlayers++];
    *l = *settings;
    l->ntensors = 0;
    l->tensors = NULL;
    return l;
}

static int valid_name(const char *s)
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

model_tensor *model_find(const model_layer *l, const char *name)
{
    for (uint32_t i = 0; i < l->ntensors; i++)
        if (strcmp(l->tensors[i].name, name) == 0) return &l->tensors[i];
    return NULL;
}

static model_tensor *new_tensor(model_layer *l, const char *name, uint32_t rows, uint32_t cols, float *data,
                                int borrowed)
{
    model_tensor *nt = realloc(l->tensors, (l->ntensors + 1) * sizeof *nt);
    if (!nt) return NULL;
    l->tensors = nt;
    model_tensor *t = &nt[l->ntensors++];
    memset(t->name, 0, sizeof t->name);
    strcpy(t->name, name);
    t->rows = rows;
    t->cols = cols;
    t->data = data;
    t->borrowed = borrowed;
    return t;
}

static int tensor_ok(const model_layer *l, const char *name, uint32_t rows, uint32_t cols)
{
    if (!valid_name(name) || model_find(l, name) || l->ntensors >= MODEL_MAX_TENSORS) return 0;
    size_t n = (size_t)rows * cols;
    return !(cols && n / cols != rows);
}

float *model_add_tensor(model_layer *l, const char *name, uint32_t rows, uint32_t cols)
{
    if (!tensor_ok(l, name, rows, cols)) return NULL;
    size_t n = (size_t)rows * cols;
    void *p = NULL;
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    if (posix_memalign(&p, 64, bytes) != 0) return NULL;
    memset(p, 0, bytes);
    if (!new_tensor(l, name, rows, cols, p, 0)) {
        free(p);
        return NULL;
    }
    return p;
}

int model_add_tensor_ref(model_layer *l, const char *name, uint32_t rows, uint32_t cols, float *data)
{
    if (!tensor_ok(l, name, rows, cols)) return -1;
    return new_tensor(l, name, rows, cols, data, 1) ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * writing */

typedef struct wr {
    FILE *f;
    uint64_t h;
    size_t n;
    int err;
} wr;

static void put(wr *w, const void *p, size_t n)
{
    if (!n) return;
    w->h = model_fnv1a(w->h, p, n);
    w->n += n;
    if (w->f && !w->err && fwrite(p, 1, n, w->f) != n) w->err = 1;
}

static void put_u32(wr *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(wr *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

static void put_f32(wr *w, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(w, v);
}

static void put_floats(wr *w, const float *p, size_t n)
{
    if (host_le()) {
        put(w, p, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) put_f32(w, p[i]);
}

static void emit(wr *w, const model *m)
{
    put(w, MODEL_MAGIC, 8);
    put_u32(w, MODEL_VERSION);
    put_u32(w, m->kind);
    char v[16] = {0};
    memcpy(v, m->vocab, strlen(m->vocab));
    put(w, v, 16);
    uint32_t cl = (uint32_t)strlen(m->cmdline);
    put_u32(w, cl);
    put(w, m->cmdline, cl);
    put_u64(w, m->extra_len);
    put(w, m->extra, m->extra_len);
    put_u32(w, m->nlayers);
    for (uint32_t i = 0; i < m->nlayers; i++) {
        const model_layer *l = &m->layers[i];
        put_u32(w, l->in_dim);
        put_u32(w, l->out_dim);
        put_u32(w, l->act);
        put_u32(w, l->recon);
        put_u32(w, l->noise);
        put_f32(w, l->noise_level);
        put_f32(w, l->emph_a);
        put_f32(w, l->emph_b);
        put_f32(w, l->l1);
        put_u32(w, l->flags);
        put_u32(w, l->sample_zeros);
        put_f32(w, l->in_scale);
        put_u32(w, l->ntensors);
        for (uint32_t t = 0; t < l->ntensors; t++) {
            const model_tensor *x = &l->tensors[t];
            put(w, x->name, 16);
            put_u32(w, x->rows);
            put_u32(w, x->cols);
            put_floats(w, x->data, (size_t)x->rows * x->cols);
        }
    }
}

int model_write(FILE *f, model *m)
{
    wr w = {f, MODEL_FNV_INIT, 0, 0};
    emit(&w, m);
    uint64_t h = w.h;
    put_u64(&w, h);
    m->checksum = h;
    return w.err || ferror(f) ? -1 : 0;
}

size_t model_size(const model *m)
{
    wr w = {NULL, MODEL_FNV_INIT, 0, 0};
    emit(&w, m);
    return w.n + 8;
}

/* ------------------------------------------------------------------------
 * reading */

typedef struct rd {
    const unsigned char *b;
    size_t len, pos;
    int truncated;
    char *err;
    size_t errlen;
    const char *name;
    int failed;
} rd;

#if defined(__GNUC__)
static void fail(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

static void fail(rd *r, const char *fmt, ...)
{
    if (r->failed) return;
    r->failed = 1;
    int k = snprintf(r->err, r->errlen, "%s: ", r->name);
    if (k < 0 || (size_t)k >= r->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + k, r->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

static int need(rd *r, size_t n, const char *what)
{
    if (r->failed) return 0;
    if (r->len - r->pos < n) {
        r->truncated = 1;
        fail(r, "truncated at byte %zu: %s needs %zu bytes, %zu left", r->len, what, n,
             r->len - r->pos);
        return 0;
    }
    return 1;
}

static uint32_t get_u32(rd *r, const char *what)
{
    if (!need(r, 4, what)) return 0;
    const unsigned char *p = r->b + r->pos;
    r->pos += 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(rd *r, const char *what)
{
    uint64_t lo = get_u32(r, what);
    uint64_t hi = get_u32(r, what);
    return lo | hi << 32;
}

static float get_f32(rd *r, const char *what)
{
    uint32_t v = get_u32(r, what);
    float f;
    memcpy(&f, &v, 4);
    if (!r->failed && !isfinite(f)) fail(r, "%s is not a finite number (byte %zu)", what, r->pos - 4);
    return f;
}

static void parse_layer(rd *r, model *m, uint32_t i)
{
    model_layer s;
    memset(&s, 0, sizeof s);
    s.in_dim = get_u32(r, "layer input dimension");
    s.out_dim = get_u32(r, "layer output dimension");
    s.act = get_u32(r, "activation");
    s.recon = get_u32(r, "reconstruction");
    s.noise = get_u32(r, "noise");
    s.noise_level = get_f32(r, "noise level");
    s.emph_a = get_f32(r, "emphasis a");
    s.emph_b = get_f32(r, "emphasis b");
    s.l1 = get_f32(r, "L1 penalty");
    s.flags = get_u32(r, "flags");
    s.sample_zeros = get_u32(r, "sample-zeros");
    s.in_scale = get_f32(r, "input scale");
    uint32_t nt = get_u32(r, "tensor count");
    if (r->failed) return;
    if (s.in_dim == 0 || s.out_dim == 0) {
        fail(r, "layer %u: zero dimension (%u x %u)", i + 1, s.in_dim, s.out_dim);
        return;
    }
    if (s.flags & ~MODEL_FLAG_KNOWN) {
        fail(r, "layer %u: unknown flags 0x%x", i + 1, s.flags);
        return;
    }
    if (nt > MODEL_MAX_TENSORS) {
        fail(r, "layer %u: %u tensors (at most %d)", i + 1, nt, MODEL_MAX_TENSORS);
        return;
    }
    model_layer *l = model_add_layer(m, &s);
    if (!l) {
        fail(r, "out of memory");
        return;
    }
    for (uint32_t t = 0; t < nt && !r->failed; t++) {
        if (!need(r, TENSOR_HEAD, "tensor header")) return;
        char name[17];
        memcpy(name, r->b + r->pos, 16);
        name[16] = 0;
        for (int k = (int)strlen(name); k < 16; k++)
            if (name[k] != 0) {
                fail(r, "layer %u: tensor %u: bad name field (byte %zu)", i + 1, t + 1, r->pos);
                return;
            }
        if (!valid_name(name)) {
            fail(r, "layer %u: tensor %u: bad name (byte %zu)", i + 1, t + 1, r->pos);
            return;
        }
        r->pos += 16;
        uint32_t rows = get_u32(r, "tensor rows");
        uint32_t cols = get_u32(r, "tensor cols");
        uint64_t n = (uint64_t)rows * cols;
        if (n > (r->len - r->pos) / 4) {
            r->truncated = 1;
            fail(r, "truncated at byte %zu: tensor %s (%u x %u) needs %llu bytes at byte %zu", r->len,
                 name, rows, cols, (unsigned long long)(n * 4), r->pos);
            return;
        }
        if (model_find(l, name)) {
            fail(r, "layer %u: duplicate tensor %s", i + 1, name);
            return;
        }
        float *d = model_add_tensor(l, name, rows, cols);
        if (!d) {
            fail(r, "out of memory for tensor %s", name);
            return;
        }
        const unsigned char *p = r->b + r->pos;
        if (host_le())
            memcpy(d, p, (size_t)n * 4);
        else
            for (size_t k = 0; k < n; k++) {
                uint32_t v = (uint32_t)p[4 * k] | (uint32_t)p[4 * k + 1] << 8 |
                             (uint32_t)p[4 * k + 2] << 16 | (uint32_t)p[4 * k + 3] << 24;
                memcpy(&d[k], &v, 4);
            }
        for (size_t k = 0; k < n; k++)
            if (!isfinite(d[k])) {
                fail(r, "layer %u: tensor %s: value %zu is not finite", i + 1, name, k);
                return;
            }
        r->pos += (size_t)n * 4;
    }
}

model *model_parse(const unsigned char *buf, size_t len, uint32_t want_kind,
                   const char *name, char *err, size_t errlen)
{
    rd r = {buf, len, 0, 0, err, errlen, name ? name : "model", 0};
    if (errlen) err[0] = 0;
    if (len < 8 || memcmp(buf, MODEL_MAGIC, 8) != 0) {
        if (len < 8 && memcmp(buf, MODEL_MAGIC, len) == 0)
            fail(&r, "truncated at byte %zu: file shorter than the 8-byte magic", len);
        else
            fail(&r, "bad magic: not a senti model file");
        return NULL;
    }
    r.pos = 8;
    uint32_t version = get_u32(&r, "format version");
    if (r.failed) return NULL;
    if (version != MODEL_VERSION) {
        fail(&r, "unsupported format version %u (this program reads version %u)", version,
             MODEL_VERSION);
        return NULL;
    }
    /* checksum first when the file is long enough to hold one: a bit flip
     * anywhere is then reported as such, not as a strange field value */
    int cs_ok = 0;
    if (len >= 8 + 8) {
        uint64_t h = model_fnv1a(MODEL_FNV_INIT, buf, len - 8);
        const unsigned char *p = buf + len - 8;
        uint64_t want = 0;
        for (int i = 7; i >= 0; i--) want = want << 8 | p[i];
        cs_ok = h == want;
    }
    uint64_t stored_cs = 0;
    if (len >= 16)
        for (int i = 7; i >= 0; i--) stored_cs = stored_cs << 8 | buf[len - 8 + (size_t)i];
    model *m = model_new(0);
    if (!m) {
        fail(&r, "out of memory");
        return NULL;
    }
    m->kind = get_u32(&r, "kind");
    if (need(&r, 16, "vocabulary digest")) {
        char v[17];
        memcpy(v, buf + r.pos, 16);
        v[16] = 0;
        r.pos += 16;
        size_t vl = strlen(v);
        int zero_pad = 1;
        for (size_t i = vl; i < 16; i++) zero_pad &= v[i] == 0;
        if (!zero_pad || (vl != 0 && vl != 16) || model_set_vocab(m, v) != 0)
            fail(&r, "bad vocabulary digest field");
    }
    uint32_t cl = get_u32(&r, "command line length");
    if (need(&r, cl, "command line")) {
        char *s = malloc((size_t)cl + 1);
        if (!s) {
            fail(&r, "out of memory");
        } else {
            memcpy(s, buf + r.pos, cl);
            s[cl] = 0;
            if (strlen(s) != cl) fail(&r, "NUL byte in the command line");
            free(m->cmdline);
            m->cmdline = s;
            r.pos += cl;
        }
    }
    uint64_t el = get_u64(&r, "extra length");
    if (!r.failed && el > r.len - r.pos) {
        r.truncated = 1;
        fail(&r, "truncated at byte %zu: extra data needs %llu bytes at byte %zu", r.len,
             (unsigned long long)el, r.pos);
    }
    if (!r.failed && model_set_extra(m, buf + r.pos, (size_t)el) != 0) fail(&r, "out of memory");
    if (!r.failed) r.pos += (size_t)el;
    uint32_t nl = get_u32(&r, "layer count");
    if (!r.failed && nl > MODEL_MAX_LAYERS) fail(&r, "%u layers (at most %d)", nl, MODEL_MAX_LAYERS);
    for (uint32_t i = 0; i < nl && !r.failed; i++) parse_layer(&r, m, i);
    if (!r.failed) {
        if (r.len - r.pos < 8) {
            r.truncated = 1;
            fail(&r, "truncated at byte %zu: checksum needs 8 bytes, %zu left", r.len, r.len - r.pos);
        } else if (r.len - r.pos > 8) {
            fail(&r, "%zu trailing bytes after the checksum at byte %zu", r.len - r.pos - 8, r.pos + 8);
        }
    }
    /* precedence: truncation, then checksum, then any other complaint */
    if (r.failed && r.truncated) goto bad;
    if (!cs_ok) {
        r.failed = 0;
        fail(&r, "checksum mismatch: the file is corrupted");
        goto bad;
    }
    if (r.failed) goto bad;
    if (m->kind < MODEL_KIND_LAYER || m->kind > MODEL_KIND_STACK) {
        fail(&r, "unknown model kind %u", m->kind);
        goto bad;
    }
    if (want_kind && m->kind != want_kind) {
        fail(&r, "wrong kind: this is a %s model, a %s model is needed", model_kind_name(m->kind),
             model_kind_name(want_kind));
        goto bad;
    }
    m->checksum = stored_cs;
    return m;
bad:
    model_free(m);
    return NULL;
}

model *model_read(FILE *f, uint32_t want_kind, const char *name, char *err, size_t errlen)
{
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            unsigned char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                snprintf(err, errlen, "%s: out of memory", name);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
        /* not a model: say so without reading the rest (which may be
         * endless, like /dev/zero) */
        if (len >= 8 && memcmp(buf, MODEL_MAGIC, 8) != 0) break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
        free(buf);
        return NULL;
    }
    model *m = model_parse(buf, len, want_kind, name, err, errlen);
    free(buf);
    return m;
}

model *model_load(const char *path, uint32_t want_kind, char *err, size_t errlen)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "(stdin)" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        return NULL;
    }
    model *m = model_read(f, want_kind, name, err, errlen);
    if (!is_stdin) fclose(f);
    return m;
}
