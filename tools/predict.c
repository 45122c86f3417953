/* senti-predict - apply a network model from senti-train to sparse lines
 * (or a bundle of senti-bundle to raw text, through its front end):
 * one `gold<TAB>prediction` line out for every data line in (gold is '?'
 * for unlabeled rows), optionally followed by the class probabilities, and
 * by the row's comment as the last column, so that predictions can be
 * joined back to the input.  Memory stays constant: rows are scored in
 * batches of -b rows as they arrive, or one by one as each line is read
 * (--line-buffered, the default on a terminal). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "frontend.h"
#include "kern.h"
#include "model.h"
#include "net.h"
#include "sparse.h"

static void usage(long batch, long threads)
{
    printf("Usage: %s -m MODEL [OPTION]... [FILE]...\n"
           "Predict ratings for sparse lines (files, or stdin when none or '-'):\n"
           "writes `gold<TAB>prediction` per row, gold '?' for unlabeled rows, and\n"
           "the row's comment (the text after ' # ') as a last column when it has one.\n"
           "With a bundle (senti-bundle) the input is raw text instead: lines of\n"
           "`text`, `rating<TAB>text` or `rating<TAB>text<TAB>id`, the id passing\n"
           "through as the last column; '#' lines are skipped.\n"
           "\n"
           "  -m, --model FILE      network model from senti-train or senti-bundle\n"
           "                        (required)\n"
           "  -p, --proba           append the class probabilities (softmax models),\n"
           "                        in the order of the classes (see senti-inspect)\n"
           "  -l, --label           predict the most probable class instead of the\n"
           "                        expected rating (softmax models)\n"
           "  -b, --batch N         rows scored together [%ld]\n"
           "      --line-buffered   score and write each row as soon as its line is\n"
           "                        read (the default when stdin or stdout is a\n"
           "                        terminal)\n"
           "      --zero-based      input indices start at 0\n"
           "      --labels MAP      gold labels that are words: name=rating,...\n"
           "      --sparsity FILE   write the fraction of exactly-zero activations of\n"
           "                        each hidden layer over all rows (TSV: layer,\n"
           "                        units, zero_fraction) to FILE\n"
           "  -t, --threads N       threads [%ld]\n"
           "  -q, --quiet           no progress line (shown on a terminal stderr when\n"
           "                        the predictions go to a file or pipe)\n"
           "  -h, --help            show this help and exit\n"
           "  -V, --version         show the version and exit\n",
           cli_prog, batch, threads);
}

typedef struct {
    const net *n;
    net_ws *ws;
    double *pred;
    double *zeros;  /* per hidden layer: zero activations summed over rows, or NULL */
    int proba, label;
} scorer;

/* The comment as the last TAB column: TABs and CRs in it become spaces. */
static void put_comment(const char *c)
{
    putchar('\t');
    for (; *c; c++) putchar(*c == '\t' || *c == '\r' ? ' ' : *c);
}

/* Score the rows of batch b, write their lines, empty b. */
static void flush_batch(scorer *s, sparse_csr *b)
{
    const net *n = s->n;
    if (!b->rows) return;
    if (net_forward(n, s->ws, b->rows, b->rowptr, b->col, b->val, s->pred) < 0) die("out of memory");
    if (s->zeros)
        for (int l = 0; l < n->nhidden; l++)
            s->zeros[l] += net_zero_fraction(n, s->ws, l, b->rows) * (double)b->rows;
    char buf[32];
    for (size_t i = 0; i < b->rows; i++) {
        const float *p = s->ws->O + i * n->nclass;
        if (b->has_label[i]) {
            sparse_format_double(buf, b->label[i]);
            fputs(buf, stdout);
        } else {
            putchar('?');
        }
        if (s->label) {
            uint32_t best = 0;
            for (uint32_t k = 1; k < n->nclass; k++)
                if (p[k] > p[best]) best = k;
            sparse_format_double(buf, n->classes[best]);
            putchar('\t');
            fputs(buf, stdout);
        } else {
            printf("\t%.6f", s->pred[i]);
        }
        if (s->proba && n->output == NET_OUT_SOFTMAX)
            for (uint32_t k = 0; k < n->nclass; k++) printf("\t%.6f", (double)p[k]);
        sparse_row row;
        sparse_csr_row(b, i, &row);
        if (row.comment) put_comment(row.comment);
        putchar('\n');
    }
    if (ferror(stdout)) die_stdout();
    sparse_csr_clear(b);
}

/* Rows gathered into batches of `batch`, scored when full; progress. */
typedef struct {
    scorer *s;
    sparse_csr *b;
    size_t batch;
    int line_buffered, progress;
    size_t nrows;
    double t0, shown;
} batcher;

static void add_row(batcher *bt, const sparse_row *row)
{
    if (sparse_csr_append(bt->b, row) < 0) die("out of memory");
    bt->nrows++;
    if (bt->b->rows < bt->batch) return;
    flush_batch(bt->s, bt->b);
    if (bt->line_buffered) fflush(stdout);
    if (bt->progress) {
        double now = cli_seconds();
        if (now - bt->shown >= 0.5) {
            cli_progress("%zu rows, %.0f rows/s", bt->nrows, (double)bt->nrows / (now - bt->t0));
            bt->shown = now;
        }
    }
}

/* Raw text through the model's front end: a line is `text`, or
 * `rating<TAB>text` (a number or '?' before the first TAB), or
 * `rating<TAB>text<TAB>id...`, whose last part passes through as the
 * comment column; '#' lines are skipped, as senti-bow skips them. */
static void predict_text(batcher *bt, frontend *fe, const char *path)
{
    cli_lines in;
    cli_lines_open(&in, path);
    char err[512];
    cli_rated r;
    int k;
    while ((k = cli_rated_next(&in, &r, "text", NULL, CLI_RATED_TEXT_ALONE | CLI_RATED_SOFT,
                               " (a line of text alone has no TAB)")) != 0) {
        long ln = in.ln;
        if (k < 0) {
            flush_batch(bt->s, bt->b); /* the lines before it are good */
            die_at(in.name, ln, "%s", r.why);
        }
        sparse_row row = {0};
        row.has_label = r.has;
        row.label = r.label;
        const char *text = r.text;
        size_t tl = r.tlen;
        if (memchr(text, 0, tl)) {
            flush_batch(bt->s, bt->b);
            die_at(in.name, ln, "NUL byte in line");
        }
        char *tab2 = memchr(text, '\t', tl);
        if (tab2) {
            r.text[r.tlen] = 0; /* the line has LINES_PAD bytes after it */
            tl = (size_t)(tab2 - text);
            row.comment = tab2 + 1;
        }
        if (frontend_row(fe, text, tl, err, sizeof err) < 0) {
            flush_batch(bt->s, bt->b);
            die_at(in.name, ln, "%s", err);
        }
        row.n = fe->ncols;
        row.col = fe->cols;
        row.val = fe->vals;
        add_row(bt, &row);
    }
    cli_lines_close(&in);
}

int main(int argc, char **argv)
{
    cli_init("senti-predict");
    const char *model_path = NULL, *sparsity_path = NULL, *labels = NULL;
    int proba = 0, label = 0, line_buffered = -1, zero_based = 0;
    long batch = 256, threads = 1;
    enum { O_LINEBUF = 256, O_SPARSITY, O_ZERO, O_LABELS };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},  {"proba", no_argument, 0, 'p'},
        {"label", no_argument, 0, 'l'},        {"batch", required_argument, 0, 'b'},
        {"line-buffered", no_argument, 0, O_LINEBUF}, {"zero-based", no_argument, 0, O_ZERO},
        {"sparsity", required_argument, 0, O_SPARSITY}, {"labels", required_argument, 0, O_LABELS},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:plb:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'p': proba = 1; break;
        case 'l': label = 1; break;
        case 'b': batch = cli_parse_long("--batch", optarg, 1, 65536); break;
        case O_LINEBUF: line_buffered = 1; break;
        case O_ZERO: zero_based = 1; break;
        case O_SPARSITY: sparsity_path = optarg; break;
        case O_LABELS: labels = optarg; break;
        case 't': threads = cli_parse_long("--threads", optarg, 1, 256); break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(batch, threads); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!model_path) die_usage("no model given (-m FILE)");
    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);
    if (line_buffered < 0) line_buffered = cli_interactive();
    if (line_buffered) batch = 1;
    kern_threads((int)threads);

    char err[MODEL_ERR_LEN];
    cli_input_add(model_path);
    model *m = model_load(model_path, 0, err, sizeof err);
    if (!m) die("%s", err);
    net *n = net_from_model(m, err, sizeof err);
    if (!n) die("%s: %s", model_path, err);
    frontend *fe;
    if (frontend_from_model(m, &fe, err, sizeof err) < 0) die("%s: %s", cli_name(model_path), err);
    model_free(m);
    if (fe && zero_based) die_usage("--zero-based applies to sparse lines; %s reads text", cli_name(model_path));
    if (label && n->output != NET_OUT_SOFTMAX)
        die_usage("--label needs a softmax model; %s has a linear output", cli_name(model_path));
    /* the --sparsity file is created (as a temporary) before any work, so
     * that a bad path fails at once */
    cli_out *so = sparsity_path ? cli_out_open(sparsity_path) : NULL;

    scorer s = {n, net_ws_new(n, (size_t)batch), xmallocarray((size_t)batch, sizeof(double)), NULL, proba, label};
    if (!s.ws) die("out of memory");
    if (so && n->nhidden) s.zeros = xcalloc((size_t)n->nhidden, sizeof *s.zeros);
    sparse_csr *b = sparse_csr_new();
    if (!b) die("out of memory");
    b->keep_comments = 1;
    /* progress only when the predictions do not go to the terminal itself */
    batcher bt = {&s, b, (size_t)batch, line_buffered, cli_progress_enabled() && !isatty(STDOUT_FILENO), 0,
                  cli_seconds(), 0};
    bt.shown = bt.t0;

    if (fe) {
        for (int fi = 0; fi < nfiles; fi++) predict_text(&bt, fe, files[fi]);
    } else {
        sparse_reader *r = NULL;
        for (int fi = 0; fi < nfiles; fi++) {
            FILE *f = xfopen(files[fi], "r");
            const char *name = cli_name(files[fi]);
            if (!r) {
                r = sparse_reader_new(f, name);
                if (!r) die("out of memory");
                sparse_reader_expect(r, n->in_dim, n->vocab, "the model");
                if (zero_based) sparse_reader_flags(r, SPARSE_ZERO_BASED);
                if (labels && sparse_reader_labels(r, labels, err, sizeof err) < 0) die_usage("--labels: %s", err);
            } else if (sparse_reader_next_file(r, f, name) < 0) {
                die("out of memory");
            }
            sparse_row row;
            int k;
            while ((k = sparse_next(r, &row)) == 1) add_row(&bt, &row);
            if (k < 0) {
                flush_batch(&s, b); /* rows before the bad line are good */
                fflush(stdout);
                die("%s", sparse_reader_error(r));
            }
            xfclose(f, files[fi]);
        }
        sparse_reader_free(r);
    }
    flush_batch(&s, b);
    size_t nrows = bt.nrows;
    int progress = bt.progress;
    double t0 = bt.t0;
    if (progress) { /* the last figures stay on the line, however short the run */
        double took = cli_seconds() - t0;
        cli_progress("%zu rows, %.0f rows/s", nrows, took > 0 ? (double)nrows / took : 0.0);
        cli_progress_end();
    }
    if (so) {
        fprintf(so->f, "layer\tunits\tzero_fraction\n");
        for (int l = 0; l < n->nhidden; l++)
            fprintf(so->f, "%d\t%u\t%.6f\n", l + 1, n->hidden[l].out, nrows ? s.zeros[l] / (double)nrows : 0.0);
        cli_out_commit(so);
    }
    sparse_csr_free(b);
    frontend_free(fe);
    free(s.zeros);
    free(s.pred);
    net_ws_free(s.ws);
    net_free(n);
    cli_close_stdout();
    return 0;
}
