/* models/coro/stack.c - guarded coroutine stacks carved from slabs.
 *
 * Implementation notes.
 *
 * Memory. A stack is private anonymous memory: the kernel backs a page only
 * when it is first touched, so a 64 KiB stack whose coroutine never goes
 * deeper than 3 KiB costs one 4 KiB page of RSS. Below each stack lies one
 * PROT_NONE guard page: running off the end faults instead of silently
 * writing over the neighbour. (A single frame larger than a page can jump
 * over the guard; -fstack-clash-protection would close that hole.)
 *
 * Mappings. The kernel limits a process to vm.max_map_count VMAs (65,530 by
 * default), and a VMA is a run of pages with the same protection. A guarded
 * stack inside a larger mapping splits it into [guard][stack] - two VMAs per
 * stack however the memory was obtained, so the ceiling is roughly 32,000
 * dedicated stacks. (Leaving the guard unmapped instead of PROT_NONE would
 * halve that, but any later 4 KiB mmap in the process could land in the hole
 * and silently disarm the guard.) Hitting the limit makes mmap/mprotect fail
 * with ENOMEM and then malloc, pthread_create and dlopen fail in obscure
 * places, so we keep our own count and refuse a stack, with a message naming
 * vm.max_map_count, DF_VMA_MARGIN mappings before the limit.
 *
 * Slabs. Address space is reserved DF_SLAB_BYTES at a time with one
 * PROT_NONE mmap, and stacks are made usable one by one with mprotect. That
 * is one syscall per stack instead of two (mmap + mprotect), the count of
 * VMAs grows with the stacks really in use, and the fault handler finds a
 * guard by arithmetic on a short list of slabs. Stacks are never returned to
 * the slab: finished coroutines keep theirs on the pool's free list.
 *
 * Overflow report. The SIGSEGV handler runs on an alternate signal stack
 * (the faulting stack is exhausted), looks the fault address up in the slab
 * registry and, on a guard page, calls the overflow hook; any other
 * fault goes to the previous handler (or the default action).
 */
#define _GNU_SOURCE
#include "models/coro/stack.h"

#include "models/coro/coro.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define DF_HAVE_VALGRIND 1
#endif
#endif

#define DF_SLAB_BYTES ((size_t)4 << 20) /* address space reserved per slab */
#define DF_SLAB_MAX   256               /* stacks per slab at most */
#define DF_VMA_MARGIN 1024 /* mappings left for malloc, threads, dlopen */
#define DF_REG_SLOTS  8192 /* slabs the fault handler can know */

/* Slab registry read by the signal handler: entries are published with a
 * release store of lo after the other fields, cleared before munmap. */
typedef struct guard_slab {
    char *lo;      /* atomic; NULL = free slot */
    char *hi;      /* end of the reservation */
    size_t stride; /* guard + stack */
    size_t guard;  /* bytes of guard at the start of each stride */
} guard_slab;

static guard_slab reg[DF_REG_SLOTS];
static int reg_used;          /* atomic: slots ever used (scan bound) */
static long vmas_ours;        /* atomic: VMAs all pools hold */
static long vmas_others = -1; /* the rest of the process, at first use */
static long vma_limit;        /* vm.max_map_count */
static struct sigaction old_segv;

typedef struct slab {
    struct slab *next;
    char *base;
    size_t bytes;
    int slots, used;
    int reg_slot;
#if DF_HAVE_VALGRIND
    unsigned vg_id[DF_SLAB_MAX];
#endif
} slab;

struct df__stacks {
    size_t stack_bytes; /* usable, page multiple */
    size_t page;
    slab *slabs; /* head has free slots, if any */
    uint64_t carved;
    uint64_t vmas;
};

static long count_lines(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[65536];
    long n = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            n += buf[i] == '\n';
    }
    close(fd);
    return n;
}

static long read_long(const char *path, long fallback)
{
    FILE *f = fopen(path, "re");
    long v = fallback;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = fallback;
        fclose(f);
    }
    return v;
}

/* Measured once: the process's own mappings besides ours. Good enough - the
 * margin absorbs what libraries and threads add later. */
static void vma_init(void)
{
    if (__atomic_load_n(&vmas_others, __ATOMIC_ACQUIRE) >= 0)
        return;
    long lim = read_long("/proc/sys/vm/max_map_count", 65530);
    long all = count_lines("/proc/self/maps");
    long others =
        all < 0 ? 512 : all - __atomic_load_n(&vmas_ours, __ATOMIC_RELAXED);
    vma_limit = lim;
    __atomic_store_n(&vmas_others, others < 0 ? 0 : others, __ATOMIC_RELEASE);
}

static long vma_room(void)
{
    vma_init();
    return vma_limit - DF_VMA_MARGIN - vmas_others -
           __atomic_load_n(&vmas_ours, __ATOMIC_RELAXED);
}

long df_coro_vma_budget(void)
{
    long room = vma_room();
    return room > 0 ? room / 2 : 0;
}

static int vma_fail(df_err *err, const char *what)
{
    return df_err_set(err, -ENOMEM,
                      "coroutine stack: %s: the process is near "
                      "vm.max_map_count (%ld mappings; each guarded stack "
                      "needs 2): raise it with sysctl vm.max_map_count, use "
                      "fewer coroutines or --stack shared",
                      what, vma_limit);
}

static int reg_add(char *lo, char *hi, size_t stride, size_t guard)
{
    for (int i = 0; i < DF_REG_SLOTS; i++) {
        char *expect = NULL;
        /* Claim with a placeholder so two threads never share a slot. */
        if (!__atomic_compare_exchange_n(&reg[i].lo, &expect, (char *)1, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            continue;
        reg[i].hi = hi;
        reg[i].stride = stride;
        reg[i].guard = guard;
        __atomic_store_n(&reg[i].lo, lo, __ATOMIC_RELEASE);
        int used = __atomic_load_n(&reg_used, __ATOMIC_RELAXED);
        while (used < i + 1 &&
               !__atomic_compare_exchange_n(&reg_used, &used, i + 1, 1,
                                            __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            ;
        return i;
    }
    return -1;
}

static void reg_del(int i)
{
    __atomic_store_n(&reg[i].lo, NULL, __ATOMIC_RELEASE);
}

/* Async-signal-safe: plain loads, no locks. */
static int is_guard(const char *a)
{
    int n = __atomic_load_n(&reg_used, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        const char *lo = __atomic_load_n(&reg[i].lo, __ATOMIC_ACQUIRE);
        if (!lo || lo == (char *)1 || a < lo || a >= reg[i].hi)
            continue;
        return (size_t)(a - lo) % reg[i].stride < reg[i].guard;
    }
    return 0;
}

static void overflow_default(const char *reason)
{
    static const char pre[] = "duckfeed: ";
    size_t n = 0;
    while (reason[n])
        n++;
    /* Best effort: the process ends either way. */
    if (write(STDERR_FILENO, pre, sizeof pre - 1) >= 0 &&
        write(STDERR_FILENO, reason, n) >= 0)
        (void)!write(STDERR_FILENO, "\n", 1);
    _exit(3);
}

static df_coro_overflow_fn *overflow_hook; /* NULL: overflow_default */

void df_coro_overflow_hook_set(df_coro_overflow_fn *fn)
{
    __atomic_store_n(&overflow_hook, fn, __ATOMIC_RELEASE);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    if (si && is_guard(si->si_addr)) {
        df_coro_overflow_fn *fn =
            __atomic_load_n(&overflow_hook, __ATOMIC_ACQUIRE);
        (fn ? fn : overflow_default)("stack overflow in a coroutine");
        _exit(3); /* a hook that returned broke its contract */
    }
    /* Not ours: hand over to whoever handled SIGSEGV before (sanitizers),
     * or restore the default so the fault, re-executed, kills us. */
    if ((old_segv.sa_flags & SA_SIGINFO) && old_segv.sa_sigaction) {
        old_segv.sa_sigaction(sig, si, uc);
    } else if (old_segv.sa_handler != SIG_DFL &&
               old_segv.sa_handler != SIG_IGN) {
        old_segv.sa_handler(sig);
    } else {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGSEGV, &dfl, NULL);
    }
}

/* Checked at every pool creation, not once: a test framework or a
 * sanitizer may have put its own handler in since (cmocka does, per test);
 * then ours goes back in front of it and chains to it. */
int df__guard_install(df_err *err)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    struct sigaction cur;
    int rc = 0;

    DF_CHECK(pthread_mutex_lock(&mu) == 0);
    DF_CHECK(sigaction(SIGSEGV, NULL, &cur) == 0);
    if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != on_segv) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSEGV, &sa, &old_segv) != 0)
            rc = df_err_set(err, -errno, "sigaction(SIGSEGV): %s",
                            strerror(errno));
    }
    DF_CHECK(pthread_mutex_unlock(&mu) == 0);
    return rc;
}

int df__stacks_create(size_t stack_bytes, df__stacks **out, df_err *err)
{
    df__stacks *s = calloc(1, sizeof *s);
    if (!s)
        return df_err_set(err, -ENOMEM, "coroutine stacks: out of memory");
    s->page = (size_t)sysconf(_SC_PAGESIZE);
    s->stack_bytes = (stack_bytes + s->page - 1) / s->page * s->page;
    vma_init();
    *out = s;
    return 0;
}

static int slab_new(df__stacks *s, df_err *err)
{
    size_t stride = s->stack_bytes + s->page;
    size_t slots = DF_SLAB_BYTES / stride;
    if (slots < 1)
        slots = 1;
    if (slots > DF_SLAB_MAX)
        slots = DF_SLAB_MAX;
    if (vma_room() < 1)
        return vma_fail(err, "reserving a slab");
    slab *sl = calloc(1, sizeof *sl);
    if (!sl)
        return df_err_set(err, -ENOMEM, "coroutine stacks: out of memory");
    sl->bytes = slots * stride;
    sl->slots = (int)slots;
    /* MAP_NORESERVE: reserved address space is not committed memory. */
    void *p = mmap(NULL, sl->bytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        free(sl);
        if (e == ENOMEM)
            return vma_fail(err, "mmap of a slab");
        return df_err_set(err, -e, "coroutine stacks: mmap: %s", strerror(e));
    }
    sl->base = p;
    sl->reg_slot = reg_add(sl->base, sl->base + sl->bytes, stride, s->page);
    if (sl->reg_slot < 0) {
        munmap(p, sl->bytes);
        free(sl);
        return df_err_set(err, -ENOMEM, "coroutine stacks: more than %d slabs",
                          DF_REG_SLOTS);
    }
    __atomic_add_fetch(&vmas_ours, 1, __ATOMIC_RELAXED);
    s->vmas++;
    sl->next = s->slabs;
    s->slabs = sl;
    return 0;
}

int df__stacks_carve(df__stacks *s, char **lo, char **hi, df_err *err)
{
    if (!s->slabs || s->slabs->used == s->slabs->slots) {
        int rc = slab_new(s, err);
        if (rc < 0)
            return rc;
    }
    /* Making a stack usable splits the reservation: +2 VMAs. */
    if (vma_room() < 2)
        return vma_fail(err, "making a stack");
    slab *sl = s->slabs;
    size_t stride = s->stack_bytes + s->page;
    char *g = sl->base + (size_t)sl->used * stride;
    if (mprotect(g + s->page, s->stack_bytes, PROT_READ | PROT_WRITE) != 0) {
        if (errno == ENOMEM)
            return vma_fail(err, "mprotect of a stack");
        return df_err_set(err, -errno, "coroutine stacks: mprotect: %s",
                          strerror(errno));
    }
#if DF_HAVE_VALGRIND
    sl->vg_id[sl->used] =
        VALGRIND_STACK_REGISTER(g + s->page, g + s->page + s->stack_bytes);
#endif
    sl->used++;
    __atomic_add_fetch(&vmas_ours, 2, __ATOMIC_RELAXED);
    s->vmas += 2;
    s->carved++;
    *lo = g + s->page;
    *hi = g + s->page + s->stack_bytes;
    return 0;
}

void df__stacks_destroy(df__stacks *s)
{
    if (!s)
        return;
    for (slab *sl = s->slabs, *next; sl; sl = next) {
        next = sl->next;
#if DF_HAVE_VALGRIND
        for (int i = 0; i < sl->used; i++)
            VALGRIND_STACK_DEREGISTER(sl->vg_id[i]);
#endif
        reg_del(sl->reg_slot);
        DF_CHECK(munmap(sl->base, sl->bytes) == 0);
        free(sl);
    }
    __atomic_sub_fetch(&vmas_ours, (long)s->vmas, __ATOMIC_RELAXED);
    free(s);
}

uint64_t df__stacks_carved(const df__stacks *s)
{
    return s->carved;
}

uint64_t df__stacks_vmas(const df__stacks *s)
{
    return s->vmas;
}

/* The alternate signal stack of this thread, if we made it. */
static __thread void *alt_mem;

int df_coro_thread_init(df_err *err)
{
    stack_t old;
    if (alt_mem)
        return 0;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) &&
        old.ss_size >= 16384)
        return 0; /* the thread has one (a sanitizer's, or ours) */
    size_t bytes = 65536;
    void *p = malloc(bytes); /* heap, not mmap: no mapping spent */
    if (!p)
        return df_err_set(err, -ENOMEM, "sigaltstack: out of memory");
    stack_t ss = { .ss_sp = p, .ss_size = bytes, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) {
        int e = errno;
        free(p);
        return df_err_set(err, -e, "sigaltstack: %s", strerror(e));
    }
    alt_mem = p;
    return 0;
}

void df_coro_thread_fini(void)
{
    if (!alt_mem)
        return;
    stack_t ss = { .ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE };
    DF_CHECK(sigaltstack(&ss, NULL) == 0);
    free(alt_mem);
    alt_mem = NULL;
}
