/* models/gil.h - a simulated interpreter lock (CPython's GIL), one per
 * simulated interpreter: the thread model's pool, the coroutine loop and
 * its to_thread pool; each process of a hybrid has its own.
 * Spec: ../shared/spec/GIL.md. Implementation notes at the top of gil.c;
 * what the statistics mean: docs/GIL.md. */
#ifndef DF_MODELS_GIL_H
#define DF_MODELS_GIL_H

#include <stdint.h>

#include "models/model.h"

typedef struct df_gil df_gil;               /* opaque */
typedef struct df_gil_thread df_gil_thread; /* one per thread using the lock */

#define DF_GIL_DEFAULT_INTERVAL_US    5000
#define DF_GIL_DEFAULT_CHECK_INTERVAL 100

/* 0 or -EINVAL (bad mode, interval < 1 us, check_interval < 1) / -ENOMEM;
 * *out is set only on success. With DF_GIL_OFF every call below is a no-op
 * that counts nothing and the eval breaker is a constant zero. Not
 * shareable across fork(): a forked child creates its own. */
int df_gil_create(df_gil_mode mode,
                  int64_t interval_us,
                  int check_interval,
                  df_gil **out);
void df_gil_destroy(df_gil *g); /* NULL is fine; all threads unregistered */

/* Registers the calling thread (name is copied, truncated to 31 bytes, for
 * the stats) and lowers its timer slack to 1 ns so that µs-scale timed
 * waits are not stretched by the default 50 µs slack. The handle is owned
 * by g and freed by df_gil_destroy. Thread-safe. 0 or -ENOMEM. */
int df_gil_thread_register(df_gil *g, const char *name, df_gil_thread **out);

/* take_gil / drop_gil. The caller must not already hold / must hold it.
 * acquire returns the ns it waited (0 when the lock was free). release may
 * block until another thread took the lock when a drop request is pending
 * (CPython's FORCE_SWITCHING keys on the flag, not on the reason). */
int64_t df_gil_acquire(df_gil *g, df_gil_thread *t);
void df_gil_release(df_gil *g, df_gil_thread *t);

/* The flag a checkpoint reads (relaxed) to decide whether to call
 * df_gil_checkpoint_slow: the eval breaker. Never NULL; constant for the
 * life of g, hence pure (a loop may hoist the call, never the load). */
const volatile int *df_gil_eval_breaker(df_gil *g) __attribute__((pure));

/* At a bytecode boundary, when the eval breaker is set: honour a drop
 * request (release, wait until another thread took it, re-acquire) or, in
 * old mode, count a tick and release/re-acquire every check_interval. The
 * caller holds the lock, and holds it again on return. Returns the ns spent
 * without the lock (0 when it kept it). */
int64_t df_gil_checkpoint_slow(df_gil *g, df_gil_thread *t);

/* Whether df_gil_checkpoint_slow would let go of the lock now (a drop
 * request is pending, or this is the old GIL's check tick). For tracing a
 * GIL_WAIT state before it happens; the caller holds the lock. */
int df_gil_checkpoint_will_drop(df_gil *g, df_gil_thread *t);

static inline void df_gil_checkpoint(df_gil *g, df_gil_thread *t)
{
    if (__atomic_load_n(df_gil_eval_breaker(g), __ATOMIC_RELAXED))
        df_gil_checkpoint_slow(g, t);
}

/* Statistics since the first registration: totals and every registered
 * thread (docs/GIL.md lists the fields). Thread-safe; exact when no thread
 * uses g any more, otherwise a snapshot that counts open slices and waits
 * up to now. 0, or -ENOMEM with *out zeroed. out->threads is the caller's:
 * df_gil_stats_clear frees it. */
int df_gil_stats_get(df_gil *g, df_gil_stats *out);
void df_gil_stats_clear(df_gil_stats *s); /* frees threads, zeroes s */

/* "new", "old" or "off" (for stats and messages); "?" when out of range. */
const char *df_gil_mode_name(df_gil_mode mode);

#endif /* DF_MODELS_GIL_H */
