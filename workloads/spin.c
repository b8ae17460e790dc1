/* workloads/spin.c - the CPU loop behind cpu and web, and its calibration.
 *
 * The loop is a 64-bit LCG step per iteration with an empty asm that claims
 * to read and change x: the compiler can neither drop the loop (its result
 * "escapes") nor fold or vectorise it, so an iteration costs the same at -O0
 * and -O3. Calibration times a fixed count a few times and keeps the fastest
 * run: on a shared machine the slow runs measure the neighbours, not the
 * loop.
 */
#include "workloads/spin.h"

#include <pthread.h>

#include "base/clock.h"
#include "base/err.h"

#define CALIBRATE_ITERS  (1 << 18)
#define CALIBRATE_ROUNDS 5

static pthread_once_t calibrated = PTHREAD_ONCE_INIT;
static int64_t iters_per_us = 1; /* written once under `calibrated` */

/* The loop plugins get as df_cpu_ns (workload.h): one loop for both. */
static uint64_t spin(uint64_t x, int64_t iters)
{
    return df__cpu_spin(x, iters);
}

static void calibrate(void)
{
    int64_t best_ns = INT64_MAX;
    uint64_t x = 1;

    for (int r = 0; r < CALIBRATE_ROUNDS; r++) {
        int64_t t0 = df_now_ns();
        x = spin(x, CALIBRATE_ITERS);
        int64_t dt = df_now_ns() - t0;
        if (dt > 0 && dt < best_ns)
            best_ns = dt;
    }
    __asm__ volatile("" : : "r"(x));
    if (best_ns != INT64_MAX) {
        int64_t v = (int64_t)CALIBRATE_ITERS * DF_NS_PER_US / best_ns;
        iters_per_us = v > 0 ? v : 1;
    }
}

int64_t df_spin_iters_per_us(void)
{
    DF_CHECK(pthread_once(&calibrated, calibrate) == 0);
    return iters_per_us;
}

void df_spin_ns(df_ctx *ctx, int64_t ns, int64_t per_us)
{
    uint64_t x = (uint64_t)ns;
    int64_t chunks = ns / DF_NS_PER_US;

    for (int64_t c = 0; c < chunks; c++) {
        x = spin(x, per_us);
        df_checkpoint(ctx);
    }
    x = spin(x, per_us * (ns % DF_NS_PER_US) / DF_NS_PER_US);
    df_checkpoint(ctx);
    __asm__ volatile("" : : "r"(x));
}
