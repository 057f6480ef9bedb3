/* SPDX-License-Identifier: MIT */
/* stream_window.h - event-time window assignment and pane arithmetic (../shared/STREAMS.md). */
#ifndef STREAM_WINDOW_H
#define STREAM_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct errbuf;

/*
 * Bounds. Event times are signed milliseconds with |t| <= STREAM_WINDOW_TIME_MS_MAX (2^60 ms,
 * about 36 million years); sizes, slides and lateness are 1 .. STREAM_WINDOW_SIZE_MS_MAX. Every
 * window or pane start derived from such a time lies within +-3 * 2^60, so the functions that
 * take a start accept |start| <= STREAM_WINDOW_START_MS_ABS_MAX (2^62), and start + size,
 * t - size and t - offset all stay below 2^63: nothing here can overflow.
 */
#define STREAM_WINDOW_TIME_MS_MAX (INT64_C(1) << 60)
#define STREAM_WINDOW_SIZE_MS_MAX (INT64_C(1) << 60)
#define STREAM_WINDOW_START_MS_ABS_MAX (INT64_C(1) << 62)

enum {
	/* ceil(size / slide), the most windows one event belongs to; larger specs are refused. */
	STREAM_WINDOW_EVENT_WINDOWS_MAX = 63,
	/* Room for stream_window_assign(): one more, for the window after the event that the
	 * C-remainder variant (c_remainder) adds to a sliding assignment. */
	STREAM_WINDOW_ASSIGN_MAX = STREAM_WINDOW_EVENT_WINDOWS_MAX + 1,
};

enum stream_window_kind {
	STREAM_WINDOW_TUMBLING,
	STREAM_WINDOW_SLIDING,
};

/*
 * A window spec, made by stream_window_tumbling_init() or stream_window_sliding_init().
 * Windows are half-open [start, start + size_ms); their starts are the s with
 * s mod slide_ms == offset_ms. Panes are [p, p + pane_ms) with p mod pane_ms == offset_ms mod
 * pane_ms; every window boundary is a pane boundary, so a window is size_ms / pane_ms panes.
 * Invariants: 1 <= pane_ms <= slide_ms; pane_ms divides size_ms and slide_ms;
 * 0 <= offset_ms < slide_ms; tumbling has slide_ms == size_ms == pane_ms.
 */
struct stream_window_spec {
	enum stream_window_kind kind;
	int64_t size_ms;        /* S: 1 .. STREAM_WINDOW_SIZE_MS_MAX */
	int64_t slide_ms;       /* L: 1 .. STREAM_WINDOW_SIZE_MS_MAX; ceil(S / L) <= 63 */
	int64_t offset_ms;      /* O, normalised to O mod L */
	int64_t pane_ms;        /* P = gcd(S, L) */
	/*
	 * False after init. Set to true only for the seeded bug negative-modulo: the event's
	 * alignment then uses C's % instead of the mathematical mod, so for t - O < 0 and not
	 * a multiple, its last window start and its pane start land after t (FLINK-26334).
	 * Only the functions that take an event time honour it.
	 */
	bool c_remainder;
};

/**
 * stream_window_mod() - the mathematical modulo: @a mod @modulus in [0, @modulus), negative
 * @a included (-1 mod 1000 = 999, where C's -1 % 1000 is -1).
 * @modulus: >= 1 (asserted).
 */
int64_t stream_window_mod(int64_t a, int64_t modulus);

/**
 * stream_window_tumbling_init() - tumbling windows of @size_ms aligned to @offset_ms.
 * @offset_ms: any value; kept as @offset_ms mod @size_ms.
 * @eb: may be NULL; names the field and value on error.
 * Return: 0; -EINVAL if @size_ms is not in 1 .. STREAM_WINDOW_SIZE_MS_MAX (@w untouched).
 */
int stream_window_tumbling_init(struct stream_window_spec *w, int64_t size_ms, int64_t offset_ms,
				struct errbuf *eb);

/**
 * stream_window_sliding_init() - windows of @size_ms starting every @slide_ms, aligned to
 * @offset_ms. @slide_ms == @size_ms gives tumbling windows; @slide_ms > @size_ms leaves gaps.
 * @offset_ms: any value; kept as @offset_ms mod @slide_ms.
 * @eb: may be NULL; names the field and value on error.
 * Return: 0; -EINVAL if @size_ms or @slide_ms is not in 1 .. STREAM_WINDOW_SIZE_MS_MAX, or
 *         ceil(@size_ms / @slide_ms) > STREAM_WINDOW_EVENT_WINDOWS_MAX (@w untouched).
 */
int stream_window_sliding_init(struct stream_window_spec *w, int64_t size_ms, int64_t slide_ms,
			       int64_t offset_ms, struct errbuf *eb);

/**
 * stream_window_time_valid() - whether @time_ms is within +-STREAM_WINDOW_TIME_MS_MAX. Event
 * times are input: callers check them with this before passing them on, which is asserted.
 */
bool stream_window_time_valid(int64_t time_ms);

/**
 * stream_window_last_start() - the latest window start <= @time_ms: t - mod(t - O, L), as
 * Flink's TimeWindow.getWindowStartWithOffset(t, O, L). For tumbling windows this is the
 * event's window. With c_remainder it is t - (t - O) % L, which may exceed @time_ms.
 */
int64_t stream_window_last_start(const struct stream_window_spec *w, int64_t time_ms);

/**
 * stream_window_assign() - the starts of the windows holding @time_ms, ascending: every s
 * with s mod L == O and t - S < s <= t (Flink's SlidingEventTimeWindows). That is one window
 * when tumbling; S / L when L divides S, else floor(S / L) or ceil(S / L) depending on t;
 * none for some t when L > S. With c_remainder, Flink's loop is kept but starts from the
 * C-remainder last start: tumbling gives that one window, sliding also the ones above t.
 * @starts: filled with the count returned.
 * @starts_max: >= STREAM_WINDOW_ASSIGN_MAX (asserted).
 * Return: the count, 0 .. STREAM_WINDOW_ASSIGN_MAX (at most ceil(S / L) without c_remainder).
 */
uint32_t stream_window_assign(const struct stream_window_spec *w, int64_t time_ms,
			      int64_t *starts, uint32_t starts_max);

/**
 * stream_window_end() - the end of the window starting at @start_ms (aligned and within
 * STREAM_WINDOW_START_MS_ABS_MAX, asserted): @start_ms + S. Its maxTimestamp is end - 1.
 */
int64_t stream_window_end(const struct stream_window_spec *w, int64_t start_ms);

/**
 * stream_window_pane_start() - the start of the one pane @time_ms updates: t - mod(t - O, P).
 * With c_remainder it is t - (t - O) % P, which may exceed @time_ms.
 */
int64_t stream_window_pane_start(const struct stream_window_spec *w, int64_t time_ms);

/**
 * stream_window_panes() - the panes that make up the window starting at @window_start_ms
 * (aligned and within STREAM_WINDOW_START_MS_ABS_MAX, asserted).
 * @first_pane_start_ms: set to the first pane's start (the window's start); the others
 *                       follow every P.
 * Return: the pane count, S / P (1 when tumbling, up to S when gcd(S, L) is 1).
 */
uint64_t stream_window_panes(const struct stream_window_spec *w, int64_t window_start_ms,
			     int64_t *first_pane_start_ms);

/**
 * stream_window_pane_in_window() - whether the pane starting at @pane_start_ms lies inside
 * the window starting at @window_start_ms. Both are aligned and within
 * STREAM_WINDOW_START_MS_ABS_MAX (asserted). Ignores c_remainder: this is geometry.
 */
bool stream_window_pane_in_window(const struct stream_window_spec *w, int64_t pane_start_ms,
				  int64_t window_start_ms);

/**
 * stream_window_pane_windows() - the starts of the windows the pane at @pane_start_ms
 * (aligned and within STREAM_WINDOW_START_MS_ABS_MAX, asserted) belongs to, ascending. They
 * are the windows of every time inside the pane. Ignores c_remainder: this is geometry.
 * @starts_max: >= STREAM_WINDOW_ASSIGN_MAX (asserted).
 * Return: the count, 0 .. ceil(S / L).
 */
uint32_t stream_window_pane_windows(const struct stream_window_spec *w, int64_t pane_start_ms,
				    int64_t *starts, uint32_t starts_max);

/**
 * stream_window_fires() - whether a window ending at @end_ms fires its on-time pane at
 * @watermark_ms: once the watermark reaches maxTimestamp, end - 1. @watermark_ms may be
 * INT64_MIN (none yet) or INT64_MAX (end of input).
 */
bool stream_window_fires(int64_t end_ms, int64_t watermark_ms);

/**
 * stream_window_event_late() - whether an event at @time_ms (valid, asserted) is late at
 * @watermark_ms given @lateness_ms (0 .. STREAM_WINDOW_SIZE_MS_MAX, asserted):
 * t + lateness <= watermark.
 */
bool stream_window_event_late(int64_t time_ms, int64_t lateness_ms, int64_t watermark_ms);

#endif /* STREAM_WINDOW_H */
