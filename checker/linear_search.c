/* SPDX-License-Identifier: MIT */
/* linear_search.c - Wing-Gong linearizability search with Lowe's just-in-time linearization
 * and a cache of (linearized set, model state) configurations already explored. */
#include "linear_search.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"
#include "hist.h"

enum { CACHE_SLOTS_MIN = 1024 };

/* One linearized call on the explicit stack (STYLE S23): which, and the state before it. */
struct frame {
	uint32_t call;
	uint32_t state;
};

/*
 * The search over one key. The entries are a doubly linked list of the calls' invocations
 * (entry 2c) and returns (entry 2c + 1) not yet linearized, in real-time order, with a head
 * sentinel at entry 2 * count; linearizing a call lifts both its entries out, backtracking
 * puts them back (undone in reverse order, so the saved links stay right).
 * Invariants: bits has bit c set iff call c is on the stack; hash is the XOR of mix(c) over
 * those calls; every word of bits below floor is full (all its calls linearized) and every
 * word from top on is zero; the cache holds every (bits, state) configuration entered so
 * far, each record in the pool as: key, state, floor << 32 | n, then the n words
 * bits[floor .. floor + n) (n = top - floor, or 0): the window between the first call not
 * linearized and the last one linearized, which stays narrow (about the concurrency) where
 * a whole bitset would grow with the history. The table holds pool offsets.
 */
struct search {
	struct linear_model_state *ms;
	const struct linear_call *calls;
	const uint32_t *events;         /* as linear_search()'s: the list's initial order */
	uint32_t count, head;
	uint32_t *next, *prev;
	uint64_t *bits;
	uint32_t words;
	uint64_t hash;
	struct frame *stack;
	uint32_t depth;
	uint32_t ok_left;               /* calls that completed ok, not yet linearized */
	uint32_t floor, top;            /* words of bits: full below floor, zero from top */
	uint64_t *records;              /* the pool of records */
	uint64_t record_count, pool_used, pool_capacity;        /* in uint64s */
	uint32_t *table;                /* record offset + 1, 0 when free; at most half full */
	uint64_t table_mask;
	uint64_t memory_bytes, memory_bytes_max;
};

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;     /* splitmix64's finalizer */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Counts @bytes against the budget (the interned values count too). */
static int charge(struct search *s, uint64_t bytes)
{
	if (s->memory_bytes + bytes + s->ms->values.memory_bytes > s->memory_bytes_max)
		return -E2BIG;
	s->memory_bytes += bytes;
	return 0;
}

static int table_grow(struct search *s)
{
	uint64_t slots = s->table ? (s->table_mask + 1) * 2 : CACHE_SLOTS_MIN;
	uint64_t mask = slots - 1;
	uint32_t *table;

	if (slots > ((uint64_t)1 << 32) || charge(s, slots * sizeof(*table)) < 0)
		return -E2BIG;
	table = calloc(slots, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (uint64_t off = 0; off < s->pool_used; off += 3 + (uint32_t)s->records[off + 2]) {
		uint64_t k = s->records[off] & mask;

		while (table[k])
			k = (k + 1) & mask;
		table[k] = (uint32_t)(off + 1);
	}
	if (s->table)
		s->memory_bytes -= (s->table_mask + 1) * sizeof(*table);
	free(s->table);
	s->table = table;
	s->table_mask = mask;
	return 0;
}

/* Room in the pool for @words more. Return: 0, -E2BIG (budget, or offsets past 32 bits). */
static int pool_reserve(struct search *s, uint64_t words)
{
	uint64_t capacity = s->pool_capacity ? s->pool_capacity : CACHE_SLOTS_MIN * 4;
	uint64_t *records;

	if (s->pool_used + words <= s->pool_capacity)
		return 0;
	while (capacity < s->pool_used + words)
		capacity *= 2;
	if (capacity >= UINT32_MAX ||
	    charge(s, (capacity - s->pool_capacity) * sizeof(uint64_t)) < 0)
		return -E2BIG;
	records = reallocarray(s->records, capacity, sizeof(uint64_t));
	if (!records)
		return -ENOMEM;
	s->records = records;
	s->pool_capacity = capacity;
	return 0;
}

/* The word that is full for word @w of the bitset: all ones, but for calls past count. */
static uint64_t word_full(const struct search *s, uint32_t w)
{
	uint32_t left = s->count - w * 64;

	return left >= 64 ? ~0ull : (1ull << left) - 1;
}

static void bit_set(struct search *s, uint32_t c)
{
	uint32_t w = c / 64;

	s->bits[w] |= 1ull << (c % 64);
	if (w + 1 > s->top)
		s->top = w + 1;
	/* Bounded by words. */
	while (s->floor < s->words && s->bits[s->floor] == word_full(s, s->floor))
		s->floor++;
}

static void bit_clear(struct search *s, uint32_t c)
{
	uint32_t w = c / 64;

	s->bits[w] &= ~(1ull << (c % 64));
	if (w < s->floor)
		s->floor = w;
	/* Bounded by words. */
	while (s->top > 0 && s->bits[s->top - 1] == 0)
		s->top--;
}

/* The window of the current bitset: its first word and how many (see struct search). */
static uint32_t window(const struct search *s, uint32_t *first)
{
	*first = s->floor;
	return s->top > s->floor ? s->top - s->floor : 0;
}

/* Adds (bits, @state) with @hash. Return: 1 new, 0 seen before, -E2BIG budget, -ENOMEM. */
static int cache_add(struct search *s, uint64_t hash, uint32_t state)
{
	uint64_t key = hash ^ mix((uint64_t)state << 32 | 0x5bd1e995u);
	uint32_t first, n = window(s, &first);
	uint64_t head = (uint64_t)first << 32 | n, k, *rec;
	int err;

	/* Bounded: the table is at most half full, so a free slot ends the probe. */
	for (k = key & s->table_mask; s->table[k]; k = (k + 1) & s->table_mask) {
		rec = s->records + (uint64_t)(s->table[k] - 1);
		if (rec[0] == key && rec[1] == state && rec[2] == head &&
		    memcmp(rec + 3, s->bits + first, n * sizeof(uint64_t)) == 0)
			return 0;
	}
	if ((err = pool_reserve(s, 3 + (uint64_t)n)) < 0)
		return err;
	rec = s->records + s->pool_used;
	rec[0] = key;
	rec[1] = state;
	rec[2] = head;
	memcpy(rec + 3, s->bits + first, n * sizeof(uint64_t));
	s->table[k] = (uint32_t)(s->pool_used + 1);
	s->pool_used += 3 + (uint64_t)n;
	s->record_count++;
	if (s->record_count * 2 > s->table_mask + 1)
		return table_grow(s) < 0 ? -E2BIG : 1;
	return 1;
}

static void lift(struct search *s, uint32_t e)
{
	s->next[s->prev[e]] = s->next[e];
	s->prev[s->next[e]] = s->prev[e];
}

static void unlift(struct search *s, uint32_t e)
{
	s->next[s->prev[e]] = e;
	s->prev[s->next[e]] = e;
}

static int search_init(struct search *s)
{
	const uint32_t *events = s->events;
	uint64_t entries = 2 * (uint64_t)s->count + 1;
	uint64_t bytes = entries * 2 * sizeof(uint32_t) + s->count * sizeof(struct frame) +
			 s->words * sizeof(uint64_t);
	uint32_t last;

	if (charge(s, bytes) < 0)
		return -E2BIG;
	s->next = malloc(entries * sizeof(uint32_t));
	s->prev = malloc(entries * sizeof(uint32_t));
	s->stack = malloc((s->count ? s->count : 1) * sizeof(struct frame));
	s->bits = calloc(s->words ? s->words : 1, sizeof(uint64_t));
	if (!s->next || !s->prev || !s->stack || !s->bits)
		return -ENOMEM;
	last = s->head;
	for (uint64_t k = 0; k + 1 < entries; k++) {
		ASSERT(events[k] < s->head);
		s->next[last] = events[k];
		s->prev[events[k]] = last;
		last = events[k];
	}
	s->next[last] = s->head;
	s->prev[s->head] = last;
	for (uint32_t c = 0; c < s->count; c++)
		s->ok_left += !s->calls[c].info;
	if (pool_reserve(s, 3) < 0)
		return -E2BIG;
	return table_grow(s);
}

static void search_fini(struct search *s)
{
	free(s->next);
	free(s->prev);
	free(s->stack);
	free(s->bits);
	free(s->records);
	free(s->table);
}

/* A return was reached: note the deepest prefix as evidence, then undo the last call. */
static bool backtrack(struct search *s, uint32_t *e, uint32_t *state,
		      struct linear_outcome *out)
{
	struct frame f;

	if (out->blocked == UINT32_MAX || s->depth > out->prefix_count) {
		uint32_t tail = s->depth < LINEAR_EVIDENCE_CALLS ? s->depth :
				LINEAR_EVIDENCE_CALLS;

		out->blocked = *e / 2;
		out->prefix_count = s->depth;
		out->state = *state;
		out->prefix_tail_count = tail;
		for (uint32_t k = 0; k < tail; k++)
			out->prefix_tail[k] = s->stack[s->depth - tail + k].call;
	}
	if (s->depth == 0)
		return false;
	f = s->stack[--s->depth];
	bit_clear(s, f.call);
	s->hash ^= mix(f.call);
	s->ok_left += !s->calls[f.call].info;
	unlift(s, 2 * f.call + 1);
	unlift(s, 2 * f.call);
	*state = f.state;
	*e = s->next[2 * f.call];
	return true;
}

/* Tries call @c in @state. Return: 1 linearized (pushed), 0 not now, -E2BIG, -ENOMEM. */
static int try_call(struct search *s, uint32_t c, uint32_t *state)
{
	uint32_t after;
	int rc = linear_model_step(s->ms, *state, &s->calls[c], &after);

	if (rc <= 0)
		return rc;
	if (charge(s, 0) < 0)
		return -E2BIG;          /* a kv append's new value went over the budget */
	bit_set(s, c);
	rc = cache_add(s, s->hash ^ mix(c), after);
	if (rc <= 0) {
		bit_clear(s, c);
		return rc;
	}
	s->hash ^= mix(c);
	s->stack[s->depth++] = (struct frame){ .call = c, .state = *state };
	s->ok_left -= !s->calls[c].info;
	lift(s, 2 * c);
	lift(s, 2 * c + 1);
	*state = after;
	return 1;
}

/* Whether the blocked call is illegal in @state (looked up once per distinct state, marked in
 * @seen); an illegal one joins the frontier. Return: 0, or -ENOMEM from the model. */
static int frontier_visit(struct search *s, uint64_t *seen, uint32_t state,
			  struct linear_outcome *out)
{
	uint32_t next;
	int rc;

	if (seen[state / 64] >> (state % 64) & 1)
		return 0;
	seen[state / 64] |= 1ull << (state % 64);
	rc = linear_model_step(s->ms, state, &s->calls[out->blocked], &next);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (out->legal_count < LINEAR_FRONTIER_LEGAL_MAX)
			out->legal[out->legal_count++] = state;
		out->frontier_legal++;
		return 0;
	}
	if (out->frontier_count < LINEAR_FRONTIER_STATES_MAX)
		out->frontier[out->frontier_count++] = state;
	out->frontier_total++;
	ASSERT(out->frontier_count <= out->frontier_total);
	return 0;
}

/* Sorts the kept states by id, the order their values first appeared (insertion: <= 16). */
static void states_sort(uint32_t *states, uint32_t n)
{
	ASSERT(n <= LINEAR_FRONTIER_STATES_MAX);
	for (uint32_t k = 1; k < n; k++) {
		uint32_t v = states[k], j = k;

		for (; j > 0 && states[j - 1] > v; j--)
			states[j] = states[j - 1];
		states[j] = v;
	}
	for (uint32_t k = 1; k < n; k++)
		ASSERT(states[k - 1] < states[k]);      /* distinct */
}

/* Word @w of the bitset that record @rec holds (struct search). */
static uint64_t record_word(const struct search *s, const uint64_t *rec, uint32_t w)
{
	uint32_t first = (uint32_t)(rec[2] >> 32), n = (uint32_t)rec[2];

	if (w < first)
		return word_full(s, w);
	return w - first < n ? rec[3 + (w - first)] : 0;
}

/* Whether configuration @rec reached the blocked call @b's return: @b not linearized, and
 * every call in @need (the ok calls returning before it) linearized. */
static bool frontier_reached(const struct search *s, const uint64_t *rec,
			     const uint64_t *need, uint32_t b)
{
	if (record_word(s, rec, b / 64) >> (b % 64) & 1)
		return false;
	for (uint32_t w = 0; w < s->words; w++) {
		if ((record_word(s, rec, w) & need[w]) != need[w])
			return false;
	}
	return true;
}

/*
 * The search failed: explain the blocked call b. Every configuration it entered is in the
 * cache (the root aside) and was explored to the end, and a scan of a configuration stops at
 * the first return of a call not linearized; so the configurations that reached b's return
 * are exactly those with b out and every ok call returning before b in, and from each of
 * them b itself was tried. Their states where b is illegal are the frontier. This matches
 * what Knossos's WGL analysis reports (the configurations that linearized everything before
 * the failing op, whose models it extends by the concurrent ops up to that op), found here
 * by set inclusion instead of a contiguous prefix of entries. It runs once, only on this
 * path: one pass over the cache, O(records * words), and no cost while the search runs.
 * The verdict is known by now: when memory runs out (the bitmap over the budget, or the
 * allocator or a kv step failing) the frontier is left empty and the verdict stands.
 */
static void frontier_collect(struct search *s, struct linear_outcome *out)
{
	uint32_t b = out->blocked, states = s->ms->values.count + 1;
	uint64_t seen_bytes = (states + 63) / 64 * sizeof(uint64_t), *seen, *need = s->bits;
	bool root = true;
	int err = 0;
	uint32_t k;

	ASSERT(b < s->count && !s->calls[b].info);
	ASSERT(s->depth == 0);          /* back at the root: bits is all zero */
	for (k = 0; k < 2 * s->count && s->events[k] != 2 * b + 1; k++) {
		uint32_t c = s->events[k] / 2;

		if (s->events[k] % 2 == 1 && !s->calls[c].info) {
			need[c / 64] |= 1ull << (c % 64);
			root = false;
		}
	}
	ASSERT(k < 2 * s->count);       /* b completed ok: its return is listed */
	if (charge(s, seen_bytes) < 0)
		goto out_need;          /* no room to explain: the verdict stands */
	seen = calloc(seen_bytes / sizeof(uint64_t), sizeof(uint64_t));
	if (!seen)
		goto out_charge;
	if (root)
		err = frontier_visit(s, seen, s->ms->initial, out);
	for (uint64_t off = 0; !err && off < s->pool_used;
	     off += 3 + (uint32_t)s->records[off + 2]) {
		const uint64_t *rec = s->records + off;

		ASSERT(rec[1] < states);
		if (frontier_reached(s, rec, need, b))
			err = frontier_visit(s, seen, (uint32_t)rec[1], out);
	}
	free(seen);
	states_sort(out->frontier, out->frontier_count);
	states_sort(out->legal, out->legal_count);
	/* The deepest configuration reached b's return, and b was illegal there (were it legal,
	 * a deeper configuration would have been entered). */
	ASSERT(err || out->frontier_total > 0);
	if (err) {
		out->frontier_count = out->legal_count = 0;
		out->frontier_total = out->frontier_legal = 0;
	}
out_charge:
	s->memory_bytes -= seen_bytes;
out_need:
	memset(need, 0, s->words * sizeof(uint64_t));
}

static int run(struct search *s, uint64_t steps_max, struct linear_outcome *out)
{
	uint32_t state = s->ms->initial, e = s->next[s->head];
	int rc;

	/* Bounded by steps_max; each step moves along the list, linearizes or backtracks. */
	while (s->ok_left > 0) {
		if (++out->steps > steps_max) {
			out->verdict = VERDICT_UNKNOWN;
			out->unknown_reason = "search step budget exhausted";
			out->out_of_steps = true;
			return 0;
		}
		ASSERT(e != s->head);
		if (e % 2 == 1) {
			ASSERT(!s->calls[e / 2].info);
			if (!backtrack(s, &e, &state, out)) {
				out->verdict = VERDICT_INVALID;
				frontier_collect(s, out);
				return 0;
			}
			continue;
		}
		rc = try_call(s, e / 2, &state);
		if (rc == -E2BIG) {
			out->verdict = VERDICT_UNKNOWN;
			out->unknown_reason = "search memory budget exhausted";
			return 0;
		}
		if (rc < 0)
			return rc;
		e = rc ? s->next[s->head] : s->next[e];
	}
	out->verdict = VERDICT_VALID;
	return 0;
}

int linear_search(struct linear_model_state *ms, const struct linear_call *calls,
		  uint32_t count, const uint32_t *events, uint64_t steps_max,
		  uint64_t memory_bytes_max, struct linear_outcome *out)
{
	struct search s = {
		.ms = ms, .calls = calls, .count = count, .head = 2 * count,
		.words = (count + 63) / 64, .memory_bytes_max = memory_bytes_max,
	};
	int err;

	ASSERT(ms);
	ASSERT(out);
	ASSERT(count < UINT32_MAX / 2);
	*out = (struct linear_outcome){ .verdict = VERDICT_VALID, .blocked = UINT32_MAX };
	s.events = events;
	err = search_init(&s);
	if (err == -E2BIG) {
		out->verdict = VERDICT_UNKNOWN;
		out->unknown_reason = "search memory budget exhausted";
		err = 0;
	} else if (!err) {
		err = run(&s, steps_max, out);
	}
	search_fini(&s);
	ASSERT(err || out->verdict != VERDICT_UNKNOWN || out->unknown_reason);
	return err;
}
