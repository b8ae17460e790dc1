/* harness/cli/run.c - `duckfeed run`: the sweep a user asks for on the
 * command line, in gunicorn's vocabulary (--workers, --threads), and the
 * table that sums it up. The points are expanded by plan.c and run by
 * sweep.c.
 *
 * Every option is one row of `opts` below: its spelling, the kind of value
 * it takes, the field of df_run_opts it lands in, its limits, its default
 * (as a user would type it) and its help lines. opt.c makes the parser,
 * the defaults and --help from that table, so they cannot disagree. */
#define _GNU_SOURCE
#include "harness/cli/run.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "base/clock.h"
#include "harness/cli/opt.h"
#include "harness/cli/plan_file.h"
#include "harness/http/client.h"
#include "harness/http/url.h"
#include "harness/measure/arrivals.h"
#include "harness/store/calibration.h"
#include "harness/store/results.h"
#include "harness/sweep/plan.h"
#include "harness/sweep/point.h"
#include "harness/sweep/sweep.h"
#include "models/coro/coro.h"
#include "models/gil.h"
#include "workloads/params.h"
#include "workloads/registry.h"

/* Limits of the values, each used by its check and shown by its message.
 * The model's own limits come from models/model.h, so the parser never
 * accepts what a model would cut (#12). */
#define DF_RUN_MAX_PROCESSES         1024 /* --workers, --processes */
#define DF_RUN_MAX_TO_THREAD_WORKERS 1024 /* --to-thread-workers */
#define DF_RUN_MAX_SLOW_CALLBACK_MS  (3600 * DF_MS_PER_S) /* an hour */
#define DF_RUN_MIN_SWITCH_NS         DF_NS_PER_US /* the GIL counts in us */
#define DF_RUN_MAX_SWITCH_NS         (3600 * DF_NS_PER_S) /* an hour */
/* #12: a day per window, warm-up and grace period, so their sum added to
 * a clock reading stays far from overflow. */
#define DF_RUN_MAX_DURATION_NS (24 * 3600 * DF_NS_PER_S)
/* A point's child needs time to start, drain and report: 0 would fail
 * every point. */
#define DF_RUN_MIN_TIMEOUT_NS DF_NS_PER_S
/* #12: arrivals at most this far apart (1000 s), so a schedule stays in
 * int64 ns; fewer than one arrival per window is allowed. */
#define DF_RUN_MIN_RATE_RPS 1e-3
#define DF_RUN_MAX_RATE_RPS 1e7
/* Counts with no limit of their own stop here, so that a sum of two
 * stays in range. */
#define DF_RUN_MAX_COUNT (INT64_MAX / 2)

/* The GIL's defaults, as --help and the table's defaults spell them. */
#define STR(x)  #x
#define XSTR(x) STR(x)

#define FIELD(f) DF_OPT_FIELD(df_run_opts, f)

static int parse_models(const df_opt *opt,
                        const char *s,
                        void *dst,
                        df_err *err)
{
    df_run_opts *o = dst;
    char buf[DF_OPT_MAX_ARG_CHARS], *items[DF_PLAN_MAX_MODELS];
    int n = df__opt_split(opt, s, buf, items, DF_PLAN_MAX_MODELS, err);

    for (int i = 0; i < n; i++) {
        const df_model_ops *m = df_model_find(items[i]);
        if (!m)
            return df_err_set(
                err, -EINVAL,
                "unknown model \"%s\" (known: process, thread, coroutine)",
                items[i]);
        o->models[i] = m;
    }
    if (n > 0)
        o->nmodels = n;
    return n < 0 ? n : 0;
}

static int parse_gils(const df_opt *opt, const char *s, void *dst, df_err *err)
{
    df_run_opts *o = dst;
    char buf[DF_OPT_MAX_ARG_CHARS], *items[DF_PLAN_MAX_GILS];
    int n = df__opt_split(opt, s, buf, items, DF_PLAN_MAX_GILS, err);

    for (int i = 0; i < n; i++) {
        int v = df__opt_choice(opt, items[i], err);
        if (v < 0)
            return v;
        o->gils[i] = (df_gil_mode)v;
    }
    if (n > 0)
        o->ngils = n;
    return n < 0 ? n : 0;
}

static int parse_rates(const df_opt *opt, const char *s, void *dst, df_err *err)
{
    df_run_opts *o = dst;
    char buf[DF_OPT_MAX_ARG_CHARS], *items[DF_PLAN_MAX_LIST];
    int n = df__opt_split(opt, s, buf, items, DF_PLAN_MAX_LIST, err);

    for (int i = 0; i < n; i++) {
        char *end;
        double r = strtod(items[i], &end);
        if (end == items[i] || *end || !(r >= DF_RUN_MIN_RATE_RPS) ||
            !(r <= DF_RUN_MAX_RATE_RPS))
            return df_err_set(
                err, -EINVAL, "--%s: \"%s\" is not a rate in [%g, %.0f] req/s",
                opt->name, items[i], DF_RUN_MIN_RATE_RPS, DF_RUN_MAX_RATE_RPS);
        o->rates[i] = r;
    }
    if (n > 0)
        o->nrates = n;
    return n < 0 ? n : 0;
}

/* --warmup: "auto" (until steady, at most DF_POINT_WARMUP_CAP_NS),
 * "auto:D" (at most D) or a fixed duration D. */
static int parse_warmup(const df_opt *opt,
                        const char *s,
                        void *dst,
                        df_err *err)
{
    df_run_opts *o = dst;
    df_param_decl decl = { .name = opt->name,
                           .type = DF_PARAM_DURATION,
                           .unit = "s" };
    int64_t ns = DF_POINT_WARMUP_CAP_NS;
    int is_auto = strncmp(s, "auto", 4) == 0 && (!s[4] || s[4] == ':');
    const char *d = is_auto ? (s[4] ? s + 5 : NULL) : s;

    if (d && (df_param_parse_value("run", &decl, d, &ns, NULL) < 0 ||
              ns > DF_RUN_MAX_DURATION_NS || (is_auto && ns <= 0)))
        return df_err_set(err, -EINVAL,
                          "--%s: \"%s\" is not auto, auto:D or a duration up "
                          "to %llds (try auto, 0.5s)",
                          opt->name, s,
                          (long long)(DF_RUN_MAX_DURATION_NS / 1000000000));
    o->warmup_auto = is_auto;
    o->warmup_ns = ns;
    return 0;
}

static int add_workload(const df_opt *opt,
                        const char *s,
                        void *dst,
                        df_err *err)
{
    df_run_opts *o = dst;

    if (o->nwl == DF_PLAN_MAX_WORKLOADS)
        return df_err_set(err, -EINVAL, "--%s: more than %d given", opt->name,
                          DF_PLAN_MAX_WORKLOADS);
    o->wl_spec[o->nwl++] = s;
    return 0;
}

static const df_opt_choice switch_words[] = { { "asm", DF_SWITCH_ASM },
                                              { "ucontext",
                                                DF_SWITCH_UCONTEXT },
                                              { 0 } };
static const df_opt_choice stack_words[] = { { "dedicated",
                                               DF_STACK_DEDICATED },
                                             { "shared", DF_STACK_SHARED },
                                             { 0 } };
static const df_opt_choice arrivals_words[] = {
    { "constant", DF_ARRIVALS_CONSTANT },
    { "poisson", DF_ARRIVALS_POISSON },
    { 0 },
};

/* Every option of `duckfeed run`, in --help order. */
static const df_opt opts[] = {
    { "model", DF_OPT_CALL, .call = parse_models, .arg = "LIST",
      .def = "process,thread,coroutine", .section = "What runs",
      .help = "concurrency models to compare" },
    { "workload", DF_OPT_CALL, .call = add_workload, .arg = "SPEC",
      .def = "cpu",
      .help = "name[:param=value,...], repeatable;\n"
              "see `duckfeed list` for names and parameters" },
    { "target", DF_OPT_STRING, FIELD(target), .arg = "URL",
      .help = "measure the HTTP server at URL instead (http://\n"
              "127.0.0.1:PORT/path; loopback only): GET on\n"
              "keep-alive connections, one per request in flight" },
    { "calibration", DF_OPT_STRING, FIELD(calibration), .arg = "FILE[#NAME]",
      .help = "charge each request a real server's own cost\n"
              "(results/calibration.json from real.py --calibrate):\n"
              "the entry for the model, or the one named NAME" },
    { "plugin", DF_OPT_CALL, .call = df__opt_load_plugin, .arg = "PATH.so",
      .help = "load a workload plugin first (repeatable)" },
    { "workers", DF_OPT_INT_LIST, FIELD(workers), 1, DF_RUN_MAX_PROCESSES,
      .def = "2",
      .help = "processes of the process model; for\n"
              "thread/coroutine runs without the process model\n"
              "it means --processes, as gunicorn -w / uvicorn\n"
              "--workers do" },
    { "threads", DF_OPT_INT_LIST, FIELD(threads), 1, DF_MODEL_MAX_THREADS,
      .def = "2", .help = "threads of the thread model" },
    { "processes", DF_OPT_INT_LIST, FIELD(processes), 1, DF_RUN_MAX_PROCESSES,
      .def = "1",
      .help = "hybrids: processes each running the thread or\n"
              "coroutine model" },
    { "gil", DF_OPT_CALL, .call = parse_gils, .choices = df__opt_gil_words,
      .arg = "LIST", .def = "new",
      .section = "Interpreter lock (thread and coroutine models)",
      .help = "new (CPython 3.2 on), old (Python 2),\n"
              "off (free-threaded 3.13t)" },
    { "switch-interval", DF_OPT_DURATION_LIST, FIELD(switch_us),
      DF_RUN_MIN_SWITCH_NS, DF_RUN_MAX_SWITCH_NS, .scale = DF_NS_PER_US,
      .bare_unit = "ms", .def = XSTR(DF_GIL_DEFAULT_INTERVAL_US) "us",
      .help = "new GIL switch interval (bare: ms)" },
    { "check-interval", DF_OPT_INT, FIELD(check_interval), 1, INT_MAX,
      .def = XSTR(DF_GIL_DEFAULT_CHECK_INTERVAL),
      .help = "old GIL checkpoints between releases" },
    { "hogs", DF_OPT_INT_LIST, FIELD(hogs), 0, DF_MODEL_MAX_HOGS, .def = "0",
      .help = "CPU-bound neighbour threads in the interpreter\n"
              "(thread model; the convoy scenario)" },
    { "switch", DF_OPT_CHOICE, FIELD(base.switch_kind), .choices = switch_words,
      .def = "asm", .section = "Coroutine loop", .help = "context switch" },
    { "stack", DF_OPT_CHOICE, FIELD(base.stack_kind), .choices = stack_words,
      .def = "dedicated", .help = "coroutine stacks" },
    { "stack-size", DF_OPT_SIZE, FIELD(base.stack_size_bytes),
      DF_CORO_MIN_STACK_BYTES, .def = "64KB", .help = "per coroutine" },
    { "slow-callback-ms", DF_OPT_INT, FIELD(base.slow_callback_ns), 1,
      DF_RUN_MAX_SLOW_CALLBACK_MS, .scale = DF_NS_PER_MS, .def = "100",
      .help = "blocking detector threshold" },
    { "to-thread-workers", DF_OPT_INT, FIELD(base.to_thread_workers), 1,
      DF_RUN_MAX_TO_THREAD_WORKERS,
      .help = "run_blocking pool (default min(32, cores+4))" },
    { "worker-timeout", DF_OPT_DURATION, FIELD(base.worker_timeout_ns), 0,
      DF_RUN_MAX_DURATION_NS, .bare_unit = "s", .def = "0",
      .section = "Arbiter (process model and hybrids; gunicorn)",
      .help = "gunicorn --timeout: a sync worker busy on one\n"
              "request this long is killed and replaced (a hybrid\n"
              "heartbeats from its main loop: never); 0: off" },
    { "max-requests", DF_OPT_INT, FIELD(base.max_requests), 1, DF_RUN_MAX_COUNT,
      .help = "recycle a worker after N requests (graceful)" },
    { "max-requests-jitter", DF_OPT_INT, FIELD(base.max_requests_jitter), 0,
      DF_RUN_MAX_COUNT, .def = "0",
      .help = "... plus U[0, J] requests, per worker" },
    { "respawn-forever", DF_OPT_FLAG, FIELD(base.respawn_forever),
      .help = "as gunicorn: no respawn-storm detection (a worker\n"
              "dying at once is forked again, forever)" },
    { "concurrency", DF_OPT_INT_LIST, FIELD(concurrency), 1,
      DF_MODEL_MAX_CONCURRENCY, .def = "1", .section = "Load",
      .help = "closed-loop clients" },
    { "rate", DF_OPT_CALL, .call = parse_rates, .arg = "LIST",
      .help = "open loop instead: arrivals per second; latency\n"
              "counts from each request's intended start" },
    { "arrivals", DF_OPT_CHOICE, FIELD(arrivals), .choices = arrivals_words,
      .def = "constant", .help = "open loop: the arrival schedule" },
    { "max-inflight", DF_OPT_INT, FIELD(max_inflight), 1, DF_RUN_MAX_COUNT,
      .help = "open loop: refuse arrivals beyond N in flight" },
    { "repeat", DF_OPT_INT, FIELD(repeat), 1, DF_PLAN_MAX_REPEAT, .def = "3",
      .help = "repetitions of each point, in shuffled order" },
    { "seed", DF_OPT_INT, FIELD(seed), 0, INT64_MAX, .def = "1",
      .help = "seed of the shuffle and the arrivals" },
    { "duration", DF_OPT_DURATION, FIELD(duration_ns), 1,
      DF_RUN_MAX_DURATION_NS, .bare_unit = "s", .def = "1s",
      .help = "measured window per point" },
    { "warmup", DF_OPT_CALL, .call = parse_warmup, .arg = "auto|D",
      .def = "auto",
      .help = "run before the window, not recorded; auto: until\n"
              "every client completed a request and in flight = "
              "lambda W,\nat most 3s (auto:D: at most D; open loop: 0.2s)" },
    { "requests", DF_OPT_INT, FIELD(requests), 1, DF_RUN_MAX_COUNT,
      .help = "stop after N requests instead (no window)" },
    { "timeout", DF_OPT_DURATION, FIELD(timeout_ns), DF_RUN_MIN_TIMEOUT_NS,
      DF_RUN_MAX_DURATION_NS, .bare_unit = "s", .def = "15s",
      .help = "give up on a point after D more" },
    { "out", DF_OPT_STRING, FIELD(out), .arg = "FILE",
      .def = "results/run.json", .section = "Output",
      .help = "results file: new, empty or a duckfeed results file" },
    { "force", DF_OPT_FLAG, FIELD(force),
      .help = "replace --out even if it is another kind of file" },
    { "trace", DF_OPT_FLAG, FIELD(trace),
      .help = "record each request's states (timeline)" },
    { "quiet", DF_OPT_FLAG, FIELD(quiet), .help = "no progress lines" },
    { "part", DF_OPT_FLAG, FIELD(part),
      .help = "one run of a suite: --out is its temporary file, not\n"
              "named at the end (the suite names its results)" },
    { "plan", DF_OPT_STRING, FIELD(plan), .arg = "FILE",
      .section = "Across machines (docs/DISTRIBUTED.md)",
      .help = "write the plan, one JSON line per repetition\n"
              "of a point with the command measuring it, and\n"
              "run nothing" },
    { "plan-item", DF_OPT_STRING, FIELD(plan_item), .arg = "FILE:N",
      .help = "measure item N of a plan alone into --out (a\n"
              "part for `duckfeed merge`)" },
    { "help", DF_OPT_HELP, .help = "this text" },
};

static const df_opt_cmd run_cmd = {
    .name = "run",
    .opts = opts,
    .nopts = sizeof opts / sizeof opts[0],
    .usage_head = "usage: duckfeed run [options]\n"
                  "Runs every combination of the lists given, each point in "
                  "its own\nchild process, and writes one results file.\n\n",
    .usage_foot = "LIST is comma-separated (1,2,4); D takes us, ms or s "
                  "(bare: seconds\nunless said).\n",
};

const df_opt_cmd *df__run_cmd(void)
{
    return &run_cmd;
}

/* #16: an item's sweep is the plan's; options that would change it are
 * refused rather than ignored. 0, or 2 after one line on stderr. */
static int check_plan_item(const df_run_opts *o, const unsigned char *given)
{
    static const char *const own[] = { "plan-item", "out", "force", "quiet" };

    if (o->plan) {
        fprintf(stderr, "duckfeed run: --plan and --plan-item exclude each "
                        "other\n");
        return 2;
    }
    if (!given[df__opt_index(&run_cmd, "out")]) {
        fprintf(stderr, "duckfeed run: --plan-item needs --out PART.json\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        int allowed = 0;

        for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
            allowed |= strcmp(opts[i].name, own[k]) == 0;
        if (given[i] && !allowed) {
            fprintf(stderr,
                    "duckfeed run: --%s with --plan-item: the item's sweep "
                    "is the plan's\n",
                    opts[i].name);
            return 2;
        }
    }
    return 0;
}

/* #14: --target runs the target model alone, on the noop workload (the
 * client does no work of its own), labelled with the URL; options that
 * pick models or workloads are refused rather than ignored. 0, or 2
 * after one line on stderr. */
static int setup_target(df_run_opts *o, const unsigned char *given)
{
    static const char *const theirs[] = { "model", "workload", "plugin",
                                          "workers", "processes" };
    df_http_url url;
    df_err err = { 0 };

    for (size_t k = 0; k < sizeof theirs / sizeof theirs[0]; k++)
        if (given[df__opt_index(&run_cmd, theirs[k])]) {
            fprintf(stderr,
                    "duckfeed run: --%s with --target: the server at the "
                    "URL is what runs\n",
                    theirs[k]);
            return 2;
        }
    if (df_http_url_parse(o->target, &url, &err) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", err.msg);
        return 2;
    }
    /* One connection per request in flight: as many as the client keeps. */
    int64_t most = o->max_inflight;
    for (int i = 0; i < o->concurrency.n; i++)
        most = o->concurrency.v[i] > most ? o->concurrency.v[i] : most;
    if (most > DF_HTTP_MAX_CONNECTIONS) {
        fprintf(stderr,
                "duckfeed run: --target keeps one connection per request "
                "in flight: at most %d (--concurrency, --max-inflight)\n",
                DF_HTTP_MAX_CONNECTIONS);
        return 2;
    }
    o->models[0] = &df_http_target_model;
    o->nmodels = 1;
    o->wl_spec[0] = "noop";
    o->nwl = 1;
    o->base.target_url = o->target;
    return 0;
}

/* #15: each model's per-request cost from --calibration. 0, or 2 after
 * one line on stderr. */
static int resolve_calibration(df_run_opts *o)
{
    for (int m = 0; m < o->nmodels; m++) {
        df_err err = { 0 };
        if (df_calibration_cost(o->calibration, o->models[m]->name,
                                &o->request_cost_ns[m], &err) < 0) {
            fprintf(stderr, "duckfeed run: %s\n", err.msg);
            return 2;
        }
    }
    return 0;
}

int df__run_parse(int argc, char **argv, df_run_opts *o)
{
    unsigned char given[sizeof opts / sizeof opts[0]];
    int rc;

    memset(o, 0, sizeof *o);
    if ((rc = df__opt_read(&run_cmd, argc, argv, o, given)) != 0)
        return rc;
    if (o->plan_item)
        return check_plan_item(o, given);
    if (o->target && (rc = setup_target(o, given)) != 0)
        return rc;
    o->workers_given = given[df__opt_index(&run_cmd, "workers")];
    o->processes_given = given[df__opt_index(&run_cmd, "processes")];
    for (int i = 0; i < o->nwl; i++) {
        df_err err = { 0 };
        if (df_workload_parse_spec(o->wl_spec[i], &o->wl[i], &o->wl_params[i],
                                   &err) < 0) {
            fprintf(stderr, "duckfeed run: %s\n", err.msg);
            return 2;
        }
        df_params_format(o->wl[i], &o->wl_params[i], o->wl_label[i],
                         sizeof o->wl_label[i]);
    }
    if (o->calibration && (rc = resolve_calibration(o)) != 0)
        return rc;
    if (o->target) /* #14: its plots' series are named by the URL */
        snprintf(o->wl_label[0], sizeof o->wl_label[0], "%s", o->target);
    /* gunicorn -w and uvicorn --workers count processes: with no process
     * model in the run, --workers means the hybrids' --processes. */
    int has_process = 0;
    for (int i = 0; i < o->nmodels; i++)
        has_process |= (o->models[i]->traits & DF_MODEL_PREFORK) != 0;
    if (!has_process && o->workers_given && !o->processes_given)
        o->processes = o->workers;
    return 0;
}

/* " CHECK:little,steady" for the failing checks of pt, "" when none. */
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

static const char *check_flags(const json_t *pt)
{
    static char buf[128];
    static const char *const names[][2] = { { "littles_law", "little" },
                                            { "steady_state", "steady" },
                                            { "rate", "rate" } };
    const json_t *checks = json_object_get(pt, "checks");
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const json_t *c = json_object_get(checks, names[i][0]);
        if (!c || json_is_true(json_object_get(c, "ok")))
            continue;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                len ? "," : " CHECK:", names[i][1]);
    }
    if (has_mark(pt, "warmup_capped"))
        len += (size_t)snprintf(buf + len, sizeof buf - len, " WARMUP-CAP");
    if (has_mark(pt, "peer_limited"))
        snprintf(buf + len, sizeof buf - len, " PEER");
    return buf;
}

/* A latency in ms, "≥" before it when censored requests make it a lower
 * bound (docs/RESULTS-SCHEMA.md, latency_lower_bound). */
static const char *latency_cell(const json_t *pt,
                                const char *pct,
                                char *buf,
                                size_t len)
{
    double us = json_number_value(
        json_object_get(json_object_get(pt, "latency_us"), pct));
    int lower = json_is_true(json_object_get(pt, "latency_lower_bound"));
    snprintf(buf, len, "%s%.3f", lower ? "≥" : "", us / DF_US_PER_MS);
    return buf;
}

/* "12.5%" of the requests that failed, "-" when none did. */
static const char *error_cell(const json_t *pt, char *buf, size_t len)
{
    double rate = json_number_value(json_object_get(pt, "error_rate"));
    if (rate > 0)
        snprintf(buf, len, "%.1f%%", rate * 100);
    else
        snprintf(buf, len, "-");
    return buf;
}

/* The blocking detector's "3/250ms": slow callbacks and the longest
 * stall; "-" when the model has no loop or it saw none. */
static const char *stall_cell(const json_t *pt, char *buf, size_t len)
{
    const json_t *loop = json_object_get(pt, "loop");
    long long slow =
        json_integer_value(json_object_get(loop, "slow_callbacks"));
    if (slow > 0)
        snprintf(buf, len, "%lld/%.0fms", slow,
                 json_number_value(json_object_get(loop, "max_blocked_ms")));
    else
        snprintf(buf, len, "-");
    return buf;
}

/* "c=8" in closed loop, "r=500" in open loop. */
static const char *load_cell(const json_t *pt, char *buf, size_t len)
{
    if (json_object_get(pt, "rate_rps"))
        snprintf(buf, len, "r=%g",
                 json_number_value(json_object_get(pt, "rate_rps")));
    else
        snprintf(buf, len, "c=%lld",
                 json_integer_value(json_object_get(pt, "concurrency")));
    return buf;
}

/* Half the 95 % interval of the repetitions' throughput, or "-". */
static const char *ci_cell(const json_t *pt, char *buf, size_t len)
{
    json_t *tp = json_object_get(pt, "throughput");

    snprintf(buf, len, "-");
    if (json_is_number(json_object_get(tp, "ci95_high")))
        snprintf(buf, len, "%.1f",
                 (json_number_value(json_object_get(tp, "ci95_high")) -
                  json_number_value(json_object_get(tp, "ci95_low"))) /
                     2);
    return buf;
}

/* The workload spec, then what of the interpreter differs from the
 * default (GIL mode, switch interval, hogs) for the models that share
 * one: rows that differ only there must not look alike. */
static const char *workload_cell(const json_t *pt, char *wl, size_t len)
{
    const char *model = json_string_value(json_object_get(pt, "model"));
    const df_model_ops *ops = model ? df_model_find(model) : NULL;
    int n = snprintf(wl, len, "%s",
                     json_string_value(json_object_get(pt, "workload_spec")));

    if (!ops || !(ops->traits & DF_MODEL_GIL))
        return wl;
    const char *gil = json_string_value(json_object_get(pt, "gil"));
    long long sw =
        json_integer_value(json_object_get(pt, "switch_interval_us"));
    long long hogs = json_integer_value(json_object_get(pt, "hogs"));
    if (gil && strcmp(gil, "new") != 0 && n >= 0 && (size_t)n < len)
        n += snprintf(wl + n, len - n, " gil=%s", gil);
    if (gil && strcmp(gil, "new") == 0 && sw != DF_GIL_DEFAULT_INTERVAL_US &&
        n >= 0 && (size_t)n < len)
        n += snprintf(wl + n, len - n, " sw=%gms", (double)sw / DF_US_PER_MS);
    if (hogs > 0 && n >= 0 && (size_t)n < len)
        snprintf(wl + n, len - n, " hogs=%lld", hogs);
    return wl;
}

/* The status word: the point's own, or what its marks make of "ok". */
static const char *status_word(const json_t *pt)
{
    const char *status = json_string_value(json_object_get(pt, "status"));

    if (!status || strcmp(status, "ok") != 0)
        return status ? status : "?";
    /* #18: a point that completed nothing measured no service. */
    if (json_integer_value(json_object_get(pt, "completed")) == 0)
        return "NOTHING-DONE";
    if (json_is_false(json_object_get(pt, "steady")))
        return "unsteady";
    return status;
}

static void print_summary(const json_t *points)
{
    size_t i;
    json_t *pt;
    printf("%-9s %3s %3s %-32s %9s %11s %9s %6s %10s %10s %10s  %s\n", "model",
           "w", "t", "workload (interpreter)", "load", "req/s", "+-ci95", "err",
           "p50 ms", "p99 ms", "stalls", "status");
    json_array_foreach(points, i, pt)
    {
        const char *status = json_string_value(json_object_get(pt, "status"));
        int ok = status && strcmp(status, "ok") == 0;
        int lower = json_is_true(json_object_get(pt, "latency_lower_bound"));
        char load[32], ci[32], wl[160], err[16], p50[32], p99[32], stalls[32];
        const char *failure = json_string_value(json_object_get(pt, "failure"));

        /* "≥" is 3 bytes, 1 column: widen its field by 2. */
        printf(
            "%-9s %3lld %3lld %-32s %9s %11.1f %9s %6s %*s %*s %10s  "
            "%s%s%s%s\n",
            json_string_value(json_object_get(pt, "model")),
            json_integer_value(json_object_get(pt, "workers")),
            json_integer_value(json_object_get(pt, "threads")),
            workload_cell(pt, wl, sizeof wl), load_cell(pt, load, sizeof load),
            json_number_value(json_object_get(pt, "throughput_rps")),
            ci_cell(pt, ci, sizeof ci),
            ok ? error_cell(pt, err, sizeof err) : "-", lower ? 12 : 10,
            ok ? latency_cell(pt, "p50", p50, sizeof p50) : "-",
            lower ? 12 : 10,
            ok ? latency_cell(pt, "p99", p99, sizeof p99) : "-",
            ok ? stall_cell(pt, stalls, sizeof stalls) : "-", status_word(pt),
            check_flags(pt), failure ? ": " : "", failure ? failure : "");
    }
}

/* #18: what the table's marks mean, for those it shows, one line each. */
/* The legend's line for a mark, once, if any point has it. */
static void legend_mark(const json_t *points,
                        const char *mark,
                        const char *line)
{
    size_t i;
    json_t *pt;
    json_array_foreach(points, i, pt)
    {
        if (has_mark(pt, mark)) {
            printf("  %s\n", line);
            return;
        }
    }
}

static void print_legend(const json_t *points)
{
    static const char *const means[][2] = {
        { "littles_law", "CHECK:little  the in-flight count sampled during "
                         "the run and the one the timestamps imply differ "
                         "by > 10 %" },
        { "steady_state", "CHECK:steady  the window held a transient "
                          "(warm-up shorter than the latency, or a growing "
                          "queue): not steady-state figures" },
        { "rate", "CHECK:rate    the open loop's achieved rate is > 10 % off "
                  "the rate asked for" },
    };
    int shown[3] = { 0 }, noci = 0;
    size_t i, k;
    json_t *pt;

    json_array_foreach(points, i, pt)
    {
        const json_t *checks = json_object_get(pt, "checks");

        for (k = 0; k < 3; k++)
            shown[k] |= json_is_false(
                json_object_get(json_object_get(checks, means[k][0]), "ok"));
        noci |= json_object_get(pt, "throughput") &&
                !json_is_number(json_object_get(
                    json_object_get(pt, "throughput"), "ci95_high"));
    }
    for (k = 0; k < 3; k++)
        if (shown[k])
            printf("  %s\n", means[k][1]);
    json_array_foreach(points, i, pt)
    {
        const json_t *done = json_object_get(pt, "completed");

        if (json_is_integer(done) && json_integer_value(done) == 0) {
            printf("  NOTHING-DONE  no request completed in the window "
                   "(a request longer than --duration?): no figure here "
                   "is a measurement\n");
            break;
        }
    }
    legend_mark(points, "warmup_capped",
                "WARMUP-CAP    --warmup auto hit its cap before Little's law "
                "held; the window's own checks still judge it");
    legend_mark(points, "peer_limited",
                "PEER          the upstream peer lagged by a tenth of the "
                "median latency or more, or refused connections: it, not "
                "the model, set this latency");
    if (noci)
        printf("  - (+-ci95)    fewer than 3 repetitions: no 95 %% interval "
               "(--repeat 3 or more)\n");
}

/* Everything that can refuse the run, before its first point (#12): the
 * plan's size, counted without expanding it, then the claim on --out.
 * 0 with *lk and p filled, or 2 after one line on stderr. */
static int prepare(df_run_opts *o, df_plan *p, df_results_lock **lk)
{
    int64_t n = df__plan_count(o);
    df_err err = { 0 };
    int rc;

    if (n > DF_PLAN_MAX_POINTS) {
        fprintf(stderr, "duckfeed run: too many points (%lld > %d)\n",
                (long long)n, DF_PLAN_MAX_POINTS);
        return 2;
    }
    if (o->target && df_http_target_probe(o->target, &err) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", err.msg);
        return 2;
    }
    if (df_results_acquire(o->out, o->force, lk, &err) < 0) {
        fprintf(stderr, "duckfeed run: --out %s\n", err.msg);
        return 2;
    }
    if ((rc = df__plan_expand(o, p)) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", strerror(-rc));
        df_results_release(*lk);
        *lk = NULL;
        return 2;
    }
    return 0;
}

/* The sweep itself: run every repetition, write the file, sum it up. */
static int run_sweep(df_run_opts *o, int argc, char **argv)
{
    df_plan p = { 0 };
    df_results_lock *lk = NULL;
    json_t *doc = NULL;
    int rc;

    if ((rc = prepare(o, &p, &lk)) != 0)
        return rc;
    doc = df_results_new(argc, argv);
    if (!doc) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        rc = 2;
        goto out;
    }
    json_object_set_new(doc, "seed", json_integer((json_int_t)o->seed));
    rc = df__sweep_run(o, &p, doc);
    if (rc == -ENOMEM) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        rc = 2;
    } else if (!o->quiet) {
        print_summary(json_object_get(doc, "points"));
        print_legend(json_object_get(doc, "points"));
        if (!o->part) /* #18: a suite's part is gone by the end */
            printf("results: %s%s\n", o->out,
                   rc > DF_SWEEP_EXIT_SIGNALED ? " (interrupted)" : "");
    }
out:
    json_decref(doc);
    free(p.pts);
    df_results_release(lk);
    return rc;
}

int df_run_main(int argc, char **argv)
{
    df_run_opts o;
    /* #16: the arguments as typed, before getopt reorders them. */
    json_t *args = df__planfile_args(argc, argv);
    int rc = args ? df__run_parse(argc, argv, &o) : -ENOMEM;

    if (rc == -ENOMEM)
        fprintf(stderr, "duckfeed run: out of memory\n");
    if (rc == 0 && o.plan_item)
        rc = df__planfile_run_item(&o, argc, argv);
    else if (rc == 0 && o.plan)
        rc = df__planfile_write_main(&o, args);
    else if (rc == 0)
        rc = run_sweep(&o, argc, argv);
    json_decref(args);
    return rc == -ENOMEM ? 2 : rc < 0 ? 0 : rc;
}
