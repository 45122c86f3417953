/* senti-train - learn a rating predictor from labeled sparse lines: a
 * softmax over the rating classes whose expected value is the prediction
 * (Glorot et al. 2011), or a linear regression; with no hidden layer, random
 * hidden layers (--hidden), or pretrained DAE layers (--init) fine-tuned
 * together with the output layer.  Minibatch SGD, shuffled every epoch,
 * optional early stopping on validation RMSE.  --checkpoint saves the
 * network and the whole trainer state after every epoch, so that --resume
 * after an interruption ends with the same model bytes. */
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dae.h"
#include "kern.h"
#include "metrics.h"
#include "model.h"
#include "net.h"
#include "rng.h"
#include "sparse.h"

static struct {
    const char *model_path;
    const char *output;
    const char *hidden;
    const char *act;
    const char *init;
    int freeze;
    double l1, lr, decay;
    long batch, epochs, threads, patience;
    unsigned long long seed;
    const char *valid;
    const char *log;
    double l2, in_drop, drop;
    const char *checkpoint;
    int resume;
    long stop_after;
    long warm;
} opt = {NULL, "softmax", NULL, "relu", NULL, 0, 0.0, 0.01, 0.0, 10, 20, 1, 5, 1, NULL, NULL, 0.0, 0.0, 0.0,
         NULL, 0, 0, 0};

static void usage(void)
{
    printf("Usage: %s -o MODEL [OPTION]... [FILE]...\n"
           "Train a rating predictor on labeled sparse lines (files, or stdin when\n"
           "none or '-') and write it to MODEL.\n"
           "\n"
           "  -o, --model FILE       where to write the network model (required)\n"
           "      --output KIND      softmax (expected rating over the classes seen in\n"
           "                         training) or linear [%s]\n"
           "  -H, --hidden N[,N...]  random hidden layers of N units [none]\n"
           "  -a, --act A            activation of random hidden layers: relu, softplus,\n"
           "                         tanh, sigmoid [%s]\n"
           "  -i, --init L1[,L2...]  start from pretrained layer models (senti-pretrain),\n"
           "                         stacked in order, with their stored output scales\n"
           "      --freeze           keep the --init layers fixed; train the output only\n"
           "      --warm N           the first N epochs train the output only (the\n"
           "                         --init layers fixed), then every layer [%ld]\n"
           "      --l1 X             L1 penalty on hidden activations [%g]\n"
           "      --l2 X             L2 penalty on the weights (input layer: rows of the\n"
           "                         inputs present in each batch) [%g]\n"
           "      --in-drop P        dropout of input non-zeros during training [%g]\n"
           "      --drop P           dropout of hidden activations during training [%g]\n"
           "  -l, --lr X             SGD learning rate [%g]\n"
           "      --decay X          learning rate at epoch e is lr / (1 + decay * e) [%g]\n"
           "  -b, --batch N          minibatch size [%ld]\n"
           "  -E, --epochs N         epochs (passes over the data) [%ld]\n"
           "  -v, --valid FILE       labeled sparse lines for early stopping: the model\n"
           "                         kept is the one of lowest validation RMSE\n"
           "  -p, --patience N       stop after N epochs without a better validation RMSE\n"
           "                         [%ld]\n"
           "      --log FILE         TSV per epoch: epoch, seconds, train loss, train RMSE,\n"
           "                         valid RMSE, fraction of zero activations per layer\n"
           "  -s, --seed S           seed of initialisation and shuffling [%llu]\n"
           "  -t, --threads N        threads [%ld]\n"
           "      --checkpoint FILE  save the network and trainer state after every\n"
           "                         epoch [none]\n"
           "      --resume           continue from --checkpoint FILE (same data and\n"
           "                         options; the model bytes are those of an\n"
           "                         uninterrupted run)\n"
           "      --stop-after N     stop after N epochs of this run (checkpoint kept, no\n"
           "                         model written; for interruption tests) [off]\n"
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n",
           cli_prog, opt.output, opt.act, opt.warm, opt.l1, opt.l2, opt.in_drop, opt.drop, opt.lr, opt.decay, opt.batch, opt.epochs, opt.patience, opt.seed,
           opt.threads);
}

static uint32_t parse_act(const char *s)
{
    if (!strcmp(s, "relu")) return DAE_ACT_RELU;
    if (!strcmp(s, "softplus")) return DAE_ACT_SOFTPLUS;
    if (!strcmp(s, "tanh")) return DAE_ACT_TANH;
    if (!strcmp(s, "sigmoid")) return DAE_ACT_SIGMOID;
    die_usage("--act: unknown activation '%s' (relu, softplus, tanh, sigmoid)", s);
}

/* Read labeled sparse lines; every row must carry a label. */
static sparse_csr *read_labeled(const char *path, uint32_t limit, const char *want_vocab)
{
    FILE *f = xfopen(path, "r");
    const char *name = cli_name(path);
    sparse_reader *r = sparse_reader_new(f, name);
    sparse_csr *m = sparse_csr_new();
    if (!r || !m) die("out of memory");
    if (limit) sparse_reader_limit(r, limit);
    sparse_row row;
    int k;
    while ((k = sparse_next(r, &row)) == 1) {
        if (!row.has_label) die_at(name, sparse_reader_line(r), "unlabeled row ('?'): training needs ratings");
        if (sparse_csr_append(m, &row) < 0) die("out of memory");
    }
    if (k < 0) die("%s", sparse_reader_error(r));
    m->header = *sparse_reader_header(r);
    if (m->header.dim > m->dim) m->dim = m->header.dim;
    if (want_vocab && want_vocab[0] && m->header.vocab[0] && strcmp(want_vocab, m->header.vocab) != 0)
        die("%s: vocabulary digest %s differs from the model's %s", name, m->header.vocab, want_vocab);
    sparse_reader_free(r);
    xfclose(f, path);
    if (!m->rows) die("%s: no rows", name);
    return m;
}

/* Gather rows idx[0..B) of m into a batch CSR. */
typedef struct {
    size_t *ptr;
    uint32_t *col;
    float *val;
    double *y;
    size_t cap;
} batch_t;

static void gather(const sparse_csr *m, const size_t *idx, size_t B, batch_t *b)
{
    size_t nnz = 0;
    for (size_t i = 0; i < B; i++) nnz += m->rowptr[idx[i] + 1] - m->rowptr[idx[i]];
    if (nnz > b->cap) {
        b->cap = nnz * 2;
        b->col = xreallocarray(b->col, b->cap, sizeof *b->col);
        b->val = xreallocarray(b->val, b->cap, sizeof *b->val);
    }
    b->ptr[0] = 0;
    for (size_t i = 0; i < B; i++) {
        size_t a = m->rowptr[idx[i]], e = m->rowptr[idx[i] + 1];
        memcpy(b->col + b->ptr[i], m->col + a, (e - a) * sizeof *b->col);
        memcpy(b->val + b->ptr[i], m->val + a, (e - a) * sizeof *b->val);
        b->ptr[i + 1] = b->ptr[i] + (e - a);
        b->y[i] = m->label[idx[i]];
    }
}

/* RMSE of n over all rows of m, in batches. */
static double eval_rmse(const net *n, net_ws *ws, const sparse_csr *m, batch_t *b, double *pred)
{
    size_t idx[1024];
    double se = 0;
    for (size_t s = 0; s < m->rows; s += ws->maxb) {
        size_t B = m->rows - s < ws->maxb ? m->rows - s : ws->maxb;
        for (size_t i = 0; i < B; i++) idx[i] = s + i;
        gather(m, idx, B, b);
        net_forward(n, ws, B, b->ptr, b->col, b->val, pred);
        for (size_t i = 0; i < B; i++) se += (pred[i] - b->y[i]) * (pred[i] - b->y[i]);
    }
    return sqrt(se / (double)m->rows);
}

static void copy_params(net *dst, const net *src)
{
    for (int l = 0; l < src->nhidden; l++) {
        const net_layer *S = &src->hidden[l];
        memcpy(dst->hidden[l].W, S->W, (size_t)S->in * S->out * sizeof(float));
        memcpy(dst->hidden[l].b, S->b, S->out * sizeof(float));
    }
    uint32_t H = src->nhidden ? src->hidden[src->nhidden - 1].out : src->in_dim;
    memcpy(dst->Wo, src->Wo, (size_t)H * src->nclass * sizeof(float));
    memcpy(dst->bo, src->bo, src->nclass * sizeof(float));
}

/* ------------------------------------------------------------------------
 * checkpoints: a model of kind MODEL_KIND_NET_CHECKPOINT whose layers are
 * the current network's, then (with --valid) the best epoch's, and whose
 * extra bytes hold the trainer state (little-endian):
 *
 *   "NETTRN02", epoch, best epoch, epochs since the best, stopped (u32 each),
 *   best validation RMSE, seconds so far (f64), seed (u64), batch,
 *   threads, patience, freeze, warm epochs (u32), lr, decay, l1, l2, in-drop,
 *   drop (f64),
 *   rows, non-zeros, digest of the training data, the same of the
 *   validation data (u64), the shuffling and dropout generators (4 x u64
 *   each), then the --log text so far (u64 length + bytes).
 *
 * The shuffled order is not stored: --resume replays the shuffles from the
 * seed and checks that it reaches the stored generator state. */

#define CKPT_MAGIC "NETTRN02"
#define CKPT_MAGIC_V1 "NETTRN01" /* before --warm: refused by name */
#define CKPT_FIXED (8 + 4 * 4 + 2 * 8 + 8 + 5 * 4 + 6 * 8 + 6 * 8 + 8 * 8 + 8)

typedef struct ckpt {
    uint32_t epoch, best_epoch, since_best, stopped;
    double best_rmse, seconds;
    uint64_t seed;
    uint32_t batch, threads, patience, freeze, warm;
    double lr, decay, l1, l2, in_drop, drop;
    uint64_t rows, nnz, digest, vrows, vnnz, vdigest;
    rng_t shuf, drop_rng;
    const char *log; /* points into the checkpoint or the log buffer */
    uint64_t loglen;
} ckpt;

static unsigned char *put_u(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) *p++ = (unsigned char)(v >> (8 * i));
    return p;
}
static unsigned char *put_f(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return put_u(p, v, 8);
}
static uint64_t get_u(const unsigned char **p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)(*p)[i] << (8 * i);
    *p += bytes;
    return v;
}
static double get_f(const unsigned char **p)
{
    uint64_t v = get_u(p, 8);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* The state as extra bytes; caller frees. */
static unsigned char *ckpt_encode(const ckpt *c, size_t *len)
{
    *len = CKPT_FIXED + (size_t)c->loglen;
    unsigned char *buf = xmalloc(*len), *p = buf;
    memcpy(p, CKPT_MAGIC, 8);
    p += 8;
    p = put_u(p, c->epoch, 4);
    p = put_u(p, c->best_epoch, 4);
    p = put_u(p, c->since_best, 4);
    p = put_u(p, c->stopped, 4);
    p = put_f(p, c->best_rmse);
    p = put_f(p, c->seconds);
    p = put_u(p, c->seed, 8);
    p = put_u(p, c->batch, 4);
    p = put_u(p, c->threads, 4);
    p = put_u(p, c->patience, 4);
    p = put_u(p, c->freeze, 4);
    p = put_u(p, c->warm, 4);
    const double f[6] = {c->lr, c->decay, c->l1, c->l2, c->in_drop, c->drop};
    for (int i = 0; i < 6; i++) p = put_f(p, f[i]);
    const uint64_t u[6] = {c->rows, c->nnz, c->digest, c->vrows, c->vnnz, c->vdigest};
    for (int i = 0; i < 6; i++) p = put_u(p, u[i], 8);
    for (int i = 0; i < 4; i++) p = put_u(p, c->shuf.s[i], 8);
    for (int i = 0; i < 4; i++) p = put_u(p, c->drop_rng.s[i], 8);
    p = put_u(p, c->loglen, 8);
    if (c->loglen) memcpy(p, c->log, (size_t)c->loglen);
    return buf;
}

/* 0, -1 for a bad state, -2 for the older format (CKPT_MAGIC_V1) */
static int ckpt_decode(ckpt *c, const unsigned char *buf, size_t len)
{
    if (len >= 8 && memcmp(buf, CKPT_MAGIC_V1, 8) == 0) return -2;
    if (len < CKPT_FIXED || memcmp(buf, CKPT_MAGIC, 8) != 0) return -1;
    const unsigned char *p = buf + 8;
    c->epoch = (uint32_t)get_u(&p, 4);
    c->best_epoch = (uint32_t)get_u(&p, 4);
    c->since_best = (uint32_t)get_u(&p, 4);
    c->stopped = (uint32_t)get_u(&p, 4);
    c->best_rmse = get_f(&p);
    c->seconds = get_f(&p);
    c->seed = get_u(&p, 8);
    c->batch = (uint32_t)get_u(&p, 4);
    c->threads = (uint32_t)get_u(&p, 4);
    c->patience = (uint32_t)get_u(&p, 4);
    c->freeze = (uint32_t)get_u(&p, 4);
    c->warm = (uint32_t)get_u(&p, 4);
    double *f[6] = {&c->lr, &c->decay, &c->l1, &c->l2, &c->in_drop, &c->drop};
    for (int i = 0; i < 6; i++) *f[i] = get_f(&p);
    uint64_t *u[6] = {&c->rows, &c->nnz, &c->digest, &c->vrows, &c->vnnz, &c->vdigest};
    for (int i = 0; i < 6; i++) *u[i] = get_u(&p, 8);
    for (int i = 0; i < 4; i++) c->shuf.s[i] = get_u(&p, 8);
    for (int i = 0; i < 4; i++) c->drop_rng.s[i] = get_u(&p, 8);
    c->loglen = get_u(&p, 8);
    if (c->loglen != len - CKPT_FIXED || c->stopped > 1) return -1;
    c->log = (const char *)p;
    return 0;
}

/* FNV-1a 64 of a matrix's rows, values and labels. */
static uint64_t data_digest(const sparse_csr *m)
{
    if (!m) return 0;
    uint64_t h = MODEL_FNV_INIT;
    h = model_fnv1a(h, m->rowptr, (m->rows + 1) * sizeof *m->rowptr);
    h = model_fnv1a(h, m->col, m->nnz * sizeof *m->col);
    h = model_fnv1a(h, m->val, m->nnz * sizeof *m->val);
    h = model_fnv1a(h, m->label, m->rows * sizeof *m->label);
    return h;
}

/* Move the layers of src to the end of dst (src keeps none). */
static void append_layers(model *dst, model *src)
{
    dst->layers = xreallocarray(dst->layers, dst->nlayers + src->nlayers, sizeof *dst->layers);
    memcpy(dst->layers + dst->nlayers, src->layers, src->nlayers * sizeof *src->layers);
    dst->nlayers += src->nlayers;
    src->nlayers = 0;
}

static void write_checkpoint(const net *n, const net *best, const ckpt *c, const char *cmd)
{
    model *m = net_to_model(n, cmd);
    if (!m) die("out of memory");
    if (best) {
        model *b = net_to_model(best, cmd);
        if (!b) die("out of memory");
        append_layers(m, b);
        model_free(b);
    }
    m->kind = MODEL_KIND_NET_CHECKPOINT;
    size_t len;
    unsigned char *extra = ckpt_encode(c, &len);
    if (model_set_extra(m, extra, len) < 0) die("out of memory");
    free(extra);
    cli_out *o = cli_out_open(opt.checkpoint);
    if (model_write(o->f, m) < 0) cli_out_die(o);
    cli_out_commit(o);
    model_free(m);
}

/* Copy into dst the parameters of the network stored in layers
 * [first, first + count) of the checkpoint m, after checking that it has
 * dst's shape. */
static void load_params(net *dst, const model *m, uint32_t first, uint32_t count)
{
    model view = *m;
    view.kind = MODEL_KIND_NETWORK;
    view.layers = m->layers + first;
    view.nlayers = count;
    char err[MODEL_ERR_LEN];
    net *src = net_from_model(&view, err, sizeof err);
    if (!src) die("%s: %s", opt.checkpoint, err);
    int same = src->in_dim == dst->in_dim && src->nhidden == dst->nhidden && src->output == dst->output &&
               src->nclass == dst->nclass;
    for (int l = 0; same && l < src->nhidden; l++)
        same = src->hidden[l].in == dst->hidden[l].in && src->hidden[l].out == dst->hidden[l].out &&
               src->hidden[l].act == dst->hidden[l].act && !src->hidden[l].scale == !dst->hidden[l].scale;
    for (uint32_t k = 0; same && k < src->nclass; k++) same = src->classes[k] == (double)(float)dst->classes[k];
    if (!same) die("--resume: the network in %s differs from the one these options and data make", opt.checkpoint);
    copy_params(dst, src);
    for (int l = 0; l < src->nhidden; l++)
        if (src->hidden[l].scale) memcpy(dst->hidden[l].scale, src->hidden[l].scale, src->hidden[l].out * sizeof(float));
    net_free(src);
}

static void same_setting(const char *what, double now, double then)
{
    if (now != then && !(isnan(now) && isnan(then)))
        die("--resume: %s is %g here but %g in the checkpoint %s", what, now, then, opt.checkpoint);
}

/* A growing text (the --log lines, kept for checkpoints). */
typedef struct {
    char *p;
    size_t len, cap;
} strbuf;

CLI_PRINTF(2, 3) static void sb_printf(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) die("out of memory");
        if (b->p && b->len + (size_t)k < b->cap) {
            b->len += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
}

int main(int argc, char **argv)
{
    cli_init("senti-train");
    /* before getopt reorders argv; the checkpoint options do not change the
     * result, so they are not recorded */
    static const char *const nonresult[] = {"--checkpoint=", "--resume", "--stop-after=", NULL};
    char *cmd = cli_cmdline(argc, argv, nonresult);
    enum { O_OUTPUT = 256, O_FREEZE, O_WARM, O_L1, O_DECAY, O_LOG, O_L2, O_INDROP, O_DROP, O_CKPT, O_RESUME, O_STOP };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'o'},   {"output", required_argument, 0, O_OUTPUT},
        {"hidden", required_argument, 0, 'H'},  {"act", required_argument, 0, 'a'},
        {"init", required_argument, 0, 'i'},    {"freeze", no_argument, 0, O_FREEZE},
        {"warm", required_argument, 0, O_WARM},
        {"l1", required_argument, 0, O_L1},     {"lr", required_argument, 0, 'l'},
        {"l2", required_argument, 0, O_L2},     {"in-drop", required_argument, 0, O_INDROP},
        {"drop", required_argument, 0, O_DROP},
        {"decay", required_argument, 0, O_DECAY}, {"batch", required_argument, 0, 'b'},
        {"epochs", required_argument, 0, 'E'},  {"valid", required_argument, 0, 'v'},
        {"patience", required_argument, 0, 'p'}, {"log", required_argument, 0, O_LOG},
        {"seed", required_argument, 0, 's'},    {"threads", required_argument, 0, 't'},
        {"checkpoint", required_argument, 0, O_CKPT}, {"resume", no_argument, 0, O_RESUME},
        {"stop-after", required_argument, 0, O_STOP},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},       {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:H:a:i:l:b:E:v:p:s:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'o': opt.model_path = optarg; break;
        case O_OUTPUT:
            if (strcmp(optarg, "softmax") && strcmp(optarg, "linear"))
                die_usage("--output: '%s' is neither softmax nor linear", optarg);
            opt.output = optarg;
            break;
        case 'H': opt.hidden = optarg; break;
        case 'a': opt.act = optarg; break;
        case 'i': opt.init = optarg; break;
        case O_FREEZE: opt.freeze = 1; break;
        case O_WARM: opt.warm = cli_parse_long("--warm", optarg, 0, 1000000); break;
        case O_L1: opt.l1 = cli_parse_double("--l1", optarg, 0, 1e6); break;
        case O_L2: opt.l2 = cli_parse_double("--l2", optarg, 0, 1e6); break;
        case O_INDROP: opt.in_drop = cli_parse_double("--in-drop", optarg, 0, 0.99); break;
        case O_DROP: opt.drop = cli_parse_double("--drop", optarg, 0, 0.99); break;
        case 'l': opt.lr = cli_parse_double("--lr", optarg, 0, 1e6); break;
        case O_DECAY: opt.decay = cli_parse_double("--decay", optarg, 0, 1e6); break;
        case 'b': opt.batch = cli_parse_long("--batch", optarg, 1, 1024); break;
        case 'E': opt.epochs = cli_parse_long("--epochs", optarg, 0, 1000000); break;
        case 'v': opt.valid = optarg; break;
        case 'p': opt.patience = cli_parse_long("--patience", optarg, 1, 1000000); break;
        case O_LOG: opt.log = optarg; break;
        case O_CKPT: opt.checkpoint = optarg; break;
        case O_RESUME: opt.resume = 1; break;
        case O_STOP: opt.stop_after = cli_parse_long("--stop-after", optarg, 1, 1000000); break;
        case 's': opt.seed = cli_parse_u64("--seed", optarg); break;
        case 't': opt.threads = cli_parse_long("--threads", optarg, 1, 256); break;
        case 'q': cli_quiet = 1; break;
        case 'h': free(cmd); usage(); cli_close_stdout(); return 0;
        case 'V': free(cmd); cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!opt.model_path) die_usage("no model file given (-o FILE)");
    if (opt.hidden && opt.init) die_usage("--hidden and --init exclude each other");
    if (opt.freeze && !opt.init) die_usage("--freeze needs --init");
    if (opt.warm && !opt.init) die_usage("--warm needs --init");
    if (opt.warm && opt.freeze) die_usage("--warm and --freeze exclude each other");
    if (opt.resume && !opt.checkpoint) die_usage("--resume needs --checkpoint FILE");
    if (opt.stop_after && !opt.checkpoint) die_usage("--stop-after needs --checkpoint FILE");
    uint32_t act = parse_act(opt.act);
    if (optind < argc - 1) die_usage("one training file at most (concatenate with senti-cat)");
    const char *train_path = optind < argc ? argv[optind] : "-";
    /* the outputs before any input: one that cannot be written or that
     * collides with another or with an input fails now, not after training */
    cli_out *model_out = cli_out_open(opt.model_path);
    cli_out *logo = opt.log ? cli_out_open(opt.log) : NULL;
    if (opt.checkpoint) cli_out_check(opt.checkpoint);
    kern_threads((int)opt.threads);

    /* pretrained layers first: they fix the input dimension */
    int nh = 0;
    uint32_t sizes[MODEL_MAX_LAYERS], acts[MODEL_MAX_LAYERS];
    model *layers[MODEL_MAX_LAYERS];
    char vocab[17] = "";
    if (opt.init) {
        char *list = xstrdup(opt.init), *save = NULL;
        for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            if (nh == MODEL_MAX_LAYERS) die_usage("--init: too many layers");
            char err[MODEL_ERR_LEN];
            cli_input_add(p);
            model *m = model_load(p, MODEL_KIND_LAYER, err, sizeof err);
            if (!m) die("%s", err);
            if (m->nlayers != 1) die("%s: expected one layer, found %u", p, m->nlayers);
            const model_layer *L = &m->layers[0];
            if (nh > 0 && L->in_dim != sizes[nh - 1])
                die("%s: input dimension %u does not match the %u units of the layer below", p, L->in_dim,
                    sizes[nh - 1]);
            if (nh == 0) memcpy(vocab, m->vocab, sizeof vocab);
            sizes[nh] = L->out_dim;
            acts[nh] = L->act;
            layers[nh++] = m;
        }
        free(list);
    } else if (opt.hidden) {
        const char *p = opt.hidden;
        while (*p) {
            char *e;
            long v = strtol(p, &e, 10);
            if (e == p || v < 1 || v > 1000000 || (*e && *e != ',')) die_usage("--hidden: bad layer sizes '%s'", opt.hidden);
            if (nh == MODEL_MAX_LAYERS) die_usage("--hidden: too many layers");
            sizes[nh] = (uint32_t)v;
            acts[nh++] = act;
            p = *e ? e + 1 : e;
        }
    }
    if (opt.drop > 0 && nh == 0) die_usage("--drop needs hidden layers (--hidden or --init)");
    uint32_t limit = nh && opt.init ? layers[0]->layers[0].in_dim : 0;
    sparse_csr *train = read_labeled(train_path, limit, vocab);
    if (!vocab[0]) memcpy(vocab, train->header.vocab, sizeof vocab);
    uint32_t in_dim = limit ? limit : train->dim;
    sparse_csr *valid = opt.valid ? read_labeled(opt.valid, in_dim, vocab) : NULL;

    /* classes: the distinct training ratings */
    double *classes = xmallocarray(train->rows, sizeof *classes);
    uint32_t K = (uint32_t)metrics_classes(train->label, train->rows, classes);
    int output = strcmp(opt.output, "linear") == 0 ? NET_OUT_LINEAR : NET_OUT_SOFTMAX;
    if (output == NET_OUT_SOFTMAX && K < 2) die("%s: only one rating (%g) in the training data", cli_name(train_path), classes[0]);

    {
        /* the parameters, their copy in the model written at the end, the
         * best epoch's copy with --valid, and two workspaces' counters of
         * the input dimension */
        double params = 0;
        uint32_t below = in_dim;
        for (int l = 0; l < nh; l++) {
            params += (double)below * sizes[l] + sizes[l];
            below = sizes[l];
        }
        params += (double)below * K + K;
        char what[160];
        snprintf(what, sizeof what, "%s: a network of %.0f parameters (input dimension %u)",
                 cli_name(train_path), params, in_dim);
        cli_check_memory(4.0 * params * (valid ? 3 : 2) + 8.0 * in_dim, what);
    }
    rng_t ginit, gshuf, gdrop;
    rng_seed(&ginit, opt.seed, 0);
    rng_seed(&gshuf, opt.seed, 1);
    rng_seed(&gdrop, opt.seed, 2);
    net *n = net_new(in_dim, nh, sizes, acts, output, K, classes, (float)opt.l1, &ginit);
    if (!n) die("out of memory");
    memcpy(n->vocab, vocab, sizeof vocab);
    for (int l = 0; opt.init && l < nh; l++) {
        char err[MODEL_ERR_LEN];
        if (net_load_layer(n, l, &layers[l]->layers[0], err, sizeof err) < 0) die("--init layer %d: %s", l + 1, err);
        model_free(layers[l]);
    }
    /* output bias: log class priors (softmax) or the mean rating (linear) */
    {
        double mean = 0;
        for (size_t i = 0; i < train->rows; i++) mean += train->label[i];
        mean /= (double)train->rows;
        if (output == NET_OUT_LINEAR) {
            n->bo[0] = (float)mean;
        } else {
            for (uint32_t k = 0; k < K; k++) {
                size_t cnt = 0;
                for (size_t i = 0; i < train->rows; i++) cnt += train->label[i] == classes[k];
                n->bo[k] = (float)log((double)cnt / (double)train->rows);
            }
        }
    }
    free(classes);

    size_t maxb = (size_t)opt.batch;
    size_t evalb = 256;
    net_ws *ws = net_ws_new(n, maxb), *wse = net_ws_new(n, evalb);
    net *best = valid ? net_clone_zero(n) : NULL;
    if (!ws || !wse || (valid && !best)) die("out of memory");
    if (best) copy_params(best, n);
    batch_t bt = {xmallocarray(evalb + 1, sizeof(size_t)), NULL, NULL, xmallocarray(evalb, sizeof(double)), 0};
    double *pred = xmallocarray(evalb, sizeof *pred);
    size_t *order = xmallocarray(train->rows, sizeof *order);
    for (size_t i = 0; i < train->rows; i++) order[i] = i;

    /* trainer state: fresh, or from the checkpoint */
    ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.best_rmse = INFINITY;
    ck.seed = opt.seed;
    ck.batch = (uint32_t)opt.batch;
    ck.threads = (uint32_t)opt.threads;
    ck.patience = (uint32_t)opt.patience;
    ck.freeze = (uint32_t)opt.freeze;
    ck.warm = (uint32_t)opt.warm;
    ck.lr = opt.lr;
    ck.decay = opt.decay;
    ck.l1 = opt.l1;
    ck.l2 = opt.l2;
    ck.in_drop = opt.in_drop;
    ck.drop = opt.drop;
    ck.rows = train->rows;
    ck.nnz = train->nnz;
    ck.digest = data_digest(train);
    ck.vrows = valid ? valid->rows : 0;
    ck.vnnz = valid ? valid->nnz : 0;
    ck.vdigest = data_digest(valid);
    if (opt.checkpoint && valid && 2 * (nh + 1) > MODEL_MAX_LAYERS)
        die_usage("--checkpoint with --valid keeps at most %d hidden layers", MODEL_MAX_LAYERS / 2 - 1);
    strbuf logtext = {NULL, 0, 0};
    if (opt.resume) {
        char err[MODEL_ERR_LEN];
        model *cm = model_load(opt.checkpoint, MODEL_KIND_NET_CHECKPOINT, err, sizeof err);
        if (!cm) die("%s", err);
        ckpt saved;
        int dc = ckpt_decode(&saved, cm->extra, cm->extra_len);
        if (dc == -2)
            die("%s: a checkpoint of an older senti-train (trainer state %s, before --warm): train again "
                "without --resume", opt.checkpoint, CKPT_MAGIC_V1);
        if (dc != 0) die("%s: not a senti-train checkpoint (bad trainer state)", opt.checkpoint);
        same_setting("--seed", (double)opt.seed, (double)saved.seed);
        same_setting("--batch", (double)opt.batch, saved.batch);
        same_setting("--threads", (double)opt.threads, saved.threads);
        same_setting("--patience", (double)opt.patience, saved.patience);
        same_setting("--freeze", opt.freeze, saved.freeze);
        same_setting("--warm", (double)opt.warm, saved.warm);
        same_setting("--lr", opt.lr, saved.lr);
        same_setting("--decay", opt.decay, saved.decay);
        same_setting("--l1", opt.l1, saved.l1);
        same_setting("--l2", opt.l2, saved.l2);
        same_setting("--in-drop", opt.in_drop, saved.in_drop);
        same_setting("--drop", opt.drop, saved.drop);
        if (saved.rows != ck.rows || saved.nnz != ck.nnz || saved.digest != ck.digest)
            die("--resume: the training data differ from those the checkpoint %s was trained on", opt.checkpoint);
        if (saved.vrows != ck.vrows || saved.vnnz != ck.vnnz || saved.vdigest != ck.vdigest)
            die("--resume: the validation data differ from those of the checkpoint %s", opt.checkpoint);
        uint32_t per = (uint32_t)nh + 1;
        if (cm->nlayers != per * (valid ? 2 : 1))
            die("--resume: the network in %s differs from the one these options and data make", opt.checkpoint);
        if (strcmp(cm->vocab, n->vocab) != 0)
            die("--resume: vocabulary digest differs from the checkpoint %s", opt.checkpoint);
        load_params(n, cm, 0, per);
        if (valid) load_params(best, cm, per, per);
        /* the order of the rows after saved.epoch shuffles (a checkpoint
         * beyond --epochs is refused first: the model asked for is not in
         * it, and a crafted epoch count would replay shuffles for hours) */
        if (saved.epoch > opt.epochs)
            die("--resume: %s is after epoch %u, beyond --epochs %ld", opt.checkpoint, saved.epoch,
                (long)opt.epochs);
        for (uint32_t e = 0; e < saved.epoch; e++) rng_shuffle_size(&gshuf, order, train->rows);
        if (memcmp(&gshuf, &saved.shuf, sizeof gshuf) != 0)
            die("%s: the stored shuffling state does not follow from the seed (corrupted checkpoint?)",
                opt.checkpoint);
        gdrop = saved.drop_rng;
        ck.epoch = saved.epoch;
        ck.best_epoch = saved.best_epoch;
        ck.since_best = saved.since_best;
        ck.stopped = saved.stopped;
        ck.best_rmse = saved.best_rmse;
        ck.seconds = saved.seconds;
        if (saved.loglen) {
            logtext.p = xmalloc((size_t)saved.loglen + 1);
            memcpy(logtext.p, saved.log, (size_t)saved.loglen);
            logtext.len = (size_t)saved.loglen;
            logtext.cap = logtext.len + 1;
        }
        model_free(cm);
        note("resuming %s after epoch %u", opt.checkpoint, ck.epoch);
    }
    if (!logtext.len) {
        sb_printf(&logtext, "epoch\tseconds\ttrain_loss\ttrain_rmse\tvalid_rmse");
        for (int l = 0; l < nh; l++) sb_printf(&logtext, "\tzero_frac_%d", l + 1);
        sb_printf(&logtext, "\n");
    }
    FILE *logf = NULL;
    if (logo) {
        logf = logo->f;
        if (fwrite(logtext.p, 1, logtext.len, logf) != logtext.len) cli_out_die(logo);
    }
    double t0 = cli_seconds() - ck.seconds;
    double *zf = xcalloc((size_t)(nh ? nh : 1), sizeof *zf);
    long run = 0;
    int interrupted = 0; /* --stop-after: the checkpoint is kept, no model written */
    for (long e = (long)ck.epoch + 1; e <= opt.epochs && !ck.stopped; e++) {
        rng_shuffle_size(&gshuf, order, train->rows);
        double te = cli_seconds();
        /* which --init layers train this epoch (--freeze: none; --warm:
         * none yet, so that a new output layer learns on the pretrained
         * features before its first gradients reach and disturb them) */
        for (int l = 0; opt.init && l < nh; l++) n->hidden[l].frozen = opt.freeze || e <= opt.warm;
        net_train_cfg cfg = {(float)(opt.lr / (1.0 + opt.decay * (double)(e - 1))), (float)opt.l2,
                             (float)opt.in_drop, nh ? (float)opt.drop : 0.0f, &gdrop};
        double loss = 0, se = 0;
        size_t nb = 0;
        for (int l = 0; l < nh; l++) zf[l] = 0;
        for (size_t s = 0; s < train->rows; s += maxb) {
            size_t B = train->rows - s < maxb ? train->rows - s : maxb;
            gather(train, order + s, B, &bt);
            double bl = net_train_batch(n, ws, B, bt.ptr, bt.col, bt.val, bt.y, &cfg, NULL);
            if (bl < 0) die("out of memory");
            loss += bl;
            /* predictions of the forward pass that preceded the update */
            for (size_t i = 0; i < B; i++) {
                double p = 0;
                if (output == NET_OUT_LINEAR) p = ws->O[i];
                else
                    for (uint32_t k = 0; k < K; k++) p += ws->O[i * K + k] * n->classes[k];
                se += (p - bt.y[i]) * (p - bt.y[i]);
            }
            for (int l = 0; l < nh; l++) zf[l] += net_zero_fraction(n, ws, l, B);
            nb++;
            if ((nb & 255) == 0)
                cli_progress("epoch %ld/%ld  %zu/%zu  %.0f ex/s  loss %.4f", e, opt.epochs, s + B, train->rows,
                             (double)(s + B) / (cli_seconds() - te + 1e-9), loss / (double)(s + B));
        }
        double tr_rmse = sqrt(se / (double)train->rows);
        /* the clamped cross-entropy can stay finite while the outputs are
         * NaN; the squared errors cannot */
        if (!isfinite(loss) || !isfinite(tr_rmse))
            die("training diverged at epoch %ld (loss %g, train RMSE %g): lower --lr", e, loss, tr_rmse);
        double va_rmse = valid ? eval_rmse(n, wse, valid, &bt, pred) : NAN;
        if (valid && !isfinite(va_rmse)) die("training diverged at epoch %ld (valid RMSE %g): lower --lr", e, va_rmse);
        double secs = cli_seconds() - t0;
        size_t mark = logtext.len;
        sb_printf(&logtext, "%ld\t%.3f\t%.6f\t%.6f\t%.6f", e, secs, loss / (double)train->rows, tr_rmse, va_rmse);
        for (int l = 0; l < nh; l++) sb_printf(&logtext, "\t%.6f", zf[l] / (double)nb);
        sb_printf(&logtext, "\n");
        if (logf) {
            size_t k = logtext.len - mark;
            if (fwrite(logtext.p + mark, 1, k, logf) != k || fflush(logf) != 0 || ferror(logf)) cli_out_die(logo);
        }
        cli_progress("epoch %ld/%ld  loss %.4f  train RMSE %.4f  valid RMSE %.4f  %.1f s", e, opt.epochs,
                     loss / (double)train->rows, tr_rmse, va_rmse, secs);
        if (valid) {
            if (va_rmse < ck.best_rmse) {
                ck.best_rmse = va_rmse;
                ck.best_epoch = (uint32_t)e;
                ck.since_best = 0;
                copy_params(best, n);
            } else if (++ck.since_best >= (uint32_t)opt.patience) {
                ck.stopped = 1;
            }
        }
        ck.epoch = (uint32_t)e;
        if (opt.checkpoint) {
            ck.seconds = secs;
            ck.shuf = gshuf;
            ck.drop_rng = gdrop;
            ck.log = logtext.p;
            ck.loglen = logtext.len;
            write_checkpoint(n, best, &ck, cmd);
        }
        if (opt.stop_after && ++run >= opt.stop_after && e < opt.epochs && !ck.stopped) {
            interrupted = 1;
            break;
        }
    }
    cli_progress_end();
    if (interrupted) {
        note("stopped after epoch %u; continue with --resume", ck.epoch);
    } else if (valid) {
        copy_params(n, best);
        note("best validation RMSE %.6f at epoch %u", ck.best_rmse, ck.best_epoch);
    }
    if (logo) cli_out_commit(logo);
    free(logtext.p);

    if (!interrupted) {
        model *m = net_to_model(n, cmd);
        if (!m) die("out of memory");
        if (model_write(model_out->f, m) < 0) cli_out_die(model_out);
        cli_out_commit(model_out);
        model_free(m);
    } else {
        cli_out_abort(model_out);
    }
    free(cmd);
    free(zf);
    free(order);
    free(pred);
    free(bt.ptr);
    free(bt.col);
    free(bt.val);
    free(bt.y);
    net_ws_free(ws);
    net_ws_free(wse);
    net_free(best);
    net_free(n);
    sparse_csr_free(train);
    sparse_csr_free(valid);
    cli_close_stdout();
    return 0;
}
