/* tests/test_validate.c - the results schema: what passes, and the path
 * named when something does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/store/validate.h"

static json_t *latency(void)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "mean", 120.5, "p50", 100.0,
                     "p90", 150.0, "p99", 300.0, "p999", 900.0, "max", 1200.0);
}

static json_t *identity(const char *load, const char *status)
{
    json_t *p =
        json_pack("{s:s,s:i,s:i,s:s,s:i,s:i,s:s,s:{s:i},s:s,s:f,s:f,s:i,s:s}",
                  "model", "thread", "workers", 1, "threads", 8, "gil", "new",
                  "switch_interval_us", 5000, "hogs", 0, "workload", "cpu",
                  "params", "us", 500, "load", load, "duration_s", 2.0,
                  "warmup_s", 0.5, "repeat", 3, "status", status);
    if (load[0] == 'c')
        json_object_set_new(p, "concurrency", json_integer(16));
    else
        json_object_update_new(p, json_pack("{s:f,s:s,s:i,s:i}", "rate_rps",
                                            800.0, "arrivals", "poisson",
                                            "max_inflight", 0, "seed", 1));
    return p;
}

static json_t *ok_point(const char *load)
{
    json_t *p = identity(load, "ok");
    json_t *reps = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(reps, json_pack("{s:i,s:f}", "index", i,
                                              "throughput_rps", 790.0 + i));
    json_object_update_new(
        p, json_pack("{s:i,s:i,s:i,s:f,s:{s:f,s:f,s:f,s:f,s:f,s:i},s:o,s:o,s:o,"
                     "s:[[f,f],[f,f]],s:f,s:f,s:i,s:i,s:i,s:n,s:f,s:f,"
                     "s:{s:{s:b,s:f,s:f,s:f}},s:o}",
                     "completed", 4740, "errors", 0, "timeouts", 0,
                     "throughput_rps", 790.0, "throughput", "median", 791.0,
                     "min", 790.0, "max", 792.0, "ci95_low", 788.5, "ci95_high",
                     793.5, "n", 3, "latency_us", latency(), "queue_us",
                     latency(), "service_us", latency(), "latency_cdf", 50.0,
                     100.0, 99.0, 300.0, "cpu_user_s", 1.2, "cpu_sys_s", 0.1,
                     "ctx_switches_voluntary", 100, "ctx_switches_involuntary",
                     5, "max_rss_bytes", 4000000, "mem_per_inflight_bytes",
                     "inflight_mean", 0.95, "achieved_rps", 790.0, "checks",
                     "littles_law", "ok", 1, "inflight_sampled", 0.95,
                     "inflight_predicted", 0.952, "error", 0.002, "repetitions",
                     reps));
    if (load[0] == 'o') {
        json_object_set_new(p, "latency_naive_us", latency());
        json_object_set_new(p, "offered_rps", json_real(800));
        json_object_set_new(p, "dropped", json_integer(0));
        json_object_set_new(json_object_get(p, "checks"), "rate",
                            json_pack("{s:b,s:f}", "ok", 1, "error", 0.01));
    }
    return p;
}

static json_t *valid_doc(void)
{
    json_t *failed = identity("closed", "failed");
    json_object_set_new(failed, "failure",
                        json_string("killed by signal 11 (SIGSEGV)"));
    return json_pack(
        "{s:s,s:b,s:s,s:{s:s,s:s},s:{s:s,s:i,s:i,s:[f,f,f],s:s,s:s,s:s,s:s,"
        "s:s},s:s,s:[o,o,o]}",
        "schema", DF_RESULTS_SCHEMA_ID, "complete", 1, "started",
        "2026-11-24T19:00:00Z", "duckfeed", "version", "0.1.0", "git_commit",
        "abc1234", "machine", "cpu_model", "Test CPU", "cores", 2, "affinity",
        2, "load_avg", 0.5, 0.4, 0.3, "kernel", "Linux 6.1 x86_64", "compiler",
        "gcc 12", "build_type", "Release", "build_flags", "-O2", "hostname",
        "box", "command", "duckfeed run --model thread", "points",
        ok_point("closed"), ok_point("open"), failed);
}

static void expect_invalid(json_t *doc, const char *why_expected)
{
    char why[256] = "";
    assert_int_equal(df_validate_json(doc, why, sizeof why), -EINVAL);
    assert_string_equal(why, why_expected);
    json_decref(doc);
}

static void test_validate_valid_doc(void **state)
{
    json_t *doc = valid_doc();
    char why[256] = "";
    (void)state;

    int rc = df_validate_json(doc, why, sizeof why);

    assert_string_equal(why, "");
    assert_int_equal(rc, 0);
    json_decref(doc);
}

static void test_validate_missing_percentile(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 1);
    (void)state;

    json_object_del(json_object_get(p, "latency_us"), "p99");

    expect_invalid(doc, "points[1].latency_us.p99: missing");
}

/* #18: marks name known reasons; an unsteady mark contradicts steady. */
static void test_validate_marks(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 0);
    (void)state;

    json_object_set_new(p, "steady", json_true());
    json_object_set_new(p, "marks", json_pack("[s]", "censored"));
    char why[256] = "";
    assert_int_equal(df_validate_json(doc, why, sizeof why), 0);
    json_object_set_new(p, "marks", json_pack("[s]", "window_short"));
    json_t *copy = json_deep_copy(doc);
    expect_invalid(copy, "points[0].steady: true but marked \"window_short\"");
    json_object_set_new(p, "marks", json_pack("[s]", "wobbly"));
    expect_invalid(doc, "points[0].marks: unexpected value \"wobbly\"");
}

static void test_validate_wrong_type(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 0);
    (void)state;

    json_object_set_new(p, "completed", json_string("many"));

    expect_invalid(doc,
                   "points[0].completed: expected an integer, got a string");
}

static void test_validate_open_needs_naive(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 1);
    (void)state;

    json_object_del(p, "latency_naive_us");

    expect_invalid(doc, "points[1].latency_naive_us: missing");
}

static void test_validate_open_needs_rate_check(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 1);
    (void)state;

    json_object_del(json_object_get(p, "checks"), "rate");

    expect_invalid(doc, "points[1].checks.rate: missing");
}

static void test_validate_littles_law_fields(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 0);
    (void)state;

    json_object_del(
        json_object_get(json_object_get(p, "checks"), "littles_law"), "error");

    expect_invalid(doc, "points[0].checks.littles_law.error: missing");
}

static void test_validate_failed_needs_failure(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 2);
    (void)state;

    json_object_del(p, "failure");

    expect_invalid(doc, "points[2].failure: missing");
}

static void test_validate_repetitions_match_n(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 0);
    (void)state;

    json_array_remove(json_object_get(p, "repetitions"), 0);

    expect_invalid(doc,
                   "points[0].repetitions: 2 entries but throughput.n is 3");
}

/* #12: a point folded from fewer repetitions than asked says how many,
 * and that many ran. */
static void test_validate_repetitions_done(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 0);
    char why[256] = "";
    (void)state;

    json_object_set_new(p, "repetitions_done", json_integer(3));
    json_object_set_new(doc, "interrupted", json_string("SIGTERM"));
    assert_int_equal(df_validate_json(doc, why, sizeof why), 0);
    json_object_set_new(p, "repetitions_done", json_integer(2));

    expect_invalid(doc, "points[0].repetitions_done: 2 but throughput.n is 3");
}

static void test_validate_repetitions_done_range(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 2);
    (void)state;

    json_object_set_new(p, "repetitions_done", json_integer(4));

    expect_invalid(doc, "points[2].repetitions_done: 4, expected 1..3");
}

static void test_validate_interrupted_names_signal(void **state)
{
    json_t *doc = valid_doc();
    (void)state;

    json_object_set_new(doc, "interrupted", json_string("yes"));

    expect_invalid(doc, "interrupted: unexpected value \"yes\"");
}

static void test_validate_bad_enum(void **state)
{
    json_t *doc = valid_doc();
    json_t *p = json_array_get(json_object_get(doc, "points"), 0);
    (void)state;

    json_object_set_new(p, "status", json_string("meh"));

    expect_invalid(doc, "points[0].status: unexpected value \"meh\"");
}

static void test_validate_schema_version(void **state)
{
    json_t *doc = valid_doc();
    (void)state;

    json_object_set_new(doc, "schema", json_string("duckfeed.results/0"));

    expect_invalid(doc,
                   "schema: \"duckfeed.results/0\" is not duckfeed.results/1");
}

static void test_validate_machine_field(void **state)
{
    json_t *doc = valid_doc();
    (void)state;

    json_object_del(json_object_get(doc, "machine"), "kernel");

    expect_invalid(doc, "machine.kernel: missing");
}

static int run_main_on(const char *text)
{
    char path[] = "/tmp/df_validate_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char *argv[] = { "validate", path, NULL };
    int rc = df_validate_main(2, argv);
    unlink(path);
    return rc;
}

static void test_validate_main_exit_codes(void **state)
{
    json_t *doc = valid_doc();
    char *text = json_dumps(doc, 0);
    char *argv[] = { "validate", NULL };
    (void)state;

    assert_int_equal(run_main_on(text), 0);
    assert_int_equal(run_main_on("{\"schema\": 1}"), 2);
    assert_int_equal(run_main_on("{not json"), 2);
    assert_int_equal(df_validate_main(1, argv), 2);
    free(text);
    json_decref(doc);
}

/* #12: validate kept the last of two equal keys where plot refused the
 * file; both read it the same way now. */
static void test_validate_main_duplicate_key(void **state)
{
    json_t *doc = valid_doc();
    char *text = json_dumps(doc, 0);
    char *dup = malloc(strlen(text) + 32);
    (void)state;

    assert_non_null(dup);
    /* {"complete": false, <the valid document's fields>} */
    sprintf(dup, "{\"complete\": false, %s", text + 1);

    assert_int_equal(run_main_on(text), 0);
    assert_int_equal(run_main_on(dup), 2);
    free(dup);
    free(text);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_valid_doc),
        cmocka_unit_test(test_validate_missing_percentile),
        cmocka_unit_test(test_validate_wrong_type),
        cmocka_unit_test(test_validate_open_needs_naive),
        cmocka_unit_test(test_validate_open_needs_rate_check),
        cmocka_unit_test(test_validate_littles_law_fields),
        cmocka_unit_test(test_validate_failed_needs_failure),
        cmocka_unit_test(test_validate_repetitions_match_n),
        cmocka_unit_test(test_validate_repetitions_done),
        cmocka_unit_test(test_validate_repetitions_done_range),
        cmocka_unit_test(test_validate_marks),
        cmocka_unit_test(test_validate_interrupted_names_signal),
        cmocka_unit_test(test_validate_bad_enum),
        cmocka_unit_test(test_validate_schema_version),
        cmocka_unit_test(test_validate_machine_field),
        cmocka_unit_test(test_validate_main_exit_codes),
        cmocka_unit_test(test_validate_main_duplicate_key),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
