/* SPDX-License-Identifier: MIT */
/* stream_window_transcript_internal.h - a loaded transcript's layout, shared by
 * stream_window_transcript.c (reading the YAML) and stream_window_transcript_run.c (checking and
 * replaying it). */
#ifndef WINDOW_TRANSCRIPT_INTERNAL_H
#define WINDOW_TRANSCRIPT_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "chk_limits.h"
#include "stream_window_check.h"
#include "stream_window_transcript.h"

enum transcript_step_kind {
	TRANSCRIPT_INPUT = 1,
	TRANSCRIPT_WATERMARK,
	TRANSCRIPT_EXPECT,
	TRANSCRIPT_EXPECT_LATE,
};

/* One step. Its records are [first, first + count) of the array its kind names: events
 * (INPUT), panes (EXPECT), lates (EXPECT_LATE), watermarks (WATERMARK: two, input 0's and
 * the operator's own). */
struct transcript_step {
	enum transcript_step_kind kind;
	uint32_t line;                  /* 1-based, of the step in the file */
	uint32_t first, count;
	int64_t watermark_ms;           /* WATERMARK: input 0's; INT64_MAX for `end` */
	bool operator_given;            /* WATERMARK: the step said `operator:` */
	int64_t operator_ms;            /* WATERMARK: the operator's own */
};

/*
 * Invariants: the records are in file order, and so are their positions (one counter over
 * every record); each record's line is that of its mapping in the file; the steps' ranges
 * tile the arrays; job.spec is as stream_window_*_init() made it.
 */
struct window_transcript {
	char path[PATH_MAX];
	struct window_check_job job;
	char expect_anomaly[32];        /* "" when none */
	uint32_t step_count, event_count, pane_count, late_count, watermark_count;
	struct transcript_step steps[CHK_TRANSCRIPT_STEPS_MAX];
	struct window_check_event events[CHK_TRANSCRIPT_RECORDS_MAX];
	struct window_check_pane panes[CHK_TRANSCRIPT_RECORDS_MAX];
	struct window_check_late lates[CHK_TRANSCRIPT_RECORDS_MAX];
	struct window_check_watermark watermarks[2 * CHK_TRANSCRIPT_STEPS_MAX];
	uint32_t event_lines[CHK_TRANSCRIPT_RECORDS_MAX];
	uint32_t pane_lines[CHK_TRANSCRIPT_RECORDS_MAX];
	uint32_t late_lines[CHK_TRANSCRIPT_RECORDS_MAX];
};

#endif /* WINDOW_TRANSCRIPT_INTERNAL_H */
