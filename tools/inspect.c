/* senti-inspect - print the header of model files (pretrained layers,
 * networks, checkpoints): kind, format version, vocabulary digest, the
 * training command line, and for each layer its dimensions, activation,
 * reconstruction or output, noise and penalties, and tensors.  With
 * --tensors, also summary statistics of every tensor. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dae.h"
#include "frontend.h"
#include "model.h"
#include "net.h"

/* options, with their defaults */
static struct {
    int tensors;
} opt = {.tensors = 0};

static void usage(void)
{
    printf("Usage: %s [OPTION]... MODEL...\n"
           "Print the header of senti model files ('-' reads stdin).\n"
           "\n"
           "  -T, --tensors   also print min, max, mean and L2 norm of every tensor\n"
           "  -h, --help      show this help and exit\n"
           "  -V, --version   show the version and exit\n",
           cli_prog);
}

static const char *out_name(uint32_t code)
{
    switch (code) {
    case NET_OUT_SOFTMAX: return "softmax (expected rating)";
    case NET_OUT_LINEAR: return "linear";
    default: return dae_recon_name((int)code);
    }
}

static void show(const char *path, const model *m, int tensors)
{
    printf("file      %s\n", path);
    printf("kind      %s\n", model_kind_name(m->kind));
    printf("version   %u\n", MODEL_VERSION);
    printf("vocab     %s\n", m->vocab[0] ? m->vocab : "(none)");
    printf("command   %s\n", m->cmdline && m->cmdline[0] ? m->cmdline : "(none)");
    frontend *fe = NULL;
    char err[MODEL_ERR_LEN + 256];
    if (frontend_from_model(m, &fe, err, sizeof err) < 0) die("%s: %s", path, err);
    if (fe) {
        char d[512];
        frontend_describe(fe, d, sizeof d);
        printf("text      %s (front end of %zu bytes: senti-predict reads text)\n", d, m->extra_len);
        frontend_free(fe);
    } else if (m->extra_len) {
        printf("extra     %zu bytes of trainer state\n", m->extra_len);
    }
    printf("layers    %u\n", m->nlayers);
    for (uint32_t i = 0; i < m->nlayers; i++) {
        const model_layer *L = &m->layers[i];
        int is_net = m->kind == MODEL_KIND_NETWORK || m->kind == MODEL_KIND_NET_CHECKPOINT;
        int is_output = is_net && (L->recon == NET_OUT_SOFTMAX || L->recon == NET_OUT_LINEAR);
        printf("layer %u   %u -> %u", i + 1, L->in_dim, L->out_dim);
        if (is_output) {
            printf("  output %s", out_name(L->recon));
            const model_tensor *c = model_find(L, "classes");
            if (c && L->recon == NET_OUT_SOFTMAX) {
                printf("  classes");
                for (uint32_t k = 0; k < c->rows * c->cols; k++) printf("%s%g", k ? "," : " ", (double)c->data[k]);
            }
        } else {
            printf("  act %s", act_name((int)L->act));
            if (!is_net) {
                printf("  recon %s  noise %s", dae_recon_name((int)L->recon), dae_noise_name((int)L->noise));
                if (L->noise) printf(":%g", (double)L->noise_level);
                printf("  emphasis %g,%g", (double)L->emph_a, (double)L->emph_b);
                printf("  %s", (L->flags & MODEL_FLAG_TIED) ? "tied" : "untied");
                if (L->flags & MODEL_FLAG_OBSERVED_ONLY) printf("  observed-only");
                if (L->sample_zeros) printf("  sample-zeros %u", L->sample_zeros);
            }
            if (model_find(L, "scale")) printf("  scaled");
        }
        printf("  l1 %g\n", (double)L->l1);
        for (uint32_t t = 0; t < L->ntensors; t++) {
            const model_tensor *T = &L->tensors[t];
            printf("          %-8s %u x %u", T->name, T->rows, T->cols);
            if (tensors) {
                size_t n = (size_t)T->rows * T->cols;
                double lo = INFINITY, hi = -INFINITY, s = 0, s2 = 0;
                for (size_t j = 0; j < n; j++) {
                    double v = T->data[j];
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                    s += v;
                    s2 += v * v;
                }
                printf("  min %.4g  max %.4g  mean %.4g  norm %.4g", lo, hi, n ? s / (double)n : 0.0, sqrt(s2));
            }
            putchar('\n');
        }
    }
}

int main(int argc, char **argv)
{
    cli_init("senti-inspect");
    static const struct option opts[] = {{"tensors", no_argument, 0, 'T'},
                                         {"help", no_argument, 0, 'h'},
                                         {"version", no_argument, 0, 'V'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "ThV", opts, NULL)) != -1) {
        switch (c) {
        case 'T': opt.tensors = 1; break;
        case 'h': usage(); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (optind >= argc) die_usage("no model file given");
    for (int i = optind; i < argc; i++) cli_input_add(argv[i]); /* '-' once */
    for (int i = optind; i < argc; i++) {
        char err[MODEL_ERR_LEN];
        model *m = model_load(argv[i], 0, err, sizeof err);
        if (!m) die("%s", err);
        if (i > optind) putchar('\n');
        show(cli_name(argv[i]), m, opt.tensors);
        model_free(m);
    }
    cli_close_stdout();
    return 0;
}
