/* fuzz_sparse.c - libFuzzer harness of the sparse line reader (lib/sparse.c).
 *
 * The input is read as a file of sparse lines (through fmemopen, as a
 * tool reads a file), with a model dimension limit taken from its first
 * byte.  Every row accepted must satisfy the reader's promises (columns
 * strictly increasing and below the limits, finite values), and must read
 * back identically after sparse_write_row: the writer's shortest text is
 * exact.  The rows also go through sparse_csr_read. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_row(const sparse_row *row, uint32_t limit, uint32_t hdim)
{
    for (size_t i = 0; i < row->n; i++) {
        if (i && row->col[i] <= row->col[i - 1]) abort();
        if (limit && row->col[i] >= limit) abort();
        if (hdim && row->col[i] >= hdim) abort();
        if (!isfinite(row->val[i])) abort();
    }
    if (row->has_label && !isfinite(row->label)) abort();
}

/* write the row and read it back: the same row */
static void round_trip(const sparse_row *row)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    if (sparse_write_row(m, row->has_label, row->label, row->n, row->col, row->val, row->comment) != 0) abort();
    fclose(m);
    sparse_reader *r = sparse_reader_new(NULL, "copy");
    sparse_row back;
    int k = sparse_parse_line(r, buf, len, &back);
    if (row->comment && strchr(row->comment, '\r')) {
        /* a CR in a comment may end the written line early: no promise */
    } else {
        if (k != 1) abort();
        if (back.has_label != row->has_label || back.n != row->n) abort();
        if (row->has_label && back.label != row->label) abort();
        for (size_t i = 0; i < row->n; i++)
            if (back.col[i] != row->col[i] || back.val[i] != row->val[i]) abort();
    }
    sparse_reader_free(r);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint32_t limit = data[0] < 128 ? 0 : (uint32_t)data[0] - 100;
    data++;
    size--;
    FILE *f = fmemopen((void *)data, size ? size : 1, "r");
    if (!f) return 0;
    if (!size) fgetc(f); /* fmemopen refuses size 0: read the 1 byte away */
    sparse_reader *r = sparse_reader_new(f, "fuzz");
    if (limit) sparse_reader_limit(r, limit);
    sparse_row row;
    int k;
    while ((k = sparse_next(r, &row)) == 1) {
        check_row(&row, limit, sparse_reader_header(r)->dim);
        round_trip(&row);
    }
    if (k < 0 && strncmp(sparse_reader_error(r), "fuzz:", 5) != 0) abort();
    sparse_reader_free(r);
    fclose(f);

    /* the CSR reader over the same bytes */
    f = fmemopen((void *)data, size ? size : 1, "r");
    if (!f) return 0;
    if (!size) fgetc(f);
    r = sparse_reader_new(f, "fuzz");
    sparse_csr *m = sparse_csr_new();
    if (sparse_csr_read(m, r) == 0) {
        for (size_t i = 0; i < m->rows; i++) {
            sparse_csr_row(m, i, &row);
            check_row(&row, 0, 0);
            if (row.n && row.col[row.n - 1] >= m->dim) abort();
        }
    }
    sparse_csr_free(m);
    sparse_reader_free(r);
    fclose(f);
    return 0;
}
