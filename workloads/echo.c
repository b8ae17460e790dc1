/* workloads/echo.c - one short I/O round trip per request, to a peer thread.
 *
 * The I/O side of the convoy scenario (spec/GIL.md 5 and 13 item 3): like
 * the spec's echo server, each round trip makes the worker let go of the
 * interpreter twice - once to send, once to wait for the reply - and take
 * it back twice. So under a GIL with a CPU-bound neighbour every round
 * trip pays up to two switch intervals while using almost no CPU.
 *
 * setup makes PAIRS socketpairs and starts one peer thread that polls all
 * of their far ends and echoes whatever arrives. A request borrows a pair
 * (preferably the one of its lane, ctx->worker) so that replies of
 * concurrent requests do not mix; process workers forked after setup
 * inherit the descriptors and are served by the parent's peer thread.
 */
#include "workloads/workload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAIRS 64 /* lanes served without sharing: one bit each below */

typedef struct echo_state {
    int near[PAIRS]; /* O_NONBLOCK ends the requests use */
    int far[PAIRS];  /* the peer's ends */
    int stop_r, stop_w;
    pthread_t peer;
    uint64_t busy; /* atomic bitmap: pair i is lent to a request */
    int64_t rounds;
} echo_state;

static const df_param_decl echo_params[] = {
    { "rounds", DF_PARAM_INT, "1", NULL, "round trips per request" },
    { NULL, 0, NULL, NULL, NULL },
};

/* Polls every far end plus the stop pipe; echoes bytes back as they come.
 * Writes are blocking: a reply is at most what a request sent, far below
 * a socket buffer. */
static void *peer_main(void *arg)
{
    echo_state *s = arg;
    struct pollfd p[PAIRS + 1];
    char buf[256];

    for (int i = 0; i < PAIRS; i++)
        p[i] = (struct pollfd){ .fd = s->far[i], .events = POLLIN };
    p[PAIRS] = (struct pollfd){ .fd = s->stop_r, .events = POLLIN };
    for (;;) {
        int n = poll(p, PAIRS + 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[PAIRS].revents)
            return NULL;
        for (int i = 0; i < PAIRS; i++) {
            if (!p[i].revents)
                continue;
            ssize_t r = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r <= 0) {
                if (r == 0 || (errno != EAGAIN && errno != EINTR))
                    p[i].fd = -1; /* closed: stop watching it */
                continue;
            }
            for (ssize_t done = 0; done < r;) {
                ssize_t w = send(p[i].fd, buf + done, (size_t)(r - done), 0);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0)
                    break;
                done += w;
            }
        }
    }
}

static void close_all(echo_state *s)
{
    for (int i = 0; i < PAIRS; i++) {
        if (s->near[i] >= 0)
            close(s->near[i]);
        if (s->far[i] >= 0)
            close(s->far[i]);
    }
    if (s->stop_r >= 0)
        close(s->stop_r);
    if (s->stop_w >= 0)
        close(s->stop_w);
    free(s);
}

static int echo_setup(const df_params *p, void **state, char *err, size_t n)
{
    echo_state *s = malloc(sizeof *s);
    int rc;

    if (!s)
        return -ENOMEM;
    memset(s, -1, sizeof *s);
    s->busy = 0;
    s->rounds = p && p->count > 0 ? p->value[0] : 1;
    if (s->rounds < 1) {
        snprintf(err, n, "rounds must be >= 1");
        free(s);
        return -EINVAL;
    }
    for (int i = 0; i < PAIRS; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
            goto fail_errno;
        s->near[i] = sv[0];
        s->far[i] = sv[1];
        int fl = fcntl(sv[0], F_GETFL);
        if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0)
            goto fail_errno;
    }
    int sp[2];
    if (pipe(sp) < 0)
        goto fail_errno;
    s->stop_r = sp[0];
    s->stop_w = sp[1];
    rc = pthread_create(&s->peer, NULL, peer_main, s);
    if (rc != 0) {
        snprintf(err, n, "peer thread: %s", strerror(rc));
        close_all(s);
        return -rc;
    }
    *state = s;
    return 0;
fail_errno:
    rc = -errno;
    snprintf(err, n, "socketpair: %s", strerror(errno));
    close_all(s);
    return rc;
}

/* Lends a pair: the lane's own if free, else any free one. With every
 * pair lent (more than PAIRS requests in flight) it shares the lane's:
 * each request sends and reads back exactly one byte of the same value,
 * so a shared pair still gives every reader one reply. */
static int borrow(echo_state *s, int lane, int *owned)
{
    uint64_t mine = 1ull << (lane % PAIRS);
    if (!(__atomic_fetch_or(&s->busy, mine, __ATOMIC_ACQUIRE) & mine)) {
        *owned = 1;
        return lane % PAIRS;
    }
    for (;;) {
        uint64_t b = __atomic_load_n(&s->busy, __ATOMIC_RELAXED);
        if (b == UINT64_MAX) {
            *owned = 0;
            return lane % PAIRS;
        }
        int i = __builtin_ctzll(~b);
        uint64_t bit = 1ull << i;
        if (!(__atomic_fetch_or(&s->busy, bit, __ATOMIC_ACQUIRE) & bit)) {
            *owned = 1;
            return i;
        }
    }
}

static int echo_handle(df_ctx *ctx)
{
    echo_state *s = ctx->state;
    int owned, i = borrow(s, ctx->worker < 0 ? 0 : ctx->worker, &owned);
    int fd = s->near[i];
    int rc = 0;

    for (int64_t r = 0; r < s->rounds && rc == 0; r++) {
        char c = 'd';
        /* Waiting for writability stands for CPython releasing the GIL
         * around send(); it returns at once but costs a re-acquisition. */
        rc = ctx->ops->wait_fd(ctx, fd, DF_WAIT_WRITE);
        if (rc == 0) {
            ssize_t w = df_ctx_write(ctx, fd, &c, 1);
            rc = w < 0 ? (int)w : 0;
        }
        if (rc == 0)
            rc = ctx->ops->wait_fd(ctx, fd, DF_WAIT_READ);
        if (rc == 0) {
            ssize_t got = df_ctx_read(ctx, fd, &c, 1);
            rc = got < 0 ? (int)got : got == 0 ? -ECONNRESET : 0;
        }
    }
    if (owned)
        __atomic_fetch_and(&s->busy, ~(1ull << i), __ATOMIC_RELEASE);
    return rc;
}

static void echo_teardown(void *state)
{
    echo_state *s = state;
    char c = 0;

    while (write(s->stop_w, &c, 1) < 0 && errno == EINTR)
        ;
    pthread_join(s->peer, NULL);
    close_all(s);
}

const df_workload df_workload_echo = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "echo",
    .summary = "one 1-byte round trip per request to an echo peer thread",
    .kind = DF_KIND_IO,
    .params = echo_params,
    .setup = echo_setup,
    .handle = echo_handle,
    .teardown = echo_teardown,
};
