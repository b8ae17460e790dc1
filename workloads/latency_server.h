/* workloads/latency_server.h - a loopback TCP server that answers late.
 *
 * Stands for a database or an upstream API: a connection sends a request
 * (DF_LATENCY_REQUEST_BYTES) and receives its response
 * (DF_LATENCY_RESPONSE_BYTES) delay_ns later, then may send the next one:
 * connections are kept alive, one request at a time, until the client
 * closes them (a pool's connections, not one per request, which would
 * leave a TIME_WAIT socket per request). It runs on its own thread in the
 * process that started it.
 */
#ifndef DF_WORKLOADS_LATENCY_SERVER_H
#define DF_WORKLOADS_LATENCY_SERVER_H

#include <netinet/in.h>
#include <stdint.h>

#include "base/err.h"

#define DF_LATENCY_REQUEST_BYTES  8
#define DF_LATENCY_RESPONSE_BYTES 8
/* A response this much later than due counts as late: the server's own
 * thread fell behind - at its capacity, or short of CPU on a busy machine
 * (on 2 shared vCPUs a few % of responses at 1 k req/s) - so that part of
 * the latency is the peer's, not the model's. A point reports these
 * (df_workload.peer) and is marked when they matter (peer_limited). */
#define DF_LATENCY_LATE_NS 1000000

typedef struct df_latency_server df_latency_server; /* opaque */

typedef struct df_latency_server_cfg {
    int64_t delay_ns;  /* time from a full request to its response */
    int64_t jitter_ns; /* each delay is delay_ns +- a uniform jitter, >= 0 */
    int pool;          /* requests served at once (a connection pool);
                          0 = unlimited. The rest queue, FIFO. */
} df_latency_server_cfg;

/* Monotonic counters since start; read at any time from any thread. */
typedef struct df_latency_server_counts {
    int64_t connections; /* accepted */
    int64_t requests;    /* full requests received */
    int64_t responses;   /* responses written */
    int64_t max_serving; /* most requests in their delay at once */
    int64_t rejected;    /* closed unserved: no descriptor left (EMFILE) */
    int64_t late;        /* answered > DF_LATENCY_LATE_NS after due */
    int64_t lag_ns;      /* summed over responses: how late each was */
} df_latency_server_counts;

/* Listens on 127.0.0.1 (an ephemeral port) and starts the thread. 0, or a
 * negative errno with err set; *out is set only on success. */
int df_latency_server_start(const df_latency_server_cfg *cfg,
                            df_latency_server **out,
                            df_err *err);

/* Stops the thread, closes every connection, frees s. NULL is fine. Call
 * it from the process that started s (a forked child has no thread). */
void df_latency_server_stop(df_latency_server *s);

/* Where clients connect. */
struct sockaddr_in df_latency_server_addr(const df_latency_server *s);

void df_latency_server_counts_get(const df_latency_server *s,
                                  df_latency_server_counts *out);

#endif /* DF_WORKLOADS_LATENCY_SERVER_H */
