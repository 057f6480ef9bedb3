/* SPDX-License-Identifier: MIT */
/* stream_operator_state.c - the window operator's entry table, pane aggregates and snapshots. */
#include "stream_operator_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"

/*
 * Entry starts derived from valid event times: a window start is less than a size below the
 * time (or, under negative-modulo, less than a slide above it), a pane start less than a pane
 * from it, an edge start is a time; so all lie within
 * +-(STREAM_WINDOW_TIME_MS_MAX + STREAM_WINDOW_SIZE_MS_MAX) = +-2^61.
 */
#define ENTRY_START_MS_ABS_MAX (STREAM_WINDOW_TIME_MS_MAX + STREAM_WINDOW_SIZE_MS_MAX)
STATIC_ASSERT(ENTRY_START_MS_ABS_MAX <= STREAM_WINDOW_START_MS_ABS_MAX,
	      "restored starts are accepted by stream_window.h");

/*
 * Snapshot layout, little-endian:
 *   version u8, spec kind u8, aggregate u8, size_ms, slide_ms, offset_ms, lateness_ms i64,
 *   inputs u32, bugs u32: must equal the restoring operator's config            (43 bytes)
 *   per input: watermark_ms i64, idle u8                                    (9 bytes each)
 *   watermark_ms i64; events, late_events, watermark_regressions u64; entry count u32 (36)
 *   per entry, ascending by (kind, key, start): kind u8, key u64, start_ms i64, then
 *   count u64 and value i64 (PANE, EDGE) or panes_emitted u64 and 0 (WINDOW) (33 each)
 *   CRC-32 u32 of all the bytes before it.
 */
enum {
	SNAPSHOT_CONFIG_BYTES = 1 + 1 + 1 + 4 * 8 + 4 + 4,     /* version .. bugs */
	SNAPSHOT_INPUT_BYTES = 8 + 1,                           /* watermark, idle */
	SNAPSHOT_TAIL_BYTES = 8 + 3 * 8 + 4,    /* watermark, counters, entry count */
	SNAPSHOT_ENTRY_BYTES = 1 + 8 + 8 + 8 + 8,       /* kind, key, start, two fields */
	SNAPSHOT_CRC_BYTES = 4,
};

/* The start of the latest window at or before a pane's start: the pane's last window. */
static int64_t last_window_start_ms(const struct stream_window_spec *spec, int64_t pane_start_ms)
{
	return pane_start_ms - stream_window_mod(pane_start_ms - spec->offset_ms, spec->slide_ms);
}

int64_t stream_operator_entry_cleanup_ms(const struct stream_operator *op,
					 const struct stream_entry *entry)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t last_ms;

	ASSERT(entry->kind != STREAM_ENTRY_FREE);
	if (entry->kind == STREAM_ENTRY_WINDOW)
		return stream_operator_window_cleanup_ms(op, entry->start_ms);
	if (entry->kind == STREAM_ENTRY_EDGE)
		return stream_operator_window_cleanup_ms(op, entry->start_ms - spec->size_ms);
	ASSERT(entry->kind == STREAM_ENTRY_PANE);
	last_ms = last_window_start_ms(spec, entry->start_ms);
	if (entry->start_ms - last_ms > spec->size_ms - spec->pane_ms)
		return INT64_MIN; /* in the gap after its last window: no window combines it */
	return stream_operator_window_cleanup_ms(op, last_ms);
}

int64_t stream_operator_entry_due_ms(const struct stream_operator *op,
				     const struct stream_entry *entry)
{
	if (entry->kind == STREAM_ENTRY_WINDOW) {
		int64_t max_ms = stream_operator_max_timestamp_ms(op, entry->start_ms);

		if (max_ms > op->watermark_ms)
			return max_ms; /* its cleanup is no earlier */
	}
	return stream_operator_entry_cleanup_ms(op, entry);
}

/* A 64-bit mix (splitmix64's finaliser) of the whole identity, masked to the table. */
static uint32_t home_slot(const struct stream_operator *op, uint8_t kind, uint64_t key,
			  int64_t start_ms)
{
	uint64_t h = key ^ ((uint64_t)start_ms * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)kind << 61);

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (uint32_t)(h & (op->slots_count - 1));
}

/* The slot of (kind, key, start), or the free slot that ends its probe. */
static uint32_t probe(const struct stream_operator *op, enum stream_entry_kind kind,
		      uint64_t key, int64_t start_ms)
{
	uint32_t mask = op->slots_count - 1, slot = home_slot(op, (uint8_t)kind, key, start_ms);

	ASSERT(kind != STREAM_ENTRY_FREE);
	for (uint32_t step = 0; step < op->slots_count; step++, slot = (slot + 1) & mask) {
		const struct stream_entry *entry = &op->slots[slot];

		if (entry->kind == STREAM_ENTRY_FREE)
			return slot;
		if (entry->kind == kind && entry->key == key && entry->start_ms == start_ms)
			return slot;
	}
	ASSERT(!"a table at most half full has a free slot");
	return STREAM_SLOT_NONE;
}

uint32_t stream_operator_find(const struct stream_operator *op, enum stream_entry_kind kind,
			      uint64_t key, int64_t start_ms)
{
	uint32_t slot = probe(op, kind, key, start_ms);

	ASSERT(slot < op->slots_count);
	return op->slots[slot].kind == STREAM_ENTRY_FREE ? STREAM_SLOT_NONE : slot;
}

uint32_t stream_operator_find_or_insert(struct stream_operator *op, enum stream_entry_kind kind,
					uint64_t key, int64_t start_ms)
{
	uint32_t slot = probe(op, kind, key, start_ms);
	struct stream_entry *entry = &op->slots[slot];
	int64_t due_ms;

	if (entry->kind != STREAM_ENTRY_FREE)
		return slot;
	*entry = (struct stream_entry){ .key = key, .start_ms = start_ms, .kind = (uint8_t)kind };
	if (kind == STREAM_ENTRY_WINDOW)
		op->window_entries++;
	else
		op->pane_entries++;
	due_ms = stream_operator_entry_due_ms(op, entry);
	op->due_ms = due_ms < op->due_ms ? due_ms : op->due_ms;
	ASSERT(op->pane_entries <= op->config.pane_entries_max);
	ASSERT(op->window_entries <= op->config.window_entries_max);
	return slot;
}

/* Empty @hole, shifting later entries of its probe run back (no tombstones). */
static void remove_at(struct stream_operator *op, uint32_t hole)
{
	uint32_t mask = op->slots_count - 1, next = (hole + 1) & mask;

	if (op->slots[hole].kind == STREAM_ENTRY_WINDOW)
		op->window_entries--;
	else
		op->pane_entries--;
	for (uint32_t step = 0; step < op->slots_count; step++, next = (next + 1) & mask) {
		struct stream_entry *entry = &op->slots[next];
		uint32_t home;

		if (entry->kind == STREAM_ENTRY_FREE)
			break;
		home = home_slot(op, entry->kind, entry->key, entry->start_ms);
		/* It may fill the hole if the hole is not before its home along the run. */
		if (((next - home) & mask) >= ((next - hole) & mask)) {
			op->slots[hole] = *entry;
			hole = next;
		}
	}
	ASSERT(op->slots[hole].kind != STREAM_ENTRY_FREE);
	op->slots[hole] = (struct stream_entry){ .kind = STREAM_ENTRY_FREE };
}

void stream_operator_sweep(struct stream_operator *op, int64_t watermark_ms)
{
	uint32_t slot = 0, visits = 0;
	uint32_t held = op->pane_entries + op->window_entries;
	int64_t due_ms = INT64_MAX;

	ASSERT(watermark_ms == op->watermark_ms);
	/* A removal may shift an unvisited entry into this slot: look at it again. Each slot
	 * is looked at once more per removal, and removals are at most the entries held. */
	while (slot < op->slots_count) {
		struct stream_entry *entry = &op->slots[slot];
		int64_t entry_due_ms;

		visits++;
		ASSERT(visits <= op->slots_count + held);
		if (entry->kind == STREAM_ENTRY_FREE) {
			slot++;
			continue;
		}
		if (stream_operator_entry_cleanup_ms(op, entry) <= watermark_ms) {
			remove_at(op, slot);
			continue;
		}
		entry_due_ms = stream_operator_entry_due_ms(op, entry);
		due_ms = entry_due_ms < due_ms ? entry_due_ms : due_ms;
		slot++;
	}
	op->due_ms = due_ms;
	ASSERT(op->due_ms > watermark_ms || op->due_ms == INT64_MAX);
	ASSERT(op->pane_entries + op->window_entries <= held);
}

bool stream_operator_invariants_hold(const struct stream_operator *op)
{
	uint32_t panes = 0, windows = 0;

	for (uint32_t slot = 0; slot < op->slots_count; slot++) {
		const struct stream_entry *entry = &op->slots[slot];

		if (entry->kind == STREAM_ENTRY_FREE)
			continue;
		windows += entry->kind == STREAM_ENTRY_WINDOW;
		panes += entry->kind != STREAM_ENTRY_WINDOW;
		if (entry->kind != STREAM_ENTRY_WINDOW && entry->aggregate.count == 0)
			return false;
		if (stream_operator_entry_cleanup_ms(op, entry) <= op->watermark_ms)
			return false;
		if (stream_operator_entry_due_ms(op, entry) < op->due_ms)
			return false;
		if (probe(op, entry->kind, entry->key, entry->start_ms) != slot)
			return false; /* unreachable by its probe run, or a duplicate */
	}
	return panes == op->pane_entries && windows == op->window_entries &&
	       panes <= op->config.pane_entries_max && windows <= op->config.window_entries_max;
}

/* A running aggregate: count events whose aggregate is value. */
struct accumulator {
	uint64_t count;
	int64_t value;
};

static void accumulate(enum stream_aggregate aggregate, struct accumulator *acc, uint64_t count,
		       int64_t value)
{
	ASSERT(count >= 1);
	if (acc->count == 0) {
		acc->value = value;
	} else if (aggregate == STREAM_AGGREGATE_MINIMUM) {
		acc->value = value < acc->value ? value : acc->value;
	} else if (aggregate == STREAM_AGGREGATE_MAXIMUM) {
		acc->value = value > acc->value ? value : acc->value;
	} else {
		/* COUNT and SUM add, wrapping modulo 2^64 (unsigned, so defined). */
		acc->value = (int64_t)((uint64_t)acc->value + (uint64_t)value);
	}
	acc->count += count;
	ASSERT(acc->count >= count);
}

void stream_operator_aggregate_add(const struct stream_operator *op, struct stream_entry *entry,
				   uint64_t count, int64_t value)
{
	struct accumulator acc = { entry->aggregate.count, entry->aggregate.value };

	ASSERT(entry->kind == STREAM_ENTRY_PANE || entry->kind == STREAM_ENTRY_EDGE);
	accumulate(op->config.aggregate, &acc, count, value);
	entry->aggregate.count = acc.count;
	entry->aggregate.value = acc.value;
	ASSERT(entry->aggregate.count >= 1);
}

bool stream_operator_window_value(const struct stream_operator *op, uint64_t key,
				  int64_t window_start_ms, int64_t *value)
{
	const struct stream_window_spec *spec = &op->config.spec;
	struct accumulator acc = { 0, 0 };
	int64_t first_ms;
	uint64_t panes = stream_window_panes(spec, window_start_ms, &first_ms);
	uint32_t slot;

	ASSERT(panes <= STREAM_OPERATOR_WINDOW_PANES_MAX);
	for (uint64_t index = 0; index < panes; index++) {
		int64_t pane_ms = first_ms + (int64_t)index * spec->pane_ms;

		slot = stream_operator_find(op, STREAM_ENTRY_PANE, key, pane_ms);
		if (slot == STREAM_SLOT_NONE)
			continue;
		/* BUG single-slide: a pane counts only in its last window. */
		if ((op->config.bugs & STREAM_BUG_SINGLE_SLIDE) &&
		    last_window_start_ms(spec, pane_ms) != window_start_ms)
			continue;
		accumulate(op->config.aggregate, &acc, op->slots[slot].aggregate.count,
			   op->slots[slot].aggregate.value);
	}
	if (op->config.bugs & STREAM_BUG_END_INCLUSIVE) {
		/* BUG end-inclusive: the events at exactly end count too. */
		slot = stream_operator_find(op, STREAM_ENTRY_EDGE, key,
					    stream_window_end(spec, window_start_ms));
		if (slot != STREAM_SLOT_NONE)
			accumulate(op->config.aggregate, &acc, op->slots[slot].aggregate.count,
				   op->slots[slot].aggregate.value);
	}
	*value = acc.value;
	return acc.count > 0;
}

static void sift_down(const struct stream_operator *op, uint32_t *order, uint32_t root,
		      uint32_t count, stream_entry_before_fn *before)
{
	/* Each step doubles root, so there are fewer than 32. */
	for (uint32_t step = 0; step < 32; step++) {
		uint64_t child = 2 * (uint64_t)root + 1;
		uint32_t swap;

		if (child >= count)
			return;
		if (child + 1 < count &&
		    before(&op->slots[order[child]], &op->slots[order[child + 1]]))
			child++;
		if (!before(&op->slots[order[root]], &op->slots[order[child]]))
			return;
		swap = order[root];
		order[root] = order[child];
		order[child] = swap;
		root = (uint32_t)child;
	}
	ASSERT(!"a heap of < 2^32 items is < 32 levels deep");
}

void stream_operator_sort(const struct stream_operator *op, uint32_t *order, uint32_t count,
			  stream_entry_before_fn *before)
{
	ASSERT(count <= op->config.pane_entries_max + op->config.window_entries_max);
	for (uint32_t root = count / 2; root-- > 0;)
		sift_down(op, order, root, count, before);
	for (uint32_t end = count; end-- > 1;) {
		uint32_t swap = order[0];

		order[0] = order[end];
		order[end] = swap;
		sift_down(op, order, 0, end, before);
	}
	for (uint32_t index = 1; index < count; index++)
		ASSERT_DEBUG(before(&op->slots[order[index - 1]], &op->slots[order[index]]));
}

/* Snapshot order: kind, then key, then start; a strict order, as identities are unique. */
static bool snapshot_before(const struct stream_entry *a, const struct stream_entry *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind;
	if (a->key != b->key)
		return a->key < b->key;
	return a->start_ms < b->start_ms;
}

size_t stream_operator_snapshot_size_max(const struct stream_operator *op)
{
	size_t entries = (size_t)op->config.pane_entries_max + op->config.window_entries_max;

	return SNAPSHOT_CONFIG_BYTES + op->config.inputs * SNAPSHOT_INPUT_BYTES +
	       SNAPSHOT_TAIL_BYTES + entries * SNAPSHOT_ENTRY_BYTES + SNAPSHOT_CRC_BYTES;
}

static void write_config(struct codec_writer *w, const struct stream_operator_config *config)
{
	codec_write_le(w, STREAM_OPERATOR_SNAPSHOT_VERSION, 1);
	codec_write_le(w, (uint64_t)config->spec.kind, 1);
	codec_write_le(w, (uint64_t)config->aggregate, 1);
	codec_write_le(w, (uint64_t)config->spec.size_ms, 8);
	codec_write_le(w, (uint64_t)config->spec.slide_ms, 8);
	codec_write_le(w, (uint64_t)config->spec.offset_ms, 8);
	codec_write_le(w, (uint64_t)config->lateness_ms, 8);
	codec_write_le(w, config->inputs, 4);
	codec_write_le(w, config->bugs, 4);
}

static void write_entry(struct codec_writer *w, const struct stream_entry *entry)
{
	bool window = entry->kind == STREAM_ENTRY_WINDOW;

	codec_write_le(w, entry->kind, 1);
	codec_write_le(w, entry->key, 8);
	codec_write_le(w, (uint64_t)entry->start_ms, 8);
	codec_write_le(w, window ? entry->panes_emitted : entry->aggregate.count, 8);
	codec_write_le(w, window ? 0 : (uint64_t)entry->aggregate.value, 8);
}

ssize_t stream_operator_snapshot(struct stream_operator *op, uint8_t *buf, size_t size)
{
	struct codec_writer w = codec_writer_of(buf, size);
	uint32_t count = 0;

	for (uint32_t slot = 0; slot < op->slots_count; slot++) {
		if (op->slots[slot].kind != STREAM_ENTRY_FREE)
			op->order[count++] = slot;
	}
	ASSERT(count == op->pane_entries + op->window_entries);
	stream_operator_sort(op, op->order, count, snapshot_before);
	write_config(&w, &op->config);
	for (uint32_t input = 0; input < op->config.inputs; input++) {
		codec_write_le(&w, (uint64_t)op->input_watermark_ms[input], 8);
		codec_write_le(&w, op->input_idle[input], 1);
	}
	codec_write_le(&w, (uint64_t)op->watermark_ms, 8);
	codec_write_le(&w, op->events, 8);
	codec_write_le(&w, op->late_events, 8);
	codec_write_le(&w, op->watermark_regressions, 8);
	codec_write_le(&w, count, 4);
	for (uint32_t index = 0; index < count; index++)
		write_entry(&w, &op->slots[op->order[index]]);
	if (!w.overflow)
		codec_write_le(&w, codec_crc32(buf, w.used), SNAPSHOT_CRC_BYTES);
	if (w.overflow)
		return -ENOSPC;
	ASSERT(w.used <= stream_operator_snapshot_size_max(op));
	return (ssize_t)w.used;
}

/* Read a field of @bytes bytes that must equal the operator's @expected. */
static int expect_field(struct codec_reader *r, size_t bytes, uint64_t expected,
			const char *field, struct errbuf *eb)
{
	uint64_t found = codec_read_le(r, bytes, field);

	if (r->bad)
		return errbuf_set(eb, -EINVAL, "snapshot: %s: truncated", field);
	if (found != expected)
		return errbuf_set(eb, -EINVAL, "snapshot: %s is %" PRId64 ", the operator's %"
				  PRId64, field, (int64_t)found, (int64_t)expected);
	return 0;
}

static int read_config(struct codec_reader *r, const struct stream_operator_config *config,
		       struct errbuf *eb)
{
	int err = expect_field(r, 1, STREAM_OPERATOR_SNAPSHOT_VERSION, "version", eb);

	err = err ? err : expect_field(r, 1, (uint64_t)config->spec.kind, "spec kind", eb);
	err = err ? err : expect_field(r, 1, (uint64_t)config->aggregate, "aggregate", eb);
	err = err ? err : expect_field(r, 8, (uint64_t)config->spec.size_ms, "size_ms", eb);
	err = err ? err : expect_field(r, 8, (uint64_t)config->spec.slide_ms, "slide_ms", eb);
	err = err ? err : expect_field(r, 8, (uint64_t)config->spec.offset_ms, "offset_ms", eb);
	err = err ? err : expect_field(r, 8, (uint64_t)config->lateness_ms, "lateness_ms", eb);
	err = err ? err : expect_field(r, 4, config->inputs, "inputs", eb);
	err = err ? err : expect_field(r, 4, config->bugs, "bugs", eb);
	return err;
}

/* Everything of a snapshot but its entries, read and checked before anything changes. */
struct snapshot_state {
	int64_t input_watermark_ms[STREAM_OPERATOR_INPUTS_MAX];
	bool input_idle[STREAM_OPERATOR_INPUTS_MAX];
	int64_t watermark_ms;
	uint64_t events, late_events, watermark_regressions;
	uint32_t entry_count;
};

static int read_state(struct codec_reader *r, const struct stream_operator *op,
		      struct snapshot_state *state, struct errbuf *eb)
{
	for (uint32_t input = 0; input < op->config.inputs; input++) {
		uint64_t idle;

		state->input_watermark_ms[input] = (int64_t)codec_read_le(r, 8, "input watermark");
		idle = codec_read_le(r, 1, "input idle");
		if (idle > 1)
			return errbuf_set(eb, -EINVAL, "snapshot: input %u: idle flag %" PRIu64,
					  input, idle);
		state->input_idle[input] = idle;
	}
	state->watermark_ms = (int64_t)codec_read_le(r, 8, "watermark");
	state->events = codec_read_le(r, 8, "events");
	state->late_events = codec_read_le(r, 8, "late events");
	state->watermark_regressions = codec_read_le(r, 8, "watermark regressions");
	state->entry_count = (uint32_t)codec_read_le(r, 4, "entry count");
	if (r->bad)
		return errbuf_set(eb, -EINVAL, "snapshot: %s: truncated", r->bad);
	if (state->entry_count > op->config.pane_entries_max + op->config.window_entries_max)
		return errbuf_set(eb, -EINVAL, "snapshot: %u entries, over the operator's %u",
				  state->entry_count,
				  op->config.pane_entries_max + op->config.window_entries_max);
	if (r->size - r->used != (size_t)state->entry_count * SNAPSHOT_ENTRY_BYTES)
		return errbuf_set(eb, -EINVAL, "snapshot: %zu bytes of entries, %u entries",
				  r->size - r->used, state->entry_count);
	return 0;
}

static void read_entry(struct codec_reader *r, struct stream_entry *entry)
{
	uint64_t first, second;

	entry->kind = (uint8_t)codec_read_le(r, 1, "entry kind");
	entry->key = codec_read_le(r, 8, "entry key");
	entry->start_ms = (int64_t)codec_read_le(r, 8, "entry start");
	first = codec_read_le(r, 8, "entry count");
	second = codec_read_le(r, 8, "entry value");
	if (entry->kind == STREAM_ENTRY_WINDOW) {
		entry->panes_emitted = first;
		codec_read_check(r, second == 0, "window entry's unused field");
	} else {
		entry->aggregate.count = first;
		entry->aggregate.value = (int64_t)second;
	}
}

/* Whether @start_ms is in range and on the grid of its kind (panes, edges or windows). */
static bool entry_start_valid(const struct stream_operator *op, const struct stream_entry *entry)
{
	const struct stream_window_spec *spec = &op->config.spec;
	int64_t start_ms = entry->start_ms;

	if (start_ms < -ENTRY_START_MS_ABS_MAX || start_ms > ENTRY_START_MS_ABS_MAX)
		return false;
	if (entry->kind == STREAM_ENTRY_WINDOW)
		return stream_window_mod(start_ms - spec->offset_ms, spec->slide_ms) == 0;
	if (entry->kind == STREAM_ENTRY_EDGE)
		return (op->config.bugs & STREAM_BUG_END_INCLUSIVE) &&
		       stream_window_mod(start_ms - spec->size_ms - spec->offset_ms,
					 spec->slide_ms) == 0;
	return stream_window_mod(start_ms - spec->offset_ms, spec->pane_ms) == 0;
}

static int check_entry(const struct stream_operator *op, const struct snapshot_state *state,
		       const struct stream_entry *entry, const struct stream_entry *previous,
		       uint32_t index, struct errbuf *eb)
{
	bool aggregate = entry->kind == STREAM_ENTRY_PANE || entry->kind == STREAM_ENTRY_EDGE;

	if (!aggregate && entry->kind != STREAM_ENTRY_WINDOW)
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: kind %u", index, entry->kind);
	if (!entry_start_valid(op, entry))
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: start %" PRId64
				  " is off the grid of its kind", index, entry->start_ms);
	if (aggregate && entry->aggregate.count == 0)
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: no events", index);
	if (aggregate && op->config.aggregate == STREAM_AGGREGATE_COUNT &&
	    entry->aggregate.value != (int64_t)entry->aggregate.count)
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: count and value differ", index);
	if (previous && !snapshot_before(previous, entry))
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: not after entry %u", index,
				  index - 1);
	if (stream_operator_entry_cleanup_ms(op, entry) <= state->watermark_ms)
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: past cleanup at watermark %"
				  PRId64, index, state->watermark_ms);
	return 0;
}

/* Check every entry, counting each kind against its bound, without changing @op. */
static int check_entries(const struct stream_operator *op, struct codec_reader r,
			 const struct snapshot_state *state, struct errbuf *eb)
{
	struct stream_entry entry, previous;
	uint32_t panes = 0, windows = 0;

	for (uint32_t index = 0; index < state->entry_count; index++) {
		int err;

		read_entry(&r, &entry);
		if (r.bad)
			return errbuf_set(eb, -EINVAL, "snapshot: entry %u: %s", index, r.bad);
		err = check_entry(op, state, &entry, index ? &previous : NULL, index, eb);
		if (err)
			return err;
		windows += entry.kind == STREAM_ENTRY_WINDOW;
		panes += entry.kind != STREAM_ENTRY_WINDOW;
		previous = entry;
	}
	if (panes > op->config.pane_entries_max || windows > op->config.window_entries_max)
		return errbuf_set(eb, -EINVAL, "snapshot: %u pane and %u window entries, over the "
				  "operator's %u and %u", panes, windows,
				  op->config.pane_entries_max, op->config.window_entries_max);
	return 0;
}

int stream_operator_restore(struct stream_operator *op, const uint8_t *bytes, size_t size,
			    struct errbuf *eb)
{
	size_t header = SNAPSHOT_CONFIG_BYTES + op->config.inputs * SNAPSHOT_INPUT_BYTES +
			SNAPSHOT_TAIL_BYTES;
	struct snapshot_state state;
	struct codec_reader r;
	int err;

	if (size < header + SNAPSHOT_CRC_BYTES)
		return errbuf_set(eb, -EINVAL, "snapshot: %zu bytes, under the %zu of a header",
				  size, header + SNAPSHOT_CRC_BYTES);
	size -= SNAPSHOT_CRC_BYTES;
	if (codec_get_le(bytes + size, SNAPSHOT_CRC_BYTES) != codec_crc32(bytes, size))
		return errbuf_set(eb, -EINVAL, "snapshot: CRC mismatch over %zu bytes", size);
	r = codec_reader_of(bytes, size);
	err = read_config(&r, &op->config, eb);
	err = err ? err : read_state(&r, op, &state, eb);
	err = err ? err : check_entries(op, r, &state, eb);
	if (err)
		return err;
	memset(op->slots, 0, (size_t)op->slots_count * sizeof(op->slots[0]));
	op->pane_entries = op->window_entries = 0;
	for (uint32_t index = 0; index < state.entry_count; index++) {
		struct stream_entry entry;

		read_entry(&r, &entry);
		op->slots[stream_operator_find_or_insert(op, entry.kind, entry.key,
							 entry.start_ms)] = entry;
	}
	ASSERT(!r.bad);
	ASSERT(r.used == r.size);
	memcpy(op->input_watermark_ms, state.input_watermark_ms, sizeof(state.input_watermark_ms));
	memcpy(op->input_idle, state.input_idle, sizeof(state.input_idle));
	op->watermark_ms = state.watermark_ms;
	if (op->config.bugs & STREAM_BUG_WATERMARK_RESET_ON_RESTORE) {
		for (uint32_t input = 0; input < STREAM_OPERATOR_INPUTS_MAX; input++)
			op->input_watermark_ms[input] = INT64_MIN;
		op->watermark_ms = INT64_MIN;
	}
	op->events = state.events;
	op->late_events = state.late_events;
	op->watermark_regressions = state.watermark_regressions;
	op->due_ms = INT64_MIN; /* unknown: the next advance scans, and its sweep sets it */
	ASSERT_DEBUG(stream_operator_invariants_hold(op));
	return 0;
}
