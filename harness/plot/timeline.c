/* harness/plot/timeline.c - the "who fed which duckling when" table.
 *
 * Each traced point becomes one panel: a lane per worker (process, thread or
 * loop), time across, and every request drawn as segments - running,
 * waiting for the GIL, waiting on I/O, ready but waiting for the loop (a
 * coroutine whose wait ended, queued behind the others) - from one state
 * change to the next.
 * A coroutine loop holds many requests at once on one lane, so a lane is
 * split into sub-rows: a request gets the lowest sub-row free when it
 * starts. The student then sees one keeper (one lane) whose "running"
 * segments never overlap while the waits pile up beside them, and a process
 * pool whose two lanes run at the same instant.
 *
 * Table layout, per panel p (gnuplot index): 6p+0 running, 6p+1 GIL wait,
 * 6p+2 I/O wait, 6p+3 ready - rows "t0_ms t1_ms y0 y1 request"; 6p+4
 * labels - rows "x_ms y text"; 6p+5 lane names - rows "y name". A block with
 * nothing to show holds one row outside the plotted range, because gnuplot
 * rejects an empty block.
 */
#include "harness/plot/gnuplot.h"
#include "harness/plot/table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/store/resfile.h"

typedef struct tl_event {
    double t_us;
    long long request;
    int worker, state, order;
} tl_event;

enum { S_RUN, S_GIL, S_IO, S_DONE, S_READY, S_COUNT };

static int parse_state(const char *s)
{
    static const char *const names[] = { "run", "gil_wait", "io_wait", "done",
                                         "ready" };
    int i;

    for (i = 0; i < S_COUNT; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int by_request_time(const void *a, const void *b)
{
    const tl_event *x = a, *y = b;

    if (x->request != y->request)
        return (x->request > y->request) - (x->request < y->request);
    if (x->t_us != y->t_us)
        return (x->t_us > y->t_us) - (x->t_us < y->t_us);
    return x->order - y->order;
}

/* Events of one point, sorted by request then time; malformed ones are
 * skipped. Returns the count or -ENOMEM. */
static int load_events(const json_t *trace, tl_event **out)
{
    size_t i, n = json_array_size(trace);
    tl_event *ev = calloc(n ? n : 1, sizeof *ev);
    int m = 0;

    *out = ev;
    if (!ev)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get(trace, i);
        int st = parse_state(df_resfile_str(e, "state", ""));
        double t = df_resfile_num(e, "t_us", -1);
        double w = df_resfile_num(e, "worker", -1);

        if (st < 0 || t < 0 || w < 0 || w > 4096)
            continue;
        ev[m] = (tl_event){ .t_us = t,
                            .worker = (int)w,
                            .state = st,
                            .request = df_resfile_int(e, "request", -1),
                            .order = m };
        m++;
    }
    qsort(ev, m, sizeof *ev, by_request_time);
    return m;
}

/* Per-panel layout: lane of each worker, sub-row of each request. */
typedef struct tl_layout {
    int nworkers;   /* lanes: worker ids 0..nworkers-1 */
    int *nsub;      /* sub-rows per lane */
    int *sub;       /* per event: sub-row of its request */
    double t0_us;   /* first event */
    double span_us; /* last - first */
} tl_layout;

static int layout(const tl_event *ev, int n, tl_layout *lo)
{
    double *busy_until = NULL; /* per lane x sub-row, grown on demand */
    int cap = 0, i, j, k;

    memset(lo, 0, sizeof *lo);
    lo->t0_us = n ? ev[0].t_us : 0;
    for (i = 0; i < n; i++) {
        if (ev[i].worker + 1 > lo->nworkers)
            lo->nworkers = ev[i].worker + 1;
        if (ev[i].t_us < lo->t0_us)
            lo->t0_us = ev[i].t_us;
    }
    lo->nsub = calloc(lo->nworkers ? lo->nworkers : 1, sizeof(int));
    lo->sub = calloc(n ? n : 1, sizeof(int));
    if (!lo->nsub || !lo->sub)
        return -ENOMEM;
    /* Requests in order of their first event, so sub-rows fill greedily. */
    for (;;) {
        int best = -1;
        double end;

        for (i = 0; i < n; i = j) {
            for (j = i; j < n && ev[j].request == ev[i].request; j++)
                ;
            if (lo->sub[i] == 0 && (best < 0 || ev[i].t_us < ev[best].t_us))
                best = i;
        }
        if (best < 0)
            break;
        for (j = best; j < n && ev[j].request == ev[best].request; j++)
            ;
        end = ev[j - 1].t_us;
        if (end - lo->t0_us > lo->span_us)
            lo->span_us = end - lo->t0_us;
        if (ev[best].worker * 64 + 64 > cap) {
            int ncap = ev[best].worker * 64 + 64;
            double *nb = realloc(busy_until, ncap * sizeof *nb);

            if (!nb) {
                free(busy_until);
                return -ENOMEM;
            }
            for (k = cap; k < ncap; k++)
                nb[k] = -1;
            busy_until = nb, cap = ncap;
        }
        for (k = 0; k < 63; k++)
            if (busy_until[ev[best].worker * 64 + k] <= ev[best].t_us)
                break;
        busy_until[ev[best].worker * 64 + k] = end;
        if (k + 1 > lo->nsub[ev[best].worker])
            lo->nsub[ev[best].worker] = k + 1;
        /* Stored +1 so that 0 means "not placed yet". */
        for (i = best; i < j; i++)
            lo->sub[i] = k + 1;
    }
    free(busy_until);
    return 0;
}

static void row_box(const tl_layout *lo,
                    int lane,
                    int sub,
                    double *y0,
                    double *y1)
{
    int nsub = lo->nsub[lane] ? lo->nsub[lane] : 1;
    double h = 0.8 / nsub;

    *y0 = lane + 0.1 + (sub - 1) * h;
    *y1 = *y0 + h * 0.88;
}

static void write_state_block(FILE *f,
                              const tl_event *ev,
                              int n,
                              const tl_layout *lo,
                              int state)
{
    int i, rows = 0;
    double y0, y1;

    for (i = 0; i + 1 < n; i++) {
        if (ev[i].state != state || ev[i + 1].request != ev[i].request)
            continue;
        row_box(lo, ev[i].worker, lo->sub[i], &y0, &y1);
        fprintf(f, "%.4f %.4f %.4f %.4f %lld\n",
                (ev[i].t_us - lo->t0_us) / 1000.0,
                (ev[i + 1].t_us - lo->t0_us) / 1000.0, y0, y1, ev[i].request);
        rows++;
    }
    if (!rows)
        fprintf(f, "-1 -1 -1 -1 -1\n");
    fprintf(f, "\n\n");
}

/* One label per request, on its longest segment. */
static void write_labels(FILE *f,
                         const tl_event *ev,
                         int n,
                         const tl_layout *lo)
{
    int i, j, k, rows = 0;
    double y0, y1;

    for (i = 0; i < n; i = j) {
        int best = -1;

        for (j = i; j < n && ev[j].request == ev[i].request; j++)
            ;
        for (k = i; k + 1 < j; k++)
            if (ev[k].state != S_DONE &&
                (best < 0 || ev[k + 1].t_us - ev[k].t_us >
                                 ev[best + 1].t_us - ev[best].t_us))
                best = k;
        if (best < 0)
            continue;
        row_box(lo, ev[best].worker, lo->sub[best], &y0, &y1);
        fprintf(f, "%.4f %.4f \"r%lld\"\n",
                ((ev[best].t_us + ev[best + 1].t_us) / 2 - lo->t0_us) / 1000.0,
                (y0 + y1) / 2, ev[best].request);
        rows++;
    }
    if (!rows)
        fprintf(f, "-1 -1 \"\"\n");
    fprintf(f, "\n\n");
}

/* What one lane of p's model is called: "thread 0", "loop 0"... */
static const char *lane_word(const df__plot_point *p)
{
    return p->ops && p->ops->lane_name ? p->ops->lane_name : "lane";
}

/* Panel np of the table: its six index blocks (running, GIL wait, I/O
 * wait, ready, labels, lanes) for point p's m events laid out in lo. */
static void write_panel(FILE *f,
                        int np,
                        const df__plot_point *p,
                        const tl_event *ev,
                        int m,
                        const tl_layout *lo)
{
    fprintf(f, "# panel %d: ", np);
    df__gnuplot_put_comment(f, p->model);
    fputc(' ', f);
    df__gnuplot_put_comment(f, p->workload);
    fprintf(f, ", concurrency %d\n", p->concurrency);
    write_state_block(f, ev, m, lo, S_RUN);
    write_state_block(f, ev, m, lo, S_GIL);
    write_state_block(f, ev, m, lo, S_IO);
    write_state_block(f, ev, m, lo, S_READY);
    write_labels(f, ev, m, lo);
    for (int w = 0; w < lo->nworkers; w++) {
        fprintf(f, "%.2f \"", w + 0.5);
        df__gnuplot_put_field(f, lane_word(p));
        fprintf(f, " %d\"\n", w);
    }
    fprintf(f, "\n\n");
}

int df__plot_timeline_write(const char *path,
                            const df__plot_point *pts,
                            int n,
                            df__plot_timeline *out)
{
    FILE *f = NULL;
    tl_event *ev = NULL;
    tl_layout lo = { 0 };
    double span_ms = 0;
    int i, m, np = 0, rc = 0;

    memset(out, 0, sizeof *out);
    for (i = 0; i < n && np < DF_PLOT_TIMELINE_MAX_PANELS; i++) {
        const json_t *trace = json_object_get(pts[i].j, "trace");

        if (!json_is_array(trace) || json_array_size(trace) == 0)
            continue;
        if (!f && !(f = fopen(path, "w")))
            return -errno;
        if (np == 0)
            fprintf(f, "# duckfeed plot table: timeline, who fed which "
                       "duckling when\n# per panel p: index 6p running, 6p+1"
                       " GIL wait, 6p+2 I/O wait, 6p+3 ready, waiting for "
                       "the loop\n# (t0_ms t1_ms y0 y1 request), 6p+4 labels"
                       " (x_ms y text), 6p+5 lanes (y name)"
                       "\n");
        m = load_events(trace, &ev);
        if (m < 0 || (rc = layout(ev, m, &lo)) < 0) {
            rc = m < 0 ? m : rc;
            goto out;
        }
        if (m == 0) {
            free(ev), free(lo.nsub), free(lo.sub);
            ev = NULL, lo.nsub = lo.sub = NULL;
            continue;
        }
        write_panel(f, np, &pts[i], ev, m, &lo);
        if (lo.span_us / 1000.0 > span_ms)
            span_ms = lo.span_us / 1000.0;
        /* Text of the results file: it goes to gnuplot as an ARG. */
        snprintf(out->title[np], sizeof out->title[np], "%s w=%d t=%d",
                 pts[i].model, pts[i].workers, pts[i].threads);
        out->lanes[np] = lo.nworkers;
        np++;
        free(ev), free(lo.nsub), free(lo.sub);
        ev = NULL, lo.nsub = lo.sub = NULL;
    }
    out->npanels = np;
    out->tmax_ms = span_ms * 1.02;
out:
    free(ev), free(lo.nsub), free(lo.sub);
    if (f && fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc < 0 ? rc : np;
}
