/* harness/sweep/plan.c - `duckfeed run`'s option lists expanded into points. */
#include "harness/sweep/plan.h"

#include <errno.h>
#include <stdlib.h>

/* The lists that size one model's points, as its traits say: --workers
 * sizes a prefork model (--processes the others), --threads one sized by
 * threads, --hogs one that takes them, the GIL knobs one whose lanes share
 * an interpreter lock. */
typedef struct axes {
    const df_int_list *sizes, *threads, *hogs;
    int ngil;   /* --gil values that apply */
    int nloads; /* rates (open loop) or concurrencies */
} axes;

static const df_int_list one = { 1, { 1 } }, zero = { 1, { 0 } };

static axes axes_of(const df_run_opts *o, const df_model_ops *ops)
{
    int is_proc = (ops->traits & DF_MODEL_PREFORK) != 0;

    return (axes){
        .sizes = is_proc ? &o->workers : &o->processes,
        .threads = ops->traits & DF_MODEL_THREADS ? &o->threads : &one,
        .hogs = ops->traits & DF_MODEL_HOGS ? &o->hogs : &zero,
        .ngil = ops->traits & DF_MODEL_GIL ? o->ngils : 1,
        .nloads = o->nrates ? o->nrates : o->concurrency.n,
    };
}

/* The GIL mode of the g-th --gil value, and how many switch intervals
 * apply to it (only the new GIL has one). */
static df_gil_mode gil_of(const df_run_opts *o, const df_model_ops *ops, int g)
{
    return ops->traits & DF_MODEL_GIL ? o->gils[g] : DF_GIL_NEW;
}

static int switches_of(const df_run_opts *o, const df_model_ops *ops, int g)
{
    int has_gil = (ops->traits & DF_MODEL_GIL) != 0;

    return has_gil && gil_of(o, ops, g) == DF_GIL_NEW ? o->switch_us.n : 1;
}

int64_t df__plan_count(const df_run_opts *o)
{
    int64_t total = 0;

    /* At most 16 workloads x 8 models x 64^5 x 3 gils: far from
     * overflow, so the product is exact. */
    for (int m = 0; m < o->nmodels; m++) {
        const df_model_ops *ops = o->models[m];
        axes a = axes_of(o, ops);
        int64_t per_gil = 0;

        for (int g = 0; g < a.ngil; g++)
            per_gil += switches_of(o, ops, g);
        total += (int64_t)o->nwl * a.sizes->n * a.threads->n * per_gil *
                 a.hogs->n * a.nloads;
    }
    return total;
}

/* The point of workload w on model ops at one index of each list. */
static df_point_cfg point_of(const df_run_opts *o,
                             int w,
                             const df_model_ops *ops,
                             int64_t size,
                             int64_t threads,
                             df_gil_mode gil,
                             int64_t switch_us,
                             int64_t hogs,
                             int load)
{
    int is_proc = (ops->traits & DF_MODEL_PREFORK) != 0;
    df_point_cfg pc = { .model = ops, .mcfg = o->base };

    pc.mcfg.workers = is_proc ? (int)size : 1;
    pc.processes = is_proc ? 1 : (int)size;
    pc.mcfg.threads = (int)threads;
    pc.mcfg.gil = gil;
    pc.mcfg.switch_interval_us = switch_us;
    pc.mcfg.check_interval = o->check_interval;
    pc.mcfg.hogs = (int)hogs;
    for (int m = 0; m < o->nmodels; m++)
        if (o->models[m] == ops)
            pc.mcfg.request_cost_ns = o->request_cost_ns[m];
    pc.mcfg.workload = o->wl[w];
    pc.mcfg.params = &o->wl_params[w];
    pc.workload_spec = o->wl_label[w];
    if (o->nrates) {
        pc.rate_rps = o->rates[load];
        pc.arrivals = o->arrivals;
        pc.max_inflight = o->max_inflight;
    } else {
        pc.concurrency = (int)o->concurrency.v[load];
    }
    pc.repeat = o->repeat;
    pc.seed = o->seed;
    pc.duration_ns = o->duration_ns;
    pc.warmup_ns = o->requests ? 0 : o->warmup_ns;
    /* --warmup auto: until steady in closed loop; a fixed one in open. */
    pc.warmup_auto = o->warmup_auto && !o->requests && pc.rate_rps <= 0;
    if (o->warmup_auto && pc.rate_rps > 0)
        pc.warmup_ns = DF_POINT_OPEN_WARMUP_NS;
    pc.requests = o->requests;
    pc.trace = o->trace;
    return pc;
}

/* Appends the points of workload w on model ops; p has room for them. */
static void add_model(const df_run_opts *o,
                      int w,
                      const df_model_ops *ops,
                      df_plan *p)
{
    axes a = axes_of(o, ops);

    for (int s = 0; s < a.sizes->n; s++)
        for (int t = 0; t < a.threads->n; t++)
            for (int g = 0; g < a.ngil; g++) {
                int nsw = switches_of(o, ops, g);

                for (int si = 0; si < nsw; si++)
                    for (int h = 0; h < a.hogs->n; h++)
                        for (int c = 0; c < a.nloads; c++) {
                            DF_CHECK(p->n < p->cap);
                            p->pts[p->n++] =
                                point_of(o, w, ops, a.sizes->v[s],
                                         a.threads->v[t], gil_of(o, ops, g),
                                         o->switch_us.v[si], a.hogs->v[h], c);
                        }
            }
}

int df__plan_expand(df_run_opts *o, df_plan *p)
{
    int64_t n = df__plan_count(o);

    /* #12: counted first, so a plan too big to run allocates nothing. */
    if (n > DF_PLAN_MAX_POINTS)
        return -E2BIG;
    p->pts = n ? malloc((size_t)n * sizeof *p->pts) : NULL;
    if (n && !p->pts)
        return -ENOMEM;
    p->n = 0;
    p->cap = (int)n;
    for (int w = 0; w < o->nwl; w++)
        for (int m = 0; m < o->nmodels; m++)
            add_model(o, w, o->models[m], p);
    return 0;
}
