/* tests/test_task.c - spec/ASYNCIO.md §3-§5: tasks, cancellation, the
 * timing of create_task and await (T1-T6, C1-C6, S1-S7). */
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>
/* clang-format on */

#include "tests/test_task_util.h"

static struct {
    char name[3][32];
    int rc[8];
    intptr_t v[4];
    double u[4];
    int started;
} r;

static int noop(void *arg, intptr_t *value)
{
    (void)arg;
    *value = 1;
    return 0;
}

static int t1_main(void *arg, intptr_t *value)
{
    df_task *a, *b;

    (void)arg;
    (void)value;
    snprintf(r.name[0], 32, "%s", df_task_get_name(df_task_current()));
    df_task_create(noop, NULL, NULL, &a);
    df_task_create(noop, NULL, "mine", &b);
    snprintf(r.name[1], 32, "%s", df_task_get_name(a));
    snprintf(r.name[2], 32, "%s", df_task_get_name(b));
    r.rc[0] = df_task_done(a); /* first step only queued */
    df_task_await(a, NULL);
    df_task_await(b, NULL);
    df_task_release(a);
    df_task_release(b);
    return 0;
}

static void test_task_T1_create_names_and_requires_loop(void **state)
{
    df_task *t = NULL;
    int n1, n2;

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(df_task_create(noop, NULL, NULL, &t), -EPERM);
    assert_null(t);
    assert_int_equal(tl_run(t1_main, NULL), 0);
    assert_int_equal(sscanf(r.name[0], "Task-%d", &n1), 1);
    assert_int_equal(sscanf(r.name[1], "Task-%d", &n2), 1);
    assert_int_equal(n2, n1 + 1); /* one process-wide counter */
    assert_string_equal(r.name[2], "mine");
    assert_int_equal(r.rc[0], 0);
}

static int t2_cancel_after_return(void *arg, intptr_t *value)
{
    (void)arg;
    df_task_cancel(df_task_current(), NULL); /* _must_cancel, then return */
    *value = 9;
    return 0;
}

static int t2_fail(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    return -EIO;
}

static int t2_main(void *arg, intptr_t *value)
{
    df_task *a, *b, *c;

    (void)arg;
    (void)value;
    df_task_create(noop, NULL, NULL, &a);
    df_task_create(t2_cancel_after_return, NULL, NULL, &b);
    df_task_create(t2_fail, NULL, NULL, &c);
    r.rc[0] = df_task_await(a, &r.v[0]);
    r.rc[1] = df_task_await(b, NULL);
    r.rc[2] = df_task_cancelled(b);
    r.rc[3] = df_task_await(c, NULL);
    r.rc[4] = df_task_await(df_task_current(), NULL); /* yields itself */
    df_task_release(a);
    df_task_release(b);
    df_task_release(c);
    return 0;
}

static void test_task_T2_step_outcomes(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(t2_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.v[0], 1);
    assert_int_equal(r.rc[1], -ECANCELED);
    assert_int_equal(r.rc[2], 1);
    assert_int_equal(r.rc[3], -EIO);
    assert_int_equal(r.rc[4], -EDEADLK);
}

static void log_cb(void *arg)
{
    tl_add(arg);
}

static int t3_child(void *arg, intptr_t *value)
{
    (void)arg;
    df_task_sleep(U);
    tl_add("child-done");
    df_loop_call_soon(df_task_loop(), log_cb, "soon", NULL);
    *value = 2;
    return 0;
}

static int t3_main(void *arg, intptr_t *value)
{
    df_task *c;

    (void)arg;
    (void)value;
    df_task_create(t3_child, NULL, NULL, &c);
    r.rc[0] = df_task_await(c, &r.v[0]);
    tl_add("woken");
    df_task_release(c);
    return 0;
}

static void test_task_T3_wakeup_one_iteration_later(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(t3_main, NULL), 0);
    /* The wakeup is a done callback queued behind what the child queued. */
    assert_string_equal(tl_buf, "child-done soon woken");
    assert_int_equal(r.v[0], 2);
}

static int t4_main(void *arg, intptr_t *value)
{
    df_task *c;
    tw w = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &c);
    df_task_sleep(0);
    /* c is waiting on its sleep: cancel goes through its fut_waiter and
     * the wakeup brings -ECANCELED at once, not at the sleep's end. */
    r.rc[0] = df_task_cancel(c, NULL);
    r.rc[1] = df_task_await(c, NULL);
    r.u[0] = tl_now_u();
    df_task_release(c);
    return 0;
}

static void test_task_T4_waiting_task_woken_by_cancel(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(t4_main, NULL), 0);
    assert_int_equal(r.rc[0], 1);
    assert_int_equal(r.rc[1], -ECANCELED);
    assert_true(r.u[0] < 0.5);
}

static int t5_main(void *arg, intptr_t *value)
{
    df_task *a, *all[8];

    (void)arg;
    (void)value;
    df_task_create(noop, NULL, NULL, &a);
    r.rc[0] = df_task_set_name(a, "renamed");
    snprintf(r.name[0], 32, "%s", df_task_get_name(a));
    r.rc[1] = (int)df_task_all(all, 8);   /* main and a */
    r.rc[2] = df_future_set_result(a, 1); /* RuntimeError */
    r.rc[3] = df_task_current() != NULL;
    df_task_await(a, NULL);
    r.rc[4] = (int)df_task_all(all, 8); /* only main */
    df_task_release(a);
    return 0;
}

static void test_task_T5_accessors(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(t5_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_string_equal(r.name[0], "renamed");
    assert_int_equal(r.rc[1], 2);
    assert_int_equal(r.rc[2], -EPERM);
    assert_int_equal(r.rc[3], 1);
    assert_int_equal(r.rc[4], 1);
    assert_null(df_task_current()); /* not on a loop */
}

static void t6_cb(df_task *t, void *arg)
{
    (void)t;
    tl_add(arg);
}

static int t6_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    df_task_sleep(0);
    r.rc[0] = df_task_result(a, NULL); /* running: InvalidStateError */
    df_task_await(a, NULL);
    df_task_add_done_callback(a, t6_cb, "cb");
    tl_add("after-add");
    df_task_sleep(0);
    df_task_release(a);
    return 0;
}

static void test_task_T6_methods_on_tasks(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(t6_main, NULL), 0);
    assert_int_equal(r.rc[0], -EAGAIN);
    assert_string_equal(tl_buf, "after-add cb");
}

static int c1_main(void *arg, intptr_t *value)
{
    df_task *a, *b;
    tw wa = { .delay_u = 1 }, wb = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &wa, NULL, &a);
    df_task_create(tw_body, &wb, NULL, &b);
    df_task_sleep(0);
    r.rc[0] = df_task_cancel(a, "m");
    df_task_await(a, NULL);
    r.rc[1] = df_task_cancel(a, NULL); /* done: False */
    /* b awaits nothing we can see; cancel a task awaiting b instead. */
    r.rc[2] = df_task_await(b, NULL);
    df_task_release(a);
    df_task_release(b);
    return 0;
}

static void test_task_C1_cancel_returns(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c1_main, NULL), 0);
    assert_int_equal(r.rc[0], 1);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], 0);
}

static int c1_inner(void *arg, intptr_t *value)
{
    return df_task_await(arg, value); /* waits on another task */
}

static int c1r_main(void *arg, intptr_t *value)
{
    df_task *leaf, *mid;
    tw w = { .delay_u = 2 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &leaf);
    df_task_create(c1_inner, leaf, NULL, &mid);
    df_task_sleep(0);
    df_task_cancel(mid, NULL); /* recurses into the awaited leaf */
    r.rc[0] = df_task_await(mid, NULL);
    r.rc[1] = df_task_cancelled(leaf);
    r.u[0] = tl_now_u();
    df_task_release(leaf);
    df_task_release(mid);
    return 0;
}

static void test_task_C1_cancel_recurses_into_awaited(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c1r_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_int_equal(r.rc[1], 1);
    assert_true(r.u[0] < 0.5);
}

static int c2_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    df_task_sleep(0);
    df_task_cancel(a, NULL);
    r.rc[0] = df_task_cancelled(a);
    r.rc[1] = df_task_cancelling(a);
    r.rc[2] = w.saw_cancel; /* cancel runs no task code */
    df_task_await(a, NULL);
    r.rc[3] = df_task_cancelled(a);
    r.rc[4] = df_task_result(a, NULL);
    r.rc[5] = df_task_exception(a);
    r.rc[6] = w.saw_cancel;
    df_task_release(a);
    return 0;
}

static void test_task_C2_delivered_at_the_await(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c2_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(r.rc[3], 1);
    assert_int_equal(r.rc[4], -ECANCELED);
    assert_int_equal(r.rc[5], -ECANCELED);
    assert_int_equal(r.rc[6], 1);
}

static int c3_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    r.rc[0] = df_task_cancel(a, NULL);
    r.rc[1] = df_task_await(a, NULL);
    r.rc[2] = w.started;
    df_task_release(a);
    return 0;
}

static void test_task_C3_cancel_before_start(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c3_main, NULL), 0);
    assert_int_equal(r.rc[0], 1);
    assert_int_equal(r.rc[1], -ECANCELED);
    assert_int_equal(r.rc[2], 0); /* the body never ran */
}

static int c4_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 1, .swallow = 1, .value = 77 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    df_task_sleep(0);
    df_task_cancel(a, NULL);
    r.rc[0] = df_task_await(a, &r.v[0]);
    r.rc[1] = df_task_cancelled(a);
    df_task_release(a);
    return 0;
}

static void test_task_C4_swallowed_cancel_completes(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c4_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.v[0], 77);
    assert_int_equal(r.rc[1], 0);
}

static int c5_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    df_task_sleep(0);
    df_task_cancel(a, NULL);
    df_task_cancel(a, NULL);
    r.rc[0] = df_task_cancelling(a);
    r.rc[1] = df_task_uncancel(a);
    r.rc[2] = df_task_uncancel(a);
    r.rc[3] = df_task_uncancel(a); /* never below 0 */
    /* 3.12: the cancellation already requested still arrives. */
    r.rc[4] = df_task_await(a, NULL);
    df_task_release(a);
    return 0;
}

static void test_task_C5_cancelling_counts(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c5_main, NULL), 0);
    assert_int_equal(r.rc[0], 2);
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(r.rc[3], 0);
    assert_int_equal(r.rc[4], -ECANCELED);
}

static int c6_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    df_task_sleep(0);
    df_task_cancel(a, "stop now");
    r.rc[0] = df_task_await(a, NULL);
    snprintf(r.name[0], 32, "%s", df_task_cancel_msg(a));
    df_task_release(a);
    return 0;
}

static void test_task_C6_cancel_message(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(c6_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_string_equal(r.name[0], "stop now");
}

static void busy_wait_u(double u)
{
    int64_t end = df_now_ns() + (int64_t)(u * U * 1e9);

    while (df_now_ns() < end)
        ;
}

static int s1_main(void *arg, intptr_t *value)
{
    df_task *a;
    tw w = { .delay_u = 0 };

    (void)arg;
    (void)value;
    df_task_create(tw_body, &w, NULL, &a);
    busy_wait_u(1); /* time.sleep: no yield */
    r.rc[0] = w.started;
    df_task_sleep(0);
    r.rc[1] = w.started;
    df_task_await(a, NULL);
    df_task_release(a);
    return 0;
}

static void test_task_S1_created_task_waits_for_a_yield(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(s1_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 1);
}

static int s2_main(void *arg, intptr_t *value)
{
    df_task *self = df_task_current();
    intptr_t v;

    (void)arg;
    (void)value;
    /* await coro(): a plain call, same task, runs before anything else */
    df_loop_call_soon(df_task_loop(), log_cb, "soon", NULL);
    tl_add("call");
    r.rc[0] = self == df_task_current();
    noop(NULL, &v);
    tl_add("back");
    df_task_sleep(0);
    return 0;
}

static void test_task_S2_await_coroutine_inline(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(s2_main, NULL), 0);
    assert_string_equal(tl_buf, "call back soon");
    assert_int_equal(r.rc[0], 1);
}

static int s3_main(void *arg, intptr_t *value)
{
    tw hello = { .delay_u = 1, .tag = "hello" };
    tw world = { .delay_u = 2, .tag = "world" };
    intptr_t v;

    (void)arg;
    (void)value;
    tw_body(&hello, &v);
    tw_body(&world, &v);
    r.u[0] = hello.end_u;
    r.u[1] = world.end_u;
    return 0;
}

static void test_task_S3_sequential_awaits_3U(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(s3_main, NULL), 0);
    assert_string_equal(tl_buf, "hello world");
    assert_near_u(r.u[0], 1);
    assert_near_u(r.u[1], 3);
}

static int s4_main(void *arg, intptr_t *value)
{
    tw hello = { .delay_u = 1, .tag = "hello" };
    tw world = { .delay_u = 2, .tag = "world" };
    df_task *t1, *t2;

    (void)arg;
    (void)value;
    df_task_create(tw_body, &hello, NULL, &t1);
    df_task_create(tw_body, &world, NULL, &t2);
    df_task_await(t1, NULL);
    df_task_await(t2, NULL);
    r.u[0] = hello.end_u;
    r.u[1] = world.end_u;
    r.u[2] = tl_now_u();
    df_task_release(t1);
    df_task_release(t2);
    return 0;
}

static void test_task_S4_create_then_await_2U(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(s4_main, NULL), 0);
    assert_string_equal(tl_buf, "hello world");
    assert_near_u(r.u[0], 1);
    assert_near_u(r.u[1], 2);
    assert_near_u(r.u[2], 2);
}

static int s5_main(void *arg, intptr_t *value)
{
    tw hello = { .delay_u = 1, .tag = "hello" };
    tw world = { .delay_u = 2, .tag = "world" };
    df_task *t;

    (void)arg;
    (void)value;
    df_task_create(tw_body, &hello, NULL, &t);
    df_task_await(t, NULL);
    df_task_release(t);
    df_task_create(tw_body, &world, NULL, &t);
    df_task_await(t, NULL);
    df_task_release(t);
    r.u[0] = tl_now_u();
    return 0;
}

static void test_task_S5_await_each_create_task_3U(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(s5_main, NULL), 0);
    assert_near_u(r.u[0], 3);
}

static int s6_main(void *arg, intptr_t *value)
{
    df_task *a;

    (void)arg;
    (void)value;
    df_task_create(noop, NULL, NULL, &a);
    df_task_sleep(0);
    df_task_sleep(0); /* a is finished now */
    r.rc[0] = df_task_done(a);
    df_loop_call_soon(df_task_loop(), log_cb, "soon", NULL);
    r.rc[1] = df_task_await(a, &r.v[0]);
    tl_add("awaited");
    df_task_sleep(0);
    df_task_release(a);
    return 0;
}

static void test_task_S6_await_finished_task_no_suspend(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(s6_main, NULL), 0);
    assert_int_equal(r.rc[0], 1);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.v[0], 1);
    assert_string_equal(tl_buf, "awaited soon");
}

/* Shared-stack mode moves a suspended task's stack away: the children's
 * state is static here, as models/asyncio/task.h asks. */
static tw s4s_hello = { .delay_u = 1, .tag = "hello" };
static tw s4s_world = { .delay_u = 2, .tag = "world" };

/* S7: eager tasks run their first step inside create. */
static int s7_two_steps(void *arg, intptr_t *value)
{
    const char *tag = arg;
    char ev[16];

    r.rc[4] += df_task_get_name(df_task_current()) != NULL;
    snprintf(ev, sizeof(ev), "%s1", tag);
    tl_add(ev);
    df_task_sleep(0);
    snprintf(ev, sizeof(ev), "%s2", tag);
    tl_add(ev);
    *value = 7;
    return 0;
}

static int s7_log_a(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    tl_add("A");
    return 0;
}

static int s7_main(void *arg, intptr_t *value)
{
    df_task *self = df_task_current();
    df_task *a, *b, *c;

    (void)arg;
    (void)value;
    df_loop_call_soon(df_task_loop(), log_cb, "soon", NULL);
    df_task_create(s7_log_a, NULL, NULL, &a);
    r.rc[0] = df_task_create_eager(s7_two_steps, "B", NULL, &b);
    tl_add("ret");
    r.rc[1] = df_task_done(b);
    r.rc[2] = df_task_current() == self;
    r.rc[3] = df_task_create_eager(noop, NULL, "C", &c);
    r.rc[5] = df_task_done(c);
    r.rc[6] = df_task_result(c, &r.v[0]);
    df_task_await(a, NULL);
    r.rc[7] = df_task_await(b, &r.v[1]);
    df_task_release(a);
    df_task_release(b);
    df_task_release(c);
    return 0;
}

static void test_task_S7_eager_runs_until_first_suspension(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));

    assert_int_equal(tl_run(s7_main, NULL), 0);

    /* B's first step ran inside create, before the callback and the lazy
     * task queued earlier; its second step after them. */
    assert_string_equal(tl_buf, "B1 ret soon A B2");
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 0); /* suspended: not done */
    assert_int_equal(r.rc[2], 1); /* the creator is current again */
    assert_int_equal(r.rc[3], 0);
    assert_int_equal(r.rc[4], 1); /* B saw itself as the current task */
    assert_int_equal(r.rc[5], 1); /* C never suspended: done on return */
    assert_int_equal(r.rc[6], 0);
    assert_int_equal(r.v[0], 1);
    assert_int_equal(r.rc[7], 0);
    assert_int_equal(r.v[1], 7);
}

/* An eager task creating an eager task, on the shared stack: every frame
 * (locals included) survives the creator's suspension. */
static int s7n_child(void *arg, intptr_t *value)
{
    char tag[8];

    snprintf(tag, sizeof(tag), "%s", (const char *)arg);
    return s7_two_steps(tag, value);
}

static int s7n_mid(void *arg, intptr_t *value)
{
    df_task *c;
    char tag[8] = "M";

    (void)arg;
    tl_add("M1");
    df_task_create_eager(s7n_child, "C", NULL, &c);
    tl_add(tag);
    df_task_sleep(0);
    tl_add("M3");
    df_task_await(c, value);
    df_task_release(c);
    return 0;
}

static int s7n_main(void *arg, intptr_t *value)
{
    df_task *m;
    int before = 42;

    (void)arg;
    r.rc[0] = df_task_create_eager(s7n_mid, NULL, NULL, &m);
    tl_add("ret");
    r.rc[1] = before == 42;
    r.rc[2] = df_task_await(m, value);
    df_task_release(m);
    return 0;
}

static void test_task_S7_eager_nested_shared_stack(void **state)
{
    df_loop_cfg cfg = { .stack_kind = DF_STACK_SHARED };
    intptr_t v = 0;

    (void)state;
    memset(&r, 0, sizeof(r));
    tl_reset();

    assert_int_equal(df_task_run(s7n_main, NULL, &cfg, &v, NULL), 0);

    assert_string_equal(tl_buf, "M1 C1 M ret C2 M3");
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(v, 7);
}

static int s4s_main(void *arg, intptr_t *value)
{
    df_task *t[2], *g;

    (void)arg;
    (void)value;
    df_task_create(tw_body, &s4s_hello, NULL, &t[0]);
    df_task_create(tw_body, &s4s_world, NULL, &t[1]);
    df_gather_create(t, 2, 0, &g);
    r.rc[0] = df_task_await(g, NULL);
    r.u[0] = tl_now_u();
    df_task_release(g);
    df_task_release(t[0]);
    df_task_release(t[1]);
    return 0;
}

static void test_task_S4_shared_stack_mode(void **state)
{
    df_loop_cfg cfg = { .stack_kind = DF_STACK_SHARED };

    (void)state;
    memset(&r, 0, sizeof(r));
    tl_reset();
    assert_int_equal(df_task_run(s4s_main, NULL, &cfg, NULL, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_string_equal(tl_buf, "hello world");
    assert_near_u(r.u[0], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_T1_create_names_and_requires_loop),
        cmocka_unit_test(test_task_T2_step_outcomes),
        cmocka_unit_test(test_task_T3_wakeup_one_iteration_later),
        cmocka_unit_test(test_task_T4_waiting_task_woken_by_cancel),
        cmocka_unit_test(test_task_T5_accessors),
        cmocka_unit_test(test_task_T6_methods_on_tasks),
        cmocka_unit_test(test_task_C1_cancel_returns),
        cmocka_unit_test(test_task_C1_cancel_recurses_into_awaited),
        cmocka_unit_test(test_task_C2_delivered_at_the_await),
        cmocka_unit_test(test_task_C3_cancel_before_start),
        cmocka_unit_test(test_task_C4_swallowed_cancel_completes),
        cmocka_unit_test(test_task_C5_cancelling_counts),
        cmocka_unit_test(test_task_C6_cancel_message),
        cmocka_unit_test(test_task_S1_created_task_waits_for_a_yield),
        cmocka_unit_test(test_task_S2_await_coroutine_inline),
        cmocka_unit_test(test_task_S3_sequential_awaits_3U),
        cmocka_unit_test(test_task_S4_create_then_await_2U),
        cmocka_unit_test(test_task_S4_shared_stack_mode),
        cmocka_unit_test(test_task_S5_await_each_create_task_3U),
        cmocka_unit_test(test_task_S6_await_finished_task_no_suspend),
        cmocka_unit_test(test_task_S7_eager_runs_until_first_suspension),
        cmocka_unit_test(test_task_S7_eager_nested_shared_stack),
    };

    return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
