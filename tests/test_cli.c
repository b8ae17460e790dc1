/* tests/test_cli.c - the duckfeed command as a user meets it: bad input is
 * one line and exit 2; a crashing point is recorded and the sweep goes on;
 * the results file parses back with every field present and typed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include "harness/cli/opt.h"
#include "harness/store/results.h"
#include "harness/sweep/plan.h"
#include "models/model.h"
#include "tests/duckfeed_exe.h"

#include <jansson.h>

static char exe[4096];
static char tmpdir[] = "/tmp/duckfeed-cli-XXXXXX";

typedef struct outcome {
    int status;     /* exit code, or 128 + signal */
    char err[4096]; /* stderr */
    int err_lines;
} outcome;

/* Runs duckfeed with the NULL-terminated arguments; stdout is discarded. */
static outcome run(const char *first, ...)
{
    const char *argv[64] = { exe, first };
    int argc = 2;
    va_list ap;
    va_start(ap, first);
    while (argc < 63 && (argv[argc] = va_arg(ap, const char *)) != NULL)
        argc++;
    va_end(ap);
    argv[argc] = NULL;

    int fds[2];
    outcome o = { 0 };
    if (pipe(fds) < 0)
        fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(fds[1], 2);
        close(fds[0]);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], o.err + len, sizeof o.err - 1 - len)) > 0)
        len += (size_t)n;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    for (size_t i = 0; i < len; i++)
        o.err_lines += o.err[i] == '\n';
    return o;
}

static void assert_bad_input(outcome o, const char *needle)
{
    if (o.status != 2 || o.err_lines != 1 || !strstr(o.err, needle))
        fail_msg("want exit 2 and one line containing \"%s\"; got %d: %s",
                 needle, o.status, o.err);
}

static const char *out_path(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void test_cli_unknown_model_exits_2(void **state)
{
    (void)state;
    assert_bad_input(
        run("run", "--model", "greenlet", "--out", out_path("a.json"), NULL),
        "unknown model \"greenlet\"");
}

static void test_cli_unknown_workload_exits_2(void **state)
{
    (void)state;
    assert_bad_input(
        run("run", "--workload", "fib", "--out", out_path("a.json"), NULL),
        "unknown workload \"fib\"");
}

static void test_cli_unknown_parameter_exits_2(void **state)
{
    (void)state;
    assert_bad_input(
        run("run", "--workload", "cpu:ms=3", "--out", out_path("a.json"), NULL),
        "unknown parameter \"ms\"");
}

static void test_cli_non_numeric_value_exits_2(void **state)
{
    (void)state;
    assert_bad_input(run("run", "--workload", "cpu:us=abc", "--out",
                         out_path("a.json"), NULL),
                     "\"abc\"");
    assert_bad_input(
        run("run", "--threads", "two", "--out", out_path("a.json"), NULL),
        "--threads: \"two\"");
}

static void test_cli_concurrency_zero_exits_2(void **state)
{
    (void)state;
    assert_bad_input(
        run("run", "--concurrency", "0", "--out", out_path("a.json"), NULL),
        "--concurrency: \"0\"");
}

static void test_cli_duration_zero_exits_2(void **state)
{
    (void)state;
    assert_bad_input(
        run("run", "--duration", "0", "--out", out_path("a.json"), NULL),
        "--duration");
}

static void test_cli_unwritable_out_exits_2(void **state)
{
    (void)state;
    assert_bad_input(run("run", "--out", "/nonexistent-dir/x.json", NULL),
                     "/nonexistent-dir/x.json");
}

static void test_cli_unknown_option_exits_2(void **state)
{
    (void)state;
    assert_bad_input(run("run", "--bogus", NULL), "--bogus");
    assert_bad_input(run("frobnicate", NULL), "unknown command");
}

static void test_cli_help_exits_0(void **state)
{
    (void)state;
    assert_int_equal(run("--help", NULL).status, 0);
    assert_int_equal(run("run", "--help", NULL).status, 0);
    assert_int_equal(run("list", "--help", NULL).status, 0);
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (!doc)
        fail_msg("%s: %s", path, e.text);
    return doc;
}

static void test_cli_crashing_point_is_recorded_and_sweep_goes_on(void **state)
{
    (void)state;
    const char *out = out_path("crash.json");

    outcome o = run("run", "--model", "process,thread", "--workload", "crash",
                    "--workload", "noop", "--workers", "1", "--threads", "1",
                    "--duration", "0.2s", "--warmup", "0", "--quiet", "--out",
                    out, NULL);

    assert_int_equal(o.status, 1);
    json_t *doc = load(out);
    json_t *pts = json_object_get(doc, "points");
    assert_int_equal(json_array_size(pts), 4);
    int failed = 0, ok = 0;
    size_t i;
    json_t *pt;
    json_array_foreach(pts, i, pt)
    {
        const char *st = json_string_value(json_object_get(pt, "status"));
        const char *wl = json_string_value(json_object_get(pt, "workload"));
        if (!strcmp(wl, "crash")) {
            assert_string_equal(st, "failed");
            assert_non_null(strstr(
                json_string_value(json_object_get(pt, "failure")), "SIGSEGV"));
            failed++;
        } else {
            assert_string_equal(st, "ok");
            ok++;
        }
    }
    assert_int_equal(failed, 2);
    assert_int_equal(ok, 2);
    assert_true(json_is_true(json_object_get(doc, "complete")));
    json_decref(doc);
}

static void test_cli_results_parse_back_typed(void **state)
{
    (void)state;
    const char *out = out_path("typed.json");

    outcome o = run("run", "--model", "process", "--workload", "sleep:ms=1",
                    "--concurrency", "1,2", "--duration", "0.2s", "--warmup",
                    "0.05s", "--quiet", "--out", out, NULL);

    assert_int_equal(o.status, 0);
    json_t *doc = load(out);
    assert_string_equal(json_string_value(json_object_get(doc, "schema")),
                        "duckfeed.results/1");
    assert_true(json_is_string(json_object_get(doc, "command")));
    json_t *m = json_object_get(doc, "machine");
    assert_true(json_is_string(json_object_get(m, "cpu_model")));
    assert_true(json_is_integer(json_object_get(m, "cores")));
    assert_true(json_is_string(json_object_get(m, "kernel")));
    assert_true(json_is_string(json_object_get(m, "compiler")));
    assert_true(json_is_string(json_object_get(m, "build_type")));
    json_t *pts = json_object_get(doc, "points");
    assert_int_equal(json_array_size(pts), 2);
    size_t i;
    json_t *pt;
    json_array_foreach(pts, i, pt)
    {
        assert_string_equal(json_string_value(json_object_get(pt, "model")),
                            "process");
        assert_true(json_is_integer(json_object_get(pt, "workers")));
        assert_true(json_is_integer(json_object_get(pt, "threads")));
        assert_string_equal(json_string_value(json_object_get(pt, "workload")),
                            "sleep");
        assert_true(json_is_object(json_object_get(pt, "params")));
        assert_true(json_is_number(
            json_object_get(json_object_get(pt, "params"), "ms")));
        assert_true(json_is_integer(json_object_get(pt, "concurrency")));
        assert_true(json_is_number(json_object_get(pt, "duration_s")));
        assert_true(json_is_integer(json_object_get(pt, "completed")));
        assert_true(json_is_integer(json_object_get(pt, "errors")));
        assert_true(json_is_number(json_object_get(pt, "throughput_rps")));
        assert_true(json_integer_value(json_object_get(pt, "completed")) > 0);
        json_t *lat = json_object_get(pt, "latency_us");
        const char *keys[] = { "mean", "p50", "p90", "p99", "p999", "max" };
        for (int k = 0; k < 6; k++)
            assert_true(json_is_number(json_object_get(lat, keys[k])));
        /* A 1 ms sleep cannot finish faster than 1 ms. */
        assert_true(json_number_value(json_object_get(lat, "p50")) >= 1000.0);
    }
    json_decref(doc);
}

/* #6: the thread model's "hogs" figures used to replace the point's
 * "hogs" count, which then failed validation and read as 0 in plots. */
static void test_cli_model_stats_keep_identity(void **state)
{
    (void)state;
    const char *out = out_path("hogs.json");

    outcome o = run("run", "--model", "thread", "--threads", "1", "--hogs", "1",
                    "--workload", "noop", "--duration", "0.1s", "--warmup", "0",
                    "--repeat", "1", "--quiet", "--out", out, NULL);

    assert_int_equal(o.status, 0);
    json_t *doc = load(out);
    json_t *pt = json_array_get(json_object_get(doc, "points"), 0);
    assert_true(json_is_integer(json_object_get(pt, "hogs")));
    assert_int_equal(json_integer_value(json_object_get(pt, "hogs")), 1);
    assert_true(json_is_object(json_object_get(pt, "hogs_stats")));
    assert_true(json_is_object(json_object_get(pt, "gil_stats")));
    json_decref(doc);
}

/* The flags of a run that measures little: one noop point of 0.1 s. */
#define QUICK_RUN                                                            \
    "run", "--model", "process", "--workload", "noop", "--duration", "0.1s", \
        "--warmup", "0", "--repeat", "1", "--quiet"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void assert_text(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

/* #12: `--out README.md` used to replace the README with results. */
static void test_cli_out_of_another_kind_is_kept(void **state)
{
    const char *out = out_path("notes.md");

    (void)state;
    write_text(out, "my notes\n");

    assert_bad_input(run(QUICK_RUN, "--out", out, NULL),
                     "not a duckfeed results file");

    assert_text(out, "my notes\n");
}

static void test_cli_out_force_replaces_another_kind(void **state)
{
    const char *out = out_path("replace.md");

    (void)state;
    write_text(out, "scratch\n");

    assert_int_equal(run(QUICK_RUN, "--force", "--out", out, NULL).status, 0);

    json_t *doc = load(out);
    assert_string_equal(json_string_value(json_object_get(doc, "schema")),
                        DF_RESULTS_SCHEMA);
    json_decref(doc);
}

static void test_cli_out_results_file_is_replaced(void **state)
{
    const char *out = out_path("again.json");

    (void)state;
    assert_int_equal(run(QUICK_RUN, "--out", out, NULL).status, 0);

    assert_int_equal(run(QUICK_RUN, "--out", out, NULL).status, 0);

    json_t *doc = load(out);
    assert_int_equal(json_array_size(json_object_get(doc, "points")), 1);
    json_decref(doc);
}

/* #12: a directory was found out only when the first point was written,
 * after measuring it (two lines, the point lost). */
static void test_cli_out_directory_exits_2(void **state)
{
    const char *out = out_path("dir.json");

    (void)state;
    assert_int_equal(mkdir(out, 0755), 0);

    assert_bad_input(run(QUICK_RUN, "--out", out, NULL), "is a directory");
}

static void test_cli_out_symlink_exits_2(void **state)
{
    char victim[4200];
    const char *out;

    (void)state;
    snprintf(victim, sizeof victim, "%s", out_path("victim.txt"));
    out = out_path("link.json"); /* a static buffer: after the copy */
    write_text(victim, "keep\n");
    assert_int_equal(symlink(victim, out), 0);

    assert_bad_input(run(QUICK_RUN, "--force", "--out", out, NULL),
                     "symbolic link");

    assert_text(victim, "keep\n");
}

/* #12: two runs on one file used to overwrite each other's points. */
static void test_cli_out_in_use_exits_2_at_once(void **state)
{
    const char *out = out_path("busy.json");
    df_results_lock *lk = NULL;
    df_err err = { 0 };

    (void)state;
    assert_int_equal(df_results_acquire(out, 0, &lk, &err), 0);

    outcome o = run(QUICK_RUN, "--out", out, NULL);

    df_results_release(lk);
    assert_bad_input(o, "another run is writing it");
    assert_int_equal(access(out, F_OK), -1);
}

/* #12: durations the parser accepted overflowed the deadlines; a rate
 * this low made the arrival schedule negative and the generator spin. */
static void test_cli_durations_past_limits_exit_2(void **state)
{
    const char *out = out_path("limits.json");

    (void)state;
    assert_bad_input(
        run(QUICK_RUN, "--duration", "9223372036s", "--out", out, NULL),
        "--duration: \"9223372036s\" is not a duration up to 86400s");
    assert_bad_input(
        run(QUICK_RUN, "--warmup", "9223372036s", "--out", out, NULL),
        "--warmup: \"9223372036s\" is not auto, auto:D or a duration up "
        "to 86400s");
    assert_bad_input(run(QUICK_RUN, "--warmup", "autox", "--out", out, NULL),
                     "--warmup: \"autox\" is not auto");
    assert_bad_input(
        run(QUICK_RUN, "--timeout", "9223372036s", "--out", out, NULL),
        "--timeout: \"9223372036s\" is not a duration up to 86400s");
    assert_bad_input(
        run(QUICK_RUN, "--switch-interval", "9223372036s", "--out", out, NULL),
        "--switch-interval: \"9223372036s\" is not a duration up to 3600s");
    /* Within what the parameters' parser takes, past the option's limit. */
    assert_bad_input(run(QUICK_RUN, "--duration", "86401s", "--out", out, NULL),
                     "--duration: \"86401s\" is above 86400s");
    assert_bad_input(
        run(QUICK_RUN, "--switch-interval", "3601s", "--out", out, NULL),
        "--switch-interval: \"3601s\" is above 3600s");
    assert_bad_input(run(QUICK_RUN, "--timeout", "0", "--out", out, NULL),
                     "--timeout: \"0\" is below 1s");
    assert_bad_input(run(QUICK_RUN, "--rate", "1e-11", "--out", out, NULL),
                     "--rate: \"1e-11\" is not a rate in [0.001,");
}

/* #12: the plan was expanded (262,144 points) before its cap was
 * checked, and reported "out of memory" at worst. */
static void test_cli_too_many_points_exits_2(void **state)
{
    char list[DF_PLAN_MAX_LIST * 4], hogs[DF_PLAN_MAX_LIST * 4];
    size_t n = 0, m = 0;

    (void)state;
    for (int i = 0; i < DF_PLAN_MAX_LIST; i++) {
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%d", i ? "," : "",
                              i + 1);
        m += (size_t)snprintf(hogs + m, sizeof hogs - m, "%s%d", i ? "," : "",
                              i);
    }

    outcome o =
        run("run", "--model", "thread", "--threads", list, "--concurrency",
            list, "--hogs", hogs, "--out", out_path("big.json"), NULL);

    assert_bad_input(o, "too many points (262144 > 100000)");
}

/* The list flags refuse what they cannot hold, naming the limit. */
static void test_cli_list_limits_exit_2(void **state)
{
    static char longest[DF_OPT_MAX_ARG_CHARS + 2];
    const char *out = out_path("lists.json");

    (void)state;
    memset(longest, '1', sizeof longest - 1);
    assert_bad_input(
        run(QUICK_RUN, "--gil", "new,old,off,new", "--out", out, NULL),
        "--gil: more than 3 values");
    assert_bad_input(
        run(QUICK_RUN, "--concurrency", longest, "--out", out, NULL),
        "--concurrency: longer than");
}

/* #12: --threads accepted 4096, the thread model stopped at 1024. */
static void test_cli_thread_model_runs_max_threads(void **state)
{
    char threads[16];
    const char *out = out_path("threads.json");

    (void)state;
    snprintf(threads, sizeof threads, "%d", DF_MODEL_MAX_THREADS);

    outcome o = run("run", "--model", "thread", "--threads", threads,
                    "--workload", "noop", "--duration", "0.1s", "--warmup", "0",
                    "--repeat", "1", "--quiet", "--out", out, NULL);

    assert_int_equal(o.status, 0);
    json_t *doc = load(out);
    json_t *pt = json_array_get(json_object_get(doc, "points"), 0);
    assert_string_equal(json_string_value(json_object_get(pt, "status")), "ok");
    assert_int_equal(json_integer_value(json_object_get(pt, "threads")),
                     DF_MODEL_MAX_THREADS);
    json_decref(doc);
}

/* #12: validate read duplicate keys as the last one, plot refused them. */
static void test_cli_validate_duplicate_key_exits_2(void **state)
{
    const char *path = out_path("dup.json");

    (void)state;
    write_text(path, "{\"schema\": \"duckfeed.results/1\", \"points\": [],"
                     " \"points\": []}");

    assert_bad_input(run("validate", path, NULL), "duplicate object key");
    assert_bad_input(run("plot", path, NULL), "duplicate object key");
}

static int setup(void **state)
{
    (void)state;
    return df_test_exe_setup(exe, sizeof exe, tmpdir);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_unknown_model_exits_2),
        cmocka_unit_test(test_cli_unknown_workload_exits_2),
        cmocka_unit_test(test_cli_unknown_parameter_exits_2),
        cmocka_unit_test(test_cli_non_numeric_value_exits_2),
        cmocka_unit_test(test_cli_concurrency_zero_exits_2),
        cmocka_unit_test(test_cli_duration_zero_exits_2),
        cmocka_unit_test(test_cli_unwritable_out_exits_2),
        cmocka_unit_test(test_cli_unknown_option_exits_2),
        cmocka_unit_test(test_cli_help_exits_0),
        cmocka_unit_test(test_cli_crashing_point_is_recorded_and_sweep_goes_on),
        cmocka_unit_test(test_cli_results_parse_back_typed),
        cmocka_unit_test(test_cli_model_stats_keep_identity),
        cmocka_unit_test(test_cli_out_of_another_kind_is_kept),
        cmocka_unit_test(test_cli_out_force_replaces_another_kind),
        cmocka_unit_test(test_cli_out_results_file_is_replaced),
        cmocka_unit_test(test_cli_out_directory_exits_2),
        cmocka_unit_test(test_cli_out_symlink_exits_2),
        cmocka_unit_test(test_cli_out_in_use_exits_2_at_once),
        cmocka_unit_test(test_cli_durations_past_limits_exit_2),
        cmocka_unit_test(test_cli_too_many_points_exits_2),
        cmocka_unit_test(test_cli_list_limits_exit_2),
        cmocka_unit_test(test_cli_thread_model_runs_max_threads),
        cmocka_unit_test(test_cli_validate_duplicate_key_exits_2),
    };
    return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
