/* harness/cli/run.h - `duckfeed run`: flags to a plan of points, run, save. */
#ifndef DF_HARNESS_CLI_RUN_H
#define DF_HARNESS_CLI_RUN_H

/* Parses argv (argv[0] is "run"), runs every point in its own child,
 * writes the results file after each point, prints a summary table.
 * Returns 0 when every point succeeded, 1 when some failed, 2 on bad
 * input (one line on stderr naming the problem). */
int df_run_main(int argc, char **argv);

typedef struct df_run_opts df_run_opts;

/* (harness/ private) Parses `run`'s argv (argv[0] is "run") into o, as
 * df_run_main does: 0, 2 after one line on stderr, or -1 when --help was
 * printed. Loads the --plugin files it names. o's strings point into
 * argv, which must outlive o. */
int df__run_parse(int argc, char **argv, df_run_opts *o);

/* (harness/ private) The option table df__run_parse reads argv with
 * (harness/cli/opt.h): tests/fuzz/fuzz_cli.c reads argv through it less
 * --plugin, which df__run_parse would load. */
typedef struct df_opt_cmd df_opt_cmd;
const df_opt_cmd *df__run_cmd(void);

#endif /* DF_HARNESS_CLI_RUN_H */
