/* tests/test_plot.c - `duckfeed plot` on a checked-in small results file:
 * the images and tables it makes, and one-line errors on bad input. */
#include "harness/plot/plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include "harness/store/resfile.h"

#define SMALL DF_SOURCE_DIR "/tests/data/small-results.json"

static char out_dir[64];

static int rm_rf(const char *dir)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(out_dir, sizeof out_dir, "/tmp/df-test-plot-XXXXXX");
    return mkdtemp(out_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rm_rf(out_dir) == 0 ? 0 : -1;
}

/* Runs df_plot_main with stderr captured into err_buf; returns its code. */
static int plot_capture(char *err_buf, size_t len, int argc, char **argv)
{
    char path[128];
    int saved = dup(2), fd, rc;
    ssize_t n;

    snprintf(path, sizeof path, "%s/stderr.txt", out_dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    rc = df_plot_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, err_buf, len - 1, 0);
    err_buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return rc;
}

static int count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void assert_png(const char *name)
{
    static const unsigned char sig[8] = { 0x89, 'P',  'N',  'G',
                                          '\r', '\n', 0x1a, '\n' };
    unsigned char head[8] = { 0 };
    char path[256];
    struct stat st;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: not made", path);
    assert_int_equal(fread(head, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(head, sig, 8);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 5000);
}

/* The whole table file, NUL-terminated; caller frees. */
static char *slurp(const char *name)
{
    char path[256], *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: not made", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(n + 1, 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void plot_small(void)
{
    char err[1024];
    char *argv[] = { "plot",   SMALL,   "--out-dir", out_dir,
                     "--name", "small", "--quiet",   NULL };

    assert_int_equal(plot_capture(err, sizeof err, 7, argv), 0);
}

static void test_plot_small_makes_every_png(void **state)
{
    static const char *const expected[] = {
        "small-throughput-cpu.png",
        "small-latency-cpu.png",
        "small-queue-cpu.png",
        "small-cdf-cpu.png",
        "small-speedup-cpu.png",
        "small-gil-cpu.png",
        "small-throughput-sleep.png",
        "small-latency-sleep.png",
        "small-memory-sleep.png",
        "small-cdf-sleep.png",
        "small-bars.png",
        "small-timeline.png",
    };
    size_t i;

    (void)state;
    plot_small();

    for (i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_png(expected[i]);
}

static void test_plot_throughput_table_columns(void **state)
{
    char *t;

    (void)state;
    plot_small();

    t = slurp("small-throughput-cpu.dat");
    /* #18: the 95 % interval (none with one repetition) and steady. */
    assert_non_null(strstr(t, "# columns: concurrency throughput_rps "
                              "ci95_low_rps ci95_high_rps steady\n"));
    assert_non_null(strstr(t, "\"process w=2\" concurrency throughput_rps "
                              "ci95_low_rps ci95_high_rps steady\n"
                              "1 490 nan nan 1\n2 980 nan nan 1\n"
                              "4 980 nan nan 1\n"));
    /* The failed coroutine point at c=4 is listed nowhere in the rows. */
    assert_non_null(strstr(t, "\"coroutine\" concurrency throughput_rps "
                              "ci95_low_rps ci95_high_rps steady\n"
                              "1 485 nan nan 1\n2 486 nan nan 1\n"));
    assert_null(strstr(t, "1 485 nan nan 1\n2 486 nan nan 1\n4"));
    free(t);
}

/* #12: a line holding a point folded from fewer repetitions than asked
 * (an interrupted sweep) says so in its label. */
static void test_plot_partial_point_labelled(void **state)
{
    char path[128], err[512];
    char *argv[] = { "plot",   path,      "--out-dir", out_dir,
                     "--name", "partial", "--quiet",   NULL };
    json_t *doc = json_load_file(SMALL, 0, NULL), *pt;
    size_t i;
    char *t;

    (void)state;
    assert_non_null(doc);
    json_array_foreach(
        json_object_get(doc, "points"), i,
        pt) if (strcmp(json_string_value(json_object_get(pt, "model")),
                       "process") == 0)
    {
        json_object_set_new(pt, "repeat", json_integer(3));
        json_object_set_new(pt, "repetitions_done", json_integer(1));
    }
    snprintf(path, sizeof path, "%s/partial.json", out_dir);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);

    assert_int_equal(plot_capture(err, sizeof err, 7, argv), 0);

    t = slurp("partial-throughput-cpu.dat");
    assert_non_null(strstr(t, "\"process w=2 (partial)\" concurrency"));
    assert_non_null(strstr(t, "\"coroutine\" concurrency"));
    free(t);
}

/* #17: the rate plot draws every point with throughput buckets, failed
 * ones too: successful req/s at each bucket's middle, and how a failed
 * point ended in its legend. */
static void test_plot_rate_draws_buckets_and_failures(void **state)
{
    char path[128], err[512];
    char *argv[] = { "plot", path,     "--out-dir", out_dir,   "--name",
                     "rate", "--only", "rate",      "--quiet", NULL };
    json_t *doc = json_load_file(SMALL, 0, NULL);
    json_t *points = json_object_get(doc, "points");
    json_t *ok = json_array_get(points, 0), *dead;
    char *t;

    (void)state;
    assert_non_null(ok);
    json_object_set_new(ok, "throughput_buckets",
                        json_pack("{s:i,s:[i,i],s:[i,i]}", "bucket_ms", 100,
                                  "completed", 10, 20, "errors", 0, 5));
    dead = json_deep_copy(ok);
    json_object_set_new(dead, "status", json_string("failed"));
    json_object_set_new(dead, "failure", json_string("signal 11 (SIGSEGV)"));
    json_object_set_new(dead, "failure_signal", json_integer(11));
    json_object_set_new(dead, "completed_before_failure", json_integer(7));
    json_object_set_new(dead, "throughput_buckets",
                        json_pack("{s:i,s:[i,i],s:[i,i]}", "bucket_ms", 100,
                                  "completed", 3, 0, "errors", 0, 0));
    json_array_append_new(points, dead);
    snprintf(path, sizeof path, "%s/rate.json", out_dir);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);

    assert_int_equal(plot_capture(err, sizeof err, 9, argv), 0);

    assert_png("rate-rate.png");
    t = slurp("rate-rate.dat");
    assert_non_null(strstr(t, "\n0.050 100 0\n0.150 150 50\n"));
    assert_non_null(strstr(t, " - died of signal 11 after 7 completed\""));
    assert_non_null(strstr(t, "\n0.050 30 0\n0.150 0 0\n"));
    free(t);
}

/* #18: a point that is not steady (`steady` false, or nothing completed)
 * gets 0 in the steady column the scripts draw hollow, and "(not steady)"
 * in a one-point legend; an I/O workload gets no speedup plot (its
 * keepers wait, no core count caps them). */
static void test_plot_unsteady_hollow_and_io_no_speedup(void **state)
{
    char path[128], err[512];
    char *argv[] = { "plot",   path,    "--out-dir", out_dir,
                     "--name", "truth", "--quiet",   NULL };
    json_t *doc = json_load_file(SMALL, 0, NULL), *pt;
    size_t i;
    char *t;

    (void)state;
    assert_non_null(doc);
    json_array_foreach(json_object_get(doc, "points"), i, pt)
    {
        const char *m = json_string_value(json_object_get(pt, "model"));
        const char *w = json_string_value(json_object_get(pt, "workload"));

        if (strcmp(m, "process") == 0 && strcmp(w, "cpu") == 0 &&
            json_integer_value(json_object_get(pt, "concurrency")) == 2 &&
            json_integer_value(json_object_get(pt, "workers")) == 2)
            json_object_set_new(pt, "steady", json_false());
        if (strcmp(m, "coroutine") == 0 && strcmp(w, "cpu") == 0 &&
            json_integer_value(json_object_get(pt, "concurrency")) == 1)
            json_object_set_new(pt, "completed", json_integer(0));
    }
    snprintf(path, sizeof path, "%s/truth.json", out_dir);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    assert_int_equal(plot_capture(err, sizeof err, 7, argv), 0);
    t = slurp("truth-throughput-cpu.dat");
    assert_non_null(strstr(t, "\"process w=2\" concurrency throughput_rps "
                              "ci95_low_rps ci95_high_rps steady\n"
                              "1 490 nan nan 1\n2 980 nan nan 0\n"
                              "4 980 nan nan 1\n"));
    assert_non_null(strstr(t, "1 485 nan nan 0\n2 486 nan nan 1\n"));
    free(t);
    t = slurp("truth-latency-cpu.dat");
    assert_non_null(strstr(t, "\n2 "));
    free(t);
    assert_png("truth-throughput-cpu.png");
    assert_png("truth-speedup-cpu.png");

    /* The same points as an I/O workload (sleep): no speedup plot. */
    json_array_foreach(json_object_get(doc, "points"), i, pt)
    {
        if (strcmp(json_string_value(json_object_get(pt, "workload")), "cpu") ==
            0)
            json_object_set_new(pt, "workload", json_string("sleep"));
    }
    argv[5] = "io";
    snprintf(path, sizeof path, "%s/io.json", out_dir);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
    assert_int_equal(plot_capture(err, sizeof err, 7, argv), 0);
    assert_png("io-throughput-sleep.png");
    snprintf(path, sizeof path, "%s/io-speedup-sleep.png", out_dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/io-speedup-sleep.dat", out_dir);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_plot_latency_and_speedup_tables(void **state)
{
    char *lat, *sp;

    (void)state;
    plot_small();

    lat = slurp("small-latency-sleep.dat");
    sp = slurp("small-speedup-cpu.dat");
    assert_non_null(strstr(lat, "# columns: concurrency p50_us p90_us p99_us "
                                "p999_us max_us mean_us steady\n"));
    assert_non_null(
        strstr(sp, "# columns: keepers throughput_rps speedup steady\n"));
    /* process -w 1 vs -w 2 at concurrency 4: 980 / 495 req/s. */
    assert_non_null(strstr(sp, "\"process\" keepers throughput_rps speedup "
                               "steady\n1 495 1 1\n2 980 1.9798"));
    free(lat);
    free(sp);
}

/* Memory: the extra cost of each added request, from the series' lightest
 * load; process legends never name a GIL. */
static void test_plot_memory_per_added_request(void **state)
{
    char *t;

    (void)state;
    plot_small();

    t = slurp("small-memory-sleep.dat");
    assert_non_null(strstr(t, "# columns: concurrency rss_mib "
                              "kib_per_added_request kib_per_inflight "
                              "steady\n"));
    /* coroutine: RSS 2 MiB + 4 KiB x c, so 4 KiB per added request. */
    assert_non_null(strstr(t, "\"coroutine\" concurrency"));
    assert_non_null(strstr(t, "\n100 2.4 4.096 48 1\n"));
    assert_null(strstr(t, "process w=2 gil="));
    free(t);
}

static void test_plot_timeline_has_a_panel_per_model(void **state)
{
    char *t;

    (void)state;
    plot_small();

    t = slurp("small-timeline.dat");
    assert_non_null(strstr(t, "# panel 0: process upstream:ms=2"));
    assert_non_null(strstr(t, "# panel 1: thread upstream:ms=2"));
    assert_non_null(strstr(t, "# panel 2: coroutine upstream:ms=2"));
    assert_non_null(strstr(t, "\"loop 0\""));
    free(t);
}

static void test_plot_only_and_svg(void **state)
{
    char err[1024], path[256];
    char *argv[] = { "plot",   SMALL, "--out-dir", out_dir, "--svg",
                     "--only", "gil", "--quiet",   NULL };

    /* Without --name the prefix is the file's base name. */
    char *svg;

    (void)state;

    assert_int_equal(plot_capture(err, sizeof err, 8, argv), 0);

    svg = slurp("small-results-gil-cpu.svg");
    assert_non_null(strstr(svg, "<svg"));
    free(svg);
    snprintf(path, sizeof path, "%s/small-results-throughput-cpu.svg", out_dir);
    assert_int_equal(access(path, F_OK), -1);
}

/* Each bad file: exit 2 and exactly one line naming the file. */
static void expect_bad_file(const char *content)
{
    char path[128], err[1024];
    char *argv[] = { "plot", path, "--out-dir", out_dir, NULL };
    FILE *f;

    snprintf(path, sizeof path, "%s/bad.json", out_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);

    assert_int_equal(plot_capture(err, sizeof err, 4, argv), 2);

    assert_int_equal(count_lines(err), 1);
    assert_true(strncmp(err, "duckfeed plot: ", 15) == 0);
    assert_non_null(strstr(err, "bad.json: "));
}

static void test_plot_malformed_einval(void **state)
{
    (void)state;
    expect_bad_file("this is not JSON\n");
    expect_bad_file("{\"schema\": \"duckfeed.results/1\", \"points\": [{\"mo");
    expect_bad_file("");
    expect_bad_file("[1, 2, 3]");
}

static void test_plot_wrong_schema_einval(void **state)
{
    (void)state;
    expect_bad_file("{\"schema\": \"duckfeed.results/9\", \"points\": []}");
    expect_bad_file("{\"points\": []}");
    expect_bad_file("{\"schema\": \"duckfeed.results/1\", \"points\": 3}");
    expect_bad_file("{\"schema\": \"duckfeed.results/1\", \"points\": "
                    "[{\"model\": \"process\"}]}");
    expect_bad_file("{\"schema\": \"duckfeed.results/1\", \"points\": "
                    "[{\"model\": \"thread\", \"workload\": \"cpu\", "
                    "\"status\": \"ok\", \"throughput_rps\": \"fast\"}]}");
}

static void test_plot_missing_file_enoent(void **state)
{
    char err[1024];
    char *argv[] = { "plot", "/nonexistent/r.json", NULL };

    (void)state;

    assert_int_equal(plot_capture(err, sizeof err, 2, argv), 2);

    assert_int_equal(count_lines(err), 1);
}

static void test_plot_no_gnuplot_enoent(void **state)
{
    char err[1024], *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    char *argv[] = { "plot", SMALL, "--out-dir", out_dir, "--quiet", NULL };
    int rc;

    (void)state;
    setenv("PATH", "/nonexistent", 1);

    rc = plot_capture(err, sizeof err, 5, argv);

    if (old)
        setenv("PATH", old, 1);
    free(old);
    assert_int_equal(rc, 1);
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, "gnuplot not found"));
}

static void test_plot_bad_usage(void **state)
{
    char err[1024];
    char *argv[] = { "plot", SMALL, "--bogus", NULL };

    (void)state;

    assert_int_equal(plot_capture(err, sizeof err, 3, argv), 2);

    assert_int_equal(count_lines(err), 1);
}

/* #12: old plots stay until new ones are made. A fake gnuplot (script is
 * its body after the terminal query) goes first on PATH; out_dir/plots
 * holds an old plot of "small", a stale one and another suite's. */
static int plot_with_fake_gnuplot(const char *script,
                                  int64_t timeout_ms,
                                  df_err *err)
{
    char bin[128], path[256], *old_path = strdup(getenv("PATH"));
    df_plot_opts o = { .name = "small",
                       .quiet = 1,
                       .replace = 1,
                       .gnuplot_timeout_ms = timeout_ms };
    char plots[128];
    json_t *doc = NULL;
    FILE *f;
    int rc;

    snprintf(bin, sizeof bin, "%s/bin", out_dir);
    snprintf(plots, sizeof plots, "%s/plots", out_dir);
    assert_int_equal(mkdir(bin, 0700), 0);
    snprintf(path, sizeof path, "%s/gnuplot", bin);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "#!/bin/sh\ncase \"$2\" in \"set terminal\") "
            "echo ' pngcairo '; exit 0;; esac\n%s\n",
            script);
    fclose(f);
    assert_int_equal(chmod(path, 0700), 0);
    snprintf(path, sizeof path, "%s:%s", bin, old_path);
    setenv("PATH", path, 1);
    o.out_dir = plots;
    assert_int_equal(df_resfile_load(SMALL, &doc, NULL), 0);

    rc = df_plot_doc(doc, &o, err);

    setenv("PATH", old_path, 1);
    free(old_path);
    json_decref(doc);
    return rc;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void old_plots_make(void)
{
    char path[256];

    snprintf(path, sizeof path, "rm -rf '%s/plots' '%s/bin'", out_dir, out_dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/plots", out_dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file("plots/small-throughput-cpu.png", "old image");
    write_file("plots/small-throughput-cpu.dat", "old table");
    write_file("plots/small-latency-old.png", "stale image");
    write_file("plots/other-throughput-cpu.png", "another suite");
    write_file("plots/small-x-throughput-cpu.png", "suite small-x");
}

/* Each old plot as it was, and no stage directory left behind. */
static void assert_old_plots_kept(void)
{
    char *t, path[256];
    struct dirent *e;
    DIR *d;

    t = slurp("plots/small-throughput-cpu.png");
    assert_string_equal(t, "old image");
    free(t);
    t = slurp("plots/small-throughput-cpu.dat");
    assert_string_equal(t, "old table");
    free(t);
    t = slurp("plots/small-latency-old.png");
    assert_string_equal(t, "stale image");
    free(t);
    snprintf(path, sizeof path, "%s/plots", out_dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, ".df-plot-", 9) == 0)
            fail_msg("stage left behind: %s", e->d_name);
    closedir(d);
}

static void test_plot_failing_gnuplot_keeps_old_plots(void **state)
{
    df_err err = { 0 };
    int rc;

    (void)state;
    old_plots_make();

    rc = plot_with_fake_gnuplot("echo 'fake: broken' >&2; exit 1", 0, &err);

    assert_int_equal(rc, -EIO);
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "fake: broken"));
    assert_old_plots_kept();
}

static void test_plot_hung_gnuplot_etimedout(void **state)
{
    df_err err = { 0 };
    int rc;

    (void)state;
    old_plots_make();

    rc = plot_with_fake_gnuplot("exec sleep 60", 300, &err);

    assert_int_equal(rc, -ETIMEDOUT);
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "killed"));
    assert_old_plots_kept();
}

/* A suite's plot run replaces its old plots once the new ones are made:
 * the redrawn one is new, the one not drawn again is gone, other suites'
 * (even one whose name starts like this one's) are kept. */
static void test_plot_replace_after_success(void **state)
{
    static const unsigned char png[4] = { 0x89, 'P', 'N', 'G' };
    char path[256], *t;
    df_plot_opts o = { .name = "small",
                       .quiet = 1,
                       .replace = 1,
                       .only = (const char *const[]){ "throughput", NULL } };
    json_t *doc = NULL;

    (void)state;
    old_plots_make();
    snprintf(path, sizeof path, "%s/plots", out_dir);
    o.out_dir = path;
    assert_int_equal(df_resfile_load(SMALL, &doc, NULL), 0);

    assert_int_equal(df_plot_doc(doc, &o, NULL), 2);

    json_decref(doc);
    t = slurp("plots/small-throughput-cpu.png");
    assert_memory_equal(t, png, 4);
    free(t);
    snprintf(path, sizeof path, "%s/plots/small-latency-old.png", out_dir);
    assert_int_equal(access(path, F_OK), -1);
    t = slurp("plots/other-throughput-cpu.png");
    assert_string_equal(t, "another suite");
    free(t);
    t = slurp("plots/small-x-throughput-cpu.png");
    assert_string_equal(t, "suite small-x");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plot_small_makes_every_png),
        cmocka_unit_test(test_plot_throughput_table_columns),
        cmocka_unit_test(test_plot_partial_point_labelled),
        cmocka_unit_test(test_plot_rate_draws_buckets_and_failures),
        cmocka_unit_test(test_plot_latency_and_speedup_tables),
        cmocka_unit_test(test_plot_unsteady_hollow_and_io_no_speedup),
        cmocka_unit_test(test_plot_memory_per_added_request),
        cmocka_unit_test(test_plot_timeline_has_a_panel_per_model),
        cmocka_unit_test(test_plot_only_and_svg),
        cmocka_unit_test(test_plot_malformed_einval),
        cmocka_unit_test(test_plot_wrong_schema_einval),
        cmocka_unit_test(test_plot_missing_file_enoent),
        cmocka_unit_test(test_plot_no_gnuplot_enoent),
        cmocka_unit_test(test_plot_bad_usage),
        cmocka_unit_test(test_plot_failing_gnuplot_keeps_old_plots),
        cmocka_unit_test(test_plot_hung_gnuplot_etimedout),
        cmocka_unit_test(test_plot_replace_after_success),
    };

    return cmocka_run_group_tests_name("plot", tests, setup, teardown);
}
