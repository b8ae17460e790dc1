/* harness/point.c - drives one point: workload setup, model, closed loop.
 *
 * Closed loop, as wrk: `concurrency` clients each keep one request in
 * flight; the completion sink, called on a model thread, records the
 * request and submits that client's next one at once. Recording goes to a
 * per-thread recorder (three histograms and counters) found through a
 * thread-local pointer, so the hot path takes no lock and allocates only
 * the first time a thread records. Recorders are merged after the model
 * stopped and every sink call returned.
 *
 * Open loop, as wrk2: a generator (the calling thread) submits request k at
 * t0 + the k-th offset of an arrival schedule, whatever the model is doing.
 * It sleeps with the timer slack lowered to 1 ns and spins the last
 * SPIN_NS, so sends are usually within a few us of their time; when the
 * model blocks submit, the generator falls behind and catches up, and the
 * latency of every late request still counts from its intended start.
 * The naive latency (from the actual send) is kept beside it to show what
 * a closed-loop tool would report.
 *
 * Little's law check: `inflight` counts requests submitted and not yet
 * finished; a sampler thread reads it at random instants (exponential
 * gaps, so it cannot beat in step with a periodic model) during the
 * window. Its mean must match throughput x mean time in the system, where
 * time in the system is counted from the send (the same span the counter
 * covers) - any disagreement means requests are lost, double counted or
 * timestamped wrongly.
 */
#define _GNU_SOURCE
#include "harness/point.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <math.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "harness/arrivals.h"
#include "harness/clock.h"
#include "harness/hist.h"
#include "harness/rng.h"
#include "harness/trace.h"
#include "workloads/params.h"

#define MAX_RECORDERS 1024
#define TRACE_CAPACITY 65536
#define SPIN_NS        50000   /* spin the last 50 us before a send */
#define LATE_NS        1000000 /* a send this late is counted as late */
#define SAMPLE_MEAN_NS 1000000 /* mean gap of the in-flight sampler */

typedef struct recorder {
    df_hist *latency; /* intended start -> finished */
    df_hist *queue;   /* intended start -> a worker started it */
    df_hist *service; /* started -> finished */
    df_hist *naive;   /* sent -> finished (what closed-loop tools see) */
    int64_t completed, errors;
} recorder;

typedef struct point_run {
    const df_point_cfg *pc;
    df_model *model;
    int64_t window_start_ns, window_end_ns; /* what is recorded */
    int stopping;         /* atomic: no more submissions */
    uint64_t next_id;     /* atomic */
    uint64_t finished;    /* atomic: every completion, recorded or not */
    recorder *rec[MAX_RECORDERS];
    int nrec;             /* atomic: slots handed out */
    recorder shared;      /* when slots run out; guarded by shared_mu */
    pthread_mutex_t shared_mu;
    int alloc_failed;     /* atomic */
    int64_t inflight;     /* atomic: submitted and not finished */
    /* Open-loop generator's counts, written by the generator thread only. */
    int64_t offered, dropped, late_sends, submitted;
    /* Sampler thread's, read after it is joined. */
    double inflight_sum;
    int64_t inflight_samples;
} point_run;

static __thread recorder *tl_rec;
static __thread point_run *tl_run;

static recorder *recorder_new(void)
{
    recorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (df_hist_create_default(&r->latency) || df_hist_create_default(&r->queue) ||
        df_hist_create_default(&r->service) ||
        df_hist_create_default(&r->naive)) {
        df_hist_destroy(r->latency);
        df_hist_destroy(r->queue);
        df_hist_destroy(r->service);
        df_hist_destroy(r->naive);
        free(r);
        return NULL;
    }
    return r;
}

static void recorder_free(recorder *r)
{
    if (!r)
        return;
    df_hist_destroy(r->latency);
    df_hist_destroy(r->queue);
    df_hist_destroy(r->service);
    df_hist_destroy(r->naive);
    free(r);
}

static void record(recorder *r, const df_completion *c)
{
    df_hist_record(r->latency, c->finished_ns - c->intended_ns);
    df_hist_record(r->queue, c->started_ns - c->intended_ns);
    df_hist_record(r->service, c->finished_ns - c->started_ns);
    df_hist_record(r->naive, c->finished_ns - c->sent_ns);
    r->completed++;
    if (c->status < 0)
        r->errors++;
}

/* The recorder of the calling thread; NULL only when memory ran out. */
static recorder *my_recorder(point_run *run)
{
    if (tl_run == run && tl_rec)
        return tl_rec;
    int slot = __atomic_fetch_add(&run->nrec, 1, __ATOMIC_RELAXED);
    if (slot >= MAX_RECORDERS)
        return NULL; /* caller falls back to the shared recorder */
    recorder *r = recorder_new();
    if (!r) {
        __atomic_store_n(&run->alloc_failed, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    __atomic_store_n(&run->rec[slot], r, __ATOMIC_RELEASE);
    tl_rec = r;
    tl_run = run;
    return r;
}

static void submit_next(point_run *run)
{
    if (__atomic_load_n(&run->stopping, __ATOMIC_RELAXED))
        return;
    uint64_t id = __atomic_fetch_add(&run->next_id, 1, __ATOMIC_RELAXED);
    if (run->pc->requests > 0 && id >= (uint64_t)run->pc->requests)
        return;
    df_request req = { .id = id };
    req.sent_ns = req.intended_ns = df_now_ns();
    __atomic_fetch_add(&run->inflight, 1, __ATOMIC_RELAXED);
    if (run->pc->model->submit(run->model, &req) < 0)
        __atomic_fetch_sub(&run->inflight, 1, __ATOMIC_RELAXED);
}

static void sink(void *arg, const df_completion *c)
{
    point_run *run = arg;
    int in_window = run->pc->requests > 0 ||
                    (c->finished_ns >= run->window_start_ns &&
                     c->finished_ns < run->window_end_ns);
    if (in_window) {
        recorder *r = my_recorder(run);
        if (r) {
            record(r, c);
        } else {
            pthread_mutex_lock(&run->shared_mu);
            record(&run->shared, c);
            pthread_mutex_unlock(&run->shared_mu);
        }
    }
    __atomic_fetch_sub(&run->inflight, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&run->finished, 1, __ATOMIC_RELEASE);
    if (run->pc->rate_rps <= 0)
        submit_next(run);
}

json_t *df_point_latency_json(const df_hist *h)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "mean", df_hist_mean(h) / 1e3,
                     "p50", df_hist_percentile(h, 50) / 1e3, "p90",
                     df_hist_percentile(h, 90) / 1e3, "p99",
                     df_hist_percentile(h, 99) / 1e3, "p999",
                     df_hist_percentile(h, 99.9) / 1e3, "max",
                     df_hist_max(h) / 1e3);
}

/* About 60 rows, dense in the tail, for the CDF plot. */
static json_t *cdf_json(const df_hist *h)
{
    static const double pct[] = { 0,    1,    5,    10,   20,    30,    40,
                                  50,   60,   70,   75,   80,    85,    90,
                                  92.5, 95,   96,   97,   98,    99,    99.5,
                                  99.9, 99.95, 99.99, 100 };
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof pct / sizeof pct[0]; i++)
        json_array_append_new(
            a, json_pack("[f,f]", pct[i], df_hist_percentile(h, pct[i]) / 1e3));
    return a;
}

static const char *gil_name(df_gil_mode m)
{
    return m == DF_GIL_OLD ? "old" : m == DF_GIL_OFF ? "off" : "new";
}

json_t *df_point_identity_json(const df_point_cfg *pc)
{
    const df_model_cfg *m = &pc->mcfg;
    int is_process = strcmp(pc->model->name, "process") == 0;
    json_t *params = df_params_to_json(m->workload, m->params);
    json_t *id = json_pack(
        "{s:s,s:i,s:i,s:s,s:I,s:i,s:s,s:s,s:o,s:s,s:f,s:f,s:I,s:i}", "model",
        pc->model->name, "workers", is_process ? m->workers : pc->processes,
        "threads", strcmp(pc->model->name, "thread") == 0 ? m->threads : 1,
        "gil", gil_name(m->gil), "switch_interval_us",
        (json_int_t)m->switch_interval_us, "hogs", m->hogs, "workload",
        m->workload->name, "workload_spec",
        pc->workload_spec ? pc->workload_spec : m->workload->name, "params",
        params ? params : json_object(), "load",
        pc->rate_rps > 0 ? "open" : "closed", "duration_s",
        pc->duration_ns / 1e9, "warmup_s", pc->warmup_ns / 1e9, "requests",
        (json_int_t)pc->requests, "repeat", pc->repeat > 0 ? pc->repeat : 1);
    if (!id)
        return NULL;
    if (pc->rate_rps > 0)
        json_object_update_new(
            id, json_pack("{s:f,s:s,s:I,s:I}", "rate_rps", pc->rate_rps,
                          "arrivals", df_arrivals_name(pc->arrivals),
                          "max_inflight", (json_int_t)pc->max_inflight,
                          "seed", (json_int_t)pc->seed));
    else
        json_object_set_new(id, "concurrency", json_integer(pc->concurrency));
    return id;
}

static const char *trace_state_name(int s)
{
    static const char *const names[] = { "run", "gil_wait", "io_wait", "done" };
    return s >= 0 && s <= 3 ? names[s] : "unknown";
}

static json_t *trace_json(int64_t t0_ns)
{
    json_t *a = json_array();
    uint64_t n = df__trace->next;
    if (n > df__trace->capacity)
        n = df__trace->capacity;
    for (uint64_t i = 0; a && i < n; i++) {
        const df_trace_event *e = &df__trace->event[i];
        json_array_append_new(
            a, json_pack("{s:i,s:I,s:s,s:f}", "worker", e->worker, "request",
                         (json_int_t)e->request_id, "state",
                         trace_state_name(e->state), "t_us",
                         (e->t_ns - t0_ns) / 1e3));
    }
    return a;
}

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = { .tv_sec = t_ns / 1000000000,
                           .tv_nsec = t_ns % 1000000000 };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Waits until t_ns: sleeps to SPIN_NS before it, then spins, because a
 * sleep alone wakes 50+ us late even with the slack at 1 ns. */
static void wait_until(int64_t t_ns)
{
    if (t_ns - df_now_ns() > SPIN_NS)
        sleep_until(t_ns - SPIN_NS);
    while (df_now_ns() < t_ns)
        ;
}

/* The open-loop generator: runs on the calling thread until the window
 * ends. Arrivals before the window are warm-up: sent, not counted. */
static int offer_open_load(point_run *run, int64_t t0)
{
    const df_point_cfg *pc = run->pc;
    df_arrivals *a = NULL;
    int rc = df_arrivals_create((df_arrivals_kind)pc->arrivals, pc->rate_rps,
                                pc->seed, &a);
    if (rc < 0)
        return rc;
    /* The default 50 us slack would make every sleep that late. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    for (uint64_t id = 0;; id++) {
        int64_t intended = t0 + df_arrivals_next_ns(a);
        if (intended >= run->window_end_ns)
            break;
        wait_until(intended);
        int counted = intended >= run->window_start_ns;
        run->offered += counted;
        if (pc->max_inflight > 0 &&
            __atomic_load_n(&run->inflight, __ATOMIC_RELAXED) >=
                pc->max_inflight) {
            run->dropped += counted;
            continue;
        }
        df_request req = { .id = id, .intended_ns = intended };
        req.sent_ns = df_now_ns();
        if (req.sent_ns - intended > LATE_NS)
            run->late_sends += counted;
        __atomic_fetch_add(&run->inflight, 1, __ATOMIC_RELAXED);
        if (pc->model->submit(run->model, &req) < 0) {
            __atomic_fetch_sub(&run->inflight, 1, __ATOMIC_RELAXED);
            run->dropped += counted;
            continue;
        }
        run->submitted++;
    }
    df_arrivals_destroy(a);
    return 0;
}

/* Samples `inflight` at random instants inside the window. */
static void *sampler_main(void *arg)
{
    point_run *run = arg;
    df_rng rng;
    df_rng_seed(&rng, run->pc->seed ^ 0x5a5a5a5aULL);
    int64_t t = run->window_start_ns;
    for (;;) {
        t += (int64_t)(-log1p(-df_rng_uniform(&rng)) * SAMPLE_MEAN_NS);
        if (t >= run->window_end_ns ||
            __atomic_load_n(&run->stopping, __ATOMIC_RELAXED))
            break;
        sleep_until(t);
        run->inflight_sum +=
            (double)__atomic_load_n(&run->inflight, __ATOMIC_RELAXED);
        run->inflight_samples++;
    }
    return NULL;
}

json_t *df_point_littles_check(double sampled, double predicted)
{
    double big = sampled > predicted ? sampled : predicted;
    double error = big > 0 ? fabs(sampled - predicted) / big : 0;
    return json_pack("{s:b,s:f,s:f,s:f}", "ok",
                     error <= DF_POINT_LITTLES_TOLERANCE, "inflight_sampled",
                     sampled, "inflight_predicted", predicted, "error", error);
}

/* Offers the closed-loop load and returns when the window is over (or, in
 * requests mode, when every request finished or the generous deadline hit). */
static void offer_load(point_run *run, int64_t t0)
{
    const df_point_cfg *pc = run->pc;
    int64_t first = pc->concurrency;
    if (pc->requests > 0 && pc->requests < first)
        first = pc->requests;
    for (int64_t i = 0; i < first; i++)
        submit_next(run);
    if (pc->requests <= 0) {
        sleep_until(run->window_end_ns);
        return;
    }
    /* Requests mode (the timeline): small runs, polled every millisecond. */
    int64_t deadline = t0 + pc->duration_ns + pc->warmup_ns;
    while (__atomic_load_n(&run->finished, __ATOMIC_ACQUIRE) <
               (uint64_t)pc->requests &&
           df_now_ns() < deadline)
        sleep_until(df_now_ns() + 1000000);
}

static int collect(point_run *run, int64_t window_ns, json_t *rec)
{
    recorder *all = recorder_new();
    if (!all)
        return -ENOMEM;
    int n = run->nrec < MAX_RECORDERS ? run->nrec : MAX_RECORDERS;
    for (int i = 0; i < n; i++) {
        recorder *r = run->rec[i];
        if (!r)
            continue;
        df_hist_merge(all->latency, r->latency);
        df_hist_merge(all->queue, r->queue);
        df_hist_merge(all->service, r->service);
        df_hist_merge(all->naive, r->naive);
        all->completed += r->completed;
        all->errors += r->errors;
    }
    df_hist_merge(all->latency, run->shared.latency);
    df_hist_merge(all->queue, run->shared.queue);
    df_hist_merge(all->service, run->shared.service);
    df_hist_merge(all->naive, run->shared.naive);
    all->completed += run->shared.completed;
    all->errors += run->shared.errors;

    double secs = window_ns / 1e9;
    json_object_set_new(rec, "status", json_string("ok"));
    json_object_set_new(rec, "completed", json_integer(all->completed));
    json_object_set_new(rec, "errors", json_integer(all->errors));
    json_object_set_new(rec, "throughput_rps",
                        json_real(secs > 0 ? all->completed / secs : 0));
    json_object_set_new(rec, "latency_us", df_point_latency_json(all->latency));
    json_object_set_new(rec, "queue_us", df_point_latency_json(all->queue));
    json_object_set_new(rec, "service_us", df_point_latency_json(all->service));
    json_object_set_new(rec, "latency_cdf", cdf_json(all->latency));

    const df_point_cfg *pc = run->pc;
    double achieved = secs > 0 ? all->completed / secs : 0;
    double sampled = run->inflight_samples
                         ? run->inflight_sum / (double)run->inflight_samples
                         : 0;
    /* Time in the system as the in-flight counter sees it: from the send. */
    double predicted = achieved * df_hist_mean(all->naive) / 1e9;
    json_t *checks = json_object();
    json_object_set_new(checks, "littles_law",
                        df_point_littles_check(sampled, predicted));
    json_object_set_new(rec, "inflight_mean", json_real(sampled));
    json_object_set_new(rec, "achieved_rps", json_real(achieved));
    if (pc->rate_rps > 0) {
        double offered = secs > 0 ? run->offered / secs : 0;
        double err = offered > 0 ? fabs(achieved - offered) / offered : 0;
        json_object_set_new(rec, "latency_naive_us",
                            df_point_latency_json(all->naive));
        json_object_set_new(rec, "offered_rps", json_real(offered));
        json_object_set_new(rec, "dropped", json_integer(run->dropped));
        json_object_set_new(
            checks, "rate",
            json_pack("{s:b,s:f,s:f,s:f,s:I}", "ok", err <= 0.10,
                      "offered_rps", offered, "achieved_rps", achieved,
                      "error", err, "late_sends",
                      (json_int_t)run->late_sends));
    }
    json_object_set_new(rec, "checks", checks);
    recorder_free(all);
    return 0;
}

/* Resident set now, from /proc/self/statm; 0 if unreadable. */
static int64_t rss_now_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

/* CPU and switches of the whole point: this process and every worker it
 * reaped (the models reap theirs in stop), which is why it runs after
 * stop. Peak RSS is the largest single process. */
static void add_rusage(json_t *rec, int64_t rss_before)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double user = self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 +
                  kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6;
    double sys = self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6 +
                 kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6;
    long rss = self.ru_maxrss > kids.ru_maxrss ? self.ru_maxrss : kids.ru_maxrss;
    json_object_set_new(rec, "cpu_user_s", json_real(user));
    json_object_set_new(rec, "cpu_sys_s", json_real(sys));
    json_object_set_new(rec, "max_rss_bytes", json_integer((json_int_t)rss * 1024));
    json_object_set_new(rec, "ctx_switches_voluntary",
                        json_integer(self.ru_nvcsw + kids.ru_nvcsw));
    json_object_set_new(rec, "ctx_switches_involuntary",
                        json_integer(self.ru_nivcsw + kids.ru_nivcsw));
    /* What one more request in flight costs: growth of the peak over the
     * resident set before the model started, per request in flight. */
    double inflight = json_number_value(json_object_get(rec, "inflight_mean"));
    double growth = (double)rss * 1024 - (double)rss_before;
    json_object_set_new(rec, "mem_per_inflight_bytes",
                        inflight > 0 ? json_real(growth > 0 ? growth / inflight
                                                            : 0)
                                     : json_null());
}

int df_point_run(const df_point_cfg *pc, json_t **out, df_err *err)
{
    point_run *run = calloc(1, sizeof *run);
    json_t *rec = NULL, *model_stats = NULL;
    void *state = NULL;
    int rc;
    if (!run)
        return df_err_set(err, -ENOMEM, "point: out of memory");
    run->pc = pc;
    pthread_mutex_init(&run->shared_mu, NULL);
    if (df_hist_create_default(&run->shared.latency) ||
        df_hist_create_default(&run->shared.queue) ||
        df_hist_create_default(&run->shared.service) ||
        df_hist_create_default(&run->shared.naive)) {
        rc = df_err_set(err, -ENOMEM, "point: out of memory");
        goto done;
    }

    const df_workload *w = pc->mcfg.workload;
    if (w->setup) {
        char why[200] = "";
        rc = w->setup(pc->mcfg.params, &state, why, sizeof why);
        if (rc < 0) {
            df_err_set(err, rc, "workload %s: setup failed: %s", w->name,
                       why[0] ? why : strerror(-rc));
            goto done;
        }
    }
    if (pc->trace && (rc = df_trace_enable(TRACE_CAPACITY)) < 0) {
        df_err_set(err, rc, "point: cannot map the trace buffer");
        goto teardown;
    }

    df_model_cfg mcfg = pc->mcfg;
    const df_model_ops *ops = pc->model;
    mcfg.workload_state = state;
    mcfg.sink = sink;
    mcfg.sink_arg = run;
    if (pc->processes > 1 && strcmp(ops->name, "process") != 0) {
        extern const df_model_ops df_model_process;
        mcfg.inner = ops;
        mcfg.workers = pc->processes;
        ops = &df_model_process;
    }
    /* Submissions go through pc->model->submit; keep it the started one. */
    df_point_cfg effective = *pc;
    effective.model = ops;
    run->pc = &effective;

    int64_t rss_before = rss_now_bytes();
    rc = ops->start(&mcfg, &run->model, err);
    if (rc < 0)
        goto untrace;
    /* The clock starts once the workers are up: forking them is not load. */
    int64_t t0 = df_now_ns();
    run->window_start_ns = t0 + pc->warmup_ns;
    run->window_end_ns = run->window_start_ns + pc->duration_ns;
    pthread_t sampler;
    int sampling = pthread_create(&sampler, NULL, sampler_main, run) == 0;
    if (pc->rate_rps > 0)
        rc = offer_open_load(run, t0);
    else
        offer_load(run, t0);
    __atomic_store_n(&run->stopping, 1, __ATOMIC_SEQ_CST);
    if (sampling)
        DF_CHECK(pthread_join(sampler, NULL) == 0);
    int64_t window_ns = pc->duration_ns;
    if (pc->requests > 0)
        window_ns = df_now_ns() - t0;
    /* In-flight requests get a bounded drain; hung ones are abandoned by the
     * model and the runner's deadline catches a model that cannot stop. */
    int src = ops->stop(run->model, 2000000000, &model_stats, err);
    run->pc = pc;
    if (rc < 0) {
        df_err_set(err, rc, "point: open-loop generator: %s", strerror(-rc));
        goto untrace;
    }
    if ((rc = src) < 0)
        goto untrace;

    rec = df_point_identity_json(pc);
    if (!rec || collect(run, window_ns, rec) < 0) {
        rc = df_err_set(err, -ENOMEM, "point: out of memory");
        goto untrace;
    }
    if (run->alloc_failed)
        json_object_set_new(rec, "warning",
                            json_string("recorder allocation failed"));
    /* Requests the drain abandoned: submitted, never finished. */
    json_object_set_new(rec, "timeouts",
                        json_integer(__atomic_load_n(&run->inflight,
                                                     __ATOMIC_ACQUIRE)));
    add_rusage(rec, rss_before);
    if (model_stats) {
        /* The identity's "gil" is the lock's mode; the model's figures of
         * the same name go under "gil_stats" (docs/RESULTS-SCHEMA.md). */
        json_t *g = json_object_get(model_stats, "gil");
        if (g) {
            json_object_set(model_stats, "gil_stats", g);
            json_object_del(model_stats, "gil");
        }
        json_object_update(rec, model_stats);
    }
    if (pc->trace)
        json_object_set_new(rec, "trace", trace_json(t0));
    *out = rec;
    rec = NULL;
    rc = 0;
untrace:
    df_trace_disable();
teardown:
    if (w->teardown)
        w->teardown(state);
done:
    json_decref(model_stats);
    json_decref(rec);
    for (int i = 0; i < MAX_RECORDERS && i < run->nrec; i++)
        recorder_free(run->rec[i]);
    df_hist_destroy(run->shared.latency);
    df_hist_destroy(run->shared.queue);
    df_hist_destroy(run->shared.service);
    df_hist_destroy(run->shared.naive);
    pthread_mutex_destroy(&run->shared_mu);
    tl_rec = NULL;
    tl_run = NULL;
    free(run);
    return rc;
}
