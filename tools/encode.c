/* senti-encode - sparse lines in, sparse lines of a layer's hidden
 * activations out (docs/dae.md).  Labels and row comments pass through,
 * exact zeros are omitted.  Rectifier/softplus activations are scaled to
 * [0,1] by the per-unit scale stored in the layer, so the output is ready
 * for the next senti-pretrain.  The output header names the layer: its
 * dim= is the hidden size and its vocab= the layer model's checksum, so a
 * layer trained on this output only accepts input encoded by this layer. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dae.h"
#include "kern.h"
#include "model.h"
#include "sparse.h"

#define ROWS 256

static void usage(long threads)
{
    printf("Usage: %s -m LAYER [OPTION]... [FILE]...\n"
           "Encode sparse lines (files, or stdin when none or '-') through a layer\n"
           "model from senti-pretrain; write sparse lines of hidden activations.\n"
           "\n"
           "  -m, --model FILE   layer model ('-' = stdin) [required]\n"
           "      --raw          write unscaled activations (no [0,1] scaling)\n"
           "  -t, --threads N    threads [%ld]\n"
           "  -q, --quiet        no notes on stderr\n"
           "  -h, --help         show this help and exit\n"
           "  -V, --version      show the version and exit\n"
           "\n"
           "Input must not use indices above the layer's input dimension, and a\n"
           "vocab= digest in its header must match the layer's.\n",
           cli_prog, threads);
}

typedef struct {
    size_t n;
    size_t ptr[ROWS + 1];
    uint32_t *col;
    float *val;
    size_t cap;
    int has_label[ROWS];
    double label[ROWS];
    char *comment[ROWS];
} chunk;

static void add_row(chunk *c, const sparse_row *r)
{
    size_t need = c->ptr[c->n] + r->n;
    if (need > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < need) cap *= 2;
        c->col = xreallocarray(c->col, cap, sizeof *c->col);
        c->val = xreallocarray(c->val, cap, sizeof *c->val);
        c->cap = cap;
    }
    memcpy(c->col + c->ptr[c->n], r->col, r->n * sizeof *r->col);
    memcpy(c->val + c->ptr[c->n], r->val, r->n * sizeof *r->val);
    c->has_label[c->n] = r->has_label;
    c->label[c->n] = r->label;
    free(c->comment[c->n]);
    c->comment[c->n] = r->comment ? xstrdup(r->comment) : NULL;
    c->n++;
    c->ptr[c->n] = need;
}

static void flush(chunk *c, const dae *d, float *out, uint32_t *oc, float *ov, int scaled)
{
    size_t H = d->cfg.hidden;
    dae_forward(d, c->n, c->ptr, c->col, c->val, out, scaled);
    for (size_t r = 0; r < c->n; r++) {
        size_t k = 0;
        const float *h = out + r * H;
        for (size_t j = 0; j < H; j++)
            if (h[j] != 0) oc[k] = (uint32_t)j, ov[k++] = h[j];
        if (sparse_write_row(stdout, c->has_label[r], c->label[r], k, oc, ov, c->comment[r]) != 0)
            die_stdout();
    }
    c->n = 0;
}

int main(int argc, char **argv)
{
    cli_init("senti-encode");
    const char *model_path = NULL;
    long threads = 1;
    int raw = 0;
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"raw", no_argument, 0, 1},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 1: raw = 1; break;
        case 't': threads = cli_parse_long("--threads", optarg, 1, 64); break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(threads); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!model_path) die_usage("no layer model: give -m FILE");
    kern_threads((int)threads);
    char err[MODEL_ERR_LEN];
    cli_input_add(model_path);
    model *m = model_load(model_path, MODEL_KIND_LAYER, err, sizeof err);
    if (!m) die("%s", err);
    char digest[SPARSE_DIGEST_LEN + 1];
    snprintf(digest, sizeof digest, "%016" PRIx64, m->checksum);
    char mvocab[17];
    strcpy(mvocab, m->vocab);
    dae *d = dae_from_model(m, err, sizeof err);
    if (!d) die("%s: %s", cli_name(model_path), err);
    uint32_t V = d->cfg.in_dim, H = d->cfg.hidden;

    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);

    chunk *ch = xcalloc(1, sizeof *ch);
    float *out = xmallocarray((size_t)ROWS * H, sizeof *out);
    uint32_t *oc = xmallocarray(H, sizeof *oc);
    float *ov = xmallocarray(H, sizeof *ov);
    sparse_write_header(stdout, H, digest);
    for (int i = 0; i < nfiles; i++) {
        FILE *f = xfopen(files[i], "r");
        sparse_reader *r = sparse_reader_new(f, cli_name(files[i]));
        if (!r) die("out of memory");
        sparse_reader_limit(r, V);
        sparse_row row;
        int k, checked = 0;
        while ((k = sparse_next(r, &row)) == 1) {
            if (!checked) {
                const sparse_header *h = sparse_reader_header(r);
                if (h->vocab[0] && mvocab[0] && strcmp(h->vocab, mvocab) != 0)
                    die_at(cli_name(files[i]), sparse_reader_line(r),
                           "vocabulary digest %s differs from the layer's %s", h->vocab, mvocab);
                checked = 1;
            }
            add_row(ch, &row);
            if (ch->n == ROWS) flush(ch, d, out, oc, ov, !raw);
        }
        if (k < 0) {
            flush(ch, d, out, oc, ov, !raw);
            die("%s", sparse_reader_error(r));
        }
        if (!checked) {
            const sparse_header *h = sparse_reader_header(r);
            if (h->vocab[0] && mvocab[0] && strcmp(h->vocab, mvocab) != 0)
                die("%s: vocabulary digest %s differs from the layer's %s", cli_name(files[i]),
                    h->vocab, mvocab);
        }
        sparse_reader_free(r);
        xfclose(f, files[i]);
    }
    flush(ch, d, out, oc, ov, !raw);
    for (int i = 0; i < ROWS; i++) free(ch->comment[i]);
    free(ch->col);
    free(ch->val);
    free(ch);
    free(out);
    free(oc);
    free(ov);
    dae_free(d);
    cli_close_stdout();
    return 0;
}
