/* tests/test_arbiter.c - the process model's arbiter (#17): a dead worker
 * is replaced and its requests fail once; --worker-timeout,
 * --max-requests and the respawn-storm check. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "models/model.h"
#include "tests/timing.h"

extern const df_model_ops df_model_process;
extern const df_workload df_workload_crash;

#define MAX_WORKERS 4

/* MAP_SHARED: each worker writes its pid here. */
static pid_t *worker_pids;

/* 20 ms of waiting; request 5 hangs when hang_id says so. */
static uint64_t hang_id = UINT64_MAX;

static int nap_handle(df_ctx *ctx)
{
    worker_pids[ctx->worker] = getpid();
    if (ctx->request_id == hang_id)
        for (;;)
            df_sleep_ns(ctx, DF_NS_PER_S);
    return df_sleep_ns(ctx, 20 * DF_NS_PER_MS);
}

static int quick_handle(df_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static const df_workload nap = { .abi_version = DF_WORKLOAD_ABI_VERSION,
                                 .name = "nap",
                                 .handle = nap_handle };
static const df_workload quick = { .abi_version = DF_WORKLOAD_ABI_VERSION,
                                   .name = "quick",
                                   .handle = quick_handle };

/* A closed loop of clients, all counted on the collector's thread. */
typedef struct loop {
    df_model *m;
    int64_t limit, started, completed, errors, crashed, timed_out;
    int64_t hung_ns; /* the timed-out request's started -> failed */
} loop;

static void submit_next(loop *l)
{
    if (l->started >= l->limit)
        return;
    int64_t now = df_now_ns();
    df_request r = { .id = (uint64_t)l->started,
                     .intended_ns = now,
                     .sent_ns = now };
    if (df_model_process.submit(l->m, &r) == 0)
        l->started++;
}

static void sink(void *arg, const df_completion *c)
{
    loop *l = arg;
    l->completed++;
    if (c->status < 0)
        l->errors++;
    l->crashed += c->status == DF_STATUS_CRASHED;
    if (c->status == DF_STATUS_TIMED_OUT) {
        l->timed_out++;
        l->hung_ns = c->finished_ns - c->started_ns;
    }
    submit_next(l);
}

static df_model *start(loop *l, df_model_cfg *cfg, int clients)
{
    static const df_params none = { 0 };
    df_err err = { 0 };
    cfg->sink = sink;
    cfg->sink_arg = l;
    if (!cfg->params)
        cfg->params = &none;
    cfg->inflight_max = clients;
    assert_int_equal(df_model_process.start(cfg, &l->m, &err), 0);
    for (int i = 0; i < clients; i++)
        submit_next(l);
    return l->m;
}

/* Waits until the loop has completed everything it started. */
static void settle(loop *l, int64_t max_ns)
{
    int64_t end = df_now_ns() + max_ns;
    while (df_now_ns() < end &&
           (__atomic_load_n(&l->completed, __ATOMIC_RELAXED) < l->limit))
        usleep(1000);
}

static void test_arbiter_sigkill_mid_request(void **state)
{
    (void)state;
    loop l = { .limit = 200 };
    df_model_cfg cfg = { .workers = 2, .workload = &nap };
    df_model_stats st;
    start(&l, &cfg, 4);
    usleep(100 * 1000); /* 4 clients, 2 workers: both busy on a 20 ms nap */
    assert_int_equal(kill(worker_pids[0], SIGKILL), 0);
    settle(&l, 20 * DF_NS_PER_S);
    assert_int_equal(df_model_process.stop(l.m, DF_NS_PER_S, &st, NULL), 0);
    assert_int_equal(l.completed, l.started); /* completed + errors */
    assert_int_equal(l.errors, 1); /* the one request the worker held */
    assert_int_equal(l.crashed, 1);
    assert_int_equal(st.arbiter.held_errors, 1);
    assert_int_equal(st.arbiter.respawns, 1);
    assert_int_equal(st.arbiter.crashes, 1);
    assert_int_equal(st.arbiter.deaths_by_signal[SIGKILL], 1);
    df_model_stats_clear(&st);
}

static void test_arbiter_max_requests_recycles(void **state)
{
    (void)state;
    loop l = { .limit = 2000 };
    df_model_cfg cfg = { .workers = 2,
                         .workload = &quick,
                         .max_requests = 100 };
    df_model_stats st;
    start(&l, &cfg, 4);
    settle(&l, 30 * DF_NS_PER_S);
    assert_int_equal(df_model_process.stop(l.m, DF_NS_PER_S, &st, NULL), 0);
    assert_int_equal(l.completed, l.limit);
    assert_int_equal(l.errors, 0);
    /* Each worker recycles after every 100 of its requests: the total is
     * completed / 100, less at most one per worker's unfinished part. */
    int64_t want = l.completed / 100;
    assert_true((int64_t)st.arbiter.recycles <= want);
    assert_true((int64_t)st.arbiter.recycles >= want - cfg.workers);
    assert_int_equal(st.arbiter.respawns, st.arbiter.recycles);
    assert_int_equal(st.arbiter.crashes, 0);
    df_model_stats_clear(&st);
}

static void test_arbiter_worker_timeout(void **state)
{
    (void)state;
    for (int attempt = 0;; attempt++) {
        load_probe p;
        probe_start(&p);
        loop l = { .limit = 60 };
        df_model_cfg cfg = { .workers = 2,
                             .workload = &nap,
                             .worker_timeout_ns = 200 * DF_NS_PER_MS };
        df_model_stats st;
        hang_id = 5;
        start(&l, &cfg, 2);
        settle(&l, 20 * DF_NS_PER_S);
        assert_int_equal(df_model_process.stop(l.m, DF_NS_PER_S, &st, NULL), 0);
        hang_id = UINT64_MAX;
        assert_int_equal(l.completed, l.limit);
        assert_int_equal(l.timed_out, 1);
        assert_int_equal(l.errors, 1);
        assert_int_equal(st.arbiter.worker_timeouts, 1);
        assert_int_equal(st.arbiter.respawns, 1);
        df_model_stats_clear(&st);
        if (!timing_trusted())
            return;
        int ok =
            l.hung_ns >= 150 * DF_NS_PER_MS && l.hung_ns <= 250 * DF_NS_PER_MS;
        if (decide(ok, attempt, probe_free_cores(&p), 1)) {
            if (!ok)
                fail_msg("hung request failed after %.1f ms, want 200 +- 50",
                         l.hung_ns / 1e6);
            return;
        }
    }
}

static char storm_msg[256];
static int64_t storm_at_ns;

static void on_fatal(const char *msg)
{
    snprintf(storm_msg, sizeof storm_msg, "%s", msg);
    storm_at_ns = df_now_ns();
}

static void test_arbiter_respawn_storm(void **state)
{
    (void)state;
    df_params p = { .count = 4, .value = { 1, 0, 1, 0 } }; /* after=1 */
    char why[128];
    void *ws = NULL;
    assert_int_equal(df_workload_crash.setup(&p, &ws, why, sizeof why), 0);
    loop l = { .limit = 1000000 };
    df_model_cfg cfg = { .workers = 2,
                         .workload = &df_workload_crash,
                         .workload_state = ws,
                         .params = &p };
    df_err err = { 0 };
    df_model_fatal_hook_set(on_fatal);
    int64_t t0 = df_now_ns();
    start(&l, &cfg, 2);
    while (!storm_at_ns && df_now_ns() - t0 < 10 * DF_NS_PER_S)
        usleep(1000);
    assert_int_equal(df_model_process.stop(l.m, DF_NS_PER_S, NULL, &err),
                     -ECHILD);
    df_model_fatal_hook_set(NULL);
    df_workload_crash.teardown(ws);
    assert_true(storm_at_ns > 0);
    assert_true(storm_at_ns - t0 < 5 * DF_NS_PER_S);
    assert_non_null(strstr(storm_msg, "respawn storm"));
    assert_non_null(strstr(err.msg, "respawn storm"));
}

int main(void)
{
    worker_pids =
        mmap(NULL, MAX_WORKERS * sizeof *worker_pids, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (worker_pids == MAP_FAILED)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arbiter_sigkill_mid_request),
        cmocka_unit_test(test_arbiter_max_requests_recycles),
        cmocka_unit_test(test_arbiter_worker_timeout),
        cmocka_unit_test(test_arbiter_respawn_storm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
