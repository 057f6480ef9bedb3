/* SPDX-License-Identifier: MIT */
/* stream_operator_timers.c - the window operator's fire and cleanup heaps: which windows fire
 * and which entries go at a watermark, without a scan of the entry table. */
#include "stream_operator_timers.h"

#include <stddef.h>

#include "stream_operator_internal.h"

static bool timer_before(const struct stream_timer *a, const struct stream_timer *b)
{
	if (a->due_ms != b->due_ms)
		return a->due_ms < b->due_ms;
	if (a->key != b->key)
		return a->key < b->key;
	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms;
	return a->kind < b->kind;
}

void stream_heap_push(struct stream_heap *heap, const struct stream_timer *timer)
{
	uint32_t index = heap->count++;

	ASSERT(heap->count <= heap->capacity);
	/* Each step halves index, so there are fewer than 32. */
	for (uint32_t step = 0; step < 32 && index > 0; step++) {
		uint32_t parent = (index - 1) / 2;

		if (!timer_before(timer, &heap->timers[parent]))
			break;
		heap->timers[index] = heap->timers[parent];
		index = parent;
	}
	heap->timers[index] = *timer;
	ASSERT(index == 0 || !timer_before(timer, &heap->timers[(index - 1) / 2]));
}

bool stream_heap_pop_until(struct stream_heap *heap, int64_t until_ms, struct stream_timer *timer)
{
	struct stream_timer last;
	uint32_t index = 0;

	if (heap->count == 0 || heap->timers[0].due_ms > until_ms)
		return false;
	*timer = heap->timers[0];
	last = heap->timers[--heap->count];
	for (uint32_t step = 0; step < 32; step++) {
		uint64_t child = 2 * (uint64_t)index + 1;

		if (child >= heap->count)
			break;
		if (child + 1 < heap->count &&
		    timer_before(&heap->timers[child + 1], &heap->timers[child]))
			child++;
		if (!timer_before(&heap->timers[child], &last))
			break;
		heap->timers[index] = heap->timers[child];
		index = (uint32_t)child;
	}
	if (heap->count > 0)
		heap->timers[index] = last;
	ASSERT(timer->due_ms <= until_ms);
	return true;
}

/* The first member of @block whose maxTimestamp is above @after_ms; STREAM_BIT_NONE if none. */
static uint8_t next_fire_bit(const struct stream_operator *op, const struct stream_entry *block,
			     int64_t after_ms)
{
	uint64_t members = block->block.members;

	ASSERT(block->kind == STREAM_ENTRY_BLOCK);
	/* Bits ascend with window starts, so with maxTimestamps: the first above wins. */
	for (uint32_t bit = 0; bit < STREAM_BLOCK_WINDOWS && members; bit++, members >>= 1) {
		int64_t start_ms;

		if (!(members & 1))
			continue;
		start_ms = stream_operator_bit_start(op, block, bit);
		if (stream_operator_max_timestamp_ms(op, start_ms) > after_ms)
			return (uint8_t)bit;
	}
	return STREAM_BIT_NONE;
}

int64_t stream_operator_scheduled_ms(const struct stream_operator *op,
				     const struct stream_entry *block)
{
	ASSERT(block->kind == STREAM_ENTRY_BLOCK);
	if (block->scheduled_bit == STREAM_BIT_NONE)
		return INT64_MAX;
	ASSERT(block->block.members >> block->scheduled_bit & 1);
	return stream_operator_max_timestamp_ms(
		op, stream_operator_bit_start(op, block, block->scheduled_bit));
}

static void fire_push(struct stream_operator *op, const struct stream_entry *block)
{
	int64_t due_ms = stream_operator_scheduled_ms(op, block);

	if (due_ms != INT64_MAX)
		stream_heap_push(&op->fire, &(struct stream_timer){
			due_ms, block->key, block->start_ms, STREAM_ENTRY_BLOCK });
}

/* Every block's fire timer anew: the heap is full of stale timers, or a restore. */
static void fire_rebuild(struct stream_operator *op)
{
	op->fire.count = 0;
	for (uint32_t slot = 0; slot < op->slots_count; slot++) {
		struct stream_entry *entry = &op->slots[slot];

		if (entry->kind != STREAM_ENTRY_BLOCK)
			continue;
		entry->scheduled_bit = next_fire_bit(op, entry, op->watermark_ms);
		fire_push(op, entry);
	}
	ASSERT(op->fire.count <= op->block_entries);
	ASSERT(op->fire.count < op->fire.capacity);
}

void stream_operator_schedule(struct stream_operator *op, struct stream_entry *block,
			      int64_t after_ms, bool force)
{
	uint8_t next_bit = next_fire_bit(op, block, after_ms);

	/* Bits order as times do; STREAM_BIT_NONE is above every bit. */
	if (!force && next_bit >= block->scheduled_bit)
		return;
	block->scheduled_bit = next_bit;
	if (next_bit == STREAM_BIT_NONE)
		return;
	if (op->fire.count == op->fire.capacity) {
		fire_rebuild(op); /* sets this block's timer too */
		return;
	}
	fire_push(op, block);
}

void stream_operator_cleanup_at(struct stream_operator *op, uint8_t kind,
				uint64_t key, int64_t start_ms, int64_t cleanup_ms)
{
	ASSERT(kind != STREAM_ENTRY_FREE && kind != STREAM_ENTRY_BLOCK);
	ASSERT(cleanup_ms > op->watermark_ms);
	stream_heap_push(&op->cleanup, &(struct stream_timer){ cleanup_ms, key, start_ms, kind });
}

void stream_operator_clean(struct stream_operator *op, int64_t watermark_ms)
{
	struct stream_timer timer;
	uint32_t held = op->cleanup.count;

	ASSERT(watermark_ms == op->watermark_ms);
	while (stream_heap_pop_until(&op->cleanup, watermark_ms, &timer)) {
		uint32_t slot;

		if (timer.kind == STREAM_ENTRY_WINDOW) {
			stream_operator_member_remove(op, timer.key, timer.start_ms);
			continue;
		}
		slot = stream_operator_find(op, timer.kind, timer.key, timer.start_ms);
		ASSERT(slot != STREAM_SLOT_NONE);
		stream_operator_remove(op, slot);
	}
	ASSERT(op->cleanup.count <= held);
}

void stream_operator_timers_rebuild(struct stream_operator *op)
{
	op->cleanup.count = 0;
	for (uint32_t slot = 0; slot < op->slots_count; slot++) {
		struct stream_entry *entry = &op->slots[slot];
		uint64_t members = entry->block.members;

		if (entry->kind == STREAM_ENTRY_PANE || entry->kind == STREAM_ENTRY_EDGE)
			stream_operator_cleanup_at(op, entry->kind, entry->key, entry->start_ms,
						   stream_operator_entry_cleanup_ms(op, entry));
		if (entry->kind != STREAM_ENTRY_BLOCK)
			continue;
		entry->run_bit = STREAM_BIT_NONE;
		for (uint32_t bit = 0; bit < STREAM_BLOCK_WINDOWS; bit++) {
			int64_t start_ms;

			if (!(members >> bit & 1))
				continue;
			start_ms = stream_operator_bit_start(op, entry, bit);
			if (stream_operator_max_timestamp_ms(op, start_ms) <= op->watermark_ms)
				stream_operator_cleanup_at(
					op, STREAM_ENTRY_WINDOW, entry->key, start_ms,
					stream_operator_window_cleanup_ms(op, start_ms));
		}
	}
	fire_rebuild(op);
	ASSERT(op->cleanup.count <= op->pane_entries + op->window_entries);
}
