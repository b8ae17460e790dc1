/* examples/asyncio/taskgroup.c - "任务组运行: 不需要挨个 await".
 *
 *     async with asyncio.TaskGroup() as group:
 *         task1 = group.create_task(greetings('刘德华', 1))
 *         task2 = group.create_task(greetings('张学友', 2))
 *     print(task1.result()); print(task2.result())
 *
 * The block ends when the longest child does: 2 s (G2).
 */
#include "examples/asyncio/common.h"

static ex_greet a = { .name = "刘德华", .delay_s = 1 };
static ex_greet b = { .name = "张学友", .delay_s = 2 };

static int main_task(void *arg, intptr_t *value)
{
    df_taskgroup *group;
    df_task *t1 = NULL, *t2 = NULL;
    intptr_t res;
    int rc;

    (void)arg;
    (void)value;
    rc = df_taskgroup_enter(&group);
    if (rc < 0)
        return rc;
    rc = df_taskgroup_create_task(group, ex_greetings, &a, NULL, &t1);
    if (rc == 0)
        rc = df_taskgroup_create_task(group, ex_greetings, &b, NULL, &t2);
    rc = df_taskgroup_exit(group, rc);
    df_taskgroup_destroy(group);
    if (rc == 0 && df_task_result(t1, &res) == 0)
        printf("%s\n", (const char *)res);
    if (rc == 0 && df_task_result(t2, &res) == 0)
        printf("%s\n", (const char *)res);
    df_task_release(t1);
    df_task_release(t2);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("taskgroup", 2.0, main_task, argc, argv);
}
