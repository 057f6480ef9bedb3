/* SPDX-License-Identifier: MIT */
/* prng.c - xoshiro256** with splitmix64 seeding; written from the published algorithm. */
#include "prng.h"

#include "fl_assert.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void prng_init(struct prng *prng, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		prng->s[i] = splitmix64(&x);
	ASSERT(prng->s[0] | prng->s[1] | prng->s[2] | prng->s[3]);
}

uint64_t prng_next(struct prng *prng)
{
	uint64_t *s = prng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t prng_below(struct prng *prng, uint64_t bound)
{
	uint64_t limit, x;

	ASSERT(bound > 0);
	/* Rejection sampling removes modulo bias; at most a handful of draws in practice. */
	limit = UINT64_MAX - UINT64_MAX % bound;
	do {
		x = prng_next(prng);
	} while (x >= limit);
	return x % bound;
}

int prng_chance(struct prng *prng, double p)
{
	ASSERT(p >= 0.0 && p <= 1.0);
	return (double)(prng_next(prng) >> 11) * 0x1.0p-53 < p;
}

void prng_split(struct prng *prng, uint64_t substream, struct prng *out)
{
	prng_init(out, prng_next(prng) ^ (substream * 0xd1342543de82ef95ull));
}
