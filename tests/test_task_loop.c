/* tests/test_task_loop.c - spec/ASYNCIO.md §1 (L1-L6) as seen from tasks. */
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

static void log_cb(void *arg)
{
    tl_add(arg);
}

static void a_cb(void *arg)
{
    (void)arg;
    tl_add("A");
    df_loop_call_soon(df_task_loop(), log_cb, "A-child", NULL);
}

static int l1_main(void *arg, intptr_t *value)
{
    df_loop *loop = df_task_loop();
    df_loop_handle *h;

    (void)arg;
    (void)value;
    df_loop_call_soon(loop, log_cb, "1", NULL);
    df_loop_call_soon(loop, log_cb, "2", &h);
    df_loop_call_soon(loop, log_cb, "3", NULL);
    df_loop_handle_cancel(loop, h);
    df_loop_handle_release(loop, h);
    return df_task_sleep(U);
}

static void test_task_L1_ready_queue_fifo_and_cancel(void **state)
{
    (void)state;
    assert_int_equal(tl_run(l1_main, NULL), 0);
    assert_string_equal(tl_buf, "1 3");
}

static int l2_main(void *arg, intptr_t *value)
{
    df_loop *loop = df_task_loop();
    double t0 = df_task_time_s();

    (void)arg;
    (void)value;
    df_loop_call_later(loop, (int64_t)(2 * U * 1e9), log_cb, "T2", NULL);
    df_loop_call_later(loop, (int64_t)(U * 1e9), log_cb, "T1", NULL);
    df_loop_call_at(loop, df_loop_time_ns(loop), log_cb, "T0", NULL);
    df_task_sleep(3 * U);
    *(double *)arg = df_task_time_s() - t0;
    return 0;
}

static void test_task_L2_timers_by_deadline(void **state)
{
    double elapsed = 0;

    (void)state;
    assert_int_equal(tl_run(l2_main, &elapsed), 0);
    assert_string_equal(tl_buf, "T0 T1 T2");
    assert_near_u(elapsed / U, 3);
}

static void c_cb(void *arg)
{
    (void)arg;
    tl_add("C");
}

static void b_cb(void *arg)
{
    (void)arg;
    tl_add("B");
    df_loop_call_soon(df_task_loop(), c_cb, NULL, NULL);
}

static int l3_main(void *arg, intptr_t *value)
{
    df_loop *loop = df_task_loop();

    (void)arg;
    (void)value;
    df_loop_call_soon(loop, b_cb, NULL, NULL);
    df_loop_call_soon(loop, log_cb, "D", NULL);
    df_task_sleep(0); /* queued behind B and D */
    tl_add("main");
    return df_task_sleep(U);
}

static void test_task_L3_batch_then_next_iteration(void **state)
{
    (void)state;
    assert_int_equal(tl_run(l3_main, NULL), 0);
    /* C was queued while the batch ran: it runs after main's step. */
    assert_string_equal(tl_buf, "B D main C");
}

static int l4_main(void *arg, intptr_t *value)
{
    df_loop *loop = df_task_loop();

    (void)arg;
    (void)value;
    df_loop_call_soon(loop, a_cb, NULL, NULL);
    df_loop_call_soon(loop, log_cb, "B", NULL);
    df_loop_call_later(loop, (int64_t)(2 * U * 1e9), log_cb, "T2", NULL);
    df_loop_call_later(loop, (int64_t)(U * 1e9), log_cb, "T1", NULL);
    df_loop_call_later(loop, 0, log_cb, "T0", NULL);
    return df_task_sleep(3 * U);
}

static void test_task_L4_timer_and_soon_order(void **state)
{
    (void)state;
    assert_int_equal(tl_run(l4_main, NULL), 0);
    assert_string_equal(tl_buf, "A B T0 A-child T1 T2");
}

static void busy_wait_u(double u)
{
    int64_t end = df_now_ns() + (int64_t)(u * U * 1e9);

    while (df_now_ns() < end)
        ;
}

static double l5_fired_u;

static void l5_timer(void *arg)
{
    (void)arg;
    l5_fired_u = tl_now_u();
}

static int l5_main(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    df_loop_call_later(df_task_loop(), (int64_t)(U * 1e9), l5_timer, NULL,
                       NULL);
    busy_wait_u(2); /* a blocking step: nothing else runs meanwhile */
    return df_task_sleep(2 * U);
}

static void test_task_L5_no_preemption(void **state)
{
    (void)state;
    assert_int_equal(tl_run(l5_main, NULL), 0);
    assert_true(l5_fired_u >= 2.0);
    assert_near_u(l5_fired_u, 2);
}

static df_loop_stats l6_stats;

static int l6_main(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    df_task_sleep(0);
    busy_wait_u(2);
    df_task_sleep(0);
    df_loop_stats_get(df_task_loop(), &l6_stats);
    return 0;
}

static void test_task_L6_slow_callback_detected(void **state)
{
    df_loop_cfg cfg = { .slow_callback_ns = (int64_t)(U * 1e9) };

    (void)state;
    tl_reset();
    assert_int_equal(df_task_run(l6_main, NULL, &cfg, NULL, NULL), 0);
    assert_true(l6_stats.slow_callbacks >= 1);
    assert_true(l6_stats.max_blocked_ns >= (int64_t)(2 * U * 1e9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_L1_ready_queue_fifo_and_cancel),
        cmocka_unit_test(test_task_L2_timers_by_deadline),
        cmocka_unit_test(test_task_L3_batch_then_next_iteration),
        cmocka_unit_test(test_task_L4_timer_and_soon_order),
        cmocka_unit_test(test_task_L5_no_preemption),
        cmocka_unit_test(test_task_L6_slow_callback_detected),
    };

    return cmocka_run_group_tests_name("task_loop", tests, NULL, NULL);
}
