/* senti-train - learn a rating predictor from labeled sparse lines: a
 * softmax over the rating classes whose expected value is the prediction
 * (Glorot et al. 2011), or a linear regression; with no hidden layer, random
 * hidden layers (--hidden), or pretrained DAE layers (--init) fine-tuned
 * together with the output layer.  Minibatch SGD, shuffled every epoch,
 * optional early stopping on validation RMSE. */
#include <getopt.h>
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
} opt = {NULL, "softmax", NULL, "relu", NULL, 0, 0.0, 0.01, 0.0, 10, 20, 1, 5, 1, NULL, NULL, 0.0, 0.0, 0.0};

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
           "  -q, --quiet            no progress line\n"
           "      --help             show this help and exit\n"
           "      --version          show the version and exit\n",
           cli_prog, opt.output, opt.act, opt.l1, opt.l2, opt.in_drop, opt.drop, opt.lr, opt.decay, opt.batch, opt.epochs, opt.patience, opt.seed,
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

int main(int argc, char **argv)
{
    cli_init("senti-train");
    char *cmd = cli_cmdline(argc, argv, NULL); /* before getopt reorders argv */
    enum { O_OUTPUT = 256, O_FREEZE, O_L1, O_DECAY, O_LOG, O_L2, O_INDROP, O_DROP };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'o'},   {"output", required_argument, 0, O_OUTPUT},
        {"hidden", required_argument, 0, 'H'},  {"act", required_argument, 0, 'a'},
        {"init", required_argument, 0, 'i'},    {"freeze", no_argument, 0, O_FREEZE},
        {"l1", required_argument, 0, O_L1},     {"lr", required_argument, 0, 'l'},
        {"l2", required_argument, 0, O_L2},     {"in-drop", required_argument, 0, O_INDROP},
        {"drop", required_argument, 0, O_DROP},
        {"decay", required_argument, 0, O_DECAY}, {"batch", required_argument, 0, 'b'},
        {"epochs", required_argument, 0, 'E'},  {"valid", required_argument, 0, 'v'},
        {"patience", required_argument, 0, 'p'}, {"log", required_argument, 0, O_LOG},
        {"seed", required_argument, 0, 's'},    {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},       {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:H:a:i:l:b:E:v:p:s:t:q", opts, NULL)) != -1) {
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
    uint32_t act = parse_act(opt.act);
    if (optind < argc - 1) die_usage("one training file at most (concatenate with senti-cat)");
    const char *train_path = optind < argc ? argv[optind] : "-";
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
        n->hidden[l].frozen = opt.freeze;
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

    FILE *logf = NULL;
    cli_out *logo = NULL;
    if (opt.log) {
        logo = cli_out_open(opt.log);
        logf = logo->f;
        fprintf(logf, "epoch\tseconds\ttrain_loss\ttrain_rmse\tvalid_rmse");
        for (int l = 0; l < nh; l++) fprintf(logf, "\tzero_frac_%d", l + 1);
        fputc('\n', logf);
    }
    double t0 = cli_seconds(), best_rmse = INFINITY;
    long best_epoch = 0, since_best = 0;
    double *zf = xcalloc((size_t)(nh ? nh : 1), sizeof *zf);
    for (long e = 1; e <= opt.epochs; e++) {
        rng_shuffle_size(&gshuf, order, train->rows);
        double te = cli_seconds();
        net_train_cfg cfg = {(float)(opt.lr / (1.0 + opt.decay * (double)(e - 1))), (float)opt.l2,
                             (float)opt.in_drop, nh ? (float)opt.drop : 0.0f, &gdrop};
        double loss = 0, se = 0;
        size_t nb = 0;
        for (int l = 0; l < nh; l++) zf[l] = 0;
        for (size_t s = 0; s < train->rows; s += maxb) {
            size_t B = train->rows - s < maxb ? train->rows - s : maxb;
            gather(train, order + s, B, &bt);
            double bl = net_train_batch(n, ws, B, bt.ptr, bt.col, bt.val, bt.y, &cfg, NULL);
            if (isnan(bl)) die("out of memory");
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
        if (!isfinite(loss)) die("training diverged at epoch %ld (loss %g): lower --lr", e, loss);
        double tr_rmse = sqrt(se / (double)train->rows);
        double va_rmse = valid ? eval_rmse(n, wse, valid, &bt, pred) : NAN;
        double secs = cli_seconds() - t0;
        if (logf) {
            fprintf(logf, "%ld\t%.3f\t%.6f\t%.6f\t%.6f", e, secs, loss / (double)train->rows, tr_rmse, va_rmse);
            for (int l = 0; l < nh; l++) fprintf(logf, "\t%.6f", zf[l] / (double)nb);
            fputc('\n', logf);
            if (fflush(logf) != 0 || ferror(logf)) cli_out_die(logo);
        }
        cli_progress("epoch %ld/%ld  loss %.4f  train RMSE %.4f  valid RMSE %.4f  %.1f s", e, opt.epochs,
                     loss / (double)train->rows, tr_rmse, va_rmse, secs);
        if (valid) {
            if (va_rmse < best_rmse) {
                best_rmse = va_rmse;
                best_epoch = e;
                since_best = 0;
                copy_params(best, n);
            } else if (++since_best >= opt.patience) {
                break;
            }
        }
    }
    cli_progress_end();
    if (valid) {
        copy_params(n, best);
        note("best validation RMSE %.6f at epoch %ld", best_rmse, best_epoch);
    }
    if (logo) cli_out_commit(logo);

    model *m = net_to_model(n, cmd);
    free(cmd);
    if (!m) die("out of memory");
    cli_out *o = cli_out_open(opt.model_path);
    if (model_write(o->f, m) < 0) cli_out_die(o);
    cli_out_commit(o);

    model_free(m);
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
