/* models/sync_ctx.c - blocking ctx services for a single-request lane. */
#include "models/sync_ctx.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "base/trace.h"

const volatile int df_sync_ctx_never = 0;

static void sync_checkpoint_slow(df_ctx *ctx)
{
    (void)ctx; /* the eval breaker is constant 0: never called */
}

static int sync_sleep_ns(df_ctx *ctx, int64_t ns)
{
    if (ns < 0)
        return -EINVAL;
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    struct timespec ts = { .tv_sec = ns / 1000000000,
                           .tv_nsec = ns % 1000000000 };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
    return 0;
}

static int sync_wait_fd(df_ctx *ctx, int fd, int events)
{
    struct pollfd p = { .fd = fd };
    p.events = (short)(((events & DF_WAIT_READ) ? POLLIN : 0) |
                       ((events & DF_WAIT_WRITE) ? POLLOUT : 0));
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    int r;
    while ((r = poll(&p, 1, -1)) < 0 && errno == EINTR)
        ;
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
    return r < 0 ? -errno : 0;
}

static int sync_run_blocking(df_ctx *ctx, df_blocking_fn *fn, void *arg)
{
    (void)ctx;
    return fn(arg);
}

const df_ctx_ops df_sync_ctx_ops = {
    .checkpoint_slow = sync_checkpoint_slow,
    .sleep_ns = sync_sleep_ns,
    .wait_fd = sync_wait_fd,
    .run_blocking = sync_run_blocking,
};
