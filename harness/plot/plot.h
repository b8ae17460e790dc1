/* harness/plot/plot.h - the plot step: results JSON -> .dat tables -> gnuplot. */
#ifndef DF_HARNESS_PLOT_PLOT_H
#define DF_HARNESS_PLOT_PLOT_H

#include <jansson.h>

#include "base/err.h"

typedef struct df_plot_opts {
    const char *out_dir; /* where .dat and images go; NULL: "plots" */
    const char *name;    /* file prefix; NULL: results file's base name */
    int svg;             /* 1: SVG instead of PNG */
    int quiet;           /* 1: do not list the files made on stdout */
    /* NULL-terminated plot kinds to draw ("throughput", "latency", "cdf",
     * "speedup", "memory", "gil", "queue", "bars", "timeline"); NULL: all
     * for which the data exists. */
    const char *const *only;
} df_plot_opts;

/* Draws every plot doc (a loaded, checked results document, see
 * harness/store/resfile.h) has the data for. Scripts come from $DF_GP_DIR or
 * DF_SOURCE_DIR/plots. Returns the number of images made, or a negative
 * errno with err->msg set (gnuplot missing or failing, unwritable dir). */
int df_plot_doc(const json_t *doc, const df_plot_opts *opts, df_err *err);

/* Creates dir and its missing parents (mkdir -p). 0 or -errno. */
int df_plot_mkdirs(const char *dir, df_err *err);

/* `duckfeed plot RESULTS.json [--out-dir DIR] [--svg] [--name PREFIX]`;
 * argv[0] is the subcommand name. Returns the exit code: 0 done, 1 gnuplot
 * failed, 2 bad usage or an unreadable / malformed results file. */
int df_plot_main(int argc, char **argv);

#endif /* DF_HARNESS_PLOT_PLOT_H */
