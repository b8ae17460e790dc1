/* base/trace.h - optional per-request state trace, for the timeline plot.
 *
 * When enabled (df_trace_enable before the model starts) models record each
 * state change of a request - running, waiting for the GIL, waiting on I/O,
 * ready but waiting for its event loop, done - into one MAP_SHARED buffer, so
 * forked worker processes write into the same place as threads do. Disabled,
 * df_trace_emit is one load and a not-taken branch.
 */
#ifndef DF_BASE_TRACE_H
#define DF_BASE_TRACE_H

#include <stdint.h>

typedef enum df_trace_state {
    DF_TRACE_RUN = 0,      /* running workload code */
    DF_TRACE_GIL_WAIT = 1, /* waiting to take the interpreter lock */
    DF_TRACE_IO_WAIT = 2,  /* waiting on a timer or a descriptor */
    DF_TRACE_DONE = 3,     /* handle() returned */
    DF_TRACE_READY = 4,    /* ready to run, waiting for its loop to get to it */
} df_trace_state;

typedef struct df_trace_event {
    int64_t t_ns;
    uint64_t request_id;
    int32_t worker;
    int32_t state; /* df_trace_state */
} df_trace_event;

typedef struct df_trace {
    uint64_t capacity;      /* events that fit */
    uint64_t next;          /* atomic: index of the next free slot */
    df_trace_event event[]; /* events beyond capacity are counted, dropped */
} df_trace;

extern df_trace *df__trace; /* NULL unless enabled */

/* Maps room for capacity events (shared with children forked later).
 * 0 or -ENOMEM. */
int df_trace_enable(uint64_t capacity);
void df_trace_disable(void); /* unmaps; NULL-safe */

void df__trace_record(int state, int worker, uint64_t request_id);
void df__trace_record_at(int state,
                         int worker,
                         uint64_t request_id,
                         int64_t t_ns);

static inline void df_trace_emit(int state, int worker, uint64_t request_id)
{
    if (__builtin_expect(df__trace != 0, 0))
        df__trace_record(state, worker, request_id);
}

/* The same for a state change that happened earlier, at t_ns (df_now_ns
 * clock): a coroutine learns when it was made ready only once it runs. */
static inline void df_trace_emit_at(int state,
                                    int worker,
                                    uint64_t request_id,
                                    int64_t t_ns)
{
    if (__builtin_expect(df__trace != 0, 0))
        df__trace_record_at(state, worker, request_id, t_ns);
}

#endif /* DF_BASE_TRACE_H */
