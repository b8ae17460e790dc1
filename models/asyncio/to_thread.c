/* models/asyncio/to_thread.c - asyncio.to_thread as a task (TH1-TH3).
 *
 * Python's to_thread is a coroutine, and gather() wraps it in a task; here
 * it is that task directly: its body hands fn to the loop's pool
 * (df_loop_run_blocking) and waits. Cancelling the task ends the wait; fn
 * cannot be interrupted and runs to its end on its worker (TH3). The _py
 * variant runs a Python function, which holds the GIL as it runs (TH4).
 */
#include "models/asyncio/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/asyncio/task_private.h"

typedef struct call {
    df_blocking_fn *fn; /* one of fn and fn_py is set */
    df_py_fn *fn_py;
    void *arg;
} call;

static int to_thread_body(void *arg, intptr_t *value)
{
    call *c = arg;
    int rc = c->fn ? df_task_run_blocking(c->fn, c->arg)
                   : df_task_run_blocking_py(c->fn_py, c->arg);

    if (rc < 0)
        return rc;
    *value = rc;
    return 0;
}

static void call_free(df_task *t)
{
    free(t->data);
}

/* Only free_data: a task's cancel is the task's own. */
static const df__fut_ops to_thread_ops = { .free_data = call_free };

static int to_thread_create(call *c, const char *name, df_task **out)
{
    int rc;

    if (!c)
        return -ENOMEM;
    rc = df_task_create(to_thread_body, c, name, out);
    if (rc < 0) {
        free(c);
        return rc;
    }
    (*out)->ops = &to_thread_ops;
    (*out)->data = c;
    return 0;
}

int df_task_to_thread(df_blocking_fn *fn,
                      void *arg,
                      const char *name,
                      df_task **out)
{
    call *c = malloc(sizeof(*c));

    if (c)
        *c = (call){ .fn = fn, .arg = arg };
    return to_thread_create(c, name, out);
}

int df_task_to_thread_py(df_py_fn *fn,
                         void *arg,
                         const char *name,
                         df_task **out)
{
    call *c = malloc(sizeof(*c));

    if (c)
        *c = (call){ .fn_py = fn, .arg = arg };
    return to_thread_create(c, name, out);
}
