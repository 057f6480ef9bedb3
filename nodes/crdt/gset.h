/* SPDX-License-Identifier: MIT */
/* gset.h - grow-only set of int64 elements, joined by union. */
#ifndef GSET_H
#define GSET_H

#include <stdbool.h>
#include <stdint.h>

#include "crdt_limits.h"

struct prng;

/* Invariant: elements[0..count) strictly ascending; count <= CRDT_SET_ELEMENTS_MAX. */
struct gset {
	uint32_t count;
	int64_t elements[CRDT_SET_ELEMENTS_MAX];
};

void gset_init(struct gset *s);

/* gset_add() - Return: 0 (also if present); -E2BIG if the set is full (@s unchanged). */
int gset_add(struct gset *s, int64_t element);

bool gset_contains(const struct gset *s, int64_t element);

/**
 * gset_merge() - the join: union, in place, without scratch memory.
 * Return: 0; -E2BIG if the union exceeds CRDT_SET_ELEMENTS_MAX (@dst unchanged).
 */
int gset_merge(struct gset *dst, const struct gset *src);

bool gset_equal(const struct gset *a, const struct gset *b);

/* gset_leq() - the semilattice order: @a is a subset of @b. */
bool gset_leq(const struct gset *a, const struct gset *b);

/* gset_random() - a random valid state of <= @count_max elements from [0, @universe). */
void gset_random(struct gset *s, struct prng *prng, uint32_t count_max, uint64_t universe);

/* gset_check() - assert the invariant (O(n)). */
void gset_check(const struct gset *s);

#endif /* GSET_H */
