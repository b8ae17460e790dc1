/* harness/suite/examples.c - a suite of kind "examples": a script under
 * the build dir, its DF-RESULT lines saved as RESULTS/<suite>.json. */
#include "harness/suite/run.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/store/results.h"

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
                                         "expected_s", expected,
                                         "measured_s", measured));
    return 1;
}

/* Reads the script's lines until it closes its stdout or a stop signal
 * comes (#12: the read then fails with EINTR, and the script is told to
 * stop too, in case the signal was not sent to its process group). */
static void read_results(FILE *f, pid_t pid, json_t *results)
{
    char line[512];

    for (;;) {
        if (fgets(line, sizeof line, f)) {
            if (!parse_result(line, results))
                fputs(line, stdout);
            continue;
        }
        if (ferror(f) && errno == EINTR && !df__suite_stop_signal()) {
            clearerr(f);
            continue;
        }
        break;
    }
    if (df__suite_stop_signal())
        kill(pid, SIGTERM);
}

/* Runs the examples script with stdout on a pipe (stderr passes through),
 * collecting DF-RESULT lines; returns its exit status (128 + n when killed
 * by signal n) or a negative errno. */
static int spawn_examples(char **argv, const char *cwd, json_t *results)
{
    posix_spawn_file_actions_t fa;
    int fds[2], status, rc;
    FILE *f;
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
    rc = -posix_spawn(&pid, argv[0], &fa, NULL, argv, NULL);
fail:
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc < 0) {
        close(fds[0]);
        return rc;
    }
    f = fdopen(fds[0], "r");
    if (f)
        read_results(f, pid, results);
    if (f)
        fclose(f);
    else
        close(fds[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int df__suite_run_examples(const df_suite *s, const df_suite_opts *o,
                        json_t **doc_out)
{
    const json_t *cmd = json_object_get(df_suite_json(s), o->quick && json_object_get(
                                                  df_suite_json(s), "quick")
                                                  ? "quick"
                                                  : "command");
    char dir[PATH_MAX], exe[PATH_MAX * 2], cwd[PATH_MAX], path[PATH_MAX];
    char *argv[16];
    df_err err = { 0 };
    json_t *doc, *examples = json_array();
    size_t k;
    int rc;

    build_dir(dir, sizeof dir);
    snprintf(exe, sizeof exe, "%s/%s", dir, json_string_value(
                                                json_array_get(cmd, 0)));
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
    if (rc != 0)
        fprintf(stderr, "duckfeed suite: %s: %s exited with %d\n", df_suite_name(s),
                exe, rc);
    return rc == 0 ? 0 : 1;
}
