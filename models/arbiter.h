/* models/arbiter.h - private to models/: gunicorn's master for the
 * process model (#17). The model forks and feeds the workers; the
 * arbiter watches them: it reads completions, sees a worker die, fails
 * the requests it held (models/board.h) once each, replaces it, kills a
 * silent sync worker (--worker-timeout), and stops a respawn storm. */
#ifndef DF_MODELS_ARBITER_H
#define DF_MODELS_ARBITER_H

#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "models/board.h"
#include "models/model.h"

/* Completions the arbiter remembers per worker: a dying lane may have
 * written its completion without freeing its board slot (board.h). */
#define DF__ARBITER_RECENT_IDS 64

/* The arbiter's view of worker slot i (gunicorn's master's WORKERS). The
 * model's fork fills pid, pidfd and stats_r; the arbiter thread reads
 * them, and the model again after that thread ended. */
typedef struct df__wslot {
    pid_t pid; /* 0: none (stopping, or after a storm) */
    int pidfd; /* readable when it exits */
    int stats_r;
    uint64_t generation;  /* incarnations of slot i before this one */
    uint64_t completions; /* this incarnation's */
    uint64_t recent[DF__ARBITER_RECENT_IDS];
    unsigned recent_pos;
    int timed_out; /* killed for --worker-timeout */
} df__wslot;

/* What the arbiter asks of the model that owns the workers, arg first. */
typedef void df__arbiter_drain_fn(void *arg); /* every completion now read */
typedef void df__arbiter_deliver_fn(void *arg, const df_completion *c);
/* Forks slot i's next incarnation (its df__wslot reset, filled): 0, or
 * -errno with err (which may be NULL) set. */
typedef int df__arbiter_fork_fn(void *arg, int i, df_err *err);

typedef struct df__arbiter_cfg {
    int nworkers;
    int sync; /* 1: gunicorn sync workers, which heartbeat per request */
    int64_t worker_timeout_ns; /* 0 off; sync workers only */
    int64_t max_requests, max_requests_jitter;
    int respawn_forever; /* no storm detection, as gunicorn */
    int done_r;          /* the completions pipe, polled */
    const int *stopping; /* atomic, MAP_SHARED: stop began */
    df__boards *boards;  /* one per worker, owned by the model */
    df__arbiter_drain_fn *drain;
    df__arbiter_deliver_fn *deliver;
    df__arbiter_fork_fn *fork;
    void *arg;
} df__arbiter_cfg;

typedef struct df__arbiter df__arbiter;

/* 0, or -ENOMEM. Every slot starts empty (pid 0, fds -1). */
int df__arbiter_create(const df__arbiter_cfg *cfg, df__arbiter **out);
void df__arbiter_destroy(df__arbiter *a); /* NULL is fine; closes no fd */
df__wslot *df__arbiter_slot(df__arbiter *a, int i);

/* The master loop, on its own thread: completions to drain, deaths
 * handled, heartbeats checked each tick; returns once stop began and no
 * worker is left. */
void df__arbiter_run(df__arbiter *a);

/* The model's deliver, on the arbiter's thread: a completion of worker. */
void df__arbiter_note(df__arbiter *a, int worker, uint64_t id);

/* Worker slot i's requests before a graceful recycle (--max-requests
 * plus its jitter, a hash of slot and incarnation); 0: none. */
int64_t df__arbiter_request_limit(const df__arbiter *a, int i);

/* Stop's deadline passed: every worker is killed, and their deaths are
 * neither failures nor replaced. Any thread. */
void df__arbiter_kill_all(df__arbiter *a);

/* Its figures; *storm_msg the respawn storm's message, NULL if none.
 * After df__arbiter_run returned. */
void df__arbiter_stats(const df__arbiter *a,
                       df_model_arbiter_stats *out,
                       const char **storm_msg);

#endif /* DF_MODELS_ARBITER_H */
