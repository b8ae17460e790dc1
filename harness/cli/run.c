/* harness/cli/run.c - `duckfeed run`: the sweep a user asks for on the
 * command line, in gunicorn's vocabulary (--workers, --threads), and the
 * table that sums it up. The points are expanded by plan.c and run by
 * sweep.c. */
#define _GNU_SOURCE
#include "harness/cli/run.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <math.h>

#include "harness/measure/arrivals.h"
#include "harness/sweep/plan.h"
#include "harness/store/results.h"
#include "harness/sweep/sweep.h"
#include "models/gil.h"
#include "workloads/params.h"
#include "workloads/registry.h"

static const char usage[] =
    "usage: duckfeed run [options]\n"
    "Runs every combination of the lists given, each point in its own\n"
    "child process, and writes one results file.\n"
    "\n"
    "What runs:\n"
    "  --model LIST           process,thread,coroutine (default: all three)\n"
    "  --workload SPEC        name[:param=value,...], repeatable (default cpu);\n"
    "                         see `duckfeed list` for names and parameters\n"
    "  --plugin PATH.so       load a workload plugin first (repeatable)\n"
    "  --workers LIST         processes of the process model (default 2); for\n"
    "                         thread/coroutine runs without the process model\n"
    "                         it means --processes, as gunicorn -w / uvicorn\n"
    "                         --workers do\n"
    "  --threads LIST         threads of the thread model (default 2)\n"
    "  --processes LIST       hybrids: processes each running the thread or\n"
    "                         coroutine model (default 1)\n"
    "Interpreter lock (thread and coroutine models):\n"
    "  --gil LIST             new (CPython 3.2-3.12, default), old (Python 2),\n"
    "                         off (free-threaded 3.13t)\n"
    "  --switch-interval LIST new GIL switch interval (default 5ms)\n"
    "  --check-interval N     old GIL checkpoints between releases (default 100)\n"
    "  --hogs LIST            CPU-bound neighbour threads in the interpreter\n"
    "                         (thread model; the convoy scenario; default 0)\n"
    "Coroutine loop:\n"
    "  --switch asm|ucontext  context switch (default asm)\n"
    "  --stack dedicated|shared  coroutine stacks (default dedicated)\n"
    "  --stack-size SIZE      per coroutine (default 64KB)\n"
    "  --slow-callback-ms N   blocking detector threshold (default 100)\n"
    "  --to-thread-workers N  run_blocking pool (default min(32, cores+4))\n"
    "Load:\n"
    "  --concurrency LIST     closed-loop clients (default 1)\n"
    "  --rate LIST            open loop instead: arrivals per second; latency\n"
    "                         counts from each request's intended start\n"
    "  --arrivals KIND        constant or poisson (default constant)\n"
    "  --max-inflight N       open loop: refuse arrivals beyond N in flight\n"
    "  --repeat N             repetitions of each point, in shuffled order\n"
    "                         (default 3)\n"
    "  --seed N               seed of the shuffle and the arrivals (default 1)\n"
    "  --duration D           measured window per point (default 1s)\n"
    "  --warmup D             run before the window, not recorded (default 0.2s)\n"
    "  --requests N           stop after N requests instead (no window)\n"
    "  --timeout D            give up on a point after D more (default 15s)\n"
    "Output:\n"
    "  --out FILE             results file (default results/run.json)\n"
    "  --trace                record each request's states (timeline)\n"
    "  --quiet                no progress lines\n"
    "  -h, --help             this text\n"
    "LIST is comma-separated (1,2,4); D takes us, ms or s (bare: seconds).\n";

static int bad(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "duckfeed run: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_list(const char *flag, const char *s, int64_t lo, int64_t hi,
                      df_int_list *l)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    l->n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (l->n == DF_PLAN_MAX_LIST) {
            fprintf(stderr, "duckfeed run: %s: more than %d values\n", flag, DF_PLAN_MAX_LIST);
            return 2;
        }
        if (parse_int(tok, lo, hi, &l->v[l->n]) < 0) {
            fprintf(stderr,
                    "duckfeed run: %s: \"%s\" is not a whole number in %lld..%lld\n",
                    flag, tok, (long long)lo, (long long)hi);
            return 2;
        }
        l->n++;
    }
    if (l->n == 0)
        return bad("%s: empty list%s", flag, "");
    return 0;
}

/* Durations and sizes share the workload parameters' parser and messages. */
static int parse_typed(const char *flag, df_param_type type, const char *unit,
                       const char *s, int64_t *out)
{
    df_param_decl decl = { .name = flag, .type = type, .unit = unit };
    df_err err = { 0 };
    if (df_param_parse_value("run", &decl, s, out, &err) < 0) {
        fprintf(stderr, "duckfeed run: %s: \"%s\" is not a valid %s\n", flag, s,
                type == DF_PARAM_SIZE ? "size (try 64KB)"
                                      : "duration (try 500ms, 2s)");
        return 2;
    }
    return 0;
}

static int parse_models(const char *s, df_run_opts *o)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    o->nmodels = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        const df_model_ops *m = df_model_find(tok);
        if (!m)
            return bad("unknown model \"%s\" (known: process, thread, coroutine)%s",
                       tok, "");
        if (o->nmodels < 8)
            o->models[o->nmodels++] = m;
    }
    return o->nmodels ? 0 : bad("--model: empty list%s%s", "", "");
}

static int parse_gils(const char *s, df_run_opts *o)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    o->ngils = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok && o->ngils < 3;
         tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "new"))
            o->gils[o->ngils++] = DF_GIL_NEW;
        else if (!strcmp(tok, "old"))
            o->gils[o->ngils++] = DF_GIL_OLD;
        else if (!strcmp(tok, "off"))
            o->gils[o->ngils++] = DF_GIL_OFF;
        else
            return bad("--gil: \"%s\" is not new, old or off%s", tok, "");
    }
    return o->ngils ? 0 : bad("--gil: empty list%s%s", "", "");
}

static void defaults(df_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->workers = (df_int_list){ 1, { 2 } };
    o->threads = (df_int_list){ 1, { 2 } };
    o->processes = (df_int_list){ 1, { 1 } };
    o->concurrency = (df_int_list){ 1, { 1 } };
    o->hogs = (df_int_list){ 1, { 0 } };
    o->switch_us = (df_int_list){ 1, { DF_GIL_DEFAULT_INTERVAL_US } };
    o->gils[0] = DF_GIL_NEW;
    o->ngils = 1;
    o->duration_ns = 1000000000;
    o->warmup_ns = 200000000;
    o->timeout_ns = 15000000000LL;
    o->check_interval = DF_GIL_DEFAULT_CHECK_INTERVAL;
    o->base.stack_size_bytes = 64 * 1024;
    o->base.slow_callback_ns = 100000000;
    o->out = "results/run.json";
    o->repeat = 3;
    o->seed = 1;
}

static int parse_rates(const char *s, df_run_opts *o)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    o->nrates = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        double r = strtod(tok, &end);
        if (end == tok || *end || !(r > 0) || !isfinite(r) || r > 1e7)
            return bad("--rate: \"%s\" is not a rate in (0, 1e7] req/s%s", tok,
                       "");
        if (o->nrates == DF_PLAN_MAX_LIST)
            return bad("--rate: more than %s values%s", "64", "");
        o->rates[o->nrates++] = r;
    }
    return o->nrates ? 0 : bad("--rate: empty list%s%s", "", "");
}

enum {
    OPT_MODEL = 256, OPT_WORKLOAD, OPT_PLUGIN, OPT_WORKERS, OPT_THREADS,
    OPT_PROCESSES, OPT_GIL, OPT_SWITCH_INTERVAL, OPT_CHECK_INTERVAL, OPT_HOGS,
    OPT_SWITCH, OPT_STACK, OPT_STACK_SIZE, OPT_SLOW, OPT_TO_THREAD,
    OPT_CONCURRENCY, OPT_DURATION, OPT_WARMUP, OPT_REQUESTS, OPT_TIMEOUT,
    OPT_OUT, OPT_TRACE, OPT_QUIET, OPT_RATE, OPT_ARRIVALS, OPT_MAX_INFLIGHT,
    OPT_REPEAT, OPT_SEED,
};

static const struct option long_opts[] = {
    { "model", required_argument, 0, OPT_MODEL },
    { "workload", required_argument, 0, OPT_WORKLOAD },
    { "plugin", required_argument, 0, OPT_PLUGIN },
    { "workers", required_argument, 0, OPT_WORKERS },
    { "threads", required_argument, 0, OPT_THREADS },
    { "processes", required_argument, 0, OPT_PROCESSES },
    { "gil", required_argument, 0, OPT_GIL },
    { "switch-interval", required_argument, 0, OPT_SWITCH_INTERVAL },
    { "check-interval", required_argument, 0, OPT_CHECK_INTERVAL },
    { "hogs", required_argument, 0, OPT_HOGS },
    { "switch", required_argument, 0, OPT_SWITCH },
    { "stack", required_argument, 0, OPT_STACK },
    { "stack-size", required_argument, 0, OPT_STACK_SIZE },
    { "slow-callback-ms", required_argument, 0, OPT_SLOW },
    { "to-thread-workers", required_argument, 0, OPT_TO_THREAD },
    { "concurrency", required_argument, 0, OPT_CONCURRENCY },
    { "duration", required_argument, 0, OPT_DURATION },
    { "warmup", required_argument, 0, OPT_WARMUP },
    { "requests", required_argument, 0, OPT_REQUESTS },
    { "timeout", required_argument, 0, OPT_TIMEOUT },
    { "out", required_argument, 0, OPT_OUT },
    { "trace", no_argument, 0, OPT_TRACE },
    { "quiet", no_argument, 0, OPT_QUIET },
    { "rate", required_argument, 0, OPT_RATE },
    { "arrivals", required_argument, 0, OPT_ARRIVALS },
    { "max-inflight", required_argument, 0, OPT_MAX_INFLIGHT },
    { "repeat", required_argument, 0, OPT_REPEAT },
    { "seed", required_argument, 0, OPT_SEED },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
};

/* Switch interval list: each value a duration, kept in µs. */
static int parse_switch_list(const char *s, df_run_opts *o)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    o->switch_us.n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok && o->switch_us.n < DF_PLAN_MAX_LIST;
         tok = strtok_r(NULL, ",", &save)) {
        int64_t ns;
        if (parse_typed("--switch-interval", DF_PARAM_DURATION, "ms", tok, &ns))
            return 2;
        if (ns < 1000)
            return bad("--switch-interval: \"%s\" is below 1us%s", tok, "");
        o->switch_us.v[o->switch_us.n++] = ns / 1000;
    }
    return o->switch_us.n ? 0 : bad("--switch-interval: empty list%s%s", "", "");
}

static int parse_opts(int argc, char **argv, df_run_opts *o)
{
    int c, rc = 0;
    int64_t v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_MODEL: rc = parse_models(optarg, o); break;
        case OPT_WORKLOAD:
            if (o->nwl == DF_PLAN_MAX_WORKLOADS)
                return bad("--workload: more than %s given%s", "16", "");
            o->wl_spec[o->nwl++] = optarg;
            break;
        case OPT_PLUGIN: {
            df_err err = { 0 };
            if (df_registry_load_plugin(optarg, &err) < 0) {
                fprintf(stderr, "duckfeed run: %s\n", err.msg);
                return 2;
            }
            break;
        }
        case OPT_WORKERS:
            rc = parse_list("--workers", optarg, 1, 1024, &o->workers);
            o->workers_given = 1;
            break;
        case OPT_THREADS: rc = parse_list("--threads", optarg, 1, 4096, &o->threads); break;
        case OPT_PROCESSES:
            rc = parse_list("--processes", optarg, 1, 1024, &o->processes);
            o->processes_given = 1;
            break;
        case OPT_GIL: rc = parse_gils(optarg, o); break;
        case OPT_SWITCH_INTERVAL: rc = parse_switch_list(optarg, o); break;
        case OPT_CHECK_INTERVAL:
            if (parse_int(optarg, 1, INT_MAX, &v) < 0)
                return bad("--check-interval: \"%s\" is not a whole number >= 1%s", optarg, "");
            o->check_interval = (int)v;
            break;
        case OPT_HOGS: rc = parse_list("--hogs", optarg, 0, 64, &o->hogs); break;
        case OPT_SWITCH:
            if (!strcmp(optarg, "asm"))
                o->base.switch_kind = DF_SWITCH_ASM;
            else if (!strcmp(optarg, "ucontext"))
                o->base.switch_kind = DF_SWITCH_UCONTEXT;
            else
                return bad("--switch: \"%s\" is not asm or ucontext%s", optarg, "");
            break;
        case OPT_STACK:
            if (!strcmp(optarg, "dedicated"))
                o->base.stack_kind = DF_STACK_DEDICATED;
            else if (!strcmp(optarg, "shared"))
                o->base.stack_kind = DF_STACK_SHARED;
            else
                return bad("--stack: \"%s\" is not dedicated or shared%s", optarg, "");
            break;
        case OPT_STACK_SIZE:
            if (parse_typed("--stack-size", DF_PARAM_SIZE, "B", optarg, &v))
                return 2;
            if (v < 16384)
                return bad("--stack-size: \"%s\" is below 16KB%s", optarg, "");
            o->base.stack_size_bytes = v;
            break;
        case OPT_SLOW:
            if (parse_int(optarg, 1, 3600000, &v) < 0)
                return bad("--slow-callback-ms: \"%s\" is not a whole number of ms%s", optarg, "");
            o->base.slow_callback_ns = v * 1000000;
            break;
        case OPT_TO_THREAD:
            if (parse_int(optarg, 1, 1024, &v) < 0)
                return bad("--to-thread-workers: \"%s\" is not in 1..1024%s", optarg, "");
            o->base.to_thread_workers = (int)v;
            break;
        case OPT_CONCURRENCY:
            rc = parse_list("--concurrency", optarg, 1, 100000, &o->concurrency);
            break;
        case OPT_DURATION:
            if (parse_typed("--duration", DF_PARAM_DURATION, "s", optarg, &o->duration_ns))
                return 2;
            if (o->duration_ns <= 0)
                return bad("--duration: must be more than 0 (got \"%s\")%s", optarg, "");
            break;
        case OPT_WARMUP:
            if (parse_typed("--warmup", DF_PARAM_DURATION, "s", optarg, &o->warmup_ns))
                return 2;
            break;
        case OPT_REQUESTS:
            if (parse_int(optarg, 1, INT64_MAX / 2, &o->requests) < 0)
                return bad("--requests: \"%s\" is not a whole number >= 1%s", optarg, "");
            break;
        case OPT_TIMEOUT:
            if (parse_typed("--timeout", DF_PARAM_DURATION, "s", optarg, &o->timeout_ns))
                return 2;
            break;
        case OPT_OUT: o->out = optarg; break;
        case OPT_TRACE: o->trace = 1; break;
        case OPT_QUIET: o->quiet = 1; break;
        case OPT_RATE: rc = parse_rates(optarg, o); break;
        case OPT_ARRIVALS: {
            df_arrivals_kind k;
            if (df_arrivals_parse(optarg, &k) < 0)
                return bad("--arrivals: \"%s\" is not constant or poisson%s",
                           optarg, "");
            o->arrivals = (int)k;
            break;
        }
        case OPT_MAX_INFLIGHT:
            if (parse_int(optarg, 1, INT64_MAX / 2, &o->max_inflight) < 0)
                return bad("--max-inflight: \"%s\" is not a whole number >= 1%s",
                           optarg, "");
            break;
        case OPT_REPEAT:
            if (parse_int(optarg, 1, 1000, &v) < 0)
                return bad("--repeat: \"%s\" is not in 1..1000%s", optarg, "");
            o->repeat = (int)v;
            break;
        case OPT_SEED:
            if (parse_int(optarg, 0, INT64_MAX, &v) < 0)
                return bad("--seed: \"%s\" is not a whole number >= 0%s", optarg,
                           "");
            o->seed = (uint64_t)v;
            break;
        default:
            /* getopt sets optopt to a known option that lacks its value and
             * to 0 for an unknown one. */
            if (optopt)
                return bad("option \"%s\" needs a value%s", argv[optind - 1], "");
            return bad("unknown option \"%s\" (see duckfeed run --help)%s",
                       argv[optind - 1], "");
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return bad("unexpected argument \"%s\" (see duckfeed run --help)%s",
                   argv[optind], "");
    if (o->nmodels == 0)
        parse_models("process,thread,coroutine", o);
    if (o->nwl == 0)
        o->wl_spec[o->nwl++] = "cpu";
    for (int i = 0; i < o->nwl; i++) {
        df_err err = { 0 };
        if (df_workload_parse_spec(o->wl_spec[i], &o->wl[i], &o->wl_params[i], &err) < 0) {
            fprintf(stderr, "duckfeed run: %s\n", err.msg);
            return 2;
        }
        df_params_format(o->wl[i], &o->wl_params[i], o->wl_label[i],
                         sizeof o->wl_label[i]);
    }
    /* gunicorn -w and uvicorn --workers count processes: with no process
     * model in the run, --workers means the hybrids' --processes. */
    int has_process = 0;
    for (int i = 0; i < o->nmodels; i++)
        has_process |= (o->models[i]->traits & DF_MODEL_PREFORK) != 0;
    if (!has_process && o->workers_given && !o->processes_given)
        o->processes = o->workers;
    df_err err = { 0 };
    if (df_results_check_writable(o->out, &err) < 0) {
        fprintf(stderr, "duckfeed run: --out: %s\n", err.msg);
        return 2;
    }
    return 0;
}

/* " CHECK:little,steady" for the failing checks of pt, "" when none. */
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
    return buf;
}

static void print_summary(const json_t *points)
{
    size_t i;
    json_t *pt;
    printf("%-9s %3s %3s %-32s %9s %11s %9s %10s %10s  %s\n", "model", "w", "t",
           "workload (interpreter)", "load", "req/s", "+-ci95", "p50 ms", "p99 ms",
           "status");
    json_array_foreach(points, i, pt) {
        const char *status = json_string_value(json_object_get(pt, "status"));
        json_t *lat = json_object_get(pt, "latency_us");
        json_t *tp = json_object_get(pt, "throughput");
        char load[32], ci[32] = "-";
        if (json_object_get(pt, "rate_rps"))
            snprintf(load, sizeof load, "r=%g",
                     json_number_value(json_object_get(pt, "rate_rps")));
        else
            snprintf(load, sizeof load, "c=%lld",
                     json_integer_value(json_object_get(pt, "concurrency")));
        if (json_is_number(json_object_get(tp, "ci95_high")))
            snprintf(ci, sizeof ci, "%.1f",
                     (json_number_value(json_object_get(tp, "ci95_high")) -
                      json_number_value(json_object_get(tp, "ci95_low"))) / 2);
        /* Rows that differ only by the interpreter (GIL mode, switch
         * interval, hogs) must not look alike: say those after the
         * workload, for the models that share an interpreter. */
        const char *model = json_string_value(json_object_get(pt, "model"));
        char wl[48];
        int n = snprintf(wl, sizeof wl, "%s",
                         json_string_value(json_object_get(pt,
                                                           "workload_spec")));
        const df_model_ops *ops = model ? df_model_find(model) : NULL;
        if (ops && ops->traits & DF_MODEL_GIL) {
            const char *gil = json_string_value(json_object_get(pt, "gil"));
            long long sw = json_integer_value(
                json_object_get(pt, "switch_interval_us"));
            long long hogs = json_integer_value(json_object_get(pt, "hogs"));
            if (gil && strcmp(gil, "new") != 0 && n >= 0 &&
                (size_t)n < sizeof wl)
                n += snprintf(wl + n, sizeof wl - n, " gil=%s", gil);
            if (gil && strcmp(gil, "new") == 0 && sw != 5000 && n >= 0 &&
                (size_t)n < sizeof wl)
                n += snprintf(wl + n, sizeof wl - n, " sw=%gms", sw / 1e3);
            if (hogs > 0 && n >= 0 && (size_t)n < sizeof wl)
                snprintf(wl + n, sizeof wl - n, " hogs=%lld", hogs);
        }
        printf("%-9s %3lld %3lld %-32.32s %9s %11.1f %9s %10.3f %10.3f  %s%s%s%s\n",
               model, json_integer_value(json_object_get(pt, "workers")),
               json_integer_value(json_object_get(pt, "threads")), wl, load,
               json_number_value(json_object_get(pt, "throughput_rps")), ci,
               json_number_value(json_object_get(lat, "p50")) / 1e3,
               json_number_value(json_object_get(lat, "p99")) / 1e3,
               status ? status : "?", check_flags(pt),
               json_object_get(pt, "failure") ? ": " : "",
               json_object_get(pt, "failure")
                   ? json_string_value(json_object_get(pt, "failure"))
                   : "");
    }
}
int df_run_main(int argc, char **argv)
{
    df_run_opts o;
    df_plan p = { 0 };
    defaults(&o);
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    json_t *doc = df_results_new(argc, argv);
    if (!doc || df__plan_expand(&o, &p) < 0 || p.n > 100000) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        json_decref(doc);
        free(p.pts);
        return 2;
    }
    json_object_set_new(doc, "seed", json_integer((json_int_t)o.seed));
    rc = df__sweep_run(&o, &p, doc);
    if (rc == -ENOMEM) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        rc = 2;
    } else {
        json_t *points = json_object_get(doc, "points");
        if (!o.quiet)
            print_summary(points);
        if (!o.quiet)
            printf("results: %s%s\n", o.out, rc > 128 ? " (interrupted)" : "");
    }
    json_decref(doc);
    free(p.pts);
    return rc;
}
