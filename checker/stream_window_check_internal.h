/* SPDX-License-Identifier: MIT */
/* stream_window_check_internal.h - the window checker's state, shared by stream_window_check.c
 * (setup, the walk over windows, watermark evidence) and stream_window_check_judge.c (one window's
 * judgement). */
#ifndef WINDOW_CHECK_INTERNAL_H
#define WINDOW_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "stream_window_check.h"

/*
 * Which assignment put an event in a window. NORMAL is the oracle's. The others are the
 * assignments of broken engines, kept only where they differ, to name a wrong value:
 * END_INCLUSIVE adds the window ending exactly at t; the REMAINDER ones replace an event's
 * windows by those C's % gives (for t - offset < 0): Flink's loop from the C-remainder last
 * start (ASSIGN), or the windows holding the C-remainder pane (PANE, as a pane-sharing
 * engine counts).
 */
enum member_variant {
	MEMBER_NORMAL,
	MEMBER_END_INCLUSIVE,
	MEMBER_REMAINDER_ASSIGN,
	MEMBER_REMAINDER_PANE,
	MEMBER_VARIANTS,
};

/* Event @event (an index into the input's events, ok or info) is in window (key, start). */
struct member {
	uint64_t key;
	int64_t start_ms;
	uint32_t event;
	uint32_t variant;               /* enum member_variant */
};

enum event_flag {
	EVENT_ON_TIME = 1u << 0,                        /* acknowledged and on time */
	EVENT_REMAINDER_ASSIGN_DIFFERS = 1u << 1,       /* has REMAINDER_ASSIGN members */
	EVENT_REMAINDER_PANE_DIFFERS = 1u << 2,         /* has REMAINDER_PANE members */
	EVENT_SIDE = 1u << 3,           /* scratch: in the side output of the window judged */
};

/*
 * Invariants: members sorted by (key, start, variant, event), only ok and info events, each
 * start a window start of spec; pane_order sorted by (key, start, end, pane index,
 * position); late_order by (key, start, end, event id); by_id by event id, ids distinct;
 * EVENT_SIDE clear outside window_check_judge().
 */
struct window_check_ctx {
	const struct window_check_input *input;
	struct stream_window_spec spec;         /* the declared spec, c_remainder false */
	struct check_result *result;
	struct window_check_figures figures;
	uint8_t *event_flags;                   /* enum event_flag, per event */
	uint32_t *by_id;
	struct member *members;
	uint32_t member_count;
	uint32_t *pane_order;
	uint32_t *late_order;
	uint64_t *subset_bits;                  /* CHK_WINDOW_SUBSET_SUM_TARGET_MAX + 1 bits */
	uint32_t *watermark_order;              /* by (operator, position) */
	bool fired_known;                       /* some operator's own watermark was seen */
	int64_t fired_ms;                       /* the least of the operators' last ones */
};

/* One window (key, [start, end)) and the records that name it; end may be off the spec. */
struct window_slice {
	uint64_t key;
	int64_t start_ms, end_ms;
	const struct member *members;
	uint32_t member_count;
	const uint32_t *panes;                  /* indices into the input's panes */
	uint32_t pane_count;
	const uint32_t *lates;                  /* indices into the input's lates */
	uint32_t late_count;
};

/* window_check_event_find() - the index of the event with @id, or -1. */
int64_t window_check_event_find(const struct window_check_ctx *ctx, uint64_t id);

/* window_check_judge() - every rule of stream_window_check.h on one window
 * (stream_window_check_judge.c). */
void window_check_judge(struct window_check_ctx *ctx, const struct window_slice *w);

#endif /* WINDOW_CHECK_INTERNAL_H */
