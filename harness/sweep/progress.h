/* harness/sweep/progress.h - a one-line progress bar for a sweep, on a
 * terminal.
 *
 *   [#########.........]  9/20  elapsed 0:42  left ~0:51  thread cpu:us=500
 *
 * Shown only when the stream is a terminal and the user did not ask for
 * --quiet, so logs and pipes get no control characters. Redrawn at most
 * every 100 ms, whatever the caller's pace, and erased by df_progress_end
 * so the summary prints on a clean line.
 */
#ifndef DF_HARNESS_SWEEP_PROGRESS_H
#define DF_HARNESS_SWEEP_PROGRESS_H

#include <stdio.h>

typedef struct df_progress df_progress; /* opaque; one thread */

#define DF_PROGRESS_QUIET 1 /* never draw (--quiet) */
#define DF_PROGRESS_FORCE 2 /* draw even if the stream is not a tty (tests) */

/* A bar over total points, drawn on out (stderr normally). 0, or -EINVAL
 * (total < 1) / -ENOMEM. A hidden bar is a valid handle that draws nothing. */
int df_progress_create(FILE *out, int total, int flags, df_progress **out_p);

/* Point index (0-based) is starting, described by label (copied). */
void df_progress_point(df_progress *p, int index, const char *label);
/* Points finished so far; drives the estimate of the time left. */
void df_progress_done(df_progress *p, int finished);
/* Redraws if 100 ms passed since the last draw; cheap to call in a loop. */
void df_progress_tick(df_progress *p);
/* Erases the line. Also the way to make room for a message mid-sweep: the
 * next tick draws the bar again. */
void df_progress_clear(df_progress *p);
/* Clears and frees; NULL is fine. */
void df_progress_destroy(df_progress *p);

#endif /* DF_HARNESS_SWEEP_PROGRESS_H */
