/* senti-cat - check, concatenate, normalise and convert files of sparse
 * lines.  Every line is validated (docs/format.md); the files are one
 * stream, as if concatenated, so a later file must agree with the headers
 * of the earlier ones.  Valid input is written back in canonical form
 * (single spaces, shortest floats, the header where its information is
 * first known), summarised with --stats, or converted from and to Vowpal
 * Wabbit's and fastText's line formats (--from, --to).  Useful as the first
 * stage of any pipeline fed with svmlight/LIBLINEAR files from elsewhere,
 * and as the last before a peer. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sparse.h"
#include "vocab.h"

static const char *format_name(int f)
{
    return f == SPARSE_FMT_VW ? "vw" : f == SPARSE_FMT_FASTTEXT ? "fasttext" : "senti";
}

static int parse_format(const char *opt, const char *s)
{
    if (!strcmp(s, "senti") || !strcmp(s, "svm")) return SPARSE_FMT_SENTI;
    if (!strcmp(s, "vw")) return SPARSE_FMT_VW;
    if (!strcmp(s, "fasttext")) return SPARSE_FMT_FASTTEXT;
    die_usage("%s: unknown format '%s' (senti, vw, fasttext)", opt, s);
}

static void usage(long dim, int from, int to)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Check and concatenate sparse-format files (stdin when none or '-'),\n"
           "writing them to stdout in canonical form, or in another format.\n"
           "\n"
           "  -d, --dim N           reject indices above N [%ld = no limit]\n"
           "  -s, --stats           print a summary (rows, non-zeros, labels) instead\n"
           "  -c, --check           only check; print nothing, exit 0 when valid\n"
           "      --no-header       write no '# senti sparse' header line (for LIBLINEAR)\n"
           "      --unlabeled-as X  write the number X for unlabeled ('?') rows\n"
           "                        [none: '?']\n"
           "      --zero-based      input indices start at 0 (scikit-learn's\n"
           "                        dump_svmlight_file); the output starts at 1\n"
           "  -f, --from FMT        input format: senti, vw, fasttext [%s]\n"
           "  -t, --to FMT          output format: senti, vw, fasttext [%s]\n"
           "  -v, --vocab FILE      vocabulary (senti-vocab output) naming the\n"
           "                        columns: VW feature names and fastText tokens are\n"
           "                        its terms instead of indices; senti input must\n"
           "                        carry its digest, if any [none]\n"
           "  -q, --quiet           no progress line\n"
           "  -h, --help            show this help and exit\n"
           "  -V, --version         show the version and exit\n"
           "\n"
           "senti lines: 'label idx:val ... [# comment]'; vw: 'label ['tag] | name[:val]\n"
           "...'; fasttext: '__label__X tok tok ...' (values are token counts).\n"
           "Formats and rules: docs/format.md.\n"
           "\n"
           "Exit status: 0 valid, 1 bad data or I/O error, 2 misuse.  Lines over\n"
           "256 MiB, indices over 2147483647 and numbers over 63 characters are bad\n"
           "data (docs/limits.md).\n",
           cli_prog, dim, format_name(from), format_name(to));
}

static uint32_t vocab_lookup_fn(void *arg, const char *s, size_t n)
{
    return vocab_lookup(arg, s, n);
}

int main(int argc, char **argv)
{
    cli_init("senti-cat");
    long dim = 0;
    int stats = 0, check = 0, no_header = 0, zero_based = 0, unl_set = 0;
    int from = SPARSE_FMT_SENTI, to = SPARSE_FMT_SENTI;
    double unl = 0;
    const char *vocab_path = NULL;
    enum { O_NOHEADER = 256, O_UNLABELED, O_ZERO };
    static const struct option opts[] = {
        {"dim", required_argument, 0, 'd'},         {"stats", no_argument, 0, 's'},
        {"check", no_argument, 0, 'c'},             {"no-header", no_argument, 0, O_NOHEADER},
        {"unlabeled-as", required_argument, 0, O_UNLABELED}, {"zero-based", no_argument, 0, O_ZERO},
        {"from", required_argument, 0, 'f'},        {"to", required_argument, 0, 't'},
        {"vocab", required_argument, 0, 'v'},       {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},              {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:scf:t:v:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dim = cli_parse_long("--dim", optarg, 0, SPARSE_MAX_DIM); break;
        case 's': stats = 1; break;
        case 'c': check = 1; break;
        case O_NOHEADER: no_header = 1; break;
        case O_UNLABELED: unl = cli_parse_double("--unlabeled-as", optarg, -1e300, 1e300); unl_set = 1; break;
        case O_ZERO: zero_based = 1; break;
        case 'f': from = parse_format("--from", optarg); break;
        case 't': to = parse_format("--to", optarg); break;
        case 'v': vocab_path = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(dim, from, to); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);

    vocab *v = NULL;
    const char **names = NULL;
    if (vocab_path) {
        FILE *vf = xfopen(vocab_path, "r");
        char err[512];
        v = vocab_load(vf, cli_name(vocab_path), err, sizeof err);
        if (!v) die("%s", err);
        xfclose(vf, vocab_path);
        names = xmallocarray(v->dim, sizeof *names);
        for (uint32_t i = 0; i < v->dim; i++) names[i] = v->keys[i].s;
    }

    sparse_writer w;
    sparse_writer_init(&w, stdout);
    w.format = to;
    w.no_header = no_header;
    w.unlabeled_as_set = unl_set;
    w.unlabeled_as = unl;
    if (v) {
        w.names = names;
        w.nnames = v->dim;
    }
    const int write = !stats && !check;
    /* lines of another format carry no header: the vocabulary is theirs */
    if (write && v && from != SPARSE_FMT_SENTI && sparse_writer_header(&w, v->dim, v->digest) < 0) die_stdout();

    size_t rows = 0, nnz = 0, labeled = 0, maxrow = 0;
    double lsum = 0, lmin = 0, lmax = 0;
    double t0 = cli_seconds();
    sparse_reader *r = NULL;
    for (int i = 0; i < nfiles; i++) {
        FILE *f = xfopen(files[i], "r");
        const char *name = cli_name(files[i]);
        if (!r) {
            r = sparse_reader_new(f, name);
            if (!r) die("out of memory");
            if (zero_based) sparse_reader_flags(r, SPARSE_ZERO_BASED);
            if (from != SPARSE_FMT_SENTI) sparse_reader_format(r, from, v ? vocab_lookup_fn : NULL, v);
            if (v && from == SPARSE_FMT_SENTI) sparse_reader_expect(r, v->dim, v->digest, "the vocabulary");
            else if (dim) sparse_reader_limit(r, (uint32_t)dim);
        } else if (sparse_reader_next_file(r, f, name) < 0) {
            die("out of memory");
        }
        sparse_row row;
        int k;
        while ((k = sparse_next(r, &row)) == 1) {
            if (write) {
                const sparse_header *h = sparse_reader_header(r);
                if (sparse_writer_header(&w, h->dim, h->vocab) < 0) die_stdout();
                int e = sparse_writer_row(&w, &row);
                if (e == -2) die_at(name, sparse_reader_line(r), "%s", w.err);
                if (e < 0) die_stdout();
            }
            rows++;
            nnz += row.n;
            if (row.n > maxrow) maxrow = row.n;
            if (row.has_label) {
                if (!labeled || row.label < lmin) lmin = row.label;
                if (!labeled || row.label > lmax) lmax = row.label;
                labeled++;
                lsum += row.label;
            }
            if ((rows & 0xffff) == 0) cli_progress("%zu rows, %.1f s", rows, cli_seconds() - t0);
        }
        if (k < 0) die("%s", sparse_reader_error(r));
        xfclose(f, files[i]);
    }
    cli_progress_end();
    const sparse_header *h = sparse_reader_header(r);
    if (write && sparse_writer_header(&w, h->dim, h->vocab) < 0) die_stdout();
    if (stats) {
        uint32_t maxdim = sparse_reader_maxdim(r);
        uint32_t d = h->dim > maxdim ? h->dim : maxdim;
        printf("rows\t%zu\n", rows);
        printf("labeled\t%zu\n", labeled);
        printf("nonzeros\t%zu\n", nnz);
        printf("dim\t%u\n", d);
        printf("declared_dim\t%u\n", h->dim);
        printf("vocab\t%s\n", h->vocab[0] ? h->vocab : "-");
        printf("nonzeros_per_row\t%.2f\n", rows ? (double)nnz / (double)rows : 0.0);
        printf("max_nonzeros_per_row\t%zu\n", maxrow);
        printf("density\t%.6f\n", rows && d ? (double)nnz / ((double)rows * d) : 0.0);
        if (labeled) {
            printf("label_min\t%g\n", lmin);
            printf("label_max\t%g\n", lmax);
            printf("label_mean\t%.6f\n", lsum / (double)labeled);
        }
    }
    sparse_reader_free(r);
    free(names);
    vocab_free(v);
    cli_close_stdout();
    return 0;
}
