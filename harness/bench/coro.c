/* harness/bench/coro.c - what a coroutine costs: switch round trips (bare
 * registers, asm, ucontext, shared stack), spawn-to-completion rate, RSS
 * per sleeping task in both stack modes, timer add/cancel with 1 M pending.
 * Each timing is the median of RUNS runs with the min-max spread. */
#define _GNU_SOURCE
#include "harness/bench/coro.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "models/coro/switch.h" /* the bare switch, for reference */
#include "models/loop/loop.h"

#define RUNS 7
/* Timers and sleeps that never fire during a bench: an hour away, spread
 * over a further second so that the heap has real work. */
#define FAR_FUTURE_NS (3600 * DF_NS_PER_S)
#define SPREAD_NS     DF_NS_PER_S
#define TASKS_PER_M   1e6 /* spawn rate is shown in M tasks/s */
/* sleeping_rss: mappings left for everything but the stacks, and how
 * many spawns between two turns of the loop. */
#define VMA_HEADROOM    512
#define SPAWNS_PER_TURN 4096

typedef struct spread {
    double med, lo, hi;
} spread;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static spread summarize(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (spread){ v[n / 2], v[0], v[n - 1] };
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

/* Bare register switch: two contexts bouncing through df__coro_switch. */
#if DF_CORO_HAVE_ASM
static void *bare_host_sp, *bare_co_sp;

static void bare_entry(void *arg)
{
    (void)arg;
    for (;;)
        df__coro_switch(&bare_co_sp, bare_host_sp);
}

static double bare_round_trip_ns(long iters)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    bare_co_sp = df__coro_stack_init(stack + sizeof stack, bare_entry, NULL);
    int64_t t0 = df_now_ns();
    for (long i = 0; i < iters; i++)
        df__coro_switch(&bare_host_sp, bare_co_sp);
    return (double)(df_now_ns() - t0) / (double)iters;
}
#endif

typedef struct bouncer {
    df_coro_pool *pool;
    int stop;
} bouncer;

static void bounce(void *arg)
{
    bouncer *b = arg;
    while (!b->stop)
        df_coro_yield(b->pool);
}

/* Resume + yield through the API. With two coroutines alternating on a
 * shared stack every resume copies the other one out and this one in. */
static int api_round_trip_ns(df_switch_kind sw,
                             df_stack_kind st,
                             int ncoros,
                             long iters,
                             double *out)
{
    df_coro_cfg cfg = { .switch_kind = sw, .stack_kind = st };
    df_coro_pool *pool = NULL;
    df_coro *co[2];
    bouncer b = { 0 };
    df_err err = { 0 };
    int rc = df_coro_pool_create(&cfg, &pool, &err);
    if (rc < 0)
        return rc;
    b.pool = pool;
    for (int i = 0; i < ncoros; i++)
        DF_CHECK(df_coro_create(pool, bounce, &b, &co[i], NULL) == 0);
    for (int i = 0; i < ncoros; i++)
        df_coro_resume(co[i]);
    int64_t t0 = df_now_ns();
    for (long i = 0; i < iters; i++)
        df_coro_resume(co[i % ncoros]);
    *out = (double)(df_now_ns() - t0) / (double)iters;
    b.stop = 1;
    for (int i = 0; i < ncoros; i++)
        df_coro_resume(co[i]);
    df_coro_pool_destroy(pool);
    return 0;
}

static void print_spread(FILE *out,
                         const char *what,
                         spread s,
                         const char *unit)
{
    fprintf(out, "  %-34s %9.1f %s  [%.1f .. %.1f]\n", what, s.med, unit, s.lo,
            s.hi);
}

static int bench_switch(FILE *out)
{
    const long iters = 2000000;
    double v[RUNS];
    spread bare = { 0, 0, 0 };

    fprintf(out,
            "switch round trip (host -> coroutine -> host), median of "
            "%d x %ld:\n",
            RUNS, iters);
#if DF_CORO_HAVE_ASM
    for (int r = 0; r < RUNS; r++)
        v[r] = bare_round_trip_ns(iters);
    bare = summarize(v, RUNS);
    print_spread(out, "bare register switch", bare, "ns");
#endif
    static const struct {
        const char *name;
        df_switch_kind sw;
        df_stack_kind st;
        int n;
    } kinds[] = {
        { "asm, dedicated stack", DF_SWITCH_ASM, DF_STACK_DEDICATED, 1 },
        { "ucontext, dedicated stack", DF_SWITCH_UCONTEXT, DF_STACK_DEDICATED,
          1 },
        { "asm, shared stack, 2 alternating", DF_SWITCH_ASM, DF_STACK_SHARED,
          2 },
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int r = 0; r < RUNS; r++) {
            int rc = api_round_trip_ns(
                kinds[k].sw, kinds[k].st, kinds[k].n,
                kinds[k].sw == DF_SWITCH_UCONTEXT ? iters / 10 : iters, &v[r]);
            if (rc < 0)
                return rc;
        }
        spread s = summarize(v, RUNS);
        print_spread(out, kinds[k].name, s, "ns");
        if (k == 0 && bare.med > 0)
            fprintf(out, "  %-34s %9.2f x (target <= 2)\n", "asm / bare",
                    s.med / bare.med);
    }
    return 0;
}

static void nothing(void *arg)
{
    (void)arg;
}

static int bench_spawn(FILE *out)
{
    double v[RUNS];
    const int batch = 1000, batches = 1000;

    for (int k = 0; k < 2; k++) {
        df_loop_cfg cfg = { .stack_kind =
                                k ? DF_STACK_SHARED : DF_STACK_DEDICATED,
                            .slow_callback_ns = -1 };
        df_loop *loop = NULL;
        df_err err = { 0 };
        int rc = df_loop_create(&cfg, &loop, &err);
        if (rc < 0) {
            fprintf(out, "  spawn: %s\n", err.msg);
            return rc;
        }
        for (int r = 0; r < RUNS; r++) {
            int64_t t0 = df_now_ns();
            for (int b = 0; b < batches; b++) {
                for (int i = 0; i < batch; i++)
                    DF_CHECK(df_loop_spawn(loop, nothing, NULL, NULL, NULL) ==
                             0);
                DF_CHECK(df_loop_run_once(loop, 0) == 0);
            }
            double s = df_ns_to_s(df_now_ns() - t0);
            v[r] = (double)batch * batches / s / TASKS_PER_M;
        }
        df_loop_destroy(loop);
        spread s = summarize(v, RUNS);
        print_spread(out,
                     k ? "spawn-to-completion, shared"
                       : "spawn-to-completion, dedicated",
                     s, "M tasks/s");
    }
    return 0;
}

typedef struct sleeper {
    df_loop *loop;
} sleeper;

static void sleep_long(void *arg)
{
    sleeper *s = arg;
    df_loop_sleep_ns(s->loop, FAR_FUTURE_NS);
}

/* RSS per coroutine suspended in a sleep: everything included (coroutine
 * record, loop bookkeeping, timer heap slot, stack pages or saved frames). */
static int sleeping_rss(FILE *out, df_stack_kind st, long want)
{
    df_loop_cfg cfg = { .stack_kind = st, .slow_callback_ns = -1 };
    df_loop *loop = NULL;
    df_err err = { 0 };
    sleeper s;
    long n = want, made = 0;
    int rc = df_loop_create(&cfg, &loop, &err);
    if (rc < 0) {
        fprintf(out, "  memory: %s\n", err.msg);
        return rc;
    }
    s.loop = loop;
    if (st == DF_STACK_DEDICATED) {
        long budget = df_coro_vma_budget() - VMA_HEADROOM;
        if (n > budget)
            n = budget;
    }
    long before = rss_bytes();
    for (; made < n; made++) {
        if (df_loop_spawn(loop, sleep_long, &s, NULL, &err) < 0)
            break;
        if (made % SPAWNS_PER_TURN == SPAWNS_PER_TURN - 1)
            DF_CHECK(df_loop_run_once(loop, 0) == 0);
    }
    DF_CHECK(df_loop_run_once(loop, 0) == 0);
    long after = rss_bytes();
    fprintf(out, "  %-10s %8ld asked, %8ld sleeping: %7.0f B/task%s\n",
            st == DF_STACK_SHARED ? "shared" : "dedicated", want, made,
            made ? (double)(after - before) / (double)made : 0.0,
            made < want ? " (capped by vm.max_map_count)" : "");
    df_loop_destroy(loop);
    return 0;
}

static int bench_memory(FILE *out)
{
    fprintf(out, "memory per sleeping task (RSS delta / n, default 64 KiB "
                 "stacks):\n");
    const long ns[] = { 100000, 1000000 };
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            int rc = sleeping_rss(out, k ? DF_STACK_SHARED : DF_STACK_DEDICATED,
                                  ns[i]);
            if (rc < 0)
                return rc;
        }
    return 0;
}

static int bench_timers(FILE *out)
{
    const long pending = 1000000, ops = 200000;
    df_loop_cfg cfg = { 0 };
    df_loop *loop = NULL;
    df_err err = { 0 };
    df_loop_handle **h = malloc((size_t)ops * sizeof *h);
    double add[RUNS], cancel[RUNS];
    int rc = h ? df_loop_create(&cfg, &loop, &err) : -ENOMEM;
    if (rc < 0) {
        free(h);
        return rc;
    }
    int64_t now = df_now_ns();
    uint64_t x = 88172645463325252ull; /* xorshift: spread deadlines */
    for (long i = 0; i < pending; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        DF_CHECK(df_loop_call_at(loop,
                                 now + FAR_FUTURE_NS + (int64_t)(x % SPREAD_NS),
                                 nothing, NULL, NULL) == 0);
    }
    for (int r = 0; r < RUNS; r++) {
        int64_t t0 = df_now_ns();
        for (long i = 0; i < ops; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            DF_CHECK(df_loop_call_at(
                         loop, now + FAR_FUTURE_NS + (int64_t)(x % SPREAD_NS),
                         nothing, NULL, &h[i]) == 0);
        }
        int64_t t1 = df_now_ns();
        for (long i = 0; i < ops; i++) {
            df_loop_handle_cancel(loop, h[i]);
            df_loop_handle_release(loop, h[i]);
        }
        int64_t t2 = df_now_ns();
        add[r] = (double)(t1 - t0) / (double)ops;
        cancel[r] = (double)(t2 - t1) / (double)ops;
    }
    fprintf(out, "timers with %ld pending (random deadlines):\n", pending);
    print_spread(out, "call_at", summarize(add, RUNS), "ns");
    print_spread(out, "cancel (removed from the heap)", summarize(cancel, RUNS),
                 "ns");
    df_loop_destroy(loop);
    free(h);
    return 0;
}

int df_bench_coro(FILE *out)
{
    int rc = bench_switch(out);
    if (rc == 0)
        rc = bench_spawn(out);
    if (rc == 0)
        rc = bench_memory(out);
    if (rc == 0)
        rc = bench_timers(out);
    if (rc < 0)
        fprintf(out, "bench coro: %s\n", strerror(-rc));
    return rc;
}
