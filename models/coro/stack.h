/* models/coro/stack.h - private to models/coro: guarded stacks from slabs,
 * the mapping budget, and the SIGSEGV guard handler. Notes in stack.c. */
#ifndef DF_MODELS_CORO_STACK_H
#define DF_MODELS_CORO_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct df__stacks df__stacks; /* one pool's slabs; one thread */

/* stack_bytes is rounded up to pages. 0 or -ENOMEM. */
int df__stacks_create(size_t stack_bytes, df__stacks **out, df_err *err);
/* Unmaps every slab (and so every stack handed out). NULL is fine. */
void df__stacks_destroy(df__stacks *s);
/* Carves one more guarded stack: [*lo, *hi) is usable, hi is the top.
 * 0, or -ENOMEM naming memory or vm.max_map_count. */
int df__stacks_carve(df__stacks *s, char **lo, char **hi, df_err *err);
uint64_t df__stacks_carved(const df__stacks *s);
uint64_t df__stacks_vmas(const df__stacks *s);

/* Installs the process-wide SIGSEGV handler once. 0 or -errno. */
int df__guard_install(df_err *err);

#endif /* DF_MODELS_CORO_STACK_H */
