/* tests/test_orphans.c - nothing duckfeed starts outlives it: after a
 * kill -9 of `duckfeed run`, its point's child and that child's worker
 * processes are gone within seconds (#12). Runs the built executable
 * (DF_BUILD_DIR/duckfeed). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include "base/clock.h"
#include "tests/duckfeed_exe.h"

#define WORKERS         2
#define POLL_MS         10
#define PATIENCE_MS     20000 /* for the point's child to fork its workers */
#define GRACE_MS        5000  /* for the orphans to die after the kill */
#define MAX_DESCENDANTS 16

static char exe[4096];
static char tmpdir[] = "/tmp/duckfeed-orphans-XXXXXX";

static void nap_ms(int64_t ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* pid's state letter and parent from /proc/pid/stat; 0 when it is gone. */
static char proc_state(pid_t pid, pid_t *ppid)
{
    char path[64], buf[512], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
    char *end = strrchr(buf, ')');
    int parent;
    if (!end || sscanf(end + 1, " %c %d", &state, &parent) != 2)
        return 0;
    if (ppid)
        *ppid = parent;
    return state;
}

/* A process that has exited is gone, even as a zombie nobody reaps (pid 1
 * in a container may not). */
static int alive(pid_t pid)
{
    char st = proc_state(pid, NULL);
    return st != 0 && st != 'Z' && st != 'X';
}

/* Up to max living children of parent into out; returns how many. */
static int children_of(pid_t parent, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while (n < max && (e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name), ppid = 0;
        if (pid > 0 && proc_state(pid, &ppid) && ppid == parent && alive(pid))
            out[n++] = pid;
    }
    closedir(d);
    return n;
}

/* Up to max "pipe:[inode]" targets of pid's descriptors into out. */
static int pipes_of(pid_t pid, char out[][64], int max)
{
    char dir[64], path[400];
    struct dirent *e;
    int n = 0;
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    while (d && n < max && (e = readdir(d))) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t k = readlink(path, out[n], 63);
        if (k > 5 && memcmp(out[n], "pipe:", 5) == 0)
            out[n++][k] = '\0';
    }
    if (d)
        closedir(d);
    return n;
}

static int among(const char *s, char list[][64], int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* Whether a and b hold an end of the same pipe, one that this process,
 * whose descriptors they may have inherited, does not hold. */
static int share_a_pipe(pid_t a, pid_t b)
{
    char pa[64][64], pb[64][64], ours[64][64];
    int na = pipes_of(a, pa, 64), nb = pipes_of(b, pb, 64);
    int nours = pipes_of(getpid(), ours, 64);
    for (int i = 0; i < na; i++)
        if (among(pa[i], pb, nb) && !among(pa[i], ours, nours))
            return 1;
    return 0;
}

static pid_t spawn_run(const char *out)
{
    const char *argv[] = { exe,
                           "run",
                           "--model",
                           "process",
                           "--workers",
                           "2",
                           "--workload",
                           "sleep:ms=60000",
                           "--concurrency",
                           "2",
                           "--duration",
                           "30s",
                           "--quiet",
                           "--out",
                           out,
                           NULL };
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

/* The point's child of run and its workers into pids (child first), once
 * all WORKERS are up; returns how many were found. */
static int find_descendants(pid_t run, pid_t *pids)
{
    int64_t give_up = df_now_ns() + df_ms_to_ns(PATIENCE_MS);
    int n = 0;
    while (df_now_ns() < give_up) {
        if (children_of(run, pids, 1) == 1) {
            n = 1 + children_of(pids[0], pids + 1, MAX_DESCENDANTS - 1);
            if (n > WORKERS)
                break;
        }
        nap_ms(POLL_MS);
    }
    return n;
}

static void test_orphans_none_after_kill9(void **state)
{
    char out[4200];
    pid_t pids[MAX_DESCENDANTS];
    int status, left = 0;

    (void)state;
    snprintf(out, sizeof out, "%s/run.json", tmpdir);
    pid_t run = spawn_run(out);
    assert_true(run > 0);
    int found = find_descendants(run, pids);
    /* duckfeed reads the point's record from a pipe: only the point's
     * child may hold its other end, or EOF never comes. */
    int workers_on_result_pipe = 0;
    for (int i = 1; i < found; i++)
        workers_on_result_pipe += share_a_pipe(run, pids[i]);

    kill(run, SIGKILL);
    while (waitpid(run, &status, 0) < 0 && errno == EINTR)
        ;
    int64_t give_up = df_now_ns() + df_ms_to_ns(GRACE_MS);
    do {
        left = 0;
        for (int i = 0; i < found; i++)
            left += alive(pids[i]);
        if (left > 0)
            nap_ms(POLL_MS);
    } while (left > 0 && df_now_ns() < give_up);
    for (int i = 0; i < found; i++) /* a failure must not leak them */
        if (alive(pids[i]))
            kill(pids[i], SIGKILL);

    assert_int_equal(found, 1 + WORKERS);
    assert_int_equal(workers_on_result_pipe, 0);
    assert_int_equal(left, 0);
}

static int setup(void **state)
{
    (void)state;
    return df_test_exe_setup(exe, sizeof exe, tmpdir);
}

/* Removes tmpdir and whatever the killed run left in it. */
static int teardown(void **state)
{
    char path[4200];
    struct dirent *e;
    DIR *d = opendir(tmpdir);

    (void)state;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    return rmdir(tmpdir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orphans_none_after_kill9),
    };
    return cmocka_run_group_tests_name("orphans", tests, setup, teardown);
}
