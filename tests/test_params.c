/* tests/test_params.c - workload specs: types, units, defaults, messages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include "harness/sweep/params_json.h"
#include "workloads/params.h"
#include "workloads/registry.h"

/* A table exercising every type; parsed directly, not registered. */
static const df_param_decl all_params[] = {
    { "n", DF_PARAM_INT, "-3", NULL, "an integer" },
    { "wait", DF_PARAM_DURATION, "20", "ms", "a duration in ms" },
    { "bytes", DF_PARAM_SIZE, "64KB", "B", "a size in bytes" },
    { "kb", DF_PARAM_SIZE, "2", "KB", "a size in KB" },
    { "on", DF_PARAM_BOOL, "false", NULL, "a flag" },
    { NULL, 0, NULL, NULL, NULL },
};

static int all_handle(df_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static const df_workload all_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "all",
    .summary = "every parameter type",
    .params = all_params,
    .handle = all_handle,
};

/* Parses text as parameter i of all_workload; returns rc, value in *out. */
static int parse(int i, const char *text, int64_t *out, df_err *err)
{
    return df_param_parse_value("all", &all_params[i], text, out, err);
}

static void want_value(int i, const char *text, int64_t want)
{
    df_err err = { 0 };
    int64_t v = -12345;

    assert_int_equal(parse(i, text, &v, &err), 0);
    assert_int_equal(v, want);
}

static void want_error(int i, const char *text, const char *msg)
{
    df_err err = { 0 };
    int64_t v = -12345;

    assert_int_equal(parse(i, text, &v, &err), -EINVAL);
    assert_string_equal(err.msg, msg);
    assert_int_equal(v, -12345);
}

static void want_spec_error(const char *spec, const char *msg)
{
    const df_workload *w = NULL;
    df_params p = { .count = -1 };
    df_err err = { 0 };

    assert_int_equal(df_workload_parse_spec(spec, &w, &p, &err), -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    assert_string_equal(err.msg, msg);
    assert_null(w);
    assert_int_equal(p.count, -1);
}

static void test_params_int(void **state)
{
    (void)state;
    want_value(0, "42", 42);
    want_value(0, "-7", -7);
    want_value(0, "+7", 7);
    want_value(0, "9223372036854775807", INT64_MAX);
    want_error(0, "4x",
               "workload all: parameter n: \"4x\" is not an "
               "integer");
    want_error(0, " 4",
               "workload all: parameter n: \" 4\" is not an "
               "integer");
    want_error(0, "", "workload all: parameter n: \"\" is not an integer");
    want_error(0, "9223372036854775808",
               "workload all: parameter n: \"9223372036854775808\" is out "
               "of range");
}

static void test_params_duration_units(void **state)
{
    (void)state;
    want_value(1, "20", 20000000); /* bare: the decl's unit, ms */
    want_value(1, "500us", 500000);
    want_value(1, "2ms", 2000000);
    want_value(1, "1s", 1000000000);
    want_value(1, "15ns", 15);
    want_value(1, "1.5ms", 1500000);
    want_value(1, "0.25", 250000); /* 0.25 ms */
    want_value(1, "0", 0);
    want_value(1, "3MS", 3000000); /* units ignore case */
}

static void test_params_duration_einval(void **state)
{
    (void)state;
    want_error(1, "abc",
               "workload all: parameter wait: \"abc\" is not a "
               "duration (try 500us, 2ms, 1s)");
    want_error(1, "5msx",
               "workload all: parameter wait: \"5msx\" is not a "
               "duration (try 500us, 2ms, 1s)");
    want_error(1, "5 ms",
               "workload all: parameter wait: \"5 ms\" is not a "
               "duration (try 500us, 2ms, 1s)");
    want_error(1, "ms",
               "workload all: parameter wait: \"ms\" is not a "
               "duration (try 500us, 2ms, 1s)");
    want_error(1, "5KB",
               "workload all: parameter wait: \"5KB\" is not a "
               "duration (try 500us, 2ms, 1s)");
    want_error(1, "-5ms",
               "workload all: parameter wait: \"-5ms\" is "
               "negative (a duration cannot be)");
    want_error(1, "10000000000s",
               "workload all: parameter wait: "
               "\"10000000000s\" is above the limit of 1000000s");
    want_error(1, "99999999999999999999",
               "workload all: parameter wait: "
               "\"99999999999999999999\" is above the limit of 1000000s");
}

/* #12: a duration that fits in int64 ns can still overflow the deadline a
 * model computes from it (now + ns): durations stop at 1,000,000 s. */
static void test_params_duration_limit(void **state)
{
    (void)state;
    want_value(1, "1000000s", INT64_C(1000000000000000));
    want_value(1, "1000000000", INT64_C(1000000000000000)); /* in ms */
    want_error(1, "1000000000.001",
               "workload all: parameter wait: "
               "\"1000000000.001\" is above the limit of 1000000s");
    want_error(1, "1000001s",
               "workload all: parameter wait: "
               "\"1000001s\" is above the limit of 1000000s");
    want_spec_error("sleep:ms=9223372036854",
                    "workload sleep: parameter ms: \"9223372036854\" is "
                    "above the limit of 1000000s");
    want_spec_error("upstream:jitter=9223372036854",
                    "workload upstream: parameter jitter: "
                    "\"9223372036854\" is above the limit of 1000000s");
}

static void test_params_size_units(void **state)
{
    (void)state;
    want_value(2, "100", 100); /* bare: bytes */
    want_value(2, "100B", 100);
    want_value(2, "64KB", 65536); /* binary scale: 1 KB = 1024 B */
    want_value(2, "64kb", 65536);
    want_value(2, "1MB", 1048576);
    want_value(2, "1MiB", 1048576);
    want_value(2, "1GB", INT64_C(1) << 30);
    want_value(2, "0.5KB", 512);
    want_value(3, "2", 2048); /* bare: the decl's unit, KB */
    want_value(3, "3B", 3);
}

static void test_params_size_einval(void **state)
{
    (void)state;
    want_error(2, "lots",
               "workload all: parameter bytes: \"lots\" is not a "
               "size (try 512B, 64KB, 1MB; 1 KB = 1024 B)");
    want_error(2, "5ms",
               "workload all: parameter bytes: \"5ms\" is not a "
               "size (try 512B, 64KB, 1MB; 1 KB = 1024 B)");
    want_error(2, "-1KB",
               "workload all: parameter bytes: \"-1KB\" is "
               "negative (a size cannot be)");
    want_error(2, "99999999999GB",
               "workload all: parameter bytes: "
               "\"99999999999GB\" is out of range");
}

static void test_params_bool(void **state)
{
    (void)state;
    want_value(4, "true", 1);
    want_value(4, "yes", 1);
    want_value(4, "on", 1);
    want_value(4, "1", 1);
    want_value(4, "TRUE", 1);
    want_value(4, "false", 0);
    want_value(4, "no", 0);
    want_value(4, "off", 0);
    want_value(4, "0", 0);
    want_error(4, "2",
               "workload all: parameter on: \"2\" is not a boolean "
               "(try true or false)");
    want_error(4, "",
               "workload all: parameter on: \"\" is not a boolean "
               "(try true or false)");
}

static void test_params_defaults(void **state)
{
    df_params p = { 0 };
    df_err err = { 0 };

    (void)state;
    assert_int_equal(df_params_defaults(&all_workload, &p, &err), 0);

    assert_int_equal(p.count, 5);
    assert_int_equal(p.value[0], -3);
    assert_int_equal(p.value[1], 20000000);
    assert_int_equal(p.value[2], 65536);
    assert_int_equal(p.value[3], 2048);
    assert_int_equal(p.value[4], 0);
}

static void test_params_spec_defaults(void **state)
{
    const df_workload *w = NULL;
    df_params p = { 0 };
    df_err err = { 0 };

    (void)state;
    assert_int_equal(df_workload_parse_spec("cpu", &w, &p, &err), 0);

    assert_non_null(w);
    assert_string_equal(w->name, "cpu");
    assert_int_equal(p.count, 1);
    assert_int_equal(p.value[0], 1000000); /* 1000 us */
}

static void test_params_spec_values(void **state)
{
    const df_workload *w = NULL;
    df_params p = { 0 };
    df_err err = { 0 };

    (void)state;
    assert_int_equal(
        df_workload_parse_spec("web:parse=500us,upstream=20ms", &w, &p, &err),
        0);

    assert_string_equal(w->name, "web");
    assert_int_equal(p.count, 3);
    assert_int_equal(p.value[0], 500000);
    assert_int_equal(p.value[1], 20000000);
    assert_int_equal(p.value[2], 300000); /* render's default, 300 us */
}

static void test_params_spec_noop(void **state)
{
    const df_workload *w = NULL;
    df_params p = { .count = 9 };

    (void)state;
    assert_int_equal(df_workload_parse_spec("noop", &w, &p, NULL), 0);

    assert_string_equal(w->name, "noop");
    assert_int_equal(p.count, 0);
}

static void test_params_spec_einval(void **state)
{
    (void)state;
    want_spec_error("foo", "unknown workload \"foo\" (see duckfeed list)");
    want_spec_error("foo:x=1", "unknown workload \"foo\" (see duckfeed "
                               "list)");
    want_spec_error("", "workload spec is empty (try noop, or cpu:us=2000; "
                        "see duckfeed list)");
    want_spec_error(":us=1", "unknown workload \"\" (see duckfeed list)");
    want_spec_error("cpu:us=abc", "workload cpu: parameter us: \"abc\" is "
                                  "not a duration (try 500us, 2ms, 1s)");
    want_spec_error("cpu:x=1", "workload cpu: unknown parameter \"x\" "
                               "(known: us)");
    want_spec_error("noop:x=1", "workload noop: unknown parameter \"x\" "
                                "(known: none)");
    want_spec_error("web:pars=1", "workload web: unknown parameter "
                                  "\"pars\" (known: parse, upstream, render)");
    want_spec_error("cpu:us", "workload cpu: parameter \"us\" has no value "
                              "(write us=VALUE)");
    want_spec_error("cpu:us=1,us=2", "workload cpu: parameter us is given "
                                     "twice");
    want_spec_error("cpu:", "workload cpu: empty parameter (write "
                            "name=value, separated by commas)");
    want_spec_error("cpu:us=1,", "workload cpu: empty parameter (write "
                                 "name=value, separated by commas)");
    want_spec_error("cpu:us=", "workload cpu: parameter us: \"\" is not a "
                               "duration (try 500us, 2ms, 1s)");
    want_spec_error("cpu:us=-1", "workload cpu: parameter us: \"-1\" is "
                                 "negative (a duration cannot be)");
    want_spec_error("crash:after=1.5", "workload crash: parameter after: "
                                       "\"1.5\" is not an integer");
    want_spec_error("hash:release_gil=maybe",
                    "workload hash: parameter "
                    "release_gil: \"maybe\" is not a boolean (try true or "
                    "false)");
}

static void test_params_spec_einval_too_long(void **state)
{
    char spec[2048];

    (void)state;
    memset(spec, 'a', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    want_spec_error(spec, "workload spec is longer than 1023 characters");
}

static void want_format(const char *spec, const char *want)
{
    const df_workload *w = NULL;
    df_params p = { 0 };
    char buf[128];

    assert_int_equal(df_workload_parse_spec(spec, &w, &p, NULL), 0);
    assert_int_equal(df_params_format(w, &p, buf, sizeof buf),
                     (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_params_format(void **state)
{
    (void)state;
    want_format("cpu:us=2000", "cpu:us=2000");
    want_format("cpu:us=2ms", "cpu:us=2000");
    want_format("cpu", "cpu:us=1000");
    want_format("cpu:us=1500ns", "cpu:us=1500ns");
    want_format("noop", "noop");
    want_format("web:parse=500us,upstream=20ms",
                "web:parse=500,upstream=20,render=300");
    want_format("hash:bytes=1MB,release_gil=yes",
                "hash:bytes=1048576,release_gil=true");
    want_format("upstream:pool=4", "upstream:ms=20,jitter=0,pool=4,conns=100");
}

static void test_params_format_round_trips(void **state)
{
    const df_workload *w = NULL, *w2 = NULL;
    df_params p = { 0 }, p2 = { 0 };
    char buf[128];

    (void)state;
    assert_int_equal(df_workload_parse_spec("sleep:ms=1.0005", &w, &p, NULL),
                     0);
    assert_true(df_params_format(w, &p, buf, sizeof buf) > 0);
    assert_string_equal(buf, "sleep:ms=1000500ns");

    assert_int_equal(df_workload_parse_spec(buf, &w2, &p2, NULL), 0);
    assert_ptr_equal(w, w2);
    assert_memory_equal(&p, &p2, sizeof p);
}

static void test_params_format_enospc(void **state)
{
    const df_workload *w = NULL;
    df_params p = { 0 };
    char buf[6];

    (void)state;
    assert_int_equal(df_workload_parse_spec("cpu", &w, &p, NULL), 0);

    assert_int_equal(df_params_format(w, &p, buf, sizeof buf), -ENOSPC);
    assert_int_equal(strlen(buf), sizeof buf - 1);
}

static void test_params_to_json(void **state)
{
    const df_workload *w = NULL;
    df_params p = { 0 };
    json_t *j;
    char *text;

    (void)state;
    assert_int_equal(
        df_workload_parse_spec("hash:bytes=64KB,release_gil=on", &w, &p, NULL),
        0);
    j = df_params_to_json(w, &p);
    assert_non_null(j);
    text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

    assert_string_equal(text, "{\"bytes\":65536,\"release_gil\":true}");
    free(text);
    json_decref(j);
}

static void test_params_to_json_units(void **state)
{
    const df_workload *w = NULL;
    df_params p = { 0 };
    json_t *j;

    (void)state;
    assert_int_equal(df_workload_parse_spec("cpu:us=2ms", &w, &p, NULL), 0);
    j = df_params_to_json(w, &p);
    assert_int_equal(json_integer_value(json_object_get(j, "us")), 2000);
    json_decref(j);

    assert_int_equal(df_workload_parse_spec("cpu:us=1500ns", &w, &p, NULL), 0);
    j = df_params_to_json(w, &p);
    assert_true(json_is_real(json_object_get(j, "us")));
    assert_true(json_real_value(json_object_get(j, "us")) == 1.5);
    json_decref(j);

    assert_int_equal(df_workload_parse_spec("file:kb=128", &w, &p, NULL), 0);
    j = df_params_to_json(w, &p);
    assert_int_equal(json_integer_value(json_object_get(j, "kb")), 128);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_int),
        cmocka_unit_test(test_params_duration_units),
        cmocka_unit_test(test_params_duration_einval),
        cmocka_unit_test(test_params_duration_limit),
        cmocka_unit_test(test_params_size_units),
        cmocka_unit_test(test_params_size_einval),
        cmocka_unit_test(test_params_bool),
        cmocka_unit_test(test_params_defaults),
        cmocka_unit_test(test_params_spec_defaults),
        cmocka_unit_test(test_params_spec_values),
        cmocka_unit_test(test_params_spec_noop),
        cmocka_unit_test(test_params_spec_einval),
        cmocka_unit_test(test_params_spec_einval_too_long),
        cmocka_unit_test(test_params_format),
        cmocka_unit_test(test_params_format_round_trips),
        cmocka_unit_test(test_params_format_enospc),
        cmocka_unit_test(test_params_to_json),
        cmocka_unit_test(test_params_to_json_units),
    };

    return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
