/* harness/sweep/tally.h - (harness/ private) a point's completions counted
 * in memory its runner can still read when the point's process dies.
 *
 * The runner maps a tally before it forks a point's child (MAP_SHARED), so
 * when a crash ends that child - a thread or coroutine model has, as in
 * CPython, no arbiter to survive it - the record of the failure can say
 * how many requests completed before it (#17). The same counters give
 * every point its throughput over time: completions per 100 ms bucket of
 * the measured window.
 *
 * One slot per recorder (point.c): a slot has a single writer thread and
 * plain counters, so counting takes no lock, no atomic operation and no
 * call; the point's child sums the slots after its model stopped, the
 * runner after waitpid. Slots are 64-byte aligned: no false sharing.
 */
#ifndef DF_HARNESS_SWEEP_TALLY_H
#define DF_HARNESS_SWEEP_TALLY_H

#include <jansson.h>
#include <stdint.h>

#define DF_TALLY_BUCKET_NS   100000000LL /* 100 ms */
#define DF_TALLY_MAX_BUCKETS 36000       /* an hour; a longer window: none */

typedef struct df_tally df_tally;

/* Maps a tally of nslots slots, with a bucket for each whole 100 ms of a
 * window of window_ns (0: no buckets, as in requests mode; a trailing
 * part of a bucket is not bucketed). 0 or -errno, *out NULL on failure. */
int df_tally_map(int nslots, int64_t window_ns, df_tally **out);
void df_tally_unmap(df_tally *t); /* NULL is fine */

/* Slot i, 0 <= i < nslots: an array of 2 + 2 * buckets counters -
 * completed, errors (every completion the sink settled, warm-up
 * included), then completed per bucket, then errors per bucket. */
int64_t *df_tally_slot(df_tally *t, int i);
int df_tally_buckets(const df_tally *t);

/* Counts one completion into slot, settled at now_ns; window_start_ns is
 * INT64_MAX before the window is fixed. Hot: inline, no lock. */
static inline void df_tally_count(int64_t *slot,
                                  int nbuckets,
                                  int64_t window_start_ns,
                                  int64_t now_ns,
                                  int error)
{
    slot[0]++;
    slot[1] += error;
    if (now_ns < window_start_ns)
        return;
    int64_t b = (now_ns - window_start_ns) / DF_TALLY_BUCKET_NS;
    if (b < nbuckets) {
        slot[2 + b]++;
        slot[2 + nbuckets + b] += error;
    }
}

/* Every slot's completed and errors, summed. */
void df_tally_sum(const df_tally *t, int64_t *completed, int64_t *errors);

/* The buckets summed, as a new {"bucket_ms", "completed": [...],
 * "errors": [...]} (docs/RESULTS-SCHEMA.md); NULL without buckets or on
 * ENOMEM. */
json_t *df_tally_buckets_json(const df_tally *t);

#endif /* DF_HARNESS_SWEEP_TALLY_H */
