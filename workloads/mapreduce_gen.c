/* SPDX-License-Identifier: MIT */
/* mapreduce_gen.c - job after job, from the op number alone. */
#include "mapreduce_gen.h"

#include <inttypes.h>
#include <stdio.h>

#include "fl_assert.h"

/* The op's JSON value lives here until the thread's next op (see stream_gen.c). */
static _Thread_local char job_json[MAPREDUCE_GEN_VALUE_BYTES_MAX];

static enum gen_status mapreduce_gen_op(struct gen *base, const struct gen_ctx *ctx,
					struct gen_op *out)
{
	int n = snprintf(job_json, sizeof(job_json), "{\"job\":%" PRIu64 "}", ctx->op_number + 1);

	(void)base;
	ASSERT(n > 0 && (size_t)n < sizeof(job_json));
	out->op = (struct op){ .f = "job", .value = { .kind = OP_VALUE_JSON, .json = job_json } };
	out->node = 0;
	return GEN_OP;
}

static const struct gen_ops mapreduce_gen_ops = {
	.name = "mapreduce",
	.op = mapreduce_gen_op,
};

void mapreduce_gen_init(struct mapreduce_gen *g)
{
	g->base.ops = &mapreduce_gen_ops;
}
