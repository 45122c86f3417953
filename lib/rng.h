/* rng.h - seeded pseudo-random numbers: xoshiro256** seeded by splitmix64.
 *
 * Every random choice in senti comes from an rng_t passed by pointer and
 * seeded from --seed, so the same seed and thread count give the same bytes.
 * Independent streams (one per thread, one per purpose) come from
 * rng_seed(r, seed, stream): stream k starts 2^128 * k steps into the
 * sequence of seed (xoshiro256** jump), so streams never overlap.
 */
#ifndef SENTI_RNG_H
#define SENTI_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rng_t {
    uint64_t s[4];
} rng_t;

/* Seed r from (seed, stream).  Stream 0 is the main stream. */
void rng_seed(rng_t *r, uint64_t seed, uint64_t stream);
/* Advance r by 2^128 steps (the xoshiro256** jump). */
void rng_jump(rng_t *r);
/* Next 64 random bits. */
uint64_t rng_next(rng_t *r);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(rng_t *r);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniformf(rng_t *r);
/* Uniform integer in [0, n), unbiased (Lemire's method); n > 0. */
uint64_t rng_below(rng_t *r, uint64_t n);
/* Standard normal deviate (Box-Muller on two uniforms). */
double rng_normal(rng_t *r);
/* Uniformly random permutation of idx[0..n) in place (Fisher-Yates). */
void rng_shuffle_size(rng_t *r, size_t *idx, size_t n);
void rng_shuffle_u32(rng_t *r, uint32_t *idx, size_t n);
/* splitmix64 step, exposed for seeding other structures. */
uint64_t rng_splitmix64(uint64_t *state);

#endif
