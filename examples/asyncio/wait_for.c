/* examples/asyncio/wait_for.c - "wait_for": one awaitable, a time limit.
 *
 *     try:
 *         result = await asyncio.wait_for(greetings('张三', 3), 2)
 *         print(result)
 *     except asyncio.TimeoutError:
 *         print('任务超时')
 *         print(f"当前任务:{asyncio.all_tasks()}")
 *
 * At 2 s the inner task is cancelled, waited for, and wait_for reports
 * TimeoutError (WF2); only the main task is left.
 */
#include "examples/asyncio/common.h"

static ex_greet g = { .name = "张三", .delay_s = 3 };

static void print_all_tasks(void)
{
    df_task *tasks[8];
    size_t n = df_task_all(tasks, 8);

    printf("当前任务:{");
    for (size_t i = 0; i < n && i < 8; i++)
        printf("%s<Task pending name='%s'>", i ? ", " : "",
               df_task_get_name(tasks[i]));
    printf("}\n");
}

static int main_task(void *arg, intptr_t *value)
{
    df_task *t;
    intptr_t res;
    int rc;

    (void)arg;
    (void)value;
    rc = df_task_create(ex_greetings, &g, NULL, &t);
    if (rc < 0)
        return rc;
    rc = df_wait_for(t, 2.0 * ex_scale, &res);
    if (rc == 0) {
        printf("%s\n", (const char *)res);
    } else if (rc == -ETIMEDOUT) {
        printf("任务超时\n");
        printf("inner task %s: cancelled()=%d\n", df_task_get_name(t),
               df_task_cancelled(t));
        print_all_tasks();
        rc = df_task_cancelled(t) ? 0 : -EPROTO;
    }
    df_task_release(t);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("wait_for", 2.0, main_task, argc, argv);
}
