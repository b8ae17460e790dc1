/* harness/measure/stats.c - median, spread and a t interval over repetitions.
 */
#include "harness/measure/stats.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T95_TABLE_DF 30 /* the table's last degree of freedom */

/* t(0.975, df) for df = 1..30 (any statistics table). */
static const double t95_table[T95_TABLE_DF] = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

double df_stats_t95(int df)
{
    if (df < 1)
        return NAN;
    if (df <= T95_TABLE_DF)
        return t95_table[df - 1];
    /* Cornish-Fisher expansion of t around z = 1.959964: 2.0211 at 40
     * (table 2.021), 1.9801 at 120 (table 1.980). */
    const double z = 1.959964, d = df;
    double z3 = z * z * z, z5 = z3 * z * z;
    return z + (z3 + z) / (4 * d) + (5 * z5 + 16 * z3 + 3 * z) / (96 * d * d);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int df_stats_summarize(const double *v, int n, df_stats *out)
{
    if (n < 1 || !v || !out)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return -EINVAL;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return -ENOMEM;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);

    df_stats r = { .n = n, .min = s[0], .max = s[n - 1] };
    r.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i];
    r.mean = sum / n;
    /* Two passes around the mean: no cancellation for close values. */
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += (s[i] - r.mean) * (s[i] - r.mean);
    free(s);
    r.stdev = n > 1 ? sqrt(ss / (n - 1)) : 0;
    if (n >= 3) {
        double half = df_stats_t95(n - 1) * r.stdev / sqrt(n);
        r.has_ci = 1;
        r.ci95_low = r.mean - half;
        r.ci95_high = r.mean + half;
    }
    *out = r;
    return 0;
}

json_t *df_stats_json(const df_stats *s)
{
    json_t *o = json_pack(
        "{s:f,s:f,s:f,s:f,s:f,s:o,s:o,s:i}", "median", s->median, "min", s->min,
        "max", s->max, "mean", s->mean, "stdev", s->stdev, "ci95_low",
        s->has_ci ? json_real(s->ci95_low) : json_null(), "ci95_high",
        s->has_ci ? json_real(s->ci95_high) : json_null(), "n", s->n);
    return o;
}
