/* harness/point.c - drives one point: workload setup, model, closed loop.
 *
 * Closed loop, as wrk: `concurrency` clients each keep one request in
 * flight; the completion sink, called on a model thread, records the
 * request and submits that client's next one at once. Recording goes to a
 * per-thread recorder (three histograms and counters) found through a
 * thread-local pointer, so the hot path takes no lock and allocates only
 * the first time a thread records. Recorders are merged after the model
 * stopped and every sink call returned.
 */
#define _GNU_SOURCE
#include "harness/point.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "harness/clock.h"
#include "harness/hist.h"
#include "harness/trace.h"
#include "workloads/params.h"

#define MAX_RECORDERS 1024
#define TRACE_CAPACITY 65536

typedef struct recorder {
    df_hist *latency; /* intended start -> finished */
    df_hist *queue;   /* intended start -> a worker started it */
    df_hist *service; /* started -> finished */
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
} point_run;

static __thread recorder *tl_rec;
static __thread point_run *tl_run;

static recorder *recorder_new(void)
{
    recorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (df_hist_create_default(&r->latency) || df_hist_create_default(&r->queue) ||
        df_hist_create_default(&r->service)) {
        df_hist_destroy(r->latency);
        df_hist_destroy(r->queue);
        df_hist_destroy(r->service);
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
    free(r);
}

static void record(recorder *r, const df_completion *c)
{
    df_hist_record(r->latency, c->finished_ns - c->intended_ns);
    df_hist_record(r->queue, c->started_ns - c->intended_ns);
    df_hist_record(r->service, c->finished_ns - c->started_ns);
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
    run->pc->model->submit(run->model, &req);
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
    __atomic_fetch_add(&run->finished, 1, __ATOMIC_RELEASE);
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
    return json_pack(
        "{s:s,s:i,s:i,s:s,s:I,s:i,s:s,s:s,s:o,s:s,s:i,s:f,s:f,s:I}", "model",
        pc->model->name, "workers", is_process ? m->workers : pc->processes,
        "threads", strcmp(pc->model->name, "thread") == 0 ? m->threads : 1,
        "gil", gil_name(m->gil), "switch_interval_us",
        (json_int_t)m->switch_interval_us, "hogs", m->hogs, "workload",
        m->workload->name, "workload_spec", pc->workload_spec, "params",
        params ? params : json_object(), "load", "closed", "concurrency",
        pc->concurrency, "duration_s", pc->duration_ns / 1e9, "warmup_s",
        pc->warmup_ns / 1e9, "requests", (json_int_t)pc->requests);
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
        all->completed += r->completed;
        all->errors += r->errors;
    }
    df_hist_merge(all->latency, run->shared.latency);
    df_hist_merge(all->queue, run->shared.queue);
    df_hist_merge(all->service, run->shared.service);
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
    recorder_free(all);
    return 0;
}

static void add_rusage(json_t *rec)
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
    run->shared.latency = run->shared.queue = run->shared.service = NULL;
    if (df_hist_create_default(&run->shared.latency) ||
        df_hist_create_default(&run->shared.queue) ||
        df_hist_create_default(&run->shared.service)) {
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

    int64_t t0 = df_now_ns();
    run->window_start_ns = t0 + pc->warmup_ns;
    run->window_end_ns = run->window_start_ns + pc->duration_ns;
    rc = ops->start(&mcfg, &run->model, err);
    if (rc < 0)
        goto untrace;
    offer_load(run, t0);
    __atomic_store_n(&run->stopping, 1, __ATOMIC_SEQ_CST);
    int64_t window_ns = pc->duration_ns;
    if (pc->requests > 0)
        window_ns = df_now_ns() - t0;
    /* In-flight requests get a bounded drain; hung ones are abandoned by the
     * model and the runner's deadline catches a model that cannot stop. */
    rc = ops->stop(run->model, 2000000000, &model_stats, err);
    run->pc = pc;
    if (rc < 0)
        goto untrace;

    rec = df_point_identity_json(pc);
    if (!rec || collect(run, window_ns, rec) < 0) {
        rc = df_err_set(err, -ENOMEM, "point: out of memory");
        goto untrace;
    }
    if (run->alloc_failed)
        json_object_set_new(rec, "warning",
                            json_string("recorder allocation failed"));
    add_rusage(rec);
    if (model_stats)
        json_object_update(rec, model_stats);
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
    pthread_mutex_destroy(&run->shared_mu);
    tl_rec = NULL;
    tl_run = NULL;
    free(run);
    return rc;
}
