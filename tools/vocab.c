/* senti-vocab - count terms: token lines (rating<TAB>tok tok ...) in,
 * term<TAB>df<TAB>cf lines out, by decreasing document frequency, ties by
 * term bytewise.  --merge sums vocabulary files from shards instead.
 * Counting is exact; the in-memory table is bounded by --memory and spills
 * sorted runs to a temporary file (lib/vocab.c, docs/text.md).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"
#include "vocab.h"

static const char *default_memory = "1G";

static void usage(uint64_t k, uint64_t min_df, int merge, const char *mem)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Count the terms of token lines (rating<TAB>tok tok ...; FILE or standard\n"
           "input) and write term<TAB>df<TAB>cf lines, by decreasing document\n"
           "frequency df (ties by term, bytewise); cf counts all occurrences.\n"
           "\n"
           "  -k, --top=K          keep the K best terms, 0 = all [%llu]\n"
           "  -d, --min-df=N       keep terms in at least N documents [%llu]\n"
           "  -M, --merge          inputs are vocabulary files (unlimited, e.g. shards\n"
           "                       counted with -k 0): sum their df and cf [%s]\n"
           "  -m, --memory=SIZE    bound on the in-memory table (suffix K, M, G);\n"
           "                       beyond it sorted runs go to a temporary file [%s]\n"
           "  -T, --tmpdir=DIR     directory for that file [$TMPDIR or /tmp]\n"
           "  -q, --quiet          no progress or notes\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Lines starting with '#' are skipped.  The digest of a vocabulary is\n"
           "FNV-1a 64 over its terms in rank order, each followed by a newline.\n",
           cli_prog, (unsigned long long)k, (unsigned long long)min_df, merge ? "on" : "off", mem);
}

static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *s == '-') die_usage("--memory: '%s' is not a size", s);
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1ULL << 10, end++;
    else if (*end == 'M' || *end == 'm') mul = 1ULL << 20, end++;
    else if (*end == 'G' || *end == 'g') mul = 1ULL << 30, end++;
    if (*end) die_usage("--memory: '%s' is not a size", s);
    if (v > SIZE_MAX / mul) die_usage("--memory: '%s' is too large", s);
    return (size_t)(v * mul);
}

static int emit(void *arg, const char *term, size_t n, uint64_t df, uint64_t cf)
{
    uint64_t *h = arg;
    *h = vocab_digest_add(*h, term, n);
    fwrite(term, 1, n, stdout);
    printf("\t%llu\t%llu\n", (unsigned long long)df, (unsigned long long)cf);
    return 0;
}

/* A slip: raw text where tokens were expected.  senti-tokenize folds case
 * and cuts punctuation off words, so an ASCII upper-case letter, or a word
 * with ',' '.' ';' ':' after it, in the first lines means that step was
 * skipped (or run with --no-fold or a pattern of one's own): said once,
 * in a note. */
static int raw_noted;
static void note_raw_text(const char *name, long ln, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while (p < end && !raw_noted) {
        const char *e = memchr(p, ' ', (size_t)(end - p));
        if (!e) e = end;
        int upper = 0, punct = e - p > 1 && strchr(",.;:", e[-1]) && e[-2] >= 'a' && e[-2] <= 'z';
        for (const char *q = p; q < e; q++) upper |= *q >= 'A' && *q <= 'Z';
        if (upper || punct) {
            note("%s:%ld: token '%s' has %s: untokenized text? (run senti-tokenize first; it folds case and cuts "
                 "punctuation off)",
                 name, ln, buf_excerpt(p, (size_t)(e - p), 40), upper ? "upper-case letters" : "punctuation");
            raw_noted = 1;
        }
        p = e + 1;
    }
}

static void count_file(vocab_counter *c, const char *path, int merge, unsigned long long *docs)
{
    cli_lines in;
    cli_lines_open(&in, path);
    const char *name = in.name;
    if (merge) { /* term<TAB>df<TAB>cf lines of earlier runs */
        char *line;
        size_t n;
        while (cli_lines_next(&in, &line, &n)) {
            size_t tl;
            uint64_t df, cf;
            const char *why;
            if (vocab_parse_line(line, n, &tl, &df, &cf, &why) < 0) die_at(name, in.ln, "%s", why);
            if (vocab_counter_add(c, line, tl, df, cf) < 0) die_at(name, in.ln, "%s", vocab_counter_error(c));
        }
    } else {
        cli_rated r;
        while (cli_rated_next(&in, &r, "tokens", NULL, 0, NULL)) {
            long ln = in.ln;
            if (!raw_noted && ln <= 100) note_raw_text(name, ln, r.text, r.tlen);
            if (vocab_counter_doc_padded(c, r.text, r.tlen) < 0) die_at(name, ln, "%s", vocab_counter_error(c));
            (*docs)++;
            if ((ln & 4095) == 0) cli_progress("%s: %ld lines", name, ln);
        }
    }
    cli_lines_close(&in);
}

int main(int argc, char **argv)
{
    cli_init("senti-vocab");
    uint64_t k = 0, min_df = 1;
    int merge = 0;
    const char *mem = default_memory, *tmpdir = NULL;
    static const struct option longopts[] = {
        {"top", required_argument, NULL, 'k'},    {"min-df", required_argument, NULL, 'd'},
        {"merge", no_argument, NULL, 'M'},        {"memory", required_argument, NULL, 'm'},
        {"tmpdir", required_argument, NULL, 'T'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "k:d:Mm:T:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': k = (uint64_t)cli_parse_long("--top", optarg, 0, 0x7fffffffL); break;
        case 'd': min_df = (uint64_t)cli_parse_long("--min-df", optarg, 1, 0x7fffffffffffffffL); break;
        case 'M': merge = 1; break;
        case 'm': mem = optarg; break;
        case 'T': tmpdir = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(k, min_df, merge, mem); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    size_t limit = parse_size(mem);
    vocab_counter *vc = vocab_counter_new(limit, tmpdir);
    if (!vc) die("out of memory");
    unsigned long long docs = 0;
    if (optind == argc) {
        count_file(vc, "-", merge, &docs);
    } else {
        for (int i = optind; i < argc; i++) count_file(vc, argv[i], merge, &docs);
    }
    cli_progress_end();
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    uint64_t h = VOCAB_DIGEST_INIT;
    if (vocab_counter_finish(vc, k, min_df, emit, &h) < 0) die("%s", vocab_counter_error(vc));
    char hex[17];
    vocab_digest_hex(h, hex);
    if (cli_progress_enabled()) note("%llu documents, digest %s, %zu spilled runs", docs, hex, vocab_counter_runs(vc));
    vocab_counter_free(vc);
    cli_close_stdout();
    return 0;
}
