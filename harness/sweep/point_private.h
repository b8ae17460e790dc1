/* harness/sweep/point_private.h - (harness/ private) what point.c shares with
 * littles.c (the in-flight sampler) and point_record.c (the record's JSON). */
#ifndef DF_HARNESS_SWEEP_POINT_PRIVATE_H
#define DF_HARNESS_SWEEP_POINT_PRIVATE_H

#include <jansson.h>
#include <stdint.h>

#include "harness/measure/hist.h"
#include "workloads/workload.h"

/* The in-flight sampler of the Little's law check (littles.c). Its inputs
 * are set before its thread starts; its results are read after the join. */
typedef struct df__sampler {
    const int64_t *inflight;  /* atomic: submitted and not finished */
    const int *stopping;      /* atomic: the load is over */
    int64_t start_ns, end_ns; /* the window (requests mode: a deadline) */
    uint64_t seed;
    /* Sums of gap-weighted samples and of the weights (ns). */
    double sum, weight;
    int64_t samples;
} df__sampler;

/* pthread start routine, arg a df__sampler: samples *inflight at random
 * instants inside the window until it ends or *stopping is set. */
void *df__sampler_main(void *arg);

/* Sleeps until t_ns on the CLOCK_MONOTONIC scale of df_now_ns. */
void df__sleep_until(int64_t t_ns);

/* About 60 (percentile, us) rows of h, dense in the tail, for the CDF
 * plot; a new array, NULL on ENOMEM. */
json_t *df__point_cdf_json(const df_hist *h);

/* The trace buffer's events, times in us from t0_ns; a new array. */
json_t *df__point_trace_json(int64_t t0_ns);

/* Resident set now, from /proc/self/statm; 0 if unreadable. */
int64_t df__point_rss_now_bytes(void);

/* Adds CPU, switches and memory of the whole point to rec; call after the
 * model stopped, with rec's "inflight_mean" set. */
void df__point_add_rusage(json_t *rec, int64_t rss_before);

/* Adds rec's "peer" (docs/RESULTS-SCHEMA.md) from w's peer hook, if it
 * has one; call before teardown, in the process that ran setup. */
void df__point_add_peer(json_t *rec, const df_workload *w, void *state);

#endif /* DF_HARNESS_SWEEP_POINT_PRIVATE_H */
