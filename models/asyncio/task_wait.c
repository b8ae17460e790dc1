/* models/asyncio/task_wait.c - asyncio.wait and asyncio.wait_for (W1-W4,
 * WF1-WF6).
 *
 * wait: CPython's _wait - one waiter future, a done callback on every task
 * and an optional timer, all of which only release the waiter; nothing is
 * cancelled and no child's error is raised. The callbacks share a counted
 * context because a callback already queued when wait returns still runs
 * afterwards and must find it alive.
 *
 * wait_for: the 3.12 form, "async with timeout(t): return await aw", so a
 * coroutine argument runs inside the calling task (WF6).
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/asyncio/task_private.h"

typedef struct wait_ctx {
    int refs;        /* the waiting call + one per registered callback */
    df_task *waiter; /* a reference */
    size_t counter;  /* tasks not yet done */
    df_wait_when when;
    df_loop_handle *timer;
} wait_ctx;

static void ctx_drop(void *arg)
{
    wait_ctx *c = arg;

    if (--c->refs > 0)
        return;
    df_task_release(c->waiter);
    free(c);
}

static void release_waiter(wait_ctx *c)
{
    if (c->waiter->state == FUT_PENDING)
        df__future_complete(c->waiter, FUT_FINISHED, 0, 0);
}

static void on_timer(void *arg)
{
    release_waiter(arg);
}

static void on_completion(df_task *f, void *arg)
{
    wait_ctx *c = arg;

    c->counter--;
    if (c->counter == 0 || c->when == DF_FIRST_COMPLETED ||
        (c->when == DF_FIRST_EXCEPTION && f->state == FUT_FINISHED &&
         f->status != 0))
        release_waiter(c);
}

static int seen_before(df_task *const *tasks, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (tasks[j] == tasks[i])
            return 1;
    return 0;
}

/* Registers on_completion on every distinct task; returns how many. */
static size_t register_all(wait_ctx *c, df_task *const *tasks, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (seen_before(tasks, i))
            continue;
        c->refs++;
        DF_CHECK(df__future_add_cb(tasks[i], on_completion, c, ctx_drop) == 0);
        k++;
    }
    return k;
}

static void split(df_task *const *tasks,
                  size_t n,
                  df_task **done,
                  size_t *ndone,
                  df_task **pending,
                  size_t *npending)
{
    size_t nd = 0, np = 0;

    for (size_t i = 0; i < n; i++) {
        if (seen_before(tasks, i))
            continue;
        if (tasks[i]->state != FUT_PENDING) {
            if (done)
                done[nd] = tasks[i];
            nd++;
        } else {
            if (pending)
                pending[np] = tasks[i];
            np++;
        }
    }
    if (ndone)
        *ndone = nd;
    if (npending)
        *npending = np;
}

int df_wait(df_task *const *tasks,
            size_t n,
            double timeout_s,
            df_wait_when when,
            df_task **done,
            size_t *ndone,
            df_task **pending,
            size_t *npending)
{
    df_loop *loop = df__task_loop_checked();
    wait_ctx *c;
    int rc;

    if (n == 0 || when < DF_ALL_COMPLETED || when > DF_FIRST_EXCEPTION)
        return -EINVAL; /* W1: ValueError */
    if (!df_task_current())
        return -EPERM;
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->refs = 1;
    c->when = when;
    rc = df_future_create(&c->waiter);
    if (rc < 0) {
        free(c);
        return rc;
    }
    if (timeout_s >= 0) {
        rc = df_loop_call_later(loop, (int64_t)(timeout_s * 1e9), on_timer, c,
                                &c->timer);
        if (rc < 0) {
            ctx_drop(c);
            return rc;
        }
    }
    c->counter = register_all(c, tasks, n);
    /* W4: even if all are done, the callbacks are queued and awaited. */
    rc = df__task_wait_done(c->waiter);
    if (c->timer) {
        df_loop_handle_cancel(loop, c->timer);
        df_loop_handle_release(loop, c->timer);
    }
    for (size_t i = 0; i < n; i++)
        if (!seen_before(tasks, i))
            df_task_remove_done_callback(tasks[i], on_completion, c);
    split(tasks, n, done, ndone, pending, npending);
    ctx_drop(c);
    return rc;
}

int df_wait_for(df_task *t, double timeout_s, intptr_t *value)
{
    df_timeout *to;
    int rc;

    if (timeout_s < 0) /* WF1 */
        return df_task_await(t, value);
    if (timeout_s == 0) { /* WF4: cancel and wait, then TimeoutError */
        if (df_task_done(t))
            return df_task_result(t, value);
        df_task_cancel(t, NULL);
        rc = df__task_wait_done(t);
        if (rc < 0)
            return rc;
        rc = df_task_result(t, value);
        return rc == -ECANCELED ? -ETIMEDOUT : rc;
    }
    rc = df_timeout_enter(timeout_s, &to);
    if (rc < 0)
        return rc;
    rc = df_timeout_exit(to, df_task_await(t, value));
    df_timeout_destroy(to);
    return rc;
}

int df_wait_for_fn(df_task_fn *fn, void *arg, double timeout_s, intptr_t *value)
{
    df_timeout *to;
    intptr_t ignored;
    int rc;

    if (!value)
        value = &ignored; /* a body may always write its value */
    if (timeout_s < 0)
        return fn(arg, value); /* S2: inline, no new task */
    if (timeout_s == 0)
        return -ETIMEDOUT; /* WF4: the coroutine never starts */
    rc = df_timeout_enter(timeout_s, &to);
    if (rc < 0)
        return rc;
    rc = df_timeout_exit(to, fn(arg, value));
    df_timeout_destroy(to);
    return rc;
}
