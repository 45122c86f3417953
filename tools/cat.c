/* senti-cat - check, concatenate and normalise files in the sparse line
 * format.  Every line is validated (docs/format.md); valid input is written
 * back in canonical form (single spaces, shortest floats), or summarised
 * with --stats.  Useful as the first stage of any pipeline fed with
 * svmlight/LIBLINEAR files from elsewhere. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sparse.h"

static void usage(long dim)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Check and concatenate sparse-format files (stdin when none or '-'),\n"
           "writing them to stdout in canonical form.\n"
           "\n"
           "  -d, --dim N      reject indices above N [%ld = no limit]\n"
           "  -s, --stats      print a summary (rows, non-zeros, labels) instead\n"
           "  -c, --check      only check; print nothing, exit 0 when valid\n"
           "      --no-header  do not write the '# senti sparse' header line\n"
           "  -q, --quiet      no progress line\n"
           "  -h, --help       show this help and exit\n"
           "  -V, --version    show the version and exit\n"
           "\n"
           "Exit status: 0 valid, 1 bad data or I/O error, 2 misuse.  Lines over\n"
           "256 MiB, indices over 2147483647 and numbers over 63 characters are bad\n"
           "data (docs/limits.md).\n",
           cli_prog, dim);
}

int main(int argc, char **argv)
{
    cli_init("senti-cat");
    long dim = 0;
    int stats = 0, check = 0, header = 1;
    static const struct option opts[] = {
        {"dim", required_argument, 0, 'd'}, {"stats", no_argument, 0, 's'},
        {"check", no_argument, 0, 'c'},     {"no-header", no_argument, 0, 'H'},
        {"quiet", no_argument, 0, 'q'},     {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},   {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:scqhV", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dim = cli_parse_long("--dim", optarg, 0, SPARSE_MAX_DIM); break;
        case 's': stats = 1; break;
        case 'c': check = 1; break;
        case 'H': header = 0; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(dim); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);

    size_t rows = 0, nnz = 0, labeled = 0, maxrow = 0;
    double lsum = 0, lmin = 0, lmax = 0;
    uint32_t maxdim = 0;
    sparse_header first = {0, ""};
    int have_first = 0;
    /* Canonical output needs the header before the rows; a header in any
     * input is checked against the others and written once. */
    int wrote_header = 0;
    double t0 = cli_seconds();
    for (int i = 0; i < nfiles; i++) {
        FILE *f = xfopen(files[i], "r");
        sparse_reader *r = sparse_reader_new(f, cli_name(files[i]));
        if (!r) die("out of memory");
        if (dim) sparse_reader_limit(r, (uint32_t)dim);
        sparse_row row;
        int k;
        while ((k = sparse_next(r, &row)) == 1) {
            const sparse_header *h = sparse_reader_header(r);
            if (!have_first && (h->dim || h->vocab[0])) {
                first = *h;
                have_first = 1;
            } else if (have_first && ((h->dim && h->dim != first.dim) || strcmp(h->vocab, first.vocab) != 0)) {
                die_at(cli_name(files[i]), sparse_reader_line(r), "header (dim=%u vocab=%s) differs from %s's",
                       h->dim, h->vocab[0] ? h->vocab : "none", files[0]);
            }
            if (!stats && !check) {
                if (header && !wrote_header && have_first) {
                    sparse_write_header(stdout, first.dim, first.vocab);
                }
                wrote_header = 1;
                if (sparse_write_row(stdout, row.has_label, row.label, row.n, row.col, row.val, row.comment) < 0)
                    die_stdout();
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
        if (!have_first && (sparse_reader_header(r)->dim || sparse_reader_header(r)->vocab[0])) {
            first = *sparse_reader_header(r);
            have_first = 1;
        }
        if (sparse_reader_maxdim(r) > maxdim) maxdim = sparse_reader_maxdim(r);
        sparse_reader_free(r);
        xfclose(f, files[i]);
    }
    cli_progress_end();
    if (!stats && !check && header && !wrote_header && have_first) sparse_write_header(stdout, first.dim, first.vocab);
    if (stats) {
        uint32_t d = first.dim > maxdim ? first.dim : maxdim;
        printf("rows\t%zu\n", rows);
        printf("labeled\t%zu\n", labeled);
        printf("nonzeros\t%zu\n", nnz);
        printf("dim\t%u\n", d);
        printf("declared_dim\t%u\n", first.dim);
        printf("vocab\t%s\n", first.vocab[0] ? first.vocab : "-");
        printf("nonzeros_per_row\t%.2f\n", rows ? (double)nnz / (double)rows : 0.0);
        printf("max_nonzeros_per_row\t%zu\n", maxrow);
        printf("density\t%.6f\n", rows && d ? (double)nnz / ((double)rows * d) : 0.0);
        if (labeled) {
            printf("label_min\t%g\n", lmin);
            printf("label_max\t%g\n", lmax);
            printf("label_mean\t%.6f\n", lsum / (double)labeled);
        }
    }
    cli_close_stdout();
    return 0;
}
