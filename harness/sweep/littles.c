/* harness/sweep/littles.c - the Little's law check: in-flight sampler, checks.
 *
 * Little's law check: `inflight` counts requests submitted and not yet
 * finished; a sampler thread reads it at random instants (exponential
 * gaps, so it cannot beat in step with a periodic model) during the
 * window. Its mean must match the mean in flight that the models'
 * timestamps imply, counted from the send (the span the counter covers).
 * #6: that is not throughput x mean latency of the window's completions:
 * L = lambda W holds only over a window whose edges cut no request, or in
 * a steady state where the edges cancel out. A 2 s window of requests
 * lasting 1.3 s cuts most of them, and after a short warm-up the early
 * completions are the fast ones of the start-up, so lambda W came out
 * 23 % low on a consistent point. The exact form for any window is
 *     integral of N(t) dt over [ws, we] = sum over requests of
 *                                         |[sent, finished] n [ws, we]|,
 * so every completion, also one after the window (during the drain) or
 * sent before it, adds its overlap with the window, and the check compares
 * the sampled mean with that sum / (we - ws). A request that never
 * finishes (abandoned by the model's drain after an overload: counted in
 * "timeouts") was in flight from its send to the window's end; its part
 * is the sum of every send's [sent, we] n window minus that of every
 * finished request, kept per recorder and by the generator, no atomics.
 * A request finished twice or timestamped wrongly shifts the sum and is
 * still flagged.
 * lambda W itself is kept beside it: when it disagrees with the exact
 * figure the window held a transient (a warm-up shorter than the latency,
 * or a queue growing without bound), which the "steady_state" check
 * flags, because then throughput and latency are not steady-state ones.
 * Requests mode has no window: it spans from the first send until the
 * harness saw the last completion, and the sampler samples that span; its
 * gaps start at SAMPLE_MIN_NS and grow with the elapsed time up to
 * SAMPLE_MEAN_NS, so a 20 ms timeline still gets some 500 samples. Each
 * sample is weighted by its local mean gap (the time it stands for).
 */
#include "harness/sweep/point_private.h"

#include <math.h>

#include "base/clock.h"
#include "base/rng.h"
#include "harness/sweep/point.h"

#define SAMPLE_MEAN_NS 1000000 /* mean gap of the in-flight sampler */
#define SAMPLE_MIN_NS  20000   /* ... over its first 5 ms */
#define SAMPLE_GROWTH  256     /* mean gap = elapsed / this, within both */

/* #13: memory per request is measured where the requests are: the
 * resident set read together with the in-flight count at its peak, not
 * the peak RSS over the mean in flight (which charged a pool's every
 * touched stack to the few requests a light point had). Reading statm is
 * one pread of an open fd, done only at samples at or above the peak. */
static void sample_peak(df__sampler *s, int64_t n)
{
    if (s->rss_fd < 0 || n < s->inflight_peak || n <= 0)
        return;
    int64_t rss = df__point_rss_read_bytes(s->rss_fd);
    if (n > s->inflight_peak || rss > s->rss_at_peak_bytes)
        s->rss_at_peak_bytes = rss;
    s->inflight_peak = n;
}

/* Samples `inflight` at random instants inside the window (requests
 * mode: until the load is over), each weighted by the mean gap around it. */
void *df__sampler_main(void *arg)
{
    df__sampler *s = arg;
    df_rng rng;
    df_rng_seed(&rng, s->seed ^ 0x5a5a5a5aULL);
    int64_t start = s->start_ns, t = start;
    for (;;) {
        double gap = (double)(t - start) / SAMPLE_GROWTH;
        gap = gap < SAMPLE_MIN_NS    ? SAMPLE_MIN_NS
              : gap > SAMPLE_MEAN_NS ? SAMPLE_MEAN_NS
                                     : gap;
        t += (int64_t)(-log1p(-df_rng_uniform(&rng)) * gap);
        if (t >= s->end_ns || __atomic_load_n(s->stopping, __ATOMIC_ACQUIRE))
            break;
        df__sleep_until(t);
        if (__atomic_load_n(s->stopping, __ATOMIC_ACQUIRE))
            break; /* requests mode: past the end of the span */
        int64_t n = __atomic_load_n(s->inflight, __ATOMIC_RELAXED);
        s->sum += gap * (double)n;
        s->weight += gap;
        s->samples++;
        sample_peak(s, n);
    }
    return NULL;
}

static double rel_error(double a, double b)
{
    double big = a > b ? a : b;
    return big > 0 ? fabs(a - b) / big : 0;
}

json_t *df_point_littles_check(double sampled, double predicted)
{
    double error = rel_error(sampled, predicted);
    return json_pack("{s:b,s:f,s:f,s:f}", "ok",
                     error <= DF_POINT_LITTLES_TOLERANCE, "inflight_sampled",
                     sampled, "inflight_predicted", predicted, "error", error);
}

json_t *df_point_steady_check(double lambda_w, double inflight)
{
    double error = rel_error(lambda_w, inflight);
    return json_pack("{s:b,s:f,s:f,s:f}", "ok",
                     error <= DF_POINT_LITTLES_TOLERANCE, "inflight_lambda_w",
                     lambda_w, "inflight", inflight, "error", error);
}
