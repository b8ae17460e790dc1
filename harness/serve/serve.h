/* harness/serve/serve.h - duckfeed serve: an HTTP/1.1 front for each model
 * on 127.0.0.1, serving the way the real server it stands for does (#14).
 * Notes on each way at the top of sync.c, gthread.c and aio.c. */
#ifndef DF_HARNESS_SERVE_SERVE_H
#define DF_HARNESS_SERVE_SERVE_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "models/model.h"

typedef struct df_serve_cfg {
    const char *model; /* process, thread, coroutine or asyncio */
    int workers;       /* processes (prefork), each serving on its own */
    int threads;       /* thread model: worker threads per process */
    df_gil_mode gil;
    int64_t switch_interval_ns; /* new GIL; 0: the default */
    int port;                   /* 0: any free port */
    int backlog;                /* listen(2) */
    int max_connections;        /* per process (gunicorn worker_connections) */
    int64_t keepalive_ns;       /* idle keep-alive close; 0: the model's */
    int64_t read_timeout_ns;    /* sync: a request must arrive within it */
    FILE *announce;             /* gets "listening on http://..." then flush */
    const char *calibration;    /* #15: --calibration FILE[#NAME] */
    int64_t request_cost_ns;    /* its charge per request; 0: none */
} df_serve_cfg;

/* 0 if cfg->model has an HTTP front, else -EINVAL naming the choices. */
int df_serve_check_model(const char *model, df_err *err);

/* Listens, sets every workload up (defaults), forks cfg->workers workers
 * sharing the socket, respawns one that dies, and returns 0 after SIGINT
 * or SIGTERM (workers stopped, workloads torn down); or a negative errno
 * with err set when it could not start. */
int df_serve_run(const df_serve_cfg *cfg, df_err *err);

/* `duckfeed serve` (harness/cli/serve.c): argv[0] is "serve". Returns 0
 * after a signal stopped it, 2 on bad input or a failed start (one line on
 * stderr). */
int df_serve_main(int argc, char **argv);

#endif /* DF_HARNESS_SERVE_SERVE_H */
