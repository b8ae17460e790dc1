/* models/board.c - the boards the process model's arbiter reads (#17).
 *
 * gunicorn's master learns only that a worker died; the client sees its
 * connection close. Here the parent must also fail the requests the dead
 * worker held, once each, so each worker writes what it holds into shared
 * memory. Staging: the worker reads the request record straight into its
 * board, so there is no instant where the request is out of the pipe and
 * nowhere to be seen. A hybrid then moves it into a slot of an open-
 * addressing table keyed by id (a lane of the inner model owns it until
 * its completion is written; the slot is freed just after, and the parent
 * skips recently completed ids to cover the gap between the two). Slots
 * are claimed with a CAS, since inner-model threads free them while the
 * reader claims; the table is at most half full, so probes are short.
 */
#define _GNU_SOURCE
#include "models/board.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct slot {
    uint64_t key; /* id + 1; 0 free */
    df_request req;
} slot;

struct df__board {
    int64_t busy_since_ns; /* sync: current request's start; 0 idle */
    df_request staging;
    uint64_t mask; /* slots - 1 (a power of two), or 0 with no slots */
    slot slots[];
};

struct df__boards {
    char *base;
    size_t stride, bytes;
    int n;
};

int df__boards_create(int nworkers, uint64_t slots, df__boards **out)
{
    uint64_t cap = 0;
    if (slots > 0) /* twice the most held, a power of two */
        for (cap = 1; cap < 2 * slots; cap <<= 1)
            ;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t one = sizeof(df__board) + cap * sizeof(slot);
    df__boards *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    b->stride = (one + page - 1) / page * page;
    b->bytes = b->stride * (size_t)nworkers;
    b->n = nworkers;
    /* Anonymous shared memory: pages the tables never reach stay
     * untouched, so a large greedy board costs only what it holds. */
    b->base = mmap(NULL, b->bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b->base == MAP_FAILED) {
        free(b);
        return -ENOMEM;
    }
    for (int i = 0; i < nworkers; i++) {
        df__board *bd = df__boards_at(b, i);
        bd->mask = cap ? cap - 1 : 0;
        bd->staging.id = DF__BOARD_NO_ID;
    }
    *out = b;
    return 0;
}

void df__boards_destroy(df__boards *b)
{
    if (!b)
        return;
    munmap(b->base, b->bytes);
    free(b);
}

df__board *df__boards_at(df__boards *b, int i)
{
    return (df__board *)(b->base + b->stride * (size_t)i);
}

void df__board_reset(df__board *bd)
{
    bd->busy_since_ns = 0;
    bd->staging.id = DF__BOARD_NO_ID;
    if (bd->mask)
        memset(bd->slots, 0, (bd->mask + 1) * sizeof(slot));
}

df_request *df__board_staging(df__board *bd)
{
    return &bd->staging;
}

void df__board_busy(df__board *bd, int64_t now_ns)
{
    __atomic_store_n(&bd->busy_since_ns, now_ns, __ATOMIC_RELEASE);
}

int64_t df__board_busy_since(const df__board *bd)
{
    return __atomic_load_n(&bd->busy_since_ns, __ATOMIC_ACQUIRE);
}

int df__board_hold(df__board *bd)
{
    uint64_t id = bd->staging.id;
    for (uint64_t i = 0; i <= bd->mask; i++) {
        slot *s = &bd->slots[(id + i) & bd->mask];
        uint64_t free_key = 0;
        if (__atomic_load_n(&s->key, __ATOMIC_RELAXED) != 0)
            continue;
        s->req = bd->staging; /* only this thread claims: safe before */
        if (!__atomic_compare_exchange_n(&s->key, &free_key, id + 1, 0,
                                         __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            continue;
        __atomic_store_n(&bd->staging.id, DF__BOARD_NO_ID, __ATOMIC_RELEASE);
        return 0;
    }
    return -ENOSPC;
}

void df__board_release(df__board *bd, uint64_t id)
{
    /* Probing never stops at a free slot: a slot freed after id's insert
     * may lie between its home and it. id is present, so this ends. */
    for (uint64_t i = 0; i <= bd->mask; i++) {
        slot *s = &bd->slots[(id + i) & bd->mask];
        if (__atomic_load_n(&s->key, __ATOMIC_RELAXED) == id + 1) {
            __atomic_store_n(&s->key, 0, __ATOMIC_RELEASE);
            return;
        }
    }
}

static int in(const uint64_t *ids, int n, uint64_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

uint64_t df__board_each_held(const df__board *bd,
                             const uint64_t *recent,
                             int nrecent,
                             df__held_fn *fn,
                             void *arg)
{
    uint64_t n = 0, staged = bd->staging.id;
    for (uint64_t i = 0; bd->mask && i <= bd->mask; i++) {
        const slot *s = &bd->slots[i];
        if (s->key == 0 || in(recent, nrecent, s->key - 1))
            continue;
        if (s->key - 1 == staged) /* died between the copy and the clear */
            staged = DF__BOARD_NO_ID;
        fn(arg, &s->req);
        n++;
    }
    if (staged != DF__BOARD_NO_ID && !in(recent, nrecent, staged)) {
        fn(arg, &bd->staging);
        n++;
    }
    return n;
}
