/* harness/sweep/runner.c - isolation: every point runs in a forked child.
 *
 * A crash, a hang or a leak inside a model cannot take the sweep down: the
 * child writes its record (JSON text) into a pipe and exits; the parent
 * reads until EOF or the deadline, reaps it, and records a failure by
 * name (signal, timeout, or a reason the child wrote with
 * df_runner_abort_point). The child leads its own process group so that a
 * model's worker processes die with it.
 *
 * Nothing outlives duckfeed (#12): the child asks for SIGKILL when
 * duckfeed dies, even by kill -9, as the process model's workers do when
 * the child dies; and what the child forks closes the record's pipe, so
 * that the parent sees EOF when the child is gone, whatever it left.
 *
 * #17: the child counts its completions into a tally the parent mapped
 * before the fork (tally.h), so a point that died - a crash in a thread
 * or a coroutine ends the whole single-process server, as in CPython -
 * still says how many requests it completed first, and how its window
 * went until then.
 */
#define _GNU_SOURCE
#include "harness/sweep/runner.h"
#include "harness/sweep/tally.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "models/coro/coro.h"
#include "models/model.h"

#define FAIL_TAG          "FAIL:"
#define ABORT_PREFIX      "duckfeed: " /* abort_point outside a point's child */
#define ABORT_EXIT_STATUS 3            /* the child's, after abort_point */

/* read_until's buffer starts at RECORD_START_BYTES and doubles whenever
 * less than RECORD_MIN_ROOM_BYTES are left for the next read. Each poll
 * waits at most POLL_MAX_MS, then the deadline is looked at again. */
#define RECORD_START_BYTES    65536
#define RECORD_MIN_ROOM_BYTES 4096
#define POLL_MAX_MS           1000

static int result_fd = -1; /* in a point's child: where the record goes */
/* In the parent: the running point's child, 0 when none. Read by the
 * signal handler through df_runner_interrupt. */
static volatile sig_atomic_t running_pid;

void df_runner_interrupt(void)
{
    pid_t pid = (pid_t)running_pid;
    if (pid > 0)
        kill(-pid, SIGKILL);
}

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void df_runner_abort_point(const char *reason)
{
    int fd = result_fd >= 0 ? result_fd : STDERR_FILENO;
    if (result_fd >= 0)
        write_all(fd, FAIL_TAG, sizeof FAIL_TAG - 1);
    else
        write_all(fd, ABORT_PREFIX, sizeof ABORT_PREFIX - 1);
    write_all(fd, reason, cstrlen(reason));
    write_all(fd, "\n", 1);
    _exit(ABORT_EXIT_STATUS);
}

/* pthread_atfork's child handler in a point's child: a process it forks
 * (a worker) must not hold the record's pipe open. Its aborts then go to
 * stderr and its exit status, which the process model names. */
static void forget_result_fd(void)
{
    if (result_fd >= 0)
        close(result_fd);
    result_fd = -1;
}

static _Noreturn void child_main(const df_point_cfg *pc, int fd, pid_t parent)
{
    json_t *rec = NULL;
    df_err err = { 0 };
    /* #12: die with duckfeed; it may have died before the prctl, which
     * getppid then shows. (duckfeed forks points on its main thread, which
     * lives as long as it does.) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(ABORT_EXIT_STATUS);
    setpgid(0, 0);
    /* The sweep's SIGINT/SIGTERM handlers are the parent's business. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    result_fd = fd;
    if (pthread_atfork(NULL, NULL, forget_result_fd) != 0)
        df_runner_abort_point("runner: pthread_atfork failed");
    df_coro_overflow_hook_set(df_runner_abort_point);
    df_model_fatal_hook_set(df_runner_abort_point); /* #17: respawn storm */
    /* A dead worker must show up as EPIPE on a write, not kill the point
     * with SIGPIPE and hide the real cause; and a crash is expected here
     * often enough that core files would only fill the disk. */
    signal(SIGPIPE, SIG_IGN);
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_TIMERSLACK, 1UL); /* µs sleeps mean µs; inherited by threads */
    if (df_point_run(pc, &rec, &err) < 0)
        df_runner_abort_point(err.msg);
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        df_runner_abort_point("point: cannot encode the record");
    write_all(fd, text, strlen(text));
    free(text);
    json_decref(rec);
    _exit(0);
}

/* Reads everything the child writes until EOF or the deadline; returns 0,
 * or -ETIMEDOUT (buffer holds what came). */
static int read_until(int fd, int64_t deadline_ns, char **buf, size_t *len)
{
    size_t cap = RECORD_START_BYTES;
    *buf = malloc(cap);
    *len = 0;
    if (!*buf)
        return -ENOMEM;
    for (;;) {
        int64_t left_ms = (deadline_ns - df_now_ns()) / DF_NS_PER_MS;
        if (left_ms <= 0)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, left_ms > POLL_MAX_MS ? POLL_MAX_MS : (int)left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        if (*len + RECORD_MIN_ROOM_BYTES > cap) {
            char *nb = realloc(*buf, cap * 2);
            if (!nb)
                return -ENOMEM;
            *buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, *buf + *len, cap - *len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    (*buf)[*len] = '\0';
    return 0;
}

/* The record of a point that failed: why, and from the tally (which may
 * be NULL) what it completed before; sig, the signal that ended it or 0. */
static json_t *failed(const df_point_cfg *pc,
                      const char *why,
                      int sig,
                      const df_tally *tally)
{
    json_t *rec = df_point_identity_json(pc);
    if (!rec)
        return NULL;
    json_object_set_new(rec, "status", json_string("failed"));
    json_object_set_new(rec, "failure", json_string(why));
    if (sig > 0)
        json_object_set_new(rec, "failure_signal", json_integer(sig));
    if (tally) {
        int64_t done, errors;
        df_tally_sum(tally, &done, &errors);
        json_object_set_new(rec, "completed_before_failure",
                            json_integer(done));
        json_object_set_new(rec, "errors_before_failure", json_integer(errors));
        json_t *buckets = df_tally_buckets_json(tally);
        if (buckets)
            json_object_set_new(rec, "throughput_buckets", buckets);
    }
    return rec;
}

/* Forks pc's child, the leader of its own process group, writing its
 * record into a pipe. 0 with the child's pid and the pipe's read end, or
 * -errno with err set. */
static int spawn(const df_point_cfg *pc, pid_t *pid, int *fd, df_err *err)
{
    int fds[2];
    pid_t parent = getpid();

    if (pipe2(fds, O_CLOEXEC) < 0)
        return df_err_set(err, -errno, "runner: pipe: %s", strerror(errno));
    fflush(NULL); /* the child must not flush our buffers again */
    *pid = fork();
    if (*pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return df_err_set(err, -e, "runner: fork: %s", strerror(e));
    }
    if (*pid == 0) {
        close(fds[0]);
        child_main(pc, fds[1], parent);
    }
    setpgid(*pid, *pid); /* also here: no race with the child's own call */
    close(fds[1]);
    *fd = fds[0];
    return 0;
}

/* What became of the child, from read_until's rr and text and waitpid's
 * status: its record (new reference), or NULL with why naming the
 * failure. */
static json_t *outcome(int rr,
                       const char *buf,
                       size_t len,
                       int status,
                       int64_t timeout_ns,
                       char *why,
                       size_t why_len)
{
    const size_t tag_len = sizeof FAIL_TAG - 1;
    json_error_t jerr;
    json_t *rec;

    if (rr == -ETIMEDOUT) {
        snprintf(why, why_len, "timeout: still running after %.1f s",
                 df_ns_to_s(timeout_ns));
    } else if (rr < 0) {
        snprintf(why, why_len, "runner: out of memory reading the record");
    } else if (len >= tag_len && memcmp(buf, FAIL_TAG, tag_len) == 0) {
        size_t n = strcspn(buf + tag_len, "\n");
        snprintf(why, why_len, "%.*s", (int)n, buf + tag_len);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(why, why_len, "signal %d (SIG%s)", sig,
                 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, why_len, "child exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (!(rec = json_loadb(buf, len, 0, &jerr)) ||
               !json_is_object(rec)) {
        json_decref(rec);
        snprintf(why, why_len, "child sent a malformed record: %s", jerr.text);
    } else {
        return rec;
    }
    return NULL;
}

int df_runner_run(const df_point_cfg *pc,
                  int64_t timeout_ns,
                  json_t **out,
                  df_err *err)
{
    char *buf = NULL, why[300];
    size_t len = 0;
    int fd = -1, status = 0;
    pid_t pid = 0;
    df_point_cfg counted = *pc;

    *out = NULL;
    /* Without a tally the point maps its own; only the figures of a
     * failure are lost. */
    if (df_point_tally_map(pc, &counted.tally) < 0)
        counted.tally = NULL;
    int rc = spawn(&counted, &pid, &fd, err);
    if (rc < 0) {
        df_tally_unmap(counted.tally);
        return rc;
    }
    running_pid = pid;
    int rr = read_until(fd, df_now_ns() + timeout_ns, &buf, &len);
    close(fd);
    if (rr == -ETIMEDOUT)
        kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* stray worker processes of the point, if any */
    running_pid = 0;

    json_t *rec = outcome(rr, buf, len, status, timeout_ns, why, sizeof why);
    free(buf);
    if (rec) {
        df_tally_unmap(counted.tally);
        *out = rec;
        return 0;
    }
    int sig = rr == 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    *out = failed(pc, why, sig, counted.tally);
    df_tally_unmap(counted.tally);
    if (!*out)
        return df_err_set(err, -ENOMEM, "runner: out of memory");
    return 1;
}
