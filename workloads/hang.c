/* workloads/hang.c - a request that never finishes (a stuck upstream call).
 *
 * It waits through the model, so it holds no GIL and blocks no loop: only
 * its own lane, process or coroutine, is lost - the harness's drain timeout
 * and the per-model view of "one stuck request" are what it tests. If the
 * model cancels the wait (sleep returns an error) the request ends with it
 * rather than spinning on a sleep that fails at once.
 */
#include "workloads/workload.h"

#include <stdio.h>

#define HANG_STEP_NS 1000000000 /* 1 s */

/* #17: every=K hangs one request in K (a hash of its id and seed); the
 * others do us of CPU work. */
static const df_param_decl hang_params[] = {
    { "every", DF_PARAM_INT, "1", NULL,
      "hang one request in every K (1: all), by a hash of its id" },
    { "seed", DF_PARAM_INT, "1", NULL, "which requests `every` picks" },
    { "us", DF_PARAM_DURATION, "0", "us",
      "CPU work of each request that does not hang" },
    { NULL, 0, NULL, NULL, NULL },
};

static int hang_setup(const df_params *p, void **state, char *err, size_t n)
{
    (void)state;
    if (p->value[0] < 1 || p->value[2] < 0) {
        snprintf(err, n, "workload hang: every must be >= 1, us >= 0");
        return -EINVAL;
    }
    if (p->value[2] > 0)
        (void)df_cpu_iters_per_us(); /* calibrate before the fork */
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int hang_handle(df_ctx *ctx)
{
    uint64_t every = (uint64_t)ctx->params->value[0];
    uint64_t seed = (uint64_t)ctx->params->value[1];
    if (every > 1 && mix(seed ^ mix(ctx->request_id)) % every != 0) {
        df_cpu_ns(ctx, ctx->params->value[2]);
        return 0;
    }
    for (;;) {
        int rc = df_sleep_ns(ctx, HANG_STEP_NS);
        if (rc < 0)
            return rc;
    }
}

const df_workload df_workload_hang = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "hang",
    .summary = "never returns: sleeps 1 s at a time, forever (a stuck "
               "call); every=K: one request in K",
    .kind = DF_KIND_IO,
    .params = hang_params,
    .setup = hang_setup,
    .handle = hang_handle,
};
