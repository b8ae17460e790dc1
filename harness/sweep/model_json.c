/* harness/sweep/model_json.c - a model's own figures as JSON.
 *
 * The models report plain structs (models/model.h) and never see JSON; the
 * keys, their order and their types (integers stay integers, fractions and
 * times are reals) are fixed here, where the schema is.
 */
#include "harness/sweep/model_json.h"

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
    if (s->nprocesses > 0)
        bad |= set_part(o, "per_process", per_process_json(s));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
