/* workloads/upstream.h - a call to a slow upstream over loopback TCP (upstream,
 * web). */
#ifndef DF_WORKLOADS_UPSTREAM_H
#define DF_WORKLOADS_UPSTREAM_H

#include <netinet/in.h>
#include <pthread.h>

#include "workloads/latency_server.h"
#include "workloads/workload.h"

/* Connections a pool keeps open when the workload does not say (web):
 * enough not to cap the default sweeps; a driver's own default is nearer
 * 10 (asyncpg max_size, SQLAlchemy 5 + 10 overflow). */
#define DF_UPSTREAM_CONNS_DEFAULT 100
#define DF_UPSTREAM_CONNS_MAX     4096

/* Keep-alive connections to a latency server, as a database driver's pool
 * holds them: one pool per process (each forked worker opens its own on
 * first use; the threads or coroutines of a process share it). A request
 * takes a connection, makes its round trip and gives it back; with every
 * connection taken it waits through the ctx (a coroutine yields, a thread
 * releases the GIL). Free connections are a stack under a mutex (LIFO,
 * as SQLAlchemy's pool_use_lifo: a pool only opens as many connections as
 * requests ever overlapped); a request finding none queues with an
 * eventfd of its own and waits on it with a ctx read, and a returned
 * connection is handed to the oldest waiter - one waiter per descriptor,
 * as an event loop requires. A broken connection is closed and its slot
 * reconnects on its next use. */
typedef struct df_upstream_waiter df_upstream_waiter; /* upstream.c */

typedef struct df_upstream_pool {
    struct sockaddr_in addr;
    int size;        /* connections at most */
    int *fds;        /* per slot: a connection, or -1 (connect on use) */
    int *free_slots; /* stack of free slots, under mu */
    int nfree;
    pthread_mutex_t mu;                  /* the stack and the queue */
    df_upstream_waiter *q_head, *q_tail; /* FIFO, under mu */
    int64_t connects; /* connections opened, for tests (atomic) */
} df_upstream_pool;

/* 0, or -ENOMEM. Opens nothing: connections are made on first use by the
 * process that uses them, so init before the workers fork, use after. */
int df_upstream_pool_init(df_upstream_pool *p,
                          struct sockaddr_in addr,
                          int size);
/* One request through a pooled connection; 0 or a negative errno (-EPROTO
 * for a short or wrong response). A reused connection found broken before
 * any response byte is replaced and the request tried once more. */
int df_upstream_pool_call(df_ctx *ctx, df_upstream_pool *p);
/* Closes this process's connections and pipe; no call may be in flight. */
void df_upstream_pool_close(df_upstream_pool *p);

/* One request on a connection of its own, closed after (no pool): a
 * non-blocking connect, the request, the response, all through the ctx.
 * Returns 0, or a negative errno (-EPROTO for a short response). */
int df_upstream_call(df_ctx *ctx, const struct sockaddr_in *addr);

/* The state upstream's setup returns, for tests to read its counters. */
typedef struct df_upstream_state {
    df_latency_server *server;
    struct sockaddr_in addr;
    df_upstream_pool pool;
} df_upstream_state;

/* df_workload.peer for upstream and web: the latency server's counts. */
void df_upstream_peer(void *state, df_workload_peer *out);

#endif /* DF_WORKLOADS_UPSTREAM_H */
