/* SPDX-License-Identifier: MIT */
/* gcounter.h - grow-only counter: one non-negative count per replica, joined by maximum. */
#ifndef GCOUNTER_H
#define GCOUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "crdt_limits.h"

struct prng;

/* Invariant: every count is >= 0; counts of replicas >= the cluster size stay 0. */
struct gcounter {
	int64_t counts[CRDT_REPLICAS_MAX];
};

void gcounter_init(struct gcounter *g);

/**
 * gcounter_add() - add @delta to @replica's own count.
 * Return: 0; -EINVAL if @delta < 0; -EOVERFLOW if the count would pass INT64_MAX
 *         (@g unchanged on error).
 */
int gcounter_add(struct gcounter *g, uint32_t replica, int64_t delta);

/* gcounter_value() - the sum of all counts, saturated at INT64_MAX. */
int64_t gcounter_value(const struct gcounter *g);

/* gcounter_merge() - the join: per-replica maximum. */
void gcounter_merge(struct gcounter *dst, const struct gcounter *src);

/*
 * gcounter_merge_sum() - the deliberate bug `gcounter-sum-merge`: adds the per-replica
 * counts (saturating at INT64_MAX) instead of taking the maximum. Not idempotent.
 */
void gcounter_merge_sum(struct gcounter *dst, const struct gcounter *src);

bool gcounter_equal(const struct gcounter *a, const struct gcounter *b);

/* gcounter_leq() - the semilattice order: every count of @a <= the one of @b. */
bool gcounter_leq(const struct gcounter *a, const struct gcounter *b);

/* gcounter_random() - a random valid state over @replicas replicas, for tests. */
void gcounter_random(struct gcounter *g, struct prng *prng, uint32_t replicas);

#endif /* GCOUNTER_H */
