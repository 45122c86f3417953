/* test_sparse.c - the sparse line format: every rejection rule of
 * docs/format.md, round trips of the writer, CSR growth, headers, pipes,
 * streams of several files, expectations, zero-based and qid: input, the
 * VW and fastText formats, comments in batches, excerpts in messages. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "rng.h"
#include "sparse.h"

/* Parse one line with a fresh reader; returns the parse result and copies
 * the error message. */
static int parse(const char *line, size_t len, sparse_row *row, char *err, size_t errlen)
{
    static sparse_reader *r;
    sparse_reader_free(r);
    r = sparse_reader_new(NULL, "t.svm");
    int k = sparse_parse_line(r, line, len, row);
    snprintf(err, errlen, "%s", sparse_reader_error(r));
    return k;
}

static void expect_error(const char *line, const char *want)
{
    sparse_row row;
    char err[512];
    int k = parse(line, strlen(line), &row, err, sizeof err);
    CHECK(k == -1, "'%s' should be rejected", line);
    CHECK(strstr(err, want) != NULL, "'%s': message '%s' should contain '%s'", line, err, want);
    CHECK(strncmp(err, "t.svm:0: ", 9) == 0, "'%s': message '%s' should start with file:line", line, err);
}

static void test_rules(void)
{
    expect_error("1 0:1", "index 0");
    expect_error("1 3:1 2:1", "index 2 not above previous 3");
    expect_error("1 3:1 3:1", "duplicate index 3");
    expect_error("1 2:nan", "not finite");
    expect_error("1 2:inf", "not finite");
    expect_error("1 2:-inf", "not finite");
    expect_error("1 2:1e999", "out of float range");
    expect_error("1 2", "missing ':' after index 2");
    expect_error("1 2:1 foo", "missing ':' in 'foo'");
    expect_error("1 2:", "missing value after '2:'");
    expect_error("1 2: 3:1", "missing value after '2:'");
    expect_error("1 2:1x", "trailing garbage 'x'");
    expect_error("1 2:1.5.5", "trailing garbage");
    expect_error("1 a:1", "bad index 'a:1'");
    expect_error("1 2x:1", "bad index '2x:1'");
    expect_error("1 2:abc", "bad value 'abc'");
    expect_error("abc 2:1", "bad label 'abc'");
    expect_error("4stars 2:1", "bad label '4stars'");
    expect_error("nan 2:1", "label 'nan' is not finite");
    expect_error("", "empty line");
    expect_error("   ", "empty line");
    expect_error("1 99999999999:1", "above the limit");
    expect_error("1 2:1#c", "trailing garbage");
    {
        sparse_row row;
        char err[512];
        const char line[] = "1 2:1\0 3:1";
        int k = parse(line, sizeof line - 1, &row, err, sizeof err);
        CHECK(k == -1 && strstr(err, "NUL byte at column 6"), "NUL rejected: %s", err);
    }
}

static void test_accept(void)
{
    sparse_row row;
    char err[512];
    int k = parse("3 1:1 5:0.5 10:-2 # review 7\r\n", 30, &row, err, sizeof err);
    CHECK(k == 1, "valid line with CRLF and comment accepted: %s", err);
    CHECK(row.has_label && row.label == 3.0, "label 3");
    CHECK(row.n == 3 && row.col[0] == 0 && row.col[1] == 4 && row.col[2] == 9, "0-based columns");
    CHECK(row.val[0] == 1.0f && row.val[1] == 0.5f && row.val[2] == -2.0f, "values");
    CHECK(row.comment && strcmp(row.comment, "review 7") == 0, "comment '%s'", row.comment ? row.comment : "(null)");

    k = parse("? 2:1", 5, &row, err, sizeof err);
    CHECK(k == 1 && !row.has_label && row.n == 1, "'?' is unlabeled");
    k = parse("2:1 4:1", 7, &row, err, sizeof err);
    CHECK(k == 1 && !row.has_label && row.n == 2, "absent label is unlabeled");
    k = parse("-1", 2, &row, err, sizeof err);
    CHECK(k == 1 && row.has_label && row.label == -1.0 && row.n == 0, "label without features");
    k = parse("+1\t2:1  3:1 ", 12, &row, err, sizeof err);
    CHECK(k == 1 && row.label == 1.0 && row.n == 2, "tabs and repeated blanks accepted: %s", err);
    k = parse("4.5 7:1e-3", 10, &row, err, sizeof err);
    CHECK(k == 1 && row.label == 4.5 && row.val[0] == 1e-3f, "decimal label and exponent value");
    k = parse("# any comment", 13, &row, err, sizeof err);
    CHECK(k == 0, "comment line is not a row");
}

static void test_header(void)
{
    sparse_reader *r = sparse_reader_new(NULL, "h");
    sparse_row row;
    const char *h = "# senti sparse dim=5 vocab=0123456789abcdef future=1";
    CHECK(sparse_parse_line(r, h, strlen(h), &row) == 0, "header parsed: %s", sparse_reader_error(r));
    CHECK(sparse_reader_header(r)->dim == 5, "dim from header");
    CHECK(strcmp(sparse_reader_header(r)->vocab, "0123456789abcdef") == 0, "vocab from header");
    CHECK(sparse_parse_line(r, "1 5:1", 5, &row) == 1, "index at dim accepted");
    CHECK(sparse_parse_line(r, "1 6:1", 5, &row) == -1 && strstr(sparse_reader_error(r), "above declared dim=5"),
          "index above declared dim rejected: %s", sparse_reader_error(r));
    const char *h2 = "# senti sparse dim=6";
    CHECK(sparse_parse_line(r, h2, strlen(h2), &row) == -1 && strstr(sparse_reader_error(r), "disagrees"),
          "conflicting header rejected");
    const char *h3 = "# senti sparse dim=x";
    CHECK(sparse_parse_line(r, h3, strlen(h3), &row) == -1, "bad header dim rejected");
    const char *h4 = "# senti sparse vocab=XYZ";
    CHECK(sparse_parse_line(r, h4, strlen(h4), &row) == -1, "bad header vocab rejected");
    sparse_reader_free(r);

    r = sparse_reader_new(NULL, "m");
    sparse_reader_limit(r, 3);
    CHECK(sparse_parse_line(r, "1 4:1", 5, &row) == -1 && strstr(sparse_reader_error(r), "model's input dimension 3"),
          "model limit enforced: %s", sparse_reader_error(r));
    sparse_reader_free(r);
}

static void test_format_roundtrip(void)
{
    rng_t g;
    rng_seed(&g, 42, 0);
    char buf[32];
    int bad = 0, longest = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)rng_next(&g);
        float v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v)) continue;
        int n = sparse_format_float(buf, v);
        if (n > longest) longest = n;
        if (strtof(buf, NULL) != v) bad++;
        /* shortest: one digit fewer must not read back (unless integer path) */
        if (strchr(buf, 'e') == NULL && strchr(buf, '.') != NULL) {
            char shorter[400];
            int digits = 0;
            for (const char *c = buf; *c; c++) digits += (*c >= '0' && *c <= '9');
            if (digits > 1) {
                snprintf(shorter, sizeof shorter, "%.*g", digits - 1, (double)v);
                if (strtof(shorter, NULL) == v && strlen(shorter) < strlen(buf)) bad++;
            }
        }
    }
    CHECK(bad == 0, "%d floats did not round-trip through the shortest text", bad);
    CHECK(longest <= 16, "float text at most 16 chars (%d)", longest);
    sparse_format_float(buf, 0.1f);
    CHECK(strcmp(buf, "0.1") == 0, "0.1f prints as 0.1 (%s)", buf);
    sparse_format_float(buf, 1.0f / 3.0f);
    CHECK(strcmp(buf, "0.33333334") == 0, "1/3 prints as 0.33333334 (%s)", buf);
    sparse_format_float(buf, 250.0f);
    CHECK(strcmp(buf, "250") == 0, "250");
    sparse_format_double(buf, 4.0);
    CHECK(strcmp(buf, "4") == 0, "label 4");
    sparse_format_double(buf, 0.1);
    CHECK(strcmp(buf, "0.1") == 0, "label 0.1");
    for (int i = 0; i < 20000; i++) {
        double d = (rng_uniform(&g) - 0.5) * pow(10.0, (double)(int)rng_below(&g, 30) - 15);
        sparse_format_double(buf, d);
        if (strtod(buf, NULL) != d) bad++;
    }
    CHECK(bad == 0, "doubles round-trip");
}

/* The arithmetic fast path gives exactly the text of the snprintf/strtof
 * reference: uniform [0,1) floats (encoded activations), log-uniform
 * magnitudes across the fast path's range and beyond, both signs, and the
 * neighbours of powers of ten and of short decimals. */
static void test_format_fast_matches_ref(void)
{
    rng_t g;
    rng_seed(&g, 7, 0);
    char a[32], b[32];
    int bad = 0, n = 0;
    for (int i = 0; i < 400000; i++) {
        float v;
        switch (i % 4) {
        case 0: v = (float)rng_uniform(&g); break;
        case 1: v = (float)pow(10.0, rng_uniform(&g) * 20.0 - 12.0); break;
        case 2: v = -(float)pow(10.0, rng_uniform(&g) * 20.0 - 12.0); break;
        default: { /* neighbours of d / 10^k, d of 1..4 digits */
            double d = (double)(1 + rng_below(&g, 9999)) / pow(10.0, (double)rng_below(&g, 14));
            float f = (float)d;
            int step = (int)rng_below(&g, 5) - 2;
            for (; step > 0; step--) f = nextafterf(f, INFINITY);
            for (; step < 0; step++) f = nextafterf(f, 0.0f);
            v = f;
        }
        }
        sparse_format_float(a, v);
        sparse_format_float_ref(b, v);
        if (strcmp(a, b) != 0) {
            if (bad < 5) fprintf(stderr, "  %.9g: fast %s, reference %s\n", (double)v, a, b);
            bad++;
        }
        n++;
    }
    CHECK(bad == 0, "fast float text equals the reference for %d floats (%d differ)", n, bad);
}

/* Write random rows, read them back: same rows (pipes: tests/sh/sparse.sh). */
static void test_write_read_csr(void)
{
    FILE *w = tmpfile();
    rng_t g;
    rng_seed(&g, 7, 0);
    enum { ROWS = 300 };
    static uint32_t cols[ROWS][64];
    static float vals[ROWS][64];
    static size_t ns[ROWS];
    sparse_write_header(w, 100000, "00000000deadbeef");
    for (int i = 0; i < ROWS; i++) {
        size_t n = (size_t)rng_below(&g, 64);
        uint32_t c = 0;
        for (size_t j = 0; j < n; j++) {
            c += 1 + (uint32_t)rng_below(&g, 1000);
            cols[i][j] = c;
            vals[i][j] = (j % 3 == 0) ? 1.0f : (float)rng_normal(&g);
        }
        ns[i] = n;
        sparse_write_row(w, i % 5 != 0, (double)(i % 5), n, cols[i], vals[i], i % 7 == 0 ? "c" : NULL);
    }
    rewind(w);
    FILE *rf = w;
    sparse_reader *r = sparse_reader_new(rf, "tmp");
    sparse_csr *m = sparse_csr_new();
    int k = sparse_csr_read(m, r);
    CHECK(k == 0, "read back: %s", sparse_reader_error(r));
    CHECK(m->rows == ROWS, "rows %zu", m->rows);
    CHECK(m->dim == 100000 && strcmp(m->header.vocab, "00000000deadbeef") == 0, "header kept in CSR");
    int bad = 0;
    for (size_t i = 0; i < m->rows && i < ROWS; i++) {
        sparse_row row;
        sparse_csr_row(m, i, &row);
        if (row.n != ns[i] || row.has_label != (i % 5 != 0)) bad++;
        for (size_t j = 0; j < row.n && j < ns[i]; j++)
            if (row.col[j] != cols[i][j] || row.val[j] != vals[i][j]) bad++;
    }
    CHECK(bad == 0, "%d mismatches after write/read", bad);
    sparse_csr_free(m);
    sparse_reader_free(r);
    fclose(rf);
}

/* A line longer than any buffer (4 MB) is read whole. */
static void test_long_line(void)
{
    char path[] = "/tmp/senti-test-sparse-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w+");
    fputs("5", f);
    for (uint32_t i = 1; i <= 400000; i++) fprintf(f, " %u:1", i);
    fputs("\n1 3:1", f); /* no trailing newline */
    rewind(f);
    sparse_reader *r = sparse_reader_new(f, path);
    sparse_row row;
    CHECK(sparse_next(r, &row) == 1 && row.n == 400000, "long line read whole");
    CHECK(sparse_next(r, &row) == 1 && row.n == 1, "last line without newline read");
    CHECK(sparse_next(r, &row) == 0, "then end of input");
    CHECK(sparse_reader_line(r) == 2, "line count");
    sparse_reader_free(r);
    fclose(f);
    unlink(path);
}

/* Minibatches: gather rows in a given order, then again into the same
 * matrix (cleared, capacity reused), against the rows themselves. */
static void test_gather(void)
{
    sparse_csr *m = sparse_csr_new(), *b = sparse_csr_new();
    uint32_t cols[3] = {0, 4, 9};
    float vals[3] = {1, 2, 3};
    for (int i = 0; i < 6; i++) {
        sparse_row row = {i != 2, (double)i, (size_t)(i % 4), cols, vals, NULL};
        CHECK(sparse_csr_append(m, &row) == 0, "append row %d", i);
    }
    const size_t idx1[4] = {5, 0, 3, 3}, idx2[2] = {2, 1};
    for (int pass = 0; pass < 2; pass++) {
        const size_t *idx = pass ? idx2 : idx1;
        size_t n = pass ? 2 : 4;
        CHECK(sparse_csr_gather(b, m, idx, n) == 0 && b->rows == n, "gather %zu rows (pass %d)", n, pass);
        int bad = 0;
        size_t nnz = 0;
        for (size_t i = 0; i < n; i++) {
            sparse_row x, y;
            sparse_csr_row(m, idx[i], &x);
            sparse_csr_row(b, i, &y);
            nnz += x.n;
            if (x.n != y.n || x.has_label != y.has_label || x.label != y.label) bad++;
            for (size_t j = 0; j < x.n && j < y.n; j++)
                if (x.col[j] != y.col[j] || x.val[j] != y.val[j]) bad++;
        }
        CHECK(bad == 0 && b->nnz == nnz && b->dim == m->dim, "gathered rows equal the source rows (pass %d)", pass);
    }
    sparse_csr_clear(b);
    CHECK(b->rows == 0 && b->nnz == 0 && b->rowptr[0] == 0, "clear empties the batch");
    sparse_csr_free(m);
    sparse_csr_free(b);
}

/* Read all of text (a file's bytes) into r as one more file of its stream;
 * returns the last sparse_next result and counts rows in *rows. */
static int read_text(sparse_reader *r, const char *text, const char *name, size_t *rows)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    sparse_reader_next_file(r, f, name);
    sparse_row row;
    int k;
    *rows = 0;
    while ((k = sparse_next(r, &row)) == 1) (*rows)++;
    fclose(f);
    return k;
}

/* Several files are one stream: headers carry over, line numbers restart. */
static void test_stream(void)
{
    size_t rows;
    sparse_reader *r = sparse_reader_new(NULL, "x");
    CHECK(read_text(r, "# senti sparse dim=5\n1 3:1\n", "a", &rows) == 0 && rows == 1, "first file");
    CHECK(read_text(r, "1 4:1\n2 6:1\n", "b", &rows) == -1, "index 6 after dim=5 of an earlier file refused");
    CHECK(strcmp(sparse_reader_error(r), "b:2: index 6 above declared dim=5 (a:1)") == 0, "message: %s",
          sparse_reader_error(r));
    sparse_reader_free(r);

    r = sparse_reader_new(NULL, "x");
    read_text(r, "1 6:1\n", "a", &rows);
    CHECK(read_text(r, "# senti sparse dim=5\n", "b", &rows) == -1 &&
              strcmp(sparse_reader_error(r), "b:1: header dim=5 is below index 6 seen earlier") == 0,
          "a later dim= below an earlier index: %s", sparse_reader_error(r));
    sparse_reader_free(r);

    r = sparse_reader_new(NULL, "x");
    read_text(r, "# senti sparse vocab=00000000000000aa\n1 6:1\n", "a", &rows);
    CHECK(read_text(r, "# senti sparse dim=9 vocab=00000000000000bb\n", "b", &rows) == -1 &&
              strcmp(sparse_reader_error(r),
                     "b:1: header vocab=00000000000000bb disagrees with earlier vocab=00000000000000aa (a:1)") == 0,
          "vocab of a later file: %s", sparse_reader_error(r));
    sparse_reader_free(r);

    r = sparse_reader_new(NULL, "x");
    read_text(r, "1 2:1\n", "a", &rows);
    CHECK(read_text(r, "# senti sparse dim=9 vocab=00000000000000bb\n1 9:1\n", "b", &rows) == 0 && rows == 1,
          "a header in a later file: %s", sparse_reader_error(r));
    CHECK(sparse_reader_header(r)->dim == 9 && strcmp(sparse_reader_header(r)->vocab, "00000000000000bb") == 0,
          "its header is the stream's");
    CHECK(sparse_reader_line(r) == 2, "lines counted per file");
    sparse_reader_free(r);
}

/* The expectation is checked at every header line, before or after rows. */
static void test_expect(void)
{
    size_t rows;
    sparse_reader *r = sparse_reader_new(NULL, "x");
    sparse_reader_expect(r, 60, "00000000000000aa", "the model");
    CHECK(read_text(r, "1 3:1\n# senti sparse vocab=00000000000000bb\n", "f", &rows) == -1 &&
              strcmp(sparse_reader_error(r), "f:2: vocabulary digest 00000000000000bb differs from the model's "
                                             "00000000000000aa") == 0,
          "a digest after rows: %s", sparse_reader_error(r));
    sparse_reader_free(r);
    r = sparse_reader_new(NULL, "x");
    sparse_reader_expect(r, 60, "00000000000000aa", "the layer");
    CHECK(read_text(r, "# senti sparse dim=61\n", "f", &rows) == -1 &&
              strcmp(sparse_reader_error(r), "f:1: header dim=61 does not match the layer's input dimension 60") == 0,
          "a dim= above the expectation: %s", sparse_reader_error(r));
    sparse_reader_free(r);
    r = sparse_reader_new(NULL, "x");
    sparse_reader_expect(r, 60, "00000000000000aa", "the model");
    CHECK(read_text(r, "# senti sparse dim=20 vocab=00000000000000aa\n1 20:1\n1 3:1\n", "f", &rows) == 0 &&
              rows == 2,
          "an agreeing header and a smaller dim= are accepted: %s", sparse_reader_error(r));
    CHECK(read_text(r, "1 60:1\n", "g", &rows) == -1 && strstr(sparse_reader_error(r), "above declared dim=20 (f:1)"),
          "the stream's dim applies to later files: %s", sparse_reader_error(r));
    sparse_reader_free(r);
    r = sparse_reader_new(NULL, "x");
    sparse_reader_expect(r, 60, "00000000000000aa", "the model");
    CHECK(read_text(r, "1 61:1\n", "f", &rows) == -1 &&
              strcmp(sparse_reader_error(r), "f:1: index 61 above the model's input dimension 60") == 0,
          "an index above the expectation: %s", sparse_reader_error(r));
    sparse_reader_free(r);
}

static void test_zero_based_qid(void)
{
    sparse_reader *r = sparse_reader_new(NULL, "z");
    sparse_reader_flags(r, SPARSE_ZERO_BASED);
    sparse_row row;
    CHECK(sparse_parse_line(r, "1 0:1 4:2", 9, &row) == 1 && row.n == 2 && row.col[0] == 0 && row.col[1] == 4,
          "zero-based: index i is column i");
    const char *h = "# senti sparse dim=5";
    CHECK(sparse_parse_line(r, h, strlen(h), &row) == 0, "dim=5 after column 4");
    CHECK(sparse_parse_line(r, "1 5:1", 5, &row) == -1 &&
              strstr(sparse_reader_error(r), "zero-based index 5 not below declared dim=5"),
          "zero-based index 5 beyond dim=5: %s", sparse_reader_error(r));
    sparse_reader_free(r);
    r = sparse_reader_new(NULL, "z");
    sparse_reader_flags(r, SPARSE_ZERO_BASED);
    CHECK(sparse_parse_line(r, "1 2147483646:1", 14, &row) == 1 && row.col[0] == 2147483646u, "largest zero-based");
    CHECK(sparse_parse_line(r, "1 2147483647:1", 14, &row) == -1, "2^31-1 is beyond zero-based");
    sparse_reader_free(r);

    sparse_row q;
    char err[512];
    CHECK(parse("3 qid:7 2:1", 11, &q, err, sizeof err) == 1 && q.label == 3 && q.n == 1 && q.col[0] == 1,
          "qid: skipped: %s", err);
    CHECK(parse("qid:7 2:1", 9, &q, err, sizeof err) == 1 && !q.has_label && q.n == 1, "qid: without a label");
    CHECK(parse("3 qid: 2:1", 10, &q, err, sizeof err) == -1 && strstr(err, "bad qid 'qid:'"), "empty qid: %s", err);
    CHECK(parse("3 2:1 qid:7", 11, &q, err, sizeof err) == -1, "qid: after features refused");
}

static uint32_t lookup3(void *arg, const char *s, size_t n)
{
    (void)arg;
    static const char *const t[] = {"good", "bad", "ugly"};
    for (uint32_t i = 0; i < 3; i++)
        if (strlen(t[i]) == n && memcmp(t[i], s, n) == 0) return i + 1;
    return 0;
}

static int parse_fmt(int fmt, sparse_lookup_fn lk, const char *line, sparse_row *row, char *err, size_t errlen)
{
    static sparse_reader *r;
    sparse_reader_free(r);
    r = sparse_reader_new(NULL, "f");
    sparse_reader_format(r, fmt, lk, NULL);
    int k = sparse_parse_line(r, line, strlen(line), row);
    snprintf(err, errlen, "%s", sparse_reader_error(r));
    return k;
}

static void test_formats(void)
{
    sparse_row row;
    char err[512];
    CHECK(parse_fmt(SPARSE_FMT_VW, NULL, "4 'id7 | 9:2 3 3:0.5", &row, err, sizeof err) == 1, "vw line: %s", err);
    CHECK(row.has_label && row.label == 4 && row.n == 2 && row.col[0] == 2 && row.val[0] == 1.5f &&
              row.col[1] == 8 && row.val[1] == 2 && row.comment && !strcmp(row.comment, "id7"),
          "vw: sorted, repeats added, tag as comment");
    CHECK(parse_fmt(SPARSE_FMT_VW, lookup3, "|ns good ugly:3 other", &row, err, sizeof err) == 1 && !row.has_label &&
              row.n == 2 && row.col[1] == 2 && row.val[1] == 3,
          "vw names through the lookup, unknown dropped: %s", err);
    CHECK(parse_fmt(SPARSE_FMT_VW, NULL, "1 | good", &row, err, sizeof err) == -1 && strstr(err, "not an index"),
          "vw name without lookup");
    CHECK(parse_fmt(SPARSE_FMT_FASTTEXT, lookup3, "bad __label__2 good bad x", &row, err, sizeof err) == 1 &&
              row.label == 2 && row.n == 2 && row.col[0] == 0 && row.val[0] == 1 && row.col[1] == 1 && row.val[1] == 2,
          "fasttext: label anywhere, counts: %s", err);
    CHECK(parse_fmt(SPARSE_FMT_FASTTEXT, NULL, "", &row, err, sizeof err) == 1 && !row.has_label && row.n == 0,
          "fasttext: an empty line is an empty unlabeled row");
    CHECK(parse_fmt(SPARSE_FMT_FASTTEXT, NULL, "__label__a 1", &row, err, sizeof err) == -1 &&
              strstr(err, "label '__label__a' is not a number"),
          "fasttext: word label refused");

    /* the writer: each format, and reading its output back */
    static const char *const names[] = {"good", "bad", "ugly"};
    uint32_t cols[2] = {0, 2};
    float vals[2] = {1, 2};
    sparse_row in = {1, 5, 2, cols, vals, "a b"};
    for (int fmt = 0; fmt < 3; fmt++) {
        for (int named = 0; named < 2; named++) {
            char *buf = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&buf, &len);
            sparse_writer w;
            sparse_writer_init(&w, m);
            w.format = fmt;
            if (named) w.names = names, w.nnames = 3;
            CHECK(sparse_writer_row(&w, &in) == 0, "format %d writes: %s", fmt, w.err);
            fclose(m);
            sparse_row back;
            int k = parse_fmt(fmt, named && fmt ? lookup3 : NULL, buf, &back, err, sizeof err);
            CHECK(k == 1 && back.label == 5 && back.n == 2 && back.col[1] == 2 && back.val[1] == 2,
                  "format %d%s reads its own line back ('%s'): %s", fmt, named ? " named" : "", buf, err);
            free(buf);
        }
    }
    sparse_writer w;
    FILE *m = tmpfile();
    sparse_writer_init(&w, m);
    w.format = SPARSE_FMT_FASTTEXT;
    vals[1] = 0.5f;
    CHECK(sparse_writer_row(&w, &in) == -2 && strstr(w.err, "not a count"), "fastText refuses a non-count");
    w.format = SPARSE_FMT_SENTI;
    w.unlabeled_as_set = 1;
    w.unlabeled_as = -1;
    sparse_row unl = {0, 0, 0, cols, vals, NULL};
    CHECK(sparse_writer_header(&w, 0, "00000000000000aa") == 0 && sparse_writer_header(&w, 0, "00000000000000aa") == 0 &&
              sparse_writer_header(&w, 7, NULL) == 0 && sparse_writer_row(&w, &unl) == 0,
          "headers and a row");
    rewind(m);
    char line[256] = "";
    size_t got = fread(line, 1, sizeof line - 1, m);
    line[got] = 0;
    CHECK(strcmp(line, "# senti sparse vocab=00000000000000aa\n# senti sparse dim=7 vocab=00000000000000aa\n-1\n") == 0,
          "a header only when it adds, then '?' as -1: '%s'", line);
    fclose(m);
}

/* Batches keep comments when asked (senti-predict, senti-encode). */
static void test_csr_comments(void)
{
    sparse_csr *m = sparse_csr_new(), *b = sparse_csr_new();
    m->keep_comments = b->keep_comments = 1;
    uint32_t c = 3;
    float v = 1;
    for (int i = 0; i < 600; i++) {
        char txt[32];
        snprintf(txt, sizeof txt, "id %d", i);
        sparse_row row = {1, (double)i, 1, &c, &v, i % 3 ? txt : NULL};
        CHECK(sparse_csr_append(m, &row) == 0, "append %d", i);
    }
    int bad = 0;
    for (size_t i = 0; i < m->rows; i++) {
        sparse_row row;
        sparse_csr_row(m, i, &row);
        char txt[32];
        snprintf(txt, sizeof txt, "id %zu", i);
        if (i % 3 ? !row.comment || strcmp(row.comment, txt) : row.comment != NULL) bad++;
    }
    CHECK(bad == 0, "%d comments wrong", bad);
    const size_t idx[2] = {5, 3};
    sparse_csr_gather(b, m, idx, 2);
    sparse_row r0, r1;
    sparse_csr_row(b, 0, &r0);
    sparse_csr_row(b, 1, &r1);
    CHECK(r0.comment && !strcmp(r0.comment, "id 5") && !r1.comment, "gather keeps comments");
    sparse_csr_clear(b);
    CHECK(b->clen == 0, "clear drops them");
    sparse_csr *plain = sparse_csr_new();
    sparse_row row = {1, 1, 1, &c, &v, "x"};
    sparse_csr_append(plain, &row);
    sparse_csr_row(plain, 0, &row);
    CHECK(row.comment == NULL && plain->ctext == NULL, "without keep_comments nothing is stored");
    sparse_csr_free(plain);
    sparse_csr_free(m);
    sparse_csr_free(b);
}

/* Bytes quoted in messages go through buf_excerpt. */
static void test_excerpts(void)
{
    sparse_row row;
    char err[512];
    parse("caf\xc3\xa9 3:1", 9, &row, err, sizeof err);
    CHECK(strstr(err, "bad label 'caf\xc3\xa9'") != NULL, "valid UTF-8 kept: %s", err);
    parse("1 3:1\x01", 6, &row, err, sizeof err);
    CHECK(strstr(err, "trailing garbage '\\x01'") != NULL, "control byte as \\x01: %s", err);
    parse("\xff 3:1", 5, &row, err, sizeof err);
    CHECK(strstr(err, "bad label '\\xff'") != NULL, "invalid byte as \\xff: %s", err);
}

int main(void)
{
    test_stream();
    test_expect();
    test_zero_based_qid();
    test_formats();
    test_csr_comments();
    test_excerpts();
    test_gather();
    test_rules();
    test_accept();
    test_header();
    test_format_roundtrip();
    test_format_fast_matches_ref();
    test_write_read_csr();
    test_long_line();
    return check_report();
}
