/* vocab.c - exact term counting in bounded memory (sorted runs in one
 * unlinked temporary file, merged k-way), vocabulary files and the
 * vocabulary digest (see vocab.h, docs/text.md).  The terms are kept in a
 * strtab; documents and files are read and split by lib/lines. */
#include "vocab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"

/* ------------------------------------------------------------------------
 * the digest */

uint64_t vocab_digest_add(uint64_t h, const char *term, size_t n)
{
    const unsigned char *p = (const unsigned char *)term;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= (unsigned char)'\n';
    h *= 0x100000001b3ULL;
    return h;
}

void vocab_digest_hex(uint64_t h, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}

/* ------------------------------------------------------------------------
 * sorting records: by term (runs of the counting phase) or by rank order
 * (decreasing df, then term) */

enum { BY_TERM, BY_RANK };

static inline int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c) return c;
    return na < nb ? -1 : na > nb;
}

static inline int cmp_rec(int mode, const char *a, size_t na, uint64_t dfa,
                          const char *b, size_t nb, uint64_t dfb)
{
    if (mode == BY_RANK && dfa != dfb) return dfa > dfb ? -1 : 1;
    return cmp_bytes(a, na, b, nb);
}

/* qsort has no context argument: the table being sorted is passed here */
static const strtab *sort_tab;

static int cmp_idx_term(const void *x, const void *y)
{
    const strtab_entry *a = &sort_tab->slots[*(const uint32_t *)x];
    const strtab_entry *b = &sort_tab->slots[*(const uint32_t *)y];
    return cmp_bytes(sort_tab->arena + a->off, a->len, sort_tab->arena + b->off, b->len);
}

static int cmp_idx_rank(const void *x, const void *y)
{
    const strtab_entry *a = &sort_tab->slots[*(const uint32_t *)x];
    const strtab_entry *b = &sort_tab->slots[*(const uint32_t *)y];
    return cmp_rec(BY_RANK, sort_tab->arena + a->off, a->len, a->df,
                   sort_tab->arena + b->off, b->len, b->df);
}

/* Indices of the table's terms with df >= min_df, sorted; NULL on OOM. */
static uint32_t *sorted_index(const strtab *t, int mode, uint64_t min_df, size_t *count)
{
    uint32_t *ix = malloc((t->n ? t->n : 1) * sizeof *ix);
    if (!ix) return NULL;
    size_t m = 0;
    for (size_t i = 0; t->slots && i <= t->mask; i++)
        if (t->slots[i].off && t->slots[i].df >= min_df) ix[m++] = (uint32_t)i;
    sort_tab = t;
    qsort(ix, m, sizeof *ix, mode == BY_TERM ? cmp_idx_term : cmp_idx_rank);
    sort_tab = NULL;
    *count = m;
    return ix;
}

/* ------------------------------------------------------------------------
 * the spill file: runs of records "u32 len, bytes, u64 df, u64 cf" appended
 * to one unlinked temporary file, written and read with pwrite/pread */

#define SPILL_BUF (1u << 16)
#define MERGE_FANIN 64

typedef struct run {
    uint64_t start, end;
} run;

typedef struct run_list {
    run *r;
    size_t n, cap;
} run_list;

struct vocab_counter {
    strtab tab;
    size_t limit, peak;
    uint64_t ndoc;
    int fd;
    char *tmpdir;
    uint64_t fend;
    run_list runs;     /* counting phase (sorted by term, may repeat terms) */
    size_t nspilled;   /* all runs written, both phases */
    int finished;
    uint64_t *bits;    /* blank bitmap of the current document */
    size_t nbits;
    char *pad;         /* vocab_counter_doc: the text with padding */
    size_t padcap;
    char err[256];
};

static int fail(vocab_counter *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

typedef struct spill_w {
    vocab_counter *c;
    uint64_t start, pos;
    char *buf;
    size_t n;
} spill_w;

static int open_spill(vocab_counter *c)
{
    if (c->fd >= 0) return 0;
    const char *dir = c->tmpdir;
    if (!dir || !*dir) dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    if (!path) return fail(c, "out of memory");
    snprintf(path, n, "%s/senti-vocab.XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        fail(c, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        free(path);
        return -1;
    }
    unlink(path);
    free(path);
    c->fd = fd;
    c->fend = 0;
    return 0;
}

static int w_open(spill_w *w, vocab_counter *c)
{
    if (open_spill(c) < 0) return -1;
    w->c = c;
    w->start = w->pos = c->fend;
    w->n = 0;
    w->buf = malloc(SPILL_BUF);
    if (!w->buf) return fail(c, "out of memory");
    return 0;
}

static int w_flush(spill_w *w)
{
    size_t done = 0;
    while (done < w->n) {
        ssize_t k = pwrite(w->c->fd, w->buf + done, w->n - done, (off_t)(w->pos + done));
        if (k < 0) {
            if (errno == EINTR) continue;
            return fail(w->c, "writing the temporary file: %s", strerror(errno));
        }
        done += (size_t)k;
    }
    w->pos += w->n;
    w->n = 0;
    return 0;
}

static int w_put(spill_w *w, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        if (w->n == SPILL_BUF && w_flush(w) < 0) return -1;
        size_t k = SPILL_BUF - w->n;
        if (k > n) k = n;
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
    }
    return 0;
}

static int w_rec(spill_w *w, const char *term, size_t n, uint64_t df, uint64_t cf)
{
    uint32_t len = (uint32_t)n;
    if (w_put(w, &len, 4) < 0 || w_put(w, term, n) < 0 || w_put(w, &df, 8) < 0 ||
        w_put(w, &cf, 8) < 0)
        return -1;
    return 0;
}

/* Finish a run and append it to list. */
static int w_close(spill_w *w, run_list *list)
{
    int rc = w_flush(w);
    free(w->buf);
    w->buf = NULL;
    if (rc < 0) return -1;
    vocab_counter *c = w->c;
    c->fend = w->pos;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        run *r = realloc(list->r, cap * sizeof *r);
        if (!r) return fail(c, "out of memory");
        list->r = r;
        list->cap = cap;
    }
    list->r[list->n++] = (run){w->start, w->pos};
    c->nspilled++;
    return 0;
}

typedef struct spill_r {
    vocab_counter *c;
    uint64_t pos, end;   /* file position of buf[len], end of the run */
    char *buf;
    size_t len, at;
    char *term;          /* current record */
    size_t tlen, tcap;
    uint64_t df, cf;
} spill_r;

static int r_read(spill_r *r, void *dst, size_t n)
{
    char *d = dst;
    while (n) {
        if (r->at == r->len) {
            uint64_t left = r->end - r->pos;
            if (!left) return fail(r->c, "temporary file: truncated run");
            size_t want = left < SPILL_BUF ? (size_t)left : SPILL_BUF;
            ssize_t k = pread(r->c->fd, r->buf, want, (off_t)r->pos);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) return fail(r->c, "reading the temporary file: %s", k < 0 ? strerror(errno) : "short read");
            r->pos += (uint64_t)k;
            r->len = (size_t)k;
            r->at = 0;
        }
        size_t k = r->len - r->at;
        if (k > n) k = n;
        memcpy(d, r->buf + r->at, k);
        r->at += k;
        d += k;
        n -= k;
    }
    return 0;
}

/* 1 = a record, 0 = end of run, -1 = error */
static int r_next(spill_r *r)
{
    if (r->at == r->len && r->pos == r->end) return 0;
    uint32_t len;
    if (r_read(r, &len, 4) < 0) return -1;
    if (len + 1 > r->tcap) {
        size_t cap = (size_t)len + 1 > 2 * r->tcap ? (size_t)len + 1 : 2 * r->tcap;
        char *t = realloc(r->term, cap);
        if (!t) return fail(r->c, "out of memory");
        r->term = t;
        r->tcap = cap;
    }
    if (r_read(r, r->term, len) < 0 || r_read(r, &r->df, 8) < 0 || r_read(r, &r->cf, 8) < 0) return -1;
    r->term[len] = '\0';
    r->tlen = len;
    return 1;
}

/* k-way merge of runs; with sum, equal terms (BY_TERM) are added up */
typedef struct merger {
    vocab_counter *c;
    int mode, sum;
    spill_r *r;
    size_t n;
    size_t *heap, hn;
    char *term;          /* current output record */
    size_t tlen, tcap;
    uint64_t df, cf;
} merger;

static int m_less(const merger *m, size_t a, size_t b)
{
    const spill_r *x = &m->r[a], *y = &m->r[b];
    int c = cmp_rec(m->mode, x->term, x->tlen, x->df, y->term, y->tlen, y->df);
    return c < 0 || (c == 0 && a < b);
}

static void m_down(merger *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        if (l < m->hn && m_less(m, m->heap[l], m->heap[best])) best = l;
        if (l + 1 < m->hn && m_less(m, m->heap[l + 1], m->heap[best])) best = l + 1;
        if (best == i) return;
        size_t t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

static void m_free(merger *m)
{
    if (m->r)
        for (size_t i = 0; i < m->n; i++) {
            free(m->r[i].buf);
            free(m->r[i].term);
        }
    free(m->r);
    free(m->heap);
    free(m->term);
    memset(m, 0, sizeof *m);
}

static int m_init(merger *m, vocab_counter *c, const run *runs, size_t n, int mode, int sum)
{
    memset(m, 0, sizeof *m);
    m->c = c;
    m->mode = mode;
    m->sum = sum;
    m->n = n;
    m->r = calloc(n ? n : 1, sizeof *m->r);
    m->heap = malloc((n ? n : 1) * sizeof *m->heap);
    if (!m->r || !m->heap) {
        m_free(m);
        return fail(c, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        spill_r *r = &m->r[i];
        r->c = c;
        r->pos = runs[i].start;
        r->end = runs[i].end;
        r->buf = malloc(SPILL_BUF);
        if (!r->buf) {
            m_free(m);
            return fail(c, "out of memory");
        }
        int k = r_next(r);
        if (k < 0) {
            m_free(m);
            return -1;
        }
        if (k) m->heap[m->hn++] = i;
    }
    for (size_t i = m->hn / 2; i-- > 0;) m_down(m, i);
    return 0;
}

/* 1 = next merged record in m->term/tlen/df/cf, 0 = end, -1 = error */
static int m_next(merger *m)
{
    if (!m->hn) return 0;
    int first = 1;
    while (m->hn) {
        spill_r *r = &m->r[m->heap[0]];
        if (!first && !(m->sum && cmp_bytes(r->term, r->tlen, m->term, m->tlen) == 0)) break;
        if (first) {
            if (r->tlen + 1 > m->tcap) {
                size_t cap = r->tlen + 1 > 2 * m->tcap ? r->tlen + 1 : 2 * m->tcap;
                char *t = realloc(m->term, cap);
                if (!t) return fail(m->c, "out of memory");
                m->term = t;
                m->tcap = cap;
            }
            memcpy(m->term, r->term, r->tlen + 1);
            m->tlen = r->tlen;
            m->df = r->df;
            m->cf = r->cf;
            first = 0;
        } else {
            m->df += r->df;
            m->cf += r->cf;
        }
        int k = r_next(r);
        if (k < 0) return -1;
        if (!k) m->heap[0] = m->heap[--m->hn];
        if (m->hn) m_down(m, 0);
    }
    return 1;
}

/* Merge groups of runs until at most MERGE_FANIN remain. */
static int reduce_runs(vocab_counter *c, run_list *list, int mode)
{
    while (list->n > MERGE_FANIN) {
        merger m;
        if (m_init(&m, c, list->r, MERGE_FANIN, mode, mode == BY_TERM) < 0) return -1;
        spill_w w;
        if (w_open(&w, c) < 0) {
            m_free(&m);
            return -1;
        }
        int k;
        while ((k = m_next(&m)) > 0)
            if (w_rec(&w, m.term, m.tlen, m.df, m.cf) < 0) {
                k = -1;
                break;
            }
        m_free(&m);
        if (k < 0) {
            free(w.buf);
            return -1;
        }
        memmove(list->r, list->r + MERGE_FANIN, (list->n - MERGE_FANIN) * sizeof *list->r);
        list->n -= MERGE_FANIN;
        if (w_close(&w, list) < 0) return -1;
    }
    return 0;
}

/* Write the table as one sorted run and empty it. */
static int spill_table(vocab_counter *c, run_list *list, int mode)
{
    size_t m;
    uint32_t *ix = sorted_index(&c->tab, mode, 0, &m);
    if (!ix) return fail(c, "out of memory");
    spill_w w;
    if (w_open(&w, c) < 0) {
        free(ix);
        return -1;
    }
    for (size_t i = 0; i < m; i++) {
        const strtab_entry *e = &c->tab.slots[ix[i]];
        if (w_rec(&w, strtab_str(&c->tab, e), e->len, e->df, e->cf) < 0) {
            free(ix);
            free(w.buf);
            return -1;
        }
    }
    free(ix);
    if (w_close(&w, list) < 0) return -1;
    strtab_clear(&c->tab);
    return 0;
}

static void note_peak(vocab_counter *c)
{
    size_t b = strtab_bytes(&c->tab);
    if (b > c->peak) c->peak = b;
}

static int maybe_spill(vocab_counter *c)
{
    note_peak(c);
    if (strtab_bytes(&c->tab) <= c->limit || c->tab.n == 0) return 0;
    return spill_table(c, &c->runs, BY_TERM);
}

/* ------------------------------------------------------------------------
 * counting API */

vocab_counter *vocab_counter_new(size_t mem_limit, const char *tmpdir)
{
    vocab_counter *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->limit = mem_limit;
    c->fd = -1;
    if (tmpdir) {
        c->tmpdir = strdup(tmpdir);
        if (!c->tmpdir) {
            free(c);
            return NULL;
        }
    }
    return c;
}

void vocab_counter_free(vocab_counter *c)
{
    if (!c) return;
    strtab_free(&c->tab);
    if (c->fd >= 0) close(c->fd);
    free(c->runs.r);
    free(c->bits);
    free(c->pad);
    free(c->tmpdir);
    free(c);
}

const char *vocab_counter_error(const vocab_counter *c)
{
    return c->err;
}

size_t vocab_counter_runs(const vocab_counter *c)
{
    return c->nspilled;
}

size_t vocab_counter_peak(const vocab_counter *c)
{
    return c->peak;
}

/* Make room for n words in c->bits; -1 when out of memory. */
static int reserve_bits(vocab_counter *c, size_t n)
{
    if (n <= c->nbits) return 0;
    size_t cap = c->nbits ? c->nbits : 256;
    while (cap < n) cap *= 2;
    uint64_t *b = realloc(c->bits, cap * sizeof *b);
    if (!b) return -1;
    c->bits = b;
    c->nbits = cap;
    return 0;
}

int vocab_counter_doc_padded(vocab_counter *c, const char *text, size_t len)
{
    uint64_t doc = ++c->ndoc;
    if (reserve_bits(c, lines_blank_words(len)) < 0) return fail(c, "out of memory");
    uint64_t *bits = c->bits;
    lines_blank_bits(text, len, bits);
    lines_tokens it;
    lines_tokens_init(&it, bits, len);
    /* tokens in batches of 64: the keys of a batch are hashed and their slots
     * prefetched before any is counted, so that the cache misses of a big
     * table overlap */
    enum { BATCH = 64 };
    strtab_key k[BATCH];
    for (;;) {
        size_t nb = 0, a, i;
        while (nb < BATCH && lines_tokens_next(&it, &a, &i)) {
            strtab_key_padded(&k[nb], text + a, i - a);
            if (c->tab.slots) __builtin_prefetch(&c->tab.slots[(size_t)k[nb].hash & c->tab.mask]);
            nb++;
        }
        for (size_t j = 0; j < nb; j++) {
            int added;
            strtab_entry *e = strtab_add_key(&c->tab, &k[j], &added);
            if (!e) return fail(c, "out of memory (or too many terms)");
            e->df += e->last != doc;
            e->last = doc;
            e->cf++;
        }
        if (nb < BATCH) break;
    }
    return maybe_spill(c);
}

int vocab_counter_doc(vocab_counter *c, const char *text, size_t len)
{
    /* copy to a buffer with the padding the fast path reads */
    if (len + LINES_PAD > c->padcap) {
        size_t cap = c->padcap ? c->padcap : 4096;
        while (cap < len + LINES_PAD) cap *= 2;
        char *p = realloc(c->pad, cap);
        if (!p) return fail(c, "out of memory");
        c->pad = p;
        c->padcap = cap;
    }
    memcpy(c->pad, text, len);
    memset(c->pad + len, 0, LINES_PAD);
    return vocab_counter_doc_padded(c, c->pad, len);
}

int vocab_counter_add(vocab_counter *c, const char *term, size_t n, uint64_t df, uint64_t cf)
{
    int added;
    strtab_entry *e = strtab_add(&c->tab, term, n, strtab_hash(term, n), &added);
    if (!e) return fail(c, "out of memory (or too many terms)");
    if (e->df + df < df || e->cf + cf < cf) return fail(c, "count overflow for a term");
    e->df += df;
    e->cf += cf;
    return maybe_spill(c);
}

/* Emit the first k (0 = all) of a table sorted in rank order. */
/* The k-th largest of a[0..n) (1 <= k <= n); a is reordered. */
static uint64_t kth_largest(uint64_t *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        uint64_t x = a[lo + (hi - lo) / 2], y = a[lo], z = a[hi];
        uint64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        /* three-way partition, larger first: [lo, i) > pivot, [i, j) == pivot, (gt, hi] < pivot */
        size_t i = lo, j = lo, g = hi + 1;
        while (j < g) {
            if (a[j] > pivot) {
                uint64_t t = a[i];
                a[i++] = a[j];
                a[j++] = t;
            } else if (a[j] < pivot) {
                uint64_t t = a[--g];
                a[g] = a[j];
                a[j] = t;
            } else {
                j++;
            }
        }
        if (want < i) hi = i - 1;
        else if (want >= g) lo = g;
        else return pivot;
    }
    return a[lo];
}

static int emit_table(vocab_counter *c, uint64_t k, uint64_t min_df, vocab_emit_fn emit, void *arg)
{
    /* with k, only the terms with df >= the k-th largest df can be among
     * the first k: sort just those (ties at that df are all kept, so the
     * order and the cut are those of the full sort) */
    if (k && k < c->tab.n) {
        uint64_t *dfs = malloc(c->tab.n * sizeof *dfs);
        if (!dfs) return fail(c, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i <= c->tab.mask; i++)
            if (c->tab.slots[i].off && c->tab.slots[i].df >= min_df) dfs[m++] = c->tab.slots[i].df;
        if (m > k) {
            uint64_t cut = kth_largest(dfs, m, (size_t)k);
            if (cut > min_df) min_df = cut;
        }
        free(dfs);
    }
    size_t m;
    uint32_t *ix = sorted_index(&c->tab, BY_RANK, min_df, &m);
    if (!ix) return fail(c, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < m && (!k || i < k); i++) {
        const strtab_entry *e = &c->tab.slots[ix[i]];
        rc = emit(arg, strtab_str(&c->tab, e), e->len, e->df, e->cf);
        if (rc) break;
    }
    free(ix);
    return rc;
}

int vocab_counter_finish(vocab_counter *c, uint64_t k, uint64_t min_df, vocab_emit_fn emit, void *arg)
{
    if (c->finished) return fail(c, "vocab_counter_finish called twice");
    c->finished = 1;
    if (min_df < 1) min_df = 1;
    if (c->runs.n == 0) return emit_table(c, k, min_df, emit, arg);

    /* counting phase spilled: merge its runs by term, summing, and sort the
     * merged terms by rank through the same table (spilled again if big) */
    if (c->tab.n && spill_table(c, &c->runs, BY_TERM) < 0) return -1;
    if (reduce_runs(c, &c->runs, BY_TERM) < 0) return -1;
    run_list ranked = {0};
    merger m;
    if (m_init(&m, c, c->runs.r, c->runs.n, BY_TERM, 1) < 0) return -1;
    int rc;
    while ((rc = m_next(&m)) > 0) {
        if (m.df < min_df) continue;
        int added;
        strtab_entry *e = strtab_add(&c->tab, m.term, m.tlen, strtab_hash(m.term, m.tlen), &added);
        if (!e) {
            rc = fail(c, "out of memory");
            break;
        }
        e->df = m.df;
        e->cf = m.cf;
        note_peak(c);
        if (strtab_bytes(&c->tab) > c->limit && (rc = spill_table(c, &ranked, BY_RANK)) < 0) break;
    }
    m_free(&m);
    if (rc < 0) goto out;
    if (ranked.n == 0) {
        rc = emit_table(c, k, 1, emit, arg);
        goto out;
    }
    if (c->tab.n && (rc = spill_table(c, &ranked, BY_RANK)) < 0) goto out;
    if ((rc = reduce_runs(c, &ranked, BY_RANK)) < 0) goto out;
    if ((rc = m_init(&m, c, ranked.r, ranked.n, BY_RANK, 0)) < 0) goto out;
    uint64_t done = 0;
    while ((!k || done < k) && (rc = m_next(&m)) > 0) {
        done++;
        rc = emit(arg, m.term, m.tlen, m.df, m.cf);
        if (rc) break;
    }
    m_free(&m);
out:
    free(ranked.r);
    return rc < 0 ? -1 : rc;
}

/* ------------------------------------------------------------------------
 * vocabulary files */

static int parse_u64(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20) return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10) return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

int vocab_parse_line(const char *line, size_t len, size_t *term_len,
                     uint64_t *df, uint64_t *cf, const char **why)
{
    if (len && line[len - 1] == '\r') len--;
    const char *t1 = memchr(line, '\t', len);
    if (!t1) {
        *why = "expected term<TAB>df<TAB>cf";
        return -1;
    }
    if (t1 == line) {
        *why = "empty term";
        return -1;
    }
    const char *rest = t1 + 1, *end = line + len;
    const char *t2 = memchr(rest, '\t', (size_t)(end - rest));
    if (!t2) {
        *why = "expected term<TAB>df<TAB>cf";
        return -1;
    }
    if (parse_u64(rest, (size_t)(t2 - rest), df) < 0) {
        *why = "df is not an unsigned integer";
        return -1;
    }
    if (parse_u64(t2 + 1, (size_t)(end - t2 - 1), cf) < 0) {
        *why = "cf is not an unsigned integer (or there are more than 3 fields)";
        return -1;
    }
    if (*cf < *df) {
        *why = "cf is smaller than df";
        return -1;
    }
    *term_len = (size_t)(t1 - line);
    return 0;
}

vocab *vocab_load(FILE *f, const char *name, char *err, size_t errlen)
{
    vocab *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    uint64_t h = VOCAB_DIGEST_INIT;
    lines_reader rd;
    lines_init(&rd, f);
    char *line;
    size_t n;
    int got;
    long ln = 0;
    while ((got = lines_next(&rd, &line, &n)) > 0) {
        ln++;
        if (n && line[n - 1] == '\r') n--;
        const char *tab = memchr(line, '\t', n);
        size_t tl = tab ? (size_t)(tab - line) : n;
        if (tl == 0) {
            snprintf(err, errlen, "%s:%ld: empty term", name, ln);
            goto fail;
        }
        uint64_t df, cf;
        size_t tl2;
        const char *why;
        if (tab && vocab_parse_line(line, n, &tl2, &df, &cf, &why) < 0) {
            snprintf(err, errlen, "%s:%ld: %s", name, ln, why);
            goto fail;
        }
        if (memchr(line, ' ', tl) || memchr(line, '\0', tl)) {
            snprintf(err, errlen, "%s:%ld: term contains a space or NUL byte", name, ln);
            goto fail;
        }
        if (v->dim >= 0x7fffffffu) {
            snprintf(err, errlen, "%s:%ld: too many terms", name, ln);
            goto fail;
        }
        int added;
        strtab_entry *e = strtab_add(&v->tab, line, tl, strtab_hash(line, tl), &added);
        if (!e) {
            snprintf(err, errlen, "%s:%ld: out of memory", name, ln);
            goto fail;
        }
        if (!added) {
            snprintf(err, errlen, "%s:%ld: duplicate term '%.*s' (first at line %u)", name, ln,
                     (int)(tl > 60 ? 60 : tl), line, e->rank);
            goto fail;
        }
        e->rank = ++v->dim;
        h = vocab_digest_add(h, line, tl);
    }
    if (got < 0) {
        lines_error_at(err, errlen, got, errno, name, ln + 1);
        goto fail;
    }
    if (v->dim == 0) {
        snprintf(err, errlen, "%s: empty vocabulary", name);
        goto fail;
    }
    lines_free(&rd);
    vocab_digest_hex(h, v->digest);
    /* the lookup index: load at most 1/3 (unknown tokens probe to an empty slot) */
    size_t ns = 16;
    while (ns < 3 * (size_t)v->dim) ns *= 2;
    v->idx = calloc(ns, sizeof *v->idx);
    v->keys = calloc(v->dim, sizeof *v->keys);
    if (!v->idx || !v->keys) {
        snprintf(err, errlen, "%s: out of memory", name);
        vocab_free(v);
        return NULL;
    }
    v->mask = ns - 1;
    for (size_t k = 0; k <= v->tab.mask; k++) {
        const strtab_entry *e = &v->tab.slots[k];
        if (!e->off) continue;
        vocab_rkey *rk = &v->keys[e->rank - 1];
        rk->w1 = e->key[1];
        rk->s = strtab_str(&v->tab, e);
        size_t i = (size_t)e->hash & v->mask;
        while (v->idx[i].rank) i = (i + 1) & v->mask;
        v->idx[i] = (vocab_islot){e->key[0], e->rank, e->len};
    }
    return v;
fail:
    lines_free(&rd);
    vocab_free(v);
    return NULL;
}

void vocab_free(vocab *v)
{
    if (!v) return;
    strtab_free(&v->tab);
    free(v->idx);
    free(v->keys);
    free(v);
}

uint32_t vocab_lookup(const vocab *v, const char *s, size_t n)
{
    char pad[64];
    if (n <= 48) {
        memcpy(pad, s, n);
        return vocab_lookup_padded(v, pad, n);
    }
    strtab_key k;
    strtab_key_make(&k, s, n);
    const strtab_entry *e = strtab_find_key(&v->tab, &k);
    return e ? e->rank : 0;
}
