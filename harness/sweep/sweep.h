/* harness/sweep/sweep.h - (harness/ private) running a plan: every point
 * --repeat times in shuffled order, each in its own child. */
#ifndef DF_HARNESS_SWEEP_SWEEP_H
#define DF_HARNESS_SWEEP_SWEEP_H

#include <jansson.h>

#include "harness/sweep/plan.h"

/* The exit status of a sweep stopped by signal n is this + n, as a shell
 * reports a command killed by it. */
#define DF_SWEEP_EXIT_SIGNALED 128

/* One run of the sweep: repetition rep (0 .. repeat - 1) of point point
 * (an index into the plan). */
typedef struct df_sweep_slot {
    int point, rep;
} df_sweep_slot;

/* Fills runs[nruns] (nruns = points x repeat) with every repetition of
 * every point in the order a sweep runs them: shuffled with seed, the
 * same on every machine for the same arguments (#16: a distributed plan
 * lists its items in this order). */
void df__sweep_order(df_sweep_slot *runs, int nruns, int repeat, uint64_t seed);

/* The configuration that measures slot s of p: its point, with the seed
 * of that repetition (o->seed + s.rep). */
df_point_cfg df__sweep_repetition(const df_run_opts *o,
                                  const df_plan *p,
                                  df_sweep_slot s);

/* How long a repetition of pc may take before the runner kills it. */
int64_t df__sweep_timeout_ns(const df_run_opts *o, const df_point_cfg *pc);

/* The record of point pc folded from its n (1 .. DF_PLAN_MAX_REPEAT)
 * repetitions' records recs, which ran as repetitions index[] and came
 * order[]-th in the run order: as a sweep writes it (see sweep.c). A new
 * reference, NULL on ENOMEM. */
json_t *df__sweep_fold(const df_point_cfg *pc,
                       json_t *const *recs,
                       const int *index,
                       const int *order,
                       int n);

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
