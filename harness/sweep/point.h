/* harness/sweep/point.h - one point of a sweep: a model, a workload, a load
 * level.
 *
 * df_point_run drives a point inside the current process (the runner calls
 * it in a forked child): it sets the workload up, starts the model, offers
 * the load, stops the model and describes the result as JSON.
 */
#ifndef DF_HARNESS_SWEEP_POINT_H
#define DF_HARNESS_SWEEP_POINT_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"
#include "models/model.h"

typedef struct df_point_cfg {
    const df_model_ops *model; /* as named by --model */
    df_model_cfg mcfg;         /* workers, threads, GIL, loop, workload */
    const char *workload_spec; /* canonical "cpu:us=2000", for labels */
    int processes;       /* >1 with thread/coroutine: a hybrid of processes */
    int concurrency;     /* closed loop: clients, each one request in flight */
    int64_t duration_ns; /* measured window */
    int64_t warmup_ns;   /* run before the window, not recorded; with
                            warmup_auto its cap */
    int warmup_auto;     /* closed loop: warm up until steady (warm_up) */
    int64_t requests;    /* >0: stop after this many requests (no window) */
    int trace;           /* record per-request states for the timeline */
    /* Open loop (rate_rps > 0): arrivals on a schedule fixed in advance,
     * latency from each request's intended start (no coordinated
     * omission). rate_rps == 0: closed loop with `concurrency` clients. */
    double rate_rps;
    int arrivals;         /* df_arrivals_kind */
    int64_t max_inflight; /* open loop: refuse arrivals beyond; 0: none */
    uint64_t seed;        /* arrival schedule of this repetition */
    int repeat;           /* repetitions of the point (identity only) */
} df_point_cfg;

/* Little's law self-check: mean in flight sampled at random instants vs
 * the mean the requests' timestamps imply over the same window (the
 * exact form of L = lambda W, edges included; see littles.c). error =
 * |s - p| / max(s, p) (0 when both are 0); ok when error <= 0.10. A new
 * {"ok","inflight_sampled","inflight_predicted","error"} object, NULL on
 * ENOMEM. */
json_t *df_point_littles_check(double inflight_sampled,
                               double inflight_predicted);
#define DF_POINT_LITTLES_TOLERANCE 0.10

/* Closed loop: a window holding fewer completions per client is "short"
 * (checks.window), and censored values beyond 1 in this many make the
 * percentiles lower bounds (latency_lower_bound). */
#define DF_POINT_MIN_PER_CLIENT 5
/* --warmup auto: the cap of the automatic warm-up, and the fixed warm-up
 * it means in open loop. */
#define DF_POINT_WARMUP_CAP_NS  3000000000LL
#define DF_POINT_OPEN_WARMUP_NS 200000000LL
/* #18: a point is peer_limited when its peer lagged, on average, by more
 * than this fraction of the point's median latency, or refused
 * connections. */
#define DF_POINT_PEER_LAG_SHARE 0.1

/* Sets rec's "steady" and "marks" (docs/RESULTS-SCHEMA.md) from its
 * checks, counts and loop figures; a point record or a folded one. 0 or
 * -ENOMEM. */
int df_point_mark(json_t *rec);

/* Steady-state check: throughput x mean latency (lambda W, from the
 * window's completions) vs the exact mean in flight; they differ when the
 * window holds a transient. A new {"ok","inflight_lambda_w","inflight",
 * "error"} object, same tolerance, NULL on ENOMEM. */
json_t *df_point_steady_check(double lambda_w, double inflight);

/* The identity of the point (model, workload, load level...) as a new JSON
 * object: the part every record has, failed or not. */
json_t *df_point_identity_json(const df_point_cfg *pc);

/* Runs the point; on success *out is the full point record. On failure
 * returns a negative errno with err set, *out untouched. */
int df_point_run(const df_point_cfg *pc, json_t **out, df_err *err);

/* Describes a latency histogram (ns) in microseconds:
 * {"mean","p50","p90","p99","p999","max"}. */
struct df_hist;
json_t *df_point_latency_json(const struct df_hist *h);

#endif /* DF_HARNESS_SWEEP_POINT_H */
