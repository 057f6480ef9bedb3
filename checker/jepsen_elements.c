/* SPDX-License-Identifier: MIT */
/* jepsen_elements.c - interning set, queue and id elements: integers and JSON texts. */
#include "jepsen_elements.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "textbuf.h"

/* One element: @text NULL for an integer, else owned NUL-terminated compact JSON. */
struct entry {
	int64_t integer;
	char *text;
	uint64_t hash;
};

/*
 * Invariants: entries[0 .. count-1] are the elements, ids by position; slots is an
 * open-addressing table of capacity (a power of two, or 0) holding id + 1 (0 = empty), with
 * count <= capacity / 2; memory_bytes_used counts every byte allocated or reserved, and
 * never exceeds memory_bytes_max.
 */
struct jepsen_elements {
	struct entry *entries;
	uint32_t count, entries_max;
	uint32_t *slots;
	uint32_t capacity;
	uint32_t *scratch;              /* intern_all()'s result */
	uint32_t scratch_max;
	uint64_t memory_bytes_max, memory_bytes_used;
};

int jepsen_elements_reserve(struct jepsen_elements *pool, uint64_t bytes, struct errbuf *eb)
{
	ASSERT(pool);
	ASSERT(pool->memory_bytes_used <= pool->memory_bytes_max);
	if (bytes > pool->memory_bytes_max - pool->memory_bytes_used)
		return errbuf_set(eb, -ENOMEM, "over the checker memory budget of %" PRIu64
				  " bytes", pool->memory_bytes_max);
	pool->memory_bytes_used += bytes;
	return 0;
}

int jepsen_elements_new(struct jepsen_elements **out, uint64_t memory_bytes_max,
			struct errbuf *eb)
{
	struct jepsen_elements *pool = calloc(1, sizeof(*pool));

	ASSERT(out);
	*out = NULL;
	if (!pool)
		return errbuf_set(eb, -ENOMEM, "out of memory for the element table");
	pool->memory_bytes_max = memory_bytes_max ? memory_bytes_max : CHK_MEMORY_BYTES_DEFAULT;
	*out = pool;
	return 0;
}

void jepsen_elements_free(struct jepsen_elements *pool)
{
	if (!pool)
		return;
	for (uint32_t k = 0; k < pool->count; k++)
		free(pool->entries[k].text);
	free(pool->entries);
	free(pool->slots);
	free(pool->scratch);
	free(pool);
}

uint32_t jepsen_elements_count(const struct jepsen_elements *pool)
{
	ASSERT(pool);
	return pool->count;
}

static uint64_t hash_integer(int64_t value)
{
	uint64_t x = (uint64_t)value + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t hash_text(const char *text)
{
	uint64_t x = 0xcbf29ce484222325ull;     /* FNV-1a */

	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		x = (x ^ *c) * 0x100000001b3ull;
	return x;
}

static bool same(const struct entry *e, int64_t integer, const char *text, uint64_t hash)
{
	if (e->hash != hash || !e->text != !text)
		return false;
	return text ? strcmp(e->text, text) == 0 : e->integer == integer;
}

static uint32_t probe(const struct jepsen_elements *pool, int64_t integer, const char *text,
		      uint64_t hash)
{
	uint32_t mask = pool->capacity - 1, at = (uint32_t)hash & mask;

	ASSERT(pool->capacity > 0);
	while (pool->slots[at] && !same(&pool->entries[pool->slots[at] - 1], integer, text, hash))
		at = (at + 1) & mask;
	return at;
}

static int grow(struct jepsen_elements *pool, struct errbuf *eb)
{
	uint32_t capacity = pool->capacity ? pool->capacity * 2 : 256, *slots;
	uint32_t entries_max = capacity / 2;
	uint64_t slots_bytes_old = (uint64_t)pool->capacity * sizeof(*slots);
	struct entry *entries;
	uint64_t bytes = (uint64_t)capacity * sizeof(*slots) +
			 (uint64_t)(entries_max - pool->entries_max) * sizeof(*entries);
	int err;

	if (pool->count >= CHK_ELEMENTS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d distinct elements", CHK_ELEMENTS_MAX);
	err = jepsen_elements_reserve(pool, bytes, eb);
	if (err)
		return err;
	slots = calloc(capacity, sizeof(*slots));
	entries = realloc(pool->entries, entries_max * sizeof(*entries));
	if (entries)
		pool->entries = entries;
	if (!slots || !entries) {
		free(slots);
		pool->memory_bytes_used -= bytes;
		return errbuf_set(eb, -ENOMEM, "out of memory for the element table");
	}
	free(pool->slots);
	pool->memory_bytes_used -= slots_bytes_old;
	pool->slots = slots;
	pool->capacity = capacity;
	pool->entries_max = entries_max;
	for (uint32_t k = 0; k < pool->count; k++) {
		const struct entry *e = &pool->entries[k];

		pool->slots[probe(pool, e->integer, e->text, e->hash)] = k + 1;
	}
	ASSERT(pool->count <= pool->capacity / 2);
	return 0;
}

/* The id of the integer (@text NULL) or text; takes ownership of @text either way. */
static int intern_entry(struct jepsen_elements *pool, int64_t integer, char *text,
			uint32_t *id, struct errbuf *eb)
{
	uint64_t hash = text ? hash_text(text) : hash_integer(integer);
	uint32_t at = 0;
	int err;

	if (pool->capacity && (at = probe(pool, integer, text, hash), pool->slots[at])) {
		*id = pool->slots[at] - 1;
		free(text);
		return 0;
	}
	err = pool->count + 1 > pool->capacity / 2 ? grow(pool, eb) : 0;
	if (!err && text)
		err = jepsen_elements_reserve(pool, strlen(text) + 1, eb);
	if (err) {
		free(text);
		return err;
	}
	at = probe(pool, integer, text, hash);
	ASSERT(pool->slots[at] == 0);
	pool->entries[pool->count] = (struct entry){ .integer = text ? 0 : integer, .text = text,
						     .hash = hash };
	*id = pool->count;
	pool->slots[at] = ++pool->count;
	ASSERT(pool->count <= pool->entries_max);
	return 0;
}

/* The id of a parsed JSON value: an integer as one, anything else by its compact text. */
static int intern_json(struct jepsen_elements *pool, const json_t *v, uint32_t *id,
		       struct errbuf *eb)
{
	char *text;

	if (json_is_integer(v))
		return intern_entry(pool, json_integer_value(v), NULL, id, eb);
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text)
		return errbuf_set(eb, -ENOMEM, "out of memory for an element's text");
	return intern_entry(pool, 0, text, id, eb);
}

static int parse(const char *text, json_t **out, struct errbuf *eb)
{
	json_error_t error;

	*out = json_loads(text, JSON_DECODE_ANY, &error);
	if (!*out)
		return errbuf_set(eb, -EINVAL, "value is not JSON: %s", error.text);
	return 0;
}

int jepsen_elements_intern(struct jepsen_elements *pool, const struct op_value *value,
			   uint32_t *id, struct errbuf *eb)
{
	json_t *v = NULL;
	int err;

	ASSERT(pool);
	ASSERT(value && id);
	switch (value->kind) {
	case OP_VALUE_INT:
		return intern_entry(pool, value->integer, NULL, id, eb);
	case OP_VALUE_NULL:
		v = json_null();
		break;
	case OP_VALUE_INTS:
		v = json_array();
		for (uint32_t k = 0; v && k < value->count; k++) {
			if (json_array_append_new(v, json_integer(value->ints[k])) != 0) {
				json_decref(v);
				v = NULL;
			}
		}
		break;
	case OP_VALUE_JSON:
		/* Parsed and written again, so "[1, 2]" and "[1,2]" are one element. */
		err = parse(value->json, &v, eb);
		if (err)
			return err;
		break;
	}
	if (!v)
		return errbuf_set(eb, -ENOMEM, "out of memory for an element");
	err = intern_json(pool, v, id, eb);
	json_decref(v);
	ASSERT(err || *id < pool->count);
	return err;
}

static int scratch_fit(struct jepsen_elements *pool, size_t count, struct errbuf *eb)
{
	uint32_t *grown;
	int err;

	if (count <= pool->scratch_max)
		return 0;
	if (count > UINT32_MAX / 2)
		return errbuf_set(eb, -E2BIG, "a collection of %zu members", count);
	err = jepsen_elements_reserve(pool, (count - pool->scratch_max) * sizeof(uint32_t), eb);
	if (err)
		return err;
	grown = realloc(pool->scratch, count * sizeof(*grown));
	if (!grown)
		return errbuf_set(eb, -ENOMEM, "out of memory for a collection");
	pool->scratch = grown;
	pool->scratch_max = (uint32_t)count;
	return 0;
}

int jepsen_elements_intern_all(struct jepsen_elements *pool, const struct op_value *value,
			       const uint32_t **ids, uint32_t *count, struct errbuf *eb)
{
	json_t *v = NULL;
	int err = 0;

	ASSERT(pool);
	ASSERT(value && ids && count);
	*ids = pool->scratch;
	*count = 0;
	if (value->kind == OP_VALUE_NULL)
		return 0;
	if (value->kind == OP_VALUE_INT)
		return errbuf_set(eb, -EINVAL, "expected a collection, got %" PRId64,
				  value->integer);
	if (value->kind == OP_VALUE_INTS) {
		err = scratch_fit(pool, value->count, eb);
		for (uint32_t k = 0; !err && k < value->count; k++)
			err = intern_entry(pool, value->ints[k], NULL, &pool->scratch[k], eb);
		*count = err ? 0 : value->count;
		*ids = pool->scratch;
		return err;
	}
	err = parse(value->json, &v, eb);
	if (err)
		return err;
	if (!json_is_array(v)) {
		json_decref(v);
		return errbuf_set(eb, -EINVAL, "expected a collection, got %.64s", value->json);
	}
	err = scratch_fit(pool, json_array_size(v), eb);
	for (size_t k = 0; !err && k < json_array_size(v); k++)
		err = intern_json(pool, json_array_get(v, k), &pool->scratch[k], eb);
	*count = err ? 0 : (uint32_t)json_array_size(v);
	*ids = pool->scratch;
	json_decref(v);
	return err;
}

int jepsen_elements_compare(const struct jepsen_elements *pool, uint32_t a, uint32_t b)
{
	const struct entry *x, *y;

	ASSERT(a < pool->count);
	ASSERT(b < pool->count);
	x = &pool->entries[a];
	y = &pool->entries[b];
	if (!x->text != !y->text)
		return x->text ? 1 : -1;
	if (x->text)
		return strcmp(x->text, y->text);
	return (x->integer > y->integer) - (x->integer < y->integer);
}

static void sift_down(const struct jepsen_elements *pool, uint32_t *ids, uint32_t root,
		      uint32_t end)
{
	for (;;) {
		uint32_t child = 2 * root + 1, tmp;

		if (child >= end)
			return;
		if (child + 1 < end &&
		    jepsen_elements_compare(pool, ids[child], ids[child + 1]) < 0)
			child++;
		if (jepsen_elements_compare(pool, ids[root], ids[child]) >= 0)
			return;
		tmp = ids[root];
		ids[root] = ids[child];
		ids[child] = tmp;
		root = child;
	}
}

/* Heapsort: in place, O(n log n) worst case, and no recursion (STYLE S23). */
void jepsen_elements_sort(const struct jepsen_elements *pool, uint32_t *ids, uint32_t count)
{
	ASSERT(pool);
	ASSERT(ids || count == 0);
	for (uint32_t k = count / 2; k-- > 0;)
		sift_down(pool, ids, k, count);
	for (uint32_t end = count; end > 1; end--) {
		uint32_t tmp = ids[0];

		ids[0] = ids[end - 1];
		ids[end - 1] = tmp;
		sift_down(pool, ids, 0, end - 1);
	}
	for (uint32_t k = 1; k < count; k++)
		ASSERT_DEBUG(jepsen_elements_compare(pool, ids[k - 1], ids[k]) <= 0);
}

void jepsen_elements_format(const struct jepsen_elements *pool, uint32_t id, char *out,
			    size_t size)
{
	const struct entry *e;

	ASSERT(id < pool->count);
	ASSERT(out && size >= 1);
	e = &pool->entries[id];
	if (e->text)
		snprintf(out, size, "%s", e->text);
	else
		snprintf(out, size, "%" PRId64, e->integer);
}

/* Whether @next continues a run of integers ending at @last: equal, or one more. */
static bool follows(const struct entry *last, const struct entry *next)
{
	if (last->text || next->text)
		return false;
	return next->integer == last->integer ||
	       (last->integer < INT64_MAX && next->integer == last->integer + 1);
}

void jepsen_elements_format_set(const struct jepsen_elements *pool, uint32_t *ids,
				uint32_t count, char *out, size_t size)
{
	static const char cut[] = "...}";
	struct textbuf t;
	const char *sep = "";

	ASSERT(size >= 8);
	jepsen_elements_sort(pool, ids, count);
	textbuf_init(&t, out, size - (sizeof(cut) - 1));
	textbuf_put(&t, "#{");
	for (uint32_t k = 0; k < count && !t.full; k++) {
		const struct entry *e = &pool->entries[ids[k]];
		uint32_t last = k;

		if (e->text) {
			textbuf_put(&t, "%s%s", sep, e->text);
			sep = " ";
			continue;
		}
		/* A run of consecutive integers (repeats inside it are folded too). */
		while (last + 1 < count && follows(&pool->entries[ids[last]],
						   &pool->entries[ids[last + 1]]))
			last++;
		if (pool->entries[ids[last]].integer == e->integer)
			textbuf_put(&t, "%s%" PRId64, sep, e->integer);
		else
			textbuf_put(&t, "%s%" PRId64 "..%" PRId64, sep, e->integer,
				    pool->entries[ids[last]].integer);
		sep = " ";
		k = last;
	}
	textbuf_put(&t, "}");
	if (t.full)
		memcpy(out + t.used, cut, sizeof(cut));
	ASSERT(strlen(out) < size);
}

int jepsen_elements_fit(struct jepsen_elements *pool, void **array, uint32_t *slots,
			size_t size_each, struct errbuf *eb)
{
	uint32_t want = *slots;
	char *grown;
	int err;

	ASSERT(pool && array && slots);
	ASSERT(size_each > 0);
	if (pool->count <= *slots)
		return 0;
	/* Doubling, so a history that adds elements one by one costs amortized O(1) each. */
	want = *slots > pool->count / 2 ? (uint32_t)((uint64_t)*slots * 2) : pool->count;
	want = want < 64 ? 64 : want;
	err = jepsen_elements_reserve(pool, (uint64_t)(want - *slots) * size_each, eb);
	if (err)
		return err;
	grown = realloc(*array, (size_t)want * size_each);
	if (!grown) {
		pool->memory_bytes_used -= (uint64_t)(want - *slots) * size_each;
		return errbuf_set(eb, -ENOMEM, "out of memory for %u elements", want);
	}
	memset(grown + (size_t)*slots * size_each, 0, (size_t)(want - *slots) * size_each);
	*array = grown;
	*slots = want;
	ASSERT(*slots >= pool->count);
	return 0;
}
