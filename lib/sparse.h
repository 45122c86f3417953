/* sparse.h - the sparse line format (docs/format.md): a streaming reader, a
 * writer and a CSR matrix that grows as lines arrive.
 *
 *   label idx:val idx:val ... [# comment]
 *   # senti sparse dim=5000 vocab=0123456789abcdef      (optional header)
 *
 * Indices are 1-based and strictly increasing in the text; in memory they are
 * 0-based column numbers ("col").  Values are float32, labels double.
 * The library never exits: functions return -1 and leave a message
 * ("file:line: reason") in the reader for the tool to print.
 */
#ifndef SENTI_SPARSE_H
#define SENTI_SPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest index accepted (and so largest dimension): 2^31 - 1. */
#define SPARSE_MAX_DIM 2147483647u
/* Vocabulary digest: 16 lowercase hex digits (64 bits), "" when unknown. */
#define SPARSE_DIGEST_LEN 16

/* Label of an unlabeled row ('?' or absent). */
#define SPARSE_NO_LABEL 0

/* One parsed line.  Arrays belong to the reader and stay valid until the
 * next call of sparse_next(). */
typedef struct sparse_row {
    int has_label;         /* 0 when the label was '?' or absent */
    double label;          /* valid when has_label */
    size_t n;              /* number of entries */
    const uint32_t *col;   /* n 0-based column numbers, strictly increasing */
    const float *val;      /* n finite values (zeros are kept if written) */
    const char *comment;   /* text after " #" without leading blanks, or NULL */
} sparse_row;

/* Header information: dim 0 = not declared; vocab "" = not declared. */
typedef struct sparse_header {
    uint32_t dim;
    char vocab[SPARSE_DIGEST_LEN + 1];
} sparse_header;

typedef struct sparse_reader sparse_reader;

/* Start reading f; name is used in messages (pass cli_name(path)).
 * The reader does not own f.  Returns NULL only on allocation failure. */
sparse_reader *sparse_reader_new(FILE *f, const char *name);
void sparse_reader_free(sparse_reader *r);

/* Go on reading the same stream from another file, as if the files were
 * concatenated (`cat a b`): messages name the new file and count its lines
 * from 1, while the header seen so far, the largest index and the
 * expectation carry over, so a later file must agree with the headers of
 * the earlier ones (a header-less file with index 6 after `dim=5` is
 * refused, as the same lines in one file would be).  -1 when out of memory. */
int sparse_reader_next_file(sparse_reader *r, FILE *f, const char *name);

/* What the data must fit, such as a model's input: every index <= dim
 * (0 = no limit beyond SPARSE_MAX_DIM), and every header line met, before
 * rows or after them, in any file of the stream, must declare no dim= above
 * dim and no vocab= other than vocab (NULL or "" = any).  `what` names the
 * owner in messages, e.g. "the model": "index 61 above the model's input
 * dimension 60", "header dim=61 does not match the model's input dimension
 * 60", "vocabulary digest 00000000000000bb differs from the model's
 * 00000000000000aa".  A file without a header (or without vocab=) is
 * accepted. */
void sparse_reader_expect(sparse_reader *r, uint32_t dim, const char *vocab, const char *what);
/* sparse_reader_expect(r, dim, NULL, "the model"). */
void sparse_reader_limit(sparse_reader *r, uint32_t dim);

/* Reader flags (sparse_reader_flags, before the first line):
 * SPARSE_ZERO_BASED: indices start at 0 (scikit-learn's dump_svmlight_file
 * default); index i is column i, so the largest index is 2^31 - 2. */
#define SPARSE_ZERO_BASED 1u
void sparse_reader_flags(sparse_reader *r, unsigned flags);
/* Labels that are words (`positive`, `neg`): spec "name=number,..." maps
 * each name to its rating; a label that is neither a number nor a name of
 * the map is then refused with the names listed.  0, or -1 with the
 * reason in err for a bad spec (empty or repeated name, a name that is a
 * number or holds ',' '=' or a blank, a value that is not finite). */
int sparse_reader_labels(sparse_reader *r, const char *spec, char *err, size_t errlen);

/* Line formats besides ours (docs/format.md), for senti-cat --from/--to:
 * Vowpal Wabbit's `label ['tag]| f[:v] ...` and fastText's
 * `__label__X tok tok ...`. */
enum { SPARSE_FMT_SENTI = 0, SPARSE_FMT_VW, SPARSE_FMT_FASTTEXT };
/* Maps a feature name (VW) or token (fastText) to its 1-based index, 0
 * when unknown (the feature is dropped, as senti-bow drops tokens outside
 * its vocabulary). */
typedef uint32_t (*sparse_lookup_fn)(void *arg, const char *s, size_t n);
/* Read lines of format fmt.  Names go through lookup (with arg); with
 * lookup NULL they must be indices, as senti-cat --to writes them without
 * a vocabulary.  Names repeated on a line add their values (fastText: the
 * value is the token's count). */
void sparse_reader_format(sparse_reader *r, int fmt, sparse_lookup_fn lookup, void *arg);

/* Read the next data line into *row, skipping '#' lines (headers are parsed
 * and remembered).  Returns 1 for a row, 0 at end of input, -1 on a
 * malformed line or read error: sparse_reader_error() says why. */
int sparse_next(sparse_reader *r, sparse_row *row);

/* "file:line: reason" of the last error. */
const char *sparse_reader_error(const sparse_reader *r);
/* Line number of the last line read (1-based, in the current file). */
long sparse_reader_line(const sparse_reader *r);
/* The header seen so far (dim/vocab zero/empty if none). */
const sparse_header *sparse_reader_header(const sparse_reader *r);
/* Largest column + 1 seen so far. */
uint32_t sparse_reader_maxdim(const sparse_reader *r);

/* Parse one line (without its newline; a trailing '\r' is accepted) into the
 * reader's buffers.  Exposed for tests and fuzzing; sparse_next() uses it.
 * len may include NUL bytes, which are rejected.  Returns 1 for a row, 0
 * for a header or comment line, -1 on error. */
int sparse_parse_line(sparse_reader *r, const char *line, size_t len, sparse_row *row);

/* ------------------------------------------------------------------------
 * writing (C locale, shortest text that reads back to the same value) */

/* Writes "# senti sparse[ dim=D][ vocab=V]\n": dim 0 and vocab NULL or ""
 * are left out. */
int sparse_write_header(FILE *f, uint32_t dim, const char *vocab);
/* Writes one row: label (or '?'), then " col+1:val" for each entry, then
 * " # comment" when comment is non-NULL, then '\n'.  Returns -1 on a write
 * error (check ferror). */
int sparse_write_row(FILE *f, int has_label, double label, size_t n,
                     const uint32_t *col, const float *val, const char *comment);
/* Shortest decimal text for v that strtof() reads back exactly; buf needs 32
 * bytes.  Returns the length. */
int sparse_format_float(char *buf, float v);
/* The same through snprintf and strtof alone: slower, the reference that
 * sparse_format_float's arithmetic fast path is tested against. */
int sparse_format_float_ref(char *buf, float v);
/* Same for doubles (labels); buf needs 32 bytes. */
int sparse_format_double(char *buf, double v);

/* A writer of rows in one of the formats, with the options every program
 * that writes rows offers: no header (--no-header, for peers that refuse
 * '#' lines, such as LIBLINEAR) and a number in place of '?' for unlabeled
 * rows (--unlabeled-as X, for peers that need a number).  Fill it with
 * sparse_writer_init, then set the fields. */
typedef struct sparse_writer {
    FILE *f;
    int format;                /* SPARSE_FMT_* [SENTI] */
    int no_header;             /* write no header lines [0] */
    int unlabeled_as_set;      /* write unlabeled_as for unlabeled rows [0] */
    double unlabeled_as;
    const char *const *names;  /* VW/fastText: names[col] of the nnames columns, */
    uint32_t nnames;           /* or NULL: the 1-based index */
    sparse_header written;     /* what the headers written so far declared */
    char err[256];
} sparse_writer;

void sparse_writer_init(sparse_writer *w, FILE *f);
/* Write a header line declaring dim and vocab (0 / NULL / "": unknown)
 * when it adds to what the headers written so far declared: call it before
 * each row with the reader's header, and a header first met after rows is
 * written where it was met, so that the vocabulary digest is never lost
 * downstream.  Only the senti format has headers.  0, or -1 on a write
 * error. */
int sparse_writer_header(sparse_writer *w, uint32_t dim, const char *vocab);
/* Write one row.  0; -1 on a write error (check ferror); -2 when the row
 * cannot be written in this format, with the reason in w->err (fastText:
 * a value that is not a whole count; a name that would not read back). */
int sparse_writer_row(sparse_writer *w, const sparse_row *row);

/* ------------------------------------------------------------------------
 * CSR matrix */

typedef struct sparse_csr {
    size_t rows, nnz;
    size_t cap_rows, cap_nnz;
    size_t *rowptr;        /* rows+1 offsets into col/val */
    uint32_t *col;         /* nnz 0-based columns */
    float *val;            /* nnz values */
    double *label;         /* rows labels (0 when unlabeled) */
    unsigned char *has_label; /* rows flags */
    uint32_t dim;          /* max(declared dim, largest column + 1) */
    sparse_header header;  /* header of the input, if any */
    int keep_comments;     /* set before appending: rows keep their comments */
    size_t *cstart;        /* rows offsets into ctext, SIZE_MAX = no comment */
    char *ctext;           /* the comments, each followed by a NUL */
    size_t clen, ccap;
} sparse_csr;

/* Create an empty matrix; free with sparse_csr_free (NULL is fine). */
sparse_csr *sparse_csr_new(void);
void sparse_csr_free(sparse_csr *m);
/* Append a row (copies its arrays).  Returns -1 on allocation failure. */
int sparse_csr_append(sparse_csr *m, const sparse_row *row);
/* Read every remaining row of r into m (header included).  Returns 0, or -1
 * with the reason in sparse_reader_error(r) (or "out of memory"). */
int sparse_csr_read(sparse_csr *m, sparse_reader *r);
/* View row i as a sparse_row (comment NULL unless keep_comments; valid
 * until the next append). */
void sparse_csr_row(const sparse_csr *m, size_t i, sparse_row *row);

/* Minibatches are sparse_csr too, reused from batch to batch (no allocation
 * once they have grown): clear keeps the capacity and the header, gather
 * makes dst hold rows idx[0..n) of src in that order (labels too; dst's dim
 * becomes src's).  -1 on allocation failure. */
void sparse_csr_clear(sparse_csr *m);
int sparse_csr_gather(sparse_csr *dst, const sparse_csr *src, const size_t *idx, size_t n);

#endif
