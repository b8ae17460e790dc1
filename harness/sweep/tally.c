/* harness/sweep/tally.c - completions counted in a shared mapping (see
 * tally.h): it outlives the point's process, so a crash loses no count. */
#define _GNU_SOURCE
#include "harness/sweep/tally.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#define SLOT_ALIGN_WORDS 8 /* 64 bytes of int64_t */

struct df_tally {
    size_t map_bytes;
    int nslots, nbuckets;
    size_t slot_words; /* 2 + 2 * nbuckets, rounded up to 64 bytes */
    int64_t words[];   /* nslots slots */
};

int df_tally_map(int nslots, int64_t window_ns, df_tally **out)
{
    *out = NULL;
    if (nslots < 1 || window_ns < 0)
        return -EINVAL;
    int64_t nb = window_ns / DF_TALLY_BUCKET_NS;
    if (nb > DF_TALLY_MAX_BUCKETS)
        nb = 0;
    size_t words = (size_t)(2 + 2 * nb);
    words =
        (words + SLOT_ALIGN_WORDS - 1) / SLOT_ALIGN_WORDS * SLOT_ALIGN_WORDS;
    /* The header is padded to 64 bytes too, so slot 0 is aligned. */
    size_t head = (offsetof(df_tally, words) + 63) / 64 * 64;
    size_t bytes = head + (size_t)nslots * words * sizeof(int64_t);
    /* Untouched pages cost nothing: only slots in use are ever written. */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    df_tally *t = (df_tally *)((char *)p + head - offsetof(df_tally, words));
    t->map_bytes = bytes;
    t->nslots = nslots;
    t->nbuckets = (int)nb;
    t->slot_words = words;
    *out = t;
    return 0;
}

static void *map_base(df_tally *t)
{
    size_t head = (offsetof(df_tally, words) + 63) / 64 * 64;
    return (char *)t - (head - offsetof(df_tally, words));
}

void df_tally_unmap(df_tally *t)
{
    if (t)
        munmap(map_base(t), t->map_bytes);
}

int64_t *df_tally_slot(df_tally *t, int i)
{
    return t->words + (size_t)i * t->slot_words;
}

int df_tally_buckets(const df_tally *t)
{
    return t->nbuckets;
}

void df_tally_sum(const df_tally *t, int64_t *completed, int64_t *errors)
{
    *completed = *errors = 0;
    for (int i = 0; i < t->nslots; i++) {
        *completed += t->words[(size_t)i * t->slot_words];
        *errors += t->words[(size_t)i * t->slot_words + 1];
    }
}

json_t *df_tally_buckets_json(const df_tally *t)
{
    if (t->nbuckets == 0)
        return NULL;
    json_t *done = json_array(), *errs = json_array();
    json_t *obj = json_pack("{s:I,s:o,s:o}", "bucket_ms",
                            (json_int_t)(DF_TALLY_BUCKET_NS / 1000000),
                            "completed", done, "errors", errs);
    if (!obj)
        return NULL;
    for (int b = 0; b < t->nbuckets; b++) {
        int64_t c = 0, e = 0;
        for (int i = 0; i < t->nslots; i++) {
            c += t->words[(size_t)i * t->slot_words + 2 + b];
            e += t->words[(size_t)i * t->slot_words + 2 + t->nbuckets + b];
        }
        if (json_array_append_new(done, json_integer(c)) < 0 ||
            json_array_append_new(errs, json_integer(e)) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}
