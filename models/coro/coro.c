/* models/coro/coro.c - coroutine objects: create, resume, yield, recycle.
 *
 * Implementation notes.
 *
 * Asymmetric switching. df_coro_resume switches from the resumer (the loop,
 * on its thread stack) into a coroutine; df_coro_yield and the end of the
 * coroutine switch back. A suspended coroutine is its saved stack pointer
 * (asm) or a ucontext_t (ucontext kind, allocated only for that kind: ~1 KB).
 *
 * Free list. A finished coroutine goes to the pool's free list with its
 * stack, so the next df_coro_create costs a pop and writing a 72-byte frame
 * (the stack's top page is still hot). Coroutine structs come from chunks
 * of DF_CHUNK, which also lets destroy find every coroutine to free.
 *
 * Shared stack. All coroutines run on one run stack. Its owner is the
 * coroutine whose frames are on it now. Resuming another coroutine first
 * copies the owner's used part [saved sp, top) into the owner's heap buffer
 * (grown or shrunk to fit, so a sleeping request costs its real depth), then
 * copies the new one's frames back to the same addresses and switches.
 * Copies are lazy: resuming the owner again copies nothing. The copies run
 * on the resumer's stack, which is why switching is asymmetric. For the
 * ucontext kind the saved sp is read from the ucontext's registers.
 *
 * Sanitizers. Under ASan every switch is announced with
 * __sanitizer_start/finish_switch_fiber, and the shared-stack copies use an
 * uninstrumented loop (a stack holds redzones ASan would report) and then
 * unpoison the run stack. Valgrind is told about each stack in stack.c,
 * and that restored frames below the run stack's last sp are addressable.
 * Under TSan each coroutine record is a fiber (#12: unannounced,
 * the coroutines' frames overran the loop thread's shadow stack in TSan,
 * which crashed). TSan counts fibers as threads and dies past 8128, so a
 * TSan build runs fewer coroutines at once than that. A record keeps its
 * fiber when recycled: coro_main, whose frame never returns, is left
 * uninstrumented so that each run leaves the fiber's shadow stack empty.
 * Switches synchronise: one thread runs them all.
 */
#define _GNU_SOURCE
#include "models/coro/coro.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "models/coro/stack.h"
#include "models/coro/switch.h"

#if defined(__SANITIZE_ADDRESS__)
#define DF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DF_ASAN 1
#endif
#endif
#ifndef DF_ASAN
#define DF_ASAN 0
#endif
#if DF_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define DF_NO_ASAN __attribute__((no_sanitize_address))
#else
#define DF_NO_ASAN
#endif

#if defined(__SANITIZE_THREAD__)
#define DF_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DF_TSAN 1
#endif
#endif
#ifndef DF_TSAN
#define DF_TSAN 0
#endif
#if DF_TSAN
#include <sanitizer/tsan_interface.h>
#define DF_NO_TSAN __attribute__((no_sanitize_thread))
#else
#define DF_NO_TSAN
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_UNDEFINED
#define VALGRIND_MAKE_MEM_UNDEFINED(a, n) ((void)(a), (void)(n))
#endif

#define DF_CHUNK 256 /* coroutine structs per allocation */

enum { CO_FREE, CO_NEW, CO_RUNNING, CO_SUSPENDED, CO_DONE };

struct df_coro {
    void *sp; /* asm: saved stack pointer while suspended */
    df_coro_pool *pool;
    df_coro_fn *fn;
    void *arg;
    char *lo, *hi; /* its stack (dedicated) or the run stack (shared) */
    char *low;     /* shared: lowest byte of its frames while suspended */
    char *saved;   /* shared: heap copy of [low, hi) */
    uint32_t saved_len, saved_cap;
    int state;
    ucontext_t *uc; /* ucontext kind only */
    df_coro *next_free;
#if DF_ASAN
    void *asan_fake;
#endif
#if DF_TSAN
    void *tsan_fiber; /* made at its first create, kept when recycled */
#endif
};

/* The user area starts at the next 16-byte boundary after the struct. */
#define HDR_BYTES ((sizeof(struct df_coro) + 15) & ~(size_t)15)

typedef struct chunk {
    struct chunk *next;
    size_t used;
    char *mem; /* DF_CHUNK records of rec_bytes */
} chunk;

struct df_coro_pool {
    df_coro_cfg cfg;
    size_t rec_bytes;
    df_coro *current;
    void *host_sp;
    ucontext_t *host_uc;
    df__stacks *stacks;
    char *run_lo, *run_hi; /* shared mode */
    df_coro *owner;        /* shared: whose frames are on the run stack */
    df_coro *free;
    chunk *chunks;
    df_coro_pool_stats st;
#if DF_ASAN
    void *host_fake;
    const void *host_bottom;
    size_t host_size;
#endif
#if DF_TSAN
    void *tsan_host; /* the resumer's fiber (its thread) */
#endif
};

static __thread df_coro *uc_starting; /* ucontext entry has no argument */

DF_NO_TSAN static void coro_main(void *arg);

/* The stack pointer saved in a ucontext (8-byte aligned down). */
static char *uc_sp(const ucontext_t *uc)
{
#if defined(__x86_64__)
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#else
#error "shared stacks with ucontext need the saved sp of this CPU"
#endif
    return (char *)(sp & ~(uintptr_t)7);
}

/* makecontext passes int arguments only; the coroutine rides in a TLS. */
DF_NO_TSAN static void uc_entry(void)
{
    coro_main(uc_starting);
}

int df_coro_pool_create(const df_coro_cfg *cfg, df_coro_pool **out, df_err *err)
{
    if (cfg->switch_kind != DF_SWITCH_ASM &&
        cfg->switch_kind != DF_SWITCH_UCONTEXT)
        return df_err_set(err, -EINVAL, "coroutines: unknown switch kind %d",
                          (int)cfg->switch_kind);
    if (cfg->switch_kind == DF_SWITCH_ASM && !DF_CORO_HAVE_ASM)
        return df_err_set(err, -EINVAL,
                          "coroutines: no asm switch for this CPU; use "
                          "--switch ucontext");
    if (cfg->stack_kind != DF_STACK_DEDICATED &&
        cfg->stack_kind != DF_STACK_SHARED)
        return df_err_set(err, -EINVAL, "coroutines: unknown stack kind %d",
                          (int)cfg->stack_kind);
    size_t stack = cfg->stack_size_bytes ? cfg->stack_size_bytes
                                         : DF_CORO_DEFAULT_STACK_BYTES;
    if (stack < DF_CORO_MIN_STACK_BYTES)
        return df_err_set(err, -EINVAL,
                          "coroutines: stack of %zu bytes is below the "
                          "minimum of %d",
                          stack, DF_CORO_MIN_STACK_BYTES);
    int rc = df__guard_install(err);
    if (rc < 0)
        return rc;

    df_coro_pool *p = calloc(1, sizeof *p);
    if (!p)
        return df_err_set(err, -ENOMEM, "coroutines: out of memory");
    p->cfg = *cfg;
    p->rec_bytes = HDR_BYTES + ((cfg->user_bytes + 15) & ~(size_t)15);
    rc = df__stacks_create(stack, &p->stacks, err);
    if (rc < 0)
        goto fail;
    if (cfg->switch_kind == DF_SWITCH_UCONTEXT) {
        p->host_uc = calloc(1, sizeof *p->host_uc);
        if (!p->host_uc) {
            rc = df_err_set(err, -ENOMEM, "coroutines: out of memory");
            goto fail;
        }
    }
    if (cfg->stack_kind == DF_STACK_SHARED) {
        rc = df__stacks_carve(p->stacks, &p->run_lo, &p->run_hi, err);
        if (rc < 0)
            goto fail;
    }
    *out = p;
    return 0;
fail:
    df__stacks_destroy(p->stacks);
    free(p->host_uc);
    free(p);
    return rc;
}

void df_coro_pool_destroy(df_coro_pool *p)
{
    if (!p)
        return;
    DF_CHECK(!p->current && "destroying a pool from one of its coroutines");
    for (chunk *c = p->chunks, *next; c; c = next) {
        next = c->next;
        for (size_t i = 0; i < c->used; i++) {
            df_coro *co = (df_coro *)(c->mem + i * p->rec_bytes);
            free(co->saved);
            free(co->uc);
#if DF_TSAN
            if (co->tsan_fiber)
                __tsan_destroy_fiber(co->tsan_fiber);
#endif
        }
        free(c->mem);
        free(c);
    }
    df__stacks_destroy(p->stacks);
    free(p->host_uc);
    free(p);
}

static df_coro *coro_alloc(df_coro_pool *p)
{
    if (!p->chunks || p->chunks->used == DF_CHUNK) {
        chunk *c = malloc(sizeof *c);
        char *mem = c ? calloc(DF_CHUNK, p->rec_bytes) : NULL;
        if (!mem) {
            free(c);
            return NULL;
        }
        c->mem = mem;
        c->used = 0;
        c->next = p->chunks;
        p->chunks = c;
    }
    df_coro *co =
        (df_coro *)(p->chunks->mem + p->chunks->used++ * p->rec_bytes);
    co->pool = p;
    return co;
}

int df_coro_create(df_coro_pool *p,
                   df_coro_fn *fn,
                   void *arg,
                   df_coro **out,
                   df_err *err)
{
    df_coro *co = p->free;
    if (co) {
        p->free = co->next_free;
    } else {
        co = coro_alloc(p);
        if (!co)
            return df_err_set(err, -ENOMEM, "coroutines: out of memory");
        int rc = 0;
        if (p->cfg.stack_kind == DF_STACK_SHARED) {
            co->lo = p->run_lo;
            co->hi = p->run_hi;
        } else {
            rc = df__stacks_carve(p->stacks, &co->lo, &co->hi, err);
        }
        if (rc == 0 && p->cfg.switch_kind == DF_SWITCH_UCONTEXT) {
            co->uc = malloc(sizeof *co->uc);
            if (!co->uc)
                rc = df_err_set(err, -ENOMEM, "coroutines: out of memory");
        }
        if (rc < 0) {
            /* Keep the record (and any stack) for a later create. */
            co->state = CO_FREE;
            co->next_free = p->free;
            p->free = co;
            return rc;
        }
    }
#if DF_TSAN
    /* Here, not at its first resume: making a fiber takes TSan 1-10 ms,
     * which between two resumes would skew the order of their timers. */
    if (!co->tsan_fiber)
        co->tsan_fiber = __tsan_create_fiber(0);
#endif
    co->fn = fn;
    co->arg = arg;
    co->state = CO_NEW;
    if (++p->st.live > p->st.peak_live)
        p->st.peak_live = p->st.live;
    *out = co;
    return 0;
}

/* Copies with plain word moves: under ASan memcpy would check the stack
 * redzones it copies. Both ends are 8-byte aligned, len a multiple of 8. */
DF_NO_ASAN static void copy_words(void *dst, const void *src, size_t len)
{
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (size_t i = 0; i < len / 8; i++)
        d[i] = s[i];
}

static void shared_evict(df_coro_pool *p, df_coro *o)
{
    size_t len = (size_t)(o->hi - o->low);
    /* Fit the buffer to the frames: a request that once went deep should
     * not keep that much while it sleeps. */
    if (o->saved_cap < len || o->saved_cap > 2 * len + 256) {
        char *b = realloc(o->saved, len);
        DF_CHECK(b && "out of memory saving a coroutine stack");
        p->st.saved_bytes += len - o->saved_cap;
        o->saved = b;
        o->saved_cap = (uint32_t)len;
    }
    copy_words(o->saved, o->low, len);
    o->saved_len = (uint32_t)len;
    p->st.copied_bytes += len;
}

static void shared_restore(df_coro_pool *p, df_coro *co)
{
    /* Valgrind marked the run stack below the last owner's sp as gone;
     * the frames we put back there are live again. */
    VALGRIND_MAKE_MEM_UNDEFINED(co->low, co->saved_len);
    copy_words(co->low, co->saved, co->saved_len);
    p->st.copied_bytes += co->saved_len;
#if DF_ASAN
    __asan_unpoison_memory_region(p->run_lo, (size_t)(p->run_hi - p->run_lo));
#endif
}

static void start_frame(df_coro_pool *p, df_coro *co)
{
    if (p->cfg.switch_kind == DF_SWITCH_ASM) {
        co->sp = df__coro_stack_init(co->hi, coro_main, co);
        return;
    }
    DF_CHECK(getcontext(co->uc) == 0);
    co->uc->uc_stack.ss_sp = co->lo;
    co->uc->uc_stack.ss_size = (size_t)(co->hi - co->lo);
    co->uc->uc_link = NULL;
    makecontext(co->uc, uc_entry, 0);
}

static void recycle(df_coro_pool *p, df_coro *co)
{
    if (co->saved_cap > 4096) {
        p->st.saved_bytes -= co->saved_cap;
        free(co->saved);
        co->saved = NULL;
        co->saved_cap = 0;
    }
    co->saved_len = 0;
    co->state = CO_FREE;
    co->next_free = p->free;
    p->free = co;
    p->st.live--;
}

int df_coro_resume(df_coro *co)
{
    df_coro_pool *p = co->pool;

    DF_CHECK(!p->current && "df_coro_resume from inside a coroutine");
    DF_CHECK(co->state == CO_NEW || co->state == CO_SUSPENDED);
    if (p->cfg.stack_kind == DF_STACK_SHARED && p->owner != co) {
        if (p->owner)
            shared_evict(p, p->owner);
        p->owner = co;
        if (co->state == CO_SUSPENDED)
            shared_restore(p, co);
    }
    if (co->state == CO_NEW) {
        start_frame(p, co);
        uc_starting = co;
    }
    co->state = CO_RUNNING;
    p->current = co;
#if DF_TSAN
    p->tsan_host = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(co->tsan_fiber, 0);
#endif
#if DF_ASAN
    __sanitizer_start_switch_fiber(&p->host_fake, co->lo,
                                   (size_t)(co->hi - co->lo));
#endif
    if (p->cfg.switch_kind == DF_SWITCH_ASM)
        df__coro_switch(&p->host_sp, co->sp);
    else
        DF_CHECK(swapcontext(p->host_uc, co->uc) == 0);
#if DF_ASAN
    __sanitizer_finish_switch_fiber(p->host_fake, NULL, NULL);
#endif
    p->current = NULL;
    /* The stack pointer as co left is its lowest live byte. */
    if (p->cfg.switch_kind == DF_SWITCH_ASM)
        co->low = co->sp;
    else
        co->low = uc_sp(co->uc);
    if (co->state == CO_DONE) {
        if (p->owner == co)
            p->owner = NULL;
        recycle(p, co);
        return 0;
    }
    return 1;
}

void df_coro_yield(df_coro_pool *p)
{
    df_coro *co = p->current;

    DF_CHECK(co && "df_coro_yield outside a coroutine");
    co->state = CO_SUSPENDED;
#if DF_TSAN
    __tsan_switch_to_fiber(p->tsan_host, 0);
#endif
#if DF_ASAN
    __sanitizer_start_switch_fiber(&co->asan_fake, p->host_bottom,
                                   p->host_size);
#endif
    if (p->cfg.switch_kind == DF_SWITCH_ASM) {
        df__coro_switch(&co->sp, p->host_sp);
    } else {
        DF_CHECK(swapcontext(co->uc, p->host_uc) == 0);
    }
#if DF_ASAN
    __sanitizer_finish_switch_fiber(co->asan_fake, &p->host_bottom,
                                    &p->host_size);
#endif
}

DF_NO_TSAN static void coro_main(void *arg)
{
    df_coro *co = arg;
    df_coro_pool *p = co->pool;

#if DF_ASAN
    __sanitizer_finish_switch_fiber(NULL, &p->host_bottom, &p->host_size);
#endif
    co->fn(co->arg);
    co->state = CO_DONE;
#if DF_TSAN
    __tsan_switch_to_fiber(p->tsan_host, 0);
#endif
#if DF_ASAN
    __sanitizer_start_switch_fiber(NULL, p->host_bottom, p->host_size);
#endif
    if (p->cfg.switch_kind == DF_SWITCH_ASM)
        df__coro_switch(&co->sp, p->host_sp);
    else
        setcontext(p->host_uc);
    DF_CHECK(!"a finished coroutine was resumed");
}

int df_coro_stack_contains(const df_coro *co, const void *p)
{
    uintptr_t a = (uintptr_t)p;

    return a >= (uintptr_t)co->lo && a < (uintptr_t)co->hi;
}

void *df_coro_user(df_coro *co)
{
    return (char *)co + HDR_BYTES;
}

df_coro *df_coro_from_user(void *user)
{
    return (df_coro *)((char *)user - HDR_BYTES);
}

void df_coro_pool_stats_get(const df_coro_pool *p, df_coro_pool_stats *out)
{
    *out = p->st;
    out->stacks_mapped = df__stacks_carved(p->stacks);
    out->vmas = df__stacks_vmas(p->stacks);
}
