/* tests/test_plot_hostile.c - #12: plotting a results file never runs
 * anything. Every string of a results file that reaches gnuplot, and every
 * file name the command line gives, carries payloads that would create a
 * marker file in the test's directory if gnuplot took them for commands. */
#include "harness/plot/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SMALL DF_SOURCE_DIR "/tests/data/small-results.json"

/* Each payload names its marker with %s. Between them they try every way
 * out of a gnuplot string and every command channel gnuplot has: ending a
 * single- or double-quoted string, a newline (a new command), a backslash
 * before the quote, string concatenation, a macro (@), command
 * substitution (backticks), a shell escape (!), and pipes as file names
 * (an output starting with '|', a data file starting with '<'). */
static const char *const payloads[] = {
    "x'; system('touch %s'); y='",
    "x\"; system(\"touch %s\"); y=\"",
    "x'\nsystem('touch %s')\ny='",
    "x\\'; system('touch %s'); y='\\",
    "x'.system('touch %s').'",
    "x'; m='system(\"touch %s\")'; @m; y='",
    "`touch %s`",
    "x\"`touch %s`\"",
    "x\n!touch %s\n",
    "|touch %s",
    "<touch %s",
};
#define NPAYLOADS (sizeof payloads / sizeof payloads[0])

static char tmp_dir[64], old_cwd[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/df-test-hostile-XXXXXX");
    if (!getcwd(old_cwd, sizeof old_cwd) || !mkdtemp(tmp_dir))
        return -1;
    /* Payloads name their marker relative to the working directory. */
    return chdir(tmp_dir);
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    if (chdir(old_cwd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs df_plot_main with stderr captured into err_buf; returns its code. */
static int plot_capture(char *err_buf, size_t len, int argc, char **argv)
{
    int saved = dup(2), rc;
    int fd = open("stderr.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ssize_t n;

    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    rc = df_plot_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, err_buf, len - 1, 0);
    err_buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return rc;
}

static int count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void assert_no_marker(const char *marker, const char *payload)
{
    if (access(marker, F_OK) == 0)
        fail_msg("payload \"%s\" ran: %s exists", payload, marker);
}

/* Done (the image is where it was asked for), or refused with one line. */
static void assert_done_or_one_line(int rc,
                                    const char *err,
                                    const char *dir,
                                    const char *name)
{
    char path[1200];

    if (rc != 0 && count_lines(err) != 1)
        fail_msg("exit %d with %d lines of error: %s", rc, count_lines(err),
                 err);
    snprintf(path, sizeof path, "%s/%s-gil-cpu.png", dir, name);
    if (rc == 0 && access(path, F_OK) != 0)
        fail_msg("exit 0 but %s not made", path);
}

/* Appends the payload (its marker: M-<field>) to the string at key. */
static void poison(json_t *obj, const char *key, const char *payload)
{
    const char *old = json_string_value(json_object_get(obj, key));
    char marker[64], text[512];

    snprintf(marker, sizeof marker, "M-%s", key);
    snprintf(text, sizeof text, "%s", old ? old : "");
    snprintf(text + strlen(text), sizeof text - strlen(text), payload, marker);
    json_object_set_new(obj, key, json_string(text));
}

/* small-results.json with payload in every string a plot shows: each
 * point's model, workload, GIL mode, a parameter's name and a parameter's
 * value; the machine fields and the date of the footer. */
static json_t *poisoned_doc(const char *payload)
{
    json_t *doc = json_load_file(SMALL, 0, NULL), *pt, *params;
    json_t *machine;
    char key[512];
    size_t i;

    assert_non_null(doc);
    json_array_foreach(json_object_get(doc, "points"), i, pt)
    {
        poison(pt, "model", payload);
        poison(pt, "workload", payload);
        poison(pt, "gil", payload);
        params = json_object_get(pt, "params");
        if (!json_is_object(params)) {
            params = json_object();
            json_object_set_new(pt, "params", params);
        }
        poison(params, "note", payload);
        snprintf(key, sizeof key, payload, "M-param-name");
        json_object_set_new(params, key, json_integer(1));
    }
    machine = json_object_get(doc, "machine");
    assert_non_null(machine);
    poison(machine, "cpu_model", payload);
    poison(machine, "kernel", payload);
    poison(machine, "compiler", payload);
    /* The footer shows the first 10 characters of the date. */
    json_object_set_new(doc, "started", json_string("`touch S`"));
    return doc;
}

static const char *const markers[] = {
    "M-model",     "M-workload", "M-gil",      "M-note", "M-param-name",
    "M-cpu_model", "M-kernel",   "M-compiler", "S"
};

/* The first payload (the one of #12) on every plot; the others on a plot
 * of each kind of text: legends, subtitle and footer (throughput), bar
 * and GIL labels, timeline panel titles. */
static void test_plot_hostile_fields_run_nothing(void **state)
{
    char err[4096];
    char *argv[] = { "plot",
                     "evil.json",
                     "--out-dir",
                     "out",
                     "--quiet",
                     "--only",
                     "throughput,bars,gil,timeline",
                     NULL };
    struct stat st;
    size_t k, m;
    int rc;

    (void)state;
    for (k = 0; k < NPAYLOADS; k++) {
        json_t *doc = poisoned_doc(payloads[k]);

        assert_int_equal(json_dump_file(doc, "evil.json", JSON_INDENT(1)), 0);
        json_decref(doc);

        rc = plot_capture(err, sizeof err, k == 0 ? 5 : 7, argv);

        for (m = 0; m < sizeof markers / sizeof markers[0]; m++)
            assert_no_marker(markers[m], payloads[k]);
        /* Hostile text is still text: the plots are drawn. */
        if (rc != 0)
            fail_msg("payload \"%s\": exit %d: %s", payloads[k], rc, err);
        assert_int_equal(stat("out/evil-bars.png", &st), 0);
        assert_int_equal(stat("out/evil-timeline.png", &st), 0);
        assert_int_equal(system("rm -rf out"), 0);
    }
}

/* --out-dir, --name and the results file's base name, each a payload
 * (markers M-dir, M-name, M-file). */
static void test_plot_hostile_file_names_run_nothing(void **state)
{
    char err[4096], dir[512], name[512], file[512];
    size_t k;
    int rc;

    (void)state;
    assert_int_equal(system("cp '" SMALL "' small.json"), 0);
    for (k = 0; k < NPAYLOADS; k++) {
        char *by_dir[] = { "plot",   "small.json", "--out-dir", dir,
                           "--only", "gil",        "--quiet",   NULL };
        char *by_name[] = { "plot",    "small.json", "--out-dir", "o",
                            "--name",  name,         "--only",    "gil",
                            "--quiet", NULL };
        char *by_file[] = { "plot",   file,  "--out-dir", "o",
                            "--only", "gil", "--quiet",   NULL };

        snprintf(dir, sizeof dir, payloads[k], "M-dir");
        snprintf(name, sizeof name, payloads[k], "M-name");
        snprintf(file, sizeof file, payloads[k], "M-file");
        strncat(file, ".json", sizeof file - strlen(file) - 1);
        assert_int_equal(link("small.json", file), 0);

        rc = plot_capture(err, sizeof err, 7, by_dir);
        assert_done_or_one_line(rc, err, dir, "small");
        rc = plot_capture(err, sizeof err, 9, by_name);
        assert_done_or_one_line(rc, err, "o", name);
        rc = plot_capture(err, sizeof err, 7, by_file);
        /* The base name, a newline made '-' (harness/cli/plot.c). */
        file[strlen(file) - 5] = '\0';
        for (char *c = file; *c; c++)
            *c = *c == '\n' ? '-' : *c;
        assert_done_or_one_line(rc, err, "o", file);

        assert_no_marker("M-dir", payloads[k]);
        assert_no_marker("M-name", payloads[k]);
        assert_no_marker("M-file", payloads[k]);
        snprintf(file, sizeof file, payloads[k], "M-file");
        strncat(file, ".json", sizeof file - strlen(file) - 1);
        assert_int_equal(unlink(file), 0);
    }
}

/* The whole of out/<name>, NUL-terminated; caller frees. */
static char *slurp(const char *name)
{
    char path[256], *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof path, "out/%s", name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: not made", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(n + 1, 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* Quotes, backslashes, an @ and backticks in a workload's parameter come
 * out in the SVG as they went in: drawn, not evaluated. The cpu points
 * share the text (it is in the subtitle), the sleep points differ in it
 * (it is in each legend). */
static void test_plot_hostile_text_is_drawn_as_text(void **state)
{
    static const char text[] = "it's \"q\" `id` @m \\z";
    char err[4096], note[128], *cpu, *sleep;
    char *argv[] = { "plot",   "q.json",     "--out-dir", "out", "--svg",
                     "--only", "throughput", "--quiet",   NULL };
    json_t *doc = json_load_file(SMALL, 0, NULL), *pt;
    size_t i;

    (void)state;
    assert_non_null(doc);
    json_array_foreach(json_object_get(doc, "points"), i, pt)
    {
        const char *wl = json_string_value(json_object_get(pt, "workload"));
        const char *model = json_string_value(json_object_get(pt, "model"));

        snprintf(note, sizeof note, "%s%s%s", text,
                 strcmp(wl, "sleep") == 0 ? " " : "",
                 strcmp(wl, "sleep") == 0 ? model : "");
        json_object_set_new(json_object_get(pt, "params"), "note",
                            json_string(note));
    }
    assert_int_equal(json_dump_file(doc, "q.json", 0), 0);
    json_decref(doc);

    assert_int_equal(plot_capture(err, sizeof err, 8, argv), 0);

    cpu = slurp("q-throughput-cpu.svg");
    sleep = slurp("q-throughput-sleep.svg");
    assert_non_null(strstr(cpu, "note=it's \"q\" `id` @m \\z -"));
    /* A '"' would end the table's field: the legend shows it as '\''. */
    assert_non_null(strstr(sleep, "note=it's 'q' `id` @m \\z thread<"));
    free(cpu);
    free(sleep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plot_hostile_fields_run_nothing),
        cmocka_unit_test(test_plot_hostile_file_names_run_nothing),
        cmocka_unit_test(test_plot_hostile_text_is_drawn_as_text),
    };

    return cmocka_run_group_tests_name("plot_hostile", tests, setup, teardown);
}
