/* senti-encode - sparse lines in, sparse lines of a layer's hidden
 * activations out (docs/dae.md).  Labels and row comments pass through,
 * exact zeros are omitted.  Rectifier/softplus activations are scaled to
 * [0,1] by the per-unit scale stored in the layer, so the output is ready
 * for the next senti-pretrain.  The output header names the layer: its
 * dim= is the hidden size and its vocab= the layer model's checksum, so a
 * layer trained on this output only accepts input encoded by this layer.
 * A stack model (senti-pretrain --stack) encodes through all its layers.
 * --bits writes the top layer's activations thresholded at 0.5 as packed
 * binary codes (lib/hash, docs/format.md) for senti-search; --balance puts
 * each bit's threshold at its unit's median over the input (held in memory
 * until the end) and writes the thresholds into the codes header, and
 * --thresholds CODES takes them from such a file, so that queries are
 * coded as the index was. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
           "      --balance         --bits: each bit's threshold at its unit's median\n"
           "                        over the input (written in the header) [0.5]\n"
           "      --thresholds F    --bits: the thresholds of the codes file F (written\n"
           "                        with --balance by this model) [0.5]\n"
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
static int nlayers, bits_out, balance;
static float *tmp[2];
static const float *thresh; /* --bits: per-unit thresholds, NULL: 0.5 */
/* --balance: every row's activations and its label and comment text (at
 * text_at[row]: "label\0comment\0", comment empty if none) until the end */
static struct {
    float *h;
    size_t n, cap;
    buf_t text;
    size_t *text_at;
} held;

/* One codes line. */
static void write_code(const char *lab, const float *h, uint32_t H, const char *comment)
{
    uint64_t code[HASH_MAX_BITS / 64];
    char hex[HASH_MAX_BITS / 4 + 1];
    if (thresh) hash_pack_thresh(h, H, thresh, code);
    else hash_pack(h, H, 0.5f, code);
    hash_to_hex(code, H, hex);
    fputs(lab, stdout);
    fputc('\t', stdout);
    fputs(hex, stdout);
    if (comment && *comment) fprintf(stdout, "\t%s", comment);
    if (fputc('\n', stdout) == EOF) die_stdout();
}

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
        sparse_row in;
        sparse_csr_row(b, r, &in);
        int has = in.has_label;
        double label = in.label;
        if (!has && w->unlabeled_as_set) has = 1, label = w->unlabeled_as;
        char lab[32];
        if (has) sparse_format_double(lab, label);
        else strcpy(lab, "?");
        if (!balance) {
            write_code(lab, out + r * H, (uint32_t)H, in.comment);
            continue;
        }
        if (held.n == held.cap) {
            held.cap = held.cap ? 2 * held.cap : 1024;
            held.h = xreallocarray(held.h, held.cap * H, sizeof *held.h);
            held.text_at = xreallocarray(held.text_at, held.cap, sizeof *held.text_at);
        }
        memcpy(held.h + held.n * H, out + r * H, H * sizeof *held.h);
        held.text_at[held.n++] = held.text.len;
        const char *cm = in.comment ? in.comment : "";
        if (buf_add(&held.text, lab, strlen(lab) + 1) < 0 || buf_add(&held.text, cm, strlen(cm) + 1) < 0)
            die("out of memory");
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
    enum { O_RAW = 256, O_NOHEADER, O_UNLABELED, O_ZERO, O_BITS, O_BALANCE, O_THRESH };
    const char *thresh_path = NULL;
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"raw", no_argument, 0, O_RAW}, {"bits", no_argument, 0, O_BITS},
        {"balance", no_argument, 0, O_BALANCE}, {"thresholds", required_argument, 0, O_THRESH},
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
        case O_BALANCE: balance = 1; break;
        case O_THRESH: thresh_path = optarg; break;
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
    if ((balance || thresh_path) && !bits_out) die_usage("--balance and --thresholds go with --bits");
    if (balance && thresh_path) die_usage("--balance or --thresholds, not both");
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
    float *thresh_own = NULL;
    if (thresh_path) { /* the thresholds of the index's codes */
        FILE *tf = xfopen(thresh_path, "r");
        hash_reader *tr = hash_reader_new(tf, cli_name(thresh_path));
        if (!tr) die("out of memory");
        hash_reader_expect(tr, H, digest, "the model");
        const uint64_t *tc;
        const char *l, *cm;
        if (hash_reader_next(tr, &tc, &l, &cm) < 0) die("%s", hash_reader_error(tr));
        if (!hash_reader_thresholds(tr))
            die("%s: no thresholds in the header (codes written with --bits --balance)", cli_name(thresh_path));
        thresh_own = xmallocarray(H, sizeof *thresh_own);
        memcpy(thresh_own, hash_reader_thresholds(tr), H * sizeof *thresh_own);
        thresh = thresh_own;
        hash_reader_free(tr);
        xfclose(tf, thresh_path);
    }
    if (bits_out && !balance ? hash_write_header_thresh(stdout, H, digest, thresh) < 0
        : !bits_out && sparse_writer_header(&w, H, digest) < 0)
        die_stdout();
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
    if (balance) { /* the medians, then every row's code */
        float *med = xmallocarray(H, sizeof *med), *col = xmallocarray(held.n ? held.n : 1, sizeof *col);
        hash_medians(held.h, held.n, H, med, col);
        thresh = med;
        if (hash_write_header_thresh(stdout, H, digest, med) < 0) die_stdout();
        for (size_t i = 0; i < held.n; i++) {
            const char *lab = held.text.p + held.text_at[i];
            write_code(lab, held.h + i * H, H, lab + strlen(lab) + 1);
        }
        free(col);
        free(med);
        free(held.h);
        free(held.text_at);
        buf_free(&held.text);
    }
    free(thresh_own);
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
