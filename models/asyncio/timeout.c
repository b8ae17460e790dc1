/* models/asyncio/timeout.c - asyncio.timeout / timeout_at scopes (TO1-TO8).
 *
 * CPython's timeouts.Timeout, 3.12: entering records the task's
 * cancelling() count and arms a timer (call_soon if the deadline is past);
 * the timer cancels the task (no message) and marks the scope EXPIRING.
 * Leaving uncancels once; only if that brings the count back to what it
 * was at entry, and the block is unwinding a cancellation, does the scope
 * turn -ECANCELED into -ETIMEDOUT - so a nested scope, or an outside
 * cancel, passes through unconverted (TO7).
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/asyncio/task_private.h"

enum { TO_CREATED, TO_ENTERED, TO_EXPIRING, TO_EXPIRED, TO_EXITED };

struct df_timeout {
    int state;              /* TO_* */
    int64_t when_ns;        /* loop clock; -1: None */
    df_task *task;          /* the task inside the block, a reference */
    int cancelling;         /* task's cancelling() at entry */
    df_loop_handle *handle; /* the armed timer or soon, or NULL */
};

static void on_timeout(void *arg)
{
    df_timeout *to = arg;

    df_loop_handle_release(df__task_loop_checked(), to->handle);
    to->handle = NULL;
    df_task_cancel(to->task, NULL);
    to->state = TO_EXPIRING;
}

static void disarm(df_timeout *to)
{
    df_loop *loop = df__task_loop_checked();

    if (!to->handle)
        return;
    df_loop_handle_cancel(loop, to->handle);
    df_loop_handle_release(loop, to->handle);
    to->handle = NULL;
}

static int arm(df_timeout *to)
{
    df_loop *loop = df__task_loop_checked();

    disarm(to);
    if (to->when_ns < 0)
        return 0;
    if (to->when_ns <= df_loop_time_ns(loop))
        return df_loop_call_soon(loop, on_timeout, to, &to->handle);
    return df_loop_call_at(loop, to->when_ns, on_timeout, to, &to->handle);
}

static int enter(int64_t when_ns, df_timeout **out)
{
    df_task *self = df_task_current();
    df_timeout *to;
    int rc;

    if (!self)
        return -EPERM; /* TO1: inside a task only */
    to = calloc(1, sizeof(*to));
    if (!to)
        return -ENOMEM;
    to->when_ns = when_ns;
    to->task = df_task_retain(self);
    to->cancelling = df_task_cancelling(self);
    to->state = TO_ENTERED;
    rc = arm(to);
    if (rc < 0) {
        df_task_release(to->task);
        free(to);
        return rc;
    }
    *out = to;
    return 0;
}

static int64_t to_ns(double s)
{
    return s < 0 ? -1 : (int64_t)(s * 1e9);
}

int df_timeout_enter(double delay_s, df_timeout **out)
{
    df_loop *loop = df__task_loop_checked();

    if (!loop)
        return -EPERM;
    /* TO1: the deadline is fixed now, when timeout() is called. */
    return enter(delay_s < 0 ? -1 : df_loop_time_ns(loop) + to_ns(delay_s),
                 out);
}

int df_timeout_enter_at(double when_s, df_timeout **out)
{
    if (!df__task_loop_checked())
        return -EPERM;
    return enter(to_ns(when_s), out);
}

int df_timeout_reschedule(df_timeout *to, double when_s)
{
    if (to->state != TO_ENTERED)
        return -EPERM; /* TO8 */
    to->when_ns = to_ns(when_s);
    return arm(to);
}

double df_timeout_when(const df_timeout *to)
{
    return to->when_ns < 0 ? -1.0 : (double)to->when_ns / 1e9;
}

int df_timeout_expired(const df_timeout *to)
{
    return to->state == TO_EXPIRING || to->state == TO_EXPIRED;
}

int df_timeout_exit(df_timeout *to, int body_status)
{
    disarm(to);
    if (to->state == TO_EXPIRING) {
        to->state = TO_EXPIRED;
        if (df_task_uncancel(to->task) <= to->cancelling &&
            body_status == -ECANCELED)
            return -ETIMEDOUT; /* TO4 */
    } else if (to->state == TO_ENTERED) {
        to->state = TO_EXITED;
    }
    return body_status;
}

void df_timeout_destroy(df_timeout *to)
{
    if (!to)
        return;
    disarm(to);
    df_task_release(to->task);
    free(to);
}
