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

/* For window @f straddling two chunks, its second chunk's header and first cells, once the
 * first's header (asked for earlier) tells which. */
static void straddle_prefetch(const struct stream_operator *op, const struct stream_firing *f)
{
	uint32_t after;

	if (f->bit + op->window_panes <= op->chunk_panes)
		return;
	after = stream_chunk_at(op, f->id)->after;
	if (after != STREAM_CHUNK_NONE)
		stream_operator_prefetch(op, after, 0);
}

STATIC_ASSERT(STREAM_OPERATOR_ENTRIES_MAX <= (1 << 20),
	      "chunks (<= pane + window entries) and index slots (4 per chunk) fit a u32");
STATIC_ASSERT(sizeof(struct stream_chunk) == 64, "a chunk's header, a cache line");
STATIC_ASSERT(sizeof(struct stream_cell) == 8, "a cell is its value (stream_operator.h's sizes)");
STATIC_ASSERT((int)STREAM_OPERATOR_WINDOW_PANES_MAX <= (int)STREAM_CHUNK_PANES_MAX,
	      "a window's panes fit one chunk's masks");

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

/* R: a power of two, at least twice the panes of a window (so a window spans at most two
 * chunks and a key's live panes few), at most 64 (the masks), at least 4. */
static uint32_t chunk_panes_of(uint32_t window_panes)
{
	uint32_t panes = 4;

	while (panes < 2 * window_panes && panes < STREAM_CHUNK_PANES_MAX)
		panes *= 2;
	ASSERT(panes >= window_panes);
	return panes;
}

/* The chunk layout, the scratch arrays and the first chunks' room. */
static int operator_alloc(struct stream_operator *op, struct errbuf *eb)
{
	const struct stream_operator_config *config = &op->config;
	size_t cells = (size_t)op->chunk_panes * sizeof(struct stream_cell);

	op->edges_at = sizeof(struct stream_chunk) + cells;
	op->emitted_at = op->edges_at + (config->bugs & STREAM_BUG_END_INCLUSIVE ? cells : 0);
	/* With lateness 0 a window is cleaned when it fires, so it never counts a pane emitted
	 * (no LATE pane follows): no room for the counts, a smaller stride to miss in. */
	op->chunk_bytes = op->emitted_at;
	if (config->lateness_ms > 0)
		op->chunk_bytes += (size_t)op->chunk_panes * sizeof(uint64_t);
	op->chunks_max = config->pane_entries_max + config->window_entries_max;
	op->free_head = STREAM_CHUNK_NONE;
	op->scratch = stream_operator_scratch_new(op->chunks_max);
	op->firing = calloc(config->window_entries_max, sizeof(op->firing[0]));
	op->spare = calloc(config->window_entries_max, sizeof(op->spare[0]));
	if (!op->scratch || !op->firing || !op->spare)
		return errbuf_set(eb, -ENOMEM, "stream operator: scratch of %u entries",
				  op->chunks_max);
	return stream_operator_reserve(op, 1, eb);
}

int stream_operator_new(const struct stream_operator_config *config, struct stream_operator **out,
			struct errbuf *eb)
{
	struct stream_window_spec spec;
	struct stream_operator *op;
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
	op->window_panes = (uint32_t)(spec.size_ms / spec.pane_ms);
	op->slide_panes = spec.slide_ms / spec.pane_ms;
	op->chunk_panes = chunk_panes_of(op->window_panes);
	op->chunk_shift = (uint32_t)__builtin_ctz(op->chunk_panes);
	err = operator_alloc(op, eb);
	if (err) {
		stream_operator_free(op);
		return err;
	}
	stream_operator_chunks_clear(op);
	op->watermark_ms = INT64_MIN;
	for (uint32_t input = 0; input < STREAM_OPERATOR_INPUTS_MAX; input++)
		op->input_watermark_ms[input] = INT64_MIN;
	ASSERT(op->chunks_capacity >= 1 && op->chunks_capacity <= op->chunks_max);
	*out = op;
	return 0;
}

void stream_operator_free(struct stream_operator *op)
{
	if (!op)
		return;
	free(op->pool);
	free(op->links);
	free(op->index);
	free(op->spare);
	free(op->popped);
	free(op->firing);
	free(op->scratch);
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

/* The chunk holding member window (key, start)'s bit. */
static uint32_t window_chunk(const struct stream_operator *op, uint64_t key, int64_t start_ms)
{
	int64_t q = stream_operator_pane_index(op, start_ms);
	uint32_t id = stream_operator_chunk_find(op, key, stream_operator_chunk_of(op, q));

	ASSERT(id != STREAM_CHUNK_NONE);
	return id;
}

/* Append the pane of member window (key, start), bit @bit of chunk @id, if it holds events,
 * and count it emitted unless the window goes at this step (@counted false). */
static void emit_pane(struct stream_operator *op, uint32_t id, uint32_t bit, int64_t start_ms,
		      enum stream_pane_timing timing, bool counted, struct stream_outputs *out)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	struct stream_output *record;
	int64_t value;

	ASSERT(chunk->members >> bit & 1);
	ASSERT_DEBUG(stream_operator_bit_start(op, chunk, bit) == start_ms);
	if (!stream_operator_window_value(op, chunk->key, chunk->index * op->chunk_panes + bit,
					  id, &value))
		return; /* windows with no events emit nothing */
	record = append(out, STREAM_OUTPUT_PANE);
	record->key = chunk->key;
	record->window_start_ms = start_ms;
	record->window_end_ms = start_ms + op->config.spec.size_ms; /* stream_window_end() */
	record->value = value;
	record->timing = timing;
	record->pane_index = chunk->emitted >> bit & 1 ? *stream_chunk_emitted(op, chunk, bit) : 0;
	if (counted) {
		/* Counted only within lateness > 0: else the chunk has no emitted counts. */
		uint64_t *emitted = stream_chunk_emitted(op, chunk, bit);

		*emitted = record->pane_index + 1;
		chunk->emitted |= 1ull << bit;
		ASSERT(*emitted >= 1);
	}
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

/* The bits an event adds to one chunk of its key. */
struct plan_chunk {
	int64_t c;
	uint32_t id;                            /* STREAM_CHUNK_NONE: to be made */
	uint64_t panes, edges, members;
};

/* What an event does, worked out before anything changes. */
struct event_plan {
	uint32_t window_count;
	int64_t window_starts_ms[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];
	enum window_phase phases[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];
	bool accepts[STREAM_OPERATOR_EVENT_OUTPUTS_MAX];        /* the window keeps the event */
	bool edge_first;        /* window 0 is the one ending at the event (end-inclusive) */
	bool all_open;          /* every window is WINDOW_OPEN (and accepts) */
	int64_t pane_start_ms, pane_q;
	bool pane_update, edge_update;
	uint32_t new_pane_entries, new_window_entries, new_chunks;
	/* The chunks it changes: one per window at most, and the pane's and the edge's. */
	uint32_t chunk_count;
	struct plan_chunk chunks[STREAM_OPERATOR_EVENT_OUTPUTS_MAX + 2];
};

/* Whether @starts are stream_window_assign()'s for @time_ms: for ASSERT_DEBUG() only. */
static inline bool starts_assigned(const struct stream_window_spec *spec, int64_t time_ms,
				   const int64_t *starts, uint32_t count)
{
	int64_t assigned[STREAM_WINDOW_ASSIGN_MAX];

	return stream_window_assign(spec, time_ms, assigned, STREAM_WINDOW_ASSIGN_MAX) == count &&
	       memcmp(assigned, starts, count * sizeof(starts[0])) == 0;
}

/* The event's windows, ascending: stream_window_assign()'s, changed by the seeded bugs. */
static void plan_windows(const struct stream_operator *op, int64_t time_ms,
			 struct event_plan *plan)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t starts_ms[STREAM_WINDOW_ASSIGN_MAX];
	uint32_t count, first = 0;

	if (op->slide_panes == 1 && !spec->c_remainder) {
		/* Slide = pane: the last window starts at the event's pane, and there are S / L
		 * of them, a slide apart; stream_window_assign()'s remainders and division again
		 * (the pane's start is known) were a visible share of a sliding event in
		 * bench-stream. */
		count = op->window_panes;
		for (uint32_t index = 0; index < count; index++)
			starts_ms[index] = plan->pane_start_ms -
					   (int64_t)(count - 1 - index) * spec->slide_ms;
		ASSERT_DEBUG(starts_assigned(spec, time_ms, starts_ms, count));
	} else {
		count = stream_window_assign(spec, time_ms, starts_ms, STREAM_WINDOW_ASSIGN_MAX);
	}

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

/* The bits set in @x: a SWAR count, as the build targets CPUs without a popcount
 * instruction, where __builtin_popcountll() is a library call (seen in bench-stream). */
static uint32_t bits_count(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* The plan's entry for the chunk of pane index @q, added if new. */
static struct plan_chunk *plan_chunk(const struct stream_operator *op, struct event_plan *plan,
				     int64_t q, uint64_t *bit)
{
	int64_t c = stream_operator_chunk_of(op, q);
	struct plan_chunk *entry;

	*bit = 1ull << stream_operator_bit_of(op, q);
	for (uint32_t index = 0; index < plan->chunk_count; index++)
		if (plan->chunks[index].c == c)
			return &plan->chunks[index];
	ASSERT(plan->chunk_count < STREAM_OPERATOR_EVENT_OUTPUTS_MAX + 2);
	entry = &plan->chunks[plan->chunk_count++];
	*entry = (struct plan_chunk){ .c = c };
	return entry;
}

/* The chunk of plan entry @index: the before or after of an entry found already (an event's
 * windows straddle two chunks at times), else by the index. */
static uint32_t plan_chunk_find(const struct stream_operator *op, uint64_t key,
				const struct event_plan *plan, uint32_t index)
{
	int64_t c = plan->chunks[index].c;

	for (uint32_t known = 0; known < index; known++) {
		const struct plan_chunk *entry = &plan->chunks[known];

		if (entry->id == STREAM_CHUNK_NONE)
			continue;
		if (entry->c == c + 1)
			return stream_chunk_at(op, entry->id)->before;
		if (entry->c == c - 1)
			return stream_chunk_at(op, entry->id)->after;
	}
	return stream_operator_chunk_find(op, key, c);
}

/* The low @count bits. */
static uint64_t low_bits(uint32_t count)
{
	ASSERT(count <= 64);
	return count == 64 ? ~0ull : (1ull << count) - 1;
}

/* Whether every window accepts and they start a pane apart, the last at the event's pane:
 * then their member bits are one run ending at pane_q, over at most two chunks (a run of at
 * most R). bench-stream's sliding events are nearly all this; the loop was 10 steps. */
static bool plan_members_run(const struct stream_operator *op, struct event_plan *plan)
{
	uint32_t count = plan->window_count, bit, in_first;
	int64_t q0;
	uint64_t mask;

	if (!plan->all_open || op->slide_panes != 1 || count == 0 || count > op->chunk_panes ||
	    plan->window_starts_ms[count - 1] != plan->pane_start_ms ||
	    plan->window_starts_ms[count - 1] - plan->window_starts_ms[0] !=
		    (int64_t)(count - 1) * op->config.spec.pane_ms)
		return false;
	q0 = plan->pane_q - (int64_t)(count - 1);
	bit = stream_operator_bit_of(op, q0);
	in_first = count < op->chunk_panes - bit ? count : op->chunk_panes - bit;
	plan_chunk(op, plan, q0, &mask)->members |= low_bits(in_first) << bit;
	if (in_first < count)
		plan_chunk(op, plan, q0 + in_first, &mask)->members |= low_bits(count - in_first);
	return true;
}

/* The member bits of the accepting windows, by chunk. */
static void plan_members(const struct stream_operator *op, struct event_plan *plan)
{
	int64_t previous_ms = INT64_MIN, q = 0;
	struct plan_chunk *entry = NULL;
	uint64_t bit;

	if (plan_members_run(op, plan))
		return;
	for (uint32_t index = 0; index < plan->window_count; index++) {
		int64_t start_ms = plan->window_starts_ms[index];

		if (!plan->accepts[index])
			continue;
		/* Windows follow each other every slide: k panes on (no division). */
		if (previous_ms != INT64_MIN && start_ms - previous_ms == op->config.spec.slide_ms)
			q += op->slide_panes;
		else
			q = stream_operator_pane_index(op, start_ms);
		ASSERT_DEBUG(q == stream_operator_pane_index(op, start_ms));
		previous_ms = start_ms;
		if (entry && entry->c == stream_operator_chunk_of(op, q)) { /* the usual case */
			entry->members |= 1ull << stream_operator_bit_of(op, q);
			continue;
		}
		entry = plan_chunk(op, plan, q, &bit);
		entry->members |= bit;
	}
}

/* The bits to add, by chunk; the chunks that exist, and what is new. */
static void plan_chunks(const struct stream_operator *op, uint64_t key, int64_t time_ms,
			struct event_plan *plan)
{
	uint64_t bit;

	plan->chunk_count = 0;
	if (plan->pane_update)
		plan_chunk(op, plan, plan->pane_q, &bit)->panes |= bit;
	if (plan->edge_update)
		plan_chunk(op, plan, stream_operator_pane_index(op, time_ms), &bit)->edges |= bit;
	plan_members(op, plan);
	plan->new_pane_entries = plan->new_window_entries = plan->new_chunks = 0;
	for (uint32_t index = 0; index < plan->chunk_count; index++) {
		struct plan_chunk *entry = &plan->chunks[index];
		struct stream_chunk held = { 0 };

		entry->id = plan_chunk_find(op, key, plan, index);
		if (entry->id != STREAM_CHUNK_NONE)
			held = *stream_chunk_at(op, entry->id);
		plan->new_chunks += entry->id == STREAM_CHUNK_NONE;
		/* One pane bit and one edge bit at most. */
		plan->new_pane_entries += ((entry->panes & ~held.panes) != 0) +
					  ((entry->edges & ~held.edges) != 0);
		plan->new_window_entries += bits_count(entry->members &
									   ~held.members);
	}
	ASSERT(plan->new_window_entries <= plan->window_count);
	ASSERT(plan->new_chunks <= plan->new_pane_entries + plan->new_window_entries);
}

static void plan_event(const struct stream_operator *op, uint64_t key, int64_t time_ms,
		       struct event_plan *plan)
{
	bool dropped = op->config.bugs & STREAM_BUG_LATE_FIRING_DROPPED;
	bool pane_accepted = false, all_open;

	if (op->config.spec.c_remainder) { /* the bug's remainders: stream_window.c's own */
		plan->pane_start_ms = stream_window_pane_start(&op->config.spec, time_ms);
		plan->pane_q = stream_operator_pane_index(op, plan->pane_start_ms);
	} else {
		/* The pane's index floored, its start from it: one division (event_check() made
		 * the time valid), where the pane's start, its check and its index took four. */
		int64_t pane_ms = op->config.spec.pane_ms;
		int64_t span = time_ms - op->config.spec.offset_ms;

		plan->pane_q = span / pane_ms - (span % pane_ms < 0);
		plan->pane_start_ms = op->config.spec.offset_ms +
				      plan->pane_q * op->config.spec.pane_ms;
		ASSERT_DEBUG(plan->pane_start_ms ==
			     stream_window_pane_start(&op->config.spec, time_ms));
	}
	stream_operator_key_prefetch(op, key, plan->pane_q); /* while the plan is worked out */
	plan_windows(op, time_ms, plan);
	/* A later start ends later: if the first window is open, all are (the usual case). */
	all_open = plan->window_count > 0 && stream_operator_max_timestamp_ms(
		op, plan->window_starts_ms[0]) > op->watermark_ms;
	plan->all_open = all_open;
	for (uint32_t index = 0; index < plan->window_count; index++) {
		int64_t start_ms = plan->window_starts_ms[index];

		plan->phases[index] = all_open ? WINDOW_OPEN : phase_of(op, start_ms);
		ASSERT_DEBUG(plan->phases[index] == phase_of(op, start_ms));
		plan->accepts[index] = plan->phases[index] == WINDOW_OPEN ||
				       (plan->phases[index] == WINDOW_FIRED && !dropped);
		if (!(index == 0 && plan->edge_first))
			pane_accepted = pane_accepted || plan->accepts[index];
	}
	/* A pane no window combines, or past its cleanup, is not worth making. */
	plan->pane_update = pane_accepted &&
			    stream_operator_pane_cleanup_ms(op, plan->pane_q) > op->watermark_ms;
	plan->edge_update = plan->edge_first && plan->window_count > 0 && plan->accepts[0];
	plan_chunks(op, key, time_ms, plan);
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

static int plan_check(struct stream_operator *op, const struct event_plan *plan,
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
	return stream_operator_reserve(op, plan->new_chunks, eb);
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

/* Fold the event into the cells of @bits (one at most), counting a new one. */
static void cells_add(struct stream_operator *op, struct stream_cell *cells, uint64_t *held,
		      uint64_t bits, int64_t value)
{
	uint32_t bit;

	if (!bits)
		return;
	ASSERT((bits & (bits - 1)) == 0);
	bit = (uint32_t)__builtin_ctzll(bits);
	stream_operator_aggregate_add(op, &cells[bit], *held & bits, value);
	op->pane_entries += !(*held & bits);
	*held |= bits;
}

/* Apply the plan's bits to its chunks, making the new ones, and schedule them. */
static void chunks_apply(struct stream_operator *op, uint64_t key, const struct event_plan *plan,
			 int64_t value)
{
	for (uint32_t index = 0; index < plan->chunk_count; index++) {
		const struct plan_chunk *entry = &plan->chunks[index];
		uint32_t id = entry->id;
		struct stream_chunk *chunk;
		uint64_t panes, edges, added;

		if (id == STREAM_CHUNK_NONE)
			id = stream_operator_chunk_insert(op, key, entry->c);
		chunk = stream_chunk_at(op, id);
		panes = entry->panes & ~chunk->panes;
		edges = entry->edges & ~chunk->edges;
		cells_add(op, stream_chunk_pane(op, chunk, 0), &chunk->panes, entry->panes, value);
		cells_add(op, stream_chunk_edge(op, chunk, 0), &chunk->edges, entry->edges, value);
		added = entry->members & ~chunk->members;
		chunk->members |= added;
		op->window_entries += bits_count(added);
		if (entry->id == STREAM_CHUNK_NONE)
			stream_operator_schedule(op, id);
		else
			stream_operator_schedule_added(op, id, panes, edges, added);
	}
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
	chunks_apply(op, key, &plan, event_value);
	/* Open windows make no record now (the usual event). */
	for (uint32_t index = 0; index < plan.window_count && !plan.all_open; index++) {
		int64_t start_ms = plan.window_starts_ms[index];

		if (plan.phases[index] == WINDOW_CLEANED) {
			emit_late_event(op, event_id, key, time_ms, start_ms, out);
			continue;
		}
		if (!plan.accepts[index])
			continue; /* BUG late-firing-dropped: silently */
		if (plan.phases[index] == WINDOW_FIRED) {
			int64_t q = stream_operator_pane_index(op, start_ms);
			uint32_t id = window_chunk(op, key, start_ms);

			emit_pane(op, id, stream_operator_bit_of(op, q), start_ms, STREAM_PANE_LATE,
				  true, out);
		}
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

/* Fire window @f at an advance to @watermark_ms: its ON_TIME pane. Its cleanup, if due
 * (then its emitted count no longer matters), comes with its chunk's. */
static void fire(struct stream_operator *op, const struct stream_firing *f, int64_t watermark_ms,
		 struct stream_outputs *out)
{
	emit_pane(op, f->id, f->bit, f->start_ms, STREAM_PANE_ON_TIME,
		  stream_operator_window_cleanup_ms(op, f->start_ms) > watermark_ms, out);
}

/*
 * Fire the @firing windows collected, record the advance, then clean the @popped chunks due
 * and schedule them again. A chunk that fires is cleaned right after its last window fires,
 * while it is in cache (bench-stream: a third pass over cold chunks cost sliding advances
 * more than the records did). That is safe: a window reads its own chunk and the next of its
 * key, whose windows start later and so fire later; cleaning makes no record.
 */
static void advance(struct stream_operator *op, int64_t watermark_ms, uint32_t firing,
		    uint32_t popped, struct stream_outputs *out)
{
	struct stream_output *record;

	ASSERT(out->capacity - out->count >= firing + 1);
	for (uint32_t index = 0; index < firing; index++) {
		const struct stream_firing *f = &op->firing[index];

		if (index + STREAM_PREFETCH_AHEAD < firing)
			stream_operator_prefetch(op, op->firing[index + STREAM_PREFETCH_AHEAD].id,
				       op->firing[index + STREAM_PREFETCH_AHEAD].bit);
		if (index + STREAM_PREFETCH_AHEAD / 2 < firing)
			straddle_prefetch(op, &op->firing[index + STREAM_PREFETCH_AHEAD / 2]);
		fire(op, f, watermark_ms, out);
		if (f->last)
			stream_operator_chunk_clean(op, f->id, watermark_ms);
	}
	record = append(out, STREAM_OUTPUT_WATERMARK);
	record->watermark_old_ms = op->watermark_ms;
	record->watermark_new_ms = watermark_ms;
	op->watermark_ms = watermark_ms;
	for (uint32_t index = 0; index < popped; index++) {
		if (index + STREAM_PREFETCH_AHEAD < popped)
			stream_operator_prefetch(op, op->popped[index + STREAM_PREFETCH_AHEAD], 0);
		/* Cleaned above if it fired: then free or back in the calendar. */
		if (op->links[op->popped[index]].prev != STREAM_CHUNK_UNLINKED)
			continue;
		stream_operator_chunk_clean(op, op->popped[index], watermark_ms);
	}
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
		firing = stream_operator_collect_firing(op, target_ms, &popped);
		if (out->capacity - out->count < firing + 1) {
			/* Put the chunks taken back: nothing changed. */
			stream_operator_untake(op, popped);
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
