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

/* Writes doc to path atomically: a mkstemp file in path's directory,
 * fsync'd, renamed over path, then the directory fsync'd. A reader never
 * sees half a file, and a symlink planted beside path is never followed.
 * Replaces whatever is at path: claim it first (df_results_acquire). 0 or
 * -errno with err set ("cannot write PATH: why"). */
int df_results_write(const json_t *doc, const char *path, df_err *err);

/* A run's claim on its results file (opaque): see df_results_acquire. */
typedef struct df_results_lock df_results_lock;

/* Claims path for one run, before anything is measured: takes the lock
 * "<path>.lock" (flock, not waited for), then checks that what is at path
 * may be replaced - nothing, an empty file or a duckfeed document; any
 * other regular file only with force; never a directory, a symbolic link
 * or a device. 0 and *out, or -EBUSY (another run holds it), -EISDIR,
 * -EEXIST, -errno with err set to one line naming path. */
int df_results_acquire(const char *path,
                       int force,
                       df_results_lock **out,
                       df_err *err);

/* Removes the lock file and lets go of it. NULL is fine. */
void df_results_release(df_results_lock *lk);

#endif /* DF_HARNESS_STORE_RESULTS_H */
