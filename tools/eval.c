/* senti-eval - score rating predictions.  Reads `gold<TAB>prediction` lines
 * (extra tab-separated columns, such as class probabilities, are ignored;
 * gold '?' lines are counted but not scored) and prints RMSE, MAE, exact
 * accuracy (prediction rounded to the nearest class), polarity accuracy and
 * the confusion matrix, optionally with a bootstrap interval for the RMSE;
 * with --against, the paired difference from a second model's predictions
 * of the same gold ratings. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metrics.h"
#include "rng.h"

/* most rating classes shown in a confusion matrix */
#define EVAL_MAX_CLASSES 100

static void usage(const char *format, long bootstrap, double level, unsigned long long seed)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Score `gold<TAB>prediction` lines (files, or stdin when none or '-').\n"
           "\n"
           "  -f, --format F       text or tsv [%s]\n"
           "  -c, --classes LIST   rating classes for exact accuracy and the confusion\n"
           "                       matrix, e.g. 1,2,3,4,5 [the distinct gold ratings]\n"
           "  -t, --threshold T    polarity: rating > T is positive; gold ratings equal\n"
           "                       to T are left out [midpoint of the lowest and\n"
           "                       highest class]\n"
           "  -b, --bootstrap N    N-resample percentile bootstrap interval for the\n"
           "                       RMSE [%ld = none]\n"
           "  -l, --level L        confidence level of the interval [%g]\n"
           "  -s, --seed S         seed of the bootstrap resampling [%llu]\n"
           "  -a, --against FILE   predictions of a second model for the same gold\n"
           "                       lines: its RMSE and the difference (FILE's\n"
           "                       model subtracted), with a paired bootstrap\n"
           "                       interval when -b is given\n"
           "  -q, --quiet          no notes on stderr\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "The confusion matrix is shown for at most %d classes.\n",
           cli_prog, format, bootstrap, level, seed, EVAL_MAX_CLASSES);
}

/* Largest |rating| read: differences and their sums stay finite. */
#define EVAL_MAX_ABS 1e300

/* parse a number of magnitude at most EVAL_MAX_ABS occupying exactly
 * [s, end) */
static int parse_num(const char *s, const char *end, double *v)
{
    char tmp[64];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *e;
    *v = strtod(tmp, &e);
    return (e == tmp + n && fabs(*v) <= EVAL_MAX_ABS) ? 0 : -1;
}

/* x with 4 decimals for the text report ("%+" with plus): "%.4f" up to
 * 1e9, "%.4e" beyond, so that one wild prediction keeps lines short.  One
 * of 4 static buffers used in turn. */
static const char *fmt4(double x, int plus)
{
    static char bufs[4][48];
    static int next;
    char *b = bufs[next];
    next = (next + 1) & 3;
    if (fabs(x) < 1e9 || !isfinite(x)) snprintf(b, sizeof bufs[0], plus ? "%+.4f" : "%.4f", x);
    else snprintf(b, sizeof bufs[0], plus ? "%+.4e" : "%.4e", x);
    return b;
}

/* Scored predictions read so far: gold, prediction and line number. */
typedef struct {
    double *gold, *pred;
    long *line;
    size_t n, cap, unlabeled;
} preds;

/* Append the labeled `gold<TAB>prediction` lines of one input to P. */
static void read_preds(const char *file, preds *P)
{
    cli_lines in;
    cli_lines_open(&in, file);
    const char *name = in.name;
    char *line;
    size_t len;
    while (cli_lines_next(&in, &line, &len)) {
        long ln = in.ln;
        if (memchr(line, 0, len)) die_at(name, ln, "NUL byte in line");
        if (len && line[len - 1] == '\r') len--;
        line[len] = 0;
        if (line[0] == '#') continue;
        if (len == 0) die_at(name, ln, "empty line (expected gold<TAB>prediction)");
        char *tab = strchr(line, '\t');
        if (!tab) die_at(name, ln, "no tab (expected gold<TAB>prediction)");
        char *end2 = strchr(tab + 1, '\t');
        if (!end2) end2 = line + len;
        double p;
        if (parse_num(tab + 1, end2, &p) < 0)
            die_at(name, ln, "bad prediction '%s' (expected a number, |x| <= 1e300)", buf_excerpt(tab + 1, (size_t)(end2 - tab - 1), 30));
        if (tab - line == 1 && line[0] == '?') {
            P->unlabeled++;
            continue;
        }
        double g;
        if (parse_num(line, tab, &g) < 0)
            die_at(name, ln, "bad gold rating '%s' (expected a number, |x| <= 1e300)", buf_excerpt(line, (size_t)(tab - line), 30));
        if (P->n == P->cap) {
            P->cap = P->cap ? P->cap * 2 : 1024;
            P->gold = xreallocarray(P->gold, P->cap, sizeof *P->gold);
            P->pred = xreallocarray(P->pred, P->cap, sizeof *P->pred);
            P->line = xreallocarray(P->line, P->cap, sizeof *P->line);
        }
        P->gold[P->n] = g;
        P->pred[P->n] = p;
        P->line[P->n] = ln;
        P->n++;
    }
    cli_lines_close(&in);
}

int main(int argc, char **argv)
{
    cli_init("senti-eval");
    const char *format = "text";
    const char *classes_opt = NULL, *against = NULL;
    double threshold = NAN, level = 0.95;
    long bootstrap = 0;
    unsigned long long seed = 1;
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'},    {"classes", required_argument, 0, 'c'},
        {"threshold", required_argument, 0, 't'}, {"bootstrap", required_argument, 0, 'b'},
        {"level", required_argument, 0, 'l'},     {"seed", required_argument, 0, 's'},
        {"against", required_argument, 0, 'a'},   {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},            {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "f:c:t:b:l:s:a:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") && strcmp(optarg, "tsv")) die_usage("--format: '%s' is neither text nor tsv", optarg);
            format = optarg;
            break;
        case 'c': classes_opt = optarg; break;
        case 't': threshold = cli_parse_double("--threshold", optarg, -1e300, 1e300); break;
        case 'b': bootstrap = cli_parse_long("--bootstrap", optarg, 0, 100000000); break;
        case 'l': level = cli_parse_double("--level", optarg, 0.0, 1.0); break;
        case 's': seed = cli_parse_u64("--seed", optarg); break;
        case 'a': against = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(format, bootstrap, level, seed); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }

    /* classes given on the command line */
    double *classes = NULL;
    size_t k = 0;
    if (classes_opt) {
        const char *p = classes_opt;
        while (*p) {
            const char *q = p;
            while (*q && *q != ',') q++;
            double v;
            if (parse_num(p, q, &v) < 0) die_usage("--classes: bad class in '%s'", classes_opt);
            classes = xreallocarray(classes, k + 1, sizeof *classes);
            classes[k++] = v;
            p = *q ? q + 1 : q;
        }
        if (!k) die_usage("--classes: empty list");
        k = metrics_classes(classes, k, classes);
    }

    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);
    preds P = {0};
    for (int fi = 0; fi < nfiles; fi++) read_preds(files[fi], &P);
    double *gold = P.gold, *pred = P.pred;
    size_t n = P.n, unlabeled = P.unlabeled;
    if (!n)
        die("%s: no labeled predictions to score%s", nfiles == 1 ? cli_name(files[0]) : "the inputs",
            unlabeled ? " (all gold ratings are '?')" : "");

    /* the second model: the same gold ratings, line for line */
    preds A = {0};
    const char *aname = NULL;
    if (against) {
        read_preds(against, &A);
        aname = cli_name(against);
        for (size_t i = 0; i < n && i < A.n; i++)
            if (A.gold[i] != gold[i])
                die_at(aname, A.line[i], "gold rating %g where the inputs have %g (labeled line %zu)", A.gold[i],
                       gold[i], i + 1);
        if (A.n != n) die("%s: %zu labeled lines where the inputs have %zu", aname, A.n, n);
    }

    if (!classes) {
        classes = xmallocarray(n, sizeof *classes);
        k = metrics_classes(gold, n, classes);
    }
    if (isnan(threshold)) threshold = (classes[0] + classes[k - 1]) / 2;

    /* a confusion matrix only for a class-like number of ratings (gold
     * ratings may be continuous: averages, regression targets) */
    int show_conf = k <= EVAL_MAX_CLASSES;
    size_t *conf = xcalloc(show_conf ? k * k : 1, sizeof *conf);
    size_t exact = 0, pol_n = 0, pol_ok = 0;
    for (size_t i = 0; i < n; i++) {
        size_t gc = metrics_nearest(classes, k, gold[i]);
        size_t pc = metrics_nearest(classes, k, pred[i]);
        if (show_conf) conf[gc * k + pc]++;
        exact += gold[i] == classes[pc];
        if (gold[i] != threshold) {
            pol_n++;
            pol_ok += (gold[i] > threshold) == (pred[i] > threshold);
        }
    }
    double rmse = metrics_rmse(gold, pred, n), mae = metrics_mae(gold, pred, n);
    double lo = 0, hi = 0;
    if (bootstrap) {
        rng_t g;
        rng_seed(&g, seed, 0);
        if (metrics_bootstrap_rmse(gold, pred, NULL, n, (size_t)bootstrap, level, &g, &lo, &hi) < 0)
            die("out of memory");
    }
    double armse = 0, dlo = 0, dhi = 0;
    if (against) {
        armse = metrics_rmse(gold, A.pred, n);
        if (bootstrap) {
            rng_t g;
            rng_seed(&g, seed, 1);
            if (metrics_bootstrap_rmse(gold, pred, A.pred, n, (size_t)bootstrap, level, &g, &dlo, &dhi) < 0)
                die("out of memory");
        }
    }
    double acc = (double)exact / (double)n, pacc = pol_n ? (double)pol_ok / (double)pol_n : NAN;

    if (strcmp(format, "tsv") == 0) {
        printf("count\t%zu\n", n);
        printf("unlabeled\t%zu\n", unlabeled);
        printf("rmse\t%.6f\n", rmse);
        if (bootstrap) {
            printf("rmse_lo\t%.6f\n", lo);
            printf("rmse_hi\t%.6f\n", hi);
        }
        if (against) {
            printf("against_rmse\t%.6f\n", armse);
            printf("rmse_diff\t%.6f\n", rmse - armse);
            if (bootstrap) {
                printf("rmse_diff_lo\t%.6f\n", dlo);
                printf("rmse_diff_hi\t%.6f\n", dhi);
            }
        }
        printf("mae\t%.6f\n", mae);
        printf("accuracy\t%.6f\n", acc);
        printf("polarity_accuracy\t%.6f\n", pacc);
        printf("threshold\t%g\n", threshold);
        for (size_t a = 0; show_conf && a < k; a++)
            for (size_t b = 0; b < k; b++) printf("confusion\t%g\t%g\t%zu\n", classes[a], classes[b], conf[a * k + b]);
    } else {
        printf("count              %zu", n);
        if (unlabeled) printf("  (%zu unlabeled lines not scored)", unlabeled);
        printf("\nrmse               %s", fmt4(rmse, 0));
        if (bootstrap) printf("  [%s, %s] %g%% bootstrap, %ld resamples", fmt4(lo, 0), fmt4(hi, 0), 100 * level, bootstrap);
        if (against) {
            printf("\nagainst            %s  (rmse of %s)", fmt4(armse, 0), aname);
            printf("\nrmse difference    %s  (minus that of %s)", fmt4(rmse - armse, 1), aname);
            if (bootstrap) printf("  [%s, %s] %g%% paired bootstrap", fmt4(dlo, 1), fmt4(dhi, 1), 100 * level);
        }
        printf("\nmae                %s\n", fmt4(mae, 0));
        printf("accuracy           %.4f  (prediction rounded to the nearest class)\n", acc);
        printf("polarity accuracy  %.4f  (positive above %g; %zu scored)\n", pacc, threshold, pol_n);
        if (!show_conf) {
            printf("confusion          not shown: %zu classes (more than %d; give --classes)\n", k,
                   EVAL_MAX_CLASSES);
        } else {
            printf("confusion (rows: gold, columns: predicted class)\n%8s", "");
            for (size_t b = 0; b < k; b++) printf(" %7g", classes[b]);
            putchar('\n');
            for (size_t a = 0; a < k; a++) {
                printf("%8g", classes[a]);
                for (size_t b = 0; b < k; b++) printf(" %7zu", conf[a * k + b]);
                putchar('\n');
            }
        }
    }
    free(conf);
    free(classes);
    free(gold);
    free(pred);
    free(P.line);
    free(A.gold);
    free(A.pred);
    free(A.line);
    cli_close_stdout();
    return 0;
}
