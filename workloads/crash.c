/* workloads/crash.c - dies of SIGSEGV on the Nth request of a process,
 * or on one request in every K of the run (#17: the faults lesson).
 *
 * Stands for a C extension that crashes: the harness uses it to show that a
 * process pool loses one worker while a thread pool or an event loop loses
 * everything. The count lives in the setup state, which each forked worker
 * inherits as its own copy, so "the Nth request" is per process; threads
 * share one count.
 *
 * The signal is raised with its default action restored and unblocked, so
 * the process really dies of SIGSEGV even under a sanitizer that installs
 * its own handler (a real invalid write would become an ASan report and
 * exit(1), which is a different death for the harness to recognise).
 */
#include "workloads/workload.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct crash_state {
    int64_t after;    /* request number that crashes, 1-based; 0 off */
    int64_t every;    /* #17: one request in every K crashes; 0 off */
    uint64_t seed;    /* which ones, by a hash of the request id */
    int64_t cpu_ns;   /* work of a request that does not crash */
    int64_t requests; /* atomic: handled so far in this process */
} crash_state;

static const df_param_decl crash_params[] = {
    { "after", DF_PARAM_INT, "1", NULL,
      "crash on this request of each worker process (1 = the first)" },
    { "every", DF_PARAM_INT, "0", NULL,
      "instead: crash once in every K requests of the run, chosen"
      " by a hash of the request id and seed (0: off)" },
    { "seed", DF_PARAM_INT, "1", NULL, "which requests `every` picks" },
    { "us", DF_PARAM_DURATION, "0", "us",
      "CPU work of each request that does not crash" },
    { NULL, 0, NULL, NULL, NULL },
};

/* splitmix64: a request's crash is a function of (seed, id) alone. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int crash_setup(const df_params *p, void **state, char *err, size_t n)
{
    crash_state *s;

    if (p->value[1] < 0 || p->value[3] < 0) {
        snprintf(err, n, "workload crash: every and us must be >= 0");
        return -EINVAL;
    }
    if (p->value[1] == 0 && p->value[0] < 1) {
        snprintf(err, n, "workload crash: parameter after: must be >= 1");
        return -EINVAL;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    /* every replaces the default after=1. */
    s->after = p->value[1] > 0 ? 0 : p->value[0];
    s->every = p->value[1];
    s->seed = (uint64_t)p->value[2];
    s->cpu_ns = p->value[3];
    if (s->cpu_ns > 0)
        (void)df_cpu_iters_per_us(); /* calibrate before the fork */
    *state = s;
    return 0;
}

static _Noreturn void die_of_segv(void)
{
    struct sigaction sa = { .sa_handler = SIG_DFL };
    sigset_t set;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGSEGV);
    abort(); /* not reached: SIGSEGV is unblocked with its default action */
}

static int crash_handle(df_ctx *ctx)
{
    crash_state *s = ctx->state;
    int64_t n = __atomic_add_fetch(&s->requests, 1, __ATOMIC_RELAXED);

    if (n == s->after)
        die_of_segv();
    if (s->every > 0 &&
        mix(s->seed ^ mix(ctx->request_id)) % (uint64_t)s->every == 0)
        die_of_segv();
    if (s->cpu_ns > 0)
        df_cpu_ns(ctx, s->cpu_ns);
    return 0;
}

static void crash_teardown(void *state)
{
    free(state);
}

const df_workload df_workload_crash = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "crash",
    .summary = "dies of SIGSEGV on request `after` of each process, or "
               "one in `every` (a crashing C extension)",
    .kind = DF_KIND_CPU,
    .params = crash_params,
    .setup = crash_setup,
    .handle = crash_handle,
    .teardown = crash_teardown,
};
