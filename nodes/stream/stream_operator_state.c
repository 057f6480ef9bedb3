/* SPDX-License-Identifier: MIT */
/* stream_operator_state.c - the window operator's chunks (a key's panes, edges and member
 * windows side by side), their index, and window values. */
#include "stream_operator_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

/* The start of the latest window at or before a pane's start: the pane's last window. */
static int64_t last_window_start_ms(const struct stream_window_spec *spec, int64_t pane_start_ms)
{
	int64_t rest = (pane_start_ms - spec->offset_ms) % spec->slide_ms; /* stream_window_mod() */

	return pane_start_ms - (rest < 0 ? rest + spec->slide_ms : rest);
}

int64_t stream_operator_pane_cleanup_ms(const struct stream_operator *op, int64_t q)
{
	const struct stream_window_spec *spec = &op->config.spec;
	/* Window starts are the pane indexes that are multiples of k = L / P. */
	int64_t k = op->slide_panes, rest = k == 1 ? 0 : q % k;

	rest = rest < 0 ? rest + k : rest; /* stream_window_mod() */
	if (rest >= op->window_panes)
		return INT64_MIN; /* in the gap after its last window: no window combines it */
	return stream_operator_window_cleanup_ms(op, spec->offset_ms + (q - rest) * spec->pane_ms);
}

int64_t stream_operator_edge_cleanup_ms(const struct stream_operator *op, int64_t edge_start_ms)
{
	return stream_operator_window_cleanup_ms(op, edge_start_ms - op->config.spec.size_ms);
}

/* --- the index --- */

/* A slot of the chunk index: open addressing by hash of (key, c), linear probes, the hash
 * kept so that a probe reads a chunk only on a likely match and growing reads none; 8 bytes
 * a slot, so that the index of bench-stream's sliding case (about 2 * 10^4 chunks, 512 KiB)
 * fits a core's L2 cache. */
struct stream_index_slot {
	uint32_t id;                            /* the chunk; STREAM_CHUNK_NONE: free */
	uint32_t hash;                          /* its hash: the home slot, and a filter */
};

/* A 64-bit mix (splitmix64's finaliser) of (key, c), cut to 32 bits. */
static uint32_t chunk_hash(uint64_t key, int64_t c)
{
	uint64_t h = key ^ ((uint64_t)c * 0x9e3779b97f4a7c15ull);

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(h ^ (h >> 31));
}

/* The slot holding (key, c), or the free slot that ends its probe. */
static uint32_t probe(const struct stream_operator *op, uint64_t key, int64_t c, uint32_t hash)
{
	uint32_t mask = op->index_capacity - 1, slot = hash & mask;

	for (uint32_t step = 0; step < op->index_capacity; step++, slot = (slot + 1) & mask) {
		const struct stream_index_slot *at = &op->index[slot];
		const struct stream_chunk *chunk;

		if (at->id == STREAM_CHUNK_NONE)
			return slot;
		if (at->hash != hash)
			continue;
		chunk = stream_chunk_at(op, at->id);
		if (chunk->key == key && chunk->index == c)
			return slot;
	}
	ASSERT(!"an index at most half full has a free slot");
	return 0;
}

uint32_t stream_operator_chunk_find(const struct stream_operator *op, uint64_t key, int64_t c)
{
	return op->index[probe(op, key, c, chunk_hash(key, c))].id;
}

/*
 * The chunk of (key, c) is most likely in its home slot: ask the cache for its header and
 * the line of pane q's cell, before the event's plan needs them. bench-stream showed an
 * event's time going to those two misses, one after the other; this overlaps them with
 * each other and with the plan's arithmetic. A wrong guess costs a wasted prefetch.
 */
void stream_operator_key_prefetch(const struct stream_operator *op, uint64_t key, int64_t q)
{
	int64_t c = stream_operator_chunk_of(op, q);
	uint32_t hash = chunk_hash(key, c);
	const struct stream_index_slot *at = &op->index[hash & (op->index_capacity - 1)];
	const unsigned char *chunk;

	if (at->id == STREAM_CHUNK_NONE || at->id >= op->chunks_used)
		return;
	chunk = op->chunks + (size_t)at->id * op->chunk_bytes;
	__builtin_prefetch(chunk);
	__builtin_prefetch(chunk + sizeof(struct stream_chunk) +
			   stream_operator_bit_of(op, q) * sizeof(struct stream_cell));
}

/* Put (id, hash) in the first free slot of its probe run (it is absent). */
static void index_put(struct stream_index_slot *index, uint32_t capacity, uint32_t id,
		      uint32_t hash)
{
	uint32_t mask = capacity - 1, slot = hash & mask;

	for (uint32_t step = 0; step < capacity && index[slot].id != STREAM_CHUNK_NONE; step++)
		slot = (slot + 1) & mask;
	ASSERT(index[slot].id == STREAM_CHUNK_NONE);
	index[slot] = (struct stream_index_slot){ id, hash };
}

/* Empty @hole, shifting later slots of its probe run back (no tombstones). */
static void index_delete(struct stream_operator *op, uint32_t hole)
{
	uint32_t mask = op->index_capacity - 1, next = (hole + 1) & mask;

	for (uint32_t step = 0; step < op->index_capacity; step++, next = (next + 1) & mask) {
		struct stream_index_slot *at = &op->index[next];
		uint32_t home = at->hash & mask;

		if (at->id == STREAM_CHUNK_NONE)
			break;
		/* It may fill the hole if the hole is not before its home along the run. */
		if (((next - home) & mask) >= ((next - hole) & mask)) {
			op->index[hole] = *at;
			hole = next;
		}
	}
	op->index[hole].id = STREAM_CHUNK_NONE;
}

/* An index of @capacity slots holding every live chunk. */
static int index_grow(struct stream_operator *op, uint32_t capacity)
{
	struct stream_index_slot *index = malloc((size_t)capacity * sizeof(index[0]));

	if (!index)
		return -ENOMEM;
	for (uint32_t slot = 0; slot < capacity; slot++)
		index[slot].id = STREAM_CHUNK_NONE;
	for (uint32_t slot = 0; slot < op->index_capacity; slot++)
		if (op->index[slot].id != STREAM_CHUNK_NONE)
			index_put(index, capacity, op->index[slot].id, op->index[slot].hash);
	free(op->index);
	op->index = index;
	op->index_capacity = capacity;
	return 0;
}

/* --- the chunks --- */

enum { STREAM_CACHE_LINE = 64 };

/*
 * The chunks' pool grown to @capacity chunks, the chunks starting on a cache line: a chunk
 * header is one line then (64 bytes), and so is every chunk's start when the stride is a
 * multiple of 64 (bench-stream's sliding chunks, 320 bytes). malloc()'s large blocks sit 16
 * bytes into a page, so each header straddled two lines, both missed. realloc() (a line
 * more), not aligned_alloc() and a copy: it can move a large block's pages, where a copy
 * holds both pools at once (bench-stream's peak RSS 83 MB, from 72).
 */
static int chunks_pool_grow(struct stream_operator *op, uint32_t capacity)
{
	size_t before = op->pool ? (size_t)(op->chunks - op->pool) : 0;
	unsigned char *pool = realloc(op->pool, (size_t)capacity * op->chunk_bytes +
						STREAM_CACHE_LINE);
	size_t after;

	if (!pool)
		return -ENOMEM;
	after = (STREAM_CACHE_LINE - (uintptr_t)pool % STREAM_CACHE_LINE) % STREAM_CACHE_LINE;
	if (after != before && op->chunks_used) /* the block moved to another alignment */
		memmove(pool + after, pool + before, (size_t)op->chunks_used * op->chunk_bytes);
	op->pool = pool;
	op->chunks = pool + after;
	ASSERT((uintptr_t)op->chunks % STREAM_CACHE_LINE == 0);
	return 0;
}

/* Room for @capacity chunks in every array sized by chunks; bigger arrays are harmless. */
static int chunks_grow(struct stream_operator *op, uint32_t capacity)
{
	struct stream_link *links;
	uint32_t *popped;
	uint32_t index_capacity = 1;

	if (chunks_pool_grow(op, capacity))
		return -ENOMEM;
	links = realloc(op->links, (size_t)capacity * sizeof(links[0]));
	if (!links)
		return -ENOMEM;
	op->links = links;
	popped = realloc(op->popped, (size_t)capacity * sizeof(popped[0]));
	if (!popped)
		return -ENOMEM;
	op->popped = popped;
	while (index_capacity < 2 * capacity)
		index_capacity *= 2;
	if (index_capacity > op->index_capacity && index_grow(op, index_capacity))
		return -ENOMEM;
	op->chunks_capacity = capacity;
	return 0;
}

int stream_operator_reserve(struct stream_operator *op, uint32_t more, struct errbuf *eb)
{
	uint64_t need = (uint64_t)op->chunks_count + more;
	uint64_t capacity = op->chunks_capacity ? op->chunks_capacity : 64;

	if (need <= op->chunks_capacity)
		return 0;
	ASSERT(need <= op->chunks_max);
	while (capacity < need)
		capacity *= 2;
	if (capacity > op->chunks_max)
		capacity = op->chunks_max;
	if (chunks_grow(op, (uint32_t)capacity))
		return errbuf_set(eb, -ENOMEM, "stream operator: %u chunks of %zu bytes",
				  (uint32_t)capacity, op->chunk_bytes);
	ASSERT(op->chunks_capacity >= need);
	return 0;
}

uint32_t stream_operator_chunk_insert(struct stream_operator *op, uint64_t key, int64_t c)
{
	uint32_t id = op->free_head;
	struct stream_chunk *chunk;

	ASSERT(op->chunks_count < op->chunks_capacity);
	ASSERT_DEBUG(stream_operator_chunk_find(op, key, c) == STREAM_CHUNK_NONE);
	if (id == STREAM_CHUNK_NONE) {
		id = op->chunks_used++;
	} else {
		op->free_head = op->links[id].next;
	}
	chunk = stream_chunk_at(op, id);
	*chunk = (struct stream_chunk){ .key = key, .index = c, .due_ms = INT64_MAX,
					.before = stream_operator_chunk_find(op, key, c - 1),
					.after = stream_operator_chunk_find(op, key, c + 1) };
	if (chunk->before != STREAM_CHUNK_NONE)
		stream_chunk_at(op, chunk->before)->after = id;
	if (chunk->after != STREAM_CHUNK_NONE)
		stream_chunk_at(op, chunk->after)->before = id;
	op->links[id] = (struct stream_link){ INT64_MAX, STREAM_CHUNK_NONE, STREAM_CHUNK_UNLINKED };
	index_put(op->index, op->index_capacity, id, chunk_hash(key, c));
	op->chunks_count++;
	ASSERT(op->chunks_used <= op->chunks_capacity);
	return id;
}

void stream_operator_chunk_remove(struct stream_operator *op, uint32_t id)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	uint32_t hash = chunk_hash(chunk->key, chunk->index);
	uint32_t slot = probe(op, chunk->key, chunk->index, hash);

	ASSERT(op->index[slot].id == id);
	ASSERT(!(chunk->panes | chunk->edges | chunk->members));
	index_delete(op, slot);
	ASSERT(op->links[id].prev == STREAM_CHUNK_UNLINKED);
	if (chunk->before != STREAM_CHUNK_NONE)
		stream_chunk_at(op, chunk->before)->after = STREAM_CHUNK_NONE;
	if (chunk->after != STREAM_CHUNK_NONE)
		stream_chunk_at(op, chunk->after)->before = STREAM_CHUNK_NONE;
	op->links[id] = (struct stream_link){ INT64_MAX, op->free_head, STREAM_CHUNK_FREE };
	op->free_head = id;
	op->chunks_count--;
}

void stream_operator_chunks_clear(struct stream_operator *op)
{
	for (uint32_t slot = 0; slot < op->index_capacity; slot++)
		op->index[slot].id = STREAM_CHUNK_NONE;
	op->chunks_count = op->chunks_used = 0;
	op->free_head = STREAM_CHUNK_NONE;
	stream_operator_calendar_clear(op);
	op->pane_entries = op->window_entries = 0;
}


/* --- aggregates --- */

/* A running aggregate: @cells held cells (or events) folded, whose aggregate is value. */
struct accumulator {
	uint64_t cells;
	int64_t value;
};

static void accumulate(enum stream_aggregate aggregate, struct accumulator *acc, int64_t value)
{
	if (acc->cells == 0) {
		acc->value = value;
	} else if (aggregate == STREAM_AGGREGATE_MINIMUM) {
		acc->value = value < acc->value ? value : acc->value;
	} else if (aggregate == STREAM_AGGREGATE_MAXIMUM) {
		acc->value = value > acc->value ? value : acc->value;
	} else {
		/* COUNT and SUM add, wrapping modulo 2^64 (unsigned, so defined). */
		acc->value = (int64_t)((uint64_t)acc->value + (uint64_t)value);
	}
	acc->cells++;
	ASSERT(acc->cells >= 1);
}

void stream_operator_aggregate_add(const struct stream_operator *op, struct stream_cell *cell,
				   bool held, int64_t value)
{
	struct accumulator acc = { 0, 0 };

	if (held)
		acc = (struct accumulator){ 1, cell->value };
	accumulate(op->config.aggregate, &acc, value);
	cell->value = acc.value;
	/* COUNT's value is the count: at least this event. */
	ASSERT(op->config.aggregate != STREAM_AGGREGATE_COUNT || cell->value >= 1);
}

/* Fold into @acc the panes [q, q + n) of chunk @id (none if STREAM_CHUNK_NONE). */
static void panes_fold(const struct stream_operator *op, int64_t q, uint32_t n, uint32_t id,
		       int64_t window_start_ms, struct accumulator *acc)
{
	uint32_t bit = stream_operator_bit_of(op, q);
	struct stream_chunk *chunk;
	uint64_t mask;

	ASSERT(n >= 1 && bit + n <= op->chunk_panes);
	if (id == STREAM_CHUNK_NONE)
		return;
	chunk = stream_chunk_at(op, id);
	mask = chunk->panes >> bit;
	if (n < 64)
		mask &= (1ull << n) - 1;
	for (; mask; mask &= mask - 1) {
		uint32_t j = bit + (uint32_t)__builtin_ctzll(mask);
		struct stream_cell *cell = stream_chunk_pane(op, chunk, j);
		int64_t pane_ms = stream_operator_bit_start(op, chunk, j);

		/* BUG single-slide: a pane counts only in its last window. */
		if ((op->config.bugs & STREAM_BUG_SINGLE_SLIDE) &&
		    last_window_start_ms(&op->config.spec, pane_ms) != window_start_ms)
			continue;
		accumulate(op->config.aggregate, acc, cell->value);
	}
}

bool stream_operator_window_value(const struct stream_operator *op, uint64_t key, int64_t q,
				  uint32_t id, int64_t *value)
{
	const struct stream_window_spec *spec = &op->config.spec;
	struct accumulator acc = { 0, 0 };
	int64_t window_start_ms = spec->offset_ms + q * spec->pane_ms;
	int64_t end_q = q + op->window_panes;
	bool known = id != STREAM_CHUNK_NONE;

	/* A window spans at most two chunks: R >= S / P. The second is the first's after. */
	while (q < end_q) {
		uint32_t n = op->chunk_panes - stream_operator_bit_of(op, q);

		if (n > end_q - q)
			n = (uint32_t)(end_q - q);
		if (!known)
			id = stream_operator_chunk_find(op, key, stream_operator_chunk_of(op, q));
		panes_fold(op, q, n, id, window_start_ms, &acc);
		q += n;
		known = id != STREAM_CHUNK_NONE; /* then its after is the next, or none */
		if (known)
			id = stream_chunk_at(op, id)->after;
	}
	if (op->config.bugs & STREAM_BUG_END_INCLUSIVE) {
		/* BUG end-inclusive: the events at exactly end count too. */
		uint32_t bit = stream_operator_bit_of(op, end_q);

		id = stream_operator_chunk_find(op, key, stream_operator_chunk_of(op, end_q));
		if (id != STREAM_CHUNK_NONE && (stream_chunk_at(op, id)->edges >> bit & 1)) {
			struct stream_chunk *chunk = stream_chunk_at(op, id);
			const struct stream_cell *cell = stream_chunk_edge(op, chunk, bit);

			accumulate(op->config.aggregate, &acc, cell->value);
		}
	}
	*value = acc.value;
	return acc.cells > 0;
}

/* --- invariants --- */

/* Whether held @cell can be: a COUNT holds one event at least. */
static bool cell_valid(const struct stream_operator *op, const struct stream_cell *cell)
{
	return op->config.aggregate != STREAM_AGGREGATE_COUNT || cell->value >= 1;
}

/* Whether every bit @chunk holds is live and counted, and its due time the least. */
static bool chunk_holds(const struct stream_operator *op, uint32_t id, uint32_t *panes,
			uint32_t *windows)
{
	struct stream_chunk *chunk = stream_chunk_at(op, id);
	int64_t watermark_ms = op->watermark_ms;

	if (stream_operator_chunk_find(op, chunk->key, chunk->index) != id)
		return false; /* unreachable by its probe run, or a duplicate */
	if (chunk->before != stream_operator_chunk_find(op, chunk->key, chunk->index - 1) ||
	    chunk->after != stream_operator_chunk_find(op, chunk->key, chunk->index + 1))
		return false; /* its neighbours' links are wrong */
	if (!(chunk->panes | chunk->edges | chunk->members) || (chunk->emitted & ~chunk->members))
		return false;
	if (chunk->emitted && op->config.lateness_ms == 0)
		return false; /* no window outlives its firing */
	if (chunk->edges && !(op->config.bugs & STREAM_BUG_END_INCLUSIVE))
		return false;
	for (uint32_t bit = 0; bit < op->chunk_panes; bit++) {
		int64_t start_ms = stream_operator_bit_start(op, chunk, bit);

		if ((chunk->panes >> bit & 1) &&
		    (!cell_valid(op, stream_chunk_pane(op, chunk, bit)) ||
		     stream_operator_pane_cleanup_ms(op, chunk->index * op->chunk_panes + bit) <=
			     watermark_ms))
			return false;
		if ((chunk->edges >> bit & 1) &&
		    (!cell_valid(op, stream_chunk_edge(op, chunk, bit)) ||
		     stream_operator_edge_cleanup_ms(op, start_ms) <= watermark_ms))
			return false;
		if ((chunk->members >> bit & 1) &&
		    stream_operator_window_cleanup_ms(op, start_ms) <= watermark_ms)
			return false;
		if ((chunk->emitted >> bit & 1) && *stream_chunk_emitted(op, chunk, bit) == 0)
			return false;
	}
	*panes += (uint32_t)(__builtin_popcountll(chunk->panes) +
			     __builtin_popcountll(chunk->edges));
	*windows += (uint32_t)__builtin_popcountll(chunk->members);
	return op->links[id].due_ms == chunk->due_ms &&
	       chunk->due_ms == stream_operator_chunk_due(op, id, watermark_ms);
}

bool stream_operator_invariants_hold(const struct stream_operator *op)
{
	uint32_t panes = 0, windows = 0, live = 0, free_count = 0, indexed = 0;

	for (uint32_t id = 0; id < op->chunks_used; id++) {
		if (op->links[id].prev == STREAM_CHUNK_FREE)
			continue;
		live++;
		if (!chunk_holds(op, id, &panes, &windows))
			return false;
	}
	for (uint32_t id = op->free_head; id != STREAM_CHUNK_NONE && free_count <= op->chunks_used;
	     id = op->links[id].next)
		free_count++;
	for (uint32_t slot = 0; slot < op->index_capacity; slot++)
		indexed += op->index[slot].id != STREAM_CHUNK_NONE;
	return live == op->chunks_count && live + free_count == op->chunks_used &&
	       indexed == live && stream_operator_calendar_holds(op) && panes == op->pane_entries &&
	       windows == op->window_entries && panes <= op->config.pane_entries_max &&
	       windows <= op->config.window_entries_max && live <= panes + windows &&
	       op->chunks_capacity <= op->chunks_max &&
	       op->index_capacity >= 2 * op->chunks_capacity;
}
