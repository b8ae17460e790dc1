/* examples/asyncio/common.h - what the tutorial's examples share: the
 * greetings coroutine, the --scale option, and the async_timed report.
 *
 * Every example is one tutorial snippet on the C task API
 * (models/asyncio/task.h).
 * `--scale F` multiplies every sleep; the last line of output is
 *     DF-RESULT <name> expected_s=<tutorial time x F> measured_s=<elapsed>
 * which examples/asyncio/run_all.sh collects. Header-only on purpose:
 * each example stays a single self-contained program.
 */
#ifndef DF_EXAMPLES_ASYNCIO_COMMON_H
#define DF_EXAMPLES_ASYNCIO_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "models/asyncio/task.h"

static double ex_scale = 1.0; /* --scale: every sleep is multiplied by it */

/* async def greetings(name, delay): await asyncio.sleep(delay);
 *                                    return f"Hello! {name}"
 * The value is a pointer to text, which lives in the greet struct: keep
 * greet structs static, not on a task's stack (see models/asyncio/task.h). */
typedef struct ex_greet {
    const char *name;
    double delay_s; /* tutorial seconds, before scaling */
    char text[128];
} ex_greet;

static inline int ex_greetings(void *arg, intptr_t *value)
{
    ex_greet *g = arg;
    int rc = df_task_sleep(g->delay_s * ex_scale);

    if (rc < 0)
        return rc; /* CancelledError propagates */
    snprintf(g->text, sizeof(g->text), "Hello! %s", g->name);
    *value = (intptr_t)g->text;
    return 0;
}

/* A status as Python would name the exception. */
static inline const char *ex_strerror(int st)
{
    switch (st) {
    case 0:
        return "ok";
    case -ECANCELED:
        return "CancelledError";
    case -ETIMEDOUT:
        return "TimeoutError";
    case DF_EGROUP:
        return "ExceptionGroup";
    default:
        return strerror(-st);
    }
}

typedef struct ex_timed {
    df_task_fn *main;
    const char *name;
    double measured_s;
} ex_timed;

/* The @async_timed decorator: times the main coroutine from inside. */
static inline int ex_timed_main(void *arg, intptr_t *value)
{
    ex_timed *t = arg;
    int64_t start = df_now_ns();
    int rc;

    printf("starting main of %s\n", t->name);
    rc = t->main(NULL, value);
    t->measured_s = (double)(df_now_ns() - start) / 1e9;
    printf("finished main in %.4f second(s)\n", t->measured_s);
    return rc;
}

/* asyncio.run(main()) with --scale parsing and the DF-RESULT line.
 * tutorial_s is the time the tutorial reports (scale 1). */
static inline int ex_run(const char *name,
                         double tutorial_s,
                         df_task_fn *main_fn,
                         int argc,
                         char **argv)
{
    static ex_timed timed;
    df_err err = { 0 };
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            ex_scale = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--scale F]\n", argv[0]);
            return 2;
        }
    }
    if (ex_scale <= 0) {
        fprintf(stderr, "%s: --scale must be > 0\n", name);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    timed.main = main_fn;
    timed.name = name;
    rc = df_task_run(ex_timed_main, &timed, NULL, NULL, &err);
    if (rc < 0 && err.code)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    printf("DF-RESULT %s expected_s=%.3f measured_s=%.3f\n", name,
           tutorial_s * ex_scale, timed.measured_s);
    return rc < 0 ? 1 : 0;
}

/* time.sleep(s): blocks the calling thread (for to_thread). */
static inline void ex_block_s(double s)
{
    struct timespec ts = { .tv_sec = (time_t)s,
                           .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

#endif /* DF_EXAMPLES_ASYNCIO_COMMON_H */
