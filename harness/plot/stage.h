/* harness/plot/stage.h - (harness/ private) a plot run's files, made aside
 * and moved into place only once every one of them was made. */
#ifndef DF_HARNESS_PLOT_STAGE_H
#define DF_HARNESS_PLOT_STAGE_H

#include <limits.h>

#include "base/err.h"

typedef struct df__plot_stage {
    char out_dir[PATH_MAX]; /* where the files land */
    /* "<out_dir>/.df-plot-XXXXXX", "./" in front when relative (see
     * df__gnuplot_path): the same file system, so moving in is a rename. */
    char dir[PATH_MAX];
} df__plot_stage;

/* Creates the stage directory in out_dir (which must exist). 0 or -errno
 * with err set. */
int df__plot_stage_open(df__plot_stage *st, const char *out_dir, df_err *err);

/* Renames every staged file into out_dir, replacing files of the same
 * name. With replace, then removes out_dir's <prefix>-*.png, .svg and .dat
 * that were not among them: plots of an earlier run this one did not draw.
 * Removes the stage directory. 0 or -errno with err set. */
int df__plot_stage_commit(df__plot_stage *st,
                          const char *prefix,
                          int replace,
                          df_err *err);

/* Removes the stage directory and what it holds; out_dir is untouched. */
void df__plot_stage_abort(df__plot_stage *st);

#endif /* DF_HARNESS_PLOT_STAGE_H */
