/* senti-transpose - the transpose of a matrix of sparse lines: line j of
 * the output holds column j of the input, as index:value of the input
 * lines i (1-based) where it has an entry.  Turns the item lines of a
 * rating matrix into user lines (the U autoencoder of docs/cf.md) without
 * changing which entries a held-out split holds.  Labels and comments are
 * dropped (output labels are '?').  The output has as many lines as the
 * input's dim= (else its largest index), and its header declares the
 * number of input lines as dim=. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"
#include "cli.h"
#include "sparse.h"

int main(int argc, char **argv)
{
    cli_init("senti-transpose");
    static const struct option opts[] = {{"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {"version", no_argument, 0, 'V'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'q': cli_quiet = 1; break;
        case 'h':
            printf("Usage: %s [OPTION]... [FILE]...\n"
                   "Write the transpose of a matrix of sparse lines (files, or stdin when\n"
                   "none or '-'): one line per column (dim= of the header, else the largest\n"
                   "index), holding the input lines' values as index:value, label '?'.\n"
                   "\n"
                   "  -q, --quiet    no notes on stderr\n"
                   "  -h, --help     show this help and exit\n"
                   "  -V, --version  show the version and exit\n",
                   cli_prog);
            cli_close_stdout();
            return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    int nin;
    const char **inputs = cli_inputs(argc, argv, optind, &nin);
    sparse_csr *m = cf_read(inputs, nin, NULL, 0);
    if (m->rows > 2147483647u) die("more than 2147483647 lines: too many for the columns of the transpose");
    size_t D = m->dim, R = m->rows;
    size_t *ptr = xcalloc(D + 1, sizeof *ptr);
    for (size_t e = 0; e < m->nnz; e++) ptr[m->col[e] + 1]++;
    for (size_t j = 0; j < D; j++) ptr[j + 1] += ptr[j];
    size_t *fill = xmallocarray(D ? D : 1, sizeof *fill);
    memcpy(fill, ptr, D * sizeof *fill);
    uint32_t *col = xmallocarray(m->nnz ? m->nnz : 1, sizeof *col);
    float *val = xmallocarray(m->nnz ? m->nnz : 1, sizeof *val);
    for (size_t i = 0; i < R; i++)
        for (size_t e = m->rowptr[i]; e < m->rowptr[i + 1]; e++) {
            size_t k = fill[m->col[e]]++;
            col[k] = (uint32_t)i;
            val[k] = m->val[e];
        }
    if (R && sparse_write_header(stdout, (uint32_t)R, NULL) != 0) die_stdout();
    for (size_t j = 0; j < D; j++)
        if (sparse_write_row(stdout, 0, 0, ptr[j + 1] - ptr[j], col + ptr[j], val + ptr[j], NULL) != 0) die_stdout();
    free(ptr);
    free(fill);
    free(col);
    free(val);
    sparse_csr_free(m);
    cli_close_stdout();
    return 0;
}
