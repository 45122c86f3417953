/* test_dist.c - lib/dist: the collectives against serial sums in rank order,
 * plain (a job of one rank, no MPI_Init) and under mpirun (tests/sh/dist.sh).
 *
 *   test_dist               the checks; rank 0 prints the job's totals
 *   test_dist digest        FNV-1a of a fixed workload's results (rank 0)
 *   test_dist die R [OUT]   rank R dies at input.svm:3, the others wait in a
 *                           sum; rank 0 holds OUT open as a pending output
 *   test_dist dieall        every rank dies with the same message
 *   test_dist usage         every rank dies with a usage error
 *   test_dist wait OUT      every rank prints its pid, rank 0 holds OUT
 *                           pending and prints "ready", every rank sleeps
 *                           (for SIGINT)
 *   test_dist exit0         returns 0 without dist_finalize (atexit's work)
 *   test_dist time N REPS   milliseconds per sum of N floats (bench/scale.sh)
 *
 * Every rank can make every rank's input (seeded by rank), so the serial
 * reference needs no communication.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "dist.h"
#include "rng.h"

static int N, R;

/* values of many magnitudes and both signs, with some -0.0 and +0.0, so
 * that the order of a sum shows in its bits */
static double value(rng_t *g)
{
    double u = rng_uniform(g);
    if (u < 0.02) return -0.0;
    if (u < 0.04) return 0.0;
    int e = (int)rng_below(g, 41) - 20;
    return ldexp(rng_uniform(g) - 0.5, e);
}

static void make_float(float *x, size_t n, int rank, uint64_t salt)
{
    rng_t g;
    rng_seed(&g, 1000 + salt, (uint64_t)rank);
    for (size_t i = 0; i < n; i++) x[i] = (float)value(&g);
}

static void make_double(double *x, size_t n, int rank, uint64_t salt)
{
    rng_t g;
    rng_seed(&g, 2000 + salt, (uint64_t)rank);
    for (size_t i = 0; i < n; i++) x[i] = value(&g);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* 1 when every rank holds the same bytes */
static int same_everywhere(const void *p, size_t n)
{
    uint64_t h = fnv(0xcbf29ce484222325ULL, p, n);
    uint64_t *all = malloc((size_t)N * sizeof *all);
    if (!all || dist_allgather(&h, sizeof h, all) < 0) die("allgather: %s", dist_error());
    int ok = 1;
    for (int r = 0; r < N; r++) ok &= all[r] == h;
    free(all);
    return ok;
}

/* ------------------------------------------------------------------------ */

static void check_sums(size_t n, int gather)
{
    float *x = malloc((n + 1) * sizeof *x), *ref = malloc((n + 1) * sizeof *ref), *y = malloc((n + 1) * sizeof *y);
    double *xd = malloc((n + 1) * sizeof *xd), *refd = malloc((n + 1) * sizeof *refd), *yd = malloc((n + 1) * sizeof *yd);
    if (!x || !ref || !y || !xd || !refd || !yd) die("out of memory");
    /* reference: s = x_0; s += x_1; ... */
    make_float(ref, n, 0, n);
    make_double(refd, n, 0, n);
    for (int r = 1; r < N; r++) {
        make_float(y, n, r, n);
        make_double(yd, n, r, n);
        for (size_t i = 0; i < n; i++) ref[i] = ref[i] + y[i], refd[i] = refd[i] + yd[i];
    }
    make_float(x, n, R, n);
    make_double(xd, n, R, n);
    int rc = gather ? dist_sum_float_gather(x, n) : dist_sum_float(x, n);
    int rcd = gather ? dist_sum_double_gather(xd, n) : dist_sum_double(xd, n);
    const char *how = gather ? "gather" : "reduce-scatter";
    CHECK(rc == 0 && rcd == 0, "%s sum of %zu: %s", how, n, dist_error());
    CHECK(memcmp(x, ref, n * sizeof *x) == 0, "%s float sum of %zu = serial sum in rank order, bit for bit", how, n);
    CHECK(memcmp(xd, refd, n * sizeof *xd) == 0, "%s double sum of %zu = serial sum in rank order", how, n);
    CHECK(same_everywhere(x, n * sizeof *x), "%s float sum of %zu: same bytes on every rank", how, n);
    CHECK(same_everywhere(xd, n * sizeof *xd), "%s double sum of %zu: same bytes on every rank", how, n);
    free(x), free(ref), free(y), free(xd), free(refd), free(yd);
}

/* With 3 or more ranks the order of the sum shows: the reverse order gives
 * other bits somewhere (so the checks above can fail). */
static void check_order_matters(void)
{
    if (N < 3) return;
    size_t n = 10000;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *y = malloc(n * sizeof *y);
    if (!a || !b || !y) die("out of memory");
    make_float(a, n, 0, n);
    for (int r = 1; r < N; r++) {
        make_float(y, n, r, n);
        for (size_t i = 0; i < n; i++) a[i] += y[i];
    }
    make_float(b, n, N - 1, n);
    for (int r = N - 2; r >= 0; r--) {
        make_float(y, n, r, n);
        for (size_t i = 0; i < n; i++) b[i] += y[i];
    }
    CHECK(memcmp(a, b, n * sizeof *a) != 0, "the reverse rank order gives other bits");
    free(a), free(b), free(y);
}

/* rank r's touched rows and matrix; rank 1 touches nothing, rank 2 every row */
static size_t touched(uint32_t *ids, size_t rows, int rank)
{
    rng_t g;
    rng_seed(&g, 77, (uint64_t)rank);
    size_t n = 0;
    for (size_t j = 0; j < rows; j++) {
        int t = rank == 1 ? 0 : rank == 2 ? 1 : rng_uniform(&g) < 0.3;
        if (t) ids[n++] = (uint32_t)j;
    }
    return n;
}

static void make_matrix(float *m, size_t rows, size_t width, int rank, int keep)
{
    make_float(m, rows * width, rank, 5);
    if (!keep) return;
    /* parameters: rows no rank touches are equal everywhere */
    float *m0 = malloc(rows * width * sizeof *m0);
    uint32_t *ids = malloc(rows * sizeof *ids);
    unsigned char *any = calloc(rows, 1);
    if (!m0 || !ids || !any) die("out of memory");
    make_float(m0, rows * width, 0, 6);
    for (int r = 0; r < N; r++) {
        size_t n = touched(ids, rows, r);
        for (size_t i = 0; i < n; i++) any[ids[i]] = 1;
    }
    for (size_t j = 0; j < rows; j++)
        if (!any[j]) memcpy(m + j * width, m0 + j * width, width * sizeof *m);
    free(m0), free(ids), free(any);
}

static void check_rows(size_t rows, size_t width, int keep)
{
    size_t sz = rows * width;
    float *m = malloc(sz * sizeof *m), *dense = malloc(sz * sizeof *dense), *orig = malloc(sz * sizeof *orig);
    float *ref = calloc(sz, sizeof *ref), *y = malloc(sz * sizeof *y);
    uint32_t *ids = malloc(rows * sizeof *ids), *uids = malloc(rows * sizeof *uids);
    unsigned char *in_union = calloc(rows, 1);
    if (!m || !dense || !orig || !ref || !y || !ids || !uids || !in_union) die("out of memory");
    /* the dense contributions, summed in rank order by hand */
    for (int r = 0; r < N; r++) {
        make_matrix(y, rows, width, r, keep);
        size_t n = touched(ids, rows, r);
        if (!keep) {
            unsigned char *mine = calloc(rows, 1);
            if (!mine) die("out of memory");
            for (size_t i = 0; i < n; i++) mine[ids[i]] = 1;
            for (size_t j = 0; j < rows; j++)
                if (!mine[j])
                    for (size_t c = 0; c < width; c++) y[j * width + c] = 0.0f;
            free(mine);
        }
        for (size_t i = 0; i < n; i++) in_union[ids[i]] = 1;
        if (r == 0) memcpy(ref, y, sz * sizeof *y);
        else
            for (size_t i = 0; i < sz; i++) ref[i] = ref[i] + y[i];
        if (r == R) memcpy(dense, y, sz * sizeof *y);
    }
    /* the same through the dense collective */
    CHECK(dist_sum_float(dense, sz) == 0, "dense sum: %s", dist_error());
    CHECK(memcmp(dense, ref, sz * sizeof *ref) == 0, "dense collective = serial sum (rows %zu x %zu)", rows, width);

    make_matrix(m, rows, width, R, keep);
    memcpy(orig, m, sz * sizeof *m);
    size_t n = touched(ids, rows, R), nu = 0;
    int rc = dist_sum_rows(m, rows, width, ids, n, keep ? DIST_ROWS_KEEP : DIST_ROWS_ZERO, uids, &nu);
    CHECK(rc == 0, "dist_sum_rows: %s", dist_error());
    size_t want = 0;
    int ids_ok = 1, rows_ok = 1, rest_ok = 1;
    for (size_t j = 0; j < rows; j++) {
        if (in_union[j]) {
            ids_ok &= want < nu && uids[want] == j;
            want++;
            rows_ok &= memcmp(m + j * width, ref + j * width, width * sizeof *m) == 0;
        } else {
            rest_ok &= memcmp(m + j * width, orig + j * width, width * sizeof *m) == 0;
        }
    }
    const char *mode = keep ? "keep" : "zero";
    CHECK(nu == want && ids_ok, "sparse rows (%s): the union of the row ids (%zu, want %zu)", mode, nu, want);
    CHECK(rows_ok, "sparse rows (%s): union rows = dense sum, bit for bit", mode);
    CHECK(rest_ok, "sparse rows (%s): other rows unchanged", mode);
    /* (rows outside the union are stale gradients in zero mode: they differ) */
    for (size_t k = 0; k < nu && k < rows; k++) memcpy(y + k * width, m + (size_t)uids[k] * width, width * sizeof *m);
    CHECK(same_everywhere(y, nu * width * sizeof *y), "sparse rows (%s): same union rows on every rank", mode);
    free(m), free(dense), free(orig), free(ref), free(y), free(ids), free(uids), free(in_union);
}

static void check_rows_misuse(void)
{
    float m[8] = {0};
    uint32_t uids[4], bad_order[2] = {2, 1}, bad_row[1] = {4};
    size_t nu = 9;
    CHECK(dist_sum_rows(m, 4, 2, bad_order, 2, DIST_ROWS_ZERO, uids, &nu) < 0 && nu == 0 &&
              strstr(dist_error(), "not increasing"),
          "row ids out of order refused: %s", dist_error());
    CHECK(dist_sum_rows(m, 4, 2, bad_row, 1, DIST_ROWS_ZERO, uids, &nu) < 0 && strstr(dist_error(), "row 4 of 4"),
          "row id past the end refused: %s", dist_error());
    CHECK(dist_sum_rows(m, 4, 2, bad_row, 0, 7, uids, &nu) < 0, "bad mode refused");
}

static void check_moves(void)
{
    char buf[100];
    for (int i = 0; i < 100; i++) buf[i] = (char)(R == 0 ? i * 7 : 0x55);
    CHECK(dist_bcast(buf, sizeof buf) == 0, "bcast: %s", dist_error());
    int ok = 1;
    for (int i = 0; i < 100; i++) ok &= buf[i] == (char)(i * 7);
    CHECK(ok, "bcast: rank 0's bytes everywhere");

    double mine[2] = {R, R * 1.5}, *all = malloc((size_t)N * sizeof mine);
    if (!all) die("out of memory");
    CHECK(dist_allgather(mine, sizeof mine, all) == 0, "allgather: %s", dist_error());
    ok = 1;
    for (int r = 0; r < N; r++) ok &= all[2 * r] == r && all[2 * r + 1] == r * 1.5;
    CHECK(ok, "allgather: rank r's values at r");
    free(all);
    CHECK(dist_barrier() == 0, "barrier: %s", dist_error());
}

/* lib/cli's hook: phase 0 before the message, phase 1 after, in place of
 * the exit (checked in a child process; plain runs only) */
static int hook_fd = -1;
static void hook(int code, int written)
{
    char s[16];
    int n = snprintf(s, sizeof s, "%d:%d ", code, written);
    if (write(hook_fd, s, (size_t)n) != n) _exit(99);
    if (written) _exit(40 + code);
}

static void read_all(int fd, char *s, size_t cap)
{
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(fd, s + n, cap - 1 - n)) > 0) n += (size_t)k;
    s[n] = 0;
}

static void check_cli_hook(int usage)
{
    int p[2], e[2];
    if (pipe(p) < 0 || pipe(e) < 0) die("pipe");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        close(p[0]), close(e[0]);
        hook_fd = p[1];
        dup2(e[1], 2);
        cli_on_die(hook);
        if (usage) die_usage("bad option");
        die_at("in.svm", 3, "bad line");
    }
    close(p[1]), close(e[1]);
    char got[64] = "", err[256] = "";
    int st = 0;
    waitpid(pid, &st, 0);
    read_all(p[0], got, sizeof got);
    read_all(e[0], err, sizeof err);
    close(p[0]), close(e[0]);
    const char *want = usage ? "2:0 2:1 " : "1:0 1:1 ";
    CHECK(strcmp(got, want) == 0, "cli_on_die: phases '%s', want '%s'", got, want);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 40 + (usage ? 2 : 1), "cli_on_die: the hook ends the process");
    CHECK(strstr(err, usage ? "test_dist: bad option" : "test_dist: in.svm:3: bad line") != NULL,
          "cli_on_die: the message is written between the phases: %s", err);
}

static int run_checks(void)
{
    const char *env = getenv("OMPI_COMM_WORLD_SIZE");
    if (!env) {
        CHECK(!dist_mpi() && N == 1 && R == 0, "a plain run is rank 0 of 1 and never calls MPI_Init");
        check_cli_hook(0);
        check_cli_hook(1);
    } else {
        CHECK(dist_mpi(), "under mpirun: MPI_Init called (built with Open MPI)");
        CHECK(N == atoi(env), "size %d = OMPI_COMM_WORLD_SIZE %s", N, env);
        const char *r = getenv("OMPI_COMM_WORLD_RANK");
        CHECK(r && R == atoi(r), "rank %d = OMPI_COMM_WORLD_RANK %s", R, r ? r : "(unset)");
    }
    size_t sizes[] = {0, 1, 2, 3, 5, 7, 64, 1000, 100003};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        check_sums(sizes[i], 0);
        check_sums(sizes[i], 1);
    }
    /* the piece loop: pieces of 1000 elements, the last one short */
    dist_set_piece(1000);
    check_sums(4321, 0);
    check_sums(4321, 1);
    check_rows(300, 5, 0);
    dist_set_piece(0);
    check_order_matters();
    check_rows(1, 1, 0);
    check_rows(50, 7, 0);
    check_rows(50, 7, 1);
    check_rows(2000, 33, 0);
    check_rows(2000, 33, 1);
    check_rows_misuse();
    check_moves();

    /* the job's totals, printed once */
    int mine[2] = {check_pass_, check_fail_}, *all = malloc((size_t)N * sizeof mine);
    if (!all || dist_allgather(mine, sizeof mine, all) < 0) die("allgather: %s", dist_error());
    int pass = 0, failed = 0;
    for (int r = 0; r < N; r++) pass += all[2 * r], failed += all[2 * r + 1];
    free(all);
    if (R == 0) printf("%d passed, %d failed (%d ranks)\n", pass, failed, N);
    dist_finalize();
    return failed ? 1 : 0;
}

static int run_digest(void)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t n = 100003, rows = 3000, width = 17;
    float *x = malloc(n * sizeof *x), *m = malloc(rows * width * sizeof *m);
    double *xd = malloc(n * sizeof *xd);
    uint32_t *ids = malloc(rows * sizeof *ids), *uids = malloc(rows * sizeof *uids);
    if (!x || !m || !xd || !ids || !uids) die("out of memory");
    make_float(x, n, R, 1);
    make_double(xd, n, R, 1);
    if (dist_sum_float(x, n) < 0 || dist_sum_double(xd, n) < 0) die("sum: %s", dist_error());
    h = fnv(h, x, n * sizeof *x);
    h = fnv(h, xd, n * sizeof *xd);
    make_float(x, n, R, 2);
    if (dist_sum_float_gather(x, n) < 0) die("sum: %s", dist_error());
    h = fnv(h, x, n * sizeof *x);
    make_matrix(m, rows, width, R, 0);
    size_t k = touched(ids, rows, R), nu;
    if (dist_sum_rows(m, rows, width, ids, k, DIST_ROWS_ZERO, uids, &nu) < 0) die("rows: %s", dist_error());
    h = fnv(h, uids, nu * sizeof *uids);
    for (size_t i = 0; i < nu; i++) h = fnv(h, m + (size_t)uids[i] * width, width * sizeof *m);
    if (R == 0) printf("%d ranks: %016llx\n", N, (unsigned long long)h);
    free(x), free(m), free(xd), free(ids), free(uids);
    dist_finalize();
    return 0;
}

/* rank 0 holds path open as pending atomic output, with some bytes in it */
static cli_out *hold(const char *path)
{
    if (!path || R != 0) return NULL;
    cli_out *o = cli_out_open(path);
    fprintf(o->f, "partial\n");
    fflush(o->f);
    return o;
}

int main(int argc, char **argv)
{
    cli_init("test_dist");
    if (dist_init() < 0) die("%s", dist_error());
    N = dist_size(), R = dist_rank();
    const char *mode = argc > 1 ? argv[1] : "";
    if (!*mode) return run_checks();
    if (!strcmp(mode, "digest")) return run_digest();
    if (!strcmp(mode, "die") && argc > 2) {
        int who = atoi(argv[2]);
        hold(argc > 3 ? argv[3] : NULL);
        if (R == who) die_at("input.svm", 3, "bad line");
        float x[4] = {0};
        for (;;)
            if (dist_sum_float(x, 4) < 0) die("sum: %s", dist_error());
    }
    if (!strcmp(mode, "dieall")) die_at("input.svm", 3, "bad line");
    if (!strcmp(mode, "usage")) die_usage("unknown option '--bogus'");
    if (!strcmp(mode, "wait") && argc > 2) {
        hold(argv[2]);
        printf("pid %ld\n", (long)getpid());
        fflush(stdout);
        if (dist_barrier() < 0) die("barrier: %s", dist_error());
        if (R == 0) {
            printf("ready\n");
            fflush(stdout);
        }
        for (;;) sleep(1);
    }
    if (!strcmp(mode, "exit0")) return 0;
    if (!strcmp(mode, "time") && argc > 3) {
        size_t n = (size_t)atol(argv[2]);
        int reps = atoi(argv[3]);
        float *x = malloc((n ? n : 1) * sizeof *x);
        if (!x || reps < 1) die("time: bad arguments");
        make_float(x, n, R, 3);
        double ms[2];
        for (int g = 0; g < 2; g++) {
            if (dist_barrier() < 0) die("barrier: %s", dist_error());
            double t0 = cli_seconds();
            for (int i = 0; i < reps; i++)
                if ((g ? dist_sum_float_gather(x, n) : dist_sum_float(x, n)) < 0) die("sum: %s", dist_error());
            ms[g] = (cli_seconds() - t0) * 1e3 / reps;
        }
        if (R == 0)
            printf("%d ranks: sum of %zu floats (%.1f MB): %.2f ms reduce-scatter, %.2f ms gather\n", N, n,
                   (double)n * 4 / 1e6, ms[0], ms[1]);
        free(x);
        dist_finalize();
        return 0;
    }
    die_usage("unknown mode '%s'", mode);
}
