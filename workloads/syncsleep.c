/* workloads/syncsleep.c - a sync handler: `def handler(): time.sleep(ms)`.
 *
 * The wait is a plain call (df_plain_sleep_ns), not an awaited one: on a
 * process or a thread it blocks that lane only; on the gevent-like
 * `coroutine` model it yields, as monkey-patched time.sleep does; on the
 * `asyncio` model it blocks the whole loop, as time.sleep in an async
 * handler under uvicorn does (#13). Compare with `sleep`, the awaited
 * asyncio.sleep, and `blocking`, a C call no model can make yield. */
#include "workloads/workload.h"

static const df_param_decl syncsleep_params[] = {
    { "ms", DF_PARAM_DURATION, "20", "ms",
      "time each request sleeps with a plain (not awaited) call" },
    { NULL, 0, NULL, NULL, NULL },
};

static int syncsleep_handle(df_ctx *ctx)
{
    return df_plain_sleep_ns(ctx, ctx->params->value[0]);
}

const df_workload df_workload_syncsleep = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "syncsleep",
    .summary = "plain time.sleep(`ms`): yields under gevent, blocks an "
               "asyncio loop",
    .kind = DF_KIND_IO,
    .params = syncsleep_params,
    .handle = syncsleep_handle,
};
