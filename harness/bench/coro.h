/* harness/bench/coro.h - `duckfeed bench coro`: context switch, spawn,
 * memory per sleeping task and timer costs of the coroutine loop. */
#ifndef DF_HARNESS_BENCH_CORO_H
#define DF_HARNESS_BENCH_CORO_H

#include <stdio.h>

/* Prints the figures side by side to out. 0, or -errno if a loop or pool
 * could not be made (the reason is printed). Takes ~10-30 s. */
int df_bench_coro(FILE *out);

#endif /* DF_HARNESS_BENCH_CORO_H */
