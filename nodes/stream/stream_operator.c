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
	      "2 * (pane + 2 * window entries) slots fit a u32 and 40-byte slots fit 320 MiB");
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
	while (op->slots_count < 2 * (entries_max + config->window_entries_max))
		op->slots_count *= 2;
	op->slots = calloc(op->slots_count, sizeof(op->slots[0]));
	op->scratch = calloc(entries_max, sizeof(op->scratch[0]));
	op->fire.capacity = 2 * config->window_entries_max + 1;
	op->fire.timers = calloc(op->fire.capacity, sizeof(op->fire.timers[0]));
	op->cleanup.capacity = entries_max;
	op->cleanup.timers = calloc(op->cleanup.capacity, sizeof(op->cleanup.timers[0]));
	op->popped = calloc(config->window_entries_max, sizeof(op->popped[0]));
	if (!op->slots || !op->scratch || !op->fire.timers || !op->cleanup.timers ||
	    !op->popped) {
		stream_operator_free(op);
		return errbuf_set(eb, -ENOMEM, "stream operator: %u slots", op->slots_count);
	}
	op->watermark_ms = INT64_MIN;
	for (uint32_t input = 0; input < STREAM_OPERATOR_INPUTS_MAX; input++)
		op->input_watermark_ms[input] = INT64_MIN;
	/* Runs need values that subtract, and panes that are the windows' own. */
	op->runs = (config->aggregate == STREAM_AGGREGATE_COUNT ||
		    config->aggregate == STREAM_AGGREGATE_SUM) && spec.size_ms > spec.pane_ms &&
		   !(config->bugs & (STREAM_BUG_NEGATIVE_MODULO | STREAM_BUG_END_INCLUSIVE |
				     STREAM_BUG_SINGLE_SLIDE));
	ASSERT(op->slots_count >= 2 * (entries_max + config->window_entries_max));
	ASSERT((op->slots_count & (op->slots_count - 1)) == 0);
	*out = op;
	return 0;
}

void stream_operator_free(struct stream_operator *op)
{
	if (!op)
		return;
	free(op->slots);
	free(op->scratch);
	free(op->fire.timers);
	free(op->cleanup.timers);
	free(op->popped);
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

/* Append the pane of member window (key, start), of @value. */
static void emit_value(struct stream_operator *op, uint64_t key, int64_t start_ms, int64_t value,
		       enum stream_pane_timing timing, struct stream_outputs *out)
{
	struct stream_output *record = append(out, STREAM_OUTPUT_PANE);

	record->key = key;
	record->window_start_ms = start_ms;
	record->window_end_ms = stream_window_end(&op->config.spec, start_ms);
	record->value = value;
	record->timing = timing;
	record->pane_index = stream_operator_panes_emitted(op, key, start_ms);
	/* A window fires on time once, unless a restore forgot that it had (the bug). */
	if (timing == STREAM_PANE_ON_TIME)
		ASSERT(record->pane_index == 0 ||
		       (op->config.bugs & STREAM_BUG_WATERMARK_RESET_ON_RESTORE));
}

/* Append the pane of member window (key, start) if it holds events; true if it did. */
static bool emit_pane(struct stream_operator *op, uint64_t key, int64_t start_ms,
		      enum stream_pane_timing timing, struct stream_outputs *out)
{
	int64_t value;

	if (!stream_operator_window_value(op, key, start_ms, &value))
		return false; /* windows with no events emit nothing */
	emit_value(op, key, start_ms, value, timing, out);
	return true;
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
	/* The accepting windows by block, ascending: windows ascend, so blocks do. */
	uint32_t block_count;
	int64_t block_indexes[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];
	uint64_t block_masks[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];
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

/* Group the accepting windows by block; count those not yet members (one probe a block). */
static void plan_members(const struct stream_operator *op, uint64_t key, struct event_plan *plan)
{
	plan->block_count = 0;
	plan->new_window_entries = 0;
	for (uint32_t index = 0; index < plan->window_count; index++) {
		int64_t window_index = stream_operator_window_index(op,
								    plan->window_starts_ms[index]);
		int64_t block_index = stream_operator_block_of(window_index);
		uint32_t last = plan->block_count - 1;

		if (!plan->accepts[index])
			continue;
		if (plan->block_count == 0 || plan->block_indexes[last] != block_index) {
			ASSERT(plan->block_count == 0 || plan->block_indexes[last] < block_index);
			last = plan->block_count++;
			plan->block_indexes[last] = block_index;
			plan->block_masks[last] = 0;
		}
		plan->block_masks[last] |= stream_operator_bit_of(window_index);
	}
	for (uint32_t block = 0; block < plan->block_count; block++) {
		uint32_t slot = stream_operator_find(op, STREAM_ENTRY_BLOCK, key,
						     plan->block_indexes[block]);
		uint64_t added = plan->block_masks[block];

		if (slot != STREAM_SLOT_NONE)
			added &= ~op->slots[slot].block.members;
		plan->new_window_entries += (uint32_t)__builtin_popcountll(added);
	}
	ASSERT(plan->new_window_entries <= plan->window_count);
}

static void plan_event(const struct stream_operator *op, uint64_t key, int64_t time_ms,
		       struct event_plan *plan)
{
	bool dropped = op->config.bugs & STREAM_BUG_LATE_FIRING_DROPPED;
	bool pane_accepted = false;

	plan_windows(op, time_ms, plan);
	plan->new_pane_entries = 0;
	for (uint32_t index = 0; index < plan->window_count; index++) {
		int64_t start_ms = plan->window_starts_ms[index];

		plan->phases[index] = phase_of(op, start_ms);
		plan->accepts[index] = plan->phases[index] == WINDOW_OPEN ||
				       (plan->phases[index] == WINDOW_FIRED && !dropped);
		if (!(index == 0 && plan->edge_first))
			pane_accepted = pane_accepted || plan->accepts[index];
	}
	plan_members(op, key, plan);
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

/* Fold the event into its pane (or edge), a new entry with its cleanup timer if absent. */
static void aggregate_into(struct stream_operator *op, enum stream_entry_kind kind, uint64_t key,
			   int64_t start_ms, int64_t value)
{
	uint32_t held = op->pane_entries;
	struct stream_entry *entry = &op->slots[stream_operator_find_or_insert(op, kind, key,
									      start_ms)];

	if (op->pane_entries != held)
		stream_operator_cleanup_at(op, kind, key, start_ms,
					   stream_operator_entry_cleanup_ms(op, entry));
	stream_operator_aggregate_add(op, entry, 1, value);
}

/* An event folded into pane @pane_start_ms: into @block's run too if that window holds it. An
 * open window accepts every event of its panes, so a run of one sees them all. */
static void run_fold(const struct stream_operator *op, struct stream_entry *block,
		     int64_t pane_start_ms, int64_t value)
{
	int64_t start_ms;

	if (!op->runs || block->run_bit == STREAM_BIT_NONE)
		return;
	start_ms = stream_operator_bit_start(op, block, block->run_bit);
	if (pane_start_ms >= start_ms && pane_start_ms < start_ms + op->config.spec.size_ms)
		block->block.run_value = (int64_t)((uint64_t)block->block.run_value +
						   (uint64_t)value);
}

int stream_operator_event(struct stream_operator *op, uint32_t input, uint64_t event_id,
			  uint64_t key, int64_t time_ms, int64_t value, struct stream_outputs *out,
			  struct errbuf *eb)
{
	int64_t event_value = op->config.aggregate == STREAM_AGGREGATE_COUNT ? 1 : value;
	struct event_plan plan;
	uint32_t held = op->pane_entries + op->window_entries;
	int err = event_check(op, input, time_ms, eb);

	if (err)
		return err;
	plan_event(op, key, time_ms, &plan);
	err = plan_check(op, &plan, out, eb);
	if (err)
		return err;
	if (plan.pane_update)
		aggregate_into(op, STREAM_ENTRY_PANE, key, plan.pane_start_ms, event_value);
	if (plan.edge_update)
		aggregate_into(op, STREAM_ENTRY_EDGE, key, time_ms, event_value);
	for (uint32_t block = 0; block < plan.block_count; block++) {
		uint32_t slot = stream_operator_members_add(op, key, plan.block_indexes[block],
							    plan.block_masks[block]);

		if (plan.pane_update)
			run_fold(op, &op->slots[slot], plan.pane_start_ms, event_value);
	}
	for (uint32_t index = 0; index < plan.window_count; index++) {
		int64_t start_ms = plan.window_starts_ms[index];

		if (plan.phases[index] == WINDOW_CLEANED) {
			emit_late_event(op, event_id, key, time_ms, start_ms, out);
			continue;
		}
		if (!plan.accepts[index])
			continue; /* BUG late-firing-dropped: silently */
		if (plan.phases[index] == WINDOW_FIRED &&
		    emit_pane(op, key, start_ms, STREAM_PANE_LATE, out))
			stream_operator_pane_emitted(op, key, start_ms);
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

/* Firing order: window end, then key. Only windows are compared, and all windows have one
 * size, so start orders as end does. */
static bool firing_before(const struct stream_entry *a, const struct stream_entry *b)
{
	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms;
	return a->key < b->key;
}

static bool same_timer(const struct stream_timer *a, const struct stream_timer *b)
{
	return a->due_ms == b->due_ms && a->key == b->key && a->start_ms == b->start_ms;
}

/* Add to op->scratch the members of @block whose maxTimestamp is in (watermark, @until_ms]. */
static uint32_t collect_block(struct stream_operator *op, const struct stream_entry *block,
			      int64_t until_ms, uint32_t count)
{
	uint64_t members = block->block.members;

	for (uint32_t bit = 0; members; bit++, members >>= 1) {
		int64_t start_ms, max_ms;

		if (!(members & 1))
			continue;
		start_ms = stream_operator_bit_start(op, block, bit);
		max_ms = stream_operator_max_timestamp_ms(op, start_ms);
		if (max_ms > until_ms)
			break; /* and so are the later ones */
		if (max_ms > op->watermark_ms)
			op->scratch[count++] = (struct stream_entry){
				.key = block->key, .start_ms = start_ms,
				.kind = STREAM_ENTRY_WINDOW };
	}
	ASSERT(count <= op->window_entries);
	return count;
}

/*
 * Collect into op->scratch the windows an advance to @watermark_ms fires, sorted; the blocks
 * they are in go to op->popped (*@popped_count), their fire timers taken. A fire timer that
 * no longer matches its block's scheduled time is stale, and dropped. This costs
 * O(k log n) for k windows firing out of n blocks, whatever the table holds.
 */
static uint32_t collect_firing(struct stream_operator *op, int64_t watermark_ms,
			       uint32_t *popped_count)
{
	struct stream_timer timer;
	uint32_t count = 0, popped = 0;

	ASSERT(watermark_ms > op->watermark_ms);
	while (stream_heap_pop_until(&op->fire, watermark_ms, &timer)) {
		uint32_t slot = stream_operator_find(op, STREAM_ENTRY_BLOCK, timer.key,
						     timer.start_ms);

		if (slot == STREAM_SLOT_NONE ||
		    stream_operator_scheduled_ms(op, &op->slots[slot]) != timer.due_ms)
			continue; /* stale */
		if (popped > 0 && same_timer(&op->popped[popped - 1], &timer))
			continue; /* a twin of the one just taken */
		ASSERT(popped < op->config.window_entries_max);
		op->popped[popped++] = timer;
		count = collect_block(op, &op->slots[slot], watermark_ms, count);
	}
	stream_operator_sort(op->scratch, count, firing_before);
	*popped_count = popped;
	return count;
}

/* The panes of [@from_ms, @from_ms + @span_ms) of @key combined, for runs (which add). */
static int64_t panes_sum(const struct stream_operator *op, uint64_t key, int64_t from_ms,
			 int64_t span_ms)
{
	uint64_t sum = 0;

	for (int64_t pane_ms = from_ms; pane_ms < from_ms + span_ms;
	     pane_ms += op->config.spec.pane_ms) {
		uint32_t slot = stream_operator_find(op, STREAM_ENTRY_PANE, key, pane_ms);

		if (slot != STREAM_SLOT_NONE)
			sum += (uint64_t)op->slots[slot].aggregate.value;
	}
	return (int64_t)sum;
}

/*
 * The value of member window @w when it fires: its BLOCK's run if that is of @w, else its
 * panes combined. Then the run moves on to the next window if that one stays open after
 * this advance to @watermark_ms and sliding costs fewer probes than combining does.
 */
static bool fire_value(struct stream_operator *op, const struct stream_entry *w,
		       int64_t watermark_ms, int64_t *value)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t index = stream_operator_window_index(op, w->start_ms);
	uint32_t bit = (uint32_t)stream_window_mod(index, STREAM_BLOCK_WINDOWS), slot;
	struct stream_entry *block;
	int64_t next_ms = w->start_ms + spec->slide_ms;

	if (!op->runs)
		return stream_operator_window_value(op, w->key, w->start_ms, value);
	slot = stream_operator_find(op, STREAM_ENTRY_BLOCK, w->key,
				    stream_operator_block_of(index));
	ASSERT(slot != STREAM_SLOT_NONE);
	block = &op->slots[slot];
	if (block->run_bit == bit)
		*value = block->block.run_value;
	else
		*value = panes_sum(op, w->key, w->start_ms, spec->size_ms);
	ASSERT_DEBUG(stream_operator_window_value(op, w->key, w->start_ms, &next_ms) &&
		     next_ms == *value);
	next_ms = w->start_ms + spec->slide_ms;
	block->run_bit = STREAM_BIT_NONE;
	if (bit + 1 < STREAM_BLOCK_WINDOWS && 2 * spec->slide_ms < spec->size_ms &&
	    stream_operator_max_timestamp_ms(op, next_ms) > watermark_ms) {
		uint64_t run = (uint64_t)*value -
			       (uint64_t)panes_sum(op, w->key, w->start_ms, spec->slide_ms) +
			       (uint64_t)panes_sum(op, w->key, w->start_ms + spec->size_ms,
						   spec->slide_ms);

		block->run_bit = (uint8_t)(bit + 1);
		block->block.run_value = (int64_t)run;
	}
	return true; /* a member holds an event: it accepted one */
}

/* Fire window @w at an advance to @watermark_ms: its ON_TIME pane, then its cleanup, now
 * or by a timer. */
static void fire(struct stream_operator *op, const struct stream_entry *w, int64_t watermark_ms,
		 struct stream_outputs *out)
{
	int64_t cleanup_ms = stream_operator_window_cleanup_ms(op, w->start_ms), value;
	bool emitted = fire_value(op, w, watermark_ms, &value);

	if (emitted)
		emit_value(op, w->key, w->start_ms, value, STREAM_PANE_ON_TIME, out);
	if (cleanup_ms <= watermark_ms) {
		stream_operator_member_remove(op, w->key, w->start_ms);
		return;
	}
	if (emitted)
		stream_operator_pane_emitted(op, w->key, w->start_ms);
	stream_operator_cleanup_at(op, STREAM_ENTRY_WINDOW, w->key, w->start_ms, cleanup_ms);
}

/* Fire the @firing windows collected, record the advance, schedule the blocks that fired
 * again, then drop what is past cleanup. */
static void advance(struct stream_operator *op, int64_t watermark_ms, uint32_t firing,
		    uint32_t popped, struct stream_outputs *out)
{
	struct stream_output *record;

	ASSERT(out->capacity - out->count >= firing + 1);
	for (uint32_t index = 0; index < firing; index++)
		fire(op, &op->scratch[index], watermark_ms, out);
	record = append(out, STREAM_OUTPUT_WATERMARK);
	record->watermark_old_ms = op->watermark_ms;
	record->watermark_new_ms = watermark_ms;
	op->watermark_ms = watermark_ms;
	for (uint32_t index = 0; index < popped; index++) {
		uint32_t slot = stream_operator_find(op, STREAM_ENTRY_BLOCK, op->popped[index].key,
						     op->popped[index].start_ms);

		if (slot != STREAM_SLOT_NONE)
			stream_operator_schedule(op, &op->slots[slot], watermark_ms, true);
	}
	stream_operator_clean(op, watermark_ms);
	ASSERT(op->watermark_ms == watermark_ms);
	ASSERT_DEBUG(stream_operator_invariants_hold(op));
}

/* Set @input's watermark and idleness, advancing the operator if it can; all or nothing. */
static int input_update(struct stream_operator *op, uint32_t input, int64_t watermark_ms,
			bool idle, struct stream_outputs *out, struct errbuf *eb)
{
	int64_t target_ms = combined_watermark(op, input, watermark_ms, idle);
	uint32_t firing = 0, popped = 0;

	ASSERT(target_ms >= op->watermark_ms);
	if (target_ms > op->watermark_ms) {
		firing = collect_firing(op, target_ms, &popped);
		if (out->capacity - out->count < firing + 1) {
			/* Put the timers taken back: nothing changed. */
			for (uint32_t index = 0; index < popped; index++)
				stream_heap_push(&op->fire, &op->popped[index]);
			return errbuf_set(eb, -EMSGSIZE, "watermark: %u panes may fire, room for "
					  "%u records", firing, out->capacity - out->count);
		}
	}
	ASSERT(watermark_ms >= op->input_watermark_ms[input]);
	op->input_watermark_ms[input] = watermark_ms;
	op->input_idle[input] = idle;
	if (target_ms > op->watermark_ms)
		advance(op, target_ms, firing, popped, out);
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
