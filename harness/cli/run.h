/* harness/cli/run.h - `duckfeed run`: flags to a plan of points, run, save. */
#ifndef DF_HARNESS_CLI_RUN_H
#define DF_HARNESS_CLI_RUN_H

/* Parses argv (argv[0] is "run"), runs every point in its own child,
 * writes the results file after each point, prints a summary table.
 * Returns 0 when every point succeeded, 1 when some failed, 2 on bad
 * input (one line on stderr naming the problem). */
int df_run_main(int argc, char **argv);

/* (harness-private) The option table df_run_main reads argv with
 * (harness/cli/opt.h), for tests/fuzz/fuzz_cli.c to feed its lists and
 * durations. */
typedef struct df_opt_cmd df_opt_cmd;
const df_opt_cmd *df__run_cmd(void);

#endif /* DF_HARNESS_CLI_RUN_H */
