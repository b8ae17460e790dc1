/* harness/cli/merge.c - `duckfeed merge`: the parts of a plan, measured
 * anywhere, folded into one results file (#16).
 *
 * Every part names its plan (id and arguments). Merge expands those
 * arguments again, refuses a part of another plan, reports items missing
 * or given twice, and folds each point's repetitions with the sweep's own
 * code (sweep.c), so a merged file reads like a direct run's. It does not
 * average across machines: a point whose repetitions ran on different
 * hosts becomes one point per host, each saying its "machine", and the
 * report groups points by machine when they differ. */
#include "harness/cli/merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/plan_file.h"
#include "harness/store/results.h"

#define WHO "duckfeed merge"

static const char usage[] =
    "usage: duckfeed merge [--plan FILE] [--force] [--quiet] --out "
    "RESULTS.json PART...\n"
    "Folds the parts written by `duckfeed run --plan-item` into one results\n"
    "file, as the single-machine sweep would have written it. Refuses parts\n"
    "of another plan (of FILE, when given; else of the first part), names\n"
    "missing and duplicate items, keeps each host's repetitions apart.\n"
    "--quiet says nothing unless it refuses (the exit status still tells).\n"
    "Exit: 0 every item merged, 1 written but incomplete (\"complete\":\n"
    "false), 2 refused (one line says why).\n";

typedef struct merge {
    const char *plan_path, *out;
    int force, quiet; /* quiet: no line unless refused */
    char **paths;     /* the parts as named */
    int nparts;
    json_t **parts;   /* [nparts] */
    df_planfile *pf;  /* the plan they belong to */
    int *at;          /* [item]: index of its part, -1 while missing */
    json_t *dups;     /* items given more than once */
    json_t *machines; /* distinct machines, in item order */
} merge;

/* 0, -1 (--help printed) or 2 after one line. */
static int parse_args(merge *m, int argc, char **argv)
{
    m->paths = calloc((size_t)argc, sizeof *m->paths);
    if (!m->paths)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return -1;
        } else if (!strcmp(a, "--force")) {
            m->force = 1;
        } else if (!strcmp(a, "--quiet")) {
            m->quiet = 1;
        } else if ((!strcmp(a, "--out") || !strcmp(a, "--plan")) &&
                   i + 1 < argc) {
            *(a[2] == 'o' ? &m->out : &m->plan_path) = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, WHO ": unknown option \"%s\" (see --help)\n", a);
            return 2;
        } else {
            m->paths[m->nparts++] = argv[i];
        }
    }
    if (!m->out || m->nparts == 0) {
        fprintf(stderr, WHO ": give --out FILE and at least one part\n");
        return 2;
    }
    return 0;
}

/* Loads every part and checks its shape. 0 or 2 after one line. */
static int load_parts(merge *m)
{
    m->parts = calloc((size_t)m->nparts, sizeof *m->parts);
    if (!m->parts)
        return 2;
    for (int i = 0; i < m->nparts; i++) {
        json_error_t jerr;
        json_t *p = json_load_file(m->paths[i], JSON_REJECT_DUPLICATES, &jerr);
        const char *schema = json_string_value(json_object_get(p, "schema"));
        json_t *plan = json_object_get(p, "plan");

        m->parts[i] = p;
        if (!p) {
            fprintf(stderr, WHO ": %s: %s\n", m->paths[i], jerr.text);
            return 2;
        }
        if (!schema || strcmp(schema, DF_PART_SCHEMA) ||
            !json_is_string(json_object_get(plan, "id")) ||
            !json_is_integer(json_object_get(plan, "item")) ||
            !json_is_object(json_object_get(p, "record")) ||
            !json_is_object(json_object_get(p, "machine"))) {
            fprintf(stderr,
                    WHO ": %s: not a part (%s) of duckfeed run "
                        "--plan-item\n",
                    m->paths[i], DF_PART_SCHEMA);
            return 2;
        }
    }
    return 0;
}

static const char *part_plan(const json_t *part)
{
    return json_string_value(
        json_object_get(json_object_get(part, "plan"), "id"));
}

/* The plan: the --plan file's, else the first part's; every part must be
 * of it (#16: mixed plans are refused). 0 or 2 after one line. */
static int find_plan(merge *m)
{
    json_t *line = NULL, *args;
    const char *id;
    int rc;

    if (m->plan_path &&
        (rc = df__planfile_read_line(m->plan_path, 1, WHO, &line)) != 0)
        return rc;
    id = line ? json_string_value(json_object_get(line, "plan"))
              : part_plan(m->parts[0]);
    args = line ? json_object_get(line, "args")
                : json_object_get(json_object_get(m->parts[0], "plan"), "args");
    for (int i = 0; id && i < m->nparts; i++)
        if (strcmp(part_plan(m->parts[i]), id) != 0) {
            fprintf(stderr,
                    WHO ": %s is a part of plan %s, not of plan %s (%s): "
                        "parts of different plans are not merged\n",
                    m->paths[i], part_plan(m->parts[i]), id,
                    m->plan_path ? m->plan_path : m->paths[0]);
            json_decref(line);
            return 2;
        }
    rc = id ? df__planfile_make(args, WHO, &m->pf) : 2;
    if (rc == 0 && strcmp(m->pf->id, id) != 0) {
        fprintf(stderr,
                WHO ": plan %s expands to %s here: made by another duckfeed "
                    "version, or edited\n",
                id, m->pf->id);
        rc = 2;
    }
    if (!id)
        fprintf(stderr, WHO ": %s: no plan id\n", m->plan_path);
    json_decref(line);
    return rc;
}

/* Places each part at its item; the first of a duplicate is kept. 0 or 2
 * after one line. */
static int place_parts(merge *m)
{
    m->at = malloc(((size_t)m->pf->nitems + 1) * sizeof *m->at);
    m->dups = json_array();
    m->machines = json_array();
    if (!m->at || !m->dups || !m->machines)
        return 2;
    for (int n = 0; n <= m->pf->nitems; n++)
        m->at[n] = -1;
    for (int i = 0; i < m->nparts; i++) {
        json_t *p = m->parts[i];
        json_int_t n = json_integer_value(
            json_object_get(json_object_get(p, "plan"), "item"));
        df_sweep_slot s = n >= 1 && n <= m->pf->nitems
                              ? m->pf->runs[n - 1]
                              : (df_sweep_slot){ -1, -1 };

        if (s.point < 0 ||
            json_integer_value(json_object_get(p, "point")) != s.point ||
            json_integer_value(json_object_get(p, "repetition")) != s.rep) {
            fprintf(stderr, WHO ": %s: item %lld is not that of its plan\n",
                    m->paths[i], (long long)n);
            return 2;
        }
        if (m->at[n] >= 0) {
            fprintf(stderr, WHO ": item %lld given twice (%s, %s): %s kept\n",
                    (long long)n, m->paths[m->at[n]], m->paths[i],
                    m->paths[m->at[n]]);
            json_array_append_new(m->dups, json_integer(n));
            continue;
        }
        m->at[n] = i;
    }
    return 0;
}

static const char *host_of(const json_t *part)
{
    const char *h = json_string_value(
        json_object_get(json_object_get(part, "machine"), "hostname"));

    return h ? h : "unknown";
}

/* Index of host in m->machines, adding its machine when new. */
static size_t machine_index(merge *m, const json_t *part)
{
    size_t i;
    json_t *mc;

    json_array_foreach(m->machines, i, mc)
    {
        if (!strcmp(json_string_value(json_object_get(mc, "hostname")),
                    host_of(part)))
            return i;
    }
    json_array_append(m->machines, json_object_get(part, "machine"));
    return json_array_size(m->machines) - 1;
}

/* Folds point pi's repetitions, one record per machine, onto points.
 * 0 or 2 (out of memory). */
static int fold_point(merge *m, int pi, json_t *points)
{
    int repeat = m->pf->o.repeat, n = 0;
    json_t *recs[DF_PLAN_MAX_REPEAT];
    int index[DF_PLAN_MAX_REPEAT], order[DF_PLAN_MAX_REPEAT];
    size_t host[DF_PLAN_MAX_REPEAT];

    int item_of[DF_PLAN_MAX_REPEAT] = { 0 };

    for (int item = 1; item <= m->pf->nitems; item++)
        if (m->pf->runs[item - 1].point == pi && m->at[item] >= 0)
            item_of[m->pf->runs[item - 1].rep] = item;
    /* By repetition index, as a sweep lists them. */
    for (int r = 0; r < repeat; r++) {
        int item = item_of[r];

        if (!item)
            continue;
        recs[n] = json_object_get(m->parts[m->at[item]], "record");
        index[n] = r;
        order[n] = item - 1;
        host[n++] = machine_index(m, m->parts[m->at[item]]);
    }
    DF_CHECK(n <= repeat);
    for (size_t h = 0; h < json_array_size(m->machines); h++) {
        json_t *g[DF_PLAN_MAX_REPEAT];
        int gi[DF_PLAN_MAX_REPEAT], go[DF_PLAN_MAX_REPEAT], k = 0;

        for (int r = 0; r < n; r++)
            if (host[r] == h) {
                g[k] = recs[r];
                gi[k] = index[r];
                go[k++] = order[r];
            }
        if (k == 0)
            continue;
        json_t *rec = df__sweep_fold(&m->pf->p.pts[pi], g, gi, go, k);
        if (!rec)
            return 2;
        json_object_set_new(rec, "machine",
                            json_incref(json_object_get(
                                json_array_get(m->machines, h), "hostname")));
        json_array_append_new(points, rec);
    }
    return 0;
}

/* The missing items as "3, 5-7", and how many. */
static int missing_items(const merge *m, char *buf, size_t len, json_t *list)
{
    int count = 0;
    size_t at = 0;

    buf[0] = '\0';
    for (int n = 1; n <= m->pf->nitems; n++) {
        if (m->at[n] >= 0)
            continue;
        int last = n;

        while (last < m->pf->nitems && m->at[last + 1] < 0)
            last++;
        for (int k = n; k <= last; k++)
            json_array_append_new(list, json_integer(k));
        if (at < len)
            at += (size_t)snprintf(buf + at, len - at, "%s%d",
                                   count ? ", " : "", n);
        if (last > n && at < len)
            at += (size_t)snprintf(buf + at, len - at, "-%d", last);
        count += last - n + 1;
        n = last;
    }
    return count;
}

/* The merged document: a results file as the sweep writes it, plus
 * "plan" (id, items, missing, duplicates) and "machines". */
static json_t *merged_doc(merge *m, int *missing, char *miss, size_t len)
{
    size_t nargs = json_array_size(m->pf->args);
    json_t *doc = NULL, *points = json_array(), *list = json_array();
    /* The command is the one that made the plan: duckfeed run ARGS. */
    char **argv = calloc(nargs + 2, sizeof *argv);
    int argc = 0;

    if (argv) {
        argv[argc++] = "duckfeed";
        argv[argc++] = "run";
        for (size_t i = 0; i < nargs; i++)
            argv[argc++] =
                (char *)json_string_value(json_array_get(m->pf->args, i));
    }
    doc = argv ? df_results_new(argc, argv) : NULL;
    free(argv);
    for (int pi = 0; doc && points && pi < m->pf->p.n; pi++)
        if (fold_point(m, pi, points) != 0)
            goto fail;
    if (!doc || !points || !list)
        goto fail;
    *missing = missing_items(m, miss, len, list);
    json_object_set_new(doc, "points", points);
    json_object_set_new(doc, "seed", json_integer((json_int_t)m->pf->o.seed));
    json_object_set_new(doc, "complete", json_boolean(*missing == 0));
    json_object_set(doc, "machine", json_array_get(m->machines, 0));
    json_object_set(doc, "machines", m->machines);
    json_object_set(doc, "started", json_object_get(m->parts[0], "started"));
    json_object_set_new(doc, "plan",
                        json_pack("{s:s,s:i,s:i,s:o,s:O}", "id", m->pf->id,
                                  "items", m->pf->nitems, "merged",
                                  m->pf->nitems - *missing, "missing", list,
                                  "duplicates", m->dups));
    return doc;
fail:
    json_decref(doc);
    json_decref(points);
    json_decref(list);
    return NULL;
}

/* Writes the merged file and says what it holds. 0, 1 or 2. */
static int write_out(merge *m)
{
    char miss[256];
    int missing = 0, rc;
    df_results_lock *lk = NULL;
    df_err err = { 0 };
    json_t *doc = merged_doc(m, &missing, miss, sizeof miss);

    if (!doc) {
        fprintf(stderr, WHO ": out of memory\n");
        return 2;
    }
    if (df_results_acquire(m->out, m->force, &lk, &err) < 0 ||
        df_results_write(doc, m->out, &err) < 0) {
        fprintf(stderr, WHO ": --out %s\n", err.msg);
        rc = 2;
    } else if (missing) {
        if (!m->quiet)
            fprintf(stderr,
                    WHO ": missing %d of %d items (%s): %s says \"complete\": "
                        "false\n",
                    missing, m->pf->nitems, miss, m->out);
        rc = 1;
    } else {
        if (!m->quiet)
            printf("merged %d items of plan %s (%zu machine%s) into %s\n",
                   m->pf->nitems, m->pf->id, json_array_size(m->machines),
                   json_array_size(m->machines) == 1 ? "" : "s", m->out);
        rc = 0;
    }
    if (rc != 2 && !m->quiet && json_array_size(m->machines) > 1)
        fprintf(stderr,
                WHO ": measured on %zu machines: each point keeps its "
                    "\"machine\", none is averaged across them\n",
                json_array_size(m->machines));
    df_results_release(lk);
    json_decref(doc);
    return rc;
}

int df_merge_main(int argc, char **argv)
{
    merge m = { 0 };
    int rc = parse_args(&m, argc, argv);

    if (rc == 0)
        rc = load_parts(&m);
    if (rc == 0)
        rc = find_plan(&m);
    if (rc == 0)
        rc = place_parts(&m);
    if (rc == 0)
        rc = write_out(&m);
    for (int i = 0; m.parts && i < m.nparts; i++)
        json_decref(m.parts[i]);
    free(m.parts);
    free(m.paths);
    free(m.at);
    json_decref(m.dups);
    json_decref(m.machines);
    df__planfile_destroy(m.pf);
    return rc < 0 ? 0 : rc;
}
