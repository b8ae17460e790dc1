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
    int rss_fd; /* /proc/self/statm, or -1: no memory samples */
    /* Sums of gap-weighted samples and of the weights (ns). */
    double sum, weight;
    int64_t samples;
    /* #13: the largest in-flight count sampled, and this process's
     * resident set read at the instants it was sampled (the largest such
     * reading); 0 when never read. */
    int64_t inflight_peak;
    int64_t rss_at_peak_bytes;
} df__sampler;

/* pthread start routine, arg a df__sampler: samples *inflight at random
 * instants inside the window until it ends or *stopping is set; reads
 * the resident set with every sample at or above the peak so far. */
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

/* The same from an open /proc/self/statm (pread at 0: no open per call,
 * for the sampler); 0 if unreadable. */
int64_t df__point_rss_read_bytes(int statm_fd);

/* Adds CPU, switches and memory of the whole point to rec; call after the
 * model stopped. s: the sampler's peak pair; in_process: the requests ran
 * in this process (not in forked workers), so its resident set is theirs. */
void df__point_add_rusage(json_t *rec,
                          int64_t rss_before,
                          const df__sampler *s,
                          int in_process);

/* Adds rec's "peer" (docs/RESULTS-SCHEMA.md) from w's peer hook, if it
 * has one; call before teardown, in the process that ran setup. */
void df__point_add_peer(json_t *rec, const df_workload *w, void *state);

#endif /* DF_HARNESS_SWEEP_POINT_PRIVATE_H */
