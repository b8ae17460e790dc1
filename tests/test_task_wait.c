/* tests/test_task_wait.c - spec/ASYNCIO.md §9-§14: wait_for (WF1-WF6),
 * wait (W1-W4), timeout scopes (TO1-TO8), shield, sleep, to_thread and
 * asyncio.run's shutdown (SH1, SL1, TH1-TH4, K2). */
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <time.h>

#include "tests/test_task_util.h"
#include "tests/timing.h"

static struct {
    int rc[8];
    intptr_t v[4];
    double u[4];
    size_t nd, np;
    df_task *done[4], *pending[4];
    df_task *t[4];
} r;

static int wf1_main(void *arg, intptr_t *value)
{
    tw w = { .delay_u = 1, .value = 3 };
    df_task *t;

    (void)arg;
    (void)value;
    tw_spawn(&w, 1, &t);
    r.rc[0] = df_wait_for(t, -1, &r.v[0]);
    r.u[0] = tl_now_u();
    df_task_release(t);
    return 0;
}

static void test_task_WF1_no_timeout_is_await(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(wf1_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.v[0], 3);
    assert_near_u(r.u[0], 1);
}

static int wf2_main(void *arg, intptr_t *value)
{
    tw w = {
        .delay_u = 3, .cleanup_u = 2, .swallow = (int)(intptr_t)arg, .value = 9
    };
    df_task *t;

    (void)value;
    tw_spawn(&w, 1, &t);
    r.rc[0] = df_wait_for(t, U, &r.v[0]);
    r.u[0] = tl_now_u();
    r.rc[1] = df_task_cancelled(t);
    r.rc[2] = df_task_cancelling(df_task_current());
    df_task_release(t);
    return 0;
}

static void test_task_WF2_timeout_cancels_and_waits(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(wf2_main, (void *)0), 0);
    assert_int_equal(r.rc[0], -ETIMEDOUT);
    assert_near_u(r.u[0], 3); /* 1U + 2U of cleanup */
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], 0);
}

static int wf3_swallow(void *arg, intptr_t *value)
{
    (void)arg;
    if (df_task_sleep(3 * U) == -ECANCELED) {
        *value = 11; /* suppresses the cancellation */
        return 0;
    }
    *value = 0;
    return 0;
}

static int wf3_main(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    r.rc[0] = df_wait_for_fn(wf3_swallow, NULL, U, &r.v[0]);
    r.u[0] = tl_now_u();
    return 0;
}

static void test_task_WF3_swallowed_cancel_returns_value(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(wf3_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.v[0], 11);
    assert_near_u(r.u[0], 1);
}

static int wf4_body(void *arg, intptr_t *value)
{
    (void)value;
    *(int *)arg = 1;
    return 0;
}

static int wf4_main(void *arg, intptr_t *value)
{
    tw w = { .delay_u = 1 };
    df_task *t;
    int ran = 0;

    (void)arg;
    (void)value;
    tw_spawn(&w, 1, &t);
    r.rc[0] = df_wait_for(t, 0, NULL);
    r.rc[1] = w.started;
    r.rc[2] = df_wait_for_fn(wf4_body, &ran, 0, NULL);
    r.rc[3] = ran;
    df_task_release(t);
    return 0;
}

static void test_task_WF4_zero_timeout(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(wf4_main, NULL), 0);
    assert_int_equal(r.rc[0], -ETIMEDOUT);
    assert_int_equal(r.rc[1], 0); /* never started */
    assert_int_equal(r.rc[2], -ETIMEDOUT);
    assert_int_equal(r.rc[3], 0);
}

static int wf5_caller(void *arg, intptr_t *value)
{
    return df_wait_for(arg, 10 * U, value);
}

static int wf5_main(void *arg, intptr_t *value)
{
    tw w = { .delay_u = 3, .cleanup_u = 1 };
    df_task *inner, *caller;

    (void)arg;
    (void)value;
    tw_spawn(&w, 1, &inner);
    df_task_create(wf5_caller, inner, NULL, &caller);
    df_task_sleep(U);
    df_task_cancel(caller, NULL);
    r.rc[0] = df_task_await(caller, NULL);
    r.u[0] = tl_now_u();
    r.rc[1] = df_task_cancelled(inner);
    df_task_release(inner);
    df_task_release(caller);
    return 0;
}

static void test_task_WF5_cancelling_caller_cancels_inner(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(wf5_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED); /* not converted */
    assert_int_equal(r.rc[1], 1);
    assert_near_u(r.u[0], 2); /* inner's cleanup awaited */
}

static df_task *wf6_seen;

static int wf6_body(void *arg, intptr_t *value)
{
    (void)arg;
    wf6_seen = df_task_current();
    *value = 0;
    return df_task_sleep(0);
}

static int wf6_main(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    r.rc[0] = df_wait_for_fn(wf6_body, NULL, U, NULL);
    r.rc[1] = wf6_seen == df_task_current();
    return 0;
}

static void test_task_WF6_coroutine_runs_in_caller(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(wf6_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 1);
}

static int w1_main(void *arg, intptr_t *value)
{
    tw w = { .delay_u = 0 };
    df_task *t[2];

    (void)arg;
    (void)value;
    tw_spawn(&w, 1, t);
    t[1] = t[0];
    r.rc[0] = df_wait(t, 0, -1, DF_ALL_COMPLETED, NULL, NULL, NULL, NULL);
    r.rc[1] = df_wait(t, 2, -1, (df_wait_when)7, NULL, NULL, NULL, NULL);
    r.rc[2] = df_wait(t, 2, -1, DF_ALL_COMPLETED, r.done, &r.nd, r.pending,
                      &r.np); /* a set: the duplicate counts once */
    df_task_release(t[0]);
    return 0;
}

static void test_task_W1_arguments_and_sets(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(w1_main, NULL), 0);
    assert_int_equal(r.rc[0], -EINVAL);
    assert_int_equal(r.rc[1], -EINVAL);
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(r.nd, 1);
    assert_int_equal(r.np, 0);
}

static int w2_main(void *arg, intptr_t *value)
{
    tw w[3] = { { .delay_u = 3 },
                { .delay_u = 1 },
                { .delay_u = 2, .fail = -EIO } };
    df_task *t[3];

    (void)value;
    tw_spawn(w, 3, t);
    r.rc[0] = df_wait(t, 3, -1, (df_wait_when)(intptr_t)arg, r.done, &r.nd,
                      r.pending, &r.np);
    r.u[0] = tl_now_u();
    r.t[0] = t[0];
    r.t[1] = t[1];
    r.t[2] = t[2];
    r.rc[1] = df_task_cancelled(t[0]);
    for (int i = 0; i < 3; i++) /* w lives on this stack */
        df_task_await(t[i], NULL);
    tw_release_all(t, 3);
    return 0;
}

static void test_task_W2_return_when_modes(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(w2_main, (void *)DF_FIRST_COMPLETED), 0);
    assert_near_u(r.u[0], 1);
    assert_int_equal(r.nd, 1);
    assert_ptr_equal(r.done[0], r.t[1]);
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(w2_main, (void *)DF_FIRST_EXCEPTION), 0);
    assert_near_u(r.u[0], 2);
    assert_int_equal(r.nd, 2);
    assert_int_equal(r.np, 1);
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(w2_main, (void *)DF_ALL_COMPLETED), 0);
    assert_near_u(r.u[0], 3);
    assert_int_equal(r.nd, 3);
    assert_int_equal(r.rc[0], 0); /* W4: no child error raised */
    assert_int_equal(r.rc[1], 0);
}

static int w3_main(void *arg, intptr_t *value)
{
    tw w[2] = { { .delay_u = 3 }, { .delay_u = 1 } };
    df_task *t[2];

    (void)arg;
    (void)value;
    tw_spawn(w, 2, t);
    r.rc[0] =
        df_wait(t, 2, 2 * U, DF_ALL_COMPLETED, r.done, &r.nd, r.pending, &r.np);
    r.u[0] = tl_now_u();
    r.rc[1] = df_task_cancelled(t[0]) || df_task_cancelling(t[0]);
    r.rc[2] = df_task_await(t[0], NULL);
    tw_release_all(t, 2);
    return 0;
}

static void test_task_W3_timeout_cancels_nothing(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(w3_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_near_u(r.u[0], 2);
    assert_int_equal(r.nd, 1);
    assert_int_equal(r.np, 1);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], 0);
}

static void log_cb(void *arg)
{
    tl_add(arg);
}

static int w4_main(void *arg, intptr_t *value)
{
    df_task *f;

    (void)arg;
    (void)value;
    df_future_create(&f);
    df_future_set_error(f, -EIO);
    df_loop_call_soon(df_task_loop(), log_cb, "soon", NULL);
    r.rc[0] = df_wait(&f, 1, -1, DF_FIRST_EXCEPTION, r.done, &r.nd, NULL, NULL);
    tl_add("returned");
    df_task_release(f);
    return 0;
}

static void test_task_W4_never_raises_and_suspends(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(w4_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.nd, 1);
    assert_string_equal(tl_buf, "soon returned"); /* it did suspend */
}

/* Timeout scopes. */

static int to_body_sleep(double u, double cleanup_u)
{
    int rc = df_task_sleep(u * U);

    if (rc == -ECANCELED && cleanup_u > 0)
        df_task_sleep(cleanup_u * U);
    return rc;
}

static int to1_main(void *arg, intptr_t *value)
{
    df_timeout *to;
    double now;

    (void)arg;
    (void)value;
    now = df_task_time_s();
    df_timeout_enter(2 * U, &to);
    r.u[0] = (df_timeout_when(to) - now) / U;
    df_timeout_exit(to, 0);
    df_timeout_destroy(to);
    df_timeout_enter(-1, &to);
    r.u[1] = df_timeout_when(to);
    r.rc[0] = df_timeout_exit(to, to_body_sleep(1, 0));
    df_timeout_destroy(to);
    return 0;
}

static void test_task_TO1_deadline_fixed_at_call(void **state)
{
    df_timeout *to = NULL;

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(df_timeout_enter(1, &to), -EPERM); /* no task */
    assert_int_equal(tl_run(to1_main, NULL), 0);
    assert_near_u(r.u[0], 2);
    assert_true(r.u[1] < 0); /* None */
    assert_int_equal(r.rc[0], 0);
}

static int to2_main(void *arg, intptr_t *value)
{
    df_timeout *to;
    df_task *self = df_task_current();

    (void)arg;
    (void)value;
    df_task_cancel(self, NULL); /* count 1 at entry */
    df_task_uncancel(self);
    df_task_cancel(self, NULL);
    df_task_sleep(0); /* consumes the pending cancel */
    df_timeout_enter(U, &to);
    r.rc[0] = to_body_sleep(3, 0);
    r.rc[1] = df_timeout_exit(to, r.rc[0]);
    /* The count at entry was 1: exit brings it back to 1 and converts. */
    r.rc[2] = df_task_cancelling(self);
    df_timeout_destroy(to);
    df_task_uncancel(self);
    return 0;
}

static void test_task_TO2_entry_records_cancelling(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to2_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_int_equal(r.rc[1], -ETIMEDOUT);
    assert_int_equal(r.rc[2], 1);
}

static int to3_main(void *arg, intptr_t *value)
{
    df_timeout *to;

    (void)arg;
    (void)value;
    df_timeout_enter(U, &to);
    r.rc[0] = df_timeout_expired(to);
    r.rc[1] = to_body_sleep(3, 0); /* -ECANCELED at this await */
    r.u[0] = tl_now_u();
    r.rc[2] = df_timeout_expired(to);
    r.rc[3] = df_task_cancelling(df_task_current());
    r.rc[4] = df_timeout_exit(to, r.rc[1]);
    df_timeout_destroy(to);
    return 0;
}

static void test_task_TO3_expiry_cancels_at_the_await(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to3_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], -ECANCELED);
    assert_near_u(r.u[0], 1);
    assert_int_equal(r.rc[2], 1);
    assert_int_equal(r.rc[3], 1);
    assert_int_equal(r.rc[4], -ETIMEDOUT);
}

static int to4_main(void *arg, intptr_t *value)
{
    df_timeout *to;

    (void)arg;
    (void)value;
    df_timeout_enter(U, &to);
    r.rc[0] = df_timeout_exit(to, to_body_sleep(3, 1));
    r.u[0] = tl_now_u();
    r.rc[1] = df_timeout_expired(to);
    r.rc[2] = df_task_cancelling(df_task_current());
    df_timeout_destroy(to);
    return 0;
}

static void test_task_TO4_timeout_error_after_cleanup(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to4_main, NULL), 0);
    assert_int_equal(r.rc[0], -ETIMEDOUT);
    assert_near_u(r.u[0], 2);
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], 0);
}

static int to5_main(void *arg, intptr_t *value)
{
    df_timeout *to;
    int body;

    (void)arg;
    (void)value;
    df_timeout_enter(U, &to);
    body = to_body_sleep(3, 0) == -ECANCELED ? 0 : -1; /* swallowed */
    r.rc[0] = df_timeout_exit(to, body);
    r.rc[1] = df_timeout_expired(to);
    df_timeout_destroy(to);
    df_timeout_enter(U, &to);
    body = to_body_sleep(3, 0) == -ECANCELED ? -EIO : 0; /* another error */
    r.rc[2] = df_timeout_exit(to, body);
    df_timeout_destroy(to);
    return 0;
}

static void test_task_TO5_swallow_or_other_error(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to5_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], -EIO); /* 3.12: propagates unchanged */
}

static int to6_main(void *arg, intptr_t *value)
{
    df_timeout *to;

    (void)arg;
    (void)value;
    df_timeout_enter_at(df_task_time_s() - 1, &to);
    tl_add("body-runs");
    r.rc[0] = df_timeout_exit(to, to_body_sleep(3, 0));
    r.u[0] = tl_now_u();
    df_timeout_destroy(to);
    return 0;
}

static void test_task_TO6_past_deadline_first_suspension(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to6_main, NULL), 0);
    assert_string_equal(tl_buf, "body-runs");
    assert_int_equal(r.rc[0], -ETIMEDOUT);
    assert_true(r.u[0] < 0.5);
}

static int to7_main(void *arg, intptr_t *value)
{
    df_timeout *outer, *inner;
    int st;

    (void)arg;
    (void)value;
    df_timeout_enter(U, &outer);
    df_timeout_enter(3 * U, &inner);
    st = df_timeout_exit(inner, to_body_sleep(5, 0));
    r.rc[0] = st; /* passes through the inner scope */
    r.rc[1] = df_timeout_expired(inner);
    r.rc[2] = df_timeout_exit(outer, st);
    r.u[0] = tl_now_u();
    df_timeout_destroy(inner);
    df_timeout_destroy(outer);
    return 0;
}

static int to7_outside(void *arg, intptr_t *value)
{
    df_timeout *to;

    (void)arg;
    (void)value;
    df_timeout_enter(2 * U, &to);
    r.rc[3] = df_timeout_exit(to, to_body_sleep(5, 0));
    df_timeout_destroy(to);
    return r.rc[3];
}

static int to7b_main(void *arg, intptr_t *value)
{
    df_task *t;

    (void)arg;
    (void)value;
    df_task_create(to7_outside, NULL, NULL, &t);
    df_task_sleep(U);
    df_task_cancel(t, NULL); /* an outside cancel: not converted */
    r.rc[4] = df_task_await(t, NULL);
    df_task_release(t);
    return 0;
}

static void test_task_TO7_nesting_and_outside_cancel(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to7_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], -ETIMEDOUT);
    assert_near_u(r.u[0], 1);
    assert_int_equal(tl_run(to7b_main, NULL), 0);
    assert_int_equal(r.rc[3], -ECANCELED);
    assert_int_equal(r.rc[4], -ECANCELED);
}

static int to8_main(void *arg, intptr_t *value)
{
    df_timeout *to;

    (void)arg;
    (void)value;
    df_timeout_enter(-1, &to);
    r.rc[0] = df_timeout_reschedule(to, df_task_time_s() + U);
    r.u[1] = (df_timeout_when(to) - df_task_time_s()) / U;
    r.rc[1] = df_timeout_exit(to, to_body_sleep(3, 0));
    r.u[0] = tl_now_u();
    r.rc[2] = df_timeout_reschedule(to, 0); /* exited */
    df_timeout_destroy(to);
    return 0;
}

static void test_task_TO8_reschedule(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(to8_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_near_u(r.u[1], 1);
    assert_int_equal(r.rc[1], -ETIMEDOUT);
    assert_near_u(r.u[0], 1);
    assert_int_equal(r.rc[2], -EPERM);
}

static int sh1_waiter(void *arg, intptr_t *value)
{
    df_task *outer;
    int rc;

    df_shield_create(arg, &outer);
    rc = df_task_await(outer, value);
    df_task_release(outer);
    return rc;
}

static int sh1_main(void *arg, intptr_t *value)
{
    tw w = { .delay_u = 2, .value = 8 };
    df_task *inner, *waiter;

    (void)arg;
    (void)value;
    tw_spawn(&w, 1, &inner);
    df_task_create(sh1_waiter, inner, NULL, &waiter);
    df_task_sleep(U);
    df_task_cancel(waiter, NULL);
    r.rc[0] = df_task_await(waiter, NULL);
    r.u[0] = tl_now_u();
    r.rc[1] = df_task_done(inner);
    r.rc[2] = df_task_await(inner, &r.v[0]);
    r.u[1] = tl_now_u();
    df_task_release(inner);
    df_task_release(waiter);
    return 0;
}

static void test_task_SH1_shield_keeps_inner(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(sh1_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_near_u(r.u[0], 1);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(r.v[0], 8);
    assert_near_u(r.u[1], 2);
}

static int sl1_main(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    df_loop_call_soon(df_task_loop(), log_cb, "soon", NULL);
    r.rc[0] = df_task_sleep(0);
    tl_add("after-0");
    r.rc[1] = df_task_sleep(-3);
    r.rc[2] = df_task_sleep(U);
    r.u[0] = tl_now_u();
    return 0;
}

static void test_task_SL1_sleep(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(sl1_main, NULL), 0);
    assert_string_equal(tl_buf, "soon after-0");
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], 0);
    assert_near_u(r.u[0], 1);
    assert_int_equal(df_task_sleep(0), -EPERM); /* not in a task */
}

static pthread_t th1_thread;
static int th1_seen;

static int th1_fn(void *arg)
{
    th1_thread = pthread_self();
    th1_seen = *(int *)arg;
    return 7;
}

static int th1_main(void *arg, intptr_t *value)
{
    static int payload = 42;
    df_task *t;

    (void)arg;
    (void)value;
    df_task_to_thread(th1_fn, &payload, NULL, &t);
    r.rc[0] = df_task_await(t, &r.v[0]);
    r.rc[1] = df_task_run_blocking(th1_fn, &payload);
    df_task_release(t);
    return 0;
}

static void test_task_TH1_to_thread_runs_elsewhere(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(th1_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.v[0], 7);
    assert_int_equal(r.rc[1], 7);
    assert_int_equal(th1_seen, 42);
    assert_false(pthread_equal(th1_thread, pthread_self()));
}

static int th_block(void *arg)
{
    struct timespec ts = { 0, (long)(*(double *)arg * U * 1e9) };

    nanosleep(&ts, NULL);
    return 0;
}

static df_loop_stats th2_stats;

static int th2_main(void *arg, intptr_t *value)
{
    static double two = 2;
    df_task *t[3], *g;

    (void)arg;
    (void)value;
    for (int i = 0; i < 3; i++)
        df_task_to_thread(th_block, &two, NULL, &t[i]);
    df_gather_create(t, 3, 0, &g);
    r.rc[0] = df_task_await(g, NULL);
    r.u[0] = tl_now_u();
    df_loop_stats_get(df_task_loop(), &th2_stats);
    df_task_release(g);
    tw_release_all(t, 3);
    return 0;
}

static void test_task_TH2_pool_runs_in_parallel(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(th2_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_near_u(r.u[0], 2); /* 3 blocking calls side by side */
    assert_true(th2_stats.to_thread_max_workers >= 5); /* cores + 4 */
    assert_true(th2_stats.to_thread_max_workers <= 32);
}

static int th3_main(void *arg, intptr_t *value)
{
    static double three = 3;
    df_task *t;

    (void)arg;
    (void)value;
    df_task_to_thread(th_block, &three, NULL, &t);
    df_task_sleep(U);
    df_task_cancel(t, NULL);
    r.rc[0] = df_task_await(t, NULL);
    r.u[0] = tl_now_u();
    df_task_release(t);
    return 0;
}

static void test_task_TH3_cancel_stops_the_wait_only(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(th3_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_near_u(r.u[0], 1); /* the function itself runs to 3U */
}

/* TH4: CPU-bound Python functions in to_thread under the GIL. */
typedef struct th4_run {
    int n;             /* to_thread_py calls side by side */
    double work_ms;    /* CPU each one burns */
    int sleeps;        /* 10 ms loop sleeps measured meanwhile (n == 1) */
    int rc;            /* first failure, or 0 */
    double wall_s;     /* from the first create to the last result */
    double late_ms[8]; /* how late each 10 ms sleep returned */
} th4_run;

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Burns work_ms of this thread's CPU time, a checkpoint every few us. */
static int th4_burn(df_task_thread *th, void *arg)
{
    const th4_run *p = arg;
    int64_t end = thread_cpu_ns() + (int64_t)(p->work_ms * 1e6);
    volatile uint64_t x = 1;

    while (thread_cpu_ns() < end) {
        for (int i = 0; i < 500; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        df_task_thread_checkpoint(th);
    }
    return 0;
}

static int th4_main(void *arg, intptr_t *value)
{
    th4_run *p = arg;
    df_task *t[2], *g;
    int64_t t0 = df_now_ns();

    (void)value;
    for (int i = 0; i < p->n; i++)
        DF_CHECK(df_task_to_thread_py(th4_burn, p, NULL, &t[i]) == 0);
    df_task_sleep(0.005); /* the worker has the GIL by now */
    for (int i = 0; i < p->sleeps; i++) {
        int64_t s0 = df_now_ns();

        df_task_sleep(0.010);
        p->late_ms[i] = (double)(df_now_ns() - s0) / 1e6 - 10;
    }
    df_gather_create(t, (size_t)p->n, 0, &g);
    p->rc = df_task_await(g, NULL);
    p->wall_s = (double)(df_now_ns() - t0) / 1e9;
    df_task_release(g);
    tw_release_all(t, (size_t)p->n);
    return 0;
}

/* Runs p on a fresh loop with a fresh GIL of the given mode. */
static void th4_go(df_gil_mode mode, th4_run *p)
{
    df_gil *gil;
    df_loop_cfg cfg = { 0 };

    DF_CHECK(df_gil_create(mode, 5000, DF_GIL_DEFAULT_CHECK_INTERVAL, &gil) ==
             0);
    cfg.gil = gil;
    tl_reset();
    DF_CHECK(df_task_run(th4_main, p, &cfg, NULL, NULL) == 0);
    df_gil_destroy(gil);
}

static double th4_median(double *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: n is tiny */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v[n / 2];
}

/* Wall time of two CPU-bound calls side by side over that of one. */
static double th4_ratio(df_gil_mode mode, double work_ms)
{
    th4_run one = { .n = 1, .work_ms = work_ms };
    th4_run two = { .n = 2, .work_ms = work_ms };

    th4_go(mode, &one);
    th4_go(mode, &two);
    assert_int_equal(one.rc, 0);
    assert_int_equal(two.rc, 0);
    return two.wall_s / one.wall_s;
}

static void test_task_TH4_cpu_threads_share_the_gil(void **state)
{
    int timing = timing_trusted();
    double work_ms = timing ? 100 : 10;
    double on = 0, off = 0, late = 0;

    (void)state;
    for (int attempt = 0; attempt < 2; attempt++) {
        th4_run lp = { .n = 1, .work_ms = 3 * work_ms, .sleeps = 5 };
        load_probe probe;
        int ok;

        probe_start(&probe);
        on = th4_ratio(DF_GIL_NEW, work_ms);
        off = th4_ratio(DF_GIL_OFF, work_ms);
        th4_go(DF_GIL_NEW, &lp);
        assert_int_equal(lp.rc, 0);
        late = th4_median(lp.late_ms, lp.sleeps);
        ok = on >= 1.6 && off <= 1.4 && late >= 3;
        fprintf(stderr,
                "TH4: 2 vs 1 with GIL %.2fx, without %.2fx; 10 ms "
                "sleep %.1f ms late (median)\n",
                on, off, late);
        if (!timing || decide(ok, attempt, probe_free_cores(&probe), 2.0))
            break;
    }

    if (!timing)
        return;
    assert_true(on >= 1.6);  /* not in parallel: one holds the lock */
    assert_true(off <= 1.4); /* free-threaded: side by side */
    assert_true(late >= 3);  /* the loop waits ~5 ms for the lock back */
}

static tw k2_w = { .delay_u = 10, .cleanup_u = 1, .tag = "bg" };

static int k2_main(void *arg, intptr_t *value)
{
    df_task *t;

    (void)arg;
    tw_spawn(&k2_w, 1, &t);
    df_task_release(t); /* abandoned */
    df_task_sleep(U);
    *value = 5;
    return 0;
}

static void test_task_K2_run_cancels_leftovers(void **state)
{
    intptr_t v = 0;
    int64_t t0 = df_now_ns();

    (void)state;
    tl_reset();
    assert_int_equal(df_task_run(k2_main, NULL, NULL, &v, NULL), 0);
    assert_int_equal(v, 5);
    assert_int_equal(k2_w.saw_cancel, 1);
    assert_string_equal(tl_buf, "bg!");
    assert_near_u((double)(df_now_ns() - t0) / 1e9 / U, 2); /* + cleanup */
}

static tw k1_fatal = { .delay_u = 1, .fail = DF_EFATAL };
static int k1_main_saw;

static int k1_main(void *arg, intptr_t *value)
{
    df_task *t;

    (void)arg;
    (void)value;
    tw_spawn(&k1_fatal, 1, &t);
    df_task_release(t);
    k1_main_saw = df_task_sleep(5 * U); /* cancelled at shutdown */
    return 0;
}

static void test_task_K1_fatal_escapes_the_loop(void **state)
{
    int64_t t0 = df_now_ns();

    (void)state;
    tl_reset();
    assert_int_equal(df_task_run(k1_main, NULL, NULL, NULL, NULL), DF_EFATAL);
    assert_near_u((double)(df_now_ns() - t0) / 1e9 / U, 1);
    assert_int_equal(k1_main_saw, -ECANCELED); /* main was still pending */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_WF1_no_timeout_is_await),
        cmocka_unit_test(test_task_WF2_timeout_cancels_and_waits),
        cmocka_unit_test(test_task_WF3_swallowed_cancel_returns_value),
        cmocka_unit_test(test_task_WF4_zero_timeout),
        cmocka_unit_test(test_task_WF5_cancelling_caller_cancels_inner),
        cmocka_unit_test(test_task_WF6_coroutine_runs_in_caller),
        cmocka_unit_test(test_task_W1_arguments_and_sets),
        cmocka_unit_test(test_task_W2_return_when_modes),
        cmocka_unit_test(test_task_W3_timeout_cancels_nothing),
        cmocka_unit_test(test_task_W4_never_raises_and_suspends),
        cmocka_unit_test(test_task_TO1_deadline_fixed_at_call),
        cmocka_unit_test(test_task_TO2_entry_records_cancelling),
        cmocka_unit_test(test_task_TO3_expiry_cancels_at_the_await),
        cmocka_unit_test(test_task_TO4_timeout_error_after_cleanup),
        cmocka_unit_test(test_task_TO5_swallow_or_other_error),
        cmocka_unit_test(test_task_TO6_past_deadline_first_suspension),
        cmocka_unit_test(test_task_TO7_nesting_and_outside_cancel),
        cmocka_unit_test(test_task_TO8_reschedule),
        cmocka_unit_test(test_task_SH1_shield_keeps_inner),
        cmocka_unit_test(test_task_SL1_sleep),
        cmocka_unit_test(test_task_TH1_to_thread_runs_elsewhere),
        cmocka_unit_test(test_task_TH2_pool_runs_in_parallel),
        cmocka_unit_test(test_task_TH3_cancel_stops_the_wait_only),
        cmocka_unit_test(test_task_TH4_cpu_threads_share_the_gil),
        cmocka_unit_test(test_task_K1_fatal_escapes_the_loop),
        cmocka_unit_test(test_task_K2_run_cancels_leftovers),
    };

    return cmocka_run_group_tests_name("task_wait", tests, NULL, NULL);
}
