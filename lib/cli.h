/* cli.h - helpers shared by the senti-* programs: messages, checked
 * allocation, files, atomic output, progress lines, --help/--version.
 *
 * This is the one part of lib/ that may end the process: every function
 * named x...() or die...() exits on failure, so a tool's main() stays short.
 * Library code proper (sparse, rng, ...) returns errors instead.
 *
 * Exit codes used by every tool:
 *   0  success
 *   1  bad data, I/O error, resource failure
 *   2  misuse: unknown option, bad option value
 */
#ifndef SENTI_CLI_H
#define SENTI_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "text.h"

#define SENTI_VERSION "0.1.0"

#define EXIT_DATA 1
#define EXIT_USAGE 2

#if defined(__GNUC__)
#define CLI_NORETURN __attribute__((noreturn))
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_NORETURN
#define CLI_PRINTF(a, b)
#endif

/* Program name used as the prefix of every message ("senti-bow"). */
extern const char *cli_prog;
/* Set by -q/--quiet: suppresses progress lines and notes. */
extern int cli_quiet;

/* Call first in main(): records the program name, installs SIGINT/SIGTERM
 * handlers that remove pending temporary output files before dying. */
void cli_init(const char *prog);

/* "prog: message\n" on stderr, then exit(1). */
CLI_NORETURN void die(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "prog: file:line: message\n" on stderr, then exit(1). */
CLI_NORETURN void die_at(const char *file, long line, const char *fmt, ...)
    CLI_PRINTF(3, 4);
/* "prog: message\nTry 'prog --help' for more information.\n", exit(2). */
CLI_NORETURN void die_usage(const char *fmt, ...) CLI_PRINTF(1, 2);
/* A write to standard output failed: "prog: write error on standard
 * output: reason", exit 1.  A closed pipe (EPIPE) ends the program quietly
 * (exit 0), as SIGPIPE would. */
CLI_NORETURN void die_stdout(void);
/* Error exits of a job of several processes (lib/dist under mpirun).  When
 * fn is set, every error exit (die, die_at, die_usage, and so every x...()
 * failure) calls fn(code, 0) before writing its message and fn(code, 1)
 * after it (message written, temporary files removed, streams flushed) in
 * place of _exit(code); die_stdout's quiet exit on a closed pipe calls
 * fn(0, 1).  The first call may wait (a process that is not the job's
 * reporter waits there to be ended by the one that is); the second must not
 * return (it ends every process of the job).  NULL restores plain exits. */
void cli_on_die(void (*fn)(int code, int written));
/* "prog: message\n" on stderr; the program goes on. */
void warn(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Like warn(), but silent under --quiet. */
void note(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Checked allocation: never returns NULL (size 0 gives a valid pointer). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* n*size with overflow check, for array allocations. */
void *xmallocarray(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);

/* Open a file for reading or writing; "-" means stdin/stdout.  Dies with
 * "prog: path: strerror" on failure (also refuses directories for reading). */
FILE *xfopen(const char *path, const char *mode);
/* Close a stream from xfopen (no-op for stdin/stdout); dies on write error. */
void xfclose(FILE *f, const char *path);
/* Display name for messages: "-" becomes "(stdin)". */
const char *cli_name(const char *path);

/* The lines of one input file (text_lines, any length up to
 * TEXT_MAX_LINE) with the file's name and the line number, for the
 * programs that read text lines (senti-tokenize, -vocab, -bow, -eval,
 * -split, the Blitzer and OpinRank converters).  cli_lines_next gives the next line without its newline and
 * returns 1, or 0 at the end of the input; it dies with "name:line: line
 * longer than ... (the limit)" or "name: read error: ...". */
typedef struct cli_lines {
    FILE *f;
    const char *path, *name;
    long ln;                /* number of the line last returned */
    text_lines rd;
} cli_lines;
void cli_lines_open(cli_lines *in, const char *path);
int cli_lines_next(cli_lines *in, char **line, size_t *len);
void cli_lines_close(cli_lines *in);

/* Dies with "what needs N GiB, more than the M GiB of memory of this
 * machine" when bytes exceed the physical memory (or RLIMIT_AS), before a
 * huge allocation that would otherwise end in the kernel's OOM killer. */
void cli_check_memory(double bytes, const char *what);

/* The input files named after the options (argv[first..argc)), or the
 * one-element list {"-"} (stdin) when there are none; *n gets the count.
 * The result points into argv or to static storage: do not free it. */
const char **cli_inputs(int argc, char **argv, int first, int *n);

/* The command line as recorded in model files: argv joined by single
 * spaces, leaving out the options named in drop (NULL-terminated, may be
 * NULL): "--flag" drops that word; "--opt=" drops "--opt VALUE" and
 * "--opt=VALUE".  Call before getopt_long reorders argv.  Caller frees. */
char *cli_cmdline(int argc, char **argv, const char *const *drop);

/* Call at the end of main() (or register with atexit): flushes stdout and
 * dies with a message if any write to it failed.  A closed pipe downstream
 * ends the program quietly through SIGPIPE, as for any Unix filter. */
void cli_close_stdout(void);

/* Atomic output: write to a temporary file beside the target, then rename
 * over it on commit.  If the program dies (die(), SIGINT, SIGTERM) before the
 * commit, the temporary file is removed and the target is left as it was.
 * path "-" writes straight to stdout (commit just flushes); so does an
 * existing target that is not a regular file (/dev/null, /dev/full, a FIFO),
 * which cannot be replaced by a rename. */
typedef struct cli_out {
    FILE *f;
    char *path;  /* target */
    char *tmp;   /* temporary name, NULL for stdout */
    int slot;    /* registration slot for cleanup */
} cli_out;
cli_out *cli_out_open(const char *path);
void cli_out_commit(cli_out *o);  /* fsync-free fflush+fclose+rename; dies on error */
void cli_out_abort(cli_out *o);   /* remove the temporary file */
/* A write to o failed: dies with "path: write error: reason" (or as
 * die_stdout() for "-"). */
CLI_NORETURN void cli_out_die(cli_out *o);

/* Progress on stderr, one '\r'-rewritten line, only when stderr is a
 * terminal and not --quiet.  cli_progress_end() finishes the line. */
int cli_progress_enabled(void);
void cli_progress(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_progress_end(void);

/* Seconds since an arbitrary fixed point (monotonic clock). */
double cli_seconds(void);

/* Prints "prog (senti) VERSION" on stdout and exits 0. */
CLI_NORETURN void cli_version(void);

/* Option value parsers: die_usage() with the option name on bad input. */
long cli_parse_long(const char *opt, const char *s, long lo, long hi);
double cli_parse_double(const char *opt, const char *s, double lo, double hi);
unsigned long long cli_parse_u64(const char *opt, const char *s);

/* Installed read buffer size for stdin-heavy tools. */
#define CLI_IOBUF (1 << 16)

#endif
