/* tests/test_runner.c - the runner's record of a point whose process died
 * (#17): a crash in a thread or coroutine ends a single-process server,
 * and the failure says its signal and what completed before it; and the
 * throughput buckets every point carries add up to its window. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "harness/sweep/runner.h"
#include "models/gil.h"
#include "workloads/params.h"

extern const df_model_ops df_model_thread;
extern const df_model_ops df_model_coroutine;

static df_params params;

/* One client, one lane: requests run one after another, so with
 * crash:after=N exactly N - 1 complete before the crash. */
static df_point_cfg serial_cfg(const df_model_ops *ops, const char *spec)
{
    df_point_cfg pc = { 0 };
    df_err err = { 0 };

    assert_int_equal(
        df_workload_parse_spec(spec, &pc.mcfg.workload, &params, &err), 0);
    pc.model = ops;
    pc.mcfg.workers = 1;
    pc.mcfg.threads = 1;
    pc.mcfg.gil = DF_GIL_NEW;
    pc.mcfg.switch_interval_us = DF_GIL_DEFAULT_INTERVAL_US;
    pc.mcfg.check_interval = DF_GIL_DEFAULT_CHECK_INTERVAL;
    pc.mcfg.slow_callback_ns = 100 * DF_NS_PER_MS;
    pc.mcfg.params = &params;
    pc.workload_spec = spec;
    pc.processes = 1;
    pc.repeat = 1;
    pc.concurrency = 1;
    pc.duration_ns = 10 * DF_NS_PER_S; /* the crash comes long before */
    return pc;
}

static json_int_t int_of(const json_t *rec, const char *key)
{
    const json_t *v = json_object_get(rec, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void crash_after(const df_model_ops *ops)
{
    df_point_cfg pc = serial_cfg(ops, "crash:after=101");
    json_t *rec = NULL;
    df_err err = { 0 };

    assert_int_equal(df_runner_run(&pc, 60 * DF_NS_PER_S, &rec, &err), 1);

    assert_string_equal(json_string_value(json_object_get(rec, "status")),
                        "failed");
    assert_int_equal(int_of(rec, "failure_signal"), SIGSEGV);
    assert_int_equal(int_of(rec, "completed_before_failure"), 100);
    assert_int_equal(int_of(rec, "errors_before_failure"), 0);
    json_decref(rec);
}

static void test_runner_thread_crash_counts_completed(void **state)
{
    (void)state;
    crash_after(&df_model_thread);
}

static void test_runner_coroutine_crash_counts_completed(void **state)
{
    (void)state;
    crash_after(&df_model_coroutine);
}

static void test_runner_buckets_add_up_to_window(void **state)
{
    df_point_cfg pc = serial_cfg(&df_model_thread, "noop");
    json_t *rec = NULL, *v;
    df_err err = { 0 };
    json_int_t sum = 0;
    size_t i;

    (void)state;
    pc.duration_ns = 500 * DF_NS_PER_MS;
    pc.warmup_ns = 50 * DF_NS_PER_MS;
    assert_int_equal(df_runner_run(&pc, 60 * DF_NS_PER_S, &rec, &err), 0);

    const json_t *b = json_object_get(rec, "throughput_buckets");
    assert_int_equal(int_of(b, "bucket_ms"), 100);
    assert_int_equal(json_array_size(json_object_get(b, "completed")), 5);
    json_array_foreach(json_object_get(b, "completed"), i, v) sum +=
        json_integer_value(v);
    /* A window of whole buckets: they hold every completion in it. */
    assert_true(sum > 0);
    assert_int_equal(sum, int_of(rec, "completed"));
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_thread_crash_counts_completed),
        cmocka_unit_test(test_runner_coroutine_crash_counts_completed),
        cmocka_unit_test(test_runner_buckets_add_up_to_window),
    };
    return cmocka_run_group_tests_name("runner", tests, NULL, NULL);
}
