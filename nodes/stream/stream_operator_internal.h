/* SPDX-License-Identifier: MIT */
/* stream_operator_internal.h - the window operator's state, shared by its .c files. */
#ifndef STREAM_OPERATOR_INTERNAL_H
#define STREAM_OPERATOR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fl_assert.h"
#include "stream_operator.h"
#include "stream_operator_timers.h"
#include "stream_window.h"

enum {
	STREAM_BLOCK_WINDOWS = 64,      /* windows whose membership one BLOCK entry holds */
	STREAM_BIT_NONE = 0xff,         /* no scheduled_bit, no run_bit */
};

enum stream_entry_kind {
	STREAM_ENTRY_FREE = 0,
	STREAM_ENTRY_PANE,      /* a (key, pane) aggregate: the events of [start, start + P) */
	STREAM_ENTRY_EDGE,      /* STREAM_BUG_END_INCLUSIVE: the events at exactly start, for
				 * the window ending there */
	STREAM_ENTRY_WINDOW,    /* a (key, window) that emitted a pane: panes emitted (>= 1) */
	STREAM_ENTRY_BLOCK,     /* (key, block b): which of windows 64b .. 64b + 63 are members */
};

/* One slot of the operator's hash table; kind FREE marks an empty slot. */
struct stream_entry {
	uint64_t key;
	int64_t start_ms;                       /* pane, edge or window start; BLOCK: b */
	uint8_t kind;                           /* enum stream_entry_kind */
	uint8_t scheduled_bit;                  /* BLOCK: the window the fire timer is for */
	uint8_t run_bit;                        /* BLOCK: the window run_value is of */
	union {
		struct {
			uint64_t count;         /* events combined, >= 1 */
			int64_t value;          /* their aggregate; COUNT keeps count here too */
		} aggregate;                    /* PANE, EDGE */
		uint64_t panes_emitted;         /* WINDOW: the next pane's index */
		struct {
			uint64_t members;       /* bit i: window index 64b + i is a member */
			int64_t run_value;      /* the aggregate of window run_bit's panes */
		} block;
	};
};

/*
 * A window (key, s) is a member once an event was accepted by it (it was open, or fired and
 * within lateness without STREAM_BUG_LATE_FIRING_DROPPED), until its cleanup; members are
 * the windows that fire, and what window_entries counts. Window index i = (s - O) / L.
 *
 * Invariants:
 * - slots_count is a power of two >= 2 * (pane_entries_max + 2 * window_entries_max): PANE
 *   and EDGE slots are <= pane_entries_max, BLOCK and WINDOW slots each <= the members <=
 *   window_entries_max, so the table is at most half full and linear probes end.
 * - no two slots have the same (kind, key, start_ms); every BLOCK has a member bit; every
 *   WINDOW slot's window is a member.
 * - every entry and member is live: its cleanup time is above watermark_ms.
 * - fire heap: a BLOCK with a member whose maxTimestamp is above watermark_ms has the
 *   least such as scheduled_bit, and a timer (its maxTimestamp, key, b); other timers are
 *   stale (checked against scheduled_bit when popped). At most 2 * window max + 1.
 * - runs (COUNT and SUM, more than one pane a window, none of the bugs that change values):
 *   a BLOCK's run_bit, if set, names a window that was open since run_value was made, so
 *   every event of its panes since was folded in: run_value is its value.
 * - cleanup heap: exactly one timer per PANE and EDGE entry, and per member whose
 *   maxTimestamp is <= watermark_ms (it fired), at its cleanup time.
 * - scratch has room for pane_entries_max + window_entries_max entries; it and popped are
 *   meaningful only inside one call.
 */
struct stream_operator {
	struct stream_operator_config config;   /* spec.c_remainder per the bugs */
	bool runs;                              /* BLOCKs keep runs (see above) */
	int64_t watermark_ms;
	int64_t input_watermark_ms[STREAM_OPERATOR_INPUTS_MAX];
	bool input_idle[STREAM_OPERATOR_INPUTS_MAX];
	uint64_t events, late_events, watermark_regressions;
	uint32_t pane_entries, window_entries;  /* PANE + EDGE slots; member windows */
	uint32_t block_entries, emitted_entries;
	uint32_t slots_count;
	struct stream_entry *slots;
	struct stream_entry *scratch;
	struct stream_heap fire, cleanup;
	struct stream_timer *popped;            /* fire timers taken by one advance */
};

enum { STREAM_SLOT_NONE = UINT32_MAX };

/* A window's maxTimestamp: end - 1, or end under STREAM_BUG_END_INCLUSIVE. */
static inline int64_t stream_operator_max_timestamp_ms(const struct stream_operator *op,
						       int64_t window_start_ms)
{
	int64_t end_ms = stream_window_end(&op->config.spec, window_start_ms);

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

/* A window's index (start - O) / L, and back. */
static inline int64_t stream_operator_window_index(const struct stream_operator *op,
						   int64_t window_start_ms)
{
	const struct stream_window_spec *spec = &op->config.spec;

	return (window_start_ms - spec->offset_ms) / spec->slide_ms;
}

static inline int64_t stream_operator_window_start(const struct stream_operator *op,
						   int64_t window_index)
{
	const struct stream_window_spec *spec = &op->config.spec;

	return spec->offset_ms + window_index * spec->slide_ms;
}

/* The start of window @bit of BLOCK @block. */
static inline int64_t stream_operator_bit_start(const struct stream_operator *op,
						const struct stream_entry *block, uint32_t bit)
{
	return stream_operator_window_start(op, block->start_ms * STREAM_BLOCK_WINDOWS + bit);
}

/* The block holding window index @index, and its bit there. */
static inline int64_t stream_operator_block_of(int64_t window_index)
{
	return (window_index - stream_window_mod(window_index, STREAM_BLOCK_WINDOWS)) /
	       STREAM_BLOCK_WINDOWS;
}

static inline uint64_t stream_operator_bit_of(int64_t window_index)
{
	return 1ull << stream_window_mod(window_index, STREAM_BLOCK_WINDOWS);
}

/* The cleanup time of a PANE, EDGE or WINDOW entry: that of the latest window combining it
 * (INT64_MIN if none). */
int64_t stream_operator_entry_cleanup_ms(const struct stream_operator *op,
					 const struct stream_entry *entry);

/* The slot of (kind, key, start), or STREAM_SLOT_NONE. */
uint32_t stream_operator_find(const struct stream_operator *op, enum stream_entry_kind kind,
			      uint64_t key, int64_t start_ms);

/* The slot of (kind, key, start), inserted empty if absent; the caller checked the bound. */
uint32_t stream_operator_find_or_insert(struct stream_operator *op, enum stream_entry_kind kind,
					uint64_t key, int64_t start_ms);

/* Remove the entry at @slot. */
void stream_operator_remove(struct stream_operator *op, uint32_t slot);

bool stream_operator_member(const struct stream_operator *op, uint64_t key, int64_t start_ms);

/* Make the windows of @mask in block @block_index of @key members: the BLOCK entry made or
 * updated, its fire timer set for those still to fire, a cleanup timer for those that fired
 * (the caller checked the bounds). Return: the BLOCK's slot. */
uint32_t stream_operator_members_add(struct stream_operator *op, uint64_t key, int64_t block_index,
				     uint64_t mask);

/* Drop window (key, start)'s membership and its WINDOW entry; it must be a member. */
void stream_operator_member_remove(struct stream_operator *op, uint64_t key, int64_t start_ms);

/* Panes window (key, start) emitted so far, and one more (the window is a member). */
uint64_t stream_operator_panes_emitted(const struct stream_operator *op, uint64_t key,
				       int64_t start_ms);
void stream_operator_pane_emitted(struct stream_operator *op, uint64_t key, int64_t start_ms);

/* Fold @count events of aggregate @value into the PANE or EDGE entry @entry. */
void stream_operator_aggregate_add(const struct stream_operator *op, struct stream_entry *entry,
				   uint64_t count, int64_t value);

/* The value of window (key, start): its panes combined. False if it holds no event. */
bool stream_operator_window_value(const struct stream_operator *op, uint64_t key,
				  int64_t window_start_ms, int64_t *value);

/* Whether the invariants above hold, by a scan of every slot: for ASSERT_DEBUG() only. */
bool stream_operator_invariants_hold(const struct stream_operator *op);

/* Whether entry @a sorts before entry @b. */
typedef bool stream_entry_before_fn(const struct stream_entry *a, const struct stream_entry *b);

/* Sort @count entries by @before, in place (heapsort: no recursion). */
void stream_operator_sort(struct stream_entry *entries, uint32_t count,
			  stream_entry_before_fn *before);

#endif /* STREAM_OPERATOR_INTERNAL_H */
