/* SPDX-License-Identifier: MIT */
/* test_window_check.c - the window checker on hand-made histories: for every anomaly kind one
 * that must fail naming it and a matching one that must pass; bad input refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chk_limits.h"
#include "stream_window_check.h"
#include "window_fixture.h"

#define ON_TIME STREAM_PANE_ON_TIME
#define LATE STREAM_PANE_LATE
#define OK WINDOW_CHECK_SEND_OK
#define FAIL WINDOW_CHECK_SEND_FAIL
#define INFO WINDOW_CHECK_SEND_INFO

static struct window_fixture *f;

static void fixture_free(void)
{
	window_fixture_free(f);
	f = NULL;
}

TestSuite(window_check, .fini = fixture_free);

static void expect_valid(void)
{
	cr_assert_eq(window_fixture_check(f), 0, "%s", f->error);
	cr_assert_eq(f->result.verdict, VERDICT_VALID, "kinds %s, first: %s",
		     window_fixture_kinds(f),
		     f->result.anomaly_count ? f->result.anomalies[0].message : "");
}

/* Invalid, with an anomaly of @kind whose message holds @text (NULL: any). */
static void expect_kind(const char *kind, const char *text)
{
	cr_assert_eq(window_fixture_check(f), 0, "%s", f->error);
	cr_assert_eq(f->result.verdict, VERDICT_INVALID, "expected %s", kind);
	cr_assert(window_fixture_anomaly(f, kind, text), "no %s holding '%s'; kinds %s, first: %s",
		  kind, text ? text : "", window_fixture_kinds(f), f->result.anomalies[0].message);
}

static void expect_only(const char *kind, const char *text)
{
	char expected[64];

	expect_kind(kind, text);
	snprintf(expected, sizeof(expected), "%s,", kind);
	cr_assert_str_eq(window_fixture_kinds(f), expected, "first: %s",
			 f->result.anomalies[0].message);
}

/* --- assignment: wrong-window --- */

Test(window_check, a_correct_tumbling_count_is_valid)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_send(f, 2, 1, 5, 0, OK);
	window_fixture_send(f, 3, 1, 12, 0, OK);
	window_fixture_send(f, 4, 2, 3, 0, OK)->source = 1;     /* on time at its source */
	window_fixture_pane(f, 1, 0, 2, ON_TIME, 0);
	window_fixture_pane(f, 2, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 10, 1, ON_TIME, 0);
	expect_valid();
	cr_assert_eq(f->figures.events_judged, 4);
	cr_assert_eq(f->figures.events_on_time, 4);
	cr_assert_eq(f->figures.windows_judged, 3);
	cr_assert_eq(f->figures.panes_on_time, 3);
	cr_assert(f->result.figures && strstr(f->result.figures, "windows judged 3"));
}

Test(window_check, negative_times_fall_in_windows_that_start_before_them)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_SUM);
	window_fixture_send(f, 1, 1, -3, 2, OK);
	window_fixture_send(f, 2, 1, -10, 3, OK);
	window_fixture_send(f, 3, 1, -11, 4, OK);
	window_fixture_send(f, 4, 1, -1, 1, OK);
	window_fixture_pane(f, 1, -20, 4, ON_TIME, 0);
	window_fixture_pane(f, 1, -10, 6, ON_TIME, 0);
	expect_valid();
}

Test(window_check, a_negative_offset_and_negative_times_are_valid)
{
	f = window_fixture_new(10, -7, STREAM_AGGREGATE_COUNT); /* offset 3 */
	window_fixture_send(f, 1, 1, -3, 0, OK);                /* [-7, 3) */
	window_fixture_send(f, 2, 1, 3, 0, OK);                 /* [3, 13) */
	window_fixture_pane(f, 1, -7, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 3, 1, ON_TIME, 0);
	expect_valid();
}

Test(window_check, a_c_remainder_engine_is_named_wrong_window)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, -3, 0, OK);
	window_fixture_send(f, 2, 1, 4, 0, OK);
	/* -3 - (-3 % 10) = 0: the engine put event 1 in [0, 10), after it. */
	window_fixture_pane(f, 1, 0, 2, ON_TIME, 0);
	expect_kind("wrong-window", "remainder");
	cr_assert(window_fixture_anomaly(f, "wrong-window", "ids 1)"));
	cr_assert_eq(f->figures.stalled, 1, "[-10, 0) never fired");
}

Test(window_check, the_same_events_in_their_true_windows_are_valid)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, -3, 0, OK);
	window_fixture_send(f, 2, 1, 4, 0, OK);
	window_fixture_pane(f, 1, -10, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	expect_valid();
}

Test(window_check, a_sliding_c_remainder_engine_is_named_wrong_window)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_sliding(f, 10, 5, 0);
	window_fixture_send(f, 1, 1, -3, 0, OK);        /* in [-10, 0) and [-5, 5) */
	/* A pane-sharing engine with C's %: the pane of -3 is [0, 5), in [-5, 5), [0, 10). */
	window_fixture_pane(f, 1, -5, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	expect_kind("wrong-window", "remainder");
}

Test(window_check, an_event_in_several_sliding_windows_is_valid)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_SUM);
	window_fixture_sliding(f, 10, 5, 0);
	window_fixture_send(f, 1, 1, 7, 4, OK);         /* [0, 10) and [5, 15) */
	window_fixture_send(f, 2, 1, 12, 1, OK);        /* [5, 15) and [10, 20) */
	window_fixture_pane(f, 1, 0, 4, ON_TIME, 0);
	window_fixture_pane(f, 1, 5, 5, ON_TIME, 0);
	window_fixture_pane(f, 1, 10, 1, ON_TIME, 0);
	expect_valid();
	cr_assert_eq(f->figures.windows_judged, 3);
}

Test(window_check, a_sliding_window_short_of_an_event_is_incomplete)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_SUM);
	window_fixture_sliding(f, 10, 5, 0);
	window_fixture_send(f, 1, 1, 7, 4, OK);
	window_fixture_send(f, 2, 1, 12, 1, OK);
	window_fixture_pane(f, 1, 0, 4, ON_TIME, 0);
	window_fixture_pane(f, 1, 5, 1, ON_TIME, 0);    /* event 1 only in its last window */
	window_fixture_pane(f, 1, 10, 1, ON_TIME, 0);
	expect_kind("incomplete", "key 1 window [5, 15)");
	expect_kind("lost-event", "key 1 window [5, 15)");
}

Test(window_check, an_end_inclusive_engine_is_named_wrong_window)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 3, 0, OK);
	window_fixture_send(f, 2, 1, 10, 0, OK);
	window_fixture_pane(f, 1, 0, 2, ON_TIME, 0);    /* event 2 counted in [0, 10] */
	window_fixture_pane(f, 1, 10, 1, ON_TIME, 0);
	expect_only("wrong-window", "t == end");
	cr_assert(window_fixture_anomaly(f, "wrong-window", "ids 2)"));
}

/* The same excess from an operator that restarted and read its inputs again: a replay
 * explains it first (no-barrier-alignment's double count of an event at a boundary). */
Test(window_check, a_replayed_pane_over_the_bound_is_double_count_first)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 3, 0, OK);
	window_fixture_send(f, 2, 1, 10, 0, OK);
	window_fixture_pane(f, 1, 0, 2, ON_TIME, 0)->replayed = true;
	window_fixture_pane(f, 1, 10, 1, ON_TIME, 0);
	expect_only("double-count", "over the count 1");
}

Test(window_check, an_event_at_the_end_counted_in_the_next_window_only_is_valid)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 3, 0, OK);
	window_fixture_send(f, 2, 1, 10, 0, OK);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 10, 1, ON_TIME, 0);
	expect_valid();
}

Test(window_check, a_window_off_the_grid_is_wrong_window)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 3, 0, OK);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 1, 1, ON_TIME, 0);            /* start not 0 mod 10 */
	window_fixture_pane(f, 1, 0, 1, LATE, 1)->window_end_ms = 12;   /* end != start + 10 */
	expect_only("wrong-window", "no window of the spec");
	cr_assert_eq(f->result.anomalies_total, 2);
}

Test(window_check, a_window_on_an_offset_grid_is_valid)
{
	f = window_fixture_new(10, 1, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 3, 0, OK);
	window_fixture_pane(f, 1, 1, 1, ON_TIME, 0);
	expect_valid();
}

/* --- incomplete --- */

Test(window_check, an_on_time_pane_without_an_on_time_event_is_incomplete)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.out_of_orderness_ms = 2;
	f->input.job.lateness_ms = 5;
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_send(f, 2, 1, 5, 0, OK);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 2, LATE, 1);       /* the final pane has both */
	expect_only("incomplete", "ids 1, 2)");
}

Test(window_check, an_event_late_by_the_bound_may_miss_the_on_time_pane)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.out_of_orderness_ms = 2;
	f->input.job.lateness_ms = 30;
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_send(f, 2, 1, 20, 0, OK);
	window_fixture_send(f, 3, 1, 5, 0, OK);         /* 5 <= 20 - 2: late by the bound */
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 20, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 2, LATE, 1);
	expect_valid();
	cr_assert_eq(f->figures.events_on_time, 2);
	cr_assert_eq(f->figures.events_late, 1);
	cr_assert_eq(f->figures.panes_late, 1);
}

Test(window_check, a_concurrent_send_may_have_made_an_event_late)
{
	struct window_check_event *e, *g;

	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.out_of_orderness_ms = 2;
	f->input.job.lateness_ms = 30;
	e = window_fixture_send(f, 1, 1, 5, 0, OK);
	g = window_fixture_send(f, 2, 1, 30, 0, OK);
	g->invoke_position = 1;         /* invoked while event 1 was in flight */
	g->complete_position = 2;
	e->complete_position = 3;
	window_fixture_pane(f, 1, 30, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 1, LATE, 0);       /* fired empty, then event 1 came */
	expect_valid();
	cr_assert_eq(f->figures.events_late, 1);
}

Test(window_check, a_failed_send_does_not_make_an_event_late)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.out_of_orderness_ms = 2;
	f->input.job.lateness_ms = 30;
	window_fixture_send(f, 1, 1, 30, 0, FAIL);
	window_fixture_send(f, 2, 1, 5, 0, OK);
	window_fixture_pane(f, 1, 0, 1, LATE, 0);
	expect_only("incomplete", "without an ON_TIME pane");
}

Test(window_check, another_source_does_not_make_an_event_late)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.out_of_orderness_ms = 2;
	window_fixture_send(f, 1, 1, 30, 0, OK)->source = 1;
	window_fixture_send(f, 2, 1, 5, 0, OK);
	window_fixture_pane(f, 1, 30, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 0, ON_TIME, 0);
	expect_kind("incomplete", "ids 2)");
}

Test(window_check, info_events_may_be_counted_or_not)
{
	for (int64_t count = 1; count <= 3; count++) {
		f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
		window_fixture_send(f, 1, 1, 1, 0, OK);
		window_fixture_send(f, 2, 1, 2, 0, INFO);
		window_fixture_pane(f, 1, 0, count, ON_TIME, 0);
		if (count < 3)
			expect_valid();
		else
			expect_only("double-count", "count 3 is over the count 2");
		cr_assert_eq(f->figures.events_info, 1);
		fixture_free();
	}
}

Test(window_check, a_sum_no_set_of_events_gives_is_a_wrong_value)
{
	static const int64_t sums[] = { 5, 8, 9, 12, 10, 4 };

	for (size_t index = 0; index < ARRAY_SIZE(sums); index++) {
		f = window_fixture_new(10, 0, STREAM_AGGREGATE_SUM);
		window_fixture_send(f, 1, 1, 1, 5, OK);
		window_fixture_send(f, 2, 1, 2, 3, INFO);
		window_fixture_send(f, 3, 1, 3, 4, INFO);
		window_fixture_pane(f, 1, 0, sums[index], ON_TIME, 0);
		if (sums[index] == 10)
			expect_only("wrong-value", "sum 10");
		else if (sums[index] == 4)
			expect_kind("incomplete", "sum 4 is below the sum 5");
		else
			expect_valid();
		fixture_free();
	}
}

Test(window_check, a_min_above_an_on_time_event_is_incomplete)
{
	static const int64_t mins[] = { 2, 5, 7, 3 };

	for (size_t index = 0; index < ARRAY_SIZE(mins); index++) {
		f = window_fixture_new(10, 0, STREAM_AGGREGATE_MINIMUM);
		window_fixture_send(f, 1, 1, 1, 5, OK);
		window_fixture_send(f, 2, 1, 2, 2, INFO);
		window_fixture_send(f, 3, 1, 3, 9, OK);
		window_fixture_pane(f, 1, 0, mins[index], ON_TIME, 0);
		if (mins[index] == 7)
			expect_kind("incomplete", "min 7 is above the min 5 of the 2 acknowledged "
				    "events on time by the bound; left out (ids 1)");
		else if (mins[index] == 3)
			expect_only("wrong-value", "min 3");
		else
			expect_valid();
		fixture_free();
	}
}

Test(window_check, a_max_below_an_on_time_event_is_incomplete)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_MAXIMUM);
	window_fixture_send(f, 1, 1, 1, 5, OK);
	window_fixture_send(f, 2, 1, 2, 9, OK);
	window_fixture_pane(f, 1, 0, 5, ON_TIME, 0);
	expect_kind("incomplete", "max 5 is below the max 9");
	fixture_free();
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_MAXIMUM);
	window_fixture_send(f, 1, 1, 1, 5, OK);
	window_fixture_send(f, 2, 1, 2, 9, INFO);
	window_fixture_pane(f, 1, 0, 5, ON_TIME, 0);
	expect_valid();
}

/* --- lost-event, side output, stalled --- */

/* Event 3 comes after [0, 10) fired (5 <= 20: late by the bound B = 0), within lateness. */
static void late_event_history(void)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.lateness_ms = 5;
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_send(f, 2, 1, 20, 0, OK);
	window_fixture_send(f, 3, 1, 3, 0, OK);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 20, 1, ON_TIME, 0);
}

Test(window_check, an_acknowledged_event_in_no_final_pane_is_lost)
{
	late_event_history();
	expect_only("lost-event", "(final): count 1 is below the count 2");
	cr_assert(window_fixture_anomaly(f, "lost-event", "ids 1, 3)"));
	cr_assert_eq(f->result.anomalies[0].op_count, 2);
	cr_assert_eq(f->result.anomalies[0].ops[1], 4, "event 3's invoke position");
}

Test(window_check, a_late_pane_supersedes_the_on_time_value)
{
	late_event_history();
	window_fixture_pane(f, 1, 0, 2, LATE, 1);
	expect_valid();
}

Test(window_check, an_event_in_the_side_output_is_not_lost)
{
	late_event_history();
	window_fixture_late(f, 3, 1, 3, 0);
	expect_valid();
	cr_assert_eq(f->figures.side_outputs, 1);
}

Test(window_check, lost_events_are_judged_only_after_end_of_input)
{
	late_event_history();
	f->input.job.end_of_input = false;
	expect_valid();
}

Test(window_check, a_side_output_for_an_event_never_accepted_is_wrong_window)
{
	late_event_history();
	window_fixture_pane(f, 1, 0, 2, LATE, 1);
	window_fixture_late(f, 9, 1, 3, 0);
	expect_only("wrong-window", "event id 9, which was never sent");
}

Test(window_check, a_side_output_outside_the_event_window_is_wrong_window)
{
	late_event_history();
	window_fixture_late(f, 3, 1, 3, 10);
	expect_kind("wrong-window", "outside the window");
	expect_kind("lost-event", "ids 1, 3)");
}

Test(window_check, a_window_that_never_fired_is_stalled_not_invalid)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 7, 1, 0, OK);
	window_fixture_send(f, 2, 7, 12, 0, OK);
	window_fixture_pane(f, 7, 10, 1, ON_TIME, 0);
	expect_valid();
	cr_assert_eq(f->figures.stalled, 1);
	cr_assert_eq(f->figures.stalled_listed, 1);
	cr_assert_eq(f->figures.stalled_first[0].key, 7);
	cr_assert_eq(f->figures.stalled_first[0].window_start_ms, 0);
	cr_assert(strstr(f->result.figures, "stalled: key 7 window [0, 10)"));
}

Test(window_check, a_window_that_fired_by_the_evidence_without_a_pane_lost_its_events)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 7, 1, 0, OK);
	window_fixture_watermark(f, 0, 0, INT64_MAX, false);
	window_fixture_watermark(f, 0, -1, INT64_MAX, false);
	expect_only("lost-event", "no pane, though every operator's watermark reached");
	cr_assert_eq(f->figures.stalled, 0);
}

Test(window_check, no_pane_before_end_of_input_is_not_judged)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.end_of_input = false;
	window_fixture_send(f, 1, 7, 1, 0, OK);
	expect_valid();
	cr_assert_eq(f->figures.windows_unfired, 1);
	cr_assert_eq(f->figures.stalled, 0);
}

/* --- double-count and duplicate-pane --- */

static void two_events_counted_three_times(void)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_send(f, 2, 1, 2, 0, OK);
	window_fixture_pane(f, 1, 0, 3, ON_TIME, 0);
}

Test(window_check, a_count_over_the_events_is_double_count_under_exactly_once)
{
	two_events_counted_three_times();
	expect_only("double-count", "ids 1, 2)");
}

Test(window_check, a_count_over_the_events_is_only_counted_under_at_least_once)
{
	two_events_counted_three_times();
	f->input.job.guarantee = WINDOW_CHECK_AT_LEAST_ONCE;
	expect_valid();
	cr_assert_eq(f->figures.panes_over, 1);
	cr_assert_eq(f->figures.panes_over_excess, 1);
}

Test(window_check, a_failed_send_counted_is_double_count)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_SUM);
	window_fixture_send(f, 1, 1, 1, 4, OK);
	window_fixture_send(f, 2, 1, 2, 6, FAIL);
	window_fixture_pane(f, 1, 0, 10, ON_TIME, 0);
	expect_only("double-count", "sum 10 is over the sum 4");
	cr_assert_eq(f->figures.events_failed, 1);
}

Test(window_check, a_pane_replayed_with_another_value_is_duplicate_pane)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_send(f, 2, 1, 2, 0, INFO);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 2, ON_TIME, 0);
	expect_only("duplicate-pane", "ON_TIME pane 0 = 1 at position 0, then ON_TIME pane 0 = 2");
	f->input.job.guarantee = WINDOW_CHECK_AT_LEAST_ONCE;
	expect_valid();
	cr_assert_eq(f->figures.pane_replays_differing, 1);
}

Test(window_check, a_pane_replayed_with_its_value_is_counted)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	expect_valid();
	cr_assert_eq(f->figures.pane_replays, 1);
}

Test(window_check, two_on_time_panes_are_duplicate_pane)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 1, 0, OK);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	window_fixture_pane(f, 1, 0, 1, ON_TIME, 1);
	expect_only("duplicate-pane", NULL);
}

/* --- premature and watermark-regress --- */

Test(window_check, a_pane_before_the_watermark_passed_end_is_premature)
{
	struct window_check_pane *p;

	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 1, 1, 0, OK);
	p = window_fixture_pane(f, 1, 0, 1, ON_TIME, 0);
	p->watermark_known = true;
	p->watermark_ms = 8;
	expect_only("premature", "emitted at watermark 8, before end - 1 = 9");
	p->watermark_ms = 9;
	expect_valid();
}

Test(window_check, an_operator_watermark_going_back_is_a_regress)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_watermark(f, 3, 0, 10, false);
	window_fixture_watermark(f, 3, -1, 10, false);
	window_fixture_watermark(f, 3, -1, 8, false);
	expect_only("watermark-regress",
		    "operator 3 incarnation 0: its watermark went back from 10 to 8");
}

Test(window_check, an_operator_watermark_past_an_input_is_a_regress_unless_idle)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_watermark(f, 0, 0, 10, false);
	window_fixture_watermark(f, 0, 1, 5, false);
	window_fixture_watermark(f, 0, -1, 10, false);
	expect_only("watermark-regress", "past the minimum of its active inputs', 5 (input 1)");
	f->watermarks[1].idle = true;
	expect_valid();
	f->watermarks[1].idle = false;
	f->watermarks[2].watermark_ms = 5;
	expect_valid();
}

Test(window_check, evidence_is_judged_per_operator_in_position_order)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_watermark(f, 1, -1, 20, false);
	window_fixture_watermark(f, 2, -1, 5, false);   /* another operator: no regress */
	window_fixture_watermark(f, 1, -1, 30, false);
	f->watermarks[0].position = 9;                  /* operator 1 saw 30, then 20 */
	expect_only("watermark-regress", "went back from 30 to 20 at evidence position 9");
}

Test(window_check, a_restart_may_go_back_but_not_within_its_incarnation)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_watermark(f, 2, -1, 30, false);
	window_fixture_watermark(f, 2, -1, 20, false);  /* restored from a checkpoint */
	window_fixture_watermark(f, 2, -1, 25, false);
	f->watermarks[1].incarnation = 1;
	f->watermarks[2].incarnation = 1;
	expect_valid();
	f->watermarks[2].watermark_ms = 15;
	expect_only("watermark-regress", "operator 2 incarnation 1: its watermark went back from "
		    "20 to 15 at evidence position 2");
}

/* The fired rule reads an operator's latest incarnation: what an earlier one reached may
 * never have been committed. */
Test(window_check, only_the_latest_incarnation_says_a_window_fired)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_send(f, 1, 7, 1, 0, OK);
	window_fixture_watermark(f, 0, -1, 20, false);
	window_fixture_watermark(f, 0, -1, 5, false);
	f->watermarks[1].incarnation = 1;
	expect_valid();
	cr_assert_eq(f->figures.stalled, 1);
	f->watermarks[0].watermark_ms = 5;
	f->watermarks[1].watermark_ms = 20;
	expect_only("lost-event", "no pane, though every operator's watermark reached 20");
	window_fixture_watermark(f, 1, -1, 8, false);   /* another operator, behind */
	expect_valid();
	cr_assert_eq(f->figures.stalled, 1);
}

Test(window_check, one_position_twice_in_one_incarnation_is_refused)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	window_fixture_watermark(f, 4, -1, 1, false);
	window_fixture_watermark(f, 4, -1, 2, false);
	f->watermarks[1].position = f->watermarks[0].position;
	cr_assert_eq(window_fixture_check(f), -EINVAL);
	cr_assert(strstr(f->error, "operator 4 incarnation 0 has two observations"), "%s",
		  f->error);
	f->watermarks[1].incarnation = 1;
	expect_valid();
}

/* --- bad input --- */

static void expect_error(int err, const char *text)
{
	cr_assert_eq(window_fixture_check(f), err, "%s", f->error);
	cr_assert(strstr(f->error, text), "%s", f->error);
	cr_assert_eq(f->result.verdict, VERDICT_VALID);
	cr_assert_eq(f->result.anomalies_total, 0);
	cr_assert_null(f->result.figures);
}

Test(window_check, bad_records_are_refused_with_their_field)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_SUM);
	window_fixture_pane(f, 1, 0, 3, ON_TIME, 0);    /* would be an anomaly */
	window_fixture_send(f, 1, 1, 1, -1, OK);
	expect_error(-EINVAL, "value -1");
	f->events[0].value = 1;
	window_fixture_send(f, 1, 1, 2, 1, OK);
	expect_error(-EINVAL, "both have id 1");
	f->events[1].id = 2;
	f->events[1].complete_position = WINDOW_CHECK_POSITION_NONE;
	expect_error(-EINVAL, "ok or fail without a completion");
	f->events[1].complete_position = f->events[1].invoke_position;
	expect_error(-EINVAL, "not after its invoke");
	f->events[1].complete_position = 99;
	f->events[1].time_ms = STREAM_WINDOW_TIME_MS_MAX + 1;
	expect_error(-EINVAL, "time_ms");
	f->events[1].time_ms = 2;
	window_fixture_watermark(f, 0, 64, 1, false);
	expect_error(-EINVAL, "input 64");
	f->watermarks[0].input = 0;
	window_fixture_watermark(f, 0, 0, 1, false);
	f->watermarks[1].position = f->watermarks[0].position;
	expect_error(-EINVAL, "two observations at position");
	f->input.watermark_count = 0;
	f->panes[0].timing = 0;
	expect_error(-EINVAL, "timing 0");
}

Test(window_check, a_bad_declaration_is_refused)
{
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.job.spec.c_remainder = true;
	expect_error(-EINVAL, "c_remainder");
	f->input.job.spec.c_remainder = false;
	f->input.job.out_of_orderness_ms = -1;
	expect_error(-EINVAL, "out_of_orderness_ms -1");
	f->input.job.out_of_orderness_ms = 0;
	f->input.job.guarantee = 0;
	expect_error(-EINVAL, "guarantee");
	f->input.job.guarantee = WINDOW_CHECK_EXACTLY_ONCE;
	f->input.job.spec.pane_ms = 5;
	expect_error(-EINVAL, "not as stream_window_*_init() makes it");
}

Test(window_check, bounds_give_e2big)
{
	struct window_check_event *events = calloc(CHK_WINDOW_EVENTS_MAX + 1, sizeof(*events));
	uint32_t count = CHK_WINDOW_MEMBERSHIPS_MAX / 64 + 1;

	cr_assert(events);
	f = window_fixture_new(10, 0, STREAM_AGGREGATE_COUNT);
	f->input.events = events;
	for (uint32_t index = 0; index <= CHK_WINDOW_EVENTS_MAX; index++)
		events[index] = (struct window_check_event){ .id = index, .outcome = OK,
			.invoke_position = 2 * index, .complete_position = 2 * index + 1 };
	f->input.event_count = CHK_WINDOW_EVENTS_MAX + 1;
	expect_error(-E2BIG, "events:");
	/* 63 windows an event, and the end-inclusive one (slide 1: every t is an end): just
	 * past the (event, window) pairs bound. */
	window_fixture_sliding(f, 63, 1, 0);
	cr_assert_leq(count, CHK_WINDOW_EVENTS_MAX);
	f->input.event_count = count;
	expect_error(-E2BIG, "(event, window) pairs");
	f->input.event_count = count - 1;
	cr_assert_eq(window_fixture_check(f), 0, "%s", f->error);
	free(events);
}
