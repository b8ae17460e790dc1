/* tests/test_interrupt.c - SIGINT in the middle of a sweep: duckfeed exits
 * 130 and leaves a valid results file marked incomplete that holds every
 * point it finished. Runs the built executable (DF_BUILD_DIR/duckfeed). */
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

static pid_t spawn_sweep(const char *out)
{
    const char *argv[] = { exe, "run", "--model", "process", "--workload",
                           "sleep:ms=5", "--concurrency", "1,2,3,4,5,6",
                           "--duration", "0.3s", "--repeat", "1", "--quiet",
                           "--out", out, NULL };
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void test_interrupt_keeps_finished_points(void **state)
{
    char out[4200], why[512];
    int status, seen = -1;
    (void)state;
    snprintf(out, sizeof out, "%s/sweep.json", tmpdir);

    pid_t pid = spawn_sweep(out);
    assert_true(pid > 0);
    for (int64_t give_up = now_ns() + PATIENCE_NS;
         (seen = points_in(out)) < 1 && now_ns() < give_up;)
        nap(POLL_NS);
    int sent = kill(pid, SIGINT);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;

    assert_int_equal(sent, 0);
    assert_true(seen >= 1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    json_t *doc = json_load_file(out, 0, NULL);
    assert_non_null(doc);
    if (df_validate_json(doc, why, sizeof why) < 0)
        fail_msg("%s: %s", out, why);
    assert_true(json_is_false(json_object_get(doc, "complete")));
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

static int setup(void **state)
{
    (void)state;
    return df_test_exe_setup(exe, sizeof exe, tmpdir);
}

static int teardown(void **state)
{
    char path[4200];
    (void)state;
    snprintf(path, sizeof path, "%s/sweep.json", tmpdir);
    unlink(path);
    return rmdir(tmpdir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interrupt_keeps_finished_points),
    };
    return cmocka_run_group_tests_name("interrupt", tests, setup, teardown);
}
