/* harness/plot/gnuplot.h - (harness/ private) running gnuplot for the plot step. */
#ifndef DF_HARNESS_PLOT_GNUPLOT_H
#define DF_HARNESS_PLOT_GNUPLOT_H

#include <stdio.h>

/* gnuplot strings are single-quoted with no escapes: replaces in place what
 * would end one early or break a -e line. */
void df__gnuplot_clean(char *s);

/* Appends printf-style text to the NUL-terminated buf of len bytes (the
 * -e variables of a gnuplot call); truncates rather than overflows. */
void df__appendf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs gnuplot with args (NULL-terminated, at most 14, after argv[0]); its
 * stdout and stderr go to a temporary file returned in *log (the caller
 * closes it) when log is non-NULL. Returns gnuplot's exit status, or a
 * negative errno when it could not be started (-ENOENT: not on PATH). */
int df__gnuplot_run(char *const args[], FILE **log);

#endif /* DF_HARNESS_PLOT_GNUPLOT_H */
