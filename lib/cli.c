/* cli.c - messages, checked allocation, atomic output and progress for the
 * senti-* programs (see cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
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

/* A closed standard descriptor is opened on /dev/null, so that no file
 * the program opens later gets its number (a --log file as descriptor 2
 * would receive the messages).  The mode is the opposite one, as gnulib's
 * stdopen does: reading a closed stdin or writing a closed stdout still
 * fails (EBADF), it does not silently read or lose nothing. */
static void open_closed_std(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        int k = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
        if (k < 0) _exit(EXIT_DATA);
        if (k != fd) {
            if (dup2(k, fd) < 0) _exit(EXIT_DATA);
            close(k);
        }
    }
}

void cli_init(const char *prog)
{
    open_closed_std();
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
    /* beyond the file size limit (ulimit -f) a write fails with EFBIG and
     * takes the write-error path (one message, temporary files removed)
     * instead of the silent default death */
    signal(SIGXFSZ, SIG_IGN);
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
 * the run's files: every input and output the program names, so that an
 * output that is also an input or another output, and standard input or
 * one pipe named for two inputs, are refused before anything is written.
 *
 * An existing file is known by its device and inode; an output that does
 * not exist yet by the device and inode of its directory and its last
 * name, after following symbolic links (the file a rename would create). */

enum { OUT_RESERVED = 1, OUT_OPEN, OUT_DONE };

typedef struct {
    char *path;        /* as given, for messages */
    int std;           /* "-": standard input or output */
    int has_id;        /* the file exists: dev, ino, mode */
    dev_t dev;
    ino_t ino;
    mode_t mode;
    int has_name;      /* outputs: resolved directory and last name */
    dev_t ddev;
    ino_t dino;
    char *base;
    int state;         /* outputs: OUT_* */
    FILE *f;           /* the stream xfopen opened for it, until xfclose */
} run_file;

static run_file *outs, *ins;
static size_t nouts, cap_outs, nins, cap_ins;
static int stdin_named;

static void free_file(run_file *e)
{
    free(e->path);
    free(e->base);
    memset(e, 0, sizeof *e);
}

/* e's name still leads to the inode it was registered with: a file that
 * was removed since may have left its inode number to a new one. */
static int still_named(const run_file *e)
{
    struct stat st;
    return e->std || !e->path || (stat(e->path, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino);
}

static int same_file(const run_file *a, const run_file *b)
{
    if (a->std && b->std) return 1;
    if (a->has_id && b->has_id && a->dev == b->dev && a->ino == b->ino && still_named(a) && still_named(b))
        return 1;
    return a->has_name && b->has_name && a->ddev == b->ddev && a->dino == b->dino && strcmp(a->base, b->base) == 0;
}

/* A character device (/dev/null, a terminal) takes any number of writers
 * and readers; standard output named twice ("-" twice) still collides. */
static int shareable(const run_file *a, const run_file *b)
{
    if (a->std && b->std) return 0;
    return a->has_id && b->has_id && S_ISCHR(a->mode);
}

/* The file a path names after following symbolic links in its last
 * component (the links of its directories the kernel follows itself):
 * a dangling link gives the name the link points to.  Caller frees. */
static char *follow_links(const char *path)
{
    char *p = xstrdup(path);
    for (int hop = 0; hop < 40; hop++) {
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) return p;
        size_t cap = 256;
        char *t = NULL;
        ssize_t k;
        for (;;) {
            t = xrealloc(t, cap);
            k = readlink(p, t, cap);
            if (k < 0) {
                free(t);
                return p;
            }
            if ((size_t)k < cap) break;
            cap *= 2;
        }
        t[k] = 0;
        const char *slash = strrchr(p, '/');
        if (t[0] == '/' || !slash) {
            free(p);
            p = t;
        } else {
            size_t d = (size_t)(slash - p) + 1;
            char *q = xmalloc(d + (size_t)k + 1);
            memcpy(q, p, d);
            memcpy(q + d, t, (size_t)k + 1);
            free(t);
            free(p);
            p = q;
        }
    }
    die("%s: %s", path, strerror(ELOOP));
}

/* Is the file of st the one of descriptor 1 or 2? */
static int is_std_out(const struct stat *st)
{
    for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
        struct stat s;
        if (fstat(fd, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino) return fd;
    }
    return 0;
}

/* Fills e with the identity of the output path.  *final gets the name to
 * rename the temporary file onto (the link's target, so that a link
 * stays a link), or NULL when the output is written in place: "-", an
 * existing file that is not a regular file (device, FIFO, socket, a pipe
 * behind /proc/self/fd/N), the file of standard output or error (the
 * shell made it: -o /dev/stdout > file), or a regular file that no name
 * leads to (a /proc/self/fd link to a deleted file).  Dies on a name that
 * cannot be an output file. */
static void out_identify(const char *path, run_file *e, char **final)
{
    memset(e, 0, sizeof *e);
    *final = NULL;
    if (!*path) die_usage("an output file name is empty");
    e->path = xstrdup(path);
    struct stat st;
    if (strcmp(path, "-") == 0) {
        e->std = 1;
        if (fstat(STDOUT_FILENO, &st) == 0) {
            e->has_id = 1;
            e->dev = st.st_dev;
            e->ino = st.st_ino;
            e->mode = st.st_mode;
        }
        return;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) die("%s: Is a directory", path);
        e->has_id = 1;
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        e->mode = st.st_mode;
        if (!S_ISREG(st.st_mode) || is_std_out(&st)) return;
    } else if (errno != ENOENT) {
        die("%s: %s", path, strerror(errno));
    }
    char *f = follow_links(path);
    struct stat fs;
    if (e->has_id && (lstat(f, &fs) != 0 || fs.st_dev != st.st_dev || fs.st_ino != st.st_ino)) {
        free(f);
        return;
    }
    char *slash = strrchr(f, '/');
    const char *base = slash ? slash + 1 : f;
    if (!*base) die("%s: %s", path, strerror(EISDIR));
    char *dir = slash ? xstrdup(f) : xstrdup(".");
    if (slash) dir[slash - f + (slash == f)] = 0; /* "/name": the root */
    *final = f;
    /* a missing directory is reported when the temporary file is made */
    struct stat ds;
    if (stat(dir, &ds) == 0 && S_ISDIR(ds.st_mode)) {
        long name_max = pathconf(dir, _PC_NAME_MAX);
        if (name_max <= 0) name_max = NAME_MAX;
        if (strlen(base) > (size_t)name_max) die("%s: %s", path, strerror(ENAMETOOLONG));
        e->has_name = 1;
        e->ddev = ds.st_dev;
        e->dino = ds.st_ino;
        e->base = xstrdup(base);
    }
    free(dir);
}

/* "a: named for two outputs" or "a: the same file as the output b" */
static CLI_NORETURN void clash(const char *a, const run_file *b, const char *what)
{
    const char *bn = b->std ? "-" : b->path;
    if (strcmp(a, bn) == 0) die("%s: named for two %ss", cli_name(a), what);
    die("%s: the same file as the %s %s", cli_name(a), what, cli_name(bn));
}

/* Registers the output e (taken over) as reserved (cli_out_check) or
 * open (cli_out_open, xfopen); returns its index.  An open request by
 * the same name for an output already reserved or done is that output
 * again (a checkpoint rewritten every epoch). */
static size_t out_register(run_file *e, int state)
{
    for (size_t i = 0; i < nouts; i++) {
        run_file *o = &outs[i];
        if (!same_file(e, o) || shareable(e, o)) continue;
        if (state == OUT_OPEN && o->state != OUT_OPEN && e->std == o->std && strcmp(e->path, o->path) == 0) {
            o->state = OUT_OPEN;
            free_file(e);
            return i;
        }
        if (e->std && o->std) die("standard output ('-') named for two outputs");
        clash(e->path, o, "output");
    }
    for (size_t i = 0; i < nins; i++) {
        run_file *in = &ins[i];
        if (!same_file(e, in) || shareable(e, in) || (e->std && in->std)) continue;
        if (strcmp(e->path, in->std ? "-" : in->path) == 0) die("%s: both an input and an output", e->path);
        clash(e->path, in, "input");
    }
    if (nouts == cap_outs) {
        cap_outs = cap_outs ? 2 * cap_outs : 8;
        outs = xreallocarray(outs, cap_outs, sizeof *outs);
    }
    e->state = state;
    outs[nouts] = *e;
    return nouts++;
}

/* Registers an input known by st (NULL: not known, nothing to compare),
 * read through f (NULL: opened elsewhere). */
static void in_register(const char *path, const struct stat *st, FILE *f)
{
    run_file e;
    memset(&e, 0, sizeof e);
    e.std = strcmp(path, "-") == 0;
    if (e.std) {
        if (stdin_named) die("standard input ('-') named for two inputs; it can be read only once");
        stdin_named = 1;
    }
    e.f = f;
    if (!st && !f) return;
    if (st) {
        e.has_id = 1;
        e.dev = st->st_dev;
        e.ino = st->st_ino;
        e.mode = st->st_mode;
    }
    e.path = xstrdup(path);
    for (size_t i = 0; i < nouts; i++) {
        run_file *o = &outs[i];
        if (!same_file(&e, o) || shareable(&e, o) || (e.std && o->std)) continue;
        if (strcmp(path, o->std ? "-" : o->path) == 0) die("%s: both an input and an output", path);
        clash(path, o, "output");
    }
    /* a pipe or socket can be read once */
    if (S_ISFIFO(e.mode) || S_ISSOCK(e.mode))
        for (size_t i = 0; i < nins; i++)
            if (same_file(&e, &ins[i]))
                die("%s: the same pipe as the input %s; it can be read only once", cli_name(path),
                    cli_name(ins[i].path));
    if (nins == cap_ins) {
        cap_ins = cap_ins ? 2 * cap_ins : 16;
        ins = xreallocarray(ins, cap_ins, sizeof *ins);
    }
    ins[nins++] = e;
}

void cli_files_forget(void)
{
    for (size_t i = 0; i < nins; i++)
        if (ins[i].f && ins[i].f != stdin) fclose(ins[i].f);
    for (size_t i = 0; i < nouts; i++)
        if (outs[i].f && outs[i].f != stdout) fclose(outs[i].f);
    for (size_t i = 0; i < nouts; i++) free_file(&outs[i]);
    for (size_t i = 0; i < nins; i++) free_file(&ins[i]);
    free(outs);
    free(ins);
    outs = ins = NULL;
    nouts = cap_outs = nins = cap_ins = 0;
    stdin_named = 0;
}

char *cli_read_file(const char *path, size_t *len)
{
    FILE *f = xfopen(path, "rb");
    size_t n = 0, cap = 1 << 16;
    char *p = xmalloc(cap);
    for (;;) {
        if (cap - n < 2) {
            if (cap > SIZE_MAX / 2) die("%s: too large", cli_name(path));
            cap *= 2;
            p = xrealloc(p, cap);
        }
        size_t k = fread(p + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) die("%s: read error: %s", cli_name(path), strerror(errno));
    xfclose(f, path);
    p[n] = 0;
    *len = n;
    return p;
}

void cli_input_add(const char *path)
{
    struct stat st;
    int fd_std = strcmp(path, "-") == 0;
    int known = fd_std ? fstat(STDIN_FILENO, &st) == 0 : stat(path, &st) == 0;
    in_register(path, known ? &st : NULL, NULL);
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
    lines_init(&in->rd, in->f);
}

int cli_lines_next(cli_lines *in, char **line, size_t *len)
{
    int got = lines_next(&in->rd, line, len);
    if (got > 0) {
        in->ln++;
        return 1;
    }
    if (got < 0) {
        char msg[512];
        lines_error_at(msg, sizeof msg, got, errno, in->name, in->ln + 1);
        die("%s", msg);
    }
    return 0;
}

int cli_rated_next(cli_lines *in, cli_rated *r, const char *what, buf_t *copy, int flags, const char *hint)
{
    char *line;
    size_t n;
    while (cli_lines_next(in, &line, &n)) {
        if (n && line[n - 1] == '\r') n--;
        if (n && line[0] == '#') {
            if (copy) {
                if (buf_reserve(copy, n + 1) < 0) die("out of memory");
                memcpy(copy->p + copy->len, line, n);
                copy->len += n;
                copy->p[copy->len++] = '\n';
            }
            continue;
        }
        char *tab = memchr(line, '\t', n);
        if (!tab) {
            if (!(flags & CLI_RATED_TEXT_ALONE)) {
                snprintf(r->why, sizeof r->why, "no TAB between rating and %s", what);
                if (flags & CLI_RATED_SOFT) return -1;
                die_at(in->name, in->ln, "%s", r->why);
            }
            r->has = 0;
            r->label = 0;
            r->text = r->line = line;
            r->tlen = n;
            r->rlen = 0;
            return 1;
        }
        size_t rl = (size_t)(tab - line);
        if (text_parse_rating(line, rl, &r->has, &r->label) < 0) {
            snprintf(r->why, sizeof r->why, "rating '%s' is neither a number nor '?'%s", buf_excerpt(line, rl, 40),
                     hint ? hint : "");
            if (flags & CLI_RATED_SOFT) return -1;
            die_at(in->name, in->ln, "%s", r->why);
        }
        r->text = tab + 1;
        r->tlen = n - rl - 1;
        r->line = line;
        r->rlen = rl;
        return 1;
    }
    return 0;
}

void cli_lines_close(cli_lines *in)
{
    lines_free(&in->rd);
    xfclose(in->f, in->path);
}

FILE *xfopen(const char *path, const char *mode)
{
    int writing = strchr(mode, 'w') || strchr(mode, 'a');
    if (!*path) die_usage("a file name is empty");
    if (writing) {
        run_file e;
        char *final;
        out_identify(path, &e, &final);
        free(final);
        size_t k = out_register(&e, OUT_OPEN);
        FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, mode);
        if (!f) die("%s: %s", path, strerror(errno));
        outs[k].f = f;
        return f;
    }
    if (strcmp(path, "-") == 0) {
        cli_input_add(path);
        return stdin;
    }
    FILE *f = fopen(path, mode);
    if (!f) die("%s: %s", path, strerror(errno));
    struct stat st;
    int known = fstat(fileno(f), &st) == 0;
    if (known && S_ISDIR(st.st_mode)) die("%s: Is a directory", path);
    in_register(path, known ? &st : NULL, f);
    return f;
}

void xfclose(FILE *f, const char *path)
{
    for (size_t i = 0; i < nouts; i++)
        if (outs[i].f == f) {
            outs[i].f = NULL;
            outs[i].state = OUT_DONE;
        }
    for (size_t i = 0; i < nins; i++)
        if (ins[i].f == f) ins[i].f = NULL;
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

static void block_signals(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, old);
}

/* name.tmpXXXXXX beside final, the name cut so that the whole fits the
 * directory's NAME_MAX (out_identify checked the name itself) */
static char *tmp_name(const char *final)
{
    const char *slash = strrchr(final, '/');
    size_t d = slash ? (size_t)(slash - final) + 1 : 0, b = strlen(final) - d;
    char *dir = d ? xstrdup(final) : xstrdup(".");
    if (d) dir[d - (d > 1)] = 0;
    long name_max = pathconf(dir, _PC_NAME_MAX);
    free(dir);
    if (name_max <= 0) name_max = NAME_MAX;
    static const char suffix[] = ".tmpXXXXXX";
    size_t keep = (size_t)name_max - (sizeof suffix - 1);
    if (b > keep) b = keep;
    char *t = xmalloc(d + b + sizeof suffix);
    memcpy(t, final, d + b);
    memcpy(t + d + b, suffix, sizeof suffix);
    return t;
}

/* Creates the temporary file of o (o->final set) and registers it for
 * removal; returns its descriptor. */
static int make_tmp(cli_out *o)
{
    o->tmp = tmp_name(o->final);
    /* no signal between creating the file and registering it for removal */
    sigset_t old;
    block_signals(&old);
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
    if (fd < 0) die("%s: cannot create temporary file: %s", o->path, strerror(e));
    if (o->slot < 0) {
        unlink(o->tmp);
        die("%s: more than %d output files at once", o->path, CLI_MAX_TMP);
    }
    fchmod(fd, 0644);
    return fd;
}

/* A descriptor for writing straight to the existing file of e: a copy of
 * standard output or error when e is that file (a pipe or socket behind
 * /dev/stdout cannot always be opened again, and a file must not be
 * truncated under what was written to it already), else the path opened. */
static int open_direct(const run_file *e)
{
    struct stat st;
    st.st_dev = e->dev;
    st.st_ino = e->ino;
    int fd = e->has_id ? is_std_out(&st) : 0;
    if (fd) {
        int k = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (k >= 0) return k;
    }
    int k = open(e->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (k < 0) die("%s: %s", e->path, strerror(errno));
    return k;
}

cli_out *cli_out_open(const char *path)
{
    cli_out *o = xcalloc(1, sizeof *o);
    o->slot = -1;
    run_file e;
    out_identify(path, &e, &o->final);
    o->path = xstrdup(path);
    int std = e.std;
    o->reg = out_register(&e, OUT_OPEN);
    if (std) {
        o->f = stdout;
        return o;
    }
    int fd = o->final ? make_tmp(o) : open_direct(&outs[o->reg]);
    o->f = fdopen(fd, "wb");
    if (!o->f) die("%s: %s", path, strerror(errno));
    return o;
}

void cli_out_check(const char *path)
{
    run_file e;
    char *final;
    out_identify(path, &e, &final);
    struct stat st;
    st.st_dev = e.dev;
    st.st_ino = e.ino;
    int in_place = !e.std && !final && e.has_id && S_ISREG(e.mode) && !is_std_out(&st);
    out_register(&e, OUT_RESERVED);
    if (final) {
        cli_out o;
        memset(&o, 0, sizeof o);
        o.path = (char *)path;
        o.final = final;
        o.slot = -1;
        close(make_tmp(&o));
        sigset_t old;
        block_signals(&old);
        unlink(o.tmp);
        tmp_paths[o.slot] = NULL;
        sigprocmask(SIG_SETMASK, &old, NULL);
        free(o.tmp);
        free(final);
    } else if (in_place) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) die("%s: %s", path, strerror(errno));
        close(fd);
    }
}

static void out_free(cli_out *o)
{
    if (o->slot >= 0) tmp_paths[o->slot] = NULL;
    free(o->tmp);
    free(o->final);
    free(o->path);
    free(o);
}

void cli_out_commit_all(cli_out *const *o, int n)
{
    /* what went to standard output before is part of the same result: a
     * write error there must not leave the files committed */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) die_stdout();
    /* every file complete and closed first: an error leaves every target
     * as it was (die removes the temporary files) */
    for (int i = 0; i < n; i++) {
        if (!o[i]) continue;
        int err = ferror(o[i]->f);
        errno = 0;
        if (fflush(o[i]->f) != 0 || err) cli_out_die(o[i]);
        if (o[i]->f == stdout) continue;
        struct stat st;
        if (o[i]->tmp && fstat(fileno(o[i]->f), &st) == 0) {
            run_file *r = &outs[o[i]->reg];
            r->has_id = 1;
            r->dev = st.st_dev;
            r->ino = st.st_ino;
            r->mode = st.st_mode;
        }
        errno = 0;
        if (fclose(o[i]->f) != 0) cli_out_die(o[i]);
        o[i]->f = NULL;
    }
    /* then the renames, with the signals held back until all are done */
    sigset_t old;
    block_signals(&old);
    for (int i = 0; i < n; i++) {
        if (!o[i] || !o[i]->tmp) continue;
        if (rename(o[i]->tmp, o[i]->final) != 0) {
            int e = errno;
            sigprocmask(SIG_SETMASK, &old, NULL);
            die("%s: cannot rename from %s: %s", o[i]->path, o[i]->tmp, strerror(e));
        }
        tmp_paths[o[i]->slot] = NULL;
        o[i]->slot = -1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (int i = 0; i < n; i++) {
        if (!o[i]) continue;
        outs[o[i]->reg].state = OUT_DONE;
        out_free(o[i]);
    }
}

void cli_out_commit(cli_out *o)
{
    cli_out_commit_all(&o, 1);
}

void cli_out_abort(cli_out *o)
{
    if (!o) return;
    if (o->f && o->f != stdout) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    outs[o->reg].state = OUT_DONE;
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

int cli_interactive(void)
{
    return isatty(STDIN_FILENO) || isatty(STDOUT_FILENO);
}

double cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "42s", "1m05s", "2h03m10s"; "?" for what is not a duration */
static void put_duration(char *b, size_t n, double s)
{
    if (!(s >= 0) || s > 1e12) {
        snprintf(b, n, "?");
        return;
    }
    long long t = (long long)(s + 0.5);
    if (t < 60) snprintf(b, n, "%llds", t);
    else if (t < 3600) snprintf(b, n, "%lldm%02llds", t / 60, t % 60);
    else snprintf(b, n, "%lldh%02lldm%02llds", t / 3600, t / 60 % 60, t % 60);
}

const char *cli_duration(double seconds)
{
    static char bufs[4][32];
    static int next;
    char *b = bufs[next];
    next = (next + 1) & 3;
    put_duration(b, sizeof bufs[0], seconds);
    return b;
}

const char *cli_eta(double elapsed, double fraction)
{
    static char buf[80];
    char a[32], b[32];
    put_duration(a, sizeof a, elapsed);
    if (!(elapsed >= 0) || !(fraction > 0)) snprintf(b, sizeof b, "?");
    else if (fraction >= 1) snprintf(b, sizeof b, "0s");
    else put_duration(b, sizeof b, elapsed * (1 - fraction) / fraction);
    snprintf(buf, sizeof buf, "%s, ETA %s", a, b);
    return buf;
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
