/* workloads/cpu.c - a fixed amount of pure CPU per request (a Python loop). */
#include "workloads/workload.h"

#include <errno.h>
#include <stdlib.h>

#include "workloads/spin.h"

typedef struct cpu_state {
    int64_t ns;           /* CPU per request */
    int64_t iters_per_us; /* calibrated in setup, before workers fork */
} cpu_state;

static const df_param_decl cpu_params[] = {
    { "us", DF_PARAM_DURATION, "1000", "us",
      "CPU time per request, checkpointing about every microsecond" },
    { NULL, 0, NULL, NULL, NULL },
};

static int cpu_setup(const df_params *p, void **state, char *err, size_t n)
{
    cpu_state *s = malloc(sizeof *s);

    (void)err;
    (void)n;
    if (!s)
        return -ENOMEM;
    s->ns = p->value[0];
    s->iters_per_us = df_spin_iters_per_us();
    *state = s;
    return 0;
}

static int cpu_handle(df_ctx *ctx)
{
    const cpu_state *s = ctx->state;

    df_spin_ns(ctx, s->ns, s->iters_per_us);
    return 0;
}

static void cpu_teardown(void *state)
{
    free(state);
}

const df_workload df_workload_cpu = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "cpu",
    .summary =
        "pure CPU for `us` per request, as a Python loop holding the GIL",
    .kind = DF_KIND_CPU,
    .params = cpu_params,
    .setup = cpu_setup,
    .handle = cpu_handle,
    .teardown = cpu_teardown,
};
