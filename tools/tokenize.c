/* senti-tokenize - rating<TAB>text lines in, rating<TAB>tok tok ... out.
 *
 * Text is repaired (invalid UTF-8 -> U+FFFD), optionally stripped of HTML,
 * NFKC-normalised and case folded, then cut into tokens by a PCRE2 pattern;
 * stop words, stemming, negation marking and n-grams follow (lib/text.c,
 * docs/text.md).  Lines starting with '#' pass through unchanged.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"

static void usage(const text_opts *o)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Tokenize rating<TAB>text lines (FILE or standard input) into\n"
           "rating<TAB>tok tok ... lines on standard output.\n"
           "\n"
           "  -p, --pattern=RE     PCRE2 token pattern, matched on normalised text\n"
           "                       [%s]\n"
           "  -P, --punct          default pattern also yields ! ? emoticons and emoji [%s]\n"
           "  -H, --html           strip HTML tags and decode entities [%s]\n"
           "  -s, --stem=LANG      stem with libstemmer's LANG ('list' lists them) [%s]\n"
           "  -n, --negate         mark tokens after a negation word: not NOT_good [%s]\n"
           "  -g, --ngrams=N       also emit 2..N-grams joined by '_' [%d]\n"
           "  -m, --min-len=N      drop tokens shorter than N characters [%d]\n"
           "  -S, --stopwords=FILE drop the words listed in FILE [%s]\n"
           "      --strict         invalid UTF-8 is an error, not replaced [%s]\n"
           "      --no-fold        no Unicode normalisation or case folding [%s]\n"
           "      --pcre-only      match ASCII lines with PCRE2 too, not the equivalent\n"
           "                       hand-coded scanner of the default pattern [%s]\n"
           "  -q, --quiet          no progress or notes\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Lines starting with '#' are copied unchanged.  A line without a TAB,\n"
           "or whose rating is neither a number nor '?', is an error, and so is a\n"
           "line over 256 MiB (docs/limits.md).\n",
           cli_prog, o->pattern ? o->pattern : text_default_pattern(o->punct), o->punct ? "on" : "off",
           o->html ? "on" : "off", o->stem ? o->stem : "none", o->negate ? "on" : "off", o->ngrams,
           o->min_len, "none", o->strict ? "on" : "off", o->no_fold ? "on" : "off",
           o->pcre_only ? "on" : "off");
}

#define OUT_FLUSH (1u << 20)

static void flush_out(text_buf *out)
{
    if (out->len && fwrite(out->p, 1, out->len, stdout) != out->len) die_stdout();
    out->len = 0;
}

static void tokenize_file(text_tok *t, const char *path, text_buf *out)
{
    cli_lines in;
    cli_lines_open(&in, path);
    const char *name = in.name;
    char *line;
    size_t n;
    double t0 = cli_seconds(), last = t0;
    while (cli_lines_next(&in, &line, &n)) {
        long ln = in.ln;
        if (n && line[n - 1] == '\r') n--;
        if (out->len >= OUT_FLUSH) flush_out(out);
        if (n && line[0] == '#') {
            if (text_buf_reserve(out, n + 1) < 0) die("out of memory");
            memcpy(out->p + out->len, line, n);
            out->len += n;
            out->p[out->len++] = '\n';
            continue;
        }
        const char *tab = memchr(line, '\t', n);
        if (!tab) die_at(name, ln, "no TAB between rating and text");
        size_t rl = (size_t)(tab - line);
        int has;
        double v;
        if (text_parse_rating(line, rl, &has, &v) < 0)
            die_at(name, ln, "rating '%s' is neither a number nor '?'", buf_excerpt(line, rl, 40));
        if (text_buf_reserve(out, rl + 2) < 0) die("out of memory");
        memcpy(out->p + out->len, line, rl + 1);
        out->len += rl + 1;
        if (text_tokenize(t, tab + 1, n - rl - 1, out) < 0) die_at(name, ln, "%s", text_error(t));
        if (text_buf_reserve(out, 1) < 0) die("out of memory");
        out->p[out->len++] = '\n';
        if ((ln & 1023) == 0 && cli_progress_enabled()) {
            double now = cli_seconds();
            if (now - last > 0.5) {
                cli_progress("%s: %ld lines, %.0f lines/s", name, ln, (double)ln / (now - t0));
                last = now;
            }
        }
    }
    cli_lines_close(&in);
}

int main(int argc, char **argv)
{
    cli_init("senti-tokenize");
    text_opts o = {0};
    o.ngrams = 1;
    o.min_len = 1;
    const char *stopwords = NULL;
    enum { OPT_STRICT = 256, OPT_NO_FOLD, OPT_PCRE_ONLY };
    static const struct option longopts[] = {
        {"pattern", required_argument, NULL, 'p'}, {"punct", no_argument, NULL, 'P'},
        {"html", no_argument, NULL, 'H'},          {"stem", required_argument, NULL, 's'},
        {"negate", no_argument, NULL, 'n'},        {"ngrams", required_argument, NULL, 'g'},
        {"min-len", required_argument, NULL, 'm'}, {"stopwords", required_argument, NULL, 'S'},
        {"strict", no_argument, NULL, OPT_STRICT}, {"no-fold", no_argument, NULL, OPT_NO_FOLD},
        {"pcre-only", no_argument, NULL, OPT_PCRE_ONLY},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "p:PHs:ng:m:S:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': o.pattern = optarg; break;
        case 'P': o.punct = 1; break;
        case 'H': o.html = 1; break;
        case 's': o.stem = optarg; break;
        case 'n': o.negate = 1; break;
        case 'g': o.ngrams = (int)cli_parse_long("--ngrams", optarg, 1, 16); break;
        case 'm': o.min_len = (int)cli_parse_long("--min-len", optarg, 1, 1000); break;
        case 'S': stopwords = optarg; break;
        case OPT_STRICT: o.strict = 1; break;
        case OPT_NO_FOLD: o.no_fold = 1; break;
        case OPT_PCRE_ONLY: o.pcre_only = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(&o); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (o.stem && strcmp(o.stem, "list") == 0) {
        for (const char **l = text_stem_languages(); *l; l++) puts(*l);
        cli_close_stdout();
        return 0;
    }
    if (o.pattern && o.punct) die_usage("--punct applies to the default pattern only, not with --pattern");
    char err[512];
    text_tok *t = text_new(&o, err, sizeof err);
    if (!t) die_usage("%s", err);
    if (stopwords) {
        FILE *f = xfopen(stopwords, "rb");
        if (text_add_stopwords(t, f, cli_name(stopwords), err, sizeof err) < 0) die("%s", err);
        xfclose(f, stopwords);
    }
    text_buf out = {0};
    if (optind == argc) {
        tokenize_file(t, "-", &out);
    } else {
        for (int i = optind; i < argc; i++) tokenize_file(t, argv[i], &out);
    }
    flush_out(&out);
    text_buf_free(&out);
    cli_progress_end();
    if (text_replaced(t)) note("%lu invalid UTF-8 sequences replaced by U+FFFD", text_replaced(t));
    text_free(t);
    cli_close_stdout();
    return 0;
}
