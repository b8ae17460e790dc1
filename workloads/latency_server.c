#define _GNU_SOURCE /* accept4 */
/* workloads/latency_server.c - epoll loop answering each request late.
 *
 * One thread, one epoll set: the listening socket, an eventfd to stop, a
 * timerfd, and every connection. Pending responses sit in a binary min-heap
 * ordered by due time, and the single timerfd is armed (absolute,
 * CLOCK_MONOTONIC, the clock of df_now_ns) for the earliest of them, so ten
 * thousand requests waiting cost ten thousand heap entries and no thread,
 * timer or wakeup each. With a pool limit, requests beyond it wait in a
 * FIFO and only start their delay when a slot frees, as queries do behind a
 * database connection pool.
 *
 * Connections are kept alive: after a response the connection reads its
 * next request (one at a time; bytes sent during a delay are dropped).
 * A response written more than DF_LATENCY_LATE_NS after it was due counts
 * as late: the server itself, not its configured delay, held it back.
 *
 * A client that hangs up during its delay keeps its slot until the delay
 * ends (the query still runs); its entry is freed when it comes due.
 *
 * Out of descriptors (#12). The listening socket is level-triggered, so an
 * accept failing with EMFILE while clients wait in the backlog would be
 * retried at once, forever, at 100 % CPU - and those clients would hang.
 * As libuv and libev do, the server holds one reserve descriptor: on
 * EMFILE/ENFILE it closes it, accepts the waiting client, resets it (the
 * client sees ECONNRESET: a clear error, not a hang), and opens the
 * reserve again. When even that cannot work (the reserve was taken by
 * another thread of the process, or accept fails for lack of memory), the
 * listening socket leaves the epoll set until a connection closes or
 * ACCEPT_PAUSE_MS pass: no spin either way, and serving resumes as soon
 * as descriptors are free.
 *
 * Started before a fork (#18). A workload's setup starts the server, and
 * the process model forks its workers right after. A thread still in its
 * start-up when the process forks may hold a lock of the C runtime that
 * the child then finds taken forever: GCC 12's AddressSanitizer takes its
 * allocator and thread registry locks in a new thread's start and does
 * not reset them in the child, and a worker hung in its first malloc or
 * pthread_create (1 point in 6 under ASan; 4 children in 4,000 forks in a
 * reduced C program, 0 with the fix). So start returns only once the
 * thread has reached its loop (ready_fd): from then on, until a client
 * connects, it sits in epoll_wait and holds nothing.
 */
#include "workloads/latency_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/clock.h"

#define MAX_EVENTS      64
#define ACCEPT_PAUSE_MS 10 /* retry accept this often while it cannot work */

enum conn_state { READING, QUEUED, SERVING };

typedef struct conn {
    int fd;  /* -1 once the client is gone */
    int got; /* request bytes received */
    enum conn_state state;
    int64_t due_ns; /* SERVING: when to answer */
    unsigned char req[DF_LATENCY_REQUEST_BYTES];
    struct conn *next_queued;
    struct conn *prev, *next; /* every live conn, for stop */
} conn;

struct df_latency_server {
    df_latency_server_cfg cfg;
    struct sockaddr_in addr;
    pthread_t thread;
    int listen_fd, epoll_fd, timer_fd, stop_fd;
    int ready_fd; /* eventfd: the thread reached its loop; start only */
    /* Server thread only. */
    int reserve_fd;          /* /dev/null kept for EMFILE; -1 while spent */
    int accept_paused;       /* listen_fd is out of the epoll set */
    int fd_freed;            /* a connection closed since the pause */
    int64_t accept_retry_ns; /* paused: try accepting again from then */
    conn **heap;             /* min-heap on due_ns */
    size_t heap_len, heap_cap;
    conn *queue_head, *queue_tail; /* waiting for a pool slot */
    conn *all;
    int serving;
    uint64_t rng;
    /* Atomic, written by the server thread, read by anyone. */
    int64_t connections, requests, responses, max_serving, rejected, late;
    int64_t lag_ns;
};

static void count(int64_t *c, int64_t d)
{
    __atomic_add_fetch(c, d, __ATOMIC_RELAXED);
}

static void heap_swap(conn **h, size_t a, size_t b)
{
    conn *t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static int heap_push(df_latency_server *s, conn *c)
{
    if (s->heap_len == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        conn **h = realloc(s->heap, cap * sizeof *h);
        if (!h)
            return -ENOMEM;
        s->heap = h;
        s->heap_cap = cap;
    }
    size_t i = s->heap_len++;
    s->heap[i] = c;
    while (i > 0 && s->heap[(i - 1) / 2]->due_ns > s->heap[i]->due_ns) {
        heap_swap(s->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return 0;
}

static conn *heap_pop(df_latency_server *s)
{
    conn *top = s->heap[0];
    size_t i = 0;

    s->heap[0] = s->heap[--s->heap_len];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len && s->heap[l]->due_ns < s->heap[m]->due_ns)
            m = l;
        if (r < s->heap_len && s->heap[r]->due_ns < s->heap[m]->due_ns)
            m = r;
        if (m == i)
            break;
        heap_swap(s->heap, i, m);
        i = m;
    }
    return top;
}

/* Leaves epoll explicitly: a worker forked while c was open holds a copy
 * of the descriptor, and epoll forgets a file only when every copy is
 * closed - events for a freed conn would follow. shutdown() sends the FIN
 * despite such copies, so the client sees EOF. */
static void conn_close_fd(df_latency_server *s, conn *c)
{
    DF_CHECK(epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL) == 0);
    /* ENOTCONN after a reset by the peer is fine: nothing left to end. */
    (void)shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    c->fd = -1;
    s->fd_freed = 1;
    if (s->reserve_fd < 0)
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void conn_free(df_latency_server *s, conn *c)
{
    if (c->fd >= 0)
        conn_close_fd(s, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

/* The client went away: free now unless a heap or queue still points at c. */
static void conn_drop(df_latency_server *s, conn *c)
{
    if (c->state == READING) {
        conn_free(s, c);
        return;
    }
    conn_close_fd(s, c);
}

static int64_t next_delay_ns(df_latency_server *s)
{
    int64_t d = s->cfg.delay_ns, j = s->cfg.jitter_ns;

    if (j <= 0)
        return d;
    /* xorshift64*: cheap, and only this thread draws from it. */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    uint64_t r = s->rng * 2685821657736338717ULL;
    d += (int64_t)(r % (uint64_t)(2 * j + 1)) - j;
    return d > 0 ? d : 0;
}

static void serve(df_latency_server *s, conn *c, int64_t now)
{
    c->state = SERVING;
    c->due_ns = now + next_delay_ns(s);
    s->serving++;
    if (s->serving > s->max_serving)
        __atomic_store_n(&s->max_serving, s->serving, __ATOMIC_RELAXED);
    if (heap_push(s, c) < 0) {
        s->serving--;
        conn_free(s, c); /* out of memory: the client sees a reset */
    }
}

static void request_complete(df_latency_server *s, conn *c)
{
    count(&s->requests, 1);
    if (s->cfg.pool > 0 && s->serving >= s->cfg.pool) {
        c->state = QUEUED;
        c->next_queued = NULL;
        if (s->queue_tail)
            s->queue_tail->next_queued = c;
        else
            s->queue_head = c;
        s->queue_tail = c;
        return;
    }
    serve(s, c, df_now_ns());
}

static void respond(df_latency_server *s, conn *c, int64_t now)
{
    if (now - c->due_ns > DF_LATENCY_LATE_NS)
        count(&s->late, 1);
    count(&s->lag_ns, now > c->due_ns ? now - c->due_ns : 0);
    if (c->fd >= 0) {
        /* 8 bytes into an empty socket buffer: never EAGAIN in practice,
         * and a client that cannot take them gets a reset. */
        ssize_t w;
        do {
            w = write(c->fd, c->req, DF_LATENCY_RESPONSE_BYTES);
        } while (w < 0 && errno == EINTR);
        if (w == DF_LATENCY_RESPONSE_BYTES) {
            count(&s->responses, 1);
            /* Keep-alive: the connection waits for its next request. */
            c->state = READING;
            c->got = 0;
            return;
        }
    }
    conn_free(s, c);
}

static void arm_timer(df_latency_server *s)
{
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };

    if (s->heap_len > 0) {
        int64_t due = s->heap[0]->due_ns;
        if (due <= 0)
            due = 1; /* zero would disarm */
        its.it_value.tv_sec = due / DF_NS_PER_S;
        its.it_value.tv_nsec = due % DF_NS_PER_S;
    }
    DF_CHECK(timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
}

static void fire_due(df_latency_server *s)
{
    uint64_t ticks;
    int64_t now = df_now_ns();

    /* EAGAIN when the timer was re-armed since it fired: nothing to do. */
    if (read(s->timer_fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
        DF_CHECK(errno == EINTR);
    while (s->heap_len > 0 && s->heap[0]->due_ns <= now) {
        respond(s, heap_pop(s), now);
        s->serving--;
        while (s->queue_head &&
               (s->cfg.pool <= 0 || s->serving < s->cfg.pool)) {
            conn *q = s->queue_head;
            s->queue_head = q->next_queued;
            if (!s->queue_head)
                s->queue_tail = NULL;
            if (q->fd < 0)
                conn_free(s, q); /* gave up while queued */
            else
                serve(s, q, now);
        }
        now = df_now_ns();
    }
    arm_timer(s);
}

static void on_readable(df_latency_server *s, conn *c)
{
    unsigned char scratch[64];

    for (;;) {
        unsigned char *dst = scratch;
        size_t want = sizeof scratch;
        if (c->state == READING) {
            dst = c->req + c->got;
            want = DF_LATENCY_REQUEST_BYTES - (size_t)c->got;
        }
        ssize_t r = read(c->fd, dst, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            conn_drop(s, c);
            return;
        }
        if (c->state != READING)
            continue; /* bytes past the request are ignored */
        c->got += (int)r;
        if (c->got == DF_LATENCY_REQUEST_BYTES) {
            request_complete(s, c);
            if (s->heap_len > 0 && s->heap[0] == c)
                arm_timer(s);
            return;
        }
    }
}

/* EMFILE/ENFILE: spends the reserve descriptor on the first waiting
 * client and resets it. 1: one refused; 0: nobody was waiting; -1: not
 * possible now (no reserve, or accept failed even so). */
static int refuse_one(df_latency_server *s)
{
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    int fd;

    if (s->reserve_fd < 0)
        return -1;
    close(s->reserve_fd);
    do {
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    int e = errno;
    if (fd >= 0) {
        /* An RST, not a FIN: the client's read fails with ECONNRESET
         * instead of looking like a short response. */
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(fd);
        count(&s->rejected, 1);
    }
    /* -1 if another thread took the slot: conn_close_fd tries again. */
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        return 1;
    return e == EAGAIN || e == EWOULDBLOCK ? 0 : -1;
}

/* Takes listen_fd out of the epoll set until a connection closes or
 * ACCEPT_PAUSE_MS pass (resume_accept). */
static void pause_accept(df_latency_server *s)
{
    struct epoll_event ev = { .events = 0, .data.ptr = &s->listen_fd };

    DF_CHECK(epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0);
    s->accept_paused = 1;
    s->fd_freed = 0;
    s->accept_retry_ns = df_now_ns() + ACCEPT_PAUSE_MS * 1000000LL;
}

static void resume_accept(df_latency_server *s)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listen_fd };

    if (!s->accept_paused || (!s->fd_freed && df_now_ns() < s->accept_retry_ns))
        return;
    DF_CHECK(epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0);
    s->accept_paused = 0;
}

static void on_accept(df_latency_server *s)
{
    for (;;) {
        int fd =
            accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK)
                return; /* all taken */
            if (e == EINTR || e == ECONNABORTED)
                continue; /* that client gave up; others may wait */
            if (e == EMFILE || e == ENFILE) {
                int r = refuse_one(s);
                if (r > 0)
                    continue;
                if (r == 0)
                    return;
            }
            /* Retrying now would spin: see the notes at the top. */
            pause_accept(s);
            return;
        }
        conn *c = calloc(1, sizeof *c);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (!c || epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->next = s->all;
        if (s->all)
            s->all->prev = c;
        s->all = c;
        count(&s->connections, 1);
    }
}

static void *server_main(void *arg)
{
    df_latency_server *s = arg;
    struct epoll_event evs[MAX_EVENTS];
    uint64_t one = 1;

    /* Start-up is over: start may return (see the notes at the top). */
    DF_CHECK(write(s->ready_fd, &one, sizeof one) == sizeof one);
    for (;;) {
        int timeout_ms = s->accept_paused ? ACCEPT_PAUSE_MS : -1;
        int n = epoll_wait(s->epoll_fd, evs, MAX_EVENTS, timeout_ms);
        if (n < 0) {
            DF_CHECK(errno == EINTR);
            continue;
        }
        resume_accept(s);
        /* Connections first: on_readable frees at most its own conn, and
         * each conn has one event per batch, whereas fire_due may free any
         * conn whose response is due - and one of those could still have
         * an event further down this batch. */
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p != &s->listen_fd && p != &s->timer_fd && p != &s->stop_fd)
                on_readable(s, p);
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &s->stop_fd)
                return NULL;
            if (p == &s->listen_fd)
                on_accept(s);
            else if (p == &s->timer_fd)
                fire_due(s);
        }
    }
}

static int add_fd(df_latency_server *s, int fd, void *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

    return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_fds(df_latency_server *s, df_err *err)
{
    socklen_t len = sizeof s->addr;
    int one = 1;

    s->listen_fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0)
        return df_err_set(err, -errno, "latency server: socket: %s",
                          strerror(errno));
    s->addr.sin_family = AF_INET;
    s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) <
            0 ||
        bind(s->listen_fd, (struct sockaddr *)&s->addr, sizeof s->addr) < 0 ||
        listen(s->listen_fd, 4096) < 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&s->addr, &len) < 0)
        return df_err_set(err, -errno, "latency server: 127.0.0.1: %s",
                          strerror(errno));
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->ready_fd = eventfd(0, EFD_CLOEXEC); /* blocking: start waits on it */
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (s->epoll_fd < 0 || s->timer_fd < 0 || s->stop_fd < 0 ||
        s->ready_fd < 0 || s->reserve_fd < 0)
        return df_err_set(err, -errno, "latency server: %s", strerror(errno));
    int rc = add_fd(s, s->listen_fd, &s->listen_fd);
    if (rc == 0)
        rc = add_fd(s, s->timer_fd, &s->timer_fd);
    if (rc == 0)
        rc = add_fd(s, s->stop_fd, &s->stop_fd);
    if (rc < 0)
        return df_err_set(err, rc, "latency server: epoll: %s", strerror(-rc));
    return 0;
}

static void close_fds(df_latency_server *s)
{
    int *fds[] = { &s->listen_fd, &s->epoll_fd, &s->timer_fd,
                   &s->stop_fd,   &s->ready_fd, &s->reserve_fd };

    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

/* Returns once the thread has reached its loop: nobody forks while it is
 * starting (see the notes at the top). */
static void wait_ready(df_latency_server *s)
{
    uint64_t v;
    ssize_t r;

    do {
        r = read(s->ready_fd, &v, sizeof v);
    } while (r < 0 && errno == EINTR);
    DF_CHECK(r == sizeof v);
}

int df_latency_server_start(const df_latency_server_cfg *cfg,
                            df_latency_server **out,
                            df_err *err)
{
    df_latency_server *s;
    sigset_t all, old;
    int rc;

    if (cfg->delay_ns < 0 || cfg->jitter_ns < 0 || cfg->pool < 0)
        return df_err_set(err, -EINVAL, "latency server: negative setting");
    s = calloc(1, sizeof *s);
    if (!s)
        return df_err_set(err, -ENOMEM, "latency server: out of memory");
    s->cfg = *cfg;
    s->rng = 0x9E3779B97F4A7C15ULL;
    s->listen_fd = s->epoll_fd = s->timer_fd = s->stop_fd = -1;
    s->ready_fd = s->reserve_fd = -1;
    rc = open_fds(s, err);
    if (rc < 0)
        goto fail;
    /* The thread takes no signals: they belong to the harness's threads. */
    sigfillset(&all);
    DF_CHECK(pthread_sigmask(SIG_SETMASK, &all, &old) == 0);
    rc = -pthread_create(&s->thread, NULL, server_main, s);
    DF_CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
    if (rc < 0) {
        df_err_set(err, rc, "latency server: thread: %s", strerror(-rc));
        goto fail;
    }
    wait_ready(s);
    *out = s;
    return 0;

fail:
    close_fds(s);
    free(s);
    return rc;
}

void df_latency_server_stop(df_latency_server *s)
{
    uint64_t one = 1;

    if (!s)
        return;
    DF_CHECK(write(s->stop_fd, &one, sizeof one) == sizeof one);
    DF_CHECK(pthread_join(s->thread, NULL) == 0);
    while (s->all)
        conn_free(s, s->all);
    free(s->heap);
    close_fds(s);
    free(s);
}

struct sockaddr_in df_latency_server_addr(const df_latency_server *s)
{
    return s->addr;
}

void df_latency_server_counts_get(const df_latency_server *s,
                                  df_latency_server_counts *out)
{
    out->connections = __atomic_load_n(&s->connections, __ATOMIC_RELAXED);
    out->requests = __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
    out->responses = __atomic_load_n(&s->responses, __ATOMIC_RELAXED);
    out->max_serving = __atomic_load_n(&s->max_serving, __ATOMIC_RELAXED);
    out->rejected = __atomic_load_n(&s->rejected, __ATOMIC_RELAXED);
    out->late = __atomic_load_n(&s->late, __ATOMIC_RELAXED);
    out->lag_ns = __atomic_load_n(&s->lag_ns, __ATOMIC_RELAXED);
}
