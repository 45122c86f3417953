/* from-csv.c - senti-from-csv: converts a CSV or TSV file with a header row
 * to the canonical rating<TAB>text lines, picking the rating column and one
 * or more text columns by their header names.
 *
 * Quoting follows RFC 4180: a field that starts with '"' runs to the next
 * lone '"', "" inside it is one '"', and separators and line breaks inside
 * it belong to the field.  CRLF and LF record ends are accepted and a UTF-8
 * byte order mark at the start of a file is dropped.  Blank lines between
 * records are skipped (they hold no review).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "convert.h"
#include "lines.h"

static const char *sep_opt = "auto";
static const char *rating_col = NULL;
static char **text_cols = NULL;
static size_t n_text_cols = 0;
static int quotes = 1;

static void usage(void)
{
    printf("Usage: %s [OPTION]... -t COL[,COL...] [FILE]...\n"
           "Convert CSV/TSV files with a header row to 'rating<TAB>text' lines on\n"
           "standard output.  With no FILE, or FILE -, read standard input.  Columns\n"
           "are chosen by header name; several text columns are joined with a space,\n"
           "and every run of blanks becomes one space.  RFC 4180 quoting (\"\" escapes,\n"
           "separators and line breaks inside quoted fields), CRLF and a UTF-8 BOM\n"
           "are handled.  An empty rating cell, or no --rating, gives the label '?'.\n"
           "\n"
           "  -t, --text COLS    text column(s), comma separated; may be repeated\n"
           "                     (required)\n"
           "  -r, --rating COL   rating column [%s]\n"
           "  -s, --sep SEP      field separator: one character, 'tab', or 'auto'\n"
           "                     (tab for *.tsv and *.tab, else comma) [%s]\n"
           "  -Q, --no-quotes    '\"' is an ordinary character (plain TSV) [quotes %s]\n"
           "  -q, --quiet        no notes on standard error\n"
           "  -h, --help         show this help and exit\n"
           "  -V, --version      show the version and exit\n"
           "\n"
           "Exit status: 0 on success, 1 on malformed input (reported as\n"
           "FILE:LINE: reason), 2 on misuse.\n",
           cli_prog, rating_col ? rating_col : "none: every label is ?", sep_opt, quotes ? "on" : "off");
}

/* ------------------------------------------------------------------------
 * buffered byte reader with line counting */

typedef struct reader {
    FILE *f;
    const char *file;
    unsigned char buf[1 << 16];
    size_t pos, len;
    long line;  /* current physical line, 1-based */
    int eof;
} reader;

static int rd_fill(reader *r)
{
    if (r->eof) return 0;
    r->len = fread(r->buf, 1, sizeof r->buf, r->f);
    r->pos = 0;
    if (r->len == 0) {
        if (ferror(r->f)) die("%s: read error: %s", r->file, strerror(errno));
        r->eof = 1;
        return 0;
    }
    return 1;
}

/* Next byte, or -1 at end of file. */
static inline int rd_get(reader *r)
{
    if (r->pos == r->len && !rd_fill(r)) return -1;
    return r->buf[r->pos++];
}

/* Next byte without consuming it, or -1. */
static inline int rd_peek(reader *r)
{
    if (r->pos == r->len && !rd_fill(r)) return -1;
    return r->buf[r->pos];
}

/* ------------------------------------------------------------------------
 * records */

typedef struct record {
    char *s;        /* field bytes, each field NUL-terminated */
    size_t n, cap;
    size_t *off;    /* field start offsets */
    size_t *len;    /* field lengths */
    size_t nf, fcap;
    long line;      /* line where the record starts */
    const char *file;
} record;

static inline void rec_put(record *rc, char c)
{
    if (rc->n == rc->cap) {
        if (rc->n >= LINES_MAX)
            die_at(rc->file, rc->line, "record longer than %zu bytes (the limit; an unterminated quote?)",
                   LINES_MAX);
        rc->cap = rc->cap ? 2 * rc->cap : 4096;
        rc->s = xrealloc(rc->s, rc->cap);
    }
    rc->s[rc->n++] = c;
}

static void rec_start_field(record *rc)
{
    if (rc->nf == rc->fcap) {
        rc->fcap = rc->fcap ? 2 * rc->fcap : 16;
        rc->off = xreallocarray(rc->off, rc->fcap, sizeof *rc->off);
        rc->len = xreallocarray(rc->len, rc->fcap, sizeof *rc->len);
    }
    rc->off[rc->nf] = rc->n;
    rc->nf++;
}

static void rec_end_field(record *rc)
{
    rc->len[rc->nf - 1] = rc->n - rc->off[rc->nf - 1];
    rec_put(rc, '\0');
}

/* Reads one record; returns 0 at end of file (no record), 1 otherwise.
 * Blank lines are skipped. */
static int read_record(reader *r, record *rc, int sep)
{
    int c;
    for (;;) {
        rc->n = rc->nf = 0;
        rc->line = r->line;
        c = rd_peek(r);
        if (c < 0) return 0;
        if (c == '\n') {
            rd_get(r);
            r->line++;
            continue;
        }
        if (c == '\r') {
            rd_get(r);
            if (rd_peek(r) == '\n') {
                rd_get(r);
                r->line++;
                continue;
            }
            /* a lone CR starts an (odd) field: keep it as data */
            rec_start_field(rc);
            rec_put(rc, '\r');
            break;
        }
        rec_start_field(rc);
        break;
    }
    for (;;) { /* at the start or inside an unquoted field of rc */
        c = rd_get(r);
        size_t cur = rc->nf - 1;
        if (quotes && c == '"' && rc->n == rc->off[cur]) {
            long qline = r->line;
            for (;;) {
                c = rd_get(r);
                if (c < 0) die_at(r->file, qline, "unterminated quoted field");
                if (c == '"') {
                    if (rd_peek(r) == '"') {
                        rd_get(r);
                        rec_put(rc, '"');
                        continue;
                    }
                    break;
                }
                if (c == '\n') r->line++;
                rec_put(rc, (char)c);
            }
            c = rd_peek(r);
            if (c == '\r') {
                rd_get(r);
                if (rd_peek(r) != '\n')
                    die_at(r->file, r->line, "carriage return after a closing quote");
                c = '\n';
            }
            if (c >= 0 && c != sep && c != '\n')
                die_at(r->file, r->line, "'%c' after the closing quote of a field", c);
            c = rd_get(r);
        }
        if (c < 0) {
            rec_end_field(rc);
            return 1;
        }
        if (c == sep) {
            rec_end_field(rc);
            rec_start_field(rc);
            continue;
        }
        if (c == '\n') {
            r->line++;
            rec_end_field(rc);
            return 1;
        }
        if (c == '\r' && rd_peek(r) == '\n') {
            rd_get(r);
            r->line++;
            rec_end_field(rc);
            return 1;
        }
        rec_put(rc, (char)c);
    }
}

/* ------------------------------------------------------------------------
 * conversion */

static int sep_for(const char *path)
{
    if (strcmp(sep_opt, "auto") == 0) {
        size_t n = strlen(path);
        if ((n >= 4 && strcmp(path + n - 4, ".tsv") == 0) || (n >= 4 && strcmp(path + n - 4, ".tab") == 0))
            return '\t';
        return ',';
    }
    if (strcmp(sep_opt, "tab") == 0 || strcmp(sep_opt, "\\t") == 0) return '\t';
    return (unsigned char)sep_opt[0];
}

/* Index of column name in the header, or dies. */
static size_t find_col(const record *h, const char *name, const char *file)
{
    size_t found = (size_t)-1;
    for (size_t i = 0; i < h->nf; i++) {
        if (strcmp(h->s + h->off[i], name) != 0) continue;
        if (found != (size_t)-1) die_at(file, h->line, "column '%s' appears twice in the header", name);
        found = i;
    }
    if (found == (size_t)-1) {
        /* list the header in the message, shortened, on one line */
        char cols[160];
        size_t o = 0;
        for (size_t i = 0; i < h->nf && o + 8 < sizeof cols; i++) {
            int k = snprintf(cols + o, sizeof cols - o, "%s%s", i ? ", " : "", conv_excerpt(h->s + h->off[i], h->len[i]));
            if (k < 0 || (size_t)k >= sizeof cols - o) {
                snprintf(cols + o, sizeof cols - o, ", ...");
                o = sizeof cols;
                break;
            }
            o += (size_t)k;
        }
        die_at(file, h->line, "no column '%s' in the header (columns: %s)", name, cols);
    }
    return found;
}

static void convert(const char *path)
{
    static reader r;
    static record rc;
    static conv_text text;
    r.f = xfopen(path, "rb");
    r.file = cli_name(path);
    rc.file = r.file;
    r.pos = r.len = 0;
    r.eof = 0;
    r.line = 1;
    int sep = sep_for(path);

    /* UTF-8 byte order mark */
    if (rd_peek(&r) == 0xEF) {
        if (r.len - r.pos >= 3 && r.buf[r.pos + 1] == 0xBB && r.buf[r.pos + 2] == 0xBF) r.pos += 3;
    }
    if (!read_record(&r, &rc, sep)) die_at(r.file, 1, "empty file: a header row is required");
    size_t nf = rc.nf;
    size_t rcol = rating_col ? find_col(&rc, rating_col, r.file) : (size_t)-1;
    static size_t *tcol; /* static: still reachable when a die() ends the run */
    tcol = xreallocarray(tcol, n_text_cols, sizeof *tcol);
    for (size_t i = 0; i < n_text_cols; i++) tcol[i] = find_col(&rc, text_cols[i], r.file);

    char label[CONV_RATING_MAX];
    while (read_record(&r, &rc, sep)) {
        if (rc.nf != nf)
            die_at(r.file, rc.line, "record has %zu field%s, the header has %zu", rc.nf, rc.nf == 1 ? "" : "s", nf);
        if (rcol == (size_t)-1) {
            strcpy(label, "?");
        } else {
            const char *v = rc.s + rc.off[rcol];
            size_t vn = rc.len[rcol], a = 0;
            while (a < vn && conv_is_blank((unsigned char)v[a])) a++;
            if (a == vn || (vn - a == 1 && v[a] == '?') ) {
                strcpy(label, "?");
            } else if (conv_rating(v, vn, label, sizeof label) != 0) {
                die_at(r.file, rc.line, "rating '%s' is not a number", conv_excerpt(v, vn));
            }
        }
        conv_text_clear(&text);
        for (size_t i = 0; i < n_text_cols; i++) {
            conv_text_sep(&text);
            if (conv_text_add(&text, rc.s + rc.off[tcol[i]], rc.len[tcol[i]]) >= 0)
                die_at(r.file, rc.line, "NUL byte in column '%s'", text_cols[i]);
        }
        conv_emit(label, &text);
    }
    xfclose(r.f, path);
}

static void add_text_cols(const char *arg)
{
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t k = comma ? (size_t)(comma - p) : strlen(p);
        if (k == 0) die_usage("--text: empty column name in '%s'", arg);
        text_cols = xreallocarray(text_cols, n_text_cols + 1, sizeof *text_cols);
        char *name = xmalloc(k + 1);
        memcpy(name, p, k);
        name[k] = '\0';
        text_cols[n_text_cols++] = name;
        if (!comma) break;
        p = comma + 1;
    }
}

static void option(int c, const char *arg)
{
    switch (c) {
    case 't': add_text_cols(arg); break;
    case 'r':
        if (!*arg) die_usage("--rating: empty column name");
        rating_col = arg;
        break;
    case 's':
        if (strcmp(arg, "auto") != 0 && strcmp(arg, "tab") != 0 && strcmp(arg, "\\t") != 0 &&
            strlen(arg) != 1)
            die_usage("--sep: '%s' is not one character, 'tab' or 'auto'", arg);
        if (strcmp(arg, "\"") == 0 || strcmp(arg, "\n") == 0 || strcmp(arg, "\r") == 0)
            die_usage("--sep: '%s' cannot be the separator", arg);
        sep_opt = arg;
        break;
    case 'Q': quotes = 0; break;
    }
}

static void ready(void)
{
    if (n_text_cols == 0) die_usage("no text column given (use --text COL)");
}

static void done(void)
{
    for (size_t i = 0; i < n_text_cols; i++) free(text_cols[i]);
    free(text_cols);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"text", required_argument, NULL, 't'},
        {"rating", required_argument, NULL, 'r'},
        {"sep", required_argument, NULL, 's'},
        {"no-quotes", no_argument, NULL, 'Q'},
        {NULL, 0, NULL, 0},
    };
    static const conv_prog p = {"senti-from-csv", "t:r:s:Q", opts, usage, option, ready, convert, done, NULL};
    return conv_main(argc, argv, &p);
}
