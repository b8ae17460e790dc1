/* harness/plot/stage.c - plots made aside, then moved in at once.
 *
 * #12: a suite used to delete its old plots before gnuplot had drawn one
 * new image, so a broken or hung gnuplot left nothing. Now every table and
 * image of a run is written in a hidden directory inside out_dir and only
 * renamed into place when all were made; old plots the new run did not
 * draw are removed after that, and a failed run removes only its own
 * stage. A process killed mid-run leaves a .df-plot-* directory behind,
 * never a half-replaced set.
 */
#include "harness/plot/stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/plot/gnuplot.h"

int df__plot_stage_open(df__plot_stage *st, const char *out_dir, df_err *err)
{
    char tmpl[PATH_MAX];

    snprintf(st->out_dir, sizeof st->out_dir, "%s", out_dir);
    if (snprintf(tmpl, sizeof tmpl, "%s/.df-plot-XXXXXX", out_dir) >=
            (int)sizeof tmpl ||
        df__gnuplot_path(st->dir, sizeof st->dir, tmpl) < 0)
        return df_err_set(err, -ENAMETOOLONG, "plot: --out-dir too long");
    if (!mkdtemp(st->dir))
        return df_err_set(err, -errno, "%s: %s", st->dir, strerror(errno));
    return 0;
}

/* The names in dir (not "." or ".."), NULL-terminated in *out (NULL when
 * none; free with free_names even on failure). Their count or -errno. */
static int list_names(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, **grown;
    int n = 0, rc = 0;

    *out = NULL;
    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!(grown = realloc(names, (n + 2) * sizeof *names))) {
            rc = -ENOMEM;
            break;
        }
        names = grown;
        if (!(names[n] = strdup(e->d_name))) {
            rc = -ENOMEM;
            break;
        }
        names[++n] = NULL;
    }
    closedir(d);
    *out = names;
    return rc < 0 ? rc : n;
}

static void free_names(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

/* One of the plot step's own files for prefix:
 * <prefix>-<kind>{-*,}.{png,svg,dat}. The kind keeps suite "io" off the
 * plots of a suite "io-heavy". */
static int is_plot_of(const char *name, const char *prefix)
{
    static const char *const kinds[] = { "throughput", "latency", "queue",
                                         "memory",     "speedup", "cdf",
                                         "gil",        "bars",    "timeline",
                                         "rate" };
    size_t n = strlen(prefix), k, len;
    const char *dot = strrchr(name, '.'), *rest = name + n + 1;

    if (strncmp(name, prefix, n) != 0 || name[n] != '-' || !dot ||
        (strcmp(dot, ".png") != 0 && strcmp(dot, ".svg") != 0 &&
         strcmp(dot, ".dat") != 0))
        return 0;
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        len = strlen(kinds[k]);
        if (strncmp(rest, kinds[k], len) == 0 &&
            (rest[len] == '-' || rest + len == dot))
            return 1;
    }
    return 0;
}

static int listed(char **names, const char *name)
{
    for (size_t i = 0; names && names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* Removes out_dir's plots of prefix that are not in made. */
static int remove_stale(const char *out_dir, const char *prefix, char **made)
{
    char **old = NULL;
    int n = list_names(out_dir, &old), rc = n < 0 ? n : 0;
    int fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 && rc == 0)
        rc = -errno;
    for (int i = 0; rc == 0 && i < n; i++)
        if (is_plot_of(old[i], prefix) && !listed(made, old[i]) &&
            unlinkat(fd, old[i], 0) != 0 && errno != ENOENT)
            rc = -errno;
    if (fd >= 0)
        close(fd);
    free_names(old);
    return rc;
}

int df_plot_remove(const char *out_dir, const char *name)
{
    return remove_stale(out_dir, name, NULL);
}

int df__plot_stage_commit(df__plot_stage *st,
                          const char *prefix,
                          int replace,
                          df_err *err)
{
    char **made = NULL;
    int n = list_names(st->dir, &made), rc = n < 0 ? n : 0;
    int from = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int to = open(st->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if ((from < 0 || to < 0) && rc == 0)
        rc = -errno;
    /* Renames within one file system: a failure here is a disk gone bad,
     * not a plot; what was not moved is dropped with the stage. */
    for (int i = 0; rc == 0 && i < n; i++)
        if (renameat(from, made[i], to, made[i]) != 0)
            rc = -errno;
    if (rc == 0 && replace)
        rc = remove_stale(st->out_dir, prefix, made);
    if (from >= 0)
        close(from);
    if (to >= 0)
        close(to);
    free_names(made);
    df__plot_stage_abort(st);
    if (rc < 0)
        return df_err_set(err, rc, "%s: moving plots in: %s", st->out_dir,
                          strerror(-rc));
    return 0;
}

void df__plot_stage_abort(df__plot_stage *st)
{
    char **names = NULL;
    int fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    /* Best effort: what cannot go stays in the hidden stage directory,
     * and out_dir is untouched either way. */
    list_names(st->dir, &names);
    for (size_t i = 0; fd >= 0 && names && names[i]; i++)
        (void)unlinkat(fd, names[i], 0);
    if (fd >= 0)
        close(fd);
    free_names(names);
    (void)rmdir(st->dir);
}
