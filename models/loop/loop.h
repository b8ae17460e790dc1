/* models/loop/loop.h - the coroutine event loop (asyncio's, in C).
 *
 * One thread runs the loop: a FIFO ready queue of callbacks, a binary heap
 * of timers, epoll for descriptors, an eventfd for other threads, and
 * stackful coroutines (models/coro/coro.h) that suspend inside the loop's
 * calls (sleep, wait_fd, run_blocking) and are resumed through the ready
 * queue. One iteration follows asyncio's _run_once (spec/ASYNCIO.md L3):
 *   1. poll epoll: timeout 0 if anything is ready or the loop is stopping,
 *      else up to the earliest timer, else forever; the loop's interpreter
 *      lock (cfg.gil) is released around the poll, as CPython does;
 *   2. callbacks posted from other threads and readiness wake-ups are
 *      appended to the ready queue;
 *   3. due timers are appended, in (deadline, insertion) order;
 *   4. exactly the handles present now are run, FIFO; what they schedule
 *      runs in the next iteration.
 * Implementation notes at the top of loop.c.
 *
 * Threading: every function is for the loop thread only, except
 * df_loop_call_soon_threadsafe. Nothing on the loop thread takes a lock or
 * allocates in steady state (handles, coroutines and stacks come from free
 * lists).
 *
 * Coroutine rules: "from a coroutine" functions suspend the calling
 * coroutine and must be called from a coroutine spawned on this loop. In
 * shared-stack mode a suspended coroutine's stack is copied away, so a
 * pointer into a coroutine's stack must never be used by anyone else while
 * it is suspended (that includes the arg of df_loop_run_blocking).
 */
#ifndef DF_MODELS_LOOP_LOOP_H
#define DF_MODELS_LOOP_LOOP_H

#include <stdint.h>

#include "base/err.h"
#include "models/coro/coro.h"
#include "models/gil.h"
#include "models/loop/topool.h"
#include "models/model.h"

typedef struct df_loop df_loop;               /* opaque */
typedef struct df_loop_handle df_loop_handle; /* opaque, reference counted */
typedef void df_loop_fn(void *arg);

#define DF_LOOP_DEFAULT_SLOW_CALLBACK_NS 100000000 /* asyncio: 0.1 s */

typedef struct df_loop_cfg {
    df_switch_kind switch_kind;
    df_stack_kind stack_kind;
    int64_t stack_size_bytes; /* 0: DF_CORO_DEFAULT_STACK_BYTES */
    int64_t slow_callback_ns; /* 0: default; < 0: detector off */
    int to_thread_workers;    /* 0: min(32, cores + 4), as asyncio */
    df_gil *gil;              /* NULL: no interpreter lock; not owned */
    const char *name;         /* thread name prefix for stats, or NULL */
} df_loop_cfg;

typedef struct df_loop_stats {
    uint64_t iterations;     /* passes of the run loop */
    uint64_t callbacks;      /* handles run (coroutine steps included) */
    uint64_t switches;       /* coroutine resumes */
    uint64_t spawned;        /* coroutines spawned */
    uint64_t peak_coros;     /* most coroutines alive at once */
    uint64_t slow_callbacks; /* handles that ran >= slow_callback_ns */
    int64_t max_blocked_ns;  /* longest single handle */
    uint64_t to_thread_calls;
    int to_thread_workers;     /* pool threads started (on demand) */
    int to_thread_max_workers; /* the pool's limit */
    uint64_t timers_fired;
    uint64_t fd_wakeups;
    uint64_t threadsafe_wakeups; /* eventfd writes by other threads */
    df_coro_pool_stats coro;
} df_loop_stats;

/* 0, or -EINVAL / -ENOMEM / -errno of epoll_create1 or eventfd, with a
 * reason in err. The loop may be created in one thread and run in another,
 * but only one thread runs it. */
int df_loop_create(const df_loop_cfg *cfg, df_loop **out, df_err *err);

/* Stops and joins the to_thread pool, frees every handle and coroutine
 * (suspended coroutines are dropped without unwinding). NULL is fine. Not
 * while df_loop_run is running. */
void df_loop_destroy(df_loop *loop);

/* Runs iterations until df_loop_stop. 0, or a negative errno if epoll
 * failed (a bug or resource exhaustion). Can be called again after a stop. */
int df_loop_run(df_loop *loop);

/* One iteration; block = 0 polls with timeout 0 whatever is pending. For
 * run_until_complete-style drivers. Returns as df_loop_run. */
int df_loop_run_once(df_loop *loop, int block);

/* Makes df_loop_run return after the current iteration. Loop thread. */
void df_loop_stop(df_loop *loop);

/* The loop's clock: df_now_ns() (CLOCK_MONOTONIC, ns). */
int64_t df_loop_time_ns(const df_loop *loop);

/* True while the calling thread is this loop's thread inside df_loop_run. */
int df_loop_is_loop_thread(const df_loop *loop);

/* Callbacks. fn(arg) runs once, from the loop thread, never inline. If out
 * is non-NULL the caller gets a reference to the handle and must give it
 * back with df_loop_handle_release (the handle stays valid, e.g. for a late
 * cancel, until then); with out NULL the call is fire-and-forget. 0 or
 * -ENOMEM (only when the handle free list must grow and malloc fails). */
int df_loop_call_soon(df_loop *loop,
                      df_loop_fn *fn,
                      void *arg,
                      df_loop_handle **out);
/* Timers: fn runs in the first iteration at or after when_ns (loop clock).
 * Equal deadlines fire in the order they were added. */
int df_loop_call_at(df_loop *loop,
                    int64_t when_ns,
                    df_loop_fn *fn,
                    void *arg,
                    df_loop_handle **out);
int df_loop_call_later(df_loop *loop,
                       int64_t delay_ns,
                       df_loop_fn *fn,
                       void *arg,
                       df_loop_handle **out);

/* Cancels: fn will not run. A timer leaves the heap at once (O(log n)).
 * Returns 1 if it was pending, 0 if it already ran or was cancelled. */
int df_loop_handle_cancel(df_loop *loop, df_loop_handle *h);
/* 1 if cancelled (by df_loop_handle_cancel), else 0. */
int df_loop_handle_cancelled(const df_loop_handle *h);
/* Drops the caller's reference (from out above). NULL is fine. */
void df_loop_handle_release(df_loop *loop, df_loop_handle *h);

/* Any thread: appends fn(arg) to the ready queue and wakes the loop through
 * its eventfd (one write per loop iteration at most). Not cancellable.
 * 0 or -ENOMEM. From the loop thread it is df_loop_call_soon. */
int df_loop_call_soon_threadsafe(df_loop *loop, df_loop_fn *fn, void *arg);

/* Coroutines. Spawns a coroutine whose first step (calling fn(arg)) is
 * queued with call_soon semantics. *out (if non-NULL) is valid until fn
 * returns - the coroutine is then recycled; whoever needs to know about the
 * end wraps fn. 0, or -ENOMEM (memory, or vm.max_map_count for dedicated
 * stacks: the message says which). */
int df_loop_spawn(df_loop *loop,
                  df_coro_fn *fn,
                  void *arg,
                  df_coro **out,
                  df_err *err);

/* Task(eager_start=True) (spec/ASYNCIO.md S7): as df_loop_spawn, but the
 * first step runs now, before this call returns: from a coroutine, the
 * caller is suspended and resumed again as soon as the new coroutine
 * suspends or ends, with no other handle running in between; from a plain
 * callback, the first step runs inline. Either stack kind. When the loop
 * is not running on this thread the step is queued as df_loop_spawn does,
 * as CPython does. *out, if non-NULL, is set before fn runs and is invalid
 * once fn returned (possibly already on return). Errors as df_loop_spawn;
 * nothing ran then. */
int df_loop_spawn_eager(df_loop *loop,
                        df_coro_fn *fn,
                        void *arg,
                        df_coro **out,
                        df_err *err);

/* While tracing (base/trace.h): when the running coroutine was last put
 * on the ready queue (spawned or resumed), df_now_ns clock; 0 when not
 * tracing, unknown, or outside a coroutine. The time from then to now it
 * was ready and waiting for the loop. */
int64_t df_loop_ready_ns(const df_loop *loop);

/* The coroutine running now, or NULL in a plain callback. */
df_coro *df_loop_current(const df_loop *loop);

/* From a coroutine: suspends it until someone calls df_loop_resume on it;
 * returns the value given there. */
intptr_t df_loop_suspend(df_loop *loop);

/* Schedules the suspended coroutine co to continue (at the tail of the
 * ready queue); its df_loop_suspend (or sleep/wait_fd/run_blocking, which
 * then stop waiting) returns value. 0; -EALREADY if co is already scheduled
 * to continue (the first value wins); -EINVAL if co is running. */
int df_loop_resume(df_loop *loop, df_coro *co, intptr_t value);

/* As df_loop_resume, but switches into co now and returns when it suspends
 * again or ends (asyncio's Task.__wakeup running the step inline). Only
 * from a plain callback, never from a coroutine. 0, -EALREADY or -EINVAL. */
int df_loop_resume_inline(df_loop *loop, df_coro *co, intptr_t value);

/* From a coroutine: asyncio.sleep(ns). ns <= 0 re-queues it at the tail of
 * the ready queue (one iteration). 0, or the value of a df_loop_resume that
 * ended the sleep early (e.g. -ECANCELED); the timer is then cancelled. */
int df_loop_sleep_ns(df_loop *loop, int64_t ns);

/* From a coroutine: waits until fd (non-blocking) is readable
 * (DF_WAIT_READ) or writable (DF_WAIT_WRITE). One waiter per fd and
 * direction. Returns the events seen (> 0; errors and hang-ups count as
 * ready), -EBUSY if another coroutine waits on the same fd and direction,
 * -errno of epoll_ctl, or the value of an early df_loop_resume. */
int df_loop_wait_fd(df_loop *loop, int fd, int events);

/* From a coroutine: asyncio.to_thread - fn(arg) runs on the loop's pool
 * (threads started on demand up to the limit, FIFO queue); a pool thread
 * holds the loop's GIL briefly before and after fn and not during it.
 * Returns fn's result; or the value of an early df_loop_resume (then fn
 * still runs to its end, its result dropped: arg must outlive it). */
int df_loop_run_blocking(df_loop *loop, df_blocking_fn *fn, void *arg);

/* The same for a Python function (TH4): fn runs holding the loop's GIL
 * and calls df_topool_checkpoint(th) at its bytecode boundaries. */
int df_loop_run_blocking_py(df_loop *loop, df_topool_py_fn *fn, void *arg);

/* From a coroutine: fn(arg) right here on the loop thread, with the loop's
 * GIL released around it and no other coroutine run meanwhile - a plain,
 * un-awaited call that drops the GIL (time.sleep, sock.recv in an async
 * handler): it blocks the loop, not the lock (#13). The time counts
 * towards the running handle's, so the blocking detector sees it. Returns
 * what fn returned. */
int df_loop_call_unawaited(df_loop *loop, df_blocking_fn *fn, void *arg);

/* A bytecode boundary of the running coroutine: honours a GIL drop request
 * for the loop thread. For df_ctx checkpoint_slow. */
void df_loop_checkpoint_slow(df_loop *loop);
/* The eval breaker the loop's ctx should read: the GIL's, or a zero. */
const volatile int *df_loop_eval_breaker(const df_loop *loop);

/* Figures since create. Loop thread, or any thread once run returned. */
void df_loop_stats_get(const df_loop *loop, df_loop_stats *out);

#endif /* DF_MODELS_LOOP_LOOP_H */
