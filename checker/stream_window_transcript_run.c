/* SPDX-License-Identifier: MIT */
/* stream_window_transcript_run.c - a loaded transcript as window checker input, judged, and
 * replayed through the window operator. */
#include "stream_window_transcript.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "stream_operator.h"
#include "stream_window_check.h"
#include "stream_window_transcript_internal.h"

void window_transcript_input(const struct window_transcript *t, struct window_check_input *in)
{
	ASSERT(t);
	ASSERT(in);
	*in = (struct window_check_input){
		.job = t->job,
		.events = t->event_count ? t->events : NULL,
		.event_count = t->event_count,
		.panes = t->pane_count ? t->panes : NULL,
		.pane_count = t->pane_count,
		.lates = t->late_count ? t->lates : NULL,
		.late_count = t->late_count,
		.watermarks = t->watermark_count ? t->watermarks : NULL,
		.watermark_count = t->watermark_count,
	};
}

int window_transcript_check(const struct window_transcript *t, struct check_result *result,
			    struct errbuf *eb)
{
	static const char *const models[] = { "window count", "window sum", "window min",
					      "window max" };
	struct window_check_figures figures;
	struct window_check_input in;
	int err;

	ASSERT(t);
	ASSERT(result);
	ASSERT((unsigned)t->job.aggregate < sizeof(models) / sizeof(models[0]));
	window_transcript_input(t, &in);
	result->checker = "window";
	result->model = models[t->job.aggregate];
	result->op_count = t->event_count;
	err = window_check(&in, result, &figures, eb);
	if (err) {
		errbuf_prefix(eb, err, "%s: ", t->path);
		check_result_set_unknown(result, "%s", eb ? eb->msg : "the window check failed");
	}
	return err;
}

/* --- replay --- */

/*
 * The operator being replayed, its step buffer, and the records (panes and side output)
 * emitted since the last input or watermark step, each matched to an expected one or not.
 * Invariant: pending_count <= CHK_TRANSCRIPT_RECORDS_MAX; out.count == 0 between calls.
 */
struct replay {
	const struct window_transcript *t;
	struct stream_operator *op;
	struct stream_outputs out;
	struct stream_output *pending;
	bool *matched;
	uint32_t pending_count;
	uint32_t fed_line;              /* of the step that emitted them; 0 before any */
	struct window_transcript_diff *diff;
};

static void diff_set(struct replay *r, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keep the first disagreement, as "path:line: ..." (the path's last PATH_SHOWN bytes, so the
 * message keeps room). */
static void diff_set(struct replay *r, uint32_t line, const char *fmt, ...)
{
	enum { PATH_SHOWN = 96 };
	struct window_transcript_diff *diff = r->diff;
	const char *path = r->t->path;
	size_t length = strlen(path);
	va_list ap;
	int used;

	ASSERT(!diff->differs);
	if (length > PATH_SHOWN)
		path += length - PATH_SHOWN;
	used = snprintf(diff->message, sizeof(diff->message), "%s:%" PRIu32 ": ", path, line);
	ASSERT(used > 0);
	ASSERT((size_t)used < sizeof(diff->message));
	va_start(ap, fmt);
	vsnprintf(diff->message + used, sizeof(diff->message) - (size_t)used, fmt, ap);
	va_end(ap);
	diff->differs = true;
	diff->line = line;
}

static const char *record_describe(const struct stream_output *o, char *buf, size_t size)
{
	if (o->kind == STREAM_OUTPUT_PANE)
		snprintf(buf, size, "pane {key %" PRIu64 ", [%" PRId64 ", %" PRId64 "), value %"
			 PRId64 ", %s, pane %" PRIu64 "}", o->key, o->window_start_ms,
			 o->window_end_ms, o->value,
			 o->timing == STREAM_PANE_LATE ? "late" : "on-time", o->pane_index);
	else
		snprintf(buf, size, "side-output record {id %" PRIu64 ", key %" PRIu64 ", t %"
			 PRId64 ", [%" PRId64 ", %" PRId64 ")}", o->event_id, o->key, o->time_ms,
			 o->window_start_ms, o->window_end_ms);
	return buf;
}

static bool records_equal(const struct stream_output *a, const struct stream_output *b)
{
	ASSERT(a->kind == STREAM_OUTPUT_PANE || a->kind == STREAM_OUTPUT_LATE_EVENT);
	if (a->kind != b->kind || a->key != b->key || a->window_start_ms != b->window_start_ms ||
	    a->window_end_ms != b->window_end_ms)
		return false;
	if (a->kind == STREAM_OUTPUT_PANE)
		return a->value == b->value && a->timing == b->timing &&
		       a->pane_index == b->pane_index;
	return a->event_id == b->event_id && a->time_ms == b->time_ms;
}

/* Move the step buffer's panes and side-output records to the pending ones. */
static int collect(struct replay *r, uint32_t line, struct errbuf *eb)
{
	for (uint32_t index = 0; index < r->out.count; index++) {
		const struct stream_output *o = &r->out.records[index];

		if (o->kind == STREAM_OUTPUT_WATERMARK)
			continue;
		if (r->pending_count == CHK_TRANSCRIPT_RECORDS_MAX)
			return errbuf_set(eb, -E2BIG, "%s:%" PRIu32 ": the step emitted over %d "
					  "records", r->t->path, line, CHK_TRANSCRIPT_RECORDS_MAX);
		r->matched[r->pending_count] = false;
		r->pending[r->pending_count++] = *o;
		r->diff->outputs++;
	}
	r->out.count = 0;
	return 0;
}

/* Every pending record was expected; else the first one that was not is the diff. */
static void pending_settle(struct replay *r)
{
	char what[160];

	for (uint32_t index = 0; index < r->pending_count; index++) {
		if (r->matched[index])
			continue;
		diff_set(r, r->fed_line, "the operator emitted %s after this step, and no expect "
			 "step lists it", record_describe(&r->pending[index], what, sizeof(what)));
		return;
	}
	r->pending_count = 0;
}

/* Match @expected (from the transcript's line @line) with an unmatched pending record. */
static void expected_match(struct replay *r, const struct stream_output *expected,
			   uint32_t line)
{
	const struct stream_output *other = NULL;
	char what[112], instead[112] = "";

	for (uint32_t index = 0; index < r->pending_count; index++) {
		if (r->matched[index])
			continue;
		if (records_equal(expected, &r->pending[index])) {
			r->matched[index] = true;
			return;
		}
		if (!other && r->pending[index].kind == expected->kind)
			other = &r->pending[index];
	}
	if (other)
		record_describe(other, instead, sizeof(instead));
	diff_set(r, line, "expected %s; the operator emitted no such record after line %" PRIu32
		 "%s%s", record_describe(expected, what, sizeof(what)), r->fed_line,
		 other ? ", but " : "", instead);
}

static void pane_expect(struct replay *r, uint32_t index)
{
	const struct window_check_pane *pane = &r->t->panes[index];
	struct stream_output expected = {
		.kind = STREAM_OUTPUT_PANE, .key = pane->key,
		.window_start_ms = pane->window_start_ms, .window_end_ms = pane->window_end_ms,
		.value = pane->value, .timing = pane->timing, .pane_index = pane->pane_index,
	};

	expected_match(r, &expected, r->t->pane_lines[index]);
}

static void late_expect(struct replay *r, uint32_t index)
{
	const struct window_check_late *late = &r->t->lates[index];
	struct stream_output expected = {
		.kind = STREAM_OUTPUT_LATE_EVENT, .key = late->key,
		.window_start_ms = late->window_start_ms, .window_end_ms = late->window_end_ms,
		.event_id = late->event_id, .time_ms = late->time_ms,
	};

	expected_match(r, &expected, r->t->late_lines[index]);
}

/* A watermark step: the operator's input 0; its own watermark must be the step's (the
 * input's, unless the step says `operator:`). */
static int watermark_feed(struct replay *r, const struct transcript_step *step,
			  struct errbuf *eb)
{
	struct stream_operator_status status;
	int err;

	ASSERT(step->kind == TRANSCRIPT_WATERMARK);
	err = stream_operator_watermark(r->op, 0, step->watermark_ms, &r->out, eb);
	if (!err)
		err = collect(r, step->line, eb);
	if (err)
		return err;
	stream_operator_status(r->op, &status);
	if (status.watermark_ms != step->operator_ms)
		diff_set(r, step->line, "expected the operator's watermark at %" PRId64 ", but it "
			 "is at %" PRId64, step->operator_ms, status.watermark_ms);
	return 0;
}

static int step_replay(struct replay *r, const struct transcript_step *step, struct errbuf *eb)
{
	const struct window_transcript *t = r->t;
	int err = 0;

	if (step->kind == TRANSCRIPT_INPUT || step->kind == TRANSCRIPT_WATERMARK) {
		pending_settle(r);
		if (r->diff->differs)
			return 0;
		r->fed_line = step->line;
	}
	if (step->kind == TRANSCRIPT_WATERMARK)
		return watermark_feed(r, step, eb);
	for (uint32_t index = step->first; index < step->first + step->count; index++) {
		const struct window_check_event *e = &t->events[index];

		if (r->diff->differs)
			break;
		if (step->kind == TRANSCRIPT_EXPECT) {
			pane_expect(r, index);
			continue;
		}
		if (step->kind == TRANSCRIPT_EXPECT_LATE) {
			late_expect(r, index);
			continue;
		}
		ASSERT(step->kind == TRANSCRIPT_INPUT);
		err = stream_operator_event(r->op, 0, e->id, e->key, e->time_ms, e->value, &r->out,
					    eb);
		if (!err)
			err = collect(r, t->event_lines[index], eb);
		if (err)
			return errbuf_prefix(eb, err, "%s:%" PRIu32 ": ", t->path,
					     t->event_lines[index]);
	}
	return 0;
}

static int replay_open(struct replay *r, uint32_t bugs, struct errbuf *eb)
{
	const struct window_transcript *t = r->t;
	struct stream_operator_config config = {
		.spec = t->job.spec, .aggregate = t->job.aggregate,
		.lateness_ms = t->job.lateness_ms, .inputs = 1,
		.pane_entries_max = CHK_TRANSCRIPT_REPLAY_ENTRIES_MAX,
		.window_entries_max = CHK_TRANSCRIPT_REPLAY_ENTRIES_MAX, .bugs = bugs,
	};
	int err = stream_operator_new(&config, &r->op, eb);

	if (err)
		return errbuf_prefix(eb, err, "%s: the operator refuses the job: ", t->path);
	r->out.capacity = stream_operator_outputs_max(r->op);
	r->out.records = calloc(r->out.capacity, sizeof(*r->out.records));
	r->pending = calloc(CHK_TRANSCRIPT_RECORDS_MAX, sizeof(*r->pending));
	r->matched = calloc(CHK_TRANSCRIPT_RECORDS_MAX, sizeof(*r->matched));
	if (!r->out.records || !r->pending || !r->matched)
		return errbuf_set(eb, -ENOMEM, "%s: no memory for a replay", t->path);
	return 0;
}

static void replay_close(struct replay *r)
{
	free(r->matched);
	free(r->pending);
	free(r->out.records);
	stream_operator_free(r->op);
}

int window_transcript_replay(const struct window_transcript *t, uint32_t bugs,
			     struct window_transcript_diff *diff, struct errbuf *eb)
{
	struct replay r = { .t = t, .diff = diff };
	int err;

	ASSERT(t);
	ASSERT(diff);
	memset(diff, 0, sizeof(*diff));
	err = replay_open(&r, bugs, eb);
	for (uint32_t index = 0; !err && !diff->differs && index < t->step_count; index++)
		err = step_replay(&r, &t->steps[index], eb);
	if (!err && !diff->differs)
		pending_settle(&r);
	replay_close(&r);
	if (err)
		return err;
	ASSERT(diff->differs == (diff->message[0] != '\0'));
	return 0;
}
