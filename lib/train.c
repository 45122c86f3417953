/* train.c - the training driver (see train.h and docs/train.md): the epoch
 * loop, early stopping, the log, and checkpoints whose trainer state is
 * key=value text (one codec for both trainers; a new option needs no new
 * format). */
#include "train.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "dist.h"
#include "model.h"

#define STATE_MAGIC "senti-trainer-state 1\n"

void train_opts_default(train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->program = cli_prog;
    o->epochs = 10;
    o->batch = 10;
    o->lr = 0.01;
    o->seed = 1;
    o->sync_every = 1;
}

uint64_t train_data_digest(const sparse_csr *m)
{
    if (!m) return 0;
    uint64_t h = MODEL_FNV_INIT;
    h = model_fnv1a(h, m->rowptr, (m->rows + 1) * sizeof *m->rowptr);
    h = model_fnv1a(h, m->col, m->nnz * sizeof *m->col);
    h = model_fnv1a(h, m->val, m->nnz * sizeof *m->val);
    h = model_fnv1a(h, m->label, m->rows * sizeof *m->label);
    h = model_fnv1a(h, m->has_label, m->rows);
    return h;
}

/* ------------------------------------------------------------------------
 * the trainer state and its text */

typedef struct state {
    long epoch, best_epoch, since_best;
    int stopped;
    double best, seconds;
    rng_t shuffle;
    buf_t log;
} state;

static void put_rng(buf_t *b, const char *name, const rng_t *r)
{
    buf_printf(b, "rng.%s=%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", name, r->s[0], r->s[1],
               r->s[2], r->s[3]);
}

static void put_data(buf_t *b, const char *key, const sparse_csr *m)
{
    if (!m) buf_printf(b, "%s=none\n", key);
    else buf_printf(b, "%s=%zu %zu %016" PRIx64 "\n", key, m->rows, m->nnz, train_data_digest(m));
}

/* The settings as "set.NAME=VALUE" lines, in table order, then the derived ones. */
static void put_settings(buf_t *b, const train_opts *o)
{
    if (o->prog)
        for (int i = 0; i < o->prog->ndefs; i++) {
            const opt_def *d = &o->prog->defs[i];
            if (!(d->flags & OPT_SETTING)) continue;
            buf_printf(b, "set.%s=", d->name);
            opts_value(d, b);
            buf_puts(b, "\n");
        }
    if (o->extra_settings) {
        const char *s = o->extra_settings;
        while (*s) {
            const char *nl = strchr(s, '\n');
            size_t n = nl ? (size_t)(nl - s) : strlen(s);
            if (n) buf_printf(b, "set.%.*s\n", (int)n, s);
            s += n + (nl != NULL);
        }
    }
}

/* the task's generators of every rank (rank r's at all[r * nrng ..]) */
static void state_text(buf_t *b, const state *st, const train_task *t, const rng_t *all, const sparse_csr *train,
                       const sparse_csr *valid, const train_opts *o)
{
    int N = dist_size();
    buf_puts(b, STATE_MAGIC);
    buf_printf(b, "program=%s\n", o->program);
    buf_printf(b, "epoch=%ld\nbest_epoch=%ld\nsince_best=%ld\nstopped=%d\n", st->epoch, st->best_epoch,
               st->since_best, st->stopped);
    buf_printf(b, "best=%a\nseconds=%a\nnranks=%d\n", st->best, st->seconds, N);
    put_rng(b, "shuffle", &st->shuffle);
    for (int r = 0; r < N; r++)
        for (int i = 0; i < t->nrng; i++) {
            char nm[48];
            snprintf(nm, sizeof nm, r ? "%s@%d" : "%s", t->rng_name[i], r);
            put_rng(b, nm, &all[r * t->nrng + i]);
        }
    put_data(b, "data", train);
    put_data(b, "valid", valid);
    put_settings(b, o);
    buf_printf(b, "log=%zu\n", st->log.len);
    buf_add(b, st->log.p ? st->log.p : "", st->log.len);
}

/* One line of a state text: key and value (both in place, NUL-terminated). */
typedef struct kv {
    char *key, *val;
} kv;

typedef struct saved {
    state st;
    char *program;
    int nranks;
    kv set[256];
    int nset;
    kv rng[512];
    int nrng;
    char *data, *valid;
    char *text; /* owns the strings */
} saved;

static int parse_long(const char *s, long lo, long hi, long *v)
{
    char *e;
    errno = 0;
    long x = strtol(s, &e, 10);
    if (e == s || *e || errno || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

static int parse_rng(const char *s, rng_t *r)
{
    for (int i = 0; i < 4; i++) {
        char *e;
        errno = 0;
        unsigned long long x = strtoull(s, &e, 16);
        if (e - s != 16 || errno || (i < 3 ? *e != ' ' : *e != 0)) return -1;
        r->s[i] = x;
        s = e + (i < 3);
    }
    return 0;
}

/* Parse a state text (len bytes); -1 with a reason when it is not one. */
static int state_parse(saved *sv, const unsigned char *p, size_t len, const char **why)
{
    memset(sv, 0, sizeof *sv);
    sv->st.best = NAN;
    size_t ml = strlen(STATE_MAGIC);
    if (len < ml || memcmp(p, STATE_MAGIC, ml) != 0) {
        *why = "no trainer state";
        return -1;
    }
    sv->text = xmalloc(len + 1);
    memcpy(sv->text, p, len);
    sv->text[len] = 0;
    char *s = sv->text + ml, *end = sv->text + len;
    int seen = 0; /* bits of the fixed keys */
    for (;;) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) break;
        *nl = 0;
        char *eq = strchr(s, '=');
        if (!eq) {
            *why = "a line without '='";
            return -1;
        }
        *eq = 0;
        char *k = s, *v = eq + 1;
        s = nl + 1;
        long x;
        if (strcmp(k, "log") == 0) {
            if (parse_long(v, 0, LONG_MAX, &x) < 0 || (size_t)x != (size_t)(end - s)) {
                *why = "bad log length";
                return -1;
            }
            sv->st.log.p = NULL;
            buf_add(&sv->st.log, s, (size_t)x);
            if (seen != 0x3ff) {
                *why = "missing fields";
                return -1;
            }
            return 0;
        }
        static const char *const fixed[] = {"program", "epoch", "best_epoch", "since_best", "stopped",
                                            "best", "seconds", "nranks", "data", "valid"};
        int f = -1;
        for (int i = 0; i < 10; i++)
            if (strcmp(k, fixed[i]) == 0) f = i;
        if (f >= 0) {
            if (seen & (1 << f)) {
                *why = "a field twice";
                return -1;
            }
            seen |= 1 << f;
        }
        int bad = 0;
        char *e;
        switch (f) {
        case 0: sv->program = v; break;
        case 1: bad = parse_long(v, 0, LONG_MAX, &sv->st.epoch); break;
        case 2: bad = parse_long(v, 0, LONG_MAX, &sv->st.best_epoch); break;
        case 3: bad = parse_long(v, 0, LONG_MAX, &sv->st.since_best); break;
        case 4:
            bad = parse_long(v, 0, 1, &x);
            sv->st.stopped = (int)x;
            break;
        case 5:
        case 6: {
            double d = strtod(v, &e);
            bad = e == v || *e;
            if (f == 5) sv->st.best = d;
            else sv->st.seconds = d;
            break;
        }
        case 7:
            bad = parse_long(v, 1, 1 << 20, &x);
            sv->nranks = (int)x;
            break;
        case 8: sv->data = v; break;
        case 9: sv->valid = v; break;
        default:
            if (strncmp(k, "set.", 4) == 0 && sv->nset < 256) {
                sv->set[sv->nset++] = (kv){k + 4, v};
            } else if (strncmp(k, "rng.", 4) == 0 && sv->nrng < 512) {
                sv->rng[sv->nrng++] = (kv){k + 4, v};
            } else {
                *why = "an unknown field";
                return -1;
            }
        }
        if (bad) {
            *why = "a bad value";
            return -1;
        }
    }
    *why = "no log field";
    return -1;
}

static const char *saved_get(const saved *sv, const char *key)
{
    for (int i = 0; i < sv->nset; i++)
        if (strcmp(sv->set[i].key, key) == 0) return sv->set[i].val;
    return NULL;
}

static const rng_t *saved_rng(const saved *sv, const char *name, rng_t *out)
{
    for (int i = 0; i < sv->nrng; i++)
        if (strcmp(sv->rng[i].key, name) == 0) return parse_rng(sv->rng[i].val, out) == 0 ? out : NULL;
    return NULL;
}

/* --resume: every setting of this run equals the checkpoint's. */
static void check_settings(const saved *sv, const train_opts *o, const char *ck)
{
    buf_t now = {0};
    put_settings(&now, o);
    int matched = 0;
    char *s = now.p ? now.p : (char *)"";
    while (*s) {
        char *nl = strchr(s, '\n');
        *nl = 0;
        char *k = s + 4, *eq = strchr(k, '=');
        *eq = 0;
        const char *v = eq + 1, *then = saved_get(sv, k);
        const opt_def *d = NULL;
        for (int i = 0; o->prog && i < o->prog->ndefs; i++)
            if (strcmp(o->prog->defs[i].name, k) == 0) d = &o->prog->defs[i];
        if (!then && d) then = opts_default(o->prog, d); /* a setting newer than the checkpoint */
        if (then) matched += saved_get(sv, k) != NULL;
        if (!then || strcmp(v, then) != 0) {
            const char *what = d ? "" : " (derived)";
            if (!then) die("--resume: the checkpoint %s does not record the setting %s%s", ck, k, what);
            const char *a = v[0] ? v : "none", *b = then[0] ? then : "none";
            if (d) die("--resume: --%s is %s here but %s in the checkpoint %s", k, a, b, ck);
            die("--resume: %s is %s here but %s in the checkpoint %s", k, a, b, ck);
        }
        s = nl + 1;
    }
    if (matched != sv->nset) die("--resume: the checkpoint %s records settings this program does not have", ck);
    buf_free(&now);
}

static void check_data(const char *stored, const sparse_csr *m, const char *what, const char *ck)
{
    buf_t b = {0};
    put_data(&b, "x", m);
    if (strcmp(b.p + 2, "") == 0 || strncmp(b.p + 2, stored, strlen(stored)) != 0 || b.p[2 + strlen(stored)] != '\n')
        die("--resume: the %s differ from those the checkpoint %s was trained on", what, ck);
    buf_free(&b);
}

/* ------------------------------------------------------------------------
 * checkpoints: a model of kind checkpoint whose extra bytes are the state
 * text and whose layers hold the parameter block (layer 1), the best
 * parameters when the best epoch is kept, and the momentum (velocity) when
 * there is one, each as the block's named views */

/* Every rank's generators on every rank (collective). */
static rng_t *gather_rngs(const train_task *t)
{
    int N = dist_size(), k = t->nrng ? t->nrng : 1;
    rng_t *mine = xcalloc((size_t)k, sizeof *mine), *all = xcalloc((size_t)(k * N), sizeof *all);
    for (int i = 0; i < t->nrng; i++) mine[i] = *t->rng[i];
    if (dist_allgather(mine, (size_t)k * sizeof *mine, all) < 0) die("%s", dist_error());
    free(mine);
    return all;
}

/* Collective: every rank calls it; rank 0 writes. */
static void write_checkpoint(const char *path, const state *st, const train_task *t, const params *best,
                             const params *vel, const sparse_csr *train, const sparse_csr *valid, const train_opts *o)
{
    rng_t *all = gather_rngs(t);
    if (dist_rank() != 0) {
        free(all);
        return;
    }
    model *m = model_new(MODEL_KIND_CHECKPOINT);
    if (!m) die("out of memory");
    buf_t text = {0};
    state_text(&text, st, t, all, train, valid, o);
    free(all);
    model_layer s;
    memset(&s, 0, sizeof s);
    s.in_dim = s.out_dim = 1;
    s.in_scale = 1;
    model_layer *l = model_add_layer(m, &s);
    if (!l || params_to_layer(t->par, l, NULL) < 0) die("out of memory");
    const params *more[2] = {best, vel};
    for (int k = 0; k < 2; k++)
        if (more[k]) {
            model_layer *lb = model_add_layer(m, &s);
            if (!lb || params_to_layer(more[k], lb, NULL) < 0) die("out of memory");
        }
    if (model_set_extra(m, text.p, text.len) < 0 || model_set_cmdline(m, o->program) < 0) die("out of memory");
    train_save_model(path, m);
    model_free(m);
    buf_free(&text);
}

void train_save_model(const char *path, model *m)
{
    cli_out *out = cli_out_open(path);
    if (model_write(out->f, m) < 0) cli_out_die(out);
    cli_out_commit(out);
}

static void older(const char *ck)
{
    die("%s: a checkpoint of an older senti (before the common trainer state): train again without --resume",
        ck);
}

static void resume(state *st, const train_task *t, params *best, params *vel, const sparse_csr *train,
                   const sparse_csr *valid, const train_opts *o)
{
    const char *ck = o->checkpoint;
    char err[MODEL_ERR_LEN];
    model *m = model_load(ck, 0, err, sizeof err);
    if (!m) die("%s", err);
    if (m->kind == MODEL_KIND_NET_CHECKPOINT) older(ck);
    if (m->kind != MODEL_KIND_CHECKPOINT)
        die("%s: a %s model, not a checkpoint", ck, model_kind_name(m->kind));
    if (m->extra_len >= 8 && (memcmp(m->extra, "DAETRN01", 8) == 0 || memcmp(m->extra, "NETTRN0", 7) == 0)) older(ck);
    saved sv;
    const char *why;
    if (state_parse(&sv, m->extra, m->extra_len, &why) < 0) die("%s: bad trainer state: %s", ck, why);
    if (strcmp(sv.program, o->program) != 0)
        die("%s: a checkpoint of %s, not of %s", ck, sv.program, o->program);
    if (sv.nranks != dist_size())
        die("--resume: %d processes here but %d in the checkpoint %s", dist_size(), sv.nranks, ck);
    check_settings(&sv, o, ck);
    check_data(sv.data, train, "training data", ck);
    check_data(sv.valid, valid, "validation data", ck);
    if (sv.st.epoch > o->epochs)
        die("--resume: %s is after epoch %ld, beyond --epochs %ld", ck, sv.st.epoch, o->epochs);
    uint32_t sets = 1 + (best != NULL) + (vel != NULL);
    if (m->nlayers != sets) die("%s: %u parameter sets, this run keeps %u", ck, m->nlayers, sets);
    params *into[3] = {t->par, best ? best : vel, best ? vel : NULL};
    for (uint32_t k = 0; k < sets; k++)
        if (params_from_layer(into[k], &m->layers[k], NULL, 1, err, sizeof err) < 0)
            die("--resume: the model in %s differs from the one these options and data make: %s", ck, err);
    /* the generators: the shuffle's state must follow from the seed after
     * that many epochs (a crafted epoch count is refused above, before
     * this replay) */
    rng_t g;
    if (!saved_rng(&sv, "shuffle", &g)) die("%s: bad trainer state: no shuffle generator", ck);
    rng_t replay;
    rng_seed(&replay, o->seed, 1);
    size_t *order = xmallocarray(train->rows ? train->rows : 1, sizeof *order);
    for (long e = 0; e < sv.st.epoch; e++) {
        for (size_t i = 0; i < train->rows; i++) order[i] = i;
        rng_shuffle_size(&replay, order, train->rows);
    }
    free(order);
    if (memcmp(&replay, &g, sizeof g) != 0)
        die("%s: the stored shuffling state does not follow from the seed (corrupted checkpoint?)", ck);
    st->shuffle = g;
    for (int i = 0; i < t->nrng; i++) {
        char nm[48];
        snprintf(nm, sizeof nm, dist_rank() ? "%s@%d" : "%s", t->rng_name[i], dist_rank());
        if (!saved_rng(&sv, nm, t->rng[i])) die("%s: bad trainer state: no %s generator", ck, nm);
    }
    /* the early-stopping state must be one a run can reach: the best
     * figure is that of the best parameters, recomputed here */
    int ok = sv.st.best_epoch <= sv.st.epoch;
    if (valid) {
        ok = ok && sv.st.since_best == sv.st.epoch - sv.st.best_epoch;
        ok = ok && isfinite(sv.st.best) && sv.st.best >= 0 && (sv.st.epoch == 0) == (sv.st.best_epoch == 0);
        if (ok && sv.st.best_epoch > 0 && best) {
            params tmp;
            if (params_like(&tmp, t->par) < 0) die("out of memory");
            params_copy(&tmp, t->par);
            params_copy(t->par, best);
            double f = t->valid(t->self, valid);
            params_copy(t->par, &tmp);
            params_free(&tmp);
            if (f < 0) die("out of memory");
            ok = f == sv.st.best;
        }
        if (o->patience && sv.st.stopped != (sv.st.since_best >= o->patience)) ok = 0;
    } else {
        ok = ok && isnan(sv.st.best) && sv.st.best_epoch == 0 && sv.st.since_best == 0 && !sv.st.stopped;
    }
    if (!ok || !(sv.st.seconds >= 0)) die("%s: bad trainer state: early-stopping fields that no run reaches", ck);
    st->epoch = sv.st.epoch;
    st->best_epoch = sv.st.best_epoch;
    st->since_best = sv.st.since_best;
    st->stopped = sv.st.stopped;
    st->best = sv.st.best;
    st->seconds = sv.st.seconds;
    buf_free(&st->log);
    st->log = sv.st.log;
    free(sv.text);
    model_free(m);
    note("resuming %s after epoch %ld", ck, st->epoch);
}

/* ------------------------------------------------------------------------
 * the log */

static void log_header(buf_t *b, const train_task *t)
{
    buf_puts(b, "epoch\tseconds\ttrain_loss");
    for (int i = 0; i < t->npre; i++) buf_printf(b, "\t%s", t->pre[i]);
    buf_printf(b, "\t%s", t->valid_name);
    for (int i = 0; i < t->npost; i++) buf_printf(b, "\t%s", t->post[i]);
    buf_puts(b, "\n");
}

static void write_log(const char *path, const buf_t *b)
{
    cli_out *o = cli_out_open(path);
    if (b->len && fwrite(b->p, 1, b->len, o->f) != b->len) cli_out_die(o);
    cli_out_commit(o);
}

/* ------------------------------------------------------------------------
 * the epochs */

typedef struct progress {
    const train_opts *o;
    long epoch;
    size_t total;
    double t0, run0, last;
    long epochs_left;
} progress;

static void show_progress(progress *p, size_t done, double loss)
{
    double now = cli_seconds();
    if (now - p->last < 0.25 && done < p->total) return;
    p->last = now;
    double el = now - p->t0, frac = p->total ? (double)done / (double)p->total : 1;
    double left = frac > 0 ? el / frac - el : 0;
    double run_left = left + (double)p->epochs_left * (frac > 0 ? el / frac : 0);
    cli_progress("epoch %ld/%ld  %zu/%zu  %.0f ex/s  loss %.5g  epoch %s, run ETA %s", p->epoch, p->o->epochs,
                 done, p->total, (double)done / (el + 1e-9), loss, cli_eta(el, frac), cli_duration(run_left));
}

static void diverged(long epoch, int updated, double loss)
{
    if (!updated)
        die("the objective is not finite at the starting parameters (%g on the first minibatch): the values "
            "or labels are too large for float arithmetic; rescale them",
            loss);
    die("training diverged at epoch %ld (loss %g): lower --lr", epoch, loss);
}

/* ------------------------------------------------------------------------
 * the data-parallel hook */

/* The inputs (columns of the data) the steps of this rank used since the
 * last average, for --sync-rows: marked in `seen`, listed in `ids`. */
typedef struct touched {
    unsigned char *seen;
    uint32_t *ids, *uids;
    size_t n, dim;
} touched;

static void touch(touched *tc, const sparse_csr *data, const size_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t e = data->rowptr[rows[i]]; e < data->rowptr[rows[i] + 1]; e++) {
            uint32_t j = data->col[e];
            if (j < tc->dim && !tc->seen[j]) tc->seen[j] = 1, tc->ids[tc->n++] = j;
        }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The one place where the ranks of a data-parallel job combine their work:
 * every rank's parameter block p (and its momentum v, when there is one)
 * becomes the average over the ranks, summed in rank order (lib/dist), so
 * that every rank goes on from the same bytes.  With tc (--sync-rows), the
 * block's first view, the input layer's weights, sends only the rows of
 * the inputs some rank used since the last average: the other rows did not
 * change on any rank.  A single process never gets here. */
static void train_sync(params *p, params *v, touched *tc)
{
    int N = dist_size();
    float inv = 1.0f / (float)N;
    params *blk[2] = {p, v};
    for (int k = 0; k < 2; k++) {
        params *b = blk[k];
        if (!b || !b->p) continue;
        size_t skip = 0;
        if (tc && b->nv > 0) {
            const param_view *w = &b->v[0];
            qsort(tc->ids, tc->n, sizeof *tc->ids, cmp_u32);
            size_t nu = 0;
            if (dist_sum_rows(params_at(b, 0), w->rows, w->cols, tc->ids, tc->n, DIST_ROWS_KEEP, tc->uids, &nu) < 0)
                die("%s", dist_error());
            for (size_t i = 0; i < nu; i++) {
                float *row = params_at(b, 0) + (size_t)tc->uids[i] * w->cols;
                for (uint32_t c = 0; c < w->cols; c++) row[c] *= inv;
            }
            skip = w->off + (size_t)w->rows * w->cols;
        }
        if (dist_sum_float(b->p + skip, b->n - skip) < 0) die("%s", dist_error());
        for (size_t i = skip; i < b->n; i++) b->p[i] *= inv;
    }
    if (tc) {
        for (size_t i = 0; i < tc->n; i++) tc->seen[tc->ids[i]] = 0;
        tc->n = 0;
    }
}

void train_run(const train_task *t, const sparse_csr *train, const sparse_csr *valid, const train_opts *o,
               train_result *res)
{
    size_t N = train->rows;
    if (N == 0) die("no training rows");
    if (valid && valid->rows == 0) die("the validation data have no rows");
    int keep = valid && o->keep_best;
    int rank = dist_rank(), nranks = dist_size(), root = rank == 0;
    params best = {0}, grad = {0}, vel = {0};
    if (keep && params_like(&best, t->par) < 0) die("out of memory");
    int gmode = o->momentum > 0 || o->weight_decay > 0;
    if (gmode && (params_like(&grad, t->par) < 0 || params_like(&vel, t->par) < 0)) die("out of memory");
    if (keep) params_copy(&best, t->par);

    state st;
    memset(&st, 0, sizeof st);
    st.best = valid ? INFINITY : NAN;
    rng_seed(&st.shuffle, o->seed, 1);
    if (o->resume) {
        if (!o->checkpoint) die("--resume needs --checkpoint FILE");
        resume(&st, t, keep ? &best : NULL, o->momentum > 0 ? &vel : NULL, train, valid, o);
    } else {
        log_header(&st.log, t);
        if (valid) st.best = INFINITY;
        /* rank r > 0 draws its noise from streams of its own, 64 r streams
         * after rank 0's (which are the plain program's) */
        for (int i = 0; i < t->nrng; i++)
            for (int j = 0; j < 64 * rank; j++) rng_jump(t->rng[i]);
    }
    if (!valid) st.best = NAN;
    if (o->log && root) write_log(o->log, &st.log);

    size_t *order = xmallocarray(N, sizeof *order);
    double *acc = xcalloc((size_t)(t->nacc ? t->nacc : 1), sizeof *acc);
    double pre[TRAIN_MAX_COLS], post[TRAIN_MAX_COLS];
    size_t global = (size_t)o->batch;
    if (nranks > 1 && global < (size_t)nranks)
        die("--batch %zu: a minibatch is shared out between the %d processes; give at least %d", global, nranks, nranks);
    touched tc = {0}, *tcp = NULL;
    if (nranks > 1 && o->sync_rows && !t->input_rows)
        note("--sync-rows: this run's corruption adds inputs, so the whole input layer is averaged");
    if (nranks > 1 && o->sync_rows && t->input_rows && t->par->nv > 0) {
        tc.dim = t->par->v[0].rows;
        tc.seen = xcalloc(tc.dim, 1);
        tc.ids = xmallocarray(tc.dim, sizeof *tc.ids);
        tc.uids = xmallocarray(tc.dim, sizeof *tc.uids);
        tcp = &tc;
    }
    double run0 = cli_seconds(), base = st.seconds;
    long run = 0, steps = 0;
    int updated = st.epoch > 0;
    memset(res, 0, sizeof *res);
    while (st.epoch < o->epochs && !st.stopped) {
        long e = st.epoch + 1;
        if (t->epoch_begin) t->epoch_begin(t->self, e);
        for (size_t i = 0; i < N; i++) order[i] = i;
        rng_shuffle_size(&st.shuffle, order, N);
        float lr = (float)(o->lr / (1.0 + o->decay * (double)(e - 1)));
        progress pg = {o, e, N, cli_seconds(), run0, 0, o->epochs - e};
        double loss = 0;
        size_t nb = 0, seen = 0, mine = 0;
        for (int k = 0; k < t->nacc; k++) acc[k] = 0;
        for (size_t s = 0; s < N; s += global) {
            /* this rank's share of the global minibatch */
            size_t g1 = N - s < global ? N - s : global;
            size_t a = (size_t)rank * g1 / (size_t)nranks, b = (size_t)(rank + 1) * g1 / (size_t)nranks;
            double bl = 0;
            mine += b - a;
            if (tcp) touch(tcp, train, order + s + a, b - a);
            if (b > a) {
                bl = t->step(t->self, order + s + a, b - a, lr, gmode ? &grad : NULL, acc);
                if (bl < 0) die("out of memory during training");
                if (gmode) {
                    /* v = momentum v + g (+ weight decay w); p -= lr v */
                    for (int v = 0; v < t->par->nv; v++) {
                        const param_view *pv = &t->par->v[v];
                        if (pv->flags & PARAM_FIXED) continue;
                        size_t m = (size_t)pv->rows * pv->cols;
                        float *p = params_at(t->par, v), *gv = params_at(&grad, v), *vv = params_at(&vel, v);
                        float wd = (pv->flags & PARAM_WEIGHT) ? (float)o->weight_decay : 0.0f;
                        float mu = (float)o->momentum;
                        for (size_t i = 0; i < m; i++) {
                            vv[i] = mu * vv[i] + gv[i] + wd * p[i];
                            p[i] -= lr * vv[i];
                        }
                    }
                    params_zero(&grad);
                }
            }
            int finite = isfinite(bl);
            for (int k = 0; k < t->nacc; k++) finite = finite && isfinite(acc[k]);
            loss += bl;
            if (nranks > 1) {
                /* one rank's divergence ends every rank at the same step */
                double f = finite ? 0 : 1;
                if (dist_sum_double(&f, 1) < 0) die("%s", dist_error());
                if (f > 0 && finite) die("training diverged at epoch %ld on another process: lower --lr", e);
            }
            if (!finite) diverged(e, updated, loss / (double)(mine ? mine : 1));
            updated = 1;
            steps++;
            if (nranks > 1 && (steps % o->sync_every == 0 || s + global >= N))
                train_sync(t->par, o->momentum > 0 ? &vel : NULL, tcp);
            nb++;
            seen += g1;
            show_progress(&pg, seen, loss / (double)(seen ? seen : 1));
        }
        st.epoch = e;
        if (nranks > 1) {
            /* the job's figures: every rank's sums, in rank order */
            int k = t->nacc + 2;
            double *v = xcalloc((size_t)k, sizeof *v);
            v[0] = loss, v[1] = (double)mine;
            memcpy(v + 2, acc, (size_t)t->nacc * sizeof *acc);
            if (dist_sum_double(v, (size_t)k) < 0) die("%s", dist_error());
            loss = v[0], mine = (size_t)v[1];
            memcpy(acc, v + 2, (size_t)t->nacc * sizeof *acc);
            nb *= (size_t)nranks;
            free(v);
        }
        double mean = loss / (double)(mine ? mine : 1);
        if (t->columns) t->columns(t->self, acc, mine, nb, pre, post);
        double vf = NAN;
        if (valid) {
            vf = t->valid(t->self, valid);
            if (vf < 0 && !isnan(vf)) die("out of memory during validation");
            if (!isfinite(vf)) die("training diverged at epoch %ld (validation %g): lower --lr", e, vf);
        }
        st.seconds = base + cli_seconds() - run0;
        buf_printf(&st.log, "%ld\t%.3f\t%.9g", e, st.seconds, mean);
        for (int i = 0; i < t->npre; i++) buf_printf(&st.log, "\t%.9g", pre[i]);
        if (valid) buf_printf(&st.log, "\t%.9g", vf);
        else buf_puts(&st.log, "\tNA");
        for (int i = 0; i < t->npost; i++) buf_printf(&st.log, "\t%.6f", post[i]);
        buf_puts(&st.log, "\n");
        cli_progress_end();
        if (!cli_quiet && root) {
            buf_t msg = {0};
            buf_printf(&msg, "epoch %ld/%ld: loss %.6g", e, o->epochs, mean);
            for (int i = 0; i < t->npre; i++) buf_printf(&msg, "  %s %.6g", t->pre[i], pre[i]);
            if (valid) buf_printf(&msg, "  %s %.6g", t->valid_label, vf);
            for (int i = 0; i < t->npost; i++) buf_printf(&msg, "  %s %.3f", t->post[i], post[i]);
            double el = cli_seconds() - pg.t0;
            buf_printf(&msg, "  %.0f ex/s  %s", (double)N / (el + 1e-9), cli_duration(st.seconds));
            note("%s", msg.p);
            buf_free(&msg);
        }
        if (valid) {
            if (vf < st.best) {
                st.best = vf;
                st.best_epoch = e;
                st.since_best = 0;
                if (keep) params_copy(&best, t->par);
            } else {
                st.since_best++;
                if (o->patience && st.since_best >= o->patience) st.stopped = 1;
            }
        }
        if (o->checkpoint)
            write_checkpoint(o->checkpoint, &st, t, keep ? &best : NULL, o->momentum > 0 ? &vel : NULL, train, valid,
                             o);
        if (o->log && root) write_log(o->log, &st.log);
        if (o->stop_after && ++run >= o->stop_after && st.epoch < o->epochs && !st.stopped) {
            res->interrupted = 1;
            break;
        }
    }
    cli_progress_end();
    res->epochs = st.epoch;
    res->best_epoch = st.best_epoch;
    res->best = st.best;
    if (res->interrupted) {
        note("stopped after epoch %ld; continue with --resume", st.epoch);
    } else if (keep) {
        params_copy(t->par, &best);
        if (st.best_epoch) note("best %s %.6f at epoch %ld", t->valid_label, st.best, st.best_epoch);
    }
    free(order);
    free(acc);
    free(tc.seen);
    free(tc.ids);
    free(tc.uids);
    params_free(&best);
    params_free(&grad);
    params_free(&vel);
    buf_free(&st.log);
}

/* ------------------------------------------------------------------------
 * reading the data */

sparse_csr *train_read(const char *const *paths, int n, const train_input *in, char vocab[17])
{
    sparse_csr *m = sparse_csr_new();
    if (!m) die("out of memory");
    m->keep_comments = in->keep_comments;
    sparse_reader *r = NULL;
    for (int i = 0; i < n; i++) {
        const char *name = cli_name(paths[i]);
        if (dist_size() > 1 && strcmp(paths[i], "-") == 0)
            die("standard input cannot be read by every process of the job: name the file");
        FILE *f = xfopen(paths[i], "r");
        if (!r) {
            if (!(r = sparse_reader_new(f, name))) die("out of memory");
            sparse_reader_flags(r, in->flags);
            sparse_reader_expect(r, in->dim, in->vocab, in->what ? in->what : "the model");
            char err[256];
            if (in->labels && sparse_reader_labels(r, in->labels, err, sizeof err) < 0) die_usage("--labels: %s", err);
        } else if (sparse_reader_next_file(r, f, name) < 0) {
            die("out of memory");
        }
        sparse_row row;
        int k;
        while ((k = sparse_next(r, &row)) == 1) {
            if (in->labeled && !row.has_label)
                die_at(name, sparse_reader_line(r), "unlabeled row ('?'): training needs ratings");
            char msg[256];
            const char *why = in->check ? in->check(&row, in->check_ctx, msg, sizeof msg) : NULL;
            if (why) die_at(name, sparse_reader_line(r), "%s", why);
            if (sparse_csr_append(m, &row) < 0) die("out of memory");
        }
        if (k < 0) die("%s", sparse_reader_error(r));
        xfclose(f, paths[i]);
    }
    const sparse_header *h = sparse_reader_header(r);
    if (h->dim > m->dim) m->dim = h->dim;
    m->header = *h;
    strcpy(vocab, h->vocab);
    sparse_reader_free(r);
    if (!m->rows && !in->may_be_empty) die("%s: no data lines", n == 1 ? cli_name(paths[0]) : "the inputs");
    return m;
}
