/* harness/plot/plot.h - the plot step: results JSON -> .dat tables -> gnuplot.
 */
#ifndef DF_HARNESS_PLOT_PLOT_H
#define DF_HARNESS_PLOT_PLOT_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

/* How long one gnuplot call may take before it is killed: a plot of a big
 * results file takes seconds; a hung gnuplot must not hang a suite. */
#define DF_PLOT_GNUPLOT_TIMEOUT_MS 60000

typedef struct df_plot_opts {
    const char *out_dir; /* where .dat and images go; NULL: "plots" */
    const char *name;    /* file prefix; NULL: results file's base name */
    int svg;             /* 1: SVG instead of PNG */
    int quiet;           /* 1: do not list the files made on stdout */
    /* NULL-terminated plot kinds to draw ("throughput", "latency", "cdf",
     * "speedup", "memory", "gil", "queue", "bars", "timeline"); NULL: all
     * for which the data exists. */
    const char *const *only;
    /* 1: once the new plots are in place, remove out_dir's <name>-*.png,
     * .svg and .dat that this run did not draw (a suite's old plots). */
    int replace;
    int64_t gnuplot_timeout_ms; /* per call; 0: DF_PLOT_GNUPLOT_TIMEOUT_MS */
} df_plot_opts;

/* Draws every plot doc (a loaded, checked results document, see
 * harness/store/resfile.h) has the data for. Scripts come from $DF_GP_DIR or
 * DF_SOURCE_DIR/plots. No text of doc or opts is ever run as a gnuplot
 * command (#12). The tables and images are made aside and moved into
 * out_dir only when all were made: on failure out_dir keeps what it had.
 * Returns the number of images made, or a negative errno with a one-line
 * err->msg (gnuplot missing, failing or past its deadline, unwritable
 * dir). */
int df_plot_doc(const json_t *doc, const df_plot_opts *opts, df_err *err);

/* Creates dir and its missing parents (mkdir -p). 0 or -errno. */
int df_plot_mkdirs(const char *dir, df_err *err);

/* `duckfeed plot RESULTS.json [--out-dir DIR] [--svg] [--name PREFIX]`;
 * argv[0] is the subcommand name. Returns the exit code: 0 done, 1 gnuplot
 * failed, 2 bad usage or an unreadable / malformed results file. */
int df_plot_main(int argc, char **argv);

/* Removes out_dir's plots of name (<name>-<kind>*.png, .svg, .dat), as a
 * suite whose results no longer match them needs. 0 or -errno. */
int df_plot_remove(const char *out_dir, const char *name);

#endif /* DF_HARNESS_PLOT_PLOT_H */
