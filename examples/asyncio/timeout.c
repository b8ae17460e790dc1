/* examples/asyncio/timeout.c - "timeout & timeout_at".
 *
 *     try:
 *         async with asyncio.timeout(2):
 *             task1 = asyncio.create_task(greetings('张三', 1))
 *             task2 = asyncio.create_task(greetings('李四', 2))
 *             res1 = await task1; print(res1)
 *             res2 = await task2; print(res2)
 *     except asyncio.TimeoutError:
 *         print('超时!')
 *         print(asyncio.all_tasks())
 *
 * The deadline is fixed before the tasks start their sleeps, so it comes
 * first: at 2 s the main task is cancelled at `await task2`, which cancels
 * task2 (C1), and the scope turns that into TimeoutError (TO4). task1 had
 * completed. `--at` uses timeout_at(loop.time() + 2) instead: same run.
 */
#include "examples/asyncio/common.h"

static ex_greet g[2] = { { .name = "张三", .delay_s = 1 },
                         { .name = "李四", .delay_s = 2 } };
static int use_at;

static int body(df_task **t)
{
    intptr_t res;
    int rc = 0;

    for (int i = 0; i < 2 && rc == 0; i++)
        rc = df_task_create(ex_greetings, &g[i], NULL, &t[i]);
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = df_task_await(t[i], &res);
        if (rc == 0)
            printf("%s\n", (const char *)res);
    }
    return rc;
}

static int main_task(void *arg, intptr_t *value)
{
    df_task *t[2] = { NULL, NULL };
    df_timeout *to;
    int rc;

    (void)arg;
    (void)value;
    if (use_at)
        rc = df_timeout_enter_at(df_task_time_s() + 2.0 * ex_scale, &to);
    else
        rc = df_timeout_enter(2.0 * ex_scale, &to);
    if (rc < 0)
        return rc;
    rc = df_timeout_exit(to, body(t));
    df_timeout_destroy(to);
    if (rc == -ETIMEDOUT) {
        printf("超时!\n");
        for (int i = 0; i < 2; i++)
            printf("%s: done()=%d cancelled()=%d\n", df_task_get_name(t[i]),
                   df_task_done(t[i]), df_task_cancelled(t[i]));
        rc = df_task_cancelled(t[1]) && !df_task_cancelled(t[0]) ? 0 : -EPROTO;
    }
    for (int i = 0; i < 2; i++)
        df_task_release(t[i]);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[argc - 1], "--at") == 0) {
        use_at = 1;
        argc--;
    }
    return ex_run("timeout", 2.0, main_task, argc, argv);
}
