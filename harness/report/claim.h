/* harness/report/claim.h - a suite's claims, computed from the measured points.
 *
 * A claim compares one figure of two setups, or of one setup and a
 * number (an ideal, an interval), and may say what it expects:
 *   {"metric": "throughput_rps" | "latency_us.p90" | "kib_per_request" |
 *              "loop.slow_callbacks" | any numeric point field (dotted),
 *    "metric_is": "the echo round trips per second" (words; optional),
 *    "workload": NAME or SPEC (optional: both sides must run it),
 *    "a": SELECTOR, "a_is": "1 hog" (optional, for the short form),
 *    "b": SELECTOR or a number in the metric's unit, "b_is": "...",
 *    "expect": {"min": R, "max": R} (optional: bounds on a / b)}
 * A SELECTOR matches point fields by value: model, workers, threads, gil,
 * hogs, switch_interval_us, processes, concurrency, rate_rps, ...;
 * "spec" (or "workload_spec") is the workload as given ("blocking:ms=20")
 * or as its parameters print; "workload" its name or spec. Numbers match
 * numerically (5000 == 5000.0). With several points matching, the one
 * under the most load (highest concurrency) speaks.
 *
 * #17: {"kind": "survival", "a": SELECTOR, "b": SELECTOR, "workload",
 * "a_is", "b_is" as above, "per": PARAM (optional), "event_is": "crash"}
 * says that a kept serving under the failures its workload injects while
 * b stopped: "`process -w 2, c=8` kept serving 1767 req/s with a crash
 * every 50 requests; `thread -w 1 --threads 8, c=8` stopped at the first
 * crash (signal 11 (SIGSEGV), after 21 completed)". PARAM names a's
 * workload parameter giving the requests per failure. a must be an ok
 * point (steady or not: a crash every K requests is a transient by
 * design); b may have failed, which is the finding. It holds when b
 * failed; a is the throughput, b 0 when it stopped.
 */
#ifndef DF_HARNESS_REPORT_CLAIM_H
#define DF_HARNESS_REPORT_CLAIM_H

#include <stddef.h>

#include <jansson.h>

typedef struct df_claim_result {
    int measured;    /* 1: both sides found, with the metric */
    int verdict;     /* -1 no "expect", 0 does not hold, 1 holds */
    double a, b;     /* the two values (NAN when missing) */
    double ratio;    /* a / b (NAN when b is 0 or missing) */
    char text[640];  /* the report's sentence, with setups and values */
    char brief[640]; /* the terminal's sentence, with the a_is/b_is names */
} df_claim_result;

/* Computes claim against doc's points into out. Never fails: a side that
 * matched nothing says which selector, in out->text and out->brief. */
void df_claim_eval(const json_t *doc,
                   const json_t *claim,
                   df_claim_result *out);

/* "thread -w 1 --threads 2 gil=off hogs=1 switch=1ms, c=8": a point as
 * the deployment it stands for. */
void df_claim_describe(const json_t *pt, char *buf, size_t len);

/* 1 when pt matches selector (see above) and, if non-NULL, workload. */
int df_claim_match(const json_t *pt,
                   const json_t *selector,
                   const char *workload);

#endif /* DF_HARNESS_REPORT_CLAIM_H */
