/* harness/plot/gnuplot.h - (harness/ private) running gnuplot for the plot
 * step, and what may reach it.
 *
 * #12: nothing from a results file or the command line is ever part of a
 * gnuplot command. Text reaches gnuplot two ways only: as the ARGn of
 * `gnuplot -c script ARG1 ...` (string variables, never parsed), and as
 * quoted fields of the .dat tables (data, never parsed as commands). The
 * -e line carries numbers and duckfeed's own constant words alone.
 */
#ifndef DF_HARNESS_PLOT_GNUPLOT_H
#define DF_HARNESS_PLOT_GNUPLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Arguments df__gnuplot_run takes after argv[0]. */
#define DF_GNUPLOT_ARGS_MAX 16

/* Runs gnuplot with args (NULL-terminated, at most DF_GNUPLOT_ARGS_MAX),
 * stdin from /dev/null; its stdout and stderr go to a temporary file
 * returned in *log (the caller closes it) when log is non-NULL. Kills it
 * after timeout_ms. Returns gnuplot's exit status (128 + signal when one
 * ended it), -ETIMEDOUT when it was killed at the deadline, -ENOENT when it
 * is not on PATH, or another negative errno when it could not be run. */
int df__gnuplot_run(char *const args[], int64_t timeout_ms, FILE **log);

/* Appends printf-style text to the NUL-terminated buf of len bytes (the
 * -e variables of a gnuplot call); truncates rather than overflows. */
void df__appendf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies s into buf with control characters made spaces: text passed as
 * an ARG is shown as given, on one line. */
void df__gnuplot_text(char *buf, size_t len, const char *s);

/* Writes s as the inside of a double-quoted .dat field that gnuplot reads
 * back as s: it unescapes '\\', so a backslash is doubled; a '"' would end
 * the field and becomes '\''; a control character would end the row and
 * becomes a space. */
void df__gnuplot_put_field(FILE *f, const char *s);

/* Writes s into a '#' comment line of a .dat table: control characters
 * (a newline would end the comment) become spaces. */
void df__gnuplot_put_comment(FILE *f, const char *s);

/* path as gnuplot may be given it: a name starting with '|' or '<' (after
 * blanks) is a command to gnuplot's `set output` and `plot`, so a relative
 * path gets "./" in front. 0, or -ENAMETOOLONG when buf is too short. */
int df__gnuplot_path(char *buf, size_t len, const char *path);

#endif /* DF_HARNESS_PLOT_GNUPLOT_H */
