/* models/asyncio/task.c - asyncio.Task on stackful coroutines: step, await,
 * cancel.
 *
 * Implementation notes.
 *
 * A task is a future (future.c) plus a body running on a coroutine of the
 * loop (models/loop/loop.h). asyncio drives a generator step by step; here the
 * body keeps its own stack, so a "step" is the stretch between two
 * suspensions, and the places where asyncio's Task.__step would throw an
 * exception in are the returns of our suspending calls:
 *
 *   - create: df_loop_spawn queues the first step with call_soon (T1, S1);
 *     task_entry checks must_cancel before calling the body, so a task
 *     cancelled before it started never runs (C3). An eager task (S7)
 *     takes its first step inside create instead (df_loop_spawn_eager):
 *     the creator waits, suspended, and no other handle runs meanwhile.
 *   - await f: registers task_wakeup as f's done callback, remembers f as
 *     fut_waiter and suspends (T2). Completion schedules the wakeup with
 *     call_soon; the wakeup switches into the task at once
 *     (df_loop_resume_inline), as __wakeup calls __step (T3), so the task
 *     runs one iteration after f completed (S6).
 *   - cancel: cancels fut_waiter if there is one (recursing into an
 *     awaited task or gather); else, if the task sits in a loop call
 *     (run_blocking, wait_fd), ends that wait early with df_loop_resume;
 *     else sets must_cancel, which the next resumption turns into
 *     -ECANCELED (C1, C2). Task code never runs inside cancel.
 *
 * Which task is current: the loop switches coroutines itself, so every
 * suspending call here clears cur_task before suspending and sets it back
 * after. df_task_current checks it against the loop's running coroutine
 * and searches the pending list when a body suspended through a raw loop
 * call we did not see.
 *
 * Lifetime: a running task holds one reference for the loop, dropped when
 * its body returned and the outcome is stored; a waiter holds one on the
 * future it awaits and the future's done callback holds one on the waiter.
 */
#define _GNU_SOURCE /* asprintf */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/asyncio/task_private.h"

/* Process-wide, as asyncio's _task_name_counter (T1). */
static atomic_long task_counter;

/* The loop df_task_run runs on this thread, its pending tasks, and the
 * layer's queued records. Loop thread only. */
static _Thread_local df_loop *run_loop;
static _Thread_local df_task *cur_task;
static _Thread_local df_task *all_head;
static _Thread_local size_t all_count;
static _Thread_local long soon_pending;
static _Thread_local int fatal_seen; /* a task ended with DF_EFATAL (K1) */

df_loop *df__task_loop_checked(void)
{
    return run_loop;
}

df_loop *df_task_loop(void)
{
    return run_loop;
}

double df_task_time_s(void)
{
    return run_loop ? (double)df_loop_time_ns(run_loop) / 1e9 : 0.0;
}

int df__task_call_soon(df_loop_fn *fn, void *arg)
{
    int rc = df_loop_call_soon(run_loop, fn, arg, NULL);

    if (rc == 0)
        soon_pending++;
    return rc;
}

void df__task_soon_done(void)
{
    soon_pending--;
}

static void all_link(df_task *t)
{
    t->all_next = all_head;
    if (all_head)
        all_head->all_prev = t;
    all_head = t;
    all_count++;
}

static void all_unlink(df_task *t)
{
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        all_head = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_prev = t->all_next = NULL;
    all_count--;
}

df_task *df_task_current(void)
{
    df_coro *co;

    if (!run_loop)
        return NULL;
    co = df_loop_current(run_loop);
    if (!co)
        return NULL;
    if (cur_task && cur_task->coro == co)
        return cur_task;
    for (df_task *t = all_head; t; t = t->all_next)
        if (t->coro == co)
            return cur_task = t;
    return NULL;
}

size_t df_task_all(df_task **out, size_t cap)
{
    size_t i = 0;

    for (df_task *t = all_head; t && i < cap; t = t->all_next)
        out[i++] = t;
    return all_count;
}

/* The body returned (or never ran): store the outcome (T2). */
static void task_finish(df_task *t, int status, intptr_t value)
{
    t->coro = NULL;
    if (cur_task == t)
        cur_task = NULL;
    all_unlink(t);
    if (status == -ECANCELED || (status == 0 && t->must_cancel))
        df__future_complete(t, FUT_CANCELLED, -ECANCELED, 0);
    else
        df__future_complete(t, FUT_FINISHED, status, value);
    if (status == DF_EFATAL) { /* K1: out of the loop, main or not */
        fatal_seen = 1;
        df_loop_stop(run_loop);
    }
    df_task_release(t); /* the loop's reference */
}

static void task_entry(void *arg)
{
    df_task *t = arg;
    intptr_t value = 0;
    int status;

    cur_task = t;
    if (t->must_cancel) {
        status = -ECANCELED; /* C3: thrown into the unstarted coroutine */
    } else {
        status = t->fn(t->arg, &value);
        DF_CHECK(status <= 0 && "a task body returns 0 or a negative code");
    }
    task_finish(t, status, value);
}

typedef int spawn_fn(df_loop *loop,
                     df_coro_fn *fn,
                     void *arg,
                     df_coro **out,
                     df_err *err);

static int task_spawn(spawn_fn *spawn,
                      df_task_fn *fn,
                      void *arg,
                      const char *name,
                      df_task **out)
{
    df_task *t;
    int rc;

    if (!run_loop)
        return -EPERM;
    t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->refs = 2; /* the caller's and the loop's */
    t->fn = fn;
    t->arg = arg;
    if (name)
        t->name = strdup(name);
    else if (asprintf(&t->name, "Task-%ld", ++task_counter) < 0)
        t->name = NULL;
    if (!t->name) {
        free(t);
        return -ENOMEM;
    }
    /* Linked first: an eager body may end (and unlink) inside spawn. */
    all_link(t);
    rc = spawn(run_loop, task_entry, t, &t->coro, NULL);
    if (rc < 0) {
        all_unlink(t);
        free(t->name);
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int df_task_create(df_task_fn *fn, void *arg, const char *name, df_task **out)
{
    return task_spawn(df_loop_spawn, fn, arg, name, out);
}

int df_task_create_eager(df_task_fn *fn,
                         void *arg,
                         const char *name,
                         df_task **out)
{
    df_task *self = df_task_current();
    int rc = task_spawn(df_loop_spawn_eager, fn, arg, name, out);

    cur_task = self; /* the eager body was current meanwhile */
    return rc;
}

static void task_wakeup(df_task *f, void *arg)
{
    df_task *t = arg;

    (void)f;
    DF_CHECK(t->coro != NULL);
    DF_CHECK(df_loop_resume_inline(run_loop, t->coro, 0) == 0);
    cur_task = NULL; /* back in a plain callback */
}

static void drop_task(void *arg)
{
    df_task_release(arg);
}

/* Suspends the current task t until df_loop_resume(_inline). */
static void suspend_current(df_task *t)
{
    cur_task = NULL;
    (void)df_loop_suspend(run_loop);
    cur_task = t;
}

/* A pending cancellation is delivered here, once (C2). */
static int take_must_cancel(df_task *t)
{
    if (!t->must_cancel)
        return 0;
    t->must_cancel = 0;
    return -ECANCELED;
}

int df__task_wait_done(df_task *f)
{
    df_task *self = df_task_current();
    int rc;

    if (!self)
        return -EPERM;
    if (f == self)
        return -EDEADLK;
    if (f->state != FUT_PENDING)
        return 0; /* F6: no suspension */
    rc = df__future_add_cb(f, task_wakeup, df_task_retain(self), drop_task);
    if (rc < 0) {
        df_task_release(self);
        return rc;
    }
    self->fut_waiter = df_task_retain(f);
    suspend_current(self);
    df_task_release(self->fut_waiter);
    self->fut_waiter = NULL;
    return take_must_cancel(self);
}

int df_task_await(df_task *t, intptr_t *value)
{
    int rc = df__task_wait_done(t);

    if (rc < 0)
        return rc;
    return df_task_result(t, value);
}

int df_task_cancel(df_task *t, const char *msg)
{
    if (!t->fn)
        return t->ops && t->ops->cancel ? t->ops->cancel(t, msg)
                                        : df__future_cancel_plain(t, msg);
    if (t->state != FUT_PENDING)
        return 0;
    t->num_cancels++;
    if (msg) {
        free(t->cancel_msg);
        t->cancel_msg = strdup(msg);
    }
    if (t->fut_waiter && df_task_cancel(t->fut_waiter, msg))
        return 1;
    if (t->in_loop_wait && df_loop_resume(run_loop, t->coro, -ECANCELED) == 0)
        return 1;
    t->must_cancel = 1;
    return 1;
}

int df_task_cancelling(const df_task *t)
{
    return t->num_cancels;
}

int df_task_uncancel(df_task *t)
{
    if (t->num_cancels > 0)
        t->num_cancels--;
    return t->num_cancels;
}

const char *df_task_get_name(const df_task *t)
{
    return t->name;
}

int df_task_set_name(df_task *t, const char *name)
{
    char *copy;

    if (!t->fn || !name)
        return -EINVAL;
    copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    free(t->name);
    t->name = copy;
    return 0;
}

/* The timer of a sleep: completes the sleep future unless cancelled. */
static void sleep_fire(void *arg)
{
    df_task *f = arg;

    if (f->state == FUT_PENDING)
        df__future_complete(f, FUT_FINISHED, 0, 0);
    df_task_release(f);
}

/* A loop call that suspends the task: cancel ends it early (in_loop_wait). */
static int loop_wait_begin(df_task **self)
{
    *self = df_task_current();
    if (!*self)
        return -EPERM;
    (*self)->in_loop_wait = 1;
    cur_task = NULL;
    return 0;
}

static int loop_wait_end(df_task *self, int rc)
{
    cur_task = self;
    self->in_loop_wait = 0;
    return self->must_cancel ? take_must_cancel(self) : rc;
}

int df_task_sleep(double delay_s)
{
    df_task *self, *f;
    df_loop_handle *h;
    int rc;

    if (delay_s <= 0) { /* SL1: one bare yield */
        rc = loop_wait_begin(&self);
        if (rc < 0)
            return rc;
        return loop_wait_end(self, df_loop_sleep_ns(run_loop, 0));
    }
    /* SL1: a future completed by call_later, as asyncio does, so that a
     * cancel goes through fut_waiter like any other await. */
    if (!df_task_current())
        return -EPERM;
    rc = df_future_create(&f);
    if (rc < 0)
        return rc;
    rc = df_loop_call_later(run_loop, (int64_t)(delay_s * 1e9), sleep_fire,
                            df_task_retain(f), &h);
    if (rc < 0) {
        df_task_release(f);
        df_task_release(f);
        return rc;
    }
    rc = df__task_wait_done(f);
    if (rc == 0 && f->state == FUT_CANCELLED)
        rc = -ECANCELED;
    if (df_loop_handle_cancel(run_loop, h))
        df_task_release(f); /* the timer's reference: it will not run */
    df_loop_handle_release(run_loop, h);
    df_task_release(f);
    return rc;
}

int df_task_run_blocking(df_blocking_fn *fn, void *arg)
{
    df_task *self;
    int rc = loop_wait_begin(&self);

    if (rc < 0)
        return rc;
    return loop_wait_end(self, df_loop_run_blocking(run_loop, fn, arg));
}

int df_task_run_blocking_py(df_py_fn *fn, void *arg)
{
    df_task *self;
    int rc = loop_wait_begin(&self);

    if (rc < 0)
        return rc;
    return loop_wait_end(self, df_loop_run_blocking_py(run_loop, fn, arg));
}

void df_task_thread_checkpoint(df_task_thread *th)
{
    df_topool_checkpoint(th);
}

static void stop_loop(df_task *t, void *arg)
{
    (void)t;
    df_loop_stop(arg);
}

/* K2: cancel what is left and run until it finished, then until the
 * layer's queued records ran, so that nothing is freed half-way. */
static int drain(df_loop *loop)
{
    int rc = 0;

    for (df_task *t = all_head; t; t = t->all_next)
        df_task_cancel(t, NULL);
    while (rc >= 0 && (all_head || soon_pending > 0))
        rc = df_loop_run_once(loop, all_head != NULL && soon_pending == 0);
    return rc;
}

int df_task_run(df_task_fn *main,
                void *arg,
                const df_loop_cfg *cfg,
                intptr_t *value,
                df_err *err)
{
    df_loop_cfg defaults = { 0 };
    df_loop *loop;
    df_task *mt;
    int rc;

    if (run_loop)
        return df_err_set(err, -EPERM, "task run: a loop is running");
    rc = df_loop_create(cfg ? cfg : &defaults, &loop, err);
    if (rc < 0)
        return rc;
    run_loop = loop;
    fatal_seen = 0;
    rc = df_task_create(main, arg, NULL, &mt);
    if (rc < 0) {
        df_err_set(err, rc, "task run: main task: %s", strerror(-rc));
        goto out;
    }
    rc = df_task_add_done_callback(mt, stop_loop, loop);
    if (rc == 0)
        rc = df_loop_run(loop);
    if (rc == 0)
        rc = drain(loop);
    if (rc < 0)
        df_err_set(err, rc, "task run: loop: %s", strerror(-rc));
    else if (fatal_seen)
        rc = DF_EFATAL;
    else
        rc = df_task_result(mt, value);
    df_task_release(mt);
out:
    run_loop = NULL;
    cur_task = NULL;
    df_loop_destroy(loop);
    return rc;
}
