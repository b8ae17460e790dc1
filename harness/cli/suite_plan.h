/* harness/cli/suite_plan.h - (harness/ private) a suite's sweeps as one
 * plan for GNU parallel or Slurm, and their parts merged back into the
 * suite's results (#16, docs/DISTRIBUTED.md). */
#ifndef DF_HARNESS_CLI_SUITE_PLAN_H
#define DF_HARNESS_CLI_SUITE_PLAN_H

#include "harness/suite/run.h"
#include "harness/suite/suite.h"

/* `duckfeed suite NAME... --plan FILE`: the plans of the m suites' runs
 * (kind "runs"), one after another in the order `duckfeed suite` runs
 * them, into FILE, each line tagged "suite": {"name", "run", "runs",
 * "quick"}. Runs nothing. 0, or 2 after one line on stderr. */
int df__suite_plan_write(df_suite **sel, int m, int quick, const char *path);

/* `duckfeed suite --merge FILE PART...`, first step: reads the plan FILE
 * and the parts, and gives each part to its suite's run. *names gets the
 * plan's suites in order (owned here until df__suite_merge_close),
 * *quick whether the plan was made with --quick. Returns how many names,
 * or -2 after one line on stderr (not a suite's plan, a part of another
 * plan). */
int df__suite_merge_open(const char *plan,
                         char **parts,
                         int nparts,
                         const char ***names,
                         int *quick);

/* How many runs the plan holds for suite name (0: none). */
int df__suite_merge_runs(const char *name);

/* A df_suite_run_fn merging instead of measuring: the k-th call gets the
 * plan's k-th run ("run" ARGS "--out" TMP "--part", as run.c calls it),
 * checks that ARGS still expand to that run's plan, and merges its parts
 * into TMP with `duckfeed merge`. Names the plan's lines still missing.
 * Returns 0, 1 (items missing: "complete": false), or 2. */
int df__suite_merge_run(int argc, char **argv);

void df__suite_merge_close(void);

#endif /* DF_HARNESS_CLI_SUITE_PLAN_H */
