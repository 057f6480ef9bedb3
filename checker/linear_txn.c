/* SPDX-License-Identifier: MIT */
/*
 * linear_txn.c - the multi-register model: a map of named registers, read and written by
 * txns [[f k v] ...] in one step. The rules are Knossos's multi-register (knossos.model):
 * a read of v is legal when v is nil or the register holds v (an absent register holds
 * nil); a write sets it. A state is the interned canonical JSON of the map (keys sorted),
 * so equal maps are equal ids and the search's cache works unchanged; the empty map is
 * null. Each step parses with jansson: the histories this model sees are small (Knossos's
 * has 250 txns), and bench-linear times it.
 */
#include "linear_core.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"
#include "hist.h"

enum { TXN_OPS_MAX = 4096 };    /* micro-ops in one txn */

/* The id of @doc's compact JSON text (keys sorted: canonical); @doc is consumed. */
static int doc_id(struct linear_model_state *ms, json_t *doc, uint32_t *out)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	int64_t id;

	json_decref(doc);
	if (!text)
		return -ENOMEM;
	id = linear_values_intern(&ms->values, text, strlen(text));
	free(text);
	if (id < 0)
		return (int)id;
	*out = (uint32_t)id;
	return 0;
}

/* The id of @doc (a map, consumed) in canonical form; the empty map is null. */
static int map_id(struct linear_model_state *ms, json_t *doc, uint32_t *out)
{
	if (json_object_size(doc) == 0) {
		json_decref(doc);
		*out = LINEAR_VALUE_NULL;
		return 0;
	}
	return doc_id(ms, doc, out);
}

int linear_txn_canonical(struct linear_model_state *ms, const char *json, uint32_t *out)
{
	json_t *doc = json_loads(json, JSON_DECODE_ANY, NULL);

	if (json_is_null(doc)) {
		json_decref(doc);
		*out = LINEAR_VALUE_NULL;
		return 0;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -EINVAL;
	}
	return map_id(ms, doc, out);
}

/* A register's name in the map: a string as it is, anything else as its JSON text. */
static char *key_text(const json_t *k)
{
	return json_is_string(k) ? strdup(json_string_value(k)) :
	       json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Whether @doc is [[f k v] ...] (or [f k]) with f read or write. */
static bool txn_valid(const json_t *doc)
{
	size_t i;
	json_t *mop;

	if (!json_is_array(doc) || json_array_size(doc) > TXN_OPS_MAX)
		return false;
	json_array_foreach(doc, i, mop) {
		const json_t *f = json_array_get(mop, 0);

		if (!json_is_array(mop) || json_array_size(mop) < 2 || json_array_size(mop) > 3 ||
		    !json_is_string(f))
			return false;
		if (strcmp(json_string_value(f), "read") != 0 &&
		    strcmp(json_string_value(f), "write") != 0)
			return false;
	}
	return true;
}

int linear_txn_call(struct linear_model_state *ms, const struct op_value *value,
		    uint32_t *out)
{
	json_t *doc;

	if (value->kind != OP_VALUE_JSON)
		return -EINVAL;
	doc = json_loads(value->json, JSON_DECODE_ANY, NULL);
	if (!txn_valid(doc)) {
		json_decref(doc);
		return -EINVAL;
	}
	return doc_id(ms, doc, out);      /* a txn is an array: sorting keys changes nothing */
}

/* Applies micro-op @mop to @map. Return: 1 legal, 0 not, -ENOMEM. */
static int mop_apply(json_t *map, const json_t *mop)
{
	const char *f = json_string_value(json_array_get(mop, 0));
	json_t *v = json_array_get(mop, 2);     /* NULL for [f k]: nil */
	char *k = key_text(json_array_get(mop, 1));
	int legal = 1;

	if (!k)
		return -ENOMEM;
	if (strcmp(f, "read") == 0) {
		json_t *held = json_object_get(map, k);

		if (v && !json_is_null(v))
			legal = held ? json_equal(held, v) : 0;
	} else if (json_object_set(map, k, v ? v : json_null()) != 0) {
		legal = -ENOMEM;
	}
	free(k);
	return legal;
}

int linear_txn_step(struct linear_model_state *ms, uint32_t state, uint32_t txn,
		    uint32_t *next)
{
	uint32_t state_size, txn_size;
	const char *state_text = linear_values_text(&ms->values, state, &state_size);
	const char *txn_text = linear_values_text(&ms->values, txn, &txn_size);
	json_t *map = state == LINEAR_VALUE_NULL ? json_object() :
		      json_loadb(state_text, state_size, 0, NULL);
	json_t *ops = json_loadb(txn_text, txn_size, 0, NULL);
	json_t *mop;
	size_t i;
	int legal = 1, err;

	ASSERT(txn != LINEAR_VALUE_NULL);
	if (!map || !ops) {
		json_decref(map);
		json_decref(ops);
		return -ENOMEM;         /* both were valid JSON when interned */
	}
	json_array_foreach(ops, i, mop) {
		legal = mop_apply(map, mop);
		if (legal != 1)
			break;
	}
	json_decref(ops);
	if (legal != 1) {
		json_decref(map);
		return legal;
	}
	err = map_id(ms, map, next);
	return err < 0 ? err : 1;
}
