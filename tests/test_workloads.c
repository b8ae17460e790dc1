/* tests/test_workloads.c - each built-in does what it declares, on a fake ctx.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_ctx.h"
#include "valgrind_shim.h"
#include "workloads/hash.h"
#include "workloads/latency_server.h"
#include "workloads/params.h"
#include "workloads/registry.h"
#include "workloads/upstream.h"

/* A workload set up from a spec, as the harness does for one point. */
typedef struct point {
    const df_workload *w;
    df_params p;
    void *state;
} point;

static void point_setup(point *pt, const char *spec)
{
    df_err err = { 0 };
    char why[256] = "";

    assert_int_equal(df_workload_parse_spec(spec, &pt->w, &pt->p, &err), 0);
    pt->state = NULL;
    if (pt->w->setup) {
        int rc = pt->w->setup(&pt->p, &pt->state, why, sizeof why);
        if (rc != 0)
            print_error("setup %s: %s\n", spec, why);
        assert_int_equal(rc, 0);
    }
}

static void point_teardown(point *pt)
{
    if (pt->w->teardown)
        pt->w->teardown(pt->state);
}

static int point_handle(point *pt, fake_ctx *f, int breaker)
{
    fake_ctx_init(f, breaker, pt->state, &pt->p);
    return pt->w->handle(&f->ctx);
}

static void hex(const unsigned char *d, char *out)
{
    for (int i = 0; i < DF_HASH_SHA256_BYTES; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void want_sha256(const void *data, size_t n, const char *want)
{
    unsigned char d[DF_HASH_SHA256_BYTES];
    char text[2 * DF_HASH_SHA256_BYTES + 1];

    assert_int_equal(df_hash_sha256(data, n, d), 0);
    hex(d, text);
    assert_string_equal(text, want);
}

static void test_workloads_hash_vectors(void **state)
{
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnop"
                       "nopq";
    char *million = malloc(1000000);

    (void)state;
    assert_non_null(million);
    memset(million, 'a', 1000000);

    want_sha256("abc", 3,
                "ba7816bf8f01cfea414140de5dae2223"
                "b00361a396177a9cb410ff61f20015ad");
    want_sha256("", 0,
                "e3b0c44298fc1c149afbf4c8996fb924"
                "27ae41e4649b934ca495991b7852b855");
    want_sha256(m448, strlen(m448),
                "248d6a61d20638b8e5c026930c3e6039"
                "a33ce45964ff2167f6ecedd419db06c1");
    want_sha256(million, 1000000,
                "cdc76e5c9914fb9281a1c7e284d73e67"
                "f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static void test_workloads_hash_checkpoints_per_block(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "hash:bytes=64KB");

    assert_int_equal(point_handle(&pt, &f, 1), 0);

    assert_int_equal(f.checkpoints, 16); /* one per 4 KiB block */
    assert_int_equal(f.blockings, 0);
    point_teardown(&pt);
}

static void test_workloads_hash_release_gil_offloads(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "hash:bytes=64KB,release_gil=true");

    assert_int_equal(point_handle(&pt, &f, 1), 0);

    assert_int_equal(f.blockings, 1);
    assert_int_equal(f.checkpoints, 0); /* no interpreter while released */
    point_teardown(&pt);
}

static void test_workloads_hash_small_keeps_gil(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "hash:bytes=2047,release_gil=true");

    assert_int_equal(point_handle(&pt, &f, 1), 0);

    assert_int_equal(f.blockings, 0); /* hashlib: below 2 KiB, keep it */
    assert_int_equal(f.checkpoints, 1);
    point_teardown(&pt);
}

static void test_workloads_cpu_checkpoints_per_us(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "cpu:us=300");

    assert_int_equal(point_handle(&pt, &f, 1), 0);

    assert_int_equal(f.checkpoints, 301); /* 300 chunks and the remainder */
    assert_int_equal(f.sleeps + f.waits + f.blockings, 0);
    point_teardown(&pt);
}

/* #18: the public df_cpu_ns (workload.h) burns in 1 us chunks with a
 * checkpoint after each, as the built-in cpu does, and calibrates once. */
static void test_workloads_cpu_ns_public_checkpoints_per_us(void **state)
{
    fake_ctx f;
    int64_t per_us = df_cpu_iters_per_us();

    (void)state;
    fake_ctx_init(&f, 1, NULL, NULL);

    df_cpu_ns(&f.ctx, 300500);

    assert_true(per_us >= 1);
    assert_int_equal(df_cpu_iters_per_us(), per_us); /* cached */
    assert_int_equal(f.checkpoints, 301); /* 300 chunks and the remainder */
    assert_int_equal(f.sleeps + f.waits + f.blockings, 0);
}

static void test_workloads_sleep_sleeps_through_ctx(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "sleep:ms=2");

    assert_int_equal(point_handle(&pt, &f, 0), 0);

    assert_int_equal(f.sleeps, 1);
    assert_int_equal(f.slept_ns, 2000000);
    point_teardown(&pt);
}

static void test_workloads_upstream_crosses_socket(void **state)
{
    df_latency_server_counts c;
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "upstream:ms=1");

    for (int i = 0; i < 5; i++)
        assert_int_equal(point_handle(&pt, &f, 0), 0);

    df_latency_server_counts_get(((df_upstream_state *)pt.state)->server, &c);
    assert_int_equal(c.connections, 1); /* kept alive, reused (LIFO) */
    /* Not responses: the server counts one after the client may be done. */
    assert_int_equal(c.requests, 5);
    assert_true(f.waits >= 1); /* the response is late: it had to wait */
    /* The point's "peer" reports the same server's counts. */
    df_workload_peer peer = { 0 };
    pt.w->peer(pt.state, &peer);
    assert_int_equal(peer.requests, 5);
    assert_in_range(peer.responses, 4, 5);
    assert_true(peer.lag_ns >= 0 && peer.late <= peer.responses);
    point_teardown(&pt);
}

typedef struct pool_client {
    point *pt;
    pthread_barrier_t *go;
    int rc;
} pool_client;

static void *pool_client_main(void *arg)
{
    pool_client *c = arg;
    fake_ctx f;

    pthread_barrier_wait(c->go);
    fake_ctx_init(&f, 0, c->pt->state, &c->pt->p);
    c->rc = c->pt->w->handle(&f.ctx);
    return NULL;
}

static void test_workloads_upstream_pool_limits_serving(void **state)
{
    enum { CLIENTS = 6 };
    pthread_t t[CLIENTS];
    pool_client c[CLIENTS];
    pthread_barrier_t go;
    df_latency_server_counts n;
    point pt;

    (void)state;
    point_setup(&pt, "upstream:ms=5,pool=2");
    assert_int_equal(pthread_barrier_init(&go, NULL, CLIENTS), 0);

    for (int i = 0; i < CLIENTS; i++) {
        c[i] = (pool_client){ .pt = &pt, .go = &go, .rc = 1 };
        assert_int_equal(pthread_create(&t[i], NULL, pool_client_main, &c[i]),
                         0);
    }
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);

    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(c[i].rc, 0);
    df_latency_server_counts_get(((df_upstream_state *)pt.state)->server, &n);
    /* Not responses: with keep-alive no EOF follows a response, so the
     * client may be done before the server counts it. */
    assert_int_equal(n.requests, CLIENTS);
    assert_in_range(n.max_serving, 1, 2);
    pthread_barrier_destroy(&go);
    point_teardown(&pt);
}

typedef struct conns_client {
    point *pt;
    int n, rc;
} conns_client;

static void *conns_client_main(void *arg)
{
    conns_client *c = arg;
    fake_ctx f;

    for (int i = 0; i < c->n && c->rc == 0; i++) {
        fake_ctx_init(&f, 0, c->pt->state, &c->pt->p);
        f.ctx.request_id = (uint64_t)i;
        c->rc = c->pt->w->handle(&f.ctx);
    }
    return NULL;
}

/* N requests from more threads than the pool has connections: all are
 * answered, and the server never sees more than K connections. */
static void test_workloads_upstream_conns_bounded(void **state)
{
    enum { THREADS = 8, PER = 25, K = 3 };
    pthread_t t[THREADS];
    conns_client c[THREADS];
    df_latency_server_counts n;
    point pt;

    (void)state;
    point_setup(&pt, "upstream:ms=1,conns=3");

    for (int i = 0; i < THREADS; i++) {
        c[i] = (conns_client){ .pt = &pt, .n = PER };
        assert_int_equal(pthread_create(&t[i], NULL, conns_client_main, &c[i]),
                         0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);

    for (int i = 0; i < THREADS; i++)
        assert_int_equal(c[i].rc, 0);
    df_latency_server_counts_get(((df_upstream_state *)pt.state)->server, &n);
    assert_int_equal(n.requests, THREADS * PER);
    assert_in_range(n.connections, 1, K);
    assert_in_range(n.max_serving, 1, K);
    point_teardown(&pt);
}

/* A pooled connection that broke while idle is replaced: the next request
 * still succeeds, on a new connection. */
static void test_workloads_upstream_conns_replaces_broken(void **state)
{
    df_latency_server_counts n;
    df_upstream_state *s;
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "upstream:ms=0,conns=1");
    s = pt.state;

    assert_int_equal(point_handle(&pt, &f, 0), 0);
    assert_int_equal(s->pool.fds[0] >= 0, 1);
    /* Breaks it as a server restart or a firewall would: both ways. */
    assert_int_equal(shutdown(s->pool.fds[0], SHUT_RDWR), 0);
    assert_int_equal(point_handle(&pt, &f, 0), 0);
    assert_int_equal(point_handle(&pt, &f, 0), 0);

    df_latency_server_counts_get(s->server, &n);
    assert_int_equal(n.connections, 2);
    assert_int_equal(n.requests, 3);
    assert_int_equal(s->pool.connects, 2);
    point_teardown(&pt);
}

static void test_workloads_upstream_conns_rejects_zero(void **state)
{
    const df_workload *w;
    df_params p;
    df_err e = { 0 };
    char err[256] = "";
    void *st = NULL;

    (void)state;
    assert_int_equal(df_workload_parse_spec("upstream:conns=0", &w, &p, &e), 0);
    assert_true(w->setup(&p, &st, err, sizeof err) < 0);
    assert_non_null(strstr(err, "conns"));
}

/* What a forked worker does first: allocate in many size classes and
 * start a thread (the inner model's loop). _exits 0 when it got through. */
static void *forked_thread_main(void *arg)
{
    free(malloc(100));
    return arg;
}

static _Noreturn void forked_child_main(void)
{
    pthread_t t;

    alarm(10); /* a child stuck on a lock it inherited dies, not hangs */
    for (size_t n = 16; n <= 65536; n *= 2)
        free(malloc(n));
    if (pthread_create(&t, NULL, forked_thread_main, NULL) != 0 ||
        pthread_join(t, NULL) != 0)
        _exit(2);
    _exit(0);
}

/* #18: the process model forks its workers right after the workload's
 * setup started the server. A child forked while the server's thread was
 * still starting could inherit a runtime lock held for good (GCC 12 ASan:
 * the allocator's) and hang in its first malloc - a hybrid's worker that
 * never served. Start must return with the thread in its loop, so every
 * child forked at once gets through. Rare per fork (about 1 in 1,000
 * before the fix under ASan), hence many; meaningful in the ASan build. */
static void test_workloads_latency_server_fork_after_start(void **state)
{
    enum { ROUNDS = 300, CHILDREN = 2 };
    df_latency_server_cfg cfg = { .delay_ns = 0 };
    int rounds = RUNNING_ON_VALGRIND ? 5 : ROUNDS, stuck = 0, failed = 0;

    (void)state;
    for (int r = 0; r < rounds; r++) {
        df_latency_server *s = NULL;
        pid_t pid[CHILDREN];
        assert_int_equal(df_latency_server_start(&cfg, &s, NULL), 0);
        for (int i = 0; i < CHILDREN; i++) {
            pid[i] = fork();
            assert_true(pid[i] >= 0);
            if (pid[i] == 0)
                forked_child_main();
        }
        for (int i = 0; i < CHILDREN; i++) {
            int st;
            assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
            stuck += WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM;
            failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
        }
        df_latency_server_stop(s);
    }

    assert_int_equal(stuck, 0);
    assert_int_equal(failed, 0);
}

static void test_workloads_upstream_econnrefused(void **state)
{
    df_latency_server_cfg cfg = { .delay_ns = 0 };
    df_latency_server *s = NULL;
    struct sockaddr_in addr;
    fake_ctx f;

    (void)state;
    assert_int_equal(df_latency_server_start(&cfg, &s, NULL), 0);
    addr = df_latency_server_addr(s);
    df_latency_server_stop(s); /* the port is closed now */
    fake_ctx_init(&f, 0, NULL, NULL);

    assert_int_equal(df_upstream_call(&f.ctx, &addr), -ECONNREFUSED);
}

/* The EMFILE test: a latency server in a child whose descriptors run out,
 * clients in the test process (which has descriptors to spare). */
enum { EMFILE_SPARE_FDS = 16, EMFILE_CLIENTS = 64 };

typedef struct emfile_report {
    int64_t cpu_ns, wall_ns; /* the child's CPU time over a quiet window */
    df_latency_server_counts counts;
} emfile_report;

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int highest_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int hi = -1;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (atoi(e->d_name) > hi)
            hi = atoi(e->d_name);
    closedir(d);
    return hi;
}

/* Fills every unused descriptor number below the highest in use (an
 * inherited fd may sit far above the rest): new descriptors then take
 * numbers above it, and RLIMIT_NOFILE counts what is left. */
static int fill_fd_holes(void)
{
    int hi = highest_fd();

    for (;;) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        if (fd > hi) {
            close(fd);
            return hi;
        }
    }
}

/* The child: a server with EMFILE_SPARE_FDS descriptors left for
 * connections; reports its port, then (told to) its CPU time over 300 ms
 * once every client was accepted or refused (or 1 s passed). */
static void emfile_child(int to_parent, int from_parent)
{
    df_latency_server_cfg cfg = { .delay_ns = 1000000 };
    df_latency_server *s = NULL;
    emfile_report rep = { 0 };
    struct timespec pause_ts = { 0, 300000000 }, tick = { 0, 1000000 };
    char c;

    if (df_latency_server_start(&cfg, &s, NULL) < 0)
        _exit(2);
    int hi = fill_fd_holes();
    struct rlimit rl = { (rlim_t)(hi + 1 + EMFILE_SPARE_FDS),
                         (rlim_t)(hi + 1 + EMFILE_SPARE_FDS) };
    struct sockaddr_in addr = df_latency_server_addr(s);
    if (hi < 0 || setrlimit(RLIMIT_NOFILE, &rl) < 0 ||
        write(to_parent, &addr, sizeof addr) != sizeof addr ||
        read(from_parent, &c, 1) != 1)
        _exit(3);
    int64_t give_up = clock_ns(CLOCK_MONOTONIC) + 1000000000;
    do {
        df_latency_server_counts_get(s, &rep.counts);
        nanosleep(&tick, NULL);
    } while (rep.counts.connections + rep.counts.rejected < EMFILE_CLIENTS &&
             clock_ns(CLOCK_MONOTONIC) < give_up);
    rep.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    rep.wall_ns = clock_ns(CLOCK_MONOTONIC);
    nanosleep(&pause_ts, NULL);
    rep.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - rep.cpu_ns;
    rep.wall_ns = clock_ns(CLOCK_MONOTONIC) - rep.wall_ns;
    df_latency_server_counts_get(s, &rep.counts);
    if (write(to_parent, &rep, sizeof rep) != sizeof rep ||
        read(from_parent, &c, 1) != 1)
        _exit(4);
    df_latency_server_stop(s);
    _exit(0);
}

/* One round trip on a connected socket: 1 served, 0 refused (reset or EOF),
 * -1 no answer within 5 s (a hang). */
static int emfile_round_trip(int fd)
{
    unsigned char req[DF_LATENCY_REQUEST_BYTES] = { 7 }, resp[8];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    size_t got = 0;

    if (send(fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req)
        return 0;
    while (got < sizeof resp) {
        if (poll(&p, 1, 5000) != 1)
            return -1;
        ssize_t r = recv(fd, resp + got, sizeof resp - got, 0);
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

static int emfile_connect(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof *addr))
        fail_msg("connect: %s", strerror(errno));
    return fd;
}

/* #12: out of descriptors, the server used to retry accept at once, at
 * 100 % CPU, while clients beyond the limit hung in the backlog. Now it
 * refuses them (the reserve-descriptor trick), idles, and serves again as
 * soon as descriptors are free. */
static void test_workloads_latency_server_emfile_refuses(void **state)
{
    int up[2], down[2], fds[EMFILE_CLIENTS], st = 0, served = 0, refused = 0;
    struct sockaddr_in addr;
    emfile_report rep;

    (void)state;
    if (RUNNING_ON_VALGRIND) {
        /* Valgrind keeps RLIMIT_NOFILE to itself: the kernel never sees
         * the lower limit, so there is no EMFILE to provoke. */
        print_message("SKIP: valgrind fakes RLIMIT_NOFILE\n");
        skip();
    }
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        emfile_child(up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);
    assert_int_equal(read(up[0], &addr, sizeof addr), sizeof addr);

    for (int i = 0; i < EMFILE_CLIENTS; i++)
        fds[i] = emfile_connect(&addr);
    assert_int_equal(write(down[1], "m", 1), 1);
    assert_int_equal(read(up[0], &rep, sizeof rep), sizeof rep);
    for (int i = 0; i < EMFILE_CLIENTS; i++) {
        int r = emfile_round_trip(fds[i]);
        assert_int_not_equal(r, -1); /* never a hang */
        served += r;
        refused += r == 0;
        close(fds[i]);
    }
    int after = emfile_connect(&addr);
    int after_rc = emfile_round_trip(after);
    close(after);
    assert_int_equal(write(down[1], "q", 1), 1);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(up[0]);
    close(down[1]);

    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (DF_TIMING_TRUSTED) /* a spinning accept burns ~100 %: wide margin */
        assert_true(rep.cpu_ns * 4 < rep.wall_ns);
    assert_true(rep.counts.rejected > 0);
    assert_int_equal(refused, rep.counts.rejected);
    assert_true(served > 0);
    assert_int_equal(after_rc, 1); /* descriptors free again: served */
}

static void test_workloads_web_calls_upstream_once(void **state)
{
    df_latency_server_counts n;
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "web:parse=50us,upstream=1ms,render=50us");

    assert_int_equal(point_handle(&pt, &f, 1), 0);

    df_latency_server_counts_get(((df_upstream_state *)pt.state)->server, &n);
    /* Not responses: the server counts one after its write, and with
     * keep-alive the client may be done before that (valgrind showed it). */
    assert_int_equal(n.requests, 1);
    assert_true(f.checkpoints >= 100); /* parse and render: 50 us each */
    point_teardown(&pt);
}

static void test_workloads_file_never_waits(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "file:kb=64");

    assert_int_equal(point_handle(&pt, &f, 0), 0);

    assert_int_equal(f.waits, 0); /* a regular file is always "ready" */
    assert_int_equal(f.blockings, 0);
    point_teardown(&pt);
}

static void test_workloads_file_offload(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "file:kb=8,offload=true");

    assert_int_equal(point_handle(&pt, &f, 0), 0);

    assert_int_equal(f.blockings, 1);
    point_teardown(&pt);
}

static void test_workloads_file_teardown_removes(void **state)
{
    char dir[] = "/tmp/df-test-file-XXXXXX";
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    point pt;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(setenv("TMPDIR", dir, 1), 0);
    point_setup(&pt, "file:kb=1");

    point_teardown(&pt);

    assert_int_equal(rmdir(dir), 0);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
}

/* Removes what dir holds, then dir; returns how many entries it held. */
static int empty_and_remove(const char *dir)
{
    char path[512];
    struct dirent *e;
    int n = 0;
    DIR *d = opendir(dir);

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
        n++;
    }
    closedir(d);
    rmdir(dir);
    return n;
}

/* In a forked child: set up and serve a request, then wait to be killed. */
static void file_child(const char *dir, int ready_fd)
{
    const df_workload *w = NULL;
    df_params p;
    df_err err = { 0 };
    void *s = NULL;
    char why[256];
    fake_ctx f;

    if (setenv("TMPDIR", dir, 1) < 0 ||
        df_workload_parse_spec("file:kb=16", &w, &p, &err) < 0 ||
        w->setup(&p, &s, why, sizeof why) < 0)
        _exit(2);
    fake_ctx_init(&f, 0, s, &p);
    if (w->handle(&f.ctx) != 0)
        _exit(3);
    if (write(ready_fd, "r", 1) != 1)
        _exit(4);
    for (;;)
        pause();
}

/* #12: a point's child is killed on a timeout, and duckfeed itself may be
 * killed with -9: teardown never runs, and the temp file must not stay. */
static void test_workloads_file_kill9_leaves_nothing(void **state)
{
    char dir[] = "/tmp/df-test-file-XXXXXX";
    int fds[2], st = 0;
    char c = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        file_child(dir, fds[1]);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &c, 1);
    close(fds[0]);
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    int left = empty_and_remove(dir);

    assert_int_equal(got, 1); /* the child was serving */
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    assert_int_equal(left, 0);
}

static void test_workloads_leak_keeps_memory(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "leak:kb=4");

    for (int i = 0; i < 3; i++)
        assert_int_equal(point_handle(&pt, &f, 0), 0);

    point_teardown(&pt); /* frees it all: ASan and valgrind would tell */
}

static void test_workloads_hang_ends_on_ecanceled(void **state)
{
    point pt;
    fake_ctx f;

    (void)state;
    point_setup(&pt, "hang");
    fake_ctx_init(&f, 0, pt.state, &pt.p);
    f.cancel_sleep_at = 3;

    assert_int_equal(pt.w->handle(&f.ctx), -ECANCELED);

    assert_int_equal(f.sleeps, 3);
    assert_int_equal(f.slept_ns, 3 * INT64_C(1000000000));
    point_teardown(&pt);
}

static void test_workloads_crash_segv_on_nth(void **state)
{
    int status = 0;
    pid_t pid;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Child: no assert_* (cmocka's longjmp cannot cross the fork). */
        struct rlimit no_core = { 0, 0 };
        point pt = { 0 };
        fake_ctx f;
        char why[256];
        setrlimit(RLIMIT_CORE, &no_core);
        if (df_workload_parse_spec("crash:after=3", &pt.w, &pt.p, NULL) < 0 ||
            pt.w->setup(&pt.p, &pt.state, why, sizeof why) < 0)
            _exit(10);
        for (int i = 0; i < 2; i++) {
            if (point_handle(&pt, &f, 0) != 0)
                _exit(11);
        }
        point_handle(&pt, &f, 0);
        _exit(12); /* survived the third request */
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);

    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

static void test_workloads_crash_after_einval(void **state)
{
    const df_workload *w = NULL;
    df_params p;
    void *st = NULL;
    char why[256] = "";

    (void)state;
    assert_int_equal(df_workload_parse_spec("crash:after=0", &w, &p, NULL), 0);

    assert_int_equal(w->setup(&p, &st, why, sizeof why), -EINVAL);
    assert_string_equal(why, "workload crash: parameter after: must be >= 1");
    assert_null(st);
}

/* Every built-in but the two that never come back, with its defaults. */
static void test_workloads_every_builtin_completes(void **state)
{
    int n = df_registry_count();

    (void)state;
    assert_true(n >= 10);
    for (int i = 0; i < n; i++) {
        const df_workload *w = df_registry_at(i);
        df_err err = { 0 };
        point pt;
        fake_ctx f;

        assert_int_equal(df_registry_validate(w, &err), 0);
        /* Faults by design: crash, hang, and overflow (runaway recursion,
         * only safe on a guarded coroutine stack). */
        if (strcmp(w->name, "crash") == 0 || strcmp(w->name, "hang") == 0 ||
            strcmp(w->name, "overflow") == 0)
            continue;
        point_setup(&pt, w->name);
        if (point_handle(&pt, &f, 1) != 0)
            fail_msg("workload %s failed", w->name);
        point_teardown(&pt);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workloads_hash_vectors),
        cmocka_unit_test(test_workloads_hash_checkpoints_per_block),
        cmocka_unit_test(test_workloads_hash_release_gil_offloads),
        cmocka_unit_test(test_workloads_hash_small_keeps_gil),
        cmocka_unit_test(test_workloads_cpu_checkpoints_per_us),
        cmocka_unit_test(test_workloads_cpu_ns_public_checkpoints_per_us),
        cmocka_unit_test(test_workloads_sleep_sleeps_through_ctx),
        cmocka_unit_test(test_workloads_upstream_crosses_socket),
        cmocka_unit_test(test_workloads_upstream_pool_limits_serving),
        cmocka_unit_test(test_workloads_upstream_econnrefused),
        cmocka_unit_test(test_workloads_latency_server_emfile_refuses),
        cmocka_unit_test(test_workloads_upstream_conns_bounded),
        cmocka_unit_test(test_workloads_upstream_conns_replaces_broken),
        cmocka_unit_test(test_workloads_upstream_conns_rejects_zero),
        cmocka_unit_test(test_workloads_latency_server_fork_after_start),
        cmocka_unit_test(test_workloads_web_calls_upstream_once),
        cmocka_unit_test(test_workloads_file_never_waits),
        cmocka_unit_test(test_workloads_file_offload),
        cmocka_unit_test(test_workloads_file_teardown_removes),
        cmocka_unit_test(test_workloads_file_kill9_leaves_nothing),
        cmocka_unit_test(test_workloads_leak_keeps_memory),
        cmocka_unit_test(test_workloads_hang_ends_on_ecanceled),
        cmocka_unit_test(test_workloads_crash_segv_on_nth),
        cmocka_unit_test(test_workloads_crash_after_einval),
        cmocka_unit_test(test_workloads_every_builtin_completes),
    };

    return cmocka_run_group_tests_name("workloads", tests, NULL, NULL);
}
