/* harness/bench/bench.c - `duckfeed bench`: runs the named benchmarks (all by
 * default). Each one prints medians and spreads of its own figures. */
#include "harness/bench/bench.h"

#include <stdio.h>
#include <string.h>

#include "harness/bench/coro.h"
#include "harness/bench/gil.h"
#include "harness/bench/overhead.h"
#include "harness/bench/peer.h"

/* Runs one benchmark, printing its figures to out. 0, or nonzero when it
 * could not run. */
typedef int bench_fn(FILE *out);

typedef struct bench_entry {
    const char *name; /* as given on the command line */
    const char *what; /* one line, for --help and the heading */
    bench_fn *run;
} bench_entry;

static const bench_entry benches[] = {
    { "gil", "simulated GIL: uncontended acquire+release, checkpoint",
      df_bench_gil },
    { "coro", "coroutine switches, spawn rate, memory per task, timers",
      df_bench_coro },
    { "overhead", "harness cost per request beside the hand-off floors",
      df_bench_overhead },
    { "peer", "requests/s the upstream latency server answers at delay 0",
      df_bench_peer },
    { NULL, NULL, NULL },
};

int df_bench_main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: duckfeed bench [NAME...]\nbenchmarks:\n");
        for (const bench_entry *b = benches; b->name; b++)
            printf("  %-10s %s\n", b->name, b->what);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const bench_entry *b = benches;
        while (b->name && strcmp(b->name, argv[i]))
            b++;
        if (!b->name) {
            fprintf(stderr,
                    "duckfeed bench: unknown benchmark \"%s\" (see --help)\n",
                    argv[i]);
            return 2;
        }
    }
    int rc = 0;
    for (const bench_entry *b = benches; b->name; b++) {
        int chosen = argc <= 1;
        for (int i = 1; i < argc; i++)
            chosen |= !strcmp(b->name, argv[i]);
        if (!chosen)
            continue;
        printf("== %s: %s\n", b->name, b->what);
        fflush(stdout);
        if (b->run(stdout) != 0)
            rc = 1;
    }
    return rc;
}
