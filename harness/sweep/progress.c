/* harness/sweep/progress.c - the sweep's progress bar (see progress.h). */
#define _GNU_SOURCE /* TIOCGWINSZ */
#include "harness/sweep/progress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/clock.h"

#define REDRAW_NS  100000000 /* 10 redraws a second at most */
#define BAR_WIDTH  20
#define LABEL_SIZE 128

struct df_progress {
    FILE *out;
    int shown; /* 0: every call is a no-op */
    int total, index, finished;
    int64_t t0_ns, last_draw_ns;
    int drawn; /* a line is on screen */
    char label[LABEL_SIZE];
};

int df_progress_create(FILE *out, int total, int flags, df_progress **out_p)
{
    if (total < 1 || !out)
        return -EINVAL;
    df_progress *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->out = out;
    p->total = total;
    p->shown = !(flags & DF_PROGRESS_QUIET) &&
               ((flags & DF_PROGRESS_FORCE) || isatty(fileno(out)));
    p->t0_ns = df_now_ns();
    p->last_draw_ns = p->t0_ns - REDRAW_NS;
    *out_p = p;
    return 0;
}

static int columns(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 80;
}

static void fmt_duration(char *buf, size_t n, int64_t ns)
{
    int64_t s = ns / 1000000000;
    if (s >= 3600)
        snprintf(buf, n, "%lld:%02lld:%02lld", (long long)(s / 3600),
                 (long long)(s / 60 % 60), (long long)(s % 60));
    else
        snprintf(buf, n, "%lld:%02lld", (long long)(s / 60),
                 (long long)(s % 60));
}

static void draw(df_progress *p, int64_t now)
{
    char bar[BAR_WIDTH + 1], elapsed[16], left[24] = "", line[512];
    int fill = p->finished * BAR_WIDTH / p->total;

    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fmt_duration(elapsed, sizeof elapsed, now - p->t0_ns);
    if (p->finished > 0 && p->finished < p->total) {
        /* Mean time per finished point times the points still to run. */
        char t[16];
        fmt_duration(t, sizeof t,
                     (now - p->t0_ns) / p->finished * (p->total - p->finished));
        snprintf(left, sizeof left, "  left ~%s", t);
    }
    int len = snprintf(line, sizeof line, "[%s] %d/%d  elapsed %s%s  %s", bar,
                       p->index + 1, p->total, elapsed, left, p->label);
    int width = columns(p->out) - 1; /* never wrap: \r must reach the start */
    if (len > width)
        len = width;
    fprintf(p->out, "\r\033[K%.*s", len, line);
    fflush(p->out);
    p->drawn = 1;
    p->last_draw_ns = now;
}

void df_progress_tick(df_progress *p)
{
    if (!p || !p->shown)
        return;
    int64_t now = df_now_ns();
    if (now - p->last_draw_ns >= REDRAW_NS)
        draw(p, now);
}

void df_progress_point(df_progress *p, int index, const char *label)
{
    if (!p)
        return;
    p->index = index;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    df_progress_tick(p);
}

void df_progress_done(df_progress *p, int finished)
{
    if (!p)
        return;
    p->finished = finished;
    df_progress_tick(p);
}

void df_progress_clear(df_progress *p)
{
    if (!p || !p->drawn)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->drawn = 0;
    p->last_draw_ns = 0; /* the next tick redraws at once */
}

void df_progress_destroy(df_progress *p)
{
    df_progress_clear(p);
    free(p);
}
