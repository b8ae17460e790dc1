/* models/asyncio/shield.c - asyncio.shield: an outer future cancellable apart
 * (SH1).
 *
 * Two done callbacks tie the futures, as in CPython: inner's copies its
 * outcome to outer unless outer was cancelled; outer's removes inner's
 * callback when outer finishes first. Each callback holds a reference on
 * the other future, so the pair is freed whichever finishes first.
 */
#include "models/asyncio/task.h"

#include <errno.h>

#include "models/asyncio/task_private.h"

static void drop_ref(void *arg)
{
    df_task_release(arg);
}

static void inner_done(df_task *inner, void *arg)
{
    df_task *outer = arg;

    if (outer->state != FUT_PENDING)
        return;
    if (inner->state == FUT_CANCELLED)
        df_task_cancel(outer, inner->cancel_msg);
    else
        df__future_complete(outer, FUT_FINISHED, inner->status, inner->value);
}

static void outer_done(df_task *outer, void *arg)
{
    df_task *inner = arg;

    if (inner->state == FUT_PENDING)
        df_task_remove_done_callback(inner, inner_done, outer);
}

int df_shield_create(df_task *inner, df_task **out)
{
    df_task *outer;
    int rc;

    if (inner->state != FUT_PENDING) {
        *out = df_task_retain(inner);
        return 0;
    }
    rc = df_future_create(&outer);
    if (rc < 0)
        return rc;
    rc = df__future_add_cb(inner, inner_done, df_task_retain(outer), drop_ref);
    if (rc < 0) {
        df_task_release(outer);
        df_task_release(outer);
        return rc;
    }
    rc = df__future_add_cb(outer, outer_done, df_task_retain(inner), drop_ref);
    if (rc < 0) {
        df_task_remove_done_callback(inner, inner_done, outer);
        df_task_release(inner);
        df_task_release(outer);
        return rc;
    }
    *out = outer;
    return 0;
}
