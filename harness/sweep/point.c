/* harness/sweep/point.c - drives one point: workload setup, model, closed loop.
 *
 * Closed loop, as wrk: `concurrency` clients each keep one request in
 * flight; the completion sink, called on a model thread, records the
 * request and submits that client's next one at once. Recording goes to a
 * per-thread recorder (three histograms and counters) found through a
 * thread-local pointer, so the hot path takes no lock and allocates only
 * the first time a thread records. Recorders are merged after the model
 * stopped and every sink call returned.
 *
 * Open loop, as wrk2: a generator (the calling thread) submits request k at
 * t0 + the k-th offset of an arrival schedule, whatever the model is doing.
 * It sleeps with the timer slack lowered to 1 ns and spins the last
 * SPIN_NS, so sends are usually within a few us of their time; when the
 * model blocks submit, the generator falls behind and catches up, and the
 * latency of every late request still counts from its intended start.
 * The naive latency (from the actual send) is kept beside it to show what
 * a closed-loop tool would report.
 *
 * Little's law check: the notes atop littles.c explain the sums kept here
 * (overlap_ns, entry_ns, settled_ns) and what they are compared with.
 */
#define _GNU_SOURCE
#include "harness/sweep/point.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <math.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "base/clock.h"
#include "base/trace.h"
#include "harness/measure/arrivals.h"
#include "harness/measure/hist.h"
#include "harness/sweep/model_json.h"
#include "harness/sweep/point_private.h"
#include "harness/sweep/tally.h"

#define MAX_RECORDERS    1024
#define TALLY_SLOTS      (MAX_RECORDERS + 1) /* the last: the shared one */
#define TRACE_CAPACITY   65536
#define SPIN_NS          50000     /* spin the last 50 us before a send */
#define LATE_NS          1000000   /* a send this late is counted as late */
#define POLL_NS          100000    /* requests mode: wait for the last one */
#define WARM_POLL_NS     20000000  /* automatic warm-up: look every 20 ms */
#define WARM_INTERVAL_NS 100000000 /* ... at intervals of 100 ms or more */
#define WARM_MIN_COUNT   20        /* ... holding 20 completions or more */
#define WARM_MARGIN_NS   1000000   /* the window opens 1 ms after */

typedef struct recorder {
    df_hist *latency; /* intended start -> finished */
    df_hist *queue;   /* intended start -> a worker started it */
    df_hist *service; /* started -> finished */
    df_hist *naive;   /* sent -> finished (what closed-loop tools see) */
    int64_t completed, errors;
    /* #17: errors by kind (models/model.h's DF_STATUS_*); the rest are
     * the workload's own. */
    int64_t errors_crash, errors_timeout, errors_refused;
    int64_t overlap_ns;  /* sum of [sent, finished] n window, every request */
    int64_t entry_ns;    /* sum of [sent, window end] n window, every send */
    int64_t settled_ns;  /* the same, of every finished request */
    int64_t delivery_ns; /* sum of finished -> the sink saw it, in window */
    /* Sends and settlements seen before an automatic warm-up fixed the
     * window: each spans the whole window (see warm_up). */
    int64_t early_entries, early_settled;
    int64_t censored; /* delivered after the window's end, sent before */
    int64_t *tally;   /* #17: its slot of the run's tally (tally.h) */
} recorder;

typedef struct point_run {
    const df_point_cfg *pc;
    df_model *model; /* atomic: read by model threads in submit_next */
    int64_t window_start_ns, window_end_ns; /* atomic: what is recorded */
    int stopping;                           /* atomic: no more submissions */
    uint64_t next_id;                       /* atomic */
    uint64_t finished; /* atomic: every completion (requests mode) */
    recorder *rec[MAX_RECORDERS];
    int nrec;        /* atomic: slots handed out */
    recorder shared; /* when slots run out; guarded by shared_mu */
    pthread_mutex_t shared_mu;
    int alloc_failed; /* atomic */
    int64_t inflight; /* atomic: submitted and not finished */
    /* Open-loop generator's counts, written by the generator thread only. */
    int64_t offered, dropped, late_sends, submitted;
    int64_t entry_ns;    /* as recorder.entry_ns, of the generator's sends */
    df__sampler sampler; /* results read after its thread is joined */
    /* The point as started: pc with the model whose submit and stop to
     * call (a hybrid's is the process model). pc points here meanwhile. */
    df_point_cfg started;
    int64_t rss_before; /* resident set before the model started */
    /* Closed loop with a window: client i's requests have ids i, i + c,
     * i + 2c...; client_sent_ns[i] is the send of its request in flight,
     * 0 when none (atomic). What is left at the end was never delivered. */
    int64_t *client_sent_ns;
    unsigned char *client_done; /* atomic: completed at least one */
    int64_t clients_done;       /* atomic: how many have */
    /* Automatic warm-up: completions and their latency sum (atomic). */
    int64_t warm_count, warm_latency_ns;
    int64_t warmup_ns;   /* the warm-up as run */
    int warmup_capped;   /* it ended on its cap */
    double warmup_error; /* |lambda W - in flight| / max, last interval */
    int64_t abandoned_censored; /* never delivered, in latency (closed) */
    df_tally *tally;            /* #17: pc->tally, or own_tally: mapped here */
    int own_tally, nbuckets;
} point_run;

static __thread recorder *tl_rec;
static __thread point_run *tl_run;

static recorder *recorder_new(void)
{
    recorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (df_hist_create_default(&r->latency) ||
        df_hist_create_default(&r->queue) ||
        df_hist_create_default(&r->service) ||
        df_hist_create_default(&r->naive)) {
        df_hist_destroy(r->latency);
        df_hist_destroy(r->queue);
        df_hist_destroy(r->service);
        df_hist_destroy(r->naive);
        free(r);
        return NULL;
    }
    return r;
}

static void recorder_free(recorder *r)
{
    if (!r)
        return;
    df_hist_destroy(r->latency);
    df_hist_destroy(r->queue);
    df_hist_destroy(r->service);
    df_hist_destroy(r->naive);
    free(r);
}

/* closed: intended == sent, so the naive histogram would repeat latency.
 * Latency ends when the harness got the response (delivered_ns), as a
 * client measures it: it includes the model's hand-back (the process
 * model's return pipe, the thread model's forced GIL hand-off, which in
 * CPython also comes before the response's send). Service time is the
 * model's own view, started -> finished. */
static void record(recorder *r,
                   const df_completion *c,
                   int closed,
                   int64_t delivered_ns)
{
    df_hist_record(r->latency, delivered_ns - c->intended_ns);
    df_hist_record(r->queue, c->started_ns - c->intended_ns);
    df_hist_record(r->service, c->finished_ns - c->started_ns);
    if (!closed)
        df_hist_record(r->naive, delivered_ns - c->sent_ns);
    r->completed++;
    if (c->status < 0)
        r->errors++;
    r->errors_crash += c->status == DF_STATUS_CRASHED;
    r->errors_timeout += c->status == DF_STATUS_TIMED_OUT;
    r->errors_refused += c->status == DF_STATUS_REFUSED;
}

/* The recorder of the calling thread; NULL only when memory ran out. */
static recorder *my_recorder(point_run *run)
{
    if (tl_run == run && tl_rec)
        return tl_rec;
    int slot = __atomic_fetch_add(&run->nrec, 1, __ATOMIC_RELAXED);
    if (slot >= MAX_RECORDERS)
        return NULL; /* caller falls back to the shared recorder */
    recorder *r = recorder_new();
    if (!r) {
        __atomic_store_n(&run->alloc_failed, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    r->tally = df_tally_slot(run->tally, slot);
    __atomic_store_n(&run->rec[slot], r, __ATOMIC_RELEASE);
    tl_rec = r;
    tl_run = run;
    return r;
}

/* The window as a model thread reads it. It is set after the model
 * started, so a model thread may already exist; what orders the write
 * before its reads is the first submit, through a pipe and another process
 * in the process model, which ThreadSanitizer cannot see: atomics say so. */
static int64_t window_start(const point_run *run)
{
    return __atomic_load_n(&run->window_start_ns, __ATOMIC_ACQUIRE);
}

/* An automatic warm-up has not fixed the window yet: both ends are
 * INT64_MAX until it does (end stored first, start with release). */
static int window_unknown(const point_run *run)
{
    return window_start(run) == INT64_MAX;
}

static int64_t window_end(const point_run *run)
{
    return __atomic_load_n(&run->window_end_ns, __ATOMIC_RELAXED);
}

/* The part of [sent, window end] inside the window: how long a request
 * sent then counts as in flight in the window if it never finishes. 0 in
 * requests mode, whose span has no end fixed in advance. */
static int64_t entry_span_ns(const point_run *run, int64_t sent_ns)
{
    if (run->pc->requests > 0 || sent_ns >= window_end(run))
        return 0;
    return window_end(run) -
           (sent_ns > window_start(run) ? sent_ns : window_start(run));
}

/* Adds to a recorder's sums from any thread (the shared one under its
 * lock). */
static void add_entry(point_run *run, int64_t sent_ns)
{
    int early = window_unknown(run);
    int64_t entry_ns = early ? 0 : entry_span_ns(run, sent_ns);
    recorder *r = my_recorder(run);
    if (!r) {
        r = &run->shared;
        pthread_mutex_lock(&run->shared_mu);
    }
    r->entry_ns += entry_ns;
    r->early_entries += early;
    if (r == &run->shared)
        pthread_mutex_unlock(&run->shared_mu);
}

/* Closed loop with a window keeps each client's send (see point_run). */
static int tracks_clients(const point_run *run)
{
    return run->client_sent_ns != NULL;
}

/* now_ns: the caller's fresh clock reading, or 0 to take one. id: the
 * request's id when the run tracks clients (client + k * concurrency). */
static void submit_next(point_run *run, int64_t now_ns, uint64_t id)
{
    if (__atomic_load_n(&run->stopping, __ATOMIC_RELAXED))
        return;
    if (!tracks_clients(run))
        id = __atomic_fetch_add(&run->next_id, 1, __ATOMIC_RELAXED);
    if (run->pc->requests > 0 && id >= (uint64_t)run->pc->requests)
        return;
    df_request req = { .id = id };
    req.sent_ns = req.intended_ns = now_ns ? now_ns : df_now_ns();
    __atomic_fetch_add(&run->inflight, 1, __ATOMIC_RELAXED);
    int64_t *slot = NULL;
    if (tracks_clients(run)) {
        slot = &run->client_sent_ns[id % (uint64_t)run->pc->concurrency];
        __atomic_store_n(slot, req.sent_ns, __ATOMIC_RELAXED);
    }
    df_model *m = __atomic_load_n(&run->model, __ATOMIC_ACQUIRE);
    if (run->pc->model->submit(m, &req) < 0) {
        __atomic_fetch_sub(&run->inflight, 1, __ATOMIC_RELAXED);
        if (slot)
            __atomic_store_n(slot, 0, __ATOMIC_RELAXED);
    } else {
        add_entry(run, req.sent_ns);
    }
}

/* The part of [sent, delivered] inside the window (requests mode: from
 * the start on, there is no end before the last completion). The span ends
 * when the sink saw the request, not at the model's finished_ns: that is
 * when the in-flight counter drops, and a model may hand a finished
 * request over late (the thread model's forced GIL hand-off, the process
 * model's return pipe). The lag is reported as "delivery_us_mean". */
static int64_t overlap_ns(const point_run *run,
                          const df_completion *c,
                          int64_t delivered_ns)
{
    int64_t lo =
        c->sent_ns > window_start(run) ? c->sent_ns : window_start(run);
    int64_t hi = delivered_ns;
    if (run->pc->requests <= 0 && hi > window_end(run))
        hi = window_end(run);
    return hi > lo ? hi - lo : 0;
}

/* Closed loop, before an automatic warm-up fixed the window: what the
 * warm-up watches (clients heard from, latencies). Atomics, no lock. */
static void note_warmup(point_run *run, const df_completion *c, int64_t now)
{
    size_t client = c->id % (uint64_t)run->pc->concurrency;
    if (!__atomic_load_n(&run->client_done[client], __ATOMIC_RELAXED)) {
        __atomic_store_n(&run->client_done[client], 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&run->clients_done, 1, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&run->warm_latency_ns, now - c->sent_ns,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&run->warm_count, 1, __ATOMIC_RELEASE);
}

/* Records c into r: a completion in the window, or one in flight when the
 * window closed (censored: its age at the end enters the latency). */
static void settle(point_run *run,
                   recorder *r,
                   const df_completion *c,
                   int64_t now,
                   int early)
{
    int in_window = run->pc->requests > 0 ||
                    (now >= window_start(run) && now < window_end(run));
    if (in_window) {
        record(r, c, run->pc->rate_rps <= 0, now);
        r->delivery_ns += now - c->finished_ns;
    } else if (!early && run->pc->requests <= 0 && now >= window_end(run) &&
               c->sent_ns < window_end(run)) {
        df_hist_record(r->latency, window_end(run) - c->intended_ns);
        r->censored++;
    }
    df_tally_count(r->tally, run->nbuckets, window_start(run), now,
                   c->status < 0);
    r->overlap_ns += overlap_ns(run, c, now);
    if (early)
        r->early_settled++;
    else
        r->settled_ns += entry_span_ns(run, c->sent_ns);
}

static void sink(void *arg, const df_completion *c)
{
    point_run *run = arg;
    /* One clock read serves the delivery stamp and, in closed loop, the
     * send of this client's next request. */
    int64_t now = df_now_ns();
    int early = window_unknown(run);
    if (early && tracks_clients(run))
        note_warmup(run, c, now);
    if (early || c->sent_ns < window_end(run) || run->pc->requests > 0) {
        recorder *r = my_recorder(run);
        if (!r) {
            r = &run->shared;
            pthread_mutex_lock(&run->shared_mu);
        }
        settle(run, r, c, now, early);
        if (r == &run->shared)
            pthread_mutex_unlock(&run->shared_mu);
    }
    if (tracks_clients(run))
        __atomic_store_n(
            &run->client_sent_ns[c->id % (uint64_t)run->pc->concurrency], 0,
            __ATOMIC_RELAXED);
    __atomic_fetch_sub(&run->inflight, 1, __ATOMIC_RELAXED);
    if (run->pc->requests > 0) /* only requests mode waits for it */
        __atomic_fetch_add(&run->finished, 1, __ATOMIC_RELEASE);
    if (run->pc->rate_rps <= 0)
        submit_next(run, now, c->id + (uint64_t)run->pc->concurrency);
}

void df__sleep_until(int64_t t_ns)
{
    struct timespec ts = { .tv_sec = t_ns / 1000000000,
                           .tv_nsec = t_ns % 1000000000 };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Waits until t_ns: sleeps to SPIN_NS before it, then spins, because a
 * sleep alone wakes 50+ us late even with the slack at 1 ns. */
static void wait_until(int64_t t_ns)
{
    if (t_ns - df_now_ns() > SPIN_NS)
        df__sleep_until(t_ns - SPIN_NS);
    while (df_now_ns() < t_ns)
        ;
}

/* The open-loop generator: runs on the calling thread until the window
 * ends. Arrivals before the window are warm-up: sent, not counted. */
static int offer_open_load(point_run *run, int64_t t0)
{
    const df_point_cfg *pc = run->pc;
    df_arrivals *a = NULL;
    int rc = df_arrivals_create((df_arrivals_kind)pc->arrivals, pc->rate_rps,
                                pc->seed, &a);
    if (rc < 0)
        return rc;
    /* The default 50 us slack would make every sleep that late. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    for (uint64_t id = 0;; id++) {
        int64_t intended = t0 + df_arrivals_next_ns(a);
        if (intended >= run->window_end_ns)
            break;
        wait_until(intended);
        int counted = intended >= run->window_start_ns;
        run->offered += counted;
        if (pc->max_inflight > 0 &&
            __atomic_load_n(&run->inflight, __ATOMIC_RELAXED) >=
                pc->max_inflight) {
            run->dropped += counted;
            continue;
        }
        df_request req = { .id = id, .intended_ns = intended };
        req.sent_ns = df_now_ns();
        if (req.sent_ns - intended > LATE_NS)
            run->late_sends += counted;
        __atomic_fetch_add(&run->inflight, 1, __ATOMIC_RELAXED);
        if (pc->model->submit(run->model, &req) < 0) {
            __atomic_fetch_sub(&run->inflight, 1, __ATOMIC_RELAXED);
            run->dropped += counted;
            continue;
        }
        run->submitted++;
        run->entry_ns += entry_span_ns(run, req.sent_ns);
    }
    df_arrivals_destroy(a);
    return 0;
}

/* Offers the closed-loop load and returns when the window is over (or, in
 * requests mode, when every request finished or the generous deadline hit). */
static void offer_load(point_run *run, int64_t t0)
{
    const df_point_cfg *pc = run->pc;
    int64_t first = pc->concurrency;
    if (pc->requests > 0 && pc->requests < first)
        first = pc->requests;
    for (int64_t i = 0; i < first; i++)
        submit_next(run, 0, (uint64_t)i);
    if (pc->requests <= 0)
        return; /* drive waits for the window */
    /* Requests mode (the timeline): small runs, polled every POLL_NS. */
    int64_t deadline = t0 + pc->duration_ns + pc->warmup_ns;
    while (__atomic_load_n(&run->finished, __ATOMIC_ACQUIRE) <
               (uint64_t)pc->requests &&
           df_now_ns() < deadline)
        df__sleep_until(df_now_ns() + POLL_NS);
}

/* Adds r's histograms and sums into all. */
static void recorder_add(recorder *all, const recorder *r)
{
    df_hist_merge(all->latency, r->latency);
    df_hist_merge(all->queue, r->queue);
    df_hist_merge(all->service, r->service);
    df_hist_merge(all->naive, r->naive);
    all->completed += r->completed;
    all->errors += r->errors;
    all->errors_crash += r->errors_crash;
    all->errors_timeout += r->errors_timeout;
    all->errors_refused += r->errors_refused;
    all->overlap_ns += r->overlap_ns;
    all->entry_ns += r->entry_ns;
    all->settled_ns += r->settled_ns;
    all->delivery_ns += r->delivery_ns;
    all->early_entries += r->early_entries;
    all->early_settled += r->early_settled;
    all->censored += r->censored;
}

/* Every thread's recorder, the shared one and the generator's sums in
 * one new recorder; NULL on ENOMEM. */
static recorder *merge_recorders(const point_run *run)
{
    recorder *all = recorder_new();
    if (!all)
        return NULL;
    int n = run->nrec < MAX_RECORDERS ? run->nrec : MAX_RECORDERS;
    for (int i = 0; i < n; i++)
        if (run->rec[i])
            recorder_add(all, run->rec[i]);
    recorder_add(all, &run->shared);
    all->entry_ns += run->entry_ns;
    /* Never delivered (abandoned by the drain): censored at their age. */
    int64_t we = run->window_end_ns;
    for (int i = 0; run->client_sent_ns && i < run->pc->concurrency; i++) {
        int64_t sent = run->client_sent_ns[i];
        if (sent && sent < we) {
            df_hist_record(all->latency, we - sent);
            all->censored++;
        }
    }
    /* Early sends and settlements span the whole window (see warm_up). */
    int64_t span = run->window_end_ns - run->window_start_ns;
    all->entry_ns += all->early_entries * span;
    all->settled_ns += all->early_settled * span;
    return all;
}

/* The warm-up as run and, in closed loop, whether the window held
 * several requests per client. */
static void add_window_checks(json_t *checks,
                              const point_run *run,
                              const recorder *all)
{
    const df_point_cfg *pc = run->pc;
    if (pc->requests > 0)
        return;
    json_t *warm = json_pack("{s:b,s:b,s:f}", "ok", !run->warmup_capped, "auto",
                             pc->warmup_auto, "warmup_s", run->warmup_ns / 1e9);
    if (pc->warmup_auto) {
        json_object_set_new(warm, "clients_completed",
                            json_integer(run->clients_done));
        json_object_set_new(warm, "error", json_real(run->warmup_error));
    }
    json_object_set_new(checks, "warmup", warm);
    if (pc->rate_rps > 0)
        return;
    double per_client = (double)all->completed / pc->concurrency;
    json_object_set_new(checks, "window",
                        json_pack("{s:b,s:f,s:i}", "ok",
                                  per_client >= DF_POINT_MIN_PER_CLIENT,
                                  "per_client", per_client, "min_per_client",
                                  DF_POINT_MIN_PER_CLIENT));
}

/* The self-checks: Little's law, the steady state and, in open loop, the
 * achieved rate; "delivery_us_mean", "inflight_mean" and "achieved_rps"
 * beside them, and the open loop's own figures. */
static void add_checks(json_t *rec,
                       const point_run *run,
                       const recorder *all,
                       int64_t window_ns)
{
    const df_point_cfg *pc = run->pc;
    double secs = window_ns / 1e9;
    double achieved = secs > 0 ? all->completed / secs : 0;
    double sampled =
        run->sampler.weight > 0 ? run->sampler.sum / run->sampler.weight : 0;
    /* Time in the system as the in-flight counter sees it: from the send;
     * exact over the window, edges included (see the notes atop littles.c). */
    double predicted =
        window_ns > 0
            ? (double)(all->overlap_ns + all->entry_ns - all->settled_ns) /
                  window_ns
            : 0;
    const df_hist *from_send = pc->rate_rps > 0 ? all->naive : all->latency;
    double delivery_ns =
        all->completed ? (double)all->delivery_ns / all->completed : 0;
    double lambda_w = achieved * df_hist_mean(from_send) / 1e9;
    json_object_set_new(rec, "delivery_us_mean", json_real(delivery_ns / 1e3));
    json_t *checks = json_object();
    json_t *ll = df_point_littles_check(sampled, predicted);
    json_object_set_new(ll, "inflight_lambda_w", json_real(lambda_w));
    json_object_set_new(ll, "samples",
                        json_integer((json_int_t)run->sampler.samples));
    json_object_set_new(checks, "littles_law", ll);
    json_object_set_new(checks, "steady_state",
                        df_point_steady_check(lambda_w, predicted));
    json_object_set_new(rec, "inflight_mean", json_real(sampled));
    json_object_set_new(rec, "achieved_rps", json_real(achieved));
    if (pc->rate_rps > 0) {
        double offered = secs > 0 ? run->offered / secs : 0;
        double err = offered > 0 ? fabs(achieved - offered) / offered : 0;
        json_object_set_new(rec, "latency_naive_us",
                            df_point_latency_json(all->naive));
        json_object_set_new(rec, "offered_rps", json_real(offered));
        json_object_set_new(rec, "dropped", json_integer(run->dropped));
        json_object_set_new(
            checks, "rate",
            json_pack("{s:b,s:f,s:f,s:f,s:I}", "ok", err <= 0.10, "offered_rps",
                      offered, "achieved_rps", achieved, "error", err,
                      "late_sends", (json_int_t)run->late_sends));
    }
    add_window_checks(checks, run, all);
    json_object_set_new(rec, "checks", checks);
}

static int collect(point_run *run, int64_t window_ns, json_t *rec)
{
    recorder *all = merge_recorders(run);
    if (!all)
        return -ENOMEM;
    double secs = window_ns / 1e9;
    int64_t succeeded = all->completed - all->errors;
    json_object_set_new(rec, "status", json_string("ok"));
    json_object_set_new(rec, "completed", json_integer(all->completed));
    json_object_set_new(rec, "errors", json_integer(all->errors));
    json_object_set_new(rec, "succeeded", json_integer(succeeded));
    json_object_set_new(
        rec, "errors_by_kind",
        json_pack("{s:I,s:I,s:I,s:I}", "crash", (json_int_t)all->errors_crash,
                  "timeout", (json_int_t)all->errors_timeout, "refused",
                  (json_int_t)all->errors_refused, "other",
                  (json_int_t)(all->errors - all->errors_crash -
                               all->errors_timeout - all->errors_refused)));
    json_object_set_new(
        rec, "error_rate",
        json_real(all->completed ? (double)all->errors / all->completed : 0));
    json_object_set_new(rec, "throughput_rps",
                        json_real(secs > 0 ? succeeded / secs : 0));
    json_object_set_new(rec, "censored", json_integer(all->censored));
    json_object_set_new(
        rec, "latency_lower_bound",
        json_boolean(all->censored * DF_POINT_MIN_PER_CLIENT > all->completed));
    json_object_set_new(rec, "latency_us", df_point_latency_json(all->latency));
    json_object_set_new(rec, "queue_us", df_point_latency_json(all->queue));
    json_object_set_new(rec, "service_us", df_point_latency_json(all->service));
    json_object_set_new(rec, "latency_cdf", df__point_cdf_json(all->latency));
    json_t *buckets = df_tally_buckets_json(run->tally);
    if (buckets)
        json_object_set_new(rec, "throughput_buckets", buckets);
    add_checks(rec, run, all, window_ns);
    recorder_free(all);
    return 0;
}

static void run_destroy(point_run *run)
{
    for (int i = 0; i < MAX_RECORDERS && i < run->nrec; i++)
        recorder_free(run->rec[i]);
    df_hist_destroy(run->shared.latency);
    df_hist_destroy(run->shared.queue);
    df_hist_destroy(run->shared.service);
    df_hist_destroy(run->shared.naive);
    pthread_mutex_destroy(&run->shared_mu);
    free(run->client_sent_ns);
    free(run->client_done);
    if (run->own_tally)
        df_tally_unmap(run->tally);
    tl_rec = NULL;
    tl_run = NULL;
    free(run);
}

static int run_create(const df_point_cfg *pc, point_run **out, df_err *err)
{
    point_run *run = calloc(1, sizeof *run);
    if (!run)
        return df_err_set(err, -ENOMEM, "point: out of memory");
    run->pc = pc;
    run->window_start_ns = run->window_end_ns = INT64_MAX;
    pthread_mutex_init(&run->shared_mu, NULL);
    run->tally = pc->tally;
    if (!run->tally) {
        int rc = df_point_tally_map(pc, &run->tally);
        if (rc < 0) {
            run_destroy(run);
            return df_err_set(err, rc, "point: cannot map its tally: %s",
                              strerror(-rc));
        }
        run->own_tally = 1;
    }
    run->nbuckets = df_tally_buckets(run->tally);
    run->shared.tally = df_tally_slot(run->tally, MAX_RECORDERS);
    if (pc->rate_rps <= 0 && pc->requests <= 0 && pc->concurrency > 0) {
        run->client_sent_ns =
            calloc((size_t)pc->concurrency, sizeof *run->client_sent_ns);
        run->client_done = calloc((size_t)pc->concurrency, 1);
        if (!run->client_sent_ns || !run->client_done) {
            run_destroy(run);
            return df_err_set(err, -ENOMEM, "point: out of memory");
        }
    }
    if (df_hist_create_default(&run->shared.latency) ||
        df_hist_create_default(&run->shared.queue) ||
        df_hist_create_default(&run->shared.service) ||
        df_hist_create_default(&run->shared.naive)) {
        run_destroy(run);
        return df_err_set(err, -ENOMEM, "point: out of memory");
    }
    *out = run;
    return 0;
}

int df_point_tally_map(const df_point_cfg *pc, df_tally **out)
{
    return df_tally_map(TALLY_SLOTS, pc->requests > 0 ? 0 : pc->duration_ns,
                        out);
}

static int setup_workload(const df_point_cfg *pc, void **state, df_err *err)
{
    const df_workload *w = pc->mcfg.workload;
    if (!w->setup)
        return 0;
    char why[200] = "";
    int rc = w->setup(pc->mcfg.params, state, why, sizeof why);
    if (rc < 0)
        df_err_set(err, rc, "workload %s: setup failed: %s", w->name,
                   why[0] ? why : strerror(-rc));
    return rc;
}

/* Starts the model pc names, completing into the run's sink; with
 * processes > 1 and thread or coroutine, the process model wrapping it (a
 * hybrid). From here run->pc is run->started: submissions go through the
 * started model's submit. 0, or start's failure. */
static int start_model(point_run *run, void *state, df_err *err)
{
    const df_point_cfg *pc = run->pc;
    df_model_cfg mcfg = pc->mcfg;
    const df_model_ops *ops = pc->model;
    mcfg.workload_state = state;
    mcfg.sink = sink;
    mcfg.sink_arg = run;
    mcfg.inflight_max = pc->rate_rps > 0 ? pc->max_inflight : pc->concurrency;
    if (pc->processes > 1 && !(ops->traits & DF_MODEL_PREFORK)) {
        extern const df_model_ops df_model_process;
        mcfg.inner = ops;
        mcfg.workers = pc->processes;
        ops = &df_model_process;
    }
    run->started = *pc;
    run->started.model = ops;
    run->pc = &run->started;

    /* #15: time the spin now, not on the first request (hot path). */
    if (mcfg.request_cost_ns > 0)
        (void)df_cpu_iters_per_us();
    run->rss_before = df__point_rss_now_bytes();
    df_model *model = NULL;
    int rc = ops->start(&mcfg, &model, err);
    if (rc < 0)
        return rc;
    __atomic_store_n(&run->model, model, __ATOMIC_RELEASE); /* see point_run */
    return 0;
}

/* Fixes the window: its end first, then its start with release, so a
 * model thread that sees the start (window_unknown) sees the end too. */
static void set_window(point_run *run, int64_t start_ns)
{
    __atomic_store_n(&run->window_end_ns, start_ns + run->pc->duration_ns,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&run->window_start_ns, start_ns, __ATOMIC_RELEASE);
}

/* The automatic warm-up (closed loop, the load already offered): polls
 * until every client has completed a request and, over an interval of at
 * least WARM_INTERVAL_NS and WARM_MIN_COUNT completions, throughput x
 * mean latency (lambda W) agrees with the requests in flight (Little), or
 * the cap pc->warmup_ns is reached. Then it fixes the window. Sends and
 * completions before that are counted, not timed against the window
 * (early_entries, early_settled): each spans the whole window, so the
 * Little's law sums stay exact. */
static void warm_up(point_run *run, int64_t t0)
{
    const df_point_cfg *pc = run->pc;
    int64_t mark_ns = t0, mark_n = 0, mark_lat = 0, now;
    for (;;) {
        now = df_now_ns();
        if (now - t0 >= pc->warmup_ns) {
            run->warmup_capped = 1;
            break;
        }
        df__sleep_until(now + WARM_POLL_NS);
        now = df_now_ns();
        int64_t n = __atomic_load_n(&run->warm_count, __ATOMIC_ACQUIRE);
        int64_t lat = __atomic_load_n(&run->warm_latency_ns, __ATOMIC_RELAXED);
        if (now - mark_ns < WARM_INTERVAL_NS || n - mark_n < WARM_MIN_COUNT)
            continue;
        double lambda_w = (n - mark_n) / ((now - mark_ns) / 1e9) *
                          ((lat - mark_lat) / 1e9 / (n - mark_n));
        double inflight = __atomic_load_n(&run->inflight, __ATOMIC_RELAXED);
        double big = lambda_w > inflight ? lambda_w : inflight;
        run->warmup_error = big > 0 ? fabs(lambda_w - inflight) / big : 0;
        mark_ns = now;
        mark_n = n;
        mark_lat = lat;
        if (__atomic_load_n(&run->clients_done, __ATOMIC_RELAXED) ==
                pc->concurrency &&
            run->warmup_error <= DF_POINT_LITTLES_TOLERANCE)
            break;
    }
    run->warmup_ns = now + WARM_MARGIN_NS - t0;
    set_window(run, now + WARM_MARGIN_NS);
}

/* Starts the clock, offers the load with the in-flight sampler running,
 * and ends submissions. Sets *t0 and the measured span *window_ns; returns
 * the open-loop generator's result (0 in closed loop). */
static int drive(point_run *run, int64_t *t0, int64_t *window_ns)
{
    const df_point_cfg *pc = run->pc;
    int warm_auto = pc->warmup_auto && tracks_clients(run);
    /* Requests mode draws the timeline: let every worker reach its queue
     * first, or a process still being forked shows up as a lane that
     * starts late and hides the parallelism the picture is meant to show. */
    if (pc->requests > 0 && pc->warmup_ns == 0) {
        struct timespec settle = { 0, 20000000 };
        nanosleep(&settle, NULL);
    }
    /* The clock starts once the workers are up: forking them is not load. */
    *t0 = df_now_ns();
    if (warm_auto) {
        offer_load(run, *t0);
        warm_up(run, *t0);
    } else {
        run->warmup_ns = pc->warmup_ns;
        set_window(run, *t0 + pc->warmup_ns);
    }
    run->sampler = (df__sampler){
        .inflight = &run->inflight,
        .stopping = &run->stopping,
        .start_ns = run->window_start_ns,
        .end_ns = run->window_end_ns,
        .seed = pc->seed,
        .rss_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC),
    };
    pthread_t sampler;
    int sampling =
        pthread_create(&sampler, NULL, df__sampler_main, &run->sampler) == 0;
    int rc = 0;
    if (pc->rate_rps > 0)
        rc = offer_open_load(run, *t0);
    else if (!warm_auto)
        offer_load(run, *t0);
    if (pc->requests <= 0 && pc->rate_rps <= 0)
        df__sleep_until(run->window_end_ns);
    /* Requests mode: the span ends here, for the sampler too. */
    *window_ns = pc->duration_ns;
    if (pc->requests > 0)
        *window_ns = df_now_ns() - *t0;
    __atomic_store_n(&run->stopping, 1, __ATOMIC_SEQ_CST);
    if (sampling)
        DF_CHECK(pthread_join(sampler, NULL) == 0);
    if (run->sampler.rss_fd >= 0)
        close(run->sampler.rss_fd);
    run->sampler.rss_fd = -1;
    return rc;
}

/* Adds the model's own figures to rec. They never overwrite the point's
 * own fields: the identity's "gil" is the lock's mode and "hogs" a count,
 * so the model's "gil" goes under "gil_stats" (docs/RESULTS-SCHEMA.md);
 * any other clash too. 0 or -ENOMEM. */
static int add_model_stats(json_t *rec, const df_model_stats *stats)
{
    json_t *model = df_model_stats_json(stats);
    if (!model)
        return -ENOMEM;
    const char *key;
    json_t *v;
    json_object_foreach(model, key, v)
    {
        char renamed[128];
        snprintf(renamed, sizeof renamed, "%s_stats", key);
        json_object_set(rec, json_object_get(rec, key) ? renamed : key, v);
    }
    json_decref(model);
    return 0;
}

/* The point's record, once the model stopped; t0 as drive set it. */
static int make_record(point_run *run,
                       int64_t t0,
                       int64_t window_ns,
                       const df_model_stats *stats,
                       void *state,
                       json_t **out,
                       df_err *err)
{
    const df_point_cfg *pc = run->pc;
    json_t *rec = df_point_identity_json(pc);
    if (!rec || collect(run, window_ns, rec) < 0)
        goto nomem;
    if (run->alloc_failed)
        json_object_set_new(rec, "warning",
                            json_string("recorder allocation failed"));
    /* Requests the drain abandoned: submitted, never finished. */
    json_object_set_new(
        rec, "timeouts",
        json_integer(__atomic_load_n(&run->inflight, __ATOMIC_ACQUIRE)));
    df__point_add_rusage(rec, run->rss_before, &run->sampler,
                         !(pc->model->traits & DF_MODEL_PREFORK));
    df__point_add_peer(rec, pc->mcfg.workload, state);
    if (add_model_stats(rec, stats) < 0)
        goto nomem;
    if (pc->trace)
        json_object_set_new(rec, "trace", df__point_trace_json(t0));
    if (df_point_mark(rec) < 0)
        goto nomem;
    *out = rec;
    return 0;
nomem:
    json_decref(rec);
    return df_err_set(err, -ENOMEM, "point: out of memory");
}

int df_point_run(const df_point_cfg *pc, json_t **out, df_err *err)
{
    const df_workload *w = pc->mcfg.workload;
    df_model_stats stats = { 0 };
    point_run *run = NULL;
    void *state = NULL;
    int rc = run_create(pc, &run, err);
    if (rc < 0)
        return rc;
    if ((rc = setup_workload(pc, &state, err)) < 0)
        goto done;
    if (pc->trace && (rc = df_trace_enable(TRACE_CAPACITY)) < 0) {
        df_err_set(err, rc, "point: cannot map the trace buffer");
        goto teardown;
    }
    if ((rc = start_model(run, state, err)) < 0)
        goto untrace;
    int64_t t0, window_ns;
    int load_rc = drive(run, &t0, &window_ns);
    /* In-flight requests get a bounded drain; hung ones are abandoned by the
     * model and the runner's deadline catches a model that cannot stop. */
    int stop_rc = run->pc->model->stop(run->model, 2000000000, &stats, err);
    run->pc = pc;
    if ((rc = load_rc) < 0) {
        df_err_set(err, rc, "point: open-loop generator: %s", strerror(-rc));
        goto untrace;
    }
    if ((rc = stop_rc) < 0)
        goto untrace;
    rc = make_record(run, t0, window_ns, &stats, state, out, err);
untrace:
    df_trace_disable();
teardown:
    if (w->teardown)
        w->teardown(state);
done:
    df_model_stats_clear(&stats);
    run_destroy(run);
    return rc;
}
