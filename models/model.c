/* models/model.c - the list of models: a built-in is one line here, any
 * other one df_model_register call. */
#include "models/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern const df_model_ops df_model_process;
extern const df_model_ops df_model_thread;
extern const df_model_ops df_model_coroutine;
extern const df_model_ops df_model_asyncio;

const df_model_ops *const df_models[] = {
    &df_model_process,
    &df_model_thread,
    &df_model_coroutine,
    &df_model_asyncio,
    NULL,
};

/* Written only by df_model_register, before any run (see model.h), so the
 * readers need no lock. */
static const df_model_ops *registered[DF_MODEL_MAX_REGISTERED];
static int nregistered;

static int nbuiltin(void)
{
    return (int)(sizeof df_models / sizeof df_models[0]) - 1;
}

const df_model_ops *df_model_at(int i)
{
    if (i < 0)
        return NULL;
    if (i < nbuiltin())
        return df_models[i];
    i -= nbuiltin();
    return i < nregistered ? registered[i] : NULL;
}

const df_model_ops *df_model_find(const char *name)
{
    const df_model_ops *m;

    for (int i = 0; (m = df_model_at(i)); i++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

static df_model_fatal_fn *fatal_hook;

void df_model_fatal_hook_set(df_model_fatal_fn *fn)
{
    fatal_hook = fn;
}

void df__model_fatal(const char *msg)
{
    if (fatal_hook)
        fatal_hook(msg);
}

void df_model_stats_clear(df_model_stats *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nprocesses && s->per_process; i++)
        df_model_stats_clear(&s->per_process[i]);
    free(s->per_process);
    free(s->gil.threads);
    memset(s, 0, sizeof *s);
}

int df_model_register(const df_model_ops *ops)
{
    if (!ops || !ops->name || !ops->start || !ops->submit || !ops->stop)
        return -EINVAL;
    if (df_model_find(ops->name))
        return -EEXIST;
    if (nregistered == DF_MODEL_MAX_REGISTERED)
        return -ENOSPC;
    registered[nregistered++] = ops;
    return 0;
}
