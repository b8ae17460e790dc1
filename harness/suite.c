/* harness/suite.c - suite files: checking them, running their runs through
 * `duckfeed run`, merging the points into results/<suite>.json, plotting.
 *
 * Each run goes through the same code path a user's `duckfeed run` takes
 * (df_suite_run_fn, the real df_run_main in the program), writing a
 * temporary results file that is merged here; so a suite can never measure
 * something the command line cannot reproduce, and the results file records
 * the exact runs. Quick mode replaces whole flags (all --workload flags if
 * quick names one), so it does not depend on how `run` treats repeats.
 */
#include "harness/suite.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/plot.h"
#include "harness/report.h"
#include "harness/resfile.h"
#include "harness/results.h"

struct df_suite {
    json_t *j;        /* the file */
    const char *name; /* borrowed from j */
    int order;
};

/* Flags of `duckfeed run` a suite may use, and whether each takes a value
 * (harness/cli_run.c). --out is the suite's own. */
static const struct run_flag {
    const char *name;
    int has_value;
    int is_list; /* comma list crossed into points */
} run_flags[] = {
    { "--model", 1, 1 },           { "--workload", 1, 0 },
    { "--plugin", 1, 0 },          { "--workers", 1, 1 },
    { "--threads", 1, 1 },         { "--processes", 1, 1 },
    { "--gil", 1, 1 },             { "--switch-interval", 1, 1 },
    { "--check-interval", 1, 0 },  { "--hogs", 1, 1 },
    { "--switch", 1, 0 },          { "--stack", 1, 0 },
    { "--stack-size", 1, 0 },      { "--slow-callback-ms", 1, 0 },
    { "--to-thread-workers", 1, 0 }, { "--concurrency", 1, 1 },
    { "--duration", 1, 0 },        { "--warmup", 1, 0 },
    { "--requests", 1, 0 },        { "--timeout", 1, 0 },
    { "--repeat", 1, 0 },          { "--seed", 1, 0 },
    { "--rate", 1, 1 },            { "--arrivals", 1, 0 },
    { "--max-inflight", 1, 0 },    { "--trace", 0, 0 },
    { "--quiet", 0, 0 },
};

static const struct run_flag *find_flag(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof run_flags / sizeof run_flags[0]; i++)
        if (strcmp(run_flags[i].name, name) == 0)
            return &run_flags[i];
    return NULL;
}

/* An argv array of strings naming known flags, each with its value. */
static int check_argv(const json_t *argv, const char *what, df_err *err)
{
    size_t i, n = json_array_size(argv);

    if (!json_is_array(argv) || n == 0)
        return df_err_set(err, -EINVAL, "%s: not a non-empty array", what);
    for (i = 0; i < n; i++) {
        const char *a = json_string_value(json_array_get(argv, i));
        const struct run_flag *f = a ? find_flag(a) : NULL;

        if (!a)
            return df_err_set(err, -EINVAL, "%s[%zu]: not a string", what, i);
        if (!f)
            return df_err_set(err, -EINVAL, "%s: \"%.40s\" is not a flag of "
                                            "duckfeed run", what, a);
        if (f->has_value) {
            const char *v = json_string_value(json_array_get(argv, i + 1));

            if (!v || v[0] == '\0' || (v[0] == '-' && v[1] == '-'))
                return df_err_set(err, -EINVAL, "%s: %s needs a value", what,
                                  a);
            i++;
        }
    }
    return 0;
}

static int check_strings(const json_t *arr, const char *what, df_err *err)
{
    size_t i;

    if (!json_is_array(arr))
        return df_err_set(err, -EINVAL, "\"%s\": not an array", what);
    for (i = 0; i < json_array_size(arr); i++)
        if (!json_is_string(json_array_get(arr, i)))
            return df_err_set(err, -EINVAL, "\"%s\"[%zu]: not a string", what,
                              i);
    return 0;
}

static int check_runs(const json_t *runs, df_err *err)
{
    char what[64];
    size_t i;
    int rc;

    if (!json_is_array(runs) || json_array_size(runs) == 0)
        return df_err_set(err, -EINVAL, "\"runs\": not a non-empty array");
    for (i = 0; i < json_array_size(runs); i++) {
        const json_t *r = json_array_get(runs, i);
        const json_t *quick = json_object_get(r, "quick");

        snprintf(what, sizeof what, "runs[%zu].argv", i);
        if ((rc = check_argv(json_object_get(r, "argv"), what, err)) < 0)
            return rc;
        snprintf(what, sizeof what, "runs[%zu].quick", i);
        if (quick && (rc = check_argv(quick, what, err)) < 0)
            return rc;
    }
    return 0;
}

static int check_suite(const json_t *j, df_err *err)
{
    static const char *const strings[] = { "name", "title", "sentence" };
    const char *kind = df_resfile_str(j, "kind", "runs");
    const json_t *v;
    size_t i;
    int rc;

    if (!json_is_object(j))
        return df_err_set(err, -EINVAL, "not a JSON object");
    for (i = 0; i < 3; i++)
        if (!json_is_string(json_object_get(j, strings[i])))
            return df_err_set(err, -EINVAL, "no \"%s\" string", strings[i]);
    if (strspn(json_string_value(json_object_get(j, "name")),
               "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
        strlen(json_string_value(json_object_get(j, "name"))))
        return df_err_set(err, -EINVAL, "\"name\": only [a-z0-9_-] allowed");
    if (!json_is_integer(json_object_get(j, "version")))
        return df_err_set(err, -EINVAL, "no integer \"version\"");
    if ((v = json_object_get(j, "default")) && !json_is_boolean(v))
        return df_err_set(err, -EINVAL, "\"default\": not true/false");
    if (strcmp(kind, "examples") == 0) {
        if ((rc = check_strings(json_object_get(j, "command"), "command",
                                err)) < 0)
            return rc;
        if (json_array_size(json_object_get(j, "command")) == 0)
            return df_err_set(err, -EINVAL, "\"command\": empty");
        if ((v = json_object_get(j, "quick")) &&
            (rc = check_strings(v, "quick", err)) < 0)
            return rc;
        return 0;
    }
    if (strcmp(kind, "runs") != 0)
        return df_err_set(err, -EINVAL, "\"kind\": \"%.20s\", expected runs "
                                        "or examples", kind);
    if ((rc = check_runs(json_object_get(j, "runs"), err)) < 0)
        return rc;
    if ((v = json_object_get(j, "plots")) &&
        (rc = check_strings(v, "plots", err)) < 0)
        return rc;
    if ((v = json_object_get(j, "claims")) && !json_is_array(v))
        return df_err_set(err, -EINVAL, "\"claims\": not an array");
    return 0;
}

int df_suite_load(const char *path, df_suite **out, df_err *err)
{
    json_error_t jerr;
    df_suite *s;
    json_t *j;
    int rc;

    *out = NULL;
    j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!j && jerr.line < 0)
        return df_err_set(err, -ENOENT, "%s", jerr.text);
    if (!j)
        return df_err_set(err, -EINVAL, "%s: not valid JSON (line %d: %s)",
                          path, jerr.line, jerr.text);
    if ((rc = check_suite(j, err)) < 0) {
        char why[sizeof err->msg];

        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        json_decref(j);
        return df_err_set(err, rc, "%s: %s", path, why);
    }
    if (!(s = calloc(1, sizeof *s))) {
        json_decref(j);
        return df_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    s->j = j;
    s->name = json_string_value(json_object_get(j, "name"));
    s->order = (int)df_resfile_num(j, "order", 1000);
    *out = s;
    return 0;
}

void df_suite_destroy(df_suite *s)
{
    if (!s)
        return;
    json_decref(s->j);
    free(s);
}

const char *df_suite_name(const df_suite *s)
{
    return s->name;
}

const json_t *df_suite_json(const df_suite *s)
{
    return s->j;
}

int df_suite_nruns(const df_suite *s)
{
    return (int)json_array_size(json_object_get(s->j, "runs"));
}

/* Appends flag (and its value) from src at i to out[*n]. */
static void push(char **out, int *n, const json_t *src, size_t i)
{
    const struct run_flag *f =
        find_flag(json_string_value(json_array_get(src, i)));

    out[(*n)++] = (char *)json_string_value(json_array_get(src, i));
    if (f && f->has_value)
        out[(*n)++] = (char *)json_string_value(json_array_get(src, i + 1));
}

static int in_argv(const json_t *argv, const char *flag)
{
    size_t i;

    for (i = 0; i < json_array_size(argv); i++)
        if (strcmp(json_string_value(json_array_get(argv, i)), flag) == 0)
            return 1;
    return 0;
}

char **df_suite_run_argv(const df_suite *s, int i, int quick, int *argc)
{
    const json_t *run = json_array_get(json_object_get(s->j, "runs"), i);
    const json_t *base = json_object_get(run, "argv");
    const json_t *over = quick ? json_object_get(run, "quick") : NULL;
    size_t k, n = json_array_size(base) + json_array_size(over) + 1;
    char **out;
    int m = 0;

    if (!run || !(out = calloc(n, sizeof *out)))
        return NULL;
    for (k = 0; k < json_array_size(base); k++) {
        const char *a = json_string_value(json_array_get(base, k));
        const struct run_flag *f = find_flag(a);

        if (!over || !in_argv(over, a))
            push(out, &m, base, k);
        k += f && f->has_value;
    }
    for (k = 0; k < json_array_size(over); k++) {
        const struct run_flag *f =
            find_flag(json_string_value(json_array_get(over, k)));

        push(out, &m, over, k);
        k += f && f->has_value;
    }
    out[m] = NULL;
    *argc = m;
    return out;
}

/* "0.5s", "200ms", "300us", "2" (seconds) -> seconds; dflt if unparsable. */
static double seconds(const char *s, double dflt)
{
    char *end;
    double v = s ? strtod(s, &end) : NAN;

    if (!s || end == s || isnan(v))
        return dflt;
    if (strcmp(end, "ms") == 0)
        return v / 1e3;
    if (strcmp(end, "us") == 0)
        return v / 1e6;
    return *end == '\0' || strcmp(end, "s") == 0 ? v : dflt;
}

/* Items in a comma list, and whether item "word" is in it. */
static int list_len(const char *s)
{
    int n = 1;

    for (; *s; s++)
        n += *s == ',';
    return n;
}

static const char *flag_value(char **argv, int argc, const char *flag)
{
    const char *v = NULL;
    int i;

    for (i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            v = argv[i + 1];
    return v;
}

/* Points of one run, expanded as harness/cli_run.c expand() does:
 * --workers sizes the process model, --processes the others (or
 * --workers when no process model is in the run); --threads and --hogs
 * only the thread model; the GIL lists all but the process model, the
 * switch intervals only a new GIL. */
static int run_points(char **argv, int argc)
{
    const char *models = flag_value(argv, argc, "--model");
    const char *gils = flag_value(argv, argc, "--gil");
    const char *workers = flag_value(argv, argc, "--workers");
    const char *procs = flag_value(argv, argc, "--processes");
    int nw = workers ? list_len(workers) : 1;
    int np = procs ? list_len(procs) : 1;
    int nt = flag_value(argv, argc, "--threads")
                 ? list_len(flag_value(argv, argc, "--threads"))
                 : 1;
    int nh = flag_value(argv, argc, "--hogs")
                 ? list_len(flag_value(argv, argc, "--hogs"))
                 : 1;
    int ns = flag_value(argv, argc, "--switch-interval")
                 ? list_len(flag_value(argv, argc, "--switch-interval"))
                 : 1;
    const char *load = flag_value(argv, argc, "--rate")
                           ? flag_value(argv, argc, "--rate")
                           : flag_value(argv, argc, "--concurrency");
    int nc = load ? list_len(load) : 1;
    int nwl = 0, has_proc, gil_new, gil_other, i, total = 0;

    if (!models)
        models = "process,thread,coroutine";
    has_proc = strstr(models, "process") != NULL;
    if (!has_proc && workers && !procs)
        np = nw;
    gil_new = !gils || strstr(gils, "new") != NULL;
    gil_other = gils ? list_len(gils) - gil_new : 0;
    for (i = 0; i < argc; i++)
        nwl += strcmp(argv[i], "--workload") == 0;
    if (nwl == 0)
        nwl = 1;
    if (has_proc)
        total += nw;
    if (strstr(models, "thread"))
        total += np * nt * (gil_new * ns + gil_other) * nh;
    if (strstr(models, "coroutine"))
        total += np * (gil_new * ns + gil_other);
    return total * nwl * nc;
}

/* --repeat's value, or `duckfeed run`'s default (harness/cli_run.c). */
static int repeats(const char *v)
{
    int n = v ? atoi(v) : DF_SUITE_DEFAULT_REPEAT;

    return n > 0 ? n : 1;
}

double df_suite_estimate_s(const df_suite *s, int quick)
{
    double total = 0;
    int i, argc;

    if (strcmp(df_resfile_str(s->j, "kind", "runs"), "examples") == 0)
        return 10; /* the scripts' own sleeps, at scale 0.1 */
    for (i = 0; i < df_suite_nruns(s); i++) {
        char **argv = df_suite_run_argv(s, i, quick, &argc);
        double per;

        if (!argv)
            continue;
        if (flag_value(argv, argc, "--requests"))
            per = 1.0; /* a handful of requests, then stop */
        else
            per = seconds(flag_value(argv, argc, "--duration"), 1.0) +
                  seconds(flag_value(argv, argc, "--warmup"), 0.2);
        /* Each repetition is its own child: start-up and drain included. */
        total += run_points(argv, argc) * (per + 0.3) *
                 repeats(flag_value(argv, argc, "--repeat"));
        free(argv);
    }
    return total;
}

/* Options of one `duckfeed suite` call. */
typedef struct suite_opts {
    const char *results_dir, *plots_dir, *suites_dir;
    int quick, list;
    char command[1024]; /* the invocation, recorded in each results file */
} suite_opts;

static const char *suites_dir(void)
{
    const char *d = getenv("DF_SUITES_DIR");

    return d && *d ? d : DF_SOURCE_DIR "/harness/suites";
}

static int by_order(const void *a, const void *b)
{
    const df_suite *x = *(df_suite *const *)a, *y = *(df_suite *const *)b;

    if (x->order != y->order)
        return x->order - y->order;
    return strcmp(x->name, y->name);
}

/* Every *.json in dir, loaded and checked, sorted by "order". Returns the
 * count or a negative errno (the first bad file is an error, not skipped:
 * a typo in a lesson must not silently drop it). */
static int load_all(const char *dir, df_suite ***out, df_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    df_suite **v = NULL, *s;
    char path[PATH_MAX];
    int n = 0, rc = 0;

    *out = NULL;
    if (!d)
        return df_err_set(err, -errno, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        df_suite **nv;

        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((rc = df_suite_load(path, &s, err)) < 0)
            break;
        if (!(nv = realloc(v, (n + 1) * sizeof *v))) {
            df_suite_destroy(s);
            rc = df_err_set(err, -ENOMEM, "out of memory");
            break;
        }
        v = nv;
        v[n++] = s;
    }
    closedir(d);
    if (rc < 0) {
        while (n > 0)
            df_suite_destroy(v[--n]);
        free(v);
        return rc;
    }
    if (n > 0)
        qsort(v, n, sizeof *v, by_order);
    *out = v;
    return n;
}

/* The "suite" object a merged results file carries, for the report. */
static json_t *suite_meta(const df_suite *s, int quick)
{
    json_t *m = json_object();
    static const char *const copy[] = { "name", "version", "order", "title",
                                        "sentence", "plots", "claims" };
    size_t i;

    if (!m)
        return NULL;
    for (i = 0; i < sizeof copy / sizeof copy[0]; i++) {
        json_t *v = json_object_get(s->j, copy[i]);

        if (v)
            json_object_set(m, copy[i], v);
    }
    json_object_set_new(m, "quick", json_boolean(quick));
    return m;
}

/* Runs run i of s into tmp and appends its points to *doc (created from
 * the first run's file). Returns run's exit code, or 2 on a results file
 * it did not write properly. */
static int one_run(const df_suite *s, int i, const suite_opts *o,
                   df_suite_run_fn *run, json_t **doc)
{
    char tmp[PATH_MAX], **argv, **full;
    df_err err = { 0 };
    json_t *part = NULL;
    int argc, rc, k;

    snprintf(tmp, sizeof tmp, "%s/.suite-%s-%d.json", o->results_dir,
             s->name, i);
    if (!(argv = df_suite_run_argv(s, i, o->quick, &argc)))
        return 2;
    if (!(full = calloc(argc + 4, sizeof *full))) {
        free(argv);
        return 2;
    }
    full[0] = "run";
    for (k = 0; k < argc; k++)
        full[k + 1] = argv[k];
    full[argc + 1] = "--out";
    full[argc + 2] = tmp;
    rc = run(argc + 3, full);
    free(full);
    free(argv);
    if (rc == 2)
        return 2;
    if (df_resfile_load(tmp, &part, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s: run %d: %s: %s\n", s->name,
                i + 1, tmp, err.msg);
        unlink(tmp);
        return 2;
    }
    unlink(tmp);
    if (!*doc) {
        *doc = json_deep_copy(part);
        json_object_set_new(*doc, "points", json_array());
    }
    json_array_extend(json_object_get(*doc, "points"),
                      json_object_get(part, "points"));
    if (!json_is_true(json_object_get(part, "complete")))
        json_object_set_new(*doc, "complete", json_false());
    json_decref(part);
    return rc;
}

/* Runs every run of s, writes results/<name>.json and plots it. Returns 0,
 * 1 (something failed but results were written) or 2 (nothing to write). */
/* Removes plots/<suite>-*.{png,svg,dat} of an earlier run, so a plot this
 * run does not draw (a workload renamed, data now missing) is not left
 * beside the new ones looking current. */
static void remove_old_plots(const char *dir, const char *suite)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = strlen(suite);
    char path[PATH_MAX];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        const char *dot = strrchr(e->d_name, '.');
        if (strncmp(e->d_name, suite, n) != 0 || e->d_name[n] != '-' || !dot ||
            (strcmp(dot, ".png") && strcmp(dot, ".svg") && strcmp(dot, ".dat")))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static int run_runs(const df_suite *s, const suite_opts *o,
                    df_suite_run_fn *run, json_t **doc_out)
{
    const json_t *plots = json_object_get(s->j, "plots");
    const char *only[16];
    char path[PATH_MAX];
    df_plot_opts po = { .out_dir = o->plots_dir, .name = s->name,
                        .quiet = 1 };
    df_err err = { 0 };
    json_t *doc = NULL;
    int i, rc, worst = 0, n = df_suite_nruns(s);
    size_t k;

    for (i = 0; i < n; i++) {
        printf("[%s] run %d/%d: %s\n", s->name, i + 1, n,
               df_resfile_str(json_array_get(json_object_get(s->j, "runs"),
                                             i),
                              "label", ""));
        fflush(stdout);
        rc = one_run(s, i, o, run, &doc);
        if (rc != 0)
            fprintf(stderr, "duckfeed suite: %s: run %d/%d %s\n", s->name,
                    i + 1, n, rc == 1 ? "had failed points" : "failed");
        worst = rc > worst ? rc : worst;
    }
    if (!doc)
        return 2;
    /* The command that reproduces this file alone, not the whole set. */
    char command[512];
    snprintf(command, sizeof command, "duckfeed suite %s%s", s->name,
             o->quick ? " --quick" : "");
    json_object_set_new(doc, "command", json_string(command));
    json_object_set_new(doc, "suite", suite_meta(s, o->quick));
    snprintf(path, sizeof path, "%s/%s.json", o->results_dir, s->name);
    if (df_results_write(doc, path, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        json_decref(doc);
        return 2;
    }
    for (k = 0; k < json_array_size(plots) && k < 15; k++)
        only[k] = json_string_value(json_array_get(plots, k));
    only[k] = NULL;
    po.only = plots ? only : NULL;
    remove_old_plots(o->plots_dir, s->name);
    if ((rc = df_plot_doc(doc, &po, &err)) < 0) {
        fprintf(stderr, "duckfeed suite: %s: plot: %s\n", s->name, err.msg);
        worst = worst > 1 ? worst : 1;
    }
    *doc_out = doc;
    return worst > 1 ? 1 : worst;
}

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

/* Runs the examples script with stdout on a pipe (stderr passes through),
 * collecting DF-RESULT lines; returns its exit status or a negative errno. */
static int spawn_examples(char **argv, const char *cwd, json_t *results)
{
    posix_spawn_file_actions_t fa;
    char line[512];
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
    while (f && fgets(line, sizeof line, f))
        if (!parse_result(line, results))
            fputs(line, stdout);
    if (f)
        fclose(f);
    else
        close(fds[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_examples(const df_suite *s, const suite_opts *o,
                        json_t **doc_out)
{
    const json_t *cmd = json_object_get(s->j, o->quick && json_object_get(
                                                  s->j, "quick")
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
    printf("[%s] %s\n", s->name, exe);
    fflush(stdout);
    if (!getcwd(cwd, sizeof cwd) || access(exe, X_OK) != 0) {
        fprintf(stderr, "duckfeed suite: %s: %s: %s (examples built?)\n",
                s->name, exe, strerror(errno));
        json_decref(examples);
        return 1;
    }
    rc = spawn_examples(argv, dir, examples);
    if (chdir(cwd) != 0)
        rc = rc == 0 ? -errno : rc;
    doc = json_pack("{s:s, s:o, s:s, s:o, s:o, s:i}", "schema",
                    "duckfeed.examples/1", "machine", df_results_machine(),
                    "command", o->command, "suite", suite_meta(s, o->quick),
                    "examples", examples, "exit_status", rc);
    snprintf(path, sizeof path, "%s/%s.json", o->results_dir, s->name);
    if (!doc || df_results_write(doc, path, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s: %s\n", s->name,
                doc ? err.msg : "out of memory");
        json_decref(doc);
        return 2;
    }
    *doc_out = doc;
    if (rc != 0)
        fprintf(stderr, "duckfeed suite: %s: %s exited with %d\n", s->name,
                exe, rc);
    return rc == 0 ? 0 : 1;
}

static void usage(FILE *f)
{
    fputs("usage: duckfeed suite [NAME...] [--quick] [--list]\n"
          "                      [--results-dir DIR] [--plots-dir DIR] "
          "[--suites-dir DIR]\n"
          "Runs named comparisons (all default ones without NAME), each "
          "into\nRESULTS/NAME.json and PLOTS/NAME-*.png, then writes "
          "RESULTS/REPORT.md.\n"
          "  --quick          shorter runs (about a minute for the default "
          "set)\n"
          "  --list           list the suites and what each shows\n"
          "  --results-dir D  where results go (results)\n"
          "  --plots-dir D    where plots go (plots)\n"
          "  --suites-dir D   suite files (the source's harness/suites)\n"
          "Exit: 0 all ran, 1 some run, point or plot failed, 2 bad usage or "
          "suite file.\n",
          f);
}

static void list_suites(df_suite **v, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        const json_t *j = v[i]->j;

        printf("%-9s v%-2d %s %5.0fs (quick %3.0fs)  %s\n", v[i]->name,
               (int)df_resfile_num(j, "version", 0),
               json_is_true(json_object_get(j, "default")) ? "default" : "       ",
               df_suite_estimate_s(v[i], 0), df_suite_estimate_s(v[i], 1),
               df_resfile_str(j, "title", ""));
    }
}

static int parse_opts(int argc, char **argv, suite_opts *o, const char **names,
                      int *nnames)
{
    int i;

    o->results_dir = "results";
    o->plots_dir = "plots";
    o->suites_dir = suites_dir();
    snprintf(o->command, sizeof o->command, "duckfeed");
    for (i = 0; i < argc; i++)
        snprintf(o->command + strlen(o->command),
                 sizeof o->command - strlen(o->command), " %s", argv[i]);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int v = i + 1 < argc;

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            o->quick = 1;
        } else if (!strcmp(a, "--list")) {
            o->list = 1;
        } else if (!strcmp(a, "--results-dir") && v) {
            o->results_dir = argv[++i];
        } else if (!strcmp(a, "--plots-dir") && v) {
            o->plots_dir = argv[++i];
        } else if (!strcmp(a, "--suites-dir") && v) {
            o->suites_dir = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "duckfeed suite: %s: unknown option or missing "
                            "value (see --help)\n", a);
            return 2;
        } else if (*nnames < 64) {
            names[(*nnames)++] = a;
        }
    }
    return -1;
}

/* Which suites to run: the named ones (each must exist), else defaults. */
static int select_suites(df_suite **v, int n, const char **names, int nn,
                         df_suite **sel)
{
    int i, k, m = 0;

    for (k = 0; k < nn; k++) {
        for (i = 0; i < n && strcmp(v[i]->name, names[k]) != 0; i++)
            ;
        if (i == n) {
            fprintf(stderr, "duckfeed suite: %s: no such suite (see "
                            "--list)\n", names[k]);
            return -1;
        }
        sel[m++] = v[i];
    }
    for (i = 0; nn == 0 && i < n; i++)
        if (json_is_true(json_object_get(v[i]->j, "default")))
            sel[m++] = v[i];
    return m;
}

int df_suite_main_with(int argc, char **argv, df_suite_run_fn *run)
{
    suite_opts o = { 0 };
    const char *names[64];
    df_suite **all = NULL, **sel = NULL;
    json_t **docs = NULL; /* each suite's results, for the lessons table */
    int ndocs = 0;
    df_err err = { 0 };
    int i, n, m, nn = 0, rc, worst = 0;

    if ((rc = parse_opts(argc, argv, &o, names, &nn)) >= 0)
        return rc;
    if ((n = load_all(o.suites_dir, &all, &err)) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        return 2;
    }
    if (o.list) {
        list_suites(all, n);
        goto out;
    }
    if (!(sel = calloc(n + nn + 1, sizeof *sel)) ||
        !(docs = calloc(n + nn + 1, sizeof *docs)) ||
        (m = select_suites(all, n, names, nn, sel)) < 0) {
        worst = 2;
        goto out;
    }
    if (df_plot_mkdirs(o.results_dir, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        worst = 2;
        goto out;
    }
    for (i = 0; i < m; i++) {
        json_t *doc = NULL;
        int examples = strcmp(df_resfile_str(sel[i]->j, "kind", "runs"),
                              "examples") == 0;

        printf("== suite %s (%d/%d, about %.0f s): %s\n", sel[i]->name, i + 1,
               m, df_suite_estimate_s(sel[i], o.quick),
               df_resfile_str(sel[i]->j, "title", ""));
        fflush(stdout);
        rc = examples ? run_examples(sel[i], &o, &doc)
                      : run_runs(sel[i], &o, run, &doc);
        /* A run that failed is a failed measurement (1), not bad usage. */
        worst = rc && worst < 1 ? 1 : worst;
        if (doc)
            df_report_summary(stdout, doc, o.plots_dir);
        if (doc)
            docs[ndocs++] = doc;
    }
    if (ndocs > 0)
        df_report_lessons(stdout, (const json_t *const *)docs, ndocs);
    if (df_report_write(o.results_dir, o.plots_dir, &err) < 0) {
        fprintf(stderr, "duckfeed suite: report: %s\n", err.msg);
        worst = worst > 1 ? worst : 1;
    } else {
        printf("report: %s/REPORT.md\n", o.results_dir);
    }
out:
    for (i = 0; i < ndocs; i++)
        json_decref(docs[i]);
    free(docs);
    for (i = 0; i < n; i++)
        df_suite_destroy(all[i]);
    free(all);
    free(sel);
    return worst;
}
