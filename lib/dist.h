/* dist.h - the collectives of data-parallel training (docs/scale.md), over
 * Open MPI when the process was started by mpirun, serial otherwise.
 *
 * A job is N processes ("ranks" 0..N-1) running the same program on the
 * same options.  A plain run (not started by mpirun) is the job of one rank
 * and never calls MPI_Init; so is a program built without Open MPI.  Every
 * function below is collective: every rank calls it, in the same order,
 * with the same sizes (n, width), or the job hangs or fails.
 *
 * Determinism: sums are taken elementwise in rank order,
 *   s = x_0;  s = s + x_1;  ...;  s = s + x_{N-1}     (in the block's type)
 * by code of this file, never by the library's reduction, so the result
 * bytes are the same on every rank and on every run with the same N, and
 * with N = 1 the block is unchanged.
 *
 * Errors: functions return 0, or -1 with a message in dist_error().  A
 * program dies on -1 (lib/cli's die), and dist_init() has routed die()
 * through dist_abort(), which ends every rank: no rank is left waiting in a
 * collective.  With lib/cli, this is the one part of lib/ that may end the
 * process, and only through dist_abort().
 */
#ifndef SENTI_DIST_H
#define SENTI_DIST_H

#include <stddef.h>
#include <stdint.h>

/* Seconds a rank other than 0 waits in an error exit before it writes its
 * message and ends the job: when rank 0 fails too (a bad option, a missing
 * file: every rank sees those), rank 0's message is the job's one line. */
#define DIST_GRACE_SECONDS 2.0

/* Join the job.  Call once, first thing in main() after cli_init() (before
 * options are parsed, so that a usage error already ends the job cleanly).
 * Under mpirun (Open MPI's environment: OMPI_COMM_WORLD_SIZE): MPI_Init,
 * error exits of lib/cli routed through dist_abort (cli_on_die), MPI's own
 * help and error banners silenced (OMPI_MCA_orte_execute_quiet=1 unless set),
 * MPI_Finalize registered with atexit().  Otherwise nothing: rank 0 of 1.
 * A program built without Open MPI started by mpirun with N > 1 fails
 * ("built without Open MPI"), rather than run N independent copies.
 * Returns 0 or -1 (dist_error()). */
int dist_init(void);

/* Leave the job (MPI_Finalize) and free the scratch buffers; safe to call
 * twice or without dist_init().  Normal exits call it (atexit). */
void dist_finalize(void);

/* This process's rank, 0..size-1, and the number of ranks (1 when plain). */
int dist_rank(void);
int dist_size(void);
/* 1 when the job runs over MPI (MPI_Init was called), else 0. */
int dist_mpi(void);

/* Why the last call failed. */
const char *dist_error(void);

/* End every rank of the job with exit status code (1 for errors): MPI_Abort
 * under MPI, _exit(code) otherwise.  Streams are flushed first.  Other ranks
 * get SIGTERM from Open MPI, which lib/cli's handler turns into removing
 * their temporary output files. */
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void dist_abort(int code);

/* Sum x[0..n) over the ranks, in place, in rank order (see above).  Each
 * rank sends and receives about 2 (N-1)/N of the block: a reduce-scatter
 * (rank r sums chunk r of every rank's block, in rank order) then an
 * all-gather of the summed chunks, both through MPI_Alltoallv/Allgatherv,
 * which move bytes and do no arithmetic. */
int dist_sum_float(float *x, size_t n);
int dist_sum_double(double *x, size_t n);

/* The naive reference of dist_sum_*: every rank gathers every block
 * (MPI_Allgather) and sums them in rank order.  N times the traffic; the
 * same bytes.  For tests and for blocks of a few values. */
int dist_sum_float_gather(float *x, size_t n);
int dist_sum_double_gather(double *x, size_t n);

/* What the rows of m that a rank did not touch contribute to the sum. */
enum {
    DIST_ROWS_ZERO = 0, /* nothing (+0.0): m holds gradients, untouched rows are stale */
    DIST_ROWS_KEEP = 1  /* their current values: m holds parameters, equal on
                           every rank in rows no rank touched */
};

/* Sparse-rows sum of a (rows, width) row-major matrix m, for sending only
 * the encoder rows (inputs) a step touched.  ids[0..n) are the rows this
 * rank touched, strictly increasing, < rows.  On return uids[0..*nu) (room
 * for rows ids) is the union of every rank's ids, increasing, and each row
 * u of m in the union holds the sum over ranks, in rank order, of rank r's
 * row u when r touched it, else of +0.0 (DIST_ROWS_ZERO) or of rank r's row
 * u (DIST_ROWS_KEEP): the bytes of dist_sum_float over the whole matrix with
 * those contributions, on the union rows.  Rows outside the union are not
 * changed.  Traffic: the ids, then 2 (N-1)/N of (*nu, width) floats. */
int dist_sum_rows(float *m, size_t rows, size_t width, const uint32_t *ids, size_t n,
                  int untouched, uint32_t *uids, size_t *nu);

/* Broadcast bytes [0, n) of buf from rank 0 to every rank. */
int dist_bcast(void *buf, size_t n);

/* All-gather of a few bytes per rank (examples counted, loss sums): rank
 * r's n bytes at mine land at all + r * n on every rank (all holds size * n
 * bytes; mine may not overlap it). */
int dist_allgather(const void *mine, size_t n, void *all);

/* Wait until every rank has called it. */
int dist_barrier(void);

/* For tests: blocks go through MPI in pieces of at most n elements (0: the
 * default, 2^26), so that the piece loop runs on small blocks. */
void dist_set_piece(size_t n);

#endif
