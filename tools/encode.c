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
           "  -m, --model FILE      layer model ('-' = stdin) [required]\n"
           "      --raw             write unscaled activations (no [0,1] scaling)\n"
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

/* Encode the rows of batch b and write them (labels and comments kept,
 * exact zeros left out). */
static void flush(sparse_csr *b, const dae *d, float *out, uint32_t *oc, float *ov, int scaled, sparse_writer *w)
{
    size_t H = d->cfg.hidden;
    if (!b->rows) return;
    dae_forward(d, b->rows, b->rowptr, b->col, b->val, out, scaled);
    for (size_t r = 0; r < b->rows; r++) {
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
    enum { O_RAW = 256, O_NOHEADER, O_UNLABELED, O_ZERO };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"raw", no_argument, 0, O_RAW},
        {"no-header", no_argument, 0, O_NOHEADER}, {"unlabeled-as", required_argument, 0, O_UNLABELED},
        {"zero-based", no_argument, 0, O_ZERO},  {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case O_RAW: raw = 1; break;
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

    sparse_csr *batch = sparse_csr_new();
    if (!batch) die("out of memory");
    batch->keep_comments = 1;
    float *out = xmallocarray((size_t)ROWS * H, sizeof *out);
    uint32_t *oc = xmallocarray(H, sizeof *oc);
    float *ov = xmallocarray(H, sizeof *ov);
    if (sparse_writer_header(&w, H, digest) < 0) die_stdout();
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
            if (batch->rows == ROWS) flush(batch, d, out, oc, ov, !raw, &w);
        }
        if (k < 0) {
            flush(batch, d, out, oc, ov, !raw, &w); /* rows before the bad line are good */
            fflush(stdout);
            die("%s", sparse_reader_error(r));
        }
        xfclose(f, files[i]);
    }
    flush(batch, d, out, oc, ov, !raw, &w);
    sparse_reader_free(r);
    sparse_csr_free(batch);
    free(out);
    free(oc);
    free(ov);
    dae_free(d);
    cli_close_stdout();
    return 0;
}
