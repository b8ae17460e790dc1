/* harness/measure/hist.c - log-linear histogram, after HdrHistogram.
 *
 * Layout: values are split into buckets by power of two; each bucket holds
 * sub_count/2 linear sub-buckets (the first holds sub_count), so the
 * relative width of a sub-bucket never exceeds 1 / (sub_count/2), which is
 * chosen as the next power of two above 2 * 10^digits. Index arithmetic is
 * one count-leading-zeros and two shifts, which keeps record() at a few ns.
 * Min, max and the sum are kept exactly beside the counts, so mean and the
 * extremes are not rounded.
 *
 * Percentiles use the nearest-rank definition (the value at rank
 * ceil(p/100 * count)), the one a sorted array gives, so tests can compare
 * against one; the rank is computed with a relative slack of 1e-12 so that
 * 99.9 % of 1000 is rank 999 although 99.9/100*1000 is 999.0000000000001 in
 * binary floating point.
 */
#include "harness/measure/hist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

/* df_hist_create_default: any latency from 1 ns to 100 s, to 3 digits. */
#define DEFAULT_LOWEST_NS  1
#define DEFAULT_HIGHEST_NS (100 * DF_NS_PER_S)
#define DEFAULT_DIGITS     3

struct df_hist {
    int64_t lowest, highest;
    int unit_magnitude;     /* floor(log2(lowest)) */
    int sub_half_magnitude; /* log2(sub_count / 2) */
    int64_t sub_count;      /* linear sub-buckets in the first bucket */
    int64_t sub_mask;       /* (sub_count - 1) << unit_magnitude */
    int counts_len;
    int64_t total, saturated, min, max;
    /* Exact up to 9.2e18: 292 years of summed latency in ns. A double
     * stopped being exact at 2^53 ns (104 days), which 10^7 requests of
     * 1 s reach. */
    int64_t sum;
    int64_t counts[];
};

/* sum + add, pinned at INT64_MAX instead of overflowing (a histogram
 * created up to INT64_MAX may hold values that large; the mean is then a
 * lower bound, and signed overflow would be undefined). */
static int64_t add_pinned(int64_t sum, int64_t v, int64_t n)
{
    int64_t add, out;
    if (__builtin_mul_overflow(v, n, &add) ||
        __builtin_add_overflow(sum, add, &out))
        return INT64_MAX;
    return out;
}

static int bucket_index(const df_hist *h, int64_t v)
{
    int pow2ceiling = 64 - __builtin_clzll((uint64_t)(v | h->sub_mask));
    return pow2ceiling - h->unit_magnitude - (h->sub_half_magnitude + 1);
}

static int counts_index(const df_hist *h, int64_t v)
{
    int b = bucket_index(h, v);
    int64_t sub = v >> (b + h->unit_magnitude);
    return (int)(((int64_t)(b + 1) << h->sub_half_magnitude) +
                 (sub - h->sub_count / 2));
}

/* The lowest value that lands in counts[i]. */
static int64_t value_at_index(const df_hist *h, int i)
{
    int b = (i >> h->sub_half_magnitude) - 1;
    int64_t sub = (i & ((1 << h->sub_half_magnitude) - 1)) + h->sub_count / 2;
    if (b < 0) {
        sub -= h->sub_count / 2;
        b = 0;
    }
    return sub << (b + h->unit_magnitude);
}

static int64_t bucket_width(const df_hist *h, int64_t v)
{
    return (int64_t)1 << (bucket_index(h, v) + h->unit_magnitude);
}

int df_hist_create(int64_t lowest, int64_t highest, int digits, df_hist **out)
{
    if (lowest < 1 || highest < 2 * lowest || digits < 1 || digits > 5)
        return -EINVAL;
    int64_t largest_single = 2;
    for (int i = 0; i < digits; i++)
        largest_single *= 10;
    int sub_magnitude = 0;
    while (((int64_t)1 << sub_magnitude) < largest_single)
        sub_magnitude++;
    int unit_magnitude = 63 - __builtin_clzll((uint64_t)lowest);
    if (unit_magnitude + sub_magnitude > 61)
        return -EINVAL;
    int64_t sub_count = (int64_t)1 << sub_magnitude;
    /* Buckets needed so the last one reaches highest. */
    int buckets = 1;
    int64_t smallest_untrackable = sub_count << unit_magnitude;
    while (smallest_untrackable <= highest) {
        if (smallest_untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        smallest_untrackable <<= 1;
        buckets++;
    }
    int len = (buckets + 1) * (int)(sub_count / 2);
    df_hist *h = calloc(1, sizeof *h + (size_t)len * sizeof(int64_t));
    if (!h)
        return -ENOMEM;
    h->lowest = lowest;
    h->highest = highest;
    h->unit_magnitude = unit_magnitude;
    h->sub_half_magnitude = sub_magnitude - 1;
    h->sub_count = sub_count;
    h->sub_mask = (sub_count - 1) << unit_magnitude;
    h->counts_len = len;
    h->min = INT64_MAX;
    *out = h;
    return 0;
}

int df_hist_create_default(df_hist **out)
{
    return df_hist_create(DEFAULT_LOWEST_NS, DEFAULT_HIGHEST_NS, DEFAULT_DIGITS,
                          out);
}

void df_hist_destroy(df_hist *h)
{
    free(h);
}

void df_hist_record_n(df_hist *h, int64_t v, int64_t n)
{
    if (n <= 0)
        return;
    if (v < 0)
        v = 0;
    if (v > h->highest) {
        h->saturated += n;
        v = h->highest;
    }
    h->counts[counts_index(h, v)] += n;
    h->total += n;
    h->sum = add_pinned(h->sum, v, n);
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void df_hist_record(df_hist *h, int64_t v)
{
    df_hist_record_n(h, v, 1);
}

int df_hist_merge(df_hist *dst, const df_hist *src)
{
    if (dst->counts_len != src->counts_len || dst->lowest != src->lowest ||
        dst->sub_count != src->sub_count)
        return -EINVAL;
    for (int i = 0; i < src->counts_len; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->saturated += src->saturated;
    dst->sum = add_pinned(dst->sum, src->sum, 1);
    if (src->total) {
        if (src->min < dst->min)
            dst->min = src->min;
        if (src->max > dst->max)
            dst->max = src->max;
    }
    return 0;
}

void df_hist_foreach(const df_hist *h, df_hist_each_fn *fn, void *arg)
{
    for (int i = 0; i < h->counts_len; i++) {
        if (!h->counts[i])
            continue;
        int64_t lo = value_at_index(h, i);
        int64_t hi = lo + bucket_width(h, lo) - 1;
        /* Clamped to max (which lies in the last non-empty counter), so
         * the rebuilt histogram keeps the exact max and never saturates. */
        fn(arg, hi > h->max ? h->max : hi, h->counts[i]);
    }
}

void df_hist_reset(df_hist *h)
{
    memset(h->counts, 0, (size_t)h->counts_len * sizeof(int64_t));
    h->total = h->saturated = h->max = 0;
    h->sum = 0;
    h->min = INT64_MAX;
}

int64_t df_hist_count(const df_hist *h)
{
    return h->total;
}

int64_t df_hist_saturated(const df_hist *h)
{
    return h->saturated;
}

int64_t df_hist_min(const df_hist *h)
{
    return h->total ? h->min : 0;
}

int64_t df_hist_max(const df_hist *h)
{
    return h->total ? h->max : 0;
}

double df_hist_mean(const df_hist *h)
{
    return h->total ? (double)h->sum / (double)h->total : 0.0;
}

int64_t df_hist_percentile(const df_hist *h, double p)
{
    if (!h->total)
        return 0;
    if (p < 0)
        p = 0;
    if (p > 100)
        p = 100;
    /* Nearest rank; see the notes at the top. */
    double x = p / 100.0 * (double)h->total;
    int64_t rank = (int64_t)ceil(x - x * 1e-12);
    if (rank <= 1)
        return h->min; /* the first value is known exactly */
    if (rank >= h->total)
        return h->max;
    int64_t seen = 0;
    for (int i = 0; i < h->counts_len; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t lo = value_at_index(h, i);
            int64_t hi = lo + bucket_width(h, lo) - 1;
            /* Never report beyond what was seen: keeps p100 == max. */
            return hi > h->max ? h->max : hi;
        }
    }
    return h->max;
}
