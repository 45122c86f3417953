/* senti-train - learn a rating predictor from labeled sparse lines: a
 * softmax over the rating classes whose expected value is the prediction
 * (Glorot et al. 2011), or a linear regression; with no hidden layer, random
 * hidden layers (--hidden), or pretrained DAE layers (--init) fine-tuned
 * together with the output layer (docs/train.md).
 *
 * Options, then library calls: the network is lib/net's, and lib/train
 * runs the epochs, early stopping on validation RMSE, the log, checkpoints
 * and --resume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "cli.h"
#include "dist.h"
#include "kern.h"
#include "model.h"
#include "net.h"
#include "metrics.h"
#include "opts.h"
#include "train.h"

enum { HEAD_AUTO, HEAD_SOFTMAX, HEAD_LINEAR };

static struct {
    const char *output, *hidden, *init, *valid, *labels, *class_weight;
    int act, head, freeze, zero_based;
    long warm, threads, max_classes;
    double l1, l2, in_drop, drop;
    train_opts to; /* epochs, batch, lr, ..., log, checkpoint: the driver's own */
} opt = {
    .act = ACT_RELU,
    .head = HEAD_AUTO,
    .threads = 1,
    .max_classes = 100,
    .to = {.epochs = 20, .batch = 10, .lr = 0.01, .seed = 1, .sync_every = 1, .patience = 5},
};

static const char *const heads[] = {"auto", "softmax", "linear"};
static int parse_head(const char *s, void *v)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, heads[i]) == 0) return *(int *)v = i, 0;
    return -1;
}
static void show_head(buf_t *b, const void *v) { buf_puts(b, heads[*(const int *)v]); }
static int parse_act(const char *s, void *v) { return (*(int *)v = act_parse(s)) < 0 ? -1 : 0; }
static void show_act(buf_t *b, const void *v) { buf_puts(b, act_name(*(const int *)v)); }

#define S OPT_SETTING
static const opt_def defs[] = {
    {.name = "output", .key = 'o', .kind = OPT_TEXT, .var = &opt.output, .meta = "FILE", .help = "where to write the network model", .dflt = "required"},
    {.name = "head", .kind = OPT_CALL, .var = &opt.head, .meta = "KIND", .help = "output layer: softmax (expected rating over the classes\nseen in training), linear (regression), or auto:\nsoftmax "
     "unless there are more than --max-classes labels", .flags = S, .parse = parse_head, .show = show_head, .want = "auto, softmax or linear"},
    {.name = "max-classes", .kind = OPT_LONG, .var = &opt.max_classes, .meta = "N", .help = "most distinct labels --head auto takes as classes", .lo = 2, .hi = 1000000, .flags = S},
    {.name = "hidden", .key = 'H', .kind = OPT_TEXT, .var = &opt.hidden, .meta = "N[,N...]", .help = "random hidden layers of N units", .flags = S, .dflt = "none"},
    {.name = "act", .key = 'a', .kind = OPT_CALL, .var = &opt.act, .meta = "A", .help = "activation of random hidden layers: relu, softplus,\ntanh, sigmoid", .flags = S, .parse = parse_act, .show = show_act, .want = "relu, softplus, tanh or sigmoid"},
    {.name = "init", .key = 'i', .kind = OPT_TEXT, .var = &opt.init, .meta = "L1[,L2...]", .help = "start from pretrained layer models (senti-pretrain),\nstacked in order, with their stored output scales", .dflt = "none"},
    {.name = "freeze", .kind = OPT_FLAG, .var = &opt.freeze, .help = "keep the --init layers fixed; train the output only", .flags = S},
    {.name = "warm", .kind = OPT_LONG, .var = &opt.warm, .meta = "N", .help = "the first N epochs train the output only (the\n--init layers fixed), then every layer", .hi = 1000000, .flags = S},
    {.name = "l1", .kind = OPT_REAL, .var = &opt.l1, .meta = "X", .help = "L1 penalty on hidden activations", .hi = 1e6, .flags = S},
    {.name = "l2", .kind = OPT_REAL, .var = &opt.l2, .meta = "X", .help = "L2 penalty on the weights (input layer: rows of the\ninputs present in each batch)", .hi = 1e6, .flags = S},
    {.name = "in-drop", .kind = OPT_REAL, .var = &opt.in_drop, .meta = "P", .help = "dropout of input non-zeros during training", .hi = 0.99, .flags = S},
    {.name = "drop", .kind = OPT_REAL, .var = &opt.drop, .meta = "P", .help = "dropout of hidden activations during training", .hi = 0.99, .flags = S},
    {.name = "lr", .key = 'l', .kind = OPT_REAL, .var = &opt.to.lr, .meta = "X", .help = "SGD learning rate", .hi = 1e6, .flags = S},
    {.name = "decay", .kind = OPT_REAL, .var = &opt.to.decay, .meta = "X", .help = "learning rate at epoch e is lr / (1 + decay (e - 1))", .hi = 1e6, .flags = S},
    {.name = "momentum", .kind = OPT_REAL, .var = &opt.to.momentum, .meta = "M", .help = "momentum of the updates (each step is then dense)", .hi = 0.999, .flags = S},
    {.name = "weight-decay", .kind = OPT_REAL, .var = &opt.to.weight_decay, .meta = "L", .help = "weight decay (each step is then dense)", .hi = 1e6, .flags = S},
    {.name = "batch", .key = 'b', .kind = OPT_LONG, .var = &opt.to.batch, .meta = "N", .help = "minibatch size", .lo = 1, .hi = 1024, .flags = S},
    {.name = "epochs", .key = 'E', .kind = OPT_LONG, .var = &opt.to.epochs, .meta = "N", .help = "epochs (passes over the data)", .hi = 1000000, .flags = OPT_RECORD},
    {.name = "zero-based", .kind = OPT_FLAG, .var = &opt.zero_based, .help = "indices start at 0 (scikit-learn's dump_svmlight_file)"},
    {.name = "class-weight", .kind = OPT_TEXT, .var = &opt.class_weight, .meta = "W", .help = "softmax: weigh each class's examples in the loss:\nauto (rows / (classes x rows of the class)) or a\nFILE of rating<TAB>weight lines (others 1)", .flags = S, .dflt = "none"},
    {.name = "labels", .kind = OPT_TEXT, .var = &opt.labels, .meta = "MAP", .help = "labels that are words: name=rating,... (e.g.\npositive=5,negative=1)", .flags = S, .dflt = "none"},
    {.name = "valid", .key = 'v', .kind = OPT_TEXT, .var = &opt.valid, .meta = "FILE", .help = "labeled sparse lines for early stopping: the model\nkept is the one of lowest validation RMSE", .dflt = "none"},
    {.name = "patience", .key = 'p', .kind = OPT_LONG, .var = &opt.to.patience, .meta = "N", .help = "stop after N epochs without a better validation RMSE", .lo = 1, .hi = 1000000, .flags = S},
    {.name = "log", .kind = OPT_TEXT, .var = &opt.to.log, .meta = "FILE", .help = "TSV per epoch: epoch, seconds, train loss, train RMSE,\nvalid RMSE, fraction of zero activations per layer", .dflt = "none"},
    {.name = "seed", .key = 's', .kind = OPT_U64, .var = &opt.to.seed, .meta = "S", .help = "seed of initialisation, shuffling and dropout", .flags = S},
    {.name = "threads", .key = 't', .kind = OPT_LONG, .var = &opt.threads, .meta = "N", .help = "threads", .lo = 1, .hi = 256, .flags = S},
    {.name = "checkpoint", .kind = OPT_TEXT, .var = &opt.to.checkpoint, .meta = "FILE", .help = "save the network and trainer state after every epoch", .dflt = "none"},
    {.name = "resume", .kind = OPT_FLAG, .var = &opt.to.resume, .help = "continue from --checkpoint FILE (same data and\nsettings; the model bytes are those of an\nuninterrupted run)"},
    {.name = "sync-every", .kind = OPT_LONG, .var = &opt.to.sync_every, .meta = "K", .help = "under mpirun: average the processes' parameters every\nK steps (1: every minibatch, the mean gradient)", .lo = 1, .hi = 1000000000, .flags = OPT_SETTING},
    {.name = "sync-rows", .kind = OPT_FLAG, .var = &opt.to.sync_rows, .help = "under mpirun: send only the input layer's rows of the\ninputs used since the last average", .flags = OPT_SETTING},
    {.name = "stop-after", .kind = OPT_LONG, .var = &opt.to.stop_after, .meta = "N", .help = "stop after N epochs of this run (checkpoint kept, no\nmodel written; for interruption tests)", .lo = 1, .hi = 1000000, .dflt = "off"},
};
#undef S

static const opt_prog prog = {
    "-o MODEL [OPTION]... [FILE]...",
    "Train a rating predictor on labeled sparse lines (files, or stdin when\n"
    "none or '-') and write it to MODEL.\n",
    "The same input, options, seed and thread count give the same model bytes.\n",
    defs,
    (int)(sizeof defs / sizeof defs[0]),
};

/* The hidden layers: pretrained (--init; they fix the input dimension)
 * or random (--hidden).  Returns their number. */
static int layers(uint32_t *sizes, uint32_t *acts, model **ml, char *vocab, buf_t *derived)
{
    int nh = 0;
    const char *list = opt.init ? opt.init : opt.hidden;
    if (!list) return 0;
    char *copy = xstrdup(list), *save = NULL;
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (nh == MODEL_MAX_LAYERS - 1) die_usage("%s: too many layers", opt.init ? "--init" : "--hidden");
        if (!opt.init) {
            char *e;
            long v = strtol(p, &e, 10);
            if (e == p || *e || v < 1 || v > 1000000) die_usage("--hidden: bad layer sizes '%s'", opt.hidden);
            sizes[nh] = (uint32_t)v;
            acts[nh++] = (uint32_t)opt.act;
            continue;
        }
        char err[MODEL_ERR_LEN];
        cli_input_add(p);
        model *m = model_load(p, MODEL_KIND_LAYER, err, sizeof err);
        if (!m) die("%s", err);
        if (m->nlayers != 1) die("%s: expected one layer, found %u", p, m->nlayers);
        const model_layer *L = &m->layers[0];
        if (!act_valid((int)L->act)) die("%s: unknown activation code %u", p, L->act);
        if (nh > 0) {
            /* a layer pretrained on the codes of the one below: its input
             * digest is that layer file's checksum (senti-encode's header) */
            char below[17];
            snprintf(below, sizeof below, "%016llx", (unsigned long long)ml[nh - 1]->checksum);
            if (L->in_dim != sizes[nh - 1])
                die("%s: input dimension %u does not match the %u units of the layer below", p, L->in_dim,
                    sizes[nh - 1]);
            if (m->vocab[0] && strcmp(m->vocab, below) != 0)
                die("%s: pretrained on the codes of another layer (digest %s), not of the layer below (%s)", p,
                    m->vocab, below);
        } else {
            memcpy(vocab, m->vocab, 17);
        }
        buf_printf(derived, "%s%016llx", nh ? "," : "init=", (unsigned long long)m->checksum);
        sizes[nh] = L->out_dim;
        acts[nh] = L->act;
        ml[nh++] = m;
    }
    if (opt.init) buf_puts(derived, "\n");
    free(copy);
    return nh;
}

/* The weight of each of the K classes for --class-weight: "auto" gives
 * rows / (K x rows of the class), as scikit-learn's "balanced"; a file
 * gives rating<TAB>weight (or a space) lines, a rating that is no class
 * of the training data or a weight that is not positive being an error;
 * classes it does not name keep 1. */
static float *class_weights(const char *spec, int output, const sparse_csr *train, const double *classes, uint32_t K)
{
    if (output != NET_OUT_SOFTMAX) die_usage("--class-weight needs a softmax output (the labels make a regression)");
    float *w = xmallocarray(K, sizeof *w);
    for (uint32_t k = 0; k < K; k++) w[k] = 1.0f;
    if (strcmp(spec, "auto") == 0) {
        size_t *cnt = xcalloc(K, sizeof *cnt);
        for (size_t i = 0; i < train->rows; i++) cnt[metrics_nearest(classes, K, train->label[i])]++;
        for (uint32_t k = 0; k < K; k++) w[k] = (float)((double)train->rows / ((double)K * (double)cnt[k]));
        free(cnt);
        return w;
    }
    cli_lines in;
    cli_lines_open(&in, spec);
    char *line;
    size_t len;
    while (cli_lines_next(&in, &line, &len)) {
        if (len && line[len - 1] == '\r') len--;
        line[len] = 0;
        if (!len || line[0] == '#') continue;
        char *e;
        double r = strtod(line, &e), v;
        if (e == line || (*e != '\t' && *e != ' ')) die_at(in.name, in.ln, "expected rating<TAB>weight");
        char *e2;
        v = strtod(e + 1, &e2);
        if (e2 == e + 1 || *e2 || !(v > 0) || v > 1e6) die_at(in.name, in.ln, "weight '%s' is not in (0, 1e6]", e + 1);
        size_t k = metrics_nearest(classes, K, r);
        if (classes[k] != r) die_at(in.name, in.ln, "rating %g is no class of the training data", r);
        w[k] = (float)v;
    }
    cli_lines_close(&in);
    return w;
}

int main(int argc, char **argv)
{
    cli_init("senti-train");
    if (dist_init() < 0) die("%s", dist_error());
    if (dist_rank() > 0) cli_quiet = 1; /* one voice per job: rank 0's */
    opts_defaults(&prog);
    int first = opts_parse(&prog, argc, argv);
    if (!opt.output) die_usage("no model file given (-o FILE)");
    if (opt.hidden && opt.init) die_usage("--hidden and --init exclude each other");
    if (opt.freeze && !opt.init) die_usage("--freeze needs --init");
    if (opt.warm && !opt.init) die_usage("--warm needs --init");
    if (opt.warm && opt.freeze) die_usage("--warm and --freeze exclude each other");
    if (opt.to.resume && !opt.to.checkpoint) die_usage("--resume needs --checkpoint FILE");
    if (opt.to.stop_after && !opt.to.checkpoint) die_usage("--stop-after needs --checkpoint FILE");
    if (opt.drop > 0 && !opt.hidden && !opt.init) die_usage("--drop needs hidden layers (--hidden or --init)");
    int nin;
    const char **inputs = cli_inputs(argc, argv, first, &nin);
    /* every output checked before any work */
    cli_out_check(opt.output);
    if (opt.to.log) cli_out_check(opt.to.log);
    if (opt.to.checkpoint) cli_out_check(opt.to.checkpoint);
    kern_threads((int)opt.threads);

    /* layers, then the data (the first pretrained layer fixes the input
     * dimension and the vocabulary) */
    uint32_t sizes[MODEL_MAX_LAYERS], acts[MODEL_MAX_LAYERS];
    model *ml[MODEL_MAX_LAYERS];
    char vocab[17] = "", dv[17], vv[17];
    buf_t derived = {0};
    int nh = layers(sizes, acts, ml, vocab, &derived);
    uint32_t limit = opt.init ? ml[0]->layers[0].in_dim : 0;
    train_input tin = {.dim = limit, .vocab = vocab, .what = "the model", .labeled = 1,
                       .flags = opt.zero_based ? SPARSE_ZERO_BASED : 0, .labels = opt.labels};
    sparse_csr *train = train_read(inputs, nin, &tin, dv);
    const char *tname = nin == 1 ? cli_name(inputs[0]) : "the inputs";
    if (!vocab[0]) memcpy(vocab, dv, sizeof vocab);
    uint32_t in_dim = limit ? limit : train->dim;
    train_input vin = {.dim = in_dim, .vocab = vocab, .what = opt.init ? "the model" : "the training data",
                       .labeled = 1, .flags = tin.flags, .labels = opt.labels};
    sparse_csr *valid = opt.valid ? train_read(&opt.valid, 1, &vin, vv) : NULL;

    /* the output layer: the classes seen in training, or a regression */
    double *classes = xmallocarray(train->rows, sizeof *classes);
    uint32_t K = net_classes(train->label, train->rows, classes);
    int head = opt.head;
    if (head == HEAD_AUTO) {
        head = K > (uint32_t)opt.max_classes ? HEAD_LINEAR : HEAD_SOFTMAX;
        if (head == HEAD_LINEAR)
            note("%s: %u distinct labels (more than --max-classes %ld): a linear output (regression); "
                 "--head softmax forces classes",
                 tname, K, opt.max_classes);
    }
    int output = head == HEAD_LINEAR ? NET_OUT_LINEAR : NET_OUT_SOFTMAX;
    if (output == NET_OUT_SOFTMAX && K < 2) die("%s: only one rating (%g) in the training data", tname, classes[0]);
    double npar = 0;
    uint32_t below = in_dim;
    for (int l = 0; l < nh; l++) npar += (double)below * sizes[l] + 2.0 * sizes[l], below = sizes[l];
    npar += (double)below * K + K;
    char what[160];
    snprintf(what, sizeof what, "%s: a network of %.0f parameters (input dimension %u)", tname, npar, in_dim);
    cli_check_memory(4.0 * npar * (valid ? 3 : 2) + 8.0 * in_dim, what);

    float *cw = opt.class_weight ? class_weights(opt.class_weight, output, train, classes, K) : NULL;

    rng_t ginit;
    rng_seed(&ginit, opt.to.seed, 0);
    net *n = net_new(in_dim, nh, sizes, acts, output, K, classes, (float)opt.l1, &ginit);
    if (!n) die("out of memory");
    memcpy(n->vocab, vocab, sizeof vocab);
    for (int l = 0; opt.init && l < nh; l++) {
        char err[MODEL_ERR_LEN];
        if (net_load_layer(n, l, &ml[l]->layers[0], err, sizeof err) < 0) die("--init layer %d: %s", l + 1, err);
        model_free(ml[l]);
    }
    net_init_output(n, train->label, train->rows);
    free(classes);

    net_train_opts no = {{0, (float)opt.l2, (float)opt.in_drop, (float)opt.drop, NULL, cw}, opt.init ? nh : 0,
                         opt.freeze, opt.warm};
    net_trainer *nt = net_trainer_new(n, train, (size_t)opt.to.batch, &no, opt.to.seed);
    if (!nt) die("out of memory");
    train_task task;
    net_task(nt, &task);
    train_opts to = opt.to;
    to.program = cli_prog;
    to.keep_best = 1;
    to.prog = &prog;
    to.extra_settings = derived.p;
    train_result res;
    train_run(&task, train, valid, &to, &res);

    if (!res.interrupted && dist_rank() == 0) {
        buf_t cmd = {0};
        buf_puts(&cmd, "senti-train");
        opts_cmdline(&prog, &cmd);
        if (derived.p) buf_printf(&cmd, " --%.*s", (int)strcspn(derived.p, "\n"), derived.p);
        for (char *p = cmd.p; (p = strstr(p, "--init=")); p += 6) p[6] = ' ';
        model *m = net_to_model(n, cmd.p);
        if (!m) die("out of memory");
        train_save_model(opt.output, m);
        model_free(m);
        buf_free(&cmd);
    }
    buf_free(&derived);
    net_trainer_free(nt);
    free(cw);
    net_free(n);
    sparse_csr_free(train);
    sparse_csr_free(valid);
    cli_close_stdout();
    return 0;
}
