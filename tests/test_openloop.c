/* tests/test_openloop.c - open loop does not coordinate with a stalled
 * model, and the Little's-law check catches an inconsistent point but
 * passes a consistent one whose requests straddle the window's edges. The
 * first models are fakes whose submit() runs the request on the
 * generator's own thread - the worst case: a stall blocks the sender
 * itself; the delay model finishes each request a fixed time after its
 * send, on a thread of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "harness/measure/arrivals.h"
#include "harness/sweep/point.h"
#include "tests/timing.h"
#include "workloads/registry.h"

struct df_model {
    df_model_cfg cfg;
    int64_t stall_ns; /* once, at request stall_at */
    uint64_t stall_at;
    int64_t hidden_ns; /* every request: its send reported this much early */
};

static int64_t fake_stall_ns, fake_hidden_ns;

static void sleep_ns(int64_t ns)
{
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int fake_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    df_model *m = calloc(1, sizeof *m);
    (void)err;
    if (!m)
        return -ENOMEM;
    m->cfg = *cfg;
    m->stall_ns = fake_stall_ns;
    m->stall_at = 1200; /* in the window: 0.2 s warm-up at 1000/s */
    m->hidden_ns = fake_hidden_ns;
    *out = m;
    return 0;
}

static int fake_submit(df_model *m, const df_request *req)
{
    df_completion c = { .id = req->id,
                        .intended_ns = req->intended_ns,
                        .sent_ns = req->sent_ns };
    c.started_ns = df_now_ns();
    if (m->stall_ns && req->id == m->stall_at)
        sleep_ns(m->stall_ns);
    c.finished_ns = df_now_ns();
    /* A model that corrupts the timestamps it hands back: it claims the
     * request was sent hidden_ns before it really was, so the spans say
     * more was in flight than the harness's own counter ever saw. (The
     * harness stamps delivery itself, so a model cannot shorten its
     * latency by stamping finished early; it can only break the spans.) */
    c.sent_ns -= m->hidden_ns;
    m->cfg.sink(m->cfg.sink_arg, &c);
    return 0;
}

static int fake_stop(df_model *m,
                     int64_t drain_ns,
                     df_model_stats *stats,
                     df_err *err)
{
    (void)drain_ns;
    (void)err;
    if (stats)
        memset(stats, 0, sizeof *stats); /* no figures of its own */
    free(m);
    return 0;
}

static const df_model_ops fake_model = {
    .name = "fake",
    .summary = "runs requests on the caller's thread",
    .start = fake_start,
    .submit = fake_submit,
    .stop = fake_stop,
};

/* The delay model: a FIFO of sent requests, each finished DELAY_NS after
 * its send by one completer thread. */
#define DELAY_NS  300000000 /* longer than the warm-up, half the window */
#define DELAY_CAP 4096

typedef struct delay_model {
    df_model_cfg cfg;
    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;
    df_request q[DELAY_CAP];
    int head, count, stopping;
    pthread_t th;
} delay_model;

static void *delay_main(void *arg)
{
    delay_model *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (m->count == 0 && !m->stopping)
            pthread_cond_wait(&m->cv, &m->mu);
        if (m->count == 0)
            break;
        df_request r = m->q[m->head];
        m->head = (m->head + 1) % DELAY_CAP;
        m->count--;
        pthread_mutex_unlock(&m->mu);
        int64_t wait = r.sent_ns + DELAY_NS - df_now_ns();
        if (wait > 0)
            sleep_ns(wait);
        df_completion c = { .id = r.id,
                            .intended_ns = r.intended_ns,
                            .sent_ns = r.sent_ns,
                            .started_ns = r.sent_ns };
        c.finished_ns = df_now_ns();
        m->cfg.sink(m->cfg.sink_arg, &c);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

static int delay_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    delay_model *m = calloc(1, sizeof *m);
    (void)err;
    if (!m)
        return -ENOMEM;
    m->cfg = *cfg;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    if (pthread_create(&m->th, NULL, delay_main, m) != 0) {
        free(m);
        return -EAGAIN;
    }
    *out = (df_model *)m;
    return 0;
}

static int delay_submit(df_model *dm, const df_request *req)
{
    delay_model *m = (delay_model *)dm;
    int rc = 0;
    pthread_mutex_lock(&m->mu);
    if (m->count == DELAY_CAP) {
        rc = -EAGAIN;
    } else {
        m->q[(m->head + m->count++) % DELAY_CAP] = *req;
        pthread_cond_signal(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int delay_stop(df_model *dm,
                      int64_t drain_ns,
                      df_model_stats *stats,
                      df_err *err)
{
    delay_model *m = (delay_model *)dm;
    (void)drain_ns;
    (void)err;
    if (stats)
        memset(stats, 0, sizeof *stats);
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->th, NULL);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return 0;
}

static const df_model_ops delay_model_ops = {
    .name = "delay",
    .summary = "finishes each request a fixed time after its send",
    .start = delay_start,
    .submit = delay_submit,
    .stop = delay_stop,
};

static json_t *run_point_on(const df_model_ops *ops,
                            double rate,
                            int64_t warmup_ns,
                            int64_t duration_ns)
{
    static const df_params none = { 0 };
    df_point_cfg pc = { 0 };
    json_t *rec = NULL;
    df_err err = { 0 };

    pc.model = ops;
    pc.mcfg.workload = df_registry_find("noop");
    pc.mcfg.params = &none;
    pc.workload_spec = "noop";
    pc.duration_ns = duration_ns;
    pc.warmup_ns = warmup_ns;
    pc.rate_rps = rate;
    pc.arrivals = DF_ARRIVALS_CONSTANT;
    pc.seed = 1;
    pc.repeat = 1;
    assert_non_null(pc.mcfg.workload);
    assert_int_equal(df_point_run(&pc, &rec, &err), 0);
    return rec;
}

static json_t *run_point(double rate, int64_t duration_ns)
{
    return run_point_on(&fake_model, rate, 200000000, duration_ns);
}

static double fig(json_t *rec, const char *obj, const char *key)
{
    return json_number_value(json_object_get(json_object_get(rec, obj), key));
}

static void test_openloop_stall_counts_from_intended(void **state)
{
    json_t *rec;
    (void)state;
    fake_stall_ns = 1000000000;
    fake_hidden_ns = 0;

    rec = run_point(1000, 3000000000LL);

    /* ~1000 of ~3000 requests waited behind the 1 s stall. */
    assert_true(fig(rec, "latency_us", "p99") >= 500000);
    /* From their actual send they were fast: what wrk would report. */
    if (timing_trusted())
        assert_true(fig(rec, "latency_naive_us", "p99") < 10000);
    assert_true(fig(rec, "queue_us", "p99") >= 500000);
    json_decref(rec);
}

static void test_openloop_littles_law_flags_inconsistency(void **state)
{
    json_t *rec;
    (void)state;
    fake_stall_ns = 0;
    fake_hidden_ns = 20000000; /* 20 ms more in flight than ever was */

    rec = run_point(200, 1000000000LL);

    /* The spans the model reports say 4 requests were in flight (200/s x
     * 20 ms); the harness's own counter and send stamps say almost none.
     * The steady-state check compares the two. (The littles_law check
     * compares the counter with the harness's own spans: both near 0 here,
     * so its verdict is noise and is not asserted - it failed 1 run in 10
     * under ASan when it was.) */
    json_t *st =
        json_object_get(json_object_get(rec, "checks"), "steady_state");
    assert_non_null(st);
    assert_false(json_is_true(json_object_get(st, "ok")));
    assert_true(json_number_value(json_object_get(st, "inflight_lambda_w")) >
                3.0);
    assert_true(json_number_value(json_object_get(st, "error")) > 0.5);
    json_decref(rec);
}

/* #6: a 100 ms warm-up before a 600 ms window of requests lasting 300 ms.
 * The window's completions alone (lambda W) see a mean in flight of 20
 * where there are 26.7 on average: the edges, not an inconsistency. */
static void test_openloop_littles_law_passes_across_edges(void **state)
{
    json_t *rec;
    (void)state;

    /* On a miss, once more; then skipped, loudly, if the machine was too
     * busy for the sampler to keep time (it failed so in a fresh clone's
     * run beside other work). */
    for (int attempt = 0;; attempt++) {
        load_probe lp;
        probe_start(&lp);
        rec = run_point_on(&delay_model_ops, 100, 100000000, 600000000);
        json_t *l =
            json_object_get(json_object_get(rec, "checks"), "littles_law");
        int ok = json_is_true(json_object_get(l, "ok")) &&
                 json_number_value(json_object_get(l, "inflight_sampled")) > 24;
        if (!timing_trusted() ||
            decide(ok, attempt, probe_free_cores(&lp), 1.0))
            break;
        json_decref(rec);
    }

    json_t *checks = json_object_get(rec, "checks");
    json_t *ll = json_object_get(checks, "littles_law");
    json_t *steady = json_object_get(checks, "steady_state");
    assert_non_null(ll);
    /* How many the sampler sees in flight depends on the model's delays
     * and the sampler's own timing: asserted where time means something. */
    if (timing_trusted()) {
        assert_true(json_is_true(json_object_get(ll, "ok")));
        assert_true(json_number_value(json_object_get(ll, "inflight_sampled")) >
                    24);
    }
    /* The window held the start-up: flagged, but as not steady. */
    assert_false(json_is_true(json_object_get(steady, "ok")));
    assert_true(json_number_value(json_object_get(steady, "error")) > 0.15);
    json_decref(rec);
}

static void test_openloop_littles_check_values(void **state)
{
    json_t *ok = df_point_littles_check(10.0, 10.5);
    json_t *bad = df_point_littles_check(10.0, 12.0);
    json_t *idle = df_point_littles_check(0, 0);
    (void)state;

    assert_true(json_is_true(json_object_get(ok, "ok")));
    assert_false(json_is_true(json_object_get(bad, "ok")));
    assert_true(json_is_true(json_object_get(idle, "ok")));
    json_decref(ok);
    json_decref(bad);
    json_decref(idle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openloop_stall_counts_from_intended),
        cmocka_unit_test(test_openloop_littles_law_flags_inconsistency),
        cmocka_unit_test(test_openloop_littles_law_passes_across_edges),
        cmocka_unit_test(test_openloop_littles_check_values),
    };
    return cmocka_run_group_tests_name("openloop", tests, NULL, NULL);
}
