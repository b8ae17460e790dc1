/* tests/test_openloop.c - open loop does not coordinate with a stalled
 * model, and the Little's-law check catches an inconsistent point. The
 * models are fakes whose submit() runs the request on the generator's own
 * thread - the worst case: a stall blocks the sender itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "harness/arrivals.h"
#include "harness/clock.h"
#include "harness/point.h"
#include "workloads/registry.h"

struct df_model {
    df_model_cfg cfg;
    int64_t stall_ns;  /* once, at request stall_at */
    uint64_t stall_at;
    int64_t hidden_ns; /* every request: time spent but not reported */
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
    if (m->hidden_ns) {
        /* Busy for hidden_ns but claims it finished at once: in flight
         * longer than its latency says. */
        sleep_ns(m->hidden_ns);
    }
    m->cfg.sink(m->cfg.sink_arg, &c);
    return 0;
}

static int fake_stop(df_model *m, int64_t drain_ns, json_t **stats, df_err *err)
{
    (void)drain_ns;
    (void)stats;
    (void)err;
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

static json_t *run_point(double rate, int64_t duration_ns)
{
    static const df_params none = { 0 };
    df_point_cfg pc = { 0 };
    json_t *rec = NULL;
    df_err err = { 0 };

    pc.model = &fake_model;
    pc.mcfg.workload = df_registry_find("noop");
    pc.mcfg.params = &none;
    pc.workload_spec = "noop";
    pc.duration_ns = duration_ns;
    pc.warmup_ns = 200000000;
    pc.rate_rps = rate;
    pc.arrivals = DF_ARRIVALS_CONSTANT;
    pc.seed = 1;
    pc.repeat = 1;
    assert_non_null(pc.mcfg.workload);
    assert_int_equal(df_point_run(&pc, &rec, &err), 0);
    return rec;
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
    assert_true(fig(rec, "latency_naive_us", "p99") < 10000);
    assert_true(fig(rec, "queue_us", "p99") >= 500000);
    json_decref(rec);
}

static void test_openloop_littles_law_flags_inconsistency(void **state)
{
    json_t *rec;
    (void)state;
    fake_stall_ns = 0;
    fake_hidden_ns = 2000000; /* 2 ms in flight, ~0 reported */

    rec = run_point(200, 1000000000LL);

    json_t *ll = json_object_get(json_object_get(rec, "checks"), "littles_law");
    assert_non_null(ll);
    assert_false(json_is_true(json_object_get(ll, "ok")));
    assert_true(json_number_value(json_object_get(ll, "error")) > 0.5);
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
        cmocka_unit_test(test_openloop_littles_check_values),
    };
    return cmocka_run_group_tests_name("openloop", tests, NULL, NULL);
}
