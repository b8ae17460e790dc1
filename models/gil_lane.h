/* models/gil_lane.h - one thread running requests under a simulated GIL:
 * the df_ctx of the thread model's workers and of `duckfeed serve`'s
 * gthread workers (#14), which share these services so both release the
 * lock at the same points. */
#ifndef DF_MODELS_GIL_LANE_H
#define DF_MODELS_GIL_LANE_H

#include <stdint.h>

#include "models/gil.h"
#include "workloads/workload.h"

/* A lane: fields are the owner's to set through df_gil_lane_init and to
 * read; one thread uses a lane. */
typedef struct df_gil_lane {
    df_gil *gil;
    df_gil_thread *gt;   /* registered by the lane's own thread */
    int index;           /* lane number, for traces and ctx.worker */
    int64_t gil_wait_ns; /* waited for the lock; the owner zeroes it */
    df_ctx ctx;          /* ops, eval breaker and model_data set; the owner
                            sets state, params and request_id */
} df_gil_lane;

/* Fills l for the calling thread's registration gt of g. The ctx's
 * services each let go of the lock around the wait, as
 * Py_BEGIN/END_ALLOW_THREADS do, and take it back with take_gil. */
void df_gil_lane_init(df_gil_lane *l, df_gil *g, df_gil_thread *gt, int index);

/* Around any call that drops the GIL in CPython (a socket call, a sleep):
 * the caller holds the lock before begin and again after end; end adds
 * its wait to gil_wait_ns. */
void df_gil_lane_io_begin(df_gil_lane *l);
void df_gil_lane_io_end(df_gil_lane *l);

#endif /* DF_MODELS_GIL_LANE_H */
