/* harness/measure/hist.h - log-linear latency histogram (HdrHistogram's
 * layout).
 *
 * Values are int64 (duckfeed records nanoseconds). With `digits` significant
 * decimal digits every recorded value is kept to within 10^-digits of
 * itself. Recording is a few instructions: no allocation, no lock, no
 * syscall - so each recording thread owns one histogram and they are
 * merged at the end (df_hist_merge).
 */
#ifndef DF_HARNESS_MEASURE_HIST_H
#define DF_HARNESS_MEASURE_HIST_H

#include <stdint.h>

typedef struct df_hist df_hist; /* opaque; one writer thread at a time */

/* lowest >= 1 is the smallest value told apart from 0, highest >= 2*lowest
 * the largest kept exactly (larger values are clamped and counted as
 * saturated), digits in 1..5. 0, or -EINVAL / -ENOMEM; *out only on 0. */
int df_hist_create(int64_t lowest, int64_t highest, int digits, df_hist **out);
/* The duckfeed default: 1 ns .. 100 s, 3 digits. */
int df_hist_create_default(df_hist **out);
void df_hist_destroy(df_hist *h); /* NULL is fine */

void df_hist_record(df_hist *h, int64_t value); /* negative counts as 0 */
void df_hist_record_n(df_hist *h, int64_t value, int64_t n);
/* Adds every count of src into dst. -EINVAL if their layouts differ. */
int df_hist_merge(df_hist *dst, const df_hist *src);
void df_hist_reset(df_hist *h);

int64_t df_hist_count(const df_hist *h);
int64_t df_hist_saturated(const df_hist *h); /* values above highest */
int64_t df_hist_min(const df_hist *h);       /* exact; 0 when empty */
int64_t df_hist_max(const df_hist *h);       /* exact; 0 when empty */
double df_hist_mean(const df_hist *h);       /* exact; 0 when empty */
/* The value at rank ceil(p/100 * count) (nearest rank, as a sorted array
 * gives it), reported as HdrHistogram's value_at_percentile does: the
 * highest value equivalent to it, so at most 10^-digits above the value
 * recorded, and never above max. Rank 1 gives min and the last rank max,
 * both exact. p is clamped to [0, 100]. 0 when empty. */
int64_t df_hist_percentile(const df_hist *h, double p);

/* Calls fn(arg, value, count) for every non-empty counter in increasing
 * value order; value is the highest value equivalent to the counter's (the
 * last one clamped to max), so
 * df_hist_record_n(other, value, count) rebuilds the same counts in a
 * histogram of the same layout (how repetitions run in separate processes
 * are merged). */
typedef void df_hist_each_fn(void *arg, int64_t value, int64_t count);
void df_hist_foreach(const df_hist *h, df_hist_each_fn *fn, void *arg);

#endif /* DF_HARNESS_MEASURE_HIST_H */
