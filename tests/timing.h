/* tests/timing.h - (tests only) when a timing assertion may be trusted.
 *
 * Include after <cmocka.h>; everything here is static inline, so a test
 * includes it whatever it uses. Under valgrind or a sanitizer build wall-clock
 * figures mean nothing, so timing assertions are not made at all
 * (timing_trusted()); the behaviour around them is still checked.
 * Elsewhere a timing test runs a scenario, and on a miss runs it once
 * more; if it misses again while other processes left this one less than
 * the cores it needs (from /proc/stat, steal included), the test is
 * skipped loudly rather than failed: it says nothing about the code.
 */
#ifndef DF_TESTS_TIMING_H
#define DF_TESTS_TIMING_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "tests/valgrind_shim.h"

/* DF_TIMING_TRUSTED, saying once on stderr when timings go unchecked. */
static inline int timing_trusted(void)
{
    static int said;

    if (!DF_TIMING_TRUSTED && !said++)
        fprintf(stderr, "note: under valgrind or a sanitizer, timing "
                        "assertions are not checked\n");
    return DF_TIMING_TRUSTED;
}

static inline int64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* How much CPU the rest of the machine left us during a run: the cores
 * minus what other processes (and the hypervisor's steal) used, from
 * /proc/stat, minus this process's own CPU time. A run that misses its
 * margins on a machine busy with other work says nothing about the lock. */
typedef struct load_probe {
    int64_t wall_ns, own_ns;
    double busy_s; /* all CPUs' non-idle time so far, seconds */
} load_probe;

static inline double machine_busy_s(void)
{
    unsigned long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return -1;
    /* user nice system [idle iowait] irq softirq steal */
    double ticks = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
    return ticks / (double)sysconf(_SC_CLK_TCK);
}

static inline void probe_start(load_probe *p)
{
    p->wall_ns = df_now_ns();
    p->own_ns = cpu_now_ns();
    p->busy_s = machine_busy_s();
}

/* Cores free for this process over the run (the core count if unknown). */
static inline double probe_free_cores(const load_probe *p)
{
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    double busy = machine_busy_s();
    if (p->busy_s < 0 || busy < 0)
        return ncpu;
    double wall = (double)(df_now_ns() - p->wall_ns) / 1e9;
    double own = (double)(cpu_now_ns() - p->own_ns) / 1e9;
    double others = (busy - p->busy_s - own) / wall;
    return ncpu - (others > 0 ? others : 0);
}

/* After a timing check that came out `ok`: returns 1 when the caller
 * should assert (it passed, or it is the second attempt and the machine
 * left `need` cores free), 0 to re-run it. Skips the test, loudly, when
 * the second attempt also ran on a machine busy with other work. */
static inline int decide(int ok, int attempt, double free_cores, double need)
{
    if (ok)
        return 1;
    if (attempt == 0) {
        fprintf(stderr, "retrying once (%.2f cores were free)\n", free_cores);
        return 0;
    }
    if (free_cores < 0.9 * need) {
        fprintf(stderr,
                "SKIP: only %.2f of the %.0f cores this scenario "
                "needs were free; the machine is too busy to time it\n",
                free_cores, need);
        skip();
    }
    return 1;
}

#endif /* DF_TESTS_TIMING_H */
