/* examples/asyncio/await_create_task.c - "错误写法: 还是会消耗3秒".
 *
 *     res1 = await asyncio.create_task(greetings('刘德华', 1)); print(res1)
 *     res2 = await asyncio.create_task(greetings('张学友', 2)); print(res2)
 *
 * The second task is created only after the first finished: 3 s (S5).
 */
#include "examples/asyncio/common.h"

static ex_greet a = { .name = "刘德华", .delay_s = 1 };
static ex_greet b = { .name = "张学友", .delay_s = 2 };

static int create_and_await(ex_greet *g)
{
    df_task *t;
    intptr_t res;
    int rc = df_task_create(ex_greetings, g, NULL, &t);

    if (rc < 0)
        return rc;
    rc = df_task_await(t, &res);
    if (rc == 0)
        printf("%s\n", (const char *)res);
    df_task_release(t);
    return rc;
}

static int main_task(void *arg, intptr_t *value)
{
    int rc;

    (void)arg;
    (void)value;
    rc = create_and_await(&a);
    return rc < 0 ? rc : create_and_await(&b);
}

int main(int argc, char **argv)
{
    return ex_run("await_create_task", 3.0, main_task, argc, argv);
}
