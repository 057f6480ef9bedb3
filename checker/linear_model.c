/* SPDX-License-Identifier: MIT */
/* linear_model.c - interned values and the cas-register and kv models' rules. */
#include "linear_core.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

enum { VALUES_CAPACITY_MIN = 64, VALUES_BYTES_MIN = 4096, PAIRS_SLOTS_MIN = 256 };

#define HASH_BASE 0x9e3779b97f4a7c15ull /* odd: powers never vanish mod 2^64 */
#define NO_NODE UINT32_MAX

void linear_values_init(struct linear_values *v)
{
	ASSERT(v);
	*v = (struct linear_values){ 0 };
}

void linear_values_fini(struct linear_values *v)
{
	if (!v)
		return;
	free(v->bytes);
	free(v->offsets);
	free(v->hashes);
	free(v->powers);
	free(v->sizes);
	free(v->parents);
	free(v->suffixes);
	free(v->table);
	free(v->pairs);
	*v = (struct linear_values){ 0 };
}

/* Polynomial: hash(a b) = hash(a) * HASH_BASE^|b| + hash(b), so appends hash in O(1). */
static uint64_t hash_bytes(const char *s, size_t size, uint64_t *power)
{
	uint64_t h = 0, p = 1;

	for (size_t k = 0; k < size; k++) {
		h = h * HASH_BASE + (unsigned char)s[k] + 1;
		p *= HASH_BASE;
	}
	*power = p;
	return h;
}

static uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;    /* splitmix64's finalizer */
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint32_t content_slot(const struct linear_values *v, uint64_t hash, uint32_t size)
{
	return (uint32_t)mix64(hash ^ ((uint64_t)size << 40 | size)) & v->table_mask;
}

static uint32_t pair_slot(const struct linear_values *v, uint32_t parent, uint32_t suffix)
{
	return (uint32_t)mix64((uint64_t)parent << 32 | suffix) & v->pair_mask;
}

/* Rebuilds the content table at twice the ids' capacity (so it stays at most half full). */
static int table_rebuild(struct linear_values *v, uint32_t capacity)
{
	uint32_t slots = capacity * 2, *old = v->table;
	uint64_t old_slots = old ? (uint64_t)v->table_mask + 1 : 0;

	v->table = calloc(slots, sizeof(*v->table));
	if (!v->table) {
		v->table = old;
		return -ENOMEM;
	}
	v->table_mask = slots - 1;
	for (uint32_t id = 1; id < v->count; id++) {
		uint32_t k = content_slot(v, v->hashes[id], v->sizes[id]);

		while (v->table[k])
			k = (k + 1) & v->table_mask;
		v->table[k] = id + 1;
	}
	v->memory_bytes += ((uint64_t)slots - old_slots) * sizeof(*v->table);
	free(old);
	return 0;
}

/* *@p (of @size-byte elements) to @capacity of them. Return: 0 or -ENOMEM. */
static int array_grow(void *p, uint32_t capacity, size_t size)
{
	void **array = p;
	void *grown = reallocarray(*array, capacity, size);

	if (!grown)
		return -ENOMEM;
	*array = grown;
	return 0;
}

static int ids_grow(struct linear_values *v)
{
	uint32_t capacity = v->capacity ? v->capacity * 2 : VALUES_CAPACITY_MIN;
	size_t wide = sizeof(uint64_t), narrow = sizeof(uint32_t);

	if (capacity > (1u << 30))
		return -ENOMEM;
	if (array_grow(&v->offsets, capacity, wide) || array_grow(&v->hashes, capacity, wide) ||
	    array_grow(&v->powers, capacity, wide) || array_grow(&v->sizes, capacity, narrow) ||
	    array_grow(&v->parents, capacity, narrow) ||
	    array_grow(&v->suffixes, capacity, narrow))
		return -ENOMEM;
	v->memory_bytes += (uint64_t)(capacity - v->capacity) * (3 * wide + 3 * narrow);
	v->capacity = capacity;
	if (v->count == 0) {                    /* id 0 is null: no bytes, content "" */
		v->offsets[0] = 0;
		v->hashes[0] = 0;
		v->powers[0] = 1;
		v->sizes[0] = 0;
		v->parents[0] = v->suffixes[0] = 0;
		v->count = 1;
	}
	return table_rebuild(v, capacity);
}

static int bytes_reserve(struct linear_values *v, size_t size)
{
	uint64_t want = v->bytes_size ? v->bytes_size : VALUES_BYTES_MIN;
	char *bytes;

	if (v->bytes_used + size <= v->bytes_size)
		return 0;
	while (want < v->bytes_used + size)
		want *= 2;
	bytes = realloc(v->bytes, want);
	if (!bytes)
		return -ENOMEM;
	v->memory_bytes += want - v->bytes_size;
	v->bytes = bytes;
	v->bytes_size = want;
	return 0;
}

/*
 * Walks a content backwards, a piece at a time: first @tail (if any), then node's pieces
 * (an append node's suffix text, then its parent's, down to a text).
 */
struct cursor {
	const struct linear_values *v;
	uint32_t node;          /* NO_NODE when no pieces are left */
	const char *piece;      /* piece[0 .. left) not yet consumed */
	uint32_t left;
};

/* The next piece, if the current one is used up. Return: false at the content's start. */
static bool cursor_fill(struct cursor *c)
{
	const struct linear_values *v = c->v;

	/* Bounded: each turn moves to a parent (ids decrease) or ends at a text. */
	while (c->left == 0) {
		uint32_t n = c->node, piece = n;

		if (n == NO_NODE)
			return false;
		c->node = NO_NODE;
		if (v->offsets[n] == LINEAR_NO_BYTES) {
			piece = v->suffixes[n];
			c->node = v->parents[n];
		}
		ASSERT(v->offsets[piece] != LINEAR_NO_BYTES);
		if (v->sizes[piece]) {
			c->piece = v->bytes + v->offsets[piece];
			c->left = v->sizes[piece];
		}
	}
	return true;
}

/* Whether node @id's content is @node's then @tail's (the caller checked the sizes match). */
static bool content_equal(const struct linear_values *v, uint32_t id, uint32_t node,
			  const char *tail, uint32_t tail_size)
{
	struct cursor a = { .v = v, .node = id }, b = { v, node, tail, tail_size };

	/* Bounded: each turn consumes at least one byte of both. */
	for (;;) {
		bool more_a = cursor_fill(&a), more_b = cursor_fill(&b);
		uint32_t n = a.left < b.left ? a.left : b.left;

		if (!more_a || !more_b)
			return more_a == more_b;
		if (memcmp(a.piece + a.left - n, b.piece + b.left - n, n) != 0)
			return false;
		a.left -= n;
		b.left -= n;
	}
}

/* The id whose content is @node's then @tail's, else NO_NODE with *@slot its free slot. */
static uint32_t content_find(const struct linear_values *v, uint64_t hash, uint32_t size,
			     uint32_t node, const char *tail, uint32_t tail_size, uint32_t *slot)
{
	uint32_t k;

	/* Bounded: the table is at most half full, so a free slot ends the probe. */
	for (k = content_slot(v, hash, size); v->table[k]; k = (k + 1) & v->table_mask) {
		uint32_t id = v->table[k] - 1;

		if (v->hashes[id] == hash && v->sizes[id] == size &&
		    content_equal(v, id, node, tail, tail_size))
			return id;
	}
	*slot = k;
	return NO_NODE;
}

/* A new id for content of @size with @hash and @power in free table slot @slot. */
static uint32_t id_add(struct linear_values *v, uint64_t hash, uint64_t power, uint32_t size,
		       uint32_t slot)
{
	uint32_t id = v->count++;

	ASSERT(id < v->capacity);
	v->hashes[id] = hash;
	v->powers[id] = power;
	v->sizes[id] = size;
	v->parents[id] = v->suffixes[id] = 0;
	v->table[slot] = id + 1;
	return id;
}

/* Gives @id (an append node, or new) the @size bytes at @text. Return: 0 or -ENOMEM. */
static int bytes_set(struct linear_values *v, uint32_t id, const char *text, uint32_t size)
{
	if (bytes_reserve(v, size) < 0)
		return -ENOMEM;
	if (size)
		memcpy(v->bytes + v->bytes_used, text, size);
	v->offsets[id] = v->bytes_used;
	v->bytes_used += size;
	return 0;
}

int64_t linear_values_intern(struct linear_values *v, const char *text, size_t size)
{
	uint64_t power, hash = hash_bytes(text, size, &power);
	uint32_t slot, id;

	ASSERT(text || size == 0);
	if (size >= UINT32_MAX)
		return -ENOMEM;
	if (v->count + 1 > v->capacity && ids_grow(v) < 0)
		return -ENOMEM;
	id = content_find(v, hash, (uint32_t)size, NO_NODE, text, (uint32_t)size, &slot);
	if (id != NO_NODE && v->offsets[id] != LINEAR_NO_BYTES)
		return id;
	/* New, or an append node that becomes a text (so it can be a suffix): same id. */
	if (id == NO_NODE && bytes_reserve(v, size) < 0)
		return -ENOMEM;
	if (id == NO_NODE)
		id = id_add(v, hash, power, (uint32_t)size, slot);
	if (bytes_set(v, id, text, (uint32_t)size) < 0)
		return -ENOMEM;
	return id;
}

/* Doubles the pair table (so it stays at most half full). Return: 0 or -ENOMEM. */
static int pairs_grow(struct linear_values *v)
{
	uint64_t old_slots = v->pairs ? (uint64_t)v->pair_mask + 1 : 0;
	uint64_t slots = old_slots ? old_slots * 2 : PAIRS_SLOTS_MIN;
	struct linear_pair *old = v->pairs;

	if (slots > ((uint64_t)1 << 31))
		return -ENOMEM;
	v->pairs = calloc(slots, sizeof(*v->pairs));
	if (!v->pairs) {
		v->pairs = old;
		return -ENOMEM;
	}
	v->pair_mask = (uint32_t)(slots - 1);
	for (uint64_t k = 0; k < old_slots; k++) {
		uint32_t j;

		if (!old[k].id)
			continue;
		for (j = pair_slot(v, old[k].parent, old[k].suffix); v->pairs[j].id;)
			j = (j + 1) & v->pair_mask;
		v->pairs[j] = old[k];
	}
	v->memory_bytes += (slots - old_slots) * sizeof(*v->pairs);
	free(old);
	return 0;
}

/* The id of @parent's content then @suffix's, found by content or new. Return: id or -1. */
static int64_t append_id(struct linear_values *v, uint32_t parent, uint32_t suffix)
{
	uint64_t size = (uint64_t)v->sizes[parent] + v->sizes[suffix];
	uint64_t hash = v->hashes[parent] * v->powers[suffix] + v->hashes[suffix];
	const char *tail = v->sizes[suffix] ? v->bytes + v->offsets[suffix] : "";
	uint32_t slot, id;

	if (size >= UINT32_MAX)
		return -1;
	if (v->count + 1 > v->capacity && ids_grow(v) < 0)
		return -1;
	id = content_find(v, hash, (uint32_t)size, parent, tail, v->sizes[suffix], &slot);
	if (id != NO_NODE)
		return id;
	id = id_add(v, hash, v->powers[parent] * v->powers[suffix], (uint32_t)size, slot);
	v->offsets[id] = LINEAR_NO_BYTES;
	v->parents[id] = parent;
	v->suffixes[id] = suffix;
	return id;
}

int64_t linear_values_append(struct linear_values *v, uint32_t parent, uint32_t suffix)
{
	uint32_t k;
	int64_t id;

	ASSERT(parent < v->count && suffix < v->count);
	ASSERT(v->offsets[suffix] != LINEAR_NO_BYTES);
	if ((v->pair_count + 1) * 2 > (v->pairs ? v->pair_mask + 1 : 0) && pairs_grow(v) < 0)
		return -ENOMEM;
	/* Bounded: the table is at most half full, so a free slot ends the probe. */
	for (k = pair_slot(v, parent, suffix); v->pairs[k].id; k = (k + 1) & v->pair_mask) {
		if (v->pairs[k].parent == parent && v->pairs[k].suffix == suffix)
			return v->pairs[k].id;
	}
	id = append_id(v, parent, suffix);
	if (id < 0)
		return -ENOMEM;
	ASSERT(id > 0);
	v->pairs[k] = (struct linear_pair){ parent, suffix, (uint32_t)id };
	v->pair_count++;
	return id;
}

const char *linear_values_text(const struct linear_values *v, uint32_t id, uint32_t *size)
{
	ASSERT(id < v->count || id == LINEAR_VALUE_NULL);
	*size = id == LINEAR_VALUE_NULL ? 0 : v->sizes[id];
	if (*size == 0)
		return "";
	ASSERT(v->offsets[id] != LINEAR_NO_BYTES);
	return v->bytes + v->offsets[id];
}

uint32_t linear_values_prefix(const struct linear_values *v, uint32_t id, char *buf,
			      uint32_t cap)
{
	struct cursor c = { .v = v, .node = id };
	uint32_t end;

	ASSERT(id < v->count || id == LINEAR_VALUE_NULL);
	if (id == LINEAR_VALUE_NULL)
		return 0;
	/* Bounded: each piece ends where the one before it (in the content) starts. */
	for (end = v->sizes[id]; cursor_fill(&c); c.left = 0) {
		uint32_t start = end - c.left;

		if (start < cap)
			memcpy(buf + start, c.piece, (end < cap ? end : cap) - start);
		end = start;
	}
	ASSERT(end == 0);
	return v->sizes[id];
}

/* The id of JSON text @json: kv keeps a string's inner (escaped) text, so appends concat. */
static int json_id(struct linear_model_state *ms, const char *json, uint32_t *out)
{
	size_t size = strlen(json);
	int64_t id;

	if (strcmp(json, "null") == 0) {
		*out = LINEAR_VALUE_NULL;
		return 0;
	}
	if (ms->model == LINEAR_MODEL_KV && (json[0] == '[' || json[0] == '{'))
		return -EINVAL;
	if (ms->model == LINEAR_MODEL_KV && json[0] == '"' && size >= 2) {
		json++;
		size -= 2;
	}
	id = linear_values_intern(&ms->values, json, size);
	if (id < 0)
		return (int)id;
	*out = (uint32_t)id;
	return 0;
}

int linear_model_init(struct linear_model_state *ms, enum linear_model model,
		      const char *initial)
{
	ASSERT(ms);
	ASSERT(initial);
	int64_t held;

	*ms = (struct linear_model_state){ .model = model };
	linear_values_init(&ms->values);
	if (model == LINEAR_MODEL_MUTEX) {
		held = linear_values_intern(&ms->values, "held", 4);
		if (held < 0)
			return (int)held;
		ms->held = (uint32_t)held;
		ms->initial = LINEAR_VALUE_NULL;        /* free */
		return initial[0] && strcmp(initial, "null") != 0 ? -EINVAL : 0;
	}
	if (model == LINEAR_MODEL_MULTI_REGISTER)
		return linear_txn_canonical(ms, initial[0] ? initial : "null", &ms->initial);
	if (model == LINEAR_MODEL_SET || model == LINEAR_MODEL_UNORDERED_QUEUE ||
	    model == LINEAR_MODEL_FIFO_QUEUE)
		return initial[0] && strcmp(initial, "null") != 0 ? -EINVAL : 0;  /* empty */
	if (!initial[0])
		initial = model == LINEAR_MODEL_KV ? "\"\"" : "null";
	return json_id(ms, initial, &ms->initial);
}

void linear_model_fini(struct linear_model_state *ms)
{
	if (!ms)
		return;
	linear_values_fini(&ms->values);
	*ms = (struct linear_model_state){ 0 };
}

static int value_id(struct linear_model_state *ms, const struct op_value *v, uint32_t *out)
{
	char buf[32];
	int64_t id;

	switch (v->kind) {
	case OP_VALUE_NULL:
		*out = LINEAR_VALUE_NULL;
		return 0;
	case OP_VALUE_INT:
		snprintf(buf, sizeof(buf), "%" PRId64, v->integer);
		id = linear_values_intern(&ms->values, buf, strlen(buf));
		if (id < 0)
			return (int)id;
		*out = (uint32_t)id;
		return 0;
	case OP_VALUE_JSON:
		return json_id(ms, v->json, out);
	case OP_VALUE_INTS:
		break;
	}
	return -EINVAL;         /* a list is no register or string value here */
}

/* [old new] as two ids: integers unpacked, or a JSON array of two. */
static int cas_ids(struct linear_model_state *ms, const struct op_value *v, uint32_t *old,
		   uint32_t *new)
{
	struct op_value e = { .kind = OP_VALUE_INT };
	json_t *doc;
	char *text[2] = { NULL, NULL };
	int err = -EINVAL;

	if (v->kind == OP_VALUE_INTS && v->count == 2) {
		e.integer = v->ints[0];
		err = value_id(ms, &e, old);
		e.integer = v->ints[1];
		return err ? err : value_id(ms, &e, new);
	}
	if (v->kind != OP_VALUE_JSON)
		return -EINVAL;
	doc = json_loads(v->json, JSON_DECODE_ANY, NULL);
	if (json_is_array(doc) && json_array_size(doc) == 2) {
		text[0] = json_dumps(json_array_get(doc, 0), JSON_COMPACT | JSON_ENCODE_ANY);
		text[1] = json_dumps(json_array_get(doc, 1), JSON_COMPACT | JSON_ENCODE_ANY);
		err = text[0] && text[1] ? json_id(ms, text[0], old) : -ENOMEM;
		if (!err)
			err = json_id(ms, text[1], new);
	}
	free(text[0]);
	free(text[1]);
	json_decref(doc);
	return err;
}

/* Each model's f for each kind of call it has (Knossos's names; kv Porcupine's). */
static const char *const kind_names[LINEAR_MODEL_COUNT][LINEAR_KIND_COUNT] = {
	[LINEAR_MODEL_CAS_REGISTER] = { [LINEAR_READ] = "read", [LINEAR_WRITE] = "write",
					[LINEAR_CAS] = "cas" },
	[LINEAR_MODEL_KV] = { [LINEAR_READ] = "get", [LINEAR_WRITE] = "put",
			      [LINEAR_APPEND] = "append" },
	[LINEAR_MODEL_REGISTER] = { [LINEAR_READ] = "read", [LINEAR_WRITE] = "write" },
	[LINEAR_MODEL_MUTEX] = { [LINEAR_ACQUIRE] = "acquire", [LINEAR_RELEASE] = "release" },
	[LINEAR_MODEL_MULTI_REGISTER] = { [LINEAR_TXN] = "txn" },
	[LINEAR_MODEL_SET] = { [LINEAR_SET_ADD] = "add", [LINEAR_SET_READ] = "read" },
	[LINEAR_MODEL_UNORDERED_QUEUE] = { [LINEAR_ENQUEUE] = "enqueue",
					   [LINEAR_DEQUEUE] = "dequeue" },
	[LINEAR_MODEL_FIFO_QUEUE] = { [LINEAR_ENQUEUE] = "enqueue", [LINEAR_DEQUEUE] = "dequeue" },
};

static int kind_of(enum linear_model model, const char *f)
{
	for (int k = 0; k < LINEAR_KIND_COUNT; k++) {
		if (kind_names[model][k] && strcmp(f, kind_names[model][k]) == 0)
			return k;
	}
	return -EINVAL;
}

/* "read, write or cas": @model's f names, for messages. */
static const char *kind_list(enum linear_model model, char *buf, size_t size)
{
	const char *names[LINEAR_KIND_COUNT];
	size_t n = 0, used = 0;

	for (int k = 0; k < LINEAR_KIND_COUNT; k++) {
		if (kind_names[model][k])
			names[n++] = kind_names[model][k];
	}
	buf[0] = '\0';
	for (size_t k = 0; k < n && used < size; k++) {
		int w = snprintf(buf + used, size - used, "%s%s", k == 0 ? "" :
				 k + 1 == n ? " or " : ", ", names[k]);

		used += w > 0 ? (size_t)w : 0;
	}
	return buf;
}

/* The ok read's result: null is the initial/absent state, or nothing under null_read_any. */
static int read_result(struct linear_model_state *ms, const struct linear_opts *opts,
		       const struct op *result, struct linear_call *call)
{
	if (result->value.kind == OP_VALUE_NULL) {
		call->read_any = opts->null_read_any;
		call->ret = ms->model == LINEAR_MODEL_KV ? ms->initial : LINEAR_VALUE_NULL;
		return 0;
	}
	return value_id(ms, &result->value, &call->ret);
}

int linear_model_call(struct linear_model_state *ms, const struct linear_opts *opts,
		      const struct op *invoke, const struct op *result,
		      struct linear_call *call, struct errbuf *eb)
{
	int kind = kind_of(ms->model, invoke->f);
	const struct op_value *arg = &invoke->value;
	char names[64];
	int err;

	ASSERT(invoke->type == OP_INVOKE);
	ASSERT(!result || result->type != OP_FAIL);
	if (kind < 0)
		return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": expected f %s for model %s, "
				  "got \"%s\"", (uint64_t)invoke->index,
				  kind_list(ms->model, names, sizeof(names)),
				  linear_model_name(ms->model), invoke->f);
	*call = (struct linear_call){ .invoke_index = invoke->index, .kind = (uint8_t)kind };
	call->info = !result || result->type == OP_INFO;
	call->result_index = call->info ? HIST_NO_PAIR : result->index;
	if (kind == LINEAR_READ && call->info)
		return 1;       /* an unanswered read changes nothing and shows nothing */
	if (arg->kind == OP_VALUE_NULL && result && kind != LINEAR_READ)
		arg = &result->value;   /* some clients put the argument in the result only */
	if (kind == LINEAR_ACQUIRE || kind == LINEAR_RELEASE)
		return 0;       /* nothing but the call itself */
	if (kind >= LINEAR_SET_ADD && kind <= LINEAR_DEQUEUE) {
		err = linear_collection_call(ms, kind, invoke, result, call);
		if (err == -EINVAL)
			return errbuf_set(eb, err, "op %" PRIu64 ": expected %s for %s %s",
					  kind == LINEAR_SET_READ ? (uint64_t)result->index :
								    invoke->index,
					  kind == LINEAR_SET_READ ? "a list of elements" :
					  "an element (a scalar)", linear_model_name(ms->model),
					  invoke->f);
		return err;
	}
	if (kind == LINEAR_TXN) {
		/* The completion's txn has the reads' values; an info's only the invocation's. */
		err = linear_txn_call(ms, result && !call->info ? &result->value : &invoke->value,
				      &call->arg);
		if (err == -EINVAL)
			return errbuf_set(eb, err, "op %" PRIu64 ": expected a txn [[f k v] ...] "
					  "of read and write for multi-register",
					  result && !call->info ? (uint64_t)result->index :
								  invoke->index);
		return err;
	}
	if (kind == LINEAR_READ)
		err = read_result(ms, opts, result, call);
	else if (kind == LINEAR_CAS)
		err = cas_ids(ms, arg, &call->arg, &call->arg2);
	else
		err = value_id(ms, arg, &call->arg);
	if (err == -EINVAL)
		return errbuf_set(eb, err, "op %" PRIu64 ": expected a %s value for %s %s",
				  kind == LINEAR_READ ? (uint64_t)result->index : invoke->index,
				  kind == LINEAR_CAS ? "[old new]" :
				  ms->model == LINEAR_MODEL_KV ? "string" : "scalar",
				  linear_model_name(ms->model), invoke->f);
	return err;
}

int linear_model_step(struct linear_model_state *ms, uint32_t state,
		      const struct linear_call *call, uint32_t *next)
{
	int64_t id;
	int legal;

	ASSERT(call);
	ASSERT(next);
	switch ((enum linear_kind)call->kind) {
	case LINEAR_READ:
		*next = state;
		return call->read_any || state == call->ret;
	case LINEAR_WRITE:
		*next = call->arg;
		return 1;
	case LINEAR_CAS:
		/* An info cas whose old value does not match did nothing: same as never. */
		*next = state == call->arg ? call->arg2 : state;
		return state == call->arg || call->info;
	case LINEAR_APPEND:
		id = linear_values_append(&ms->values, state, call->arg);
		if (id < 0)
			return (int)id;
		*next = (uint32_t)id;
		return 1;
	/* An info call that cannot take effect where it stands did nothing (as info cas). */
	case LINEAR_ACQUIRE:
		*next = state == LINEAR_VALUE_NULL ? ms->held : state;
		return state == LINEAR_VALUE_NULL || call->info;
	case LINEAR_RELEASE:
		*next = LINEAR_VALUE_NULL;
		if (state == LINEAR_VALUE_NULL)
			return call->info;
		return 1;
	case LINEAR_TXN:
		legal = linear_txn_step(ms, state, call->arg, next);
		if (legal == 0 && call->info) {
			*next = state;
			return 1;
		}
		return legal;
	case LINEAR_SET_ADD:
	case LINEAR_SET_READ:
	case LINEAR_ENQUEUE:
	case LINEAR_DEQUEUE:
		return linear_collection_step(ms, state, call, next);
	case LINEAR_KIND_COUNT:
		break;
	}
	ASSERT(!"unknown call kind");
	return 0;
}
