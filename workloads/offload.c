/* workloads/offload.c - the fix for `blocking`: the same nanosleep, run
 * through df_run_blocking (asyncio.to_thread), so the loop stays free. */
#define _POSIX_C_SOURCE 200809L
#include "workloads/workload.h"

#include <time.h>

static const df_param_decl offload_params[] = {
    { "ms", DF_PARAM_DURATION, "20", "ms",
      "time each request blocks a to_thread worker (not the loop)" },
    { NULL, 0, NULL, NULL, NULL },
};

static int block_for(void *arg)
{
    int64_t ns = *(const int64_t *)arg;
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    while (nanosleep(&ts, &ts) != 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

static int offload_handle(df_ctx *ctx)
{
    /* The argument points into the parsed parameters, not at a local: a
     * coroutine's stack is not addressable from another thread while it is
     * suspended in shared-stack mode. */
    return df_run_blocking(ctx, block_for, (void *)&ctx->params->value[0]);
}

const df_workload df_workload_offload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "offload",
    .summary = "nanosleep(`ms`) through run_blocking (to_thread): the fix",
    .kind = DF_KIND_IO,
    .params = offload_params,
    .handle = offload_handle,
};
