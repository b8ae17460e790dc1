/* harness/cli/merge.h - `duckfeed merge`: parts of a distributed plan into
 * one results file (#16, docs/DISTRIBUTED.md). */
#ifndef DF_HARNESS_CLI_MERGE_H
#define DF_HARNESS_CLI_MERGE_H

/* argv[0] is "merge". 0 when every item of the plan is in, 1 when the
 * file was written without some ("complete": false; stderr names them),
 * 2 on bad input (one line on stderr). */
int df_merge_main(int argc, char **argv);

#endif /* DF_HARNESS_CLI_MERGE_H */
