/* SPDX-License-Identifier: MIT */
/* stream_operator_timers.h - the window operator's chunk timers (internal): when each chunk
 * next has a window to fire or state to drop. */
#ifndef STREAM_OPERATOR_TIMERS_H
#define STREAM_OPERATOR_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct stream_operator;

/* A timer: chunk @id of @key (while its gen is @gen) has work at @due_ms. */
struct stream_timer {
	int64_t due_ms;
	uint64_t key;
	uint32_t id;
	uint32_t gen;
};

/* A binary min-heap of timers ordered by (due, key, id, gen): chunks due together pop in key
 * order, which is the order their windows fire in. */
struct stream_heap {
	struct stream_timer *timers;
	uint32_t count, capacity;
};

/* Add a timer; the heap has room (asserted). */
void stream_heap_push(struct stream_heap *heap, const struct stream_timer *timer);

/* Take the least timer into *@timer if its due time is <= @until_ms. */
bool stream_heap_pop_until(struct stream_heap *heap, int64_t until_ms, struct stream_timer *timer);

/* Whether @timer is its chunk's current one. */
bool stream_operator_timer_current(const struct stream_operator *op,
				   const struct stream_timer *timer);

/* What chunk @id's due_ms should be at the operator's watermark (INT64_MAX if it holds
 * nothing). */
int64_t stream_operator_chunk_due(const struct stream_operator *op, uint32_t id);

/* Set chunk @id's due_ms and push its timer, if that is earlier than the one set or if
 * @force (its timer was taken). */
void stream_operator_schedule(struct stream_operator *op, uint32_t id, bool force);

/* Drop what chunk @id holds past cleanup at the operator's watermark, then the chunk if
 * empty, else schedule it anew (its timer was taken). */
void stream_operator_chunk_clean(struct stream_operator *op, uint32_t id);

/* Every chunk's timer anew (after a restore, or a heap full of stale timers). */
void stream_operator_timers_rebuild(struct stream_operator *op);

#endif /* STREAM_OPERATOR_TIMERS_H */
