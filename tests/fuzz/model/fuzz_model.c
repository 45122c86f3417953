/* fuzz_model.c - libFuzzer harness of the model loader (lib/model.c) and of
 * the layer and network code that interprets a loaded model (lib/dae.c,
 * lib/net.c).
 *
 * The first byte says whether to fix up the checksum: most inputs get a
 * valid FNV-1a in their last 8 bytes, so that the fuzzer gets past the
 * checksum to the fields and tensors behind it.  A model that loads is
 * written back (the same bytes) and, when it is a layer or a network,
 * wrapped by dae_from_model / net_from_model and run forward on a few
 * sparse rows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dae.h"
#include "model.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void forward_layer(dae *d)
{
    uint32_t V = d->cfg.in_dim, H = d->cfg.hidden;
    if ((uint64_t)V * H > (1u << 22)) return;
    size_t ptr[4] = {0, 1, 3, 3};
    uint32_t col[3] = {0, 0, V - 1};
    float val[3] = {1, 0.5f, 2};
    if (V > 1) col[1] = 1;
    else ptr[2] = 2; /* one column: rows {0}, {0}, {} */
    float *out = malloc(3 * (size_t)H * sizeof *out);
    dae_forward(d, 3, ptr, col, val, out, 1);
    free(out);
}

static void forward_net(const net *n)
{
    net_ws *ws = net_ws_new(n, 3);
    if (!ws) return;
    size_t ptr[4] = {0, 1, 2, 2};
    uint32_t col[2] = {0, n->in_dim - 1};
    float val[2] = {1, 1};
    double pred[3];
    net_forward(n, ws, 3, ptr, col, val, pred);
    net_ws_free(ws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int fix = data[0] != 0xff;
    data++;
    size--;
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    if (fix && size >= 16) {
        uint64_t h = model_fnv1a(MODEL_FNV_INIT, buf, size - 8);
        for (int i = 0; i < 8; i++) buf[size - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
    }
    char err[MODEL_ERR_LEN];
    model *m = model_parse(buf, size, 0, "fuzz", err, sizeof err);
    if (!m) {
        if (strncmp(err, "fuzz: ", 6) != 0) abort();
        free(buf);
        return 0;
    }
    /* written back: the same bytes */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (model_write(f, m) != 0) abort();
    fclose(f);
    if (len != size || memcmp(out, buf, size) != 0) abort();
    free(out);
    if (m->kind == MODEL_KIND_NETWORK) {
        net *n = net_from_model(m, err, sizeof err);
        if (n) {
            forward_net(n);
            net_free(n);
        }
        model_free(m);
    } else if (m->kind == MODEL_KIND_LAYER || m->kind == MODEL_KIND_CHECKPOINT) {
        dae *d = dae_from_model(m, err, sizeof err);
        if (d) {
            forward_layer(d);
            dae_free(d); /* owns m */
        } else {
            model_free(m);
        }
    } else {
        model_free(m);
    }
    free(buf);
    return 0;
}
