/* examples/asyncio/to_thread.c - "在线程中运行".
 *
 *     def block_function(url):
 *         print(f'模拟爬取{url}, 阻塞开始...')
 *         time.sleep(2)
 *         print('模拟阻塞结束')
 *         return '同步函数执行成功'
 *     result = await asyncio.gather(
 *         asyncio.to_thread(block_function, 'loacalhost:5173'),
 *         asyncio.sleep(1))
 *     print(result)
 *
 * The blocking call runs on the loop's thread pool while the loop keeps
 * sleeping: 2 s, not 3.
 */
#include "examples/asyncio/common.h"

static const char *url = "loacalhost:5173";
static const char *ok_text = "同步函数执行成功";

/* Runs on a pool thread; its int result is an index into a static table,
 * since a blocking function returns an int (>= 0) in C. */
static int block_function(void *arg)
{
    printf("模拟爬取%s, 阻塞开始...\n", (const char *)arg);
    ex_block_s(2.0 * ex_scale);
    printf("模拟阻塞结束\n");
    return 0;
}

static int sleep_one(void *arg, intptr_t *value)
{
    (void)arg;
    *value = 0; /* asyncio.sleep returns None */
    return df_task_sleep(1.0 * ex_scale);
}

static int main_task(void *arg, intptr_t *value)
{
    df_task *c[2] = { NULL, NULL }, *all = NULL;
    intptr_t res;
    int rc;

    (void)arg;
    (void)value;
    printf("main函数开始执行\n");
    rc = df_task_to_thread(block_function, (void *)url, NULL, &c[0]);
    if (rc == 0)
        rc = df_task_create(sleep_one, NULL, NULL, &c[1]);
    if (rc == 0)
        rc = df_gather_create(c, 2, 0, &all);
    if (rc == 0)
        rc = df_task_await(all, &res);
    if (rc == 0) {
        const df_outcome *o = (const df_outcome *)res;

        printf("['%s', %s]\n", o[0].value == 0 ? ok_text : "?",
               o[1].status == 0 ? "None" : ex_strerror(o[1].status));
        printf("main函数执行完毕\n");
    }
    df_task_release(all);
    df_task_release(c[0]);
    df_task_release(c[1]);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("to_thread", 2.0, main_task, argc, argv);
}
