/* models/sync_ctx.h - the ctx of a lane that runs one request at a time
 * with no interpreter lock to share: a process-model worker (one GIL per
 * process, never contended), and duckfeed serve's sync workers (#14).
 * Time and I/O simply block the lane. */
#ifndef DF_MODELS_SYNC_CTX_H
#define DF_MODELS_SYNC_CTX_H

#include "workloads/workload.h"

/* Blocking implementations: sleep_ns is clock_nanosleep, wait_fd is
 * poll(2), run_blocking calls fn in place, checkpoints never fire. */
extern const df_ctx_ops df_sync_ctx_ops;
extern const volatile int df_sync_ctx_never; /* constant 0 eval breaker */

#endif /* DF_MODELS_SYNC_CTX_H */
