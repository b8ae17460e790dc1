/* base/rng.h - xoshiro256** seeded through splitmix64: the one PRNG.
 *
 * Arrival schedules, the order repetitions run in and the Little's-law
 * sampler all draw from it, so a recorded seed reproduces a run exactly.
 * xoshiro256** (Blackman & Vigna) is a few ns per draw and passes BigCrush;
 * splitmix64 expands one 64-bit seed into its 256-bit state, as its authors
 * recommend, so that nearby seeds give unrelated streams.
 */
#ifndef DF_BASE_RNG_H
#define DF_BASE_RNG_H

#include <stdint.h>

typedef struct df_rng {
    uint64_t s[4]; /* never all zero (splitmix64 cannot produce that) */
} df_rng;

static inline uint64_t df_rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void df_rng_seed(df_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = df_rng_splitmix64(&seed);
}

static inline uint64_t df_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t df_rng_next(df_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = df_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = df_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1), 53 random bits. */
static inline double df_rng_uniform(df_rng *r)
{
    return (double)(df_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1; the modulo bias is below 2^-40 for
 * the small n duckfeed uses (shuffles, sampler jitter). */
static inline uint64_t df_rng_below(df_rng *r, uint64_t n)
{
    return df_rng_next(r) % n;
}

#endif /* DF_BASE_RNG_H */
