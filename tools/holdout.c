/* senti-holdout - split the ENTRIES of a rating matrix (sparse lines, one
 * line per item or user, value = rating) into a training matrix and a
 * held-out one, line for line (docs/cf.md).
 *
 * The entries are numbered in reading order (line by line, by column) and
 * shuffled with the seeded generator; with --ratio R the first
 * round(R * N) entries of the shuffled order are held out, with -k K the
 * entry at shuffled position p falls in fold p mod K and fold --fold is
 * held out.  Both outputs have one line per input line, in input order,
 * with the line's label and comment and the entries of that part (a line
 * without any is its label alone), headers copied to both: every rating
 * lands in exactly one part, and the folds 1..K of one seed hold each
 * rating once. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"
#include "cli.h"
#include "rng.h"
#include "sparse.h"

static struct {
    double ratio;
    long folds, fold;
    const char *train, *test;
    unsigned long long seed;
    int folds_given, fold_given, ratio_given;
} opt = {.ratio = 0.1, .folds = 10, .fold = 1, .seed = 1};

static void usage(void)
{
    printf("Usage: %s --train FILE --test FILE [OPTION]... [FILE]...\n"
           "Hold out a seeded part of the ratings (entries, not lines) of a rating\n"
           "matrix of sparse lines (files, or stdin when none or '-').  Both outputs\n"
           "have one line per input line, in order, with that line's label, comment\n"
           "and the entries of the part; headers go to both.\n"
           "\n"
           "  -r, --ratio R     hold out fraction R of the entries [%g]\n"
           "  -k, --folds K     k-fold split of the entries instead (not with -r)\n"
           "  -f, --fold I      the held-out fold, 1..K [%ld]\n"
           "  -s, --seed S      seed of the shuffle [%llu]\n"
           "      --train FILE  the entries kept (required)\n"
           "      --test FILE   the held-out entries with their ratings (required)\n"
           "  -q, --quiet       no notes on stderr\n"
           "  -h, --help        show this help and exit\n"
           "  -V, --version     show the version and exit\n"
           "\n"
           "The whole input is held in memory.  --train and --test are replaced\n"
           "together.  For every K and seed, the --test parts of folds 1..K hold\n"
           "each entry exactly once.\n",
           cli_prog, opt.ratio, opt.fold, opt.seed);
}

int main(int argc, char **argv)
{
    cli_init("senti-holdout");
    static const struct option opts[] = {
        {"ratio", required_argument, 0, 'r'}, {"folds", required_argument, 0, 'k'},
        {"fold", required_argument, 0, 'f'},  {"seed", required_argument, 0, 's'},
        {"train", required_argument, 0, 'T'}, {"test", required_argument, 0, 'E'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},     {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "r:k:f:s:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            opt.ratio = cli_parse_double("--ratio", optarg, 0.0, 1.0);
            opt.ratio_given = 1;
            break;
        case 'k':
            opt.folds = cli_parse_long("--folds", optarg, 2, 1000000);
            opt.folds_given = 1;
            break;
        case 'f':
            opt.fold = cli_parse_long("--fold", optarg, 1, 1000000);
            opt.fold_given = 1;
            break;
        case 's': opt.seed = cli_parse_u64("--seed", optarg); break;
        case 'T': opt.train = optarg; break;
        case 'E': opt.test = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    int kfold = opt.folds_given || opt.fold_given;
    if (kfold && opt.ratio_given) die_usage("--ratio and --%s exclude each other", opt.folds_given ? "folds" : "fold");
    if (kfold && opt.fold > opt.folds) die_usage("--fold %ld is above --folds %ld", opt.fold, opt.folds);
    if (!opt.train || !opt.test) die_usage("give both --train FILE and --test FILE");
    cli_out *out[2] = {cli_out_open(opt.train), cli_out_open(opt.test)};

    int nin;
    const char **inputs = cli_inputs(argc, argv, optind, &nin);
    sparse_csr *m = cf_read(inputs, nin, NULL, 1);
    const sparse_header *hd = &m->header;

    size_t N = m->nnz;
    size_t *order = xmallocarray(N ? N : 1, sizeof *order);
    for (size_t i = 0; i < N; i++) order[i] = i;
    rng_t g;
    rng_seed(&g, opt.seed, 0);
    rng_shuffle_size(&g, order, N);
    unsigned char *held = xcalloc(N ? N : 1, 1);
    size_t nheld = 0;
    size_t want = kfold ? 0 : (size_t)((double)N * opt.ratio + 0.5);
    for (size_t p = 0; p < N; p++) {
        int h = kfold ? (p % (size_t)opt.folds) == (size_t)(opt.fold - 1) : p < want;
        held[order[p]] = (unsigned char)h;
        nheld += (size_t)h;
    }

    uint32_t *col[2];
    float *val[2];
    for (int k = 0; k < 2; k++) {
        col[k] = xmallocarray(m->dim ? m->dim : 1, sizeof **col);
        val[k] = xmallocarray(m->dim ? m->dim : 1, sizeof **val);
        if ((hd->dim || hd->vocab[0]) && sparse_write_header(out[k]->f, hd->dim, hd->vocab) != 0) cli_out_die(out[k]);
    }
    for (size_t i = 0; i < m->rows; i++) {
        sparse_row row;
        sparse_csr_row(m, i, &row);
        size_t n[2] = {0, 0};
        for (size_t e = m->rowptr[i]; e < m->rowptr[i + 1]; e++) {
            int k = held[e];
            col[k][n[k]] = m->col[e];
            val[k][n[k]++] = m->val[e];
        }
        for (int k = 0; k < 2; k++)
            if (sparse_write_row(out[k]->f, row.has_label, row.label, n[k], col[k], val[k], row.comment) != 0)
                cli_out_die(out[k]);
    }
    cli_out_commit_all(out, 2);
    note("%zu lines, %zu ratings: %zu kept, %zu held out", m->rows, N, N - nheld, nheld);
    for (int k = 0; k < 2; k++) free(col[k]), free(val[k]);
    free(order);
    free(held);
    sparse_csr_free(m);
    cli_close_stdout();
    return 0;
}
