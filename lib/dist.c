/* dist.c - collectives for data-parallel training (see dist.h): Open MPI
 * when built with SENTI_MPI (the Makefile's MPI section) and started by
 * mpirun, a job of one rank otherwise.  The sums are ours, in rank order;
 * MPI only moves bytes (Alltoallv, Allgather(v), Bcast). */
#define _POSIX_C_SOURCE 200809L
#include "dist.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifdef SENTI_MPI
#include <mpi.h>
#endif

static int d_rank = 0, d_size = 1, d_mpi = 0, d_init = 0;
static char d_err[512];

/* scratch, grown on demand and kept (no allocation once a training loop has
 * made its first calls) */
static void *scratch;
static size_t scratch_cap;
static int *counts, *displs, *rcounts, *rdispls;  /* size entries each */
/* sparse rows: a byte per row, the ranks' id counts and ids, the packed rows */
static unsigned char *marks;
static uint64_t *all_n;
static uint32_t *all_ids;
static float *packed;
static size_t marks_cap, ids_cap, packed_cap;

/* Blocks go through MPI in pieces of at most this many elements, so every
 * count and displacement fits an int. */
#define DIST_PIECE_DEFAULT ((size_t)1 << 26)
static size_t piece_max = DIST_PIECE_DEFAULT;

void dist_set_piece(size_t n)
{
    piece_max = n ? (n < DIST_PIECE_DEFAULT ? n : DIST_PIECE_DEFAULT) : DIST_PIECE_DEFAULT;
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d_err, sizeof d_err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *dist_error(void)
{
    return d_err;
}

int dist_rank(void)
{
    return d_rank;
}

int dist_size(void)
{
    return d_size;
}

int dist_mpi(void)
{
    return d_mpi;
}

static void *grow(void **p, size_t *cap, size_t bytes)
{
    if (bytes <= *cap) return *p;
    size_t c = *cap ? *cap : 4096;
    while (c < bytes) c = c > SIZE_MAX / 2 ? bytes : 2 * c;
    void *q = realloc(*p, c);
    if (!q) return NULL;
    *p = q;
    *cap = c;
    return q;
}

#ifdef SENTI_MPI
static void *get_scratch(size_t bytes)
{
    void *p = grow(&scratch, &scratch_cap, bytes);
    if (!p) fail("out of memory for a %zu-byte exchange buffer", bytes);
    return p;
}
#endif

/* ------------------------------------------------------------------------
 * joining and leaving */

#ifdef SENTI_MPI
static int mpi_fail(const char *what, int rc)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) len = 0;
    s[len] = 0;
    return fail("%s failed: %s", what, len ? s : "unknown MPI error");
}

static void sleep_seconds(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* cli_on_die hook.  Before the message, a rank other than 0 waits: if rank
 * 0 is failing too, its dist_abort ends this rank (SIGTERM) before a second
 * copy of the message is written.  After the message, the job ends. */
static void on_die(int code, int written)
{
    if (!written) {
        if (d_rank != 0) sleep_seconds(DIST_GRACE_SECONDS);
        return;
    }
    dist_abort(code);
}

static void finalize_at_exit(void)
{
    dist_finalize();
}
#endif

int dist_init(void)
{
    if (d_init) return 0;
    d_init = 1;
    const char *s = getenv("OMPI_COMM_WORLD_SIZE");
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end || n < 1 || n > INT_MAX) return fail("OMPI_COMM_WORLD_SIZE='%s' is not a process count", s);
#ifdef SENTI_MPI
    /* MPI_Abort's banner and the like: our error exits write one line */
    setenv("OMPI_MCA_orte_execute_quiet", "1", 0);
    int provided, rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Init", rc);
    d_mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d_size);
    cli_on_die(on_die);
    atexit(finalize_at_exit);
    size_t nr = (size_t)d_size;
    counts = malloc(nr * sizeof *counts), displs = malloc(nr * sizeof *displs);
    rcounts = malloc(nr * sizeof *rcounts), rdispls = malloc(nr * sizeof *rdispls);
    all_n = malloc(nr * sizeof *all_n);
    if (!counts || !displs || !rcounts || !rdispls || !all_n) return fail("out of memory for %d ranks", d_size);
    return 0;
#else
    if (n > 1)
        return fail("started by mpirun with %ld processes, but built without Open MPI "
                    "(install libopenmpi-dev and rebuild; docs/scale.md)", n);
    return 0;
#endif
}

void dist_finalize(void)
{
#ifdef SENTI_MPI
    if (d_mpi) {
        int done = 0;
        MPI_Finalized(&done);
        if (!done) MPI_Finalize();
        cli_on_die(NULL);
    }
#endif
    free(scratch), free(counts), free(displs), free(rcounts), free(rdispls);
    free(marks), free(all_n), free(all_ids), free(packed);
    scratch = NULL, counts = displs = rcounts = rdispls = NULL;
    marks = NULL, all_n = NULL, all_ids = NULL, packed = NULL;
    scratch_cap = marks_cap = ids_cap = packed_cap = 0;
}

void dist_abort(int code)
{
    fflush(NULL);
#ifdef SENTI_MPI
    if (d_mpi) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    _exit(code);
}

/* ------------------------------------------------------------------------
 * sums in rank order */

#ifdef SENTI_MPI
/* acc[i] += y[i]: one IEEE addition per element, so vectorising changes
 * nothing. */
static void add_float(float *restrict acc, const float *restrict y, size_t n)
{
    for (size_t i = 0; i < n; i++) acc[i] += y[i];
}

static void add_double(double *restrict acc, const double *restrict y, size_t n)
{
    for (size_t i = 0; i < n; i++) acc[i] += y[i];
}

/* acc = blocks[0] + blocks[1] + ... + blocks[N-1], blocks n elements apart */
static void sum_blocks(void *acc, const void *blocks, size_t n, int dbl)
{
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    memcpy(acc, blocks, n * esz);
    for (int r = 1; r < d_size; r++) {
        const char *y = (const char *)blocks + (size_t)r * n * esz;
        if (dbl) add_double(acc, (const double *)y, n);
        else add_float(acc, (const float *)y, n);
    }
}

/* chunk c of a piece of m elements: [lo(c), lo(c + 1)) */
static size_t chunk_lo(size_t m, int c)
{
    return m * (size_t)c / (size_t)d_size;
}

static int sum_piece(void *x, size_t m, int dbl)
{
    MPI_Datatype t = dbl ? MPI_DOUBLE : MPI_FLOAT;
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    size_t lo = chunk_lo(m, d_rank), len = chunk_lo(m, d_rank + 1) - lo;
    char *buf = get_scratch((size_t)d_size * (len ? len : 1) * esz);
    if (!buf) return -1;
    /* reduce-scatter: chunk c of every rank goes to rank c, in rank order */
    for (int c = 0; c < d_size; c++) {
        counts[c] = (int)(chunk_lo(m, c + 1) - chunk_lo(m, c));
        displs[c] = (int)chunk_lo(m, c);
        rcounts[c] = (int)len;
        rdispls[c] = (int)((size_t)c * len);
    }
    int rc = MPI_Alltoallv(x, counts, displs, t, buf, rcounts, rdispls, t, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Alltoallv", rc);
    sum_blocks((char *)x + lo * esz, buf, len, dbl);
    /* all-gather of the summed chunks */
    rc = MPI_Allgatherv(MPI_IN_PLACE, 0, t, x, counts, displs, t, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Allgatherv", rc);
    return 0;
}

static int gather_piece(void *x, size_t m, int dbl)
{
    MPI_Datatype t = dbl ? MPI_DOUBLE : MPI_FLOAT;
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    char *buf = get_scratch((size_t)d_size * m * esz);
    if (!buf) return -1;
    int rc = MPI_Allgather(x, (int)m, t, buf, (int)m, t, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Allgather", rc);
    sum_blocks(x, buf, m, dbl);
    return 0;
}
#endif

/* the block in pieces of at most piece elements */
static int sum_block(void *x, size_t n, int dbl, int gather)
{
    if (d_size == 1 || n == 0) return 0;
#ifdef SENTI_MPI
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    size_t piece = gather ? piece_max / (size_t)d_size + 1 : piece_max;
    for (size_t i = 0; i < n; i += piece) {
        size_t m = n - i < piece ? n - i : piece;
        char *p = (char *)x + i * esz;
        if ((gather ? gather_piece(p, m, dbl) : sum_piece(p, m, dbl)) < 0) return -1;
    }
    return 0;
#else
    (void)x, (void)dbl, (void)gather;
    return fail("no MPI in this build");
#endif
}

int dist_sum_float(float *x, size_t n)
{
    return sum_block(x, n, 0, 0);
}

int dist_sum_double(double *x, size_t n)
{
    return sum_block(x, n, 1, 0);
}

int dist_sum_float_gather(float *x, size_t n)
{
    return sum_block(x, n, 0, 1);
}

int dist_sum_double_gather(double *x, size_t n)
{
    return sum_block(x, n, 1, 1);
}

/* ------------------------------------------------------------------------
 * sparse rows */

int dist_sum_rows(float *m, size_t rows, size_t width, const uint32_t *ids, size_t n,
                  int untouched, uint32_t *uids, size_t *nu)
{
    *nu = 0;
    if (untouched != DIST_ROWS_ZERO && untouched != DIST_ROWS_KEEP)
        return fail("dist_sum_rows: bad mode %d", untouched);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= rows) return fail("dist_sum_rows: row %u of %zu rows", ids[i], rows);
        if (i && ids[i] <= ids[i - 1])
            return fail("dist_sum_rows: row ids not increasing (%u after %u)", ids[i], ids[i - 1]);
    }
    if (d_size == 1) {
        memcpy(uids, ids, n * sizeof *ids);
        *nu = n;
        return 0;
    }
    /* the union: every rank's ids, marked 1 for other ranks', 2 for ours */
    uint64_t mine = n;
    if (dist_allgather(&mine, sizeof mine, all_n) < 0) return -1;
    if (!grow((void **)&marks, &marks_cap, rows ? rows : 1)) return fail("out of memory for %zu row marks", rows);
    memset(marks, 0, rows);
#ifdef SENTI_MPI
    size_t total = 0;
    for (int r = 0; r < d_size; r++) total += all_n[r];
    if (total > INT_MAX) return fail("dist_sum_rows: %zu row ids in all, more than %d", total, INT_MAX);
    for (int r = 0, off = 0; r < d_size; off += (int)all_n[r], r++) counts[r] = (int)all_n[r], displs[r] = off;
    if (!grow((void **)&all_ids, &ids_cap, (total ? total : 1) * sizeof *all_ids))
        return fail("out of memory for %zu row ids", total);
    int rc = MPI_Allgatherv(ids, (int)n, MPI_UINT32_T, all_ids, counts, displs, MPI_UINT32_T, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Allgatherv", rc);
    for (size_t i = 0; i < total; i++) {
        if (all_ids[i] >= rows) return fail("dist_sum_rows: another rank sent row %u of %zu", all_ids[i], rows);
        marks[all_ids[i]] = 1;
    }
#endif
    for (size_t i = 0; i < n; i++) marks[ids[i]] = 2;
    size_t u = 0;
    for (size_t j = 0; j < rows; j++)
        if (marks[j]) uids[u++] = (uint32_t)j;
    /* pack this rank's contribution to the union rows, sum, unpack */
    if (u && width > SIZE_MAX / sizeof(float) / u) return fail("dist_sum_rows: %zu x %zu floats overflow", u, width);
    if (!grow((void **)&packed, &packed_cap, (u ? u : 1) * width * sizeof *packed))
        return fail("out of memory for %zu x %zu floats", u, width);
    for (size_t k = 0; k < u; k++) {
        float *dst = packed + k * width;
        if (marks[uids[k]] == 2 || untouched == DIST_ROWS_KEEP)
            memcpy(dst, m + (size_t)uids[k] * width, width * sizeof *dst);
        else
            for (size_t c = 0; c < width; c++) dst[c] = 0.0f;
    }
    if (dist_sum_float(packed, u * width) < 0) return -1;
    for (size_t k = 0; k < u; k++) memcpy(m + (size_t)uids[k] * width, packed + k * width, width * sizeof *m);
    *nu = u;
    return 0;
}

/* ------------------------------------------------------------------------
 * moving bytes */

int dist_bcast(void *buf, size_t n)
{
    if (d_size == 1) return 0;
#ifdef SENTI_MPI
    for (size_t i = 0; i < n; i += piece_max) {
        size_t m = n - i < piece_max ? n - i : piece_max;
        int rc = MPI_Bcast((char *)buf + i, (int)m, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail("MPI_Bcast", rc);
    }
    return 0;
#else
    (void)buf, (void)n;
    return fail("no MPI in this build");
#endif
}

int dist_allgather(const void *mine, size_t n, void *all)
{
    if (d_size == 1) {
        memcpy(all, mine, n);
        return 0;
    }
#ifdef SENTI_MPI
    if (n > INT_MAX) return fail("dist_allgather: %zu bytes per rank, more than %d", n, INT_MAX);
    int rc = MPI_Allgather(mine, (int)n, MPI_BYTE, all, (int)n, MPI_BYTE, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Allgather", rc);
    return 0;
#else
    return fail("no MPI in this build");
#endif
}

int dist_barrier(void)
{
    if (d_size == 1) return 0;
#ifdef SENTI_MPI
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Barrier", rc);
    return 0;
#else
    return fail("no MPI in this build");
#endif
}
