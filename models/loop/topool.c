/* models/loop/topool.c - the to_thread pool: a mutex, a condvar, a FIFO.
 *
 * Like concurrent.futures.ThreadPoolExecutor: a thread is started only when
 * a job arrives, no thread is idle, and fewer than max_workers exist; idle
 * threads wait on one condvar. Unlike it, the submitting (loop) thread never
 * calls pthread_create itself: a spawner thread, started with the pool,
 * creates workers when asked. Creating a thread costs 50 us natively and
 * tens of milliseconds under valgrind; asyncio's executor pays it inside
 * the loop's callback, which a testbed that counts loop stalls must not
 * add on its own (docs/ASYNCIO-IN-C.md lists this difference). Each job runs as
 * asyncio.to_thread does under a GIL: the thread takes the interpreter lock to
 * run the Python wrapper, drops it while the blocking call runs (as a C call
 * releasing the GIL would), and takes it again briefly to hand the result back.
 * A Python job (fn_py: a CPU-bound Python function given to to_thread, TH4)
 * holds the lock from start to end instead and lets go only at its checkpoints,
 * so two of them never run in parallel and the loop thread waits for the lock
 * after each poll (spec/GIL.md section 6). Jobs are rare
 * next to loop callbacks (each one is a blocking call), so a plain mutex is
 * the right tool here.
 */
#define _GNU_SOURCE
#include "models/loop/topool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DF_TOPOOL_MAX 256

struct df_topool {
    pthread_mutex_t mu;  /* guards the fields below */
    pthread_cond_t cond; /* a job was queued, or stopping */
    pthread_cond_t grow; /* the spawner: a thread is wanted, or stopping */
    df_topool_job *head, *tail;
    int idle;    /* threads waiting on cond */
    int started; /* threads created */
    int wanted;  /* threads asked of the spawner, not yet created */
    int stopping;
    pthread_t spawner;
    int named;       /* atomic: next thread number for the GIL stats */
    int max_workers; /* constant after create */
    df_gil *gil;     /* may be NULL; constant */
    char prefix[32];
    pthread_t tid[DF_TOPOOL_MAX];
};

struct df_topool_thread {
    df_gil *gil;       /* the pool's, or NULL */
    df_gil_thread *gt; /* this thread's registration, or NULL */
};

static void *worker(void *arg);
static void *spawner(void *arg);

int df_topool_default_workers(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    return cores + 4 < 32 ? (int)cores + 4 : 32;
}

int df_topool_create(int max_workers,
                     df_gil *gil,
                     const char *prefix,
                     df_topool **out,
                     df_err *err)
{
    df_topool *p = calloc(1, sizeof *p);
    if (!p)
        return df_err_set(err, -ENOMEM, "to_thread pool: out of memory");
    if (max_workers <= 0)
        max_workers = df_topool_default_workers();
    p->max_workers = max_workers > DF_TOPOOL_MAX ? DF_TOPOOL_MAX : max_workers;
    p->gil = gil;
    snprintf(p->prefix, sizeof p->prefix, "%s", prefix ? prefix : "asyncio");
    DF_CHECK(pthread_mutex_init(&p->mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&p->cond, NULL) == 0);
    DF_CHECK(pthread_cond_init(&p->grow, NULL) == 0);
    int e = pthread_create(&p->spawner, NULL, spawner, p);
    if (e != 0) {
        DF_CHECK(pthread_cond_destroy(&p->grow) == 0);
        DF_CHECK(pthread_cond_destroy(&p->cond) == 0);
        DF_CHECK(pthread_mutex_destroy(&p->mu) == 0);
        free(p);
        return df_err_set(err, -e, "to_thread pool: pthread_create: %s",
                          strerror(e));
    }
    *out = p;
    return 0;
}

void df_topool_checkpoint(df_topool_thread *th)
{
    if (th->gt)
        df_gil_checkpoint(th->gil, th->gt);
}

static void run_job(df_topool *p, df_gil_thread *gt, df_topool_job *job)
{
    if (job->fn_py) {
        df_topool_thread th = { .gil = p->gil, .gt = gt };

        if (gt)
            df_gil_acquire(p->gil, gt);
        job->result = job->fn_py(&th, job->arg);
        if (gt)
            df_gil_release(p->gil, gt);
        job->done(job);
        return;
    }
    if (gt) {
        /* The Python side of to_thread: the wrapper, then the call drops
         * the lock. */
        df_gil_acquire(p->gil, gt);
        df_gil_release(p->gil, gt);
    }
    job->result = job->fn(job->arg);
    if (gt) {
        /* Back in Python to set the future's result. */
        df_gil_acquire(p->gil, gt);
        df_gil_release(p->gil, gt);
    }
    job->done(job);
}

static void *worker(void *arg)
{
    df_topool *p = arg;
    df_gil_thread *gt = NULL;

    int n = __atomic_fetch_add(&p->named, 1, __ATOMIC_RELAXED);
    if (p->gil) {
        char name[48];
        snprintf(name, sizeof name, "%s_%d", p->prefix, n);
        DF_CHECK(df_gil_thread_register(p->gil, name, &gt) == 0);
    }
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    for (;;) {
        df_topool_job *job = p->head;
        if (!job) {
            if (p->stopping)
                break;
            p->idle++;
            DF_CHECK(pthread_cond_wait(&p->cond, &p->mu) == 0);
            p->idle--;
            continue;
        }
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
        run_job(p, gt, job);
        DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    }
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    return NULL;
}

/* With p->mu held: no thread was ever started and none can be, so nobody
 * will run the queued jobs; each ends with -e, as a failed call would. */
static void fail_queued(df_topool *p, int e)
{
    df_topool_job *job = p->head;
    p->head = p->tail = NULL;
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    while (job) {
        df_topool_job *next = job->next;
        job->result = -e;
        job->done(job);
        job = next;
    }
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
}

/* Creates the workers submit asked for, off the submitting thread. */
static void *spawner(void *arg)
{
    df_topool *p = arg;

    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    for (;;) {
        while (!p->stopping && p->wanted == 0)
            DF_CHECK(pthread_cond_wait(&p->grow, &p->mu) == 0);
        if (p->wanted == 0)
            break; /* stopping, and every job queued has its thread */
        p->wanted--;
        int slot = p->started;
        DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
        int e = pthread_create(&p->tid[slot], NULL, worker, p);
        DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
        if (e == 0)
            p->started++;
        else if (p->started == 0)
            fail_queued(p, e);
    }
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    return NULL;
}

int df_topool_submit(df_topool *p, df_topool_job *job)
{
    job->next = NULL;
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    /* Idle threads will take it; ask the spawner for one more only if none
     * is idle - asyncio's executor does the same (_adjust_thread_count),
     * but creates the thread right here, on the loop. */
    if (p->idle == 0 && p->started + p->wanted < p->max_workers) {
        p->wanted++;
        DF_CHECK(pthread_cond_signal(&p->grow) == 0);
    } else {
        DF_CHECK(pthread_cond_signal(&p->cond) == 0);
    }
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    return 0;
}

void df_topool_destroy(df_topool *p)
{
    if (!p)
        return;
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    p->stopping = 1;
    DF_CHECK(pthread_cond_broadcast(&p->grow) == 0);
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    /* After the spawner is gone, started no longer changes. */
    DF_CHECK(pthread_join(p->spawner, NULL) == 0);
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    DF_CHECK(pthread_cond_broadcast(&p->cond) == 0);
    int n = p->started;
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    for (int i = 0; i < n; i++)
        DF_CHECK(pthread_join(p->tid[i], NULL) == 0);
    DF_CHECK(pthread_cond_destroy(&p->grow) == 0);
    DF_CHECK(pthread_cond_destroy(&p->cond) == 0);
    DF_CHECK(pthread_mutex_destroy(&p->mu) == 0);
    free(p);
}

int df_topool_workers(df_topool *p)
{
    DF_CHECK(pthread_mutex_lock(&p->mu) == 0);
    int n = p->started;
    DF_CHECK(pthread_mutex_unlock(&p->mu) == 0);
    return n;
}

int df_topool_max_workers(df_topool *p)
{
    return p->max_workers;
}
