/* workloads/spin.h - calibrated pure-CPU work with checkpoints (cpu, web). */
#ifndef DF_WORKLOADS_SPIN_H
#define DF_WORKLOADS_SPIN_H

#include <stdint.h>

#include "workloads/workload.h"

/* Loop iterations that take about 1 us on this machine, measured once per
 * process (thread-safe; the first call costs a few ms). Always >= 1. */
int64_t df_spin_iters_per_us(void);

/* Burns about ns of CPU in chunks of about 1 us (iters_per_us iterations),
 * calling df_checkpoint(ctx) between chunks as the interpreter would between
 * bytecodes. Time spent inside a checkpoint (waiting for a GIL) is not
 * counted: ns is the work, not the latency. */
void df_spin_ns(df_ctx *ctx, int64_t ns, int64_t iters_per_us);

#endif /* DF_WORKLOADS_SPIN_H */
