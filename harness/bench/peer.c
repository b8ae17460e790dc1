#define _GNU_SOURCE /* SOCK_CLOEXEC */
/* harness/bench/peer.c - requests/s the latency server answers at delay 0.
 *
 * The client is one thread with an epoll set over CONNS keep-alive
 * connections, each sending its next request as soon as its response is
 * in: the least a client can cost, so the figure is the server's (plus
 * loopback TCP), on the same cores the server shares with a run's workers.
 * Each figure is the median of RUNS windows of WINDOW_MS with the min..max
 * spread, as the other benches print theirs.
 */
#include "harness/bench/peer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "workloads/latency_server.h"

#define RUNS      5
#define WINDOW_MS 150
#define MAX_CONNS 64

typedef struct peer_client {
    int ep;
    int fd[MAX_CONNS];
    int n;
} peer_client;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void client_close(peer_client *c)
{
    for (int i = 0; i < c->n; i++)
        close(c->fd[i]);
    if (c->ep >= 0)
        close(c->ep);
}

/* Blocking connects: the server accepts from its own thread. */
static int client_open(peer_client *c, struct sockaddr_in addr, int conns)
{
    *c = (peer_client){ .ep = epoll_create1(EPOLL_CLOEXEC) };
    if (c->ep < 0)
        return -errno;
    for (; c->n < conns; c->n++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct epoll_event ev = { .events = EPOLLIN,
                                  .data.u32 = (uint32_t)c->n };
        if (fd < 0)
            return -errno;
        c->fd[c->n] = fd;
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
            epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            c->n++;
            return -errno;
        }
    }
    return 0;
}

/* One request on connection i; its 8-byte response is read when epoll
 * reports it (one segment on loopback: a short read is an error). */
static int send_req(peer_client *c, int i)
{
    unsigned char req[DF_LATENCY_REQUEST_BYTES] = { (unsigned char)i };

    return send(c->fd[i], req, sizeof req, MSG_NOSIGNAL) == sizeof req ? 0
                                                                       : -EIO;
}

/* Responses per second over one window, every connection kept busy. */
static int run_window(peer_client *c, double *rate)
{
    struct epoll_event evs[MAX_CONNS];
    unsigned char resp[DF_LATENCY_RESPONSE_BYTES];
    int64_t done = 0, t0 = df_now_ns(), end = t0 + WINDOW_MS * 1000000LL;
    int64_t now = t0;

    for (int i = 0; i < c->n; i++)
        if (send_req(c, i) < 0)
            return -EIO;
    for (int inflight = c->n; inflight > 0;) {
        int k = epoll_wait(c->ep, evs, MAX_CONNS, 1000);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? -errno : -ETIMEDOUT;
        now = df_now_ns();
        for (int e = 0; e < k; e++) {
            int i = (int)evs[e].data.u32;
            if (recv(c->fd[i], resp, sizeof resp, 0) != sizeof resp)
                return -EPROTO;
            done++;
            inflight--;
            /* Drain at the end: no response left for the next window. */
            if (now < end && send_req(c, i) == 0)
                inflight++;
        }
    }
    *rate = (double)done * 1e9 / (double)(now - t0);
    return 0;
}

static int bench_conns(FILE *out, struct sockaddr_in addr, int conns)
{
    peer_client c;
    double v[RUNS];
    char what[64];
    int rc = client_open(&c, addr, conns);

    for (int r = 0; rc == 0 && r < RUNS; r++)
        rc = run_window(&c, &v[r]);
    client_close(&c);
    if (rc < 0) {
        fprintf(out, "  peer: %d connections: %s\n", conns, strerror(-rc));
        return rc;
    }
    qsort(v, RUNS, sizeof *v, cmp_double);
    snprintf(what, sizeof what, "delay 0, %d keep-alive connection%s", conns,
             conns == 1 ? "" : "s");
    fprintf(out, "  %-44s %9.0f %-5s (%.0f..%.0f)\n", what, v[RUNS / 2],
            "req/s", v[0], v[RUNS - 1]);
    return 0;
}

int df_bench_peer(FILE *out)
{
    df_latency_server_cfg cfg = { .delay_ns = 0 };
    df_latency_server *s;
    df_err e = { 0 };
    int rc = df_latency_server_start(&cfg, &s, &e);

    if (rc < 0) {
        fprintf(out, "  peer: %s\n", e.msg);
        return rc;
    }
    struct sockaddr_in addr = df_latency_server_addr(s);
    rc = bench_conns(out, addr, 1);
    if (rc == 0)
        rc = bench_conns(out, addr, MAX_CONNS);
    df_latency_server_stop(s);
    return rc;
}
