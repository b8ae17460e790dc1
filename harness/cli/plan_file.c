/* harness/cli/plan_file.c - a sweep's plan as JSON Lines, and one item of it
 * measured alone (#16).
 *
 * A line holds everything an item needs: the arguments of the `duckfeed
 * run` that made the plan, which repetition of which point the item is,
 * its seed and identity, and the command that measures it. The machine
 * running an item parses those arguments again and expands them with the
 * sweep's own code (plan.c, then sweep.c's order), so an item is measured
 * exactly as the single-machine sweep would measure it: same point, same
 * repetition, same seed. The plan's id is a hash of every item; a line
 * whose id its arguments no longer produce (another duckfeed version, an
 * edited file) is refused instead of measuring something else. */
#include "harness/cli/plan_file.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/run.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME  1099511628211ULL

json_t *df__planfile_args(int argc, char **argv)
{
    json_t *a = json_array();

    for (int i = 1; a && i < argc; i++)
        if (json_array_append_new(a, json_string(argv[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

void df__planfile_destroy(df_planfile *pf)
{
    if (!pf)
        return;
    free(pf->p.pts);
    free(pf->runs);
    free(pf->argv);
    json_decref(pf->args);
    free(pf);
}

/* An item's line without what depends on the file ("command") or is
 * derived from every line ("plan"): what the id hashes. */
static json_t *item_json(const df_planfile *pf, int item)
{
    df_sweep_slot s = pf->runs[item - 1];
    df_point_cfg pc = df__sweep_repetition(&pf->o, &pf->p, s);

    return json_pack("{s:i,s:i,s:i,s:i,s:I,s:o,s:O}", "item", item, "items",
                     pf->nitems, "point", s.point, "repetition", s.rep, "seed",
                     (json_int_t)pc.seed, "identity",
                     df_point_identity_json(&pc), "args", pf->args);
}

/* Expands pf->o into points and items and hashes them into pf->id. 0 or
 * 2 after one line on stderr. */
static int build(df_planfile *pf, const char *who)
{
    int64_t n = df__plan_count(&pf->o);
    uint64_t h = FNV_OFFSET;
    int rc;

    if (n > DF_PLAN_MAX_POINTS || n * pf->o.repeat > INT_MAX) {
        fprintf(stderr, "%s: too many points (%lld)\n", who, (long long)n);
        return 2;
    }
    if ((rc = df__plan_expand(&pf->o, &pf->p)) < 0)
        goto nomem;
    pf->nitems = pf->p.n * pf->o.repeat;
    pf->runs = calloc((size_t)pf->nitems + 1, sizeof *pf->runs);
    if (!pf->runs)
        goto nomem;
    df__sweep_order(pf->runs, pf->nitems, pf->o.repeat, pf->o.seed);
    for (int i = 1; i <= pf->nitems; i++) {
        json_t *j = item_json(pf, i);
        char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        json_decref(j);
        if (!text)
            goto nomem;
        for (const unsigned char *c = (const unsigned char *)text; *c; c++)
            h = (h ^ *c) * FNV_PRIME;
        free(text);
    }
    snprintf(pf->id, sizeof pf->id, "%016llx", (unsigned long long)h);
    return 0;
nomem:
    fprintf(stderr, "%s: out of memory\n", who);
    return 2;
}

int df__planfile_make(json_t *args, const char *who, df_planfile **out)
{
    df_planfile *pf = calloc(1, sizeof *pf);
    size_t n = json_array_size(args);
    int rc = 2;

    if (!pf || !(pf->argv = calloc(n + 2, sizeof *pf->argv))) {
        fprintf(stderr, "%s: out of memory\n", who);
        goto fail;
    }
    pf->args = json_incref(args);
    pf->argv[0] = "run";
    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(json_array_get(args, i));

        if (!a) {
            fprintf(stderr, "%s: the plan's \"args\" are not strings\n", who);
            goto fail;
        }
        pf->argv[i + 1] = (char *)a; /* getopt moves pointers, not text */
    }
    if ((rc = df__run_parse((int)n + 1, pf->argv, &pf->o)) != 0) {
        fprintf(stderr, "%s: the plan's arguments are refused (above)\n", who);
        rc = 2;
        goto fail;
    }
    if (pf->o.plan_item) {
        fprintf(stderr, "%s: the plan's arguments name a --plan-item\n", who);
        goto fail;
    }
    if ((rc = build(pf, who)) != 0)
        goto fail;
    *out = pf;
    return 0;
fail:
    df__planfile_destroy(pf);
    return rc;
}

/* path as one shell word. */
static void shell_word(const char *path, char *buf, size_t len)
{
    if (strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-_=:,./+@%") == strlen(path))
        snprintf(buf, len, "%s", path);
    else if (!strchr(path, '\''))
        snprintf(buf, len, "'%s'", path);
    else
        snprintf(buf, len, "\"%s\"", path); /* rare; told in DISTRIBUTED.md */
}

json_t *df__planfile_line(const df_planfile *pf,
                          int item,
                          const char *path,
                          int at)
{
    json_t *line = item_json(pf, item), *out = json_object();
    char word[PATH_MAX + 3], cmd[2 * PATH_MAX];

    shell_word(path, word, sizeof word);
    snprintf(cmd, sizeof cmd,
             "duckfeed run --plan-item %s:%d --out part-%d.json", word, at, at);
    /* "plan" first, so a reader (or head -c) sees which plan a line is. */
    if (!line || !out ||
        json_object_set_new(out, "plan", json_string(pf->id)) ||
        json_object_update(out, line) ||
        json_object_set_new(out, "command", json_string(cmd))) {
        json_decref(out);
        out = NULL;
    }
    json_decref(line);
    return out;
}

int df__planfile_dump(const df_planfile *pf,
                      FILE *f,
                      const char *path,
                      int first,
                      json_t *tag)
{
    int bad = 0;

    for (int i = 1; i <= pf->nitems && !bad; i++) {
        json_t *line = df__planfile_line(pf, i, path, first + i - 1);

        bad = !line || (tag && json_object_set(line, "suite", tag)) ||
              json_dumpf(line, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF;
        json_decref(line);
    }
    return bad ? -1 : 0;
}

FILE *df__planfile_open(const char *path, const char *who)
{
    char tmp[PATH_MAX];
    FILE *f;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        fprintf(stderr, "%s: --plan %s: %s\n", who, tmp, strerror(errno));
    return f;
}

int df__planfile_close(FILE *f, int bad, const char *path, const char *who)
{
    char tmp[PATH_MAX];

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    errno = 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: --plan %s: %s\n", who, path,
                errno ? strerror(errno) : "cannot write");
        unlink(tmp);
        return 2;
    }
    return 0;
}

/* Writes every line of pf to path (through a temporary file, renamed:
 * a half-written plan is never there). 0 or 2 after one line. */
static int write_lines(const df_planfile *pf, const char *path)
{
    FILE *f = df__planfile_open(path, "duckfeed run");

    if (!f)
        return 2;
    return df__planfile_close(f, df__planfile_dump(pf, f, path, 1, NULL), path,
                              "duckfeed run");
}

int df__planfile_write_main(df_run_opts *o, json_t *args)
{
    df_planfile *pf = calloc(1, sizeof *pf);
    int rc = 2;

    if (!pf) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        return 2;
    }
    /* Parsed already (its plugins loaded): build from o, not from args
     * again, which would load each plugin twice. */
    pf->o = *o;
    pf->args = json_incref(args);
    if ((rc = build(pf, "duckfeed run")) == 0 &&
        (rc = write_lines(pf, o->plan)) == 0 && !o->quiet)
        printf("plan %s: %d items (%d points x %d repetitions) in %s\n"
               "run each: duckfeed run --plan-item %s:N --out part-N.json\n"
               "then:     duckfeed merge --out RESULTS.json part-*.json\n",
               pf->id, pf->nitems, pf->p.n, pf->o.repeat, o->plan, o->plan);
    df__planfile_destroy(pf);
    return rc;
}

int df__planfile_read_line(const char *path,
                           long n,
                           const char *who,
                           json_t **out)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0;
    long at = 0;
    json_error_t jerr;

    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
        return 2;
    }
    while (at < n && getline(&buf, &cap, f) >= 0)
        at++;
    fclose(f);
    *out = at == n ? json_loads(buf, 0, &jerr) : NULL;
    free(buf);
    if (at < n) {
        fprintf(stderr, "%s: %s: no item %ld (%ld lines)\n", who, path, n, at);
        return 2;
    }
    if (!*out) {
        fprintf(stderr, "%s: %s: line %ld: %s\n", who, path, n, jerr.text);
        return 2;
    }
    return 0;
}

/* "FILE:N" into its file and N >= 1. 0 or 2 after one line. */
static int split_item(const char *spec, char *path, size_t len, long *n)
{
    const char *colon = strrchr(spec, ':');
    char *end;

    if (colon) {
        errno = 0;
        *n = strtol(colon + 1, &end, 10);
    }
    if (!colon || colon == spec || errno || end == colon + 1 || *end ||
        *n < 1 || (size_t)(colon - spec) >= len) {
        fprintf(stderr,
                "duckfeed run: --plan-item \"%s\" is not FILE:N (N >= 1)\n",
                spec);
        return 2;
    }
    snprintf(path, len, "%.*s", (int)(colon - spec), spec);
    return 0;
}

/* SIGINT/SIGTERM (a cancelled job): kill the point's child group, write
 * no part - a killed repetition is not a measurement. */
static volatile sig_atomic_t item_signal;

static void on_item_signal(int sig)
{
    item_signal = sig;
    df_runner_interrupt();
}

/* The part of item: this machine, the plan it belongs to, the raw record
 * of the repetition; merge folds them as a sweep would. */
static json_t *part_json(const df_planfile *pf,
                         int item,
                         json_t *rec,
                         const json_t *line,
                         int argc,
                         char **argv)
{
    df_sweep_slot s = pf->runs[item - 1];
    json_t *doc, *tag = json_object_get(line, "suite");

    doc = df_results_new(argc, argv);
    /* #16: a suite's item says which suite and run it belongs to, so
     * `duckfeed suite --merge` gives it to that run. */
    if (!doc || (tag && json_object_set(doc, "suite", tag)) ||
        json_object_set_new(doc, "schema", json_string(DF_PART_SCHEMA)) ||
        json_object_del(doc, "complete") || json_object_del(doc, "points") ||
        json_object_set_new(doc, "plan",
                            json_pack("{s:s,s:i,s:i,s:O}", "id", pf->id, "item",
                                      item, "items", pf->nitems, "args",
                                      pf->args)) ||
        json_object_set_new(doc, "point", json_integer(s.point)) ||
        json_object_set_new(doc, "repetition", json_integer(s.rep)) ||
        json_object_set(doc, "record", rec)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Measures item n of pf, given by line, and writes its part to out. 0,
 * 1, 2 or 128 + a signal (see plan_file.h). */
static int measure(const df_planfile *pf,
                   long n,
                   const json_t *line,
                   const df_run_opts *o,
                   int argc,
                   char **argv)
{
    df_point_cfg pc = df__sweep_repetition(&pf->o, &pf->p, pf->runs[n - 1]);
    struct sigaction sa = { .sa_handler = on_item_signal };
    df_results_lock *lk = NULL;
    json_t *rec = NULL, *part = NULL;
    df_err err = { 0 };
    int rc;

    if (df_results_acquire(o->out, o->force, &lk, &err) < 0) {
        fprintf(stderr, "duckfeed run: --out %s\n", err.msg);
        return 2;
    }
    sigemptyset(&sa.sa_mask);
    DF_CHECK(sigaction(SIGINT, &sa, NULL) == 0);
    DF_CHECK(sigaction(SIGTERM, &sa, NULL) == 0);
    if (!o->quiet)
        fprintf(stderr,
                "duckfeed run: item %ld of %d: point %d, repetition "
                "%d of %d\n",
                n, pf->nitems, pf->runs[n - 1].point + 1,
                pf->runs[n - 1].rep + 1, pf->o.repeat);
    rc = df_runner_run(&pc, df__sweep_timeout_ns(&pf->o, &pc), &rec, &err);
    if (item_signal)
        rc = DF_SWEEP_EXIT_SIGNALED + item_signal;
    else if (rc < 0) {
        fprintf(stderr, "duckfeed run: %s\n", err.msg);
        rc = 2;
    } else if (!(part = part_json(pf, (int)n, rec, line, argc, argv))) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        rc = 2;
    } else if (df_results_write(part, o->out, &err) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", err.msg);
        rc = 2;
    } else if (!o->quiet) {
        printf("part: %s (%s)\n", o->out, rc ? "point failed" : "ok");
    }
    json_decref(rec);
    json_decref(part);
    df_results_release(lk);
    return rc;
}

int df__planfile_run_item(const df_run_opts *o, int argc, char **argv)
{
    char path[PATH_MAX];
    long n, item;
    json_t *line = NULL;
    df_planfile *pf = NULL;
    const char *id;
    int rc;

    if ((rc = split_item(o->plan_item, path, sizeof path, &n)) != 0 ||
        (rc = df__planfile_read_line(path, n, "duckfeed run", &line)) != 0)
        return rc;
    if ((rc = df__planfile_make(json_object_get(line, "args"), "duckfeed run",
                                &pf)) != 0)
        goto out;
    id = json_string_value(json_object_get(line, "plan"));
    /* A sweep's line N is its item N; a suite's plan is its runs' plans
     * one after another, so there the line says which item it is. */
    item = (long)json_integer_value(json_object_get(line, "item"));
    if (!id || strcmp(id, pf->id) != 0 || item < 1 || item > pf->nitems ||
        (!json_object_get(line, "suite") && item != n)) {
        fprintf(stderr,
                "duckfeed run: %s: line %ld is not item %ld of plan %s "
                "as this duckfeed expands its arguments (another version, "
                "or an edited file)\n",
                path, n, item, id ? id : "?");
        rc = 2;
        goto out;
    }
    rc = measure(pf, item, line, o, argc, argv);
out:
    json_decref(line);
    df__planfile_destroy(pf);
    return rc;
}
