/* harness/cli/plot.c - `duckfeed plot`: the command around df_plot_doc. */
#include "harness/plot/plot.h"

#include <stdio.h>
#include <string.h>

#include "harness/store/resfile.h"

#define PLOT_MAX_ONLY 15 /* kinds after --only; more are ignored */

static void usage(FILE *f)
{
    fputs("usage: duckfeed plot RESULTS.json [--out-dir DIR] [--svg] "
          "[--name PREFIX]\n"
          "                     [--only KIND,...] [--quiet]\n"
          "Draws the plots the results have data for, with gnuplot:\n"
          "  throughput, latency (p50/p99), queue (wait vs service), memory\n"
          "  against the load of each workload; cdf (latency at one load);\n"
          "  speedup (vs workers x threads); gil (held/wait shares);\n"
          "  bars (throughput and p99 of setups run at one load);\n"
          "  timeline (from points run with --trace).\n"
          "  --out-dir DIR   where images and .dat tables go (plots)\n"
          "  --svg           SVG instead of PNG\n"
          "  --name PREFIX   file name prefix (RESULTS without .json)\n"
          "  --only LIST     draw only these kinds\n"
          "  --quiet         do not list the files made\n"
          "Exit: 0 done, 1 gnuplot missing or failed, 2 bad usage or "
          "results file.\n",
          f);
}

/* "results/cpu.json" -> "cpu" */
static void base_name(const char *path, char *buf, size_t len)
{
    const char *b = strrchr(path, '/');
    size_t n;

    snprintf(buf, len, "%s", b ? b + 1 : path);
    n = strlen(buf);
    if (n > 5 && strcmp(buf + n - 5, ".json") == 0)
        buf[n - 5] = '\0';
}

/* Splits a comma list in place into a NULL-terminated array. */
static void split_list(char *s, const char **out, int max)
{
    int n = 0;
    char *save = NULL, *tok;

    for (tok = strtok_r(s, ",", &save); tok && n < max - 1;
         tok = strtok_r(NULL, ",", &save))
        out[n++] = tok;
    out[n] = NULL;
}

int df_plot_main(int argc, char **argv)
{
    df_plot_opts o = { 0 };
    const char *results = NULL, *only[PLOT_MAX_ONLY + 1];
    char name[256], only_buf[256];
    df_err err = { 0 };
    json_t *doc = NULL;
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--svg") == 0) {
            o.svg = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            o.quiet = 1;
        } else if (strcmp(a, "--out-dir") == 0 && has_value) {
            o.out_dir = argv[++i];
        } else if (strcmp(a, "--name") == 0 && has_value) {
            o.name = argv[++i];
        } else if (strcmp(a, "--only") == 0 && has_value) {
            snprintf(only_buf, sizeof only_buf, "%s", argv[++i]);
            split_list(only_buf, only, PLOT_MAX_ONLY + 1);
            o.only = only;
        } else if (a[0] == '-' || results) {
            fprintf(stderr, "duckfeed plot: %s: %s (see --help)\n", a,
                    a[0] == '-' ? "unknown option or missing value"
                                : "only one results file");
            return 2;
        } else {
            results = a;
        }
    }
    if (!results) {
        fprintf(stderr, "duckfeed plot: no results file given (see --help)\n");
        return 2;
    }
    if (df_resfile_load(results, &doc, &err) < 0) {
        fprintf(stderr, "duckfeed plot: %s: %s\n", results, err.msg);
        return 2;
    }
    if (!o.name) {
        base_name(results, name, sizeof name);
        o.name = name;
    }
    rc = df_plot_doc(doc, &o, &err);
    json_decref(doc);
    if (rc < 0) {
        fprintf(stderr, "duckfeed plot: %s: %s\n", results, err.msg);
        return 1;
    }
    if (rc == 0 && !o.quiet)
        printf("duckfeed plot: %s: no data to plot\n", results);
    return 0;
}
