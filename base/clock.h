/* base/clock.h - the one clock every timestamp in duckfeed comes from. */
#ifndef DF_BASE_CLOCK_H
#define DF_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns: system-wide, so stamps taken in different worker
 * processes compare directly. Served from the vDSO (~20 ns, no syscall). */
static inline int64_t df_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif /* DF_BASE_CLOCK_H */
