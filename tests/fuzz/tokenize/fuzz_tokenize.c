/* fuzz_tokenize.c - libFuzzer harness of the tokenizer (lib/text.c).
 *
 * The first byte picks the options (HTML stripping, punctuation tokens,
 * negation, n-grams, stemming, minimum length, strict UTF-8, no folding);
 * the rest is the text, in a buffer of exactly its size (no padding, so
 * any read past the end is caught).  Checks: the output has single spaces
 * between tokens and no blank, control byte or invalid UTF-8; and the
 * hand-coded ASCII scanner gives the same tokens as PCRE2 (--pcre-only).
 * Then the text goes through the block line reader and the rating parser. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static text_tok *tok[256][2];

static text_tok *get(unsigned o, int pcre_only)
{
    if (tok[o][pcre_only]) return tok[o][pcre_only];
    text_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.html = o & 1;
    opts.punct = (o >> 1) & 1;
    opts.negate = (o >> 2) & 1;
    opts.ngrams = (o >> 3) & 1 ? 3 : 1;
    opts.stem = (o >> 4) & 1 ? "english" : NULL;
    opts.min_len = (o >> 5) & 1 ? 2 : 1;
    opts.strict = (o >> 6) & 1;
    opts.no_fold = (o >> 7) & 1;
    opts.pcre_only = pcre_only;
    char err[256];
    tok[o][pcre_only] = text_new(&opts, err, sizeof err);
    if (!tok[o][pcre_only]) abort();
    return tok[o][pcre_only];
}

static void check_output(const buf_t *b, size_t from)
{
    if (b->len == from) return;
    const char *s = b->p + from;
    size_t n = b->len - from;
    if (!text_utf8_valid(s, n)) abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != ' ') abort(); /* control bytes, TAB, LF, NUL */
        if (c == 0x7f) abort();
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f)
            abort(); /* C1 control */
        if (c == ' ' && (i == 0 || i + 1 == n || s[i + 1] == ' ')) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    unsigned o = data[0];
    char *text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    size_t n = size - 1;

    buf_t a = {0}, b = {0};
    long ka = text_tokenize(get(o, 0), text, n, &a);
    long kb = text_tokenize(get(o, 1), text, n, &b);
    if (ka != kb) abort();
    if (ka >= 0) {
        check_output(&a, 0);
        if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0)) abort();
    }
    buf_free(&a);
    buf_free(&b);

    /* the same bytes as a file of lines, and each line's rating field */
    FILE *f = fmemopen(text, n ? n : 1, "r");
    if (f) {
        if (!n) fgetc(f);
        lines_reader rd;
        lines_init(&rd, f);
        char *line;
        size_t len, total = 0;
        int got;
        while ((got = lines_next(&rd, &line, &len)) > 0) {
            total += len + 1;
            const char *tab = memchr(line, '\t', len);
            int has;
            double v;
            if (tab) text_parse_rating(line, (size_t)(tab - line), &has, &v);
        }
        /* every byte comes back in a line, but a leading byte-order mark;
         * gzip data comes back inflated, or as the error of bad data */
        int gz = n >= 2 && (unsigned char)text[0] == 0x1f && (unsigned char)text[1] == 0x8b;
        size_t bom = n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        if (gz ? (got != 0 && got != LINES_ERR_GZIP) : (got != 0 || total < n - bom || total > n - bom + 1)) abort();
        lines_free(&rd);
        fclose(f);
    }
    free(text);
    return 0;
}
