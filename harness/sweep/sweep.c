/* harness/sweep/sweep.c - running a plan: repetitions in shuffled order, each
 * point's repetitions folded into one record, the results file rewritten
 * after every repetition, SIGINT and SIGTERM honoured. */
#include "harness/sweep/sweep.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rng.h"
#include "harness/measure/stats.h"
#include "harness/store/results.h"
#include "harness/sweep/progress.h"
#include "harness/sweep/runner.h"

/* "thread -w 2 --threads 4 gil=new +hogs  cpu:us=2000  c=8": the flags
 * that size the model and the knobs that apply to it, by its traits. */
static void describe(const df_point_cfg *pc, char *buf, size_t n)
{
    const df_model_ops *m = pc->model;
    const df_model_cfg *c = &pc->mcfg;
    int procs = m->traits & DF_MODEL_PREFORK ? c->workers : pc->processes;
    char load[64], knobs[64] = "";

    if (pc->rate_rps > 0)
        snprintf(load, sizeof load, "rate=%g", pc->rate_rps);
    else
        snprintf(load, sizeof load, "c=%d", pc->concurrency);
    if (m->traits & DF_MODEL_THREADS)
        snprintf(knobs, sizeof knobs, " --threads %d", c->threads);
    if (m->traits & DF_MODEL_GIL)
        snprintf(knobs + strlen(knobs), sizeof knobs - strlen(knobs),
                 " gil=%s%s",
                 c->gil == DF_GIL_NEW   ? "new"
                 : c->gil == DF_GIL_OLD ? "old"
                                        : "off",
                 c->hogs ? " +hogs" : "");
    if (m->traits & DF_MODEL_PREFORK || procs > 1)
        snprintf(buf, n, "%s -w %d%s  %s  %s", m->name, procs, knobs,
                 pc->workload_spec, load);
    else
        snprintf(buf, n, "%s%s  %s  %s", m->name, knobs, pc->workload_spec,
                 load);
}

/* SIGINT/SIGTERM: remember which, kill the running point; the sweep loop
 * sees the flag, writes what it has (marked incomplete) and exits. Reset
 * by each sweep: #12, a suite's later sweeps saw the first one's signal
 * and each ran no point at all. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    df_runner_interrupt();
}

/* The raw figures of one repetition, as listed in "repetitions". */
static json_t *repetition_json(const json_t *rec, int index, int order)
{
    static const char *const keys[] = {
        "completed",
        "errors",
        "timeouts",
        "dropped",
        "throughput_rps",
        "censored",
        "error_rate",
        "steady",
        "offered_rps",
        "achieved_rps",
        "inflight_mean",
        "latency_us",
        "cpu_user_s",
        "cpu_sys_s",
        "max_rss_bytes",
        "ctx_switches_voluntary",
        "ctx_switches_involuntary",
    };
    json_t *r = json_pack("{s:i,s:i}", "index", index, "order", order);
    for (size_t i = 0; r && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(rec, keys[i]);
        if (v)
            json_object_set(r, keys[i], v);
    }
    json_t *ll = json_object_get(json_object_get(rec, "checks"), "littles_law");
    if (r && ll)
        json_object_set(r, "littles_law_error", json_object_get(ll, "error"));
    return r;
}

/* The n repetitions of one point that have run: their records, their
 * indices (0 .. repeat - 1) and their places in the run order. */
typedef struct rep_set {
    json_t *rec[DF_PLAN_MAX_REPEAT];
    int index[DF_PLAN_MAX_REPEAT];
    int order[DF_PLAN_MAX_REPEAT];
    int n;
} rep_set;

/* The index of the repetition at the lower median of throughput tp[]. */
static int median_repetition(const double *tp, int n)
{
    int idx[DF_PLAN_MAX_REPEAT];

    for (int r = 0; r < n; r++)
        idx[r] = r;
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && tp[idx[b]] < tp[idx[b - 1]]; b--) {
            int t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
        }
    return idx[(n - 1) / 2];
}

/* Every check of rec holds only if it held in every repetition; a
 * repetition that was not steady leaves the point unsteady. */
static void fold_checks(json_t *rec, json_t *const *reps, int n)
{
    const char *name;
    json_t *check;

    json_object_foreach(json_object_get(rec, "checks"), name, check)
    {
        int all_ok = 1;
        for (int r = 0; r < n; r++) {
            json_t *c =
                json_object_get(json_object_get(reps[r], "checks"), name);
            all_ok &= c && json_is_true(json_object_get(c, "ok"));
        }
        json_object_set_new(check, "ok", json_boolean(all_ok));
    }
    for (int r = 0; r < n; r++)
        if (json_is_false(json_object_get(reps[r], "steady")))
            json_object_set_new(rec, "steady", json_false());
}

/* Folds the repetitions of one point that have run into its record: the
 * headline figures are those of the median repetition by throughput (a
 * real run, not an average of runs), throughput gets its summary across
 * them, every check must hold in every one, and the raw values are
 * listed. A failed repetition fails the point. "repetitions_done" says
 * how many ran: fewer than "repeat" when the sweep was interrupted. */
static json_t *aggregate(const df_point_cfg *pc, const rep_set *rs)
{
    json_t *const *reps = rs->rec;
    int n = rs->n;

    for (int r = 0; r < n; r++)
        if (strcmp(json_string_value(json_object_get(reps[r], "status")),
                   "ok")) {
            json_t *failed = json_deep_copy(reps[r]);

            json_object_set_new(failed, "repetitions_done", json_integer(n));
            return failed;
        }
    DF_CHECK(n <= DF_PLAN_MAX_REPEAT); /* --repeat's limit */
    /* Zeroed only for GCC, which once this is inlined into the sweep
     * cannot see that n >= 1 and warns (maybe-uninitialized). */
    double tp[DF_PLAN_MAX_REPEAT] = { 0 };
    for (int r = 0; r < n; r++)
        tp[r] = json_number_value(json_object_get(reps[r], "throughput_rps"));
    df_stats st;
    if (df_stats_summarize(tp, n, &st) < 0)
        return NULL;
    json_t *rec = json_deep_copy(reps[median_repetition(tp, n)]);
    json_t *list = json_array();
    if (!rec || !list) {
        json_decref(rec);
        json_decref(list);
        return NULL;
    }
    json_object_set_new(rec, "throughput", df_stats_json(&st));
    json_object_set_new(rec, "throughput_rps", json_real(st.median));
    json_object_set_new(rec, "repeat", json_integer(pc->repeat));
    json_object_set_new(rec, "repetitions_done", json_integer(n));
    json_object_set_new(rec, "seed", json_integer((json_int_t)pc->seed));
    if (pc->rate_rps <= 0)
        json_object_del(rec, "seed");
    fold_checks(rec, reps, n);
    for (int r = 0; r < n; r++)
        json_array_append_new(
            list, repetition_json(reps[r], rs->index[r], rs->order[r]));
    json_object_set_new(rec, "repetitions", list);
    int steady = !json_is_false(json_object_get(rec, "steady"));
    if (df_point_mark(rec) < 0) {
        json_decref(rec);
        return NULL;
    }
    if (!steady)
        json_object_set_new(rec, "steady", json_false());
    return rec;
}

/* Every repetition of every point, shuffled (Fisher-Yates, seeded):
 * a slow drift of the machine then spreads over all configurations
 * instead of lining up with one of them. */
void df__sweep_order(df_sweep_slot *runs, int nruns, int repeat, uint64_t seed)
{
    for (int i = 0; i < nruns; i++)
        runs[i] = (df_sweep_slot){ i / repeat, i % repeat };
    df_rng rng;
    df_rng_seed(&rng, seed);
    for (int i = nruns - 1; i > 0; i--) {
        int j = (int)df_rng_below(&rng, (uint64_t)i + 1);
        df_sweep_slot t = runs[i];
        runs[i] = runs[j];
        runs[j] = t;
    }
}

df_point_cfg df__sweep_repetition(const df_run_opts *o,
                                  const df_plan *p,
                                  df_sweep_slot s)
{
    df_point_cfg pc = p->pts[s.point];

    pc.seed = o->seed + (uint64_t)s.rep;
    return pc;
}

int64_t df__sweep_timeout_ns(const df_run_opts *o, const df_point_cfg *pc)
{
    return pc->duration_ns + pc->warmup_ns + o->timeout_ns;
}

json_t *df__sweep_fold(const df_point_cfg *pc,
                       json_t *const *recs,
                       const int *index,
                       const int *order,
                       int n)
{
    rep_set rs = { .n = n };

    DF_CHECK(n >= 1 && n <= DF_PLAN_MAX_REPEAT);
    for (int r = 0; r < n; r++) {
        rs.rec[r] = recs[r];
        rs.index[r] = index[r];
        rs.order[r] = order[r];
    }
    return aggregate(pc, &rs);
}

/* Sets doc's "points" to the finished ones, in plan order. */
static void set_points(json_t *doc, json_t **finished, int n)
{
    json_t *points = json_array();
    for (int k = 0; k < n; k++)
        if (finished[k])
            json_array_append(points, finished[k]);
    json_object_set_new(doc, "points", points);
}

/* One sweep's state. The arrays start NULL, so sweep_free takes a sweep
 * made only in part. */
typedef struct sweep {
    const df_run_opts *o;
    const df_plan *p;
    json_t *doc;
    int nruns;           /* p->n * o->repeat */
    df_sweep_slot *runs; /* [nruns], in run (shuffled) order */
    json_t **recs;       /* [point * repeat + rep]: a repetition's record */
    int *order;          /* same index: its place in the run order */
    int *done;           /* [point]: repetitions that have run */
    json_t **finished;   /* [point]: the record of those that have run */
    df_progress *bar;
    df_err err;
} sweep;

static int sweep_alloc(sweep *s)
{
    int npoints = s->p->n;

    s->runs = calloc((size_t)s->nruns, sizeof *s->runs);
    s->recs = calloc((size_t)s->nruns, sizeof *s->recs);
    s->order = calloc((size_t)s->nruns, sizeof *s->order);
    s->done = calloc((size_t)npoints, sizeof *s->done);
    s->finished = calloc((size_t)npoints, sizeof *s->finished);
    if (!s->runs || !s->recs || !s->order || !s->done || !s->finished)
        return -ENOMEM;
    return df_progress_create(stderr, s->nruns,
                              s->o->quiet ? DF_PROGRESS_QUIET : 0, &s->bar);
}

static void sweep_free(sweep *s)
{
    df_progress_destroy(s->bar);
    for (int i = 0; s->recs && i < s->nruns; i++)
        json_decref(s->recs[i]);
    for (int i = 0; s->finished && i < s->p->n; i++)
        json_decref(s->finished[i]);
    free(s->runs);
    free(s->recs);
    free(s->order);
    free(s->done);
    free(s->finished);
}

/* The sweep's handlers for SIGINT and SIGTERM, installed for its run
 * only: old gets the caller's, which restore_stop_signals puts back, so a
 * caller running several sweeps (a suite) sees a signal between them. */
static void catch_stop_signals(struct sigaction old[2])
{
    struct sigaction sa = { .sa_handler = on_stop_signal };

    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    DF_CHECK(sigaction(SIGINT, &sa, &old[0]) == 0);
    DF_CHECK(sigaction(SIGTERM, &sa, &old[1]) == 0);
}

static void restore_stop_signals(const struct sigaction old[2])
{
    DF_CHECK(sigaction(SIGINT, &old[0], NULL) == 0);
    DF_CHECK(sigaction(SIGTERM, &old[1], NULL) == 0);
}

/* A repetition of point pi is in: fold those that have run and rewrite the
 * results file. 0, or 2 after one line on stderr. */
static int fold_point(sweep *s, int pi)
{
    int repeat = s->o->repeat;
    rep_set rs = { .n = 0 };

    for (int r = 0; r < repeat; r++) {
        int at = pi * repeat + r;

        if (!s->recs[at])
            continue;
        rs.rec[rs.n] = s->recs[at];
        rs.index[rs.n] = r;
        rs.order[rs.n++] = s->order[at];
    }
    json_decref(s->finished[pi]);
    s->finished[pi] = aggregate(&s->p->pts[pi], &rs);
    if (!s->finished[pi]) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        return 2;
    }
    /* #12: rewritten after every repetition, not only once a point has
     * all of them (shuffled, that can be the sweep's end): an interrupted
     * sweep keeps every repetition it measured. */
    set_points(s->doc, s->finished, s->p->n);
    if (df_results_write(s->doc, s->o->out, &s->err) < 0) {
        df_progress_clear(s->bar);
        fprintf(stderr, "duckfeed run: %s\n", s->err.msg);
        return 2;
    }
    return 0;
}

/* Runs the i-th of the shuffled runs and keeps its record. 0 (also when a
 * stop signal came: the caller looks), or 2 after one line on stderr. */
static int run_one(sweep *s, int i)
{
    int pi = s->runs[i].point, ri = s->runs[i].rep;
    int at = pi * s->o->repeat + ri;
    df_point_cfg pc = df__sweep_repetition(s->o, s->p, s->runs[i]);
    json_t *rec = NULL;
    char label[512];

    describe(&pc, label, sizeof label);
    df_progress_point(s->bar, i, label);
    int64_t timeout_ns = df__sweep_timeout_ns(s->o, &pc);
    int r = df_runner_run(&pc, timeout_ns, &rec, &s->err);
    if (stop_signal) {
        json_decref(rec); /* killed by us: not a measurement */
        return 0;
    }
    if (r < 0) {
        df_progress_clear(s->bar);
        fprintf(stderr, "duckfeed run: %s\n", s->err.msg);
        return 2;
    }
    s->recs[at] = rec;
    s->order[at] = i;
    df_progress_done(s->bar, i + 1);
    s->done[pi]++;
    return fold_point(s, pi);
}

/* Points whose record says "failed". */
static int count_failures(const sweep *s)
{
    int n = 0;

    for (int k = 0; k < s->p->n; k++) {
        const json_t *st = json_object_get(s->finished[k], "status");

        n += st && strcmp(json_string_value(st), "ok") != 0;
    }
    return n;
}

/* The last write: complete, or (interrupted) every finished repetition
 * with "complete": false and "interrupted" naming the signal; the loop
 * wrote the points already, write again anyway so even an interruption
 * before the first repetition leaves a valid file. rc is the loop's;
 * returns the sweep's (see sweep.h). */
static int write_last(sweep *s, int rc)
{
    if (!stop_signal && rc == 0)
        json_object_set_new(s->doc, "complete", json_true());
    if (stop_signal)
        json_object_set_new(
            s->doc, "interrupted",
            json_string(stop_signal == SIGINT ? "SIGINT" : "SIGTERM"));
    set_points(s->doc, s->finished, s->p->n);
    if (df_results_write(s->doc, s->o->out, &s->err) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", s->err.msg);
        rc = 2;
    }
    if (stop_signal)
        return DF_SWEEP_EXIT_SIGNALED + stop_signal;
    if (rc == 0)
        return count_failures(s) ? 1 : 0;
    return rc;
}

int df__sweep_run(const df_run_opts *o, const df_plan *p, json_t *doc)
{
    sweep s = { .o = o, .p = p, .doc = doc, .nruns = p->n * o->repeat };
    struct sigaction old[2];
    int rc = sweep_alloc(&s);

    if (rc < 0) {
        sweep_free(&s);
        return -ENOMEM;
    }
    df__sweep_order(s.runs, s.nruns, o->repeat, o->seed);
    catch_stop_signals(old);
    for (int i = 0; i < s.nruns && !stop_signal && rc == 0; i++)
        rc = run_one(&s, i);
    df_progress_destroy(s.bar); /* before the last lines on stderr */
    s.bar = NULL;
    rc = write_last(&s, rc);
    restore_stop_signals(old);
    sweep_free(&s);
    return rc;
}
