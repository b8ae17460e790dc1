/* harness/measure/arrivals.c - constant and Poisson arrival schedules.
 *
 * Both schedules compute the k-th offset from k (constant) or from a
 * running sum kept in double (Poisson) rather than adding rounded integer
 * gaps, so rounding never accumulates into a drift of the offered rate:
 * at 1,000,000 req/s an error of 0.5 ns per gap would otherwise be 0.05 %
 * after any number of requests, and more at odd rates.
 */
#include "harness/measure/arrivals.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/rng.h"

struct df_arrivals {
    df_arrivals_kind kind;
    double gap_ns; /* mean inter-arrival time, 1e9 / rate */
    uint64_t k;    /* constant: index of the next arrival */
    double t_ns;   /* poisson: offset of the last arrival */
    df_rng rng;    /* poisson: the draws */
};

int df_arrivals_create(df_arrivals_kind kind,
                       double rate_per_s,
                       uint64_t seed,
                       df_arrivals **out)
{
    if ((kind != DF_ARRIVALS_CONSTANT && kind != DF_ARRIVALS_POISSON) ||
        !(rate_per_s > 0) || !isfinite(rate_per_s) || !out)
        return -EINVAL;
    df_arrivals *a = calloc(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    a->kind = kind;
    a->gap_ns = (double)DF_NS_PER_S / rate_per_s;
    df_rng_seed(&a->rng, seed);
    *out = a;
    return 0;
}

void df_arrivals_destroy(df_arrivals *a)
{
    free(a);
}

int64_t df_arrivals_next_ns(df_arrivals *a)
{
    if (a->kind == DF_ARRIVALS_CONSTANT)
        return (int64_t)llround((double)a->k++ * a->gap_ns);
    /* Inverse transform: -ln(1 - U) is Exp(1) for U in [0, 1); log1p keeps
     * precision for small U, and 1 - U > 0 so the log is finite. */
    a->t_ns += -log1p(-df_rng_uniform(&a->rng)) * a->gap_ns;
    return (int64_t)llround(a->t_ns);
}

const char *df_arrivals_name(df_arrivals_kind kind)
{
    return kind == DF_ARRIVALS_POISSON ? "poisson" : "constant";
}

int df_arrivals_parse(const char *name, df_arrivals_kind *out)
{
    if (strcmp(name, "constant") == 0)
        *out = DF_ARRIVALS_CONSTANT;
    else if (strcmp(name, "poisson") == 0)
        *out = DF_ARRIVALS_POISSON;
    else
        return -EINVAL;
    return 0;
}
