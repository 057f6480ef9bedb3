/* SPDX-License-Identifier: MIT */
/* stream_operator_timers.c - the window operator's chunk timers: which windows fire and which
 * state goes at a watermark, without a scan of every chunk. One timer per chunk, at the
 * earliest of its windows' firings and its cleanups. */
#include "stream_operator_timers.h"

#include <stddef.h>

#include "stream_operator_internal.h"

static bool timer_before(const struct stream_timer *a, const struct stream_timer *b)
{
	if (a->due_ms != b->due_ms)
		return a->due_ms < b->due_ms;
	if (a->key != b->key)
		return a->key < b->key;
	if (a->id != b->id)
		return a->id < b->id;
	return a->gen < b->gen;
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

bool stream_operator_timer_current(const struct stream_operator *op,
				   const struct stream_timer *timer)
{
	const struct stream_chunk *chunk;

	if (timer->id >= op->chunks_used)
		return false;
	chunk = stream_chunk_at(op, timer->id);
	return chunk->next_free == STREAM_CHUNK_LIVE && chunk->gen == timer->gen &&
	       chunk->due_ms == timer->due_ms;
}

static int64_t min_ms(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static uint32_t lowest_bit(uint64_t mask)
{
	ASSERT(mask != 0);
	return (uint32_t)__builtin_ctzll(mask);
}

/* Each kind's times ascend with its bits (a later pane's last window ends no earlier), so
 * the lowest bit of each is its earliest. */
int64_t stream_operator_chunk_due(const struct stream_operator *op, uint32_t id)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	uint64_t members = chunk->members;
	int64_t due_ms = INT64_MAX;

	if (chunk->panes)
		due_ms = stream_operator_pane_cleanup_ms(op, chunk->index * op->chunk_panes +
								 lowest_bit(chunk->panes));
	if (chunk->edges)
		due_ms = min_ms(due_ms, stream_operator_edge_cleanup_ms(
			op, stream_operator_bit_start(op, chunk, lowest_bit(chunk->edges))));
	if (members)
		due_ms = min_ms(due_ms, stream_operator_window_cleanup_ms(
			op, stream_operator_bit_start(op, chunk, lowest_bit(members))));
	/* The first member still to fire; at most 64 steps. */
	for (; members; members &= members - 1) {
		int64_t max_ms = stream_operator_max_timestamp_ms(
			op, stream_operator_bit_start(op, chunk, lowest_bit(members)));

		if (max_ms > op->watermark_ms)
			return min_ms(due_ms, max_ms);
	}
	return due_ms;
}

void stream_operator_schedule(struct stream_operator *op, uint32_t id, bool force)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	int64_t due_ms = stream_operator_chunk_due(op, id);

	ASSERT(due_ms > op->watermark_ms && due_ms != INT64_MAX);
	if (!force && due_ms >= chunk->due_ms)
		return;
	chunk->due_ms = due_ms;
	if (op->timers.count == op->timers.capacity) {
		stream_operator_timers_rebuild(op); /* sets this chunk's timer too */
		return;
	}
	stream_heap_push(&op->timers, &(struct stream_timer){ due_ms, chunk->key, id,
							      chunk->gen });
}

void stream_operator_chunk_clean(struct stream_operator *op, uint32_t id)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	int64_t watermark_ms = op->watermark_ms;
	uint32_t bit;

	for (; chunk->panes; chunk->panes &= ~(1ull << bit), op->pane_entries--) {
		bit = lowest_bit(chunk->panes);
		if (stream_operator_pane_cleanup_ms(op, chunk->index * op->chunk_panes + bit) >
		    watermark_ms)
			break;
	}
	for (; chunk->edges; chunk->edges &= ~(1ull << bit), op->pane_entries--) {
		bit = lowest_bit(chunk->edges);
		if (stream_operator_edge_cleanup_ms(op, stream_operator_bit_start(op, chunk, bit)) >
		    watermark_ms)
			break;
	}
	for (; chunk->members; chunk->members &= ~(1ull << bit), op->window_entries--) {
		bit = lowest_bit(chunk->members);
		if (stream_operator_window_cleanup_ms(op, stream_operator_bit_start(op, chunk,
										    bit)) >
		    watermark_ms)
			break;
		chunk->emitted &= ~(1ull << bit);
	}
	if (!(chunk->panes | chunk->edges | chunk->members)) {
		stream_operator_chunk_remove(op, id);
		return;
	}
	stream_operator_schedule(op, id, true);
}

void stream_operator_timers_rebuild(struct stream_operator *op)
{
	op->timers.count = 0;
	for (uint32_t id = 0; id < op->chunks_used; id++) {
		struct stream_chunk *chunk = stream_chunk_at(op, id);

		if (chunk->next_free != STREAM_CHUNK_LIVE)
			continue;
		chunk->due_ms = stream_operator_chunk_due(op, id);
		ASSERT(chunk->due_ms != INT64_MAX);
		stream_heap_push(&op->timers, &(struct stream_timer){ chunk->due_ms, chunk->key,
								      id, chunk->gen });
	}
	ASSERT(op->timers.count == op->chunks_count);
	ASSERT(op->timers.count < op->timers.capacity);
}
