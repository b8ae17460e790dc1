/* tests/test_models.c - every model runs every request exactly once. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include "base/clock.h"
#include "models/model.h"

#define REQUESTS  10000
#define IN_FLIGHT 64

typedef struct seen {
    unsigned char count[REQUESTS]; /* atomic increments from model threads */
    uint64_t bad_ids;              /* atomic */
    uint64_t bad_times;            /* atomic: finished < started < intended */
    sem_t slots;                   /* bounds what is in flight */
} seen;

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

static void sink(void *arg, const df_completion *c)
{
    seen *s = arg;
    if (c->id >= REQUESTS)
        __atomic_fetch_add(&s->bad_ids, 1, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(&s->count[c->id], 1, __ATOMIC_RELAXED);
    if (c->started_ns < c->intended_ns || c->finished_ns < c->started_ns)
        __atomic_fetch_add(&s->bad_times, 1, __ATOMIC_RELAXED);
    sem_post(&s->slots);
}

/* Runs REQUESTS through ops (inside `workers` processes when
 * processes_inner), checks each ran once; stats, when non-NULL, gets the
 * model's figures (the caller clears them). */
static void run_model_stats(const df_model_ops *ops,
                            int processes_inner,
                            int workers,
                            df_model_stats *out)
{
    static seen s;
    df_params params = { 0 };
    df_model_cfg cfg = {
        .workers = workers,
        .threads = 4,
        .gil = DF_GIL_NEW,
        .switch_interval_us = 5000,
        .check_interval = 100,
        .stack_size_bytes = 64 * 1024,
        .slow_callback_ns = 100000000,
        .workload = &noop,
        .params = &params,
        .sink = sink,
        .sink_arg = &s,
    };
    const df_model_ops *start_ops = ops;
    if (processes_inner) {
        cfg.inner = ops;
        start_ops = df_model_find("process");
    }
    df_model *m = NULL;
    df_err err = { 0 };
    memset(&s, 0, sizeof s);
    sem_init(&s.slots, 0, IN_FLIGHT);

    assert_int_equal(start_ops->start(&cfg, &m, &err), 0);
    for (uint64_t id = 0; id < REQUESTS; id++) {
        while (sem_wait(&s.slots) < 0 && errno == EINTR)
            ;
        df_request req = { .id = id };
        req.intended_ns = req.sent_ns = df_now_ns();
        assert_int_equal(start_ops->submit(m, &req), 0);
    }
    for (int i = 0; i < IN_FLIGHT; i++)
        while (sem_wait(&s.slots) < 0 && errno == EINTR)
            ;
    df_model_stats stats;
    assert_int_equal(start_ops->stop(m, 5000000000LL, &stats, &err), 0);

    for (int i = 0; i < REQUESTS; i++)
        assert_int_equal(s.count[i], 1);
    assert_int_equal(s.bad_ids, 0);
    assert_int_equal(s.bad_times, 0);
    if (out)
        *out = stats;
    else
        df_model_stats_clear(&stats);
    sem_destroy(&s.slots);
}

static void run_model(const df_model_ops *ops, int processes_inner)
{
    run_model_stats(ops, processes_inner, 2, NULL);
}

static void test_models_process_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("process"), 0);
}

static void test_models_thread_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("thread"), 0);
}

static void test_models_coroutine_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("coroutine"), 0);
}

static void test_models_thread_hybrid_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("thread"), 1);
}

static void test_models_coroutine_hybrid_runs_each_request_once(void **state)
{
    (void)state;
    run_model(df_model_find("coroutine"), 1);
}

/* A hybrid's workers send their inner model's figures up a pipe: listed
 * per process; with one process they are also the model's own. */
static void test_models_hybrid_reports_each_process(void **state)
{
    df_model_stats one, two;

    (void)state;
    run_model_stats(df_model_find("thread"), 1, 1, &one);
    run_model_stats(df_model_find("thread"), 1, 2, &two);

    assert_int_equal(one.nprocesses, 1);
    assert_true(one.has_gil && one.has_pool);
    assert_int_equal(one.pool.threads, 4);
    assert_int_equal(one.gil.nthreads, 4);
    /* Registration order is the order the threads got to run. */
    assert_memory_equal(one.gil.threads[3].name, "worker-", 7);
    assert_true(one.gil.threads != one.per_process[0].gil.threads);
    assert_int_equal(one.per_process[0].gil.acquisitions, one.gil.acquisitions);
    assert_int_equal(two.nprocesses, 2);
    assert_false(two.has_gil || two.has_pool);
    uint64_t acquisitions = 0;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(two.per_process[i].gil.nthreads, 4);
        assert_memory_equal(two.per_process[i].gil.threads[0].name, "worker-",
                            7);
        acquisitions += two.per_process[i].gil.acquisitions;
    }
    assert_true(acquisitions >= REQUESTS);
    df_model_stats_clear(&one);
    df_model_stats_clear(&two);
}

/* #12: far more in flight than the request pipe (~43 k records) and the
 * completion pipe (~19 k) hold together, with the collector submitting
 * each finished client's next request, as the closed loop does. */
#define FLOOD_IN_FLIGHT 100000
#define FLOOD_REQUESTS  150000
#define FLOOD_WAIT_S    45   /* far beyond the ~1 s it takes (valgrind: ~10) */
#define FLOOD_HOLD_MS   5000 /* the first request's wait, at most */

typedef struct flood {
    const df_model_ops *ops;
    df_model *m;                         /* atomic, as in point.c */
    unsigned char count[FLOOD_REQUESTS]; /* atomic increments */
    uint64_t next_id;                    /* atomic */
    uint64_t finished;                   /* atomic */
    uint64_t refused;                    /* atomic: submit failed */
    int *submitted_all;                  /* MAP_SHARED with the worker */
    sem_t all_finished;
} flood;

/* The first request holds its worker until every initial request was
 * submitted, so the pipes are full when the completions start. */
static int hold_first_handle(df_ctx *ctx)
{
    const int *submitted_all = ctx->state;
    int64_t deadline_ns = df_now_ns() + df_ms_to_ns(FLOOD_HOLD_MS);
    struct timespec tick = { 0, 1000000 };

    while (ctx->request_id == 0 &&
           !__atomic_load_n(submitted_all, __ATOMIC_ACQUIRE) &&
           df_now_ns() < deadline_ns)
        nanosleep(&tick, NULL);
    return 0;
}

static const df_workload hold_first = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-hold-first",
    .summary = "the first request waits for the submitter",
    .kind = DF_KIND_CPU,
    .handle = hold_first_handle,
};

static void flood_submit_next(flood *f)
{
    uint64_t id = __atomic_fetch_add(&f->next_id, 1, __ATOMIC_RELAXED);
    if (id >= FLOOD_REQUESTS)
        return;
    df_request req = { .id = id };
    req.intended_ns = req.sent_ns = df_now_ns();
    df_model *m = __atomic_load_n(&f->m, __ATOMIC_ACQUIRE);
    if (f->ops->submit(m, &req) < 0)
        __atomic_fetch_add(&f->refused, 1, __ATOMIC_RELAXED);
}

static void flood_sink(void *arg, const df_completion *c)
{
    flood *f = arg;
    if (c->id < FLOOD_REQUESTS)
        __atomic_fetch_add(&f->count[c->id], 1, __ATOMIC_RELAXED);
    flood_submit_next(f);
    if (__atomic_add_fetch(&f->finished, 1, __ATOMIC_RELAXED) == FLOOD_REQUESTS)
        sem_post(&f->all_finished);
}

/* The load generator: every client's first request, as point.c sends
 * them, then lets the held request go. */
static void *flood_clients(void *arg)
{
    flood *f = arg;
    for (int i = 0; i < FLOOD_IN_FLIGHT; i++)
        flood_submit_next(f);
    __atomic_store_n(f->submitted_all, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_models_process_in_flight_beyond_pipes(void **state)
{
    static flood f;
    df_params params = { 0 };
    df_model_cfg cfg = {
        .workers = 1,
        .workload = &hold_first,
        .params = &params,
        .sink = flood_sink,
        .sink_arg = &f,
        .inflight_max = FLOOD_IN_FLIGHT,
    };
    df_err err = { 0 };
    pthread_t clients;
    struct timespec deadline;

    (void)state;
    memset(&f, 0, sizeof f);
    f.ops = df_model_find("process");
    f.submitted_all = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(f.submitted_all != MAP_FAILED);
    cfg.workload_state = f.submitted_all;
    sem_init(&f.all_finished, 0, 0);
    df_model *m = NULL;
    assert_int_equal(f.ops->start(&cfg, &m, &err), 0);
    /* The collector's sink reads it: the chain through the worker process
     * that orders the two is invisible to ThreadSanitizer. */
    __atomic_store_n(&f.m, m, __ATOMIC_RELEASE);

    assert_int_equal(pthread_create(&clients, NULL, flood_clients, &f), 0);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += FLOOD_WAIT_S;
    int rc;
    while ((rc = sem_timedwait(&f.all_finished, &deadline)) < 0 &&
           errno == EINTR)
        ;

    /* A deadlock leaves the clients thread stuck in submit: fail, do not
     * join it. */
    assert_int_equal(rc, 0);
    assert_int_equal(pthread_join(clients, NULL), 0);
    assert_int_equal(f.ops->stop(m, 5 * DF_NS_PER_S, NULL, &err), 0);
    assert_int_equal(f.refused, 0);
    for (int i = 0; i < FLOOD_REQUESTS; i++)
        assert_int_equal(f.count[i], 1);
    sem_destroy(&f.all_finished);
    munmap(f.submitted_all, sizeof(int));
}

/* A gate the first request waits at, so every later one queues. */
static struct gate {
    pthread_mutex_t mu;
    pthread_cond_t opened;
    int open;
    uint64_t ran; /* atomic */
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static int gated_handle(df_ctx *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&gate.mu);
    while (!gate.open)
        pthread_cond_wait(&gate.opened, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
    __atomic_fetch_add(&gate.ran, 1, __ATOMIC_RELAXED);
    return 0;
}

static const df_workload gated = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "test-gated",
    .summary = "waits for the test to open the gate",
    .kind = DF_KIND_CPU,
    .handle = gated_handle,
};

static void count_sink(void *arg, const df_completion *c)
{
    (void)arg;
    (void)c;
}

/* #12: the thread model's ring held 65,536 requests, and a closed loop
 * whose submit was refused quietly lost that client. */
static void test_models_thread_queues_max_concurrency(void **state)
{
    const df_model_ops *ops = df_model_find("thread");
    df_params params = { 0 };
    df_model_cfg cfg = { .threads = 1,
                         .gil = DF_GIL_NEW,
                         .workload = &gated,
                         .params = &params,
                         .sink = count_sink };
    df_model *m = NULL;
    df_model_stats stats;
    df_err err = { 0 };
    int refused = 0;

    (void)state;
    gate.open = 0;
    gate.ran = 0;
    assert_int_equal(ops->start(&cfg, &m, &err), 0);

    for (uint64_t id = 0; id < DF_MODEL_MAX_CONCURRENCY; id++) {
        df_request req = { .id = id };
        req.intended_ns = req.sent_ns = df_now_ns();
        refused += ops->submit(m, &req) != 0;
    }
    pthread_mutex_lock(&gate.mu);
    gate.open = 1;
    pthread_cond_broadcast(&gate.opened);
    pthread_mutex_unlock(&gate.mu);

    assert_int_equal(ops->stop(m, 60 * DF_NS_PER_S, &stats, &err), 0);
    assert_int_equal(refused, 0);
    assert_int_equal(gate.ran, DF_MODEL_MAX_CONCURRENCY);
    df_model_stats_clear(&stats);
}

static void test_models_find_unknown_is_null(void **state)
{
    (void)state;
    assert_null(df_model_find("greenlet"));
    assert_non_null(df_model_find("process"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_hybrid_reports_each_process),
        cmocka_unit_test(test_models_find_unknown_is_null),
        cmocka_unit_test(test_models_thread_queues_max_concurrency),
        cmocka_unit_test(test_models_process_runs_each_request_once),
        cmocka_unit_test(test_models_process_in_flight_beyond_pipes),
        cmocka_unit_test(test_models_thread_runs_each_request_once),
        cmocka_unit_test(test_models_coroutine_runs_each_request_once),
        cmocka_unit_test(test_models_thread_hybrid_runs_each_request_once),
        cmocka_unit_test(test_models_coroutine_hybrid_runs_each_request_once),
    };
    return cmocka_run_group_tests_name("models", tests, NULL, NULL);
}
