/* harness/store/resfile.h - reads a results file (duckfeed.results/1)
 * defensively.
 *
 * The plot step, the report and the suite runner all consume what
 * `duckfeed run` wrote. Anything may be missing or odd in such a file (a run
 * killed half-way, a hand-edited file, another schema), so every reader goes
 * through here: the file is checked once, and the accessors below return a
 * default instead of trusting a field's type.
 */
#ifndef DF_HARNESS_STORE_RESFILE_H
#define DF_HARNESS_STORE_RESFILE_H

#include <jansson.h>

#include "base/err.h"

#define DF_RESFILE_SCHEMA "duckfeed.results/1"

/* Loads path and checks the shape every consumer relies on: an object with
 * "schema" == DF_RESFILE_SCHEMA and a "points" array of objects, each with
 * string "model" and "workload" and, unless "status" is "failed", a number
 * "throughput_rps". Returns 0 and a new reference in *out, or -EINVAL /
 * -ENOENT... with err->msg = "why" (without the path: callers prefix it). */
int df_resfile_load(const char *path, json_t **out, df_err *err);

/* The number at a dotted path ("latency_us.p99") in obj, or dflt when any
 * step is missing or not a number. */
double df_resfile_num(const json_t *obj, const char *path, double dflt);

/* The number at a dotted path as an int (a fraction dropped), or dflt when
 * any step is missing, it is not a number, or it is outside int's range.
 * #12: casting df_resfile_num's double is undefined past that range. */
int df_resfile_int(const json_t *obj, const char *path, int dflt);

/* The string at a dotted path, or dflt. Never NULL unless dflt is. */
const char *df_resfile_str(const json_t *obj,
                           const char *path,
                           const char *dflt);

/* 1 when the point ran to the end ("status" absent or "ok"). */
int df_resfile_point_ok(const json_t *point);

/* Writes "cpu:us=2000" (workload and its params in file order) into buf. */
void df_resfile_workload_spec(const json_t *point, char *buf, size_t len);

/* Writes "2026-11-24, 2 cores Test CPU @ 2.0GHz, Linux 6.1.0, gcc 12.2.0"
 * into buf: the machine and the date, for plot footers and the report. */
void df_resfile_footer(const json_t *doc, char *buf, size_t len);

#endif /* DF_HARNESS_STORE_RESFILE_H */
