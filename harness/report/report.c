#define _GNU_SOURCE /* realpath */
/* harness/report/report.c - REPORT.md and the terminal summary, every claim
 * computed from the measured points (see report.h for the claim form). */
#include "harness/report/report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/claim.h"
#include "harness/store/resfile.h"
#include "models/model.h"

typedef struct seg {
    double t0, t1;
} seg;

/* Most intervals covering one instant (start <= t < end). */
static int max_overlap(const seg *s, int n)
{
    int i, j, best = 0;

    for (i = 0; i < n; i++) {
        int c = 0;

        for (j = 0; j < n; j++)
            c += s[j].t0 <= s[i].t0 && s[i].t0 < s[j].t1;
        best = c > best ? c : best;
    }
    return best;
}

/* From a trace: the most requests running at one instant (parallelism) and
 * the most in progress at one instant (concurrency). -1 if no trace. */
static void trace_overlap(const json_t *trace, int *running, int *inflight)
{
    size_t n = json_array_size(trace), i, k;
    seg *run = calloc(n + 1, sizeof *run), *life = calloc(n + 1, sizeof *life);
    int nr = 0, nl = 0;

    *running = *inflight = -1;
    /* Quadratic scans: a trace of a short --requests run is small. */
    if (!run || !life || n == 0 || n > 4000)
        goto out;
    /* Events are in time order per request (the runner appends them as
     * they happen); a state lasts until the request's next event. */
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get(trace, i);
        double req = df_resfile_num(e, "request", -1);
        double t = df_resfile_num(e, "t_us", NAN), first = t, next = NAN;
        int is_first = 1;

        for (k = 0; k < i; k++)
            if (df_resfile_num(json_array_get(trace, k), "request", -2) == req)
                is_first = 0;
        for (k = i + 1; k < n && isnan(next); k++)
            if (df_resfile_num(json_array_get(trace, k), "request", -2) == req)
                next = df_resfile_num(json_array_get(trace, k), "t_us", NAN);
        if (!strcmp(df_resfile_str(e, "state", ""), "run") && !isnan(next))
            run[nr++] = (seg){ t, next };
        if (is_first) {
            double last = first;

            for (k = i; k < n; k++)
                if (df_resfile_num(json_array_get(trace, k), "request", -2) ==
                    req)
                    last =
                        df_resfile_num(json_array_get(trace, k), "t_us", last);
            life[nl++] = (seg){ first, last };
        }
    }
    *running = max_overlap(run, nr);
    *inflight = max_overlap(life, nl);
out:
    free(run);
    free(life);
}

static int has_trace(const json_t *doc)
{
    const json_t *points = json_object_get(doc, "points");
    size_t i;

    for (i = 0; i < json_array_size(points); i++)
        if (json_array_size(
                json_object_get(json_array_get(points, i), "trace")) > 0)
            return 1;
    return 0;
}

/* The signal that stopped the suite whose results doc holds ("SIGINT"),
 * NULL when it ran to its end. #12: no claim is computed from such a
 * file: a comparison of the points that happened to finish first is no
 * lesson, and a partial run once read "does NOT hold here". */
static const char *interrupted_by(const json_t *doc)
{
    return df_resfile_str(doc, "interrupted", NULL);
}

/* The section of a suite stopped by sig: what finished, no claims. */
static void interrupted_section(FILE *f, const json_t *doc, const char *sig)
{
    const json_t *ex = json_object_get(doc, "examples");
    size_t n = json_array_size(
        json_is_array(ex) ? ex : json_object_get(doc, "points"));

    fprintf(f,
            "**Interrupted** (%s) after %zu %s finished: this suite did "
            "not run to its end, so no claim is computed from it. Run "
            "`%s` again for its lesson.\n\n",
            sig, n, json_is_array(ex) ? "examples" : "points",
            df_resfile_str(doc, "command", "duckfeed suite"));
}

int df__report_load_note(const json_t *doc, char *buf, size_t len)
{
    const json_t *ml = json_object_get(doc, "machine_load");
    double load = df_resfile_num(ml, "loadavg_1m", -1);
    double others = df_resfile_num(ml, "others_cores", 0);
    double steal = df_resfile_num(ml, "steal_pct", 0);
    int cores = (int)df_resfile_num(ml, "cores", 0);
    int busy = json_is_true(json_object_get(ml, "busy"));

    buf[0] = '\0';
    if (!json_is_object(ml))
        return 0;
    if (busy)
        snprintf(buf, len,
                 "the machine was busy (load %.1f on %d cores, steal %.1f%%; "
                 "other processes used %.2f cores on average): claims may "
                 "not hold",
                 load, cores, steal, others);
    else
        snprintf(buf, len,
                 "the machine was quiet enough (load %.1f on %d cores, steal "
                 "%.1f%%; other processes used %.2f cores on average)",
                 load, cores, steal, others);
    return busy;
}

/* The load note as a line after prefix, if the file has one. */
static void load_line(FILE *f, const json_t *doc, const char *prefix)
{
    char note[256];
    int busy = df__report_load_note(doc, note, sizeof note);

    if (note[0])
        fprintf(f, "%s%s%s%s\n", prefix, busy ? "**" : "", note,
                busy ? "**" : "");
}

/* The computed claims of one suite, one per line, each after prefix. */
static void claims(FILE *f, const json_t *doc, const char *prefix)
{
    const json_t *list =
        df_resfile_str(doc, "schema", NULL)
            ? json_object_get(json_object_get(doc, "suite"), "claims")
            : NULL;
    const json_t *points = json_object_get(doc, "points");
    char d[128];
    size_t i;

    for (i = 0; i < json_array_size(list); i++) {
        df_claim_result r;

        df_claim_eval(doc, json_array_get(list, i), &r);
        fprintf(f, "%s%s\n", prefix, r.text);
    }
    for (i = 0; has_trace(doc) && i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);
        int running, inflight;

        trace_overlap(json_object_get(pt, "trace"), &running, &inflight);
        if (running < 0)
            continue;
        df_claim_describe(pt, d, sizeof d);
        fprintf(f,
                "%s`%s` ran at most %d request%s at the same instant "
                "(parallelism) and had up to %d in progress at once "
                "(concurrency)\n",
                prefix, d, running, running == 1 ? "" : "s", inflight);
    }
}

/* #12: " (2 of 3 repetitions)" for a point an interrupted sweep folded
 * from fewer repetitions than asked, else "". */
static const char *partial_note(const json_t *pt, char *buf, size_t len)
{
    double done = df_resfile_num(pt, "repetitions_done", NAN);
    double asked = df_resfile_num(pt, "repeat", NAN);

    buf[0] = '\0';
    if (done < asked)
        snprintf(buf, len, " (%.0f of %.0f repetitions)", done, asked);
    return buf;
}

/* A figure for people: three significant digits without an exponent
 * (1160, 12.5, 0.0421), "≥" before it when it is a lower bound. */
static const char *figure(double v, int lower, char *buf, size_t len)
{
    const char *ge = lower ? "≥" : "";
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (fabs(v) >= 100 || v == 0)
        snprintf(buf, len, "%s%.0f", ge, v);
    else if (fabs(v) >= 10)
        snprintf(buf, len, "%s%.1f", ge, v);
    else
        snprintf(buf, len, "%s%.3g", ge, v);
    return buf;
}

/* "1160 ± 12" from the repetitions' 95 % interval, "1160" without one. */
static const char *throughput_cell(const json_t *pt, char *buf, size_t len)
{
    double lo = df_resfile_num(pt, "throughput.ci95_low", NAN);
    double hi = df_resfile_num(pt, "throughput.ci95_high", NAN);
    char v[32], ci[32];

    figure(df_resfile_num(pt, "throughput_rps", 0), 0, v, sizeof v);
    if (isnan(lo) || isnan(hi))
        snprintf(buf, len, "%s", v);
    else
        snprintf(buf, len, "%s ± %s", v,
                 figure((hi - lo) / 2, 0, ci, sizeof ci));
    return buf;
}

/* 1 when pt is marked peer_limited (docs/RESULTS-SCHEMA.md). */
static int peer_limited(const json_t *pt)
{
    const json_t *m;
    size_t i;

    json_array_foreach(json_object_get(pt, "marks"), i, m)
    {
        if (json_is_string(m) &&
            strcmp(json_string_value(m), "peer_limited") == 0)
            return 1;
    }
    return 0;
}

/* The footnotes of the marks a table used (docs/RESULTS-SCHEMA.md). */
static void marks_footnotes(FILE *f, int unsteady, int lower, int peer)
{
    if (peer)
        fprintf(f, "\n*peer-limited*: the server the requests call (the "
                   "upstream peer) lagged by a tenth of the median latency "
                   "or more, or refused connections: the peer, not the "
                   "model, set this latency.\n");
    if (unsteady)
        fprintf(f, "\n*unsteady*: the window did not hold a steady state "
                   "(warm-up too short, queue still growing, or too few "
                   "requests per client), so its throughput and latency "
                   "describe a transient; no claim uses it.\n");
    if (lower)
        fprintf(f, "\n*≥*: requests still in flight at the window's end "
                   "count with their age so far (censored), so the true "
                   "percentile is at least this.\n");
}

/* The table of doc's points measured on host (all of them when NULL). */
static void points_rows(FILE *f, const json_t *doc, const char *host)
{
    const json_t *points = json_object_get(doc, "points");
    char d[128], spec[160], note[64], tp[64], p50[32], p99[32], q[32];
    size_t i;
    int any_unsteady = 0, any_lower = 0, any_peer = 0;

    fprintf(f, "| setup | workload | req/s (± 95 %%) | errors | p50 ms | "
               "p99 ms | queue ms (mean) | GIL held / wait | status |\n"
               "|---|---|---:|---:|---:|---:|---:|---|---|\n");
    for (i = 0; i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);
        double held = df_resfile_num(pt, "gil_stats.held", NAN);

        if (host && strcmp(df_resfile_str(pt, "machine", ""), host) != 0)
            continue;

        df_claim_describe(pt, d, sizeof d);
        df_resfile_workload_spec(pt, spec, sizeof spec);
        if (!df_resfile_point_ok(pt)) {
            fprintf(f, "| %s | %s | | | | | | | failed: %s%s |\n", d, spec,
                    df_resfile_str(pt, "failure", "unknown"),
                    partial_note(pt, note, sizeof note));
            continue;
        }
        int lower = json_is_true(json_object_get(pt, "latency_lower_bound"));
        int unsteady = json_is_false(json_object_get(pt, "steady"));
        double err_rate = df_resfile_num(pt, "error_rate", 0);
        char errs[32] = "-";

        any_lower |= lower;
        any_unsteady |= unsteady;
        if (err_rate > 0)
            snprintf(errs, sizeof errs, "%.1f%%", err_rate * 100);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | ", d, spec,
                throughput_cell(pt, tp, sizeof tp), errs,
                figure(df_resfile_num(pt, "latency_us.p50", NAN) / 1000.0,
                       lower, p50, sizeof p50),
                figure(df_resfile_num(pt, "latency_us.p99", NAN) / 1000.0,
                       lower, p99, sizeof p99),
                figure(df_resfile_num(pt, "queue_us.mean", NAN) / 1000.0, 0, q,
                       sizeof q));
        if (!isnan(held))
            fprintf(f, "%.0f%% / %.0f%% ", held * 100,
                    df_resfile_num(pt, "gil_stats.wait", 0) * 100);
        fprintf(f, "| %s", unsteady ? "*unsteady*" : "ok");
        if (df_resfile_num(pt, "loop.slow_callbacks", 0) > 0)
            fprintf(f, " (loop blocked: %.0f slow callbacks, longest %.0f ms)",
                    df_resfile_num(pt, "loop.slow_callbacks", 0),
                    df_resfile_num(pt, "loop.max_blocked_ms", 0));
        if (df_resfile_num(pt, "peer.lag_us_mean", 0) > 0 && peer_limited(pt)) {
            fprintf(f, " *peer-limited* (lag %.1f ms)",
                    df_resfile_num(pt, "peer.lag_us_mean", 0) / 1000.0);
            any_peer = 1;
        }
        fprintf(f, "%s |\n", partial_note(pt, note, sizeof note));
    }
    marks_footnotes(f, any_unsteady, any_lower, any_peer);
}

/* #16: points merged from several machines are never one table: a table
 * per machine, and a sentence saying so, since figures measured on
 * different hardware do not compare as one machine's do. */
static void points_table(FILE *f, const json_t *doc)
{
    const json_t *points = json_object_get(doc, "points");
    const json_t *machines = json_object_get(doc, "machines");
    size_t i, nhosts = 0;
    const json_t *mc;

    json_array_foreach(machines, i, mc)
    {
        const char *h = df_resfile_str(mc, "hostname", "");

        for (size_t k = 0; k < json_array_size(points); k++)
            if (!strcmp(
                    df_resfile_str(json_array_get(points, k), "machine", ""),
                    h)) {
                nhosts++;
                break;
            }
    }
    if (nhosts < 2) {
        points_rows(f, doc, NULL);
        return;
    }
    fprintf(f,
            "These points were measured on %zu machines: one table per "
            "machine below. No point's repetitions are averaged across "
            "machines, but the claims above compare points that may "
            "come from different ones.\n\n",
            nhosts);
    json_array_foreach(machines, i, mc)
    {
        fprintf(f, "On `%s` (%s, %d cores):\n\n",
                df_resfile_str(mc, "hostname", "?"),
                df_resfile_str(mc, "cpu_model", "?"),
                (int)df_resfile_num(mc, "cores", 0));
        points_rows(f, doc, df_resfile_str(mc, "hostname", ""));
        fputc('\n', f);
    }
}

/* How pt's deployment is spelled: the model's command for its shape
 * ("gunicorn -w 2 app:app"), else duckfeed's flags ("-w 2"). */
static void shape(const df_model_ops *ops,
                  const json_t *pt,
                  char *buf,
                  size_t len)
{
    df_model_cfg c = { .workers = df_resfile_int(pt, "workers", 1),
                       .threads = df_resfile_int(pt, "threads", 1) };
    int n;

    if (ops->command) {
        ops->command(&c, buf, len);
        return;
    }
    n = snprintf(buf, len, "-w %d", c.workers);
    if (ops->traits & DF_MODEL_THREADS && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - n, " --threads %d", c.threads);
}

/* Best throughput of a model's points, and the shapes it ran in. */
static const json_t *model_best(const json_t *doc,
                                const df_model_ops *ops,
                                char *shapes,
                                size_t len)
{
    const json_t *points = json_object_get(doc, "points"), *best = NULL;
    char one[128];
    size_t i;

    shapes[0] = '\0';
    for (i = 0; i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);

        if (strcmp(df_resfile_str(pt, "model", ""), ops->name) != 0)
            continue;
        shape(ops, pt, one, sizeof one);
        if (!strstr(shapes, one) && strlen(shapes) + strlen(one) + 8 < len)
            snprintf(shapes + strlen(shapes), len - strlen(shapes), "%s`%s`",
                     shapes[0] ? ", " : "", one);
        if (df_resfile_point_ok(pt) &&
            (!best || df_resfile_num(pt, "throughput_rps", 0) >
                          df_resfile_num(best, "throughput_rps", 0)))
            best = pt;
    }
    return shapes[0] ? (best ? best : json_null()) : NULL;
}

/* One paragraph per model that ran: the deployment it stands for, in the
 * model's own words (its explain text, told with the tutorial's keepers
 * and ducklings), with its best measured number. */
static void deployments(FILE *f, const json_t *doc)
{
    char shapes[512], d[128], spec[160];
    const df_model_ops *ops;

    for (int k = 0; (ops = df_model_at(k)); k++) {
        const json_t *best = model_best(doc, ops, shapes, sizeof shapes);

        if (!best)
            continue;
        if (ops->explain)
            fprintf(f, "%s Here it ran as %s", ops->explain, shapes);
        else
            fprintf(f, "**%s**: %s. Here it ran as %s", ops->name,
                    ops->summary ? ops->summary : "a model", shapes);
        if (json_is_object(best)) {
            df_claim_describe(best, d, sizeof d);
            df_resfile_workload_spec(best, spec, sizeof spec);
            fprintf(f,
                    "; best measured in this simulation: %.0f req/s "
                    "(`%s`, %s).\n\n",
                    df_resfile_num(best, "throughput_rps", 0), d, spec);
        } else {
            fprintf(f, "; every point of it failed.\n\n");
        }
    }
}

/* Relative path from dir a to dir b (both existing), for Markdown links. */
static void rel_path(const char *from, const char *to, char *buf, size_t len)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    size_t i = 0, common = 0, n = 0;

    if (!realpath(from, ra) || !realpath(to, rb)) {
        snprintf(buf, len, "%s", to);
        return;
    }
    for (; ra[i] && ra[i] == rb[i]; i++)
        if (ra[i] == '/')
            common = i;
    if (!ra[i] && (rb[i] == '/' || !rb[i]))
        common = i;
    buf[0] = '\0';
    for (i = common; ra[i]; i++)
        if (ra[i] == '/' && n + 4 < len)
            n += snprintf(buf + n, len - n, "../");
    snprintf(buf + n, len - n, "%s", rb[common] ? rb + common + 1 : ".");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Links to plots_dir/<suite>-*.png (or .svg), sorted by name. */
static void plot_links(FILE *f,
                       const char *results_dir,
                       const char *plots_dir,
                       const char *suite)
{
    char rel[PATH_MAX], *names[128];
    size_t plen = strlen(suite), n = 0, i;
    DIR *d = opendir(plots_dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) && n < 128) {
        size_t len = strlen(e->d_name);

        if (strncmp(e->d_name, suite, plen) == 0 && e->d_name[plen] == '-' &&
            len > 4 &&
            (!strcmp(e->d_name + len - 4, ".png") ||
             !strcmp(e->d_name + len - 4, ".svg")) &&
            (names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    rel_path(results_dir, plots_dir, rel, sizeof rel);
    for (i = 0; i < n; i++) {
        fprintf(f, "![%s](%s/%s)\n", names[i], rel, names[i]);
        free(names[i]);
    }
    if (n)
        fputc('\n', f);
}

/* An example within 20% (or 50 ms) of the time asyncio would take. */
static int example_ok(const json_t *ex)
{
    double want = df_resfile_num(ex, "expected_s", NAN);
    double got = df_resfile_num(ex, "measured_s", NAN);

    return fabs(got - want) <= fmax(0.2 * want, 0.05);
}

static void examples_section(FILE *f, const json_t *doc)
{
    const json_t *ex = json_object_get(doc, "examples");
    size_t i, ok = 0;

    fprintf(f, "| example | expected s | measured s | |\n"
               "|---|---:|---:|---|\n");
    for (i = 0; i < json_array_size(ex); i++) {
        const json_t *e = json_array_get(ex, i);

        ok += example_ok(e);
        fprintf(f, "| %s | %.3f | %.3f | %s |\n",
                df_resfile_str(e, "name", "?"),
                df_resfile_num(e, "expected_s", NAN),
                df_resfile_num(e, "measured_s", NAN),
                example_ok(e) ? "as computed" : "**off**");
    }
    fprintf(f,
            "\n%zu of %zu examples took the time asyncio's semantics "
            "give (within 20%%; expected times are computed from the "
            "waits, not measured in Python); exit status %d.\n\n",
            ok, json_array_size(ex), df_resfile_int(doc, "exit_status", -1));
}

static void section(FILE *f,
                    const json_t *doc,
                    const char *results_dir,
                    const char *plots_dir)
{
    const json_t *s = json_object_get(doc, "suite");
    const char *name = df_resfile_str(s, "name", "?");
    char footer[320];

    fprintf(f, "## %s\n\n`duckfeed suite %s` (version %d%s)\n\n> %s\n\n",
            df_resfile_str(s, "title", name), name,
            df_resfile_int(s, "version", 0),
            json_is_true(json_object_get(s, "quick")) ? ", --quick" : "",
            df_resfile_str(s, "sentence", ""));
    if (interrupted_by(doc))
        interrupted_section(f, doc, interrupted_by(doc));
    if (json_is_array(json_object_get(doc, "examples"))) {
        examples_section(f, doc);
        return;
    }
    df_resfile_footer(doc, footer, sizeof footer);
    fprintf(f, "Measured on %s with `%s`.\n\n", footer,
            df_resfile_str(doc, "command", "?"));
    if (interrupted_by(doc)) {
        points_table(f, doc);
        fputc('\n', f);
        return;
    }
    if (json_array_size(json_object_get(s, "claims")) > 0 || has_trace(doc)) {
        fprintf(f, "What the numbers say:\n\n");
        claims(f, doc, "- ");
        load_line(f, doc, "- ");
        fputc('\n', f);
    }
    plot_links(f, results_dir, plots_dir, name);
    points_table(f, doc);
    fputc('\n', f);
    deployments(f, doc);
}

static int by_suite_order(const void *a, const void *b)
{
    const json_t *x = json_object_get(*(json_t *const *)a, "suite");
    const json_t *y = json_object_get(*(json_t *const *)b, "suite");
    double ox = df_resfile_num(x, "order", 1000);
    double oy = df_resfile_num(y, "order", 1000);

    if (ox != oy)
        return ox < oy ? -1 : 1;
    return strcmp(df_resfile_str(x, "name", ""), df_resfile_str(y, "name", ""));
}

/* Every suite results document in dir (files that do not parse or carry no
 * "suite" are not ours to judge here, and are skipped). */
static int load_suite_docs(const char *dir, json_t ***out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    json_t **v = NULL, **nv, *doc;
    char path[PATH_MAX];
    int n = 0;

    *out = NULL;
    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);

        if (len < 6 || e->d_name[0] == '.' ||
            strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        doc = json_load_file(path, 0, NULL);
        if (!json_is_object(json_object_get(doc, "suite")) ||
            !(nv = realloc(v, (n + 1) * sizeof *v))) {
            json_decref(doc);
            continue;
        }
        v = nv;
        v[n++] = doc;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, by_suite_order);
    *out = v;
    return n;
}

/* #12: a temporary REPORT.md of its own beside the real one (mkstemp;
 * a fixed REPORT.md.tmp was shared by two suites writing at once), made
 * readable as the report is. NULL with errno set. */
static FILE *open_tmp_report(const char *results_dir, char *tmp, size_t len)
{
    int fd, e;
    FILE *f;

    snprintf(tmp, len, "%s/.REPORT.md.XXXXXX", results_dir);
    if ((fd = mkstemp(tmp)) < 0)
        return NULL;
    if (fchmod(fd, 0644) == 0 && (f = fdopen(fd, "w")))
        return f;
    e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return NULL;
}

int df_report_write(const char *results_dir, const char *plots_dir, df_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    json_t **docs;
    int i, n = load_suite_docs(results_dir, &docs);
    FILE *f;

    if (n < 0)
        return df_err_set(err, n, "%s: %s", results_dir, strerror(-n));
    snprintf(path, sizeof path, "%s/REPORT.md", results_dir);
    if (!(f = open_tmp_report(results_dir, tmp, sizeof tmp))) {
        int rc = -errno;

        for (i = 0; i < n; i++)
            json_decref(docs[i]);
        free(docs);
        return df_err_set(err, rc, "%s: %s", tmp, strerror(-rc));
    }
    fprintf(f, "# duckfeed report\n\n"
               "This report measures a C simulation of these servers "
               "(gunicorn's sync and gthread workers, a gevent-like loop, "
               "uvicorn on asyncio), not CPython, gunicorn or uvicorn "
               "themselves: the simulation has no HTTP parsing and no "
               "per-request server cost, so its absolute req/s are far "
               "above a real server's; compare the models with one "
               "another.\n\n"
               "*x ducklings must be fed.* The keepers are workers (a "
               "process, a thread or a loop); their hands are the cores, "
               "so at most as many keepers feed at once as there are "
               "cores. One keeper who moves on while a "
               "duckling eats is **concurrency**; y keepers feeding y "
               "ducklings at the same instant is **parallelism**. Each "
               "section below is one suite: the sentence it shows, what "
               "the numbers measured here say (computed, not written by "
               "hand), the plots, and every point.\n\n");
    for (i = 0; i < n; i++) {
        section(f, docs[i], results_dir, plots_dir);
        json_decref(docs[i]);
    }
    free(docs);
    if (n == 0)
        fprintf(f, "No suite results yet: run `duckfeed suite`.\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int rc = -errno;

        unlink(tmp);
        return df_err_set(err, rc, "%s: %s", path, strerror(-rc));
    }
    return df_report_html_write(results_dir, err);
}

void df_report_summary(FILE *f, const json_t *doc, const char *plots_dir)
{
    const json_t *s = json_object_get(doc, "suite");
    const json_t *ex = json_object_get(doc, "examples");
    size_t i, ok = 0;

    fprintf(f, "-- %s: %s\n", df_resfile_str(s, "name", "?"),
            df_resfile_str(s, "sentence", ""));
    if (interrupted_by(doc)) {
        fprintf(f,
                "   interrupted (%s): no claims computed from a partial "
                "run\n",
                interrupted_by(doc));
        return;
    }
    if (json_is_array(ex)) {
        for (i = 0; i < json_array_size(ex); i++)
            ok += example_ok(json_array_get(ex, i));
        fprintf(f, "   %zu of %zu asyncio examples took the expected time\n",
                ok, json_array_size(ex));
        return;
    }
    claims(f, doc, "   ");
    load_line(f, doc, "   ");
    fprintf(f, "   plots: %s/%s-*\n", plots_dir,
            df_resfile_str(s, "name", "?"));
}

/* The timeline's lesson in one line: at once vs in progress, per model. */
static void timeline_headline(const json_t *doc, char *buf, size_t len)
{
    const json_t *points = json_object_get(doc, "points");
    size_t i, n = 0;

    buf[0] = '\0';
    for (i = 0; i < json_array_size(points) && n < len; i++) {
        const json_t *pt = json_array_get(points, i);
        int running, inflight;

        trace_overlap(json_object_get(pt, "trace"), &running, &inflight);
        if (running < 0)
            continue;
        n += snprintf(buf + n, len - n,
                      "%s%s ran %d at once with %d in "
                      "progress",
                      n ? "; " : "", df_resfile_str(pt, "model", "?"), running,
                      inflight);
    }
}

void df_report_headline(const json_t *doc, char *buf, size_t len)
{
    const json_t *ex = json_object_get(doc, "examples");
    const json_t *list =
        json_object_get(json_object_get(doc, "suite"), "claims");
    df_claim_result r;
    size_t i, ok = 0;

    if (interrupted_by(doc)) {
        snprintf(buf, len, "interrupted (%s): no claims", interrupted_by(doc));
        return;
    }
    if (json_is_array(ex)) {
        for (i = 0; i < json_array_size(ex); i++)
            ok += example_ok(json_array_get(ex, i));
        snprintf(buf, len,
                 "%zu of %zu asyncio snippets took the time "
                 "asyncio takes",
                 ok, json_array_size(ex));
        return;
    }
    if (json_array_size(list) == 0) {
        timeline_headline(doc, buf, len);
        if (!buf[0])
            snprintf(buf, len, "(no claims)");
        return;
    }
    df_claim_eval(doc, json_array_get(list, 0), &r);
    snprintf(buf, len, "%s", r.brief);
}

void df_report_lessons(FILE *f, const json_t *const *docs, int n)
{
    char line[640];
    int i;

    fprintf(f, "\nlesson    what this machine measured\n"
               "--------  --------------------------\n");
    for (i = 0; i < n; i++) {
        const json_t *list =
            json_object_get(json_object_get(docs[i], "suite"), "claims");
        df_claim_result r;
        size_t k;

        df_report_headline(docs[i], line, sizeof line);
        fprintf(f, "%-8s  %s\n", df_resfile_str(docs[i], "suite.name", "?"),
                line);
        /* #18: every claim's verdict, not only the first: a row once
         * said "holds" below a claim that did not. */
        for (k = 1; !interrupted_by(docs[i]) && k < json_array_size(list);
             k++) {
            df_claim_eval(docs[i], json_array_get(list, k), &r);
            fprintf(f, "%-8s  %s\n", "", r.brief);
        }
        if (df__report_load_note(docs[i], line, sizeof line))
            fprintf(f, "%-8s  %s\n", "", line);
    }
}

int df_report_main(int argc, char **argv)
{
    const char *results_dir = "results", *plots_dir = "plots";
    df_err err = { 0 };
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: duckfeed report [--results-dir DIR] "
                   "[--plots-dir DIR]\nRewrites DIR/REPORT.md and "
                   "DIR/report.html from the suite results in DIR.\n");
            return 0;
        } else if (!strcmp(argv[i], "--results-dir") && i + 1 < argc) {
            results_dir = argv[++i];
        } else if (!strcmp(argv[i], "--plots-dir") && i + 1 < argc) {
            plots_dir = argv[++i];
        } else {
            fprintf(stderr,
                    "duckfeed report: %s: unknown argument (see "
                    "--help)\n",
                    argv[i]);
            return 2;
        }
    }
    if (df_report_write(results_dir, plots_dir, &err) < 0) {
        fprintf(stderr, "duckfeed report: %s\n", err.msg);
        return 1;
    }
    printf("%s/REPORT.md\n%s/report.html\n", results_dir, results_dir);
    return 0;
}

/* report_private.h: html.c reads the same documents the same way. */
int df__report_load_docs(const char *dir, json_t ***out)
{
    return load_suite_docs(dir, out);
}

void df__report_trace_overlap(const json_t *trace, int *running, int *inflight)
{
    trace_overlap(trace, running, inflight);
}

int df__report_has_trace(const json_t *doc)
{
    return has_trace(doc);
}

int df__report_example_ok(const json_t *ex)
{
    return example_ok(ex);
}
