/* harness/serve/serve.c - duckfeed serve's master: the listening socket,
 * the workloads, and prefork workers sharing the socket (#14).
 *
 * As gunicorn's arbiter and uvicorn --workers do, the master binds one
 * socket, then forks the workers, which all accept on it (the kernel's
 * one accept queue; every idle worker wakes per connection, one wins).
 * Each worker sets workloads up itself, on first use (route.c). A worker that
 * dies is replaced, as gunicorn does (uvicorn 0.17 does not). SIGINT or SIGTERM
 * stops everything.
 */
#define _GNU_SOURCE
#include "harness/serve/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/serve/serve_private.h"

#define MAX_WORKERS 256

/* The models with an HTTP front, and how each serves. */
typedef struct front {
    const char *model;
    df__serve_fn *serve;
    int plain_blocks;
    int64_t keepalive_ns; /* the real server's default */
    void (*prepare)(int listen_fd, const df_serve_cfg *cfg); /* or NULL */
} front;

static const front fronts[] = {
    /* gunicorn sync closes after every response: no keep-alive. */
    { "process", df__serve_sync, 0, 0, df__serve_sync_prepare },
    /* gunicorn gthread 2 s, gevent 2 s, uvicorn 5 s: */
    { "thread", df__serve_gthread, 0, 2000000000, NULL },
    { "coroutine", df__serve_loop, 0, 2000000000, NULL },
    { "asyncio", df__serve_loop, 1, 5000000000, NULL },
};

static const front *find_front(const char *model)
{
    for (size_t i = 0; i < sizeof fronts / sizeof fronts[0]; i++)
        if (model && !strcmp(fronts[i].model, model))
            return &fronts[i];
    return NULL;
}

int df_serve_check_model(const char *model, df_err *err)
{
    if (find_front(model))
        return 0;
    return df_err_set(err, -EINVAL,
                      "--model: \"%s\" has no HTTP front (process, thread, "
                      "coroutine or asyncio)",
                      model ? model : "");
}

int df__serve_send_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

size_t df__serve_answer(df_routes *rt,
                        df_http_conn *c,
                        df_ctx *ctx,
                        df_params *p,
                        int keep_ok,
                        char *out,
                        int *keep)
{
    const df_workload *w = NULL;
    void *state = NULL;
    char why[200];
    int st = df_routes_resolve(rt, c->in + c->url_off, c->url_len, &w, p,
                               &state, why, sizeof why);
    *keep = keep_ok && df_http_conn_keep_alive(c);
    if (st != 200) {
        size_t n = strlen(why);
        why[n < sizeof why - 1 ? n : n - 1] = '\n';
        why[n < sizeof why - 1 ? n + 1 : n] = '\0';
        return df_http_format(out, st, *keep, why);
    }
    ctx->state = state;
    ctx->params = p;
    ctx->request_id++;
    if (rt->request_cost_ns > 0)
        df_cpu_ns(ctx, rt->request_cost_ns);
    int rc = w->handle(ctx);
    if (rc == 0)
        return df_http_format(out, 200, *keep, "ok\n");
    snprintf(why, sizeof why, "%s: %s\n", w->name, strerror(-rc));
    return df_http_format(out, 500, *keep, why);
}

static int listen_on(const df_serve_cfg *cfg, int *port, df_err *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return df_err_set(err, -errno, "socket: %s", strerror(errno));
    int one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)cfg->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(fd, cfg->backlog) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        int e = errno;
        close(fd);
        return df_err_set(err, -e, "127.0.0.1:%d: %s", cfg->port, strerror(e));
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Forks worker w; the child never returns. The pid, or -errno. */
static pid_t spawn(const df__serve_worker *w, const front *f)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid < 0 ? -errno : pid;
    /* A worker dies with its master, even a SIGKILLed one. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (getppid() == 1)
        _exit(0);
    _exit(f->serve(w) < 0 ? 1 : 0);
}

/* The master's loop: replace dead workers until SIGINT or SIGTERM. */
static void supervise(df__serve_worker *ws, pid_t *pids, int n, const front *f)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    for (;;) {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig != SIGCHLD)
            break;
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            for (int i = 0; i < n; i++)
                if (pids[i] == pid) {
                    fprintf(stderr,
                            "duckfeed serve: worker %d (pid %d) "
                            "%s %d, replacing it\n",
                            i, (int)pid,
                            WIFSIGNALED(status) ? "died of signal" : "exited",
                            WIFSIGNALED(status) ? WTERMSIG(status)
                                                : WEXITSTATUS(status));
                    pids[i] = spawn(&ws[i], f);
                }
    }
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
                ;
}

int df_serve_run(const df_serve_cfg *cfg, df_err *err)
{
    const front *f = find_front(cfg->model);
    if (!f)
        return df_serve_check_model(cfg->model, err);
    int n = cfg->workers < 1 ? 1 : cfg->workers;
    if (n > MAX_WORKERS)
        return df_err_set(err, -EINVAL, "--workers: at most %d", MAX_WORKERS);
    int port = 0;
    int fd = listen_on(cfg, &port, err);
    if (fd < 0)
        return fd;
    if (f->prepare)
        f->prepare(fd, cfg);
    df_routes rt = { 0 };
    int rc = df_routes_init(&rt, err);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    rt.request_cost_ns = cfg->request_cost_ns;
    if (rt.request_cost_ns > 0) /* timed once, before the fork */
        (void)df_cpu_iters_per_us();
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    df__serve_worker ws[MAX_WORKERS];
    pid_t pids[MAX_WORKERS];
    int64_t ka = cfg->keepalive_ns ? cfg->keepalive_ns : f->keepalive_ns;
    for (int i = 0; i < n; i++) {
        ws[i] = (df__serve_worker){ cfg, &rt, fd, i, f->plain_blocks, ka };
        pids[i] = spawn(&ws[i], f);
    }
    if (cfg->announce) {
        fprintf(cfg->announce,
                "duckfeed serve: listening on http://127.0.0.1:%d/ "
                "(model %s, %d worker%s)\n",
                port, cfg->model, n, n == 1 ? "" : "s");
        fflush(cfg->announce);
    }
    supervise(ws, pids, n, f);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fd);
    df_routes_teardown(&rt);
    return 0;
}
