/* main.h - runs a program's main() as a libFuzzer target: the harness
 * includes the program's source with main renamed, and for each input
 *
 *   fz_run(prog_main, argc, argv, data, size)
 *
 * writes the input to a file (argv names it as "@"), runs main with a fresh
 * option parser and file registry, catches its error exits (die, die_at,
 * die_usage: through cli_on_die, a siglongjmp back here) and returns the
 * exit code, with what the program wrote to standard output in fz_out /
 * fz_outlen and its stderr in a file.  An error exit must have written
 * exactly one line to stderr, naming the program.
 *
 * Leak checking is off: an error exit leaves what the program held, as
 * _exit() does in a real run. */
#ifndef SENTI_FUZZ_MAIN_H
#define SENTI_FUZZ_MAIN_H

#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return 1;
}

static sigjmp_buf fz_jmp;
static int fz_code;
static char fz_dir[64], fz_in[96], fz_outp[96], fz_errp[96];
static char *fz_out;
static size_t fz_outlen, fz_outcap;

static void fz_on_die(int code, int written)
{
    if (written) {
        fz_code = code;
        siglongjmp(fz_jmp, 1);
    }
}

static void fz_init(void)
{
    if (fz_dir[0]) return;
    /* in memory when the machine has /dev/shm */
    snprintf(fz_dir, sizeof fz_dir, "/dev/shm/senti-fuzz-XXXXXX");
    if (!mkdtemp(fz_dir)) {
        snprintf(fz_dir, sizeof fz_dir, "/tmp/senti-fuzz-XXXXXX");
        if (!mkdtemp(fz_dir)) abort();
    }
    snprintf(fz_in, sizeof fz_in, "%s/input", fz_dir);
    snprintf(fz_outp, sizeof fz_outp, "%s/stdout", fz_dir);
    snprintf(fz_errp, sizeof fz_errp, "%s/stderr", fz_dir);
    int fd = open(fz_outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) abort();
    close(fd);
    /* the program's stderr is a stream of its own: libFuzzer keeps the
     * descriptor 2 it took at startup for its reports */
    FILE *e = fopen(fz_errp, "w+");
    if (!e) abort();
    stderr = e;
    cli_on_die(fz_on_die);
}

/* The bytes of a file, NUL-terminated, in a buffer of its own (*len set). */
static char *fz_slurp(const char *path, char **buf, size_t *cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    *len = 0;
    for (;;) {
        if (*cap - *len < 4096) {
            *cap = *cap ? 2 * *cap : 65536;
            *buf = realloc(*buf, *cap);
            if (!*buf) abort();
        }
        size_t k = fread(*buf + *len, 1, *cap - *len - 1, f);
        *len += k;
        if (k == 0) break;
    }
    fclose(f);
    (*buf)[*len] = 0;
    return *buf;
}

static int fz_run(int (*prog_main)(int, char **), int argc, char **argv, const uint8_t *data, size_t size)
{
    fz_init();
    FILE *in = fopen(fz_in, "wb");
    if (!in || (size && fwrite(data, 1, size, in) != size) || fclose(in) != 0) abort();
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "@") == 0) argv[i] = fz_in;
    fflush(stdout);
    fflush(stderr);
    if (ftruncate(STDOUT_FILENO, 0) != 0 || ftruncate(fileno(stderr), 0) != 0) abort();
    lseek(STDOUT_FILENO, 0, SEEK_SET);
    rewind(stderr);
    clearerr(stdout);
    optind = 0; /* glibc: start the option parser afresh */
    cli_files_forget();
    /* the descriptors open before the first run are the harness's own; an
     * error exit may leave the program's files open (as _exit() would close
     * them): the streams the file registry knows are closed by
     * cli_files_forget, any other descriptor below FZ_FDS here */
    enum { FZ_FDS = 64 };
    static unsigned char was_open[FZ_FDS], known;
    if (!known) {
        for (int fd = 0; fd < FZ_FDS; fd++) was_open[fd] = fcntl(fd, F_GETFD) != -1;
        known = 1;
    }
    int code;
    if (sigsetjmp(fz_jmp, 1) == 0) code = prog_main(argc, argv);
    else code = fz_code;
    cli_files_forget();
    if (code != 0)
        for (int fd = 3; fd < FZ_FDS; fd++)
            if (!was_open[fd] && fcntl(fd, F_GETFD) != -1) close(fd);
    fflush(stdout);
    fflush(stderr);
    fz_slurp(fz_outp, &fz_out, &fz_outcap, &fz_outlen);
    static char *err;
    static size_t errcap, errlen;
    fz_slurp(fz_errp, &err, &errcap, &errlen);
    if (code != 0) {
        /* one line, naming the program */
        size_t plen = strlen(cli_prog);
        if (errlen < plen + 3 || strncmp(err, cli_prog, plen) != 0 || err[plen] != ':') abort();
        if (err[errlen - 1] != '\n' || memchr(err, '\n', errlen - 1)) abort();
    }
    return code;
}

/* Each line of fz_out is `rating<TAB>text`: rating a finite number or '?',
 * text without TAB, CR, NUL or a blank at either end, no run of two
 * blanks: the canonical converter output (docs/corpora.md). */
static void fz_check_rated_lines(void)
{
    const char *p = fz_out, *end = fz_out + fz_outlen;
    if (fz_outlen && end[-1] != '\n') abort();
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *tab = memchr(p, '\t', (size_t)(nl - p));
        if (!tab || tab == p) abort();
        if (!(tab - p == 1 && *p == '?')) {
            char num[64];
            if (tab - p >= (long)sizeof num) abort();
            memcpy(num, p, (size_t)(tab - p));
            num[tab - p] = 0;
            char *e;
            double v = strtod(num, &e);
            if (*e || v != v) abort();
        }
        for (const char *q = tab + 1; q < nl; q++) {
            if (*q == '\t' || *q == '\r' || *q == 0) abort();
            if (*q == ' ' && (q == tab + 1 || q + 1 == nl || q[1] == ' ')) abort();
        }
        p = nl + 1;
    }
}

#endif
