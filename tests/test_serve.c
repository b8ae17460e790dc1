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
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <cmocka.h>

#include "tests/duckfeed_exe.h"

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
        cmocka_unit_test(test_serve_400),
        cmocka_unit_test(test_serve_431),
        cmocka_unit_test(test_serve_idle_close_coroutine),
        cmocka_unit_test(test_serve_idle_close_thread),
        cmocka_unit_test(test_serve_slow_client_coroutine),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("serve", tests, NULL, NULL);
}
