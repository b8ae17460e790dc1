/* workloads/web.c - a typical view: parse, one upstream call, render. */
#include "workloads/workload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "workloads/spin.h"
#include "workloads/upstream.h"

typedef struct web_state {
    df_upstream_state up; /* first: tests read counters as for upstream */
    int64_t iters_per_us;
} web_state;

static const df_param_decl web_params[] = {
    { "parse", DF_PARAM_DURATION, "200", "us",
      "CPU to parse the request and validate input" },
    { "upstream", DF_PARAM_DURATION, "10", "ms",
      "one upstream (database) call's delay, over loopback TCP" },
    { "render", DF_PARAM_DURATION, "300", "us",
      "CPU to render the response (templates, JSON)" },
    { NULL, 0, NULL, NULL, NULL },
};

static int web_setup(const df_params *p, void **state, char *err, size_t n)
{
    df_latency_server_cfg cfg = { .delay_ns = p->value[1] };
    web_state *s = calloc(1, sizeof *s);
    df_err e = { 0 };
    int rc;

    if (!s)
        return -ENOMEM;
    rc = df_latency_server_start(&cfg, &s->up.server, &e);
    if (rc < 0) {
        snprintf(err, n, "workload web: %s", e.msg);
        free(s);
        return rc;
    }
    s->up.addr = df_latency_server_addr(s->up.server);
    rc = df_upstream_pool_init(&s->up.pool, s->up.addr,
                               DF_UPSTREAM_CONNS_DEFAULT);
    if (rc < 0) {
        snprintf(err, n, "workload web: out of memory");
        df_latency_server_stop(s->up.server);
        free(s);
        return rc;
    }
    s->iters_per_us = df_spin_iters_per_us();
    *state = s;
    return 0;
}

static int web_handle(df_ctx *ctx)
{
    web_state *s = ctx->state;
    int rc;

    df_spin_ns(ctx, ctx->params->value[0], s->iters_per_us);
    rc = df_upstream_pool_call(ctx, &s->up.pool);
    if (rc < 0)
        return rc;
    df_spin_ns(ctx, ctx->params->value[2], s->iters_per_us);
    return 0;
}

static void web_teardown(void *state)
{
    web_state *s = state;

    if (s) {
        df_upstream_pool_close(&s->up.pool);
        df_latency_server_stop(s->up.server);
    }
    free(s);
}

const df_workload df_workload_web = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "web",
    .summary = "a typical view: parse (CPU), an upstream call (I/O), "
               "render (CPU)",
    .kind = DF_KIND_MIXED,
    .params = web_params,
    .setup = web_setup,
    .handle = web_handle,
    .teardown = web_teardown,
    .peer = df_upstream_peer, /* up comes first in web_state */
};
