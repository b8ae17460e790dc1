/* tests/fake_ctx.h - a synchronous df_ctx for running handle() in tests.
 *
 * Not a model: sleep is nanosleep, wait_fd is poll, run_blocking is a plain
 * call, and every service is counted. With breaker set, every checkpoint
 * reaches checkpoint_slow, so tests count "bytecode boundaries".
 */
#ifndef DF_TESTS_FAKE_CTX_H
#define DF_TESTS_FAKE_CTX_H

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "workloads/workload.h"

typedef struct fake_ctx {
    df_ctx ctx; /* first: the ops get &ctx and cast back */
    int breaker;
    int checkpoints, sleeps, waits, blockings;
    int64_t slept_ns;
    int cancel_sleep_at; /* > 0: that sleep returns -ECANCELED at once */
} fake_ctx;

static void fake_checkpoint_slow(df_ctx *ctx)
{
    ((fake_ctx *)ctx)->checkpoints++;
}

static int fake_sleep_ns(df_ctx *ctx, int64_t ns)
{
    fake_ctx *f = (fake_ctx *)ctx;
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };

    f->sleeps++;
    f->slept_ns += ns;
    if (f->cancel_sleep_at > 0 && f->sleeps >= f->cancel_sleep_at)
        return -ECANCELED;
    while (nanosleep(&ts, &ts) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

static int fake_wait_fd(df_ctx *ctx, int fd, int events)
{
    struct pollfd p = { .fd = fd };
    int r;

    ((fake_ctx *)ctx)->waits++;
    p.events = (short)((events & DF_WAIT_READ ? POLLIN : 0) |
                       (events & DF_WAIT_WRITE ? POLLOUT : 0));
    do {
        r = poll(&p, 1, -1);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

static int fake_run_blocking(df_ctx *ctx, int (*fn)(void *), void *arg)
{
    ((fake_ctx *)ctx)->blockings++;
    return fn(arg);
}

static const df_ctx_ops fake_ops = {
    .checkpoint_slow = fake_checkpoint_slow,
    .sleep_ns = fake_sleep_ns,
    .wait_fd = fake_wait_fd,
    .run_blocking = fake_run_blocking,
};

/* breaker: 1 to count every checkpoint. state/params as for handle(). */
static inline void fake_ctx_init(fake_ctx *f,
                                 int breaker,
                                 void *state,
                                 const df_params *params)
{
    memset(f, 0, sizeof *f);
    f->breaker = breaker;
    f->ctx.ops = &fake_ops;
    f->ctx.eval_breaker = &f->breaker;
    f->ctx.state = state;
    f->ctx.params = params;
}

#endif /* DF_TESTS_FAKE_CTX_H */
