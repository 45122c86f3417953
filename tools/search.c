/* senti-search - k nearest neighbours by Hamming distance among binary
 * codes (senti-encode --bits; semantic hashing, Salakhutdinov & Hinton
 * 2007).  The index is a codes file held in memory; each query line (a
 * codes file, or stdin) is answered as soon as it is read: one line per
 * neighbour, "query<TAB>row<TAB>distance<TAB>label", nearest first, ties
 * by row.  --method scan compares every row, mih uses multi-index hashing
 * (Norouzi et al. 2012: the code cut into m substrings, one sorted table
 * per substring, probed at growing radii); both give the same output
 * (lib/hash, docs/hash.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "hash.h"
#include "opts.h"

enum { M_AUTO, M_SCAN, M_MIH };
static const char *const method_names[] = {"auto", "scan", "mih"};

static struct {
    const char *index;
    long k, substrings, batch;
    int method, line_buffered;
} opt = {.k = 10, .batch = HASH_SCAN_QUERIES};

static int parse_method(const char *s, void *v)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, method_names[i]) == 0) return *(int *)v = i, 0;
    return -1;
}
static void show_method(buf_t *b, const void *v) { buf_puts(b, method_names[*(const int *)v]); }

/* CPU seconds of this thread: the search time, free of the waits of a
 * busy machine */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The queries read and not yet answered, and what answering needs. */
static struct {
    hash_index *x;
    int method, flush;
    size_t room, batch, nb;  /* neighbours per query, queries per pass, waiting */
    uint64_t *qcode;         /* batch codes */
    hash_hit *hits;          /* batch * room */
    const char *labels;      /* the index rows' labels, at lab_at[row] */
    const size_t *lab_at;
    long qn;                 /* queries answered */
    double spent;            /* CPU seconds searching */
} sq;

/* Search the waiting queries (one pass of the scan for them all) and
 * write their answers in order. */
static void answer(void)
{
    if (!sq.nb) return;
    double t0 = cpu_seconds();
    size_t nh = sq.method == M_MIH ? hash_knn_mih(sq.x, sq.qcode, sq.room, sq.hits)
                                   : hash_knn_scan_many(sq.x, sq.qcode, sq.nb, sq.room, sq.hits);
    sq.spent += cpu_seconds() - t0;
    for (size_t b = 0; b < sq.nb; b++) {
        sq.qn++;
        for (size_t h = 0; h < nh; h++) {
            const hash_hit *e = &sq.hits[b * sq.room + h];
            if (printf("%ld\t%u\t%u\t%s\n", sq.qn, e->row + 1, e->dist, sq.labels + sq.lab_at[e->row]) < 0)
                die_stdout();
        }
    }
    sq.nb = 0;
    if (sq.flush && fflush(stdout) == EOF) die_stdout();
}

/* auto is the scan: multi-index hashing was the slower on every index
 * measured (docs/hash.md: 6400 and 75000 rows of trained codes, 200000 and
 * 1000000 rows of uniform random codes) */

static const opt_def defs[] = {
    {.name = "index", .key = 'i', .kind = OPT_TEXT, .var = &opt.index, .meta = "FILE", .help = "codes file of the corpus to search ('-' = stdin)", .dflt = "required"},
    {.name = "neighbours", .key = 'k', .kind = OPT_LONG, .var = &opt.k, .meta = "N", .help = "neighbours per query (fewer when the index is smaller)", .lo = 1, .hi = 1000000},
    {.name = "method", .kind = OPT_CALL, .var = &opt.method, .meta = "NAME", .help = "scan (every row), mih (multi-index hashing) or auto\n(the scan: the faster on every index measured)", .parse = parse_method, .show = show_method, .want = "scan, mih or auto"},
    {.name = "substrings", .key = 'm', .kind = OPT_LONG, .var = &opt.substrings, .meta = "M", .help = "mih: substrings of the code (0: about log2(rows) bits\neach)", .lo = 0, .hi = 128},
    {.name = "batch", .key = 'b', .kind = OPT_LONG, .var = &opt.batch, .meta = "N", .help = "scan: queries read before one pass over the index\nanswers them all (1 with --line-buffered)", .lo = 1, .hi = HASH_SCAN_QUERIES},
    {.name = "line-buffered", .kind = OPT_FLAG, .var = &opt.line_buffered, .help = "answer and flush each query as soon as it is read\n(always on a terminal)"},
};

static const opt_prog prog = {
    "-i INDEX [OPTION]... [QUERIES]...",
    "Find, for each query code (files, or stdin when none or '-'), its k nearest\n"
    "rows of INDEX by Hamming distance; both are codes files from\n"
    "senti-encode --bits with the same bits, model and thresholds.  Writes per\n"
    "neighbour "
    "\"query<TAB>row<TAB>distance<TAB>label\": the query's and the row's data line\n"
    "numbers (from 1; queries counted across the files), nearest first, ties\n"
    "by row.\n",
    "Every method gives the same output.  A note on stderr gives the search time\n"
    "(CPU time of the searches alone) unless -q.\n",
    defs,
    (int)(sizeof defs / sizeof defs[0]),
};

int main(int argc, char **argv)
{
    cli_init("senti-search");
    int first = opts_parse(&prog, argc, argv);
    if (!opt.index) die_usage("no index: give -i FILE (codes from senti-encode --bits)");
    int nq;
    const char **queries = cli_inputs(argc, argv, first, &nq);

    /* the index */
    FILE *f = xfopen(opt.index, "r");
    hash_reader *r = hash_reader_new(f, cli_name(opt.index));
    if (!r) die("out of memory");
    hash_index *x = NULL;
    buf_t labels = {0};
    size_t *lab_at = NULL, lab_cap = 0;
    const uint64_t *code;
    const char *label, *comment;
    int got;
    while ((got = hash_reader_next(r, &code, &label, &comment)) == 1) {
        if (!x && !(x = hash_index_new(hash_reader_bits(r)))) die("out of memory");
        if (x->n == lab_cap) {
            lab_cap = lab_cap ? 2 * lab_cap : 1024;
            lab_at = xreallocarray(lab_at, lab_cap, sizeof *lab_at);
        }
        lab_at[x->n] = labels.len;
        if (buf_add(&labels, label, strlen(label) + 1) < 0) die("out of memory");
        if (hash_index_add(x, code) < 0) die("out of memory");
    }
    if (got < 0) die("%s", hash_reader_error(r));
    if (!hash_reader_bits(r)) die("%s: no '# senti codes' header: an empty index", cli_name(opt.index));
    uint32_t bits = hash_reader_bits(r);
    char model[17], thresh[17];
    strcpy(model, hash_reader_model(r));
    strcpy(thresh, hash_reader_thresh(r));
    if (!x && !(x = hash_index_new(bits))) die("out of memory");
    hash_reader_free(r);
    xfclose(f, opt.index);

    int method = opt.method;
    if (method == M_AUTO) method = M_SCAN;
    if (method == M_MIH && hash_index_build_mih(x, (int)opt.substrings) < 0) die("out of memory");
    int flush = opt.line_buffered || isatty(STDOUT_FILENO);

    size_t k = (size_t)opt.k;
    sq.x = x;
    sq.method = method;
    sq.room = k < x->n ? k : x->n;
    sq.batch = flush || method == M_MIH ? 1 : (size_t)opt.batch;
    sq.flush = flush;
    sq.hits = xmallocarray(sq.batch * (sq.room ? sq.room : 1), sizeof *sq.hits);
    sq.qcode = xmallocarray(sq.batch * x->words, sizeof *sq.qcode);
    sq.labels = labels.p;
    sq.lab_at = lab_at;
    for (int i = 0; i < nq; i++) {
        FILE *qf = xfopen(queries[i], "r");
        hash_reader *q = hash_reader_new(qf, cli_name(queries[i]));
        if (!q) die("out of memory");
        hash_reader_expect(q, bits, model, "the index");
        hash_reader_expect_thresh(q, thresh);
        while ((got = hash_reader_next(q, &code, &label, &comment)) == 1) {
            memcpy(sq.qcode + sq.nb++ * x->words, code, x->words * sizeof *code);
            if (sq.nb == sq.batch) answer();
        }
        if (got < 0) {
            answer(); /* the queries before the bad line */
            fflush(stdout);
            die("%s", hash_reader_error(q));
        }
        hash_reader_free(q);
        xfclose(qf, queries[i]);
    }
    answer();
    long qn = sq.qn;
    double spent = sq.spent;
    if (qn)
        note("%ld queries of %zu rows of %u bits, %zu neighbours each, by %s: %.6g s searching (CPU time; %.0f queries/s)",
             qn, x->n, bits, sq.room, method == M_MIH ? "mih" : "scan", spent, spent > 0 ? (double)qn / spent : 0.0);
    free(sq.hits);
    free(sq.qcode);
    free(lab_at);
    buf_free(&labels);
    hash_index_free(x);
    cli_close_stdout();
    return 0;
}
