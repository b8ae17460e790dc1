/* tests/test_coroutine.c - the coroutine model end to end. */
#define _GNU_SOURCE
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "models/model.h"
#include "valgrind_shim.h"

#define MS 1000000LL
/* Requests per test, most of them live at once. ThreadSanitizer counts
 * each live coroutine as a thread (a fiber, models/coro/coro.c) and dies
 * past 8128 of them. */
#if defined(__SANITIZE_THREAD__)
#define N 4000
#else
#define N 10000
#endif

extern const df_model_ops df_model_coroutine;
extern const df_workload df_workload_blocking;
extern const df_workload df_workload_offload;
extern const df_workload df_workload_overflow;

/* A noop-like workload that still suspends once (asyncio.sleep(0)). */
static int yield_handle(df_ctx *ctx)
{
    return df_sleep_ns(ctx, 0);
}

static const df_workload yield_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "yield",
    .summary = "sleep(0)",
    .kind = DF_KIND_IO,
    .handle = yield_handle,
};

/* A plugin making the usual mistake: the run_blocking job is a local of
 * handle(), on the coroutine's stack, and the pool thread reads and writes
 * it while the coroutine is suspended. */
typedef struct stack_job {
    uint64_t id;
    uint64_t words[32]; /* id-derived: a stranger's frames read differently */
    int seen_ok;        /* written by the pool thread */
} stack_job;

static uint64_t stack_word(uint64_t id, int i)
{
    return (id + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)i;
}

static int stack_job_run(void *arg)
{
    stack_job *j = arg;
    struct timespec ts = { 0, 200000 }; /* let the loop run other requests */

    nanosleep(&ts, NULL);
    j->seen_ok = 1;
    for (int i = 0; i < 32; i++)
        if (j->words[i] != stack_word(j->id, i))
            j->seen_ok = 0;
    return 0;
}

static int stack_arg_handle(df_ctx *ctx)
{
    stack_job j = { .id = ctx->request_id };

    for (int i = 0; i < 32; i++)
        j.words[i] = stack_word(j.id, i);
    int rc = df_run_blocking(ctx, stack_job_run, &j);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 32; i++)
        if (j.words[i] != stack_word(j.id, i))
            return -EIO; /* our own frames were overwritten */
    return j.seen_ok ? 0 : -EIO;
}

static const df_workload stack_arg_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "stack-arg",
    .summary = "run_blocking with a job on the coroutine's stack",
    .kind = DF_KIND_IO,
    .handle = stack_arg_handle,
};

typedef struct counts {
    unsigned char seen[N]; /* written by the loop thread only */
    int total;
    int bad;
    df_model *m; /* closed loop: re-submit from the sink */
    int next_id; /* closed loop: loop thread only */
} counts;

static void count_sink(void *arg, const df_completion *c)
{
    counts *k = arg;
    if (c->id >= N || c->status != 0 || c->finished_ns < c->started_ns)
        k->bad++;
    else
        k->seen[c->id]++;
    k->total++;
}

static df_model_cfg base_cfg(const df_workload *w, const df_params *p)
{
    df_model_cfg cfg = { 0 };
    cfg.workers = 1;
    cfg.gil = DF_GIL_OFF;
    cfg.workload = w;
    cfg.params = p;
    cfg.sink = count_sink;
    return cfg;
}

static void test_coroutine_completes_each_request_once(void **state)
{
    static df_params none;
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        counts *k = calloc(1, sizeof *k);
        df_model_cfg cfg = base_cfg(&yield_workload, &none);
        df_model *m = NULL;
        df_model_stats stats;
        cfg.stack_kind = kind ? DF_STACK_SHARED : DF_STACK_DEDICATED;
        cfg.sink_arg = k;
        assert_int_equal(df_model_coroutine.start(&cfg, &m, NULL), 0);

        for (int i = 0; i < N; i++) {
            df_request r = { (uint64_t)i, df_now_ns(), df_now_ns() };
            assert_int_equal(df_model_coroutine.submit(m, &r), 0);
        }
        assert_int_equal(df_model_coroutine.stop(m, 20000 * MS, &stats, NULL),
                         0);

        assert_int_equal(k->bad, 0);
        assert_int_equal(k->total, N);
        for (int i = 0; i < N; i++)
            assert_int_equal(k->seen[i], 1);
        assert_true(stats.has_loop);
        assert_int_equal(stats.loop.spawned, N);
        assert_int_equal(stats.loop.abandoned, 0);
        df_model_stats_clear(&stats);
        free(k);
    }
}

/* Closed loop: the sink re-submits from the loop thread. */
static void resubmit_sink(void *arg, const df_completion *c)
{
    counts *k = arg;
    count_sink(arg, c);
    if (k->next_id < N) {
        df_request r = { (uint64_t)k->next_id++, df_now_ns(), df_now_ns() };
        DF_CHECK(df_model_coroutine.submit(k->m, &r) == 0);
    }
}

static void test_coroutine_closed_loop_resubmits(void **state)
{
    static df_params none;
    counts *k = calloc(1, sizeof *k);
    df_model_cfg cfg = base_cfg(&yield_workload, &none);
    df_model *m = NULL;

    (void)state;
    cfg.sink = resubmit_sink;
    cfg.sink_arg = k;
    assert_int_equal(df_model_coroutine.start(&cfg, &m, NULL), 0);
    k->m = m;
    k->next_id = 64;
    for (int i = 0; i < 64; i++) {
        df_request r = { (uint64_t)i, df_now_ns(), df_now_ns() };
        assert_int_equal(df_model_coroutine.submit(m, &r), 0);
    }
    /* The drain waits for everything submitted, re-submits included. */
    assert_int_equal(df_model_coroutine.stop(m, 20000 * MS, NULL, NULL), 0);

    assert_int_equal(k->total, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(k->seen[i], 1);
    free(k);
}

static uint64_t slow_callbacks_of(const df_workload *w, int64_t ms)
{
    df_params p = { .count = 1, .value = { ms * MS } };
    counts *k = calloc(1, sizeof *k);
    df_model_cfg cfg = base_cfg(w, &p);
    df_model *m = NULL;
    df_model_stats stats;

    cfg.sink_arg = k;
    cfg.slow_callback_ns = 20 * MS;
    DF_CHECK(df_model_coroutine.start(&cfg, &m, NULL) == 0);
    for (int i = 0; i < 4; i++) {
        df_request r = { (uint64_t)i, df_now_ns(), df_now_ns() };
        DF_CHECK(df_model_coroutine.submit(m, &r) == 0);
    }
    DF_CHECK(df_model_coroutine.stop(m, 20000 * MS, &stats, NULL) == 0);
    DF_CHECK(k->total == 4);
    DF_CHECK(stats.has_loop);
    uint64_t n = stats.loop.slow_callbacks;
    df_model_stats_clear(&stats);
    free(k);
    return n;
}

/* Both count callbacks over 20 ms: a timing figure, asserted only where
 * wall-clock time means something. Elsewhere the requests must still all
 * complete (slow_callbacks_of checks that). */
static void test_coroutine_blocking_trips_detector(void **state)
{
    (void)state;
    uint64_t slow = slow_callbacks_of(&df_workload_blocking, 30);
    if (DF_TIMING_TRUSTED)
        assert_int_equal(slow, 4);
    else
        assert_true(slow >= 4); /* slower never makes a 30 ms block shorter */
}

/* The offloaded call runs on a pool thread; the loop must not stall, not
 * even while the pool creates its first thread. */
static void test_coroutine_offload_does_not(void **state)
{
    (void)state;
    uint64_t slow = slow_callbacks_of(&df_workload_offload, 30);
    if (DF_TIMING_TRUSTED)
        assert_int_equal(slow, 0);
}

/* In a forked child: a request overflowing its stack ends the process
 * with the report, not a silent corruption. */
static void test_coroutine_overflow_reported(void **state)
{
    int fds[2];
    char out[512];
    size_t got = 0;
    ssize_t r;
    int st = 0;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        static df_params p = { .count = 1, .value = { 256 } };
        counts k = { 0 };
        df_model_cfg cfg = base_cfg(&df_workload_overflow, &p);
        df_model *m = NULL;
        dup2(fds[1], 2);
        cfg.sink_arg = &k;
        if (df_model_coroutine.start(&cfg, &m, NULL) < 0)
            _exit(3);
        df_request rq = { 0, df_now_ns(), df_now_ns() };
        df_model_coroutine.submit(m, &rq);
        df_model_coroutine.stop(m, 5000 * MS, NULL, NULL);
        _exit(0);
    }
    close(fds[1]);
    while (got + 1 < sizeof out &&
           (r = read(fds[0], out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(fds[0]);
    waitpid(pid, &st, 0);

    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_non_null(strstr(out, "stack overflow in a coroutine"));
}

/* #12: on shared stacks a suspended coroutine's frames are copied away and
 * the addresses reused, so a job on its stack used to be read from another
 * coroutine's frames (or crash the loop). The loop keeps such a job's stack
 * in place until the job returns: every request completes, correctly. */
static void test_coroutine_run_blocking_stack_arg_on_shared_stacks(void **state)
{
    static df_params none;
    counts *k = calloc(1, sizeof *k);
    df_model_cfg cfg = base_cfg(&stack_arg_workload, &none);
    df_model *m = NULL;

    (void)state;
    cfg.stack_kind = DF_STACK_SHARED;
    cfg.sink_arg = k;
    assert_int_equal(df_model_coroutine.start(&cfg, &m, NULL), 0);
    for (int i = 0; i < 200; i++) {
        df_request r = { (uint64_t)i, df_now_ns(), df_now_ns() };
        assert_int_equal(df_model_coroutine.submit(m, &r), 0);
    }
    assert_int_equal(df_model_coroutine.stop(m, 20000 * MS, NULL, NULL), 0);

    assert_int_equal(k->total, 200);
    assert_int_equal(k->bad, 0);
    free(k);
}

static void test_coroutine_gil_stats_when_on(void **state)
{
    static df_params none;
    counts *k = calloc(1, sizeof *k);
    df_model_cfg cfg = base_cfg(&yield_workload, &none);
    df_model *m = NULL;
    df_model_stats stats;

    (void)state;
    cfg.gil = DF_GIL_NEW;
    cfg.sink_arg = k;
    assert_int_equal(df_model_coroutine.start(&cfg, &m, NULL), 0);
    for (int i = 0; i < 100; i++) {
        df_request r = { (uint64_t)i, df_now_ns(), df_now_ns() };
        assert_int_equal(df_model_coroutine.submit(m, &r), 0);
    }
    assert_int_equal(df_model_coroutine.stop(m, 20000 * MS, &stats, NULL), 0);

    assert_int_equal(k->total, 100);
    assert_true(stats.has_gil);
    assert_true(stats.gil.acquisitions > 0);
    df_model_stats_clear(&stats);
    free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coroutine_completes_each_request_once),
        cmocka_unit_test(test_coroutine_closed_loop_resubmits),
        cmocka_unit_test(test_coroutine_blocking_trips_detector),
        cmocka_unit_test(test_coroutine_offload_does_not),
        cmocka_unit_test(test_coroutine_overflow_reported),
        cmocka_unit_test(test_coroutine_gil_stats_when_on),
        cmocka_unit_test(
            test_coroutine_run_blocking_stack_arg_on_shared_stacks),
    };
    return cmocka_run_group_tests_name("coroutine", tests, NULL, NULL);
}
