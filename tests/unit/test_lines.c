/* test_lines.c - lib/lines against naive references: the line reader
 * (lines_next) on lines of every length around its block size, with NUL
 * bytes, CR, no final newline, a byte-order mark, gzip data (one member,
 * several, truncated), through read(2) and through fread; its messages;
 * the blank bitmap against its byte-by-byte reference and the token
 * iterator against a plain split at blanks, on random token lines; and
 * buf_excerpt, which keeps error messages on one readable line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "buf.h"
#include "lines.h"
#include "rng.h"

/* The lines of s[0..n) by the reference (split at '\n', a final line
 * without one, a byte-order mark at the very start dropped) against
 * lines_next on f; every line must be followed by LINES_PAD readable
 * bytes (read here, so that the sanitizer build sees an overrun). */
static void check_reader(FILE *f, const char *s, size_t n, const char *what)
{
    lines_reader r;
    lines_init(&r, f);
    char *line;
    size_t len, at = n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    int got, ok = 1;
    unsigned pad = 0;
    while ((got = lines_next(&r, &line, &len)) > 0) {
        const char *nl = memchr(s + at, '\n', n - at);
        size_t want = nl ? (size_t)(nl - (s + at)) : n - at;
        if (len != want || memcmp(line, s + at, want) != 0) ok = 0;
        for (size_t i = 0; i < LINES_PAD; i++) pad += (unsigned char)line[len + i];
        at += want + (nl != NULL);
    }
    CHECK(ok && got == 0 && at == n, "lines_next: %s (pad sum %u)", what, pad);
    lines_free(&r);
}

/* through fread (a memory stream has no descriptor) and through read(2)
 * (a temporary file) */
static void check_lines(const char *s, size_t n, const char *what)
{
    char w[160];
    FILE *f = fmemopen((void *)s, n ? n : 1, "r");
    if (!n) fgetc(f);
    snprintf(w, sizeof w, "%s (fread)", what);
    check_reader(f, s, n, w);
    fclose(f);
    f = tmpfile();
    if (n) fwrite(s, 1, n, f);
    rewind(f);
    snprintf(w, sizeof w, "%s (read)", what);
    check_reader(f, s, n, w);
    fclose(f);
}

/* n bytes of lines of 0 to 63 letters, a byte of randomness each */
static void random_lines(rng_t *g, char *s, size_t n)
{
    uint64_t r = 0;
    for (size_t k = 0; k < n; k++) {
        if (k % 8 == 0) r = rng_next(g);
        unsigned char b = (unsigned char)(r >> (8 * (k % 8)));
        s[k] = b < 6 ? '\n' : (char)('a' + b % 26);
    }
}

static void test_lengths(void)
{
    /* every length near the block size (1 MiB) and near the half block
     * at which the buffer grows, with and without a final newline */
    const size_t B = (size_t)1 << 20;
    const size_t lens[] = {0, 1, 2, 63, 64, 65, 4096, B / 2, B - 1, B, B + 1, 2 * B + 3};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        size_t L = lens[i];
        char *s = malloc(2 * L + 8);
        for (size_t k = 0; k < L; k++) s[k] = (char)('a' + k % 26);
        s[L] = '\n';
        memcpy(s + L + 1, s, L); /* second line without a newline */
        char what[64];
        snprintf(what, sizeof what, "two lines of %zu bytes", L);
        check_lines(s, 2 * L + 1, what);
        if (L <= B) {
            snprintf(what, sizeof what, "one line of %zu bytes and newline", L);
            check_lines(s, L + 1, what);
        }
        free(s);
    }
    /* many short lines, some across the end of a block */
    size_t n = B + B / 2 + 77;
    char *s = malloc(n);
    rng_t g;
    rng_seed(&g, 7, 0);
    random_lines(&g, s, n);
    check_lines(s, n, "random short lines over 2 blocks");
    free(s);
}

static void test_bytes(void)
{
    static const char a[] = "5 1:1\0 2:1\nab\0\0\ncd\n\0\n\0";
    check_lines(a, sizeof a - 1, "NUL bytes inside and at the ends of lines");
    static const char crlf[] = "1 1:1\r\n2 2:1\r\n";
    check_lines(crlf, sizeof crlf - 1, "CR kept for the caller");
    static const char bom[] = "\xef\xbb\xbfx\ty\n\xef\xbb\xbfz\n";
    check_lines(bom, sizeof bom - 1, "byte-order mark at the start skipped, on line 2 kept");
    check_lines("\xef\xbb\xbf", 3, "a byte-order mark alone");
    check_lines("\xef\xbb", 2, "two bytes of a byte-order mark are text");
    check_lines("", 0, "empty input");
    check_lines("\n\n", 2, "empty lines");
}

/* ------------------------------------------------------------------------
 * gzip */

/* s[0..n) as gzip data (one member) appended to z */
static void gzip_append(buf_t *z, const char *s, size_t n)
{
    z_stream st;
    memset(&st, 0, sizeof st);
    deflateInit2(&st, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&st, (uLong)n) + 64;
    buf_reserve(z, cap);
    st.next_in = (unsigned char *)(uintptr_t)s;
    st.avail_in = (uInt)n;
    st.next_out = (unsigned char *)z->p + z->len;
    st.avail_out = (uInt)cap;
    deflate(&st, Z_FINISH);
    z->len += cap - st.avail_out;
    deflateEnd(&st);
}

/* lines_next over z: the lines (joined with '\n' into out) and the last
 * return code */
static int read_all(const buf_t *z, int use_file, buf_t *out)
{
    FILE *f;
    if (use_file) {
        f = tmpfile();
        fwrite(z->p, 1, z->len, f);
        rewind(f);
    } else {
        f = fmemopen(z->p, z->len, "r");
    }
    lines_reader r;
    lines_init(&r, f);
    char *line;
    size_t len;
    int got;
    while ((got = lines_next(&r, &line, &len)) > 0) {
        buf_add(out, line, len);
        buf_add(out, "\n", 1);
    }
    lines_free(&r);
    fclose(f);
    return got;
}

static void test_gzip(void)
{
    /* one member inflating to more than a block (1 MiB) */
    size_t n = (9u << 17) + 7; /* 1.125 MiB */
    char *s = malloc(n);
    rng_t g;
    rng_seed(&g, 11, 0);
    random_lines(&g, s, n);
    s[n - 1] = '\n';
    buf_t z = {0}, out = {0};
    gzip_append(&z, s, n);
    int got = read_all(&z, 1, &out);
    CHECK(got == 0 && out.len == n && memcmp(out.p, s, n) == 0, "gzip, one member of %zu bytes: inflated", n);
    buf_free(&out);
    /* smaller data (still more than the 64 KiB compressed input buffer),
     * through both paths */
    size_t m = 300000;
    s[m - 1] = '\n';
    for (int use_file = 0; use_file < 2; use_file++) {
        const char *how = use_file ? "read" : "fread";
        z.len = 0;
        gzip_append(&z, s, m);
        CHECK(z.len > 65536, "gzip: %zu compressed bytes, more than one input buffer", z.len);
        got = read_all(&z, use_file, &out);
        CHECK(got == 0 && out.len == m && memcmp(out.p, s, m) == 0, "gzip, one member: inflated (%s)", how);
        buf_free(&out);
        /* three members, cut inside lines, are one stream */
        z.len = 0;
        gzip_append(&z, s, 1000);
        gzip_append(&z, s + 1000, 5);
        gzip_append(&z, s + 1005, m - 1005);
        got = read_all(&z, use_file, &out);
        CHECK(got == 0 && out.len == m && memcmp(out.p, s, m) == 0, "gzip, three members: one stream (%s)", how);
        buf_free(&out);
        /* truncated: the error, after the lines that came whole */
        z.len /= 2;
        got = read_all(&z, use_file, &out);
        CHECK(got == LINES_ERR_GZIP && out.len < m && memcmp(out.p, s, out.len) == 0,
              "gzip, truncated: LINES_ERR_GZIP after %zu good bytes (%s)", out.len, how);
        buf_free(&out);
        /* corrupt */
        z.len = 0;
        gzip_append(&z, s, m);
        for (size_t k = 20; k < 60; k++) z.p[k] = (char)0xff;
        got = read_all(&z, use_file, &out);
        CHECK(got == LINES_ERR_GZIP, "gzip, corrupt: LINES_ERR_GZIP (%s)", how);
        buf_free(&out);
    }
    buf_free(&z);
    /* the magic alone is not enough for text that merely starts with 1f */
    check_lines("\x1f" "abc\n", 5, "a 1f byte that is not gzip");
    free(s);
}

static void test_messages(void)
{
    CHECK(strcmp(lines_error(LINES_ERR_LONG, 0), "line longer than 268435456 bytes (the limit)") == 0, "long: %s",
          lines_error(LINES_ERR_LONG, 0));
    CHECK(strcmp(lines_error(LINES_ERR_GZIP, 0), "gzip data is corrupt or ends early") == 0, "gzip message");
    CHECK(strcmp(lines_error(LINES_ERR_READ, ENOMEM), "out of memory") == 0, "out of memory");
    char want[160];
    snprintf(want, sizeof want, "read error: %s", strerror(EBADF));
    CHECK(strcmp(lines_error(LINES_ERR_READ, EBADF), want) == 0, "read error: %s", lines_error(LINES_ERR_READ, EBADF));
    char at[200];
    lines_error_at(at, sizeof at, LINES_ERR_GZIP, 0, "v.gz", 12);
    CHECK(strcmp(at, "v.gz:12: gzip data is corrupt or ends early") == 0, "with file and line: %s", at);
    lines_error_at(at, sizeof at, LINES_ERR_READ, EIO, "(stdin)", 12);
    snprintf(want, sizeof want, "(stdin): read error: %s", strerror(EIO));
    CHECK(strcmp(at, want) == 0, "a read error names no line: %s", at);
    /* a descriptor that cannot be read */
    FILE *f = fopen("/dev/null", "w");
    lines_reader r;
    lines_init(&r, f);
    char *line;
    size_t len;
    errno = 0;
    int got = lines_next(&r, &line, &len);
    CHECK(got == LINES_ERR_READ && errno == EBADF, "reading a write-only descriptor: %d, %s", got, strerror(errno));
    lines_free(&r);
    fclose(f);
}

/* ------------------------------------------------------------------------
 * blank bitmap and tokens */

static void test_tokens(void)
{
    rng_t g;
    rng_seed(&g, 3, 0);
    char s[700 + LINES_PAD];
    uint64_t fast[700 / 64 + 2], ref[700 / 64 + 2];
    int ok_bits = 1, ok_tok = 1;
    for (int it = 0; it < 4000; it++) {
        size_t n = (size_t)rng_below(&g, it < 2000 ? 130 : 700);
        int dense = (int)rng_below(&g, 3); /* few, some or many blanks */
        for (size_t i = 0; i < n; i++) {
            uint64_t c = rng_below(&g, dense == 0 ? 40 : dense == 1 ? 4 : 2);
            if (c == 0) s[i] = ' ';
            else if (c == 1 && dense) s[i] = '\t';
            else if (rng_below(&g, 8)) s[i] = (char)('a' + rng_below(&g, 26));
            else s[i] = (char)rng_below(&g, 256); /* any byte, blanks too */
        }
        /* what follows the line must not matter */
        for (size_t i = n; i < n + LINES_PAD; i++) s[i] = rng_below(&g, 2) ? ' ' : 'y';
        size_t nw = lines_blank_words(n);
        lines_blank_bits(s, n, fast);
        lines_blank_bits_naive(s, n, ref);
        if (memcmp(fast, ref, nw * sizeof *fast) != 0) ok_bits = 0;
        /* the tokens against a plain split at blanks */
        lines_tokens tk;
        lines_tokens_init(&tk, fast, n);
        size_t a, e, i = 0;
        while (lines_tokens_next(&tk, &a, &e)) {
            while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
            size_t j = i;
            while (j < n && s[j] != ' ' && s[j] != '\t') j++;
            if (i >= n || a != i || e != j) ok_tok = 0;
            i = j;
        }
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i != n) ok_tok = 0;
    }
    CHECK(ok_bits, "lines_blank_bits matches lines_blank_bits_naive (lengths 0-699)");
    CHECK(ok_tok, "lines_tokens gives the tokens of a plain split, in order");
    /* a token line as lines_next returns it */
    static const char line[] = "\tgood  plot\t\tbad ";
    char buf[sizeof line + LINES_PAD] = {0};
    memcpy(buf, line, sizeof line - 1);
    uint64_t bits[3];
    lines_blank_bits(buf, sizeof line - 1, bits);
    lines_tokens tk;
    lines_tokens_init(&tk, bits, sizeof line - 1);
    size_t a, e;
    char got[64] = "";
    while (lines_tokens_next(&tk, &a, &e)) snprintf(got + strlen(got), sizeof got - strlen(got), "[%.*s]", (int)(e - a), buf + a);
    CHECK(strcmp(got, "[good][plot][bad]") == 0, "tokens of a line: %s", got);
}

static void test_excerpt(void)
{
    CHECK(strcmp(buf_excerpt("abc", 3, 40), "abc") == 0, "excerpt of plain text");
    CHECK(strcmp(buf_excerpt("a\tb\r\n", 5, 40), "a\\x09b\\x0d\\x0a") == 0, "control bytes escaped");
    CHECK(strcmp(buf_excerpt("a\0b", 3, 40), "a\\x00b") == 0, "NUL escaped");
    CHECK(strcmp(buf_excerpt("caf\xc3\xa9", 5, 40), "caf\xc3\xa9") == 0, "valid UTF-8 kept");
    CHECK(strcmp(buf_excerpt("\xff\xc3(\xed\xa0\x80", 6, 40), "\\xff\\xc3(\\xed\\xa0\\x80") == 0,
          "invalid UTF-8 (stray, truncated, surrogate) escaped");
    CHECK(strcmp(buf_excerpt("abcdef", 6, 3), "abc...") == 0, "cut with ...");
    CHECK(strcmp(buf_excerpt("ab\xc3\xa9", 4, 3), "ab...") == 0, "a character is not split");
    char big[200];
    memset(big, 0x01, sizeof big);
    const char *e = buf_excerpt(big, sizeof big, 1000);
    CHECK(strlen(e) == 64 * 4 + 3, "excerpt capped at 64 bytes (%zu)", strlen(e));
    const char *x = buf_excerpt("x", 1, 9), *y = buf_excerpt("y", 1, 9);
    CHECK(strcmp(x, "x") == 0 && strcmp(y, "y") == 0, "two excerpts in one message");
}

int main(void)
{
    test_lengths();
    test_bytes();
    test_gzip();
    test_messages();
    test_tokens();
    test_excerpt();
    return check_report();
}
