/* harness/sweep/sweep.c - running a plan: repetitions in shuffled order, each
 * point's repetitions folded into one record, the results file rewritten
 * as points finish, SIGINT and SIGTERM honoured. */
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
 * sees the flag, writes what it has (marked incomplete) and exits. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    df_runner_interrupt();
}

/* One run of the sweep: point p, repetition r. */
typedef struct slot {
    int point, rep;
} slot;

/* The raw figures of one repetition, as listed in "repetitions". */
static json_t *repetition_json(const json_t *rec, int index, int order)
{
    static const char *const keys[] = {
        "completed", "errors", "timeouts", "dropped", "throughput_rps",
        "offered_rps", "achieved_rps", "inflight_mean", "latency_us",
        "cpu_user_s", "cpu_sys_s", "max_rss_bytes",
        "ctx_switches_voluntary", "ctx_switches_involuntary",
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

/* Folds the repetitions of one point into its record: the headline
 * figures are those of the median repetition by throughput (a real run,
 * not an average of runs), throughput gets its summary across all, every
 * check must hold in every repetition, and the raw values are listed. A
 * failed repetition fails the point. */
static json_t *aggregate(const df_point_cfg *pc, json_t **reps, const int *order, int n)
{
    for (int r = 0; r < n; r++)
        if (strcmp(json_string_value(json_object_get(reps[r], "status")), "ok"))
            return json_incref(reps[r]);
    DF_CHECK(n <= DF_PLAN_MAX_REPEAT); /* --repeat's limit */
    /* Zeroed only for GCC, which once this is inlined into the sweep
     * cannot see that n >= 1 and warns (maybe-uninitialized). */
    double tp[DF_PLAN_MAX_REPEAT] = { 0 };
    int idx[DF_PLAN_MAX_REPEAT];
    for (int r = 0; r < n; r++) {
        tp[r] = json_number_value(json_object_get(reps[r], "throughput_rps"));
        idx[r] = r;
    }
    df_stats st;
    if (df_stats_summarize(tp, n, &st) < 0)
        return NULL;
    /* The repetition at the lower median of throughput. */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && tp[idx[b]] < tp[idx[b - 1]]; b--) {
            int t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
        }
    json_t *rec = json_deep_copy(reps[idx[(n - 1) / 2]]);
    json_t *list = json_array();
    if (!rec || !list) {
        json_decref(rec);
        json_decref(list);
        return NULL;
    }
    json_object_set_new(rec, "throughput", df_stats_json(&st));
    json_object_set_new(rec, "throughput_rps", json_real(st.median));
    json_object_set_new(rec, "repeat", json_integer(pc->repeat));
    json_object_set_new(rec, "seed", json_integer((json_int_t)pc->seed));
    if (pc->rate_rps <= 0)
        json_object_del(rec, "seed");
    const char *name;
    json_t *check;
    json_object_foreach(json_object_get(rec, "checks"), name, check) {
        int all_ok = 1;
        for (int r = 0; r < n; r++) {
            json_t *c = json_object_get(json_object_get(reps[r], "checks"), name);
            all_ok &= c && json_is_true(json_object_get(c, "ok"));
        }
        json_object_set_new(check, "ok", json_boolean(all_ok));
    }
    for (int r = 0; r < n; r++)
        json_array_append_new(list, repetition_json(reps[r], r, order[r]));
    json_object_set_new(rec, "repetitions", list);
    return rec;
}

/* Every repetition of every point, shuffled (Fisher-Yates, seeded):
 * a slow drift of the machine then spreads over all configurations
 * instead of lining up with one of them. */
static void shuffle(slot *runs, int nruns, int repeat, uint64_t seed)
{
    for (int i = 0; i < nruns; i++)
        runs[i] = (slot){ i / repeat, i % repeat };
    df_rng rng;
    df_rng_seed(&rng, seed);
    for (int i = nruns - 1; i > 0; i--) {
        int j = (int)df_rng_below(&rng, (uint64_t)i + 1);
        slot t = runs[i];
        runs[i] = runs[j];
        runs[j] = t;
    }
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
    int nruns;         /* p->n * o->repeat */
    slot *runs;        /* [nruns], in run (shuffled) order */
    json_t **recs;     /* [point * repeat + rep]: a repetition's record */
    int *order;        /* same index: its place in the run order */
    int *done;         /* [point]: repetitions that have run */
    json_t **finished; /* [point]: the folded record once all have */
    df_progress *bar;
    int failures; /* points that failed */
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

static void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The last repetition of point pi is in: fold them and rewrite the
 * results file. 0, or 2 after one line on stderr. */
static int finish_point(sweep *s, int pi)
{
    int repeat = s->o->repeat;

    s->finished[pi] = aggregate(&s->p->pts[pi], &s->recs[pi * repeat],
                                &s->order[pi * repeat], repeat);
    if (!s->finished[pi]) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        return 2;
    }
    if (strcmp(json_string_value(json_object_get(s->finished[pi], "status")),
               "ok"))
        s->failures++;
    /* Rewritten after every finished point, in plan order: an
     * interrupted sweep keeps what it measured. */
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
    df_point_cfg pc = s->p->pts[pi];
    json_t *rec = NULL;
    char label[512];

    pc.seed = s->o->seed + (uint64_t)ri;
    describe(&pc, label, sizeof label);
    df_progress_point(s->bar, i, label);
    int64_t timeout_ns = pc.duration_ns + pc.warmup_ns + s->o->timeout_ns;
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
    if (++s->done[pi] < s->o->repeat)
        return 0;
    return finish_point(s, pi);
}

/* The last write: complete, or (interrupted) every finished point with
 * "complete": false, which the loop already wrote; write again anyway so
 * even an interruption before the first point leaves a valid file. rc is
 * the loop's; returns the sweep's (see sweep.h). */
static int write_last(sweep *s, int rc)
{
    if (!stop_signal && rc == 0)
        json_object_set_new(s->doc, "complete", json_true());
    set_points(s->doc, s->finished, s->p->n);
    if (df_results_write(s->doc, s->o->out, &s->err) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", s->err.msg);
        rc = 2;
    }
    if (stop_signal)
        return DF_SWEEP_EXIT_SIGNALED + stop_signal;
    if (rc == 0)
        return s->failures ? 1 : 0;
    return rc;
}

int df__sweep_run(const df_run_opts *o, const df_plan *p, json_t *doc)
{
    sweep s = { .o = o, .p = p, .doc = doc, .nruns = p->n * o->repeat };
    int rc = sweep_alloc(&s);

    if (rc < 0) {
        sweep_free(&s);
        return -ENOMEM;
    }
    shuffle(s.runs, s.nruns, o->repeat, o->seed);
    catch_stop_signals();
    for (int i = 0; i < s.nruns && !stop_signal && rc == 0; i++)
        rc = run_one(&s, i);
    df_progress_destroy(s.bar); /* before the last lines on stderr */
    s.bar = NULL;
    rc = write_last(&s, rc);
    sweep_free(&s);
    return rc;
}
