/* harness/plot/plot.c - `duckfeed plot`: picks the plots the data allows,
 * writes their tables (table.c, timeline.c) and runs gnuplot on the plots/
 * scripts.
 *
 * gnuplot runs once per image, as a child with argv (no shell), under a
 * deadline. #12: what it is given keeps code and text apart (gnuplot.h):
 * `-e` sets numbers and duckfeed's own words; every text that comes from
 * the results file or the command line - titles, the footer, file names -
 * is an ARG of `gnuplot -c script`, a string variable gnuplot never parses;
 * legends are quoted fields of the tables. Its stderr goes to a temporary
 * file that is shown only when it fails, so the warnings of a healthy run
 * do not bury the one line that matters. Everything is made in a stage
 * directory and moved into out_dir only when all of it was made
 * (stage.c).
 */
#include "harness/plot/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/plot/gnuplot.h"
#include "harness/plot/stage.h"
#include "harness/plot/table.h"
#include "harness/store/resfile.h"
#include "workloads/registry.h"

/* gnuplot 5.4 keeps ARG1..ARG9 of `-c` and drops the rest silently: five
 * common ones, then a title per timeline panel. */
_Static_assert(5 + DF_PLOT_TIMELINE_MAX_PANELS <= 9,
               "timeline panel titles must fit gnuplot's nine ARGs");

#define VARS_MAX 1024 /* the -e numbers of one call */
#define TEXT_MAX 320  /* one ARG text: a title, the footer */

typedef struct plot_ctx {
    const df_plot_opts *o;
    const char *out_dir, *name;
    char gp_dir[PATH_MAX]; /* "./"-safe (df__gnuplot_path) */
    const char *term, *ext;
    int64_t timeout_ms;
    df__plot_stage stage;
    char footer[TEXT_MAX];
    df__plot_point *pts;
    int npts, cores, made;
    char **made_stems; /* [made]: the images drawn, for the listing */
} plot_ctx;

/* What a plot shows that comes from outside duckfeed's code: handed to
 * gnuplot as ARGs, never as commands. */
typedef struct plot_text {
    const char *title, *subtitle;
    const df__plot_timeline *timeline; /* its panel titles; or NULL */
} plot_text;

/* The one line for a gnuplot call that did not end well. */
static int gnuplot_failed(const plot_ctx *c,
                          const char *what,
                          int rc,
                          df_err *err)
{
    if (rc == -ENOENT)
        return df_err_set(err, -ENOENT,
                          "gnuplot not found on PATH "
                          "(install gnuplot-nox)");
    if (rc == -ETIMEDOUT)
        return df_err_set(err, rc,
                          "gnuplot on %s: no answer after %.1f s, "
                          "killed",
                          what, (double)c->timeout_ms / 1000.0);
    return df_err_set(err, rc, "gnuplot on %s: %s", what, strerror(-rc));
}

/* pngcairo draws anti-aliased lines and patterns; plain png (libgd) is the
 * fallback some minimal gnuplot builds have. */
static int pick_terminal(plot_ctx *c, df_err *err)
{
    char *args[] = { "-e", "set terminal", NULL };
    char line[256];
    FILE *log = NULL;
    int rc = df__gnuplot_run(args, c->timeout_ms, &log);

    if (rc < 0)
        return gnuplot_failed(c, "set terminal", rc, err);
    c->term = "png";
    while (fgets(line, sizeof line, log))
        if (strstr(line, " pngcairo "))
            c->term = "pngcairo";
    fclose(log);
    if (c->o->svg)
        c->term = "svg";
    c->ext = c->o->svg ? "svg" : "png";
    return 0;
}

static int wanted(const plot_ctx *c, const char *kind)
{
    const char *const *k;

    if (!c->o->only)
        return 1;
    for (k = c->o->only; *k; k++)
        if (strcmp(*k, kind) == 0)
            return 1;
    return 0;
}

/* <stage>/<stem>.<ext> into buf; -ENAMETOOLONG with err set. */
static int stage_path(const plot_ctx *c,
                      const char *stem,
                      const char *ext,
                      char *buf,
                      size_t len,
                      df_err *err)
{
    int n = snprintf(buf, len, "%s/%s.%s", c->stage.dir, stem, ext);

    if (n < 0 || (size_t)n >= len)
        return df_err_set(err, -ENAMETOOLONG,
                          "plot: file name too long "
                          "(--out-dir, --name)");
    return 0;
}

/* The last non-empty line gnuplot printed: it names the failing line and
 * why. */
static void last_line(FILE *log, char *line, size_t len)
{
    line[0] = '\0';
    while (fgets(line + 1, (int)len - 1, log))
        if (strlen(line + 1) > 1)
            memmove(line, line + 1, strlen(line + 1) + 1);
    line[strcspn(line, "\n")] = '\0';
}

static int note_made(plot_ctx *c, const char *stem, df_err *err)
{
    char **grown = realloc(c->made_stems, (c->made + 1) * sizeof *grown);

    if (!grown || !(grown[c->made] = strdup(stem))) {
        c->made_stems = grown ? grown : c->made_stems;
        return df_err_set(err, -ENOMEM, "plot: out of memory");
    }
    c->made_stems = grown;
    c->made++;
    return 0;
}

/* Runs plots/<script>.gp on <stage>/<stem>.dat into <stem>.<ext> (the
 * script's ARGs: gpdir, the stem's path, footer, title, subtitle, panel
 * titles; see plots/common.gp). vars: the -e numbers. The image must
 * exist and be non-empty afterwards. */
static int draw(plot_ctx *c,
                const char *script,
                const char *stem,
                const char *vars,
                const plot_text *tx,
                df_err *err)
{
    char e[VARS_MAX + 64], gp[PATH_MAX], base[PATH_MAX], out[PATH_MAX];
    char title[TEXT_MAX], sub[TEXT_MAX], line[256];
    char panel[DF_PLOT_TIMELINE_MAX_PANELS][TEXT_MAX];
    char *args[DF_GNUPLOT_ARGS_MAX + 1] = { "-e",      e,         "-c",
                                            gp,        c->gp_dir, base,
                                            c->footer, title,     sub };
    int i, nargs = 9, rc;
    FILE *log = NULL;
    struct stat st;

    if (snprintf(gp, sizeof gp, "%s/%s.gp", c->gp_dir, script) >=
            (int)sizeof gp ||
        snprintf(base, sizeof base, "%s/%s", c->stage.dir, stem) >=
            (int)sizeof base)
        return df_err_set(err, -ENAMETOOLONG, "plot: file name too long");
    if ((rc = stage_path(c, stem, c->ext, out, sizeof out, err)) < 0)
        return rc;
    df__gnuplot_text(title, sizeof title, tx->title);
    df__gnuplot_text(sub, sizeof sub, tx->subtitle ? tx->subtitle : "");
    for (i = 0; tx->timeline && i < tx->timeline->npanels; i++) {
        df__gnuplot_text(panel[i], sizeof panel[i], tx->timeline->title[i]);
        args[nargs++] = panel[i];
    }
    args[nargs] = NULL;
    /* Only duckfeed's own words and numbers go into -e. */
    snprintf(e, sizeof e, "term='%s'; ext='%s'; %s", c->term, c->ext, vars);
    rc = df__gnuplot_run(args, c->timeout_ms, &log);
    if (rc < 0)
        return gnuplot_failed(c, script, rc, err);
    if (rc != 0) {
        last_line(log, line, sizeof line);
        fclose(log);
        return df_err_set(err, -EIO, "gnuplot failed on %s.gp (exit %d): %s",
                          script, rc, line);
    }
    fclose(log);
    if (stat(out, &st) != 0 || st.st_size == 0)
        return df_err_set(err, -EIO, "gnuplot made no image for %s.gp", script);
    return note_made(c, stem, err);
}

static const char *wl_name(const df__plot_point *p)
{
    return df_resfile_str(p->j, "workload", "?");
}

/* File-name part for a workload: its name, made file-safe. */
static void workload_slug(const df__plot_point *p, char *buf, size_t len)
{
    const char *name = wl_name(p);
    size_t k, o = 0;

    for (k = 0; name[k] && o + 1 < len; k++) {
        char ch = name[k];

        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            (ch >= 'A' && ch <= 'Z') || ch == '.')
            buf[o++] = ch;
        else if (o > 0 && buf[o - 1] != '-')
            buf[o++] = '-';
    }
    while (o > 0 && buf[o - 1] == '-')
        o--;
    buf[o] = '\0';
}

/* The question each load plot answers depends on what is on x. */
static const char *load_title(const char *kind, df__plot_xvar x)
{
    int k = x == DF_PLOT_X_HOGS ? 1 : x == DF_PLOT_X_SWITCH ? 2 : 0;

    if (strcmp(kind, "throughput") == 0) {
        static const char *const t[] = {
            "Does serving more clients at once raise throughput?",
            "Do CPU-bound threads beside the requests cut throughput?",
            "Does the GIL switch interval change throughput?"
        };
        return t[k];
    }
    if (strcmp(kind, "latency") == 0) {
        static const char *const t[] = {
            "How long does a request take as clients pile up?",
            "Do CPU-bound threads delay the requests beside them?",
            "Does a shorter GIL switch interval help latency?"
        };
        return t[k];
    }
    if (strcmp(kind, "queue") == 0)
        return "Is the time spent waiting in line or being served?";
    return "What does each request in flight cost in memory?";
}

static const char *x_label(df__plot_xvar x)
{
    switch (x) {
    case DF_PLOT_X_HOGS:
        return "CPU-bound threads beside the requests (hogs)";
    case DF_PLOT_X_SWITCH:
        return "GIL switch interval (ms)";
    case DF_PLOT_X_KEEPERS:
        return "keepers: workers x threads (coroutine: tasks in flight)";
    default:
        return "concurrent clients (requests in flight)";
    }
}

/* Log x (base 2 for short ranges so 1 2 4 8 get ticks) when x spans 8x. */
static int log_base(const df__plot_point *pts,
                    const df__plot_set *set,
                    df__plot_xvar x)
{
    double lo = INFINITY, hi = 0, v;
    int k, i;

    for (k = 0; k < set->n; k++)
        for (i = 0; i < set->s[k].n; i++) {
            v = df__plot_x(&pts[set->s[k].idx[i]], x);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    if (lo <= 0 || hi / lo < 8)
        return 0;
    return hi <= 64 ? 2 : 10;
}

static double x_max(const df__plot_point *pts,
                    const df__plot_set *set,
                    df__plot_xvar x)
{
    double hi = 0;
    int k, i;

    for (k = 0; k < set->n; k++)
        for (i = 0; i < set->s[k].n; i++)
            if (df__plot_x(&pts[set->s[k].idx[i]], x) > hi)
                hi = df__plot_x(&pts[set->s[k].idx[i]], x);
    return hi;
}

/* -e variables every plot of a set takes: its series' styles and count. */
static void common_vars(const df__plot_set *set, char *vars, size_t len)
{
    char styles[128];

    df__plot_set_styles(set, styles, sizeof styles);
    snprintf(vars, len, "styles='%s'; ns=%d; ", styles, set->n);
}

/* "workload sleep:ms=10; 1 point failed (not shown)" */
static void subtitle(const plot_ctx *c,
                     const int *sel,
                     int n,
                     char *buf,
                     size_t len)
{
    const char *spec = c->pts[sel[0]].workload;
    int i, failed = 0;

    for (i = 0; i < n; i++) {
        failed += !c->pts[sel[i]].ok;
        if (strcmp(c->pts[sel[i]].workload, spec) != 0)
            spec = wl_name(&c->pts[sel[0]]);
    }
    snprintf(buf, len, "workload %s", spec);
    if (failed)
        df__appendf(buf, len, " - %d point%s failed, not shown", failed,
                    failed > 1 ? "s" : "");
}

/* #18: for plots of one point per series (CDF, bars): which series are
 * not steady ("unsteady='0 1'") and whether any is (anyu). */
static void unsteady_vars(const plot_ctx *c,
                          const df__plot_set *set,
                          char *vars,
                          size_t len)
{
    char words[128];
    int any = df__plot_set_unsteady(c->pts, set, words, sizeof words);

    df__appendf(vars, len, "unsteady='%s'; anyu=%d; ", words, any > 0);
}

static int any_num(const plot_ctx *c, const int *sel, int n, const char *path)
{
    int i;

    for (i = 0; i < n; i++)
        if (c->pts[sel[i]].ok &&
            !isnan(df_resfile_num(c->pts[sel[i]].j, path, NAN)))
            return 1;
    return 0;
}

static int table_and_draw(plot_ctx *c,
                          const char *kind,
                          const char *slug,
                          const df__plot_set *set,
                          df__plot_xvar x,
                          const df__plot_column *cols,
                          int ncols,
                          const char *vars,
                          const plot_text *tx,
                          df_err *err)
{
    char stem[256], path[PATH_MAX], what[128], all[VARS_MAX];
    int rc;

    snprintf(stem, sizeof stem, "%s-%s-%s", c->name, kind, slug);
    if ((rc = stage_path(c, stem, "dat", path, sizeof path, err)) < 0)
        return rc;
    snprintf(what, sizeof what, "%s vs %s", kind, df__plot_xvar_name(x));
    rc = df__plot_table_write(path, what, c->footer, c->pts, set, x, cols,
                              ncols);
    if (rc < 0)
        return df_err_set(err, rc, "%s: %s", path, strerror(-rc));
    /* #18: the steady column follows x and cols (plots/common.gp). */
    snprintf(all, sizeof all, "%ssc=%d; anyu=%d; ", vars, ncols + 2,
             df__plot_set_any_unsteady(c->pts, set));
    return draw(c, kind, stem, all, tx, err);
}

/* #18: the repetitions' 95 % interval as error bars (NaN when n < 3). */
static const df__plot_column cols_throughput[] = {
    { "throughput_rps", "throughput_rps" },
    { "ci95_low_rps", "throughput.ci95_low" },
    { "ci95_high_rps", "throughput.ci95_high" }
};
static const df__plot_column cols_latency[] = {
    { "p50_us", "latency_us.p50" }, { "p90_us", "latency_us.p90" },
    { "p99_us", "latency_us.p99" }, { "p999_us", "latency_us.p999" },
    { "max_us", "latency_us.max" }, { "mean_us", "latency_us.mean" }
};
static const df__plot_column cols_queue[] = {
    { "queue_mean_us", "queue_us.mean" },
    { "service_mean_us", "service_us.mean" },
    { "queue_p99_us", "queue_us.p99" },
    { "service_p99_us", "service_us.p99" }
};
static const df__plot_column cols_memory[] = { { "rss_mib", NULL },
                                               { "kib_per_added_request",
                                                 NULL },
                                               { "kib_per_inflight", NULL } };
static const df__plot_column cols_speedup[] = { { "throughput_rps",
                                                  "throughput_rps" },
                                                { "speedup", NULL } };

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Throughput, latency, queue and memory against the workload's load axis. */
static int plot_load(plot_ctx *c,
                     const int *sel,
                     int n,
                     const char *slug,
                     df_err *err)
{
    static const char *const kinds[] = { "throughput", "latency", "queue",
                                         "memory" };
    char vars[VARS_MAX], sub[256];
    df__plot_xvar x = df__plot_load_axis(c->pts, sel, n);
    df__plot_set set = { 0 };
    size_t k;
    int rc = 0;

    if (x == DF_PLOT_X_NONE)
        return 0;
    if ((rc = df__plot_series_build(c->pts, sel, n, x, &set)) < 0)
        return df_err_set(err, rc, "plot: out of memory");
    subtitle(c, sel, n, sub, sizeof sub);
    for (k = 0; k < sizeof kinds / sizeof kinds[0] && rc == 0; k++) {
        const char *kind = kinds[k];
        const df__plot_column *cols = cols_throughput;
        int ncols = NCOLS(cols_throughput);

        if (!wanted(c, kind))
            continue;
        if (k == 1) {
            if (!any_num(c, sel, n, "latency_us.p99"))
                continue;
            cols = cols_latency, ncols = NCOLS(cols_latency);
        } else if (k == 2) {
            if (!any_num(c, sel, n, "queue_us.mean") ||
                !any_num(c, sel, n, "service_us.mean"))
                continue;
            cols = cols_queue, ncols = NCOLS(cols_queue);
        } else if (k == 3) {
            if (x != DF_PLOT_X_CONCURRENCY ||
                !any_num(c, sel, n, "max_rss_bytes"))
                continue;
            cols = cols_memory, ncols = NCOLS(cols_memory);
        }
        plot_text tx = { .title = load_title(kind, x), .subtitle = sub };

        common_vars(&set, vars, sizeof vars);
        df__appendf(vars, sizeof vars, "xlabel='%s'; logx=%d; ", x_label(x),
                    log_base(c->pts, &set, x));
        /* Hogs and clients come whole: a short linear axis gets whole
         * ticks, not 1.5 clients. */
        if ((x == DF_PLOT_X_HOGS || x == DF_PLOT_X_CONCURRENCY) &&
            log_base(c->pts, &set, x) == 0 && x_max(c->pts, &set, x) <= 16)
            df__appendf(vars, sizeof vars, "xstep=1; ");
        rc =
            table_and_draw(c, kind, slug, &set, x, cols, ncols, vars, &tx, err);
    }
    df__plot_set_free(&set);
    return rc;
}

/* #18: an I/O workload waits, it does not compute: more keepers let more
 * requests wait at once, which no core count caps, so a speedup against
 * "ideal (capped at N cores)" would compare it with the wrong ceiling.
 * A workload not registered here (a plugin) is drawn as before. */
static int io_workload(const df__plot_point *p)
{
    const df_workload *w = df_registry_find(wl_name(p));

    return w && w->kind == DF_KIND_IO;
}

static int plot_speedup(plot_ctx *c,
                        const int *sel,
                        int n,
                        const char *slug,
                        df_err *err)
{
    char vars[VARS_MAX], sub[256];
    df__plot_set set = { 0 };
    int rc;

    if (!wanted(c, "speedup") || io_workload(&c->pts[sel[0]]))
        return 0;
    if ((rc = df__plot_series_build(c->pts, sel, n, DF_PLOT_X_KEEPERS, &set)) <
        0)
        return df_err_set(err, rc, "plot: out of memory");
    if (set.n > 0) {
        plot_text tx = {
            .title = "Does adding workers or threads speed it up?",
            .subtitle = sub,
        };

        subtitle(c, sel, n, sub, sizeof sub);
        common_vars(&set, vars, sizeof vars);
        df__appendf(vars, sizeof vars, "xlabel='%s'; cores=%d; ",
                    x_label(DF_PLOT_X_KEEPERS), c->cores);
        rc = table_and_draw(c, "speedup", slug, &set, DF_PLOT_X_KEEPERS,
                            cols_speedup, NCOLS(cols_speedup), vars, &tx, err);
    }
    df__plot_set_free(&set);
    return rc;
}

/* The load level the CDF is drawn at: where the most series have a CDF,
 * the highest such level on a tie (the most interesting: most load). */
static double cdf_level(const plot_ctx *c,
                        const int *cand,
                        int n,
                        df__plot_xvar x)
{
    double best_x = 0, xi;
    int best = -1, i, j, count;

    for (i = 0; i < n; i++) {
        xi = df__plot_x(&c->pts[cand[i]], x);
        for (count = 0, j = 0; j < n; j++)
            count += df__plot_x(&c->pts[cand[j]], x) == xi;
        if (count > best || (count == best && xi > best_x))
            best = count, best_x = xi;
    }
    return best_x;
}

static int write_cdf(const char *path,
                     const plot_ctx *c,
                     const df__plot_set *set,
                     double level,
                     df__plot_xvar x)
{
    FILE *f = fopen(path, "w");
    int k;
    size_t i;

    if (!f)
        return -errno;
    fprintf(f,
            "# duckfeed plot table: latency CDF at %s %g\n# %s\n"
            "# one block per series (gnuplot index); first line is the "
            "legend title\n# columns: percentile latency_us\n",
            df__plot_xvar_name(x), level, c->footer);
    for (k = 0; k < set->n; k++) {
        const json_t *cdf =
            json_object_get(c->pts[set->s[k].idx[0]].j, "latency_cdf");

        fprintf(f, "%s\"", k ? "\n\n" : "");
        df__gnuplot_put_field(f, set->s[k].label);
        if (!c->pts[set->s[k].idx[0]].steady)
            fputs(" (not steady)", f);
        fputs("\" percentile latency_us\n", f);
        for (i = 0; i < json_array_size(cdf); i++) {
            const json_t *row = json_array_get(cdf, i);
            double p = json_number_value(json_array_get(row, 0));
            double v = json_number_value(json_array_get(row, 1));

            if (json_array_size(row) == 2 && p >= 0 && p <= 100)
                fprintf(f, "%.6g %.6g\n", p, v < 1 ? 1 : v);
        }
    }
    return fclose(f) == 0 ? 0 : -errno;
}

static int plot_cdf(plot_ctx *c,
                    const int *sel,
                    int n,
                    const char *slug,
                    df_err *err)
{
    char vars[VARS_MAX], sub[256], title[160], stem[256], path[PATH_MAX];
    plot_text tx = { .title = title, .subtitle = sub };
    int *cand = calloc(n, sizeof(int));
    df__plot_xvar x = df__plot_load_axis(c->pts, sel, n);
    df__plot_set set = { 0 };
    double level;
    int i, m = 0, rc = 0;

    if (!cand)
        return df_err_set(err, -ENOMEM, "plot: out of memory");
    if (x == DF_PLOT_X_NONE)
        x = DF_PLOT_X_CONCURRENCY;
    for (i = 0; i < n; i++) {
        const json_t *cdf = json_object_get(c->pts[sel[i]].j, "latency_cdf");

        if (c->pts[sel[i]].ok && json_array_size(cdf) > 1)
            cand[m++] = sel[i];
    }
    if (m == 0 || !wanted(c, "cdf"))
        goto out;
    level = cdf_level(c, cand, m, x);
    for (i = n = 0; i < m; i++)
        if (df__plot_x(&c->pts[cand[i]], x) == level)
            cand[n++] = cand[i];
    if ((rc = df__plot_series_build(c->pts, cand, n, x, &set)) < 0) {
        rc = df_err_set(err, rc, "plot: out of memory");
        goto out;
    }
    snprintf(stem, sizeof stem, "%s-cdf-%s", c->name, slug);
    if ((rc = stage_path(c, stem, "dat", path, sizeof path, err)) < 0)
        goto out;
    if ((rc = write_cdf(path, c, &set, level, x)) < 0) {
        rc = df_err_set(err, rc, "%s: %s", path, strerror(-rc));
        goto out;
    }
    snprintf(title, sizeof title, "How are response times spread at %s %g?",
             x == DF_PLOT_X_CONCURRENCY ? "concurrency"
             : x == DF_PLOT_X_HOGS      ? "hogs"
                                        : "switch interval (ms)",
             level);
    subtitle(c, sel, n, sub, sizeof sub);
    common_vars(&set, vars, sizeof vars);
    unsteady_vars(c, &set, vars, sizeof vars);
    rc = draw(c, "cdf", stem, vars, &tx, err);
out:
    df__plot_set_free(&set);
    free(cand);
    return rc;
}

/* Past 60 lines on purpose: one gnuplot call's table and arguments, read
 * top to bottom; the shared steps are plot.c's helpers already. */
static int plot_gil(plot_ctx *c,
                    const int *sel,
                    int n,
                    const char *slug,
                    df_err *err)
{
    char vars[VARS_MAX], sub[256], stem[256], path[PATH_MAX];
    plot_text tx = {
        .title = "Who holds the GIL, and how long do others wait?",
        .subtitle = sub,
    };
    int *cand = calloc(n, sizeof(int));
    df__plot_set set = { 0 };
    FILE *f = NULL;
    int i, m = 0, rc = 0;

    if (!cand)
        return df_err_set(err, -ENOMEM, "plot: out of memory");
    for (i = 0; i < n; i++)
        /* gil=off has no lock to hold: nothing to show but zeros. */
        if (c->pts[sel[i]].ok && strcmp(c->pts[sel[i]].gil, "off") != 0 &&
            !isnan(df_resfile_num(c->pts[sel[i]].j, "gil_stats.held", NAN)))
            cand[m++] = sel[i];
    if (m == 0 || !wanted(c, "gil"))
        goto out;
    if ((rc = df__plot_series_build(c->pts, cand, m, DF_PLOT_X_NONE, &set)) <
        0) {
        rc = df_err_set(err, rc, "plot: out of memory");
        goto out;
    }
    snprintf(stem, sizeof stem, "%s-gil-%s", c->name, slug);
    if ((rc = stage_path(c, stem, "dat", path, sizeof path, err)) < 0)
        goto out;
    if (!(f = fopen(path, "w"))) {
        rc = df_err_set(err, -errno, "%s: %s", path, strerror(errno));
        goto out;
    }
    fprintf(f,
            "# duckfeed plot table: GIL held and wait shares (0..1 of "
            "the run; wait sums over threads, so it can pass 1)\n# %s\n"
            "# columns: label held_share wait_share\n",
            c->footer);
    for (i = 0; i < set.n; i++) {
        const json_t *j = c->pts[set.s[i].idx[0]].j;

        fputc('"', f);
        df__gnuplot_put_field(f, set.s[i].label);
        if (!c->pts[set.s[i].idx[0]].steady)
            fputs("\\n(not steady)", f);
        fprintf(f, "\" %.4f %.4f\n", df_resfile_num(j, "gil_stats.held", NAN),
                df_resfile_num(j, "gil_stats.wait", 0));
    }
    if (fclose(f) != 0) {
        rc = df_err_set(err, -errno, "%s: %s", path, strerror(errno));
        goto out;
    }
    subtitle(c, sel, n, sub, sizeof sub);
    common_vars(&set, vars, sizeof vars);
    rc = draw(c, "gil", stem, vars, &tx, err);
out:
    df__plot_set_free(&set);
    free(cand);
    return rc;
}

/* "workloads cpu:us=2000, sleep:ms=50 - concurrency 64": what the bars
 * share (the concurrency only when all share it). */
static void bars_subtitle(const plot_ctx *c,
                          const int *sel,
                          int n,
                          char *buf,
                          size_t len)
{
    int i, j, same_c = 1;

    snprintf(buf, len, "workload%s ", "s");
    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++)
            if (strcmp(c->pts[sel[j]].workload, c->pts[sel[i]].workload) == 0)
                break;
        if (j == i)
            df__appendf(buf, len, "%s%s", i ? ", " : "",
                        c->pts[sel[i]].workload);
        same_c &= c->pts[sel[i]].concurrency == c->pts[sel[0]].concurrency;
    }
    if (same_c)
        df__appendf(buf, len, " - concurrency %d", c->pts[sel[0]].concurrency);
}

/* One bar per setup, for workloads measured at a single load level (no
 * line to draw): throughput and p99 side by side, across the document so
 * that two workloads (blocking vs offload) stand next to each other. */
static int plot_bars(plot_ctx *c, df_err *err)
{
    char vars[VARS_MAX], sub[256], stem[256], path[PATH_MAX];
    plot_text tx = {
        .title = "At one load: how much gets served, and how long does the "
                 "slowest 1 in 100 take?",
        .subtitle = sub,
    };
    int *sel = calloc(c->npts + 1, sizeof(int)), *wl = NULL;
    df__plot_set set = { 0 };
    int i, j, n = 0, m, rc = 0;

    if (!sel || !(wl = calloc(c->npts + 1, sizeof(int)))) {
        free(sel);
        return df_err_set(err, -ENOMEM, "plot: out of memory");
    }
    if (!wanted(c, "bars"))
        goto out;
    for (i = 0; i < c->npts; i++) {
        for (m = 0, j = 0; j < c->npts; j++)
            if (strcmp(wl_name(&c->pts[j]), wl_name(&c->pts[i])) == 0)
                wl[m++] = j;
        if (c->pts[i].ok && df__plot_load_axis(c->pts, wl, m) == DF_PLOT_X_NONE)
            sel[n++] = i;
    }
    if (n < 2)
        goto out;
    if ((rc = df__plot_series_build(c->pts, sel, n, DF_PLOT_X_NONE, &set)) <
        0) {
        rc = df_err_set(err, rc, "plot: out of memory");
        goto out;
    }
    snprintf(stem, sizeof stem, "%s-bars", c->name);
    if ((rc = stage_path(c, stem, "dat", path, sizeof path, err)) < 0)
        goto out;
    if ((rc = df__plot_bars_write(path, c->footer, c->pts, &set)) < 0) {
        rc = df_err_set(err, rc, "%s: %s", path, strerror(-rc));
        goto out;
    }
    bars_subtitle(c, sel, n, sub, sizeof sub);
    common_vars(&set, vars, sizeof vars);
    unsteady_vars(c, &set, vars, sizeof vars);
    rc = draw(c, "bars", stem, vars, &tx, err);
out:
    df__plot_set_free(&set);
    free(sel);
    free(wl);
    return rc;
}

static int plot_timeline(plot_ctx *c, df_err *err)
{
    char vars[VARS_MAX], stem[256], path[PATH_MAX];
    df__plot_timeline tl;
    plot_text tx = {
        .title = "Who fed which duckling when? One lane per keeper, time "
                 "across",
        .timeline = &tl,
    };
    int i, rc;

    if (!wanted(c, "timeline"))
        return 0;
    snprintf(stem, sizeof stem, "%s-timeline", c->name);
    if ((rc = stage_path(c, stem, "dat", path, sizeof path, err)) < 0)
        return rc;
    rc = df__plot_timeline_write(path, c->pts, c->npts, &tl);
    if (rc < 0)
        return df_err_set(err, rc, "%s: %s", path, strerror(-rc));
    if (rc == 0)
        return 0;
    snprintf(vars, sizeof vars, "np=%d; tmax=%.4f; ", tl.npanels, tl.tmax_ms);
    for (i = 0; i < tl.npanels; i++)
        df__appendf(vars, sizeof vars, "nl%d=%d; ", i + 1, tl.lanes[i]);
    return draw(c, "timeline", stem, vars, &tx, err);
}

/* #17: throughput over time, one line per point with buckets; failed
 * points too (how they ended is in their legend). */
static int plot_rate(plot_ctx *c, df_err *err)
{
    char vars[VARS_MAX], stem[256], path[PATH_MAX];
    plot_text tx = {
        .title = "Served per second, 100 ms at a time: what does a crash "
                 "cost, and for how long?",
        .subtitle = "successful requests per second in each 100 ms of the "
                    "measured window",
    };
    int i, ns, rc;

    if (!wanted(c, "rate"))
        return 0;
    snprintf(stem, sizeof stem, "%s-rate", c->name);
    if ((rc = stage_path(c, stem, "dat", path, sizeof path, err)) < 0)
        return rc;
    rc = df__plot_rate_write(path, c->footer, c->pts, c->npts, &ns);
    if (rc < 0)
        return df_err_set(err, rc, "%s: %s", path, strerror(-rc));
    if (ns == 0)
        return 0;
    snprintf(vars, sizeof vars, "ns=%d; styles='", ns);
    for (i = 0; i < ns; i++)
        df__appendf(vars, sizeof vars, "%s%d", i ? " " : "", i % 12 + 1);
    df__appendf(vars, sizeof vars, "'; ");
    return draw(c, "rate", stem, vars, &tx, err);
}

int df_plot_mkdirs(const char *dir, df_err *err)
{
    char path[PATH_MAX];
    size_t i;

    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return df_err_set(err, -ENAMETOOLONG, "--out-dir: too long");
    for (i = 1; i <= strlen(path); i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return df_err_set(err, -errno, "%s: %s", path, strerror(errno));
        path[i] = dir[i];
    }
    return 0;
}

/* Where the scripts are: $DF_GP_DIR or the source tree's plots/. */
static int find_gp_dir(plot_ctx *c, df_err *err)
{
    const char *d = getenv("DF_GP_DIR");

    if (df__gnuplot_path(c->gp_dir, sizeof c->gp_dir,
                         d && *d ? d : DF_SOURCE_DIR "/plots") < 0)
        return df_err_set(err, -ENAMETOOLONG, "DF_GP_DIR: too long");
    return 0;
}

/* Every plot the points allow, into the stage. */
static int draw_all(plot_ctx *c, df_err *err)
{
    int *sel = calloc(c->npts + 1, sizeof(int));
    int *done = calloc(c->npts + 1, sizeof(int));
    int i, j, n, rc = 0;

    if (!sel || !done)
        rc = df_err_set(err, -ENOMEM, "plot: out of memory");
    /* One set of plots per workload, in the order they first occur; its
     * parameter sets are series on them. */
    for (i = 0; i < c->npts && rc == 0; i++) {
        char slug[128];

        if (done[i])
            continue;
        for (n = 0, j = i; j < c->npts; j++)
            if (strcmp(wl_name(&c->pts[j]), wl_name(&c->pts[i])) == 0)
                sel[n++] = j, done[j] = 1;
        workload_slug(&c->pts[i], slug, sizeof slug);
        if ((rc = plot_load(c, sel, n, slug, err)) == 0 &&
            (rc = plot_cdf(c, sel, n, slug, err)) == 0 &&
            (rc = plot_speedup(c, sel, n, slug, err)) == 0)
            rc = plot_gil(c, sel, n, slug, err);
    }
    if (rc == 0)
        rc = plot_bars(c, err);
    if (rc == 0)
        rc = plot_timeline(c, err);
    if (rc == 0)
        rc = plot_rate(c, err);
    free(sel);
    free(done);
    return rc;
}

/* The images now in out_dir, one a line (unless quiet). */
static void list_made(const plot_ctx *c)
{
    for (int i = 0; !c->o->quiet && i < c->made; i++)
        printf("  %s/%s.%s\n", c->out_dir, c->made_stems[i], c->ext);
}

int df_plot_doc(const json_t *doc, const df_plot_opts *opts, df_err *err)
{
    plot_ctx c = { .o = opts };
    char footer[TEXT_MAX];
    int i, rc;

    c.out_dir = opts->out_dir ? opts->out_dir : "plots";
    c.name = opts->name ? opts->name : "results";
    c.timeout_ms = opts->gnuplot_timeout_ms > 0 ? opts->gnuplot_timeout_ms
                                                : DF_PLOT_GNUPLOT_TIMEOUT_MS;
    c.cores = df_resfile_int(doc, "machine.cores", 0);
    df_resfile_footer(doc, footer, sizeof footer);
    df__gnuplot_text(c.footer, sizeof c.footer, footer);
    if ((rc = find_gp_dir(&c, err)) < 0 ||
        (rc = df_plot_mkdirs(c.out_dir, err)) < 0 ||
        (rc = pick_terminal(&c, err)) < 0 ||
        (rc = df__plot_stage_open(&c.stage, c.out_dir, err)) < 0)
        goto out;
    if ((c.npts = df__plot_points_load(doc, &c.pts)) < 0)
        rc = df_err_set(err, -ENOMEM, "plot: out of memory");
    else if ((rc = draw_all(&c, err)) == 0)
        rc = df__plot_stage_commit(&c.stage, c.name, opts->replace, err);
    if (rc < 0)
        df__plot_stage_abort(&c.stage);
    else
        list_made(&c);
out:
    /* Names and paths in a message may hold anything: keep it one line. */
    for (i = 0; rc < 0 && err && err->msg[i]; i++)
        if ((unsigned char)err->msg[i] < 0x20)
            err->msg[i] = ' ';
    for (i = 0; i < c.made; i++)
        free(c.made_stems[i]);
    free(c.made_stems);
    free(c.pts);
    return rc < 0 ? rc : c.made;
}
