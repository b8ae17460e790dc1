/* harness/store/resfile.c - loading and checking a results file, typed
 * accessors. */
#include "harness/store/resfile.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Walks "a.b.c" through nested objects; NULL when a step is missing. */
static const json_t *lookup(const json_t *obj, const char *path)
{
    char key[64];

    while (obj && *path) {
        size_t n = strcspn(path, ".");

        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        path += n + (path[n] == '.');
    }
    return obj;
}

double df_resfile_num(const json_t *obj, const char *path, double dflt)
{
    const json_t *v = lookup(obj, path);

    return json_is_number(v) ? json_number_value(v) : dflt;
}

int df_resfile_int(const json_t *obj, const char *path, int dflt)
{
    double v = df_resfile_num(obj, path, NAN);

    /* NaN (missing) fails both comparisons. */
    return v > (double)INT_MIN - 1 && v < (double)INT_MAX + 1 ? (int)v : dflt;
}

const char *df_resfile_str(const json_t *obj,
                           const char *path,
                           const char *dflt)
{
    const json_t *v = lookup(obj, path);

    return json_is_string(v) ? json_string_value(v) : dflt;
}

int df_resfile_point_ok(const json_t *point)
{
    return strcmp(df_resfile_str(point, "status", "ok"), "ok") == 0;
}

void df_resfile_workload_spec(const json_t *point, char *buf, size_t len)
{
    const json_t *params = json_object_get(point, "params");
    const char *key;
    const json_t *v;
    size_t used;
    char sep = ':';

    snprintf(buf, len, "%s", df_resfile_str(point, "workload", "?"));
    if (!json_is_object(params))
        return;
    json_object_foreach((json_t *)params, key, v)
    {
        used = strlen(buf);
        if (json_is_integer(v))
            snprintf(buf + used, len - used, "%c%s=%lld", sep, key,
                     (long long)json_integer_value(v));
        else if (json_is_number(v))
            snprintf(buf + used, len - used, "%c%s=%g", sep, key,
                     json_number_value(v));
        else if (json_is_string(v))
            snprintf(buf + used, len - used, "%c%s=%s", sep, key,
                     json_string_value(v));
        else if (json_is_boolean(v))
            snprintf(buf + used, len - used, "%c%s=%s", sep, key,
                     json_is_true(v) ? "true" : "false");
        sep = ',';
    }
}

void df_resfile_footer(const json_t *doc, char *buf, size_t len)
{
    const char *started = df_resfile_str(doc, "started", "date unknown");
    int cores = df_resfile_int(doc, "machine.cores", 0);

    snprintf(buf, len, "%.10s, %d cores %s, %s, %s", started, cores,
             df_resfile_str(doc, "machine.cpu_model", "unknown CPU"),
             df_resfile_str(doc, "machine.kernel", "unknown kernel"),
             df_resfile_str(doc, "machine.compiler", "unknown compiler"));
}

/* What every consumer assumes of one point; a reason, or NULL if fine. */
static const char *check_point(const json_t *pt)
{
    if (!json_is_object(pt))
        return "is not an object";
    if (!json_is_string(json_object_get(pt, "model")))
        return "has no \"model\" string";
    if (!json_is_string(json_object_get(pt, "workload")))
        return "has no \"workload\" string";
    if (df_resfile_point_ok(pt) &&
        !json_is_number(json_object_get(pt, "throughput_rps")))
        return "has status ok but no \"throughput_rps\" number";
    return NULL;
}

int df_resfile_load(const char *path, json_t **out, df_err *err)
{
    json_error_t jerr;
    json_t *doc, *points;
    const char *schema, *why;
    size_t i;

    *out = NULL;
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (jerr.line < 0)
            return df_err_set(err, -ENOENT, "%s", jerr.text);
        return df_err_set(err, -EINVAL, "not valid JSON (line %d: %s)",
                          jerr.line, jerr.text);
    }
    schema = df_resfile_str(doc, "schema", NULL);
    if (!json_is_object(doc) || !schema) {
        json_decref(doc);
        return df_err_set(err, -EINVAL, "no \"schema\": not a results file");
    }
    if (strcmp(schema, DF_RESFILE_SCHEMA) != 0) {
        int rc = df_err_set(err, -EINVAL, "schema \"%.60s\", expected \"%s\"",
                            schema, DF_RESFILE_SCHEMA);

        json_decref(doc); /* schema points into doc: format first */
        return rc;
    }
    points = json_object_get(doc, "points");
    if (!json_is_array(points)) {
        json_decref(doc);
        return df_err_set(err, -EINVAL, "no \"points\" array");
    }
    for (i = 0; i < json_array_size(points); i++) {
        why = check_point(json_array_get(points, i));
        if (why) {
            df_err_set(err, -EINVAL, "point %zu %s", i, why);
            json_decref(doc);
            return -EINVAL;
        }
    }
    *out = doc;
    return 0;
}
