/* harness/report/report.h - results/REPORT.md and the terminal summary.
 *
 * Every claim in the report is computed from the measured points; none is
 * written by hand. A suite states its comparisons as claims:
 *   {"metric": "throughput_rps" | "latency_us.p99" | "kib_per_request" |
 *              "loop.slow_callbacks" | any numeric point field,
 *    "workload": NAME (optional), "a": FILTER, "b": FILTER}
 * where FILTER matches point fields (model, workers, threads, gil, hogs,
 * switch_interval_us, concurrency; "spec" = the full workload spec). The
 * report says "a is R x b" with both values; if either side was not
 * measured it says so.
 */
#ifndef DF_HARNESS_REPORT_REPORT_H
#define DF_HARNESS_REPORT_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "base/err.h"

/* Writes results_dir/REPORT.md, then report.html, from every .json file in
 * results_dir that carries a "suite" object (written by `duckfeed suite`), in
 * suite order, linking the images found in plots_dir. 0 or -errno with err set.
 */
int df_report_write(const char *results_dir,
                    const char *plots_dir,
                    df_err *err);

/* Writes results_dir/report.html: the same content as REPORT.md in one
 * self-contained page (inline CSS, every plot an SVG drawn by gnuplot for
 * it and embedded), the lessons first. df_report_write calls it. 0 or
 * -errno with err set; a plot that cannot be drawn is said on the page. */
int df_report_html_write(const char *results_dir, df_err *err);

/* The short form for the terminal: a few lines for one suite's results. */
void df_report_summary(FILE *f, const json_t *doc, const char *plots_dir);

/* The lesson of one suite's results in one sentence, from its first
 * claim (the timeline: its overlaps; asyncio: the examples on time). */
void df_report_headline(const json_t *doc, char *buf, size_t len);

/* The table printed after all suites: one line per lesson. */
void df_report_lessons(FILE *f, const json_t *const *docs, int n);

/* `duckfeed report [--results-dir DIR] [--plots-dir DIR]`: rewrites
 * REPORT.md from the results already there. Exit code 0, 1 or 2. */
int df_report_main(int argc, char **argv);

#endif /* DF_HARNESS_REPORT_REPORT_H */
