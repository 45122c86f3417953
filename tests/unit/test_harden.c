/* test_harden.c - regression tests for the bugs that fuzzing found
 * (tests/fuzz/, docs/limits.md), written as ordinary unit tests so that
 * both passes of make check run them (ASan sees the memory errors in the
 * SAN=1 pass; the plain pass checks the results):
 *
 *  - text_tokenize read the normalised text through a pointer that growing
 *    the buffer for its padding had just freed;
 *  - net_from_model allocated hidden layers from the sizes in their
 *    header before checking the tensors, so a small file could ask for
 *    gigabytes;
 *  - sparse_csr_row did pointer arithmetic on NULL for a matrix without
 *    entries;
 *  - the line reader (now lines_next) did the same on its first call;
 *  - a worker thread that kern_threads added after earlier kern_parallel
 *    jobs ran the last job again on start, with an argument that was gone
 *    (test_dae crashed one run in ten). */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "check.h"
#include "kern.h"
#include "lines.h"
#include "model.h"
#include "net.h"
#include "sparse.h"
#include "text.h"

static void test_tokenize_padding(void)
{
    /* every length around the buffer sizes: a fresh tokenizer each time,
     * so that the padding reserve is the one that grows the buffer */
    text_opts o;
    memset(&o, 0, sizeof o);
    o.ngrams = 1;
    o.min_len = 1;
    char err[256];
    text_tok *slow = text_new(&(text_opts){.ngrams = 1, .min_len = 1, .pcre_only = 1}, err, sizeof err);
    char s[700];
    int bad = 0;
    for (size_t n = 1; n < sizeof s; n += 1) {
        for (size_t i = 0; i < n; i++) s[i] = "Ab c\xc3\xa9 D'e 12,5 "[i % 17];
        text_tok *t = text_new(&o, err, sizeof err);
        buf_t a = {0}, b = {0};
        long ka = text_tokenize(t, s, n, &a), kb = text_tokenize(slow, s, n, &b);
        if (ka != kb || a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0)) bad++;
        buf_free(&a);
        buf_free(&b);
        text_free(t);
    }
    text_free(slow);
    CHECK(bad == 0, "tokenizer right at every buffer size (%d wrong)", bad);
}

static void test_net_header(void)
{
    /* a network whose hidden layer claims 100000 x 100000 units but holds
     * 2 x 2 tensors: refused without allocating 40 GB */
    model *m = model_new(MODEL_KIND_NETWORK);
    model_layer s;
    memset(&s, 0, sizeof s);
    s.in_dim = 100000;
    s.out_dim = 100000;
    s.act = 1;
    s.in_scale = 1;
    model_layer *h = model_add_layer(m, &s);
    model_add_tensor(h, "W", 2, 2);
    model_add_tensor(h, "b", 1, 2);
    s.in_dim = 100000;
    s.out_dim = 2;
    s.recon = NET_OUT_SOFTMAX;
    model_layer *out = model_add_layer(m, &s);
    model_add_tensor(out, "W", 100000, 2);
    model_add_tensor(out, "b", 1, 2);
    float *c = model_add_tensor(out, "classes", 1, 2);
    c[0] = 1;
    c[1] = 2;
    char err[256];
    net *n = net_from_model(m, err, sizeof err);
    CHECK(!n && strstr(err, "layer 1: tensors W, b missing or of the wrong shape"), "huge layer header refused: %s",
          n ? "(loaded)" : err);
    net_free(n);
    model_free(m);
}

static void test_empty_csr(void)
{
    sparse_csr *m = sparse_csr_new();
    sparse_row r = {1, 3.0, 0, NULL, NULL, NULL};
    sparse_csr_append(m, &r);
    sparse_row back;
    sparse_csr_row(m, 0, &back);
    CHECK(back.n == 0 && back.has_label && back.label == 3.0, "row without entries");
    sparse_csr_free(m);
}

static void test_lines_first_call(void)
{
    static const char empty[1] = "";
    FILE *f = fmemopen((void *)empty, 1, "r");
    fgetc(f);
    lines_reader r;
    lines_init(&r, f);
    char *line;
    size_t len;
    CHECK(lines_next(&r, &line, &len) == 0, "empty input: no line");
    lines_free(&r);
    fclose(f);
}

static int calls;
static void count_job(void *arg, int t, int n)
{
    (void)arg;
    (void)t;
    (void)n;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
}

static void test_pool_growth(void)
{
    kern_threads(2);
    for (int i = 0; i < 5; i++) kern_parallel(count_job, NULL);
    CHECK(__atomic_load_n(&calls, __ATOMIC_SEQ_CST) == 10, "2 threads x 5 jobs");
    kern_threads(3); /* a new worker */
    usleep(100000);
    CHECK(__atomic_load_n(&calls, __ATOMIC_SEQ_CST) == 10, "a new worker runs no old job (%d calls)",
          __atomic_load_n(&calls, __ATOMIC_SEQ_CST));
    kern_parallel(count_job, NULL);
    CHECK(__atomic_load_n(&calls, __ATOMIC_SEQ_CST) == 13, "3 threads x 1 job");
    kern_threads(1);
}

int main(void)
{
    test_pool_growth();
    test_tokenize_padding();
    test_net_header();
    test_empty_csr();
    test_lines_first_call();
    return check_report();
}
