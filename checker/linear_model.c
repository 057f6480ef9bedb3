/* SPDX-License-Identifier: MIT */
/* linear_model.c - interned values and the cas-register and kv models' rules. */
#include "linear.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

enum { VALUES_CAPACITY_MIN = 64, VALUES_BYTES_MIN = 4096 };

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
	free(v->sizes);
	free(v->table);
	*v = (struct linear_values){ 0 };
}

static uint64_t hash_bytes(const char *s, size_t size)
{
	uint64_t h = 14695981039346656037ull;   /* FNV-1a */

	for (size_t k = 0; k < size; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ull;
	return h;
}

/* Rebuilds the hash table at twice the ids' capacity (so it stays at most half full). */
static int table_rebuild(struct linear_values *v, uint32_t capacity)
{
	uint32_t slots = capacity * 2, mask = slots - 1;
	uint32_t *table = calloc(slots, sizeof(*table));

	if (!table)
		return -ENOMEM;
	for (uint32_t id = 1; id < v->count; id++) {
		uint32_t k = (uint32_t)hash_bytes(v->bytes + v->offsets[id], v->sizes[id]) & mask;

		while (table[k])
			k = (k + 1) & mask;
		table[k] = id + 1;
	}
	v->memory_bytes += (uint64_t)slots * sizeof(*table);
	v->memory_bytes -= (uint64_t)(v->table ? v->table_mask + 1 : 0) * sizeof(*table);
	free(v->table);
	v->table = table;
	v->table_mask = mask;
	return 0;
}

static int ids_grow(struct linear_values *v)
{
	uint32_t capacity = v->capacity ? v->capacity * 2 : VALUES_CAPACITY_MIN;
	uint64_t *offsets;
	uint32_t *sizes;

	if (capacity > (1u << 30))
		return -ENOMEM;
	offsets = reallocarray(v->offsets, capacity, sizeof(*offsets));
	if (offsets)
		v->offsets = offsets;
	sizes = offsets ? reallocarray(v->sizes, capacity, sizeof(*sizes)) : NULL;
	if (!sizes)
		return -ENOMEM;
	v->sizes = sizes;
	v->memory_bytes += (uint64_t)(capacity - v->capacity) * (sizeof(*offsets) + sizeof(*sizes));
	v->capacity = capacity;
	if (v->count == 0) {                    /* id 0 is null: no bytes */
		v->offsets[0] = 0;
		v->sizes[0] = 0;
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

int64_t linear_values_intern(struct linear_values *v, const char *text, size_t size)
{
	uint64_t h = hash_bytes(text, size);
	uint32_t k;

	ASSERT(text || size == 0);
	if (size > UINT32_MAX)
		return -ENOMEM;
	if (v->count + 1 > v->capacity && ids_grow(v) < 0)
		return -ENOMEM;
	/* Bounded: the table is at most half full, so a free slot ends the probe. */
	for (k = (uint32_t)h & v->table_mask; v->table[k]; k = (k + 1) & v->table_mask) {
		uint32_t id = v->table[k] - 1;

		if (v->sizes[id] == size &&
		    (size == 0 || memcmp(v->bytes + v->offsets[id], text, size) == 0))
			return id;
	}
	if (bytes_reserve(v, size) < 0)
		return -ENOMEM;
	if (size)
		memcpy(v->bytes + v->bytes_used, text, size);
	v->offsets[v->count] = v->bytes_used;
	v->sizes[v->count] = (uint32_t)size;
	v->bytes_used += size;
	v->table[k] = v->count + 1;
	ASSERT(v->count < v->capacity);
	return v->count++;
}

const char *linear_values_text(const struct linear_values *v, uint32_t id, uint32_t *size)
{
	ASSERT(id < v->count || id == LINEAR_VALUE_NULL);
	*size = id == LINEAR_VALUE_NULL ? 0 : v->sizes[id];
	return id == LINEAR_VALUE_NULL ? "" : v->bytes + v->offsets[id];
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
	*ms = (struct linear_model_state){ .model = model };
	linear_values_init(&ms->values);
	if (!initial[0])
		initial = model == LINEAR_MODEL_KV ? "\"\"" : "null";
	return json_id(ms, initial, &ms->initial);
}

void linear_model_fini(struct linear_model_state *ms)
{
	if (!ms)
		return;
	linear_values_fini(&ms->values);
	free(ms->scratch);
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

static int kind_of(enum linear_model model, const char *f)
{
	static const char *const names[LINEAR_MODEL_COUNT][4] = {
		[LINEAR_MODEL_CAS_REGISTER] = { "read", "write", "cas", NULL },
		[LINEAR_MODEL_KV] = { "get", "put", NULL, "append" },
	};

	for (int k = 0; k < 4; k++) {
		if (names[model][k] && strcmp(f, names[model][k]) == 0)
			return k;
	}
	return -EINVAL;
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
	int err;

	ASSERT(invoke->type == OP_INVOKE);
	ASSERT(!result || result->type != OP_FAIL);
	if (kind < 0)
		return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": expected f %s for model %s, "
				  "got \"%s\"", invoke->index, ms->model == LINEAR_MODEL_KV ?
				  "get, put or append" : "read, write or cas",
				  linear_model_name(ms->model), invoke->f);
	*call = (struct linear_call){ .invoke_index = invoke->index, .kind = (uint8_t)kind };
	call->info = !result || result->type == OP_INFO;
	call->result_index = call->info ? HIST_NO_PAIR : result->index;
	if (kind == LINEAR_READ && call->info)
		return 1;       /* an unanswered read changes nothing and shows nothing */
	if (arg->kind == OP_VALUE_NULL && result && kind != LINEAR_READ)
		arg = &result->value;   /* some clients put the argument in the result only */
	if (kind == LINEAR_READ)
		err = read_result(ms, opts, result, call);
	else if (kind == LINEAR_CAS)
		err = cas_ids(ms, arg, &call->arg, &call->arg2);
	else
		err = value_id(ms, arg, &call->arg);
	if (err == -EINVAL)
		return errbuf_set(eb, err, "op %" PRIu64 ": expected a %s value for %s %s",
				  kind == LINEAR_READ ? result->index : invoke->index,
				  kind == LINEAR_CAS ? "[old new]" :
				  ms->model == LINEAR_MODEL_KV ? "string" : "scalar",
				  linear_model_name(ms->model), invoke->f);
	return err;
}

static int append_step(struct linear_model_state *ms, uint32_t state, uint32_t arg,
		       uint32_t *next)
{
	uint32_t a_size, b_size;
	const char *a = linear_values_text(&ms->values, state, &a_size);
	const char *b = linear_values_text(&ms->values, arg, &b_size);
	size_t size = (size_t)a_size + b_size;
	int64_t id;

	if (size > ms->scratch_size) {
		size_t want = size * 2;
		char *p = realloc(ms->scratch, want);

		if (!p)
			return -ENOMEM;
		ms->scratch = p;
		ms->scratch_size = want;
	}
	/* Copy both first: interning may move the bytes @a and @b point into. */
	memcpy(ms->scratch, a, a_size);
	memcpy(ms->scratch + a_size, b, b_size);
	id = linear_values_intern(&ms->values, ms->scratch, size);
	if (id < 0)
		return (int)id;
	*next = (uint32_t)id;
	return 1;
}

int linear_model_step(struct linear_model_state *ms, uint32_t state,
		      const struct linear_call *call, uint32_t *next)
{
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
		return append_step(ms, state, call->arg, next);
	}
	ASSERT(!"unknown call kind");
	return 0;
}
