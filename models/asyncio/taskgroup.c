/* models/asyncio/taskgroup.c - asyncio.TaskGroup (G1-G8), after
 * taskgroups.py 3.12.
 *
 * The group tracks its unfinished children. The first child failing with
 * something other than a cancellation aborts the group: every unfinished
 * child is cancelled and, unless it is already being cancelled, so is the
 * parent task, so the body's current await returns -ECANCELED (G3/G4).
 * exit waits on a future that the last child's done callback completes;
 * it then uncancels the parent once if the group cancelled it, which keeps
 * the abort from leaking out as a cancellation (G3), and reports, in this
 * order: the collected errors as DF_EGROUP, a cancellation from outside
 * (G8), or the body's own status. Errors are the children's codes in
 * completion order, then the body's if it failed (G5).
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/asyncio/task_private.h"

struct df_taskgroup {
    int refs;        /* the owner + one per registered child callback */
    df_task *parent; /* a reference */
    df_task **tasks; /* unfinished children (references) */
    size_t ntasks, cap_tasks;
    int *errors;
    size_t nerrors, cap_errors;
    int entered, exiting, exited, aborting;
    int parent_cancel_requested;
    int fatal;             /* DF_EFATAL seen: re-raised alone (G6) */
    df_task *on_completed; /* what exit waits on, or NULL; a reference */
};

static void tg_drop(void *arg)
{
    df_taskgroup *tg = arg;

    if (--tg->refs > 0)
        return;
    for (size_t i = 0; i < tg->ntasks; i++)
        df_task_release(tg->tasks[i]);
    df_task_release(tg->parent);
    df_task_release(tg->on_completed);
    free(tg->tasks);
    free(tg->errors);
    free(tg);
}

static int add_error(df_taskgroup *tg, int code)
{
    if (tg->nerrors == tg->cap_errors) {
        size_t cap = tg->cap_errors ? 2 * tg->cap_errors : 4;
        int *n = realloc(tg->errors, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        tg->errors = n;
        tg->cap_errors = cap;
    }
    tg->errors[tg->nerrors++] = code;
    return 0;
}

static void tg_abort(df_taskgroup *tg)
{
    tg->aborting = 1;
    for (size_t i = 0; i < tg->ntasks; i++)
        if (!df_task_done(tg->tasks[i]))
            df_task_cancel(tg->tasks[i], NULL);
}

static void on_task_done(df_task *t, void *arg)
{
    df_taskgroup *tg = arg;

    for (size_t i = 0; i < tg->ntasks; i++) {
        if (tg->tasks[i] == t) {
            tg->tasks[i] = tg->tasks[--tg->ntasks];
            df_task_release(t);
            break;
        }
    }
    if (tg->on_completed && tg->ntasks == 0 &&
        tg->on_completed->state == FUT_PENDING)
        df__future_complete(tg->on_completed, FUT_FINISHED, 0, 0);
    if (t->state == FUT_CANCELLED || t->status == 0)
        return; /* G7: a cancelled child is not an error */
    DF_CHECK(add_error(tg, t->status) == 0);
    if (t->status == DF_EFATAL)
        tg->fatal = 1;
    if (df_task_done(tg->parent))
        return;
    if (!tg->aborting && !tg->parent_cancel_requested) {
        tg_abort(tg);
        tg->parent_cancel_requested = 1;
        df_task_cancel(tg->parent, NULL);
    }
}

int df_taskgroup_enter(df_taskgroup **out)
{
    df_task *self = df_task_current();
    df_taskgroup *tg;

    if (!self)
        return -EPERM; /* G1 */
    tg = calloc(1, sizeof(*tg));
    if (!tg)
        return -ENOMEM;
    tg->refs = 1;
    tg->parent = df_task_retain(self);
    tg->entered = 1;
    *out = tg;
    return 0;
}

int df_taskgroup_create_task(df_taskgroup *tg,
                             df_task_fn *fn,
                             void *arg,
                             const char *name,
                             df_task **out)
{
    df_task *t;
    int rc;

    /* G1: not entered, finished, or shutting down. */
    if (!tg->entered || tg->exited || (tg->exiting && tg->ntasks == 0) ||
        tg->aborting)
        return -EPERM;
    if (tg->ntasks == tg->cap_tasks) {
        size_t cap = tg->cap_tasks ? 2 * tg->cap_tasks : 8;
        df_task **n = realloc(tg->tasks, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        tg->tasks = n;
        tg->cap_tasks = cap;
    }
    rc = df_task_create(fn, arg, name, &t);
    if (rc < 0)
        return rc;
    tg->tasks[tg->ntasks++] = df_task_retain(t);
    tg->refs++;
    DF_CHECK(df__future_add_cb(t, on_task_done, tg, tg_drop) == 0);
    if (out)
        *out = t;
    else
        df_task_release(t);
    return 0;
}

int df_taskgroup_exit(df_taskgroup *tg, int body_status)
{
    int propagate_cancel = body_status == -ECANCELED;
    int rc;

    if (!tg->entered || tg->exiting)
        return -EPERM;
    tg->exiting = 1;
    if (body_status == DF_EFATAL)
        tg->fatal = 1;
    if (tg->parent_cancel_requested && df_task_uncancel(tg->parent) == 0)
        propagate_cancel = 0; /* G3: our own abort, not the caller's */
    if (body_status < 0 && !tg->aborting)
        tg_abort(tg);
    while (tg->ntasks > 0) {
        if (!tg->on_completed) {
            rc = df_future_create(&tg->on_completed);
            DF_CHECK(rc == 0);
        }
        rc = df__task_wait_done(tg->on_completed);
        if (rc == -ECANCELED || df_task_cancelled(tg->on_completed)) {
            if (!tg->aborting) { /* G8: cancelled from outside */
                propagate_cancel = 1;
                tg_abort(tg);
            }
        }
        df_task_release(tg->on_completed);
        tg->on_completed = NULL;
    }
    tg->exited = 1;
    if (tg->fatal)
        return DF_EFATAL; /* G6: not grouped */
    if (propagate_cancel && tg->nerrors == 0)
        return -ECANCELED;
    if (body_status < 0 && body_status != -ECANCELED)
        DF_CHECK(add_error(tg, body_status) == 0); /* G5 */
    return tg->nerrors > 0 ? DF_EGROUP : body_status;
}

const int *df_taskgroup_errors(const df_taskgroup *tg, size_t *n)
{
    *n = tg->nerrors;
    return tg->errors;
}

void df_taskgroup_destroy(df_taskgroup *tg)
{
    if (tg)
        tg_drop(tg);
}
