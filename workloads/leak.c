/* workloads/leak.c - grows memory by `kb` per request and never gives it back.
 *
 * Every page is written, so the growth is resident (RSS), not just address
 * space. Blocks are chained from the setup state, so they stay reachable:
 * leak checkers stay quiet, and teardown frees them. Per process, as crash
 * counts: a forked worker grows its own copy and dies with it - which is how
 * prefork servers' max-requests recycling contains such leaks.
 */
#include "workloads/workload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
    struct block *next;
} block;

typedef struct leak_state {
    block *head; /* atomic: newest block; threads push concurrently */
} leak_state;

static const df_param_decl leak_params[] = {
    { "kb", DF_PARAM_SIZE, "64KB", "KB",
      "memory allocated, written and kept per request (KB = 1024 B)" },
    { NULL, 0, NULL, NULL, NULL },
};

static int leak_setup(const df_params *p, void **state, char *err, size_t n)
{
    (void)p;
    (void)err;
    (void)n;
    *state = calloc(1, sizeof(leak_state));
    return *state ? 0 : -ENOMEM;
}

static int leak_handle(df_ctx *ctx)
{
    leak_state *s = ctx->state;
    size_t bytes = (size_t)ctx->params->value[0];
    block *b = malloc(bytes > sizeof *b ? bytes : sizeof *b);

    if (!b)
        return -ENOMEM;
    memset(b, 0xa5, bytes > sizeof *b ? bytes : sizeof *b);
    b->next = __atomic_load_n(&s->head, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&s->head, &b->next, b, 1,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
    return 0;
}

static void leak_teardown(void *state)
{
    leak_state *s = state;

    for (block *b = s ? s->head : NULL, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(s);
}

const df_workload df_workload_leak = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "leak",
    .summary = "keeps `kb` more memory per request, written (resident)",
    .kind = DF_KIND_CPU,
    .params = leak_params,
    .setup = leak_setup,
    .handle = leak_handle,
    .teardown = leak_teardown,
};
