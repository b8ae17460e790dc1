/* harness/cli/suite.c - `duckfeed suite`: picks suites, runs each (its
 * runs or its examples), prints their summaries and writes the report. */
#include "harness/suite/run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/suite_plan.h"
#include "harness/plot/plot.h"
#include "harness/report/report.h"
#include "harness/store/calibration.h"
#include "harness/store/resfile.h"

/* SIGINT/SIGTERM while the suites run, outside a sweep (which catches
 * them itself and says so in its exit status): between runs, while
 * plotting, during an examples script. The suite in progress stops at its
 * next step; none after it starts. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

int df__suite_stop_signal(void)
{
    return stop_signal;
}

const char *df__suite_signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

/* No SA_RESTART: a read from an examples script returns EINTR, so the
 * suite notices the signal without waiting for the script's next line. */
static void catch_stop_signals(struct sigaction old[2])
{
    struct sigaction sa = { .sa_handler = on_stop_signal };

    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    DF_CHECK(sigaction(SIGINT, &sa, &old[0]) == 0);
    DF_CHECK(sigaction(SIGTERM, &sa, &old[1]) == 0);
}

static void restore_stop_signals(const struct sigaction old[2])
{
    DF_CHECK(sigaction(SIGINT, &old[0], NULL) == 0);
    DF_CHECK(sigaction(SIGTERM, &old[1], NULL) == 0);
}

static const char *suites_dir(void)
{
    const char *d = getenv("DF_SUITES_DIR");

    return d && *d ? d : DF_SOURCE_DIR "/harness/suite/suites";
}

static void usage(FILE *f)
{
    fputs("usage: duckfeed suite [NAME...] [--quick] [--list] [--plan FILE]\n"
          "                      [--results-dir DIR] [--plots-dir DIR] "
          "[--suites-dir DIR]\n"
          "                      [--calibration FILE]\n"
          "       duckfeed suite --merge FILE [--results-dir DIR] "
          "[--plots-dir DIR] PART...\n"
          "Runs named comparisons (all default ones without NAME), each "
          "into\nRESULTS/NAME.json and PLOTS/NAME-*.png, then writes "
          "RESULTS/REPORT.md.\n"
          "  --quick          shorter runs (about 2 minutes for the default "
          "set)\n"
          "  --list           list the suites and what each shows\n"
          "  --results-dir D  where results go (results)\n"
          "  --plots-dir D    where plots go (plots)\n"
          "  --suites-dir D   suite files (the source's harness/suite/suites)\n"
          "  --calibration F  every run charges the real servers' costs "
          "(duckfeed run\n"
          "                   --calibration F; results/calibration.json)\n"
          "  --plan FILE      write the suites' sweeps as one plan (JSON "
          "Lines) and run\n"
          "                   nothing; measure its lines anywhere with "
          "`duckfeed run\n"
          "                   --plan-item FILE:N` (docs/DISTRIBUTED.md)\n"
          "  --merge FILE     merge the parts of plan FILE into each suite's "
          "results,\n"
          "                   plots and report, as a direct run writes them\n"
          "Exit: 0 all ran, 1 some run, point or plot failed, 2 bad usage or "
          "suite file,\n"
          "      130 (143) stopped by SIGINT (SIGTERM): the suite it stopped "
          "keeps what\n"
          "      finished, marked interrupted; later suites do not run.\n",
          f);
}

static void list_suites(df_suite **v, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        const json_t *j = df_suite_json(v[i]);

        printf("%-9s v%-2d %s %5.0fs (quick %3.0fs)  %s\n", df_suite_name(v[i]),
               df_resfile_int(j, "version", 0),
               json_is_true(json_object_get(j, "default")) ? "default"
                                                           : "       ",
               df_suite_estimate_s(v[i], 0), df_suite_estimate_s(v[i], 1),
               df_resfile_str(j, "title", ""));
    }
}

/* --plan and --merge against the rest, and --calibration's file (#15).
 * -1 (go on) or 2 after one line. */
static int check_modes(const df_suite_opts *o, int npositional)
{
    const char *why = NULL;

    if (o->plan && o->merge)
        why = "--plan and --merge exclude each other";
    else if (o->merge && o->quick)
        why = "--quick with --merge: the plan says whether it is quick";
    else if (o->merge && npositional == 0)
        why = "--merge FILE needs the parts (PART...)";
    else if ((o->plan || o->merge) && o->list)
        why = "--list with --plan or --merge";
    else if ((o->plan || o->merge) && o->calibration)
        why = "--calibration with --plan or --merge (give it to the runs)";
    if (why) {
        fprintf(stderr, "duckfeed suite: %s (see --help)\n", why);
        return 2;
    }
    df_err err = { 0 };
    int64_t unused_ns;
    if (o->calibration &&
        df_calibration_cost(o->calibration, NULL, &unused_ns, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg); /* #15 */
        return 2;
    }
    return -1;
}

static int parse_opts(int argc,
                      char **argv,
                      df_suite_opts *o,
                      const char **names,
                      int *nnames)
{
    int i;

    o->results_dir = "results";
    o->plots_dir = "plots";
    o->suites_dir = suites_dir();
    snprintf(o->command, sizeof o->command, "duckfeed");
    for (i = 0; i < argc; i++)
        snprintf(o->command + strlen(o->command),
                 sizeof o->command - strlen(o->command), " %s", argv[i]);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int v = i + 1 < argc;

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            o->quick = 1;
        } else if (!strcmp(a, "--list")) {
            o->list = 1;
        } else if (!strcmp(a, "--results-dir") && v) {
            o->results_dir = argv[++i];
        } else if (!strcmp(a, "--plots-dir") && v) {
            o->plots_dir = argv[++i];
        } else if (!strcmp(a, "--suites-dir") && v) {
            o->suites_dir = argv[++i];
        } else if (!strcmp(a, "--plan") && v) {
            o->plan = argv[++i];
        } else if (!strcmp(a, "--merge") && v) {
            o->merge = argv[++i];
        } else if (!strcmp(a, "--calibration") && v) {
            o->calibration = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr,
                    "duckfeed suite: %s: unknown option or missing "
                    "value (see --help)\n",
                    a);
            return 2;
        } else {
            names[(*nnames)++] = a;
        }
    }
    return check_modes(o, *nnames);
}

/* Which suites to run: the named ones (each must exist), else defaults. */
static int select_suites(df_suite **v,
                         int n,
                         const char **names,
                         int nn,
                         df_suite **sel)
{
    int i, k, m = 0;

    for (k = 0; k < nn; k++) {
        for (i = 0; i < n && strcmp(df_suite_name(v[i]), names[k]) != 0; i++)
            ;
        if (i == n) {
            fprintf(stderr,
                    "duckfeed suite: %s: no such suite (see "
                    "--list)\n",
                    names[k]);
            return -1;
        }
        sel[m++] = v[i];
    }
    for (i = 0; nn == 0 && i < n; i++)
        if (json_is_true(json_object_get(df_suite_json(v[i]), "default")))
            sel[m++] = v[i];
    return m;
}

/* Runs each of the m selected suites and prints its summary; docs gets
 * the results of those that have some (*ndocs of them, the caller's to
 * free). Returns 0, 1 when a suite failed (a failed measurement, not bad
 * usage), or 128 + the signal that stopped them: #12, the suites after
 * the one stopped do not run, so their results and plots stay. */
static int run_suites(df_suite **sel,
                      int m,
                      const df_suite_opts *o,
                      df_suite_run_fn *run,
                      json_t **docs,
                      int *ndocs)
{
    int i, rc, worst = 0;

    for (i = 0; i < m; i++) {
        const json_t *j = df_suite_json(sel[i]);
        json_t *doc = NULL;
        int examples =
            strcmp(df_resfile_str(j, "kind", "runs"), "examples") == 0;

        if (stop_signal)
            return DF_SUITE_EXIT_SIGNALED + stop_signal;

        if (o->merge)
            printf("== suite %s (%d/%d, merged from %s): %s\n",
                   df_suite_name(sel[i]), i + 1, m, o->merge,
                   df_resfile_str(j, "title", ""));
        else
            printf("== suite %s (%d/%d, about %.0f s): %s\n",
                   df_suite_name(sel[i]), i + 1, m,
                   df_suite_estimate_s(sel[i], o->quick),
                   df_resfile_str(j, "title", ""));
        fflush(stdout);
        rc = examples ? df__suite_run_examples(sel[i], o, &doc)
                      : df__suite_run_runs(sel[i], o, run, &doc);
        if (doc) {
            df_report_summary(stdout, doc, o->plots_dir);
            printf("   results: %s/%s.json\n", o->results_dir,
                   df_suite_name(sel[i]));
            docs[(*ndocs)++] = doc;
        }
        if (rc > DF_SUITE_EXIT_SIGNALED)
            return rc;
        if (rc)
            worst = 1;
    }
    return stop_signal ? DF_SUITE_EXIT_SIGNALED + stop_signal : worst;
}

/* --plan: a suite of kind "examples" runs a script on one machine and
 * has no plan; named, it is refused, in the default set skipped. Returns
 * how many of the m in sel are left, or -2 after one line. */
static int plannable(df_suite **sel, int m, int named)
{
    int k = 0;

    for (int i = 0; i < m; i++) {
        const json_t *j = df_suite_json(sel[i]);

        if (strcmp(df_resfile_str(j, "kind", "runs"), "examples") != 0) {
            sel[k++] = sel[i];
            continue;
        }
        fprintf(stderr,
                "duckfeed suite: %s runs an examples script, on one machine: "
                "%s (run `duckfeed suite %s` there)\n",
                df_suite_name(sel[i]),
                named ? "no plan" : "left out of the plan",
                df_suite_name(sel[i]));
        if (named)
            return -2;
    }
    return k;
}

/* The suites to run: the plan's with --merge (whose parts names holds;
 * then *run merges instead of measuring), else the named ones, else the
 * default set; with --plan, only those that have a plan. m, or -2. */
static int pick(df_suite **all,
                int n,
                df_suite_opts *o,
                const char **names,
                int nn,
                df_suite **sel,
                df_suite_run_fn **run)
{
    const char **want = names;
    int m;

    if (o->merge) {
        nn = df__suite_merge_open(o->merge, (char **)names, nn, &want,
                                  &o->quick);
        if (nn < 0)
            return -2;
        *run = df__suite_merge_run;
    }
    if ((m = select_suites(all, n, want, nn, sel)) < 0)
        return -2;
    for (int i = 0; o->merge && i < m; i++)
        if (df_suite_nruns(sel[i]) !=
            df__suite_merge_runs(df_suite_name(sel[i]))) {
            fprintf(stderr,
                    "duckfeed suite: %s: the %s suite has %d runs here, %d "
                    "in the plan (its file changed since)\n",
                    o->merge, df_suite_name(sel[i]), df_suite_nruns(sel[i]),
                    df__suite_merge_runs(df_suite_name(sel[i])));
            return -2;
        }
    return o->plan ? plannable(sel, m, nn > 0) : m;
}

/* Runs (or merges) the m suites in sel, then writes the lessons table
 * and the report; docs as run_suites. Returns the exit status. */
static int run_and_report(df_suite **sel,
                          int m,
                          const df_suite_opts *o,
                          df_suite_run_fn *run,
                          json_t **docs,
                          int *ndocs)
{
    struct sigaction old[2];
    df_err err = { 0 };
    int worst;

    if (df_plot_mkdirs(o->results_dir, &err) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        return 2;
    }
    catch_stop_signals(old);
    worst = run_suites(sel, m, o, run, docs, ndocs);
    restore_stop_signals(old);
    if (*ndocs > 0)
        df_report_lessons(stdout, (const json_t *const *)docs, *ndocs);
    /* Also when interrupted: the stopped suite's section then says so. */
    if (df_report_write(o->results_dir, o->plots_dir, &err) < 0) {
        fprintf(stderr, "duckfeed suite: report: %s\n", err.msg);
        worst = worst > DF_SUITE_EXIT_SIGNALED ? worst : 1;
    } else {
        printf("report: %s/REPORT.md, %s/report.html\n", o->results_dir,
               o->results_dir);
    }
    return worst;
}

int df_suite_main_with(int argc, char **argv, df_suite_run_fn *run)
{
    df_suite_opts o = { 0 };
    const char **names = calloc((size_t)argc + 1, sizeof *names);
    df_suite **all = NULL, **sel = NULL;
    json_t **docs = NULL; /* each suite's results, for the lessons table */
    int ndocs = 0;
    df_err err = { 0 };
    int i, n, m, nn = 0, rc, worst = 0;

    if (!names || (rc = parse_opts(argc, argv, &o, names, &nn)) >= 0) {
        free(names);
        return names ? rc : 2;
    }
    if ((n = df__suite_load_all(o.suites_dir, &all, &err)) < 0) {
        fprintf(stderr, "duckfeed suite: %s\n", err.msg);
        free(names);
        return 2;
    }
    if (o.list) {
        list_suites(all, n);
        goto out;
    }
    if (!(sel = calloc(n + nn + 1, sizeof *sel)) ||
        !(docs = calloc(n + nn + 1, sizeof *docs)) ||
        (m = pick(all, n, &o, names, nn, sel, &run)) < 0) {
        worst = 2;
        goto out;
    }
    if (o.plan) {
        worst = df__suite_plan_write(sel, m, o.quick, o.plan);
        goto out;
    }
    worst = run_and_report(sel, m, &o, run, docs, &ndocs);
out:
    for (i = 0; i < ndocs; i++)
        json_decref(docs[i]);
    free(docs);
    for (i = 0; i < n; i++)
        df_suite_destroy(all[i]);
    free(all);
    free(sel);
    free(names);
    df__suite_merge_close();
    return worst;
}
