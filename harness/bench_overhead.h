/* harness/bench_overhead.h - what measuring costs, and the machine's floor
 * for the hand-offs each model is built on.
 *
 * The harness spends, per request, one request built from the arrival
 * schedule, two clock reads and three histogram records; that must stay far
 * below anything it measures. The floors say how fast a model could at
 * best hand a request to a worker and back: a pipe round trip between two
 * processes (the process model), a mutex/condvar round trip between two
 * threads (the thread model); the coroutine switch floor comes from
 * df_bench_coro.
 */
#ifndef DF_HARNESS_BENCH_OVERHEAD_H
#define DF_HARNESS_BENCH_OVERHEAD_H

#include <stdio.h>

typedef struct df_bench_figure {
    double median_ns, min_ns, max_ns; /* per operation, across runs */
    int runs;
    long ops_per_run;
} df_bench_figure;

typedef struct df_bench_floors {
    df_bench_figure harness;      /* per request recorded */
    df_bench_figure pipe_rtt;     /* process -> process -> back */
    df_bench_figure condvar_rtt;  /* thread -> thread -> back */
} df_bench_floors;

/* Runs the three measurements (about a second in all). 0 or -errno. */
int df_bench_overhead_measure(df_bench_floors *out);

/* Measures and prints a table to out. 0 or -errno. */
int df_bench_overhead(FILE *out);

#endif /* DF_HARNESS_BENCH_OVERHEAD_H */
