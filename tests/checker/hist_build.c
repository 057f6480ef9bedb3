/* SPDX-License-Identifier: MIT */
/* hist_build.c - test support: in-memory histories for checker tests. */
#include "hist_build.h"

#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

void hb_init(struct hist_build *b)
{
	memset(b, 0, sizeof(*b));
	b->h.ops = calloc(HB_OPS_MAX, sizeof(*b->h.ops));
	b->h.pair32 = calloc(HB_OPS_MAX, sizeof(*b->h.pair32));
	b->json = calloc(HB_OPS_MAX, sizeof(*b->json));
	b->notes = calloc(HB_OPS_MAX, sizeof(*b->notes));
	ASSERT(b->h.ops && b->h.pair32 && b->json && b->notes);
	for (int k = 0; k < HB_PROCESSES_MAX; k++)
		b->open[k] = HIST_NO_PAIR;
}

void hb_fini(struct hist_build *b)
{
	for (uint64_t i = 0; i < b->h.count; i++) {
		if (b->h.ops[i].value.kind == OP_VALUE_INTS)
			free((void *)b->h.ops[i].value.ints);
		free(b->json[i]);
	}
	free(b->json);
	free(b->notes);
	free(b->h.ops);
	free(b->h.pair32);
	memset(b, 0, sizeof(*b));
}

static int slot_of(int32_t process)
{
	ASSERT(process >= -1 && process < HB_PROCESSES_MAX - 1);
	return process < 0 ? HB_PROCESSES_MAX - 1 : process;
}

static struct op *append(struct hist_build *b, int32_t process, enum op_type type,
			 const char *f, struct hb_val v)
{
	struct op *op;

	ASSERT(b->h.count < HB_OPS_MAX);
	op = &b->h.ops[b->h.count];
	memset(op, 0, sizeof(*op));
	op->index = b->h.count;
	op->time_ns = b->time_ns_next;
	b->time_ns_next += 1000;
	op->type = type;
	op->process = process;
	op->f = f;
	op->value.kind = v.kind;
	op->value.integer = v.integer;
	op->value.count = v.count;
	if (v.kind == OP_VALUE_INTS && v.count) {
		int64_t *ints = malloc(v.count * sizeof(int64_t));

		ASSERT(ints);
		memcpy(ints, v.ints, v.count * sizeof(int64_t));
		op->value.ints = ints;
	}
	if (v.kind == OP_VALUE_JSON) {
		/* Owned through json[], so a test may repoint value.json at a literal. */
		b->json[op->index] = strdup(v.json);
		ASSERT(b->json[op->index]);
		op->value.json = b->json[op->index];
	}
	hist_pair_set(&b->h, b->h.count, HIST_NO_PAIR);
	b->h.count++;
	return op;
}

void hb_node(struct hist_build *b, uint64_t i, const char *node)
{
	ASSERT(i < b->h.count);
	b->notes[i].node = node;
	b->h.ops[i].note = node ? &b->notes[i] : NULL;
}

uint64_t hb_invoke(struct hist_build *b, int32_t process, const char *f, const char *node,
		   struct hb_val v, bool final)
{
	struct op *op;

	ASSERT(b->open[slot_of(process)] == HIST_NO_PAIR);
	op = append(b, process, OP_INVOKE, f, v);
	hb_node(b, op->index, node);
	op->key = b->key;
	op->final = final;
	b->open[slot_of(process)] = op->index;
	return op->index;
}

uint64_t hb_complete(struct hist_build *b, int32_t process, enum op_type type, struct hb_val v)
{
	uint64_t i = b->open[slot_of(process)];
	struct op *op;

	ASSERT(i != HIST_NO_PAIR);
	ASSERT(type != OP_INVOKE);
	op = append(b, process, type, b->h.ops[i].f, v);
	hb_node(b, op->index, op_node(&b->h.ops[i]));
	op->key = b->h.ops[i].key;
	op->final = b->h.ops[i].final;
	hist_pair_set(&b->h, i, op->index);
	hist_pair_set(&b->h, op->index, i);
	b->open[slot_of(process)] = HIST_NO_PAIR;
	return op->index;
}

uint64_t hb_op(struct hist_build *b, int32_t process, const char *f, const char *node,
	       struct hb_val invoke, enum op_type type, struct hb_val result, bool final)
{
	uint64_t i = hb_invoke(b, process, f, node, invoke, final);

	hb_complete(b, process, type, result);
	return i;
}

uint64_t hb_nemesis(struct hist_build *b, const char *f)
{
	const char *key = b->key;
	uint64_t i;

	b->key = NULL;
	i = hb_invoke(b, OP_PROCESS_NEMESIS, f, NULL, HB_NULL, false);
	hb_complete(b, OP_PROCESS_NEMESIS, OP_INFO, HB_JSON("{\"shape\":\"halves\"}"));
	b->key = key;
	return i;
}

void hb_key(struct hist_build *b, const char *key)
{
	b->key = key;
}

void hb_time(struct hist_build *b, int64_t time_ns)
{
	ASSERT(b->h.count == 0 || time_ns >= b->h.ops[b->h.count - 1].time_ns);
	b->time_ns_next = time_ns;
}
