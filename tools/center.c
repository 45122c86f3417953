/* senti-center - the normalisation of a rating matrix for the autoencoders
 * of collaborative filtering (lib/cf.h, docs/cf.md): every rating on the
 * scale [MIN, MAX] mapped to [-1, 1], then each line's mean of those values
 * removed (unless --no-mean).  senti-complete applies the same function to
 * the same training lines and undoes it on its predictions. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"
#include "cli.h"
#include "sparse.h"

int main(int argc, char **argv)
{
    cli_init("senti-center");
    static const struct option opts[] = {{"scale", required_argument, 0, 'S'}, {"no-mean", no_argument, 0, 'M'},
                                         {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
                                         {"version", no_argument, 0, 'V'},     {0, 0, 0, 0}};
    cf_scale sc = {0, 0};
    int given = 0, center = 1, c;
    while ((c = getopt_long(argc, argv, "S:MqhV", opts, NULL)) != -1) {
        switch (c) {
        case 'S':
            if (cf_scale_parse(optarg, &sc) != 0) die_usage("--scale: '%s' is not MIN,MAX with MIN < MAX", optarg);
            given = 1;
            break;
        case 'M': center = 0; break;
        case 'q': cli_quiet = 1; break;
        case 'h':
            printf("Usage: %s -S MIN,MAX [OPTION]... [FILE]...\n"
                   "Normalise a rating matrix of sparse lines (files, or stdin when none or\n"
                   "'-'): each rating r becomes (r - mid) / half, mid and half the middle\n"
                   "and half width of the scale, so the scale maps to [-1, 1]; then each\n"
                   "line's mean of these values is removed (zeros are written: an entry\n"
                   "stays known).  Labels, comments and the header pass through.\n"
                   "\n"
                   "  -S, --scale MIN,MAX  the rating scale (required)\n"
                   "  -M, --no-mean        keep the line means [remove them]\n"
                   "  -q, --quiet          no notes on stderr\n"
                   "  -h, --help           show this help and exit\n"
                   "  -V, --version        show the version and exit\n"
                   "\n"
                   "A rating outside the scale is an error (file:line, exit 1).\n"
                   "senti-complete --scale MIN,MAX [--no-mean] undoes this on its\n"
                   "predictions from the same training lines.\n",
                   cli_prog);
            cli_close_stdout();
            return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!given) die_usage("give the rating scale: --scale MIN,MAX");
    int nin;
    const char **inputs = cli_inputs(argc, argv, optind, &nin);
    sparse_csr *m = cf_read(inputs, nin, &sc, 1);
    cf_normalize(m, &sc, center, NULL);
    if ((m->header.dim || m->header.vocab[0]) && sparse_write_header(stdout, m->header.dim, m->header.vocab) != 0)
        die_stdout();
    for (size_t i = 0; i < m->rows; i++) {
        sparse_row row;
        sparse_csr_row(m, i, &row);
        if (sparse_write_row(stdout, row.has_label, row.label, row.n, row.col, row.val, row.comment) != 0) die_stdout();
    }
    sparse_csr_free(m);
    cli_close_stdout();
    return 0;
}
