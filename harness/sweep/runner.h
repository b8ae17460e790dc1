/* harness/sweep/runner.h - runs each point of a plan in its own forked child.
 */
#ifndef DF_HARNESS_SWEEP_RUNNER_H
#define DF_HARNESS_SWEEP_RUNNER_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"
#include "harness/sweep/point.h"

/* Runs pc in a forked child (its own process group) and waits at most
 * timeout_ns. Always yields a record in *out (new reference): the child's
 * full record, or the point's identity with "status": "failed" and a
 * "failure" naming the signal, the timeout or the child's own reason.
 * Returns 0 when the point succeeded, 1 when it failed, -errno when the
 * runner itself could not work (fork, pipe: err set, *out NULL). */
int df_runner_run(const df_point_cfg *pc,
                  int64_t timeout_ns,
                  json_t **out,
                  df_err *err);

/* Kills the running point's child and its process group, if any: how
 * SIGINT/SIGTERM stop a sweep. Async-signal-safe. */
void df_runner_interrupt(void);

/* Ends the current point's child at once, recording reason ("stack overflow
 * in a coroutine") as the point's failure. Async-signal-safe: callable from
 * a SIGSEGV handler. Outside a point's child it prints reason and _exits. */
_Noreturn void df_runner_abort_point(const char *reason);

#endif /* DF_HARNESS_SWEEP_RUNNER_H */
