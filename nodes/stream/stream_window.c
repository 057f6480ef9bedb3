/* SPDX-License-Identifier: MIT */
/* stream_window.c - event-time window assignment and pane arithmetic, pure and allocation-free. */
#include "stream_window.h"

#include <errno.h>
#include <inttypes.h>

#include "errbuf.h"
#include "fl_assert.h"

/* The overflow argument of the header: a start within 2^62 plus a size within 2^60, and a
 * time within 2^60 minus a size or offset within 2^60, stay below 2^63. */
STATIC_ASSERT(STREAM_WINDOW_SIZE_MS_MAX <= STREAM_WINDOW_TIME_MS_MAX,
	      "sizes are bounded like times");
STATIC_ASSERT(STREAM_WINDOW_START_MS_ABS_MAX >= 3 * STREAM_WINDOW_TIME_MS_MAX,
	      "starts derived from valid times are accepted back");
STATIC_ASSERT(STREAM_WINDOW_START_MS_ABS_MAX <= INT64_MAX - 2 * STREAM_WINDOW_SIZE_MS_MAX,
	      "start + size + slide cannot overflow");
STATIC_ASSERT(STREAM_WINDOW_ASSIGN_MAX == STREAM_WINDOW_EVENT_WINDOWS_MAX + 1,
	      "room for the C-remainder variant's extra window");

/* Euclid's steps on values below 2^61 are fewer than log_phi(2^61) + 2, about 90. */
enum { GCD_STEPS_MAX = 128 };

static int64_t gcd(int64_t a, int64_t b)
{
	ASSERT(a >= 1);
	ASSERT(b >= 1);
	for (int step = 0; step < GCD_STEPS_MAX; step++) {
		int64_t rest = a % b;

		if (rest == 0) {
			ASSERT(b >= 1);
			return b;
		}
		a = b;
		b = rest;
	}
	ASSERT(!"gcd: more steps than GCD_STEPS_MAX");
	return 1;
}

int64_t stream_window_mod(int64_t a, int64_t modulus)
{
	int64_t rest;

	ASSERT(modulus >= 1);
	rest = a % modulus; /* C rounds toward zero: rest has the sign of a. */
	if (rest < 0)
		rest += modulus;
	ASSERT(rest >= 0);
	ASSERT(rest < modulus);
	return rest;
}

/* (time - offset) mod modulus, or C's remainder for the seeded bug negative-modulo. */
static int64_t event_remainder(const struct stream_window_spec *w, int64_t time_ms,
			       int64_t modulus)
{
	ASSERT(stream_window_time_valid(time_ms));
	ASSERT(w->offset_ms >= 0);
	if (w->c_remainder)
		return (time_ms - w->offset_ms) % modulus;
	return stream_window_mod(time_ms - w->offset_ms, modulus);
}

static bool start_in_range(int64_t start_ms)
{
	return start_ms >= -STREAM_WINDOW_START_MS_ABS_MAX &&
	       start_ms <= STREAM_WINDOW_START_MS_ABS_MAX;
}

/* A window start is within range and O mod L (O is already in [0, L)). */
static bool window_start_valid(const struct stream_window_spec *w, int64_t start_ms)
{
	return start_in_range(start_ms) && stream_window_mod(start_ms, w->slide_ms) == w->offset_ms;
}

/* A pane start is within range and O mod P. */
static bool pane_start_valid(const struct stream_window_spec *w, int64_t start_ms)
{
	return start_in_range(start_ms) &&
	       stream_window_mod(start_ms, w->pane_ms) == stream_window_mod(w->offset_ms,
									    w->pane_ms);
}

static int spec_init(struct stream_window_spec *w, enum stream_window_kind kind,
		     int64_t size_ms, int64_t slide_ms, int64_t offset_ms, struct errbuf *eb)
{
	int64_t windows_max;

	if (size_ms < 1 || size_ms > STREAM_WINDOW_SIZE_MS_MAX)
		return errbuf_set(eb, -EINVAL, "size_ms: %" PRId64 " is outside 1..%" PRId64,
				  size_ms, STREAM_WINDOW_SIZE_MS_MAX);
	if (slide_ms < 1 || slide_ms > STREAM_WINDOW_SIZE_MS_MAX)
		return errbuf_set(eb, -EINVAL, "slide_ms: %" PRId64 " is outside 1..%" PRId64,
				  slide_ms, STREAM_WINDOW_SIZE_MS_MAX);
	windows_max = (size_ms - 1) / slide_ms + 1; /* ceil(S / L), S >= 1 */
	if (windows_max > STREAM_WINDOW_EVENT_WINDOWS_MAX)
		return errbuf_set(eb, -EINVAL,
				  "size_ms %" PRId64 " / slide_ms %" PRId64 ": an event would be "
				  "in %" PRId64 " windows, over %d",
				  size_ms, slide_ms, windows_max, STREAM_WINDOW_EVENT_WINDOWS_MAX);
	w->kind = kind;
	w->size_ms = size_ms;
	w->slide_ms = slide_ms;
	w->offset_ms = stream_window_mod(offset_ms, slide_ms);
	w->pane_ms = gcd(size_ms, slide_ms);
	w->c_remainder = false;
	ASSERT(w->size_ms % w->pane_ms == 0);
	ASSERT(w->slide_ms % w->pane_ms == 0);
	if (kind == STREAM_WINDOW_TUMBLING)
		ASSERT(w->pane_ms == w->size_ms);
	return 0;
}

int stream_window_tumbling_init(struct stream_window_spec *w, int64_t size_ms, int64_t offset_ms,
				struct errbuf *eb)
{
	ASSERT(w);
	return spec_init(w, STREAM_WINDOW_TUMBLING, size_ms, size_ms, offset_ms, eb);
}

int stream_window_sliding_init(struct stream_window_spec *w, int64_t size_ms, int64_t slide_ms,
			       int64_t offset_ms, struct errbuf *eb)
{
	ASSERT(w);
	return spec_init(w, STREAM_WINDOW_SLIDING, size_ms, slide_ms, offset_ms, eb);
}

bool stream_window_time_valid(int64_t time_ms)
{
	return time_ms >= -STREAM_WINDOW_TIME_MS_MAX && time_ms <= STREAM_WINDOW_TIME_MS_MAX;
}

/* The last start at or before @time_ms of a grid of @modulus aligned at the offset (after
 * it, by less than @modulus, only under c_remainder). */
static int64_t aligned_start(const struct stream_window_spec *w, int64_t time_ms,
			     int64_t modulus)
{
	int64_t start_ms = time_ms - event_remainder(w, time_ms, modulus);

	if (!w->c_remainder) {
		ASSERT(start_ms <= time_ms);
		ASSERT(start_ms > time_ms - modulus);
	}
	return start_ms;
}

int64_t stream_window_last_start(const struct stream_window_spec *w, int64_t time_ms)
{
	int64_t start_ms = aligned_start(w, time_ms, w->slide_ms);

	ASSERT(window_start_valid(w, start_ms));
	return start_ms;
}

/*
 * The windows [s, s + S) with s = last - k * L (k >= 0) that hold @point_ms, ascending:
 * Flink's loop "for (s = last; s > t - S; s -= L)", counted instead of stepped.
 */
static uint32_t starts_down_from(const struct stream_window_spec *w, int64_t last_ms,
				 int64_t point_ms, int64_t *starts)
{
	int64_t span_ms, count, first_ms;

	ASSERT(last_ms - point_ms < w->slide_ms);
	if (last_ms - point_ms + w->size_ms <= 0)
		return 0; /* last <= t - S: a gap between windows (L > S) */
	span_ms = last_ms - point_ms + w->size_ms - 1;
	count = span_ms / w->slide_ms + 1;
	ASSERT(count >= 1);
	ASSERT(count <= STREAM_WINDOW_ASSIGN_MAX);
	first_ms = last_ms - (count - 1) * w->slide_ms;
	ASSERT(first_ms > point_ms - w->size_ms);
	ASSERT(first_ms - w->slide_ms <= point_ms - w->size_ms);
	for (int64_t index = 0; index < count; index++)
		starts[index] = first_ms + index * w->slide_ms;
	return (uint32_t)count;
}

uint32_t stream_window_assign(const struct stream_window_spec *w, int64_t time_ms,
			      int64_t *starts, uint32_t starts_max)
{
	int64_t last_ms = stream_window_last_start(w, time_ms);
	uint32_t count;

	ASSERT(starts);
	ASSERT(starts_max >= STREAM_WINDOW_ASSIGN_MAX);
	if (w->kind == STREAM_WINDOW_TUMBLING) {
		starts[0] = last_ms; /* one window, even a wrong one under c_remainder */
		return 1;
	}
	count = starts_down_from(w, last_ms, time_ms, starts);
	if (!w->c_remainder)
		ASSERT(count <= (uint32_t)((w->size_ms - 1) / w->slide_ms + 1));
	return count;
}

int64_t stream_window_end(const struct stream_window_spec *w, int64_t start_ms)
{
	ASSERT(window_start_valid(w, start_ms));
	return start_ms + w->size_ms;
}

int64_t stream_window_pane_start(const struct stream_window_spec *w, int64_t time_ms)
{
	int64_t start_ms = aligned_start(w, time_ms, w->pane_ms);

	ASSERT(pane_start_valid(w, start_ms));
	return start_ms;
}

uint64_t stream_window_panes(const struct stream_window_spec *w, int64_t window_start_ms,
			     int64_t *first_pane_start_ms)
{
	ASSERT(window_start_valid(w, window_start_ms));
	ASSERT(first_pane_start_ms);
	/* A window start is O mod L, hence O mod P: it is a pane start too. */
	*first_pane_start_ms = window_start_ms;
	ASSERT(pane_start_valid(w, *first_pane_start_ms));
	return (uint64_t)(w->size_ms / w->pane_ms);
}

bool stream_window_pane_in_window(const struct stream_window_spec *w, int64_t pane_start_ms,
				  int64_t window_start_ms)
{
	int64_t distance_ms = pane_start_ms - window_start_ms;

	ASSERT(pane_start_valid(w, pane_start_ms));
	ASSERT(window_start_valid(w, window_start_ms));
	/* Boundaries are pane boundaries, so a pane is wholly inside a window or wholly out. */
	return distance_ms >= 0 && distance_ms <= w->size_ms - w->pane_ms;
}

uint32_t stream_window_pane_windows(const struct stream_window_spec *w, int64_t pane_start_ms,
				    int64_t *starts, uint32_t starts_max)
{
	int64_t last_ms;
	uint32_t count;

	ASSERT(pane_start_valid(w, pane_start_ms));
	ASSERT(starts);
	ASSERT(starts_max >= STREAM_WINDOW_ASSIGN_MAX);
	/* No window boundary falls inside the pane, so its windows are those of its start. */
	last_ms = pane_start_ms - stream_window_mod(pane_start_ms - w->offset_ms, w->slide_ms);
	count = starts_down_from(w, last_ms, pane_start_ms, starts);
	ASSERT(count <= (uint32_t)((w->size_ms - 1) / w->slide_ms + 1));
	for (uint32_t index = 0; index < count; index++)
		ASSERT(stream_window_pane_in_window(w, pane_start_ms, starts[index]));
	return count;
}

bool stream_window_fires(int64_t end_ms, int64_t watermark_ms)
{
	ASSERT(end_ms >= -STREAM_WINDOW_START_MS_ABS_MAX);
	ASSERT(end_ms <= STREAM_WINDOW_START_MS_ABS_MAX + STREAM_WINDOW_SIZE_MS_MAX);
	return watermark_ms >= end_ms - 1;
}

bool stream_window_event_late(int64_t time_ms, int64_t lateness_ms, int64_t watermark_ms)
{
	ASSERT(stream_window_time_valid(time_ms));
	ASSERT(lateness_ms >= 0);
	ASSERT(lateness_ms <= STREAM_WINDOW_SIZE_MS_MAX);
	return time_ms + lateness_ms <= watermark_ms;
}
