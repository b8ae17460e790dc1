/* tests/test_models.c - every model runs every request exactly once. */
#include <errno.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include <jansson.h>

#include "base/clock.h"
#include "models/model.h"

#define REQUESTS 10000
#define IN_FLIGHT 64

typedef struct seen {
    unsigned char count[REQUESTS]; /* atomic increments from model threads */
    uint64_t bad_ids;              /* atomic */
    uint64_t bad_times;            /* atomic: finished < started < intended */
    sem_t slots;                   /* bounds what is in flight */
} seen;

static int noop_handle(df_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static const df_workload noop = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-noop",
    .summary = "returns at once",
    .kind = DF_KIND_CPU,
    .handle = noop_handle,
};

static void sink(void *arg, const df_completion *c)
{
    seen *s = arg;
    if (c->id >= REQUESTS)
        __atomic_fetch_add(&s->bad_ids, 1, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(&s->count[c->id], 1, __ATOMIC_RELAXED);
    if (c->started_ns < c->intended_ns || c->finished_ns < c->started_ns)
        __atomic_fetch_add(&s->bad_times, 1, __ATOMIC_RELAXED);
    sem_post(&s->slots);
}

static void run_model(const df_model_ops *ops, int processes_inner)
{
    static seen s;
    df_params params = { 0 };
    df_model_cfg cfg = {
        .workers = 2,
        .threads = 4,
        .gil = DF_GIL_NEW,
        .switch_interval_us = 5000,
        .check_interval = 100,
        .stack_size_bytes = 64 * 1024,
        .slow_callback_ns = 100000000,
        .workload = &noop,
        .params = &params,
        .sink = sink,
        .sink_arg = &s,
    };
    const df_model_ops *start_ops = ops;
    if (processes_inner) {
        cfg.inner = ops;
        start_ops = df_model_find("process");
    }
    df_model *m = NULL;
    df_err err = { 0 };
    memset(&s, 0, sizeof s);
    sem_init(&s.slots, 0, IN_FLIGHT);

    assert_int_equal(start_ops->start(&cfg, &m, &err), 0);
    for (uint64_t id = 0; id < REQUESTS; id++) {
        while (sem_wait(&s.slots) < 0 && errno == EINTR)
            ;
        df_request req = { .id = id };
        req.intended_ns = req.sent_ns = df_now_ns();
        assert_int_equal(start_ops->submit(m, &req), 0);
    }
    for (int i = 0; i < IN_FLIGHT; i++)
        while (sem_wait(&s.slots) < 0 && errno == EINTR)
            ;
    json_t *stats = NULL;
    assert_int_equal(start_ops->stop(m, 5000000000LL, &stats, &err), 0);

    for (int i = 0; i < REQUESTS; i++)
        assert_int_equal(s.count[i], 1);
    assert_int_equal(s.bad_ids, 0);
    assert_int_equal(s.bad_times, 0);
    json_decref(stats);
    sem_destroy(&s.slots);
}

static void test_models_process_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("process"), 0);
}

static void test_models_thread_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("thread"), 0);
}

static void test_models_coroutine_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("coroutine"), 0);
}

static void test_models_thread_hybrid_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("thread"), 1);
}

static void test_models_coroutine_hybrid_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("coroutine"), 1);
}

static void test_models_find_unknown_is_null(void **state)
{
    (void)state;
    assert_null(df_model_find("greenlet"));
    assert_non_null(df_model_find("process"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_find_unknown_is_null),
        cmocka_unit_test(test_models_process_runs_each_request_once),
        cmocka_unit_test(test_models_thread_runs_each_request_once),
        cmocka_unit_test(test_models_coroutine_runs_each_request_once),
        cmocka_unit_test(test_models_thread_hybrid_runs_each_request_once),
        cmocka_unit_test(test_models_coroutine_hybrid_runs_each_request_once),
    };
    return cmocka_run_group_tests_name("models", tests, NULL, NULL);
}
