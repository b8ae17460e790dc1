/* base/load.c - the machine-load probe (see load.h). */
#include "base/load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/clock.h"

/* The "cpu" line of /proc/stat, in seconds. */
static int read_stat(double *busy_s, double *steal_s, double *total_s)
{
    unsigned long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    int n;

    if (!f)
        return -errno;
    n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return -EIO;
    /* user nice system idle iowait irq softirq steal */
    double hz = (double)sysconf(_SC_CLK_TCK);
    *busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
    *steal_s = (double)v[7] / hz;
    *total_s = *busy_s + (double)(v[3] + v[4]) / hz;
    return 0;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* This process and every child it has reaped (a point's child reaps its
 * workers, so they count too). */
static double own_cpu_s(void)
{
    struct rusage self, kids;

    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) +
           tv_s(kids.ru_stime);
}

int df_load_probe_start(df_load_probe *p)
{
    memset(p, 0, sizeof *p);
    p->wall_ns = df_now_ns();
    p->own_s = own_cpu_s();
    return read_stat(&p->busy_s, &p->steal_s, &p->total_s);
}

int df_load_probe_end(const df_load_probe *p, df_load_figures *out)
{
    double busy, steal, total, others;
    FILE *f;
    int rc;

    memset(out, 0, sizeof *out);
    if (p->total_s <= 0)
        return -EINVAL;
    if ((rc = read_stat(&busy, &steal, &total)) < 0)
        return rc;
    out->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    out->span_s = (double)(df_now_ns() - p->wall_ns) / 1e9;
    if (out->span_s <= 0)
        return -EINVAL;
    others = (busy - p->busy_s) - (own_cpu_s() - p->own_s);
    out->others_cores = others > 0 ? others / out->span_s : 0;
    if (out->others_cores > out->cores)
        out->others_cores = out->cores;
    out->steal_pct = total > p->total_s
                         ? 100.0 * (steal - p->steal_s) / (total - p->total_s)
                         : 0;
    if ((f = fopen("/proc/loadavg", "r")) != NULL) {
        if (fscanf(f, "%lf", &out->loadavg_1m) != 1)
            out->loadavg_1m = -1;
        fclose(f);
    }
    out->busy = out->others_cores >= DF_LOAD_BUSY_CORES ||
                out->steal_pct >= DF_LOAD_BUSY_STEAL_PCT;
    return 0;
}
