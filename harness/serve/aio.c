/* harness/serve/aio.c - the coroutine models' front: uvicorn (asyncio)
 * and gunicorn -k gevent, one event loop per worker process (#14;
 * servers.md sections 4 and 5).
 *
 * Sockets are read and written through the loop's readiness API: a
 * coroutine per connection waits in df_loop_wait_fd until its socket is
 * readable, reads what is there without blocking, and parses it; a slow
 * client only parks its own coroutine, so it cannot stall the others. An
 * acceptor coroutine takes connections until EAGAIN when the listening
 * socket is readable (asyncio accepts up to backlog per wake-up, libuv
 * until EAGAIN). A connection idle past keepalive_ns, between requests or
 * within one, is closed: a timer resumes its wait with -ETIMEDOUT, as
 * uvicorn's timeout_keep_alive does.
 *
 * The request runs in its connection's coroutine through the models' own
 * loop ctx (models/loop/ctx.h), so the asyncio model's plain calls block
 * the loop and the coroutine model's yield. uvicorn starts a Task per
 * request on the next loop iteration; running it in place saves that
 * hop, which only reorders work within an iteration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/serve/serve_private.h"
#include "models/gil.h"
#include "models/loop/ctx.h"
#include "models/loop/loop.h"

typedef struct aconn {
    struct aio *a;
    struct aconn *next_free;
    int fd;
    df_coro *co;
    df_ctx ctx;
    df_params params;
    char out[DF_HTTP_OUT_BYTES];
    df_http_conn http;
} aconn;

typedef struct aio {
    const df__serve_worker *w;
    df_loop *loop;
    aconn *conns;
    aconn *free_list;
    df_coro *acceptor;   /* set while it waits for connections */
    int acceptor_parked; /* all connections are in use */
    uint64_t next_id;
} aio;

static void on_timeout(void *arg)
{
    aconn *c = arg;
    df_loop_resume(c->a->loop, c->co, -ETIMEDOUT);
}

/* Waits until c's socket is ready for events or keepalive_ns passed:
 * > 0, -ETIMEDOUT, or another negative errno. */
static int wait_ready(aconn *c, int events)
{
    df_loop_handle *t = NULL;
    int rc = df_loop_call_later(c->a->loop, c->a->w->keepalive_ns, on_timeout,
                                c, &t);
    if (rc < 0)
        return rc;
    rc = df_loop_wait_fd(c->a->loop, c->fd, events);
    df_loop_handle_cancel(c->a->loop, t);
    df_loop_handle_release(c->a->loop, t);
    return rc;
}

/* Reads until a request is complete: DF_HTTP_REQUEST, an error status,
 * or -1 to close without a word (EOF, reset, idle timeout). */
static int read_request(aconn *c)
{
    df_http_conn *h = &c->http;
    size_t n = 0;
    int st;
    while ((st = df_http_conn_parse(h, n)) == DF_HTTP_MORE) {
        n = 0;
        ssize_t k = recv(c->fd, df_http_conn_tail(h), df_http_conn_space(h),
                         MSG_DONTWAIT);
        if (k > 0) {
            n = (size_t)k;
            continue;
        }
        if (k == 0 || (errno != EAGAIN && errno != EINTR))
            return -1;
        if (errno == EAGAIN && wait_ready(c, DF_WAIT_READ) < 0)
            return -1;
    }
    return st;
}

/* Writes the whole response: one send, unless the socket buffer is full. */
static int write_all(aconn *c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t k = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k >= 0) {
            buf += k;
            len -= (size_t)k;
            continue;
        }
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        if (errno == EAGAIN && wait_ready(c, DF_WAIT_WRITE) < 0)
            return -ETIMEDOUT;
    }
    return 0;
}

static void conn_main(void *arg)
{
    aconn *c = arg;
    aio *a = c->a;
    int keep = 1;

    c->co = df_loop_current(a->loop);
    df_http_conn_init(&c->http);
    while (keep) {
        int st = read_request(c);
        if (st < 0)
            break;
        size_t len =
            st == DF_HTTP_REQUEST
                ? df__serve_answer(a->w->routes, &c->http, &c->ctx, &c->params,
                                   1, c->out, &keep)
                : df_http_format(c->out, st, keep = 0, "bad request\n");
        if (write_all(c, c->out, len) < 0)
            break;
        df_http_conn_next(&c->http);
    }
    close(c->fd);
    c->next_free = a->free_list;
    a->free_list = c;
    if (a->acceptor_parked) {
        a->acceptor_parked = 0;
        df_loop_resume(a->loop, a->acceptor, 0);
    }
}

/* Spawns a connection's coroutine for fd; closes fd if it cannot. */
static void start_conn(aio *a, int fd)
{
    aconn *c = a->free_list;
    a->free_list = c->next_free;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    df_err err = { 0 };
    if (df_loop_spawn(a->loop, conn_main, c, NULL, &err) < 0) {
        fprintf(stderr, "duckfeed serve: %s\n", err.msg);
        close(fd);
        c->next_free = a->free_list;
        a->free_list = c;
    }
}

static void acceptor_main(void *arg)
{
    aio *a = arg;
    a->acceptor = df_loop_current(a->loop);
    for (;;) {
        if (!a->free_list) {
            /* At max_connections: the backlog holds the rest. */
            a->acceptor_parked = 1;
            df_loop_suspend(a->loop);
            continue;
        }
        int fd =
            accept4(a->w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            start_conn(a, fd);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            df_loop_wait_fd(a->loop, a->w->listen_fd, DF_WAIT_READ);
        else if (errno != EINTR && errno != ECONNABORTED)
            df_loop_sleep_ns(a->loop, 10000000); /* EMFILE: let some close */
    }
}

static int fail(const df__serve_worker *w, const char *what, int rc)
{
    fprintf(stderr, "duckfeed serve: worker %d: %s: %s\n", w->index, what,
            strerror(-rc));
    return rc;
}

static int make_loop(const df__serve_worker *w, df_loop **out)
{
    const df_serve_cfg *cfg = w->cfg;
    df_gil *gil = NULL;
    int64_t iv = cfg->switch_interval_ns > 0 ? cfg->switch_interval_ns / 1000
                                             : DF_GIL_DEFAULT_INTERVAL_US;
    /* The GIL lives as long as the worker process: never destroyed. */
    if (cfg->gil != DF_GIL_OFF) {
        int rc =
            df_gil_create(cfg->gil, iv, DF_GIL_DEFAULT_CHECK_INTERVAL, &gil);
        if (rc < 0)
            return fail(w, "GIL", rc);
    }
    df_loop_cfg lc = { .gil = gil, .name = "loop" };
    df_err err = { 0 };
    int rc = df_loop_create(&lc, out, &err);
    if (rc < 0)
        fprintf(stderr, "duckfeed serve: worker %d: %s\n", w->index, err.msg);
    return rc;
}

int df__serve_loop(const df__serve_worker *w)
{
    int max = w->cfg->max_connections;
    aio *a = calloc(1, sizeof *a);
    if (!a)
        return fail(w, "memory", -ENOMEM);
    a->w = w;
    a->conns = calloc((size_t)max, sizeof *a->conns);
    if (!a->conns)
        return fail(w, "memory", -ENOMEM); /* the process exits */
    int rc = make_loop(w, &a->loop);
    if (rc < 0)
        return rc;
    for (int i = max - 1; i >= 0; i--) {
        aconn *c = &a->conns[i];
        c->a = a;
        df_loop_ctx_init(&c->ctx, a->loop, w->plain_blocks);
        c->ctx.worker = w->index;
        c->ctx.request_id = (uint64_t)w->index << 48 | (uint64_t)i << 28;
        c->next_free = a->free_list;
        a->free_list = c;
    }
    df_err err = { 0 };
    rc = df_loop_spawn(a->loop, acceptor_main, a, NULL, &err);
    if (rc < 0) {
        fprintf(stderr, "duckfeed serve: %s\n", err.msg);
        return rc;
    }
    rc = df_loop_run(a->loop);
    return rc < 0 ? fail(w, "loop", rc) : 0;
}
