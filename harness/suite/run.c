/* harness/suite/run.c - a suite of kind "runs": each run through
 * `duckfeed run`, the points merged into RESULTS/<suite>.json, plotted.
 *
 * Each run goes through the same code path a user's `duckfeed run` takes
 * (df_suite_run_fn, the real df_run_main in the program), writing a
 * temporary results file that is merged here; so a suite can never measure
 * something the command line cannot reproduce, and the results file records
 * the exact runs.
 */
#include "harness/suite/run.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/plot/plot.h"
#include "harness/store/resfile.h"
#include "harness/store/results.h"

/* #12: a directory of its own in the results dir for a run's file, named
 * by mkdtemp, so two suites running at once never share a file (a fixed
 * ".suite-<name>-<i>.json" did). 0 or -errno with a line on stderr. */
static int make_tmp_dir(const df_suite *s,
                        const df_suite_opts *o,
                        char *dir,
                        size_t len)
{
    snprintf(dir, len, "%s/.suite-%s-XXXXXX", o->results_dir, df_suite_name(s));
    if (mkdtemp(dir))
        return 0;
    fprintf(stderr, "duckfeed suite: %s: %s: %s\n", df_suite_name(s), dir,
            strerror(errno));
    return -errno;
}

/* Removes dir and what the run left in it (its file, anything the
 * results writer put beside it). */
static void remove_tmp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];

    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* #16: a run merged from parts (`duckfeed suite --merge`) names its
 * machines; the suite's file names every run's, so the report still
 * groups points by machine. Its "plan" is that run's alone: dropped. */
static void add_machines(json_t *doc, const json_t *part)
{
    json_t *have = json_object_get(doc, "machines"), *mc;
    size_t i, k;

    json_object_del(doc, "plan");
    if (!have && json_array_size(json_object_get(part, "machines")) > 0 &&
        (have = json_array()) != NULL)
        json_object_set_new(doc, "machines", have);
    json_array_foreach(json_object_get(part, "machines"), i, mc)
    {
        const char *h = json_string_value(json_object_get(mc, "hostname"));

        for (k = 0; k < json_array_size(have); k++)
            if (h &&
                json_equal(json_object_get(json_array_get(have, k), "hostname"),
                           json_object_get(mc, "hostname")))
                break;
        if (h && have && k == json_array_size(have))
            json_array_append(have, mc);
    }
}

/* Appends the points of the results file tmp to *doc (created from the
 * first run's file). 0, or -EINVAL after a line on stderr. */
static int merge_part(const df_suite *s, int i, const char *tmp, json_t **doc)
{
    df_err err = { 0 };
    json_t *part = NULL;

    if (df_resfile_load(tmp, &part, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s: run %d: %s: %s\n",
                df_suite_name(s), i + 1, tmp, err.msg);
        return -EINVAL;
    }
    if (!*doc) {
        *doc = json_deep_copy(part);
        json_object_set_new(*doc, "points", json_array());
    }
    json_array_extend(json_object_get(*doc, "points"),
                      json_object_get(part, "points"));
    add_machines(*doc, part);
    if (!json_is_true(json_object_get(part, "complete")))
        json_object_set_new(*doc, "complete", json_false());
    json_decref(part);
    return 0;
}

/* Runs run i of s into a file of its own and appends its points to *doc.
 * Returns run's exit code (DF_SUITE_EXIT_SIGNALED + n too, after merging
 * what the stopped run finished), or 2 on a results file it did not write
 * properly. */
static int one_run(const df_suite *s,
                   int i,
                   const df_suite_opts *o,
                   df_suite_run_fn *run,
                   json_t **doc)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 32], **argv, **full;
    int argc, rc, k;

    if (make_tmp_dir(s, o, dir, sizeof dir) < 0)
        return 2;
    snprintf(tmp, sizeof tmp, "%s/run-%d.json", dir, i + 1);
    argv = df_suite_run_argv(s, i, o->quick, &argc);
    full = argv ? calloc(argc + 7, sizeof *full) : NULL;
    if (!full) {
        free(argv);
        remove_tmp_dir(dir);
        return 2;
    }
    full[0] = "run";
    for (k = 0; k < argc; k++)
        full[k + 1] = argv[k];
    full[argc + 1] = "--out";
    full[argc + 2] = tmp;
    full[argc + 3] = "--part";
    if (o->calibration) { /* #15 */
        full[argc + 4] = "--calibration";
        full[argc + 5] = (char *)o->calibration;
    }
    rc = run(argc + (o->calibration ? 6 : 4), full);
    free(full);
    free(argv);
    if (rc != 2 && merge_part(s, i, tmp, doc) < 0 &&
        rc <= DF_SUITE_EXIT_SIGNALED)
        rc = 2;
    remove_tmp_dir(dir);
    return rc;
}
/* The signal that stopped run i of s (its exit status) or, outside the
 * run, the suite; 0 when none did. */
static int stopped_by(int rc)
{
    if (rc > DF_SUITE_EXIT_SIGNALED)
        return rc - DF_SUITE_EXIT_SIGNALED;
    return df__suite_stop_signal();
}

/* #12: a suite stopped by sig keeps what finished in its results file,
 * marked "interrupted" so the report computes no claim from it, and is
 * not plotted; its old plots go, as they no longer match its file. Other
 * suites' files and plots are left alone. Returns 128 + sig. */
static int write_interrupted(const df_suite *s,
                             const df_suite_opts *o,
                             json_t *doc,
                             int sig,
                             json_t **doc_out)
{
    char path[PATH_MAX];
    df_err err = { 0 };

    if (!doc) /* the run wrote nothing: nothing to keep or to replace */
        return DF_SUITE_EXIT_SIGNALED + sig;
    json_object_set_new(doc, "complete", json_false());
    json_object_set_new(doc, "interrupted",
                        json_string(df__suite_signal_name(sig)));
    snprintf(path, sizeof path, "%s/%s.json", o->results_dir, df_suite_name(s));
    if (df_results_write(doc, path, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        json_decref(doc);
        return DF_SUITE_EXIT_SIGNALED + sig;
    }
    (void)df_plot_remove(o->plots_dir, df_suite_name(s));
    fprintf(stderr,
            "duckfeed suite: %s: interrupted (%s); %s keeps what "
            "finished\n",
            df_suite_name(s), df__suite_signal_name(sig), path);
    *doc_out = doc;
    return DF_SUITE_EXIT_SIGNALED + sig;
}

/* A run marked "expect_failure" shows a model dying (the faults lesson:
 * no arbiter, the interpreter goes): its failed points are the lesson,
 * not a fault of the suite, so they leave the exit status alone. A
 * claim (kind survival) still checks that they did fail. */
static int expected_failure(const df_suite *s, int i, int rc)
{
    const json_t *r =
        json_array_get(json_object_get(df_suite_json(s), "runs"), i);
    if (rc != 1 || !json_is_true(json_object_get(r, "expect_failure")))
        return rc;
    printf("[%s] run %d: failed points, as this run expects\n",
           df_suite_name(s), i + 1);
    return 0;
}

/* Runs every run of s, writes results/<name>.json and plots it. Returns 0,
 * 1 (something failed but results were written), 2 (nothing to write) or
 * 128 + a signal (see run.h). */
/* Past 60 lines on purpose: the runs, the interrupt exit and the plot
 * step share doc and one cleanup; each step already calls a helper. */
int df__suite_run_runs(const df_suite *s,
                       const df_suite_opts *o,
                       df_suite_run_fn *run,
                       json_t **doc_out)
{
    const json_t *plots = json_object_get(df_suite_json(s), "plots");
    const char *only[16];
    char path[PATH_MAX];
    /* replace: the suite's old plots go once the new ones are in (#12). */
    df_plot_opts po = { .out_dir = o->plots_dir,
                        .name = df_suite_name(s),
                        .quiet = 1,
                        .replace = 1 };
    df_err err = { 0 };
    json_t *doc = NULL;
    int i, rc, sig = 0, worst = 0, n = df_suite_nruns(s);
    size_t k;
    df_load_probe probe;

    (void)df_load_probe_start(&probe);
    for (i = 0; i < n; i++) {
        printf("[%s] run %d/%d: %s\n", df_suite_name(s), i + 1, n,
               df_resfile_str(
                   json_array_get(json_object_get(df_suite_json(s), "runs"), i),
                   "label", ""));
        fflush(stdout);
        rc = one_run(s, i, o, run, &doc);
        if ((sig = stopped_by(rc)) != 0)
            break;
        rc = expected_failure(s, i, rc);
        if (rc != 0)
            fprintf(stderr, "duckfeed suite: %s: run %d/%d %s\n",
                    df_suite_name(s), i + 1, n,
                    rc == 1 ? "had failed or missing points" : "failed");
        worst = rc > worst ? rc : worst;
    }
    /* The command that reproduces this file alone, not the whole set. */
    char command[512];
    snprintf(command, sizeof command, "duckfeed suite %s%s", df_suite_name(s),
             o->quick ? " --quick" : "");
    if (doc) {
        json_object_set_new(doc, "command", json_string(command));
        json_object_set_new(doc, "suite", df__suite_meta(s, o->quick));
        /* #18: the claims are read beside how busy the machine was. */
        json_object_set_new(doc, "machine_load", df__suite_load_json(&probe));
    }
    if (sig)
        return write_interrupted(s, o, doc, sig, doc_out);
    if (!doc)
        return 2;
    snprintf(path, sizeof path, "%s/%s.json", o->results_dir, df_suite_name(s));
    if (df_results_write(doc, path, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        json_decref(doc);
        return 2;
    }
    for (k = 0; k < json_array_size(plots) && k < 15; k++)
        only[k] = json_string_value(json_array_get(plots, k));
    only[k] = NULL;
    po.only = plots ? only : NULL;
    if ((rc = df_plot_doc(doc, &po, &err)) < 0) {
        fprintf(stderr, "duckfeed suite: %s: plot: %s\n", df_suite_name(s),
                err.msg);
        worst = worst > 1 ? worst : 1;
    }
    *doc_out = doc;
    return worst > 1 ? 1 : worst;
}
