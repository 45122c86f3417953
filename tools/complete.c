/* senti-complete - rating-matrix completion with an autoencoder (Strub &
 * Mary 2015; docs/cf.md): each training line (an item's known ratings, or
 * a user's) is normalised as senti-center did for training (lib/cf), fed
 * through a layer model (senti-pretrain) or a stack model (senti-pretrain
 * --stack), and the reconstruction is read off at the line's held-out
 * columns, denormalised and clipped to the scale.  Writes
 * `gold<TAB>prediction` for every held-out entry, in order, for
 * senti-eval.
 *
 * Entries the network cannot predict fall back to means: a line without
 * training ratings gets the global mean rating; a column that no training
 * line has (its output unit never trained) gets the line's mean rating.
 * Both are counted on stderr. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"
#include "cli.h"
#include "dae.h"
#include "kern.h"
#include "model.h"
#include "sparse.h"
#include "stack.h"

#define ROWS 256

static struct {
    const char *model;
    long threads;
    int center, scale_given;
    cf_scale scale;
} opt = {.threads = 1, .center = 1};

static void usage(void)
{
    printf("Usage: %s -m MODEL -S MIN,MAX [OPTION]... TRAIN HELDOUT\n"
           "Predict the held-out ratings of a rating matrix: TRAIN holds the known\n"
           "ratings as sparse lines (one per item or user, as the model was trained\n"
           "on them before senti-center), HELDOUT the same lines with the entries to\n"
           "predict and their gold ratings (senti-holdout).  Writes one line\n"
           "`gold<TAB>prediction` per held-out entry, for senti-eval.\n"
           "\n"
           "  -m, --model FILE     layer or stack model from senti-pretrain [required]\n"
           "  -S, --scale MIN,MAX  the rating scale (required; as given to\n"
           "                       senti-center)\n"
           "  -M, --no-mean        the model was trained without removing the line\n"
           "                       means (senti-center --no-mean) [means removed]\n"
           "  -t, --threads N      threads [%ld]\n"
           "  -q, --quiet          no notes on stderr\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Predictions are clipped to the scale.  A line without training ratings\n"
           "is predicted by the global mean, a column absent from every training\n"
           "line by the line's mean; stderr counts both.\n",
           cli_prog, opt.threads);
}

/* The model as a stack (a layer is a stack of one). */
static stack *load(const char *path)
{
    char err[MODEL_ERR_LEN];
    cli_input_add(path);
    model *m = model_load(path, 0, err, sizeof err);
    if (!m) die("%s", err);
    stack *s = NULL;
    if (m->kind == MODEL_KIND_STACK) {
        s = stack_from_model(m, err, sizeof err);
        model_free(m);
        if (!s) die("%s: %s", cli_name(path), err);
    } else if (m->kind == MODEL_KIND_LAYER) {
        dae *d = dae_from_model(m, err, sizeof err);
        if (!d) die("%s: %s", cli_name(path), err);
        s = stack_new(&d, 1, &d->cfg, err, sizeof err);
        if (!s) die("%s: %s", cli_name(path), err);
        dae_free(d);
    } else {
        die("%s: a %s model, not a layer or stack model", cli_name(path), model_kind_name(m->kind));
    }
    return s;
}

int main(int argc, char **argv)
{
    cli_init("senti-complete");
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"scale", required_argument, 0, 'S'},
        {"no-mean", no_argument, 0, 'M'},     {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},     {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:S:Mt:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'm': opt.model = optarg; break;
        case 'S':
            if (cf_scale_parse(optarg, &opt.scale) != 0)
                die_usage("--scale: '%s' is not MIN,MAX with MIN < MAX", optarg);
            opt.scale_given = 1;
            break;
        case 'M': opt.center = 0; break;
        case 't': opt.threads = cli_parse_long("--threads", optarg, 1, 64); break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!opt.model) die_usage("no model: give -m FILE");
    if (!opt.scale_given) die_usage("give the rating scale: --scale MIN,MAX");
    if (argc - optind != 2) die_usage("give the training lines and the held-out lines: TRAIN HELDOUT");
    const char *tpath = argv[optind], *hpath = argv[optind + 1];
    kern_threads((int)opt.threads);
    stack *s = load(opt.model);
    const dae *l1 = s->layer[0];
    uint32_t V = l1->cfg.in_dim;
    int recon = s->cfg.recon;

    sparse_csr *tr = cf_read(&tpath, 1, &opt.scale, 0);
    sparse_csr *ho = cf_read(&hpath, 1, &opt.scale, 0);
    if (tr->rows != ho->rows)
        die("%s has %zu lines, %s %zu: the held-out file must have one line per training line", cli_name(tpath),
            tr->rows, cli_name(hpath), ho->rows);
    if (tr->dim > V || ho->dim > V)
        die("%s: index %u above the model's input dimension %u", cli_name(tr->dim > V ? tpath : hpath),
            tr->dim > V ? tr->dim : ho->dim, V);

    /* raw means for the fallbacks, then the normalisation of training */
    size_t R = tr->rows;
    double *rowmean = xmallocarray(R ? R : 1, sizeof *rowmean), gsum = 0;
    for (size_t i = 0; i < R; i++) {
        double sum = 0;
        for (size_t e = tr->rowptr[i]; e < tr->rowptr[i + 1]; e++) sum += tr->val[e];
        gsum += sum;
        size_t n = tr->rowptr[i + 1] - tr->rowptr[i];
        rowmean[i] = n ? sum / (double)n : 0;
    }
    double gmean = tr->nnz ? gsum / (double)tr->nnz : (opt.scale.lo + opt.scale.hi) / 2;
    unsigned char *seen = xcalloc(V ? V : 1, 1);
    for (size_t e = 0; e < tr->nnz; e++) seen[tr->col[e]] = 1;
    double *mean = xmallocarray(R ? R : 1, sizeof *mean);
    cf_normalize(tr, &opt.scale, opt.center, mean);

    stack_ws *w = stack_ws_new(s, ROWS);
    float *out = NULL;
    size_t outcap = 0, nrow_fb = 0, ncol_fb = 0, npred = 0;
    for (size_t i0 = 0; i0 < R; i0 += ROWS) {
        size_t n = R - i0 < ROWS ? R - i0 : ROWS;
        size_t need = ho->rowptr[i0 + n] - ho->rowptr[i0];
        if (need > outcap) {
            outcap = need;
            out = xreallocarray(out, outcap, sizeof *out);
        }
        if (!w || stack_predict(s, w, n, tr->rowptr + i0, tr->col, tr->val, ho->rowptr + i0, ho->col, out) != 0)
            die("out of memory");
        for (size_t i = i0; i < i0 + n; i++) {
            int empty = tr->rowptr[i + 1] == tr->rowptr[i];
            for (size_t e = ho->rowptr[i]; e < ho->rowptr[i + 1]; e++) {
                double p;
                uint32_t j = ho->col[e];
                if (empty) p = gmean, nrow_fb++;
                else if (!seen[j]) p = rowmean[i], ncol_fb++;
                else p = cf_denorm(&opt.scale, (double)dae_recon_out(recon, out[e - ho->rowptr[i0]]) + mean[i]);
                char g[32];
                sparse_format_float(g, ho->val[e]);
                if (printf("%s\t%.9g\n", g, p) < 0) die_stdout();
                npred++;
            }
        }
    }
    note("%zu held-out ratings: %zu by the model, %zu of lines without training ratings (global mean), %zu of "
         "columns unseen in training (line mean)",
         npred, npred - nrow_fb - ncol_fb, nrow_fb, ncol_fb);
    free(out);
    free(rowmean);
    free(mean);
    free(seen);
    stack_ws_free(w);
    stack_free(s);
    sparse_csr_free(tr);
    sparse_csr_free(ho);
    cli_close_stdout();
    return 0;
}
