/* SPDX-License-Identifier: MIT */
/* stream_operator_state.c - the window operator's entry table, memberships and pane
 * aggregates. */
#include "stream_operator_internal.h"

/* The start of the latest window at or before a pane's start: the pane's last window. */
static int64_t last_window_start_ms(const struct stream_window_spec *spec, int64_t pane_start_ms)
{
	return pane_start_ms - stream_window_mod(pane_start_ms - spec->offset_ms, spec->slide_ms);
}

int64_t stream_operator_entry_cleanup_ms(const struct stream_operator *op,
					 const struct stream_entry *entry)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t last_ms;

	ASSERT(entry->kind != STREAM_ENTRY_FREE);
	if (entry->kind == STREAM_ENTRY_WINDOW)
		return stream_operator_window_cleanup_ms(op, entry->start_ms);
	if (entry->kind == STREAM_ENTRY_EDGE)
		return stream_operator_window_cleanup_ms(op, entry->start_ms - spec->size_ms);
	ASSERT(entry->kind == STREAM_ENTRY_PANE);
	last_ms = last_window_start_ms(spec, entry->start_ms);
	if (entry->start_ms - last_ms > spec->size_ms - spec->pane_ms)
		return INT64_MIN; /* in the gap after its last window: no window combines it */
	return stream_operator_window_cleanup_ms(op, last_ms);
}

/* A 64-bit mix (splitmix64's finaliser) of the whole identity, masked to the table. */
static uint32_t home_slot(const struct stream_operator *op, uint8_t kind, uint64_t key,
			  int64_t start_ms)
{
	uint64_t h = key ^ ((uint64_t)start_ms * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)kind << 61);

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (uint32_t)(h & (op->slots_count - 1));
}

/* The slot of (kind, key, start), or the free slot that ends its probe. */
static uint32_t probe(const struct stream_operator *op, enum stream_entry_kind kind,
		      uint64_t key, int64_t start_ms)
{
	uint32_t mask = op->slots_count - 1, slot = home_slot(op, (uint8_t)kind, key, start_ms);

	ASSERT(kind != STREAM_ENTRY_FREE);
	for (uint32_t step = 0; step < op->slots_count; step++, slot = (slot + 1) & mask) {
		const struct stream_entry *entry = &op->slots[slot];

		if (entry->kind == STREAM_ENTRY_FREE)
			return slot;
		if (entry->kind == kind && entry->key == key && entry->start_ms == start_ms)
			return slot;
	}
	ASSERT(!"a table at most half full has a free slot");
	return STREAM_SLOT_NONE;
}

uint32_t stream_operator_find(const struct stream_operator *op, enum stream_entry_kind kind,
			      uint64_t key, int64_t start_ms)
{
	uint32_t slot = probe(op, kind, key, start_ms);

	ASSERT(slot < op->slots_count);
	return op->slots[slot].kind == STREAM_ENTRY_FREE ? STREAM_SLOT_NONE : slot;
}

uint32_t stream_operator_find_or_insert(struct stream_operator *op, enum stream_entry_kind kind,
					uint64_t key, int64_t start_ms)
{
	uint32_t slot = probe(op, kind, key, start_ms);
	struct stream_entry *entry = &op->slots[slot];

	if (entry->kind != STREAM_ENTRY_FREE)
		return slot;
	*entry = (struct stream_entry){ .key = key, .start_ms = start_ms, .kind = (uint8_t)kind };
	if (kind == STREAM_ENTRY_WINDOW)
		op->emitted_entries++;
	else if (kind == STREAM_ENTRY_BLOCK)
		op->block_entries++;
	else
		op->pane_entries++;
	ASSERT(op->pane_entries <= op->config.pane_entries_max);
	ASSERT(op->emitted_entries <= op->config.window_entries_max);
	ASSERT(op->block_entries <= op->config.window_entries_max);
	return slot;
}

/* Empty @hole, shifting later entries of its probe run back (no tombstones). */
void stream_operator_remove(struct stream_operator *op, uint32_t hole)
{
	uint32_t mask = op->slots_count - 1, next = (hole + 1) & mask;

	ASSERT(op->slots[hole].kind != STREAM_ENTRY_FREE);
	if (op->slots[hole].kind == STREAM_ENTRY_WINDOW)
		op->emitted_entries--;
	else if (op->slots[hole].kind == STREAM_ENTRY_BLOCK)
		op->block_entries--;
	else
		op->pane_entries--;
	for (uint32_t step = 0; step < op->slots_count; step++, next = (next + 1) & mask) {
		struct stream_entry *entry = &op->slots[next];
		uint32_t home;

		if (entry->kind == STREAM_ENTRY_FREE)
			break;
		home = home_slot(op, entry->kind, entry->key, entry->start_ms);
		/* It may fill the hole if the hole is not before its home along the run. */
		if (((next - home) & mask) >= ((next - hole) & mask)) {
			op->slots[hole] = *entry;
			hole = next;
		}
	}
	ASSERT(op->slots[hole].kind != STREAM_ENTRY_FREE);
	op->slots[hole] = (struct stream_entry){ .kind = STREAM_ENTRY_FREE };
}

bool stream_operator_member(const struct stream_operator *op, uint64_t key, int64_t start_ms)
{
	int64_t index = stream_operator_window_index(op, start_ms);
	uint32_t slot = stream_operator_find(op, STREAM_ENTRY_BLOCK, key,
					     stream_operator_block_of(index));

	return slot != STREAM_SLOT_NONE &&
	       (op->slots[slot].block.members & stream_operator_bit_of(index));
}

uint32_t stream_operator_members_add(struct stream_operator *op, uint64_t key, int64_t block_index,
				     uint64_t mask)
{
	uint32_t slot = stream_operator_find_or_insert(op, STREAM_ENTRY_BLOCK, key, block_index);
	struct stream_entry *block = &op->slots[slot];
	uint64_t added = mask & ~block->block.members;
	bool pending = false;
	uint32_t count = 0;

	ASSERT(mask != 0);
	if (block->block.members == 0) { /* new */
		block->scheduled_bit = STREAM_BIT_NONE;
		block->run_bit = STREAM_BIT_NONE;
	}
	block->block.members |= added;
	for (uint32_t bit = 0; added; bit++, added >>= 1) {
		int64_t start_ms;

		if (!(added & 1))
			continue;
		count++;
		start_ms = stream_operator_bit_start(op, block, bit);
		if (stream_operator_max_timestamp_ms(op, start_ms) > op->watermark_ms)
			pending = true;
		else /* fired already: it goes at its cleanup */
			stream_operator_cleanup_at(op, STREAM_ENTRY_WINDOW, key, start_ms,
						   stream_operator_window_cleanup_ms(op, start_ms));
	}
	op->window_entries += count;
	ASSERT(op->window_entries <= op->config.window_entries_max);
	if (pending)
		stream_operator_schedule(op, block, op->watermark_ms, false);
	return slot;
}

void stream_operator_member_remove(struct stream_operator *op, uint64_t key, int64_t start_ms)
{
	int64_t index = stream_operator_window_index(op, start_ms);
	uint32_t slot = stream_operator_find(op, STREAM_ENTRY_BLOCK, key,
					     stream_operator_block_of(index));
	uint64_t bit = stream_operator_bit_of(index);

	ASSERT(slot != STREAM_SLOT_NONE);
	ASSERT(op->slots[slot].block.members & bit);
	op->slots[slot].block.members &= ~bit;
	op->window_entries--;
	if (op->slots[slot].block.members == 0)
		stream_operator_remove(op, slot);
	slot = stream_operator_find(op, STREAM_ENTRY_WINDOW, key, start_ms);
	if (slot != STREAM_SLOT_NONE)
		stream_operator_remove(op, slot);
}

uint64_t stream_operator_panes_emitted(const struct stream_operator *op, uint64_t key,
				       int64_t start_ms)
{
	uint32_t slot = stream_operator_find(op, STREAM_ENTRY_WINDOW, key, start_ms);

	return slot == STREAM_SLOT_NONE ? 0 : op->slots[slot].panes_emitted;
}

void stream_operator_pane_emitted(struct stream_operator *op, uint64_t key, int64_t start_ms)
{
	uint32_t slot = stream_operator_find_or_insert(op, STREAM_ENTRY_WINDOW, key, start_ms);

	ASSERT_DEBUG(stream_operator_member(op, key, start_ms));
	op->slots[slot].panes_emitted++;
	ASSERT(op->slots[slot].panes_emitted >= 1);
}

/* Whether BLOCK @entry's members are live and fire-scheduled as the invariants say. */
static bool block_holds(const struct stream_operator *op, const struct stream_entry *entry,
			uint32_t *members)
{
	int64_t next_ms = INT64_MAX;

	for (uint32_t bit = 0; bit < STREAM_BLOCK_WINDOWS; bit++) {
		int64_t start_ms, max_ms;

		if (!(entry->block.members >> bit & 1))
			continue;
		(*members)++;
		start_ms = stream_operator_bit_start(op, entry, bit);
		max_ms = stream_operator_max_timestamp_ms(op, start_ms);
		if (stream_operator_window_cleanup_ms(op, start_ms) <= op->watermark_ms)
			return false;
		if (max_ms > op->watermark_ms && max_ms < next_ms)
			next_ms = max_ms;
	}
	return entry->block.members != 0 && stream_operator_scheduled_ms(op, entry) == next_ms;
}

bool stream_operator_invariants_hold(const struct stream_operator *op)
{
	uint32_t panes = 0, windows = 0, blocks = 0, emitted = 0, members = 0;

	for (uint32_t slot = 0; slot < op->slots_count; slot++) {
		const struct stream_entry *entry = &op->slots[slot];
		bool aggregate = entry->kind == STREAM_ENTRY_PANE ||
				 entry->kind == STREAM_ENTRY_EDGE;

		if (entry->kind == STREAM_ENTRY_FREE)
			continue;
		if (probe(op, entry->kind, entry->key, entry->start_ms) != slot)
			return false; /* unreachable by its probe run, or a duplicate */
		panes += aggregate;
		blocks += entry->kind == STREAM_ENTRY_BLOCK;
		emitted += entry->kind == STREAM_ENTRY_WINDOW;
		if (aggregate && entry->aggregate.count == 0)
			return false;
		if (entry->kind == STREAM_ENTRY_BLOCK) {
			if (!block_holds(op, entry, &members))
				return false;
			continue;
		}
		if (stream_operator_entry_cleanup_ms(op, entry) <= op->watermark_ms)
			return false;
		if (entry->kind == STREAM_ENTRY_WINDOW &&
		    (entry->panes_emitted == 0 || !stream_operator_member(op, entry->key,
									  entry->start_ms)))
			return false;
	}
	windows = members;
	return panes == op->pane_entries && windows == op->window_entries &&
	       blocks == op->block_entries && emitted == op->emitted_entries &&
	       panes <= op->config.pane_entries_max && windows <= op->config.window_entries_max;
}


/* A running aggregate: count events whose aggregate is value. */
struct accumulator {
	uint64_t count;
	int64_t value;
};

static void accumulate(enum stream_aggregate aggregate, struct accumulator *acc, uint64_t count,
		       int64_t value)
{
	ASSERT(count >= 1);
	if (acc->count == 0) {
		acc->value = value;
	} else if (aggregate == STREAM_AGGREGATE_MINIMUM) {
		acc->value = value < acc->value ? value : acc->value;
	} else if (aggregate == STREAM_AGGREGATE_MAXIMUM) {
		acc->value = value > acc->value ? value : acc->value;
	} else {
		/* COUNT and SUM add, wrapping modulo 2^64 (unsigned, so defined). */
		acc->value = (int64_t)((uint64_t)acc->value + (uint64_t)value);
	}
	acc->count += count;
	ASSERT(acc->count >= count);
}

void stream_operator_aggregate_add(const struct stream_operator *op, struct stream_entry *entry,
				   uint64_t count, int64_t value)
{
	struct accumulator acc = { entry->aggregate.count, entry->aggregate.value };

	ASSERT(entry->kind == STREAM_ENTRY_PANE || entry->kind == STREAM_ENTRY_EDGE);
	accumulate(op->config.aggregate, &acc, count, value);
	entry->aggregate.count = acc.count;
	entry->aggregate.value = acc.value;
	ASSERT(entry->aggregate.count >= 1);
}

bool stream_operator_window_value(const struct stream_operator *op, uint64_t key,
				  int64_t window_start_ms, int64_t *value)
{
	const struct stream_window_spec *spec = &op->config.spec;
	struct accumulator acc = { 0, 0 };
	int64_t first_ms;
	uint64_t panes = stream_window_panes(spec, window_start_ms, &first_ms);
	uint32_t slot;

	ASSERT(panes <= STREAM_OPERATOR_WINDOW_PANES_MAX);
	for (uint64_t index = 0; index < panes; index++) {
		int64_t pane_ms = first_ms + (int64_t)index * spec->pane_ms;

		slot = stream_operator_find(op, STREAM_ENTRY_PANE, key, pane_ms);
		if (slot == STREAM_SLOT_NONE)
			continue;
		/* BUG single-slide: a pane counts only in its last window. */
		if ((op->config.bugs & STREAM_BUG_SINGLE_SLIDE) &&
		    last_window_start_ms(spec, pane_ms) != window_start_ms)
			continue;
		accumulate(op->config.aggregate, &acc, op->slots[slot].aggregate.count,
			   op->slots[slot].aggregate.value);
	}
	if (op->config.bugs & STREAM_BUG_END_INCLUSIVE) {
		/* BUG end-inclusive: the events at exactly end count too. */
		slot = stream_operator_find(op, STREAM_ENTRY_EDGE, key,
					    stream_window_end(spec, window_start_ms));
		if (slot != STREAM_SLOT_NONE)
			accumulate(op->config.aggregate, &acc, op->slots[slot].aggregate.count,
				   op->slots[slot].aggregate.value);
	}
	*value = acc.value;
	return acc.count > 0;
}

static void sift_down(struct stream_entry *entries, uint32_t root, uint32_t count,
		      stream_entry_before_fn *before)
{
	/* Each step doubles root, so there are fewer than 32. */
	for (uint32_t step = 0; step < 32; step++) {
		uint64_t child = 2 * (uint64_t)root + 1;
		struct stream_entry swap;

		if (child >= count)
			return;
		if (child + 1 < count && before(&entries[child], &entries[child + 1]))
			child++;
		if (!before(&entries[root], &entries[child]))
			return;
		swap = entries[root];
		entries[root] = entries[child];
		entries[child] = swap;
		root = (uint32_t)child;
	}
	ASSERT(!"a heap of < 2^32 items is < 32 levels deep");
}

void stream_operator_sort(struct stream_entry *entries, uint32_t count,
			  stream_entry_before_fn *before)
{
	for (uint32_t root = count / 2; root-- > 0;)
		sift_down(entries, root, count, before);
	for (uint32_t end = count; end-- > 1;) {
		struct stream_entry swap = entries[0];

		entries[0] = entries[end];
		entries[end] = swap;
		sift_down(entries, 0, end, before);
	}
	for (uint32_t index = 1; index < count; index++)
		ASSERT_DEBUG(before(&entries[index - 1], &entries[index]));
}
