/* harness/cli/run.h - `duckfeed run`: flags to a plan of points, run, save. */
#ifndef DF_HARNESS_CLI_RUN_H
#define DF_HARNESS_CLI_RUN_H

/* Parses argv (argv[0] is "run"), runs every point in its own child,
 * writes the results file after each point, prints a summary table.
 * Returns 0 when every point succeeded, 1 when some failed, 2 on bad
 * input (one line on stderr naming the problem). */
int df_run_main(int argc, char **argv);

#endif /* DF_HARNESS_CLI_RUN_H */
