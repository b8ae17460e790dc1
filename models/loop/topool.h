/* models/loop/topool.h - the loop's to_thread pool (asyncio's default
 * executor): threads started on demand up to a limit, a FIFO queue of jobs. */
#ifndef DF_MODELS_LOOP_TOPOOL_H
#define DF_MODELS_LOOP_TOPOOL_H

#include "base/err.h"
#include "models/gil.h"

typedef struct df_topool df_topool; /* opaque */
/* A pool thread as a Python job sees it: what df_topool_checkpoint needs. */
typedef struct df_topool_thread df_topool_thread;

typedef struct df_topool_job df_topool_job;

/* Python code run on a pool thread (spec/ASYNCIO.md TH4), holding the GIL
 * throughout; it calls df_topool_checkpoint(th) at its bytecode boundaries
 * so that other threads get the lock. */
typedef int df_topool_py_fn(df_topool_thread *th, void *arg);
/* Called on the pool thread after the job's function, without the GIL. */
typedef void df_topool_done_fn(df_topool_job *job);

/* A job: the caller owns the memory until done(job) was called. */
struct df_topool_job {
    df_topool_job *next;    /* the pool's queue */
    df_blocking_fn *fn;     /* run without the GIL */
    df_topool_py_fn *fn_py; /* instead of fn when set */
    void *arg;
    int result; /* fn's return, set before done */
    df_topool_done_fn *done;
};

/* min(32, cores + 4): asyncio's default max_workers. */
int df_topool_default_workers(void);

/* max_workers <= 0: the default. gil may be NULL. Threads register with it
 * as "<prefix>_<n>" (asyncio_0, ...). Only the spawner thread starts here;
 * no worker starts before the first job. 0, -ENOMEM or -errno. */
int df_topool_create(int max_workers,
                     df_gil *gil,
                     const char *prefix,
                     df_topool **out,
                     df_err *err);

/* Runs every queued job, joins the threads, frees p. NULL is fine. */
void df_topool_destroy(df_topool *p);

/* Any thread: queues job; asks the pool's spawner thread for one more
 * worker if none is idle and the limit allows, so the caller never waits
 * for a thread to be created. Returns 0. If no worker can ever be created,
 * each queued job is done() with result -errno of pthread_create. */
int df_topool_submit(df_topool *p, df_topool_job *job);

/* In a fn_py job, on its pool thread: a bytecode boundary, honouring a
 * drop request of the pool's GIL. A relaxed load without one pending;
 * nothing without a GIL. */
void df_topool_checkpoint(df_topool_thread *th);

int df_topool_workers(df_topool *p);     /* threads started */
int df_topool_max_workers(df_topool *p); /* the limit */

#endif /* DF_MODELS_LOOP_TOPOOL_H */
