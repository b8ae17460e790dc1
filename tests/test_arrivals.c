/* tests/test_arrivals.c - open-loop schedules: constant is exact, Poisson
 * has the right mean and a coefficient of variation of 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <math.h>

#include "harness/measure/arrivals.h"

#define DRAWS 100000

static void test_arrivals_constant_exact(void **state)
{
    df_arrivals *a = NULL;
    (void)state;

    assert_int_equal(df_arrivals_create(DF_ARRIVALS_CONSTANT, 1000, 1, &a), 0);

    for (int64_t k = 0; k < DRAWS; k++)
        assert_int_equal(df_arrivals_next_ns(a), k * 1000000);
    df_arrivals_destroy(a);
}

static void test_arrivals_constant_no_drift(void **state)
{
    df_arrivals *a = NULL;
    int64_t last = 0;
    (void)state;

    /* 3 req/s: a gap of 333,333,333.3 ns that integer gaps would round. */
    assert_int_equal(df_arrivals_create(DF_ARRIVALS_CONSTANT, 3, 1, &a), 0);

    for (int k = 0; k <= 3000; k++)
        last = df_arrivals_next_ns(a);
    assert_int_equal(last, (int64_t)1000 * 1000000000);
    df_arrivals_destroy(a);
}

static void test_arrivals_poisson_moments(void **state)
{
    const double rate = 2500, mean_ns = 1e9 / rate;
    df_arrivals *a = NULL;
    double sum = 0, sumsq = 0;
    int64_t prev = 0;
    (void)state;

    assert_int_equal(df_arrivals_create(DF_ARRIVALS_POISSON, rate, 42, &a), 0);
    for (int i = 0; i < DRAWS; i++) {
        int64_t t = df_arrivals_next_ns(a);
        double gap = (double)(t - prev);
        assert_true(t >= prev);
        sum += gap;
        sumsq += gap * gap;
        prev = t;
    }

    double mean = sum / DRAWS;
    double sd = sqrt((sumsq - sum * sum / DRAWS) / (DRAWS - 1));
    assert_true(fabs(mean / mean_ns - 1) < 0.02);
    assert_true(fabs(sd / mean - 1) < 0.05);
    df_arrivals_destroy(a);
}

static void test_arrivals_poisson_seeded(void **state)
{
    df_arrivals *a = NULL, *b = NULL, *c = NULL;
    int differ = 0;
    (void)state;

    assert_int_equal(df_arrivals_create(DF_ARRIVALS_POISSON, 100, 7, &a), 0);
    assert_int_equal(df_arrivals_create(DF_ARRIVALS_POISSON, 100, 7, &b), 0);
    assert_int_equal(df_arrivals_create(DF_ARRIVALS_POISSON, 100, 8, &c), 0);

    for (int i = 0; i < 1000; i++) {
        int64_t x = df_arrivals_next_ns(a);
        assert_int_equal(x, df_arrivals_next_ns(b));
        differ += x != df_arrivals_next_ns(c);
    }
    assert_true(differ > 990);
    df_arrivals_destroy(a);
    df_arrivals_destroy(b);
    df_arrivals_destroy(c);
}

static void test_arrivals_create_einval(void **state)
{
    df_arrivals *a = NULL;
    df_arrivals_kind k;
    (void)state;

    assert_int_equal(df_arrivals_create(DF_ARRIVALS_POISSON, 0, 1, &a),
                     -EINVAL);
    assert_int_equal(df_arrivals_create(DF_ARRIVALS_CONSTANT, -1, 1, &a),
                     -EINVAL);
    assert_int_equal(df_arrivals_create(DF_ARRIVALS_CONSTANT, NAN, 1, &a),
                     -EINVAL);
    assert_int_equal(df_arrivals_create(DF_ARRIVALS_CONSTANT, INFINITY, 1, &a),
                     -EINVAL);
    assert_int_equal(df_arrivals_create((df_arrivals_kind)9, 1, 1, &a),
                     -EINVAL);
    assert_null(a);
    assert_int_equal(df_arrivals_parse("uniform", &k), -EINVAL);
    assert_int_equal(df_arrivals_parse("poisson", &k), 0);
    assert_int_equal(k, DF_ARRIVALS_POISSON);
    assert_string_equal(df_arrivals_name(k), "poisson");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arrivals_constant_exact),
        cmocka_unit_test(test_arrivals_constant_no_drift),
        cmocka_unit_test(test_arrivals_poisson_moments),
        cmocka_unit_test(test_arrivals_poisson_seeded),
        cmocka_unit_test(test_arrivals_create_einval),
    };
    return cmocka_run_group_tests_name("arrivals", tests, NULL, NULL);
}
