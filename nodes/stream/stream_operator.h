/* SPDX-License-Identifier: MIT */
/* stream_operator.h - a keyed event-time window operator as a pure step function (STYLE S27). */
#ifndef STREAM_OPERATOR_H
#define STREAM_OPERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stream_window.h"

struct errbuf;
struct stream_operator;

/*
 * Matches the public behaviour of Flink's WindowOperator with an event-time trigger and
 * allowed lateness (../shared/STREAMS.md): a window [start, end) fires its ON_TIME pane when
 * the watermark reaches end - 1, each event within lateness after that fires a LATE pane with
 * the window's full (accumulated) value, and an event for a window already cleaned
 * (end - 1 + lateness <= watermark) goes to the late side output. Nothing reads a clock,
 * and no call blocks.
 */
enum {
	STREAM_OPERATOR_INPUTS_MAX = 16,                /* upstream channels */
	STREAM_OPERATOR_WINDOW_PANES_MAX = 64,          /* size / pane; larger specs refused */
	STREAM_OPERATOR_ENTRIES_MAX = 1 << 20,          /* bound of both *_entries_max */
	/* Records one event step appends at most: one per window of the event, and one more
	 * for the window ending at the event under STREAM_BUG_END_INCLUSIVE. */
	STREAM_OPERATOR_EVENT_OUTPUTS_MAX = STREAM_WINDOW_ASSIGN_MAX + 1,
	STREAM_OPERATOR_SNAPSHOT_VERSION = 2,        /* 1: cells with counts, refused */
};

enum stream_aggregate {
	STREAM_AGGREGATE_COUNT,         /* events; their values are ignored */
	STREAM_AGGREGATE_SUM,           /* wraps modulo 2^64, as Java's long does */
	STREAM_AGGREGATE_MINIMUM,
	STREAM_AGGREGATE_MAXIMUM,
};

/* Seeded bugs the operator owns, flags in stream_operator_config.bugs; 0 is correct. */
enum stream_bug {
	STREAM_BUG_NEGATIVE_MODULO = 1u << 0,   /* C's % aligns events (FLINK-26334) */
	STREAM_BUG_END_INCLUSIVE = 1u << 1,     /* windows are [start, end]: t == end counts,
						 * and the window fires at watermark end */
	STREAM_BUG_SINGLE_SLIDE = 1u << 2,      /* a sliding event goes to its last window only */
	STREAM_BUG_WATERMARK_MAX_NOT_MIN = 1u << 3,     /* the max of the inputs' watermarks */
	STREAM_BUG_LATE_FIRING_DROPPED = 1u << 4,       /* no LATE pane, no side output for an
							 * event within lateness (FLINK-26498) */
	STREAM_BUG_WATERMARK_RESET_ON_RESTORE = 1u << 5, /* a restore keeps the windows but
							   * not the watermarks (FLINK-36663) */
	STREAM_BUGS_ALL = (1u << 6) - 1,
};

struct stream_operator_config {
	/* As stream_window_*_init() made it, with size / pane <= WINDOW_PANES_MAX. */
	struct stream_window_spec spec;
	enum stream_aggregate aggregate;
	int64_t lateness_ms;                    /* 0 .. STREAM_WINDOW_SIZE_MS_MAX */
	uint32_t inputs;                        /* 1 .. STREAM_OPERATOR_INPUTS_MAX */
	uint32_t pane_entries_max;              /* (key, pane) aggregates held, END_INCLUSIVE's
						 * edge entries too: 1 .. ENTRIES_MAX */
	uint32_t window_entries_max;            /* (key, window)s holding events, fired or not:
						 * 1 .. ENTRIES_MAX */
	uint32_t bugs;                          /* enum stream_bug flags */
};

enum stream_output_kind {
	STREAM_OUTPUT_PANE = 1,         /* a window's result */
	STREAM_OUTPUT_LATE_EVENT,       /* side output: an event for a window already cleaned */
	STREAM_OUTPUT_WATERMARK,        /* the operator's watermark advanced */
};

enum stream_pane_timing { STREAM_PANE_ON_TIME = 1, STREAM_PANE_LATE };

/* One output record; the fields a kind does not name are 0. */
struct stream_output {
	enum stream_output_kind kind;
	uint64_t key;                   /* PANE, LATE_EVENT */
	int64_t window_start_ms;        /* PANE, LATE_EVENT */
	int64_t window_end_ms;          /* PANE, LATE_EVENT: start + size */
	int64_t value;                  /* PANE: the aggregate of the window's panes */
	enum stream_pane_timing timing; /* PANE */
	uint64_t pane_index;            /* PANE: panes this window emitted before, from 0 */
	uint64_t event_id;              /* LATE_EVENT */
	int64_t time_ms;                /* LATE_EVENT: the event's time */
	int64_t watermark_old_ms;       /* WATERMARK */
	int64_t watermark_new_ms;       /* WATERMARK */
};

/* Caller storage that steps append to; a step that would pass @capacity changes nothing. */
struct stream_outputs {
	struct stream_output *records;
	uint32_t capacity;
	uint32_t count;                 /* <= capacity; reset by the caller */
};

struct stream_operator_status {
	int64_t watermark_ms;           /* INT64_MIN until it first advances */
	int64_t input_watermark_ms[STREAM_OPERATOR_INPUTS_MAX];        /* INT64_MIN: none yet */
	bool input_idle[STREAM_OPERATOR_INPUTS_MAX];
	uint32_t pane_entries;          /* (key, pane) aggregates held now */
	uint32_t window_entries;        /* (key, window)s holding events now */
	uint64_t events;                /* accepted by stream_operator_event() */
	uint64_t late_events;           /* side-output records */
	uint64_t watermark_regressions; /* input watermarks below that input's, ignored */
};

/**
 * stream_operator_new() - an operator with no state, every input active at watermark
 * INT64_MIN. State lives in chunks, each one key's R consecutive panes (R a power of two,
 * 4 .. 64, twice the panes of a window): 64 bytes, then 8 per pane, 8 more with lateness
 * > 0, 8 more under STREAM_BUG_END_INCLUSIVE; at most pane + window entries max chunks;
 * their pool, index (2 to 4 slots of 8 bytes a chunk) and calendar links (20 bytes a chunk)
 * grow by doubling, from 64 chunks, as the state does (so a step may allocate: -ENOMEM,
 * nothing changed).
 * Allocated here: scratches of pane + window entries max (32 bytes each, for snapshots) and
 * 2 * window entries max (24 bytes each, for firing); some 30 KiB of calendar and sorting.
 * @config: borrowed; its spec is copied, with c_remainder set by STREAM_BUG_NEGATIVE_MODULO.
 * Return: 0 with *@out set; -EINVAL for a bad @config (@eb names the field); -ENOMEM.
 */
int stream_operator_new(const struct stream_operator_config *config, struct stream_operator **out,
			struct errbuf *eb);

/* stream_operator_free() - release @op; NULL is fine. */
void stream_operator_free(struct stream_operator *op);

/**
 * stream_operator_outputs_max() - a capacity with which no step returns -EMSGSIZE:
 * window_entries_max + 1 (a watermark step's panes and its WATERMARK record), at least
 * STREAM_OPERATOR_EVENT_OUTPUTS_MAX.
 */
uint32_t stream_operator_outputs_max(const struct stream_operator *op);

/**
 * stream_operator_event() - an event from @input: updates the one pane holding @time_ms
 * (if a window of it is still kept), appends a LATE pane for each of its windows that
 * already fired and a LATE_EVENT record for each one already cleaned.
 * @input: checked; an event is judged by the operator's watermark, whatever its input.
 * @key, @event_id: opaque; the caller hashes keys. @value: ignored by COUNT.
 * Return: 0; -EINVAL if @input >= inputs or @time_ms is not stream_window_time_valid();
 *         -EMSGSIZE if @out has room for fewer records than the event has windows;
 *         -ENOSPC if a new entry would pass pane_entries_max or window_entries_max;
 *         -ENOMEM if its state cannot grow. On error nothing changed.
 */
int stream_operator_event(struct stream_operator *op, uint32_t input, uint64_t event_id,
			  uint64_t key, int64_t time_ms, int64_t value, struct stream_outputs *out,
			  struct errbuf *eb);

/**
 * stream_operator_watermark() - input @input's watermark is @watermark_ms (INT64_MAX: end
 * of input). One below the input's last is ignored and counted; an equal one does nothing;
 * an idle input's is kept and counts once the input is active again.
 * If the operator's watermark (the min over active inputs, never lower than before)
 * advances, appends the ON_TIME pane of every window with events whose end - 1 it passed,
 * ordered by window end then key, then a WATERMARK record; then drops the state past
 * cleanup (end - 1 + lateness <= watermark).
 * Return: 0; -EINVAL for a bad @input; -EMSGSIZE if @out lacks room for the panes and the
 *         WATERMARK record (nothing changed).
 */
int stream_operator_watermark(struct stream_operator *op, uint32_t input, int64_t watermark_ms,
			      struct stream_outputs *out, struct errbuf *eb);

/**
 * stream_operator_idle() - mark @input idle (its watermark no longer holds the operator's
 * back) or active again. The operator's watermark may advance as in
 * stream_operator_watermark(), never go back; with every input idle it stays.
 * Return: 0; -EINVAL for a bad @input; -EMSGSIZE as stream_operator_watermark().
 */
int stream_operator_idle(struct stream_operator *op, uint32_t input, bool idle,
			 struct stream_outputs *out, struct errbuf *eb);

/* stream_operator_status() - the watermarks, entries held and counters of @op. */
void stream_operator_status(const struct stream_operator *op,
			    struct stream_operator_status *status);

/* stream_operator_snapshot_size_max() - bytes that hold any snapshot of @op. */
size_t stream_operator_snapshot_size_max(const struct stream_operator *op);

/**
 * stream_operator_snapshot() - the whole state of @op in @buf: a version byte, the config it
 * runs, the inputs' watermarks and idle flags, the operator's watermark, the counters, every
 * entry (pane aggregates and windows' emitted pane counts) sorted, and a CRC-32 of all that.
 * Equal states give equal bytes. Leaves the state as it was (uses @op's scratch index).
 * Return: the length; -ENOSPC if @size is too small.
 */
ssize_t stream_operator_snapshot(struct stream_operator *op, uint8_t *buf, size_t size);

/**
 * stream_operator_restore() - replace the state of @op, made with the same config, by a
 * snapshot's. Afterwards @op steps exactly as the snapshotted operator would.
 * Return: 0; -EINVAL if @bytes are not such a snapshot: wrong length, version, CRC or
 *         config, counts past @op's bounds, entries unsorted, misaligned or past cleanup
 *         (@eb says which; @op unchanged); -ENOMEM if the state cannot grow (unchanged).
 */
int stream_operator_restore(struct stream_operator *op, const uint8_t *bytes, size_t size,
			    struct errbuf *eb);

#endif /* STREAM_OPERATOR_H */
