/* fib.c - a duckfeed workload plugin: naive Fibonacci, CPU-bound. */
#include <duckfeed/workload.h>

static const df_param_decl fib_params[] = {
    { "n", DF_PARAM_INT, "20", NULL, "compute fib(n) the exponential way" },
    { NULL, 0, NULL, NULL, NULL },
};

/* Each call is one "bytecode boundary": where a GIL may change hands. */
static int64_t fib(df_ctx *ctx, int64_t n)
{
    df_checkpoint(ctx);
    return n < 2 ? n : fib(ctx, n - 1) + fib(ctx, n - 2);
}

static int fib_handle(df_ctx *ctx)
{
    int64_t n = ctx->params->value[0];

    return n < 0 || fib(ctx, n) < 0 ? -EINVAL : 0;
}

static const df_workload fib_workload = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "fib",
    .summary = "naive recursive fib(n): pure CPU, checkpoint per call",
    .kind = DF_KIND_CPU,
    .params = fib_params,
    .handle = fib_handle,
};

const df_workload *duckfeed_workload(void)
{
    return &fib_workload;
}
