/* tests/test_progress.c - the bar draws only when asked, and clears. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/sweep/progress.h"

static char *run_bar(int flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    df_progress *p = NULL;

    assert_non_null(f);
    assert_int_equal(df_progress_create(f, 4, flags, &p), 0);
    df_progress_point(p, 0, "thread noop");
    df_progress_done(p, 1);
    df_progress_point(p, 1, "process sleep:ms=10");
    df_progress_destroy(p);
    fclose(f);
    return buf;
}

static void test_progress_forced_draws_and_clears(void **state)
{
    char *out;
    (void)state;

    out = run_bar(DF_PROGRESS_FORCE);

    assert_non_null(strstr(out, "1/4"));
    assert_non_null(strstr(out, "thread noop"));
    /* The end erases the line. */
    assert_true(strlen(out) >= 4);
    assert_string_equal(out + strlen(out) - 4, "\r\033[K");
    free(out);
}

static void test_progress_not_a_tty_silent(void **state)
{
    char *out;
    (void)state;

    out = run_bar(0); /* a memstream is not a terminal */

    assert_string_equal(out, "");
    free(out);
}

static void test_progress_quiet_silent(void **state)
{
    char *out;
    (void)state;

    out = run_bar(DF_PROGRESS_FORCE | DF_PROGRESS_QUIET);

    assert_string_equal(out, "");
    free(out);
}

static void test_progress_create_einval(void **state)
{
    df_progress *p = NULL;
    (void)state;

    assert_int_equal(df_progress_create(stderr, 0, 0, &p), -EINVAL);
    assert_null(p);
    df_progress_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_forced_draws_and_clears),
        cmocka_unit_test(test_progress_not_a_tty_silent),
        cmocka_unit_test(test_progress_quiet_silent),
        cmocka_unit_test(test_progress_create_einval),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
