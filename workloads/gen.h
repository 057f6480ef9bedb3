/* SPDX-License-Identifier: MIT */
/* gen.h - the Generator seam: what to do next, as a pure function of context (Jepsen). */
#ifndef GEN_H
#define GEN_H

#include <stdint.h>

#include "op.h"

struct prng;

enum gen_status { GEN_OP, GEN_PENDING, GEN_DONE };

/* Keys of the key-value workloads are named "k0" .. "k7". */
enum { GEN_KEYS_MAX = 8 };

/* gen_key_name() - the name of key @i (< GEN_KEYS_MAX), a static string. */
const char *gen_key_name(uint32_t i);

/* What a generator may look at. Generators never read clocks or global randomness. */
struct gen_ctx {
	int64_t time_ns;        /* since campaign start */
	uint64_t op_number;     /* position in the campaign's op sequence */
	int32_t process;        /* the process asking */
	uint32_t node_count;
	struct prng *prng;      /* seeded for this op alone: same seed, same op */
};

/* An op to invoke, plus the node it targets (an index into the cluster). */
struct gen_op {
	struct op op;           /* f and value filled; index/time/type/process by the runner */
	uint32_t node;
	struct op_note note;    /* the runner names @node here for @op */
};

struct gen;

struct gen_ops {
	const char *name;
	/* Must be safe to call from several client threads at once. */
	enum gen_status (*op)(struct gen *gen, const struct gen_ctx *ctx, struct gen_op *out);
	/* Told about every completion; NULL when the generator does not care. */
	void (*update)(struct gen *gen, const struct gen_ctx *ctx, const struct op *event);
};

struct gen {
	const struct gen_ops *ops;
};

static inline enum gen_status gen_op(struct gen *gen, const struct gen_ctx *ctx,
				     struct gen_op *out)
{
	return gen->ops->op(gen, ctx, out);
}

static inline void gen_update(struct gen *gen, const struct gen_ctx *ctx, const struct op *event)
{
	if (gen->ops->update)
		gen->ops->update(gen, ctx, event);
}

#endif /* GEN_H */
