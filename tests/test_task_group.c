/* tests/test_task_group.c - spec/ASYNCIO.md §6, TaskGroup (G1-G8). */
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
    int rc[8];
    int errors[4];
    size_t nerrors;
    double u[4];
} r;

static int noop(void *arg, intptr_t *value)
{
    (void)arg;
    *value = 0;
    return 0;
}

static void copy_errors(df_taskgroup *tg)
{
    const int *e = df_taskgroup_errors(tg, &r.nerrors);

    for (size_t i = 0; i < r.nerrors && i < 4; i++)
        r.errors[i] = e[i];
}

static int g1_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    r.rc[0] = df_taskgroup_create_task(tg, noop, NULL, NULL, NULL);
    r.rc[1] = df_taskgroup_exit(tg, 0);
    r.rc[2] = df_taskgroup_create_task(tg, noop, NULL, NULL, NULL);
    r.rc[3] = df_taskgroup_exit(tg, 0); /* once only */
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G1_enter_and_create_rules(void **state)
{
    df_taskgroup *tg = NULL;

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(df_taskgroup_enter(&tg), -EPERM); /* no task */
    assert_int_equal(tl_run(g1_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], -EPERM); /* finished */
    assert_int_equal(r.rc[3], -EPERM);
}

static tw g2_late = { .delay_u = 2, .tag = "late" };

static int g2_spawner(void *arg, intptr_t *value)
{
    df_taskgroup *tg = arg;

    (void)value;
    df_task_sleep(U);
    /* a child adds a sibling while the body is already exiting */
    return df_taskgroup_create_task(tg, tw_body, &g2_late, NULL, NULL);
}

static int g2_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    tw a = { .delay_u = 1, .tag = "a" };

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, tw_body, &a, NULL, NULL);
    df_taskgroup_create_task(tg, g2_spawner, tg, NULL, NULL);
    r.rc[0] = df_taskgroup_exit(tg, 0);
    r.u[0] = tl_now_u();
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G2_exit_waits_for_all(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g2_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_string_equal(tl_buf, "a late");
    assert_near_u(r.u[0], 3);
}

static int g3_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    tw a = { .delay_u = 3, .tag = "a" };
    tw b = { .delay_u = 1, .fail = -EINVAL, .tag = "b" };
    tw c = { .delay_u = 1, .fail = -EPIPE, .tag = "c" };
    tw d = { .delay_u = 3, .cleanup_u = 1, .tag = "d" };
    int body;

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, tw_body, &a, NULL, NULL);
    df_taskgroup_create_task(tg, tw_body, &b, NULL, NULL);
    df_taskgroup_create_task(tg, tw_body, &c, NULL, NULL);
    df_taskgroup_create_task(tg, tw_body, &d, NULL, NULL);
    body = df_task_sleep(5 * U);
    r.rc[0] = body;
    r.rc[1] = df_taskgroup_exit(tg, body);
    r.u[0] = tl_now_u();
    r.rc[2] = df_task_cancelling(df_task_current());
    r.rc[3] = a.saw_cancel && d.saw_cancel;
    copy_errors(tg);
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G3_failures_cancel_rest_and_group(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g3_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED); /* the body was cancelled */
    assert_int_equal(r.rc[1], DF_EGROUP);
    assert_int_equal(r.nerrors, 2);
    assert_int_equal(r.errors[0], -EINVAL);
    assert_int_equal(r.errors[1], -EPIPE);
    assert_near_u(r.u[0], 2); /* d's cleanup */
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(r.rc[3], 1);
}

static int g4_cleanup_fails(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    if (df_task_sleep(3 * U) == -ECANCELED)
        return -EBADF; /* fails during its cancellation cleanup */
    return 0;
}

static int g4_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    tw b = { .delay_u = 1, .fail = -EINVAL };
    int body;

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, g4_cleanup_fails, NULL, NULL, NULL);
    df_taskgroup_create_task(tg, tw_body, &b, NULL, NULL);
    body = df_task_sleep(5 * U);
    r.rc[0] = df_taskgroup_exit(tg, body);
    r.rc[1] = df_task_cancelling(df_task_current());
    copy_errors(tg);
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G4_abort_once_later_errors_kept(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g4_main, NULL), 0);
    assert_int_equal(r.rc[0], DF_EGROUP);
    assert_int_equal(r.nerrors, 2);
    assert_int_equal(r.errors[0], -EINVAL);
    assert_int_equal(r.errors[1], -EBADF);
    assert_int_equal(r.rc[1], 0);
}

static int g5_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    tw a = { .delay_u = 3, .tag = "a" };

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, tw_body, &a, NULL, NULL);
    df_task_sleep(U);
    r.rc[0] = df_taskgroup_exit(tg, -EIO); /* the body raised */
    r.u[0] = tl_now_u();
    r.rc[1] = a.saw_cancel;
    copy_errors(tg);
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G5_body_error_joins_group(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g5_main, NULL), 0);
    assert_int_equal(r.rc[0], DF_EGROUP);
    assert_int_equal(r.nerrors, 1);
    assert_int_equal(r.errors[0], -EIO);
    assert_int_equal(r.rc[1], 1);
    assert_near_u(r.u[0], 1);
}

static tw g6_child = { .delay_u = 3, .cleanup_u = 1, .tag = "child" };

static int g6_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    tw b = { .delay_u = 1, .fail = -EINVAL };

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, tw_body, &g6_child, NULL, NULL);
    df_taskgroup_create_task(tg, tw_body, &b, NULL, NULL);
    df_task_sleep(0.5 * U);
    /* the body "raises KeyboardInterrupt" */
    r.rc[0] = df_taskgroup_exit(tg, DF_EFATAL);
    r.u[0] = tl_now_u();
    copy_errors(tg);
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G6_fatal_is_not_grouped(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g6_main, NULL), 0);
    assert_int_equal(r.rc[0], DF_EFATAL);
    assert_int_equal(g6_child.saw_cancel, 1); /* cancelled and awaited */
    assert_near_u(r.u[0], 1.5);
}

static int g7_main(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    df_task *t;
    tw a = { .delay_u = 2 }, b = { .delay_u = 1 };

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, tw_body, &a, NULL, &t);
    df_taskgroup_create_task(tg, tw_body, &b, NULL, NULL);
    df_task_sleep(0);
    df_task_cancel(t, NULL);
    r.rc[0] = df_taskgroup_exit(tg, 0);
    r.rc[1] = df_task_cancelled(t);
    r.rc[2] = b.saw_cancel;
    copy_errors(tg);
    df_task_release(t);
    df_taskgroup_destroy(tg);
    return 0;
}

static void test_task_G7_cancelled_child_is_no_error(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g7_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 1);
    assert_int_equal(r.rc[2], 0);
    assert_int_equal(r.nerrors, 0);
}

static tw g8_a = { .delay_u = 3, .cleanup_u = 1, .tag = "a" };

static int g8_parent(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    int body;

    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, tw_body, arg, NULL, NULL);
    body = df_task_sleep(5 * U);
    body = df_taskgroup_exit(tg, body);
    if (body == DF_EGROUP)
        copy_errors(tg);
    df_taskgroup_destroy(tg);
    return body;
}

static int g8_main(void *arg, intptr_t *value)
{
    df_task *p;

    (void)value;
    df_task_create(g8_parent, arg, NULL, &p);
    df_task_sleep(U);
    df_task_cancel(p, NULL);
    r.rc[0] = df_task_await(p, NULL);
    r.u[0] = tl_now_u();
    df_task_release(p);
    return 0;
}

static int g8_child_fails_on_cancel(void *arg, intptr_t *value)
{
    (void)arg;
    (void)value;
    df_task_sleep(3 * U);
    return -ENOTCONN;
}

static int g8b_parent(void *arg, intptr_t *value)
{
    df_taskgroup *tg;
    int body;

    (void)arg;
    (void)value;
    df_taskgroup_enter(&tg);
    df_taskgroup_create_task(tg, g8_child_fails_on_cancel, NULL, NULL, NULL);
    body = df_task_sleep(5 * U);
    body = df_taskgroup_exit(tg, body);
    if (body == DF_EGROUP)
        copy_errors(tg);
    df_taskgroup_destroy(tg);
    return body;
}

static int g8b_main(void *arg, intptr_t *value)
{
    df_task *p;

    (void)arg;
    (void)value;
    df_task_create(g8b_parent, NULL, NULL, &p);
    df_task_sleep(U);
    df_task_cancel(p, NULL);
    r.rc[0] = df_task_await(p, NULL);
    df_task_release(p);
    return 0;
}

static void test_task_G8_outside_cancel_propagates(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g8_main, &g8_a), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_int_equal(g8_a.saw_cancel, 1);
    assert_near_u(r.u[0], 2); /* children are awaited, cleanup included */
    /* ...unless a child failed with another error: the group wins. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(g8b_main, NULL), 0);
    assert_int_equal(r.rc[0], DF_EGROUP);
    assert_int_equal(r.nerrors, 1);
    assert_int_equal(r.errors[0], -ENOTCONN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_G1_enter_and_create_rules),
        cmocka_unit_test(test_task_G2_exit_waits_for_all),
        cmocka_unit_test(test_task_G3_failures_cancel_rest_and_group),
        cmocka_unit_test(test_task_G4_abort_once_later_errors_kept),
        cmocka_unit_test(test_task_G5_body_error_joins_group),
        cmocka_unit_test(test_task_G6_fatal_is_not_grouped),
        cmocka_unit_test(test_task_G7_cancelled_child_is_no_error),
        cmocka_unit_test(test_task_G8_outside_cancel_propagates),
    };

    return cmocka_run_group_tests_name("task_group", tests, NULL, NULL);
}
