/* tests/test_calibration.c - results/calibration.json and its charge (#15).
 *
 * The loader: a good file gives each model its cost, a bad one a one-line
 * error (and `duckfeed run --calibration` exit 2). The charge: a lane
 * given request_cost_ns = X serves an empty request in about X, so c=1
 * throughput drops to about 1/X; asserted as ratios with wide margins,
 * only when timings mean something (tests/timing.h).
 */
#include "harness/store/calibration.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "models/model.h"

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include "tests/duckfeed_exe.h"
#include "tests/timing.h"

extern const df_model_ops df_model_thread, df_model_coroutine;

#define GOOD                                                                \
    "{\"schema\": \"duckfeed-calibration/1\", \"entries\": ["               \
    "{\"name\": \"sync-w2\", \"model\": \"process\", \"request_cost_us\": " \
    "95.5, \"cpu_slope\": 1.1},"                                            \
    "{\"name\": \"gthread-w1t8\", \"model\": \"thread\", "                  \
    "\"request_cost_us\": "                                                 \
    "120}]}"

static char dir[] = "/tmp/df-calib-XXXXXX";
static char exe[512];

/* Writes text to dir/name; the path goes to path. */
static void write_file(const char *name, const char *text, char *path)
{
    snprintf(path, 600, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_calibration_cost_by_model(void **state)
{
    char path[600], spec[700];
    int64_t ns = -1;
    df_err err = { 0 };

    (void)state;
    write_file("good.json", GOOD, path);

    assert_int_equal(df_calibration_cost(path, "process", &ns, &err), 0);
    assert_int_equal(ns, 95500);
    assert_int_equal(df_calibration_cost(path, "thread", &ns, &err), 0);
    assert_int_equal(ns, 120000);
    snprintf(spec, sizeof spec, "%s#sync-w2", path);
    assert_int_equal(df_calibration_cost(spec, "thread", &ns, &err), 0);
    assert_int_equal(ns, 95500);
    assert_int_equal(df_calibration_cost(path, NULL, &ns, &err), 0);
    assert_int_equal(ns, 0);
}

/* Each bad input fails with the code given and a one-line message naming
 * the file. */
static void expect_bad(const char *name, const char *text, int code)
{
    char path[600];
    int64_t ns = -1;
    df_err err = { 0 };

    write_file(name, text, path);
    assert_int_equal(df_calibration_cost(path, "process", &ns, &err), code);
    assert_int_equal(ns, 0);
    assert_non_null(strstr(err.msg, name));
    assert_null(strchr(err.msg, '\n'));
}

static void test_calibration_cost_einval(void **state)
{
    (void)state;
    expect_bad("trunc.json", "{\"schema\": ", -EINVAL);
    expect_bad("schema.json", "{\"schema\": \"duckfeed.results/1\"}", -EINVAL);
    expect_bad("empty.json",
               "{\"schema\": \"duckfeed-calibration/1\", \"entries\": []}",
               -EINVAL);
    expect_bad("neg.json",
               "{\"schema\": \"duckfeed-calibration/1\", \"entries\": ["
               "{\"name\": \"a\", \"model\": \"process\", "
               "\"request_cost_us\": -1}]}",
               -EINVAL);
    expect_bad("slope.json",
               "{\"schema\": \"duckfeed-calibration/1\", \"entries\": ["
               "{\"name\": \"a\", \"model\": \"process\", "
               "\"request_cost_us\": 1, \"cpu_slope\": \"x\"}]}",
               -EINVAL);
    expect_bad("noname.json",
               "{\"schema\": \"duckfeed-calibration/1\", \"entries\": ["
               "{\"model\": \"process\", \"request_cost_us\": 1}]}",
               -EINVAL);
}

static void test_calibration_cost_enoent(void **state)
{
    char path[600], spec[700];
    int64_t ns = -1;
    df_err err = { 0 };

    (void)state;
    write_file("good.json", GOOD, path);

    assert_int_equal(df_calibration_cost(path, "asyncio", &ns, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "no entry for model asyncio"));
    snprintf(spec, sizeof spec, "%s#nope", path);
    assert_int_equal(df_calibration_cost(spec, "process", &ns, &err), -ENOENT);
    snprintf(spec, sizeof spec, "%s/missing.json", dir);
    assert_int_equal(df_calibration_cost(spec, "process", &ns, &err), -ENOENT);
    assert_int_equal(df_calibration_cost("#x", "process", &ns, &err), -EINVAL);
}

/* `duckfeed run --calibration BAD`: exit 2 and one line on stderr. */
static void test_calibration_run_exit2(void **state)
{
    char path[600], cmd[2048], line[512];
    int lines = 0;

    (void)state;
    write_file("neg2.json",
               "{\"schema\": \"duckfeed-calibration/1\", \"entries\": ["
               "{\"name\": \"a\", \"model\": \"process\", "
               "\"request_cost_us\": -5}]}",
               path);
    snprintf(cmd, sizeof cmd,
             "%s run --model process --workload noop --requests 1 "
             "--calibration %s --out %s/o.json 2>%s/err.txt",
             exe, path, dir, dir);

    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (lines++ == 0)
            assert_non_null(strstr(line, "request_cost_us"));
    fclose(f);
    assert_int_equal(lines, 1);
}

/* `duckfeed suite --calibration MISSING`: exit 2 before any run. */
static void test_calibration_suite_exit2(void **state)
{
    char cmd[2048];

    (void)state;
    snprintf(cmd, sizeof cmd,
             "%s suite timeline --calibration %s/missing.json "
             "--results-dir %s --plots-dir %s >/dev/null 2>&1",
             exe, dir, dir, dir);

    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
}

static int noop_handle(df_ctx *ctx)
{
    df_checkpoint(ctx);
    return 0;
}

static const df_workload noop_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-noop",
    .summary = "one checkpoint",
    .kind = DF_KIND_CPU,
    .handle = noop_handle,
};

/* One client, one request at a time: the sink submits the next. */
typedef struct closed {
    const df_model_ops *ops;
    df_model *m;
    int64_t want;       /* requests to complete */
    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;
    int64_t done, errors;
} closed;

static void sink(void *arg, const df_completion *c)
{
    closed *r = arg;
    pthread_mutex_lock(&r->mu);
    int64_t done = ++r->done;
    r->errors += c->status != 0;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (done < r->want) {
        df_request req = { .id = (uint64_t)done };
        req.sent_ns = req.intended_ns = df_now_ns();
        DF_CHECK(r->ops->submit(r->m, &req) == 0);
    }
}

/* c=1 requests per second of ops serving `want` empty requests, each
 * charged cost_ns. */
static double c1_rps(const df_model_ops *ops, int64_t cost_ns, int64_t want)
{
    closed r = { .ops = ops, .want = want };
    df_err err = { 0 };
    df_model_cfg cfg = { .threads = 1,
                         .workload = &noop_workload,
                         .sink = sink,
                         .sink_arg = &r,
                         .inflight_max = 1,
                         .request_cost_ns = cost_ns };
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    (void)df_cpu_iters_per_us(); /* as the harness does before start */
    assert_int_equal(ops->start(&cfg, &r.m, &err), 0);

    int64_t t0 = df_now_ns();
    df_request req = { .sent_ns = t0, .intended_ns = t0 };
    assert_int_equal(ops->submit(r.m, &req), 0);
    pthread_mutex_lock(&r.mu);
    while (r.done < want)
        pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    double wall_s = (double)(df_now_ns() - t0) / 1e9;
    assert_int_equal(ops->stop(r.m, 5 * DF_NS_PER_S, NULL, &err), 0);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    assert_int_equal(r.errors, 0);
    return (double)want / wall_s;
}

/* A charge of 300 us: c=1 throughput about 1/300us (0.25x-1.3x of it) and
 * well below the uncharged one. */
static void charge_lowers_rps(const df_model_ops *ops)
{
    const int64_t cost_ns = 300 * 1000;
    const double ideal = 1e9 / (double)cost_ns;

    for (int attempt = 0; attempt < 2; attempt++) {
        load_probe p;
        probe_start(&p);
        double charged = c1_rps(ops, cost_ns, 300);
        double free_rps = c1_rps(ops, 0, 300);
        if (!timing_trusted())
            return;
        int ok = charged > 0.25 * ideal && charged < 1.3 * ideal &&
                 free_rps > 4 * charged;
        if (decide(ok, attempt, probe_free_cores(&p), 1)) {
            fprintf(stderr, "%s: %.0f rps charged (1/cost %.0f), %.0f free\n",
                    ops->name, charged, ideal, free_rps);
            assert_true(charged > 0.25 * ideal && charged < 1.3 * ideal);
            assert_true(free_rps > 4 * charged);
            return;
        }
    }
}

static void test_calibration_charge_thread(void **state)
{
    (void)state;
    charge_lowers_rps(&df_model_thread);
}

static void test_calibration_charge_coroutine(void **state)
{
    (void)state;
    charge_lowers_rps(&df_model_coroutine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calibration_cost_by_model),
        cmocka_unit_test(test_calibration_cost_einval),
        cmocka_unit_test(test_calibration_cost_enoent),
        cmocka_unit_test(test_calibration_run_exit2),
        cmocka_unit_test(test_calibration_suite_exit2),
        cmocka_unit_test(test_calibration_charge_thread),
        cmocka_unit_test(test_calibration_charge_coroutine),
    };
    if (df_test_exe_setup(exe, sizeof exe, dir) != 0) {
        fprintf(stderr, "no duckfeed executable or temporary directory\n");
        return 1;
    }
    int rc = cmocka_run_group_tests_name("calibration", tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
