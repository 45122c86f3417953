/* senti-bundle - one model file from raw text to rating: a network of
 * senti-train, the vocabulary its inputs were made with (senti-vocab) and
 * the tokenizer's settings (the options of senti-tokenize), written as a
 * network model whose extra blob is the front end (lib/frontend.h,
 * docs/model-format.md).  senti-predict -m BUNDLE then reads text.
 *
 * The vocabulary must be the one the network was trained on: its digest
 * is checked against the network's (a network trained on header-less
 * lines, which has none, is refused).  The tokenizer's settings cannot be
 * checked against the training data: give the options that made it. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "frontend.h"
#include "model.h"
#include "net.h"
#include "train.h"

static void usage(const text_opts *o, const char *stopwords)
{
    printf("Usage: %s [OPTION]... -o BUNDLE NETWORK VOCAB\n"
           "Write one model file from text to rating: NETWORK (senti-train), the\n"
           "vocabulary VOCAB its inputs were made with (senti-vocab), and the settings\n"
           "of senti-tokenize given here, which must be those that made the training\n"
           "tokens.  senti-predict -m BUNDLE then predicts from raw text.\n"
           "\n"
           "  -o, --output=FILE    the bundle to write ('-' = stdout) [required]\n"
           "  -c, --counts         the bag of words has counts (senti-bow -c) [off]\n",
           cli_prog);
    frontend_token_usage(o, stopwords);
    printf("  -q, --quiet          no notes\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "VOCAB's digest must be the network's (the vocab= of its training lines);\n"
           "--pcre-only is a test switch and is not kept.\n");
}

int main(int argc, char **argv)
{
    cli_init("senti-bundle");
    text_opts o;
    frontend_token_defaults(&o);
    const char *stopwords = NULL, *out_path = NULL;
    int counts = 0;
    static const struct option longopts[] = {
        FRONTEND_TOKEN_LONGOPTS,
        {"output", required_argument, NULL, 'o'},
        {"counts", no_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, FRONTEND_TOKEN_SHORTOPTS "o:cqhV", longopts, NULL)) != -1) {
        if (frontend_token_option(c, optarg, &o, &stopwords)) continue;
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'c': counts = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(&o, stopwords); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    frontend_token_check(&o);
    if (!out_path) die_usage("no output given (-o BUNDLE)");
    if (argc - optind != 2) die_usage("expected NETWORK and VOCAB, got %d operand%s", argc - optind,
                                      argc - optind == 1 ? "" : "s");
    const char *net_path = argv[optind], *vocab_path = argv[optind + 1];
    cli_out_check(out_path);

    char err[MODEL_ERR_LEN + 256];
    cli_input_add(net_path);
    model *m = model_load(net_path, MODEL_KIND_NETWORK, err, sizeof err);
    if (!m) die("%s", err);
    net *n = net_from_model(m, err, sizeof err); /* a network that runs */
    if (!n) die("%s: %s", cli_name(net_path), err);
    net_free(n);
    if (m->extra_len) die("%s: already a bundle (it has a front end)", cli_name(net_path));
    if (!m->vocab[0])
        die("%s: the network records no vocabulary digest (its training lines had no vocab= header); "
            "train it on senti-bow output",
            cli_name(net_path));

    size_t vlen, slen = 0;
    char *vbytes = cli_read_file(vocab_path, &vlen);
    char *sbytes = stopwords ? cli_read_file(stopwords, &slen) : NULL;
    frontend *f = frontend_new(&o, counts, sbytes, slen, cli_name(stopwords), vbytes, vlen, cli_name(vocab_path), err,
                               sizeof err);
    if (!f) die("%s", err);
    if (strcmp(f->v->digest, m->vocab) != 0)
        die("%s: vocabulary digest %s differs from the network's %s (%s was trained on another vocabulary)",
            cli_name(vocab_path), f->v->digest, m->vocab, cli_name(net_path));
    if (f->v->dim != m->layers[0].in_dim)
        die("%s: %u terms for a network of %u inputs", cli_name(vocab_path), f->v->dim, m->layers[0].in_dim);

    buf_t blob = {0};
    if (frontend_encode(f, &blob) < 0 || model_set_extra(m, blob.p, blob.len) < 0) die("out of memory");
    train_save_model(out_path, m);
    note("%s: %u terms, %s front end of %zu bytes", cli_name(out_path), f->v->dim, counts ? "counts" : "binary",
         blob.len);
    buf_free(&blob);
    frontend_free(f);
    free(vbytes);
    free(sbytes);
    model_free(m);
    cli_close_stdout();
    return 0;
}
