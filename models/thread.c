/* models/thread.c - WSGI threads: a pool sharing one simulated GIL.
 *
 * What gunicorn's gthread worker, uWSGI threads and ThreadPoolExecutor do:
 * cfg->threads threads in one process, one interpreter, so one df_gil. A
 * thread holds the GIL while it runs workload code and lets go of it in
 * every ctx service that would block in CPython (time.sleep, socket waits,
 * C work that drops the GIL), re-taking it with the full take_gil
 * algorithm afterwards - which is where the convoy effect comes from.
 *
 * Requests wait in a bounded ring under one mutex; a full ring refuses
 * with -EAGAIN rather than block, because submit may be called from the
 * sink, i.e. from a worker of this very pool. Workers hold neither the
 * ring's mutex nor the GIL while they call the sink.
 *
 * cfg->hogs adds CPU-bound neighbours in the same interpreter, which spin
 * about 1 us between checkpoints from start to stop: the other side of the
 * convoy scenario. Their work units per second show what share of the
 * interpreter they got.
 *
 * stop's stats: the GIL's, the hogs' and the pool's figures.
 */
#include "models/model.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/trace.h"
#include "models/gil.h"
#include "models/gil_lane.h"
#include "workloads/spin.h"

/* Requests; a power of two that holds every closed-loop client's request
 * at once (#12: 1 << 16 quietly ran fewer clients than --concurrency).
 * Pages of the ring are touched only as deep as the queue gets. */
#define QUEUE_CAPACITY (1u << 20)
_Static_assert(QUEUE_CAPACITY >= DF_MODEL_MAX_CONCURRENCY,
               "the ring holds every client's request");

typedef struct worker {
    df_model *m;
    int index;
    pthread_t th;
    df_gil_lane lane; /* set up by the thread itself, once registered */
} worker;

typedef struct hog {
    df_model *m;
    int index;
    pthread_t th;
    uint64_t units; /* ~1 us each; read after join */
} hog;

struct df_model {
    df_model_cfg cfg;
    df_gil *gil;

    pthread_mutex_t mu;      /* guards the ring and the fields below */
    pthread_cond_t nonempty; /* a request was queued, or stopping */
    pthread_cond_t idle;     /* the ring is empty and nobody is busy */
    df_request *ring;
    uint32_t head, count;
    int busy;           /* requests between dequeue and sink */
    int stopping;       /* workers exit once the ring is empty */
    uint64_t abandoned; /* queued requests dropped by a drain timeout */

    worker *workers;
    int nworkers;   /* started; grows under mu as submits find none idle */
    int maxworkers; /* cfg.threads: the pool's max_workers */
    int waiting;    /* workers in the wait for a request */
    hog *hogs;
    int nhogs;     /* started */
    int hogs_stop; /* atomic */
    int64_t hogs_start_ns, hogs_stop_ns;
};

#define MU_LOCK(m)   DF_CHECK(pthread_mutex_lock(m) == 0)
#define MU_UNLOCK(m) DF_CHECK(pthread_mutex_unlock(m) == 0)

static void serve(worker *w, const df_request *req)
{
    df_model *m = w->m;
    df_completion c = {
        .id = req->id,
        .intended_ns = req->intended_ns,
        .sent_ns = req->sent_ns,
        .started_ns = df_now_ns(),
        .worker = w->index,
    };
    df_gil_lane *l = &w->lane;
    l->ctx.request_id = req->id;
    l->gil_wait_ns = 0;
    df_trace_emit(DF_TRACE_GIL_WAIT, w->index, req->id);
    l->gil_wait_ns += df_gil_acquire(m->gil, l->gt);
    df_trace_emit(DF_TRACE_RUN, w->index, req->id);
    if (m->cfg.request_cost_ns > 0)
        df_cpu_ns(&l->ctx, m->cfg.request_cost_ns);
    c.status = m->cfg.workload->handle(&l->ctx);
    c.finished_ns = df_now_ns();
    df_trace_emit(DF_TRACE_DONE, w->index, req->id);
    /* A pending drop request makes this release wait for the hand-off
     * (FORCE_SWITCHING); finished_ns is already taken. */
    df_gil_release(m->gil, l->gt);
    c.gil_wait_ns = l->gil_wait_ns;
    m->cfg.sink(m->cfg.sink_arg, &c);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    df_model *m = w->m;
    char name[32];

    snprintf(name, sizeof name, "worker-%d", w->index);
    /* Registration only fails on ENOMEM, before any request was taken:
     * nothing sensible is left but to say so. */
    df_gil_thread *gt;
    DF_CHECK(df_gil_thread_register(m->gil, name, &gt) == 0);
    df_gil_lane_init(&w->lane, m->gil, gt, w->index);
    w->lane.ctx.state = m->cfg.workload_state;
    w->lane.ctx.params = m->cfg.params;
    MU_LOCK(&m->mu);
    m->waiting--; /* counted as idle by start_worker, until here */
    for (;;) {
        while (m->count == 0 && !m->stopping) {
            m->waiting++;
            DF_CHECK(pthread_cond_wait(&m->nonempty, &m->mu) == 0);
            m->waiting--;
        }
        if (m->count == 0)
            break;
        df_request req = m->ring[m->head];
        m->head = (m->head + 1) & (QUEUE_CAPACITY - 1);
        m->count--;
        m->busy++;
        MU_UNLOCK(&m->mu);

        serve(w, &req);

        MU_LOCK(&m->mu);
        if (--m->busy == 0 && m->count == 0)
            DF_CHECK(pthread_cond_broadcast(&m->idle) == 0);
    }
    MU_UNLOCK(&m->mu);
    return NULL;
}

static uint64_t burn(uint64_t x, int64_t iters)
{
    for (int64_t i = 0; i < iters; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

/* A CPU-bound neighbour: a Python loop that never blocks. */
static void *hog_main(void *arg)
{
    hog *h = arg;
    df_model *m = h->m;
    df_gil_thread *t;
    char name[32];
    int64_t iters = df_spin_iters_per_us();
    uint64_t x = (uint64_t)h->index;

    snprintf(name, sizeof name, "hog-%d", h->index);
    DF_CHECK(df_gil_thread_register(m->gil, name, &t) == 0);
    df_gil_acquire(m->gil, t);
    while (!__atomic_load_n(&m->hogs_stop, __ATOMIC_RELAXED)) {
        x = burn(x, iters);
        h->units++;
        df_gil_checkpoint(m->gil, t);
    }
    df_gil_release(m->gil, t);
    __asm__ volatile("" : : "r"(x));
    return NULL;
}

static void stop_hogs(df_model *m)
{
    m->hogs_stop_ns = df_now_ns();
    __atomic_store_n(&m->hogs_stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < m->nhogs; i++)
        pthread_join(m->hogs[i].th, NULL);
}

/* Tells the workers to leave once the ring is empty, and joins them. */
static void stop_workers(df_model *m)
{
    MU_LOCK(&m->mu);
    m->stopping = 1;
    DF_CHECK(pthread_cond_broadcast(&m->nonempty) == 0);
    int n = m->nworkers; /* no submit adds one once stopping is set */
    MU_UNLOCK(&m->mu);
    for (int i = 0; i < n; i++)
        pthread_join(m->workers[i].th, NULL);
}

static void destroy(df_model *m)
{
    if (!m)
        return;
    df_gil_destroy(m->gil);
    pthread_cond_destroy(&m->idle);
    pthread_cond_destroy(&m->nonempty);
    pthread_mutex_destroy(&m->mu);
    free(m->ring);
    free(m->workers);
    free(m->hogs);
    free(m);
}

/* Starts worker nworkers; 0 or -errno. Under mu once requests flow. */
static int start_worker(df_model *m)
{
    int i = m->nworkers;
    worker *w = &m->workers[i];
    w->m = m;
    w->index = i;
    /* Idle from now on for the submits that follow: a thread on its way
     * to the wait takes a request as surely as one in it. */
    m->waiting++;
    int rc = -pthread_create(&w->th, NULL, worker_main, w);
    if (rc == 0)
        m->nworkers++;
    else
        m->waiting--;
    return rc;
}

/* Starts one worker - the others start as submits find none idle, as
 * ThreadPoolExecutor's _adjust_thread_count does (#13: 1,000 threads
 * started up front touched 1,000 stacks for 100 requests) - then the
 * hogs, up to the first failure. 0 or -errno. */
static int start_threads(df_model *m)
{
    int rc = start_worker(m);
    m->hogs_start_ns = df_now_ns();
    for (int i = 0; i < m->cfg.hogs && rc == 0; i++) {
        m->hogs[i] = (hog){ .m = m, .index = i };
        rc = -pthread_create(&m->hogs[i].th, NULL, hog_main, &m->hogs[i]);
        if (rc == 0)
            m->nhogs++;
    }
    return rc;
}

static int thread_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    int nthreads = cfg->threads > 0 ? cfg->threads : 1;
    if (nthreads > DF_MODEL_MAX_THREADS || cfg->hogs < 0 ||
        cfg->hogs > DF_MODEL_MAX_HOGS || !cfg->workload || !cfg->sink)
        return df_err_set(err, -EINVAL,
                          "thread model: need 1..%d threads, 0..%d hogs, a "
                          "workload and a sink",
                          DF_MODEL_MAX_THREADS, DF_MODEL_MAX_HOGS);
    df_model *m = calloc(1, sizeof *m);
    if (!m)
        return df_err_set(err, -ENOMEM, "thread model: out of memory");
    m->cfg = *cfg;
    DF_CHECK(pthread_mutex_init(&m->mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&m->nonempty, NULL) == 0);
    DF_CHECK(pthread_cond_init(&m->idle, NULL) == 0);
    m->ring = malloc(QUEUE_CAPACITY * sizeof *m->ring);
    m->workers = calloc((size_t)nthreads, sizeof *m->workers);
    m->hogs = calloc((size_t)cfg->hogs + 1, sizeof *m->hogs);
    if (!m->ring || !m->workers || !m->hogs) {
        destroy(m);
        return df_err_set(err, -ENOMEM, "thread model: out of memory");
    }
    /* 0 in the config means the default, as for an unset CLI flag. */
    int64_t interval = cfg->switch_interval_us > 0 ? cfg->switch_interval_us
                                                   : DF_GIL_DEFAULT_INTERVAL_US;
    int check = cfg->check_interval > 0 ? cfg->check_interval
                                        : DF_GIL_DEFAULT_CHECK_INTERVAL;
    int rc = df_gil_create(cfg->gil, interval, check, &m->gil);
    if (rc < 0) {
        destroy(m);
        return df_err_set(err, rc, "thread model: GIL: %s", strerror(-rc));
    }
    m->maxworkers = nthreads;
    if ((rc = start_threads(m)) < 0) {
        stop_hogs(m);
        stop_workers(m);
        destroy(m);
        return df_err_set(err, rc, "thread model: pthread_create: %s",
                          strerror(-rc));
    }
    *out = m;
    return 0;
}

static int thread_submit(df_model *m, const df_request *req)
{
    int rc = 0;
    MU_LOCK(&m->mu);
    if (m->stopping) {
        rc = -ECANCELED;
    } else if (m->count == QUEUE_CAPACITY) {
        rc = -EAGAIN;
    } else {
        m->ring[(m->head + m->count) & (QUEUE_CAPACITY - 1)] = *req;
        m->count++;
        DF_CHECK(pthread_cond_signal(&m->nonempty) == 0);
        /* More queued than idle workers to take them: one more thread,
         * up to max_workers. A failed start leaves the request queued
         * for the workers there are (at least one). */
        if ((int)m->count > m->waiting && m->nworkers < m->maxworkers)
            (void)start_worker(m);
    }
    MU_UNLOCK(&m->mu);
    return rc;
}

/* Waits until nothing is queued or running, or until deadline_ns; then
 * drops what is still queued (in-flight requests cannot be interrupted:
 * the join waits for them). */
static void drain(df_model *m, int64_t drain_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t at = (int64_t)ts.tv_sec * DF_NS_PER_S + ts.tv_nsec +
                 (drain_ns > 0 ? drain_ns : 0);
    ts.tv_sec = at / DF_NS_PER_S;
    ts.tv_nsec = at % DF_NS_PER_S;
    MU_LOCK(&m->mu);
    while (m->count > 0 || m->busy > 0) {
        int r = pthread_cond_timedwait(&m->idle, &m->mu, &ts);
        DF_CHECK(r == 0 || r == ETIMEDOUT);
        if (r == ETIMEDOUT)
            break;
    }
    m->abandoned += m->count;
    m->count = 0;
    MU_UNLOCK(&m->mu);
}

static int get_stats(df_model *m, df_model_stats *out)
{
    uint64_t units = 0;
    for (int i = 0; i < m->nhogs; i++)
        units += m->hogs[i].units;
    double secs = df_ns_to_s(m->hogs_stop_ns - m->hogs_start_ns);
    out->has_hogs = 1;
    out->hogs = (df_model_hogs_stats){
        .count = m->nhogs,
        .work_units = units,
        .work_units_per_s = secs > 0 ? (double)units / secs : 0,
    };
    out->has_pool = 1;
    out->pool = (df_model_pool_stats){
        .threads = m->nworkers,
        .abandoned = m->abandoned,
    };
    int rc = df_gil_stats_get(m->gil, &out->gil);
    out->has_gil = rc == 0;
    return rc;
}

static int thread_stop(df_model *m,
                       int64_t drain_ns,
                       df_model_stats *stats,
                       df_err *err)
{
    int rc = 0;
    drain(m, drain_ns);
    stop_workers(m);
    stop_hogs(m);
    if (stats) {
        memset(stats, 0, sizeof *stats);
        if (get_stats(m, stats) < 0)
            rc = df_err_set(err, -ENOMEM, "thread model: out of memory");
    }
    destroy(m);
    return rc;
}

/* A lane per thread, threads per process; the GIL lets one run at a time. */
static int thread_lanes(const df_model_cfg *cfg)
{
    return (cfg->workers > 0 ? cfg->workers : 1) *
           (cfg->threads > 0 ? cfg->threads : 1);
}

static int thread_command(const df_model_cfg *cfg, char *buf, size_t len)
{
    return snprintf(buf, len, "gunicorn -k gthread -w %d --threads %d app:app",
                    cfg->workers > 0 ? cfg->workers : 1,
                    cfg->threads > 0 ? cfg->threads : 1);
}

const df_model_ops df_model_thread = {
    .name = "thread",
    .summary = "WSGI threads (gunicorn gthread): a thread pool sharing one GIL",
    .traits = DF_MODEL_THREADS | DF_MODEL_GIL | DF_MODEL_HOGS,
    .lane_name = "thread",
    .lanes = thread_lanes,
    .command = thread_command,
    .explain = "**thread** is gunicorn's gthread worker (`gunicorn -k "
               "gthread -w N --threads T app:app`): T keepers per process "
               "share one spoon, the GIL, so only one of them feeds at any "
               "instant; a keeper whose duckling is eating (waiting on I/O: "
               "time.sleep and socket calls release the GIL) puts the spoon "
               "down for the others. Threads start as requests need them, "
               "as ThreadPoolExecutor starts them. Simulated: the workers "
               "take requests back-to-back from one queue, without "
               "gthread's main thread polling sockets (which also needs "
               "the GIL), so its latency tail is this model's, not "
               "gunicorn's.",
    .start = thread_start,
    .submit = thread_submit,
    .stop = thread_stop,
};
