/* models/asyncio/task.h - asyncio's task API on the coroutine loop (issue #5).
 *
 * Semantics follow CPython 3.12 as written down in spec/ASYNCIO.md; the
 * rule ids (T2, C1, GA5, ...) cited below are that file's. Python's
 * exceptions become values: every call returns 0 (or a count) on success
 * and a negative errno on failure, and a task's outcome is an int status
 * plus an intptr_t value:
 *
 *   Python                        C status
 *   return v                      0, value v
 *   raise SomeError               the body's own negative code
 *   CancelledError                -ECANCELED
 *   TimeoutError                  -ETIMEDOUT
 *   ExceptionGroup (TaskGroup)    DF_EGROUP, members in df_taskgroup_errors
 *   KeyboardInterrupt/SystemExit  DF_EFATAL (escapes the loop, K1)
 *   InvalidStateError             -EAGAIN (result asked of a pending task)
 *   RuntimeError (misuse)         -EPERM (no running task/loop, wrong state)
 *
 * One type, df_task, is both asyncio.Future and asyncio.Task: a df_task
 * without a body is a plain future (df_future_create, gather, shield).
 *
 * Ownership. df_task is reference counted. Every call that hands out a
 * df_task (create, gather, shield, to_thread, wait's and as_completed's
 * outputs are the exception: they borrow) gives the caller one reference,
 * returned with df_task_release. The loop keeps its own reference to a
 * running task, so dropping yours does not stop it (asyncio keeps tasks
 * only weakly, T1; here a forgotten task still finishes and is freed).
 * Values are intptr_t and never owned by the task layer: a pointer stored
 * as a value must outlive every reader. Gather's value is the one
 * exception: an array owned by the gather future (see df_gather_create).
 *
 * Threading: loop thread only (a task body runs there). "From a task"
 * calls may suspend the calling task and must be made from a task body.
 * In the loop's shared-stack mode a suspended task's stack is moved away:
 * a pointer into one task's stack must not be given to another task.
 */
#ifndef DF_MODELS_ASYNCIO_TASK_H
#define DF_MODELS_ASYNCIO_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "models/loop/loop.h"

typedef struct df_task df_task;           /* opaque: a Task or a Future */
typedef struct df_taskgroup df_taskgroup; /* opaque: async with TaskGroup() */
typedef struct df_timeout df_timeout;     /* opaque: async with timeout() */
typedef struct df_as_completed df_as_completed; /* opaque iterator */

/* A task body: asyncio's coroutine. Runs on its own coroutine stack; returns
 * 0 and sets *value, or a negative code (its "exception"). Returning
 * -ECANCELED ends the task cancelled (CancelledError escaped, T2). */
typedef int df_task_fn(void *arg, intptr_t *value);
/* A done callback, called as fn(t, arg): functools.partial(fn, arg). */
typedef void df_task_done_fn(df_task *t, void *arg);
/* A blocking function for to_thread; runs on a pool thread. */
typedef int df_blocking_fn(void *arg);
/* A pool thread running a Python function (see df_task_to_thread_py). */
typedef struct df_topool_thread df_task_thread;
/* A CPU-bound "Python" function for to_thread: runs on a pool thread
 * holding the loop's GIL, calling df_task_thread_checkpoint(th) at its
 * bytecode boundaries. Returns as df_blocking_fn. */
typedef int df_py_fn(df_task_thread *th, void *arg);

/* TaskGroup's "exception group": outside the errno range on purpose. */
#define DF_EGROUP (-4096)
/* KeyboardInterrupt / SystemExit: a task ending with it stops the loop at
 * once (K1); df_task_run then cancels the rest and returns it; a TaskGroup
 * re-raises it alone, not grouped (G6). */
#define DF_EFATAL (-4097)

/* One child's outcome in a gather result (return_exceptions) */
typedef struct df_outcome {
    int status;     /* 0, the child's code, or -ECANCELED */
    intptr_t value; /* meaningful when status is 0 */
} df_outcome;

/* Running the loop (asyncio.run) */

/* asyncio.run(main): makes a loop from cfg (NULL: defaults), runs main as
 * the first task ("Task-1" in a fresh process, T1), then cancels every task
 * still pending and runs the loop until they finished (K2), and destroys
 * the loop. Returns main's status; *value (may be NULL) gets its value.
 * -EPERM if a loop is already running on this thread; -ENOMEM etc. with a
 * message in err. */
int df_task_run(df_task_fn *main,
                void *arg,
                const df_loop_cfg *cfg,
                intptr_t *value,
                df_err *err);

/* The loop df_task_run is running on this thread, or NULL. */
df_loop *df_task_loop(void);
/* loop.time(), in seconds. Loop thread. */
double df_task_time_s(void);

/* Tasks */

/* asyncio.create_task(fn(arg), name=name): the first step is queued with
 * call_soon, so fn starts at the earliest in the next iteration (S1). name
 * NULL gives "Task-<N>" from a process-wide counter. 0, -EPERM (no running
 * loop) or -ENOMEM. Loop thread only. */
int df_task_create(df_task_fn *fn, void *arg, const char *name, df_task **out);
/* Task(fn(arg), eager_start=True) (S7, 3.12; opt-in): as df_task_create,
 * but fn runs synchronously inside this call until it first suspends; a
 * body that never suspends is done when this returns (*out is still a
 * reference to the finished task). The caller does not yield to any other
 * task meanwhile; only the new body runs. Works from a task or a plain
 * callback, on either stack kind; before the loop runs it is
 * df_task_create (as in CPython). In shared-stack mode arg must not point
 * into the caller's stack. Errors as df_task_create, nothing ran then. */
int df_task_create_eager(df_task_fn *fn,
                         void *arg,
                         const char *name,
                         df_task **out);

df_task *df_task_retain(df_task *t); /* returns t */
void df_task_release(df_task *t);    /* NULL is fine */

/* From a task: await t. If t is done, returns at once without suspending
 * (F6); else suspends until t completes and resumes in a later iteration
 * (T3). Returns t's status (0 with *value set, its error, -ECANCELED) - or
 * -ECANCELED if the awaiting task itself was cancelled meanwhile (C2).
 * -EPERM outside a task, -EDEADLK when a task awaits itself. */
int df_task_await(df_task *t, intptr_t *value);

/* From a task: asyncio.sleep(delay_s). delay_s <= 0 yields once (SL1).
 * 0, or -ECANCELED if the task was cancelled meanwhile. */
int df_task_sleep(double delay_s);

/* The task running now, or NULL (plain callback, or not on the loop). */
df_task *df_task_current(void);

/* all_tasks(): up to cap not-done tasks of the running loop into out
 * (borrowed); returns how many there are in all. */
size_t df_task_all(df_task **out, size_t cap);

/* done(): 1 unless pending (F1). cancelled(): 1 if CANCELLED. */
int df_task_done(const df_task *t);
int df_task_cancelled(const df_task *t);

/* result() (F2): 0 with *value set; the stored error; -ECANCELED if
 * cancelled; -EAGAIN if still pending (InvalidStateError). */
int df_task_result(const df_task *t, intptr_t *value);
/* exception() (F2): 0 if it finished with a value, its error code if it
 * failed, -ECANCELED if cancelled, -EAGAIN if pending. */
int df_task_exception(const df_task *t);

/* cancel(msg) (C1, F5): 1 if a cancellation was requested, 0 if t was
 * already done. msg (may be NULL) is copied; df_task_cancel_msg reads it.
 * Never runs task code (C2). */
int df_task_cancel(df_task *t, const char *msg);
const char *df_task_cancel_msg(const df_task *t); /* NULL if none */
/* cancelling() and uncancel() (C5). uncancel returns the new count. */
int df_task_cancelling(const df_task *t);
int df_task_uncancel(df_task *t);

/* add_done_callback(partial(fn, arg)) (F3): fn(t, arg) runs via the ready
 * queue once t is done, in registration order, never inline. 0/-ENOMEM. */
int df_task_add_done_callback(df_task *t, df_task_done_fn *fn, void *arg);
/* Removes every registration of (fn, arg); returns how many (F4). */
int df_task_remove_done_callback(df_task *t, df_task_done_fn *fn, void *arg);

/* get_name / set_name (T5). A plain future has no name (NULL). The string
 * belongs to t and lives until the next set_name. 0 or -ENOMEM/-EINVAL. */
const char *df_task_get_name(const df_task *t);
int df_task_set_name(df_task *t, const char *name);

/* Futures */

/* loop.create_future(): a pending future without a body. 0/-ENOMEM. */
int df_future_create(df_task **out);
/* set_result / set_exception (code < 0): schedules the callbacks. 0, or
 * -EINVAL if f is done already or code >= 0, -EPERM if f is a task (T5). */
int df_future_set_result(df_task *f, intptr_t value);
int df_future_set_error(df_task *f, int code);

/* Combinators (each "From a task" suspends the caller) */

/* asyncio.gather(*children, return_exceptions=...) (GA1-GA7): returns a
 * future at once. Its value is a df_outcome array of n, in argument order,
 * owned by the future (valid while you hold it). Without
 * return_exceptions the first failure (-ECANCELED included, GA6) fails the
 * future at once and the others keep running (GA3). Cancelling the future
 * cancels every unfinished child (GA5). n == 0: already done. */
int df_gather_create(df_task *const *children,
                     size_t n,
                     int return_exceptions,
                     df_task **out);

/* asyncio.shield(inner) (SH1). *out is inner itself (one more
 * reference) if done, else a new future that copies inner's outcome and
 * whose cancellation leaves inner running. */
int df_shield_create(df_task *inner, df_task **out);

/* asyncio.to_thread(fn, arg) as a task (gather wraps it in one too): the
 * task runs fn(arg) on the loop's to_thread pool; its value is fn's
 * return when that is >= 0, its status fn's return when negative.
 * Cancelling the task stops the wait, not fn (TH3): arg must outlive fn. */
int df_task_to_thread(df_blocking_fn *fn,
                      void *arg,
                      const char *name,
                      df_task **out);
/* to_thread of a Python function (TH4): as df_task_to_thread, but fn runs
 * holding the loop's GIL (df_loop_cfg.gil) from start to end, letting go
 * only at its checkpoints when another thread asks for the lock. So two
 * of them never run in parallel, and the loop thread, which takes the
 * lock back after every poll, waits up to a switch interval each time
 * (spec/GIL.md section 6). Without a GIL (NULL or DF_GIL_OFF) it is
 * df_task_to_thread. */
int df_task_to_thread_py(df_py_fn *fn,
                         void *arg,
                         const char *name,
                         df_task **out);
/* From a task: await to_thread(fn, arg) inline, fn a Python function. */
int df_task_run_blocking_py(df_py_fn *fn, void *arg);
/* In a df_py_fn, on its pool thread: a bytecode boundary (honours the
 * GIL's drop request). Cheap: one relaxed load when nothing is pending. */
void df_task_thread_checkpoint(df_task_thread *th);

/* From a task: await to_thread(fn, arg) inline. fn's return, or
 * -ECANCELED if the caller was cancelled (fn still runs to its end). */
int df_task_run_blocking(df_blocking_fn *fn, void *arg);

/* From a task: asyncio.wait_for(t, timeout_s) in its 3.12 form
 * (timeout(t): await t; WF1-WF6). timeout_s < 0 means None. On expiry t
 * is cancelled and waited for (cleanup included) and -ETIMEDOUT returned;
 * unless t swallowed the cancellation and returned a value (then 0). */
int df_wait_for(df_task *t, double timeout_s, intptr_t *value);
/* The same for a coroutine argument: fn(arg) runs inside the calling task
 * (WF6: same current task), under a timeout scope. */
int df_wait_for_fn(df_task_fn *fn,
                   void *arg,
                   double timeout_s,
                   intptr_t *value);

typedef enum df_wait_when {
    DF_ALL_COMPLETED = 0,
    DF_FIRST_COMPLETED = 1,
    DF_FIRST_EXCEPTION = 2,
} df_wait_when;

/* From a task: asyncio.wait(tasks, timeout, return_when) (W1-W4).
 * done and pending (each of capacity n, may be NULL) receive borrowed
 * pointers, duplicates removed, in argument order, and their counts go
 * to ndone and npending. A timeout (timeout_s >= 0) cancels nothing and
 * is not an error.
 * 0; -EINVAL (n == 0, bad when); -ECANCELED if the caller was cancelled. */
int df_wait(df_task *const *tasks,
            size_t n,
            double timeout_s,
            df_wait_when when,
            df_task **done,
            size_t *ndone,
            df_task **pending,
            size_t *npending);

/* asyncio.as_completed(tasks, timeout=) (AC1-AC2): the timer (timeout_s
 * >= 0) starts now. Call _next once per distinct task: it returns the
 * outcome of the next task to complete (status, *value, *which borrowed,
 * each may be NULL), or -ETIMEDOUT once the deadline passed (nothing is
 * cancelled), and from then on. df_as_completed_left says how many calls
 * remain. Destroy cancels the timer only. */
int df_as_completed_create(df_task *const *tasks,
                           size_t n,
                           double timeout_s,
                           df_as_completed **out);
int df_as_completed_next(df_as_completed *ac, intptr_t *value, df_task **which);
size_t df_as_completed_left(const df_as_completed *ac);
void df_as_completed_destroy(df_as_completed *ac); /* NULL is fine */

/* TaskGroup (G1-G8). From a task:
 *     df_taskgroup *tg;
 *     df_taskgroup_enter(&tg);                 async with TaskGroup() as tg:
 *     df_taskgroup_create_task(tg, fn, arg, NULL, &t);   tg.create_task(..)
 *     st = ...body, whose awaits return -ECANCELED if the group aborts...;
 *     st = df_taskgroup_exit(tg, st);                        (end of block)
 *     df_taskgroup_destroy(tg);
 * exit waits for every child; returns DF_EFATAL if the body or a child
 * ended with it (G6), else DF_EGROUP (errors collected, in completion
 * order, the body's own last: df_taskgroup_errors), else -ECANCELED (the
 * parent was cancelled from outside, G8), else the body's status. The first
 * failure cancels the other children and the body (G3/G4); create_task then
 * returns -EPERM, as it does before enter or after exit (G1). */
int df_taskgroup_enter(df_taskgroup **out);
int df_taskgroup_create_task(df_taskgroup *tg,
                             df_task_fn *fn,
                             void *arg,
                             const char *name,
                             df_task **out);
int df_taskgroup_exit(df_taskgroup *tg, int body_status);
const int *df_taskgroup_errors(const df_taskgroup *tg, size_t *n);
void df_taskgroup_destroy(df_taskgroup *tg); /* NULL is fine */

/* timeout(delay_s) / timeout_at(when_s) scopes (TO1-TO8). From a task:
 *     df_timeout *to;
 *     df_timeout_enter(0.2, &to);           async with timeout(0.2) as to:
 *     st = ...body, whose awaits return -ECANCELED on expiry...;
 *     st = df_timeout_exit(to, st);     -ECANCELED becomes -ETIMEDOUT here
 *     df_timeout_destroy(to);
 * delay_s < 0 (or when_s < 0) means None: no deadline. The deadline is
 * fixed when enter is called (TO1). exit returns body_status, converted to
 * -ETIMEDOUT only when this scope's own cancellation is being unwound
 * (TO4, TO7). */
int df_timeout_enter(double delay_s, df_timeout **out);
int df_timeout_enter_at(double when_s, df_timeout **out);
int df_timeout_exit(df_timeout *to, int body_status);
/* reschedule(when_s) (TO8): -EPERM unless entered and not exited. */
int df_timeout_reschedule(df_timeout *to, double when_s);
double df_timeout_when(const df_timeout *to); /* -1 for None */
int df_timeout_expired(const df_timeout *to);
void df_timeout_destroy(df_timeout *to); /* NULL is fine */

#endif /* DF_MODELS_ASYNCIO_TASK_H */
