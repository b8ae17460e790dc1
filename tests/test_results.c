/* tests/test_results.c - the results file's writer: what it may replace,
 * its lock, and a write that leaves one whole file and nothing else. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include <jansson.h>

#include "harness/store/results.h"

static char dir[] = "/tmp/duckfeed-results-XXXXXX";

static const char *in_dir(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void assert_text(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

/* Entries of the test directory, "." and ".." left out. */
static int entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* #12: the temp file was "<path>.tmp.<pid>", opened without O_EXCL: a
 * symlink planted there had its target overwritten. */
static void test_results_write_ignores_planted_symlink(void **state)
{
    char path[256], victim[256], planted[300];
    json_t *doc =
        json_pack("{s:s,s:[]}", "schema", DF_RESULTS_SCHEMA, "points");
    df_err err = { 0 };

    (void)state;
    in_dir("planted.json", path, sizeof path);
    in_dir("victim.txt", victim, sizeof victim);
    snprintf(planted, sizeof planted, "%s.tmp.%d", path, (int)getpid());
    write_text(victim, "keep\n");
    assert_int_equal(symlink(victim, planted), 0);

    assert_int_equal(df_results_write(doc, path, &err), 0);

    assert_text(victim, "keep\n");
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    unlink(planted);
    unlink(victim);
    unlink(path);
    json_decref(doc);
}

/* A write leaves the file and nothing beside it. */
static void test_results_write_leaves_no_temp_file(void **state)
{
    char path[256];
    json_t *doc =
        json_pack("{s:s,s:[]}", "schema", DF_RESULTS_SCHEMA, "points");
    df_err err = { 0 };

    (void)state;
    in_dir("one.json", path, sizeof path);

    assert_int_equal(df_results_write(doc, path, &err), 0);
    assert_int_equal(df_results_write(doc, path, &err), 0);

    assert_int_equal(entries(), 1);
    json_t *back = json_load_file(path, 0, NULL);
    assert_true(json_equal(back, doc));
    json_decref(back);
    unlink(path);
    json_decref(doc);
}

static void test_results_write_into_missing_dir_enoent(void **state)
{
    char path[256];
    json_t *doc = json_object();
    df_err err = { 0 };

    (void)state;
    in_dir("no-such-dir/x.json", path, sizeof path);

    assert_int_equal(df_results_write(doc, path, &err), -ENOENT);
    assert_non_null(strstr(err.msg, path));
    json_decref(doc);
}

static void test_results_acquire_twice_ebusy(void **state)
{
    char path[256];
    df_results_lock *a = NULL, *b = NULL;
    df_err err = { 0 };

    (void)state;
    in_dir("locked.json", path, sizeof path);

    assert_int_equal(df_results_acquire(path, 0, &a, &err), 0);
    assert_int_equal(df_results_acquire(path, 0, &b, &err), -EBUSY);
    assert_null(b);
    assert_non_null(strstr(err.msg, "another run is writing it"));
    df_results_release(a);

    assert_int_equal(df_results_acquire(path, 0, &b, &err), 0);
    df_results_release(b);
    assert_int_equal(entries(), 0); /* the lock file goes with the lock */
}

static void test_results_acquire_other_file_eexist(void **state)
{
    char path[256];
    df_results_lock *lk = NULL;
    df_err err = { 0 };

    (void)state;
    in_dir("notes.txt", path, sizeof path);
    write_text(path, "{\"schema\": \"someone else's\"}");

    assert_int_equal(df_results_acquire(path, 0, &lk, &err), -EEXIST);
    assert_null(lk);
    assert_int_equal(df_results_acquire(path, 1, &lk, &err), 0);
    df_results_release(lk);

    assert_text(path, "{\"schema\": \"someone else's\"}");
    unlink(path);
}

static void test_results_acquire_results_or_empty_file(void **state)
{
    char path[256];
    df_results_lock *lk = NULL;
    df_err err = { 0 };

    (void)state;
    in_dir("old.json", path, sizeof path);
    write_text(path, "");
    assert_int_equal(df_results_acquire(path, 0, &lk, &err), 0);
    df_results_release(lk);

    write_text(path, "{\"schema\": \"" DF_RESULTS_SCHEMA "\", \"points\": []}");
    assert_int_equal(df_results_acquire(path, 0, &lk, &err), 0);
    df_results_release(lk);
    unlink(path);
}

static void test_results_acquire_directory_eisdir(void **state)
{
    char path[256];
    df_results_lock *lk = NULL;
    df_err err = { 0 };

    (void)state;
    in_dir("sub", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);

    assert_int_equal(df_results_acquire(path, 1, &lk, &err), -EISDIR);

    assert_null(lk);
    assert_int_equal(entries(), 1); /* no lock file left behind */
    assert_int_equal(rmdir(path), 0);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_write_ignores_planted_symlink),
        cmocka_unit_test(test_results_write_leaves_no_temp_file),
        cmocka_unit_test(test_results_write_into_missing_dir_enoent),
        cmocka_unit_test(test_results_acquire_twice_ebusy),
        cmocka_unit_test(test_results_acquire_other_file_eexist),
        cmocka_unit_test(test_results_acquire_results_or_empty_file),
        cmocka_unit_test(test_results_acquire_directory_eisdir),
    };
    return cmocka_run_group_tests_name("results", tests, setup, teardown);
}
