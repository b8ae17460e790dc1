/* harness/measure/stats.h - summary of repeated measurements (one figure per
 * run).
 *
 * Median and extremes are what a reader should look at first (they resist
 * one disturbed repetition); mean, standard deviation and a 95 %
 * confidence interval of the mean (Student t, as pyperf) say how far the
 * repetitions can be trusted. The interval needs n >= 3: with two values
 * t is 12.7 and the interval says nothing useful.
 */
#ifndef DF_HARNESS_MEASURE_STATS_H
#define DF_HARNESS_MEASURE_STATS_H

typedef struct json_t json_t;

typedef struct df_stats {
    int n;
    double median, min, max;
    double mean;
    double stdev;     /* sample standard deviation (n - 1); 0 when n < 2 */
    int has_ci;       /* 1 when n >= 3 */
    double ci95_low;  /* mean -/+ t(0.975, n-1) * stdev / sqrt(n) */
    double ci95_high; /* both 0 when !has_ci */
} df_stats;

/* Summarises v[0..n) (not modified). 0, or -EINVAL when n < 1 or a value
 * is not finite; -ENOMEM. *out is set only on success. */
int df_stats_summarize(const double *v, int n, df_stats *out);

/* Two-sided 95 % quantile of Student's t with df degrees of freedom
 * (df >= 1): a table up to 30, an expansion beyond (error < 1e-3). */
double df_stats_t95(int df);

/* {"median","min","max","mean","stdev","ci95_low","ci95_high","n"}, the
 * interval as null when n < 3. A new reference, or NULL on ENOMEM. */
json_t *df_stats_json(const df_stats *s);

#endif /* DF_HARNESS_MEASURE_STATS_H */
