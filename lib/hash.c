/* hash.c - binary codes: packing, hex text, Hamming distance, the codes
 * file reader and k-nearest-neighbour search (scan and multi-index
 * hashing).  See hash.h. */
#include "hash.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Codes and their text */

void hash_pack(const float *h, uint32_t bits, float thresh, uint64_t *code)
{
    memset(code, 0, hash_words(bits) * sizeof *code);
    for (uint32_t j = 0; j < bits; j++)
        if (h[j] > thresh) code[j >> 6] |= (uint64_t)1 << (j & 63);
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
/* Codes files */

int hash_write_header(FILE *f, uint32_t bits, const char *model)
{
    return fprintf(f, "# senti codes bits=%" PRIu32 " model=%s\n", bits, model) < 0 ? -1 : 0;
}

struct hash_reader {
    FILE *f;
    const char *name;
    long ln, row_ln;
    char *line;
    size_t cap;
    uint32_t bits;
    char model[17];
    int seen_header;
    uint32_t want_bits;
    char want_model[17];
    const char *want_what;
    uint64_t code[HASH_MAX_BITS / 64];
    char err[HASH_ERR_LEN + 128];
};

hash_reader *hash_reader_new(FILE *f, const char *name)
{
    hash_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->f = f;
    r->name = name;
    return r;
}

void hash_reader_free(hash_reader *r)
{
    if (!r) return;
    free(r->line);
    free(r);
}

void hash_reader_expect(hash_reader *r, uint32_t bits, const char *model, const char *what)
{
    r->want_bits = bits;
    snprintf(r->want_model, sizeof r->want_model, "%s", model ? model : "");
    r->want_what = what;
}

const char *hash_reader_error(const hash_reader *r) { return r->err; }
uint32_t hash_reader_bits(const hash_reader *r) { return r->bits; }
const char *hash_reader_model(const hash_reader *r) { return r->model; }
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
    char model[17] = "";
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
            memcpy(model, w + 6, 17);
        }
    }
    if (bits < 0) return fail(r, "codes header without bits=");
    if (!model[0]) return fail(r, "codes header without model=");
    if (r->seen_header && ((uint32_t)bits != r->bits || strcmp(model, r->model)))
        return fail(r, "header bits=%ld model=%s disagrees with the earlier bits=%" PRIu32 " model=%s", bits, model,
                    r->bits, r->model);
    if (r->want_bits && (uint32_t)bits != r->want_bits)
        return fail(r, "codes of %ld bits, %s has %" PRIu32, bits, r->want_what, r->want_bits);
    if (r->want_model[0] && strcmp(model, r->want_model))
        return fail(r, "model digest %s differs from %s's %s", model, r->want_what, r->want_model);
    r->bits = (uint32_t)bits;
    memcpy(r->model, model, 17);
    r->seen_header = 1;
    return 0;
}

int hash_reader_next(hash_reader *r, const uint64_t **code, const char **label, const char **comment)
{
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->cap, r->f);
        if (n < 0) {
            if (ferror(r->f)) {
                snprintf(r->err, sizeof r->err, "%s: read error: %s", r->name, strerror(errno ? errno : EIO));
                return -1;
            }
            return 0;
        }
        r->ln++;
        char *s = r->line;
        if (n > 0 && s[n - 1] == '\n') s[--n] = '\0';
        if ((size_t)n != strlen(s)) return fail(r, "NUL byte in the line");
        static const char tag[] = "# senti codes";
        if (!strncmp(s, tag, sizeof tag - 1) && (s[sizeof tag - 1] == ' ' || s[sizeof tag - 1] == '\0')) {
            if (parse_header(r, s + sizeof tag - 1) < 0) return -1;
            continue;
        }
        if (!r->seen_header)
            return fail(r, "no '# senti codes bits=B model=D' header (codes come from senti-encode --bits)");
        if (s[0] == '#') continue;
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
