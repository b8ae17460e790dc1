/* harness/suite/suite.h - named comparisons: run them, merge, plot, report.
 *
 * A suite file (harness/suite/suites/NAME.json, read with jansson) is one
 * lesson:
 *   {"name", "version", "order", "default": bool, "title", "sentence",
 *    "kind": "runs" (default) | "examples",
 *    "runs": [{"label", "argv": [flags of `duckfeed run`],
 *              "quick": [flags that replace the same flags with --quick]}],
 *    "plots": [plot kinds, see harness/plot/plot.h], "claims": [see report.h],
 *    "command": [script under the build dir, args] (kind "examples"),
 *    "quick": [the same, shorter] (kind "examples")}
 */
#ifndef DF_HARNESS_SUITE_SUITE_H
#define DF_HARNESS_SUITE_SUITE_H

#include <jansson.h>

#include "base/err.h"

typedef struct df_suite df_suite; /* a loaded, checked suite file */

/* `duckfeed run` as a function: df_run_main (harness/cli/run.h) in the
 * program, a fake in tests. argv[0] is "run". Returns 0 ok, 1 some points
 * failed, 2 bad input, DF_SUITE_EXIT_SIGNALED + n when signal n (SIGINT,
 * SIGTERM) stopped it, its --out then holding what finished. */
typedef int df_suite_run_fn(int argc, char **argv);

/* Exit status of a run or a suite stopped by signal n: this + n, as a
 * shell reports it (and harness/sweep/sweep.h's DF_SWEEP_EXIT_SIGNALED). */
#define DF_SUITE_EXIT_SIGNALED 128

/* Loads and checks path: every field's type, flags `duckfeed run` knows
 * (and no --out: the suite sets it). 0 or -EINVAL/-ENOENT, err = "why". */
int df_suite_load(const char *path, df_suite **out, df_err *err);
void df_suite_destroy(df_suite *s); /* NULL is fine */

const char *df_suite_name(const df_suite *s);
const json_t *df_suite_json(const df_suite *s); /* the file, borrowed */

/* The argv (without "run" and --out) of run i, with quick overrides. A
 * NULL-terminated array the caller frees with free() (strings borrowed
 * from the suite). NULL on ENOMEM or a bad index. */
char **df_suite_run_argv(const df_suite *s, int i, int quick, int *argc);
int df_suite_nruns(const df_suite *s);

/* `duckfeed run --repeat`'s default, for runs that do not say. */
#define DF_SUITE_DEFAULT_REPEAT 3

/* Seconds the suite should take: points x repetitions x (duration +
 * warmup + 0.3 s start-up), counted the way `duckfeed run` expands its
 * lists. */
double df_suite_estimate_s(const df_suite *s, int quick);

/* `duckfeed suite [NAME...] [--quick] [--list] [--results-dir DIR]
 * [--plots-dir DIR] [--suites-dir DIR]`, running each point list through
 * run. argv[0] is "suite". Returns the exit code: 0 all ran, 1 some point,
 * run or plot failed, 2 bad usage or suite file, 128 + n when signal n
 * (SIGINT, SIGTERM) stopped it: the suite it stopped then has its results
 * file marked "interrupted" (no plots, no claims in the report), and the
 * suites after it do not run, their results and plots left as they were.
 * SIGINT and SIGTERM are caught while it runs, the caller's handlers put
 * back on return. */
int df_suite_main_with(int argc, char **argv, df_suite_run_fn *run);

/* The same with df_run_main (in suite_main.c, so that tests of the rest
 * do not link the runner). */
int df_suite_main(int argc, char **argv);

#endif /* DF_HARNESS_SUITE_SUITE_H */
