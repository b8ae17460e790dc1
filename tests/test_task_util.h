/* tests/test_task_util.h - shared by tests/test_task*.c: an event log with
 * timestamps in units U, and a configurable child body.
 *
 * Task bodies never call assert_*: cmocka's longjmp cannot leave a
 * coroutine stack. They record into static structs; the test function
 * asserts after df_task_run returned. Times are in U = 40 ms (spec rules
 * are written in U); tl_tol_u() is the slack a loaded 2-vCPU machine
 * needs, and under valgrind or a sanitizer times are not compared at all
 * (tests/timing.h): the event logs and results still are. Include after
 * <cmocka.h>. A tw passed to a child lives on the parent's stack: the parent
 * awaits its children before returning.
 */
#ifndef DF_TESTS_TEST_TASK_UTIL_H
#define DF_TESTS_TEST_TASK_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "models/asyncio/task.h"
#include "tests/timing.h"

#define U 0.04 /* seconds per spec unit */

/* +-16 ms; DF_TASK_TOL_U widens it for a slow machine. */
static inline double tl_tol_u(void)
{
    const char *s = getenv("DF_TASK_TOL_U");

    return s ? atof(s) : 0.4;
}

/* The load probe over the span being timed: since tl_reset (every tl_run
 * starts with it), or since the process started. */
static load_probe tl_probe;
static int tl_probe_started;

__attribute__((constructor)) static void tl_probe_at_start(void)
{
    probe_start(&tl_probe);
    tl_probe_started = 1;
}

static char tl_buf[1024];
static int64_t tl_t0;

static inline void tl_reset(void)
{
    tl_buf[0] = '\0';
    tl_t0 = df_now_ns();
    probe_start(&tl_probe);
    tl_probe_started = 1;
}

static inline double tl_now_u(void)
{
    return (double)(df_now_ns() - tl_t0) / 1e9 / U;
}

/* Appends "ev" to the log, space separated. */
static inline void tl_add(const char *ev)
{
    size_t n = strlen(tl_buf);

    snprintf(tl_buf + n, sizeof(tl_buf) - n, "%s%s", n ? " " : "", ev);
}

/* 1 when a late result may be blamed on the machine: other processes left
 * this one less than all but a quarter of a core over the span checked
 * (a late timer is then a late wake-up, not a wrong schedule). */
static inline int tl_machine_was_busy(void)
{
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    return tl_probe_started && probe_free_cores(&tl_probe) < ncpu - 0.25;
}

/* Only where wall-clock time means something (timing_trusted). Early is
 * always a failure: no asyncio timer fires before its time. Late
 * by more than the tolerance fails too, unless the probe shows the machine
 * was busy with other work over the span: that is said, not asserted
 * (seen: 2.43U for 2.00U while 5 compilers ran on 2 vCPUs). */
#define assert_near_u(got_u, want_u)                                \
    do {                                                            \
        double g_ = (got_u), w_ = (want_u);                         \
        if (!timing_trusted())                                      \
            break;                                                  \
        if (g_ - w_ < -tl_tol_u())                                  \
            fail_msg("time %.2fU, expected %.2fU (early)", g_, w_); \
        if (g_ - w_ > tl_tol_u()) {                                 \
            if (!tl_machine_was_busy())                             \
                fail_msg("time %.2fU, expected %.2fU", g_, w_);     \
            fprintf(stderr,                                         \
                    "late: %.2fU for %.2fU on a busy machine, not " \
                    "asserted\n",                                   \
                    g_, w_);                                        \
        }                                                           \
    } while (0)

/* A child: sleeps delay_u, then returns fail or value. When cancelled it
 * sleeps cleanup_u, then returns -ECANCELED, or value if swallow. */
typedef struct tw {
    double delay_u;
    int fail;
    intptr_t value;
    double cleanup_u;
    int swallow;
    const char *tag; /* logged when it ends ("tag" or "tag!" if cancelled) */
    double end_u;    /* when it ended */
    int started;
    int saw_cancel;
} tw;

static inline int tw_body(void *arg, intptr_t *value)
{
    tw *w = arg;
    char ev[64];
    int rc;

    w->started = 1;
    rc = df_task_sleep(w->delay_u * U);
    if (rc == -ECANCELED) {
        w->saw_cancel = 1;
        if (w->cleanup_u > 0)
            df_task_sleep(w->cleanup_u * U);
        w->end_u = tl_now_u();
        if (w->tag) {
            snprintf(ev, sizeof(ev), "%s!", w->tag);
            tl_add(ev);
        }
        if (w->swallow) {
            *value = w->value;
            return 0;
        }
        return -ECANCELED;
    }
    w->end_u = tl_now_u();
    if (w->tag)
        tl_add(w->tag);
    if (w->fail)
        return w->fail;
    *value = w->value;
    return 0;
}

/* Runs fn as the main task of a fresh loop; returns its status. */
/* One task per tw, running tw_body. */
static inline void tw_spawn(tw *w, size_t n, df_task **t)
{
    for (size_t i = 0; i < n; i++)
        DF_CHECK(df_task_create(tw_body, &w[i], NULL, &t[i]) == 0);
}

static inline void tw_release_all(df_task **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        df_task_release(t[i]);
}

static inline int tl_run(df_task_fn *fn, void *arg)
{
    tl_reset();
    return df_task_run(fn, arg, NULL, NULL, NULL);
}

#endif /* DF_TESTS_TEST_TASK_UTIL_H */
