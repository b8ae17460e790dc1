/* examples/asyncio/sequential.c - "同步运行: 耗时3秒": two awaits in a row.
 *
 *     res1 = await greetings(name='刘德华', delay=1); print(res1)
 *     res2 = await greetings(name='张学友', delay=2); print(res2)
 *
 * Awaiting a coroutine runs it inline (S2): in C, a plain call. 3 s (S3).
 */
#include "examples/asyncio/common.h"

static ex_greet a = { .name = "刘德华", .delay_s = 1 };
static ex_greet b = { .name = "张学友", .delay_s = 2 };

static int main_task(void *arg, intptr_t *value)
{
    intptr_t res;
    int rc;

    (void)arg;
    (void)value;
    rc = ex_greetings(&a, &res);
    if (rc < 0)
        return rc;
    printf("%s\n", (const char *)res);
    rc = ex_greetings(&b, &res);
    if (rc < 0)
        return rc;
    printf("%s\n", (const char *)res);
    return 0;
}

int main(int argc, char **argv)
{
    return ex_run("sequential", 3.0, main_task, argc, argv);
}
