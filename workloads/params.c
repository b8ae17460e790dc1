/* workloads/params.c - parsing and formatting of workload parameters.
 *
 * Values are parsed by hand rather than with strtod: a duration such as
 * "1.5ms" must become an exact integer of ns, and every rejected input (a
 * sign, junk after the unit, an overflow) needs its own one-line message.
 */
#include "workloads/params.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workloads/registry.h"

#define SPEC_MAX 1024

typedef struct unit {
    const char *name;
    int64_t scale; /* ns or bytes per one of this unit */
} unit;

/* The first entry of a scale is the one df_params_format writes. */
static const unit duration_units[] = {
    { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 },
    { "ns", 1 },         { NULL, 0 },
};
static const unit size_units[] = {
    { "GB", INT64_C(1) << 30 },
    { "MB", 1 << 20 },
    { "KB", 1024 },
    { "B", 1 },
    { "GiB", INT64_C(1) << 30 },
    { "MiB", 1 << 20 },
    { "KiB", 1024 },
    { NULL, 0 },
};

static const unit *units_of(df_param_type type)
{
    if (type == DF_PARAM_DURATION)
        return duration_units;
    if (type == DF_PARAM_SIZE)
        return size_units;
    return NULL;
}

int64_t df_params_unit_scale(df_param_type type, const char *name)
{
    const unit *u = units_of(type);

    if (!u)
        return 0;
    if (!name)
        return 1;
    for (; u->name; u++) {
        /* Units are case-insensitive: "64kb" and "2MS" mean one thing. */
        if (strcasecmp(u->name, name) == 0)
            return u->scale;
    }
    return 0;
}

int df_params_count(const df_workload *w)
{
    int n = 0;

    if (!w->params)
        return 0;
    while (w->params[n].name) {
        if (++n > DF_WORKLOAD_MAX_PARAMS)
            return -EINVAL;
    }
    return n;
}

int df_params_index(const df_workload *w, const char *name)
{
    int n = df_params_count(w);

    for (int i = 0; i < n; i++) {
        if (strcmp(w->params[i].name, name) == 0)
            return i;
    }
    return -ENOENT;
}

static const char *type_hint(df_param_type type)
{
    switch (type) {
    case DF_PARAM_DURATION:
        return "is not a duration (try 500us, 2ms, 1s)";
    case DF_PARAM_SIZE:
        return "is not a size (try 512B, 64KB, 1MB; 1 KB = 1024 B)";
    case DF_PARAM_BOOL:
        return "is not a boolean (try true or false)";
    case DF_PARAM_INT:
        break;
    }
    return "is not an integer";
}

static int bad_value(df_err *err,
                     const char *workload,
                     const df_param_decl *decl,
                     const char *text,
                     const char *why)
{
    return df_err_set(err, -EINVAL, "workload %s: parameter %s: \"%s\" %s",
                      workload, decl->name, text, why);
}

/* Decimal with optional fraction and unit: "20", "1.5ms", "64KB". Returns 0
 * and *out, or the reason it is not one (-EINVAL, -ERANGE, -EDOM for a sign).
 */
static int parse_scaled(const char *s, const df_param_decl *decl, int64_t *out)
{
    int64_t ip = 0, frac = 0, frac_den = 1, scale;
    int digits = 0;

    if (*s == '-')
        return -EDOM;
    for (; isdigit((unsigned char)*s); s++, digits++) {
        if (ip > (INT64_MAX - 9) / 10)
            return -ERANGE;
        ip = ip * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s); s++, digits++) {
            /* Beyond 1e-9 of a unit nothing is representable: drop. */
            if (frac_den < 1000000000) {
                frac = frac * 10 + (*s - '0');
                frac_den *= 10;
            }
        }
    }
    if (digits == 0)
        return -EINVAL;
    scale = df_params_unit_scale(decl->type, *s ? s : decl->unit);
    if (scale == 0)
        return -EINVAL;
    if (ip > INT64_MAX / scale)
        return -ERANGE;
    /* frac < frac_den <= 1e9 and scale <= 2^30: the product fits. */
    int64_t part = frac * scale / frac_den;
    if (ip * scale > INT64_MAX - part)
        return -ERANGE;
    *out = ip * scale + part;
    return 0;
}

static int parse_bool(const char *s, int64_t *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1", NULL };
    static const char *const no[] = { "false", "no", "off", "0", NULL };

    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -EINVAL;
}

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v;

    /* strtoll would skip leading blanks; a value is the text as written. */
    if (!isdigit((unsigned char)*s) && *s != '-' && *s != '+')
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || *end != '\0')
        return -EINVAL;
    if (errno == ERANGE)
        return -ERANGE;
    *out = v;
    return 0;
}

int df_param_parse_value(const char *workload,
                         const df_param_decl *decl,
                         const char *text,
                         int64_t *out,
                         df_err *err)
{
    int64_t v = 0;
    int rc;

    switch (decl->type) {
    case DF_PARAM_INT:
        rc = parse_int(text, &v);
        break;
    case DF_PARAM_BOOL:
        rc = parse_bool(text, &v);
        break;
    case DF_PARAM_DURATION:
    case DF_PARAM_SIZE:
        if (df_params_unit_scale(decl->type, decl->unit) == 0)
            return df_err_set(err, -EINVAL,
                              "workload %s: parameter %s: unknown unit \"%s\"",
                              workload, decl->name, decl->unit);
        rc = parse_scaled(text, decl, &v);
        break;
    default:
        return df_err_set(err, -EINVAL,
                          "workload %s: parameter %s: unknown type %d",
                          workload, decl->name, (int)decl->type);
    }
    /* #12: the bound applies however the value was written. */
    if (decl->type == DF_PARAM_DURATION &&
        (rc == -ERANGE || (rc == 0 && v > DF_PARAM_DURATION_MAX_NS)))
        return df_err_set(err, -EINVAL,
                          "workload %s: parameter %s: \"%s\" is above the "
                          "limit of %" PRId64 "s",
                          workload, decl->name, text,
                          DF_PARAM_DURATION_MAX_NS / 1000000000);
    if (rc == -ERANGE)
        return bad_value(err, workload, decl, text, "is out of range");
    if (rc == -EDOM)
        return bad_value(err, workload, decl, text,
                         decl->type == DF_PARAM_SIZE
                             ? "is negative (a size cannot be)"
                             : "is negative (a duration cannot be)");
    if (rc < 0)
        return bad_value(err, workload, decl, text, type_hint(decl->type));
    *out = v;
    return 0;
}

int df_params_defaults(const df_workload *w, df_params *p, df_err *err)
{
    df_params tmp = { 0 };
    int n = df_params_count(w);

    if (n < 0)
        return df_err_set(err, -EINVAL, "workload %s: more than %d parameters",
                          w->name, DF_WORKLOAD_MAX_PARAMS);
    for (int i = 0; i < n; i++) {
        const df_param_decl *d = &w->params[i];
        if (!d->default_value)
            return df_err_set(err, -EINVAL,
                              "workload %s: parameter %s has no default",
                              w->name, d->name);
        int rc = df_param_parse_value(w->name, d, d->default_value,
                                      &tmp.value[i], err);
        if (rc < 0)
            return rc;
    }
    tmp.count = n;
    *p = tmp;
    return 0;
}

static void known_names(const df_workload *w, char *buf, size_t n)
{
    int count = df_params_count(w);
    size_t used = 0;

    buf[0] = '\0';
    if (count <= 0) {
        snprintf(buf, n, "none");
        return;
    }
    for (int i = 0; i < count && used < n; i++) {
        int r = snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
                         w->params[i].name);
        if (r < 0)
            break;
        used += (size_t)r;
    }
}

/* Applies one "k=v" item of a spec to p; seen[] catches repeats. */
static int apply_item(const df_workload *w,
                      char *item,
                      df_params *p,
                      int *seen,
                      df_err *err)
{
    char known[256];
    char *eq = strchr(item, '=');
    int i;

    if (*item == '\0')
        return df_err_set(err, -EINVAL,
                          "workload %s: empty parameter "
                          "(write name=value, separated by commas)",
                          w->name);
    if (!eq)
        return df_err_set(err, -EINVAL,
                          "workload %s: parameter \"%s\" has no value "
                          "(write %s=VALUE)",
                          w->name, item, item);
    *eq = '\0';
    i = df_params_index(w, item);
    if (i < 0) {
        known_names(w, known, sizeof known);
        return df_err_set(err, -EINVAL,
                          "workload %s: unknown parameter \"%s\" (known: %s)",
                          w->name, item, known);
    }
    if (seen[i])
        return df_err_set(err, -EINVAL,
                          "workload %s: parameter %s is given twice", w->name,
                          item);
    seen[i] = 1;
    return df_param_parse_value(w->name, &w->params[i], eq + 1, &p->value[i],
                                err);
}

int df_workload_parse_spec(const char *spec,
                           const df_workload **w,
                           df_params *p,
                           df_err *err)
{
    char buf[SPEC_MAX];
    int seen[DF_WORKLOAD_MAX_PARAMS] = { 0 };
    const df_workload *found;
    df_params tmp;
    char *rest, *item, *save = NULL;
    int rc;

    if (!spec || !*spec)
        return df_err_set(err, -EINVAL,
                          "workload spec is empty "
                          "(try noop, or cpu:us=2000; see duckfeed list)");
    if (strlen(spec) >= sizeof buf)
        return df_err_set(err, -EINVAL,
                          "workload spec is longer than %d "
                          "characters",
                          SPEC_MAX - 1);
    memcpy(buf, spec, strlen(spec) + 1);
    rest = strchr(buf, ':');
    if (rest)
        *rest++ = '\0';
    found = df_registry_find(buf);
    if (!found)
        return df_err_set(err, -EINVAL,
                          "unknown workload \"%s\" (see duckfeed list)", buf);
    rc = df_params_defaults(found, &tmp, err);
    if (rc < 0)
        return rc;
    if (rest) {
        /* "cpu:" alone is an empty item, as is "cpu:us=1,,". */
        size_t len = strlen(rest);
        if (len == 0 || rest[len - 1] == ',' || strstr(rest, ",,") ||
            rest[0] == ',')
            return apply_item(found, (char[]){ "" }, &tmp, seen, err);
        for (item = strtok_r(rest, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
            rc = apply_item(found, item, &tmp, seen, err);
            if (rc < 0)
                return rc;
        }
    }
    *w = found;
    *p = tmp;
    return 0;
}

/* Writes v (ns or bytes) in the declared unit, or with the largest unit that
 * holds it exactly, so that parsing the text back gives v. */
static int format_scaled(const df_param_decl *d, int64_t v, char *buf, size_t n)
{
    int64_t scale = df_params_unit_scale(d->type, d->unit);

    if (scale > 0 && v % scale == 0)
        return snprintf(buf, n, "%" PRId64, v / scale);
    for (const unit *u = units_of(d->type); u && u->name; u++) {
        if (v % u->scale == 0)
            return snprintf(buf, n, "%" PRId64 "%s", v / u->scale, u->name);
    }
    return snprintf(buf, n, "%" PRId64, v);
}

int df_params_format(const df_workload *w,
                     const df_params *p,
                     char *buf,
                     size_t n)
{
    size_t used = 0;
    int count = df_params_count(w);
    int r;

    if (n == 0)
        return -ENOSPC;
    r = snprintf(buf, n, "%s", w->name);
    for (int i = 0; r >= 0 && i < count && i < p->count; i++) {
        const df_param_decl *d = &w->params[i];
        char val[48];
        used += (size_t)r;
        if (used >= n)
            break;
        if (d->type == DF_PARAM_BOOL)
            snprintf(val, sizeof val, "%s", p->value[i] ? "true" : "false");
        else if (d->type == DF_PARAM_INT)
            snprintf(val, sizeof val, "%" PRId64, p->value[i]);
        else
            format_scaled(d, p->value[i], val, sizeof val);
        r = snprintf(buf + used, n - used, "%c%s=%s", i ? ',' : ':', d->name,
                     val);
    }
    if (r < 0)
        return -EINVAL;
    used += (size_t)r;
    if (used >= n)
        return -ENOSPC;
    return (int)used;
}
