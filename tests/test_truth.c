/* tests/test_truth.c - the point tells the truth at overload and on failure.
 *
 * Overload: a fake model serving 100 req/s, one at a time in arrival
 * order, under 1,000 closed-loop clients for a 1 s window. It logs every
 * request's send and delivery, so the test rebuilds the latency list the
 * point must describe - every finished request's latency and every
 * unfinished one's age at the window's end - and checks the censored count
 * and the p50 against it. Failure: a workload that fails every other
 * request, on the thread model: throughput counts the successes.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/clock.h"
#include "harness/sweep/point.h"
#include "models/gil.h"
#include "models/model.h"
#include "workloads/workload.h"

#define CLIENTS    1000
#define SERVICE_NS 10000000LL /* 100 req/s */
#define LOG_MAX    4096

typedef struct logged {
    int64_t sent_ns;
    int64_t before_ns, after_ns; /* the sink call ran within; 0: never */
} logged;

/* The fake model: a FIFO served by one thread, SERVICE_NS a request. */
struct df_model {
    df_model_cfg cfg;
    pthread_t server;
    pthread_mutex_t mu;
    pthread_cond_t more;
    df_request queue[LOG_MAX];
    int head, count, stopping;
};

static logged g_log[LOG_MAX]; /* by request, in arrival order */
static int g_nlog;
static int64_t g_started_ns; /* fake_start returned: the window opens after */

static void *serve(void *arg)
{
    struct df_model *m = arg;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        while (!m->count && !m->stopping)
            pthread_cond_wait(&m->more, &m->mu);
        if (m->stopping) {
            pthread_mutex_unlock(&m->mu);
            return NULL;
        }
        df_request r = m->queue[m->head];
        m->head = (m->head + 1) % LOG_MAX;
        m->count--;
        pthread_mutex_unlock(&m->mu);
        df_completion c = { .id = r.id,
                            .intended_ns = r.intended_ns,
                            .sent_ns = r.sent_ns,
                            .started_ns = df_now_ns() };
        struct timespec ts = { 0, SERVICE_NS };
        nanosleep(&ts, NULL);
        c.finished_ns = df_now_ns();
        int64_t before = df_now_ns();
        m->cfg.sink(m->cfg.sink_arg, &c);
        int64_t after = df_now_ns();
        pthread_mutex_lock(&m->mu);      /* g_log: submit appends under it */
        for (int i = 0; i < g_nlog; i++) /* small: a few hundred served */
            if (g_log[i].sent_ns == r.sent_ns && !g_log[i].before_ns) {
                g_log[i].before_ns = before;
                g_log[i].after_ns = after;
                break;
            }
        pthread_mutex_unlock(&m->mu);
    }
}

static int fake_start(const df_model_cfg *cfg, df_model **out, df_err *err)
{
    struct df_model *m = calloc(1, sizeof *m);
    (void)err;
    if (!m)
        return -ENOMEM;
    m->cfg = *cfg;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->more, NULL);
    g_nlog = 0;
    pthread_create(&m->server, NULL, serve, m);
    *out = m;
    g_started_ns = df_now_ns();
    return 0;
}

static int fake_submit(df_model *m, const df_request *req)
{
    pthread_mutex_lock(&m->mu);
    if (m->count == LOG_MAX || g_nlog == LOG_MAX) {
        pthread_mutex_unlock(&m->mu);
        return -EAGAIN;
    }
    m->queue[(m->head + m->count) % LOG_MAX] = *req;
    m->count++;
    g_log[g_nlog++] = (logged){ .sent_ns = req->sent_ns };
    pthread_cond_signal(&m->more);
    pthread_mutex_unlock(&m->mu);
    return 0;
}

/* Abandons whatever is queued at once: those are never delivered. */
static int fake_stop(df_model *m,
                     int64_t drain_ns,
                     df_model_stats *stats,
                     df_err *err)
{
    (void)drain_ns, (void)stats, (void)err;
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    pthread_cond_signal(&m->more);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->server, NULL);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->more);
    free(m);
    return 0;
}

static const df_model_ops fake_fifo = {
    .name = "fifo100",
    .start = fake_start,
    .submit = fake_submit,
    .stop = fake_stop,
};

static int noop_handle(df_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static const df_workload noop = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-noop",
    .summary = "returns at once",
    .kind = DF_KIND_CPU,
    .handle = noop_handle,
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static df_point_cfg base_cfg(const df_model_ops *ops, const df_workload *w)
{
    static df_params params;
    df_point_cfg pc = { 0 };
    pc.model = ops;
    pc.mcfg.workers = 1;
    pc.mcfg.threads = 2;
    pc.mcfg.gil = DF_GIL_NEW;
    pc.mcfg.switch_interval_us = DF_GIL_DEFAULT_INTERVAL_US;
    pc.mcfg.check_interval = DF_GIL_DEFAULT_CHECK_INTERVAL;
    pc.mcfg.slow_callback_ns = 100000000;
    pc.mcfg.workload = w;
    pc.mcfg.params = &params;
    pc.workload_spec = w->name;
    pc.processes = 1;
    pc.repeat = 1;
    return pc;
}

static double num(const json_t *rec, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(rec, path1);
    return json_number_value(path2 ? json_object_get(v, path2) : v);
}

static int has_mark(const json_t *rec, const char *mark)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(rec, "marks"), i,
                       m) if (strcmp(json_string_value(m), mark) == 0) return 1;
    return 0;
}

static void test_overload_censors_requests_in_flight(void **state)
{
    (void)state;
    df_point_cfg pc = base_cfg(&fake_fifo, &noop);
    pc.concurrency = CLIENTS;
    pc.duration_ns = 1000000000;
    pc.warmup_ns = 0; /* the window opens with the first send */
    json_t *rec = NULL;
    df_err err = { 0 };
    assert_int_equal(df_point_run(&pc, &rec, &err), 0);

    /* The window opened between the model's start and the first send:
     * taking the latter, censored ages are at most delta too long. */
    int64_t ws = g_log[0].sent_ns, we = ws + pc.duration_ns;
    int64_t delta = ws - g_started_ns;
    static int64_t values[LOG_MAX];
    int n = 0, censored = 0, edge = 0;
    for (int i = 0; i < g_nlog; i++) {
        const logged *l = &g_log[i];
        int64_t got = l->before_ns ? l->before_ns / 2 + l->after_ns / 2 : 0;
        if (l->before_ns && l->after_ns >= we - delta && l->before_ns < we)
            edge++; /* delivered while the window closed: either side */
        if (l->sent_ns >= we)
            continue;
        if (got && got < we) {
            if (got >= ws)
                values[n++] = got - l->sent_ns;
        } else {
            values[n++] = we - l->sent_ns;
            censored++;
        }
    }
    qsort(values, (size_t)n, sizeof values[0], cmp_i64);
    double want_p50_us = values[(n + 1) / 2 - 1] / 1e3; /* nearest rank */

    json_int_t got_censored =
        json_integer_value(json_object_get(rec, "censored"));
    print_message(
        "censored %lld (rebuilt %d), completed %lld, p50 %.0f us "
        "(rebuilt %.0f us, window start within %lld us)\n",
        (long long)got_censored, censored,
        (long long)json_integer_value(json_object_get(rec, "completed")),
        num(rec, "latency_us", "p50"), want_p50_us, (long long)(delta / 1000));
    assert_true(got_censored >= censored - edge &&
                got_censored <= censored + edge);
    /* Every client had a request in flight when the window closed. */
    assert_true(got_censored >= CLIENTS - 1 - edge && got_censored <= CLIENTS);
    /* Histogram: at most 0.1 % above; the sink call's midpoint: a few us;
     * the window's start: at most delta earlier than taken. */
    double p50 = num(rec, "latency_us", "p50");
    assert_true(p50 >= (want_p50_us - delta / 1e3) - 50 &&
                p50 <= want_p50_us * 1.001 + 50);
    /* Marked: not steady, too short a window, percentiles lower bounds. */
    assert_true(json_is_false(json_object_get(rec, "steady")));
    assert_true(json_is_true(json_object_get(rec, "latency_lower_bound")));
    assert_true(has_mark(rec, "window_short"));
    assert_true(has_mark(rec, "censored"));
    json_decref(rec);
}

static int g_calls;

static int half_handle(df_ctx *ctx)
{
    (void)ctx;
    return __atomic_fetch_add(&g_calls, 1, __ATOMIC_RELAXED) % 2 ? -EIO : 0;
}

static const df_workload half = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-half",
    .summary = "fails every other request",
    .kind = DF_KIND_CPU,
    .handle = half_handle,
};

static void test_half_failing_counts_successes(void **state)
{
    (void)state;
    df_point_cfg pc = base_cfg(df_model_find("thread"), &half);
    pc.concurrency = 4;
    pc.duration_ns = 300000000;
    pc.warmup_ns = 50000000;
    json_t *rec = NULL;
    df_err err = { 0 };
    assert_int_equal(df_point_run(&pc, &rec, &err), 0);
    json_int_t completed =
        json_integer_value(json_object_get(rec, "completed"));
    json_int_t errors = json_integer_value(json_object_get(rec, "errors"));
    json_int_t ok = json_integer_value(json_object_get(rec, "succeeded"));
    double rate = num(rec, "error_rate", NULL);
    print_message("completed %lld, errors %lld, error rate %.4f, %.0f req/s\n",
                  (long long)completed, (long long)errors, rate,
                  num(rec, "throughput_rps", NULL));
    assert_true(completed > 100);
    assert_int_equal(ok, completed - errors);
    assert_true(rate >= 0.48 && rate <= 0.52);
    assert_true(num(rec, "throughput_rps", NULL) == ok / 0.3 ||
                fabs(num(rec, "throughput_rps", NULL) - ok / 0.3) < 1e-6);
    assert_true(has_mark(rec, "errors"));
    json_decref(rec);
}

/* #18: a point whose peer lagged by a tenth of its median latency or
 * more, or refused connections, is marked peer_limited (informative: it
 * stays steady); a small lag is no mark. */
static void test_peer_lag_marks_point(void **state)
{
    static const struct {
        double lag_us;
        int refused, marked;
    } cases[] = { { 1500, 0, 1 }, { 500, 0, 0 }, { 0, 1, 1 }, { 0, 0, 0 } };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *rec = json_pack(
            "{s:i,s:{s:f},s:{s:I,s:I,s:I,s:f,s:i}}", "completed", 100,
            "latency_us", "p50", 10000.0, "peer", "requests", (json_int_t)100,
            "responses", (json_int_t)100, "late", (json_int_t)0, "lag_us_mean",
            cases[i].lag_us, "refused", cases[i].refused);
        assert_non_null(rec);

        assert_int_equal(df_point_mark(rec), 0);

        assert_int_equal(has_mark(rec, "peer_limited"), cases[i].marked);
        assert_true(json_is_true(json_object_get(rec, "steady")));
        json_decref(rec);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overload_censors_requests_in_flight),
        cmocka_unit_test(test_half_failing_counts_successes),
        cmocka_unit_test(test_peer_lag_marks_point),
    };
    return cmocka_run_group_tests_name("truth", tests, NULL, NULL);
}
