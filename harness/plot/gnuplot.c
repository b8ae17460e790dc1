/* harness/plot/gnuplot.c - running gnuplot under a deadline, and the text
 * that may reach it.
 *
 * gnuplot runs as a child with an argv (no shell). Waiting for it polls
 * waitpid with a short, growing sleep until the deadline: the plot step is
 * far from any hot path, and a SIGCHLD handler or a pidfd would be
 * process-wide state or Linux-only for no gain here.
 */
#include "harness/plot/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

extern char **environ;

#define WAIT_NAP_FIRST_NS (1 * DF_NS_PER_MS)
#define WAIT_NAP_MAX_NS   (50 * DF_NS_PER_MS)

/* Waits for pid until timeout_ms have passed, then kills it. 0 with
 * *status set, -ETIMEDOUT (reaped), or -errno. */
static int wait_deadline(pid_t pid, int64_t timeout_ms, int *status)
{
    int64_t deadline_ns = df_now_ns() + df_ms_to_ns(timeout_ms);
    int64_t nap_ns = WAIT_NAP_FIRST_NS;
    pid_t got;

    for (;;) {
        got = waitpid(pid, status, WNOHANG);
        if (got == pid)
            return 0;
        if (got < 0 && errno != EINTR)
            return -errno;
        if (df_now_ns() >= deadline_ns)
            break;
        struct timespec nap = { .tv_sec = 0, .tv_nsec = (long)nap_ns };
        (void)nanosleep(&nap, NULL); /* early on a signal: fine */
        nap_ns = nap_ns * 2 < WAIT_NAP_MAX_NS ? nap_ns * 2 : WAIT_NAP_MAX_NS;
    }
    /* ESRCH only if it ended just now: the wait below reaps it either
     * way. */
    (void)kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return -ETIMEDOUT;
}

int df__gnuplot_run(char *const args[], int64_t timeout_ms, FILE **log)
{
    posix_spawn_file_actions_t fa;
    char *argv[DF_GNUPLOT_ARGS_MAX + 2] = { "gnuplot" };
    FILE *tmp = tmpfile();
    int i, rc, status;
    pid_t pid;

    if (!tmp)
        return -errno;
    for (i = 0; args[i] && i < DF_GNUPLOT_ARGS_MAX; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(tmp), 1);
    posix_spawn_file_actions_adddup2(&fa, fileno(tmp), 2);
    rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fclose(tmp);
        return -rc;
    }
    if ((rc = wait_deadline(pid, timeout_ms, &status)) < 0) {
        fclose(tmp);
        return rc;
    }
    rewind(tmp);
    if (log)
        *log = tmp;
    else
        fclose(tmp);
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 127 ? -ENOENT : WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

void df__appendf(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static int is_control(char ch)
{
    return (unsigned char)ch < 0x20 || ch == 0x7f;
}

void df__gnuplot_text(char *buf, size_t len, const char *s)
{
    size_t i;

    snprintf(buf, len, "%s", s);
    for (i = 0; buf[i]; i++)
        if (is_control(buf[i]))
            buf[i] = ' ';
}

void df__gnuplot_put_field(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputc('\'', f);
        else
            fputc(is_control(*s) ? ' ' : *s, f);
    }
}

void df__gnuplot_put_comment(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(is_control(*s) ? ' ' : *s, f);
}

int df__gnuplot_path(char *buf, size_t len, const char *path)
{
    int n = snprintf(buf, len, "%s%s", path[0] == '/' ? "" : "./", path);

    return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}
