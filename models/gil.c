/* models/gil.c - a simulated CPython GIL: the 3.2+ lock, Python 2's, or none.
 *
 * Implementation notes (spec: shared/spec/GIL.md; compare the notes atop
 * CPython's Python/ceval_gil.c, which this follows step by step).
 *
 * Mechanism (DF_GIL_NEW, CPython 3.2 onward). The lock is a flag `locked`
 * guarded by a mutex `mu`, with a condvar `cond` for waiters. A thread that
 * finds it held waits on `cond` for max(interval, 1) us. If that wait timed
 * out, the lock is still held and `switch_number` did not move during the
 * whole wait, the waiter sets `drop_request` and the eval breaker; in every
 * other case (signalled, spurious wakeup, or the lock changed hands to
 * anyone) it starts a fresh full interval. That is what makes the interval
 * a waiter's patience rather than the holder's quantum, and why a lone
 * thread is never interrupted.
 *
 * The holder never looks at a clock. Workload code calls a checkpoint at
 * "bytecode boundaries": one relaxed load of `eval_breaker`, which sits on
 * its own cache line because every thread reads it all the time while `mu`
 * is written by each acquire/release. When set, the slow path drops the
 * lock and takes it again, as _Py_HandlePending does.
 *
 * FORCE_SWITCHING. On a multicore machine a thread that drops the lock and
 * asks for it again at once wins the race against the woken waiter, which
 * still has to be scheduled. So, as in CPython, a dropper that sees a
 * pending drop request waits on `switch_cond` (under `switch_mu`) until
 * `last_holder` is somebody else. The taker updates `last_holder` and
 * signals `switch_cond` under `switch_mu`, so the wake-up cannot be lost.
 * Like CPython it keys on the flag, not the reason: a thread releasing for
 * I/O while a request is pending hands over too. Unlike CPython's single
 * COND_WAIT we loop on `last_holder`, so a spurious wake-up cannot let the
 * dropper race ahead. The taker only touches `switch_mu` when `last_holder`
 * changes: when it does not, nobody can be waiting for it to change (a
 * dropper waits only while it is itself the last holder), which keeps the
 * uncontended acquire to one mutex round trip.
 *
 * The new holder clears a pending drop request, so a second waiter needs a
 * full quiet interval of its own. There is no queue and no priority: which
 * waiter wakes is up to glibc and the kernel, as in CPython.
 *
 * DF_GIL_OLD (Python 2, 3.0-3.1). A plain lock with untimed waits and no
 * drop request: a POSIX semaphore, as Python 2's PyThread_type_lock is on
 * Linux (mu only orders the statistics). Every `check_interval`
 * checkpoints ("ticks", counted in one interpreter-wide ticker like
 * _Py_Ticker) the holder releases and at once re-acquires. Nothing hands
 * over: the releaser is still running while the woken waiter still has to
 * be scheduled, so on multicore the releaser almost always wins and the
 * waiter goes back to sleep - the thrashing Beazley measured. The eval breaker
 * is permanently set in this mode so that every checkpoint reaches the slow
 * path to count its tick.
 *
 * DF_GIL_OFF (PEP 703). No lock: acquire/release return at once and the
 * eval breaker is a constant zero, so a checkpoint costs one load.
 *
 * Statistics are exact, from the timestamps taken under `mu` at every
 * state change (holding, waiting, released), not sampled as gil_load does;
 * taking them under the one mutex makes their order consistent across
 * threads. "wait" is the union of all threads' waits (at least one
 * waiter), tracked by a counter of waiting threads. A thread dropping for
 * a forced switch counts as waiting from the drop, since it wants the lock
 * back. Latencies go into fixed log-bucketed histograms inside each
 * thread's record, so the hot path never allocates.
 *
 * Timer slack: Linux stretches a timed wait by the thread's timer slack
 * (50 us by default), which would distort 1 us..1 ms intervals; threads
 * lower theirs to 1 ns when they register.
 */
#include "models/gil.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"

/* Log-linear histogram of ns values: 16 sub-buckets per power of two, so
 * a percentile (a bucket's middle) is off by at most 1/32 of its value;
 * 7.8 KB each. Values below 16 ns get a bucket each. */
#define HIST_SUB_BITS 4
#define HIST_SUB      (1 << HIST_SUB_BITS)
#define HIST_BUCKETS  ((65 - HIST_SUB_BITS) * HIST_SUB)

typedef struct hist {
    uint64_t count;
    uint64_t n[HIST_BUCKETS];
} hist;

enum { RELEASED = 0, WAITING = 1, HOLDING = 2 };

struct df_gil_thread {
    df_gil *g;
    df_gil_thread *next; /* registration order; guarded by g->mu */
    char name[32];
    /* All below guarded by g->mu. */
    int state;           /* RELEASED, WAITING or HOLDING */
    int64_t since_ns;    /* start of the current slice or wait */
    int64_t held_ns;     /* closed slices */
    int64_t wait_ns;     /* closed waits */
    int64_t wait_max_ns; /* longest closed wait */
    uint64_t acquisitions;
    uint64_t drop_requests;   /* requests this thread set as a waiter */
    uint64_t forced_switches; /* requests this thread honoured as holder */
    uint64_t checks;          /* old mode: periodic release/re-acquire */
    hist slices;              /* acquire -> release, ns */
    hist waits;               /* request -> acquired, ns (0: was free) */
};

struct df_gil {
    /* Read by every checkpoint of every thread: a line of their own. Both
     * are accessed with atomics; set under mu, cleared by a taker (under
     * mu) or a dropper (under switch_mu), as in CPython. */
    _Alignas(64) volatile int eval_breaker; /* drop_request (or old mode) */
    volatile int drop_request;              /* a waiter ran out of patience */

    _Alignas(64) pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cond;             /* waiters for `locked` to clear */
    int locked;                      /* 0/1 */
    df_gil_thread *last_holder;      /* written under mu AND switch_mu */
    uint64_t switch_number;          /* hand-offs to a different thread */
    int cond_waiters;                /* threads inside the wait on cond */
    df_gil_mode mode;
    int64_t interval_us; /* new mode: a waiter's patience */
    int check_interval;  /* old mode: ticks between releases */
    int ticker;          /* old mode: ticks left; guarded by the GIL itself */
    /* Statistics. */
    int waiting;               /* threads wanting the lock */
    int64_t t0_ns;             /* first registration; 0 before */
    int64_t wait_any_since_ns; /* when waiting went 0 -> 1 */
    int64_t wait_any_ns;       /* closed periods with waiting > 0 */
    uint64_t acquisitions, drop_requests, forced_switches, checks;
    df_gil_thread *threads, **threads_tail;
    int nthreads;

    pthread_mutex_t switch_mu; /* FORCE_SWITCHING: taken after mu */
    pthread_cond_t switch_cond;

    sem_t sem; /* old mode: the lock itself (1 = free), as in Python 2 */
};

static const volatile int zero_breaker; /* DF_GIL_OFF's eval breaker */

#define MU_LOCK(m)   DF_CHECK(pthread_mutex_lock(m) == 0)
#define MU_UNLOCK(m) DF_CHECK(pthread_mutex_unlock(m) == 0)

static unsigned hist_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS */
    unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* Middle of bucket i, in ns. */
static double hist_value(unsigned i)
{
    if (i < HIST_SUB)
        return i;
    unsigned e = i / HIST_SUB + HIST_SUB_BITS - 1, sub = i % HIST_SUB;
    double width = (double)(1ull << (e - HIST_SUB_BITS));
    return (double)(HIST_SUB + sub) * width + width / 2;
}

static void hist_record(hist *h, int64_t ns)
{
    h->count++;
    h->n[hist_index(ns > 0 ? (uint64_t)ns : 0)]++;
}

static void hist_add(hist *into, const hist *h)
{
    into->count += h->count;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->n[i] += h->n[i];
}

/* The q-quantile (0..1) in us; 0 for an empty histogram. */
static double hist_quantile_us(const hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank)
            return hist_value(i) / DF_NS_PER_US;
    }
    return 0;
}

const char *df_gil_mode_name(df_gil_mode mode)
{
    switch (mode) {
    case DF_GIL_NEW:
        return "new";
    case DF_GIL_OLD:
        return "old";
    case DF_GIL_OFF:
        return "off";
    }
    return "?";
}

int df_gil_create(df_gil_mode mode,
                  int64_t interval_us,
                  int check_interval,
                  df_gil **out)
{
    if (mode != DF_GIL_NEW && mode != DF_GIL_OLD && mode != DF_GIL_OFF)
        return -EINVAL;
    /* CPython stores sys.setswitchinterval(1e-7) as 0 and waits
     * max(interval, 1) us, so 0 is accepted here too. */
    if (interval_us < 0 || check_interval < 1)
        return -EINVAL;
    df_gil *g = NULL;
    if (posix_memalign((void **)&g, 64, sizeof *g) != 0)
        return -ENOMEM;
    memset(g, 0, sizeof *g);
    g->mode = mode;
    g->interval_us = interval_us;
    g->check_interval = check_interval;
    g->ticker = check_interval;
    g->threads_tail = &g->threads;
    /* Old mode: every checkpoint must reach the slow path to tick. */
    g->eval_breaker = mode == DF_GIL_OLD;

    pthread_condattr_t ca;
    DF_CHECK(pthread_condattr_init(&ca) == 0);
    /* Timed waits are against CLOCK_MONOTONIC, as df_now_ns: a wall clock
     * step must not make a waiter's patience run out early or never. */
    DF_CHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0);
    DF_CHECK(pthread_mutex_init(&g->mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&g->cond, &ca) == 0);
    DF_CHECK(pthread_mutex_init(&g->switch_mu, NULL) == 0);
    DF_CHECK(pthread_cond_init(&g->switch_cond, &ca) == 0);
    pthread_condattr_destroy(&ca);
    DF_CHECK(sem_init(&g->sem, 0, 1) == 0);
    *out = g;
    return 0;
}

void df_gil_destroy(df_gil *g)
{
    if (!g)
        return;
    df_gil_thread *t = g->threads;
    while (t) {
        df_gil_thread *next = t->next;
        free(t);
        t = next;
    }
    sem_destroy(&g->sem);
    pthread_cond_destroy(&g->switch_cond);
    pthread_mutex_destroy(&g->switch_mu);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

int df_gil_thread_register(df_gil *g, const char *name, df_gil_thread **out)
{
    df_gil_thread *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->g = g;
    strncpy(t->name, name ? name : "", sizeof t->name - 1);
    /* Best effort: without it waits are only less precise. */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

    MU_LOCK(&g->mu);
    if (g->t0_ns == 0)
        g->t0_ns = df_now_ns();
    *g->threads_tail = t;
    g->threads_tail = &t->next;
    g->nthreads++;
    MU_UNLOCK(&g->mu);
    *out = t;
    return 0;
}

const volatile int *df_gil_eval_breaker(df_gil *g)
{
    return g->mode == DF_GIL_OFF ? &zero_breaker : &g->eval_breaker;
}

/* SET_GIL_DROP_REQUEST; under mu. */
static void set_drop_request(df_gil *g, df_gil_thread *t)
{
    __atomic_store_n(&g->drop_request, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&g->eval_breaker, 1, __ATOMIC_RELEASE);
    t->drop_requests++;
    g->drop_requests++;
}

/* RESET_GIL_DROP_REQUEST, recomputing the breaker (nothing else feeds it
 * here but the old mode's permanent tick). */
static void reset_drop_request(df_gil *g)
{
    __atomic_store_n(&g->drop_request, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&g->eval_breaker, g->mode == DF_GIL_OLD, __ATOMIC_RELAXED);
}

/* Under mu, with the one timestamp of this state change. */
static void wait_begin(df_gil *g, df_gil_thread *t, int64_t now)
{
    t->state = WAITING;
    t->since_ns = now;
    if (g->waiting++ == 0)
        g->wait_any_since_ns = now;
}

static int64_t wait_end(df_gil *g, df_gil_thread *t, int64_t now)
{
    int64_t w = now - t->since_ns;
    t->wait_ns += w;
    if (w > t->wait_max_ns)
        t->wait_max_ns = w;
    if (--g->waiting == 0)
        g->wait_any_ns += now - g->wait_any_since_ns;
    return w;
}

/* One timed wait on cond. Returns 1 if it timed out. */
static int cond_wait(df_gil *g)
{
    int64_t us = g->interval_us > 1 ? g->interval_us : 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + df_us_to_ns(us);
    ts.tv_sec += ns / DF_NS_PER_S;
    ts.tv_nsec = ns % DF_NS_PER_S;
    int r = pthread_cond_timedwait(&g->cond, &g->mu, &ts);
    DF_CHECK(r == 0 || r == ETIMEDOUT);
    return r == ETIMEDOUT;
}

/* Records that t holds the lock from now; under mu. */
static void hold_begin(df_gil *g, df_gil_thread *t, int64_t now, int64_t waited)
{
    t->state = HOLDING;
    t->since_ns = now;
    t->acquisitions++;
    g->acquisitions++;
    hist_record(&t->waits, waited);
}

/* Python 2's PyThread_acquire_lock(interpreter_lock, 1): a plain blocking
 * sem_wait, no timeout, no drop request. The bookkeeping under mu comes
 * after the semaphore is ours, so stamps stay ordered with the releaser's
 * (taken before its sem_post). */
static int64_t take_gil_old(df_gil *g, df_gil_thread *t)
{
    if (sem_trywait(&g->sem) != 0) {
        MU_LOCK(&g->mu);
        DF_CHECK(t->state != HOLDING && "df_gil_acquire: already held");
        if (t->state != WAITING)
            wait_begin(g, t, df_now_ns());
        MU_UNLOCK(&g->mu);
        while (sem_wait(&g->sem) != 0)
            DF_CHECK(errno == EINTR);
    }
    MU_LOCK(&g->mu);
    DF_CHECK(t->state != HOLDING && "df_gil_acquire: already held");
    int64_t now = df_now_ns();
    int64_t waited = t->state == WAITING ? wait_end(g, t, now) : 0;
    g->locked = 1;
    if (g->last_holder != t) {
        g->last_holder = t;
        g->switch_number++;
    }
    hold_begin(g, t, now, waited);
    MU_UNLOCK(&g->mu);
    return waited;
}

/* take_gil, spec 3.1. A thread coming from a forced drop is already
 * WAITING (since the drop); anyone else starts waiting here if needed.
 * Returns the ns waited. */
static int64_t take_gil(df_gil *g, df_gil_thread *t)
{
    if (g->mode == DF_GIL_OLD)
        return take_gil_old(g, t);
    MU_LOCK(&g->mu);
    DF_CHECK(t->state != HOLDING && "df_gil_acquire: already held");
    int64_t now = df_now_ns();
    if (g->locked) {
        if (t->state != WAITING)
            wait_begin(g, t, now);
        g->cond_waiters++;
        while (g->locked) {
            uint64_t saved = g->switch_number;
            int timed_out = cond_wait(g);
            /* Only a whole quiet interval earns a drop request; otherwise
             * the loop starts a fresh one (spec 3.1 step 4d). */
            if (timed_out && g->locked && g->switch_number == saved)
                set_drop_request(g, t);
        }
        g->cond_waiters--;
        now = df_now_ns();
    }
    int64_t waited = t->state == WAITING ? wait_end(g, t, now) : 0;

    g->locked = 1;
    if (g->last_holder != t) {
        /* switch_mu orders this against a dropper checking last_holder
         * before it sleeps on switch_cond (see the notes). */
        MU_LOCK(&g->switch_mu);
        g->last_holder = t;
        g->switch_number++;
        DF_CHECK(pthread_cond_signal(&g->switch_cond) == 0);
        MU_UNLOCK(&g->switch_mu);
    }
    if (__atomic_load_n(&g->drop_request, __ATOMIC_RELAXED))
        reset_drop_request(g);

    hold_begin(g, t, now, waited);
    MU_UNLOCK(&g->mu);
    return waited;
}

/* Why a thread drops the lock. All but VOLUNTARY call take_gil next and
 * count as waiting from the drop. */
enum { VOLUNTARY = 0, FORCED = 1, CHECK = 2 };

/* drop_gil, spec 3.2. */
static void drop_gil(df_gil *g, df_gil_thread *t, int why)
{
    MU_LOCK(&g->mu);
    DF_CHECK(g->locked && t->state == HOLDING && "df_gil_release: not held");
    int64_t now = df_now_ns();
    t->held_ns += now - t->since_ns;
    hist_record(&t->slices, now - t->since_ns);
    t->state = RELEASED;
    g->locked = 0;
    if (why == FORCED) {
        t->forced_switches++;
        g->forced_switches++;
    } else if (why == CHECK) {
        t->checks++;
        g->checks++;
    }
    if (why != VOLUNTARY)
        wait_begin(g, t, now);
    /* Wakes one waiter; which one is up to glibc, as CPython's. */
    if (g->cond_waiters > 0)
        DF_CHECK(pthread_cond_signal(&g->cond) == 0);
    MU_UNLOCK(&g->mu);
    if (g->mode == DF_GIL_OLD) {
        /* Makes one sleeper runnable; the releaser, still on its core,
         * usually takes it back before that sleeper gets to run. */
        DF_CHECK(sem_post(&g->sem) == 0);
        return;
    }

    if (g->mode != DF_GIL_NEW ||
        !__atomic_load_n(&g->drop_request, __ATOMIC_ACQUIRE))
        return;
    /* FORCE_SWITCHING: not switched yet => wait until someone took it. */
    MU_LOCK(&g->switch_mu);
    if (g->last_holder == t) {
        reset_drop_request(g);
        while (g->last_holder == t)
            DF_CHECK(pthread_cond_wait(&g->switch_cond, &g->switch_mu) == 0);
    }
    MU_UNLOCK(&g->switch_mu);
}

int64_t df_gil_acquire(df_gil *g, df_gil_thread *t)
{
    if (g->mode == DF_GIL_OFF)
        return 0;
    return take_gil(g, t);
}

void df_gil_release(df_gil *g, df_gil_thread *t)
{
    if (g->mode == DF_GIL_OFF)
        return;
    drop_gil(g, t, VOLUNTARY);
}

int df_gil_checkpoint_will_drop(df_gil *g, df_gil_thread *t)
{
    (void)t;
    switch (g->mode) {
    case DF_GIL_NEW:
        return __atomic_load_n(&g->drop_request, __ATOMIC_RELAXED);
    case DF_GIL_OLD:
        return g->ticker <= 1;
    default:
        return 0;
    }
}

int64_t df_gil_checkpoint_slow(df_gil *g, df_gil_thread *t)
{
    if (g->mode == DF_GIL_OLD) {
        /* The ticker is only touched by the holder: the lock itself guards
         * it, like Python 2's _Py_Ticker. */
        if (--g->ticker > 0)
            return 0;
        g->ticker = g->check_interval;
        /* Release and immediately re-acquire: no hand-off, no waiting. */
        drop_gil(g, t, CHECK);
        return take_gil(g, t);
    }
    if (g->mode != DF_GIL_NEW ||
        !__atomic_load_n(&g->drop_request, __ATOMIC_ACQUIRE))
        return 0;
    drop_gil(g, t, FORCED);
    return take_gil(g, t);
}

/* One thread's figures; under mu. */
static void thread_stats(const df_gil_thread *t,
                         int64_t now,
                         double wall,
                         df_gil_thread_stats *out)
{
    int64_t held = t->held_ns, wait = t->wait_ns;
    if (t->state == HOLDING)
        held += now - t->since_ns;
    else if (t->state == WAITING)
        wait += now - t->since_ns;
    memcpy(out->name, t->name, sizeof out->name);
    out->held = wall > 0 ? (double)held / wall : 0;
    out->wait = wall > 0 ? (double)wait / wall : 0;
    out->released = wall > 0 ? 1 - (double)(held + wait) / wall : 0;
    out->acquisitions = t->acquisitions;
    out->drop_requests = t->drop_requests;
    out->forced_switches = t->forced_switches;
    out->checks = t->checks;
    out->slices = t->slices.count;
    out->slice_median_us = hist_quantile_us(&t->slices, 0.5);
    out->slice_p99_us = hist_quantile_us(&t->slices, 0.99);
    out->wait_mean_us =
        t->acquisitions ? df_ns_to_us(t->wait_ns) / (double)t->acquisitions : 0;
    out->wait_p99_us = hist_quantile_us(&t->waits, 0.99);
    out->wait_max_us = df_ns_to_us(t->wait_max_ns);
}

/* The totals and every thread's figures; under mu. Adds every thread's
 * histograms into waits and slices, and returns the sum of closed waits. */
static int64_t gil_stats_locked(df_gil *g,
                                df_gil_stats *out,
                                hist *waits,
                                hist *slices)
{
    int64_t now = df_now_ns();
    double wall = g->t0_ns ? (double)(now - g->t0_ns) : 0;
    int64_t held = 0, wait_sum = 0, wait_any = g->wait_any_ns;
    if (g->waiting > 0)
        wait_any += now - g->wait_any_since_ns;
    int i = 0;
    for (df_gil_thread *t = g->threads; t; t = t->next, i++) {
        held += t->held_ns + (t->state == HOLDING ? now - t->since_ns : 0);
        wait_sum += t->wait_ns;
        hist_add(waits, &t->waits);
        hist_add(slices, &t->slices);
        thread_stats(t, now, wall, &out->threads[i]);
    }
    out->mode = g->mode;
    out->switch_interval_us = g->interval_us;
    out->check_interval = g->check_interval;
    out->wall_s = df_ns_to_s((int64_t)wall);
    out->held = wall > 0 ? (double)held / wall : 0;
    out->wait = wall > 0 ? (double)wait_any / wall : 0;
    out->acquisitions = g->acquisitions;
    out->switches = g->switch_number;
    out->drop_requests = g->drop_requests;
    out->forced_switches = g->forced_switches;
    out->checks = g->checks;
    return wait_sum;
}

int df_gil_stats_get(df_gil *g, df_gil_stats *out)
{
    memset(out, 0, sizeof *out);
    hist *waits = calloc(1, sizeof *waits), *slices = calloc(1, sizeof *slices);
    int rc = -ENOMEM;
    if (!waits || !slices)
        goto done;
    MU_LOCK(&g->mu);
    /* Threads register under mu, so the count cannot move meanwhile; the
     * allocation is done holding it, as registration does. */
    out->threads = calloc((size_t)g->nthreads + 1, sizeof *out->threads);
    if (out->threads) {
        out->nthreads = g->nthreads;
        int64_t wait_sum = gil_stats_locked(g, out, waits, slices);
        out->wait_mean_us =
            waits->count ? df_ns_to_us(wait_sum) / (double)waits->count : 0;
        rc = 0;
    }
    MU_UNLOCK(&g->mu);
    if (rc == 0) {
        out->wait_p99_us = hist_quantile_us(waits, 0.99);
        out->slice_median_us = hist_quantile_us(slices, 0.5);
    }
done:
    free(waits);
    free(slices);
    return rc;
}

void df_gil_stats_clear(df_gil_stats *s)
{
    if (!s)
        return;
    free(s->threads);
    memset(s, 0, sizeof *s);
}
