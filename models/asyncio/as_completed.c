/* models/asyncio/as_completed.c - asyncio.as_completed as an iterator
 * (AC1-AC2).
 *
 * CPython's: a done callback per distinct task pushes it onto a queue; a
 * timer for the whole operation, when it fires, removes the remaining
 * callbacks and pushes one "timed out" marker per task still outstanding.
 * _next pops the queue, waiting on a future when it is empty. Nothing is
 * ever cancelled (AC2). The timer starts at create (3.13; in 3.12 at the
 * first next, which is the same moment in a straight loop).
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/asyncio/task_private.h"

typedef struct ac_state {
    int refs;       /* the iterator + one per registered callback */
    df_task **todo; /* tasks still outstanding (references) */
    size_t ntodo;
    df_task **queue;     /* finished (references), NULL = timed out */
    size_t qhead, qtail; /* capacity: the number of distinct tasks */
    df_task *getter;     /* a future _next waits on, or NULL; a reference */
    df_loop_handle *timer;
} ac_state;

struct df_as_completed {
    ac_state *s;
    size_t left; /* calls to _next that still make sense */
};

static void state_drop(void *arg)
{
    ac_state *s = arg;

    if (--s->refs > 0)
        return;
    for (size_t i = 0; i < s->ntodo; i++)
        df_task_release(s->todo[i]);
    for (size_t i = s->qhead; i < s->qtail; i++)
        df_task_release(s->queue[i]);
    df_task_release(s->getter);
    free(s->todo);
    free(s->queue);
    free(s);
}

static void push(ac_state *s, df_task *t)
{
    s->queue[s->qtail++] = t;
    if (s->getter && s->getter->state == FUT_PENDING)
        df__future_complete(s->getter, FUT_FINISHED, 0, 0);
}

static void on_completion(df_task *f, void *arg)
{
    ac_state *s = arg;

    for (size_t i = 0; i < s->ntodo; i++) {
        if (s->todo[i] != f)
            continue;
        s->todo[i] = s->todo[--s->ntodo];
        push(s, f); /* the todo reference moves to the queue */
        break;
    }
    if (s->ntodo == 0 && s->timer) {
        df_loop_handle_cancel(df__task_loop_checked(), s->timer);
        df_loop_handle_release(df__task_loop_checked(), s->timer);
        s->timer = NULL;
    }
}

static void on_timeout(void *arg)
{
    ac_state *s = arg;

    df_loop_handle_release(df__task_loop_checked(), s->timer);
    s->timer = NULL;
    while (s->ntodo > 0) {
        df_task *t = s->todo[--s->ntodo];

        df_task_remove_done_callback(t, on_completion, s);
        df_task_release(t);
        push(s, NULL);
    }
}

int df_as_completed_create(df_task *const *tasks,
                           size_t n,
                           double timeout_s,
                           df_as_completed **out)
{
    df_loop *loop = df__task_loop_checked();
    df_as_completed *ac;
    ac_state *s;
    int rc = -ENOMEM;

    if (!loop)
        return -EPERM;
    ac = calloc(1, sizeof(*ac));
    s = calloc(1, sizeof(*s));
    if (!ac || !s)
        goto fail;
    s->refs = 1;
    s->todo = calloc(n ? n : 1, sizeof(*s->todo));
    s->queue = calloc(n ? n : 1, sizeof(*s->queue));
    if (!s->todo || !s->queue)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        int dup = 0;

        for (size_t j = 0; j < s->ntodo; j++)
            dup |= s->todo[j] == tasks[i];
        if (!dup)
            s->todo[s->ntodo++] = df_task_retain(tasks[i]);
    }
    ac->left = s->ntodo;
    for (size_t i = 0; i < ac->left; i++) {
        s->refs++;
        DF_CHECK(df__future_add_cb(s->todo[i], on_completion, s, state_drop) ==
                 0);
    }
    if (s->ntodo > 0 && timeout_s >= 0) {
        rc = df_loop_call_later(loop, (int64_t)(timeout_s * 1e9), on_timeout, s,
                                &s->timer);
        if (rc < 0)
            goto fail_registered;
    }
    ac->s = s;
    *out = ac;
    return 0;

fail_registered:
    for (size_t i = 0; i < s->ntodo; i++)
        df_task_remove_done_callback(s->todo[i], on_completion, s);
fail:
    if (s && s->todo)
        state_drop(s);
    else if (s)
        free(s);
    free(ac);
    return rc;
}

size_t df_as_completed_left(const df_as_completed *ac)
{
    return ac->left;
}

int df_as_completed_next(df_as_completed *ac, intptr_t *value, df_task **which)
{
    ac_state *s = ac->s;
    df_task *t;
    int rc;

    if (ac->left == 0)
        return -EINVAL;
    if (s->qhead == s->qtail) {
        df_task_release(s->getter);
        s->getter = NULL;
        rc = df_future_create(&s->getter);
        if (rc < 0)
            return rc;
        rc = df__task_wait_done(s->getter);
        if (rc < 0)
            return rc;
        if (s->getter->state == FUT_CANCELLED)
            return -ECANCELED;
    }
    ac->left--;
    t = s->queue[s->qhead++];
    if (which)
        *which = t;
    if (!t)
        return -ETIMEDOUT; /* AC2 */
    rc = df_task_result(t, value);
    /* The queue's reference goes; *which stays valid while the caller
     * holds its own reference to the task it passed in. */
    df_task_release(t);
    return rc;
}

void df_as_completed_destroy(df_as_completed *ac)
{
    df_loop *loop = df__task_loop_checked();
    ac_state *s;

    if (!ac)
        return;
    s = ac->s;
    if (s->timer) {
        df_loop_handle_cancel(loop, s->timer);
        df_loop_handle_release(loop, s->timer);
        s->timer = NULL;
    }
    for (size_t i = 0; i < s->ntodo; i++)
        df_task_remove_done_callback(s->todo[i], on_completion, s);
    state_drop(s);
    free(ac);
}
