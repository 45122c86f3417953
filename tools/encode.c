/* senti-encode - sparse lines in, sparse lines of a layer's hidden
 * activations out (docs/dae.md).  Labels and row comments pass through,
 * exact zeros are omitted.  Rectifier/softplus activations are scaled to
 * [0,1] by the per-unit scale stored in the layer, so the output is ready
 * for the next senti-pretrain.  The output header names the layer: its
 * dim= is the hidden size and its vocab= the layer model's checksum, so a
 * layer trained on this output only accepts input encoded by this layer.
 * A stack model (senti-pretrain --stack) encodes through all its layers.
 * --bits writes the top layer's activations thresholded at 0.5 as packed
 * binary codes (lib/hash, docs/format.md) for senti-search. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dae.h"
#include "hash.h"
#include "kern.h"
#include "model.h"
#include "sparse.h"
#include "stack.h"

#define ROWS 256

static void usage(long threads)
{
    printf("Usage: %s -m LAYER [OPTION]... [FILE]...\n"
           "Encode sparse lines (files, or stdin when none or '-') through a layer\n"
           "model from senti-pretrain; write sparse lines of hidden activations.\n"
           "\n"
           "  -m, --model FILE      layer or stack model ('-' = stdin) [required]\n"
           "      --raw             write unscaled activations (no [0,1] scaling)\n"
           "      --bits            write binary codes: each top-layer activation (as\n"
           "                        written, scaled unless --raw) > 0.5 is a 1 bit\n"
           "                        ('# senti codes' format, for senti-search)\n"
           "      --no-header       write no '# senti sparse' header line\n"
           "      --unlabeled-as X  write the number X for unlabeled ('?') rows\n"
           "                        [none: '?']\n"
           "      --zero-based      input indices start at 0\n"
           "  -t, --threads N       threads [%ld]\n"
           "  -q, --quiet           no notes on stderr\n"
           "  -h, --help            show this help and exit\n"
           "  -V, --version         show the version and exit\n"
           "\n"
           "Input must not use indices above the layer's input dimension, and every\n"
           "vocab= digest in its headers must match the layer's.\n",
           cli_prog, threads);
}

/* The layers input goes through: one, or a stack's; tmp holds the codes
 * between layers. */
static dae *const *layers;
static int nlayers, bits_out;
static float *tmp[2];

/* Encode the rows of batch b and write them (labels and comments kept,
 * exact zeros left out; or as binary codes). */
static void flush(sparse_csr *b, float *out, uint32_t *oc, float *ov, int scaled, sparse_writer *w)
{
    size_t H = layers[nlayers - 1]->cfg.hidden;
    if (!b->rows) return;
    for (int l = 0; l < nlayers; l++) {
        float *dst = l == nlayers - 1 ? out : tmp[l % 2];
        if (l == 0) dae_forward(layers[0], b->rows, b->rowptr, b->col, b->val, dst, scaled);
        else dae_forward_dense(layers[l], b->rows, tmp[(l - 1) % 2], dst, scaled);
    }
    for (size_t r = 0; r < b->rows && bits_out; r++) {
        uint64_t code[HASH_MAX_BITS / 64];
        char hex[HASH_MAX_BITS / 4 + 1];
        sparse_row in;
        sparse_csr_row(b, r, &in);
        hash_pack(out + r * H, (uint32_t)H, 0.5f, code);
        hash_to_hex(code, (uint32_t)H, hex);
        int has = in.has_label;
        double label = in.label;
        if (!has && w->unlabeled_as_set) has = 1, label = w->unlabeled_as;
        char lab[32];
        if (has) sparse_format_double(lab, label);
        else strcpy(lab, "?");
        fputs(lab, stdout);
        fputc('\t', stdout);
        fputs(hex, stdout);
        if (in.comment) fprintf(stdout, "\t%s", in.comment);
        if (fputc('\n', stdout) == EOF) die_stdout();
    }
    for (size_t r = 0; r < b->rows && !bits_out; r++) {
        size_t k = 0;
        const float *h = out + r * H;
        for (size_t j = 0; j < H; j++)
            if (h[j] != 0) oc[k] = (uint32_t)j, ov[k++] = h[j];
        sparse_row in;
        sparse_csr_row(b, r, &in);
        sparse_row o = {in.has_label, in.label, k, oc, ov, in.comment};
        if (sparse_writer_row(w, &o) != 0) die_stdout();
    }
    sparse_csr_clear(b);
}

int main(int argc, char **argv)
{
    cli_init("senti-encode");
    const char *model_path = NULL;
    long threads = 1;
    int raw = 0, zero_based = 0;
    sparse_writer w;
    sparse_writer_init(&w, stdout);
    enum { O_RAW = 256, O_NOHEADER, O_UNLABELED, O_ZERO, O_BITS };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"raw", no_argument, 0, O_RAW}, {"bits", no_argument, 0, O_BITS},
        {"no-header", no_argument, 0, O_NOHEADER}, {"unlabeled-as", required_argument, 0, O_UNLABELED},
        {"zero-based", no_argument, 0, O_ZERO},  {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case O_RAW: raw = 1; break;
        case O_BITS: bits_out = 1; break;
        case O_NOHEADER: w.no_header = 1; break;
        case O_UNLABELED:
            w.unlabeled_as = cli_parse_double("--unlabeled-as", optarg, -1e300, 1e300);
            w.unlabeled_as_set = 1;
            break;
        case O_ZERO: zero_based = 1; break;
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
    model *m = model_load(model_path, 0, err, sizeof err);
    if (!m) die("%s", err);
    if (m->kind != MODEL_KIND_LAYER && m->kind != MODEL_KIND_STACK)
        die("%s: wrong kind: this is a %s model, a layer model is needed", cli_name(model_path),
            model_kind_name(m->kind));
    char digest[SPARSE_DIGEST_LEN + 1];
    snprintf(digest, sizeof digest, "%016" PRIx64, m->checksum);
    char mvocab[17];
    strcpy(mvocab, m->vocab);
    dae *d = NULL;
    stack *st = NULL;
    if (m->kind == MODEL_KIND_LAYER) {
        d = dae_from_model(m, err, sizeof err);
        if (!d) die("%s: %s", cli_name(model_path), err);
        m = NULL; /* the layer's now */
        layers = &d;
        nlayers = 1;
    } else {
        st = stack_from_model(m, err, sizeof err);
        if (!st) die("%s: %s", cli_name(model_path), err);
        layers = st->layer;
        nlayers = st->L;
        strcpy(mvocab, st->vocab);
    }
    uint32_t V = layers[0]->cfg.in_dim, H = layers[nlayers - 1]->cfg.hidden;
    if (bits_out && H > HASH_MAX_BITS) die("--bits: %u hidden units, codes hold at most %d bits", H, HASH_MAX_BITS);
    if (nlayers > 1) { /* codes between layers */
        size_t mx = 0;
        for (int l = 0; l + 1 < nlayers; l++)
            if (layers[l]->cfg.hidden > mx) mx = layers[l]->cfg.hidden;
        tmp[0] = xmallocarray((size_t)ROWS * mx, sizeof(float));
        tmp[1] = xmallocarray((size_t)ROWS * mx, sizeof(float));
    }

    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);

    sparse_csr *batch = sparse_csr_new();
    if (!batch) die("out of memory");
    batch->keep_comments = 1;
    float *out = xmallocarray((size_t)ROWS * H, sizeof *out);
    uint32_t *oc = xmallocarray(H, sizeof *oc);
    float *ov = xmallocarray(H, sizeof *ov);
    if (bits_out ? hash_write_header(stdout, H, digest) < 0 : sparse_writer_header(&w, H, digest) < 0) die_stdout();
    sparse_reader *r = NULL;
    for (int i = 0; i < nfiles; i++) {
        FILE *f = xfopen(files[i], "r");
        if (!r) {
            r = sparse_reader_new(f, cli_name(files[i]));
            if (!r) die("out of memory");
            sparse_reader_expect(r, V, mvocab, "the model");
            if (zero_based) sparse_reader_flags(r, SPARSE_ZERO_BASED);
        } else if (sparse_reader_next_file(r, f, cli_name(files[i])) < 0) {
            die("out of memory");
        }
        sparse_row row;
        int k;
        while ((k = sparse_next(r, &row)) == 1) {
            if (sparse_csr_append(batch, &row) < 0) die("out of memory");
            if (batch->rows == ROWS) flush(batch, out, oc, ov, !raw, &w);
        }
        if (k < 0) {
            flush(batch, out, oc, ov, !raw, &w); /* rows before the bad line are good */
            fflush(stdout);
            die("%s", sparse_reader_error(r));
        }
        xfclose(f, files[i]);
    }
    flush(batch, out, oc, ov, !raw, &w);
    sparse_reader_free(r);
    sparse_csr_free(batch);
    free(out);
    free(oc);
    free(ov);
    free(tmp[0]);
    free(tmp[1]);
    dae_free(d);
    stack_free(st);
    model_free(m);
    cli_close_stdout();
    return 0;
}
