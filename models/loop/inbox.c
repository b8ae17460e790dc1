/* models/loop/inbox.c - the loop's inbox: callbacks posted from other threads.
 *
 * call_soon_threadsafe appends to a mutex-guarded array and writes the
 * eventfd only if no wake-up is pending yet (an atomic flag the loop clears
 * before it takes the array), so a burst of posts costs one write per
 * iteration. The loop swaps the array for a spare one under the lock, so
 * producers never wait while it enqueues. The coroutine model keeps
 * requests off this path with its own lock-free ring (coroutine.c).
 */
#include "models/loop/inbox.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void df__inbox_init(df__inbox *ib)
{
    DF_CHECK(pthread_mutex_init(&ib->mu, NULL) == 0);
    ib->evfd = -1;
}

void df__inbox_fini(df__inbox *ib)
{
    free(ib->in);
    free(ib->out);
    if (ib->evfd >= 0)
        close(ib->evfd);
    DF_CHECK(pthread_mutex_destroy(&ib->mu) == 0);
}

int df__inbox_post(df__inbox *ib, df_loop_fn *fn, void *arg)
{
    DF_CHECK(pthread_mutex_lock(&ib->mu) == 0);
    if (ib->len == ib->cap) {
        size_t cap = ib->cap ? 2 * ib->cap : 256;
        df__inbox_item *n = realloc(ib->in, cap * sizeof *n);
        if (!n) {
            DF_CHECK(pthread_mutex_unlock(&ib->mu) == 0);
            return -ENOMEM;
        }
        ib->in = n;
        ib->cap = cap;
    }
    ib->in[ib->len++] = (df__inbox_item){ fn, arg };
    DF_CHECK(pthread_mutex_unlock(&ib->mu) == 0);
    /* One write per iteration at most: the loop clears the flag before it
     * takes the array, so a post after that writes again. */
    if (!__atomic_exchange_n(&ib->pending, 1, __ATOMIC_SEQ_CST)) {
        uint64_t one = 1;
        ssize_t w;
        do
            w = write(ib->evfd, &one, sizeof one);
        while (w < 0 && errno == EINTR);
        DF_CHECK(w == sizeof one || errno == EAGAIN);
        __atomic_add_fetch(&ib->wakeups, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

void df__inbox_drain(df__inbox *ib, df_loop *loop)
{
    uint64_t v;
    ssize_t r;
    do
        r = read(ib->evfd, &v, sizeof v);
    while (r < 0 && errno == EINTR);
    __atomic_store_n(&ib->pending, 0, __ATOMIC_SEQ_CST);

    /* Swap buffers so producers never wait on the loop's enqueueing. */
    DF_CHECK(pthread_mutex_lock(&ib->mu) == 0);
    df__inbox_item *batch = ib->in;
    size_t n = ib->len;
    ib->in = ib->out;
    size_t cap = ib->cap;
    ib->cap = ib->out_cap;
    ib->len = 0;
    DF_CHECK(pthread_mutex_unlock(&ib->mu) == 0);
    ib->out = batch;
    ib->out_cap = cap;
    for (size_t i = 0; i < n; i++)
        DF_CHECK(df_loop_call_soon(loop, batch[i].fn, batch[i].arg, NULL) == 0);
}

uint64_t df__inbox_wakeups(const df__inbox *ib)
{
    return __atomic_load_n(&ib->wakeups, __ATOMIC_RELAXED);
}
