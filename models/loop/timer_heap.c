/* models/loop/timer_heap.c - the loop's binary min-heap of cancellable timers.
 *
 * A binary min-heap on (deadline, sequence number): the sequence, taken at
 * insertion, makes equal deadlines fire in insertion order (asyncio leaves
 * that order undefined; we promise it). Each handle stores its heap index,
 * so cancelling a timer removes it at once in O(log n) instead of leaving a
 * tombstone as asyncio does: a million cancelled timeouts then cost
 * nothing.
 */
#include "models/loop/timer_heap.h"

#include <errno.h>
#include <stdlib.h>

static int before(const df_loop_handle *a, const df_loop_handle *b)
{
    return a->when_ns < b->when_ns ||
           (a->when_ns == b->when_ns && a->seq < b->seq);
}

static void heap_set(df__timer_heap *th, size_t i, df_loop_handle *h)
{
    th->h[i] = h;
    h->heap_idx = (uint32_t)i;
}

static void sift_up(df__timer_heap *th, size_t i)
{
    df_loop_handle *h = th->h[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(h, th->h[parent]))
            break;
        heap_set(th, i, th->h[parent]);
        i = parent;
    }
    heap_set(th, i, h);
}

static void sift_down(df__timer_heap *th, size_t i)
{
    df_loop_handle *h = th->h[i];
    size_t n = th->len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(th->h[c + 1], th->h[c]))
            c++;
        if (!before(th->h[c], h))
            break;
        heap_set(th, i, th->h[c]);
        i = c;
    }
    heap_set(th, i, h);
}

int df__timer_heap_push(df__timer_heap *th, df_loop_handle *h)
{
    if (th->len == th->cap) {
        size_t cap = th->cap ? 2 * th->cap : 1024;
        df_loop_handle **n = realloc(th->h, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        th->h = n;
        th->cap = cap;
    }
    h->seq = th->seq++;
    h->state = H_TIMER;
    th->h[th->len] = h;
    h->heap_idx = (uint32_t)th->len++;
    sift_up(th, h->heap_idx);
    return 0;
}

void df__timer_heap_remove(df__timer_heap *th, df_loop_handle *h)
{
    size_t i = h->heap_idx;
    df_loop_handle *last = th->h[--th->len];
    h->state = H_IDLE;
    if (i == th->len)
        return;
    heap_set(th, i, last);
    if (i > 0 && before(last, th->h[(i - 1) / 2]))
        sift_up(th, i);
    else
        sift_down(th, i);
}

void df__timer_heap_fini(df__timer_heap *th)
{
    free(th->h);
}
