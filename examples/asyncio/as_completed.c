/* examples/asyncio/as_completed.c - "as_completed: 返回迭代器".
 *
 *     aws = [greetings('刘德华', 1), greetings('张学友', 2)]
 *     for coro in asyncio.as_completed(aws, timeout=3):
 *         res = await coro
 *         print(res)
 *
 * Results in completion order (AC1); both finish before the 3 s timeout,
 * so the loop ends with the longest: 2 s.
 */
#include "examples/asyncio/common.h"

static ex_greet g[2] = { { .name = "刘德华", .delay_s = 1 },
                         { .name = "张学友", .delay_s = 2 } };

static int main_task(void *arg, intptr_t *value)
{
    df_task *aws[2] = { NULL, NULL };
    df_as_completed *it = NULL;
    intptr_t res;
    int rc = 0;

    (void)arg;
    (void)value;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = df_task_create(ex_greetings, &g[i], NULL, &aws[i]);
    if (rc == 0)
        rc = df_as_completed_create(aws, 2, 3.0 * ex_scale, &it);
    while (rc == 0 && df_as_completed_left(it) > 0) {
        rc = df_as_completed_next(it, &res, NULL);
        if (rc == 0)
            printf("%s\n", (const char *)res);
        else
            printf("%s\n", ex_strerror(rc));
    }
    df_as_completed_destroy(it);
    for (int i = 0; i < 2; i++)
        df_task_release(aws[i]);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("as_completed", 2.0, main_task, argc, argv);
}
