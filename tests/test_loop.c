/* tests/test_loop.c - the event loop: ordering, timers, fds, to_thread. */
#define _GNU_SOURCE
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "models/loop/loop.h"
#include "tests/timing.h"

#define MS 1000000LL

typedef struct rec {
    df_loop *loop;
    int log[64];
    int n;
} rec;

typedef struct tag {
    rec *r;
    int id;
} tag;

static void log_cb(void *arg)
{
    tag *t = arg;
    t->r->log[t->r->n++] = t->id;
}

static df_loop *make_loop(df_switch_kind sw, df_stack_kind st)
{
    df_loop_cfg cfg = { .switch_kind = sw, .stack_kind = st };
    df_loop *loop = NULL;
    assert_int_equal(df_loop_create(&cfg, &loop, NULL), 0);
    return loop;
}

static void run_until(df_loop *loop, int *done)
{
    for (int i = 0; i < 100000 && !*done; i++)
        assert_int_equal(df_loop_run_once(loop, 1), 0);
    assert_true(*done);
}

static void test_loop_equal_deadlines_fire_in_insertion_order(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    rec r = { .loop = loop };
    tag t[20];
    int64_t when = df_now_ns() + 2 * MS;

    (void)state;
    for (int i = 0; i < 20; i++) {
        t[i] = (tag){ &r, i };
        /* Interleave an earlier deadline so the heap really reorders. */
        int64_t w = i % 5 == 4 ? when - MS : when;
        assert_int_equal(df_loop_call_at(loop, w, log_cb, &t[i], NULL), 0);
    }
    while (r.n < 20)
        assert_int_equal(df_loop_run_once(loop, 1), 0);

    int expect[20], k = 0;
    for (int i = 4; i < 20; i += 5)
        expect[k++] = i;
    for (int i = 0; i < 20; i++)
        if (i % 5 != 4)
            expect[k++] = i;
    for (int i = 0; i < 20; i++)
        assert_int_equal(r.log[i], expect[i]);
    df_loop_destroy(loop);
}

static void test_loop_cancelled_timer_never_fires(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    rec r = { .loop = loop };
    tag a = { &r, 1 }, b = { &r, 2 }, c = { &r, 3 };
    df_loop_handle *ha, *hb;

    (void)state;
    assert_int_equal(df_loop_call_later(loop, 1 * MS, log_cb, &a, &ha), 0);
    assert_int_equal(df_loop_call_later(loop, 1 * MS, log_cb, &b, &hb), 0);
    assert_int_equal(df_loop_call_later(loop, 3 * MS, log_cb, &c, NULL), 0);
    assert_int_equal(df_loop_handle_cancel(loop, ha), 1);
    assert_int_equal(df_loop_handle_cancel(loop, ha), 0);
    while (r.n < 2)
        assert_int_equal(df_loop_run_once(loop, 1), 0);

    assert_int_equal(r.n, 2);
    assert_int_equal(r.log[0], 2);
    assert_int_equal(r.log[1], 3);
    assert_true(df_loop_handle_cancelled(ha));
    assert_int_equal(df_loop_handle_cancel(loop, hb), 0); /* already ran */
    df_loop_handle_release(loop, ha);
    df_loop_handle_release(loop, hb);
    df_loop_destroy(loop);
}

/* A due timer cancelled by a callback earlier in the same batch. */
typedef struct canceller {
    df_loop *loop;
    df_loop_handle *victim;
} canceller;

static void cancel_cb(void *arg)
{
    canceller *c = arg;
    df_loop_handle_cancel(c->loop, c->victim);
}

static void test_loop_cancel_while_ready(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    rec r = { .loop = loop };
    tag a = { &r, 1 }, b = { &r, 2 };
    canceller c = { loop, NULL };

    (void)state;
    assert_int_equal(df_loop_call_soon(loop, cancel_cb, &c, NULL), 0);
    assert_int_equal(df_loop_call_soon(loop, log_cb, &a, &c.victim), 0);
    assert_int_equal(df_loop_call_soon(loop, log_cb, &b, NULL), 0);
    assert_int_equal(df_loop_run_once(loop, 0), 0);

    assert_int_equal(r.n, 1);
    assert_int_equal(r.log[0], 2);
    df_loop_handle_release(loop, c.victim);
    df_loop_destroy(loop);
}

/* asyncio L4: A, B, T0, A-child, T1, T2. */
typedef struct l4 {
    rec r;
    tag a, b, child, t0, t1, t2;
} l4;

static void a_cb(void *arg)
{
    l4 *s = arg;
    log_cb(&s->a);
    df_loop_call_soon(s->r.loop, log_cb, &s->child, NULL);
}

static void test_loop_batch_order_as_asyncio(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    l4 s = { .r = { .loop = loop } };

    (void)state;
    s.a = (tag){ &s.r, 'A' };
    s.b = (tag){ &s.r, 'B' };
    s.child = (tag){ &s.r, 'a' };
    s.t0 = (tag){ &s.r, '0' };
    s.t1 = (tag){ &s.r, '1' };
    s.t2 = (tag){ &s.r, '2' };
    df_loop_call_soon(loop, a_cb, &s, NULL);
    df_loop_call_soon(loop, log_cb, &s.b, NULL);
    df_loop_call_later(loop, 40 * MS, log_cb, &s.t2, NULL);
    df_loop_call_later(loop, 20 * MS, log_cb, &s.t1, NULL);
    df_loop_call_later(loop, 0, log_cb, &s.t0, NULL);
    while (s.r.n < 6)
        assert_int_equal(df_loop_run_once(loop, 1), 0);

    const char *want = "AB0a12";
    for (int i = 0; i < 6; i++)
        assert_int_equal(s.r.log[i], want[i]);
    df_loop_destroy(loop);
}

/* Coroutines. */

typedef struct sleeper {
    df_loop *loop;
    rec *r;
    int id;
    int64_t ns;
} sleeper;

static void sleeper_fn(void *arg)
{
    sleeper *s = arg;
    s->r->log[s->r->n++] = s->id; /* started */
    df_loop_sleep_ns(s->loop, s->ns);
    s->r->log[s->r->n++] = 100 + s->id; /* woke */
}

static void test_loop_sleep_orders_by_deadline(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        df_loop *loop = make_loop(k & 1 ? DF_SWITCH_UCONTEXT : DF_SWITCH_ASM,
                                  k & 2 ? DF_STACK_SHARED : DF_STACK_DEDICATED);
        rec r = { .loop = loop };
        sleeper s[3] = { { loop, &r, 1, 30 * MS },
                         { loop, &r, 2, 10 * MS },
                         { loop, &r, 3, 20 * MS } };
        for (int i = 0; i < 3; i++)
            assert_int_equal(df_loop_spawn(loop, sleeper_fn, &s[i], NULL, NULL),
                             0);
        while (r.n < 6)
            assert_int_equal(df_loop_run_once(loop, 1), 0);

        const int want[6] = { 1, 2, 3, 102, 103, 101 };
        for (int i = 0; i < 6; i++)
            assert_int_equal(r.log[i], want[i]);
        df_loop_destroy(loop);
    }
}

/* Readiness wakes exactly the coroutine waiting on that fd. */
typedef struct reader {
    df_loop *loop;
    int fd;
    int woke;
    int events;
    char got;
} reader;

static void reader_fn(void *arg)
{
    reader *r = arg;
    r->events = df_loop_wait_fd(r->loop, r->fd, DF_WAIT_READ);
    r->woke = 1;
    if (read(r->fd, &r->got, 1) != 1)
        r->got = 0;
}

static void test_loop_fd_wakes_only_its_waiter(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_SHARED);
    int p1[2], p2[2];
    reader a, b;

    (void)state;
    assert_int_equal(pipe2(p1, O_NONBLOCK), 0);
    assert_int_equal(pipe2(p2, O_NONBLOCK), 0);
    a = (reader){ loop, p1[0], 0, 0, 0 };
    b = (reader){ loop, p2[0], 0, 0, 0 };
    df_loop_spawn(loop, reader_fn, &a, NULL, NULL);
    df_loop_spawn(loop, reader_fn, &b, NULL, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(df_loop_run_once(loop, 0), 0);
    assert_int_equal(write(p2[1], "x", 1), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(df_loop_run_once(loop, 0), 0);

    assert_int_equal(a.woke, 0);
    assert_int_equal(b.woke, 1);
    assert_int_equal(b.events, DF_WAIT_READ);
    assert_int_equal(b.got, 'x');
    assert_int_equal(write(p1[1], "y", 1), 1);
    run_until(loop, &a.woke);
    assert_int_equal(a.got, 'y');
    for (int i = 0; i < 2; i++) {
        close(p1[i]);
        close(p2[i]);
    }
    df_loop_destroy(loop);
}

/* run_blocking keeps the loop free: sleepers complete meanwhile. */
static int block_200ms(void *arg)
{
    struct timespec ts = { 0, 200 * MS };
    (void)arg;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 42;
}

typedef struct blocker {
    df_loop *loop;
    int result;
    int done;
    int ticks_before_done; /* sleepers finished while we were blocked */
    int *ticks;
} blocker;

static void blocker_fn(void *arg)
{
    blocker *b = arg;
    b->result = df_loop_run_blocking(b->loop, block_200ms, NULL);
    b->ticks_before_done = *b->ticks;
    b->done = 1;
}

typedef struct ticker {
    df_loop *loop;
    int *ticks;
} ticker;

static void ticker_fn(void *arg)
{
    ticker *t = arg;
    for (int i = 0; i < 10; i++) {
        df_loop_sleep_ns(t->loop, 5 * MS);
        (*t->ticks)++;
    }
}

static void test_loop_run_blocking_leaves_loop_free(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    int ticks = 0;
    blocker b = { loop, 0, 0, 0, &ticks };
    ticker t = { loop, &ticks };

    (void)state;
    df_loop_spawn(loop, blocker_fn, &b, NULL, NULL);
    for (int i = 0; i < 4; i++)
        df_loop_spawn(loop, ticker_fn, &t, NULL, NULL);
    run_until(loop, &b.done);

    assert_int_equal(b.result, 42);
    /* 4 tickers x 10 sleeps of 5 ms end long before 200 ms (a timing
     * assertion: slowed down, the tickers may still be running). */
    if (timing_trusted())
        assert_int_equal(b.ticks_before_done, 40);
    df_loop_destroy(loop);
}

/* An early resume (a cancellation) ends a sleep and disarms its timer. */
typedef struct waker {
    df_loop *loop;
    df_coro *co;
    int rc;
    int done;
} waker;

static void long_sleeper(void *arg)
{
    waker *w = arg;
    w->rc = df_loop_sleep_ns(w->loop, 10000 * MS);
    w->done = 1;
}

static void wake_cb(void *arg)
{
    waker *w = arg;
    df_loop_resume(w->loop, w->co, -ECANCELED);
}

static void test_loop_resume_ends_sleep_ecanceled(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    waker w = { loop, NULL, 0, 0 };
    df_loop_stats st;

    (void)state;
    df_loop_spawn(loop, long_sleeper, &w, &w.co, NULL);
    df_loop_run_once(loop, 0);
    df_loop_call_later(loop, 1 * MS, wake_cb, &w, NULL);
    run_until(loop, &w.done);
    df_loop_stats_get(loop, &st);

    assert_int_equal(w.rc, -ECANCELED);
    assert_int_equal(st.coro.live, 0);
    df_loop_destroy(loop);
}

/* Other threads post through the eventfd. */
typedef struct poster {
    df_loop *loop;
    int count; /* loop thread only */
} poster;

static void count_cb(void *arg)
{
    poster *p = arg;
    if (++p->count == 4000)
        df_loop_stop(p->loop);
}

static void *post_thread(void *arg)
{
    poster *p = arg;
    for (int i = 0; i < 1000; i++)
        DF_CHECK(df_loop_call_soon_threadsafe(p->loop, count_cb, p) == 0);
    return NULL;
}

static void test_loop_threadsafe_posts_all_arrive(void **state)
{
    df_loop *loop = make_loop(DF_SWITCH_ASM, DF_STACK_DEDICATED);
    poster p = { loop, 0 };
    pthread_t t[4];

    (void)state;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, post_thread, &p), 0);
    assert_int_equal(df_loop_run(loop), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);

    assert_int_equal(p.count, 4000);
    df_loop_destroy(loop);
}

/* The detector counts a step that blocks and not one that sleeps. */
static void blocks_fn(void *arg)
{
    struct timespec ts = { 0, 30 * MS };
    (void)arg;
    nanosleep(&ts, NULL);
}

static void test_loop_slow_step_counted(void **state)
{
    df_loop_cfg cfg = { .slow_callback_ns = 20 * MS };
    df_loop *loop = NULL;
    df_loop_stats st;
    rec r;
    sleeper s;

    (void)state;
    assert_int_equal(df_loop_create(&cfg, &loop, NULL), 0);
    r = (rec){ .loop = loop };
    s = (sleeper){ loop, &r, 1, 40 * MS };
    df_loop_spawn(loop, sleeper_fn, &s, NULL, NULL);
    while (r.n < 2)
        df_loop_run_once(loop, 1);
    df_loop_stats_get(loop, &st);
    uint64_t before = st.slow_callbacks;
    if (timing_trusted()) /* short steps can take 20 ms when slowed down */
        assert_int_equal(before, 0);

    df_loop_spawn(loop, blocks_fn, NULL, NULL, NULL);
    df_loop_run_once(loop, 0);
    df_loop_stats_get(loop, &st);

    assert_int_equal(st.slow_callbacks, before + 1);
    assert_true(st.max_blocked_ns >= 30 * MS);
    df_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_equal_deadlines_fire_in_insertion_order),
        cmocka_unit_test(test_loop_cancelled_timer_never_fires),
        cmocka_unit_test(test_loop_cancel_while_ready),
        cmocka_unit_test(test_loop_batch_order_as_asyncio),
        cmocka_unit_test(test_loop_sleep_orders_by_deadline),
        cmocka_unit_test(test_loop_fd_wakes_only_its_waiter),
        cmocka_unit_test(test_loop_run_blocking_leaves_loop_free),
        cmocka_unit_test(test_loop_resume_ends_sleep_ecanceled),
        cmocka_unit_test(test_loop_threadsafe_posts_all_arrive),
        cmocka_unit_test(test_loop_slow_step_counted),
    };
    return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
