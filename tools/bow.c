/* senti-bow - token lines (rating<TAB>tok tok ...) in, sparse lines out:
 * index = the token's 1-based rank in the vocabulary file (-v), value 1
 * (binary) or the count (--counts); tokens outside the vocabulary are
 * dropped, and an empty document keeps its label line.  The output opens
 * with "# senti sparse dim=D vocab=DIGEST" (docs/format.md, docs/text.md).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sparse.h"
#include "lines.h"
#include "vocab.h"

static void usage(const char *vocab_path, int counts)
{
    printf("Usage: %s -v VOCAB [OPTION]... [FILE]...\n"
           "Turn token lines (rating<TAB>tok tok ...; FILE or standard input) into\n"
           "sparse lines 'rating idx:val ...' over the terms of VOCAB (index = rank,\n"
           "1-based).  Tokens not in VOCAB are dropped.\n"
           "\n"
           "  -v, --vocab=FILE     vocabulary (senti-vocab output; the term is the\n"
           "                       text before the first TAB) [%s]\n"
           "  -c, --counts         values are counts instead of 1 [%s]\n"
           "      --no-header      write no '# senti sparse' header line (for readers\n"
           "                       of plain svmlight files: LIBLINEAR, scikit-learn)\n"
           "      --unlabeled-as=X write the number X for unlabeled ('?') rows [none]\n"
           "      --line-buffered  write each row as soon as its line is read (the\n"
           "                       default when stdin or stdout is a terminal)\n"
           "  -q, --quiet          no progress or notes\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Lines starting with '#' are skipped; the output starts with the header\n"
           "'# senti sparse dim=D vocab=DIGEST' unless --no-header.\n",
           cli_prog, vocab_path ? vocab_path : "required", counts ? "on" : "off");
}

typedef struct bow_state {
    const vocab *v;
    int counts;
    int line_buffered; /* write each row at once */
    int unlabeled_set; /* write unlabeled_as for '?' */
    double unlabeled_as;
    size_t nwords;    /* 64-bit words in bits */
    float *count;     /* by rank (1-based; 0 = unknown tokens): occurrences */
    uint64_t *bits;   /* by rank (same): set when the current document uses it */
    uint32_t *cols;   /* 0-based columns of the current document */
    uint64_t *blank;  /* blank bitmap of the current line */
    size_t nblank;
    char *itext;      /* per rank: " index:" in 16 bytes */
    unsigned char *ilen;
    char *out;        /* output buffer */
    size_t olen, ocap;
} bow_state;

#define OUT_BUF (1u << 20)

/* Append one row to the output buffer: the bytes of sparse_write_row
 * (label or '?', " index:value" per column, value "1" or the shortest
 * float text, '\n'), with each " index:" prepared once per rank. */
static void put_row(bow_state *s, int has, double label, size_t m)
{
    size_t need = 40 + m * (16 + 32);
    if (s->olen + need > s->ocap) {
        if (s->olen && fwrite(s->out, 1, s->olen, stdout) != s->olen) die_stdout();
        s->olen = 0;
        if (need > s->ocap) {
            free(s->out);
            s->ocap = need > OUT_BUF ? need : OUT_BUF;
            s->out = xmalloc(s->ocap);
        }
    }
    char *d = s->out + s->olen;
    if (has) {
        d += sparse_format_double(d, label);
    } else if (s->unlabeled_set) {
        d += sparse_format_double(d, s->unlabeled_as);
    } else {
        *d++ = '?';
    }
    for (size_t j = 0; j < m; j++) {
        uint32_t c = s->cols[j];
        memcpy(d, s->itext + 16 * (size_t)c, 16);
        d += s->ilen[c];
        float v = s->counts ? s->count[c + 1] : 1.0f;
        if (v == 1.0f) *d++ = '1';
        else d += sparse_format_float(d, v);
    }
    *d++ = '\n';
    s->olen = (size_t)(d - s->out);
}

/* Look up the tokens of one document (blank bitmap in s->blank), set their
 * bits and, with --counts, count them; returns the number of distinct
 * known terms.  Everything the loop needs is in locals. */
static size_t count_doc(bow_state *s, const char *text, size_t len, uint64_t *restrict bits,
                        float *restrict count)
{
    const vocab *v = s->v;
    const int counts = s->counts;
    size_t m = 0, a, e;
    lines_tokens it;
    lines_tokens_init(&it, s->blank, len);
    while (lines_tokens_next(&it, &a, &e)) {
        uint32_t r = vocab_lookup_padded(v, text + a, e - a);
        /* bit r (bit 0: unknown tokens), without branches: whether a
         * token is known and new in the document is unpredictable */
        uint64_t word = bits[r >> 6], bit = 1ULL << (r & 63);
        uint64_t fresh = !(word & bit);
        bits[r >> 6] = word | bit;
        m += fresh;
        if (counts) count[r] = (fresh ? 0.0f : count[r]) + 1.0f;
    }
    if (bits[0] & 1) { /* the unknown tokens are no column */
        bits[0] &= ~1ULL;
        m--;
    }
    return m;
}

static void bow_file(bow_state *s, const char *path)
{
    cli_lines in;
    cli_lines_open(&in, path);
    const char *name = in.name;
    uint64_t *bits = s->bits;
    float *count = s->count;
    cli_rated r;
    while (cli_rated_next(&in, &r, "tokens", NULL, 0, NULL)) {
        long ln = in.ln;
        int has = r.has;
        double label = r.label;
        /* the line is followed by LINES_PAD readable bytes (lines_reader) */
        const char *text = r.text;
        size_t len = r.tlen;
        if (lines_blank_words(len) > s->nblank) {
            free(s->blank);
            s->nblank = lines_blank_words(len) * 2;
            s->blank = xmallocarray(s->nblank, sizeof *s->blank);
        }
        lines_blank_bits(text, len, s->blank);
        size_t m = count_doc(s, text, len, bits, count);
        /* the set bits, in increasing order, are the document's columns */
        size_t k = 0;
        for (size_t w = 0; k < m; w++) {
            uint64_t x = bits[w];
            if (!x) continue;
            bits[w] = 0;
            while (x) {
                s->cols[k++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x)) - 1;
                x &= x - 1;
            }
        }
        put_row(s, has, label, m);
        if (s->line_buffered) {
            if (fwrite(s->out, 1, s->olen, stdout) != s->olen || fflush(stdout) != 0) die_stdout();
            s->olen = 0;
        }
        if ((ln & 4095) == 0) cli_progress("%s: %ld lines", name, ln);
    }
    cli_lines_close(&in);
}

int main(int argc, char **argv)
{
    cli_init("senti-bow");
    const char *vocab_path = NULL;
    int counts = 0, line_buffered = -1, no_header = 0, unlabeled_set = 0;
    double unlabeled_as = 0;
    static const struct option longopts[] = {
        {"vocab", required_argument, NULL, 'v'}, {"counts", no_argument, NULL, 'c'},
        {"line-buffered", no_argument, NULL, 'L'},
        {"no-header", no_argument, NULL, 'N'},
        {"unlabeled-as", required_argument, NULL, 'U'},
        {"quiet", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},     {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "v:cqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': vocab_path = optarg; break;
        case 'c': counts = 1; break;
        case 'L': line_buffered = 1; break;
        case 'N': no_header = 1; break;
        case 'U':
            unlabeled_as = cli_parse_double("--unlabeled-as", optarg, -1e300, 1e300);
            unlabeled_set = 1;
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(vocab_path, counts); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!vocab_path) die_usage("a vocabulary is required (-v FILE)");
    FILE *vf = xfopen(vocab_path, "rb");
    char err[512];
    vocab *v = vocab_load(vf, cli_name(vocab_path), err, sizeof err);
    if (!v) die("%s", err);
    xfclose(vf, vocab_path);

    bow_state s = {0};
    s.v = v;
    s.counts = counts;
    s.line_buffered = line_buffered < 0 ? cli_interactive() : line_buffered;
    s.unlabeled_set = unlabeled_set;
    s.unlabeled_as = unlabeled_as;
    s.nwords = ((size_t)v->dim + 1 + 63) / 64;
    s.bits = xcalloc(s.nwords, sizeof *s.bits);
    s.count = xcalloc((size_t)v->dim + 1, sizeof *s.count);
    s.cols = xmallocarray(v->dim, sizeof *s.cols);
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    s.itext = xmallocarray(v->dim, 16);
    s.ilen = xmalloc(v->dim);
    for (uint32_t r = 0; r < v->dim; r++)
        s.ilen[r] = (unsigned char)snprintf(s.itext + 16 * (size_t)r, 16, " %u:", r + 1);
    if (!no_header && sparse_write_header(stdout, v->dim, v->digest) < 0) die_stdout();
    if (optind == argc) {
        bow_file(&s, "-");
    } else {
        for (int i = optind; i < argc; i++) bow_file(&s, argv[i]);
    }
    if (s.olen && fwrite(s.out, 1, s.olen, stdout) != s.olen) die_stdout();
    cli_progress_end();
    free(s.bits);
    free(s.count);
    free(s.cols);
    free(s.blank);
    free(s.itext);
    free(s.ilen);
    free(s.out);
    vocab_free(v);
    cli_close_stdout();
    return 0;
}
