/* SPDX-License-Identifier: MIT */
/* stream_operator_internal.h - the window operator's state, shared by its .c files. */
#ifndef STREAM_OPERATOR_INTERNAL_H
#define STREAM_OPERATOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fl_assert.h"
#include "stream_operator.h"
#include "stream_operator_timers.h"
#include "stream_window.h"

struct errbuf;
struct stream_entry;                    /* stream_operator_snapshot.c */
struct stream_index_slot;               /* stream_operator_state.c */

/* A pane's (or edge's) aggregate; its chunk's mask bit says it holds events, so no count
 * (COUNT's value is it, >= 1): 8 bytes, fewer cache lines a window (read cold as it fires). */
struct stream_cell {
	int64_t value;                          /* the events' aggregate */
};

enum {
	STREAM_CHUNK_PANES_MAX = 64,            /* a chunk's bits are u64 masks */
	STREAM_CHUNK_NONE = UINT32_MAX,         /* no chunk; a free index slot */
};

/*
 * A chunk: all the state of one key over the R consecutive panes c * R .. c * R + R - 1
 * (pane index q = (start - O) / P; R = op->chunk_panes). Its header, then R pane cells,
 * then R edge cells (STREAM_BUG_END_INCLUSIVE only), then R emitted counts (u64; lateness > 0
 * only: with lateness 0 a window goes as it fires and counts nothing emitted). Bit j of
 * a mask is pane c * R + j, or the window or edge starting there. A key's panes sit side
 * by side, so an event is one lookup and a firing window reads adjacent memory: bench-stream
 * showed that the former table of one 40-byte slot per (key, pane) and per (key, window
 * block), sized for the bounds, spent its time in cache misses (sliding 9.1x tumbling).
 */
struct stream_chunk {
	uint64_t key;
	int64_t index;                          /* c */
	uint64_t panes;                         /* pane cells that hold events */
	uint64_t edges, members;                /* edge cells that hold events; member windows */
	uint64_t emitted;                       /* members whose emitted count is >= 1 */
	int64_t due_ms;                         /* its link's: an event reads no link */
	uint32_t before, after;                 /* chunks c - 1 and c + 1 of the key, or NONE */
};

/*
 * A window (key, s) is a member once an event was accepted by it (it was open, or fired and
 * within lateness without STREAM_BUG_LATE_FIRING_DROPPED), until its cleanup; members are
 * the windows that fire, and what window_entries counts.
 *
 * Invariants:
 * - chunks_count live chunks, each found by the index under its (key, index), linked to its
 *   key's chunks c +- 1, holding a pane, edge or member bit (so chunks_count <= pane + window
 *   entries); emitted is within members; bits sum to pane_entries and window_entries.
 * - every held bit is live: its cleanup time is above watermark_ms.
 * - links[id].due_ms = its chunk's due_ms is the least over its bits of the pane's or edge's
 *   cleanup time, a fired member's cleanup time and a pending member's maxTimestamp; between
 *   steps the chunk is in calendar bucket floor((due_ms - O) / L) mod STREAM_CALENDAR_BUCKETS.
 * - index_capacity is a power of two >= 2 * chunks_capacity; chunks_capacity <= chunks_max
 *   = pane_entries_max + window_entries_max.
 * - scratch, firing and popped are meaningful only inside one call.
 */
struct stream_operator {
	struct stream_operator_config config;   /* spec.c_remainder per the bugs */
	int64_t watermark_ms;
	int64_t input_watermark_ms[STREAM_OPERATOR_INPUTS_MAX];
	bool input_idle[STREAM_OPERATOR_INPUTS_MAX];
	uint64_t events, late_events, watermark_regressions;
	uint32_t pane_entries, window_entries;  /* pane and edge bits; member bits */
	uint32_t chunk_panes, chunk_shift;      /* R: a power of two, >= panes per window */
	uint32_t window_panes;                  /* S / P */
	int64_t slide_panes;                    /* L / P */
	size_t chunk_bytes, edges_at, emitted_at;       /* stride, offsets of the arrays */
	uint32_t chunks_count, chunks_used;     /* live; ever handed out (the rest untouched) */
	uint32_t chunks_capacity, chunks_max, free_head;
	unsigned char *chunks, *pool;           /* chunks_capacity chunks, from a line of pool */
	struct stream_link *links;              /* chunks_capacity */
	struct stream_index_slot *index;        /* index_capacity slots */
	uint32_t index_capacity;
	struct stream_calendar calendar;
	uint32_t *popped;                       /* chunks_capacity: chunks due in an advance */
	struct stream_firing *firing, *spare;   /* window_entries_max each: sorting */
	uint32_t radix_counts[16][256];         /* sorting: per byte of (start, key) */
	struct stream_entry *scratch;           /* pane + window entries max: snapshots */
};

static inline struct stream_chunk *stream_chunk_at(const struct stream_operator *op, uint32_t id)
{
	ASSERT(id < op->chunks_used);
	return (struct stream_chunk *)(void *)(op->chunks + (size_t)id * op->chunk_bytes);
}

/* Chunk @chunk's pane cell, edge cell and emitted count at @bit. */
#define STREAM_CHUNK_ARRAY(chunk, at, type) ((type *)(void *)((unsigned char *)(chunk) + (at)))
static inline struct stream_cell *stream_chunk_pane(const struct stream_operator *op,
						    struct stream_chunk *chunk, uint32_t bit)
{
	(void)op;
	return STREAM_CHUNK_ARRAY(chunk, sizeof(*chunk), struct stream_cell) + bit;
}

static inline struct stream_cell *stream_chunk_edge(const struct stream_operator *op,
						    struct stream_chunk *chunk, uint32_t bit)
{
	return STREAM_CHUNK_ARRAY(chunk, op->edges_at, struct stream_cell) + bit;
}

static inline uint64_t *stream_chunk_emitted(const struct stream_operator *op,
					     struct stream_chunk *chunk, uint32_t bit)
{
	ASSERT(op->emitted_at < op->chunk_bytes); /* lateness > 0: the chunk has the counts */
	return STREAM_CHUNK_ARRAY(chunk, op->emitted_at, uint64_t) + bit;
}

/* A start's pane index (start - O) / P (on the pane grid). */
static inline int64_t stream_operator_pane_index(const struct stream_operator *op,
						 int64_t start_ms)
{
	return (start_ms - op->config.spec.offset_ms) / op->config.spec.pane_ms;
}

/* The chunk of pane index @q, and its bit there (R is a power of two: masks are mods). */
static inline uint32_t stream_operator_bit_of(const struct stream_operator *op, int64_t q)
{
	return (uint32_t)((uint64_t)q & (op->chunk_panes - 1));
}

static inline int64_t stream_operator_chunk_of(const struct stream_operator *op, int64_t q)
{
	/* An exact division by R = 2^chunk_shift, shifting magnitudes (no idiv). */
	int64_t whole = q - (int64_t)stream_operator_bit_of(op, q);

	return whole >= 0 ? (int64_t)((uint64_t)whole >> op->chunk_shift) :
			    -(int64_t)((uint64_t)-whole >> op->chunk_shift);
}

/* The start of what bit @bit of @chunk names: the start of pane c * R + bit. */
static inline int64_t stream_operator_bit_start(const struct stream_operator *op,
						const struct stream_chunk *chunk, uint32_t bit)
{
	int64_t q = chunk->index * op->chunk_panes + bit;

	return op->config.spec.offset_ms + q * op->config.spec.pane_ms;
}

/* A window's maxTimestamp: end - 1, or end under STREAM_BUG_END_INCLUSIVE. */
static inline int64_t stream_operator_max_timestamp_ms(const struct stream_operator *op,
						       int64_t window_start_ms)
{
	/* stream_window_end() without its checks: this is on every path of every step. */
	int64_t end_ms = window_start_ms + op->config.spec.size_ms;

	if (op->config.bugs & STREAM_BUG_END_INCLUSIVE)
		return end_ms; /* BUG end-inclusive: maxTimestamp is end */
	return end_ms - 1;
}

/* When a window's state goes: maxTimestamp + lateness. No overflow: see stream_window.h. */
static inline int64_t stream_operator_window_cleanup_ms(const struct stream_operator *op,
							int64_t window_start_ms)
{
	return stream_operator_max_timestamp_ms(op, window_start_ms) + op->config.lateness_ms;
}

/* The cleanup time of pane index @q, of an edge: that of the last window combining it. */
int64_t stream_operator_pane_cleanup_ms(const struct stream_operator *op, int64_t q);
int64_t stream_operator_edge_cleanup_ms(const struct stream_operator *op, int64_t edge_start_ms);

/* Chunks: the one of (key, c) or STREAM_CHUNK_NONE; the cache asked for the likely header and
 * cells of pane index @q of @key (a guess: no check); a new empty one (room reserved, it is
 * absent); room for @more chunks (-ENOMEM, nothing changed); every chunk gone; drop an empty
 * one. */
uint32_t stream_operator_chunk_find(const struct stream_operator *op, uint64_t key, int64_t c);
void stream_operator_key_prefetch(const struct stream_operator *op, uint64_t key, int64_t q);
uint32_t stream_operator_chunk_insert(struct stream_operator *op, uint64_t key, int64_t c);
int stream_operator_reserve(struct stream_operator *op, uint32_t more, struct errbuf *eb);
void stream_operator_chunks_clear(struct stream_operator *op);
void stream_operator_chunk_remove(struct stream_operator *op, uint32_t id);

/* Fold an event of aggregate @value into @cell, which holds events if @held. */
void stream_operator_aggregate_add(const struct stream_operator *op, struct stream_cell *cell,
				   bool held, int64_t value);

/* The value of window (key, start at pane index @q): its panes combined. False if it holds
 * no event. @id: the chunk of its start if known, else STREAM_CHUNK_NONE. */
bool stream_operator_window_value(const struct stream_operator *op, uint64_t key, int64_t q,
				  uint32_t id, int64_t *value);

/* Room for @count snapshot entries (calloc()ed), or NULL. */
struct stream_entry *stream_operator_scratch_new(uint32_t count);

/* Whether the invariants above hold, by a scan of every chunk: for ASSERT_DEBUG() only. */
bool stream_operator_invariants_hold(const struct stream_operator *op);

#endif /* STREAM_OPERATOR_INTERNAL_H */
