/* SPDX-License-Identifier: MIT */
/* operator_oracle.c - the window operator against a naive oracle that keeps every event and
 * recomputes every window from them, step by step. */
#include "operator_oracle.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

enum {
	INPUTS_MAX = STREAM_OPERATOR_INPUTS_MAX,
	WINDOWS_MAX = ORACLE_EVENT_WINDOWS_MAX,
	TRACKED_MAX = ORACLE_STEPS_MAX * WINDOWS_MAX,   /* (key, window) pairs with an event */
	TRACKED_SLOTS = 1 << 17,                        /* a hash of them, at most 1/4 full */
	RECORDS_MAX = ORACLE_ENTRIES_MAX + 1,
	SNAPSHOT_BYTES_MAX = 4 << 20,
};

_Static_assert(TRACKED_SLOTS >= 4 * TRACKED_MAX, "the hash of windows stays sparse");

uint64_t oracle_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int64_t oracle_below(uint64_t *state, uint64_t bound)
{
	return (int64_t)(oracle_random(state) % bound);
}

/* --- the oracle: every event kept in a list, every window recomputed from it --- */

struct oracle_event {
	uint64_t id, key;
	int64_t time_ms, value;
	size_t step;                    /* the step that brought it */
	uint64_t sides;                 /* bit i: its window i went to the side output */
};

struct tracked_window {
	bool used;
	uint64_t key;
	int64_t start_ms;
	uint64_t panes;                 /* results emitted so far */
	size_t last_step;               /* the step of the last one */
	size_t due_step;                /* 1 + the step that last found it due */
};

struct oracle {
	struct oracle_config c;
	int64_t watermark_ms, input_watermarks_ms[INPUTS_MAX];
	bool idle[INPUTS_MAX];
	uint64_t regressions, late_events;
	struct oracle_event events[ORACLE_STEPS_MAX];
	size_t event_count;
	struct tracked_window windows[TRACKED_SLOTS];
	uint32_t used[TRACKED_MAX];     /* the slots in use, to clear them */
	size_t window_count;
};

static int64_t naive_mod(int64_t a, int64_t m)
{
	return ((a % m) + m) % m;
}

/* Every s = offset (mod slide) with s <= t < s + size, ascending: the first such s at or
 * after t - size + 1, then every slide up to t. */
static uint32_t naive_windows(const struct oracle_config *c, int64_t time_ms, int64_t *starts)
{
	int64_t s = time_ms - c->size_ms + 1;
	uint32_t count = 0;

	s += naive_mod(c->offset_ms - s, c->slide_ms);
	for (; s <= time_ms; s += c->slide_ms) {
		cr_assert(s <= time_ms && time_ms < s + c->size_ms);
		cr_assert_lt(count, WINDOWS_MAX);
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
	uint64_t hash = key * 0x9e3779b97f4a7c15ull ^ (uint64_t)start_ms * 0xbf58476d1ce4e5b9ull;
	uint32_t slot = (uint32_t)(hash >> 40) & (TRACKED_SLOTS - 1);
	struct tracked_window *w;

	for (;; slot = (slot + 1) & (TRACKED_SLOTS - 1)) {
		w = &o->windows[slot];
		if (!w->used)
			break;
		if (w->key == key && w->start_ms == start_ms)
			return w;
	}
	cr_assert_lt(o->window_count, TRACKED_MAX);
	o->used[o->window_count++] = slot;
	*w = (struct tracked_window){ .used = true, .key = key, .start_ms = start_ms };
	return w;
}

static struct stream_output *want_next(struct stream_outputs *want)
{
	cr_assert_lt(want->count, want->capacity);
	return &want->records[want->count++];
}

static void want_pane(struct oracle *o, uint64_t key, int64_t start_ms,
		      enum stream_pane_timing timing, size_t step, struct stream_outputs *want)
{
	struct tracked_window *w = tracked(o, key, start_ms);
	struct stream_output *r = want_next(want);

	*r = (struct stream_output){ .kind = STREAM_OUTPUT_PANE, .key = key,
				     .window_start_ms = start_ms,
				     .window_end_ms = start_ms + o->c.size_ms, .timing = timing,
				     .pane_index = w->panes++ };
	cr_assert(naive_value(o, key, start_ms, &r->value));
	w->last_step = step;
}

/* An event: a side-output record per cleaned window, a LATE pane per fired one, ascending. */
static void oracle_event(struct oracle *o, const struct step *s, size_t step,
			 struct stream_outputs *want)
{
	int64_t starts[WINDOWS_MAX];
	uint32_t count = naive_windows(&o->c, s->time_ms, starts);
	struct oracle_event *e = &o->events[o->event_count++];

	*e = (struct oracle_event){ s->event_id, s->key, s->time_ms, s->value, step, 0 };
	for (uint32_t index = 0; index < count; index++) {
		int64_t max_ms = starts[index] + o->c.size_ms - 1;

		if (max_ms + o->c.lateness_ms <= o->watermark_ms) {
			*want_next(want) = (struct stream_output){
				.kind = STREAM_OUTPUT_LATE_EVENT, .key = s->key,
				.window_start_ms = starts[index],
				.window_end_ms = starts[index] + o->c.size_ms,
				.event_id = s->event_id, .time_ms = s->time_ms };
			e->sides |= 1ull << index;
			o->late_events++;
		} else if (max_ms <= o->watermark_ms) {
			want_pane(o, s->key, starts[index], STREAM_PANE_LATE, step, want);
		}
	}
}

static int firing_order(const void *a, const void *b)
{
	const struct tracked_window *x = *(struct tracked_window *const *)a;
	const struct tracked_window *y = *(struct tracked_window *const *)b;

	/* All windows have one size: by end is by start. */
	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The watermark moves from o->watermark_ms to @to_ms: the ON_TIME pane of every window with
 * an event whose end - 1 it passes, then the record. A window holding t ends in t .. t + size
 * - 1, so only events in (watermark - size + 1, to] can have one. */
static void oracle_advance(struct oracle *o, int64_t to_ms, size_t step,
			   struct stream_outputs *want)
{
	static struct tracked_window *due[TRACKED_MAX];
	size_t due_count = 0;

	for (size_t index = 0; index < o->event_count; index++) {
		const struct oracle_event *e = &o->events[index];
		int64_t starts[WINDOWS_MAX];
		uint32_t count;

		if (e->time_ms > to_ms || e->time_ms + o->c.size_ms - 1 <= o->watermark_ms)
			continue;
		count = naive_windows(&o->c, e->time_ms, starts);
		for (uint32_t w = 0; w < count; w++) {
			int64_t max_ms = starts[w] + o->c.size_ms - 1;
			struct tracked_window *t;

			if (max_ms <= o->watermark_ms || max_ms > to_ms)
				continue;
			t = tracked(o, e->key, starts[w]);
			if (t->due_step != step + 1)
				due[due_count++] = t;
			t->due_step = step + 1;
		}
	}
	qsort(due, due_count, sizeof(due[0]), firing_order);
	for (size_t d = 0; d < due_count; d++)
		want_pane(o, due[d]->key, due[d]->start_ms, STREAM_PANE_ON_TIME, step, want);
	*want_next(want) = (struct stream_output){
		.kind = STREAM_OUTPUT_WATERMARK, .watermark_old_ms = o->watermark_ms,
		.watermark_new_ms = to_ms };
	o->watermark_ms = to_ms;
}

/* A watermark or an idleness change: min over active inputs, never back, stays if none. */
static void oracle_input(struct oracle *o, const struct step *s, size_t step,
			 struct oracle_seen *seen, struct stream_outputs *want)
{
	int64_t min_ms = INT64_MAX, *input_ms = &o->input_watermarks_ms[s->input];
	bool any_active = false;

	if (s->kind == STEP_WATERMARK && s->time_ms < *input_ms) {
		o->regressions++;
	} else if (s->kind == STEP_WATERMARK) {
		seen->idle_watermarks += o->idle[s->input] && s->time_ms > *input_ms;
		*input_ms = s->time_ms;
	} else {
		seen->active_below += s->kind == STEP_ACTIVE && o->idle[s->input] &&
				      *input_ms < o->watermark_ms;
		o->idle[s->input] = s->kind == STEP_IDLE;
	}
	for (uint32_t input = 0; input < o->c.inputs; input++) {
		if (o->idle[input])
			continue;
		any_active = true;
		if (o->input_watermarks_ms[input] < min_ms)
			min_ms = o->input_watermarks_ms[input];
	}
	seen->all_idle += !any_active;
	if (any_active && min_ms > o->watermark_ms)
		oracle_advance(o, min_ms, step, want);
}

/* Where an event sits: a window's start, its last millisecond, or its end. */
static void count_boundaries(const struct oracle_config *c, int64_t t, struct oracle_seen *seen)
{
	seen->at_start += naive_mod(t - c->offset_ms, c->slide_ms) == 0;
	seen->at_last += naive_mod(t + 1 - c->size_ms - c->offset_ms, c->slide_ms) == 0;
	seen->at_end += naive_mod(t - c->size_ms - c->offset_ms, c->slide_ms) == 0;
	seen->negative += t < 0;
}

/* No silent loss: each event is in the last pane of each of its windows (it came no later
 * than that pane, whose value was checked against all events seen), or in the side output. */
static bool nothing_lost(struct oracle *o, char *message)
{
	for (size_t index = 0; index < o->event_count; index++) {
		const struct oracle_event *e = &o->events[index];
		int64_t starts[WINDOWS_MAX];
		uint32_t count = naive_windows(&o->c, e->time_ms, starts);

		for (uint32_t w = 0; w < count; w++) {
			struct tracked_window *t = tracked(o, e->key, starts[w]);

			if (e->sides >> w & 1)
				continue;
			if (t->panes > 0 && t->last_step >= e->step)
				continue;
			snprintf(message, ORACLE_MESSAGE_BYTES, "event %" PRIu64 " at %" PRId64
				 " is in no pane of window %" PRId64 " nor in the side output",
				 e->id, e->time_ms, starts[w]);
			return false;
		}
	}
	return true;
}

static uint64_t keys_of(const struct oracle *o)
{
	uint64_t keys = 0;

	for (size_t index = 0; index < o->event_count; index++) {
		size_t first = 0;

		while (o->events[first].key != o->events[index].key)
			first++;
		keys += first == index;
	}
	return keys;
}

/* --- the operator --- */

bool oracle_config_valid(const struct oracle_config *c)
{
	struct stream_window_spec spec;

	if (c->sliding ? stream_window_sliding_init(&spec, c->size_ms, c->slide_ms,
						    c->offset_ms, NULL) :
			 stream_window_tumbling_init(&spec, c->size_ms, c->offset_ms, NULL))
		return false;
	return spec.size_ms / spec.pane_ms <= STREAM_OPERATOR_WINDOW_PANES_MAX;
}

static struct stream_operator *operator_of(const struct oracle_config *c, uint32_t bugs)
{
	struct stream_operator_config config = {
		.aggregate = c->aggregate, .lateness_ms = c->lateness_ms, .inputs = c->inputs,
		.pane_entries_max = ORACLE_ENTRIES_MAX, .window_entries_max = ORACLE_ENTRIES_MAX,
		.bugs = bugs,
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

static void step_run(struct stream_operator *op, const struct step *s, struct stream_outputs *out)
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
}

static uint8_t snapshot_bytes[SNAPSHOT_BYTES_MAX], snapshot_again[SNAPSHOT_BYTES_MAX];

/* A new operator restored from @op's snapshot, whose own snapshot is the same bytes. */
static struct stream_operator *copy_of(struct stream_operator *op, const struct oracle_config *c,
				       uint32_t bugs)
{
	struct stream_operator *copy = operator_of(c, bugs);
	ssize_t size = stream_operator_snapshot(op, snapshot_bytes, SNAPSHOT_BYTES_MAX);
	struct errbuf eb = { "" };

	cr_assert_gt(size, 0);
	cr_assert_eq(stream_operator_restore(copy, snapshot_bytes, (size_t)size, &eb), 0, "%s",
		     eb.msg);
	if (bugs & STREAM_BUG_WATERMARK_RESET_ON_RESTORE)
		return copy; /* its snapshot has other watermarks */
	cr_assert_eq(stream_operator_snapshot(copy, snapshot_again, SNAPSHOT_BYTES_MAX), size);
	cr_assert_eq(memcmp(snapshot_bytes, snapshot_again, (size_t)size), 0);
	return copy;
}

/* --- comparing --- */

static void output_print(char *text, size_t size, const struct stream_output *r)
{
	snprintf(text, size, "kind %d key %" PRIu64 " [%" PRId64 ", %" PRId64 ") value %" PRId64
		 " timing %d pane %" PRIu64 " event %" PRIu64 " wm %" PRId64, r->kind, r->key,
		 r->window_start_ms, r->window_end_ms, r->value, r->timing, r->pane_index,
		 r->event_id, r->watermark_new_ms);
}

/* Whether @got equals @want; if not, @message says where. */
static bool outputs_same(const struct stream_outputs *got, const struct stream_outputs *want,
			 size_t step, char *message)
{
	char g[ORACLE_MESSAGE_BYTES / 2 - 40], w[ORACLE_MESSAGE_BYTES / 2 - 40];
	uint32_t index = 0;

	while (index < got->count && index < want->count &&
	       same_output(&got->records[index], &want->records[index]))
		index++;
	if (index == got->count && index == want->count)
		return true;
	g[0] = w[0] = 0;
	if (index < got->count)
		output_print(g, sizeof(g), &got->records[index]);
	if (index < want->count)
		output_print(w, sizeof(w), &want->records[index]);
	snprintf(message, ORACLE_MESSAGE_BYTES, "step %zu, output %u of %u (want %u): got %s; "
		 "want %s", step, index, got->count, want->count, g, w);
	return false;
}

static bool status_same(const struct stream_operator *op, const struct oracle *o, size_t step,
			char *message)
{
	struct stream_operator_status status;
	bool inputs_same = true;

	stream_operator_status(op, &status);
	for (uint32_t input = 0; input < o->c.inputs; input++)
		inputs_same = inputs_same && status.input_idle[input] == o->idle[input] &&
			      status.input_watermark_ms[input] == o->input_watermarks_ms[input];
	if (inputs_same && status.watermark_ms == o->watermark_ms &&
	    status.late_events == o->late_events && status.events == o->event_count &&
	    status.watermark_regressions == o->regressions)
		return true;
	snprintf(message, ORACLE_MESSAGE_BYTES, "step %zu: watermark %" PRId64 " (want %" PRId64
		 "), %" PRIu64 " late events (want %" PRIu64 "), %" PRIu64 " regressions (want %"
		 PRIu64 "), inputs %s", step, status.watermark_ms, o->watermark_ms,
		 status.late_events, o->late_events, status.watermark_regressions, o->regressions,
		 inputs_same ? "same" : "differ");
	return false;
}

/* --- rounds --- */

static struct oracle oracle_storage;
static struct stream_output got_records[RECORDS_MAX], want_records[RECORDS_MAX];
static struct stream_output twin_records[RECORDS_MAX];

static void count_seen(const struct stream_outputs *got, struct oracle_seen *seen)
{
	for (uint32_t index = 0; index < got->count; index++) {
		const struct stream_output *r = &got->records[index];

		seen->on_time += r->kind == STREAM_OUTPUT_PANE && r->timing == STREAM_PANE_ON_TIME;
		seen->late += r->kind == STREAM_OUTPUT_PANE && r->timing == STREAM_PANE_LATE;
		seen->late_index_above_1 += r->kind == STREAM_OUTPUT_PANE && r->pane_index > 1;
		seen->side += r->kind == STREAM_OUTPUT_LATE_EVENT;
	}
}

/* Step @op and its restored @twin (if any) alike; true if @op matched the oracle. */
static bool step_matches(struct stream_operator *op, struct stream_operator *twin,
			 struct oracle *o, const struct step *s, size_t step,
			 struct oracle_seen *seen, char *message)
{
	struct stream_outputs got = { got_records, RECORDS_MAX, 0 };
	struct stream_outputs want = { want_records, RECORDS_MAX, 0 };
	struct stream_outputs again = { twin_records, RECORDS_MAX, 0 };

	step_run(op, s, &got);
	count_seen(&got, seen);
	if (twin) {
		step_run(twin, s, &again);
		cr_assert(outputs_same(&again, &got, step, message), "restored: %s", message);
	}
	if (s->kind == STEP_EVENT) {
		count_boundaries(&o->c, s->time_ms, seen);
		oracle_event(o, s, step, &want);
	} else {
		oracle_input(o, s, step, seen, &want);
	}
	return outputs_same(&got, &want, step, message) && status_same(op, o, step, message);
}

static void oracle_init(struct oracle *o, const struct oracle_config *c)
{
	for (size_t index = 0; index < o->window_count; index++)
		o->windows[o->used[index]].used = false;
	o->c = *c;
	o->watermark_ms = INT64_MIN;
	for (uint32_t input = 0; input < INPUTS_MAX; input++) {
		o->input_watermarks_ms[input] = INT64_MIN;
		o->idle[input] = false;
	}
	o->regressions = o->late_events = 0;
	o->event_count = o->window_count = 0;
}

static bool any_idle(const struct oracle *o)
{
	for (uint32_t input = 0; input < o->c.inputs; input++) {
		if (o->idle[input])
			return true;
	}
	return false;
}

/* Nothing held after the end of input, nothing lost. */
static bool end_matches(struct stream_operator *op, struct oracle *o, char *message)
{
	struct stream_operator_status status;

	stream_operator_status(op, &status);
	if (status.pane_entries || status.window_entries) {
		snprintf(message, ORACLE_MESSAGE_BYTES, "after end of input: %u pane and %u "
			 "window entries", status.pane_entries, status.window_entries);
		return false;
	}
	return nothing_lost(o, message);
}

bool oracle_round(const struct oracle_script *script, uint32_t bugs, struct oracle_seen *seen,
		  char *message, size_t *failed_step)
{
	struct stream_operator *op = operator_of(&script->c, bugs), *twin = NULL;
	struct oracle *o = &oracle_storage;
	char later[ORACLE_MESSAGE_BYTES];
	bool matches = true;
	uint64_t keys;

	cr_assert_leq(script->count, ORACLE_STEPS_MAX);
	oracle_init(o, &script->c);
	*failed_step = script->count;
	for (size_t step = 0; step < script->count; step++) {
		if (script->restore_before[step]) {
			struct stream_operator *copy = copy_of(op, &script->c, bugs);

			stream_operator_free(op);
			op = copy;
			seen->restores++;
			seen->restores_idle += any_idle(o);
		}
		/* Under watermark-reset-on-restore a copy steps otherwise, by design. */
		if (step == script->twin_from && !(bugs & STREAM_BUG_WATERMARK_RESET_ON_RESTORE))
			twin = copy_of(op, &script->c, bugs);
		if (!step_matches(op, twin, o, &script->steps[step], step, seen,
				  matches ? message : later) && matches) {
			matches = false;
			*failed_step = step;
		}
	}
	seen->regressions += o->regressions;
	keys = keys_of(o);
	seen->keys_max = keys > seen->keys_max ? keys : seen->keys_max;
	matches = matches && end_matches(op, o, message);
	stream_operator_free(op);
	stream_operator_free(twin);
	return matches;
}

static const char *const step_names[] = { "event", "watermark", "idle", "active" };

void oracle_script_print(const struct oracle_script *script, size_t count)
{
	const struct oracle_config *c = &script->c;

	printf("config: %s size %" PRId64 " slide %" PRId64 " offset %" PRId64 " lateness %"
	       PRId64 " aggregate %d inputs %u\n", c->sliding ? "sliding" : "tumbling",
	       c->size_ms, c->slide_ms, c->offset_ms, c->lateness_ms, (int)c->aggregate,
	       c->inputs);
	for (size_t step = 0; step < count && step < script->count; step++) {
		const struct step *s = &script->steps[step];

		printf("%3zu%s %-9s input %2u", step, script->restore_before[step] ? " R" : "  ",
		       step_names[s->kind], s->input);
		if (s->kind == STEP_EVENT)
			printf(" id %" PRIu64 " key %" PRIu64 " t %" PRId64 " value %" PRId64,
			       s->event_id, s->key, s->time_ms, s->value);
		else if (s->kind == STEP_WATERMARK)
			printf(" wm %" PRId64, s->time_ms);
		printf("\n");
	}
}
