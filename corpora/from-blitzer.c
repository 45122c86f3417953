/* from-blitzer.c - senti-from-blitzer: converts the Multi-Domain Sentiment
 * Dataset's .review files (Blitzer, Dredze & Pereira 2007,
 * sorted_data_acl/<domain>/{positive,negative,unlabeled}.review) to the
 * canonical rating<TAB>text lines.
 *
 * The files are pseudo-XML, not XML: there is no root element, '&' and
 * '<'/'>' occur bare in values, and every tag stands on a line of its own
 * with the value on the lines between.  So this is a line-oriented state
 * machine, not an XML parser: a line whose only content is <name> or
 * </name> is a tag, any other line is part of the open field's value.
 * Records keep their order and duplicates are kept.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "convert.h"

#define NAME_MAX_LEN 63

static int use_title = 1;

/* One record being read. */
typedef struct record {
    long line;                  /* line of <review>, 0 when outside a record */
    char field[NAME_MAX_LEN + 1]; /* open field, "" when none */
    long field_line;
    int kind;                   /* what the open field feeds, see K_* */
    conv_text title, body, rating;
    long rating_line;
    int have_title, have_body, have_rating;
} record;

enum { K_SKIP, K_TITLE, K_BODY, K_RATING };

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Convert Multi-Domain Sentiment Dataset .review files (Blitzer et al. 2007)\n"
           "to 'rating<TAB>text' lines on standard output.  With no FILE, or FILE -,\n"
           "read standard input.  The rating comes from <rating> (\"5.0\" -> 5); the\n"
           "text is <title>, a space, then <review_text>, with every run of blanks\n"
           "turned into one space.  Records keep their order; duplicates are kept.\n"
           "\n"
           "  -T, --no-title   text from <review_text> only [%s]\n"
           "  -q, --quiet      no notes on standard error\n"
           "  -h, --help       show this help and exit\n"
           "  -V, --version    show the version and exit\n"
           "\n"
           "Exit status: 0 on success, 1 on malformed input (reported as\n"
           "FILE:LINE: reason), 2 on misuse.\n",
           cli_prog, use_title ? "title and review text" : "review text only");
}

/* If line[0..n) is, apart from surrounding blanks, exactly one tag, stores
 * its name in name and returns 1 for <name>, 2 for </name>; else 0. */
static int tag_of(const char *line, size_t n, char *name)
{
    size_t a = 0, b = n;
    while (a < b && conv_is_blank((unsigned char)line[a])) a++;
    while (b > a && conv_is_blank((unsigned char)line[b - 1])) b--;
    if (b - a < 3 || line[a] != '<' || line[b - 1] != '>') return 0;
    a++, b--;
    int kind = 1;
    if (line[a] == '/') kind = 2, a++;
    if (a == b || b - a > NAME_MAX_LEN) return 0;
    for (size_t i = a; i < b; i++) {
        char c = line[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    memcpy(name, line + a, b - a);
    name[b - a] = '\0';
    return kind;
}

/* Recognises the one-line form <name>value</name>; stores name and the
 * value's bounds. */
static int inline_field(const char *line, size_t n, char *name, size_t *v0, size_t *v1)
{
    size_t a = 0, b = n;
    while (a < b && conv_is_blank((unsigned char)line[a])) a++;
    while (b > a && conv_is_blank((unsigned char)line[b - 1])) b--;
    const char *gt = memchr(line + a, '>', b - a);
    if (!gt || line[a] != '<') return 0;
    size_t open_end = (size_t)(gt - line) + 1;
    if (tag_of(line + a, open_end - a, name) != 1) return 0;
    size_t len = strlen(name);
    if (b - open_end < len + 3) return 0;
    size_t c0 = b - (len + 3);
    if (line[c0] != '<' || line[c0 + 1] != '/' || memcmp(line + c0 + 2, name, len) != 0 ||
        line[b - 1] != '>')
        return 0;
    *v0 = open_end;
    *v1 = c0;
    return 1;
}

static conv_text *field_text(record *r, const char *file, long lineno)
{
    int *have = NULL;
    conv_text *t = NULL;
    if (strcmp(r->field, "rating") == 0)
        r->kind = K_RATING, have = &r->have_rating, t = &r->rating, r->rating_line = lineno;
    else if (strcmp(r->field, "title") == 0)
        r->kind = K_TITLE, have = &r->have_title, t = &r->title;
    else if (strcmp(r->field, "review_text") == 0)
        r->kind = K_BODY, have = &r->have_body, t = &r->body;
    else
        r->kind = K_SKIP;
    if (have) {
        if (*have)
            die_at(file, lineno, "second <%s> in the record opened at line %ld", r->field, r->line);
        *have = 1;
    }
    return t;
}

static void add_value(record *r, const char *file, long lineno, const char *p, size_t n)
{
    conv_text *t = r->kind == K_RATING ? &r->rating
                   : r->kind == K_TITLE ? &r->title
                   : r->kind == K_BODY  ? &r->body
                                        : NULL;
    if (!t) {
        if (memchr(p, '\0', n)) die_at(file, lineno, "NUL byte in <%s>", r->field);
        return;
    }
    conv_text_sep(t);
    if (conv_text_add(t, p, n) >= 0) die_at(file, lineno, "NUL byte in <%s>", r->field);
}

static void end_record(record *r, const char *file)
{
    char label[CONV_RATING_MAX];
    if (!r->have_rating) die_at(file, r->line, "record has no <rating>");
    if (!r->have_body) die_at(file, r->line, "record has no <review_text>");
    if (conv_rating(r->rating.s ? r->rating.s : "", r->rating.n, label, sizeof label) != 0)
        die_at(file, r->rating_line, "rating '%s' is not a number",
               conv_excerpt(r->rating.s ? r->rating.s : "", r->rating.n));
    conv_text *t = &r->body;
    if (use_title) {
        /* title, one space, body: build in the title buffer */
        t = &r->title;
        conv_text_sep(t);
        if (r->body.n) conv_text_add(t, r->body.s, r->body.n);
    }
    conv_emit(label, t);
    r->line = 0;
    r->have_title = r->have_body = r->have_rating = 0;
    conv_text_clear(&r->title);
    conv_text_clear(&r->body);
    conv_text_clear(&r->rating);
}

static void convert(const char *path)
{
    cli_lines in;
    cli_lines_open(&in, path);
    const char *file = in.name;
    record r;
    memset(&r, 0, sizeof r);
    char *line, name[NAME_MAX_LEN + 1];
    size_t n;
    while (cli_lines_next(&in, &line, &n)) {
        long lineno = in.ln;
        if (n && line[n - 1] == '\r') n--;
        int tag = tag_of(line, n, name);
        size_t v0, v1;

        if (r.field[0]) { /* inside a field: only its closing tag ends it */
            if (tag == 2 && strcmp(name, r.field) == 0) {
                r.field[0] = '\0';
            } else if (tag && strcmp(name, "review") == 0) {
                die_at(file, lineno, "<%s%s> inside <%s> opened at line %ld (missing </%s>)",
                       tag == 2 ? "/" : "", name, r.field, r.field_line, r.field);
            } else {
                add_value(&r, file, lineno, line, n);
            }
        } else if (r.line) { /* inside a record, between fields */
            if (tag == 2 && strcmp(name, "review") == 0) {
                end_record(&r, file);
            } else if (tag == 1 && strcmp(name, "review") == 0) {
                die_at(file, lineno, "<review> inside the record opened at line %ld (missing </review>)",
                       r.line);
            } else if (tag == 1) {
                snprintf(r.field, sizeof r.field, "%s", name);
                r.field_line = lineno;
                field_text(&r, file, lineno);
            } else if (tag == 2) {
                die_at(file, lineno, "</%s> without <%s>", name, name);
            } else if (inline_field(line, n, name, &v0, &v1) && strcmp(name, "review") != 0) {
                snprintf(r.field, sizeof r.field, "%s", name);
                r.field_line = lineno;
                field_text(&r, file, lineno);
                add_value(&r, file, lineno, line + v0, v1 - v0);
                r.field[0] = '\0';
            } else {
                size_t a = 0;
                while (a < n && conv_is_blank((unsigned char)line[a])) a++;
                if (a < n)
                    die_at(file, lineno, "expected a tag line, found '%s'", conv_excerpt(line + a, n - a));
            }
        } else { /* between records */
            if (tag == 1 && strcmp(name, "review") == 0) {
                r.line = lineno;
            } else {
                size_t a = 0;
                while (a < n && conv_is_blank((unsigned char)line[a])) a++;
                if (a < n)
                    die_at(file, lineno, "expected <review>, found '%s'", conv_excerpt(line + a, n - a));
            }
        }
    }
    if (r.field[0]) die_at(file, r.field_line, "<%s> not closed before end of file", r.field);
    if (r.line) die_at(file, r.line, "<review> not closed before end of file");
    conv_text_free(&r.title);
    conv_text_free(&r.body);
    conv_text_free(&r.rating);
    cli_lines_close(&in);
}

static void option(int c, const char *arg)
{
    (void)arg;
    if (c == 'T') use_title = 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"no-title", no_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
    static const conv_prog p = {"senti-from-blitzer", "T", opts, usage, option, NULL, convert, NULL, NULL};
    return conv_main(argc, argv, &p);
}
