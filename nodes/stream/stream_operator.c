/* SPDX-License-Identifier: MIT */
/* stream_operator.c - the window operator's steps: events, watermarks, idleness and firing. */
#include "stream_operator.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "stream_operator_internal.h"

STATIC_ASSERT(STREAM_OPERATOR_ENTRIES_MAX <= (1 << 20),
	      "2 * (pane + window entries) slots fit a u32 and 40-byte slots fit 160 MiB");
STATIC_ASSERT(sizeof(struct stream_entry) == 40, "the slot size stream_operator_new() states");

static int config_check(const struct stream_operator_config *config,
			struct stream_window_spec *spec, struct errbuf *eb)
{
	const struct stream_window_spec *given = &config->spec;
	int err;

	if (given->kind != STREAM_WINDOW_TUMBLING && given->kind != STREAM_WINDOW_SLIDING)
		return errbuf_set(eb, -EINVAL, "spec: kind %d", (int)given->kind);
	if (given->kind == STREAM_WINDOW_TUMBLING)
		err = stream_window_tumbling_init(spec, given->size_ms, given->offset_ms, eb);
	else
		err = stream_window_sliding_init(spec, given->size_ms, given->slide_ms,
						 given->offset_ms, eb);
	if (err)
		return errbuf_prefix(eb, err, "spec: ");
	if (spec->slide_ms != given->slide_ms || spec->offset_ms != given->offset_ms ||
	    spec->pane_ms != given->pane_ms)
		return errbuf_set(eb, -EINVAL, "spec: not as stream_window_*_init() makes it");
	if (spec->size_ms / spec->pane_ms > STREAM_OPERATOR_WINDOW_PANES_MAX)
		return errbuf_set(eb, -EINVAL, "spec: size_ms %" PRId64 " / pane_ms %" PRId64
				  " is over %d panes per window", spec->size_ms, spec->pane_ms,
				  STREAM_OPERATOR_WINDOW_PANES_MAX);
	if ((unsigned)config->aggregate > STREAM_AGGREGATE_MAXIMUM)
		return errbuf_set(eb, -EINVAL, "aggregate: %d", (int)config->aggregate);
	if (config->lateness_ms < 0 || config->lateness_ms > STREAM_WINDOW_SIZE_MS_MAX)
		return errbuf_set(eb, -EINVAL, "lateness_ms: %" PRId64 " is outside 0..%" PRId64,
				  config->lateness_ms, STREAM_WINDOW_SIZE_MS_MAX);
	if (config->inputs < 1 || config->inputs > STREAM_OPERATOR_INPUTS_MAX)
		return errbuf_set(eb, -EINVAL, "inputs: %u is outside 1..%d", config->inputs,
				  STREAM_OPERATOR_INPUTS_MAX);
	if (config->pane_entries_max < 1 || config->pane_entries_max > STREAM_OPERATOR_ENTRIES_MAX)
		return errbuf_set(eb, -EINVAL, "pane_entries_max: %u is outside 1..%d",
				  config->pane_entries_max, STREAM_OPERATOR_ENTRIES_MAX);
	if (config->window_entries_max < 1 ||
	    config->window_entries_max > STREAM_OPERATOR_ENTRIES_MAX)
		return errbuf_set(eb, -EINVAL, "window_entries_max: %u is outside 1..%d",
				  config->window_entries_max, STREAM_OPERATOR_ENTRIES_MAX);
	if (config->bugs & ~(uint32_t)STREAM_BUGS_ALL)
		return errbuf_set(eb, -EINVAL, "bugs: unknown flags 0x%x",
				  config->bugs & ~(uint32_t)STREAM_BUGS_ALL);
	return 0;
}

int stream_operator_new(const struct stream_operator_config *config, struct stream_operator **out,
			struct errbuf *eb)
{
	struct stream_window_spec spec;
	struct stream_operator *op;
	uint32_t entries_max;
	int err = config_check(config, &spec, eb);

	if (err)
		return err;
	op = calloc(1, sizeof(*op));
	if (!op)
		return errbuf_set(eb, -ENOMEM, "stream operator: %zu bytes", sizeof(*op));
	op->config = *config;
	op->config.spec = spec;
	/* BUG negative-modulo: events are aligned with C's remainder. */
	op->config.spec.c_remainder = (config->bugs & STREAM_BUG_NEGATIVE_MODULO) != 0;
	entries_max = config->pane_entries_max + config->window_entries_max;
	op->slots_count = 1;
	while (op->slots_count < 2 * entries_max)
		op->slots_count *= 2;
	op->slots = calloc(op->slots_count, sizeof(op->slots[0]));
	op->order = calloc(entries_max, sizeof(op->order[0]));
	if (!op->slots || !op->order) {
		stream_operator_free(op);
		return errbuf_set(eb, -ENOMEM, "stream operator: %u slots", 2 * entries_max);
	}
	op->watermark_ms = INT64_MIN;
	op->due_ms = INT64_MAX; /* no entries */
	for (uint32_t input = 0; input < STREAM_OPERATOR_INPUTS_MAX; input++)
		op->input_watermark_ms[input] = INT64_MIN;
	ASSERT(op->slots_count >= 2 * entries_max);
	ASSERT((op->slots_count & (op->slots_count - 1)) == 0);
	*out = op;
	return 0;
}

void stream_operator_free(struct stream_operator *op)
{
	if (!op)
		return;
	free(op->slots);
	free(op->order);
	free(op);
}

uint32_t stream_operator_outputs_max(const struct stream_operator *op)
{
	uint32_t watermark_outputs = op->config.window_entries_max + 1;

	ASSERT(watermark_outputs > op->config.window_entries_max);
	return watermark_outputs > STREAM_OPERATOR_EVENT_OUTPUTS_MAX ?
		       watermark_outputs : STREAM_OPERATOR_EVENT_OUTPUTS_MAX;
}

void stream_operator_status(const struct stream_operator *op,
			    struct stream_operator_status *status)
{
	*status = (struct stream_operator_status){
		.watermark_ms = op->watermark_ms,
		.pane_entries = op->pane_entries,
		.window_entries = op->window_entries,
		.events = op->events,
		.late_events = op->late_events,
		.watermark_regressions = op->watermark_regressions,
	};
	memcpy(status->input_watermark_ms, op->input_watermark_ms,
	       sizeof(status->input_watermark_ms));
	memcpy(status->input_idle, op->input_idle, sizeof(status->input_idle));
}

/* The next record of @out, zeroed; the caller checked there is room. */
static struct stream_output *append(struct stream_outputs *out, enum stream_output_kind kind)
{
	struct stream_output *record;

	ASSERT(out->count < out->capacity);
	record = &out->records[out->count++];
	*record = (struct stream_output){ .kind = kind };
	return record;
}

/* Append the pane of window (key, start) if it holds events; advance its pane index. */
static void emit_pane(struct stream_operator *op, struct stream_entry *window,
		      enum stream_pane_timing timing, struct stream_outputs *out)
{
	const struct stream_window_spec *spec = &op->config.spec;
	struct stream_output *record;
	int64_t value;

	ASSERT(window->kind == STREAM_ENTRY_WINDOW);
	if (!stream_operator_window_value(op, window->key, window->start_ms, &value))
		return; /* windows with no events emit nothing */
	record = append(out, STREAM_OUTPUT_PANE);
	record->key = window->key;
	record->window_start_ms = window->start_ms;
	record->window_end_ms = stream_window_end(spec, window->start_ms);
	record->value = value;
	record->timing = timing;
	record->pane_index = window->panes_emitted++;
	/* A window fires on time once, unless a restore forgot that it had (the bug). */
	if (timing == STREAM_PANE_ON_TIME)
		ASSERT(record->pane_index == 0 ||
		       (op->config.bugs & STREAM_BUG_WATERMARK_RESET_ON_RESTORE));
}

/* --- events --- */

enum window_phase {
	WINDOW_OPEN,            /* its on-time pane is still to come */
	WINDOW_FIRED,           /* fired, within lateness: an update is a LATE pane */
	WINDOW_CLEANED,         /* past cleanup: the event goes to the side output */
};

/* What an event does, worked out before anything changes. */
struct event_plan {
	uint32_t window_count;
	int64_t window_starts_ms[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];
	enum window_phase phases[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];
	bool accepts[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];        /* the window keeps the event */
	bool edge_first;        /* window 0 is the one ending at the event (end-inclusive) */
	int64_t pane_start_ms;
	bool pane_update, edge_update;
	uint32_t new_pane_entries, new_window_entries;
};

/* The event's windows, ascending: stream_window_assign()'s, changed by the seeded bugs. */
static void plan_windows(const struct stream_operator *op, int64_t time_ms,
			 struct event_plan *plan)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t starts_ms[STREAM_WINDOW_ASSIGN_MAX];
	uint32_t count = stream_window_assign(spec, time_ms, starts_ms, STREAM_WINDOW_ASSIGN_MAX);
	uint32_t first = 0;

	plan->window_count = 0;
	plan->edge_first = false;
	/* BUG end-inclusive: an event at a window's end belongs to that window too. */
	if ((op->config.bugs & STREAM_BUG_END_INCLUSIVE) &&
	    stream_window_mod(time_ms - spec->size_ms - spec->offset_ms, spec->slide_ms) == 0) {
		plan->window_starts_ms[plan->window_count++] = time_ms - spec->size_ms;
		plan->edge_first = true;
	}
	/* BUG single-slide: a sliding event goes to its last window only. */
	if ((op->config.bugs & STREAM_BUG_SINGLE_SLIDE) && count > 1)
		first = count - 1;
	for (uint32_t index = first; index < count; index++)
		plan->window_starts_ms[plan->window_count++] = starts_ms[index];
	ASSERT(plan->window_count <= STREAM_OPERATOR_EVENT_OUTPUTS_MAX);
}

static enum window_phase phase_of(const struct stream_operator *op, int64_t window_start_ms)
{
	if (stream_operator_window_cleanup_ms(op, window_start_ms) <= op->watermark_ms)
		return WINDOW_CLEANED;
	if (stream_operator_max_timestamp_ms(op, window_start_ms) <= op->watermark_ms)
		return WINDOW_FIRED;
	return WINDOW_OPEN;
}

/* Whether an entry would outlive the current watermark (else it is not worth creating). */
static bool entry_live(const struct stream_operator *op, enum stream_entry_kind kind,
		       int64_t start_ms)
{
	struct stream_entry entry = { .kind = (uint8_t)kind, .start_ms = start_ms };

	return stream_operator_entry_cleanup_ms(op, &entry) > op->watermark_ms;
}

static bool absent(const struct stream_operator *op, enum stream_entry_kind kind, uint64_t key,
		   int64_t start_ms)
{
	return stream_operator_find(op, kind, key, start_ms) == STREAM_SLOT_NONE;
}

static void plan_event(const struct stream_operator *op, uint64_t key, int64_t time_ms,
		       struct event_plan *plan)
{
	bool dropped = op->config.bugs & STREAM_BUG_LATE_FIRING_DROPPED;
	bool pane_accepted = false;

	plan_windows(op, time_ms, plan);
	plan->new_pane_entries = plan->new_window_entries = 0;
	for (uint32_t index = 0; index < plan->window_count; index++) {
		int64_t start_ms = plan->window_starts_ms[index];

		plan->phases[index] = phase_of(op, start_ms);
		plan->accepts[index] = plan->phases[index] == WINDOW_OPEN ||
				       (plan->phases[index] == WINDOW_FIRED && !dropped);
		if (plan->accepts[index] && absent(op, STREAM_ENTRY_WINDOW, key, start_ms))
			plan->new_window_entries++;
		if (!(index == 0 && plan->edge_first))
			pane_accepted = pane_accepted || plan->accepts[index];
	}
	plan->pane_start_ms = stream_window_pane_start(&op->config.spec, time_ms);
	plan->pane_update = pane_accepted && entry_live(op, STREAM_ENTRY_PANE, plan->pane_start_ms);
	plan->edge_update = plan->edge_first && plan->accepts[0];
	if (plan->pane_update && absent(op, STREAM_ENTRY_PANE, key, plan->pane_start_ms))
		plan->new_pane_entries++;
	if (plan->edge_update && absent(op, STREAM_ENTRY_EDGE, key, time_ms))
		plan->new_pane_entries++;
}

static int event_check(const struct stream_operator *op, uint32_t input, int64_t time_ms,
		       struct errbuf *eb)
{
	if (input >= op->config.inputs)
		return errbuf_set(eb, -EINVAL, "event: input %u, the operator has %u", input,
				  op->config.inputs);
	if (!stream_window_time_valid(time_ms))
		return errbuf_set(eb, -EINVAL, "event: time_ms %" PRId64 " is outside +-%" PRId64,
				  time_ms, STREAM_WINDOW_TIME_MS_MAX);
	return 0;
}

static int plan_check(const struct stream_operator *op, const struct event_plan *plan,
		      const struct stream_outputs *out, struct errbuf *eb)
{
	if (out->capacity - out->count < plan->window_count)
		return errbuf_set(eb, -EMSGSIZE, "event: %u windows, room for %u records",
				  plan->window_count, out->capacity - out->count);
	if (op->pane_entries + plan->new_pane_entries > op->config.pane_entries_max)
		return errbuf_set(eb, -ENOSPC, "event: pane entries: %u held, max %u",
				  op->pane_entries, op->config.pane_entries_max);
	if (op->window_entries + plan->new_window_entries > op->config.window_entries_max)
		return errbuf_set(eb, -ENOSPC, "event: window entries: %u held, max %u",
				  op->window_entries, op->config.window_entries_max);
	return 0;
}

/* One side-output record: the event, for a window already cleaned. */
static void emit_late_event(struct stream_operator *op, uint64_t event_id, uint64_t key,
			    int64_t time_ms, int64_t window_start_ms, struct stream_outputs *out)
{
	struct stream_output *record = append(out, STREAM_OUTPUT_LATE_EVENT);

	record->key = key;
	record->window_start_ms = window_start_ms;
	record->window_end_ms = stream_window_end(&op->config.spec, window_start_ms);
	record->event_id = event_id;
	record->time_ms = time_ms;
	op->late_events++;
}

int stream_operator_event(struct stream_operator *op, uint32_t input, uint64_t event_id,
			  uint64_t key, int64_t time_ms, int64_t value, struct stream_outputs *out,
			  struct errbuf *eb)
{
	int64_t event_value = op->config.aggregate == STREAM_AGGREGATE_COUNT ? 1 : value;
	struct event_plan plan = { 0 };
	uint32_t held = op->pane_entries + op->window_entries;
	int err = event_check(op, input, time_ms, eb);

	if (err)
		return err;
	plan_event(op, key, time_ms, &plan);
	err = plan_check(op, &plan, out, eb);
	if (err)
		return err;
	if (plan.pane_update)
		stream_operator_aggregate_add(op, &op->slots[stream_operator_find_or_insert(
			op, STREAM_ENTRY_PANE, key, plan.pane_start_ms)], 1, event_value);
	if (plan.edge_update)
		stream_operator_aggregate_add(op, &op->slots[stream_operator_find_or_insert(
			op, STREAM_ENTRY_EDGE, key, time_ms)], 1, event_value);
	for (uint32_t index = 0; index < plan.window_count; index++) {
		int64_t start_ms = plan.window_starts_ms[index];
		uint32_t slot;

		if (plan.phases[index] == WINDOW_CLEANED) {
			emit_late_event(op, event_id, key, time_ms, start_ms, out);
			continue;
		}
		if (!plan.accepts[index])
			continue; /* BUG late-firing-dropped: silently */
		slot = stream_operator_find_or_insert(op, STREAM_ENTRY_WINDOW, key, start_ms);
		if (plan.phases[index] == WINDOW_FIRED)
			emit_pane(op, &op->slots[slot], STREAM_PANE_LATE, out);
	}
	op->events++;
	ASSERT(op->pane_entries + op->window_entries ==
	       held + plan.new_pane_entries + plan.new_window_entries);
	ASSERT_DEBUG(stream_operator_invariants_hold(op));
	ASSERT(out->count <= out->capacity);
	return 0;
}

/* --- watermarks and idleness --- */

/* The operator's watermark if @input had @watermark_ms and @idle: the min (max under the
 * bug) over active inputs, never below the current one; the current one if all are idle. */
static int64_t combined_watermark(const struct stream_operator *op, uint32_t input,
				  int64_t watermark_ms, bool idle)
{
	bool use_max = op->config.bugs & STREAM_BUG_WATERMARK_MAX_NOT_MIN;
	int64_t combined = use_max ? INT64_MIN : INT64_MAX;
	bool any_active = false;

	ASSERT(input < op->config.inputs);
	for (uint32_t index = 0; index < op->config.inputs; index++) {
		int64_t input_ms = index == input ? watermark_ms : op->input_watermark_ms[index];

		if (index == input ? idle : op->input_idle[index])
			continue;
		any_active = true;
		if (use_max) /* BUG watermark-max-not-min */
			combined = input_ms > combined ? input_ms : combined;
		else
			combined = input_ms < combined ? input_ms : combined;
	}
	if (!any_active || combined < op->watermark_ms)
		return op->watermark_ms;
	return combined;
}

/* Firing order: window end, then key. Only WINDOW entries are compared, and all windows
 * have one size, so start orders as end does. */
static bool firing_before(const struct stream_entry *a, const struct stream_entry *b)
{
	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms;
	return a->key < b->key;
}

/*
 * Collect into op->order the windows an advance to @watermark_ms fires, sorted. This and the
 * sweep scan every slot, so an advancing watermark costs O(slots) + O(k log k) for k windows
 * firing; watermarks come far less often than events. An index by window end (a heap or a
 * sorted array) would make it O(k log n) but cost memory, and a second structure to keep
 * consistent, on every event.
 */
static uint32_t collect_firing(struct stream_operator *op, int64_t watermark_ms)
{
	uint32_t count = 0;

	ASSERT(watermark_ms > op->watermark_ms);
	for (uint32_t slot = 0; slot < op->slots_count; slot++) {
		const struct stream_entry *entry = &op->slots[slot];
		int64_t max_ms;

		if (entry->kind != STREAM_ENTRY_WINDOW)
			continue;
		max_ms = stream_operator_max_timestamp_ms(op, entry->start_ms);
		if (max_ms > op->watermark_ms && max_ms <= watermark_ms)
			op->order[count++] = slot;
	}
	ASSERT(count <= op->window_entries);
	stream_operator_sort(op, op->order, count, firing_before);
	return count;
}

/* Fire the @firing windows collected, record the advance, then drop what is past cleanup
 * (nothing is, below due_ms: no scan then). */
static void advance(struct stream_operator *op, int64_t watermark_ms, uint32_t firing,
		    struct stream_outputs *out)
{
	bool due = watermark_ms >= op->due_ms;
	struct stream_output *record;

	ASSERT(out->capacity - out->count >= firing + 1);
	if (!due)
		ASSERT(firing == 0);
	for (uint32_t index = 0; index < firing; index++)
		emit_pane(op, &op->slots[op->order[index]], STREAM_PANE_ON_TIME, out);
	record = append(out, STREAM_OUTPUT_WATERMARK);
	record->watermark_old_ms = op->watermark_ms;
	record->watermark_new_ms = watermark_ms;
	op->watermark_ms = watermark_ms;
	if (due)
		stream_operator_sweep(op, watermark_ms);
	ASSERT(op->watermark_ms == watermark_ms);
	ASSERT_DEBUG(stream_operator_invariants_hold(op));
}

/* Set @input's watermark and idleness, advancing the operator if it can; all or nothing. */
static int input_update(struct stream_operator *op, uint32_t input, int64_t watermark_ms,
			bool idle, struct stream_outputs *out, struct errbuf *eb)
{
	int64_t target_ms = combined_watermark(op, input, watermark_ms, idle);
	uint32_t firing = 0;

	ASSERT(target_ms >= op->watermark_ms);
	/* Below due_ms no window fires: no need to scan for them. */
	if (target_ms > op->watermark_ms && target_ms >= op->due_ms) {
		firing = collect_firing(op, target_ms);
		if (out->capacity - out->count < firing + 1)
			return errbuf_set(eb, -EMSGSIZE, "watermark: %u panes may fire, room for "
					  "%u records", firing, out->capacity - out->count);
	}
	ASSERT(watermark_ms >= op->input_watermark_ms[input]);
	op->input_watermark_ms[input] = watermark_ms;
	op->input_idle[input] = idle;
	if (target_ms > op->watermark_ms)
		advance(op, target_ms, firing, out);
	return 0;
}

int stream_operator_watermark(struct stream_operator *op, uint32_t input, int64_t watermark_ms,
			      struct stream_outputs *out, struct errbuf *eb)
{
	if (input >= op->config.inputs)
		return errbuf_set(eb, -EINVAL, "watermark: input %u, the operator has %u", input,
				  op->config.inputs);
	if (watermark_ms < op->input_watermark_ms[input]) {
		op->watermark_regressions++;
		return 0;
	}
	if (watermark_ms == op->input_watermark_ms[input])
		return 0;
	return input_update(op, input, watermark_ms, op->input_idle[input], out, eb);
}

int stream_operator_idle(struct stream_operator *op, uint32_t input, bool idle,
			 struct stream_outputs *out, struct errbuf *eb)
{
	if (input >= op->config.inputs)
		return errbuf_set(eb, -EINVAL, "idle: input %u, the operator has %u", input,
				  op->config.inputs);
	if (op->input_idle[input] == idle)
		return 0;
	return input_update(op, input, op->input_watermark_ms[input], idle, out, eb);
}
