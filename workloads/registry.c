/* workloads/registry.c - the built-in workload list and the plugin loader.
 *
 * A plugin is checked before it is registered, so that a mistake in it is a
 * one-line refusal at start rather than a crash in a worker later: the ABI
 * version first (nothing else in the table can be trusted across versions),
 * then the name, the callbacks, and every parameter declaration, whose
 * default is parsed exactly as user input would be.
 */
#include "workloads/registry.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "workloads/params.h"

/* A new built-in is one file defining df_workload_<name> plus two lines. */
extern const df_workload df_workload_noop;
extern const df_workload df_workload_cpu;
extern const df_workload df_workload_sleep;
extern const df_workload df_workload_crash;
extern const df_workload df_workload_hash;
extern const df_workload df_workload_upstream;
extern const df_workload df_workload_file;
extern const df_workload df_workload_web;
extern const df_workload df_workload_hang;
extern const df_workload df_workload_leak;
extern const df_workload df_workload_blocking;
extern const df_workload df_workload_offload;
extern const df_workload df_workload_overflow;
extern const df_workload df_workload_echo;
extern const df_workload df_workload_syncsleep;

static const df_workload *const builtins[] = {
    &df_workload_noop,      &df_workload_cpu,
    &df_workload_sleep,     &df_workload_crash,
    &df_workload_hash,      &df_workload_upstream,
    &df_workload_file,      &df_workload_web,
    &df_workload_hang,      &df_workload_leak,
    &df_workload_blocking,  &df_workload_offload,
    &df_workload_overflow,  &df_workload_echo,
    &df_workload_syncsleep, NULL,
};

typedef struct plugin {
    void *handle; /* from dlopen */
    const df_workload *w;
} plugin;

static plugin plugins[DF_REGISTRY_MAX_PLUGINS];
static int nplugins;

static int builtin_count(void)
{
    int n = 0;

    while (builtins[n])
        n++;
    return n;
}

int df_registry_count(void)
{
    return builtin_count() + nplugins;
}

const df_workload *df_registry_at(int i)
{
    int nb = builtin_count();

    if (i < 0)
        return NULL;
    if (i < nb)
        return builtins[i];
    if (i - nb < nplugins)
        return plugins[i - nb].w;
    return NULL;
}

const df_workload *df_registry_find(const char *name)
{
    int n = df_registry_count();

    if (!name)
        return NULL;
    for (int i = 0; i < n; i++) {
        const df_workload *w = df_registry_at(i);
        if (strcmp(w->name, name) == 0)
            return w;
    }
    return NULL;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    }
    return 1;
}

static int validate_params(const df_workload *w, df_err *err)
{
    df_params p;
    int n = df_params_count(w);

    if (n < 0)
        return df_err_set(err, -EINVAL,
                          "workload %s: more than %d parameters or the list "
                          "lacks its NULL-name end",
                          w->name, DF_WORKLOAD_MAX_PARAMS);
    for (int i = 0; i < n; i++) {
        const df_param_decl *d = &w->params[i];
        if (!valid_name(d->name))
            return df_err_set(err, -EINVAL,
                              "workload %s: parameter %d: name \"%s\" is not "
                              "[a-z0-9_-]+",
                              w->name, i, d->name);
        if ((unsigned)d->type > DF_PARAM_BOOL)
            return df_err_set(err, -EINVAL,
                              "workload %s: parameter %s: unknown type %d",
                              w->name, d->name, (int)d->type);
        if (!d->help)
            return df_err_set(err, -EINVAL,
                              "workload %s: parameter %s has no help", w->name,
                              d->name);
        for (int j = 0; j < i; j++) {
            if (strcmp(w->params[j].name, d->name) == 0)
                return df_err_set(err, -EINVAL,
                                  "workload %s: parameter %s is declared "
                                  "twice",
                                  w->name, d->name);
        }
    }
    /* Parses every default, and checks units, as user input would be. */
    return df_params_defaults(w, &p, err);
}

int df_registry_validate(const df_workload *w, df_err *err)
{
    if (!w)
        return df_err_set(err, -EINVAL, "workload table is NULL");
    if (w->abi_version != DF_WORKLOAD_ABI_VERSION)
        return df_err_set(err, -EPROTO,
                          "built for workload ABI %u, this duckfeed speaks %d "
                          "(rebuild it against this workload.h)",
                          (unsigned)w->abi_version, DF_WORKLOAD_ABI_VERSION);
    if (!w->name)
        return df_err_set(err, -EINVAL, "workload table has no name");
    if (!valid_name(w->name))
        return df_err_set(err, -EINVAL,
                          "workload name \"%s\" is not [a-z0-9_-]+", w->name);
    if (!w->summary)
        return df_err_set(err, -EINVAL, "workload %s: no summary", w->name);
    if (!w->handle)
        return df_err_set(err, -EINVAL, "workload %s: no handle function",
                          w->name);
    if ((unsigned)w->kind > DF_KIND_MIXED)
        return df_err_set(err, -EINVAL, "workload %s: unknown kind %d", w->name,
                          (int)w->kind);
    return validate_params(w, err);
}

/* Loads and checks; on success *out and *handle are set. */
static int open_plugin(const char *path,
                       void **handle,
                       const df_workload **out,
                       df_err *err)
{
    char dlpath[4096];
    struct stat st;
    df_workload_entry_fn *entry;
    void *h;

    if (stat(path, &st) < 0)
        return df_err_set(err, -errno, "plugin %s: %s", path, strerror(errno));
    /* Without a slash dlopen searches the library path, not the directory
     * the user meant: "libmine.so" is read as "./libmine.so". */
    snprintf(dlpath, sizeof dlpath, "%s%s", strchr(path, '/') ? "" : "./",
             path);
    dlerror();
    h = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return df_err_set(err, -ENOEXEC, "plugin %s: cannot load: %s", path,
                          dlerror());
    /* POSIX sanctions this object-to-function cast for dlsym results. */
    *(void **)&entry = dlsym(h, DF_WORKLOAD_ENTRY_SYMBOL);
    if (!entry) {
        dlclose(h);
        return df_err_set(err, -ENOEXEC,
                          "plugin %s: no symbol %s (export "
                          "const df_workload *%s(void))",
                          path, DF_WORKLOAD_ENTRY_SYMBOL,
                          DF_WORKLOAD_ENTRY_SYMBOL);
    }
    *out = entry();
    *handle = h;
    return 0;
}

int df_registry_load_plugin(const char *path, df_err *err)
{
    const df_workload *w = NULL;
    void *h = NULL;
    df_err why = { 0 };
    int rc;

    if (nplugins == DF_REGISTRY_MAX_PLUGINS)
        return df_err_set(err, -ENOSPC,
                          "plugin %s: %d plugins are loaded "
                          "already",
                          path, DF_REGISTRY_MAX_PLUGINS);
    rc = open_plugin(path, &h, &w, err);
    if (rc < 0)
        return rc;
    if (!w) {
        rc = df_err_set(err, -EINVAL, "plugin %s: %s() returned NULL", path,
                        DF_WORKLOAD_ENTRY_SYMBOL);
        goto fail;
    }
    rc = df_registry_validate(w, &why);
    if (rc < 0) {
        df_err_set(err, rc, "plugin %s: %s", path, why.msg);
        goto fail;
    }
    if (df_registry_find(w->name)) {
        rc = df_err_set(err, -EEXIST,
                        "plugin %s: a workload named \"%s\" exists already",
                        path, w->name);
        goto fail;
    }
    plugins[nplugins].handle = h;
    plugins[nplugins].w = w;
    nplugins++;
    return 0;

fail:
    dlclose(h);
    return rc;
}

void df_registry_reset_plugins(void)
{
    /* Newest first: a plugin may depend on one loaded before it. */
    while (nplugins > 0) {
        nplugins--;
        dlclose(plugins[nplugins].handle);
        plugins[nplugins].handle = NULL;
        plugins[nplugins].w = NULL;
    }
}

static const char *kind_name(df_workload_kind k)
{
    switch (k) {
    case DF_KIND_CPU:
        return "cpu";
    case DF_KIND_IO:
        return "io";
    case DF_KIND_MIXED:
        return "mixed";
    }
    return "?";
}

static const char *type_name(df_param_type t)
{
    switch (t) {
    case DF_PARAM_INT:
        return "int";
    case DF_PARAM_DURATION:
        return "duration";
    case DF_PARAM_SIZE:
        return "size";
    case DF_PARAM_BOOL:
        return "bool";
    }
    return "?";
}

void df_registry_print(FILE *out)
{
    int n = df_registry_count();
    int nb = builtin_count();

    for (int i = 0; i < n; i++) {
        const df_workload *w = df_registry_at(i);
        int np = df_params_count(w);

        fprintf(out, "%-10s %-5s %s%s\n", w->name, kind_name(w->kind),
                w->summary, i >= nb ? " [plugin]" : "");
        for (int j = 0; j < np; j++) {
            const df_param_decl *d = &w->params[j];
            char type[32];
            if (d->unit)
                snprintf(type, sizeof type, "%s, %s", type_name(d->type),
                         d->unit);
            else
                snprintf(type, sizeof type, "%s", type_name(d->type));
            fprintf(out, "    %-10s %-14s default %-6s %s\n", d->name, type,
                    d->default_value, d->help);
        }
    }
}
