/* harness/plot/gnuplot.c - running gnuplot, and quoting what goes into it. */
#include "harness/plot/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* gnuplot strings are single-quoted with no escapes: drop what would end
 * one early or break the -e line. */
void df__gnuplot_clean(char *s)
{
    for (; *s; s++)
        if (*s == '\'' || *s == '\n' || *s == ';')
            *s = *s == ';' ? ',' : ' ';
}

/* Runs gnuplot with args (NULL-terminated, after argv[0]); its stdout and
 * stderr go to a temporary file returned in *log (caller closes) when log
 * is non-NULL. Returns the exit status, or a negative errno when it could
 * not be started (-ENOENT: not on PATH). */
int df__gnuplot_run(char *const args[], FILE **log)
{
    posix_spawn_file_actions_t fa;
    char *argv[16] = { "gnuplot" };
    FILE *tmp = tmpfile();
    int i, rc, status;
    pid_t pid;

    if (!tmp)
        return -errno;
    for (i = 0; args[i] && i < 14; i++)
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
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fclose(tmp);
            return -errno;
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
