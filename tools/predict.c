/* senti-predict - apply a network model from senti-train to sparse lines:
 * one `gold<TAB>prediction` line out for every data line in (gold is '?'
 * for unlabeled rows), optionally followed by the class probabilities.
 * Memory stays constant: rows are scored in small batches as they arrive. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kern.h"
#include "model.h"
#include "net.h"
#include "sparse.h"

static void usage(long batch, long threads)
{
    printf("Usage: %s -m MODEL [OPTION]... [FILE]...\n"
           "Predict ratings for sparse lines (files, or stdin when none or '-'):\n"
           "writes `gold<TAB>prediction` per row, gold '?' for unlabeled rows.\n"
           "\n"
           "  -m, --model FILE      network model from senti-train (required)\n"
           "  -p, --proba           append the class probabilities (softmax models),\n"
           "                        in the order of the classes (see senti-inspect)\n"
           "  -b, --batch N         rows scored together [%ld]\n"
           "      --line-buffered   score and write each row as soon as it is read\n"
           "                        (the default when stdin is a terminal)\n"
           "      --sparsity FILE   write the fraction of exactly-zero activations of\n"
           "                        each hidden layer over all rows (TSV: layer,\n"
           "                        units, zero_fraction) to FILE\n"
           "  -t, --threads N       threads [%ld]\n"
           "  -q, --quiet           no progress line\n"
           "  -h, --help            show this help and exit\n"
           "  -V, --version         show the version and exit\n",
           cli_prog, batch, threads);
}

typedef struct {
    size_t *ptr;
    uint32_t *col;
    float *val;
    double *gold;
    unsigned char *has;
    size_t n, nnz, cap;
} pending;

static void flush_batch(const net *n, net_ws *ws, pending *p, double *pred, int proba, double *zeros)
{
    if (!p->n) return;
    net_forward(n, ws, p->n, p->ptr, p->col, p->val, pred);
    if (zeros)
        for (int l = 0; l < n->nhidden; l++) zeros[l] += net_zero_fraction(n, ws, l, p->n) * (double)p->n;
    char buf[32];
    for (size_t i = 0; i < p->n; i++) {
        if (p->has[i]) {
            sparse_format_double(buf, p->gold[i]);
            fputs(buf, stdout);
        } else {
            putchar('?');
        }
        printf("\t%.6f", pred[i]);
        if (proba && n->output == NET_OUT_SOFTMAX)
            for (uint32_t k = 0; k < n->nclass; k++) printf("\t%.6f", (double)ws->O[i * n->nclass + k]);
        putchar('\n');
    }
    if (ferror(stdout)) die_stdout();
    p->n = 0;
    p->nnz = 0;
    p->ptr[0] = 0;
}

int main(int argc, char **argv)
{
    cli_init("senti-predict");
    const char *model_path = NULL, *sparsity_path = NULL;
    int proba = 0, line_buffered = -1;
    long batch = 256, threads = 1;
    enum { O_LINEBUF = 256, O_SPARSITY };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},  {"proba", no_argument, 0, 'p'},
        {"batch", required_argument, 0, 'b'},  {"line-buffered", no_argument, 0, O_LINEBUF},
        {"sparsity", required_argument, 0, O_SPARSITY},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:pb:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'p': proba = 1; break;
        case 'b': batch = cli_parse_long("--batch", optarg, 1, 65536); break;
        case O_LINEBUF: line_buffered = 1; break;
        case O_SPARSITY: sparsity_path = optarg; break;
        case 't': threads = cli_parse_long("--threads", optarg, 1, 256); break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(batch, threads); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!model_path) die_usage("no model given (-m FILE)");
    if (line_buffered < 0) line_buffered = isatty(STDIN_FILENO);
    if (line_buffered) batch = 1;
    kern_threads((int)threads);

    /* --sparsity's file first: a bad path fails before any prediction */
    cli_out *sparsity = sparsity_path ? cli_out_open(sparsity_path) : NULL;
    char err[MODEL_ERR_LEN];
    cli_input_add(model_path);
    model *m = model_load(model_path, 0, err, sizeof err);
    if (!m) die("%s", err);
    net *n = net_from_model(m, err, sizeof err);
    if (!n) die("%s: %s", model_path, err);
    model_free(m);

    net_ws *ws = net_ws_new(n, (size_t)batch);
    if (!ws) die("out of memory");
    pending p = {0};
    p.ptr = xmallocarray((size_t)batch + 1, sizeof *p.ptr);
    p.gold = xmallocarray((size_t)batch, sizeof *p.gold);
    p.has = xmalloc((size_t)batch);
    p.ptr[0] = 0;
    double *pred = xmallocarray((size_t)batch, sizeof *pred);
    double *zeros = sparsity_path && n->nhidden ? xcalloc((size_t)n->nhidden, sizeof *zeros) : NULL;
    size_t nrows = 0;

    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);
    for (int fi = 0; fi < nfiles; fi++) {
        FILE *f = xfopen(files[fi], "r");
        const char *name = cli_name(files[fi]);
        sparse_reader *r = sparse_reader_new(f, name);
        if (!r) die("out of memory");
        sparse_reader_limit(r, n->in_dim);
        sparse_row row;
        int k;
        int checked = 0;
        while ((k = sparse_next(r, &row)) == 1) {
            if (!checked) {
                const sparse_header *h = sparse_reader_header(r);
                if (h->vocab[0] && n->vocab[0] && strcmp(h->vocab, n->vocab) != 0)
                    die_at(name, sparse_reader_line(r), "vocabulary digest %s differs from the model's %s", h->vocab,
                           n->vocab);
                checked = 1;
            }
            if (p.nnz + row.n > p.cap) {
                p.cap = (p.nnz + row.n) * 2;
                p.col = xreallocarray(p.col, p.cap, sizeof *p.col);
                p.val = xreallocarray(p.val, p.cap, sizeof *p.val);
            }
            memcpy(p.col + p.nnz, row.col, row.n * sizeof *p.col);
            memcpy(p.val + p.nnz, row.val, row.n * sizeof *p.val);
            p.nnz += row.n;
            p.gold[p.n] = row.label;
            p.has[p.n] = (unsigned char)row.has_label;
            p.n++;
            nrows++;
            p.ptr[p.n] = p.nnz;
            if (p.n == (size_t)batch) {
                flush_batch(n, ws, &p, pred, proba, zeros);
                if (line_buffered) fflush(stdout);
            }
        }
        if (k < 0) {
            flush_batch(n, ws, &p, pred, proba, zeros); /* rows before the bad line are good */
            fflush(stdout);
            die("%s", sparse_reader_error(r));
        }
        sparse_reader_free(r);
        xfclose(f, files[fi]);
    }
    flush_batch(n, ws, &p, pred, proba, zeros);
    if (sparsity) {
        cli_out *o = sparsity;
        fprintf(o->f, "layer\tunits\tzero_fraction\n");
        for (int l = 0; l < n->nhidden; l++)
            fprintf(o->f, "%d\t%u\t%.6f\n", l + 1, n->hidden[l].out, nrows ? zeros[l] / (double)nrows : 0.0);
        cli_out_commit(o);
    }
    free(zeros);
    free(p.ptr);
    free(p.col);
    free(p.val);
    free(p.gold);
    free(p.has);
    free(pred);
    net_ws_free(ws);
    net_free(n);
    cli_close_stdout();
    return 0;
}
