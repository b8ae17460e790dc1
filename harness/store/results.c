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
#include <sys/file.h>
#include <sys/stat.h>
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
    return json_pack(
        "{s:s,s:i,s:i,s:[f,f,f],s:s,s:s,s:s,s:s,s:s,s:s}", "cpu_model", model,
        "cores", (int)sysconf(_SC_NPROCESSORS_ONLN), "affinity", affinity,
        "load_avg", load[0], load[1], load[2], "kernel", kernel, "compiler",
        "gcc " __VERSION__, "build_type", DF_BUILD_TYPE, "build_flags",
        DF_C_FLAGS, "sanitize", DF_SANITIZE_FLAGS, "hostname", host);
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

/* The lock beside the results file: "<path>.lock", held with flock for
 * the whole run and removed by its holder before it lets go. */
struct df_results_lock {
    int fd;              /* the lock file, flock(LOCK_EX) */
    char path[PATH_MAX]; /* its name, unlinked by df_results_release */
};

/* Takes the lock at path without waiting. A holder unlinks the file
 * before it closes it, so a lock taken on a file that is no longer at path
 * proves nothing: open the new one and try again. */
static int lock_take(const char *path,
                     const char *out,
                     int *fd_out,
                     df_err *err)
{
    for (;;) {
        struct stat at_path, held;
        int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

        if (fd < 0)
            return df_err_set(err, -errno, "%s: cannot create %s: %s", out,
                              path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            int e = errno;

            close(fd);
            if (e == EWOULDBLOCK)
                return df_err_set(err, -EBUSY,
                                  "%s: another run is writing it (%s held)",
                                  out, path);
            return df_err_set(err, -e, "%s: %s", path, strerror(e));
        }
        if (fstat(fd, &held) == 0 && stat(path, &at_path) == 0 &&
            held.st_dev == at_path.st_dev && held.st_ino == at_path.st_ino) {
            *fd_out = fd;
            return 0;
        }
        close(fd);
    }
}

/* 1 when the regular file at path is a duckfeed document (a JSON object
 * whose "schema" starts with "duckfeed."), 0 when it is something else. */
static int is_duckfeed_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    json_error_t jerr;
    json_t *doc = NULL;
    const char *schema;
    int yes;

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        doc = json_loadfd(fd, 0, &jerr);
    close(fd);
    schema = json_string_value(json_object_get(doc, "schema"));
    yes = schema && strncmp(schema, "duckfeed.", 9) == 0;
    json_decref(doc);
    return yes;
}

/* What is at path may be replaced: nothing, an empty file, a duckfeed
 * document, or (force) any regular file. 0, or -EEXIST... with err set. */
static int check_target(const char *path, int force, df_err *err)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : df_err_set(err, -errno, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return df_err_set(err, -EISDIR, "%s: is a directory", path);
    if (S_ISLNK(st.st_mode))
        return df_err_set(err, -EEXIST,
                          "%s: is a symbolic link (give the file itself)",
                          path);
    if (!S_ISREG(st.st_mode))
        return df_err_set(err, -EEXIST, "%s: not a regular file", path);
    if (st.st_size == 0 || force || is_duckfeed_file(path))
        return 0;
    return df_err_set(err, -EEXIST,
                      "%s: exists and is not a duckfeed results file "
                      "(--force replaces it)",
                      path);
}

int df_results_acquire(const char *path,
                       int force,
                       df_results_lock **out,
                       df_err *err)
{
    df_results_lock *lk = calloc(1, sizeof *lk);
    int rc;

    *out = NULL;
    if (!lk)
        return df_err_set(err, -ENOMEM, "out of memory");
    if ((size_t)snprintf(lk->path, sizeof lk->path, "%s.lock", path) >=
        sizeof lk->path) {
        free(lk);
        return df_err_set(err, -ENAMETOOLONG, "%s: name too long", path);
    }
    if ((rc = lock_take(lk->path, path, &lk->fd, err)) < 0) {
        free(lk);
        return rc;
    }
    /* Under the lock: no other run can put something at path now. */
    if ((rc = check_target(path, force, err)) < 0) {
        df_results_release(lk);
        return rc;
    }
    *out = lk;
    return 0;
}

void df_results_release(df_results_lock *lk)
{
    if (!lk)
        return;
    unlink(lk->path); /* before the unlock: see lock_take */
    close(lk->fd);
    free(lk);
}

/* "dir/.name.XXXXXX" for path "dir/name"; dir is written to dir. */
static int temp_name(const char *path, char *tmp, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    int len;

    if (!slash)
        len = snprintf(dir, n, ".");
    else if (slash == path)
        len = snprintf(dir, n, "/");
    else
        len = snprintf(dir, n, "%.*s", (int)(slash - path), path);
    if (len < 0 || (size_t)len >= n)
        return -ENAMETOOLONG;
    len = snprintf(tmp, n, "%s%s.%s.XXXXXX", slash ? dir : "",
                   slash && slash != path ? "/" : "", slash ? slash + 1 : path);
    return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* The mode a new file gets from open(0644): the umask applied. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);

    umask(mask);
    return 0644 & ~mask;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return -errno;
    /* Some file systems cannot sync a directory; the rename stands. */
    if (fsync(fd) < 0 && errno != EINVAL)
        rc = -errno;
    close(fd);
    return rc;
}

/* #12: a fresh mkstemp file (never a name someone could have planted a
 * symlink at), synced before the rename, and the directory after it, so
 * neither a crash nor another process sees half a file or loses the last
 * whole one. */
int df_results_write(const json_t *doc, const char *path, df_err *err)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int fd, rc;

    if (temp_name(path, tmp, dir, sizeof tmp) < 0)
        return df_err_set(err, -ENAMETOOLONG, "%s: name too long", path);
    fd = mkstemp(tmp);
    if (fd < 0)
        return df_err_set(err, -errno, "cannot write %s: %s", path,
                          strerror(errno));
    errno = 0;
    if (json_dumpfd(doc, fd, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) < 0 ||
        fchmod(fd, new_file_mode()) < 0 || fsync(fd) < 0)
        rc = -(errno ? errno : EIO);
    else
        rc = 0;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return df_err_set(err, rc, "cannot write %s: %s", path, strerror(-rc));
    }
    if ((rc = sync_dir(dir)) < 0)
        return df_err_set(err, rc, "cannot sync %s: %s", dir, strerror(-rc));
    return 0;
}
