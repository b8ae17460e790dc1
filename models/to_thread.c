/* models/to_thread.c - asyncio.to_thread as a task (TH1-TH3).
 *
 * Python's to_thread is a coroutine, and gather() wraps it in a task; here
 * it is that task directly: its body hands fn to the loop's pool
 * (df_loop_run_blocking) and waits. Cancelling the task ends the wait; fn
 * cannot be interrupted and runs to its end on its worker (TH3).
 */
#include "models/task.h"

#include <errno.h>
#include <stdlib.h>

#include "models/task_private.h"

typedef struct call {
    df_blocking_fn *fn;
    void *arg;
} call;

static int to_thread_body(void *arg, intptr_t *value)
{
    call *c = arg;
    int rc = df_task_run_blocking(c->fn, c->arg);

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

int df_task_to_thread(df_blocking_fn *fn,
                      void *arg,
                      const char *name,
                      df_task **out)
{
    call *c = malloc(sizeof(*c));
    int rc;

    if (!c)
        return -ENOMEM;
    c->fn = fn;
    c->arg = arg;
    rc = df_task_create(to_thread_body, c, name, out);
    if (rc < 0) {
        free(c);
        return rc;
    }
    (*out)->ops = &to_thread_ops;
    (*out)->data = c;
    return 0;
}
