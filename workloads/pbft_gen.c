/* SPDX-License-Identifier: MIT */
/* pbft_gen.c - the cas-register op mix; choices come only from the caller's prng. */
#include "pbft_gen.h"

#include "fl_assert.h"
#include "prng.h"

/* The generated ops borrow their cas pairs from here: [old, new] for each old and new. */
static const int64_t cas_pairs[PBFT_GEN_VALUES * PBFT_GEN_VALUES][2] = {
	{ 0, 0 }, { 0, 1 }, { 0, 2 }, { 0, 3 }, { 0, 4 },
	{ 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 3 }, { 1, 4 },
	{ 2, 0 }, { 2, 1 }, { 2, 2 }, { 2, 3 }, { 2, 4 },
	{ 3, 0 }, { 3, 1 }, { 3, 2 }, { 3, 3 }, { 3, 4 },
	{ 4, 0 }, { 4, 1 }, { 4, 2 }, { 4, 3 }, { 4, 4 },
};

static enum gen_status pbft_gen_op(struct gen *base, const struct gen_ctx *ctx,
				   struct gen_op *out)
{
	struct pbft_gen *g = container_of(base, struct pbft_gen, base);
	uint64_t roll = prng_below(ctx->prng, 10);

	ASSERT(ctx->node_count > 0);
	out->op = (struct op){ .f = "read", .value = { .kind = OP_VALUE_NULL } };
	out->op.key = gen_key_name((uint32_t)prng_below(ctx->prng, g->key_count));
	out->node = (uint32_t)prng_below(ctx->prng, ctx->node_count);
	if (roll >= 7) {
		const int64_t *pair = cas_pairs[prng_below(ctx->prng, ARRAY_SIZE(cas_pairs))];

		out->op.f = "cas";
		out->op.value = (struct op_value){ .kind = OP_VALUE_INTS, .count = 2,
						   .ints = pair };
	} else if (roll >= 4) {
		out->op.f = "write";
		out->op.value = (struct op_value){
			.kind = OP_VALUE_INT,
			.integer = (int64_t)prng_below(ctx->prng, PBFT_GEN_VALUES) };
	}
	return GEN_OP;
}

static const struct gen_ops pbft_gen_ops = {
	.name = "pbft",
	.op = pbft_gen_op,
};

void pbft_gen_init(struct pbft_gen *g, uint32_t key_count)
{
	ASSERT(key_count >= 1 && key_count <= PBFT_GEN_KEYS_MAX);
	g->base.ops = &pbft_gen_ops;
	g->key_count = key_count;
}
