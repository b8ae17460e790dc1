/* harness/sweep/model_json.h - a model's own figures (df_model_stats) as the
 * JSON a point's record carries: docs/RESULTS-SCHEMA.md and docs/GIL.md. */
#ifndef DF_HARNESS_SWEEP_MODEL_JSON_H
#define DF_HARNESS_SWEEP_MODEL_JSON_H

#include <jansson.h>

#include "models/model.h"

/* A new object of one GIL's figures: totals, then a "threads" array. NULL
 * on ENOMEM. */
json_t *df_gil_stats_json(const df_gil_stats *s);

/* A new object of the parts s has, in this order: "loop", "gil",
 * "hogs_stats", "pool", "per_process" (an array of such objects). Empty
 * when the model reported nothing. NULL on ENOMEM. */
json_t *df_model_stats_json(const df_model_stats *s);

#endif /* DF_HARNESS_SWEEP_MODEL_JSON_H */
