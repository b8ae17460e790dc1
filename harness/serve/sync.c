/* harness/serve/sync.c - the process model's front: gunicorn's sync worker
 * (#14; servers.md section 2).
 *
 * The listening socket is non-blocking and shared by every worker: accept
 * while it succeeds, and only on EAGAIN wait in poll() for the next
 * connection, as run_for_one does; every idle worker wakes, one wins. An
 * accepted socket is blocking and serves exactly one request: the
 * response says Connection: close and the socket is closed, as sync's
 * force_close does, so every request re-enters the shared accept queue.
 * gunicorn puts no timeout on the read (its arbiter kills a worker stuck
 * past --timeout); here a request that has not arrived within
 * read_timeout_ns is dropped, which a hung client would cost sync too.
 *
 * Per request: accept, recv, send, close, and nothing else. The read
 * timeout is set once on the listener, before any worker forks: Linux
 * copies a listener's options into each connection when its handshake
 * completes (so after listen() would be too late for early clients).
 * No TCP_NODELAY: one write then close is never held back by Nagle,
 * which delays only a write behind unacknowledged data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness/serve/serve_private.h"
#include "models/sync_ctx.h"

typedef struct sync_worker {
    const df__serve_worker *w;
    df_ctx ctx;
    df_params params;
    df_http_conn conn;
    char out[DF_HTTP_OUT_BYTES];
} sync_worker;

/* Reads one request from fd and answers it; the caller closes fd. */
static void serve_one(sync_worker *s, int fd)
{
    df_http_conn *c = &s->conn;
    int st = DF_HTTP_MORE;
    size_t n = 0;
    int keep;

    df_http_conn_init(c);
    while ((st = df_http_conn_parse(c, n)) == DF_HTTP_MORE) {
        ssize_t k = recv(fd, df_http_conn_tail(c), df_http_conn_space(c), 0);
        if (k < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (k <= 0)
            return; /* EOF, a reset or the read timeout: nothing to say */
        n = (size_t)k;
    }
    size_t len = st == DF_HTTP_REQUEST
                     ? df__serve_answer(s->w->routes, c, &s->ctx, &s->params, 0,
                                        s->out, &keep)
                     : df_http_format(s->out, st, 0, "bad request\n");
    df__serve_send_all(fd, s->out, len);
}

void df__serve_sync_prepare(int listen_fd, const df_serve_cfg *cfg)
{
    int64_t ns = cfg->read_timeout_ns;
    struct timeval tv = { .tv_sec = ns / DF_NS_PER_S,
                          .tv_usec = (ns % DF_NS_PER_S) / 1000 };
    /* A failure only costs the guard against a hung peer. */
    (void)setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

int df__serve_sync(const df__serve_worker *w)
{
    sync_worker *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "duckfeed serve: worker %d: out of memory\n", w->index);
        return -ENOMEM;
    }
    s->w = w;
    s->ctx = (df_ctx){ .ops = &df_sync_ctx_ops,
                       .eval_breaker = &df_sync_ctx_never,
                       .worker = w->index,
                       .request_id = (uint64_t)w->index << 40 };
    struct pollfd p = { .fd = w->listen_fd, .events = POLLIN };
    for (;;) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            serve_one(s, fd);
            close(fd);
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNABORTED && errno != EMFILE && errno != ENFILE) {
            fprintf(stderr, "duckfeed serve: accept: %s\n", strerror(errno));
            free(s);
            return -errno;
        }
        /* EMFILE: wait for a close elsewhere rather than spin. */
        if (poll(&p, 1, errno == EMFILE || errno == ENFILE ? 100 : -1) < 0 &&
            errno != EINTR) {
            free(s);
            return -errno;
        }
    }
}
