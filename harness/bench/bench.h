/* harness/bench/bench.h - `duckfeed bench`: the instrument measures itself. */
#ifndef DF_HARNESS_BENCH_BENCH_H
#define DF_HARNESS_BENCH_BENCH_H

int df_bench_main(int argc, char **argv);

#endif /* DF_HARNESS_BENCH_BENCH_H */
