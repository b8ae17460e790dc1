/* tests/test_extra_model.c - a model defined outside models/
 * (tests/model_serial.c) joins with one df_model_register line and goes
 * through `run`, `plot`, `suite` and the report as a built-in does. */
#include "models/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/run.h"
#include "harness/plot/plot.h"
#include "harness/store/resfile.h"
#include "harness/suite/suite.h"

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SUITES DF_SOURCE_DIR "/tests/data/suites"

extern const df_model_ops df_model_serial; /* tests/model_serial.c */

static char tmp_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/df-test-extra-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, sizeof paths[0], "%s/%s", tmp_dir, name);
    return p;
}

/* The whole file, NUL-terminated, in a malloc'd buffer the caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n;

    assert_non_null(f);
    assert_non_null(buf);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void assert_file_has(const char *path, const char *text)
{
    char *s = slurp(path);

    if (!strstr(s, text))
        fail_msg("%s does not contain \"%s\"", path, text);
    free(s);
}

/* The ok points of model in the results file at path. */
static int count_points(const char *path, const char *model)
{
    json_t *doc = NULL;
    df_err err = { 0 };
    const json_t *pt;
    size_t i;
    int n = 0;

    assert_int_equal(df_resfile_load(path, &doc, &err), 0);
    json_array_foreach(json_object_get(doc, "points"), i, pt) n +=
        strcmp(df_resfile_str(pt, "model", ""), model) == 0 &&
        df_resfile_point_ok(pt);
    json_decref(doc);
    return n;
}

static void test_extra_model_registered(void **state)
{
    static const df_model_ops no_stop = { .name = "nostop" };
    const df_model_ops *last = NULL;
    int n = 0;

    (void)state;

    while (df_model_at(n))
        last = df_model_at(n++);

    assert_ptr_equal(df_model_find("serial"), &df_model_serial);
    assert_ptr_equal(last, &df_model_serial); /* after the built-ins */
    assert_ptr_equal(df_model_at(0), df_models[0]);
    assert_int_equal(df_model_register(&df_model_serial), -EEXIST);
    assert_int_equal(df_model_register(NULL), -EINVAL);
    assert_int_equal(df_model_register(&no_stop), -EINVAL);
    assert_null(df_model_find("nostop"));
}

/* `run` takes it by name and records its points; one request at a time
 * shows: 10 ms each caps it at 100 req/s with 4 clients as with 1 (an
 * upper bound, which a busy machine cannot break). `plot` draws it. */
static void test_extra_model_run_and_plot(void **state)
{
    const char *out = tmp_path("run.json"), *plots = tmp_path("plots");
    char *run[] = { "run",         "--model",       "serial", "--workload",
                    "sleep:ms=10", "--concurrency", "1,4",    "--duration",
                    "0.3s",        "--warmup",      "0.05s",  "--repeat",
                    "1",           "--quiet",       "--out",  (char *)out,
                    NULL };
    char *plot[] = { "plot",        (char *)out, "--out-dir",
                     (char *)plots, "--quiet",   NULL };
    json_t *doc = NULL;
    df_err err = { 0 };
    const json_t *pt;
    size_t i;
    char path[512];

    (void)state;

    assert_int_equal(df_run_main(16, run), 0);
    assert_int_equal(df_plot_main(5, plot), 0);

    assert_int_equal(count_points(out, "serial"), 2);
    assert_int_equal(df_resfile_load(out, &doc, &err), 0);
    json_array_foreach(json_object_get(doc, "points"), i, pt)
    {
        assert_int_equal(df_resfile_num(pt, "workers", 0), 1);
        assert_int_equal(df_resfile_num(pt, "threads", 0), 1);
        assert_true(df_resfile_num(pt, "throughput_rps", 0) > 0);
        assert_true(df_resfile_num(pt, "throughput_rps", 0) < 120);
        assert_true(df_resfile_num(pt, "completed", 0) > 0);
    }
    json_decref(doc);
    snprintf(path, sizeof path, "%s/run-throughput-sleep.png", plots);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/run-throughput-sleep.dat", plots);
    assert_file_has(path, "\"serial\"");
}

/* `suite` runs it beside a built-in, plots both and the timeline of its
 * one lane, and REPORT.md tells what it stands for and compares it. */
static void test_extra_model_suite_and_report(void **state)
{
    const char *results = tmp_path("results"), *plots = tmp_path("splots");
    char *argv[] = { "suite",       "serial",        "--suites-dir",
                     SUITES,        "--results-dir", (char *)results,
                     "--plots-dir", (char *)plots,   NULL };
    char path[512];

    (void)state;

    assert_int_equal(df_suite_main_with(8, argv, df_run_main), 0);

    snprintf(path, sizeof path, "%s/serial.json", results);
    assert_int_equal(count_points(path, "serial"), 3);
    assert_int_equal(count_points(path, "process"), 2);
    snprintf(path, sizeof path, "%s/serial-throughput-sleep.png", plots);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/serial-timeline.png", plots);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/serial-timeline.dat", plots);
    assert_file_has(path, "\"server 0\""); /* its lane_name */
    snprintf(path, sizeof path, "%s/REPORT.md", results);
    assert_file_has(path, "**serial** is Python's `http.server`");
    assert_file_has(path, "Here it ran as `python -m http.server`");
    assert_file_has(path, "of `serial -w 1, c=4`");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extra_model_registered),
        cmocka_unit_test(test_extra_model_run_and_plot),
        cmocka_unit_test(test_extra_model_suite_and_report),
    };

    /* The one line a model from outside models/ needs. */
    if (df_model_register(&df_model_serial) != 0)
        return 1;
    return cmocka_run_group_tests_name("extra_model", tests, setup, teardown);
}
