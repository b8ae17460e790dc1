/* base/clock.h - the one clock every timestamp in duckfeed comes from, and
 * the unit conversions around it. */
#ifndef DF_BASE_CLOCK_H
#define DF_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Integer ratios between time units: DF_<A>_PER_<B> is how many A make
 * one B, so 2 s is 2 * DF_NS_PER_S ns. */
#define DF_NS_PER_US  INT64_C(1000)
#define DF_NS_PER_MS  INT64_C(1000000)
#define DF_NS_PER_S   INT64_C(1000000000)
#define DF_US_PER_MS  INT64_C(1000)
#define DF_US_PER_S   INT64_C(1000000)
#define DF_MS_PER_S   INT64_C(1000)
#define DF_MS_PER_DAY (24 * 3600 * DF_MS_PER_S)

static inline int64_t df_us_to_ns(int64_t us)
{
    return us * DF_NS_PER_US;
}

static inline int64_t df_ms_to_ns(int64_t ms)
{
    return ms * DF_NS_PER_MS;
}

static inline int64_t df_s_to_ns(int64_t s)
{
    return s * DF_NS_PER_S;
}

/* For reports: fractional seconds, milliseconds, microseconds of a span. */
static inline double df_ns_to_s(int64_t ns)
{
    return (double)ns / (double)DF_NS_PER_S;
}

static inline double df_ns_to_ms(int64_t ns)
{
    return (double)ns / (double)DF_NS_PER_MS;
}

static inline double df_ns_to_us(int64_t ns)
{
    return (double)ns / (double)DF_NS_PER_US;
}

/* CLOCK_MONOTONIC in ns: system-wide, so stamps taken in different worker
 * processes compare directly. Served from the vDSO (~20 ns, no syscall). */
static inline int64_t df_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * DF_NS_PER_S + ts.tv_nsec;
}

#endif /* DF_BASE_CLOCK_H */
