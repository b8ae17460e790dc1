/* harness/bench/overhead.h - what measuring costs, and the machine's floor
 * for the hand-offs each model is built on.
 *
 * The harness spends, per request, one request built from the arrival
 * schedule, two clock reads and three histogram records; that must stay far
 * below anything it measures. The floors say how fast a model could at
 * best hand a request to a worker and back: a pipe round trip between two
 * processes (the process model), a mutex/condvar round trip between two
 * threads (the thread model), a coroutine switch plus an eventfd wake
 * (the coroutine model). Each model's noop cost is printed beside its
 * floor, as a ratio.
 */
#ifndef DF_HARNESS_BENCH_OVERHEAD_H
#define DF_HARNESS_BENCH_OVERHEAD_H

#include <stdio.h>

typedef struct df_bench_figure {
    double median_ns, min_ns, max_ns; /* per operation, across runs */
    int runs;
    long ops_per_run;
} df_bench_figure;

#define DF_BENCH_MODELS  3 /* process, thread, coroutine */
#define DF_BENCH_CLIENTS 2 /* closed loop with 1 and 16 clients */

typedef struct df_bench_floors {
    df_bench_figure harness;     /* per request recorded */
    df_bench_figure pipe_rtt;    /* process -> process -> back */
    df_bench_figure condvar_rtt; /* thread -> thread -> back */
    df_bench_figure eventfd_rtt; /* thread -> thread -> back, eventfds */
    df_bench_figure coro_rtt;    /* coroutine resume + yield */
    /* ns per noop request (1 / throughput) of process -w 1, thread
     * --threads 1, coroutine; [model][0]: 1 client, [1]: 16 clients.
     * Filled by df_bench_overhead_models only. */
    df_bench_figure noop[DF_BENCH_MODELS][DF_BENCH_CLIENTS];
} df_bench_floors;

/* Runs the harness and floor measurements (about two seconds). 0 or
 * -errno. */
int df_bench_overhead_measure(df_bench_floors *out);

/* Runs each model on noop, closed loop (about 4 s). 0 or -errno. */
int df_bench_overhead_models(df_bench_floors *out);

/* The floor model m (0 process, 1 thread, 2 coroutine) is compared with:
 * pipe rtt; condvar rtt; coroutine rtt + eventfd rtt. */
double df_bench_overhead_floor_ns(const df_bench_floors *b, int model);

/* Measures and prints a table to out: figures, then each model's ratio to
 * its floor. 0 or -errno. */
int df_bench_overhead(FILE *out);

#endif /* DF_HARNESS_BENCH_OVERHEAD_H */
