/* test_text.c - lib/text: UTF-8 validation and repair (maximal subparts),
 * HTML stripping, ratings, negation words, and tokenization cases; the
 * ASCII fast path against PCRE2 on random strings. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "text.h"

static const char *tok(text_tok *t, const char *s, size_t n)
{
    static buf_t b;
    b.len = 0;
    if (text_tokenize(t, s, n, &b) < 0) return "(error)";
    if (buf_reserve(&b, 1) < 0) return "(oom)";
    b.p[b.len] = '\0';
    return b.p;
}

static void check_tok(text_tok *t, const char *in, const char *want)
{
    const char *got = tok(t, in, strlen(in));
    CHECK(strcmp(got, want) == 0, "tokens of '%s': got '%s', want '%s'", in, got, want);
}

static void test_utf8(void)
{
    CHECK(text_utf8_valid("abc", 3), "ascii valid");
    CHECK(text_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), "2/3/4-byte valid");
    CHECK(!text_utf8_valid("\xc0\xaf", 2), "overlong invalid");
    CHECK(!text_utf8_valid("\xed\xa0\x80", 3), "surrogate invalid");
    CHECK(!text_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF invalid");
    CHECK(!text_utf8_valid("\xe2\x82", 2), "truncated invalid");
    struct { const char *in; size_t n; const char *out; long bad; } c[] = {
        {"a\xffz", 3, "a\xef\xbf\xbdz", 1},
        {"\xe2\x82z", 3, "\xef\xbf\xbdz", 1},               /* one subpart of 2 bytes */
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3},
        {"\xf0\x9f\x98", 3, "\xef\xbf\xbd", 1},
        {"\xc3\xa9", 2, "\xc3\xa9", 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        buf_t b = {0};
        long bad = text_utf8_repair(c[i].in, c[i].n, &b);
        CHECK(bad == c[i].bad, "repair %zu: %ld replaced, want %ld", i, bad, c[i].bad);
        CHECK(b.len == strlen(c[i].out) && memcmp(b.p, c[i].out, b.len) == 0, "repair %zu output", i);
        CHECK(text_utf8_valid(b.p, b.len), "repair %zu is valid", i);
        buf_free(&b);
    }
}

static void test_html(void)
{
    const char *in = "a<br />b &amp; &lt;i&gt; &#233;&#x41; &#0; &nope; x < y <b";
    buf_t b = {0};
    CHECK(text_html_strip(in, strlen(in), &b) == 0, "html ok");
    const char *want = "a b & <i> \xc3\xa9" "A \xef\xbf\xbd &nope; x < y <b";
    CHECK(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "html: '%.*s'", (int)b.len, b.p);
    buf_free(&b);
}

static void test_misc(void)
{
    int has;
    double v;
    CHECK(text_parse_rating("?", 1, &has, &v) == 0 && !has, "? unlabeled");
    CHECK(text_parse_rating("4.5", 3, &has, &v) == 0 && has && v == 4.5, "4.5");
    CHECK(text_parse_rating("", 0, &has, &v) < 0, "empty rating");
    CHECK(text_parse_rating("nan", 3, &has, &v) < 0, "nan rating");
    CHECK(text_parse_rating(" 4", 2, &has, &v) < 0, "blank before rating");
    CHECK(text_parse_rating("4x", 2, &has, &v) < 0, "garbage rating");
    CHECK(text_is_negation("not", 3) && text_is_negation("didn't", 6) && text_is_negation("dont", 4),
          "negations");
    CHECK(!text_is_negation("note", 4) && !text_is_negation("n't", 2), "not negations");
}

static void test_tokenize(void)
{
    char err[256];
    text_opts o = {0};
    o.ngrams = 1;
    text_tok *t = text_new(&o, err, sizeof err);
    CHECK(t != NULL, "default tokenizer: %s", err);
    if (!t) return;
    check_tok(t, "Hello, World!", "hello world");
    check_tok(t, "It's 3.5/10 -- rock'n'roll", "it's 3.5 10 rock'n'roll");
    check_tok(t, "\xef\xac\x81ne \xef\xbc\xa1\xef\xbc\xa2", "fine ab");          /* ligature, fullwidth */
    check_tok(t, "Stra\xc3\x9f" "e", "strasse");                                   /* case fold */
    check_tok(t, "e\xcc\x81t\xc3\xa9", "\xc3\xa9t\xc3\xa9");                       /* NFC composition */
    check_tok(t, "don\xe2\x80\x99t", "don't");                                     /* lumped apostrophe */
    check_tok(t, "\xe6\x97\xa5\xe6\x9c\xac go", "\xe6\x97\xa5 \xe6\x9c\xac go");   /* CJK one by one */
    check_tok(t, "\xf0\x9f\x98\x80!", "");                                         /* no emoji by default */
    check_tok(t, "", "");
    check_tok(t, "so\xc2\xad" "ft", "soft");                                       /* soft hyphen ignored */
    text_free(t);

    o.punct = 1;
    o.negate = 1;
    t = text_new(&o, err, sizeof err);
    CHECK(t != NULL, "punct tokenizer: %s", err);
    if (t) {
        check_tok(t, "Not good, but :) fine! never bad", "not NOT_good but :) fine ! never NOT_bad");
        check_tok(t, "isn't it great?", "isn't NOT_it NOT_great ?");
        check_tok(t, "http://x :/ ok", "http x :/ ok");
        text_free(t);
    }

    /* fast path against PCRE2 on random strings */
    text_opts a = {0}, b = {0};
    a.ngrams = b.ngrams = 1;
    b.pcre_only = 1;
    text_tok *ta = text_new(&a, err, sizeof err), *tb = text_new(&b, err, sizeof err);
    CHECK(ta && tb, "tokenizers");
    if (ta && tb) {
        rng_t r;
        rng_seed(&r, 5, 0);
        const char alpha[] = "aZ09.,'- !_x\t";
        int diff = 0;
        for (int k = 0; k < 3000; k++) {
            char s[40];
            size_t n = (size_t)(rng_below(&r, 39));
            for (size_t i = 0; i < n; i++) s[i] = alpha[rng_below(&r, sizeof alpha - 1)];
            buf_t x = {0}, y = {0};
            text_tokenize(ta, s, n, &x);
            text_tokenize(tb, s, n, &y);
            if (x.len != y.len || (x.len && memcmp(x.p, y.p, x.len) != 0)) diff++;
            buf_free(&x);
            buf_free(&y);
        }
        CHECK(diff == 0, "fast path differs from PCRE2 on %d strings", diff);
    }
    text_free(ta);
    text_free(tb);

    /* the scanner on text with non-ASCII pieces (PCRE2 takes over near
     * them) and long lines (bitmap word boundaries), with and without the
     * per-token filters, against PCRE2 alone */
    static const char *const piece[] = {
        "a", "Z", "0", "9", ".", ",", "'", " ", "-", "_", "x", "\t", "!",
        "\xc3\xa9",         /* e acute */
        "\xcc\x81",         /* combining acute */
        "\xd9\xa5",         /* arabic-indic five */
        "\xe4\xb8\xad",     /* CJK */
        "\xe2\x80\x99",     /* right single quote, lumped to ' */
        "\xef\xbc\xa6",     /* fullwidth F */
        "\xc3\x9f",         /* sharp s */
        "\xc2\xa0",         /* no-break space */
        "\xff",             /* invalid */
        "\xe2\x80\x94",     /* em dash */
    };
    enum { NPIECE = sizeof piece / sizeof piece[0] };
    for (int mode = 0; mode < 3; mode++) {
        text_opts c = {0}, d = {0};
        c.ngrams = d.ngrams = mode == 2 ? 2 : 1;
        c.negate = d.negate = mode >= 1;
        c.min_len = d.min_len = mode == 2 ? 2 : 1;
        d.pcre_only = 1;
        ta = text_new(&c, err, sizeof err);
        tb = text_new(&d, err, sizeof err);
        CHECK(ta && tb, "tokenizers (mode %d)", mode);
        if (!ta || !tb) break;
        rng_t r;
        rng_seed(&r, 11 + (uint64_t)mode, 0);
        int diff = 0;
        for (int k = 0; k < 3000; k++) {
            char s[1000];
            size_t n = 0, want = (size_t)rng_below(&r, k % 10 == 0 ? 300 : 40);
            while (n < want) {
                /* mostly ASCII, like real text */
                const char *pc = piece[rng_below(&r, rng_below(&r, 4) ? 13 : NPIECE)];
                size_t l = strlen(pc);
                memcpy(s + n, pc, l);
                n += l;
            }
            buf_t x = {0}, y = {0};
            long nx = text_tokenize(ta, s, n, &x), ny = text_tokenize(tb, s, n, &y);
            if (nx != ny || x.len != y.len || (x.len && memcmp(x.p, y.p, x.len) != 0)) {
                if (!diff) fprintf(stderr, "differs on '%.*s': '%.*s' vs '%.*s'\n", (int)n, s, (int)x.len,
                                   x.p ? x.p : "", (int)y.len, y.p ? y.p : "");
                diff++;
            }
            buf_free(&x);
            buf_free(&y);
        }
        CHECK(diff == 0, "scanner differs from PCRE2 on %d non-ASCII strings (mode %d)", diff, mode);
        text_free(ta);
        text_free(tb);
    }

    o = (text_opts){0};
    o.pattern = "(";
    CHECK(text_new(&o, err, sizeof err) == NULL && strstr(err, "bad pattern"), "bad pattern rejected");
    o.pattern = NULL;
    o.stem = "klingon";
    CHECK(text_new(&o, err, sizeof err) == NULL && strstr(err, "klingon"), "bad language rejected");
}

int main(void)
{
    test_utf8();
    test_html();
    test_misc();
    test_tokenize();
    return check_report();
}
