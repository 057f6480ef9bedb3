/* SPDX-License-Identifier: MIT */
/* window_fixture.c - test support for the window checker (window_fixture.h). */
#include "window_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

struct window_fixture *window_fixture_new(int64_t size_ms, int64_t offset_ms,
					  enum stream_aggregate aggregate)
{
	struct window_fixture *f = calloc(1, sizeof(*f));
	struct errbuf eb = { "" };

	cr_assert(f);
	cr_assert_eq(stream_window_tumbling_init(&f->input.job.spec, size_ms, offset_ms, &eb), 0,
		     "%s", eb.msg);
	f->input.job.aggregate = aggregate;
	f->input.job.guarantee = WINDOW_CHECK_EXACTLY_ONCE;
	f->input.job.end_of_input = true;
	f->input.events = f->events;
	f->input.panes = f->panes;
	f->input.lates = f->lates;
	f->input.watermarks = f->watermarks;
	check_result_init(&f->result);
	return f;
}

void window_fixture_sliding(struct window_fixture *f, int64_t size_ms, int64_t slide_ms,
			    int64_t offset_ms)
{
	struct errbuf eb = { "" };

	cr_assert_eq(stream_window_sliding_init(&f->input.job.spec, size_ms, slide_ms, offset_ms,
						&eb), 0, "%s", eb.msg);
}

void window_fixture_free(struct window_fixture *f)
{
	if (!f)
		return;
	check_result_fini(&f->result);
	free(f);
}

struct window_check_event *window_fixture_send(struct window_fixture *f, uint64_t id,
					       uint64_t key, int64_t time_ms, int64_t value,
					       enum window_check_outcome outcome)
{
	struct window_check_event *e;

	cr_assert_lt(f->input.event_count, WINDOW_FIXTURE_EVENTS_MAX);
	e = &f->events[f->input.event_count++];
	*e = (struct window_check_event){ .id = id, .key = key, .time_ms = time_ms,
					  .value = value, .outcome = outcome };
	e->invoke_position = f->history_position++;
	e->complete_position = outcome == WINDOW_CHECK_SEND_INFO ? WINDOW_CHECK_POSITION_NONE :
								   f->history_position++;
	return e;
}

struct window_check_pane *window_fixture_pane(struct window_fixture *f, uint64_t key,
					      int64_t start_ms, int64_t value,
					      enum stream_pane_timing timing, uint64_t pane_index)
{
	struct window_check_pane *p;

	cr_assert_lt(f->input.pane_count, WINDOW_FIXTURE_PANES_MAX);
	p = &f->panes[f->input.pane_count++];
	*p = (struct window_check_pane){ .key = key, .window_start_ms = start_ms,
					 .window_end_ms = start_ms + f->input.job.spec.size_ms,
					 .value = value, .timing = timing, .pane_index = pane_index,
					 .position = f->sink_position++ };
	return p;
}

void window_fixture_late(struct window_fixture *f, uint64_t id, uint64_t key, int64_t time_ms,
			 int64_t start_ms)
{
	cr_assert_lt(f->input.late_count, WINDOW_FIXTURE_LATES_MAX);
	f->lates[f->input.late_count++] = (struct window_check_late){
		.event_id = id, .key = key, .time_ms = time_ms, .window_start_ms = start_ms,
		.window_end_ms = start_ms + f->input.job.spec.size_ms,
		.position = f->sink_position++ };
}

void window_fixture_watermark(struct window_fixture *f, uint32_t operator_id, int32_t input,
			      int64_t watermark_ms, bool idle)
{
	cr_assert_lt(f->input.watermark_count, WINDOW_FIXTURE_WATERMARKS_MAX);
	f->watermarks[f->input.watermark_count++] = (struct window_check_watermark){
		.operator_id = operator_id, .input = input, .watermark_ms = watermark_ms,
		.position = f->evidence_position++, .idle = idle };
}

int window_fixture_check(struct window_fixture *f)
{
	struct errbuf eb = { "" };
	int err;

	check_result_fini(&f->result);
	check_result_init(&f->result);
	memset(&f->figures, 0, sizeof(f->figures));
	err = window_check(&f->input, &f->result, &f->figures, &eb);
	snprintf(f->error, sizeof(f->error), "%s", eb.msg);
	for (uint32_t index = 0; index < f->result.anomaly_count; index++)
		cr_log_info("%s: %s", f->result.anomalies[index].kind,
			    f->result.anomalies[index].message);
	return err;
}

const char *window_fixture_anomaly(const struct window_fixture *f, const char *kind,
				   const char *text)
{
	for (uint32_t index = 0; index < f->result.anomaly_count; index++) {
		const struct anomaly *a = &f->result.anomalies[index];

		if (strcmp(a->kind, kind) == 0 && (!text || strstr(a->message, text)))
			return a->message;
	}
	return NULL;
}

const char *window_fixture_kinds(const struct window_fixture *f)
{
	static char kinds[512];
	size_t used = 0;

	kinds[0] = '\0';
	for (uint32_t index = 0; index < f->result.anomaly_count; index++) {
		const char *kind = f->result.anomalies[index].kind;
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "%s,", kind);
		if (strstr(kinds, quoted) || used + strlen(quoted) >= sizeof(kinds))
			continue;
		memcpy(kinds + used, quoted, strlen(quoted) + 1);
		used += strlen(quoted);
	}
	return kinds;
}
