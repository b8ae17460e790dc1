/* harness/suite/examples.c - a suite of kind "examples": a script under
 * the build dir, its DF-RESULT lines saved as RESULTS/<suite>.json. */
#include "harness/suite/run.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness/store/results.h"

/* #12: the script's deadline. The asyncio suite takes about 10 s at
 * scale 0.1; a script still running after this is hung. */
#define EXAMPLES_DEADLINE_S 300
#define LINE_BYTES          512 /* longer lines are passed on in pieces */

extern char **environ;

/* The build dir: $DF_BUILD_DIR, else where this executable lives. */
static void build_dir(char *buf, size_t len)
{
    const char *env = getenv("DF_BUILD_DIR");
    ssize_t n;
    char *slash;

    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(buf, len, ".");
}

/* Parses "DF-RESULT <name> expected_s=<x> measured_s=<y>" into out. */
static int parse_result(const char *line, json_t *out)
{
    char name[128];
    double expected, measured;

    if (sscanf(line, "DF-RESULT %127s expected_s=%lf measured_s=%lf", name,
               &expected, &measured) != 3)
        return 0;
    json_array_append_new(out, json_pack("{s:s, s:f, s:f}", "name", name,
                                         "expected_s", expected, "measured_s",
                                         measured));
    return 1;
}

/* One line of the script's output: a DF-RESULT line into results, any
 * other to stdout. */
static void take_line(const char *line, json_t *results)
{
    if (!parse_result(line, results))
        fputs(line, stdout);
}

/* Reads fd to EOF, line by line, unless deadline_ns (df_now_ns) passes or
 * a stop signal comes first (#12: poll then fails with EINTR). 0 at EOF,
 * -ETIMEDOUT, -EINTR (stopped), or -errno. */
static int read_lines(int fd, int64_t deadline_ns, json_t *results)
{
    char line[LINE_BYTES];
    size_t len = 0;

    for (;;) {
        int64_t left_ms = (deadline_ns - df_now_ns()) / DF_NS_PER_MS;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (left_ms <= 0)
            return -ETIMEDOUT;
        int r = poll(&p, 1, left_ms > INT_MAX ? INT_MAX : (int)left_ms);
        if (r < 0 && errno != EINTR)
            return -errno;
        if (df__suite_stop_signal())
            return -EINTR;
        if (r <= 0)
            continue;
        ssize_t n = read(fd, line + len, sizeof line - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
        line[len] = '\0';
        char *start = line, *nl;
        while ((nl = strchr(start, '\n'))) {
            char keep = nl[1];
            nl[1] = '\0';
            take_line(start, results);
            nl[1] = keep;
            start = nl + 1;
        }
        len -= (size_t)(start - line);
        memmove(line, start, len);
        if (len == sizeof line - 1) { /* a line longer than the buffer */
            line[len] = '\0';
            take_line(line, results);
            len = 0;
        }
    }
    line[len] = '\0';
    if (len > 0)
        take_line(line, results);
    return 0;
}

/* Runs the examples script, with duckfeed's environment, stdout on a pipe
 * (stderr passes through), collecting DF-RESULT lines; returns its exit
 * status (128 + n when killed by signal n), -ETIMEDOUT when it was still
 * running EXAMPLES_DEADLINE_S later (it is killed), or a negative errno. */
static int spawn_examples(char **argv, const char *cwd, json_t *results)
{
    posix_spawn_file_actions_t fa;
    int fds[2], status, rc;
    pid_t pid;

    if (pipe(fds) != 0)
        return -errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    /* The scripts find their binaries relative to the build dir. */
    if (chdir(cwd) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = -posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
fail:
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc < 0) {
        close(fds[0]);
        return rc;
    }
    int64_t deadline_ns = df_now_ns() + EXAMPLES_DEADLINE_S * DF_NS_PER_S;
    int rr = read_lines(fds[0], deadline_ns, results);
    close(fds[0]);
    /* The script shares our process group, so Ctrl-C reaches it and its
     * example; a stop signal is passed on in case it was not sent to the
     * group. Past the deadline the script is killed, and an example it
     * left running ends on its own (seconds) or at its next write. */
    if (rr == -EINTR)
        kill(pid, SIGTERM);
    else if (rr < 0)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (rr < 0 && rr != -EINTR)
        return rr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Past 60 lines on purpose: one straight sequence (spawn the script,
 * read its lines, wait with the deadline, report) whose error exits all
 * share the same cleanup; cut apart, the cleanup would be repeated. */
int df__suite_run_examples(const df_suite *s,
                           const df_suite_opts *o,
                           json_t **doc_out)
{
    const json_t *cmd = json_object_get(
        df_suite_json(s), o->quick && json_object_get(df_suite_json(s), "quick")
                              ? "quick"
                              : "command");
    char dir[PATH_MAX], exe[PATH_MAX * 2], cwd[PATH_MAX], path[PATH_MAX];
    char *argv[16];
    df_err err = { 0 };
    json_t *doc, *examples = json_array();
    size_t k;
    int rc;

    build_dir(dir, sizeof dir);
    snprintf(exe, sizeof exe, "%s/%s", dir,
             json_string_value(json_array_get(cmd, 0)));
    argv[0] = exe;
    for (k = 1; k < json_array_size(cmd) && k < 15; k++)
        argv[k] = (char *)json_string_value(json_array_get(cmd, k));
    argv[k] = NULL;
    printf("[%s] %s\n", df_suite_name(s), exe);
    fflush(stdout);
    if (!getcwd(cwd, sizeof cwd) || access(exe, X_OK) != 0) {
        fprintf(stderr, "duckfeed suite: %s: %s: %s (examples built?)\n",
                df_suite_name(s), exe, strerror(errno));
        json_decref(examples);
        return 1;
    }
    df_load_probe probe;
    (void)df_load_probe_start(&probe);
    rc = spawn_examples(argv, dir, examples);
    if (chdir(cwd) != 0)
        rc = rc == 0 ? -errno : rc;
    int sig = df__suite_stop_signal();
    doc = json_pack("{s:s, s:o, s:s, s:o, s:o, s:i}", "schema",
                    "duckfeed.examples/1", "machine", df_results_machine(),
                    "command", o->command, "suite", df__suite_meta(s, o->quick),
                    "examples", examples, "exit_status", rc);
    /* #12: the examples that finished are kept, the file says the rest
     * did not run. */
    if (doc)
        json_object_set_new(doc, "machine_load", df__suite_load_json(&probe));
    if (doc && sig)
        json_object_set_new(doc, "interrupted",
                            json_string(df__suite_signal_name(sig)));
    snprintf(path, sizeof path, "%s/%s.json", o->results_dir, df_suite_name(s));
    if (!doc || df_results_write(doc, path, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s: %s\n", df_suite_name(s),
                doc ? err.msg : "out of memory");
        json_decref(doc);
        return 2;
    }
    *doc_out = doc;
    if (sig)
        return DF_SUITE_EXIT_SIGNALED + sig;
    if (rc == -ETIMEDOUT)
        fprintf(stderr,
                "duckfeed suite: %s: %s still running after %d s: "
                "killed\n",
                df_suite_name(s), exe, EXAMPLES_DEADLINE_S);
    else if (rc != 0)
        fprintf(stderr, "duckfeed suite: %s: %s exited with %d\n",
                df_suite_name(s), exe, rc);
    return rc == 0 ? 0 : 1;
}
