/* harness/sweep/plan.h - (harness/ private) `duckfeed run`'s option lists and
 * their expansion into the points of a sweep. */
#ifndef DF_HARNESS_SWEEP_PLAN_H
#define DF_HARNESS_SWEEP_PLAN_H

#include <stdint.h>

#include "harness/sweep/point.h"
#include "models/gil.h"
#include "workloads/params.h"

/* Capacities of the option lists, checked (with a one-line error) where
 * the flags are parsed. */
#define DF_PLAN_MAX_LIST      64   /* values of one list flag */
#define DF_PLAN_MAX_WORKLOADS 16   /* --workload given */
#define DF_PLAN_MAX_MODELS    8    /* --model values */
#define DF_PLAN_MAX_GILS      3    /* --gil values: new, old, off */
#define DF_PLAN_MAX_REPEAT    1000 /* --repeat; sweep.c sizes arrays by it */
#define DF_PLAN_MAX_POINTS                                                 \
    100000                      /* points of one sweep, all lists expanded \
                                 */
#define DF_PLAN_LABEL_BYTES 256 /* a workload's spec as shown */

typedef struct df_int_list {
    int n;
    int64_t v[DF_PLAN_MAX_LIST];
} df_int_list;

/* What the flags of `duckfeed run` say, parsed (harness/cli/run.c). */
typedef struct df_run_opts {
    const df_model_ops *models[DF_PLAN_MAX_MODELS];
    int nmodels;
    const char *wl_spec[DF_PLAN_MAX_WORKLOADS];
    const df_workload *wl[DF_PLAN_MAX_WORKLOADS];
    df_params wl_params[DF_PLAN_MAX_WORKLOADS];
    char wl_label[DF_PLAN_MAX_WORKLOADS][DF_PLAN_LABEL_BYTES];
    int nwl;
    df_int_list workers, threads, processes, concurrency, hogs, switch_us;
    df_gil_mode gils[DF_PLAN_MAX_GILS];
    int ngils;
    int workers_given, processes_given;
    int64_t duration_ns, warmup_ns, requests, timeout_ns;
    int warmup_auto; /* --warmup auto: warmup_ns is its cap */
    int check_interval, trace, quiet;
    int part; /* --part: a suite's run, whose --out is a temporary file */
    double rates[DF_PLAN_MAX_LIST]; /* open loop when nrates > 0 */
    int nrates;
    int arrivals;         /* df_arrivals_kind */
    int64_t max_inflight; /* 0: unlimited */
    int repeat;
    uint64_t seed;
    df_model_cfg base; /* loop and GIL knobs shared by every point */
    const char *out;
    int force;             /* replace out even if it is not a results file */
    const char *target;    /* #14: --target URL: the target model alone */
    const char *plan;      /* #16: write the plan here instead of running */
    const char *plan_item; /* #16: "FILE:N", run that one item alone */
    /* #15: --calibration FILE[#NAME], and the per-request cost it gives
     * each of models[] (harness/store/calibration.h); 0 without. */
    const char *calibration;
    int64_t request_cost_ns[DF_PLAN_MAX_MODELS];
} df_run_opts;

/* The points of a sweep, in plan order; free() pts. */
typedef struct df_plan {
    df_point_cfg *pts;
    int n, cap;
} df_plan;

/* How many points df__plan_expand would make of o, without making them. */
int64_t df__plan_count(const df_run_opts *o);

/* Fills the empty p with every combination of o's lists that means
 * something (see plan.c), in one allocation. 0, or -E2BIG (more than
 * DF_PLAN_MAX_POINTS: nothing allocated) or -ENOMEM. */
int df__plan_expand(df_run_opts *o, df_plan *p);

#endif /* DF_HARNESS_SWEEP_PLAN_H */
