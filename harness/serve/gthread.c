/* harness/serve/gthread.c - the thread model's front: gunicorn's gthread
 * worker (#14; servers.md section 3), in each worker process.
 *
 * The main thread polls (epoll) the listening socket and the idle
 * keep-alive connections. It accepts one connection per readiness event
 * and queues it at once, without waiting for its bytes, in an unbounded
 * FIFO that --threads worker threads take from, as gthread submits to
 * ThreadPoolExecutor. A readable keep-alive connection is queued again;
 * one idle past keepalive_ns is closed.
 *
 * At max_connections (worker_connections) the listener leaves the poll
 * set until a connection closes: gthread's run() polls only while
 * nr_conns < worker_connections (G20 L193-211). Left in, the still
 * readable listener would wake epoll_wait at once, forever: a spin. G20
 * stops polling the kept connections too and waits up to 1 s for a
 * request to finish; here they stay polled, which only serves them
 * sooner. As gthread's max_keepalived, a response closes its connection
 * once max_connections - threads are kept alive, so new clients always
 * find a slot within a request's time.
 *
 * Every thread is Python code under one simulated GIL: the main thread
 * holds it while it handles a batch of events and lets go around
 * epoll_wait; a worker holds it from taking a connection to handing it
 * back, and lets go around each recv, send, epoll_ctl and close, as
 * CPython's socket calls do, and while its queue is empty (SimpleQueue.get
 * blocks without the GIL). The workload runs through the thread model's
 * own ctx (models/gil_lane.h). A worker finishing a request keeps the
 * connection: it registers it with the poller itself, under the lock that
 * guards the keep-alive list, as gthread's finish_request does (G20).
 *
 * gthread's sockets have no timeout; here a worker's recv gives up after
 * keepalive_ns, so a silent new connection cannot hold a thread forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness/serve/serve_private.h"
#include "models/gil.h"
#include "models/gil_lane.h"

typedef struct conn {
    int fd;
    struct conn *next, *prev; /* keep-alive list or free list */
    int64_t idle_deadline_ns;
    df_http_conn http;
} conn;

typedef struct gthread {
    const df__serve_worker *w;
    df_gil *gil;
    int epfd;
    conn *conns;
    pthread_mutex_t mu;   /* guards everything below */
    pthread_cond_t ready; /* the queue is not empty */
    conn **queue;         /* ring of max_connections */
    int qhead, qlen;
    conn *free_list;
    int nconns;    /* open connections */
    int nkeep;     /* connections on the keep-alive list */
    int max_keep;  /* max_connections - threads (max_keepalived) */
    int listening; /* the listener is polled: nconns < max_connections */
    conn keep;     /* sentinel of the keep-alive list, oldest first */
} gthread;

typedef struct gworker {
    gthread *g;
    df_gil_lane lane;
    df_params params;
    char out[DF_HTTP_OUT_BYTES];
} gworker;

#define LOCK(g)   DF_CHECK(pthread_mutex_lock(&(g)->mu) == 0)
#define UNLOCK(g) DF_CHECK(pthread_mutex_unlock(&(g)->mu) == 0)

/* Under mu: c leaves the keep-alive list. */
static void keep_del(gthread *g, conn *c)
{
    g->nkeep--;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

/* Under mu: c joins the keep-alive list, newest last. */
static void keep_add(gthread *g, conn *c)
{
    conn *head = &g->keep;
    c->prev = head->prev;
    c->next = head;
    head->prev->next = c;
    head->prev = c;
    g->nkeep++;
}

/* Under mu: polls the listener (on) or stops (off). Any thread may call
 * it; epoll_ctl is thread-safe. MOD to no events keeps it registered. */
static void set_listening(gthread *g, int on)
{
    struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = NULL };
    if (g->listening == on)
        return;
    DF_CHECK(epoll_ctl(g->epfd, EPOLL_CTL_MOD, g->w->listen_fd, &ev) == 0);
    g->listening = on;
}

/* Under mu. */
static void enqueue(gthread *g, conn *c)
{
    int cap = g->w->cfg->max_connections;
    g->queue[(g->qhead + g->qlen) % cap] = c;
    g->qlen++;
    DF_CHECK(pthread_cond_signal(&g->ready) == 0);
}

/* Under mu: closes c and returns it to the free list. */
static void release_conn(gthread *g, conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->next = g->free_list;
    g->free_list = c;
    g->nconns--;
    set_listening(g, 1); /* a slot is free again */
}

/* One request-response step on the worker, GIL held. 1: keep the
 * connection, 0: close it. */
static int serve_conn(gworker *gw, conn *c)
{
    df_gil_lane *l = &gw->lane;
    df_http_conn *h = &c->http;
    size_t n = 0;
    int st, keep;

    while ((st = df_http_conn_parse(h, n)) == DF_HTTP_MORE) {
        df_gil_lane_io_begin(l);
        ssize_t k = recv(c->fd, df_http_conn_tail(h), df_http_conn_space(h), 0);
        int e = errno;
        df_gil_lane_io_end(l);
        if (k < 0 && e == EINTR) {
            n = 0;
            continue;
        }
        if (k <= 0)
            return 0;
        n = (size_t)k;
    }
    gthread *g = gw->g;
    LOCK(g);
    int keep_ok = g->nkeep < g->max_keep; /* else force_close */
    UNLOCK(g);
    size_t len = st == DF_HTTP_REQUEST
                     ? df__serve_answer(g->w->routes, h, &l->ctx, &gw->params,
                                        keep_ok, gw->out, &keep)
                     : df_http_format(gw->out, st, keep = 0, "bad request\n");
    df_gil_lane_io_begin(l);
    int rc = df__serve_send_all(c->fd, gw->out, len);
    df_gil_lane_io_end(l);
    if (rc < 0 || !keep)
        return 0;
    df_http_conn_next(h);
    return 1;
}

/* Hands a kept connection back to the poller (finish_request), GIL
 * held. Lock order: the GIL, then mu; nobody takes the GIL holding mu, so
 * epoll_ctl keeps the GIL here (CPython would drop it for the call). */
static void keep_conn(gworker *gw, conn *c)
{
    gthread *g = gw->g;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = c };
    LOCK(g);
    c->idle_deadline_ns = df_now_ns() + g->w->keepalive_ns;
    keep_add(g, c);
    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        keep_del(g, c);
        release_conn(g, c);
    }
    UNLOCK(g);
}

static void *worker_main(void *arg)
{
    gworker *gw = arg;
    gthread *g = gw->g;
    df_gil_thread *gt;
    char name[32];

    snprintf(name, sizeof name, "thread-%d", gw->lane.index);
    DF_CHECK(df_gil_thread_register(g->gil, name, &gt) == 0);
    df_gil_lane_init(&gw->lane, g->gil, gt, gw->lane.index);
    gw->lane.ctx.request_id =
        (uint64_t)g->w->index << 40 | (uint64_t)gw->lane.index << 32;
    for (;;) {
        /* SimpleQueue.get: the GIL is let go only when it must wait. */
        LOCK(g);
        while (g->qlen == 0)
            DF_CHECK(pthread_cond_wait(&g->ready, &g->mu) == 0);
        conn *c = g->queue[g->qhead];
        g->qhead = (g->qhead + 1) % g->w->cfg->max_connections;
        g->qlen--;
        UNLOCK(g);
        gw->lane.gil_wait_ns = 0;
        df_gil_acquire(g->gil, gw->lane.gt);
        if (serve_conn(gw, c)) {
            keep_conn(gw, c);
        } else {
            LOCK(g);
            release_conn(g, c);
            UNLOCK(g);
        }
        df_gil_release(g->gil, gw->lane.gt);
    }
    return NULL;
}

/* Main thread, GIL and mu held: accept one connection and queue it. */
static void accept_one(gthread *g)
{
    if (!g->free_list)
        return; /* at max_connections: the backlog holds the rest */
    int fd = accept4(g->w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return; /* EAGAIN: another worker won the race */
    int one = 1;
    struct timeval tv = { .tv_sec = g->w->keepalive_ns / DF_NS_PER_S,
                          .tv_usec =
                              (g->w->keepalive_ns % DF_NS_PER_S) / 1000 };
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    conn *c = g->free_list;
    g->free_list = c->next;
    g->nconns++;
    if (!g->free_list)
        set_listening(g, 0); /* until release_conn frees a slot */
    c->fd = fd;
    df_http_conn_init(&c->http);
    enqueue(g, c);
}

/* Main thread, GIL and mu held: close keep-alive connections idle past
 * their deadline (murder_keepalived); the list is oldest first. */
static void close_idle(gthread *g, int64_t now_ns)
{
    while (g->keep.next != &g->keep &&
           g->keep.next->idle_deadline_ns <= now_ns) {
        conn *c = g->keep.next;
        keep_del(g, c);
        release_conn(g, c); /* close(2) also leaves the epoll set */
    }
}

static void main_loop(gthread *g, df_gil_thread *gt)
{
    struct epoll_event evs[64];
    int tick_ms = (int)(g->w->keepalive_ns / 1000000 / 2);
    tick_ms = tick_ms < 10 ? 10 : tick_ms > 1000 ? 1000 : tick_ms;
    for (;;) {
        df_gil_release(g->gil, gt);
        int n = epoll_wait(g->epfd, evs, 64, tick_ms);
        df_gil_acquire(g->gil, gt);
        LOCK(g);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                accept_one(g);
                continue;
            }
            epoll_ctl(g->epfd, EPOLL_CTL_DEL, c->fd, NULL);
            keep_del(g, c);
            enqueue(g, c);
        }
        close_idle(g, df_now_ns());
        UNLOCK(g);
    }
}

static int fail(const df__serve_worker *w, const char *what, int rc)
{
    fprintf(stderr, "duckfeed serve: worker %d: %s: %s\n", w->index, what,
            strerror(-rc));
    return rc;
}

int df__serve_gthread(const df__serve_worker *w)
{
    const df_serve_cfg *cfg = w->cfg;
    int nthreads = cfg->threads < 1 ? 1 : cfg->threads;
    int64_t iv = cfg->switch_interval_ns > 0 ? cfg->switch_interval_ns / 1000
                                             : DF_GIL_DEFAULT_INTERVAL_US;
    gthread *g = calloc(1, sizeof *g);
    if (!g)
        return fail(w, "memory", -ENOMEM);
    g->w = w;
    g->keep.next = g->keep.prev = &g->keep;
    g->max_keep = cfg->max_connections - nthreads;
    g->listening = 1;
    DF_CHECK(pthread_mutex_init(&g->mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&g->ready, NULL) == 0);
    g->conns = calloc((size_t)cfg->max_connections, sizeof *g->conns);
    g->queue = calloc((size_t)cfg->max_connections, sizeof *g->queue);
    gworker *gws = calloc((size_t)nthreads, sizeof *gws);
    if (!g->conns || !g->queue || !gws)
        return fail(w, "memory", -ENOMEM); /* the process exits */
    for (int i = cfg->max_connections - 1; i >= 0; i--) {
        g->conns[i].next = g->free_list;
        g->free_list = &g->conns[i];
    }
    int rc =
        df_gil_create(cfg->gil, iv, DF_GIL_DEFAULT_CHECK_INTERVAL, &g->gil);
    if (rc < 0)
        return fail(w, "GIL", rc);
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (g->epfd < 0 || epoll_ctl(g->epfd, EPOLL_CTL_ADD, w->listen_fd, &ev))
        return fail(w, "epoll", -errno);
    df_gil_thread *gt;
    DF_CHECK(df_gil_thread_register(g->gil, "main", &gt) == 0);
    df_gil_acquire(g->gil, gt);
    for (int i = 0; i < nthreads; i++) {
        pthread_t th;
        gws[i].g = g;
        gws[i].lane.index = i;
        rc = -pthread_create(&th, NULL, worker_main, &gws[i]);
        if (rc < 0)
            return fail(w, "pthread_create", rc);
        pthread_detach(th);
    }
    main_loop(g, gt);
    return 0;
}
