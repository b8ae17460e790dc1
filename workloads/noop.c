/* workloads/noop.c - returns at once: the cost of the model itself. */
#include "workloads/workload.h"

static int noop_handle(df_ctx *ctx)
{
    (void)ctx;
    return 0;
}

const df_workload df_workload_noop = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "noop",
    .summary = "returns at once: measures the model's own overhead",
    .kind = DF_KIND_CPU,
    .handle = noop_handle,
};
