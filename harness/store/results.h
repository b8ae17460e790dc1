/* harness/store/results.h - the results document: machine, command, points. */
#ifndef DF_HARNESS_STORE_RESULTS_H
#define DF_HARNESS_STORE_RESULTS_H

#include <jansson.h>

#include "base/err.h"

#define DF_RESULTS_SCHEMA "duckfeed.results/1"

/* A new document {"schema", "complete": false, "started", "duckfeed",
 * "machine", "command", "points": []} for the command argv. NULL on ENOMEM. */
json_t *df_results_new(int argc, char **argv);

/* The machine description (pyperf-style metadata). */
json_t *df_results_machine(void);

/* Writes doc to path atomically (a temp file beside it, then rename), so a
 * reader never sees half a file. 0 or -errno with err set. */
int df_results_write(const json_t *doc, const char *path, df_err *err);

/* Fails early, before any point runs, when path cannot be written. */
int df_results_check_writable(const char *path, df_err *err);

#endif /* DF_HARNESS_STORE_RESULTS_H */
