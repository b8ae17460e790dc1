/* tests/test_asyncio_model.c - the asyncio model against the gevent-like
 * coroutine model, and the plain calls of the workload ABI (#13).
 *
 * Under uvicorn only awaited calls yield: a plain time.sleep or sock.recv
 * in a handler blocks the loop, so the same sync handler that is
 * concurrent under gevent is serial under asyncio. The tests show it
 * without timing: a barrier that completes only if every request waits at
 * once, and a count of requests inside a plain wait at the same time.
 * Durations appear only as lower bounds, which a busy machine cannot
 * break (a serial loop never finishes sooner than the sum of its sleeps).
 */
#define _GNU_SOURCE
#include "models/model.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include "tests/fake_ctx.h"
#include "valgrind_shim.h"

#define MS       1000000LL
#define NREQ     16
#define SLEEP_MS 10

extern const df_model_ops df_model_coroutine;
extern const df_model_ops df_model_asyncio;

/* What the handlers share; one loop thread runs them all, so plain ints
 * do (the sink and the handlers run on it too). */
typedef struct shared {
    int fds[NREQ][2]; /* the barrier: a pipe per request (the loop takes
                       * one reader per fd, as asyncio's add_reader) */
    int arrived;
    int inside, max_inside; /* requests inside their wait at once */
    int completed, failed;
} shared;

static shared sh;

static int wait_inside_begin(void)
{
    sh.inside++;
    if (sh.inside > sh.max_inside)
        sh.max_inside = sh.inside;
    return 0;
}

/* time.sleep(SLEEP_MS) in a handler. */
static int plain_sleep_handle(df_ctx *ctx)
{
    wait_inside_begin();
    int rc = df_plain_sleep_ns(ctx, SLEEP_MS * MS);
    sh.inside--;
    return rc;
}

/* A barrier: the last of NREQ requests to arrive writes a byte to every
 * other request's pipe, each earlier one waits for its byte. It completes
 * only if all NREQ wait at once: on a loop, only if the wait yields.
 * plain: sock.recv / sock.sendall, else await reader.read / writer.write. */
static int barrier(df_ctx *ctx, int plain)
{
    const int me = (int)ctx->request_id;
    char c = 'x';

    if (++sh.arrived == NREQ) {
        for (int j = 0; j < NREQ; j++) {
            if (j == me)
                continue;
            ssize_t w = plain ? df_plain_write(ctx, sh.fds[j][1], &c, 1)
                              : df_ctx_write(ctx, sh.fds[j][1], &c, 1);
            if (w != 1)
                return -EIO;
        }
        return 0;
    }
    wait_inside_begin();
    ssize_t r = plain ? df_plain_read(ctx, sh.fds[me][0], &c, 1)
                      : df_ctx_read(ctx, sh.fds[me][0], &c, 1);
    sh.inside--;
    return r == 1 ? 0 : -EIO;
}

static int plain_barrier_handle(df_ctx *ctx)
{
    return barrier(ctx, 1);
}

static int awaited_barrier_handle(df_ctx *ctx)
{
    return barrier(ctx, 0);
}

#define TEST_WORKLOAD(var, fn)                  \
    static const df_workload var = {            \
        .abi_version = DF_WORKLOAD_ABI_VERSION, \
        .name = #var,                           \
        .summary = #fn,                         \
        .kind = DF_KIND_IO,                     \
        .handle = fn,                           \
    }
TEST_WORKLOAD(plain_sleep_w, plain_sleep_handle);
TEST_WORKLOAD(plain_barrier_w, plain_barrier_handle);
TEST_WORKLOAD(awaited_barrier_w, awaited_barrier_handle);

static void sink(void *arg, const df_completion *c)
{
    (void)arg;
    sh.completed++;
    if (c->status != 0)
        sh.failed++;
}

/* Runs NREQ requests of w on ops, submitted at once; returns the wall
 * time from the first submit to the end of the drain, and fills *stats. */
static int64_t run_batch(const df_model_ops *ops,
                         const df_workload *w,
                         df_model_stats *stats)
{
    static df_params none;
    df_model_cfg cfg = { .workers = 1,
                         .gil = DF_GIL_NEW,
                         .workload = w,
                         .params = &none,
                         .sink = sink,
                         .slow_callback_ns = 2 * MS };
    df_model *m = NULL;
    df_err err = { 0 };

    memset(&sh, 0, sizeof sh);
    for (int i = 0; i < NREQ; i++)
        DF_CHECK(pipe2(sh.fds[i], O_NONBLOCK | O_CLOEXEC) == 0);
    if (ops->start(&cfg, &m, &err) != 0)
        fail_msg("%s: %s", ops->name, err.msg);
    int64_t t0 = df_now_ns();
    for (int i = 0; i < NREQ; i++) {
        df_request r = { (uint64_t)i, df_now_ns(), df_now_ns() };
        assert_int_equal(ops->submit(m, &r), 0);
    }
    assert_int_equal(ops->stop(m, 20000 * MS, stats, &err), 0);
    int64_t wall = df_now_ns() - t0;
    for (int i = 0; i < NREQ; i++) {
        close(sh.fds[i][0]);
        close(sh.fds[i][1]);
    }
    return wall;
}

/* asyncio: a plain sleep blocks the loop - one request inside it at a
 * time, the whole batch at least NREQ sleeps long, and every sleep a
 * stall the slow-callback detector sees. */
static void test_asyncio_model_plain_sleep_is_serial(void **state)
{
    df_model_stats stats;

    (void)state;
    int64_t wall = run_batch(&df_model_asyncio, &plain_sleep_w, &stats);

    assert_int_equal(sh.completed, NREQ);
    assert_int_equal(sh.failed, 0);
    assert_int_equal(sh.max_inside, 1);
    assert_true(wall >= NREQ * SLEEP_MS * MS);
    assert_true(stats.has_loop);
    assert_true(stats.loop.slow_callbacks >= 1);
    df_model_stats_clear(&stats);
}

/* coroutine (gevent-like): the same plain sleep yields - every request
 * sleeps at once. Which of them overlap is up to the scheduler, so this
 * asserts only that more than one did; the barrier below is exact. */
static void test_asyncio_model_coroutine_plain_sleep_overlaps(void **state)
{
    df_model_stats stats;

    (void)state;
    (void)run_batch(&df_model_coroutine, &plain_sleep_w, &stats);

    assert_int_equal(sh.completed, NREQ);
    assert_int_equal(sh.failed, 0);
    assert_true(sh.max_inside > 1);
    df_model_stats_clear(&stats);
}

/* asyncio: an awaited read yields, so NREQ requests all wait on the
 * barrier at once and it opens. */
static void test_asyncio_model_awaited_read_yields(void **state)
{
    df_model_stats stats;

    (void)state;
    (void)run_batch(&df_model_asyncio, &awaited_barrier_w, &stats);

    assert_int_equal(sh.completed, NREQ);
    assert_int_equal(sh.failed, 0);
    assert_int_equal(sh.max_inside, NREQ - 1);
    df_model_stats_clear(&stats);
}

/* coroutine: a plain read yields as monkey-patched sock.recv does, so the
 * sync handler's barrier opens. (On asyncio the first plain read would
 * block the loop for good: the serial case is the sleep above.) */
static void test_asyncio_model_coroutine_plain_read_yields(void **state)
{
    df_model_stats stats;

    (void)state;
    (void)run_batch(&df_model_coroutine, &plain_barrier_w, &stats);

    assert_int_equal(sh.completed, NREQ);
    assert_int_equal(sh.failed, 0);
    assert_int_equal(sh.max_inside, NREQ - 1);
    df_model_stats_clear(&stats);
}

/* The plain wrappers of workload.h on a ctx without plain hooks (process,
 * thread, the gevent-like loop): they are the awaited services. */
static void test_asyncio_model_plain_calls_fall_back(void **state)
{
    fake_ctx f;
    int fds[2];
    char c = 'x';

    (void)state;
    fake_ctx_init(&f, 0, NULL, NULL);
    assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);

    assert_int_equal(df_plain_sleep_ns(&f.ctx, 1000), 0);
    assert_int_equal(df_plain_write(&f.ctx, fds[1], &c, 1), 1);
    assert_int_equal(df_plain_read(&f.ctx, fds[0], &c, 1), 1);

    assert_int_equal(f.sleeps, 1);
    assert_int_equal(f.slept_ns, 1000);
    assert_int_equal(f.waits, 0); /* the data was there: no wait */
    close(fds[0]);
    close(fds[1]);
}

/* With plain hooks (the asyncio model) the plain calls wait through them
 * and never through the awaited services. */
static int hook_sleeps, hook_waits, hook_fd_to_fill = -1;

static int hook_sleep_ns(df_ctx *ctx, int64_t ns)
{
    (void)ctx;
    hook_sleeps++;
    return ns >= 0 ? 0 : -EINVAL;
}

/* Makes the awaited fd readable, as a peer would while the loop waits. */
static int hook_wait_fd(df_ctx *ctx, int fd, int events)
{
    (void)ctx;
    (void)fd;
    hook_waits++;
    if (events & DF_WAIT_READ)
        DF_CHECK(write(hook_fd_to_fill, "y", 1) == 1);
    return 0;
}

static void test_asyncio_model_plain_calls_use_hooks(void **state)
{
    fake_ctx f;
    int fds[2];
    char c = 0;

    (void)state;
    fake_ctx_init(&f, 0, NULL, NULL);
    f.ctx.plain_sleep_ns = hook_sleep_ns;
    f.ctx.plain_wait_fd = hook_wait_fd;
    assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    hook_fd_to_fill = fds[1];

    assert_int_equal(df_plain_sleep_ns(&f.ctx, 5 * MS), 0);
    assert_int_equal(df_plain_read(&f.ctx, fds[0], &c, 1), 1);

    assert_int_equal(hook_sleeps, 1);
    assert_int_equal(hook_waits, 1); /* EAGAIN once, then the byte */
    assert_int_equal(c, 'y');
    assert_int_equal(f.sleeps, 0);
    assert_int_equal(f.waits, 0);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asyncio_model_plain_sleep_is_serial),
        cmocka_unit_test(test_asyncio_model_coroutine_plain_sleep_overlaps),
        cmocka_unit_test(test_asyncio_model_awaited_read_yields),
        cmocka_unit_test(test_asyncio_model_coroutine_plain_read_yields),
        cmocka_unit_test(test_asyncio_model_plain_calls_fall_back),
        cmocka_unit_test(test_asyncio_model_plain_calls_use_hooks),
    };
    return cmocka_run_group_tests_name("asyncio_model", tests, NULL, NULL);
}
