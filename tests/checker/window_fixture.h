/* SPDX-License-Identifier: MIT */
/* window_fixture.h - test support for the window checker: a declaration, sends, the sink's
 * records and watermark evidence built step by step, the check, and finding anomalies. */
#ifndef WINDOW_FIXTURE_H
#define WINDOW_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"
#include "stream_window_check.h"

enum {
	WINDOW_FIXTURE_EVENTS_MAX = 1024,       /* each within CHK_WINDOW_*_MAX's test sizes */
	WINDOW_FIXTURE_PANES_MAX = 4096,
	WINDOW_FIXTURE_LATES_MAX = 1024,
	WINDOW_FIXTURE_WATERMARKS_MAX = 4096,
};

/* A history under construction: exactly-once, B = 0, L = 0, end of input, unless changed
 * through input.job. Positions count up: the history's, the sink's, the evidence's. */
struct window_fixture {
	struct window_check_input input;
	struct window_check_event events[WINDOW_FIXTURE_EVENTS_MAX];
	struct window_check_pane panes[WINDOW_FIXTURE_PANES_MAX];
	struct window_check_late lates[WINDOW_FIXTURE_LATES_MAX];
	struct window_check_watermark watermarks[WINDOW_FIXTURE_WATERMARKS_MAX];
	uint64_t history_position, sink_position, evidence_position;
	struct check_result result;
	struct window_check_figures figures;
	char error[256];
};

/* window_fixture_new() - tumbling windows of @size_ms at @offset_ms; free with _free(). */
struct window_fixture *window_fixture_new(int64_t size_ms, int64_t offset_ms,
					  enum stream_aggregate aggregate);

/* window_fixture_sliding() - make the windows sliding: @size_ms every @slide_ms. */
void window_fixture_sliding(struct window_fixture *f, int64_t size_ms, int64_t slide_ms,
			    int64_t offset_ms);

void window_fixture_free(struct window_fixture *f);

/* window_fixture_send() - event @id invoked and completed next (info: never completes). */
struct window_check_event *window_fixture_send(struct window_fixture *f, uint64_t id,
					       uint64_t key, int64_t time_ms, int64_t value,
					       enum window_check_outcome outcome);

/* window_fixture_pane() - a result record for the window starting at @start_ms. */
struct window_check_pane *window_fixture_pane(struct window_fixture *f, uint64_t key,
					      int64_t start_ms, int64_t value,
					      enum stream_pane_timing timing, uint64_t pane_index);

/* window_fixture_late() - a side-output record for event @id in the window at @start_ms. */
void window_fixture_late(struct window_fixture *f, uint64_t id, uint64_t key, int64_t time_ms,
			 int64_t start_ms);

/* window_fixture_watermark() - an observation in operator @operator_id's evidence. */
void window_fixture_watermark(struct window_fixture *f, uint32_t operator_id, int32_t input,
			      int64_t watermark_ms, bool idle);

/* window_fixture_check() - window_check() into f->result (re-init'ed) and f->figures;
 * its return, the message in f->error. */
int window_fixture_check(struct window_fixture *f);

/* window_fixture_anomaly() - the message of the first anomaly of @kind whose message holds
 * @text (NULL: any), or NULL. */
const char *window_fixture_anomaly(const struct window_fixture *f, const char *kind,
				   const char *text);

/* window_fixture_kinds() - the distinct kinds found, comma-separated, in a static buffer. */
const char *window_fixture_kinds(const struct window_fixture *f);

#endif /* WINDOW_FIXTURE_H */
