/* models/asyncio/future.c - asyncio.Future: state, outcome, done callbacks
 * (F1-F6).
 *
 * A df_task is a future first; tasks (task.c) add a body. Completion never
 * runs a callback inline: each registration becomes one call_soon, in
 * registration order (F3), holding a reference on the future so the
 * callback can read it even if its owners let go meanwhile.
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/asyncio/task_private.h"

typedef struct scheduled_cb {
    df_task *f; /* a reference */
    df__done_cb cb;
} scheduled_cb;

static void run_scheduled_cb(void *arg)
{
    scheduled_cb *s = arg;

    s->cb.fn(s->f, s->cb.arg);
    if (s->cb.drop)
        s->cb.drop(s->cb.arg);
    df_task_release(s->f);
    free(s);
    df__task_soon_done();
}

/* A failed call_soon here would lose a callback and hang its waiter: that
 * is an out-of-memory we cannot report to anyone, so it is fatal. */
static void schedule_cb(df_task *f, const df__done_cb *cb)
{
    scheduled_cb *s = malloc(sizeof(*s));

    DF_CHECK(s != NULL);
    s->f = df_task_retain(f);
    s->cb = *cb;
    DF_CHECK(df__task_call_soon(run_scheduled_cb, s) == 0);
}

int df__future_create_ops(const df__fut_ops *ops, void *data, df_task **out)
{
    df_task *f = calloc(1, sizeof(*f));

    if (!f)
        return -ENOMEM;
    f->refs = 1;
    f->ops = ops;
    f->data = data;
    *out = f;
    return 0;
}

int df_future_create(df_task **out)
{
    return df__future_create_ops(NULL, NULL, out);
}

df_task *df_task_retain(df_task *t)
{
    t->refs++;
    return t;
}

void df_task_release(df_task *t)
{
    if (!t)
        return;
    DF_CHECK(t->refs > 0);
    if (--t->refs > 0)
        return;
    /* Registrations still held (a pending future nobody will complete)
     * give back what they hold. */
    for (size_t i = 0; i < t->ncbs; i++)
        if (t->cbs[i].drop)
            t->cbs[i].drop(t->cbs[i].arg);
    if (t->ops && t->ops->free_data)
        t->ops->free_data(t);
    free(t->cbs);
    free(t->cancel_msg);
    free(t->name);
    free(t);
}

void df__future_complete(df_task *f, int state, int status, intptr_t value)
{
    DF_CHECK(f->state == FUT_PENDING);
    f->state = state;
    f->status = status;
    f->value = value;
    for (size_t i = 0; i < f->ncbs; i++)
        schedule_cb(f, &f->cbs[i]);
    f->ncbs = 0;
}

int df_future_set_result(df_task *f, intptr_t value)
{
    if (f->fn)
        return -EPERM;
    if (f->state != FUT_PENDING)
        return -EINVAL;
    df__future_complete(f, FUT_FINISHED, 0, value);
    return 0;
}

int df_future_set_error(df_task *f, int code)
{
    if (f->fn)
        return -EPERM;
    if (f->state != FUT_PENDING || code >= 0)
        return -EINVAL;
    df__future_complete(f, FUT_FINISHED, code, 0);
    return 0;
}

int df__future_cancel_plain(df_task *f, const char *msg)
{
    if (f->state != FUT_PENDING)
        return 0;
    if (msg && !f->cancel_msg)
        f->cancel_msg = strdup(msg); /* best effort: NULL loses the text */
    df__future_complete(f, FUT_CANCELLED, -ECANCELED, 0);
    return 1;
}

int df_task_done(const df_task *t)
{
    return t->state != FUT_PENDING;
}

int df_task_cancelled(const df_task *t)
{
    return t->state == FUT_CANCELLED;
}

int df_task_result(const df_task *t, intptr_t *value)
{
    if (t->state == FUT_PENDING)
        return -EAGAIN;
    if (t->status == 0 && value)
        *value = t->value;
    return t->status;
}

int df_task_exception(const df_task *t)
{
    return t->state == FUT_PENDING ? -EAGAIN : t->status;
}

const char *df_task_cancel_msg(const df_task *t)
{
    return t->cancel_msg;
}

int df__future_add_cb(df_task *f,
                      df_task_done_fn *fn,
                      void *arg,
                      df__drop_fn *drop)
{
    df__done_cb cb = { .fn = fn, .arg = arg, .drop = drop };

    if (f->state != FUT_PENDING) {
        schedule_cb(f, &cb);
        return 0;
    }
    if (f->ncbs == f->cap_cbs) {
        size_t cap = f->cap_cbs ? 2 * f->cap_cbs : 4;
        df__done_cb *n = realloc(f->cbs, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        f->cbs = n;
        f->cap_cbs = cap;
    }
    f->cbs[f->ncbs++] = cb;
    return 0;
}

int df_task_add_done_callback(df_task *t, df_task_done_fn *fn, void *arg)
{
    return df__future_add_cb(t, fn, arg, NULL);
}

int df_task_remove_done_callback(df_task *t, df_task_done_fn *fn, void *arg)
{
    size_t kept = 0;
    int removed = 0;

    /* A drop below may release the last other reference to t. */
    df_task_retain(t);
    for (size_t i = 0; i < t->ncbs; i++) {
        df__done_cb cb = t->cbs[i];

        if (cb.fn == fn && cb.arg == arg) {
            removed++;
            if (cb.drop)
                cb.drop(cb.arg);
        } else {
            t->cbs[kept++] = cb;
        }
    }
    t->ncbs = kept;
    df_task_release(t);
    return removed;
}
