/* senti-split - deterministic k-fold and ratio splits of any line stream.
 *
 * Data lines are numbered in input order and shuffled with the seeded
 * generator; the line at position p of the shuffled order falls in fold
 * p mod K (with --stratify, each label's lines are shuffled separately and
 * dealt out in turn, so every fold keeps the label proportions).  Every part
 * keeps the input order of its lines.  For any K and seed the test parts of
 * folds 1..K together hold every data line exactly once.  Lines starting
 * with '#' (headers, comments) are copied into every part.
 *
 * With --groups FILE, line i of FILE names the group of data line i (say,
 * the product or movie a review is of) and whole groups are dealt out
 * instead of lines: the distinct keys, in sorted order, are shuffled; for
 * k folds each group goes to the fold with the fewest lines so far (the
 * lowest such fold on ties), for a ratio split groups go to train while
 * train holds fewer than the wanted number of lines. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rng.h"

typedef struct {
    size_t off, len; /* line bytes in the arena, without '\n' */
    int comment;
} line_t;

typedef struct {
    char *arena;
    size_t used, cap;
    line_t *lines;
    size_t n, ncap;
    size_t ndata;
} store_t;

static store_t in, grp; /* the input; the --groups keys */

static void add_line(store_t *st, const char *s, size_t len, int comment)
{
    if (st->used + len > st->cap) {
        size_t cap = st->cap ? st->cap : (1 << 20);
        while (cap < st->used + len) cap *= 2;
        st->arena = xrealloc(st->arena, cap);
        st->cap = cap;
    }
    memcpy(st->arena + st->used, s, len);
    if (st->n == st->ncap) {
        st->ncap = st->ncap ? st->ncap * 2 : 4096;
        st->lines = xreallocarray(st->lines, st->ncap, sizeof *st->lines);
    }
    st->lines[st->n].off = st->used;
    st->lines[st->n].len = len;
    st->lines[st->n].comment = comment;
    st->ndata += !comment;
    st->n++;
    st->used += len;
}

/* byte order, a prefix first */
static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c) return c;
    return (la > lb) - (la < lb);
}

/* group keys i and j (lines of grp) */
static int key_cmp(size_t i, size_t j)
{
    const line_t *a = &grp.lines[i], *b = &grp.lines[j];
    return cmp_bytes(grp.arena + a->off, a->len, grp.arena + b->off, b->len);
}

static int cmp_key(const void *x, const void *y)
{
    return key_cmp(*(const size_t *)x, *(const size_t *)y);
}

/* Deals whole groups out: is_test[] for every input line, from the group
 * keys in grp (one per data line of in, in order). */
static void split_groups(unsigned char *is_test, rng_t *g, long folds, long fold, double ratio)
{
    size_t nd = grp.n;
    size_t *byk = xmallocarray(nd ? nd : 1, sizeof *byk);   /* key lines, sorted by key */
    size_t *gid = xmallocarray(nd ? nd : 1, sizeof *gid);   /* group of key line i */
    for (size_t i = 0; i < nd; i++) byk[i] = i;
    qsort(byk, nd, sizeof *byk, cmp_key);
    size_t ng = 0, *gsize = xcalloc(nd ? nd : 1, sizeof *gsize);
    for (size_t i = 0; i < nd; i++) {
        if (i && key_cmp(byk[i - 1], byk[i])) ng++;
        gid[byk[i]] = ng;
        gsize[ng]++;
    }
    ng += nd > 0;
    size_t *gorder = xmallocarray(ng ? ng : 1, sizeof *gorder);
    for (size_t i = 0; i < ng; i++) gorder[i] = i;
    rng_shuffle_size(g, gorder, ng);
    unsigned char *gtest = xcalloc(ng ? ng : 1, 1);
    if (ratio >= 0) {
        size_t want = (size_t)((double)nd * ratio + 0.5), ntrain = 0;
        for (size_t i = 0; i < ng; i++) {
            size_t k = gorder[i];
            gtest[k] = ntrain >= want;
            if (!gtest[k]) ntrain += gsize[k];
        }
    } else {
        size_t *fsize = xcalloc((size_t)folds, sizeof *fsize);
        for (size_t i = 0; i < ng; i++) {
            size_t k = gorder[i], f = 0;
            for (size_t j = 1; j < (size_t)folds; j++)
                if (fsize[j] < fsize[f]) f = j;
            fsize[f] += gsize[k];
            gtest[k] = f == (size_t)(fold - 1);
        }
        free(fsize);
    }
    for (size_t i = 0, d = 0; i < in.n; i++)
        if (!in.lines[i].comment) is_test[i] = gtest[gid[d++]];
    free(byk);
    free(gid);
    free(gsize);
    free(gorder);
    free(gtest);
}

/* label = first field (up to a space or tab) */
static size_t label_len(const line_t *l)
{
    const char *s = in.arena + l->off;
    size_t k = 0;
    while (k < l->len && s[k] != ' ' && s[k] != '\t' && s[k] != '\r') k++;
    return k;
}

static int cmp_label(const line_t *a, const line_t *b)
{
    return cmp_bytes(in.arena + a->off, label_len(a), in.arena + b->off, label_len(b));
}

static const line_t *sort_base;
static int cmp_idx(const void *x, const void *y)
{
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = cmp_label(&sort_base[i], &sort_base[j]);
    if (c) return c;
    return (i > j) - (i < j);
}

/* options, with their defaults */
static struct {
    long folds, fold;
    double ratio;        /* < 0: k-fold split */
    int stratify;
    const char *part;
    const char *train, *test, *groups;
    unsigned long long seed;
    int folds_given, fold_given;
} opt = {.folds = 10, .fold = 1, .ratio = -1, .part = "test", .seed = 1};

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Split a line stream (files, or stdin when none or '-') into train and\n"
           "test parts, deterministically for a given seed.  Lines keep their input\n"
           "order; lines starting with '#' are copied into every part.\n"
           "\n"
           "  -k, --folds K     k-fold split into K folds [%ld]\n"
           "  -f, --fold I      the fold that forms the test part, 1..K [%ld]\n"
           "  -p, --part P      part written to stdout: train or test [%s]\n"
           "  -r, --ratio R     ratio split instead: fraction R of lines go to train\n"
           "                    (not with -k or -f)\n"
           "  -S, --stratify    keep the label proportions (label = first field)\n"
           "  -g, --groups FILE line i of FILE is the group of data line i; lines of\n"
           "                    one group fall in the same part (no --stratify)\n"
           "  -s, --seed S      seed of the shuffle [%llu]\n"
           "      --train FILE  write the train part to FILE (then stdout gets nothing)\n"
           "      --test FILE   write the test part to FILE (then stdout gets nothing)\n"
           "  -q, --quiet       no notes on stderr\n"
           "  -h, --help        show this help and exit\n"
           "  -V, --version     show the version and exit\n"
           "\n"
           "The whole input is held in memory.  For every K and seed, the test parts\n"
           "of folds 1..K together contain each data line exactly once.  With\n"
           "--groups, folds are balanced in lines group by group and a ratio split\n"
           "stops adding groups to train once it holds fraction R of the lines.\n"
           "--train and --test are replaced together: after an interruption both\n"
           "are the old files or both the new ones.\n",
           cli_prog, opt.folds, opt.fold, opt.part, opt.seed);
}

int main(int argc, char **argv)
{
    cli_init("senti-split");
    static const struct option opts[] = {
        {"folds", required_argument, 0, 'k'}, {"fold", required_argument, 0, 'f'},
        {"part", required_argument, 0, 'p'},  {"ratio", required_argument, 0, 'r'},
        {"stratify", no_argument, 0, 'S'},    {"seed", required_argument, 0, 's'},
        {"groups", required_argument, 0, 'g'},
        {"train", required_argument, 0, 'T'}, {"test", required_argument, 0, 'E'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},     {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "k:f:p:r:Sg:s:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            opt.folds = cli_parse_long("--folds", optarg, 2, 1000000);
            opt.folds_given = 1;
            break;
        case 'f':
            opt.fold = cli_parse_long("--fold", optarg, 1, 1000000);
            opt.fold_given = 1;
            break;
        case 'p':
            if (strcmp(optarg, "train") && strcmp(optarg, "test"))
                die_usage("--part: '%s' is neither train nor test", optarg);
            opt.part = optarg;
            break;
        case 'r': opt.ratio = cli_parse_double("--ratio", optarg, 0.0, 1.0); break;
        case 'S': opt.stratify = 1; break;
        case 'g': opt.groups = optarg; break;
        case 's': opt.seed = cli_parse_u64("--seed", optarg); break;
        case 'T': opt.train = optarg; break;
        case 'E': opt.test = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (opt.ratio >= 0 && (opt.folds_given || opt.fold_given))
        die_usage("--ratio and --%s exclude each other", opt.folds_given ? "folds" : "fold");
    if (opt.ratio < 0 && opt.fold > opt.folds) die_usage("--fold %ld is above --folds %ld", opt.fold, opt.folds);
    if (opt.stratify && opt.groups) die_usage("--stratify and --groups do not go together");
    long folds = opt.folds, fold = opt.fold;
    double ratio = opt.ratio;
    const char *groups_path = opt.groups;

    /* the outputs first: a path that cannot be written, or that is an
     * input, fails before the input is read */
    cli_out *out[2] = {opt.train ? cli_out_open(opt.train) : NULL, opt.test ? cli_out_open(opt.test) : NULL};
    cli_out *out_train = out[0], *out_test = out[1];

    int nfiles;
    const char **files = cli_inputs(argc, argv, optind, &nfiles);
    for (int i = 0; i < nfiles; i++) {
        cli_lines rd;
        cli_lines_open(&rd, files[i]);
        char *line;
        size_t len;
        while (cli_lines_next(&rd, &line, &len)) add_line(&in, line, len, len > 0 && line[0] == '#');
        cli_lines_close(&rd);
    }
    if (groups_path) {
        cli_lines rd;
        cli_lines_open(&rd, groups_path);
        char *line;
        size_t len;
        while (cli_lines_next(&rd, &line, &len)) {
            if (grp.n == in.ndata)
                die_at(rd.name, rd.ln, "more group lines than the %zu data lines of the input", in.ndata);
            add_line(&grp, line, len, 0);
        }
        if (grp.n < in.ndata)
            die("%s: %zu group lines for %zu data lines of the input", rd.name, grp.n, in.ndata);
        cli_lines_close(&rd);
    }

    /* data line numbers, grouped by label when stratifying */
    size_t *order = xmallocarray(in.ndata ? in.ndata : 1, sizeof *order);
    size_t nd = 0;
    for (size_t i = 0; i < in.n; i++)
        if (!in.lines[i].comment) order[nd++] = i;
    rng_t g;
    rng_seed(&g, opt.seed, 0);
    /* is_test[i] for every line i */
    unsigned char *is_test = xcalloc(in.n ? in.n : 1, 1);
    size_t a = 0, counter = 0;
    if (opt.stratify) {
        sort_base = in.lines;
        qsort(order, nd, sizeof *order, cmp_idx);
    }
    if (groups_path) {
        split_groups(is_test, &g, folds, fold, ratio);
        a = nd;
    }
    while (a < nd) {
        size_t b = a + 1;
        if (opt.stratify)
            while (b < nd && cmp_label(&in.lines[order[a]], &in.lines[order[b]]) == 0) b++;
        else
            b = nd;
        rng_shuffle_size(&g, order + a, b - a);
        size_t ntrain = ratio >= 0 ? (size_t)((double)(b - a) * ratio + 0.5) : 0;
        for (size_t p = a; p < b; p++) {
            if (ratio >= 0) is_test[order[p]] = (p - a) >= ntrain;
            else is_test[order[p]] = (counter++ % (size_t)folds) == (size_t)(fold - 1);
        }
        a = b;
    }

    FILE *to_stdout = (out_train || out_test) ? NULL : stdout;
    int want_test = strcmp(opt.part, "test") == 0;
    size_t ntest = 0;
    for (size_t i = 0; i < in.n; i++) {
        const line_t *l = &in.lines[i];
        const char *s = in.arena + l->off;
        int t = is_test[i];
        ntest += !l->comment && t;
        if (out_train && (l->comment || !t)) {
            fwrite(s, 1, l->len, out_train->f);
            putc('\n', out_train->f);
        }
        if (out_test && (l->comment || t)) {
            fwrite(s, 1, l->len, out_test->f);
            putc('\n', out_test->f);
        }
        if (to_stdout && (l->comment || t == want_test)) {
            fwrite(s, 1, l->len, to_stdout);
            putc('\n', to_stdout);
        }
    }
    cli_out_commit_all(out, 2);
    if (cli_progress_enabled()) note("%zu data lines: %zu train, %zu test", in.ndata, in.ndata - ntest, ntest);
    free(order);
    free(is_test);
    free(in.arena);
    free(in.lines);
    free(grp.arena);
    free(grp.lines);
    cli_close_stdout();
    return 0;
}
