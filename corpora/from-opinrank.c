/* from-opinrank.c - senti-from-opinrank: converts OpinRank review files
 * (Ganesan & Zhai 2012; car and hotel reviews) to the canonical
 * rating<TAB>text lines.
 *
 * A file is an optional first line <DOCNO>name</DOCNO>, then records
 *   <DOC>
 *   <DATE>..</DATE> <AUTHOR>..</AUTHOR> <TEXT>..</TEXT> <FAVORITE>..</FAVORITE>
 *   </DOC>
 * with one tag per line (a value may run over several lines) and CRLF or LF
 * line ends.  OpinRank has no per-review rating, so every label is "?";
 * the text is <TEXT>, optionally followed by <FAVORITE>.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "convert.h"

#define NAME_MAX_LEN 31

static int add_favorite = 0;

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Convert OpinRank review files (Ganesan & Zhai 2012) to '?<TAB>text' lines\n"
           "on standard output (OpinRank has no per-review rating).  With no FILE, or\n"
           "FILE -, read standard input.  The text is <TEXT>; every run of blanks\n"
           "becomes one space.  CRLF and LF line ends are both accepted.\n"
           "\n"
           "  -f, --favorite   append the <FAVORITE> field to the text [%s]\n"
           "  -q, --quiet      no notes on standard error\n"
           "  -h, --help       show this help and exit\n"
           "  -V, --version    show the version and exit\n"
           "\n"
           "Exit status: 0 on success, 1 on malformed input (reported as\n"
           "FILE:LINE: reason), 2 on misuse.\n",
           cli_prog, add_favorite ? "yes" : "no");
}

/* If s[0..n) starts with <NAME> (or </NAME> when closing), stores NAME and
 * returns the length of the tag; else 0. */
static size_t open_tag(const char *s, size_t n, int closing, char *name)
{
    size_t i = 1 + (size_t)closing;
    if (n < i + 2 || s[0] != '<' || (closing && s[1] != '/')) return 0;
    size_t a = i;
    while (i < n && i - a <= NAME_MAX_LEN &&
           ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
            s[i] == '_'))
        i++;
    if (i == a || i >= n || s[i] != '>' || i - a > NAME_MAX_LEN) return 0;
    memcpy(name, s + a, i - a);
    name[i - a] = '\0';
    return i + 1;
}

/* Does s[0..n) end with </name>? */
static int ends_with_close(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n >= k + 3 && s[n - k - 3] == '<' && s[n - k - 2] == '/' && memcmp(s + n - k - 1, name, k) == 0 &&
           s[n - 1] == '>';
}

static void convert(const char *path)
{
    cli_lines in;
    cli_lines_open(&in, path);
    const char *file = in.name;
    char *line, name[NAME_MAX_LEN + 1], field[NAME_MAX_LEN + 1] = "";
    long doc_line = 0, field_line = 0;
    int have_text = 0, have_fav = 0;
    conv_text text = {0}, fav = {0}, *into = NULL;
    size_t n;
    while (cli_lines_next(&in, &line, &n)) {
        long lineno = in.ln;
        size_t a = 0;
        if (n && line[n - 1] == '\r') n--;
        if (memchr(line, '\0', n)) die_at(file, lineno, "NUL byte in line");
        while (a < n && conv_is_blank((unsigned char)line[a])) a++;
        while (n > a && conv_is_blank((unsigned char)line[n - 1])) n--;
        const char *s = line + a;
        n -= a;

        if (field[0]) { /* continuation of a multi-line value */
            if ((n == 5 && memcmp(s, "<DOC>", 5) == 0) || (n == 6 && memcmp(s, "</DOC>", 6) == 0))
                die_at(file, lineno, "%.*s inside <%s> opened at line %ld (missing </%s>)", (int)n, s, field,
                       field_line, field);
            int done = ends_with_close(s, n, field);
            if (done) n -= strlen(field) + 3;
            if (into) {
                conv_text_sep(into);
                conv_text_add(into, s, n);
            }
            if (done) field[0] = '\0';
            continue;
        }
        if (n == 0) continue;
        size_t t;
        if (!doc_line) {
            if (open_tag(s, n, 0, name) && strcmp(name, "DOC") == 0 && n == 5) {
                doc_line = lineno;
                have_text = have_fav = 0;
                conv_text_clear(&text);
                conv_text_clear(&fav);
            } else if ((t = open_tag(s, n, 0, name)) && strcmp(name, "DOCNO") == 0 &&
                       ends_with_close(s, n, name)) {
                /* file header */
            } else {
                die_at(file, lineno, "expected <DOC>, found '%s'", conv_excerpt(s, n));
            }
            continue;
        }
        if (open_tag(s, n, 1, name) && n == strlen(name) + 3 && strcmp(name, "DOC") == 0) {
            if (!have_text) die_at(file, doc_line, "record has no <TEXT>");
            if (add_favorite && fav.n) {
                conv_text_sep(&text);
                conv_text_add(&text, fav.s, fav.n);
            }
            conv_emit("?", &text);
            doc_line = 0;
            continue;
        }
        if ((t = open_tag(s, n, 0, name)) == 0)
            die_at(file, lineno, "expected a <TAG> line or </DOC>, found '%s'", conv_excerpt(s, n));
        if (strcmp(name, "DOC") == 0)
            die_at(file, lineno, "<DOC> inside the record opened at line %ld (missing </DOC>)", doc_line);
        into = NULL;
        if (strcmp(name, "TEXT") == 0) {
            if (have_text) die_at(file, lineno, "second <TEXT> in the record opened at line %ld", doc_line);
            have_text = 1;
            into = &text;
        } else if (strcmp(name, "FAVORITE") == 0) {
            if (have_fav) die_at(file, lineno, "second <FAVORITE> in the record opened at line %ld", doc_line);
            have_fav = 1;
            into = &fav;
        }
        s += t;
        n -= t;
        int done = ends_with_close(s, n, name);
        if (done) n -= strlen(name) + 3;
        if (into) conv_text_add(into, s, n);
        if (!done) {
            snprintf(field, sizeof field, "%s", name);
            field_line = lineno;
        }
    }
    if (field[0]) die_at(file, field_line, "<%s> not closed before end of file", field);
    if (doc_line) die_at(file, doc_line, "<DOC> not closed before end of file");
    conv_text_free(&text);
    conv_text_free(&fav);
    cli_lines_close(&in);
}

static void option(int c, const char *arg)
{
    (void)arg;
    if (c == 'f') add_favorite = 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"favorite", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    static const conv_prog p = {"senti-from-opinrank", "f", opts, usage, option, NULL, convert, NULL, NULL};
    return conv_main(argc, argv, &p);
}
