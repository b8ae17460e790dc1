/* examples/asyncio/task_methods.c - "Task对象的常用函数" and a done
 * callback with an argument.
 *
 *     def my_callback(tag, future):
 *         print('任务执行完毕, 开始自动调用回调函数 my_callback')
 *         print(f'任务执行的结果是: {future.result()}')
 *         print(f'调用标签是: {tag}')
 *         print('回调函数 my_callback 执行完毕')
 *     task = asyncio.create_task(greetings('刘德华', 1))
 *     task.add_done_callback(partial(my_callback, '刘德华'))
 *     await task
 *
 * functools.partial becomes the callback's void *arg. Also shows done(),
 * cancelled(), result() before and after, exception(), get_name() and
 * cancel() on a second task. 1 s.
 */
#include "examples/asyncio/common.h"

static ex_greet g = { .name = "刘德华", .delay_s = 1 };
static ex_greet other = { .name = "张学友", .delay_s = 2 };

static void my_callback(df_task *future, void *tag)
{
    intptr_t res = 0;

    printf("任务执行完毕, 开始自动调用回调函数 my_callback\n");
    if (df_task_result(future, &res) == 0)
        printf("任务执行的结果是: %s\n", (const char *)res);
    printf("调用标签是: %s\n", (const char *)tag);
    printf("回调函数 my_callback 执行完毕\n");
}

static int main_task(void *arg, intptr_t *value)
{
    df_task *task, *t2;
    intptr_t res;
    int rc;

    (void)arg;
    (void)value;
    rc = df_task_create(ex_greetings, &g, NULL, &task);
    if (rc < 0)
        return rc;
    rc = df_task_create(ex_greetings, &other, "other", &t2);
    if (rc < 0) {
        df_task_release(task);
        return rc;
    }
    df_task_add_done_callback(task, my_callback, (void *)"刘德华");
    printf("get_name(): %s, done(): %d, result(): %s\n", df_task_get_name(task),
           df_task_done(task),
           df_task_result(task, &res) == -EAGAIN ? "InvalidStateError" : "?");
    printf("cancel() on %s: %d\n", df_task_get_name(t2),
           df_task_cancel(t2, "not needed"));
    rc = df_task_await(task, &res);
    printf("done(): %d, cancelled(): %d, exception(): %s\n", df_task_done(task),
           df_task_cancelled(task),
           df_task_exception(task) == 0 ? "None" : "set");
    /* The callback runs in the next iteration, not inline (F3). */
    df_task_sleep(0);
    printf("%s: done(): %d, cancelled(): %d\n", df_task_get_name(t2),
           df_task_done(t2), df_task_cancelled(t2));
    df_task_release(task);
    df_task_release(t2);
    return rc;
}

int main(int argc, char **argv)
{
    return ex_run("task_methods", 1.0, main_task, argc, argv);
}
