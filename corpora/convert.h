/* convert.h - shared pieces of the corpus converters (corpora/from-*.c):
 * a growable text buffer that normalises blanks, rating normalisation and
 * the writer of the canonical line format
 *
 *     rating<TAB>text<LF>
 *
 * where rating is a plain decimal number or "?" and text holds no tab, CR
 * or LF: every run of blanks (space, tab, CR, LF, VT, FF) becomes a single
 * space and leading/trailing blanks are dropped.  All functions are static
 * inline so each converter stays one translation unit (see docs/corpora.md).
 */
#ifndef SENTI_CORPORA_CONVERT_H
#define SENTI_CORPORA_CONVERT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------------
 * text buffer with blank normalisation */

typedef struct conv_text {
    char *s;      /* bytes, not NUL-terminated */
    size_t n;     /* used */
    size_t cap;   /* allocated */
    int pending;  /* a blank was seen after the last byte appended */
} conv_text;

static inline int conv_is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Empties the buffer (keeps its storage). */
static inline void conv_text_clear(conv_text *t)
{
    t->n = 0;
    t->pending = 0;
}

static inline void conv_text_free(conv_text *t)
{
    free(t->s);
    t->s = NULL;
    t->n = t->cap = 0;
    t->pending = 0;
}

static inline void conv_text_reserve(conv_text *t, size_t extra)
{
    if (t->n + extra <= t->cap) return;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->n + extra) cap *= 2;
    t->s = xrealloc(t->s, cap);
    t->cap = cap;
}

/* Marks a word boundary: the next non-blank byte appended is preceded by
 * one space (unless the buffer is still empty).  Used to join fields. */
static inline void conv_text_sep(conv_text *t)
{
    t->pending = 1;
}

/* Appends n bytes, turning each run of blanks into one space and dropping
 * leading blanks; trailing blanks are never written.  Returns the offset of
 * the first NUL byte in p (the caller reports it), or -1 when there is none;
 * on a NUL nothing from p is appended. */
static inline long conv_text_add(conv_text *t, const char *p, size_t n)
{
    const char *z = memchr(p, '\0', n);
    if (z) return (long)(z - p);
    conv_text_reserve(t, n + 1);
    char *o = t->s + t->n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (conv_is_blank(c)) {
            t->pending = 1;
            continue;
        }
        if (t->pending) {
            if (o != t->s) *o++ = ' ';
            t->pending = 0;
        }
        *o++ = (char)c;
    }
    t->n = (size_t)(o - t->s);
    return -1;
}

/* Replaces every HTML line break <br>, <br/>, <br /> (any case, any blanks
 * before the '/' or '>') in s[0..n) by a space, in place; returns the new
 * length. */
static inline size_t conv_strip_br(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '<' && i + 2 < n && (s[i + 1] == 'b' || s[i + 1] == 'B') &&
            (s[i + 2] == 'r' || s[i + 2] == 'R')) {
            size_t j = i + 3;
            while (j < n && conv_is_blank((unsigned char)s[j])) j++;
            if (j < n && s[j] == '/') j++;
            if (j < n && s[j] == '>') {
                s[o++] = ' ';
                i = j + 1;
                continue;
            }
        }
        s[o++] = s[i++];
    }
    return o;
}

/* ------------------------------------------------------------------------
 * ratings */

/* Normalises a decimal rating s[0..n) (surrounding blanks allowed) into out
 * (size outsz): sign '+' dropped, leading zeros dropped, trailing fraction
 * zeros and a bare '.' dropped, "-0" becomes "0"; "5.0" -> "5", "04.50" ->
 * "4.5", ".5" -> "0.5".  Exponents, hex, inf and nan are refused.  Returns 0,
 * or -1 when s is not such a number (or does not fit). */
static inline int conv_rating(const char *s, size_t n, char *out, size_t outsz)
{
    size_t a = 0, b = n;
    while (a < b && conv_is_blank((unsigned char)s[a])) a++;
    while (b > a && conv_is_blank((unsigned char)s[b - 1])) b--;
    int neg = 0;
    if (a < b && (s[a] == '+' || s[a] == '-')) neg = s[a++] == '-';
    size_t i0 = a;
    while (a < b && s[a] >= '0' && s[a] <= '9') a++;
    size_t i1 = a, f0 = a, f1 = a;
    if (a < b && s[a] == '.') {
        f0 = ++a;
        while (a < b && s[a] >= '0' && s[a] <= '9') a++;
        f1 = a;
    }
    if (a != b || (i1 == i0 && f1 == f0)) return -1;
    while (i0 < i1 && s[i0] == '0') i0++;
    while (f1 > f0 && s[f1 - 1] == '0') f1--;
    if (i0 == i1 && f0 == f1) neg = 0; /* zero */
    size_t need = (size_t)neg + (i1 > i0 ? i1 - i0 : 1) + (f1 > f0 ? 1 + f1 - f0 : 0) + 1;
    if (need > outsz) return -1;
    char *o = out;
    if (neg) *o++ = '-';
    if (i1 > i0) {
        memcpy(o, s + i0, i1 - i0);
        o += i1 - i0;
    } else {
        *o++ = '0';
    }
    if (f1 > f0) {
        *o++ = '.';
        memcpy(o, s + f0, f1 - f0);
        o += f1 - f0;
    }
    *o = '\0';
    return 0;
}

/* Size of a buffer for conv_rating(); longer ratings are refused. */
#define CONV_RATING_MAX 64

/* Shows at most 40 bytes of s[0..n) in a message (buf_excerpt: control
 * bytes and invalid UTF-8 as \xNN), so error lines stay one line. */
static inline const char *conv_excerpt(const char *s, size_t n)
{
    return buf_excerpt(s, n, 40);
}

/* ------------------------------------------------------------------------
 * options */

/* Reports what getopt_long() refused (call with opterr = 0 and an option
 * string starting with ':'), then exits 2. */
static inline void conv_bad_option(int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        die_usage("option '%s' requires an argument", arg);
    if (optopt && strncmp(arg, "--", 2) != 0)
        die_usage("invalid option -- '%c'", optopt);
    die_usage("unrecognized option '%s'", arg);
}

/* Gives stdout a large buffer; call before the first write. */
static inline void conv_stdout_buffer(void)
{
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

/* A converter's program: its options (getopt letters and long options,
 * the long ones ending in a zero entry; -q/--quiet, -h/--help and
 * -V/--version are added), usage(), option(c, arg) for each of its own,
 * ready() after the options (checks; NULL), convert(path) for each input,
 * done() after the last (frees; NULL).  With need_path, no input is a
 * usage error naming what_path; otherwise no input is standard input. */
typedef struct conv_prog {
    const char *name, *shortopts;
    const struct option *longopts;
    void (*usage)(void);
    void (*option)(int c, const char *arg);
    void (*ready)(void);
    void (*convert)(const char *path);
    void (*done)(void);
    const char *need_path;
} conv_prog;

/* The main() of every converter: options, then each input on a large
 * stdout buffer, then stdout closed (an error there dies).  Returns 0. */
static inline int conv_main(int argc, char **argv, const conv_prog *p)
{
    cli_init(p->name);
    struct option lo[32];
    int k = 0;
    for (const struct option *o = p->longopts; o && o->name && k < 28; o++) lo[k++] = *o;
    lo[k++] = (struct option){"quiet", no_argument, NULL, 'q'};
    lo[k++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[k++] = (struct option){"version", no_argument, NULL, 'V'};
    lo[k] = (struct option){NULL, 0, NULL, 0};
    char so[64];
    snprintf(so, sizeof so, ":%sqhV", p->shortopts);
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        switch (c) {
        case 'q': cli_quiet = 1; break;
        case 'h': p->usage(); cli_close_stdout(); exit(0);
        case 'V': cli_version(); break;
        case '?':
        case ':': conv_bad_option(c, argv); break;
        default: p->option(c, optarg);
        }
    }
    if (p->ready) p->ready();
    if (p->need_path && optind == argc) die_usage("no PATH given (%s)", p->need_path);
    conv_stdout_buffer();
    int n;
    const char **in = cli_inputs(argc, argv, optind, &n);
    for (int i = 0; i < n; i++) p->convert(in[i]);
    if (p->done) p->done();
    cli_close_stdout();
    return 0;
}

/* ------------------------------------------------------------------------
 * output */

/* Writes "label<TAB>text<LF>" on stdout. */
static inline void conv_emit(const char *label, const conv_text *t)
{
    fputs(label, stdout);
    putchar('\t');
    if (t->n) fwrite(t->s, 1, t->n, stdout);
    putchar('\n');
    if (ferror(stdout)) die_stdout(); /* now, while errno says why */
}


#endif
