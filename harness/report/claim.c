/* harness/report/claim.c - a suite's claims, computed from the measured points
 * (the claim form is in claim.h).
 *
 * A claim that cannot be computed says why in the sentence itself - which
 * selector matched no point, or which point lacked the figure - so a
 * report never reads "not measured" without the reader knowing what to
 * fix: the suite file, or the run.
 */
#include "harness/report/claim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/store/resfile.h"
#include "models/model.h"

/* The value a claim compares; NAN when the point lacks it. */
static double metric(const json_t *pt, const char *name)
{
    if (strcmp(name, "kib_per_request") == 0) {
        /* What one more request in flight costs, as the point measured
         * it; else peak RSS shared out over the clients. */
        double per = df_resfile_num(pt, "mem_per_inflight_bytes", NAN);
        double c = df_resfile_num(pt, "concurrency", 1);

        if (!isnan(per))
            return per / 1024.0;
        return df_resfile_num(pt, "max_rss_bytes", NAN) / 1024.0 /
               (c > 0 ? c : 1);
    }
    return df_resfile_num(pt, name, NAN);
}

/* #13: a quantile claim needs enough requests behind it. Below 1/(1-q)
 * completions the q-quantile is the largest sample - one request's
 * latency, whatever the distribution (a --quick point's p99 rested on one
 * or two); with 1/(1-q) at least one request lies above it. 20 is the
 * floor, so a median rests on more than a handful. p50 and p90 need 20,
 * p99 100, p99.9 1,000. Other metrics (rates, means, counts, memory) have
 * no minimum: they are not an order statistic of the tail. */
#define CLAIM_MIN_SAMPLES_FLOOR 20

/* Completions a claim on metric m needs from each point; 0: no minimum. */
static long min_samples(const char *m)
{
    const char *p = strrchr(m, '.');
    double q = 0, scale = 1;
    size_t digits = 0;

    if (!p || p[1] != 'p' ||
        (strncmp(m, "latency_us.", 11) != 0 &&
         strncmp(m, "latency_naive_us.", 17) != 0 &&
         strncmp(m, "queue_us.", 9) != 0 && strncmp(m, "service_us.", 11) != 0))
        return 0;
    for (p += 2; *p >= '0' && *p <= '9'; p++, digits++) {
        q = q * 10 + (*p - '0');
        scale *= 10;
    }
    if (*p != '\0' || digits < 2 || q >= scale)
        return 0;
    q /= scale; /* "p99" -> 0.99, "p999" -> 0.999, "p50" -> 0.5 */
    long n = (long)ceil(1.0 / (1.0 - q) - 1e-9);
    return n > CLAIM_MIN_SAMPLES_FLOOR ? n : CLAIM_MIN_SAMPLES_FLOOR;
}

/* The workload as given, and as its parameters print. */
static int spec_is(const json_t *pt, const char *want)
{
    char spec[160];

    if (strcmp(df_resfile_str(pt, "workload_spec", ""), want) == 0)
        return 1;
    df_resfile_workload_spec(pt, spec, sizeof spec);
    return strcmp(spec, want) == 0;
}

static int value_is(const json_t *have, const json_t *want)
{
    if (json_is_number(have) && json_is_number(want))
        return json_number_value(have) == json_number_value(want);
    return have && json_equal((json_t *)have, (json_t *)want);
}

int df_claim_match(const json_t *pt,
                   const json_t *selector,
                   const char *workload)
{
    const char *key;
    const json_t *want;

    if (workload && strcmp(df_resfile_str(pt, "workload", ""), workload) &&
        !spec_is(pt, workload))
        return 0;
    json_object_foreach((json_t *)selector, key, want)
    {
        if (strcmp(key, "spec") == 0 || strcmp(key, "workload_spec") == 0 ||
            strcmp(key, "workload") == 0) {
            const char *w = json_string_value(want);

            if (!w || (!spec_is(pt, w) &&
                       (strcmp(key, "workload") != 0 ||
                        strcmp(df_resfile_str(pt, "workload", ""), w) != 0)))
                return 0;
        } else if (!value_is(json_object_get(pt, key), want)) {
            return 0;
        }
    }
    return 1;
}

/* The ok point a selector names; with several, the one under the most
 * load (highest concurrency), so a claim speaks of the pool at work. */
static const json_t *pick(const json_t *doc,
                          const json_t *selector,
                          const char *workload)
{
    const json_t *points = json_object_get(doc, "points"), *best = NULL;
    size_t i;

    for (i = 0; i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);

        /* An unsteady point describes a transient: no claim uses it. */
        if (!df_resfile_point_ok(pt) ||
            json_is_false(json_object_get(pt, "steady")) ||
            !df_claim_match(pt, selector, workload))
            continue;
        if (!best || df_resfile_num(pt, "concurrency", 0) >
                         df_resfile_num(best, "concurrency", 0))
            best = pt;
    }
    return best;
}

void df_claim_describe(const json_t *pt, char *buf, size_t len)
{
    const char *model = df_resfile_str(pt, "model", "?");
    const df_model_ops *ops = df_model_find(model);
    unsigned traits = ops ? ops->traits : 0;
    const char *gil = df_resfile_str(pt, "gil", "new");
    int hogs = df_resfile_int(pt, "hogs", 0);
    double sw = df_resfile_num(pt, "switch_interval_us", 5000);
    size_t n;

    snprintf(buf, len, "%s -w %d", model, df_resfile_int(pt, "workers", 1));
    n = strlen(buf);
    if (traits & DF_MODEL_THREADS && n < len)
        n += snprintf(buf + n, len - n, " --threads %d",
                      df_resfile_int(pt, "threads", 1));
    /* A model without a shared interpreter has no GIL to name; one not
     * known here may have one (its record names it). */
    if (!ops || traits & DF_MODEL_GIL) {
        if (strcmp(gil, "new") != 0 && n < len)
            n += snprintf(buf + n, len - n, " gil=%s", gil);
        if (hogs > 0 && n < len)
            n += snprintf(buf + n, len - n, " hogs=%d", hogs);
        if (strcmp(gil, "new") == 0 && (hogs > 0 || sw != 5000) && n < len)
            n += snprintf(buf + n, len - n, " switch=%gms", sw / 1000.0);
    }
    if (n < len && json_is_number(json_object_get(pt, "rate_rps")))
        snprintf(buf + n, len - n, ", rate=%g/s",
                 df_resfile_num(pt, "rate_rps", 0));
    else if (n < len)
        snprintf(buf + n, len - n, ", c=%d",
                 df_resfile_int(pt, "concurrency", 1));
}

static void format_value(const char *m, double v, char *buf, size_t len)
{
    if (strncmp(m, "latency_us", 10) == 0 || strncmp(m, "queue_us", 8) == 0 ||
        strncmp(m, "service_us", 10) == 0)
        snprintf(buf, len, "%.3g ms", v / 1000.0);
    else if (strcmp(m, "throughput_rps") == 0)
        snprintf(buf, len, "%.0f req/s", v);
    else if (strcmp(m, "kib_per_request") == 0)
        snprintf(buf, len, "%.1f KiB", v);
    else if (strcmp(m, "loop.max_blocked_ms") == 0)
        snprintf(buf, len, "%.3g ms", v);
    else
        snprintf(buf, len, "%.4g", v);
}

static const char *metric_words(const json_t *claim, const char *m)
{
    const char *words = df_resfile_str(claim, "metric_is", NULL);

    if (words)
        return words;
    if (strcmp(m, "throughput_rps") == 0)
        return "the throughput";
    if (strcmp(m, "kib_per_request") == 0)
        return "the memory per request in flight";
    if (strcmp(m, "loop.slow_callbacks") == 0)
        return "the slow-callback detections";
    if (strcmp(m, "latency_us.p50") == 0)
        return "the median latency";
    if (strcmp(m, "latency_us.p90") == 0)
        return "the p90 latency";
    if (strcmp(m, "latency_us.p99") == 0)
        return "the p99 latency";
    if (strncmp(m, "latency_us.", 11) == 0)
        return "the tail latency";
    return m;
}

/* "expected >= 10x: holds" into buf; the verdict, or -1 without bounds. */
static int expectation(const json_t *claim, double ratio, char *buf, size_t len)
{
    const json_t *e = json_object_get(claim, "expect");
    double lo = df_resfile_num(e, "min", NAN);
    double hi = df_resfile_num(e, "max", NAN);
    int ok;

    buf[0] = '\0';
    if (isnan(lo) && isnan(hi))
        return -1;
    ok = !isnan(ratio) && (isnan(lo) || ratio >= lo) &&
         (isnan(hi) || ratio <= hi);
    if (!isnan(lo) && !isnan(hi))
        snprintf(buf, len, "expected %g-%gx: %s", lo, hi,
                 ok ? "holds" : "does NOT hold here");
    else if (!isnan(lo))
        snprintf(buf, len, "expected >= %gx: %s", lo,
                 ok ? "holds" : "does NOT hold here");
    else
        snprintf(buf, len, "expected <= %gx: %s", hi,
                 ok ? "holds" : "does NOT hold here");
    return ok;
}

/* Appends " on SPEC" (the spec as given) to a description. */
static void side_spec(const json_t *pt, char *d, size_t len)
{
    char spec[160];
    size_t n = strlen(d);
    const char *given = df_resfile_str(pt, "workload_spec", NULL);

    if (!given)
        df_resfile_workload_spec(pt, spec, sizeof spec);
    if (n < len)
        snprintf(d + n, len - n, " on %s", given ? given : spec);
}

/* Fills out for a side that cannot be computed. */
static void missing(df_claim_result *out,
                    const json_t *claim,
                    const char *side,
                    const json_t *pt,
                    const char *m,
                    const char *wl)
{
    char *sel =
        json_dumps(json_object_get(claim, side), JSON_COMPACT | JSON_SORT_KEYS);
    char d[128];

    if (pt) {
        df_claim_describe(pt, d, sizeof d);
        snprintf(out->text, sizeof out->text,
                 "not measured: `%s` (%s) has no %s", d, side, m);
    } else {
        snprintf(out->text, sizeof out->text,
                 "not measured: no steady ok point matched %s = %s%s%s", side,
                 sel ? sel : "?", wl ? " with workload " : "", wl ? wl : "");
    }
    memcpy(out->brief, out->text, sizeof out->brief - 1);
    out->brief[sizeof out->brief - 1] = '\0';
    free(sel);
}

/* Fills out and returns 1 when pt (side) completed fewer requests than
 * metric m needs; doc says whether the run was --quick. */
static int too_few(df_claim_result *out,
                   const json_t *doc,
                   const char *side,
                   const json_t *pt,
                   const char *m)
{
    long need = min_samples(m);
    long have = (long)df_resfile_num(pt, "completed", 0);
    int quick =
        json_is_true(json_object_get(json_object_get(doc, "suite"), "quick"));
    char d[128];

    if (have >= need)
        return 0;
    df_claim_describe(pt, d, sizeof d);
    snprintf(out->text, sizeof out->text,
             "not measured: only %ld samples, need %ld: `%s` (%s) completed "
             "%ld requests, and its %s needs %ld (fewer, and it is one "
             "request's latency)%s",
             have, need, d, side, have, strrchr(m, '.') + 1, need,
             quick ? "; this --quick run falls short, run the suite without "
                     "--quick"
                   : "");
    snprintf(out->brief, sizeof out->brief,
             "not measured: only %ld samples, need %ld (%s, side %s)%s", have,
             need, strrchr(m, '.') + 1, side,
             quick ? "; --quick falls short" : "");
    return 1;
}

/* #17: the point a survival claim's side names, failed ones too (b): a
 * point whose process died is the finding, not a missing figure. An ok
 * point is preferred; with several, the one under the most load. */
static const json_t *pick_any(const json_t *doc,
                              const json_t *selector,
                              const char *workload)
{
    const json_t *points = json_object_get(doc, "points"), *best = NULL;
    size_t i;

    for (i = 0; i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);
        int ok = df_resfile_point_ok(pt);

        if (!df_claim_match(pt, selector, workload) ||
            (best && df_resfile_point_ok(best) && !ok))
            continue;
        if (!best || (ok && !df_resfile_point_ok(best)) ||
            df_resfile_num(pt, "concurrency", 0) >
                df_resfile_num(best, "concurrency", 0))
            best = pt;
    }
    return best;
}

/* " with a crash every 50 requests": the claim's "per" parameter of a's
 * workload with its "event_is" words; "" without them. */
static void survival_given(const json_t *claim,
                           const json_t *a,
                           char *buf,
                           size_t len)
{
    const char *per = df_resfile_str(claim, "per", NULL);
    const char *event = df_resfile_str(claim, "event_is", "failure");
    const json_t *v =
        json_object_get(json_object_get(a, "params"), per ? per : "");

    buf[0] = '\0';
    if (per && json_is_number(v) && json_number_value(v) > 0)
        snprintf(buf, len, " with a %s every %g requests", event,
                 json_number_value(v));
}

/* What became of b: "stopped at the first crash (signal 11 (SIGSEGV),
 * after 21 completed)", or, when it survived, "kept serving too (N
 * req/s)". Returns 1 when b stopped. */
static int survival_fate(const json_t *claim,
                         const json_t *b,
                         char *buf,
                         size_t len)
{
    const char *event = df_resfile_str(claim, "event_is", "failure");
    double done = df_resfile_num(b, "completed_before_failure", NAN);

    if (df_resfile_point_ok(b)) {
        snprintf(buf, len, "kept serving too (%.0f req/s)",
                 df_resfile_num(b, "throughput_rps", 0));
        return 0;
    }
    if (isnan(done))
        snprintf(buf, len, "stopped at the first %s (%s)", event,
                 df_resfile_str(b, "failure", "failed"));
    else
        snprintf(buf, len, "stopped at the first %s (%s, after %.0f completed)",
                 event, df_resfile_str(b, "failure", "failed"), done);
    return 1;
}

/* #17, "kind": "survival": a kept serving under the failures its workload
 * injects, while b stopped (see claim.h). Holds when a is ok and b died. */
static void survival_eval(const json_t *doc,
                          const json_t *claim,
                          df_claim_result *out)
{
    const char *wl = df_resfile_str(claim, "workload", NULL);
    const json_t *a = pick_any(doc, json_object_get(claim, "a"), wl);
    const json_t *b = pick_any(doc, json_object_get(claim, "b"), wl);
    const char *an = df_resfile_str(claim, "a_is", NULL);
    const char *bn = df_resfile_str(claim, "b_is", NULL);
    char da[128], db[128], given[96], fate[300];

    if (!a || !df_resfile_point_ok(a))
        return missing(out, claim, "a", NULL, "throughput_rps", wl);
    if (!b)
        return missing(out, claim, "b", NULL, "status", wl);
    out->measured = 1;
    out->a = df_resfile_num(a, "throughput_rps", NAN);
    out->b =
        df_resfile_point_ok(b) ? df_resfile_num(b, "throughput_rps", NAN) : 0;
    df_claim_describe(a, da, sizeof da);
    df_claim_describe(b, db, sizeof db);
    survival_given(claim, a, given, sizeof given);
    out->verdict = survival_fate(claim, b, fate, sizeof fate);
    snprintf(out->text, sizeof out->text,
             "`%s` kept serving %.0f req/s%s; `%s` %s%s", da, out->a, given, db,
             fate,
             out->verdict ? ""
                          : ": expected it to stop, does NOT "
                            "hold here");
    snprintf(out->brief, sizeof out->brief,
             "%s kept serving %.0f req/s%s; %s %s", an ? an : da, out->a, given,
             bn ? bn : db, fate);
}

/* A claim comparing one metric of two sides (or a side and a number). */
static void compare_eval(const json_t *doc,
                         const json_t *claim,
                         df_claim_result *out)
{
    const char *m = df_resfile_str(claim, "metric", "throughput_rps");
    const char *wl = df_resfile_str(claim, "workload", NULL);
    const json_t *bsel = json_object_get(claim, "b");
    const json_t *a = pick(doc, json_object_get(claim, "a"), wl);
    const json_t *b = json_is_number(bsel) ? NULL : pick(doc, bsel, wl);
    char da[128], db[160], va[32], vb[32], spec[160], exp[64];
    const char *an = df_resfile_str(claim, "a_is", NULL);
    const char *bn = df_resfile_str(claim, "b_is", NULL);

    if (!a || isnan(metric(a, m)))
        return missing(out, claim, "a", a, m, wl);
    if (!json_is_number(bsel) && (!b || isnan(metric(b, m))))
        return missing(out, claim, "b", b, m, wl);
    if (too_few(out, doc, "a", a, m) || (b && too_few(out, doc, "b", b, m)))
        return;
    out->measured = 1;
    out->a = metric(a, m);
    out->b = b ? metric(b, m) : json_number_value(bsel);
    out->ratio = out->b != 0 ? out->a / out->b : NAN;
    out->verdict = expectation(claim, out->ratio, exp, sizeof exp);
    df_claim_describe(a, da, sizeof da);
    if (b)
        df_claim_describe(b, db, sizeof db);
    format_value(m, out->a, va, sizeof va);
    format_value(m, out->b, vb, sizeof vb);
    if (!b)
        snprintf(db, sizeof db, "%s", bn ? bn : vb);
    df_resfile_workload_spec(a, spec, sizeof spec);
    if (b) {
        /* Two workloads compared: each side names its own. */
        char sb[160];

        df_resfile_workload_spec(b, sb, sizeof sb);
        if (strcmp(spec, sb) != 0) {
            side_spec(a, da, sizeof da);
            side_spec(b, db, sizeof db);
            snprintf(spec, sizeof spec, "%s", "two workloads");
        }
    }
    if (isnan(out->ratio))
        snprintf(out->text, sizeof out->text, "`%s` had %s of %s, `%s` %s (%s)",
                 da, metric_words(claim, m), va, db, vb, spec);
    else
        snprintf(out->text, sizeof out->text,
                 "`%s` had %.2fx %s of %s%s%s (%s vs %s, %s)%s%s", da,
                 out->ratio, metric_words(claim, m), b ? "`" : "", db,
                 b ? "`" : "", va, vb, spec, exp[0] ? "; " : "", exp);
    if (isnan(out->ratio))
        snprintf(out->brief, sizeof out->brief, "%s had %s of %s, %s %s",
                 an ? an : da, metric_words(claim, m), va, bn ? bn : db, vb);
    else
        snprintf(out->brief, sizeof out->brief, "%s had %.3gx %s of %s%s%s%s",
                 an ? an : da, out->ratio, metric_words(claim, m), bn ? bn : db,
                 exp[0] ? " (" : "", exp, exp[0] ? ")" : "");
}

void df_claim_eval(const json_t *doc, const json_t *claim, df_claim_result *out)
{
    memset(out, 0, sizeof *out);
    out->a = out->b = out->ratio = NAN;
    out->verdict = -1;
    if (strcmp(df_resfile_str(claim, "kind", ""), "survival") == 0)
        survival_eval(doc, claim, out);
    else
        compare_eval(doc, claim, out);
}
