/* tests/test_serve.c - duckfeed serve over loopback (#14): each model
 * answers, keep-alive, 400, 431, the idle close, and a slow client that
 * does not hold up the others on the coroutine model. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include "tests/duckfeed_exe.h"
#include "tests/valgrind_shim.h"

typedef struct server {
    pid_t pid;
    int port;
} server;

/* Starts duckfeed serve --port 0 with the given options (NULL-ended) and
 * reads the port from its first line. */
static void start(server *s, const char *model, ...)
{
    char exe[4096], tmp[] = "/tmp/df-serve-XXXXXX";
    const char *argv[32] = { "duckfeed", "serve",  "--model",
                             model,      "--port", "0" };
    int argc = 6, fds[2];
    va_list ap;

    assert_int_equal(df_test_exe_setup(exe, sizeof exe, tmp), 0);
    rmdir(tmp);
    va_start(ap, model);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    assert_int_equal(pipe(fds), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        /* A failed assertion skips stop(): the server goes with us. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(fds[1], 1);
        close(fds[0]);
        execv(exe, (char **)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    const char *p = strstr(line, "127.0.0.1:");
    assert_non_null(p);
    s->port = atoi(p + strlen("127.0.0.1:"));
    assert_true(s->port > 0);
}

static void stop(server *s)
{
    int status;
    kill(s->pid, SIGTERM);
    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A connected socket, reads timing out after 10 s (never a hang). */
static int dial(const server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct timeval tv = { .tv_sec = 10 };
    assert_true(fd >= 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv),
                     0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_str(int fd, const char *s)
{
    assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads one response (headers, then Content-Length bytes) into buf and
 * returns its status, or -1 on EOF/timeout before a whole one. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        char *cl = strstr(buf, "Content-Length: ");
        if (end && cl && len >= (size_t)(end + 4 - buf) + (size_t)atoi(cl + 16))
            return atoi(buf + 9);
        ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);
        if (k <= 0)
            return -1;
        len += (size_t)k;
    }
}

/* One request on a new connection: its status, body in buf. */
static int get(const server *s, const char *request, char *buf, size_t cap)
{
    int fd = dial(s);
    send_str(fd, request);
    int st = read_response(fd, buf, cap);
    close(fd);
    return st;
}

static const char noop[] = "GET /noop HTTP/1.1\r\nHost: x\r\n\r\n";

static void check_noop(const char *model)
{
    server s;
    char buf[4096];

    start(&s, model, "--workers", "2", (char *)NULL);
    assert_int_equal(get(&s, noop, buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "\r\n\r\nok\n"));
    assert_int_equal(
        get(&s, "GET /sleep?ms=5 HTTP/1.1\r\n\r\n", buf, sizeof buf), 200);
    assert_int_equal(get(&s, "GET /nope HTTP/1.1\r\n\r\n", buf, sizeof buf),
                     404);
    assert_int_equal(get(&s, "GET /cpu?us=x HTTP/1.1\r\n\r\n", buf, sizeof buf),
                     400);
    stop(&s);
}

static void test_serve_process(void **state)
{
    (void)state;
    check_noop("process");
}

static void test_serve_thread(void **state)
{
    (void)state;
    check_noop("thread");
}

static void test_serve_coroutine(void **state)
{
    (void)state;
    check_noop("coroutine");
}

static void test_serve_asyncio(void **state)
{
    (void)state;
    check_noop("asyncio");
}

/* Three requests on one connection; the server keeps it open. */
static void check_keepalive(const char *model)
{
    server s;
    char buf[4096];

    start(&s, model, (char *)NULL);
    int fd = dial(&s);
    for (int i = 0; i < 3; i++) {
        send_str(fd, noop);
        assert_int_equal(read_response(fd, buf, sizeof buf), 200);
        assert_non_null(strstr(buf, "Connection: keep-alive"));
    }
    close(fd);
    stop(&s);
}

static void test_serve_keepalive_thread(void **state)
{
    (void)state;
    check_keepalive("thread");
}

static void test_serve_keepalive_coroutine(void **state)
{
    (void)state;
    check_keepalive("coroutine");
}

/* gunicorn sync: Connection: close, then EOF. */
static void test_serve_process_closes(void **state)
{
    server s;
    char buf[4096];

    (void)state;
    start(&s, "process", (char *)NULL);
    int fd = dial(&s);
    send_str(fd, noop);
    assert_int_equal(read_response(fd, buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "Connection: close"));
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
    close(fd);
    stop(&s);
}

/* A client that sends nothing is dropped after --read-timeout: the
 * timeout the sync worker sets on the listener reaches accepted sockets. */
static void test_serve_process_read_timeout(void **state)
{
    server s;
    char buf[64];

    (void)state;
    start(&s, "process", "--read-timeout", "200ms", (char *)NULL);
    int fd = dial(&s);

    /* EOF, not the 10 s receive timeout (which would be -1, EAGAIN). */
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
    close(fd);
    stop(&s);
}

/* A query value that only setup() reads takes effect: each worker sets
 * a workload up per set of values (hang's setup refuses every=0), up to
 * 16 sets, then 400. */
static void test_serve_setup_per_values(void **state)
{
    server s;
    char buf[4096], req[128];

    (void)state;
    start(&s, "process", (char *)NULL);
    assert_int_equal(
        get(&s, "GET /hang?every=0 HTTP/1.1\r\n\r\n", buf, sizeof buf), 503);
    assert_non_null(strstr(buf, "every must be >= 1"));
    for (int us = 1; us <= 16; us++) {
        snprintf(req, sizeof req, "GET /cpu?us=%d HTTP/1.1\r\n\r\n", us);
        assert_int_equal(get(&s, req, buf, sizeof buf), 200);
    }
    assert_int_equal(get(&s, "GET /cpu?us=1 HTTP/1.1\r\n\r\n", buf, sizeof buf),
                     200); /* seen before */
    assert_int_equal(
        get(&s, "GET /cpu?us=17 HTTP/1.1\r\n\r\n", buf, sizeof buf), 400);
    assert_non_null(strstr(buf, "more than 16 sets"));
    stop(&s);
}

static void test_serve_400(void **state)
{
    server s;
    char buf[4096];

    (void)state;
    start(&s, "coroutine", (char *)NULL);
    assert_int_equal(get(&s, "BLAH\x01 / HTTP/1.1\r\n\r\n", buf, sizeof buf),
                     400);
    assert_non_null(strstr(buf, "Connection: close"));
    stop(&s);
}

static void test_serve_431(void **state)
{
    server s;
    char buf[4096], req[10000];

    (void)state;
    start(&s, "thread", (char *)NULL);
    memset(req, 'a', sizeof req - 1);
    req[sizeof req - 1] = '\0';
    memcpy(req, "GET /noop HTTP/1.1\r\nX-Big: ", 27);
    int fd = dial(&s);
    /* The server answers once 8 KiB are in, then closes: the rest of the
     * send may meet a reset, which is fine. */
    send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
    assert_int_equal(read_response(fd, buf, sizeof buf), 431);
    close(fd);
    stop(&s);
}

/* An idle keep-alive connection is closed after --keepalive. */
static void check_idle_close(const char *model)
{
    server s;
    char buf[4096];

    start(&s, model, "--keepalive", "200ms", (char *)NULL);
    int fd = dial(&s);
    send_str(fd, noop);
    assert_int_equal(read_response(fd, buf, sizeof buf), 200);
    /* EOF, not the 10 s receive timeout (which would be -1, EAGAIN). */
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
    close(fd);
    stop(&s);
}

static void test_serve_idle_close_coroutine(void **state)
{
    (void)state;
    check_idle_close("coroutine");
}

static void test_serve_idle_close_thread(void **state)
{
    (void)state;
    check_idle_close("thread");
}

/* The one worker process of server s (its master's only child). */
static pid_t only_worker(const server *s)
{
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)s->pid,
             (int)s->pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    return (pid_t)atol(buf);
}

/* CPU time (user + system) of process pid so far, in clock ticks. */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    long utime = 0, stime = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    /* Fields 14 and 15, counted after the ")" that ends the name. */
    const char *p = strrchr(buf, ')');
    assert_non_null(p);
    assert_int_equal(sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                            "%*u %ld %ld",
                            &utime, &stime),
                     2);
    return utime + stime;
}

/* A gthread worker at --max-connections leaves the listener alone until a
 * slot frees (#14): no spinning on the waiting client, which is served
 * as soon as the first one is done. */
static void test_serve_thread_at_max_connections(void **state)
{
    server s;
    char buf[4096];
    struct timespec settle = { 0, 200000000 }, window = { 0, 500000000 };

    (void)state;
    start(&s, "thread", "--threads", "1", "--max-connections", "1",
          "--keepalive", "30s", (char *)NULL);
    int first = dial(&s);
    send_str(first, "GET /noop HTTP/1.1\r\n"); /* holds the only slot */
    int waiting = dial(&s);                    /* in the backlog */
    send_str(waiting, noop);
    nanosleep(&settle, NULL); /* for the worker to take the first */
    pid_t w = only_worker(&s);
    long t0 = cpu_ticks(w);
    nanosleep(&window, NULL);
    long used = cpu_ticks(w) - t0;
    struct pollfd p = { .fd = waiting, .events = POLLIN };

    assert_int_equal(poll(&p, 1, 0), 0); /* not answered yet */
    if (DF_TIMING_TRUSTED)
        assert_true(used * 10 < sysconf(_SC_CLK_TCK) / 2); /* < 10% */
    send_str(first, "Host: x\r\n\r\n");
    assert_int_equal(read_response(first, buf, sizeof buf), 200);
    /* No slot to keep it in (max_connections - threads = 0). */
    assert_non_null(strstr(buf, "Connection: close"));
    assert_int_equal(read_response(waiting, buf, sizeof buf), 200);
    close(first);
    close(waiting);
    stop(&s);
}

/* A client sending its request one byte at a time: between any two of
 * its bytes another client gets a whole answer from the same (single)
 * loop worker, so the slow one stalls nobody. */
static void test_serve_slow_client_coroutine(void **state)
{
    server s;
    char buf[4096];

    (void)state;
    start(&s, "coroutine", "--keepalive", "30s", (char *)NULL);
    int slow = dial(&s);
    int fast = dial(&s);
    for (size_t i = 0; i < strlen(noop); i++) {
        assert_int_equal(send(slow, noop + i, 1, MSG_NOSIGNAL), 1);
        send_str(fast, noop);
        assert_int_equal(read_response(fast, buf, sizeof buf), 200);
    }
    assert_int_equal(read_response(slow, buf, sizeof buf), 200);
    close(fast);
    close(slow);
    stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_process),
        cmocka_unit_test(test_serve_thread),
        cmocka_unit_test(test_serve_coroutine),
        cmocka_unit_test(test_serve_asyncio),
        cmocka_unit_test(test_serve_keepalive_thread),
        cmocka_unit_test(test_serve_keepalive_coroutine),
        cmocka_unit_test(test_serve_process_closes),
        cmocka_unit_test(test_serve_process_read_timeout),
        cmocka_unit_test(test_serve_setup_per_values),
        cmocka_unit_test(test_serve_400),
        cmocka_unit_test(test_serve_431),
        cmocka_unit_test(test_serve_idle_close_coroutine),
        cmocka_unit_test(test_serve_idle_close_thread),
        cmocka_unit_test(test_serve_slow_client_coroutine),
        cmocka_unit_test(test_serve_thread_at_max_connections),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("serve", tests, NULL, NULL);
}
