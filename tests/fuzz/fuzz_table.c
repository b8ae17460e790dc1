/* tests/fuzz/fuzz_table.c - the plot's table builder (harness/plot/table.c
 * and the timeline's table, timeline.c): points of any results file the
 * checked reader accepts are grouped into series on every x axis and
 * written as gnuplot tables (to /dev/null: the target writes no file).
 * Every series holds valid indexes of ok points, sorted by x. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "harness/plot/table.h"
#include "harness/store/resfile.h"
#include "tests/fuzz/fuzz.h"

/* Every kind of column plot.c draws: paths, "_us" clamps, computed ones. */
static const df__plot_column cols[] = {
    { "throughput_rps", "throughput_rps" },
    { "p99_us", "latency_us.p99" },
    { "queue_mean_us", "queue_us.mean" },
    { "rss_mib", NULL },
    { "kib_per_added_request", NULL },
    { "kib_per_inflight", NULL },
    { "speedup", NULL },
};

static void check_set(const df__plot_point *pts,
                      int n,
                      const df__plot_set *set,
                      df__plot_xvar x)
{
    char styles[256];

    DF_FUZZ_ASSERT(set->n >= 0 && set->n <= n);
    for (int k = 0; k < set->n; k++) {
        const df__plot_series *s = &set->s[k];

        DF_FUZZ_ASSERT(s->n >= 1 && s->n <= n);
        DF_FUZZ_ASSERT(memchr(s->label, '\0', sizeof s->label) != NULL);
        for (int i = 0; i < s->n; i++) {
            DF_FUZZ_ASSERT(s->idx[i] >= 0 && s->idx[i] < n);
            DF_FUZZ_ASSERT(pts[s->idx[i]].ok);
            if (i > 0)
                DF_FUZZ_ASSERT(!(df__plot_x(&pts[s->idx[i]], x) <
                                 df__plot_x(&pts[s->idx[i - 1]], x)));
        }
    }
    df__plot_set_styles(set, styles, sizeof styles);
}

static void build_and_write(const df__plot_point *pts, const int *sel, int n)
{
    static const df__plot_xvar xs[] = { DF_PLOT_X_NONE, DF_PLOT_X_CONCURRENCY,
                                        DF_PLOT_X_HOGS, DF_PLOT_X_SWITCH,
                                        DF_PLOT_X_KEEPERS };
    df__plot_xvar load = df__plot_load_axis(pts, sel, n);

    DF_FUZZ_ASSERT(load >= DF_PLOT_X_NONE && load <= DF_PLOT_X_SWITCH);
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        df__plot_set set = { 0 };

        DF_FUZZ_ASSERT(df__plot_series_build(pts, sel, n, xs[i], &set) == 0);
        check_set(pts, n, &set, xs[i]);
        DF_FUZZ_ASSERT(df__plot_table_write("/dev/null", "fuzz", "footer", pts,
                                            &set, xs[i], cols,
                                            sizeof cols / sizeof cols[0]) == 0);
        DF_FUZZ_ASSERT(df__plot_bars_write("/dev/null", "footer", pts, &set) ==
                       0);
        df__plot_set_free(&set);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    df__plot_point *pts = NULL;
    df_err err = { 0 };
    df__plot_timeline tl;
    int *sel, n, rc;

    if (df_resfile_load(df_fuzz_file(data, size), &doc, &err) < 0)
        return 0;
    n = df__plot_points_load(doc, &pts);
    DF_FUZZ_ASSERT(n >= 0 && pts != NULL);
    sel = calloc(n ? (size_t)n : 1, sizeof *sel);
    DF_FUZZ_ASSERT(sel != NULL);
    for (int i = 0; i < n; i++)
        sel[i] = i;
    build_and_write(pts, sel, n);
    memset(&tl, 0xff, sizeof tl);
    rc = df__plot_timeline_write("/dev/null", pts, n, &tl);
    DF_FUZZ_ASSERT(rc >= 0 && rc == tl.npanels &&
                   rc <= DF_PLOT_TIMELINE_MAX_PANELS);
    for (int i = 0; i < rc; i++)
        DF_FUZZ_ASSERT(tl.lanes[i] >= 1 &&
                       memchr(tl.title[i], '\0', sizeof tl.title[i]));
    free(sel);
    free(pts);
    json_decref(doc);
    return 0;
}
