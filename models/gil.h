/* models/gil.h - a simulated interpreter lock (CPython's GIL), one per
 * simulated interpreter: the thread model's pool, the coroutine loop and
 * its to_thread pool; each process of a hybrid has its own.
 * Spec: ../shared/spec/GIL.md. Implementation notes at the top of gil.c. */
#ifndef DF_MODELS_GIL_H
#define DF_MODELS_GIL_H

#include <stdint.h>

#include "models/model.h"

typedef struct df_gil df_gil;               /* opaque */
typedef struct df_gil_thread df_gil_thread; /* one per thread using the lock */

#define DF_GIL_DEFAULT_INTERVAL_US    5000
#define DF_GIL_DEFAULT_CHECK_INTERVAL 100

/* 0 or -EINVAL (interval < 1 us, check_interval < 1) / -ENOMEM. With
 * DF_GIL_OFF every call below is a no-op that still counts nothing. */
int df_gil_create(df_gil_mode mode,
                  int64_t interval_us,
                  int check_interval,
                  df_gil **out);
void df_gil_destroy(df_gil *g); /* NULL is fine; all threads unregistered */

/* Registers the calling thread (name is copied, for the stats). The handle
 * is owned by g and freed by df_gil_destroy. 0 or -ENOMEM. */
int df_gil_thread_register(df_gil *g, const char *name, df_gil_thread **out);

/* take_gil / drop_gil. The caller must not already hold / must hold it. */
void df_gil_acquire(df_gil *g, df_gil_thread *t);
void df_gil_release(df_gil *g, df_gil_thread *t);

/* The flag a checkpoint reads (relaxed) to decide whether to call
 * df_gil_checkpoint_slow: the eval breaker. Never NULL. */
const volatile int *df_gil_eval_breaker(df_gil *g);

/* At a bytecode boundary, when the eval breaker is set: honour a drop
 * request (release, wait until another thread took it, re-acquire) or, in
 * old mode, count a tick. The caller holds the lock. */
void df_gil_checkpoint_slow(df_gil *g, df_gil_thread *t);

static inline void df_gil_checkpoint(df_gil *g, df_gil_thread *t)
{
    if (__atomic_load_n(df_gil_eval_breaker(g), __ATOMIC_RELAXED))
        df_gil_checkpoint_slow(g, t);
}

/* Statistics since create, as the results JSON "gil" object: totals and a
 * "threads" array. Call after every thread stopped using g. NULL on ENOMEM. */
json_t *df_gil_stats_json(df_gil *g);

#endif /* DF_MODELS_GIL_H */
