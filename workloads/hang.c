/* workloads/hang.c - a request that never finishes (a stuck upstream call).
 *
 * It waits through the model, so it holds no GIL and blocks no loop: only
 * its own lane, process or coroutine, is lost - the harness's drain timeout
 * and the per-model view of "one stuck request" are what it tests. If the
 * model cancels the wait (sleep returns an error) the request ends with it
 * rather than spinning on a sleep that fails at once.
 */
#include "workloads/workload.h"

#define HANG_STEP_NS 1000000000 /* 1 s */

static int hang_handle(df_ctx *ctx)
{
    for (;;) {
        int rc = df_sleep_ns(ctx, HANG_STEP_NS);
        if (rc < 0)
            return rc;
    }
}

const df_workload df_workload_hang = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "hang",
    .summary = "never returns: sleeps 1 s at a time, forever (a stuck call)",
    .kind = DF_KIND_IO,
    .handle = hang_handle,
};
