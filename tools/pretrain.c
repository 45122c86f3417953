/* senti-pretrain - learn one denoising-autoencoder layer from sparse lines
 * (labels ignored) and write it as a layer model (docs/dae.md).
 *
 * The input is held in memory as CSR, so several epochs work from a pipe.
 * Every epoch shuffles the rows with the seeded generator and runs SGD on
 * minibatches; --checkpoint saves the layer and the trainer state after each
 * epoch so that --resume continues to the same final bytes. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dae.h"
#include "kern.h"
#include "model.h"
#include "rng.h"
#include "sparse.h"

/* ------------------------------------------------------------------------
 * options */

static struct {
    long hidden, batch, epochs, threads, stop_after;
    double lr;
    unsigned long long seed;
    const char *output, *valid, *log, *checkpoint, *init;
    int resume, kernel;
    dae_config cfg;
} opt = {5000, 10, 10, 1, 0, 0.01, 1, NULL, NULL, NULL, NULL, NULL, 0, DAE_KERNEL_AUTO, {0}};

static char *cmdline;  /* as recorded in the model */

static void usage(void)
{
    const dae_config *c = &opt.cfg;
    printf("Usage: %s -o MODEL [OPTION]... [FILE]...\n"
           "Learn one denoising-autoencoder layer from sparse lines (files, or stdin\n"
           "when none or '-'; labels are ignored) and write it to MODEL.\n"
           "\n"
           "  -o, --output FILE      layer model to write ('-' = stdout) [required]\n"
           "  -H, --hidden N         hidden units [%ld]\n"
           "  -a, --act NAME         hidden activation: relu, softplus, tanh, sigmoid [%s]\n"
           "  -n, --noise SPEC       sp:P (salt-and-pepper), mask:P, gauss:S or none [%s:%g]\n"
           "  -e, --emphasis A,B     loss weights on corrupted, untouched inputs [%g,%g]\n"
           "  -r, --recon NAME       reconstruction: sigmoid-ce, linear-se, softplus-se,\n"
           "                         relu-se [%s]\n"
           "      --l1 L             L1 penalty on hidden activations [%g]\n"
           "      --tied             decoder weights = encoder weights [untied]\n"
           "  -l, --lr R             learning rate (SGD on the batch mean) [%g]\n"
           "  -b, --batch N          minibatch size [%ld]\n"
           "  -E, --epochs N         epochs [%ld]\n"
           "  -s, --seed S           seed of initialisation, shuffling, noise, sampling [%llu]\n"
           "  -t, --threads N        threads (OpenBLAS and own kernels) [%ld]\n"
           "  -k, --sample-zeros K   reconstruction sampling: the non-zero and corrupted\n"
           "                         inputs plus K sampled zeros, importance-weighted\n"
           "                         (0 = full reconstruction) [%u]\n"
           "      --observed-only    loss only on non-zero (known) inputs\n"
           "      --valid FILE       report the reconstruction loss on FILE every epoch\n"
           "      --log FILE         TSV per epoch: epoch, seconds, train loss,\n"
           "                         valid loss, fraction of zero hidden units\n"
           "      --checkpoint FILE  save layer + trainer state after every epoch\n"
           "      --resume           continue from --checkpoint FILE\n"
           "      --init LAYER       start from the parameters of a layer model of the\n"
           "                         same shape, activation and tying (other settings\n"
           "                         may differ; ignored with --resume) [random]\n"
           "      --stop-after N     stop after N epochs of this run (checkpoint kept,\n"
           "                         no model written; for interruption tests) [off]\n"
           "      --kernel NAME      decoder kernel: auto, gemm, rows [auto]\n"
           "  -q, --quiet            no progress or notes on stderr\n"
           "  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n"
           "\n"
           "The same input, options, seed and thread count give the same model bytes.\n",
           cli_prog, opt.hidden, dae_act_name(c->act), dae_noise_name(c->noise),
           (double)c->noise_level, (double)c->emph_a, (double)c->emph_b,
           dae_recon_name(c->recon), (double)c->l1, opt.lr, opt.batch, opt.epochs, opt.seed,
           opt.threads, c->sample_zeros);
}

/* ------------------------------------------------------------------------
 * input */

/* Read files (or stdin) into m; vocab gets the common digest ("" if none);
 * returns the declared dim (0 if none). */
static uint32_t read_data(sparse_csr *m, int nfiles, const char **files, uint32_t limit, char *vocab)
{
    uint32_t dim = 0;
    vocab[0] = 0;
    for (int i = 0; i < nfiles; i++) {
        FILE *f = xfopen(files[i], "r");
        sparse_reader *r = sparse_reader_new(f, cli_name(files[i]));
        if (!r) die("out of memory");
        if (limit) sparse_reader_limit(r, limit);
        if (sparse_csr_read(m, r) < 0) die("%s", sparse_reader_error(r));
        const sparse_header *h = sparse_reader_header(r);
        if (h->vocab[0]) {
            if (vocab[0] && strcmp(vocab, h->vocab) != 0)
                die("%s: vocabulary digest %s differs from %s in the files before it",
                    cli_name(files[i]), h->vocab, vocab);
            strcpy(vocab, h->vocab);
        }
        if (h->dim > dim) dim = h->dim;
        sparse_reader_free(r);
        xfclose(f, files[i]);
    }
    return dim;
}

static uint64_t data_digest(const sparse_csr *m)
{
    uint64_t h = MODEL_FNV_INIT;
    h = model_fnv1a(h, m->rowptr, (m->rows + 1) * sizeof *m->rowptr);
    h = model_fnv1a(h, m->col, m->nnz * sizeof *m->col);
    h = model_fnv1a(h, m->val, m->nnz * sizeof *m->val);
    return h;
}

/* ------------------------------------------------------------------------
 * checkpoint state in the model's extra bytes (little-endian) */

#define CKPT_MAGIC "DAETRN01"
#define CKPT_LEN (8 + 4 * 4 + 8 * 4 + 12 * 8)

typedef struct ckpt {
    uint32_t epoch, batch, threads;
    float lr;
    uint64_t seed, rows, nnz, digest;
    dae_train_state st;
} ckpt;

static void put32(unsigned char **p, uint32_t v)
{
    for (int i = 0; i < 4; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char **p, uint64_t v)
{
    for (int i = 0; i < 8; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char **p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)(*p)[i] << (8 * i);
    *p += 4;
    return v;
}
static uint64_t get64(const unsigned char **p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)(*p)[i] << (8 * i);
    *p += 8;
    return v;
}

static void ckpt_encode(const ckpt *c, unsigned char *buf)
{
    unsigned char *p = buf;
    memcpy(p, CKPT_MAGIC, 8);
    p += 8;
    put32(&p, c->epoch);
    put32(&p, c->batch);
    put32(&p, c->threads);
    uint32_t lr;
    memcpy(&lr, &c->lr, 4);
    put32(&p, lr);
    put64(&p, c->seed);
    put64(&p, c->rows);
    put64(&p, c->nnz);
    put64(&p, c->digest);
    const rng_t *g[3] = {&c->st.shuffle, &c->st.noise, &c->st.samp};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 4; i++) put64(&p, g[k]->s[i]);
}

static int ckpt_decode(ckpt *c, const unsigned char *buf, size_t len)
{
    if (len != CKPT_LEN || memcmp(buf, CKPT_MAGIC, 8) != 0) return -1;
    const unsigned char *p = buf + 8;
    c->epoch = get32(&p);
    c->batch = get32(&p);
    c->threads = get32(&p);
    uint32_t lr = get32(&p);
    memcpy(&c->lr, &lr, 4);
    c->seed = get64(&p);
    c->rows = get64(&p);
    c->nnz = get64(&p);
    c->digest = get64(&p);
    rng_t *g[3] = {&c->st.shuffle, &c->st.noise, &c->st.samp};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 4; i++) g[k]->s[i] = get64(&p);
    c->st.epoch = c->epoch;
    return 0;
}

static void write_model(model *m, const char *path)
{
    cli_out *o = cli_out_open(path);
    if (model_write(o->f, m) != 0) cli_out_die(o);
    cli_out_commit(o);
}

static void write_checkpoint(dae *d, const ckpt *c, const char *path)
{
    unsigned char buf[CKPT_LEN];
    ckpt_encode(c, buf);
    if (model_set_extra(d->m, buf, sizeof buf) != 0) die("out of memory");
    d->m->kind = MODEL_KIND_CHECKPOINT;
    write_model(d->m, path);
    d->m->kind = MODEL_KIND_LAYER;
    model_set_extra(d->m, NULL, 0);
}

/* ------------------------------------------------------------------------
 * progress */

typedef struct {
    long epoch;
    size_t total;
    double t0;
} prog_t;

static void on_batch(void *arg, size_t done, double loss)
{
    prog_t *p = arg;
    static double last;
    double now = cli_seconds();
    if (now - last < 0.25 && done < p->total) return;
    last = now;
    cli_progress("epoch %ld/%ld  %zu/%zu  %.0f ex/s  loss %.5g", p->epoch, opt.epochs, done,
                 p->total, (double)done / (now - p->t0 + 1e-9), loss);
}

static void same_setting(const char *what, double now, double then)
{
    if (now != then)
        die("--resume: %s is %g here but %g in the checkpoint %s", what, now, then, opt.checkpoint);
}

int main(int argc, char **argv)
{
    cli_init("senti-pretrain");
    /* before getopt reorders argv; --resume and --stop-after do not change the result */
    static const char *const nonresult[] = {"--resume", "--stop-after=", NULL};
    cmdline = cli_cmdline(argc, argv, nonresult);
    dae_config_default(&opt.cfg, 1, (uint32_t)opt.hidden);
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},   {"hidden", required_argument, 0, 'H'},
        {"act", required_argument, 0, 'a'},      {"noise", required_argument, 0, 'n'},
        {"emphasis", required_argument, 0, 'e'}, {"recon", required_argument, 0, 'r'},
        {"l1", required_argument, 0, 1},         {"tied", no_argument, 0, 2},
        {"lr", required_argument, 0, 'l'},       {"batch", required_argument, 0, 'b'},
        {"epochs", required_argument, 0, 'E'},   {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'},  {"sample-zeros", required_argument, 0, 'k'},
        {"observed-only", no_argument, 0, 3},    {"valid", required_argument, 0, 4},
        {"log", required_argument, 0, 5},        {"checkpoint", required_argument, 0, 6},
        {"resume", no_argument, 0, 7},           {"stop-after", required_argument, 0, 8},
        {"kernel", required_argument, 0, 9},     {"init", required_argument, 0, 10},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:H:a:n:e:r:l:b:E:s:t:k:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'o': opt.output = optarg; break;
        case 'H': opt.hidden = cli_parse_long("--hidden", optarg, 1, 1000000); break;
        case 'a':
            if ((opt.cfg.act = dae_act_parse(optarg)) < 0)
                die_usage("--act: unknown activation '%s'", optarg);
            break;
        case 'n':
            if (dae_noise_parse(optarg, &opt.cfg.noise, &opt.cfg.noise_level) != 0)
                die_usage("--noise: '%s' is not sp:P, mask:P (0<=P<=1), gauss:S or none", optarg);
            break;
        case 'e': {
            char *end;
            double a = strtod(optarg, &end), b = -1;
            if (*end == ',') b = strtod(end + 1, &end);
            if (*end || !(a >= 0) || !(b >= 0) || !isfinite(a) || !isfinite(b))
                die_usage("--emphasis: '%s' is not A,B with A,B >= 0", optarg);
            opt.cfg.emph_a = (float)a;
            opt.cfg.emph_b = (float)b;
            break;
        }
        case 'r':
            if ((opt.cfg.recon = dae_recon_parse(optarg)) < 0)
                die_usage("--recon: unknown reconstruction '%s'", optarg);
            break;
        case 1: opt.cfg.l1 = (float)cli_parse_double("--l1", optarg, 0, 1e6); break;
        case 2: opt.cfg.tied = 1; break;
        case 'l': opt.lr = cli_parse_double("--lr", optarg, 0, 1e6); break;
        case 'b': opt.batch = cli_parse_long("--batch", optarg, 1, 1000000); break;
        case 'E': opt.epochs = cli_parse_long("--epochs", optarg, 0, 1000000); break;
        case 's': opt.seed = cli_parse_u64("--seed", optarg); break;
        case 't': opt.threads = cli_parse_long("--threads", optarg, 1, 64); break;
        case 'k': opt.cfg.sample_zeros = (uint32_t)cli_parse_long("--sample-zeros", optarg, 0, 1L << 30); break;
        case 3: opt.cfg.observed_only = 1; break;
        case 4: opt.valid = optarg; break;
        case 5: opt.log = optarg; break;
        case 6: opt.checkpoint = optarg; break;
        case 7: opt.resume = 1; break;
        case 8: opt.stop_after = cli_parse_long("--stop-after", optarg, 1, 1000000); break;
        case 9:
            if (strcmp(optarg, "auto") == 0) opt.kernel = DAE_KERNEL_AUTO;
            else if (strcmp(optarg, "gemm") == 0) opt.kernel = DAE_KERNEL_GEMM;
            else if (strcmp(optarg, "rows") == 0) opt.kernel = DAE_KERNEL_ROWS;
            else die_usage("--kernel: '%s' is not auto, gemm or rows", optarg);
            break;
        case 10: opt.init = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(); cli_close_stdout(); return 0;
        case 'V': cli_version();
        default: die_usage("unknown option");
        }
    }
    if (!opt.output) die_usage("no output model: give -o FILE ('-' for stdout)");
    if (opt.resume && !opt.checkpoint) die_usage("--resume needs --checkpoint FILE");
    if (opt.stop_after && !opt.checkpoint) die_usage("--stop-after needs --checkpoint FILE");
    /* the outputs before any input: one that cannot be written or that
     * collides with another or with an input fails now, not after training */
    cli_out *model_out = cli_out_open(opt.output);
    if (opt.log) cli_out_check(opt.log);
    if (opt.checkpoint) cli_out_check(opt.checkpoint);
    if (opt.init) cli_input_add(opt.init);
    kern_threads((int)opt.threads);

    /* training data */
    sparse_csr *data = sparse_csr_new();
    if (!data) die("out of memory");
    char vocab[SPARSE_DIGEST_LEN + 1];
    int nin;
    const char **inputs = cli_inputs(argc, argv, optind, &nin);
    read_data(data, nin, inputs, 0, vocab);
    const char *what = nin == 1 ? cli_name(inputs[0]) : "the inputs";
    if (data->rows == 0) die("%s: no data lines", what);
    uint32_t V = data->dim;
    if (V == 0) die("%s: no non-zero entries and no dim= header", what);
    opt.cfg.in_dim = V;
    opt.cfg.hidden = (uint32_t)opt.hidden;
    const char *why = dae_config_check(&opt.cfg);
    if (why) die_usage("%s", why);
    {
        char layer[160];
        snprintf(layer, sizeof layer, "%s: a layer of %u inputs x %u units", what, V, opt.cfg.hidden);
        cli_check_memory(4.0 * V * opt.cfg.hidden * (opt.cfg.tied ? 1 : 2), layer);
    }

    /* validation data: same dimension and vocabulary */
    sparse_csr *valid = NULL;
    if (opt.valid) {
        valid = sparse_csr_new();
        char vv[SPARSE_DIGEST_LEN + 1];
        const char *files[1] = {opt.valid};
        read_data(valid, 1, files, V, vv);
        if (vv[0] && vocab[0] && strcmp(vv, vocab) != 0)
            die("%s: vocabulary digest %s differs from the training data's %s", cli_name(opt.valid), vv,
                vocab);
    }

    /* the layer: fresh or from the checkpoint */
    char err[MODEL_ERR_LEN];
    dae *d = NULL;
    ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.batch = (uint32_t)opt.batch;
    ck.threads = (uint32_t)opt.threads;
    ck.lr = (float)opt.lr;
    ck.seed = opt.seed;
    ck.rows = data->rows;
    ck.nnz = data->nnz;
    ck.digest = data_digest(data);
    if (opt.resume) {
        model *m = model_load(opt.checkpoint, MODEL_KIND_CHECKPOINT, err, sizeof err);
        if (!m) die("%s", err);
        ckpt saved;
        if (ckpt_decode(&saved, m->extra, m->extra_len) != 0)
            die("%s: not a senti-pretrain checkpoint (bad trainer state)", opt.checkpoint);
        m->kind = MODEL_KIND_LAYER;
        model_set_extra(m, NULL, 0);
        d = dae_from_model(m, err, sizeof err);
        if (!d) die("%s: %s", opt.checkpoint, err);
        const dae_config *s = &d->cfg;
        same_setting("the input dimension", V, s->in_dim);
        same_setting("--hidden", opt.cfg.hidden, s->hidden);
        if (s->act != opt.cfg.act || s->recon != opt.cfg.recon || s->noise != opt.cfg.noise ||
            s->noise_level != opt.cfg.noise_level || s->emph_a != opt.cfg.emph_a ||
            s->emph_b != opt.cfg.emph_b || s->l1 != opt.cfg.l1 || s->tied != opt.cfg.tied ||
            s->observed_only != opt.cfg.observed_only || s->sample_zeros != opt.cfg.sample_zeros)
            die("--resume: the layer settings differ from the checkpoint %s", opt.checkpoint);
        same_setting("--batch", (double)opt.batch, saved.batch);
        same_setting("--threads", (double)opt.threads, saved.threads);
        same_setting("--lr", (float)opt.lr, saved.lr);
        same_setting("--seed", (double)opt.seed, (double)saved.seed);
        if (saved.rows != ck.rows || saved.nnz != ck.nnz || saved.digest != ck.digest)
            die("--resume: the input differs from the data the checkpoint %s was trained on",
                opt.checkpoint);
        if (strcmp(m->vocab, vocab) != 0)
            die("--resume: vocabulary digest differs from the checkpoint %s", opt.checkpoint);
        if ((long)saved.epoch > opt.epochs)
            die("--resume: %s is after epoch %u, beyond --epochs %ld", opt.checkpoint, saved.epoch,
                (long)opt.epochs);
        ck.st = saved.st;
        if (!cli_quiet) note("resuming %s after epoch %u", opt.checkpoint, saved.epoch);
    } else {
        if (opt.init) {
            /* the loaded layer itself, with this run's settings */
            model *m = model_load(opt.init, MODEL_KIND_LAYER, err, sizeof err);
            if (!m) die("%s", err);
            if (strcmp(m->vocab, vocab) != 0)
                die("--init: vocabulary digest of %s differs from the input's", opt.init);
            d = dae_from_model(m, err, sizeof err);
            if (!d) die("%s: %s", opt.init, err);
            if (dae_set_config(d, &opt.cfg, err, sizeof err) != 0) die("--init: %s is %s", opt.init, err);
            for (uint32_t k = 0; k < opt.cfg.hidden; k++) d->scale[k] = 1;
            model_set_extra(d->m, NULL, 0);
        } else {
            d = dae_new(&opt.cfg, err, sizeof err);
            if (!d) die("%s", err);
            rng_t init;
            rng_seed(&init, opt.seed, 0);
            dae_init(d, &init);
        }
        dae_train_state_init(&ck.st, opt.seed);
    }
    if (model_set_cmdline(d->m, cmdline) != 0 || model_set_vocab(d->m, vocab) != 0)
        die("out of memory");

    dae_trainer *t = dae_trainer_new(d, data, (size_t)opt.batch, err, sizeof err);
    if (!t) die("%s", err);
    dae_trainer_kernel(t, opt.kernel);

    FILE *log = NULL;
    if (opt.log) {
        log = xfopen(opt.log, opt.resume ? "a" : "w");
        if (!opt.resume) fprintf(log, "epoch\tseconds\ttrain_loss\tvalid_loss\tzero_frac\n");
    }
    double t0 = cli_seconds();
    long run = 0;
    int interrupted = 0; /* --stop-after: the checkpoint is kept, no model written */
    while ((long)ck.st.epoch < opt.epochs) {
        prog_t p = {(long)ck.st.epoch + 1, data->rows, cli_seconds()};
        double loss, zf;
        int rc = dae_train_epoch(t, (float)opt.lr, &ck.st, cli_progress_enabled() ? on_batch : NULL,
                                 &p, &loss, &zf);
        if (rc == -2) die("epoch %u: the loss is not finite (diverged); lower --lr", ck.st.epoch + 1);
        if (rc != 0) die("out of memory during training");
        double secs = cli_seconds() - p.t0;
        double vloss = NAN;
        if (valid && valid->rows) {
            vloss = dae_recon_loss(d, valid, NULL);
            if (vloss < 0) die("out of memory during validation");
            vloss /= (double)valid->rows;
        }
        cli_progress_end();
        if (!cli_quiet) {
            if (valid)
                note("epoch %u: loss %.6g  valid %.6g  zeros %.3f  %.0f ex/s", ck.st.epoch, loss, vloss,
                     zf, (double)data->rows / secs);
            else
                note("epoch %u: loss %.6g  zeros %.3f  %.0f ex/s", ck.st.epoch, loss, zf,
                     (double)data->rows / secs);
        }
        if (log) {
            fprintf(log, "%u\t%.3f\t%.9g\t", ck.st.epoch, cli_seconds() - t0, loss);
            if (valid) fprintf(log, "%.9g", vloss);
            else fprintf(log, "NA");
            fprintf(log, "\t%.6f\n", zf);
            if (fflush(log) != 0 || ferror(log)) die("%s: write error: %s", opt.log, strerror(errno));
        }
        ck.epoch = ck.st.epoch;
        if (opt.checkpoint) write_checkpoint(d, &ck, opt.checkpoint);
        if (opt.stop_after && ++run >= opt.stop_after && (long)ck.st.epoch < opt.epochs) {
            interrupted = 1;
            break;
        }
    }
    if (log) xfclose(log, opt.log);
    if (interrupted) {
        if (!cli_quiet) note("stopped after epoch %u; continue with --resume", ck.st.epoch);
        cli_out_abort(model_out);
    } else {
        /* per-unit scale to [0,1] for stacking, then the model */
        if (dae_compute_scale(d, data) != 0) die("out of memory");
        if (model_write(model_out->f, d->m) != 0) cli_out_die(model_out);
        cli_out_commit(model_out);
    }
    dae_trainer_free(t);
    dae_free(d);
    sparse_csr_free(data);
    sparse_csr_free(valid);
    free(cmdline);
    cli_close_stdout();
    return 0;
}
