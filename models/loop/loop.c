/* models/loop/loop.c - the coroutine event loop: ready queue, timers, epoll.
 *
 * Implementation notes.
 *
 * Handles. Every queued or timed callback is a df_loop_handle: a node of
 * the ready queue (intrusive singly linked FIFO with a tail pointer) or an
 * entry of the timer heap (timer_heap.c: it stores its heap index, so
 * cancelling a timer removes it at once). Handles come from
 * a free list refilled in chunks, and are reference counted: one reference
 * for the loop while queued, one for a caller that asked for the handle.
 * A cancelled call_soon handle stays in the queue, marked, and is skipped.
 *
 * Timers. A binary min-heap on (deadline, insertion order): equal
 * deadlines fire in insertion order (timer_heap.c). Due timers are moved to
 * the tail of the ready queue in heap order, behind what is already ready.
 *
 * Coroutines. The loop's bookkeeping for a coroutine (struct lco) lives in
 * the coroutine's user area, with two handles embedded: its step (queued to
 * resume it) and its sleep timer. Resuming therefore never allocates. A
 * coroutine is resumed only from the loop's own stack (asymmetric), which
 * the shared-stack mode needs.
 *
 * Descriptors. epoll with EPOLLONESHOT: a wait re-arms the fd with one
 * epoll_ctl (MOD, or ADD the first time or after the fd was closed and
 * reused), and the kernel disarms it when it fires, so an fd nobody waits on
 * never wakes us. One waiter per fd and direction, in a table indexed by fd.
 *
 * Jobs on a shared stack (#12). A to_thread job's argument is read by a
 * pool thread while its coroutine is suspended. On a shared stack that
 * coroutine's frames are copied out as soon as another coroutine is
 * resumed, and the other's frames take their addresses, so an argument on
 * the caller's stack would be someone else's data (or a crash). Workloads
 * keep jobs off the stack (workloads/workload.h), but a plugin can get this
 * wrong, and shared stacks are the one mode where that is not caught by
 * the caller's frame staying put. So run_job checks: a job whose argument
 * lies on the run stack pins it - the job's coroutine stays its owner until
 * the job returns, and any other coroutine's step is parked meanwhile (one
 * load and a not-taken branch in run_step otherwise). Such a job runs
 * correctly but serially; a job whose argument is on the heap (the
 * workload's state, ctx->params) leaves the loop free. A pointer to the
 * stack hidden inside a heap argument cannot be seen and is not caught.
 *
 * Other threads. call_soon_threadsafe posts to the inbox (inbox.c), which
 * writes the eventfd at most once per iteration; the loop drains it when
 * epoll reports the eventfd readable.
 *
 * Slow callbacks. With the detector on, the clock is read once between
 * consecutive handles (the end of one is the start of the next) and a handle
 * that ran >= slow_callback_ns is counted, as asyncio's debug mode logs it.
 *
 * GIL. The loop thread holds its interpreter lock while running handles and
 * releases it around epoll_wait, as CPython's selectors do.
 */
#define _GNU_SOURCE
#include "models/loop/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/trace.h"
#include "models/loop/inbox.h"
#include "models/loop/timer_heap.h"
#include "models/loop/topool.h"

#define HANDLE_CHUNK 256
#define MAX_EVENTS   256
#define EV_WAKE      UINT64_MAX /* epoll data of the eventfd */

typedef struct job job;

/* The loop's part of a coroutine: its user area. */
typedef struct lco {
    df_loop_handle step;  /* queued to resume it */
    df_loop_handle timer; /* its sleep */
    df_loop *loop;
    df_coro_fn *fn;
    void *arg;
    intptr_t wake;    /* the value df_loop_suspend returns */
    job *job;         /* the to_thread call it waits for, or NULL */
    int scheduled;    /* step is queued */
    int64_t ready_ns; /* when it was last queued; stamped only if tracing */
} lco;

struct job {
    df_topool_job tj;
    df_loop *loop;
    lco *owner; /* NULL once the waiter stopped waiting */
    int pins;   /* 1: its arg is on a shared run stack, pinned until done */
    job *next_free;
    job *next_all;
};

typedef struct fd_waiters {
    lco *rd, *wr;
    int in_epoll;
} fd_waiters;

typedef struct hchunk {
    struct hchunk *next;
    df_loop_handle h[HANDLE_CHUNK];
} hchunk;

struct df_loop {
    df_loop_cfg cfg;
    int64_t slow_ns; /* <= 0: detector off */
    df_coro_pool *pool;
    df_topool *topool;
    int epfd;
    /* Ready queue. */
    df_loop_handle *rq_head, *rq_tail;
    size_t rq_len;
    df__timer_heap timers; /* loop thread */
    /* Handles and jobs. */
    df_loop_handle *hfree;
    hchunk *hchunks;
    job *jfree, *jall;
    /* Running state (loop thread). */
    lco *current;
    lco *eager, *eager_creator; /* a spawn_eager waiting to run (run_step) */
    /* Shared stacks (#12): while pin_jobs > 0, pinned owns the run stack and
     * other coroutines' steps wait in the parked FIFO (via step.next). */
    lco *pinned;
    int pin_jobs;
    df_loop_handle *parked_head, *parked_tail;
    int stopping;
    df_gil_thread *gil_thread;
    fd_waiters *fds;
    int nfds;
    df__inbox inbox; /* other threads' posts */
    struct epoll_event ev[MAX_EVENTS];
    df_loop_stats st;
};

static const volatile int zero_breaker;
static __thread df_loop *tl_loop; /* the loop this thread is running */

static void handle_release(df_loop *loop, df_loop_handle *h);
static void enqueue(df_loop *loop, df_loop_handle *h);

/* Handles. */

static df_loop_handle *handle_get(df_loop *loop)
{
    if (!loop->hfree) {
        hchunk *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->next = loop->hchunks;
        loop->hchunks = c;
        for (int i = HANDLE_CHUNK - 1; i >= 0; i--) {
            c->h[i].next = loop->hfree;
            loop->hfree = &c->h[i];
        }
    }
    df_loop_handle *h = loop->hfree;
    loop->hfree = h->next;
    memset(h, 0, sizeof *h);
    return h;
}

static void handle_release(df_loop *loop, df_loop_handle *h)
{
    if (h->embedded || --h->refs > 0)
        return;
    h->next = loop->hfree;
    loop->hfree = h;
}

void df_loop_handle_release(df_loop *loop, df_loop_handle *h)
{
    if (h)
        handle_release(loop, h);
}

static void enqueue(df_loop *loop, df_loop_handle *h)
{
    h->state = H_READY;
    h->next = NULL;
    if (loop->rq_tail)
        loop->rq_tail->next = h;
    else
        loop->rq_head = h;
    loop->rq_tail = h;
    loop->rq_len++;
}

static df_loop_handle *new_handle(df_loop *loop,
                                  df_loop_fn *fn,
                                  void *arg,
                                  df_loop_handle **out)
{
    df_loop_handle *h = handle_get(loop);
    if (!h)
        return NULL;
    h->fn = fn;
    h->arg = arg;
    h->refs = out ? 2 : 1;
    if (out)
        *out = h;
    return h;
}

int df_loop_call_soon(df_loop *loop,
                      df_loop_fn *fn,
                      void *arg,
                      df_loop_handle **out)
{
    df_loop_handle *h = new_handle(loop, fn, arg, out);
    if (!h)
        return -ENOMEM;
    enqueue(loop, h);
    return 0;
}

int df_loop_call_at(df_loop *loop,
                    int64_t when_ns,
                    df_loop_fn *fn,
                    void *arg,
                    df_loop_handle **out)
{
    df_loop_handle *h = new_handle(loop, fn, arg, NULL);
    if (!h)
        return -ENOMEM;
    h->when_ns = when_ns;
    if (df__timer_heap_push(&loop->timers, h) < 0) {
        handle_release(loop, h);
        return -ENOMEM;
    }
    if (out) {
        h->refs++;
        *out = h;
    }
    return 0;
}

int df_loop_call_later(df_loop *loop,
                       int64_t delay_ns,
                       df_loop_fn *fn,
                       void *arg,
                       df_loop_handle **out)
{
    return df_loop_call_at(loop, df_now_ns() + delay_ns, fn, arg, out);
}

int df_loop_handle_cancel(df_loop *loop, df_loop_handle *h)
{
    if (h->cancelled)
        return 0;
    if (h->state == H_TIMER) {
        df__timer_heap_remove(&loop->timers, h);
        h->cancelled = 1;
        handle_release(loop, h); /* the heap's reference */
        return 1;
    }
    if (h->state == H_READY) {
        h->cancelled = 1; /* skipped, and released, when reached */
        return 1;
    }
    return 0;
}

int df_loop_handle_cancelled(const df_loop_handle *h)
{
    return h->cancelled;
}

/* Other threads. */

int df_loop_call_soon_threadsafe(df_loop *loop, df_loop_fn *fn, void *arg)
{
    if (tl_loop == loop)
        return df_loop_call_soon(loop, fn, arg, NULL);
    return df__inbox_post(&loop->inbox, fn, arg);
}

void df_loop_stop(df_loop *loop)
{
    loop->stopping = 1;
}

/* Coroutines. */

/* Holds l's step until the pinned run stack is free (#12). */
static void park(df_loop *loop, lco *l)
{
    l->step.state = H_READY; /* still scheduled: resume says -EALREADY */
    l->step.next = NULL;
    if (loop->parked_tail)
        loop->parked_tail->next = &l->step;
    else
        loop->parked_head = &l->step;
    loop->parked_tail = &l->step;
}

static void unpin(df_loop *loop)
{
    if (--loop->pin_jobs > 0)
        return;
    loop->pinned = NULL;
    for (df_loop_handle *h = loop->parked_head, *next; h; h = next) {
        next = h->next;
        enqueue(loop, h);
    }
    loop->parked_head = loop->parked_tail = NULL;
}

/* Resumes l until it suspends or ends. If it suspended in
 * df_loop_spawn_eager, the new coroutine's first step runs now, and then l
 * again, all inside the one handle: nothing else runs in between. */
static void run_step(df_loop *loop, lco *l)
{
    if (loop->pinned && loop->pinned != l) {
        park(loop, l);
        return;
    }
    l->scheduled = 0;
    loop->current = l;
    loop->st.switches++;
    df_coro_resume(df_coro_from_user(l));
    loop->current = NULL;
    if (loop->eager) {
        lco *child = loop->eager, *creator = loop->eager_creator;

        loop->eager = loop->eager_creator = NULL;
        run_step(loop, child);
        run_step(loop, creator);
    }
}

static void step(void *arg)
{
    lco *l = arg;

    run_step(l->loop, l);
}

static void coro_main(void *arg)
{
    df_loop *loop = arg;
    lco *l = loop->current;

    l->fn(l->arg);
}

static void timer_wake(void *arg)
{
    lco *l = arg;
    df_loop_resume(l->loop, df_coro_from_user(l), 0);
}

/* A new coroutine's record, its step not queued yet. */
static int spawn_record(df_loop *loop,
                        df_coro_fn *fn,
                        void *arg,
                        df_coro **out,
                        df_err *err)
{
    df_coro *co;
    int rc = df_coro_create(loop->pool, coro_main, loop, &co, err);
    if (rc < 0)
        return rc;
    lco *l = df_coro_user(co);
    if (!l->loop) {
        l->step.embedded = 1;
        l->timer.embedded = 1;
        l->step.fn = step;
        l->step.arg = l;
        l->timer.fn = timer_wake;
        l->timer.arg = l;
        l->loop = loop;
    }
    l->fn = fn;
    l->arg = arg;
    l->wake = 0;
    l->job = NULL;
    l->scheduled = 1;
    loop->st.spawned++;
    *out = co;
    return 0;
}

int df_loop_spawn(df_loop *loop,
                  df_coro_fn *fn,
                  void *arg,
                  df_coro **out,
                  df_err *err)
{
    df_coro *co;
    int rc = spawn_record(loop, fn, arg, &co, err);
    if (rc < 0)
        return rc;
    lco *l = df_coro_user(co);
    if (df__trace) /* the timeline's "ready" state; one load otherwise */
        l->ready_ns = df_now_ns();
    enqueue(loop, &l->step);
    if (out)
        *out = co;
    return 0;
}

int df_loop_spawn_eager(df_loop *loop,
                        df_coro_fn *fn,
                        void *arg,
                        df_coro **out,
                        df_err *err)
{
    df_coro *co;
    lco *creator = loop->current;

    if (tl_loop != loop) /* not running: CPython falls back to call_soon */
        return df_loop_spawn(loop, fn, arg, out, err);
    int rc = spawn_record(loop, fn, arg, &co, err);
    if (rc < 0)
        return rc;
    if (out)
        *out = co;  /* before fn runs: it may end and recycle co */
    if (!creator) { /* a plain callback: run the first step right here */
        run_step(loop, df_coro_user(co));
        return 0;
    }
    /* From a coroutine: coroutines never resume each other (coro.h), so
     * the creator hands the first step to run_step on the loop's stack,
     * which resumes the creator straight after. scheduled keeps a
     * df_loop_resume from queueing the creator meanwhile. */
    loop->eager = df_coro_user(co);
    loop->eager_creator = creator;
    creator->scheduled = 1;
    df_coro_yield(loop->pool);
    return 0;
}

int64_t df_loop_ready_ns(const df_loop *loop)
{
    return loop->current ? loop->current->ready_ns : 0;
}

df_coro *df_loop_current(const df_loop *loop)
{
    return loop->current ? df_coro_from_user(loop->current) : NULL;
}

intptr_t df_loop_suspend(df_loop *loop)
{
    lco *l = loop->current;
    DF_CHECK(l && "df_loop_suspend outside a coroutine of this loop");
    df_coro_yield(loop->pool);
    return l->wake;
}

int df_loop_resume(df_loop *loop, df_coro *co, intptr_t value)
{
    lco *l = df_coro_user(co);
    if (l == loop->current)
        return -EINVAL;
    if (l->scheduled)
        return -EALREADY;
    l->wake = value;
    l->scheduled = 1;
    if (df__trace)
        l->ready_ns = df_now_ns();
    enqueue(loop, &l->step);
    return 0;
}

int df_loop_resume_inline(df_loop *loop, df_coro *co, intptr_t value)
{
    lco *l = df_coro_user(co);
    DF_CHECK(!loop->current && "df_loop_resume_inline from a coroutine");
    if (l->scheduled)
        return -EALREADY;
    l->wake = value;
    run_step(loop, l);
    return 0;
}

int df_loop_sleep_ns(df_loop *loop, int64_t ns)
{
    lco *l = loop->current;
    DF_CHECK(l && "df_loop_sleep_ns outside a coroutine of this loop");
    if (ns <= 0) {
        /* asyncio.sleep(0): back of the ready queue. */
        l->wake = 0;
        l->scheduled = 1;
        if (df__trace)
            l->ready_ns = df_now_ns();
        enqueue(loop, &l->step);
        return (int)df_loop_suspend(loop);
    }
    l->timer.when_ns = df_now_ns() + ns;
    l->timer.cancelled = 0;
    if (df__timer_heap_push(&loop->timers, &l->timer) < 0)
        return -ENOMEM;
    int v = (int)df_loop_suspend(loop);
    /* Woken early by someone else: the timer must not fire later. */
    if (l->timer.state == H_TIMER)
        df__timer_heap_remove(&loop->timers, &l->timer);
    else if (l->timer.state == H_READY)
        l->timer.cancelled = 1;
    return v;
}

/* Descriptors. */

static int fd_arm(df_loop *loop, int fd)
{
    fd_waiters *w = &loop->fds[fd];
    struct epoll_event ev = { .events = EPOLLONESHOT };
    ev.data.u64 = (uint64_t)fd;
    if (w->rd)
        ev.events |= EPOLLIN;
    if (w->wr)
        ev.events |= EPOLLOUT;
    int op = w->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(loop->epfd, op, fd, &ev);
    /* The fd was closed (leaving epoll) and its number reused, or it was
     * added behind our back. */
    if (rc < 0 && errno == ENOENT && op == EPOLL_CTL_MOD)
        rc = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
    else if (rc < 0 && errno == EEXIST && op == EPOLL_CTL_ADD)
        rc = epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
    if (rc < 0)
        return -errno;
    w->in_epoll = 1;
    return 0;
}

static int fd_table_grow(df_loop *loop, int fd)
{
    if (fd < loop->nfds)
        return 0;
    int n = loop->nfds ? loop->nfds : 64;
    while (n <= fd)
        n *= 2;
    fd_waiters *t = realloc(loop->fds, (size_t)n * sizeof *t);
    if (!t)
        return -ENOMEM;
    memset(t + loop->nfds, 0, (size_t)(n - loop->nfds) * sizeof *t);
    loop->fds = t;
    loop->nfds = n;
    return 0;
}

int df_loop_wait_fd(df_loop *loop, int fd, int events)
{
    lco *l = loop->current;
    DF_CHECK(l && "df_loop_wait_fd outside a coroutine of this loop");
    if (fd < 0)
        return -EBADF;
    if (!(events & (DF_WAIT_READ | DF_WAIT_WRITE)))
        return -EINVAL;
    int rc = fd_table_grow(loop, fd);
    if (rc < 0)
        return rc;
    fd_waiters *w = &loop->fds[fd];
    if (((events & DF_WAIT_READ) && w->rd) ||
        ((events & DF_WAIT_WRITE) && w->wr))
        return -EBUSY;
    if (events & DF_WAIT_READ)
        w->rd = l;
    if (events & DF_WAIT_WRITE)
        w->wr = l;
    rc = fd_arm(loop, fd);
    if (rc < 0) {
        if (w->rd == l)
            w->rd = NULL;
        if (w->wr == l)
            w->wr = NULL;
        return rc;
    }
    int v = (int)df_loop_suspend(loop);
    w = &loop->fds[fd]; /* the table may have moved meanwhile */
    if (w->rd == l)
        w->rd = NULL;
    if (w->wr == l)
        w->wr = NULL;
    return v;
}

static void fd_ready(df_loop *loop, int fd, uint32_t revents)
{
    if (fd >= loop->nfds)
        return;
    fd_waiters *w = &loop->fds[fd];
    uint32_t err = revents & (EPOLLERR | EPOLLHUP);
    int ev = ((revents & (EPOLLIN | err)) ? DF_WAIT_READ : 0) |
             ((revents & (EPOLLOUT | err)) ? DF_WAIT_WRITE : 0);
    lco *rd = (ev & DF_WAIT_READ) ? w->rd : NULL;
    lco *wr = (ev & DF_WAIT_WRITE) ? w->wr : NULL;
    if (rd) {
        w->rd = NULL;
        if (w->wr == rd) /* one coroutine waiting both ways */
            w->wr = NULL;
        df_loop_resume(loop, df_coro_from_user(rd), ev);
        loop->st.fd_wakeups++;
    }
    if (wr && wr != rd) {
        w->wr = NULL;
        df_loop_resume(loop, df_coro_from_user(wr), DF_WAIT_WRITE);
        loop->st.fd_wakeups++;
    }
    /* One-shot: re-arm for a direction still waited on. */
    if (w->rd || w->wr)
        DF_CHECK(fd_arm(loop, fd) == 0);
}

/* to_thread. */

static void job_complete(void *arg)
{
    job *j = arg;
    df_loop *loop = j->loop;
    if (j->pins) {
        j->pins = 0;
        unpin(loop);
    }
    if (j->owner) {
        lco *l = j->owner;
        l->job = NULL;
        df_loop_resume(loop, df_coro_from_user(l), j->tj.result);
    }
    j->next_free = loop->jfree;
    loop->jfree = j;
}

/* On the pool thread. */
static void job_done(df_topool_job *tj)
{
    job *j = (job *)tj;
    DF_CHECK(df_loop_call_soon_threadsafe(j->loop, job_complete, j) == 0);
}

static int run_job(df_loop *loop,
                   df_blocking_fn *fn,
                   df_topool_py_fn *fn_py,
                   void *arg)
{
    lco *l = loop->current;
    DF_CHECK(l && "df_loop_run_blocking outside a coroutine of this loop");
    job *j = loop->jfree;
    if (j) {
        loop->jfree = j->next_free;
    } else {
        j = calloc(1, sizeof *j);
        if (!j)
            return -ENOMEM;
        j->next_all = loop->jall;
        loop->jall = j;
    }
    j->tj.fn = fn;
    j->tj.fn_py = fn_py;
    j->tj.arg = arg;
    j->tj.done = job_done;
    j->loop = loop;
    j->owner = l;
    l->job = j;
    /* #12: see "Jobs on a shared stack" above. */
    j->pins = loop->cfg.stack_kind == DF_STACK_SHARED &&
              df_coro_stack_contains(df_coro_from_user(l), arg);
    if (j->pins) {
        loop->pinned = l;
        loop->pin_jobs++;
    }
    int rc = df_topool_submit(loop->topool, &j->tj);
    if (rc < 0) {
        if (j->pins) {
            j->pins = 0;
            unpin(loop);
        }
        l->job = NULL;
        j->next_free = loop->jfree;
        loop->jfree = j;
        return rc;
    }
    loop->st.to_thread_calls++;
    int v = (int)df_loop_suspend(loop);
    if (l->job == j) {
        /* Woken before fn finished: fn runs on, its result is dropped. */
        j->owner = NULL;
        l->job = NULL;
    }
    return v;
}

int df_loop_run_blocking(df_loop *loop, df_blocking_fn *fn, void *arg)
{
    return run_job(loop, fn, NULL, arg);
}

int df_loop_run_blocking_py(df_loop *loop, df_topool_py_fn *fn, void *arg)
{
    return run_job(loop, NULL, fn, arg);
}

/* GIL. */

void df_loop_checkpoint_slow(df_loop *loop)
{
    if (loop->gil_thread)
        df_gil_checkpoint_slow(loop->cfg.gil, loop->gil_thread);
}

const volatile int *df_loop_eval_breaker(const df_loop *loop)
{
    return loop->cfg.gil ? df_gil_eval_breaker(loop->cfg.gil) : &zero_breaker;
}

/* The iteration. */

static int poll_timeout_ms(df_loop *loop, int block)
{
    if (!block || loop->rq_head || loop->stopping)
        return 0;
    if (!loop->timers.len)
        return -1;
    int64_t d = loop->timers.h[0]->when_ns - df_now_ns();
    if (d <= 0)
        return 0;
    /* Round up: waking before the deadline would only poll again. */
    int64_t ms = (d + DF_NS_PER_MS - 1) / DF_NS_PER_MS;
    return ms > DF_MS_PER_DAY ? (int)DF_MS_PER_DAY : (int)ms;
}

int df_loop_call_unawaited(df_loop *loop, df_blocking_fn *fn, void *arg)
{
    if (loop->gil_thread)
        df_gil_release(loop->cfg.gil, loop->gil_thread);
    int rc = fn(arg);
    if (loop->gil_thread)
        df_gil_acquire(loop->cfg.gil, loop->gil_thread);
    return rc;
}

static int poll_io(df_loop *loop, int timeout_ms)
{
    if (loop->gil_thread)
        df_gil_release(loop->cfg.gil, loop->gil_thread);
    int n = epoll_wait(loop->epfd, loop->ev, MAX_EVENTS, timeout_ms);
    int e = errno;
    if (loop->gil_thread)
        df_gil_acquire(loop->cfg.gil, loop->gil_thread);
    if (n < 0)
        return e == EINTR ? 0 : -e;
    for (int i = 0; i < n; i++) {
        if (loop->ev[i].data.u64 == EV_WAKE)
            df__inbox_drain(&loop->inbox, loop);
        else
            fd_ready(loop, (int)loop->ev[i].data.u64, loop->ev[i].events);
    }
    return 0;
}

static void due_timers(df_loop *loop)
{
    if (!loop->timers.len)
        return;
    int64_t now = df_now_ns();
    while (loop->timers.len && loop->timers.h[0]->when_ns <= now) {
        df_loop_handle *h = loop->timers.h[0];
        df__timer_heap_remove(&loop->timers, h);
        enqueue(loop, h);
        loop->st.timers_fired++;
    }
}

static void run_ready(df_loop *loop)
{
    size_t n = loop->rq_len; /* exactly what is ready now (asyncio L3) */
    int timing = loop->slow_ns > 0;
    int64_t t0 = timing ? df_now_ns() : 0;

    while (n--) {
        df_loop_handle *h = loop->rq_head;
        loop->rq_head = h->next;
        if (!loop->rq_head)
            loop->rq_tail = NULL;
        loop->rq_len--;
        h->state = H_IDLE;
        if (h->cancelled) {
            handle_release(loop, h);
            continue;
        }
        h->fn(h->arg);
        handle_release(loop, h);
        loop->st.callbacks++;
        if (timing) {
            int64_t t1 = df_now_ns();
            int64_t d = t1 - t0;
            if (d >= loop->slow_ns)
                loop->st.slow_callbacks++;
            if (d > loop->st.max_blocked_ns)
                loop->st.max_blocked_ns = d;
            t0 = t1;
        }
    }
}

static int iterate(df_loop *loop, int block)
{
    int rc = poll_io(loop, poll_timeout_ms(loop, block));
    if (rc < 0)
        return rc;
    due_timers(loop);
    run_ready(loop);
    loop->st.iterations++;
    return 0;
}

static int enter(df_loop *loop)
{
    int rc = df_coro_thread_init(NULL);
    if (rc < 0)
        return rc;
    if (loop->cfg.gil && !loop->gil_thread) {
        rc = df_gil_thread_register(loop->cfg.gil,
                                    loop->cfg.name ? loop->cfg.name : "loop",
                                    &loop->gil_thread);
        if (rc < 0)
            return rc;
    }
    tl_loop = loop;
    if (loop->gil_thread)
        df_gil_acquire(loop->cfg.gil, loop->gil_thread);
    return 0;
}

static void leave(df_loop *loop)
{
    if (loop->gil_thread)
        df_gil_release(loop->cfg.gil, loop->gil_thread);
    tl_loop = NULL;
}

int df_loop_run(df_loop *loop)
{
    int rc = enter(loop);
    if (rc < 0)
        return rc;
    while (rc == 0) {
        rc = iterate(loop, 1);
        if (loop->stopping)
            break;
    }
    loop->stopping = 0;
    leave(loop);
    df_coro_thread_fini(); /* run_once keeps it: it is called repeatedly */
    return rc;
}

int df_loop_run_once(df_loop *loop, int block)
{
    int rc = enter(loop);
    if (rc < 0)
        return rc;
    rc = iterate(loop, block);
    leave(loop);
    return rc;
}

int64_t df_loop_time_ns(const df_loop *loop)
{
    (void)loop;
    return df_now_ns();
}

int df_loop_is_loop_thread(const df_loop *loop)
{
    return tl_loop == loop;
}

/* Life cycle. */

int df_loop_create(const df_loop_cfg *cfg, df_loop **out, df_err *err)
{
    df_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return df_err_set(err, -ENOMEM, "loop: out of memory");
    loop->cfg = *cfg;
    loop->slow_ns = cfg->slow_callback_ns ? cfg->slow_callback_ns
                                          : DF_LOOP_DEFAULT_SLOW_CALLBACK_NS;
    loop->epfd = -1;
    df__inbox_init(&loop->inbox);
    int rc;
    df_coro_cfg cc = {
        .switch_kind = cfg->switch_kind,
        .stack_kind = cfg->stack_kind,
        .stack_size_bytes =
            (size_t)(cfg->stack_size_bytes > 0 ? cfg->stack_size_bytes : 0),
        .user_bytes = sizeof(lco),
    };
    rc = df_coro_pool_create(&cc, &loop->pool, err);
    if (rc < 0)
        goto fail;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        rc =
            df_err_set(err, -errno, "loop: epoll_create1: %s", strerror(errno));
        goto fail;
    }
    loop->inbox.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->inbox.evfd < 0) {
        rc = df_err_set(err, -errno, "loop: eventfd: %s", strerror(errno));
        goto fail;
    }
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = EV_WAKE;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->inbox.evfd, &ev) < 0) {
        rc = df_err_set(err, -errno, "loop: epoll_ctl: %s", strerror(errno));
        goto fail;
    }
    rc =
        df_topool_create(cfg->to_thread_workers, cfg->gil,
                         cfg->name ? cfg->name : "asyncio", &loop->topool, err);
    if (rc < 0)
        goto fail;
    *out = loop;
    return 0;
fail:
    df_loop_destroy(loop);
    return rc;
}

void df_loop_destroy(df_loop *loop)
{
    if (!loop)
        return;
    /* Joins the pool: running jobs finish and post their completions into
     * the threadsafe array, dropped below. */
    df_topool_destroy(loop->topool);
    df_coro_pool_destroy(loop->pool);
    for (hchunk *c = loop->hchunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    for (job *j = loop->jall, *next; j; j = next) {
        next = j->next_all;
        free(j);
    }
    df__timer_heap_fini(&loop->timers);
    free(loop->fds);
    df__inbox_fini(&loop->inbox);
    if (loop->epfd >= 0)
        close(loop->epfd);
    free(loop);
}

void df_loop_stats_get(const df_loop *loop, df_loop_stats *out)
{
    *out = loop->st;
    out->threadsafe_wakeups = df__inbox_wakeups(&loop->inbox);
    out->to_thread_workers = df_topool_workers(loop->topool);
    out->to_thread_max_workers = df_topool_max_workers(loop->topool);
    df_coro_pool_stats_get(loop->pool, &out->coro);
    out->peak_coros = out->coro.peak_live;
}
