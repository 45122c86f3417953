/* test_frontend.c - lib/frontend: the records round-trip byte for byte,
 * every truncation and every one-bit change of the blob is refused (the
 * digest covers every byte before it), and frontend_row gives the columns
 * and counts worked out by hand for a sentence. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frontend.h"

static const char VOCAB[] = "good\t3\t4\nbad\t2\t2\nnot_bad\t1\t1\nfilm\t1\t3\n";
static const char STOP[] = "the\n";

int main(void)
{
    text_opts o;
    frontend_token_defaults(&o);
    o.ngrams = 2;
    o.negate = 0;
    char err[512];
    frontend *f = frontend_new(&o, 1, STOP, strlen(STOP), "stop", VOCAB, strlen(VOCAB), "vocab", err, sizeof err);
    CHECK(f != NULL, "frontend_new: %s", f ? "" : err);
    if (!f) return check_report();
    buf_t b = {0};
    CHECK(frontend_encode(f, &b) == 0 && frontend_is((unsigned char *)b.p, b.len), "encode");
    frontend *g = frontend_decode((unsigned char *)b.p, b.len, err, sizeof err);
    CHECK(g != NULL, "decode: %s", g ? "" : err);
    buf_t b2 = {0};
    if (g) {
        CHECK(frontend_encode(g, &b2) == 0 && b2.len == b.len && memcmp(b.p, b2.p, b.len) == 0,
              "decode then encode: the same bytes");
        CHECK(g->o.ngrams == 2 && g->counts == 1 && g->v->dim == 4 && strcmp(g->v->digest, f->v->digest) == 0,
              "the settings and the vocabulary come back");
    }
    /* every truncation and every byte change is refused */
    int bad_trunc = 0, bad_flip = 0;
    for (size_t n = 0; n < b.len; n++) {
        frontend *h = frontend_decode((unsigned char *)b.p, n, err, sizeof err);
        if (h) bad_trunc++;
        frontend_free(h);
    }
    for (size_t i = 0; i < b.len; i++) {
        unsigned char *c = malloc(b.len);
        memcpy(c, b.p, b.len);
        c[i] ^= 0x01;
        frontend *h = frontend_decode(c, b.len, err, sizeof err);
        if (h) bad_flip++;
        frontend_free(h);
        free(c);
    }
    CHECK(bad_trunc == 0, "all %zu truncations refused (%d accepted)", b.len, bad_trunc);
    CHECK(bad_flip == 0, "all %zu one-bit changes refused (%d accepted)", b.len, bad_flip);

    /* rows: "The good film, good not bad" -> tokens the good film good not bad + bigrams; stop word 'the'
     * dropped; counts: good 2, film 1, bad 1; bigram not_bad 1 */
    const char *text = "The good film, good not bad";
    CHECK(frontend_row(g ? g : f, text, strlen(text), err, sizeof err) == 0, "row: %s", err);
    frontend *r = g ? g : f;
    uint32_t want_col[] = {0, 1, 2, 3};
    float want_val[] = {2, 1, 1, 1};
    int same = r->ncols == 4;
    for (size_t i = 0; same && i < 4; i++) same = r->cols[i] == want_col[i] && r->vals[i] == want_val[i];
    CHECK(same, "row of a sentence: columns 0..3 with counts 2,1,1,1 (%zu columns)", r->ncols);
    CHECK(frontend_row(r, "", 0, err, sizeof err) == 0 && r->ncols == 0, "an empty text: no column");
    buf_free(&b);
    buf_free(&b2);
    frontend_free(f);
    frontend_free(g);
    return check_report();
}
