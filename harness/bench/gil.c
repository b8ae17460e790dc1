/* harness/bench/gil.c - what the simulated GIL costs on its fast paths.
 *
 * Each figure is the median of RUNS timed runs with the min..max spread:
 * on a shared machine the spread shows how much the neighbours moved it,
 * and the median is robust to one preempted run. Costs are per operation,
 * loop overhead included (about a cycle), nothing subtracted.
 */
#include "harness/bench/gil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/err.h"
#include "models/gil.h"

#define RUNS 9

typedef struct figure {
    double median, min, max;
} figure;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static figure summarise(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (figure){ v[n / 2], v[0], v[n - 1] };
}

static void print_figure(FILE *out, const char *what, figure f, const char *u)
{
    fprintf(out, "  %-44s %9.1f %-3s (%.1f..%.1f)\n", what, f.median, u, f.min,
            f.max);
}

/* ns per acquire+release pair, one thread, nobody else registered. */
static int bench_pair(df_gil_mode mode, figure *f)
{
    enum { N = 200000 };
    df_gil *g;
    df_gil_thread *t;
    double v[RUNS];
    int r = df_gil_create(mode, DF_GIL_DEFAULT_INTERVAL_US,
                          DF_GIL_DEFAULT_CHECK_INTERVAL, &g);
    if (r < 0)
        return r;
    if ((r = df_gil_thread_register(g, "bench", &t)) < 0)
        goto out;
    for (int run = 0; run < RUNS; run++) {
        int64_t t0 = df_now_ns();
        for (int i = 0; i < N; i++) {
            df_gil_acquire(g, t);
            df_gil_release(g, t);
        }
        v[run] = (double)(df_now_ns() - t0) / N;
    }
    *f = summarise(v, RUNS);
out:
    df_gil_destroy(g);
    return r;
}

/* ns per checkpoint while holding the lock with no waiter. */
static int bench_checkpoint(df_gil_mode mode, figure *f)
{
    enum { N = 10000000 };
    df_gil *g;
    df_gil_thread *t;
    double v[RUNS];
    int r = df_gil_create(mode, DF_GIL_DEFAULT_INTERVAL_US,
                          DF_GIL_DEFAULT_CHECK_INTERVAL, &g);
    if (r < 0)
        return r;
    if ((r = df_gil_thread_register(g, "bench", &t)) < 0)
        goto out;
    df_gil_acquire(g, t);
    for (int run = 0; run < RUNS; run++) {
        int64_t t0 = df_now_ns();
        for (int i = 0; i < N; i++)
            df_gil_checkpoint(g, t);
        v[run] = (double)(df_now_ns() - t0) / N;
    }
    df_gil_release(g, t);
    *f = summarise(v, RUNS);
out:
    df_gil_destroy(g);
    return r;
}

/* Two threads checkpointing flat out with a 1 us interval: every switch is
 * a forced one, so wall time per switch is the cost of one drop request,
 * hand-off and wake-up - the per-switch cost behind spec 13 item 6. */
typedef struct duel {
    df_gil *g;
    int64_t until_ns;
} duel;

static void *duel_main(void *arg)
{
    duel *d = arg;
    df_gil_thread *t;
    if (df_gil_thread_register(d->g, "duel", &t) < 0)
        return NULL;
    df_gil_acquire(d->g, t);
    while (df_now_ns() < d->until_ns)
        df_gil_checkpoint(d->g, t);
    df_gil_release(d->g, t);
    return NULL;
}

static int bench_switch(figure *f)
{
    const int64_t run_ns = 50 * DF_NS_PER_MS;
    const int64_t interval_us = 1; /* drop requests at the first chance */
    double v[RUNS];
    for (int run = 0; run < RUNS; run++) {
        duel d;
        pthread_t th[2];
        int r = df_gil_create(DF_GIL_NEW, interval_us,
                              DF_GIL_DEFAULT_CHECK_INTERVAL, &d.g);
        if (r < 0)
            return r;
        int64_t t0 = df_now_ns();
        d.until_ns = t0 + run_ns;
        int n = 0;
        for (; n < 2; n++)
            if ((r = -pthread_create(&th[n], NULL, duel_main, &d)) < 0)
                break;
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        int64_t dt = df_now_ns() - t0;
        df_gil_stats s;
        int got = df_gil_stats_get(d.g, &s);
        uint64_t sw = s.switches;
        df_gil_stats_clear(&s);
        df_gil_destroy(d.g);
        if (r < 0)
            return r;
        if (got < 0)
            return got;
        v[run] = sw > 0 ? df_ns_to_us(dt) / (double)sw : 0;
    }
    *f = summarise(v, RUNS);
    return 0;
}

int df_bench_gil(FILE *out)
{
    figure f;
    int r;

    fprintf(out, "gil: median of %d runs (min..max)\n", RUNS);
    if ((r = bench_pair(DF_GIL_NEW, &f)) < 0)
        return r;
    print_figure(out, "acquire+release, new GIL, uncontended", f, "ns");
    if ((r = bench_pair(DF_GIL_OLD, &f)) < 0)
        return r;
    print_figure(out, "acquire+release, old GIL, uncontended", f, "ns");
    if ((r = bench_checkpoint(DF_GIL_NEW, &f)) < 0)
        return r;
    print_figure(out, "checkpoint, new GIL, no waiter", f, "ns");
    if ((r = bench_checkpoint(DF_GIL_OFF, &f)) < 0)
        return r;
    print_figure(out, "checkpoint, GIL off", f, "ns");
    if ((r = bench_checkpoint(DF_GIL_OLD, &f)) < 0)
        return r;
    print_figure(out, "checkpoint, old GIL (a tick; 1% release)", f, "ns");
    if ((r = bench_switch(&f)) < 0)
        return r;
    print_figure(out, "forced switch, 2 threads, interval 1 us", f, "us");
    return 0;
}
