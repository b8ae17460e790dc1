/* tests/test_interrupt.c - SIGINT or SIGTERM in the middle of a sweep or a
 * suite: duckfeed exits 128 + the signal and keeps everything finished:
 * every point and every repetition that ran, in a valid results file marked
 * incomplete. Runs
 * the built executable (DF_BUILD_DIR/duckfeed). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include "tests/duckfeed_exe.h"

#include <jansson.h>

#include "harness/store/validate.h"

#define POLL_NS     10000000LL    /* look at the file every 10 ms */
#define PATIENCE_NS 20000000000LL /* the first point may take this long */

static char exe[4096];
static char tmpdir[] = "/tmp/duckfeed-interrupt-XXXXXX";

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void nap(int64_t ns)
{
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Points in the file at path so far; -1 while it is absent or unparsable
 * (it is replaced by rename, so a reader never sees half of it). */
static int points_in(const char *path)
{
    json_t *doc = json_load_file(path, 0, NULL);
    int n = doc ? (int)json_array_size(json_object_get(doc, "points")) : -1;
    json_decref(doc);
    return n;
}

/* Starts argv[] (argv[0] is exe) with its output in log, in a process
 * group of its own: what a shell gives a foreground command, so that
 * kill(-pid, sig) is a Ctrl-C. */
static pid_t spawn_logged(const char *const *argv, const char *log)
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        setpgid(0, 0);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    if (pid > 0)
        setpgid(pid, pid); /* also here: no race with the kill below */
    return pid;
}

static int wait_status(pid_t pid)
{
    int status = -1;

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

/* Waits until points_in(path) >= n; returns what it saw last. */
static int wait_points(const char *path, int n)
{
    int seen = -1;

    for (int64_t give_up = now_ns() + PATIENCE_NS;
         (seen = points_in(path)) < n && now_ns() < give_up;)
        nap(POLL_NS);
    return seen;
}

static json_t *load_valid(const char *path)
{
    char why[512];
    json_t *doc = json_load_file(path, 0, NULL);

    if (!doc)
        fail_msg("%s: not readable JSON", path);
    if (df_validate_json(doc, why, sizeof why) < 0)
        fail_msg("%s: %s", path, why);
    return doc;
}

/* doc's string field key is want (cmocka's string check takes no NULL). */
static void assert_field(const json_t *doc, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(doc, key));

    if (!got || strcmp(got, want) != 0)
        fail_msg("\"%s\": %s, expected %s", key, got ? got : "(none)", want);
}

static void test_interrupt_keeps_finished_points(void **state)
{
    char out[4200], log[4200];
    const char *argv[] = { exe,
                           "run",
                           "--model",
                           "process",
                           "--workload",
                           "sleep:ms=5",
                           "--concurrency",
                           "1,2,3,4,5,6",
                           "--duration",
                           "0.3s",
                           "--repeat",
                           "1",
                           "--quiet",
                           "--out",
                           out,
                           NULL };
    (void)state;
    snprintf(out, sizeof out, "%s/sweep.json", tmpdir);
    snprintf(log, sizeof log, "%s/sweep.log", tmpdir);

    pid_t pid = spawn_logged(argv, log);
    assert_true(pid > 0);
    int seen = wait_points(out, 1);
    int sent = kill(pid, SIGINT);
    int status = wait_status(pid);

    assert_int_equal(sent, 0);
    assert_true(seen >= 1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    json_t *doc = load_valid(out);
    assert_true(json_is_false(json_object_get(doc, "complete")));
    assert_field(doc, "interrupted", "SIGINT");
    json_t *pts = json_object_get(doc, "points");
    /* Every point finished before the signal; the sweep did not end. */
    assert_true((int)json_array_size(pts) >= seen);
    assert_true(json_array_size(pts) < 6);
    size_t i;
    json_t *pt;
    json_array_foreach(pts, i, pt)
        assert_string_equal(json_string_value(json_object_get(pt, "status")),
                            "ok");
    json_decref(doc);
}

/* #12 item 5: one point of three 1-second repetitions, stopped after the
 * first: before the fix the file appeared only once all three had run. */
static void test_interrupt_keeps_finished_repetitions(void **state)
{
    char out[4200], log[4200];
    const char *argv[] = { exe,
                           "run",
                           "--model",
                           "process",
                           "--workload",
                           "sleep:ms=5",
                           "--concurrency",
                           "1",
                           "--duration",
                           "1s",
                           "--repeat",
                           "3",
                           "--quiet",
                           "--out",
                           out,
                           NULL };
    (void)state;
    snprintf(out, sizeof out, "%s/reps.json", tmpdir);
    snprintf(log, sizeof log, "%s/reps.log", tmpdir);

    pid_t pid = spawn_logged(argv, log);
    assert_true(pid > 0);
    int seen = wait_points(out, 1);
    int sent = kill(pid, SIGTERM);
    int status = wait_status(pid);

    assert_int_equal(sent, 0);
    assert_int_equal(seen, 1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
    json_t *doc = load_valid(out);
    assert_true(json_is_false(json_object_get(doc, "complete")));
    assert_field(doc, "interrupted", "SIGTERM");
    json_t *pt = json_array_get(json_object_get(doc, "points"), 0);
    assert_non_null(pt);
    assert_string_equal(json_string_value(json_object_get(pt, "status")), "ok");
    assert_int_equal(json_integer_value(json_object_get(pt, "repeat")), 3);
    json_int_t done =
        json_integer_value(json_object_get(pt, "repetitions_done"));
    assert_true(done >= 1 && done < 3);
    assert_int_equal(json_array_size(json_object_get(pt, "repetitions")), done);
    json_decref(doc);
}

static int setup(void **state)
{
    (void)state;
    return df_test_exe_setup(exe, sizeof exe, tmpdir);
}

static int teardown(void **state)
{
    char cmd[4200];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interrupt_keeps_finished_points),
        cmocka_unit_test(test_interrupt_keeps_finished_repetitions),
    };
    return cmocka_run_group_tests_name("interrupt", tests, setup, teardown);
}
