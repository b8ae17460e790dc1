/* harness/serve/route.h - (harness/serve private) the path picks the
 * workload, the query its parameters: /cpu?us=2000, /sleep?ms=50, /noop,
 * any plugin (#14). */
#ifndef DF_HARNESS_SERVE_ROUTE_H
#define DF_HARNESS_SERVE_ROUTE_H

#include <stddef.h>

#include "base/err.h"
#include "workloads/workload.h"

typedef struct df_route {
    const df_workload *w;
    void *state;  /* setup()'s, with the declared defaults */
    int setup_rc; /* 0, or setup's error: requests get 503 */
    df_params defaults;
    char why[160]; /* setup's reason when setup_rc < 0 */
} df_route;

typedef struct df_routes {
    int n;
    df_route *r; /* n, registry order; owned */
    /* #15: CPU charged before each handler, as a real server's parsing
     * and dispatch (serve --calibration); 0: none. */
    int64_t request_cost_ns;
} df_routes;

/* One route per registered workload, each set up once with its declared
 * defaults (so forked workers inherit the state, as a --preload app). A
 * failing setup is kept: its requests get 503 and the reason. 0, or
 * -ENOMEM / -EINVAL (a bad default) with err set. */
int df_routes_setup(df_routes *rt, df_err *err);
void df_routes_teardown(df_routes *rt); /* zeroed is fine */

/* Resolves url (len bytes, not NUL-terminated): 200 with *out and *p set
 * (defaults, then the query's name=value pairs); else 404 (no such
 * workload), 400 (a bad parameter) or 503 (setup failed), with a line in
 * why (whylen bytes). No allocation. */
int df_routes_resolve(const df_routes *rt,
                      const char *url,
                      size_t len,
                      const df_route **out,
                      df_params *p,
                      char *why,
                      size_t whylen);

#endif /* DF_HARNESS_SERVE_ROUTE_H */
