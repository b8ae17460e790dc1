/* models/asyncio/task_private.h - private to the task layer (models/task*.c,
 * future.c, gather.c, ...): the df_task struct and the internal calls the
 * combinators are built from, as CPython builds them from Future, done
 * callbacks and cancel/uncancel (spec/ASYNCIO.md §16). */
#ifndef DF_MODELS_ASYNCIO_TASK_PRIVATE_H
#define DF_MODELS_ASYNCIO_TASK_PRIVATE_H

#include "models/asyncio/task.h"

enum { FUT_PENDING = 0, FUT_FINISHED = 1, FUT_CANCELLED = 2 };

/* A plain future may override cancel() (gather's cancels its children). */
typedef int df__fut_cancel_fn(df_task *f, const char *msg);
typedef void df__fut_free_data_fn(df_task *f); /* frees f->data */
typedef struct df__fut_ops {
    df__fut_cancel_fn *cancel;
    df__fut_free_data_fn *free_data; /* may be NULL */
} df__fut_ops;

/* Releases what a done-callback's arg holds (see df__done_cb). */
typedef void df__drop_fn(void *arg);

/* One done-callback registration. drop(arg), when set, runs once the
 * registration is gone (after fn ran, or when removed): internal callbacks
 * use it to hold a reference on their context. */
typedef struct df__done_cb {
    df_task_done_fn *fn;
    void *arg;
    df__drop_fn *drop;
} df__done_cb;

struct df_task {
    int refs;   /* owners: handed-out references, the loop while running,
                   scheduled callbacks; loop thread only, so not atomic */
    int state;  /* FUT_* */
    int status; /* outcome once done: 0, error, -ECANCELED */
    intptr_t value;
    char *cancel_msg; /* copied; freed with the task */
    df__done_cb *cbs; /* registrations not yet scheduled */
    size_t ncbs, cap_cbs;
    const df__fut_ops *ops; /* NULL: plain future / task */
    void *data;             /* the ops' own state */

    /* Task part; fn == NULL for a plain future. */
    df_task_fn *fn;
    void *arg;
    char *name;
    df_coro *coro;       /* while the body runs (recycled when it returns) */
    df_task *fut_waiter; /* the future this task awaits (T4 a), a ref */
    int in_loop_wait;    /* suspended in a loop call (run_blocking, wait_fd),
                            woken early by df_loop_resume on cancel */
    int must_cancel;     /* deliver -ECANCELED at the next resumption (C1) */
    int num_cancels;     /* cancelling() */
    df_task *all_prev, *all_next; /* the loop's list of pending tasks */
};

/* Completes f (must be pending) and schedules its callbacks. */
void df__future_complete(df_task *f, int state, int status, intptr_t value);
/* Plain Future.cancel(): the default for futures without ops. */
int df__future_cancel_plain(df_task *f, const char *msg);
/* add_done_callback with a drop hook for arg (see df__done_cb). */
int df__future_add_cb(df_task *f,
                      df_task_done_fn *fn,
                      void *arg,
                      df__drop_fn *drop);
/* Makes a plain future with ops and data (data freed by ops->free_data). */
int df__future_create_ops(const df__fut_ops *ops, void *data, df_task **out);

/* From a task: suspends until f is done, as await does, but leaves the
 * caller's result to f's accessors. Returns -ECANCELED if the caller was
 * cancelled while waiting, else 0 (also when f itself failed). */
int df__task_wait_done(df_task *f);

/* Loop-thread state shared by the layer's files. */
df_loop *df__task_loop_checked(void); /* the running loop, or NULL */
/* call_soon for the layer's own records: counted, so df_task_run's
 * shutdown can run the loop until none is left (nothing leaks); fn must
 * call df__task_soon_done once it ran. */
int df__task_call_soon(df_loop_fn *fn, void *arg);
void df__task_soon_done(void);

#endif /* DF_MODELS_ASYNCIO_TASK_PRIVATE_H */
