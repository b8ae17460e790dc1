/* tests/test_stats.c - summaries of repetitions and the t interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>

#include "harness/measure/stats.h"

static void test_stats_odd_count(void **state)
{
    const double v[] = { 5, 1, 4, 2, 3 };
    df_stats s;
    (void)state;

    assert_int_equal(df_stats_summarize(v, 5, &s), 0);

    assert_int_equal(s.n, 5);
    assert_true(s.median == 3 && s.min == 1 && s.max == 5 && s.mean == 3);
    assert_true(fabs(s.stdev - sqrt(2.5)) < 1e-12);
    assert_true(s.has_ci);
    /* 3 -/+ 2.776 * sqrt(2.5) / sqrt(5) */
    assert_true(fabs(s.ci95_low - (3 - 2.776 * sqrt(0.5))) < 1e-9);
    assert_true(fabs(s.ci95_high - (3 + 2.776 * sqrt(0.5))) < 1e-9);
    assert_true(v[0] == 5); /* input untouched */
}

static void test_stats_even_count_median(void **state)
{
    const double v[] = { 10, 40, 20, 30 };
    df_stats s;
    (void)state;

    assert_int_equal(df_stats_summarize(v, 4, &s), 0);

    assert_true(s.median == 25);
}

static void test_stats_small_n_no_interval(void **state)
{
    const double v[] = { 7, 9 };
    df_stats s;
    json_t *j;
    (void)state;

    assert_int_equal(df_stats_summarize(v, 2, &s), 0);
    j = df_stats_json(&s);

    assert_false(s.has_ci);
    assert_true(s.median == 8 && fabs(s.stdev - sqrt(2)) < 1e-12);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "ci95_low")));
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 2);
    json_decref(j);
    assert_int_equal(df_stats_summarize(v, 1, &s), 0);
    assert_true(s.stdev == 0 && s.median == 7 && !s.has_ci);
}

static void test_stats_identical_values(void **state)
{
    const double v[] = { 1e6, 1e6, 1e6 };
    df_stats s;
    (void)state;

    assert_int_equal(df_stats_summarize(v, 3, &s), 0);

    assert_true(s.stdev == 0);
    assert_true(s.ci95_low == 1e6 && s.ci95_high == 1e6);
}

static void test_stats_t95_table_and_tail(void **state)
{
    (void)state;

    assert_true(df_stats_t95(1) == 12.706);
    assert_true(df_stats_t95(30) == 2.042);
    assert_true(fabs(df_stats_t95(40) - 2.021) < 1e-3);
    assert_true(fabs(df_stats_t95(60) - 2.000) < 1e-3);
    assert_true(fabs(df_stats_t95(120) - 1.980) < 1e-3);
    assert_true(fabs(df_stats_t95(1000000) - 1.960) < 1e-3);
    assert_true(isnan(df_stats_t95(0)));
}

static void test_stats_einval(void **state)
{
    const double v[] = { 1, NAN, 3 };
    df_stats s;
    (void)state;

    assert_int_equal(df_stats_summarize(v, 0, &s), -EINVAL);
    assert_int_equal(df_stats_summarize(v, 3, &s), -EINVAL);
    assert_int_equal(df_stats_summarize(NULL, 3, &s), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_odd_count),
        cmocka_unit_test(test_stats_even_count_median),
        cmocka_unit_test(test_stats_small_n_no_interval),
        cmocka_unit_test(test_stats_identical_values),
        cmocka_unit_test(test_stats_t95_table_and_tail),
        cmocka_unit_test(test_stats_einval),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
