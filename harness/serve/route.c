/* harness/serve/route.c - URL to workload, parameters and setup state.
 *
 * Each worker process sets a workload up itself, on the first request
 * for each set of values (#14), as gunicorn without --preload imports the
 * app in every worker. Setting up once in the master with the defaults
 * made query values that only setup() reads (/cpu?us=...) do nothing,
 * and a setup's threads (echo's peer, a latency server) do not survive
 * fork, which left the master threaded when the workers started theirs.
 * Kept setups are never torn down in a worker: it ends by SIGTERM.
 */
#include "harness/serve/route.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/params.h"
#include "workloads/registry.h"

int df_routes_init(df_routes *rt, df_err *err)
{
    int n = df_registry_count();
    rt->n = 0;
    rt->r = calloc((size_t)(n > 0 ? n : 1), sizeof *rt->r);
    if (!rt->r)
        return df_err_set(err, -ENOMEM, "serve: out of memory");
    DF_CHECK(pthread_mutex_init(&rt->mu, NULL) == 0);
    for (int i = 0; i < n; i++) {
        df_route *r = &rt->r[i];
        r->w = df_registry_at(i);
        int rc = df_params_defaults(r->w, &r->defaults, err);
        if (rc < 0) {
            df_routes_teardown(rt);
            return rc;
        }
        rt->n++;
    }
    return 0;
}

void df_routes_teardown(df_routes *rt)
{
    if (!rt->r)
        return;
    for (int i = 0; i < rt->n; i++) {
        df_route *r = &rt->r[i];
        for (int k = 0; k < r->nsetups; k++)
            if (r->setups[k].rc == 0 && r->w->teardown)
                r->w->teardown(r->setups[k].state);
    }
    DF_CHECK(pthread_mutex_destroy(&rt->mu) == 0);
    free(rt->r);
    rt->r = NULL;
    rt->n = 0;
}

/* Copies s[0..n) into buf (cap bytes) as a string; 0, or -1 if too long. */
static int copy_str(char *buf, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 0;
}

/* One name=value pair of the query into p. 200 or 400 with why. */
static int set_param(const df_workload *w,
                     const char *s,
                     size_t n,
                     df_params *p,
                     char *why,
                     size_t whylen)
{
    char name[64], value[128];
    const char *eq = memchr(s, '=', n);
    size_t nlen = eq ? (size_t)(eq - s) : n;
    if (!eq || copy_str(name, sizeof name, s, nlen) < 0 ||
        copy_str(value, sizeof value, eq + 1, n - nlen - 1) < 0) {
        snprintf(why, whylen, "query: \"%.*s\" is not name=value",
                 (int)(n > 60 ? 60 : n), s);
        return 400;
    }
    int i = df_params_index(w, name);
    if (i < 0) {
        snprintf(why, whylen, "workload %s has no parameter \"%s\"", w->name,
                 name);
        return 400;
    }
    df_err err = { 0 };
    if (df_param_parse_value(w->name, &w->params[i], value, &p->value[i],
                             &err) < 0) {
        snprintf(why, whylen, "%s", err.msg);
        return 400;
    }
    return 200;
}

static df_route *find(df_routes *rt, const char *name)
{
    for (int i = 0; i < rt->n; i++)
        if (!strcmp(rt->r[i].w->name, name))
            return &rt->r[i];
    return NULL;
}

static int same_values(const df_params *a, const df_params *b)
{
    if (a->count != b->count)
        return 0;
    for (int i = 0; i < a->count; i++)
        if (a->value[i] != b->value[i])
            return 0;
    return 1;
}

/* The first k of r's setups with the values of p, or NULL. */
static df_route_setup *find_setup(df_route *r, int k, const df_params *p)
{
    for (int i = 0; i < k; i++)
        if (same_values(&r->setups[i].params, p))
            return &r->setups[i];
    return NULL;
}

/* Under rt->mu: sets r up with p in the next free entry, or NULL if
 * none is left. The entry is published (nsetups) once filled, so that
 * find_setup without the lock sees only whole entries. */
static df_route_setup *add_setup(df_route *r, const df_params *p)
{
    if (r->nsetups == DF_ROUTE_SETUPS)
        return NULL;
    df_route_setup *s = &r->setups[r->nsetups];
    s->params = *p;
    s->state = NULL;
    s->why[0] = '\0';
    s->rc = r->w->setup(p, &s->state, s->why, sizeof s->why);
    if (s->rc < 0 && !s->why[0])
        snprintf(s->why, sizeof s->why, "workload %s: setup: %s", r->w->name,
                 strerror(-s->rc));
    __atomic_store_n(&r->nsetups, r->nsetups + 1, __ATOMIC_RELEASE);
    return s;
}

/* *state for r with p: 200, or 400 / 503 with why. */
static int setup_state(df_routes *rt,
                       df_route *r,
                       const df_params *p,
                       void **state,
                       char *why,
                       size_t whylen)
{
    *state = NULL;
    if (!r->w->setup)
        return 200;
    int k = __atomic_load_n(&r->nsetups, __ATOMIC_ACQUIRE);
    df_route_setup *s = find_setup(r, k, p);
    if (!s) {
        DF_CHECK(pthread_mutex_lock(&rt->mu) == 0);
        s = find_setup(r, r->nsetups, p);
        if (!s)
            s = add_setup(r, p);
        DF_CHECK(pthread_mutex_unlock(&rt->mu) == 0);
    }
    if (!s) {
        snprintf(why, whylen,
                 "workload %s: more than %d sets of parameter values in one "
                 "worker (each has its own setup); restart serve for others",
                 r->w->name, DF_ROUTE_SETUPS);
        return 400;
    }
    if (s->rc < 0) {
        snprintf(why, whylen, "%s", s->why); /* names the workload */
        return 503;
    }
    *state = s->state;
    return 200;
}

int df_routes_resolve(df_routes *rt,
                      const char *url,
                      size_t len,
                      const df_workload **w,
                      df_params *p,
                      void **state,
                      char *why,
                      size_t whylen)
{
    struct http_parser_url u;
    char name[64];

    http_parser_url_init(&u);
    if (http_parser_parse_url(url, len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH))) {
        snprintf(why, whylen, "bad request target");
        return 400;
    }
    const char *path = url + u.field_data[UF_PATH].off + 1; /* past '/' */
    size_t plen = u.field_data[UF_PATH].len - 1;
    df_route *r = NULL;
    if (copy_str(name, sizeof name, path, plen) == 0)
        r = find(rt, name);
    if (!r) {
        snprintf(why, whylen, "no workload \"%.*s\" (duckfeed list)",
                 (int)(plen > 60 ? 60 : plen), path);
        return 404;
    }
    *p = r->defaults;
    if (u.field_set & (1 << UF_QUERY)) {
        const char *q = url + u.field_data[UF_QUERY].off;
        const char *end = q + u.field_data[UF_QUERY].len;
        while (q < end) {
            const char *amp = memchr(q, '&', (size_t)(end - q));
            const char *stop = amp ? amp : end;
            int st = stop > q ? set_param(r->w, q, (size_t)(stop - q), p, why,
                                          whylen)
                              : 200;
            if (st != 200)
                return st;
            q = stop + 1;
        }
    }
    *w = r->w;
    return setup_state(rt, r, p, state, why, whylen);
}
