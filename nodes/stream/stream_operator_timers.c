/* SPDX-License-Identifier: MIT */
/* stream_operator_timers.c - the window operator's calendar: which windows fire and which
 * state goes at a watermark, without a scan of every chunk. Each chunk is due at the earliest
 * of its windows' firings and its cleanups, and sits in the calendar bucket of that time.
 * bench-stream showed a heap of chunk timers (ordered by due time then key) cost a sliding
 * advance more than its firing did (3.7x tumbling per event); a bucket is a doubly linked
 * list, so taking a chunk or moving it is O(1), and the windows are sorted afterwards. */
#include "stream_operator_timers.h"

#include <stddef.h>
#include <string.h>

#include "stream_operator_internal.h"

/* Due times lie within +-2^62: window starts within +-2^61 (stream_operator_snapshot.c),
 * plus a size and a lateness of at most 2^60 each. */
#define DUE_MS_ABS_MAX (INT64_C(1) << 62)

/* The calendar index of time @ms: floor((ms - O) / L), @ms clamped to the due times. */
static int64_t calendar_index(const struct stream_operator *op, int64_t ms)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t span, quotient;

	ms = ms < -DUE_MS_ABS_MAX ? -DUE_MS_ABS_MAX : ms > DUE_MS_ABS_MAX ? DUE_MS_ABS_MAX : ms;
	span = ms - spec->offset_ms;
	/* Floored: C's quotient rounds toward zero. One division, its remainder come with it
	 * (bench-stream: two divisions a calendar move were a visible share of an advance). */
	quotient = span / spec->slide_ms;
	return quotient - (span % spec->slide_ms < 0);
}

static uint32_t bucket_of(const struct stream_operator *op, int64_t due_ms)
{
	return (uint32_t)((uint64_t)calendar_index(op, due_ms) & (STREAM_CALENDAR_BUCKETS - 1));
}

static void calendar_link(struct stream_operator *op, uint32_t id)
{
	struct stream_link *chunk = &op->links[id];
	uint32_t bucket = bucket_of(op, chunk->due_ms), *head = &op->calendar.heads[bucket];

	ASSERT(chunk->prev == STREAM_CHUNK_UNLINKED);
	if (!(op->calendar.used[bucket / 64] >> (bucket % 64) & 1) ||
	    chunk->due_ms < op->calendar.min_ms[bucket])
		op->calendar.min_ms[bucket] = chunk->due_ms;
	op->calendar.used[bucket / 64] |= 1ull << (bucket % 64);
	chunk->next = *head;
	chunk->prev = STREAM_CHUNK_NONE;
	if (*head != STREAM_CHUNK_NONE)
		op->links[*head].prev = id;
	*head = id;
}

/* Unlink chunk @id from its bucket, @bucket if known (taking it), else STREAM_CHUNK_NONE. */
static void calendar_unlink_from(struct stream_operator *op, uint32_t id, uint32_t bucket)
{
	struct stream_link *chunk = &op->links[id];

	ASSERT(chunk->prev != STREAM_CHUNK_UNLINKED && chunk->prev != STREAM_CHUNK_FREE);
	if (chunk->prev == STREAM_CHUNK_NONE) {
		if (bucket == STREAM_CHUNK_NONE)
			bucket = bucket_of(op, chunk->due_ms);
		ASSERT_DEBUG(bucket == bucket_of(op, chunk->due_ms));
		op->calendar.heads[bucket] = chunk->next;
		if (chunk->next == STREAM_CHUNK_NONE)
			op->calendar.used[bucket / 64] &= ~(1ull << (bucket % 64));
	} else {
		op->links[chunk->prev].next = chunk->next;
	}
	if (chunk->next != STREAM_CHUNK_NONE)
		op->links[chunk->next].prev = chunk->prev;
	chunk->prev = STREAM_CHUNK_UNLINKED;
}

static void calendar_unlink(struct stream_operator *op, uint32_t id)
{
	calendar_unlink_from(op, id, STREAM_CHUNK_NONE);
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
int64_t stream_operator_bits_due(const struct stream_operator *op,
				 const struct stream_chunk *chunk, uint64_t panes, uint64_t edges,
				 uint64_t members, int64_t watermark_ms)
{
	int64_t due_ms = INT64_MAX;

	if (panes)
		due_ms = stream_operator_pane_cleanup_ms(op, chunk->index * op->chunk_panes +
								 lowest_bit(panes));
	if (edges)
		due_ms = min_ms(due_ms, stream_operator_edge_cleanup_ms(
			op, stream_operator_bit_start(op, chunk, lowest_bit(edges))));
	if (members)
		due_ms = min_ms(due_ms, stream_operator_window_cleanup_ms(
			op, stream_operator_bit_start(op, chunk, lowest_bit(members))));
	/* The first member still to fire; at most 64 steps. */
	for (; members; members &= members - 1) {
		int64_t max_ms = stream_operator_max_timestamp_ms(
			op, stream_operator_bit_start(op, chunk, lowest_bit(members)));

		if (max_ms > watermark_ms)
			return min_ms(due_ms, max_ms);
	}
	return due_ms;
}

int64_t stream_operator_chunk_due(const struct stream_operator *op, uint32_t id,
				  int64_t watermark_ms)
{
	const struct stream_chunk *chunk = stream_chunk_at(op, id);

	return stream_operator_bits_due(op, chunk, chunk->panes, chunk->edges, chunk->members,
					watermark_ms);
}

/* stream_operator_schedule() at @watermark_ms: an advance cleans chunks before it sets the
 * operator's watermark to that. */
static void schedule_at(struct stream_operator *op, uint32_t id, int64_t watermark_ms)
{
	struct stream_link *chunk = &op->links[id];
	int64_t due_ms = stream_operator_chunk_due(op, id, watermark_ms);

	ASSERT(watermark_ms >= op->watermark_ms);
	ASSERT(due_ms > watermark_ms && due_ms != INT64_MAX);
	if (chunk->prev != STREAM_CHUNK_UNLINKED) {
		if (due_ms == chunk->due_ms)
			return;
		calendar_unlink(op, id);
	}
	chunk->due_ms = due_ms;
	stream_chunk_at(op, id)->due_ms = due_ms;
	calendar_link(op, id);
}

void stream_operator_schedule(struct stream_operator *op, uint32_t id)
{
	schedule_at(op, id, op->watermark_ms);
}

void stream_operator_schedule_added(struct stream_operator *op, uint32_t id, uint64_t panes,
				    uint64_t edges, uint64_t members)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	int64_t due_ms;

	if (!(panes | edges | members))
		return; /* the bits held, and so the due time, are as they were */
	due_ms = stream_operator_bits_due(op, chunk, panes, edges, members, op->watermark_ms);
	ASSERT(due_ms > op->watermark_ms);
	if (due_ms >= chunk->due_ms)
		return; /* its link, elsewhere, is not read: most events end here */
	ASSERT(op->links[id].prev != STREAM_CHUNK_UNLINKED &&
	       op->links[id].prev != STREAM_CHUNK_FREE);
	calendar_unlink(op, id);
	op->links[id].due_ms = due_ms;
	chunk->due_ms = due_ms;
	calendar_link(op, id);
}

/* Take the chunks of @bucket due at or before @until_ms; others (later in the bucket's span,
 * or a ring's turn later) stay, and the bucket's least due time is made exact again. */
static uint32_t take_bucket(struct stream_operator *op, uint32_t bucket, int64_t until_ms,
			    uint32_t count)
{
	uint32_t id = op->calendar.heads[bucket];
	int64_t min_ms = INT64_MAX;

	if (op->calendar.min_ms[bucket] > until_ms)
		return count; /* none due: most advances end within a bucket's span */
	/* Each chunk is in one bucket once, so at most chunks_count steps. */
	for (uint32_t step = 0; step < op->chunks_count && id != STREAM_CHUNK_NONE; step++) {
		const struct stream_link *chunk = &op->links[id];
		uint32_t next = chunk->next;

		if (chunk->due_ms <= until_ms) {
			calendar_unlink_from(op, id, bucket);
			ASSERT(count < op->chunks_count);
			op->popped[count++] = id;
		} else if (chunk->due_ms < min_ms) {
			min_ms = chunk->due_ms;
		}
		id = next;
	}
	ASSERT(id == STREAM_CHUNK_NONE);
	op->calendar.min_ms[bucket] = min_ms;
	return count;
}

uint32_t stream_operator_take_due(struct stream_operator *op, int64_t until_ms)
{
	/* Every chunk is due after the watermark: its bucket is at or after the watermark's. */
	int64_t first = calendar_index(op, op->watermark_ms);
	int64_t last = calendar_index(op, until_ms);
	uint32_t count = 0;

	ASSERT(until_ms > op->watermark_ms && last >= first);
	/* Unsigned: the span of +-2^62 over a slide of 1 passes INT64_MAX. */
	if ((uint64_t)last - (uint64_t)first >= STREAM_CALENDAR_BUCKETS - 1) {
		first = 0;
		last = STREAM_CALENDAR_BUCKETS - 1;
	}
	/* The buckets not empty of the span, a word of the bitmap at a time. */
	for (int64_t index = first; index <= last;) {
		uint32_t bucket = (uint32_t)((uint64_t)index & (STREAM_CALENDAR_BUCKETS - 1));
		uint64_t used = op->calendar.used[bucket / 64] >> (bucket % 64);

		if (!used) {
			index += 64 - bucket % 64;
			continue;
		}
		index += __builtin_ctzll(used);
		if (index > last)
			break;
		count = take_bucket(op, (uint32_t)((uint64_t)index & (STREAM_CALENDAR_BUCKETS - 1)),
				    until_ms, count);
		index++;
	}
	return count;
}

void stream_operator_untake(struct stream_operator *op, uint32_t count)
{
	for (uint32_t index = 0; index < count; index++)
		calendar_link(op, op->popped[index]);
}

void stream_operator_chunk_clean(struct stream_operator *op, uint32_t id, int64_t watermark_ms)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	uint32_t bit;

	ASSERT(watermark_ms >= op->watermark_ms);
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
	ASSERT(op->links[id].prev == STREAM_CHUNK_UNLINKED);
	if (!(chunk->panes | chunk->edges | chunk->members)) {
		stream_operator_chunk_remove(op, id);
		return;
	}
	schedule_at(op, id, watermark_ms);
}

void stream_operator_calendar_clear(struct stream_operator *op)
{
	for (uint32_t bucket = 0; bucket < STREAM_CALENDAR_BUCKETS; bucket++)
		op->calendar.heads[bucket] = STREAM_CHUNK_NONE;
	memset(op->calendar.used, 0, sizeof(op->calendar.used));
}

void stream_operator_timers_rebuild(struct stream_operator *op)
{
	stream_operator_calendar_clear(op);
	for (uint32_t id = 0; id < op->chunks_used; id++) {
		if (op->links[id].prev == STREAM_CHUNK_FREE)
			continue;
		op->links[id].prev = STREAM_CHUNK_UNLINKED;
		stream_operator_schedule(op, id);
	}
}

bool stream_operator_calendar_holds(const struct stream_operator *op)
{
	uint32_t linked = 0;

	for (uint32_t bucket = 0; bucket < STREAM_CALENDAR_BUCKETS; bucket++) {
		uint32_t id = op->calendar.heads[bucket], prev = STREAM_CHUNK_NONE;
		bool used = op->calendar.used[bucket / 64] >> (bucket % 64) & 1;

		if ((id == STREAM_CHUNK_NONE) == used)
			return false; /* the bitmap is wrong */
		for (; id != STREAM_CHUNK_NONE && linked <= op->chunks_count; linked++) {
			const struct stream_link *chunk = &op->links[id];
			uint64_t at = (uint64_t)calendar_index(op, chunk->due_ms);

			if (chunk->prev != prev || (at & (STREAM_CALENDAR_BUCKETS - 1)) != bucket ||
			    chunk->due_ms < op->calendar.min_ms[bucket] ||
			    !(op->calendar.used[bucket / 64] >> (bucket % 64) & 1))
				return false;
			prev = id;
			id = chunk->next;
		}
	}
	return linked == op->chunks_count;
}

/* --- the windows an advance fires --- */

/*
 * Ask the cache for chunk @id's header and its first line of cells from @bit (a window's
 * first panes). The chunks an advance visits are known ahead, one per key and scattered:
 * bench-stream showed their cache misses, one after the other, were most of a sliding
 * advance's time, and that asking for more lines a chunk did worse. A prefetch never
 * faults, whatever the address.
 */
void stream_operator_prefetch(const struct stream_operator *op, uint32_t id, uint32_t bit)
{
	const unsigned char *at = op->chunks + (size_t)id * op->chunk_bytes;
	const unsigned char *cells = at + sizeof(struct stream_chunk) +
				     (size_t)bit * sizeof(struct stream_cell);

	__builtin_prefetch(at);
	__builtin_prefetch(cells);
}

/* Firing order: window end, then key. All windows have one size, so start orders as end. */
static inline bool firing_before(const struct stream_firing *a, const struct stream_firing *b)
{
	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms;
	return a->key < b->key;
}

/* The byte @pass of a window's sort key (start, key): key bytes first, least significant
 * first, then start's, its sign flipped so that unsigned order is signed order. */
static uint32_t radix_byte(const struct stream_firing *f, uint32_t pass)
{
	uint64_t word = pass < 8 ? f->key : (uint64_t)f->start_ms ^ (1ull << 63);

	return (uint32_t)(word >> (8 * (pass % 8)) & 0xff);
}

/*
 * Sort op->firing's @count windows by firing_before(): an LSD radix sort, stable, a pass
 * per byte of (start, key) that differs between them.
 * Windows come from the calendar in no order, so every advance that fires sorts; this is
 * linear. The typed heapsort before it took 4 to 7% of bench-stream's run (perf) when most
 * advances came sorted from the heap of timers and needed none.
 */
static void firing_sort(struct stream_operator *op, uint32_t count)
{
	uint64_t keys = 0, starts = 0; /* the bits that differ between windows */
	uint32_t passes[16], pass_count = 0;

	if (count <= 64) { /* an insertion sort: less than clearing the counts */
		for (uint32_t index = 1; index < count; index++) {
			struct stream_firing item = op->firing[index];
			uint32_t at = index;

			for (; at > 0 && firing_before(&item, &op->firing[at - 1]); at--)
				op->firing[at] = op->firing[at - 1];
			op->firing[at] = item;
		}
		return;
	}
	for (uint32_t index = 1; index < count; index++) {
		keys |= op->firing[index].key ^ op->firing[0].key;
		starts |= (uint64_t)(op->firing[index].start_ms ^ op->firing[0].start_ms);
	}
	for (uint32_t pass = 0; pass < 16; pass++) /* a byte with one value orders nothing */
		if (((pass < 8 ? keys : starts) >> (8 * (pass % 8))) & 0xff)
			passes[pass_count++] = pass;
	memset(op->radix_counts, 0, sizeof(op->radix_counts));
	for (uint32_t index = 0; index < count; index++)
		for (uint32_t at = 0; at < pass_count; at++)
			op->radix_counts[passes[at]][radix_byte(&op->firing[index], passes[at])]++;
	for (uint32_t at_pass = 0; at_pass < pass_count; at_pass++) {
		uint32_t pass = passes[at_pass], *counts = op->radix_counts[pass], at = 0;
		struct stream_firing *swap;

		for (uint32_t value = 0; value < 256; value++) {
			uint32_t here = counts[value];

			counts[value] = at;
			at += here;
		}
		for (uint32_t index = 0; index < count; index++) {
			const struct stream_firing *item = &op->firing[index];

			op->spare[counts[radix_byte(item, pass)]++] = *item;
		}
		swap = op->firing;
		op->firing = op->spare;
		op->spare = swap;
	}
	for (uint32_t index = 1; index < count; index++)
		ASSERT_DEBUG(firing_before(&op->firing[index - 1], &op->firing[index]));
}

/* Add to op->firing the members of chunk @id whose maxTimestamp is in (watermark, @until_ms]. */
static uint32_t collect_chunk(struct stream_operator *op, uint32_t id, int64_t until_ms,
			      uint32_t count)
{
	const struct stream_chunk *chunk = stream_chunk_at(op, id);
	uint32_t first = count;

	for (uint64_t members = chunk->members; members; members &= members - 1) {
		int64_t start_ms = stream_operator_bit_start(op, chunk,
							     (uint32_t)__builtin_ctzll(members));
		int64_t max_ms = stream_operator_max_timestamp_ms(op, start_ms);

		if (max_ms > until_ms)
			break; /* and so are the later ones */
		if (max_ms > op->watermark_ms)
			op->firing[count++] = (struct stream_firing){
				start_ms, chunk->key, id, (uint16_t)__builtin_ctzll(members), 0 };
	}
	/* Members ascend by start, and so the sort orders a chunk's windows: this one is its
	 * last to fire. */
	if (count > first)
		op->firing[count - 1].last = 1;
	ASSERT(count <= op->window_entries);
	return count;
}

/*
 * Collect into op->firing the windows an advance to @watermark_ms fires, sorted; the chunks
 * due go to op->popped (*@popped_count), out of the calendar. This costs O(k) for k chunks
 * due, whatever the operator holds (and the calendar buckets the advance spans).
 */
uint32_t stream_operator_collect_firing(struct stream_operator *op, int64_t watermark_ms,
					uint32_t *popped_count)
{
	uint32_t count = 0, popped = stream_operator_take_due(op, watermark_ms);

	ASSERT(watermark_ms > op->watermark_ms);
	for (uint32_t index = 0; index < popped; index++) {
		if (index + STREAM_PREFETCH_AHEAD < popped)
			stream_operator_prefetch(op, op->popped[index + STREAM_PREFETCH_AHEAD], 0);
		count = collect_chunk(op, op->popped[index], watermark_ms, count);
	}
	for (uint32_t index = 1; index < count; index++) {
		if (firing_before(&op->firing[index], &op->firing[index - 1])) {
			firing_sort(op, count);
			break;
		}
	}
	*popped_count = popped;
	return count;
}
