/* opts.c - declarative options (see opts.h). */
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sparse.h"

#define HELP_COL 25
#define MAX_DEFS 96

static char *defaults[MAX_DEFS];
static const opt_prog *defaults_of;

void opts_value(const opt_def *d, buf_t *out)
{
    char num[40];
    switch (d->kind) {
    case OPT_FLAG: buf_puts(out, *(const int *)d->var ? "1" : "0"); break;
    case OPT_LONG: buf_printf(out, "%ld", *(const long *)d->var); break;
    case OPT_REAL:
        sparse_format_double(num, *(const double *)d->var);
        buf_puts(out, num);
        break;
    case OPT_U64: buf_printf(out, "%llu", *(const unsigned long long *)d->var); break;
    case OPT_TEXT: {
        const char *s = *(const char *const *)d->var;
        buf_puts(out, s ? s : "");
        break;
    }
    case OPT_CALL: d->show(out, d->var); break;
    }
}

void opts_defaults(const opt_prog *p)
{
    defaults_of = p;
    for (int i = 0; i < p->ndefs && i < MAX_DEFS; i++) {
        free(defaults[i]);
        buf_t b = {0};
        opts_value(&p->defs[i], &b);
        defaults[i] = b.p ? b.p : xstrdup("");
    }
}

const char *opts_default(const opt_prog *p, const opt_def *d)
{
    if (p != defaults_of) return NULL;
    long i = d - p->defs;
    return i >= 0 && i < p->ndefs && i < MAX_DEFS ? defaults[i] : NULL;
}

void opts_cmdline(const opt_prog *p, buf_t *out)
{
    for (int i = 0; i < p->ndefs; i++) {
        const opt_def *d = &p->defs[i];
        if (!(d->flags & (OPT_SETTING | OPT_RECORD))) continue;
        if (d->kind == OPT_FLAG) {
            if (*(const int *)d->var) buf_printf(out, " --%s", d->name);
            continue;
        }
        if (d->kind == OPT_TEXT && !*(const char *const *)d->var) continue; /* not given */
        buf_printf(out, " --%s ", d->name);
        opts_value(d, out);
    }
}

/* "  -x, --name META" */
static void left_part(const opt_def *d, buf_t *b)
{
    if (d->key) buf_printf(b, "  -%c, --%s", d->key, d->name);
    else buf_printf(b, "      --%s", d->name);
    if (d->meta) buf_printf(b, " %s", d->meta);
}

static void print_entry(const char *left, const char *help, const char *dflt)
{
    size_t col = strlen(left);
    fputs(left, stdout);
    if (col + 2 > HELP_COL) {
        putchar('\n');
        col = 0;
    }
    const char *s = help;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        printf("%*s%.*s", (int)(HELP_COL - col), "", (int)n, s);
        col = HELP_COL + n;
        if (!nl) break;
        putchar('\n');
        col = 0;
        s = nl + 1;
    }
    if (dflt) {
        if (col + strlen(dflt) + 3 > 79) printf("\n%*s[%s]\n", HELP_COL, "", dflt);
        else printf(" [%s]\n", dflt);
    } else {
        putchar('\n');
    }
}

void opts_usage(const opt_prog *p)
{
    printf("Usage: %s %s\n%s\n", cli_prog, p->synopsis, p->about);
    for (int i = 0; i < p->ndefs; i++) {
        const opt_def *d = &p->defs[i];
        buf_t left = {0}, val = {0};
        left_part(d, &left);
        const char *dflt = NULL;
        if (d->dflt) {
            dflt = d->dflt[0] ? d->dflt : NULL;
        } else if (d->kind != OPT_FLAG) {
            opts_value(d, &val);
            dflt = val.p ? val.p : "";
        }
        print_entry(left.p, d->help, dflt);
        buf_free(&left);
        buf_free(&val);
    }
    print_entry("  -q, --quiet", "no progress or notes on stderr", NULL);
    print_entry("  -h, --help", "show this help and exit", NULL);
    print_entry("  -V, --version", "show the version and exit", NULL);
    if (p->footer) printf("\n%s", p->footer);
}

static void set_value(const opt_def *d, const char *arg)
{
    char what[64];
    snprintf(what, sizeof what, "--%s", d->name);
    switch (d->kind) {
    case OPT_FLAG: *(int *)d->var = 1; break;
    case OPT_LONG: *(long *)d->var = cli_parse_long(what, arg, (long)d->lo, (long)d->hi); break;
    case OPT_REAL: *(double *)d->var = cli_parse_double(what, arg, d->lo, d->hi); break;
    case OPT_U64: *(unsigned long long *)d->var = cli_parse_u64(what, arg); break;
    case OPT_TEXT: *(const char **)d->var = arg; break;
    case OPT_CALL:
        if (d->parse(arg, d->var) != 0) die_usage("%s: '%s' is not %s", what, arg, d->want ? d->want : "valid");
        break;
    }
}

int opts_parse(const opt_prog *p, int argc, char **argv)
{
    enum { O_HELP = 'h', O_VERSION = 'V', O_QUIET = 'q' };
    int n = p->ndefs;
    if (n > MAX_DEFS) die("internal error: more than %d options", MAX_DEFS);
    struct option *lo = xcalloc((size_t)n + 4, sizeof *lo);
    buf_t shorts = {0};
    buf_puts(&shorts, ":hVq");
    for (int i = 0; i < n; i++) {
        const opt_def *d = &p->defs[i];
        lo[i].name = d->name;
        lo[i].has_arg = d->kind == OPT_FLAG ? no_argument : required_argument;
        lo[i].val = d->key ? d->key : 256 + i;
        if (d->key) buf_printf(&shorts, "%c%s", d->key, d->kind == OPT_FLAG ? "" : ":");
    }
    lo[n] = (struct option){"help", no_argument, NULL, O_HELP};
    lo[n + 1] = (struct option){"version", no_argument, NULL, O_VERSION};
    lo[n + 2] = (struct option){"quiet", no_argument, NULL, O_QUIET};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts.p, lo, NULL)) != -1) {
        if (c == O_HELP) {
            opts_usage(p);
            cli_close_stdout();
            exit(0);
        }
        if (c == O_VERSION) cli_version();
        if (c == O_QUIET) {
            cli_quiet = 1;
            continue;
        }
        if (c == ':') {
            if (optopt > 0 && optopt < 256) die_usage("option '-%c' needs a value", optopt);
            die_usage("option '%s' needs a value", argv[optind - 1]);
        }
        if (c == '?') {
            if (optopt > 0 && optopt < 256) die_usage("unknown option '-%c'", optopt);
            die_usage("unknown option '%s'", argv[optind - 1]);
        }
        int i = c >= 256 ? c - 256 : -1;
        for (int k = 0; i < 0 && k < n; k++)
            if (p->defs[k].key == c) i = k;
        if (i < 0 || i >= n) die_usage("unknown option");
        set_value(&p->defs[i], optarg);
    }
    free(lo);
    buf_free(&shorts);
    return optind;
}
