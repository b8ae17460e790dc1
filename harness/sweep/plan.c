/* harness/sweep/plan.c - `duckfeed run`'s option lists expanded into points. */
#include "harness/sweep/plan.h"

#include <errno.h>
#include <stdlib.h>

#define PLAN_START_POINTS 16 /* then doubled as needed */

static int plan_add(df_plan *p, const df_point_cfg *pc)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : PLAN_START_POINTS;
        df_point_cfg *np = realloc(p->pts, (size_t)cap * sizeof *np);
        if (!np)
            return -ENOMEM;
        p->pts = np;
        p->cap = cap;
    }
    p->pts[p->n++] = *pc;
    return 0;
}

/* Every combination that means something, as the model's traits say:
 * --workers sizes a prefork model (--processes the others), --threads one
 * sized by threads, --hogs one that takes them, the GIL knobs one whose
 * lanes share an interpreter lock. */
int df__plan_expand(df_run_opts *o, df_plan *p)
{
    for (int w = 0; w < o->nwl; w++)
        for (int m = 0; m < o->nmodels; m++) {
            const df_model_ops *ops = o->models[m];
            int is_proc = (ops->traits & DF_MODEL_PREFORK) != 0;
            int no_gil = (ops->traits & DF_MODEL_GIL) == 0;
            const df_int_list one = { 1, { 1 } }, zero = { 1, { 0 } };
            const df_int_list *sizes = is_proc ? &o->workers : &o->processes;
            const df_int_list *threads =
                ops->traits & DF_MODEL_THREADS ? &o->threads : &one;
            const df_int_list *hogs =
                ops->traits & DF_MODEL_HOGS ? &o->hogs : &zero;
            int ngil = no_gil ? 1 : o->ngils;
            for (int s = 0; s < sizes->n; s++)
                for (int t = 0; t < threads->n; t++)
                    for (int g = 0; g < ngil; g++) {
                        df_gil_mode gil = no_gil ? DF_GIL_NEW : o->gils[g];
                        int nsw =
                            gil == DF_GIL_NEW && !no_gil ? o->switch_us.n : 1;
                        for (int si = 0; si < nsw; si++)
                            for (int h = 0; h < hogs->n; h++)
                                for (int c = 0; c < (o->nrates ? o->nrates : o->concurrency.n); c++) {
                                    df_point_cfg pc = { 0 };
                                    pc.model = ops;
                                    pc.mcfg = o->base;
                                    pc.mcfg.workers = is_proc ? (int)sizes->v[s] : 1;
                                    pc.processes = is_proc ? 1 : (int)sizes->v[s];
                                    pc.mcfg.threads = (int)threads->v[t];
                                    pc.mcfg.gil = gil;
                                    pc.mcfg.switch_interval_us = o->switch_us.v[nsw > 1 ? si : 0];
                                    pc.mcfg.check_interval = o->check_interval;
                                    pc.mcfg.hogs = (int)hogs->v[h];
                                    pc.mcfg.workload = o->wl[w];
                                    pc.mcfg.params = &o->wl_params[w];
                                    pc.workload_spec = o->wl_label[w];
                                    if (o->nrates) {
                                        pc.rate_rps = o->rates[c];
                                        pc.arrivals = o->arrivals;
                                        pc.max_inflight = o->max_inflight;
                                    } else {
                                        pc.concurrency = (int)o->concurrency.v[c];
                                    }
                                    pc.repeat = o->repeat;
                                    pc.seed = o->seed;
                                    pc.duration_ns = o->duration_ns;
                                    pc.warmup_ns = o->requests ? 0 : o->warmup_ns;
                                    pc.requests = o->requests;
                                    pc.trace = o->trace;
                                    if (plan_add(p, &pc) < 0)
                                        return -ENOMEM;
                                }
                    }
        }
    return 0;
}
