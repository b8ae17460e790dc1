#define _GNU_SOURCE /* SOCK_NONBLOCK, SOCK_CLOEXEC */
/* workloads/upstream.c - one round trip to a latency server per request,
 * on a keep-alive connection from a per-process pool. */
#include "workloads/upstream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static const df_param_decl upstream_params[] = {
    { "ms", DF_PARAM_DURATION, "20", "ms",
      "server's delay before each response (a query's duration)" },
    { "jitter", DF_PARAM_DURATION, "0", "ms",
      "each delay is ms +- a uniform jitter" },
    { "pool", DF_PARAM_INT, "0", NULL,
      "requests the server serves at once, like a DB pool; 0 = unlimited" },
    { "conns", DF_PARAM_INT, "100", NULL,
      "keep-alive connections per worker process (the driver's pool); "
      "a request waits for a free one" },
    { NULL, 0, NULL, NULL, NULL },
};

static int connect_ctx(df_ctx *ctx, int fd, const struct sockaddr_in *addr)
{
    int so_err = 0;
    socklen_t len = sizeof so_err;

    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0)
        return 0;
    /* EINTR on a non-blocking connect also leaves it in progress. */
    if (errno != EINPROGRESS && errno != EINTR)
        return -errno;
    int w = ctx->ops->wait_fd(ctx, fd, DF_WAIT_WRITE);
    if (w < 0)
        return w;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0)
        return -errno;
    return -so_err;
}

/* write(2) of all n bytes as df_ctx_write, but with send(MSG_NOSIGNAL): a
 * pooled connection the server has closed gives EPIPE, not a SIGPIPE. */
static ssize_t send_ctx(df_ctx *ctx, int fd, const void *buf, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int w = ctx->ops->wait_fd(ctx, fd, DF_WAIT_WRITE);
        if (w < 0)
            return w;
    }
    return (ssize_t)n;
}

static int connect_new(df_ctx *ctx, const struct sockaddr_in *addr, int *out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    int rc = connect_ctx(ctx, fd, addr);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

/* One request and its response on fd. *got tells how many response bytes
 * came (0: the connection may merely have been stale). */
static int round_trip(df_ctx *ctx, int fd, size_t *got)
{
    unsigned char req[DF_LATENCY_REQUEST_BYTES] = { 0 };
    unsigned char resp[DF_LATENCY_RESPONSE_BYTES];
    ssize_t r;

    memcpy(req, &ctx->request_id,
           sizeof ctx->request_id < sizeof req ? sizeof ctx->request_id
                                               : sizeof req);
    *got = 0;
    r = send_ctx(ctx, fd, req, sizeof req);
    if (r < 0)
        return (int)r;
    while (*got < sizeof resp) {
        r = df_ctx_read(ctx, fd, resp + *got, sizeof resp - *got);
        if (r <= 0)
            return r < 0 ? (int)r : -EPROTO;
        *got += (size_t)r;
    }
    return memcmp(resp, req, sizeof resp) == 0 ? 0 : -EPROTO;
}

int df_upstream_call(df_ctx *ctx, const struct sockaddr_in *addr)
{
    size_t got;
    int fd;
    int rc = connect_new(ctx, addr, &fd);

    if (rc < 0)
        return rc;
    rc = round_trip(ctx, fd, &got);
    close(fd);
    return rc;
}

int df_upstream_pool_init(df_upstream_pool *p,
                          struct sockaddr_in addr,
                          int size)
{
    DF_CHECK(size >= 1 && size <= DF_UPSTREAM_CONNS_MAX);
    *p = (df_upstream_pool){ .addr = addr, .size = size };
    p->fds = malloc((size_t)size * sizeof *p->fds);
    p->free_slots = malloc((size_t)size * sizeof *p->free_slots);
    if (!p->fds || !p->free_slots) {
        free(p->fds);
        free(p->free_slots);
        p->fds = NULL;
        return -ENOMEM;
    }
    /* Slot 0 on top: the first connection is the one reused. */
    for (int i = 0; i < size; i++) {
        p->fds[i] = -1;
        p->free_slots[i] = size - 1 - i;
    }
    p->nfree = size;
    DF_CHECK(pthread_mutex_init(&p->mu, NULL) == 0);
    return 0;
}

static void slot_drop(df_upstream_pool *p, int slot)
{
    close(p->fds[slot]);
    p->fds[slot] = -1;
}

/* The round trip on slot's connection, connecting when it has none. */
static int pool_slot_call(df_ctx *ctx, df_upstream_pool *p, int slot)
{
    size_t got;
    int reused = p->fds[slot] >= 0, rc;

    for (;;) {
        if (p->fds[slot] < 0) {
            rc = connect_new(ctx, &p->addr, &p->fds[slot]);
            if (rc < 0)
                return rc;
            __atomic_add_fetch(&p->connects, 1, __ATOMIC_RELAXED);
        }
        rc = round_trip(ctx, p->fds[slot], &got);
        if (rc == 0)
            return 0;
        slot_drop(p, slot);
        /* A stale keep-alive connection fails before any answer: the
         * request never reached a live server, so try it once on a new
         * one, as drivers do. */
        if (!reused || got > 0 ||
            (rc != -EPROTO && rc != -EPIPE && rc != -ECONNRESET))
            return rc;
        reused = 0;
    }
}

/* A request waiting for a connection. On the heap, not the stack: on
 * shared coroutine stacks a suspended request's frame is not where it was
 * when the returner writes slot. */
struct df_upstream_waiter {
    int efd;
    int slot; /* -1 until handed one, under mu */
    struct df_upstream_waiter *next;
};

/* Waits through the ctx for a returned connection's slot; a negative
 * errno if the wait failed (then nothing is held). */
static int pool_wait(df_ctx *ctx, df_upstream_pool *p, df_upstream_waiter *w)
{
    uint64_t one;
    ssize_t r = df_ctx_read(ctx, w->efd, &one, sizeof one);
    int slot = -1;

    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    if (w->slot >= 0) {
        slot = w->slot;
    } else { /* the wait failed before a hand-off: leave the queue */
        df_upstream_waiter **pp = &p->q_head;
        while (*pp != w)
            pp = &(*pp)->next;
        *pp = w->next;
        if (p->q_tail == w) {
            p->q_tail = NULL;
            for (df_upstream_waiter *x = p->q_head; x; x = x->next)
                p->q_tail = x;
        }
    }
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    close(w->efd);
    free(w);
    return slot >= 0 ? slot : (r < 0 ? (int)r : -EIO);
}

/* A free slot, at once or after a wait; or a negative errno. The mutex is
 * held for a pop or a push only, never across a ctx call. */
static int pool_take(df_ctx *ctx, df_upstream_pool *p)
{
    df_upstream_waiter *w;

    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    if (p->nfree > 0) {
        int slot = p->free_slots[--p->nfree];
        DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
        return slot;
    }
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    /* Every connection busy: the slow path may allocate. */
    w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    *w = (df_upstream_waiter){ .slot = -1 };
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0) {
        int e = -errno;
        free(w);
        return e;
    }
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    if (p->nfree > 0) { /* one came back meanwhile */
        int slot = p->free_slots[--p->nfree];
        DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
        close(w->efd);
        free(w);
        return slot;
    }
    if (p->q_tail)
        p->q_tail->next = w;
    else
        p->q_head = w;
    p->q_tail = w;
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    return pool_wait(ctx, p, w);
}

static void pool_give(df_upstream_pool *p, int slot)
{
    uint64_t one = 1;
    df_upstream_waiter *w;

    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    w = p->q_head;
    if (w) {
        p->q_head = w->next;
        if (!p->q_head)
            p->q_tail = NULL;
        w->slot = slot;
    } else {
        p->free_slots[p->nfree++] = slot;
    }
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    /* w lives until its owner has read this. */
    if (w)
        DF_CHECK(write(w->efd, &one, sizeof one) == sizeof one);
}

int df_upstream_pool_call(df_ctx *ctx, df_upstream_pool *p)
{
    int slot = pool_take(ctx, p);

    if (slot < 0)
        return slot;
    int rc = pool_slot_call(ctx, p, slot);
    pool_give(p, slot);
    return rc;
}

void df_upstream_pool_close(df_upstream_pool *p)
{
    if (!p->fds)
        return;
    for (int i = 0; i < p->size; i++)
        if (p->fds[i] >= 0)
            slot_drop(p, i);
    pthread_mutex_destroy(&p->mu);
    free(p->fds);
    free(p->free_slots);
    p->fds = NULL;
}

static int upstream_setup(const df_params *p, void **state, char *err, size_t n)
{
    df_upstream_state *s = calloc(1, sizeof *s);
    df_latency_server_cfg cfg = {
        .delay_ns = p->value[0],
        .jitter_ns = p->value[1],
        .pool = (int)p->value[2],
    };
    df_err e = { 0 };
    int rc;

    if (!s)
        return -ENOMEM;
    if (p->value[2] < 0 || p->value[2] > INT32_MAX) {
        snprintf(err, n, "workload upstream: parameter pool: must be >= 0");
        free(s);
        return -EINVAL;
    }
    if (p->value[3] < 1 || p->value[3] > DF_UPSTREAM_CONNS_MAX) {
        snprintf(err, n, "workload upstream: parameter conns: must be 1..%d",
                 DF_UPSTREAM_CONNS_MAX);
        free(s);
        return -EINVAL;
    }
    rc = df_latency_server_start(&cfg, &s->server, &e);
    if (rc < 0) {
        snprintf(err, n, "workload upstream: %s", e.msg);
        free(s);
        return rc;
    }
    s->addr = df_latency_server_addr(s->server);
    rc = df_upstream_pool_init(&s->pool, s->addr, (int)p->value[3]);
    if (rc < 0) {
        snprintf(err, n, "workload upstream: out of memory");
        df_latency_server_stop(s->server);
        free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int upstream_handle(df_ctx *ctx)
{
    df_upstream_state *s = ctx->state;

    return df_upstream_pool_call(ctx, &s->pool);
}

static void upstream_teardown(void *state)
{
    df_upstream_state *s = state;

    if (s) {
        df_upstream_pool_close(&s->pool);
        df_latency_server_stop(s->server);
    }
    free(s);
}

void df_upstream_peer(void *state, df_workload_peer *out)
{
    df_upstream_state *s = state;
    df_latency_server_counts c;

    df_latency_server_counts_get(s->server, &c);
    *out = (df_workload_peer){ .requests = c.requests,
                               .responses = c.responses,
                               .late = c.late,
                               .lag_ns = c.lag_ns,
                               .refused = c.rejected };
}

const df_workload df_workload_upstream = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "upstream",
    .summary = "a TCP round trip to a loopback server answering after `ms` "
               "(a DB query or an API call)",
    .kind = DF_KIND_IO,
    .params = upstream_params,
    .setup = upstream_setup,
    .handle = upstream_handle,
    .teardown = upstream_teardown,
    .peer = df_upstream_peer,
};
