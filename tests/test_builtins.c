/* tests/test_builtins.c - every built-in workload under every model, each
 * point isolated by the runner as in a real sweep: the well-behaved ones
 * complete every request without error; the fault ones fail the point by
 * name (signal, timeout, stack overflow) without taking the sweep down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include <jansson.h>

#include "harness/sweep/runner.h"
#include "models/gil.h"
#include "workloads/params.h"
#include "workloads/registry.h"

#define REQUESTS 24

/* Small sizes so the whole matrix stays a few seconds. */
static const char *const small_specs[] = {
    "noop",
    "cpu:us=200",
    "sleep:ms=2",
    "hash:bytes=16KB",
    "hash:bytes=16KB,release_gil=true",
    "upstream:ms=2",
    "file:kb=16",
    "web:parse=100us,upstream=2ms,render=100us",
    "leak:kb=16",
    "blocking:ms=2",
    "offload:ms=2",
    "echo",
    NULL,
};

static const char *const models[] = { "process", "thread", "coroutine", NULL };

static json_t *run_point_on(const char *model,
                            const char *spec,
                            df_stack_kind stack,
                            int concurrency,
                            int requests,
                            int64_t timeout_ns)
{
    const df_workload *w = NULL;
    df_params params;
    df_err err = { 0 };
    if (df_workload_parse_spec(spec, &w, &params, &err) < 0)
        fail_msg("%s: %s", spec, err.msg);
    df_point_cfg pc = { 0 };
    pc.model = df_model_find(model);
    pc.mcfg.workers = 2;
    pc.mcfg.threads = 2;
    pc.mcfg.gil = DF_GIL_NEW;
    pc.mcfg.switch_interval_us = DF_GIL_DEFAULT_INTERVAL_US;
    pc.mcfg.check_interval = DF_GIL_DEFAULT_CHECK_INTERVAL;
    pc.mcfg.stack_size_bytes = 64 * 1024;
    pc.mcfg.stack_kind = stack;
    pc.mcfg.slow_callback_ns = 100000000;
    pc.mcfg.workload = w;
    pc.mcfg.params = &params;
    pc.workload_spec = spec;
    pc.processes = 1;
    pc.concurrency = concurrency;
    pc.duration_ns = 2000000000; /* with requests set: only a deadline */
    pc.requests = requests;
    pc.repeat = 1;
    json_t *rec = NULL;
    if (df_runner_run(&pc, timeout_ns, &rec, &err) < 0)
        fail_msg("runner: %s", err.msg);
    return rec;
}

static json_t *run_point(const char *model,
                         const char *spec,
                         int64_t timeout_ns)
{
    return run_point_on(model, spec, DF_STACK_DEDICATED, 4, REQUESTS,
                        timeout_ns);
}

static void assert_all_ok(json_t *rec,
                          int requests,
                          const char *spec,
                          const char *model)
{
    const char *st = json_string_value(json_object_get(rec, "status"));
    json_int_t done = json_integer_value(json_object_get(rec, "completed"));
    json_int_t errors = json_integer_value(json_object_get(rec, "errors"));
    if (!st || strcmp(st, "ok") || done != requests || errors != 0)
        fail_msg("%s on %s: status %s (%s), %lld completed, %lld errors", spec,
                 model, st ? st : "?",
                 json_string_value(json_object_get(rec, "failure")),
                 (long long)done, (long long)errors);
}

static void test_builtins_complete_under_every_model(void **state)
{
    (void)state;
    for (int m = 0; models[m]; m++)
        for (int s = 0; small_specs[s]; s++) {
            json_t *rec = run_point(models[m], small_specs[s], 10000000000LL);
            assert_all_ok(rec, REQUESTS, small_specs[s], models[m]);
            json_decref(rec);
        }
}

/* #12: shared stacks copy a suspended coroutine's frames away and reuse
 * their addresses, so a run_blocking job must not live on the coroutine's
 * stack. These two used to hand the pool thread a stack local: SIGSEGV. */
static void test_builtins_run_blocking_on_shared_stacks(void **state)
{
    static const char *const specs[] = {
        "hash:bytes=64KB,release_gil=true",
        "file:offload=true",
    };

    (void)state;
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        json_t *rec = run_point_on("coroutine", specs[s], DF_STACK_SHARED, 32,
                                   512, 20000000000LL);
        assert_all_ok(rec, 512, specs[s], "coroutine --stack shared");
        json_decref(rec);
    }
}

static void assert_failed_with(json_t *rec,
                               const char *needle,
                               const char *what)
{
    const char *st = json_string_value(json_object_get(rec, "status"));
    const char *why = json_string_value(json_object_get(rec, "failure"));
    if (!st || strcmp(st, "failed") || !why || !strstr(why, needle))
        fail_msg("%s: want a failure naming \"%s\", got %s: %s", what, needle,
                 st ? st : "?", why ? why : "-");
}

static void test_builtins_crash_fails_point_with_sigsegv(void **state)
{
    (void)state;
    for (int m = 0; models[m]; m++) {
        json_t *rec = run_point(models[m], "crash", 10000000000LL);
        assert_failed_with(rec, "SIGSEGV", models[m]);
        json_decref(rec);
    }
}

static void test_builtins_hang_fails_point_with_timeout(void **state)
{
    (void)state;
    /* The point's own deadline (2 s) passes, the drain gives up, and the
     * runner's deadline is the backstop: either way the point fails. */
    for (int m = 0; models[m]; m++) {
        json_t *rec = run_point(models[m], "hang", 3000000000LL);
        const char *st = json_string_value(json_object_get(rec, "status"));
        json_int_t done = json_integer_value(json_object_get(rec, "completed"));
        if (st && !strcmp(st, "ok"))
            assert_true(done < REQUESTS); /* never all: they hang */
        else
            assert_non_null(json_object_get(rec, "failure"));
        json_decref(rec);
    }
}

static void test_builtins_overflow_reported_as_stack_overflow(void **state)
{
    (void)state;
    json_t *rec = run_point("coroutine", "overflow", 10000000000LL);
    assert_failed_with(rec, "stack overflow in a coroutine", "coroutine");
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_complete_under_every_model),
        cmocka_unit_test(test_builtins_run_blocking_on_shared_stacks),
        cmocka_unit_test(test_builtins_crash_fails_point_with_sigsegv),
        cmocka_unit_test(test_builtins_hang_fails_point_with_timeout),
        cmocka_unit_test(test_builtins_overflow_reported_as_stack_overflow),
    };
    return cmocka_run_group_tests_name("builtins", tests, NULL, NULL);
}
