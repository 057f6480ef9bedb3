/* SPDX-License-Identifier: MIT */
/* mr_pairs.c - the multiset of intermediate pairs (mr_pairs.h). A hand-written
 * open-addressing table, because glib is not wanted and a word count needs nothing more. */
#include "mr_pairs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

enum { TABLE_SLOTS_MIN = 1u << 10, PAIRS_ROOM_MIN = 1024, ARENA_ROOM_MIN = 1u << 16 };

/* One distinct pair; its bytes are in the arena. */
struct pair {
	uint64_t key_offset;
	uint64_t value_offset;
	uint64_t multiplicity;          /* how many times it was added */
	uint32_t key_size;
	uint32_t value_size;
};

/*
 * Invariants: every pair is distinct; until sorted, table holds pair index + 1 for each pair
 * (0 = empty) and has at least twice as many slots as pairs (a power of two, linear probing);
 * once sorted the table is gone and pairs are in (key, value) order.
 */
struct mr_pairs {
	char *arena;
	size_t arena_size, arena_room, bytes_max;
	struct pair *items;
	size_t count, room, pairs_max;
	uint32_t *table;
	size_t slot_count;
	bool sorted;
};

static struct mr_slice arena_slice(const struct mr_pairs *p, uint64_t offset, uint32_t size)
{
	ASSERT(offset + size <= p->arena_size);
	return (struct mr_slice){ p->arena + offset, size };
}

static struct mr_slice key_of(const struct mr_pairs *p, const struct pair *x)
{
	return arena_slice(p, x->key_offset, x->key_size);
}

static struct mr_slice value_of(const struct mr_pairs *p, const struct pair *x)
{
	return arena_slice(p, x->value_offset, x->value_size);
}

int mr_pairs_new(size_t bytes_max, size_t pairs_max, struct mr_pairs **out, struct errbuf *eb)
{
	struct mr_pairs *p = calloc(1, sizeof(*p));

	ASSERT(pairs_max < UINT32_MAX);
	*out = NULL;
	if (!p)
		return errbuf_set(eb, -ENOMEM, "pairs: out of memory");
	p->bytes_max = bytes_max;
	p->pairs_max = pairs_max;
	*out = p;
	return 0;
}

void mr_pairs_free(struct mr_pairs *pairs)
{
	if (!pairs)
		return;
	free(pairs->arena);
	free(pairs->items);
	free(pairs->table);
	free(pairs);
}

size_t mr_pairs_count(const struct mr_pairs *pairs)
{
	return pairs->count;
}

static int arena_put(struct mr_pairs *p, struct mr_slice bytes, uint64_t *offset,
		     struct errbuf *eb)
{
	if (bytes.size > p->bytes_max - p->arena_size)
		return errbuf_set(eb, -E2BIG, "pairs: over %zu bytes of distinct keys and values",
				  p->bytes_max);
	if (p->arena_size + bytes.size > p->arena_room) {
		size_t room = p->arena_room ? p->arena_room : ARENA_ROOM_MIN;
		char *bigger;

		while (room < p->arena_size + bytes.size)
			room *= 2;
		bigger = realloc(p->arena, room);
		if (bigger == NULL)
			return errbuf_set(eb, -ENOMEM, "pairs: out of memory for %zu bytes", room);
		p->arena = bigger;
		p->arena_room = room;
	}
	*offset = p->arena_size;
	if (bytes.size > 0)
		memcpy(p->arena + p->arena_size, bytes.bytes, bytes.size);
	p->arena_size += bytes.size;
	return 0;
}

/* FNV-1a 64 over key, a separator and value: for the table only, never for partitions. */
static uint64_t pair_hash(struct mr_slice key, struct mr_slice value)
{
	uint64_t hash = 14695981039346656037u;

	for (size_t i = 0; i < key.size; i++)
		hash = (hash ^ (unsigned char)key.bytes[i]) * 1099511628211u;
	hash = (hash ^ 0x100u) * 1099511628211u; /* not a byte: ("ab","c") != ("a","bc") */
	for (size_t i = 0; i < value.size; i++)
		hash = (hash ^ (unsigned char)value.bytes[i]) * 1099511628211u;
	return hash;
}

static bool slice_equal(struct mr_slice a, struct mr_slice b)
{
	return a.size == b.size && (a.size == 0 || memcmp(a.bytes, b.bytes, a.size) == 0);
}

/* The slot of (key, value): its pair's, or the empty slot where it would go. */
static size_t table_find(const struct mr_pairs *p, struct mr_slice key, struct mr_slice value)
{
	size_t mask = p->slot_count - 1;
	size_t slot = (size_t)pair_hash(key, value) & mask;

	for (size_t probe = 0; probe < p->slot_count; probe++, slot = (slot + 1) & mask) {
		const struct pair *x;

		if (p->table[slot] == 0)
			return slot;
		x = &p->items[p->table[slot] - 1];
		if (slice_equal(key_of(p, x), key) && slice_equal(value_of(p, x), value))
			return slot;
	}
	ASSERT(!"pairs table: full at load <= 1/2");
	return 0;
}

static int table_grow(struct mr_pairs *p, struct errbuf *eb)
{
	size_t slot_count = p->slot_count ? 2 * p->slot_count : TABLE_SLOTS_MIN;
	uint32_t *old = p->table;

	p->table = calloc(slot_count, sizeof(*p->table));
	if (p->table == NULL) {
		p->table = old;
		return errbuf_set(eb, -ENOMEM, "pairs: out of memory for %zu slots", slot_count);
	}
	free(old);
	p->slot_count = slot_count;
	for (size_t i = 0; i < p->count; i++) {
		size_t slot = table_find(p, key_of(p, &p->items[i]), value_of(p, &p->items[i]));

		ASSERT(p->table[slot] == 0);
		p->table[slot] = (uint32_t)(i + 1);
	}
	return 0;
}

static int pair_append(struct mr_pairs *p, struct mr_slice key, struct mr_slice value,
		       uint64_t times, struct errbuf *eb)
{
	struct pair x = { .multiplicity = times, .key_size = (uint32_t)key.size,
			  .value_size = (uint32_t)value.size };
	int err;

	if (p->count == p->pairs_max)
		return errbuf_set(eb, -E2BIG, "pairs: over %zu distinct pairs", p->pairs_max);
	if (p->count == p->room) {
		size_t room = p->room ? 2 * p->room : PAIRS_ROOM_MIN;
		struct pair *bigger = realloc(p->items, room * sizeof(*bigger));

		if (bigger == NULL)
			return errbuf_set(eb, -ENOMEM, "pairs: out of memory for %zu pairs", room);
		p->items = bigger;
		p->room = room;
	}
	err = arena_put(p, key, &x.key_offset, eb);
	if (err == 0)
		err = arena_put(p, value, &x.value_offset, eb);
	if (err < 0)
		return err;
	p->items[p->count++] = x;
	return 0;
}

int mr_pairs_add(struct mr_pairs *pairs, struct mr_slice key, struct mr_slice value,
		 uint64_t times, struct errbuf *eb)
{
	struct mr_pairs *p = pairs;
	size_t slot;
	int err;

	ASSERT(times >= 1);
	if (p->sorted)
		return errbuf_set(eb, -EINVAL, "pairs: added after the sort");
	if (key.size == 0 || key.size > MR_KEY_BYTES_MAX || value.size > MR_VALUE_BYTES_MAX)
		return errbuf_set(eb, -E2BIG, "pairs: key of %zu or value of %zu bytes, not "
				  "1..%d or 0..%d", key.size, value.size, MR_KEY_BYTES_MAX,
				  MR_VALUE_BYTES_MAX);
	if (2 * (p->count + 1) > p->slot_count) {
		err = table_grow(p, eb);
		if (err < 0)
			return err;
	}
	slot = table_find(p, key, value);
	if (p->table[slot] != 0) {
		p->items[p->table[slot] - 1].multiplicity += times;
		return 0;
	}
	err = pair_append(p, key, value, times, eb);
	if (err < 0)
		return err;
	p->table[slot] = (uint32_t)p->count;
	ASSERT(2 * p->count <= p->slot_count);
	return 0;
}

static int pair_compare_cb(const void *a, const void *b, void *ctx)
{
	const struct mr_pairs *p = ctx;
	int order = mr_key_compare(key_of(p, a), key_of(p, b));

	return order != 0 ? order : mr_key_compare(value_of(p, a), value_of(p, b));
}

void mr_pairs_sort(struct mr_pairs *pairs)
{
	free(pairs->table);
	pairs->table = NULL;
	pairs->slot_count = 0;
	pairs->sorted = true;
	if (pairs->count > 1)
		qsort_r(pairs->items, pairs->count, sizeof(*pairs->items), pair_compare_cb, pairs);
}

/* The group's values: pairs [next, end), each repeated by its multiplicity. */
static int group_next_cb(void *ctx, struct mr_slice *value)
{
	struct mr_pairs_group *g = ctx;

	if (g->repeats_left == 0) {
		if (g->next == g->end)
			return 0;
		g->repeats_left = g->pairs->items[g->next++].multiplicity;
		ASSERT(g->repeats_left >= 1);
	}
	g->repeats_left--;
	*value = value_of(g->pairs, &g->pairs->items[g->next - 1]);
	return 1;
}

int mr_pairs_group_next(const struct mr_pairs *pairs, size_t *cursor,
			struct mr_pairs_group *group)
{
	size_t first = *cursor, end;

	ASSERT(pairs->sorted && first <= pairs->count);
	if (first == pairs->count)
		return 0;
	group->key = key_of(pairs, &pairs->items[first]);
	for (end = first + 1; end < pairs->count; end++)
		if (!slice_equal(group->key, key_of(pairs, &pairs->items[end])))
			break;
	group->pairs = pairs;
	group->next = first;
	group->end = end;
	group->repeats_left = 0;
	group->values = (struct mr_values){ group_next_cb, group };
	*cursor = end;
	return 1;
}
