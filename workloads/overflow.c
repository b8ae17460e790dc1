/* workloads/overflow.c - runaway recursion, to show that a coroutine's
 * stack overflow is caught by its guard page and reported by name ("stack
 * overflow in a coroutine") instead of corrupting a neighbour. */
#include "workloads/workload.h"

static const df_param_decl overflow_params[] = {
    { "frame", DF_PARAM_SIZE, "256", "B", "stack bytes used per call" },
    { NULL, 0, NULL, NULL, NULL },
};

/* The depth limit is never reached; it keeps compilers from proving the
 * recursion infinite and folding it away. */
static int recurse(df_ctx *ctx, int64_t depth)
{
    volatile char frame[4096];
    int64_t n = ctx->params->value[0];
    if (n > (int64_t)sizeof frame)
        n = (int64_t)sizeof frame;
    for (int64_t i = 0; i < n; i += 64)
        frame[i] = (char)depth;
    if (depth > ((int64_t)1 << 40))
        return frame[0];
    return recurse(ctx, depth + 1) + frame[0];
}

static int overflow_handle(df_ctx *ctx)
{
    return recurse(ctx, 0) & 0;
}

const df_workload df_workload_overflow = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "overflow",
    .summary = "runaway recursion: shows the guard page catching an overflow",
    .kind = DF_KIND_CPU,
    .params = overflow_params,
    .handle = overflow_handle,
};
