/* harness/store/calibration.h - results/calibration.json (#15): what each
 * real server spends per request that the models do not simulate.
 *
 * examples/python/real.py --calibrate measures it (the server's CPU time
 * per /noop request, and the /cpu slope) and writes the file; `duckfeed
 * run --calibration FILE` reads it here and the models charge the cost
 * (df_model_cfg.request_cost_ns). docs/RESULTS-SCHEMA.md has the fields.
 */
#ifndef DF_HARNESS_STORE_CALIBRATION_H
#define DF_HARNESS_STORE_CALIBRATION_H

#include <stdint.h>

#include "base/err.h"

#define DF_CALIBRATION_SCHEMA "duckfeed-calibration/1"
/* A cost above this (1 s per request) is a broken measurement. */
#define DF_CALIBRATION_MAX_COST_US 1000000.0

/* The cost to charge model_name's lanes, from spec = "FILE" or
 * "FILE#NAME". With NAME, the entry of that name, whatever its model;
 * without, the first entry whose "model" is model_name. The whole file
 * is checked either way; with model_name NULL and no NAME, only that
 * (*cost_ns 0). 0 and *cost_ns set, or -ENOENT (no such file or
 * entry) / -EINVAL (not a calibration file, a field missing or out of
 * range) with err->msg "FILE: why" on one line; *cost_ns is then 0. */
int df_calibration_cost(const char *spec,
                        const char *model_name,
                        int64_t *cost_ns,
                        df_err *err);

#endif /* DF_HARNESS_STORE_CALIBRATION_H */
