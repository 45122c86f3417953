/* cli.c - messages, checked allocation, atomic output and progress for the
 * senti-* programs (see cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "senti";
int cli_quiet = 0;

/* ------------------------------------------------------------------------
 * pending temporary files, removed on die() and on SIGINT/SIGTERM */

#define CLI_MAX_TMP 16
static char *volatile tmp_paths[CLI_MAX_TMP];
static int progress_dirty = 0;

static void remove_pending(void)
{
    for (int i = 0; i < CLI_MAX_TMP; i++)
        if (tmp_paths[i]) unlink(tmp_paths[i]);
}

static pthread_t main_thread;

static void on_signal(int sig)
{
    /* The kernel may hand a process signal to any thread, OpenBLAS's and
     * the kernel pool's included; only the main thread registers temporary
     * files (with the signals blocked while it does), so the others pass
     * the signal on to it.  pthread_self(), pthread_kill(), unlink() and
     * raise() are async-signal-safe. */
    if (!pthread_equal(pthread_self(), main_thread)) {
        pthread_kill(main_thread, sig);
        return;
    }
    remove_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_init(const char *prog)
{
    cli_prog = prog;
    main_thread = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* a closed pipe downstream ends the program quietly, even when the
     * parent left SIGPIPE ignored or blocked (both are inherited) */
    signal(SIGPIPE, SIG_DFL);
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &pipe, NULL);
}

/* ------------------------------------------------------------------------
 * messages */

static void end_progress_line(void)
{
    if (progress_dirty) {
        fputc('\n', stderr);
        progress_dirty = 0;
    }
}

static void vmsg(const char *file, long line, const char *fmt, va_list ap)
{
    end_progress_line();
    fflush(stdout);
    if (file)
        fprintf(stderr, "%s: %s:%ld: ", cli_prog, file, line);
    else
        fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void (*die_hook)(int code, int written);

void cli_on_die(void (*fn)(int code, int written))
{
    die_hook = fn;
}

/* Error exits flush every stream and end with _exit() (or the hook of
 * cli_on_die): no exit-time handlers run, so LeakSanitizer does not report
 * what a program that is giving up still holds (only normal exits are
 * checked for leaks). */
static CLI_NORETURN void quit(int code)
{
    fflush(NULL);
    if (die_hook) die_hook(code, 1);
    _exit(code);
}

void die(const char *fmt, ...)
{
    if (die_hook) die_hook(EXIT_DATA, 0);
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, 0, fmt, ap);
    va_end(ap);
    remove_pending();
    quit(EXIT_DATA);
}

void die_at(const char *file, long line, const char *fmt, ...)
{
    if (die_hook) die_hook(EXIT_DATA, 0);
    va_list ap;
    va_start(ap, fmt);
    vmsg(file, line, fmt, ap);
    va_end(ap);
    remove_pending();
    quit(EXIT_DATA);
}

void die_usage(const char *fmt, ...)
{
    if (die_hook) die_hook(EXIT_USAGE, 0);
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, 0, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", cli_prog);
    remove_pending();
    quit(EXIT_USAGE);
}

void die_stdout(void)
{
    int e = errno;
    if (e == EPIPE) {
        remove_pending();
        if (die_hook) die_hook(0, 1);
        _exit(0);
    }
    if (!e) die("write error on standard output");
    die("write error on standard output: %s", strerror(e));
}

void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, 0, fmt, ap);
    va_end(ap);
}

void note(const char *fmt, ...)
{
    if (cli_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, 0, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------
 * allocation */

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory allocating %zu bytes", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory allocating %zu bytes", n);
    return q;
}

void *xmallocarray(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) die("allocation of %zu x %zu bytes overflows", n, size);
    return xmalloc(n * size);
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) die("allocation of %zu x %zu bytes overflows", n, size);
    return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

/* ------------------------------------------------------------------------
 * files */

const char *cli_name(const char *path)
{
    return (!path || strcmp(path, "-") == 0) ? "(stdin)" : path;
}

void cli_lines_open(cli_lines *in, const char *path)
{
    in->f = xfopen(path, "rb");
    in->path = path;
    in->name = cli_name(path);
    in->ln = 0;
    text_lines_init(&in->rd, in->f);
}

int cli_lines_next(cli_lines *in, char **line, size_t *len)
{
    int got = text_lines_next(&in->rd, line, len);
    if (got > 0) {
        in->ln++;
        return 1;
    }
    if (got == -2) die_at(in->name, in->ln + 1, "line longer than %zu bytes (the limit)", (size_t)TEXT_MAX_LINE);
    if (got < 0) die("%s: read error: %s", in->name, strerror(errno));
    return 0;
}

void cli_lines_close(cli_lines *in)
{
    text_lines_free(&in->rd);
    xfclose(in->f, in->path);
}

FILE *xfopen(const char *path, const char *mode)
{
    int writing = strchr(mode, 'w') || strchr(mode, 'a');
    if (strcmp(path, "-") == 0) return writing ? stdout : stdin;
    FILE *f = fopen(path, mode);
    if (!f) die("%s: %s", path, strerror(errno));
    if (!writing) {
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) die("%s: Is a directory", path);
    }
    return f;
}

void xfclose(FILE *f, const char *path)
{
    if (f == stdin || f == stdout) return;
    int err = ferror(f);
    if (fclose(f) != 0 || err) die("%s: %s", cli_name(path), err ? "read/write error" : strerror(errno));
}

void cli_close_stdout(void)
{
    end_progress_line();
    int err = ferror(stdout);
    errno = 0;
    if (fflush(stdout) != 0 || err) {
        if (errno == EPIPE) exit(0);
        die_stdout();
    }
}

void cli_check_memory(double bytes, const char *what)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && psize > 0 ? (double)pages * (double)psize : INFINITY;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (double)rl.rlim_cur < phys)
        phys = (double)rl.rlim_cur;
    if (bytes > phys)
        die("%s needs %.1f GiB, more than the %.1f GiB of memory of this machine", what,
            bytes / (1 << 30), phys / (1 << 30));
}

const char **cli_inputs(int argc, char **argv, int first, int *n)
{
    static const char *stdin_only[] = {"-"};
    if (first >= argc) {
        *n = 1;
        return stdin_only;
    }
    *n = argc - first;
    return (const char **)argv + first;
}

/* 1: drop this word; 2: drop it and the next; 0: keep */
static int dropped(const char *w, const char *const *drop)
{
    for (; drop && *drop; drop++) {
        size_t k = strlen(*drop);
        if (k && (*drop)[k - 1] == '=') {
            if (strncmp(w, *drop, k) == 0) return 1;
            if (strncmp(w, *drop, k - 1) == 0 && w[k - 1] == 0) return 2;
        } else if (strcmp(w, *drop) == 0) {
            return 1;
        }
    }
    return 0;
}

char *cli_cmdline(int argc, char **argv, const char *const *drop)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = xmalloc(n), *p = s;
    *p = 0;
    int verbatim = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !verbatim) {
            if (strcmp(argv[i], "--") == 0) {
                verbatim = 1; /* keep the rest as it is */
            } else {
                int d = dropped(argv[i], drop);
                if (d) {
                    i += d - 1;
                    continue;
                }
            }
        }
        if (p != s) *p++ = ' ';
        size_t k = strlen(argv[i]);
        memcpy(p, argv[i], k);
        p += k;
        *p = 0;
    }
    return s;
}

/* ------------------------------------------------------------------------
 * atomic output */

cli_out *cli_out_open(const char *path)
{
    cli_out *o = xcalloc(1, sizeof *o);
    o->path = xstrdup(path);
    o->slot = -1;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return o;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) die("%s: Is a directory", path);
        o->f = fopen(path, "wb");
        if (!o->f) die("%s: %s", path, strerror(errno));
        return o;
    }
    size_t n = strlen(path) + 16;
    o->tmp = xmalloc(n);
    snprintf(o->tmp, n, "%s.tmpXXXXXX", path);
    /* no signal between creating the file and registering it for removal */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    int fd = mkstemp(o->tmp);
    int e = errno;
    if (fd >= 0)
        for (int i = 0; i < CLI_MAX_TMP; i++)
            if (!tmp_paths[i]) {
                tmp_paths[i] = o->tmp;
                o->slot = i;
                break;
            }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) die("%s: cannot create temporary file: %s", path, strerror(e));
    fchmod(fd, 0644);
    o->f = fdopen(fd, "wb");
    if (!o->f) die("%s: %s", path, strerror(errno));
    return o;
}

static void out_free(cli_out *o)
{
    if (o->slot >= 0) tmp_paths[o->slot] = NULL;
    free(o->tmp);
    free(o->path);
    free(o);
}

void cli_out_commit(cli_out *o)
{
    if (!o) return;
    int err = ferror(o->f);
    errno = 0;
    if (fflush(o->f) != 0 || err) cli_out_die(o);
    if (!o->tmp) {
        if (o->f != stdout && fclose(o->f) != 0) cli_out_die(o);
        out_free(o);
        return;
    }
    if (fclose(o->f) != 0) cli_out_die(o);
    if (rename(o->tmp, o->path) != 0) die("%s: cannot rename from %s: %s", o->path, o->tmp, strerror(errno));
    out_free(o);
}

void cli_out_abort(cli_out *o)
{
    if (!o) return;
    if (o->f != stdout) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    out_free(o);
}

void cli_out_die(cli_out *o)
{
    if (o->f == stdout) die_stdout();
    int e = errno;
    if (!e) die("%s: write error", o->path);
    die("%s: write error: %s", o->path, strerror(e));
}

/* ------------------------------------------------------------------------
 * progress and time */

int cli_progress_enabled(void)
{
    return !cli_quiet && isatty(STDERR_FILENO);
}

void cli_progress(const char *fmt, ...)
{
    if (!cli_progress_enabled()) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\r%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputs("\033[K", stderr);
    va_end(ap);
    progress_dirty = 1;
}

void cli_progress_end(void)
{
    end_progress_line();
}

double cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_version(void)
{
    printf("%s (senti) %s\n", cli_prog, SENTI_VERSION);
    cli_close_stdout();
    exit(0);
}

/* ------------------------------------------------------------------------
 * option values */

long cli_parse_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno) die_usage("%s: '%s' is not an integer", opt, s);
    if (v < lo || v > hi) die_usage("%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
    return v;
}

double cli_parse_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || isnan(v)) die_usage("%s: '%s' is not a number", opt, s);
    if (v < lo || v > hi) die_usage("%s: %g is out of range [%g, %g]", opt, v, lo, hi);
    return v;
}

unsigned long long cli_parse_u64(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    if (*s == '-') die_usage("%s: '%s' must not be negative", opt, s);
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end || errno) die_usage("%s: '%s' is not an unsigned integer", opt, s);
    return v;
}
