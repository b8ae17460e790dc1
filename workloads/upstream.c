#define _GNU_SOURCE /* SOCK_NONBLOCK, SOCK_CLOEXEC */
/* workloads/upstream.c - one round trip to a latency server per request. */
#include "workloads/upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const df_param_decl upstream_params[] = {
    { "ms", DF_PARAM_DURATION, "20", "ms",
      "server's delay before each response (a query's duration)" },
    { "jitter", DF_PARAM_DURATION, "0", "ms",
      "each delay is ms +- a uniform jitter" },
    { "pool", DF_PARAM_INT, "0", NULL,
      "requests the server serves at once, like a DB pool; 0 = unlimited" },
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

int df_upstream_call(df_ctx *ctx, const struct sockaddr_in *addr)
{
    unsigned char req[DF_LATENCY_REQUEST_BYTES] = { 0 };
    unsigned char resp[DF_LATENCY_RESPONSE_BYTES];
    size_t got = 0;
    ssize_t r;
    int rc;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    memcpy(req, &ctx->request_id,
           sizeof ctx->request_id < sizeof req ? sizeof ctx->request_id
                                               : sizeof req);
    rc = connect_ctx(ctx, fd, addr);
    if (rc == 0) {
        r = df_ctx_write(ctx, fd, req, sizeof req);
        rc = r < 0 ? (int)r : 0;
    }
    while (rc == 0 && got < sizeof resp) {
        r = df_ctx_read(ctx, fd, resp + got, sizeof resp - got);
        if (r <= 0)
            rc = r < 0 ? (int)r : -EPROTO;
        else
            got += (size_t)r;
    }
    /* Wait for the server's FIN so that it closes first and keeps the
     * TIME_WAIT: a client closing first would strand an ephemeral port for
     * a minute per request and run out of them in a long run. */
    if (rc == 0) {
        r = df_ctx_read(ctx, fd, resp, 1);
        rc = r < 0 ? (int)r : (r > 0 ? -EPROTO : 0);
    }
    if (rc == 0 && memcmp(resp, req, sizeof resp) != 0)
        rc = -EPROTO;
    close(fd);
    return rc;
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
    rc = df_latency_server_start(&cfg, &s->server, &e);
    if (rc < 0) {
        snprintf(err, n, "workload upstream: %s", e.msg);
        free(s);
        return rc;
    }
    s->addr = df_latency_server_addr(s->server);
    *state = s;
    return 0;
}

static int upstream_handle(df_ctx *ctx)
{
    const df_upstream_state *s = ctx->state;

    return df_upstream_call(ctx, &s->addr);
}

static void upstream_teardown(void *state)
{
    df_upstream_state *s = state;

    if (s)
        df_latency_server_stop(s->server);
    free(s);
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
};
