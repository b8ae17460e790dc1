/* tests/test_hist.c - the histogram against a sorted array, merging,
 * bounds and saturation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/rng.h"
#include "harness/measure/hist.h"

#define N       100000
#define US      1000LL
#define SEC     1000000000LL
#define THREADS 4

typedef int64_t draw_fn(df_rng *r);

/* log-uniform over the whole range 1 us .. 100 s */
static int64_t draw_loguniform(df_rng *r)
{
    return (int64_t)(US * pow(1e8, df_rng_uniform(r)));
}

/* exponential, mean 1 ms, floored at 1 us */
static int64_t draw_exponential(df_rng *r)
{
    return US + (int64_t)(-log1p(-df_rng_uniform(r)) * 1e6);
}

/* bimodal: 99 % around 200 us, 1 % around 3 s (a stall) */
static int64_t draw_bimodal(df_rng *r)
{
    double u = df_rng_uniform(r);
    if (df_rng_below(r, 100) == 0)
        return 3 * SEC + (int64_t)(u * 0.5 * SEC);
    return 150 * US + (int64_t)(u * 100 * US);
}

/* narrow: every value within 1 % of 50 ms (many ties per counter) */
static int64_t draw_narrow(df_rng *r)
{
    return 50000 * US + (int64_t)(df_rng_uniform(r) * 500 * US);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank from an integer percentile in parts per million, so the
 * reference uses no floating point at all. */
static int64_t sorted_percentile(const int64_t *v, int64_t n, int64_t ppm)
{
    int64_t rank = (ppm * n + 999999) / 1000000;
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

static void check_distribution(draw_fn *draw, uint64_t seed)
{
    static const int64_t ppm[] = { 0,      1,      10000,  100000, 250000,
                                   500000, 750000, 900000, 990000, 999000,
                                   999900, 999990, 1000000 };
    int64_t *v = malloc(N * sizeof *v);
    df_hist *h = NULL;
    df_rng r;
    double sum = 0;

    assert_non_null(v);
    assert_int_equal(df_hist_create_default(&h), 0);
    df_rng_seed(&r, seed);
    for (int i = 0; i < N; i++) {
        v[i] = draw(&r);
        sum += (double)v[i];
        df_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_i64);

    assert_int_equal(df_hist_count(h), N);
    assert_int_equal(df_hist_min(h), v[0]);
    assert_int_equal(df_hist_max(h), v[N - 1]);
    assert_true(fabs(df_hist_mean(h) - sum / N) <= 1e-9 * sum / N);
    for (size_t i = 0; i < sizeof ppm / sizeof ppm[0]; i++) {
        int64_t want = sorted_percentile(v, N, ppm[i]);
        int64_t got = df_hist_percentile(h, (double)ppm[i] / 10000.0);
        /* Highest equivalent value: never below, at most 0.1 % above. */
        if (got < want || (double)(got - want) > 0.001 * (double)want)
            fail_msg("p%g: histogram %lld, sorted %lld",
                     (double)ppm[i] / 10000.0, (long long)got, (long long)want);
    }
    df_hist_destroy(h);
    free(v);
}

static void test_hist_percentile_loguniform(void **state)
{
    (void)state;
    check_distribution(draw_loguniform, 1);
}

static void test_hist_percentile_exponential(void **state)
{
    (void)state;
    check_distribution(draw_exponential, 2);
}

static void test_hist_percentile_bimodal(void **state)
{
    (void)state;
    check_distribution(draw_bimodal, 3);
}

static void test_hist_percentile_narrow(void **state)
{
    (void)state;
    check_distribution(draw_narrow, 4);
}

static void test_hist_percentile_small_counts(void **state)
{
    df_hist *h = NULL;
    (void)state;

    assert_int_equal(df_hist_create_default(&h), 0);
    assert_int_equal(df_hist_percentile(h, 50), 0);
    for (int64_t i = 1; i <= 1000; i++)
        df_hist_record(h, i * 1000);

    /* 99.9 % of 1000 is rank 999 (999,000, whose counter spans 998,912 ..
     * 999,423), not rank 1000, despite binary rounding. */
    assert_int_equal(df_hist_percentile(h, 99.9), 999423);
    assert_int_equal(df_hist_percentile(h, 50), 500223);
    assert_int_equal(df_hist_percentile(h, 0), 1000);
    assert_int_equal(df_hist_percentile(h, 100), 1000000);
    assert_int_equal(df_hist_percentile(h, 150), 1000000);
    df_hist_destroy(h);
}

struct part {
    df_hist *h;
    uint64_t seed;
};

static void *record_part(void *arg)
{
    struct part *p = arg;
    df_rng r;

    df_rng_seed(&r, p->seed);
    for (int i = 0; i < N / THREADS; i++)
        df_hist_record(p->h, draw_loguniform(&r));
    return NULL;
}

static void test_hist_merge_equals_single(void **state)
{
    struct part parts[THREADS];
    pthread_t tid[THREADS];
    df_hist *merged = NULL, *single = NULL;
    (void)state;

    assert_int_equal(df_hist_create_default(&merged), 0);
    assert_int_equal(df_hist_create_default(&single), 0);
    for (int t = 0; t < THREADS; t++) {
        parts[t].seed = 100 + (uint64_t)t;
        assert_int_equal(df_hist_create_default(&parts[t].h), 0);
        assert_int_equal(pthread_create(&tid[t], NULL, record_part, &parts[t]),
                         0);
    }
    for (int t = 0; t < THREADS; t++) {
        df_rng r;
        assert_int_equal(pthread_join(tid[t], NULL), 0);
        df_rng_seed(&r, parts[t].seed);
        for (int i = 0; i < N / THREADS; i++)
            df_hist_record(single, draw_loguniform(&r));
    }

    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(df_hist_merge(merged, parts[t].h), 0);
        df_hist_destroy(parts[t].h);
    }

    assert_int_equal(df_hist_count(merged), df_hist_count(single));
    assert_int_equal(df_hist_min(merged), df_hist_min(single));
    assert_int_equal(df_hist_max(merged), df_hist_max(single));
    assert_true(df_hist_mean(merged) == df_hist_mean(single));
    for (int i = 0; i <= 1000; i++)
        assert_int_equal(df_hist_percentile(merged, i / 10.0),
                         df_hist_percentile(single, i / 10.0));
    df_hist_destroy(merged);
    df_hist_destroy(single);
}

static void rebuild(void *arg, int64_t value, int64_t count)
{
    df_hist_record_n(arg, value, count);
}

static void test_hist_foreach_rebuilds(void **state)
{
    df_hist *a = NULL, *b = NULL;
    df_rng r;
    (void)state;

    assert_int_equal(df_hist_create_default(&a), 0);
    assert_int_equal(df_hist_create_default(&b), 0);
    df_rng_seed(&r, 9);
    for (int i = 0; i < 10000; i++)
        df_hist_record(a, draw_bimodal(&r));

    df_hist_foreach(a, rebuild, b);

    assert_int_equal(df_hist_count(b), df_hist_count(a));
    assert_int_equal(df_hist_max(b), df_hist_max(a));
    assert_int_equal(df_hist_saturated(b), 0);
    for (int i = 1; i <= 1000; i++)
        assert_int_equal(df_hist_percentile(b, i / 10.0),
                         df_hist_percentile(a, i / 10.0));
    df_hist_destroy(a);
    df_hist_destroy(b);
}

static void test_hist_merge_einval(void **state)
{
    df_hist *a = NULL, *b = NULL;
    (void)state;

    assert_int_equal(df_hist_create(1, 1000000, 3, &a), 0);
    assert_int_equal(df_hist_create(1, 1000000, 2, &b), 0);

    assert_int_equal(df_hist_merge(a, b), -EINVAL);
    df_hist_destroy(a);
    df_hist_destroy(b);
}

static void test_hist_create_einval(void **state)
{
    df_hist *h = NULL;
    (void)state;

    assert_int_equal(df_hist_create(0, 1000, 3, &h), -EINVAL);
    assert_int_equal(df_hist_create(-5, 1000, 3, &h), -EINVAL);
    assert_int_equal(df_hist_create(100, 199, 3, &h), -EINVAL);
    assert_int_equal(df_hist_create(1, 1000, 0, &h), -EINVAL);
    assert_int_equal(df_hist_create(1, 1000, 6, &h), -EINVAL);
    assert_int_equal(df_hist_create((int64_t)1 << 55, INT64_MAX, 3, &h),
                     -EINVAL);
    assert_null(h);
    df_hist_destroy(NULL);
}

static void test_hist_create_extremes(void **state)
{
    df_hist *h = NULL;
    (void)state;

    assert_int_equal(df_hist_create(1, INT64_MAX, 3, &h), 0);
    df_hist_record(h, INT64_MAX);
    df_hist_record(h, 1);

    assert_int_equal(df_hist_max(h), INT64_MAX);
    assert_int_equal(df_hist_percentile(h, 100), INT64_MAX);
    assert_int_equal(df_hist_saturated(h), 0);
    df_hist_destroy(h);
}

static void test_hist_saturation(void **state)
{
    df_hist *h = NULL;
    (void)state;

    assert_int_equal(df_hist_create(1000, 1000000, 3, &h), 0);
    df_hist_record(h, 5000);
    df_hist_record(h, 2000000);
    df_hist_record_n(h, INT64_MAX, 2);
    df_hist_record(h, -7);

    assert_int_equal(df_hist_count(h), 5);
    assert_int_equal(df_hist_saturated(h), 3);
    assert_int_equal(df_hist_max(h), 1000000); /* clamped to highest */
    assert_int_equal(df_hist_min(h), 0);       /* negative counts as 0 */
    assert_int_equal(df_hist_percentile(h, 99), 1000000);
    df_hist_reset(h);
    assert_int_equal(df_hist_count(h), 0);
    assert_int_equal(df_hist_saturated(h), 0);
    assert_int_equal(df_hist_max(h), 0);
    df_hist_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_percentile_loguniform),
        cmocka_unit_test(test_hist_percentile_exponential),
        cmocka_unit_test(test_hist_percentile_bimodal),
        cmocka_unit_test(test_hist_percentile_narrow),
        cmocka_unit_test(test_hist_percentile_small_counts),
        cmocka_unit_test(test_hist_merge_equals_single),
        cmocka_unit_test(test_hist_foreach_rebuilds),
        cmocka_unit_test(test_hist_merge_einval),
        cmocka_unit_test(test_hist_create_einval),
        cmocka_unit_test(test_hist_create_extremes),
        cmocka_unit_test(test_hist_saturation),
    };
    return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
