/* SPDX-License-Identifier: MIT */
/* chord_gen.c - the Chord op mix: lookups, puts and gets of 64 keys at random nodes; choices
 * come only from the caller's prng. */
#include "chord_gen.h"

#include <stdio.h>
#include <string.h>

#include "fl_assert.h"
#include "prng.h"

struct op chord_gen_lookup(const struct chord_gen *g, uint32_t i)
{
	ASSERT(i < g->key_count);
	return (struct op){ .f = "lookup", .key = g->names[i],
			    .value = { .kind = OP_VALUE_INT, .integer = (int64_t)g->ids[i] } };
}

struct op chord_gen_state(void)
{
	return (struct op){ .f = "state", .value = { .kind = OP_VALUE_NULL } };
}

static enum gen_status chord_gen_op(struct gen *base, const struct gen_ctx *ctx,
				    struct gen_op *out)
{
	struct chord_gen *g = container_of(base, struct chord_gen, base);

	uint32_t key = (uint32_t)prng_below(ctx->prng, g->key_count);
	uint64_t pick = prng_below(ctx->prng, 8);

	ASSERT(ctx->node_count > 0);
	/* Half lookups, 1/8 puts (each value unique: the op's number), 3/8 gets: a key is put
	 * every several seconds and read often in between, so a value a node lost is read
	 * before a new put hides the loss. */
	if (pick < 4)
		out->op = chord_gen_lookup(g, key);
	else if (pick == 4)
		out->op = (struct op){ .f = "put", .key = g->names[key],
				       .value = { .kind = OP_VALUE_INT,
						  .integer = (int64_t)ctx->op_number + 1 } };
	else
		out->op = (struct op){ .f = "get", .key = g->names[key],
				       .value = { .kind = OP_VALUE_NULL } };
	out->node = (uint32_t)prng_below(ctx->prng, ctx->node_count);
	return GEN_OP;
}

static const struct gen_ops chord_gen_ops = {
	.name = "chord",
	.op = chord_gen_op,
};

void chord_gen_init(struct chord_gen *g, uint32_t key_count, unsigned bits)
{
	ASSERT(key_count >= 1 && key_count <= CHORD_GEN_KEYS_MAX);
	g->base.ops = &chord_gen_ops;
	g->key_count = key_count;
	ASSERT(chord_space_init(&g->space, bits) == 0);
	for (uint32_t i = 0; i < key_count; i++) {
		int n = snprintf(g->names[i], sizeof(g->names[i]), "k%u", i);

		ASSERT(n > 0 && (size_t)n < sizeof(g->names[i]));
		g->ids[i] = chord_hash(&g->space, g->names[i], (size_t)n);
	}
}
