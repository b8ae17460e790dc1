/* tests/test_suite.c - suite files parse and name real flags; a bad one is
 * a one-line error; `duckfeed suite` merges runs, plots and reports (with a
 * fake `duckfeed run`, so no model runs here). */
#include "harness/suite/suite.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/claim.h"
#include "harness/store/resfile.h"

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#define SUITES DF_SOURCE_DIR "/harness/suite/suites"
#define SMALL  DF_SOURCE_DIR "/tests/data/small-results.json"

static char tmp_dir[64];
static int fake_calls;

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/df-test-suite-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

/* `duckfeed run` stand-in: checks the argv the suite built, then "writes
 * results" by copying the small results file to --out. */
static int fake_run(int argc, char **argv)
{
    char cmd[1024];
    const char *out = NULL;
    int i;

    fake_calls++;
    if (strcmp(argv[0], "run") != 0 || argv[argc] != NULL)
        return 2;
    for (i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
    if (!out)
        return 2;
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", SMALL, out);
    return system(cmd) == 0 ? 0 : 2;
}

/* `duckfeed run` stopped by SIGINT: --out holds what finished (the small
 * results, marked as a sweep marks them) and the exit status says so. */
static int fake_run_interrupted(int argc, char **argv)
{
    const char *out = NULL;
    json_t *doc;
    int i, rc;

    fake_calls++;
    for (i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
    if (!out || !(doc = json_load_file(SMALL, 0, NULL)))
        return 2;
    json_object_set_new(doc, "complete", json_false());
    json_object_set_new(doc, "interrupted", json_string("SIGINT"));
    rc = json_dump_file(doc, out, JSON_INDENT(1));
    json_decref(doc);
    return rc == 0 ? DF_SUITE_EXIT_SIGNALED + SIGINT : 2;
}

/* The whole of a small file; fails the test if it cannot be read. */
static void read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_suite_every_file_loads(void **state)
{
    DIR *d = opendir(SUITES);
    struct dirent *e;
    char path[512];
    int n = 0;

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d))) {
        df_err err = { 0 };
        df_suite *s = NULL;

        if (!strstr(e->d_name, ".json"))
            continue;
        snprintf(path, sizeof path, "%s/%s", SUITES, e->d_name);

        if (df_suite_load(path, &s, &err) < 0)
            fail_msg("%s", err.msg);

        /* The file name is the suite's name: `duckfeed suite NAME`. */
        assert_int_equal(
            strncmp(e->d_name, df_suite_name(s), strlen(df_suite_name(s))), 0);
        df_suite_destroy(s);
        n++;
    }
    closedir(d);
    assert_true(n >= 8);
}

/* DESIGN §8: the default set in about 5 minutes, 1 with --quick. */
static void test_suite_default_set_fits_budget(void **state)
{
    static const char *const names[] = { "default",  "cpu",    "io",
                                         "mixed",    "convoy", "blocking",
                                         "timeline", "asyncio" };
    double full = 0, quick = 0;
    char path[512];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        df_err err = { 0 };
        df_suite *s = NULL;

        snprintf(path, sizeof path, "%s/%s.json", SUITES, names[i]);
        assert_int_equal(df_suite_load(path, &s, &err), 0);
        full += df_suite_estimate_s(s, 0);
        quick += df_suite_estimate_s(s, 1);
        df_suite_destroy(s);
    }

    assert_true(full <= 300);
    assert_true(quick <= 60);
}

static void test_suite_quick_replaces_flags(void **state)
{
    df_err err = { 0 };
    df_suite *s = NULL;
    char **argv;
    int argc, i, workers = 0;

    (void)state;
    assert_int_equal(df_suite_load(SUITES "/cpu.json", &s, &err), 0);

    argv = df_suite_run_argv(s, 0, 1, &argc);

    assert_non_null(argv);
    assert_null(argv[argc]);
    for (i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--workers") == 0) {
            workers++;
            assert_string_equal(argv[i + 1], "1,2,4");
        }
    assert_int_equal(workers, 1);
    free(argv);
    df_suite_destroy(s);
}

/* Each bad suite: -EINVAL and a one-line message naming the problem. */
static void expect_bad_suite(const char *content, const char *why)
{
    char path[128];
    df_err err = { 0 };
    df_suite *s = NULL;

    snprintf(path, sizeof path, "%s/bad.json", tmp_dir);
    write_file(path, content);

    assert_int_equal(df_suite_load(path, &s, &err), -EINVAL);

    assert_null(s);
    assert_null(strchr(err.msg, '\n'));
    if (!strstr(err.msg, why))
        fail_msg("\"%s\" does not say \"%s\"", err.msg, why);
}

#define GOOD_HEAD                                                        \
    "{\"name\": \"x\", \"version\": 1, \"title\": \"t\", \"sentence\": " \
    "\"s\", "

static void test_suite_malformed_einval(void **state)
{
    (void)state;
    expect_bad_suite("{\"name\": ", "not valid JSON");
    expect_bad_suite("[]", "not a JSON object");
    expect_bad_suite("{\"name\": \"x\", \"version\": 1, \"title\": \"t\"}",
                     "sentence");
    expect_bad_suite(GOOD_HEAD "\"runs\": []}", "runs");
    expect_bad_suite(GOOD_HEAD "\"runs\": [{\"argv\": [\"--modle\", \"x\"]}]}",
                     "--modle");
    expect_bad_suite(GOOD_HEAD "\"runs\": [{\"argv\": [\"--out\", \"x\"]}]}",
                     "--out");
    expect_bad_suite(GOOD_HEAD "\"runs\": [{\"argv\": [\"--model\"]}]}",
                     "needs a value");
    expect_bad_suite(GOOD_HEAD "\"runs\": [{\"argv\": [\"--model\", "
                               "\"process\"], \"quick\": [3]}]}",
                     "quick");
    expect_bad_suite(GOOD_HEAD "\"kind\": \"examples\"}", "command");
    /* #12, found by tests/fuzz/fuzz_suite: cast to int, it overflowed. */
    expect_bad_suite(GOOD_HEAD "\"order\": 1e300, \"runs\": [{\"argv\": "
                               "[\"--trace\"]}]}",
                     "order");
}

/* Runs df_suite_main_with with run and stderr captured; returns its exit
 * code. */
static int suite_capture_with(df_suite_run_fn *run,
                              char *err_buf,
                              size_t len,
                              int argc,
                              char **argv)
{
    char path[128];
    int saved = dup(2), fd, rc;
    ssize_t n;

    snprintf(path, sizeof path, "%s/stderr.txt", tmp_dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    rc = df_suite_main_with(argc, argv, run);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, err_buf, len - 1, 0);
    err_buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return rc;
}

static int suite_capture(char *err_buf, size_t len, int argc, char **argv)
{
    return suite_capture_with(fake_run, err_buf, len, argc, argv);
}

static void test_suite_bad_file_exits_2(void **state)
{
    char dir[128], path[160], err[1024];
    char *argv[] = { "suite", "--suites-dir", dir, NULL };

    (void)state;
    snprintf(dir, sizeof dir, "%s/badsuites", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/x.json", dir);
    write_file(path, GOOD_HEAD "\"runs\": [{\"argv\": [\"--nope\"]}]}");

    assert_int_equal(suite_capture(err, sizeof err, 3, argv), 2);

    assert_non_null(strstr(err, "--nope"));
    assert_int_equal(strchr(err, '\n') - err, (long)strlen(err) - 1);
}

static void test_suite_unknown_name_exits_2(void **state)
{
    char err[1024];
    char *argv[] = { "suite", "nosuchsuite", NULL };

    (void)state;

    assert_int_equal(suite_capture(err, sizeof err, 2, argv), 2);

    assert_non_null(strstr(err, "nosuchsuite"));
}

/* Two runs merge into one results file with a "suite" object, get their
 * plots, and the report carries the sentence and a computed claim. */
static void test_suite_runs_merge_plot_report(void **state)
{
    char dir[128], path[256], results[128], plots[128], err[1024];
    char *argv[] = { "suite",       "demo",          "--suites-dir",
                     dir,           "--results-dir", results,
                     "--plots-dir", plots,           NULL };
    df_err e = { 0 };
    json_t *doc = NULL, *small = NULL;
    FILE *f;
    char report[16384] = "";

    (void)state;
    snprintf(dir, sizeof dir, "%s/suites", tmp_dir);
    snprintf(results, sizeof results, "%s/results", tmp_dir);
    snprintf(plots, sizeof plots, "%s/plots", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/demo.json", dir);
    write_file(path,
               "{\"name\": \"demo\", \"version\": 3, \"title\": \"Demo\", "
               "\"sentence\": \"Processes beat threads on CPU.\", "
               "\"runs\": [{\"argv\": [\"--model\", \"process\"]}, "
               "{\"argv\": [\"--model\", \"thread\"]}], "
               "\"plots\": [\"throughput\"], \"claims\": [{\"metric\": "
               "\"throughput_rps\", \"workload\": \"cpu\", \"a\": "
               "{\"model\": \"process\", \"workers\": 2}, \"b\": {\"model\": "
               "\"thread\"}}]}");
    fake_calls = 0;

    assert_int_equal(suite_capture(err, sizeof err, 8, argv), 0);

    assert_int_equal(fake_calls, 2);
    snprintf(path, sizeof path, "%s/demo.json", results);
    assert_int_equal(df_resfile_load(SMALL, &small, &e), 0);
    assert_int_equal(df_resfile_load(path, &doc, &e), 0);
    assert_int_equal(json_array_size(json_object_get(doc, "points")),
                     2 * json_array_size(json_object_get(small, "points")));
    json_decref(small);
    assert_string_equal(df_resfile_str(doc, "suite.sentence", ""),
                        "Processes beat threads on CPU.");
    json_decref(doc);
    snprintf(path, sizeof path, "%s/demo-throughput-cpu.png", plots);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/REPORT.md", results);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_true(fread(report, 1, sizeof report - 1, f) > 0);
    fclose(f);
    assert_non_null(strstr(report, "> Processes beat threads on CPU."));
    /* 980 req/s (process -w 2, c=4) over 480 (thread, c=4): computed. */
    assert_non_null(strstr(report, "`process -w 2, c=4` had 2.04x the "
                                   "throughput of `thread -w 1 --threads 2, "
                                   "c=4`"));
    assert_non_null(strstr(report, "](../plots/demo-throughput-cpu.png)"));
}

#define DEMO_SUITE(NAME, ORDER)                                        \
    "{\"name\": \"" NAME "\", \"version\": 1, \"order\": " ORDER ", "  \
    "\"title\": \"T\", \"sentence\": \"s\", \"runs\": [{\"argv\": "    \
    "[\"--model\", \"process\"]}], \"plots\": [], \"claims\": "        \
    "[{\"metric\": \"throughput_rps\", \"workload\": \"cpu\", \"a\": " \
    "{\"model\": \"process\", \"workers\": 2}, \"b\": {\"model\": "    \
    "\"thread\"}}]}"

/* #12 item 4: a run stopped by SIGINT stops `duckfeed suite a b`: exit
 * 130, b does not run and its results and plots stay as they were, a's
 * file says "interrupted" and the report computes no claim from it. */
static void test_suite_interrupted_run_stops_the_rest(void **state)
{
    char dir[128], path[256], results[128], plots[128], err[1024];
    char *argv[] = {
        "suite",         "a",     "b",           "--suites-dir", dir,
        "--results-dir", results, "--plots-dir", plots,          NULL
    };
    static char before[65536], after[65536], report[65536];
    json_t *doc;

    (void)state;
    snprintf(dir, sizeof dir, "%s/isuites", tmp_dir);
    snprintf(results, sizeof results, "%s/iresults", tmp_dir);
    snprintf(plots, sizeof plots, "%s/iplots", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(results, 0700), 0);
    assert_int_equal(mkdir(plots, 0700), 0);
    snprintf(path, sizeof path, "%s/a.json", dir);
    write_file(path, DEMO_SUITE("a", "1"));
    snprintf(path, sizeof path, "%s/b.json", dir);
    write_file(path, DEMO_SUITE("b", "2"));
    snprintf(path, sizeof path, "%s/b.json", results);
    write_file(path, "{\"b\": \"an earlier run\"}\n");
    snprintf(path, sizeof path, "%s/b-throughput-cpu.png", plots);
    write_file(path, "an earlier plot\n");
    fake_calls = 0;

    int rc = suite_capture_with(fake_run_interrupted, err, sizeof err, 9, argv);

    assert_int_equal(rc, DF_SUITE_EXIT_SIGNALED + SIGINT);
    assert_int_equal(fake_calls, 1);
    snprintf(path, sizeof path, "%s/b.json", results);
    read_file(path, after, sizeof after);
    assert_string_equal(after, "{\"b\": \"an earlier run\"}\n");
    snprintf(path, sizeof path, "%s/b-throughput-cpu.png", plots);
    read_file(path, before, sizeof before);
    assert_string_equal(before, "an earlier plot\n");
    snprintf(path, sizeof path, "%s/a.json", results);
    doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(df_resfile_str(doc, "interrupted", "(none)"), "SIGINT");
    assert_true(json_is_false(json_object_get(doc, "complete")));
    json_decref(doc);
    snprintf(path, sizeof path, "%s/REPORT.md", results);
    read_file(path, report, sizeof report);
    assert_non_null(strstr(report, "**Interrupted** (SIGINT)"));
    assert_null(strstr(report, "x the throughput of"));
    assert_null(strstr(report, "not measured"));
}

/* #12: two suites writing into one results dir at once: neither touches
 * the other's files. Names an earlier version used for every run (its
 * run files, the report's temporary) hold another run's files here. */
static void test_suite_leaves_other_runs_temp_files(void **state)
{
    static const char *const theirs[] = { ".suite-t-0.json", "REPORT.md.tmp" };
    char dir[128], path[256], results[128], err[1024], text[256];
    char *argv[] = {
        "suite", "t",           "--suites-dir", dir, "--results-dir",
        results, "--plots-dir", results,        NULL
    };
    size_t i;
    DIR *d;
    struct dirent *e;

    (void)state;
    snprintf(dir, sizeof dir, "%s/tsuites", tmp_dir);
    snprintf(results, sizeof results, "%s/tresults", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(results, 0700), 0);
    snprintf(path, sizeof path, "%s/t.json", dir);
    write_file(path, DEMO_SUITE("t", "1"));
    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", results, theirs[i]);
        write_file(path, "another run's\n");
    }

    assert_int_equal(suite_capture(err, sizeof err, 8, argv), 0);

    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", results, theirs[i]);
        read_file(path, text, sizeof text);
        assert_string_equal(text, "another run's\n");
    }
    /* Nothing of ours is left behind but the results and the report. */
    d = opendir(results);
    assert_non_null(d);
    i = 0;
    while ((e = readdir(d)))
        i++;
    closedir(d);
    assert_int_equal(i, 2 + 3 + 2); /* ., .., t.json, REPORT.md, report.html,
                                     theirs */
}

/* Kind "examples": the script's DF-RESULT lines land in the results. */
static void test_suite_examples_collects_results(void **state)
{
    char dir[128], build[128], path[256], results[128], err[1024];
    char *argv[] = {
        "suite", "ex",          "--suites-dir", dir, "--results-dir",
        results, "--plots-dir", results,        NULL
    };
    json_t *doc;

    (void)state;
    snprintf(dir, sizeof dir, "%s/exsuites", tmp_dir);
    snprintf(build, sizeof build, "%s/build", tmp_dir);
    snprintf(results, sizeof results, "%s/exresults", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(build, 0700), 0);
    snprintf(path, sizeof path, "%s/ex.json", dir);
    write_file(path, "{\"name\": \"ex\", \"version\": 1, \"title\": \"t\", "
                     "\"sentence\": \"s\", \"kind\": \"examples\", "
                     "\"command\": [\"run_all.sh\", \"0.1\"]}");
    snprintf(path, sizeof path, "%s/run_all.sh", build);
    write_file(path, "#!/bin/sh\necho \"scale $1\"\n"
                     "echo 'DF-RESULT gather expected_s=0.2 measured_s=0.21'\n"
                     "echo 'DF-RESULT serial expected_s=0.3 measured_s=0.9'\n");
    assert_int_equal(chmod(path, 0700), 0);
    setenv("DF_BUILD_DIR", build, 1);

    assert_int_equal(suite_capture(err, sizeof err, 8, argv), 0);

    snprintf(path, sizeof path, "%s/ex.json", results);
    doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "examples")), 2);
    json_decref(doc);
}

/* Point fields a claim's selector may name (docs/RESULTS-SCHEMA.md). */
static int selector_key_known(const char *key)
{
    static const char *const keys[] = {
        "model",     "workers",     "threads",
        "processes", "gil",         "switch_interval_us",
        "hogs",      "workload",    "workload_spec",
        "spec",      "concurrency", "rate_rps",
        "load",      "arrivals",
    };
    size_t i;

    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i], key) == 0)
            return 1;
    return 0;
}

static void check_selector(const char *file, const json_t *sel, int number_ok)
{
    const char *key;
    const json_t *v;

    if (number_ok && json_is_number(sel))
        return;
    if (!json_is_object(sel) || json_object_size(sel) == 0)
        fail_msg("%s: a claim side is not a non-empty selector", file);
    json_object_foreach((json_t *)sel, key, v)
    {
        if (!selector_key_known(key))
            fail_msg("%s: selector key \"%s\" is no point field", file, key);
    }
}

/* Every claim of every suite names a metric and two well-formed sides. */
static void test_suite_claims_well_formed(void **state)
{
    DIR *d = opendir(SUITES);
    struct dirent *e;
    char path[512];

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d))) {
        df_err err = { 0 };
        df_suite *s = NULL;
        const json_t *claims;
        size_t i;

        if (!strstr(e->d_name, ".json"))
            continue;
        snprintf(path, sizeof path, "%s/%s", SUITES, e->d_name);
        assert_int_equal(df_suite_load(path, &s, &err), 0);
        claims = json_object_get(df_suite_json(s), "claims");
        for (i = 0; i < json_array_size(claims); i++) {
            const json_t *c = json_array_get(claims, i);

            /* #17: a survival claim compares fates, not a metric. */
            assert_true(json_is_string(json_object_get(c, "metric")) ||
                        strcmp(json_string_value(json_object_get(c, "kind")),
                               "survival") == 0);
            check_selector(e->d_name, json_object_get(c, "a"), 0);
            check_selector(e->d_name, json_object_get(c, "b"), 1);
        }
        df_suite_destroy(s);
    }
    closedir(d);
}

/* The default suite's claim, against the checked-in results: computed,
 * with its expectation judged. */
static void test_suite_claim_resolves_against_data(void **state)
{
    df_err e = { 0 };
    json_t *doc = NULL;
    json_t *claim = json_pack(
        "{s:s, s:s, s:{s:s, s:i, s:i}, s:{s:s, s:i, s:f}, s:{s:f}}", "metric",
        "throughput_rps", "workload", "cpu", "a", "model", "process", "workers",
        2, "concurrency", 2, "b", "model", "thread", "threads", 2,
        "concurrency", 2.0, "expect", "min", 1.6);
    df_claim_result r;

    (void)state;
    assert_int_equal(df_resfile_load(SMALL, &doc, &e), 0);

    df_claim_eval(doc, claim, &r);

    /* 2.0 matches the point's integer 2: numbers compare as numbers. */
    if (!r.measured)
        fail_msg("%s", r.text);
    assert_true(r.ratio > 2.04 && r.ratio < 2.05); /* 980 / 480 req/s */
    assert_int_equal(r.verdict, 1);
    assert_non_null(strstr(r.text, "expected >= 1.6x: holds"));
    json_decref(claim);
    json_decref(doc);
}

/* #17: a survival claim: a kept serving with a crash every K requests,
 * b stopped at the first crash, after M completed. */
static void test_suite_claim_survival(void **state)
{
    json_t *doc = json_pack(
        "{s:[{s:s,s:i,s:i,s:s,s:i,s:s,s:f,s:{s:i}},"
        "{s:s,s:i,s:i,s:s,s:i,s:s,s:s,s:i}]}",
        "points", "model", "process", "workers", 2, "threads", 1, "workload",
        "crash", "concurrency", 8, "status", "ok", "throughput_rps", 1767.0,
        "params", "every", 50, "model", "thread", "workers", 1, "threads", 8,
        "workload", "crash", "concurrency", 8, "status", "failed", "failure",
        "signal 11 (SIGSEGV)", "completed_before_failure", 21);
    json_t *claim =
        json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:s,s:s}", "kind", "survival",
                  "workload", "crash", "a", "model", "process", "b", "model",
                  "thread", "per", "every", "event_is", "crash");
    df_claim_result r;

    (void)state;
    df_claim_eval(doc, claim, &r);

    assert_int_equal(r.measured, 1);
    assert_int_equal(r.verdict, 1);
    assert_non_null(strstr(r.text, "kept serving 1767 req/s with a crash "
                                   "every 50 requests; `thread -w 1"));
    assert_non_null(strstr(r.text, "stopped at the first crash (signal 11 "
                                   "(SIGSEGV), after 21 completed)"));
    json_decref(claim);
    json_decref(doc);
}

/* ... and when b survived too, it says so and does not hold. */
static void test_suite_claim_survival_both_served(void **state)
{
    json_t *doc = json_pack(
        "{s:[{s:s,s:i,s:s,s:s,s:f},{s:s,s:i,s:s,s:s,s:f}]}", "points", "model",
        "process", "workers", 2, "workload", "crash", "status", "ok",
        "throughput_rps", 1000.0, "model", "thread", "workers", 1, "workload",
        "crash", "status", "ok", "throughput_rps", 900.0);
    json_t *claim = json_pack("{s:s,s:{s:s},s:{s:s}}", "kind", "survival", "a",
                              "model", "process", "b", "model", "thread");
    df_claim_result r;

    (void)state;
    df_claim_eval(doc, claim, &r);

    assert_int_equal(r.verdict, 0);
    assert_non_null(strstr(r.text, "kept serving too (900 req/s)"));
    assert_non_null(strstr(r.text, "does NOT hold"));
    json_decref(claim);
    json_decref(doc);
}

/* A number as the other side (an ideal), and a spec as given. */
static void test_suite_claim_number_side(void **state)
{
    df_err e = { 0 };
    json_t *doc = NULL;
    json_t *claim = json_pack("{s:s, s:{s:s, s:s, s:i}, s:i, s:s}", "metric",
                              "throughput_rps", "a", "model", "coroutine",
                              "spec", "sleep:ms=10", "concurrency", 100, "b",
                              10000, "b_is", "the ideal");
    df_claim_result r;

    (void)state;
    assert_int_equal(df_resfile_load(SMALL, &doc, &e), 0);

    df_claim_eval(doc, claim, &r);

    assert_int_equal(r.measured, 1);
    assert_true(r.ratio > 0.94 && r.ratio < 0.95); /* 9405 / 10000 */
    assert_int_equal(r.verdict, -1);
    assert_non_null(strstr(r.text, "the ideal"));
    json_decref(claim);
    json_decref(doc);
}

/* A side that matches nothing names its selector, not "the first setup". */
static void test_suite_claim_missing_names_selector(void **state)
{
    df_err e = { 0 };
    json_t *doc = NULL;
    json_t *claim =
        json_pack("{s:s, s:{s:s}, s:{s:i}}", "metric", "throughput_rps", "a",
                  "model", "thread", "b", "hogs", 7);
    df_claim_result r;

    (void)state;
    assert_int_equal(df_resfile_load(SMALL, &doc, &e), 0);

    df_claim_eval(doc, claim, &r);

    assert_int_equal(r.measured, 0);
    assert_non_null(
        strstr(r.text, "no steady ok point matched b = {\"hogs\":7}"));
    json_decref(claim);
    json_decref(doc);
}

/* #13: a doc of two points, a with `a_done` completions and b with 5000,
 * both with a p99 and a p50. */
static json_t *two_points(int a_done, int quick)
{
    return json_pack("{s:{s:s, s:b}, s:[{s:s, s:s, s:i, s:i, s:{s:f, s:f}},"
                     " {s:s, s:s, s:i, s:i, s:{s:f, s:f}}]}",
                     "suite", "name", "t", "quick", quick, "points", "status",
                     "ok", "model", "thread", "concurrency", 8, "completed",
                     a_done, "latency_us", "p99", 4000.0, "p50", 1000.0,
                     "status", "ok", "model", "process", "concurrency", 8,
                     "completed", 5000, "latency_us", "p99", 2000.0, "p50",
                     500.0);
}

static void claim_on(const json_t *doc, const char *metric, df_claim_result *r)
{
    json_t *claim = json_pack("{s:s, s:{s:s}, s:{s:s}}", "metric", metric, "a",
                              "model", "thread", "b", "model", "process");
    df_claim_eval(doc, claim, r);
    json_decref(claim);
}

/* A p99 from fewer than 100 requests is one request's latency: the claim
 * is not computed, and says how many it had and needed. */
static void test_suite_claim_p99_needs_100_samples(void **state)
{
    json_t *doc = two_points(99, 0);
    df_claim_result r;

    (void)state;
    claim_on(doc, "latency_us.p99", &r);

    assert_int_equal(r.measured, 0);
    assert_true(isnan(r.ratio));
    assert_non_null(strstr(r.text, "not measured: only 99 samples, need 100"));
    assert_null(strstr(r.text, "--quick"));
    json_decref(doc);
}

static void test_suite_claim_p99_at_100_samples_computed(void **state)
{
    json_t *doc = two_points(100, 0);
    df_claim_result r;

    (void)state;
    claim_on(doc, "latency_us.p99", &r);

    if (!r.measured)
        fail_msg("%s", r.text);
    assert_true(r.ratio > 1.99 && r.ratio < 2.01);
    json_decref(doc);
}

/* The median needs the floor (20), not 100; a --quick run says it fell
 * short; a rate has no minimum. */
static void test_suite_claim_quick_says_it_falls_short(void **state)
{
    json_t *doc = two_points(19, 1);
    df_claim_result r, p50_ok, rate;
    json_t *doc20 = two_points(20, 1);

    (void)state;
    claim_on(doc, "latency_us.p50", &r);
    claim_on(doc20, "latency_us.p50", &p50_ok);
    claim_on(doc, "completed", &rate);

    assert_int_equal(r.measured, 0);
    assert_non_null(strstr(r.text, "only 19 samples, need 20"));
    assert_non_null(strstr(r.text, "--quick run falls short"));
    assert_non_null(strstr(r.brief, "--quick falls short"));
    assert_int_equal(p50_ok.measured, 1);
    assert_int_equal(rate.measured, 1);
    json_decref(doc);
    json_decref(doc20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_every_file_loads),
        cmocka_unit_test(test_suite_default_set_fits_budget),
        cmocka_unit_test(test_suite_quick_replaces_flags),
        cmocka_unit_test(test_suite_malformed_einval),
        cmocka_unit_test(test_suite_bad_file_exits_2),
        cmocka_unit_test(test_suite_unknown_name_exits_2),
        cmocka_unit_test(test_suite_runs_merge_plot_report),
        cmocka_unit_test(test_suite_interrupted_run_stops_the_rest),
        cmocka_unit_test(test_suite_leaves_other_runs_temp_files),
        cmocka_unit_test(test_suite_examples_collects_results),
        cmocka_unit_test(test_suite_claims_well_formed),
        cmocka_unit_test(test_suite_claim_resolves_against_data),
        cmocka_unit_test(test_suite_claim_survival),
        cmocka_unit_test(test_suite_claim_survival_both_served),
        cmocka_unit_test(test_suite_claim_number_side),
        cmocka_unit_test(test_suite_claim_missing_names_selector),
        cmocka_unit_test(test_suite_claim_p99_needs_100_samples),
        cmocka_unit_test(test_suite_claim_p99_at_100_samples_computed),
        cmocka_unit_test(test_suite_claim_quick_says_it_falls_short),
    };

    return cmocka_run_group_tests_name("suite", tests, setup, teardown);
}
