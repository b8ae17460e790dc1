/* models/arbiter.c - gunicorn's master for the process model (#17).
 *
 * One thread polls the completions pipe and a pidfd per worker. A
 * completion goes to the model's deliver; a readable pidfd means that
 * worker exited: everything it wrote is read first, then each request it
 * held (its board, board.h) fails once - kind `timeout` when the arbiter
 * killed it for --worker-timeout, else `crash` - and unless stop began a
 * new incarnation is forked. gunicorn's sync worker heartbeats before
 * each request, so a sync worker busy on one request longer than the
 * timeout is killed (gunicorn sends SIGABRT, then SIGKILL; only the kill
 * is modelled); a hybrid's main loop heartbeats, so its hung lanes are
 * never killed. gunicorn respawns a worker that died after booting
 * forever; here STORM_DEATHS in a row (at least 4 per worker) that
 * completed nothing stop respawning and fail the point by name, unless
 * respawn_forever.
 */
#define _GNU_SOURCE
#include "models/arbiter.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"

/* The poll tick without --worker-timeout: how late the arbiter sees stop
 * when no worker is left to report. */
#define ARBITER_TICK_MS 100
/* A respawn storm: this many deaths in a row (and at least 4 per worker)
 * of workers that completed nothing. */
#define STORM_DEATHS 10

struct df__arbiter {
    df__arbiter_cfg cfg;
    df__wslot *ws;        /* cfg.nworkers */
    struct pollfd *polls; /* cfg.nworkers + 1 */
    int *poll_worker;
    int killing;     /* atomic: stop's deadline passed, deaths are no
                        failures */
    int zero_deaths; /* workers in a row that died completing nothing */
    df_model_arbiter_stats arb;
    char storm_msg[200];
};

int df__arbiter_create(const df__arbiter_cfg *cfg, df__arbiter **out)
{
    df__arbiter *a = calloc(1, sizeof *a);
    size_t n = (size_t)cfg->nworkers;

    *out = NULL;
    if (!a)
        return -ENOMEM;
    a->cfg = *cfg;
    a->ws = calloc(n, sizeof *a->ws);
    a->polls = calloc(n + 1, sizeof *a->polls);
    a->poll_worker = calloc(n + 1, sizeof *a->poll_worker);
    if (!a->ws || !a->polls || !a->poll_worker) {
        df__arbiter_destroy(a);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        a->ws[i].pidfd = a->ws[i].stats_r = -1;
    *out = a;
    return 0;
}

void df__arbiter_destroy(df__arbiter *a)
{
    if (!a)
        return;
    free(a->ws);
    free(a->polls);
    free(a->poll_worker);
    free(a);
}

df__wslot *df__arbiter_slot(df__arbiter *a, int i)
{
    return &a->ws[i];
}

void df__arbiter_note(df__arbiter *a, int worker, uint64_t id)
{
    if (worker < 0 || worker >= a->cfg.nworkers)
        return;
    df__wslot *ws = &a->ws[worker];
    ws->completions++;
    ws->recent[ws->recent_pos++ % DF__ARBITER_RECENT_IDS] = id;
}

int64_t df__arbiter_request_limit(const df__arbiter *a, int i)
{
    const df__arbiter_cfg *c = &a->cfg;
    if (c->max_requests <= 0)
        return 0;
    if (c->max_requests_jitter <= 0)
        return c->max_requests;
    uint64_t x = ((uint64_t)i << 32) ^ a->ws[i].generation;
    x += 0x9e3779b97f4a7c15ULL; /* splitmix64: a run repeats */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return c->max_requests +
           (int64_t)(x % (uint64_t)(c->max_requests_jitter + 1));
}

typedef struct held_ctx {
    df__arbiter *a;
    int worker;
    int32_t status;
    int64_t started_ns; /* the sync worker's; 0 for a hybrid's */
} held_ctx;

/* A request a dead worker held: failed, as its client sees it. */
static void fail_held(void *arg, const df_request *r)
{
    held_ctx *h = arg;
    int64_t now = df_now_ns();
    df_completion c = { .id = r->id,
                        .intended_ns = r->intended_ns,
                        .sent_ns = r->sent_ns,
                        .started_ns = h->started_ns ? h->started_ns : now,
                        .finished_ns = now,
                        .worker = h->worker,
                        .status = h->status };
    h->a->cfg.deliver(h->a->cfg.arg, &c);
}

static int stopping(const df__arbiter *a)
{
    return __atomic_load_n(a->cfg.stopping, __ATOMIC_RELAXED);
}

/* Counts a death in the figures; 1 when it was a crash. */
static int count_death(df__arbiter *a, int i, int status)
{
    df__wslot *ws = &a->ws[i];
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (ws->timed_out) {
        a->arb.worker_timeouts++;
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (!stopping(a))
            a->arb.recycles++;
        return 0;
    }
    if (__atomic_load_n(&a->killing, __ATOMIC_SEQ_CST))
        return 0;
    a->arb.crashes++;
    a->arb.deaths_by_signal[sig <= DF_MODEL_MAX_SIGNAL ? sig : 0]++;
    return 1;
}

/* Stops respawning, with the message stop returns; the hook (a point's
 * child) fails the point at once. */
static void storm(df__arbiter *a, int i, int status)
{
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    a->arb.storm = 1;
    snprintf(a->storm_msg, sizeof a->storm_msg,
             "process model: respawn storm: %d workers in a row died "
             "completing nothing (worker %d: %s%s); gunicorn would fork "
             "forever (--respawn-forever)",
             a->zero_deaths, i, sig ? "SIG" : "exit status",
             sig ? (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?") : "!= 0");
    df__model_fatal(a->storm_msg);
}

/* Fails, once each, the requests worker i held when it died. */
static void fail_all_held(df__arbiter *a, int i)
{
    df__wslot *ws = &a->ws[i];
    df__board *bd = df__boards_at(a->cfg.boards, i);
    held_ctx h = { a, i,
                   ws->timed_out ? DF_STATUS_TIMED_OUT : DF_STATUS_CRASHED,
                   df__board_busy_since(bd) };
    int nrecent = ws->completions < DF__ARBITER_RECENT_IDS
                      ? (int)ws->completions
                      : DF__ARBITER_RECENT_IDS;
    a->arb.held_errors +=
        df__board_each_held(bd, ws->recent, nrecent, fail_held, &h);
}

/* Worker i's process exited: everything it wrote is read, the requests
 * it held fail once each, and unless stopping it is replaced. */
static void on_death(df__arbiter *a, int i)
{
    df__wslot *ws = &a->ws[i];
    int status = 0;
    a->cfg.drain(a->cfg.arg);
    while (waitpid(ws->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (ws->pidfd >= 0)
        close(ws->pidfd);
    ws->pidfd = -1;
    ws->pid = 0;
    int crashed = count_death(a, i, status);
    uint64_t served = ws->completions; /* before its held ones fail */
    if (!__atomic_load_n(&a->killing, __ATOMIC_SEQ_CST))
        fail_all_held(a, i);
    if (crashed)
        a->zero_deaths = served == 0 ? a->zero_deaths + 1 : 0;
    if (stopping(a) || a->arb.storm)
        return; /* its stats pipe stays for stop to read */
    int storm_at =
        4 * a->cfg.nworkers > STORM_DEATHS ? 4 * a->cfg.nworkers : STORM_DEATHS;
    if (!a->cfg.respawn_forever && a->zero_deaths >= storm_at) {
        storm(a, i, status);
        return;
    }
    if (ws->stats_r >= 0)
        close(ws->stats_r);
    ws->stats_r = -1;
    df__board_reset(df__boards_at(a->cfg.boards, i));
    ws->generation++;
    if (a->cfg.fork(a->cfg.arg, i, NULL) == 0)
        a->arb.respawns++;
}

/* --worker-timeout: a sync worker busy on one request longer is killed.
 * A hybrid's main loop is never busy, so never. */
static void check_heartbeats(df__arbiter *a)
{
    if (a->cfg.worker_timeout_ns <= 0 || !a->cfg.sync)
        return;
    int64_t now = df_now_ns();
    for (int i = 0; i < a->cfg.nworkers; i++) {
        df__wslot *ws = &a->ws[i];
        int64_t since = df__board_busy_since(df__boards_at(a->cfg.boards, i));
        if (ws->pid > 0 && !ws->timed_out && since > 0 &&
            now - since > a->cfg.worker_timeout_ns) {
            ws->timed_out = 1;
            kill(ws->pid, SIGKILL);
        }
    }
}

/* The poll tick: a twentieth of the worker timeout. */
static int tick_ms(const df__arbiter *a)
{
    int64_t ms = a->cfg.worker_timeout_ns / 20 / DF_NS_PER_MS;
    if (a->cfg.worker_timeout_ns <= 0 || ms > ARBITER_TICK_MS)
        return ARBITER_TICK_MS;
    return ms < 1 ? 1 : (int)ms;
}

/* Without a pidfd (pidfd_open is ENOSYS before Linux 5.3, and under
 * valgrind) a worker's exit is seen at the next tick instead; WNOWAIT
 * leaves the child for on_death to reap. */
#define NO_PIDFD_TICK_MS 10

static int exited_unpolled(const df__arbiter *a, int i)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return a->ws[i].pidfd < 0 &&
           waitid(P_PID, (id_t)a->ws[i].pid, &si,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid != 0;
}

void df__arbiter_run(df__arbiter *a)
{
    for (;;) {
        int n = 0, unpolled = 0;
        a->polls[n++] =
            (struct pollfd){ .fd = a->cfg.done_r, .events = POLLIN };
        for (int i = 0; i < a->cfg.nworkers; i++)
            if (a->ws[i].pid > 0) {
                a->poll_worker[n] = i;
                unpolled |= a->ws[i].pidfd < 0; /* poll skips fd -1 */
                a->polls[n++] =
                    (struct pollfd){ .fd = a->ws[i].pidfd, .events = POLLIN };
            }
        if (n == 1 && stopping(a))
            break;
        int tick = tick_ms(a);
        if (unpolled && tick > NO_PIDFD_TICK_MS)
            tick = NO_PIDFD_TICK_MS;
        if (poll(a->polls, (nfds_t)n, tick) < 0 && errno != EINTR)
            DF_CHECK(!"poll failed");
        if (a->polls[0].revents)
            a->cfg.drain(a->cfg.arg);
        for (int k = 1; k < n; k++)
            if (a->polls[k].revents || exited_unpolled(a, a->poll_worker[k]))
                on_death(a, a->poll_worker[k]);
        check_heartbeats(a);
    }
    a->cfg.drain(a->cfg.arg);
}

void df__arbiter_kill_all(df__arbiter *a)
{
    /* The arbiter reads killing only after a death this causes. */
    __atomic_store_n(&a->killing, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < a->cfg.nworkers; i++)
        if (a->ws[i].pid > 0)
            kill(a->ws[i].pid, SIGKILL);
}

void df__arbiter_stats(const df__arbiter *a,
                       df_model_arbiter_stats *out,
                       const char **storm_msg)
{
    *out = a->arb;
    *storm_msg = a->arb.storm ? a->storm_msg : NULL;
}
