/* harness/serve/route.h - (harness/serve private) the path picks the
 * workload, the query its parameters: /cpu?us=2000, /sleep?ms=50, /noop,
 * any plugin (#14). */
#ifndef DF_HARNESS_SERVE_ROUTE_H
#define DF_HARNESS_SERVE_ROUTE_H

#include <pthread.h>
#include <stddef.h>

#include "base/err.h"
#include "workloads/workload.h"

#define DF_ROUTE_SETUPS 16 /* parameter sets per workload per worker */

/* One setup() of a workload, for one set of parameter values. */
typedef struct df_route_setup {
    df_params params; /* what setup() was given */
    void *state;      /* what it returned */
    int rc;           /* 0, or its error: requests get 503 and why */
    char why[160];
} df_route_setup;

typedef struct df_route {
    const df_workload *w;
    df_params defaults;
    int nsetups; /* ready entries of setups[]; release/acquire atomics */
    df_route_setup setups[DF_ROUTE_SETUPS];
} df_route;

typedef struct df_routes {
    int n;
    df_route *r;        /* n, registry order; owned */
    pthread_mutex_t mu; /* held while a setup() runs and is recorded */
    /* #15: CPU charged before each handler, as a real server's parsing
     * and dispatch (serve --calibration); 0: none. */
    int64_t request_cost_ns;
} df_routes;

/* One route per registered workload with its declared defaults; nothing
 * is set up yet. 0, or -ENOMEM / -EINVAL (a bad default) with err set. */
int df_routes_init(df_routes *rt, df_err *err);
/* Tears down what this process set up and frees rt; zeroed is fine. */
void df_routes_teardown(df_routes *rt);

/* Resolves url (len bytes, not NUL-terminated): 200 with *w, *p (the
 * defaults, then the query's name=value pairs) and *state set; else 404
 * (no such workload), 400 (a bad parameter, or more parameter sets than
 * DF_ROUTE_SETUPS) or 503 (setup failed), with a line in why (whylen
 * bytes).
 *
 * A workload with a setup() gets one per distinct set of values, run
 * here on its first request in this process and kept (#14): a query
 * value setup() reads (/cpu?us=2000) then takes effect, as it does for
 * a point of `duckfeed run`. Thread-safe; a request whose values were
 * seen before takes no lock and allocates nothing. */
int df_routes_resolve(df_routes *rt,
                      const char *url,
                      size_t len,
                      const df_workload **w,
                      df_params *p,
                      void **state,
                      char *why,
                      size_t whylen);

#endif /* DF_HARNESS_SERVE_ROUTE_H */
