/* workloads/params.h - workload specs ("cpu:us=2000") to typed parameters.
 *
 * A spec names a workload and sets some of its declared parameters; the rest
 * take their declared defaults. Values are typed by the declaration:
 *   INT       decimal integer, may be negative
 *   DURATION  stored in ns; text may end in ns, us, ms or s (a bare number
 *             is in the declaration's unit); decimals allowed ("1.5ms");
 *             never negative
 *   SIZE      stored in bytes; text may end in B, KB, MB or GB, binary scale
 *             (1 KB = 1024 B, as KiB); a bare number is in the declaration's
 *             unit; never negative
 *   BOOL      true/false, yes/no, on/off, 1/0
 * Every failure is -EINVAL with one line naming the workload and parameter.
 */
#ifndef DF_WORKLOADS_PARAMS_H
#define DF_WORKLOADS_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "workloads/workload.h"

/* Parses spec ("name" or "name:k=v,k2=v2"), looking the name up with
 * df_registry_find. On success returns 0, sets *w and fills p (defaults for
 * what the spec leaves out). On failure returns -EINVAL, sets err, and
 * leaves *w and p untouched. */
int df_workload_parse_spec(const char *spec,
                           const df_workload **w,
                           df_params *p,
                           df_err *err);

/* Fills p with w's declared defaults. 0, or -EINVAL with err naming the
 * declaration at fault (a plugin's bad default). */
int df_params_defaults(const df_workload *w, df_params *p, df_err *err);

/* The largest DURATION value: 1,000,000 s (about 11.6 days), in ns. A
 * model adds a duration to the clock (now + ns) and a workload may add two
 * (upstream's ms + jitter), so a value that merely fits in int64 ns could
 * still overflow there; below this bound a few such sums cannot (#12). */
#define DF_PARAM_DURATION_MAX_NS INT64_C(1000000000000000)

/* Parses one value of decl's type into *out (ns, bytes, 0/1 or an integer).
 * 0, or -EINVAL with err set: `workload W: parameter P: "T" is not ...`;
 * a duration over DF_PARAM_DURATION_MAX_NS "is above the limit of ...". */
int df_param_parse_value(const char *workload,
                         const df_param_decl *decl,
                         const char *text,
                         int64_t *out,
                         df_err *err);

/* Number of declared parameters of w (0 when w->params is NULL), or
 * -EINVAL if there are more than DF_WORKLOAD_MAX_PARAMS. */
int df_params_count(const df_workload *w);

/* Index of the parameter called name in w's declarations, or -ENOENT. */
int df_params_index(const df_workload *w, const char *name);

/* Multiplier from the named unit to ns (DURATION) or bytes (SIZE), or 0 if
 * unit is not one of that type's units. NULL means ns / B. */
int64_t df_params_unit_scale(df_param_type type, const char *unit);

/* The canonical text of a point, every parameter in declaration order:
 * "cpu:us=2000", "web:parse=200,upstream=10,render=300". A value that is
 * not a whole number of the declared unit carries its own suffix
 * ("us=1500ns"). Writes at most n bytes including the NUL; returns the
 * length written, or -ENOSPC if it did not fit (buf then holds a truncated,
 * terminated prefix). */
int df_params_format(const df_workload *w,
                     const df_params *p,
                     char *buf,
                     size_t n);

#endif /* DF_WORKLOADS_PARAMS_H */
