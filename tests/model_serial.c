/* tests/model_serial.c - a fourth model, defined outside models/: one
 * thread serving requests one at a time in arrival order, as Python's
 * `http.server` does (HTTPServer without the threading mixin).
 *
 * It exists to prove that a model is one file plus one df_model_register
 * line: `run`, `plot`, `suite` and the report take it with no other change
 * (tests/test_extra_model.c). So it uses only the public interfaces -
 * models/model.h, the workload ABI, base/ - and keeps everything simple
 * rather than fast: a mutex-guarded ring, as the thread model has.
 */
#include "models/model.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/trace.h"

#define QUEUE_CAPACITY 1024 /* power of two; submit says EAGAIN beyond */

#define MU_LOCK(m)   DF_CHECK(pthread_mutex_lock(m) == 0)
#define MU_UNLOCK(m) DF_CHECK(pthread_mutex_unlock(m) == 0)

struct df_model {
    df_model_cfg cfg;
    df_ctx ctx; /* the one lane's, used by the server thread only */
    pthread_t server;
    pthread_mutex_t mu;      /* guards the fields below */
    pthread_cond_t nonempty; /* a request was queued, or stopping */
    pthread_cond_t idle;     /* nothing queued and nothing running */
    df_request ring[QUEUE_CAPACITY];
    unsigned head, count;
    int busy;        /* 0/1: a request is being served */
    int stopping;    /* 0/1: take no more; the server exits */
    uint64_t served; /* requests handled */
};

/* The ctx services of a lane with no interpreter lock: time and I/O block
 * the only thread, which is the point of this model. */
static const volatile int never = 0;

static void serial_checkpoint_slow(df_ctx *ctx)
{
    (void)ctx; /* the eval breaker is constant 0: never called */
}

static int serial_sleep_ns(df_ctx *ctx, int64_t ns)
{
    struct timespec ts = { .tv_sec = ns / 1000000000,
                           .tv_nsec = ns % 1000000000 };

    if (ns < 0)
        return -EINVAL;
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
    return 0;
}

static int serial_wait_fd(df_ctx *ctx, int fd, int events)
{
    struct pollfd p = { .fd = fd };
    int r;

    p.events = (short)(((events & DF_WAIT_READ) ? POLLIN : 0) |
                       ((events & DF_WAIT_WRITE) ? POLLOUT : 0));
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    while ((r = poll(&p, 1, -1)) < 0 && errno == EINTR)
        ;
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
    return r < 0 ? -errno : 0;
}

static int serial_run_blocking(df_ctx *ctx, int (*fn)(void *), void *arg)
{
    (void)ctx;
    return fn(arg);
}

static const df_ctx_ops serial_ctx_ops = {
    .checkpoint_slow = serial_checkpoint_slow,
    .sleep_ns = serial_sleep_ns,
    .wait_fd = serial_wait_fd,
    .run_blocking = serial_run_blocking,
};

static void serve(df_model *m, const df_request *req)
{
    df_completion c = {
        .id = req->id,
        .intended_ns = req->intended_ns,
        .sent_ns = req->sent_ns,
        .started_ns = df_now_ns(),
    };

    m->ctx.request_id = req->id;
    df_trace_emit(DF_TRACE_RUN, 0, req->id);
    c.status = m->cfg.workload->handle(&m->ctx);
    c.finished_ns = df_now_ns();
    df_trace_emit(DF_TRACE_DONE, 0, req->id);
    m->cfg.sink(m->cfg.sink_arg, &c);
}

static void *server_main(void *arg)
{
    df_model *m = arg;

    MU_LOCK(&m->mu);
    for (;;) {
        while (m->count == 0 && !m->stopping)
            DF_CHECK(pthread_cond_wait(&m->nonempty, &m->mu) == 0);
        if (m->stopping)
            break;
        df_request req = m->ring[m->head];
        m->head = (m->head + 1) & (QUEUE_CAPACITY - 1);
        m->count--;
        m->busy = 1;
        MU_UNLOCK(&m->mu);

        serve(m, &req);

        MU_LOCK(&m->mu);
        m->busy = 0;
        m->served++;
        if (m->count == 0)
            DF_CHECK(pthread_cond_broadcast(&m->idle) == 0);
    }
    MU_UNLOCK(&m->mu);
    return NULL;
}

static int serial_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    df_model *m = calloc(1, sizeof *m);
    int rc;

    if (!m)
        return df_err_set(err, -ENOMEM, "serial model: out of memory");
    m->cfg = *cfg;
    m->ctx = (df_ctx){ .ops = &serial_ctx_ops,
                       .eval_breaker = &never,
                       .state = cfg->workload_state,
                       .params = cfg->params };
    DF_CHECK(pthread_mutex_init(&m->mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&m->nonempty, NULL) == 0);
    DF_CHECK(pthread_cond_init(&m->idle, NULL) == 0);
    rc = pthread_create(&m->server, NULL, server_main, m);
    if (rc != 0) {
        pthread_cond_destroy(&m->idle);
        pthread_cond_destroy(&m->nonempty);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return df_err_set(err, -rc, "serial model: pthread_create: %s",
                          strerror(rc));
    }
    *out = m;
    return 0;
}

static int serial_submit(df_model *m, const df_request *req)
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
    }
    MU_UNLOCK(&m->mu);
    return rc;
}

/* Waits (at most drain_ns) for the queue to empty and the request being
 * served to finish, then drops what is still queued and joins. */
static int serial_stop(df_model *m,
                       int64_t drain_ns,
                       df_model_stats *stats,
                       df_err *err)
{
    struct timespec ts;
    int rc = 0;

    DF_CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0);
    int64_t at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
                 (drain_ns > 0 ? drain_ns : 0);
    ts = (struct timespec){ .tv_sec = at / 1000000000,
                            .tv_nsec = at % 1000000000 };
    MU_LOCK(&m->mu);
    while ((m->count > 0 || m->busy) &&
           pthread_cond_timedwait(&m->idle, &m->mu, &ts) != ETIMEDOUT)
        ;
    m->stopping = 1;
    DF_CHECK(pthread_cond_broadcast(&m->nonempty) == 0);
    MU_UNLOCK(&m->mu);
    DF_CHECK(pthread_join(m->server, NULL) == 0);
    /* No GIL, loop or processes: nothing for the stats struct (left as the
     * caller cleared it). */
    (void)stats;
    (void)err;
    pthread_cond_destroy(&m->idle);
    pthread_cond_destroy(&m->nonempty);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return rc;
}

/* One lane per process: the one thread. */
static int serial_lanes(const df_model_cfg *cfg)
{
    return cfg->workers > 0 ? cfg->workers : 1;
}

static int serial_command(const df_model_cfg *cfg, char *buf, size_t len)
{
    if (cfg->workers > 1)
        return snprintf(buf, len, "%d x python -m http.server", cfg->workers);
    return snprintf(buf, len, "python -m http.server");
}

const df_model_ops df_model_serial = {
    .name = "serial",
    .summary = "one thread, one request at a time (python -m http.server)",
    .traits = 0, /* not prefork, no --threads, no GIL to share, no hogs */
    .lane_name = "server",
    .lanes = serial_lanes,
    .command = serial_command,
    .explain = "**serial** is Python's `http.server` (HTTPServer without "
               "the threading mixin): one keeper who feeds one duckling at "
               "a time and waits beside it while it eats - neither "
               "parallelism nor concurrency.",
    .start = serial_start,
    .submit = serial_submit,
    .stop = serial_stop,
};
