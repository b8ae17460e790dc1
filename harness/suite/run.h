/* harness/suite/run.h - (harness/ private) running one suite, and what
 * the runners and the CLI (suite_cli.c) need of suite.c. */
#ifndef DF_HARNESS_SUITE_RUN_H
#define DF_HARNESS_SUITE_RUN_H

#include <jansson.h>

#include "base/load.h"

#include "base/err.h"
#include "harness/suite/suite.h"

/* Options of one `duckfeed suite` call. */
typedef struct df_suite_opts {
    const char *results_dir, *plots_dir, *suites_dir;
    int quick, list;
    const char *plan;  /* --plan FILE: write the suites' plan, run nothing */
    const char *merge; /* --merge FILE: merge its parts, measure nothing */
    const char *calibration; /* #15: passed to every run as --calibration */
    char command[1024];      /* the invocation, recorded in each results file */
} df_suite_opts;

/* The signal (SIGINT, SIGTERM) that arrived while `duckfeed suite` ran
 * (outside a sweep, which has its own handlers and says so in its exit
 * status), else 0. cli/suite.c. */
int df__suite_stop_signal(void);

/* "SIGINT" or "SIGTERM" for sig, what an interrupted results file's
 * "interrupted" says. cli/suite.c. */
const char *df__suite_signal_name(int sig);

/* Every *.json in dir, loaded and checked, sorted by "order" (suite.c).
 * Returns the count or a negative errno (the first bad file is an error,
 * not skipped: a typo in a lesson must not silently drop it). */
int df__suite_load_all(const char *dir, df_suite ***out, df_err *err);

/* The "suite" object a merged results file carries, for the report
 * (suite.c). A new reference, NULL on ENOMEM. */
json_t *df__suite_meta(const df_suite *s, int quick);

/* The "machine_load" object of a suite's results: what the load probe
 * started at p saw over the suite's span (docs/RESULTS-SCHEMA.md); NULL
 * when /proc could not be read. */
json_t *df__suite_load_json(const df_load_probe *p);

/* Runs every run of s (kind "runs") through run, writes
 * RESULTS/<name>.json and plots it; *doc_out gets the results (the caller
 * owns them). Returns 0, 1 (something failed but results were written),
 * 2 (nothing to write) or DF_SUITE_EXIT_SIGNALED + n when signal n
 * stopped it: the runs that finished (and the repetitions of the one
 * stopped) are written marked "interrupted", not plotted. run.c. */
int df__suite_run_runs(const df_suite *s,
                       const df_suite_opts *o,
                       df_suite_run_fn *run,
                       json_t **doc_out);

/* Runs the examples script of s (kind "examples"), collecting its
 * DF-RESULT lines into RESULTS/<name>.json; *doc_out as above. Returns 0,
 * 1 (the script failed), 2 (nothing written) or DF_SUITE_EXIT_SIGNALED +
 * n (stopped by signal n: what it printed is written, marked
 * "interrupted"). examples.c. */
int df__suite_run_examples(const df_suite *s,
                           const df_suite_opts *o,
                           json_t **doc_out);

#endif /* DF_HARNESS_SUITE_RUN_H */
