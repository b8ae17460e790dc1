#define _GNU_SOURCE /* mkdtemp */
/* harness/report/html.c - results/report.html: REPORT.md's content as one
 * self-contained page (lessons first, then each suite's sentence, claims,
 * plots and points), for a laptop, a phone and paper.
 *
 * Implementation notes. The page loads nothing: the CSS is inline and
 * every plot is a gnuplot SVG, drawn for this page into a temporary folder
 * and embedded as a base64 data: URI in an <img>. An <img> (rather than
 * <svg> pasted into the page) keeps each plot's element ids to itself -
 * gnuplot names its markers the same in every file - and runs no script
 * a file might carry. Every string that comes from a results file (model,
 * workload spec, labels, claims' words, failures) is untrusted and goes
 * through html_text(), so a hostile label shows as text. */
#include "harness/report/report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/plot/plot.h"
#include "harness/report/claim.h"
#include "harness/report/report_private.h"
#include "harness/store/resfile.h"

#define HTML_MAX_PLOTS 32

/* s as HTML text (also safe inside a double- or single-quoted attribute). */
static void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* The Markdown the claims and sentences use - `code` and **bold** - as
 * HTML; everything else as text. A marker left open is closed at the end. */
static void html_md(FILE *f, const char *s)
{
    int code = 0, bold = 0;
    char one[2] = { 0 };

    for (; s && *s; s++) {
        if (*s == '`') {
            fputs(code ? "</code>" : "<code>", f);
            code = !code;
        } else if (!code && s[0] == '*' && s[1] == '*') {
            fputs(bold ? "</strong>" : "<strong>", f);
            bold = !bold;
            s++;
        } else {
            one[0] = *s;
            html_text(f, one);
        }
    }
    if (code)
        fputs("</code>", f);
    if (bold)
        fputs("</strong>", f);
}

/* The file at path as base64, straight into f. 0 or -errno. */
static int base64_file(FILE *f, const char *path)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789+/";
    unsigned char in[3];
    FILE *src = fopen(path, "rb");
    size_t n;

    if (!src)
        return -errno;
    while ((n = fread(in, 1, 3, src)) > 0) {
        unsigned v =
            in[0] << 16 | (n > 1 ? in[1] << 8 : 0) | (n > 2 ? in[2] : 0);

        fputc(b64[v >> 18 & 63], f);
        fputc(b64[v >> 12 & 63], f);
        fputc(n > 1 ? b64[v >> 6 & 63] : '=', f);
        fputc(n > 2 ? b64[v & 63] : '=', f);
    }
    fclose(src);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes dir and the files in it (one level: what the plot step made). */
static void remove_dir(const char *dir)
{
    char path[PATH_MAX];
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) <
                (int)sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* The suite's plots, drawn again as SVG into a temporary folder beside the
 * page, each embedded as a figure; the folder goes afterwards. A plot that
 * cannot be drawn leaves a line saying why: the page is still written. */
static void plots(FILE *f, const json_t *doc, const char *results_dir)
{
    const json_t *kinds =
        json_object_get(json_object_get(doc, "suite"), "plots");
    const char *name = df_resfile_str(doc, "suite.name", "suite");
    const char *only[16];
    char dir[PATH_MAX], path[PATH_MAX * 2], *names[HTML_MAX_PLOTS];
    df_plot_opts po = { .name = name, .svg = 1, .quiet = 1 };
    df_err err = { 0 };
    size_t k, n = 0;
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof dir, "%s/.html-plots.XXXXXX", results_dir);
    if (!mkdtemp(dir)) {
        fprintf(f, "<p class=\"note\">Plots not drawn: %s.</p>\n",
                strerror(errno));
        return;
    }
    for (k = 0; k < json_array_size(kinds) && k < 15; k++)
        only[k] = json_string_value(json_array_get(kinds, k));
    only[k] = NULL;
    po.only = kinds ? only : NULL;
    po.out_dir = dir;
    if (df_plot_doc(doc, &po, &err) < 0) {
        fputs("<p class=\"note\">Plots not drawn: ", f);
        html_text(f, err.msg);
        fputs("</p>\n", f);
    }
    for (d = opendir(dir); d && (e = readdir(d)) && n < HTML_MAX_PLOTS;) {
        size_t len = strlen(e->d_name);

        if (len > 4 && !strcmp(e->d_name + len - 4, ".svg") &&
            (names[n] = strdup(e->d_name)))
            n++;
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        names[k][strlen(names[k]) - 4] = '\0'; /* the caption: no .svg */
        fputs("<figure><img alt=\"", f);
        html_text(f, names[k]);
        fputs("\" src=\"data:image/svg+xml;base64,", f);
        base64_file(f, path);
        fputs("\"><figcaption>", f);
        html_text(f, names[k]);
        fputs("</figcaption></figure>\n", f);
        free(names[k]);
    }
    remove_dir(dir);
}

/* A claim's verdict as a word and a CSS class. */
static const char *verdict(const df_claim_result *r, const char **cls)
{
    if (!r->measured) {
        *cls = "unmeasured";
        return "not measured";
    }
    if (r->verdict < 0) {
        *cls = "measured";
        return "measured";
    }
    *cls = r->verdict ? "holds" : "fails";
    return r->verdict ? "holds" : "does NOT hold here";
}

/* s without prefix (the verdict badge says it already). */
static const char *unprefixed(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(s, prefix, n) ? s : s + n;
}

/* The computed claims of a suite as a list, each with its verdict; the
 * timeline's overlaps after them. */
static void claims(FILE *f, const json_t *doc)
{
    const json_t *list =
        json_object_get(json_object_get(doc, "suite"), "claims");
    const json_t *points = json_object_get(doc, "points");
    char d[128];
    size_t i;

    fputs("<ul class=\"claims\">\n", f);
    for (i = 0; i < json_array_size(list); i++) {
        df_claim_result r;
        const char *cls, *word;

        df_claim_eval(doc, json_array_get(list, i), &r);
        word = verdict(&r, &cls);
        fprintf(f, "<li><span class=\"v %s\">%s</span> ", cls, word);
        html_md(f, unprefixed(r.text, "not measured: "));
        fputs("</li>\n", f);
    }
    for (i = 0; df__report_has_trace(doc) && i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);
        int running, inflight;

        df__report_trace_overlap(json_object_get(pt, "trace"), &running,
                                 &inflight);
        if (running < 0)
            continue;
        df_claim_describe(pt, d, sizeof d);
        fputs("<li><code>", f);
        html_text(f, d);
        fprintf(f,
                "</code> ran at most %d request%s at the same instant "
                "(parallelism) and had up to %d in progress at once "
                "(concurrency)</li>\n",
                running, running == 1 ? "" : "s", inflight);
    }
    fputs("</ul>\n", f);
}

/* The marks a point's status can carry; each has a footnote. */
enum {
    MARK_STEADY = 1 << 0,
    MARK_LITTLE = 1 << 1,
    MARK_RATE = 1 << 2,
    MARK_EMPTY = 1 << 3,
    MARK_LOOP = 1 << 4,
    MARK_PARTIAL = 1 << 5,
    MARK_NOCI = 1 << 6,
    MARK_PEER = 1 << 7,
};

static const struct {
    int bit;
    const char *mark, *means;
} marks[] = {
    { MARK_STEADY, "not steady",
      "the window held a transient (a warm-up shorter than the latency, or "
      "a queue still growing): its throughput and latency are not "
      "steady-state figures, and no claim should rest on it." },
    { MARK_LITTLE, "CHECK:little",
      "the in-flight count sampled during the run and the one the "
      "requests' timestamps imply differ by more than 10 %: a request was "
      "lost, counted twice or stamped wrong." },
    { MARK_RATE, "CHECK:rate",
      "the open loop achieved a rate more than 10 % off the rate asked "
      "for." },
    { MARK_EMPTY, "nothing completed",
      "no request finished inside the window (a request longer than the "
      "window): the point measured nothing." },
    { MARK_LOOP, "loop blocked",
      "a callback held the event loop longer than --slow-callback-ms; the "
      "count and the longest stall follow." },
    { MARK_PARTIAL, "partial",
      "an interrupted sweep folded this point from fewer repetitions than "
      "asked." },
    { MARK_PEER, "peer-limited",
      "the server the requests call (the upstream peer) lagged by a tenth "
      "of the median latency or more, or refused connections: the peer, "
      "not the model, set this latency." },
    { MARK_NOCI, "&minus;",
      "under &plusmn; ci95: fewer than 3 repetitions, so no 95 % interval "
      "(run with --repeat 3 or more)." },
};

/* 1 when checks.<name>.ok is present and false. */
static int check_failed(const json_t *pt, const char *name)
{
    const json_t *c = json_object_get(json_object_get(pt, "checks"), name);

    return json_is_false(json_object_get(c, "ok"));
}

/* 1 when pt's "marks" list holds name. */
static int has_mark(const json_t *pt, const char *name)
{
    const json_t *m;
    size_t i;

    json_array_foreach(json_object_get(pt, "marks"), i, m)
    {
        if (json_is_string(m) && strcmp(json_string_value(m), name) == 0)
            return 1;
    }
    return 0;
}

/* "not steady", "CHECK:little"...: the marks pt earns, as bits. */
static int point_marks(const json_t *pt)
{
    int m = 0;

    if (check_failed(pt, "steady_state"))
        m |= MARK_STEADY;
    if (check_failed(pt, "littles_law"))
        m |= MARK_LITTLE;
    if (check_failed(pt, "rate"))
        m |= MARK_RATE;
    if (df_resfile_num(pt, "completed", 1) == 0)
        m |= MARK_EMPTY;
    if (df_resfile_num(pt, "loop.slow_callbacks", 0) > 0)
        m |= MARK_LOOP;
    if (df_resfile_num(pt, "repetitions_done", 1) <
        df_resfile_num(pt, "repeat", 1))
        m |= MARK_PARTIAL;
    if (isnan(df_resfile_num(pt, "throughput.ci95_low", NAN)))
        m |= MARK_NOCI;
    if (has_mark(pt, "peer_limited"))
        m |= MARK_PEER;
    return m;
}

/* The status cell of an ok point: "ok" only when no mark says otherwise. */
static void status_cell(FILE *f, const json_t *pt, int m)
{
    const char *st = df_resfile_str(pt, "status", "ok");
    size_t i;

    if (m & MARK_EMPTY)
        fputs("<td class=\"bad\">", f);
    else if (m & (MARK_STEADY | MARK_LITTLE | MARK_RATE))
        fputs("<td class=\"warn\">", f);
    else
        fputs("<td>", f);
    html_text(f, m & MARK_EMPTY ? "no result" : st);
    for (i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (m & marks[i].bit && marks[i].bit != MARK_NOCI)
            fprintf(f, " <span class=\"mark\">%s</span>", marks[i].mark);
    if (m & MARK_LOOP)
        fprintf(f, " (%.0f slow, longest %.0f ms)",
                df_resfile_num(pt, "loop.slow_callbacks", 0),
                df_resfile_num(pt, "loop.max_blocked_ms", NAN));
    fputs("</td>", f);
}

/* One table cell holding a number with printf's %.*f, or empty if NAN. */
static void num_cell(FILE *f, double v, int digits)
{
    if (isnan(v))
        fputs("<td></td>", f);
    else
        fprintf(f, "<td class=\"n\">%.*f</td>", digits, v);
}

/* The figures of an ok point, as cells. */
static void point_cells(FILE *f, const json_t *pt, int m)
{
    double lo = df_resfile_num(pt, "throughput.ci95_low", NAN);
    double hi = df_resfile_num(pt, "throughput.ci95_high", NAN);
    double done = df_resfile_num(pt, "completed", NAN);
    double errs = df_resfile_num(pt, "errors", 0);
    double held = df_resfile_num(pt, "gil_stats.held", NAN);
    double p50 = df_resfile_num(pt, "latency_us.p50", NAN) / 1000.0;

    num_cell(f, df_resfile_num(pt, "throughput_rps", NAN), 0);
    if (m & MARK_NOCI)
        fputs("<td class=\"n\">&minus;</td>", f);
    else
        num_cell(f, (hi - lo) / 2, 0);
    fprintf(f, "<td class=\"n%s\">%.0f", errs > 0 ? " bad" : "", errs);
    if (errs > 0 && done > 0)
        fprintf(f, " (%.1f %%)", 100.0 * errs / done);
    fputs("</td>", f);
    num_cell(f, p50, p50 < 10 ? 2 : 0);
    num_cell(f, df_resfile_num(pt, "latency_us.p99", NAN) / 1000.0,
             p50 < 10 ? 2 : 0);
    num_cell(f, df_resfile_num(pt, "queue_us.mean", NAN) / 1000.0, 2);
    if (isnan(held))
        fputs("<td></td>", f);
    else
        fprintf(f, "<td class=\"n\">%.0f %% / %.0f %%</td>", held * 100,
                df_resfile_num(pt, "gil_stats.wait", 0) * 100);
    status_cell(f, pt, m);
}

/* Every point of doc in a table, then a footnote for each mark used. */
static void points_table(FILE *f, const json_t *doc)
{
    const json_t *points = json_object_get(doc, "points");
    char d[128], spec[160];
    int used = 0;
    size_t i;

    fputs("<div class=\"scroll\"><table>\n<thead><tr><th>setup</th>"
          "<th>workload</th><th>req/s</th><th>&plusmn; ci95</th>"
          "<th>errors</th><th>p50 ms</th><th>p99 ms</th>"
          "<th>queue ms (mean)</th><th>GIL held / wait</th>"
          "<th>status</th></tr></thead>\n<tbody>\n",
          f);
    for (i = 0; i < json_array_size(points); i++) {
        const json_t *pt = json_array_get(points, i);

        df_claim_describe(pt, d, sizeof d);
        df_resfile_workload_spec(pt, spec, sizeof spec);
        fputs("<tr><td>", f);
        html_text(f, d);
        fputs("</td><td><code>", f);
        html_text(f, spec);
        fputs("</code></td>", f);
        if (!df_resfile_point_ok(pt)) {
            fputs("<td colspan=\"7\"></td><td class=\"bad\">failed: ", f);
            html_text(f, df_resfile_str(pt, "failure", "unknown"));
            fputs("</td></tr>\n", f);
            continue;
        }
        used |= point_marks(pt);
        point_cells(f, pt, point_marks(pt));
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    if (!used)
        return;
    fputs("<dl class=\"legend\">\n", f);
    for (i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (used & marks[i].bit)
            fprintf(f, "<dt>%s</dt><dd>%s</dd>\n", marks[i].mark,
                    marks[i].means);
    fputs("</dl>\n", f);
}

static void examples_table(FILE *f, const json_t *doc)
{
    const json_t *ex = json_object_get(doc, "examples");
    size_t i, ok = 0;

    fputs("<div class=\"scroll\"><table>\n<thead><tr><th>example</th>"
          "<th>expected s</th><th>measured s</th><th></th></tr></thead>\n"
          "<tbody>\n",
          f);
    for (i = 0; i < json_array_size(ex); i++) {
        const json_t *e = json_array_get(ex, i);
        int good = df__report_example_ok(e);

        ok += good;
        fputs("<tr><td>", f);
        html_text(f, df_resfile_str(e, "name", "?"));
        fputs("</td>", f);
        num_cell(f, df_resfile_num(e, "expected_s", NAN), 3);
        num_cell(f, df_resfile_num(e, "measured_s", NAN), 3);
        fprintf(f, "<td class=\"%s\">%s</td></tr>\n", good ? "" : "bad",
                good ? "as asyncio" : "off");
    }
    fprintf(f,
            "</tbody></table></div>\n<p>%zu of %zu examples took the time "
            "asyncio takes (within 20 %%); exit status %d.</p>\n",
            ok, json_array_size(ex),
            (int)df_resfile_num(doc, "exit_status", -1));
}

/* The id of a suite's section: its name, with anything but [A-Za-z0-9_-]
 * made '_' (a name comes from a file). */
static void section_id(char *buf, size_t len, const char *name)
{
    size_t i;

    snprintf(buf, len, "suite-%s", name);
    for (i = 6; buf[i]; i++)
        if (!(buf[i] == '-' || buf[i] == '_' ||
              (buf[i] >= '0' && buf[i] <= '9') ||
              ((buf[i] | 32) >= 'a' && (buf[i] | 32) <= 'z')))
            buf[i] = '_';
}

/* #18: how busy the machine was, beside the claims. */
static void load_para(FILE *f, const json_t *doc)
{
    char note[256];
    int busy = df__report_load_note(doc, note, sizeof note);

    if (!note[0])
        return;
    fprintf(f, "<p class=\"%s\">", busy ? "bad" : "machine");
    html_text(f, note);
    fputs(".</p>\n", f);
}

static void section(FILE *f, const json_t *doc, const char *results_dir)
{
    const json_t *s = json_object_get(doc, "suite");
    const char *name = df_resfile_str(s, "name", "?");
    const char *sig = df_resfile_str(doc, "interrupted", NULL);
    char id[96], footer[320];

    section_id(id, sizeof id, name);
    fprintf(f, "<section class=\"suite\" id=\"%s\">\n<h2>", id);
    html_text(f, df_resfile_str(s, "title", name));
    fputs("</h2>\n<p class=\"cmd\"><code>duckfeed suite ", f);
    html_text(f, name);
    fprintf(f, "</code> (version %d%s)</p>\n<blockquote>",
            (int)df_resfile_num(s, "version", 0),
            json_is_true(json_object_get(s, "quick")) ? ", --quick" : "");
    html_md(f, df_resfile_str(s, "sentence", ""));
    fputs("</blockquote>\n", f);
    if (sig) {
        fputs("<p class=\"bad\"><strong>Interrupted</strong> (", f);
        html_text(f, sig);
        fputs("): this suite did not run to its end, so no claim is "
              "computed from it.</p>\n",
              f);
    }
    if (json_is_array(json_object_get(doc, "examples"))) {
        examples_table(f, doc);
        fputs("</section>\n", f);
        return;
    }
    df_resfile_footer(doc, footer, sizeof footer);
    fputs("<p class=\"machine\">Measured on ", f);
    html_text(f, footer);
    fputs(" with <code>", f);
    html_text(f, df_resfile_str(doc, "command", "?"));
    fputs("</code>.</p>\n", f);
    if (!sig && (json_array_size(json_object_get(s, "claims")) > 0 ||
                 df__report_has_trace(doc))) {
        fputs("<h3>What the numbers say</h3>\n", f);
        claims(f, doc);
        load_para(f, doc);
    }
    if (!sig) {
        fputs("<h3>Plots</h3>\n", f);
        plots(f, doc, results_dir);
    }
    fputs("<h3>Points</h3>\n", f);
    points_table(f, doc);
    fputs("</section>\n", f);
}

/* The lessons first: one row per suite, every claim's verdict in it (not
 * only the first: a row once said "holds" above a claim that did not). */
static void lessons(FILE *f, json_t *const *docs, int n)
{
    char id[96], line[640];
    int i;

    fputs("<section id=\"lessons\">\n<h2>Lessons</h2>\n<div "
          "class=\"scroll\"><table>\n<thead><tr><th>lesson</th><th>what "
          "this machine measured</th></tr></thead>\n<tbody>\n",
          f);
    for (i = 0; i < n; i++) {
        const json_t *list =
            json_object_get(json_object_get(docs[i], "suite"), "claims");
        const char *name = df_resfile_str(docs[i], "suite.name", "?");
        size_t k;

        section_id(id, sizeof id, name);
        fprintf(f, "<tr><td><a href=\"#%s\">", id);
        html_text(f, name);
        fputs("</a></td><td>", f);
        if (json_array_size(list) == 0 ||
            df_resfile_str(docs[i], "interrupted", NULL)) {
            df_report_headline(docs[i], line, sizeof line);
            html_md(f, line);
        }
        for (k = 0; !df_resfile_str(docs[i], "interrupted", NULL) &&
                    k < json_array_size(list);
             k++) {
            df_claim_result r;
            const char *cls, *word;

            df_claim_eval(docs[i], json_array_get(list, k), &r);
            word = verdict(&r, &cls);
            fprintf(f, "%s<span class=\"v %s\">%s</span> ", k ? "<br>" : "",
                    cls, word);
            html_md(f, unprefixed(r.brief, "not measured: "));
        }
        if (df__report_load_note(docs[i], line, sizeof line)) {
            fputs("<br><span class=\"v bad\">busy</span> ", f);
            html_text(f, line);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n</section>\n", f);
}

static const char page_css[] =
    "body{font:16px/1.45 system-ui,sans-serif;max-width:64rem;"
    "margin:0 auto;padding:0 1rem;color:#111;background:#fff}"
    "h1,h2{line-height:1.2}h2{border-top:1px solid #ccc;padding-top:1rem}"
    "blockquote{margin:0;padding:.2rem 1rem;border-left:4px solid #999;"
    "background:#f6f6f6}"
    "code{font:0.9em ui-monospace,monospace;overflow-wrap:anywhere}"
    "table{border-collapse:collapse;font-size:.9rem}"
    "th,td{border:1px solid #ccc;padding:.2rem .4rem;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".scroll{overflow-x:auto}"
    "figure{margin:1rem 0}figure img{width:100%;height:auto;"
    "border:1px solid #eee}figcaption{font-size:.8rem;color:#555}"
    ".v{display:inline-block;padding:0 .3rem;border-radius:.2rem;"
    "font-size:.8rem;font-weight:600}"
    ".holds{background:#d7f0d7}.fails{background:#f6d0d0}"
    ".measured{background:#e4e4f4}.unmeasured{background:#eee}"
    ".warn{background:#fff3cd}.bad{background:#f6d0d0}"
    ".mark{font-size:.8rem;font-weight:600}"
    "dl.legend{font-size:.85rem}dl.legend dt{font-weight:600;float:left;"
    "margin-right:.5rem}dl.legend dd{margin:0 0 .3rem 0}"
    "@media print{body{max-width:none;font-size:11pt}"
    ".scroll{overflow:visible}figure,tr{break-inside:avoid}"
    "a{color:inherit;text-decoration:none}}";

static void page(FILE *f, json_t *const *docs, int n, const char *results_dir)
{
    int i;

    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
            "charset=\"utf-8\">\n<meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\">\n"
            "<title>duckfeed report</title>\n<style>%s</style>\n</head>\n"
            "<body>\n<h1>duckfeed report</h1>\n<p><em>x ducklings must be "
            "fed.</em> One keeper who moves on while a duckling eats is "
            "<strong>concurrency</strong>; y keepers feeding y ducklings "
            "at the same instant is <strong>parallelism</strong>. The "
            "lessons come first; then each suite: the sentence it shows, "
            "what the numbers measured here say (computed, not written by "
            "hand), its plots and every point. <code>REPORT.md</code> "
            "beside this file says the same in Markdown.</p>\n",
            page_css);
    if (n == 0)
        fputs("<p>No suite results yet: run <code>./run.sh</code>.</p>\n", f);
    else
        lessons(f, docs, n);
    for (i = 0; i < n; i++)
        section(f, docs[i], results_dir);
    fputs("</body>\n</html>\n", f);
}

int df_report_html_write(const char *results_dir, df_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    json_t **docs;
    int i, fd, rc = 0, n = df__report_load_docs(results_dir, &docs);
    FILE *f = NULL;

    if (n < 0)
        return df_err_set(err, n, "%s: %s", results_dir, strerror(-n));
    snprintf(path, sizeof path, "%s/report.html", results_dir);
    snprintf(tmp, sizeof tmp, "%s/.report.html.XXXXXX", results_dir);
    if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0644) != 0 ||
        !(f = fdopen(fd, "w"))) {
        int e = errno;

        rc = df_err_set(err, -e, "%s: %s", tmp, strerror(e));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        goto out;
    }
    page(f, docs, n, results_dir);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int e = errno;

        unlink(tmp);
        rc = df_err_set(err, -e, "%s: %s", path, strerror(e));
    }
out:
    for (i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    return rc;
}
