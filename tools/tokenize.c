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
#include "frontend.h"
#include "text.h"

static void usage(const text_opts *o, const char *stopwords)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Tokenize rating<TAB>text lines (FILE or standard input) into\n"
           "rating<TAB>tok tok ... lines on standard output.\n"
           "\n",
           cli_prog);
    frontend_token_usage(o, stopwords);
    printf("      --line-buffered  write each line as soon as it is read (the default\n"
           "                       when stdin or stdout is a terminal)\n"
           "  -q, --quiet          no progress or notes\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Lines starting with '#' are copied unchanged.  A line without a TAB,\n"
           "or whose rating is neither a number nor '?', is an error, and so is a\n"
           "line over 256 MiB (docs/limits.md).  senti-bundle takes the same\n"
           "options, to make a model that tokenizes text as this run does.\n");
}

#define OUT_FLUSH (1u << 20)

static void flush_out(buf_t *out)
{
    if (out->len && fwrite(out->p, 1, out->len, stdout) != out->len) die_stdout();
    out->len = 0;
}

static int line_buffered = -1;

static void tokenize_file(text_tok *t, const char *path, buf_t *out)
{
    cli_lines in;
    cli_lines_open(&in, path);
    const char *name = in.name;
    double t0 = cli_seconds(), last = t0;
    cli_rated r;
    for (;;) {
        if (out->len >= OUT_FLUSH) flush_out(out);
        if (!cli_rated_next(&in, &r, "text", out, 0, NULL)) break;
        long ln = in.ln;
        if (buf_reserve(out, r.rlen + 2) < 0) die("out of memory");
        memcpy(out->p + out->len, r.line, r.rlen + 1);
        out->len += r.rlen + 1;
        if (text_tokenize(t, r.text, r.tlen, out) < 0) die_at(name, ln, "%s", text_error(t));
        if (buf_reserve(out, 1) < 0) die("out of memory");
        out->p[out->len++] = '\n';
        if (line_buffered) {
            flush_out(out);
            if (fflush(stdout) != 0) die_stdout();
        }
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
    text_opts o;
    frontend_token_defaults(&o);
    const char *stopwords = NULL;
    static const struct option longopts[] = {
        FRONTEND_TOKEN_LONGOPTS,
        {"line-buffered", no_argument, NULL, 'L'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, FRONTEND_TOKEN_SHORTOPTS "qhV", longopts, NULL)) != -1) {
        if (frontend_token_option(c, optarg, &o, &stopwords)) continue;
        switch (c) {
        case 'L': line_buffered = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(&o, stopwords); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (o.stem && strcmp(o.stem, "list") == 0) {
        for (const char **l = text_stem_languages(); *l; l++) puts(*l);
        cli_close_stdout();
        return 0;
    }
    frontend_token_check(&o);
    if (line_buffered < 0) line_buffered = cli_interactive();
    char err[512];
    text_tok *t = text_new(&o, err, sizeof err);
    if (!t) die_usage("%s", err);
    if (stopwords) {
        FILE *f = xfopen(stopwords, "rb");
        if (text_add_stopwords(t, f, cli_name(stopwords), err, sizeof err) < 0) die("%s", err);
        xfclose(f, stopwords);
    }
    buf_t out = {0};
    if (optind == argc) {
        tokenize_file(t, "-", &out);
    } else {
        for (int i = optind; i < argc; i++) tokenize_file(t, argv[i], &out);
    }
    flush_out(&out);
    buf_free(&out);
    cli_progress_end();
    if (text_replaced(t)) note("%lu invalid UTF-8 sequences replaced by U+FFFD", text_replaced(t));
    text_free(t);
    cli_close_stdout();
    return 0;
}
