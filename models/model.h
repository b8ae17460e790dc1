/* models/model.h - the interface every concurrency model implements.
 *
 * A model is an ops table: start it with a config and a workload, submit
 * requests to it (from the load generator, any thread), stop it (drain,
 * join, report its own statistics). Each finished request goes to the
 * completion sink the harness provides, with the timestamps the model saw.
 * A new model is one file defining a df_model_ops plus one line: in model.c
 * for a built-in, or a df_model_register call for one defined elsewhere.
 */
#ifndef DF_MODELS_MODEL_H
#define DF_MODELS_MODEL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "workloads/workload.h"

typedef struct df_model df_model; /* opaque, one per model instance */

/* A request as the load generator made it. Fixed size, no pointers, so the
 * process model can send it down a pipe as is. */
typedef struct df_request {
    uint64_t id;         /* unique in the run, from 0 */
    int64_t intended_ns; /* when it should have started (open loop schedule;
                            equals sent_ns in closed loop) */
    int64_t sent_ns;     /* when the generator called submit */
} df_request;

/* A finished request. All times from df_now_ns(). */
typedef struct df_completion {
    uint64_t id;
    int64_t intended_ns;
    int64_t sent_ns;
    int64_t started_ns;  /* a worker took it: queue wait ends here */
    int64_t finished_ns; /* handle() returned */
    int64_t gil_wait_ns; /* time spent waiting for an interpreter lock */
    int32_t worker;      /* lane that ran it (process, thread or loop) */
    int32_t status;      /* handle()'s return: 0 or a negative errno */
} df_completion;

/* Called once per finished request, from a model thread (a worker thread,
 * the loop thread or the process model's collector). May call submit. */
typedef void df_sink_fn(void *arg, const df_completion *c);

typedef enum df_gil_mode {
    DF_GIL_NEW = 0, /* CPython 3.2 onward: drop requests after an interval */
    DF_GIL_OLD = 1, /* Python 2: release every check_interval checkpoints */
    DF_GIL_OFF = 2, /* free-threaded (PEP 703): no lock */
} df_gil_mode;

typedef enum df_switch_kind {
    DF_SWITCH_ASM = 0,      /* hand-written register switch */
    DF_SWITCH_UCONTEXT = 1, /* swapcontext(3), for comparison */
} df_switch_kind;

typedef enum df_stack_kind {
    DF_STACK_DEDICATED = 0, /* one mmap'd stack with a guard page each */
    DF_STACK_SHARED = 1,    /* one run stack; suspended frames copied out */
} df_stack_kind;

/* A model's own figures, as plain numbers: the harness writes them into the
 * point's record (docs/RESULTS-SCHEMA.md, docs/GIL.md say what each means).
 * Fixed-size parts and no pointers but the two arrays, so a worker process
 * can send its figures up a pipe as bytes. */

/* One thread that used a simulated GIL. Fractions are of the GIL's wall
 * time (since its first registration). */
typedef struct df_gil_thread_stats {
    char name[32];
    double held;     /* fraction holding the lock */
    double wait;     /* fraction waiting for it */
    double released; /* 1 - held - wait */
    uint64_t acquisitions;
    uint64_t drop_requests;   /* set as a waiter */
    uint64_t forced_switches; /* honoured as holder */
    uint64_t checks;          /* old GIL: periodic release/re-acquire */
    uint64_t slices;          /* closed holds */
    double slice_median_us;
    double slice_p99_us;
    double wait_mean_us; /* closed waits per acquisition */
    double wait_p99_us;
    double wait_max_us;
} df_gil_thread_stats;

/* One simulated GIL (models/gil.h, df_gil_stats_get). */
typedef struct df_gil_stats {
    df_gil_mode mode;
    int64_t switch_interval_us;
    int check_interval;
    double wall_s; /* since the first registration */
    double held;   /* fraction of wall_s some thread held the lock */
    double wait;   /* fraction of wall_s at least one thread waited */
    uint64_t acquisitions;
    uint64_t switches; /* hand-offs to a different thread */
    uint64_t drop_requests;
    uint64_t forced_switches;
    uint64_t checks;
    double wait_mean_us; /* every thread's closed waits */
    double wait_p99_us;
    double slice_median_us;
    int nthreads;
    df_gil_thread_stats *threads; /* nthreads, registration order; owned */
} df_gil_stats;

/* The coroutine model's event loop. */
typedef struct df_model_loop_stats {
    uint64_t slow_callbacks; /* handles that ran >= slow_callback_ns */
    int64_t max_blocked_ns;  /* longest single handle */
    uint64_t switches;       /* coroutine resumes */
    int to_thread_workers;   /* pool threads started */
    int to_thread_max_workers;
    uint64_t to_thread_calls;
    uint64_t iterations;
    uint64_t callbacks;
    uint64_t spawned;
    uint64_t peak_coroutines;
    uint64_t timers_fired;
    uint64_t fd_wakeups;
    uint64_t threadsafe_wakeups;
    df_switch_kind switch_kind;
    df_stack_kind stack_kind;
    int64_t stack_size_bytes; /* the default applied */
    uint64_t stacks_mapped;
    uint64_t saved_stack_bytes;
    uint64_t spawn_failures; /* requests failed at spawn */
    char spawn_error[256];   /* the first failure's message, or "" */
    uint64_t abandoned;      /* submitted, unfinished at the deadline */
} df_model_loop_stats;

/* The thread model's CPU-bound neighbours (cfg->hogs). */
typedef struct df_model_hogs_stats {
    int count;
    uint64_t work_units; /* about 1 us of CPU each */
    double work_units_per_s;
} df_model_hogs_stats;

/* The thread model's pool. */
typedef struct df_model_pool_stats {
    int threads;
    uint64_t abandoned; /* queued requests dropped by the drain timeout */
} df_model_pool_stats;

/* Statuses the process model's arbiter (#17) gives the requests a dead
 * worker held: what the client of a real server sees. */
#define DF_STATUS_CRASHED   (-ECONNRESET) /* the worker died: EOF or RST */
#define DF_STATUS_TIMED_OUT (-ETIMEDOUT)  /* killed by --worker-timeout */
#define DF_STATUS_REFUSED   (-ECONNREFUSED)
#define DF_MODEL_MAX_SIGNAL 64

/* The process model's arbiter (gunicorn's master, #17). */
typedef struct df_model_arbiter_stats {
    uint64_t respawns;        /* workers forked to replace one */
    uint64_t crashes;         /* workers that died of a signal or exit != 0 */
    uint64_t worker_timeouts; /* killed for a silent heartbeat */
    uint64_t recycles;        /* exited after --max-requests */
    uint64_t held_errors;     /* requests failed with a dying worker */
    int storm;                /* 1: respawning stopped (a respawn storm) */
    /* Crashes by signal number (index 0: exited non-zero). */
    uint32_t deaths_by_signal[DF_MODEL_MAX_SIGNAL + 1];
} df_model_arbiter_stats;

/* #14: an HTTP load generator's side of the wire (the harness's target
 * model, harness/http/client.c): its connections, the failures by kind
 * (as wrk counts non-2xx and socket errors) and what it cost. */
typedef struct df_model_http_stats {
    int connections;         /* kept open at once: the pool's size */
    uint64_t connects;       /* connections opened, the first ones included */
    uint64_t responses;      /* complete responses, any status */
    uint64_t non2xx;         /* responses with a status outside 200-299 */
    uint64_t connect_errors; /* a connect that failed */
    uint64_t read_errors;    /* recv failed or the peer closed mid-request */
    uint64_t write_errors;   /* send failed */
    uint64_t parse_errors;   /* http_parser refused the response */
    uint64_t abandoned;      /* in flight when the drain ran out */
    /* CPU of the whole generating process (getrusage RUSAGE_SELF) between
     * start and stop, and of the loop thread alone, per response. */
    double client_cpu_ns_per_request;
    double loop_cpu_ns_per_request;
} df_model_http_stats;

typedef struct df_model_stats {
    /* Which parts the model filled (0/1); the others stay zero. */
    int has_gil, has_loop, has_hogs, has_pool, has_arbiter, has_http;
    df_model_arbiter_stats arbiter;
    df_gil_stats gil;
    df_model_loop_stats loop;
    df_model_hogs_stats hogs;
    df_model_pool_stats pool;
    df_model_http_stats http;
    /* Process model running an inner model: each worker's figures, listed,
     * not averaged (each process has its own interpreter). Owned. */
    int nprocesses;
    struct df_model_stats *per_process;
} df_model_stats;

/* #17: what a model calls when the point cannot go on (a respawn storm):
 * the hook (the runner's abort, set in a point's child) reports msg and
 * does not return. Without a hook it returns and the model fails its
 * stop with the message instead. */
typedef void df_model_fatal_fn(const char *msg);
void df_model_fatal_hook_set(df_model_fatal_fn *fn);
void df__model_fatal(const char *msg);

/* Frees what s owns (not s) and zeroes it. Zeroed or NULL is fine. */
void df_model_stats_clear(df_model_stats *s);

/* #12: limits a model must support, which `duckfeed run` also accepts
 * (harness/cli/run.c), so a value the parser takes is never quietly cut.
 * A model with threads per process accepts cfg.threads up to this: */
#define DF_MODEL_MAX_THREADS 16384
/* and cfg.hogs up to this: */
#define DF_MODEL_MAX_HOGS 64
/* Closed-loop clients (--concurrency): every model holds this many
 * requests in flight at once without refusing a submit. */
#define DF_MODEL_MAX_CONCURRENCY 1000000

typedef struct df_model_cfg {
    int workers; /* processes (process model; hybrids for the others) */
    int threads; /* threads per process (thread model) */
    /* Simulated interpreter lock, one per process. */
    df_gil_mode gil;
    int64_t switch_interval_us; /* new GIL: a waiter's patience */
    int check_interval;         /* old GIL: checkpoints between releases */
    int hogs; /* CPU-bound neighbour threads sharing the interpreter, that
                 spin on checkpoints until stop (the convoy scenario) */
    /* Coroutine loop. */
    df_switch_kind switch_kind;
    df_stack_kind stack_kind;
    int64_t stack_size_bytes;
    int64_t slow_callback_ns; /* blocking detector threshold */
    int to_thread_workers;    /* run_blocking pool of the loop; 0: default */
    /* Process model: what each worker process runs. NULL: requests one at a
     * time on the worker itself (gunicorn sync); the thread or coroutine
     * model: a hybrid (gunicorn -w P --threads T, uvicorn --workers P). */
    const struct df_model_ops *inner;
    /* The work. */
    const df_workload *workload;
    void *workload_state;
    const df_params *params;
    /* #14: the HTTP server a load generator sends to ("http://127.0.0.1:
     * P/path"), for a model that is one (harness/http/client.c); NULL for
     * the others, which ignore it. */
    const char *target_url;
    /* Where completions go. */
    df_sink_fn *sink;
    void *sink_arg;
    /* Requests the load keeps in flight at most (closed loop: the
     * concurrency; open loop: --max-inflight), 0 when unbounded. A model
     * may preallocate by it (the process model's overflow queue). */
    int64_t inflight_max;
    /* Process model's arbiter (#17), gunicorn's knobs. worker_timeout_ns
     * (--timeout): 0 off, else a sync worker busy on one request this
     * long is killed and replaced (a hybrid heartbeats from its main
     * loop, so never). max_requests: 0 off, else a worker exits
     * gracefully after max_requests + U[0, max_requests_jitter] requests
     * and is replaced. respawn_forever: gunicorn's exact behaviour, no
     * respawn-storm detection. */
    int64_t worker_timeout_ns;
    int64_t max_requests, max_requests_jitter;
    int respawn_forever;
    /* #15: CPU a real server spends on each request outside the handler
     * (parsing, dispatch, the framework), measured by `duckfeed
     * calibrate`. A lane charges it as a df_cpu_ns spin just before
     * handle(), where CPython runs that code: holding the GIL (thread
     * model), on the loop thread (coroutine models), in the worker
     * (process model). Its checkpoints let the GIL switch, as the
     * interpreter's would. 0: none. */
    int64_t request_cost_ns;
} df_model_cfg;

/* Starts workers; on success *out is set and requests may be submitted. */
typedef int df_model_start_fn(const df_model_cfg *cfg,
                              df_model **out,
                              df_err *err);
/* Hot path, any thread: queue one request. No allocation. 0 or -errno. */
typedef int df_model_submit_fn(df_model *m, const df_request *req);
/* Waits for submitted requests to finish (at most drain_ns, then abandons
 * them), joins workers, frees m. If stats is non-NULL it is filled with the
 * model's own figures, even when stop fails; the caller then owns them
 * (df_model_stats_clear). */
typedef int df_model_stop_fn(df_model *m,
                             int64_t drain_ns,
                             df_model_stats *stats,
                             df_err *err);

/* What a model is, as the harness asks it (bits of df_model_ops.traits):
 * which flags size it, which knobs apply, what its points record. */
typedef enum df_model_trait {
    /* The prefork wrapper: --workers sizes it (cfg.workers processes), and
     * a hybrid is it running another model per process (cfg.inner). Any
     * other model runs in one process unless wrapped (--processes). */
    DF_MODEL_PREFORK = 1u << 0,
    /* cfg.threads sizes it: threads per process (--threads). */
    DF_MODEL_THREADS = 1u << 1,
    /* Its lanes share one simulated interpreter lock per process, so
     * cfg.gil, switch_interval_us and check_interval apply (--gil,
     * --switch-interval) and stop reports the lock's figures. Unless the
     * lock is off, one lane per process runs Python at a time. */
    DF_MODEL_GIL = 1u << 2,
    /* Starts cfg.hogs CPU-bound neighbour threads in its interpreter. */
    DF_MODEL_HOGS = 1u << 3,
} df_model_trait;

/* See df_model_ops.lanes and .command. */
typedef int df_model_lanes_fn(const df_model_cfg *cfg);
typedef int df_model_command_fn(const df_model_cfg *cfg, char *buf, size_t len);

typedef struct df_model_ops {
    const char *name;    /* value of --model */
    const char *summary; /* one line, for `duckfeed list` */
    unsigned traits;     /* df_model_trait bits; 0: none */
    /* What one lane is, for the timeline's rows: "process", "thread",
     * "loop". NULL: "lane". */
    const char *lane_name;
    /* Requests in progress at once in the deployment cfg describes, with
     * cfg->workers (0 counts as 1) processes of it: its lanes, each of
     * which works on one request (a loop: every request in flight, so 0,
     * not bounded by the config). Lanes, not CPUs: see DF_MODEL_GIL.
     * Reads only workers, threads and inner. NULL: one lane per process. */
    df_model_lanes_fn *lanes;
    /* The server command the deployment cfg describes stands for, e.g.
     * "gunicorn -w 2 app:app", written into buf as snprintf does (returns
     * the length it needed). Reads as lanes does. NULL: none known. */
    df_model_command_fn *command;
    /* A Markdown paragraph for REPORT.md: the deployment the model stands
     * for, told with the tutorial's keepers and ducklings. NULL: the
     * summary is used. */
    const char *explain;
    df_model_start_fn *start;
    df_model_submit_fn *submit;
    df_model_stop_fn *stop;
} df_model_ops;

/* The NULL-terminated list of the built-in models (models/model.c). */
extern const df_model_ops *const df_models[];

/* The model called name, built-in or registered, or NULL. */
const df_model_ops *df_model_find(const char *name);

/* The i-th model: the built-ins in df_models order, then the registered
 * ones in registration order; NULL when i is past the end (or negative). */
const df_model_ops *df_model_at(int i);

/* Adds a model defined outside models/ (a test, an example) to what
 * df_model_find and df_model_at see: one call from main or a test's setup.
 * ops is borrowed for the life of the process (a static table). Not
 * thread-safe: register before any run starts (forked points inherit it).
 * 0, or -EINVAL (NULL ops, or no name, start, submit or stop), -EEXIST
 * (the name is taken), -ENOSPC (DF_MODEL_MAX_REGISTERED already). */
#define DF_MODEL_MAX_REGISTERED 16
int df_model_register(const df_model_ops *ops);

#endif /* DF_MODELS_MODEL_H */
