/* models/loop/timer_heap.h - (models/ private) the loop's heap of cancellable
 * timers, and the handle it orders (loop.c, timer_heap.c). */
#ifndef DF_MODELS_LOOP_TIMER_HEAP_H
#define DF_MODELS_LOOP_TIMER_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "models/loop/loop.h"

enum { H_IDLE = 0, H_READY = 1, H_TIMER = 2 };

/* A queued or timed callback: a node of the loop's ready queue or an entry
 * of the timer heap. Its layout is shared here because the heap keeps its
 * index in it; everything else about it belongs to loop.c. */
struct df_loop_handle {
    df_loop_handle *next; /* ready queue or free list */
    df_loop_fn *fn;
    void *arg;
    int64_t when_ns; /* timers */
    uint64_t seq;    /* timers: insertion order, the tie-break */
    uint32_t heap_idx;
    uint8_t state;     /* H_* */
    uint8_t cancelled; /* set by cancel; a queued handle is then skipped */
    uint8_t embedded;  /* part of an lco: not counted, never freed */
    uint8_t unused;
    uint32_t refs;
};

/* Binary min-heap on (when_ns, seq); zeroed is empty. Loop thread only. */
typedef struct df__timer_heap {
    df_loop_handle **h; /* h[0] is the earliest; valid while len > 0 */
    size_t len, cap;
    uint64_t seq; /* next insertion number */
} df__timer_heap;

/* Inserts h (state becomes H_TIMER) after the timers due at the same
 * when_ns. 0, or -ENOMEM with the heap unchanged. */
int df__timer_heap_push(df__timer_heap *th, df_loop_handle *h);

/* Removes h, which must be in th, in O(log n); its state becomes H_IDLE. */
void df__timer_heap_remove(df__timer_heap *th, df_loop_handle *h);

/* Frees the array; the handles are not th's. */
void df__timer_heap_fini(df__timer_heap *th);

#endif /* DF_MODELS_LOOP_TIMER_HEAP_H */
