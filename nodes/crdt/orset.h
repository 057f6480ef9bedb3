/* SPDX-License-Identifier: MIT */
/* orset.h - add-wins observed-remove set of int64 elements with unique tags and tombstones. */
#ifndef ORSET_H
#define ORSET_H

#include <stdbool.h>
#include <stdint.h>

#include "crdt_limits.h"

struct prng;

/*
 * A tag names one add: (origin replica, per-origin sequence number), unique in the cluster.
 * It is packed into @id as origin << 56 | seq << 1 | dead, so one u64 carries the name and
 * the tombstone bit. A tag is live iff its dead bit is clear. Remove events (only created by
 * the orset-remove-wins bug) reuse the layout with the dead bit always 0.
 */
struct orset_tag {
	int64_t element;
	uint64_t id;
};

/*
 * Invariants: tags[0..tag_count) and removes[0..remove_count) are strictly ascending by
 * (element, id >> 1); tag_count <= CRDT_ORSET_TAGS_MAX; remove_count <=
 * CRDT_ORSET_REMOVES_MAX; every origin < CRDT_REPLICAS_MAX; no remove event has its dead bit.
 */
struct orset {
	uint32_t tag_count;
	uint32_t remove_count;
	struct orset_tag tags[CRDT_ORSET_TAGS_MAX];
	struct orset_tag removes[CRDT_ORSET_REMOVES_MAX];
};

static inline uint64_t orset_id(uint32_t origin, uint64_t seq, bool dead)
{
	return (uint64_t)origin << 56 | (seq & (CRDT_SEQ_LIMIT - 1)) << 1 | (dead ? 1u : 0u);
}

static inline uint32_t orset_id_origin(uint64_t id) { return (uint32_t)(id >> 56); }
static inline uint64_t orset_id_seq(uint64_t id) { return (id >> 1) & (CRDT_SEQ_LIMIT - 1); }
static inline bool orset_id_dead(uint64_t id) { return id & 1u; }

void orset_init(struct orset *o);

/* orset_add() - add a live tag (@origin, @seq) for @element. Return: 0 or -E2BIG. */
int orset_add(struct orset *o, int64_t element, uint32_t origin, uint64_t seq);

/* orset_remove() - tombstone the tags of @element held here (observed). Return: how many. */
uint32_t orset_remove(struct orset *o, int64_t element);

/**
 * orset_remove_event() - bug `orset-remove-wins`: tombstone @element and record a remove
 * event (@origin, @seq) that, merged into another replica, tombstones every tag of @element
 * held there at that moment. Return: 0 or -E2BIG (@o unchanged).
 */
int orset_remove_event(struct orset *o, int64_t element, uint32_t origin, uint64_t seq);

bool orset_contains(const struct orset *o, int64_t element);

/**
 * orset_next_live() - iterate over the distinct live elements in ascending order; start
 * with *@cursor = 0. Return: true and *@element, or false at the end.
 */
bool orset_next_live(const struct orset *o, uint32_t *cursor, int64_t *element);

/**
 * orset_copy_element() - make @dst (initialized, empty) hold the tags of @element in @src.
 * Return: 0 or -E2BIG if @dst cannot hold them.
 */
int orset_copy_element(struct orset *dst, const struct orset *src, int64_t element);

/**
 * orset_merge() - the join: union of tags (a tag is dead if dead in either) and of remove
 * events; each remove event new to @dst then tombstones @element's tags in @dst.
 * Return: 0; -E2BIG if a union exceeds its bound (@dst unchanged).
 */
int orset_merge(struct orset *dst, const struct orset *src);

bool orset_equal(const struct orset *a, const struct orset *b);

/* orset_leq() - the order: every tag of @a is in @b (dead if dead in @a); same for events. */
bool orset_leq(const struct orset *a, const struct orset *b);

/*
 * orset_random() - a random valid state of <= @tags_max tags drawn from a fixed universe:
 * tag (origin, seq) always carries the same element, as in a real run. No remove events.
 */
void orset_random(struct orset *o, struct prng *prng, uint32_t replicas, uint32_t tags_max);

/* orset_check() - assert the invariants (O(n)). */
void orset_check(const struct orset *o);

#endif /* ORSET_H */
