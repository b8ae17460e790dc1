/* harness/cli/serve.c - `duckfeed serve`: the HTTP front of a model (#14). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "harness/cli/opt.h"
#include "harness/serve/serve.h"
#include "harness/store/calibration.h"
#include "models/gil.h"
#include "workloads/registry.h"

#define FIELD(f) DF_OPT_FIELD(df_serve_cfg, f)
#define XSTR(x)  STR(x)
#define STR(x)   #x

static const df_opt opts[] = {
    { "model", DF_OPT_STRING, FIELD(model), .arg = "M", .def = "coroutine",
      .help = "process (gunicorn sync), thread (gunicorn gthread),\n"
              "coroutine (gunicorn -k gevent) or asyncio (uvicorn)" },
    { "workers", DF_OPT_INT, FIELD(workers), 1, 256, .def = "1",
      .help = "worker processes sharing the listening socket" },
    { "threads", DF_OPT_INT, FIELD(threads), 1, 1024, .def = "4",
      .help = "thread model: worker threads per process" },
    { "gil", DF_OPT_CHOICE, FIELD(gil), .choices = df__opt_gil_words,
      .def = "new",
      .help = "the simulated interpreter lock of thread and loop\n"
              "workers: new, old or off" },
    { "switch-interval", DF_OPT_DURATION, FIELD(switch_interval_ns), 1000,
      1000000000, .bare_unit = "us",
      .def = XSTR(DF_GIL_DEFAULT_INTERVAL_US) "us",
      .help = "new GIL switch interval" },
    { "plugin", DF_OPT_CALL, .call = df__opt_load_plugin, .arg = "PATH.so",
      .help = "load a workload plugin (repeatable); served at\n/NAME" },
    { "port", DF_OPT_INT, FIELD(port), 0, 65535, .def = "8000",
      .section = "Connections",
      .help = "on 127.0.0.1; 0: any free port (the line on\n"
              "stdout says which)" },
    { "backlog", DF_OPT_INT, FIELD(backlog), 1, 65535, .def = "2048",
      .help = "listen(2) backlog (uvicorn's default)" },
    { "max-connections", DF_OPT_INT, FIELD(max_connections), 1, 100000,
      .def = "1000", .help = "per worker (gunicorn worker_connections)" },
    { "keepalive", DF_OPT_DURATION, FIELD(keepalive_ns), 1000000, 0,
      .bare_unit = "s",
      .help = "close a keep-alive connection idle this long\n"
              "(default: thread, coroutine 2s, asyncio 5s;\n"
              "process closes after every response)" },
    { "read-timeout", DF_OPT_DURATION, FIELD(read_timeout_ns), 1000000, 0,
      .bare_unit = "s", .def = "30s",
      .help = "process: drop a request not read within it" },
    { "calibration", DF_OPT_STRING, FIELD(calibration), .arg = "FILE[#NAME]",
      .help = "charge each request a real server's own cost\n"
              "(see duckfeed run --calibration)" },
    { "help", DF_OPT_HELP, .help = "this text" },
};

static const df_opt_cmd serve_cmd = {
    .name = "serve",
    .opts = opts,
    .nopts = sizeof opts / sizeof opts[0],
    .usage_head =
        "usage: duckfeed serve [options]\n"
        "Serves HTTP/1.1 on 127.0.0.1 with a model, the way the server it\n"
        "stands for does. The path picks the workload, the query its\n"
        "parameters: /noop, /cpu?us=2000, /sleep?ms=50 (duckfeed list).\n"
        "Each worker sets a workload up on the first request for each set\n"
        "of values (at most 16; more get 400). Runs until SIGINT or\n"
        "SIGTERM.\n\n",
    .usage_foot = "Answers: 200 \"ok\", 400 bad request or parameter, 404 no "
                  "such workload,\n431 headers over 8 KiB, 500 the workload "
                  "failed, 503 its setup failed.\n",
};

int df_serve_main(int argc, char **argv)
{
    df_serve_cfg cfg;
    unsigned char given[sizeof opts / sizeof opts[0]];
    df_err err = { 0 };

    memset(&cfg, 0, sizeof cfg);
    int rc = df__opt_read(&serve_cmd, argc, argv, &cfg, given);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (df_serve_check_model(cfg.model, &err) < 0) {
        fprintf(stderr, "duckfeed serve: %s\n", err.msg);
        return 2;
    }
    if (cfg.calibration &&
        df_calibration_cost(cfg.calibration, cfg.model, &cfg.request_cost_ns,
                            &err) < 0) {
        fprintf(stderr, "duckfeed serve: %s\n", err.msg);
        return 2;
    }
    cfg.announce = stdout;
    if (df_serve_run(&cfg, &err) < 0) {
        fprintf(stderr, "duckfeed serve: %s\n", err.msg);
        return 2;
    }
    return 0;
}
