/* harness/store/validate.c - the results schema as code.
 *
 * Each object of the schema is a table of fields: name, JSON type and
 * when the field is required (always, on an "ok" point, in open loop...).
 * Walking the tables gives the first problem with its full path, which is
 * all a user or a test needs; a schema library would be one more
 * dependency for a document this small. Keep the tables in step with
 * docs/RESULTS-SCHEMA.md.
 */
#include "harness/store/validate.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum ftype { T_STR, T_INT, T_NUM, T_BOOL, T_OBJ, T_ARR, T_NUM_NULL, T_ANY };

/* When a field must be present. */
enum freq {
    R_ALWAYS,   /* in every record, failed or not */
    R_OK,       /* when status is "ok" */
    R_CLOSED,   /* closed loop, any status */
    R_OPEN,     /* open loop, any status */
    R_OPEN_OK,  /* open loop and "ok" */
    R_FAILED,   /* status "failed" */
    R_OPTIONAL, /* checked for type when present */
};

typedef struct field {
    const char *key;
    enum ftype type;
    enum freq req;
} field;

static const field top_fields[] = {
    { "schema", T_STR, R_ALWAYS },        { "complete", T_BOOL, R_ALWAYS },
    { "started", T_STR, R_ALWAYS },       { "duckfeed", T_OBJ, R_ALWAYS },
    { "machine", T_OBJ, R_ALWAYS },       { "command", T_STR, R_ALWAYS },
    { "points", T_ARR, R_ALWAYS },        { "seed", T_INT, R_OPTIONAL },
    { "interrupted", T_STR, R_OPTIONAL }, { "plan", T_OBJ, R_OPTIONAL },
    { "machines", T_ARR, R_OPTIONAL },    { NULL, 0, 0 },
};

static const field duckfeed_fields[] = {
    { "version", T_STR, R_ALWAYS },
    { "git_commit", T_STR, R_ALWAYS },
    { NULL, 0, 0 },
};

static const field machine_fields[] = {
    { "cpu_model", T_STR, R_ALWAYS },
    { "cores", T_INT, R_ALWAYS },
    { "affinity", T_INT, R_ALWAYS },
    { "load_avg", T_ARR, R_ALWAYS },
    { "kernel", T_STR, R_ALWAYS },
    { "compiler", T_STR, R_ALWAYS },
    { "build_type", T_STR, R_ALWAYS },
    { "build_flags", T_STR, R_ALWAYS },
    { "hostname", T_STR, R_ALWAYS },
    { "sanitize", T_STR, R_OPTIONAL },
    { NULL, 0, 0 },
};

/* #16: what `duckfeed merge` says of the plan it merged. */
static const field plan_fields[] = {
    { "id", T_STR, R_ALWAYS },         { "items", T_INT, R_ALWAYS },
    { "merged", T_INT, R_ALWAYS },     { "missing", T_ARR, R_ALWAYS },
    { "duplicates", T_ARR, R_ALWAYS }, { NULL, 0, 0 },
};

static const field point_fields[] = {
    /* identity */
    { "model", T_STR, R_ALWAYS },
    { "workers", T_INT, R_ALWAYS },
    { "threads", T_INT, R_ALWAYS },
    { "gil", T_STR, R_ALWAYS },
    { "switch_interval_us", T_INT, R_ALWAYS },
    { "hogs", T_INT, R_ALWAYS },
    { "workload", T_STR, R_ALWAYS },
    { "workload_spec", T_STR, R_OPTIONAL },
    { "params", T_OBJ, R_ALWAYS },
    { "load", T_STR, R_ALWAYS },
    { "concurrency", T_INT, R_CLOSED },
    { "rate_rps", T_NUM, R_OPEN },
    { "arrivals", T_STR, R_OPEN },
    { "max_inflight", T_INT, R_OPEN },
    { "seed", T_INT, R_OPEN },
    { "duration_s", T_NUM, R_ALWAYS },
    { "warmup_s", T_NUM, R_ALWAYS },
    { "warmup_auto", T_BOOL, R_OPTIONAL },
    { "target", T_STR, R_OPTIONAL },          /* #14 */
    { "request_cost_us", T_NUM, R_OPTIONAL }, /* #15 */
    { "requests", T_INT, R_OPTIONAL },
    { "repeat", T_INT, R_ALWAYS },
    { "repetitions_done", T_INT, R_OPTIONAL },
    { "status", T_STR, R_ALWAYS },
    { "failure", T_STR, R_FAILED },
    { "failure_signal", T_INT, R_OPTIONAL },           /* #17 */
    { "completed_before_failure", T_INT, R_OPTIONAL }, /* #17 */
    { "errors_before_failure", T_INT, R_OPTIONAL },    /* #17 */
    { "throughput_buckets", T_OBJ, R_OPTIONAL },       /* #17 */
    /* results */
    { "completed", T_INT, R_OK },
    { "errors", T_INT, R_OK },
    { "timeouts", T_INT, R_OK },
    { "succeeded", T_INT, R_OPTIONAL },
    { "error_rate", T_NUM, R_OPTIONAL },
    { "censored", T_INT, R_OPTIONAL },
    { "latency_lower_bound", T_BOOL, R_OPTIONAL },
    { "steady", T_BOOL, R_OPTIONAL },
    { "marks", T_ARR, R_OPTIONAL },
    { "throughput_rps", T_NUM, R_OK },
    { "throughput", T_OBJ, R_OK },
    { "latency_us", T_OBJ, R_OK },
    { "latency_naive_us", T_OBJ, R_OPEN_OK },
    { "queue_us", T_OBJ, R_OK },
    { "service_us", T_OBJ, R_OK },
    { "latency_cdf", T_ARR, R_OK },
    { "cpu_user_s", T_NUM, R_OK },
    { "cpu_sys_s", T_NUM, R_OK },
    { "ctx_switches_voluntary", T_INT, R_OK },
    { "ctx_switches_involuntary", T_INT, R_OK },
    { "max_rss_bytes", T_INT, R_OK },
    { "mem_per_inflight_bytes", T_NUM_NULL, R_OK },
    { "inflight_peak", T_INT, R_OPTIONAL },          /* #13 */
    { "rss_at_peak_bytes", T_NUM_NULL, R_OPTIONAL }, /* #13 */
    { "inflight_mean", T_NUM, R_OK },
    { "offered_rps", T_NUM, R_OPEN_OK },
    { "achieved_rps", T_NUM, R_OK },
    { "dropped", T_INT, R_OPEN_OK },
    { "checks", T_OBJ, R_OK },
    { "repetitions", T_ARR, R_OK },
    /* model extras */
    { "gil_stats", T_OBJ, R_OPTIONAL },
    { "loop", T_OBJ, R_OPTIONAL },
    { "peer", T_OBJ, R_OPTIONAL },
    { "hogs_stats", T_ANY, R_OPTIONAL },
    { "pool", T_OBJ, R_OPTIONAL },
    { "arbiter", T_OBJ, R_OPTIONAL },        /* #17 */
    { "errors_by_kind", T_OBJ, R_OPTIONAL }, /* #17 */
    { "http", T_OBJ, R_OPTIONAL },           /* #14: the target model */
    { "per_process", T_ARR, R_OPTIONAL },
    { "trace", T_ARR, R_OPTIONAL },
    { "warning", T_STR, R_OPTIONAL },
    { "machine", T_STR, R_OPTIONAL }, /* #16: merged parts */
    { NULL, 0, 0 },
};

static const field latency_fields[] = {
    { "mean", T_NUM, R_ALWAYS },
    { "p50", T_NUM, R_ALWAYS },
    { "p90", T_NUM, R_ALWAYS },
    { "p99", T_NUM, R_ALWAYS },
    { "p999", T_NUM, R_ALWAYS },
    { "max", T_NUM, R_ALWAYS },
    { NULL, 0, 0 },
};

static const field throughput_fields[] = {
    { "median", T_NUM, R_ALWAYS },
    { "min", T_NUM, R_ALWAYS },
    { "max", T_NUM, R_ALWAYS },
    { "ci95_low", T_NUM_NULL, R_ALWAYS },
    { "ci95_high", T_NUM_NULL, R_ALWAYS },
    { "n", T_INT, R_ALWAYS },
    { "mean", T_NUM, R_OPTIONAL },
    { "stdev", T_NUM, R_OPTIONAL },
    { NULL, 0, 0 },
};

static const field check_fields[] = {
    { "ok", T_BOOL, R_ALWAYS },
    { NULL, 0, 0 },
};

static const field littles_fields[] = {
    { "ok", T_BOOL, R_ALWAYS },
    { "inflight_sampled", T_NUM, R_ALWAYS },
    { "inflight_predicted", T_NUM, R_ALWAYS },
    { "error", T_NUM, R_ALWAYS },
    { NULL, 0, 0 },
};

static const field repetition_fields[] = {
    { "index", T_INT, R_ALWAYS },
    { "throughput_rps", T_NUM, R_ALWAYS },
    { NULL, 0, 0 },
};

typedef struct vctx {
    char *why;
    size_t n;
    char path[256]; /* "points[3].latency_us" */
} vctx;

__attribute__((format(printf, 3, 4))) static int problem(vctx *v,
                                                         const char *key,
                                                         const char *fmt,
                                                         ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (v->why && v->n)
        snprintf(v->why, v->n, "%s%s%s: %s", v->path,
                 v->path[0] && key ? "." : "", key ? key : "", msg);
    return -EINVAL;
}

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int type_ok(const json_t *j, enum ftype t)
{
    switch (t) {
    case T_STR:
        return json_is_string(j);
    case T_INT:
        return json_is_integer(j);
    case T_NUM:
        return json_is_number(j);
    case T_NUM_NULL:
        return json_is_number(j) || json_is_null(j);
    case T_BOOL:
        return json_is_boolean(j);
    case T_OBJ:
        return json_is_object(j);
    case T_ARR:
        return json_is_array(j);
    default:
        return 1;
    }
}

static const char *const type_words[] = {
    "a string",  "an integer", "a number",         "a boolean",
    "an object", "an array",   "a number or null", "anything",
};

static int required(enum freq r, int ok, int open, int failed)
{
    switch (r) {
    case R_ALWAYS:
        return 1;
    case R_OK:
        return ok;
    case R_CLOSED:
        return !open;
    case R_OPEN:
        return open;
    case R_OPEN_OK:
        return open && ok;
    case R_FAILED:
        return failed;
    default:
        return 0;
    }
}

/* Checks obj against fields; ok/open/failed select the conditional ones. */
static int check_fields_of(vctx *v,
                           const json_t *obj,
                           const field *f,
                           int ok,
                           int open,
                           int failed)
{
    for (; f->key; f++) {
        json_t *j = json_object_get(obj, f->key);
        if (!j) {
            if (required(f->req, ok, open, failed))
                return problem(v, f->key, "missing");
            continue;
        }
        if (!type_ok(j, f->type))
            return problem(v, f->key, "expected %s, got %s",
                           type_words[f->type], type_name(j));
        if (json_is_real(j) && !isfinite(json_real_value(j)))
            return problem(v, f->key, "not a finite number");
    }
    return 0;
}

/* Runs check on the member key of obj with the path extended by it. */
static int descend(vctx *v,
                   const json_t *obj,
                   const char *key,
                   const field *f,
                   int ok,
                   int open,
                   int failed)
{
    json_t *j = json_object_get(obj, key);
    if (!j)
        return 0; /* presence was checked by the parent's table */
    size_t len = strlen(v->path);
    snprintf(v->path + len, sizeof v->path - len, "%s%s", len ? "." : "", key);
    int rc = check_fields_of(v, j, f, ok, open, failed);
    v->path[len] = '\0';
    return rc;
}

static int check_enum(vctx *v, const json_t *obj, const char *key, ...)
{
    const char *s = json_string_value(json_object_get(obj, key));
    va_list ap;
    if (!s)
        return 0;
    va_start(ap, key);
    for (const char *e; (e = va_arg(ap, const char *));) {
        if (strcmp(s, e) == 0) {
            va_end(ap);
            return 0;
        }
    }
    va_end(ap);
    return problem(v, key, "unexpected value \"%s\"", s);
}

static int check_cdf(vctx *v, const json_t *cdf)
{
    size_t i;
    json_t *row;
    double last = -1;
    json_array_foreach(cdf, i, row)
    {
        char key[48];
        snprintf(key, sizeof key, "latency_cdf[%zu]", i);
        if (!json_is_array(row) || json_array_size(row) != 2 ||
            !json_is_number(json_array_get(row, 0)) ||
            !json_is_number(json_array_get(row, 1)))
            return problem(v, key, "expected [percentile, us]");
        double pct = json_number_value(json_array_get(row, 0));
        if (pct < last || pct < 0 || pct > 100)
            return problem(v, key, "percentiles must rise within 0..100");
        last = pct;
    }
    return 0;
}

/* #17: {"bucket_ms" > 0, "completed": [n...], "errors": [n...]}, the
 * arrays of one length, counts >= 0, errors within completed. */
static int check_buckets(vctx *v, const json_t *p)
{
    const json_t *b = json_object_get(p, "throughput_buckets");
    const json_t *done = json_object_get(b, "completed");
    const json_t *errs = json_object_get(b, "errors");
    size_t i;

    if (!b)
        return 0;
    if (json_integer_value(json_object_get(b, "bucket_ms")) <= 0)
        return problem(v, "throughput_buckets.bucket_ms",
                       "expected an integer > 0");
    if (!json_is_array(done) || !json_is_array(errs) ||
        json_array_size(done) != json_array_size(errs))
        return problem(v, "throughput_buckets",
                       "expected arrays completed and errors of one length");
    for (i = 0; i < json_array_size(done); i++) {
        const json_t *c = json_array_get(done, i), *e = json_array_get(errs, i);
        if (!json_is_integer(c) || !json_is_integer(e) ||
            json_integer_value(c) < 0 || json_integer_value(e) < 0 ||
            json_integer_value(e) > json_integer_value(c))
            return problem(v, "throughput_buckets",
                           "bucket %zu: expected counts, errors <= completed",
                           i);
    }
    return 0;
}

static int check_repetitions(vctx *v, const json_t *p)
{
    const json_t *reps = json_object_get(p, "repetitions");
    json_int_t n = json_integer_value(
        json_object_get(json_object_get(p, "throughput"), "n"));
    size_t i;
    json_t *r;
    if ((json_int_t)json_array_size(reps) != n)
        return problem(v, "repetitions", "%zu entries but throughput.n is %lld",
                       json_array_size(reps), (long long)n);
    json_array_foreach(reps, i, r)
    {
        char key[48];
        snprintf(key, sizeof key, "repetitions[%zu]", i);
        if (!json_is_object(r))
            return problem(v, key, "expected an object, got %s", type_name(r));
        size_t len = strlen(v->path);
        snprintf(v->path + len, sizeof v->path - len, ".%s", key);
        int rc = check_fields_of(v, r, repetition_fields, 1, 0, 0);
        v->path[len] = '\0';
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* #12: a point an interrupted sweep folded from fewer repetitions than
 * asked says how many, 1 .. repeat, and lists that many. */
static int check_repetitions_done(vctx *v, const json_t *p, int ok)
{
    const json_t *done = json_object_get(p, "repetitions_done");
    json_int_t n = json_integer_value(done);
    json_int_t repeat = json_integer_value(json_object_get(p, "repeat"));
    json_int_t ran = json_integer_value(
        json_object_get(json_object_get(p, "throughput"), "n"));

    if (!done)
        return 0;
    if (n < 1 || n > repeat)
        return problem(v, "repetitions_done", "%lld, expected 1..%lld",
                       (long long)n, (long long)repeat);
    if (ok && n != ran)
        return problem(v, "repetitions_done", "%lld but throughput.n is %lld",
                       (long long)n, (long long)ran);
    return 0;
}

/* "marks" names only known marks, and a point with one that makes it
 * unsteady is not "steady": true (docs/RESULTS-SCHEMA.md). */
static int check_marks(vctx *v, const json_t *p)
{
    static const char *const unsteady[] = { "not_steady", "window_short",
                                            "no_completions" };
    static const char *const info[] = { "warmup_capped", "censored", "errors",
                                        "loop_stalls", "peer_limited" };
    const json_t *marks = json_object_get(p, "marks");
    size_t i, k;
    json_t *m;
    json_array_foreach(marks, i, m)
    {
        const char *s = json_string_value(m);
        int known = 0, bad = 0;
        for (k = 0; s && k < sizeof unsteady / sizeof unsteady[0]; k++)
            known |= bad |= strcmp(s, unsteady[k]) == 0;
        for (k = 0; s && k < sizeof info / sizeof info[0]; k++)
            known |= strcmp(s, info[k]) == 0;
        if (!known)
            return problem(v, "marks", "unexpected value %s%s%s", s ? "\"" : "",
                           s ? s : type_name(m), s ? "\"" : "");
        if (bad && json_is_true(json_object_get(p, "steady")))
            return problem(v, "steady", "true but marked \"%s\"", s);
    }
    return 0;
}

static int check_point(vctx *v, const json_t *p)
{
    int rc;
    if (!json_is_object(p))
        return problem(v, NULL, "expected an object, got %s", type_name(p));
    if ((rc = check_enum(v, p, "status", "ok", "failed", NULL)) < 0 ||
        (rc = check_enum(v, p, "load", "closed", "open", NULL)) < 0 ||
        (rc = check_enum(v, p, "arrivals", "constant", "poisson", NULL)) < 0 ||
        (rc = check_enum(v, p, "gil", "new", "old", "off", NULL)) < 0)
        return rc;
    const char *status = json_string_value(json_object_get(p, "status"));
    const char *load = json_string_value(json_object_get(p, "load"));
    int ok = status && strcmp(status, "ok") == 0;
    int failed = status && strcmp(status, "failed") == 0;
    int open = load && strcmp(load, "open") == 0;
    if ((rc = check_fields_of(v, p, point_fields, ok, open, failed)) < 0 ||
        (rc = check_repetitions_done(v, p, ok)) < 0 ||
        (rc = check_marks(v, p)) < 0 || (rc = check_buckets(v, p)) < 0)
        return rc;
    if (!ok)
        return 0;
    static const char *const lat[] = { "latency_us", "latency_naive_us",
                                       "queue_us", "service_us" };
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++)
        if ((rc = descend(v, p, lat[i], latency_fields, 1, open, 0)) < 0)
            return rc;
    if ((rc = descend(v, p, "throughput", throughput_fields, 1, open, 0)) < 0 ||
        (rc = check_cdf(v, json_object_get(p, "latency_cdf"))) < 0 ||
        (rc = check_repetitions(v, p)) < 0)
        return rc;
    const json_t *checks = json_object_get(p, "checks");
    if (!json_object_get(checks, "littles_law"))
        return problem(v, "checks.littles_law", "missing");
    if (open && !json_object_get(checks, "rate"))
        return problem(v, "checks.rate", "missing");
    const char *name;
    json_t *c;
    json_object_foreach((json_t *)checks, name, c)
    {
        const field *f =
            strcmp(name, "littles_law") == 0 ? littles_fields : check_fields;
        size_t len = strlen(v->path);
        snprintf(v->path + len, sizeof v->path - len, "%schecks",
                 len ? "." : "");
        rc = json_is_object(c)
                 ? descend(v, checks, name, f, 1, open, 0)
                 : problem(v, name, "expected an object, got %s", type_name(c));
        v->path[len] = '\0';
        if (rc < 0)
            return rc;
    }
    return 0;
}

int df_validate_json(const json_t *doc, char *why, size_t n)
{
    vctx v = { .why = why, .n = n };
    int rc;
    if (!json_is_object(doc))
        return problem(&v, NULL, "the document is not a JSON object");
    if ((rc = check_fields_of(&v, doc, top_fields, 1, 0, 0)) < 0)
        return rc;
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (strcmp(schema, DF_RESULTS_SCHEMA_ID) != 0)
        return problem(&v, "schema", "\"%s\" is not %s", schema,
                       DF_RESULTS_SCHEMA_ID);
    if ((rc = check_enum(&v, doc, "interrupted", "SIGINT", "SIGTERM", NULL)) <
            0 ||
        (rc = descend(&v, doc, "duckfeed", duckfeed_fields, 1, 0, 0)) < 0 ||
        (rc = descend(&v, doc, "machine", machine_fields, 1, 0, 0)) < 0)
        return rc;
    json_t *load = json_object_get(json_object_get(doc, "machine"), "load_avg");
    if (json_array_size(load) != 3 || !json_is_number(json_array_get(load, 0)))
        return problem(&v, "machine.load_avg", "expected [1, 5, 15] minutes");
    size_t i;
    json_t *p;
    /* #16: a merged file lists every machine its points ran on. */
    json_array_foreach(json_object_get(doc, "machines"), i, p)
    {
        snprintf(v.path, sizeof v.path, "machines[%zu]", i);
        if (!json_is_object(p))
            return problem(&v, NULL, "expected an object, got %s",
                           type_name(p));
        if ((rc = check_fields_of(&v, p, machine_fields, 1, 0, 0)) < 0)
            return rc;
    }
    v.path[0] = '\0';
    if ((rc = descend(&v, doc, "plan", plan_fields, 1, 0, 0)) < 0)
        return rc;
    json_array_foreach(json_object_get(doc, "points"), i, p)
    {
        snprintf(v.path, sizeof v.path, "points[%zu]", i);
        if ((rc = check_point(&v, p)) < 0)
            return rc;
    }
    return 0;
}

/* #18: a valid file can still hold points that measured nothing: say so
 * beside "valid", one line each (at most 8), then how many were not
 * steady. Exit code unchanged: the file is well formed. */
static void warn_points(const json_t *doc, const char *file)
{
    const json_t *points = json_object_get(doc, "points");
    size_t i, said = 0, empty = 0, unsteady = 0;

    for (i = 0; i < json_array_size(points); i++) {
        const json_t *p = json_array_get(points, i);
        const char *st = json_string_value(json_object_get(p, "status"));

        if (!st || strcmp(st, "ok") != 0)
            continue;
        unsteady += json_is_false(json_object_get(p, "steady"));
        if (json_integer_value(json_object_get(p, "completed")) != 0)
            continue;
        empty++;
        if (said++ < 8)
            printf("%s: warning: points[%zu] (%s, concurrency %lld) "
                   "completed nothing: no figure there is a measurement\n",
                   file, i,
                   json_string_value(json_object_get(p, "model"))
                       ? json_string_value(json_object_get(p, "model"))
                       : "?",
                   (long long)json_integer_value(
                       json_object_get(p, "concurrency")));
    }
    if (unsteady)
        printf("%s: warning: %zu point%s not steady (see \"marks\"; no "
               "claim uses %s)%s\n",
               file, unsteady, unsteady == 1 ? " is" : "s are",
               unsteady == 1 ? "it" : "them",
               empty ? ", counting those that completed nothing" : "");
}

int df_validate_main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: duckfeed validate FILE\n"
               "Checks a results file against docs/RESULTS-SCHEMA.md.\n"
               "Warns, one line each, of points that completed nothing\n"
               "and counts those not steady (both stay valid).\n"
               "Exit: 0 valid, 2 invalid or unreadable (one line says why).\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "duckfeed validate: give one results file "
                        "(see --help)\n");
        return 2;
    }
    json_error_t jerr;
    /* #12: the same reading as every consumer's (resfile.c), so a file
     * validate passes is never one plot refuses. */
    json_t *doc = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (jerr.line > 0)
            fprintf(stderr, "duckfeed validate: %s: line %d: %s\n", argv[1],
                    jerr.line, jerr.text);
        else
            fprintf(stderr, "duckfeed validate: %s: %s\n", argv[1], jerr.text);
        return 2;
    }
    char why[512];
    int rc = df_validate_json(doc, why, sizeof why);
    if (rc < 0) {
        json_decref(doc);
        fprintf(stderr, "duckfeed validate: %s: %s\n", argv[1], why);
        return 2;
    }
    printf("%s: valid\n", argv[1]);
    warn_points(doc, argv[1]);
    json_decref(doc);
    return 0;
}
