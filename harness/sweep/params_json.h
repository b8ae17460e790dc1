/* harness/sweep/params_json.h - a point's workload parameters as JSON. */
#ifndef DF_HARNESS_SWEEP_PARAMS_JSON_H
#define DF_HARNESS_SWEEP_PARAMS_JSON_H

#include <jansson.h>

#include "workloads/workload.h"

/* A new JSON object {name: value}: numbers in the declared unit ({"us":
 * 2000}; a real when not a whole number), booleans as true/false. NULL only
 * on allocation failure. The caller owns the reference. */
json_t *df_params_to_json(const df_workload *w, const df_params *p);

#endif /* DF_HARNESS_SWEEP_PARAMS_JSON_H */
