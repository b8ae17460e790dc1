/* harness/cli/plot.c - `duckfeed plot`: the command around df_plot_doc. */
#include "harness/plot/plot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/store/resfile.h"

#define PLOT_MAX_ONLY 15 /* kinds after --only; more are refused */

static void usage(FILE *f)
{
    fputs(
        "usage: duckfeed plot RESULTS.json [--out-dir DIR] [--svg] "
        "[--name PREFIX]\n"
        "                     [--only KIND,...] [--quiet]\n"
        "Draws the plots the results have data for, with gnuplot:\n"
        "  throughput, latency (p50/p99), queue (wait vs service), memory\n"
        "  against the load of each workload; cdf (latency at one load);\n"
        "  speedup (vs workers x threads); gil (held/wait shares);\n"
        "  bars (throughput and p99 of setups run at one load);\n"
        "  timeline (from points run with --trace);\n"
        "  rate (req/s per 100 ms of the window, every point: the dip after a\n"
        "  crash and the recovery).\n"
        "  --out-dir DIR   where images and .dat tables go (plots)\n"
        "  --svg           SVG instead of PNG\n"
        "  --name PREFIX   file name prefix (RESULTS without .json)\n"
        "  --only LIST     draw only these kinds\n"
        "  --quiet         do not list the files made\n"
        "Exit: 0 done, 1 gnuplot missing or failed, 2 bad usage or "
        "results file.\n",
        f);
}

static int is_control(char ch)
{
    return (unsigned char)ch < 0x20 || ch == 0x7f;
}

/* "results/cpu.json" -> "cpu"; a control character (a newline in a file
 * name) becomes '-', so listings and messages stay one line a file. */
static void base_name(const char *path, char *buf, size_t len)
{
    const char *b = strrchr(path, '/');
    size_t n, i;

    snprintf(buf, len, "%s", b ? b + 1 : path);
    n = strlen(buf);
    if (n > 5 && strcmp(buf + n - 5, ".json") == 0)
        buf[n - 5] = '\0';
    for (i = 0; buf[i]; i++)
        if (is_control(buf[i]))
            buf[i] = '-';
}

/* A --name is one file name part: not empty, no '/', no control
 * characters. */
static int name_ok(const char *name)
{
    if (!*name || strchr(name, '/'))
        return 0;
    for (; *name; name++)
        if (is_control(*name))
            return 0;
    return 1;
}

static void put_line_part(const char *s)
{
    for (; *s; s++)
        fputc(is_control(*s) ? '?' : *s, stderr);
}

/* "duckfeed plot: <what>: <msg>" on one line, whatever a file name
 * holds. */
static void print_error(const char *what, const char *msg)
{
    fputs("duckfeed plot: ", stderr);
    put_line_part(what);
    fputs(": ", stderr);
    put_line_part(msg);
    fputc('\n', stderr);
}

/* Splits the --only list arg into only[] (NULL-terminated, at most
 * PLOT_MAX_ONLY kinds; buf holds the text). 0, or -E2BIG after a line on
 * stderr: a list past the limit is refused, never cut. */
static int parse_only(const char *arg, char *buf, size_t len, const char **only)
{
    int n = 0;
    char *save = NULL, *tok;

    if (strlen(arg) >= len) {
        fprintf(stderr, "duckfeed plot: --only: longer than %zu characters\n",
                len - 1);
        return -E2BIG;
    }
    snprintf(buf, len, "%s", arg);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == PLOT_MAX_ONLY) {
            fprintf(stderr, "duckfeed plot: --only: more than %d kinds\n",
                    PLOT_MAX_ONLY);
            return -E2BIG;
        }
        only[n++] = tok;
    }
    only[n] = NULL;
    return 0;
}

/* Reads argv into o and *results. 0, 1 for --help (printed), or 2 after a
 * one-line error. */
static int parse_args(int argc,
                      char **argv,
                      df_plot_opts *o,
                      const char **results,
                      const char **only,
                      char *only_buf,
                      size_t only_len)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--svg") == 0) {
            o->svg = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
        } else if (strcmp(a, "--out-dir") == 0 && has_value) {
            o->out_dir = argv[++i];
        } else if (strcmp(a, "--name") == 0 && has_value) {
            o->name = argv[++i];
        } else if (strcmp(a, "--only") == 0 && has_value) {
            if (parse_only(argv[++i], only_buf, only_len, only) < 0)
                return 2;
            o->only = only;
        } else if (a[0] == '-' || *results) {
            print_error(a, a[0] == '-'
                               ? "unknown option or missing value (see --help)"
                               : "only one results file (see --help)");
            return 2;
        } else {
            *results = a;
        }
    }
    if (!*results) {
        fprintf(stderr, "duckfeed plot: no results file given (see --help)\n");
        return 2;
    }
    if (o->name && !name_ok(o->name)) {
        fprintf(stderr, "duckfeed plot: --name: must be a file name part "
                        "(not empty, no '/' or control characters)\n");
        return 2;
    }
    return 0;
}

int df_plot_main(int argc, char **argv)
{
    df_plot_opts o = { 0 };
    const char *results = NULL, *only[PLOT_MAX_ONLY + 1];
    char name[256], only_buf[256];
    df_err err = { 0 };
    json_t *doc = NULL;
    int rc =
        parse_args(argc, argv, &o, &results, only, only_buf, sizeof only_buf);

    if (rc != 0)
        return rc == 1 ? 0 : 2;
    if (df_resfile_load(results, &doc, &err) < 0) {
        print_error(results, err.msg);
        return 2;
    }
    if (!o.name) {
        base_name(results, name, sizeof name);
        o.name = name;
    }
    rc = df_plot_doc(doc, &o, &err);
    json_decref(doc);
    if (rc < 0) {
        print_error(results, err.msg);
        return 1;
    }
    if (rc == 0 && !o.quiet)
        printf("duckfeed plot: %s: no data to plot\n", results);
    return 0;
}
