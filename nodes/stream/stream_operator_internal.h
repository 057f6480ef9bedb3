/* SPDX-License-Identifier: MIT */
/* stream_operator_internal.h - the window operator's state, shared by its two .c files. */
#ifndef STREAM_OPERATOR_INTERNAL_H
#define STREAM_OPERATOR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fl_assert.h"
#include "stream_operator.h"
#include "stream_window.h"

enum stream_entry_kind {
	STREAM_ENTRY_FREE = 0,
	STREAM_ENTRY_PANE,      /* a (key, pane) aggregate: the events of [start, start + P) */
	STREAM_ENTRY_EDGE,      /* STREAM_BUG_END_INCLUSIVE: the events at exactly start, for
				 * the window ending there */
	STREAM_ENTRY_WINDOW,    /* a (key, window) that holds or held events: panes emitted */
};

/* One slot of the operator's hash table; kind FREE marks an empty slot. */
struct stream_entry {
	uint64_t key;
	int64_t start_ms;                       /* the pane's or the window's start */
	uint8_t kind;                           /* enum stream_entry_kind */
	union {
		struct {
			uint64_t count;         /* events combined, >= 1 */
			int64_t value;          /* their aggregate; COUNT keeps count here too */
		} aggregate;                    /* PANE, EDGE */
		uint64_t panes_emitted;         /* WINDOW: the next pane's index */
	};
};

/*
 * Invariants:
 * - slots_count is a power of two >= 2 * (pane_entries_max + window_entries_max): the
 *   table is at most half full, so linear probes end at a free slot.
 * - pane_entries (PANE and EDGE slots) <= pane_entries_max; window_entries (WINDOW slots)
 *   <= window_entries_max; no two slots have the same (kind, key, start_ms).
 * - every entry is live: its cleanup time (stream_operator_entry_cleanup_ms()) is above
 *   watermark_ms; the sweep after each advance keeps it so.
 * - watermark_ms never decreases; input_watermark_ms[i] never decreases.
 * - order has room for pane_entries_max + window_entries_max indices; it is scratch,
 *   meaningful only inside one call.
 * - due_ms <= stream_operator_entry_due_ms() of every entry: an advance to a watermark below
 *   it fires and cleans nothing, so it skips the two scans of every slot (without this, a
 *   watermark every thousand events cost more than the events). It is a lower bound, kept
 *   on insert and made exact by each sweep; INT64_MIN after a restore.
 */
struct stream_operator {
	struct stream_operator_config config;   /* spec.c_remainder per the bugs */
	int64_t watermark_ms;
	int64_t input_watermark_ms[STREAM_OPERATOR_INPUTS_MAX];
	bool input_idle[STREAM_OPERATOR_INPUTS_MAX];
	uint64_t events, late_events, watermark_regressions;
	uint32_t pane_entries, window_entries;
	uint32_t slots_count;
	int64_t due_ms;
	struct stream_entry *slots;
	uint32_t *order;
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

/* The cleanup time of an entry: that of the latest window combining it (INT64_MIN if none). */
int64_t stream_operator_entry_cleanup_ms(const struct stream_operator *op,
					 const struct stream_entry *entry);

/* When an advance next has work with the entry, at the operator's watermark: a window's
 * maxTimestamp if not yet reached (it fires), else the entry's cleanup. */
int64_t stream_operator_entry_due_ms(const struct stream_operator *op,
				     const struct stream_entry *entry);

/* The slot of (kind, key, start), or STREAM_SLOT_NONE. */
uint32_t stream_operator_find(const struct stream_operator *op, enum stream_entry_kind kind,
			      uint64_t key, int64_t start_ms);

/* The slot of (kind, key, start), inserted empty if absent; the caller checked the bound. */
uint32_t stream_operator_find_or_insert(struct stream_operator *op, enum stream_entry_kind kind,
					uint64_t key, int64_t start_ms);

/* Remove every entry whose cleanup time is <= @watermark_ms, the operator's watermark; set
 * due_ms to the least due time of the entries left (INT64_MAX if none). */
void stream_operator_sweep(struct stream_operator *op, int64_t watermark_ms);

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

/* Sort @count slot indices in @order by @before, in place (heapsort: no recursion). */
void stream_operator_sort(const struct stream_operator *op, uint32_t *order, uint32_t count,
			  stream_entry_before_fn *before);

#endif /* STREAM_OPERATOR_INTERNAL_H */
