/* text.c - the tokenizer behind senti-tokenize: UTF-8 repair, HTML
 * stripping, NFKC case folding (utf8proc), token matching (PCRE2 JIT), stop
 * words, stemming (libstemmer), negation marking and n-grams (text.h,
 * docs/text.md). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text.h"

#include <errno.h>
#include <libstemmer.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lines.h"
#include "strtab.h"

static inline void put(buf_t *b, const char *s, size_t n)
{
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* ------------------------------------------------------------------------
 * UTF-8 */

static inline int ascii_only(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    __m128i acc = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) acc = _mm_or_si128(acc, _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
    if (_mm_movemask_epi8(acc)) return 0;
#endif
    uint64_t w64 = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        w64 |= w;
    }
    for (; i < n; i++) w64 |= (unsigned char)s[i];
    return (w64 & 0x8080808080808080ULL) == 0;
}

/* Length of the valid sequence at s (1..4), or 0 when invalid; then *skip
 * is the length of the maximal invalid subpart (>= 1). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *skip)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t need;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        *skip = 1;
        return 0;
    }
    size_t k = 1;
    while (k < need && k < n) {
        unsigned d = s[k];
        if (d < lo || d > hi) break;
        lo = 0x80;
        hi = 0xbf;
        k++;
    }
    if (k == need) return need;
    *skip = k;
    return 0;
}

int text_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, skip;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
#ifdef __SSE2__
            /* skip ASCII 16 bytes at a time */
            while (i + 16 <= len && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i))))
                i += 16;
#endif
            continue;
        }
        size_t k = utf8_seq(p + i, len - i, &skip);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

long text_utf8_repair(const char *s, size_t len, buf_t *out)
{
    /* each invalid subpart (>= 1 byte) becomes 3 bytes */
    if (len > SIZE_MAX / 3 - 1 || buf_reserve(out, 3 * len) < 0) return -1;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, skip;
    long bad = 0;
    while (i < len) {
        size_t k = p[i] < 0x80 ? 1 : utf8_seq(p + i, len - i, &skip);
        if (k) {
            put(out, s + i, k);
            i += k;
        } else {
            put(out, "\xef\xbf\xbd", 3);
            i += skip;
            bad++;
        }
    }
    return bad;
}

static size_t utf8_put(char *d, uint32_t c)
{
    if (c < 0x80) {
        d[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (char)(0xc0 | (c >> 6));
        d[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (char)(0xe0 | (c >> 12));
        d[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        d[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (c >> 18));
    d[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    d[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* First code point of a valid UTF-8 string. */
static uint32_t utf8_first(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!n) return 0;
    if (p[0] < 0x80) return p[0];
    if (p[0] < 0xe0 && n >= 2) return ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
    if (p[0] < 0xf0 && n >= 3) return ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
    if (n >= 4)
        return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
    return 0xfffd;
}

static size_t utf8_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

/* ------------------------------------------------------------------------
 * HTML */

static const struct {
    const char *name;
    uint32_t cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xa0},    {"hellip", 0x2026}, {"mdash", 0x2014},
    {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201c},
    {"rdquo", 0x201d}, {"laquo", 0xab},   {"raquo", 0xbb},   {"copy", 0xa9},
    {"reg", 0xae},     {"trade", 0x2122}, {"eacute", 0xe9},  {"egrave", 0xe8},
    {"ecirc", 0xea},   {"euml", 0xeb},    {"aacute", 0xe1},  {"agrave", 0xe0},
    {"acirc", 0xe2},   {"auml", 0xe4},    {"aring", 0xe5},   {"iacute", 0xed},
    {"iuml", 0xef},    {"oacute", 0xf3},  {"ocirc", 0xf4},   {"ouml", 0xf6},
    {"uacute", 0xfa},  {"uuml", 0xfc},    {"ccedil", 0xe7},  {"ntilde", 0xf1},
    {"szlig", 0xdf},   {"oslash", 0xf8},  {"Eacute", 0xc9},  {"Auml", 0xc4},
    {"Ouml", 0xd6},    {"Uuml", 0xdc},
};

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decode the reference starting at s[0] == '&'; returns its length
 * (through ';') and the code point, or 0 when it is not one we know. */
static size_t html_entity(const char *s, size_t n, uint32_t *cp)
{
    size_t lim = n < 12 ? n : 12;
    const char *semi = memchr(s, ';', lim);
    if (!semi) return 0;
    size_t len = (size_t)(semi - s) + 1;
    if (len < 3) return 0;
    if (s[1] == '#') {
        uint32_t v = 0;
        size_t i = 2;
        int hex = i < len && (s[i] == 'x' || s[i] == 'X');
        if (hex) i++;
        if (i >= len - 1) return 0;
        for (; i < len - 1; i++) {
            int c = (unsigned char)s[i], d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return 0;
            v = v * (hex ? 16u : 10u) + (uint32_t)d;
            if (v > 0x10ffff) v = 0x110000; /* stays invalid, no overflow */
        }
        if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) v = 0xfffd;
        *cp = v;
        return len;
    }
    for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        size_t m = strlen(entities[k].name);
        if (m == len - 2 && memcmp(s + 1, entities[k].name, m) == 0) {
            *cp = entities[k].cp;
            return len;
        }
    }
    return 0;
}

int text_html_strip(const char *s, size_t len, buf_t *out)
{
    /* the output is never longer than the input: a tag (>= 3 bytes)
     * becomes one space, and a reference's UTF-8 is never longer than the
     * reference ("&#9;" -> 1 byte, "&hellip;" -> 3, "&#x10000;" -> 4) */
    if (buf_reserve(out, len + 4) < 0) return -1;
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == '<' && i + 1 < len && (is_alpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!')) {
            const char *gt = memchr(s + i + 1, '>', len - i - 1);
            if (gt) {
                out->p[out->len++] = ' ';
                i = (size_t)(gt - s) + 1;
                continue;
            }
        } else if (c == '&') {
            uint32_t cp;
            size_t k = html_entity(s + i, len - i, &cp);
            if (k) {
                out->len += utf8_put(out->p + out->len, cp);
                i += k;
                continue;
            }
        }
        out->p[out->len++] = c;
        i++;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * negation words */

static const char *const negations[] = {
    "not", "no", "never", "none", "nobody", "nothing", "nowhere", "neither", "nor",
    "cannot", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant",
    "couldnt", "wouldnt", "shouldnt", "wont", "havent", "hasnt", "hadnt", "aint",
    "mustnt", "neednt",
};

int text_is_negation(const char *s, size_t len)
{
    if (len >= 3 && memcmp(s + len - 3, "n't", 3) == 0) return 1;
    if (len < 2 || len > 8) return 0;
    for (size_t k = 0; k < sizeof negations / sizeof negations[0]; k++)
        if (strlen(negations[k]) == len && memcmp(negations[k], s, len) == 0) return 1;
    return 0;
}

/* ------------------------------------------------------------------------
 * patterns */

#define CJK "\\p{Han}\\p{Hiragana}\\p{Katakana}"
#define WORD_U "(?:[^\\W_" CJK "]\\p{M}*)+"
#define MAIN_U "[" CJK "]|\\d+(?:[.,]\\d+)+|" WORD_U "(?:'" WORD_U ")*"
#define MAIN_A "[0-9]+(?:[.,][0-9]+)+|[a-z0-9]+(?:'[a-z0-9]+)*"
#define EMO "[:;=][-'^o]?[)(\\]\\[dpb/\\\\|*3o0@](?![\\w/])|</?3|[!?]|"
#define EMOJI "\\p{ExtPict}|"

const char *text_default_pattern(int punct)
{
    return punct ? EMO EMOJI MAIN_U : MAIN_U;
}

/* ------------------------------------------------------------------------
 * ASCII fast path: the default pattern without --punct (MAIN_A) coded by
 * hand for case-folded ASCII text.  Same leftmost-first result as PCRE2:
 * a match starts at the first [a-z0-9]; from a digit the number
 * alternative [0-9]+(?:[.,][0-9]+)+ wins when it has at least one group,
 * otherwise the word alternative [a-z0-9]+(?:'[a-z0-9]+)* applies.
 * tests/sh/tokenize.sh checks it against --pcre-only. */

/* bit 1: [a-z0-9], bit 2: [0-9] */
static const unsigned char ascii_class[256] = {
    ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3,
    ['8'] = 3, ['9'] = 3, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static inline int al(unsigned char c)
{
    return ascii_class[c] & 1;
}

static inline int dg(unsigned char c)
{
    return ascii_class[c] & 2;
}

static int ascii_next(const char *s, size_t n, size_t start, size_t *ms, size_t *me)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = start;
    while (i < n && !al(p[i])) i++;
    if (i == n) return 0;
    *ms = i;
    if (dg(p[i])) {
        size_t j = i;
        while (j < n && dg(p[j])) j++;
        int groups = 0;
        while (j + 1 < n && (p[j] == '.' || p[j] == ',') && dg(p[j + 1])) {
            j++;
            while (j < n && dg(p[j])) j++;
            groups++;
        }
        if (groups) {
            *me = j;
            return 1;
        }
    }
    size_t j = i;
    while (j < n && al(p[j])) j++;
    while (j + 1 < n && p[j] == '\'' && al(p[j + 1])) {
        j++;
        while (j < n && al(p[j])) j++;
    }
    *me = j;
    return 1;
}


/* Bitmaps of a normalised line p[0..n) followed by LINES_PAD readable
 * bytes: al = [a-z0-9], hi = bytes >= 0x80, wd = al and the apostrophes
 * between two [a-z0-9] (a word [a-z0-9]+(?:'[a-z0-9]+)* is a run of wd);
 * bits from n on are 0. */
static void class_bits(const char *p, size_t n, uint64_t *al, uint64_t *hi, uint64_t *wd)
{
    size_t nw = n / 64 + 1;
    for (size_t w = 0; w < nw; w++) {
        const char *q = p + w * 64;
        uint64_t a = 0, h = 0, ap = 0;
#ifdef __SSE2__
        const __m128i apo = _mm_set1_epi8('\'');
        const __m128i lo_a = _mm_set1_epi8('a' - 1), hi_z = _mm_set1_epi8('z' + 1);
        const __m128i lo_0 = _mm_set1_epi8('0' - 1), hi_9 = _mm_set1_epi8('9' + 1);
        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * k));
            __m128i l = _mm_and_si128(_mm_cmpgt_epi8(v, lo_a), _mm_cmplt_epi8(v, hi_z));
            __m128i d = _mm_and_si128(_mm_cmpgt_epi8(v, lo_0), _mm_cmplt_epi8(v, hi_9));
            a |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(l, d)) << (16 * k);
            h |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
            ap |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, apo)) << (16 * k);
        }
#else
        for (int k = 0; k < 64; k++) {
            unsigned char c = (unsigned char)q[k];
            a |= (uint64_t)(al(c) != 0) << k;
            h |= (uint64_t)(c >= 0x80) << k;
            ap |= (uint64_t)(c == '\'') << k;
        }
#endif
        al[w] = a;
        hi[w] = h;
        wd[w] = ap; /* apostrophes for now */
    }
    uint64_t keep = (n & 63) ? ~0ULL >> (64 - (n & 63)) : 0;
    al[n / 64] &= keep;
    hi[n / 64] &= keep;
    wd[n / 64] &= keep;
    al[nw] = hi[nw] = wd[nw] = 0;
    uint64_t prev = 0; /* al bit 63 of the previous word */
    for (size_t w = 0; w < nw; w++) {
        uint64_t a = al[w];
        uint64_t before = a << 1 | prev, after = a >> 1 | (al[w + 1] & 1) << 63;
        wd[w] = a | (wd[w] & before & after);
        prev = a >> 63;
    }
}

/* first i >= from with bit i set in a or b; n when none */
static inline size_t bits_next_either(const uint64_t *a, const uint64_t *b, size_t from, size_t n)
{
    size_t w = from >> 6;
    uint64_t x = (a[w] | b[w]) >> (from & 63);
    if (x) return from + (size_t)__builtin_ctzll(x);
    for (;;) {
        w++;
        if (w * 64 >= n) return n;
        x = a[w] | b[w];
        if (x) return w * 64 + (size_t)__builtin_ctzll(x);
    }
}

/* first i >= from with bit i set in a; n when none */
static inline size_t bits_next_set_n(const uint64_t *a, size_t from, size_t n)
{
    size_t w = from >> 6;
    uint64_t x = a[w] >> (from & 63);
    if (x) return from + (size_t)__builtin_ctzll(x);
    for (;;) {
        w++;
        if (w * 64 >= n) return n;
        x = a[w];
        if (x) return w * 64 + (size_t)__builtin_ctzll(x);
    }
}

/* first i >= from with bit i clear (bits from n on are clear) */
static inline size_t bits_next_clear(const uint64_t *a, size_t from)
{
    size_t w = from >> 6;
    uint64_t x = ~a[w] >> (from & 63);
    if (x) return from + (size_t)__builtin_ctzll(x);
    for (;;) {
        x = ~a[++w];
        if (x) return w * 64 + (size_t)__builtin_ctzll(x);
    }
}

/* ------------------------------------------------------------------------
 * the tokenizer */

typedef struct tok_span {
    size_t off, len;
} tok_span;

struct text_tok {
    text_opts o;
    int user; /* a user pattern: tokens may need cleaning */
    int fast;   /* the default pattern: hand-coded scanner (fast_next) */
    int simple; /* fast and no per-token filters: tokens copied as found */
    uint64_t *al, *hi, *wd; /* per line bitmaps (class_bits) */
    size_t nbits;
    pcre2_code *re, *re_ascii;
    int jit, jit_ascii;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    struct sb_stemmer *stemmer;
    strtab stop;
    int has_stop;
    buf_t fix, html, norm, tmp;
    int32_t *u32;
    size_t u32cap;
    tok_span *spans;
    size_t nspans, capspans;
    unsigned long replaced;
    char err[256];
};

static int tfail(text_tok *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *text_error(const text_tok *t)
{
    return t->err;
}

unsigned long text_replaced(const text_tok *t)
{
    return t->replaced;
}

const char **text_stem_languages(void)
{
    return sb_stemmer_list();
}

static pcre2_code *compile(const char *pat, uint32_t flags, int *jit, char *err, size_t errlen)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, flags, &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errlen, "bad pattern at offset %zu: %s", (size_t)eo, (const char *)msg);
        return NULL;
    }
    *jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    return re;
}

text_tok *text_new(const text_opts *o, char *err, size_t errlen)
{
    text_tok *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->o = *o;
    t->user = o->pattern != NULL;
    t->fast = !o->pattern && !o->punct && !o->no_fold && !o->pcre_only;
    t->simple = t->fast && !o->negate && !o->stem && o->min_len <= 1 && o->ngrams <= 1;
    t->o.pattern = NULL;
    t->o.stem = NULL;
    const char *pat = o->pattern ? o->pattern : text_default_pattern(o->punct);
    t->re = compile(pat, PCRE2_UTF | PCRE2_UCP, &t->jit, err, errlen);
    if (!t->re) goto fail;
    if (!o->pattern && !o->no_fold) {
        /* the same tokens on ASCII text, without Unicode tables */
        t->re_ascii = compile(o->punct ? EMO MAIN_A : MAIN_A, 0, &t->jit_ascii, err, errlen);
        if (!t->re_ascii) goto fail;
    }
    t->md = pcre2_match_data_create(1, NULL);
    t->mctx = pcre2_match_context_create(NULL);
    t->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    if (!t->md || !t->mctx || !t->jstack) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    pcre2_jit_stack_assign(t->mctx, NULL, t->jstack);
    if (o->stem) {
        t->stemmer = sb_stemmer_new(o->stem, "UTF_8");
        if (!t->stemmer) {
            snprintf(err, errlen, "unknown stemmer language '%s' (see --stem list)", o->stem);
            goto fail;
        }
    }
    return t;
fail:
    text_free(t);
    return NULL;
}

void text_free(text_tok *t)
{
    if (!t) return;
    pcre2_code_free(t->re);
    pcre2_code_free(t->re_ascii);
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mctx);
    pcre2_jit_stack_free(t->jstack);
    if (t->stemmer) sb_stemmer_delete(t->stemmer);
    strtab_free(&t->stop);
    buf_free(&t->fix);
    buf_free(&t->html);
    buf_free(&t->norm);
    buf_free(&t->tmp);
    free(t->u32);
    free(t->spans);
    free(t->al);
    free(t->hi);
    free(t->wd);
    free(t);
}

#define FOLD_OPTS                                                                        \
    (UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_LUMP |            \
     UTF8PROC_IGNORE | UTF8PROC_STABLE)

static int too_long(text_tok *t)
{
    return tfail(t, "the tokens of this line exceed %zu bytes, the longest line senti reads (fewer --ngrams?)",
                 LINES_MAX);
}

/* Append the normalisation of valid UTF-8 s (one segment) to t->norm.
 * The decomposition may hold at most TEXT_FOLD_SLACK more characters than
 * the segment has bytes (real text folds to fewer characters than bytes;
 * a run of U+FDFA, 3 bytes that fold to 18 characters, is refused), so
 * the folding buffer stays under 4 bytes per byte of text. */
static int fold_segment(text_tok *t, const char *s, size_t n)
{
    size_t most = n + TEXT_FOLD_SLACK;
    for (;;) {
        utf8proc_ssize_t k = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n,
                                                t->u32, (utf8proc_ssize_t)t->u32cap, FOLD_OPTS);
        if (k < 0) return tfail(t, "normalisation failed: %s", utf8proc_errmsg(k));
        if ((size_t)k > most)
            return tfail(t, "the text expands to %zu characters under Unicode folding, more than its %zu bytes "
                            "plus %d (the limit; --no-fold reads it unfolded)",
                         (size_t)k, n, TEXT_FOLD_SLACK);
        if ((size_t)k < t->u32cap) {
            utf8proc_ssize_t b = utf8proc_reencode(t->u32, k, FOLD_OPTS);
            if (b < 0) return tfail(t, "normalisation failed: %s", utf8proc_errmsg(b));
            if (buf_reserve(&t->norm, (size_t)b) < 0) return tfail(t, "out of memory");
            put(&t->norm, (const char *)t->u32, (size_t)b);
            return 0;
        }
        size_t cap = (size_t)k + 1 > 2 * t->u32cap ? (size_t)k + 1 : 2 * t->u32cap;
        if (cap > most + 1) cap = most + 1;
        int32_t *u = realloc(t->u32, cap * sizeof *u);
        if (!u) return tfail(t, "out of memory");
        t->u32 = u;
        t->u32cap = cap;
    }
}

static inline void lower_ascii(char *restrict d, const char *restrict s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi8('A' - 1), hi = _mm_set1_epi8('Z' + 1), bit = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
        _mm_storeu_si128((__m128i *)(void *)(d + i), _mm_add_epi8(v, _mm_and_si128(up, bit)));
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d[i] = (char)(c + (((unsigned char)(c - 'A') < 26) << 5));
    }
}

/* Normalise valid UTF-8 s into t->norm: NFKC, case folded, lumped, default
 * ignorables removed.  ASCII is lowercased directly; each run of non-ASCII
 * characters goes through utf8proc together with the one ASCII character
 * before it (a base its combining marks may compose with).  An ASCII
 * character never composes with what precedes it, so cutting the text
 * before one gives the same result as normalising the whole line. */
static int normalise(text_tok *t, const char *s, size_t n, int ascii)
{
    t->norm.len = 0;
    if (buf_reserve(&t->norm, n) < 0) return tfail(t, "out of memory");
    if (ascii) {
        lower_ascii(t->norm.p, s, n);
        t->norm.len = n;
        return 0;
    }
    size_t i = 0;
    while (i < n) {
        size_t a = i;
#ifdef __SSE2__
        while (a + 16 <= n) {
            int m = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + a)));
            if (m) break;
            a += 16;
        }
#endif
        while (a < n && (unsigned char)s[a] < 0x80) a++;
        if (a == n) break;
        size_t from = a > i ? a - 1 : a; /* keep the base with its marks */
        if (buf_reserve(&t->norm, from - i) < 0) return tfail(t, "out of memory");
        lower_ascii(t->norm.p + t->norm.len, s + i, from - i);
        t->norm.len += from - i;
        size_t b = a;
        while (b < n && (unsigned char)s[b] >= 0x80) b++;
        if (fold_segment(t, s + from, b - from) < 0) return -1;
        i = b;
    }
    if (buf_reserve(&t->norm, n - i) < 0) return tfail(t, "out of memory");
    lower_ascii(t->norm.p + t->norm.len, s + i, n - i);
    t->norm.len += n - i;
    return 0;
}

int text_add_stopwords(text_tok *t, FILE *f, const char *name, char *err, size_t errlen)
{
    lines_reader rd;
    lines_init(&rd, f);
    char *line;
    size_t len;
    int got;
    long ln = 0;
    int rc = 0;
    while ((got = lines_next(&rd, &line, &len)) > 0) {
        ln++;
        size_t a = 0, b = len;
        while (a < b && (line[a] == ' ' || line[a] == '\t')) a++;
        while (b > a && (line[b - 1] == '\r' || line[b - 1] == ' ' || line[b - 1] == '\t')) b--;
        if (a == b || line[a] == '#') continue;
        const char *w = line + a;
        size_t n = b - a;
        if (memchr(w, 0, n)) {
            snprintf(err, errlen, "%s:%ld: NUL byte in a stop word", name, ln);
            rc = -1;
            break;
        }
        if (!text_utf8_valid(w, n)) {
            snprintf(err, errlen, "%s:%ld: invalid UTF-8", name, ln);
            rc = -1;
            break;
        }
        if (!t->o.no_fold) {
            if (normalise(t, w, n, ascii_only(w, n)) < 0) {
                snprintf(err, errlen, "%s:%ld: %s", name, ln, t->err);
                rc = -1;
                break;
            }
            w = t->norm.p;
            n = t->norm.len;
        }
        int added;
        if (!strtab_add(&t->stop, w, n, strtab_hash(w, n), &added)) {
            snprintf(err, errlen, "%s: out of memory", name);
            rc = -1;
            break;
        }
        t->has_stop = 1;
    }
    if (rc == 0 && got < 0) {
        lines_error_at(err, errlen, got, errno, name, ln + 1);
        rc = -1;
    }
    lines_free(&rd);
    return rc;
}

/* Is the token a word (starts with a letter, mark or number)? */
static int is_word(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)utf8_first(s, n));
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

static int scope_break(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        switch (s[i]) {
        case '.': case ',': case ':': case ';': case '!': case '?':
            return 1;
        default:
            break;
        }
    return 0;
}

static int add_span(text_tok *t, size_t off, size_t len)
{
    if (t->nspans == t->capspans) {
        size_t cap = t->capspans ? 2 * t->capspans : 256;
        tok_span *s = realloc(t->spans, cap * sizeof *s);
        if (!s) return -1;
        t->spans = s;
        t->capspans = cap;
    }
    t->spans[t->nspans++] = (tok_span){off, len};
    return 0;
}

/* The next match of the compiled pattern at or after start: 1 with the
 * span in *ms, *me; 0 when there is none; -1 on a matching error. */
static int pcre_next(text_tok *t, const pcre2_code *re, int jit, const char *p, size_t n, size_t start,
                     size_t *ms, size_t *me)
{
    int rc = jit ? pcre2_jit_match(re, (PCRE2_SPTR)p, n, start, 0, t->md, t->mctx)
                 : pcre2_match(re, (PCRE2_SPTR)p, n, start, PCRE2_NO_UTF_CHECK, t->md, t->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(rc, msg, sizeof msg);
        return tfail(t, "token pattern: %s", (const char *)msg);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->md);
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

/* The default pattern on a normalised line with bitmaps t->al, t->hi.
 * Between start and the next [a-z0-9] byte no match can begin (no other
 * ASCII byte starts one); a token found from there by the ASCII rules is
 * the pattern's match unless a non-ASCII character could change it, i.e.
 * one comes before it or right after it (a letter, mark or digit that
 * would extend it, also after ' . or ,).  Those cases go to PCRE2 from
 * start, so the result is always the pattern's. */
static inline __attribute__((always_inline)) int fast_next(text_tok *t, const char *p, size_t n, size_t start, size_t *ms, size_t *me)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t q = bits_next_either(t->al, t->hi, start, n);
    if (q >= n) return 0;
    if (u[q] < 0x80) {
        size_t e = q;
        if (dg(u[q])) {
            size_t a;
            ascii_next(p, n, q, &a, &e);
        } else {
            e = bits_next_clear(t->wd, q);
        }
        /* u[e] and u[e + 1] are readable (LINES_PAD) */
        unsigned char c = u[e];
        if (c < 0x80 && !((c == '\'' || c == '.' || c == ',') && u[e + 1] >= 0x80)) {
            *ms = q;
            *me = e;
            return 1;
        }
    }
    return pcre_next(t, t->re, t->jit, p, n, start, ms, me);
}

long text_tokenize(text_tok *t, const char *s, size_t len, buf_t *out)
{
    const size_t out0 = out->len; /* the tokens may add at most LINES_MAX bytes */
    const char *p = s;
    size_t n = len;
    int ascii = ascii_only(p, n);

    if (!ascii && !text_utf8_valid(p, n)) {
        if (t->o.strict) {
            const unsigned char *u = (const unsigned char *)p;
            size_t i = 0, skip;
            while (i < n) {
                size_t k = u[i] < 0x80 ? 1 : utf8_seq(u + i, n - i, &skip);
                if (!k) break;
                i += k;
            }
            return tfail(t, "invalid UTF-8 at byte %zu of the text", i + 1);
        }
        t->fix.len = 0;
        long bad = text_utf8_repair(p, n, &t->fix);
        if (bad < 0) return tfail(t, "out of memory");
        t->replaced += (unsigned long)bad;
        p = t->fix.p;
        n = t->fix.len;
    }
    if (t->o.html) {
        t->html.len = 0;
        if (text_html_strip(p, n, &t->html) < 0) return tfail(t, "out of memory");
        p = t->html.p;
        n = t->html.len;
        if (ascii) ascii = ascii_only(p, n);
    }
    if (!t->o.no_fold) {
        if (normalise(t, p, n, ascii) < 0) return -1;
        p = t->norm.p;
        n = t->norm.len;
    }

    const pcre2_code *re = t->re;
    int jit = t->jit;
    if (ascii && t->re_ascii) {
        re = t->re_ascii;
        jit = t->jit_ascii;
    }
    size_t start = 0, prev_end = 0;
    int scope = 0;
    long ntok = 0;
    t->nspans = 0;
    int fast = t->fast;
    if (fast) {
        /* p is t->norm: pad it, and build the class bitmaps */
        if (buf_reserve(&t->norm, LINES_PAD) < 0) return tfail(t, "out of memory");
        p = t->norm.p; /* the reserve may have moved it */
        memset(t->norm.p + n, 0, LINES_PAD);
        size_t words = n / 64 + 2;
        if (words > t->nbits) {
            size_t cap = words * 2;
            free(t->al);
            free(t->hi);
            free(t->wd);
            t->al = malloc(cap * sizeof *t->al);
            t->hi = malloc(cap * sizeof *t->hi);
            t->wd = malloc(cap * sizeof *t->wd);
            if (!t->al || !t->hi || !t->wd) {
                t->nbits = 0;
                return tfail(t, "out of memory");
            }
            t->nbits = cap;
        }
        class_bits(p, n, t->al, t->hi, t->wd);
    }
    if (t->simple && !t->has_stop) {
        /* tokens straight to out: at most 2 bytes of output per input byte
         * (a number can touch the next token: 1.5x -> 1.5 x), plus 16 bytes
         * of slack for the 16-byte copies */
        if (buf_reserve(out, 2 * n + 32) < 0) return tfail(t, "out of memory");
        char *d = out->p + out->len;
        size_t ms, me;
        int k;
        if (ascii) {
            /* no PCRE2 fallback possible: the scanner alone */
            const unsigned char *u = (const unsigned char *)p;
            for (;;) {
                size_t q = bits_next_set_n(t->al, start, n);
                if (q >= n) break;
                size_t e = q;
                if (dg(u[q])) {
                    size_t a;
                    ascii_next(p, n, q, &a, &e);
                } else {
                    e = bits_next_clear(t->wd, q);
                }
                if (ntok) *d++ = ' ';
                size_t tl = e - q;
                if (tl <= 16) memcpy(d, p + q, 16);
                else memcpy(d, p + q, tl);
                d += tl;
                ntok++;
                start = e;
            }
            out->len = (size_t)(d - out->p);
            return ntok;
        }
        while ((k = fast_next(t, p, n, start, &ms, &me)) > 0) {
            if (ntok) *d++ = ' ';
            size_t tl = me - ms;
            const char *tk = p + ms;
            if (tl <= 16) {
                memcpy(d, tk, 16);
            } else {
                memcpy(d, tk, tl);
            }
            d += tl;
            ntok++;
            start = me;
        }
        out->len = (size_t)(d - out->p);
        return k < 0 ? -1 : ntok;
    }
    while (start <= n) {
        size_t ms, me;
        int k = fast ? fast_next(t, p, n, start, &ms, &me) : pcre_next(t, re, jit, p, n, start, &ms, &me);
        if (k < 0) return -1;
        if (k == 0) break;
        if (me <= ms) { /* empty match: step one character */
            start = (me > start ? me : start) + 1;
            while (start < n && ((unsigned char)p[start] & 0xc0) == 0x80) start++;
            continue;
        }
        start = me;
        const char *tk = p + ms;
        size_t tl = me - ms;
        int word = is_word(tk, tl);
        if (t->o.negate && (!word || (ms > prev_end && scope_break(p + prev_end, ms - prev_end)))) scope = 0;
        prev_end = me;
        /* a user pattern may match blanks or control bytes: make them '_' */
        for (size_t i = 0; t->user && i < tl; i++)
            if ((unsigned char)tk[i] <= ' ' || tk[i] == 0x7f) {
                t->tmp.len = 0;
                if (buf_reserve(&t->tmp, tl) < 0) return tfail(t, "out of memory");
                put(&t->tmp, tk, tl);
                for (size_t j = i; j < tl; j++)
                    if ((unsigned char)t->tmp.p[j] <= ' ' || t->tmp.p[j] == 0x7f) t->tmp.p[j] = '_';
                tk = t->tmp.p;
                break;
            }
        int neg = t->o.negate && word && text_is_negation(tk, tl);
        int keep = 1;
        if (t->o.min_len > 1 && utf8_count(tk, tl) < (size_t)t->o.min_len) keep = 0;
        if (keep && t->has_stop && strtab_find(&t->stop, tk, tl, strtab_hash(tk, tl))) keep = 0;
        if (keep) {
            if (t->stemmer && word) {
                const sb_symbol *st = sb_stemmer_stem(t->stemmer, (const sb_symbol *)tk, (int)tl);
                if (!st) return tfail(t, "stemmer: out of memory");
                int sl = sb_stemmer_length(t->stemmer);
                if (sl > 0) {
                    tk = (const char *)st;
                    tl = (size_t)sl;
                }
            }
            int mark = scope && word && !neg;
            if (out->len - out0 + tl + 6 > LINES_MAX) return too_long(t);
            if (buf_reserve(out, tl + 6) < 0) return tfail(t, "out of memory");
            if (ntok) out->p[out->len++] = ' ';
            size_t off = out->len;
            if (mark) put(out, "NOT_", 4);
            put(out, tk, tl);
            if (t->o.ngrams > 1 && add_span(t, off, out->len - off) < 0) return tfail(t, "out of memory");
            ntok++;
        }
        if (neg) scope = 1;
    }
    /* n-grams over the kept tokens, joined by '_' */
    for (int g = 2; g <= t->o.ngrams; g++) {
        for (size_t i = 0; i + (size_t)g <= t->nspans; i++) {
            size_t need = 1;
            for (int j = 0; j < g; j++) need += t->spans[i + (size_t)j].len + 1;
            if (out->len - out0 + need > LINES_MAX) return too_long(t);
            if (buf_reserve(out, need) < 0) return tfail(t, "out of memory");
            if (ntok) out->p[out->len++] = ' ';
            for (int j = 0; j < g; j++) {
                const tok_span *sp = &t->spans[i + (size_t)j];
                if (j) out->p[out->len++] = '_';
                memcpy(out->p + out->len, out->p + sp->off, sp->len);
                out->len += sp->len;
            }
            ntok++;
        }
    }
    return ntok;
}

int text_parse_rating(const char *s, size_t n, int *has_label, double *v)
{
    if (n == 1 && s[0] == '?') {
        *has_label = 0;
        *v = 0;
        return 0;
    }
    if (n == 0 || n > 63) return -1;
    char buf[64];
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n' || buf[0] == '\f' || buf[0] == '\v' ||
        buf[0] == '\r')
        return -1;
    char *end;
    double x = strtod(buf, &end);
    if (end != buf + n || !isfinite(x)) return -1;
    *has_label = 1;
    *v = x;
    return 0;
}
