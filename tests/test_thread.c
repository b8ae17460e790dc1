/* tests/test_thread.c - the thread model under the simulated GIL.
 *
 * Each scenario runs the model in a closed loop (the sink submits the next
 * request) for a fraction of a second and compares throughputs and
 * latencies as ratios with wide margins. On a shared 2-core machine a
 * ratio may be unlucky once, so a scenario that misses is re-run once; if
 * it misses again while the process got clearly less CPU than it needs
 * (CPU time / wall), the test is skipped with the reason on stderr rather
 * than blaming the model. Under valgrind, which runs one thread at a time,
 * and in a sanitizer build, only invariants are checked (tests/timing.h).
 */
#include "models/model.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/trace.h"
#include "models/gil.h"
#include "workloads/spin.h"

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include "tests/timing.h"

extern const df_model_ops df_model_thread;
extern const df_workload df_workload_echo;

#define MS         1000000LL
#define MAX_LAT    (1 << 18)
#define MAX_ID     20000
#define CPU_REQ_NS (200 * 1000) /* work per cpu request */

/* Test workloads: a Python loop, a sleeper and next to nothing. */

static int cpu_handle(df_ctx *ctx)
{
    df_spin_ns(ctx, CPU_REQ_NS, df_spin_iters_per_us());
    return 0;
}

static int sleep_handle(df_ctx *ctx)
{
    return df_sleep_ns(ctx, 1 * MS);
}

static int noop_handle(df_ctx *ctx)
{
    df_checkpoint(ctx);
    return 0;
}

static const df_workload cpu_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-cpu",
    .summary = "200 us of CPU",
    .kind = DF_KIND_CPU,
    .handle = cpu_handle,
};

static const df_workload sleep_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-sleep",
    .summary = "1 ms of sleep",
    .kind = DF_KIND_IO,
    .handle = sleep_handle,
};

static const df_workload noop_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-noop",
    .summary = "one checkpoint",
    .kind = DF_KIND_CPU,
    .handle = noop_handle,
};

/* One closed-loop run and what came out of it. */
typedef struct run {
    df_model *m;
    int stopping; /* atomic: the sink stops resubmitting */
    uint64_t next_id;
    pthread_mutex_t mu; /* guards the fields below */
    uint64_t done, errors;
    int64_t end_ns; /* completions after it are not counted */
    int64_t lat[MAX_LAT];
    size_t nlat;
    int64_t gil_wait_sum_ns;
    int seen[MAX_ID]; /* id -> completions */
    int bad_worker;
    /* Results. */
    df_model_stats stats;
    double rps;
    double wall_s;
    double cpu_cores; /* process CPU time / wall during the run */
} run;

static void sink(void *arg, const df_completion *c)
{
    run *r = arg;

    pthread_mutex_lock(&r->mu);
    if (r->end_ns == 0 || c->finished_ns <= r->end_ns) {
        r->done++;
        if (r->nlat < MAX_LAT)
            r->lat[r->nlat++] = c->finished_ns - c->started_ns;
        r->gil_wait_sum_ns += c->gil_wait_ns;
    }
    if (c->status != 0)
        r->errors++;
    if (c->id < MAX_ID)
        r->seen[c->id]++;
    if (c->worker < 0 || c->started_ns > c->finished_ns ||
        c->sent_ns > c->started_ns)
        r->bad_worker = 1;
    pthread_mutex_unlock(&r->mu);
    if (!__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
        df_request req = { .id = __atomic_fetch_add(&r->next_id, 1,
                                                    __ATOMIC_RELAXED) };
        req.sent_ns = req.intended_ns = df_now_ns();
        df_model_thread.submit(r->m, &req);
    }
}

typedef struct scenario {
    const df_workload *w;
    const df_params *params;
    df_gil_mode gil;
    int64_t interval_us;
    int threads, hogs, clients;
    int64_t run_ns;
} scenario;

/* Starts the model, keeps `clients` requests in flight for run_ns, stops.
 * The caller frees r (free_run). */
static run *run_scenario(const scenario *sc)
{
    run *r = calloc(1, sizeof *r);
    void *state = NULL;
    char why[128] = "";
    df_err err = { 0 };

    assert_non_null(r);
    pthread_mutex_init(&r->mu, NULL);
    if (sc->w->setup)
        assert_int_equal(sc->w->setup(sc->params, &state, why, sizeof why), 0);
    df_model_cfg cfg = {
        .threads = sc->threads,
        .gil = sc->gil,
        .switch_interval_us = sc->interval_us,
        .hogs = sc->hogs,
        .workload = sc->w,
        .workload_state = state,
        .params = sc->params,
        .sink = sink,
        .sink_arg = r,
    };
    assert_int_equal(df_model_thread.start(&cfg, &r->m, &err), 0);

    int64_t t0 = df_now_ns(), c0 = cpu_now_ns();
    for (int i = 0; i < sc->clients; i++) {
        df_request req = { .id = __atomic_fetch_add(&r->next_id, 1,
                                                    __ATOMIC_RELAXED) };
        req.sent_ns = req.intended_ns = df_now_ns();
        assert_int_equal(df_model_thread.submit(r->m, &req), 0);
    }
    struct timespec ts = { sc->run_ns / 1000000000, sc->run_ns % 1000000000 };
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    pthread_mutex_lock(&r->mu);
    r->end_ns = df_now_ns();
    pthread_mutex_unlock(&r->mu);
    __atomic_store_n(&r->stopping, 1, __ATOMIC_RELEASE);
    int64_t wall = r->end_ns - t0, cpu = cpu_now_ns() - c0;

    assert_int_equal(df_model_thread.stop(r->m, 5000 * MS, &r->stats, &err), 0);
    assert_true(r->stats.has_gil && r->stats.has_hogs && r->stats.has_pool);
    if (sc->w->teardown)
        sc->w->teardown(state);
    r->wall_s = (double)wall / 1e9;
    r->rps = (double)r->done / r->wall_s;
    r->cpu_cores = (double)cpu / (double)wall;
    pthread_mutex_destroy(&r->mu);
    assert_int_equal(r->errors, 0);
    assert_false(r->bad_worker);
    return r;
}

static void free_run(run *r)
{
    df_model_stats_clear(&r->stats);
    free(r);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double quantile_ms(run *r, double q)
{
    if (r->nlat == 0)
        return 0;
    qsort(r->lat, r->nlat, sizeof r->lat[0], cmp_i64);
    size_t i = (size_t)(q * (double)(r->nlat - 1));
    return (double)r->lat[i] / 1e6;
}

static double cpu_rps(df_gil_mode gil, int threads)
{
    scenario sc = { .w = &cpu_workload,
                    .gil = gil,
                    .threads = threads,
                    .clients = threads,
                    .run_ns = 400 * MS };
    run *r = run_scenario(&sc);
    double rps = r->rps;
    fprintf(stderr, "cpu, gil %s, %d threads: %.0f req/s (%.2f cores)\n",
            df_gil_mode_name(gil), threads, rps, r->cpu_cores);
    free_run(r);
    return rps;
}

/* Spec 13 item 1: CPU-bound threads under the GIL do not add throughput. */
static void test_thread_cpu_bound_does_not_scale(void **state)
{
    (void)state;
    for (int attempt = 0;; attempt++) {
        load_probe lp;
        probe_start(&lp);
        double one = cpu_rps(DF_GIL_NEW, 1);
        double two = cpu_rps(DF_GIL_NEW, 2) / one;
        double four = cpu_rps(DF_GIL_NEW, 4) / one;
        fprintf(stderr, "new GIL: 2 threads %.2fx, 4 threads %.2fx\n", two,
                four);
        if (!timing_trusted())
            return;
        int ok = two >= 0.8 && two <= 1.1 && four >= 0.8 && four <= 1.1;
        if (decide(ok, attempt, probe_free_cores(&lp), 1.0)) {
            assert_true(two >= 0.8 && two <= 1.1);
            assert_true(four >= 0.8 && four <= 1.1);
            return;
        }
    }
}

/* Spec 13 item 14: without the GIL the same threads use both cores. */
static void test_thread_gil_off_scales(void **state)
{
    (void)state;
    for (int attempt = 0;; attempt++) {
        load_probe lp;
        probe_start(&lp);
        double one = cpu_rps(DF_GIL_OFF, 1);
        scenario sc = { .w = &cpu_workload,
                        .gil = DF_GIL_OFF,
                        .threads = 2,
                        .clients = 2,
                        .run_ns = 400 * MS };
        run *r = run_scenario(&sc);
        double ratio = r->rps / one, two_cores = r->cpu_cores;
        fprintf(stderr, "gil off: 2 threads %.2fx on %.2f cores\n", ratio,
                two_cores);
        assert_true((double)r->stats.gil.held == 0);
        free_run(r);
        if (!timing_trusted())
            return;
        if (decide(ratio >= 1.6, attempt, probe_free_cores(&lp), 2.0)) {
            assert_true(ratio >= 1.6);
            return;
        }
    }
}

#define ECHO_REPS 3

/* Echo round trips with `hogs` CPU-bound neighbours, over ECHO_REPS runs. */
typedef struct echo_total {
    double rps[ECHO_REPS]; /* round trips per second of each run */
    int runs;
    int64_t *lat; /* every run's round trips (ns), for quantiles */
    size_t nlat;
} echo_total;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median run's round trips per second. */
static double echo_rps(echo_total *t)
{
    qsort(t->rps, (size_t)t->runs, sizeof t->rps[0], cmp_double);
    return t->rps[t->runs / 2];
}

static void echo_run(int hogs, int64_t interval_us, echo_total *t)
{
    scenario sc = { .w = &df_workload_echo,
                    .gil = DF_GIL_NEW,
                    .interval_us = interval_us,
                    .threads = 1,
                    .hogs = hogs,
                    .clients = 1,
                    .run_ns = 200 * MS };
    df_params p = { .count = 1, .value = { 1 } };
    sc.params = &p;
    run *r = run_scenario(&sc);
    const df_model_hogs_stats *h = &r->stats.hogs;
    assert_int_equal(h->count, hogs);
    fprintf(stderr,
            "echo, %d hog(s), %lld us: %.0f round trips/s, p10 %.3f "
            "p50 %.3f p90 %.3f ms, hog %.0f units/s\n",
            hogs, (long long)interval_us, r->rps, quantile_ms(r, 0.1),
            quantile_ms(r, 0.5), quantile_ms(r, 0.9), h->work_units_per_s);
    t->rps[t->runs++] = r->rps;
    t->lat = realloc(t->lat, (t->nlat + r->nlat) * sizeof *t->lat + 1);
    assert_non_null(t->lat);
    memcpy(t->lat + t->nlat, r->lat, r->nlat * sizeof *t->lat);
    t->nlat += r->nlat;
    free_run(r);
}

/* Spec 13 items 3 and 5: one CPU-bound neighbour makes each I/O round trip
 * wait about a switch interval, and a shorter interval helps. How often the
 * hog wins each race for the lock depends on how fast the kernel (and, in
 * a VM, the host) wakes it, which drifts from run to run; the three cases
 * are therefore interleaved ECHO_REPS times and compared on their median
 * runs. */
static void test_thread_convoy(void **state)
{
    (void)state;
    for (int attempt = 0;; attempt++) {
        echo_total alone = { 0 }, hog5 = { 0 }, hog1 = { 0 };
        load_probe lp;
        probe_start(&lp);
        for (int rep = 0; rep < ECHO_REPS; rep++) {
            echo_run(0, 5000, &alone);
            echo_run(1, 5000, &hog5);
            echo_run(1, 1000, &hog1);
        }
        double free_cores = probe_free_cores(&lp);
        /* Under valgrind the I/O thread may finish nothing at all. */
        double slow = echo_rps(&hog5) > 0 ? echo_rps(&hog5) : 1e-9;
        double fall = echo_rps(&alone) / slow;
        double rise = echo_rps(&hog1) / slow;
        double p90 = 0;
        if (hog5.nlat > 0) {
            qsort(hog5.lat, hog5.nlat, sizeof *hog5.lat, cmp_i64);
            p90 =
                (double)hog5.lat[(size_t)(0.9 * (double)(hog5.nlat - 1))] / 5e6;
        }
        fprintf(stderr,
                "convoy: fall %.0fx, p90 %.2f intervals, 1 ms "
                "rise %.1fx\n",
                fall, p90, rise);
        size_t done = hog5.nlat;
        free(alone.lat);
        free(hog5.lat);
        free(hog1.lat);
        if (!timing_trusted())
            return;
        int ok = fall >= 10 && p90 >= 0.5 && p90 <= 2.5 && rise >= 3;
        /* Multicore convoy: the hog on one core, the I/O thread and its
         * peer woken at once on the other. With that core busy the OS
         * runs the woken I/O thread late and the hog re-takes less - the
         * single-core case of spec 5, not what this test is about. */
        if (decide(ok, attempt, free_cores, 2.0)) {
            assert_true(done >= 1);
            assert_true(fall >= 10);
            assert_true(p90 >= 0.5 && p90 <= 2.5);
            assert_true(rise >= 3);
            return;
        }
    }
}

/* Spec 13 item 15: a thread that only waits through ctx holds nothing. */
static void test_thread_sleeper_holds_nothing(void **state)
{
    scenario sc = { .w = &sleep_workload,
                    .gil = DF_GIL_NEW,
                    .threads = 1,
                    .clients = 1,
                    .run_ns = 300 * MS };

    (void)state;
    run *r = run_scenario(&sc);

    double held = (double)r->stats.gil.held;
    fprintf(stderr, "sleeper: %llu requests, held %.4f\n",
            (unsigned long long)r->done, held);
    assert_true(r->done >= 10);
    assert_true((double)r->stats.gil.acquisitions >= 2.0 * (double)r->done);
    if (timing_trusted())
        assert_true(held < 0.05);
    free_run(r);
}

/* Every submitted request completes exactly once, on a valid worker. */
static void test_thread_each_request_once(void **state)
{
    enum { N = 10000 };
    run *r = calloc(1, sizeof *r);
    df_err err = { 0 };

    (void)state;
    pthread_mutex_init(&r->mu, NULL);
    r->stopping = 1; /* the sink does not resubmit */
    df_model_cfg cfg = { .threads = 4,
                         .gil = DF_GIL_NEW,
                         .workload = &noop_workload,
                         .sink = sink,
                         .sink_arg = r };
    assert_int_equal(df_model_thread.start(&cfg, &r->m, &err), 0);
    for (uint64_t id = 0; id < N; id++) {
        df_request req = { .id = id, .sent_ns = df_now_ns() };
        req.intended_ns = req.sent_ns;
        assert_int_equal(df_model_thread.submit(r->m, &req), 0);
    }

    assert_int_equal(df_model_thread.stop(r->m, 10000 * MS, &r->stats, &err),
                     0);

    assert_int_equal(r->done, N);
    for (int id = 0; id < N; id++)
        if (r->seen[id] != 1)
            fail_msg("request %d completed %d times", id, r->seen[id]);
    assert_false(r->bad_worker);
    assert_int_equal(r->stats.pool.abandoned, 0);
    pthread_mutex_destroy(&r->mu);
    free_run(r);
}

static void test_thread_start_einval(void **state)
{
    df_model *m;
    df_err err = { 0 };
    /* Nothing is submitted, so the sink is never called with its NULL. */
    df_model_cfg cfg = { .threads = 0, /* means 1 */
                         .workload = &noop_workload,
                         .sink = sink };

    (void)state;
    assert_int_equal(df_model_thread.start(&cfg, &m, &err), 0);
    cfg.threads = DF_MODEL_MAX_THREADS + 1;
    assert_int_equal(df_model_thread.start(&cfg, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "thread model"));
    assert_int_equal(df_model_thread.stop(m, MS, NULL, &err), 0);
}

/* The convoy's CPU side is counted, and shows in the GIL stats. */
static void test_thread_hogs_reported(void **state)
{
    scenario sc = { .w = &noop_workload,
                    .gil = DF_GIL_NEW,
                    .threads = 1,
                    .hogs = 2,
                    .clients = 0,
                    .run_ns = 200 * MS };

    (void)state;
    for (int attempt = 0;; attempt++) {
        load_probe lp;
        probe_start(&lp);
        run *r = run_scenario(&sc);

        assert_int_equal(r->stats.hogs.count, 2);
        assert_true(r->stats.hogs.work_units_per_s > 0);
        assert_int_equal(r->stats.gil.nthreads, 3);
        /* Held 90 % of the time only if the hogs got a core to hold it
         * on: a busy machine descheduled them in a fresh clone's run. */
        double held = (double)r->stats.gil.held;
        free_run(r);
        if (!timing_trusted() ||
            decide(held >= 0.9, attempt, probe_free_cores(&lp), 1.0)) {
            if (timing_trusted())
                assert_true(held >= 0.9);
            return;
        }
    }
}

/* The timeline sees a request run, wait on I/O, wait for the GIL, finish. */
static void test_thread_traces_states(void **state)
{
    scenario sc = { .w = &df_workload_echo,
                    .gil = DF_GIL_NEW,
                    .interval_us = 1000,
                    .threads = 1,
                    .hogs = 1,
                    .clients = 1,
                    .run_ns = 50 * MS };
    df_params p = { .count = 1, .value = { 1 } };
    int seen[4] = { 0 };

    (void)state;
    sc.params = &p;
    assert_int_equal(df_trace_enable(100000), 0);
    run *r = run_scenario(&sc);

    uint64_t n = df__trace->next < df__trace->capacity ? df__trace->next
                                                       : df__trace->capacity;
    for (uint64_t i = 0; i < n; i++) {
        const df_trace_event *e = &df__trace->event[i];
        assert_int_equal(e->worker, 0);
        assert_true(e->state >= 0 && e->state <= DF_TRACE_DONE);
        seen[e->state]++;
    }
    df_trace_disable();
    if (r->done > 0)
        for (int s = 0; s < 4; s++)
            assert_true(seen[s] > 0);
    free_run(r);
}

/* #13: threads start as requests need them, as ThreadPoolExecutor's
 * _adjust_thread_count starts them, not max_workers up front. */
#define POOL_MAX   64
#define POOL_BURST 32

static struct {
    int fds[POOL_BURST][2]; /* a pipe per request of the burst */
    int arrived;            /* atomic */
    pthread_mutex_t mu;     /* guards done */
    pthread_cond_t cv;
    int done;
} pool_sh = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* The burst's barrier: the last request to arrive writes a byte to every
 * other one's pipe; the others wait for theirs (the GIL released, as in
 * sock.recv). It opens only with POOL_BURST threads at once. */
static int burst_handle(df_ctx *ctx)
{
    const int me = (int)ctx->request_id;
    char c = 'x';

    if (__atomic_add_fetch(&pool_sh.arrived, 1, __ATOMIC_ACQ_REL) ==
        POOL_BURST) {
        for (int j = 0; j < POOL_BURST; j++)
            if (j != me && df_ctx_write(ctx, pool_sh.fds[j][1], &c, 1) != 1)
                return -EIO;
        return 0;
    }
    return df_ctx_read(ctx, pool_sh.fds[me][0], &c, 1) == 1 ? 0 : -EIO;
}

static const df_workload burst_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-burst",
    .summary = "a barrier of 32 requests",
    .kind = DF_KIND_IO,
    .handle = burst_handle,
};

static void pool_sink(void *arg, const df_completion *c)
{
    (void)arg;
    pthread_mutex_lock(&pool_sh.mu);
    pool_sh.done += c->status == 0;
    pthread_cond_signal(&pool_sh.cv);
    pthread_mutex_unlock(&pool_sh.mu);
}

/* ctx reads and writes want O_NONBLOCK fds: they wait through the ctx. */
static int nonblocking_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -errno;
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) < 0)
            return -errno;
    return 0;
}

static df_model *pool_start(const df_workload *w)
{
    df_model *m = NULL;
    df_err err = { 0 };
    df_model_cfg cfg = {
        .threads = POOL_MAX, .gil = DF_GIL_NEW, .workload = w, .sink = pool_sink
    };

    pool_sh.arrived = 0;
    pool_sh.done = 0;
    if (df_model_thread.start(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    return m;
}

static int pool_stop(df_model *m)
{
    df_model_stats stats;
    df_err err = { 0 };

    assert_int_equal(df_model_thread.stop(m, 20000 * MS, &stats, &err), 0);
    assert_true(stats.has_pool);
    int n = stats.pool.threads;
    df_model_stats_clear(&stats);
    return n;
}

/* Nothing submitted: one thread, not max_workers. */
static void test_thread_pool_not_prestarted(void **state)
{
    (void)state;
    assert_int_equal(pool_stop(pool_start(&noop_workload)), 1);
}

/* POOL_BURST requests that must all be in flight at once start exactly
 * that many threads: no fewer (the barrier would never open) and no more
 * (a thread starts only for a request no idle thread takes). */
static void test_thread_pool_grows_to_concurrency(void **state)
{
    (void)state;
    for (int i = 0; i < POOL_BURST; i++)
        assert_int_equal(nonblocking_pipe(pool_sh.fds[i]), 0);
    df_model *m = pool_start(&burst_workload);

    for (int i = 0; i < POOL_BURST; i++) {
        df_request r = { .id = (uint64_t)i, .sent_ns = df_now_ns() };
        assert_int_equal(df_model_thread.submit(m, &r), 0);
    }
    int threads = pool_stop(m);

    assert_int_equal(pool_sh.done, POOL_BURST);
    assert_int_equal(threads, POOL_BURST);
    for (int i = 0; i < POOL_BURST; i++) {
        close(pool_sh.fds[i][0]);
        close(pool_sh.fds[i][1]);
    }
}

/* One request at a time, 200 times: a handful of threads at most (one
 * more starts when a submit comes before the last worker is back in its
 * wait, as with ThreadPoolExecutor), far from POOL_MAX. */
static void test_thread_pool_stays_small_at_concurrency_1(void **state)
{
    (void)state;
    df_model *m = pool_start(&noop_workload);

    for (int i = 0; i < 200; i++) {
        df_request r = { .id = (uint64_t)i, .sent_ns = df_now_ns() };
        assert_int_equal(df_model_thread.submit(m, &r), 0);
        pthread_mutex_lock(&pool_sh.mu);
        while (pool_sh.done <= i)
            pthread_cond_wait(&pool_sh.cv, &pool_sh.mu);
        pthread_mutex_unlock(&pool_sh.mu);
    }
    int threads = pool_stop(m);

    assert_int_equal(pool_sh.done, 200);
    assert_true(threads >= 1 && threads <= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_each_request_once),
        cmocka_unit_test(test_thread_pool_not_prestarted),
        cmocka_unit_test(test_thread_pool_grows_to_concurrency),
        cmocka_unit_test(test_thread_pool_stays_small_at_concurrency_1),
        cmocka_unit_test(test_thread_start_einval),
        cmocka_unit_test(test_thread_hogs_reported),
        cmocka_unit_test(test_thread_traces_states),
        cmocka_unit_test(test_thread_sleeper_holds_nothing),
        cmocka_unit_test(test_thread_cpu_bound_does_not_scale),
        cmocka_unit_test(test_thread_gil_off_scales),
        cmocka_unit_test(test_thread_convoy),
    };
    return cmocka_run_group_tests_name("thread", tests, NULL, NULL);
}
