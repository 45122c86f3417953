/* test_buf.c - growable byte buffers: appends keep a NUL after the bytes,
 * printf appends of every length around the internal small-buffer size,
 * overflow refused, and the UTF-8 sequence lengths used by excerpts. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "check.h"

int main(void)
{
    buf_t b;
    buf_init(&b);
    CHECK(b.len == 0 && b.p == NULL, "zeroed buffer is empty");
    CHECK(buf_add(&b, "ab", 2) == 0 && b.len == 2 && strcmp(b.p, "ab") == 0, "add two bytes, NUL after");
    CHECK(buf_add(&b, "\0z", 2) == 0 && b.len == 4 && b.p[2] == 0 && b.p[3] == 'z' && b.p[4] == 0,
          "NUL bytes kept");
    buf_free(&b);
    CHECK(b.p == NULL && b.len == 0 && b.cap == 0, "free resets");

    /* printf of every length from 0 to 600 against snprintf */
    int bad = 0;
    for (int n = 0; n <= 600; n++) {
        buf_t c = {0};
        buf_puts(&c, "x=");
        if (buf_printf(&c, "%*s|%d", n, "", n) < 0) bad++;
        char want[700];
        snprintf(want, sizeof want, "x=%*s|%d", n, "", n);
        if (c.len != strlen(want) || strcmp(c.p, want) != 0) bad++;
        buf_free(&c);
    }
    CHECK(bad == 0, "buf_printf = snprintf for lengths 0..600 (%d bad)", bad);

    buf_t d = {0};
    buf_add(&d, "a", 1);
    CHECK(buf_reserve(&d, SIZE_MAX) < 0 && d.len == 1 && strcmp(d.p, "a") == 0, "overflowing reserve refused, buffer kept");
    buf_free(&d);

    CHECK(buf_utf8_len((const unsigned char *)"\xc3\xa9", 2) == 2, "2-byte sequence");
    CHECK(buf_utf8_len((const unsigned char *)"\xef\xbb\xbf", 3) == 3, "BOM is a 3-byte sequence");
    CHECK(buf_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 4) == 4, "4-byte sequence");
    CHECK(buf_utf8_len((const unsigned char *)"\xc0\x80", 2) == 0, "overlong refused");
    CHECK(buf_utf8_len((const unsigned char *)"\xed\xa0\x80", 3) == 0, "surrogate refused");
    CHECK(buf_utf8_len((const unsigned char *)"\xc3", 1) == 0, "cut sequence refused");
    CHECK(buf_utf8_len((const unsigned char *)"a", 1) == 0, "ASCII is not a multi-byte sequence");
    return check_report();
}
