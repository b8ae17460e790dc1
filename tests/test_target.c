/* tests/test_target.c - `duckfeed run --target` (#14) against a small HTTP
 * server in this test, on loopback: counts, keep-alive, errors by kind,
 * refusals. The command runs as a user would run it (DF_BUILD_DIR). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness/http/url.h"
#include "tests/duckfeed_exe.h"

#define MAX_CONNS 128

/* The test's server: one thread polling a listener and its connections.
 * GET /missing answers 404, GET /close answers 200 and closes, anything
 * else 200 with keep-alive. The counts are read after the join. */
typedef struct server {
    int listen_fd, stop_pipe[2];
    uint16_t port;
    pthread_t thread;
    long served;   /* responses written */
    long carriers; /* connections that carried at least one request */
} server;

typedef struct client_conn {
    int fd;
    int served; /* requests answered on it */
    size_t len;
    char buf[2048];
} client_conn;

static const char ok_reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char missing_reply[] =
    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
static const char close_reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                  "Connection: close\r\n\r\nok";

/* Answers every complete request head in c's buffer; 0, or -1 when c
 * must be closed. */
static int answer(server *s, client_conn *c)
{
    char *end;
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        const char *reply = ok_reply;
        int close_after = 0;
        if (c->len > 12 && !memcmp(c->buf, "GET /missing", 12))
            reply = missing_reply;
        if (c->len > 10 && !memcmp(c->buf, "GET /close", 10)) {
            reply = close_reply;
            close_after = 1;
        }
        if (write(c->fd, reply, strlen(reply)) != (ssize_t)strlen(reply))
            return -1;
        s->carriers += c->served++ == 0;
        s->served++;
        size_t used = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        if (close_after)
            return -1;
    }
    return c->len == sizeof c->buf ? -1 : 0;
}

static void *server_main(void *arg)
{
    server *s = arg;
    static client_conn conns[MAX_CONNS];
    struct pollfd pf[MAX_CONNS + 2];
    int n = 0;

    for (;;) {
        pf[0] = (struct pollfd){ .fd = s->stop_pipe[0], .events = POLLIN };
        pf[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
        for (int i = 0; i < n; i++)
            pf[i + 2] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
        if (poll(pf, (nfds_t)n + 2, -1) < 0)
            continue;
        if (pf[0].revents)
            break;
        if (pf[1].revents && n < MAX_CONNS) {
            int fd = accept(s->listen_fd, NULL, NULL);
            if (fd >= 0)
                conns[n++] = (client_conn){ .fd = fd };
        }
        for (int i = n - 1; i >= 0; i--) {
            client_conn *c = &conns[i];
            if (!pf[i + 2].revents)
                continue;
            ssize_t got = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
            if (got > 0)
                c->len += (size_t)got;
            if (got <= 0 || answer(s, c) < 0) {
                close(c->fd);
                conns[i] = conns[--n];
            }
        }
    }
    for (int i = 0; i < n; i++)
        close(conns[i].fd);
    return NULL;
}

static int server_start(server *s)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;

    memset(s, 0, sizeof *s);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (void *)&a, sizeof a) < 0 ||
        listen(s->listen_fd, 256) < 0 ||
        getsockname(s->listen_fd, (void *)&a, &len) < 0 ||
        pipe2(s->stop_pipe, O_CLOEXEC) < 0)
        return -1;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->thread, NULL, server_main, s) == 0 ? 0 : -1;
}

static void server_stop(server *s)
{
    assert_int_equal(write(s->stop_pipe[1], "x", 1), 1);
    assert_int_equal(pthread_join(s->thread, NULL), 0);
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
}

typedef struct fixture {
    char exe[512];
    char tmp[64];
    char out[128];
    server srv;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->tmp, sizeof f->tmp, "/tmp/df-target-XXXXXX");
    if (df_test_exe_setup(f->exe, sizeof f->exe, f->tmp) < 0 ||
        server_start(&f->srv) < 0) {
        free(f);
        return -1;
    }
    snprintf(f->out, sizeof f->out, "%s/r.json", f->tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    server_stop(&f->srv);
    unlink(f->out);
    rmdir(f->tmp);
    free(f);
    return 0;
}

/* Runs duckfeed with args (NULL-terminated); its exit code, and the first
 * line of its stderr in errline. */
static int run_duckfeed(const char *exe,
                        char *const args[],
                        char *errline,
                        size_t n)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(pipefd[1], 2);
        execv(exe, args);
        _exit(127);
    }
    close(pipefd[1]);
    size_t len = 0;
    ssize_t got;
    while (len + 1 < n &&
           (got = read(pipefd[0], errline + len, n - 1 - len)) > 0)
        len += (size_t)got;
    errline[len] = '\0';
    close(pipefd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The only point of the results file; the caller decrefs the root. */
static json_t *only_point(const char *path, json_t **root)
{
    json_error_t jerr;
    *root = json_load_file(path, 0, &jerr);
    assert_non_null(*root);
    json_t *pts = json_object_get(*root, "points");
    assert_int_equal(json_array_size(pts), 1);
    return json_array_get(pts, 0);
}

static long long int_at(const json_t *o, const char *obj, const char *key)
{
    const json_t *v = obj ? json_object_get(json_object_get(o, obj), key)
                          : json_object_get(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* A closed-loop run of c clients on path: the point, root to decref. */
static json_t *run_closed(fixture *f, const char *path, int c, json_t **root)
{
    char url[128], conc[16], err[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", f->srv.port, path);
    snprintf(conc, sizeof conc, "%d", c);
    char *const args[] = { f->exe,          "run",   "--target",   url,
                           "--concurrency", conc,    "--duration", "0.3",
                           "--warmup",      "0.05",  "--repeat",   "1",
                           "--quiet",       "--out", f->out,       NULL };
    int rc = run_duckfeed(f->exe, args, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "duckfeed: %s\n", err);
    assert_int_equal(rc, 0);
    return only_point(f->out, root);
}

static void test_target_closed_keepalive(void **state)
{
    fixture *f = *state;
    json_t *root;

    json_t *pt = run_closed(f, "/", 4, &root);
    server_stop(&f->srv);

    assert_string_equal(json_string_value(json_object_get(pt, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(pt, "model")),
                        "target");
    assert_non_null(json_object_get(pt, "target"));
    assert_true(int_at(pt, NULL, "completed") > 0);
    assert_int_equal(int_at(pt, NULL, "errors"), 0);
    /* Keep-alive: one connection per client, each carried requests, and
     * none was opened again. */
    assert_int_equal(int_at(pt, "http", "connections"), 4);
    assert_int_equal(int_at(pt, "http", "connects"), 4);
    assert_int_equal(f->srv.carriers, 4);
    /* Every response the server wrote was read, none lost or invented;
     * the window's completions are a part of them. */
    assert_int_equal(int_at(pt, "http", "responses"), f->srv.served);
    assert_true(int_at(pt, NULL, "completed") <= f->srv.served);
    json_decref(root);
    assert_int_equal(server_start(&f->srv), 0); /* for teardown */
}

static void test_target_non2xx_errors(void **state)
{
    fixture *f = *state;
    json_t *root;

    json_t *pt = run_closed(f, "/missing", 2, &root);

    assert_true(int_at(pt, NULL, "completed") > 0);
    assert_int_equal(int_at(pt, NULL, "errors"), int_at(pt, NULL, "completed"));
    assert_int_equal(int_at(pt, "http", "non2xx"),
                     int_at(pt, "http", "responses"));
    assert_int_equal(int_at(pt, "http", "read_errors"), 0);
    assert_true(json_number_value(json_object_get(pt, "throughput_rps")) == 0);
    json_decref(root);
}

static void test_target_reconnects_after_close(void **state)
{
    fixture *f = *state;
    json_t *root;

    json_t *pt = run_closed(f, "/close", 2, &root);

    assert_true(int_at(pt, NULL, "completed") > 0);
    assert_int_equal(int_at(pt, NULL, "errors"), 0);
    /* Each response closed its connection: one connect per response,
     * the two opened first included. */
    assert_true(int_at(pt, "http", "connects") >=
                int_at(pt, "http", "responses"));
    json_decref(root);
}

static void test_target_open_loop(void **state)
{
    fixture *f = *state;
    char url[128], err[1024];
    json_t *root;
    snprintf(url, sizeof url, "http://localhost:%u/", f->srv.port);
    char *const args[] = { f->exe,     "run",   "--target",   url,
                           "--rate",   "400",   "--duration", "0.3",
                           "--repeat", "1",     "--quiet",    "--max-inflight",
                           "8",        "--out", f->out,       NULL };

    assert_int_equal(run_duckfeed(f->exe, args, err, sizeof err), 0);
    server_stop(&f->srv);

    json_t *pt = only_point(f->out, &root);
    assert_string_equal(json_string_value(json_object_get(pt, "load")), "open");
    assert_true(int_at(pt, NULL, "completed") > 0);
    assert_int_equal(int_at(pt, NULL, "errors"), 0);
    assert_int_equal(int_at(pt, "http", "connections"), 8);
    assert_true(f->srv.carriers <= 8);
    json_decref(root);
    assert_int_equal(server_start(&f->srv), 0); /* for teardown */
}

static void test_target_refused_econnrefused(void **state)
{
    fixture *f = *state;
    char url[128], err[1024];
    /* A port nobody listens on: bound, then closed. */
    server dead;
    assert_int_equal(server_start(&dead), 0);
    server_stop(&dead);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", dead.port);
    char *const args[] = {
        f->exe, "run", "--target", url, "--out", f->out, NULL
    };

    int rc = run_duckfeed(f->exe, args, err, sizeof err);

    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "Connection refused"));
    /* One line: it ends the text, and is the only one. */
    assert_non_null(strchr(err, '\n'));
    assert_int_equal(strchr(err, '\n')[1], '\0');
    assert_int_equal(access(f->out, F_OK), -1); /* nothing written */
}

static void test_target_bad_url_einval(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = { "http://10.1.2.3/", "ftp://127.0.0.1/",
                                       "http://127.0.0.1:0/",
                                       "http://example.com/", "127.0.0.1:80" };
    char err[1024];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *const args[] = { f->exe,  "run",  "--target", (char *)bad[i],
                               "--out", f->out, NULL };
        assert_int_equal(run_duckfeed(f->exe, args, err, sizeof err), 2);
        assert_non_null(strstr(err, "--target"));
    }
}

static void test_target_too_many_connections_einval(void **state)
{
    fixture *f = *state;
    char url[128], err[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", f->srv.port);
    char *const args[] = { f->exe,  "run",   "--target", url, "--concurrency",
                           "20000", "--out", f->out,     NULL };

    int rc = run_duckfeed(f->exe, args, err, sizeof err);

    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "at most"));
}

static void test_target_url_parse(void **state)
{
    df_http_url u;
    (void)state;

    assert_int_equal(df_http_url_parse("http://127.0.0.1:8080/a?b=1", &u, NULL),
                     0);
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/a?b=1");
    assert_string_equal(u.host, "127.0.0.1:8080");
    assert_int_equal(df_http_url_parse("http://localhost", &u, NULL), 0);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/");
    assert_int_equal(df_http_url_parse("http://192.168.0.1/", &u, NULL),
                     -EINVAL);
    assert_int_equal(df_http_url_parse("http://127.0.0.1:65536/", &u, NULL),
                     -EINVAL);
    assert_int_equal(df_http_url_parse("http://u@127.0.0.1/", &u, NULL),
                     -EINVAL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a server write to a closed client */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_url_parse),
        cmocka_unit_test_setup_teardown(test_target_closed_keepalive, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_target_non2xx_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_target_reconnects_after_close,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_open_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_refused_econnrefused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_target_bad_url_einval, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_target_too_many_connections_einval,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
