/* SPDX-License-Identifier: MIT */
/* crdt_gen.c - the CRDT op mix; choices come only from the caller's prng. */
#include "crdt_gen.h"

#include "fl_assert.h"
#include "prng.h"

static void set_add(struct gen_op *out, int64_t element)
{
	out->op.f = "add";
	out->op.value = (struct op_value){ .kind = OP_VALUE_INT, .integer = element };
}

static enum gen_status crdt_gen_op(struct gen *base, const struct gen_ctx *ctx, struct gen_op *out)
{
	struct crdt_gen *g = container_of(base, struct crdt_gen, base);
	uint64_t roll = prng_below(ctx->prng, 100);

	ASSERT(ctx->node_count > 0);
	out->op = (struct op){ .f = "read", .value = { .kind = OP_VALUE_NULL } };
	out->node = (uint32_t)prng_below(ctx->prng, ctx->node_count);
	switch (g->model) {
	case CRDT_MODEL_GCOUNTER:
		if (roll < 70)
			set_add(out, 1 + (int64_t)prng_below(ctx->prng, CRDT_GEN_DELTA_MAX));
		break;
	case CRDT_MODEL_GSET:
		if (roll < 70)
			set_add(out, (int64_t)ctx->op_number);
		break;
	case CRDT_MODEL_ORSET:
		if (roll < 75) {
			set_add(out, (int64_t)prng_below(ctx->prng, CRDT_GEN_ORSET_ELEMENTS));
			if (roll >= 45)
				out->op.f = "remove";
		}
		break;
	default:
		ASSERT(!"unknown model");
	}
	return GEN_OP;
}

static const struct gen_ops crdt_gen_ops = {
	.name = "crdt",
	.op = crdt_gen_op,
};

void crdt_gen_init(struct crdt_gen *g, enum crdt_model model)
{
	ASSERT(model != CRDT_MODEL_NONE);
	g->base.ops = &crdt_gen_ops;
	g->model = model;
}
