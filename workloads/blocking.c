/* workloads/blocking.c - the classic asyncio mistake: a blocking sleep
 * called directly, not through the model. On the coroutine loop it freezes
 * every request for `ms`; the blocking detector counts it. Compare with
 * `offload`, which makes the same call through run_blocking. */
#define _POSIX_C_SOURCE 200809L
#include "workloads/workload.h"

#include <time.h>

static const df_param_decl blocking_params[] = {
    { "ms", DF_PARAM_DURATION, "20", "ms",
      "time each request blocks its worker (nanosleep, not through ctx)" },
    { NULL, 0, NULL, NULL, NULL },
};

static int blocking_handle(df_ctx *ctx)
{
    int64_t ns = ctx->params->value[0];
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    /* Deliberately not df_sleep_ns: that is the point of this workload. */
    while (nanosleep(&ts, &ts) != 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

const df_workload df_workload_blocking = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "blocking",
    .summary = "calls nanosleep(`ms`) directly: blocks the loop (the mistake)",
    .kind = DF_KIND_IO,
    .params = blocking_params,
    .handle = blocking_handle,
};
