/* hash.h - binary codes for semantic hashing (Salakhutdinov & Hinton
 * 2007): packing thresholded activations into 64-bit words, their hex
 * text, Hamming distance (popcount, with a bit-by-bit reference), the
 * codes file format of senti-encode --bits (docs/format.md) and the
 * k-nearest-neighbour search of senti-search: an exact scan and multi-index
 * hashing (Norouzi, Punjani & Fleet 2012), which give the same answers.
 *
 * A code of B bits is bit j = 0..B-1 (hidden unit j + 1) at bit j % 64 of
 * word j / 64; the bits of the last word above B are zero.  In text it is
 * ceil(B / 4) lowercase hex digits, digit i holding bits 4i..4i+3 with bit
 * 4i as its most significant bit (the code read left to right as units
 * 1..B, zero-padded to a multiple of 4).
 *
 * The library never exits; functions return -1 or NULL with a message.
 */
#ifndef SENTI_HASH_H
#define SENTI_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HASH_MAX_BITS 4096
#define HASH_ERR_LEN 256

/* 64-bit words of a B-bit code. */
static inline size_t hash_words(uint32_t bits) { return ((size_t)bits + 63) / 64; }

/* Bit j of code[] is h[j] > thresh (j < bits); code has hash_words(bits)
 * words, fully written. */
void hash_pack(const float *h, uint32_t bits, float thresh, uint64_t *code);
/* The same with a threshold per bit: bit j is h[j] > thresh[j]. */
void hash_pack_thresh(const float *h, uint32_t bits, const float *thresh, uint64_t *code);
/* Bit j of a code, 0 or 1. */
static inline int hash_bit(const uint64_t *code, uint32_t j) { return (int)((code[j >> 6] >> (j & 63)) & 1); }

/* The hex text of a code: (bits + 3) / 4 digits and a NUL into hex. */
void hash_to_hex(const uint64_t *code, uint32_t bits, char *hex);
/* Parse len hex digits (exactly (bits + 3) / 4, lowercase or uppercase,
 * padding bits zero) into code.  0, or -1 with a message. */
int hash_from_hex(const char *hex, size_t len, uint32_t bits, uint64_t *code, char *err, size_t errlen);

/* Hamming distance of two codes of `words` words (__builtin_popcountll). */
static inline uint32_t hash_dist(const uint64_t *a, const uint64_t *b, size_t words)
{
    uint32_t d = 0;
    for (size_t w = 0; w < words; w++) d += (uint32_t)__builtin_popcountll(a[w] ^ b[w]);
    return d;
}
/* The reference: bit by bit over the first `bits` bits. */
uint32_t hash_dist_naive(const uint64_t *a, const uint64_t *b, uint32_t bits);

/* Per-unit thresholds at the median: med[j] = the lower median of column j
 * of h (n rows of `bits` floats, row-major), i.e. element (n - 1) / 2 of
 * the column sorted ascending, so that at most half the rows are above it
 * (0.5 when n = 0).  tmp: room for n floats.  Quickselect; the reference
 * sorts each column (hash_medians_naive). */
void hash_medians(const float *h, size_t n, uint32_t bits, float *med, float *tmp);
void hash_medians_naive(const float *h, size_t n, uint32_t bits, float *med, float *tmp);

/* ---------------------------------------------------------------------- */
/* Codes files:  "# senti codes bits=B model=<16 hex>[ thresh=<16 hex>]"
 * first, then, when thresh= is given, "# senti thresholds t1 ... tB" (the
 * thresholds of the bits, %.9g; thresh= is the FNV-1a digest of that
 * line's text after "# senti thresholds "), then data lines
 * "label<TAB>hex[<TAB>comment]"; later '#' lines are comments. */

int hash_write_header(FILE *f, uint32_t bits, const char *model);
/* The header with the thresholds line (thresh NULL: as hash_write_header). */
int hash_write_header_thresh(FILE *f, uint32_t bits, const char *model, const float *thresh);

typedef struct hash_reader hash_reader;
/* A reader of one codes file (f stays the caller's; name for messages). */
hash_reader *hash_reader_new(FILE *f, const char *name);
void hash_reader_free(hash_reader *r);
/* Refuse a header other than bits/model (model NULL: any) and thresh
 * (thresh: "" for codes without thresholds, NULL: any); what names the
 * other side in the message ("the index"). */
void hash_reader_expect(hash_reader *r, uint32_t bits, const char *model, const char *what);
void hash_reader_expect_thresh(hash_reader *r, const char *thresh);
/* The next data line: its code (valid until the next call), label (NUL-
 * terminated text) and comment (NULL if none).  1, 0 at the end, -1 on
 * error (hash_reader_error: "name:line: reason"). */
int hash_reader_next(hash_reader *r, const uint64_t **code, const char **label, const char **comment);
const char *hash_reader_error(const hash_reader *r);
uint32_t hash_reader_bits(const hash_reader *r);    /* 0 before the header */
const char *hash_reader_model(const hash_reader *r);
/* The header's thresh= digest ("" if none) and the thresholds (NULL if
 * none), once the thresholds line is read (after the first
 * hash_reader_next). */
const char *hash_reader_thresh(const hash_reader *r);
const float *hash_reader_thresholds(const hash_reader *r);
long hash_reader_line(const hash_reader *r);        /* file line of the last row */

/* ---------------------------------------------------------------------- */
/* An index of n codes (rows 0..n-1) and k-nearest-neighbour search. */

typedef struct hash_index {
    uint32_t bits;
    size_t words, n, cap;
    uint64_t *code;     /* n * words */
    /* multi-index hashing, after hash_index_build_mih */
    int m;              /* substrings (0: not built) */
    uint32_t sub_start[64], sub_len[64];
    uint32_t *sub_key;  /* m * n: row ids sorted by substring value, per substring */
    uint32_t *sub_id;
    uint32_t *stamp;    /* n: query stamp of a visited row */
    uint32_t now;
    uint16_t *dist;     /* n: the scan's distances (over 255 bits) */
    uint32_t *cand;     /* HASH_SCAN_QUERIES * cap: candidate rows of a pass (up to 255 bits) */
    uint8_t *cand_d;    /* HASH_SCAN_QUERIES * cap: their distances */
    /* the distinct codes (hash_index_dedup; un = 0: the scan reads every row) */
    size_t un, u_for;   /* distinct codes; the n they were found for */
    uint64_t *ucode;    /* un codes, ascending */
    uint32_t *ustart;   /* un + 1: code u's rows are urows[ustart[u]..ustart[u + 1]) */
    uint32_t *urows;    /* n row numbers, ascending within a code */
    uint32_t *utmp;     /* n: room for rows of one query */
} hash_index;

/* The scan reads the distinct codes instead of the rows when they are at
 * most this share of the rows. */
#define HASH_DEDUP_MOST 0.8

/* Queries searched together by hash_knn_scan_many: one pass over the index
 * serves them all. */
#define HASH_SCAN_QUERIES 8

hash_index *hash_index_new(uint32_t bits);
void hash_index_free(hash_index *x);
int hash_index_add(hash_index *x, const uint64_t *code);   /* 0, -1 out of memory */
/* Build the multi-index tables with m substrings (0: chosen from n and
 * bits, about log2 n bits each).  0, or -1 out of memory. */
int hash_index_build_mih(hash_index *x, int m);

typedef struct hash_hit {
    uint32_t row, dist;
} hash_hit;

/* The min(k, n) nearest rows to q, by distance then row, into hits
 * (room for k).  Returns their number.  scan: every row; mih: the tables
 * (built), probing ever larger radii; the same answer. */
size_t hash_knn_scan(hash_index *x, const uint64_t *q, size_t k, hash_hit *hits);
size_t hash_knn_mih(hash_index *x, const uint64_t *q, size_t k, hash_hit *hits);
/* nq <= HASH_SCAN_QUERIES queries (q: nq codes of x->words words one after
 * the other) at once: query i's min(k, n) hits into hits + i * k, exactly
 * hash_knn_scan's.  Up to 255 bits: for each query a threshold T from a
 * histogram of the distances to a sample of the rows; then the index is
 * read in blocks that stay in cache while each query's distances to the
 * block go into bytes (AVX2 for 64-bit codes where the processor has it)
 * and the rows within its T are kept (SSE2 compare and mask); if fewer
 * than k are, T grows and that query's pass is made again; a counting sort
 * of the kept rows by distance gives the hits.  When the index has few
 * distinct codes (hash_index_dedup) the pass reads those and the kept
 * codes are expanded to their rows, sorted by (distance, row).  Over 255 bits:
 * hash_knn_scan per query.  Returns min(k, n). */
size_t hash_knn_scan_many(hash_index *x, const uint64_t *q, size_t nq, size_t k, hash_hit *hits);
/* Find the distinct codes of an index of up to 64 bits, for
 * hash_knn_scan_many to read each once (and expand it to its rows), if
 * they are at most the share `most` of the rows; otherwise (or over 64
 * bits) none.  hash_knn_scan_many calls it with HASH_DEDUP_MOST whenever
 * rows were added since; most = 0 turns it off until then.  0, or -1 out
 * of memory (then none). */
int hash_index_dedup(hash_index *x, double most);
/* Let hash_knn_scan_many use AVX2 where the processor has it (on: 1, the
 * default) or not (0), for tests of both paths; returns the setting before. */
int hash_simd(int on);
/* The reference: every row's hash_dist_naive, kept sorted by insertion. */
size_t hash_knn_naive(const hash_index *x, const uint64_t *q, size_t k, hash_hit *hits);

#endif
