/* examples/asyncio/create_then_await.c - "并发运行: 耗时2秒".
 *
 *     task1 = asyncio.create_task(greetings('刘德华', 1))
 *     task2 = asyncio.create_task(greetings('张学友', 2))
 *     res1 = await task1; print(res1)
 *     res2 = await task2; print(res2)
 *
 * Both tasks exist before the first await, so they sleep together (S4).
 */
#include "examples/asyncio/common.h"

static ex_greet a = { .name = "刘德华", .delay_s = 1 };
static ex_greet b = { .name = "张学友", .delay_s = 2 };

static int main_task(void *arg, intptr_t *value)
{
    df_task *t1, *t2;
    intptr_t res;
    int rc;

    (void)arg;
    (void)value;
    rc = df_task_create(ex_greetings, &a, NULL, &t1);
    if (rc < 0)
        return rc;
    rc = df_task_create(ex_greetings, &b, NULL, &t2);
    if (rc < 0) {
        df_task_release(t1);
        return rc;
    }
    rc = df_task_await(t1, &res);
    if (rc == 0) {
        printf("%s\n", (const char *)res);
        rc = df_task_await(t2, &res);
    }
    if (rc == 0)
        printf("%s\n", (const char *)res);
    df_task_release(t1);
    df_task_release(t2);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("create_then_await", 2.0, main_task, argc, argv);
}
