/* base/load.h - how busy the machine was while something ran.
 *
 * A run that shares its cores with other work measures that work too: a
 * claim can then fail for the machine's sake, not the model's. The probe
 * reads /proc/stat (all CPUs' busy and steal ticks) and this process's own
 * CPU time, children included, at the start and at the end of a span, and
 * /proc/loadavg at the end, so a report can say beside its claims that the
 * machine was busy. Two file reads per call; never on a hot path.
 */
#ifndef DF_BASE_LOAD_H
#define DF_BASE_LOAD_H

#include <stdint.h>

typedef struct df_load_probe {
    int64_t wall_ns; /* start of the span */
    double busy_s;   /* all CPUs' non-idle time so far (steal included) */
    double steal_s;  /* of which the hypervisor stole */
    double total_s;  /* all CPUs' time so far, idle included */
    double own_s;    /* this process and its reaped children, CPU time */
} df_load_probe;

typedef struct df_load_figures {
    int cores;           /* online CPUs */
    double span_s;       /* wall time of the span */
    double loadavg_1m;   /* /proc/loadavg at the end (runnable, ours too) */
    double others_cores; /* CPUs' worth used by other processes on average */
    double steal_pct;    /* of all CPU time, what the hypervisor stole */
    int busy;            /* others took >= DF_LOAD_BUSY_CORES, or steal high */
} df_load_figures;

/* Other processes using a quarter of a 2-core machine, or a hypervisor
 * stealing a tenth of it, are enough to turn a 20 % margin into noise. */
#define DF_LOAD_BUSY_CORES     0.5
#define DF_LOAD_BUSY_STEAL_PCT 10.0

/* Starts a span. 0, or -errno when /proc/stat cannot be read (the
 * figures are then unknown). */
int df_load_probe_start(df_load_probe *p);

/* Ends the span started in p. 0, or -errno (out is then zeroed). */
int df_load_probe_end(const df_load_probe *p, df_load_figures *out);

#endif /* DF_BASE_LOAD_H */
