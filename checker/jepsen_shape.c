/* SPDX-License-Identifier: MIT */
/* jepsen_shape.c - telling counter, set, queue and unique-id histories apart by their ops. */
#include "jepsen_shape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fl_assert.h"
#include "hist.h"

enum shape_f {
	SHAPE_F_ADD = 1u << 0,
	SHAPE_F_READ = 1u << 1,
	SHAPE_F_BROADCAST = 1u << 2,
	SHAPE_F_ENQUEUE = 1u << 3,
	SHAPE_F_DEQUEUE = 1u << 4,
	SHAPE_F_DRAIN = 1u << 5,
	SHAPE_F_GENERATE = 1u << 6,
	SHAPE_F_OTHER = 1u << 7,
};

/* What one pass learns. Invariant: the *_all flags hold for every op seen so far of their
 * kind (vacuously true when there is none). */
struct shape_scan {
	uint32_t fs;                    /* SHAPE_F_* of the client ops */
	bool harness;                   /* some op names a node or is final */
	bool add_integer_all, add_scalar_all;   /* add (and broadcast) invocations' values */
	bool read_integer_all, read_collection_all;     /* ok reads' values */
	uint64_t read_ok_count;
};

static uint32_t f_bit(const char *f)
{
	static const struct { const char *name; uint32_t bit; } names[] = {
		{ "add", SHAPE_F_ADD },         { "read", SHAPE_F_READ },
		{ "broadcast", SHAPE_F_BROADCAST }, { "enqueue", SHAPE_F_ENQUEUE },
		{ "dequeue", SHAPE_F_DEQUEUE }, { "drain", SHAPE_F_DRAIN },
		{ "generate", SHAPE_F_GENERATE },
	};

	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		if (strcmp(f, names[k].name) == 0)
			return names[k].bit;
	}
	return SHAPE_F_OTHER;
}

static bool is_collection(const struct op_value *v)
{
	return v->kind == OP_VALUE_INTS || v->kind == OP_VALUE_NULL ||
	       (v->kind == OP_VALUE_JSON && v->json[0] == '[');
}

static bool is_scalar(const struct op_value *v)
{
	return v->kind == OP_VALUE_INT ||
	       (v->kind == OP_VALUE_JSON && v->json[0] != '[' && v->json[0] != '{');
}

static void scan_op(struct shape_scan *s, const struct op *op)
{
	uint32_t bit = f_bit(op->f);

	s->fs |= bit;
	s->harness = s->harness || op_node(op) || op->final;
	if ((bit & (SHAPE_F_ADD | SHAPE_F_BROADCAST)) && op->type == OP_INVOKE) {
		s->add_integer_all = s->add_integer_all && op->value.kind == OP_VALUE_INT;
		s->add_scalar_all = s->add_scalar_all && is_scalar(&op->value);
	}
	if (bit == SHAPE_F_READ && op->type == OP_OK) {
		s->read_ok_count++;
		s->read_integer_all = s->read_integer_all && op->value.kind == OP_VALUE_INT;
		s->read_collection_all = s->read_collection_all && is_collection(&op->value);
	}
}

static bool only(uint32_t fs, uint32_t allowed)
{
	return (fs & ~allowed) == 0;
}

enum jepsen_shape jepsen_shape_of(const struct history *h)
{
	struct shape_scan s = { .add_integer_all = true, .add_scalar_all = true,
				.read_integer_all = true, .read_collection_all = true };

	ASSERT(h);
	ASSERT(h->count == 0 || h->ops);
	for (uint64_t i = 0; i < h->count; i++) {
		if (h->ops[i].process >= 0)
			scan_op(&s, &h->ops[i]);
	}
	if (s.fs == SHAPE_F_GENERATE)
		return JEPSEN_SHAPE_UNIQUE_IDS;
	if (only(s.fs, SHAPE_F_ENQUEUE | SHAPE_F_DEQUEUE | SHAPE_F_DRAIN) &&
	    (s.fs & (SHAPE_F_ENQUEUE | SHAPE_F_DEQUEUE)))
		return s.fs & SHAPE_F_DRAIN ? JEPSEN_SHAPE_TOTAL_QUEUE : JEPSEN_SHAPE_QUEUE;
	if (only(s.fs, SHAPE_F_BROADCAST | SHAPE_F_READ) && (s.fs & SHAPE_F_BROADCAST) &&
	    s.add_scalar_all && s.read_collection_all)
		return JEPSEN_SHAPE_BROADCAST;
	/* add/read: the harness's own workloads (nodes, final reads) are not Jepsen shapes,
	 * and without an ok read an integer add history could be either a counter or a set. */
	if (!only(s.fs, SHAPE_F_ADD | SHAPE_F_READ) || !(s.fs & SHAPE_F_ADD) || s.harness ||
	    s.read_ok_count == 0)
		return JEPSEN_SHAPE_NONE;
	if (s.add_integer_all && s.read_integer_all)
		return JEPSEN_SHAPE_COUNTER;
	if (s.add_scalar_all && s.read_collection_all)
		return s.read_ok_count == 1 ? JEPSEN_SHAPE_SET : JEPSEN_SHAPE_SET_FULL;
	return JEPSEN_SHAPE_NONE;
}
