/* senti-pretrain - learn one denoising-autoencoder layer from sparse lines
 * (labels ignored) and write it as a layer model (docs/dae.md).
 *
 * Options, then library calls: the data are read into memory (so several
 * epochs work from a pipe), the layer comes from lib/dae, and lib/train
 * runs the epochs, the log, checkpoints and --resume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dist.h"
#include "dae.h"
#include "kern.h"
#include "opts.h"
#include "stack.h"
#include "train.h"

static struct {
    const char *output, *valid, *init, *stack;
    long hidden, threads;
    int kernel, tied, observed_only, zero_based;
    dae_config cfg;
    train_opts to; /* epochs, batch, lr, ..., log, checkpoint: the driver's own */
} opt = {
    .hidden = 5000,
    .threads = 1,
    .kernel = DAE_KERNEL_AUTO,
    .to = {.epochs = 10, .batch = 10, .lr = 0.01, .seed = 1, .sync_every = 1},
};

/* option values of the layer's own kinds */
static int parse_act(const char *s, void *v) { return (*(int *)v = act_parse(s)) < 0 ? -1 : 0; }
static void show_act(buf_t *b, const void *v) { buf_puts(b, act_name(*(const int *)v)); }
static int parse_recon(const char *s, void *v) { return (*(int *)v = dae_recon_parse(s)) < 0 ? -1 : 0; }
static void show_recon(buf_t *b, const void *v) { buf_puts(b, dae_recon_name(*(const int *)v)); }
static int parse_noise(const char *s, void *v)
{
    dae_config *c = v;
    return dae_noise_parse(s, &c->noise, &c->noise_level);
}
static void show_noise(buf_t *b, const void *v)
{
    const dae_config *c = v;
    char num[32];
    sparse_format_float(num, c->noise_level);
    if (c->noise == DAE_NOISE_NONE) buf_puts(b, "none");
    else buf_printf(b, "%s:%s", dae_noise_name(c->noise), num);
}
static int parse_emph(const char *s, void *v)
{
    dae_config *c = v;
    char *end;
    double a = strtod(s, &end), b = -1;
    if (*end == ',') b = strtod(end + 1, &end);
    if (*end || !(a >= 0 && a < 1e30) || !(b >= 0 && b < 1e30)) return -1;
    c->emph_a = (float)a;
    c->emph_b = (float)b;
    return 0;
}
static void show_emph(buf_t *b, const void *v)
{
    const dae_config *c = v;
    char x[32], y[32];
    sparse_format_float(x, c->emph_a);
    sparse_format_float(y, c->emph_b);
    buf_printf(b, "%s,%s", x, y);
}
static int parse_real_f(const char *s, void *v)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end || !(x >= 0 && x <= 1e6)) return -1;
    *(float *)v = (float)x;
    return 0;
}
static void show_real_f(buf_t *b, const void *v)
{
    char x[32];
    sparse_format_float(x, *(const float *)v);
    buf_puts(b, x);
}
static int parse_u32(const char *s, void *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end || x < 0 || x > (1L << 30)) return -1;
    *(uint32_t *)v = (uint32_t)x;
    return 0;
}
static void show_u32(buf_t *b, const void *v) { buf_printf(b, "%u", *(const uint32_t *)v); }
static int parse_kernel(const char *s, void *v)
{
    static const char *const k[] = {"auto", "gemm", "rows"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, k[i]) == 0) return *(int *)v = i, 0;
    return -1;
}
static void show_kernel(buf_t *b, const void *v)
{
    static const char *const k[] = {"auto", "gemm", "rows"};
    buf_puts(b, k[*(const int *)v]);
}

#define S OPT_SETTING
static const opt_def defs[] = {
    {.name = "output", .key = 'o', .kind = OPT_TEXT, .var = &opt.output, .meta = "FILE", .help = "layer model to write ('-' = stdout)", .dflt = "required"},
    {.name = "hidden", .key = 'H', .kind = OPT_LONG, .var = &opt.hidden, .meta = "N", .help = "hidden units", .lo = 1, .hi = 1000000, .flags = S},
    {.name = "act", .key = 'a', .kind = OPT_CALL, .var = &opt.cfg.act, .meta = "NAME", .help = "hidden activation: relu, softplus, tanh, sigmoid", .flags = S, .parse = parse_act, .show = show_act, .want = "relu, softplus, tanh or sigmoid"},
    {.name = "noise", .key = 'n', .kind = OPT_CALL, .var = &opt.cfg, .meta = "SPEC", .help = "sp:P (salt-and-pepper), mask:P, gauss:S or none", .flags = S, .parse = parse_noise, .show = show_noise, .want = "sp:P, mask:P (0<=P<=1), gauss:S or none"},
    {.name = "emphasis", .key = 'e', .kind = OPT_CALL, .var = &opt.cfg, .meta = "A,B", .help = "loss weights on corrupted, untouched inputs", .flags = S, .parse = parse_emph, .show = show_emph, .want = "A,B with A,B >= 0"},
    {.name = "recon", .key = 'r', .kind = OPT_CALL, .var = &opt.cfg.recon, .meta = "NAME", .help = "reconstruction: sigmoid-ce, linear-se, softplus-se,\nrelu-se", .flags = S, .parse = parse_recon, .show = show_recon, .want = "sigmoid-ce, linear-se, softplus-se or relu-se"},
    {.name = "l1", .kind = OPT_CALL, .var = &opt.cfg.l1, .meta = "L", .help = "L1 penalty on hidden activations", .flags = S, .parse = parse_real_f, .show = show_real_f, .want = "a number in [0, 1e6]"},
    {.name = "tied", .kind = OPT_FLAG, .var = &opt.tied, .help = "decoder weights = encoder weights", .flags = S},
    {.name = "code-noise", .kind = OPT_CALL, .var = &opt.cfg.code_noise, .meta = "S", .help = "training only: Gaussian noise of deviation S on the hidden\npre-activations (sigmoid codes towards 0/1)", .flags = S, .parse = parse_real_f, .show = show_real_f, .want = "a number in [0, 1e6]"},
    {.name = "lr", .key = 'l', .kind = OPT_REAL, .var = &opt.to.lr, .meta = "R", .help = "learning rate (SGD on the batch mean)", .hi = 1e6, .flags = S},
    {.name = "decay", .kind = OPT_REAL, .var = &opt.to.decay, .meta = "X", .help = "learning rate at epoch e is lr / (1 + decay (e - 1))", .hi = 1e6, .flags = S},
    {.name = "momentum", .kind = OPT_REAL, .var = &opt.to.momentum, .meta = "M", .help = "momentum of the updates (each step is then dense)", .hi = 0.999, .flags = S},
    {.name = "weight-decay", .kind = OPT_REAL, .var = &opt.to.weight_decay, .meta = "L", .help = "weight decay on W and Wd (each step is then dense)", .hi = 1e6, .flags = S},
    {.name = "batch", .key = 'b', .kind = OPT_LONG, .var = &opt.to.batch, .meta = "N", .help = "minibatch size", .lo = 1, .hi = 1000000, .flags = S},
    {.name = "epochs", .key = 'E', .kind = OPT_LONG, .var = &opt.to.epochs, .meta = "N", .help = "epochs", .hi = 1000000, .flags = OPT_RECORD},
    {.name = "seed", .key = 's', .kind = OPT_U64, .var = &opt.to.seed, .meta = "S", .help = "seed of initialisation, shuffling, noise, sampling", .flags = S},
    {.name = "threads", .key = 't', .kind = OPT_LONG, .var = &opt.threads, .meta = "N", .help = "threads (OpenBLAS and own kernels)", .lo = 1, .hi = 64, .flags = S},
    {.name = "sample-zeros", .key = 'k', .kind = OPT_CALL, .var = &opt.cfg.sample_zeros, .meta = "K", .help = "reconstruction sampling: the non-zero and corrupted\ninputs plus K sampled zeros, importance-weighted\n(0 = full "
     "reconstruction)", .flags = S, .parse = parse_u32, .show = show_u32, .want = "an integer in [0, 2^30]"},
    {.name = "observed-only", .kind = OPT_FLAG, .var = &opt.observed_only, .help = "loss only on non-zero (known) inputs", .flags = S},
    {.name = "zero-based", .kind = OPT_FLAG, .var = &opt.zero_based, .help = "indices start at 0 (scikit-learn's dump_svmlight_file)"},
    {.name = "valid", .key = 'v', .kind = OPT_TEXT, .var = &opt.valid, .meta = "FILE", .help = "report the mean reconstruction loss on FILE every epoch", .dflt = "none"},
    {.name = "patience", .key = 'p', .kind = OPT_LONG, .var = &opt.to.patience, .meta = "N", .help = "with --valid: stop after N epochs without a lower loss\nand keep the best epoch's layer (0: keep the last)", .hi = 1000000, .flags = S},
    {.name = "log", .kind = OPT_TEXT, .var = &opt.to.log, .meta = "FILE", .help = "TSV per epoch: epoch, seconds, train loss, valid\nloss, fraction of zero hidden units", .dflt = "none"},
    {.name = "checkpoint", .kind = OPT_TEXT, .var = &opt.to.checkpoint, .meta = "FILE", .help = "save layer + trainer state after every epoch", .dflt = "none"},
    {.name = "resume", .kind = OPT_FLAG, .var = &opt.to.resume, .help = "continue from --checkpoint FILE (same data and settings)"},
    {.name = "init", .kind = OPT_TEXT, .var = &opt.init, .meta = "LAYER", .help = "start from the parameters of a layer model of the\nsame shape, activation and tying (other settings\nmay differ)", .dflt = "random"},
    {.name = "stack", .kind = OPT_TEXT, .var = &opt.stack, .meta = "L1,L2...", .help = "fine-tune the deep autoencoder of these layer models\n(each pretrained on the codes of the one before) as a\nwhole with this run's noise and loss; writes a stack\nmodel (docs/dae.md)", .dflt = "none"},
    {.name = "sync-every", .kind = OPT_LONG, .var = &opt.to.sync_every, .meta = "K", .help = "under mpirun: average the processes' parameters every\nK steps (1: every minibatch, the mean gradient)", .lo = 1, .hi = 1000000000, .flags = OPT_SETTING},
    {.name = "sync-rows", .kind = OPT_FLAG, .var = &opt.to.sync_rows, .help = "under mpirun: send only the input layer's rows of the\ninputs used since the last average", .flags = OPT_SETTING},
    {.name = "stop-after", .kind = OPT_LONG, .var = &opt.to.stop_after, .meta = "N", .help = "stop after N epochs of this run (checkpoint kept,\nno model written; for interruption tests)", .lo = 1, .hi = 1000000, .dflt = "off"},
    {.name = "kernel", .kind = OPT_CALL, .var = &opt.kernel, .meta = "NAME", .help = "decoder kernel: auto, gemm, rows", .flags = S, .parse = parse_kernel, .show = show_kernel, .want = "auto, gemm or rows"},
};
#undef S

static const opt_prog prog = {
    "-o MODEL [OPTION]... [FILE]...",
    "Learn one denoising-autoencoder layer from sparse lines (files, or stdin\n"
    "when none or '-'; labels are ignored) and write it to MODEL.\n",
    "The same input, options, seed and thread count give the same model bytes.\n",
    defs,
    (int)(sizeof defs / sizeof defs[0]),
};

/* The layer to train: from --init (its parameters, this run's settings)
 * or new with Glorot-uniform weights from (seed, 0). */
static dae *make_layer(const char *vocab, buf_t *derived)
{
    char err[MODEL_ERR_LEN];
    dae *d;
    if (opt.init) {
        cli_input_add(opt.init);
        model *m = model_load(opt.init, MODEL_KIND_LAYER, err, sizeof err);
        if (!m) die("%s", err);
        if (strcmp(m->vocab, vocab) != 0) die("--init: vocabulary digest of %s differs from the input's", opt.init);
        d = dae_from_model(m, err, sizeof err);
        if (!d) die("%s: %s", opt.init, err);
        if (dae_set_config(d, &opt.cfg, err, sizeof err) != 0) die("--init: %s is %s", opt.init, err);
        for (uint32_t k = 0; k < opt.cfg.hidden; k++) d->scale[k] = 1;
        buf_printf(derived, "init=%016llx\n", (unsigned long long)d->checksum);
    } else {
        d = dae_new(&opt.cfg, err, sizeof err);
        if (!d) die("%s", err);
        rng_t init;
        rng_seed(&init, opt.to.seed, 0);
        dae_init(d, &init);
    }
    memcpy(d->vocab, vocab, sizeof d->vocab);
    return d;
}

/* --stack: the layers, each pretrained on the codes of the one before
 * (its input digest is that layer file's checksum), the first on this
 * input. */
static stack *make_stack(const char *vocab, buf_t *derived)
{
    dae *layers[64];
    int L = 0;
    char *list = xstrdup(opt.stack), *save = NULL, err[MODEL_ERR_LEN];
    for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (L == 64) die_usage("--stack: more than 64 layers");
        cli_input_add(p);
        model *m = model_load(p, MODEL_KIND_LAYER, err, sizeof err);
        if (!m) die("%s", err);
        dae *d = dae_from_model(m, err, sizeof err);
        if (!d) die("%s: %s", p, err);
        char below[17];
        if (L) snprintf(below, sizeof below, "%016llx", (unsigned long long)layers[L - 1]->checksum);
        const char *want = L ? below : vocab;
        if (d->vocab[0] && want[0] && strcmp(d->vocab, want) != 0)
            die("%s: pretrained on other input (digest %s) than %s (%s)", p, d->vocab, L ? "the layer before" : "this input",
                want);
        buf_printf(derived, "%s%016llx", L ? "," : "stack=", (unsigned long long)d->checksum);
        layers[L++] = d;
    }
    free(list);
    buf_puts(derived, "\n");
    stack *s = stack_new(layers, L, &opt.cfg, err, sizeof err);
    if (!s) die("--stack: %s", err);
    memcpy(s->vocab, vocab, sizeof s->vocab);
    for (int l = 0; l < L; l++) dae_free(layers[l]);
    return s;
}

int main(int argc, char **argv)
{
    cli_init("senti-pretrain");
    if (dist_init() < 0) die("%s", dist_error());
    if (dist_rank() > 0) cli_quiet = 1; /* one voice per job: rank 0's */
    dae_config_default(&opt.cfg, 1, 1);
    opts_defaults(&prog);
    int first = opts_parse(&prog, argc, argv);
    if (!opt.output) die_usage("no output model: give -o FILE ('-' for stdout)");
    if (opt.to.resume && !opt.to.checkpoint) die_usage("--resume needs --checkpoint FILE");
    if (opt.to.stop_after && !opt.to.checkpoint) die_usage("--stop-after needs --checkpoint FILE");
    if (opt.to.patience && !opt.valid) die_usage("--patience needs --valid FILE");
    if (opt.stack && opt.init) die_usage("--stack and --init exclude each other");
    int nin;
    const char **inputs = cli_inputs(argc, argv, first, &nin);
    /* every output checked before any work */
    cli_out_check(opt.output);
    if (opt.to.log) cli_out_check(opt.to.log);
    if (opt.to.checkpoint) cli_out_check(opt.to.checkpoint);
    kern_threads((int)opt.threads);

    /* data */
    char vocab[SPARSE_DIGEST_LEN + 1], vv[SPARSE_DIGEST_LEN + 1];
    train_input tin = {.what = "the model", .flags = opt.zero_based ? SPARSE_ZERO_BASED : 0};
    sparse_csr *data = train_read(inputs, nin, &tin, vocab);
    const char *what = nin == 1 ? cli_name(inputs[0]) : "the inputs";
    if (data->dim == 0) die("%s: no non-zero entries and no dim= header", what);
    opt.cfg.in_dim = data->dim;
    opt.cfg.hidden = (uint32_t)opt.hidden;
    opt.cfg.tied = opt.tied;
    opt.cfg.observed_only = opt.observed_only;
    const char *why = dae_config_check(&opt.cfg);
    if (why) die_usage("%s", why);
    char layer[160];
    snprintf(layer, sizeof layer, "%s: a layer of %u inputs x %u units", what, data->dim, opt.cfg.hidden);
    cli_check_memory(4.0 * data->dim * opt.cfg.hidden * (opt.cfg.tied ? 1 : 2) * (opt.to.patience ? 2 : 1), layer);
    sparse_csr *valid = NULL;
    if (opt.valid) {
        train_input vin = {.dim = data->dim, .vocab = vocab, .what = "the training data", .flags = tin.flags};
        valid = train_read(&opt.valid, 1, &vin, vv);
    }

    /* the layer (or the stack), its trainer, the driver */
    buf_t derived = {0};
    dae *d = NULL;
    stack *st = NULL;
    dae_trainer *t = NULL;
    stack_trainer *stt = NULL;
    train_task task;
    if (opt.stack) {
        st = make_stack(vocab, &derived);
        if (st->cfg.in_dim != data->dim)
            die("%s: %u inputs, the stack's first layer takes %u", what, data->dim, st->cfg.in_dim);
        if (!(stt = stack_trainer_new(st, data, (size_t)opt.to.batch, opt.to.seed))) die("out of memory");
        stack_task(stt, &task);
    } else {
        d = make_layer(vocab, &derived);
        char err[MODEL_ERR_LEN];
        t = dae_trainer_new(d, data, (size_t)opt.to.batch, err, sizeof err);
        if (!t) die("%s", err);
        dae_trainer_kernel(t, opt.kernel);
        dae_task(t, opt.to.seed, &task);
    }
    train_opts to = opt.to;
    to.program = cli_prog;
    to.keep_best = to.patience > 0;
    to.prog = &prog;
    to.extra_settings = derived.p;
    train_result res;
    train_run(&task, data, valid, &to, &res);

    if (!res.interrupted && dist_rank() == 0) {
        /* per-unit scale to [0,1] for stacking, then the model */
        if (d && dae_compute_scale(d, data) != 0) die("out of memory");
        buf_t cmd = {0};
        buf_puts(&cmd, "senti-pretrain");
        opts_cmdline(&prog, &cmd);
        if (derived.p) buf_printf(&cmd, " --%.*s", (int)strcspn(derived.p, "\n"), derived.p);
        for (char *q = cmd.p; (q = strchr(q, '=')); q++) *q = ' ';
        model *m = d ? dae_to_model(d, cmd.p) : stack_to_model(st, cmd.p);
        if (!m) die("out of memory");
        train_save_model(opt.output, m);
        model_free(m);
        buf_free(&cmd);
    }
    buf_free(&derived);
    dae_trainer_free(t);
    dae_free(d);
    stack_trainer_free(stt);
    stack_free(st);
    sparse_csr_free(data);
    sparse_csr_free(valid);
    cli_close_stdout();
    return 0;
}
