/* models/loop/inbox.h - (models/ private) the loop's inbox of callbacks posted
 * from other threads (loop.c, inbox.c). */
#ifndef DF_MODELS_LOOP_INBOX_H
#define DF_MODELS_LOOP_INBOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "models/loop/loop.h"

typedef struct df__inbox_item {
    df_loop_fn *fn;
    void *arg;
} df__inbox_item;

typedef struct df__inbox {
    pthread_mutex_t mu; /* guards in, len, cap */
    df__inbox_item *in;
    size_t len, cap;
    df__inbox_item *out; /* loop thread: the batch being moved */
    size_t out_cap;
    int pending;      /* atomic: an eventfd write is pending */
    uint64_t wakeups; /* atomic: eventfd writes */
    int evfd; /* written on post; the loop creates, registers, closes it */
} df__inbox;

/* Initialises the lock, with evfd = -1; df__inbox_fini undoes it. */
void df__inbox_init(df__inbox *ib);

/* Frees the arrays (posts still in them are dropped), closes evfd if
 * open and destroys the lock. */
void df__inbox_fini(df__inbox *ib);

/* Any thread: appends fn(arg) and writes evfd unless a write is already
 * pending. 0, or -ENOMEM with nothing posted. */
int df__inbox_post(df__inbox *ib, df_loop_fn *fn, void *arg);

/* Loop thread, when evfd is readable: reads it and moves every post to
 * loop's ready queue, in posting order. */
void df__inbox_drain(df__inbox *ib, df_loop *loop);

/* eventfd writes so far (df_loop_stats.threadsafe_wakeups). */
uint64_t df__inbox_wakeups(const df__inbox *ib);

#endif /* DF_MODELS_LOOP_INBOX_H */
