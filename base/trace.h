/* base/trace.h - optional per-request state trace, for the timeline plot.
 *
 * When enabled (df_trace_enable before the model starts) models record each
 * state change of a request - running, waiting for the GIL, waiting on I/O,
 * done - into one MAP_SHARED buffer, so forked worker processes write into
 * the same place as threads do. Disabled, df_trace_emit is one load and a
 * not-taken branch.
 */
#ifndef DF_BASE_TRACE_H
#define DF_BASE_TRACE_H

#include <stdint.h>

typedef enum df_trace_state {
    DF_TRACE_RUN = 0,      /* running workload code */
    DF_TRACE_GIL_WAIT = 1, /* waiting to take the interpreter lock */
    DF_TRACE_IO_WAIT = 2,  /* waiting on a timer or a descriptor */
    DF_TRACE_DONE = 3,     /* handle() returned */
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

static inline void df_trace_emit(int state, int worker, uint64_t request_id)
{
    if (__builtin_expect(df__trace != 0, 0))
        df__trace_record(state, worker, request_id);
}

#endif /* DF_BASE_TRACE_H */
