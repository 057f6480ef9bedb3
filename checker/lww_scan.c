/* SPDX-License-Identifier: MIT */
/* lww_scan.c - an LWW-register history as op records: parsed, validated, writes indexed. */
#include "lww_check.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

STATIC_ASSERT(CHK_NODES_MAX <= 64, "the nodes with a final read fit a uint64_t mask");
STATIC_ASSERT((CHK_KEYS_MAX & (CHK_KEYS_MAX - 1)) == 0, "the key table is a power of two");
STATIC_ASSERT(CHK_KEYS_MAX < (1 << 16), "key slots (+ 1) are uint16_t");

/* What an ok completion's value holds: {"value":V,"ts":T,"writer":W,...}. */
struct stamp {
	bool value_null;
	int64_t value;
	uint64_t ts;
	int64_t writer;
};

const char *lww_op_node(const struct lww_scan *s, const struct lww_op *op)
{
	ASSERT(op->node == LWW_NODE_NONE || op->node < s->node_count);
	return op->node == LWW_NODE_NONE ? "(no node)" : s->nodes[op->node];
}

static bool is_client_op(const struct op *op, enum lww_f *f)
{
	if (op->process < 0)
		return false;
	*f = strcmp(op->f, "write") == 0 ? LWW_F_WRITE : LWW_F_READ;
	return true;
}

/* The value as text for a message: JSON text, or a short rendering of the unpacked kinds. */
static const char *value_text(const struct op_value *v, char *buf, size_t size)
{
	switch (v->kind) {
	case OP_VALUE_NULL:
		return "null";
	case OP_VALUE_INT:
		snprintf(buf, size, "%" PRId64, v->integer);
		return buf;
	case OP_VALUE_INTS:
		return "an array of integers";
	case OP_VALUE_JSON:
		return v->json;
	}
	return "?";
}

/* Makes the result UNKNOWN for a malformed op and returns 1 (the scan's "stop" value). */
static int malformed(struct lww_scan *s, struct check_result *result, uint64_t index,
		     const char *expected)
{
	const struct op *op = &s->h->ops[index];
	char buf[32];

	check_result_set_unknown(result, "malformed history: op %" PRIu64 " (%s %s): expected %s, "
				 "got %.60s", index, op_type_name(op->type), op->f, expected,
				 value_text(&op->value, buf, sizeof(buf)));
	return 1;
}

/* NULL when @json is a well-formed result (into @out), else what was expected. */
static const char *stamp_parse(const char *json, struct stamp *out)
{
	json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, NULL), *v, *ts, *w;
	const char *why = NULL;

	v = json_object_get(doc, "value");
	ts = json_object_get(doc, "ts");
	w = json_object_get(doc, "writer");
	if (!json_is_object(doc))
		why = "an object {\"value\":int|null,\"ts\":int,\"writer\":int|null,...}";
	else if (!json_is_integer(v) && !json_is_null(v))
		why = "\"value\" an integer or null";
	else if (!json_is_integer(ts) || json_integer_value(ts) < 0)
		why = "\"ts\" an integer >= 0";
	else if (!json_is_null(w) && (!json_is_integer(w) || json_integer_value(w) < 0))
		why = "\"writer\" an integer >= 0 or null";
	else if (json_is_null(v) != json_is_null(w))
		why = "\"writer\" null exactly when \"value\" is null";
	else if (json_is_null(v) != (json_integer_value(ts) == 0))
		why = "\"ts\" 0 exactly when \"value\" is null";
	if (!why) {
		out->value_null = json_is_null(v);
		out->value = json_integer_value(v);
		out->ts = (uint64_t)json_integer_value(ts);
		out->writer = out->value_null ? -1 : json_integer_value(w);
	}
	json_decref(doc);
	return why;
}

static uint64_t hash_bytes(const char *text)
{
	return codec_fnv1a(CODEC_FNV1A_BASIS, text, strlen(text));
}

static uint64_t hash_mix(uint64_t x)
{
	x ^= x >> 30;                               /* the splitmix64 finalizer */
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int key_note(struct lww_scan *s, const char *name, uint16_t *out, struct errbuf *eb)
{
	uint32_t mask = 2 * CHK_KEYS_MAX - 1, slot = (uint32_t)hash_bytes(name) & mask;

	for (;;) {
		uint16_t k = s->key_table[slot];

		if (k == 0)
			break;
		if (strcmp(s->keys[k - 1].name, name) == 0) {
			*out = (uint16_t)(k - 1);
			return 0;
		}
		slot = (slot + 1) & mask;
	}
	if (s->key_count == CHK_KEYS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d distinct keys", CHK_KEYS_MAX);
	s->keys[s->key_count].name = name;
	s->keys[s->key_count].final_first = LWW_NONE;
	s->key_table[slot] = (uint16_t)(s->key_count + 1);
	*out = (uint16_t)s->key_count++;
	ASSERT(s->key_count <= CHK_KEYS_MAX);
	return 0;
}

static int node_note(struct lww_scan *s, const char *name, uint8_t *out, struct errbuf *eb)
{
	uint32_t n;

	*out = LWW_NODE_NONE;
	if (!name)
		return 0;
	for (n = 0; n < s->node_count; n++)
		if (strcmp(s->nodes[n], name) == 0)
			break;
	if (n == s->node_count) {
		if (s->node_count == CHK_NODES_MAX)
			return errbuf_set(eb, -E2BIG, "more than %d distinct nodes named by ops",
					  CHK_NODES_MAX);
		s->nodes[s->node_count++] = name;
	}
	s->nodes_named |= 1ull << n;
	*out = (uint8_t)n;
	return 0;
}

/* Checks the invocation @i; 1 (result UNKNOWN) when malformed. */
static int invoke_check(struct lww_scan *s, uint64_t i, struct check_result *result)
{
	const struct op *op = &s->h->ops[i];

	if (strcmp(op->f, "read") != 0 && strcmp(op->f, "write") != 0)
		return malformed(s, result, i, "f \"read\" or \"write\" (an lww history)");
	if (!op->key)
		return malformed(s, result, i, "a \"key\" on every read and write");
	if (op->f[0] == 'w' && op->value.kind != OP_VALUE_INT)
		return malformed(s, result, i, "the integer to write as the value");
	if (op->f[0] == 'r' && op->value.kind != OP_VALUE_NULL)
		return malformed(s, result, i, "null as a read's value");
	return 0;
}

/* Fills @rec's outcome and stamp from the completion of invocation @i; 1 when malformed. */
static int completion_parse(struct lww_scan *s, uint64_t i, struct lww_op *rec,
			    struct check_result *result)
{
	const struct history *h = s->h;
	uint64_t r = hist_pair(h, i);
	struct stamp st;
	const char *why;

	rec->result_index = r;
	rec->outcome = r == HIST_NO_PAIR ? OP_INFO : (uint8_t)h->ops[r].type;
	rec->final = h->ops[i].final || (r != HIST_NO_PAIR && h->ops[r].final);
	if (rec->outcome != OP_OK)
		return 0;
	if (h->ops[r].value.kind != OP_VALUE_JSON)
		return malformed(s, result, r, "an object {\"value\",\"ts\",\"writer\",...}");
	why = stamp_parse(h->ops[r].value.json, &st);
	if (why)
		return malformed(s, result, r, why);
	if (rec->f == LWW_F_WRITE && (st.value_null || st.value != rec->value))
		return malformed(s, result, r, "\"value\" equal to the integer written");
	rec->value_null = st.value_null;
	rec->value = st.value;
	rec->ts = st.ts;
	rec->writer = st.writer;
	rec->ts_known = true;
	return 0;
}

/* One record per client invocation, in index order; 1 when the input is malformed. */
static int records_fill(struct lww_scan *s, struct check_result *result, struct errbuf *eb)
{
	const struct history *h = s->h;
	int err;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		struct lww_op *rec;
		const char *node;
		enum lww_f f;

		if (op->type != OP_INVOKE || !is_client_op(op, &f))
			continue;
		err = invoke_check(s, i, result);
		if (err)
			return err;
		ASSERT(s->op_count < s->h->count);
		rec = &s->ops[s->op_count++];
		memset(rec, 0, sizeof(*rec));
		rec->invoke_index = i;
		rec->f = (uint8_t)f;
		rec->process = op->process;
		rec->write = LWW_NONE;
		rec->value = f == LWW_F_WRITE ? op->value.integer : 0;
		rec->writer = -1;
		/* The node may be named on the completion only (the format allows it). */
		node = op_node(op);
		if (!node && hist_pair(h, i) != HIST_NO_PAIR)
			node = op_node(&h->ops[hist_pair(h, i)]);
		err = key_note(s, op->key, &rec->key, eb);
		if (!err)
			err = node_note(s, node, &rec->node, eb);
		if (!err)
			err = completion_parse(s, i, rec, result);
		if (err)
			return err;
		s->write_count += f == LWW_F_WRITE;
		s->ok_count += rec->outcome == OP_OK;
	}
	return 0;
}

static uint32_t table_slot(const struct lww_scan *s, uint16_t key, int64_t value)
{
	return (uint32_t)hash_mix((uint64_t)value * 65599u + key) & s->table_mask;
}

uint32_t lww_write_find(const struct lww_scan *s, uint16_t key, int64_t value)
{
	for (uint32_t slot = table_slot(s, key, value);; slot = (slot + 1) & s->table_mask) {
		uint32_t w = s->table[slot];

		if (w == LWW_NONE)
			return LWW_NONE;
		if (s->ops[w].key == key && s->ops[w].value == value)
			return w;
	}
}

/* Index every write by (key, value); a value written twice is UNKNOWN (reads are ambiguous). */
static int table_build(struct lww_scan *s, struct check_result *result, struct errbuf *eb)
{
	uint64_t slots = 16;

	while (slots < 2 * (uint64_t)s->write_count)
		slots *= 2;
	s->table = malloc(slots * sizeof(uint32_t));
	if (!s->table)
		return errbuf_set(eb, -ENOMEM, "out of memory for the write table");
	memset(s->table, 0xff, slots * sizeof(uint32_t));
	s->table_mask = (uint32_t)(slots - 1);
	for (uint32_t k = 0; k < s->op_count; k++) {
		const struct lww_op *w = &s->ops[k];
		uint32_t slot, other;

		if (w->f != LWW_F_WRITE)
			continue;
		other = lww_write_find(s, w->key, w->value);
		if (other != LWW_NONE) {
			check_result_set_unknown(result, "values are not unique: %s=%" PRId64
						 " is written by ops %" PRIu64 " and %" PRIu64
						 ", so reads cannot be matched to writes",
						 s->keys[w->key].name, w->value,
						 s->ops[other].invoke_index, w->invoke_index);
			return 1;
		}
		slot = table_slot(s, w->key, w->value);
		while (s->table[slot] != LWW_NONE)
			slot = (slot + 1) & s->table_mask;
		s->table[slot] = k;
	}
	return 0;
}

static uint64_t client_invocations(const struct history *h)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < h->count; i++)
		n += h->ops[i].type == OP_INVOKE && h->ops[i].process >= 0;
	return n;
}

int lww_scan_init(struct lww_scan *s, const struct history *h, const struct check_opts *opts,
		  struct check_result *result, struct errbuf *eb)
{
	uint64_t n = client_invocations(h), bytes;
	int err;

	ASSERT(h && opts && result);
	memset(s, 0, sizeof(*s));
	s->h = h;
	s->memory_bytes_max = opts->memory_bytes_max ? opts->memory_bytes_max :
			      CHK_MEMORY_BYTES_DEFAULT;
	bytes = n * LWW_BYTES_PER_OP + (uint64_t)CHK_KEYS_MAX * (sizeof(struct lww_key) + 4);
	if (bytes > s->memory_bytes_max)
		return errbuf_set(eb, -ENOMEM, "%" PRIu64 " client ops need about %" PRIu64
				  " bytes, over the checker budget of %" PRIu64, n, bytes,
				  s->memory_bytes_max);
	s->ops = malloc((n + 1) * sizeof(*s->ops));
	s->keys = calloc(CHK_KEYS_MAX, sizeof(*s->keys));
	s->key_table = calloc(2 * CHK_KEYS_MAX, sizeof(*s->key_table));
	if (!s->ops || !s->keys || !s->key_table)
		return errbuf_set(eb, -ENOMEM, "out of memory for %" PRIu64 " op records", n);
	err = records_fill(s, result, eb);
	if (!err)
		err = table_build(s, result, eb);
	ASSERT(s->op_count <= n);
	ASSERT(err <= 1);
	return err;
}

void lww_scan_fini(struct lww_scan *s)
{
	free(s->ops);
	free(s->table);
	free(s->keys);
	free(s->key_table);
	memset(s, 0, sizeof(*s));
}
