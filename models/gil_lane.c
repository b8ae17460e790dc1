/* models/gil_lane.c - ctx services of a thread under a simulated GIL. */
#include "models/gil_lane.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "base/clock.h"
#include "base/trace.h"

void df_gil_lane_io_begin(df_gil_lane *l)
{
    df_trace_emit(DF_TRACE_IO_WAIT, l->index, l->ctx.request_id);
    df_gil_release(l->gil, l->gt);
}

void df_gil_lane_io_end(df_gil_lane *l)
{
    df_trace_emit(DF_TRACE_GIL_WAIT, l->index, l->ctx.request_id);
    l->gil_wait_ns += df_gil_acquire(l->gil, l->gt);
    df_trace_emit(DF_TRACE_RUN, l->index, l->ctx.request_id);
}

static void lane_checkpoint_slow(df_ctx *ctx)
{
    df_gil_lane *l = ctx->model_data;

    if (!df_gil_checkpoint_will_drop(l->gil, l->gt)) {
        df_gil_checkpoint_slow(l->gil, l->gt); /* an old-GIL tick */
        return;
    }
    df_trace_emit(DF_TRACE_GIL_WAIT, l->index, ctx->request_id);
    l->gil_wait_ns += df_gil_checkpoint_slow(l->gil, l->gt);
    df_trace_emit(DF_TRACE_RUN, l->index, ctx->request_id);
}

static int lane_sleep_ns(df_ctx *ctx, int64_t ns)
{
    if (ns < 0)
        return -EINVAL;
    df_gil_lane *l = ctx->model_data;
    int64_t at = df_now_ns() + ns;
    struct timespec ts = { .tv_sec = at / DF_NS_PER_S,
                           .tv_nsec = at % DF_NS_PER_S };
    df_gil_lane_io_begin(l);
    /* Absolute deadline: a signal does not restart the whole sleep. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    df_gil_lane_io_end(l);
    return 0;
}

static int lane_wait_fd(df_ctx *ctx, int fd, int events)
{
    df_gil_lane *l = ctx->model_data;
    struct pollfd p = { .fd = fd };
    p.events = (short)(((events & DF_WAIT_READ) ? POLLIN : 0) |
                       ((events & DF_WAIT_WRITE) ? POLLOUT : 0));
    int r;
    df_gil_lane_io_begin(l);
    while ((r = poll(&p, 1, -1)) < 0 && errno == EINTR)
        ;
    int e = errno;
    df_gil_lane_io_end(l);
    return r < 0 ? -e : 0; /* POLLERR/POLLHUP: the read or write says why */
}

static int lane_run_blocking(df_ctx *ctx, df_blocking_fn *fn, void *arg)
{
    df_gil_lane *l = ctx->model_data;
    /* Traced as IO_WAIT: the thread runs, but without the interpreter. */
    df_gil_lane_io_begin(l);
    int r = fn(arg);
    df_gil_lane_io_end(l);
    return r;
}

static const df_ctx_ops lane_ctx_ops = {
    .checkpoint_slow = lane_checkpoint_slow,
    .sleep_ns = lane_sleep_ns,
    .wait_fd = lane_wait_fd,
    .run_blocking = lane_run_blocking,
};

void df_gil_lane_init(df_gil_lane *l, df_gil *g, df_gil_thread *gt, int index)
{
    *l = (df_gil_lane){
        .gil = g,
        .gt = gt,
        .index = index,
        .ctx = { .ops = &lane_ctx_ops,
                 .eval_breaker = df_gil_eval_breaker(g),
                 .worker = index },
    };
    l->ctx.model_data = l;
}
