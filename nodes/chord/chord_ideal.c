/* SPDX-License-Identifier: MIT */
/* chord_ideal.c - a node's exact pointers over a sorted member list of any size: the ideal
 * ring a benchmark or a test starts from (chord_node_start_ideal() in chord.h). */
#include <errno.h>
#include <string.h>

#include "chord_internal.h"
#include "fl_assert.h"

/* The index of the first member with id >= @key, or @count if none: binary search. */
static uint32_t lower_bound(const struct chord_peer *sorted, uint32_t count, uint64_t key)
{
	uint32_t low = 0, high = count;

	while (low < high) {
		uint32_t mid = low + (high - low) / 2;

		if (sorted[mid].id < key)
			low = mid + 1;
		else
			high = mid;
	}
	ASSERT(low <= count);
	if (low < count)
		ASSERT(sorted[low].id >= key);
	return low;
}

/* Whether the members around index @self (the r on each side, wrapping) are in ascending
 * order: what the pointers set here read, checked at O(r) instead of O(count). */
static bool ascending_near(const struct chord_peer *sorted, uint32_t count, uint32_t self,
			   uint32_t r)
{
	uint32_t span = 2 * r + 1 < count ? 2 * r + 1 : count;
	uint32_t first = (self + count - (span - 1) / 2) % count;

	for (uint32_t k = 1; k < span; k++) {
		uint32_t a = (first + k - 1) % count, b = (first + k) % count;

		if (b != 0 && sorted[a].id >= sorted[b].id)
			return false;
	}
	return true;
}

int chord_node_start_ideal(struct chord_node *n, const struct chord_peer *sorted,
			   uint32_t count)
{
	struct chord_peer list[CHORD_SUCC_MAX];
	struct chord_outputs scratch;
	uint64_t self_id = n->cfg.self.id;
	uint32_t self;

	if (count == 0 || n->joined || n->joining)
		return -EINVAL;
	self = lower_bound(sorted, count, self_id);
	if (self == count || sorted[self].id != self_id ||
	    !ascending_near(sorted, count, self, n->r))
		return -EINVAL;
	n->out = &scratch;      /* the events of a start are not evidence: nothing changed */
	scratch.send_count = scratch.event_count = 0;
	/* As chord_node_start_base(): a ring shorter than r + 1 repeats itself in the list. */
	for (uint32_t k = 0; k < n->r; k++)
		list[k] = sorted[(self + 1 + k) % count];
	node_set_succ(n, list, n->r);
	node_set_pred(n, true, sorted[(self + count - 1) % count]);
	for (uint32_t j = 0; j < n->cfg.bits; j++) {
		uint64_t start = chord_finger_start(&n->space, self_id, j);

		/* successor(start): the first id >= start, wrapping to the lowest. */
		node_set_finger(n, j, true, sorted[lower_bound(sorted, count, start) % count]);
	}
	ASSERT(scratch.send_count == 0);
	ASSERT(n->succ_count == n->r);
	n->joined = true;
	n->out = NULL;
	return 0;
}
