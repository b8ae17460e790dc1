/* workloads/registry.h - the built-in workloads and the plugins loaded at run.
 *
 * Built-ins come first, in the order of the list in registry.c, then plugins
 * in load order. Loading and resetting are for the start of main (and
 * tests): they are not thread-safe against lookups running at the same time.
 */
#ifndef DF_WORKLOADS_REGISTRY_H
#define DF_WORKLOADS_REGISTRY_H

#include <stdio.h>

#include "base/err.h"
#include "workloads/workload.h"

/* Most plugins one run may load. */
#define DF_REGISTRY_MAX_PLUGINS 32

/* The workload called name (built-in or plugin), or NULL. */
const df_workload *df_registry_find(const char *name);

/* dlopens the shared object at path and registers the workload its
 * duckfeed_workload() returns. Returns 0, or a negative errno with a line
 * "plugin PATH: reason" in err and nothing registered:
 *   -ENOENT   no such file
 *   -ENOEXEC  dlopen failed (not a shared object, unresolved symbols) or
 *             the entry symbol is missing
 *   -EPROTO   built against another DF_WORKLOAD_ABI_VERSION
 *   -EEXIST   a workload of that name is already registered
 *   -EINVAL   the table is malformed (no name, handle or summary, a bad
 *             name, invalid parameter declarations or defaults)
 *   -ENOSPC   DF_REGISTRY_MAX_PLUGINS are loaded already */
int df_registry_load_plugin(const char *path, df_err *err);

/* Checks a workload table as a plugin's is checked (0 or -EINVAL/-EPROTO
 * with "workload NAME: reason" in err). Tests run it on every built-in. */
int df_registry_validate(const df_workload *w, df_err *err);

/* Workloads registered, and the i-th (0 <= i < count; else NULL). */
int df_registry_count(void);
const df_workload *df_registry_at(int i);

/* Writes every workload with its kind, summary and parameters (type,
 * default, help) - the body of `duckfeed list`. */
void df_registry_print(FILE *out);

/* Forgets every plugin and dlcloses it. Pointers into plugins dangle after. */
void df_registry_reset_plugins(void);

#endif /* DF_WORKLOADS_REGISTRY_H */
