/* workloads/workload.h - the workload plugin ABI: the only header a plugin
 * needs.
 *
 * A workload is a table (df_workload) of a name, a summary, a kind, declared
 * parameters, and setup / handle / teardown. `handle` serves one request and
 * receives a df_ctx: the runtime services of whatever model runs it, so that
 * the same code behaves correctly as a process, a thread under a GIL or a
 * coroutine. Workload code must reach time and I/O through the ctx calls
 * below; calling nanosleep() or read() directly blocks whatever it runs on
 * (on the coroutine loop that freezes every request - see `blocking`).
 *
 * Awaited and plain calls (#13). df_sleep_ns, df_ctx_read, df_ctx_write
 * and df_run_blocking are the *awaited* calls: `await asyncio.sleep()`,
 * `await reader.read()`, `await asyncio.to_thread()` in an `async def`
 * handler - on a loop they suspend the request and the loop serves others.
 * df_plain_sleep_ns, df_plain_read and df_plain_write are the *plain*
 * (sync) calls of a `def` handler: `time.sleep()`, `sock.recv()`, a sync
 * database driver. What a plain call does depends on the model, as it does
 * in Python: on a process or a thread it blocks that lane and releases the
 * interpreter (CPython's time.sleep and socket calls drop the GIL); on the
 * gevent-like `coroutine` model it yields, as gevent's monkey-patching
 * makes time.sleep and socket calls yield; on the `asyncio` model it blocks
 * the loop - every request on it waits - with the GIL released.
 *
 * ABI rules: abi_version comes first; fields are only ever appended; a plugin
 * built against version N is refused by a duckfeed of another version. The
 * header is self-contained (inline wrappers, no symbols to link against).
 */
#ifndef DF_WORKLOADS_WORKLOAD_H
#define DF_WORKLOADS_WORKLOAD_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* 2 (#18): df_workload.peer appended. */
#define DF_WORKLOAD_ABI_VERSION 2
/* A plugin exports this symbol: const df_workload *duckfeed_workload(void); */
#define DF_WORKLOAD_ENTRY_SYMBOL "duckfeed_workload"
#define DF_WORKLOAD_MAX_PARAMS   16

typedef enum df_workload_kind {
    DF_KIND_CPU = 0,   /* needs the interpreter (GIL) the whole time */
    DF_KIND_IO = 1,    /* mostly waits on time or descriptors */
    DF_KIND_MIXED = 2, /* both */
} df_workload_kind;

typedef enum df_param_type {
    DF_PARAM_INT = 0,      /* plain integer */
    DF_PARAM_DURATION = 1, /* value in ns; text may end in ns, us, ms or s
                              (any case); at most 1,000,000 s, so that
                              now + value and a sum of a few never
                              overflow (#12) */
    DF_PARAM_SIZE = 2,     /* value in bytes; text may end in B, KB, MB, GB
                              (binary: 1 KB = 1024 B) or KiB, MiB, GiB */
    DF_PARAM_BOOL = 3,     /* 0/1; text true/false/1/0/yes/no/on/off */
} df_param_type;

typedef struct df_param_decl {
    const char *name;          /* as written on the command line: cpu:us=... */
    df_param_type type;        /* how the text is parsed */
    const char *default_value; /* text, parsed as user input would be */
    const char *unit;          /* for DURATION/SIZE: unit of a bare number;
                                  NULL means ns (bytes): give one */
    const char *help;          /* one line */
} df_param_decl;

/* Parsed values, in declaration order: value[i] belongs to params[i]. */
typedef struct df_params {
    int count;
    int64_t value[DF_WORKLOAD_MAX_PARAMS];
} df_params;

typedef struct df_ctx df_ctx;

/* Services a model gives to handle(), gathered in df_ctx_ops below. All
 * return >= 0 on success or a negative errno, as the syscalls they stand
 * for. */

/* A "bytecode boundary" taken when ctx->eval_breaker is non-zero: under a
 * GIL the lock may be handed to a waiter here. */
typedef void df_ctx_checkpoint_slow_fn(df_ctx *ctx);
/* Wait ns without holding the interpreter (time.sleep / asyncio.sleep). */
typedef int df_ctx_sleep_ns_fn(df_ctx *ctx, int64_t ns);
/* Wait until fd is readable (events=1) or writable (events=2). The fd
 * should be O_NONBLOCK; the read/write wrappers below loop on EAGAIN. */
typedef int df_ctx_wait_fd_fn(df_ctx *ctx, int fd, int events);
/* What run_blocking runs without the interpreter: C code that drops the
 * GIL, or a function handed to to_thread. */
typedef int df_blocking_fn(void *arg);
/* Call fn(arg) with the interpreter released (to_thread / a C extension
 * that drops the GIL); returns what fn returned. fn may run on another
 * thread while handle() is suspended.
 *
 * Contract (#12): arg, and everything fn reaches through it, must not
 * live on handle()'s stack - pass the setup() state, ctx->params or
 * heap memory that stays put until fn returns. On the coroutine model
 * with shared stacks a suspended request's frames are copied away and
 * another request's frames take their addresses, so a stack local seen
 * from fn is someone else's data. The loop notices when arg itself
 * points into the stack and then keeps that stack in place until fn
 * returns, stopping every other coroutine meanwhile: correct, but it
 * measures a serial loop. A stack address inside a heap arg is not
 * noticed and reads garbage or crashes. */
typedef int df_ctx_run_blocking_fn(df_ctx *ctx, df_blocking_fn *fn, void *arg);

/* The services; every member is non-NULL. */
typedef struct df_ctx_ops {
    df_ctx_checkpoint_slow_fn *checkpoint_slow;
    df_ctx_sleep_ns_fn *sleep_ns;
    df_ctx_wait_fd_fn *wait_fd;
    df_ctx_run_blocking_fn *run_blocking;
} df_ctx_ops;

#define DF_WAIT_READ  1
#define DF_WAIT_WRITE 2

/* What a model hands to handle() for one request. Owned by the model; valid
 * only during the call. */
struct df_ctx {
    const df_ctx_ops *ops;
    /* Non-zero when checkpoint_slow has something to do. Read with a relaxed
     * load on every checkpoint, so it must stay cheap: points at a flag of
     * the model (the GIL's eval breaker) or at a constant zero. */
    const volatile int *eval_breaker;
    void *state;             /* what setup() returned */
    const df_params *params; /* parsed parameters of this run */
    uint64_t request_id;     /* unique in the run */
    int worker;              /* 0-based lane: process, thread or loop */
    int reserved;
    void *model_data; /* the model's own, never touched by workloads */
    /* Appended (#13). NULL: a plain call acts as the awaited one (a lane of
     * its own, or gevent-like yielding). Non-NULL (the asyncio model): the
     * plain calls wait through these without yielding - the lane stops,
     * the interpreter is released. Same contracts as ops->sleep_ns and
     * ops->wait_fd. Read only by the df_plain_* wrappers below. */
    df_ctx_sleep_ns_fn *plain_sleep_ns;
    df_ctx_wait_fd_fn *plain_wait_fd;
};

/* Once per point, before any request, in the process that forks the
 * workers (so they inherit *state). Returns 0 or a negative errno and
 * writes a one-line reason into err (errlen bytes). */
typedef int df_workload_setup_fn(const df_params *p,
                                 void **state,
                                 char *err,
                                 size_t errlen);
/* One request. Must be safe to call from several threads at once. Returns
 * 0 or a negative errno (counted as an error, not a crash). */
typedef int df_workload_handle_fn(df_ctx *ctx);
/* Once per point after the last request. */
typedef void df_workload_teardown_fn(void *state);

/* What a workload's peer - a server its requests call, such as a database
 * - did during the point, so that a point whose latency the peer limited
 * is told from one the model limited (#18). */
typedef struct df_workload_peer {
    int64_t requests;  /* requests the peer received */
    int64_t responses; /* requests it answered */
    int64_t late;      /* answered > 1 ms after due: the peer's own lag */
    int64_t lag_ns;    /* summed over responses: how late each was */
    int64_t refused;   /* connections refused: out of descriptors */
} df_workload_peer;
/* Once per point after the last request, before teardown, in the process
 * that ran setup: fills *out. */
typedef void df_workload_peer_fn(void *state, df_workload_peer *out);

typedef struct df_workload {
    uint32_t abi_version; /* DF_WORKLOAD_ABI_VERSION */
    const char *name;     /* [a-z0-9_-]+, unique among loaded workloads */
    const char *summary;  /* one line */
    df_workload_kind kind;
    const df_param_decl
        *params; /* array ending with a NULL name; may be NULL */
    df_workload_setup_fn *setup; /* may be NULL */
    df_workload_handle_fn *handle;
    df_workload_teardown_fn *teardown; /* may be NULL */
    df_workload_peer_fn *peer;         /* may be NULL: calls no peer */
} df_workload;

typedef const df_workload *df_workload_entry_fn(void);

/* The ctx calls workloads make. */
static inline void df_checkpoint(df_ctx *ctx)
{
    if (__atomic_load_n(ctx->eval_breaker, __ATOMIC_RELAXED))
        ctx->ops->checkpoint_slow(ctx);
}

static inline int df_sleep_ns(df_ctx *ctx, int64_t ns)
{
    return ctx->ops->sleep_ns(ctx, ns);
}

static inline int df_run_blocking(df_ctx *ctx, df_blocking_fn *fn, void *arg)
{
    return ctx->ops->run_blocking(ctx, fn, arg);
}

/* Calibrated CPU work (#18), the loop the built-in `cpu` burns: about ns
 * of pure computation in chunks of about 1 us, with a df_checkpoint(ctx)
 * after each, as the interpreter takes one between bytecodes (so under a
 * simulated GIL another thread gets its turn). Time spent waiting inside a
 * checkpoint is not counted: ns is the work, not the latency.
 *
 * Header-only, so a plugin links nothing and the ABI does not change: the
 * first call in a process calibrates (a few ms; call df_cpu_iters_per_us()
 * in setup, before the workers fork, to pay it there). Each iteration is
 * one 64-bit LCG step behind an empty asm, so the compiler can neither
 * drop nor vectorise it and it costs the same at -O0 and -O3. */
static inline uint64_t df__cpu_spin(uint64_t x, int64_t iters)
{
    for (int64_t i = 0; i < iters; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

/* Iterations of df__cpu_spin per microsecond on this machine: the fastest
 * of 5 timed runs (on a shared machine the slow ones measure neighbours).
 * Thread-safe: racing first calls each calibrate and store a close value.
 * Always >= 1. */
static inline int64_t df_cpu_iters_per_us(void)
{
    static int64_t per_us; /* 0 until calibrated; relaxed atomics */
    int64_t v = __atomic_load_n(&per_us, __ATOMIC_RELAXED), best_ns = 0;
    uint64_t x = 1;

    if (v > 0)
        return v;
    for (int r = 0; r < 5; r++) {
        struct timespec t0, t1;

        timespec_get(&t0, TIME_UTC);
        x = df__cpu_spin(x, 1 << 18);
        timespec_get(&t1, TIME_UTC);
        int64_t dt = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 +
                     (t1.tv_nsec - t0.tv_nsec);
        if (dt > 0 && (best_ns == 0 || dt < best_ns))
            best_ns = dt;
    }
    __asm__ volatile("" : : "r"(x));
    v = best_ns > 0 ? ((int64_t)1 << 18) * 1000 / best_ns : 1;
    v = v > 0 ? v : 1;
    __atomic_store_n(&per_us, v, __ATOMIC_RELAXED);
    return v;
}

/* Burns about ns of CPU with checkpoints (see above). */
static inline void df_cpu_ns(df_ctx *ctx, int64_t ns)
{
    int64_t per_us = df_cpu_iters_per_us();
    uint64_t x = (uint64_t)ns;

    for (int64_t c = 0; c < ns / 1000; c++) {
        x = df__cpu_spin(x, per_us);
        df_checkpoint(ctx);
    }
    x = df__cpu_spin(x, per_us * (ns % 1000) / 1000);
    df_checkpoint(ctx);
    __asm__ volatile("" : : "r"(x));
}

/* read(2) through the model: on EAGAIN waits for readiness via the model
 * (suspending a coroutine, releasing a GIL) instead of blocking. fd must be
 * O_NONBLOCK. Returns bytes read (0 at EOF) or a negative errno. */
static inline ssize_t df_ctx_read(df_ctx *ctx, int fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int w = ctx->ops->wait_fd(ctx, fd, DF_WAIT_READ);
        if (w < 0)
            return w;
    }
}

/* write(2) of all n bytes through the model; returns n or a negative errno. */
static inline ssize_t df_ctx_write(df_ctx *ctx,
                                   int fd,
                                   const void *buf,
                                   size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, (const char *)buf + done, n - done);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int w = ctx->ops->wait_fd(ctx, fd, DF_WAIT_WRITE);
        if (w < 0)
            return w;
    }
    return (ssize_t)n;
}

/* The plain (sync, not awaited) calls of a `def` handler; see the top of
 * this file for what each model makes of them. */

/* time.sleep(ns) in a handler. */
static inline int df_plain_sleep_ns(df_ctx *ctx, int64_t ns)
{
    if (ctx->plain_sleep_ns)
        return ctx->plain_sleep_ns(ctx, ns);
    return ctx->ops->sleep_ns(ctx, ns);
}

static inline int df__plain_wait_fd(df_ctx *ctx, int fd, int events)
{
    if (ctx->plain_wait_fd)
        return ctx->plain_wait_fd(ctx, fd, events);
    return ctx->ops->wait_fd(ctx, fd, events);
}

/* sock.recv() in a handler: read(2) of fd (O_NONBLOCK), waiting as a plain
 * call waits. Returns bytes read (0 at EOF) or a negative errno. */
static inline ssize_t df_plain_read(df_ctx *ctx, int fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int w = df__plain_wait_fd(ctx, fd, DF_WAIT_READ);
        if (w < 0)
            return w;
    }
}

/* sock.sendall() in a handler: all n bytes; n or a negative errno. */
static inline ssize_t df_plain_write(df_ctx *ctx,
                                     int fd,
                                     const void *buf,
                                     size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, (const char *)buf + done, n - done);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int w = df__plain_wait_fd(ctx, fd, DF_WAIT_WRITE);
        if (w < 0)
            return w;
    }
    return (ssize_t)n;
}

#endif /* DF_WORKLOADS_WORKLOAD_H */
