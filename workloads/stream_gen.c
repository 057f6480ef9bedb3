/* SPDX-License-Identifier: MIT */
/* stream_gen.c - stream events from (seed, op number) alone. */
#include "stream_gen.h"

#include <inttypes.h>
#include <stdio.h>

#include "fl_assert.h"
#include "prng.h"

/* The op's JSON value lives here until the thread's next op: the runner draws, records,
 * invokes and completes an op on one thread before it draws the next. */
static _Thread_local char event_json[STREAM_GEN_VALUE_BYTES_MAX];

static int64_t uniform(struct prng *prng, int64_t below)
{
	return below > 0 ? (int64_t)prng_below(prng, (uint64_t)below) : 0;
}

static enum gen_status stream_gen_op(struct gen *base, const struct gen_ctx *ctx,
				     struct gen_op *out)
{
	const struct stream_gen *g = container_of(base, struct stream_gen, base);
	uint64_t k = ctx->op_number;
	int64_t now = g->t0_ms + (int64_t)((double)k * g->ms_per_op), t;
	uint32_t source = (uint32_t)prng_below(ctx->prng, g->sources);
	uint64_t key = k % g->burst_period < g->burst_ops ? k / g->burst_period % g->keys
							     : prng_below(ctx->prng, g->keys);
	int64_t value = 1 + uniform(ctx->prng, STREAM_GEN_VALUE_MAX);
	int n;

	if (k % STREAM_GEN_READ_EVERY == STREAM_GEN_READ_EVERY - 1) {
		out->op = (struct op){ .f = "read", .key = "watermark",
				       .value = { .kind = OP_VALUE_NULL } };
		out->node = g->sources + (uint32_t)(k / STREAM_GEN_READ_EVERY % g->operators);
		return GEN_OP;
	}
	if (source == 0 && g->sources > 1 && k >= g->idle_from && k < g->idle_until)
		source = 1 + (uint32_t)prng_below(ctx->prng, g->sources - 1);
	now -= (int64_t)source * g->lag_ms;
	if (prng_chance(ctx->prng, g->late_fraction))
		t = now - g->out_of_order_ms - 1 -
		    uniform(ctx->prng, g->window_ms + g->lateness_ms + 250);
	else
		t = now - uniform(ctx->prng, g->out_of_order_ms * 9 / 10 + 1);
	if (prng_chance(ctx->prng, g->edge_fraction))
		t -= stream_window_mod(t - g->spec.offset_ms, g->spec.slide_ms);
	n = snprintf(event_json, sizeof(event_json), "{\"id\":%" PRIu64 ",\"key\":%" PRIu64
		     ",\"t\":%" PRId64 ",\"v\":%" PRId64 ",\"source\":%" PRIu32 "}", k + 1, key, t,
		     value, source);
	ASSERT(n > 0 && (size_t)n < sizeof(event_json));
	out->op = (struct op){ .f = "send",
			       .value = { .kind = OP_VALUE_JSON, .json = event_json } };
	out->node = source;
	return GEN_OP;
}

static const struct gen_ops stream_gen_ops = {
	.name = "stream",
	.op = stream_gen_op,
};

void stream_gen_init(struct stream_gen *g, uint32_t sources, uint32_t operators, uint32_t keys,
		     double rate, double time_s, int64_t out_of_order_ms,
		     const struct stream_window_spec *spec, int64_t lateness_ms, uint64_t seed)
{
	double ops = rate * time_s;
	struct prng prng;

	ASSERT(sources >= 1 && operators >= 1 && keys >= 1 && rate > 0 && time_s > 0);
	prng_init(&prng, seed ^ 0x5157e4a3d1c2b0f9ull);
	*g = (struct stream_gen){
		.base.ops = &stream_gen_ops, .sources = sources, .operators = operators,
		.keys = keys,
		/* About half the campaign before zero, not aligned to any window. */
		.t0_ms = -(int64_t)(time_s * 500.0) - 137 - uniform(&prng, 1000),
		.ms_per_op = 1000.0 / rate, .out_of_order_ms = out_of_order_ms,
		.window_ms = spec->size_ms, .spec = *spec, .lateness_ms = lateness_ms,
		.late_fraction = 0.05, .edge_fraction = 0.03,
		.lag_ms = out_of_order_ms,
		/* A burst: three tenths of a second's ops in every three seconds' worth. */
		.burst_period = (uint64_t)(rate * 3.0) + 1, .burst_ops = (uint64_t)(rate * 0.3),
		.idle_from = (uint64_t)(ops * 0.35), .idle_until = (uint64_t)(ops * 0.65),
	};
}
