/* harness/bench/gil.h - micro-benchmarks of the simulated GIL's fast paths. */
#ifndef DF_HARNESS_BENCH_GIL_H
#define DF_HARNESS_BENCH_GIL_H

#include <stdio.h>

/* Measures, in this thread, the uncontended acquire+release pair and the
 * checkpoint with nobody waiting (new, old and off modes), and a forced
 * hand-off between two threads, and writes a small table to out: the
 * median of several runs with its min..max spread. Takes about a second.
 * 0, or a negative errno (-ENOMEM, or thread creation failed). */
int df_bench_gil(FILE *out);

#endif /* DF_HARNESS_BENCH_GIL_H */
