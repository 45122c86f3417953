/* hash.c - binary codes: packing, hex text, Hamming distance, the codes
 * file reader and k-nearest-neighbour search (scan and multi-index
 * hashing).  See hash.h. */
#include "hash.h"

#include "lines.h"
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------------- */
/* Codes and their text */

void hash_pack(const float *h, uint32_t bits, float thresh, uint64_t *code)
{
    memset(code, 0, hash_words(bits) * sizeof *code);
    for (uint32_t j = 0; j < bits; j++)
        if (h[j] > thresh) code[j >> 6] |= (uint64_t)1 << (j & 63);
}

void hash_pack_thresh(const float *h, uint32_t bits, const float *thresh, uint64_t *code)
{
    memset(code, 0, hash_words(bits) * sizeof *code);
    for (uint32_t j = 0; j < bits; j++)
        if (h[j] > thresh[j]) code[j >> 6] |= (uint64_t)1 << (j & 63);
}

void hash_to_hex(const uint64_t *code, uint32_t bits, char *hex)
{
    static const char digit[] = "0123456789abcdef";
    uint32_t nd = (bits + 3) / 4;
    for (uint32_t i = 0; i < nd; i++) {
        unsigned v = 0;
        for (uint32_t k = 0; k < 4; k++) {
            uint32_t j = 4 * i + k;
            v = (v << 1) | (j < bits ? (unsigned)hash_bit(code, j) : 0u);
        }
        hex[i] = digit[v];
    }
    hex[nd] = '\0';
}

int hash_from_hex(const char *hex, size_t len, uint32_t bits, uint64_t *code, char *err, size_t errlen)
{
    size_t nd = (bits + 3) / 4;
    if (len != nd) {
        snprintf(err, errlen, "code has %zu hex digits, bits=%" PRIu32 " needs %zu", len, bits, nd);
        return -1;
    }
    memset(code, 0, hash_words(bits) * sizeof *code);
    for (size_t i = 0; i < nd; i++) {
        int c = (unsigned char)hex[i], v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else {
            if (c >= 0x20 && c < 0x7f) snprintf(err, errlen, "bad hex digit '%c' in the code", c);
            else snprintf(err, errlen, "bad hex digit (byte 0x%02x) in the code", (unsigned)c);
            return -1;
        }
        for (uint32_t k = 0; k < 4; k++) {
            uint32_t j = 4 * (uint32_t)i + k;
            if (!((v >> (3 - k)) & 1)) continue;
            if (j >= bits) {
                snprintf(err, errlen, "padding bits of the last hex digit set (bits=%" PRIu32 ")", bits);
                return -1;
            }
            code[j >> 6] |= (uint64_t)1 << (j & 63);
        }
    }
    return 0;
}

uint32_t hash_dist_naive(const uint64_t *a, const uint64_t *b, uint32_t bits)
{
    uint32_t d = 0;
    for (uint32_t j = 0; j < bits; j++) d += hash_bit(a, j) != hash_bit(b, j);
    return d;
}

/* ---------------------------------------------------------------------- */
/* Thresholds at the medians */

/* Wirth's selection, for a type T: reorders a[0..n) so that a[nth] is where
 * sorting would put it, nothing greater before it and nothing smaller after
 * it (Hoare partitions around the element at nth until it is in place). */
#define HASH_SELECT(name, T)                                                                                      \
    static void name(T *a, size_t n, size_t nth)                                                                 \
    {                                                                                                            \
        long l = 0, m = (long)n - 1, k = (long)nth;                                                              \
        while (l < m) {                                                                                          \
            T x = a[k];                                                                                          \
            long i = l, j = m;                                                                                   \
            do {                                                                                                 \
                while (a[i] < x) i++;                                                                            \
                while (x < a[j]) j--;                                                                            \
                if (i <= j) {                                                                                    \
                    T t = a[i];                                                                                  \
                    a[i] = a[j], a[j] = t;                                                                       \
                    i++, j--;                                                                                    \
                }                                                                                                \
            } while (i <= j);                                                                                    \
            if (j < k) l = i;                                                                                    \
            if (k < i) m = j;                                                                                    \
        }                                                                                                        \
    }
HASH_SELECT(select_float, float)
HASH_SELECT(select_u32, uint32_t)

void hash_medians(const float *h, size_t n, uint32_t bits, float *med, float *tmp)
{
    for (uint32_t j = 0; j < bits; j++) {
        if (!n) {
            med[j] = 0.5f;
            continue;
        }
        for (size_t r = 0; r < n; r++) tmp[r] = h[r * bits + j];
        select_float(tmp, n, (n - 1) / 2);
        med[j] = tmp[(n - 1) / 2];
    }
}

static int float_cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

void hash_medians_naive(const float *h, size_t n, uint32_t bits, float *med, float *tmp)
{
    for (uint32_t j = 0; j < bits; j++) {
        if (!n) {
            med[j] = 0.5f;
            continue;
        }
        for (size_t r = 0; r < n; r++) tmp[r] = h[r * bits + j];
        qsort(tmp, n, sizeof *tmp, float_cmp);
        med[j] = tmp[(n - 1) / 2];
    }
}

/* ---------------------------------------------------------------------- */
/* Codes files */

int hash_write_header(FILE *f, uint32_t bits, const char *digest)
{
    return fprintf(f, "# senti codes bits=%" PRIu32 " model=%s\n", bits, digest) < 0 ? -1 : 0;
}

int hash_write_header_thresh(FILE *f, uint32_t bits, const char *digest, const float *thresh)
{
    if (!thresh) return hash_write_header(f, bits, digest);
    size_t cap = (size_t)bits * 18 + 1, len = 0;
    char *text = malloc(cap);
    if (!text) return -1;
    for (uint32_t j = 0; j < bits; j++)
        len += (size_t)snprintf(text + len, cap - len, "%s%.9g", j ? " " : "", (double)thresh[j]);
    int rc = fprintf(f, "# senti codes bits=%" PRIu32 " model=%s thresh=%016" PRIx64 "\n# senti thresholds %s\n", bits,
                     digest, model_fnv1a(MODEL_FNV_INIT, text, len), text) < 0 ? -1 : 0;
    free(text);
    return rc;
}

struct hash_reader {
    lines_reader rd;
    const char *name;
    long ln, row_ln;
    uint32_t bits;
    char model[17], thresh[17]; /* thresh: "" when the header has none */
    int seen_header, have_th;   /* have_th: the thresholds line is read */
    uint32_t want_bits;
    char want_model[17], want_thresh[17];
    int want_thresh_set;
    const char *want_what;
    float *th;
    uint64_t code[HASH_MAX_BITS / 64];
    char err[HASH_ERR_LEN + 128];
};

hash_reader *hash_reader_new(FILE *f, const char *name)
{
    hash_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    lines_init(&r->rd, f);
    r->name = name;
    return r;
}

void hash_reader_free(hash_reader *r)
{
    if (!r) return;
    lines_free(&r->rd);
    free(r->th);
    free(r);
}

void hash_reader_expect(hash_reader *r, uint32_t bits, const char *digest, const char *what)
{
    r->want_bits = bits;
    snprintf(r->want_model, sizeof r->want_model, "%s", digest ? digest : "");
    r->want_what = what;
}

const char *hash_reader_error(const hash_reader *r) { return r->err; }
uint32_t hash_reader_bits(const hash_reader *r) { return r->bits; }
const char *hash_reader_model(const hash_reader *r) { return r->model; }
const char *hash_reader_thresh(const hash_reader *r) { return r->thresh; }
const float *hash_reader_thresholds(const hash_reader *r) { return r->have_th ? r->th : NULL; }

void hash_reader_expect_thresh(hash_reader *r, const char *thresh)
{
    r->want_thresh_set = thresh != NULL;
    snprintf(r->want_thresh, sizeof r->want_thresh, "%s", thresh ? thresh : "");
}
long hash_reader_line(const hash_reader *r) { return r->row_ln; }

static int fail(hash_reader *r, const char *fmt, ...)
{
    char msg[HASH_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof r->err, "%s:%ld: %s", r->name, r->ln, msg);
    return -1;
}

static int is_hex16(const char *s)
{
    if (strlen(s) != 16) return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
    return 1;
}

/* "# senti codes bits=B model=D": 0, or -1 with the message set. */
static int parse_header(hash_reader *r, char *s)
{
    long bits = -1;
    char digest[17] = "", thresh[17] = "";
    char *save = NULL;
    for (char *w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (!strncmp(w, "bits=", 5)) {
            char *end;
            errno = 0;
            bits = strtol(w + 5, &end, 10);
            if (errno || end == w + 5 || *end || bits < 1 || bits > HASH_MAX_BITS)
                return fail(r, "bad header field '%s' (bits must be 1..%d)", w, HASH_MAX_BITS);
        } else if (!strncmp(w, "model=", 6)) {
            if (!is_hex16(w + 6)) return fail(r, "bad header field '%s' (model is 16 lowercase hex digits)", w);
            memcpy(digest, w + 6, 17);
        } else if (!strncmp(w, "thresh=", 7)) {
            if (!is_hex16(w + 7)) return fail(r, "bad header field '%s' (thresh is 16 lowercase hex digits)", w);
            memcpy(thresh, w + 7, 17);
        }
    }
    if (bits < 0) return fail(r, "codes header without bits=");
    if (!digest[0]) return fail(r, "codes header without model=");
    if (r->seen_header && ((uint32_t)bits != r->bits || strcmp(digest, r->model) || strcmp(thresh, r->thresh)))
        return fail(r, "header bits=%ld model=%s%s%s disagrees with the earlier bits=%" PRIu32 " model=%s%s%s", bits,
                    digest, thresh[0] ? " thresh=" : "", thresh, r->bits, r->model, r->thresh[0] ? " thresh=" : "",
                    r->thresh);
    if (r->want_bits && (uint32_t)bits != r->want_bits)
        return fail(r, "codes of %ld bits, %s has %" PRIu32, bits, r->want_what, r->want_bits);
    if (r->want_model[0] && strcmp(digest, r->want_model))
        return fail(r, "model digest %s differs from %s's %s", digest, r->want_what, r->want_model);
    if (r->want_thresh_set && strcmp(thresh, r->want_thresh)) {
        if (!thresh[0]) return fail(r, "codes without thresholds, %s's have thresh=%s (encode with --thresholds)", r->want_what, r->want_thresh);
        if (!r->want_thresh[0]) return fail(r, "codes with thresh=%s, %s's have none", thresh, r->want_what);
        return fail(r, "thresholds digest %s differs from %s's %s", thresh, r->want_what, r->want_thresh);
    }
    if (!r->seen_header) r->have_th = 0;
    r->bits = (uint32_t)bits;
    memcpy(r->model, digest, 17);
    memcpy(r->thresh, thresh, 17);
    r->seen_header = 1;
    return 0;
}

/* "t1 ... tB" after a header with thresh=: 0, or -1 with the message. */
static int parse_thresholds(hash_reader *r, char *s)
{
    if (!r->thresh[0]) return fail(r, "thresholds line after a header without thresh=");
    char digest[17];
    snprintf(digest, sizeof digest, "%016" PRIx64, model_fnv1a(MODEL_FNV_INIT, s, strlen(s)));
    if (strcmp(digest, r->thresh)) return fail(r, "thresholds digest %s differs from the header's thresh=%s", digest, r->thresh);
    if (!r->th && !(r->th = malloc(HASH_MAX_BITS * sizeof *r->th))) return fail(r, "out of memory");
    uint32_t j = 0;
    for (char *p = s; *p;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end); /* not strtof: its ERANGE for subnormal floats */
        if (end == p || errno || !isfinite(v) || fabs(v) > 3.4e38 || (*end && *end != ' '))
            return fail(r, "bad threshold %u", j + 1);
        if (j == r->bits) return fail(r, "more than bits=%" PRIu32 " thresholds", r->bits);
        r->th[j++] = (float)v;
        p = *end ? end + 1 : end;
    }
    if (j != r->bits) return fail(r, "%u thresholds, bits=%" PRIu32 " needs as many", j, r->bits);
    r->have_th = 1;
    return 0;
}

int hash_reader_next(hash_reader *r, const uint64_t **code, const char **label, const char **comment)
{
    for (;;) {
        char *s;
        size_t n;
        int got = lines_next(&r->rd, &s, &n);
        if (got < 0) {
            lines_error_at(r->err, sizeof r->err, got, errno, r->name, r->ln + 1);
            return -1;
        }
        if (got == 0) return 0;
        r->ln++;
        s[n] = '\0';
        if (memchr(s, '\0', n)) return fail(r, "NUL byte in the line");
        static const char tag[] = "# senti codes";
        if (!strncmp(s, tag, sizeof tag - 1) && (s[sizeof tag - 1] == ' ' || s[sizeof tag - 1] == '\0')) {
            if (parse_header(r, s + sizeof tag - 1) < 0) return -1;
            continue;
        }
        if (!r->seen_header)
            return fail(r, "no '# senti codes bits=B model=D' header (codes come from senti-encode --bits)");
        static const char ttag[] = "# senti thresholds ";
        if (!strncmp(s, ttag, sizeof ttag - 1)) {
            if (parse_thresholds(r, s + sizeof ttag - 1) < 0) return -1;
            continue;
        }
        if (s[0] == '#') continue;
        if (r->thresh[0] && !r->have_th)
            return fail(r, "no '# senti thresholds' line after a header with thresh=");
        char *tab = strchr(s, '\t');
        if (!tab) return fail(r, "no tab between the label and the code");
        if (tab == s) return fail(r, "empty label");
        if (tab - s > 63) return fail(r, "label longer than 63 characters");
        *tab = '\0';
        char *hex = tab + 1, *tab2 = strchr(hex, '\t');
        size_t len = tab2 ? (size_t)(tab2 - hex) : strlen(hex);
        char msg[HASH_ERR_LEN];
        if (hash_from_hex(hex, len, r->bits, r->code, msg, sizeof msg) < 0) return fail(r, "%s", msg);
        r->row_ln = r->ln;
        *code = r->code;
        *label = s;
        *comment = tab2 ? tab2 + 1 : NULL;
        return 1;
    }
}

/* ---------------------------------------------------------------------- */
/* The index */

static void dedup_free(hash_index *x);

hash_index *hash_index_new(uint32_t bits)
{
    if (bits < 1 || bits > HASH_MAX_BITS) return NULL;
    hash_index *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->bits = bits;
    x->words = hash_words(bits);
    return x;
}

void hash_index_free(hash_index *x)
{
    if (!x) return;
    free(x->code);
    free(x->sub_key);
    free(x->sub_id);
    free(x->stamp);
    free(x->dist);
    free(x->cand);
    free(x->cand_d);
    dedup_free(x);
    free(x);
}

int hash_index_add(hash_index *x, const uint64_t *code)
{
    if (x->n == UINT32_MAX - 1) return -1;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 1024;
        uint64_t *p = realloc(x->code, cap * x->words * sizeof *p);
        if (!p) return -1;
        x->code = p;
        uint16_t *dp = realloc(x->dist, cap * sizeof *dp);
        if (!dp) return -1;
        x->dist = dp;
        uint8_t *d8 = realloc(x->cand_d, cap * HASH_SCAN_QUERIES);
        if (!d8) return -1;
        x->cand_d = d8;
        uint32_t *cp = realloc(x->cand, cap * HASH_SCAN_QUERIES * sizeof *cp);
        if (!cp) return -1;
        x->cand = cp;
        x->cap = cap;
    }
    memcpy(x->code + x->n * x->words, code, x->words * sizeof *code);
    x->n++;
    return 0;
}

/* Bits start..start+len-1 (len <= 32) of a code as a number. */
static uint32_t sub_bits(const uint64_t *c, uint32_t start, uint32_t len)
{
    uint32_t w = start >> 6, off = start & 63;
    uint64_t v = c[w] >> off;
    if (off + len > 64) v |= c[w + 1] << (64 - off);
    return (uint32_t)(v & (((uint64_t)1 << len) - 1));
}

typedef struct {
    uint32_t key, id;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *p = a, *q = b;
    if (p->key != q->key) return p->key < q->key ? -1 : 1;
    return p->id < q->id ? -1 : p->id > q->id;
}

int hash_index_build_mih(hash_index *x, int m)
{
    uint32_t B = x->bits;
    if (m <= 0) {
        double s = x->n > 1 ? round(log2((double)x->n)) : 1;
        if (s < 1) s = 1;
        m = (int)ceil(B / s);
    }
    if ((uint32_t)m > B) m = (int)B;
    if ((uint32_t)m * 32 < B) m = (int)((B + 31) / 32);
    if (m > 128) return -1;
    x->m = m;
    for (int i = 0, start = 0; i < m; i++) {
        x->sub_len[i] = B / (uint32_t)m + ((uint32_t)i < B % (uint32_t)m);
        x->sub_start[i] = (uint32_t)start;
        start += (int)x->sub_len[i];
    }
    size_t n = x->n ? x->n : 1;
    free(x->sub_key);
    free(x->sub_id);
    free(x->stamp);
    x->sub_key = malloc((size_t)m * n * sizeof *x->sub_key);
    x->sub_id = malloc((size_t)m * n * sizeof *x->sub_id);
    x->stamp = calloc(n, sizeof *x->stamp);
    keyed *tmp = malloc(n * sizeof *tmp);
    if (!x->sub_key || !x->sub_id || !x->stamp || !tmp) {
        free(tmp);
        x->m = 0;
        return -1;
    }
    x->now = 0;
    for (int i = 0; i < m; i++) {
        for (size_t r = 0; r < x->n; r++)
            tmp[r] = (keyed){sub_bits(x->code + r * x->words, x->sub_start[i], x->sub_len[i]), (uint32_t)r};
        qsort(tmp, x->n, sizeof *tmp, keyed_cmp);
        for (size_t r = 0; r < x->n; r++) {
            x->sub_key[(size_t)i * n + r] = tmp[r].key;
            x->sub_id[(size_t)i * n + r] = tmp[r].id;
        }
    }
    free(tmp);
    return 0;
}

/* Insert (row, d) into the sorted hits[0..*cnt) of room k, by (dist, row). */
static inline __attribute__((always_inline)) void offer(hash_hit *hits, size_t *cnt, size_t k, uint32_t row, uint32_t d)
{
    size_t c = *cnt;
    if (c == k) {
        const hash_hit *w = &hits[k - 1];
        if (d > w->dist || (d == w->dist && row > w->row)) return;
        c--;
    } else {
        (*cnt)++;
    }
    while (c > 0 && (hits[c - 1].dist > d || (hits[c - 1].dist == d && hits[c - 1].row > row))) {
        hits[c] = hits[c - 1];
        c--;
    }
    hits[c] = (hash_hit){row, d};
}

/* Every distance into x->dist with their histogram, then the rows below
 * the k-th distance and enough at it, in row order, counting-sorted by
 * distance (stable: ties stay by row). */
static inline __attribute__((always_inline)) size_t knn_scan(hash_index *x, const uint64_t *q, size_t k, hash_hit *hits)
{
    size_t n = x->n, W = x->words;
    uint32_t B = x->bits, hist[HASH_MAX_BITS + 2];
    uint16_t *dist = x->dist;
    if (!k || !n) return 0;
    memset(hist, 0, (B + 2) * sizeof *hist);
    if (W == 1) {
        /* four histograms, so that a run of equal distances does not
         * serialise the increments */
        uint32_t h4[4][65] = {{0}};
        uint64_t q0 = q[0];
        const uint64_t *c = x->code;
        size_t r = 0;
        for (; r + 4 <= n; r += 4) {
            uint16_t d0 = (uint16_t)__builtin_popcountll(q0 ^ c[r]), d1 = (uint16_t)__builtin_popcountll(q0 ^ c[r + 1]);
            uint16_t d2 = (uint16_t)__builtin_popcountll(q0 ^ c[r + 2]), d3 = (uint16_t)__builtin_popcountll(q0 ^ c[r + 3]);
            dist[r] = d0, dist[r + 1] = d1, dist[r + 2] = d2, dist[r + 3] = d3;
            h4[0][d0]++, h4[1][d1]++, h4[2][d2]++, h4[3][d3]++;
        }
        for (; r < n; r++) h4[0][dist[r] = (uint16_t)__builtin_popcountll(q0 ^ c[r])]++;
        for (uint32_t d = 0; d <= B; d++) hist[d] = h4[0][d] + h4[1][d] + h4[2][d] + h4[3][d];
    } else {
        for (size_t r = 0; r < n; r++) hist[dist[r] = (uint16_t)hash_dist(q, x->code + r * W, W)]++;
    }
    if (k > n) k = n;
    uint32_t dk = 0;
    size_t below = 0; /* rows nearer than dk */
    while (below + hist[dk] < k) below += hist[dk++];
    size_t at = k - below; /* rows taken at distance dk */
    /* where each distance starts in hits */
    uint32_t start[HASH_MAX_BITS + 2];
    size_t pos = 0;
    for (uint32_t d = 0; d < dk; d++) start[d] = (uint32_t)pos, pos += hist[d];
    start[dk] = (uint32_t)pos;
    for (size_t r = 0; r < n; r++) {
        uint32_t d = dist[r];
        if (d < dk) hits[start[d]++] = (hash_hit){(uint32_t)r, d};
        else if (d == dk && at) hits[start[d]++] = (hash_hit){(uint32_t)r, d}, at--;
    }
    return k;
}

/* The kernels twice: for any x86-64, and with the popcnt instruction
 * (without it __builtin_popcountll is a bit-twiddling sequence), chosen
 * when the processor has it. */
#if defined(__x86_64__) && defined(__GNUC__)
#define HASH_POPCNT 1
static int have_popcnt(void)
{
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("popcnt") ? 1 : 0;
    }
    return have;
}
__attribute__((target("popcnt"))) static size_t knn_scan_popcnt(hash_index *x, const uint64_t *q, size_t k,
                                                                 hash_hit *hits)
{
    return knn_scan(x, q, k, hits);
}
#endif

size_t hash_knn_scan(hash_index *x, const uint64_t *q, size_t k, hash_hit *hits)
{
#ifdef HASH_POPCNT
    if (have_popcnt()) return knn_scan_popcnt(x, q, k, hits);
#endif
    return knn_scan(x, q, k, hits);
}

/* ---------------------------------------------------------------------- */
/* Several queries per pass, distances in bytes (up to 255 bits) */

/* Rows per block of the index: 2048 64-bit codes are 16 KiB, so a block
 * stays in the first-level cache while the queries go over it. */
#define SCAN_BLOCK 2048

/* d[r - r0] = distance of q to row r, for r in [r0, r1). */
static inline __attribute__((always_inline)) void dist_block8(const uint64_t *code, size_t W, size_t r0, size_t r1,
                                                              const uint64_t *q, uint8_t *d)
{
    if (W == 1) {
        uint64_t q0 = q[0];
        for (size_t r = r0; r < r1; r++) d[r - r0] = (uint8_t)__builtin_popcountll(q0 ^ code[r]);
    } else if (W == 2) {
        uint64_t q0 = q[0], q1 = q[1];
        for (size_t r = r0; r < r1; r++)
            d[r - r0] = (uint8_t)(__builtin_popcountll(q0 ^ code[2 * r]) + __builtin_popcountll(q1 ^ code[2 * r + 1]));
    } else {
        for (size_t r = r0; r < r1; r++) d[r - r0] = (uint8_t)hash_dist(q, code + r * W, W);
    }
}

/* The i of d[0..len) with d[i] <= t: row r0 + i into cand, d[i] into cd,
 * in row order; their number. */
static size_t collect_le(const uint8_t *d, size_t len, uint8_t t, uint32_t r0, uint32_t *cand, uint8_t *cd)
{
    size_t c = 0, i = 0;
#ifdef __SSE2__
    __m128i tv = _mm_set1_epi8((char)t);
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, tv), v));
        while (m) {
            size_t j = i + (size_t)__builtin_ctz(m);
            cand[c] = r0 + (uint32_t)j, cd[c++] = d[j];
            m &= m - 1;
        }
    }
#endif
    for (; i < len; i++)
        if (d[i] <= t) cand[c] = r0 + (uint32_t)i, cd[c++] = d[i];
    return c;
}

/* A first threshold for the k nearest of n rows: the distance within which
 * about twice the share k/n of a sample of the rows lies (k/n of them
 * exactly when every row is in the sample).  The sample is runs of 64
 * entries of code[0..cn), one run in every stride, so that it reads whole
 * cache lines; entry u stands for ustart[u + 1] - ustart[u] rows (one each
 * when ustart is NULL), n rows in all. */
static inline __attribute__((always_inline)) uint32_t sample_threshold(const uint64_t *code, size_t cn, size_t W,
                                                                       uint32_t B, const uint32_t *ustart, size_t n,
                                                                       const uint64_t *q, size_t k)
{
    size_t stride = cn / (64 * k);
    if (stride < 1) stride = 1;
    if (stride > 64) stride = 64;
    size_t h[256] = {0}, got = 0;
    for (size_t r0 = 0; r0 < cn; r0 += 64 * stride)
        for (size_t r = r0; r < r0 + 64 && r < cn; r++) {
            size_t w = ustart ? ustart[r + 1] - ustart[r] : 1;
            h[hash_dist(q, code + r * W, W)] += w, got += w;
        }
    uint32_t t = 0;
    size_t want = stride == 1 ? k : 2 * (k * got / n) + 2, seen = h[0];
    while (seen < want && t < B) seen += h[++t];
    return t;
}

/* The k nearest of the c candidates (rows cand in row order, distances cd,
 * at least k of them, including every row nearer than the k-th) by
 * (distance, row) into hits: a counting sort, stable. */
static void sort_candidates(const uint32_t *cand, const uint8_t *cd, size_t c, uint32_t B, size_t k, hash_hit *hits)
{
    uint32_t h[256] = {0};
    for (size_t i = 0; i < c; i++) h[cd[i]]++;
    uint32_t dk = 0;
    size_t below = 0;
    while (below + h[dk] < k) below += h[dk++];
    size_t at = k - below;
    uint32_t start[256], pos = 0;
    for (uint32_t v = 0; v <= dk && v <= B; v++) start[v] = pos, pos += h[v];
    for (size_t i = 0; i < c; i++) {
        uint32_t v = cd[i];
        if (v < dk) hits[start[v]++] = (hash_hit){cand[i], v};
        else if (v == dk && at) hits[start[v]++] = (hash_hit){cand[i], v}, at--;
    }
}

#ifdef HASH_POPCNT
__attribute__((target("avx2,popcnt"))) static size_t scan64_avx2(const uint64_t *code, size_t r0, size_t r1,
                                                                  uint64_t q0, uint8_t t, uint32_t *cand,
                                                                  uint8_t *cd);
#endif

/* The entries of block [r0, r1) of code within distance t of q into cand,
 * cd (in order); their number.  d: room for the block's distances.  avx2: 64-bit
 * codes by scan64_avx2, only where the processor has it. */
static inline __attribute__((always_inline)) size_t scan_block(const uint64_t *code, size_t W, const uint64_t *q,
                                                               size_t r0, size_t r1, uint32_t t, uint8_t *d,
                                                               uint32_t *cand, uint8_t *cd, int avx2)
{
#ifdef HASH_POPCNT
    if (avx2) return scan64_avx2(code, r0, r1, q[0], (uint8_t)t, cand, cd);
#endif
    (void)avx2;
    dist_block8(code, W, r0, r1, q, d);
    return collect_le(d, r1 - r0, (uint8_t)t, (uint32_t)r0, cand, cd);
}

static int hit_cmp(const void *a, const void *b)
{
    const hash_hit *p = a, *q = b;
    if (p->dist != q->dist) return p->dist < q->dist ? -1 : 1;
    return p->row < q->row ? -1 : p->row > q->row;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* sort_candidates for candidates that are distinct codes: cand[i] is a
 * distinct code whose rows are x->urows[ustart[u]..ustart[u + 1]) (at least
 * k rows in all, every row nearer than the k-th among them).  The rows
 * nearer than the k-th distance dk sorted by (distance, row), then the
 * smallest rows at dk; tmp has room for n rows. */
static void expand_candidates(const hash_index *x, const uint32_t *cand, const uint8_t *cd, size_t c, size_t k,
                              hash_hit *hits, uint32_t *tmp)
{
    const uint32_t *us = x->ustart, *ur = x->urows;
    size_t h[256] = {0};
    for (size_t i = 0; i < c; i++) h[cd[i]] += us[cand[i] + 1] - us[cand[i]];
    uint32_t dk = 0;
    size_t below = 0;
    while (below + h[dk] < k) below += h[dk++];
    size_t at = k - below, p = 0, b = 0;
    for (size_t i = 0; i < c; i++) {
        if (cd[i] < dk)
            for (uint32_t j = us[cand[i]]; j < us[cand[i] + 1]; j++) hits[p++] = (hash_hit){ur[j], cd[i]};
        else if (cd[i] == dk)
            for (uint32_t j = us[cand[i]]; j < us[cand[i] + 1]; j++) tmp[b++] = ur[j];
    }
    qsort(hits, p, sizeof *hits, hit_cmp);
    if (b > at) select_u32(tmp, b, at - 1);
    qsort(tmp, at, sizeof *tmp, u32_cmp);
    for (size_t i = 0; i < at; i++) hits[p + i] = (hash_hit){tmp[i], dk};
}

static inline __attribute__((always_inline)) size_t knn_scan_many(hash_index *x, const uint64_t *q, size_t nq,
                                                                  size_t k, hash_hit *hits, int avx2)
{
    size_t n = x->n, W = x->words;
    if (!k || !n || !nq) return 0;
    /* the distinct codes when there are few enough (hash_index_dedup) */
    int uniq = x->un > 0;
    const uint64_t *code = uniq ? x->ucode : x->code;
    const uint32_t *us = uniq ? x->ustart : NULL;
    size_t cn = uniq ? x->un : n;
    size_t kk = k < n ? k : n, c[HASH_SCAN_QUERIES], rows[HASH_SCAN_QUERIES];
    uint32_t t[HASH_SCAN_QUERIES];
    uint8_t d[SCAN_BLOCK];
    for (size_t i = 0; i < nq; i++) t[i] = sample_threshold(code, cn, W, x->bits, us, n, q + i * W, kk), c[i] = 0;
    /* query i's candidates at cand + i * n, cand_d + i * n */
    for (size_t r0 = 0; r0 < cn; r0 += SCAN_BLOCK) {
        size_t r1 = r0 + SCAN_BLOCK < cn ? r0 + SCAN_BLOCK : cn;
        for (size_t i = 0; i < nq; i++)
            c[i] += scan_block(code, W, q + i * W, r0, r1, t[i], d, x->cand + i * n + c[i], x->cand_d + i * n + c[i],
                               avx2);
    }
    for (size_t i = 0; i < nq; i++) {
        uint32_t *cand = x->cand + i * n;
        uint8_t *cd = x->cand_d + i * n;
        for (;;) {
            rows[i] = c[i];
            if (uniq)
                for (size_t j = rows[i] = 0; j < c[i]; j++) rows[i] += us[cand[j] + 1] - us[cand[j]];
            if (rows[i] >= kk) break;
            /* the sample misled: a wider threshold, and again */
            t[i] += 1 + t[i] / 4;
            if (t[i] > x->bits) t[i] = x->bits;
            c[i] = 0;
            for (size_t r0 = 0; r0 < cn; r0 += SCAN_BLOCK) {
                size_t r1 = r0 + SCAN_BLOCK < cn ? r0 + SCAN_BLOCK : cn;
                c[i] += scan_block(code, W, q + i * W, r0, r1, t[i], d, cand + c[i], cd + c[i], avx2);
            }
        }
        if (uniq) expand_candidates(x, cand, cd, c[i], kk, hits + i * k, x->utmp);
        else sort_candidates(cand, cd, c[i], x->bits, kk, hits + i * k);
    }
    return kk;
}

#ifdef HASH_POPCNT
#include <immintrin.h>

static int have_avx2(void)
{
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return have;
}

/* dist_block8 and collect_le in one for 64-bit codes with AVX2: 32 rows
 * per step, each row's popcount from a 16-entry nibble table (vpshufb)
 * summed by vpsadbw; the eight sums of 4 rows are shifted into one vector,
 * lane j byte v holding row 4v + j, and put back in row order by a byte
 * shuffle within each 128-bit half and an interleave of the halves' 16-bit
 * units (only for the steps that keep a row); then the rows within t are
 * kept.  Returns their number. */
__attribute__((target("avx2,popcnt"))) static size_t scan64_avx2(const uint64_t *code, size_t r0, size_t r1,
                                                                  uint64_t q0, uint8_t t, uint32_t *cand,
                                                                  uint8_t *cd)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                         2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    const __m256i qv = _mm256_set1_epi64x((long long)q0);
    const __m256i order = _mm256_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 0, 8, 1, 9, 2, 10, 3,
                                           11, 4, 12, 5, 13, 6, 14, 7, 15);
    const __m256i tv = _mm256_set1_epi8((char)t);
    uint8_t d[32];
    size_t r = r0, c = 0;
    for (; r + 32 <= r1; r += 32) {
        __m256i acc = zero;
#pragma GCC unroll 8
        for (int v = 0; v < 8; v++) {
            __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(code + r + 4 * v)), qv);
            __m256i n = _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(x, low)),
                                        _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
            acc = _mm256_or_si256(acc, _mm256_slli_epi64(_mm256_sad_epu8(n, zero), 8 * v));
        }
        /* the mask in lane order first: most steps keep no row */
        if (!_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(acc, tv), acc))) continue;
        acc = _mm256_shuffle_epi8(acc, order);
        __m128i h0 = _mm256_castsi256_si128(acc), h1 = _mm256_extracti128_si256(acc, 1);
        __m128i lo = _mm_unpacklo_epi16(h0, h1), hi = _mm_unpackhi_epi16(h0, h1); /* rows r..r+15, r+16..r+31 */
        _mm_storeu_si128((__m128i *)(void *)d, lo);
        _mm_storeu_si128((__m128i *)(void *)(d + 16), hi);
        __m256i all = _mm256_setr_m128i(lo, hi);
        uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(all, tv), all));
        while (m) {
            unsigned j = (unsigned)__builtin_ctz(m);
            cand[c] = (uint32_t)(r + j), cd[c++] = d[j];
            m &= m - 1;
        }
    }
    for (; r < r1; r++) {
        uint8_t e = (uint8_t)__builtin_popcountll(q0 ^ code[r]);
        if (e <= t) cand[c] = (uint32_t)r, cd[c++] = e;
    }
    return c;
}

__attribute__((target("popcnt"))) static size_t knn_scan_many_popcnt(hash_index *x, const uint64_t *q, size_t nq,
                                                                      size_t k, hash_hit *hits)
{
    return knn_scan_many(x, q, nq, k, hits, 0);
}
__attribute__((target("avx2,popcnt"))) static size_t knn_scan_many_avx2(hash_index *x, const uint64_t *q, size_t nq,
                                                                         size_t k, hash_hit *hits)
{
    return knn_scan_many(x, q, nq, k, hits, 1);
}
#endif

static int simd_on = 1;
int hash_simd(int on)
{
    int was = simd_on;
    simd_on = on;
    return was;
}

typedef struct {
    uint64_t code;
    uint32_t row;
} coded;

static int coded_cmp(const void *a, const void *b)
{
    const coded *p = a, *q = b;
    if (p->code != q->code) return p->code < q->code ? -1 : 1;
    return p->row < q->row ? -1 : p->row > q->row;
}

static void dedup_free(hash_index *x)
{
    free(x->ucode);
    free(x->ustart);
    free(x->urows);
    free(x->utmp);
    x->ucode = NULL, x->ustart = x->urows = x->utmp = NULL;
    x->un = 0;
}

int hash_index_dedup(hash_index *x, double most)
{
    dedup_free(x);
    x->u_for = x->n;
    if (x->words != 1 || x->bits > 255 || x->n < 2) return 0;
    size_t n = x->n;
    coded *s = malloc(n * sizeof *s);
    if (!s) return -1;
    for (size_t r = 0; r < n; r++) s[r] = (coded){x->code[r], (uint32_t)r};
    qsort(s, n, sizeof *s, coded_cmp);
    size_t un = 1;
    for (size_t r = 1; r < n; r++) un += s[r].code != s[r - 1].code;
    if ((double)un > most * (double)n) {
        free(s);
        return 0;
    }
    x->ucode = malloc(un * sizeof *x->ucode);
    x->ustart = malloc((un + 1) * sizeof *x->ustart);
    x->urows = malloc(n * sizeof *x->urows);
    x->utmp = malloc(n * sizeof *x->utmp);
    if (!x->ucode || !x->ustart || !x->urows || !x->utmp) {
        free(s);
        dedup_free(x);
        return -1;
    }
    size_t u = 0;
    for (size_t r = 0; r < n; r++) {
        if (r == 0 || s[r].code != s[r - 1].code) x->ucode[u] = s[r].code, x->ustart[u++] = (uint32_t)r;
        x->urows[r] = s[r].row;
    }
    x->ustart[un] = (uint32_t)n;
    x->un = un;
    free(s);
    return 0;
}

size_t hash_knn_scan_many(hash_index *x, const uint64_t *q, size_t nq, size_t k, hash_hit *hits)
{
    if (x->u_for != x->n) { /* rows were added: the distinct codes again (without them if out of memory) */
        if (hash_index_dedup(x, HASH_DEDUP_MOST) < 0) dedup_free(x);
    }
    if (nq > HASH_SCAN_QUERIES) nq = HASH_SCAN_QUERIES;
    if (x->bits > 255) {
        size_t got = 0;
        for (size_t i = 0; i < nq; i++) got = hash_knn_scan(x, q + i * x->words, k, hits + i * k);
        return got;
    }
#ifdef HASH_POPCNT
    if (simd_on && x->words == 1 && have_avx2()) return knn_scan_many_avx2(x, q, nq, k, hits);
    if (have_popcnt()) return knn_scan_many_popcnt(x, q, nq, k, hits);
#endif
    return knn_scan_many(x, q, nq, k, hits, 0);
}

size_t hash_knn_naive(const hash_index *x, const uint64_t *q, size_t k, hash_hit *hits)
{
    size_t cnt = 0;
    if (!k) return 0;
    for (size_t r = 0; r < x->n; r++)
        offer(hits, &cnt, k, (uint32_t)r, hash_dist_naive(q, x->code + r * x->words, x->bits));
    return cnt;
}

/* C(n, r), saturating at 2^62. */
static uint64_t choose(uint32_t n, uint32_t r)
{
    if (r > n) return 0;
    uint64_t c = 1;
    for (uint32_t i = 1; i <= r; i++) {
        c = c * (n - r + i) / i;
        if (c > ((uint64_t)1 << 62)) return (uint64_t)1 << 62;
    }
    return c;
}

static inline __attribute__((always_inline)) size_t knn_mih(hash_index *x, const uint64_t *q, size_t k, hash_hit *hits)
{
    size_t cnt = 0, visited = 0, n = x->n, stride = n ? n : 1;
    if (!k || !n) return 0;
    if (++x->now == 0) {
        memset(x->stamp, 0, n * sizeof *x->stamp);
        x->now = 1;
    }
    uint32_t now = x->now, maxlen = 0;
    uint32_t qs[128];
    for (int i = 0; i < x->m; i++) {
        qs[i] = sub_bits(q, x->sub_start[i], x->sub_len[i]);
        if (x->sub_len[i] > maxlen) maxlen = x->sub_len[i];
    }
    for (uint32_t rs = 0; rs <= maxlen && visited < n; rs++) {
        /* probing costs more than scanning what is left: scan it */
        uint64_t probes = 0;
        for (int i = 0; i < x->m; i++) probes += choose(x->sub_len[i], rs);
        if (probes > n - visited) {
            for (size_t r = 0; r < n; r++) {
                if (x->stamp[r] == now) continue;
                offer(hits, &cnt, k, (uint32_t)r, hash_dist(q, x->code + r * x->words, x->words));
            }
            return cnt;
        }
        for (int i = 0; i < x->m; i++) {
            uint32_t len = x->sub_len[i];
            if (rs > len) continue;
            const uint32_t *key = x->sub_key + (size_t)i * stride, *id = x->sub_id + (size_t)i * stride;
            /* every mask of rs bits among len (Gosper's hack) */
            uint64_t mask = ((uint64_t)1 << rs) - 1, end = (uint64_t)1 << len;
            for (;;) {
                uint32_t v = qs[i] ^ (uint32_t)mask;
                size_t lo = 0, hi = n;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (key[mid] < v) lo = mid + 1;
                    else hi = mid;
                }
                for (; lo < n && key[lo] == v; lo++) {
                    uint32_t r = id[lo];
                    if (x->stamp[r] == now) continue;
                    x->stamp[r] = now;
                    visited++;
                    offer(hits, &cnt, k, r, hash_dist(q, x->code + (size_t)r * x->words, x->words));
                }
                if (mask == 0) break;
                uint64_t c = mask & -mask, nx = mask + c;
                mask = (((nx ^ mask) >> 2) / c) | nx;
                if (mask >= end) break;
            }
        }
        /* rows not seen differ in rs + 1 bits or more of every substring */
        if (cnt == k && hits[k - 1].dist < (uint64_t)x->m * (rs + 1)) return cnt;
    }
    return cnt;
}

#ifdef HASH_POPCNT
__attribute__((target("popcnt"))) static size_t knn_mih_popcnt(hash_index *x, const uint64_t *q, size_t k,
                                                                hash_hit *hits)
{
    return knn_mih(x, q, k, hits);
}
#endif

size_t hash_knn_mih(hash_index *x, const uint64_t *q, size_t k, hash_hit *hits)
{
#ifdef HASH_POPCNT
    if (have_popcnt()) return knn_mih_popcnt(x, q, k, hits);
#endif
    return knn_mih(x, q, k, hits);
}
