/* workloads/upstream.h - a call to a slow upstream over loopback TCP (upstream,
 * web). */
#ifndef DF_WORKLOADS_UPSTREAM_H
#define DF_WORKLOADS_UPSTREAM_H

#include <netinet/in.h>

#include "workloads/latency_server.h"
#include "workloads/workload.h"

/* One request to a latency server, only through ctx services: a
 * non-blocking connect (EINPROGRESS: wait_fd for writing), df_ctx_write of
 * the request, df_ctx_read of the response and of the server's EOF. One
 * connection per call, as a client without a pool would; ~1 syscall round
 * more than a keep-alive client, and no state shared between requests.
 * Returns 0, or a negative errno (-EPROTO for a short response). */
int df_upstream_call(df_ctx *ctx, const struct sockaddr_in *addr);

/* The state upstream's setup returns, for tests to read its counters. */
typedef struct df_upstream_state {
    df_latency_server *server;
    struct sockaddr_in addr;
} df_upstream_state;

#endif /* DF_WORKLOADS_UPSTREAM_H */
