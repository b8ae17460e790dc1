/* harness/plot/table.h - (harness/ private) results points -> .dat tables.
 *
 * The plot step works in two halves: this one flattens the points of a
 * results file, groups them into series (one line on a plot) and writes
 * gnuplot-ready tables; plot.c picks what to draw and runs gnuplot on them.
 */
#ifndef DF_HARNESS_PLOT_TABLE_H
#define DF_HARNESS_PLOT_TABLE_H

#include <stdio.h>

#include <jansson.h>

#include "models/model.h"

typedef struct df__plot_point {
    const json_t *j; /* the point's object in the results document */
    const char *model, *gil;
    /* The model's traits: df_model_find(model), NULL when it is not known
     * in this process (results of a model registered elsewhere). */
    const df_model_ops *ops;
    int workers, threads, hogs, concurrency;
    long long switch_us;
    int ok;      /* status ok: has latency and throughput */
    int partial; /* ran fewer repetitions than asked (#12) */
    /* #18: 0 when its figures are not steady-state ones (docs/
     * RESULTS-SCHEMA.md `steady`, or nothing completed): drawn hollow. */
    int steady;
    char workload[128]; /* "cpu:us=2000" */
} df__plot_point;

/* What a line plot puts on its x axis. */
typedef enum df__plot_xvar {
    DF_PLOT_X_NONE = 0,
    DF_PLOT_X_CONCURRENCY, /* clients in flight: the load */
    DF_PLOT_X_HOGS,        /* CPU-bound neighbour threads (convoy) */
    DF_PLOT_X_SWITCH,      /* GIL switch interval */
    DF_PLOT_X_KEEPERS, /* workers x threads; tasks in flight for coroutine */
} df__plot_xvar;

/* One line on a plot: the points that share everything but x. */
typedef struct df__plot_series {
    char label[96];
    int style; /* line style in plots/common.gp (colour = model) */
    int n;     /* points in idx, sorted by x */
    int *idx;  /* indexes into the point array */
} df__plot_series;

typedef struct df__plot_set {
    df__plot_series *s;
    int n;
} df__plot_set;

/* Columns of a line-plot table after x: a header name and a dotted path
 * into the point (or a computed column, see plot_table.c). */
typedef struct df__plot_column {
    const char *name; /* "p99_us"; also what the .gp scripts document */
    const char *path; /* "latency_us.p99"; NULL: computed from name */
} df__plot_column;

/* Fills pts[0..n) from doc's points; returns n or -ENOMEM (*out NULL). */
int df__plot_points_load(const json_t *doc, df__plot_point **out);

double df__plot_x(const df__plot_point *p, df__plot_xvar x);
const char *df__plot_xvar_name(df__plot_xvar x);

/* The x axis of a load plot among the ok points of sel (n of them):
 * the first of concurrency, hogs, switch interval that takes 2+ values. */
df__plot_xvar df__plot_load_axis(const df__plot_point *pts,
                                 const int *sel,
                                 int n);

/* Groups ok points of sel into series that differ in all but x; each
 * series sorted by x. Labels name only what tells the series apart.
 * For DF_PLOT_X_KEEPERS only series with two or more x values are kept, and
 * one point per x (the highest throughput: the pool at saturation).
 * 0 or -ENOMEM; free with df__plot_set_free. */
int df__plot_series_build(const df__plot_point *pts,
                          const int *sel,
                          int n,
                          df__plot_xvar x,
                          df__plot_set *out);
void df__plot_set_free(df__plot_set *set);

/* "1 2 3 4": the series' line styles, for the scripts' `styles` word list. */
void df__plot_set_styles(const df__plot_set *set, char *buf, size_t len);

/* "0 1 0": 1 for each series whose first point is not steady (one-point
 * series: bars, CDF), for the scripts' `unsteady` word list. Returns how
 * many series are not steady. */
int df__plot_set_unsteady(const df__plot_point *pts,
                          const df__plot_set *set,
                          char *buf,
                          size_t len);

/* 1 when any point of the set is not steady. */
int df__plot_set_any_unsteady(const df__plot_point *pts,
                              const df__plot_set *set);

/* Writes one block per series: a header line '"label" x col... steady' then
 * one row per point (x, then each column; NaN where the field is missing;
 * last the point's steady flag, 1 or 0, for the scripts' hollow markers).
 * Header comment lines carry what and comment. 0 or -errno. */
int df__plot_table_write(const char *path,
                         const char *what,
                         const char *comment,
                         const df__plot_point *pts,
                         const df__plot_set *set,
                         df__plot_xvar x,
                         const df__plot_column *cols,
                         int ncols);

/* One row per series (its first point): "label" throughput_rps p50_us
 * p99_us steady, the label saying how often a blocked loop was caught and
 * whether the point was not steady. 0 or -errno. */
int df__plot_bars_write(const char *path,
                        const char *footer,
                        const df__plot_point *pts,
                        const df__plot_set *set);

/* #17: the `rate` plot's table (rate.c): for each point of pts[0..n) with
 * throughput_buckets, failed ones too, a block of "t_s ok_rps errors_rps"
 * rows, its header line the legend. *nseries: the blocks; with none no
 * file is written. 0 or -errno. */
int df__plot_rate_write(const char *path,
                        const char *footer,
                        const df__plot_point *pts,
                        int n,
                        int *nseries);

/* The timeline ("who fed which duckling when") of the first
 * DF_PLOT_TIMELINE_MAX_PANELS points carrying a "trace", one panel each:
 * the table (layout in timeline.c) and what the script needs besides. */
#define DF_PLOT_TIMELINE_MAX_PANELS 4
typedef struct df__plot_timeline {
    int npanels;    /* 0: no point has a usable trace, no table written */
    double tmax_ms; /* the x range all panels share */
    int lanes[DF_PLOT_TIMELINE_MAX_PANELS];
    /* "thread w=1 t=4": text from the results file, for gnuplot's ARGs */
    char title[DF_PLOT_TIMELINE_MAX_PANELS][128];
} df__plot_timeline;

/* Writes the timeline table of pts[0..n) into path and fills *out. Returns
 * the number of panels (0: nothing written) or -errno. */
int df__plot_timeline_write(const char *path,
                            const df__plot_point *pts,
                            int n,
                            df__plot_timeline *out);

#endif /* DF_HARNESS_PLOT_TABLE_H */
