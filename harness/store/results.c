/* harness/store/results.c - builds and writes the results document. */
#define _GNU_SOURCE
#include "harness/store/results.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef DF_GIT_COMMIT
#define DF_GIT_COMMIT "unknown"
#endif
#ifndef DF_C_FLAGS
#define DF_C_FLAGS ""
#endif

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + strspn(p + 1, " \t");
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, n, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

json_t *df_results_machine(void)
{
    char model[256], host[256] = "unknown", kernel[512] = "unknown";
    struct utsname u;
    cpu_model(model, sizeof model);
    gethostname(host, sizeof host - 1);
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release,
                 u.machine);
    cpu_set_t set;
    int affinity = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        affinity = CPU_COUNT(&set);
    double load[3] = { 0, 0, 0 };
    getloadavg(load, 3);
    return json_pack("{s:s,s:i,s:i,s:[f,f,f],s:s,s:s,s:s,s:s,s:s,s:s}",
                     "cpu_model", model, "cores",
                     (int)sysconf(_SC_NPROCESSORS_ONLN), "affinity", affinity,
                     "load_avg", load[0], load[1], load[2], "kernel", kernel,
                     "compiler", "gcc " __VERSION__, "build_type",
                     DF_BUILD_TYPE, "build_flags", DF_C_FLAGS, "sanitize",
                     DF_SANITIZE_FLAGS, "hostname", host);
}

static json_t *command_json(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) * 4 + 3;
    char *s = calloc(1, n), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        /* Quote what a shell would split, so the line can be pasted back. */
        int plain = argv[i][0] != '\0' &&
                    strspn(argv[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                    "OPQRSTUVWXYZ0123456789-_=:,./+@%") ==
                        strlen(argv[i]);
        if (i)
            *p++ = ' ';
        if (plain) {
            p = stpcpy(p, argv[i]);
            continue;
        }
        *p++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'')
                p = stpcpy(p, "'\\''");
            else
                *p++ = *c;
        }
        *p++ = '\'';
    }
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *df_results_new(int argc, char **argv)
{
    char started[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s,s:b,s:s,s:{s:s,s:s},s:o,s:o,s:[]}", "schema",
                     DF_RESULTS_SCHEMA, "complete", 0, "started", started,
                     "duckfeed", "version", DF_VERSION, "git_commit",
                     DF_GIT_COMMIT, "machine", df_results_machine(), "command",
                     command_json(argc, argv), "points");
}

int df_results_check_writable(const char *path, df_err *err)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.check.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return df_err_set(err, -errno, "cannot write %s: %s", path,
                          strerror(errno));
    close(fd);
    unlink(tmp);
    return 0;
}

int df_results_write(const json_t *doc, const char *path, df_err *err)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    if (json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) < 0) {
        int e = errno ? errno : EIO;
        unlink(tmp);
        return df_err_set(err, -e, "cannot write %s: %s", path, strerror(e));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return df_err_set(err, -e, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}
