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

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/plot/plot.h"
#include "harness/store/resfile.h"
#include "harness/store/results.h"

/* Runs run i of s into tmp and appends its points to *doc (created from
 * the first run's file). Returns run's exit code, or 2 on a results file
 * it did not write properly. */
static int one_run(const df_suite *s, int i, const df_suite_opts *o,
                   df_suite_run_fn *run, json_t **doc)
{
    char tmp[PATH_MAX], **argv, **full;
    df_err err = { 0 };
    json_t *part = NULL;
    int argc, rc, k;

    snprintf(tmp, sizeof tmp, "%s/.suite-%s-%d.json", o->results_dir,
             df_suite_name(s), i);
    if (!(argv = df_suite_run_argv(s, i, o->quick, &argc)))
        return 2;
    if (!(full = calloc(argc + 4, sizeof *full))) {
        free(argv);
        return 2;
    }
    full[0] = "run";
    for (k = 0; k < argc; k++)
        full[k + 1] = argv[k];
    full[argc + 1] = "--out";
    full[argc + 2] = tmp;
    rc = run(argc + 3, full);
    free(full);
    free(argv);
    if (rc == 2)
        return 2;
    if (df_resfile_load(tmp, &part, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s: run %d: %s: %s\n", df_suite_name(s),
                i + 1, tmp, err.msg);
        unlink(tmp);
        return 2;
    }
    unlink(tmp);
    if (!*doc) {
        *doc = json_deep_copy(part);
        json_object_set_new(*doc, "points", json_array());
    }
    json_array_extend(json_object_get(*doc, "points"),
                      json_object_get(part, "points"));
    if (!json_is_true(json_object_get(part, "complete")))
        json_object_set_new(*doc, "complete", json_false());
    json_decref(part);
    return rc;
}

/* Runs every run of s, writes results/<name>.json and plots it. Returns 0,
 * 1 (something failed but results were written) or 2 (nothing to write). */
int df__suite_run_runs(const df_suite *s, const df_suite_opts *o,
                    df_suite_run_fn *run, json_t **doc_out)
{
    const json_t *plots = json_object_get(df_suite_json(s), "plots");
    const char *only[16];
    char path[PATH_MAX];
    /* replace: the suite's old plots go once the new ones are in (#12). */
    df_plot_opts po = { .out_dir = o->plots_dir, .name = df_suite_name(s),
                        .quiet = 1, .replace = 1 };
    df_err err = { 0 };
    json_t *doc = NULL;
    int i, rc, worst = 0, n = df_suite_nruns(s);
    size_t k;

    for (i = 0; i < n; i++) {
        printf("[%s] run %d/%d: %s\n", df_suite_name(s), i + 1, n,
               df_resfile_str(json_array_get(json_object_get(df_suite_json(s), "runs"),
                                             i),
                              "label", ""));
        fflush(stdout);
        rc = one_run(s, i, o, run, &doc);
        if (rc != 0)
            fprintf(stderr, "duckfeed suite: %s: run %d/%d %s\n", df_suite_name(s),
                    i + 1, n, rc == 1 ? "had failed points" : "failed");
        worst = rc > worst ? rc : worst;
    }
    if (!doc)
        return 2;
    /* The command that reproduces this file alone, not the whole set. */
    char command[512];
    snprintf(command, sizeof command, "duckfeed suite %s%s", df_suite_name(s),
             o->quick ? " --quick" : "");
    json_object_set_new(doc, "command", json_string(command));
    json_object_set_new(doc, "suite", df__suite_meta(s, o->quick));
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
        fprintf(stderr, "duckfeed suite: %s: plot: %s\n", df_suite_name(s), err.msg);
        worst = worst > 1 ? worst : 1;
    }
    *doc_out = doc;
    return worst > 1 ? 1 : worst;
}
