/* harness/sweep/point_record.c - a point's record as JSON: identity, latency
 * summaries and CDF, trace, and the resources the point used. */
#include "harness/sweep/point_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/trace.h"
#include "harness/measure/arrivals.h"
#include "harness/sweep/params_json.h"
#include "harness/sweep/point.h"

json_t *df_point_latency_json(const df_hist *h)
{
    return json_pack(
        "{s:f,s:f,s:f,s:f,s:f,s:f}", "mean", df_hist_mean(h) / 1e3, "p50",
        df_hist_percentile(h, 50) / 1e3, "p90", df_hist_percentile(h, 90) / 1e3,
        "p99", df_hist_percentile(h, 99) / 1e3, "p999",
        df_hist_percentile(h, 99.9) / 1e3, "max", df_hist_max(h) / 1e3);
}

json_t *df__point_cdf_json(const df_hist *h)
{
    static const double pct[] = { 0,  1,  5,    10,   20,    30,    40, 50, 60,
                                  70, 75, 80,   85,   90,    92.5,  95, 96, 97,
                                  98, 99, 99.5, 99.9, 99.95, 99.99, 100 };
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof pct / sizeof pct[0]; i++)
        json_array_append_new(
            a, json_pack("[f,f]", pct[i], df_hist_percentile(h, pct[i]) / 1e3));
    return a;
}

static const char *gil_name(df_gil_mode m)
{
    return m == DF_GIL_OLD ? "old" : m == DF_GIL_OFF ? "off" : "new";
}

json_t *df_point_identity_json(const df_point_cfg *pc)
{
    const df_model_cfg *m = &pc->mcfg;
    unsigned traits = pc->model->traits;
    json_t *params = df_params_to_json(m->workload, m->params);
    json_t *id = json_pack(
        "{s:s,s:i,s:i,s:s,s:I,s:i,s:s,s:s,s:o,s:s,s:f,s:f,s:I,s:i}", "model",
        pc->model->name, "workers",
        traits & DF_MODEL_PREFORK ? m->workers : pc->processes, "threads",
        traits & DF_MODEL_THREADS ? m->threads : 1, "gil", gil_name(m->gil),
        "switch_interval_us", (json_int_t)m->switch_interval_us, "hogs",
        m->hogs, "workload", m->workload->name, "workload_spec",
        pc->workload_spec ? pc->workload_spec : m->workload->name, "params",
        params ? params : json_object(), "load",
        pc->rate_rps > 0 ? "open" : "closed", "duration_s",
        pc->duration_ns / 1e9, "warmup_s", pc->warmup_ns / 1e9, "requests",
        (json_int_t)pc->requests, "repeat", pc->repeat > 0 ? pc->repeat : 1);
    if (!id)
        return NULL;
    if (pc->rate_rps > 0)
        json_object_update_new(
            id, json_pack("{s:f,s:s,s:I,s:I}", "rate_rps", pc->rate_rps,
                          "arrivals", df_arrivals_name(pc->arrivals),
                          "max_inflight", (json_int_t)pc->max_inflight, "seed",
                          (json_int_t)pc->seed));
    else
        json_object_set_new(id, "concurrency", json_integer(pc->concurrency));
    if (m->request_cost_ns > 0) /* #15: --calibration; absent without */
        json_object_set_new(id, "request_cost_us",
                            json_real(m->request_cost_ns / 1e3));
    if (pc->warmup_auto)
        json_object_set_new(id, "warmup_auto", json_true());
    if (m->target_url) /* #14 */
        json_object_set_new(id, "target", json_string(m->target_url));
    return id;
}

static const char *trace_state_name(int s)
{
    static const char *const names[] = { "run", "gil_wait", "io_wait", "done",
                                         "ready" };
    return s >= 0 && s <= 4 ? names[s] : "unknown";
}

json_t *df__point_trace_json(int64_t t0_ns)
{
    json_t *a = json_array();
    uint64_t n = df__trace->next;
    if (n > df__trace->capacity)
        n = df__trace->capacity;
    for (uint64_t i = 0; a && i < n; i++) {
        const df_trace_event *e = &df__trace->event[i];
        json_array_append_new(a, json_pack("{s:i,s:I,s:s,s:f}", "worker",
                                           e->worker, "request",
                                           (json_int_t)e->request_id, "state",
                                           trace_state_name(e->state), "t_us",
                                           (e->t_ns - t0_ns) / 1e3));
    }
    return a;
}

int64_t df__point_rss_read_bytes(int statm_fd)
{
    char buf[128];
    long pages = 0, resident = 0;
    ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%ld %ld", &pages, &resident) != 2)
        return 0;
    return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

int64_t df__point_rss_now_bytes(void)
{
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int64_t rss = df__point_rss_read_bytes(fd);
    close(fd);
    return rss;
}

/* #13: what one more request in flight costs, measured where they are:
 * (this process's RSS at the sampled peak in flight - its RSS before the
 * model started) / that peak. Requests served in forked workers are not
 * in this process's RSS: null for them, as for a point that never had a
 * request in flight when sampled. */
static void add_mem_per_inflight(json_t *rec,
                                 int64_t rss_before,
                                 const df__sampler *s,
                                 int in_process)
{
    int have =
        in_process && s && s->inflight_peak > 0 && s->rss_at_peak_bytes > 0;
    double growth = have ? (double)(s->rss_at_peak_bytes - rss_before) : 0;
    json_object_set_new(rec, "inflight_peak",
                        json_integer(s ? (json_int_t)s->inflight_peak : 0));
    json_object_set_new(rec, "rss_at_peak_bytes",
                        have ? json_integer((json_int_t)s->rss_at_peak_bytes)
                             : json_null());
    json_object_set_new(
        rec, "mem_per_inflight_bytes",
        have ? json_real(growth > 0 ? growth / (double)s->inflight_peak : 0)
             : json_null());
}

/* CPU and switches of the whole point: this process and every worker it
 * reaped (the models reap theirs in stop), which is why it runs after
 * stop. Peak RSS is the largest single process. */
void df__point_add_rusage(json_t *rec,
                          int64_t rss_before,
                          const df__sampler *s,
                          int in_process)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double user = self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 +
                  kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6;
    double sys = self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6 +
                 kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6;
    long rss =
        self.ru_maxrss > kids.ru_maxrss ? self.ru_maxrss : kids.ru_maxrss;
    json_object_set_new(rec, "cpu_user_s", json_real(user));
    json_object_set_new(rec, "cpu_sys_s", json_real(sys));
    json_object_set_new(rec, "max_rss_bytes",
                        json_integer((json_int_t)rss * 1024));
    json_object_set_new(rec, "ctx_switches_voluntary",
                        json_integer(self.ru_nvcsw + kids.ru_nvcsw));
    json_object_set_new(rec, "ctx_switches_involuntary",
                        json_integer(self.ru_nivcsw + kids.ru_nivcsw));
    add_mem_per_inflight(rec, rss_before, s, in_process);
}

void df__point_add_peer(json_t *rec, const df_workload *w, void *state)
{
    df_workload_peer p = { 0 };

    if (!w->peer)
        return;
    w->peer(state, &p);
    json_object_set_new(
        rec, "peer",
        json_pack("{s:I,s:I,s:I,s:f,s:I}", "requests", (json_int_t)p.requests,
                  "responses", (json_int_t)p.responses, "late",
                  (json_int_t)p.late, "lag_us_mean",
                  p.responses > 0 ? (double)p.lag_ns / p.responses / 1e3 : 0.0,
                  "refused", (json_int_t)p.refused));
}

/* #18: the peer (a database, an API) rather than the model set the
 * latency: it lagged by a tenth of the median or more, or refused. */
static int peer_limited(const json_t *rec)
{
    const json_t *peer = json_object_get(rec, "peer");
    double lag_us = json_number_value(json_object_get(peer, "lag_us_mean"));
    double p50_us = json_number_value(
        json_object_get(json_object_get(rec, "latency_us"), "p50"));

    if (!peer)
        return 0;
    return json_integer_value(json_object_get(peer, "refused")) > 0 ||
           (lag_us > 0 && lag_us >= DF_POINT_PEER_LAG_SHARE * p50_us);
}

static int check_failed(const json_t *rec, const char *name)
{
    json_t *c = json_object_get(json_object_get(rec, "checks"), name);
    return c && json_is_false(json_object_get(c, "ok"));
}

int df_point_mark(json_t *rec)
{
    json_t *loop = json_object_get(rec, "loop");
    const struct {
        const char *name;
        int on, unsteady;
    } marks[] = {
        { "not_steady", check_failed(rec, "steady_state"), 1 },
        /* The warm-up is a means: the window's own checks (steady_state,
         * window) judge whether its figures are steady-state ones. A
         * capped warm-up is reported, and unsteady only if they fail. */
        { "warmup_capped", check_failed(rec, "warmup"), 0 },
        { "window_short", check_failed(rec, "window"), 1 },
        { "no_completions",
          json_integer_value(json_object_get(rec, "completed")) == 0, 1 },
        { "censored", json_is_true(json_object_get(rec, "latency_lower_bound")),
          0 },
        { "errors", json_integer_value(json_object_get(rec, "errors")) > 0, 0 },
        { "loop_stalls",
          json_integer_value(json_object_get(loop, "slow_callbacks")) > 0, 0 },
        { "peer_limited", peer_limited(rec), 0 },
    };
    json_t *list = json_array();
    int steady = 1;
    if (!list)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        if (!marks[i].on)
            continue;
        steady &= !marks[i].unsteady;
        if (json_array_append_new(list, json_string(marks[i].name)) < 0) {
            json_decref(list);
            return -ENOMEM;
        }
    }
    json_object_set_new(rec, "marks", list);
    json_object_set_new(rec, "steady", json_boolean(steady));
    return 0;
}
