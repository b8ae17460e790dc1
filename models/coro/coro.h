/* models/coro/coro.h - stackful coroutines: context switch, stacks, pools.
 *
 * Asymmetric coroutines: a coroutine is resumed by its pool's thread from
 * outside any coroutine (the loop), runs until it yields or returns, and
 * control then comes back to the resumer. Coroutines never resume each other.
 * This keeps shared-stack mode simple: the copying of stacks happens on the
 * resumer's own stack, never on the stack being copied.
 *
 * Two switches (df_switch_kind): hand-written assembly (x86-64, aarch64; it
 * saves only the callee-saved registers) and swapcontext(3) (which also saves
 * the signal mask with a syscall - the reason it is slow; kept to show it).
 *
 * Two stack kinds (df_stack_kind):
 *   DEDICATED - each coroutine owns a stack from mmap with a PROT_NONE guard
 *     page below it. Only touched pages cost memory. Stacks are carved from
 *     slabs and pooled; a guarded stack still costs two kernel mappings
 *     (VMAs), so the pool refuses a stack beyond vm.max_map_count with a
 *     clear -ENOMEM instead of failing obscurely. Implementation notes and
 *     the slab/VMA arithmetic at the top of stack.c.
 *   SHARED - one run stack per pool; a suspended coroutine keeps only the
 *     used part of its stack in a heap buffer sized to it. A pointer into a
 *     suspended coroutine's stack is NOT valid while it is suspended (its
 *     frames are elsewhere and another coroutine's are at its addresses):
 *     never hand one to another thread or coroutine. The one exception the
 *     loop makes (#12): a to_thread job whose argument is on the caller's
 *     stack (df_coro_stack_contains) keeps the run stack for that
 *     coroutine until the job returns, so no other coroutine of the loop
 *     runs meanwhile - correct, but serial. See models/loop/loop.c.
 *
 * A stack overflow hits a guard page; the SIGSEGV handler (on an alternate
 * signal stack) recognises guard addresses and calls the overflow hook
 * (df_coro_overflow_hook_set) with "stack overflow in a coroutine".
 *
 * Threading: a pool and its coroutines belong to one thread at a time (the
 * thread that resumes them). Nothing here takes a lock.
 */
#ifndef DF_MODELS_CORO_CORO_H
#define DF_MODELS_CORO_CORO_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "models/model.h"

#define DF_CORO_DEFAULT_STACK_BYTES (64 * 1024)
#define DF_CORO_MIN_STACK_BYTES     (16 * 1024)

typedef struct df_coro df_coro;           /* opaque: one coroutine */
typedef struct df_coro_pool df_coro_pool; /* opaque: stacks + free list */
typedef void df_coro_fn(void *arg);

typedef struct df_coro_cfg {
    df_switch_kind switch_kind;
    df_stack_kind stack_kind;
    size_t stack_size_bytes; /* 0: default; rounded up to whole pages; for
                                SHARED the size of the one run stack */
    size_t user_bytes;       /* per-coroutine area for the caller (the
                                loop's bookkeeping), 16-byte aligned */
} df_coro_cfg;

typedef struct df_coro_pool_stats {
    uint64_t live;          /* created and not finished */
    uint64_t peak_live;     /* highest live */
    uint64_t stacks_mapped; /* dedicated stacks carved so far (pooled) */
    uint64_t vmas;          /* kernel mappings this pool holds */
    uint64_t saved_bytes;   /* shared mode: bytes held in heap buffers */
    uint64_t copied_bytes;  /* shared mode: total bytes copied out + in */
} df_coro_pool_stats;

/* Makes a pool. Installs the process-wide SIGSEGV guard handler on first
 * use. 0, or -EINVAL (unknown kind, stack too small, asm switch on an
 * unsupported arch) / -ENOMEM, with a reason in err. */
int df_coro_pool_create(const df_coro_cfg *cfg,
                        df_coro_pool **out,
                        df_err *err);

/* Frees every coroutine (suspended ones are dropped without unwinding) and
 * unmaps every stack. NULL is fine. Not from inside a coroutine. */
void df_coro_pool_destroy(df_coro_pool *p);

/* Per thread that resumes coroutines: an alternate signal stack so the guard
 * handler can run after an overflow exhausted the coroutine's stack. Keeps an
 * existing one. 0 or -ENOMEM. df_coro_thread_fini undoes what init did. */
int df_coro_thread_init(df_err *err);
void df_coro_thread_fini(void);

/* Creates a coroutine that will call fn(arg) when first resumed. Reuses a
 * finished coroutine and its stack when there is one. 0, or -ENOMEM (the
 * message says whether memory or vm.max_map_count ran out). Nothing runs
 * until df_coro_resume. */
int df_coro_create(df_coro_pool *p,
                   df_coro_fn *fn,
                   void *arg,
                   df_coro **out,
                   df_err *err);

/* Switches into co until it yields (returns 1: co is suspended) or fn
 * returns (returns 0: co was recycled, the pointer is now invalid). Only
 * from the pool's thread, outside every coroutine. */
int df_coro_resume(df_coro *co);

/* From inside a coroutine: suspends it and returns to its resumer. Returns
 * when it is resumed again. */
void df_coro_yield(df_coro_pool *p);

/* Whether p points into the stack co runs on: its own (dedicated) or the
 * pool's run stack (shared, where it is co's frames only while co runs or
 * owns the run stack). 1 or 0. */
int df_coro_stack_contains(const df_coro *co, const void *p);

/* The caller's per-coroutine area (cfg.user_bytes), and back. */
void *df_coro_user(df_coro *co);
df_coro *df_coro_from_user(void *user);

void df_coro_pool_stats_get(const df_coro_pool *p, df_coro_pool_stats *out);

/* About how many more dedicated stacks the kernel's mapping limit allows
 * the process (vm.max_map_count, less what the process had when the first
 * pool was made, less a margin, over 2 per stack); slabs cost ~1% more.
 * The bench uses it to say how far dedicated mode can go. */
long df_coro_vma_budget(void);

/* What a stack overflow does. The hook runs in the SIGSEGV handler, on the
 * alternate signal stack: it must be async-signal-safe and must not
 * return. The default writes "duckfeed: <reason>" to stderr and _exits 3.
 * The harness's runner installs its own, which reports the point as failed
 * with the reason (a hook, so that models never call up into the harness).
 * NULL restores the default. */
typedef void df_coro_overflow_fn(const char *reason);
void df_coro_overflow_hook_set(df_coro_overflow_fn *fn);

#endif /* DF_MODELS_CORO_CORO_H */
