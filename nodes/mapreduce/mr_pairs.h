/* SPDX-License-Identifier: MIT */
/* mr_pairs.h - a multiset of intermediate (key, value) pairs: each distinct pair held once
 * with its multiplicity, then sorted and walked key by key for reducing. The oracle, a map
 * task's combiner and a reduce task all group pairs this way. */
#ifndef MR_PAIRS_H
#define MR_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "mr_app.h"

struct errbuf;
struct mr_pairs;

/*
 * Memory: 32 bytes per distinct pair and 8 (at most 16, with doubling's slack) for the table,
 * plus their bytes once (an arena of at most @bytes_max). Word count holds one pair per
 * distinct word, so a large text needs little; the index one per (word, document).
 */

/* mr_pairs_new() - an empty multiset of at most @pairs_max distinct pairs (<= UINT32_MAX - 1)
 * and @bytes_max bytes of them. Return: 0; -ENOMEM. */
int mr_pairs_new(size_t bytes_max, size_t pairs_max, struct mr_pairs **out, struct errbuf *eb);
/* mr_pairs_free() - release everything; NULL is fine. */
void mr_pairs_free(struct mr_pairs *pairs);

/**
 * mr_pairs_add() - (@key, @value) @times (>= 1) more times. The slices are copied.
 * Return: 0; -E2BIG past a bound (key 1..MR_KEY_BYTES_MAX, value <= MR_VALUE_BYTES_MAX, the
 *         multiset's own); -ENOMEM; -EINVAL after mr_pairs_sort().
 */
int mr_pairs_add(struct mr_pairs *pairs, struct mr_slice key, struct mr_slice value,
		 uint64_t times, struct errbuf *eb);

/* mr_pairs_count() - the distinct pairs held. */
size_t mr_pairs_count(const struct mr_pairs *pairs);

/* mr_pairs_sort() - order the pairs by key then value (mr_key_compare()); no add after. */
void mr_pairs_sort(struct mr_pairs *pairs);

/* One key's values, as an iterator (each value as often as it was added, in byte order). */
struct mr_pairs_group {
	struct mr_slice key;            /* valid until mr_pairs_free() */
	struct mr_values values;        /* its ctx is this struct: do not move it meanwhile */
	const struct mr_pairs *pairs;   /* the iterator's state */
	size_t next, end;
	uint64_t repeats_left;
};

/**
 * mr_pairs_group_next() - after mr_pairs_sort(): the key of the pair at *@cursor (from 0)
 * and its values into @group; *@cursor moves past them.
 * Return: 1; 0 after the last key.
 */
int mr_pairs_group_next(const struct mr_pairs *pairs, size_t *cursor,
			struct mr_pairs_group *group);

#endif /* MR_PAIRS_H */
