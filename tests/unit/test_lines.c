/* test_lines.c - the bounded line readers (text_getline, text_lines_next)
 * against a naive reference on lines of every length around their chunk
 * sizes, with NUL bytes, CR, no final newline; and buf_excerpt, which
 * keeps error messages on one readable line. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "text.h"

/* lines of the stream s[0..n): the reference split at '\n' */
static void check_getline(const char *s, size_t n, const char *what)
{
    FILE *f = fmemopen((void *)s, n, "r");
    char *buf = NULL;
    size_t cap = 0, at = 0;
    long got;
    int ok = 1, lines = 0;
    while ((got = text_getline(&buf, &cap, f)) >= 0) {
        const char *nl = memchr(s + at, '\n', n - at);
        size_t want = nl ? (size_t)(nl - (s + at)) + 1 : n - at;
        if ((size_t)got != want || memcmp(buf, s + at, want) != 0 || buf[got] != 0) ok = 0;
        at += want;
        lines++;
    }
    CHECK(ok && got == -1 && at == n && !ferror(f), "text_getline: %s (%d lines)", what, lines);
    fclose(f);
    free(buf);
}

static void check_blocks(const char *s, size_t n, const char *what)
{
    FILE *f = fmemopen((void *)s, n, "r");
    text_lines r;
    text_lines_init(&r, f);
    char *line;
    size_t len, at = 0;
    int got, ok = 1;
    while ((got = text_lines_next(&r, &line, &len)) > 0) {
        const char *nl = memchr(s + at, '\n', n - at);
        size_t want = nl ? (size_t)(nl - (s + at)) : n - at;
        if (len != want || memcmp(line, s + at, want) != 0) ok = 0;
        at += want + (nl != NULL);
    }
    CHECK(ok && got == 0 && at == n, "text_lines: %s", what);
    text_lines_free(&r);
    fclose(f);
}

static void test_lengths(void)
{
    /* every length near the chunk boundaries of text_getline (512, then
     * doubling with the line), with and without a final newline */
    static const size_t lens[] = {0, 1, 2, 510, 511, 512, 513, 1022, 1023, 1024, 1025, 2047, 2048, 2049, 100000};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        size_t L = lens[i];
        char *s = malloc(2 * L + 8);
        for (size_t k = 0; k < L; k++) s[k] = (char)('a' + k % 26);
        s[L] = '\n';
        memcpy(s + L + 1, s, L); /* second line without a newline */
        char what[64];
        snprintf(what, sizeof what, "two lines of %zu bytes", L);
        check_getline(s, 2 * L + 1, what);
        check_blocks(s, 2 * L + 1, what);
        snprintf(what, sizeof what, "one line of %zu bytes and newline", L);
        check_getline(s, L + 1, what);
        free(s);
    }
}

static void test_nul(void)
{
    static const char a[] = "5 1:1\0 2:1\nab\0\0\ncd\n\0\n\0";
    check_getline(a, sizeof a - 1, "NUL bytes inside and at the ends of lines");
    check_blocks(a, sizeof a - 1, "NUL bytes");
    /* a NUL right at a chunk boundary */
    char *s = malloc(3000);
    for (int i = 0; i < 3000; i++) s[i] = (char)('a' + i % 7);
    s[510] = s[511] = s[1023] = 0;
    s[2500] = '\n';
    check_getline(s, 3000, "NUL bytes at chunk boundaries");
    check_blocks(s, 3000, "NUL bytes at chunk boundaries");
    free(s);
    static const char crlf[] = "1 1:1\r\n2 2:1\r\n";
    check_getline(crlf, sizeof crlf - 1, "CRLF kept for the parser");
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
    test_nul();
    test_excerpt();
    return check_report();
}
