/* harness/serve/route.c - URL to workload and parameters. */
#include "harness/serve/route.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/params.h"
#include "workloads/registry.h"

int df_routes_setup(df_routes *rt, df_err *err)
{
    int n = df_registry_count();
    rt->n = 0;
    rt->r = calloc((size_t)(n > 0 ? n : 1), sizeof *rt->r);
    if (!rt->r)
        return df_err_set(err, -ENOMEM, "serve: out of memory");
    for (int i = 0; i < n; i++) {
        df_route *r = &rt->r[i];
        r->w = df_registry_at(i);
        int rc = df_params_defaults(r->w, &r->defaults, err);
        if (rc < 0) {
            df_routes_teardown(rt);
            return rc;
        }
        if (r->w->setup)
            r->setup_rc =
                r->w->setup(&r->defaults, &r->state, r->why, sizeof r->why);
        rt->n++;
    }
    return 0;
}

void df_routes_teardown(df_routes *rt)
{
    for (int i = 0; i < rt->n; i++) {
        df_route *r = &rt->r[i];
        if (r->setup_rc == 0 && r->w->teardown)
            r->w->teardown(r->state);
    }
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

static const df_route *find(const df_routes *rt, const char *name)
{
    for (int i = 0; i < rt->n; i++)
        if (!strcmp(rt->r[i].w->name, name))
            return &rt->r[i];
    return NULL;
}

int df_routes_resolve(const df_routes *rt,
                      const char *url,
                      size_t len,
                      const df_route **out,
                      df_params *p,
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
    const df_route *r = NULL;
    if (copy_str(name, sizeof name, path, plen) == 0)
        r = find(rt, name);
    if (!r) {
        snprintf(why, whylen, "no workload \"%.*s\" (duckfeed list)",
                 (int)(plen > 60 ? 60 : plen), path);
        return 404;
    }
    if (r->setup_rc < 0) {
        snprintf(why, whylen, "workload %s: %s", r->w->name, r->why);
        return 503;
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
    *out = r;
    return 200;
}
