/* models/loop/ctx.c - ctx services of a coroutine on the loop. */
#include "models/loop/ctx.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "base/clock.h"
#include "base/trace.h"

/* ctx services, on the loop thread inside the request's coroutine. */

/* Back from a wait: the request was ready from when the loop queued it
 * until now, waiting for the loop to get to it - not waiting on I/O
 * (#18). Traced as its own state, then running. */
void df_loop_ctx_trace_resumed(df_loop *loop, const df_ctx *ctx)
{
    if (!df__trace)
        return;
    int64_t ready = df_loop_ready_ns(loop);
    if (ready > 0)
        df_trace_emit_at(DF_TRACE_READY, ctx->worker, ctx->request_id, ready);
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
}

static void ctx_checkpoint_slow(df_ctx *ctx)
{
    df_loop *loop = ctx->model_data;
    df_loop_checkpoint_slow(loop);
}

static int ctx_sleep_ns(df_ctx *ctx, int64_t ns)
{
    df_loop *loop = ctx->model_data;
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    int rc = df_loop_sleep_ns(loop, ns);
    df_loop_ctx_trace_resumed(loop, ctx);
    return rc < 0 ? rc : 0;
}

static int ctx_wait_fd(df_ctx *ctx, int fd, int events)
{
    df_loop *loop = ctx->model_data;
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    int rc = df_loop_wait_fd(loop, fd, events);
    df_loop_ctx_trace_resumed(loop, ctx);
    return rc < 0 ? rc : 0;
}

static int ctx_run_blocking(df_ctx *ctx, df_blocking_fn *fn, void *arg)
{
    df_loop *loop = ctx->model_data;
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    int rc = df_loop_run_blocking(loop, fn, arg);
    df_loop_ctx_trace_resumed(loop, ctx);
    return rc;
}

/* Plain calls on the asyncio model: the loop thread itself waits, the
 * GIL released, no other coroutine runs (df_loop_call_unawaited). The
 * args live on the coroutine's stack, which stays put: nothing switches. */

static int nanosleep_abs(void *arg)
{
    const struct timespec *at = arg;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, at, NULL) == EINTR)
        ;
    return 0;
}

static int ctx_plain_sleep_ns(df_ctx *ctx, int64_t ns)
{
    df_loop *loop = ctx->model_data;
    if (ns < 0)
        return -EINVAL;
    int64_t at = df_now_ns() + ns;
    struct timespec ts = { .tv_sec = at / DF_NS_PER_S,
                           .tv_nsec = at % DF_NS_PER_S };
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    int rc = df_loop_call_unawaited(loop, nanosleep_abs, &ts);
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
    return rc;
}

static int poll_one(void *arg)
{
    struct pollfd *p = arg;
    int r;
    while ((r = poll(p, 1, -1)) < 0 && errno == EINTR)
        ;
    return r < 0 ? -errno : 0;
}

static int ctx_plain_wait_fd(df_ctx *ctx, int fd, int events)
{
    df_loop *loop = ctx->model_data;
    struct pollfd p = { .fd = fd };
    p.events = (short)(((events & DF_WAIT_READ) ? POLLIN : 0) |
                       ((events & DF_WAIT_WRITE) ? POLLOUT : 0));
    df_trace_emit(DF_TRACE_IO_WAIT, ctx->worker, ctx->request_id);
    int rc = df_loop_call_unawaited(loop, poll_one, &p);
    df_trace_emit(DF_TRACE_RUN, ctx->worker, ctx->request_id);
    return rc;
}

static const df_ctx_ops loop_ctx_ops = {
    .checkpoint_slow = ctx_checkpoint_slow,
    .sleep_ns = ctx_sleep_ns,
    .wait_fd = ctx_wait_fd,
    .run_blocking = ctx_run_blocking,
};

void df_loop_ctx_init(df_ctx *ctx, df_loop *loop, int plain_blocks)
{
    *ctx = (df_ctx){
        .ops = &loop_ctx_ops,
        .eval_breaker = df_loop_eval_breaker(loop),
        .model_data = loop,
        .plain_sleep_ns = plain_blocks ? ctx_plain_sleep_ns : NULL,
        .plain_wait_fd = plain_blocks ? ctx_plain_wait_fd : NULL,
    };
}
