/* models/coroutine.c - one event loop thread, a stackful coroutine per
 * request: two models (#13).
 *
 * `coroutine` is gevent-like: every ctx call that waits suspends the
 * coroutine, the plain (sync) ones too, as gevent's monkey-patching makes
 * time.sleep and socket calls yield (gunicorn -k gevent). `asyncio` is
 * uvicorn on asyncio: only the awaited ctx calls suspend; a plain call
 * (df_plain_sleep_ns, df_plain_read/write in workload.h) blocks the whole
 * loop with the GIL released, as time.sleep in an async handler does.
 *
 * Each request runs as a coroutine on the loop (models/loop/loop.h): it calls
 * the workload's handle with a ctx whose sleep, wait_fd and run_blocking
 * suspend the coroutine instead of the thread, then hands the completion
 * to the sink. With cfg->workers > 1 the process model forks one of these
 * per process (uvicorn --workers P); here there is always one loop.
 *
 * Submission. The load generator submits from its own thread: the request
 * goes into a bounded lock-free ring (Vyukov's MPMC queue, used here with a
 * single consumer), and only the submit that finds no drain pending posts
 * one through the loop's eventfd - under load most submits are one CAS and
 * two stores. The drain callback clears the flag before it empties the
 * ring, so a request published after that posts a new drain. A full ring
 * spills into a mutex-guarded array (overload only). A submit from the
 * loop thread itself (a closed-loop sink re-submitting) spawns directly.
 *
 * The GIL. The loop thread holds the interpreter lock while it runs
 * coroutines and releases it around epoll_wait; to_thread workers take it
 * briefly around each call. cfg->hogs threads spin on checkpoints while
 * holding it, the convoy neighbours of spec/GIL.md.
 */
#define _GNU_SOURCE
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
#include "models/loop/ctx.h"
#include "models/loop/loop.h"

#define RING_SLOTS (1u << 16)
#define REQ_CHUNK  256
#define MAX_HOGS   64

typedef struct slot {
    uint64_t seq; /* atomic: Vyukov's sequence */
    df_request req;
} slot;

typedef struct req {
    struct req *next_free;
    df_model *m;
    df_request r;
} req;

typedef struct req_chunk {
    struct req_chunk *next;
    req r[REQ_CHUNK];
} req_chunk;

struct df_model {
    df_model_cfg cfg;
    df_loop *loop;
    df_gil *gil; /* NULL when cfg.gil is DF_GIL_OFF */
    pthread_t thread;
    int thread_started;
    int loop_rc; /* df_loop_run's result, read after the join */
    /* Producers (any thread). */
    slot *ring;                    /* RING_SLOTS, constant */
    _Alignas(64) uint64_t enq_pos; /* atomic */
    int drain_pending;             /* atomic: a drain is posted */
    uint64_t submitted;            /* atomic */
    pthread_mutex_t ov_mu;         /* guards ov, ov_len, ov_cap */
    df_request *ov;
    size_t ov_len, ov_cap;
    int ov_count; /* atomic copy of ov_len, read without the lock */
    /* Loop thread. */
    _Alignas(64) uint64_t deq_pos;
    req *rfree;
    req_chunk *chunks;
    uint64_t completed;      /* atomic: read by stop */
    uint64_t spawn_failures; /* requests failed with -ENOMEM at spawn */
    df_err spawn_err;        /* the first spawn failure */
    int64_t drain_deadline_ns;
    int plain_blocks; /* the asyncio model: plain calls block the loop */
    /* Hogs. */
    int hogs_stop; /* atomic */
    int nhogs;
    pthread_t hog[MAX_HOGS];
};

/* Requests. */

static req *req_get(df_model *m)
{
    if (!m->rfree) {
        req_chunk *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->next = m->chunks;
        m->chunks = c;
        for (int i = REQ_CHUNK - 1; i >= 0; i--) {
            c->r[i].next_free = m->rfree;
            m->rfree = &c->r[i];
        }
    }
    req *r = m->rfree;
    m->rfree = r->next_free;
    return r;
}

static void finish(df_model *m, df_completion *c)
{
    __atomic_add_fetch(&m->completed, 1, __ATOMIC_RELEASE);
    m->cfg.sink(m->cfg.sink_arg, c);
}

static void request_main(void *arg)
{
    req *rq = arg;
    df_model *m = rq->m;
    df_completion c = {
        .id = rq->r.id,
        .intended_ns = rq->r.intended_ns,
        .sent_ns = rq->r.sent_ns,
        .started_ns = df_now_ns(),
    };
    df_ctx ctx;
    df_loop_ctx_init(&ctx, m->loop, m->plain_blocks);
    ctx.state = m->cfg.workload_state;
    ctx.params = m->cfg.params;
    ctx.request_id = rq->r.id;
    rq->next_free = m->rfree; /* everything needed is copied out */
    m->rfree = rq;

    /* ready since spawned, then running */
    df_loop_ctx_trace_resumed(m->loop, &ctx);
    if (m->cfg.request_cost_ns > 0)
        df_cpu_ns(&ctx, m->cfg.request_cost_ns);
    c.status = m->cfg.workload->handle(&ctx);
    c.finished_ns = df_now_ns();
    df_trace_emit(DF_TRACE_DONE, 0, c.id);
    finish(m, &c);
}

/* Loop thread: start one request as a coroutine. */
static void start_request(df_model *m, const df_request *r)
{
    req *rq = req_get(m);
    df_err err = { 0 };
    int rc = rq ? 0 : -ENOMEM;
    if (rq) {
        rq->m = m;
        rq->r = *r;
        rc = df_loop_spawn(m->loop, request_main, rq, NULL, &err);
        if (rc < 0) {
            rq->next_free = m->rfree;
            m->rfree = rq;
        }
    }
    if (rc < 0) {
        /* Out of memory or mappings: the request fails, visibly. */
        if (m->spawn_failures++ == 0)
            m->spawn_err = err;
        int64_t now = df_now_ns();
        df_completion c = { .id = r->id,
                            .intended_ns = r->intended_ns,
                            .sent_ns = r->sent_ns,
                            .started_ns = now,
                            .finished_ns = now,
                            .status = rc };
        finish(m, &c);
    }
}

static int ring_pop(df_model *m, df_request *out)
{
    slot *s = &m->ring[m->deq_pos & (RING_SLOTS - 1)];
    uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
    if (seq != m->deq_pos + 1)
        return 0; /* empty, or the next producer has not published yet */
    *out = s->req;
    __atomic_store_n(&s->seq, m->deq_pos + RING_SLOTS, __ATOMIC_RELEASE);
    m->deq_pos++;
    return 1;
}

static void drain_cb(void *arg)
{
    df_model *m = arg;
    df_request r;

    __atomic_store_n(&m->drain_pending, 0, __ATOMIC_SEQ_CST);
    while (ring_pop(m, &r))
        start_request(m, &r);
    if (__atomic_load_n(&m->ov_count, __ATOMIC_ACQUIRE) > 0) {
        DF_CHECK(pthread_mutex_lock(&m->ov_mu) == 0);
        df_request *batch = m->ov;
        size_t n = m->ov_len;
        m->ov = NULL;
        m->ov_len = m->ov_cap = 0;
        __atomic_store_n(&m->ov_count, 0, __ATOMIC_RELEASE);
        DF_CHECK(pthread_mutex_unlock(&m->ov_mu) == 0);
        for (size_t i = 0; i < n; i++)
            start_request(m, &batch[i]);
        free(batch);
    }
}

static int ring_push(df_model *m, const df_request *r)
{
    uint64_t pos = __atomic_load_n(&m->enq_pos, __ATOMIC_RELAXED);
    for (;;) {
        slot *s = &m->ring[pos & (RING_SLOTS - 1)];
        uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (__atomic_compare_exchange_n(&m->enq_pos, &pos, pos + 1, 1,
                                            __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
                s->req = *r;
                __atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
                return 0;
            }
        } else if (dif < 0) {
            return -EAGAIN; /* full */
        } else {
            pos = __atomic_load_n(&m->enq_pos, __ATOMIC_RELAXED);
        }
    }
}

static int overflow_push(df_model *m, const df_request *r)
{
    DF_CHECK(pthread_mutex_lock(&m->ov_mu) == 0);
    if (m->ov_len == m->ov_cap) {
        size_t cap = m->ov_cap ? 2 * m->ov_cap : 4096;
        df_request *n = realloc(m->ov, cap * sizeof *n);
        if (!n) {
            DF_CHECK(pthread_mutex_unlock(&m->ov_mu) == 0);
            return -ENOMEM;
        }
        m->ov = n;
        m->ov_cap = cap;
    }
    m->ov[m->ov_len++] = *r;
    __atomic_store_n(&m->ov_count, (int)m->ov_len, __ATOMIC_RELEASE);
    DF_CHECK(pthread_mutex_unlock(&m->ov_mu) == 0);
    return 0;
}

static int coroutine_submit(df_model *m, const df_request *r)
{
    __atomic_add_fetch(&m->submitted, 1, __ATOMIC_RELAXED);
    if (df_loop_is_loop_thread(m->loop)) {
        start_request(m, r);
        return 0;
    }
    int rc = ring_push(m, r);
    if (rc == -EAGAIN)
        rc = overflow_push(m, r);
    if (rc < 0) {
        __atomic_sub_fetch(&m->submitted, 1, __ATOMIC_RELAXED);
        return rc;
    }
    if (!__atomic_exchange_n(&m->drain_pending, 1, __ATOMIC_SEQ_CST))
        DF_CHECK(df_loop_call_soon_threadsafe(m->loop, drain_cb, m) == 0);
    return 0;
}

/* Stop: wait for what was submitted, at most until the deadline. */
static void drain_check(void *arg)
{
    df_model *m = arg;
    uint64_t done = __atomic_load_n(&m->completed, __ATOMIC_ACQUIRE);
    uint64_t sub = __atomic_load_n(&m->submitted, __ATOMIC_ACQUIRE);
    if (done >= sub || df_now_ns() >= m->drain_deadline_ns) {
        df_loop_stop(m->loop);
        return;
    }
    DF_CHECK(df_loop_call_later(m->loop, DF_NS_PER_MS, drain_check, m, NULL) ==
             0);
}

static void *loop_thread(void *arg)
{
    df_model *m = arg;
    m->loop_rc = df_loop_run(m->loop);
    return NULL;
}

/* A CPU-bound Python thread next to the loop: holds the GIL and passes
 * checkpoints until stop. */
static void *hog_thread(void *arg)
{
    df_model *m = arg;
    df_gil_thread *t;
    DF_CHECK(df_gil_thread_register(m->gil, "hog", &t) == 0);
    df_gil_acquire(m->gil, t);
    while (!__atomic_load_n(&m->hogs_stop, __ATOMIC_RELAXED)) {
        for (volatile int i = 0; i < 1000; i++)
            ;
        df_gil_checkpoint(m->gil, t);
    }
    df_gil_release(m->gil, t);
    return NULL;
}

static void free_model(df_model *m)
{
    df_loop_destroy(m->loop);
    df_gil_destroy(m->gil);
    for (req_chunk *c = m->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(m->ring);
    free(m->ov);
    DF_CHECK(pthread_mutex_destroy(&m->ov_mu) == 0);
    free(m);
}

/* The loop's interpreter lock as cfg asks (none when off). 0 or -errno. */
static int create_gil(const df_model_cfg *cfg, df_gil **out, df_err *err)
{
    *out = NULL;
    if (cfg->gil == DF_GIL_OFF)
        return 0;
    int64_t iv = cfg->switch_interval_us > 0 ? cfg->switch_interval_us
                                             : DF_GIL_DEFAULT_INTERVAL_US;
    int ci = cfg->check_interval > 0 ? cfg->check_interval
                                     : DF_GIL_DEFAULT_CHECK_INTERVAL;
    int rc = df_gil_create(cfg->gil, iv, ci, out);
    if (rc < 0)
        return df_err_set(err, rc, "coroutine model: GIL: %s", strerror(-rc));
    return 0;
}

static int start_loop_model(const df_model_cfg *cfg,
                            int plain_blocks,
                            df_model **out,
                            df_err *err)
{
    df_model *m = calloc(1, sizeof *m);
    if (!m)
        return df_err_set(err, -ENOMEM, "coroutine model: out of memory");
    m->cfg = *cfg;
    m->plain_blocks = plain_blocks;
    DF_CHECK(pthread_mutex_init(&m->ov_mu, NULL) == 0);
    int rc;
    m->ring = calloc(RING_SLOTS, sizeof *m->ring);
    if (!m->ring) {
        rc = df_err_set(err, -ENOMEM, "coroutine model: out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < RING_SLOTS; i++)
        m->ring[i].seq = i;
    rc = create_gil(cfg, &m->gil, err);
    if (rc < 0)
        goto fail;
    df_loop_cfg lc = {
        .switch_kind = cfg->switch_kind,
        .stack_kind = cfg->stack_kind,
        .stack_size_bytes = cfg->stack_size_bytes,
        .slow_callback_ns = cfg->slow_callback_ns,
        .to_thread_workers = cfg->to_thread_workers,
        .gil = m->gil,
        .name = NULL,
    };
    rc = df_loop_create(&lc, &m->loop, err);
    if (rc < 0)
        goto fail;
    rc = -pthread_create(&m->thread, NULL, loop_thread, m);
    if (rc < 0) {
        df_err_set(err, rc, "coroutine model: pthread_create: %s",
                   strerror(-rc));
        goto fail;
    }
    m->thread_started = 1;
    for (int i = 0; m->gil && i < cfg->hogs && i < MAX_HOGS; i++) {
        if (pthread_create(&m->hog[i], NULL, hog_thread, m) != 0)
            break;
        m->nhogs++;
    }
    *out = m;
    return 0;
fail:
    free_model(m);
    return rc;
}

static int coroutine_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    return start_loop_model(cfg, 0, out, err);
}

static int asyncio_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    return start_loop_model(cfg, 1, out, err);
}

static void get_loop_stats(df_model *m,
                           uint64_t abandoned,
                           df_model_loop_stats *out)
{
    df_loop_stats st;
    df_loop_stats_get(m->loop, &st);
    *out = (df_model_loop_stats){
        .slow_callbacks = st.slow_callbacks,
        .max_blocked_ns = st.max_blocked_ns,
        .switches = st.switches,
        .to_thread_workers = st.to_thread_workers,
        .to_thread_max_workers = st.to_thread_max_workers,
        .to_thread_calls = st.to_thread_calls,
        .iterations = st.iterations,
        .callbacks = st.callbacks,
        .spawned = st.spawned,
        .peak_coroutines = st.peak_coros,
        .timers_fired = st.timers_fired,
        .fd_wakeups = st.fd_wakeups,
        .threadsafe_wakeups = st.threadsafe_wakeups,
        .switch_kind = m->cfg.switch_kind,
        .stack_kind = m->cfg.stack_kind,
        .stack_size_bytes = m->cfg.stack_size_bytes > 0
                                ? m->cfg.stack_size_bytes
                                : DF_CORO_DEFAULT_STACK_BYTES,
        .stacks_mapped = st.coro.stacks_mapped,
        .saved_stack_bytes = st.coro.saved_bytes,
        .spawn_failures = m->spawn_failures,
        .abandoned = abandoned,
    };
    if (m->spawn_failures)
        snprintf(out->spawn_error, sizeof out->spawn_error, "%s",
                 m->spawn_err.msg);
}

static int coroutine_stop(df_model *m,
                          int64_t drain_ns,
                          df_model_stats *stats,
                          df_err *err)
{
    int rc = 0;
    m->drain_deadline_ns = df_now_ns() + (drain_ns > 0 ? drain_ns : 0);
    __atomic_store_n(&m->hogs_stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < m->nhogs; i++)
        DF_CHECK(pthread_join(m->hog[i], NULL) == 0);
    DF_CHECK(df_loop_call_soon_threadsafe(m->loop, drain_check, m) == 0);
    DF_CHECK(pthread_join(m->thread, NULL) == 0);
    if (m->loop_rc < 0)
        rc = df_err_set(err, m->loop_rc, "coroutine model: loop: %s",
                        strerror(-m->loop_rc));
    uint64_t sub = __atomic_load_n(&m->submitted, __ATOMIC_ACQUIRE);
    uint64_t done = __atomic_load_n(&m->completed, __ATOMIC_ACQUIRE);
    if (stats) {
        memset(stats, 0, sizeof *stats);
        get_loop_stats(m, sub > done ? sub - done : 0, &stats->loop);
        stats->has_loop = 1;
    }
    /* Drop suspended coroutines and join the to_thread pool before the
     * GIL's figures are read: they need every thread done with it. A GIL
     * whose figures do not fit in memory is left out, not an error. */
    df_loop_destroy(m->loop);
    m->loop = NULL;
    if (stats && m->gil)
        stats->has_gil = df_gil_stats_get(m->gil, &stats->gil) == 0;
    free_model(m);
    return rc;
}

/* The loop takes every request in flight: no bound from the config. */
static int coroutine_lanes(const df_model_cfg *cfg)
{
    (void)cfg;
    return 0;
}

static int coroutine_command(const df_model_cfg *cfg, char *buf, size_t len)
{
    return snprintf(buf, len, "uvicorn --workers %d app:app",
                    cfg->workers > 0 ? cfg->workers : 1);
}

static int gevent_command(const df_model_cfg *cfg, char *buf, size_t len)
{
    return snprintf(buf, len, "gunicorn -k gevent -w %d app:app",
                    cfg->workers > 0 ? cfg->workers : 1);
}

/* gunicorn -k gevent: greenlets switch at every patched blocking call
 * (servers.md section 4: monkey.patch_all() at init, gevent ggevent.py). */
const df_model_ops df_model_coroutine = {
    .name = "coroutine",
    .summary = "gevent-like: one loop thread, a stackful coroutine per "
               "request; plain (sync) calls yield too, as monkey-patched",
    .traits = DF_MODEL_GIL | DF_MODEL_HOGS,
    .lane_name = "loop",
    .lanes = coroutine_lanes,
    .command = gevent_command,
    .explain = "**coroutine** is a gevent-like loop (`gunicorn -k gevent`, "
               "greenlets on a monkey-patched standard library): one keeper "
               "per process who moves on to the next duckling the moment "
               "the current one is eating, even when the handler calls "
               "plain `time.sleep` or `sock.recv` - gevent's patches make "
               "them yield. Concurrency without parallelism; a duckling "
               "that needs spoon-feeding (CPU, an unpatched C call) holds "
               "the keeper for all. Under uvicorn only awaited calls yield: "
               "see the **asyncio** model.",
    .start = coroutine_start,
    .submit = coroutine_submit,
    .stop = coroutine_stop,
};

/* uvicorn: asyncio.run(serve()), one Task per request; only awaits yield
 * (servers.md section 5; uvicorn server.py, httptools_impl.py). */
const df_model_ops df_model_asyncio = {
    .name = "asyncio",
    .summary = "ASGI (uvicorn on asyncio): one event loop thread, a task "
               "per request; only awaited calls yield, plain ones block "
               "the loop",
    .traits = DF_MODEL_GIL | DF_MODEL_HOGS,
    .lane_name = "loop",
    .lanes = coroutine_lanes,
    .command = coroutine_command,
    .explain = "**asyncio** is uvicorn (`uvicorn --workers N app:app`, ASGI "
               "on asyncio; uvicorn picks uvloop when it is installed, with "
               "the same semantics): one keeper per process who moves on "
               "to the next duckling only where the handler *awaits*; a "
               "plain `time.sleep` or sync driver call holds the keeper - "
               "the loop is blocked, though the GIL is released. Here the "
               "loop is simulated in C: no HTTP parsing or per-request "
               "server cost is modelled.",
    .start = asyncio_start,
    .submit = coroutine_submit,
    .stop = coroutine_stop,
};
