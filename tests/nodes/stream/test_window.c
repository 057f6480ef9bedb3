/* SPDX-License-Identifier: MIT */
/* test_window.c - window assignment and panes: hand-written tables and a naive scan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "errbuf.h"
#include "stream_window.h"

#define ROWS_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { ROW_STARTS_MAX = 4 };

/* One hand-computed row: the event at time_ms falls in exactly the windows in starts. */
struct assign_row {
	enum stream_window_kind kind;
	int64_t time_ms;
	int64_t size_ms;
	int64_t slide_ms; /* ignored when tumbling */
	int64_t offset_ms;
	uint32_t count;
	int64_t starts[ROW_STARTS_MAX];
};

#define TUMBLING STREAM_WINDOW_TUMBLING
#define SLIDING STREAM_WINDOW_SLIDING
#define T60 STREAM_WINDOW_TIME_MS_MAX

static const struct assign_row assign_rows[] = {
	/* Tumbling 1000 at offset 0: negative times and both boundaries. */
	{ TUMBLING, 0, 1000, 0, 0, 1, { 0 } },
	{ TUMBLING, 1, 1000, 0, 0, 1, { 0 } },
	{ TUMBLING, 999, 1000, 0, 0, 1, { 0 } },
	{ TUMBLING, 1000, 1000, 0, 0, 1, { 1000 } },
	{ TUMBLING, -1, 1000, 0, 0, 1, { -1000 } },
	{ TUMBLING, -999, 1000, 0, 0, 1, { -1000 } },
	{ TUMBLING, -1000, 1000, 0, 0, 1, { -1000 } },
	{ TUMBLING, -1001, 1000, 0, 0, 1, { -2000 } },
	/* Offset 100: times before the offset belong to [-900, 100). */
	{ TUMBLING, 50, 1000, 0, 100, 1, { -900 } },
	{ TUMBLING, 99, 1000, 0, 100, 1, { -900 } },
	{ TUMBLING, 100, 1000, 0, 100, 1, { 100 } },
	{ TUMBLING, 1099, 1000, 0, 100, 1, { 100 } },
	{ TUMBLING, 1100, 1000, 0, 100, 1, { 1100 } },
	/* Offsets beyond the size or negative are the same as their mod: 2100 is 100. */
	{ TUMBLING, 50, 1000, 0, 2100, 1, { -900 } },
	{ TUMBLING, 100, 1000, 0, 2100, 1, { 100 } },
	/* -100 and -2100 are 900: windows [-100, 900), [900, 1900), [-1100, -100). */
	{ TUMBLING, 0, 1000, 0, -100, 1, { -100 } },
	{ TUMBLING, 899, 1000, 0, -100, 1, { -100 } },
	{ TUMBLING, 900, 1000, 0, -100, 1, { 900 } },
	{ TUMBLING, -101, 1000, 0, -100, 1, { -1100 } },
	{ TUMBLING, -100, 1000, 0, -100, 1, { -100 } },
	{ TUMBLING, -1, 1000, 0, -2100, 1, { -100 } },
	/* INT64_MIN = -9223372036854776 * 1000 + 192; INT64_MAX = ... * 1000 + 807. */
	{ TUMBLING, 0, 1000, 0, INT64_MIN, 1, { -808 } },
	{ TUMBLING, 192, 1000, 0, INT64_MIN, 1, { 192 } },
	{ TUMBLING, 0, 1000, 0, INT64_MAX, 1, { -193 } },
	/* Size 1: every millisecond is its own window. */
	{ TUMBLING, -7, 1, 0, 0, 1, { -7 } },
	{ TUMBLING, 7, 1, 0, 5, 1, { 7 } },
	/* The bounds: |t| = 2^60 with size 2^60. */
	{ TUMBLING, T60, T60, 0, 0, 1, { T60 } },
	{ TUMBLING, T60 - 1, T60, 0, 0, 1, { 0 } },
	{ TUMBLING, -T60, T60, 0, 0, 1, { -T60 } },
	{ TUMBLING, -T60 + 1, T60, 0, 0, 1, { -T60 } },
	/* Sliding 1000 / 500: the slide divides the size, always 2 windows. */
	{ SLIDING, 0, 1000, 500, 0, 2, { -500, 0 } },
	{ SLIDING, 499, 1000, 500, 0, 2, { -500, 0 } },
	{ SLIDING, 500, 1000, 500, 0, 2, { 0, 500 } },
	{ SLIDING, -1, 1000, 500, 0, 2, { -1000, -500 } },
	{ SLIDING, -1000, 1000, 500, 0, 2, { -1500, -1000 } },
	{ SLIDING, -1001, 1000, 500, 0, 2, { -2000, -1500 } },
	/* Sliding 10 / 4: 2 or 3 windows depending on t (starts 4k in (t - 10, t]). */
	{ SLIDING, 0, 10, 4, 0, 3, { -8, -4, 0 } },
	{ SLIDING, 1, 10, 4, 0, 3, { -8, -4, 0 } },
	{ SLIDING, 2, 10, 4, 0, 2, { -4, 0 } },
	{ SLIDING, 3, 10, 4, 0, 2, { -4, 0 } },
	{ SLIDING, 4, 10, 4, 0, 3, { -4, 0, 4 } },
	{ SLIDING, -1, 10, 4, 0, 2, { -8, -4 } },
	{ SLIDING, -2, 10, 4, 0, 2, { -8, -4 } },
	{ SLIDING, -3, 10, 4, 0, 3, { -12, -8, -4 } },
	{ SLIDING, -4, 10, 4, 0, 3, { -12, -8, -4 } },
	/* Offset 1, also written -7 and 9: starts 4k + 1. */
	{ SLIDING, 0, 10, 4, 1, 2, { -7, -3 } },
	{ SLIDING, 1, 10, 4, 1, 3, { -7, -3, 1 } },
	{ SLIDING, 0, 10, 4, -7, 2, { -7, -3 } },
	{ SLIDING, 0, 10, 4, 9, 2, { -7, -3 } },
	/* Sliding 1000 / 300: 4 or 3 windows. */
	{ SLIDING, 0, 1000, 300, 0, 4, { -900, -600, -300, 0 } },
	{ SLIDING, 99, 1000, 300, 0, 4, { -900, -600, -300, 0 } },
	{ SLIDING, 100, 1000, 300, 0, 3, { -600, -300, 0 } },
	/* Slide 5 > size 3: windows [5k, 5k + 3) leave gaps. */
	{ SLIDING, 0, 3, 5, 0, 1, { 0 } },
	{ SLIDING, 2, 3, 5, 0, 1, { 0 } },
	{ SLIDING, 3, 3, 5, 0, 0, { 0 } },
	{ SLIDING, 4, 3, 5, 0, 0, { 0 } },
	{ SLIDING, 5, 3, 5, 0, 1, { 5 } },
	{ SLIDING, -1, 3, 5, 0, 0, { 0 } },
	{ SLIDING, -2, 3, 5, 0, 0, { 0 } },
	{ SLIDING, -3, 3, 5, 0, 1, { -5 } },
	/* Slide == size: tumbling. */
	{ SLIDING, -1, 1000, 1000, 0, 1, { -1000 } },
	{ SLIDING, 0, 1000, 1000, 0, 1, { 0 } },
	{ SLIDING, 50, 1000, 1000, 100, 1, { -900 } },
	/* The bounds: size 2^60, slide 2^59 at t = -2^60; starts in (-2^61, -2^60]. */
	{ SLIDING, -T60, T60, T60 / 2, 0, 2, { -3 * (T60 / 2), -T60 } },
	{ SLIDING, T60, T60, T60 / 2, 0, 2, { T60 / 2, T60 } },
};

static void spec_of(struct stream_window_spec *w, enum stream_window_kind kind, int64_t size_ms,
		    int64_t slide_ms, int64_t offset_ms)
{
	struct errbuf eb = { "" };
	int err;

	if (kind == STREAM_WINDOW_TUMBLING)
		err = stream_window_tumbling_init(w, size_ms, offset_ms, &eb);
	else
		err = stream_window_sliding_init(w, size_ms, slide_ms, offset_ms, &eb);
	cr_assert_eq(err, 0, "spec %" PRId64 "/%" PRId64 "/%" PRId64 ": %s", size_ms, slide_ms,
		     offset_ms, eb.msg);
}

Test(stream_window, assigns_the_hand_written_windows)
{
	for (size_t row_index = 0; row_index < ROWS_OF(assign_rows); row_index++) {
		const struct assign_row *row = &assign_rows[row_index];
		int64_t starts[STREAM_WINDOW_ASSIGN_MAX];
		struct stream_window_spec w;
		uint32_t count;

		spec_of(&w, row->kind, row->size_ms, row->slide_ms, row->offset_ms);
		count = stream_window_assign(&w, row->time_ms, starts, STREAM_WINDOW_ASSIGN_MAX);
		cr_assert_eq(count, row->count, "row %zu: t=%" PRId64 ": %u windows, want %u",
			     row_index, row->time_ms, count, row->count);
		for (uint32_t i = 0; i < count; i++)
			cr_assert_eq(starts[i], row->starts[i],
				     "row %zu: t=%" PRId64 ": start %u is %" PRId64
				     ", want %" PRId64, row_index, row->time_ms, i, starts[i],
				     row->starts[i]);
	}
}

Test(stream_window, ends_are_start_plus_size_and_max_timestamp_is_end_minus_one)
{
	struct stream_window_spec w;

	spec_of(&w, STREAM_WINDOW_SLIDING, 10, 4, 1);
	cr_expect_eq(stream_window_end(&w, -7), 3);
	cr_expect_eq(stream_window_end(&w, 5), 15);
	spec_of(&w, STREAM_WINDOW_TUMBLING, 1000, 0, 0);
	cr_expect_eq(stream_window_end(&w, -1000), 0);
	cr_expect_eq(stream_window_last_start(&w, -1), -1000);
	spec_of(&w, STREAM_WINDOW_SLIDING, T60, T60 / 2, 0);
	cr_expect_eq(stream_window_end(&w, -3 * (T60 / 2)), -(T60 / 2));
	cr_expect_eq(stream_window_end(&w, T60), 2 * T60);
}

Test(stream_window, mod_is_never_negative)
{
	cr_expect_eq(stream_window_mod(-1, 1000), 999);
	cr_expect_eq(stream_window_mod(-1000, 1000), 0);
	cr_expect_eq(stream_window_mod(-1001, 1000), 999);
	cr_expect_eq(stream_window_mod(1001, 1000), 1);
	cr_expect_eq(stream_window_mod(0, 1), 0);
	cr_expect_eq(stream_window_mod(INT64_MIN, 1000), 192);
	cr_expect_eq(stream_window_mod(INT64_MAX, 1000), 807);
	cr_expect_eq(stream_window_mod(INT64_MIN, INT64_MAX), INT64_MAX - 1);
}

/* The naive oracle: every s = O (mod L) in a wide range, kept if s <= t < s + S. */
enum { NAIVE_STARTS_MAX = 64, SCAN_MS = 100 };

static int64_t naive_mod(int64_t a, int64_t m)
{
	return ((a % m) + m) % m;
}

static uint32_t naive_assign(int64_t t, int64_t size, int64_t slide, int64_t offset,
			     int64_t *starts)
{
	uint32_t count = 0;

	for (int64_t s = -2 * SCAN_MS; s <= 2 * SCAN_MS; s++) {
		if (naive_mod(s - offset, slide) != 0 || s > t || t >= s + size)
			continue;
		cr_assert_lt(count, NAIVE_STARTS_MAX);
		starts[count++] = s;
	}
	return count;
}

static void expect_same_starts(const int64_t *got, uint32_t got_count, const int64_t *want,
			       uint32_t want_count, const char *what, int64_t t, int64_t size,
			       int64_t slide, int64_t offset)
{
	cr_assert_eq(got_count, want_count,
		     "%s t=%" PRId64 " S=%" PRId64 " L=%" PRId64 " O=%" PRId64 ": %u, want %u",
		     what, t, size, slide, offset, got_count, want_count);
	for (uint32_t i = 0; i < want_count; i++)
		cr_assert_eq(got[i], want[i], "%s t=%" PRId64 " S=%" PRId64 " L=%" PRId64
			     " O=%" PRId64 ": start %u", what, t, size, slide, offset, i);
}

Test(stream_window, sliding_agrees_with_a_naive_scan)
{
	uint64_t checked = 0, empty = 0;

	for (int64_t size = 1; size <= 12; size++) {
		for (int64_t slide = 1; slide <= 12; slide++) {
			for (int64_t offset = -15; offset <= 15; offset++) {
				struct stream_window_spec w;

				spec_of(&w, STREAM_WINDOW_SLIDING, size, slide, offset);
				for (int64_t t = -40; t <= 40; t++) {
					int64_t got[STREAM_WINDOW_ASSIGN_MAX];
					int64_t want[NAIVE_STARTS_MAX];
					uint32_t got_count, want_count;

					got_count = stream_window_assign(&w, t, got,
									 STREAM_WINDOW_ASSIGN_MAX);
					want_count = naive_assign(t, size, slide, offset, want);
					expect_same_starts(got, got_count, want, want_count,
							   "sliding", t, size, slide, offset);
					checked++;
					empty += want_count == 0;
				}
			}
		}
	}
	cr_expect_eq(checked, 12 * 12 * 31 * 81);
	cr_expect_gt(empty, 0, "slides above the size leave some events in no window");
}

Test(stream_window, tumbling_agrees_with_a_naive_scan_and_with_slide_equal_to_size)
{
	for (int64_t size = 1; size <= 12; size++) {
		for (int64_t offset = -30; offset <= 30; offset++) {
			struct stream_window_spec tumbling, sliding;

			spec_of(&tumbling, STREAM_WINDOW_TUMBLING, size, 0, offset);
			spec_of(&sliding, STREAM_WINDOW_SLIDING, size, size, offset);
			for (int64_t t = -40; t <= 40; t++) {
				int64_t got[STREAM_WINDOW_ASSIGN_MAX];
				int64_t same[STREAM_WINDOW_ASSIGN_MAX];
				int64_t want[NAIVE_STARTS_MAX];
				uint32_t got_count, same_count, want_count;

				got_count = stream_window_assign(&tumbling, t, got,
								 STREAM_WINDOW_ASSIGN_MAX);
				same_count = stream_window_assign(&sliding, t, same,
								  STREAM_WINDOW_ASSIGN_MAX);
				want_count = naive_assign(t, size, size, offset, want);
				cr_assert_eq(want_count, 1);
				expect_same_starts(got, got_count, want, want_count, "tumbling", t,
						   size, size, offset);
				expect_same_starts(same, same_count, want, want_count, "slide=size",
						   t, size, size, offset);
				cr_expect_eq(stream_window_last_start(&tumbling, t), want[0]);
			}
		}
	}
}

Test(stream_window, pane_size_is_the_gcd_of_size_and_slide)
{
	static const struct {
		enum stream_window_kind kind;
		int64_t size_ms, slide_ms, pane_ms;
		uint64_t panes_per_window;
	} rows[] = {
		{ STREAM_WINDOW_TUMBLING, 5, 0, 5, 1 },
		{ STREAM_WINDOW_SLIDING, 10, 4, 2, 5 },
		{ STREAM_WINDOW_SLIDING, 12, 8, 4, 3 },
		{ STREAM_WINDOW_SLIDING, 7, 3, 1, 7 },
		{ STREAM_WINDOW_SLIDING, 6, 6, 6, 1 },
		{ STREAM_WINDOW_SLIDING, 3, 5, 1, 3 },
		{ STREAM_WINDOW_SLIDING, 1000, 300, 100, 10 },
		{ STREAM_WINDOW_SLIDING, 1000, 500, 500, 2 },
	};

	for (size_t i = 0; i < ROWS_OF(rows); i++) {
		struct stream_window_spec w;
		int64_t first;

		spec_of(&w, rows[i].kind, rows[i].size_ms, rows[i].slide_ms, 0);
		cr_expect_eq(w.pane_ms, rows[i].pane_ms, "row %zu", i);
		cr_expect_eq(stream_window_panes(&w, 0, &first), rows[i].panes_per_window,
			     "row %zu", i);
		cr_expect_eq(first, 0);
	}
}

Test(stream_window, panes_are_hand_written_for_size_10_slide_4)
{
	struct stream_window_spec w;
	int64_t starts[STREAM_WINDOW_ASSIGN_MAX], first;

	spec_of(&w, STREAM_WINDOW_SLIDING, 10, 4, 1); /* panes [2k + 1, 2k + 3) */
	cr_expect_eq(stream_window_pane_start(&w, 0), -1);
	cr_expect_eq(stream_window_pane_start(&w, 1), 1);
	cr_expect_eq(stream_window_pane_start(&w, 2), 1);
	cr_expect_eq(stream_window_pane_start(&w, -2), -3);
	cr_expect_eq(stream_window_panes(&w, -3, &first), 5);
	cr_expect_eq(first, -3);
	/* Window [-3, 7) holds panes -3, -1, 1, 3, 5. */
	cr_expect_not(stream_window_pane_in_window(&w, -5, -3));
	cr_expect(stream_window_pane_in_window(&w, -3, -3));
	cr_expect(stream_window_pane_in_window(&w, 5, -3));
	cr_expect_not(stream_window_pane_in_window(&w, 7, -3));
	/* Pane [-1, 1) is in windows [-7, 3) and [-3, 7); pane [1, 3) also in [1, 11). */
	cr_assert_eq(stream_window_pane_windows(&w, -1, starts, STREAM_WINDOW_ASSIGN_MAX), 2);
	cr_expect_eq(starts[0], -7);
	cr_expect_eq(starts[1], -3);
	cr_assert_eq(stream_window_pane_windows(&w, 1, starts, STREAM_WINDOW_ASSIGN_MAX), 3);
	cr_expect_eq(starts[0], -7);
	cr_expect_eq(starts[2], 1);
	spec_of(&w, STREAM_WINDOW_SLIDING, 3, 5, 0); /* a pane in the gap is in no window */
	cr_expect_eq(stream_window_pane_windows(&w, 4, starts, STREAM_WINDOW_ASSIGN_MAX), 0);
}

/* An event's pane holds it and lies in exactly the event's windows, among all nearby ones. */
static void check_event_pane(const struct stream_window_spec *w, int64_t t)
{
	int64_t windows[STREAM_WINDOW_ASSIGN_MAX], pane_windows[STREAM_WINDOW_ASSIGN_MAX];
	int64_t pane = stream_window_pane_start(w, t);
	uint32_t count, pane_count;

	cr_assert(pane <= t && t < pane + w->pane_ms, "t=%" PRId64 " pane %" PRId64, t, pane);
	cr_assert_eq(naive_mod(pane - w->offset_ms, w->pane_ms), 0);
	count = stream_window_assign(w, t, windows, STREAM_WINDOW_ASSIGN_MAX);
	pane_count = stream_window_pane_windows(w, pane, pane_windows, STREAM_WINDOW_ASSIGN_MAX);
	expect_same_starts(pane_windows, pane_count, windows, count, "pane", t, w->size_ms,
			   w->slide_ms, w->offset_ms);
	for (int64_t s = t - 3 * w->size_ms - w->slide_ms; s <= t + w->slide_ms; s++) {
		bool assigned = false;

		if (naive_mod(s - w->offset_ms, w->slide_ms) != 0)
			continue;
		for (uint32_t i = 0; i < count; i++)
			assigned = assigned || windows[i] == s;
		cr_assert_eq(stream_window_pane_in_window(w, pane, s), assigned,
			     "t=%" PRId64 " pane %" PRId64 " window %" PRId64, t, pane, s);
	}
}

/* A window's panes tile [start, end): consecutive, each inside it, neighbours outside. */
static void check_window_panes(const struct stream_window_spec *w, int64_t start)
{
	int64_t first;
	uint64_t count = stream_window_panes(w, start, &first);

	cr_assert_eq(first, start);
	cr_assert_eq((int64_t)count * w->pane_ms, w->size_ms);
	cr_assert_eq(first + (int64_t)count * w->pane_ms, stream_window_end(w, start));
	for (uint64_t i = 0; i < count; i++)
		cr_assert(stream_window_pane_in_window(w, first + (int64_t)i * w->pane_ms, start));
	cr_assert_not(stream_window_pane_in_window(w, start - w->pane_ms, start));
	cr_assert_not(stream_window_pane_in_window(w, stream_window_end(w, start), start));
}

Test(stream_window, each_event_updates_one_pane_inside_exactly_its_windows)
{
	for (int64_t size = 1; size <= 12; size++) {
		for (int64_t slide = 1; slide <= 12; slide++) {
			for (int64_t offset = -13; offset <= 13; offset += 3) {
				struct stream_window_spec w;

				spec_of(&w, STREAM_WINDOW_SLIDING, size, slide, offset);
				for (int64_t t = -30; t <= 30; t++)
					check_event_pane(&w, t);
				for (int64_t s = -30; s <= 30; s++) {
					if (naive_mod(s - offset, slide) == 0)
						check_window_panes(&w, s);
				}
			}
		}
	}
}

Test(stream_window, c_remainder_differs_for_negative_times_only)
{
	static const struct {
		int64_t size_ms, slide_ms;
	} specs[] = { { 1000, 1000 }, { 10, 4 }, { 7, 3 }, { 3, 5 }, { 1000, 300 } };

	for (size_t i = 0; i < ROWS_OF(specs); i++) {
		struct stream_window_spec good, bad;
		uint32_t differ = 0;

		spec_of(&good, STREAM_WINDOW_SLIDING, specs[i].size_ms, specs[i].slide_ms, 0);
		bad = good;
		bad.c_remainder = true;
		for (int64_t t = -2500; t <= 2500; t++) {
			int64_t a[STREAM_WINDOW_ASSIGN_MAX], b[STREAM_WINDOW_ASSIGN_MAX];
			uint32_t na = stream_window_assign(&good, t, a, STREAM_WINDOW_ASSIGN_MAX);
			uint32_t nb = stream_window_assign(&bad, t, b, STREAM_WINDOW_ASSIGN_MAX);
			bool same = na == nb && memcmp(a, b, na * sizeof(a[0])) == 0;

			if (t >= 0) {
				cr_assert(same, "spec %zu t=%" PRId64, i, t);
				cr_assert_eq(stream_window_pane_start(&bad, t),
					     stream_window_pane_start(&good, t));
			}
			differ += !same;
		}
		cr_expect_gt(differ, 0, "spec %zu: the bug is observable", i);
	}
}

Test(stream_window, c_remainder_puts_negative_times_in_a_window_after_them)
{
	struct stream_window_spec w;
	int64_t starts[STREAM_WINDOW_ASSIGN_MAX];

	spec_of(&w, STREAM_WINDOW_TUMBLING, 1000, 0, 0);
	w.c_remainder = true;
	cr_assert_eq(stream_window_assign(&w, -1, starts, STREAM_WINDOW_ASSIGN_MAX), 1);
	cr_expect_eq(starts[0], 0, "C's -1 %% 1000 is -1: window [0, 1000) for t = -1");
	cr_expect_eq(stream_window_pane_start(&w, -1), 0);
	cr_assert_eq(stream_window_assign(&w, -1000, starts, STREAM_WINDOW_ASSIGN_MAX), 1);
	cr_expect_eq(starts[0], -1000, "multiples of the size are right either way");
	spec_of(&w, STREAM_WINDOW_SLIDING, 10, 4, 0);
	w.c_remainder = true;
	cr_assert_eq(stream_window_assign(&w, -1, starts, STREAM_WINDOW_ASSIGN_MAX), 3);
	cr_expect_eq(starts[0], -8);
	cr_expect_eq(starts[2], 0, "the extra window starts after the event");
	/* The largest spec: 63 windows, and the bug's extra one fills the 64 slots. */
	spec_of(&w, STREAM_WINDOW_SLIDING, 126, 2, 0);
	w.c_remainder = true;
	cr_expect_eq(stream_window_assign(&w, -1, starts, STREAM_WINDOW_ASSIGN_MAX),
		     STREAM_WINDOW_ASSIGN_MAX);
	cr_expect_eq(starts[0], -126);
	cr_expect_eq(starts[STREAM_WINDOW_ASSIGN_MAX - 1], 0);
}

Test(stream_window, bad_specs_are_refused_with_a_message)
{
	static const struct {
		enum stream_window_kind kind;
		int64_t size_ms, slide_ms;
		const char *field;
	} rows[] = {
		{ STREAM_WINDOW_TUMBLING, 0, 0, "size_ms" },
		{ STREAM_WINDOW_TUMBLING, -5, 0, "size_ms" },
		{ STREAM_WINDOW_TUMBLING, T60 + 1, 0, "size_ms" },
		{ STREAM_WINDOW_TUMBLING, INT64_MIN, 0, "size_ms" },
		{ STREAM_WINDOW_SLIDING, 0, 1, "size_ms" },
		{ STREAM_WINDOW_SLIDING, 10, 0, "slide_ms" },
		{ STREAM_WINDOW_SLIDING, 10, -1, "slide_ms" },
		{ STREAM_WINDOW_SLIDING, 10, T60 + 1, "slide_ms" },
		{ STREAM_WINDOW_SLIDING, INT64_MAX, 1, "size_ms" },
		{ STREAM_WINDOW_SLIDING, 64, 1, "64 windows" },
		{ STREAM_WINDOW_SLIDING, 127, 2, "64 windows" },
		{ STREAM_WINDOW_SLIDING, T60, 1, "windows" },
	};

	for (size_t i = 0; i < ROWS_OF(rows); i++) {
		struct stream_window_spec w = { .size_ms = 42 };
		struct errbuf eb = { "" };
		int err;

		if (rows[i].kind == STREAM_WINDOW_TUMBLING)
			err = stream_window_tumbling_init(&w, rows[i].size_ms, 0, &eb);
		else
			err = stream_window_sliding_init(&w, rows[i].size_ms, rows[i].slide_ms, 0,
							 &eb);
		cr_expect_eq(err, -EINVAL, "row %zu", i);
		cr_expect(strstr(eb.msg, rows[i].field), "row %zu: \"%s\"", i, eb.msg);
		cr_expect_eq(w.size_ms, 42, "row %zu: the spec is untouched", i);
	}
}

Test(stream_window, the_message_buffer_may_be_null)
{
	struct stream_window_spec w;

	cr_expect_eq(stream_window_sliding_init(&w, 10, 0, 0, NULL), -EINVAL);
	cr_expect_eq(stream_window_tumbling_init(&w, 0, 0, NULL), -EINVAL);
}

Test(stream_window, the_largest_specs_are_accepted)
{
	struct stream_window_spec w;

	cr_expect_eq(stream_window_sliding_init(&w, 63, 1, 0, NULL), 0);
	cr_expect_eq(stream_window_sliding_init(&w, 126, 2, 0, NULL), 0);
	cr_expect_eq(stream_window_sliding_init(&w, T60, T60 / 63 + 1, INT64_MIN, NULL), 0);
	cr_expect_eq(stream_window_tumbling_init(&w, T60, INT64_MAX, NULL), 0);
	cr_expect_eq(w.offset_ms, INT64_MAX % T60);
	cr_expect(stream_window_time_valid(T60));
	cr_expect(stream_window_time_valid(-T60));
	cr_expect_not(stream_window_time_valid(T60 + 1));
	cr_expect_not(stream_window_time_valid(-T60 - 1));
}

Test(stream_window, fires_at_max_timestamp_and_late_within_lateness)
{
	cr_expect_not(stream_window_fires(1000, 998));
	cr_expect(stream_window_fires(1000, 999), "the watermark reached end - 1");
	cr_expect(stream_window_fires(1000, 1000));
	cr_expect_not(stream_window_fires(1000, INT64_MIN));
	cr_expect(stream_window_fires(-1000, INT64_MAX));
	cr_expect(stream_window_fires(0, -1));
	cr_expect(stream_window_event_late(10, 0, 10), "t <= watermark: late");
	cr_expect_not(stream_window_event_late(10, 0, 9));
	cr_expect_not(stream_window_event_late(10, 5, 14));
	cr_expect(stream_window_event_late(10, 5, 15));
	cr_expect_not(stream_window_event_late(-T60, 0, INT64_MIN));
	cr_expect(stream_window_event_late(T60, T60, INT64_MAX));
}
