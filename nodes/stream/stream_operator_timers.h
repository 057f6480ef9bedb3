/* SPDX-License-Identifier: MIT */
/* stream_operator_timers.h - the window operator's fire and cleanup heaps (internal). */
#ifndef STREAM_OPERATOR_TIMERS_H
#define STREAM_OPERATOR_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct stream_entry;
struct stream_operator;

/* A timer: when entry (kind, key, start) next has work. Fire timers name BLOCK entries. */
struct stream_timer {
	int64_t due_ms;
	uint64_t key;
	int64_t start_ms;
	uint8_t kind;
};

/* A binary min-heap of timers ordered by (due, key, start, kind). */
struct stream_heap {
	struct stream_timer *timers;
	uint32_t count, capacity;
};

/* Add a timer; the heap has room (asserted). */
void stream_heap_push(struct stream_heap *heap, const struct stream_timer *timer);

/* Take the least timer into *@timer if its due time is <= @until_ms. */
bool stream_heap_pop_until(struct stream_heap *heap, int64_t until_ms, struct stream_timer *timer);

/* Set the fire timer of BLOCK @block to its least member maxTimestamp above @after_ms,
 * pushing a timer if that is earlier than the one set, or if @force. The time of its
 * scheduled_bit (INT64_MAX if none): */
void stream_operator_schedule(struct stream_operator *op, struct stream_entry *block,
			      int64_t after_ms, bool force);
int64_t stream_operator_scheduled_ms(const struct stream_operator *op,
				     const struct stream_entry *block);

/* The cleanup timer of entry (kind, key, start), whose cleanup time is @cleanup_ms. */
void stream_operator_cleanup_at(struct stream_operator *op, uint8_t kind,
				uint64_t key, int64_t start_ms, int64_t cleanup_ms);

/* Remove every entry and member whose cleanup time is <= @watermark_ms (the cleanup
 * heap's timers that are due). */
void stream_operator_clean(struct stream_operator *op, int64_t watermark_ms);

/* Rebuild both heaps from the entries (after a restore). */
void stream_operator_timers_rebuild(struct stream_operator *op);

#endif /* STREAM_OPERATOR_TIMERS_H */
