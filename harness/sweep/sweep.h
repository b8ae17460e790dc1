/* harness/sweep/sweep.h - (harness/ private) running a plan: every point
 * --repeat times in shuffled order, each in its own child. */
#ifndef DF_HARNESS_SWEEP_SWEEP_H
#define DF_HARNESS_SWEEP_SWEEP_H

#include <jansson.h>

#include "harness/sweep/plan.h"

/* The exit status of a sweep stopped by signal n is this + n, as a shell
 * reports a command killed by it. */
#define DF_SWEEP_EXIT_SIGNALED 128

/* Runs every repetition of every point of p in an order shuffled with
 * o->seed and rewrites o->out (doc, its "points" in plan order) after
 * each one, every point folded from the repetitions it has so far (its
 * "repetitions_done"), so an interrupted sweep keeps all it measured.
 * SIGINT and SIGTERM stop it: handlers are installed for the sweep only
 * and the caller's put back after it; the file then says "complete":
 * false and "interrupted": "SIGINT" (or "SIGTERM"). Progress goes to
 * stderr unless o->quiet. Returns 0 when every point succeeded, 1 when
 * some failed, 2 on an error (one line on stderr), 128 + the signal when
 * interrupted, or -ENOMEM before anything ran. doc then holds the points
 * written last. */
int df__sweep_run(const df_run_opts *o, const df_plan *p, json_t *doc);

#endif /* DF_HARNESS_SWEEP_SWEEP_H */
