/* harness/serve/serve_private.h - (harness/serve private) what one worker
 * process gets, and the request step every way of serving shares. */
#ifndef DF_HARNESS_SERVE_SERVE_PRIVATE_H
#define DF_HARNESS_SERVE_SERVE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/serve/http.h"
#include "harness/serve/route.h"
#include "harness/serve/serve.h"

typedef struct df__serve_worker {
    const df_serve_cfg *cfg;
    df_routes *routes; /* each process its own copy */
    int listen_fd;     /* shared by every worker, O_NONBLOCK */
    int index;         /* 0-based worker process */
    int plain_blocks;  /* loop: the asyncio model's plain calls */
    int64_t keepalive_ns;
} df__serve_worker;

/* A way of serving, run in a forked worker; returns only on a fatal
 * error (the exit code's reason is printed). */
typedef int df__serve_fn(const df__serve_worker *w);
df__serve_fn df__serve_sync, df__serve_gthread, df__serve_loop;

/* Readies the listener for the sync workers before they fork: options
 * every accepted socket inherits (the read timeout). */
void df__serve_sync_prepare(int listen_fd, const df_serve_cfg *cfg);

/* The complete request in c: resolves it, runs the workload through ctx
 * (state, params and request_id are set here; *p is where the params
 * live; the first request for a set of values runs setup, see route.h), and
 * formats the whole response into out (DF_HTTP_OUT_BYTES). *keep says whether
 * the connection stays open: keep_ok (the server's policy) and the request both
 * allow it. Returns the response's length. */
size_t df__serve_answer(df_routes *rt,
                        df_http_conn *c,
                        df_ctx *ctx,
                        df_params *p,
                        int keep_ok,
                        char *out,
                        int *keep);

/* Sends all n bytes of buf on a blocking socket. 0 or -errno. */
int df__serve_send_all(int fd, const char *buf, size_t n);

#endif /* DF_HARNESS_SERVE_SERVE_PRIVATE_H */
