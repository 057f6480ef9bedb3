/* SPDX-License-Identifier: MIT */
/* stream_operator_snapshot.c - the window operator's state as bytes, and back. */
#include "stream_operator_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"

/* Kinds of logical entries (snapshots count and order them; the values are its bytes). */
enum stream_entry_kind {
	STREAM_ENTRY_FREE = 0,
	STREAM_ENTRY_PANE,      /* a (key, pane) aggregate: the events of [start, start + P) */
	STREAM_ENTRY_EDGE,      /* STREAM_BUG_END_INCLUSIVE: the events at exactly start, for
				 * the window ending there */
	STREAM_ENTRY_WINDOW,    /* a member (key, window): the panes it emitted */
};

/* A logical entry: what a snapshot holds, one per pane, edge and member window. */
struct stream_entry {
	uint64_t key;
	int64_t start_ms;
	uint8_t kind;                           /* enum stream_entry_kind */
	union {
		int64_t value;                  /* PANE, EDGE: the events' aggregate (COUNT:
						 * the count, >= 1) */
		uint64_t panes_emitted;         /* WINDOW: the next pane's index */
	};
};

struct stream_entry *stream_operator_scratch_new(uint32_t count)
{
	return calloc(count, sizeof(struct stream_entry));
}

/* The cleanup time of an entry: that of the latest window combining it (INT64_MIN if none). */
static int64_t entry_cleanup_ms(const struct stream_operator *op, const struct stream_entry *entry)
{
	ASSERT(entry->kind != STREAM_ENTRY_FREE);
	if (entry->kind == STREAM_ENTRY_WINDOW)
		return stream_operator_window_cleanup_ms(op, entry->start_ms);
	if (entry->kind == STREAM_ENTRY_EDGE)
		return stream_operator_edge_cleanup_ms(op, entry->start_ms);
	ASSERT(entry->kind == STREAM_ENTRY_PANE);
	return stream_operator_pane_cleanup_ms(op, stream_operator_pane_index(op, entry->start_ms));
}

/*
 * Entry starts derived from valid event times: a window start is less than a size below the
 * time (or, under negative-modulo, less than a slide above it), a pane start less than a pane
 * from it, an edge start is a time; so all lie within
 * +-(STREAM_WINDOW_TIME_MS_MAX + STREAM_WINDOW_SIZE_MS_MAX) = +-2^61.
 */
#define ENTRY_START_MS_ABS_MAX (STREAM_WINDOW_TIME_MS_MAX + STREAM_WINDOW_SIZE_MS_MAX)
STATIC_ASSERT(sizeof(struct stream_entry) == 32, "stream_operator.h's scratch size");
STATIC_ASSERT(ENTRY_START_MS_ABS_MAX <= STREAM_WINDOW_START_MS_ABS_MAX,
	      "restored starts are accepted by stream_window.h");

/*
 * Snapshot layout, little-endian:
 *   version u8, spec kind u8, aggregate u8, size_ms, slide_ms, offset_ms, lateness_ms i64,
 *   inputs u32, bugs u32: must equal the restoring operator's config            (43 bytes)
 *   per input: watermark_ms i64, idle u8                                    (9 bytes each)
 *   watermark_ms i64; events, late_events, watermark_regressions u64; entry count u32 (36)
 *   per entry, ascending by (kind, key, start): kind u8, key u64, start_ms i64, then
 *   value i64 (PANE, EDGE) or panes_emitted u64 (WINDOW: one per member window; 0 if it
 *   emitted nothing)                                                        (25 each)
 *   CRC-32 u32 of all the bytes before it.
 * Version 1 had 33-byte entries, a count u64 before each value (0 for WINDOW); the operator
 * keeps no count now (a cell's bit says it holds events), so it refuses version 1.
 */
enum {
	SNAPSHOT_CONFIG_BYTES = 1 + 1 + 1 + 4 * 8 + 4 + 4,     /* version .. bugs */
	SNAPSHOT_INPUT_BYTES = 8 + 1,                           /* watermark, idle */
	SNAPSHOT_TAIL_BYTES = 8 + 3 * 8 + 4,    /* watermark, counters, entry count */
	SNAPSHOT_ENTRY_BYTES = 1 + 8 + 8 + 8,   /* kind, key, start, value or panes emitted */
	SNAPSHOT_CRC_BYTES = 4,
};

/* Snapshot order: kind, then key, then start; a strict order, as identities are unique. */
static bool snapshot_before(const struct stream_entry *a, const struct stream_entry *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind;
	if (a->key != b->key)
		return a->key < b->key;
	return a->start_ms < b->start_ms;
}

/* Sort @count entries by snapshot_before(), in place (heapsort: no recursion). */
static void sift_down(struct stream_entry *entries, uint32_t root, uint32_t count)
{
	/* Each step doubles root, so there are fewer than 32. */
	for (uint32_t step = 0; step < 32; step++) {
		uint64_t child = 2 * (uint64_t)root + 1;
		struct stream_entry swap;

		if (child >= count)
			return;
		if (child + 1 < count &&
		    snapshot_before(&entries[child], &entries[child + 1]))
			child++;
		if (!snapshot_before(&entries[root], &entries[child]))
			return;
		swap = entries[root];
		entries[root] = entries[child];
		entries[child] = swap;
		root = (uint32_t)child;
	}
	ASSERT(!"a heap of < 2^32 items is < 32 levels deep");
}

static void entries_sort(struct stream_entry *entries, uint32_t count)
{
	for (uint32_t root = count / 2; root-- > 0;)
		sift_down(entries, root, count);
	for (uint32_t end = count; end-- > 1;) {
		struct stream_entry swap = entries[0];

		entries[0] = entries[end];
		entries[end] = swap;
		sift_down(entries, 0, end);
	}
	for (uint32_t index = 1; index < count; index++)
		ASSERT_DEBUG(snapshot_before(&entries[index - 1], &entries[index]));
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
	codec_write_le(w, window ? entry->panes_emitted : (uint64_t)entry->value, 8);
}

/* Add to op->scratch an entry of @kind per bit of @mask in @chunk. */
static uint32_t chunk_entries(struct stream_operator *op, struct stream_chunk *chunk,
			      uint8_t kind, uint64_t mask, uint32_t count)
{
	for (; mask; mask &= mask - 1) {
		uint32_t bit = (uint32_t)__builtin_ctzll(mask);
		struct stream_entry *entry = &op->scratch[count++];
		const struct stream_cell *cell = kind == STREAM_ENTRY_EDGE ?
							 stream_chunk_edge(op, chunk, bit) :
							 stream_chunk_pane(op, chunk, bit);

		*entry = (struct stream_entry){
			.key = chunk->key, .kind = kind,
			.start_ms = stream_operator_bit_start(op, chunk, bit) };
		if (kind != STREAM_ENTRY_WINDOW)
			entry->value = cell->value;
		else if (chunk->emitted >> bit & 1)
			entry->panes_emitted = *stream_chunk_emitted(op, chunk, bit);
	}
	return count;
}

/* The entries a snapshot holds, in op->scratch: PANE and EDGE entries, and a WINDOW entry per
 * member window with the panes it emitted. */
static uint32_t logical_entries(struct stream_operator *op)
{
	uint32_t count = 0;

	for (uint32_t id = 0; id < op->chunks_used; id++) {
		struct stream_chunk *chunk = stream_chunk_at(op, id);

		if (op->links[id].prev == STREAM_CHUNK_FREE)
			continue;
		count = chunk_entries(op, chunk, STREAM_ENTRY_PANE, chunk->panes, count);
		count = chunk_entries(op, chunk, STREAM_ENTRY_EDGE, chunk->edges, count);
		count = chunk_entries(op, chunk, STREAM_ENTRY_WINDOW, chunk->members, count);
	}
	ASSERT(count == op->pane_entries + op->window_entries);
	return count;
}

ssize_t stream_operator_snapshot(struct stream_operator *op, uint8_t *buf, size_t size)
{
	struct codec_writer w = codec_writer_of(buf, size);
	uint32_t count = logical_entries(op);

	entries_sort(op->scratch, count);
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
		write_entry(&w, &op->scratch[index]);
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
	uint64_t version = codec_read_le(r, 1, "version");
	int err = 0;

	if (r->bad)
		return errbuf_set(eb, -EINVAL, "snapshot: version: truncated");
	if (version != STREAM_OPERATOR_SNAPSHOT_VERSION)
		return errbuf_set(eb, -EINVAL, "snapshot: version %" PRIu64 ", the operator reads "
				  "version %d only%s", version, STREAM_OPERATOR_SNAPSHOT_VERSION,
				  version == 1 ? " (version 1 kept a count per pane)" : "");
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
	uint64_t field;

	entry->kind = (uint8_t)codec_read_le(r, 1, "entry kind");
	entry->key = codec_read_le(r, 8, "entry key");
	entry->start_ms = (int64_t)codec_read_le(r, 8, "entry start");
	field = codec_read_le(r, 8, "entry value");
	if (entry->kind == STREAM_ENTRY_WINDOW)
		entry->panes_emitted = field;
	else
		entry->value = (int64_t)field;
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
	/* With lateness 0 no window outlives its firing, so none counted a pane emitted (and
	 * chunks have no room for the counts). */
	if (!aggregate && entry->panes_emitted != 0 && op->config.lateness_ms == 0)
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: panes emitted with lateness 0",
				  index);
	/* A held cell has an event at least; only COUNT's value says how many. */
	if (aggregate && op->config.aggregate == STREAM_AGGREGATE_COUNT && entry->value < 1)
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: no events (count %" PRId64 ")",
				  index, entry->value);
	if (previous && !snapshot_before(previous, entry))
		return errbuf_set(eb, -EINVAL, "snapshot: entry %u: not after entry %u", index,
				  index - 1);
	if (entry_cleanup_ms(op, entry) <= state->watermark_ms)
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

/* Put a checked entry of a snapshot back: a pane's or edge's cell, or a member window's bit
 * and its panes emitted (the chunks have room). The calendar is rebuilt once all are in. */
static void restore_entry(struct stream_operator *op, const struct stream_entry *entry)
{
	int64_t q = stream_operator_pane_index(op, entry->start_ms);
	int64_t c = stream_operator_chunk_of(op, q);
	uint32_t bit = stream_operator_bit_of(op, q);
	uint32_t id = stream_operator_chunk_find(op, entry->key, c);
	struct stream_chunk *chunk;

	if (id == STREAM_CHUNK_NONE)
		id = stream_operator_chunk_insert(op, entry->key, c);
	chunk = stream_chunk_at(op, id);
	if (entry->kind == STREAM_ENTRY_WINDOW) {
		ASSERT(!(chunk->members >> bit & 1));
		chunk->members |= 1ull << bit;
		op->window_entries++;
		if (entry->panes_emitted == 0)
			return;
		chunk->emitted |= 1ull << bit;
		*stream_chunk_emitted(op, chunk, bit) = entry->panes_emitted;
		return;
	}
	ASSERT(!((entry->kind == STREAM_ENTRY_EDGE ? chunk->edges : chunk->panes) >> bit & 1));
	if (entry->kind == STREAM_ENTRY_EDGE)
		chunk->edges |= 1ull << bit;
	else
		chunk->panes |= 1ull << bit;
	*(entry->kind == STREAM_ENTRY_EDGE ? stream_chunk_edge(op, chunk, bit) :
					     stream_chunk_pane(op, chunk, bit)) =
		(struct stream_cell){ entry->value };
	op->pane_entries++;
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
	/* Each entry makes at most one chunk. */
	err = stream_operator_reserve(op, state.entry_count > op->chunks_count ?
					  state.entry_count - op->chunks_count : 0, eb);
	if (err)
		return err;
	stream_operator_chunks_clear(op);
	for (uint32_t index = 0; index < state.entry_count; index++) {
		struct stream_entry entry;

		read_entry(&r, &entry);
		restore_entry(op, &entry);
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
	stream_operator_timers_rebuild(op);
	ASSERT_DEBUG(stream_operator_invariants_hold(op));
	return 0;
}
