/* workloads/sleep.c - waits `ms` per request (time.sleep / asyncio.sleep). */
#include "workloads/workload.h"

static const df_param_decl sleep_params[] = {
    { "ms", DF_PARAM_DURATION, "50", "ms",
      "time to wait per request, without holding the interpreter" },
    { NULL, 0, NULL, NULL, NULL },
};

static int sleep_handle(df_ctx *ctx)
{
    return df_sleep_ns(ctx, ctx->params->value[0]);
}

const df_workload df_workload_sleep = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "sleep",
    .summary = "waits `ms` through the model (time.sleep / asyncio.sleep)",
    .kind = DF_KIND_IO,
    .params = sleep_params,
    .handle = sleep_handle,
};
