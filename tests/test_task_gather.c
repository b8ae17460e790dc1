/* tests/test_task_gather.c - spec/ASYNCIO.md §7-§8: gather (GA1-GA7) and
 * as_completed (AC1-AC3). */
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
    intptr_t v[4];
    df_outcome o[4];
    double u[4];
    const char *tag[4];
} r;

static int ga1_main(void *arg, intptr_t *value)
{
    tw w[1] = { { .delay_u = 0, .value = 5 } };
    df_task *t[2], *g, *empty;
    intptr_t res;

    (void)arg;
    (void)value;
    tw_spawn(w, 1, t);
    t[1] = t[0]; /* the same awaitable twice */
    df_gather_create(t, 2, 0, &g);
    r.rc[0] = df_task_done(g); /* a future, returned at once */
    r.rc[1] = w[0].started;
    df_gather_create(NULL, 0, 0, &empty);
    r.rc[2] = df_task_done(empty);
    r.rc[3] = df_task_await(g, &res);
    r.o[0] = ((df_outcome *)res)[0];
    r.o[1] = ((df_outcome *)res)[1];
    df_task_release(g);
    df_task_release(empty);
    df_task_release(t[0]);
    return 0;
}

static void test_task_GA1_returns_future_at_once(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ga1_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], 1);
    assert_int_equal(r.rc[3], 0);
    assert_int_equal(r.o[0].value, 5);
    assert_int_equal(r.o[1].value, 5); /* repeated */
}

static int ga2_main(void *arg, intptr_t *value)
{
    tw w[3] = { { .delay_u = 1.5, .value = 2 },
                { .delay_u = 0.5, .value = 6 },
                { .delay_u = 1, .value = 24 } };
    df_task *t[3], *g;
    intptr_t res;

    (void)arg;
    (void)value;
    tw_spawn(w, 3, t);
    df_gather_create(t, 3, 0, &g);
    r.rc[0] = df_task_await(g, &res);
    for (int i = 0; i < 3; i++)
        r.o[i] = ((df_outcome *)res)[i];
    df_task_release(g);
    tw_release_all(t, 3);
    return 0;
}

static void test_task_GA2_results_in_argument_order(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ga2_main, NULL), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.o[0].value, 2);
    assert_int_equal(r.o[1].value, 6);
    assert_int_equal(r.o[2].value, 24);
}

static tw ga3_w[3];

static int ga3_main(void *arg, intptr_t *value)
{
    df_task *t[3], *g;
    intptr_t res = 0;

    (void)value;
    tw_spawn(ga3_w, 3, t);
    df_gather_create(t, 3, (int)(intptr_t)arg, &g);
    r.rc[0] = df_task_await(g, &res);
    r.u[0] = tl_now_u();
    if (r.rc[0] == 0)
        for (int i = 0; i < 3; i++)
            r.o[i] = ((df_outcome *)res)[i];
    df_task_await(t[0], NULL);
    df_task_await(t[2], NULL);
    r.rc[1] = !df_task_cancelled(t[0]) && !df_task_cancelled(t[2]);
    df_task_release(g);
    tw_release_all(t, 3);
    return 0;
}

static void ga3_setup(void)
{
    tw a = { .delay_u = 3, .value = 'a', .tag = "a" };
    tw b = { .delay_u = 1, .fail = -EINVAL, .tag = "b" };
    tw c = { .delay_u = 2, .value = 'c', .tag = "c" };

    ga3_w[0] = a;
    ga3_w[1] = b;
    ga3_w[2] = c;
    memset(&r, 0, sizeof(r));
}

static void test_task_GA3_first_error_others_run_on(void **state)
{
    (void)state;
    ga3_setup();
    assert_int_equal(tl_run(ga3_main, (void *)0), 0);
    assert_int_equal(r.rc[0], -EINVAL);
    assert_near_u(r.u[0], 1);
    assert_int_equal(r.rc[1], 1); /* a and c not cancelled */
    assert_string_equal(tl_buf, "b c a");
    assert_near_u(ga3_w[0].end_u, 3);
    assert_near_u(ga3_w[2].end_u, 2);
}

static void test_task_GA4_return_exceptions_collects(void **state)
{
    (void)state;
    ga3_setup();
    assert_int_equal(tl_run(ga3_main, (void *)1), 0);
    assert_int_equal(r.rc[0], 0);
    assert_near_u(r.u[0], 3);
    assert_int_equal(r.o[0].status, 0);
    assert_int_equal(r.o[0].value, 'a');
    assert_int_equal(r.o[1].status, -EINVAL);
    assert_int_equal(r.o[2].value, 'c');
}

static int ga5_main(void *arg, intptr_t *value)
{
    tw w[2] = { { .delay_u = 2 }, { .delay_u = 3 } };
    df_task *t[2], *g;

    (void)value;
    tw_spawn(w, 2, t);
    df_gather_create(t, 2, (int)(intptr_t)arg, &g);
    df_task_sleep(U);
    r.rc[0] = df_task_cancel(g, NULL);
    r.rc[1] = df_task_await(g, NULL);
    r.u[0] = tl_now_u();
    r.rc[2] = df_task_cancelled(t[0]) && df_task_cancelled(t[1]);
    df_task_release(g);
    tw_release_all(t, 2);
    return 0;
}

static void test_task_GA5_cancel_gather_cancels_children(void **state)
{
    (void)state;
    for (intptr_t re = 0; re < 2; re++) {
        memset(&r, 0, sizeof(r));
        assert_int_equal(tl_run(ga5_main, (void *)re), 0);
        assert_int_equal(r.rc[0], 1);
        assert_int_equal(r.rc[1], -ECANCELED);
        assert_int_equal(r.rc[2], 1);
        assert_near_u(r.u[0], 1);
    }
}

static int ga6_main(void *arg, intptr_t *value)
{
    tw w[2] = { { .delay_u = 2 }, { .delay_u = 1 } };
    df_task *t[2], *g;

    (void)arg;
    (void)value;
    tw_spawn(w, 2, t);
    df_gather_create(t, 2, 0, &g);
    df_task_sleep(0);
    df_task_cancel(t[1], NULL); /* by someone else */
    r.rc[0] = df_task_await(g, NULL);
    r.rc[1] = df_task_cancelled(g);
    r.rc[2] = df_task_cancelled(t[0]);
    df_task_await(t[0], NULL); /* w lives on this stack */
    df_task_release(g);
    tw_release_all(t, 2);
    return 0;
}

static void test_task_GA6_child_cancelled_fails_gather(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ga6_main, NULL), 0);
    assert_int_equal(r.rc[0], -ECANCELED);
    assert_int_equal(r.rc[1], 0); /* failed, not cancelled */
    assert_int_equal(r.rc[2], 0); /* sibling untouched */
}

static int ga7_main(void *arg, intptr_t *value)
{
    tw w[2] = { { .delay_u = 2 }, { .delay_u = 1, .fail = -EIO } };
    df_task *t[2], *g;

    (void)arg;
    (void)value;
    tw_spawn(w, 2, t);
    df_gather_create(t, 2, 0, &g);
    r.rc[0] = df_task_await(g, NULL);
    r.rc[1] = df_task_cancel(g, NULL);
    r.rc[2] = df_task_await(t[0], NULL); /* still runs to its end */
    df_task_release(g);
    tw_release_all(t, 2);
    return 0;
}

static void test_task_GA7_cancel_after_done_is_noop(void **state)
{
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ga7_main, NULL), 0);
    assert_int_equal(r.rc[0], -EIO);
    assert_int_equal(r.rc[1], 0);
    assert_int_equal(r.rc[2], 0);
}

static int ac_main(void *arg, intptr_t *value)
{
    double timeout_u = *(double *)arg;
    tw w[3] = { { .delay_u = 3, .value = 'a' },
                { .delay_u = 1, .value = 'b' },
                { .delay_u = timeout_u < 0 ? 2 : 5, .value = 'c' } };
    df_task *t[3], *which;
    df_as_completed *ac;
    int i = 0;

    (void)value;
    tw_spawn(w, 3, t);
    df_as_completed_create(t, 3, timeout_u < 0 ? -1 : timeout_u * U, &ac);
    while (df_as_completed_left(ac) > 0) {
        which = NULL;
        r.rc[i] = df_as_completed_next(ac, &r.v[i], &which);
        r.u[i] = tl_now_u();
        r.tag[i] = which == t[0]   ? "a"
                   : which == t[1] ? "b"
                   : which == t[2] ? "c"
                                   : "-";
        i++;
    }
    df_as_completed_destroy(ac);
    if (timeout_u >= 0) { /* nothing was cancelled: they finish */
        r.rc[3] =
            df_task_await(t[0], NULL) == 0 && df_task_await(t[2], NULL) == 0;
        r.u[3] = tl_now_u();
    }
    tw_release_all(t, 3);
    return 0;
}

static void test_task_AC1_completion_order(void **state)
{
    double none = -1;

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ac_main, &none), 0);
    assert_int_equal(r.v[0], 'b');
    assert_int_equal(r.v[1], 'c');
    assert_int_equal(r.v[2], 'a');
    assert_near_u(r.u[0], 1);
    assert_near_u(r.u[1], 2);
    assert_near_u(r.u[2], 3);
}

static void test_task_AC2_timeout_ends_iteration_cancels_nothing(void **s)
{
    double two = 2;

    (void)s;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ac_main, &two), 0);
    assert_int_equal(r.rc[0], 0);
    assert_int_equal(r.v[0], 'b');
    assert_int_equal(r.rc[1], -ETIMEDOUT);
    assert_near_u(r.u[1], 2);
    assert_int_equal(r.rc[2], -ETIMEDOUT);
    assert_int_equal(r.rc[3], 1);
    assert_near_u(r.u[3], 5);
}

static void test_task_AC3_yields_the_original_tasks(void **state)
{
    double none = -1;

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tl_run(ac_main, &none), 0);
    assert_string_equal(r.tag[0], "b");
    assert_string_equal(r.tag[1], "c");
    assert_string_equal(r.tag[2], "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_GA1_returns_future_at_once),
        cmocka_unit_test(test_task_GA2_results_in_argument_order),
        cmocka_unit_test(test_task_GA3_first_error_others_run_on),
        cmocka_unit_test(test_task_GA4_return_exceptions_collects),
        cmocka_unit_test(test_task_GA5_cancel_gather_cancels_children),
        cmocka_unit_test(test_task_GA6_child_cancelled_fails_gather),
        cmocka_unit_test(test_task_GA7_cancel_after_done_is_noop),
        cmocka_unit_test(test_task_AC1_completion_order),
        cmocka_unit_test(test_task_AC2_timeout_ends_iteration_cancels_nothing),
        cmocka_unit_test(test_task_AC3_yields_the_original_tasks),
    };

    return cmocka_run_group_tests_name("task_gather", tests, NULL, NULL);
}
