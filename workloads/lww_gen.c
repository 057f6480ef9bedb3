/* SPDX-License-Identifier: MIT */
/* lww_gen.c - the LWW op mix; choices come only from the caller's prng. */
#include "lww_gen.h"

#include "fl_assert.h"
#include "prng.h"

static enum gen_status lww_gen_op(struct gen *base, const struct gen_ctx *ctx,
				  struct gen_op *out)
{
	struct lww_gen *g = container_of(base, struct lww_gen, base);
	bool write = prng_chance(ctx->prng, 0.5);

	ASSERT(ctx->node_count > 0);
	out->op = (struct op){ .f = "read", .value = { .kind = OP_VALUE_NULL } };
	out->op.key = gen_key_name((uint32_t)prng_below(ctx->prng, g->key_count));
	out->node = (uint32_t)prng_below(ctx->prng, ctx->node_count);
	if (write) {
		out->op.f = "write";
		out->op.value = (struct op_value){ .kind = OP_VALUE_INT,
						   .integer = (int64_t)ctx->op_number + 1 };
	}
	return GEN_OP;
}

static const struct gen_ops lww_gen_ops = {
	.name = "lww",
	.op = lww_gen_op,
};

void lww_gen_init(struct lww_gen *g, uint32_t key_count)
{
	ASSERT(key_count >= 1 && key_count <= LWW_GEN_KEYS_MAX);
	g->base.ops = &lww_gen_ops;
	g->key_count = key_count;
}
