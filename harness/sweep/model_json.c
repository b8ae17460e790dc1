/* harness/sweep/model_json.c - a model's own figures as JSON.
 *
 * The models report plain structs (models/model.h) and never see JSON; the
 * keys, their order and their types (integers stay integers, fractions and
 * times are reals) are fixed here, where the schema is.
 */
#define _GNU_SOURCE
#include "harness/sweep/model_json.h"

#include <stdio.h>
#include <string.h>

#include "models/gil.h"

static json_t *gil_thread_json(const df_gil_thread_stats *t)
{
    return json_pack(
        "{s:s,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,"
        "s:f}",
        "name", t->name, "held", t->held, "wait", t->wait, "released",
        t->released, "acquisitions", (json_int_t)t->acquisitions,
        "drop_requests", (json_int_t)t->drop_requests, "forced_switches",
        (json_int_t)t->forced_switches, "checks", (json_int_t)t->checks,
        "slices", (json_int_t)t->slices, "slice_median_us", t->slice_median_us,
        "slice_p99_us", t->slice_p99_us, "wait_mean_us", t->wait_mean_us,
        "wait_p99_us", t->wait_p99_us, "wait_max_us", t->wait_max_us);
}

json_t *df_gil_stats_json(const df_gil_stats *s)
{
    json_t *threads = json_array();
    for (int i = 0; threads && i < s->nthreads; i++) {
        json_t *t = gil_thread_json(&s->threads[i]);
        if (!t || json_array_append_new(threads, t) < 0) {
            json_decref(threads);
            return NULL;
        }
    }
    if (!threads)
        return NULL;
    json_t *o = json_pack(
        "{s:s,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f,"
        "s:f,s:O}",
        "mode", df_gil_mode_name(s->mode), "switch_interval_us",
        (json_int_t)s->switch_interval_us, "check_interval",
        (json_int_t)s->check_interval, "wall_s", s->wall_s, "held", s->held,
        "wait", s->wait, "acquisitions", (json_int_t)s->acquisitions,
        "switches", (json_int_t)s->switches, "drop_requests",
        (json_int_t)s->drop_requests, "forced_switches",
        (json_int_t)s->forced_switches, "checks", (json_int_t)s->checks,
        "wait_mean_us", s->wait_mean_us, "wait_p99_us", s->wait_p99_us,
        "slice_median_us", s->slice_median_us, "threads", threads);
    json_decref(threads);
    return o;
}

static json_t *loop_json(const df_model_loop_stats *l)
{
    json_t *o = json_pack(
        "{s:I,s:f,s:I,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
        "slow_callbacks", (json_int_t)l->slow_callbacks, "max_blocked_ms",
        (double)l->max_blocked_ns / 1e6, "switches", (json_int_t)l->switches,
        "to_thread_workers", l->to_thread_workers, "to_thread_max_workers",
        l->to_thread_max_workers, "to_thread_calls",
        (json_int_t)l->to_thread_calls, "iterations", (json_int_t)l->iterations,
        "callbacks", (json_int_t)l->callbacks, "spawned",
        (json_int_t)l->spawned, "peak_coroutines",
        (json_int_t)l->peak_coroutines, "timers_fired",
        (json_int_t)l->timers_fired, "fd_wakeups", (json_int_t)l->fd_wakeups,
        "threadsafe_wakeups", (json_int_t)l->threadsafe_wakeups);
    if (!o)
        return NULL;
    json_t *more = json_pack(
        "{s:s,s:s,s:I,s:I,s:I,s:I}", "switch",
        l->switch_kind == DF_SWITCH_UCONTEXT ? "ucontext" : "asm", "stack",
        l->stack_kind == DF_STACK_SHARED ? "shared" : "dedicated",
        "stack_size_bytes", (json_int_t)l->stack_size_bytes, "stacks_mapped",
        (json_int_t)l->stacks_mapped, "saved_stack_bytes",
        (json_int_t)l->saved_stack_bytes, "spawn_failures",
        (json_int_t)l->spawn_failures);
    int bad = json_object_update_new(o, more);
    if (l->spawn_failures)
        bad |=
            json_object_set_new(o, "spawn_error", json_string(l->spawn_error));
    bad |= json_object_set_new(o, "abandoned",
                               json_integer((json_int_t)l->abandoned));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* #17: the process model's arbiter; deaths by signal name. */
static json_t *arbiter_json(const df_model_arbiter_stats *a)
{
    json_t *sigs = json_object();
    for (int i = 0; sigs && i <= DF_MODEL_MAX_SIGNAL; i++) {
        if (a->deaths_by_signal[i] == 0)
            continue;
        char name[32];
        const char *abbrev = i ? sigabbrev_np(i) : NULL;
        if (i == 0)
            snprintf(name, sizeof name, "exit");
        else
            snprintf(name, sizeof name, "SIG%s", abbrev ? abbrev : "?");
        json_object_set_new(sigs, name, json_integer(a->deaths_by_signal[i]));
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:b,s:o*}", "respawns",
                     (json_int_t)a->respawns, "crashes", (json_int_t)a->crashes,
                     "worker_timeouts", (json_int_t)a->worker_timeouts,
                     "recycles", (json_int_t)a->recycles, "held_errors",
                     (json_int_t)a->held_errors, "storm", a->storm,
                     "crash_signals", sigs);
}

static json_t *per_process_json(const df_model_stats *s)
{
    json_t *a = json_array();
    for (int i = 0; a && i < s->nprocesses; i++) {
        json_t *one = df_model_stats_json(&s->per_process[i]);
        if (!one || json_array_append_new(a, one) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* #14: the target model's side of the wire. */
static json_t *http_json(const df_model_http_stats *h)
{
    return json_pack(
        "{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "connections",
        h->connections, "connects", (json_int_t)h->connects, "responses",
        (json_int_t)h->responses, "non2xx", (json_int_t)h->non2xx,
        "connect_errors", (json_int_t)h->connect_errors, "read_errors",
        (json_int_t)h->read_errors, "write_errors", (json_int_t)h->write_errors,
        "parse_errors", (json_int_t)h->parse_errors, "abandoned",
        (json_int_t)h->abandoned, "client_cpu_ns_per_request",
        h->client_cpu_ns_per_request, "loop_cpu_ns_per_request",
        h->loop_cpu_ns_per_request);
}

/* Sets key to v (stolen) unless v is NULL: 0, or -1 on failure. */
static int set_part(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

json_t *df_model_stats_json(const df_model_stats *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    if (s->has_loop)
        bad |= set_part(o, "loop", loop_json(&s->loop));
    if (s->has_gil)
        bad |= set_part(o, "gil", df_gil_stats_json(&s->gil));
    /* Not "hogs": the record merges these beside its identity, where
     * "hogs" is the count (docs/RESULTS-SCHEMA.md). */
    if (s->has_hogs)
        bad |=
            set_part(o, "hogs_stats",
                     json_pack("{s:i,s:I,s:f}", "count", s->hogs.count,
                               "work_units", (json_int_t)s->hogs.work_units,
                               "work_units_per_s", s->hogs.work_units_per_s));
    if (s->has_pool)
        bad |= set_part(o, "pool",
                        json_pack("{s:i,s:I}", "threads", s->pool.threads,
                                  "abandoned", (json_int_t)s->pool.abandoned));
    if (s->has_arbiter)
        bad |= set_part(o, "arbiter", arbiter_json(&s->arbiter));
    if (s->has_http)
        bad |= set_part(o, "http", http_json(&s->http));
    if (s->nprocesses > 0)
        bad |= set_part(o, "per_process", per_process_json(s));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
