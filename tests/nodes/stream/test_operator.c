/* SPDX-License-Identifier: MIT */
/* test_operator.c - the window operator on hand-written scripts, its bounds and seeded bugs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "operator_steps.h"
#include "stream_operator.h"

#define ROWS_OF(a) (sizeof(a) / sizeof((a)[0]))
#define NONE INT64_MIN /* the watermark before any */

enum { RECORDS_MAX = 256, SNAPSHOT_BYTES_MAX = 1 << 16 };

/* An operator's settings; zeros are defaults: tumbling, COUNT, one input, 64 entries. */
struct params {
	enum stream_window_kind kind;
	int64_t size_ms, slide_ms, offset_ms;
	enum stream_aggregate aggregate;
	int64_t lateness_ms;
	uint32_t inputs, bugs, pane_entries_max, window_entries_max;
};

static struct stream_operator *op_of(struct params p)
{
	struct stream_operator_config config = {
		.aggregate = p.aggregate,
		.lateness_ms = p.lateness_ms,
		.inputs = p.inputs ? p.inputs : 1,
		.pane_entries_max = p.pane_entries_max ? p.pane_entries_max : 64,
		.window_entries_max = p.window_entries_max ? p.window_entries_max : 64,
		.bugs = p.bugs,
	};
	struct stream_operator *op = NULL;
	struct errbuf eb = { "" };

	if (p.kind == STREAM_WINDOW_TUMBLING)
		cr_assert_eq(stream_window_tumbling_init(&config.spec, p.size_ms, p.offset_ms,
							 &eb), 0);
	else
		cr_assert_eq(stream_window_sliding_init(&config.spec, p.size_ms, p.slide_ms,
							p.offset_ms, &eb), 0);
	cr_assert_eq(stream_operator_new(&config, &op, &eb), 0, "%s", eb.msg);
	return op;
}

#define EV(in, id, k, t, v) { STEP_EVENT, in, id, k, t, v }
#define WM(in, w) { STEP_WATERMARK, in, 0, 0, w, 0 }
#define IDLE(in) { STEP_IDLE, in, 0, 0, 0, 0 }
#define ACTIVE(in) { STEP_ACTIVE, in, 0, 0, 0, 0 }

#define ON(k, s, e, v) { .kind = STREAM_OUTPUT_PANE, .key = k, .window_start_ms = s, \
	.window_end_ms = e, .value = v, .timing = STREAM_PANE_ON_TIME }
#define LATE(k, s, e, v, i) { .kind = STREAM_OUTPUT_PANE, .key = k, .window_start_ms = s, \
	.window_end_ms = e, .value = v, .timing = STREAM_PANE_LATE, .pane_index = i }
#define SIDE(id, k, t, s, e) { .kind = STREAM_OUTPUT_LATE_EVENT, .key = k, \
	.window_start_ms = s, .window_end_ms = e, .event_id = id, .time_ms = t }
#define WMARK(o, n) { .kind = STREAM_OUTPUT_WATERMARK, .watermark_old_ms = o, \
	.watermark_new_ms = n }

static struct stream_output records[RECORDS_MAX];

static struct stream_outputs outputs_empty(void)
{
	return (struct stream_outputs){ .records = records, .capacity = RECORDS_MAX };
}

static int step_run(struct stream_operator *op, const struct step *s, struct stream_outputs *out,
		    struct errbuf *eb)
{
	switch (s->kind) {
	case STEP_EVENT:
		return stream_operator_event(op, s->input, s->event_id, s->key, s->time_ms,
					     s->value, out, eb);
	case STEP_WATERMARK:
		return stream_operator_watermark(op, s->input, s->time_ms, out, eb);
	case STEP_IDLE:
	case STEP_ACTIVE:
		return stream_operator_idle(op, s->input, s->kind == STEP_IDLE, out, eb);
	}
	cr_assert_fail("step kind %d", s->kind);
	return -EINVAL;
}

static void steps_run(struct stream_operator *op, const struct step *steps, size_t count,
		      struct stream_outputs *out)
{
	for (size_t index = 0; index < count; index++) {
		struct errbuf eb = { "" };
		int err = step_run(op, &steps[index], out, &eb);

		cr_assert_eq(err, 0, "step %zu: %d %s", index, err, eb.msg);
	}
}

static void print_output(const char *what, size_t index, const struct stream_output *o)
{
	cr_log_error("%s %zu: kind %d key %" PRIu64 " [%" PRId64 ", %" PRId64 ") value %" PRId64
		     " timing %d pane %" PRIu64 " id %" PRIu64 " t %" PRId64 " wm %" PRId64
		     " -> %" PRId64, what, index, o->kind, o->key, o->window_start_ms,
		     o->window_end_ms, o->value, o->timing, o->pane_index, o->event_id, o->time_ms,
		     o->watermark_old_ms, o->watermark_new_ms);
}

static void outputs_expect(const struct stream_outputs *out, const struct stream_output *want,
			   size_t want_count, int line)
{
	bool same = out->count == want_count;

	for (size_t index = 0; same && index < want_count; index++)
		same = same_output(&out->records[index], &want[index]);
	if (same)
		return;
	for (size_t index = 0; index < out->count; index++)
		print_output("got", index, &out->records[index]);
	for (size_t index = 0; index < want_count; index++)
		print_output("want", index, &want[index]);
	cr_assert_fail("line %d: %u outputs, want %zu, or they differ", line, out->count,
		       want_count);
}

/* Run @steps on a new operator of @p and compare all its outputs with @want. */
static struct stream_operator *script_check(struct params p, const struct step *steps,
					    size_t step_count, const struct stream_output *want,
					    size_t want_count, int line)
{
	struct stream_operator *op = op_of(p);
	struct stream_outputs out = outputs_empty();

	steps_run(op, steps, step_count, &out);
	outputs_expect(&out, want, want_count, line);
	return op;
}

/* The params come last, so that a compound literal's commas pass through. */
#define SCRIPT(steps, want, ...) \
	script_check((__VA_ARGS__), steps, ROWS_OF(steps), want, ROWS_OF(want), __LINE__)

static struct stream_operator_status status_of(const struct stream_operator *op)
{
	struct stream_operator_status status;

	stream_operator_status(op, &status);
	return status;
}

Test(stream_operator, tumbling_count_fires_at_end_minus_one_with_events_out_of_order)
{
	const struct step steps[] = {
		EV(0, 1, 1, 500, 0), EV(0, 2, 1, 1500, 0), EV(0, 3, 1, 200, 0),
		EV(0, 4, 2, 999, 0), WM(0, 998), WM(0, 999), EV(0, 5, 1, 1999, 0), WM(0, 2500),
	};
	const struct stream_output want[] = {
		WMARK(NONE, 998),
		ON(1, 0, 1000, 2), ON(2, 0, 1000, 1), WMARK(998, 999),
		ON(1, 1000, 2000, 2), WMARK(999, 2500),
	};
	struct stream_operator *op = SCRIPT(steps, want, (struct params){ .size_ms = 1000 });

	cr_expect_eq(status_of(op).watermark_ms, 2500);
	cr_expect_eq(status_of(op).pane_entries, 0, "L = 0: fired windows are cleaned at once");
	cr_expect_eq(status_of(op).window_entries, 0);
	cr_expect_eq(status_of(op).events, 5);
	stream_operator_free(op);
}

Test(stream_operator, windows_with_no_events_do_not_fire)
{
	const struct step steps[] = { EV(0, 1, 7, 100, 0), EV(0, 2, 7, 5100, 0), WM(0, 10000) };
	const struct stream_output want[] = {
		ON(7, 0, 1000, 1), ON(7, 5000, 6000, 1), WMARK(NONE, 10000),
	};

	stream_operator_free(SCRIPT(steps, want, (struct params){ .size_ms = 1000 }));
}

Test(stream_operator, negative_times_fall_in_windows_before_zero)
{
	const struct step steps[] = {
		EV(0, 1, 3, -1, 0), EV(0, 2, 3, -1000, 0), EV(0, 3, 3, -1001, 0),
		WM(0, -1001), WM(0, -1),
	};
	const struct stream_output want[] = {
		ON(3, -2000, -1000, 1), WMARK(NONE, -1001), ON(3, -1000, 0, 2), WMARK(-1001, -1),
	};

	stream_operator_free(SCRIPT(steps, want, (struct params){ .size_ms = 1000 }));
}

Test(stream_operator, sliding_sum_shares_panes_across_windows)
{
	/* Size 10, slide 4, panes of 2: t=1 is in [-8,2) [-4,6) [0,10); t=5 in [-4,6) [0,10)
	 * [4,14); t=9 in [0,10) [4,14) [8,18). */
	const struct step steps[] = {
		EV(0, 1, 1, 1, 1), EV(0, 2, 1, 5, 10), EV(0, 3, 1, 9, 100), WM(0, 20),
	};
	const struct stream_output want[] = {
		ON(1, -8, 2, 1), ON(1, -4, 6, 11), ON(1, 0, 10, 111), ON(1, 4, 14, 110),
		ON(1, 8, 18, 100), WMARK(NONE, 20),
	};
	struct params p = { .kind = STREAM_WINDOW_SLIDING, .size_ms = 10, .slide_ms = 4,
			    .aggregate = STREAM_AGGREGATE_SUM };
	struct stream_operator *op = op_of(p);
	struct stream_outputs out = outputs_empty();

	steps_run(op, steps, 3, &out);
	cr_expect_eq(status_of(op).pane_entries, 3, "one pane per event");
	cr_expect_eq(status_of(op).window_entries, 5);
	steps_run(op, steps + 3, 1, &out);
	outputs_expect(&out, want, ROWS_OF(want), __LINE__);
	stream_operator_free(op);
}

Test(stream_operator, min_and_max_combine_panes)
{
	/* Size 10, slide 5: t = 1..3 are in [-5,5) [0,10); t = 6 in [0,10) [5,15); t = 12 in
	 * [5,15) [10,20). */
	const struct step steps[] = {
		EV(0, 1, 1, 1, 5), EV(0, 2, 1, 2, -3), EV(0, 3, 1, 3, 7), EV(0, 4, 1, 12, 4),
		EV(0, 5, 2, 6, INT64_MIN), WM(0, 30),
	};
	const struct stream_output want_min[] = {
		ON(1, -5, 5, -3), ON(1, 0, 10, -3), ON(2, 0, 10, INT64_MIN), ON(1, 5, 15, 4),
		ON(2, 5, 15, INT64_MIN), ON(1, 10, 20, 4), WMARK(NONE, 30),
	};
	const struct stream_output want_max[] = {
		ON(1, -5, 5, 7), ON(1, 0, 10, 7), ON(2, 0, 10, INT64_MIN), ON(1, 5, 15, 4),
		ON(2, 5, 15, INT64_MIN), ON(1, 10, 20, 4), WMARK(NONE, 30),
	};
	struct params p = { .kind = STREAM_WINDOW_SLIDING, .size_ms = 10, .slide_ms = 5 };

	p.aggregate = STREAM_AGGREGATE_MINIMUM;
	stream_operator_free(SCRIPT(steps, want_min, p));
	p.aggregate = STREAM_AGGREGATE_MAXIMUM;
	stream_operator_free(SCRIPT(steps, want_max, p));
}

Test(stream_operator, allowed_lateness_fires_late_panes_then_the_side_output)
{
	const struct step steps[] = {
		EV(0, 1, 1, 3, 0), WM(0, 9), EV(0, 2, 1, 4, 0), EV(0, 3, 1, 8, 0), WM(0, 13),
		EV(0, 4, 1, 1, 0), WM(0, 14), EV(0, 5, 1, 2, 0), EV(0, 6, 1, 15, 0),
		WM(0, INT64_MAX),
	};
	const struct stream_output want[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 9),
		LATE(1, 0, 10, 2, 1), LATE(1, 0, 10, 3, 2),
		WMARK(9, 13),
		LATE(1, 0, 10, 4, 3), /* cleanup is at 9 + 5 = 14 */
		WMARK(13, 14),
		SIDE(5, 1, 2, 0, 10),
		ON(1, 10, 20, 1), WMARK(14, INT64_MAX),
	};
	struct stream_operator *op =
		SCRIPT(steps, want, (struct params){ .size_ms = 10, .lateness_ms = 5 });

	cr_expect_eq(status_of(op).late_events, 1);
	cr_expect_eq(status_of(op).pane_entries, 0);
	stream_operator_free(op);
}

Test(stream_operator, a_window_empty_when_it_fired_starts_its_panes_at_index_0)
{
	const struct step steps[] = {
		WM(0, 29), EV(0, 1, 1, 25, 0), EV(0, 2, 1, 5, 0), EV(0, 3, 1, 26, 0),
	};
	const struct stream_output want[] = {
		WMARK(NONE, 29), LATE(1, 20, 30, 1, 0), LATE(1, 0, 10, 1, 0),
		LATE(1, 20, 30, 2, 1),
	};

	stream_operator_free(
		SCRIPT(steps, want, (struct params){ .size_ms = 10, .lateness_ms = 100 }));
}

Test(stream_operator, an_event_late_for_one_sliding_window_counts_in_the_next)
{
	const struct step steps[] = { WM(0, 9), EV(0, 1, 1, 7, 0), WM(0, 14) };
	const struct stream_output want[] = {
		WMARK(NONE, 9), SIDE(1, 1, 7, 0, 10), ON(1, 5, 15, 1), WMARK(9, 14),
	};
	struct params p = { .kind = STREAM_WINDOW_SLIDING, .size_ms = 10, .slide_ms = 5 };

	stream_operator_free(SCRIPT(steps, want, p));
}

Test(stream_operator, the_slower_input_holds_the_watermark_back)
{
	const struct step steps[] = { EV(0, 1, 1, 5, 0), WM(0, 100), WM(1, 50), WM(1, 200) };
	const struct stream_output want[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 50), WMARK(50, 100),
	};
	struct stream_operator *op =
		SCRIPT(steps, want, (struct params){ .size_ms = 10, .inputs = 2 });

	cr_expect_eq(status_of(op).input_watermark_ms[0], 100);
	cr_expect_eq(status_of(op).input_watermark_ms[1], 200);
	stream_operator_free(op);
}

Test(stream_operator, an_idle_input_is_excluded_and_comes_back_without_pulling_it_back)
{
	const struct step steps[] = {
		EV(0, 1, 1, 5, 0), WM(0, 100),
		IDLE(1),                /* 100: fires [0, 10) */
		ACTIVE(1),              /* input 1 is at NONE: the watermark stays at 100 */
		WM(0, 300),             /* min(300, NONE): no advance */
		EV(1, 2, 1, 150, 0), EV(1, 3, 1, 50, 0),
		WM(1, 200),             /* min(300, 200) */
		IDLE(0), IDLE(1),       /* every input idle: it stays */
		WM(1, 500),             /* an idle input's watermark is kept but not used */
		ACTIVE(0),              /* input 0 alone: 300 */
	};
	const struct stream_output want[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 100),
		SIDE(3, 1, 50, 50, 60),
		ON(1, 150, 160, 1), WMARK(100, 200),
		WMARK(200, 300),
	};
	struct stream_operator *op =
		SCRIPT(steps, want, (struct params){ .size_ms = 10, .inputs = 2 });

	cr_expect_eq(status_of(op).input_watermark_ms[1], 500);
	cr_expect(status_of(op).input_idle[1]);
	cr_expect_not(status_of(op).input_idle[0]);
	stream_operator_free(op);
}

Test(stream_operator, a_watermark_below_its_inputs_last_is_ignored_and_counted)
{
	const struct step steps[] = { WM(0, 100), WM(0, 50), WM(0, 100), WM(0, INT64_MIN) };
	const struct stream_output want[] = { WMARK(NONE, 100) };
	struct stream_operator *op = SCRIPT(steps, want, (struct params){ .size_ms = 10 });

	cr_expect_eq(status_of(op).watermark_regressions, 2, "equal is not a regression");
	cr_expect_eq(status_of(op).watermark_ms, 100);
	stream_operator_free(op);
}

Test(stream_operator, end_of_input_fires_and_cleans_everything)
{
	const struct step steps[] = {
		EV(0, 1, 2, -5, 0), EV(1, 2, 1, -5, 0), EV(0, 3, 1, 35, 0),
		WM(0, INT64_MAX), WM(1, INT64_MAX), EV(0, 4, 1, 36, 0),
	};
	const struct stream_output want[] = {
		ON(1, -10, 0, 1), ON(2, -10, 0, 1), ON(1, 30, 40, 1), WMARK(NONE, INT64_MAX),
		SIDE(4, 1, 36, 30, 40),
	};
	struct params p = { .size_ms = 10, .lateness_ms = 1000, .inputs = 2 };
	struct stream_operator *op = SCRIPT(steps, want, p);

	cr_expect_eq(status_of(op).pane_entries, 0);
	cr_expect_eq(status_of(op).window_entries, 0);
	stream_operator_free(op);
}

static size_t snapshot_of(struct stream_operator *op, uint8_t *buf)
{
	ssize_t size = stream_operator_snapshot(op, buf, SNAPSHOT_BYTES_MAX);

	cr_assert_gt(size, 0);
	cr_assert_leq((size_t)size, stream_operator_snapshot_size_max(op));
	return (size_t)size;
}

/* @s fails with @err and a message holding @word, and changes neither @op nor @out. */
static void step_refused(struct stream_operator *op, struct step s, struct stream_outputs *out,
			 int err, const char *word)
{
	static uint8_t before[SNAPSHOT_BYTES_MAX], after[SNAPSHOT_BYTES_MAX];
	size_t size_before = snapshot_of(op, before);
	uint32_t count = out->count;
	struct errbuf eb = { "" };

	cr_assert_eq(step_run(op, &s, out, &eb), err, "%s", eb.msg);
	cr_expect(strstr(eb.msg, word), "\"%s\" names %s", eb.msg, word);
	cr_assert_eq(out->count, count, "no output");
	cr_assert_eq(snapshot_of(op, after), size_before);
	cr_assert(memcmp(before, after, size_before) == 0, "the state is unchanged");
}

Test(stream_operator, the_entry_bounds_refuse_a_step_with_enospc_and_change_nothing)
{
	struct stream_operator *op = op_of((struct params){ .size_ms = 10, .pane_entries_max = 2 });
	struct stream_outputs out = outputs_empty();
	const struct step fill[] = { EV(0, 1, 1, 1, 0), EV(0, 2, 1, 11, 0), EV(0, 3, 1, 2, 0) };
	const struct step after[] = { WM(0, 9), EV(0, 5, 1, 21, 0) };

	steps_run(op, fill, ROWS_OF(fill), &out);
	step_refused(op, (struct step)EV(0, 4, 1, 21, 0), &out, -ENOSPC, "pane entries");
	steps_run(op, after, ROWS_OF(after), &out); /* [0, 10) is cleaned: room again */
	cr_expect_eq(status_of(op).pane_entries, 2);
	cr_expect_eq(status_of(op).events, 4);
	stream_operator_free(op);

	op = op_of((struct params){ .kind = STREAM_WINDOW_SLIDING, .size_ms = 10, .slide_ms = 5,
				    .window_entries_max = 2 });
	out = outputs_empty();
	steps_run(op, (struct step[]){ EV(0, 1, 1, 7, 0) }, 1, &out);
	step_refused(op, (struct step)EV(0, 2, 1, 12, 0), &out, -ENOSPC, "window entries");
	stream_operator_free(op);
}

Test(stream_operator, a_step_without_room_for_its_outputs_changes_nothing)
{
	struct stream_operator *op = op_of((struct params){ .kind = STREAM_WINDOW_SLIDING,
							    .size_ms = 10, .slide_ms = 5 });
	struct stream_outputs out = outputs_empty();

	steps_run(op, (struct step[]){ EV(0, 1, 1, 7, 0), EV(0, 2, 2, 7, 0) }, 2, &out);
	out.capacity = out.count + 2;
	step_refused(op, (struct step)WM(0, 9), &out, -EMSGSIZE, "room");
	cr_expect_eq(status_of(op).input_watermark_ms[0], NONE);
	out.capacity = out.count + 1;
	step_refused(op, (struct step)EV(0, 3, 1, 8, 0), &out, -EMSGSIZE, "room");
	out.capacity = RECORDS_MAX;
	steps_run(op, (struct step[]){ WM(0, 9) }, 1, &out);
	cr_expect_eq(out.count, 3);
	cr_expect_geq(stream_operator_outputs_max(op), STREAM_OPERATOR_EVENT_OUTPUTS_MAX);
	stream_operator_free(op);
}

Test(stream_operator, bad_steps_are_refused_with_einval)
{
	struct stream_operator *op = op_of((struct params){ .size_ms = 10, .inputs = 2 });
	struct stream_outputs out = outputs_empty();

	step_refused(op, (struct step)EV(2, 1, 1, 5, 0), &out, -EINVAL, "input 2");
	step_refused(op, (struct step)EV(0, 1, 1, STREAM_WINDOW_TIME_MS_MAX + 1, 0), &out,
		     -EINVAL, "time_ms");
	step_refused(op, (struct step)EV(0, 1, 1, INT64_MIN, 0), &out, -EINVAL, "time_ms");
	step_refused(op, (struct step)WM(5, 10), &out, -EINVAL, "input 5");
	step_refused(op, (struct step)IDLE(2), &out, -EINVAL, "input 2");
	stream_operator_free(op);
}

Test(stream_operator, bad_configs_are_refused_with_a_message)
{
	struct stream_operator_config good = {
		.aggregate = STREAM_AGGREGATE_SUM, .inputs = 1, .pane_entries_max = 8,
		.window_entries_max = 8,
	};
	struct stream_operator_config bad[12];
	const char *words[ROWS_OF(bad)] = {
		"panes per window", "not as", "kind", "aggregate", "lateness_ms", "lateness_ms",
		"inputs", "inputs", "pane_entries_max", "window_entries_max", "bugs", "size_ms",
	};
	struct stream_operator *op = NULL;

	cr_assert_eq(stream_window_tumbling_init(&good.spec, 10, 0, NULL), 0);
	for (size_t index = 0; index < ROWS_OF(bad); index++)
		bad[index] = good;
	/* 65 / 3: 22 windows per event, but panes of 1 ms: 65 per window. */
	cr_assert_eq(stream_window_sliding_init(&bad[0].spec, 65, 3, 0, NULL), 0);
	bad[1].spec.offset_ms = 10;
	bad[2].spec.kind = 7;
	bad[3].aggregate = 9;
	bad[4].lateness_ms = -1;
	bad[5].lateness_ms = STREAM_WINDOW_SIZE_MS_MAX + 1;
	bad[6].inputs = 0;
	bad[7].inputs = STREAM_OPERATOR_INPUTS_MAX + 1;
	bad[8].pane_entries_max = 0;
	bad[9].window_entries_max = STREAM_OPERATOR_ENTRIES_MAX + 1;
	bad[10].bugs = STREAM_BUGS_ALL + 1;
	bad[11].spec.size_ms = 0;
	for (size_t index = 0; index < ROWS_OF(bad); index++) {
		struct errbuf eb = { "" };

		cr_expect_eq(stream_operator_new(&bad[index], &op, &eb), -EINVAL, "row %zu", index);
		cr_expect(strstr(eb.msg, words[index]), "row %zu: \"%s\"", index, eb.msg);
	}
	cr_assert_eq(stream_window_sliding_init(&good.spec, 64, 3, 0, NULL), 0);
	cr_expect_eq(stream_operator_new(&good, &op, NULL), 0, "64 panes per window are fine");
	stream_operator_free(op);
	stream_operator_free(NULL);
}

/* --- seeded bugs: each deviates from the correct output in the way it names --- */

/* The same @steps with and without @bug: the correct and the buggy outputs as written. */
static void bug_check(struct params p, uint32_t bug, const struct step *steps, size_t step_count,
		      const struct stream_output *right, size_t right_count,
		      const struct stream_output *wrong, size_t wrong_count, int line)
{
	stream_operator_free(script_check(p, steps, step_count, right, right_count, line));
	p.bugs = bug;
	stream_operator_free(script_check(p, steps, step_count, wrong, wrong_count, line));
}

#define BUG_CHECK(bug, steps, right, wrong, ...) \
	bug_check((__VA_ARGS__), bug, steps, ROWS_OF(steps), right, ROWS_OF(right), wrong, \
		  ROWS_OF(wrong), __LINE__)

Test(stream_operator, bug_negative_modulo_puts_t_minus_1_in_the_window_after_it)
{
	const struct step steps[] = { EV(0, 1, 1, -1, 0), WM(0, -1), WM(0, 999) };
	const struct stream_output right[] = {
		ON(1, -1000, 0, 1), WMARK(NONE, -1), WMARK(-1, 999),
	};
	const struct stream_output wrong[] = {
		WMARK(NONE, -1), ON(1, 0, 1000, 1), WMARK(-1, 999),
	};

	BUG_CHECK(STREAM_BUG_NEGATIVE_MODULO, steps, right, wrong,
		  (struct params){ .size_ms = 1000 });
}

Test(stream_operator, bug_end_inclusive_counts_t_equal_end_and_fires_one_later)
{
	const struct step steps[] = { EV(0, 1, 1, 5, 0), EV(0, 2, 1, 10, 0), WM(0, 9),
				      WM(0, 10), WM(0, 19) };
	const struct stream_output right[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 9), WMARK(9, 10), ON(1, 10, 20, 1), WMARK(10, 19),
	};
	/* [0, 10] holds t = 5 and t = 10 and fires at 10; [10, 20] is not due at 19. */
	const struct stream_output wrong[] = {
		WMARK(NONE, 9), ON(1, 0, 10, 2), WMARK(9, 10), WMARK(10, 19),
	};

	BUG_CHECK(STREAM_BUG_END_INCLUSIVE, steps, right, wrong, (struct params){ .size_ms = 10 });
}

Test(stream_operator, bug_single_slide_leaves_the_event_out_of_its_earlier_windows)
{
	const struct step steps[] = { EV(0, 1, 1, 7, 0), EV(0, 2, 1, 3, 0), WM(0, 20) };
	const struct stream_output right[] = {
		ON(1, -5, 5, 1), ON(1, 0, 10, 2), ON(1, 5, 15, 1), WMARK(NONE, 20),
	};
	const struct stream_output wrong[] = {
		ON(1, 0, 10, 1), ON(1, 5, 15, 1), WMARK(NONE, 20),
	};
	struct params p = { .kind = STREAM_WINDOW_SLIDING, .size_ms = 10, .slide_ms = 5 };

	BUG_CHECK(STREAM_BUG_SINGLE_SLIDE, steps, right, wrong, p);
}

Test(stream_operator, bug_watermark_max_not_min_lets_the_faster_input_lead)
{
	const struct step steps[] = { EV(0, 1, 1, 5, 0), WM(0, 100), EV(1, 2, 1, 8, 0), WM(1, 50) };
	const struct stream_output right[] = { ON(1, 0, 10, 2), WMARK(NONE, 50) };
	const struct stream_output wrong[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 100), SIDE(2, 1, 8, 0, 10),
	};

	BUG_CHECK(STREAM_BUG_WATERMARK_MAX_NOT_MIN, steps, right, wrong,
		  (struct params){ .size_ms = 10, .inputs = 2 });
}

Test(stream_operator, bug_late_firing_dropped_loses_updates_within_lateness)
{
	const struct step steps[] = {
		EV(0, 1, 1, 3, 0), WM(0, 9), EV(0, 2, 1, 4, 0), WM(0, 14), EV(0, 3, 1, 5, 0),
	};
	const struct stream_output right[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 9), LATE(1, 0, 10, 2, 1), WMARK(9, 14),
		SIDE(3, 1, 5, 0, 10),
	};
	const struct stream_output wrong[] = {
		ON(1, 0, 10, 1), WMARK(NONE, 9), WMARK(9, 14), SIDE(3, 1, 5, 0, 10),
	};

	BUG_CHECK(STREAM_BUG_LATE_FIRING_DROPPED, steps, right, wrong,
		  (struct params){ .size_ms = 10, .lateness_ms = 5 });
}

/* --- snapshots --- */

static const struct step mixed_steps[] = {
	EV(0, 1, 1, 1, 1), EV(1, 2, 2, 5, 10), WM(0, 4), EV(0, 3, 1, 9, 100), IDLE(1),
	EV(0, 4, 2, -3, 1000), WM(0, 6), EV(0, 5, 1, 2, 7), WM(1, 3), ACTIVE(1), WM(1, 12),
	EV(1, 6, 1, 0, 5), WM(0, 11), EV(0, 7, 2, 13, 3), WM(1, 30), WM(0, 9), WM(0, 40),
	EV(0, 8, 1, 20, 1), WM(0, INT64_MAX), WM(1, INT64_MAX),
};

static const struct params mixed = { .kind = STREAM_WINDOW_SLIDING, .size_ms = 10,
				     .slide_ms = 4, .offset_ms = 1, .lateness_ms = 6,
				     .aggregate = STREAM_AGGREGATE_SUM, .inputs = 2 };

Test(stream_operator, a_restored_operator_continues_exactly_as_the_original)
{
	static struct stream_output tail[RECORDS_MAX];
	static uint8_t bytes[SNAPSHOT_BYTES_MAX], again[SNAPSHOT_BYTES_MAX];

	for (size_t split = 0; split <= ROWS_OF(mixed_steps); split++) {
		struct stream_operator *whole = op_of(mixed), *first = op_of(mixed);
		struct stream_operator *second = op_of(mixed);
		struct stream_outputs out = outputs_empty();
		struct stream_outputs rest = { .records = tail, .capacity = RECORDS_MAX };
		struct errbuf eb = { "" };
		size_t size, split_count;

		steps_run(first, mixed_steps, split, &out);
		steps_run(whole, mixed_steps, split, &out);
		split_count = out.count;
		size = snapshot_of(first, bytes);
		cr_assert_eq(stream_operator_restore(second, bytes, size, &eb), 0, "%s", eb.msg);
		cr_assert_eq(snapshot_of(second, again), size);
		cr_assert(memcmp(bytes, again, size) == 0, "split %zu: same bytes back", split);
		steps_run(whole, mixed_steps + split, ROWS_OF(mixed_steps) - split, &out);
		steps_run(second, mixed_steps + split, ROWS_OF(mixed_steps) - split, &rest);
		outputs_expect(&rest, out.records + split_count, out.count - split_count, __LINE__);
		cr_assert_eq(status_of(second).events, status_of(whole).events);
		cr_assert_eq(status_of(second).watermark_regressions,
			     status_of(whole).watermark_regressions);
		stream_operator_free(whole);
		stream_operator_free(first);
		stream_operator_free(second);
	}
}

/* Offsets in a snapshot of a 2-input operator (the layout of stream_operator_state.c). */
enum {
	AT_VERSION = 0,
	AT_INPUT_1_IDLE = 43 + 9 + 8,
	AT_WATERMARK = 43 + 2 * 9,
	AT_ENTRY_COUNT = 43 + 2 * 9 + 8 + 3 * 8,
	AT_ENTRIES = AT_ENTRY_COUNT + 4,
	ENTRY_BYTES = 25,
};

static void crc_again(uint8_t *bytes, size_t size)
{
	codec_put_le(bytes + size - 4, codec_crc32(bytes, size - 4), 4);
}

Test(stream_operator, corrupt_snapshots_are_refused_and_change_nothing)
{
	static uint8_t good[SNAPSHOT_BYTES_MAX], bad[SNAPSHOT_BYTES_MAX];
	static uint8_t before[SNAPSHOT_BYTES_MAX], after[SNAPSHOT_BYTES_MAX];
	struct stream_operator *source = op_of(mixed), *target = op_of(mixed);
	struct stream_outputs out = outputs_empty();
	size_t size, target_size;
	struct params other = mixed;
	struct {
		size_t size_less;       /* bytes cut off the end */
		size_t at;              /* the byte changed ... */
		uint8_t xor;            /* ... by this */
		bool crc_again;
		const char *word;
	} rows[] = {
		{ 0, 7, 0x40, false, "CRC" },
		{ 1, 0, 0, false, "CRC" },
		{ 0, AT_VERSION, 3, true, "version" },
		{ 0, AT_INPUT_1_IDLE, 2, true, "idle" },
		{ 0, AT_WATERMARK + 7, 0x40, true, "past cleanup" },    /* + 2^62 */
		{ 0, AT_ENTRY_COUNT, 1, true, "entries" },
		{ 0, AT_ENTRY_COUNT + 3, 0x80, true, "entries" },
		{ 0, AT_ENTRIES, 9, true, "kind" },
		{ 0, AT_ENTRIES + 9, 1, true, "grid" },         /* a start, off its grid */
		{ 0, AT_ENTRIES + 1, 0xff, true, "not after" }, /* a key, out of order */
	};

	steps_run(source, mixed_steps, 8, &out);
	size = snapshot_of(source, good);
	cr_assert_gt(size, AT_ENTRIES + 2 * ENTRY_BYTES, "two entries at least");
	steps_run(target, mixed_steps, 3, &out);
	target_size = snapshot_of(target, before);
	for (size_t index = 0; index < ROWS_OF(rows); index++) {
		struct errbuf eb = { "" };
		size_t bad_size = size - rows[index].size_less;

		memcpy(bad, good, size);
		bad[rows[index].at] ^= rows[index].xor;
		if (rows[index].crc_again)
			crc_again(bad, bad_size);
		cr_expect_eq(stream_operator_restore(target, bad, bad_size, &eb), -EINVAL,
			     "row %zu", index);
		cr_expect(strstr(eb.msg, rows[index].word), "row %zu: \"%s\"", index, eb.msg);
	}
	memcpy(bad, good, size);
	bad[AT_VERSION] = 1; /* the format before cells lost their counts */
	crc_again(bad, size);
	{
		struct errbuf eb = { "" };

		cr_expect_eq(stream_operator_restore(target, bad, size, &eb), -EINVAL);
		cr_expect(strstr(eb.msg, "version 1, the operator reads version 2"), "\"%s\"",
			  eb.msg);
	}
	cr_expect_eq(stream_operator_restore(target, good, 0, NULL), -EINVAL);
	cr_expect_eq(stream_operator_restore(target, good, AT_ENTRIES, NULL), -EINVAL);
	cr_assert_eq(snapshot_of(target, after), target_size);
	cr_assert(memcmp(before, after, target_size) == 0, "the target is unchanged");
	stream_operator_free(target);
	other.lateness_ms = 7;
	target = op_of(other);
	{
		struct errbuf eb = { "" };

		cr_expect_eq(stream_operator_restore(target, good, size, &eb), -EINVAL);
		cr_expect(strstr(eb.msg, "lateness_ms"), "\"%s\"", eb.msg);
	}
	cr_expect_eq(stream_operator_snapshot(source, good, AT_ENTRIES), -ENOSPC);
	stream_operator_free(target);
	stream_operator_free(source);
}

/* A cell keeps no count (its bit says it holds events), so only COUNT's value can say a
 * pane holds none: such a snapshot is refused, where a SUM of 0 is a sum. */
Test(stream_operator, a_count_pane_of_no_events_is_refused)
{
	static uint8_t good[SNAPSHOT_BYTES_MAX], bad[SNAPSHOT_BYTES_MAX];
	struct params counting = mixed;
	struct stream_outputs out = outputs_empty();
	struct stream_operator *source, *target;
	struct errbuf eb = { "" };
	size_t size;

	counting.aggregate = STREAM_AGGREGATE_COUNT;
	source = op_of(counting);
	target = op_of(counting);
	steps_run(source, mixed_steps, 8, &out);
	size = snapshot_of(source, good);
	cr_assert_gt(size, AT_ENTRIES + ENTRY_BYTES, "an entry at least");
	cr_assert_eq(good[AT_ENTRIES], 1, "the first entry is a pane");
	memcpy(bad, good, size);
	memset(bad + AT_ENTRIES + 17, 0, 8); /* its value: a count of 0 */
	crc_again(bad, size);
	cr_expect_eq(stream_operator_restore(target, bad, size, &eb), -EINVAL);
	cr_expect(strstr(eb.msg, "no events"), "\"%s\"", eb.msg);
	cr_expect_eq(stream_operator_restore(target, good, size, &eb), 0, "%s", eb.msg);
	stream_operator_free(target);
	stream_operator_free(source);
}
