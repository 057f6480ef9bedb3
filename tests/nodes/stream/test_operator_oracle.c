/* SPDX-License-Identifier: MIT */
/* test_operator_oracle.c - the window operator against a naive oracle on seeded random scripts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "operator_steps.h"
#include "stream_operator.h"

enum {
	SEED = 20261207,
	ROUNDS = 400,
	BUG_ROUNDS = 100,               /* per seeded bug */
	SCRIPT_STEPS = 240,
	STEPS_MAX = SCRIPT_STEPS + 8,   /* and one end-of-input step per input, with its ACTIVE */
	INPUTS_MAX = 3,
	KEYS = 3,
	SIZE_MS_MAX = 20,               /* so an event is in at most 20 windows */
	TRACKED_MAX = STEPS_MAX * SIZE_MS_MAX,
	RECORDS_MAX = 1024,
	SNAPSHOT_BYTES_MAX = 1 << 20,
	MESSAGE_BYTES = 512,
};

/* splitmix64 (Steele, Lea and Flood): a fixed seed gives the same scripts on every run. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t below(uint64_t *state, uint64_t bound)
{
	return (int64_t)(next_random(state) % bound);
}

struct config {
	bool sliding;
	int64_t size_ms, slide_ms, offset_ms, lateness_ms;
	enum stream_aggregate aggregate;
	uint32_t inputs;
};

static struct config config_make(uint64_t *state)
{
	struct config c = {
		.sliding = below(state, 3) != 0,
		.size_ms = 1 + below(state, SIZE_MS_MAX),
		.offset_ms = below(state, 41) - 20,
		.lateness_ms = below(state, 3) ? below(state, 16) : 0,
		.aggregate = (enum stream_aggregate)below(state, 4),
		.inputs = 1 + (uint32_t)below(state, INPUTS_MAX),
	};

	/* Slides up to the size + 3: dividing it or not, and gaps between windows. */
	c.slide_ms = c.sliding ? 1 + below(state, (uint64_t)c.size_ms + 3) : c.size_ms;
	return c;
}

static struct stream_operator *operator_of(const struct config *c, uint32_t bugs)
{
	struct stream_operator_config config = {
		.aggregate = c->aggregate, .lateness_ms = c->lateness_ms, .inputs = c->inputs,
		.pane_entries_max = 4096, .window_entries_max = 4096, .bugs = bugs,
	};
	struct stream_operator *op = NULL;
	struct errbuf eb = { "" };

	if (c->sliding)
		cr_assert_eq(stream_window_sliding_init(&config.spec, c->size_ms, c->slide_ms,
							c->offset_ms, &eb), 0, "%s", eb.msg);
	else
		cr_assert_eq(stream_window_tumbling_init(&config.spec, c->size_ms, c->offset_ms,
							 &eb), 0, "%s", eb.msg);
	cr_assert_eq(stream_operator_new(&config, &op, &eb), 0, "%s", eb.msg);
	return op;
}

/* Events out of order around a frontier that starts below 0; watermarks that mostly rise
 * (sometimes past events still to come, sometimes back); inputs that go idle and return. */
static size_t script_make(uint64_t *state, const struct config *c, struct step *steps)
{
	int64_t frontier_ms = below(state, 40) - 80, watermarks_ms[INPUTS_MAX];
	bool idle[INPUTS_MAX] = { false };
	size_t count = 0;

	for (uint32_t input = 0; input < c->inputs; input++)
		watermarks_ms[input] = frontier_ms - 30;
	for (uint64_t index = 0; index < SCRIPT_STEPS; index++) {
		int64_t roll = below(state, 100);
		uint32_t input = (uint32_t)below(state, c->inputs);
		struct step *s = &steps[count++];

		*s = (struct step){ .input = input };
		if (roll < 60) {
			s->kind = STEP_EVENT;
			s->event_id = index + 1;
			s->key = 1 + (uint64_t)below(state, KEYS);
			s->time_ms = frontier_ms - below(state, 25);
			s->value = below(state, 20) ? below(state, 2001) - 1000
						    : (int64_t)next_random(state);
			frontier_ms += below(state, 3);
		} else if (roll < 90) {
			int64_t rise = below(state, 8), wm = watermarks_ms[input] + rise;

			s->kind = STEP_WATERMARK;
			watermarks_ms[input] = wm < frontier_ms + 5 ? wm : frontier_ms + 5;
			s->time_ms = below(state, 10) ? watermarks_ms[input]
						      : watermarks_ms[input] - below(state, 5);
		} else {
			idle[input] = !idle[input];
			s->kind = idle[input] ? STEP_IDLE : STEP_ACTIVE;
		}
	}
	for (uint32_t input = 0; input < c->inputs; input++) {
		if (idle[input])
			steps[count++] = (struct step){ .kind = STEP_ACTIVE, .input = input };
		steps[count++] = (struct step){ .kind = STEP_WATERMARK, .input = input,
						.time_ms = INT64_MAX };
	}
	cr_assert_leq(count, STEPS_MAX);
	return count;
}

static int step_run(struct stream_operator *op, const struct step *s, struct stream_outputs *out)
{
	struct errbuf eb = { "" };
	int err;

	if (s->kind == STEP_EVENT)
		err = stream_operator_event(op, s->input, s->event_id, s->key, s->time_ms,
					    s->value, out, &eb);
	else if (s->kind == STEP_WATERMARK)
		err = stream_operator_watermark(op, s->input, s->time_ms, out, &eb);
	else
		err = stream_operator_idle(op, s->input, s->kind == STEP_IDLE, out, &eb);
	cr_assert_eq(err, 0, "%s", eb.msg);
	return err;
}

/* --- the oracle: every event kept in a list, every window recomputed from it --- */

struct oracle_event {
	uint64_t id, key;
	int64_t time_ms, value;
	size_t step;                    /* the step that brought it */
};

struct tracked_window {
	uint64_t key;
	int64_t start_ms;
	uint64_t panes;                 /* results emitted so far */
	size_t last_step;               /* the step of the last one */
};

struct oracle {
	struct config c;
	int64_t watermark_ms, input_watermarks_ms[INPUTS_MAX];
	bool idle[INPUTS_MAX];
	uint64_t regressions, late_events;
	struct oracle_event events[STEPS_MAX];
	size_t event_count;
	struct tracked_window windows[TRACKED_MAX];
	size_t window_count;
	struct { uint64_t event_id; int64_t start_ms; } sides[TRACKED_MAX];
	size_t side_count;
};

static int64_t naive_mod(int64_t a, int64_t m)
{
	return ((a % m) + m) % m;
}

/* Every s = offset (mod slide) with s <= t < s + size, by trying each s in turn. */
static uint32_t naive_windows(const struct config *c, int64_t time_ms, int64_t *starts)
{
	uint32_t count = 0;

	for (int64_t s = time_ms - c->size_ms + 1; s <= time_ms; s++) {
		if (naive_mod(s - c->offset_ms, c->slide_ms) == 0)
			starts[count++] = s;
	}
	return count;
}

/* The aggregate of every event seen for (key, [start, start + size)); false if none. */
static bool naive_value(const struct oracle *o, uint64_t key, int64_t start_ms, int64_t *value)
{
	uint64_t count = 0;

	*value = 0;
	for (size_t index = 0; index < o->event_count; index++) {
		const struct oracle_event *e = &o->events[index];
		int64_t v = o->c.aggregate == STREAM_AGGREGATE_COUNT ? 1 : e->value;

		if (e->key != key || e->time_ms < start_ms || e->time_ms >= start_ms + o->c.size_ms)
			continue;
		if (count == 0 || o->c.aggregate == STREAM_AGGREGATE_COUNT ||
		    o->c.aggregate == STREAM_AGGREGATE_SUM)
			*value = count == 0 ? v : (int64_t)((uint64_t)*value + (uint64_t)v);
		else if (o->c.aggregate == STREAM_AGGREGATE_MINIMUM)
			*value = v < *value ? v : *value;
		else
			*value = v > *value ? v : *value;
		count++;
	}
	return count > 0;
}

static struct tracked_window *tracked(struct oracle *o, uint64_t key, int64_t start_ms)
{
	for (size_t index = 0; index < o->window_count; index++) {
		if (o->windows[index].key == key && o->windows[index].start_ms == start_ms)
			return &o->windows[index];
	}
	cr_assert_lt(o->window_count, TRACKED_MAX);
	o->windows[o->window_count] = (struct tracked_window){ .key = key, .start_ms = start_ms };
	return &o->windows[o->window_count++];
}

static void want_pane(struct oracle *o, uint64_t key, int64_t start_ms,
		      enum stream_pane_timing timing, size_t step, struct stream_outputs *want)
{
	struct tracked_window *w = tracked(o, key, start_ms);
	struct stream_output *r = &want->records[want->count++];

	*r = (struct stream_output){ .kind = STREAM_OUTPUT_PANE, .key = key,
				     .window_start_ms = start_ms,
				     .window_end_ms = start_ms + o->c.size_ms, .timing = timing,
				     .pane_index = w->panes++ };
	cr_assert(naive_value(o, key, start_ms, &r->value));
	w->last_step = step;
}

/* An event: a side-output record per cleaned window, a LATE pane per fired one. */
static void oracle_event(struct oracle *o, const struct step *s, size_t step,
			 struct stream_outputs *want)
{
	int64_t starts[SIZE_MS_MAX];
	uint32_t count = naive_windows(&o->c, s->time_ms, starts);

	o->events[o->event_count++] = (struct oracle_event){ s->event_id, s->key, s->time_ms,
							     s->value, step };
	for (uint32_t index = 0; index < count; index++) {
		int64_t max_ms = starts[index] + o->c.size_ms - 1;

		if (max_ms + o->c.lateness_ms <= o->watermark_ms) {
			want->records[want->count++] = (struct stream_output){
				.kind = STREAM_OUTPUT_LATE_EVENT, .key = s->key,
				.window_start_ms = starts[index],
				.window_end_ms = starts[index] + o->c.size_ms,
				.event_id = s->event_id, .time_ms = s->time_ms };
			o->sides[o->side_count].event_id = s->event_id;
			o->sides[o->side_count++].start_ms = starts[index];
			o->late_events++;
		} else if (max_ms <= o->watermark_ms) {
			want_pane(o, s->key, starts[index], STREAM_PANE_LATE, step, want);
		}
	}
}

static int firing_order(const void *a, const void *b)
{
	const struct tracked_window *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The watermark moves from o->watermark_ms to @to_ms: ON_TIME panes, then the record. */
static void oracle_advance(struct oracle *o, int64_t to_ms, size_t step,
			   struct stream_outputs *want)
{
	static struct tracked_window due[TRACKED_MAX];
	size_t due_count = 0;

	for (size_t index = 0; index < o->event_count; index++) {
		int64_t starts[SIZE_MS_MAX];
		uint32_t count = naive_windows(&o->c, o->events[index].time_ms, starts);

		for (uint32_t w = 0; w < count; w++) {
			int64_t max_ms = starts[w] + o->c.size_ms - 1;
			bool known = false;

			if (max_ms <= o->watermark_ms || max_ms > to_ms)
				continue;
			for (size_t d = 0; d < due_count && !known; d++)
				known = due[d].key == o->events[index].key &&
					due[d].start_ms == starts[w];
			if (!known)
				due[due_count++] = (struct tracked_window){
					.key = o->events[index].key, .start_ms = starts[w] };
		}
	}
	qsort(due, due_count, sizeof(due[0]), firing_order);
	for (size_t d = 0; d < due_count; d++)
		want_pane(o, due[d].key, due[d].start_ms, STREAM_PANE_ON_TIME, step, want);
	want->records[want->count++] = (struct stream_output){
		.kind = STREAM_OUTPUT_WATERMARK, .watermark_old_ms = o->watermark_ms,
		.watermark_new_ms = to_ms };
	o->watermark_ms = to_ms;
}

/* A watermark or an idleness change: min over active inputs, never back, stays if none. */
static void oracle_input(struct oracle *o, const struct step *s, size_t step,
			 struct stream_outputs *want)
{
	int64_t min_ms = INT64_MAX;
	bool any_active = false;

	if (s->kind == STEP_WATERMARK && s->time_ms < o->input_watermarks_ms[s->input])
		o->regressions++;
	else if (s->kind == STEP_WATERMARK)
		o->input_watermarks_ms[s->input] = s->time_ms;
	else
		o->idle[s->input] = s->kind == STEP_IDLE;
	for (uint32_t input = 0; input < o->c.inputs; input++) {
		if (o->idle[input])
			continue;
		any_active = true;
		if (o->input_watermarks_ms[input] < min_ms)
			min_ms = o->input_watermarks_ms[input];
	}
	if (any_active && min_ms > o->watermark_ms)
		oracle_advance(o, min_ms, step, want);
}

/* --- comparing --- */

/* Whether @got equals @want; if not, @message says where. */
static bool outputs_same(const struct stream_outputs *got, const struct stream_outputs *want,
			 size_t step, char *message)
{
	for (uint32_t index = 0; index < got->count && index < want->count; index++) {
		const struct stream_output *g = &got->records[index], *w = &want->records[index];

		if (same_output(g, w))
			continue;
		snprintf(message, MESSAGE_BYTES, "step %zu, output %u: got kind %d key %"
			 PRIu64 " [%" PRId64 ", %" PRId64 ") value %" PRId64 " pane %" PRIu64
			 " wm %" PRId64 "; want kind %d key %" PRIu64 " [%" PRId64 ", %" PRId64
			 ") value %" PRId64 " pane %" PRIu64 " wm %" PRId64, step, index, g->kind,
			 g->key, g->window_start_ms, g->window_end_ms, g->value, g->pane_index,
			 g->watermark_new_ms, w->kind, w->key, w->window_start_ms, w->window_end_ms,
			 w->value, w->pane_index, w->watermark_new_ms);
		return false;
	}
	if (got->count == want->count)
		return true;
	snprintf(message, MESSAGE_BYTES, "step %zu: %u outputs, want %u", step, got->count,
		 want->count);
	return false;
}

static bool status_same(const struct stream_operator *op, const struct oracle *o, size_t step,
			char *message)
{
	struct stream_operator_status status;

	stream_operator_status(op, &status);
	if (status.watermark_ms == o->watermark_ms && status.late_events == o->late_events &&
	    status.events == o->event_count && status.watermark_regressions == o->regressions)
		return true;
	snprintf(message, MESSAGE_BYTES, "step %zu: watermark %" PRId64 " (want %" PRId64 "), %"
		 PRIu64 " late events (want %" PRIu64 ")", step, status.watermark_ms,
		 o->watermark_ms, status.late_events, o->late_events);
	return false;
}

static bool side_output(const struct oracle *o, uint64_t event_id, int64_t start_ms)
{
	for (size_t index = 0; index < o->side_count; index++) {
		if (o->sides[index].event_id == event_id && o->sides[index].start_ms == start_ms)
			return true;
	}
	return false;
}

/* No silent loss: each event is in the last pane of each of its windows (it came no later
 * than that pane, whose value was checked against all events seen), or in the side output. */
static bool nothing_lost(struct oracle *o, char *message)
{
	for (size_t index = 0; index < o->event_count; index++) {
		const struct oracle_event *e = &o->events[index];
		int64_t starts[SIZE_MS_MAX];
		uint32_t count = naive_windows(&o->c, e->time_ms, starts);

		for (uint32_t w = 0; w < count; w++) {
			struct tracked_window *t = tracked(o, e->key, starts[w]);

			if (side_output(o, e->id, starts[w]))
				continue;
			if (t->panes > 0 && t->last_step >= e->step)
				continue;
			snprintf(message, MESSAGE_BYTES, "event %" PRIu64 " at %" PRId64 " is in no"
				 " pane of window %" PRId64 " nor in the side output", e->id,
				 e->time_ms, starts[w]);
			return false;
		}
	}
	return true;
}

/* --- rounds --- */

static struct oracle oracle_storage;
static struct step steps[STEPS_MAX];
static struct stream_output got_records[RECORDS_MAX], want_records[RECORDS_MAX];
static struct stream_output twin_records[RECORDS_MAX];
static uint8_t snapshot_bytes[SNAPSHOT_BYTES_MAX];

/* What the rounds produced, to show the scripts reach every path. */
static struct {
	uint64_t on_time, late, side, late_index_above_1, regressions;
} seen;

static struct stream_operator *twin_of(struct stream_operator *op, const struct config *c,
				       uint32_t bugs)
{
	struct stream_operator *twin = operator_of(c, bugs);
	ssize_t size = stream_operator_snapshot(op, snapshot_bytes, SNAPSHOT_BYTES_MAX);
	struct errbuf eb = { "" };

	cr_assert_gt(size, 0);
	cr_assert_eq(stream_operator_restore(twin, snapshot_bytes, (size_t)size, &eb), 0, "%s",
		     eb.msg);
	return twin;
}

static void count_seen(const struct stream_outputs *got)
{
	for (uint32_t index = 0; index < got->count; index++) {
		const struct stream_output *r = &got->records[index];

		seen.on_time += r->kind == STREAM_OUTPUT_PANE && r->timing == STREAM_PANE_ON_TIME;
		seen.late += r->kind == STREAM_OUTPUT_PANE && r->timing == STREAM_PANE_LATE;
		seen.late_index_above_1 += r->kind == STREAM_OUTPUT_PANE && r->pane_index > 1;
		seen.side += r->kind == STREAM_OUTPUT_LATE_EVENT;
	}
}

/* Step @op and its restored @twin (if any) alike; true if @op matched the oracle. */
static bool step_matches(struct stream_operator *op, struct stream_operator *twin,
			 struct oracle *o, size_t step, char *message)
{
	struct stream_outputs got = { got_records, RECORDS_MAX, 0 };
	struct stream_outputs want = { want_records, RECORDS_MAX, 0 };
	struct stream_outputs again = { twin_records, RECORDS_MAX, 0 };

	step_run(op, &steps[step], &got);
	count_seen(&got);
	if (twin) {
		step_run(twin, &steps[step], &again);
		cr_assert(outputs_same(&again, &got, step, message), "restored: %s", message);
	}
	if (steps[step].kind == STEP_EVENT)
		oracle_event(o, &steps[step], step, &want);
	else
		oracle_input(o, &steps[step], step, &want);
	return outputs_same(&got, &want, step, message) && status_same(op, o, step, message);
}

/* One seeded round with @bugs; true if the operator matched the oracle throughout (else
 * @message says where first). Every step runs either way, and a twin restored from a
 * snapshot at a random step must match the operator from there on. */
static bool round_matches(uint64_t *state, uint32_t bugs, char *message)
{
	struct config c = config_make(state);
	size_t count = script_make(state, &c, steps), split = (size_t)below(state, count);
	struct stream_operator *op = operator_of(&c, bugs), *twin = NULL;
	struct oracle *o = &oracle_storage;
	struct stream_operator_status status;
	char later[MESSAGE_BYTES];
	bool matches = true;

	*o = (struct oracle){ .c = c, .watermark_ms = INT64_MIN };
	for (uint32_t input = 0; input < INPUTS_MAX; input++)
		o->input_watermarks_ms[input] = INT64_MIN;
	for (size_t step = 0; step < count; step++) {
		if (step == split)
			twin = twin_of(op, &c, bugs);
		matches = step_matches(op, twin, o, step, matches ? message : later) && matches;
	}
	seen.regressions += o->regressions;
	stream_operator_status(op, &status);
	if (matches && (status.pane_entries || status.window_entries)) {
		snprintf(message, MESSAGE_BYTES, "after end of input: %u pane and %u window "
			 "entries", status.pane_entries, status.window_entries);
		matches = false;
	}
	matches = matches && nothing_lost(o, message);
	stream_operator_free(op);
	stream_operator_free(twin);
	return matches;
}

Test(stream_operator_oracle, agrees_with_a_naive_oracle_on_random_scripts)
{
	char message[MESSAGE_BYTES] = "";
	uint64_t state = SEED;

	memset(&seen, 0, sizeof(seen));
	for (uint32_t round = 0; round < ROUNDS; round++)
		cr_assert(round_matches(&state, 0, message), "seed %d, round %u: %s", SEED, round,
			  message);
	cr_log_info("%" PRIu64 " on-time and %" PRIu64 " late panes, %" PRIu64 " late events, %"
		    PRIu64 " regressions", seen.on_time, seen.late, seen.side, seen.regressions);
	cr_expect_gt(seen.on_time, 0);
	cr_expect_gt(seen.late, 0);
	cr_expect_gt(seen.late_index_above_1, 0);
	cr_expect_gt(seen.side, 0);
	cr_expect_gt(seen.regressions, 0);
}

/* The canaries: the same rounds catch each seeded bug, and under each the operator still
 * runs every script to the end and restores exactly. */
Test(stream_operator_oracle, catches_every_seeded_bug)
{
	static const uint32_t bugs[] = {
		STREAM_BUG_NEGATIVE_MODULO, STREAM_BUG_END_INCLUSIVE, STREAM_BUG_SINGLE_SLIDE,
		STREAM_BUG_WATERMARK_MAX_NOT_MIN, STREAM_BUG_LATE_FIRING_DROPPED,
	};

	for (size_t index = 0; index < sizeof(bugs) / sizeof(bugs[0]); index++) {
		char message[MESSAGE_BYTES] = "", first[MESSAGE_BYTES] = "";
		uint64_t state = SEED;
		uint32_t caught = 0;

		for (uint32_t round = 0; round < BUG_ROUNDS; round++) {
			if (round_matches(&state, bugs[index], message))
				continue;
			if (caught++ == 0)
				memcpy(first, message, sizeof(first));
		}
		cr_expect_gt(caught, 0, "bug 0x%x went unnoticed", bugs[index]);
		cr_log_info("bug 0x%x: caught in %u of %u rounds; first: %s", bugs[index], caught,
			    BUG_ROUNDS, first);
	}
}
