/* harness/cli_run.c - `duckfeed run`: the sweep a user asks for on the
 * command line, in gunicorn's vocabulary (--workers, --threads). */
#define _GNU_SOURCE
#include "harness/cli_run.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/point.h"
#include "harness/results.h"
#include "harness/runner.h"
#include "models/gil.h"
#include "workloads/params.h"
#include "workloads/registry.h"

#define MAX_LIST 64
#define MAX_WORKLOADS 16

typedef struct int_list {
    int n;
    int64_t v[MAX_LIST];
} int_list;

typedef struct run_opts {
    const df_model_ops *models[8];
    int nmodels;
    const char *wl_spec[MAX_WORKLOADS];
    const df_workload *wl[MAX_WORKLOADS];
    df_params wl_params[MAX_WORKLOADS];
    char wl_label[MAX_WORKLOADS][256];
    int nwl;
    int_list workers, threads, processes, concurrency, hogs, switch_us;
    df_gil_mode gils[3];
    int ngils;
    int workers_given, processes_given;
    int64_t duration_ns, warmup_ns, requests, timeout_ns;
    int check_interval, trace, quiet;
    df_model_cfg base; /* loop and GIL knobs shared by every point */
    const char *out;
} run_opts;

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
                      int_list *l)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    l->n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (l->n == MAX_LIST) {
            fprintf(stderr, "duckfeed run: %s: more than %d values\n", flag, MAX_LIST);
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

static int parse_models(const char *s, run_opts *o)
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

static int parse_gils(const char *s, run_opts *o)
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

static void defaults(run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->workers = (int_list){ 1, { 2 } };
    o->threads = (int_list){ 1, { 2 } };
    o->processes = (int_list){ 1, { 1 } };
    o->concurrency = (int_list){ 1, { 1 } };
    o->hogs = (int_list){ 1, { 0 } };
    o->switch_us = (int_list){ 1, { DF_GIL_DEFAULT_INTERVAL_US } };
    o->gils[0] = DF_GIL_NEW;
    o->ngils = 1;
    o->duration_ns = 1000000000;
    o->warmup_ns = 200000000;
    o->timeout_ns = 15000000000LL;
    o->check_interval = DF_GIL_DEFAULT_CHECK_INTERVAL;
    o->base.stack_size_bytes = 64 * 1024;
    o->base.slow_callback_ns = 100000000;
    o->out = "results/run.json";
}

enum {
    OPT_MODEL = 256, OPT_WORKLOAD, OPT_PLUGIN, OPT_WORKERS, OPT_THREADS,
    OPT_PROCESSES, OPT_GIL, OPT_SWITCH_INTERVAL, OPT_CHECK_INTERVAL, OPT_HOGS,
    OPT_SWITCH, OPT_STACK, OPT_STACK_SIZE, OPT_SLOW, OPT_TO_THREAD,
    OPT_CONCURRENCY, OPT_DURATION, OPT_WARMUP, OPT_REQUESTS, OPT_TIMEOUT,
    OPT_OUT, OPT_TRACE, OPT_QUIET,
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
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
};

/* Switch interval list: each value a duration, kept in µs. */
static int parse_switch_list(const char *s, run_opts *o)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    o->switch_us.n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok && o->switch_us.n < MAX_LIST;
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

static int parse_opts(int argc, char **argv, run_opts *o)
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
            if (o->nwl == MAX_WORKLOADS)
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
        has_process |= strcmp(o->models[i]->name, "process") == 0;
    if (!has_process && o->workers_given && !o->processes_given)
        o->processes = o->workers;
    df_err err = { 0 };
    if (df_results_check_writable(o->out, &err) < 0) {
        fprintf(stderr, "duckfeed run: --out: %s\n", err.msg);
        return 2;
    }
    return 0;
}

typedef struct plan {
    df_point_cfg *pts;
    int n, cap;
} plan;

static int plan_add(plan *p, const df_point_cfg *pc)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 16;
        df_point_cfg *np = realloc(p->pts, (size_t)cap * sizeof *np);
        if (!np)
            return -ENOMEM;
        p->pts = np;
        p->cap = cap;
    }
    p->pts[p->n++] = *pc;
    return 0;
}

/* Every combination that means something: --workers sizes only the process
 * model, --threads only the thread model, the GIL knobs only the models
 * that have an interpreter shared by several threads. */
static int expand(run_opts *o, plan *p)
{
    for (int w = 0; w < o->nwl; w++)
        for (int m = 0; m < o->nmodels; m++) {
            const df_model_ops *ops = o->models[m];
            int is_proc = !strcmp(ops->name, "process");
            int is_thread = !strcmp(ops->name, "thread");
            const int_list one = { 1, { 1 } }, zero = { 1, { 0 } };
            const int_list *sizes = is_proc ? &o->workers : &o->processes;
            const int_list *threads = is_thread ? &o->threads : &one;
            const int_list *hogs = is_thread ? &o->hogs : &zero;
            int ngil = is_proc ? 1 : o->ngils;
            for (int s = 0; s < sizes->n; s++)
                for (int t = 0; t < threads->n; t++)
                    for (int g = 0; g < ngil; g++) {
                        df_gil_mode gil = is_proc ? DF_GIL_NEW : o->gils[g];
                        int nsw = gil == DF_GIL_NEW && !is_proc ? o->switch_us.n : 1;
                        for (int si = 0; si < nsw; si++)
                            for (int h = 0; h < hogs->n; h++)
                                for (int c = 0; c < o->concurrency.n; c++) {
                                    df_point_cfg pc = { 0 };
                                    pc.model = ops;
                                    pc.mcfg = o->base;
                                    pc.mcfg.workers = is_proc ? (int)sizes->v[s] : 1;
                                    pc.processes = is_proc ? 1 : (int)sizes->v[s];
                                    pc.mcfg.threads = (int)threads->v[t];
                                    pc.mcfg.gil = gil;
                                    pc.mcfg.switch_interval_us = o->switch_us.v[nsw > 1 ? si : 0];
                                    pc.mcfg.check_interval = o->check_interval;
                                    pc.mcfg.hogs = (int)hogs->v[h];
                                    pc.mcfg.workload = o->wl[w];
                                    pc.mcfg.params = &o->wl_params[w];
                                    pc.workload_spec = o->wl_label[w];
                                    pc.concurrency = (int)o->concurrency.v[c];
                                    pc.duration_ns = o->duration_ns;
                                    pc.warmup_ns = o->requests ? 0 : o->warmup_ns;
                                    pc.requests = o->requests;
                                    pc.trace = o->trace;
                                    if (plan_add(p, &pc) < 0)
                                        return -ENOMEM;
                                }
                    }
        }
    return 0;
}

static void describe(const df_point_cfg *pc, char *buf, size_t n)
{
    const char *name = pc->model->name;
    if (!strcmp(name, "process"))
        snprintf(buf, n, "process -w %d  %s  c=%d", pc->mcfg.workers,
                 pc->workload_spec, pc->concurrency);
    else if (!strcmp(name, "thread"))
        snprintf(buf, n, "thread%s%.0d --threads %d gil=%s%s  %s  c=%d",
                 pc->processes > 1 ? " -w " : "", pc->processes > 1 ? pc->processes : 0,
                 pc->mcfg.threads,
                 pc->mcfg.gil == DF_GIL_NEW ? "new" : pc->mcfg.gil == DF_GIL_OLD ? "old" : "off",
                 pc->mcfg.hogs ? " +hogs" : "", pc->workload_spec, pc->concurrency);
    else
        snprintf(buf, n, "%s%s%.0d  %s  c=%d", name, pc->processes > 1 ? " -w " : "",
                 pc->processes > 1 ? pc->processes : 0, pc->workload_spec,
                 pc->concurrency);
}

static void print_summary(const json_t *points)
{
    size_t i;
    json_t *pt;
    printf("%-9s %3s %3s %-26s %6s %11s %10s %10s  %s\n", "model", "w", "t",
           "workload", "conc", "req/s", "p50 ms", "p99 ms", "status");
    json_array_foreach(points, i, pt) {
        const char *status = json_string_value(json_object_get(pt, "status"));
        json_t *lat = json_object_get(pt, "latency_us");
        printf("%-9s %3lld %3lld %-26.26s %6lld %11.1f %10.3f %10.3f  %s%s%s\n",
               json_string_value(json_object_get(pt, "model")),
               json_integer_value(json_object_get(pt, "workers")),
               json_integer_value(json_object_get(pt, "threads")),
               json_string_value(json_object_get(pt, "workload_spec")),
               json_integer_value(json_object_get(pt, "concurrency")),
               json_number_value(json_object_get(pt, "throughput_rps")),
               json_number_value(json_object_get(lat, "p50")) / 1e3,
               json_number_value(json_object_get(lat, "p99")) / 1e3,
               status ? status : "?", json_object_get(pt, "failure") ? ": " : "",
               json_object_get(pt, "failure")
                   ? json_string_value(json_object_get(pt, "failure"))
                   : "");
    }
}

int df_run_main(int argc, char **argv)
{
    run_opts o;
    plan p = { 0 };
    defaults(&o);
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    json_t *doc = df_results_new(argc, argv);
    if (!doc || expand(&o, &p) < 0) {
        fprintf(stderr, "duckfeed run: out of memory\n");
        json_decref(doc);
        free(p.pts);
        return 2;
    }
    json_t *points = json_object_get(doc, "points");
    int failures = 0;
    df_err err = { 0 };
    for (int i = 0; i < p.n; i++) {
        char label[512];
        describe(&p.pts[i], label, sizeof label);
        if (!o.quiet)
            fprintf(stderr, "[%d/%d] %s ...", i + 1, p.n, label);
        json_t *rec = NULL;
        int64_t timeout = p.pts[i].duration_ns + p.pts[i].warmup_ns + o.timeout_ns;
        int r = df_runner_run(&p.pts[i], timeout, &rec, &err);
        if (r < 0) {
            fprintf(stderr, "\nduckfeed run: %s\n", err.msg);
            failures++;
            break;
        }
        failures += r;
        if (!o.quiet) {
            if (r == 0)
                fprintf(stderr, " %.1f req/s\n",
                        json_number_value(json_object_get(rec, "throughput_rps")));
            else
                fprintf(stderr, " FAILED: %s\n",
                        json_string_value(json_object_get(rec, "failure")));
        }
        json_array_append_new(points, rec);
        /* Rewritten after every point: an interrupted sweep keeps what it
         * measured. */
        if (df_results_write(doc, o.out, &err) < 0) {
            fprintf(stderr, "duckfeed run: %s\n", err.msg);
            json_decref(doc);
            free(p.pts);
            return 2;
        }
    }
    json_object_set_new(doc, "complete", json_true());
    if (df_results_write(doc, o.out, &err) < 0) {
        fprintf(stderr, "duckfeed run: %s\n", err.msg);
        failures++;
    }
    if (!o.quiet)
        print_summary(points);
    if (!o.quiet)
        printf("results: %s\n", o.out);
    json_decref(doc);
    free(p.pts);
    return failures ? 1 : 0;
}
