/* tests/test_bench_overhead.c - the overhead bench runs and reports sane
 * figures (one loose timing limit, under 1 ms a noop request where time
 * means something; real limits belong in the bench itself). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <stdio.h>

#include "harness/bench/overhead.h"
#include "tests/timing.h"

static void test_bench_overhead_measures(void **state)
{
    df_bench_floors b;
    (void)state;

    assert_int_equal(df_bench_overhead_measure(&b), 0);

    assert_true(b.harness.median_ns > 0);
    assert_true(b.harness.min_ns <= b.harness.median_ns);
    assert_true(b.harness.median_ns <= b.harness.max_ns);
    assert_true(b.pipe_rtt.median_ns > 0 && b.pipe_rtt.runs > 1);
    assert_true(b.condvar_rtt.median_ns > 0 && b.condvar_rtt.runs > 1);
    assert_true(b.eventfd_rtt.median_ns > 0 && b.eventfd_rtt.runs > 1);
    assert_true(b.coro_rtt.median_ns > 0 && b.coro_rtt.runs > 1);
}

static void test_bench_overhead_models_serve_noop(void **state)
{
    df_bench_floors b = { 0 };
    (void)state;

    assert_int_equal(df_bench_overhead_models(&b), 0);

    for (int m = 0; m < DF_BENCH_MODELS; m++)
        for (int c = 0; c < DF_BENCH_CLIENTS; c++) {
            /* Served something: below 1 ms per noop request. */
            assert_true(b.noop[m][c].median_ns > 0);
            if (timing_trusted())
                assert_true(b.noop[m][c].median_ns < 1e6);
            assert_true(b.noop[m][c].ops_per_run > 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench_overhead_measures),
        cmocka_unit_test(test_bench_overhead_models_serve_noop),
    };
    return cmocka_run_group_tests_name("bench_overhead", tests, NULL, NULL);
}
