/* models/model.c - the list of models: a new model is one line here. */
#include "models/model.h"

#include <stdlib.h>
#include <string.h>

extern const df_model_ops df_model_process;
extern const df_model_ops df_model_thread;
extern const df_model_ops df_model_coroutine;

const df_model_ops *const df_models[] = {
    &df_model_process,
    &df_model_thread,
    &df_model_coroutine,
    NULL,
};

const df_model_ops *df_model_find(const char *name)
{
    for (int i = 0; df_models[i]; i++)
        if (strcmp(df_models[i]->name, name) == 0)
            return df_models[i];
    return NULL;
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
