/* from-ratings.c - senti-from-ratings: converts rating triples
 *
 *     user item rating [timestamp]
 *
 * (fields separated by a TAB, blanks, "::" as in MovieLens ratings.dat, or
 * commas as in MovieLens ratings.csv, whose header line is skipped) into a
 * rating matrix as sparse lines: one line per item (the default; the
 * "V" matrix of Strub & Mary 2015, whose columns are users) or per user
 * (--by user), value = rating.  Ids are any words; lines and columns are
 * numbered in the sorted order of their ids (ids of digits by value, then
 * others by bytes), so the output does not depend on the input's order.
 * --key FILE writes the map from line numbers and column indices back to
 * the ids.  Duplicate (user, item) pairs and ratings outside --scale stop
 * the conversion with file:line.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"
#include "cli.h"
#include "convert.h"
#include "sparse.h"
#include "strtab.h"

static int by_user;
static int id_labels;
static const char *key_path;
static cf_scale scale;
static int scale_given;

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Convert 'user item rating [timestamp]' lines (files, or stdin when none\n"
           "or '-') to a rating matrix of sparse lines on standard output: one line\n"
           "per item, its users' ratings as index:rating (or one line per user with\n"
           "--by user).  Fields are separated by a TAB, blanks, '::' or ','; a first\n"
           "line whose rating field is not a number is a header and is skipped\n"
           "(MovieLens ratings.csv).  Lines and columns follow the sorted ids.\n"
           "\n"
           "  -b, --by WHAT       item or user: what one output line is [%s]\n"
           "  -k, --key FILE      write the key: the id of every line and column\n"
           "                      [none]\n"
           "  -S, --scale MIN,MAX refuse ratings outside [MIN, MAX] [%s]\n"
           "  -i, --id-labels     the line's id as its label (ids must be numbers)\n"
           "                      [label '?']\n"
           "  -q, --quiet         no notes on standard error\n"
           "  -h, --help          show this help and exit\n"
           "  -V, --version       show the version and exit\n"
           "\n"
           "The key file has the lines 'line<TAB>N<TAB>ID' and 'column<TAB>J<TAB>ID'\n"
           "(1-based, in order).  Exit status: 0 on success, 1 on malformed input\n"
           "(FILE:LINE: reason: a bad line, a repeated (user, item) pair, a rating\n"
           "outside the scale), 2 on misuse.\n",
           cli_prog, by_user ? "user" : "item", scale_given ? "given" : "none: any finite rating");
}

/* ------------------------------------------------------------------------
 * ids: interned words, numbered in order of first appearance */

typedef struct ids {
    strtab tab;    /* the words; an entry's rank is its id + 1 */
    uint64_t *off; /* by id: where the word is in tab's arena */
    size_t *len;
    size_t n, cap;
} ids;

/* The word of an id, NUL-terminated. */
static const char *id_str(const ids *d, size_t i)
{
    return d->tab.arena + d->off[i];
}

static uint32_t ids_get(ids *d, const char *s, size_t n, const char *file, long line)
{
    int added;
    strtab_entry *e = strtab_add(&d->tab, s, n, strtab_hash(s, n), &added);
    if (!e) {
        if (d->tab.n >= 2147483647u) die_at(file, line, "more than 2147483647 distinct ids");
        die("out of memory");
    }
    if (!added) return e->rank - 1;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->off = xreallocarray(d->off, d->cap, sizeof *d->off);
        d->len = xreallocarray(d->len, d->cap, sizeof *d->len);
    }
    d->off[d->n] = e->off;
    d->len[d->n] = n;
    e->rank = (uint32_t)d->n + 1;
    return (uint32_t)d->n++;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return n > 0;
}

/* ids of digits first, by value (leading zeros ignored, then bytes), then
 * the others by bytes */
static const ids *sort_ids;
static int cmp_id(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    const char *x = id_str(sort_ids, i), *y = id_str(sort_ids, j);
    size_t nx = sort_ids->len[i], ny = sort_ids->len[j];
    int dx = all_digits(x, nx), dy = all_digits(y, ny);
    if (dx != dy) return dy - dx;
    if (dx) {
        const char *x0 = x, *y0 = y;
        size_t ax = nx, ay = ny;
        while (ax > 1 && *x0 == '0') x0++, ax--;
        while (ay > 1 && *y0 == '0') y0++, ay--;
        if (ax != ay) return ax < ay ? -1 : 1;
        int c = memcmp(x0, y0, ax);
        if (c) return c;
    }
    size_t m = nx < ny ? nx : ny;
    int c = memcmp(x, y, m);
    if (c) return c;
    return (nx > ny) - (nx < ny);
}

/* rank[id] = position of the id in sorted order */
static uint32_t *id_ranks(const ids *d)
{
    uint32_t *order = xmallocarray(d->n ? d->n : 1, sizeof *order);
    for (size_t i = 0; i < d->n; i++) order[i] = (uint32_t)i;
    sort_ids = d;
    qsort(order, d->n, sizeof *order, cmp_id);
    uint32_t *rank = xmallocarray(d->n ? d->n : 1, sizeof *rank);
    for (size_t i = 0; i < d->n; i++) rank[order[i]] = (uint32_t)i;
    free(order);
    return rank;
}

/* ------------------------------------------------------------------------
 * the ratings */

typedef struct rating {
    uint32_t row, col; /* ids, then ranks */
    float val;
    uint32_t file;
    long line;
} rating;

static ids users, items;
static rating *rt;
static size_t nrt, caprt;
static const char **file_names;
static uint32_t nfiles;

/* Splits line s[0..n) into at most 5 fields; returns the count. */
static size_t split_fields(char *s, size_t n, char **f, size_t *fl)
{
    size_t nf = 0, i = 0;
    int dcolon = 0;
    for (size_t k = 0; k + 1 < n && !dcolon; k++) dcolon = s[k] == ':' && s[k + 1] == ':';
    int comma = !dcolon && memchr(s, ',', n) != NULL;
    while (n && (s[n - 1] == '\r')) n--;
    if (dcolon || comma) {
        for (;;) {
            size_t j = i;
            if (dcolon) {
                while (j < n && !(s[j] == ':' && j + 1 < n && s[j + 1] == ':')) j++;
            } else {
                while (j < n && s[j] != ',') j++;
            }
            if (nf < 5) f[nf] = s + i, fl[nf] = j - i;
            nf++;
            if (j >= n) break;
            i = j + (dcolon ? 2 : 1);
        }
        /* blanks around fields are allowed */
        for (size_t k = 0; k < nf && k < 5; k++) {
            while (fl[k] && (f[k][0] == ' ' || f[k][0] == '\t')) f[k]++, fl[k]--;
            while (fl[k] && (f[k][fl[k] - 1] == ' ' || f[k][fl[k] - 1] == '\t')) fl[k]--;
        }
        return nf;
    }
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i >= n) break;
        size_t j = i;
        while (j < n && s[j] != ' ' && s[j] != '\t') j++;
        if (nf < 5) f[nf] = s + i, fl[nf] = j - i;
        nf++;
        i = j;
    }
    return nf;
}

static int parse_num(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (*end || end == tmp) return -1;
    *out = v;
    return 0;
}

static void read_file(const char *path)
{
    cli_lines in;
    cli_lines_open(&in, path);
    file_names = xreallocarray(file_names, nfiles + 1, sizeof *file_names);
    file_names[nfiles] = xstrdup(in.name);
    char *line;
    size_t len;
    while (cli_lines_next(&in, &line, &len)) {
        if (memchr(line, '\0', len)) die_at(in.name, in.ln, "NUL byte");
        char *f[5];
        size_t fl[5];
        size_t nf = split_fields(line, len, f, fl);
        if (nf == 0) die_at(in.name, in.ln, "empty line");
        if (nf < 3) die_at(in.name, in.ln, "%zu field%s, want 'user item rating [timestamp]'", nf, nf == 1 ? "" : "s");
        if (nf > 4) die_at(in.name, in.ln, "%zu fields, want 'user item rating [timestamp]'", nf);
        double r;
        if (parse_num(f[2], fl[2], &r) != 0) {
            if (in.ln == 1) continue; /* a header line (userId,movieId,rating,timestamp) */
            die_at(in.name, in.ln, "rating '%s' is not a number", conv_excerpt(f[2], fl[2]));
        }
        if (!isfinite(r) || fabs(r) > 3.4e38) die_at(in.name, in.ln, "rating '%s' is not finite", conv_excerpt(f[2], fl[2]));
        if (scale_given && !(r >= scale.lo && r <= scale.hi))
            die_at(in.name, in.ln, "rating %s outside the scale [%g, %g]", conv_excerpt(f[2], fl[2]), scale.lo, scale.hi);
        if (fl[0] == 0 || fl[1] == 0) die_at(in.name, in.ln, "empty %s id", fl[0] == 0 ? "user" : "item");
        if (nf == 4) {
            double ts;
            if (parse_num(f[3], fl[3], &ts) != 0)
                die_at(in.name, in.ln, "timestamp '%s' is not a number", conv_excerpt(f[3], fl[3]));
        }
        uint32_t u = ids_get(&users, f[0], fl[0], in.name, in.ln);
        uint32_t it = ids_get(&items, f[1], fl[1], in.name, in.ln);
        if (nrt == caprt) {
            caprt = caprt ? caprt * 2 : 65536;
            rt = xreallocarray(rt, caprt, sizeof *rt);
        }
        rt[nrt++] = (rating){by_user ? u : it, by_user ? it : u, (float)r, nfiles, in.ln};
    }
    cli_lines_close(&in);
    nfiles++;
}

static int cmp_rating(const void *a, const void *b)
{
    const rating *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    if (x->file != y->file) return x->file < y->file ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static void opt(int c, const char *arg)
{
    switch (c) {
    case 'b':
        if (strcmp(arg, "item") == 0) by_user = 0;
        else if (strcmp(arg, "user") == 0) by_user = 1;
        else die_usage("--by: '%s' is neither item nor user", arg);
        break;
    case 'k': key_path = arg; break;
    case 'S':
        if (cf_scale_parse(arg, &scale) != 0) die_usage("--scale: '%s' is not MIN,MAX with MIN < MAX", arg);
        scale_given = 1;
        break;
    case 'i': id_labels = 1; break;
    }
}

static cli_out *key;

/* the key file is checked before any input is read */
static void ready(void)
{
    key = key_path ? cli_out_open(key_path) : NULL;
}

/* every file read: the lines, then the key */
static void done(void)
{
    ids *rows = by_user ? &users : &items, *cols = by_user ? &items : &users;
    uint32_t *rrank = id_ranks(rows), *crank = id_ranks(cols);
    for (size_t i = 0; i < nrt; i++) rt[i].row = rrank[rt[i].row], rt[i].col = crank[rt[i].col];
    qsort(rt, nrt, sizeof *rt, cmp_rating);
    for (size_t i = 1; i < nrt; i++)
        if (rt[i].row == rt[i - 1].row && rt[i].col == rt[i - 1].col) {
            const rating *a = &rt[i - 1], *b = &rt[i];
            if (a->file == b->file)
                die_at(file_names[b->file], b->line, "the (user, item) pair of line %ld again", a->line);
            die_at(file_names[b->file], b->line, "the (user, item) pair of %s:%ld again", file_names[a->file], a->line);
        }
    /* ids in sorted order */
    size_t nr = rows->n, nc = cols->n;
    uint32_t *rid = xmallocarray(nr ? nr : 1, sizeof *rid), *cid = xmallocarray(nc ? nc : 1, sizeof *cid);
    for (size_t i = 0; i < nr; i++) rid[rrank[i]] = (uint32_t)i;
    for (size_t i = 0; i < nc; i++) cid[crank[i]] = (uint32_t)i;
    double *lab = NULL;
    if (id_labels) {
        lab = xmallocarray(nr ? nr : 1, sizeof *lab);
        for (size_t i = 0; i < nr; i++)
            if (parse_num(id_str(rows, rid[i]), rows->len[rid[i]], &lab[i]) != 0 || !isfinite(lab[i]))
                die("--id-labels: the %s id '%s' is not a number", by_user ? "user" : "item",
                    conv_excerpt(id_str(rows, rid[i]), rows->len[rid[i]]));
    }

    if (nc && sparse_write_header(stdout, (uint32_t)nc, NULL) != 0) die_stdout();
    uint32_t *col = xmallocarray(nc ? nc : 1, sizeof *col);
    float *val = xmallocarray(nc ? nc : 1, sizeof *val);
    for (size_t i = 0, e = 0; i < nr; i++) {
        size_t k = 0;
        for (; e < nrt && rt[e].row == i; e++) col[k] = rt[e].col, val[k++] = rt[e].val;
        if (sparse_write_row(stdout, id_labels, id_labels ? lab[i] : 0, k, col, val, NULL) != 0) die_stdout();
    }
    if (key) {
        fprintf(key->f, "# senti-from-ratings key: lines are %ss, columns %ss; %zu lines, %zu columns, %zu ratings\n",
                by_user ? "user" : "item", by_user ? "item" : "user", nr, nc, nrt);
        for (size_t i = 0; i < nr; i++) fprintf(key->f, "line\t%zu\t%s\n", i + 1, id_str(rows, rid[i]));
        for (size_t i = 0; i < nc; i++) fprintf(key->f, "column\t%zu\t%s\n", i + 1, id_str(cols, cid[i]));
        if (ferror(key->f)) cli_out_die(key);
        cli_out_commit(key);
    }
    note("%zu ratings: %zu %ss (lines) x %zu %ss (columns)", nrt, nr, by_user ? "user" : "item", nc,
         by_user ? "item" : "user");
    free(col);
    free(val);
    free(lab);
    free(rid);
    free(cid);
    free(rrank);
    free(crank);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"by", required_argument, 0, 'b'},
                                             {"key", required_argument, 0, 'k'},
                                             {"scale", required_argument, 0, 'S'},
                                             {"id-labels", no_argument, 0, 'i'},
                                             {0, 0, 0, 0}};
    static const conv_prog p = {"senti-from-ratings", "b:k:S:i", longopts, usage, opt, ready, read_file, done, NULL};
    return conv_main(argc, argv, &p);
}
