/* models/board.h - private to models/: the board each process-model
 * worker shares with its arbiter (#17), so that the requests a dying
 * worker held are known, and failed exactly once. */
#ifndef DF_MODELS_BOARD_H
#define DF_MODELS_BOARD_H

#include <stdint.h>

#include "models/model.h"

/* A staging record's id while it holds no request. */
#define DF__BOARD_NO_ID UINT64_MAX

typedef struct df__boards df__boards; /* every worker's board, one mapping */
typedef struct df__board df__board;   /* one worker's, MAP_SHARED */

/* nworkers boards of slots held requests each (0: a sync worker, which
 * holds only its staging record). 0, or -ENOMEM. */
int df__boards_create(int nworkers, uint64_t slots, df__boards **out);
void df__boards_destroy(df__boards *b); /* NULL is fine */
df__board *df__boards_at(df__boards *b, int i);

/* Parent, before forking worker i's next incarnation: all empty. */
void df__board_reset(df__board *bd);

/* Worker. A request is read straight into the staging record, whose id
 * is DF__BOARD_NO_ID until the read lands: the kernel either consumed
 * the record into it or not, so a death anywhere loses nothing. */
df_request *df__board_staging(df__board *bd);
/* Sync worker: started on the staged request at now_ns (0: idle). */
void df__board_busy(df__board *bd, int64_t now_ns);
/* Hybrid: moves the staged request into a slot, then empties staging.
 * 0, or -ENOSPC (more held than the board was made for: a bug). */
int df__board_hold(df__board *bd);
/* Hybrid: the completion of id was written; its slot is free again. */
void df__board_release(df__board *bd, uint64_t id);

/* Parent. When the sync worker's current request started, 0 if idle. */
int64_t df__board_busy_since(const df__board *bd);

/* Parent, after the worker died and every completion it wrote was read:
 * calls fn once for each request it held, skipping the ids in recent
 * (completions read whose slot the worker had no time to free).
 * Returns how many. */
typedef void df__held_fn(void *arg, const df_request *r);
uint64_t df__board_each_held(const df__board *bd,
                             const uint64_t *recent,
                             int nrecent,
                             df__held_fn *fn,
                             void *arg);

#endif /* DF_MODELS_BOARD_H */
