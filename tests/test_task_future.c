/* tests/test_task_future.c - spec/ASYNCIO.md §2, futures (F1-F6). */
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
    int done[3], cancelled[3], result[3], exc[3];
    intptr_t value;
    int set_again, removed, await_rc;
    double await_u;
    char order[64];
} r;

static int f1_main(void *arg, intptr_t *value)
{
    df_task *a, *b;

    (void)arg;
    (void)value;
    df_future_create(&a);
    df_future_create(&b);
    r.done[0] = df_task_done(a);
    df_future_set_result(a, 7);
    df_task_cancel(b, NULL);
    r.done[1] = df_task_done(a);
    r.done[2] = df_task_done(b);
    r.cancelled[0] = df_task_cancelled(a);
    r.cancelled[1] = df_task_cancelled(b);
    r.set_again = df_future_set_result(a, 8);
    df_task_release(a);
    df_task_release(b);
    return 0;
}

static void test_task_F1_states(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(f1_main, NULL), 0);
    assert_int_equal(r.done[0], 0);
    assert_int_equal(r.done[1], 1);
    assert_int_equal(r.done[2], 1);
    assert_int_equal(r.cancelled[0], 0);
    assert_int_equal(r.cancelled[1], 1);
    assert_int_equal(r.set_again, -EINVAL);
}

static int f2_main(void *arg, intptr_t *value)
{
    df_task *p, *ok, *bad, *c;

    (void)arg;
    (void)value;
    df_future_create(&p);
    df_future_create(&ok);
    df_future_create(&bad);
    df_future_create(&c);
    df_future_set_result(ok, 42);
    df_future_set_error(bad, -EIO);
    df_task_cancel(c, NULL);
    r.result[0] = df_task_result(p, &r.value);
    r.exc[0] = df_task_exception(p);
    r.result[1] = df_task_result(ok, &r.value);
    r.exc[1] = df_task_exception(ok);
    r.result[2] = df_task_result(bad, NULL);
    r.exc[2] = df_task_exception(bad);
    r.cancelled[0] = df_task_result(c, NULL);
    r.cancelled[1] = df_task_exception(c);
    df_task_release(p);
    df_task_release(ok);
    df_task_release(bad);
    df_task_release(c);
    return 0;
}

static void test_task_F2_result_and_exception(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(f2_main, NULL), 0);
    assert_int_equal(r.result[0], -EAGAIN); /* InvalidStateError */
    assert_int_equal(r.exc[0], -EAGAIN);
    assert_int_equal(r.result[1], 0);
    assert_int_equal(r.value, 42);
    assert_int_equal(r.exc[1], 0);
    assert_int_equal(r.result[2], -EIO);
    assert_int_equal(r.exc[2], -EIO);
    assert_int_equal(r.cancelled[0], -ECANCELED);
    assert_int_equal(r.cancelled[1], -ECANCELED);
}

static void order_cb(df_task *f, void *arg)
{
    (void)f;
    strcat(r.order, arg);
}

static int f3_main(void *arg, intptr_t *value)
{
    df_task *f, *d;

    (void)arg;
    (void)value;
    df_future_create(&f);
    df_task_add_done_callback(f, order_cb, "1");
    df_task_add_done_callback(f, order_cb, "2");
    df_future_set_result(f, 1);
    strcat(r.order, "s"); /* callbacks not run inline */
    df_future_create(&d);
    df_future_set_result(d, 1);
    df_task_add_done_callback(d, order_cb, "3"); /* already done */
    strcat(r.order, "a");
    df_task_sleep(0);
    strcat(r.order, "m");
    df_task_release(f);
    df_task_release(d);
    return 0;
}

static void test_task_F3_callbacks_scheduled_in_order(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(f3_main, NULL), 0);
    assert_string_equal(r.order, "sa123m");
}

static int f4_main(void *arg, intptr_t *value)
{
    df_task *f;

    (void)arg;
    (void)value;
    df_future_create(&f);
    df_task_add_done_callback(f, order_cb, "x");
    df_task_add_done_callback(f, order_cb, "y");
    df_task_add_done_callback(f, order_cb, "x");
    r.removed = df_task_remove_done_callback(f, order_cb, "x");
    df_future_set_result(f, 0);
    df_task_sleep(0);
    df_task_release(f);
    return 0;
}

static void test_task_F4_remove_counts(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(f4_main, NULL), 0);
    assert_int_equal(r.removed, 2);
    assert_string_equal(r.order, "y");
}

static int f5_main(void *arg, intptr_t *value)
{
    df_task *f;

    (void)arg;
    (void)value;
    df_future_create(&f);
    df_task_add_done_callback(f, order_cb, "c");
    r.result[0] = df_task_cancel(f, "why");
    r.result[1] = df_task_cancel(f, NULL);
    df_task_sleep(0);
    r.cancelled[0] = df_task_cancelled(f);
    r.exc[0] = strcmp(df_task_cancel_msg(f), "why");
    df_task_release(f);
    return 0;
}

static void test_task_F5_cancel_once(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(f5_main, NULL), 0);
    assert_int_equal(r.result[0], 1);
    assert_int_equal(r.result[1], 0);
    assert_int_equal(r.cancelled[0], 1);
    assert_int_equal(r.exc[0], 0);
    assert_string_equal(r.order, "c");
}

static void soon_cb(void *arg)
{
    (void)arg;
    strcat(r.order, "soon ");
}

static void set_later(void *arg)
{
    df_future_set_result(arg, 5);
}

static int f6_main(void *arg, intptr_t *value)
{
    df_task *done, *later;
    intptr_t v = 0;

    (void)arg;
    (void)value;
    df_future_create(&done);
    df_future_set_result(done, 3);
    df_loop_call_soon(df_task_loop(), soon_cb, NULL, NULL);
    r.result[0] = df_task_await(done, &v); /* no suspension */
    strcat(r.order, "after-await ");
    r.value = v;
    df_future_create(&later);
    df_loop_call_later(df_task_loop(), (int64_t)(U * 1e9), set_later, later,
                       NULL);
    r.await_rc = df_task_await(later, &v);
    r.await_u = tl_now_u();
    r.result[1] = (int)v;
    df_task_release(done);
    df_task_release(later);
    return 0;
}

static void test_task_F6_await_done_does_not_suspend(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(f6_main, NULL), 0);
    /* The queued callback ran only after the await of a done future. */
    assert_string_equal(r.order, "after-await soon ");
    assert_int_equal(r.result[0], 0);
    assert_int_equal(r.value, 3);
    assert_int_equal(r.await_rc, 0);
    assert_int_equal(r.result[1], 5);
    assert_near_u(r.await_u, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_F1_states),
        cmocka_unit_test(test_task_F2_result_and_exception),
        cmocka_unit_test(test_task_F3_callbacks_scheduled_in_order),
        cmocka_unit_test(test_task_F4_remove_counts),
        cmocka_unit_test(test_task_F5_cancel_once),
        cmocka_unit_test(test_task_F6_await_done_does_not_suspend),
    };

    return cmocka_run_group_tests_name("task_future", tests, NULL, NULL);
}
