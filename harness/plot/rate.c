/* harness/plot/rate.c - the table of the `rate` plot (#17): throughput over
 * time, req/s per 100 ms bucket of the window, one line per point.
 *
 * It shows what a mean hides: the dip when a worker dies and the recovery
 * once the arbiter has forked its replacement, or the line that falls to
 * zero and stays there when a single-process server crashed. A failed
 * point is drawn too (its buckets until the failure), its legend saying
 * how it ended and how much it completed first.
 */
#include "harness/plot/table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/plot/gnuplot.h"
#include "harness/store/resfile.h"

/* "thread w=1 t=8": the deployment the point stands for; with
 * workload, its workload's name after it. */
static void rate_label(const df__plot_point *p,
                       int workload,
                       char *buf,
                       size_t len)
{
    unsigned traits = p->ops ? p->ops->traits : 0;
    size_t used;

    snprintf(buf, len, "%s w=%d", p->model, p->workers);
    used = strlen(buf);
    if (traits & DF_MODEL_THREADS && used < len)
        snprintf(buf + used, len - used, " t=%d", p->threads);
    used = strlen(buf);
    if (workload && used < len)
        snprintf(buf + used, len - used, " %s",
                 df_resfile_str(p->j, "workload", "?"));
}

/* 1 when the points do not all run one workload (by name). */
static int mixed_workloads(const df__plot_point *pts, int n)
{
    for (int i = 1; i < n; i++)
        if (strcmp(df_resfile_str(pts[i].j, "workload", ""),
                   df_resfile_str(pts[0].j, "workload", "")) != 0)
            return 1;
    return 0;
}

/* The legend's note on a point that failed: " - died of signal 11 after
 * 1179 completed", or its failure line. */
static void failure_note(FILE *f, const json_t *j)
{
    long long sig = df_resfile_int(j, "failure_signal", 0);
    long long done = df_resfile_int(j, "completed_before_failure", -1);

    if (sig > 0 && done >= 0)
        fprintf(f, " - died of signal %lld after %lld completed", sig, done);
    else {
        fputs(" - failed: ", f);
        df__gnuplot_put_field(f, df_resfile_str(j, "failure", "?"));
    }
}

/* One block: the header line, then "t_s rps errors_rps" per bucket at
 * its middle. */
static void write_block(FILE *f,
                        const df__plot_point *p,
                        int workload,
                        const json_t *b)
{
    const json_t *done = json_object_get(b, "completed");
    const json_t *errs = json_object_get(b, "errors");
    double width_s = df_resfile_num(b, "bucket_ms", 100) / 1000.0;
    char label[160];

    rate_label(p, workload, label, sizeof label);
    fputc('"', f);
    df__gnuplot_put_field(f, label);
    if (!p->ok)
        failure_note(f, p->j);
    fputs("\" t_s ok_rps errors_rps\n", f);
    for (size_t i = 0; i < json_array_size(done); i++) {
        double c = (double)json_integer_value(json_array_get(done, i));
        double e = (double)json_integer_value(json_array_get(errs, i));

        fprintf(f, "%.3f %.6g %.6g\n", (i + 0.5) * width_s, (c - e) / width_s,
                e / width_s);
    }
}

int df__plot_rate_write(const char *path,
                        const char *footer,
                        const df__plot_point *pts,
                        int n,
                        int *nseries)
{
    FILE *f = NULL;
    int k = 0, workload = mixed_workloads(pts, n);

    *nseries = 0;
    for (int i = 0; i < n; i++) {
        const json_t *b = json_object_get(pts[i].j, "throughput_buckets");

        if (json_array_size(json_object_get(b, "completed")) == 0)
            continue;
        if (!f && !(f = fopen(path, "w")))
            return -errno;
        if (k == 0) {
            fputs("# duckfeed plot table: throughput over time, per 100 ms "
                  "bucket of the window\n# ",
                  f);
            df__gnuplot_put_comment(f, footer);
            fputs("\n# one block per point (gnuplot index); first line is "
                  "the legend title\n# columns: t_s ok_rps errors_rps\n",
                  f);
        }
        fputs(k ? "\n\n" : "", f);
        write_block(f, &pts[i], workload, b);
        k++;
    }
    *nseries = k;
    if (f && fclose(f) != 0)
        return -errno;
    return 0;
}
