/* opts.h - declarative options for the programs with many settings (the
 * trainers): one table gives getopt_long its options, --help its text
 * with each default printed from the variable itself, and the canonical
 * text of the settings that change a result, which models record and
 * --resume compares.
 *
 *   static long hidden = 5000;
 *   static const opt_def defs[] = {
 *       {"hidden", 'H', OPT_LONG, &hidden, "N", "hidden units", 1, 1e6, OPT_SETTING},
 *       ...
 *   };
 *   int first = opts_parse(&prog, argc, argv);      files are argv[first..]
 *
 * Like lib/cli, this is part of the programs' own layer: misuse ends the
 * process with die_usage() (exit 2).  -h/--help, -V/--version and
 * -q/--quiet are added to every table.
 */
#ifndef SENTI_OPTS_H
#define SENTI_OPTS_H

#include <stddef.h>

#include "buf.h"

typedef enum {
    OPT_FLAG,   /* int, set to 1 */
    OPT_LONG,   /* long in [lo, hi] */
    OPT_REAL,   /* double in [lo, hi] */
    OPT_U64,    /* unsigned long long */
    OPT_TEXT,   /* const char *, the argument itself */
    OPT_CALL    /* parse() and show() of the option's own */
} opt_kind;

#define OPT_SETTING 1u /* changes what is learnt: recorded in the model and checked on --resume */
#define OPT_RECORD 2u  /* recorded in the model, free to change on --resume (e.g. --epochs) */

typedef struct opt_def {
    const char *name;  /* long name without "--" */
    int key;           /* short letter, or 0 */
    opt_kind kind;
    void *var;
    const char *meta;  /* argument in --help ("N", "FILE"); NULL for OPT_FLAG */
    const char *help;  /* text; '\n' continues it on the next line */
    double lo, hi;     /* OPT_LONG, OPT_REAL */
    unsigned flags;
    const char *dflt;  /* shown as the default instead of the value (NULL: the value; "" none) */
    int (*parse)(const char *arg, void *var);   /* OPT_CALL: 0, or -1 for a bad value */
    void (*show)(buf_t *out, const void *var);  /* OPT_CALL: the value as text */
    const char *want;  /* OPT_CALL: what a good value looks like, for the message */
} opt_def;

typedef struct opt_prog {
    const char *synopsis;    /* after "Usage: PROG ", e.g. "-o MODEL [OPTION]... [FILE]..." */
    const char *about;       /* the lines under the usage line */
    const char *footer;      /* after the options, or NULL */
    const opt_def *defs;
    int ndefs;
} opt_prog;

/* Parse argv against the table (getopt_long, so options and files may
 * mix); --help prints the usage and exits 0, --version exits 0, misuse
 * dies with exit 2.  Returns the index of the first file in argv.  Call
 * opts_defaults() before it when --resume compares settings. */
int opts_parse(const opt_prog *p, int argc, char **argv);

/* Record the table's current values as the defaults (call before
 * opts_parse): a setting that an older checkpoint lacks is then taken to
 * have its default value. */
void opts_defaults(const opt_prog *p);

/* The value of one option as canonical text (numbers as the shortest
 * text that reads back exactly; flags 0/1). */
void opts_value(const opt_def *d, buf_t *out);
/* Its default as recorded by opts_defaults (NULL when none was). */
const char *opts_default(const opt_prog *p, const opt_def *d);

/* The recorded options (OPT_SETTING and OPT_RECORD, in table order) as a
 * command line "--name value ..." (flags only when set, text options only
 * when given) appended to out. */
void opts_cmdline(const opt_prog *p, buf_t *out);

/* Print --help for the table (what opts_parse does on --help). */
void opts_usage(const opt_prog *p);

#endif
