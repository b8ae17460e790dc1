/* models/loop/ctx.h - the df_ctx of a request running as a coroutine on a
 * loop: the coroutine and asyncio models' requests and `duckfeed serve`'s
 * connections (#14) get the same services. */
#ifndef DF_MODELS_LOOP_CTX_H
#define DF_MODELS_LOOP_CTX_H

#include "models/loop/loop.h"
#include "workloads/workload.h"

/* Sets ctx's ops, eval breaker, model_data (the loop) and plain calls;
 * the caller sets state, params, request_id and worker. The awaited calls
 * suspend the coroutine (df_loop_sleep_ns, df_loop_wait_fd,
 * df_loop_run_blocking). plain_blocks 0 (gevent-like): the plain calls
 * yield too; 1 (asyncio): they block the loop thread with the GIL
 * released (df_loop_call_unawaited). Call from the loop's thread only
 * when the ctx is used; ctx is valid while the loop lives. */
void df_loop_ctx_init(df_ctx *ctx, df_loop *loop, int plain_blocks);

/* Traces a coroutine back from a wait: "ready" from when the loop queued
 * it (df_loop_ready_ns) until now, then "running" (#18). No-op when not
 * tracing. */
void df_loop_ctx_trace_resumed(df_loop *loop, const df_ctx *ctx);

#endif /* DF_MODELS_LOOP_CTX_H */
