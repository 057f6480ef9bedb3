/* SPDX-License-Identifier: MIT */
/* prng.h - the one seeded pseudo-random generator (xoshiro256**, seeded by splitmix64). */
#ifndef PRNG_H
#define PRNG_H

#include <stdint.h>

/* Explicit state: two generators seeded alike produce the same sequence. */
struct prng {
	uint64_t s[4];
};

/* prng_init() - seed @prng from @seed; any seed, including 0, is valid. */
void prng_init(struct prng *prng, uint64_t seed);

/* prng_next() - the next 64 random bits. */
uint64_t prng_next(struct prng *prng);

/* prng_below() - a uniform integer in [0, @bound); @bound must be > 0. */
uint64_t prng_below(struct prng *prng, uint64_t bound);

/* prng_chance() - true with probability @p (0 <= p <= 1). */
int prng_chance(struct prng *prng, double p);

/* prng_split() - derive an independent generator for a sub-component, keyed by @substream. */
void prng_split(struct prng *prng, uint64_t substream, struct prng *out);

#endif /* PRNG_H */
