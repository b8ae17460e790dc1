/* examples/asyncio/wait.c - "wait": several tasks, return_when, timeout.
 *
 *     aws = [asyncio.create_task(greetings('张三', 1)),
 *            asyncio.create_task(greetings('李四', 2))]
 *     done_tasks, pending_tasks = await asyncio.wait(
 *         aws, timeout=2, return_when=asyncio.FIRST_COMPLETED)
 *     print(done_tasks); print(pending_tasks)
 *
 * Returns when the first finishes, at 1 s, with one done and one pending
 * (W2); nothing is cancelled. asyncio.run then cancels the pending one.
 */
#include "examples/asyncio/common.h"

static ex_greet g[2] = { { .name = "张三", .delay_s = 1 },
                         { .name = "李四", .delay_s = 2 } };

static void print_set(df_task **set, size_t n)
{
    intptr_t res;

    printf("{");
    for (size_t i = 0; i < n; i++) {
        if (df_task_result(set[i], &res) == 0)
            printf("%s<Task finished name='%s' result='%s'>", i ? ", " : "",
                   df_task_get_name(set[i]), (const char *)res);
        else
            printf("%s<Task pending name='%s'>", i ? ", " : "",
                   df_task_get_name(set[i]));
    }
    printf("}\n");
}

static int main_task(void *arg, intptr_t *value)
{
    df_task *aws[2] = { NULL, NULL }, *done[2], *pending[2];
    size_t ndone = 0, npending = 0;
    int rc = 0;

    (void)arg;
    (void)value;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = df_task_create(ex_greetings, &g[i], NULL, &aws[i]);
    if (rc == 0)
        rc = df_wait(aws, 2, 2.0 * ex_scale, DF_FIRST_COMPLETED, done, &ndone,
                     pending, &npending);
    if (rc == 0) {
        print_set(done, ndone);
        print_set(pending, npending);
        rc = ndone == 1 && npending == 1 ? 0 : -EPROTO;
    }
    for (int i = 0; i < 2; i++)
        df_task_release(aws[i]);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("wait", 1.0, main_task, argc, argv);
}
