/* harness/sweep/params_json.c - a point's workload parameters as JSON, each in
 * its declared unit (workloads/params.h parses and formats them). */
#include "harness/sweep/params_json.h"

#include "workloads/params.h"

json_t *df_params_to_json(const df_workload *w, const df_params *p)
{
    json_t *obj = json_object();
    int count = df_params_count(w);

    if (!obj)
        return NULL;
    for (int i = 0; i < count && i < p->count; i++) {
        const df_param_decl *d = &w->params[i];
        int64_t v = p->value[i];
        int64_t scale = df_params_unit_scale(d->type, d->unit);
        json_t *j;

        if (d->type == DF_PARAM_BOOL)
            j = json_boolean(v);
        else if (d->type == DF_PARAM_INT || scale <= 1)
            j = json_integer(v);
        else if (v % scale == 0)
            j = json_integer(v / scale);
        else
            j = json_real((double)v / (double)scale);
        if (!j || json_object_set_new(obj, d->name, j) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}
