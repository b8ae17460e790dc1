/* examples/asyncio/gather.c - "asyncio.gather: 将多个协程并发执行".
 *
 *     results = await asyncio.gather(greetings('刘德华', 1),
 *                                    greetings('张学友', 2),
 *                                    return_exceptions=True)
 *     print(results)
 *
 * Results in argument order (GA2), after the longest child: 2 s.
 */
#include "examples/asyncio/common.h"

static ex_greet g[2] = { { .name = "刘德华", .delay_s = 1 },
                         { .name = "张学友", .delay_s = 2 } };

static int main_task(void *arg, intptr_t *value)
{
    df_task *children[2] = { NULL, NULL }, *all = NULL;
    intptr_t res;
    int rc = 0;

    (void)arg;
    (void)value;
    for (int i = 0; i < 2 && rc == 0; i++) /* gather wraps coroutines */
        rc = df_task_create(ex_greetings, &g[i], NULL, &children[i]);
    if (rc == 0)
        rc = df_gather_create(children, 2, 1, &all);
    if (rc == 0)
        rc = df_task_await(all, &res);
    if (rc == 0) {
        const df_outcome *o = (const df_outcome *)res;

        printf("[");
        for (int i = 0; i < 2; i++) {
            if (o[i].status == 0)
                printf("%s'%s'", i ? ", " : "", (const char *)o[i].value);
            else
                printf("%s%s()", i ? ", " : "", ex_strerror(o[i].status));
        }
        printf("]\n");
    }
    df_task_release(all);
    for (int i = 0; i < 2; i++)
        df_task_release(children[i]);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("gather", 2.0, main_task, argc, argv);
}
