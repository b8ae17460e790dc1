/* tests/test_resfile.c - the typed accessors of the checked results reader
 * (harness/store/resfile.c). */
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include "harness/store/resfile.h"

static json_t *doc(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);

    assert_non_null(j);
    return j;
}

static void test_resfile_int_in_range(void **state)
{
    json_t *j = doc("{\"a\": 7, \"b\": {\"c\": -3}, \"d\": 2.9, "
                    "\"max\": 2147483647, \"min\": -2147483648}");

    (void)state;

    assert_int_equal(df_resfile_int(j, "a", 0), 7);
    assert_int_equal(df_resfile_int(j, "b.c", 0), -3);
    assert_int_equal(df_resfile_int(j, "d", 0), 2);
    assert_int_equal(df_resfile_int(j, "max", 0), 2147483647);
    assert_int_equal(df_resfile_int(j, "min", 0), -2147483647 - 1);
    json_decref(j);
}

/* #12, found by tests/fuzz/fuzz_table and fuzz_resfile: plot, report and
 * footer cast df_resfile_num's double to int, undefined for these. */
static void test_resfile_int_out_of_range_dflt(void **state)
{
    json_t *j = doc("{\"big\": 3000000000, \"huge\": 1e300, "
                    "\"neg\": -3000000000, \"tiny\": -1e300}");

    (void)state;

    assert_int_equal(df_resfile_int(j, "big", 1), 1);
    assert_int_equal(df_resfile_int(j, "huge", 1), 1);
    assert_int_equal(df_resfile_int(j, "neg", 1), 1);
    assert_int_equal(df_resfile_int(j, "tiny", 1), 1);
    json_decref(j);
}

static void test_resfile_int_not_a_number_dflt(void **state)
{
    json_t *j = doc("{\"s\": \"4\", \"t\": true, \"o\": {}}");

    (void)state;

    assert_int_equal(df_resfile_int(j, "s", -1), -1);
    assert_int_equal(df_resfile_int(j, "t", -1), -1);
    assert_int_equal(df_resfile_int(j, "o", -1), -1);
    assert_int_equal(df_resfile_int(j, "o.missing", -1), -1);
    assert_int_equal(df_resfile_int(j, "missing", -1), -1);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resfile_int_in_range),
        cmocka_unit_test(test_resfile_int_out_of_range_dflt),
        cmocka_unit_test(test_resfile_int_not_a_number_dflt),
    };

    return cmocka_run_group_tests_name("resfile", tests, NULL, NULL);
}
