/* harness/http/client.c - the target model: an epoll HTTP/1.1 client.
 *
 * #14: `duckfeed run --target URL` drives a real server through the same
 * point driver as the models (harness/sweep/point.c): closed and open loop,
 * latency from the intended start, Little's law, repetitions, JSON. Only
 * the "model" differs: submit queues a request, a loop thread sends it on
 * a free keep-alive connection and the response's end is the completion.
 *
 * Implementation notes:
 * - One loop thread owns every socket (as one wrk thread does). Requests
 *   reach it through a ring under a mutex: submit is called by the open-loop
 *   generator, by the harness's first closed-loop sends, and by the sink on
 *   this very thread. The ring doubles as the queue of requests waiting for
 *   a free connection, so an open-loop arrival that finds every connection
 *   busy waits there and its wait is in its latency (from intended start).
 * - The loop announces that it is about to sleep (`sleeping`), then looks
 *   at the ring once more; submit pushes, then swaps `sleeping` to 0 and
 *   writes the eventfd only if it was 1. Both sides use sequentially
 *   consistent atomics, so one of them always sees the other (no lost
 *   wake-up), and a busy loop costs submitters no syscall.
 * - One connection per request in flight, no pipelining: the closed loop's
 *   clients each own one (connections == --concurrency), the open loop has
 *   a pool of --max-inflight (default DF_HTTP_OPEN_CONNECTIONS). They are
 *   connected in start, before the clock runs, as wrk connects before it
 *   counts; a connection the server closes is reopened when next needed.
 * - The request is built once in start and written with one send; the
 *   response goes through http_parser from one reused buffer, with no
 *   callback but message-complete, so nothing is copied or allocated per
 *   request.
 * - Failures are counted by kind as wrk counts them (connect, read,
 *   write, non-2xx; and responses http_parser refuses) and complete the
 *   request with a negative status, which the harness counts as an error.
 */
#define _GNU_SOURCE
#include "harness/http/client.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness/http/url.h"

#define READ_BUF_BYTES 65536
#define MAX_EVENTS     256
#define STOP_POLL_MS   10 /* the drain looks at its deadline this often */

typedef enum conn_state {
    CONN_CLOSED = 0, /* no socket; opened when a request needs it */
    CONN_CONNECTING, /* non-blocking connect under way, request waiting */
    CONN_IDLE,       /* open, in the free list */
    CONN_BUSY,       /* request sent (or being sent), response awaited */
} conn_state;

typedef struct conn {
    int fd; /* -1 when closed */
    int index;
    conn_state state;
    int done;           /* set by on_message_complete */
    size_t written;     /* bytes of the request sent so far */
    int64_t started_ns; /* the request's first byte went out */
    df_request req;     /* the request in flight (CONNECTING, BUSY) */
    http_parser parser;
} conn;

struct df_model {
    df_model_cfg cfg;
    df_http_url url;
    struct sockaddr_in addr;
    char request[DF_HTTP_URL_MAX_PATH + 256];
    size_t request_len;
    int epfd, wakefd;
    conn *conns;
    int nconns;
    int *free_conns; /* loop thread: indices of idle or closed conns */
    int nfree;
    pthread_mutex_t mu; /* guards the ring */
    df_request *ring;
    uint32_t ring_cap, ring_head, ring_count;
    int sleeping;        /* atomic: the loop is (about to be) in epoll_wait */
    int stopping;        /* atomic: stop was called */
    int64_t deadline_ns; /* written before stopping is set */
    int64_t inflight;    /* loop thread: taken from the ring, not completed */
    char *rbuf;          /* READ_BUF_BYTES, the loop's */
    pthread_t thread;
    df_model_http_stats st; /* loop thread; read after the join */
    struct rusage ru_start;
    int64_t loop_cpu_ns; /* the loop thread's own, at its exit */
};

static int on_message_complete(http_parser *p)
{
    ((conn *)p->data)->done = 1;
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_complete = on_message_complete,
};

static void conn_close(df_model *m, conn *c)
{
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->state = CONN_CLOSED;
}

/* Hands c's request to the sink with status, and c back to the free list
 * (first, so the sink's next submit can use it). */
static void complete(df_model *m, conn *c, int status)
{
    df_completion done = {
        .id = c->req.id,
        .intended_ns = c->req.intended_ns,
        .sent_ns = c->req.sent_ns,
        .started_ns = c->started_ns ? c->started_ns : c->req.sent_ns,
        .worker = c->index,
        .status = status,
    };
    if (c->state != CONN_CLOSED)
        c->state = CONN_IDLE;
    m->free_conns[m->nfree++] = c->index;
    m->inflight--;
    done.finished_ns = df_now_ns();
    m->cfg.sink(m->cfg.sink_arg, &done);
}

/* Ends c's request with a failure of the kind counter counts. */
static void fail(df_model *m, conn *c, uint64_t *counter, int status)
{
    (*counter)++;
    conn_close(m, c);
    complete(m, c, status);
}

static void want_write(df_model *m, conn *c, int on)
{
    struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
                              .data.ptr = c };
    DF_CHECK(epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0);
}

/* Writes what is left of the request; waits for EPOLLOUT on a short
 * write (rare: it is one small buffer). */
static void send_rest(df_model *m, conn *c)
{
    while (c->written < m->request_len) {
        ssize_t n = send(c->fd, m->request + c->written,
                         m->request_len - c->written, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            want_write(m, c, 1);
            return;
        }
        if (n < 0) {
            fail(m, c, &m->st.write_errors, -errno);
            return;
        }
        c->written += (size_t)n;
    }
    if (c->written == m->request_len && c->started_ns == 0)
        c->started_ns = df_now_ns();
}

static void begin_send(df_model *m, conn *c)
{
    c->state = CONN_BUSY;
    c->done = 0;
    c->written = 0;
    c->started_ns = 0;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->started_ns = df_now_ns();
    send_rest(m, c);
}

/* A socket for c, TCP_NODELAY, in the epoll set. blocking: connect now
 * (start); otherwise a non-blocking connect that may still be under way.
 * 0, 1 (under way) or -errno. */
static int conn_open(df_model *m, conn *c, int blocking)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (!blocking)
        DF_CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&m->addr, sizeof m->addr);
    while (rc < 0 && errno == EINTR && blocking);
    if (rc < 0 && errno != EINPROGRESS && errno != EINTR) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (blocking)
        DF_CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    struct epoll_event ev = { .events = EPOLLIN | (rc < 0 ? EPOLLOUT : 0),
                              .data.ptr = c };
    DF_CHECK(epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) == 0);
    c->fd = fd;
    c->state = rc < 0 ? CONN_CONNECTING : CONN_IDLE;
    m->st.connects++;
    return rc < 0 ? 1 : 0;
}

/* Gives req to the free connection c, opening it if the server closed it. */
static void start_request(df_model *m, conn *c, const df_request *req)
{
    c->req = *req;
    c->started_ns = 0;
    m->inflight++;
    if (c->state == CONN_CLOSED) {
        int rc = conn_open(m, c, 0);
        if (rc < 0) {
            fail(m, c, &m->st.connect_errors, rc);
            return;
        }
        if (rc == 1)
            return; /* sent once connected (on_writable) */
    }
    begin_send(m, c);
}

/* Takes as many queued requests as there are free connections. */
static void dispatch(df_model *m)
{
    df_request batch[64];
    while (m->nfree > 0) {
        uint32_t n = 0, want = (uint32_t)m->nfree;
        if (want > 64)
            want = 64;
        pthread_mutex_lock(&m->mu);
        while (n < want && m->ring_count > 0) {
            batch[n++] = m->ring[m->ring_head];
            m->ring_head = (m->ring_head + 1) % m->ring_cap;
            m->ring_count--;
        }
        pthread_mutex_unlock(&m->mu);
        if (n == 0)
            return;
        for (uint32_t i = 0; i < n; i++)
            start_request(m, &m->conns[m->free_conns[--m->nfree]], &batch[i]);
    }
}

/* A whole response on c: its status decides success, its headers whether
 * the connection stays open. */
static void on_response(df_model *m, conn *c)
{
    unsigned code = c->parser.status_code;
    int keep = http_should_keep_alive(&c->parser);

    m->st.responses++;
    if (!keep)
        conn_close(m, c);
    if (code < 200 || code > 299) {
        m->st.non2xx++;
        complete(m, c, -EREMOTEIO);
        return;
    }
    complete(m, c, 0);
}

/* Bytes from the server: a response, the end of one, or the close of an
 * idle connection. */
static void on_readable(df_model *m, conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, m->rbuf, READ_BUF_BYTES, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (c->state != CONN_BUSY) { /* idle: closed by the server */
            conn_close(m, c);
            return;
        }
        if (n < 0) {
            fail(m, c, &m->st.read_errors, -errno);
            return;
        }
        /* n == 0 tells the parser of the end of the stream, which ends a
         * body that has no length. */
        size_t got = http_parser_execute(&c->parser, &parser_settings, m->rbuf,
                                         (size_t)n);
        if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || got != (size_t)n) {
            fail(m, c, &m->st.parse_errors, -EPROTO);
            return;
        }
        if (c->done) {
            on_response(m, c);
            return;
        }
        if (n == 0) {
            fail(m, c, &m->st.read_errors, -ECONNRESET);
            return;
        }
    }
}

/* The socket can take bytes: a connect ended, or a short write resumes. */
static void on_writable(df_model *m, conn *c)
{
    if (c->state == CONN_CONNECTING) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr) {
            fail(m, c, &m->st.connect_errors, -soerr);
            return;
        }
        want_write(m, c, 0);
        begin_send(m, c);
        return;
    }
    if (c->state == CONN_BUSY && c->written < m->request_len) {
        send_rest(m, c);
        if (c->state == CONN_BUSY && c->written == m->request_len)
            want_write(m, c, 0);
    }
}

static void on_event(df_model *m, const struct epoll_event *ev)
{
    conn *c = ev->data.ptr;
    if (!c) { /* the eventfd: a submit or stop woke the loop */
        uint64_t v;
        while (read(m->wakefd, &v, sizeof v) < 0 && errno == EINTR)
            ;
        return;
    }
    if (c->state == CONN_CLOSED)
        return; /* closed earlier in this batch */
    if (ev->events & (EPOLLOUT | EPOLLERR) && c->state == CONN_CONNECTING)
        on_writable(m, c);
    else if (ev->events & EPOLLOUT)
        on_writable(m, c);
    if (c->state != CONN_CLOSED && c->state != CONN_CONNECTING &&
        ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        on_readable(m, c);
}

static void wake(df_model *m)
{
    uint64_t one = 1;
    ssize_t n;
    do
        n = write(m->wakefd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
    /* EAGAIN: the counter is full, so the loop is woken already. */
    DF_CHECK(n == sizeof one || errno == EAGAIN);
}

static uint32_t ring_pending(df_model *m)
{
    pthread_mutex_lock(&m->mu);
    uint32_t n = m->ring_count;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* The loop is over: stopped with nothing left, or the drain ran out. */
static int loop_done(df_model *m)
{
    if (!__atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE))
        return 0;
    return (m->inflight == 0 && ring_pending(m) == 0) ||
           df_now_ns() >= m->deadline_ns;
}

static int64_t rusage_cpu_ns(const struct rusage *ru)
{
    return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000LL +
           (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000LL;
}

static void *loop_main(void *arg)
{
    df_model *m = arg;
    struct epoll_event ev[MAX_EVENTS];

    for (;;) {
        dispatch(m);
        if (loop_done(m))
            break;
        int timeout =
            __atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE) ? STOP_POLL_MS : -1;
        /* See the notes: announce the sleep, then look once more. */
        __atomic_store_n(&m->sleeping, 1, __ATOMIC_SEQ_CST);
        if (m->nfree > 0 && ring_pending(m) > 0) {
            __atomic_store_n(&m->sleeping, 0, __ATOMIC_SEQ_CST);
            continue;
        }
        int n = epoll_wait(m->epfd, ev, MAX_EVENTS, timeout);
        __atomic_store_n(&m->sleeping, 0, __ATOMIC_SEQ_CST);
        if (n < 0) {
            DF_CHECK(errno == EINTR);
            continue;
        }
        for (int i = 0; i < n; i++)
            on_event(m, &ev[i]);
    }
    struct rusage ru;
    DF_CHECK(getrusage(RUSAGE_THREAD, &ru) == 0);
    m->loop_cpu_ns = rusage_cpu_ns(&ru);
    return NULL;
}

/* Hot path, any thread: queue req for the loop. -EAGAIN when the queue
 * is full (the open loop counts the arrival as dropped). */
static int target_submit(df_model *m, const df_request *req)
{
    pthread_mutex_lock(&m->mu);
    if (m->ring_count == m->ring_cap) {
        pthread_mutex_unlock(&m->mu);
        return -EAGAIN;
    }
    m->ring[(m->ring_head + m->ring_count) % m->ring_cap] = *req;
    m->ring_count++;
    pthread_mutex_unlock(&m->mu);
    if (__atomic_exchange_n(&m->sleeping, 0, __ATOMIC_SEQ_CST))
        wake(m);
    return 0;
}

static void model_free(df_model *m)
{
    for (int i = 0; m->conns && i < m->nconns; i++)
        if (m->conns[i].fd >= 0)
            close(m->conns[i].fd);
    if (m->epfd >= 0)
        close(m->epfd);
    if (m->wakefd >= 0)
        close(m->wakefd);
    pthread_mutex_destroy(&m->mu);
    free(m->conns);
    free(m->free_conns);
    free(m->ring);
    free(m->rbuf);
    free(m);
}

/* Room for n more descriptors: raises the soft limit up to the hard one. */
static int ensure_fds(int n, df_err *err)
{
    struct rlimit rl;
    DF_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rlim_t need = (rlim_t)n + 64;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
                          ? need
                          : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < need)
            return df_err_set(err, -EMFILE,
                              "target: %d connections need %llu file "
                              "descriptors; the limit is %llu (ulimit -n)",
                              n, (unsigned long long)need,
                              (unsigned long long)rl.rlim_cur);
    }
    return 0;
}

/* The allocations, descriptors and request text of a new model. */
static int model_alloc(df_model *m, df_err *err)
{
    m->epfd = m->wakefd = -1;
    pthread_mutex_init(&m->mu, NULL);
    m->conns = calloc((size_t)m->nconns, sizeof *m->conns);
    m->free_conns = calloc((size_t)m->nconns, sizeof *m->free_conns);
    m->ring = calloc(m->ring_cap, sizeof *m->ring);
    m->rbuf = malloc(READ_BUF_BYTES);
    if (!m->conns || !m->free_conns || !m->ring || !m->rbuf)
        return df_err_set(err, -ENOMEM, "target: out of memory");
    for (int i = 0; i < m->nconns; i++)
        m->conns[i] = (conn){ .fd = -1, .index = i };
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    m->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->epfd < 0 || m->wakefd < 0)
        return df_err_set(err, -errno, "target: epoll/eventfd: %s",
                          strerror(errno));
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    DF_CHECK(epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->wakefd, &ev) == 0);
    int n = snprintf(m->request, sizeof m->request,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: duckfeed\r\n"
                     "\r\n",
                     m->url.path, m->url.host);
    DF_CHECK(n > 0 && (size_t)n < sizeof m->request);
    m->request_len = (size_t)n;
    m->addr = (struct sockaddr_in){ .sin_family = AF_INET,
                                    .sin_port = htons(m->url.port),
                                    .sin_addr.s_addr = m->url.addr_be };
    return 0;
}

/* Opens every connection before the clock starts, as wrk does. */
static int connect_all(df_model *m, df_err *err)
{
    for (int i = 0; i < m->nconns; i++) {
        int rc = conn_open(m, &m->conns[i], 1);
        if (rc < 0)
            return df_err_set(err, rc, "target %s: connect: %s",
                              m->cfg.target_url, strerror(-rc));
        m->free_conns[m->nfree++] = i;
    }
    return 0;
}

static int target_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    int64_t max = cfg->inflight_max;
    df_model *m;
    int rc;

    if (!cfg->target_url)
        return df_err_set(err, -EINVAL,
                          "target: no URL (duckfeed run --target URL)");
    if (max > DF_HTTP_MAX_CONNECTIONS)
        return df_err_set(err, -EINVAL,
                          "target: %lld requests in flight need as many "
                          "connections; at most %d",
                          (long long)max, DF_HTTP_MAX_CONNECTIONS);
    if (!(m = calloc(1, sizeof *m)))
        return df_err_set(err, -ENOMEM, "target: out of memory");
    m->cfg = *cfg;
    m->nconns = max > 0 ? (int)max : DF_HTTP_OPEN_CONNECTIONS;
    m->ring_cap = max > 0 ? (uint32_t)max : DF_HTTP_OPEN_QUEUE;
    if ((rc = df_http_url_parse(cfg->target_url, &m->url, err)) < 0 ||
        (rc = ensure_fds(m->nconns, err)) < 0 ||
        (rc = model_alloc(m, err)) < 0 || (rc = connect_all(m, err)) < 0)
        goto fail;
    DF_CHECK(getrusage(RUSAGE_SELF, &m->ru_start) == 0);
    if ((rc = pthread_create(&m->thread, NULL, loop_main, m)) != 0) {
        rc = df_err_set(err, -rc, "target: thread: %s", strerror(rc));
        goto fail;
    }
    *out = m;
    return 0;
fail:
    model_free(m);
    return rc;
}

static int target_stop(df_model *m,
                       int64_t drain_ns,
                       df_model_stats *stats,
                       df_err *err)
{
    struct rusage ru;

    (void)err;
    m->deadline_ns = df_now_ns() + drain_ns;
    __atomic_store_n(&m->stopping, 1, __ATOMIC_SEQ_CST);
    wake(m);
    DF_CHECK(pthread_join(m->thread, NULL) == 0);
    DF_CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    m->st.connections = m->nconns;
    m->st.abandoned = (uint64_t)m->inflight + m->ring_count;
    if (m->st.responses > 0) {
        double n = (double)m->st.responses;
        m->st.client_cpu_ns_per_request =
            (double)(rusage_cpu_ns(&ru) - rusage_cpu_ns(&m->ru_start)) / n;
        m->st.loop_cpu_ns_per_request = (double)m->loop_cpu_ns / n;
    }
    if (stats) {
        stats->has_http = 1;
        stats->http = m->st;
    }
    model_free(m);
    return 0;
}

int df_http_target_probe(const char *url, df_err *err)
{
    df_http_url u;
    int rc = df_http_url_parse(url, &u, err);
    if (rc < 0)
        return rc;
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_port = htons(u.port),
                                .sin_addr.s_addr = u.addr_be };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return df_err_set(err, -errno, "%s: socket: %s", url, strerror(errno));
    do
        rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        rc = df_err_set(err, -errno, "--target %s: connect: %s", url,
                        strerror(errno));
    close(fd);
    return rc < 0 ? rc : 0;
}

static int target_command(const df_model_cfg *cfg, char *buf, size_t len)
{
    return snprintf(buf, len, "your server at %s",
                    cfg->target_url ? cfg->target_url : "--target URL");
}

const df_model_ops df_http_target_model = {
    .name = "target",
    .summary = "an HTTP server on this machine (run --target URL), driven "
               "by duckfeed's own load generator",
    .lane_name = "connection",
    .command = target_command,
    .explain = "**target**: a real HTTP server on this machine, measured "
               "from outside by duckfeed's own load generator (`duckfeed "
               "run --target URL`): each request is a GET on a keep-alive "
               "connection, timed from its intended start to the last byte "
               "of the response.",
    .start = target_start,
    .submit = target_submit,
    .stop = target_stop,
};
