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
 * #12: the collector must never block on the request pipe. It submits
 * (closed loop: the sink sends the client's next request) while workers
 * may be blocked writing completions it has not read yet: with more in
 * flight than the two pipes hold, each side would wait for the other
 * forever. So the request pipe is non-blocking, and a record that does
 * not fit goes to an overflow queue in the parent, preallocated to the
 * most the load keeps in flight (cfg->inflight_max), never grown. The
 * collector moves queued records into the pipe after each completion it
 * reads: while the queue is not empty the pipe holds requests, whose
 * completions are sure to come, so the queue drains as the pipe frees.
 * Any other submitter finding the queue full waits for room (the open
 * loop's generator falls behind, as with a full pipe before); the
 * collector never waits, and fails such a submit with -ENOBUFS.
 *
 * #17: the collector thread is the arbiter's loop (arbiter.c, gunicorn's
 * master): it reads completions through this file's deliver, and on a
 * worker's death fails what the worker held and forks its replacement
 * through this file's fork_one. Workers publish what they hold on their
 * boards (board.c).
 *
 * Workers, and the process that forked them, must not outlive their
 * parent (#12): each worker asks for SIGKILL when its parent dies.
 *
 * Timestamps come from CLOCK_MONOTONIC, which is system-wide, so the
 * parent compares them across processes directly.
 */
#define _GNU_SOURCE
#include "models/model.h"

#include <errno.h>
#include <fcntl.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/trace.h"
#include "models/arbiter.h"
#include "models/board.h"
#include "models/sync_ctx.h"

#define PIPE_BYTES    (1 << 20) /* the largest pipe an unprivileged user gets */
#define STATS_WAIT_MS 3000
/* The overflow queue's size when the load gives no bound. */
#define QUEUE_DEFAULT_RECORDS 65536
/* Records moved into the pipe with one write: at most PIPE_BUF bytes, so
 * the write is atomic and workers only ever read whole records. */
#define QUEUE_BATCH_RECORDS (PIPE_BUF / sizeof(df_request))
/* Exit statuses a worker gives the arbiter. */
#define EXIT_PARENT_GONE 4
#define EXIT_INNER_START 5
#define EXIT_ORPHAN      6

_Static_assert(sizeof(df_request) <= PIPE_BUF, "request must be atomic");
_Static_assert(sizeof(df_completion) <= PIPE_BUF, "completion must be atomic");

struct df_model {
    df_model_cfg cfg;
    /* The collector re-submits from inside the sink while stop may be
     * closing the queue: a write must never meet a closed (or reused) fd.
     * One uncontended mutex per submit costs ~20 ns beside a ~2 us pipe
     * write, so it is the simple answer. */
    pthread_mutex_t submit_mu; /* guards req_w and the queue below */
    pthread_cond_t room;       /* the queue drained, or req_w closed */
    int req_w;                 /* parent: request records out, O_NONBLOCK */
    df_request *queue;         /* queue_cap records, a ring; see the top */
    size_t queue_cap, queue_head;
    size_t queue_len;  /* also read unlocked (atomic) by the collector */
    int done_r;        /* parent: completion records in */
    int *stats_r;      /* parent: one per worker, its inner model's stats */
    int *stopping;     /* MAP_SHARED: workers skip what is still queued */
    int req_r, done_w; /* kept for the workers the arbiter respawns */
    df__boards *boards;
    df__arbiter *arbiter; /* its slots: the workers' pids and pipes */
    int nworkers;
    pthread_t collector;
    int collector_started;
};

/* In a worker process. */
typedef struct worker {
    const df_model_cfg *cfg;
    int index;
    int req_r, done_w, stats_w;
    const int *stopping;
    df__board *board;
    int64_t limit; /* requests before a graceful exit; 0: none */
    sem_t lanes;   /* hybrid: free lanes of the inner model */
} worker;

/* Writes one record (atomic: n <= PIPE_BUF). 0, or -errno (-EAGAIN when
 * fd is non-blocking and full). */
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
    if (cfg->request_cost_ns > 0)
        df_cpu_ns(&ctx, cfg->request_cost_ns);
    c.status = cfg->workload->handle(&ctx);
    c.finished_ns = df_now_ns();
    df_trace_emit(DF_TRACE_DONE, w->index, req->id);
    if (write_record(w->done_w, &c, sizeof c) < 0)
        _exit(EXIT_PARENT_GONE);
}

static void inner_sink(void *arg, const df_completion *c)
{
    worker *w = arg;
    df_completion out = *c;
    out.worker = w->index; /* lanes are numbered per process */
    if (write_record(w->done_w, &out, sizeof out) < 0)
        _exit(EXIT_PARENT_GONE);
    df__board_release(w->board, c->id);
    sem_post(&w->lanes);
}

/* Writes all n bytes; 0, or -1 if the reader is gone. */
static int write_all(int fd, const void *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(fd, (const char *)buf + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

/* The inner model's figures, as bytes: the struct, then its GIL's threads
 * (the parent is the same program, so the layout is the same). */
static void send_stats(worker *w, const df_model_stats *stats)
{
    if (write_all(w->stats_w, stats, sizeof *stats) == 0 &&
        stats->gil.nthreads > 0)
        (void)write_all(w->stats_w, stats->gil.threads,
                        (size_t)stats->gil.nthreads *
                            sizeof *stats->gil.threads);
}

/* Far more than any queue holds: a semaphore that never blocks. */
#define DF_PROCESS_GREEDY_LANES (1u << 20)

/* Feeds the inner model from the pipe, a lane at a time, until EOF or
 * w->limit requests (then the inner model drains: a graceful recycle). */
static void feed_inner(worker *w, df_model *inner)
{
    df_request *staged = df__board_staging(w->board);
    for (int64_t taken = 0; !w->limit || taken < w->limit;) {
        while (sem_wait(&w->lanes) < 0 && errno == EINTR)
            ;
        if (read_record(w->req_r, staged, sizeof *staged) != 1)
            return;
        if (__atomic_load_n(w->stopping, __ATOMIC_RELAXED)) {
            __atomic_store_n(&staged->id, DF__BOARD_NO_ID, __ATOMIC_RELEASE);
            sem_post(&w->lanes);
            continue;
        }
        df_request req = *staged;
        DF_CHECK(df__board_hold(w->board) == 0);
        w->cfg->inner->submit(inner, &req);
        taken++;
    }
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
    /* Take from the shared pipe only what the inner model can start at
     * once, so that idle processes get the rest; a loop (lanes 0) takes
     * every request it is offered. */
    int n = w->cfg->inner->lanes ? w->cfg->inner->lanes(&icfg) : 1;
    unsigned lanes = n > 0 ? (unsigned)n : DF_PROCESS_GREEDY_LANES;
    sem_init(&w->lanes, 0, lanes);
    if (w->cfg->inner->start(&icfg, &inner, &err) < 0) {
        fprintf(stderr, "duckfeed: worker %d: %s\n", w->index, err.msg);
        _exit(EXIT_INNER_START);
    }
    feed_inner(w, inner);
    df_model_stats stats;
    w->cfg->inner->stop(inner, 2 * DF_NS_PER_S, &stats, &err);
    close(w->done_w);
    send_stats(w, &stats);
    df_model_stats_clear(&stats);
    _exit(0);
}

/* gunicorn's sync worker: heartbeat (busy_since), one request, and after
 * w->limit of them a graceful exit, the request in hand complete. */
static _Noreturn void worker_main(worker *w)
{
    if (w->cfg->inner)
        run_inner(w);
    df_request *req = df__board_staging(w->board);
    int64_t served = 0;
    while (read_record(w->req_r, req, sizeof *req) == 1) {
        /* stop: queued requests are abandoned, not run */
        if (!__atomic_load_n(w->stopping, __ATOMIC_RELAXED)) {
            df__board_busy(w->board, df_now_ns());
            serve_one(w, req);
            df__board_busy(w->board, 0);
            served++;
        }
        __atomic_store_n(&req->id, DF__BOARD_NO_ID, __ATOMIC_RELEASE);
        if (w->limit && served >= w->limit)
            break;
    }
    close(w->done_w);
    _exit(0);
}

/* 1 on the collector thread, which must never wait in submit. */
static _Thread_local int on_collector;

/* Moves queued records into the request pipe until it is full or the
 * queue is empty; wakes submitters waiting for room. Called with
 * submit_mu held. */
static void queue_flush(df_model *m)
{
    size_t moved = 0;
    while (m->queue_len > 0 && m->req_w >= 0) {
        size_t n = m->queue_cap - m->queue_head; /* contiguous part */
        if (n > m->queue_len)
            n = m->queue_len;
        if (n > QUEUE_BATCH_RECORDS)
            n = QUEUE_BATCH_RECORDS;
        if (write_record(m->req_w, &m->queue[m->queue_head],
                         n * sizeof *m->queue) < 0)
            break; /* full (EAGAIN), or no worker left (EPIPE): stop sees */
        m->queue_head = (m->queue_head + n) % m->queue_cap;
        __atomic_store_n(&m->queue_len, m->queue_len - n, __ATOMIC_RELAXED);
        moved += n;
    }
    if (moved > 0)
        DF_CHECK(pthread_cond_broadcast(&m->room) == 0);
}

static int process_lanes(const df_model_cfg *cfg);

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* A completion read from a worker: to the sink, remembered for the
 * arbiter, and room made in the request pipe. */
static void deliver(df_model *m, const df_completion *c)
{
    df__arbiter_note(m->arbiter, c->worker, c->id);
    m->cfg.sink(m->cfg.sink_arg, c);
    /* A worker took a request to make c: the pipe may have room. */
    if (__atomic_load_n(&m->queue_len, __ATOMIC_RELAXED) > 0) {
        DF_CHECK(pthread_mutex_lock(&m->submit_mu) == 0);
        queue_flush(m);
        DF_CHECK(pthread_mutex_unlock(&m->submit_mu) == 0);
    }
}

/* Reads every completion now in the pipe (non-blocking), in batches: the
 * writes were whole records, so the reads are too. */
static void drain_completions(df_model *m)
{
    df_completion buf[64];
    for (;;) {
        ssize_t k = read(m->done_r, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        DF_CHECK(k % (ssize_t)sizeof buf[0] == 0);
        for (ssize_t i = 0; i < k / (ssize_t)sizeof buf[0]; i++)
            deliver(m, &buf[i]);
    }
}

/* deliver and drain_completions as the arbiter's callbacks. */
static void arbiter_drain(void *arg)
{
    drain_completions(arg);
}

static void arbiter_deliver(void *arg, const df_completion *c)
{
    deliver(arg, c);
}

static int fork_one(void *arg, int i, df_err *err);

/* The collector thread: the arbiter's loop (gunicorn's master). */
static void *collect(void *arg)
{
    df_model *m = arg;
    on_collector = 1;
    df__arbiter_run(m->arbiter);
    return NULL;
}

static int process_stop(df_model *m,
                        int64_t drain_ns,
                        df_model_stats *stats,
                        df_err *err);

static _Noreturn void worker_start(df_model *m, int i, int stats_w, pid_t pa)
{
    /* #12: die with the parent; it may have died before the prctl, which
     * getppid then shows. (The signal comes when the forking thread
     * ends: start's caller, or the arbiter, which outlives workers.) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != pa)
        _exit(EXIT_ORPHAN);
    worker w = { .cfg = &m->cfg,
                 .index = i,
                 .req_r = m->req_r,
                 .done_w = m->done_w,
                 .stats_w = stats_w,
                 .stopping = m->stopping,
                 .board = df__boards_at(m->boards, i),
                 .limit = df__arbiter_request_limit(m->arbiter, i) };
    close(m->req_w);
    close(m->done_r);
    for (int k = 0; k < m->nworkers; k++) {
        close(df__arbiter_slot(m->arbiter, k)->stats_r);
        if (df__arbiter_slot(m->arbiter, k)->pidfd >= 0)
            close(df__arbiter_slot(m->arbiter, k)->pidfd);
    }
    worker_main(&w);
}

/* Forks worker slot i's next incarnation with a stats pipe of its own.
 * 0, or -errno with err set. */
static int fork_one(void *arg, int i, df_err *err)
{
    df_model *m = arg;
    df__wslot *ws = df__arbiter_slot(m->arbiter, i);
    pid_t parent = getpid();
    int st[2];
    ws->completions = 0;
    ws->timed_out = 0;
    if (pipe2(st, O_CLOEXEC) < 0)
        return df_err_set(err, -errno, "process model: pipe: %s",
                          strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        worker_start(m, i, st[1], parent);
    int e = errno;
    close(st[1]);
    if (pid < 0) {
        close(st[0]);
        return df_err_set(err, -e, "process model: fork: %s", strerror(e));
    }
    ws->stats_r = st[0];
    ws->pid = pid;
    ws->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* ENOSYS (Linux < 5.3, valgrind): the arbiter polls waitid instead. */
    if (ws->pidfd < 0 && errno != ENOSYS) {
        e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        ws->pid = 0;
        return df_err_set(err, -e, "process model: pidfd_open: %s",
                          strerror(e));
    }
    return 0;
}

/* The model without workers: its arrays, boards and shared stop flag.
 * NULL when memory ran out. */
static df_model *model_new(const df_model_cfg *cfg)
{
    df_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cfg = *cfg;
    m->nworkers = cfg->workers;
    m->req_w = m->done_r = m->req_r = m->done_w = -1;
    DF_CHECK(pthread_mutex_init(&m->submit_mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&m->room, NULL) == 0);
    m->queue_cap = cfg->inflight_max > 0 ? (size_t)cfg->inflight_max
                                         : QUEUE_DEFAULT_RECORDS;
    /* Large, so mmap'd by malloc: only the pages the queue reaches are
     * ever touched. */
    if (m->queue_cap <= SIZE_MAX / sizeof *m->queue)
        m->queue = malloc(m->queue_cap * sizeof *m->queue);
    m->stopping = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m->stopping == MAP_FAILED)
        m->stopping = NULL;
    /* A hybrid holds at most its lanes (a loop: what the load keeps in
     * flight); a sync worker only its staged request. */
    uint64_t held = 0;
    if (cfg->inner) {
        int lanes = process_lanes(cfg) / (cfg->workers > 0 ? cfg->workers : 1);
        held = lanes > 0 ? (uint64_t)lanes
                         : m->queue_cap + PIPE_BYTES / sizeof(df_request);
    }
    if (!m->stopping || !m->queue ||
        df__boards_create(cfg->workers, held, &m->boards) < 0) {
        process_stop(m, 0, NULL, NULL);
        return NULL;
    }
    return m;
}

/* The arbiter of m's workers, once its pipes are open. 0, or -ENOMEM
 * with err set. */
static int start_arbiter(df_model *m, df_err *err)
{
    df__arbiter_cfg ac = {
        .nworkers = m->nworkers,
        .sync = m->cfg.inner == NULL,
        .worker_timeout_ns = m->cfg.worker_timeout_ns,
        .max_requests = m->cfg.max_requests,
        .max_requests_jitter = m->cfg.max_requests_jitter,
        .respawn_forever = m->cfg.respawn_forever,
        .done_r = m->done_r,
        .stopping = m->stopping,
        .boards = m->boards,
        .drain = arbiter_drain,
        .deliver = arbiter_deliver,
        .fork = fork_one,
        .arg = m,
    };
    if (df__arbiter_create(&ac, &m->arbiter) < 0)
        return df_err_set(err, -ENOMEM, "process model: out of memory");
    return 0;
}

static int process_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    if (cfg->workers < 1)
        return df_err_set(err, -EINVAL,
                          "process model: --workers must be >= 1");
    df_model *m = model_new(cfg);
    if (!m)
        return df_err_set(err, -ENOMEM, "process model: out of memory");
    int req[2] = { -1, -1 }, done[2] = { -1, -1 }, rc;
    if (pipe2(req, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) {
        rc =
            df_err_set(err, -errno, "process model: pipe: %s", strerror(errno));
        close_fd(&req[0]);
        close_fd(&req[1]);
        goto fail;
    }
    /* Kept here: the arbiter forks replacements with the same pipes. */
    m->req_r = req[0];
    m->req_w = req[1];
    m->done_r = done[0];
    m->done_w = done[1];
    /* Big pipes mean fewer trips through the overflow queue; the default
     * size is merely slower, so a refusal (the user's pipe quota) is no
     * error. The request pipe must not block its writer (see the top),
     * nor the completion pipe the arbiter, which drains it. */
    (void)fcntl(req[1], F_SETPIPE_SZ, PIPE_BYTES);
    (void)fcntl(done[1], F_SETPIPE_SZ, PIPE_BYTES);
    if (fcntl(req[1], F_SETFL, O_NONBLOCK) < 0 ||
        fcntl(done[0], F_SETFL, O_NONBLOCK) < 0) {
        rc = df_err_set(err, -errno, "process model: fcntl: %s",
                        strerror(errno));
        goto fail;
    }
    if ((rc = start_arbiter(m, err)) < 0)
        goto fail;
    for (int i = 0; i < m->nworkers; i++)
        if ((rc = fork_one(m, i, err)) < 0)
            goto fail;
    if ((rc = pthread_create(&m->collector, NULL, collect, m)) != 0) {
        rc = df_err_set(err, -rc, "process model: arbiter thread: %s",
                        strerror(rc));
        goto fail;
    }
    m->collector_started = 1;
    *out = m;
    return 0;
fail:
    process_stop(m, 0, NULL, NULL);
    return rc;
}

/* Straight into the pipe when nothing is queued before it (the hot
 * path: one write); else to the back of the queue, waiting for room
 * unless on the collector. 0, -ECANCELED after stop began, -ENOBUFS (the
 * collector, queue full), or -EPIPE when no worker is left. */
static int process_submit(df_model *m, const df_request *req)
{
    int rc = 0;
    DF_CHECK(pthread_mutex_lock(&m->submit_mu) == 0);
    if (m->queue_len == 0 && m->req_w >= 0) {
        rc = write_record(m->req_w, req, sizeof *req);
        if (rc != -EAGAIN)
            goto out;
        rc = 0;
    }
    while (m->queue_len == m->queue_cap && m->req_w >= 0 && !on_collector)
        DF_CHECK(pthread_cond_wait(&m->room, &m->submit_mu) == 0);
    if (m->req_w < 0)
        rc = -ECANCELED;
    else if (m->queue_len == m->queue_cap)
        rc = -ENOBUFS;
    else {
        m->queue[(m->queue_head + m->queue_len) % m->queue_cap] = *req;
        __atomic_store_n(&m->queue_len, m->queue_len + 1, __ATOMIC_RELAXED);
    }
out:
    DF_CHECK(pthread_mutex_unlock(&m->submit_mu) == 0);
    return rc;
}

/* Reads n bytes from fd unless deadline_ns (df_now_ns) passes first.
 * 0, or -1 at EOF, error or the deadline. */
static int read_by(int fd, void *buf, size_t n, int64_t deadline_ns)
{
    size_t len = 0;
    while (len < n) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)((deadline_ns - df_now_ns()) / DF_NS_PER_MS);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return -1;
        ssize_t k = read(fd, (char *)buf + len, n - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        len += (size_t)k;
    }
    return 0;
}

/* A worker's figures as send_stats wrote them, waiting STATS_WAIT_MS at
 * most. 1 when *out was filled (the caller clears it), 0 when the worker
 * sent none (a sync worker, or one that died), or -ENOMEM. */
static int read_stats(int fd, df_model_stats *out)
{
    int64_t deadline = df_now_ns() + df_ms_to_ns(STATS_WAIT_MS);
    if (read_by(fd, out, sizeof *out, deadline) < 0)
        goto none;
    /* The pointers are the worker's: only the counts mean something. */
    out->per_process = NULL;
    out->gil.threads = NULL;
    if (out->nprocesses != 0 || out->gil.nthreads < 0 ||
        out->gil.nthreads > (1 << 20))
        goto none;
    size_t n = (size_t)out->gil.nthreads;
    out->gil.threads = calloc(n + 1, sizeof *out->gil.threads);
    if (!out->gil.threads) {
        memset(out, 0, sizeof *out);
        return -ENOMEM;
    }
    if (read_by(fd, out->gil.threads, n * sizeof *out->gil.threads, deadline) <
        0) {
        df_model_stats_clear(out);
        return 0;
    }
    return 1;
none:
    memset(out, 0, sizeof *out);
    return 0;
}

/* Copies the parts of from (a worker's, not a per_process list) into to,
 * which must be zeroed. 0 or -ENOMEM. */
static int copy_parts(df_model_stats *to, const df_model_stats *from)
{
    *to = *from;
    to->gil.threads = NULL;
    size_t n = (size_t)from->gil.nthreads;
    if (from->gil.threads) {
        to->gil.threads = malloc((n + 1) * sizeof *to->gil.threads);
        if (!to->gil.threads) {
            memset(to, 0, sizeof *to);
            return -ENOMEM;
        }
        memcpy(to->gil.threads, from->gil.threads, n * sizeof *to->gil.threads);
    }
    return 0;
}

/* Waits for the arbiter at most drain_ns; past it, kills the workers
 * (their requests are abandoned, not failed) so that it ends. */
static void join_collector(df_model *m, int64_t drain_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + drain_ns;
    ts.tv_sec = t / 1000000000;
    ts.tv_nsec = t % 1000000000;
    if (pthread_timedjoin_np(m->collector, NULL, &ts) != 0) {
        df__arbiter_kill_all(m->arbiter);
        pthread_join(m->collector, NULL);
    }
}

/* Without an arbiter (start failed): kills and reaps what was forked. */
static void kill_workers(df_model *m)
{
    for (int i = 0; m->arbiter && i < m->nworkers; i++) {
        df__wslot *ws = df__arbiter_slot(m->arbiter, i);
        if (ws->pid > 0) {
            kill(ws->pid, SIGKILL);
            while (waitpid(ws->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        close_fd(&ws->pidfd);
    }
}

/* Reads every worker's figures into per (nworkers long; *n of them kept):
 * those alive at stop (a replaced worker's went with it). */
static void collect_workers(df_model *m, df_model_stats *per, int *n)
{
    for (int i = 0; m->arbiter && i < m->nworkers; i++) {
        df__wslot *ws = df__arbiter_slot(m->arbiter, i);
        df_model_stats one;
        if (ws->stats_r >= 0 && read_stats(ws->stats_r, &one) > 0) {
            if (per)
                per[(*n)++] = one;
            else
                df_model_stats_clear(&one);
        }
        close_fd(&ws->stats_r);
    }
}

static void model_free(df_model *m)
{
    close_fd(&m->done_r);
    close_fd(&m->req_r);
    close_fd(&m->done_w);
    if (m->stopping)
        munmap(m->stopping, sizeof(int));
    df__boards_destroy(m->boards);
    df__arbiter_destroy(m->arbiter);
    free(m->queue);
    pthread_cond_destroy(&m->room);
    pthread_mutex_destroy(&m->submit_mu);
    free(m);
}

static int process_stop(df_model *m,
                        int64_t drain_ns,
                        df_model_stats *stats,
                        df_err *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (m->stopping)
        __atomic_store_n(m->stopping, 1, __ATOMIC_RELAXED);
    DF_CHECK(pthread_mutex_lock(&m->submit_mu) == 0);
    close_fd(&m->req_w); /* workers see EOF once the queue is skipped */
    DF_CHECK(pthread_cond_broadcast(&m->room) == 0);
    DF_CHECK(pthread_mutex_unlock(&m->submit_mu) == 0);
    if (m->collector_started)
        join_collector(m, drain_ns);
    else
        kill_workers(m);
    df_model_stats *per = calloc((size_t)m->nworkers + 1, sizeof *per);
    int n = 0;
    collect_workers(m, per, &n);
    df_model_arbiter_stats arb = { 0 };
    const char *storm_msg = NULL;
    if (m->arbiter)
        df__arbiter_stats(m->arbiter, &arb, &storm_msg);
    int rc = storm_msg ? df_err_set(err, -ECHILD, "%s", storm_msg) : 0;
    if (stats && per && n > 0) {
        /* One worker: its figures are the model's. Several: each process
         * has its own interpreter, so they are listed, not averaged. */
        if (n == 1 && copy_parts(stats, &per[0]) < 0)
            memset(stats, 0, sizeof *stats);
        stats->nprocesses = n;
        stats->per_process = per;
        per = NULL;
    }
    if (stats) {
        stats->has_arbiter = 1;
        stats->arbiter = arb;
    }
    for (int i = 0; per && i < n; i++)
        df_model_stats_clear(&per[i]);
    free(per);
    model_free(m);
    return rc;
}

/* Each of the workers processes is one lane (gunicorn sync), or holds
 * the inner model's lanes (a hybrid). */
static int process_lanes(const df_model_cfg *cfg)
{
    int workers = cfg->workers > 0 ? cfg->workers : 1;
    df_model_cfg one = *cfg;

    if (!cfg->inner || !cfg->inner->lanes)
        return workers;
    one.workers = 1;
    one.inner = NULL;
    return workers * cfg->inner->lanes(&one);
}

static int process_command(const df_model_cfg *cfg, char *buf, size_t len)
{
    int workers = cfg->workers > 0 ? cfg->workers : 1;

    if (cfg->inner && cfg->inner->command)
        return cfg->inner->command(cfg, buf, len); /* it counts workers */
    if (cfg->inner)
        return snprintf(buf, len, "%d processes of %s", workers,
                        cfg->inner->name);
    return snprintf(buf, len, "gunicorn -w %d app:app", workers);
}

const df_model_ops df_model_process = {
    .name = "process",
    .summary = "WSGI prefork (gunicorn sync): N processes, one request each",
    .traits = DF_MODEL_PREFORK,
    .lane_name = "process",
    .lanes = process_lanes,
    .command = process_command,
    .explain = "**process** stands for gunicorn's sync worker (`gunicorn "
               "-w N app:app`, WSGI prefork): N keepers, each feeding one "
               "duckling at a time; the machine's cores are the keepers' "
               "hands, so keepers on different cores feed at the same "
               "instant - parallelism, up to the cores. gunicorn's docs "
               "suggest `-w` = 2 x cores + 1, since its workers also wait "
               "on I/O; the real sync worker closes the connection after "
               "every response (no keep-alive), and each real process "
               "carries its own copy of the app.",
    .start = process_start,
    .submit = process_submit,
    .stop = process_stop,
};
