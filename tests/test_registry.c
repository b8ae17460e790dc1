/* tests/test_registry.c - built-ins, plugin loading, and every refusal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_ctx.h"
#include "workloads/params.h"
#include "workloads/registry.h"

#define PLUGIN(name) DF_TEST_PLUGIN_DIR "/bad_" name ".so"

static int reset(void **state)
{
    (void)state;
    df_registry_reset_plugins();
    return 0;
}

/* Loading path fails with code and exactly msg, and registers nothing. */
static void want_refusal(const char *path, int code, const char *msg)
{
    int before = df_registry_count();
    df_err err = { 0 };

    assert_int_equal(df_registry_load_plugin(path, &err), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.msg, msg);
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(df_registry_count(), before);
}

static void test_registry_builtins(void **state)
{
    static const char *const names[] = { "noop", "cpu",      "sleep", "crash",
                                         "hash", "upstream", "file",  "web",
                                         "hang", "leak" };

    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const df_workload *w = df_registry_find(names[i]);
        assert_non_null(w);
        assert_string_equal(w->name, names[i]);
        assert_int_equal(df_registry_validate(w, NULL), 0);
    }
    assert_null(df_registry_find("nope"));
    assert_null(df_registry_find(NULL));
}

static void test_registry_at_bounds(void **state)
{
    int n = df_registry_count();

    (void)state;
    assert_non_null(df_registry_at(0));
    assert_non_null(df_registry_at(n - 1));
    assert_null(df_registry_at(n));
    assert_null(df_registry_at(-1));
}

static void test_registry_load_ok(void **state)
{
    int before = df_registry_count();
    df_err err = { 0 };

    (void)state;
    assert_int_equal(df_registry_load_plugin(PLUGIN("ok"), &err), 0);

    assert_int_equal(df_registry_count(), before + 1);
    assert_non_null(df_registry_find("bad_ok"));
    assert_ptr_equal(df_registry_at(before), df_registry_find("bad_ok"));
    df_registry_reset_plugins();
    assert_null(df_registry_find("bad_ok"));
    assert_int_equal(df_registry_count(), before);
}

static void test_registry_load_twice_eexist(void **state)
{
    (void)state;
    assert_int_equal(df_registry_load_plugin(PLUGIN("ok"), NULL), 0);

    want_refusal(PLUGIN("ok"), -EEXIST,
                 "plugin " PLUGIN("ok") ": a workload named \"bad_ok\" "
                                        "exists already");
}

static void test_registry_builtin_name_eexist(void **state)
{
    (void)state;
    want_refusal(PLUGIN("dupname"), -EEXIST,
                 "plugin " PLUGIN("dupname") ": a workload named \"cpu\" "
                                             "exists already");
}

static void test_registry_missing_file_enoent(void **state)
{
    (void)state;
    want_refusal("/nonexistent/libmine.so", -ENOENT,
                 "plugin /nonexistent/libmine.so: No such file or directory");
}

static void test_registry_not_a_shared_object_enoexec(void **state)
{
    char path[] = "/tmp/df-test-notso-XXXXXX";
    char want[512];
    df_err err = { 0 };
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
    close(fd);

    assert_int_equal(df_registry_load_plugin(path, &err), -ENOEXEC);

    snprintf(want, sizeof want, "plugin %s: cannot load: ", path);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_null(strchr(err.msg, '\n'));
    unlink(path);
}

static void test_registry_missing_symbol_enoexec(void **state)
{
    (void)state;
    want_refusal(
        PLUGIN("nosymbol"), -ENOEXEC,
        "plugin " PLUGIN(
            "nosymbol") ": no symbol duckfeed_workload "
                        "(export const df_workload *duckfeed_workload(void))");
}

static void test_registry_null_entry_einval(void **state)
{
    (void)state;
    want_refusal(PLUGIN("nullentry"), -EINVAL,
                 "plugin " PLUGIN("nullentry") ": duckfeed_workload() "
                                               "returned NULL");
}

static void test_registry_abi_eproto(void **state)
{
    (void)state;
    want_refusal(
        PLUGIN("abi"), -EPROTO,
        "plugin " PLUGIN(
            "abi") ": built for workload ABI 3, this "
                   "duckfeed speaks 2 (rebuild it against this workload.h)");
}

static void test_registry_no_name_einval(void **state)
{
    (void)state;
    want_refusal(PLUGIN("noname"), -EINVAL,
                 "plugin " PLUGIN("noname") ": workload table has no name");
}

static void test_registry_bad_name_einval(void **state)
{
    (void)state;
    want_refusal(PLUGIN("badname"), -EINVAL,
                 "plugin " PLUGIN("badname") ": workload name \"Bad Name\" "
                                             "is not [a-z0-9_-]+");
}

static void test_registry_no_handle_einval(void **state)
{
    (void)state;
    want_refusal(PLUGIN("nohandle"), -EINVAL,
                 "plugin " PLUGIN("nohandle") ": workload bad_nohandle: no "
                                              "handle function");
}

static void test_registry_bad_params_einval(void **state)
{
    (void)state;
    want_refusal(PLUGIN("badparam"), -EINVAL,
                 "plugin " PLUGIN("badparam") ": workload bad_badparam: "
                                              "parameter us: \"abc\" is not a "
                                              "duration (try 500us, 2ms, "
                                              "1s)");
    want_refusal(
        PLUGIN("badunit"), -EINVAL,
        "plugin " PLUGIN("badunit") ": workload bad_badunit: "
                                    "parameter t: unknown unit \"fortnight\"");
    want_refusal(PLUGIN("nodefault"), -EINVAL,
                 "plugin " PLUGIN("nodefault") ": workload bad_nodefault: "
                                               "parameter n has no default");
    want_refusal(PLUGIN("badtype"), -EINVAL,
                 "plugin " PLUGIN("badtype") ": workload bad_badtype: "
                                             "parameter n: unknown type 9");
    want_refusal(PLUGIN("dupparam"), -EINVAL,
                 "plugin " PLUGIN("dupparam") ": workload bad_dupparam: "
                                              "parameter n is declared twice");
}

static void test_registry_example_plugin_runs(void **state)
{
    const df_workload *w = NULL;
    df_params p;
    df_err err = { 0 };
    fake_ctx f;

    (void)state;
    assert_int_equal(df_registry_load_plugin(DF_EXAMPLE_PLUGIN, &err), 0);
    assert_int_equal(df_workload_parse_spec("fib:n=10", &w, &p, &err), 0);
    fake_ctx_init(&f, 1, NULL, &p);

    assert_int_equal(w->handle(&f.ctx), 0);

    assert_int_equal(f.checkpoints, 177); /* calls of naive fib(10) */
}

static void test_registry_print_lists_all(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    (void)state;
    assert_non_null(out);
    assert_int_equal(df_registry_load_plugin(DF_EXAMPLE_PLUGIN, NULL), 0);

    df_registry_print(out);
    fclose(out);

    assert_non_null(strstr(text, "cpu        cpu   pure CPU"));
    assert_non_null(strstr(text, "    us         duration, us   default "
                                 "1000"));
    assert_non_null(strstr(text, "fib        cpu   naive recursive"));
    assert_non_null(strstr(text, "[plugin]"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_registry_builtins, reset),
        cmocka_unit_test_teardown(test_registry_at_bounds, reset),
        cmocka_unit_test_teardown(test_registry_load_ok, reset),
        cmocka_unit_test_teardown(test_registry_load_twice_eexist, reset),
        cmocka_unit_test_teardown(test_registry_builtin_name_eexist, reset),
        cmocka_unit_test_teardown(test_registry_missing_file_enoent, reset),
        cmocka_unit_test_teardown(test_registry_not_a_shared_object_enoexec,
                                  reset),
        cmocka_unit_test_teardown(test_registry_missing_symbol_enoexec, reset),
        cmocka_unit_test_teardown(test_registry_null_entry_einval, reset),
        cmocka_unit_test_teardown(test_registry_abi_eproto, reset),
        cmocka_unit_test_teardown(test_registry_no_name_einval, reset),
        cmocka_unit_test_teardown(test_registry_bad_name_einval, reset),
        cmocka_unit_test_teardown(test_registry_no_handle_einval, reset),
        cmocka_unit_test_teardown(test_registry_bad_params_einval, reset),
        cmocka_unit_test_teardown(test_registry_example_plugin_runs, reset),
        cmocka_unit_test_teardown(test_registry_print_lists_all, reset),
    };

    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
