/* harness/suite/suite.c - suite files: loading and checking them, the argv of
 * each run, how long a suite takes. Running them is suite_run.c,
 * suite_examples.c and suite_cli.c.
 *
 * Quick mode replaces whole flags (all --workload flags if quick names
 * one), so it does not depend on how `run` treats repeats.
 */
#include "harness/suite/suite.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/store/resfile.h"
#include "harness/suite/run.h"
#include "models/model.h"
#include "workloads/params.h"

struct df_suite {
    json_t *j;        /* the file */
    const char *name; /* borrowed from j */
    int order;
};

/* Flags of `duckfeed run` a suite may use, and whether each takes a value
 * (harness/cli/run.c). --out is the suite's own. */
static const struct run_flag {
    const char *name;
    int has_value;
    int is_list; /* comma list crossed into points */
} run_flags[] = {
    { "--model", 1, 1 },
    { "--workload", 1, 0 },
    { "--plugin", 1, 0 },
    { "--workers", 1, 1 },
    { "--threads", 1, 1 },
    { "--processes", 1, 1 },
    { "--gil", 1, 1 },
    { "--switch-interval", 1, 1 },
    { "--check-interval", 1, 0 },
    { "--hogs", 1, 1 },
    { "--switch", 1, 0 },
    { "--stack", 1, 0 },
    { "--stack-size", 1, 0 },
    { "--slow-callback-ms", 1, 0 },
    { "--to-thread-workers", 1, 0 },
    { "--concurrency", 1, 1 },
    { "--duration", 1, 0 },
    { "--warmup", 1, 0 },
    { "--requests", 1, 0 },
    { "--timeout", 1, 0 },
    { "--repeat", 1, 0 },
    { "--seed", 1, 0 },
    { "--rate", 1, 1 },
    { "--arrivals", 1, 0 },
    { "--max-inflight", 1, 0 },
    { "--worker-timeout", 1, 0 }, /* #17: the arbiter's */
    { "--max-requests", 1, 0 },
    { "--max-requests-jitter", 1, 0 },
    { "--respawn-forever", 0, 0 },
    { "--trace", 0, 0 },
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
            return df_err_set(err, -EINVAL,
                              "%s: \"%.40s\" is not a flag of "
                              "duckfeed run",
                              what, a);
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
        const json_t *fails = json_object_get(r, "expect_failure");
        if (fails && !json_is_boolean(fails))
            return df_err_set(err, -EINVAL,
                              "runs[%zu].expect_failure: not true or false", i);
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
    /* #12: a double cast to int (and x - y in by_order) overflowed. */
    if ((v = json_object_get(j, "order")) &&
        (!json_is_integer(v) || json_integer_value(v) < -1000000 ||
         json_integer_value(v) > 1000000))
        return df_err_set(err, -EINVAL,
                          "\"order\": not an integer in -1000000..1000000");
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
        return df_err_set(err, -EINVAL,
                          "\"kind\": \"%.20s\", expected runs "
                          "or examples",
                          kind);
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
    s->order = (int)json_integer_value(json_object_get(j, "order"));
    if (!json_object_get(j, "order"))
        s->order = 1000;
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

/* "0.5s", "200ms", "300us", "2" (seconds) -> seconds, read by the parser
 * `duckfeed run` uses; dflt if it would refuse the text. #12: strtod took
 * "-.6s" and "1e999", and the estimate went negative or infinite. */
static double seconds(const char *s, double dflt)
{
    const df_param_decl decl = { .name = "duration",
                                 .type = DF_PARAM_DURATION,
                                 .unit = "s" };
    int64_t ns;

    if (!s || df_param_parse_value("suite", &decl, s, &ns, NULL) < 0)
        return dflt;
    return (double)ns / 1e9;
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

/* Points of one run, expanded as harness/sweep/plan.c df__plan_expand()
 * does, by each model's traits: --workers sizes a prefork model,
 * --processes the others (or --workers when no prefork model is in the
 * run); --threads and --hogs the models they size; the GIL lists the
 * models with an interpreter lock, the switch intervals a new GIL. A
 * model not known here counts as none (the run will reject it). */
static double run_points(char **argv, int argc)
{
    const char *models = flag_value(argv, argc, "--model");
    const char *gils = flag_value(argv, argc, "--gil");
    const char *workers = flag_value(argv, argc, "--workers");
    const char *procs = flag_value(argv, argc, "--processes");
    const char *threads = flag_value(argv, argc, "--threads");
    const char *hogs = flag_value(argv, argc, "--hogs");
    const char *sw = flag_value(argv, argc, "--switch-interval");
    const char *load = flag_value(argv, argc, "--rate")
                           ? flag_value(argv, argc, "--rate")
                           : flag_value(argv, argc, "--concurrency");
    double nw = workers ? list_len(workers) : 1;
    double np = procs ? list_len(procs) : 1;
    int gil_new = !gils || strstr(gils, "new") != NULL;
    int ngil = gil_new * (sw ? list_len(sw) : 1) +
               (gils ? list_len(gils) - gil_new : 0);
    const df_model_ops *ops[16];
    int nops = 0, nwl = 0, has_proc = 0, i;
    double total = 0; /* #12: lists of 100 values overflowed an int */
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof buf, "%s",
             models ? models : "process,thread,coroutine");
    for (tok = strtok_r(buf, ",", &save); tok && nops < 16;
         tok = strtok_r(NULL, ",", &save))
        if ((ops[nops] = df_model_find(tok)))
            has_proc |= (ops[nops++]->traits & DF_MODEL_PREFORK) != 0;
    if (!has_proc && workers && !procs)
        np = nw;
    for (i = 0; i < nops; i++) {
        unsigned t = ops[i]->traits;

        if (t & DF_MODEL_PREFORK) {
            total += nw;
            continue;
        }
        total += np *
                 (t & DF_MODEL_THREADS && threads ? list_len(threads) : 1) *
                 (t & DF_MODEL_GIL ? ngil : 1) *
                 (t & DF_MODEL_HOGS && hogs ? list_len(hogs) : 1);
    }
    for (i = 0; i < argc; i++)
        nwl += strcmp(argv[i], "--workload") == 0;
    return total * (nwl ? nwl : 1) * (load ? list_len(load) : 1);
}

/* --repeat's value, or `duckfeed run`'s default (harness/cli/run.c). */
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

static int by_order(const void *a, const void *b)
{
    const df_suite *x = *(df_suite *const *)a, *y = *(df_suite *const *)b;

    if (x->order != y->order)
        return x->order - y->order;
    return strcmp(x->name, y->name);
}

int df__suite_load_all(const char *dir, df_suite ***out, df_err *err)
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
json_t *df__suite_meta(const df_suite *s, int quick)
{
    json_t *m = json_object();
    static const char *const copy[] = { "name",     "version", "order", "title",
                                        "sentence", "plots",   "claims" };
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

json_t *df__suite_load_json(const df_load_probe *p)
{
    df_load_figures lf;

    if (df_load_probe_end(p, &lf) < 0)
        return NULL;
    return json_pack("{s:i, s:f, s:f, s:f, s:f, s:b}", "cores", lf.cores,
                     "span_s", lf.span_s, "loadavg_1m", lf.loadavg_1m,
                     "others_cores", lf.others_cores, "steal_pct", lf.steal_pct,
                     "busy", lf.busy);
}
