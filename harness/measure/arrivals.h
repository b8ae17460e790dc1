/* harness/measure/arrivals.h - open-loop arrival schedules, fixed in advance.
 *
 * An open-loop generator sends request k at t0 + df_arrivals_next_ns() of
 * the k-th call, whatever the system under test is doing: latency is then
 * counted from that intended start, so a stall cannot hide its queue
 * (wrk2's "constant throughput", no coordinated omission). The schedule
 * depends only on (kind, rate, seed), never on the clock, so a run is
 * reproducible from its recorded seed.
 */
#ifndef DF_HARNESS_MEASURE_ARRIVALS_H
#define DF_HARNESS_MEASURE_ARRIVALS_H

#include <stdint.h>

typedef enum df_arrivals_kind {
    DF_ARRIVALS_CONSTANT = 0, /* one every 1/rate exactly (wrk2 -R) */
    DF_ARRIVALS_POISSON = 1,  /* exponential inter-arrivals of mean 1/rate */
} df_arrivals_kind;

typedef struct df_arrivals df_arrivals; /* opaque; one caller thread */

/* rate_per_s > 0 and finite. seed only matters for DF_ARRIVALS_POISSON.
 * 0, or -EINVAL / -ENOMEM; *out is set only on success. */
int df_arrivals_create(df_arrivals_kind kind,
                       double rate_per_s,
                       uint64_t seed,
                       df_arrivals **out);
void df_arrivals_destroy(df_arrivals *a); /* NULL is fine */

/* Offset from t0 (ns) of the next intended start; non-decreasing. The
 * first call returns 0 for a constant schedule and one exponential draw
 * for Poisson (the first arrival of a Poisson process is not at 0). */
int64_t df_arrivals_next_ns(df_arrivals *a);

/* "constant" / "poisson" and back. parse: 0 or -EINVAL. */
const char *df_arrivals_name(df_arrivals_kind kind);
int df_arrivals_parse(const char *name, df_arrivals_kind *out);

#endif /* DF_HARNESS_MEASURE_ARRIVALS_H */
