/* models/process.c - WSGI prefork: N worker processes, one shared queue.
 *
 * As gunicorn's sync workers share one listening socket, the workers here
 * share one pipe of fixed-size request records: whichever worker is free
 * reads the next one, so the queue is work-conserving and needs no
 * dispatcher. A record is smaller than PIPE_BUF, so writes are atomic and
 * every read returns one whole record. Completions come back the same way
 * on a second pipe, read by a collector thread that calls the sink.
 *
 * With cfg->inner set, each worker runs that model (thread or coroutine)
 * instead of serving requests itself - the hybrids gunicorn -w P --threads
 * T and uvicorn --workers P. The worker then feeds the inner model from
 * the pipe, taking a request only when it has a free lane (threads), or
 * greedily (coroutine, as an event loop accepts whatever arrives).
 *
 * Timestamps come from CLOCK_MONOTONIC, which is system-wide, so the
 * parent compares them across processes directly.
 */
#define _GNU_SOURCE
#include "models/model.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/trace.h"
#include "models/sync_ctx.h"

#define PIPE_BYTES   (1 << 20) /* the largest pipe an unprivileged user gets */
#define STATS_WAIT_MS 3000

_Static_assert(sizeof(df_request) <= PIPE_BUF, "request must be atomic");
_Static_assert(sizeof(df_completion) <= PIPE_BUF, "completion must be atomic");

struct df_model {
    df_model_cfg cfg;
    /* The collector re-submits from inside the sink while stop may be
     * closing the queue: a write must never meet a closed (or reused) fd.
     * One uncontended mutex per submit costs ~20 ns beside a ~2 us pipe
     * write, so it is the simple answer. */
    pthread_mutex_t submit_mu;
    int req_w;         /* parent: request records out; guarded by submit_mu */
    int done_r;        /* parent: completion records in */
    int *stats_r;      /* parent: one per worker, its stats JSON */
    pid_t *pids;
    int nworkers;
    int *stopping;     /* MAP_SHARED: workers skip what is still queued */
    pthread_t collector;
    int collector_started;
};

/* In a worker process. */
typedef struct worker {
    const df_model_cfg *cfg;
    int index;
    int req_r, done_w, stats_w;
    const int *stopping;
    sem_t lanes; /* hybrid: free lanes of the inner model */
} worker;

static int write_record(int fd, const void *rec, size_t n)
{
    for (;;) {
        ssize_t w = write(fd, rec, n);
        if (w == (ssize_t)n)
            return 0;
        if (w < 0 && errno == EINTR)
            continue;
        return w < 0 ? -errno : -EIO;
    }
}

/* 1 when a record was read, 0 at EOF, negative errno on error. */
static int read_record(int fd, void *rec, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, rec, n);
        if (r == (ssize_t)n)
            return 1;
        if (r == 0)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -errno : -EIO;
    }
}

static void serve_one(worker *w, const df_request *req)
{
    const df_model_cfg *cfg = w->cfg;
    df_completion c = { .id = req->id,
                        .intended_ns = req->intended_ns,
                        .sent_ns = req->sent_ns,
                        .worker = w->index };
    df_ctx ctx = { .ops = &df_sync_ctx_ops,
                   .eval_breaker = &df_sync_ctx_never,
                   .state = cfg->workload_state,
                   .params = cfg->params,
                   .request_id = req->id,
                   .worker = w->index };
    c.started_ns = df_now_ns();
    df_trace_emit(DF_TRACE_RUN, w->index, req->id);
    c.status = cfg->workload->handle(&ctx);
    c.finished_ns = df_now_ns();
    df_trace_emit(DF_TRACE_DONE, w->index, req->id);
    if (write_record(w->done_w, &c, sizeof c) < 0)
        _exit(4); /* the parent is gone */
}

static void inner_sink(void *arg, const df_completion *c)
{
    worker *w = arg;
    df_completion out = *c;
    out.worker = w->index; /* lanes are numbered per process */
    if (write_record(w->done_w, &out, sizeof out) < 0)
        _exit(4);
    sem_post(&w->lanes);
}

static void send_stats(worker *w, json_t *stats)
{
    char *text = stats ? json_dumps(stats, JSON_COMPACT) : NULL;
    if (text) {
        size_t n = strlen(text), off = 0;
        while (off < n) {
            ssize_t k = write(w->stats_w, text + off, n - off);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            off += (size_t)k;
        }
    }
    free(text);
    json_decref(stats);
}

static _Noreturn void run_inner(worker *w)
{
    df_model_cfg icfg = *w->cfg;
    df_model *inner;
    df_err err = { 0 };
    icfg.workers = 1;
    icfg.inner = NULL;
    icfg.sink = inner_sink;
    icfg.sink_arg = w;
    unsigned lanes = 1u << 20;
    if (strcmp(w->cfg->inner->name, "thread") == 0)
        lanes = (unsigned)(icfg.threads > 0 ? icfg.threads : 1);
    sem_init(&w->lanes, 0, lanes);
    if (w->cfg->inner->start(&icfg, &inner, &err) < 0) {
        fprintf(stderr, "duckfeed: worker %d: %s\n", w->index, err.msg);
        _exit(5);
    }
    df_request req;
    while (read_record(w->req_r, &req, sizeof req) == 1) {
        if (__atomic_load_n(w->stopping, __ATOMIC_RELAXED))
            continue;
        while (sem_wait(&w->lanes) < 0 && errno == EINTR)
            ;
        w->cfg->inner->submit(inner, &req);
    }
    json_t *stats = NULL;
    w->cfg->inner->stop(inner, 2 * DF_NS_PER_S, &stats, &err);
    close(w->done_w);
    send_stats(w, stats);
    _exit(0);
}

static _Noreturn void worker_main(worker *w)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (w->cfg->inner)
        run_inner(w);
    df_request req;
    while (read_record(w->req_r, &req, sizeof req) == 1) {
        if (__atomic_load_n(w->stopping, __ATOMIC_RELAXED))
            continue; /* stop: queued requests are abandoned, not run */
        serve_one(w, &req);
    }
    close(w->done_w);
    _exit(0);
}

static void *collect(void *arg)
{
    df_model *m = arg;
    df_completion c;
    while (read_record(m->done_r, &c, sizeof c) == 1)
        m->cfg.sink(m->cfg.sink_arg, &c);
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int process_stop(df_model *m, int64_t drain_ns, json_t **stats, df_err *err);

static int process_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    if (cfg->workers < 1)
        return df_err_set(err, -EINVAL, "process model: --workers must be >= 1");
    df_model *m = calloc(1, sizeof *m);
    if (!m)
        return df_err_set(err, -ENOMEM, "process model: out of memory");
    m->cfg = *cfg;
    m->req_w = m->done_r = -1;
    DF_CHECK(pthread_mutex_init(&m->submit_mu, NULL) == 0);
    m->pids = calloc((size_t)cfg->workers, sizeof *m->pids);
    m->stats_r = calloc((size_t)cfg->workers, sizeof *m->stats_r);
    m->stopping = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int req[2] = { -1, -1 }, done[2] = { -1, -1 }, rc;
    if (!m->pids || !m->stats_r || m->stopping == MAP_FAILED) {
        if (m->stopping == MAP_FAILED)
            m->stopping = NULL;
        rc = df_err_set(err, -ENOMEM, "process model: out of memory");
        goto fail;
    }
    if (pipe2(req, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) {
        rc = df_err_set(err, -errno, "process model: pipe: %s", strerror(errno));
        goto fail;
    }
    /* Big pipes: every request in flight fits in one of the two, so the
     * collector (which submits) and the workers never wait on each other. */
    fcntl(req[1], F_SETPIPE_SZ, PIPE_BYTES);
    fcntl(done[1], F_SETPIPE_SZ, PIPE_BYTES);
    m->req_w = req[1];
    m->done_r = done[0];
    fflush(NULL);
    for (int i = 0; i < cfg->workers; i++) {
        int st[2];
        if (pipe2(st, O_CLOEXEC) < 0) {
            rc = df_err_set(err, -errno, "process model: pipe: %s", strerror(errno));
            goto fail;
        }
        pid_t pid = fork();
        if (pid < 0) {
            rc = df_err_set(err, -errno, "process model: fork: %s", strerror(errno));
            close(st[0]);
            close(st[1]);
            goto fail;
        }
        if (pid == 0) {
            worker w = { .cfg = &m->cfg, .index = i, .req_r = req[0],
                         .done_w = done[1], .stats_w = st[1],
                         .stopping = m->stopping };
            close(req[1]);
            close(done[0]);
            close(st[0]);
            worker_main(&w);
        }
        close(st[1]);
        m->stats_r[i] = st[0];
        m->pids[i] = pid;
        m->nworkers++;
    }
    close_fd(&req[0]);
    close_fd(&done[1]);
    if ((rc = pthread_create(&m->collector, NULL, collect, m)) != 0) {
        rc = df_err_set(err, -rc, "process model: collector thread: %s", strerror(rc));
        goto fail;
    }
    m->collector_started = 1;
    *out = m;
    return 0;
fail:
    close_fd(&req[0]);
    close_fd(&done[1]);
    process_stop(m, 0, NULL, NULL);
    return rc;
}

static int process_submit(df_model *m, const df_request *req)
{
    DF_CHECK(pthread_mutex_lock(&m->submit_mu) == 0);
    int rc = m->req_w < 0 ? -ECANCELED : write_record(m->req_w, req, sizeof *req);
    DF_CHECK(pthread_mutex_unlock(&m->submit_mu) == 0);
    return rc;
}

static json_t *read_stats(int fd)
{
    char buf[65536];
    size_t len = 0;
    int64_t deadline = df_now_ns() + df_ms_to_ns(STATS_WAIT_MS);
    while (len < sizeof buf - 1) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)((deadline - df_now_ns()) / DF_NS_PER_MS);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    return len ? json_loadb(buf, len, 0, NULL) : NULL;
}

static int process_stop(df_model *m, int64_t drain_ns, json_t **stats, df_err *err)
{
    int rc = 0;
    if (m->stopping)
        __atomic_store_n(m->stopping, 1, __ATOMIC_RELAXED);
    DF_CHECK(pthread_mutex_lock(&m->submit_mu) == 0);
    close_fd(&m->req_w); /* workers see EOF once the queue is skipped */
    DF_CHECK(pthread_mutex_unlock(&m->submit_mu) == 0);
    json_t *per = json_array();
    if (m->collector_started) {
        /* Bounded drain: past it, kill the workers so the pipe hits EOF. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t t = (int64_t)ts.tv_sec * DF_NS_PER_S + ts.tv_nsec + drain_ns;
        ts.tv_sec = t / DF_NS_PER_S;
        ts.tv_nsec = t % DF_NS_PER_S;
        if (pthread_timedjoin_np(m->collector, NULL, &ts) != 0) {
            for (int i = 0; i < m->nworkers; i++)
                kill(m->pids[i], SIGKILL);
            pthread_join(m->collector, NULL);
        }
    }
    for (int i = 0; i < m->nworkers; i++) {
        json_t *s = read_stats(m->stats_r[i]);
        if (s && per)
            json_array_append_new(per, s);
        else
            json_decref(s);
        close_fd(&m->stats_r[i]);
        int status;
        while (waitpid(m->pids[i], &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL && rc == 0) {
            int sig = WTERMSIG(status);
            rc = df_err_set(err, -ECHILD,
                            "process model: worker %d killed by signal %d (SIG%s)",
                            i, sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && rc == 0) {
            rc = df_err_set(err, -ECHILD, "process model: worker %d exited with status %d",
                            i, WEXITSTATUS(status));
        }
    }
    close_fd(&m->done_r);
    if (stats && rc == 0 && per) {
        json_t *obj = json_object();
        /* One worker: its figures are the model's. Several: each process
         * has its own interpreter, so they are listed, not averaged. */
        if (json_array_size(per) == 1)
            json_object_update(obj, json_array_get(per, 0));
        if (json_array_size(per) > 0)
            json_object_set(obj, "per_process", per);
        *stats = obj;
    }
    json_decref(per);
    if (m->stopping)
        munmap(m->stopping, sizeof(int));
    free(m->pids);
    free(m->stats_r);
    pthread_mutex_destroy(&m->submit_mu);
    free(m);
    return rc;
}

const df_model_ops df_model_process = {
    .name = "process",
    .summary = "WSGI prefork (gunicorn sync): N processes, one request each",
    .start = process_start,
    .submit = process_submit,
    .stop = process_stop,
};
