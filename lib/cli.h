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
#include "lines.h"
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

/* Call first in main().  Records the program name and sets up the
 * process:
 *   - a closed descriptor 0, 1 or 2 is opened on /dev/null (in the
 *     opposite mode, so reading a closed stdin or writing a closed stdout
 *     still fails with EBADF), so that no file opened later takes its
 *     number;
 *   - SIGINT, SIGTERM and SIGHUP: the handler removes the temporary files
 *     of the cli_out outputs not yet committed, then restores the default
 *     action and raises the signal again, so the program dies of it (exit
 *     status 128 + N in a shell) and every target is left as it was or
 *     complete; a signal that reaches another thread (OpenBLAS, lib/kern)
 *     is passed on to the main thread;
 *   - SIGPIPE back to its default action and unblocked (both are
 *     inherited), so that a closed pipe downstream ends the program
 *     quietly;
 *   - SIGXFSZ ignored: beyond the file size limit (ulimit -f) a write
 *     fails with EFBIG and is reported as any write error (exit 1, one
 *     line, temporary files removed). */
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
 * "prog: path: strerror" on failure (also refuses directories for reading
 * and an empty name).  The file is registered as an input or an output of
 * the run (see cli_input_add): a collision dies before anything is read.
 * Writing through xfopen is not atomic (a log appended to); outputs that
 * must appear whole use cli_out_open. */
FILE *xfopen(const char *path, const char *mode);
/* Close a stream from xfopen (no-op for stdin/stdout); dies on write error. */
void xfclose(FILE *f, const char *path);
/* Display name for messages: "-" becomes "(stdin)". */
const char *cli_name(const char *path);

/* The lines of one input file (lines_reader, any length up to
 * LINES_MAX) with the file's name and the line number, for the
 * programs that read text lines (senti-tokenize, -vocab, -bow, -eval,
 * -split, the Blitzer and OpinRank converters).  cli_lines_next gives the next line without its newline and
 * returns 1, or 0 at the end of the input; it dies with "name:line: line
 * longer than ... (the limit)" or "name: read error: ...". */
typedef struct cli_lines {
    FILE *f;
    const char *path, *name;
    long ln;                /* number of the line last returned */
    lines_reader rd;
} cli_lines;
void cli_lines_open(cli_lines *in, const char *path);
int cli_lines_next(cli_lines *in, char **line, size_t *len);
void cli_lines_close(cli_lines *in);

/* The next `rating<TAB>text` line of in (senti-tokenize, -vocab, -bow and
 * senti-predict on a bundle): a trailing CR dropped, '#' lines skipped
 * (appended to copy with their newline when copy is not NULL).  *label (with *has 0 for
 * '?'), the text after the TAB in *text, *tlen.  Dies with "name:line: no
 * TAB between rating and WHAT" or "rating 'x' is neither a number nor
 * '?'" (+ hint, when not NULL).  Flags: CLI_RATED_TEXT_ALONE, a line
 * without a TAB is text with the label '?'; CLI_RATED_SOFT, a bad line
 * returns -1 with the message (without name and line) in r->why instead of
 * dying, for a caller with work to finish first.  1, or 0 at the end. */
#define CLI_RATED_TEXT_ALONE 1
#define CLI_RATED_SOFT 2
typedef struct cli_rated {
    int has;            /* 0: the rating was '?' */
    double label;
    char *text;         /* after the TAB (the line's bytes, followed by LINES_PAD readable bytes) */
    size_t tlen;
    char *line;         /* the whole line; the rating is line[0..rlen) */
    size_t rlen;
    char why[160];      /* CLI_RATED_SOFT: what is wrong with the line */
} cli_rated;
int cli_rated_next(cli_lines *in, cli_rated *r, const char *what, buf_t *copy, int flags, const char *hint);

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

/* The run's files.  Every file a program reads or writes is registered
 * (xfopen and cli_lines_open register inputs, cli_out_open, cli_out_check
 * and xfopen for writing register outputs), and these are refused, each
 * with one line before anything is written:
 *   - an output that is also an input ("x: both an input and an output",
 *     "x: the same file as the input y"), whichever is registered first;
 *   - two outputs that are one file ("x: named for two outputs"), "-"
 *     twice among the outputs;
 *   - standard input named for two inputs ("-" twice), or one pipe or
 *     socket named for two inputs (it can be read only once).
 * An existing file is known by its device and inode (hard links and
 * symbolic links are the same file) while its name still leads to that
 * inode (a file removed since may leave its number to a new one), a new
 * output by the device and inode of its directory and its name after
 * following links.  A character
 * device (/dev/null, a terminal) may be named any number of times; a
 * regular file may be read twice.
 * cli_input_add registers a file that the program reads by other means
 * (model_load opens its file itself): call it before reading.  A file that
 * is both read and rewritten on purpose (a checkpoint that --resume
 * continues) is simply not registered as an input. */
void cli_input_add(const char *path);
/* Forgets the run's files (inputs and outputs registered so far) and closes
 * the streams xfopen opened for them that are still open (what an error
 * exit leaves behind; standard input and output stay), for a process that
 * runs one program's work many times (a fuzzing harness). */
void cli_files_forget(void);
/* The whole of a file ('-': standard input), registered as an input and
 * NUL-terminated (the NUL not counted in *len); dies on an error. */
char *cli_read_file(const char *path, size_t *len);

/* Atomic output: write to a temporary file beside the target, then rename
 * over it on commit.  If the program dies (die(), SIGINT, SIGTERM, SIGHUP)
 * before the commit, the temporary file is removed and the target is left
 * as it was.  What is replaced:
 *   - a symbolic link is followed (to the end of a chain, a dangling link
 *     to the name it points to): the temporary file is made beside the
 *     final target and renamed onto it, so the link stays a link;
 *   - "-" writes straight to stdout (commit just flushes); so does an
 *     existing target that is not a regular file (/dev/null, /dev/full, a
 *     FIFO, a socket, a terminal, /dev/stdout or /proc/self/fd/N when that
 *     is a pipe), which no rename may replace;
 *   - the file of standard output or error named by path (-o /dev/stdout,
 *     a link to /proc/self/fd/1, whatever the shell redirected them to)
 *     is written through a copy of that descriptor, after what the
 *     program wrote there itself: the shell made that file;
 *   - a regular file that no name leads to (/proc/self/fd/N of a deleted
 *     file) is written in place.
 * The temporary name is the target's name, cut to fit the directory's
 * NAME_MAX, plus ".tmpXXXXXX"; a target name longer than NAME_MAX, an
 * empty name (exit 2) and a directory are refused at once.
 * cli_out_open registers the output (see cli_input_add); opening again,
 * by the same name, an output that was committed, aborted or reserved by
 * cli_out_check is that output again; opening one that is open, or the
 * same file by another name, is a collision. */
typedef struct cli_out {
    FILE *f;
    char *path;  /* as given, for messages */
    char *final; /* rename target (links followed); NULL: written in place */
    char *tmp;   /* temporary name, NULL when written in place */
    int slot;    /* registration slot for cleanup */
    size_t reg;  /* entry in the run's files */
} cli_out;
cli_out *cli_out_open(const char *path);
/* Checks an output before any work, for a program that writes it later or
 * several times (a checkpoint after every epoch): registers it (a
 * collision dies now), creates its temporary file and removes it again
 * (a missing directory or a read-only one dies now).  Call it for every
 * output not opened at once, before reading the inputs. */
void cli_out_check(const char *path);
void cli_out_commit(cli_out *o);  /* fsync-free fflush+fclose+rename; dies on error */
/* Commits the n outputs of one result together (senti-split's --train and
 * --test): every file is flushed and closed first (an error dies with the
 * targets as they were), then all are renamed with SIGINT, SIGTERM and
 * SIGHUP blocked, so a signal leaves either all the old files or all the
 * new ones.  NULL entries are skipped.  Standard output is flushed
 * before (cli_out_commit too): a write error there (die_stdout) leaves
 * the targets as they were. */
void cli_out_commit_all(cli_out *const *o, int n);
void cli_out_abort(cli_out *o);   /* remove the temporary file */
/* A write to o failed: dies with "path: write error: reason" (or as
 * die_stdout() for "-"). */
CLI_NORETURN void cli_out_die(cli_out *o);

/* Progress on stderr, one '\r'-rewritten line, only when stderr is a
 * terminal and not --quiet.  cli_progress_end() finishes the line. */
int cli_progress_enabled(void);
void cli_progress(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_progress_end(void);

/* Whether a filter writes each output line as soon as its input line is
 * read by default: when standard input or output is a terminal
 * (--line-buffered forces it elsewhere). */
int cli_interactive(void);

/* Seconds since an arbitrary fixed point (monotonic clock). */
double cli_seconds(void);

/* Elapsed time and the estimated time left, for progress lines, from the
 * seconds spent and the fraction of the work done (0..1): "1m05s, ETA
 * 3m10s".  Durations read "42s", "1m05s" or "2h03m10s", rounded to the
 * second; the ETA is elapsed * (1 - fraction) / fraction, "0s" from
 * fraction 1 on, "?" when it cannot be told (nothing done yet, NaN).  The
 * text is in a static buffer, valid until the next call. */
const char *cli_eta(double elapsed, double fraction);
/* A number of seconds as "42s", "1m05s" or "2h03m10s" ("?" when not a
 * duration), in one of 4 static buffers used in turn. */
const char *cli_duration(double seconds);

/* Prints "prog (senti) VERSION" on stdout and exits 0. */
CLI_NORETURN void cli_version(void);

/* Option value parsers: die_usage() with the option name on bad input. */
long cli_parse_long(const char *opt, const char *s, long lo, long hi);
double cli_parse_double(const char *opt, const char *s, double lo, double hi);
unsigned long long cli_parse_u64(const char *opt, const char *s);

/* Installed read buffer size for stdin-heavy tools. */
#define CLI_IOBUF (1 << 16)

#endif
