/* SPDX-License-Identifier: MIT */
/* stream_window_check.h - the window checker's pure core: did a windowed stream job keep its
 * promises? */
#ifndef WINDOW_CHECK_H
#define WINDOW_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "chk_limits.h"
#include "stream_operator.h"

struct check_result;
struct errbuf;

/*
 * Judged from records in memory (../shared/STREAMS.md, checker/CHECKS.md "Window checker").
 * A batch oracle assigns every event to its windows with stream_window_assign() on the
 * declared spec (c_remainder always false: the mathematical mod). Sets, per (key, window W):
 *   P: the events of W sent ok or info (possible); A: those sent ok (acknowledged);
 *   R: those of A on time by the bound: e, sent to source s, is on time when
 *      t_e > max{ t_f : f != e sent to s, ok or info, f invoked before e completed } - B
 *      (the first event a source could have seen is on time). An f concurrent with e may
 *      have reached the source first, so it counts; a fail never arrived, so it does not;
 *   D: the events of A named by W's side-output records.
 * A pane value v is "the aggregate of S for lower <= S <= upper" when some S with
 * lower ⊆ S ⊆ upper gives v: count: |lower| <= v <= |upper|; sum (values >= 0): v - sum(lower)
 * is a subset sum of upper \ lower (exact up to CHK_WINDOW_SUBSET_SUM_TARGET_MAX, a range
 * check beyond, counted in sums_by_range); min: v is a value in upper and v <= min(lower);
 * max alike. At-least-once lets S repeat events: count and sum need only v >= the lower
 * bound, and a value above |upper| or sum(upper) is counted in panes_over, never invalid.
 * A value that misses is, in this order:
 *   wrong-window if the same test passes with events at t == end counted, or with C's
 *     remainder aligning negative times (by window assignment or by pane), unless the
 *     pane is over its upper bound and replayed (then double-count), else
 *   incomplete / lost-event if below the lower bound, double-count if above the upper,
 *   wrong-value otherwise (a min or max no possible event has, a sum no subset gives).
 * Anomaly kinds:
 *   wrong-window: a pane or side-output record whose [start, end) is no window of the spec,
 *     or whose value is explained only as above; a side-output record naming an event that
 *     was never accepted, or one whose time is not in that window;
 *   incomplete: an ON_TIME pane whose value is not the aggregate of some R ⊆ S ⊆ P; or a
 *     window with LATE panes and no ON_TIME pane while R is not empty;
 *   lost-event: (only with end_of_input) the final pane (highest pane index, the last one
 *     emitted at it) is not the aggregate of some A \ D ⊆ S ⊆ P; or a window with A \ D not
 *     empty and no pane at all that the evidence says fired (every operator's highest own
 *     watermark in its latest incarnation >= end - 1);
 *   double-count: under exactly-once, an ON_TIME or final pane above the upper bound;
 *   duplicate-pane: under exactly-once, one (key, window, pane index) emitted with two
 *     values or timings, or two ON_TIME panes of one window (equal replays are counted);
 *   premature: a pane emitted while its operator's watermark (watermark_known) < end - 1;
 *   watermark-regress: by an operator incarnation's evidence in position order, its own
 *     watermark went back, or passed the minimum of the highest watermarks its non-idle
 *     inputs had shown;
 *   wrong-value: see above.
 * stalled (liveness, figures only): with end_of_input, a window with A \ D not empty that
 * emitted no pane and that the evidence does not show fired.
 * Anomaly ops are the invoke positions of the events the message names.
 */

enum window_check_guarantee { WINDOW_CHECK_EXACTLY_ONCE = 1, WINDOW_CHECK_AT_LEAST_ONCE };

enum window_check_outcome {
	WINDOW_CHECK_SEND_OK = 1,       /* acknowledged: must be accounted for */
	WINDOW_CHECK_SEND_FAIL,         /* definitely not accepted: must not appear */
	WINDOW_CHECK_SEND_INFO,         /* unknown: may or may not appear */
};

#define WINDOW_CHECK_POSITION_NONE UINT64_MAX   /* an info send that never completed */

/* The job's declaration. */
struct window_check_job {
	struct stream_window_spec spec; /* as stream_window_*_init() made it; c_remainder false */
	enum stream_aggregate aggregate;
	int64_t lateness_ms;            /* L: 0 .. STREAM_WINDOW_SIZE_MS_MAX */
	int64_t out_of_orderness_ms;    /* B: 0 .. STREAM_WINDOW_SIZE_MS_MAX */
	enum window_check_guarantee guarantee;
	bool end_of_input;              /* the final watermark +infinity was reached */
};

/* One event sent, from the history. Positions order the history (indices or times). */
struct window_check_event {
	uint64_t id;                    /* distinct */
	uint64_t key;
	int64_t time_ms;                /* stream_window_time_valid() */
	int64_t value;                  /* 0 .. CHK_WINDOW_VALUE_MAX; ignored by count */
	uint32_t source;
	enum window_check_outcome outcome;
	uint64_t invoke_position;
	uint64_t complete_position;     /* > invoke_position; NONE only for info */
};

/* One result record of the sink, with its position in the sink's output log. */
struct window_check_pane {
	uint64_t key;
	int64_t window_start_ms, window_end_ms;
	int64_t value;
	enum stream_pane_timing timing;
	uint64_t pane_index;
	uint64_t position;
	bool watermark_known;           /* evidence: the emitting operator's watermark */
	bool replayed;                  /* emitted by an operator restarted from a checkpoint,
					 * which read its inputs again: a value over the bound
					 * is a double count before any wrong-window reading */
	int64_t watermark_ms;           /* at emission (for the panes a watermark fires: the
					 * watermark it advanced to) */
};

/* One late side-output record. */
struct window_check_late {
	uint64_t event_id, key;
	int64_t time_ms;
	int64_t window_start_ms, window_end_ms;
	uint64_t position;
};

/* One watermark observation from an operator's evidence log. Each incarnation (a restart,
 * from a checkpoint that may hold an older watermark) is judged apart; the fired rule reads
 * each operator's highest incarnation. */
struct window_check_watermark {
	uint32_t operator_id;
	uint32_t incarnation;           /* restarts before this observation, from 0 */
	int32_t input;                  /* -1: the operator's own; else 0 .. INPUTS_MAX - 1 */
	int64_t watermark_ms;
	uint64_t position;              /* in that operator's evidence log, distinct there */
	bool idle;                      /* inputs only: the input is idle from here on */
};

/* Everything judged; arrays are borrowed, NULL when their count is 0. */
struct window_check_input {
	struct window_check_job job;
	const struct window_check_event *events;
	uint32_t event_count;                   /* <= CHK_WINDOW_EVENTS_MAX */
	const struct window_check_pane *panes;
	uint32_t pane_count;                    /* <= CHK_WINDOW_PANES_MAX */
	const struct window_check_late *lates;
	uint32_t late_count;                    /* <= CHK_WINDOW_LATES_MAX */
	const struct window_check_watermark *watermarks;
	uint32_t watermark_count;               /* <= CHK_WINDOW_WATERMARKS_MAX */
};

struct window_check_stalled {
	uint64_t key;
	int64_t window_start_ms, window_end_ms;
	uint32_t events;                        /* |A \ D| */
};

/* Counts beside the verdict; also written to the result's figures text. */
struct window_check_figures {
	uint64_t events_judged;                 /* ok and info */
	uint64_t events_acknowledged, events_info, events_failed;
	uint64_t events_on_time, events_late;   /* acknowledged, by the bound */
	uint64_t windows_judged;                /* with a possible event, a pane or a late */
	uint64_t panes_on_time, panes_late;     /* records */
	uint64_t side_outputs;                  /* records */
	uint64_t pane_replays;                  /* a (key, window, index) again, equal */
	uint64_t pane_replays_differing;        /* at-least-once: again, with another value */
	uint64_t panes_over;                    /* at-least-once: above the upper bound */
	uint64_t panes_over_excess;             /* their excess summed, in the aggregate's unit */
	uint64_t sums_by_range;                 /* sum judgements by range only (past the
						 * subset-sum bitset) */
	uint64_t windows_unfired;               /* no pane and no end_of_input: not judged */
	uint64_t stalled;                       /* liveness: windows that never fired */
	uint32_t stalled_listed;                /* <= CHK_WINDOW_STALLED_LISTED_MAX */
	struct window_check_stalled stalled_first[CHK_WINDOW_STALLED_LISTED_MAX];
};

/**
 * window_check() - judge @input (rules above). Adds each anomaly to @result (making it
 * INVALID; check_result_add_anomaly() bounds the list and counts the total) and the figures
 * as text to @result->figures; fills @figures. Pure: reads no clock or file, never blocks.
 * @result: check_result_init()ed by the caller.
 * @figures: caller storage, overwritten.
 * Return: 0; -EINVAL for a bad declaration or record (@eb names it: a negative value, a
 *         duplicate event id, a spec with c_remainder, ...); -E2BIG past a count bound or
 *         past CHK_WINDOW_MEMBERSHIPS_MAX (event, window) pairs; -ENOMEM. On error
 *         @result and @figures are unchanged.
 */
int window_check(const struct window_check_input *input, struct check_result *result,
		 struct window_check_figures *figures, struct errbuf *eb);

#endif /* WINDOW_CHECK_H */
