/* harness/cli/suite_plan.c - a suite's sweeps as one plan, and their parts
 * merged back into the suite's results file (#16).
 *
 * A suite of kind "runs" is a list of `duckfeed run` sweeps. Its plan is
 * those sweeps' plans (plan_file.c) one after another, in the order
 * `duckfeed suite` runs them, each line tagged with its suite and run, so
 * GNU parallel's {#} or a Slurm array index names a line and
 * `duckfeed run --plan-item FILE:N` measures it as usual.
 *
 * Merging does not rebuild the suite's file in a second way: `duckfeed
 * suite --merge` runs the suite as `duckfeed suite` does, with a "run"
 * function that, instead of measuring run k, merges run k's parts with
 * `duckfeed merge` (merge.c) into the file run.c asked for. The results
 * file, its plots, the summary and REPORT.md then come from the very code
 * of a direct run, so both say the same claims. */
#include "harness/cli/suite_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/merge.h"
#include "harness/cli/plan_file.h"
#include "harness/store/resfile.h"
#include "harness/store/results.h"

#define WHO "duckfeed suite"

/* One run of one suite in the plan: lines first .. first + nitems - 1. */
typedef struct group {
    const char *suite; /* borrowed from lines */
    const char *id;    /* its plan's id, borrowed from lines */
    int run, runs;     /* 1-based, of the suite's runs */
    int first, nitems;
    char **parts; /* [nparts] paths, borrowed from argv */
    int *items;   /* [nparts] the item each part measured */
    int nparts;
} group;

/* The merge in progress; `duckfeed suite` calls the run function with no
 * context of its own, in the plan's order. */
static struct {
    const char *plan;
    json_t *lines; /* the plan's lines, which groups borrow from */
    group *g;
    int ng, next;
    const char **names; /* the suites, in plan order */
} ctx;

static json_t *tag_of(const char *name, int run, int runs, int quick)
{
    return json_pack("{s:s,s:i,s:i,s:b}", "name", name, "run", run, "runs",
                     runs, "quick", quick);
}

/* Appends the plan of run i of s to f from line *at on. 0 or 2. */
static int write_run(const df_suite *s,
                     int i,
                     int quick,
                     FILE *f,
                     const char *path,
                     int *at)
{
    int argc, rc;
    char **argv = df_suite_run_argv(s, i, quick, &argc);
    json_t *args = json_array(), *tag = NULL;
    df_planfile *pf = NULL;

    for (int k = 0; argv && args && k < argc; k++)
        json_array_append_new(args, json_string(argv[k]));
    free(argv);
    if (!argv || !args) {
        json_decref(args);
        fprintf(stderr, WHO ": out of memory\n");
        return 2;
    }
    rc = df__planfile_make(args, WHO, &pf);
    json_decref(args);
    if (rc != 0)
        return rc;
    tag = tag_of(df_suite_name(s), i + 1, df_suite_nruns(s), quick);
    if (!tag || df__planfile_dump(pf, f, path, *at, tag) < 0) {
        fprintf(stderr, WHO ": --plan %s: cannot write\n", path);
        rc = 2;
    }
    *at += pf->nitems;
    json_decref(tag);
    df__planfile_destroy(pf);
    return rc;
}

int df__suite_plan_write(df_suite **sel, int m, int quick, const char *path)
{
    FILE *f = df__planfile_open(path, WHO);
    int at = 1, rc = 0, runs = 0;

    if (!f)
        return 2;
    for (int s = 0; s < m && rc == 0; s++)
        for (int i = 0; i < df_suite_nruns(sel[s]) && rc == 0; i++, runs++)
            rc = write_run(sel[s], i, quick, f, path, &at);
    if ((rc = df__planfile_close(f, rc != 0, path, WHO)) != 0)
        return rc;
    printf("plan: %d items (%d suite%s, %d runs) in %s\n"
           "run each: duckfeed run --plan-item %s:N --out part-N.json\n"
           "then:     duckfeed suite --merge %s part-*.json\n",
           at - 1, m, m == 1 ? "" : "s", runs, path, path, path);
    return 0;
}

/* Line at (its JSON in line) into the groups: a new group when its suite
 * or run changes. 0 or -2 after one line. */
static int add_line(const json_t *line, int at, int *quick)
{
    const json_t *tag = json_object_get(line, "suite");
    const char *name = json_string_value(json_object_get(tag, "name"));
    int run = (int)json_integer_value(json_object_get(tag, "run"));
    const char *id = json_string_value(json_object_get(line, "plan"));
    group *g = ctx.ng ? &ctx.g[ctx.ng - 1] : NULL;

    if (!name || run < 1 || !id) {
        fprintf(stderr,
                WHO ": %s: line %d is not of a suite's plan (`duckfeed "
                    "suite --plan` writes one; merge a sweep's plan with "
                    "`duckfeed merge`)\n",
                ctx.plan, at);
        return -2;
    }
    *quick = json_is_true(json_object_get(tag, "quick"));
    if (!g || strcmp(g->suite, name) != 0 || g->run != run) {
        group *v = realloc(ctx.g, (size_t)(ctx.ng + 1) * sizeof *v);

        if (!v)
            return -2;
        ctx.g = v;
        g = &ctx.g[ctx.ng++];
        *g = (group){ .suite = name, .id = id, .run = run, .first = at };
        g->runs = (int)json_integer_value(json_object_get(tag, "runs"));
    }
    if (strcmp(g->id, id) != 0 ||
        json_integer_value(json_object_get(line, "item")) != ++g->nitems) {
        fprintf(stderr, WHO ": %s: line %d is out of its run's order\n",
                ctx.plan, at);
        return -2;
    }
    return 0;
}

/* Reads every line of the plan into ctx. 0 or -2 after one line. */
static int read_plan(int *quick)
{
    FILE *f = fopen(ctx.plan, "r");
    char *buf = NULL;
    size_t cap = 0;
    int at = 0, rc = 0;

    if (!f) {
        fprintf(stderr, WHO ": --merge %s: %s\n", ctx.plan, strerror(errno));
        return -2;
    }
    ctx.lines = json_array();
    while (rc == 0 && getline(&buf, &cap, f) >= 0) {
        json_error_t jerr;
        json_t *line = json_loads(buf, 0, &jerr);

        at++;
        if (!line || json_array_append_new(ctx.lines, line) < 0) {
            fprintf(stderr, WHO ": %s: line %d: %s\n", ctx.plan, at,
                    line ? "out of memory" : jerr.text);
            rc = -2;
        } else {
            rc = add_line(line, at, quick);
        }
    }
    free(buf);
    fclose(f);
    if (rc == 0 && at == 0) {
        fprintf(stderr, WHO ": %s: an empty plan\n", ctx.plan);
        rc = -2;
    }
    return rc;
}

/* Gives the part at path to its group. 0 or -2 after one line. */
static int add_part(char *path)
{
    json_error_t jerr;
    json_t *p = json_load_file(path, 0, &jerr);
    const json_t *tag = json_object_get(p, "suite");
    const char *name = json_string_value(json_object_get(tag, "name"));
    const char *id =
        json_string_value(json_object_get(json_object_get(p, "plan"), "id"));
    int run = (int)json_integer_value(json_object_get(tag, "run"));
    int item = (int)json_integer_value(
        json_object_get(json_object_get(p, "plan"), "item"));
    group *g = NULL;

    for (int k = 0; name && k < ctx.ng && !g; k++)
        if (!strcmp(ctx.g[k].suite, name) && ctx.g[k].run == run)
            g = &ctx.g[k];
    if (!p || !g || !id || strcmp(id, g->id) != 0) {
        fprintf(stderr, WHO ": %s: %s\n", path,
                !p     ? jerr.text
                : !tag ? "not a part of a suite's plan"
                       : "a part of another plan: parts of different "
                         "plans are not merged");
        json_decref(p);
        return -2;
    }
    json_decref(p);
    g->parts[g->nparts] = path;
    g->items[g->nparts++] = item;
    return 0;
}

int df__suite_merge_open(const char *plan,
                         char **parts,
                         int nparts,
                         const char ***names,
                         int *quick)
{
    int n = 0;

    ctx.plan = plan;
    if (read_plan(quick) < 0 ||
        !(ctx.names = calloc((size_t)ctx.ng + 1, sizeof *ctx.names)))
        return -2;
    *names = ctx.names;
    for (int k = 0; k < ctx.ng; k++) {
        group *g = &ctx.g[k];

        g->parts = calloc((size_t)nparts + 1, sizeof *g->parts);
        g->items = calloc((size_t)nparts + 1, sizeof *g->items);
        if (!g->parts || !g->items) {
            fprintf(stderr, WHO ": out of memory\n");
            return -2;
        }
        if (k == 0 || strcmp(ctx.g[k - 1].suite, g->suite) != 0)
            ctx.names[n++] = g->suite;
    }
    for (int i = 0; i < nparts; i++)
        if (add_part(parts[i]) < 0)
            return -2;
    return n;
}

int df__suite_merge_runs(const char *name)
{
    int n = 0;

    for (int k = 0; k < ctx.ng; k++)
        n += strcmp(ctx.g[k].suite, name) == 0;
    return n;
}

/* Names the lines of g no part measured. Returns how many. */
static int say_missing(const group *g)
{
    char buf[256] = "";
    size_t at = 0;
    int count = 0;

    for (int item = 1; item <= g->nitems; item++) {
        int found = 0;

        for (int k = 0; k < g->nparts && !found; k++)
            found = g->items[k] == item;
        if (found)
            continue;
        if (at < sizeof buf)
            at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%d",
                                   count ? ", " : "", g->first + item - 1);
        count++;
    }
    if (count)
        fprintf(stderr,
                WHO ": %s run %d/%d: %d of %d items missing, lines %s of "
                    "%s: measure them and merge again\n",
                g->suite, g->run, g->runs, count, g->nitems, buf, ctx.plan);
    return count;
}

/* g has no part: its file holds no point and says "complete": false. */
static int write_empty(int argc, char **argv, const char *out)
{
    json_t *doc = df_results_new(argc, argv);
    df_err err = { 0 };

    if (!doc || df_results_write(doc, out, &err) < 0) {
        fprintf(stderr, WHO ": %s\n", doc ? err.msg : "out of memory");
        json_decref(doc);
        return 2;
    }
    json_decref(doc);
    return 1;
}

/* 0 when ARGS (argv[1 .. argc)) still expand to g's plan, else 2 after
 * one line: the suite file or duckfeed changed since the plan. */
static int same_plan(const group *g, int argc, char **argv)
{
    json_t *args = df__planfile_args(argc, argv);
    df_planfile *pf = NULL;
    int rc = args ? df__planfile_make(args, WHO, &pf) : 2;

    if (rc == 0 && strcmp(pf->id, g->id) != 0) {
        fprintf(stderr,
                WHO ": %s: %s run %d is plan %s, but this duckfeed's %s "
                    "suite runs plan %s there (the suite file or duckfeed "
                    "changed since)\n",
                ctx.plan, g->suite, g->run, g->id, g->suite, pf->id);
        rc = 2;
    }
    json_decref(args);
    df__planfile_destroy(pf);
    return rc;
}

int df__suite_merge_run(int argc, char **argv)
{
    group *g = ctx.next < ctx.ng ? &ctx.g[ctx.next++] : NULL;
    const char *out = argv[argc - 2];
    char **margv;
    int rc, n = 0;

    /* run.c's call: "run" ARGS "--out" TMP "--part". */
    DF_CHECK(argc >= 4 && !strcmp(argv[argc - 3], "--out") &&
             !strcmp(argv[argc - 1], "--part"));
    DF_CHECK(g != NULL); /* suite.c checked each suite's count of runs */
    if ((rc = same_plan(g, argc - 3, argv)) != 0)
        return rc;
    if (g->nparts == 0) {
        say_missing(g);
        return write_empty(argc - 3, argv, out);
    }
    if (!(margv = calloc((size_t)g->nparts + 5, sizeof *margv))) {
        fprintf(stderr, WHO ": out of memory\n");
        return 2;
    }
    margv[n++] = "merge";
    margv[n++] = "--quiet";
    margv[n++] = "--out";
    margv[n++] = (char *)out;
    for (int k = 0; k < g->nparts; k++)
        margv[n++] = g->parts[k];
    rc = df_merge_main(n, margv);
    free(margv);
    if (rc != 2 && say_missing(g) > 0)
        rc = 1;
    return rc;
}

void df__suite_merge_close(void)
{
    for (int k = 0; k < ctx.ng; k++) {
        free(ctx.g[k].parts);
        free(ctx.g[k].items);
    }
    free(ctx.g);
    free(ctx.names);
    json_decref(ctx.lines);
    memset(&ctx, 0, sizeof ctx);
}
