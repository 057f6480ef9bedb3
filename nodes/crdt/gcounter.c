/* SPDX-License-Identifier: MIT */
/* gcounter.c - grow-only counter state, its join and its deliberately broken join. */
#include "gcounter.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"
#include "prng.h"

void gcounter_init(struct gcounter *g)
{
	memset(g, 0, sizeof(*g));
}

int gcounter_add(struct gcounter *g, uint32_t replica, int64_t delta)
{
	ASSERT(replica < CRDT_REPLICAS_MAX);
	ASSERT(g->counts[replica] >= 0);
	if (delta < 0)
		return -EINVAL;
	if (g->counts[replica] > INT64_MAX - delta)
		return -EOVERFLOW;
	g->counts[replica] += delta;
	return 0;
}

int64_t gcounter_value(const struct gcounter *g)
{
	int64_t sum = 0;

	for (uint32_t i = 0; i < CRDT_REPLICAS_MAX; i++) {
		ASSERT(g->counts[i] >= 0);
		if (sum > INT64_MAX - g->counts[i])
			return INT64_MAX;
		sum += g->counts[i];
	}
	ASSERT(sum >= 0);
	return sum;
}

void gcounter_merge(struct gcounter *dst, const struct gcounter *src)
{
	ASSERT(dst != src);
	for (uint32_t i = 0; i < CRDT_REPLICAS_MAX; i++) {
		ASSERT(src->counts[i] >= 0);
		if (src->counts[i] > dst->counts[i])
			dst->counts[i] = src->counts[i];
	}
}

void gcounter_merge_sum(struct gcounter *dst, const struct gcounter *src)
{
	/* Copy first so that merging a state with itself shows the bug too. */
	struct gcounter copy = *src;

	for (uint32_t i = 0; i < CRDT_REPLICAS_MAX; i++) {
		ASSERT(copy.counts[i] >= 0);
		ASSERT(dst->counts[i] >= 0);
		if (dst->counts[i] > INT64_MAX - copy.counts[i])
			dst->counts[i] = INT64_MAX;
		else
			dst->counts[i] += copy.counts[i];
	}
}

bool gcounter_equal(const struct gcounter *a, const struct gcounter *b)
{
	return memcmp(a->counts, b->counts, sizeof(a->counts)) == 0;
}

bool gcounter_leq(const struct gcounter *a, const struct gcounter *b)
{
	for (uint32_t i = 0; i < CRDT_REPLICAS_MAX; i++) {
		if (a->counts[i] > b->counts[i])
			return false;
	}
	return true;
}

void gcounter_random(struct gcounter *g, struct prng *prng, uint32_t replicas)
{
	ASSERT(replicas >= 1);
	ASSERT(replicas <= CRDT_REPLICAS_MAX);
	gcounter_init(g);
	for (uint32_t i = 0; i < replicas; i++) {
		/* Small values make equal counts (ties in the join) common. */
		if (prng_chance(prng, 0.7))
			g->counts[i] = (int64_t)prng_below(prng, 8);
	}
}
