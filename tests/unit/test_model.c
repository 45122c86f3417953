/* test_model.c - the model container: round trip of every field, and a
 * clear reason for every kind of damage: truncation at each length, each
 * flipped byte, bad magic, other version, wrong kind, trailing bytes,
 * invalid fields written with a valid checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"

static model *sample(void)
{
    model *m = model_new(MODEL_KIND_LAYER);
    model_set_cmdline(m, "senti-pretrain --hidden 3 -o x");
    model_set_vocab(m, "0123456789abcdef");
    model_set_extra(m, "abc", 3);
    model_layer s;
    memset(&s, 0, sizeof s);
    s.in_dim = 4, s.out_dim = 3, s.act = 1, s.recon = 2, s.noise = 1, s.noise_level = 0.1f;
    s.emph_a = 1, s.emph_b = 0.5f, s.l1 = 0.001f, s.flags = MODEL_FLAG_TIED, s.sample_zeros = 7;
    s.in_scale = 1;
    model_layer *l = model_add_layer(m, &s);
    float *W = model_add_tensor(l, "W", 4, 3);
    float *b = model_add_tensor(l, "b", 1, 3);
    for (int i = 0; i < 12; i++) W[i] = (float)i / 7;
    for (int i = 0; i < 3; i++) b[i] = -(float)i;
    return m;
}

static unsigned char *bytes_of(model *m, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK(model_write(f, m) == 0, "write");
    fclose(f);
    *len = n;
    return (unsigned char *)buf;
}

static void store_u64(unsigned char *p, unsigned long long v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* fix the checksum after editing a field */
static void reseal(unsigned char *b, size_t len)
{
    store_u64(b + len - 8, model_fnv1a(MODEL_FNV_INIT, b, len - 8));
}

int main(void)
{
    char err[MODEL_ERR_LEN];
    model *m = sample();
    size_t len;
    unsigned char *b = bytes_of(m, &len);
    CHECK(len == model_size(m), "model_size %zu vs written %zu", model_size(m), len);
    model *r = model_parse(b, len, MODEL_KIND_LAYER, "t", err, sizeof err);
    CHECK(r != NULL, "round trip: %s", err);
    if (r) {
        CHECK(r->kind == MODEL_KIND_LAYER && strcmp(r->vocab, "0123456789abcdef") == 0, "kind, vocab");
        CHECK(strcmp(r->cmdline, m->cmdline) == 0, "cmdline");
        CHECK(r->extra_len == 3 && memcmp(r->extra, "abc", 3) == 0, "extra");
        CHECK(r->checksum == m->checksum && r->checksum != 0, "checksum recorded");
        const model_layer *l = &r->layers[0], *o = &m->layers[0];
        CHECK(l->in_dim == 4 && l->out_dim == 3 && l->act == 1 && l->recon == 2 && l->noise == 1 &&
                  l->noise_level == o->noise_level && l->emph_b == 0.5f && l->l1 == o->l1 &&
                  l->flags == MODEL_FLAG_TIED && l->sample_zeros == 7 && l->in_scale == 1,
              "layer settings");
        model_tensor *W = model_find(l, "W");
        CHECK(W && W->rows == 4 && W->cols == 3 && memcmp(W->data, o->tensors[0].data, 48) == 0, "tensor W");
        CHECK(model_find(l, "nope") == NULL, "absent tensor");
        model_free(r);
    }
    /* writing is deterministic */
    size_t len2;
    unsigned char *b2 = bytes_of(m, &len2);
    CHECK(len2 == len && memcmp(b, b2, len) == 0, "same bytes twice");
    free(b2);

    /* every truncation is reported as such, naming the length */
    int bad = 0;
    for (size_t n = 0; n < len; n++) {
        model *t = model_parse(b, n, 0, "t", err, sizeof err);
        char want[64];
        snprintf(want, sizeof want, "truncated at byte %zu", n);
        if (t || (n >= 8 && !strstr(err, want)) || (n < 8 && !strstr(err, "truncated") && n > 0)) {
            if (!bad) fprintf(stderr, "  length %zu: %s\n", n, t ? "accepted" : err);
            bad++;
        }
        model_free(t);
    }
    CHECK(bad == 0, "%d truncations not reported", bad);

    /* every flipped byte after the magic and version is caught */
    bad = 0;
    for (size_t i = 12; i < len; i++) {
        b[i] ^= 0x20;
        model *t = model_parse(b, len, 0, "t", err, sizeof err);
        if (t) {
            if (!bad) fprintf(stderr, "  flip at %zu accepted\n", i);
            bad++;
        }
        model_free(t);
        b[i] ^= 0x20;
    }
    CHECK(bad == 0, "%d flipped bytes accepted", bad);
    b[200 < len ? 200 : len - 9] ^= 1;
    CHECK(!model_parse(b, len, 0, "t", err, sizeof err) && strstr(err, "checksum mismatch"),
          "flip in a float: %s", err);
    b[200 < len ? 200 : len - 9] ^= 1;

    CHECK(!model_parse((const unsigned char *)"SENTIMDX", 8, 0, "t", err, sizeof err) &&
              strstr(err, "bad magic"), "bad magic: %s", err);
    CHECK(!model_parse((const unsigned char *)"hello world, not a model", 24, 0, "t", err, sizeof err) &&
              strstr(err, "bad magic"), "text file: %s", err);
    CHECK(!model_parse(b, len, MODEL_KIND_NETWORK, "x.model", err, sizeof err) &&
              strstr(err, "wrong kind") && strstr(err, "x.model"), "wrong kind: %s", err);

    unsigned char *c = malloc(len + 5);
    memcpy(c, b, len);
    c[8] = 2;  /* version 2 */
    CHECK(!model_parse(c, len, 0, "t", err, sizeof err) && strstr(err, "unsupported format version 2"),
          "version: %s", err);
    memcpy(c, b, len);
    memcpy(c + len, "junk!", 5);
    store_u64(c + len - 3, 0);
    CHECK(!model_parse(c, len + 5, 0, "t", err, sizeof err), "trailing bytes refused: %s", err);
    /* semantically bad fields with a valid checksum */
    memcpy(c, b, len);
    c[12] = 9;  /* kind 9 */
    reseal(c, len);
    CHECK(!model_parse(c, len, 0, "t", err, sizeof err) && strstr(err, "unknown model kind 9"),
          "unknown kind: %s", err);
    memcpy(c, b, len);
    c[16] = 'Z';  /* vocab digest */
    reseal(c, len);
    CHECK(!model_parse(c, len, 0, "t", err, sizeof err) && strstr(err, "vocabulary digest"),
          "bad digest: %s", err);
    free(c);
    free(b);

    /* names and shapes are checked when building */
    model_layer *l = &m->layers[0];
    CHECK(model_add_tensor(l, "W", 1, 1) == NULL, "duplicate tensor refused");
    CHECK(model_add_tensor(l, "bad name", 1, 1) == NULL, "bad tensor name refused");
    CHECK(model_add_tensor(l, "", 1, 1) == NULL, "empty tensor name refused");
    CHECK(model_set_vocab(m, "XYZ") != 0, "bad digest refused");
    CHECK(strcmp(model_kind_name(MODEL_KIND_CHECKPOINT), "checkpoint") == 0, "kind names");
    model_free(m);

    /* empty vocab and an empty network model round trip */
    model *e = model_new(MODEL_KIND_NETWORK);
    b = bytes_of(e, &len);
    r = model_parse(b, len, MODEL_KIND_NETWORK, "t", err, sizeof err);
    CHECK(r && r->nlayers == 0 && r->vocab[0] == 0 && r->cmdline[0] == 0, "empty network: %s", err);
    model_free(r);
    model_free(e);
    free(b);
    return check_report();
}
