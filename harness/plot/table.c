/* harness/plot/table.c - grouping results points into series, .dat tables.
 *
 * A series is every ok point that shares model, workers, threads, GIL
 * mode, switch interval, hogs, concurrency and workload parameters - minus
 * whatever the plot puts on x. Labels name only the fields that differ between
 * the series drawn together, so a legend reads "thread t=4 gil=off", not a full
 * config dump.
 */
#include "harness/plot/table.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/plot/gnuplot.h"
#include "harness/store/resfile.h"

/* `steady`; absent (older files): checks.steady_state.ok; neither: steady.
 * A point that completed nothing describes no service at all. */
static int point_steady(const json_t *j)
{
    const json_t *v = json_object_get(j, "steady");

    if (df_resfile_num(j, "completed", 1) <= 0)
        return 0;
    if (!json_is_boolean(v))
        v = json_object_get(
            json_object_get(json_object_get(j, "checks"), "steady_state"),
            "ok");
    return !json_is_false(v);
}

int df__plot_points_load(const json_t *doc, df__plot_point **out)
{
    const json_t *points = json_object_get(doc, "points");
    size_t i, n = json_array_size(points);
    df__plot_point *pts = calloc(n ? n : 1, sizeof *pts);

    *out = NULL;
    if (!pts)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        const json_t *j = json_array_get(points, i);
        df__plot_point *p = &pts[i];

        p->j = j;
        p->model = df_resfile_str(j, "model", "?");
        p->ops = df_model_find(p->model);
        p->gil = df_resfile_str(j, "gil", "new");
        p->workers = df_resfile_int(j, "workers", 1);
        p->threads = df_resfile_int(j, "threads", 1);
        p->hogs = df_resfile_int(j, "hogs", 0);
        p->concurrency = df_resfile_int(j, "concurrency", 1);
        p->switch_us = df_resfile_int(j, "switch_interval_us", 0);
        p->ok = df_resfile_point_ok(j);
        p->steady = point_steady(j);
        p->partial = df_resfile_num(j, "repetitions_done", 0) > 0 &&
                     df_resfile_num(j, "repetitions_done", 0) <
                         df_resfile_num(j, "repeat", 1);
        df_resfile_workload_spec(j, p->workload, sizeof p->workload);
    }
    *out = pts;
    return (int)n;
}

/* The model's lanes in the shape p ran (see df_model_ops.lanes). A loop
 * has one keeper however many tasks it holds; what a user turns up there
 * is the tasks in flight, so that is its count. A model not known here:
 * its recorded processes x threads. */
static double keepers(const df__plot_point *p)
{
    df_model_cfg shape = { .workers = p->workers, .threads = p->threads };
    int lanes;

    if (!p->ops)
        return (double)p->workers * p->threads;
    lanes = p->ops->lanes ? p->ops->lanes(&shape) : p->workers;
    return lanes > 0 ? lanes : p->concurrency;
}

double df__plot_x(const df__plot_point *p, df__plot_xvar x)
{
    switch (x) {
    case DF_PLOT_X_CONCURRENCY:
        return p->concurrency;
    case DF_PLOT_X_HOGS:
        return p->hogs;
    case DF_PLOT_X_SWITCH:
        return (double)p->switch_us / 1000.0;
    case DF_PLOT_X_KEEPERS:
        return keepers(p);
    case DF_PLOT_X_NONE:
        break;
    }
    return 0;
}

const char *df__plot_xvar_name(df__plot_xvar x)
{
    static const char *const names[] = { "none", "concurrency", "hogs",
                                         "switch_interval_ms", "keepers" };

    return names[x];
}

df__plot_xvar df__plot_load_axis(const df__plot_point *pts,
                                 const int *sel,
                                 int n)
{
    static const df__plot_xvar order[] = { DF_PLOT_X_CONCURRENCY,
                                           DF_PLOT_X_HOGS, DF_PLOT_X_SWITCH };
    size_t k;
    int i, first;

    for (k = 0; k < sizeof order / sizeof order[0]; k++) {
        double x0 = 0;

        first = 1;
        for (i = 0; i < n; i++) {
            const df__plot_point *p = &pts[sel[i]];

            if (!p->ok)
                continue;
            if (first)
                x0 = df__plot_x(p, order[k]), first = 0;
            else if (df__plot_x(p, order[k]) != x0)
                return order[k];
        }
    }
    return DF_PLOT_X_NONE;
}

/* Fields a series key is made of; which ones x swallows depends on x. */
/* F_PARAMS: the workload's parameters; plots group by workload name, so
 * "hash:release_gil=false" and "=true" become two lines on one plot. */
enum {
    F_MODEL,
    F_WORKERS,
    F_THREADS,
    F_GIL,
    F_SWITCH,
    F_HOGS,
    F_CONC,
    F_PARAMS,
    F_N
};

static int field_is_x(int f, df__plot_xvar x)
{
    switch (x) {
    case DF_PLOT_X_CONCURRENCY:
        return f == F_CONC;
    case DF_PLOT_X_HOGS:
        return f == F_HOGS;
    case DF_PLOT_X_SWITCH:
        return f == F_SWITCH;
    case DF_PLOT_X_KEEPERS:
        return f == F_WORKERS || f == F_THREADS || f == F_CONC;
    case DF_PLOT_X_NONE:
        break;
    }
    return 0;
}

static int field_cmp(const df__plot_point *a, const df__plot_point *b, int f)
{
    switch (f) {
    case F_MODEL:
        return strcmp(a->model, b->model);
    case F_WORKERS:
        return a->workers != b->workers;
    case F_THREADS:
        return a->threads != b->threads;
    case F_GIL:
        return strcmp(a->gil, b->gil);
    case F_SWITCH:
        return a->switch_us != b->switch_us;
    case F_HOGS:
        return a->hogs != b->hogs;
    case F_PARAMS:
        return strcmp(a->workload, b->workload);
    default:
        return a->concurrency != b->concurrency;
    }
}

static int same_series(const df__plot_point *a,
                       const df__plot_point *b,
                       df__plot_xvar x)
{
    int f;

    for (f = 0; f < F_N; f++)
        if (!field_is_x(f, x) && field_cmp(a, b, f))
            return 0;
    return 1;
}

static void append(char *buf, size_t len, const char *fmt, long long v)
{
    size_t used = strlen(buf);

    snprintf(buf + used, len - used, fmt, v);
}

/* The label shows the pool shape that sizes each model (a prefork one:
 * its workers; one sized by threads: its threads), its GIL when it has
 * one, and any other field that varies in vary. */
static void make_label(const df__plot_point *p,
                       const int *vary,
                       df__plot_xvar x,
                       char *buf,
                       size_t len)
{
    unsigned traits = p->ops ? p->ops->traits : 0;
    /* A model not known here may have a GIL: its record names one. */
    int gil = !p->ops || traits & DF_MODEL_GIL;
    size_t used;

    snprintf(buf, len, "%s", p->model);
    if (!field_is_x(F_WORKERS, x) &&
        (traits & DF_MODEL_PREFORK || (vary[F_WORKERS] && p->workers > 1)))
        append(buf, len, " w=%lld", p->workers);
    if (!field_is_x(F_THREADS, x) &&
        (traits & DF_MODEL_THREADS || (vary[F_THREADS] && p->threads > 1)))
        append(buf, len, " t=%lld", p->threads);
    /* A model without a shared interpreter has no GIL to name. */
    if (gil && (vary[F_GIL] || strcmp(p->gil, "new") != 0)) {
        used = strlen(buf);
        snprintf(buf + used, len - used, " gil=%s", p->gil);
    }
    if (!field_is_x(F_SWITCH, x) && vary[F_SWITCH]) {
        used = strlen(buf);
        snprintf(buf + used, len - used, " switch=%gms",
                 (double)p->switch_us / 1000.0);
    }
    if (!field_is_x(F_HOGS, x) && vary[F_HOGS])
        append(buf, len, " hogs=%lld", p->hogs);
    if (!field_is_x(F_CONC, x) && vary[F_CONC])
        append(buf, len, " c=%lld", p->concurrency);
    if (vary[F_N]) {
        /* Workloads of several names (one bar plot): the whole spec. */
        used = strlen(buf);
        snprintf(buf + used, len - used, " %s", p->workload);
    } else if (vary[F_PARAMS] && strchr(p->workload, ':')) {
        used = strlen(buf);
        snprintf(buf + used, len - used, " %s", strchr(p->workload, ':') + 1);
    }
}

/* The colour of a model (line styles 1-3, plots/common.gp): its place in
 * the list of models (process, thread, coroutine, then any registered),
 * repeating every 3; 3 for a model not known here. */
static int model_colour(const df_model_ops *ops)
{
    for (int i = 0; ops && df_model_at(i); i++)
        if (df_model_at(i) == ops)
            return i % 3 + 1;
    return 3;
}

static const df__plot_point *sort_pts;
static df__plot_xvar sort_x;

static int by_x(const void *a, const void *b)
{
    double xa = df__plot_x(&sort_pts[*(const int *)a], sort_x);
    double xb = df__plot_x(&sort_pts[*(const int *)b], sort_x);

    return (xa > xb) - (xa < xb);
}

/* For keepers, keep one point per x: the best throughput seen there. */
static void keep_best_per_x(const df__plot_point *pts, df__plot_series *s)
{
    int i, out = 0;

    for (i = 0; i < s->n; i++) {
        const df__plot_point *p = &pts[s->idx[i]];

        if (out > 0 && df__plot_x(&pts[s->idx[out - 1]], DF_PLOT_X_KEEPERS) ==
                           df__plot_x(p, DF_PLOT_X_KEEPERS)) {
            double prev =
                df_resfile_num(pts[s->idx[out - 1]].j, "throughput_rps", 0);

            if (df_resfile_num(p->j, "throughput_rps", 0) > prev)
                s->idx[out - 1] = s->idx[i];
            continue;
        }
        s->idx[out++] = s->idx[i];
    }
    s->n = out;
}

/* Sorts s by x, keeps the best point per x where x counts keepers, and
 * gives it its label and line style. sort_pts and sort_x are set. */
static void finish_series(const df__plot_point *pts,
                          df__plot_series *s,
                          const int *vary,
                          df__plot_xvar x,
                          int *per_model)
{
    int base = model_colour(pts[s->idx[0]].ops);

    qsort(s->idx, s->n, sizeof(int), by_x);
    if (x == DF_PLOT_X_KEEPERS)
        keep_best_per_x(pts, s);
    make_label(&pts[s->idx[0]], vary, x, s->label, sizeof s->label);
    /* #12: a line with a point of an interrupted sweep says so. */
    for (int i = 0; i < s->n; i++)
        if (pts[s->idx[i]].partial) {
            size_t used = strlen(s->label);

            snprintf(s->label + used, sizeof s->label - used, " (partial)");
            break;
        }
    /* Colour follows the model (styles 1-3), dash and point type the
     * series within it (+3 per further series), 12 styles in all. */
    s->style = base + 3 * (per_model[base]++ % 4);
}

int df__plot_series_build(const df__plot_point *pts,
                          const int *sel,
                          int n,
                          df__plot_xvar x,
                          df__plot_set *out)
{
    int vary[F_N + 1] = { 0 }; /* [F_N]: the workload names differ */
    int per_model[4] = { 0 };
    int i, k, f, first = -1;

    out->s = calloc(n ? n : 1, sizeof *out->s);
    out->n = 0;
    if (!out->s)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        const df__plot_point *p = &pts[sel[i]];

        if (!p->ok)
            continue;
        if (first < 0)
            first = sel[i];
        for (f = 0; f < F_N; f++)
            vary[f] |= field_cmp(p, &pts[first], f) != 0;
        vary[F_N] |=
            strcspn(p->workload, ":") != strcspn(pts[first].workload, ":") ||
            strncmp(p->workload, pts[first].workload,
                    strcspn(p->workload, ":")) != 0;
        for (k = 0; k < out->n; k++)
            if (same_series(&pts[out->s[k].idx[0]], p, x))
                break;
        if (k == out->n) {
            out->s[k].idx = calloc(n, sizeof(int));
            if (!out->s[k].idx) {
                df__plot_set_free(out);
                return -ENOMEM;
            }
            out->n++;
        }
        out->s[k].idx[out->s[k].n++] = sel[i];
    }
    sort_pts = pts;
    sort_x = x;
    for (k = 0; k < out->n; k++)
        finish_series(pts, &out->s[k], vary, x, per_model);
    if (x == DF_PLOT_X_KEEPERS) {
        for (i = k = 0; k < out->n; k++) {
            if (out->s[k].n >= 2)
                out->s[i++] = out->s[k];
            else
                free(out->s[k].idx);
        }
        out->n = i;
    }
    return 0;
}

void df__plot_set_free(df__plot_set *set)
{
    int k;

    for (k = 0; set->s && k < set->n; k++)
        free(set->s[k].idx);
    free(set->s);
    set->s = NULL;
    set->n = 0;
}

void df__plot_set_styles(const df__plot_set *set, char *buf, size_t len)
{
    int k;

    buf[0] = '\0';
    for (k = 0; k < set->n; k++)
        append(buf, len, k ? " %lld" : "%lld", set->s[k].style);
}

int df__plot_set_unsteady(const df__plot_point *pts,
                          const df__plot_set *set,
                          char *buf,
                          size_t len)
{
    int k, n = 0;

    buf[0] = '\0';
    for (k = 0; k < set->n; k++) {
        int u = !pts[set->s[k].idx[0]].steady;

        append(buf, len, k ? " %lld" : "%lld", u);
        n += u;
    }
    return n;
}

int df__plot_set_any_unsteady(const df__plot_point *pts,
                              const df__plot_set *set)
{
    int k, i;

    for (k = 0; k < set->n; k++)
        for (i = 0; i < set->s[k].n; i++)
            if (!pts[set->s[k].idx[i]].steady)
                return 1;
    return 0;
}

/* A computed column, or the field at path; NaN when missing. Times in µs
 * are clamped to 1 µs (the histogram's resolution) so log axes keep them. */
static double column_value(const df__plot_point *pts,
                           const df__plot_series *s,
                           int i,
                           const df__plot_column *c)
{
    const df__plot_point *p = &pts[s->idx[i]];
    double v;

    if (!c->path) {
        if (strcmp(c->name, "kib_per_added_request") == 0) {
            /* (RSS(c) - RSS(c_min)) / (c - c_min): what each request
             * added beyond the series' lightest load costs, without the
             * fixed cost of the runtime that a per-request share of the
             * peak RSS would spread over few clients. */
            const df__plot_point *p0 = &pts[s->idx[0]];
            double r0 = df_resfile_num(p0->j, "max_rss_bytes", NAN);

            v = df_resfile_num(p->j, "max_rss_bytes", NAN);
            if (i == 0 || p->concurrency <= p0->concurrency)
                return NAN;
            v = (v - r0) / 1024.0 / (p->concurrency - p0->concurrency);
            return v > 0.01 ? v : 0.01; /* a log axis keeps "nothing" */
        }
        if (strcmp(c->name, "kib_per_inflight") == 0)
            return df_resfile_num(p->j, "mem_per_inflight_bytes", NAN) / 1024.0;
        if (strcmp(c->name, "rss_mib") == 0)
            return df_resfile_num(p->j, "max_rss_bytes", NAN) / 1048576.0;
        if (strcmp(c->name, "speedup") == 0) {
            /* Relative to the series' smallest x, scaled by that x: with
             * x = 1 present this is plain T(x) / T(1). */
            double t0 = df_resfile_num(pts[s->idx[0]].j, "throughput_rps", 0);
            double x0 = df__plot_x(&pts[s->idx[0]], DF_PLOT_X_KEEPERS);

            v = df_resfile_num(p->j, "throughput_rps", NAN);
            return t0 > 0 ? v / t0 * x0 : NAN;
        }
        return NAN;
    }
    v = df_resfile_num(p->j, c->path, NAN);
    if (strstr(c->name, "_us") && !isnan(v) && v < 1)
        v = 1;
    return v;
}

int df__plot_table_write(const char *path,
                         const char *what,
                         const char *comment,
                         const df__plot_point *pts,
                         const df__plot_set *set,
                         df__plot_xvar x,
                         const df__plot_column *cols,
                         int ncols)
{
    FILE *f = fopen(path, "w");
    int k, i, c;

    if (!f)
        return -errno;
    fprintf(f, "# duckfeed plot table: %s\n", what);
    if (comment && *comment) {
        fputs("# ", f);
        df__gnuplot_put_comment(f, comment);
        fputc('\n', f);
    }
    fprintf(f,
            "# one block per series (gnuplot index 0..%d); its first line"
            " is the legend title\n# columns: %s",
            set->n - 1, df__plot_xvar_name(x));
    for (c = 0; c < ncols; c++)
        fprintf(f, " %s", cols[c].name);
    fputs(" steady\n", f);
    for (k = 0; k < set->n; k++) {
        const df__plot_series *s = &set->s[k];

        fprintf(f, "%s\"", k ? "\n\n" : "");
        df__gnuplot_put_field(f, s->label);
        fprintf(f, "\" %s", df__plot_xvar_name(x));
        for (c = 0; c < ncols; c++)
            fprintf(f, " %s", cols[c].name);
        fputs(" steady\n", f);
        for (i = 0; i < s->n; i++) {
            fprintf(f, "%g", df__plot_x(&pts[s->idx[i]], x));
            for (c = 0; c < ncols; c++)
                fprintf(f, " %.6g", column_value(pts, s, i, &cols[c]));
            fprintf(f, " %d\n", pts[s->idx[i]].steady);
        }
    }
    if (fclose(f) != 0)
        return -errno;
    return 0;
}

int df__plot_bars_write(const char *path,
                        const char *footer,
                        const df__plot_point *pts,
                        const df__plot_set *set)
{
    FILE *f = fopen(path, "w");
    int k, any_slow = 0;

    if (!f)
        return -errno;
    /* The detector's count, where it fired at all (else it is noise). */
    for (k = 0; k < set->n; k++)
        any_slow |= df_resfile_num(pts[set->s[k].idx[0]].j,
                                   "loop.slow_callbacks", 0) > 0;
    fputs("# duckfeed plot table: one load level, one row per setup\n# ", f);
    df__gnuplot_put_comment(f, footer);
    fputs("\n# columns: label throughput_rps p50_us p99_us steady\n", f);
    for (k = 0; k < set->n; k++) {
        const df__plot_point *p = &pts[set->s[k].idx[0]];
        const json_t *j = p->j;
        double slow = df_resfile_num(j, "loop.slow_callbacks", NAN);

        fputc('"', f);
        df__gnuplot_put_field(f, set->s[k].label);
        /* A deliberate line break: gnuplot reads "\n" in a field as one. */
        if (any_slow && !isnan(slow))
            fprintf(f, "\\n%.0f slow callback%s", slow, slow == 1 ? "" : "s");
        if (!p->steady)
            fputs("\\n(not steady)", f);
        fprintf(f, "\" %.6g %.6g %.6g %d\n",
                df_resfile_num(j, "throughput_rps", NAN),
                df_resfile_num(j, "latency_us.p50", NAN),
                df_resfile_num(j, "latency_us.p99", NAN), p->steady);
    }
    return fclose(f) == 0 ? 0 : -errno;
}
