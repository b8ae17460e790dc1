/* harness/store/calibration.c - reads results/calibration.json (#15).
 *
 * The file is small and written by real.py, but it may be hand-edited or
 * stale, so every field is checked before a cost is used: a wrong cost
 * silently charged would bend every simulated figure of the run.
 */
#include "harness/store/calibration.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

/* Checks entry i of the "entries" array: name, model, request_cost_us in
 * [0, DF_CALIBRATION_MAX_COST_US] and, when present, cpu_slope > 0. */
static int check_entry(const char *path, const json_t *e, size_t i, df_err *err)
{
    const json_t *cost = json_object_get(e, "request_cost_us");
    const json_t *slope = json_object_get(e, "cpu_slope");

    if (!json_is_object(e))
        return df_err_set(err, -EINVAL, "%s: entries[%zu] is not an object",
                          path, i);
    if (!json_is_string(json_object_get(e, "name")) ||
        !json_is_string(json_object_get(e, "model")))
        return df_err_set(err, -EINVAL,
                          "%s: entries[%zu] needs string name and model", path,
                          i);
    if (!json_is_number(cost) || json_number_value(cost) < 0 ||
        json_number_value(cost) > DF_CALIBRATION_MAX_COST_US)
        return df_err_set(err, -EINVAL,
                          "%s: entries[%zu].request_cost_us must be a number "
                          "in [0, %g]",
                          path, i, DF_CALIBRATION_MAX_COST_US);
    if (slope && (!json_is_number(slope) || json_number_value(slope) <= 0))
        return df_err_set(err, -EINVAL,
                          "%s: entries[%zu].cpu_slope must be a number > 0",
                          path, i);
    return 0;
}

/* Loads path and checks its schema and every entry; *out is the
 * "entries" array (borrowed from *doc, which the caller decrefs). */
static int load(const char *path, json_t **doc, json_t **out, df_err *err)
{
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);

    *doc = d;
    if (!d) {
        int code = je.position == 0 && je.line <= 0 ? -ENOENT : -EINVAL;
        return df_err_set(err, code, "%s: %s", path, je.text);
    }
    const char *schema = json_string_value(json_object_get(d, "schema"));
    if (!schema || strcmp(schema, DF_CALIBRATION_SCHEMA) != 0)
        return df_err_set(err, -EINVAL,
                          "%s: not a calibration file (schema "
                          "is not \"" DF_CALIBRATION_SCHEMA "\")",
                          path);
    json_t *entries = json_object_get(d, "entries");
    if (!json_is_array(entries) || json_array_size(entries) == 0)
        return df_err_set(err, -EINVAL, "%s: entries must be a non-empty array",
                          path);
    for (size_t i = 0; i < json_array_size(entries); i++) {
        int rc = check_entry(path, json_array_get(entries, i), i, err);
        if (rc < 0)
            return rc;
    }
    *out = entries;
    return 0;
}

int df_calibration_cost(const char *spec,
                        const char *model_name,
                        int64_t *cost_ns,
                        df_err *err)
{
    char path[4096];
    const char *hash = strrchr(spec, '#');
    const char *want = hash ? hash + 1 : NULL;
    size_t n = hash ? (size_t)(hash - spec) : strlen(spec);
    json_t *doc = NULL, *entries = NULL;

    *cost_ns = 0;
    if (n == 0 || n >= sizeof path || (want && !*want))
        return df_err_set(err, -EINVAL,
                          "--calibration %s: want FILE or "
                          "FILE#NAME",
                          spec);
    memcpy(path, spec, n);
    path[n] = '\0';
    int rc = load(path, &doc, &entries, err);
    if (rc == 0 && !want && !model_name) { /* the file alone */
        json_decref(doc);
        return 0;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(entries); i++) {
        const json_t *e = json_array_get(entries, i);
        const char *key =
            json_string_value(json_object_get(e, want ? "name" : "model"));
        if (strcmp(key, want ? want : model_name) == 0) {
            double us =
                json_number_value(json_object_get(e, "request_cost_us"));
            *cost_ns = (int64_t)(us * 1000.0 + 0.5);
            json_decref(doc);
            return 0;
        }
    }
    if (rc == 0)
        rc = want
                 ? df_err_set(err, -ENOENT, "%s: no entry named %s", path, want)
                 : df_err_set(err, -ENOENT, "%s: no entry for model %s", path,
                              model_name);
    json_decref(doc);
    return rc;
}
