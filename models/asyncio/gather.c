/* models/asyncio/gather.c - asyncio.gather: one future over many (GA1-GA7).
 *
 * As CPython's _GatheringFuture: each child gets a done callback that
 * counts it; without return_exceptions the first failure (a child
 * cancelled by someone else included, GA6) fails the outer future at once
 * and the other children run on (GA3). The outer future's cancel() cancels
 * the children instead of itself (GA5); the outer then ends -ECANCELED
 * when the last child is done. The outcome array is filled in argument
 * order when the last child finishes and belongs to the outer future.
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/asyncio/task_private.h"

typedef struct gather {
    df_task *outer;      /* not a reference: the outer owns this struct */
    df_task **children;  /* references */
    df_outcome *results; /* the outer's value once complete */
    size_t n, nfinished;
    int return_exceptions;
    int cancel_requested; /* outer.cancel() cancelled some child */
} gather;

static int gather_cancel(df_task *outer, const char *msg)
{
    gather *g = outer->data;
    int ret = 0;

    if (outer->state != FUT_PENDING)
        return 0;
    for (size_t i = 0; i < g->n; i++)
        if (df_task_cancel(g->children[i], msg))
            ret = 1;
    if (ret)
        g->cancel_requested = 1;
    return ret;
}

static void gather_free(df_task *outer)
{
    gather *g = outer->data;

    for (size_t i = 0; i < g->n; i++)
        df_task_release(g->children[i]);
    free(g->children);
    free(g->results);
    free(g);
}

static const df__fut_ops gather_ops = {
    .cancel = gather_cancel,
    .free_data = gather_free,
};

static void child_done(df_task *child, void *arg)
{
    gather *g = ((df_task *)arg)->data;
    df_task *outer = g->outer;

    g->nfinished++;
    if (outer->state != FUT_PENDING)
        return; /* GA3: later outcomes are dropped (never "unretrieved") */
    if (!g->return_exceptions && child->status != 0) {
        df__future_complete(outer, FUT_FINISHED, child->status, 0);
        return;
    }
    if (g->nfinished < g->n)
        return;
    for (size_t i = 0; i < g->n; i++) {
        g->results[i].status = g->children[i]->status;
        g->results[i].value = g->children[i]->value;
    }
    /* GA5: a cancelled gather reports -ECANCELED whatever the flag. */
    if (g->cancel_requested)
        df__future_complete(outer, FUT_FINISHED, -ECANCELED, 0);
    else
        df__future_complete(outer, FUT_FINISHED, 0, (intptr_t)g->results);
}

static void drop_outer(void *arg)
{
    df_task_release(arg);
}

int df_gather_create(df_task *const *children,
                     size_t n,
                     int return_exceptions,
                     df_task **out)
{
    gather *g = calloc(1, sizeof(*g));
    df_task *outer;
    int rc;

    if (!g)
        return -ENOMEM;
    g->children = calloc(n ? n : 1, sizeof(*g->children));
    g->results = calloc(n ? n : 1, sizeof(*g->results));
    if (!g->children || !g->results) {
        free(g->children);
        free(g->results);
        free(g);
        return -ENOMEM;
    }
    rc = df__future_create_ops(&gather_ops, g, &outer);
    if (rc < 0) {
        free(g->children);
        free(g->results);
        free(g);
        return rc;
    }
    g->outer = outer;
    g->return_exceptions = return_exceptions;
    for (size_t i = 0; i < n; i++) /* children first: outer frees them */
        g->children[g->n++] = df_task_retain(children[i]);
    if (n == 0) /* GA1: gather() is an already completed [] */
        df__future_complete(outer, FUT_FINISHED, 0, (intptr_t)g->results);
    for (size_t i = 0; i < n; i++) {
        /* The same child twice is simply counted twice: the outcome is
         * repeated, as asyncio's deduplicated future gives (GA1). */
        rc = df__future_add_cb(children[i], child_done, df_task_retain(outer),
                               drop_outer);
        if (rc < 0) {
            df_task_release(outer);
            gather_cancel(outer, NULL);
            df_task_release(outer);
            return rc;
        }
    }
    *out = outer;
    return 0;
}
