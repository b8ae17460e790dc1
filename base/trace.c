#define _GNU_SOURCE /* MAP_ANONYMOUS */
/* base/trace.c - the shared-memory trace buffer behind the timeline. */
#define _GNU_SOURCE
#include "base/trace.h"

#include <errno.h>
#include <sys/mman.h>

#include "base/clock.h"

df_trace *df__trace;
static size_t trace_bytes;

int df_trace_enable(uint64_t capacity)
{
    size_t bytes = sizeof(df_trace) + capacity * sizeof(df_trace_event);
    /* MAP_SHARED: worker processes forked after this write into the same
     * pages, so the parent sees their events without any copying. */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    df__trace = p;
    df__trace->capacity = capacity;
    df__trace->next = 0;
    trace_bytes = bytes;
    return 0;
}

void df_trace_disable(void)
{
    if (!df__trace)
        return;
    munmap(df__trace, trace_bytes);
    df__trace = NULL;
}

void df__trace_record(int state, int worker, uint64_t request_id)
{
    df__trace_record_at(state, worker, request_id, df_now_ns());
}

void df__trace_record_at(int state,
                         int worker,
                         uint64_t request_id,
                         int64_t t_ns)
{
    uint64_t i = __atomic_fetch_add(&df__trace->next, 1, __ATOMIC_RELAXED);
    if (i >= df__trace->capacity)
        return;
    df_trace_event *e = &df__trace->event[i];
    e->t_ns = t_ns;
    e->request_id = request_id;
    e->worker = worker;
    e->state = state;
}
